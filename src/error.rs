//! One error type for the whole tool. Its kind decides the exit code, in one place
//! ([`Kind::exit_code`]), following the table in `shared/spec/cli.md`.

use std::fmt;

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
    /// 75: try again later (lock held, run budget exhausted).
    TempFail,
    /// 77: not signed in, or the sign-in expired or was revoked.
    NoPerm,
    /// 78: configuration missing or invalid, or migrations pending.
    Config,
}

impl Kind {
    /// The process exit code for this kind (cli.md, "Exit codes").
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

/// An error with its kind and a one-line message that says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        let message: String = message.into();
        // The error line is one line: fold any newline a source error carried.
        let message = message.replace(['\n', '\r'], " ");
        Error { kind, message }
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
    /// Prefix the message with what we were doing.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Database errors: a connection that cannot be made is "unavailable" (69); anything else
/// is a plain failure unless the caller maps it.
impl From<diesel::ConnectionError> for Error {
    fn from(e: diesel::ConnectionError) -> Self {
        Error::unavailable(format!(
            "cannot connect to the database: {e}; check DATABASE_URL and that Postgres is running"
        ))
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error as D};
        match &e {
            D::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Error::unavailable(format!("lost the database connection: {e}"))
            }
            _ => Error::failure(format!("database error: {e}")),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::failure(format!("I/O error: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::failure(format!("JSON error: {e}"))
    }
}
