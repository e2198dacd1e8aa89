//! The lead scorer and its rule table (issue: Scoring).
