//! The tests' loopback DNS server on its own, for the quick start and for trying scans by hand:
//!
//! ```text
//! cargo run --example dns-server -- examples/zones 5353
//! HUNTER_PC_DNS_SERVERS=127.0.0.1:5353 hunter-pc scan contoso.com
//! ```
//!
//! Every file in the zone directory is one zone named after the file (`contoso.com` or
//! `contoso.com.zone`). The port is optional (default: any free port). It prints its address
//! (`127.0.0.1:<port>`) as the first line on stdout and serves until it is stopped.

#[path = "../tests/support/dns.rs"]
#[allow(dead_code)]
mod dns;

use std::io::Write;
use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: dns-server ZONE_DIR [PORT]";
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let port = match args.next().map(|p| p.parse::<u16>()) {
        None => 0,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("error: the port must be a number from 0 to 65535\n{usage}");
            std::process::exit(2);
        }
    };
    let zones = match dns::Zones::from_dir(&dir) {
        Ok(z) => z,
        Err(e) => {
            eprintln!("error: cannot load the zones: {e}");
            std::process::exit(66);
        }
    };
    let count = zones.len();
    let server = match dns::DnsServer::start_on(zones, port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(69);
        }
    };
    println!("{}", server.addr());
    let _ = std::io::stdout().flush();
    eprintln!(
        "serving {count} zone(s) from {} on {} (UDP and TCP); stop with Ctrl-C",
        dir.display(),
        server.addr()
    );
    server.wait();
}
