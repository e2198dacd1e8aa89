//! Database timeouts through the binary: a server that accepts connections and never answers
//! ends every command with 69 within the connect timeout; a write blocked by another session's
//! lock ends the run within the lock timeout, committed pages kept, the run row saying why.

mod support;

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use serde_json::Value;
use support::pg::TestDb;
use support::{assert_exit, r#gen, hunter, last_stderr_line};

/// A TCP listener on loopback that accepts every connection and never says a word.
fn silent_server() -> (std::net::SocketAddr, std::sync::mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while stopped.try_recv() == Err(std::sync::mpsc::TryRecvError::Empty) {
            if let Ok((socket, _)) = listener.accept() {
                held.push(socket);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    (addr, stop)
}

fn write_ndjson(dir: &Path, items: &[Value]) -> PathBuf {
    let p = dir.join("referrals.ndjson");
    let mut f = std::fs::File::create(&p).unwrap();
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    p
}

#[test]
fn a_database_that_never_answers_ends_each_command_with_69_within_the_connect_timeout() {
    let home = tempfile::tempdir().unwrap();
    let (addr, _stop) = silent_server();
    let url = format!("postgres://postgres@{addr}/hunter");
    let file = write_ndjson(home.path(), &r#gen::referrals(41, 2));
    let commands: [Vec<String>; 3] = [
        vec![
            "sync".into(),
            "--no-scan".into(),
            "--from-file".into(),
            file.display().to_string(),
        ],
        vec!["status".into()],
        vec!["migrate".into(), "status".into()],
    ];
    for args in commands {
        let started = Instant::now();
        let out = hunter(home.path())
            .env("DATABASE_URL", &url)
            .env("HUNTER_PC_DB_CONNECT_TIMEOUT_SECS", "2")
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        let took = started.elapsed();
        assert_exit(&out, 69);
        assert!(took < Duration::from_secs(4), "{args:?} took {took:?}");
        let last = last_stderr_line(&out);
        assert!(
            last.contains("HUNTER_PC_DB_CONNECT_TIMEOUT_SECS") || last.contains("timeout"),
            "{args:?}: {last}"
        );
    }
}

#[test]
fn a_write_blocked_by_another_sessions_lock_ends_the_run_within_the_lock_timeout() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let mut referrals = r#gen::referrals(42, 300);
    for r in &mut referrals {
        r["direction"] = Value::from("Incoming");
    }
    // The third page names a company another session holds locked.
    referrals[250]["customerProfile"]["website"] = Value::from("https://blocked.example.com");
    db.conn()
        .batch_execute(
            "INSERT INTO companies (domain, canonical_name) VALUES ('example.com', 'Blocked')",
        )
        .unwrap();
    let mut holder = db.conn();
    holder
        .batch_execute("BEGIN; SELECT 1 FROM companies WHERE domain = 'example.com' FOR UPDATE")
        .unwrap();
    let file = write_ndjson(home.path(), &referrals);
    let started = Instant::now();
    let out = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .env("HUNTER_PC_DB_LOCK_TIMEOUT_SECS", "1")
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(&file)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let took = started.elapsed();
    drop(holder);
    assert_exit(&out, 75);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let last = last_stderr_line(&out);
    assert!(last.contains("lock_timeout"), "{last}");
    let run = db
        .text(
            "SELECT concat_ws('|', status, exit_code, error) AS t FROM sync_runs \
             ORDER BY id DESC LIMIT 1",
        )
        .unwrap();
    assert!(
        run.starts_with("failed|75|") && run.contains("lock"),
        "{run}"
    );
    // The pages before the blocked one are kept.
    let stored = db.count("SELECT count(*) AS n FROM partner_center_referrals");
    assert!(stored >= 100, "{stored} stored");
}
