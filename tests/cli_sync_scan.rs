//! `sync` with its DNS scans and scores, over a loopback DNS server and real Postgres
//! (issues: Domain scan, Scoring). Never the machine's resolver.

mod support;

use std::path::Path;

use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use support::dns::{DnsServer, Mode, Zones};
use support::pg::TestDb;
use support::{assert_exit, hunter, stdout_json};

fn zones() -> Zones {
    let mut z = Zones::new();
    let mut add = |origin: &str, text: &str| z.add(origin, text).expect(origin);
    // Google + SPF + DKIM + reject → 90 Migration P2, priority 1.
    add(
        "gmigrate.com",
        "@ MX 1 smtp.google.com.\n@ TXT \"v=spf1 include:_spf.google.com ~all\"\n\
         google._domainkey TXT \"v=DKIM1; k=rsa; p=MIGf\"\n_dmarc TXT \"v=DMARC1; p=reject\"",
    );
    // Google + SPF only → 45 Cold P5; as co-sell → 60 Migration P2.
    add(
        "gcosell.com",
        "@ MX 1 smtp.google.com.\n@ TXT \"v=spf1 include:_spf.google.com ~all\"",
    );
    // M365 + SPF + DKIM + DMARC none → 60 Existing P3 priority 4.
    add(
        "m365none.com",
        "@ MX 0 m365none-com.mail.protection.outlook.com.\n\
         @ TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n\
         selector1._domainkey TXT \"v=DKIM1; p=MIIB\"\n_dmarc TXT \"v=DMARC1; p=none\"",
    );
    // Local (Natro) + SPF + DKIM + reject → 50 Cold P1.
    add(
        "yerel.com.tr",
        "@ MX 10 mx1.natrohost.com.\n@ TXT \"v=spf1 a mx ~all\"\n\
         default._domainkey TXT \"v=DKIM1; p=MIIB\"\n_dmarc TXT \"v=DMARC1; p=reject\"",
    );
    // No MX → 0 Skip.
    add("nomail.io", "@ TXT \"v=spf1 -all\"");
    // Authoritative for `com` itself, so that names without a zone of their own are NXDOMAIN
    // (outside every zone the server answers REFUSED, a transient failure).
    add("com", "");
    // The silent one (mode set per test).
    add(
        "flaky.io",
        "@ MX 1 smtp.google.com.\n@ TXT \"v=spf1 include:_spf.google.com ~all\"",
    );
    z
}

struct Env {
    home: tempfile::TempDir,
    db: TestDb,
    dns: DnsServer,
}

impl Env {
    fn new() -> Env {
        Env {
            home: tempfile::tempdir().unwrap(),
            db: TestDb::migrated(),
            dns: DnsServer::start(zones()).unwrap(),
        }
    }
    fn cmd(&self) -> assert_cmd::Command {
        let mut c = hunter(self.home.path());
        c.env("DATABASE_URL", &self.db.url)
            .env("HUNTER_PC_DNS_SERVERS", self.dns.addr().to_string())
            .env("HUNTER_PC_DNS_TIMEOUT_MS", "300");
        c
    }
    fn import(&self, file: &Path, extra: &[(&str, &str)]) -> Value {
        let mut c = self.cmd();
        for (k, v) in extra {
            c.env(k, v);
        }
        let out = c
            .args(["sync", "--json", "--from-file"])
            .arg(file)
            .output()
            .unwrap();
        assert_exit(&out, 0);
        stdout_json(&out)
    }
    fn text(&self, sql: &str) -> Option<String> {
        self.db.text(sql)
    }
    fn count(&self, sql: &str) -> i64 {
        self.db.count(sql)
    }
    /// `score segment priority_category priority_score` of a domain, or None without a score.
    fn score(&self, domain: &str) -> Option<String> {
        self.text(&format!(
            "SELECT readiness_score || ' ' || segment || ' ' || priority_category || ' ' || priority_score AS t \
             FROM scores WHERE domain = '{domain}'"
        ))
    }
    fn signal(&self, domain: &str, col: &str) -> Option<String> {
        self.text(&format!(
            "SELECT {col}::text AS t FROM scans WHERE domain = '{domain}'"
        ))
    }
}

#[test]
fn an_import_scans_each_domain_once_and_stores_the_scores_of_the_rules() {
    let env = Env::new();
    let file = support::write_json(
        env.home.path(),
        "r.json",
        &[
            support::referral("g1", "gmigrate.com", json!({})),
            support::referral("g2", "gmigrate.com", json!({})),
            support::referral("g3", "gmigrate.com", json!({"status": "Active"})),
            support::referral("c1", "gcosell.com", json!({"type": "Shared"})),
            support::referral("m1", "m365none.com", json!({})),
            support::referral("y1", "yerel.com.tr", json!({})),
            support::referral("n1", "nomail.io", json!({})),
            support::referral("x1", "nowhere-at-all.com", json!({})), // NXDOMAIN: no such zone
            support::referral(
                "t1",
                "tenant-only.com",
                json!({"azureTenantId": "6F1C3E2A-0B4D-4C5E-9F8A-1B2C3D4E5F60"}),
            ),
            support::referral(
                "t2",
                "tenant-cosell.com",
                json!({"azureTenantId": "{0b1c3e2a-0b4d-4c5e-9f8a-1b2c3d4e5f61}", "type": "Shared"}),
            ),
        ],
    );
    let s = env.import(&file, &[]);
    // 8 domains; tenant-only.com and tenant-cosell.com have no zone either (NXDOMAIN).
    assert_eq!(s["scans_ok"], 8, "{s}");
    assert_eq!(s["scans_failed"], 0);
    assert_eq!(s["scored"], 8, "{s}");
    assert_eq!(
        env.dns.queries_for("_dmarc.gmigrate.com"),
        1,
        "a domain reached by three referrals is scanned once"
    );

    assert_eq!(
        env.score("gmigrate.com").as_deref(),
        Some("90 Migration P2 1")
    );
    assert_eq!(
        env.score("gcosell.com").as_deref(),
        Some("60 Migration P2 3")
    );
    assert_eq!(
        env.score("m365none.com").as_deref(),
        Some("60 Existing P3 4")
    );
    assert_eq!(env.score("yerel.com.tr").as_deref(), Some("50 Cold P1 5"));
    assert_eq!(
        env.score("nomail.io").as_deref().map(|s| &s[..6]),
        Some("0 Skip")
    );
    assert_eq!(
        env.score("nowhere-at-all.com").as_deref().map(|s| &s[..6]),
        Some("0 Skip")
    );
    // The tenant id wins over the scan (NXDOMAIN here) and keeps the provider M365.
    assert_eq!(
        env.score("tenant-only.com").as_deref(),
        Some("55 Existing P3 4")
    );
    assert_eq!(
        env.score("tenant-cosell.com").as_deref(),
        Some("70 Existing P4 3")
    );
    assert_eq!(
        env.text("SELECT provider AS t FROM companies WHERE domain = 'tenant-only.com'")
            .as_deref(),
        Some("M365")
    );
    assert_eq!(
        env.text("SELECT provider AS t FROM companies WHERE domain = 'yerel.com.tr'")
            .as_deref(),
        Some("Local")
    );
    assert_eq!(
        env.signal("yerel.com.tr", "local_provider").as_deref(),
        Some("Natro")
    );
    assert_eq!(
        env.signal("nowhere-at-all.com", "scan_status").as_deref(),
        Some("nxdomain")
    );
    assert_eq!(
        env.signal("nowhere-at-all.com", "provider").as_deref(),
        Some("Unknown")
    );

    // Nothing new: no domain is scanned again (NXDOMAIN is a completed scan too).
    let before = env.dns.queries();
    let s = env.import(&file, &[("HUNTER_PC_SCAN_RETRY_SECS", "0")]);
    assert_eq!(
        (s["scans_ok"].as_i64(), s["scans_failed"].as_i64()),
        (Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(env.dns.queries(), before);
    // --force touches every domain again; they all have a completed scan.
    let out = env
        .cmd()
        .args(["sync", "--json", "--force", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    let s = stdout_json(&out);
    assert_eq!(
        (
            s["scans_ok"].as_i64(),
            s["scans_skipped_already_scanned"].as_i64()
        ),
        (Some(0), Some(8)),
        "{s}"
    );
    assert_eq!(env.dns.queries(), before);
    // --rescan rescans the touched ones.
    let out = env
        .cmd()
        .args(["sync", "--json", "--force", "--rescan", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    let s = stdout_json(&out);
    assert_eq!(
        (
            s["scans_ok"].as_i64(),
            s["scans_skipped_already_scanned"].as_i64()
        ),
        (Some(8), Some(0)),
        "{s}"
    );
}

#[test]
fn a_failed_scan_is_not_scored_and_heals_once_the_server_answers() {
    let env = Env::new();
    env.dns.set_mode_for("flaky.io", Some(Mode::Silent));
    let file = support::write_json(
        env.home.path(),
        "f.json",
        &[support::referral("f1", "flaky.io", json!({}))],
    );
    let s = env.import(&file, &[]);
    assert_eq!(
        (
            s["scans_ok"].as_i64(),
            s["scans_failed"].as_i64(),
            s["scored"].as_i64()
        ),
        (Some(0), Some(1), Some(0)),
        "{s}"
    );
    assert_eq!(
        env.signal("flaky.io", "scan_status").as_deref(),
        Some("failed")
    );
    assert_eq!(
        env.signal("flaky.io", "provider"),
        None,
        "a failure is never read as no MX"
    );
    assert_eq!(env.score("flaky.io"), None);

    // Not due yet: the default retry interval holds it back.
    let s = env.import(&file, &[]);
    assert_eq!(s["scans_failed"], 0, "{s}");
    // SERVFAIL is a failure too, and with the interval at 0 it is retried.
    env.dns.set_mode_for("flaky.io", Some(Mode::ServFail));
    let s = env.import(&file, &[("HUNTER_PC_SCAN_RETRY_SECS", "0")]);
    assert_eq!(s["scans_failed"], 1, "{s}");
    assert_eq!(env.signal("flaky.io", "attempts").as_deref(), Some("2"));

    env.dns.set_mode_for("flaky.io", None);
    let s = env.import(&file, &[("HUNTER_PC_SCAN_RETRY_SECS", "0")]);
    assert_eq!(
        (s["scans_ok"].as_i64(), s["new"].as_i64()),
        (Some(1), Some(0)),
        "{s}"
    );
    assert_eq!(
        env.signal("flaky.io", "scan_status").as_deref(),
        Some("success")
    );
    assert_eq!(
        env.score("flaky.io").as_deref().map(|s| s
            .split(' ')
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")),
        Some("45 Cold".into())
    );

    // A failed rescan keeps the signals and the score, and records the failure.
    env.dns.set_mode_for("flaky.io", Some(Mode::Silent));
    let mut c = env.cmd();
    let out = c
        .args(["sync", "--json", "--rescan", "--force", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "failed scans do not change the exit code"
    );
    assert_eq!(stdout_json(&out)["scans_failed"], 1);
    assert_eq!(
        env.signal("flaky.io", "provider").as_deref(),
        Some("Google")
    );
    assert_eq!(env.signal("flaky.io", "spf").as_deref(), Some("true"));
    assert!(env.signal("flaky.io", "scan_error").is_some());
    assert_eq!(
        env.score("flaky.io").as_deref().map(|s| &s[..2]),
        Some("45")
    );
}

#[test]
fn a_run_killed_before_its_scans_is_healed_by_the_next_sync() {
    let env = Env::new();
    let file = support::write_json(
        env.home.path(),
        "k.json",
        &[
            support::referral("k1", "gmigrate.com", json!({})),
            support::referral("k2", "yerel.com.tr", json!({})),
        ],
    );
    // The pages commit, the scans never happen (as if killed right after the pages).
    let s = env.import(&file, &[]);
    assert_eq!(s["scans_ok"], 2);
    env.db
        .conn()
        .batch_execute(
            "DELETE FROM scores; DELETE FROM scans; \
             DELETE FROM public.lead_scores; DELETE FROM public.domain_signals;",
        )
        .unwrap();
    assert_eq!(env.count("SELECT count(*) AS n FROM scans"), 0);
    // A sync with nothing new scans the untouched company domains that have no scan.
    let empty = support::write_json(env.home.path(), "empty.json", &[]);
    let s = env.import(&empty, &[]);
    assert_eq!(
        (
            s["fetched"].as_i64(),
            s["scans_ok"].as_i64(),
            s["scored"].as_i64()
        ),
        (Some(0), Some(2), Some(2)),
        "{s}"
    );
    assert_eq!(
        env.score("gmigrate.com").as_deref(),
        Some("90 Migration P2 1")
    );
}

#[test]
fn rescore_after_a_bonus_change_moves_exactly_the_co_sell_companies() {
    let env = Env::new();
    let file = support::write_json(
        env.home.path(),
        "b.json",
        &[
            support::referral("a", "gcosell.com", json!({"type": "Shared"})),
            support::referral("b", "gmigrate.com", json!({})),
            support::referral(
                "c",
                "yerel.com.tr",
                json!({"qualification": "SalesQualified"}),
            ),
        ],
    );
    env.import(&file, &[]);
    let before: Vec<Option<String>> = ["gcosell.com", "gmigrate.com", "yerel.com.tr"]
        .iter()
        .map(|d| env.score(d))
        .collect();
    let out = env
        .cmd()
        .env("HUNTER_PC_COSELL_BONUS", "0")
        .args(["rescore", "--json", "--dry-run"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let dry = stdout_json(&out);
    assert_eq!(
        (dry["changed_score"].as_i64(), dry["dry_run"].as_bool()),
        (Some(2), Some(true)),
        "{dry}"
    );
    let after_dry: Vec<Option<String>> = ["gcosell.com", "gmigrate.com", "yerel.com.tr"]
        .iter()
        .map(|d| env.score(d))
        .collect();
    assert_eq!(after_dry, before, "--dry-run changes nothing");

    let out = env
        .cmd()
        .env("HUNTER_PC_COSELL_BONUS", "0")
        .args(["rescore", "--json"])
        .output()
        .unwrap();
    let r = stdout_json(&out);
    assert_eq!(
        (
            r["scored"].as_i64(),
            r["changed_score"].as_i64(),
            r["changed_segment"].as_i64()
        ),
        (Some(3), Some(2), Some(2)),
        "{r}"
    );
    assert_eq!(before[0].as_deref(), Some("60 Migration P2 3"));
    assert_eq!(env.score("gcosell.com").as_deref(), Some("45 Cold P5 5"));
    assert_eq!(
        env.score("gmigrate.com"),
        before[1],
        "not co-sell: unchanged"
    );
    assert_eq!(before[2].as_deref(), Some("65 Migration P1 3"));
    assert_eq!(env.score("yerel.com.tr").as_deref(), Some("50 Cold P1 5"));
}

#[test]
fn scan_stores_and_rescores_a_company_domain_and_only_prints_others() {
    let env = Env::new();
    let file = support::write_json(
        env.home.path(),
        "s.json",
        &[support::referral("s1", "gmigrate.com", json!({}))],
    );
    let out = env
        .cmd()
        .args(["sync", "--json", "--no-scan", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(env.score("gmigrate.com"), None, "no scan yet, no score");
    let out = env
        .cmd()
        .args(["scan", "--json", "GMIGRATE.com", "yerel.com.tr"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let rows = stdout_json(&out);
    let stored: Vec<(String, bool)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["domain"].as_str().unwrap().to_string(),
                r["stored"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stored,
        vec![
            ("gmigrate.com".into(), true),
            ("yerel.com.tr".into(), false)
        ]
    );
    assert_eq!(rows[0]["provider"], "Google");
    assert_eq!(
        env.score("gmigrate.com").as_deref(),
        Some("90 Migration P2 1")
    );
    assert_eq!(
        env.signal("yerel.com.tr", "provider"),
        None,
        "not a company: printed only"
    );
}

/// Set a domain's scan back in time, as if it had been made `age` ago (SQL interval text).
fn age_scan(env: &Env, domain: &str, age: &str) {
    env.db
        .conn()
        .batch_execute(&format!(
            "UPDATE scans SET scanned_at = now() - interval '{age}' \
             WHERE domain = '{domain}'"
        ))
        .unwrap();
}

#[test]
fn a_stale_scan_is_refreshed_and_a_moved_mailbox_changes_provider_and_score() {
    let mut env = Env::new();
    let mut before = Zones::new();
    before
        .add(
            "tasindi.com.tr",
            "@ MX 10 mx.yandex.net.\n@ TXT \"v=spf1 redirect=_spf.yandex.net\"",
        )
        .unwrap();
    before.add("com", "").unwrap(); // later.com and young-nx.com: NXDOMAIN
    env.dns = DnsServer::start(before).unwrap();
    let file = support::write_json(
        env.home.path(),
        "m.json",
        &[
            support::referral("m1", "tasindi.com.tr", json!({})),
            support::referral("m2", "later.com", json!({})),
            support::referral("m3", "young-nx.com", json!({})),
        ],
    );
    let s = env.import(&file, &[]);
    assert_eq!(s["scans_ok"], 3, "{s}");
    assert_eq!(
        env.signal("tasindi.com.tr", "provider").as_deref(),
        Some("Yandex")
    );
    let yandex = env.score("tasindi.com.tr").unwrap();
    assert!(!yandex.contains("Existing"), "{yandex}");
    assert_eq!(
        env.signal("later.com", "scan_status").as_deref(),
        Some("nxdomain")
    );

    // A month later the mail is at Microsoft 365, and later.com exists.
    let mut after = Zones::new();
    after
        .add(
            "tasindi.com.tr",
            "@ MX 0 tasindi-com-tr.mail.protection.outlook.com.\n\
             @ TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n\
             selector1._domainkey TXT \"v=DKIM1; p=MIIB\"\n_dmarc TXT \"v=DMARC1; p=reject\"",
        )
        .unwrap();
    after.add("later.com", "@ MX 1 smtp.google.com.").unwrap();
    after
        .add("young-nx.com", "@ MX 1 smtp.google.com.")
        .unwrap();
    after.add("com", "").unwrap();
    env.dns = DnsServer::start(after).unwrap();
    // Not stale yet: nothing is asked.
    let s = env.import(&file, &[]);
    assert_eq!(s["scans_ok"], 0, "{s}");
    assert_eq!(env.dns.queries(), 0);

    age_scan(&env, "tasindi.com.tr", "31 days");
    age_scan(&env, "later.com", "8 days"); // NXDOMAIN: stale after 7 days
    age_scan(&env, "young-nx.com", "6 days");
    let s = env.import(&file, &[]);
    assert_eq!(
        (
            s["unchanged"].as_i64(),
            s["scans_ok"].as_i64(),
            s["scans_failed"].as_i64(),
            s["scored"].as_i64()
        ),
        (Some(3), Some(2), Some(0), Some(2)),
        "{s}"
    );
    assert_eq!(
        env.signal("tasindi.com.tr", "provider").as_deref(),
        Some("M365")
    );
    assert_eq!(
        env.text("SELECT provider AS t FROM companies WHERE domain = 'tasindi.com.tr'")
            .as_deref(),
        Some("M365")
    );
    let m365 = env.score("tasindi.com.tr").unwrap();
    assert_eq!(m365, "90 Existing P4 3", "was {yandex}");
    assert_eq!(
        env.signal("later.com", "scan_status").as_deref(),
        Some("success")
    );
    assert_eq!(env.dns.queries_for("young-nx.com"), 0, "6 days: not stale");
    // Fresh again: the next sync leaves them alone.
    let n = env.dns.queries();
    let s = env.import(&file, &[]);
    assert_eq!(s["scans_ok"], 0, "{s}");
    assert_eq!(env.dns.queries(), n);
}

#[test]
fn stale_scans_are_refreshed_a_batch_per_sync_oldest_first_within_the_budget() {
    let env = Env::new();
    // 500 company domains with a referral, each with a completed scan 31 days and i minutes
    // old (stale-000 the youngest). No zone of their own: a refresh finds NXDOMAIN.
    env.db
        .conn()
        .batch_execute(
            "INSERT INTO companies (domain, canonical_name)
               SELECT format('stale-%s.com', lpad(i::text, 3, '0')), 'Stale'
               FROM generate_series(0, 499) i;
             INSERT INTO referrals (referral_id, domain, content_hash, raw_data)
               SELECT format('s%s', i), format('stale-%s.com', lpad(i::text, 3, '0')), 'h', '{}'
               FROM generate_series(0, 499) i;
             INSERT INTO scans (domain, scan_status, mx_hosts, provider, scanned_at)
               SELECT format('stale-%s.com', lpad(i::text, 3, '0')), 'success',
                      '{mx.yandex.net}', 'Yandex',
                      now() - interval '31 days' - i * interval '1 minute'
               FROM generate_series(0, 499) i;",
        )
        .unwrap();
    let empty = support::write_json(env.home.path(), "empty.json", &[]);
    let refreshed = || {
        env.count(
            "SELECT count(*) AS n FROM scans \
             WHERE scanned_at > now() - interval '1 hour'",
        )
    };

    // A budget too short for a scan to finish: none starts, and the run is still ok.
    let out = env
        .cmd()
        .env("HUNTER_PC_RUN_BUDGET_SECS", "5")
        .args(["sync", "--json", "--from-file"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let s = stdout_json(&out);
    assert_eq!(
        (s["status"].as_str(), s["scans_ok"].as_i64()),
        (Some("ok"), Some(0)),
        "{s}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run budget"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(refreshed(), 0);
    assert_eq!(env.dns.queries(), 0);

    // The default batch: the 200 oldest.
    let s = env.import(&empty, &[]);
    assert_eq!(
        (s["scans_ok"].as_i64(), s["scans_failed"].as_i64()),
        (Some(200), Some(0)),
        "{s}"
    );
    assert_eq!(refreshed(), 200);
    assert_eq!(
        env.count(
            "SELECT count(*) AS n FROM scans \
             WHERE scanned_at > now() - interval '1 hour' AND domain >= 'stale-300.com'"
        ),
        200,
        "the oldest first"
    );
    assert_eq!(
        env.signal("stale-499.com", "scan_status").as_deref(),
        Some("nxdomain")
    );
    // The next syncs take the rest, then none is stale.
    let s = env.import(&empty, &[("HUNTER_PC_RESCAN_BATCH", "250")]);
    assert_eq!(s["scans_ok"], 250, "{s}");
    let s = env.import(&empty, &[]);
    assert_eq!(s["scans_ok"], 50, "{s}");
    assert_eq!(refreshed(), 500);
    let s = env.import(&empty, &[]);
    assert_eq!(s["scans_ok"], 0, "{s}");
}

#[test]
fn rescan_rescans_every_domain_read_also_unchanged_and_stale_ones() {
    let env = Env::new();
    let first = support::write_json(
        env.home.path(),
        "1.json",
        &[
            support::referral("u1", "gmigrate.com", json!({})),
            support::referral("u2", "yerel.com.tr", json!({})),
            support::referral("u3", "m365none.com", json!({})),
        ],
    );
    let s = env.import(&first, &[]);
    assert_eq!(s["scans_ok"], 3, "{s}");
    // The same referrals: u1 unchanged, twice (the second a duplicate), u2 older than stored
    // (stale); m365none.com is not read.
    let again = support::write_json(
        env.home.path(),
        "2.json",
        &[
            support::referral("u1", "gmigrate.com", json!({})),
            support::referral("u1", "gmigrate.com", json!({})),
            support::referral(
                "u2",
                "yerel.com.tr",
                json!({"updatedDateTime": "2026-11-01T10:00:00Z", "status": "Closed"}),
            ),
        ],
    );
    let before = (
        env.dns.queries_for("_dmarc.gmigrate.com"),
        env.dns.queries_for("_dmarc.yerel.com.tr"),
        env.dns.queries_for("_dmarc.m365none.com"),
    );
    // Without --rescan: nothing to scan.
    let s = env.import(&again, &[]);
    assert_eq!(s["scans_ok"], 0, "{s}");
    let out = env
        .cmd()
        .args(["sync", "--json", "--rescan", "--from-file"])
        .arg(&again)
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let s = stdout_json(&out);
    assert_eq!(
        (
            s["unchanged"].as_i64(),
            s["skipped"]["duplicate_in_run"].as_i64(),
            s["skipped"]["stale"].as_i64(),
            s["scans_ok"].as_i64(),
            s["scans_skipped_already_scanned"].as_i64(),
        ),
        (Some(1), Some(1), Some(1), Some(2), Some(0)),
        "{s}"
    );
    assert_eq!(
        (
            env.dns.queries_for("_dmarc.gmigrate.com"),
            env.dns.queries_for("_dmarc.yerel.com.tr"),
            env.dns.queries_for("_dmarc.m365none.com"),
        ),
        (before.0 + 1, before.1 + 1, before.2),
        "each domain read is scanned once; a domain not read is not"
    );
    assert_eq!(env.signal("gmigrate.com", "attempts").as_deref(), Some("2"));
}
