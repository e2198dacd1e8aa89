//! `status` through the binary: the run in progress (live while its session holds the sync lock,
//! else abandoned), the last finished run and the last ok API sync, and the monitors' health
//! check `status --check [--max-age]` with its exit codes. Real Postgres, the Partner Center and
//! sign-in stand-ins on loopback.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::Value;
use support::pg::TestDb;
use support::world::World;
use support::{assert_exit, r#gen, hunter, last_stderr_line, stdout_json};

fn write_ndjson(dir: &Path, items: &[Value]) -> PathBuf {
    let p = dir.join("referrals.ndjson");
    let mut f = std::fs::File::create(&p).unwrap();
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    p
}

fn status_json(w: &World) -> Value {
    let out = w.cmd().args(["status", "--json"]).output().unwrap();
    assert_exit(&out, 0);
    stdout_json(&out)
}

/// `status --check` with `args`: (exit code, stdout, last stderr line).
fn check(w: &World, args: &[&str]) -> (i32, String, String) {
    let out = w
        .cmd()
        .args(["status", "--check"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        last_stderr_line(&out),
    )
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn the_check_passes_for_a_fresh_ok_api_sync_and_fails_75_for_a_stale_one() {
    let w = World::new(r#gen::referrals(51, 12));
    let (out, s) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");

    // Fresh: one line on stdout, nothing on stderr.
    let (code, stdout, _) = check(&w, &[]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("ok: the last ok sync from the Partner Center API, run #1 on ")
            && stdout.contains("(within 30m)"),
        "{stdout}"
    );
    let (code, stdout, _) = check(&w, &["--max-age", "90s"]);
    assert_eq!(code, 0, "{stdout}");

    // Two hours later (the run moved back in time): stale for 1h and 30m, fine for 1d.
    w.db.conn()
        .batch_execute(
            "UPDATE sync_runs SET started_at = started_at - interval '2 hours 5 minutes', \
             finished_at = finished_at - interval '2 hours 5 minutes'",
        )
        .unwrap();
    let (code, stdout, last) = check(&w, &["--max-age", "1h"]);
    assert_eq!(code, 75, "{last}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        last.starts_with(
            "error: no ok sync from the Partner Center API within 1h: the last one, run #1"
        ) && last.contains("started 2h5m ago"),
        "{last}"
    );
    assert_eq!(check(&w, &[]).0, 75);
    assert_eq!(check(&w, &["--max-age", "1d"]).0, 0);
    assert_eq!(check(&w, &["--max-age", "3h"]).0, 0);

    // A failed API sync after it is named in the line; it does not count as ok.
    w.db.conn()
        .batch_execute(
            "INSERT INTO sync_runs (status, source, direction, finished_at, exit_code, error, host) \
             VALUES ('failed', 'api', 'incoming', now(), 69, 'Partner Center did not answer', 'b1')",
        )
        .unwrap();
    let (code, _, last) = check(&w, &["--max-age", "1h"]);
    assert_eq!(code, 75);
    assert!(
        last.contains(
            "the last run, #2 on b1, ended failed (exit 69): Partner Center did not answer"
        ),
        "{last}"
    );

    // A bad age is a usage error.
    for bad in ["30", "5x", "0m", "-1h"] {
        let out = w
            .cmd()
            .args(["status", "--check", "--max-age", bad])
            .output()
            .unwrap();
        assert_exit(&out, 2);
    }
    let out = w
        .cmd()
        .args(["status", "--max-age", "1h"])
        .output()
        .unwrap();
    assert_exit(&out, 2);
}

#[test]
fn the_check_fails_75_before_any_ok_api_sync_and_file_imports_do_not_count() {
    let w = World::new(r#gen::referrals(52, 5));
    let (code, stdout, last) = check(&w, &[]);
    assert_eq!(code, 75, "{last}");
    assert!(stdout.is_empty());
    assert!(
        last.starts_with("error: no ok sync from the Partner Center API yet (none within 30m)"),
        "{last}"
    );
    let file = write_ndjson(w.home.path(), &r#gen::referrals(53, 3));
    let out = w
        .cmd()
        .args(["sync", "--no-scan", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let (code, _, last) = check(&w, &["--max-age", "1d"]);
    assert_eq!(code, 75, "{last}");
    // Nor does a dry run.
    let (out, s) = w.sync(&["--dry-run"]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(check(&w, &["--max-age", "1d"]).0, 75);
    // Disabled: the line says why nothing syncs.
    let out = w
        .cmd()
        .env("HUNTER_PC_ENABLED", "false")
        .args(["status", "--check"])
        .output()
        .unwrap();
    assert_exit(&out, 75);
    assert!(last_stderr_line(&out).contains("HUNTER_PC_ENABLED is false"));
}

#[test]
fn the_check_fails_77_when_enabled_and_nobody_is_signed_in_even_after_an_ok_sync() {
    let w = World::new(r#gen::referrals(54, 5));
    let (out, _) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(check(&w, &[]).0, 0);
    let out = w.cmd().arg("logout").output().unwrap();
    assert_exit(&out, 0);
    let (code, stdout, last) = check(&w, &[]);
    assert_eq!(code, 77, "{last}");
    assert!(stdout.is_empty());
    assert!(
        last.contains("nobody is signed in") && last.contains("hunter-pc login"),
        "{last}"
    );
}

#[test]
fn the_check_fails_78_for_configuration_and_pending_migrations_and_69_for_the_database() {
    let home = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let out = hunter(home.path())
            .envs(env.iter().copied())
            .args(["status", "--check"])
            .output()
            .unwrap();
        assert!(out.stdout.is_empty());
        (out.status.code().unwrap_or(-1), last_stderr_line(&out))
    };
    let (code, last) = run(&[]);
    assert_eq!(code, 78);
    assert!(last.contains("DATABASE_URL"), "{last}");
    let (code, last) = run(&[("HUNTER_PC_PAGE_SIZE", "many")]);
    assert_eq!(code, 78);
    assert!(last.contains("HUNTER_PC_PAGE_SIZE"), "{last}");
    let (code, last) = run(&[("DATABASE_URL", "postgres://postgres@127.0.0.1:9/postgres")]);
    assert_eq!(code, 69);
    assert!(
        last.starts_with("error: cannot reach the database"),
        "{last}"
    );
    // Pending migrations come before sign-in (78 before 77).
    let db = TestDb::empty();
    let (code, last) = run(&[("DATABASE_URL", &db.url), ("HUNTER_PC_ENABLED", "true")]);
    assert_eq!(code, 78);
    assert!(last.contains("hunter-pc migrate up"), "{last}");
    // Partly migrated: still 78.
    let out = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .args(["migrate", "up", "--to", "20261201000003"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let (code, last) = run(&[("DATABASE_URL", &db.url)]);
    assert_eq!(code, 78, "{last}");
}

/// Wait until a session of the test database waits for a lock (the blocked sync's page).
fn wait_for_a_blocked_session(db: &TestDb) {
    let started = Instant::now();
    while db.count(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    ) == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sync never blocked"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn status_tells_the_run_in_progress_from_the_last_finished_run_and_the_last_ok_api_sync() {
    let w = World::new(r#gen::referrals(55, 8));
    let (out, _) = w.sync(&[]);
    assert_exit(&out, 0);
    let j = status_json(&w);
    assert!(j["running"].is_null() && j["abandoned"].is_null(), "{j}");
    assert_eq!(j["last_ok_api"]["id"], 1);
    assert_eq!(j["last_finished"]["id"], 1);
    assert_eq!(j["last_run"]["id"], 1);

    // Run #2, a file import, blocks on a company row another session holds.
    let mut items = r#gen::referrals(56, 5);
    for r in &mut items {
        r["direction"] = Value::from("Incoming");
    }
    items[0]["customerProfile"]["website"] = Value::from("https://www.blockedstatus.com");
    // A tenant id makes the company M365: its row is written (an unchanged company is not).
    items[0]["azureTenantId"] = Value::from("0b1f7c2e-3a4d-4e5f-8a9b-1c2d3e4f5a6b");
    let file = write_ndjson(w.home.path(), &items);
    w.db.conn()
        .batch_execute(
            "INSERT INTO companies (domain, canonical_name) \
             VALUES ('blockedstatus.com', 'Blocked')",
        )
        .unwrap();
    let mut holder = w.db.conn();
    holder
        .batch_execute(
            "BEGIN; SELECT 1 FROM companies WHERE domain = 'blockedstatus.com' FOR UPDATE",
        )
        .unwrap();
    let mut blocked = w
        .cmd_std()
        .env("HUNTER_PC_DB_LOCK_TIMEOUT_SECS", "60")
        .args(["sync", "--no-scan", "--from-file"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_blocked_session(&w.db);

    let j = status_json(&w);
    let running = &j["running"];
    assert_eq!(running["id"], 2, "{j}");
    assert_eq!(running["status"], "running");
    assert_eq!(running["source"], "file");
    assert_eq!(running["host"], this_host().as_str());
    assert!(
        running["age_secs"]
            .as_i64()
            .is_some_and(|a| (0..60).contains(&a))
    );
    assert!(j["abandoned"].is_null(), "{j}");
    assert_eq!(j["last_run"]["id"], 2);
    assert_eq!(j["last_finished"]["id"], 1);
    assert_eq!(j["last_ok_api"]["id"], 1);
    assert!(j["last_ok_api"]["age_secs"].as_i64().is_some());

    // A sync that finds the lock held is run #3, `locked`: the newest row, but not "finished".
    let (out, s) = w.sync(&[]);
    assert_exit(&out, 75);
    assert_eq!(s["status"], "locked");
    let j = status_json(&w);
    assert_eq!(j["last_run"]["id"], 3);
    assert_eq!(j["last_run"]["status"], "locked");
    assert_eq!(j["running"]["id"], 2);
    assert_eq!(j["last_finished"]["id"], 1);
    // The text form shows them apart.
    let out = w.cmd().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let label = |l: &str| {
        text.lines()
            .find(|x| x.starts_with(l))
            .unwrap_or_else(|| panic!("no {l:?} line in\n{text}"))
            .to_string()
    };
    assert!(label("running ").contains("#2 running, file on "), "{text}");
    assert!(
        label("last finished ").contains("#1 ok (exit 0), api on "),
        "{text}"
    );
    assert!(label("last ok API ").contains("#1 ok"), "{text}");
    assert!(label("last run ").contains("#3 locked (exit 75)"), "{text}");
    assert!(!text.contains("abandoned"), "{text}");

    // The holder lets go: run #2 ends ok; nothing runs; the file import is the last finished
    // run, and the last ok API sync is still #1.
    drop(holder);
    let status = blocked.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let j = status_json(&w);
    assert!(j["running"].is_null(), "{j}");
    assert_eq!(j["last_finished"]["id"], 2);
    assert_eq!(j["last_finished"]["status"], "ok");
    assert_eq!(j["last_finished"]["exit_code"], 0);
    assert_eq!(j["last_ok_api"]["id"], 1);
}

#[test]
fn a_running_row_whose_process_is_gone_is_shown_abandoned_not_running() {
    let w = World::new(r#gen::referrals(57, 4));
    let mut items = r#gen::referrals(58, 3);
    for r in &mut items {
        r["direction"] = Value::from("Incoming");
    }
    items[0]["customerProfile"]["website"] = Value::from("https://killedrun.com");
    // A tenant id makes the company M365: its row is written (an unchanged company is not).
    items[0]["azureTenantId"] = Value::from("0b1f7c2e-3a4d-4e5f-8a9b-1c2d3e4f5a6b");
    let file = write_ndjson(w.home.path(), &items);
    w.db.conn()
        .batch_execute(
            "INSERT INTO companies (domain, canonical_name) VALUES ('killedrun.com', 'Killed')",
        )
        .unwrap();
    let mut holder = w.db.conn();
    holder
        .batch_execute("BEGIN; SELECT 1 FROM companies WHERE domain = 'killedrun.com' FOR UPDATE")
        .unwrap();
    let mut victim = w
        .cmd_std()
        .env("HUNTER_PC_DB_LOCK_TIMEOUT_SECS", "60")
        .args(["sync", "--no-scan", "--from-file"])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_blocked_session(&w.db);
    assert_eq!(status_json(&w)["running"]["id"], 1);
    // SIGKILL: no chance to record anything. The server ends its sessions, and the lock goes.
    victim.kill().unwrap();
    victim.wait().unwrap();
    drop(holder);
    let started = Instant::now();
    let j = loop {
        let j = status_json(&w);
        if j["running"].is_null() {
            break j;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the killed run still shows as running: {j}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(j["abandoned"]["id"], 1, "{j}");
    assert_eq!(j["abandoned"]["status"], "running");
    assert_eq!(j["abandoned"]["host"], this_host().as_str());
    assert!(j["last_finished"].is_null(), "{j}");
    let out = w.cmd().arg("status").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.lines().any(|l| l.starts_with("abandoned ")
            && l.contains("#1 running")
            && l.contains("its process is gone")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("running ") && l.ends_with("none")),
        "{text}"
    );

    // The next sync records it failed (and is itself the last finished run).
    let (out, _) = w.sync(&[]);
    assert_exit(&out, 0);
    let j = status_json(&w);
    assert!(j["abandoned"].is_null() && j["running"].is_null(), "{j}");
    assert_eq!(j["last_finished"]["id"], 2);
    assert_eq!(
        w.text("SELECT concat_ws('|', status, error) AS t FROM sync_runs WHERE id = 1")
            .unwrap(),
        "failed|the process ended before the run finished"
    );
}
