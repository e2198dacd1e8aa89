//! The referral pipeline: extraction (pure), reading files, the batched writes of a sync, and
//! the run's bookkeeping.

pub mod cursor;
pub mod extract;
pub mod ingest;
pub mod runlog;
pub mod source;
