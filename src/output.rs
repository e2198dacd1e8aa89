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

/// One column of a text table: its header and its width in characters.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub width: usize,
}

/// A text table with fixed column widths, one space apart: cells longer than their column
/// end in `…`, and control characters (a newline in a company name) become spaces, so every
/// row stays one line no wider than the sum of the widths plus the gaps.
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

/// `text` on one line, cut or padded to exactly `width` characters.
fn fit(text: &str, width: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let n = clean.chars().count();
    if n <= width {
        format!("{clean}{}", " ".repeat(width - n))
    } else if width == 0 {
        String::new()
    } else {
        let mut cut: String = clean.chars().take(width - 1).collect();
        cut.push('…');
        cut
    }
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
