//! `sync` from the Partner Center API through the binary: the stand-ins for Partner Center and
//! Microsoft sign-in over loopback HTTP, real Postgres (issue: Partner Center sync).

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::r#gen as generated;
use support::partner_center::{Fault, StandIn, When};
use support::world::World;
use support::{assert_exit, hunter, last_stderr_line, stdout_json};

fn incoming(set: &[Value]) -> Vec<&Value> {
    set.iter()
        .filter(|r| {
            r["direction"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case("incoming"))
        })
        .collect()
}

fn updated(r: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(r["updatedDateTime"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_paged_sync_then_incremental_syncs_read_only_what_changed() {
    let set = generated::referrals(7, 25);
    let want = incoming(&set);
    assert!(
        want.len() > 10 && want.len() < 25,
        "the set must mix directions"
    );
    let w = World::new(set.clone());

    let (out, s) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(s["new"].as_i64().unwrap(), want.len() as i64, "{s}");
    assert_eq!(
        s["pages"].as_i64().unwrap(),
        want.len().div_ceil(10) as i64,
        "{s}"
    );
    assert_eq!(
        w.count("SELECT count(*) AS n FROM referrals"),
        want.len() as i64
    );
    let first = w.pc.requests();
    assert_eq!(first[0].param("$top"), Some("10"));
    assert_eq!(first[0].param("$orderby"), Some("updatedDateTime asc"));
    assert_eq!(first[0].param("$filter"), Some("direction eq 'Incoming'"));
    assert!(first.iter().all(|r| {
        r.header("authorization")
            .is_some_and(|h| h.starts_with("Bearer "))
    }));
    let newest = want.iter().max_by_key(|r| updated(r)).unwrap();
    let cursor = w.cursor().unwrap();
    assert!(cursor.ends_with(newest["id"].as_str().unwrap()), "{cursor}");

    // Nothing changed: the filter names the cursor minus the lookback, the overlap is fetched,
    // and no data row is written.
    let lookback = 3 * 86_400;
    let since = updated(newest) - chrono::Duration::seconds(lookback);
    // The filter is sent in whole seconds (rounded down), so the overlap starts there.
    let since_sent = DateTime::<Utc>::from_timestamp(since.timestamp(), 0).unwrap();
    let overlap = want.iter().filter(|r| updated(r) >= since_sent).count();
    assert!(
        overlap >= 2 && overlap < want.len(),
        "the lookback must cover some, not all: {overlap}"
    );
    let before = w.snapshot();
    w.pc.clear_requests();
    let (out, s) = w
        .cmd()
        .env("HUNTER_PC_LOOKBACK_SECS", lookback.to_string())
        .args(["sync", "--json", "--no-scan"])
        .output()
        .map(|o| {
            let s = stdout_json(&o);
            (o, s)
        })
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let filter = w.pc.requests()[0].param("$filter").unwrap().to_string();
    assert!(
        filter.starts_with("direction eq 'Incoming' and updatedDateTime ge "),
        "{filter}"
    );
    assert!(
        filter.contains(&since.format("%Y-%m-%dT%H:%M").to_string()),
        "{filter} vs {since}"
    );
    assert_eq!(s["fetched"].as_i64().unwrap(), overlap as i64, "{s}");
    assert_eq!(s["unchanged"].as_i64().unwrap(), overlap as i64, "{s}");
    assert_eq!(
        (s["new"].as_i64(), s["updated"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(w.snapshot(), before);

    // A referral changes on the service: the next sync updates it and adds one raw lead.
    let mut changed = (*want.iter().min_by_key(|r| updated(r)).unwrap()).clone();
    changed["updatedDateTime"] = json!(generated::pc_time(
        updated(newest) + chrono::Duration::seconds(60)
    ));
    changed["status"] = json!("Active");
    let id = changed["id"].as_str().unwrap().to_string();
    w.pc.upsert_referral(changed);
    let leads = w.count("SELECT count(*) AS n FROM raw_leads");
    let (out, s) = w.sync(&[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(s["updated"], 1, "{s}");
    assert_eq!(s["raw_leads_inserted"], 1);
    assert_eq!(w.count("SELECT count(*) AS n FROM raw_leads"), leads + 1);
    assert_eq!(
        w.text(&format!(
            "SELECT status AS t FROM referrals WHERE referral_id = '{id}'"
        ))
        .as_deref(),
        Some("Active")
    );
    assert!(w.cursor().unwrap().ends_with(&id));
}

#[test]
fn the_access_token_is_reused_and_refreshed_once_when_expired() {
    let w = World::new(generated::referrals(3, 5));
    let grants_before = w.signin.grants("refresh_token").len();
    let (out, _) = w.sync(&[]);
    assert_exit(&out, 0);
    let (out, _) = w.sync(&["--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        w.signin.grants("refresh_token").len(),
        grants_before,
        "a fresh cached token needs no refresh"
    );

    // Make the stored access token expire: the next sync refreshes once and goes on.
    let mut stored: Value = serde_json::from_slice(&std::fs::read(&w.token_file).unwrap()).unwrap();
    stored["access_token_expires_at"] = json!("2020-01-01T00:00:00Z");
    std::fs::write(&w.token_file, serde_json::to_vec(&stored).unwrap()).unwrap();
    w.pc.accept_any_token(true);
    let (out, s) = w.sync(&["--force"]);
    assert_exit(&out, 0);
    assert_eq!(s["status"], "ok");
    assert_eq!(w.signin.grants("refresh_token").len(), grants_before + 1);
    let rotated: Value = serde_json::from_slice(&std::fs::read(&w.token_file).unwrap()).unwrap();
    assert_eq!(
        rotated["refresh_token"].as_str(),
        w.signin.latest_refresh_token().as_deref()
    );
}

#[test]
fn with_the_flag_off_nothing_is_touched_and_no_database_is_needed() {
    let home = tempfile::tempdir().unwrap();
    let pc = StandIn::start();
    let out = hunter(home.path())
        .env("HUNTER_PC_API_URL", pc.url())
        .args(["sync", "--json"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let s = stdout_json(&out);
    assert_eq!(s["status"], "disabled");
    assert!(s["run_id"].is_null());
    assert_eq!(
        (s["fetched"].as_i64(), s["new"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(pc.request_count(), 0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("disabled"));
}

#[test]
fn a_sync_right_after_another_is_skipped_unless_forced() {
    let w = World::new(generated::referrals(5, 4));
    let (out, s) = w.sync(&[]);
    assert_eq!(
        (out.status.code(), s["status"].as_str()),
        (Some(0), Some("ok"))
    );
    let requests = w.pc.request_count();
    let out = w
        .cmd()
        .env("HUNTER_PC_MIN_SYNC_INTERVAL_SECS", "3600")
        .args(["sync", "--json", "--no-scan"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout_json(&out)["status"], "skipped");
    assert_eq!(
        w.pc.request_count(),
        requests,
        "a skipped run sends nothing"
    );
    let out = w
        .cmd()
        .env("HUNTER_PC_MIN_SYNC_INTERVAL_SECS", "3600")
        .args(["sync", "--json", "--no-scan", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let s = stdout_json(&out);
    assert_eq!(
        (s["status"].as_str(), s["forced"].as_bool()),
        (Some("ok"), Some(true))
    );
    assert!(w.pc.request_count() > requests);
    // File imports neither count for nor are held back by the guard.
    assert_eq!(
        w.count("SELECT count(*) AS n FROM sync_runs WHERE status = 'skipped'"),
        1
    );
}

#[test]
fn a_refused_filter_falls_back_to_one_full_read_and_moves_the_cursor_once() {
    let set = generated::referrals(11, 23);
    let want = incoming(&set);
    let w = World::new(set.clone());
    w.pc.reject_filter(true);
    let (out, s) = w.sync(&[]);
    assert_exit(&out, 0);
    assert_eq!(s["new"].as_i64().unwrap(), want.len() as i64, "{s}");
    assert_eq!(
        s["skipped"]["direction"].as_i64().unwrap(),
        (set.len() - want.len()) as i64,
        "{s}"
    );
    let reqs = w.pc.requests();
    assert_eq!(reqs[0].param("$filter"), Some("direction eq 'Incoming'"));
    assert_eq!(
        reqs.iter().filter(|r| r.param("$filter").is_some()).count(),
        1,
        "one refused request, then no filter"
    );
    let newest = want.iter().max_by_key(|r| updated(r)).unwrap();
    assert!(
        w.cursor()
            .unwrap()
            .ends_with(newest["id"].as_str().unwrap())
    );
    assert_eq!(w.count("SELECT count(*) AS n FROM sync_state"), 1);
}

#[test]
fn a_next_link_elsewhere_stops_with_69_and_keeps_the_pages_before() {
    // Another port (another stand-in that counts what reaches it), and another scheme.
    for other_scheme in [false, true] {
        let w = World::new(generated::referrals(13, 30));
        let elsewhere = StandIn::start();
        let target = if other_scheme {
            format!("https://127.0.0.1:{}", w.pc.port())
        } else {
            elsewhere.url()
        };
        w.pc.inject(When::Page(2), Fault::NextLinkTo(target.clone()));
        let (out, s) = w.sync(&[]);
        assert_eq!(
            out.status.code(),
            Some(69),
            "{target}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(s["status"], "failed");
        assert_eq!(
            elsewhere.request_count(),
            0,
            "the bearer token must not travel to {target}"
        );
        // Pages 1 and 2 (whose body was fine) are committed.
        assert_eq!(s["pages"], 2, "{s}");
        let stored = w.count("SELECT count(*) AS n FROM referrals");
        assert_eq!(stored, s["new"].as_i64().unwrap());
        assert!(stored > 0);
        assert!(
            last_stderr_line(&out).starts_with("error: "),
            "{}",
            last_stderr_line(&out)
        );
    }
}
