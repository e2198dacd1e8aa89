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

/// The commands that need the database: a file sync, `status`, `migrate status`.
fn database_commands(file: &Path) -> [Vec<String>; 3] {
    [
        vec![
            "sync".into(),
            "--no-scan".into(),
            "--from-file".into(),
            file.display().to_string(),
        ],
        vec!["status".into()],
        vec!["migrate".into(), "status".into()],
    ]
}

/// Run `args` against `url` with one setting, and how long it took (killed after 60 s).
fn timed(
    home: &Path,
    url: &str,
    setting: (&str, &str),
    args: &[String],
) -> (std::process::Output, Duration) {
    let started = Instant::now();
    let out = hunter(home)
        .env("DATABASE_URL", url)
        .env(setting.0, setting.1)
        .args(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (out, started.elapsed())
}

#[test]
fn a_database_that_never_answers_ends_each_command_with_69_within_the_connect_timeout() {
    let home = tempfile::tempdir().unwrap();
    let (addr, _stop) = silent_server();
    let url = format!("postgres://postgres@{addr}/hunter");
    let file = write_ndjson(home.path(), &r#gen::referrals(41, 2));
    for args in database_commands(&file) {
        let (out, took) = timed(
            home.path(),
            &url,
            ("HUNTER_PC_DB_CONNECT_TIMEOUT_SECS", "2"),
            &args,
        );
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
    // A tenant id makes the company M365: its row is written (an unchanged company is not).
    referrals[250]["azureTenantId"] = Value::from("0b1f7c2e-3a4d-4e5f-8a9b-1c2d3e4f5a6b");
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
    let stored = db.count("SELECT count(*) AS n FROM referrals");
    assert!(stored >= 100, "{stored} stored");
}

/// A stand-in Postgres on loopback that speaks just enough of the protocol to let a client in
/// (no authentication) and answers every `SET`, then never answers anything else: a server
/// that stops answering in the middle of a session. Returns its address.
fn server_that_stops_after_the_handshake() -> std::net::SocketAddr {
    use std::io::Read;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for socket in listener.incoming() {
            let Ok(socket) = socket else { continue };
            std::thread::spawn(move || {
                let mut s = socket;
                let msg = |kind: u8, body: &[u8]| {
                    let mut m = vec![kind];
                    m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
                    m.extend_from_slice(body);
                    m
                };
                let read_n = |s: &mut std::net::TcpStream, n: usize| {
                    let mut b = vec![0u8; n];
                    s.read_exact(&mut b).ok().map(|_| b)
                };
                // The startup: SSL and GSS requests are declined, then anyone may come in.
                loop {
                    let Some(len) = read_n(&mut s, 4) else { return };
                    let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
                    let Some(body) = read_n(&mut s, len - 4) else {
                        return;
                    };
                    let code = u32::from_be_bytes(body[..4].try_into().unwrap());
                    if code == 80877103 || code == 80877104 {
                        s.write_all(b"N").unwrap();
                        continue;
                    }
                    let mut out = msg(b'R', &0u32.to_be_bytes());
                    for (k, v) in [
                        ("server_version", "15.0"),
                        ("server_encoding", "UTF8"),
                        ("client_encoding", "UTF8"),
                        ("DateStyle", "ISO, MDY"),
                        ("TimeZone", "UTC"),
                        ("integer_datetimes", "on"),
                        ("standard_conforming_strings", "on"),
                    ] {
                        out.extend(msg(b'S', format!("{k}\0{v}\0").as_bytes()));
                    }
                    out.extend(msg(b'K', &[0, 0, 0, 1, 0, 0, 0, 2]));
                    out.extend(msg(b'Z', b"I"));
                    s.write_all(&out).unwrap();
                    break;
                }
                // Then: `SET`s answered (simple or extended protocol), anything else never.
                let is_set = |sql: &[u8]| {
                    String::from_utf8_lossy(sql)
                        .trim_start()
                        .to_ascii_uppercase()
                        .starts_with("SET")
                };
                loop {
                    let Some(head) = read_n(&mut s, 5) else {
                        return;
                    };
                    let len = u32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
                    let Some(body) = read_n(&mut s, len - 4) else {
                        return;
                    };
                    let reply = match head[0] {
                        b'Q' if is_set(&body) => {
                            let mut r = msg(b'C', b"SET\0");
                            r.extend(msg(b'Z', b"I"));
                            r
                        }
                        b'P' => {
                            let name_end = body.iter().position(|b| *b == 0).unwrap();
                            if !is_set(&body[name_end + 1..]) {
                                break;
                            }
                            msg(b'1', b"")
                        }
                        b'B' => msg(b'2', b""),
                        b'D' if body[0] == b'S' => {
                            let mut r = msg(b't', &[0, 0]);
                            r.extend(msg(b'n', b""));
                            r
                        }
                        b'D' => msg(b'n', b""),
                        b'E' => msg(b'C', b"SET\0"),
                        b'S' => msg(b'Z', b"I"),
                        b'C' => msg(b'3', b""),
                        _ => break,
                    };
                    s.write_all(&reply).unwrap();
                }
                // Silence, with the connection held open.
                std::thread::sleep(Duration::from_secs(120));
            });
        }
    });
    addr
}

#[test]
fn a_database_that_stops_answering_mid_session_ends_each_command_with_69() {
    let home = tempfile::tempdir().unwrap();
    let addr = server_that_stops_after_the_handshake();
    let url = format!("postgres://postgres@{addr}/hunter");
    let file = write_ndjson(home.path(), &r#gen::referrals(43, 2));
    for args in database_commands(&file) {
        let (out, took) = timed(
            home.path(),
            &url,
            ("HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS", "1"),
            &args,
        );
        assert_exit(&out, 69);
        // The statement timeout, the watchdog's grace, and 2 s.
        let bound =
            Duration::from_secs(1) + hunter_pc::store::watchdog::GRACE + Duration::from_secs(2);
        assert!(took < bound, "{args:?} took {took:?}");
        assert!(
            took >= Duration::from_secs(1) + hunter_pc::store::watchdog::GRACE,
            "{args:?} ended before the watchdog's bound: {took:?}"
        );
        let last = last_stderr_line(&out);
        assert!(
            last.starts_with("error: the database did not answer a statement within 6 s")
                && last.contains("HUNTER_PC_DB_STATEMENT_TIMEOUT_SECS"),
            "{args:?}: {last}"
        );
    }
}
