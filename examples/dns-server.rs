//! The loopback DNS server of the tests as a process, for the quick start and the benchmarks:
//! authoritative for every zone file in a directory (see `tests/support/dns.rs` for the
//! format), on 127.0.0.1, over UDP and TCP, until killed.
//!
//! ```text
//! cargo run --example dns-server -- ZONE_DIR [PORT]     # PORT 0 (default): any free port
//! ```
//! Prints its `127.0.0.1:PORT` on stdout once it answers (for `HUNTER_PC_DNS_SERVERS`).

#[path = "../tests/support/dns.rs"]
#[allow(dead_code)]
mod dns;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

fn parse_args() -> Result<(PathBuf, u16), String> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .ok_or("usage: dns-server ZONE_DIR [PORT]")?;
    let port = match args.next() {
        None => 0,
        Some(p) => p.parse().map_err(|_| format!("not a port: {p}"))?,
    };
    if let Some(extra) = args.next() {
        return Err(format!("unexpected argument: {extra}"));
    }
    Ok((dir, port))
}

fn main() -> ExitCode {
    let (dir, port) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let zones = match dns::Zones::from_dir(&dir) {
        Ok(z) => z,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(65);
        }
    };
    let count = zones.len();
    let server = match dns::DnsServer::start_on(zones, port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(69);
        }
    };
    eprintln!(
        "dns-server: {count} zones from {} on {}",
        dir.display(),
        server.addr()
    );
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", server.addr())
        .and_then(|_| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    server.wait();
    ExitCode::SUCCESS
}
