//! Issue #16: a mutation fuzz of `sync --from-file`. A thousand files of damaged corpus
//! referrals (the documented example page and the generated realistic referrals), each
//! imported by the binary into a real database: every run ends 0 or 65 — 1 only for a genuine
//! database failure (see [`genuine_database_failure`]) — never with a panic, a signal or a
//! hang, and the databases still answer `status` and `list-referrals` afterwards, with the run
//! log agreeing with the exit codes seen.
//!
//! Deterministic: case `n` of seed `s` is always the same file (its own xorshift stream).
//! `IMPORT_FUZZ_SEED`, `IMPORT_FUZZ_CASES` and `IMPORT_FUZZ_CASE` (one case alone) change what
//! runs. A failing case's file and stderr are kept under `CARGO_TARGET_TMPDIR/import-fuzz/`,
//! and the assertion message names the seed, the case, what was done to it and the path.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::pg::{TestDb, repo_root};
use support::{hunter, stdout_json};

/// The seed of the fuzz unless `IMPORT_FUZZ_SEED` says otherwise (the issue's number).
const SEED: u64 = 16;
/// Files a run imports, unless `IMPORT_FUZZ_CASES` says otherwise.
const CASES: usize = 1000;
/// Imports run at once, each against a database of its own (one sync at a time holds a
/// database's lock: two at once on one database would end 75).
const WORKERS: usize = 3;
/// A run that takes longer than this is a hang: it is killed and the case fails.
const TIMEOUT: Duration = Duration::from_secs(30);
/// After this many failed cases the fuzz stops (so a bug that hangs every run cannot take
/// 1,000 × 30 s); the test fails all the same.
const MAX_FAILURES: usize = 10;

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim();
    let parsed = match v.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

/// xorshift64*, seeded per case through splitmix64: case `n` never depends on case `n - 1`.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, case: u64) -> Rng {
        let mut z = seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(case.wrapping_add(1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    /// `true` with `percent` % probability.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The undamaged referrals: the example page of the quick start (32 referrals shaped like
/// Partner Center's, with edge cases of their own) and 32 generated realistic ones.
fn corpus() -> Vec<Value> {
    let page: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("examples/referrals.json"))
            .expect("examples/referrals.json"),
    )
    .expect("examples/referrals.json is JSON");
    let mut all = page["value"]
        .as_array()
        .expect("examples/referrals.json has a value array")
        .clone();
    all.extend(support::r#gen::referrals(SEED, 32));
    assert!(all.len() >= 64, "the corpus is {} referrals", all.len());
    all
}

/// A text that stands in a value until the file is written, then is replaced by raw JSON text
/// no `Value` can hold (numbers out of range, nesting past serde_json's limit).
struct Raws(Vec<String>);

impl Raws {
    fn marker(&mut self, raw: String) -> Value {
        self.0.push(raw);
        Value::String(format!("\u{1}raw{}\u{1}", self.0.len() - 1))
    }
    fn substitute(&self, mut text: String) -> String {
        for (i, raw) in self.0.iter().enumerate() {
            text = text.replace(&format!("\"\\u0001raw{i}\\u0001\""), raw);
        }
        text
    }
}

/// Fields the pipeline reads (identity, dates, category, domain, tenant, deal), as paths.
const KNOWN: &[&[&str]] = &[
    &["id"],
    &["updatedDateTime"],
    &["createdDateTime"],
    &["expirationDateTime"],
    &["direction"],
    &["status"],
    &["substatus"],
    &["type"],
    &["qualification"],
    &["referralType"],
    &["category"],
    &["source"],
    &["engagementId"],
    &["companyName"],
    &["customerProfile"],
    &["customerProfile", "name"],
    &["customerProfile", "address"],
    &["customerProfile", "address", "country"],
    &["customerProfile", "team"],
    &["customerProfile", "team", "0"],
    &["customerProfile", "team", "0", "email"],
    &["customerProfile", "website"],
    &["customerProfile", "ids"],
    &["customerProfile", "azureTenantId"],
    &["details"],
    &["details", "dealValue"],
    &["details", "currency"],
    &["details", "type"],
    &["details", "website"],
    &["details", "contact", "email"],
    &["inviteContext"],
    &["inviteContext", "invitedBy"],
    &["inviteContext", "invitedBy", "organizationId"],
    &["team"],
    &["azureTenantId"],
    &["azure_tenant_id"],
    &["website"],
    &["companyWebsite"],
    &["email"],
    &["contact", "email"],
];

const DATE_FIELDS: &[&str] = &[
    "updatedDateTime",
    "createdDateTime",
    "expirationDateTime",
    "acceptedDateTime",
];

/// Dates a human or a broken exporter could write, and dates at and past every range.
const BAD_DATES: &[&str] = &[
    "yesterday",
    "",
    "   ",
    "2026-13-45T25:61:61Z",
    "0000-00-00T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.9999999Z",
    "-4713-11-24T00:00:00",
    "-4714-11-23T23:59:59",
    "-5000-01-01T00:00:00",
    "-262144-01-01T00:00:00",
    "+262143-12-31T23:59:59",
    "+294277-01-01T00:00:00",
    "+99999-01-01T00:00:00",
    "2026-11-02T10:00:00+99:99",
    "2026-11-02T10:00:00-23:59",
    "2026-11-02T10:00:00+23:59",
    "2026-11-02 10:00:00",
    "2026-11-02T10:00:00.12345678901234567890123456789Z",
    "2026-11-02T10:00:00",
    "2026-02-30T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2026-11-02T10:00:60Z",
    "2026-11-02T10:00:00\u{0}Z",
    "２０２６-11-02T10:00:00Z",
    "2026-11-02T10:00:00ZZZZ",
];

const BAD_EMAILS: &[&str] = &[
    "@",
    "a@",
    "@b",
    "a@b@c.com",
    "x@[::1]",
    "x@[127.0.0.1]",
    "x@localhost",
    "x@127.0.0.1",
    "x@xn--",
    "x@xn--zz.com",
    "x@xn--ls8h.la",
    "x@ex ample.com",
    "x@münchen.de",
    "x@.com",
    "x@com",
    "x@-a-.com",
    "x@a..b.com",
    "x@\u{202e}moc.live",
    "x@\u{200b}zero\u{200b}width.com",
    "x@İSTANBUL.COM.TR",
    "x@example.com.",
    "x@EXAMPLE。COM",
    "x@a\u{0}b.com",
    "x@😀.com",
    "x@e\u{301}xample.com",
    "mailto:x@example.org",
    "<x@example.org>",
    "\"quoted@\"@example.net",
];

const BAD_WEBSITES: &[&str] = &[
    "http://",
    "https://",
    "//",
    "https://256.256.256.256",
    "https://999999999999",
    "ftp://files.example.com",
    "javascript:alert(1)",
    "http://user:pass@host.example.com:99999/",
    "http://[::1",
    "http://[::ffff:1.2.3.4]/",
    "https://ex%41mple.com",
    "https://%00.com",
    "https://www..com",
    "https://.",
    "www.",
    "n/a",
    "https://\u{0}",
    "https://xn--55qx5d.xn--55qx5d",
    "https://a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.co.uk",
    "https://عربي.مثال",
    "\\\\server\\share",
    "https://example.com:-1",
    "http://0x7f.0.0.1/",
];

/// Something of another type than the field holds.
fn wrong_type(rng: &mut Rng, raws: &mut Raws) -> (Value, String) {
    let v = match rng.below(12) {
        0 => json!(null),
        1 => json!(true),
        2 => json!(rng.next() as i64),
        3 => json!(-0.0),
        4 => json!([]),
        5 => json!({}),
        6 => json!(["Incoming", {"a": 1}]),
        7 => json!({"value": [], "id": "nested"}),
        8 => json!("a string where an object was"),
        9 => json!(1.5e300),
        10 => {
            let raw = huge_number(rng);
            let shown = short(&raw);
            return (raws.marker(raw), shown);
        }
        _ => json!(""),
    };
    let shown = short(&v.to_string());
    (v, shown)
}

/// A number's text that no JSON parser holds without losing or refusing it.
fn huge_number(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => "1e400".into(),
        1 => "-1e400".into(),
        2 => "1e-400".into(),
        3 => "123456789012345678901234567890123456789".into(),
        4 => format!("1{}", "0".repeat(5000)),
        5 => format!("0.{}1", "0".repeat(5000)),
        6 => "18446744073709551616".into(),
        7 => "-9223372036854775809".into(),
        8 => "9999999999999.995".into(),
        _ => "1E+9999999999".into(),
    }
}

/// A JSON text nested `depth` deep.
fn nesting(rng: &mut Rng, depth: usize) -> String {
    if rng.chance(50) {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    } else {
        format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
    }
}

fn short(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out.escape_debug().to_string()
}

/// Set `path` in `v`, making objects where there are none (an array index past the end
/// appends).
fn set(v: &mut Value, path: &[&str], new: Value) {
    let Some((first, rest)) = path.split_first() else {
        *v = new;
        return;
    };
    if let Value::Array(items) = v
        && let Ok(i) = first.parse::<usize>()
    {
        if i >= items.len() {
            items.push(json!({}));
        }
        let last = items.len() - 1;
        return set(&mut items[i.min(last)], rest, new);
    }
    if !v.is_object() {
        *v = json!({});
    }
    let child = v
        .as_object_mut()
        .map(|m| m.entry(first.to_string()).or_insert(Value::Null));
    if let Some(child) = child {
        set(child, rest, new);
    }
}

/// Every path in `v` (objects and arrays walked), with `v` itself as the empty path.
fn paths(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                prefix.push(k.clone());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                prefix.push(i.to_string());
                paths(c, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn random_path(rng: &mut Rng, v: &Value) -> Vec<String> {
    let mut all = Vec::new();
    paths(v, &mut Vec::new(), &mut all);
    // Not the root: the referral itself is replaced by its own mutation.
    all.swap_remove(0);
    if all.is_empty() {
        return vec!["id".into()];
    }
    all.swap_remove(rng.below(all.len()))
}

fn get_mut<'a>(v: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k),
        Value::Array(items) => k.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

/// Characters that are trouble somewhere: NUL, controls, BOM, bidi, non-characters, the
/// largest code point, emoji, combining marks, a character whose lower case is longer.
const ODD_CHARS: &[&str] = &[
    "\u{0}",
    "\u{1}",
    "\u{1b}",
    "\u{7f}",
    "\u{85}",
    "\u{feff}",
    "\u{202e}",
    "\u{fffd}",
    "\u{fffe}",
    "\u{10ffff}",
    "😀",
    "e\u{301}\u{301}\u{301}",
    "İ",
    "\r\n",
    "\t",
    "\\",
    "\"",
    "'; DROP TABLE companies; --",
    "%s%n",
];

/// Damage one referral in one of the ways a broken export or a hostile file could; says what
/// it did.
fn mutate(rng: &mut Rng, r: &mut Value, ids: &[String], raws: &mut Raws) -> String {
    match rng.below(17) {
        0 => {
            let (v, shown) = match rng.below(8) {
                0 => (json!(rng.next() % 1_000_000), String::new()),
                1 => {
                    let raw = huge_number(rng);
                    let shown = short(&raw);
                    (raws.marker(raw), shown)
                }
                2 => (json!(""), String::new()),
                3 => (json!("x".repeat(10_000)), "10k x".into()),
                4 => (json!(format!("id{}", rng.pick(ODD_CHARS))), String::new()),
                5 => (json!(null), String::new()),
                6 => (json!({"id": "inner"}), String::new()),
                _ => (json!([ids.first()]), String::new()),
            };
            let shown = if shown.is_empty() {
                short(&v.to_string())
            } else {
                shown
            };
            set(r, &["id"], v);
            format!("id={shown}")
        }
        1 => {
            let field = *rng.pick(DATE_FIELDS);
            let (v, shown) = if rng.chance(80) {
                let d = *rng.pick(BAD_DATES);
                (json!(d), short(d))
            } else {
                wrong_type(rng, raws)
            };
            set(r, &[field], v);
            format!("{field}={shown}")
        }
        2 => {
            // A nested object replaced by a string (or another type).
            let path = *rng.pick(&[
                &["customerProfile"][..],
                &["customerProfile", "address"],
                &["customerProfile", "team"],
                &["customerProfile", "ids"],
                &["details"],
                &["details", "requirements"],
                &["inviteContext"],
                &["inviteContext", "invitedBy"],
                &["team"],
            ]);
            let (v, shown) = if rng.chance(60) {
                (json!("not an object"), "\"not an object\"".into())
            } else {
                wrong_type(rng, raws)
            };
            set(r, path, v);
            format!("{}={shown}", path.join("."))
        }
        3 => {
            let path = *rng.pick(KNOWN);
            let (v, shown) = wrong_type(rng, raws);
            set(r, path, v);
            format!("{}={shown}", path.join("."))
        }
        4 => {
            let raw = huge_number(rng);
            let shown = short(&raw);
            let v = raws.marker(raw);
            set(r, &["details", "dealValue"], v);
            format!("dealValue={shown}")
        }
        5 => {
            let depth = *rng.pick(&[64, 127, 128, 129, 300, 5000, 5000, 100_000]);
            let raw = nesting(rng, depth);
            let v = raws.marker(raw);
            let path = if rng.chance(50) {
                KNOWN[rng.below(KNOWN.len())]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                random_path(rng, r)
            };
            let refs: Vec<&str> = path.iter().map(String::as_str).collect();
            set(r, &refs, v);
            format!("{}=nesting {depth}", path.join("."))
        }
        6 => {
            let e = *rng.pick(BAD_EMAILS);
            let path = *rng.pick(&[
                &["customerProfile", "team", "0", "email"][..],
                &["email"],
                &["contact", "email"],
                &["details", "contact", "email"],
            ]);
            set(r, path, json!(e));
            format!("{}={}", path.join("."), short(e))
        }
        7 => {
            let w = *rng.pick(BAD_WEBSITES);
            let path = *rng.pick(&[
                &["customerProfile", "website"][..],
                &["website"],
                &["companyWebsite"],
                &["details", "website"],
            ]);
            set(r, path, json!(w));
            format!("{}={}", path.join("."), short(w))
        }
        8 => {
            // Odd characters into a random string.
            let mut all = Vec::new();
            paths(r, &mut Vec::new(), &mut all);
            all.retain(|p| matches!(get_mut(r, p), Some(Value::String(_))));
            if all.is_empty() {
                return "no string to damage".into();
            }
            let path = all.swap_remove(rng.below(all.len()));
            let odd = *rng.pick(ODD_CHARS);
            let at = rng.next();
            if let Some(Value::String(s)) = get_mut(r, &path) {
                let cut = s
                    .char_indices()
                    .map(|(i, _)| i)
                    .nth(at as usize % (s.chars().count() + 1))
                    .unwrap_or(s.len());
                s.insert_str(cut, odd);
            }
            format!("{} gets {}", path.join("."), short(odd))
        }
        9 => {
            // A long text: one that compresses to nothing, or (random letters) one that does
            // not compress at all, in a field Postgres indexes or not.
            let n = *rng.pick(&[1000, 3000, 20_000, 200_000, 1_100_000]);
            let path = *rng.pick(&[
                &["id"][..],
                &["status"],
                &["substatus"],
                &["engagementId"],
                &["referralType"],
                &["customerProfile", "name"],
                &["customerProfile", "address", "country"],
                &["details", "notes"],
                &["details", "currency"],
                &["customerProfile", "website"],
                &["customerProfile", "team", "0", "email"],
            ]);
            let (text, kind) = match rng.below(3) {
                0 => ("x".repeat(n), "x"),
                1 => ("ş".repeat(n / 2), "ş"),
                _ => (
                    (0..n)
                        .map(|_| char::from(b'a' + rng.below(26) as u8))
                        .collect(),
                    "random letters",
                ),
            };
            set(r, path, json!(text));
            format!("{} is {n} bytes of {kind}", path.join("."))
        }
        10 => {
            let path = random_path(rng, r);
            if let Some((last, parent)) = path.split_last()
                && let Some(p) = get_mut(r, parent)
            {
                match p {
                    Value::Object(m) => {
                        m.remove(last);
                    }
                    Value::Array(items) => {
                        if let Ok(i) = last.parse::<usize>() {
                            items.remove(i);
                        }
                    }
                    _ => {}
                }
            }
            format!("removed {}", path.join("."))
        }
        11 => {
            let path = *rng.pick(&[
                &["id"][..],
                &["updatedDateTime"],
                &["customerProfile"],
                &["direction"],
            ]);
            if let Some(m) = r.as_object_mut() {
                m.remove(path[0]);
            }
            format!("removed {}", path[0])
        }
        12 => {
            // The id of another referral of the same file (or of the corpus), another case or
            // another date: duplicates in a run, stale and updated copies.
            let other = ids[rng.below(ids.len())].clone();
            let id = match rng.below(3) {
                0 => other.to_uppercase(),
                1 => format!(" {other} "),
                _ => other,
            };
            set(r, &["id"], json!(id));
            if rng.chance(50) {
                set(r, &["updatedDateTime"], json!(*rng.pick(BAD_DATES)));
            }
            "the id of another referral".into()
        }
        13 => {
            let d = rng
                .pick(&[
                    json!("OUTGOING"),
                    json!(" incoming "),
                    json!(""),
                    json!(null),
                    json!(1),
                    json!(["Incoming"]),
                    json!({"direction": "Incoming"}),
                    json!("Incoming\u{0}"),
                    json!("ıncoming"),
                ])
                .clone();
            let shown = short(&d.to_string());
            set(r, &["direction"], d);
            format!("direction={shown}")
        }
        14 => {
            let t = *rng.pick(&[
                "not a guid",
                "{00000000-0000-0000-0000-000000000000}",
                "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
                "urn:uuid:12345678-1234-1234-1234-123456789abc",
                "12345678123412341234123456789abc",
                "12345678-1234-1234-1234-123456789abcd",
                "",
            ]);
            let path = *rng.pick(&[
                &["azureTenantId"][..],
                &["azure_tenant_id"],
                &["customerProfile", "azureTenantId"],
            ]);
            set(r, path, json!(t));
            format!("{}={}", path.join("."), short(t))
        }
        15 => {
            // Many keys, some of them odd.
            if let Some(m) = r.as_object_mut() {
                for i in 0..2000 {
                    m.insert(format!("k{i}{}", ODD_CHARS[i % ODD_CHARS.len()]), json!(i));
                }
            }
            "2,000 more keys".into()
        }
        _ => {
            // The whole referral is something else.
            let (v, shown) = if rng.chance(30) {
                (json!({}), "{}".to_string())
            } else {
                wrong_type(rng, raws)
            };
            *r = v;
            format!("the referral is {shown}")
        }
    }
}

/// The three accepted layouts, and files that mix them.
#[derive(Debug, Clone, Copy)]
enum Layout {
    Array,
    Page,
    Ndjson,
    Single,
    /// NDJSON lines some of which are arrays or pages of referrals.
    NdjsonOfContainers,
    /// A page whose `value` follows an `items`, or a page with junk around.
    OddPage,
    /// Two documents back to back (an array then NDJSON, two pages, …).
    Concatenated,
}

const LAYOUTS: &[Layout] = &[
    Layout::Array,
    Layout::Array,
    Layout::Page,
    Layout::Page,
    Layout::Ndjson,
    Layout::Ndjson,
    Layout::Ndjson,
    Layout::Single,
    Layout::NdjsonOfContainers,
    Layout::OddPage,
    Layout::Concatenated,
];

fn to_text(v: &Value, pretty: bool) -> String {
    if pretty {
        serde_json::to_string_pretty(v).unwrap()
    } else {
        serde_json::to_string(v).unwrap()
    }
}

fn page(items: &[Value], key: &str) -> Value {
    json!({
        "@odata.context": "https://api.partner.microsoft.com/v1.0/$metadata#Referrals",
        "@odata.count": items.len(),
        key: items,
        "@odata.nextLink": "https://api.partner.microsoft.com/v1.0/engagements/referrals?$skip=20",
    })
}

fn ndjson(items: &[Value], rng: &mut Rng) -> String {
    let eol = if rng.chance(20) { "\r\n" } else { "\n" };
    let mut out = String::new();
    for i in items {
        out.push_str(&to_text(i, false));
        out.push_str(eol);
        if rng.chance(10) {
            out.push_str(eol);
        }
    }
    if rng.chance(20) {
        out.truncate(out.trim_end().len());
    }
    out
}

fn render(layout: Layout, items: &[Value], rng: &mut Rng) -> String {
    let pretty = rng.chance(40);
    match layout {
        Layout::Array => to_text(&Value::Array(items.to_vec()), pretty),
        Layout::Page => to_text(&page(items, "value"), pretty),
        Layout::Ndjson => ndjson(items, rng),
        Layout::Single => to_text(&items[0], true),
        Layout::NdjsonOfContainers => {
            let mut out = String::new();
            for (i, chunk) in items.chunks(2).enumerate() {
                let line = match (i + rng.below(3)) % 3 {
                    0 => Value::Array(chunk.to_vec()),
                    1 => page(chunk, "value"),
                    _ => chunk[0].clone(),
                };
                out.push_str(&to_text(&line, false));
                out.push('\n');
            }
            out
        }
        Layout::OddPage => {
            let (half, rest) = items.split_at(items.len() / 2);
            let v = match rng.below(5) {
                0 => json!({"items": half, "value": rest}),
                1 => json!({"items": items}),
                2 => json!({"value": items, "items": "not an array", "extra": {"value": 3}}),
                3 => json!({"value": {"value": items}}),
                _ => json!({"nextLink": null, "value": items, "@odata.count": "many"}),
            };
            to_text(&v, pretty)
        }
        Layout::Concatenated => {
            let (half, rest) = items.split_at(items.len() / 2);
            let first = match rng.below(3) {
                0 => to_text(&Value::Array(half.to_vec()), pretty),
                1 => to_text(&page(half, "value"), pretty),
                _ => ndjson(half, rng),
            };
            let second = match rng.below(3) {
                0 => to_text(&Value::Array(rest.to_vec()), false),
                1 => to_text(&page(rest, "value"), false),
                _ => ndjson(rest, rng),
            };
            let sep = *rng.pick(&["\n", "", " ", ","]);
            format!("{first}{sep}{second}")
        }
    }
}

/// Bytes that break a text in every layer: NUL, invalid UTF-8 (a stray continuation byte, an
/// overlong NUL, an encoded surrogate, past U+10FFFF, 0xFF), a BOM, controls, JSON's own
/// punctuation and escapes (a NUL escape, lone surrogates), a huge number, deep nesting.
const INSERTS: &[&[u8]] = &[
    b"\0",
    b"\xff",
    b"\x80",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"\x01",
    b"\x1b",
    b"\x7f",
    b"\x0c",
    b"\r",
    b"\n",
    b"\\u0000",
    b"\\ud800",
    b"\\udc00\\ud800",
    b"\\uZZZZ",
    b"\\",
    b"\"",
    b",",
    b":",
    b"[",
    b"]",
    b"{",
    b"}",
    b"null",
    b"1e400",
    b"123456789012345678901234567890123456789012345678901234567890",
    b"-",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
];

/// Damage the file's bytes; says what was done.
fn damage_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) -> String {
    let n = bytes.len();
    let at = rng.below(n + 1);
    match rng.below(8) {
        0 if n > 0 => {
            let i = rng.below(n);
            let bit = rng.below(8);
            bytes[i] ^= 1 << bit;
            format!("bit {bit} of byte {i} flipped")
        }
        1 => {
            bytes.truncate(at);
            format!("truncated at {at}")
        }
        2 if n > 0 => {
            let from = at.min(n - 1);
            let to = (from + 1 + rng.below(16)).min(n);
            bytes.drain(from..to);
            format!("bytes {from}..{to} deleted")
        }
        3 if n > 0 => {
            let from = at.min(n - 1);
            let to = (from + 1 + rng.below(64)).min(n);
            let copy = bytes[from..to].to_vec();
            bytes.splice(to..to, copy);
            format!("bytes {from}..{to} duplicated")
        }
        4 if n > 1 => {
            let (i, j) = (rng.below(n), rng.below(n));
            bytes.swap(i, j);
            format!("bytes {i} and {j} swapped")
        }
        5 => {
            // Into a string, where a JSON parser is least strict.
            let quotes: Vec<usize> = (0..n).filter(|&i| bytes[i] == b'"').collect();
            let at = if quotes.is_empty() {
                at
            } else {
                quotes[rng.below(quotes.len())] + 1
            };
            let ins = *rng.pick(INSERTS);
            bytes.splice(at..at, ins.iter().copied());
            format!(
                "{} inserted in a string at {at}",
                short(&String::from_utf8_lossy(ins))
            )
        }
        6 => {
            // A digit replaced by a huge number.
            let digit = (0..n).find(|&i| bytes[(at + i) % n.max(1)].is_ascii_digit());
            match digit {
                Some(d) => {
                    let i = (at + d) % n;
                    let big = huge_number(rng);
                    bytes.splice(i..i + 1, big.bytes());
                    format!("digit at {i} became {}", short(&big))
                }
                None => "no digit to replace".into(),
            }
        }
        _ => {
            let ins = *rng.pick(INSERTS);
            bytes.splice(at..at, ins.iter().copied());
            format!("{} inserted at {at}", short(&String::from_utf8_lossy(ins)))
        }
    }
}

/// One damaged file: its bytes and what was done to make it.
struct Case {
    bytes: Vec<u8>,
    /// `HUNTER_PC_PAGE_SIZE` of its run: small pages make a file several pages, read and
    /// prepared on one thread while the page before is written on another.
    page_size: u32,
    recipe: String,
}

fn make_case(seed: u64, number: usize, corpus: &[Value]) -> Case {
    let mut rng = Rng::new(seed, number as u64);
    let mut raws = Raws(Vec::new());
    let layout = *rng.pick(LAYOUTS);
    // One referral alone is a file of its own layout (an object, not NDJSON).
    let count = match layout {
        Layout::Single => 1,
        _ => 1 + rng.below(8),
    };
    let mut items: Vec<Value> = (0..count)
        .map(|_| corpus[rng.below(corpus.len())].clone())
        .collect();
    let ids: Vec<String> = items
        .iter()
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .chain(
            corpus[rng.below(corpus.len())]["id"]
                .as_str()
                .map(str::to_owned),
        )
        .collect();
    let page_size = *rng.pick(&[1, 2, 3, 100]);
    let mut recipe = Vec::new();
    // A few cases keep their referrals whole (only the layout or the bytes are damaged).
    let damage = if rng.chance(15) { 0 } else { 1 + rng.below(4) };
    for _ in 0..damage {
        let i = rng.below(items.len());
        let what = mutate(&mut rng, &mut items[i], &ids, &mut raws);
        recipe.push(format!("referral {i}: {what}"));
    }
    recipe.insert(0, format!("{layout:?} of {count}, pages of {page_size}"));
    let text = raws.substitute(render(layout, &items, &mut rng));
    let mut bytes = text.into_bytes();
    if rng.chance(60) {
        for _ in 0..1 + rng.below(3) {
            let what = damage_bytes(&mut rng, &mut bytes);
            recipe.push(what);
        }
    }
    Case {
        bytes,
        page_size,
        recipe: recipe.join("; "),
    }
}

// ---------------------------------------------------------------------------------------------
// Running and judging
// ---------------------------------------------------------------------------------------------

/// How Postgres's (and libpq's) messages begin for a failure of the database itself, not of
/// what it was sent: insufficient resources (53…), system and I/O errors (58…), internal errors
/// and corruption (XX…), a shutdown or a lost connection (57P…, 08…). A value the database
/// refused (22…, 23…, 54…: out of range, too long, an index entry too large, a constraint) is
/// not one: that is the importer passing the database something it must have skipped or
/// cleaned, and the case fails.
const GENUINE_DB_FAILURE: &[&str] = &[
    "out of memory",
    "out of shared memory",
    "could not extend file",
    "could not write",
    "could not read",
    "could not open",
    "could not fsync",
    "could not access status of transaction",
    "too many connections",
    "sorry, too many clients",
    "cache lookup failed",
    "invalid page in block",
    "terminating connection",
    "server closed the connection",
    "no connection to the server",
    "the database system is",
];

/// Whether an exit 1 comes from the database failing: stderr names a database error, and every
/// database error it names (the message hunter-pc quotes after `database error: ` or `lost the
/// database connection: `) begins as one of [`GENUINE_DB_FAILURE`].
fn genuine_database_failure(stderr: &str) -> bool {
    let mut quoted = Vec::new();
    for marker in ["database error: ", "lost the database connection: "] {
        for (at, _) in stderr.match_indices(marker) {
            quoted.push(&stderr[at + marker.len()..]);
        }
    }
    !quoted.is_empty()
        && quoted
            .iter()
            .all(|m| GENUINE_DB_FAILURE.iter().any(|g| m.starts_with(g)))
}

/// What one import did.
struct Ran {
    out: std::process::Output,
    took: Duration,
}

fn import(home: &Path, url: &str, file: &Path, page_size: u32) -> Ran {
    let started = Instant::now();
    let out = hunter(home)
        .env("DATABASE_URL", url)
        .env("HUNTER_PC_PAGE_SIZE", page_size.to_string())
        .args(["sync", "--no-scan", "--json", "--from-file"])
        .arg(file)
        .timeout(TIMEOUT)
        .output()
        .expect("run hunter-pc");
    Ran {
        out,
        took: started.elapsed(),
    }
}

/// `Ok` with the exit code when the run ended as it may; else why not.
fn judge(ran: &Ran) -> Result<i32, String> {
    use std::os::unix::process::ExitStatusExt;
    let stderr = String::from_utf8_lossy(&ran.out.stderr);
    if stderr.contains("panicked") {
        return Err(format!("panicked (exit {:?})", ran.out.status.code()));
    }
    let Some(code) = ran.out.status.code() else {
        let signal = ran.out.status.signal().unwrap_or(0);
        if ran.took >= TIMEOUT {
            return Err(format!("hung: still running after {TIMEOUT:?}, killed"));
        }
        return Err(format!(
            "ended by signal {signal} after {} ms",
            ran.took.as_millis()
        ));
    };
    match code {
        0 => {
            // The summary --json promises; a run that ended 0 wrote no referral off as failed.
            let s: Value = serde_json::from_slice(&ran.out.stdout)
                .map_err(|e| format!("exit 0 but stdout is not JSON ({e})"))?;
            if s["failed"] != json!(0) || s["status"] != json!("ok") {
                return Err(format!("exit 0 with the summary {s}"));
            }
            Ok(0)
        }
        65 => Ok(65),
        1 if genuine_database_failure(&stderr) => Ok(1),
        1 => Err(
            "exit 1 without a genuine database failure (a value the import sent was \
                  refused, or another failure)"
                .into(),
        ),
        other => Err(format!("exit {other}")),
    }
}

/// The tail of stderr for a message (the JSON log lines and the `error:` line).
fn stderr_tail(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let from = lines.len().saturating_sub(6);
    lines[from..]
        .iter()
        .map(|l| short_line(l))
        .collect::<Vec<_>>()
        .join("\n      ")
}

fn short_line(l: &str) -> String {
    if l.len() <= 600 {
        return l.to_string();
    }
    let mut end = 600;
    while !l.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &l[..end])
}

/// Where failing cases are kept (not removed when the test ends).
fn keep_dir(seed: u64) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("import-fuzz")
        .join(format!("seed-{seed}"));
    std::fs::create_dir_all(&d).expect("create the directory for failing cases");
    d
}

/// One database and the cases run against it, in order.
struct Worker {
    home: tempfile::TempDir,
    db: TestDb,
    /// (case, exit code) of every case run here.
    codes: Vec<(usize, i32)>,
}

impl Worker {
    /// A fresh database migrated by `hunter-pc migrate up`.
    fn new() -> Worker {
        let home = tempfile::tempdir().unwrap();
        let db = TestDb::empty();
        let out = hunter(home.path())
            .env("DATABASE_URL", &db.url)
            .args(["migrate", "up"])
            .timeout(TIMEOUT)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "hunter-pc migrate up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Worker {
            home,
            db,
            codes: Vec::new(),
        }
    }

    /// The database still answers: `status --json` and `list-referrals` succeed, the listing
    /// has every stored referral, no run is left `running`, and the run log has one row for
    /// every import with the exit code the process ended with.
    fn check_consistent(&self) -> Result<(), String> {
        let run = |args: &[&str]| {
            hunter(self.home.path())
                .env("DATABASE_URL", &self.db.url)
                .args(args)
                .timeout(TIMEOUT)
                .output()
                .unwrap()
        };
        let status = run(&["status", "--json"]);
        if status.status.code() != Some(0) {
            return Err(format!(
                "status --json ended {:?}: {}",
                status.status.code(),
                stderr_tail(&status)
            ));
        }
        stdout_json(&status);
        let list = run(&["list-referrals", "--format", "json"]);
        if list.status.code() != Some(0) {
            return Err(format!(
                "list-referrals ended {:?}: {}",
                list.status.code(),
                stderr_tail(&list)
            ));
        }
        let listed = stdout_json(&list).as_array().map_or(0, Vec::len) as i64;
        let stored = self
            .db
            .count("SELECT count(*) AS n FROM partner_center_referrals");
        if listed != stored {
            return Err(format!(
                "list-referrals shows {listed} referrals, the table holds {stored}"
            ));
        }
        let running = self
            .db
            .count("SELECT count(*) AS n FROM sync_runs WHERE status = 'running'");
        if running != 0 {
            return Err(format!("{running} sync run(s) left running"));
        }
        let recorded = self
            .db
            .text("SELECT string_agg(coalesce(exit_code::text, '?'), ',' ORDER BY id) AS t FROM sync_runs")
            .unwrap_or_default();
        let seen = self
            .codes
            .iter()
            .map(|(_, c)| c.to_string())
            .collect::<Vec<_>>()
            .join(",");
        if recorded != seen {
            return Err(format!(
                "the run log's exit codes are [{recorded}], the processes ended [{seen}]"
            ));
        }
        Ok(())
    }
}

#[test]
fn damaged_referral_files_end_0_or_65_never_a_panic_or_a_hang() {
    let started = Instant::now();
    let seed = env_number("IMPORT_FUZZ_SEED").unwrap_or(SEED);
    let cases: Vec<usize> = match env_number("IMPORT_FUZZ_CASE") {
        Some(one) => vec![one as usize],
        None => (0..env_number("IMPORT_FUZZ_CASES").map_or(CASES, |n| n as usize)).collect(),
    };
    assert!(!cases.is_empty(), "IMPORT_FUZZ_CASES=0: nothing to run");
    let corpus = corpus();
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let failed = AtomicUsize::new(0);
    let ran = AtomicUsize::new(0);
    let keep = keep_dir(seed);
    let workers = WORKERS.min(cases.len()).max(1);

    let finished: Vec<Worker> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (cases, corpus, failures, failed, ran, keep) =
                    (&cases, &corpus, &failures, &failed, &ran, &keep);
                scope.spawn(move || {
                    let mut worker = Worker::new();
                    // Worker w takes cases w, w + W, …: each database sees the same cases in
                    // the same order on every run of the same seed.
                    for &number in cases.iter().skip(w).step_by(workers) {
                        if failed.load(Ordering::SeqCst) >= MAX_FAILURES {
                            break;
                        }
                        let case = make_case(seed, number, corpus);
                        let file = worker.home.path().join(format!("case-{number}.json"));
                        std::fs::write(&file, &case.bytes).unwrap();
                        let done =
                            import(worker.home.path(), &worker.db.url, &file, case.page_size);
                        ran.fetch_add(1, Ordering::SeqCst);
                        match judge(&done) {
                            Ok(code) => worker.codes.push((number, code)),
                            Err(why) => {
                                failed.fetch_add(1, Ordering::SeqCst);
                                let kept = keep.join(format!("case-{number}.json"));
                                std::fs::write(&kept, &case.bytes).unwrap();
                                let log = keep.join(format!("case-{number}.stderr"));
                                std::fs::write(&log, &done.out.stderr).unwrap();
                                failures.lock().unwrap().push(format!(
                                    "case {number} of seed {seed}: {why}\n    \
                                     made by: {}\n    \
                                     file: {} ({} bytes; stderr in {})\n    \
                                     run on database {w} of {workers} after its {} earlier \
                                     cases ({w}, {w} + {workers}, …)\n    \
                                     rerun alone: IMPORT_FUZZ_SEED={seed} \
                                     IMPORT_FUZZ_CASE={number} cargo test --test import_fuzz\n    \
                                     rerun after the same cases: IMPORT_FUZZ_SEED={seed} \
                                     IMPORT_FUZZ_CASES={} cargo test --test import_fuzz\n    \
                                     stderr ends:\n      {}",
                                    case.recipe,
                                    kept.display(),
                                    case.bytes.len(),
                                    log.display(),
                                    worker.codes.len(),
                                    number + 1,
                                    stderr_tail(&done.out)
                                ));
                                // What the process ended with is still what the run log
                                // must show (a killed one has no code).
                                if let Some(code) = done.out.status.code() {
                                    worker.codes.push((number, code));
                                }
                            }
                        }
                    }
                    worker
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a fuzz worker panicked"))
            .collect()
    });

    let mut failures = failures.into_inner().unwrap();
    let ran = ran.into_inner();
    if failures.is_empty() {
        for (i, w) in finished.iter().enumerate() {
            if let Err(e) = w.check_consistent() {
                failures.push(format!("database {i} after its cases: {e}"));
            }
        }
    }
    let count = |code| {
        finished
            .iter()
            .flat_map(|w| &w.codes)
            .filter(|(_, c)| *c == code)
            .count()
    };
    let stored: i64 = finished
        .iter()
        .map(|w| {
            w.db.count("SELECT count(*) AS n FROM partner_center_referrals")
        })
        .sum();
    eprintln!(
        "import fuzz, seed {seed}: {ran} of {} files in {:.1} s: {} ended 0, {} ended 65, {} \
         ended 1; {stored} referrals stored",
        cases.len(),
        started.elapsed().as_secs_f64(),
        count(0),
        count(65),
        count(1),
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} damaged files ended wrongly (files kept in {}):\n\n{}",
        failures.len(),
        keep.display(),
        failures.join("\n\n")
    );
    assert_eq!(ran, cases.len(), "every case ran");
    // The fuzz reaches both the writes and the refusals: a generator that made every file
    // unreadable (or none) would test half of what it claims.
    if cases.len() >= CASES {
        assert!(
            count(0) >= cases.len() / 5 && count(65) >= cases.len() / 10 && stored > 0,
            "the damaged files should both import and be refused"
        );
    }
}

/// The rule for an accepted exit 1, on messages the import writes.
#[test]
fn only_a_failing_database_excuses_exit_1() {
    let failed = |pg: &str| {
        format!(
            "{{\"level\":\"WARN\",\"message\":\"a batch write failed (database error: {pg}); \
             writing this page referral by referral\"}}\n\
             {{\"level\":\"ERROR\",\"message\":\"referral failed: database error: {pg}\"}}\n\
             error: 1 referral(s) failed and the rest were committed"
        )
    };
    for refused in [
        "timestamp out of range",
        "index row requires 12616 bytes, maximum size is 8191",
        "value too long for type character varying(255)",
        "invalid input syntax for type json",
        "duplicate key value violates unique constraint \\\"companies_domain_key\\\"",
        "refused by test trigger: could not write",
    ] {
        assert!(!genuine_database_failure(&failed(refused)), "{refused}");
    }
    for genuine in [
        "could not extend file \\\"base/16384/16385\\\": No space left on device",
        "could not write to file \\\"pg_wal/xlogtemp.123\\\": Input/output error",
        "out of memory",
        "cache lookup failed for type 16390",
        "terminating connection due to administrator command",
    ] {
        assert!(genuine_database_failure(&failed(genuine)), "{genuine}");
    }
    // No database error named at all: exit 1 for another reason.
    assert!(!genuine_database_failure("error: I/O error: broken pipe\n"));
    // One genuine failure does not excuse a refused value beside it.
    assert!(!genuine_database_failure(&format!(
        "{}\n{}",
        failed("out of memory"),
        failed("timestamp out of range")
    )));
}
