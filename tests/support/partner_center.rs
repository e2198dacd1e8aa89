//! The Partner Center stand-in (issue: Partner Center sync).
