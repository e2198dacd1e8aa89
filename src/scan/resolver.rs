//! The resolver: one DNS question at a time, with a time budget and one retry, and every answer
//! read as one of four classes (pipeline.md §6): records, NXDOMAIN, NODATA or a transient failure.
//!
//! hickory's own cache and retries are switched off: a cached negative answer would hide a
//! recovered server, and its retries would spend the budget behind our back.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hickory_resolver::TokioAsyncResolver;
use hickory_resolver::config::{NameServerConfig, Protocol, ResolverConfig, ResolverOpts};
use hickory_resolver::error::{ResolveError, ResolveErrorKind};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};

use crate::error::{Error, Result};

/// What one DNS question came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer<T> {
    /// The name has records of the asked type.
    Records(Vec<T>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of the asked type.
    NoData,
    /// No usable answer: timeout, SERVFAIL, REFUSED, a network error. Never read as "none".
    Transient(String),
}

impl<T> Answer<T> {
    /// The records, or none for NXDOMAIN/NODATA; `Err` with the reason for a transient failure.
    pub fn records(self) -> std::result::Result<Vec<T>, String> {
        match self {
            Answer::Records(r) => Ok(r),
            Answer::NxDomain | Answer::NoData => Ok(Vec::new()),
            Answer::Transient(why) => Err(why),
        }
    }
}

/// A DNS resolver with a per-question time budget.
#[derive(Clone)]
pub struct Resolver {
    inner: TokioAsyncResolver,
    budget: Duration,
}

/// Where `/etc/resolv.conf` says the system's name servers are.
const RESOLV_CONF: &str = "/etc/resolv.conf";

impl Resolver {
    /// A resolver asking `servers` (UDP, and TCP for truncated answers), or the system's name
    /// servers from `/etc/resolv.conf` when `None`; each question gets `budget` in total.
    pub fn new(servers: Option<&[SocketAddr]>, budget: Duration) -> Result<Resolver> {
        let servers = match servers {
            Some(s) => s.to_vec(),
            None => system_name_servers()?,
        };
        let mut config = ResolverConfig::new();
        for addr in &servers {
            for protocol in [Protocol::Udp, Protocol::Tcp] {
                let mut ns = NameServerConfig::new(*addr, protocol);
                ns.trust_negative_responses = true;
                config.add_name_server(ns);
            }
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = budget;
        opts.attempts = 0; // retries are ours (one, within the budget)
        opts.cache_size = 0; // every scan asks the server again
        opts.positive_max_ttl = Some(Duration::ZERO);
        opts.negative_max_ttl = Some(Duration::ZERO);
        opts.use_hosts_file = false;
        opts.ndots = 0;
        opts.edns0 = true;
        opts.preserve_intermediates = false;
        opts.try_tcp_on_error = false;
        Ok(Resolver {
            inner: TokioAsyncResolver::tokio(config, opts),
            budget,
        })
    }

    /// MX records as (preference, exchange) pairs, exchange as the server wrote it.
    pub async fn mx(&self, name: &Name) -> Answer<(u16, String)> {
        self.ask(name, RecordType::MX, |r| match r {
            RData::MX(mx) => Some((mx.preference(), mx.exchange().to_ascii())),
            _ => None,
        })
        .await
    }

    /// TXT records, each with its character-strings joined (lossy UTF-8).
    pub async fn txt(&self, name: &Name) -> Answer<String> {
        self.ask(name, RecordType::TXT, |r| match r {
            RData::TXT(txt) => Some(
                txt.txt_data()
                    .iter()
                    .map(|s| String::from_utf8_lossy(s))
                    .collect::<String>(),
            ),
            _ => None,
        })
        .await
    }

    /// Ask once; on a timeout or SERVFAIL, ask once more with what is left of the budget.
    /// The first attempt gets half the budget, so that the retry has time too.
    async fn ask<T>(
        &self,
        name: &Name,
        rtype: RecordType,
        pick: impl Fn(&RData) -> Option<T>,
    ) -> Answer<T> {
        let deadline = Instant::now() + self.budget;
        let first = self.attempt(name, rtype, &pick, self.budget / 2).await;
        let retry = match &first {
            Attempt::Done(_) => false,
            Attempt::Failed { retryable, .. } => *retryable,
        };
        let outcome = if retry {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                first
            } else {
                self.attempt(name, rtype, &pick, left).await
            }
        } else {
            first
        };
        match outcome {
            Attempt::Done(a) => a,
            Attempt::Failed { why, .. } => Answer::Transient(format!("{rtype} {name}: {why}")),
        }
    }

    async fn attempt<T>(
        &self,
        name: &Name,
        rtype: RecordType,
        pick: &impl Fn(&RData) -> Option<T>,
        limit: Duration,
    ) -> Attempt<T> {
        match tokio::time::timeout(limit, self.inner.lookup(name.clone(), rtype)).await {
            Err(_) => Attempt::Failed {
                why: "timed out".into(),
                retryable: true,
            },
            Ok(Ok(lookup)) => {
                let found: Vec<T> = lookup.iter().filter_map(pick).collect();
                if found.is_empty() {
                    Attempt::Done(Answer::NoData)
                } else {
                    Attempt::Done(Answer::Records(found))
                }
            }
            Ok(Err(e)) => classify_error(&e),
        }
    }
}

/// The result of one attempt: an answer, or a failure and whether it is worth asking again.
enum Attempt<T> {
    Done(Answer<T>),
    Failed { why: String, retryable: bool },
}

/// Read a resolver error as an answer class. A REFUSED is not retried: the same server will
/// refuse again; a timeout, SERVFAIL or network error may not repeat.
fn classify_error<T>(e: &ResolveError) -> Attempt<T> {
    match e.kind() {
        ResolveErrorKind::NoRecordsFound { response_code, .. } => match *response_code {
            ResponseCode::NXDomain => Attempt::Done(Answer::NxDomain),
            ResponseCode::NoError => Attempt::Done(Answer::NoData),
            ResponseCode::Refused => Attempt::Failed {
                why: "REFUSED".into(),
                retryable: false,
            },
            ResponseCode::ServFail => Attempt::Failed {
                why: "SERVFAIL".into(),
                retryable: true,
            },
            code => Attempt::Failed {
                why: format!("{code:?}").to_ascii_uppercase(),
                retryable: true,
            },
        },
        ResolveErrorKind::Timeout => Attempt::Failed {
            why: "timed out".into(),
            retryable: true,
        },
        _ => Attempt::Failed {
            why: e.to_string(),
            retryable: true,
        },
    }
}

/// The system's name servers (the `nameserver` lines of `/etc/resolv.conf`, port 53), as
/// hickory's own system configuration reads them; each address once, in file order.
fn system_name_servers() -> Result<Vec<SocketAddr>> {
    let (config, _) = hickory_resolver::system_conf::read_system_conf().map_err(|e| {
        Error::config(format!(
            "cannot read {RESOLV_CONF} ({e}): set HUNTER_PC_DNS_SERVERS to the DNS servers to use"
        ))
    })?;
    let servers = name_servers(&config);
    if servers.is_empty() {
        return Err(Error::config(format!(
            "{RESOLV_CONF} names no name server: set HUNTER_PC_DNS_SERVERS"
        )));
    }
    Ok(servers)
}

/// The distinct name server addresses of a configuration (hickory lists each once per
/// protocol).
fn name_servers(config: &ResolverConfig) -> Vec<SocketAddr> {
    let mut out: Vec<SocketAddr> = Vec::new();
    for ns in config.name_servers() {
        if !out.contains(&ns.socket_addr) {
            out.push(ns.socket_addr);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_outside_a_runtime() {
        let servers = ["127.0.0.1:9".parse().unwrap()];
        assert!(Resolver::new(Some(&servers), Duration::from_millis(100)).is_ok());
    }

    #[test]
    fn resolv_conf_nameservers() {
        use hickory_resolver::system_conf::parse_resolv_conf;
        let t = "# c\nsearch example.com\nnameserver 10.0.0.2\nnameserver fe80::1%eth0\n\
                 nameserver 10.0.0.2\noptions ndots:5\n";
        let (config, _) = parse_resolv_conf(t).unwrap();
        let s = name_servers(&config);
        assert_eq!(
            s,
            vec![
                "10.0.0.2:53".parse().unwrap(),
                "[fe80::1]:53".parse().unwrap()
            ]
        );
        // A line that is not a name server address makes the file unreadable (the operator is
        // told to set HUNTER_PC_DNS_SERVERS), rather than being passed over.
        assert!(parse_resolv_conf("nameserver bogus\n").is_err());
    }
}
