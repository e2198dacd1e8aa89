//! A fresh database per test, on the server `DATABASE_URL` names, else on 127.0.0.1:5432,
//! else on a private throwaway cluster (`scripts/pg-throwaway`) started for this test binary
//! and removed when it exits.

use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use diesel::{Connection, PgConnection, RunQueryDsl};

static COUNTER: AtomicUsize = AtomicUsize::new(0);
static SERVER: OnceLock<String> = OnceLock::new();
static THROWAWAY_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
static TEMPLATE: Mutex<Option<String>> = Mutex::new(None);

/// The repository root (where `scripts/` is).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Replace the database name in a connection URL.
pub fn with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("server URL parses");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

/// Start a throwaway cluster in `dir` with the project's script; returns its URL.
pub fn start_throwaway(dir: &std::path::Path) -> String {
    start_throwaway_with_host_auth(dir, "trust")
}

/// The same, with `auth` (e.g. `scram-sha-256`) for TCP connections; its socket in
/// `dir/sock` trusts every user.
pub fn start_throwaway_with_host_auth(dir: &std::path::Path, auth: &str) -> String {
    let out = std::process::Command::new(repo_root().join("scripts/pg-throwaway"))
        .arg("start")
        .arg(dir)
        .env("PG_THROWAWAY_HOST_AUTH", auth)
        .output()
        .expect("run scripts/pg-throwaway");
    assert!(
        out.status.success(),
        "throwaway cluster failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Stop and remove a throwaway cluster.
pub fn stop_throwaway(dir: &std::path::Path) {
    let _ = std::process::Command::new(repo_root().join("scripts/pg-throwaway"))
        .arg("stop")
        .arg(dir)
        .status();
}

fn answers(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .ok()
        .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_millis(500)).ok())
        .is_some()
}

/// The admin URL of the server the tests use (starting a throwaway cluster if needed).
pub fn server_url() -> &'static str {
    SERVER.get_or_init(|| {
        if let Ok(u) = std::env::var("DATABASE_URL")
            && !u.is_empty()
        {
            return u;
        }
        if answers("127.0.0.1:5432") {
            return "postgres://postgres@127.0.0.1:5432/postgres".to_string();
        }
        let dir = std::env::temp_dir().join(format!(
            "hunter-pc-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let url = start_throwaway(&dir);
        *THROWAWAY_DIR.lock().unwrap() = Some(dir);
        url
    })
}

fn admin() -> PgConnection {
    PgConnection::establish(server_url()).expect("connect to the test server")
}

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A database of its own for one test, dropped when the value is dropped.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// An empty database (no migrations applied).
    pub fn empty() -> TestDb {
        let name = unique_name("hpc_test");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin())
            .expect("create test database");
        let url = with_db(server_url(), &name);
        TestDb { name, url }
    }

    /// A database with every migration applied (copied from a migrated template).
    pub fn migrated() -> TestDb {
        let mut tpl = TEMPLATE.lock().unwrap();
        if tpl.is_none() {
            let t = TestDb::empty();
            // What `hunter-pc migrate up` does on an empty database: hunter-pc's schema, and
            // Hunter's five tables (database shape `created`).
            hunter_pc::ops::migrate::Migrate::open(
                &t.url,
                &hunter_pc::store::ConnectOptions::default(),
            )
            .and_then(|mut m| m.up(None))
            .expect("migrate template");
            let name = t.name.clone();
            std::mem::forget(t); // the template lives until the process ends
            *tpl = Some(name);
        }
        let name = unique_name("hpc_test");
        diesel::sql_query(format!(
            "CREATE DATABASE {name} TEMPLATE {}",
            tpl.as_ref().unwrap()
        ))
        .execute(&mut admin())
        .expect("create test database from template");
        let url = with_db(server_url(), &name);
        TestDb { name, url }
    }

    /// A session that sees hunter-pc's tables (schema `hunter_pc`) and Hunter's (`public`) by
    /// their unqualified names, as hunter-pc's own sessions do.
    pub fn conn(&self) -> PgConnection {
        use diesel::connection::SimpleConnection;
        let mut conn = PgConnection::establish(&self.url).expect("connect to test database");
        conn.batch_execute("SET search_path = hunter_pc, public")
            .expect("set search_path");
        conn
    }

    /// One integer from a query whose column is `n` (NULL reads as 0).
    pub fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
            n: Option<i64>,
        }
        diesel::sql_query(sql)
            .get_result::<N>(&mut self.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
            .unwrap_or(0)
    }

    /// One text from a query whose column is `t` (`None` on no row, NULL or an error).
    pub fn text(&self, sql: &str) -> Option<String> {
        #[derive(diesel::QueryableByName)]
        struct T {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            t: Option<String>,
        }
        diesel::sql_query(sql)
            .get_result::<T>(&mut self.conn())
            .ok()
            .and_then(|r| r.t)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin());
    }
}

#[ctor::dtor]
fn cleanup() {
    if let Some(t) = TEMPLATE.lock().ok().and_then(|mut t| t.take())
        && let Ok(mut c) = PgConnection::establish(server_url())
    {
        let _ =
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {t} WITH (FORCE)")).execute(&mut c);
    }
    if let Some(dir) = THROWAWAY_DIR.lock().ok().and_then(|mut d| d.take()) {
        stop_throwaway(&dir);
    }
}

/// The layout hunter-pc finds in a test database (default schemas), for calling the library.
pub fn layout(conn: &mut PgConnection) -> hunter_pc::store::Layout {
    hunter_pc::store::layout::detect(conn, &hunter_pc::store::Schemas::default())
        .expect("detect the database's shape")
}

/// Inserts, updates and deletes (committed or not) the statistics system counted on the tables
/// `filter` (a condition on `pg_stat_user_tables`) selects. Call it only after the hunter-pc
/// process has exited: it waits until no other backend of the test database is left (a backend flushes its counters before it
/// leaves `pg_stat_activity`), then re-reads with `pg_stat_clear_snapshot()` until the sum is
/// the same on five reads 100 ms apart. Panics rather than answer from counters that may not
/// have been flushed.
pub fn write_counters(db: &TestDb, filter: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn();
    let mut one = |sql: &str| -> i64 {
        diesel::sql_query("SELECT pg_stat_clear_snapshot()")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(sql)
            .get_result::<N>(&mut conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let tick = || std::thread::sleep(std::time::Duration::from_millis(100));
    loop {
        let others = one("SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()");
        if others == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{others} other backend(s) still on the test database after 30 s: their write \
             counters may not be flushed"
        );
        tick();
    }
    let sum = format!(
        "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::bigint AS n \
         FROM pg_stat_user_tables WHERE {filter}"
    );
    let sum = sum.as_str();
    let (mut last, mut same) = (one(sum), 0);
    while same < 4 {
        tick();
        let now = one(sum);
        same = if now == last { same + 1 } else { 0 };
        last = now;
        assert!(
            std::time::Instant::now() < deadline,
            "pg_stat_user_tables did not settle within 30 s"
        );
    }
    last
}
