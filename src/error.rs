//! One error type for the whole tool. Its kind decides the exit code, in one place
//! ([`Kind::exit_code`]), following the exit-code table of the command-line contract
//! (README, "Exit codes"). The error that caused it is kept as its source, so a log at debug
//! level can show the whole chain while the `error:` line stays one sentence.

use std::fmt;
use std::sync::Arc;

/// What went wrong, as far as the caller (an operator or the systemd timer) needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 1: a failure that fits nowhere else (also: some referrals failed).
    Failure,
    /// 2: the command line itself is wrong.
    Usage,
    /// 65: the input file is not readable as referrals.
    DataErr,
    /// 66: the input file is missing or unreadable.
    NoInput,
    /// 69: Partner Center, the sign-in service or the database is unreachable.
    Unavailable,
    /// 75: try again later (lock held, run budget exhausted, interrupted, a lock or
    /// serialization conflict in the database).
    TempFail,
    /// 77: not signed in, or the sign-in expired or was revoked.
    NoPerm,
    /// 78: configuration missing or invalid, or migrations pending.
    Config,
}

impl Kind {
    /// The process exit code for this kind.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Failure => 1,
            Kind::Usage => 2,
            Kind::DataErr => 65,
            Kind::NoInput => 66,
            Kind::Unavailable => 69,
            Kind::TempFail => 75,
            Kind::NoPerm => 77,
            Kind::Config => 78,
        }
    }
}

type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// An error with its kind, a one-line message that says what happened and what to do, and the
/// error that caused it (if any).
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    source: Option<Source>,
    /// The SQLSTATE of a database error.
    sqlstate: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Two errors are equal when they say the same (the source is detail).
impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}
impl Eq for Error {}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        // The error line is one line: fold any newline a source error carried.
        let message = message.replace(['\n', '\r'], " ");
        Error {
            kind,
            message,
            source: None,
            sqlstate: None,
        }
    }
    pub fn failure(m: impl Into<String>) -> Self {
        Self::new(Kind::Failure, m)
    }
    pub fn config(m: impl Into<String>) -> Self {
        Self::new(Kind::Config, m)
    }
    pub fn unavailable(m: impl Into<String>) -> Self {
        Self::new(Kind::Unavailable, m)
    }
    pub fn temp(m: impl Into<String>) -> Self {
        Self::new(Kind::TempFail, m)
    }
    pub fn no_perm(m: impl Into<String>) -> Self {
        Self::new(Kind::NoPerm, m)
    }
    pub fn data(m: impl Into<String>) -> Self {
        Self::new(Kind::DataErr, m)
    }
    pub fn no_input(m: impl Into<String>) -> Self {
        Self::new(Kind::NoInput, m)
    }
    pub fn usage(m: impl Into<String>) -> Self {
        Self::new(Kind::Usage, m)
    }
    pub fn exit_code(&self) -> i32 {
        self.kind.exit_code()
    }
    /// Keep `source` as the cause of this error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
    /// Prefix the message with what we were doing.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
    /// The SQLSTATE of a database error (`"57014"`), if this is one.
    pub fn sqlstate(&self) -> Option<&str> {
        self.sqlstate.as_deref()
    }
    /// Whether the run this error happened in can go on: `false` for an unreachable or
    /// unanswering service, a lock or serialization conflict, and everything that needs the
    /// operator (configuration, sign-in). A data error of one referral (a constraint, a value
    /// the column refuses, a trigger's exception) leaves the run able to go on without it.
    pub fn ends_run(&self) -> bool {
        !matches!(self.kind, Kind::Failure | Kind::DataErr)
    }
    /// Whether writing to stdout failed because the reader went away (`| head`): not an error
    /// of ours, the process ends normally.
    pub fn is_broken_pipe(&self) -> bool {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(e) = cause {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                return io.kind() == std::io::ErrorKind::BrokenPipe;
            }
            cause = e.source();
        }
        false
    }
    /// The message followed by every cause in the source chain (for debug logs).
    pub fn chain(&self) -> String {
        let mut out = self.message.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = self
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(e) = cause {
            out.push_str(": ");
            out.push_str(&e.to_string().replace(['\n', '\r'], " "));
            cause = e.source();
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// A connection that cannot be made is "unavailable" (69).
impl From<diesel::ConnectionError> for Error {
    fn from(e: diesel::ConnectionError) -> Self {
        Error::unavailable(format!(
            "cannot connect to the database: {e}; check DATABASE_URL and that Postgres is running"
        ))
        .with_source(e)
    }
}

/// What a database error means for the run, by its SQLSTATE (the README's table "Database
/// errors"):
/// - connection exceptions (`08…`), operator intervention (`57P01`–`57P03`: admin shutdown,
///   crash shutdown, cannot connect now), insufficient resources (`53…`) and a statement
///   timeout (`57014`): the run cannot go on, 69;
/// - a lock timeout (`55P03`), a serialization failure (`40001`) or a deadlock (`40P01`): try
///   again, 75;
/// - anything else (a data error of one referral, `22…`/`23…`, a trigger's exception): 1.
pub fn kind_of_sqlstate(state: &str) -> Kind {
    match state {
        s if s.starts_with("08") || s.starts_with("53") => Kind::Unavailable,
        "57P01" | "57P02" | "57P03" | "57014" => Kind::Unavailable,
        "55P03" | "40001" | "40P01" => Kind::TempFail,
        _ => Kind::Failure,
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        let (kind, sqlstate) = match &e {
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                (Kind::Unavailable, info.sqlstate().map(|s| s.to_string()))
            }
            D::DatabaseError(_, info) => match info.sqlstate() {
                Some(s) => (kind_of_sqlstate(s.as_str()), Some(s.to_string())),
                None => (Kind::Failure, None),
            },
            _ => (Kind::Failure, None),
        };
        let first = e.to_string();
        let first = first.lines().next().unwrap_or("").trim().to_string();
        let message = match (kind, sqlstate.as_deref()) {
            (Kind::Unavailable, Some("57014")) => {
                format!("a database statement ran past its timeout (statement_timeout): {first}")
            }
            (Kind::Unavailable, _) => format!("lost the database connection: {first}"),
            (Kind::TempFail, Some("55P03")) => format!(
                "a database lock was not granted in time (lock_timeout): {first}; try again later"
            ),
            (Kind::TempFail, _) => {
                format!("a database conflict stopped the run: {first}; try again later")
            }
            _ => format!("database error: {first}"),
        };
        let mut err = Error::new(kind, message).with_source(e);
        err.sqlstate = sqlstate;
        err
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::failure(format!("I/O error: {e}")).with_source(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::failure(format!("JSON error: {e}")).with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlstates_map_to_the_documented_exit_codes() {
        for (state, code) in [
            ("08006", 69),
            ("08001", 69),
            ("57P01", 69),
            ("57P02", 69),
            ("57P03", 69),
            ("53300", 69),
            ("57014", 69),
            ("55P03", 75),
            ("40001", 75),
            ("40P01", 75),
            ("22001", 1),
            ("23505", 1),
            ("P0001", 1),
        ] {
            assert_eq!(kind_of_sqlstate(state).exit_code(), code, "{state}");
        }
    }

    #[test]
    fn a_broken_pipe_is_recognised_through_the_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe");
        let e = Error::from(io).context("writing the table");
        assert!(e.is_broken_pipe());
        assert!(!Error::failure("x").is_broken_pipe());
        let other = std::io::Error::other("disk full");
        assert!(!Error::from(other).is_broken_pipe());
    }

    #[test]
    fn the_chain_names_every_cause_on_one_line() {
        let io = std::io::Error::other("line one\nline two");
        let e = Error::failure("cannot write the metrics file").with_source(io);
        assert_eq!(
            e.chain(),
            "cannot write the metrics file: line one line two"
        );
        assert_eq!(e.to_string(), "cannot write the metrics file");
    }
}
