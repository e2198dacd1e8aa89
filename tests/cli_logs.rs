//! Logs as the journal and a pipe see them, through the binary: priorities when stderr is the
//! journal, failing scans aggregated per cause, no escape codes off a terminal, the run id on
//! every line of a run.

mod support;

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use support::dns::{DnsServer, Mode, Zones};
use support::pg::TestDb;
use support::{assert_exit, r#gen, hunter, hunter_std};

fn write_ndjson(dir: &Path, items: &[serde_json::Value]) -> PathBuf {
    let p = dir.join("referrals.ndjson");
    let mut f = std::fs::File::create(&p).unwrap();
    for i in items {
        writeln!(f, "{i}").unwrap();
    }
    p
}

/// Run a file sync of `n` referrals whose every DNS question fails (SERVFAIL), with stderr
/// going to a file that `JOURNAL_STREAM` names as the journal. Returns stderr's lines.
fn sync_into_the_journal(n: usize, format: &str) -> Vec<String> {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::migrated();
    let dns = DnsServer::start(Zones::new()).unwrap();
    dns.set_mode(Mode::ServFail);
    let mut referrals = r#gen::referrals(21, n);
    for r in &mut referrals {
        r["direction"] = serde_json::Value::from("Incoming");
    }
    let file = write_ndjson(home.path(), &referrals);
    let log_path = home.path().join("journal.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let meta = log.metadata().unwrap();
    let status = hunter_std(home.path())
        .env("DATABASE_URL", &db.url)
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .env("HUNTER_PC_DNS_TIMEOUT_MS", "500")
        .env("HUNTER_PC_SCAN_CONCURRENCY", "64")
        .env("HUNTER_PC_LOG_FORMAT", format)
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()))
        .args(["sync", "--json", "--from-file"])
        .arg(&file)
        .stderr(log)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn in_the_journal_every_line_has_a_priority_and_failing_scans_are_aggregated() {
    for format in ["json", "text"] {
        let lines = sync_into_the_journal(500, format);
        assert!(!lines.is_empty());
        for line in &lines {
            let ok = ["<3>", "<4>", "<6>", "<7>"]
                .iter()
                .any(|p| line.starts_with(p));
            assert!(ok, "no priority ({format}): {line}");
            assert!(!line.contains('\u{1b}'), "escape code ({format}): {line}");
        }
        let warnings: Vec<&String> = lines.iter().filter(|l| l.starts_with("<4>")).collect();
        assert!(
            !warnings.is_empty() && warnings.len() <= 5,
            "{} warning lines ({format}): {warnings:#?}",
            warnings.len()
        );
        assert!(
            warnings.iter().any(|w| w.contains("500")),
            "the warning counts the failures ({format}): {warnings:#?}"
        );
    }
}

#[test]
fn every_line_of_a_run_carries_its_run_id_and_a_pipe_gets_no_escape_codes() {
    let home = tempfile::tempdir().unwrap();
    // Unlinked referrals make the run log warnings from inside it.
    let mut referrals = r#gen::referrals(22, 3);
    for r in &mut referrals {
        r["customerProfile"] = serde_json::json!({"name": "No Domain Ltd"});
        r["website"] = serde_json::Value::Null;
        r["email"] = serde_json::Value::Null;
        r["contact"] = serde_json::Value::Null;
        r["direction"] = serde_json::Value::from("Incoming");
    }
    let file = write_ndjson(home.path(), &referrals);
    for format in ["json", "text"] {
        let db = TestDb::migrated();
        let out = hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .env("HUNTER_PC_LOG_FORMAT", format)
            .args(["sync", "--no-scan", "--from-file"])
            .arg(&file)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains('\u{1b}'),
            "escape codes in a pipe: {stderr}"
        );
        // Piped stdout: no table, the summary is the "sync finished" event.
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let run_id = db.count("SELECT max(id) AS n FROM sync_runs");
        let finished: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("sync finished"))
            .collect();
        assert_eq!(finished.len(), 1, "{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert!(lines.len() >= 2, "{stderr}");
        for line in lines {
            let tagged = match format {
                "json" => {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    v["span"]["run_id"].as_i64() == Some(run_id)
                        || v["run_id"].as_i64() == Some(run_id)
                }
                _ => line.contains(&format!("run_id={run_id}")),
            };
            assert!(tagged, "line without run id {run_id}: {line}");
        }
    }
}
