//! The whole scoring rule table of pipeline.md §8, as data, in one place: provider points,
//! signal points, risks, segment rules, the P-model and the priority bands. A change to the
//! rules is one edit here; `super::score` only walks these tables in §8's order.

use super::{
    CommercialHeat, CommercialSegment, DmarcPolicy, PriorityCategory, Provider, Segment,
    TechnicalHeat,
};

/// §8 rule 4: points for the mail provider.
pub const PROVIDER_POINTS: [(Provider, i32); 10] = [
    (Provider::M365, 50),
    (Provider::Google, 50),
    (Provider::Yandex, 30),
    (Provider::Zoho, 30),
    (Provider::Amazon, 20),
    (Provider::SendGrid, 20),
    (Provider::Mailgun, 20),
    (Provider::Hosting, 20),
    (Provider::Local, 10),
    (Provider::Unknown, 0),
];

/// §8 rule 4: points for signals that are present.
pub const SPF_POINTS: i32 = 10;
pub const DKIM_POINTS: i32 = 10;
pub const DMARC_POINTS: [(DmarcPolicy, i32); 2] =
    [(DmarcPolicy::Quarantine, 15), (DmarcPolicy::Reject, 20)];

/// §8 rule 4: risks (points taken off).
pub const NO_SPF_RISK: i32 = 10;
pub const NO_DKIM_RISK: i32 = 15;
pub const DMARC_NONE_RISK: i32 = 10;
/// Hosting without both SPF and DKIM (that is, lacking at least one of them; docs/decisions.md).
pub const HOSTING_WITHOUT_SPF_AND_DKIM_RISK: i32 = 10;
/// An SPF record with more than [`SPF_INCLUDES_LIMIT`] `include:` terms.
pub const MANY_SPF_INCLUDES_RISK: i32 = 5;
pub const SPF_INCLUDES_LIMIT: u32 = 3;

/// The readiness score's range (rules 4 and 5 clamp to it).
pub const SCORE_MIN: i32 = 0;
pub const SCORE_MAX: i32 = 100;

/// §8 rule 1.
pub const AZURE_TENANT_REASON: &str = "M365 existing customer (Azure Tenant ID)";
/// §8 rule 3: the hard fails, each with its reason.
pub const NO_MX_REASON: &str = "hard fail: no MX record (the domain receives no mail)";
pub const NXDOMAIN_REASON: &str = "hard fail: NXDOMAIN (the domain does not exist)";
/// The score of a hard fail (with provider `Unknown`, rule 6 makes it `Skip`).
pub const HARD_FAIL_SCORE: i32 = 0;

/// §8 rule 6: providers that become `Migration` at [`MIGRATION_MIN_SCORE`] or more.
pub const MIGRATION_PROVIDERS: [Provider; 5] = [
    Provider::Google,
    Provider::Yandex,
    Provider::Zoho,
    Provider::Hosting,
    Provider::Local,
];
pub const MIGRATION_MIN_SCORE: i32 = 60;
/// Local providers in this range are `Cold`.
pub const LOCAL_COLD_RANGE: (i32, i32) = (5, 59);
/// Any provider in this range is `Cold`.
pub const COLD_RANGE: (i32, i32) = (40, 59);

/// §8 rule 6, first match. Everything else (also ≤ 39) is `Skip`.
pub fn segment(provider: Provider, score: i32) -> Segment {
    if provider == Provider::M365 {
        Segment::Existing
    } else if score >= MIGRATION_MIN_SCORE && MIGRATION_PROVIDERS.contains(&provider) {
        Segment::Migration
    } else if (provider == Provider::Local && within(score, LOCAL_COLD_RANGE))
        || within(score, COLD_RANGE)
    {
        Segment::Cold
    } else {
        Segment::Skip
    }
}

/// Providers whose `Migration` leads are a competitor's customers (Warm, COMPETITIVE).
pub const COMPETITOR_PROVIDERS: [Provider; 3] =
    [Provider::Google, Provider::Zoho, Provider::Yandex];
/// Providers whose `Migration` leads are greenfield.
pub const GREENFIELD_PROVIDERS: [Provider; 2] = [Provider::Local, Provider::Hosting];

/// §8 rule 7: technical heat.
pub fn technical_heat(segment: Segment, provider: Provider) -> TechnicalHeat {
    match segment {
        Segment::Existing => TechnicalHeat::Hot,
        Segment::Migration if COMPETITOR_PROVIDERS.contains(&provider) => TechnicalHeat::Warm,
        _ => TechnicalHeat::Cold,
    }
}

/// Existing leads at or above this score are RENEWAL, below it WEAK_PARTNER.
pub const RENEWAL_MIN_SCORE: i32 = 70;
/// Cold leads in this range (not Local) are LOW_INTENT.
pub const LOW_INTENT_RANGE: (i32, i32) = (20, 59);

/// §8 rule 7: commercial segment, first match.
pub fn commercial_segment(segment: Segment, provider: Provider, score: i32) -> CommercialSegment {
    match segment {
        Segment::Migration if GREENFIELD_PROVIDERS.contains(&provider) => {
            CommercialSegment::Greenfield
        }
        Segment::Cold if provider == Provider::Local && within(score, LOCAL_COLD_RANGE) => {
            CommercialSegment::Greenfield
        }
        Segment::Migration if COMPETITOR_PROVIDERS.contains(&provider) => {
            CommercialSegment::Competitive
        }
        Segment::Existing if score < RENEWAL_MIN_SCORE => CommercialSegment::WeakPartner,
        Segment::Existing => CommercialSegment::Renewal,
        Segment::Cold if within(score, LOW_INTENT_RANGE) => CommercialSegment::LowIntent,
        _ => CommercialSegment::NoGo,
    }
}

/// WEAK_PARTNER leads at or above this score have HIGH commercial heat, below it MEDIUM.
pub const WEAK_PARTNER_HIGH_MIN_SCORE: i32 = 50;

/// §8 rule 7: commercial heat.
pub fn commercial_heat(commercial: CommercialSegment, score: i32) -> CommercialHeat {
    use CommercialSegment as C;
    match commercial {
        C::Greenfield | C::Competitive => CommercialHeat::High,
        C::WeakPartner if score >= WEAK_PARTNER_HIGH_MIN_SCORE => CommercialHeat::High,
        C::WeakPartner | C::Renewal => CommercialHeat::Medium,
        C::LowIntent | C::NoGo => CommercialHeat::Low,
    }
}

/// One priority category and the P-model it needs.
pub struct PriorityRule {
    pub category: PriorityCategory,
    pub technical: TechnicalHeat,
    /// Any of these commercial heats.
    pub heats: &'static [CommercialHeat],
    pub commercial: CommercialSegment,
}

/// §8 rule 7: priority categories, first match; anything else is [`PriorityCategory::P6`].
pub const PRIORITY_RULES: [PriorityRule; 5] = [
    PriorityRule {
        category: PriorityCategory::P1,
        technical: TechnicalHeat::Cold,
        heats: &[CommercialHeat::High],
        commercial: CommercialSegment::Greenfield,
    },
    PriorityRule {
        category: PriorityCategory::P2,
        technical: TechnicalHeat::Warm,
        heats: &[CommercialHeat::High],
        commercial: CommercialSegment::Competitive,
    },
    PriorityRule {
        category: PriorityCategory::P3,
        technical: TechnicalHeat::Hot,
        heats: &[CommercialHeat::Medium, CommercialHeat::High],
        commercial: CommercialSegment::WeakPartner,
    },
    PriorityRule {
        category: PriorityCategory::P4,
        technical: TechnicalHeat::Hot,
        heats: &[CommercialHeat::Medium],
        commercial: CommercialSegment::Renewal,
    },
    PriorityRule {
        category: PriorityCategory::P5,
        technical: TechnicalHeat::Cold,
        heats: &[CommercialHeat::Low],
        commercial: CommercialSegment::LowIntent,
    },
];

/// §8 rule 7: the label of each priority category.
pub fn priority_label(category: PriorityCategory) -> &'static str {
    match category {
        PriorityCategory::P1 => "High Potential Greenfield",
        PriorityCategory::P2 => "Competitive Takeover",
        PriorityCategory::P3 => "Existing Microsoft but Weak Partner",
        PriorityCategory::P4 => "Renewal Pressure",
        PriorityCategory::P5 => "Low Intent / Long Nurturing",
        PriorityCategory::P6 => "No-Go / Archive",
    }
}

/// §8 rule 7: the priority category for a lead's P-model.
pub fn priority_category(
    technical: TechnicalHeat,
    heat: CommercialHeat,
    commercial: CommercialSegment,
) -> PriorityCategory {
    PRIORITY_RULES
        .iter()
        .find(|r| r.technical == technical && r.heats.contains(&heat) && r.commercial == commercial)
        .map_or(PriorityCategory::P6, |r| r.category)
}

/// The priority score bands of one segment: `(minimum score, priority)`, first match, and
/// the priority below every band.
pub struct PriorityBands {
    pub segment: Segment,
    pub bands: &'static [(i32, i32)],
    pub below: i32,
}

/// §8 rule 7: priority score bands per segment (1 is best).
pub const PRIORITY_BANDS: [PriorityBands; 4] = [
    PriorityBands {
        segment: Segment::Migration,
        bands: &[(80, 1), (70, 2), (60, 3)],
        below: 4,
    },
    PriorityBands {
        segment: Segment::Existing,
        bands: &[(70, 3), (50, 4), (30, 5)],
        below: 6,
    },
    PriorityBands {
        segment: Segment::Cold,
        bands: &[(40, 5), (20, 6)],
        below: 7,
    },
    PriorityBands {
        segment: Segment::Skip,
        bands: &[],
        below: 7,
    },
];

/// The priority of a segment that has no bands (none today).
pub const PRIORITY_LOWEST: i32 = 7;

/// §8 rule 7: priority score, 1 (best) to 7.
pub fn priority_score(segment: Segment, score: i32) -> i32 {
    PRIORITY_BANDS
        .iter()
        .find(|b| b.segment == segment)
        .map_or(PRIORITY_LOWEST, |b| {
            b.bands
                .iter()
                .find(|(min, _)| score >= *min)
                .map_or(b.below, |(_, p)| *p)
        })
}

fn within(score: i32, (lo, hi): (i32, i32)) -> bool {
    (lo..=hi).contains(&score)
}
