//! Category (`referral_type`), pipeline.md §3: a rule table, first match wins.
//!
//! Microsoft's `type` is only `Independent` or `Shared`, so the lead kind is told apart by an
//! explicit label when there is one, then by `type`, `qualification` and who invited us.

use serde_json::Value;

use super::view::{at, is_present, text};
pub use crate::model::Category;

/// The three categories a referral can have (the fourth answer is none: NULL).
pub const CO_SELL: Category = Category::CoSell;
pub const MARKETPLACE: Category = Category::Marketplace;
pub const SOLUTION_PROVIDER: Category = Category::SolutionProvider;

/// Where an explicit label may be, in order; `type` counts only when it is not one of
/// Microsoft's own values ([`MICROSOFT_TYPES`]).
const LABEL_FIELDS: &[&[&str]] = &[
    &["referralType"],
    &["details", "type"],
    &["category"],
    &["source"],
    &["type"],
];

/// Microsoft's values of `type`, which are not labels.
const MICROSOFT_TYPES: &[&str] = &["independent", "shared"];

/// One condition of the §3 table. Text comparisons ignore case.
#[derive(Debug)]
enum Condition {
    /// The label contains any of these.
    LabelContainsAny(&'static [&'static str]),
    /// The label contains all of these.
    LabelContainsAll(&'static [&'static str]),
    /// The label is exactly this (surrounding spaces ignored).
    LabelIs(&'static str),
    /// `type` equals this.
    TypeIs(&'static str),
    /// `inviteContext.invitedBy.organizationId` present and not Microsoft's (`msft`).
    InvitedByAnotherOrganization,
    /// `qualification` equals this.
    QualificationIs(&'static str),
    /// Any of these top-level fields is present.
    AnyPresent(&'static [&'static str]),
}

/// pipeline.md §3, row by row (row 3 has two ways to match, so two lines).
const RULES: &[(u8, Condition, Category)] = &[
    (
        1,
        Condition::LabelContainsAny(&["co-sell", "cosell", "co_sell", "co sell"]),
        CO_SELL,
    ),
    (
        2,
        Condition::LabelContainsAny(&["marketplace", "market_place"]),
        MARKETPLACE,
    ),
    (
        3,
        Condition::LabelContainsAll(&["solution", "provider"]),
        SOLUTION_PROVIDER,
    ),
    (3, Condition::LabelIs("sp"), SOLUTION_PROVIDER),
    (4, Condition::TypeIs("shared"), CO_SELL),
    (5, Condition::InvitedByAnotherOrganization, CO_SELL),
    (6, Condition::QualificationIs("salesqualified"), CO_SELL),
    (
        7,
        Condition::AnyPresent(&["referralSource", "callToAction"]),
        MARKETPLACE,
    ),
    (
        8,
        Condition::QualificationIs("marketingqualified"),
        MARKETPLACE,
    ),
    (9, Condition::QualificationIs("direct"), SOLUTION_PROVIDER),
];

/// The referral's category by the §3 table, or `None` when no row matches.
pub fn referral_type(referral: &Value) -> Option<Category> {
    matching_row(referral).map(|(_, category)| category)
}

/// The first matching row of §3 and its category (the row number helps explain a result).
pub fn matching_row(referral: &Value) -> Option<(u8, Category)> {
    let label = explicit_label(referral).map(str::to_lowercase);
    RULES
        .iter()
        .find(|(_, condition, _)| holds(condition, referral, label.as_deref()))
        .map(|(row, _, category)| (*row, *category))
}

/// The first present label of [`LABEL_FIELDS`]; `type` only when it is not Microsoft's.
pub fn explicit_label(referral: &Value) -> Option<&str> {
    LABEL_FIELDS.iter().find_map(|path| {
        let label = text(referral, path)?;
        let is_microsoft_type = *path == ["type"] && is_one_of(label, MICROSOFT_TYPES);
        (!is_microsoft_type).then_some(label)
    })
}

fn holds(condition: &Condition, referral: &Value, label: Option<&str>) -> bool {
    match condition {
        Condition::LabelContainsAny(words) => {
            label.is_some_and(|l| words.iter().any(|w| l.contains(w)))
        }
        Condition::LabelContainsAll(words) => {
            label.is_some_and(|l| words.iter().all(|w| l.contains(w)))
        }
        Condition::LabelIs(word) => label.is_some_and(|l| l.trim() == *word),
        Condition::TypeIs(value) => {
            text(referral, &["type"]).is_some_and(|t| is_one_of(t, &[value]))
        }
        Condition::InvitedByAnotherOrganization => {
            let org = at(referral, &["inviteContext", "invitedBy", "organizationId"]);
            is_present(org)
                && !org
                    .and_then(Value::as_str)
                    .is_some_and(|o| is_one_of(o, &["msft"]))
        }
        Condition::QualificationIs(value) => {
            text(referral, &["qualification"]).is_some_and(|q| is_one_of(q, &[value]))
        }
        Condition::AnyPresent(fields) => fields.iter().any(|f| is_present(at(referral, &[f]))),
    }
}

/// Equality with one of `values` (given in lower case), ignoring case and surrounding spaces.
fn is_one_of(text: &str, values: &[&str]) -> bool {
    let text = text.trim();
    values.iter().any(|v| text.eq_ignore_ascii_case(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_numbered_one_to_nine_in_order() {
        let rows: Vec<u8> = RULES.iter().map(|(row, _, _)| *row).collect();
        assert!(rows.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!((rows.first(), rows.last()), (Some(&1), Some(&9)));
    }

    #[test]
    fn label_skips_microsoft_types_and_blank_fields() {
        assert_eq!(explicit_label(&json!({"type": "Shared"})), None);
        assert_eq!(
            explicit_label(&json!({"type": "Independent", "source": "Web"})),
            Some("Web")
        );
        assert_eq!(
            explicit_label(&json!({"referralType": "", "type": "Other"})),
            Some("Other")
        );
        assert_eq!(
            explicit_label(&json!({"referralType": 1, "category": "c"})),
            Some("c")
        );
    }
}
