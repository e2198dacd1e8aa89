//! A test whose real part (a program, root, a network namespace) is missing on this machine:
//! under CI it fails; on a developer's machine it says loudly that it did not run.
#![allow(dead_code)] // each test file uses a part of it

/// Whether `CI` is set to something other than empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim();
        !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false")
    })
}

/// `true` when `available`. Otherwise: under CI, panic (the test fails, naming `what` is
/// missing); elsewhere print a loud SKIPPED line and return `false`, and the caller returns.
#[track_caller]
pub fn require(available: bool, test: &str, what: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("{test} cannot run its real part under CI: {what}");
    }
    eprintln!("\n*** SKIPPED {test}: {what}; it was NOT tested (under CI=1 this fails) ***\n");
    false
}

/// Whether `cmd` is on `PATH`.
pub fn have(cmd: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
