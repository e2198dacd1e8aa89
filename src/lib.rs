//! hunter-pc: brings Microsoft Partner Center referrals into Hunter's Postgres database.
//!
//! Data flows one way: command → ops → (`partner_center`, `pipeline`, `scan`, `score`) →
//! `store`. The commands (`commands`) turn settings into options and render reports; the
//! operations call the pure parts (extraction and the ingestion plan in `pipeline`, the provider
//! rules in `scan`, the scorer in `score`) and the I/O edges (the HTTP client in
//! `partner_center`, the resolver in `scan`, the database in `store`, which holds every SQL
//! statement). Domain types (category, provider, scan status, segment, run status) are spelled
//! once, in `model`.
//! What the binary promises operators (commands, settings, exit codes) is README.md and the
//! man page (`hunter-pc man`); choices made beyond them are in docs/decisions.md.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod ops;
pub mod output;
pub mod partner_center;
pub mod pipeline;
pub mod scan;
pub mod score;
pub mod store;
