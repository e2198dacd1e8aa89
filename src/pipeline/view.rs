//! A lenient view over referral JSON: every field optional, wrong shapes read as absent.

use serde_json::Value;

/// The value at `path` (object keys only), when every step is an object holding the key.
pub(crate) fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.as_object()?.get(*key))
}

/// "Present" as pipeline.md §4 defines it: not null and not a blank string.
pub(crate) fn is_present(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(_) => true,
    }
}

/// The string at `path` when it is present (a non-blank string), as received.
pub(crate) fn text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    match at(value, path) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// A scalar field as text: a non-blank string as received, a number or boolean as its JSON
/// text (unknown values are kept, not dropped); null, blank, objects and arrays give `None`.
pub(crate) fn scalar_text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The elements of a field meant to be an array; a lone object counts as one element.
pub(crate) fn elements(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(v @ Value::Object(_)) => std::slice::from_ref(v),
        _ => &[],
    }
}

/// One entry of `customerProfile.ids`: its profile type and its id value.
pub(crate) struct ProfileId<'a> {
    pub profile_type: &'a str,
    pub id: &'a Value,
}

/// The entries of `customerProfile.ids` in either documented form: an array of
/// `{profileType, id}`, or an object keyed by profile type (whose value may be the id, an
/// `{id}` object or an array of either). Anything else (`{}`, `[]`, null, a string) is empty.
pub(crate) fn profile_ids(referral: &Value) -> Vec<ProfileId<'_>> {
    let mut out = Vec::new();
    match at(referral, &["customerProfile", "ids"]) {
        Some(Value::Array(items)) => {
            for item in items {
                let profile_type = at(item, &["profileType"]).and_then(Value::as_str);
                if let (Some(profile_type), Some(id)) = (profile_type, at(item, &["id"])) {
                    out.push(ProfileId { profile_type, id });
                }
            }
        }
        Some(Value::Object(map)) => {
            for (profile_type, value) in map {
                for id in id_values(value) {
                    out.push(ProfileId { profile_type, id });
                }
            }
        }
        _ => {}
    }
    out
}

/// The id values behind one key of the object form of `customerProfile.ids`.
fn id_values(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().flat_map(id_values).collect(),
        Value::Object(_) => at(value, &["id"]).into_iter().collect(),
        other => vec![other],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn present_means_not_null_and_not_blank() {
        assert!(!is_present(None));
        assert!(!is_present(Some(&json!(null))));
        assert!(!is_present(Some(&json!("  \t"))));
        assert!(is_present(Some(&json!("x"))));
        assert!(is_present(Some(&json!({}))));
        assert!(is_present(Some(&json!(0))));
    }

    #[test]
    fn paths_through_wrong_shapes_are_absent() {
        let v = json!({"a": [1], "b": "s", "c": {"d": 2}});
        assert_eq!(at(&v, &["a", "x"]), None);
        assert_eq!(at(&v, &["b", "x"]), None);
        assert_eq!(at(&v, &["c", "d"]), Some(&json!(2)));
        assert_eq!(text(&v, &["c"]), None);
    }

    #[test]
    fn profile_ids_in_both_forms() {
        let array = json!({"customerProfile": {"ids": [
            {"profileType": "Duns", "id": "1"}, {"profileType": "External", "id": "acme.com"},
            {"id": "no type"}, 7, null]}});
        let got: Vec<_> = profile_ids(&array)
            .iter()
            .map(|p| (p.profile_type, p.id.clone()))
            .collect();
        assert_eq!(
            got,
            vec![("Duns", json!("1")), ("External", json!("acme.com"))]
        );

        let object = json!({"customerProfile": {"ids": {
            "External": ["a.com", {"id": "b.com"}], "Duns": {"id": "2"}}}});
        let got: Vec<_> = profile_ids(&object)
            .iter()
            .map(|p| (p.profile_type, p.id.clone()))
            .collect();
        assert_eq!(got.len(), 3);
        assert!(got.contains(&("External", json!("a.com"))));
        assert!(got.contains(&("External", json!("b.com"))));

        for empty in [json!({}), json!([]), json!(null), json!("x")] {
            let r = json!({"customerProfile": {"ids": empty}});
            assert!(profile_ids(&r).is_empty());
        }
    }
}
