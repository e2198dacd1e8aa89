//! The Partner Center stand-in as a process, for the benchmarks: serves N generated referrals
//! (about 2 KB each, see `tests/support/gen.rs`) on a loopback port until killed.
//!
//! ```text
//! cargo run --release --example pc-standin -- [--count 10000] [--port 0] [--seed 1]
//!     [--token TOKEN]... [--max-top 100]
//! ```
//! Prints `HUNTER_PC_API_URL=http://127.0.0.1:PORT` on stdout once it listens. Without
//! `--token` it accepts any bearer token.

#[path = "../tests/support/gen.rs"]
mod generated;
#[path = "../tests/support/partner_center.rs"]
mod partner_center;

use std::io::Write;
use std::process::ExitCode;

struct Args {
    count: usize,
    port: u16,
    seed: u64,
    tokens: Vec<String>,
    max_top: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        count: 10_000,
        port: 0,
        seed: 1,
        tokens: Vec::new(),
        max_top: 100,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |v: &str| format!("{flag}: invalid value {v:?}");
        match flag.as_str() {
            "--count" => {
                let v = value()?;
                a.count = v.parse().map_err(|_| bad(&v))?;
            }
            "--port" => {
                let v = value()?;
                a.port = v.parse().map_err(|_| bad(&v))?;
            }
            "--seed" => {
                let v = value()?;
                a.seed = v.parse().map_err(|_| bad(&v))?;
            }
            "--max-top" => {
                let v = value()?;
                a.max_top = v.parse().map_err(|_| bad(&v))?;
            }
            "--token" => a.tokens.push(value()?),
            "-h" | "--help" => {
                return Err(
                    "usage: pc-standin [--count N] [--port P] [--seed S] [--token T]... [--max-top N]"
                        .into(),
                );
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(m) => {
            eprintln!("error: {m}");
            return ExitCode::from(2);
        }
    };
    let pc = partner_center::StandIn::start_on(args.port);
    pc.set_referrals(generated::referrals(args.seed, args.count));
    pc.set_max_top(args.max_top);
    if args.tokens.is_empty() {
        pc.accept_any_token(true);
    }
    for t in &args.tokens {
        pc.accept_token(t);
    }
    println!("HUNTER_PC_API_URL={}", pc.url());
    let _ = std::io::stdout().flush();
    eprintln!(
        "serving {} generated referrals (seed {}) on {}",
        args.count,
        args.seed,
        pc.url()
    );
    loop {
        std::thread::park();
    }
}
