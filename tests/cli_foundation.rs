//! Foundation, through the binary: migrations, status, configuration, completions, man.

mod support;

use std::process::Command as StdCommand;

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use support::pg::{self, TestDb};
use support::{assert_exit, hunter, last_stderr_line, stdout_json};

/// What `migrate up` creates on an empty database: hunter-pc's tables in its schema, and
/// Hunter's five in Hunter's (sorted).
const TABLES: [&str; 11] = [
    "hunter_pc.hunter_tables",
    "hunter_pc.referrals",
    "hunter_pc.scans",
    "hunter_pc.scores",
    "hunter_pc.sync_runs",
    "hunter_pc.sync_state",
    "public.companies",
    "public.domain_signals",
    "public.lead_scores",
    "public.partner_center_referrals",
    "public.raw_leads",
];

fn tables(db: &TestDb) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        tablename: String,
    }
    diesel::sql_query(
        "SELECT schemaname || '.' || tablename AS tablename FROM pg_tables \
         WHERE schemaname IN ('public', 'hunter_pc') \
         AND tablename <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load::<T>(&mut db.conn())
    .unwrap()
    .into_iter()
    .map(|t| t.tablename)
    .collect()
}

fn schema_dump(db: &TestDb) -> String {
    let out = StdCommand::new("pg_dump")
        .args(["--schema-only", "--no-owner", "--restrict-key=hunterpctest"])
        .arg(&db.url)
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn migrate(db: &TestDb, home: &std::path::Path, args: &[&str]) -> std::process::Output {
    hunter(home)
        .env("DATABASE_URL", &db.url)
        .arg("migrate")
        .args(args)
        .output()
        .unwrap()
}

fn status_json(db: &TestDb, home: &std::path::Path) -> serde_json::Value {
    let out = migrate(db, home, &["status", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout_json(&out)
}

#[test]
fn migrate_up_down_up_gives_the_same_schema_even_with_rows() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::empty();
    let out = migrate(&db, home.path(), &["up"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tables(&db), {
        let mut t: Vec<String> = TABLES.iter().map(|s| s.to_string()).collect();
        t.sort();
        t
    });
    let st = status_json(&db, home.path());
    let known: Vec<String> = hunter_pc::store::migrations::known_migrations()
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(st["applied"], serde_json::json!(known));
    assert_eq!(st["pending"], serde_json::json!([]));
    let fresh = schema_dump(&db);

    // Fill every table, then take everything down and up again.
    db.conn()
        .batch_execute(
            "INSERT INTO companies (domain, canonical_name) VALUES ('acme.io', 'Acme');
         INSERT INTO raw_leads (source, domain, payload) VALUES ('partnercenter', 'acme.io', '{}');
         INSERT INTO referrals (referral_id, content_hash, raw_data, company_id)
           SELECT 'r1', 'h', '{}', id FROM companies;
         INSERT INTO scans (domain, scan_status) VALUES ('acme.io', 'success');
         INSERT INTO scores (domain, readiness_score, segment, reason, technical_heat,
           commercial_segment, commercial_heat, priority_category, priority_label, priority_score)
           VALUES ('acme.io', 1, 'Skip', 'r', 'Cold', 'NO_GO', 'LOW', 'P6', 'x', 7);
         INSERT INTO sync_runs (status, source, direction) VALUES ('ok', 'file', 'incoming');
         INSERT INTO sync_state (stream) VALUES ('referrals:incoming');",
        )
        .unwrap();

    let out = migrate(&db, home.path(), &["down", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tables(&db).is_empty(), "left behind: {:?}", tables(&db));
    assert_eq!(
        status_json(&db, home.path())["applied"],
        serde_json::json!([])
    );

    let out = migrate(&db, home.path(), &["up"]);
    assert!(out.status.success());
    assert_eq!(schema_dump(&db), fresh);
}

#[test]
fn down_to_leaves_that_version_and_up_to_stops_there_and_redo_works() {
    let home = tempfile::tempdir().unwrap();
    // On a Hunter database: there hunter-pc's migrations are its own to take back one by one
    // (where it created Hunter's tables, only `down --all` reverts its record).
    let db = support::hunter::hunter_db(support::hunter::HunterLine::Newest, "public");
    let hunters = tables(&db);
    let known: Vec<String> = hunter_pc::store::migrations::known_migrations()
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert!(known.len() >= 3);

    let out = migrate(&db, home.path(), &["up", "--to", &known[1]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        status_json(&db, home.path())["applied"],
        serde_json::json!(known[..2])
    );

    // Dry runs change nothing.
    let out = migrate(&db, home.path(), &["up", "--dry-run"]);
    assert!(out.status.success());
    let listed = String::from_utf8_lossy(&out.stdout);
    for v in &known[2..] {
        assert!(listed.contains(v.as_str()), "{listed}");
    }
    assert_eq!(
        status_json(&db, home.path())["applied"],
        serde_json::json!(known[..2])
    );

    assert!(migrate(&db, home.path(), &["up"]).status.success());
    let out = migrate(&db, home.path(), &["down", "--to", &known[0]]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let st = status_json(&db, home.path());
    assert_eq!(st["applied"], serde_json::json!([known[0]]));
    assert_eq!(st["pending"], serde_json::json!(known[1..]));
    let mut left = hunters.clone();
    left.push("hunter_pc.hunter_tables".to_string());
    left.sort();
    assert_eq!(tables(&db), left);

    assert!(migrate(&db, home.path(), &["up"]).status.success());
    let before = schema_dump(&db);
    let out = migrate(&db, home.path(), &["redo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(schema_dump(&db), before);
    assert_eq!(
        status_json(&db, home.path())["pending"],
        serde_json::json!([])
    );

    let out = migrate(&db, home.path(), &["down", "--steps", "2"]);
    assert!(out.status.success());
    assert_eq!(
        status_json(&db, home.path())["applied"]
            .as_array()
            .unwrap()
            .len(),
        known.len() - 2
    );

    let out = migrate(&db, home.path(), &["up", "--to", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(last_stderr_line(&out).starts_with("error: unknown migration version"));
}

#[test]
fn a_database_newer_than_the_binary_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    diesel::sql_query("INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000')")
        .execute(&mut db.conn())
        .unwrap();
    for args in [&["up"][..], &["status", "--json"], &["down"]] {
        let out = migrate(&db, home.path(), args);
        assert_eq!(out.status.code(), Some(78), "{args:?}");
        assert!(last_stderr_line(&out).contains("the database is newer than this hunter-pc"));
    }
}

#[test]
fn status_exit_codes_follow_the_contract() {
    let home = tempfile::tempdir().unwrap();
    // No DATABASE_URL: 78 naming it.
    let out = hunter(home.path()).arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(
        last_stderr_line(&out).contains("DATABASE_URL"),
        "{}",
        last_stderr_line(&out)
    );

    // Unreachable: 69. Port 9 on loopback refuses connections.
    let out = hunter(home.path())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:9/postgres")
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 69);
    assert_eq!(stdout_json(&out)["database"]["reachable"], false);
    assert!(last_stderr_line(&out).starts_with("error: cannot reach the database"));

    // Pending migrations: 78 pointing at `migrate up`.
    let db = TestDb::empty();
    let out = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(last_stderr_line(&out).contains("hunter-pc migrate up"));
    let j = stdout_json(&out);
    assert_eq!(j["database"]["reachable"], true);
    assert_eq!(
        j["database"]["pending"].as_array().unwrap().len(),
        hunter_pc::store::migrations::known_migrations().len()
    );

    // Migrated, flag off: 0, with counts for every table and secrets redacted.
    let db = TestDb::migrated();
    let url = pg::with_db(&db.url, &db.name).replace("postgres@", "postgres:s3cret@");
    let out = hunter(home.path())
        .env("DATABASE_URL", &url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let j = stdout_json(&out);
    // Counts by unqualified name, both schemas (the record of created tables is not one).
    let counted: Vec<&str> = TABLES
        .iter()
        .map(|t| t.split_once('.').unwrap().1)
        .filter(|t| *t != "hunter_tables")
        .collect();
    assert_eq!(j["counts"].as_object().unwrap().len(), counted.len(), "{j}");
    for t in counted {
        assert_eq!(j["counts"][t], 0, "{t}");
    }
    assert_eq!(j["database"]["shape"], "created");
    assert_eq!(j["enabled"], false);
    assert!(j["last_run"].is_null());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cret"));
    for k in [
        "config", "database", "auth", "enabled", "last_run", "cursor", "counts",
    ] {
        assert!(j.get(k).is_some(), "missing {k}");
    }
    // The text form says the same without JSON.
    let out = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .arg("status")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("referrals"));
}

#[test]
fn configuration_errors_name_their_source() {
    let home = tempfile::tempdir().unwrap();
    let out = hunter(home.path())
        .env("HUNTER_PC_ENABLED", "maybe")
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let line = last_stderr_line(&out);
    assert!(line.starts_with("error: HUNTER_PC_ENABLED"), "{line}");

    let cfg = home.path().join("bad.toml");
    std::fs::write(&cfg, "page_size = 10\nenabled = tru e\n").unwrap();
    let out = hunter(home.path())
        .arg("--config")
        .arg(&cfg)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let line = last_stderr_line(&out);
    assert!(
        line.contains("bad.toml") && line.contains("line 2"),
        "{line}"
    );

    std::fs::write(&cfg, "page_size = 10\n\npage_sise = 5\n").unwrap();
    let out = hunter(home.path())
        .env("HUNTER_PC_CONFIG", &cfg)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let line = last_stderr_line(&out);
    assert!(
        line.contains("line 3") && line.contains("page_sise"),
        "{line}"
    );

    std::fs::write(&cfg, "page_size = 5000\n").unwrap();
    let out = hunter(home.path())
        .env("HUNTER_PC_CONFIG", &cfg)
        .arg("status")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(last_stderr_line(&out).contains("line 1: page_size"));
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let cfg = home.path().join("config.toml");
    let page = |out: &std::process::Output| stdout_json(out)["config"]["page_size"].clone();
    let dburl = |out: &std::process::Output| stdout_json(out)["config"]["database_url"].clone();

    // default
    let out = hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(page(&out), 100);
    // file beats default (found in $XDG_CONFIG_HOME without --config)
    std::fs::create_dir_all(home.path().join(".config/hunter-pc")).unwrap();
    std::fs::write(
        home.path().join(".config/hunter-pc/config.toml"),
        format!("page_size = 25\ndatabase_url = \"{}\"\n", db.url),
    )
    .unwrap();
    let out = hunter(home.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(page(&out), 25);
    // env beats file
    let out = hunter(home.path())
        .env("HUNTER_PC_PAGE_SIZE", "50")
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(page(&out), 50);
    // flag beats env (for the database URL, the setting with a flag)
    std::fs::write(
        &cfg,
        "database_url = \"postgres://postgres@127.0.0.1:9/nowhere\"\n",
    )
    .unwrap();
    let out = hunter(home.path())
        .env("HUNTER_PC_CONFIG", &cfg)
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:9/env")
        .arg("--database-url")
        .arg(&db.url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    assert_eq!(dburl(&out), db.url.as_str());
    // env beats file for the same setting
    let out = hunter(home.path())
        .env("HUNTER_PC_CONFIG", &cfg)
        .env("DATABASE_URL", &db.url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn completions_source_in_bash_and_man_renders() {
    let home = tempfile::tempdir().unwrap();
    let out = hunter(home.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = home.path().join("c.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    let st = StdCommand::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p hunter-pc",
            script.display()
        ))
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    assert!(String::from_utf8_lossy(&st.stdout).contains("hunter-pc"));

    let out = hunter(home.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let page = home.path().join("hunter-pc.1");
    std::fs::write(&page, &out.stdout).unwrap();
    let rendered = StdCommand::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let text = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        text.contains("hunter-pc") && text.contains("migrate"),
        "{text}"
    );
}

#[test]
fn the_harness_runs_on_a_throwaway_cluster() {
    // The same helper the suite falls back on when nothing answers, run for real.
    let dir = tempfile::Builder::new()
        .prefix("hpc-throwaway")
        .tempdir()
        .unwrap();
    let cluster = dir.path().join("pg");
    let url = pg::start_throwaway(&cluster);
    assert!(
        !url.contains(":5432/"),
        "must not use the default port: {url}"
    );
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
    let schemas = hunter_pc::store::Schemas::default();
    hunter_pc::store::migrations::migrate_up(&mut conn, &schemas, None).unwrap();
    let st = hunter_pc::store::migrations::migration_state(&mut conn, &schemas).unwrap();
    assert!(st.pending.is_empty());
    drop(conn);
    pg::stop_throwaway(&cluster);
    assert!(!cluster.exists());
}
