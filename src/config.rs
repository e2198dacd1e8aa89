//! Settings: flag > environment > TOML file > default.
//!
//! Every setting has one row in [`KEYS`]: its config-file key and its environment variable.
//! A bad value is a configuration error (exit 78) that names where the value came from: the
//! flag, the variable, or the file and line.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;
use url::Url;

use crate::auth::store::TokenStoreKind;
use crate::error::{Error, Result};
use crate::logging::LogFormat;

/// One setting: its config-file key, its environment variable, its default and what it does.
/// The man page (SETTINGS), `status --json` (`config`) and the README's table are all checked
/// against [`KEYS`], so they cannot drift apart.
pub struct Key {
    pub file_key: &'static str,
    pub env: &'static str,
    /// The default as an operator reads it (`100`, `none`, `system resolver`).
    pub default: &'static str,
    /// One line: what the setting does.
    pub meaning: &'static str,
    /// The command-line option that also sets it (`--database-url`, `login --tenant`).
    pub flag: Option<&'static str>,
}

const fn key(
    file_key: &'static str,
    env: &'static str,
    default: &'static str,
    meaning: &'static str,
) -> Key {
    Key {
        file_key,
        env,
        default,
        meaning,
        flag: None,
    }
}

const fn flagged(
    file_key: &'static str,
    env: &'static str,
    default: &'static str,
    meaning: &'static str,
    flag: &'static str,
) -> Key {
    Key {
        file_key,
        env,
        default,
        meaning,
        flag: Some(flag),
    }
}

pub const DATABASE_URL: Key = flagged(
    "database_url",
    "DATABASE_URL",
    "none",
    "Postgres connection URL; every command that touches the database needs it.",
    "--database-url",
);
pub const LOG_FORMAT: Key = flagged(
    "log_format",
    "HUNTER_PC_LOG_FORMAT",
    "auto",
    "Logs on stderr: auto (text on a terminal, else JSON lines), text or json.",
    "--log-format",
);
pub const NO_PROGRESS: Key = flagged(
    "no_progress",
    "HUNTER_PC_NO_PROGRESS",
    "false",
    "Never draw progress bars (they are drawn only when stderr is a terminal anyway).",
    "--no-progress",
);
pub const ENABLED: Key = key(
    "enabled",
    "HUNTER_PC_ENABLED",
    "false",
    "Feature flag: while false an API sync says so in one line and exits 0; \
     sync --from-file is not gated.",
);
pub const CLIENT_ID: Key = flagged(
    "client_id",
    "HUNTER_PC_CLIENT_ID",
    "none",
    "Entra app registration (public client) id; login and API syncs need it.",
    "login --client-id",
);
pub const TENANT_ID: Key = flagged(
    "tenant_id",
    "HUNTER_PC_TENANT_ID",
    "organizations",
    "Entra tenant id or name (a single-tenant app needs its own tenant id).",
    "login --tenant",
);
pub const SCOPE: Key = key(
    "scope",
    "HUNTER_PC_SCOPE",
    DEFAULT_SCOPE,
    "OAuth scopes requested at sign-in and refresh, space-separated.",
);
pub const AUTHORITY_URL: Key = key(
    "authority_url",
    "HUNTER_PC_AUTHORITY_URL",
    "https://login.microsoftonline.com",
    "Sign-in host: {authority}/{tenant}/oauth2/v2.0/devicecode and …/token.",
);
pub const API_URL: Key = key(
    "api_url",
    "HUNTER_PC_API_URL",
    "https://api.partner.microsoft.com",
    "Partner Center host; referrals are read from {api}/v1.0/engagements/referrals.",
);
pub const TOKEN_STORE: Key = flagged(
    "token_store",
    "HUNTER_PC_TOKEN_STORE",
    "auto",
    "Where the refresh token is kept: auto (the OS keyring when it answers within 3 s, \
     else the file), keyring or file.",
    "login --token-store",
);
pub const TOKEN_FILE: Key = key(
    "token_file",
    "HUNTER_PC_TOKEN_FILE",
    "$STATE_DIRECTORY/token.json, else $XDG_STATE_HOME/hunter-pc/token.json \
     (~/.local/state/hunter-pc/token.json)",
    "The file store: mode 0600, written atomically; group-readable is warned about, \
     readable by others is refused (exit 77).",
);
pub const PAGE_SIZE: Key = key(
    "page_size",
    "HUNTER_PC_PAGE_SIZE",
    "100",
    "Referrals per API page ($top), 1-1000; also the batch size of file imports.",
);
pub const REQUEST_INTERVAL_MS: Key = key(
    "request_interval_ms",
    "HUNTER_PC_REQUEST_INTERVAL_MS",
    "1000",
    "Minimum spacing between Partner Center requests, in milliseconds.",
);
pub const MAX_RETRIES: Key = key(
    "max_retries",
    "HUNTER_PC_MAX_RETRIES",
    "2",
    "Retries per request after the first attempt (429, 5xx, timeouts, connection errors), 0-20.",
);
pub const HTTP_TIMEOUT_SECS: Key = key(
    "http_timeout_secs",
    "HUNTER_PC_HTTP_TIMEOUT_SECS",
    "30",
    "Timeout of one HTTP request, in seconds.",
);
pub const RUN_BUDGET_SECS: Key = key(
    "run_budget_secs",
    "HUNTER_PC_RUN_BUDGET_SECS",
    "480",
    "Wall-clock budget of one sync; past it the sync commits what it has and exits 75.",
);
pub const LOOKBACK_SECS: Key = key(
    "lookback_secs",
    "HUNTER_PC_LOOKBACK_SECS",
    "600",
    "Overlap re-read behind the incremental cursor, in seconds.",
);
pub const MIN_SYNC_INTERVAL_SECS: Key = key(
    "min_sync_interval_secs",
    "HUNTER_PC_MIN_SYNC_INTERVAL_SECS",
    "60",
    "An API sync this soon after the start of the last good one is skipped (exit 0) \
     unless --force.",
);
pub const SCHEMA: Key = key(
    "schema",
    "HUNTER_PC_SCHEMA",
    "hunter_pc",
    "Schema of hunter-pc's own tables and migration bookkeeping; must differ from \
     HUNTER_PC_HUNTER_SCHEMA.",
);
pub const HUNTER_SCHEMA: Key = key(
    "hunter_schema",
    "HUNTER_PC_HUNTER_SCHEMA",
    "public",
    "Schema of Hunter's tables (companies, raw_leads, domain_signals, lead_scores, …).",
);
pub const DB_CONNECT_TIMEOUT_SECS: Key = key(
    "db_connect_timeout_secs",
    "HUNTER_PC_DB_CONNECT_TIMEOUT_SECS",
    "10",
    "Database connect timeout per attempt, in seconds (a connect_timeout in DATABASE_URL wins).",
);
pub const DB_STATEMENT_TIMEOUT_SECS: Key = key(
    "db_statement_timeout_secs",
    "HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS",
    "60",
    "statement_timeout of every database session, in seconds.",
);
pub const DB_LOCK_TIMEOUT_SECS: Key = key(
    "db_lock_timeout_secs",
    "HUNTER_PC_DB_LOCK_TIMEOUT_SECS",
    "10",
    "lock_timeout of every database session, in seconds.",
);
pub const DIRECTION: Key = key(
    "direction",
    "HUNTER_PC_DIRECTION",
    "incoming",
    "Which referrals are imported: incoming, outgoing or all; each keeps its own cursor.",
);
pub const DNS_SERVERS: Key = key(
    "dns_servers",
    "HUNTER_PC_DNS_SERVERS",
    "system resolver",
    "DNS servers for domain scans, a comma-separated ip[:port] list (port 53 when omitted).",
);
pub const DNS_TIMEOUT_MS: Key = key(
    "dns_timeout_ms",
    "HUNTER_PC_DNS_TIMEOUT_MS",
    "2000",
    "Time budget of one DNS question, in milliseconds.",
);
pub const SCAN_CONCURRENCY: Key = key(
    "scan_concurrency",
    "HUNTER_PC_SCAN_CONCURRENCY",
    "16",
    "Domain scans in flight at once, 1-1024.",
);
pub const SCAN_RETRY_SECS: Key = key(
    "scan_retry_secs",
    "HUNTER_PC_SCAN_RETRY_SECS",
    "3600",
    "A failed domain scan is retried by a later sync no sooner than this, in seconds.",
);
pub const RESCAN_AFTER_DAYS: Key = key(
    "rescan_after_days",
    "HUNTER_PC_RESCAN_AFTER_DAYS",
    "30",
    "A completed scan older than this many days is refreshed by a later sync \
     (an NXDOMAIN answer after 7).",
);
pub const RESCAN_BATCH: Key = key(
    "rescan_batch",
    "HUNTER_PC_RESCAN_BATCH",
    "200",
    "At most this many stale scans refreshed per sync, oldest first, within the run budget \
     (0: none).",
);
pub const METRICS_FILE: Key = key(
    "metrics_file",
    "HUNTER_PC_METRICS_FILE",
    "none",
    "File each run writes its metrics to, in the Prometheus text format \
     (node_exporter's textfile collector), atomically.",
);
pub const COSELL_BONUS: Key = key(
    "cosell_bonus",
    "HUNTER_PC_COSELL_BONUS",
    "15",
    "Score bonus for co-sell referrals, 0-100.",
);
pub const AZURE_TENANT_SCORE: Key = key(
    "azure_tenant_score",
    "HUNTER_PC_AZURE_TENANT_SCORE",
    "55",
    "Score of a company whose referral carries an Azure tenant id, 0-100.",
);

/// Every setting, in the order the man page and README list them: for validating config-file
/// keys, for `status`, for the man page.
pub const KEYS: &[&Key] = &[
    &DATABASE_URL,
    &LOG_FORMAT,
    &NO_PROGRESS,
    &ENABLED,
    &CLIENT_ID,
    &TENANT_ID,
    &SCOPE,
    &AUTHORITY_URL,
    &API_URL,
    &TOKEN_STORE,
    &TOKEN_FILE,
    &PAGE_SIZE,
    &REQUEST_INTERVAL_MS,
    &MAX_RETRIES,
    &HTTP_TIMEOUT_SECS,
    &RUN_BUDGET_SECS,
    &LOOKBACK_SECS,
    &MIN_SYNC_INTERVAL_SECS,
    &SCHEMA,
    &HUNTER_SCHEMA,
    &DB_CONNECT_TIMEOUT_SECS,
    &DB_STATEMENT_TIMEOUT_SECS,
    &DB_LOCK_TIMEOUT_SECS,
    &DIRECTION,
    &DNS_SERVERS,
    &DNS_TIMEOUT_MS,
    &SCAN_CONCURRENCY,
    &SCAN_RETRY_SECS,
    &RESCAN_AFTER_DAYS,
    &RESCAN_BATCH,
    &METRICS_FILE,
    &COSELL_BONUS,
    &AZURE_TENANT_SCORE,
];

/// `HUNTER_PC_*` variables that are not settings but are known: no warning for them.
/// `HUNTER_PC_CONFIG` names the config file; `HUNTER_PC_NOTIFY_COMMAND` is read by the
/// `hunter-pc-notify@.service` unit, not by hunter-pc.
pub const OTHER_VARIABLES: &[&str] = &["HUNTER_PC_CONFIG", "HUNTER_PC_NOTIFY_COMMAND"];

pub const DEFAULT_SCOPE: &str = "https://api.partner.microsoft.com/.default offline_access";

/// Which referrals are ingested, and which API filter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
    All,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
            Direction::All => "all",
        }
    }
    /// Whether a referral of this `direction` (as received, any case) is wanted.
    pub fn wants(self, direction: &str) -> bool {
        let incoming = direction.eq_ignore_ascii_case("incoming");
        let outgoing = direction.eq_ignore_ascii_case("outgoing");
        match self {
            Direction::Incoming => incoming,
            Direction::Outgoing => outgoing,
            Direction::All => incoming || outgoing,
        }
    }
}

/// The settings in effect for one command.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config_file: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: LogFormat,
    pub no_progress: bool,
    pub enabled: bool,
    pub client_id: Option<String>,
    pub tenant_id: String,
    pub scope: String,
    pub authority_url: Url,
    pub api_url: Url,
    pub token_store: TokenStoreKind,
    pub token_file: PathBuf,
    pub page_size: u32,
    pub request_interval_ms: u64,
    pub max_retries: u32,
    pub http_timeout_secs: u64,
    pub run_budget_secs: u64,
    pub lookback_secs: u64,
    pub min_sync_interval_secs: u64,
    /// hunter-pc's own schema.
    pub schema: String,
    /// Hunter's schema.
    pub hunter_schema: String,
    pub db_connect_timeout_secs: u64,
    pub db_statement_timeout_secs: u64,
    pub db_lock_timeout_secs: u64,
    pub direction: Direction,
    /// `None`: the system resolver configuration.
    pub dns_servers: Option<Vec<SocketAddr>>,
    pub dns_timeout_ms: u64,
    pub scan_concurrency: usize,
    pub scan_retry_secs: u64,
    pub rescan_after_days: u64,
    pub rescan_batch: u32,
    /// `None`: no metrics file.
    pub metrics_file: Option<PathBuf>,
    pub cosell_bonus: i32,
    pub azure_tenant_score: i32,
    /// Things an operator should fix that do not stop the command (an unknown `HUNTER_PC_*`
    /// variable, a config file open to every user). Logged by the binary once logging is set
    /// up.
    pub warnings: Vec<String>,
}

/// Values given on the command line, by config-file key, and the config file named there.
/// The command-line layer fills it in (`commands::flags`); the library never sees clap.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pub values: BTreeMap<&'static str, String>,
    /// `--config PATH`.
    pub config: Option<PathBuf>,
}

impl Flags {
    pub fn set(&mut self, key: &Key, value: String) {
        self.values.insert(key.file_key, value);
    }
}

/// Where a raw value came from, for error messages.
enum Origin {
    Flag,
    Env(&'static str),
    File { path: PathBuf, line: usize },
}

impl Origin {
    fn describe(&self, key: &Key) -> String {
        match self {
            Origin::Flag => format!("--{}", key.file_key.replace('_', "-")),
            Origin::Env(name) => (*name).to_string(),
            Origin::File { path, line } => {
                format!("{}: line {line}: {}", path.display(), key.file_key)
            }
        }
    }
}

/// The three sources, looked up in precedence order.
struct Sources<'a> {
    flags: &'a Flags,
    env: &'a dyn Fn(&str) -> Option<String>,
    file: Option<(PathBuf, String, toml::Table)>,
}

impl Sources<'_> {
    fn raw(&self, key: &Key) -> Option<(String, Origin)> {
        if let Some(v) = self.flags.values.get(key.file_key) {
            return Some((v.clone(), Origin::Flag));
        }
        if let Some(v) = (self.env)(key.env).filter(|v| !v.is_empty()) {
            return Some((v, Origin::Env(key.env)));
        }
        let (path, text, table) = self.file.as_ref()?;
        let value = table.get(key.file_key)?;
        let s = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
            other => other.to_string(),
        };
        let line = line_of_key(text, key.file_key).unwrap_or(1);
        Some((
            s,
            Origin::File {
                path: path.clone(),
                line,
            },
        ))
    }

    /// Parse a setting with `parse`, or take `default` when no source has it.
    fn get<T>(
        &self,
        key: &Key,
        default: T,
        expected: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T> {
        match self.raw(key) {
            None => Ok(default),
            Some((raw, origin)) => parse(raw.trim()).ok_or_else(|| {
                Error::config(format!(
                    "{}: invalid value {:?}: expected {expected}",
                    origin.describe(key),
                    truncate(&raw, 80)
                ))
            }),
        }
    }

    fn get_opt_string(&self, key: &Key) -> Option<String> {
        self.raw(key)
            .map(|(v, _)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .map(|rest| rest.trim_start().starts_with('='))
                .unwrap_or(false)
        })
        .map(|i| i + 1)
}

/// `true/false/1/0/yes/no`, any case.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

fn parse_url(s: &str) -> Option<Url> {
    let u = Url::parse(s).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host().is_some()).then_some(u)
}

/// `ip[:port]` list, comma-separated; port 53 when omitted; `[v6]:port` for IPv6 with a port.
pub fn parse_dns_servers(s: &str) -> Option<Vec<SocketAddr>> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let addr = if let Ok(sa) = part.parse::<SocketAddr>() {
            sa
        } else {
            SocketAddr::new(part.parse::<IpAddr>().ok()?, 53)
        };
        out.push(addr);
    }
    (!out.is_empty()).then_some(out)
}

fn positive<T: std::str::FromStr + PartialOrd + Default>(s: &str) -> Option<T> {
    s.parse::<T>().ok().filter(|v| *v > T::default())
}

/// The config file to read: `--config`/`HUNTER_PC_CONFIG` (must exist), else
/// `/etc/hunter-pc/config.toml`, else `$XDG_CONFIG_HOME/hunter-pc/config.toml`, when they exist.
/// A default path that may exist but cannot be looked at (a directory the user may not enter)
/// is an error naming it, never silently skipped.
fn config_path(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<PathBuf>> {
    if let Some(p) = &flags.config {
        return Ok(Some(p.clone()));
    }
    if let Some(p) = env("HUNTER_PC_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(Some(PathBuf::from(p)));
    }
    let etc = PathBuf::from(ETC_CONFIG);
    if present(&etc)? {
        return Ok(Some(etc));
    }
    let xdg = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(x) = xdg {
        let p = x.join("hunter-pc/config.toml");
        if present(&p)? {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The system-wide config file.
pub const ETC_CONFIG: &str = "/etc/hunter-pc/config.toml";

/// Whether something is at `path`. "No such file" (also a path through a non-directory) is
/// `false`; any other failure (EACCES on a directory on the way) is the configuration error
/// for that path, because the file may well be there.
fn present(path: &Path) -> Result<bool> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => Ok(false),
        Err(e) => Err(unreadable_config(path, &e)),
    }
}

/// The configuration error for a config file that cannot be read.
fn unreadable_config(path: &Path, e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::PermissionDenied {
        Error::config(format!(
            "cannot read config file {}: permission denied; run hunter-pc as a user that may \
             read it (the service user: `sudo -u hunter-pc hunter-pc …`, or a member of the \
             file's group), or point HUNTER_PC_CONFIG at another file",
            path.display()
        ))
    } else {
        Error::config(format!(
            "cannot read config file {}: {e}; fix the path in --config or HUNTER_PC_CONFIG",
            path.display()
        ))
    }
}

fn read_config_file(path: &Path) -> Result<(String, toml::Table)> {
    let text = std::fs::read_to_string(path).map_err(|e| unreadable_config(path, &e))?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        Error::config(format!(
            "{}: line {line}: {}",
            path.display(),
            e.message().trim()
        ))
    })?;
    for k in table.keys() {
        if !KEYS.iter().any(|key| key.file_key == k) {
            let line = line_of_key(&text, k).unwrap_or(1);
            let hint = closest(k, KEYS.iter().map(|key| key.file_key))
                .map(|c| format!(" (closest: {c:?})"))
                .unwrap_or_default();
            return Err(Error::config(format!(
                "{}: line {line}: unknown setting {k:?}{hint}",
                path.display()
            )));
        }
    }
    Ok((text, table))
}

/// A warning when the config file is open to every user: it may hold the database password.
/// Group-readable (0640, the documented install) is fine.
fn config_mode_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o006 != 0).then(|| {
        format!(
            "config file {} is open to every user (mode {mode:04o}) and may hold the database \
             password: run `chmod o-rwx {}` (0640, group hunter-pc, is what the service needs)",
            path.display(),
            path.display()
        )
    })
}

/// One warning per `HUNTER_PC_*` variable that is no setting, naming the closest setting.
/// Only names are looked at: a value may be a secret.
pub fn unknown_variable_warnings<I, S>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut unknown: Vec<String> = names
        .into_iter()
        .map(|n| n.as_ref().to_string())
        .filter(|n| n.starts_with("HUNTER_PC_"))
        .filter(|n| !KEYS.iter().any(|k| k.env == n) && !OTHER_VARIABLES.contains(&n.as_str()))
        .collect();
    unknown.sort();
    unknown.dedup();
    unknown
        .into_iter()
        .map(|name| {
            let stem = name.trim_start_matches("HUNTER_PC_");
            let best = KEYS
                .iter()
                .map(|k| k.env)
                .chain(OTHER_VARIABLES.iter().copied())
                .min_by_key(|env| levenshtein(stem, env.trim_start_matches("HUNTER_PC_")))
                .unwrap_or("HUNTER_PC_ENABLED");
            format!(
                "unknown environment variable {name} is ignored; the closest setting is {best} \
                 (settings: `man hunter-pc`, SETTINGS)"
            )
        })
        .collect()
}

/// The candidate nearest to `word` by edit distance, when it is near enough to be a typo.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edit distance (insertions, deletions, substitutions), by characters.
fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A Postgres schema name hunter-pc puts into SQL unquoted: lower-case ASCII letters, digits
/// and `_`, not starting with a digit, at most 63 bytes.
fn parse_schema(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    ok.then(|| s.to_string())
}

fn default_token_file(env: &dyn Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(d) = env("STATE_DIRECTORY").filter(|v| !v.is_empty()) {
        // systemd may pass several, colon-separated; the first is ours.
        let first = d.split(':').next().unwrap_or(&d).to_string();
        return PathBuf::from(first).join("token.json");
    }
    let state = env("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env("HOME").unwrap_or_else(|| "/".into())).join(".local/state")
        });
    state.join("hunter-pc/token.json")
}

impl Settings {
    /// Settings from the real process environment.
    pub fn load(flags: &Flags) -> Result<Settings> {
        let mut settings = Self::load_with(flags, &|k| std::env::var(k).ok())?;
        settings.warnings.extend(unknown_variable_warnings(
            std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()),
        ));
        Ok(settings)
    }

    /// Settings from an explicit environment (tests).
    pub fn load_with(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings> {
        let config_file = config_path(flags, env)?;
        let file = match &config_file {
            Some(p) => {
                let (text, table) = read_config_file(p)?;
                Some((p.clone(), text, table))
            }
            None => None,
        };
        let mut warnings = Vec::new();
        if let Some(p) = &config_file {
            warnings.extend(config_mode_warning(p));
        }
        let s = Sources { flags, env, file };

        let log_format = s.get(
            &LOG_FORMAT,
            LogFormat::Auto,
            "auto, text or json",
            |v| match v.to_ascii_lowercase().as_str() {
                "auto" => Some(LogFormat::Auto),
                "text" => Some(LogFormat::Text),
                "json" => Some(LogFormat::Json),
                _ => None,
            },
        )?;
        let token_store = s.get(
            &TOKEN_STORE,
            TokenStoreKind::Auto,
            "auto, keyring or file",
            |v| match v.to_ascii_lowercase().as_str() {
                "auto" => Some(TokenStoreKind::Auto),
                "keyring" => Some(TokenStoreKind::Keyring),
                "file" => Some(TokenStoreKind::File),
                _ => None,
            },
        )?;
        let direction = s.get(
            &DIRECTION,
            Direction::Incoming,
            "incoming, outgoing or all",
            |v| match v.to_ascii_lowercase().as_str() {
                "incoming" => Some(Direction::Incoming),
                "outgoing" => Some(Direction::Outgoing),
                "all" => Some(Direction::All),
                _ => None,
            },
        )?;
        let identifier = "a schema name (lower-case letters, digits and _, at most 63)";
        let schema = s.get(&SCHEMA, "hunter_pc".to_string(), identifier, parse_schema)?;
        let hunter_schema = s.get(
            &HUNTER_SCHEMA,
            "public".to_string(),
            identifier,
            parse_schema,
        )?;
        if schema == hunter_schema {
            return Err(Error::config(format!(
                "HUNTER_PC_SCHEMA and HUNTER_PC_HUNTER_SCHEMA are both {schema:?}: hunter-pc's \
                 tables need a schema of their own (default hunter_pc)"
            )));
        }
        let bool_expected = "true/false/1/0/yes/no";
        let score = |v: &str| v.parse::<i32>().ok().filter(|n| (0..=100).contains(n));
        let settings = Settings {
            database_url: s.get_opt_string(&DATABASE_URL),
            log_format,
            no_progress: s.get(&NO_PROGRESS, false, bool_expected, parse_bool)?,
            enabled: s.get(&ENABLED, false, bool_expected, parse_bool)?,
            client_id: s.get_opt_string(&CLIENT_ID),
            tenant_id: s.get(
                &TENANT_ID,
                "organizations".into(),
                "a tenant id or name",
                |v| (!v.is_empty() && !v.contains(['/', '?', '#', ' '])).then(|| v.to_string()),
            )?,
            scope: s.get(
                &SCOPE,
                DEFAULT_SCOPE.into(),
                "space-separated scopes",
                |v| (!v.is_empty()).then(|| v.to_string()),
            )?,
            authority_url: s.get(
                &AUTHORITY_URL,
                Url::parse("https://login.microsoftonline.com").expect("static URL"),
                "an http(s) URL",
                parse_url,
            )?,
            api_url: s.get(
                &API_URL,
                Url::parse("https://api.partner.microsoft.com").expect("static URL"),
                "an http(s) URL",
                parse_url,
            )?,
            token_store,
            token_file: s.get(&TOKEN_FILE, default_token_file(env), "a file path", |v| {
                (!v.is_empty()).then(|| PathBuf::from(v))
            })?,
            page_size: s.get(&PAGE_SIZE, 100, "a whole number from 1 to 1000", |v| {
                v.parse().ok().filter(|n| (1..=1000).contains(n))
            })?,
            request_interval_ms: s.get(&REQUEST_INTERVAL_MS, 1000, "milliseconds", |v| {
                v.parse().ok()
            })?,
            max_retries: s.get(&MAX_RETRIES, 2, "a whole number from 0 to 20", |v| {
                v.parse().ok().filter(|n| *n <= 20)
            })?,
            http_timeout_secs: s.get(&HTTP_TIMEOUT_SECS, 30, "seconds, above 0", positive)?,
            run_budget_secs: s.get(&RUN_BUDGET_SECS, 480, "seconds, above 0", positive)?,
            lookback_secs: s.get(&LOOKBACK_SECS, 600, "seconds", |v| v.parse().ok())?,
            min_sync_interval_secs: s
                .get(&MIN_SYNC_INTERVAL_SECS, 60, "seconds", |v| v.parse().ok())?,
            schema: schema.clone(),
            hunter_schema,
            db_connect_timeout_secs: s.get(
                &DB_CONNECT_TIMEOUT_SECS,
                10,
                "seconds, above 0",
                positive,
            )?,
            db_statement_timeout_secs: s.get(
                &DB_STATEMENT_TIMEOUT_SECS,
                60,
                "seconds, above 0",
                positive,
            )?,
            db_lock_timeout_secs: s.get(&DB_LOCK_TIMEOUT_SECS, 10, "seconds, above 0", positive)?,
            direction,
            dns_servers: match s.raw(&DNS_SERVERS) {
                None => None,
                Some(_) => Some(s.get(
                    &DNS_SERVERS,
                    Vec::new(),
                    "a comma-separated ip[:port] list",
                    parse_dns_servers,
                )?),
            },
            dns_timeout_ms: s.get(&DNS_TIMEOUT_MS, 2000, "milliseconds, above 0", positive)?,
            scan_concurrency: s.get(
                &SCAN_CONCURRENCY,
                16,
                "a whole number from 1 to 1024",
                |v| v.parse().ok().filter(|n| (1..=1024).contains(n)),
            )?,
            scan_retry_secs: s.get(&SCAN_RETRY_SECS, 3600, "seconds", |v| v.parse().ok())?,
            rescan_after_days: s.get(&RESCAN_AFTER_DAYS, 30, "days, above 0", positive)?,
            rescan_batch: s.get(&RESCAN_BATCH, 200, "a whole number from 0 to 100000", |v| {
                v.parse().ok().filter(|n| *n <= 100_000)
            })?,
            metrics_file: s.get_opt_string(&METRICS_FILE).map(PathBuf::from),
            cosell_bonus: s.get(&COSELL_BONUS, 15, "a score from 0 to 100", score)?,
            azure_tenant_score: s.get(&AZURE_TENANT_SCORE, 55, "a score from 0 to 100", score)?,
            config_file,
            warnings,
        };
        Ok(settings)
    }

    /// The database URL, or the configuration error that says how to give one.
    pub fn require_database_url(&self) -> Result<&str> {
        self.database_url.as_deref().ok_or_else(no_database_url)
    }

    /// The client id, or the configuration error that says how to give one.
    pub fn require_client_id(&self) -> Result<&str> {
        self.client_id.as_deref().ok_or_else(no_client_id)
    }

    /// The timeouts of every database session.
    pub fn db(&self) -> crate::store::ConnectOptions {
        crate::store::ConnectOptions {
            connect_timeout: Duration::from_secs(self.db_connect_timeout_secs),
            statement_timeout: Duration::from_secs(self.db_statement_timeout_secs),
            lock_timeout: Duration::from_secs(self.db_lock_timeout_secs),
            schemas: crate::store::layout::Schemas {
                own: self.schema.clone(),
                hunter: self.hunter_schema.clone(),
            },
        }
    }

    /// What sign-in needs.
    pub fn auth(&self) -> crate::auth::AuthConfig {
        crate::auth::AuthConfig {
            client_id: self.client_id.clone(),
            tenant_id: self.tenant_id.clone(),
            scope: self.scope.clone(),
            authority_url: self.authority_url.clone(),
            token_store: self.token_store,
            token_file: self.token_file.clone(),
            http_timeout: Duration::from_secs(self.http_timeout_secs),
            max_retries: self.max_retries,
        }
    }

    /// What the Partner Center client needs.
    pub fn partner_center(&self) -> crate::partner_center::ClientConfig {
        crate::partner_center::ClientConfig {
            api_url: self.api_url.clone(),
            page_size: self.page_size,
            request_interval: Duration::from_millis(self.request_interval_ms),
            max_retries: self.max_retries,
            http_timeout: Duration::from_secs(self.http_timeout_secs),
            run_budget: Duration::from_secs(self.run_budget_secs),
        }
    }

    /// What the domain scan needs.
    pub fn scan(&self) -> crate::scan::ScanConfig {
        crate::scan::ScanConfig {
            dns_servers: self.dns_servers.clone(),
            dns_timeout: Duration::from_millis(self.dns_timeout_ms),
        }
    }

    /// The scoring numbers.
    pub fn score(&self) -> crate::score::ScoreConfig {
        crate::score::ScoreConfig {
            cosell_bonus: self.cosell_bonus,
            azure_tenant_score: self.azure_tenant_score,
        }
    }

    /// The settings as JSON for `status`, secrets redacted.
    pub fn redacted_json(&self) -> serde_json::Value {
        json!({
            "config_file": self.config_file.as_ref().map(|p| p.display().to_string()),
            "database_url": self.database_url.as_deref().map(redact_url),
            "log_format": match self.log_format {
                LogFormat::Auto => "auto",
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            },
            "no_progress": self.no_progress,
            "enabled": self.enabled,
            "client_id": self.client_id,
            "tenant_id": self.tenant_id,
            "scope": self.scope,
            "authority_url": self.authority_url.as_str(),
            "api_url": self.api_url.as_str(),
            "token_store": self.token_store.as_str(),
            "token_file": self.token_file.display().to_string(),
            "page_size": self.page_size,
            "request_interval_ms": self.request_interval_ms,
            "max_retries": self.max_retries,
            "http_timeout_secs": self.http_timeout_secs,
            "run_budget_secs": self.run_budget_secs,
            "lookback_secs": self.lookback_secs,
            "min_sync_interval_secs": self.min_sync_interval_secs,
            "schema": self.schema,
            "hunter_schema": self.hunter_schema,
            "db_connect_timeout_secs": self.db_connect_timeout_secs,
            "db_statement_timeout_secs": self.db_statement_timeout_secs,
            "db_lock_timeout_secs": self.db_lock_timeout_secs,
            "direction": self.direction.as_str(),
            "dns_servers": self.dns_servers.as_ref().map(|v| v.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
            "dns_timeout_ms": self.dns_timeout_ms,
            "scan_concurrency": self.scan_concurrency,
            "scan_retry_secs": self.scan_retry_secs,
            "rescan_after_days": self.rescan_after_days,
            "rescan_batch": self.rescan_batch,
            "metrics_file": self.metrics_file.as_ref().map(|p| p.display().to_string()),
            "cosell_bonus": self.cosell_bonus,
            "azure_tenant_score": self.azure_tenant_score,
        })
    }
}

/// The configuration error for a missing database URL.
pub fn no_database_url() -> Error {
    Error::config("no database configured: set DATABASE_URL or pass --database-url URL")
}

/// The configuration error for a missing client id.
pub fn no_client_id() -> Error {
    Error::config(
        "no client id configured: set HUNTER_PC_CLIENT_ID (the Entra app registration's \
         application id) or pass --client-id",
    )
}

/// A connection URL with its password replaced by `***` (also in `?password=`).
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            let pairs: Vec<(String, String)> = u
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "***".to_string()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            if !pairs.is_empty() {
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => "(unparseable URL, hidden)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)], flags: Flags) -> Result<Settings> {
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_with(&flags, &move |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let s = load(&[("HOME", "/home/x")], Flags::default()).unwrap();
        assert!(!s.enabled);
        assert_eq!(s.tenant_id, "organizations");
        assert_eq!(s.page_size, 100);
        assert_eq!(s.request_interval_ms, 1000);
        assert_eq!(s.max_retries, 2);
        assert_eq!(s.run_budget_secs, 480);
        assert_eq!(s.direction, Direction::Incoming);
        assert_eq!(s.cosell_bonus, 15);
        assert_eq!(s.azure_tenant_score, 55);
        assert_eq!(
            s.token_file,
            PathBuf::from("/home/x/.local/state/hunter-pc/token.json")
        );
        assert!(s.dns_servers.is_none());
    }

    #[test]
    fn bad_boolean_names_the_variable() {
        let e = load(&[("HUNTER_PC_ENABLED", "maybe")], Flags::default()).unwrap_err();
        assert_eq!(e.exit_code(), 78);
        assert!(e.message.contains("HUNTER_PC_ENABLED"), "{}", e.message);
        for (v, want) in [("YES", true), ("0", false), ("False", false), ("1", true)] {
            assert_eq!(
                load(&[("HUNTER_PC_ENABLED", v)], Flags::default())
                    .unwrap()
                    .enabled,
                want
            );
        }
    }

    #[test]
    fn flag_beats_env() {
        let mut f = Flags::default();
        f.set(&DATABASE_URL, "postgres://flag/db".into());
        let s = load(&[("DATABASE_URL", "postgres://env/db")], f).unwrap();
        assert_eq!(s.database_url.as_deref(), Some("postgres://flag/db"));
    }

    #[test]
    fn dns_servers_parse() {
        assert_eq!(
            parse_dns_servers("127.0.0.1:5353, ::1").unwrap(),
            vec![
                "127.0.0.1:5353".parse().unwrap(),
                "[::1]:53".parse().unwrap()
            ]
        );
        assert!(parse_dns_servers("dns.example").is_none());
        assert!(parse_dns_servers("").is_none());
    }

    #[test]
    fn every_setting_is_in_status_and_its_documented_default_is_the_real_one() {
        let s = load(&[("HOME", "/home/x")], Flags::default()).unwrap();
        let json = s.redacted_json();
        let mut shown: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "config_file")
            .collect();
        shown.sort();
        let mut keys: Vec<&str> = KEYS.iter().map(|k| k.file_key).collect();
        keys.sort();
        assert_eq!(shown, keys);
        // Defaults that are not a literal value are described in words.
        let described = ["token_file", "dns_servers"];
        for key in KEYS {
            let value = &json[key.file_key];
            let shown = match value {
                serde_json::Value::Null => "none".to_string(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if described.contains(&key.file_key) {
                continue;
            }
            let want = key.default.trim_end_matches('/');
            assert_eq!(shown.trim_end_matches('/'), want, "{}", key.env);
        }
        for key in KEYS {
            assert!(!key.meaning.is_empty() && !key.meaning.contains('\n'));
            assert!(
                key.env == "DATABASE_URL"
                    || key.env == format!("HUNTER_PC_{}", key.file_key.to_uppercase()),
                "{}",
                key.env
            );
        }
    }

    #[test]
    fn unknown_variables_name_the_closest_setting_and_never_a_value() {
        let w = unknown_variable_warnings([
            "HUNTER_PC_ENABLD",
            "HUNTER_PC_ENABLED",
            "HUNTER_PC_CONFIG",
            "HUNTER_PC_NOTIFY_COMMAND",
            "PATH",
            "HUNTER_PC_DATABASE_URL",
            "HUNTER_PC_PAGESIZE",
        ]);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(
            w[0].contains("HUNTER_PC_DATABASE_URL")
                && w[0].contains("closest setting is DATABASE_URL"),
            "{w:?}"
        );
        assert!(
            w[1].contains("HUNTER_PC_ENABLD")
                && w[1].contains("closest setting is HUNTER_PC_ENABLED"),
            "{w:?}"
        );
        assert!(
            w[2].contains("closest setting is HUNTER_PC_PAGE_SIZE"),
            "{w:?}"
        );
        assert_eq!(levenshtein("kitten", "sitting"), 3);
        assert_eq!(levenshtein("", "abc"), 3);
        assert_eq!(
            closest("page_sise", KEYS.iter().map(|k| k.file_key)),
            Some("page_size")
        );
        assert_eq!(
            closest("zzzzzzzzzzzzzzzzzz", KEYS.iter().map(|k| k.file_key)),
            None
        );
    }

    #[test]
    fn schemas_are_plain_names_and_must_differ() {
        let s = load(&[], Flags::default()).unwrap();
        assert_eq!(
            (s.schema.as_str(), s.hunter_schema.as_str()),
            ("hunter_pc", "public")
        );
        for bad in ["Public", "1abc", "a-b", "a.b", "a\"b", ""] {
            if bad.is_empty() {
                continue; // empty counts as unset
            }
            let e = load(&[("HUNTER_PC_SCHEMA", bad)], Flags::default()).unwrap_err();
            assert_eq!(e.exit_code(), 78, "{bad}");
            assert!(e.message.contains("HUNTER_PC_SCHEMA"), "{}", e.message);
        }
        let e = load(
            &[("HUNTER_PC_HUNTER_SCHEMA", "hunter_pc")],
            Flags::default(),
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 78);
        assert!(
            e.message.contains("HUNTER_PC_HUNTER_SCHEMA"),
            "{}",
            e.message
        );
        let e = load(&[("HUNTER_PC_DB_LOCK_TIMEOUT_SECS", "0")], Flags::default()).unwrap_err();
        assert!(
            e.message.contains("HUNTER_PC_DB_LOCK_TIMEOUT_SECS"),
            "{}",
            e.message
        );
        let s = load(
            &[
                ("HUNTER_PC_RESCAN_BATCH", "0"),
                ("HUNTER_PC_METRICS_FILE", "/m.prom"),
            ],
            Flags::default(),
        )
        .unwrap();
        assert_eq!(s.rescan_batch, 0);
        assert_eq!(s.metrics_file, Some(PathBuf::from("/m.prom")));
    }

    #[test]
    fn config_files_open_to_everyone_are_warned_about_and_unknown_keys_get_a_hint() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "page_size = 50\n").unwrap();
        let with = |mode: u32| {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let flags = Flags {
                config: Some(path.clone()),
                ..Flags::default()
            };
            load(&[], flags).unwrap().warnings
        };
        assert!(with(0o600).is_empty());
        assert!(with(0o640).is_empty());
        let w = with(0o644);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("0644") && w[0].contains("chmod o-rwx"),
            "{w:?}"
        );
        std::fs::write(&path, "page_sise = 50\n").unwrap();
        let flags = Flags {
            config: Some(path.clone()),
            ..Flags::default()
        };
        let e = load(&[], flags).unwrap_err();
        assert!(
            e.message
                .contains("line 1: unknown setting \"page_sise\" (closest: \"page_size\")"),
            "{}",
            e.message
        );
    }

    #[test]
    fn redaction_hides_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db?password=x&sslmode=require"),
            "postgres://u:***@h:5432/db?password=***&sslmode=require"
        );
    }
}
