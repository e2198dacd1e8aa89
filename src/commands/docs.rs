//! `completions SHELL` and `man`: generated from the clap definition, so they never drift.

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::Result;

pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "hunter-pc", &mut buf);
    crate::output::emit(&String::from_utf8_lossy(&buf))?;
    Ok(())
}

pub fn man() -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    crate::output::emit(&String::from_utf8_lossy(&buf))?;
    Ok(())
}
