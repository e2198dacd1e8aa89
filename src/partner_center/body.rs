//! Reading response bodies: a page of referrals, or the gist of an error answer.

use std::collections::HashMap;

use serde_json::Value;
use serde_json::value::RawValue;

/// One page as the service sent it.
#[derive(Debug)]
pub(crate) struct RawPage {
    pub referrals: Vec<Box<RawValue>>,
    /// `@odata.nextLink`, when present and non-empty.
    pub next_link: Option<String>,
}

/// Parse a page: `{"value": [...], "@odata.nextLink": "..."}`, or the older shapes, a bare
/// array or `{"items": [...]}`. The whole body's syntax is checked here, but each referral is
/// only cut out as JSON text: the pipeline parses it (leniently) where it prepares the page.
/// The error is a short description for the error line.
pub(crate) fn parse_page(body: &[u8]) -> Result<RawPage, String> {
    let unusable = |e: serde_json::Error| {
        if e.is_eof() {
            format!("the page body is truncated JSON ({} bytes)", body.len())
        } else {
            format!("the page body is not JSON: {e}")
        }
    };
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return Ok(RawPage {
            referrals: serde_json::from_slice(body).map_err(unusable)?,
            next_link: None,
        });
    }
    if first != Some(&b'{') {
        serde_json::from_slice::<Value>(body).map_err(unusable)?;
        return Err("the page body is neither an object nor an array".into());
    }
    let page: HashMap<String, Box<RawValue>> = serde_json::from_slice(body).map_err(unusable)?;
    let Some(list) = page.get("value").or_else(|| page.get("items")) else {
        return Err("the page has neither `value` nor `items`".into());
    };
    let referrals = serde_json::from_str::<Vec<Box<RawValue>>>(list.get())
        .map_err(|_| "the page's `value` is not an array".to_string())?;
    let next_link = match page
        .get("@odata.nextLink")
        .map(|l| serde_json::from_str(l.get()))
    {
        None | Some(Ok(Value::Null)) => None,
        Some(Ok(Value::String(s))) if s.trim().is_empty() => None,
        Some(Ok(Value::String(s))) => Some(s),
        Some(_) => return Err("the page's `@odata.nextLink` is not a string".into()),
    };
    Ok(RawPage {
        referrals,
        next_link,
    })
}

/// The code and message of an error body, for the error line: `{"error": {"code",
/// "message"}}`, or the 429 shape `{"statusCode", "message"}`. At most 200 characters.
pub(crate) fn error_summary(body: &[u8]) -> Option<String> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let err = doc.get("error").unwrap_or(&doc);
    let text = |k: &str| err.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    let summary = match (text("code"), text("message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => return None,
    };
    Some(summary.chars().take(200).collect())
}

/// The error code of an error body, lower-cased (codes are matched case-insensitively).
pub(crate) fn error_code(body: &[u8]) -> Option<String> {
    let doc: Value = serde_json::from_slice(body).ok()?;
    let code = doc.get("error")?.get("code")?.as_str()?;
    Some(code.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_page_shape() {
        let p = parse_page(br#"{"value":[{"id":"a"}],"@odata.nextLink":"http://x/n"}"#).unwrap();
        assert_eq!(p.referrals.len(), 1);
        assert_eq!(p.next_link.as_deref(), Some("http://x/n"));
        let p = parse_page(br#"[{"id":"a"},{"id":"b"}]"#).unwrap();
        assert_eq!((p.referrals.len(), p.next_link), (2, None));
        let p = parse_page(br#"{"items":[{"id":"a"}],"@odata.nextLink":null}"#).unwrap();
        assert_eq!((p.referrals.len(), p.next_link), (1, None));
    }

    #[test]
    fn refuses_unusable_pages() {
        assert!(
            parse_page(br#"{"value":[{"id":"a"}"#)
                .unwrap_err()
                .contains("truncated")
        );
        assert!(parse_page(b"<html>").unwrap_err().contains("not JSON"));
        assert!(parse_page(br#"{"value":{}}"#).is_err());
        assert!(parse_page(br#"{"other":[]}"#).is_err());
        assert!(parse_page(br#""text""#).is_err());
        assert!(parse_page(br#"{"value":[],"@odata.nextLink":5}"#).is_err());
    }

    #[test]
    fn summarises_both_error_shapes() {
        let b = br#"{"error":{"code":"accessDenied","message":"no role"}}"#;
        assert_eq!(error_summary(b).as_deref(), Some("accessDenied: no role"));
        assert_eq!(error_code(b).as_deref(), Some("accessdenied"));
        let b = br#"{"statusCode":429,"message":"Rate limit is exceeded."}"#;
        assert_eq!(error_summary(b).as_deref(), Some("Rate limit is exceeded."));
        assert_eq!(error_summary(b"not json"), None);
    }
}
