//! hunter-pc inside Hunter's own database: on a database built from each Hunter line's fixture
//! (`tests/data/hunter/`), through the binary. Hunter's schema is never changed, Hunter's rows
//! of companies without a referral are never written, Hunter's tables receive the projection of
//! hunter-pc's record, Hunter's own scans are read rather than repeated, and `migrate down`
//! takes away only what hunter-pc created.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use support::dns::{DnsServer, Zones};
use support::hunter::{HunterLine, domains, dump_schema, hunter_db, hunter_rows};
use support::pg::TestDb;
use support::{assert_exit, hunter, last_stderr_line, stdout_json};

const HUNTER: &str = "public";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples() -> PathBuf {
    repo().join("examples/referrals.json")
}

/// The example domains' zones, and nothing else (a fixture domain is NXDOMAIN here).
fn dns() -> DnsServer {
    DnsServer::start(Zones::from_dir(&repo().join("examples/zones")).expect("example zones"))
        .expect("start the DNS server")
}

/// A command on `db` with the DNS server, the examples' direction and a home of its own.
fn cmd(db: &TestDb, dns: &DnsServer, home: &Path) -> assert_cmd::Command {
    let mut c = hunter(home);
    c.env("DATABASE_URL", &db.url)
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .env("HUNTER_PC_DNS_TIMEOUT_MS", "300");
    c
}

fn run_ok(c: &mut assert_cmd::Command, args: &[&str]) -> std::process::Output {
    let out = c.args(args).output().unwrap();
    assert_exit(&out, 0);
    out
}

/// A Hunter database of `line` after `migrate up`.
fn installed(line: HunterLine, home: &Path) -> TestDb {
    let db = hunter_db(line, HUNTER);
    let out = hunter(home)
        .env("DATABASE_URL", &db.url)
        .args(["migrate", "up"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    db
}

/// Every Hunter row that was there before is there after, unchanged (rows hunter-pc added are
/// allowed).
fn assert_rows_kept(before: &BTreeMap<String, Vec<String>>, after: &BTreeMap<String, Vec<String>>) {
    for (table, rows) in before {
        let now = &after[table];
        for row in rows {
            assert!(
                now.contains(row),
                "{table}: row changed or gone: {row}\nnow: {now:#?}"
            );
        }
    }
}

#[test]
fn migrate_up_changes_nothing_of_hunters_and_every_command_works() {
    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = hunter_db(line, HUNTER);
        let schema = dump_schema(&db, HUNTER);
        let rows = hunter_rows(&db, HUNTER);
        let dns = dns();

        let status = cmd(&db, &dns, home.path())
            .args(["status", "--json"])
            .output()
            .unwrap();
        assert_exit(&status, 78);
        assert_eq!(stdout_json(&status)["database"]["shape"], line.shape());
        let out = cmd(&db, &dns, home.path())
            .args(["migrate", "status", "--json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        assert_eq!(
            db.count("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'hunter_pc'"),
            0,
            "reading the state created nothing"
        );

        run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "up"]);
        assert_eq!(dump_schema(&db, HUNTER), schema, "{line:?}: migrate up");
        assert_eq!(hunter_rows(&db, HUNTER), rows, "{line:?}: migrate up");
        let status = run_ok(&mut cmd(&db, &dns, home.path()), &["status", "--json"]);
        let status = stdout_json(&status);
        assert_eq!(status["database"]["shape"], line.shape(), "{status}");
        assert_eq!(status["database"]["pending"], json!([]));

        // Every command of the contract.
        let file = examples();
        let file = file.to_str().unwrap();
        let s = stdout_json(&run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--from-file", file],
        ));
        assert!(s["new"].as_i64().unwrap() > 20, "{s}");
        assert!(s["scans_ok"].as_i64().unwrap() > 10, "{s}");
        run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--force", "--rescan", "--from-file", file],
        );
        run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["scan", "alpen-consulting.de", domains::CSV_LEAD, "--json"],
        );
        run_ok(&mut cmd(&db, &dns, home.path()), &["rescore", "--json"]);
        let listed = run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["list-referrals", "--format", "json"],
        );
        assert!(stdout_json(&listed).as_array().unwrap().len() > 20);
        run_ok(&mut cmd(&db, &dns, home.path()), &["status"]);
        run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "status"]);

        // The API sync too.
        let referrals: Vec<Value> =
            serde_json::from_slice::<Value>(&std::fs::read(examples()).unwrap()).unwrap()["value"]
                .as_array()
                .unwrap()
                .clone();
        let world = support::world::World::on(db, referrals);
        let out = world
            .cmd()
            .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
            .args(["sync", "--json"])
            .output()
            .unwrap();
        assert_exit(&out, 0);
        assert_eq!(
            dump_schema(&world.db, HUNTER),
            schema,
            "{line:?}: after the commands"
        );
        assert_rows_kept(&rows, &hunter_rows(&world.db, HUNTER));
    }
}

/// hunter-pc's own rows, without what differs between two databases (ids, times).
fn own_contents(db: &TestDb) -> String {
    let q = |sql: &str| db.text(sql).unwrap_or_default();
    [
        q(
            "SELECT string_agg(concat_ws('|', r.referral_id, r.referral_type, r.type, \
             r.qualification, r.direction, r.status, r.substatus, r.engagement_id, \
             r.external_reference_id, r.company_name, r.customer_name, r.customer_country, \
             r.domain, r.raw_domain, r.azure_tenant_id, r.deal_value, r.currency, r.link_status, \
             c.domain, r.pc_created_at, r.pc_updated_at, r.content_hash, r.raw_data::text), \
             E'\\n' ORDER BY r.referral_id) AS t \
           FROM referrals r LEFT JOIN companies c ON c.id = r.company_id",
        ),
        q(
            "SELECT string_agg(concat_ws('|', domain, scan_status, scan_error, mx_hosts::text, \
             mx_root, provider, gateway, local_provider, spf, spf_record, dkim, \
             dkim_selectors::text, dmarc_policy, dmarc_coverage, attempts), E'\\n' \
             ORDER BY domain) AS t FROM scans",
        ),
        q(
            "SELECT string_agg(concat_ws('|', domain, readiness_score, segment, reason, \
             technical_heat, commercial_segment, commercial_heat, priority_category, \
             priority_label, priority_score, source), E'\\n' ORDER BY domain) AS t FROM scores",
        ),
    ]
    .join("\n--\n")
}

#[test]
fn own_tables_match_an_empty_database_and_hunters_tables_hold_the_projection() {
    let file = examples();
    let file = file.to_str().unwrap();
    let dns = dns();
    let home = tempfile::tempdir().unwrap();
    let alone = TestDb::migrated();
    run_ok(
        &mut cmd(&alone, &dns, home.path()),
        &["sync", "--json", "--from-file", file],
    );
    let expected = own_contents(&alone);
    assert!(expected.lines().count() > 40, "{expected}");

    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = installed(line, home.path());
        run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--from-file", file],
        );
        assert_eq!(own_contents(&db), expected, "{line:?}");

        // Each referral with a domain: its projection, linked to Hunter's company id.
        let unprojected = db.count(
            "SELECT count(*) AS n FROM referrals r \
             LEFT JOIN public.partner_center_referrals p ON p.referral_id = r.referral_id \
             WHERE p.id IS NULL OR p.domain IS DISTINCT FROM r.domain \
                OR p.company_name IS DISTINCT FROM r.company_name \
                OR p.status IS DISTINCT FROM r.status \
                OR p.raw_data IS DISTINCT FROM r.raw_data",
        );
        assert_eq!(unprojected, 0, "{line:?}");
        if line == HunterLine::Newest {
            let wrong_link = db.count(
                "SELECT count(*) AS n FROM referrals r \
                 JOIN public.partner_center_referrals p ON p.referral_id = r.referral_id \
                 WHERE p.linked_lead_id IS DISTINCT FROM r.company_id::int \
                    OR p.link_status IS DISTINCT FROM r.link_status \
                    OR p.direction IS DISTINCT FROM r.direction",
            );
            assert_eq!(wrong_link, 0);
        }
        // Direction as received.
        assert_eq!(
            db.count("SELECT count(*) AS n FROM referrals WHERE direction = 'Incoming'"),
            db.count("SELECT count(*) AS n FROM referrals WHERE lower(direction) = 'incoming'"),
        );
        assert!(db.count("SELECT count(*) AS n FROM referrals WHERE direction = 'Incoming'") > 0);
        // A raw lead per referral with a domain, a company per domain with Hunter's id.
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM referrals r WHERE r.domain IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM public.raw_leads l WHERE l.source = 'partnercenter' \
                  AND l.payload->>'id' = r.referral_id)"
            ),
            0
        );
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM referrals r WHERE r.domain IS NOT NULL AND NOT EXISTS \
                 (SELECT 1 FROM public.companies c WHERE c.id = r.company_id \
                  AND c.domain = r.domain)"
            ),
            0
        );
        // One signals row and one score row per scored domain, equal to hunter-pc's.
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM scans s WHERE \
                 (SELECT count(*) FROM public.domain_signals d WHERE d.domain = s.domain) <> 1 \
                 OR NOT EXISTS (SELECT 1 FROM public.domain_signals d \
                   WHERE d.id = s.hunter_signal_id AND d.scan_status = 'success' \
                   AND d.mx_root IS NOT DISTINCT FROM s.mx_root)"
            ),
            0,
            "{line:?}"
        );
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM scores s WHERE NOT EXISTS \
                 (SELECT 1 FROM public.lead_scores l WHERE l.domain = s.domain \
                  AND l.readiness_score = s.readiness_score AND l.segment = s.segment \
                  AND l.priority_category = s.priority_category) \
                 OR (SELECT count(*) FROM public.lead_scores l WHERE l.domain = s.domain) <> 1"
            ),
            0,
            "{line:?}"
        );
        // Hunter's lead list: every linked referral's company, with provider, segment, score.
        let listed = db.count(
            "SELECT count(DISTINCT r.domain) AS n FROM referrals r \
             JOIN public.leads_ready v ON v.domain = r.domain \
             JOIN scores s ON s.domain = r.domain \
             WHERE v.readiness_score = s.readiness_score AND v.segment = s.segment \
               AND v.scan_status = 'success' \
               AND v.provider IS NOT DISTINCT FROM (SELECT c.provider FROM public.companies c \
                                                    WHERE c.domain = r.domain)",
        );
        let linked = db.count(
            "SELECT count(DISTINCT domain) AS n FROM referrals WHERE link_status <> 'unlinked'",
        );
        assert!(linked > 15);
        assert_eq!(listed, linked, "{line:?}");
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM public.companies WHERE provider = 'Unknown' \
                 AND domain IN (SELECT domain FROM referrals)"
            ),
            0,
            "hunter-pc never writes Unknown"
        );
    }
}

#[test]
fn hunters_rows_of_domains_without_referrals_stay_identical() {
    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = installed(line, home.path());
        let dns = dns();
        let before = hunter_rows(&db, HUNTER);
        let file = examples();
        let file = file.to_str().unwrap();
        for args in [
            &["sync", "--json", "--from-file", file][..],
            &["sync", "--json", "--force", "--from-file", file],
            &["sync", "--json", "--force", "--rescan", "--from-file", file],
            &["scan", domains::CSV_LEAD, domains::DNS_TIMEOUT, "--json"],
            &["rescore", "--json"],
            &["rescore", "--json", "--dry-run"],
        ] {
            run_ok(&mut cmd(&db, &dns, home.path()), args);
            assert_rows_kept(&before, &hunter_rows(&db, HUNTER));
        }
        // The scan of a Hunter lead is printed, not stored.
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) AS n FROM scans WHERE domain = '{}'",
                domains::CSV_LEAD
            )),
            0
        );
    }
}

#[test]
fn a_domain_hunter_scanned_is_scored_from_hunters_columns_not_scanned_again() {
    use hunter_pc::model::Provider;
    use hunter_pc::score::{DmarcPolicy, ScanOutcome, ScoreConfig, ScoreInput, Signals, score};
    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = installed(line, home.path());
        let dns = dns();
        let hunters = [
            domains::WHOIS_FAILED,
            domains::NO_MX,
            domains::TWO_SIGNALS,
            domains::COMPLETED,
        ];
        let mut items: Vec<Value> = hunters
            .iter()
            .enumerate()
            .map(|(i, d)| support::referral(&format!("h{i}"), d, json!({})))
            .collect();
        items.push(support::referral("t1", domains::DNS_TIMEOUT, json!({})));
        let file = support::write_json(home.path(), "h.json", &items);
        let before = hunter_rows(&db, HUNTER);
        let s = stdout_json(&run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--from-file", file.to_str().unwrap()],
        ));
        assert_eq!(s["scans_skipped_already_scanned"], 4, "{s}");
        assert_eq!(
            s["scans_ok"].as_i64().unwrap() + s["scans_failed"].as_i64().unwrap(),
            1
        );
        for d in hunters {
            assert_eq!(dns.queries_for(d), 0, "{line:?}: {d} was scanned again");
            assert_eq!(
                db.text(&format!(
                    "SELECT source AS t FROM scores WHERE domain = '{d}'"
                ))
                .as_deref(),
                Some("hunter"),
                "{d}"
            );
            // Hunter's signals rows are as they were.
            let rows = |m: &BTreeMap<String, Vec<String>>| -> Vec<String> {
                m["domain_signals"]
                    .iter()
                    .filter(|r| r.contains(d))
                    .cloned()
                    .collect()
            };
            assert_eq!(rows(&before), rows(&hunter_rows(&db, HUNTER)), "{d}");
        }
        assert!(
            dns.queries_for(domains::DNS_TIMEOUT) > 0,
            "dns_timeout is scanned"
        );
        // dns_timeout: now one row of hunter-pc's (NXDOMAIN here: success without MX).
        assert_eq!(
            db.text(&format!(
                "SELECT string_agg(scan_status || ':' || coalesce(mx_root, '-'), ',') AS t \
                 FROM public.domain_signals WHERE domain = '{}'",
                domains::DNS_TIMEOUT
            ))
            .as_deref(),
            Some("success:-")
        );

        // The scores are the rules' on Hunter's columns (newest row; MX when mx_root is set).
        let cfg = ScoreConfig::default();
        let success = |provider, mx_present, spf, dkim, dmarc| ScoreInput {
            scan: ScanOutcome::Success(Signals {
                provider,
                mx_present,
                spf,
                dkim,
                dmarc,
                spf_includes: 0,
            }),
            azure_tenant_id: false,
            cosell: false,
        };
        let expect = [
            (
                domains::WHOIS_FAILED,
                success(
                    Provider::Yandex,
                    true,
                    true,
                    true,
                    Some(DmarcPolicy::Quarantine),
                ),
            ),
            (
                domains::NO_MX,
                success(Provider::Unknown, false, true, false, None),
            ),
            (
                domains::TWO_SIGNALS,
                success(
                    Provider::M365,
                    true,
                    true,
                    true,
                    Some(DmarcPolicy::Quarantine),
                ),
            ),
            (
                domains::COMPLETED,
                success(Provider::M365, true, true, false, Some(DmarcPolicy::None)),
            ),
        ];
        for (d, input) in expect {
            let want = score(&input, &cfg).expect("a score");
            let want = Some(format!(
                "{} {}",
                want.readiness_score,
                want.segment.as_str()
            ));
            // hunter-pc's score, and the one row of Hunter's `lead_scores`.
            for table in ["scores", "public.lead_scores"] {
                let got = db.text(&format!(
                    "SELECT string_agg(readiness_score || ' ' || segment, ',') AS t \
                     FROM {table} WHERE domain = '{d}'"
                ));
                assert_eq!(got, want, "{line:?}: {table} {d}");
            }
        }
        // The no-MX hard fail.
        assert_eq!(
            db.text(&format!(
                "SELECT readiness_score::text AS t FROM scores WHERE domain = '{}'",
                domains::NO_MX
            ))
            .as_deref(),
            Some("0")
        );
        // Hunter's companies keep their names.
        assert_rows_kept(
            &BTreeMap::from([(
                "companies".to_string(),
                before["companies"]
                    .iter()
                    .filter(|r| !r.contains(domains::DNS_TIMEOUT))
                    .cloned()
                    .collect(),
            )]),
            &hunter_rows(&db, HUNTER),
        );
    }
}

#[test]
fn long_text_is_cut_for_hunter_and_kept_whole_and_ids_near_2_31_work() {
    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = installed(line, home.path());
        let dns = dns();
        db.conn()
            .batch_execute(
                "SELECT setval('public.companies_id_seq', 2147483000); \
                 SELECT setval('public.partner_center_referrals_id_seq', 2147483100); \
                 SELECT setval('public.raw_leads_id_seq', 2147483200); \
                 SELECT setval('public.domain_signals_id_seq', 2147483300); \
                 SELECT setval('public.lead_scores_id_seq', 2147483400);",
            )
            .unwrap();
        let long_name = format!("Şirket {}", "ç".repeat(294));
        assert_eq!(long_name.chars().count(), 301);
        let website = format!("https://alpen-consulting.de/{}", "a".repeat(280));
        let r = support::referral(
            "long-1",
            "alpen-consulting.de",
            json!({"customerProfile": {"name": long_name, "website": website,
                   "address": {"country": "DE"}},
                   "notes": "Kurzer Text. ".repeat(2000)}),
        );
        let file = support::write_json(home.path(), "long.json", &[r]);
        let out = run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--from-file", file.to_str().unwrap()],
        );
        let s = stdout_json(&out);
        assert_eq!(
            (s["new"].as_i64(), s["failed"].as_i64()),
            (Some(1), Some(0)),
            "{s}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("long-1") && stderr.contains("company_name"),
            "a warning names the referral and field: {stderr}"
        );
        // hunter-pc's record keeps the full values.
        assert_eq!(
            db.text("SELECT company_name AS t FROM referrals WHERE referral_id = 'long-1'"),
            Some(long_name.clone())
        );
        let cut: String = long_name.chars().take(255).collect();
        assert_eq!(
            db.text(
                "SELECT company_name AS t FROM public.partner_center_referrals \
                 WHERE referral_id = 'long-1'"
            ),
            Some(cut.clone())
        );
        if line == HunterLine::Newest {
            assert_eq!(
                db.text(
                    "SELECT customer_name AS t FROM public.partner_center_referrals \
                     WHERE referral_id = 'long-1'"
                ),
                Some(cut.clone())
            );
        }
        assert_eq!(
            db.text(
                "SELECT canonical_name AS t FROM public.companies \
                 WHERE domain = 'alpen-consulting.de'"
            ),
            Some(cut.clone())
        );
        assert_eq!(
            db.text("SELECT coalesce(website, 'NULL') AS t FROM public.raw_leads WHERE payload->>'id' = 'long-1'")
                .as_deref(),
            Some("NULL"),
            "a website that does not fit is not written"
        );
        // The large JSON is compressed with lz4 in Hunter's tables (a session setting of
        // hunter-pc's page writers; the tables are not altered).
        assert_eq!(
            db.text(
                "SELECT pg_column_compression(raw_data) AS t FROM public.partner_center_referrals \
                 WHERE referral_id = 'long-1'"
            )
            .as_deref(),
            Some("lz4")
        );
        // Ids near 2^31: Hunter's integers.
        let id = db.count(
            "SELECT id::bigint AS n FROM public.companies WHERE domain = 'alpen-consulting.de'",
        );
        assert!(id > 2_147_483_000, "{id}");
        assert_eq!(
            db.count("SELECT company_id AS n FROM referrals WHERE referral_id = 'long-1'"),
            id
        );
        if line == HunterLine::Newest {
            assert_eq!(
                db.count(
                    "SELECT linked_lead_id::bigint AS n FROM public.partner_center_referrals \
                     WHERE referral_id = 'long-1'"
                ),
                id
            );
        }
        assert!(db.count("SELECT max(id)::bigint AS n FROM public.domain_signals") > 2_147_483_300);

        // A referral id longer than Hunter's column: skipped invalid, with the reason.
        let long_id = "x".repeat(256);
        let file = support::write_json(
            home.path(),
            "long-id.json",
            &[support::referral(
                &long_id,
                "alpen-consulting.de",
                json!({}),
            )],
        );
        let out = cmd(&db, &dns, home.path())
            .args(["sync", "--json", "--from-file", file.to_str().unwrap()])
            .output()
            .unwrap();
        // The only item is not a referral hunter-pc can store: 65, nothing stored.
        assert_exit(&out, 65);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("referral_id (255)"), "{stderr}");
    }
}

#[test]
fn migrate_down_all_leaves_hunters_schema_and_rows_and_up_works_again() {
    for line in HunterLine::ALL {
        let home = tempfile::tempdir().unwrap();
        let db = hunter_db(line, HUNTER);
        let dns = dns();
        let schema = dump_schema(&db, HUNTER);
        run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "up"]);
        let file = examples();
        run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["sync", "--json", "--from-file", file.to_str().unwrap()],
        );
        let rows = hunter_rows(&db, HUNTER);
        let dry = run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["migrate", "down", "--all", "--dry-run"],
        );
        let listed = String::from_utf8_lossy(&dry.stdout);
        assert!(listed.contains("hunter_pc.referrals ("), "{listed}");
        assert!(listed.contains("schema hunter_pc"), "{listed}");
        assert!(
            !listed.contains("public."),
            "only hunter-pc's objects: {listed}"
        );
        assert_eq!(hunter_rows(&db, HUNTER), rows, "a dry run changes nothing");

        run_ok(
            &mut cmd(&db, &dns, home.path()),
            &["migrate", "down", "--all"],
        );
        assert_eq!(dump_schema(&db, HUNTER), schema, "{line:?}");
        assert_eq!(
            hunter_rows(&db, HUNTER),
            rows,
            "{line:?}: Hunter's rows stay"
        );
        assert_eq!(
            db.count("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'hunter_pc'"),
            0
        );
        let status = cmd(&db, &dns, home.path())
            .args(["status", "--json"])
            .output()
            .unwrap();
        assert_eq!(stdout_json(&status)["database"]["shape"], line.shape());

        run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "up"]);
        assert_eq!(dump_schema(&db, HUNTER), schema);
        run_ok(&mut cmd(&db, &dns, home.path()), &["status"]);
    }
}

#[test]
fn down_on_a_created_database_stops_at_a_table_of_hunters_that_references_companies() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::empty();
    let dns = dns();
    run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "up"]);
    let status = stdout_json(&run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["status", "--json"],
    ));
    assert_eq!(status["database"]["shape"], "created");
    let file = examples();
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["sync", "--json", "--from-file", file.to_str().unwrap()],
    );
    // Hunter installed later: its notes reference companies.
    db.conn()
        .batch_execute(
            "CREATE TABLE public.notes (id serial PRIMARY KEY, \
               domain varchar(255) NOT NULL REFERENCES public.companies (domain) ON DELETE CASCADE, \
               note text NOT NULL)",
        )
        .unwrap();
    let before = hunter_rows(&db, HUNTER);
    let dry = run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["migrate", "down", "--all", "--dry-run"],
    );
    let listed = String::from_utf8_lossy(&dry.stdout);
    assert!(
        listed.contains("public.companies (created by hunter-pc)"),
        "{listed}"
    );
    assert!(
        listed.contains("would refuse: table notes references them"),
        "{listed}"
    );

    let out = cmd(&db, &dns, home.path())
        .args(["migrate", "down", "--all"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let line = last_stderr_line(&out);
    assert!(line.contains("notes"), "{line}");
    assert_eq!(hunter_rows(&db, HUNTER), before, "nothing dropped");
    let st = stdout_json(&run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["migrate", "status", "--json"],
    ));
    assert_eq!(st["pending"], json!([]), "nothing reverted");

    // Without it, down --all takes everything hunter-pc made.
    db.conn().batch_execute("DROP TABLE public.notes").unwrap();
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["migrate", "down", "--all"],
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('public', 'hunter_pc') AND c.relkind IN ('r', 'v', 'S')"
        ),
        0
    );
}

#[test]
fn unknown_shapes_are_refused_and_nothing_changes() {
    let breakages: [(&str, &str); 3] = [
        (
            "DROP TABLE public.partner_center_referrals",
            "partner_center_referrals",
        ),
        (
            "DROP VIEW public.leads_ready; ALTER TABLE public.domain_signals DROP COLUMN registrar",
            "domain_signals.registrar",
        ),
        (
            "DROP VIEW public.leads_ready; \
             ALTER TABLE public.lead_scores ALTER COLUMN readiness_score TYPE text",
            "lead_scores.readiness_score",
        ),
    ];
    for (sql, named) in breakages {
        let home = tempfile::tempdir().unwrap();
        let db = hunter_db(HunterLine::V1_1, HUNTER);
        db.conn().batch_execute(sql).unwrap();
        let dns = dns();
        let schema = dump_schema(&db, HUNTER);
        let rows = hunter_rows(&db, HUNTER);
        let file = examples();
        for args in [
            &["migrate", "up"][..],
            &["status", "--json"],
            &["sync", "--json", "--from-file", file.to_str().unwrap()],
            &["rescore"],
            &["list-referrals"],
            &["migrate", "down", "--all"],
        ] {
            let out = cmd(&db, &dns, home.path()).args(args).output().unwrap();
            assert_exit(&out, 78);
            let line = last_stderr_line(&out);
            assert!(line.contains(named), "{args:?}: {line}");
        }
        let status = cmd(&db, &dns, home.path())
            .args(["status", "--json"])
            .output()
            .unwrap();
        assert_eq!(stdout_json(&status)["database"]["shape"], "unknown");
        assert_eq!(dump_schema(&db, HUNTER), schema);
        assert_eq!(hunter_rows(&db, HUNTER), rows);
        assert_eq!(
            db.count("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'hunter_pc'"),
            0,
            "nothing created"
        );
    }
}

#[test]
fn migrate_waits_for_no_one_while_a_sync_holds_the_lock() {
    let home = tempfile::tempdir().unwrap();
    let db = hunter_db(HunterLine::Newest, HUNTER);
    let dns = dns();
    let mut holder = db.conn();
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<diesel::sql_types::BigInt, _>(hunter_pc::store::lock::lock_key("hunter_pc"))
        .execute(&mut holder)
        .unwrap();
    let out = cmd(&db, &dns, home.path())
        .args(["migrate", "up"])
        .output()
        .unwrap();
    assert_exit(&out, 75);
    assert!(last_stderr_line(&out).contains("lock"));
    // Another install's schema has a lock of its own.
    let out = cmd(&db, &dns, home.path())
        .env("HUNTER_PC_SCHEMA", "hunter_pc_two")
        .args(["migrate", "up"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

#[test]
fn on_a_created_database_only_down_all_reverts_hunter_pcs_record() {
    let home = tempfile::tempdir().unwrap();
    let db = TestDb::empty();
    let dns = dns();
    run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "up"]);
    let file = examples();
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &[
            "sync",
            "--json",
            "--no-scan",
            "--from-file",
            file.to_str().unwrap(),
        ],
    );
    // The newest migration (run records) goes back and forth freely…
    run_ok(&mut cmd(&db, &dns, home.path()), &["migrate", "redo"]);
    // …but not the tables that say which rows of Hunter's tables are hunter-pc's.
    let before = hunter_rows(&db, HUNTER);
    let out = cmd(&db, &dns, home.path())
        .args(["migrate", "down", "--steps", "3"])
        .output()
        .unwrap();
    assert_exit(&out, 1);
    assert!(last_stderr_line(&out).contains("migrate down --all"));
    let st = stdout_json(&run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["migrate", "status", "--json"],
    ));
    assert_eq!(st["pending"], json!([]));
    assert_eq!(hunter_rows(&db, HUNTER), before);
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["migrate", "down", "--all"],
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM pg_tables WHERE schemaname IN ('public', 'hunter_pc')"),
        0
    );
}

#[test]
fn force_writes_back_a_projection_row_someone_deleted() {
    let home = tempfile::tempdir().unwrap();
    let db = installed(HunterLine::Newest, home.path());
    let dns = dns();
    let file = examples();
    let file = file.to_str().unwrap();
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["sync", "--json", "--no-scan", "--from-file", file],
    );
    let n = db.count("SELECT count(*) AS n FROM public.partner_center_referrals");
    db.conn()
        .batch_execute(
            "DELETE FROM public.partner_center_referrals WHERE id = \
             (SELECT min(id) FROM public.partner_center_referrals)",
        )
        .unwrap();
    // A plain sync leaves unchanged referrals alone…
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["sync", "--json", "--no-scan", "--from-file", file],
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM public.partner_center_referrals"),
        n - 1
    );
    // …`--force` reprocesses them, and writes the missing row back.
    run_ok(
        &mut cmd(&db, &dns, home.path()),
        &[
            "sync",
            "--json",
            "--no-scan",
            "--force",
            "--from-file",
            file,
        ],
    );
    assert_eq!(
        db.count("SELECT count(*) AS n FROM public.partner_center_referrals"),
        n
    );
}

/// `pg_dump --schema-only` of Hunter's five tables only.
fn dump_five(db: &TestDb) -> String {
    let mut args: Vec<String> = vec![
        "--schema-only".into(),
        "--no-owner".into(),
        format!("--restrict-key={}", support::hunter::DUMP_RESTRICT_KEY),
    ];
    for t in support::hunter::HUNTER_TABLES {
        args.push("--table".into());
        args.push(format!("public.{t}"));
    }
    let out = std::process::Command::new("pg_dump")
        .args(&args)
        .args(["--dbname", &db.url])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn on_an_empty_database_migrate_up_creates_hunters_five_tables_as_its_newest_models_do() {
    let home = tempfile::tempdir().unwrap();
    let created = TestDb::empty();
    let out = hunter(home.path())
        .env("DATABASE_URL", &created.url)
        .args(["migrate", "up"])
        .output()
        .unwrap();
    assert_exit(&out, 0);
    // The newest fixture (checked against Hunter's models) has the same five tables: columns,
    // types, lengths, defaults, keys, foreign keys and every index, by name.
    let fixture = hunter_db(HunterLine::Newest, HUNTER);
    let ours = dump_five(&created);
    assert!(ours.contains("CREATE TABLE public.companies"), "{ours}");
    assert_eq!(ours, dump_five(&fixture));
    // Hunter installed afterwards finds its tables: its view builds on them.
    let view = std::fs::read_to_string(HunterLine::Newest.fixture()).unwrap();
    let view = &view[view.find("CREATE VIEW leads_ready").unwrap()..];
    let view = &view[..view.find(';').unwrap() + 1];
    let mut conn = created.conn();
    conn.batch_execute(&format!("SET search_path = public; {view}"))
        .unwrap();
    let status = hunter(home.path())
        .env("DATABASE_URL", &created.url)
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&status)["database"]["shape"], "created");
}

#[test]
fn a_dry_run_neither_writes_nor_locks_hunters_tables_nor_moves_their_sequences() {
    let home = tempfile::tempdir().unwrap();
    let db = installed(HunterLine::Newest, home.path());
    let dns = dns();
    let file = examples();
    let file = file.to_str().unwrap();
    let sequences = |db: &TestDb| {
        db.text(
            "SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' \
               ORDER BY sequencename) AS t FROM pg_sequences WHERE schemaname = 'public'",
        )
    };
    let written = |db: &TestDb| support::pg::write_counters(db, "schemaname = 'public'");
    let rows = hunter_rows(&db, HUNTER);
    let seqs = sequences(&db);
    let before = written(&db);
    let dry = stdout_json(&run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["sync", "--json", "--dry-run", "--from-file", file],
    ));
    assert!(dry["new"].as_i64().unwrap() > 20, "{dry}");
    assert_eq!(hunter_rows(&db, HUNTER), rows);
    assert_eq!(sequences(&db), seqs, "Hunter's id sequences did not move");
    // The statistics system counts rolled-back writes too: there are none.
    assert_eq!(
        written(&db),
        before,
        "nothing was written to Hunter's tables"
    );
    // The same run for real counts the same.
    let real = stdout_json(&run_ok(
        &mut cmd(&db, &dns, home.path()),
        &["sync", "--json", "--no-scan", "--from-file", file],
    ));
    for k in ["new", "companies_created", "raw_leads_inserted", "unlinked"] {
        assert_eq!(dry[k], real[k], "{k}");
    }
}

#[test]
fn both_schemas_are_settings() {
    let home = tempfile::tempdir().unwrap();
    let db = hunter_db(HunterLine::V1_1, "crm");
    let dns = dns();
    let rows = hunter_rows(&db, "crm");
    let schema = dump_schema(&db, "crm");
    let with = |c: &mut assert_cmd::Command| {
        c.env("HUNTER_PC_HUNTER_SCHEMA", "crm")
            .env("HUNTER_PC_SCHEMA", "hpc");
    };
    let mut c = cmd(&db, &dns, home.path());
    with(&mut c);
    run_ok(&mut c, &["migrate", "up"]);
    let mut c = cmd(&db, &dns, home.path());
    with(&mut c);
    let s = stdout_json(&run_ok(
        &mut c,
        &[
            "sync",
            "--json",
            "--from-file",
            examples().to_str().unwrap(),
        ],
    ));
    assert!(s["new"].as_i64().unwrap() > 20, "{s}");
    let mut c = cmd(&db, &dns, home.path());
    with(&mut c);
    let status = stdout_json(&run_ok(&mut c, &["status", "--json"]));
    assert_eq!(status["database"]["shape"], "hunter-v1.1");
    assert_eq!(
        status["counts"]["referrals"],
        status["counts"]["partner_center_referrals"]
    );
    // hunter-pc's record in `hpc`, the projection in `crm`, nothing anywhere else.
    assert!(db.count("SELECT count(*) AS n FROM hpc.referrals") > 20);
    assert_eq!(
        db.count("SELECT count(*) AS n FROM crm.partner_center_referrals"),
        db.count("SELECT count(*) AS n FROM hpc.referrals")
    );
    assert_eq!(
        db.count(
            "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname IN ('public', 'hunter_pc')"
        ),
        0
    );
    assert_eq!(dump_schema(&db, "crm"), schema);
    assert_rows_kept(&rows, &hunter_rows(&db, "crm"));
    // Without the settings, the same database looks empty to hunter-pc.
    let status = cmd(&db, &dns, home.path())
        .args(["status", "--json"])
        .output()
        .unwrap();
    assert_eq!(stdout_json(&status)["database"]["shape"], "empty");
}
