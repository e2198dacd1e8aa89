//! The run record ends on every path, through the binary against real Postgres: a page
//! connection killed by the server mid-import, SIGTERM during a large import, every exit a
//! file sync records; and a closed stdout is success.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::Value;
use support::pg::TestDb;
use support::{assert_exit, r#gen, hunter, hunter_std, last_stderr_line, world};

fn write_ndjson(dir: &Path, items: &[Value]) -> PathBuf {
    let p = dir.join("referrals.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    f.flush().unwrap();
    p
}

/// The newest run row as `status|exit_code|error`.
fn last_run(db: &TestDb) -> String {
    db.text(
        "SELECT concat_ws('|', status, exit_code, coalesce(error, '-')) AS t \
         FROM sync_runs ORDER BY id DESC LIMIT 1",
    )
    .unwrap_or_default()
}

/// How many whole pages (of 100) of `referrals` the database holds: the stored ids must be
/// exactly the incoming referrals of the first k pages, for some k.
fn whole_pages(db: &TestDb, referrals: &[Value]) -> usize {
    let stored: std::collections::BTreeSet<String> = db
        .text("SELECT string_agg(referral_id, ',') AS t FROM referrals")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut expected = std::collections::BTreeSet::new();
    for (k, page) in referrals.chunks(100).enumerate() {
        if expected == stored {
            return k;
        }
        expected.extend(
            page.iter()
                .filter(|r| r["direction"] == "Incoming")
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(expected, stored, "the stored referrals are not whole pages");
    referrals.len().div_ceil(100)
}

/// Wait for `child` at most `limit`; kill it and fail when it takes longer.
fn wait_within(child: &mut std::process::Child, limit: Duration) -> std::process::Output {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the sync did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = std::process::Output {
        status: child.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    use std::io::Read;
    if let Some(mut s) = child.stdout.take() {
        s.read_to_end(&mut out.stdout).unwrap();
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_end(&mut out.stderr).unwrap();
    }
    out
}

/// Poll `cond` every 10 ms for at most 60 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn_import(db: &TestDb, home: &Path, file: &Path) -> std::process::Child {
    hunter_std(home)
        .env("DATABASE_URL", &db.url)
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn losing_the_page_connection_mid_import_ends_the_run_failed_69_and_keeps_committed_pages() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let referrals = r#gen::referrals(14, 600);
    let held = referrals[250]["id"].as_str().unwrap().to_string();
    // The insert of one referral on the third page waits until the server ends its session.
    db.conn()
        .batch_execute(&format!(
            "CREATE FUNCTION hold() RETURNS trigger AS $$ BEGIN
               IF NEW.referral_id = '{held}' THEN PERFORM pg_sleep(120); END IF;
               RETURN NEW;
             END $$ LANGUAGE plpgsql;
             CREATE TRIGGER hold BEFORE INSERT ON referrals
               FOR EACH ROW EXECUTE FUNCTION hold();"
        ))
        .unwrap();
    let file = write_ndjson(home.path(), &referrals);
    let mut child = spawn_import(&db, home.path(), &file);
    eventually("the held insert", || {
        db.count(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE application_name = 'hunter-pc pages' AND wait_event = 'PgSleep'",
        ) == 1
    });
    let killed = db.count(
        "SELECT count(*) AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'hunter-pc pages') k",
    );
    assert!(killed >= 1, "no page connection to end");
    let out = wait_within(&mut child, Duration::from_secs(30));

    assert_exit(&out, 69);
    assert!(
        last_stderr_line(&out).starts_with("error: "),
        "{}",
        last_stderr_line(&out)
    );
    let summary = support::stdout_json(&out);
    assert_eq!(summary["status"], "failed", "{summary}");
    let run = last_run(&db);
    assert!(run.starts_with("failed|69|"), "{run}");
    assert!(!run.ends_with("|-"), "the run row names the error: {run}");
    // Whole pages only: the pages before the held one committed, nothing of it did.
    let pages = whole_pages(&db, &referrals);
    assert!((1..=2).contains(&pages), "{pages} pages stored");
    assert_eq!(
        db.count(&format!(
            "SELECT count(*) AS n FROM referrals WHERE referral_id = '{held}'"
        )),
        0
    );
}

#[test]
fn sigterm_during_a_large_import_ends_interrupted_75_and_the_next_run_completes_it() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let referrals = r#gen::referrals(15, 10_000);
    let file = write_ndjson(home.path(), &referrals);
    let mut child = spawn_import(&db, home.path(), &file);
    eventually("the first committed page", || {
        db.count("SELECT count(*) AS n FROM referrals") > 0
    });
    let pid = child.id() as libc::pid_t;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let signalled = Instant::now();
    let out = wait_within(&mut child, Duration::from_secs(10));
    let took = signalled.elapsed();

    assert_exit(&out, 75);
    assert!(took < Duration::from_secs(2), "exit took {took:?}");
    assert!(
        last_stderr_line(&out).starts_with("error: interrupted"),
        "{}",
        last_stderr_line(&out)
    );
    let summary = support::stdout_json(&out);
    assert_eq!(summary["status"], "interrupted", "{summary}");
    assert!(
        last_run(&db).starts_with("interrupted|75|"),
        "{}",
        last_run(&db)
    );
    let pages = whole_pages(&db, &referrals);
    assert!(pages < 100, "the import ended before the signal");

    // The next run completes it, and the result equals one uninterrupted run.
    let again = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_exit(&again, 0);
    let whole = TestDb::migrated();
    let once = hunter(home.path())
        .env("DATABASE_URL", &whole.url)
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_exit(&once, 0);
    assert_eq!(world::contents(&db), world::contents(&whole));
}

#[test]
fn every_exit_of_a_file_sync_is_recorded_with_its_code_and_error() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let run = |file: &Path| {
        hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .args(["sync", "--no-scan", "--json", "--from-file"])
            .arg(file)
            .output()
            .unwrap()
    };
    let good = write_ndjson(home.path(), &r#gen::referrals(16, 3));
    assert_exit(&run(&good), 0);
    assert_eq!(last_run(&db), "ok|0|-");

    let missing = home.path().join("missing.json");
    let out = run(&missing);
    assert_exit(&out, 66);
    let row = last_run(&db);
    assert!(
        row.starts_with("failed|66|") && !row.ends_with("|-"),
        "{row}"
    );

    let broken = home.path().join("broken.json");
    std::fs::write(&broken, "[{\"id\": \"x\"").unwrap();
    assert_exit(&run(&broken), 65);
    let row = last_run(&db);
    assert!(
        row.starts_with("failed|65|") && !row.ends_with("|-"),
        "{row}"
    );

    // One referral refused by a trigger: the others commit, exit 1, `partial`.
    db.conn()
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN
               IF NEW.referral_id = 'bad' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
               RETURN NEW;
             END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON referrals
               FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .unwrap();
    let mut two = r#gen::referrals(17, 2);
    two[0]["id"] = Value::from("bad");
    assert_exit(&run(&write_ndjson(home.path(), &two)), 1);
    let row = last_run(&db);
    assert!(
        row.starts_with("partial|1|") && row.contains("failed"),
        "{row}"
    );

    // Another sync holds the lock: `locked`, 75.
    let mut holder = db.conn();
    let key = hunter_pc::store::lock::lock_key("hunter_pc");
    holder
        .batch_execute(&format!("SELECT pg_advisory_lock({key})"))
        .unwrap();
    assert_exit(&run(&good), 75);
    assert!(last_run(&db).starts_with("locked|75|"), "{}", last_run(&db));
    drop(holder);

    let host = db
        .text("SELECT string_agg(DISTINCT coalesce(host, '?'), ',') AS t FROM sync_runs")
        .unwrap();
    assert!(!host.contains('?') && !host.is_empty(), "hosts: {host}");
}

#[test]
fn a_reader_that_closes_stdout_early_is_not_an_error() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let file = write_ndjson(home.path(), &r#gen::referrals(18, 2_000));
    assert_exit(
        &hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .args(["sync", "--no-scan", "--json", "--from-file"])
            .arg(&file)
            .output()
            .unwrap(),
        0,
    );
    // `hunter-pc list-referrals --format ndjson | head -1`: far more than a pipe buffer.
    let mut child = hunter_std(home.path())
        .env("DATABASE_URL", &db.url)
        .args(["list-referrals", "--format", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone (dropped above): the rest of the output meets a closed pipe.
    let out = wait_within(&mut child, Duration::from_secs(30));
    assert_exit(&out, 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
}

/// An API sync that stops at the sign-in (77) or at a configuration the database could not
/// catch (78: a keyring that is required but does not answer) still records its run.
#[test]
fn api_sync_exits_77_and_78_are_recorded_too() {
    let w = world::World::new(r#gen::referrals(19, 3));
    std::fs::remove_file(&w.token_file).unwrap();
    let out = w
        .cmd()
        .args(["sync", "--no-scan", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 77);
    let row = last_run(&w.db);
    assert!(
        row.starts_with("failed|77|") && row.contains("login"),
        "{row}"
    );

    let out = w
        .cmd()
        .env("HUNTER_PC_TOKEN_STORE", "keyring")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .args(["sync", "--no-scan", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 78);
    let row = last_run(&w.db);
    assert!(
        row.starts_with("failed|78|") && !row.ends_with("|-"),
        "{row}"
    );
}
