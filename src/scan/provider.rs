//! Which mail provider a domain uses, from its most preferred MX host (pipeline.md §6).
//!
//! Every rule is a row of one of the tables below; changing a rule is one edit here.

pub use crate::model::Provider;

/// What an MX host suffix says about the domain's mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mx {
    /// The mail is hosted by this provider.
    Provider(Provider),
    /// A filtering gateway (named) sits in front of the real provider.
    Gateway(&'static str),
}

/// MX host suffixes (whole labels, lower case) and what they mean. Any other host is `Local`.
const MX_RULES: &[(&str, Mx)] = &[
    ("mail.protection.outlook.com", Mx::Provider(Provider::M365)),
    ("mx.microsoft", Mx::Provider(Provider::M365)),
    ("olc.protection.outlook.com", Mx::Provider(Provider::M365)),
    ("outlook.com", Mx::Provider(Provider::M365)),
    ("aspmx.l.google.com", Mx::Provider(Provider::Google)),
    ("googlemail.com", Mx::Provider(Provider::Google)),
    ("smtp.google.com", Mx::Provider(Provider::Google)),
    ("google.com", Mx::Provider(Provider::Google)),
    ("gmail.com", Mx::Provider(Provider::Google)),
    ("yandex.ru", Mx::Provider(Provider::Yandex)),
    ("yandex.net", Mx::Provider(Provider::Yandex)),
    ("zoho.com", Mx::Provider(Provider::Zoho)),
    ("zoho.eu", Mx::Provider(Provider::Zoho)),
    ("zoho.in", Mx::Provider(Provider::Zoho)),
    ("zohomail.com", Mx::Provider(Provider::Zoho)),
    ("amazonses.com", Mx::Provider(Provider::Amazon)),
    ("amazonaws.com", Mx::Provider(Provider::Amazon)),
    ("sendgrid.net", Mx::Provider(Provider::SendGrid)),
    ("mailgun.org", Mx::Provider(Provider::Mailgun)),
    ("mailgun.com", Mx::Provider(Provider::Mailgun)),
    ("cpanel.net", Mx::Provider(Provider::Hosting)),
    ("plesk.com", Mx::Provider(Provider::Hosting)),
    ("hostgator.com", Mx::Provider(Provider::Hosting)),
    ("godaddy.com", Mx::Provider(Provider::Hosting)),
    ("secureserver.net", Mx::Provider(Provider::Hosting)),
    ("bluehost.com", Mx::Provider(Provider::Hosting)),
    ("hostinger.com", Mx::Provider(Provider::Hosting)),
    ("mimecast.com", Mx::Gateway("Mimecast")),
    ("pphosted.com", Mx::Gateway("Proofpoint")),
    ("ppe-hosted.com", Mx::Gateway("Proofpoint")),
    ("barracudanetworks.com", Mx::Gateway("Barracuda")),
    ("messagelabs.com", Mx::Gateway("Symantec")),
    ("iphmx.com", Mx::Gateway("Cisco")),
    ("trendmicro.com", Mx::Gateway("Trend Micro")),
    ("trendmicro.eu", Mx::Gateway("Trend Micro")),
    ("mailcontrol.com", Mx::Gateway("Forcepoint")),
];

/// How an SPF include is matched.
#[derive(Debug, Clone, Copy)]
enum Include {
    /// The include is this name.
    Is(&'static str),
    /// The include contains this text anywhere.
    Contains(&'static str),
}

/// SPF includes that name the provider behind a gateway, tried in this order for each include.
const SPF_INCLUDE_RULES: &[(Include, Provider)] = &[
    (Include::Is("spf.protection.outlook.com"), Provider::M365),
    (Include::Is("_spf.google.com"), Provider::Google),
    (Include::Contains("zoho"), Provider::Zoho),
    (Include::Contains("yandex"), Provider::Yandex),
    (Include::Contains("amazonses"), Provider::Amazon),
    (Include::Contains("sendgrid"), Provider::SendGrid),
    (Include::Contains("mailgun"), Provider::Mailgun),
];

/// Known Turkish hosting companies, by MX host suffix, named for `Local` domains.
const LOCAL_PROVIDER_RULES: &[(&str, &str)] = &[
    ("turkhost.com.tr", "TürkHost"),
    ("natro.com", "Natro"),
    ("natrohost.com", "Natro"),
    ("turhost.com", "Turhost"),
    ("superonline.net", "Superonline"),
    ("ttnet.com.tr", "TTNET"),
    ("dns.com.tr", "DNS"),
    ("isimtescil.net", "İsimtescil"),
    ("vit.com.tr", "VIT"),
    ("kriweb.com", "Kriweb"),
    ("bulutino.com", "Bulutino"),
];

/// Provider for a domain with no MX (NODATA, null MX, NXDOMAIN).
pub const UNKNOWN: Provider = Provider::Unknown;
/// Provider for any MX host no rule names.
pub const LOCAL: Provider = Provider::Local;

/// The provider picture of one domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub provider: Provider,
    /// The filtering gateway in front, when the MX is one.
    pub gateway: Option<&'static str>,
    /// The known local hosting company, when the provider is `Local`.
    pub local_provider: Option<&'static str>,
}

/// The verdict from the most preferred MX host (`mx_hosts` already in preference order, ties
/// broken by name) and the SPF includes in record order.
pub fn classify(mx_hosts: &[String], spf_includes: &[String]) -> Verdict {
    let Some(host) = mx_hosts.first() else {
        return Verdict {
            provider: UNKNOWN,
            gateway: None,
            local_provider: None,
        };
    };
    let host = host.to_ascii_lowercase();
    match MX_RULES
        .iter()
        .find(|(suffix, _)| ends_with_labels(&host, suffix))
    {
        Some((_, Mx::Provider(p))) => Verdict {
            provider: *p,
            gateway: None,
            local_provider: None,
        },
        Some((_, Mx::Gateway(g))) => Verdict {
            provider: provider_behind_gateway(spf_includes),
            gateway: Some(g),
            local_provider: None,
        },
        None => Verdict {
            provider: LOCAL,
            gateway: None,
            local_provider: local_provider(&host),
        },
    }
}

/// The provider named by the first SPF include, in record order, that names one; else Local.
fn provider_behind_gateway(spf_includes: &[String]) -> Provider {
    spf_includes
        .iter()
        .find_map(|include| {
            let include = include.to_ascii_lowercase();
            SPF_INCLUDE_RULES
                .iter()
                .find(|(rule, _)| match rule {
                    Include::Is(name) => include == *name,
                    Include::Contains(text) => include.contains(text),
                })
                .map(|(_, provider)| *provider)
        })
        .unwrap_or(LOCAL)
}

fn local_provider(host: &str) -> Option<&'static str> {
    LOCAL_PROVIDER_RULES
        .iter()
        .find(|(suffix, _)| ends_with_labels(host, suffix))
        .map(|(_, name)| *name)
}

/// `host` is `suffix` or ends with `.suffix` (whole labels: `notoutlook.com` is not `outlook.com`).
fn ends_with_labels(host: &str, suffix: &str) -> bool {
    host == suffix
        || host
            .strip_suffix(suffix)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// The registrable domain of the most preferred MX host, by the Public Suffix List.
pub fn mx_root(mx_hosts: &[String]) -> Option<String> {
    let host = mx_hosts.first()?;
    psl::domain_str(host).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(h: &[&str]) -> Vec<String> {
        h.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn whole_labels_only() {
        assert!(ends_with_labels("a.outlook.com", "outlook.com"));
        assert!(ends_with_labels("outlook.com", "outlook.com"));
        assert!(!ends_with_labels("notoutlook.com", "outlook.com"));
        assert_eq!(classify(&v(&["mx.notoutlook.com"]), &[]).provider, LOCAL);
    }

    #[test]
    fn gateway_without_named_include_is_local() {
        let g = classify(
            &v(&["eu-smtp-inbound-1.mimecast.com"]),
            &v(&["spf.example.net"]),
        );
        assert_eq!(g.provider, LOCAL);
        assert_eq!(g.gateway, Some("Mimecast"));
        assert_eq!(g.local_provider, None);
    }

    #[test]
    fn first_naming_include_wins() {
        let g = classify(
            &v(&["mx1.pphosted.com"]),
            &v(&[
                "spf.example.net",
                "_spf.google.com",
                "spf.protection.outlook.com",
            ]),
        );
        assert_eq!(
            (g.provider, g.gateway),
            (Provider::Google, Some("Proofpoint"))
        );
    }

    #[test]
    fn mx_root_by_psl() {
        assert_eq!(
            mx_root(&v(&["contoso-com.mail.protection.outlook.com"])).as_deref(),
            Some("outlook.com")
        );
        assert_eq!(
            mx_root(&v(&["mx.example.co.uk"])).as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(mx_root(&[]), None);
    }
}
