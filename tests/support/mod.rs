//! Test support shared by the test files: real Postgres, the binary as a process.
#![allow(dead_code)]

pub mod dns;
pub mod r#gen;
pub mod hunter;
pub mod partner_center;
pub mod pg;
pub mod require;
pub mod signin;
pub mod world;

use assert_cmd::Command;

/// The built `hunter-pc` with a clean environment (nothing from the developer's shell leaks
/// in), a home of its own, and logs as JSON lines.
pub fn hunter(home: &std::path::Path) -> Command {
    Command::from_std(hunter_std(home))
}

/// The same, as a `std::process::Command` (for spawning several at once).
pub fn hunter_std(home: &std::path::Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("hunter-pc"));
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("HUNTER_PC_LOG_FORMAT", "json");
    c
}

/// Parse stdout as one JSON value.
pub fn stdout_json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The command exited with `code`; stderr is shown when it did not.
#[track_caller]
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The last line of stderr (the `error: …` line of a failing command).
pub fn last_stderr_line(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap_or("")
        .to_string()
}
