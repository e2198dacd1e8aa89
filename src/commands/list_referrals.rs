//! `list-referrals` (issue: Operator views).

use crate::cli::ListArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn run(_ctx: &Ctx, _args: ListArgs) -> Result<()> {
    Err(Error::failure(
        "`list-referrals` is not built yet in this version of hunter-pc",
    ))
}
