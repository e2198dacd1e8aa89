//! `hunter-pc list-referrals` through the binary, over rows seeded with SQL.

mod support;

use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use support::pg::TestDb;
use support::{hunter, last_stderr_line, stdout_json};

const SEED: &str = "
INSERT INTO companies (domain, canonical_name, provider) VALUES
 ('contoso.com.tr', 'Contoso', 'M365'), ('xn--rnek-4qa.com.tr', 'Örnek', 'Local'),
 ('fabrikam.test', 'Fabrikam', NULL);
INSERT INTO scans (domain, scan_status, mx_hosts, provider, spf, dkim, dmarc_policy) VALUES
 ('xn--rnek-4qa.com.tr', 'success', '{mx.natrohost.com}', 'Local', true, true, 'reject'),
 ('fabrikam.test', 'success', '{aspmx.l.google.com}', 'Google', true, false, NULL);
INSERT INTO scores (domain, readiness_score, segment, reason, technical_heat,
  commercial_segment, commercial_heat, priority_category, priority_label, priority_score) VALUES
 ('contoso.com.tr', 55, 'Existing', 'M365 existing customer (Azure Tenant ID)', 'Hot',
  'WEAK_PARTNER', 'HIGH', 'P3', 'Existing Microsoft but Weak Partner', 4),
 ('xn--rnek-4qa.com.tr', 50, 'Cold', 'Local 10, SPF +10, DKIM +10, DMARC reject +20 = 50',
  'Cold', 'GREENFIELD', 'HIGH', 'P1', 'High Potential Greenfield', 5),
 ('fabrikam.test', 45, 'Cold', 'Google 50, SPF +10, no DKIM -15 = 45', 'Cold', 'LOW_INTENT',
  'LOW', 'P5', 'Low Intent / Long Nurturing', 5);
INSERT INTO referrals (referral_id, referral_type, type, qualification, direction,
  status, substatus, company_name, customer_name, customer_country, domain, raw_domain,
  azure_tenant_id, deal_value, currency, link_status, company_id, pc_updated_at, synced_at,
  content_hash, raw_data) VALUES
 ('ref-a', 'co-sell', 'Shared', 'SalesQualified', 'Incoming', 'Active', 'Accepted',
  'Contoso Ltd', 'Contoso Ltd', 'TR', 'contoso.com.tr', 'WWW.Contoso.com.tr',
  '0f3b3c1e-8d57-4f8e-a0a1-3c4a2f6a9b10', 12500.50, 'USD', 'auto_linked', 1,
  '2026-11-03T09:30:00Z', '2026-11-03T10:00:00Z', 'h', '{}'),
 ('ref-b', 'marketplace', 'Independent', 'MarketingQualified', 'Incoming', 'New', NULL,
  'Örnek Gıda A.Ş.', 'Örnek Gıda A.Ş.', 'TR', 'xn--rnek-4qa.com.tr', 'örnek.com.tr',
  NULL, NULL, NULL, 'auto_linked', 2,
  '2026-11-02T00:00:00Z', '2026-11-02T01:00:00Z', 'h', '{}'),
 ('ref-c', NULL, 'Independent', NULL, 'Incoming', 'Closed', 'Won',
  'Fabrikam, \"Inc\"', NULL, 'US', 'fabrikam.test', 'fabrikam.test',
  NULL, 99.99, 'EUR', 'auto_linked', 3,
  '2026-10-31T23:59:59Z', '2026-11-01T00:00:00Z', 'h', '{}'),
 ('ref-d', 'solution-provider', 'Independent', 'Direct', 'Incoming', 'New', NULL,
  'No Domain GmbH with a very long company name that does not fit', NULL, 'DE', NULL, NULL,
  NULL, NULL, NULL, 'unlinked', NULL,
  '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', 'h', '{}'),
 ('ref-e', 'co-sell', 'Shared', NULL, 'Incoming', 'new', NULL,
  'Contoso Ltd', 'CONTOSO LTD', 'TR', 'contoso.com.tr', 'contoso.com.tr', NULL, NULL, NULL,
  'auto_linked', 1, '2026-11-03T09:30:00Z', '2026-11-03T11:00:00Z', 'h', '{}');
";

fn seeded() -> (TestDb, tempfile::TempDir) {
    let db = TestDb::migrated();
    db.conn().batch_execute(SEED).unwrap();
    (db, tempfile::tempdir().unwrap())
}

fn list(db: &TestDb, home: &tempfile::TempDir, args: &[&str]) -> std::process::Output {
    hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .arg("list-referrals")
        .args(args)
        .output()
        .unwrap()
}

fn ids(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["referral_id"].as_str().unwrap())
        .collect()
}

fn json_ids(db: &TestDb, home: &tempfile::TempDir, args: &[&str]) -> Vec<String> {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let out = list(db, home, &a);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ids(&stdout_json(&out))
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn json_is_the_stored_rows_joined_newest_first() {
    let (db, home) = seeded();
    let out = list(&db, &home, &["--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(&out);
    // Newest Partner Center update first, ties by referral_id.
    assert_eq!(ids(&v), ["ref-a", "ref-e", "ref-b", "ref-d", "ref-c"]);
    assert_eq!(
        v[0],
        json!({
            "referral_id": "ref-a", "referral_type": "co-sell", "type": "Shared",
            "qualification": "SalesQualified", "direction": "Incoming", "status": "Active",
            "substatus": "Accepted", "company_name": "Contoso Ltd", "customer_name": "Contoso Ltd",
            "customer_country": "TR", "domain": "contoso.com.tr", "raw_domain": "WWW.Contoso.com.tr",
            "azure_tenant_id": "0f3b3c1e-8d57-4f8e-a0a1-3c4a2f6a9b10", "deal_value": 12500.5,
            "currency": "USD", "link_status": "auto_linked", "provider": "M365",
            "segment": "Existing", "score": 55, "priority_category": "P3",
            "pc_updated_at": "2026-11-03T09:30:00Z", "synced_at": "2026-11-03T10:00:00Z"
        })
    );
    // Provider falls back to the scan's when the company has none.
    let c = &v[4];
    assert_eq!(
        (c["provider"].as_str(), c["score"].as_i64()),
        (Some("Google"), Some(45))
    );
    assert_eq!(c["deal_value"], json!(99.99));
    // No domain: no company, no score.
    let d = &v[3];
    assert_eq!(d["domain"], Value::Null);
    assert_eq!(
        (d["provider"].clone(), d["segment"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(v[2]["company_name"], "Örnek Gıda A.Ş.");
}

#[test]
fn each_filter_narrows() {
    let (db, home) = seeded();
    assert_eq!(
        json_ids(&db, &home, &["--type", "co-sell"]),
        ["ref-a", "ref-e"]
    );
    assert_eq!(json_ids(&db, &home, &["--type", "marketplace"]), ["ref-b"]);
    assert_eq!(
        json_ids(&db, &home, &["--type", "solution-provider"]),
        ["ref-d"]
    );
    assert_eq!(json_ids(&db, &home, &["--type", "none"]), ["ref-c"]);
    assert_eq!(
        json_ids(&db, &home, &["--status", "new"]),
        ["ref-e", "ref-b", "ref-d"]
    );
    assert_eq!(json_ids(&db, &home, &["--status", "Closed"]), ["ref-c"]);
    assert_eq!(
        json_ids(&db, &home, &["--segment", "cold"]),
        ["ref-b", "ref-c"]
    );
    assert_eq!(
        json_ids(&db, &home, &["--segment", "Existing"]),
        ["ref-a", "ref-e"]
    );
    assert_eq!(
        json_ids(&db, &home, &["--domain", "Contoso.com.TR"]),
        ["ref-a", "ref-e"]
    );
    assert!(json_ids(&db, &home, &["--domain", "nobody.test"]).is_empty());
    // Search in company, customer and domain, any case (also Turkish letters as written).
    assert_eq!(
        json_ids(&db, &home, &["--search", "CONTOSO"]),
        ["ref-a", "ref-e"]
    );
    assert_eq!(json_ids(&db, &home, &["--search", "gıda"]), ["ref-b"]);
    assert_eq!(json_ids(&db, &home, &["--search", "rnek-4qa"]), ["ref-b"]);
    assert_eq!(
        json_ids(&db, &home, &["--search", "%"]),
        Vec::<String>::new()
    );
    assert_eq!(json_ids(&db, &home, &["--search", "\"inc\""]), ["ref-c"]);
    // Since: a date is midnight UTC; RFC 3339 with an offset.
    assert_eq!(
        json_ids(&db, &home, &["--since", "2026-11-01"]),
        ["ref-a", "ref-e", "ref-b", "ref-d"]
    );
    assert_eq!(
        json_ids(&db, &home, &["--since", "2026-11-03T11:30:00+02:00"]),
        ["ref-a", "ref-e"]
    );
    assert_eq!(
        json_ids(&db, &home, &["--since", "2026-11-03T09:30:00.000001Z"]),
        Vec::<String>::new()
    );
    assert_eq!(json_ids(&db, &home, &["--unlinked"]), ["ref-d"]);
    // Filters combine; limit cuts after sorting.
    assert_eq!(
        json_ids(&db, &home, &["--type", "co-sell", "--status", "active"]),
        ["ref-a"]
    );
    assert_eq!(json_ids(&db, &home, &["--limit", "2"]), ["ref-a", "ref-e"]);
    assert!(json_ids(&db, &home, &["--limit", "0"]).is_empty());
}

#[test]
fn bad_filter_values_are_usage_errors() {
    let (db, home) = seeded();
    let out = list(&db, &home, &["--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        last_stderr_line(&out).starts_with("error: --since"),
        "{}",
        last_stderr_line(&out)
    );
    let out = list(&db, &home, &["--limit=-1"]);
    assert_eq!(out.status.code(), Some(2));
    let out = list(&db, &home, &["--type", "bogus"]);
    assert_eq!(out.status.code(), Some(2));
    // A filter value is data, never SQL.
    let out = list(
        &db,
        &home,
        &["--format", "json", "--status", "x' OR '1'='1"],
    );
    assert!(out.status.success());
    assert_eq!(stdout_json(&out), json!([]));
}

#[test]
fn csv_parses_with_the_json_keys_as_header() {
    let (db, home) = seeded();
    let out = list(&db, &home, &["--format", "csv"]);
    assert!(out.status.success());
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let json = stdout_json(&list(&db, &home, &["--format", "json"]));
    let keys: Vec<String> = hunter_pc::commands::list_referrals::KEYS
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(header, keys);
    for k in &keys {
        assert!(json[0].get(k).is_some(), "json has {k}");
    }
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 5);
    let col = |name: &str| keys.iter().position(|k| k == name).unwrap();
    assert_eq!(&rows[0][col("referral_id")], "ref-a");
    assert_eq!(&rows[0][col("score")], "55");
    assert_eq!(&rows[4][col("company_name")], "Fabrikam, \"Inc\"");
    assert_eq!(&rows[3][col("domain")], "");
    // An empty result is still a header.
    let out = list(&db, &home, &["--format", "csv", "--domain", "nobody.test"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[test]
fn ndjson_is_one_object_per_line() {
    let (db, home) = seeded();
    let out = list(&db, &home, &["--format", "ndjson"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let array = stdout_json(&list(&db, &home, &["--format", "json"]));
    assert_eq!(Value::Array(lines), array);
}

#[test]
fn the_table_fits_100_columns_one_line_per_row() {
    let (db, home) = seeded();
    db.conn()
        .batch_execute(
            "UPDATE referrals SET company_name = E'Broken\\nName Ltd'
             WHERE referral_id = 'ref-c'",
        )
        .unwrap();
    let out = list(&db, &home, &["--format", "table"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "{text}");
    for l in &lines {
        assert!(l.chars().count() <= 100, "{l}");
    }
    assert!(lines[0].starts_with("REFERRAL"));
    assert!(
        lines[1].starts_with("ref-a") && lines[1].contains("Existing") && lines[1].contains("55")
    );
    assert!(lines[5].contains("Broken Name"));
    assert!(lines[4].contains('…'), "long names are cut: {}", lines[4]);
    // Table's default limit is 100; json has none.
    let many: String = (0..120)
        .map(|i| {
            format!(
                "INSERT INTO referrals (referral_id, content_hash, raw_data) \
                 VALUES ('bulk-{i:03}', 'h', '{{}}');"
            )
        })
        .collect();
    db.conn().batch_execute(&many).unwrap();
    let out = list(&db, &home, &["--format", "table"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 101);
    let out = list(&db, &home, &["--format", "json"]);
    assert_eq!(stdout_json(&out).as_array().unwrap().len(), 125);
    // Not a terminal and no --format: json.
    let out = list(&db, &home, &["--limit", "1"]);
    assert_eq!(ids(&stdout_json(&out)), ["ref-a"]);
}

#[test]
fn needs_current_migrations() {
    let db = TestDb::empty();
    let home = tempfile::tempdir().unwrap();
    let out = list(&db, &home, &[]);
    assert_eq!(out.status.code(), Some(78));
}

const GUID_1: &str = "2dfafcb5-8e0b-4c4a-9d5e-3f0c2b7a1e11";
const GUID_2: &str = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

/// Two referrals as Partner Center names them (GUID ids), one of the longest type, one with
/// an international domain, newer than the seed's.
const SEED_GUIDS: &str = "
INSERT INTO companies (domain, canonical_name, provider) VALUES
 ('xn--boaziienerji-odb49e.com.tr', 'Boğaziçi Enerji', 'Google');
INSERT INTO scores (domain, readiness_score, segment, reason, technical_heat,
  commercial_segment, commercial_heat, priority_category, priority_label, priority_score) VALUES
 ('xn--boaziienerji-odb49e.com.tr', 90, 'Migration', 'Google 50, SPF +10, DKIM +10, DMARC reject +20 = 90',
  'Warm', 'COMPETITIVE', 'HIGH', 'P2', 'Competitive Takeover', 1);
INSERT INTO referrals (referral_id, referral_type, type, direction, status,
  company_name, customer_name, domain, link_status, company_id, pc_updated_at, synced_at,
  content_hash, raw_data) VALUES
 ('2dfafcb5-8e0b-4c4a-9d5e-3f0c2b7a1e11', 'solution-provider', 'Independent', 'Incoming', 'Active',
  'Boğaziçi Enerji Sanayi ve Ticaret Anonim Şirketi', 'Boğaziçi Enerji San. Tic. A.Ş.',
  'xn--boaziienerji-odb49e.com.tr', 'auto_linked', 4,
  '2026-11-04T12:00:00Z', '2026-11-04T12:05:00Z', 'h', '{}'),
 ('7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f', 'marketplace', 'Independent', 'Incoming', 'New',
  'Örnek Gıda Sanayi ve Ticaret A.Ş.', 'Örnek Gıda', 'xn--rnek-4qa.com.tr', 'auto_linked', 2,
  '2026-11-04T11:00:00Z', '2026-11-04T12:05:00Z', 'h', '{}');
";

fn table_at(
    db: &TestDb,
    home: &tempfile::TempDir,
    columns: usize,
    args: &[&str],
) -> std::process::Output {
    hunter(home.path())
        .env("DATABASE_URL", &db.url)
        .env("COLUMNS", columns.to_string())
        .args(["list-referrals", "--format", "table"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_table_fits_80_and_200_columns_and_never_cuts_an_id_or_a_type() {
    let (db, home) = seeded();
    db.conn().batch_execute(SEED_GUIDS).unwrap();
    for width in [80, 200] {
        // 7 stored, 4 shown.
        let out = table_at(&db, &home, width, &["--limit", "4"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        for l in &lines {
            assert!(l.chars().count() <= width, "wider than {width}: {l}");
        }
        assert!(lines[0].starts_with("REFERRAL") && lines[0].contains("PRIO"));
        // Ids and types whole, newest first.
        assert!(
            lines[1].starts_with(&format!("{GUID_1} solution-provider ")),
            "{text}"
        );
        assert!(
            lines[2].starts_with(&format!("{GUID_2} marketplace ")),
            "{text}"
        );
        assert!(lines[3].starts_with("ref-a ") && lines[3].contains(" co-sell "));
        // The priority, and the domains in Unicode (stored as ASCII).
        assert!(lines[1].trim_end().ends_with(" P2"), "{}", lines[1]);
        assert!(lines[3].trim_end().ends_with(" P3"), "{}", lines[3]);
        assert!(lines[2].contains(" örnek.com.tr "), "{text}");
        assert!(lines[1].contains(" boğaziçi"), "{text}");
        assert!(!text.contains("xn--"), "{text}");
        // The limit left rows out: said on stderr, once.
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            err.matches("showing 4 of 7 — use --limit").count(),
            1,
            "{err}"
        );
        if width == 200 {
            // Room for everything: nothing cut.
            assert!(lines[0].contains("CUSTOMER") && lines[0].contains("PROVIDER"));
            assert!(
                lines[1].contains("Boğaziçi Enerji Sanayi ve Ticaret Anonim Şirketi"),
                "{text}"
            );
            assert!(lines[1].contains("boğaziçienerji.com.tr"), "{text}");
            assert!(!text.contains('…'), "{text}");
        } else {
            // The names gave way first (here: all the way).
            assert!(!lines[0].contains("CUSTOMER"), "{text}");
            assert!(text.contains('…'), "{text}");
        }
    }
    // Not capped: no footer.
    let out = table_at(&db, &home, 120, &[]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 8);
    // Other formats keep the stored form and the same keys.
    let v = stdout_json(&list(&db, &home, &["--format", "json", "--limit", "2"]));
    assert_eq!(v[1]["domain"], "xn--rnek-4qa.com.tr");
    assert_eq!(v[0]["priority_category"], "P2");
}

#[test]
fn an_empty_table_is_nothing_on_stdout_and_a_line_on_stderr() {
    let (db, home) = seeded();
    let out = table_at(&db, &home, 100, &["--domain", "nobody.test"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no referrals match"), "{err}");
    // Nothing stored at all says so.
    let empty = TestDb::migrated();
    let out = table_at(&empty, &home, 100, &[]);
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no referrals stored yet"), "{err}");
    // JSON stays an array.
    let out = list(&db, &home, &["--format", "json", "--domain", "nobody.test"]);
    assert_eq!(stdout_json(&out), json!([]));
}
