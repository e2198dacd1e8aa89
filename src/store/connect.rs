//! Opening a database session: the connection string hunter-pc hands to libpq (its own
//! connect timeout and TCP keepalives added to what `DATABASE_URL` says), the settings every
//! session starts with (`statement_timeout`, `lock_timeout`), and what a refused connection
//! means for the exit code.
//!
//! - A server that does not answer: 69, naming the timeout that ran out.
//! - Something only the operator can fix (no password, wrong password, unknown database or
//!   role, an unknown connection option, not a Postgres URL, a malformed URL): 78.
//! - Anything else on the way (refused, reset, host not found, too many clients): 69.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::error::{Error, Result};

use super::layout::Schemas;
use super::watchdog;

/// The timeouts of every database session (`HUNTER_PC_DB_*_TIMEOUT_SECS`), and the two
/// schemas its `search_path` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Per connection attempt (libpq's `connect_timeout`; one given in the URL wins).
    pub connect_timeout: Duration,
    /// `statement_timeout` of every session.
    pub statement_timeout: Duration,
    /// `lock_timeout` of every session.
    pub lock_timeout: Duration,
    /// hunter-pc's schema and Hunter's.
    pub schemas: Schemas,
}

impl Default for ConnectOptions {
    /// The documented defaults: 10 s, 60 s, 10 s.
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_secs(10),
            schemas: Schemas::default(),
        }
    }
}

/// TCP keepalives on every connection, so a session that waits (the run's bookkeeping session
/// holds the sync lock for the whole run) notices a peer that went away: probes after 30 s of
/// silence, every 10 s, given up after 3 unanswered.
const KEEPALIVES: [(&str, &str); 4] = [
    ("keepalives", "1"),
    ("keepalives_idle", "30"),
    ("keepalives_interval", "10"),
    ("keepalives_count", "3"),
];

/// What a session is for: the settings it starts with besides the timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Any command's session.
    Plain,
    /// A sync's page session (see [`super::connect_for_pages`]).
    Pages,
    /// A sync's bookkeeping session (the lock and the run record).
    Run,
}

/// The connection string as given, with what hunter-pc adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conninfo {
    /// What libpq gets.
    pub text: String,
    /// The connect timeout in effect, in seconds, and where it comes from.
    pub connect_timeout_secs: u64,
    pub connect_timeout_from: &'static str,
}

const FROM_SETTING: &str = "HUNTER_PC_DB_CONNECT_TIMEOUT_SECS";
const FROM_URL: &str = "connect_timeout in DATABASE_URL";

/// Open a session for `purpose`: connect (bounded by the connect timeout and, behind it, the
/// watchdog), then set its timeouts and settings in one round trip.
pub(crate) fn open(url: &str, opts: &ConnectOptions, purpose: Purpose) -> Result<PgConnection> {
    let info = conninfo(url, opts)?;
    let mut conn = {
        // libpq bounds each attempt by the connect timeout (per address); diesel's own setup
        // statements and ours are bounded by the watchdog.
        let _connecting = watchdog::connecting(
            Duration::from_secs(info.connect_timeout_secs.max(1)) + opts.statement_timeout,
        );
        let mut conn = PgConnection::establish(&info.text).map_err(|e| refused(e, url, &info))?;
        conn.batch_execute(&session_settings(opts, purpose))?;
        conn
    };
    conn.set_instrumentation(watchdog::Watched::new(opts.statement_timeout));
    Ok(conn)
}

/// The `SET` batch a session starts with: its timeouts, and what its purpose wants.
fn session_settings(opts: &ConnectOptions, purpose: Purpose) -> String {
    // `jit = off`: hunter-pc's statements are many short index lookups whose cost estimates
    // (nested loops over a batch) pass the JIT thresholds; compiling them took longer than
    // running them (rescore of 100,000 companies: 6.7 s with JIT, about 1 s without).
    let mut sql = format!(
        "SET statement_timeout = {}; SET lock_timeout = {}; SET jit = off; {}",
        opts.statement_timeout.as_millis(),
        opts.lock_timeout.as_millis(),
        opts.schemas.data_search_path()
    );
    match purpose {
        Purpose::Plain => {}
        // New JSON values (Hunter's `raw_data` and `payload`, whose tables hunter-pc may not
        // alter) are compressed with lz4 rather than pglz where the server has it: about 14% of
        // a first import. A session setting: no table is altered, and every Postgres since 14
        // reads either.
        Purpose::Pages => sql.push_str(
            "; SET synchronous_commit = off; SET enable_seqscan = off; \
             SET application_name = 'hunter-pc pages'; \
             SELECT set_config('default_toast_compression', 'lz4', false) FROM pg_settings \
              WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)",
        ),
        Purpose::Run => sql.push_str("; SET application_name = 'hunter-pc run'"),
    }
    sql
}

/// `url` with the connect timeout and the keepalives added, unless it gives them itself. Both
/// forms libpq reads are kept as they are: a URL (`postgres://…?a=b`, parameters added to its
/// query) and `key=value` pairs (pairs appended). Anything else is a configuration error.
pub(crate) fn conninfo(url: &str, opts: &ConnectOptions) -> Result<Conninfo> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let is_uri = lower.starts_with("postgres://") || lower.starts_with("postgresql://");
    let given: Vec<(String, String)> = if is_uri {
        if !url.starts_with("postgres") {
            // libpq only knows the scheme in lower case.
            return Err(not_postgres(url));
        }
        url.split_once('?')
            .map(|(_, q)| {
                url::form_urlencoded::parse(q.split('#').next().unwrap_or("").as_bytes())
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    } else if scheme_of(url).is_some() || !url.contains('=') {
        return Err(not_postgres(url));
    } else {
        // A malformed string is left to libpq, whose message says where it broke.
        keyword_pairs(url).unwrap_or_default()
    };
    let has = |k: &str| given.iter().any(|(g, _)| g == k);
    let timeout_given = given
        .iter()
        .rev()
        .find(|(k, _)| k == "connect_timeout")
        .and_then(|(_, v)| v.trim().parse::<i64>().ok())
        .filter(|n| *n > 0);
    let mut add: Vec<(&str, String)> = Vec::new();
    if !has("connect_timeout") {
        add.push((
            "connect_timeout",
            opts.connect_timeout.as_secs().max(1).to_string(),
        ));
    }
    for (k, v) in KEEPALIVES {
        if !has(k) {
            add.push((k, v.to_string()));
        }
    }
    let mut text = url.to_string();
    for (k, v) in &add {
        if is_uri {
            text.push(if text.contains('?') { '&' } else { '?' });
        } else {
            text.push(' ');
        }
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    let (connect_timeout_secs, connect_timeout_from) = match (has("connect_timeout"), timeout_given)
    {
        (true, Some(n)) => (n as u64, FROM_URL),
        // `connect_timeout=0` in the URL: libpq waits as long as the system does.
        _ => (opts.connect_timeout.as_secs().max(1), FROM_SETTING),
    };
    Ok(Conninfo {
        text,
        connect_timeout_secs,
        connect_timeout_from,
    })
}

/// The `key = value` pairs of a libpq keyword/value string (values may be single-quoted, with
/// `\'` and `\\`); `None` when it does not read as such.
fn keyword_pairs(s: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(out);
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c.is_whitespace() {
                break;
            }
            key.push(c);
            chars.next();
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.next() != Some('=') || key.is_empty() {
            return None;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'\'') {
            chars.next();
            loop {
                match chars.next()? {
                    '\\' => value.push(chars.next()?),
                    '\'' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                chars.next();
                if c == '\\' {
                    value.push(chars.next()?);
                } else {
                    value.push(c);
                }
            }
        }
        out.push((key, value));
    }
}

/// The scheme of a `scheme://…` URL.
fn scheme_of(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once("://")?;
    let mut chars = scheme.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

fn not_postgres(url: &str) -> Error {
    let shown = match scheme_of(url) {
        Some(scheme) => format!("a {scheme}:// URL"),
        None => "neither a URL nor key=value pairs".to_string(),
    };
    Error::config(format!(
        "DATABASE_URL is not a Postgres connection URL ({shown}): use \
         postgres://user@host:port/database (or libpq's key=value form)"
    ))
}

/// What a connection libpq could not make means: 69 or 78 (see the module's notes).
fn refused(e: diesel::ConnectionError, url: &str, info: &Conninfo) -> Error {
    let text = scrub(&first_line(&e.to_string()), url, &info.text);
    let lower = text.to_ascii_lowercase();
    let err = if lower.contains("timeout expired") {
        Error::unavailable(format!(
            "the database did not answer within {} s ({}): {text}; check that Postgres is \
             running and reachable",
            info.connect_timeout_secs, info.connect_timeout_from
        ))
    } else if lower.contains("no password supplied") || lower.contains("fe_sendauth") {
        Error::config(format!(
            "the database wants a password and none was given ({text}): put it in \
             DATABASE_URL or in ~/.pgpass (PGPASSFILE)"
        ))
    } else if is_malformed(&lower) {
        Error::config(format!(
            "DATABASE_URL is not a valid connection string: {text}"
        ))
    } else if is_refusal(&lower) {
        // The server answered: the URL names something that isn't there, or credentials or
        // settings it does not accept. Retrying will not help.
        Error::config(format!(
            "the database refused the connection: {text}; fix DATABASE_URL"
        ))
    } else {
        Error::unavailable(format!(
            "cannot reach the database: {text}; check DATABASE_URL and that Postgres is running"
        ))
    };
    err.with_source(e)
}

/// libpq could not read the connection string.
fn is_malformed(lower: &str) -> bool {
    [
        "invalid connection option",
        "missing \"=\" after",
        "invalid uri",
        "in uri",
        "invalid percent-encoded token",
        "forbidden value %00",
        "unterminated quoted string",
        "key/value separator",
        "invalid port number",
        "invalid integer value",
        "could not match",
    ]
    .iter()
    .any(|m| lower.contains(m))
        || (lower.starts_with("invalid ") && lower.contains(" value"))
}

/// The server (or libpq, before talking to it) refused what the URL asks for.
fn is_refusal(lower: &str) -> bool {
    [
        "does not exist",
        "authentication",
        "no pg_hba.conf entry",
        "but ssl was required",
        "certificate",
        "not permitted to log in",
        "permission denied for database",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").trim().to_string()
}

/// A libpq message may quote the connection string: never its password.
fn scrub(text: &str, url: &str, conninfo: &str) -> String {
    let mut out = text
        .replace(conninfo, &crate::config::redact_url(url))
        .replace(url, &crate::config::redact_url(url));
    if let Ok(u) = url::Url::parse(url)
        && let Some(p) = u.password()
        && !p.is_empty()
    {
        out = out.replace(p, "***");
        if let Ok(decoded) = urlencoding_decode(p) {
            out = out.replace(&decoded, "***");
        }
    }
    for (k, v) in keyword_pairs(url).unwrap_or_default() {
        if k == "password" && !v.is_empty() {
            out = out.replace(&v, "***");
        }
    }
    out
}

fn urlencoding_decode(s: &str) -> std::result::Result<String, std::string::FromUtf8Error> {
    let bytes: Vec<u8> = url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> ConnectOptions {
        ConnectOptions {
            connect_timeout: Duration::from_secs(7),
            ..ConnectOptions::default()
        }
    }

    #[test]
    fn urls_get_the_connect_timeout_and_keepalives() {
        let c = conninfo("postgres://u@h:5/db", &opts()).unwrap();
        assert_eq!(
            c.text,
            "postgres://u@h:5/db?connect_timeout=7&keepalives=1&keepalives_idle=30\
             &keepalives_interval=10&keepalives_count=3"
        );
        assert_eq!(
            (c.connect_timeout_secs, c.connect_timeout_from),
            (7, FROM_SETTING)
        );
        let c = conninfo(
            "postgresql://u@h/db?sslmode=require&connect_timeout=3&keepalives_idle=99",
            &opts(),
        )
        .unwrap();
        assert_eq!(
            c.text,
            "postgresql://u@h/db?sslmode=require&connect_timeout=3&keepalives_idle=99\
             &keepalives=1&keepalives_interval=10&keepalives_count=3"
        );
        assert_eq!(
            (c.connect_timeout_secs, c.connect_timeout_from),
            (3, FROM_URL)
        );
        // A unix socket in the query, a multi-host URL: kept as they are.
        let c = conninfo("postgres:///db?host=/run/postgresql", &opts()).unwrap();
        assert!(
            c.text
                .starts_with("postgres:///db?host=/run/postgresql&connect_timeout=7&")
        );
        let c = conninfo("postgres://h1:5432,h2:5433/db", &opts()).unwrap();
        assert!(
            c.text
                .starts_with("postgres://h1:5432,h2:5433/db?connect_timeout=7&")
        );
    }

    #[test]
    fn keyword_strings_get_pairs_appended() {
        let c = conninfo("host=h dbname=db", &opts()).unwrap();
        assert_eq!(
            c.text,
            "host=h dbname=db connect_timeout=7 keepalives=1 keepalives_idle=30 \
             keepalives_interval=10 keepalives_count=3"
        );
        let c = conninfo(
            "host = h password='a b\\' c=d' connect_timeout = 4 keepalives=0",
            &opts(),
        )
        .unwrap();
        assert_eq!(
            c.text,
            "host = h password='a b\\' c=d' connect_timeout = 4 keepalives=0 \
             keepalives_idle=30 keepalives_interval=10 keepalives_count=3"
        );
        assert_eq!(c.connect_timeout_secs, 4);
        // `connect_timeout=0` (wait forever) is the URL's choice; the message names the setting
        // the watchdog uses.
        let c = conninfo("host=h connect_timeout=0", &opts()).unwrap();
        assert!(!c.text.contains("connect_timeout=7"));
        assert_eq!(
            (c.connect_timeout_secs, c.connect_timeout_from),
            (7, FROM_SETTING)
        );
    }

    #[test]
    fn other_urls_are_configuration_errors() {
        for bad in [
            "mysql://u@h/db",
            "http://h/",
            "POSTGRES://u@h/db",
            "not a url",
            "",
            "://x",
        ] {
            let e = conninfo(bad, &opts()).unwrap_err();
            assert_eq!(e.exit_code(), 78, "{bad}");
            assert!(e.message.contains("not a Postgres connection URL"), "{bad}");
        }
        assert!(
            conninfo("mysql://u:pw@h/db", &opts())
                .unwrap_err()
                .message
                .contains("a mysql:// URL")
        );
    }

    #[test]
    fn libpq_messages_map_to_exit_codes() {
        let info = conninfo("postgres://u:s3cr%40t@h/db", &opts()).unwrap();
        let code = |msg: &str| {
            refused(
                diesel::ConnectionError::BadConnection(msg.to_string()),
                "postgres://u:s3cr%40t@h/db",
                &info,
            )
        };
        for (msg, want) in [
            ("connection to server at \"h\" failed: timeout expired", 69),
            (
                "connection to server at \"h\" failed: Connection refused",
                69,
            ),
            ("could not translate host name \"h\" to address", 69),
            ("FATAL:  sorry, too many clients already", 69),
            ("fe_sendauth: no password supplied", 78),
            ("FATAL:  password authentication failed for user \"u\"", 78),
            ("FATAL:  database \"db\" does not exist", 78),
            ("invalid connection option \"foo\"", 78),
            ("invalid URI query parameter: \"foo\"", 78),
            ("invalid sslmode value: \"maybe\"", 78),
            ("invalid port number: \"x\"", 78),
            ("missing \"=\" after \"x\" in connection info string", 78),
            ("FATAL:  no pg_hba.conf entry for host \"1.2.3.4\"", 78),
        ] {
            assert_eq!(code(msg).exit_code(), want, "{msg}");
        }
        let e = code("connection to server at \"h\" failed: timeout expired");
        assert!(
            e.message.starts_with(
                "the database did not answer within 7 s (HUNTER_PC_DB_CONNECT_TIMEOUT_SECS)"
            ),
            "{}",
            e.message
        );
        // A message that quotes the URL never shows its password.
        let e =
            code("unexpected character \"x\" at position 3 in URI: \"postgres://u:s3cr%40t@h/db\"");
        assert!(!e.message.contains("s3cr"), "{}", e.message);
        assert!(!code("x s3cr@t y").message.contains("s3cr"));
    }

    #[test]
    fn sessions_start_with_their_timeouts() {
        let o = ConnectOptions {
            statement_timeout: Duration::from_secs(60),
            lock_timeout: Duration::from_millis(1500),
            ..ConnectOptions::default()
        };
        assert_eq!(
            session_settings(&o, Purpose::Plain),
            "SET statement_timeout = 60000; SET lock_timeout = 1500; SET jit = off; \
             SET search_path = \"hunter_pc\", \"public\", pg_temp"
        );
        assert!(session_settings(&o, Purpose::Pages).contains("'hunter-pc pages'"));
        assert!(session_settings(&o, Purpose::Run).ends_with("'hunter-pc run'"));
    }
}
