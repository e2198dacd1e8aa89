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

/// A referral of `domain` as Partner Center sends it (incoming, one customer email on the
/// domain, named `<domain> Ltd`), with the top-level fields of `extra` set over it.
pub fn referral(id: &str, domain: &str, extra: serde_json::Value) -> serde_json::Value {
    let mut r = serde_json::json!({
        "id": id,
        "updatedDateTime": "2026-11-02T10:00:00Z",
        "direction": "Incoming",
        "type": "Independent",
        "qualification": "MarketingQualified",
        "customerProfile": {"name": format!("{domain} Ltd"), "team": [{"email": format!("it@{domain}")}]},
    });
    if let (Some(o), Some(e)) = (r.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            o.insert(k.clone(), v.clone());
        }
    }
    r
}

/// `items` as a JSON array in `dir/name`.
pub fn write_json(
    dir: &std::path::Path,
    name: &str,
    items: &[serde_json::Value],
) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_vec(items).unwrap()).unwrap();
    p
}
