//! hunter-pc: brings Microsoft Partner Center referrals into Hunter's Postgres database.
//!
//! Data flows one way: `commands` → `pipeline` → (`partner_center`, `scan`, `score`) → `db`.
//! The contract is `shared/spec/cli.md`; what a sync does is `shared/spec/pipeline.md`.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod logging;
pub mod model;
pub mod output;
pub mod partner_center;
pub mod pipeline;
pub mod scan;
pub mod score;
pub mod store;
