//! Benchmark (not a test): `hunter-pc rescore` over 100,000 companies with signals and
//! referrals (quality.md: target < 2 s). Seeds with `generate_series` SQL (not timed), then
//! times the built binary end to end, three ways: the first scoring (every row written), a
//! rescore where nothing changed, and one after a new co-sell bonus.
//!
//! Database: a database of its own on the server `DATABASE_URL` names, else on
//! postgres://postgres@127.0.0.1:5432; created and dropped here. Run: `cargo bench --bench rescore`.

use std::process::Command;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

const COMPANIES: i64 = 100_000;

fn server_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

fn with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).expect("DATABASE_URL is a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

/// Companies with a spread of providers and signals; one referral each, every fifth co-sell,
/// every tenth with an Azure tenant id; 2% failed scans, 1% NXDOMAIN, 2% not scanned.
fn seed_sql(n: i64) -> String {
    format!(
        "
INSERT INTO companies (domain, canonical_name, provider)
SELECT 'company-' || i || '.example', 'Company ' || i, NULL FROM generate_series(1, {n}) AS i;

INSERT INTO scans (domain, scan_status, mx_hosts, mx_root, provider, spf, spf_record,
                            dkim, dkim_selectors, dmarc_policy, dmarc_coverage)
SELECT 'company-' || i || '.example',
       CASE WHEN i % 50 = 1 THEN 'failed' WHEN i % 100 = 2 THEN 'nxdomain' ELSE 'success' END,
       CASE WHEN i % 100 = 2 OR i % 37 = 0 THEN '{{}}'::text[] ELSE ARRAY['mx1.host-' || i || '.example'] END,
       'host-' || i || '.example',
       CASE WHEN i % 50 = 1 THEN NULL
            ELSE (ARRAY['M365','Google','Yandex','Zoho','Amazon','SendGrid','Mailgun','Hosting','Local','Local'])[1 + i % 10] END,
       i % 3 <> 0,
       CASE WHEN i % 3 <> 0 THEN
            'v=spf1 include:spf.protection.outlook.com' || repeat(' include:x.example', (i % 6)::int) || ' -all' END,
       i % 4 <> 0,
       CASE WHEN i % 4 <> 0 THEN ARRAY['selector1'] END,
       (ARRAY[NULL, 'none', 'quarantine', 'reject'])[1 + i % 4],
       CASE WHEN i % 4 <> 0 THEN 100 END
FROM generate_series(1, {n}) AS i
WHERE i % 50 <> 3;

INSERT INTO referrals (referral_id, referral_type, type, qualification, direction,
       status, company_name, customer_name, domain, raw_domain, azure_tenant_id, link_status,
       company_id, content_hash, raw_data, pc_updated_at)
SELECT 'ref-' || i,
       CASE WHEN i % 5 = 0 THEN 'co-sell' WHEN i % 5 = 1 THEN 'marketplace' ELSE NULL END,
       'Independent', 'MarketingQualified', 'Incoming', 'New', 'Company ' || i, 'Company ' || i,
       'company-' || i || '.example', 'www.company-' || i || '.example',
       CASE WHEN i % 10 = 7 THEN md5(i::text)::uuid::text END,
       'auto_linked', i, md5('ref' || i), jsonb_build_object('id', 'ref-' || i),
       now() - (i || ' seconds')::interval
FROM generate_series(1, {n}) AS i;
ANALYZE;
"
    )
}

/// Time a plain `INSERT ... SELECT` of the stored scores into the emptied table (rolled
/// back): what writing every row costs at least.
fn insert_limit_ms(conn: &mut PgConnection) -> u128 {
    conn.batch_execute(
        "BEGIN; CREATE TEMP TABLE ls ON COMMIT DROP AS SELECT * FROM scores; \
         TRUNCATE scores;",
    )
    .expect("prepare the insert limit");
    let t = Instant::now();
    conn.batch_execute("INSERT INTO scores SELECT * FROM ls")
        .expect("insert limit");
    let ms = t.elapsed().as_millis();
    conn.batch_execute("ROLLBACK").expect("roll back");
    ms
}

struct Run {
    wall_ms: u128,
    json: serde_json::Value,
}

fn rescore(bin: &str, url: &str, env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin);
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("DATABASE_URL", url)
        .env("HUNTER_PC_LOG_FORMAT", "json")
        .args(["rescore", "--json"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let t = Instant::now();
    let out = c.output().expect("run hunter-pc");
    let wall_ms = t.elapsed().as_millis();
    assert!(
        out.status.success(),
        "rescore failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = serde_json::from_slice(&out.stdout).expect("rescore prints JSON");
    Run { wall_ms, json }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let bin = env!("CARGO_BIN_EXE_hunter-pc");
    let server = server_url();
    let name = format!("hpc_bench_rescore_{}", std::process::id());
    let mut admin = PgConnection::establish(&server).expect("connect to the benchmark server");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .expect("create the benchmark database");
    let url = with_db(&server, &name);
    let result = std::panic::catch_unwind(|| {
        // `migrate up` on an empty database: hunter-pc's schema and Hunter's five tables.
        hunter_pc::ops::migrate::Migrate::open(&url, &hunter_pc::store::ConnectOptions::default())
            .and_then(|mut m| m.up(None))
            .expect("migrate");
        let mut conn = PgConnection::establish(&url).expect("connect to the benchmark database");
        conn.batch_execute("SET search_path = hunter_pc, public")
            .expect("search_path");
        let t = Instant::now();
        conn.batch_execute(&seed_sql(COMPANIES)).expect("seed");
        eprintln!(
            "seeded {COMPANIES} companies in {} ms (not timed)",
            t.elapsed().as_millis()
        );

        let runs = [
            ("first rescore (all rows new)", rescore(bin, &url, &[])),
            ("rescore, nothing changed", rescore(bin, &url, &[])),
            (
                "rescore, HUNTER_PC_COSELL_BONUS=25",
                rescore(bin, &url, &[("HUNTER_PC_COSELL_BONUS", "25")]),
            ),
        ];
        let limit_ms = insert_limit_ms(&mut conn);
        println!(
            "| scenario | companies | scored | changed_score | wall time (process) | \
             duration_ms (inside) | < 2 s |"
        );
        println!("|---|---|---|---|---|---|---|");
        for (what, r) in &runs {
            println!(
                "| {what} | {COMPANIES} | {} | {} | {} ms | {} ms | {} |",
                r.json["scored"],
                r.json["changed_score"],
                r.wall_ms,
                r.json["duration_ms"],
                if r.wall_ms < 2000 { "yes" } else { "no" }
            );
        }
        println!(
            "physical limit: INSERT ... SELECT of the same {} scores rows into the emptied \
             table (same indexes): {limit_ms} ms",
            runs[0].1.json["scored"]
        );
    });
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}
