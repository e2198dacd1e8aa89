//! Domain types spelled once: category, provider, scan status, segment, link status, run status
//! and run source. Each value has one spelling ([`as_str`](Provider::as_str), also what the
//! tables store and the JSON prints); reading a name back ([`FromStr`], any case, surrounding
//! spaces ignored) fails on a name that is not one of them, so a typo is an error, never a
//! silent default.
//!
//! The rule "an Azure tenant id means Microsoft 365" is [`company_provider`]; SQL gets names
//! such as `M365` and `co-sell` as bound parameters from here, never as literals.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::error::Error;

/// A name that is none of a domain type's values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being read (`provider`, `segment`, …).
    pub what: &'static str,
    pub given: String,
    /// The names that would have been accepted.
    pub known: Vec<&'static str>,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?}; known: {}",
            self.what,
            self.given,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// An unknown name read from the database or a file: the data is not what this hunter-pc
/// writes (exit 1). Input from the command line is a usage error instead (its callers say so).
impl From<UnknownName> for Error {
    fn from(e: UnknownName) -> Self {
        Error::failure(e.to_string())
    }
}

/// An enum whose values are names: `ALL`, `as_str`, `Display`, `FromStr` (any case), and
/// `Serialize` as the name.
macro_rules! names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$($text),+].len()] = [$($name::$variant),+];

            /// The one spelling of the value (stored, printed and parsed).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, UnknownName> {
                let name = s.trim();
                $name::ALL
                    .into_iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(name))
                    .ok_or_else(|| UnknownName {
                        what: $what,
                        given: s.to_string(),
                        known: $name::ALL.iter().map(|v| v.as_str()).collect(),
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

names! {
    /// A referral's category (`referral_type`, pipeline.md §3); a referral no rule matches has
    /// none (NULL).
    pub enum Category ("referral type") {
        CoSell = "co-sell",
        Marketplace = "marketplace",
        SolutionProvider = "solution-provider",
    }
}

names! {
    /// The mail provider of a domain (pipeline.md §6), as `domain_signals.provider` and
    /// `companies.provider` store it.
    pub enum Provider ("provider") {
        M365 = "M365",
        Google = "Google",
        Yandex = "Yandex",
        Zoho = "Zoho",
        Amazon = "Amazon",
        SendGrid = "SendGrid",
        Mailgun = "Mailgun",
        Hosting = "Hosting",
        /// Any MX host no rule names.
        Local = "Local",
        /// No MX (NODATA, null MX, NXDOMAIN).
        Unknown = "Unknown",
    }
}

/// A company's provider (pipeline.md §4, §8 rule 1): when any referral of its domain carries
/// an Azure tenant id, the company is a Microsoft 365 customer, whatever its mail records say;
/// otherwise the provider its mail says (`by_mail`, none before a scan).
///
/// The one place this rule is written. Rust calls it; SQL that applies the rule per row gets
/// `company_provider(true, None)` as a bound parameter.
pub fn company_provider(has_tenant_id: bool, by_mail: Option<Provider>) -> Option<Provider> {
    if has_tenant_id {
        Some(Provider::M365)
    } else {
        by_mail
    }
}

names! {
    /// How a domain scan ended (`domain_signals.scan_status`).
    pub enum ScanStatus ("scan status") {
        /// Every needed question was answered.
        Success = "success",
        /// A needed question failed transiently; nothing is known.
        Failed = "failed",
        /// The domain does not exist.
        Nxdomain = "nxdomain",
    }
}

impl ScanStatus {
    /// `success` and `nxdomain` are completed scans, not repeated without `--rescan`.
    pub fn is_completed(self) -> bool {
        !matches!(self, ScanStatus::Failed)
    }
}

/// Hunter's `domain_signals.scan_status` values as hunter-pc reads them (hunter-database.md
/// §4): these are completed scans (`completed` is what Hunter's single-domain scan writes;
/// `whois_failed` means its DNS part succeeded)…
pub const HUNTER_SCAN_COMPLETED: [&str; 3] = ["success", "completed", "whois_failed"];
/// …this one reads as NXDOMAIN, and any other value (`dns_timeout`, `pending`, …) is not a
/// completed scan.
pub const HUNTER_SCAN_NXDOMAIN: &str = "invalid_domain";
/// What hunter-pc writes into `domain_signals.scan_status` after its own completed scan (also
/// for NXDOMAIN: Hunter reads a domain without MX that way)…
pub const HUNTER_SCAN_SUCCESS: &str = "success";
/// …and after a transient failure, when the domain has no signals row at all.
pub const HUNTER_SCAN_TIMEOUT: &str = "dns_timeout";

names! {
    /// Lead segment (pipeline.md §8 rule 6), `lead_scores.segment`.
    pub enum Segment ("segment") {
        Existing = "Existing",
        Migration = "Migration",
        Cold = "Cold",
        Skip = "Skip",
    }
}

names! {
    /// Whether a tracking row is linked to the company of its domain
    /// (`partner_center_referrals.link_status`).
    pub enum LinkStatus ("link status") {
        /// Linked by the sync to the company of the referral's domain.
        AutoLinked = "auto_linked",
        /// No customer domain: no company.
        Unlinked = "unlinked",
    }
}

impl LinkStatus {
    /// A referral with a customer domain is linked to its company.
    pub fn for_domain(has_domain: bool) -> LinkStatus {
        if has_domain {
            LinkStatus::AutoLinked
        } else {
            LinkStatus::Unlinked
        }
    }
}

names! {
    /// How a sync run ended (cli.md, "Status and exit code"); `sync_runs.status`.
    pub enum RunStatus ("run status") {
        Running = "running",
        Ok = "ok",
        Partial = "partial",
        Failed = "failed",
        Skipped = "skipped",
        Disabled = "disabled",
        Locked = "locked",
        Incomplete = "incomplete",
        /// Stopped by SIGTERM or SIGINT after the page in flight committed or rolled back.
        Interrupted = "interrupted",
    }
}

names! {
    /// Where a sync read its referrals (`sync_runs.source`).
    pub enum RunSource ("run source") {
        Api = "api",
        File = "file",
    }
}

/// `raw_leads.source` of the leads a sync inserts.
pub const RAW_LEAD_SOURCE: &str = "partnercenter";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_in_any_case_and_unknown_names_are_errors() {
        assert_eq!("google".parse::<Provider>(), Ok(Provider::Google));
        assert_eq!(" M365 ".parse::<Provider>(), Ok(Provider::M365));
        let e = "Exotic".parse::<Provider>().unwrap_err();
        assert_eq!(e.what, "provider");
        assert!(e.to_string().contains("Exotic") && e.to_string().contains("SendGrid"));
        assert_eq!("cold".parse::<Segment>(), Ok(Segment::Cold));
        assert!("Frozen".parse::<Segment>().is_err());
        assert!("succeeded".parse::<ScanStatus>().is_err());
        assert!("co sell".parse::<Category>().is_err());
        assert_eq!(Error::from(e).kind, crate::error::Kind::Failure);
    }

    #[test]
    fn every_name_round_trips() {
        fn check<T: FromStr<Err = UnknownName> + Copy + PartialEq + fmt::Debug>(
            all: &[T],
            name: impl Fn(T) -> &'static str,
        ) {
            for v in all {
                assert_eq!(name(*v).parse::<T>(), Ok(*v));
                assert_eq!(name(*v).to_uppercase().parse::<T>(), Ok(*v));
            }
        }
        check(&Category::ALL, Category::as_str);
        check(&Provider::ALL, Provider::as_str);
        check(&ScanStatus::ALL, ScanStatus::as_str);
        check(&Segment::ALL, Segment::as_str);
        check(&LinkStatus::ALL, LinkStatus::as_str);
        check(&RunStatus::ALL, RunStatus::as_str);
        check(&RunSource::ALL, RunSource::as_str);
        assert_eq!(
            serde_json::to_value(RunStatus::Interrupted).unwrap(),
            "interrupted"
        );
        assert_eq!(Category::CoSell.to_string(), "co-sell");
    }

    #[test]
    fn a_tenant_id_means_m365() {
        assert_eq!(
            company_provider(true, Some(Provider::Google)),
            Some(Provider::M365)
        );
        assert_eq!(company_provider(true, None), Some(Provider::M365));
        assert_eq!(
            company_provider(false, Some(Provider::Google)),
            Some(Provider::Google)
        );
        assert_eq!(company_provider(false, None), None);
    }
}
