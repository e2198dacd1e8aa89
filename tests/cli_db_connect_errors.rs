//! What a connection that cannot be made means for the exit code: a configuration error only
//! the operator can fix (no password, a wrong one, an unknown option, not a Postgres URL) is 78;
//! a server that cannot be reached stays 69. Each through `sync`, `status` and `migrate status`.

mod support;

use std::time::Duration;

use support::pg::TestDb;
use support::{assert_exit, hunter, last_stderr_line, pg};

/// The three commands every connection error is tried with.
fn commands(home: &std::path::Path) -> [Vec<String>; 3] {
    let file = home.join("one.ndjson");
    std::fs::write(&file, "{\"id\": \"r-1\"}\n").unwrap();
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

/// Run each command against `url`; every one exits `code` with a last line containing `says`.
#[track_caller]
fn each_exits(home: &std::path::Path, url: &str, code: i32, says: &str) {
    for args in commands(home) {
        let out = hunter(home)
            .env("DATABASE_URL", url)
            .args(&args)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        assert_exit(&out, code);
        let last = last_stderr_line(&out);
        assert!(
            last.starts_with("error: ") && last.contains(says),
            "{args:?} with {url}: {last}"
        );
    }
}

#[test]
fn connection_strings_only_the_operator_can_fix_exit_78() {
    let home = tempfile::tempdir().unwrap();
    let server = url::Url::parse(pg::server_url()).unwrap();
    let host = server.host_str().unwrap().to_string();
    let port = server.port().unwrap_or(5432);
    for (url, says) in [
        (
            "mysql://hunter:pw@db.example/hunter".to_string(),
            "not a Postgres connection URL (a mysql:// URL)",
        ),
        (
            "just some words".to_string(),
            "not a Postgres connection URL",
        ),
        (
            format!("postgres://postgres@{host}:{port}/postgres?conect_timeout=5"),
            "invalid URI query parameter: \"conect_timeout\"",
        ),
        (
            format!("host={host} port={port} user=postgres conect_timeout=5"),
            "invalid connection option \"conect_timeout\"",
        ),
        (
            format!("postgres://postgres@{host}:{port}/postgres?sslmode=sometimes"),
            "invalid sslmode value",
        ),
        (
            format!("postgres://postgres@[{host}:{port}/postgres"),
            "not a valid connection string",
        ),
        (
            format!(
                "postgres://postgres@{host}:{port}/hpc_no_such_database_{}",
                std::process::id()
            ),
            "does not exist",
        ),
        (
            format!("postgres://hpc_no_such_role@{host}:{port}/postgres"),
            "refused the connection",
        ),
    ] {
        each_exits(home.path(), &url, 78, says);
    }
}

#[test]
fn unreachable_servers_stay_69() {
    let home = tempfile::tempdir().unwrap();
    // Port 9 on loopback refuses connections.
    each_exits(
        home.path(),
        "postgres://postgres@127.0.0.1:9/postgres",
        69,
        "cannot reach the database",
    );
}

/// A cluster of its own that wants a password over TCP (scram-sha-256): no password and a
/// wrong one are configuration errors (78), the right one gets in. Messages never show it.
#[test]
fn a_server_that_wants_a_password_and_gets_none_or_a_wrong_one_is_78() {
    let home = tempfile::tempdir().unwrap();
    let dir = std::env::temp_dir().join(format!("hunter-pc-pw-{}", std::process::id()));
    struct Cluster(std::path::PathBuf);
    impl Drop for Cluster {
        fn drop(&mut self) {
            pg::stop_throwaway(&self.0);
        }
    }
    let tcp = pg::start_throwaway_with_host_auth(&dir, "scram-sha-256");
    let _cluster = Cluster(dir.clone());
    let port = std::fs::read_to_string(dir.join("port")).unwrap();
    let port = port.trim();
    // Over the socket (trusted): give the superuser a password.
    let socket = format!(
        "postgres://postgres@/postgres?host={}&port={port}",
        dir.join("sock").display()
    );
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::PgConnection::establish(&socket).unwrap();
    diesel::sql_query("ALTER ROLE postgres PASSWORD 'Right-Horse-42'")
        .execute(&mut admin)
        .unwrap();

    each_exits(home.path(), &tcp, 78, "wants a password and none was given");
    let wrong = tcp.replace("postgres@", "postgres:Wrong-Horse-41@");
    each_exits(home.path(), &wrong, 78, "password authentication failed");
    for args in commands(home.path()) {
        let out = hunter(home.path())
            .env("DATABASE_URL", &wrong)
            .args(&args)
            .output()
            .unwrap();
        let all = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(!all.contains("Wrong-Horse-41"), "{args:?}: {all}");
    }
    // The right password gets in (the cluster has no migrations applied: `migrate status`
    // lists them pending, exit 0).
    let right = tcp.replace("postgres@", "postgres:Right-Horse-42@");
    let out = hunter(home.path())
        .env("DATABASE_URL", &right)
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    // The same with a database created for the test on the shared server, for good measure:
    // a URL with the keepalives and timeout already given is taken as it is.
    let db = TestDb::migrated();
    let given = format!(
        "{}?connect_timeout=4&keepalives=1&keepalives_idle=60",
        db.url
    );
    let out = hunter(home.path())
        .env("DATABASE_URL", &given)
        .args(["migrate", "status"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
}
