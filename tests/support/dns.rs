//! A loopback DNS server serving test zones (issue: Domain scan).
