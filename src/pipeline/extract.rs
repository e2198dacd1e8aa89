//! What one referral says, derived without I/O: identity, category (pipeline.md §3), Azure
//! tenant id (§4), customer domain (§5) and the tracking-row fields (§2 step 8).

use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::view::{at, scalar_text, text};
use super::{category, domain, tenant};
use crate::model::Category;

/// The one-candidate normaliser and the registrable-domain function, for the lead and scan code.
pub use super::domain::{normalize_domain, registrable_domain};

/// The fields of the tracking row and the ingestion row, derived from one referral's JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// `id`, when it is a non-empty string of at most [`MAX_INDEXED_BYTES`] (else the referral
    /// is skipped `invalid`: a longer one cannot be stored under the column's unique index).
    pub referral_id: Option<String>,
    /// `direction` as received (trimmed; Hunter keeps it so); `None` when missing (counts as
    /// incoming). Compared without case.
    pub direction: Option<String>,
    /// `co-sell`, `marketplace`, `solution-provider`, or `None` (§3).
    pub referral_type: Option<Category>,
    /// Raw `type`, `qualification`, `status`, `substatus`, `engagementId` as received (a
    /// `status` longer than [`MAX_INDEXED_BYTES`] is dropped: the column is indexed).
    pub type_: Option<String>,
    pub qualification: Option<String>,
    pub status: Option<String>,
    pub substatus: Option<String>,
    pub engagement_id: Option<String>,
    /// `externalReferenceId` as received.
    pub external_reference_id: Option<String>,
    /// `customerProfile.name`, else `companyName`, else `company_name`.
    pub company_name: Option<String>,
    /// `customerProfile.name`.
    pub customer_name: Option<String>,
    /// `customerProfile.address.country`.
    pub customer_country: Option<String>,
    /// Lower-case canonical GUID (§4).
    pub azure_tenant_id: Option<String>,
    /// Registrable domain, ASCII (§5).
    pub domain: Option<String>,
    /// The host as written in the winning candidate (§5).
    pub raw_domain: Option<String>,
    /// For `raw_leads`: the first customer-side email candidate's address (§2 step 9).
    pub email: Option<String>,
    /// For `raw_leads`: the first website candidate, as written.
    pub website: Option<String>,
    /// `details.dealValue` when it fits numeric(15,2), and `details.currency`.
    pub deal_value: Option<BigDecimal>,
    pub currency: Option<String>,
    /// `createdDateTime` / `updatedDateTime`, truncated to microseconds.
    pub pc_created_at: Option<DateTime<Utc>>,
    pub pc_updated_at: Option<DateTime<Utc>>,
    /// Values that did not fit and were dropped (logged by the caller).
    pub warnings: Vec<String>,
}

/// Derive everything the pipeline needs from one referral. Never panics.
pub fn extract(referral: &Value) -> Extracted {
    let mut warnings = Vec::new();
    let customer_name = trimmed_text(referral, &["customerProfile", "name"]);
    let company_name = customer_name
        .clone()
        .or_else(|| trimmed_text(referral, &["companyName"]))
        .or_else(|| trimmed_text(referral, &["company_name"]));
    let azure_tenant_id = tenant::azure_tenant_id(referral, &mut warnings);
    let found = domain::customer_domain(referral);
    Extracted {
        referral_id: text(referral, &["id"])
            .filter(|id| id.len() <= MAX_INDEXED_BYTES)
            .map(str::to_owned),
        direction: direction(referral),
        referral_type: category::referral_type(referral),
        type_: scalar_text(at(referral, &["type"])),
        qualification: scalar_text(at(referral, &["qualification"])),
        status: status(referral, &mut warnings),
        substatus: scalar_text(at(referral, &["substatus"])),
        engagement_id: scalar_text(at(referral, &["engagementId"])),
        external_reference_id: scalar_text(at(referral, &["externalReferenceId"])),
        company_name,
        customer_name,
        customer_country: trimmed_text(referral, &["customerProfile", "address", "country"]),
        azure_tenant_id,
        domain: found.domain,
        raw_domain: found.raw_domain,
        email: found.email,
        website: found.website,
        deal_value: deal_value(at(referral, &["details", "dealValue"]), &mut warnings),
        currency: trimmed_text(referral, &["details", "currency"]),
        pc_created_at: timestamp(referral, "createdDateTime", &mut warnings),
        pc_updated_at: timestamp(referral, "updatedDateTime", &mut warnings),
        warnings,
    }
}

/// `direction`, trimmed and in lower case; blank or missing → `None` (incoming). A value of
/// another type is kept as its JSON text so that the caller skips it as an unknown direction.
fn direction(referral: &Value) -> Option<String> {
    match at(referral, &["direction"])? {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        other => Some(other.to_string()),
    }
}

/// The longest `id` and `status` kept. Their columns have btree indexes, whose entries Postgres
/// refuses past 2,704 bytes (after compression): a longer value would fail the referral's
/// write. No id (a GUID) or status is near this long; what is, is not one.
pub const MAX_INDEXED_BYTES: usize = 1024;

/// `status` as received, unless it is longer than [`MAX_INDEXED_BYTES`] (dropped, with a
/// warning).
fn status(referral: &Value, warnings: &mut Vec<String>) -> Option<String> {
    let status = scalar_text(at(referral, &["status"]))?;
    if status.len() > MAX_INDEXED_BYTES {
        warnings.push(format!(
            "status is longer than {MAX_INDEXED_BYTES} bytes; stored as NULL"
        ));
        return None;
    }
    Some(status)
}

fn trimmed_text(referral: &Value, path: &[&str]) -> Option<String> {
    text(referral, path).map(|s| s.trim().to_owned())
}

/// Largest absolute value numeric(15,2) holds is 10^13 − 0.01.
const DEAL_VALUE_INTEGER_DIGITS: i64 = 13;
const DEAL_VALUE_SCALE: i64 = 2;
/// A number written with more characters than this is not a deal value (and parsing it could
/// cost more than the whole referral).
const MAX_NUMBER_TEXT: usize = 64;

/// `details.dealValue` (a JSON number, or a string holding one) rounded to cents as Postgres
/// would; `None` with a warning when it is not a number or does not fit numeric(15,2).
pub fn deal_value(value: Option<&Value>, warnings: &mut Vec<String>) -> Option<BigDecimal> {
    let written = match value? {
        Value::Null => return None,
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => s.trim().to_owned(),
        _ => {
            warnings.push("details.dealValue is not a number; stored as NULL".to_owned());
            return None;
        }
    };
    let parsed = (written.len() <= MAX_NUMBER_TEXT)
        .then(|| BigDecimal::from_str(&written).ok())
        .flatten();
    let Some(number) = parsed else {
        warnings.push("details.dealValue is not a number; stored as NULL".to_owned());
        return None;
    };
    let fitted = fit_numeric_15_2(&number);
    if fitted.is_none() {
        warnings.push("details.dealValue does not fit numeric(15,2); stored as NULL".to_owned());
    }
    fitted
}

/// `number` rounded half away from zero to two decimals, when it then fits numeric(15,2).
fn fit_numeric_15_2(number: &BigDecimal) -> Option<BigDecimal> {
    let (_, exponent) = number.as_bigint_and_exponent();
    let digits = i64::try_from(number.digits()).unwrap_or(i64::MAX);
    let integer_digits = digits.saturating_sub(exponent);
    if number.sign() == bigdecimal::num_bigint::Sign::NoSign || integer_digits < -DEAL_VALUE_SCALE {
        // Zero, or below half a cent in magnitude: rounds to zero (and must not be
        // rescaled from an enormous exponent).
        return Some(BigDecimal::new(0.into(), DEAL_VALUE_SCALE));
    }
    if integer_digits > DEAL_VALUE_INTEGER_DIGITS {
        return None;
    }
    let rounded = number.with_scale_round(DEAL_VALUE_SCALE, RoundingMode::HalfUp);
    let limit = BigDecimal::new(1.into(), -DEAL_VALUE_INTEGER_DIGITS);
    (rounded.abs() < limit).then_some(rounded)
}

/// A timestamp field: RFC 3339 (any number of fractional digits; without an offset it is
/// read as UTC), truncated to microseconds. Unparseable, or outside what Postgres's
/// `timestamptz` holds → `None` with a warning.
fn timestamp(referral: &Value, field: &str, warnings: &mut Vec<String>) -> Option<DateTime<Utc>> {
    let value = at(referral, &[field])?;
    let parsed = match value {
        Value::Null => return None,
        Value::String(s) if s.trim().is_empty() => return None,
        Value::String(s) => parse_timestamp(s),
        _ => None,
    };
    match parsed {
        None => {
            warnings.push(format!("{field} is not a date and time; stored as NULL"));
            None
        }
        Some(t) if !fits_timestamptz(t) => {
            warnings.push(format!(
                "{field} is outside the dates Postgres stores (4714-11-24 BC to 294276 AD); \
                 stored as NULL"
            ));
            None
        }
        t => t,
    }
}

/// Whether Postgres's `timestamptz` holds `t`: from 4714-11-24 BC 00:00 UTC (Julian day 0,
/// year −4713 in chrono's proleptic numbering) up to, not including, 294277-01-01 (beyond
/// chrono's own range). Sent outside it, the write fails ("timestamp out of range").
fn fits_timestamptz(t: DateTime<Utc>) -> bool {
    let earliest = NaiveDate::from_ymd_opt(-4713, 11, 24)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    earliest.is_some_and(|earliest| t >= earliest)
}

/// Parse a Partner Center timestamp and truncate it to microseconds (what Postgres keeps).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let utc = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc())
        })
        .ok()?;
    utc.with_nanosecond(utc.nanosecond() / 1_000 * 1_000)
}

/// SHA-256 (hex) of the compact JSON with object keys sorted, values as received (§2 step 4).
pub fn content_hash(referral: &Value) -> String {
    hash_of_canonical(&canonical_json(referral))
}

/// The content hash of a text [`canonical_json`] wrote.
pub fn hash_of_canonical(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}

/// The compact JSON of `value` with object keys in byte order: what the content hash is taken
/// of, and the text `raw_data` and `payload` are sent as (jsonb keeps no key order, so it
/// stores the same value as the referral as received).
pub fn canonical_json(value: &Value) -> String {
    let mut out = Vec::with_capacity(2048);
    write_canonical(value, &mut out);
    // Only serde_json's UTF-8 output and ASCII punctuation were written.
    String::from_utf8(out).unwrap_or_default()
}

/// (Recursion depth is that of the value; serde_json's parser caps it at 128.)
fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_json(key, out);
                out.push(b':');
                write_canonical(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_json(scalar, out),
    }
}

/// serde_json's compact text of a string key or a scalar.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing a string or a scalar into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(text: &str) -> Option<String> {
        let number = BigDecimal::from_str(text).ok()?;
        fit_numeric_15_2(&number).map(|d| d.to_string())
    }

    #[test]
    fn numeric_15_2_bounds_and_rounding() {
        assert_eq!(fit("9999999999999.99").as_deref(), Some("9999999999999.99"));
        assert_eq!(
            fit("-9999999999999.994").as_deref(),
            Some("-9999999999999.99")
        );
        assert_eq!(fit("9999999999999.995"), None);
        assert_eq!(fit("10000000000000"), None);
        assert_eq!(fit("1.005").as_deref(), Some("1.01"));
        assert_eq!(fit("1.004").as_deref(), Some("1.00"));
        assert_eq!(fit("12e2").as_deref(), Some("1200.00"));
        assert_eq!(fit("1e-999999999").map(|_| ()), Some(()));
        assert_eq!(fit("1e999999999"), None);
    }

    #[test]
    fn timestamps_parse_and_truncate() {
        let t = parse_timestamp("2020-10-30T21:03:00.0000009Z").map(|t| t.nanosecond());
        assert_eq!(t, Some(0));
        let t = parse_timestamp("2020-10-30T21:03:00.123456789123Z").map(|t| t.nanosecond());
        assert_eq!(t, Some(123_456_000));
        assert!(parse_timestamp("2020-10-30").is_none());
        assert!(parse_timestamp("").is_none());
    }

    #[test]
    fn timestamps_postgres_cannot_store_are_null_with_a_warning() {
        let dates = |created: &str| {
            let e = extract(&serde_json::json!({"createdDateTime": created}));
            (e.pc_created_at.map(|t| t.to_rfc3339()), e.warnings)
        };
        // The earliest timestamptz (4714-11-24 BC) is kept; a microsecond before it is not.
        assert_eq!(
            dates("-4713-11-24T00:00:00").0.as_deref(),
            Some("-4713-11-24T00:00:00+00:00")
        );
        for outside in [
            "-4713-11-23T23:59:59.999999",
            "-4714-11-24T00:00:00",
            "-5000-01-01T00:00:00",
            "-200000-01-01T00:00:00",
        ] {
            let (t, warnings) = dates(outside);
            assert_eq!(t, None, "{outside}");
            assert_eq!(warnings.len(), 1, "{outside}");
            assert!(
                warnings[0].contains("outside the dates Postgres stores"),
                "{outside}: {warnings:?}"
            );
        }
        // Late dates chrono holds are within Postgres's range.
        assert!(dates("+200000-12-31T23:59:59").0.is_some());
    }

    #[test]
    fn a_status_too_long_for_its_index_is_dropped_with_a_warning() {
        let long = "Active ".repeat(200);
        let e = extract(&serde_json::json!({"status": long}));
        assert_eq!(e.status, None);
        assert_eq!(
            e.warnings,
            vec![format!(
                "status is longer than {MAX_INDEXED_BYTES} bytes; stored as NULL"
            )]
        );
        let e = extract(&serde_json::json!({"status": "x".repeat(MAX_INDEXED_BYTES)}));
        assert_eq!(e.status.map(|s| s.len()), Some(MAX_INDEXED_BYTES));
    }

    #[test]
    fn an_id_too_long_for_its_index_is_no_id() {
        let id = |id: String| extract(&serde_json::json!({ "id": id })).referral_id;
        assert_eq!(id("ş".repeat(MAX_INDEXED_BYTES / 2 + 1)), None);
        let longest = "x".repeat(MAX_INDEXED_BYTES);
        assert_eq!(id(longest.clone()), Some(longest));
    }
}
