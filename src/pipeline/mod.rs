//! The referral pipeline: extraction (pure) and the batched writes of a sync.

pub mod extract;
