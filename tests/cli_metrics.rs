//! The metrics file through the binary: written at the end of every sync (ok, failed,
//! locked), in a format a real parser reads, replaced atomically, readable by node_exporter
//! under `UMask=0077`, with values equal to the summary.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use support::pg::TestDb;
use support::{assert_exit, r#gen, stdout_json};

fn write_ndjson(dir: &Path, items: &[serde_json::Value]) -> PathBuf {
    let p = dir.join("referrals.ndjson");
    let mut f = std::fs::File::create(&p).unwrap();
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    p
}

/// Every sample of the file: `name{labels}` → value, read by the `prometheus-parse` parser.
fn samples(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition format");
    assert!(!scrape.samples.is_empty());
    scrape
        .samples
        .into_iter()
        .map(|s| {
            assert!(s.metric.starts_with("hunter_pc_"), "{}", s.metric);
            let mut labels: Vec<String> =
                s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            labels.sort();
            let value = match s.value {
                prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                other => panic!("{} is not a gauge: {other:?}", s.metric),
            };
            (format!("{}{{{}}}", s.metric, labels.join(",")), value)
        })
        .collect()
}

/// A sync under `UMask=0077`, as the hardened unit runs it.
fn sync(db: &TestDb, home: &Path, file: &Path, metrics: &Path) -> std::process::Output {
    let mut cmd = support::hunter_std(home);
    cmd.env("DATABASE_URL", &db.url)
        .env("HUNTER_PC_METRICS_FILE", metrics)
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(file);
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o077);
            Ok(())
        });
    }
    cmd.output().unwrap()
}

#[test]
fn every_sync_writes_its_metrics_atomically_and_readably() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let dir = home.path().join("textfile");
    std::fs::create_dir(&dir).unwrap();
    let metrics = dir.join("hunter-pc.prom");
    let mut referrals = r#gen::referrals(31, 40);
    for r in &mut referrals {
        r["direction"] = serde_json::Value::from("Incoming");
    }
    let file = write_ndjson(home.path(), &referrals);

    // ok
    let out = sync(&db, home.path(), &file, &metrics);
    assert_exit(&out, 0);
    let summary = stdout_json(&out);
    let m = samples(&metrics);
    assert_eq!(
        m["hunter_pc_last_run_info{source=file,status=ok}"], 1.0,
        "{m:#?}"
    );
    assert_eq!(m["hunter_pc_last_run_exit_code{}"], 0.0);
    assert_eq!(
        m["hunter_pc_last_run_fetched{}"],
        summary["fetched"].as_f64().unwrap()
    );
    assert_eq!(
        m["hunter_pc_last_run_referrals{outcome=new}"],
        summary["new"].as_f64().unwrap()
    );
    assert_eq!(
        m["hunter_pc_last_run_companies_created{}"],
        summary["companies_created"].as_f64().unwrap()
    );
    assert_eq!(
        m["hunter_pc_last_run_pages{}"],
        summary["pages"].as_f64().unwrap()
    );
    assert!(
        m["hunter_pc_last_run_end_timestamp_seconds{}"]
            >= m["hunter_pc_last_run_start_timestamp_seconds{}"]
    );
    let meta = std::fs::metadata(&metrics).unwrap();
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o644,
        "readable by node_exporter"
    );

    // failed: a missing input file
    let out = sync(
        &db,
        home.path(),
        &home.path().join("missing.json"),
        &metrics,
    );
    assert_exit(&out, 66);
    let m = samples(&metrics);
    assert_eq!(
        m["hunter_pc_last_run_info{source=file,status=failed}"], 1.0,
        "{m:#?}"
    );
    assert_eq!(m["hunter_pc_last_run_exit_code{}"], 66.0);

    // locked: another sync holds the lock
    let mut holder = db.conn();
    holder
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({})",
            hunter_pc::store::lock::lock_key("hunter_pc")
        ))
        .unwrap();
    let out = sync(&db, home.path(), &file, &metrics);
    assert_exit(&out, 75);
    drop(holder);
    let m = samples(&metrics);
    assert_eq!(
        m["hunter_pc_last_run_info{source=file,status=locked}"], 1.0,
        "{m:#?}"
    );
    assert_eq!(m["hunter_pc_last_run_exit_code{}"], 75.0);

    // Written under another name and renamed (a reader sees the old file or the new one,
    // never half): nothing is left behind in the collector's directory.
    let meta = std::fs::metadata(&metrics).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["hunter-pc.prom".to_string()]);
}

#[test]
fn an_api_sync_reports_its_requests_and_the_last_ok_api_sync() {
    let w = support::world::World::new(r#gen::referrals(32, 25));
    let metrics = w.home.path().join("hunter-pc.prom");
    let out = w
        .cmd()
        .env("HUNTER_PC_METRICS_FILE", &metrics)
        .args(["sync", "--no-scan", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let m = samples(&metrics);
    assert_eq!(
        m["hunter_pc_last_run_info{source=api,status=ok}"], 1.0,
        "{m:#?}"
    );
    // One request a page, none retried or throttled.
    let pages = stdout_json(&out)["pages"].as_f64().unwrap();
    assert!(pages >= 2.0);
    assert_eq!(m["hunter_pc_last_run_partner_center_requests{}"], pages);
    assert_eq!(m["hunter_pc_last_run_partner_center_retries{}"], 0.0);
    assert_eq!(m["hunter_pc_last_run_partner_center_throttled{}"], 0.0);
    // This run is the last ok API sync: its start, to the database's microsecond.
    let start = m["hunter_pc_last_run_start_timestamp_seconds{}"];
    let last_ok = m["hunter_pc_last_ok_api_sync_timestamp_seconds{}"];
    assert!((last_ok - start).abs() < 1.0, "{last_ok} vs {start}");
}
