//! Reading referrals from a file for `sync --from-file` (cli.md): a JSON array, an API page
//! object with `value` (or `items`), or newline-delimited JSON.
//!
//! The whole input is read and its syntax checked before anything is written (a broken file
//! exits 65 and stores nothing), but each referral is only cut out as JSON text here: turning
//! it into a `Value` is left to [`prepare`](crate::pipeline::ingest::prepare), on the thread
//! that works a page ahead of the writes.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// One entry of the input, in input order.
#[derive(Debug)]
pub enum Entry<'a> {
    /// A referral as JSON text read from the API.
    Json(Box<RawValue>),
    /// A referral as JSON text cut out of a file, with its line in NDJSON.
    Text {
        line: Option<usize>,
        json: &'a RawValue,
    },
    /// An NDJSON line that does not parse as a JSON object: skipped `invalid`.
    Invalid { line: usize, reason: String },
}

/// The whole input (`-` = stdin). Missing or unreadable → 66.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Error::no_input(format!("cannot read stdin: {e}")))?;
        return Ok(b);
    }
    std::fs::read(path).map_err(|e| {
        Error::no_input(format!(
            "cannot read {}: {}; check the path given to --from-file",
            path.display(),
            io_reason(&e)
        ))
    })
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// Detect the format by content and cut it into entries. Unparseable → 65.
pub fn parse_entries<'a>(bytes: &'a [u8], name: &str) -> Result<Vec<Entry<'a>>> {
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
    let texts = |items: Vec<&'a RawValue>| {
        items
            .into_iter()
            .map(|json| Entry::Text { line: None, json })
            .collect()
    };
    if bytes[first] == b'[' {
        return Ok(texts(serde_json::from_slice(bytes).map_err(bad)?));
    }
    if bytes[first] == b'{'
        && let Ok(page) = serde_json::from_slice::<HashMap<String, &RawValue>>(bytes)
    {
        for key in ["value", "items"] {
            let Some(raw) = page.get(key) else {
                continue;
            };
            return match serde_json::from_str::<Vec<&RawValue>>(raw.get()) {
                Ok(items) => Ok(texts(items)),
                Err(_) => Err(Error::data(format!(
                    "{name}: not readable as referrals: `{key}` is not an array (line 1 column 1)"
                ))),
            };
        }
        // A whole-file object without `value`: a single referral, one line or pretty-printed.
        let json: &RawValue = serde_json::from_slice(bytes).map_err(bad)?;
        return Ok(vec![Entry::Text { line: None, json }]);
    }
    parse_ndjson(bytes, name)
}

fn parse_ndjson<'a>(bytes: &'a [u8], name: &str) -> Result<Vec<Entry<'a>>> {
    let mut out = Vec::new();
    let mut parsed_any = false;
    let mut first_error: Option<(usize, serde_json::Error)> = None;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        if raw.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        match serde_json::from_slice::<&RawValue>(raw) {
            Ok(json) if json.get().starts_with('{') => {
                parsed_any = true;
                out.push(Entry::Text {
                    line: Some(line),
                    json,
                });
            }
            Ok(other) => {
                parsed_any = true;
                out.push(Entry::Invalid {
                    line,
                    reason: format!("line {line}: a JSON {} is not a referral", kind(other)),
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

/// What kind of JSON value a (valid) text is, by its first character.
fn kind(v: &RawValue) -> &'static str {
    match v.get().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        Some(b'"') => "string",
        Some(b'[') => "array",
        Some(b'{') => "object",
        _ => "number",
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
            .filter(|e| matches!(e, Entry::Json(_) | Entry::Text { .. }))
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
    fn deep_nesting_is_cut_out_here_and_refused_when_prepared() {
        // Syntax is checked here without a depth limit; the element is refused (skipped
        // `invalid`) when it is parsed into a value, and its neighbours are kept.
        let deep = format!(
            "[{{\"id\":\"a\"}},{}{}]",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let entries = parse_entries(deep.as_bytes(), "f").unwrap();
        assert_eq!(referrals(&entries), 2);
        let items = crate::pipeline::ingest::prepare(entries);
        let invalid = |items: &[crate::pipeline::ingest::Item]| {
            items
                .iter()
                .filter(|i| matches!(i, crate::pipeline::ingest::Item::Invalid { .. }))
                .count()
        };
        assert_eq!(invalid(&items), 1);
        let line = format!(
            "{{\"id\":\"x\",\"a\":{}{}}}\n{{\"id\":\"y\"}}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let entries = parse_entries(line.as_bytes(), "f").unwrap();
        assert_eq!(invalid(&crate::pipeline::ingest::prepare(entries)), 1);
        // Unbalanced nesting is a syntax error: the file is refused whole.
        let broken = format!("[{}", "[".repeat(100_000));
        assert_eq!(
            parse_entries(broken.as_bytes(), "f")
                .unwrap_err()
                .exit_code(),
            65
        );
    }
}
