//! DNS mail-signal scans (issue: Domain scan).
