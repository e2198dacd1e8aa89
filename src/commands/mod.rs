//! One module per subcommand: gather inputs, call the library, print.

pub mod docs;
pub mod list_referrals;
pub mod login;
pub mod migrate;
pub mod rescore;
pub mod scan;
pub mod status;
pub mod sync;

use std::io::IsTerminal;

use crate::cli::{Cli, Command};
use crate::config::{self, Flags, Settings};
use crate::error::{Error, Result};

/// What every command gets: the settings in effect and whether it may draw progress bars.
pub struct Ctx {
    pub settings: Settings,
}

impl Ctx {
    /// Progress bars only on a terminal, and not with `--no-progress`.
    pub fn progress(&self) -> bool {
        !self.settings.no_progress && std::io::stderr().is_terminal()
    }
}

/// The command line's settings (cli.md: flag > env > file > default): the global options and
/// the command options that are also settings (e.g. `login --tenant`).
pub fn flags(cli: &Cli) -> Flags {
    let g = &cli.global;
    let mut flags = Flags {
        config: g.config.clone(),
        ..Flags::default()
    };
    if let Some(u) = &g.database_url {
        flags.set(&config::DATABASE_URL, u.clone());
    }
    if let Some(l) = &g.log_format {
        flags.set(&config::LOG_FORMAT, l.clone());
    }
    if g.no_progress {
        flags.set(&config::NO_PROGRESS, "true".to_string());
    }
    if let Command::Sync(a) = &cli.command
        && let Some(p) = &a.metrics_file
    {
        flags.set(&config::METRICS_FILE, p.display().to_string());
    }
    if let Command::Login(a) = &cli.command {
        if let Some(t) = &a.tenant {
            flags.set(&config::TENANT_ID, t.clone());
        }
        if let Some(c) = &a.client_id {
            flags.set(&config::CLIENT_ID, c.clone());
        }
        if let Some(s) = &a.token_store {
            flags.set(&config::TOKEN_STORE, s.clone());
        }
    }
    flags
}

/// Run one parsed command.
pub fn run(cli: Cli, settings: Settings) -> Result<()> {
    let ctx = Ctx { settings };
    match cli.command {
        Command::Migrate(m) => migrate::run(&ctx, m),
        Command::Status(a) => status::run(&ctx, a),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
        Command::Login(a) => login::login(&ctx, a),
        Command::Logout => login::logout(&ctx),
        Command::Sync(a) => sync::run(&ctx, a),
        Command::Rescore(a) => rescore::run(&ctx, a),
        Command::ListReferrals(a) => list_referrals::run(&ctx, a),
        Command::Scan(a) => scan::run(&ctx, a),
    }
}

/// A domain name an operator typed, as the tables store it: lower-case ASCII through the host
/// rules of pipeline.md §5 (IDNA, `İ`, dot variants, trailing dots); anything else is a usage
/// error.
pub fn given_domain(given: &str) -> Result<String> {
    crate::pipeline::domain::normalize_host(given).ok_or_else(|| {
        Error::usage(format!(
            "{given:?} is not a domain name (example: contoso.com.tr)"
        ))
    })
}

pub use crate::ops::runtime;

#[cfg(test)]
mod tests {
    #[test]
    fn given_domains_are_stored_names_or_usage_errors() {
        assert_eq!(
            super::given_domain(" Contoso.COM. ").unwrap(),
            "contoso.com"
        );
        assert_eq!(
            super::given_domain("örnek.com.tr").unwrap(),
            "xn--rnek-4qa.com.tr"
        );
        assert_eq!(
            super::given_domain("İSTANBUL-HALI.COM.TR").unwrap(),
            "istanbul-hali.com.tr"
        );
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a_b.com",
            "127.0.0.1",
            "a b.com",
            "localhost",
        ] {
            let e = super::given_domain(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }
}
