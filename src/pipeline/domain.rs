//! Customer domain, pipeline.md §5: candidates in order, each normalised to a registrable
//! domain; the first accepted wins.
//!
//! A candidate's host is cut out of its text ([`host_of_email`], [`host_of_url`]) and kept as
//! written (`raw_domain`); the host is then normalised ([`normalize_host`]: NFC, zero-width
//! characters removed, dot variants, `İ`, UTS 46, validation) and reduced to its registrable
//! domain with the Public Suffix List ([`registrable_domain`]). Rejections are data:
//! [`CONSUMER_DOMAINS`], [`PLACEHOLDERS`].

use std::net::{Ipv4Addr, Ipv6Addr};

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use super::view::{at, elements, profile_ids, text};

/// Consumer mail domains (registrable form): never a company, whatever the source.
pub const CONSUMER_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "outlook.de",
    "hotmail.com",
    "hotmail.co.uk",
    "hotmail.de",
    "hotmail.fr",
    "hotmail.it",
    "hotmail.com.tr",
    "live.com",
    "live.co.uk",
    "msn.com",
    "yahoo.com",
    "yahoo.co.uk",
    "yahoo.de",
    "yahoo.fr",
    "yahoo.com.tr",
    "ymail.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "zoho.com",
    "mail.com",
    "gmx.com",
    "gmx.de",
    "web.de",
    "yandex.com",
    "yandex.ru",
    "mail.ru",
    "qq.com",
    "163.com",
    "mynet.com",
];

/// What people type when they have no website or address; compared with the whole
/// candidate text, the host and the registrable domain (lower case).
pub const PLACEHOLDERS: &[&str] = &[
    "n/a",
    "na",
    "none",
    "null",
    "nil",
    "undefined",
    "unknown",
    "website",
    "www",
    "tbd",
    "-",
    "yourdomain.com",
    "yourcompany.com",
    "noemail.com",
    "nomail.com",
    "none.com",
];

/// Website fields, in candidate order (§5 list 1).
const WEBSITE_FIELDS: &[&[&str]] = &[
    &["customerProfile", "website"],
    &["customerProfile", "companyWebsite"],
    &["website"],
    &["companyWebsite"],
    &["details", "website"],
];

/// Customer email fields before the customer team (§5 list 2) …
const EMAIL_FIELDS_BEFORE_TEAM: &[&[&str]] = &[
    &["contact", "email"],
    &["customerProfile", "primaryContact", "email"],
    &["details", "contact", "email"],
];
/// … the customer team (`customerProfile.team[].email`), then this one.
const EMAIL_FIELDS_AFTER_TEAM: &[&[&str]] = &[&["email"]];

/// Profile type of a `customerProfile.ids` entry that may be a URL or a domain (§5 list 3).
const EXTERNAL_PROFILE_TYPE: &str = "external";

/// Characters removed before anything else: they are invisible and never meant.
const ZERO_WIDTH: &[char] = &['\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}'];

/// How a candidate's host is cut out of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateKind {
    /// A URL or a bare host (websites, `External` ids).
    Url,
    /// An email address, possibly `mailto:` or `Name <addr>`.
    Email,
}

/// One candidate text with its kind, in §5's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub kind: CandidateKind,
    /// The field's text, as received.
    pub text: &'a str,
}

/// The accepted domain of one candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// Registrable domain, ASCII lower case.
    pub domain: String,
    /// The host exactly as written in the candidate.
    pub raw_host: String,
}

/// Everything §5 and §2 step 9 take from the candidates of one referral.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerDomain {
    pub domain: Option<String>,
    pub raw_domain: Option<String>,
    /// The address of the first email candidate (consumer or not).
    pub email: Option<String>,
    /// The first website candidate, as written.
    pub website: Option<String>,
}

/// §5 for one referral: the first accepted candidate, and the first email and website.
pub fn customer_domain(referral: &Value) -> CustomerDomain {
    let candidates = candidates(referral);
    let first = |kind| candidates.iter().find(|c| c.kind == kind);
    let mut out = CustomerDomain {
        email: first(CandidateKind::Email)
            .and_then(|c| email_address(c.text))
            .map(str::to_owned),
        website: website_candidates(referral).next().map(str::to_owned),
        ..CustomerDomain::default()
    };
    if let Some(found) = candidates
        .iter()
        .find_map(|c| normalize_candidate(c.text, c.kind))
    {
        out.domain = Some(found.domain);
        out.raw_domain = Some(found.raw_host);
    }
    out
}

/// The candidates of §5 in order: websites, customer emails, `External` ids. Never the
/// top-level `team[]` nor `inviteContext` (the partner's and Microsoft's people).
pub fn candidates(referral: &Value) -> Vec<Candidate<'_>> {
    let websites = website_candidates(referral).map(|text| Candidate {
        kind: CandidateKind::Url,
        text,
    });
    let emails = email_candidates(referral).map(|text| Candidate {
        kind: CandidateKind::Email,
        text,
    });
    let external = profile_ids(referral)
        .into_iter()
        .filter(|p| {
            p.profile_type
                .trim()
                .eq_ignore_ascii_case(EXTERNAL_PROFILE_TYPE)
        })
        .filter_map(|p| p.id.as_str())
        .filter(|t| !t.trim().is_empty())
        .map(|text| Candidate {
            kind: CandidateKind::Url,
            text,
        });
    websites.chain(emails).chain(external).collect()
}

fn website_candidates(referral: &Value) -> impl Iterator<Item = &str> {
    WEBSITE_FIELDS
        .iter()
        .filter_map(|path| text(referral, path))
}

/// Customer-side email texts in order; a value without `@` is not an email candidate.
fn email_candidates(referral: &Value) -> impl Iterator<Item = &str> {
    let before = EMAIL_FIELDS_BEFORE_TEAM
        .iter()
        .filter_map(|path| text(referral, path));
    let team = elements(at(referral, &["customerProfile", "team"]))
        .iter()
        .filter_map(|member| text(member, &["email"]));
    let after = EMAIL_FIELDS_AFTER_TEAM
        .iter()
        .filter_map(|path| text(referral, path));
    before.chain(team).chain(after).filter(|t| t.contains('@'))
}

/// Normalise one candidate text, detecting its kind: an `http(s)://` URL, else an email when
/// it has an `@`, else a bare host. `(domain, raw host)` when accepted.
pub fn normalize_domain(candidate: &str) -> Option<(String, String)> {
    let kind = if strip_http_scheme(candidate.trim()).is_some() || !candidate.contains('@') {
        CandidateKind::Url
    } else {
        CandidateKind::Email
    };
    normalize_candidate(candidate, kind).map(|n| (n.domain, n.raw_host))
}

/// Normalise one candidate of a known kind to its registrable domain, or reject it.
pub fn normalize_candidate(text: &str, kind: CandidateKind) -> Option<Normalized> {
    if is_placeholder(text) {
        return None;
    }
    let raw_host = match kind {
        CandidateKind::Email => host_of_email(text)?,
        CandidateKind::Url => host_of_url(text),
    };
    let host = normalize_host(raw_host)?;
    if !has_listed_suffix(&host) {
        return None;
    }
    let domain = registrable_domain(&host)?;
    if is_rejected_name(&host) || is_rejected_name(&domain) {
        return None;
    }
    Some(Normalized {
        domain,
        raw_host: raw_host.to_owned(),
    })
}

/// A consumer mail domain or a placeholder: never a company.
fn is_rejected_name(name: &str) -> bool {
    CONSUMER_DOMAINS.contains(&name) || PLACEHOLDERS.contains(&name)
}

fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    PLACEHOLDERS.iter().any(|p| text.eq_ignore_ascii_case(p))
}

/// Whether `domain` is a consumer mail domain (the list of §5).
pub fn is_consumer_domain(domain: &str) -> bool {
    CONSUMER_DOMAINS.contains(&domain)
}

/// The host of an email text: the part after the last `@`, with `mailto:` and the
/// `Name <addr>` wrapping removed. `None` without an `@` or with nothing after it.
pub fn host_of_email(text: &str) -> Option<&str> {
    let address = email_address(text)?;
    let (_, host) = address.rsplit_once('@')?;
    let host = host.trim();
    (!host.is_empty()).then_some(host)
}

/// The address of an email text, without `mailto:`, `Name <…>` and a `?query`.
pub fn email_address(text: &str) -> Option<&str> {
    let mut address = text.trim();
    if let Some(open) = address.rfind('<') {
        let inner = &address[open + 1..];
        address = inner.split('>').next().unwrap_or(inner);
    }
    address = address.trim();
    if address
        .get(..7)
        .is_some_and(|s| s.eq_ignore_ascii_case("mailto:"))
    {
        address = &address[7..];
    }
    address = address.split('?').next().unwrap_or(address).trim();
    (address.contains('@')).then_some(address)
}

/// The host of a URL or bare host: any case of `http`/`https` or no scheme; userinfo, port,
/// path, query and fragment dropped. An IPv6 literal keeps its brackets (and is rejected later).
pub fn host_of_url(text: &str) -> &str {
    let text = text.trim();
    let rest = strip_http_scheme(text).unwrap_or(text);
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.starts_with('[') {
        return host_port
            .find(']')
            .map_or(host_port, |end| &host_port[..=end]);
    }
    host_port
        .rsplit_once(':')
        .map_or(host_port, |(h, _)| h)
        .trim()
}

/// The text after an `http://` or `https://` scheme in any case.
fn strip_http_scheme(text: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|scheme| {
        let head = text.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| &text[scheme.len()..])
    })
}

/// Longest host text worth looking at (a DNS name is at most 253 octets; Unicode and
/// ignorable characters can make the written form longer, but not this long).
const MAX_HOST_INPUT: usize = 2048;

/// A host as written → its full ASCII form (not yet reduced), or `None` when rejected:
/// NFC, zero-width characters removed, `。．｡` read as `.`, `İ` read as `i`, UTS 46 ToASCII
/// (STD3 rules, no leading or trailing hyphen, DNS lengths), lower case, trailing dots removed;
/// then no IP address, at least two labels, only letters, digits and inner hyphens.
pub fn normalize_host(raw_host: &str) -> Option<String> {
    if raw_host.len() > MAX_HOST_INPUT || is_ip_literal(raw_host) {
        return None;
    }
    let without_zero_width: String = raw_host
        .chars()
        .filter(|c| !ZERO_WIDTH.contains(c))
        .collect();
    let prepared: String = without_zero_width
        .nfc()
        .map(|c| match c {
            '。' | '．' | '｡' => '.',
            'İ' => 'i',
            c => c,
        })
        .collect();
    let prepared = prepared.trim().trim_end_matches('.');
    let ascii = Uts46::new()
        .to_ascii(
            prepared.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::CheckFirstLast,
            DnsLength::Verify,
        )
        .ok()?;
    let host = ascii.trim_end_matches('.').to_ascii_lowercase();
    is_valid_host_name(&host).then_some(host)
}

/// Letters, digits and inner hyphens; 2+ labels of 1–63 octets; at most 253 octets; not an
/// IP address (a numeric last label is how an IPv4 address in any notation ends).
pub fn is_valid_host_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    host.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| is_valid_label(l))
        && !labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
        && host.parse::<Ipv4Addr>().is_err()
}

fn is_valid_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

fn is_ip_literal(host: &str) -> bool {
    let host = host.trim();
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    host.starts_with('[')
        || unbracketed.parse::<Ipv6Addr>().is_ok()
        || host.parse::<Ipv4Addr>().is_ok()
}

/// The registrable domain of an ASCII host by the Public Suffix List, both sections (a TLD
/// the list does not know is a public suffix by the list's `*` rule). `None` for a public
/// suffix itself or a name with an empty label. Case is ignored; the result is lower case.
pub fn registrable_domain(host_ascii: &str) -> Option<String> {
    let host = host_ascii.to_ascii_lowercase();
    if host.is_empty() || host.split('.').any(str::is_empty) {
        return None;
    }
    let domain = psl::domain(host.as_bytes())?;
    std::str::from_utf8(domain.as_bytes())
        .ok()
        .map(str::to_owned)
}

/// Whether the name ends in a suffix the Public Suffix List names (so not `.local`, `.test`,
/// `.invalid`, `.localhost`, `.example`, an internal `.corp` or a typo such as `.con`).
pub fn has_listed_suffix(host_ascii: &str) -> bool {
    let host = host_ascii.to_ascii_lowercase();
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known())
}

/// Whether an ASCII name is itself a public suffix (listed, or a bare unknown TLD).
pub fn is_public_suffix(host_ascii: &str) -> bool {
    let host = host_ascii.to_ascii_lowercase();
    psl::suffix(host.as_bytes()).is_some_and(|s| s.as_bytes() == host.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_url_drops_scheme_userinfo_port_path_query_fragment() {
        assert_eq!(host_of_url("https://u:p@Host.com:8443/a?b#c"), "Host.com");
        assert_eq!(host_of_url("HtTp://host.com"), "host.com");
        assert_eq!(host_of_url("//host.com/x"), "host.com");
        assert_eq!(host_of_url("host.com?x"), "host.com");
        assert_eq!(host_of_url("host.com#x"), "host.com");
        assert_eq!(host_of_url("host.com\\x"), "host.com");
        assert_eq!(host_of_url("  host.com  "), "host.com");
        assert_eq!(host_of_url("http://[::1]:80/"), "[::1]");
        assert_eq!(host_of_url("ftp://host.com"), "ftp");
    }

    #[test]
    fn email_address_unwraps_mailto_and_names() {
        assert_eq!(email_address("\"A B\" <a@b.com>"), Some("a@b.com"));
        assert_eq!(email_address("MailTo:a@b.com?subject=x"), Some("a@b.com"));
        assert_eq!(email_address("a.b.com"), None);
        assert_eq!(host_of_email("a@b@c.com"), Some("c.com"));
        assert_eq!(host_of_email("a@"), None);
    }

    #[test]
    fn normalize_host_reads_variants_and_rejects_what_is_no_host_name() {
        assert_eq!(
            normalize_host("İZMİR.com.tr").as_deref(),
            Some("izmir.com.tr")
        );
        assert_eq!(normalize_host("a\u{200C}b.com").as_deref(), Some("ab.com"));
        assert_eq!(
            normalize_host("ÖRNEK.com.tr...").as_deref(),
            Some("xn--rnek-4qa.com.tr")
        );
        assert_eq!(normalize_host("ab--cd.com").as_deref(), Some("ab--cd.com"));
        for bad in [
            "",
            ".",
            "com",
            "a..b",
            ".a.com",
            "-a.com",
            "a-.com",
            "a_b.com",
            "a b.com",
            "1.2.3.4",
            "1.2",
            "a.123",
            "::1",
            "[::1]",
            "xn--zz.com",
        ] {
            assert_eq!(normalize_host(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_suffix_list_has_both_sections_and_our_extra_rules() {
        assert_eq!(
            registrable_domain("a.b.github.io").as_deref(),
            Some("b.github.io")
        );
        assert_eq!(
            registrable_domain("WWW.Contoso.CO.UK").as_deref(),
            Some("contoso.co.uk")
        );
        assert_eq!(registrable_domain("co.uk"), None);
        assert!(
            is_public_suffix("github.io")
                && is_public_suffix("com.tr")
                && !is_public_suffix("a.com")
        );
        assert!(has_listed_suffix("a.com.tr") && !has_listed_suffix("a.local"));
    }

    #[test]
    fn placeholders_and_consumers_are_rejected_after_reduction() {
        assert_eq!(
            normalize_candidate("www.yourcompany.com", CandidateKind::Url),
            None
        );
        assert_eq!(
            normalize_candidate("a@mail.GMAIL.com", CandidateKind::Email),
            None
        );
        assert_eq!(normalize_candidate("NONE", CandidateKind::Url), None);
        assert!(is_consumer_domain("mynet.com") && !is_consumer_domain("contoso.com"));
    }
}
