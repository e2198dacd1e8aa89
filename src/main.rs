//! The `hunter-pc` binary: parse, set up logging, run the command, map the error to an exit
//! code. A closed stdout (`hunter-pc list-referrals | head -1`) is not an error: the process
//! ends with 0 and prints nothing more.

use std::process::ExitCode;

use clap::Parser;
use hunter_pc::cli::{Cli, Command};
use hunter_pc::config::Settings;
use hunter_pc::error::Error;
use hunter_pc::{commands, logging};

fn main() -> ExitCode {
    // clap prints its own usage errors and exits 2.
    let cli = Cli::parse();
    // Documentation needs no settings: it prints for any user, whatever the config file.
    match &cli.command {
        Command::Man => return finish(commands::docs::man()),
        Command::Completions { shell } => return finish(commands::docs::completions(*shell)),
        _ => {}
    }
    let settings = match Settings::load(&commands::flags(&cli)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    logging::init(settings.log_format, cli.global.verbose, cli.global.quiet);
    // A database that stops answering mid-statement ends the command (69) instead of hanging.
    hunter_pc::store::watchdog::arm(|message| {
        logging::error_line(message);
        std::process::exit(69);
    });
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    finish(commands::run(cli, settings))
}

fn finish(result: hunter_pc::error::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// Every non-zero exit ends stderr with one `error: …` line.
fn fail(e: &Error) -> ExitCode {
    if e.is_broken_pipe() {
        return ExitCode::SUCCESS;
    }
    tracing::debug!(error = %e.chain(), "command failed");
    logging::error_line(&e.message);
    ExitCode::from(e.exit_code() as u8)
}
