//! Azure tenant id, pipeline.md §4: the first present source holding a GUID.

use serde_json::Value;

use super::view::{ProfileId, at, is_present, profile_ids};

/// Top-level and profile fields that may carry the tenant id, in order (before `ids`).
const TENANT_FIELDS: &[&[&str]] = &[
    &["azureTenantId"],
    &["azure_tenant_id"],
    &["customerProfile", "azureTenantId"],
];

/// Profile types of `customerProfile.ids` that name a tenant, compared after
/// [`profile_type_key`] (lower case, without `-`, `_` and spaces).
const TENANT_PROFILE_TYPES: &[&str] = &[
    "azuretenantid",
    "tenantid",
    "aadtenantid",
    "microsofttenantid",
];

/// The referral's Azure tenant id in lower-case canonical form. A present value that is not a
/// GUID adds a warning (naming the source, not the value) and the next source is tried.
pub fn azure_tenant_id(referral: &Value, warnings: &mut Vec<String>) -> Option<String> {
    let fields = TENANT_FIELDS
        .iter()
        .map(|path| (path.join("."), at(referral, path)));
    let ids = profile_ids(referral)
        .into_iter()
        .filter(|p| is_tenant_profile_type(p.profile_type))
        .map(|ProfileId { profile_type, id }| {
            (format!("customerProfile.ids[{profile_type}]"), Some(id))
        });
    for (source, value) in fields.chain(ids) {
        if !is_present(value) {
            continue;
        }
        match value.and_then(Value::as_str).and_then(canonical_guid) {
            Some(guid) => return Some(guid),
            None => warnings.push(format!(
                "{source} is not a GUID; ignored as Azure tenant id"
            )),
        }
    }
    None
}

/// Whether a profile type of `customerProfile.ids` names an Azure tenant.
pub fn is_tenant_profile_type(profile_type: &str) -> bool {
    TENANT_PROFILE_TYPES.contains(&profile_type_key(profile_type).as_str())
}

/// A profile type compared ignoring case, `-`, `_` and spaces.
pub fn profile_type_key(profile_type: &str) -> String {
    profile_type
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// A GUID (`8-4-4-4-12` hex digits, optionally in braces, any case, surrounding spaces
/// ignored) in lower-case canonical form. The nil GUID is no tenant and gives `None`.
pub fn canonical_guid(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let bytes = inner.as_bytes();
    let well_formed = bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        });
    let guid = inner.to_ascii_lowercase();
    (well_formed && guid != NIL_GUID).then_some(guid)
}

const NIL_GUID: &str = "00000000-0000-0000-0000-000000000000";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_in_canonical_lower_case() {
        let canonical = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        for written in [
            canonical,
            "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
            " 3f2504e0-4f89-11d3-9a0c-0305e82c3301\n",
        ] {
            assert_eq!(
                canonical_guid(written).as_deref(),
                Some(canonical),
                "{written:?}"
            );
        }
        for bad in [
            "",
            "{}",
            "3f2504e04f8911d39a0c0305e82c3301",
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
            "{3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "3f2504e0_4f89_11d3_9a0c_0305e82c3301",
            "urn:uuid:3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "3f2504e0-4f89-11d3-9a0c-0305e82c33011",
            "3f2504e0-4f89-11d3-9a0c-0305e82c330ü",
            NIL_GUID,
        ] {
            assert_eq!(canonical_guid(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn profile_types_ignore_case_hyphens_underscores_and_spaces() {
        for name in [
            "AzureTenantId",
            "azure-tenant-id",
            "AZURE_TENANT_ID",
            "Tenant Id",
            "aad tenant-id",
            "Microsoft_TenantID",
        ] {
            assert!(is_tenant_profile_type(name), "{name}");
        }
        for name in ["Tenant", "External", "Duns", "azuretenant"] {
            assert!(!is_tenant_profile_type(name), "{name}");
        }
    }
}
