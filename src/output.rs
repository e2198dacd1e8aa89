//! Writing data to stdout. stdout carries data only; a closed pipe (`| head`) is success.

use std::io::Write;

use crate::error::{Error, Result};

/// Write `text` to stdout. A closed pipe comes back as an error that
/// [`Error::is_broken_pipe`] recognises; `main` ends the process normally on it.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|_| out.flush())
        .map_err(|e| Error::failure(format!("cannot write to stdout: {e}")).with_source(e))
}

/// Print a JSON value on one line followed by a newline.
pub fn emit_json(value: &serde_json::Value) -> Result<()> {
    emit(&format!("{value}\n"))
}

/// One column of a text table: its header and its width in terminal cells.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub width: usize,
}

/// A text table with fixed column widths, one space apart: cells wider than their column end
/// in `…`, and control characters (a newline in a company name) become spaces, so every row
/// stays one line no wider than the sum of the widths plus the gaps. Widths count terminal
/// cells ([`display_width`]).
pub fn table(columns: &[Column], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let headers: Vec<String> = columns.iter().map(|c| c.header.to_string()).collect();
    for row in std::iter::once(&headers).chain(rows) {
        let cells: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| fit(row.get(i).map_or("", String::as_str), c.width))
            .collect();
        out.push_str(cells.join(" ").trim_end());
        out.push('\n');
    }
    out
}

/// The text as a table shows it: on one line (control characters become spaces).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// How many terminal cells `text` takes on one line (a wide CJK letter takes two, a combining
/// mark none).
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(one_line(text).as_str())
}

/// `text` on one line, cut or padded to exactly `width` terminal cells.
fn fit(text: &str, width: usize) -> String {
    let clean = one_line(text);
    let n = unicode_width::UnicodeWidthStr::width(clean.as_str());
    if n <= width {
        return format!("{clean}{}", " ".repeat(width - n));
    }
    if width == 0 {
        return String::new();
    }
    let mut cut = String::new();
    let mut used = 0;
    for c in clean.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        cut.push(c);
        used += w;
    }
    cut.push('…');
    format!("{cut}{}", " ".repeat(width - 1 - used))
}

/// The width a table printed now may take: `COLUMNS` when set to a number, else the width of
/// the terminal on stdout, else [`DEFAULT_WIDTH`] (a pipe, a file).
pub fn terminal_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    terminal_size::terminal_size_of(std::io::stdout())
        .map(|(w, _)| usize::from(w.0))
        .filter(|w| *w > 0)
        .unwrap_or(DEFAULT_WIDTH)
}

/// The width of a table when nothing says better.
pub const DEFAULT_WIDTH: usize = 100;

/// A count with thousands separators: `3,000`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Rows as one JSON array (one line, newline at the end).
pub fn json_array<T: serde::Serialize>(rows: &[T]) -> Result<String, serde_json::Error> {
    Ok(format!("{}\n", serde_json::to_string(rows)?))
}

/// Rows as newline-delimited JSON: one object per line.
pub fn ndjson<T: serde::Serialize>(rows: &[T]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for row in rows {
        out.push_str(&serde_json::to_string(row)?);
        out.push('\n');
    }
    Ok(out)
}

/// Rows as CSV with a header row of the field names, in field order (the JSON keys);
/// `None` is an empty cell. The header is written even when there are no rows.
pub fn csv<T: serde::Serialize>(headers: &[&str], rows: &[T]) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    w.write_record(headers)?;
    for row in rows {
        w.serialize(row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_cells_are_cut_and_kept_on_one_line() {
        let cols = [
            Column {
                header: "A",
                width: 3,
            },
            Column {
                header: "B",
                width: 5,
            },
        ];
        let t = table(
            &cols,
            &[vec!["abcdef".into(), "x\ny".into()], vec!["İş".into()]],
        );
        assert_eq!(t, "A   B\nab… x y\nİş\n");
        // Wide letters take two cells; a cut never leaves a row wider than its columns.
        assert_eq!(display_width("日本"), 4);
        assert_eq!(fit("日本語", 4), "日… ");
        assert_eq!(fit("Örnek", 5), "Örnek");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(100), "100");
        assert_eq!(thousands(3000), "3,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
    }

    #[test]
    fn csv_has_the_header_even_without_rows() {
        #[derive(serde::Serialize)]
        struct R {
            a: i32,
            b: Option<String>,
        }
        assert_eq!(csv::<R>(&["a", "b"], &[]).unwrap(), "a,b\n");
        let s = csv(
            &["a", "b"],
            &[
                R { a: 1, b: None },
                R {
                    a: 2,
                    b: Some("x,y".into()),
                },
            ],
        )
        .unwrap();
        assert_eq!(s, "a,b\n1,\n2,\"x,y\"\n");
    }
}
