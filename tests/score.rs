//! Scoring (pipeline.md §8): the pure scorer on every worked example, `score_domains` on a
//! real database, and `hunter-pc rescore` through the binary.

mod support;

use std::collections::BTreeMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int4, Text};
use hunter_pc::score::{
    DmarcPolicy, PriorityCategory, Provider, ScanOutcome, Score, ScoreConfig, ScoreInput, Segment,
    Signals, score, score_domains,
};
use support::pg::TestDb;
use support::{hunter, last_stderr_line, stdout_json};

// ---------------------------------------------------------------------------------------------
// The pure scorer.

/// A successful scan with an MX host.
fn scanned(provider: Provider, spf: bool, dkim: bool, dmarc: Option<DmarcPolicy>) -> Signals {
    Signals {
        provider,
        mx_present: true,
        spf,
        dkim,
        dmarc,
        spf_includes: 1,
    }
}

/// SPF + DKIM + DMARC reject.
fn full(provider: Provider) -> Signals {
    scanned(provider, true, true, Some(DmarcPolicy::Reject))
}

fn input(signals: Signals, cosell: bool) -> ScoreInput {
    ScoreInput {
        scan: ScanOutcome::Success(signals),
        azure_tenant_id: false,
        cosell,
    }
}

fn defaults() -> ScoreConfig {
    ScoreConfig {
        cosell_bonus: 15,
        azure_tenant_score: 55,
    }
}

fn scored(i: &ScoreInput) -> Score {
    score(i, &defaults()).unwrap_or_else(|| panic!("{i:?} gets a score"))
}

#[track_caller]
fn expect(i: ScoreInput, points: i32, segment: Segment, category: PriorityCategory, prio: i32) {
    let s = scored(&i);
    assert_eq!(
        (
            s.readiness_score,
            s.segment,
            s.priority_category,
            s.priority_score
        ),
        (points, segment, category, prio),
        "{i:?} → {s:?}"
    );
}

use PriorityCategory::{P1, P2, P3, P4, P5, P6};
use Provider::{Amazon, Google, Hosting, Local, M365, Yandex, Zoho};
use Segment::{Cold, Existing, Migration, Skip};

#[test]
fn worked_examples_of_section_8() {
    expect(input(full(Google), false), 90, Migration, P2, 1);
    expect(input(full(M365), false), 90, Existing, P4, 3);
    expect(
        input(scanned(M365, false, false, None), false),
        25,
        Existing,
        P3,
        6,
    );
    expect(input(full(Hosting), false), 60, Migration, P1, 3);
    expect(
        input(scanned(Local, true, false, None), false),
        5,
        Cold,
        P1,
        7,
    );
    expect(input(full(Amazon), false), 60, Skip, P6, 7);
    expect(
        input(scanned(Google, true, false, None), false),
        45,
        Cold,
        P5,
        5,
    );
    expect(
        input(scanned(Google, true, false, None), true),
        60,
        Migration,
        P2,
        3,
    );
    let tenant = |cosell| ScoreInput {
        scan: ScanOutcome::NotScanned,
        azure_tenant_id: true,
        cosell,
    };
    expect(tenant(false), 55, Existing, P3, 4);
    expect(tenant(true), 70, Existing, P4, 3);
}

#[test]
fn cases_of_the_issue() {
    expect(input(full(Google), false), 90, Migration, P2, 1);
    let yandex = scored(&input(full(Yandex), false));
    assert_eq!(
        (
            yandex.readiness_score,
            yandex.segment,
            yandex.priority_score
        ),
        (70, Migration, 2)
    );
    expect(
        input(scanned(Hosting, true, true, None), false),
        40,
        Cold,
        P5,
        5,
    );
    expect(input(full(Local), false), 50, Cold, P1, 5);
    expect(
        input(scanned(M365, true, true, Some(DmarcPolicy::None)), false),
        60,
        Existing,
        P3,
        4,
    );
    expect(
        input(scanned(Zoho, true, true, None), false),
        50,
        Cold,
        P5,
        5,
    );
    expect(input(full(Amazon), false), 60, Skip, P6, 7);
    expect(
        input(scanned(Google, true, false, None), true),
        60,
        Migration,
        P2,
        3,
    );
    // A Hosting domain with no signals: 20 − 10 − 15 − 10 clamps to 0, then co-sell 15.
    expect(
        input(scanned(Hosting, false, false, None), true),
        15,
        Skip,
        P6,
        7,
    );
}

#[test]
fn hard_fails_score_zero_skip_and_get_no_cosell_bonus() {
    for cosell in [false, true] {
        let no_mx = Signals {
            mx_present: false,
            ..scanned(Provider::Unknown, false, false, None)
        };
        let s = scored(&input(no_mx, cosell));
        assert_eq!((s.readiness_score, s.segment), (0, Skip));
        assert!(s.reason.contains("no MX"), "{}", s.reason);
        assert_eq!((s.priority_category, s.priority_score), (P6, 7));

        let nx = ScoreInput {
            scan: ScanOutcome::NxDomain,
            azure_tenant_id: false,
            cosell,
        };
        let s = scored(&nx);
        assert_eq!((s.readiness_score, s.segment), (0, Skip));
        assert!(s.reason.contains("NXDOMAIN"), "{}", s.reason);
    }
}

#[test]
fn no_successful_scan_and_no_tenant_id_is_no_score() {
    for scan in [ScanOutcome::NotScanned, ScanOutcome::Failed] {
        for cosell in [false, true] {
            let i = ScoreInput {
                scan: scan.clone(),
                azure_tenant_id: false,
                cosell,
            };
            assert_eq!(score(&i, &defaults()), None, "{i:?}");
        }
    }
}

#[test]
fn azure_tenant_id_overrides_any_scan() {
    let scans = [
        ScanOutcome::NotScanned,
        ScanOutcome::Failed,
        ScanOutcome::NxDomain,
        ScanOutcome::Success(Signals {
            mx_present: false,
            ..scanned(Provider::Unknown, false, false, None)
        }),
        ScanOutcome::Success(full(Google)),
    ];
    for scan in scans {
        let i = ScoreInput {
            scan,
            azure_tenant_id: true,
            cosell: false,
        };
        let s = scored(&i);
        assert_eq!((s.readiness_score, s.segment), (55, Existing), "{i:?}");
        assert_eq!(s.reason, "M365 existing customer (Azure Tenant ID)");
        assert_eq!(s.technical_heat.as_str(), "Hot");
        assert_eq!(s.commercial_segment.as_str(), "WEAK_PARTNER");
        assert_eq!(s.commercial_heat.as_str(), "HIGH");
        assert_eq!(s.priority_label, "Existing Microsoft but Weak Partner");
    }
}

#[test]
fn settings_change_the_tenant_score_and_the_bonus() {
    let cfg = ScoreConfig {
        cosell_bonus: 30,
        azure_tenant_score: 80,
    };
    let tenant = ScoreInput {
        scan: ScanOutcome::NotScanned,
        azure_tenant_id: true,
        cosell: true,
    };
    // 80 + 30 clamps to 100.
    let s = score(&tenant, &cfg).unwrap();
    assert_eq!(
        (s.readiness_score, s.segment, s.priority_category),
        (100, Existing, P4)
    );
    let g = score(&input(scanned(Google, true, false, None), true), &cfg).unwrap();
    assert_eq!(g.readiness_score, 75);
    assert!(g.reason.ends_with("co-sell +30 = 75"), "{}", g.reason);
    let zero = ScoreConfig {
        cosell_bonus: 0,
        ..cfg
    };
    let g = score(&input(scanned(Google, true, false, None), true), &zero).unwrap();
    assert_eq!((g.readiness_score, g.segment), (45, Cold));
}

#[test]
fn risks_dmarc_points_and_clamping() {
    // quarantine 15; more than 3 SPF includes −5.
    let mut s = scanned(Google, true, true, Some(DmarcPolicy::Quarantine));
    assert_eq!(scored(&input(s.clone(), false)).readiness_score, 85);
    s.spf_includes = 3;
    assert_eq!(scored(&input(s.clone(), false)).readiness_score, 85);
    s.spf_includes = 4;
    let r = scored(&input(s, false));
    assert_eq!(r.readiness_score, 80);
    assert_eq!(r.priority_score, 1);
    assert!(r.reason.contains("4 SPF includes -5"), "{}", r.reason);
    // Clamped at 100 before the segment.
    let cfg = ScoreConfig {
        cosell_bonus: 100,
        azure_tenant_score: 55,
    };
    let r = score(&input(full(Google), true), &cfg).unwrap();
    assert_eq!(r.readiness_score, 100);
    // Hosting lacking one of SPF and DKIM takes the Hosting risk too: 20 + 10 − 15 − 10 + 20.
    let h = scored(&input(
        scanned(Hosting, true, false, Some(DmarcPolicy::Reject)),
        false,
    ));
    assert_eq!(h.readiness_score, 25);
    // Local with SPF and DKIM but under 5 is Skip; Local at 60+ is Migration GREENFIELD.
    let l = scored(&input(scanned(Local, false, false, None), false));
    assert_eq!((l.readiness_score, l.segment), (0, Skip));
    let l = scored(&input(full(Local), true));
    assert_eq!(
        (l.readiness_score, l.segment, l.priority_category),
        (65, Migration, P1)
    );
    assert_eq!(l.commercial_segment.as_str(), "GREENFIELD");
}

#[test]
fn every_input_gets_a_consistent_score() {
    // Exhaustive over providers and signals: scores stay in 0–100, labels match categories.
    let policies = [
        None,
        Some(DmarcPolicy::None),
        Some(DmarcPolicy::Quarantine),
        Some(DmarcPolicy::Reject),
    ];
    for p in Provider::ALL {
        for spf in [false, true] {
            for dkim in [false, true] {
                for dmarc in policies {
                    for cosell in [false, true] {
                        for includes in [0, 9] {
                            let mut sig = scanned(p, spf, dkim, dmarc);
                            sig.spf_includes = includes;
                            let s = scored(&input(sig, cosell));
                            assert!((0..=100).contains(&s.readiness_score));
                            assert!((1..=7).contains(&s.priority_score));
                            assert_eq!(s.segment == Existing, p == M365);
                            assert_eq!(
                                s.priority_label,
                                hunter_pc::score::rules::priority_label(s.priority_category)
                            );
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The database pass.

/// Companies covering §8's cases: (domain, expected score, segment, category, priority).
/// `failed.test` and `unscanned.test` get no score.
const FIXTURE: &str = "
INSERT INTO companies (domain, canonical_name, provider) VALUES
 ('google-full.test', 'G', 'Google'), ('google-spf-cosell.test', 'GC', 'Google'),
 ('google-spf.test', 'GS', 'Google'), ('m365-bare.test', 'M', 'M365'),
 ('hosting-cosell.test', 'H', 'Hosting'), ('local-full.test', 'L', 'Local'),
 ('nomx.test', 'N', 'Unknown'), ('nx.test', 'X', 'Unknown'),
 ('tenant-noscan.test', 'T', 'M365'), ('tenant-cosell.test', 'TC', 'M365'),
 ('failed.test', 'F', NULL), ('unscanned.test', 'U', NULL),
 ('many-includes.test', 'MI', 'Google'), ('yandex-cosell-full.test', 'Y', 'Yandex');

INSERT INTO scans
 (domain, scan_status, mx_hosts, provider, spf, spf_record, dkim, dmarc_policy) VALUES
 ('google-full.test', 'success', '{aspmx.l.google.com}', 'Google', true,
  'v=spf1 include:_spf.google.com ~all', true, 'reject'),
 ('google-spf-cosell.test', 'success', '{aspmx.l.google.com}', 'Google', true,
  'v=spf1 include:_spf.google.com ~all', false, NULL),
 ('google-spf.test', 'success', '{aspmx.l.google.com}', 'Google', true,
  'v=spf1 include:_spf.google.com ~all', false, NULL),
 ('m365-bare.test', 'success', '{m365-bare-test.mail.protection.outlook.com}', 'M365', false,
  NULL, false, NULL),
 ('hosting-cosell.test', 'success', '{mx1.secureserver.net}', 'Hosting', false, NULL, false, NULL),
 ('local-full.test', 'success', '{mx.natrohost.com}', 'Local', true, 'v=spf1 a mx -all', true,
  'REJECT'),
 ('nomx.test', 'success', '{}', 'Unknown', true, 'v=spf1 -all', false, NULL),
 ('nx.test', 'nxdomain', '{}', 'Unknown', NULL, NULL, NULL, NULL),
 ('tenant-cosell.test', 'failed', NULL, NULL, NULL, NULL, NULL, NULL),
 ('failed.test', 'failed', NULL, NULL, NULL, NULL, NULL, NULL),
 ('many-includes.test', 'success', '{aspmx.l.google.com}', 'Google', true,
  'v=spf1 include:_spf.google.com include:a.test include:b.test include:c.test include:d.test -all',
  true, 'reject'),
 ('yandex-cosell-full.test', 'success', '{mx.yandex.net}', 'Yandex', true,
  'v=spf1 include:_spf.yandex.net ~all', true, 'reject');

INSERT INTO referrals
 (referral_id, referral_type, domain, azure_tenant_id, content_hash, raw_data) VALUES
 ('r1', 'marketplace', 'google-full.test', NULL, 'h', '{}'),
 ('r2', 'co-sell', 'google-spf-cosell.test', NULL, 'h', '{}'),
 ('r2b', 'marketplace', 'google-spf-cosell.test', '  ', 'h', '{}'),
 ('r3', 'co-sell', 'hosting-cosell.test', NULL, 'h', '{}'),
 ('r4', NULL, 'tenant-noscan.test', '0f3b3c1e-8d57-4f8e-a0a1-3c4a2f6a9b10', 'h', '{}'),
 ('r5', 'marketplace', 'tenant-cosell.test', '7d9c0a52-1b2e-4c3d-9e8f-0a1b2c3d4e5f', 'h', '{}'),
 ('r6', 'co-sell', 'tenant-cosell.test', NULL, 'h', '{}'),
 ('r7', 'co-sell', 'failed.test', NULL, 'h', '{}'),
 ('r8', 'solution-provider', 'unscanned.test', NULL, 'h', '{}'),
 ('r9', 'co-sell', 'yandex-cosell-full.test', NULL, 'h', '{}'),
 ('r10', 'co-sell', NULL, '5e1c3a8f-2b4d-4e6f-8a0b-1c2d3e4f5a6b', 'h', '{}'),
 ('r11', 'marketplace', 'google-spf.test', NULL, 'h', '{}'),
 ('r12', 'marketplace', 'm365-bare.test', NULL, 'h', '{}'),
 ('r13', 'marketplace', 'local-full.test', NULL, 'h', '{}'),
 ('r14', 'marketplace', 'many-includes.test', NULL, 'h', '{}'),
 ('r15', 'marketplace', 'nomx.test', NULL, 'h', '{}'),
 ('r16', 'marketplace', 'nx.test', NULL, 'h', '{}');
";

/// What the fixture scores to with the default settings.
const EXPECTED: [(&str, i32, &str, &str, i32); 12] = [
    ("google-full.test", 90, "Migration", "P2", 1),
    ("google-spf-cosell.test", 60, "Migration", "P2", 3),
    ("google-spf.test", 45, "Cold", "P5", 5),
    ("hosting-cosell.test", 15, "Skip", "P6", 7),
    ("local-full.test", 50, "Cold", "P1", 5),
    ("m365-bare.test", 25, "Existing", "P3", 6),
    ("many-includes.test", 85, "Migration", "P2", 1),
    ("nomx.test", 0, "Skip", "P6", 7),
    ("nx.test", 0, "Skip", "P6", 7),
    ("tenant-cosell.test", 70, "Existing", "P4", 3),
    ("tenant-noscan.test", 55, "Existing", "P3", 4),
    ("yandex-cosell-full.test", 85, "Migration", "P2", 1),
];

/// The co-sell companies of the fixture.
const COSELL: [&str; 4] = [
    "google-spf-cosell.test",
    "hosting-cosell.test",
    "tenant-cosell.test",
    "yandex-cosell-full.test",
];

#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
struct StoredRow {
    #[diesel(sql_type = Text)]
    domain: String,
    #[diesel(sql_type = Int4)]
    readiness_score: i32,
    #[diesel(sql_type = Text)]
    segment: String,
    #[diesel(sql_type = Text)]
    reason: String,
    #[diesel(sql_type = Text)]
    technical_heat: String,
    #[diesel(sql_type = Text)]
    commercial_segment: String,
    #[diesel(sql_type = Text)]
    commercial_heat: String,
    #[diesel(sql_type = Text)]
    priority_category: String,
    #[diesel(sql_type = Text)]
    priority_label: String,
    #[diesel(sql_type = Int4)]
    priority_score: i32,
    #[diesel(sql_type = Text)]
    updated_at: String,
}

/// Every `scores` row, by domain (with `updated_at` as text, to see rewrites).
fn stored(conn: &mut PgConnection) -> BTreeMap<String, StoredRow> {
    diesel::sql_query(
        "SELECT domain, readiness_score, segment, reason, technical_heat, commercial_segment,
                commercial_heat, priority_category, priority_label, priority_score,
                updated_at::text AS updated_at
         FROM scores ORDER BY domain",
    )
    .load::<StoredRow>(conn)
    .unwrap()
    .into_iter()
    .map(|r| (r.domain.clone(), r))
    .collect()
}

fn summary_of(rows: &BTreeMap<String, StoredRow>) -> Vec<(&str, i32, &str, &str, i32)> {
    rows.values()
        .map(|r| {
            (
                r.domain.as_str(),
                r.readiness_score,
                r.segment.as_str(),
                r.priority_category.as_str(),
                r.priority_score,
            )
        })
        .collect()
}

fn seeded() -> (TestDb, PgConnection) {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    conn.batch_execute(FIXTURE).unwrap();
    (db, conn)
}

fn segments(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[test]
fn score_domains_stores_exactly_the_rules_scores() {
    let (_db, mut conn) = seeded();
    let s = score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    let rows = stored(&mut conn);
    assert_eq!(summary_of(&rows), EXPECTED.to_vec());
    assert!(!rows.contains_key("failed.test"));
    assert!(!rows.contains_key("unscanned.test"));
    assert_eq!(s.scored, 12);
    assert_eq!(
        (s.changed_score, s.changed_segment, s.written),
        (12, 12, 12)
    );
    assert_eq!(s.removed, 0);
    assert_eq!(
        s.segments,
        segments(&[("Cold", 2), ("Existing", 3), ("Migration", 4), ("Skip", 3)])
    );
    // The whole row is the scorer's output.
    let t = &rows["tenant-noscan.test"];
    assert_eq!(t.reason, "M365 existing customer (Azure Tenant ID)");
    assert_eq!(
        (
            t.technical_heat.as_str(),
            t.commercial_segment.as_str(),
            t.commercial_heat.as_str(),
            t.priority_label.as_str()
        ),
        (
            "Hot",
            "WEAK_PARTNER",
            "HIGH",
            "Existing Microsoft but Weak Partner"
        )
    );
    assert!(
        rows["many-includes.test"]
            .reason
            .contains("5 SPF includes -5")
    );
    assert!(rows["nx.test"].reason.contains("NXDOMAIN"));
    assert!(rows["nomx.test"].reason.contains("no MX"));

    // A second pass changes and writes nothing.
    let again = score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    assert_eq!(
        (
            again.scored,
            again.changed_score,
            again.changed_segment,
            again.written
        ),
        (12, 0, 0, 0)
    );
    assert_eq!(stored(&mut conn), rows);
}

#[test]
fn a_new_cosell_bonus_changes_exactly_the_cosell_companies() {
    let (_db, mut conn) = seeded();
    score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    let before = stored(&mut conn);
    let no_bonus = ScoreConfig {
        cosell_bonus: 0,
        azure_tenant_score: 55,
    };
    let s = score_with_layout(&mut conn, None, &no_bonus, false).unwrap();
    let after = stored(&mut conn);
    let changed: Vec<&str> = after
        .keys()
        .filter(|d| after[*d].readiness_score != before[*d].readiness_score)
        .map(String::as_str)
        .collect();
    assert_eq!(changed, COSELL.to_vec());
    // google-spf-cosell 60 → 45 leaves Migration for Cold; the others keep their segment.
    assert_eq!((s.changed_score, s.changed_segment, s.written), (4, 1, 4));
    assert_eq!(after["google-spf-cosell.test"].segment, "Cold");
    assert_eq!(after["hosting-cosell.test"].readiness_score, 0);
    assert_eq!(after["tenant-cosell.test"].readiness_score, 55);
    assert_eq!(after["yandex-cosell-full.test"].readiness_score, 70);
    for d in before.keys().filter(|d| !COSELL.contains(&d.as_str())) {
        assert_eq!(after[d], before[d], "{d} untouched, updated_at included");
    }
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let (_db, mut conn) = seeded();
    let s = score_with_layout(&mut conn, None, &defaults(), true).unwrap();
    assert_eq!((s.scored, s.changed_score, s.written), (12, 12, 12));
    assert!(stored(&mut conn).is_empty());
    score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    let before = stored(&mut conn);
    let tenant_80 = ScoreConfig {
        cosell_bonus: 15,
        azure_tenant_score: 80,
    };
    let s = score_with_layout(&mut conn, None, &tenant_80, true).unwrap();
    assert_eq!((s.changed_score, s.changed_segment), (2, 0));
    assert_eq!(stored(&mut conn), before);
}

#[test]
fn only_the_given_domains_are_scored() {
    let (_db, mut conn) = seeded();
    let some = vec![
        "google-full.test".to_string(),
        "tenant-noscan.test".to_string(),
        "google-full.test".to_string(),
        "no-such-company.test".to_string(),
        "failed.test".to_string(),
    ];
    let s = score_with_layout(&mut conn, Some(&some), &defaults(), false).unwrap();
    assert_eq!(s.scored, 2);
    let rows = stored(&mut conn);
    assert_eq!(
        summary_of(&rows),
        vec![
            ("google-full.test", 90, "Migration", "P2", 1),
            ("tenant-noscan.test", 55, "Existing", "P3", 4)
        ]
    );
    let none = score_with_layout(&mut conn, Some(&[]), &defaults(), false).unwrap();
    assert_eq!(none.scored, 0);
}

#[test]
fn a_failed_rescan_keeps_the_score_and_a_lost_tenant_id_drops_it() {
    let (_db, mut conn) = seeded();
    score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    let before = stored(&mut conn);
    conn.batch_execute(
        "UPDATE scans SET scan_status = 'failed', scan_error = 'timeout', attempts = 2
           WHERE domain = 'google-full.test';
         UPDATE referrals SET azure_tenant_id = NULL WHERE referral_id IN ('r4', 'r5');",
    )
    .unwrap();
    let s = score_with_layout(&mut conn, None, &defaults(), false).unwrap();
    let after = stored(&mut conn);
    // google-full: failed rescan → the previous row, untouched.
    assert_eq!(after["google-full.test"], before["google-full.test"]);
    // tenant-noscan: never scanned and no tenant id any more → no score.
    assert!(!after.contains_key("tenant-noscan.test"));
    // tenant-cosell: its scan failed → keeps the 70 it had.
    assert_eq!(after["tenant-cosell.test"], before["tenant-cosell.test"]);
    assert_eq!(s.removed, 1);
    // 12 less google-full (failed), tenant-noscan (removed), tenant-cosell (failed, kept).
    assert_eq!(s.scored, 9);
    assert_eq!((s.changed_score, s.written), (0, 0));
}

// ---------------------------------------------------------------------------------------------
// `hunter-pc rescore` through the binary.

fn rescore(
    db: &TestDb,
    home: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut c = hunter(home);
    c.env("DATABASE_URL", &db.url).arg("rescore").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn rescore_command_reports_counts_and_follows_the_cosell_bonus() {
    let (db, mut conn) = seeded();
    let home = tempfile::tempdir().unwrap();
    let out = rescore(&db, home.path(), &[], &["--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = stdout_json(&out);
    assert_eq!(j["scored"], 12);
    assert_eq!(j["changed_score"], 12);
    assert_eq!(j["changed_segment"], 12);
    assert_eq!(
        j["segments"],
        serde_json::json!({"Cold": 2, "Existing": 3, "Migration": 4, "Skip": 3})
    );
    assert_eq!(j["dry_run"], false);
    assert!(j["duration_ms"].as_i64().is_some_and(|d| d >= 0));
    let first = stored(&mut conn);
    assert_eq!(summary_of(&first), EXPECTED.to_vec());

    let out = rescore(
        &db,
        home.path(),
        &[("HUNTER_PC_COSELL_BONUS", "0")],
        &["--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = stdout_json(&out);
    assert_eq!(
        (j["scored"].as_i64(), j["changed_score"].as_i64()),
        (Some(12), Some(4))
    );
    assert_eq!(j["changed_segment"], 1);
    assert_eq!(
        j["segments"],
        serde_json::json!({"Cold": 3, "Existing": 3, "Migration": 3, "Skip": 3})
    );
    let second = stored(&mut conn);
    let changed: Vec<&str> = second
        .keys()
        .filter(|d| second[*d] != first[*d])
        .map(String::as_str)
        .collect();
    assert_eq!(changed, COSELL.to_vec());
}

#[test]
fn rescore_dry_run_changes_nothing() {
    let (db, mut conn) = seeded();
    let home = tempfile::tempdir().unwrap();
    let out = rescore(&db, home.path(), &[], &["--dry-run", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = stdout_json(&out);
    assert_eq!(
        (j["scored"].as_i64(), j["dry_run"].as_bool()),
        (Some(12), Some(true))
    );
    assert!(stored(&mut conn).is_empty());

    assert!(rescore(&db, home.path(), &[], &[]).status.success());
    let before = stored(&mut conn);
    let out = rescore(
        &db,
        home.path(),
        &[("HUNTER_PC_COSELL_BONUS", "40")],
        &["--dry-run", "--json"],
    );
    let j = stdout_json(&out);
    assert_eq!(j["changed_score"], 4);
    assert_eq!(stored(&mut conn), before);
}

#[test]
fn rescore_one_domain() {
    let (db, mut conn) = seeded();
    let home = tempfile::tempdir().unwrap();
    let out = rescore(
        &db,
        home.path(),
        &[],
        &["--domain", "Local-Full.TEST.", "--json"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = stdout_json(&out);
    assert_eq!(j["scored"], 1);
    assert_eq!(j["segments"], serde_json::json!({"Cold": 1}));
    assert_eq!(
        summary_of(&stored(&mut conn)),
        vec![("local-full.test", 50, "Cold", "P1", 5)]
    );
    // A company without a score yet: scored 0, still success.
    let out = rescore(
        &db,
        home.path(),
        &[],
        &["--domain", "failed.test", "--json"],
    );
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["scored"], 0);
}

#[test]
fn rescore_unknown_domain_is_a_clear_error() {
    let (db, mut conn) = seeded();
    let home = tempfile::tempdir().unwrap();
    let out = rescore(&db, home.path(), &[], &["--domain", "nobody.test"]);
    assert_eq!(out.status.code(), Some(1));
    let line = last_stderr_line(&out);
    assert!(
        line.starts_with(
            "error: no company with a Partner Center referral has the domain \"nobody.test\""
        ),
        "{line}"
    );
    assert!(out.stdout.is_empty());
    assert!(stored(&mut conn).is_empty());
}

#[test]
fn rescore_table_output() {
    let (db, _conn) = seeded();
    let home = tempfile::tempdir().unwrap();
    let out = rescore(&db, home.path(), &[], &[]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["scored", "12"]),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Migration", "4"]),
        "{text}"
    );
}

#[test]
fn rescore_needs_a_database_and_current_migrations() {
    let home = tempfile::tempdir().unwrap();
    let out = hunter(home.path()).arg("rescore").output().unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(last_stderr_line(&out).contains("DATABASE_URL"));
    let empty = TestDb::empty();
    let out = rescore(&empty, home.path(), &[], &["--json"]);
    assert_eq!(out.status.code(), Some(78));
    assert!(
        last_stderr_line(&out).contains("migrate up"),
        "{}",
        last_stderr_line(&out)
    );
}

/// `score_domains` with the layout the database has.
fn score_with_layout(
    conn: &mut PgConnection,
    domains: Option<&[String]>,
    cfg: &hunter_pc::score::ScoreConfig,
    dry_run: bool,
) -> hunter_pc::error::Result<hunter_pc::score::RescoreSummary> {
    let layout = support::pg::layout(conn);
    score_domains(conn, &layout, domains, cfg, dry_run)
}
