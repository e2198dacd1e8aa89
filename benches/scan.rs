//! Benchmark (not a test): scan 2,000 domains against the loopback DNS server at concurrency
//! 64 and print domains/s and failures (target: ≥ 500 domains/s, 0 failures; quality.md).
//!
//! `cargo bench --bench scan` (release build). `SCAN_BENCH_DOMAINS` and `SCAN_BENCH_CONCURRENCY`
//! change the size.

#[path = "../tests/support/dns.rs"]
#[allow(dead_code)]
mod dns;

use std::time::Instant;

use hunter_pc::config::{Flags, Settings};
use hunter_pc::scan::{ScanStatus, Scanner};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A realistic mix: M365, Google, gateways, local hosts, no MX; SPF, DMARC and DKIM records.
fn zone_text(i: usize) -> String {
    let mx = match i % 5 {
        0 => format!("@ MX 0 bench{i}-com.mail.protection.outlook.com."),
        1 => "@ MX 1 smtp.google.com.\n@ MX 5 alt1.aspmx.l.google.com.".to_string(),
        2 => "@ MX 10 eu-smtp-inbound-1.mimecast.com.".to_string(),
        3 => "@ MX 10 mx1.natrohost.com.".to_string(),
        _ => String::new(),
    };
    format!(
        "{mx}\n@ TXT \"v=spf1 include:spf.protection.outlook.com -all\"\n\
         @ TXT \"google-site-verification=bench{i}\"\n\
         _dmarc TXT \"v=DMARC1; p=quarantine; pct=50\"\n\
         selector1._domainkey TXT \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC\"\n"
    )
}

fn main() {
    let n = env_or("SCAN_BENCH_DOMAINS", 2000);
    let concurrency = env_or("SCAN_BENCH_CONCURRENCY", 64);
    let mut zones = dns::Zones::new();
    let domains: Vec<String> = (0..n).map(|i| format!("bench{i}.com")).collect();
    for (i, d) in domains.iter().enumerate() {
        zones.add(d, &zone_text(i)).expect("zone");
    }
    let server = dns::DnsServer::start(zones).expect("start the DNS server");
    let addr = server.addr().to_string();
    let settings = Settings::load_with(&Flags::default(), &|k| {
        (k == "HUNTER_PC_DNS_SERVERS").then(|| addr.clone())
    })
    .expect("settings");

    // The command's runtime: one thread (the server has its own).
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _in_runtime = rt.enter();
    let scanner = Scanner::new(&settings.scan()).expect("scanner");
    let started = Instant::now();
    let scans = rt.block_on(scanner.scan_all(domains, concurrency, false));
    let elapsed = started.elapsed();

    let failures = scans
        .iter()
        .filter(|s| s.status == ScanStatus::Failed)
        .count();
    let per_sec = n as f64 / elapsed.as_secs_f64();
    println!("scenario                         n      wall      domains/s  questions  failures");
    println!(
        "scan, loopback DNS, conc. {concurrency:<4}  {n:<6} {:>7.3} s  {per_sec:>9.0}  {:>9}  {failures}",
        elapsed.as_secs_f64(),
        server.queries()
    );
    if let Some(f) = scans.iter().find(|s| s.status == ScanStatus::Failed) {
        println!("first failure: {} {:?}", f.domain, f.error);
    }
}
