//! Realistic generated referrals for tests and benchmarks: about 2 KB each, shaped like the
//! sample referral Microsoft documents for the Partner Center referrals API (customer profile
//! with address and team, ids, details with deal value and requirements, invite context, the
//! partner-side team), each with its own company domain and its own `updatedDateTime`.
//! Deterministic: the same seed and index always give the same referral.
#![allow(dead_code)]

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

/// The referral at `index` of the set for `seed`.
pub fn referral(seed: u64, index: usize) -> Value {
    let mut r = Rng::new(seed, index as u64);
    let (prefix, suffix) = (pick(&mut r, PREFIXES), pick(&mut r, SUFFIXES));
    let (tld, country, city, state, currency) = *pick(&mut r, PLACES);
    // The index in the name keeps every company (and domain) distinct.
    let domain = format!("{prefix}{suffix}{index}.{tld}").to_ascii_lowercase();
    let company = format!("{prefix} {suffix} {index} {}", pick(&mut r, FORMS));
    let updated = updated_at(seed, index);
    let created = updated
        - Duration::days(r.below(60) as i64 + 1)
        - Duration::seconds(r.below(86_400) as i64);
    let contacts: Vec<Value> = (0..1 + r.below(3))
        .map(|_| {
            let (first, last) = (pick(&mut r, FIRST), pick(&mut r, LAST));
            json!({
                "firstName": first,
                "lastName": last,
                "email": format!("{}.{}@{domain}", first.to_ascii_lowercase(), last.to_ascii_lowercase()),
                "phoneNumber": format!("+{} {} {:07}", 1 + r.below(98), 100 + r.below(900), r.below(10_000_000)),
                "contactPreference": {"email": true, "phone": r.below(2) == 0},
            })
        })
        .collect();
    let direction = if r.below(10) < 8 {
        "Incoming"
    } else {
        "Outgoing"
    };
    let (qualification, invited_by) = match r.below(4) {
        0 => (
            "SalesQualified",
            json!({"organizationId": "msft", "organizationName": "Microsoft"}),
        ),
        1 => (
            "MarketingQualified",
            json!({"organizationId": "msft", "organizationName": "Microsoft"}),
        ),
        2 => (
            "Direct",
            json!({"organizationId": "msft", "organizationName": "Microsoft"}),
        ),
        _ => (
            "None",
            json!({"organizationId": guid(&mut r), "organizationName": "Tailspin Partners"}),
        ),
    };
    json!({
        "id": guid(&mut r),
        "engagementId": guid(&mut r),
        "organizationId": "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d",
        "organizationName": "Contoso Company",
        "name": format!("{} for {company}", pick(&mut r, PRODUCTS)),
        "externalReferenceId": format!("CRM-{:08}", r.below(100_000_000)),
        "createdDateTime": pc_time(created),
        "updatedDateTime": pc_time(updated),
        "expirationDateTime": pc_time(updated + Duration::days(90)),
        "status": pick(&mut r, &["New", "Active", "Active", "Closed"]),
        "substatus": pick(&mut r, &["Pending", "Received", "Accepted", "Won"]),
        "statusReason": null,
        "type": if r.below(5) == 0 { "Shared" } else { "Independent" },
        "qualification": qualification,
        "direction": direction,
        "customerProfile": {
            "name": company,
            "address": {
                "addressLine1": format!("{} {} Street", 1 + r.below(400), pick(&mut r, LAST)),
                "addressLine2": format!("Floor {}", 1 + r.below(20)),
                "city": city,
                "state": state,
                "postalCode": format!("{:05}", r.below(100_000)),
                "country": country,
                "region": "Europe",
            },
            "size": pick(&mut r, &["1to9employees", "10to50employees", "51to250employees", "251to1000employees"]),
            "team": contacts,
            "ids": [{"profileType": "Duns", "id": format!("{:09}", r.below(1_000_000_000))}],
        },
        "consent": {"consentToToShareInfoWithOthers": true, "consentToContact": true},
        "details": {
            "notes": format!("The customer asked about {} for about {} seats; follow up before the quarter ends.",
                pick(&mut r, PRODUCTS), 10 + r.below(990)),
            "dealValue": 1000 * (1 + r.below(500)),
            "currency": currency,
            "closingDateTime": pc_time(updated + Duration::days(30 + r.below(120) as i64)),
            "requirements": {
                "industries": [{"id": "Manufacturing", "name": "Manufacturing"}],
                "products": [{"id": "MicrosoftDynamics365", "name": pick(&mut r, PRODUCTS)}],
                "services": [{"id": "Consulting", "name": "Consulting"}],
                "solutions": [],
            },
        },
        "team": [{
            "firstName": "Partner",
            "lastName": "Seller",
            "email": "seller@contoso-partner.example",
            "phoneNumber": "+1 425 5550100",
            "contactPreference": {"email": true, "phone": false},
        }],
        "inviteContext": {"notes": "Please reach out this week.", "invitedBy": invited_by},
        "target": [{"type": "Individual", "id": guid(&mut r)}],
        "eTag": format!("\"{:016x}\"", r.next()),
    })
}

/// `n` referrals for `seed`, indexes `0..n`.
pub fn referrals(seed: u64, n: usize) -> Vec<Value> {
    (0..n).map(|i| referral(seed, i)).collect()
}

/// The `updatedDateTime` of referral `index`: distinct for every index below 1,000,003
/// (a multiplicative permutation), spread over about 35 days, not in index order.
pub fn updated_at(seed: u64, index: usize) -> DateTime<Utc> {
    const PRIME: u64 = 1_000_003;
    let slot = (index as u64 % PRIME) * 618_034 % PRIME;
    let base = DateTime::<Utc>::from_timestamp(1_790_000_000 + (seed % 1000) as i64 * 86_400, 0)
        .unwrap_or_default();
    base + Duration::seconds(slot as i64 * 3) + Duration::microseconds((index % 1_000_000) as i64)
}

/// Partner Center's form: seven fractional digits, `Z`.
pub fn pc_time(t: DateTime<Utc>) -> String {
    let s = t.to_rfc3339_opts(SecondsFormat::Micros, true);
    s.replace('Z', "0Z")
}

/// splitmix64 over (seed, index).
struct Rng(u64);

impl Rng {
    fn new(seed: u64, index: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ index.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn pick<'a, T>(r: &mut Rng, items: &'a [T]) -> &'a T {
    &items[r.below(items.len() as u64) as usize]
}

fn guid(r: &mut Rng) -> String {
    let (a, b) = (r.next(), r.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

const PREFIXES: &[&str] = &[
    "Fabrikam",
    "Northwind",
    "Tailwind",
    "Litware",
    "Proseware",
    "Adatum",
    "Wingtip",
    "Woodgrove",
    "Alpine",
    "Coho",
    "Lucerne",
    "Margie",
    "Trey",
    "Wide",
    "Humongous",
    "Blue",
];
const SUFFIXES: &[&str] = &[
    "Logistics",
    "Foods",
    "Textiles",
    "Systems",
    "Energy",
    "Clinics",
    "Traders",
    "Studios",
];
const FORMS: &[&str] = &["Inc", "GmbH", "Ltd", "A.Ş.", "SAS", "BV"];
const PLACES: &[(&str, &str, &str, &str, &str)] = &[
    ("com", "US", "Redmond", "WA", "USD"),
    ("de", "DE", "München", "BY", "EUR"),
    ("co.uk", "GB", "Reading", "", "GBP"),
    ("com.tr", "TR", "İstanbul", "", "TRY"),
    ("fr", "FR", "Lyon", "", "EUR"),
    ("nl", "NL", "Utrecht", "", "EUR"),
];
const FIRST: &[&str] = &[
    "Ayse", "John", "Maria", "Kenji", "Fatma", "Lars", "Priya", "Omar", "Chloe", "Mehmet",
];
const LAST: &[&str] = &[
    "Yilmaz", "Smith", "Garcia", "Tanaka", "Kaya", "Larsen", "Patel", "Haddad", "Martin", "Demir",
];
const PRODUCTS: &[&str] = &[
    "Microsoft 365 E3",
    "Dynamics 365 Sales",
    "Azure Migration",
    "Microsoft Defender",
    "Power BI Pro",
    "Azure Virtual Desktop",
];
