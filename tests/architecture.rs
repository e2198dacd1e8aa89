//! The shape of the code, checked: every SQL statement lives in `src/store/`. Outside it, no
//! code calls `sql_query`, `batch_execute` or `dsl::sql`, and no string literal holds SQL. Only
//! code and string literals are looked at (a small lexer skips comments), so documentation may
//! talk about SQL freely. No database needed.

use std::path::{Path, PathBuf};

/// Calls that send SQL text.
const SQL_CALLS: [&str; 3] = ["sql_query", "batch_execute", "dsl::sql"];

/// SQL in a string literal (upper case, as this code base writes SQL; prose is not).
const SQL_WORDS: [&str; 14] = [
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE ",
    "ALTER ",
    "DROP ",
    "TRUNCATE ",
    " FROM ",
    " WHERE ",
    "ON CONFLICT",
    "RETURNING ",
    "SET LOCAL",
    "RESET ",
];

/// A source file cut into code (comments and literals blanked) and string literals.
#[derive(Debug, Default)]
struct Lexed {
    code: String,
    /// (line, contents) of each string literal.
    strings: Vec<(usize, String)>,
}

fn lex(src: &str) -> Lexed {
    let c: Vec<char> = src.chars().collect();
    let mut out = Lexed::default();
    let mut line = 1;
    let mut i = 0;
    let is_ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    while i < c.len() {
        let ch = c[i];
        let next = c.get(i + 1).copied();
        if ch == '\n' {
            line += 1;
            out.code.push('\n');
            i += 1;
        } else if ch == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                        out.code.push('\n');
                    }
                    i += 1;
                }
            }
        } else if let Some((hashes, start)) = raw_string_start(&c, i, &is_ident) {
            // r"…", r#"…"#, br"…": no escapes; ends at a quote followed by the hashes.
            let first = line;
            let mut text = String::new();
            let mut j = start;
            while j < c.len() {
                if c[j] == '"' && (1..=hashes).all(|k| c.get(j + k) == Some(&'#')) {
                    break;
                }
                if c[j] == '\n' {
                    line += 1;
                    out.code.push('\n');
                }
                text.push(c[j]);
                j += 1;
            }
            out.strings.push((first, text));
            i = j + 1 + hashes;
        } else if ch == '"' {
            let first = line;
            let mut text = String::new();
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                if c[j] == '\\' {
                    text.push(c[j]);
                    j += 1;
                }
                if j < c.len() {
                    if c[j] == '\n' {
                        line += 1;
                        out.code.push('\n');
                    }
                    text.push(c[j]);
                }
                j += 1;
            }
            out.strings.push((first, text));
            i = j + 1;
        } else if ch == '\'' {
            // A char literal ('x', '\n', '\'', '"') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < c.len() && c[j] != '\'' {
                    j += 1;
                }
                i = j + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                out.code.push(ch);
                i += 1;
            }
        } else {
            out.code.push(ch);
            i += 1;
        }
    }
    out
}

/// At `i`, the start of a raw string literal: the number of `#` and where its text begins.
fn raw_string_start(
    c: &[char],
    i: usize,
    is_ident: &dyn Fn(char) -> bool,
) -> Option<(usize, usize)> {
    if i > 0 && is_ident(c[i - 1]) {
        return None;
    }
    let mut j = i;
    if c.get(j) == Some(&'b') {
        j += 1;
    }
    if c.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while c.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// What in one file looks like SQL: `(line, what)`.
fn sql_in(src: &str) -> Vec<(usize, String)> {
    let lexed = lex(src);
    let mut found = Vec::new();
    for (n, code_line) in lexed.code.lines().enumerate() {
        for call in SQL_CALLS {
            let mut rest = code_line;
            while let Some(at) = rest.find(call) {
                let before = rest[..at].chars().next_back();
                let after = rest[at + call.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                if !word(before) && !word(after) {
                    found.push((n + 1, format!("calls {call}")));
                }
                rest = &rest[at + call.len()..];
            }
        }
    }
    for (line, text) in &lexed.strings {
        if let Some(word) = SQL_WORDS.iter().find(|w| text.contains(*w)) {
            found.push((*line, format!("SQL in a string ({word:?}): {text:.60}")));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_sql_outside_the_store() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let store = src.join("store");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(&store)) {
        let text = std::fs::read_to_string(file).expect("read a source file");
        checked += 1;
        for (line, what) in sql_in(&text) {
            let shown = file
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(file);
            wrong.push(format!("{}:{line}: {what}", shown.display()));
        }
    }
    assert!(
        checked > 20,
        "only {checked} files outside src/store were read"
    );
    assert!(
        wrong.is_empty(),
        "SQL belongs in src/store/ (one module per table family):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_store_holds_sql() {
    // The check above is only worth something if the lexer finds the SQL that is there.
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/referrals.rs");
    let text = std::fs::read_to_string(store).expect("read src/store/referrals.rs");
    let found = sql_in(&text);
    assert!(
        found.iter().any(|(_, w)| w == "calls sql_query"),
        "{found:?}"
    );
    assert!(
        found.iter().any(|(_, w)| w.starts_with("SQL in a string")),
        "{found:?}"
    );
}

#[test]
fn the_lexer_sees_code_and_strings_only() {
    let flagged = |src: &str| !sql_in(src).is_empty();
    // Flagged: SQL in any kind of string literal, and the calls.
    assert!(flagged(r#"let q = "SELECT 1 AS n";"#));
    assert!(flagged("let q = format!(\"DELETE FROM {t}\");"));
    assert!(flagged("let q = r#\"UPDATE companies SET x = 1\"#;"));
    assert!(flagged("let q = \"a \\\" b\n   INSERT INTO t\";"));
    assert!(flagged("conn.batch_execute(x)?;"));
    assert!(flagged("diesel::sql_query(text)"));
    // Not flagged: comments, docs, prose, look-alike names, quotes in char literals.
    assert!(!flagged("// SELECT x FROM y\n/// calls sql_query\n"));
    assert!(!flagged(
        "/* UPDATE t /* nested */ DELETE FROM t */ let a = 1;"
    ));
    assert!(!flagged(
        r#"let m = "select the rows you want from the list";"#
    ));
    assert!(!flagged("fn my_sql_query_helper() {}"));
    assert!(!flagged(
        "let q = '\"'; let s = \"fine\"; let l: &'a str = x;"
    ));
    assert!(!flagged("let t = r#type; let s = \"ok\";"));
    // Line numbers count lines inside strings and comments.
    let found = sql_in("/* a\n b */\nlet s = \"x\ny\";\nlet q = \"SELECT 1\";");
    assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), [5]);
}
