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

/// One setting: its config-file key and its environment variable.
pub struct Key {
    pub file_key: &'static str,
    pub env: &'static str,
}

const fn key(file_key: &'static str, env: &'static str) -> Key {
    Key { file_key, env }
}

pub const DATABASE_URL: Key = key("database_url", "DATABASE_URL");
pub const LOG_FORMAT: Key = key("log_format", "HUNTER_PC_LOG_FORMAT");
pub const NO_PROGRESS: Key = key("no_progress", "HUNTER_PC_NO_PROGRESS");
pub const ENABLED: Key = key("enabled", "HUNTER_PC_ENABLED");
pub const CLIENT_ID: Key = key("client_id", "HUNTER_PC_CLIENT_ID");
pub const TENANT_ID: Key = key("tenant_id", "HUNTER_PC_TENANT_ID");
pub const SCOPE: Key = key("scope", "HUNTER_PC_SCOPE");
pub const AUTHORITY_URL: Key = key("authority_url", "HUNTER_PC_AUTHORITY_URL");
pub const API_URL: Key = key("api_url", "HUNTER_PC_API_URL");
pub const TOKEN_STORE: Key = key("token_store", "HUNTER_PC_TOKEN_STORE");
pub const TOKEN_FILE: Key = key("token_file", "HUNTER_PC_TOKEN_FILE");
pub const PAGE_SIZE: Key = key("page_size", "HUNTER_PC_PAGE_SIZE");
pub const REQUEST_INTERVAL_MS: Key = key("request_interval_ms", "HUNTER_PC_REQUEST_INTERVAL_MS");
pub const MAX_RETRIES: Key = key("max_retries", "HUNTER_PC_MAX_RETRIES");
pub const HTTP_TIMEOUT_SECS: Key = key("http_timeout_secs", "HUNTER_PC_HTTP_TIMEOUT_SECS");
pub const RUN_BUDGET_SECS: Key = key("run_budget_secs", "HUNTER_PC_RUN_BUDGET_SECS");
pub const LOOKBACK_SECS: Key = key("lookback_secs", "HUNTER_PC_LOOKBACK_SECS");
pub const MIN_SYNC_INTERVAL_SECS: Key =
    key("min_sync_interval_secs", "HUNTER_PC_MIN_SYNC_INTERVAL_SECS");
pub const DIRECTION: Key = key("direction", "HUNTER_PC_DIRECTION");
pub const DNS_SERVERS: Key = key("dns_servers", "HUNTER_PC_DNS_SERVERS");
pub const DNS_TIMEOUT_MS: Key = key("dns_timeout_ms", "HUNTER_PC_DNS_TIMEOUT_MS");
pub const SCAN_CONCURRENCY: Key = key("scan_concurrency", "HUNTER_PC_SCAN_CONCURRENCY");
pub const SCAN_RETRY_SECS: Key = key("scan_retry_secs", "HUNTER_PC_SCAN_RETRY_SECS");
pub const METRICS_FILE: Key = key("metrics_file", "HUNTER_PC_METRICS_FILE");
pub const COSELL_BONUS: Key = key("cosell_bonus", "HUNTER_PC_COSELL_BONUS");
pub const AZURE_TENANT_SCORE: Key = key("azure_tenant_score", "HUNTER_PC_AZURE_TENANT_SCORE");

/// Every setting, for validating config-file keys and for `status`.
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
    &DIRECTION,
    &DNS_SERVERS,
    &DNS_TIMEOUT_MS,
    &SCAN_CONCURRENCY,
    &SCAN_RETRY_SECS,
    &METRICS_FILE,
    &COSELL_BONUS,
    &AZURE_TENANT_SCORE,
];

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
    /// Whether a referral's `direction` (already lower-cased) is wanted.
    pub fn wants(self, direction: &str) -> bool {
        match self {
            Direction::Incoming => direction == "incoming",
            Direction::Outgoing => direction == "outgoing",
            Direction::All => direction == "incoming" || direction == "outgoing",
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
    pub direction: Direction,
    /// `None`: the system resolver configuration.
    pub dns_servers: Option<Vec<SocketAddr>>,
    pub dns_timeout_ms: u64,
    pub scan_concurrency: usize,
    pub scan_retry_secs: u64,
    /// Where each sync writes its metrics (Prometheus text format), if anywhere.
    pub metrics_file: Option<PathBuf>,
    pub cosell_bonus: i32,
    pub azure_tenant_score: i32,
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
fn config_path(flags: &Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Option<PathBuf>> {
    if let Some(p) = &flags.config {
        return Ok(Some(p.clone()));
    }
    if let Some(p) = env("HUNTER_PC_CONFIG").filter(|v| !v.is_empty()) {
        return Ok(Some(PathBuf::from(p)));
    }
    let etc = PathBuf::from("/etc/hunter-pc/config.toml");
    if etc.is_file() {
        return Ok(Some(etc));
    }
    let xdg = env("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")));
    if let Some(x) = xdg {
        let p = x.join("hunter-pc/config.toml");
        if p.is_file() {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

fn read_config_file(path: &Path) -> Result<(String, toml::Table)> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::config(format!(
            "cannot read config file {}: {e}; fix the path in --config or HUNTER_PC_CONFIG",
            path.display()
        ))
    })?;
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
            return Err(Error::config(format!(
                "{}: line {line}: unknown setting {k:?}",
                path.display()
            )));
        }
    }
    Ok((text, table))
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
        Self::load_with(flags, &|k| std::env::var(k).ok())
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
            metrics_file: s.get_opt_string(&METRICS_FILE).map(PathBuf::from),
            cosell_bonus: s.get(&COSELL_BONUS, 15, "a score from 0 to 100", score)?,
            azure_tenant_score: s.get(&AZURE_TENANT_SCORE, 55, "a score from 0 to 100", score)?,
            config_file,
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
            "direction": self.direction.as_str(),
            "dns_servers": self.dns_servers.as_ref().map(|v| v.iter().map(|a| a.to_string()).collect::<Vec<_>>()),
            "dns_timeout_ms": self.dns_timeout_ms,
            "scan_concurrency": self.scan_concurrency,
            "scan_retry_secs": self.scan_retry_secs,
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
    fn redaction_hides_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db?password=x&sslmode=require"),
            "postgres://u:***@h:5432/db?password=***&sslmode=require"
        );
    }
}
