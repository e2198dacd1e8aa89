//! What one referral says, derived without I/O: identity, category (pipeline.md §3), Azure
//! tenant id (§4), customer domain (§5) and the tracking-row fields (§2 step 8).

use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The fields of the tracking row and the ingestion row, derived from one referral's JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extracted {
    /// `id`, when it is a non-empty string (else the referral is skipped `invalid`).
    pub referral_id: Option<String>,
    /// `direction` in lower case; `None` when missing (counts as incoming).
    pub direction: Option<String>,
    /// `co-sell`, `marketplace`, `solution-provider`, or `None` (§3).
    pub referral_type: Option<&'static str>,
    /// Raw `type`, `qualification`, `status`, `substatus`, `engagementId` as received.
    pub type_: Option<String>,
    pub qualification: Option<String>,
    pub status: Option<String>,
    pub substatus: Option<String>,
    pub engagement_id: Option<String>,
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
pub fn extract(_referral: &Value) -> Extracted {
    unimplemented!("issue 3: referral extraction")
}

/// SHA-256 (hex) of the compact JSON with object keys sorted, values as received (§2 step 4).
pub fn content_hash(_referral: &Value) -> String {
    unimplemented!("issue 3: content hash")
}
