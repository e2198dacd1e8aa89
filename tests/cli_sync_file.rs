//! `sync --from-file` through the binary against real Postgres: counting, idempotence,
//! dry runs, the lock, failure isolation and hostile input (issue: Ingestion pipeline).

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use support::pg::TestDb;
use support::{assert_exit, hunter, hunter_std, last_stderr_line, stdout_json};

/// A referral shaped like the documented sample, with a customer contact at `domain`.
fn referral(id: &str, updated: &str, domain: Option<&str>) -> Value {
    let mut r = json!({
        "id": id,
        "engagementId": format!("eng-{id}"),
        "organizationId": "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d",
        "organizationName": "Contoso Partner",
        "createdDateTime": "2026-11-01T09:00:00.0000000Z",
        "updatedDateTime": updated,
        "status": "New",
        "substatus": "Pending",
        "qualification": "SalesQualified",
        "type": "Independent",
        "direction": "Incoming",
        "customerProfile": {
            "name": format!("Customer {id}"),
            "address": {"city": "Istanbul", "country": "TR"},
            "team": []
        },
        "details": {"dealValue": 1000, "currency": "USD"},
        "team": [{"firstName": "Partner", "email": "seller@partner-side.com"}],
        "inviteContext": {"invitedBy": {"organizationId": "msft"}}
    });
    if let Some(d) = domain {
        r["customerProfile"]["team"] = json!([{"firstName": "Ayşe", "email": format!("ayse@{d}")}]);
    }
    r
}

fn write_ndjson(dir: &Path, name: &str, items: &[Value]) -> PathBuf {
    let p = dir.join(name);
    let mut f = std::fs::File::create(&p).unwrap();
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    p
}

fn import(db: &TestDb, home: &Path, file: &Path, extra: &[&str]) -> std::process::Output {
    hunter(home)
        .env("DATABASE_URL", &db.url)
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(file)
        .args(extra)
        .output()
        .unwrap()
}

/// Every row of every table but the run log (`sync_runs`, `sync_state`) with its `xmin`: any
/// insert, update or delete changes it. The tables are read from the catalog, so a new table
/// is covered without touching this.
fn data_snapshot(db: &TestDb) -> String {
    let tables = db
        .text(
            "SELECT string_agg(tablename, ' ' ORDER BY tablename) AS t FROM pg_tables \
             WHERE schemaname = 'public' AND tablename NOT IN ('sync_runs', 'sync_state')",
        )
        .expect("the test database has tables");
    let mut out = String::new();
    for t in tables.split(' ') {
        out.push_str(&format!("{t}:\n"));
        out.push_str(
            &db.text(&format!(
                "SELECT string_agg(x::text, E'\\n' ORDER BY x::text) AS t FROM \
                     (SELECT xmin::text AS v, {t}.*::text AS r FROM {t}) x"
            ))
            .unwrap_or_default(),
        );
        out.push('\n');
    }
    out
}

fn summary(out: &std::process::Output) -> Value {
    stdout_json(out)
}

fn fetched_is_the_sum(s: &Value) {
    let skipped: i64 = s["skipped"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    let sum = s["new"].as_i64().unwrap()
        + s["updated"].as_i64().unwrap()
        + s["unchanged"].as_i64().unwrap()
        + s["failed"].as_i64().unwrap()
        + skipped;
    assert_eq!(s["fetched"].as_i64().unwrap(), sum, "{s}");
}

/// Every table but the run log (which a dry run writes).
const NOT_THE_RUN_LOG: &str = "relname NOT IN ('sync_runs', 'sync_state')";

#[test]
fn counting_follows_the_rules_and_fetched_is_their_sum() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    // First import: a (to be changed), b (to stay), s (to be stale later).
    let first = write_ndjson(
        home.path(),
        "first.ndjson",
        &[
            referral("a", "2026-11-02T10:00:00Z", Some("alpha.com.tr")),
            referral("b", "2026-11-02T10:00:00Z", Some("beta.io")),
            referral("s", "2026-11-05T10:00:00Z", Some("stale.io")),
        ],
    );
    let out = import(&db, home.path(), &first, &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(
        (s["new"].as_i64(), s["companies_created"].as_i64()),
        (Some(3), Some(3))
    );

    let mut outgoing = referral("o", "2026-11-03T10:00:00Z", Some("out.io"));
    outgoing["direction"] = json!("Outgoing");
    let mut id_less = referral("x", "2026-11-03T10:00:00Z", Some("noid.io"));
    id_less.as_object_mut().unwrap().remove("id");
    let mut a_changed = referral("a", "2026-11-03T10:00:00Z", Some("alpha.com.tr"));
    a_changed["status"] = json!("Active");
    let mut n_newer = referral("n", "2026-11-04T10:00:00Z", Some("beta.io"));
    n_newer["status"] = json!("Active");
    let mixed = write_ndjson(
        home.path(),
        "mixed.ndjson",
        &[
            a_changed,                                               // updated
            referral("b", "2026-11-02T10:00:00Z", Some("beta.io")),  // unchanged
            outgoing,                                                // skipped direction
            id_less,                                                 // skipped invalid
            referral("n", "2026-11-03T10:00:00Z", Some("beta.io")),  // new (existing company)
            n_newer,                                                 // updated (newer repeat)
            referral("n", "2026-11-01T10:00:00Z", Some("beta.io")),  // duplicate_in_run (older)
            referral("s", "2026-11-01T10:00:00Z", Some("stale.io")), // stale
            referral("u", "2026-11-03T10:00:00Z", None),             // new, unlinked
            json!({"id": "g", "updatedDateTime": "2026-11-03T10:00:00Z",
                   "customerProfile": {"name": "Gamma", "website": "https://www.gamma.com.tr/tr"}}), // new + company
        ],
    );
    let out = import(&db, home.path(), &mixed, &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(s["status"], "ok");
    assert_eq!(s["fetched"], 10);
    assert_eq!(s["new"], 3, "{s}");
    assert_eq!(s["updated"], 2, "{s}");
    assert_eq!(s["unchanged"], 1, "{s}");
    assert_eq!(
        s["skipped"],
        json!({"direction": 1, "invalid": 1, "duplicate_in_run": 1, "stale": 1})
    );
    assert_eq!(s["failed"], 0);
    assert_eq!(s["unlinked"], 1);
    assert_eq!(s["companies_created"], 1, "{s}"); // gamma.com.tr
    assert_eq!(s["companies_updated"], 2, "{s}"); // alpha.com.tr, beta.io
    assert_eq!(s["raw_leads_inserted"], 4, "{s}"); // a, n, n again, g (u has no domain)
    assert_eq!(s["pages"], 1);
    fetched_is_the_sum(&s);

    // The stored rows say the same.
    assert_eq!(db.count("SELECT count(*) AS n FROM referrals"), 6);
    assert_eq!(
        db.text("SELECT status AS t FROM referrals WHERE referral_id = 'n'")
            .as_deref(),
        Some("Active")
    );
    assert_eq!(db.text("SELECT to_char(pc_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS t FROM referrals WHERE referral_id = 's'").as_deref(), Some("2026-11-05"));
    assert_eq!(
        db.text("SELECT link_status AS t FROM referrals WHERE referral_id = 'u'")
            .as_deref(),
        Some("unlinked")
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM referrals WHERE referral_id = 'u' AND company_id IS NULL"
        ),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM referrals r JOIN companies c ON c.id = r.company_id WHERE r.referral_id = 'g' AND c.domain = 'gamma.com.tr' AND r.link_status = 'auto_linked'"
        ),
        1
    );
    assert_eq!(
        db.text("SELECT canonical_name AS t FROM companies WHERE domain = 'beta.io'")
            .as_deref(),
        Some("Customer b")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM raw_leads WHERE domain = 'beta.io'"),
        3
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM companies WHERE domain = 'out.io' OR domain = 'noid.io'"
        ),
        0
    );
    assert_eq!(
        db.text(
            "SELECT email AS t FROM raw_leads WHERE payload->>'id' = 'a' ORDER BY id DESC LIMIT 1"
        )
        .as_deref(),
        Some("ayse@alpha.com.tr")
    );
    let run = db
        .text("SELECT row_to_json(r)::text AS t FROM sync_runs r ORDER BY id DESC LIMIT 1")
        .unwrap();
    let run: Value = serde_json::from_str(&run).unwrap();
    assert_eq!(
        (
            run["status"].as_str(),
            run["source"].as_str(),
            run["new"].as_i64()
        ),
        (Some("ok"), Some("file"), Some(3))
    );
    assert_eq!(run["skipped"]["stale"], 1);
}

#[test]
fn a_second_import_writes_nothing_and_a_change_adds_one_raw_lead() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let items: Vec<Value> = (0..250)
        .map(|i| {
            referral(
                &format!("r{i}"),
                "2026-11-02T10:00:00.1234567Z",
                Some(&format!("company{i}.com")),
            )
        })
        .collect();
    // An array file this time (the other tests use NDJSON).
    let file = home.path().join("all.json");
    std::fs::write(&file, serde_json::to_vec(&items).unwrap()).unwrap();
    let out = import(&db, home.path(), &file, &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(
        (s["new"].as_i64(), s["pages"].as_i64()),
        (Some(250), Some(3))
    );
    assert_eq!(
        db.text("SELECT to_char(pc_updated_at AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS t FROM referrals LIMIT 1").as_deref(),
        Some("10:00:00.123456"),
        "fractions beyond microseconds are truncated"
    );

    let before = data_snapshot(&db);
    let stats_before = support::pg::write_counters(&db, NOT_THE_RUN_LOG);
    let out = import(&db, home.path(), &file, &[]);
    assert_eq!(out.status.code(), Some(0));
    let s = summary(&out);
    assert_eq!(
        (
            s["new"].as_i64(),
            s["updated"].as_i64(),
            s["unchanged"].as_i64()
        ),
        (Some(0), Some(0), Some(250))
    );
    assert_eq!(s["raw_leads_inserted"], 0);
    assert_eq!(
        data_snapshot(&db),
        before,
        "an unchanged import must not touch a row"
    );
    assert_eq!(
        support::pg::write_counters(&db, NOT_THE_RUN_LOG),
        stats_before,
        "pg_stat_user_tables saw writes"
    );

    // One referral changes: its row is updated and exactly one raw lead is added.
    let mut changed = items[7].clone();
    changed["updatedDateTime"] = json!("2026-11-03T10:00:00Z");
    changed["substatus"] = json!("Accepted");
    let f2 = write_ndjson(home.path(), "changed.ndjson", &[changed]);
    let leads = db.count("SELECT count(*) AS n FROM raw_leads");
    let synced_b = db.text("SELECT synced_at::text AS t FROM referrals WHERE referral_id = 'r7'");
    let s = summary(&import(&db, home.path(), &f2, &[]));
    assert_eq!(
        (s["updated"].as_i64(), s["raw_leads_inserted"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM raw_leads"), leads + 1);
    assert_eq!(
        db.text("SELECT substatus AS t FROM referrals WHERE referral_id = 'r7'")
            .as_deref(),
        Some("Accepted")
    );
    assert_ne!(
        db.text("SELECT synced_at::text AS t FROM referrals WHERE referral_id = 'r7'"),
        synced_b
    );

    // The older copy is now stale and changes nothing.
    let before = data_snapshot(&db);
    let f3 = write_ndjson(home.path(), "old.ndjson", &[items[7].clone()]);
    let s = summary(&import(&db, home.path(), &f3, &[]));
    assert_eq!(s["skipped"]["stale"], 1);
    assert_eq!(data_snapshot(&db), before);

    // --force re-derives unchanged referrals: what differs from the derivation is rewritten
    // (here a stored row as an older rule would have left it), no raw lead is added, synced_at
    // is kept, and rows whose derivation is the same are not written at all.
    db.conn()
        .batch_execute(
            "UPDATE referrals SET referral_type = NULL, customer_country = 'XX' \
             WHERE referral_id = 'r1'",
        )
        .unwrap();
    let xmin = |id: &str| {
        db.text(&format!(
            "SELECT xmin::text || '/' || xmax::text AS t FROM referrals WHERE referral_id = '{id}'"
        ))
    };
    let company_xmin = || {
        db.text("SELECT xmin::text || '/' || xmax::text AS t FROM companies WHERE domain = 'company2.com'",
        )
    };
    let (r2_before, c2_before) = (xmin("r2"), company_xmin());
    let synced = db.text("SELECT synced_at::text AS t FROM referrals WHERE referral_id = 'r1'");
    let s = summary(&import(&db, home.path(), &file, &["--force"]));
    assert_eq!(s["forced"], true);
    assert_eq!(s["raw_leads_inserted"], 0);
    assert_eq!(s["unchanged"], 249, "{s}");
    assert_eq!(s["skipped"]["stale"], 1, "{s}"); // r7's old copy
    assert_eq!(db.count("SELECT count(*) AS n FROM raw_leads"), leads + 1);
    assert_eq!(
        db.text("SELECT synced_at::text AS t FROM referrals WHERE referral_id = 'r1'"),
        synced
    );
    assert_eq!(
        db.text("SELECT referral_type || ' ' || customer_country AS t FROM referrals WHERE referral_id = 'r1'").as_deref(),
        Some("co-sell TR"),
        "--force re-derives and rewrites what differs"
    );
    assert_eq!(
        (xmin("r2"), company_xmin()),
        (r2_before, c2_before),
        "a re-derivation that changes nothing writes nothing"
    );
}

#[test]
fn a_dry_run_keeps_nothing_but_its_run_row() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let file = write_ndjson(
        home.path(),
        "f.ndjson",
        &[
            referral("a", "2026-11-02T10:00:00Z", Some("alpha.io")),
            referral("b", "2026-11-02T10:00:00Z", None),
        ],
    );
    let out = import(&db, home.path(), &file, &["--dry-run"]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(
        (
            s["new"].as_i64(),
            s["dry_run"].as_bool(),
            s["companies_created"].as_i64()
        ),
        (Some(2), Some(true), Some(1))
    );
    for t in [
        "companies",
        "raw_leads",
        "referrals",
        "scans",
        "scores",
        "sync_state",
    ] {
        assert_eq!(
            db.count(&format!("SELECT count(*) AS n FROM {t}")),
            0,
            "{t}"
        );
    }
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sync_runs WHERE dry_run AND status = 'ok'"),
        1
    );
}

#[test]
fn two_imports_at_once_one_waits_for_nothing_and_exits_75() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let items: Vec<Value> = (0..3000)
        .map(|i| {
            referral(
                &format!("r{i}"),
                "2026-11-02T10:00:00Z",
                Some(&format!("c{i}.com")),
            )
        })
        .collect();
    let file = write_ndjson(home.path(), "big.ndjson", &items);
    // Hold the lock from here, as a running sync would, then start the two imports.
    let mut holder =
        hunter_pc::store::lock::LockSession::connect(&db.url, &Default::default()).unwrap();
    assert!(holder.try_lock().unwrap());
    let t0 = std::time::Instant::now();
    let out = import(&db, home.path(), &file, &[]);
    assert_exit(&out, 75);
    assert!(
        t0.elapsed() < std::time::Duration::from_secs(1),
        "took {:?}",
        t0.elapsed()
    );
    assert_eq!(summary(&out)["status"], "locked");
    assert!(last_stderr_line(&out).contains("another hunter-pc sync is running"));
    drop(holder);

    let spawn = || {
        support::hunter_std(home.path())
            .env("DATABASE_URL", &db.url)
            .args(["sync", "--no-scan", "--json", "--from-file"])
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let mut codes = vec![a.status.code().unwrap(), b.status.code().unwrap()];
    codes.sort();
    assert_eq!(
        codes,
        vec![0, 75],
        "{}\n{}",
        String::from_utf8_lossy(&a.stderr),
        String::from_utf8_lossy(&b.stderr)
    );
    assert_eq!(db.count("SELECT count(*) AS n FROM referrals"), 3000);
    assert_eq!(db.count("SELECT count(*) AS n FROM raw_leads"), 3000);
    assert_eq!(db.count("SELECT count(*) AS n FROM companies"), 3000);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sync_runs WHERE status = 'locked'"),
        2
    );
}

/// A trigger that makes every write of the referral `bad` fail.
fn refuse_referral_bad(db: &TestDb) {
    db.conn()
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN
               IF NEW.referral_id = 'bad' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON referrals
               FOR EACH ROW EXECUTE FUNCTION refuse();",
        )
        .unwrap();
}

#[test]
fn a_referral_that_fails_to_write_is_isolated() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    refuse_referral_bad(&db);
    let items: Vec<Value> = ["r1", "bad", "r2", "r3"]
        .iter()
        .map(|id| referral(id, "2026-11-02T10:00:00Z", Some(&format!("{id}.com"))))
        .collect();
    let file = write_ndjson(home.path(), "f.ndjson", &items);
    let out = import(&db, home.path(), &file, &[]);
    assert_exit(&out, 1);
    let s = summary(&out);
    assert_eq!(
        (
            s["status"].as_str(),
            s["failed"].as_i64(),
            s["new"].as_i64()
        ),
        (Some("partial"), Some(1), Some(3))
    );
    fetched_is_the_sum(&s);
    assert!(last_stderr_line(&out).starts_with("error: 1 referral(s) failed"));
    assert_eq!(db.count("SELECT count(*) AS n FROM referrals"), 3);
    assert_eq!(db.count("SELECT count(*) AS n FROM raw_leads"), 3);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM companies WHERE domain = 'bad.com'"),
        0
    );
    let err = db
        .text("SELECT errors->>'bad' AS t FROM sync_runs ORDER BY id DESC LIMIT 1")
        .unwrap();
    assert!(err.contains("refused by test trigger"), "{err}");
}

#[test]
fn hostile_files_get_their_stated_outcome() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();

    let missing = import(&db, home.path(), &home.path().join("nope.json"), &[]);
    assert_eq!(missing.status.code(), Some(66));
    assert!(last_stderr_line(&missing).contains("nope.json"));

    let truncated = home.path().join("t.json");
    std::fs::write(
        &truncated,
        "[\n  {\"id\": \"a\"},\n  {\"id\": \"b\", \"status\": ",
    )
    .unwrap();
    let out = import(&db, home.path(), &truncated, &[]);
    assert_eq!(out.status.code(), Some(65));
    let line = last_stderr_line(&out);
    assert!(line.contains("line 3 column"), "{line}");
    assert_eq!(db.count("SELECT count(*) AS n FROM referrals"), 0);

    let empty = home.path().join("empty.ndjson");
    std::fs::write(&empty, "\n\n   \n").unwrap();
    let out = import(&db, home.path(), &empty, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(summary(&out)["fetched"], 0);

    // NDJSON with every kind of bad line among good ones.
    let mut bytes = Vec::new();
    let good = |id: &str| {
        serde_json::to_vec(&referral(
            id,
            "2026-11-02T10:00:00Z",
            Some(&format!("{id}.org")),
        ))
        .unwrap()
    };
    bytes.extend(good("g1"));
    bytes.extend(b"\n{\"id\": \"broken\",\n"); // bad JSON
    bytes.extend(b"{\"status\": \"New\"}\n"); // no id
    bytes.extend(b"{\"id\": 42, \"customerProfile\": \"not an object\"}\n"); // wrong types
    bytes.extend(br#"{"id": "wrong", "customerProfile": {"ids": 7, "team": "x", "name": ["a"]}, "details": {"dealValue": "lots"}, "updatedDateTime": "yesterday"}"#);
    bytes.push(b'\n');
    let huge = "x".repeat(1_000_000);
    bytes.extend(
        serde_json::to_vec(
            &json!({"id": "huge", "customerProfile": {"name": huge}, "notes": huge}),
        )
        .unwrap(),
    );
    bytes.push(b'\n');
    bytes.extend(
        format!(
            "{{\"id\":\"deep\",\"x\":{}{}}}\n",
            "[".repeat(20000),
            "]".repeat(20000)
        )
        .as_bytes(),
    );
    bytes.extend(b"{\"id\": \"utf\xff\xfe8\"}\n"); // invalid UTF-8
    bytes.extend(b"{\"id\": \"nul\\u0000\"}\n"); // an id Postgres cannot hold
    bytes.extend(b"{\"id\": \"ctl\\u001b\", \"customerProfile\": {\"name\": \"A\\u0000B\"}}\n");
    bytes.extend(good("g2"));
    bytes.push(b'\n');
    let hostile = home.path().join("hostile.ndjson");
    std::fs::write(&hostile, &bytes).unwrap();
    let out = import(&db, home.path(), &hostile, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let s = summary(&out);
    fetched_is_the_sum(&s);
    assert_eq!(s["fetched"], 11, "{s}");
    // bad JSON, no id, numeric id, deep nesting, invalid UTF-8, NUL in the id → invalid
    assert_eq!(s["skipped"]["invalid"], 6, "{s}");
    assert_eq!(
        db.count("SELECT count(*) AS n FROM referrals WHERE referral_id IN ('g1', 'g2')"),
        2
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM referrals WHERE referral_id = 'wrong' AND deal_value IS NULL AND pc_updated_at IS NULL"
        ),
        1
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM referrals WHERE referral_id = 'huge'"),
        1
    );
    // Postgres cannot store the NUL character (text or jsonb): it is stored as U+FFFD, with
    // the content hash of the referral as received, and the run goes on.
    assert_eq!(
        (s["new"].as_i64(), s["failed"].as_i64()),
        (Some(5), Some(0)),
        "{s}"
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        db.text("SELECT customer_name AS t FROM referrals WHERE referral_id = 'ctl\u{1b}'")
            .as_deref(),
        Some("A\u{FFFD}B")
    );
}

#[test]
fn a_run_left_running_by_a_killed_process_is_closed_by_the_next() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    db.conn()
        .batch_execute("INSERT INTO sync_runs (status, source, direction) VALUES ('running', 'api', 'incoming')")
        .unwrap();
    let file = write_ndjson(
        home.path(),
        "f.ndjson",
        &[referral("a", "2026-11-02T10:00:00Z", Some("alpha.io"))],
    );
    let out = import(&db, home.path(), &file, &[]);
    assert_exit(&out, 0);
    assert_eq!(
        db.text("SELECT status || ' ' || (errors->>'run') AS t FROM sync_runs ORDER BY id LIMIT 1")
            .as_deref(),
        Some("failed the process ended before the run finished")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM sync_runs WHERE status = 'running'"),
        0
    );
}

/// Pages are written two at a time on connections of their own (`src/pipeline/writers.rs`):
/// with pages of 3, the same file must end exactly as when it is one page. The file repeats
/// ids on adjacent and on distant pages (newer and older copies), shares companies between
/// pages, and holds one referral a trigger refuses.
#[test]
fn pages_written_two_at_a_time_end_as_one_page_does() {
    let home = tempfile::tempdir().unwrap();
    let mut items: Vec<Value> = (0..60)
        .map(|i| {
            referral(
                &format!("r{}", i % 45), // r0–r14 come again 45 referrals later, newer
                &format!("2026-11-02T10:{:02}:00Z", i),
                Some(&format!("c{}.com", i % 20)),
            )
        })
        .collect();
    items.insert(4, referral("r3", "2026-11-02T09:00:00Z", Some("c3.com"))); // older copy
    items.insert(7, referral("r5", "2026-11-02T11:30:00Z", Some("c9.com"))); // newer, other company
    items.insert(20, referral("bad", "2026-11-02T10:00:00Z", Some("c1.com")));
    items.push(referral("nodomain", "2026-11-02T10:00:00Z", None));
    let file = write_ndjson(home.path(), "many.ndjson", &items);

    let run = |page_size: &str| {
        let db = TestDb::migrated();
        refuse_referral_bad(&db);
        let out = hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .env("HUNTER_PC_PAGE_SIZE", page_size)
            .args(["sync", "--no-scan", "--json", "--from-file"])
            .arg(&file)
            .output()
            .unwrap();
        assert_exit(&out, 1);
        let mut s = summary(&out);
        for volatile in ["run_id", "duration_ms", "pages"] {
            s.as_object_mut().unwrap().remove(volatile);
        }
        let rows = db
            .text(
                "SELECT string_agg(r, E'\\n' ORDER BY r) AS t FROM ( \
                   SELECT 'referral ' || p.referral_id || ' ' || p.pc_updated_at || ' ' || \
                          coalesce(c.domain, '-') || ' ' || p.link_status || ' ' || p.content_hash AS r \
                     FROM referrals p LEFT JOIN companies c ON c.id = p.company_id \
                   UNION ALL SELECT 'company ' || domain || ' ' || canonical_name FROM companies \
                   UNION ALL SELECT 'lead ' || domain || ' ' || (payload->>'id') || ' ' || \
                          (payload->>'updatedDateTime') FROM raw_leads) x",
            )
            .unwrap();
        (s, rows)
    };
    let (paged, paged_rows) = run("3");
    let (whole, whole_rows) = run("1000");
    assert_eq!(paged, whole);
    assert_eq!(paged_rows, whole_rows);
    // What the file holds, so that the comparison is not between two empty databases.
    assert_eq!(
        (
            paged["new"].as_i64(),
            paged["updated"].as_i64(),
            paged["failed"].as_i64(),
            paged["skipped"]["duplicate_in_run"].as_i64(),
            paged["unlinked"].as_i64()
        ),
        (Some(46), Some(15), Some(1), Some(2), Some(1)),
        "{paged}"
    );
    assert_eq!(
        paged_rows
            .lines()
            .filter(|l| l.starts_with("lead "))
            .count(),
        60
    );
}

/// Two pages that share a referral are never written at the same time: otherwise the later
/// page could lock the shared row first and then wait for the earlier page to commit, while
/// the earlier page waits for that row. A trigger makes the first page's company insert slow,
/// so the second page would get there first.
#[test]
fn pages_sharing_a_referral_are_not_written_at_the_same_time() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    db.conn()
        .batch_execute(
            "CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN
               IF NEW.domain = 'slow.com' THEN PERFORM pg_sleep(1); END IF;
               RETURN NEW; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER slow BEFORE INSERT ON companies
               FOR EACH ROW EXECUTE FUNCTION slow();",
        )
        .unwrap();
    let items = [
        referral("first", "2026-11-02T10:00:00Z", Some("slow.com")),
        referral("shared", "2026-11-02T10:00:00Z", Some("a.com")),
        referral("shared", "2026-11-02T10:05:00Z", Some("b.com")),
        referral("other", "2026-11-02T10:00:00Z", Some("c.com")),
    ];
    let file = write_ndjson(home.path(), "f.ndjson", &items);
    let mut child = hunter_std(home.path())
        .env("DATABASE_URL", &db.url)
        .env("HUNTER_PC_PAGE_SIZE", "2")
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the import did not finish in 30 s: its two pages wait for each other");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_exit(&out, 0);
    assert_eq!(
        db.text(
            "SELECT c.domain AS t FROM referrals p \
               JOIN companies c ON c.id = p.company_id WHERE p.referral_id = 'shared'"
        )
        .as_deref(),
        Some("b.com")
    );
}

/// U+0000 anywhere but the id (a name, the notes, the website, any other field) is stored as
/// U+FFFD in text and JSON columns; the referral is never failed, and an unchanged re-import
/// writes nothing (the hash is that of the JSON as received).
#[test]
fn nul_characters_are_stored_as_replacement_characters() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let mut r = referral("n1", "2026-11-02T10:00:00Z", None);
    r["customerProfile"]["name"] = json!("Acme\u{0}Holding");
    r["notes"] = json!("call\u{0}back");
    r["website"] = json!("https://acme\u{0}.com.tr");
    r["customerProfile"]["team"] = json!([{"email": "ali@acme-nul.com.tr", "title": "\u{0}"}]);
    r["extra\u{0}key"] = json!(["\u{0}"]);
    let file = write_ndjson(home.path(), "nul.ndjson", &[r]);
    let out = import(&db, home.path(), &file, &[]);
    assert_exit(&out, 0);
    let s = summary(&out);
    assert_eq!(
        (s["new"].as_i64(), s["failed"].as_i64()),
        (Some(1), Some(0)),
        "{s}"
    );
    assert_eq!(
        db.text(
            "SELECT concat_ws('|', customer_name, domain, raw_data->>'notes') AS t FROM referrals"
        )
        .as_deref(),
        Some("Acme\u{FFFD}Holding|acme-nul.com.tr|call\u{FFFD}back")
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM raw_leads WHERE payload ? 'extra\u{FFFD}key'"),
        1
    );
    let warned = String::from_utf8_lossy(&out.stderr);
    assert_eq!(warned.matches("U+0000").count(), 1, "{warned}");
    let before = data_snapshot(&db);
    let again = import(&db, home.path(), &file, &[]);
    assert_exit(&again, 0);
    assert_eq!(summary(&again)["unchanged"], 1);
    assert_eq!(
        data_snapshot(&db),
        before,
        "an unchanged re-import writes nothing"
    );
}

/// A file in which nothing is a referral is refused (65, nothing stored); the warnings name
/// each item's position; a file broken at its very last byte stores nothing.
#[test]
fn files_without_referrals_or_broken_at_the_end_store_nothing() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    for (name, text) in [
        ("numbers.json", "[1,2,3]".to_string()),
        ("object.json", "{\"foo\":\"bar\"}".to_string()),
        ("idless.ndjson", "{\"a\":1}\n\n{\"b\":2}\n".to_string()),
    ] {
        let file = home.path().join(name);
        std::fs::write(&file, text).unwrap();
        let out = import(&db, home.path(), &file, &[]);
        assert_exit(&out, 65);
        let last = last_stderr_line(&out);
        assert!(
            last.starts_with("error: no referrals in ") && last.contains(name),
            "{last}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        let positions = match name {
            "numbers.json" => vec!["item 0", "item 1", "item 2"],
            "object.json" => vec!["item 0"],
            _ => vec!["line 1", "line 3"],
        };
        for p in positions {
            assert!(stderr.contains(&format!("({p})")), "{p}: {stderr}");
        }
    }
    let mut good: Vec<String> = (0..300)
        .map(|i| referral(&format!("r{i}"), "2026-11-02T10:00:00Z", Some("alpha.io")).to_string())
        .collect();
    good[299].push('}'); // an extra byte at the very end breaks the array
    let broken = home.path().join("broken.json");
    std::fs::write(&broken, format!("[{}", good.join(",")) + "]").unwrap();
    let out = import(&db, home.path(), &broken, &[]);
    assert_exit(&out, 65);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM referrals")
            + db.count("SELECT count(*) AS n FROM raw_leads")
            + db.count("SELECT count(*) AS n FROM companies"),
        0
    );
}
