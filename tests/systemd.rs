//! The systemd units pass `systemd-analyze verify` with `ExecStart` pointing at the built binary
//! (systemd is not PID 1 here, so the units are verified, not started).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn units_verify_without_a_word() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_hunter-pc"));
    let dir = tempfile::tempdir().unwrap();
    let service = std::fs::read_to_string(root.join("systemd/hunter-pc-sync.service")).unwrap();
    assert!(service.contains("ExecStart=/usr/local/bin/hunter-pc sync"));
    assert!(
        service.contains("SuccessExitStatus=75"),
        "75 is a normal outcome for the timer"
    );
    let service = service
        .replace("/usr/local/bin/hunter-pc", bin.to_str().unwrap())
        // The service user need not exist on a build machine.
        .replace("User=hunter-pc\n", "")
        .replace("Group=hunter-pc\n", "");
    std::fs::write(dir.path().join("hunter-pc-sync.service"), service).unwrap();
    std::fs::copy(
        root.join("systemd/hunter-pc-sync.timer"),
        dir.path().join("hunter-pc-sync.timer"),
    )
    .unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        // The man page is installed by the operator (`hunter-pc man`), not on a build machine.
        .arg("--man=no")
        .arg(dir.path().join("hunter-pc-sync.service"))
        .arg(dir.path().join("hunter-pc-sync.timer"))
        .env("SYSTEMD_LOG_LEVEL", "notice")
        .output()
        .expect("systemd-analyze is installed (package systemd)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify said:\n{said}"
    );
}
