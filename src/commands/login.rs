//! `login` and `logout` (issue: Sign-in).

use crate::cli::LoginArgs;
use crate::commands::Ctx;
use crate::error::{Error, Result};

pub fn login(_ctx: &Ctx, _args: LoginArgs) -> Result<()> {
    Err(Error::failure(
        "`login` is not built yet in this version of hunter-pc",
    ))
}

pub fn logout(_ctx: &Ctx) -> Result<()> {
    Err(Error::failure(
        "`logout` is not built yet in this version of hunter-pc",
    ))
}
