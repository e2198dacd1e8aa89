//! The referral pipeline: extraction (pure) and the batched writes of a sync.
//!
//! The pure part is split by the spec's sections: [`category`] (pipeline.md §3), [`tenant`]
//! (§4), [`domain`] (§5), gathered by [`extract`] together with the tracking-row fields of §2.

pub mod category;
pub mod domain;
pub mod extract;
pub mod tenant;
mod view;
