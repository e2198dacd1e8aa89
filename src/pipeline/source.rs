//! Reading referrals from a file for `sync --from-file`: a JSON array, an API page object
//! with `value` (or `items`), or newline-delimited JSON, told apart by content.
//!
//! A file is read twice, in bounded memory whatever its size: [`open`] checks its syntax
//! whole (a broken file exits 65 and nothing is written, also when it breaks at its last
//! byte) and counts its items; [`InputFile::each`] then hands out the items one by one. Each
//! referral is only cut out as JSON text here: turning it into a `Value` is left to
//! [`prepare`](crate::pipeline::ingest::prepare), on the thread that works a page ahead of the
//! writes. Standard input (`-`) is spooled to a temporary file first, so it can be read twice.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// One entry of the input, in input order.
#[derive(Debug)]
pub enum Entry {
    /// A referral as JSON text read from the API.
    Json(Box<RawValue>),
    /// A referral as JSON text cut out of a file, with its position: the line in NDJSON, the
    /// index in an array or page.
    Text { at: Position, json: Box<RawValue> },
    /// An NDJSON line that does not parse as a JSON object: skipped `invalid`.
    Invalid { line: usize, reason: String },
}

/// Where an entry stands in its file, for warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// 1-based line of an NDJSON file.
    Line(usize),
    /// 0-based index in an array (or a page's `value`).
    Index(usize),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Index(i) => write!(f, "item {i}"),
        }
    }
}

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Nothing but white space.
    Empty,
    Array,
    /// An object whose `value` (or `items`) is the array of referrals.
    Page,
    /// One referral object, maybe pretty-printed over several lines.
    Single,
    Ndjson,
}

/// A checked input file, ready to be read.
pub struct InputFile {
    path: PathBuf,
    /// How the file is named in messages.
    name: String,
    format: Format,
    items: usize,
    /// The whole file, when it is small enough to hold ([`IN_MEMORY_MAX`]): parsing from
    /// memory is several times faster than from a reader.
    bytes: Option<Vec<u8>>,
    /// The entries of a file read into memory, cut out by the checking pass (so a small file is
    /// parsed once); handed out by the first [`InputFile::each`].
    held: std::sync::Mutex<Option<Vec<Entry>>>,
    /// The spooled copy of stdin, removed when this is dropped.
    _spool: Option<tempfile::TempPath>,
}

/// Files up to this size are read into memory once (both passes parse the bytes); larger ones
/// are streamed from the file, twice, so memory stays bounded whatever their size.
const IN_MEMORY_MAX: u64 = 24 * 1024 * 1024;

/// Open `path` (`-` = stdin) and check it whole: missing or unreadable → 66, not readable as
/// referrals → 65.
pub fn open(path: &Path) -> Result<InputFile> {
    open_limited(path, IN_MEMORY_MAX)
}

/// [`open`], holding the file in memory only up to `in_memory_max` bytes.
fn open_limited(path: &Path, in_memory_max: u64) -> Result<InputFile> {
    let (path, name, spool) = if path.as_os_str() == "-" {
        let spool = spool_stdin()?;
        (spool.to_path_buf(), "stdin".to_string(), Some(spool))
    } else {
        (path.to_path_buf(), path.display().to_string(), None)
    };
    let mut input = InputFile {
        path,
        name,
        format: Format::Empty,
        items: 0,
        bytes: None,
        held: std::sync::Mutex::new(None),
        _spool: spool,
    };
    let size = std::fs::metadata(&input.path)
        .map_err(|e| input.unreadable(e))?
        .len();
    if size <= in_memory_max {
        input.bytes = Some(std::fs::read(&input.path).map_err(|e| input.unreadable(e))?);
    }
    input.format = input.detect()?;
    if input.bytes.is_some() {
        // One parse checks the file and cuts out its entries; the bytes are then let go.
        let mut held = Vec::new();
        input.read(input.format, &mut |e| {
            held.push(e);
            true
        })?;
        input.items = held.len();
        input.bytes = None;
        input.held = std::sync::Mutex::new(Some(held));
    } else {
        let mut items = 0;
        input.read(input.format, &mut |_| {
            items += 1;
            true
        })?;
        input.items = items;
    }
    Ok(input)
}

fn spool_stdin() -> Result<tempfile::TempPath> {
    let fail = |e: std::io::Error| {
        Error::no_input(format!("cannot read stdin into a temporary file: {e}")).with_source(e)
    };
    let mut file = tempfile::NamedTempFile::new().map_err(fail)?;
    std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(fail)?;
    Ok(file.into_temp_path())
}

impl InputFile {
    /// How many entries [`InputFile::each`] hands out.
    pub fn len(&self) -> usize {
        self.items
    }

    pub fn is_empty(&self) -> bool {
        self.items == 0
    }

    /// The file as messages name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Hand every entry to `f`, in order, until it returns `false`. (A file held in memory
    /// hands its entries out once.)
    pub fn each(&self, f: &mut dyn FnMut(Entry) -> bool) -> Result<()> {
        let held = self.held.lock().ok().and_then(|mut h| h.take());
        if let Some(entries) = held {
            for e in entries {
                if !f(e) {
                    break;
                }
            }
            return Ok(());
        }
        self.read(self.format, f)
    }

    fn reader(&self) -> Result<BufReader<File>> {
        File::open(&self.path)
            .map(|f| BufReader::with_capacity(64 * 1024, f))
            .map_err(|e| {
                Error::no_input(format!(
                    "cannot read {}: {}; check the path given to --from-file",
                    self.name,
                    io_reason(&e)
                ))
                .with_source(e)
            })
    }

    /// The format by content: the first character, and for an object whether the whole file
    /// is one object (with `value`/`items`: a page) or several lines of them.
    fn detect(&self) -> Result<Format> {
        let mut r = self.buffered()?;
        let first = loop {
            let buf = r.fill_buf().map_err(|e| self.unreadable(e))?;
            if buf.is_empty() {
                return Ok(Format::Empty);
            }
            match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => break buf[i],
                None => {
                    let n = buf.len();
                    r.consume(n);
                }
            }
        };
        match first {
            b'[' => Ok(Format::Array),
            b'{' => {
                let page = match &self.bytes {
                    Some(b) => page_keys(serde_json::Deserializer::from_slice(b)),
                    None => page_keys(serde_json::Deserializer::from_reader(self.reader()?)),
                };
                Ok(match page {
                    Ok(true) => Format::Page,
                    Ok(false) => Format::Single,
                    Err(_) => Format::Ndjson,
                })
            }
            _ => Ok(Format::Ndjson),
        }
    }

    /// The input as a buffered reader: over the bytes in memory, or the file.
    fn buffered(&self) -> Result<Box<dyn BufRead + '_>> {
        Ok(match &self.bytes {
            Some(b) => Box::new(&b[..]),
            None => Box::new(self.reader()?),
        })
    }

    fn unreadable(&self, e: std::io::Error) -> Error {
        Error::no_input(format!("cannot read {}: {}", self.name, io_reason(&e))).with_source(e)
    }

    fn bad(&self, e: serde_json::Error) -> Error {
        if e.is_io() {
            return Error::no_input(format!("cannot read {}: {e}", self.name)).with_source(e);
        }
        Error::data(format!(
            "{}: not readable as referrals: {} at line {} column {}",
            self.name,
            describe(&e),
            e.line(),
            e.column()
        ))
        .with_source(e)
    }

    fn read(&self, format: Format, f: &mut dyn FnMut(Entry) -> bool) -> Result<()> {
        match (format, &self.bytes) {
            (Format::Empty, _) => Ok(()),
            (Format::Ndjson, _) => self.read_ndjson(f),
            (_, Some(b)) => self.parse(serde_json::Deserializer::from_slice(b), format, f),
            (_, None) => {
                let de = serde_json::Deserializer::from_reader(self.reader()?);
                self.parse(de, format, f)
            }
        }
    }

    /// An array, a page or a single object, from memory or a reader.
    fn parse<'de, R: serde_json::de::Read<'de>>(
        &self,
        mut de: serde_json::Deserializer<R>,
        format: Format,
        f: &mut dyn FnMut(Entry) -> bool,
    ) -> Result<()> {
        match format {
            Format::Array => {
                let r = (&mut de)
                    .deserialize_seq(Items { f })
                    .and_then(|_| de.end());
                self.finish(r)
            }
            Format::Page => {
                let r = (&mut de)
                    .deserialize_map(PageItems { f })
                    .and_then(|_| de.end());
                match r {
                    Err(e) if e.to_string().contains(NOT_AN_ARRAY) => Err(Error::data(format!(
                        "{}: not readable as referrals: `value` is not an array (line {} column {})",
                        self.name,
                        e.line(),
                        e.column()
                    ))),
                    r => self.finish(r),
                }
            }
            _ => {
                let json = <Box<RawValue> as serde::Deserialize>::deserialize(&mut de)
                    .and_then(|json| de.end().map(|_| json))
                    .map_err(|e| self.bad(e))?;
                f(Entry::Text {
                    at: Position::Index(0),
                    json,
                });
                Ok(())
            }
        }
    }

    /// The end of a streamed read: stopped by the receiver is no error.
    fn finish(&self, r: serde_json::Result<()>) -> Result<()> {
        match r {
            Err(e) if e.to_string().starts_with(STOPPED) => Ok(()),
            r => r.map_err(|e| self.bad(e)),
        }
    }

    fn read_ndjson(&self, f: &mut dyn FnMut(Entry) -> bool) -> Result<()> {
        let mut r = self.buffered()?;
        let mut buf = Vec::with_capacity(4096);
        let mut parsed_any = false;
        let mut first_error: Option<(usize, serde_json::Error)> = None;
        let mut line = 0;
        loop {
            buf.clear();
            if r.read_until(b'\n', &mut buf)
                .map_err(|e| self.unreadable(e))?
                == 0
            {
                break;
            }
            line += 1;
            if buf.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            let entry = match serde_json::from_slice::<Box<RawValue>>(&buf) {
                Ok(json) if json.get().starts_with('{') => {
                    parsed_any = true;
                    Entry::Text {
                        at: Position::Line(line),
                        json,
                    }
                }
                Ok(other) => {
                    parsed_any = true;
                    Entry::Invalid {
                        line,
                        reason: format!("line {line}: a JSON {} is not a referral", kind(&other)),
                    }
                }
                Err(e) => {
                    let reason = format!("line {line}: {}", describe(&e));
                    if first_error.is_none() {
                        first_error = Some((line, e));
                    }
                    Entry::Invalid { line, reason }
                }
            };
            if !f(entry) {
                return Ok(());
            }
        }
        if !parsed_any && let Some((line, e)) = first_error {
            return Err(Error::data(format!(
                "{}: not readable as referrals: {} at line {line} column {}",
                self.name,
                describe(&e),
                e.column()
            )));
        }
        Ok(())
    }
}

/// The error text that ends a streamed read when the receiver wants no more.
const STOPPED: &str = "hunter-pc: stopped reading";
/// The error text of a page whose `value` is not an array.
const NOT_AN_ARRAY: &str = "hunter-pc: not an array";

/// The elements of an array, each handed over as JSON text (held one at a time).
struct Items<'f> {
    f: &'f mut dyn FnMut(Entry) -> bool,
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(NOT_AN_ARRAY)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        // A raw value is skipped without recursion: deep nesting is no syntax error here
        // (it is refused per referral when parsed into a value).
        while let Some(json) = seq.next_element::<Box<RawValue>>()? {
            let entry = Entry::Text {
                at: Position::Index(index),
                json,
            };
            if !(self.f)(entry) {
                return Err(de::Error::custom(STOPPED));
            }
            index += 1;
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

/// A page object: `value` (or `items`, when there is no `value` before it) streamed through
/// [`Items`], every other member skipped.
struct PageItems<'f> {
    f: &'f mut dyn FnMut(Entry) -> bool,
}

impl<'de> Visitor<'de> for PageItems<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut done = false;
        while let Some(key) = map.next_key::<String>()? {
            if !done && (key == "value" || key == "items") {
                map.next_value_seed(Items { f: &mut *self.f })?;
                done = true;
            } else {
                map.next_value::<IgnoredRaw>()?;
            }
        }
        Ok(())
    }
}

/// Whether the whole input is one object with `value` or `items` (a page); an error when it is
/// not one object.
fn page_keys<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
) -> serde_json::Result<bool> {
    let page = (&mut de).deserialize_map(PageKeys)?;
    de.end()?;
    Ok(page)
}

/// Whether a whole-file object is a page (has `value` or `items`), without keeping it.
struct PageKeys;

impl<'de> Visitor<'de> for PageKeys {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut page = false;
        while let Some(key) = map.next_key::<String>()? {
            page |= key == "value" || key == "items";
            map.next_value::<IgnoredRaw>()?;
        }
        Ok(page)
    }
}

/// Any JSON value, skipped without recursion (unlike `serde::de::IgnoredAny`, which would stop
/// at serde_json's nesting limit).
struct IgnoredRaw;

impl<'de> de::Deserialize<'de> for IgnoredRaw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A raw value is captured without recursion; only its text is held, and dropped.
        let _ = <Box<RawValue>>::deserialize(d)?;
        Ok(IgnoredRaw)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
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

/// Read a whole small input (tests): every entry of `bytes` as a file would give them.
#[cfg(test)]
pub fn entries_of(bytes: &[u8]) -> Result<Vec<Entry>> {
    let mut file = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut file, bytes)?;
    let path = file.into_temp_path();
    // Read from memory and streamed from the file: both must give the same entries.
    let mut both = Vec::new();
    for limit in [IN_MEMORY_MAX, 0] {
        let input = open_limited(&path, limit)?;
        let mut out = Vec::new();
        input.each(&mut |e| {
            out.push(e);
            true
        })?;
        both.push(out);
    }
    let streamed = both.pop().unwrap_or_default();
    let in_memory = both.pop().unwrap_or_default();
    assert_eq!(format!("{in_memory:?}"), format!("{streamed:?}"));
    Ok(in_memory)
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
            referrals(&entries_of(b"  [{\"id\":\"a\"},{\"id\":\"b\"}]").unwrap()),
            2
        );
        assert_eq!(
            referrals(&entries_of(br#"{"value":[{"id":"a"}],"@odata.nextLink":"x"}"#).unwrap()),
            1
        );
        assert_eq!(
            referrals(&entries_of(br#"{"@odata.count":1,"items":[{"id":"a"}]}"#).unwrap()),
            1
        );
        assert_eq!(
            referrals(&entries_of(b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n").unwrap()),
            2
        );
        assert_eq!(
            referrals(&entries_of(b"{\n  \"id\": \"a\"\n}\n").unwrap()),
            1
        );
        assert!(entries_of(b"\n \n").unwrap().is_empty());
        assert!(entries_of(b"").unwrap().is_empty());
    }

    #[test]
    fn positions_are_indexes_or_lines() {
        let at = |bytes: &[u8]| -> Vec<String> {
            entries_of(bytes)
                .unwrap()
                .iter()
                .map(|e| match e {
                    Entry::Text { at, .. } => at.to_string(),
                    Entry::Invalid { line, .. } => format!("invalid line {line}"),
                    Entry::Json(_) => "api".into(),
                })
                .collect()
        };
        assert_eq!(at(b"[{\"id\":1},{\"id\":2}]"), ["item 0", "item 1"]);
        assert_eq!(at(b"\n{\"id\":1}\n[]\n"), ["line 2", "invalid line 3"]);
    }

    #[test]
    fn broken_documents_say_where() {
        let e = entries_of(b"[\n{\"id\":\"a\"},\n{\"id\":").unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(e.message.contains("line 3 column 6"), "{}", e.message);
        let e = entries_of(br#"{"value": 3}"#).unwrap_err();
        assert_eq!(e.exit_code(), 65);
        assert!(
            e.message.contains("`value` is not an array"),
            "{}",
            e.message
        );
        let e = entries_of(b"nope\nstill nope\n").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
        // Broken at the very last byte: refused whole.
        let e = entries_of(b"[{\"id\":\"a\"},{\"id\":\"b\"}").unwrap_err();
        assert_eq!(e.exit_code(), 65);
    }

    #[test]
    fn bad_ndjson_lines_are_skipped_with_their_number() {
        let entries =
            entries_of(b"{\"id\":\"a\"}\n{oops\n[1]\n\xff\xfe\n{\"id\":\"b\"}\n").unwrap();
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
        let entries = entries_of(deep.as_bytes()).unwrap();
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
        let entries = entries_of(line.as_bytes()).unwrap();
        assert_eq!(invalid(&crate::pipeline::ingest::prepare(entries)), 1);
        // Unbalanced nesting is a syntax error: the file is refused whole.
        let broken = format!("[{}", "[".repeat(100_000));
        assert_eq!(entries_of(broken.as_bytes()).unwrap_err().exit_code(), 65);
    }

    #[test]
    fn the_receiver_can_stop_the_read() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, b"[{\"id\":1},{\"id\":2},{\"id\":3}]").unwrap();
        let input = open(file.path()).unwrap();
        assert_eq!(input.len(), 3);
        let mut seen = 0;
        input
            .each(&mut |_| {
                seen += 1;
                seen < 2
            })
            .unwrap();
        assert_eq!(seen, 2);
    }
}
