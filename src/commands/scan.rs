//! `scan DOMAIN...` (issue: Domain scan).

use crate::cli::ScanArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(_ctx: &Ctx, _args: ScanArgs) -> Result<()> {
    Err(Error::failure(
        "`scan` is not built yet in this version of hunter-pc",
    ))
}
