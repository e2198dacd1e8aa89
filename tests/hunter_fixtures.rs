//! The Hunter fixtures (tests/data/hunter/) and their helpers (tests/support/hunter.rs): each
//! fixture loads into a fresh database, in `public` or another Hunter schema, with Hunter's
//! columns, indexes, foreign keys, `leads_ready` view and rows; the v1.1 fixture lacks exactly
//! the newest-only columns; the schema dump and the row snapshot are deterministic.

mod support;

use std::collections::BTreeSet;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable, Text};
use support::hunter::{
    HUNTER_COLUMNS, HUNTER_FOREIGN_KEYS, HUNTER_TABLES, HunterLine, actual_columns, domains,
    dump_schema, hunter_column, hunter_db, hunter_rows, quote_ident,
};
use support::pg::TestDb;

/// Every relation of `schema` with its kind (`r` table, `v` view, `S` sequence, `i` index).
fn relations(db: &TestDb, schema: &str) -> BTreeSet<(String, String)> {
    #[derive(QueryableByName)]
    struct Rel {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        kind: String,
    }
    diesel::sql_query(
        "SELECT c.relname::text AS name, c.relkind::text AS kind FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1",
    )
    .bind::<Text, _>(schema)
    .load::<Rel>(&mut db.conn())
    .unwrap()
    .into_iter()
    .map(|r| (r.name, r.kind))
    .collect()
}

fn tables_of_kind(db: &TestDb, schema: &str, kind: &str) -> BTreeSet<String> {
    relations(db, schema)
        .into_iter()
        .filter(|(_, k)| k == kind)
        .map(|(n, _)| n)
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn each_fixture_loads_with_hunters_tables_view_and_rows() {
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        assert_eq!(
            tables_of_kind(&db, "public", "r"),
            set(&[
                "alembic_version",
                "companies",
                "domain_signals",
                "lead_scores",
                "notes",
                "partner_center_referrals",
                "raw_leads",
            ]),
            "{line:?}"
        );
        assert_eq!(
            tables_of_kind(&db, "public", "v"),
            set(&["leads_ready"]),
            "{line:?}"
        );
        assert_eq!(
            db.text("SELECT version_num::text AS t FROM alembic_version")
                .as_deref(),
            Some(line.alembic_version()),
            "{line:?}"
        );
        for (table, n) in [
            ("raw_leads", 7),
            ("companies", 7),
            ("domain_signals", 7),
            ("lead_scores", 6),
            ("partner_center_referrals", 0),
            ("notes", 1),
        ] {
            assert_eq!(
                db.count(&format!("SELECT count(*) AS n FROM {table}")),
                n,
                "{line:?} {table}"
            );
        }
        // Company ids 1-7 in the documented order.
        for (i, domain) in domains::ALL.iter().enumerate() {
            assert_eq!(
                db.count(&format!(
                    "SELECT id::bigint AS n FROM companies WHERE domain = '{domain}'"
                )),
                i as i64 + 1,
                "{line:?} {domain}"
            );
        }
    }
}

#[test]
fn fixture_rows_are_the_scans_hunter_writes() {
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Signal {
        #[diesel(sql_type = Integer)]
        id: i32,
        #[diesel(sql_type = Text)]
        scan_status: String,
        #[diesel(sql_type = Nullable<Text>)]
        mx_root: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        registrar: Option<String>,
        #[diesel(sql_type = Bool)]
        recent: bool,
    }
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let signals = |domain: &str| -> Vec<Signal> {
            diesel::sql_query(
                "SELECT id, scan_status::text AS scan_status, mx_root::text AS mx_root, \
                        registrar::text AS registrar, \
                        scanned_at > now() - interval '30 days' AS recent \
                 FROM domain_signals WHERE domain = $1 ORDER BY scanned_at, id",
            )
            .bind::<Text, _>(domain)
            .load(&mut db.conn())
            .unwrap()
        };
        let s = |id, status: &str, mx: Option<&str>, registrar: Option<&str>| Signal {
            id,
            scan_status: status.into(),
            mx_root: mx.map(Into::into),
            registrar: registrar.map(Into::into),
            recent: true,
        };
        assert_eq!(
            signals(domains::CSV_LEAD),
            [s(
                1,
                "success",
                Some("google.com"),
                Some("Natro Bilişim Hizmetleri A.Ş.")
            )],
            "{line:?}"
        );
        assert_eq!(
            signals(domains::TWO_SIGNALS),
            [
                s(
                    2,
                    "success",
                    Some("turkhost.com.tr"),
                    Some("TürkHost Bilişim Ltd. Şti.")
                ),
                s(
                    3,
                    "success",
                    Some("outlook.com"),
                    Some("TürkHost Bilişim Ltd. Şti.")
                ),
            ],
            "{line:?}"
        );
        assert_eq!(
            signals(domains::WHOIS_FAILED),
            [s(4, "whois_failed", Some("yandex.net"), None)],
            "{line:?}"
        );
        assert_eq!(
            signals(domains::NO_MX),
            [s(5, "success", None, Some("İsimtescil Bilişim A.Ş."))],
            "{line:?}"
        );
        assert_eq!(
            signals(domains::DNS_TIMEOUT),
            [s(6, "dns_timeout", None, None)],
            "{line:?}"
        );
        assert_eq!(
            signals(domains::COMPLETED),
            [s(
                7,
                "completed",
                Some("outlook.com"),
                Some("Natro Bilişim Hizmetleri A.Ş.")
            )],
            "{line:?}"
        );
        assert_eq!(signals(domains::NOT_SCANNED), [], "{line:?}");

        // The CSV lead's raw lead is Hunter's CSV upload's, and its note references it.
        assert_eq!(
            db.text(&format!(
                "SELECT source || ' ' || (payload->>'row_index') AS t FROM raw_leads \
                 WHERE domain = '{}'",
                domains::CSV_LEAD
            ))
            .as_deref(),
            Some("csv 0"),
            "{line:?}"
        );
        assert_eq!(
            db.count(&format!(
                "SELECT count(*) AS n FROM notes n JOIN companies c ON c.domain = n.domain \
                 WHERE c.domain = '{}'",
                domains::CSV_LEAD
            )),
            1,
            "{line:?}"
        );
        // A company without a scan has no provider; a scan that found none leaves it NULL.
        for domain in [domains::NO_MX, domains::DNS_TIMEOUT, domains::NOT_SCANNED] {
            assert_eq!(
                db.count(&format!(
                    "SELECT count(*) AS n FROM companies WHERE domain = '{domain}' \
                     AND provider IS NULL"
                )),
                1,
                "{line:?} {domain}"
            );
        }
    }
}

#[test]
fn columns_types_and_lengths_are_hunters() {
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let expected: Vec<String> = HUNTER_TABLES
            .iter()
            .flat_map(|t| line.columns().filter(move |c| c.table == *t))
            .map(|c| c.render())
            .collect();
        assert_eq!(
            actual_columns(&db, "public", &HUNTER_TABLES),
            expected,
            "{line:?}"
        );
    }
    // The data itself says what hunter-pc cuts text to.
    assert_eq!(hunter_column("raw_leads", "website").max_chars(), Some(255));
    assert_eq!(
        hunter_column("partner_center_referrals", "customer_country").max_chars(),
        Some(100)
    );
    assert_eq!(hunter_column("lead_scores", "reason").max_chars(), None);
}

#[test]
fn indexes_and_foreign_keys_are_hunters() {
    #[derive(QueryableByName)]
    struct Ix {
        #[diesel(sql_type = Text)]
        line: String,
    }
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let mut conn = db.conn();
        // Every index of the five tables except the primary keys: table, name, unique, column.
        let actual: BTreeSet<String> = diesel::sql_query(
            "SELECT t.relname || ' ' || i.relname || ' ' || \
                    CASE WHEN x.indisunique THEN 'unique ' ELSE '' END || \
                    pg_get_indexdef(x.indexrelid, 1, true) AS line \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace n ON n.oid = t.relnamespace \
             WHERE n.nspname = 'public' AND NOT x.indisprimary \
               AND t.relname = ANY($1) AND x.indnatts = 1",
        )
        .bind::<diesel::sql_types::Array<Text>, _>(HUNTER_TABLES.to_vec())
        .load::<Ix>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect();
        let expected: BTreeSet<String> = line
            .indexes()
            .map(|i| {
                format!(
                    "{} {} {}{}",
                    i.table,
                    i.name,
                    if i.unique { "unique " } else { "" },
                    i.column
                )
            })
            .collect();
        assert_eq!(actual, expected, "{line:?}");
        assert_eq!(
            db.count(
                "SELECT count(*) AS n FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid \
                 JOIN pg_namespace n ON n.oid = t.relnamespace \
                 WHERE n.nspname = 'public' AND x.indnatts <> 1"
            ),
            0,
            "{line:?}: only single-column indexes"
        );
        // Primary keys on id; the foreign keys to companies(domain), ON DELETE CASCADE.
        for table in HUNTER_TABLES {
            assert_eq!(
                db.text(&format!(
                    "SELECT pg_get_constraintdef(oid) AS t FROM pg_constraint \
                     WHERE conrelid = 'public.{table}'::regclass AND contype = 'p'"
                ))
                .as_deref(),
                Some("PRIMARY KEY (id)"),
                "{line:?} {table}"
            );
        }
        #[derive(QueryableByName)]
        struct Fk {
            #[diesel(sql_type = Text)]
            table_name: String,
            #[diesel(sql_type = Text)]
            def: String,
        }
        let fks: Vec<(String, String)> = diesel::sql_query(
            "SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS def \
             FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace \
             ORDER BY 1",
        )
        .load::<Fk>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|f| (f.table_name, f.def))
        .collect();
        let mut expected: Vec<(String, String)> = HUNTER_FOREIGN_KEYS
            .iter()
            .chain(["notes"].iter())
            .map(|t| {
                (
                    t.to_string(),
                    "FOREIGN KEY (domain) REFERENCES companies(domain) ON DELETE CASCADE"
                        .to_string(),
                )
            })
            .collect();
        expected.sort();
        assert_eq!(fks, expected, "{line:?}");
    }
}

#[test]
fn leads_ready_lists_the_csv_lead_with_provider_segment_and_score() {
    #[derive(QueryableByName, Debug, PartialEq)]
    struct Lead {
        #[diesel(sql_type = Text)]
        canonical_name: String,
        #[diesel(sql_type = Nullable<Text>)]
        provider: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        scan_status: Option<String>,
        #[diesel(sql_type = Nullable<Integer>)]
        readiness_score: Option<i32>,
        #[diesel(sql_type = Nullable<Text>)]
        segment: Option<String>,
        #[diesel(sql_type = Nullable<Text>)]
        priority_category: Option<String>,
    }
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let leads = |domain: &str| -> Vec<Lead> {
            diesel::sql_query(
                "SELECT canonical_name::text AS canonical_name, provider::text AS provider, \
                        scan_status::text AS scan_status, readiness_score, \
                        segment::text AS segment, priority_category::text AS priority_category \
                 FROM leads_ready WHERE domain = $1 ORDER BY signal_id",
            )
            .bind::<Text, _>(domain)
            .load(&mut db.conn())
            .unwrap()
        };
        assert_eq!(
            leads(domains::CSV_LEAD),
            [Lead {
                canonical_name: "Bursa Kalıp Sanayi Ltd. Şti.".into(),
                provider: Some("Google".into()),
                scan_status: Some("success".into()),
                readiness_score: Some(90),
                segment: Some("Migration".into()),
                priority_category: Some("P2".into()),
            }],
            "{line:?}"
        );
        // A plain outer join: two signals rows, two lines; no scan, one line of NULLs.
        assert_eq!(leads(domains::TWO_SIGNALS).len(), 2, "{line:?}");
        assert_eq!(
            leads(domains::NOT_SCANNED),
            [Lead {
                canonical_name: "Erciyes Tekstil Ltd. Şti.".into(),
                provider: None,
                scan_status: None,
                readiness_score: None,
                segment: None,
                priority_category: None,
            }],
            "{line:?}"
        );
        assert_eq!(
            db.count("SELECT count(*) AS n FROM leads_ready"),
            8,
            "{line:?}"
        );
        // The view's columns: Hunter's, the D365 ones only on the newest line.
        let d365 = db.count(
            "SELECT count(*) AS n FROM information_schema.columns \
             WHERE table_name = 'leads_ready' AND column_name LIKE 'd365%'",
        );
        assert_eq!(
            d365,
            if line == HunterLine::Newest { 4 } else { 0 },
            "{line:?}"
        );
    }
}

#[test]
fn v1_1_lacks_exactly_the_newest_only_columns() {
    let newest = hunter_db(HunterLine::Newest, "public");
    let v1_1 = hunter_db(HunterLine::V1_1, "public");
    let names = |db: &TestDb| -> BTreeSet<String> {
        actual_columns(db, "public", &HUNTER_TABLES)
            .into_iter()
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    let (newest, v1_1) = (names(&newest), names(&v1_1));
    assert!(v1_1.is_subset(&newest), "{:?}", v1_1.difference(&newest));
    let missing: BTreeSet<String> = newest.difference(&v1_1).cloned().collect();
    let marked: BTreeSet<String> = HUNTER_COLUMNS
        .iter()
        .filter(|c| c.newest_only)
        .map(|c| format!("{}.{}", c.table, c.name))
        .collect();
    assert_eq!(missing, marked);
    assert_eq!(
        marked.len(),
        18,
        "five d365_* columns and thirteen referral columns"
    );
}

#[test]
fn a_fixture_loads_into_another_hunter_schema() {
    // A schema name that needs quoting; nothing of Hunter's lands in public.
    let schema = "Hunter App";
    for line in HunterLine::ALL {
        let db = hunter_db(line, schema);
        assert!(
            tables_of_kind(&db, "public", "r").is_empty(),
            "{line:?}: {:?}",
            relations(&db, "public")
        );
        assert!(tables_of_kind(&db, schema, "v").contains("leads_ready"));
        assert_eq!(
            actual_columns(&db, schema, &HUNTER_TABLES),
            actual_columns(&hunter_db(line, "public"), "public", &HUNTER_TABLES),
            "{line:?}"
        );
        let q = quote_ident(schema);
        assert_eq!(
            db.text(&format!(
                "SELECT segment::text AS t FROM {q}.leads_ready WHERE domain = '{}'",
                domains::CSV_LEAD
            ))
            .as_deref(),
            Some("Migration")
        );
        let dump = dump_schema(&db, schema);
        assert!(
            dump.contains(&format!("CREATE TABLE {q}.companies")),
            "{dump}"
        );
        assert!(!dump.contains("public."), "{dump}");
    }
    // The fixtures' statements name no schema and leave the search path alone.
    for line in HunterLine::ALL {
        let sql = std::fs::read_to_string(line.fixture()).unwrap();
        for statement in sql.lines().filter(|l| !l.trim_start().starts_with("--")) {
            let statement = statement.to_lowercase();
            assert!(!statement.contains("public."), "{line:?}: {statement}");
            assert!(!statement.contains("search_path"), "{line:?}: {statement}");
        }
    }
}

#[test]
fn the_schema_dump_is_deterministic_and_sees_a_change() {
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let first = dump_schema(&db, "public");
        assert!(first.contains("CREATE TABLE public.partner_center_referrals"));
        assert!(first.contains("CREATE VIEW public.leads_ready"));
        assert!(
            first.contains("\\restrict hunterpctests"),
            "fixed restrict key"
        );
        assert_eq!(dump_schema(&db, "public"), first, "{line:?}");
        // Rows are not part of it; an index is.
        db.conn()
            .batch_execute("DELETE FROM notes")
            .expect("delete notes");
        assert_eq!(dump_schema(&db, "public"), first, "{line:?}");
        db.conn()
            .batch_execute("CREATE INDEX extra ON companies (canonical_name)")
            .expect("create index");
        assert_ne!(dump_schema(&db, "public"), first, "{line:?}");
    }
}

#[test]
fn the_row_snapshot_covers_every_table_and_sees_a_change() {
    for line in HunterLine::ALL {
        let db = hunter_db(line, "public");
        let before = hunter_rows(&db, "public");
        assert_eq!(
            before.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "alembic_version",
                "companies",
                "domain_signals",
                "lead_scores",
                "notes",
                "partner_center_referrals",
                "raw_leads",
            ],
            "{line:?}"
        );
        assert_eq!(before["companies"].len(), 7);
        assert!(
            before["companies"][0].starts_with("(1,\"Bursa Kalıp"),
            "ordered by id: {:?}",
            before["companies"]
        );
        assert_eq!(
            before["alembic_version"],
            [format!("({})", line.alembic_version())]
        );
        assert_eq!(hunter_rows(&db, "public"), before, "{line:?}");
        // The same value written again is no change; a different one is.
        db.conn()
            .batch_execute("UPDATE lead_scores SET readiness_score = readiness_score")
            .unwrap();
        assert_eq!(hunter_rows(&db, "public"), before, "{line:?}");
        db.conn()
            .batch_execute(&format!(
                "UPDATE lead_scores SET readiness_score = 0 WHERE domain = '{}'",
                domains::CSV_LEAD
            ))
            .unwrap();
        let after = hunter_rows(&db, "public");
        assert_ne!(after["lead_scores"], before["lead_scores"], "{line:?}");
        assert_eq!(after["companies"], before["companies"], "{line:?}");
    }
}
