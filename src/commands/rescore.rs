//! `rescore` (issue: Scoring).

use crate::cli::RescoreArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(_ctx: &Ctx, _args: RescoreArgs) -> Result<()> {
    Err(Error::failure(
        "`rescore` is not built yet in this version of hunter-pc",
    ))
}
