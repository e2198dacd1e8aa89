//! Domain scans (pipeline.md §6) over a real DNS server on loopback — never the machine's
//! resolver — and `scans` in a real Postgres.

mod support;

use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Int4, Nullable, Text, Timestamptz};
use hunter_pc::config::{Flags, Settings};
use hunter_pc::model;
use hunter_pc::scan::{DomainScan, ScanStatus, Scanner};
use hunter_pc::store::signals::{self, PlanRequest, Refresh, ScanPlan};
use support::dns::{DnsServer, Mode, Zones};
use support::pg::TestDb;

// ---------------------------------------------------------------------------------------------
// Set-up

/// Settings that point the scanner at `dns` with a budget of `timeout_ms` per question.
fn settings(dns: &DnsServer, timeout_ms: u64) -> Settings {
    let addr = dns.addr().to_string();
    let ms = timeout_ms.to_string();
    Settings::load_with(&Flags::default(), &|k| match k {
        "HUNTER_PC_DNS_SERVERS" => Some(addr.clone()),
        "HUNTER_PC_DNS_TIMEOUT_MS" => Some(ms.clone()),
        _ => None,
    })
    .expect("settings")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Scan `domains` against `dns`, in order.
fn scan_all(dns: &DnsServer, timeout_ms: u64, domains: &[&str]) -> Vec<DomainScan> {
    let rt = runtime();
    let _g = rt.enter();
    let scanner = Scanner::new(&settings(dns, timeout_ms).scan()).expect("scanner");
    let domains = domains.iter().map(|d| d.to_string()).collect();
    rt.block_on(scanner.scan_all(domains, 8, false))
}

fn scan(dns: &DnsServer, domain: &str) -> DomainScan {
    scan_all(dns, 2000, &[domain]).remove(0)
}

/// Zones for every case below. Each domain is its own zone; `com.tr` and `test` are parent
/// zones so that unknown names under them get an authoritative NXDOMAIN.
fn zones() -> Zones {
    let mut z = Zones::new();
    let mut add = |origin: &str, text: &str| z.add(origin, text).expect(origin);
    // Provider rows.
    add(
        "contoso.com",
        "@ MX 0 contoso-com.mail.protection.outlook.com.",
    );
    add("contoso-new.com", "@ MX 0 contoso-com.r-v1.mx.microsoft.");
    add("olc.test", "@ MX 10 olc-test.olc.protection.outlook.com.");
    add("gsmtp.com", "@ MX 1 smtp.google.com.");
    add(
        "galt.com",
        "@ MX 5 alt2.aspmx.l.google.com.\n@ MX 10 alt3.aspmx.l.google.com.",
    );
    add("yandex-user.ru", "@ MX 10 mx.yandex.net.");
    add("zoho-user.eu", "@ MX 10 mx.zoho.eu.");
    add(
        "ses-user.com",
        "@ MX 10 inbound-smtp.eu-west-1.amazonaws.com.",
    );
    add("sg-user.com", "@ MX 10 mx.sendgrid.net.");
    add("mg-user.com", "@ MX 10 mxa.mailgun.org.");
    add("godaddy-user.com", "@ MX 0 mx1.secureserver.net.");
    add("natro-user.com.tr", "@ MX 10 mx1.natrohost.com.");
    add(
        "mimecast-m365.com",
        "@ MX 10 eu-smtp-inbound-1.mimecast.com.\n\
         @ TXT \"v=spf1 include:eu._netblocks.mimecast.com include:spf.protection.outlook.com -all\"",
    );
    add(
        "pp-google.com",
        "@ MX 10 mx0a-001.pphosted.com.\n@ TXT \"v=spf1 include:_spf.google.com ~all\"",
    );
    add("barracuda-bare.com", "@ MX 10 d1.barracudanetworks.com.");
    add("ml-user.com", "@ MX 10 cluster1.eu.messagelabs.com.");
    add("cisco-user.com", "@ MX 10 mx1.hc123.iphmx.com.");
    add("trend-user.com", "@ MX 10 in.tmes.trendmicro.eu.");
    add("fp-user.com", "@ MX 10 cluster-a.mailcontrol.com.");
    add("local-user.com", "@ MX 10 mail.example.com.");
    // Two MX of equal preference: the smaller name decides (aa… is Google).
    add(
        "tie.com",
        "@ MX 10 zz.mail.protection.outlook.com.\n@ MX 10 aa.aspmx.l.google.com.\n\
         @ MX 5 . \n",
    );
    add(
        "order.com",
        "@ MX 30 c.order.com.\n@ MX 10 B.Order.com.\n@ MX 20 a.order.com.",
    );
    add("nomx.com", "@ TXT \"hello\"\nwww A 192.0.2.1");
    add("nullmx.com", "@ MX 0 .");
    // DMARC.
    add(
        "dmarc-sp.com",
        "@ MX 10 mx.dmarc-sp.com.\n_dmarc TXT \"v=DMARC1; p=reject; sp=none\"",
    );
    add(
        "dmarc-case.com",
        "@ MX 10 mx.x.com.\n_dmarc TXT \"v=DMARC1;p=Reject\"",
    );
    add(
        "dmarc-50.com",
        "@ MX 10 mx.x.com.\n_dmarc TXT \"v=DMARC1; p=quarantine; pct=50\"",
    );
    add(
        "dmarc-150.com",
        "@ MX 10 mx.x.com.\n_dmarc TXT \"v=DMARC1; p=quarantine; pct=150\"",
    );
    add(
        "dmarc-nop.com",
        "@ MX 10 mx.x.com.\n_dmarc TXT \"v=DMARC1; rua=mailto:d@dmarc-nop.com\"",
    );
    add("dmarc-absent.com", "@ MX 10 mx.x.com.");
    // SPF.
    add(
        "spf-two.com",
        "@ MX 10 mx.x.com.\n@ TXT \"v=spf1 mx -all\"\n@ TXT \"v=spf1 include:_spf.google.com -all\"",
    );
    add(
        "spf-split.com",
        "@ MX 10 mx.x.com.\n\
         @ TXT \"v=spf1 include:_spf.google.com \" \"include:spf.protection.outlook.com ~all\"\n\
         @ TXT \"google-site-verification=abc\"",
    );
    // DKIM.
    add(
        "dkim-s1.com",
        "@ MX 10 mx.x.com.\nselector1._domainkey TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\"",
    );
    add(
        "dkim-revoked.com",
        "@ MX 10 mx.x.com.\nselector1._domainkey TXT \"v=DKIM1; k=rsa; p=\"",
    );
    add(
        "dkim-two.com",
        "@ MX 10 mx.x.com.\ngoogle._domainkey TXT \"v=DKIM1; k=rsa; p=MIIB\"\n\
         s1._domainkey TXT \"k=rsa; p=MIIC\"",
    );
    // Parents for NXDOMAIN.
    add("com.tr", "");
    add("test", "");
    z
}

fn server() -> DnsServer {
    DnsServer::start(zones()).expect("start the DNS server")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Provider rules

/// (domain, provider, gateway, local_provider, mx_root)
type ProviderRow = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

#[test]
fn every_provider_row() {
    let dns = server();
    let rows: &[ProviderRow] = &[
        ("contoso.com", "M365", None, None, Some("outlook.com")),
        ("contoso-new.com", "M365", None, None, Some("mx.microsoft")),
        ("olc.test", "M365", None, None, Some("outlook.com")),
        ("gsmtp.com", "Google", None, None, Some("google.com")),
        ("galt.com", "Google", None, None, Some("google.com")),
        ("yandex-user.ru", "Yandex", None, None, Some("yandex.net")),
        ("zoho-user.eu", "Zoho", None, None, Some("zoho.eu")),
        ("ses-user.com", "Amazon", None, None, None),
        ("sg-user.com", "SendGrid", None, None, Some("sendgrid.net")),
        ("mg-user.com", "Mailgun", None, None, Some("mailgun.org")),
        (
            "godaddy-user.com",
            "Hosting",
            None,
            None,
            Some("secureserver.net"),
        ),
        (
            "natro-user.com.tr",
            "Local",
            None,
            Some("Natro"),
            Some("natrohost.com"),
        ),
        (
            "mimecast-m365.com",
            "M365",
            Some("Mimecast"),
            None,
            Some("mimecast.com"),
        ),
        (
            "pp-google.com",
            "Google",
            Some("Proofpoint"),
            None,
            Some("pphosted.com"),
        ),
        (
            "barracuda-bare.com",
            "Local",
            Some("Barracuda"),
            None,
            Some("barracudanetworks.com"),
        ),
        (
            "ml-user.com",
            "Local",
            Some("Symantec"),
            None,
            Some("messagelabs.com"),
        ),
        (
            "cisco-user.com",
            "Local",
            Some("Cisco"),
            None,
            Some("iphmx.com"),
        ),
        (
            "trend-user.com",
            "Local",
            Some("Trend Micro"),
            None,
            Some("trendmicro.eu"),
        ),
        (
            "fp-user.com",
            "Local",
            Some("Forcepoint"),
            None,
            Some("mailcontrol.com"),
        ),
        ("local-user.com", "Local", None, None, Some("example.com")),
        ("nomx.com", "Unknown", None, None, None),
        ("nullmx.com", "Unknown", None, None, None),
    ];
    let domains: Vec<&str> = rows.iter().map(|r| r.0).collect();
    let scans = scan_all(&dns, 2000, &domains);
    for (scan, (domain, provider, gateway, local, root)) in scans.iter().zip(rows) {
        assert_eq!(scan.domain, *domain);
        assert_eq!(
            scan.status,
            ScanStatus::Success,
            "{domain}: {:?}",
            scan.error
        );
        assert_eq!(
            scan.provider.map(model::Provider::as_str),
            Some(*provider),
            "{domain}"
        );
        assert_eq!(scan.gateway.as_deref(), *gateway, "{domain}");
        assert_eq!(scan.local_provider.as_deref(), *local, "{domain}");
        if *domain != "ses-user.com" {
            assert_eq!(scan.mx_root.as_deref(), *root, "{domain}");
        }
    }
    // amazonaws.com subdomains are public suffixes: the registrable domain is the MX's own.
    assert_eq!(
        scans[7].mx_hosts,
        strings(&["inbound-smtp.eu-west-1.amazonaws.com"])
    );
    assert_eq!(
        scans[0].mx_hosts,
        strings(&["contoso-com.mail.protection.outlook.com"])
    );
    assert_eq!(
        scans[4].mx_hosts,
        strings(&["alt2.aspmx.l.google.com", "alt3.aspmx.l.google.com"])
    );
}

#[test]
fn mx_order_ties_null_and_none() {
    let dns = server();
    let s = scan_all(
        &dns,
        2000,
        &["tie.com", "order.com", "nomx.com", "nullmx.com"],
    );
    // Equal preference: ties by name; the stray null MX entry is no host.
    assert_eq!(
        s[0].mx_hosts,
        strings(&["aa.aspmx.l.google.com", "zz.mail.protection.outlook.com"])
    );
    assert_eq!(s[0].provider.map(model::Provider::as_str), Some("Google"));
    // Preference order, lower case, no trailing dots.
    assert_eq!(
        s[1].mx_hosts,
        strings(&["b.order.com", "a.order.com", "c.order.com"])
    );
    assert_eq!(s[1].mx_root.as_deref(), Some("order.com"));
    // No MX (NODATA) and null MX: a successful scan with no hosts, provider Unknown.
    for scan in &s[2..] {
        assert_eq!(scan.status, ScanStatus::Success);
        assert!(scan.mx_hosts.is_empty(), "{}", scan.domain);
        assert_eq!(scan.provider.map(model::Provider::as_str), Some("Unknown"));
        assert_eq!(scan.mx_root, None);
    }
}

// ---------------------------------------------------------------------------------------------
// DMARC, SPF, DKIM

#[test]
fn dmarc_cases() {
    let dns = server();
    let s = scan_all(
        &dns,
        2000,
        &[
            "dmarc-sp.com",
            "dmarc-case.com",
            "dmarc-50.com",
            "dmarc-150.com",
            "dmarc-nop.com",
            "dmarc-absent.com",
        ],
    );
    let got: Vec<(Option<&str>, Option<i32>)> = s
        .iter()
        .map(|s| (s.dmarc_policy.as_deref(), s.dmarc_coverage))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("reject"), Some(100)),
            (Some("reject"), Some(100)),
            (Some("quarantine"), Some(50)),
            (Some("quarantine"), Some(100)),
            (Some("none"), Some(100)),
            (None, None),
        ]
    );
    assert!(s.iter().all(|s| s.status == ScanStatus::Success));
}

#[test]
fn spf_cases() {
    let dns = server();
    let s = scan_all(
        &dns,
        2000,
        &["spf-two.com", "spf-split.com", "mimecast-m365.com"],
    );
    assert!(!s[0].spf, "two v=spf1 records: not present");
    assert_eq!(s[0].spf_record, None);
    assert!(s[0].spf_includes.is_empty());
    assert!(s[1].spf);
    assert_eq!(
        s[1].spf_record.as_deref(),
        Some("v=spf1 include:_spf.google.com include:spf.protection.outlook.com ~all")
    );
    assert_eq!(
        s[1].spf_includes,
        strings(&["_spf.google.com", "spf.protection.outlook.com"])
    );
    assert_eq!(
        s[2].spf_includes,
        strings(&["eu._netblocks.mimecast.com", "spf.protection.outlook.com"])
    );
}

#[test]
fn dkim_cases() {
    let dns = server();
    let s = scan_all(
        &dns,
        2000,
        &["dkim-s1.com", "dkim-revoked.com", "dkim-two.com"],
    );
    assert!(s[0].dkim);
    assert_eq!(s[0].dkim_selectors, strings(&["selector1"]));
    assert!(!s[1].dkim, "an empty p= is a revoked key");
    assert!(s[1].dkim_selectors.is_empty());
    assert_eq!(s[2].dkim_selectors, strings(&["google", "s1"]));
}

// ---------------------------------------------------------------------------------------------
// Failures: never read as "no MX"

#[test]
fn silent_server_fails_and_recovers_without_cache() {
    let dns = server();
    dns.set_mode(Mode::Silent);
    let s = scan_all(&dns, 300, &["contoso.com"]).remove(0);
    assert_eq!(s.status, ScanStatus::Failed);
    assert_eq!(s.provider, None);
    assert!(s.mx_hosts.is_empty());
    assert!(
        s.error.as_deref().unwrap_or("").contains("timed out"),
        "{:?}",
        s.error
    );
    // One retry per question within the budget: MX and TXT of the apex, twice each.
    assert_eq!(dns.queries_for("contoso.com"), 4);

    dns.set_mode(Mode::Answer);
    let s = scan_all(&dns, 2000, &["contoso.com"]).remove(0);
    assert_eq!(s.status, ScanStatus::Success);
    assert_eq!(s.provider.map(model::Provider::as_str), Some("M365"));
}

#[test]
fn servfail_fails_after_one_retry() {
    let dns = server();
    dns.set_mode(Mode::ServFail);
    let s = scan(&dns, "gsmtp.com");
    assert_eq!(s.status, ScanStatus::Failed);
    assert_eq!(s.provider, None);
    assert!(
        s.error.as_deref().unwrap_or("").contains("SERVFAIL"),
        "{:?}",
        s.error
    );
    assert_eq!(dns.queries_for("gsmtp.com"), 4);
}

#[test]
fn transient_dmarc_fails_the_scan_but_transient_dkim_is_not_found() {
    let dns = server();
    dns.set_mode_for("_dmarc.dmarc-sp.com", Some(Mode::ServFail));
    let s = scan(&dns, "dmarc-sp.com");
    assert_eq!(s.status, ScanStatus::Failed);
    assert!(
        s.error.as_deref().unwrap_or("").contains("_dmarc"),
        "{:?}",
        s.error
    );

    dns.set_mode_for("_domainkey.dkim-s1.com", Some(Mode::Silent));
    let s = scan_all(&dns, 300, &["dkim-s1.com"]).remove(0);
    assert_eq!(s.status, ScanStatus::Success);
    assert!(!s.dkim);

    dns.set_mode_for("dkim-s1.com", Some(Mode::ServFail));
    assert_eq!(
        scan(&dns, "dkim-s1.com").status,
        ScanStatus::Failed,
        "SPF question failed"
    );
}

#[test]
fn nxdomain_is_unknown_and_refused_is_a_failure() {
    let dns = server();
    let s = scan_all(&dns, 2000, &["yok.com.tr", "outside.example"]);
    assert_eq!(s[0].status, ScanStatus::Nxdomain);
    assert_eq!(s[0].provider.map(model::Provider::as_str), Some("Unknown"));
    assert!(s[0].mx_hosts.is_empty() && !s[0].spf && !s[0].dkim);
    // Not served here: REFUSED, a transient failure, not retried.
    assert_eq!(s[1].status, ScanStatus::Failed);
    assert!(s[1].error.as_deref().unwrap_or("").contains("REFUSED"));
    assert_eq!(dns.queries_for("outside.example"), 2);
}

#[test]
fn large_txt_record_is_read_whole() {
    // Over 1,232 bytes: more than a UDP answer carries, so the answer comes over TCP.
    let mut z = Zones::new();
    let long: String = (0..60)
        .map(|i| format!(" \"include:s{i}.big-spf.test \""))
        .collect();
    let txt = format!("@ MX 10 mx.big-spf.test.\n@ TXT \"v=spf1 \"{long} \"-all\"");
    assert!(txt.len() > 1300);
    z.add("big-spf.test", &txt).unwrap();
    let dns = DnsServer::start(z).unwrap();
    let s = scan(&dns, "big-spf.test");
    assert_eq!(s.status, ScanStatus::Success, "{:?}", s.error);
    assert_eq!(s.spf_includes.len(), 60);
    assert!(
        dns.tcp_queries() >= 1,
        "the truncated answer was asked again over TCP"
    );
}

// ---------------------------------------------------------------------------------------------
// Storing and choosing what to scan

fn add_company(conn: &mut PgConnection, domain: &str) {
    diesel::sql_query("INSERT INTO companies (domain, canonical_name) VALUES ($1, $1)")
        .bind::<Text, _>(domain)
        .execute(conn)
        .unwrap();
}

fn add_referral(conn: &mut PgConnection, id: &str, domain: &str, tenant: Option<&str>) {
    diesel::sql_query(
        "INSERT INTO referrals (referral_id, domain, azure_tenant_id, content_hash, raw_data) \
         VALUES ($1, $2, $3, 'h', '{}')",
    )
    .bind::<Text, _>(id)
    .bind::<Text, _>(domain)
    .bind::<Nullable<Text>, _>(tenant)
    .execute(conn)
    .unwrap();
}

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Text)]
    scan_status: String,
    #[diesel(sql_type = Nullable<Text>)]
    scan_error: Option<String>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    mx_hosts: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    mx_root: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    spf: Option<bool>,
    #[diesel(sql_type = Nullable<Bool>)]
    dkim: Option<bool>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    dkim_selectors: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    dmarc_policy: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    dmarc_coverage: Option<i32>,
    #[diesel(sql_type = Timestamptz)]
    scanned_at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

fn signals(conn: &mut PgConnection, domain: &str) -> Option<Row> {
    diesel::sql_query(
        "SELECT scan_status, scan_error, mx_hosts, mx_root, provider, spf, dkim, dkim_selectors, \
                dmarc_policy, dmarc_coverage, scanned_at, attempts \
         FROM scans WHERE domain = $1",
    )
    .bind::<Text, _>(domain)
    .get_result(conn)
    .optional()
    .unwrap()
}

#[derive(QueryableByName)]
struct Provider {
    #[diesel(sql_type = Nullable<Text>)]
    provider: Option<String>,
}

fn company_provider(conn: &mut PgConnection, domain: &str) -> Option<String> {
    diesel::sql_query("SELECT provider FROM companies WHERE domain = $1")
        .bind::<Text, _>(domain)
        .get_result::<Provider>(conn)
        .unwrap()
        .provider
}

#[test]
fn first_failed_scan_then_failed_rescan_keeps_old_signals() {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    add_company(&mut conn, "dkim-s1.com");
    add_referral(&mut conn, "r1", "dkim-s1.com", None);
    let dns = server();

    // First scan fails: stored with its error, provider NULL, no signals.
    dns.set_mode(Mode::Silent);
    write_scans(&mut conn, &scan_all(&dns, 300, &["dkim-s1.com"])).unwrap();
    let r = signals(&mut conn, "dkim-s1.com").unwrap();
    assert_eq!(r.scan_status, "failed");
    assert!(r.scan_error.as_deref().unwrap_or("").contains("timed out"));
    assert_eq!(
        (r.provider, r.mx_hosts, r.spf, r.dkim),
        (None, None, None, None)
    );
    assert_eq!(r.attempts, 1);
    assert_eq!(company_provider(&mut conn, "dkim-s1.com"), None);

    // The server answers: a full picture, and the company's provider follows.
    dns.set_mode(Mode::Answer);
    write_scans(&mut conn, &scan_all(&dns, 2000, &["dkim-s1.com"])).unwrap();
    let ok = signals(&mut conn, "dkim-s1.com").unwrap();
    assert_eq!(ok.scan_status, "success");
    assert_eq!(ok.scan_error, None);
    assert_eq!(ok.provider.as_deref(), Some("Local"));
    assert_eq!(ok.mx_hosts, Some(strings(&["mx.x.com"])));
    assert_eq!(ok.mx_root.as_deref(), Some("x.com"));
    assert_eq!((ok.spf, ok.dkim), (Some(false), Some(true)));
    assert_eq!(ok.dkim_selectors, Some(strings(&["selector1"])));
    assert_eq!((ok.dmarc_policy, ok.dmarc_coverage), (None, None));
    assert_eq!(ok.attempts, 2);
    assert_eq!(
        company_provider(&mut conn, "dkim-s1.com").as_deref(),
        Some("Local")
    );

    // A failed rescan keeps the signals and status; only the failure and the attempt change.
    dns.set_mode(Mode::ServFail);
    write_scans(&mut conn, &scan_all(&dns, 300, &["dkim-s1.com"])).unwrap();
    let kept = signals(&mut conn, "dkim-s1.com").unwrap();
    assert_eq!(kept.scan_status, "success");
    assert!(
        kept.scan_error
            .as_deref()
            .unwrap_or("")
            .contains("SERVFAIL")
    );
    assert_eq!(kept.provider.as_deref(), Some("Local"));
    assert_eq!(kept.mx_hosts, ok.mx_hosts);
    assert_eq!(kept.dkim_selectors, ok.dkim_selectors);
    assert_eq!(kept.attempts, 3);
    assert!(kept.scanned_at >= ok.scanned_at);
    assert_eq!(
        company_provider(&mut conn, "dkim-s1.com").as_deref(),
        Some("Local")
    );
}

#[test]
fn store_only_companies_nxdomain_and_tenant_rule() {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    add_company(&mut conn, "gsmtp.com");
    add_referral(&mut conn, "r1", "gsmtp.com", None);
    add_referral(
        &mut conn,
        "r2",
        "gsmtp.com",
        Some("0b1f7c2e-3a4d-4e5f-8a9b-1c2d3e4f5a6b"),
    );
    add_company(&mut conn, "yok.com.tr");
    let dns = server();
    let scans = scan_all(&dns, 2000, &["gsmtp.com", "yok.com.tr", "contoso.com"]);
    write_scans(&mut conn, &scans).unwrap();

    // The signals say Google; the company stays M365 because a referral gave a tenant id.
    assert_eq!(
        signals(&mut conn, "gsmtp.com").unwrap().provider.as_deref(),
        Some("Google")
    );
    assert_eq!(
        company_provider(&mut conn, "gsmtp.com").as_deref(),
        Some("M365")
    );
    let nx = signals(&mut conn, "yok.com.tr").unwrap();
    assert_eq!(nx.scan_status, "nxdomain");
    assert_eq!(nx.provider.as_deref(), Some("Unknown"));
    assert_eq!(nx.mx_hosts, Some(vec![]));
    // No provider found: hunter-pc never writes `Unknown` into Hunter's companies.
    assert_eq!(company_provider(&mut conn, "yok.com.tr").as_deref(), None);
    // Not a company: not stored.
    assert!(signals(&mut conn, "contoso.com").is_none());
}

#[test]
fn plan_selects_as_section_6_says() {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    for d in [
        "a.test", "b.test", "c.test", "d.test", "e.test", "f.test", "g.test", "h.test",
    ] {
        add_company(&mut conn, d);
    }
    for (i, d) in ["c.test", "d.test", "f.test", "g.test", "h.test", "c.test"]
        .iter()
        .enumerate()
    {
        add_referral(&mut conn, &format!("r{i}"), d, None);
    }
    let put = |conn: &mut PgConnection, d: &str, status: ScanStatus| {
        let scan = match status {
            ScanStatus::Success => {
                let mut s = DomainScan::nxdomain(d);
                s.status = ScanStatus::Success;
                s
            }
            ScanStatus::Nxdomain => DomainScan::nxdomain(d),
            ScanStatus::Failed => DomainScan::failed(d, "MX: timed out"),
        };
        write_scans(conn, &[scan]).unwrap();
    };
    // a: touched, never scanned. b: touched, scanned. c: referral, never scanned.
    // d: referral, failed just now. e: no referral, never scanned. f: referral, success.
    // g: referral, nxdomain. h: referral, failed two hours ago.
    put(&mut conn, "b.test", ScanStatus::Success);
    put(&mut conn, "d.test", ScanStatus::Failed);
    put(&mut conn, "f.test", ScanStatus::Success);
    put(&mut conn, "g.test", ScanStatus::Nxdomain);
    put(&mut conn, "h.test", ScanStatus::Failed);
    diesel::sql_query(
        "UPDATE scans SET scanned_at = now() - interval '2 hours' WHERE domain = 'h.test'",
    )
    .execute(&mut conn)
    .unwrap();
    let touched = strings(&["b.test", "a.test", "not-a-company.test"]);
    // Fresh scans only here: no refresh of stale ones (see `plan_refreshes_stale_scans`).
    let plan = |conn: &mut PgConnection, touched: &[String], rescan: bool, retry_secs: u64| {
        signals::plan(
            conn,
            &PlanRequest {
                touched,
                rescan: if rescan { touched } else { &[] },
                retry_secs,
                refresh: Refresh::NONE,
            },
        )
        .unwrap()
    };

    let p = plan(&mut conn, &touched, false, 3600);
    assert_eq!(
        p,
        ScanPlan {
            to_scan: strings(&["a.test", "c.test", "h.test"]),
            skipped_already_scanned: 1,
            stale: 0,
        }
    );
    let p = plan(&mut conn, &touched, false, 0);
    assert_eq!(
        p.to_scan,
        strings(&["a.test", "c.test", "d.test", "h.test"])
    );
    let p = plan(&mut conn, &touched, true, 3600);
    assert_eq!(
        p.to_scan,
        strings(&["b.test", "a.test", "c.test", "h.test"])
    );
    assert_eq!(p.skipped_already_scanned, 0);
    // A touched failed one is always rescanned, however recent.
    let p = plan(&mut conn, &strings(&["d.test"]), false, 3600);
    assert_eq!(p.to_scan, strings(&["d.test", "c.test", "h.test"]));
}

#[test]
fn plan_refreshes_stale_scans_oldest_first_within_the_batch() {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    // days old, status, has a referral
    let rows = [
        ("fresh.test", 29, ScanStatus::Success, true),
        ("old.test", 31, ScanStatus::Success, true),
        ("older.test", 40, ScanStatus::Success, true),
        ("oldest.test", 90, ScanStatus::Success, true),
        ("nx-new.test", 6, ScanStatus::Nxdomain, true),
        ("nx-old.test", 8, ScanStatus::Nxdomain, true),
        ("no-referral.test", 100, ScanStatus::Success, false),
        ("failed.test", 100, ScanStatus::Failed, true),
    ];
    for (i, (d, days, status, referral)) in rows.iter().enumerate() {
        add_company(&mut conn, d);
        if *referral {
            add_referral(&mut conn, &format!("r{i}"), d, None);
        }
        let scan = match status {
            ScanStatus::Nxdomain => DomainScan::nxdomain(d),
            ScanStatus::Failed => DomainScan::failed(d, "MX: timed out"),
            ScanStatus::Success => {
                let mut s = DomainScan::nxdomain(d);
                s.status = ScanStatus::Success;
                s
            }
        };
        write_scans(&mut conn, &[scan]).unwrap();
        diesel::sql_query(format!(
            "UPDATE scans SET scanned_at = now() - interval '{days} days' \
             WHERE domain = '{d}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    let plan = |conn: &mut PgConnection, touched: &[String], refresh: Refresh| {
        signals::plan(
            conn,
            &PlanRequest {
                touched,
                rescan: &[],
                retry_secs: 3600,
                refresh,
            },
        )
        .unwrap()
    };
    let refresh = Refresh {
        after_days: 30,
        batch: 200,
    };
    // The failed one is retried as a failure (first); then the stale ones, oldest first.
    let p = plan(&mut conn, &[], refresh);
    assert_eq!(
        p,
        ScanPlan {
            to_scan: strings(&[
                "failed.test",
                "oldest.test",
                "older.test",
                "old.test",
                "nx-old.test"
            ]),
            skipped_already_scanned: 0,
            stale: 4,
        }
    );
    // The batch takes the oldest.
    let p = plan(
        &mut conn,
        &[],
        Refresh {
            batch: 2,
            ..refresh
        },
    );
    assert_eq!(
        p.to_scan,
        strings(&["failed.test", "oldest.test", "older.test"])
    );
    assert_eq!(
        plan(
            &mut conn,
            &[],
            Refresh {
                batch: 0,
                ..refresh
            }
        )
        .to_scan,
        strings(&["failed.test"])
    );
    // A shorter refresh age also shortens NXDOMAIN's 7 days.
    let p = plan(
        &mut conn,
        &[],
        Refresh {
            after_days: 5,
            batch: 200,
        },
    );
    assert_eq!(p.stale, 6, "{p:?}");
    // A touched domain with a stale scan is refreshed, not skipped; a fresh one is skipped.
    let p = plan(&mut conn, &strings(&["old.test", "fresh.test"]), refresh);
    assert_eq!((p.skipped_already_scanned, p.stale), (1, 4));
    // A refresh that failed keeps the old signals and is retried after the retry interval.
    write_scans(
        &mut conn,
        &[DomainScan::failed("oldest.test", "MX: timed out")],
    )
    .unwrap();
    assert_eq!(
        signals(&mut conn, "oldest.test").unwrap().scan_status,
        "success"
    );
    assert!(
        !plan(&mut conn, &[], refresh)
            .to_scan
            .contains(&"oldest.test".to_string())
    );
    diesel::sql_query(
        "UPDATE scans SET scanned_at = now() - interval '2 hours' \
         WHERE domain = 'oldest.test'",
    )
    .execute(&mut conn)
    .unwrap();
    assert!(
        plan(&mut conn, &[], refresh)
            .to_scan
            .contains(&"oldest.test".to_string())
    );
}

// ---------------------------------------------------------------------------------------------
// `hunter-pc scan` through the binary

#[test]
fn command_prints_json_without_a_database() {
    let dns = server();
    let home = tempfile::tempdir().unwrap();
    let out = support::hunter(home.path())
        .args(["scan", "Contoso.COM.", "mimecast-m365.com", "--json"])
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = support::stdout_json(&out);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["domain"], "contoso.com");
    assert_eq!(rows[0]["scan_status"], "success");
    assert_eq!(rows[0]["provider"], "M365");
    assert_eq!(
        rows[0]["mx_hosts"][0],
        "contoso-com.mail.protection.outlook.com"
    );
    assert_eq!(rows[0]["mx_root"], "outlook.com");
    assert_eq!(rows[0]["stored"], false);
    assert_eq!(rows[1]["gateway"], "Mimecast");
    assert_eq!(rows[1]["provider"], "M365");
    assert_eq!(rows[1]["spf"], true);
    for key in [
        "scan_error",
        "local_provider",
        "spf_record",
        "dkim",
        "dkim_selectors",
        "dmarc_policy",
        "dmarc_coverage",
        "scanned_at",
        "attempts",
    ] {
        assert!(rows[0].get(key).is_some(), "missing {key}");
    }
}

#[test]
fn command_stores_companies_only() {
    let db = TestDb::migrated();
    let mut conn = db.conn();
    add_company(&mut conn, "contoso.com");
    add_referral(&mut conn, "r1", "contoso.com", None);
    let dns = server();
    let home = tempfile::tempdir().unwrap();
    let out = support::hunter(home.path())
        .args(["scan", "contoso.com", "gsmtp.com", "--json"])
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = support::stdout_json(&out);
    assert_eq!(v[0]["stored"], true);
    assert_eq!(v[0]["attempts"], 1);
    assert_eq!(v[1]["stored"], false);
    assert_eq!(v[1]["attempts"], serde_json::Value::Null);
    let r = signals(&mut conn, "contoso.com").unwrap();
    assert_eq!(r.provider.as_deref(), Some("M365"));
    assert!(signals(&mut conn, "gsmtp.com").is_none());
    assert_eq!(
        company_provider(&mut conn, "contoso.com").as_deref(),
        Some("M365")
    );

    // Text output, and a scan of a scanned domain is a rescan (attempt 2).
    let out = support::hunter(home.path())
        .args(["scan", "contoso.com"])
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1).unwrap_or("");
    assert!(line.starts_with("contoso.com"), "{text}");
    assert!(
        line.contains("success") && line.contains("M365") && line.contains("yes"),
        "{text}"
    );
    assert_eq!(signals(&mut conn, "contoso.com").unwrap().attempts, 2);
}

#[test]
fn command_reports_failures_and_bad_names() {
    let dns = server();
    dns.set_mode(Mode::Silent);
    let home = tempfile::tempdir().unwrap();
    let out = support::hunter(home.path())
        .args(["scan", "contoso.com", "--json"])
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .env("HUNTER_PC_DNS_TIMEOUT_MS", "300")
        .output()
        .unwrap();
    assert!(out.status.success());
    let v = support::stdout_json(&out);
    assert_eq!(v[0]["scan_status"], "failed");
    assert_eq!(v[0]["provider"], serde_json::Value::Null);
    assert_eq!(v[0]["mx_hosts"], serde_json::Value::Null);
    assert!(
        v[0]["scan_error"]
            .as_str()
            .unwrap_or("")
            .contains("timed out")
    );

    let out = support::hunter(home.path())
        .args(["scan", "not a domain"])
        .env("HUNTER_PC_DNS_SERVERS", dns.addr().to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let last = support::last_stderr_line(&out);
    assert!(
        last.starts_with("error: ") && last.contains("not a domain name"),
        "{last}"
    );
}

/// `signals::write` with the layout the database has.
fn write_scans<I>(conn: &mut PgConnection, scans: I) -> hunter_pc::error::Result<()>
where
    I: IntoIterator,
    I::Item: Into<hunter_pc::store::signals::SignalsRow>,
{
    let layout = support::pg::layout(conn);
    signals::write(conn, &layout, scans)
}
