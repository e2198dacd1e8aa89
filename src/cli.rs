//! Command-line definitions only (clap). Behaviour lives in `commands/`.
//! Value enums stay here: flags reach the library as settings (`config::Flags`), never as
//! clap types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Brings Microsoft Partner Center referrals into Hunter's database.
#[derive(Debug, Parser)]
#[command(
    name = "hunter-pc",
    version,
    about,
    long_about = None,
    max_term_width = 100,
    after_help = TOP_EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes. Settings not given here come from the environment or the
/// config file (see `config.rs`). `--help` lists them under their own heading.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Postgres connection URL [env: DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// TOML config file [env: HUNTER_PC_CONFIG]
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Log format on stderr [env: HUNTER_PC_LOG_FORMAT]
    #[arg(long, global = true, value_parser = ["auto", "text", "json"])]
    pub log_format: Option<String>,
    /// More logs (-v debug, -vv trace); RUST_LOG wins when set
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Fewer logs (-q warnings, -qq errors only)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// Never draw progress bars [env: HUNTER_PC_NO_PROGRESS]
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with the device-code flow and store the refresh token
    #[command(after_help = LOGIN_EXAMPLES)]
    Login(LoginArgs),
    /// Remove stored tokens from every store
    #[command(after_help = LOGOUT_EXAMPLES)]
    Logout,
    /// Configuration, database, sign-in and last-sync health; changes nothing
    #[command(after_help = STATUS_EXAMPLES)]
    Status(StatusArgs),
    /// Fetch, record, scan and score referrals once
    #[command(after_help = SYNC_EXAMPLES)]
    Sync(SyncArgs),
    /// Apply or revert hunter-pc's schema migrations
    #[command(subcommand, after_help = MIGRATE_EXAMPLES)]
    Migrate(MigrateCommand),
    /// Recompute scores from stored signals and referral facts
    #[command(after_help = RESCORE_EXAMPLES)]
    Rescore(RescoreArgs),
    /// Show stored referrals with their company, provider and score
    #[command(after_help = LIST_EXAMPLES)]
    ListReferrals(ListArgs),
    /// Scan domains' DNS mail signals now
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Print a shell completion script
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): every command, setting, file and exit code
    #[command(after_help = MAN_EXAMPLES)]
    Man,
}

#[derive(Debug, Args)]
pub struct JsonArg {
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON on stdout
    #[arg(long, conflicts_with = "check")]
    pub json: bool,
    /// Health check for monitors: one line, exit 0 when the last ok API sync is recent enough
    #[arg(long)]
    pub check: bool,
    /// With --check: how old the last ok API sync may be (90s, 30m, 2h, 1d)
    #[arg(
        long,
        value_name = "DURATION",
        requires = "check",
        value_parser = crate::ops::status::parse_max_age
    )]
    pub max_age: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Entra tenant id or name [env: HUNTER_PC_TENANT_ID]
    #[arg(long, value_name = "ID")]
    pub tenant: Option<String>,
    /// Entra app (public client) id [env: HUNTER_PC_CLIENT_ID]
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Where to keep the refresh token [env: HUNTER_PC_TOKEN_STORE]
    #[arg(long, value_parser = ["auto", "keyring", "file"])]
    pub token_store: Option<String>,
    /// Read a refresh token from stdin, redeem it once and store the rotated one
    #[arg(long)]
    pub refresh_token_stdin: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Run even if the last sync was recent; re-read and reprocess every referral
    #[arg(long)]
    pub force: bool,
    /// Process everything in one transaction and roll it back
    #[arg(long)]
    pub dry_run: bool,
    /// Read referrals from a file (JSON array, API page or NDJSON; `-` for stdin)
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
    /// Skip DNS scans this run
    #[arg(long, conflicts_with = "rescan")]
    pub no_scan: bool,
    /// Rescan every touched domain even if it has a completed scan
    #[arg(long)]
    pub rescan: bool,
    /// Print the summary as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Write the run's metrics to this file (Prometheus text format) [env: HUNTER_PC_METRICS_FILE]
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (all, or up to and including --to); on an empty database also
    /// create Hunter's five tables
    Up {
        /// Apply up to and including VERSION (e.g. 20261201000003)
        #[arg(long, value_name = "VERSION")]
        to: Option<String>,
        /// List what would run and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Revert migrations (one by default); the last drops hunter-pc's schema (and Hunter's
    /// tables only when hunter-pc created them)
    Down {
        /// Revert this many migrations
        #[arg(long, value_name = "N", conflicts_with_all = ["to", "all"])]
        steps: Option<usize>,
        /// Revert every migration newer than VERSION, leaving VERSION applied
        #[arg(long, value_name = "VERSION", conflicts_with = "all")]
        to: Option<String>,
        /// Revert every migration
        #[arg(long)]
        all: bool,
        /// List what would run and change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Applied and pending migrations, and the database shape
    Status(JsonArg),
    /// Revert the newest migration and apply it again
    Redo,
}

#[derive(Debug, Args)]
pub struct RescoreArgs {
    /// Only this company domain
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Compute and report, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferralTypeFilter {
    CoSell,
    Marketplace,
    SolutionProvider,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Ndjson,
    Csv,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Category: co-sell, marketplace, solution-provider, or none (no category)
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub referral_type: Option<ReferralTypeFilter>,
    /// Partner Center status (New, Active, Closed, …)
    #[arg(long, value_name = "S")]
    pub status: Option<String>,
    /// Lead segment (Existing, Migration, Cold, Skip)
    #[arg(long, value_name = "S")]
    pub segment: Option<String>,
    /// Customer domain
    #[arg(long, value_name = "D")]
    pub domain: Option<String>,
    /// Text in company, customer or domain (any case)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Partner Center update time at or after this (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "DATETIME")]
    pub since: Option<String>,
    /// Only referrals without a domain
    #[arg(long)]
    pub unlinked: bool,
    /// Output format (table on a terminal by default, else json)
    #[arg(long, value_enum)]
    pub format: Option<ListFormat>,
    /// At most N rows (default 100 for table, none otherwise)
    #[arg(long, value_name = "N")]
    pub limit: Option<i64>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Domains to scan
    #[arg(required = true, value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Print JSON on stdout
    #[arg(long)]
    pub json: bool,
}

// Examples shown by `--help` and in the man page (each line: two spaces, the command, and
// optionally two spaces, `# ` and what it does).

const TOP_EXAMPLES: &str = "\
Examples:
  hunter-pc status                         # settings in effect, database, sign-in, last run
  hunter-pc sync --from-file page.json     # import referrals from a file, no sign-in needed
  hunter-pc list-referrals --type co-sell  # what is stored

Settings come from options, environment variables and /etc/hunter-pc/config.toml.
`man hunter-pc` lists every setting, file and exit code.";

const LOGIN_EXAMPLES: &str = "\
Examples:
  hunter-pc login                       # on a workstation: the OS keyring, else the token file
  sudo -u hunter-pc hunter-pc login     # on a server, as the service user (scripts/install)
  hunter-pc login --refresh-token-stdin < rt.txt  # provision with a token obtained elsewhere";

const LOGOUT_EXAMPLES: &str = "\
Examples:
  hunter-pc logout  # remove the token from the keyring and the token file";

const STATUS_EXAMPLES: &str = "\
Examples:
  hunter-pc status         # one screen: settings, database, migrations, sign-in, last run
  hunter-pc status --json  # the same as JSON, for dashboards
  hunter-pc status --check --max-age 1h  # for monitors: exit 0 when an ok API sync is < 1h old";

const SYNC_EXAMPLES: &str = "\
Examples:
  hunter-pc sync                        # what the timer runs: new and changed referrals
  hunter-pc sync --force                # now; re-read and reprocess every referral
  hunter-pc sync --from-file page.json  # a JSON array, an API page or NDJSON (- = stdin)
  hunter-pc sync --dry-run --json       # process, roll back, print the summary";

const MIGRATE_EXAMPLES: &str = "\
Examples:
  hunter-pc migrate up                    # apply every pending migration
  hunter-pc migrate status --json         # applied and pending versions
  hunter-pc migrate down --all --dry-run  # what a full rollback would revert and drop";

const RESCORE_EXAMPLES: &str = "\
Examples:
  hunter-pc rescore --dry-run --json         # after a setting change: what would move
  hunter-pc rescore --domain contoso.com.tr  # one company";

const LIST_EXAMPLES: &str = "\
Examples:
  hunter-pc list-referrals --type co-sell --since 2026-11-01
  hunter-pc list-referrals --unlinked --format csv > unlinked.csv  # referrals without a domain
  hunter-pc list-referrals --search anadolu --format ndjson";

const SCAN_EXAMPLES: &str = "\
Examples:
  hunter-pc scan contoso.com.tr  # scan now; stored and rescored when a referral names it
  hunter-pc scan --json contoso.com.tr fabrikam.de";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  hunter-pc completions bash > /usr/local/share/bash-completion/completions/hunter-pc
  hunter-pc completions zsh > ~/.zfunc/_hunter-pc";

const MAN_EXAMPLES: &str = "\
Examples:
  hunter-pc man | man -l -                               # read it now
  hunter-pc man > /usr/local/share/man/man1/hunter-pc.1  # install it (scripts/install does)";
