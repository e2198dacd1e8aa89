//! The systemd units pass `systemd-analyze verify` with `ExecStart` pointing at the built binary
//! (systemd is not PID 1 here, so the units are verified, not started), and the sync service's
//! sandbox rates ≤ 2.5 in `systemd-analyze security`.
//!
//! Without `systemd-analyze` (package systemd) these tests fail under `CI=1` and are skipped,
//! with a message, elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The highest overall exposure `systemd-analyze security` may give the sync service.
const MAX_EXPOSURE: f64 = 2.5;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn unit_text(name: &str) -> String {
    std::fs::read_to_string(root().join("systemd").join(name))
        .unwrap_or_else(|e| panic!("systemd/{name}: {e}"))
}

#[path = "support/require.rs"]
mod require;

/// Whether `systemd-analyze` can run here. Missing: a failure under `CI=1`, else a loud skip.
fn have_systemd_analyze() -> bool {
    let why = match Command::new("systemd-analyze").arg("--version").output() {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!("`systemd-analyze --version` exited {}", out.status),
        Err(e) => format!("systemd-analyze cannot run: {e} (install the systemd package)"),
    };
    require::require(false, "systemd", &why)
}

fn analyze(args: &[&str], units: &[PathBuf]) -> (Output, String) {
    let out = Command::new("systemd-analyze")
        .args(args)
        .args(units)
        .env("SYSTEMD_LOG_LEVEL", "notice")
        // No colours, no pager, no width-dependent truncation in what we parse.
        .env("SYSTEMD_COLORS", "0")
        .env("SYSTEMD_PAGER", "")
        .env("COLUMNS", "200")
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out, said)
}

/// The sync service as installed, but starting the built binary.
fn service_copy(keep_user: bool) -> String {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_hunter-pc"));
    let service = unit_text("hunter-pc-sync.service");
    assert!(service.contains("ExecStart=/usr/local/bin/hunter-pc sync\n"));
    let service = service.replace("/usr/local/bin/hunter-pc", bin.to_str().unwrap());
    if keep_user {
        service
    } else {
        // `verify` is not to depend on the service user existing on a build machine.
        service
            .replace("User=hunter-pc\n", "")
            .replace("Group=hunter-pc\n", "")
    }
}

/// `key=value` settings of a unit file, comments and section headers left out, in order.
fn settings(unit: &str) -> Vec<(&str, &str)> {
    unit.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with(['#', ';', '[']))
        .filter_map(|l| l.split_once('='))
        .collect()
}

fn values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    settings(unit)
        .into_iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_service_keeps_what_operators_rely_on() {
    let s = unit_text("hunter-pc-sync.service");
    let one = |key: &str| -> String {
        let v = values(&s, key);
        assert_eq!(v.len(), 1, "{key}= once in hunter-pc-sync.service: {v:?}");
        v[0].to_string()
    };
    assert_eq!(one("Type"), "oneshot");
    assert_eq!(
        one("SuccessExitStatus"),
        "75",
        "75 is a normal outcome for the timer"
    );
    assert_eq!(
        one("TimeoutStartSec"),
        "9min",
        "under the timer's 10-minute period"
    );
    assert_eq!(one("User"), "hunter-pc", "operators sign in as this user");
    assert_eq!(
        one("StateDirectory"),
        "hunter-pc",
        "the token file's directory"
    );
    assert_eq!(
        one("EnvironmentFile"),
        "/etc/hunter-pc/env",
        "required: a missing env file must fail the unit, not disable syncs"
    );
    assert_eq!(
        one("ReadWritePaths"),
        "-/var/lib/prometheus/node-exporter",
        "the metrics file's directory, optional"
    );
    let families = one("RestrictAddressFamilies");
    for family in ["AF_UNIX", "AF_INET", "AF_INET6"] {
        assert!(
            families.split_whitespace().any(|f| f == family),
            "{family}: Postgres over a Unix socket, HTTPS and DNS need it ({families})"
        );
    }
    // The sandbox, setting by setting (the rating alone would let a few go unnoticed).
    for (key, value) in [
        ("CapabilityBoundingSet", ""),
        ("AmbientCapabilities", ""),
        ("NoNewPrivileges", "yes"),
        ("UMask", "0077"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("PrivateUsers", "yes"),
        ("ProtectProc", "invisible"),
        ("ProcSubset", "pid"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("ProtectClock", "yes"),
        ("ProtectHostname", "yes"),
        ("RestrictNamespaces", "yes"),
        ("RestrictRealtime", "yes"),
        ("RestrictSUIDSGID", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ] {
        assert_eq!(
            values(&s, key),
            [value],
            "hunter-pc-sync.service: {key}={value}, once"
        );
    }
    assert!(
        values(&s, "SystemCallFilter").contains(&"@system-service"),
        "SystemCallFilter=@system-service"
    );
    // Each of these would break sign-in by hand, DNS, Partner Center or the database.
    for key in [
        "DynamicUser",
        "PrivateNetwork",
        "IPAddressDeny",
        "IPAddressAllow",
    ] {
        assert!(values(&s, key).is_empty(), "{key}= breaks the service");
    }
}

#[test]
fn units_verify_without_a_word() {
    if !have_systemd_analyze() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let service = write(d, "hunter-pc-sync.service", &service_copy(false));
    let timer = write(
        d,
        "hunter-pc-sync.timer",
        &unit_text("hunter-pc-sync.timer"),
    );
    // The OnFailure= example is active in the copy: its drop-in and the template it names are
    // read together with the service.
    write(
        d,
        "hunter-pc-sync.service.d/on-failure.conf",
        &unit_text("hunter-pc-sync.service.d/on-failure.conf.example"),
    );
    write(
        d,
        "hunter-pc-notify@.service",
        &unit_text("hunter-pc-notify@.service"),
    );
    // A template is verified as an instance: the one OnFailure= starts for the service.
    let notify = d.join("hunter-pc-notify@hunter-pc-sync.service.service");
    write(
        d,
        "hunter-pc-sync.timer.d/dev.conf",
        &unit_text("hunter-pc-sync.timer.d/dev-every-30s.conf.example"),
    );
    // The man page is installed by the operator (`hunter-pc man`), not on a build machine.
    let (out, said) = analyze(&["verify", "--man=no"], &[service, timer, notify]);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "systemd-analyze verify said:\n{said}"
    );
}

#[test]
fn the_sync_service_is_sandboxed() {
    if !have_systemd_analyze() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // As installed, with its user: `--offline` does not look the user up.
    let service = write(dir.path(), "hunter-pc-sync.service", &service_copy(true));
    let (out, said) = analyze(&["security", "--offline=true", "--no-pager"], &[service]);
    assert!(
        out.status.success(),
        "systemd-analyze security failed:\n{said}"
    );
    let exposure = said
        .lines()
        .find(|l| l.contains("Overall exposure level for"))
        .and_then(|l| l.rsplit_once(": "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("no overall exposure level in:\n{said}"));
    assert!(
        exposure <= MAX_EXPOSURE,
        "systemd-analyze security rates hunter-pc-sync.service {exposure}, above \
         {MAX_EXPOSURE}:\n{said}"
    );
}
