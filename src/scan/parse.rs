//! Reading DNS answers as mail signals (pipeline.md §6). Pure: values in, values out.

/// The DKIM selectors tried for every domain, in this order.
pub const DKIM_SELECTORS: &[&str] = &[
    "selector1",
    "selector2",
    "google",
    "default",
    "k1",
    "s1",
    "s2",
    "dkim",
    "mail",
];

/// MX hosts in preference order (smallest first, ties by name), lower case, without trailing
/// dots, each once. A null MX (`0 .`, RFC 7505) is no host: a domain whose only MX is null
/// receives no mail and gets an empty list.
pub fn mx_hosts(records: &[(u16, String)]) -> Vec<String> {
    let mut hosts: Vec<(u16, String)> = records
        .iter()
        .map(|(pref, host)| (*pref, host.trim_end_matches('.').to_ascii_lowercase()))
        .filter(|(_, host)| !host.is_empty())
        .collect();
    hosts.sort();
    let mut out: Vec<String> = Vec::with_capacity(hosts.len());
    for (_, host) in hosts {
        if !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

/// An SPF record found in the domain's TXT records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spf {
    /// The record as published (its strings joined).
    pub record: String,
    /// The `include:` targets in record order, lower case, without trailing dots.
    pub includes: Vec<String>,
}

/// The SPF record when exactly one TXT record starts with `v=spf1` (any case) followed by a
/// space or the end; none when there is no such record or more than one (RFC 7208 §4.5).
pub fn spf(txt_records: &[String]) -> Option<Spf> {
    let mut candidates = txt_records.iter().filter(|r| is_spf(r));
    let record = candidates.next()?;
    if candidates.next().is_some() {
        return None;
    }
    Some(Spf {
        record: record.clone(),
        includes: spf_includes(record),
    })
}

fn is_spf(record: &str) -> bool {
    let r = record.as_bytes();
    r.len() >= 6 && r[..6].eq_ignore_ascii_case(b"v=spf1") && (r.len() == 6 || r[6] == b' ')
}

/// `include:` mechanisms (with any qualifier `+-~?`) in order.
fn spf_includes(record: &str) -> Vec<String> {
    record
        .split_ascii_whitespace()
        .skip(1)
        .filter_map(|term| {
            let term = term.trim_start_matches(['+', '-', '~', '?']);
            let (mechanism, target) = term.split_once(':')?;
            mechanism.eq_ignore_ascii_case("include").then_some(())?;
            let target = target.trim_end_matches('.').to_ascii_lowercase();
            (!target.is_empty()).then_some(target)
        })
        .collect()
}

/// A DMARC record's policy, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dmarc {
    /// `none`, `quarantine` or `reject` (`p`; missing or unknown → `none`).
    pub policy: String,
    /// `pct`, clamped to 0–100; 100 when absent or unreadable.
    pub coverage: i32,
    /// `sp`, the subdomain policy, lower case as written; kept apart from `policy`.
    pub subdomain_policy: Option<String>,
}

/// The DMARC record among the TXT records of `_dmarc.<domain>`: the one record whose first tag
/// is `v=DMARC1`. None when there is no such record, or more than one (RFC 7489 §6.6.3).
pub fn dmarc(txt_records: &[String]) -> Option<Dmarc> {
    let mut records = txt_records.iter().filter(|r| is_dmarc(r));
    let record = records.next()?;
    if records.next().is_some() {
        return None;
    }
    let mut policy = None;
    let mut coverage = None;
    let mut subdomain_policy = None;
    for (key, value) in tags(record) {
        match key.as_str() {
            "p" if policy.is_none() => policy = Some(policy_name(&value)),
            "pct" if coverage.is_none() => coverage = value.parse::<i64>().ok(),
            "sp" if subdomain_policy.is_none() => subdomain_policy = Some(value.to_lowercase()),
            _ => {}
        }
    }
    Some(Dmarc {
        policy: policy.unwrap_or("none").to_string(),
        coverage: coverage.map(|c| c.clamp(0, 100) as i32).unwrap_or(100),
        subdomain_policy,
    })
}

fn is_dmarc(record: &str) -> bool {
    tags(record)
        .next()
        .is_some_and(|(k, v)| k == "v" && v.eq_ignore_ascii_case("DMARC1"))
}

fn policy_name(value: &str) -> &'static str {
    match value.to_ascii_lowercase().as_str() {
        "quarantine" => "quarantine",
        "reject" => "reject",
        _ => "none",
    }
}

/// `;`-separated `tag=value` pairs, tags lower case, both trimmed; empty parts skipped.
fn tags(record: &str) -> impl Iterator<Item = (String, String)> + '_ {
    record.split(';').filter_map(|part| {
        let (k, v) = part.split_once('=')?;
        let k = k.trim().to_ascii_lowercase();
        (!k.is_empty()).then(|| (k, v.trim().to_string()))
    })
}

/// Whether a selector's TXT records hold a DKIM key: a non-empty `p=` (an empty `p=` is a
/// revoked key), or `v=DKIM1` in a record without a `p` tag.
pub fn dkim_present(txt_records: &[String]) -> bool {
    txt_records.iter().any(|record| {
        let mut version = false;
        let mut key: Option<bool> = None;
        for (k, v) in tags(record) {
            match k.as_str() {
                "v" => version |= v.eq_ignore_ascii_case("DKIM1"),
                // Keys may be folded over several strings with spaces inside.
                "p" => key = Some(!v.chars().all(char::is_whitespace)),
                _ => {}
            }
        }
        key.unwrap_or(version)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mx_order_ties_and_null() {
        let r = vec![
            (20, "b.example.".to_string()),
            (10, "Z.example.".to_string()),
            (10, "a.example.".to_string()),
        ];
        assert_eq!(mx_hosts(&r), s(&["a.example", "z.example", "b.example"]));
        assert!(mx_hosts(&[(0, ".".to_string())]).is_empty());
    }

    #[test]
    fn spf_rules() {
        assert!(spf(&s(&["v=spf1 -all", "v=spf1 mx -all"])).is_none());
        assert!(spf(&s(&["v=spf10 -all"])).is_none());
        let one = spf(&s(&[
            "google-site-verification=x",
            "V=SPF1 include:A.com. ~include:b.com -all",
        ]))
        .unwrap();
        assert_eq!(one.includes, s(&["a.com", "b.com"]));
        assert!(spf(&s(&["v=spf1"])).is_some());
    }

    #[test]
    fn dmarc_rules() {
        let d = |r: &str| dmarc(&s(&[r]));
        assert_eq!(d("v=DMARC1; p=reject; sp=none").unwrap().policy, "reject");
        assert_eq!(d("v=DMARC1;p=Reject").unwrap().policy, "reject");
        assert_eq!(d("v=DMARC1; p=none; pct=50").unwrap().coverage, 50);
        assert_eq!(d("v=DMARC1; p=none; pct=150").unwrap().coverage, 100);
        assert_eq!(d("v=DMARC1; p=none; pct=-5").unwrap().coverage, 0);
        assert_eq!(d("v=DMARC1; rua=mailto:x@y").unwrap().policy, "none");
        assert_eq!(d("v=DMARC1; p=bogus").unwrap().policy, "none");
        assert!(d("p=reject").is_none());
        assert!(dmarc(&[]).is_none());
    }

    #[test]
    fn dkim_rules() {
        assert!(dkim_present(&s(&["v=DKIM1; k=rsa; p=MIGf"])));
        assert!(dkim_present(&s(&["k=rsa; p=MIGf"])));
        assert!(!dkim_present(&s(&["v=DKIM1; p="])));
        assert!(dkim_present(&s(&["v=DKIM1; k=rsa"])));
        assert!(!dkim_present(&s(&["some other text"])));
    }
}
