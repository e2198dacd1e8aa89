//! The bundled examples say what they were written to say: every referral of
//! `examples/referrals.json` extracts to the category, tenant id and domain intended for it
//! (pipeline.md §3–§5), and every example domain, scanned over loopback DNS from
//! `examples/zones/` and scored, gets the provider, segment and score intended for it (§6, §8).
//! No database: extraction and scoring are pure; the scans go to the loopback DNS server only.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use hunter_pc::config::{Flags, Settings};
use hunter_pc::model::Category;
use hunter_pc::pipeline::extract::{Extracted, extract};
use hunter_pc::scan::{DomainScan, ScanStatus, Scanner};
use hunter_pc::score::{
    DmarcPolicy, Provider, ScanOutcome, ScoreConfig, ScoreInput, Signals, score, spf_include_count,
};
use serde_json::Value;
use support::dns::{DnsServer, Zones};

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The referrals of `examples/referrals.json` in file order (an API page object).
fn example_referrals() -> Vec<Value> {
    let path = examples_dir().join("referrals.json");
    let text = std::fs::read_to_string(&path).expect("read examples/referrals.json");
    let page: Value = serde_json::from_str(&text).expect("examples/referrals.json is JSON");
    assert!(
        page.get("@odata.context").is_some(),
        "the examples are an API page object"
    );
    page["value"].as_array().expect("a value array").clone()
}

/// What one example referral must extract to. `raw_domain` is checked where it is telling
/// (case, `www.`, a subdomain or Unicode kept as written).
struct Intended {
    id: &'static str,
    direction: &'static str,
    category: Option<&'static str>,
    tenant: Option<&'static str>,
    domain: Option<&'static str>,
    raw_domain: Option<&'static str>,
}

const fn i(
    id: &'static str,
    direction: &'static str,
    category: Option<&'static str>,
    tenant: Option<&'static str>,
    domain: Option<&'static str>,
    raw_domain: Option<&'static str>,
) -> Intended {
    Intended {
        id,
        direction,
        category,
        tenant,
        domain,
        raw_domain,
    }
}

const IN: &str = "incoming";
const OUT: &str = "outgoing";
const CO: Option<&str> = Some("co-sell");
const MP: Option<&str> = Some("marketplace");
const SP: Option<&str> = Some("solution-provider");
const NONE: Option<&str> = None;

/// One entry per referral occurrence of `examples/referrals.json`, in file order, with what it
/// was written to show (§3 row, §4 form, §5 source). Columns: id, direction, category, Azure
/// tenant id, domain, raw_domain.
#[rustfmt::skip]
const INTENDED: &[Intended] = &[
    // §3.1 referralType Co-Sell; §5 customerProfile.website
    i("bdc27a54-a204-5678-a407-804c46b624b5", IN, CO, None,
      Some("anadolutekstil.com.tr"), None),
    // §3.4 type Shared; §5 customerProfile.team[].email
    i("75d6a7d1-2ad0-57e3-b378-819a5ca5bda3", IN, CO, None,
      Some("anadolutekstil.com.tr"), None),
    // §3.2 details.type Marketplace; bare host website
    i("9039df37-1a4e-5e48-b6c1-91d6a4c837e5", IN, MP, None,
      Some("ege-lojistik.com.tr"), None),
    // §3.2 source Azure Marketplace; §5 website, port and path
    i("ae20d1b9-a796-5eda-99b7-1ae8fce0955f", IN, MP, None,
      Some("ege-lojistik.com.tr"), Some("Ege-Lojistik.com.tr")),
    // §3.3 category Solution Provider; §5 customerProfile.companyWebsite
    i("98fc8ce6-5b59-5837-94d8-cfdc42682b80", IN, SP, None,
      Some("karadenizgida.com.tr"), Some("www.karadenizgida.com.tr")),
    // §3.3 source SP (exactly sp); §5 website
    i("c93ef8b0-521c-573d-8c9e-5d8c4f335bee", IN, SP, None,
      Some("alpen-consulting.de"), None),
    // §3.4 type Shared; §5 companyWebsite
    i("3a89b2a1-517b-515e-aa2a-1e42582bc67d", IN, CO, None,
      Some("marmarainsaat.com.tr"), None),
    // §3.5 invited by another partner; §5 details.website, IDN örnek
    i("103b3dc8-7025-5aea-b7c8-bb450df5d037", IN, CO, None,
      Some("xn--rnek-4qa.com.tr"), Some("WWW.ÖRNEK.COM.TR")),
    // §3.6 SalesQualified; §5 contact.email as Name <addr>, with İ
    i("2dfafcb5-129c-5cd7-9e15-797a650e8ac6", IN, CO, None,
      Some("ipekyolu.com.tr"), Some("İPEKYOLU.com.tr")),
    // §3.7 referralSource and callToAction; §5 primaryContact.email
    i("f327f230-a3dc-5459-b27c-fbf94dbe7c2d", IN, MP, None,
      Some("izmirmakina.com.tr"), None),
    // §3.8 MarketingQualified; §5 details.contact.email
    i("d3367604-f270-5d0e-a76c-24972b8e0148", IN, MP, None,
      Some("nordwind-versicherung.de"), None),
    // §3.9 Direct; §5 team[0] gmail rejected, team[1] wins
    i("2ade0b71-2bfc-5eff-b762-8396bf3770c0", IN, SP, None,
      Some("denizyatcilik.com.tr"), None),
    // §3 none (Independent, None); §5 top-level email
    i("14fae3f6-9e0e-576e-997e-73b3f772c603", IN, NONE, None,
      Some("kapadokya-turizm.com.tr"), None),
    // §3 none (invited by msft only); §5 External id, array form
    i("f50aeb29-5be9-5099-92c6-85bb4dea1faa", IN, NONE, None,
      Some("vistula-logistics.pl"), Some("www.vistula-logistics.pl")),
    // §3.1 type as a label, Co_Sell; §4 ids object; §5 External id, object form
    i("38467a5b-b0be-53c6-b2af-eec4fca87ec7", IN, CO, Some("5a0c7d2e-93b1-4f6a-b8e4-0d2c9f1a7e35"),
      Some("lyon-cosmetiques.fr"), None),
    // §3.4 Shared; §4 top-level azureTenantId; IDN boğaziçi
    i("180bf739-626a-5ab7-8461-42801e9d91c5", IN, CO, Some("c1e6b7a4-2f3d-4e8a-9b5c-7d1f0e2a3b46"),
      Some("xn--boaziienerji-odb49e.com.tr"), Some("www.boğaziçienerji.com.tr")),
    // §3.9 Direct; §4 invalid azureTenantId, then upper-case customerProfile.azureTenantId
    i("a7bff732-d97e-56e8-83a9-6afedba6463c", IN, SP, Some("c1e6b7a4-2f3d-4e8a-9b5c-7d1f0e2a3b46"),
      Some("xn--boaziienerji-odb49e.com.tr"), None),
    // §3.8 MarketingQualified; §4 customerProfile.azureTenantId
    i("169e2d43-0a37-54bc-8aa6-4991518712f1", IN, MP, Some("0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b"),
      Some("helvetia-uhren.ch"), None),
    // §3.1 referralType Cosell; §4 braced upper-case GUID
    i("b332e1a7-cad1-521e-99fc-dd3378b28574", IN, CO, Some("8f3c2b1a-4d5e-4f60-8a7b-9c0d1e2f3a4b"),
      Some("praha-strojirny.cz"), None),
    // §3.6 SalesQualified; §4 azure_tenant_id; gmail only: unlinked
    i("3158c5fe-6b9c-5e21-9b8f-8e7d80c55c1a", IN, CO, Some("7e2a9c14-b3d5-4f68-a1e9-2c7b5d3f8a60"),
      None, None),
    // §3.9 Direct; §4 ids array AzureTenantId; hotmail.com.tr only: unlinked
    i("2ec06db6-55af-5b6b-9253-01fa5102aa09", IN, SP, Some("b4d6e8f0-1a2b-4c3d-9e5f-60718293a4b5"),
      None, None),
    // §3 none; website n/a, yahoo.com email: unlinked
    i("48edefee-45f5-516a-bd5f-59b044abcf27", IN, NONE, None,
      None, None),
    // §3.7 callToAction only; mynet.com contact rejected, team wins
    i("59707300-c062-5044-89c1-6908daaeebd6", IN, MP, None,
      Some("trakya-tarim.com.tr"), None),
    // §3.1 details.type Co Sell; no website, empty team: unlinked
    i("46225193-764b-5d76-b65d-db7c85bf4fe0", IN, CO, None,
      None, None),
    // outgoing: not ingested by default; §3.4 Shared
    i("7a2ec3dc-5c2a-5746-8b80-9e0f616c3fc3", OUT, CO, None,
      Some("ostsee-software.de"), None),
    // §3.8 lower-case marketingqualified; Mailto: team email
    i("9b060d09-d30b-56e3-a5b1-ac1dff775380", IN, MP, None,
      Some("wien-kaffee.at"), Some("wien-kaffee.at")),
    // §3.3 referralType Solution-Provider; HTTPS:// in upper case
    i("34d0b182-b833-5c96-b76a-0891cd194b97", IN, SP, None,
      Some("anka-medikal.com.tr"), Some("Anka-Medikal.com.tr")),
    // §3 none; email on a subdomain
    i("ee16ec30-d5c4-5dd6-a3e7-41e95147d090", IN, NONE, None,
      Some("marmarainsaat.com.tr"), Some("satis.marmarainsaat.com.tr")),
    // §3.9 Direct; bare host website
    i("4cfe79d4-d8fb-5f74-9201-5307df6eafeb", IN, SP, None,
      Some("sofiaprint.bg"), None),
    // §3 none; customerProfile.ids {} and no team: unlinked
    i("8f205186-f6b4-59cd-a8db-b6605239f026", IN, NONE, None,
      None, None),
    // §3.2 referralType Azure Marketplace; www. host
    i("9064d9f6-3f48-56ba-bab0-682d6002e681", IN, MP, None,
      Some("sakaryaotomotiv.com.tr"), Some("www.sakaryaotomotiv.com.tr")),
    // stale copy of the first referral, later in the file
    i("bdc27a54-a204-5678-a407-804c46b624b5", IN, CO, None,
      Some("anadolutekstil.com.tr"), None),
];

#[test]
fn every_example_referral_extracts_as_intended() {
    let referrals = example_referrals();
    assert!(referrals.len() >= 30, "at least 30 example referrals");
    assert_eq!(
        referrals.len(),
        INTENDED.len(),
        "one INTENDED line per referral of examples/referrals.json, in file order"
    );
    let mut wrong = Vec::new();
    for (n, (referral, want)) in referrals.iter().zip(INTENDED).enumerate() {
        let got: Extracted = extract(referral);
        let mut check = |what: &str, got: Option<&str>, intended: Option<&str>| {
            if got != intended {
                wrong.push(format!(
                    "{} (entry {n}): {what} = {got:?}, intended {intended:?}",
                    want.id
                ));
            }
        };
        check("id", got.referral_id.as_deref(), Some(want.id));
        check(
            "referral_type",
            got.referral_type.map(Category::as_str),
            want.category,
        );
        check(
            "azure_tenant_id",
            got.azure_tenant_id.as_deref(),
            want.tenant,
        );
        check("domain", got.domain.as_deref(), want.domain);
        // Kept as received (`Incoming`); compared without case.
        let direction = got.direction.as_deref().map(str::to_lowercase);
        check("direction", direction.as_deref(), Some(want.direction));
        if want.raw_domain.is_some() {
            check("raw_domain", got.raw_domain.as_deref(), want.raw_domain);
        }
    }
    assert!(
        wrong.is_empty(),
        "examples off target:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_examples_have_a_stale_copy_and_domains_with_several_referrals() {
    let referrals = example_referrals();
    let mut seen: HashMap<&str, &str> = HashMap::new();
    let mut stale = 0;
    for r in &referrals {
        let id = r["id"].as_str().expect("every example has an id");
        let updated = r["updatedDateTime"].as_str().expect("an update time");
        if let Some(first) = seen.insert(id, updated) {
            // Same fixed-width UTC form, so text order is time order.
            assert!(updated < first, "the repeated {id} is an older copy");
            stale += 1;
        }
    }
    assert_eq!(stale, 1, "one stale copy");
    let mut per_domain: BTreeMap<String, usize> = BTreeMap::new();
    for e in referrals.iter().map(extract) {
        if let Some(d) = e.domain {
            *per_domain.entry(d).or_default() += 1;
        }
    }
    let several: Vec<_> = per_domain.iter().filter(|(_, n)| **n >= 2).collect();
    assert!(
        several.len() >= 3,
        "several referrals per domain: {several:?}"
    );
}

/// What the quick start shows for each linked example domain once it is scanned and scored:
/// the company's provider (an Azure tenant id makes it M365 whatever the MX says), the
/// segment and the score. `tests/quickstart.rs` checks the same in the quick start's output.
struct Outcome {
    domain: &'static str,
    provider: &'static str,
    segment: &'static str,
    score: i32,
    /// The scan's own view: provider from the MX, and the gateway or the Turkish host named.
    mx_provider: &'static str,
    detail: Option<&'static str>,
}

const fn o(
    domain: &'static str,
    provider: &'static str,
    segment: &'static str,
    score: i32,
    mx_provider: &'static str,
    detail: Option<&'static str>,
) -> Outcome {
    Outcome {
        domain,
        provider,
        segment,
        score,
        mx_provider,
        detail,
    }
}

#[rustfmt::skip]
const OUTCOMES: &[Outcome] = &[
    o("anadolutekstil.com.tr",         "M365",    "Existing",  100, "M365",    None),
    o("nordwind-versicherung.de",      "M365",    "Existing",   90, "M365",    Some("Mimecast")),
    o("lyon-cosmetiques.fr",           "M365",    "Existing",   70, "M365",    None),
    o("xn--boaziienerji-odb49e.com.tr","M365",    "Existing",   70, "M365",    None),
    o("praha-strojirny.cz",            "M365",    "Existing",   70, "M365",    None),
    o("helvetia-uhren.ch",             "M365",    "Existing",   55, "Google",  None),
    o("ege-lojistik.com.tr",           "Google",  "Migration",  90, "Google",  None),
    o("marmarainsaat.com.tr",          "Hosting", "Migration",  75, "Hosting", None),
    o("karadenizgida.com.tr",          "Yandex",  "Migration",  65, "Yandex",  None),
    o("ipekyolu.com.tr",               "Local",   "Migration",  65, "Local",   Some("TürkHost")),
    o("sakaryaotomotiv.com.tr",        "Local",   "Cold",       50, "Local",   Some("TTNET")),
    o("vistula-logistics.pl",          "Google",  "Cold",       45, "Google",  None),
    o("anka-medikal.com.tr",           "Local",   "Cold",       45, "Local",   Some("Kriweb")),
    o("alpen-consulting.de",           "Zoho",    "Cold",       40, "Zoho",    None),
    o("xn--rnek-4qa.com.tr",           "Local",   "Cold",       20, "Local",   Some("Natro")),
    o("izmirmakina.com.tr",            "Local",   "Cold",       20, "Local",   Some("Turhost")),
    o("sofiaprint.bg",                 "Amazon",  "Skip",       60, "Amazon",  None),
    o("wien-kaffee.at",                "Hosting", "Skip",        0, "Hosting", None),
    o("trakya-tarim.com.tr",           "Local",   "Skip",        0, "Local",   None),
    o("denizyatcilik.com.tr",          "Unknown", "Skip",        0, "Unknown", None),
    o("kapadokya-turizm.com.tr",       "Unknown", "Skip",        0, "Unknown", None),
];

/// The domains a sync of the examples links (incoming referrals with a domain).
fn linked_domains(referrals: &[Value]) -> BTreeSet<String> {
    referrals
        .iter()
        .map(extract)
        .filter(|e| {
            e.direction
                .as_deref()
                .is_none_or(|d| d.eq_ignore_ascii_case("incoming"))
        })
        .filter_map(|e| e.domain)
        .collect()
}

#[test]
fn every_linked_example_domain_has_an_intended_outcome_and_zone_data() {
    let linked = linked_domains(&example_referrals());
    let intended: BTreeSet<String> = OUTCOMES.iter().map(|o| o.domain.to_string()).collect();
    assert_eq!(
        linked, intended,
        "OUTCOMES lists exactly the linked example domains"
    );
    let zones = examples_dir().join("zones");
    for o in OUTCOMES {
        let has_zone = zones.join(o.domain).is_file();
        // The NXDOMAIN example is the one linked domain without a zone of its own; a parent
        // zone makes the loopback server answer NXDOMAIN for it (REFUSED would be a failure).
        if o.domain == "kapadokya-turizm.com.tr" {
            assert!(!has_zone && zones.join("com.tr").is_file(), "{}", o.domain);
        } else {
            assert!(has_zone, "examples/zones/{} exists", o.domain);
        }
    }
    let segments: BTreeSet<&str> = OUTCOMES.iter().map(|o| o.segment).collect();
    assert_eq!(
        segments,
        BTreeSet::from(["Cold", "Existing", "Migration", "Skip"]),
        "every segment appears"
    );
}

/// The signals the scorer reads, from a scan (as `scans` would hold them).
fn outcome_of(scan: &DomainScan) -> ScanOutcome {
    match scan.status {
        ScanStatus::Failed => ScanOutcome::Failed,
        ScanStatus::Nxdomain => ScanOutcome::NxDomain,
        ScanStatus::Success => ScanOutcome::Success(Signals {
            provider: scan.provider.unwrap_or(Provider::Unknown),
            mx_present: !scan.mx_hosts.is_empty(),
            spf: scan.spf,
            dkim: scan.dkim,
            dmarc: scan.dmarc_policy.as_deref().map(DmarcPolicy::from_name),
            spf_includes: scan.spf_record.as_deref().map_or(0, spf_include_count),
        }),
    }
}

#[test]
fn every_example_domain_scans_and_scores_as_intended_over_loopback_dns() {
    let zones = Zones::from_dir(&examples_dir().join("zones")).expect("examples/zones loads");
    let dns = DnsServer::start(zones).expect("loopback DNS server");
    let addr = dns.addr().to_string();
    let settings = Settings::load_with(&Flags::default(), &|k| match k {
        "HUNTER_PC_DNS_SERVERS" => Some(addr.clone()),
        _ => None,
    })
    .expect("settings");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let scans = {
        let _g = rt.enter();
        let scanner = Scanner::new(&settings.scan()).expect("scanner");
        let domains = OUTCOMES.iter().map(|o| o.domain.to_string()).collect();
        rt.block_on(scanner.scan_all(domains, 8, false))
    };

    // Referral facts per domain, from the examples themselves.
    let mut tenant: HashMap<String, bool> = HashMap::new();
    let mut cosell: HashMap<String, bool> = HashMap::new();
    for e in example_referrals().iter().map(extract) {
        if let Some(d) = e.domain {
            *tenant.entry(d.clone()).or_default() |= e.azure_tenant_id.is_some();
            *cosell.entry(d).or_default() |= e.referral_type == Some(Category::CoSell);
        }
    }

    let mut wrong = Vec::new();
    for (o, scan) in OUTCOMES.iter().zip(&scans) {
        assert_eq!(scan.domain, o.domain);
        let has_tenant = tenant.get(o.domain).copied().unwrap_or(false);
        let input = ScoreInput {
            scan: outcome_of(scan),
            azure_tenant_id: has_tenant,
            cosell: cosell.get(o.domain).copied().unwrap_or(false),
        };
        let Some(s) = score(&input, &ScoreConfig::default()) else {
            wrong.push(format!(
                "{}: no score ({:?}, {:?})",
                o.domain, scan.status, scan.error
            ));
            continue;
        };
        let shown_provider = if has_tenant {
            "M365"
        } else {
            scan.provider.map_or("-", Provider::as_str)
        };
        let detail = scan.gateway.as_deref().or(scan.local_provider.as_deref());
        let got = (
            scan.provider.map(Provider::as_str),
            shown_provider,
            s.segment.as_str(),
            s.readiness_score,
            detail,
        );
        let want = (
            Some(o.mx_provider),
            o.provider,
            o.segment,
            o.score,
            o.detail,
        );
        if got != want {
            wrong.push(format!(
                "{}: got {got:?}, intended {want:?} ({})",
                o.domain, s.reason
            ));
        }
    }
    let nx = scans
        .iter()
        .find(|s| s.domain == "kapadokya-turizm.com.tr")
        .expect("scanned");
    assert_eq!(nx.status, ScanStatus::Nxdomain, "the NXDOMAIN example");
    assert!(
        wrong.is_empty(),
        "example domains off target:\n{}",
        wrong.join("\n")
    );
}
