//! The referral pipeline: extraction (pure), reading files, the batched writes of a sync, and
//! the run's summary.
//!
//! The pure part is split by the spec's sections: [`category`] (pipeline.md §3), [`tenant`]
//! (§4), [`domain`] (§5), gathered by [`extract`] together with the tracking-row fields of §2.
//! [`source`] reads files, [`ingest`] plans and writes pages (through
//! [`crate::store::referrals`] and [`crate::store::companies`]), [`writers`] writes two at a
//! time, [`runlog`] is the run's summary.

pub mod category;
pub mod domain;
pub mod extract;
pub mod ingest;
pub mod runlog;
pub mod source;
pub mod tenant;
mod view;
pub mod writers;
