//! Lead scoring (pipeline.md §8): the pure scorer [`score`] over a company's signals and
//! referral facts, with the rule table in [`rules`], and the set-based pass [`score_domains`]
//! (batches read and written through [`crate::store::scores`]) that `sync`, `scan` and
//! `rescore` call.

mod batch;
pub mod rules;

pub use batch::{RescoreSummary, score_domains};

use crate::model::company_provider;
pub use crate::model::{Provider, Segment};

/// A DMARC policy (`p=`), present only when the domain has a DMARC record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    /// Read a stored policy (any case); an unknown value is `none`, as §6 reads it.
    pub fn from_name(name: &str) -> DmarcPolicy {
        match name.trim().to_ascii_lowercase().as_str() {
            "reject" => DmarcPolicy::Reject,
            "quarantine" => DmarcPolicy::Quarantine,
            _ => DmarcPolicy::None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }
}

/// The mail signals of a successful scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signals {
    pub provider: Provider,
    /// At least one MX host (false for NODATA and a null MX).
    pub mx_present: bool,
    pub spf: bool,
    pub dkim: bool,
    /// `None` when the domain has no DMARC record.
    pub dmarc: Option<DmarcPolicy>,
    /// How many `include:` terms the SPF record has ([`spf_include_count`]).
    pub spf_includes: u32,
}

/// What the domain scan said about a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanOutcome {
    /// No `domain_signals` row yet.
    NotScanned,
    /// `scan_status = 'failed'` (a transient DNS failure).
    Failed,
    /// `scan_status = 'nxdomain'`.
    NxDomain,
    /// `scan_status = 'success'`.
    Success(Signals),
}

/// Everything the scorer looks at for one company domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreInput {
    pub scan: ScanOutcome,
    /// An Azure tenant id on any referral of the domain.
    pub azure_tenant_id: bool,
    /// Any co-sell referral on the domain.
    pub cosell: bool,
}

/// The configurable numbers of §8 (`HUNTER_PC_COSELL_BONUS`, `HUNTER_PC_AZURE_TENANT_SCORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreConfig {
    pub cosell_bonus: i32,
    pub azure_tenant_score: i32,
}

impl Default for ScoreConfig {
    /// cli.md's defaults: bonus 15, tenant score 55.
    fn default() -> Self {
        ScoreConfig {
            cosell_bonus: 15,
            azure_tenant_score: 55,
        }
    }
}

/// P-model technical heat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TechnicalHeat {
    Hot,
    Warm,
    Cold,
}

/// P-model commercial segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommercialSegment {
    Greenfield,
    Competitive,
    WeakPartner,
    Renewal,
    LowIntent,
    NoGo,
}

/// P-model commercial heat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommercialHeat {
    High,
    Medium,
    Low,
}

/// Priority category P1 (best) to P6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriorityCategory {
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
}

impl TechnicalHeat {
    pub fn as_str(self) -> &'static str {
        match self {
            TechnicalHeat::Hot => "Hot",
            TechnicalHeat::Warm => "Warm",
            TechnicalHeat::Cold => "Cold",
        }
    }
}

impl CommercialSegment {
    pub fn as_str(self) -> &'static str {
        match self {
            CommercialSegment::Greenfield => "GREENFIELD",
            CommercialSegment::Competitive => "COMPETITIVE",
            CommercialSegment::WeakPartner => "WEAK_PARTNER",
            CommercialSegment::Renewal => "RENEWAL",
            CommercialSegment::LowIntent => "LOW_INTENT",
            CommercialSegment::NoGo => "NO_GO",
        }
    }
}

impl CommercialHeat {
    pub fn as_str(self) -> &'static str {
        match self {
            CommercialHeat::High => "HIGH",
            CommercialHeat::Medium => "MEDIUM",
            CommercialHeat::Low => "LOW",
        }
    }
}

impl PriorityCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            PriorityCategory::P1 => "P1",
            PriorityCategory::P2 => "P2",
            PriorityCategory::P3 => "P3",
            PriorityCategory::P4 => "P4",
            PriorityCategory::P5 => "P5",
            PriorityCategory::P6 => "P6",
        }
    }
}

/// One company's score: a `lead_scores` row without its domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub readiness_score: i32,
    pub segment: Segment,
    pub reason: String,
    pub technical_heat: TechnicalHeat,
    pub commercial_segment: CommercialSegment,
    pub commercial_heat: CommercialHeat,
    pub priority_category: PriorityCategory,
    pub priority_label: &'static str,
    pub priority_score: i32,
}

/// Score one company (pipeline.md §8, in its order). `None` means "no score yet": no
/// successful scan and no Azure tenant id.
pub fn score(input: &ScoreInput, cfg: &ScoreConfig) -> Option<Score> {
    // Rule 1: an Azure tenant id wins over any scan, also before any scan.
    if let Some(provider) = company_provider(input.azure_tenant_id, None) {
        let base = clamp(cfg.azure_tenant_score);
        let (points, reason) = with_cosell(
            base,
            rules::AZURE_TENANT_REASON.to_string(),
            input.cosell,
            cfg,
        );
        return Some(finish(provider, points, reason));
    }
    match &input.scan {
        // Rule 2: no successful scan, no score.
        ScanOutcome::NotScanned | ScanOutcome::Failed => None,
        // Rule 3: hard fails.
        ScanOutcome::NxDomain => Some(hard_fail(rules::NXDOMAIN_REASON)),
        ScanOutcome::Success(s) if !s.mx_present => Some(hard_fail(rules::NO_MX_REASON)),
        // Rules 4 and 5.
        ScanOutcome::Success(s) => {
            let (base, reason) = signal_points(s);
            let (points, reason) = with_cosell(base, reason, input.cosell, cfg);
            Some(finish(s.provider, points, reason))
        }
    }
}

/// Rule 4: provider points plus signal points minus risks, clamped; with the reason that
/// lists every term (`Google 50, SPF +10, no DKIM -15 = 45`).
fn signal_points(s: &Signals) -> (i32, String) {
    let provider_points = rules::PROVIDER_POINTS
        .iter()
        .find(|(p, _)| *p == s.provider)
        .map_or(0, |(_, n)| *n);
    let mut terms: Vec<(String, i32)> = Vec::new();
    terms.push(if s.spf {
        ("SPF".into(), rules::SPF_POINTS)
    } else {
        ("no SPF".into(), -rules::NO_SPF_RISK)
    });
    terms.push(if s.dkim {
        ("DKIM".into(), rules::DKIM_POINTS)
    } else {
        ("no DKIM".into(), -rules::NO_DKIM_RISK)
    });
    match s.dmarc {
        Some(DmarcPolicy::None) => terms.push(("DMARC none".into(), -rules::DMARC_NONE_RISK)),
        Some(policy) => {
            if let Some((_, n)) = rules::DMARC_POINTS.iter().find(|(p, _)| *p == policy) {
                terms.push((format!("DMARC {}", policy.as_str()), *n));
            }
        }
        None => {}
    }
    if s.provider == Provider::Hosting && !(s.spf && s.dkim) {
        terms.push((
            "Hosting without SPF and DKIM".into(),
            -rules::HOSTING_WITHOUT_SPF_AND_DKIM_RISK,
        ));
    }
    if s.spf_includes > rules::SPF_INCLUDES_LIMIT {
        terms.push((
            format!("{} SPF includes", s.spf_includes),
            -rules::MANY_SPF_INCLUDES_RISK,
        ));
    }
    let sum = provider_points + terms.iter().map(|(_, n)| n).sum::<i32>();
    let total = clamp(sum);
    let mut reason = format!("{} {provider_points}", s.provider.as_str());
    for (name, n) in &terms {
        reason.push_str(&format!(", {name} {n:+}"));
    }
    reason.push_str(&format!(" = {total}"));
    if total != sum {
        reason.push_str(&format!(" (clamped from {sum})"));
    }
    (total, reason)
}

/// Rule 5: the co-sell bonus on an already clamped score, clamped again.
fn with_cosell(base: i32, reason: String, cosell: bool, cfg: &ScoreConfig) -> (i32, String) {
    if !cosell {
        return (base, reason);
    }
    let total = clamp(base.saturating_add(cfg.cosell_bonus));
    (
        total,
        format!("{reason}; co-sell {:+} = {total}", cfg.cosell_bonus),
    )
}

/// Rule 3: score 0 with no provider, which rule 6 makes `Skip`.
fn hard_fail(reason: &str) -> Score {
    finish(
        Provider::Unknown,
        rules::HARD_FAIL_SCORE,
        reason.to_string(),
    )
}

/// Rules 6 and 7: the segment and the P-model from provider and final score.
fn finish(provider: Provider, points: i32, reason: String) -> Score {
    let segment = rules::segment(provider, points);
    let technical_heat = rules::technical_heat(segment, provider);
    let commercial_segment = rules::commercial_segment(segment, provider, points);
    let commercial_heat = rules::commercial_heat(commercial_segment, points);
    let priority_category =
        rules::priority_category(technical_heat, commercial_heat, commercial_segment);
    Score {
        readiness_score: points,
        segment,
        reason,
        technical_heat,
        commercial_segment,
        commercial_heat,
        priority_category,
        priority_label: rules::priority_label(priority_category),
        priority_score: rules::priority_score(segment, points),
    }
}

fn clamp(points: i32) -> i32 {
    points.clamp(rules::SCORE_MIN, rules::SCORE_MAX)
}

/// How many `include:` mechanisms an SPF record has (any case, with or without a qualifier
/// such as `~include:`); terms are separated by whitespace.
pub fn spf_include_count(record: &str) -> u32 {
    let n = record
        .split_ascii_whitespace()
        .filter(|term| {
            let term = term.trim_start_matches(['+', '-', '~', '?']);
            term.len() > "include:".len()
                && term
                    .get(..8)
                    .is_some_and(|t| t.eq_ignore_ascii_case("include:"))
        })
        .count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spf_includes_are_counted_by_term() {
        assert_eq!(spf_include_count("v=spf1 -all"), 0);
        assert_eq!(
            spf_include_count("v=spf1 include:a.com INCLUDE:b.com ~include:c.com ip4:1.2.3.4 ~all"),
            3
        );
        assert_eq!(spf_include_count("v=spf1 include: redirect=x.com"), 0);
        assert_eq!(spf_include_count("v=spf1 include:ü.com"), 1);
    }
}
