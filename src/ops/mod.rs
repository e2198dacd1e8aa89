//! Library operations, one per command that does work: options in, a typed report out. The
//! command files (`commands/`) only turn settings into options, call these and render the
//! report; tests and other callers use them directly.

pub mod list;
pub mod migrate;
pub mod rescore;
pub mod scan;
pub mod status;
mod stop;
pub mod sync;

pub use stop::Stop;

use crate::error::{Error, Result};

/// A Tokio runtime for the operations that do network I/O (built per use, so that `--help`
/// and the database-only commands start no threads).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::failure(format!("cannot start the async runtime: {e}")).with_source(e))
}
