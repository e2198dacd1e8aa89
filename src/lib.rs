//! hunter-pc: brings Microsoft Partner Center referrals into Hunter's Postgres database.
//!
//! Data flows one way: `commands` → `pipeline` → (`partner_center`, `scan`, `score`) → `db`.
//! What the binary promises operators (commands, settings, exit codes) is README.md and the
//! man page (`hunter-pc man`); choices made beyond them are in docs/decisions.md.

pub mod auth;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod error;
pub mod logging;
pub mod ops;
pub mod output;
pub mod partner_center;
pub mod pipeline;
pub mod scan;
pub mod score;
