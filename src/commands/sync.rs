//! `sync` (issues: Ingestion pipeline, Partner Center sync).

use crate::cli::SyncArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(_ctx: &Ctx, _args: SyncArgs) -> Result<()> {
    Err(Error::failure(
        "`sync` is not built yet in this version of hunter-pc",
    ))
}
