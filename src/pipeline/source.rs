//! Reading referrals from a file for `sync --from-file` (cli.md): a JSON array, an API page
//! object with `value` (or `items`), or newline-delimited JSON.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};

/// One entry of the input, in file order.
#[derive(Debug)]
pub enum Entry {
    Referral(Value),
    /// An NDJSON line that does not parse as a JSON object: skipped `invalid`.
    Invalid {
        line: usize,
        reason: String,
    },
}

/// Read the whole input (`-` = stdin). Missing or unreadable → 66; unparseable → 65.
pub fn read_entries(path: &Path) -> Result<Vec<Entry>> {
    let bytes = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Error::no_input(format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(path).map_err(|e| {
            Error::no_input(format!(
                "cannot read {}: {}; check the path given to --from-file",
                path.display(),
                io_reason(&e)
            ))
        })?
    };
    parse_entries(&bytes, &path.display().to_string())
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Detect the format by content and parse it.
pub fn parse_entries(bytes: &[u8], name: &str) -> Result<Vec<Entry>> {
    let Some(first) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Ok(Vec::new()); // empty, or only blank lines: nothing to import
    };
    let bad = |e: serde_json::Error| {
        Error::data(format!(
            "{name}: not readable as referrals: {} at line {} column {}",
            describe(&e),
            e.line(),
            e.column()
        ))
    };
    if bytes[first] == b'[' {
        let items: Vec<Value> = serde_json::from_slice(bytes).map_err(bad)?;
        return Ok(items.into_iter().map(Entry::Referral).collect());
    }
    if bytes[first] == b'{'
        && let Ok(Value::Object(mut page)) = serde_json::from_slice::<Value>(bytes)
    {
        for key in ["value", "items"] {
            match page.remove(key) {
                Some(Value::Array(items)) => {
                    return Ok(items.into_iter().map(Entry::Referral).collect());
                }
                Some(_) => {
                    return Err(Error::data(format!(
                        "{name}: not readable as referrals: `{key}` is not an array (line 1 column 1)"
                    )));
                }
                None => {}
            }
        }
        // A whole-file object without `value`: a single referral, one line or pretty-printed.
        return Ok(vec![Entry::Referral(Value::Object(page))]);
    }
    parse_ndjson(bytes, name)
}

fn parse_ndjson(bytes: &[u8], name: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut parsed_any = false;
    let mut first_error: Option<(usize, serde_json::Error)> = None;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match serde_json::from_slice::<Value>(raw) {
            Ok(v @ Value::Object(_)) => {
                parsed_any = true;
                out.push(Entry::Referral(v));
            }
            Ok(other) => {
                parsed_any = true;
                out.push(Entry::Invalid {
                    line,
                    reason: format!("line {line}: a JSON {} is not a referral", kind(&other)),
                });
            }
            Err(e) => {
                let reason = format!("line {line}: {}", describe(&e));
                if first_error.is_none() {
                    first_error = Some((line, e));
                }
                out.push(Entry::Invalid { line, reason });
            }
        }
    }
    if !parsed_any && let Some((line, e)) = first_error {
        return Err(Error::data(format!(
            "{name}: not readable as referrals: {} at line {line} column {}",
            describe(&e),
            e.column()
        )));
    }
    Ok(out)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// serde_json's message without its own " at line X column Y" suffix.
fn describe(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referrals(entries: &[Entry]) -> usize {
        entries
            .iter()
            .filter(|e| matches!(e, Entry::Referral(_)))
            .count()
    }

    #[test]
    fn formats_are_detected_by_content() {
        assert_eq!(
            referrals(&parse_entries(b"  [{\"id\":\"a\"},{\"id\":\"b\"}]", "f").unwrap()),
            2
        );
        assert_eq!(
            referrals(
                &parse_entries(br#"{"value":[{"id":"a"}],"@odata.nextLink":"x"}"#, "f").unwrap()
            ),
            1
        );
        assert_eq!(
            referrals(&parse_entries(br#"{"items":[{"id":"a"}]}"#, "f").unwrap()),
            1
        );
        assert_eq!(
            referrals(&parse_entries(b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n", "f").unwrap()),
            2
        );
        assert_eq!(
            referrals(&parse_entries(b"{\n  \"id\": \"a\"\n}\n", "f").unwrap()),
            1
        );
        assert!(parse_entries(b"\n \n", "f").unwrap().is_empty());
        assert!(parse_entries(b"", "f").unwrap().is_empty());
    }

    #[test]
    fn broken_documents_say_where() {
        let e = parse_entries(b"[\n{\"id\":\"a\"},\n{\"id\":", "f.json").unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(e.message.contains("line 3 column 6"), "{}", e.message);
        let e = parse_entries(br#"{"value": 3}"#, "f").unwrap_err();
        assert_eq!(e.exit_code(), 65);
        let e = parse_entries(b"nope\nstill nope\n", "f").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn bad_ndjson_lines_are_skipped_with_their_number() {
        let entries = parse_entries(
            b"{\"id\":\"a\"}\n{oops\n[1]\n\xff\xfe\n{\"id\":\"b\"}\n",
            "f",
        )
        .unwrap();
        assert_eq!(referrals(&entries), 2);
        let lines: Vec<usize> = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Invalid { line, .. } => Some(*line),
                _ => None,
            })
            .collect();
        assert_eq!(lines, vec![2, 3, 4]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse_entries(deep.as_bytes(), "f").unwrap_err().exit_code(),
            65
        );
        let line = format!(
            "{{\"id\":\"x\",\"a\":{}{}}}\n{{\"id\":\"y\"}}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let entries = parse_entries(line.as_bytes(), "f").unwrap();
        assert_eq!(referrals(&entries), 1);
    }
}
