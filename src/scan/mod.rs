//! DNS mail-signal scans (pipeline.md §6): the questions, the answer classes and the provider
//! rules. Which domains a sync scans, and storing scans, is [`crate::store::signals`].
//!
//! A scan asks, all at once: MX and TXT of the domain, TXT of `_dmarc.<domain>` and TXT of
//! `<selector>._domainkey.<domain>` for each of [`parse::DKIM_SELECTORS`]. A transient failure
//! of the MX, SPF or DMARC question makes the scan `failed` — it is never read as "no MX".

pub mod parse;
pub mod provider;
pub mod resolver;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hickory_resolver::proto::rr::Name;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::error::Result;
pub use crate::model::{Provider, ScanStatus};
use crate::store::signals::SignalsRow;
use resolver::{Answer, Resolver};

/// What one scan found. For a `failed` scan only `domain`, `status` and `error` mean anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainScan {
    pub domain: String,
    pub status: ScanStatus,
    pub error: Option<String>,
    /// MX hosts in preference order, lower case, no trailing dots; empty for NODATA, null MX,
    /// NXDOMAIN.
    pub mx_hosts: Vec<String>,
    /// Registrable domain of the most preferred MX host.
    pub mx_root: Option<String>,
    /// None only for a failed scan.
    pub provider: Option<Provider>,
    pub gateway: Option<String>,
    pub local_provider: Option<String>,
    pub spf: bool,
    pub spf_record: Option<String>,
    pub spf_includes: Vec<String>,
    pub dkim: bool,
    pub dkim_selectors: Vec<String>,
    pub dmarc_policy: Option<String>,
    pub dmarc_coverage: Option<i32>,
}

impl DomainScan {
    fn empty(domain: &str, status: ScanStatus) -> DomainScan {
        DomainScan {
            domain: domain.to_string(),
            status,
            error: None,
            mx_hosts: Vec::new(),
            mx_root: None,
            provider: None,
            gateway: None,
            local_provider: None,
            spf: false,
            spf_record: None,
            spf_includes: Vec::new(),
            dkim: false,
            dkim_selectors: Vec::new(),
            dmarc_policy: None,
            dmarc_coverage: None,
        }
    }

    /// A scan that could not finish: the reason, provider NULL.
    pub fn failed(domain: &str, error: impl Into<String>) -> DomainScan {
        DomainScan {
            error: Some(error.into()),
            ..DomainScan::empty(domain, ScanStatus::Failed)
        }
    }

    /// A domain that does not exist: provider `Unknown`, no signals.
    pub fn nxdomain(domain: &str) -> DomainScan {
        DomainScan {
            provider: Some(provider::UNKNOWN),
            ..DomainScan::empty(domain, ScanStatus::Nxdomain)
        }
    }
}

/// A scan as its `domain_signals` row: a failed scan knows nothing, so its signals are NULL.
impl From<&DomainScan> for SignalsRow {
    fn from(scan: &DomainScan) -> SignalsRow {
        let known = scan.status != ScanStatus::Failed;
        let signal = |v| if known { Some(v) } else { None };
        SignalsRow {
            domain: scan.domain.clone(),
            scan_status: scan.status,
            scan_error: scan.error.clone(),
            mx_hosts: signal(scan.mx_hosts.clone()),
            mx_root: scan.mx_root.clone().filter(|_| known),
            provider: scan.provider.filter(|_| known),
            gateway: scan.gateway.clone().filter(|_| known),
            local_provider: scan.local_provider.clone().filter(|_| known),
            spf: known.then_some(scan.spf),
            spf_record: scan.spf_record.clone().filter(|_| known),
            dkim: known.then_some(scan.dkim),
            dkim_selectors: signal(scan.dkim_selectors.clone()),
            dmarc_policy: scan.dmarc_policy.clone().filter(|_| known),
            dmarc_coverage: scan.dmarc_coverage.filter(|_| known),
        }
    }
}

/// The answers one scan needs, as the resolver gave them.
pub struct Answers {
    pub mx: Answer<(u16, String)>,
    pub txt: Answer<String>,
    pub dmarc: Answer<String>,
    /// One per selector, in [`parse::DKIM_SELECTORS`] order.
    pub dkim: Vec<(&'static str, Answer<String>)>,
}

/// Turn the answers into a scan (pure): the outcome rules of pipeline.md §6.
pub fn assess(domain: &str, answers: Answers) -> DomainScan {
    let Answers {
        mx,
        txt,
        dmarc,
        dkim,
    } = answers;
    if mx == Answer::NxDomain {
        return DomainScan::nxdomain(domain);
    }
    let mx = match mx.records() {
        Ok(r) => r,
        Err(why) => return DomainScan::failed(domain, why),
    };
    let txt = match txt.records() {
        Ok(r) => r,
        Err(why) => return DomainScan::failed(domain, why),
    };
    let dmarc = match dmarc.records() {
        Ok(r) => parse::dmarc(&r),
        Err(why) => return DomainScan::failed(domain, why),
    };
    // A selector that fails transiently counts as not found.
    let dkim_selectors: Vec<String> = dkim
        .into_iter()
        .filter_map(|(selector, answer)| {
            let records = answer.records().ok()?;
            parse::dkim_present(&records).then(|| selector.to_string())
        })
        .collect();
    let mx_hosts = parse::mx_hosts(&mx);
    let spf = parse::spf(&txt);
    let spf_includes = spf.as_ref().map(|s| s.includes.clone()).unwrap_or_default();
    let verdict = provider::classify(&mx_hosts, &spf_includes);
    DomainScan {
        domain: domain.to_string(),
        status: ScanStatus::Success,
        error: None,
        mx_root: provider::mx_root(&mx_hosts),
        mx_hosts,
        provider: Some(verdict.provider),
        gateway: verdict.gateway.map(str::to_string),
        local_provider: verdict.local_provider.map(str::to_string),
        spf: spf.is_some(),
        spf_record: spf.map(|s| s.record),
        spf_includes,
        dkim: !dkim_selectors.is_empty(),
        dkim_selectors,
        dmarc_policy: dmarc.as_ref().map(|d| d.policy.clone()),
        dmarc_coverage: dmarc.map(|d| d.coverage),
    }
}

/// What the domain scan needs of the settings.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// `None`: the system's name servers.
    pub dns_servers: Option<Vec<std::net::SocketAddr>>,
    /// The time budget of one question.
    pub dns_timeout: Duration,
}

/// Scans domains over one resolver. Cheap to clone (the resolver is shared).
#[derive(Clone)]
pub struct Scanner {
    resolver: Resolver,
}

impl Scanner {
    /// A scanner asking `config.dns_servers` (or the system's name servers), each question
    /// within `config.dns_timeout`.
    pub fn new(config: &ScanConfig) -> Result<Scanner> {
        Ok(Scanner {
            resolver: Resolver::new(config.dns_servers.as_deref(), config.dns_timeout)?,
        })
    }

    /// Scan one domain (lower-case ASCII, no trailing dot); never fails: a failure is a
    /// `failed` scan with its reason.
    pub async fn scan(&self, domain: &str) -> DomainScan {
        let Some(apex) = fqdn(domain) else {
            return DomainScan::failed(domain, format!("{domain:?} is not a valid domain name"));
        };
        let Some(dmarc_name) = fqdn(&format!("_dmarc.{domain}")) else {
            return DomainScan::failed(domain, format!("{domain:?} is too long to scan"));
        };
        let r = &self.resolver;
        let dkim = parse::DKIM_SELECTORS.iter().map(|selector| async move {
            let answer = match fqdn(&format!("{selector}._domainkey.{domain}")) {
                Some(name) => r.txt(&name).await,
                None => Answer::NoData,
            };
            (*selector, answer)
        });
        let (mx, txt, dmarc, dkim) = tokio::join!(
            r.mx(&apex),
            r.txt(&apex),
            r.txt(&dmarc_name),
            join_all(dkim)
        );
        assess(
            domain,
            Answers {
                mx,
                txt,
                dmarc,
                dkim,
            },
        )
    }

    /// Scan many domains, `concurrency` at a time, in the order given; with `progress`, a
    /// progress bar on stderr. One scan per domain, in order.
    pub async fn scan_all(
        &self,
        domains: Vec<String>,
        concurrency: usize,
        progress: bool,
    ) -> Vec<DomainScan> {
        self.scan_until(domains, concurrency, progress, None).await
    }

    /// [`Scanner::scan_all`], except that no scan starts after `start_by`: the scans that
    /// started, in the order given. Scans start in that order, so the ones left out are the
    /// last.
    pub async fn scan_until(
        &self,
        domains: Vec<String>,
        concurrency: usize,
        progress: bool,
        start_by: Option<std::time::Instant>,
    ) -> Vec<DomainScan> {
        let bar = if progress {
            let bar = indicatif::ProgressBar::with_draw_target(
                Some(domains.len() as u64),
                indicatif::ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "scanning {bar:30} {pos}/{len} domains ({per_sec}, {eta})",
            ) {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        // Permits are handed out in the order asked (tokio's semaphore is fair), and the tasks
        // ask in the order spawned, so scans start in the order given.
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for (i, domain) in domains.iter().enumerate() {
            let scanner = self.clone();
            let permits = Arc::clone(&permits);
            let domain = domain.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                if start_by.is_some_and(|t| std::time::Instant::now() >= t) {
                    return (i, None);
                }
                (i, Some(scanner.scan(&domain).await))
            });
        }
        // None: not started; a task that stopped (a panic) counts as a failed scan.
        let mut results: Vec<Option<Option<DomainScan>>> = vec![None; domains.len()];
        while let Some(joined) = tasks.join_next().await {
            if let Ok((i, scan)) = joined {
                results[i] = Some(scan);
            }
            bar.inc(1);
        }
        bar.finish_and_clear();
        results
            .into_iter()
            .zip(domains)
            .filter_map(|(scan, domain)| match scan {
                Some(started) => started,
                None => Some(DomainScan::failed(&domain, "the scan task stopped")),
            })
            .collect()
    }
}

/// The name as an FQDN (trailing dot: no search domains), if it is a valid DNS name.
fn fqdn(name: &str) -> Option<Name> {
    if name.is_empty() || name.starts_with('.') || name.ends_with('.') {
        return None;
    }
    Name::from_ascii(format!("{name}.")).ok()
}

/// Await futures concurrently, results in order (the few DKIM questions of one scan).
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (fut, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(mx: Answer<(u16, String)>) -> Answers {
        Answers {
            mx,
            txt: Answer::NoData,
            dmarc: Answer::NxDomain,
            dkim: vec![("selector1", Answer::Transient("timed out".into()))],
        }
    }

    #[test]
    fn outcome_rules() {
        let s = assess("a.com", answers(Answer::NxDomain));
        assert_eq!(
            (s.status, s.provider),
            (ScanStatus::Nxdomain, Some(Provider::Unknown))
        );
        let s = assess(
            "a.com",
            answers(Answer::Transient("MX a.com.: timed out".into())),
        );
        assert_eq!((s.status, s.provider), (ScanStatus::Failed, None));
        let s = assess("a.com", answers(Answer::NoData));
        assert_eq!(s.status, ScanStatus::Success);
        assert_eq!(s.provider, Some(Provider::Unknown));
        assert!(!s.dkim && s.dmarc_policy.is_none());
        let mut a = answers(Answer::Records(vec![(10, "mx.a.com.".into())]));
        a.dmarc = Answer::Transient("SERVFAIL".into());
        assert_eq!(assess("a.com", a).status, ScanStatus::Failed);
    }

    #[test]
    fn fqdn_rejects_odd_names() {
        assert!(fqdn("").is_none());
        assert!(fqdn("a..b").is_none());
        assert!(fqdn(".a").is_none());
        assert!(fqdn("example.com").unwrap().is_fqdn());
    }
}
