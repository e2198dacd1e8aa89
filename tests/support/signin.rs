//! The Microsoft sign-in stand-in (issue: Sign-in).
