//! Logs go to stderr only: text on a terminal, JSON lines otherwise (journald, pipes).

use std::io::{IsTerminal, Write};

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
///
/// - JSON lines when the format says so (`auto`: when stderr is not a terminal);
/// - colours only when stderr is a terminal (never escape codes in files, pipes or the
///   journal);
/// - when stderr is the journal (systemd sets `JOURNAL_STREAM` to its device and inode),
///   every line starts with its syslog priority (`<3>` error … `<7>` debug), which journald
///   turns into the entry's priority, so `journalctl -p warning` finds the warnings.
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
    let terminal = std::io::stderr().is_terminal();
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Text => false,
        LogFormat::Auto => !terminal,
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Stderr {
            journal: stderr_is_journal(),
        })
        .with_ansi(terminal)
        .with_target(false);
    // A second init (tests) is harmless: keep the first.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The last line of a failing command, `error: …`, with the error priority in the journal.
pub fn error_line(message: &str) {
    let prefix = if stderr_is_journal() { "<3>" } else { "" };
    let _ = writeln!(std::io::stderr().lock(), "{prefix}error: {message}");
}

/// Whether stderr is connected to the journal: `JOURNAL_STREAM` (`device:inode`, set by
/// systemd for the unit's stdout/stderr) names the file stderr is.
pub fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some((dev, ino)) = std::env::var("JOURNAL_STREAM").ok().and_then(|v| {
        let (d, i) = v.split_once(':')?;
        Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?))
    }) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .is_ok_and(|m| m.dev() == dev && m.ino() == ino)
}

/// The syslog priority of a level, as sd-daemon(3) prefixes want it.
fn priority(level: &tracing::Level) -> &'static [u8] {
    match *level {
        tracing::Level::ERROR => b"<3>",
        tracing::Level::WARN => b"<4>",
        tracing::Level::INFO => b"<6>",
        _ => b"<7>",
    }
}

/// Writes log lines to stderr, each with its priority prefix when stderr is the journal.
struct Stderr {
    journal: bool,
}

/// One event's output: the formatter writes a whole line; the prefix goes before it.
struct Line {
    prefix: &'static [u8],
    buf: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let mut out = std::io::stderr().lock();
        let _ = out
            .write_all(self.prefix)
            .and_then(|_| out.write_all(&self.buf));
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = Line;
    fn make_writer(&'a self) -> Line {
        Line {
            prefix: b"",
            buf: Vec::new(),
        }
    }
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Line {
        Line {
            prefix: if self.journal {
                priority(meta.level())
            } else {
                b""
            },
            buf: Vec::with_capacity(256),
        }
    }
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
