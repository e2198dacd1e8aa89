//! Logs go to stderr only: text on a terminal, JSON lines otherwise (journald, pipes).

use std::io::IsTerminal;

use sha2::{Digest, Sha256};
use tracing_subscriber::EnvFilter;

/// The log format on stderr (`HUNTER_PC_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Text on a terminal, JSON lines otherwise.
    Auto,
    Text,
    Json,
}

/// Install the global subscriber. `RUST_LOG` (EnvFilter syntax) wins over `-v`/`-q`.
pub fn init(format: LogFormat, verbose: u8, quiet: u8) {
    let ours = match (verbose, quiet) {
        (0, 0) => "info",
        (1, _) => "debug",
        (v, _) if v >= 2 => "trace",
        (_, 1) => "warn",
        _ => "error",
    };
    let others = if verbose >= 2 { "debug" } else { "warn" };
    let filter = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.is_empty())
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new(format!("{others},hunter_pc={ours}")));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // A second init (tests) is harmless: keep the first.
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Mask a personal or tenant identifier for logs: the first 8 hex characters of its SHA-256.
pub fn mask(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    hex::encode(&digest[..4])
}

#[cfg(test)]
mod tests {
    #[test]
    fn mask_is_stable_and_short() {
        let m = super::mask("ayse@acme.io");
        assert_eq!(m.len(), 8);
        assert_eq!(m, super::mask("ayse@acme.io"));
        assert_ne!(m, super::mask("ayse@acme.iq"));
        assert!(!m.contains("ayse"));
    }
}
