//! `list-referrals [filters] [--format table|json|ndjson|csv] [--limit N]`: settings and
//! filters → [`ops::list`], then the rows in the chosen format. The table is for a person at a
//! terminal: it fits the terminal's width, never cuts a referral id or type, shows domains in
//! Unicode, and says on stderr when the limit left rows out or nothing matched.

use std::io::IsTerminal;

use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::{ListArgs, ListFormat, ReferralTypeFilter};
use crate::commands::Ctx;
use crate::error::{Error, Result};
use crate::model::{Category, Segment};
use crate::ops::list::{ListOptions, Listing};
use crate::output::{self, Column, emit};

pub use crate::ops::list::{Filters, KEYS, Listed};

/// Rows a table shows when `--limit` is not given (json, ndjson and csv show all).
pub const TABLE_DEFAULT_LIMIT: i64 = 100;

pub fn run(ctx: &Ctx, args: ListArgs) -> Result<()> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    });
    let filters = filters(&args, format)?;
    let listing = crate::ops::list::run(&ListOptions {
        database_url: ctx.settings.require_database_url()?.to_string(),
        db: ctx.settings.db(),
        filters: filters.clone(),
    })?;
    if format != ListFormat::Table {
        return emit(&render(format, &listing.rows)?);
    }
    if !listing.rows.is_empty() {
        emit(&table(&listing.rows, output::terminal_width()))?;
    }
    if let Some(note) = note(&listing, &filters) {
        eprintln!("{note}");
    }
    Ok(())
}

/// What a table says on stderr: that the limit left rows out, or that nothing matched.
pub fn note(listing: &Listing, filters: &Filters) -> Option<String> {
    if listing.total == 0 {
        let unfiltered = Filters {
            limit: filters.limit,
            ..Filters::default()
        };
        return Some(if *filters == unfiltered {
            "no referrals stored yet (`hunter-pc sync` imports them)".to_string()
        } else {
            "no referrals match these filters".to_string()
        });
    }
    listing.capped().then(|| {
        format!(
            "showing {} of {} — use --limit to see more",
            output::thousands(listing.rows.len() as i64),
            output::thousands(listing.total)
        )
    })
}

/// Check the command line's filters (exit 2 for a bad `--since`, `--limit` or `--segment`).
pub fn filters(args: &ListArgs, format: ListFormat) -> Result<Filters> {
    let limit = match args.limit {
        Some(n) if n < 0 => {
            return Err(Error::usage(format!("--limit must be 0 or more, not {n}")));
        }
        Some(n) => Some(n),
        None if format == ListFormat::Table => Some(TABLE_DEFAULT_LIMIT),
        None => None,
    };
    Ok(Filters {
        referral_type: args.referral_type.map(|t| match t {
            ReferralTypeFilter::CoSell => Some(Category::CoSell),
            ReferralTypeFilter::Marketplace => Some(Category::Marketplace),
            ReferralTypeFilter::SolutionProvider => Some(Category::SolutionProvider),
            ReferralTypeFilter::None => None,
        }),
        status: args.status.clone(),
        segment: args
            .segment
            .as_deref()
            .map(|s| {
                s.parse::<Segment>()
                    .map_err(|e| Error::usage(format!("--segment: {e}")))
            })
            .transpose()?,
        domain: args
            .domain
            .as_deref()
            .map(super::given_domain)
            .transpose()?,
        search: args.search.clone().filter(|s| !s.is_empty()),
        since: args.since.as_deref().map(parse_since).transpose()?,
        unlinked: args.unlinked,
        limit,
    })
}

/// `--since`: RFC 3339, or a date meaning midnight UTC.
pub fn parse_since(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        && let Some(midnight) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(midnight.and_utc());
    }
    Err(Error::usage(format!(
        "--since {t:?} is neither RFC 3339 (2026-11-01T10:00:00Z) nor a date (2026-11-01)"
    )))
}

/// The rows in a machine format (json, ndjson, csv: the [`KEYS`], the stored values), or as a
/// table [`DEFAULT_WIDTH`](output::DEFAULT_WIDTH) wide.
pub fn render(format: ListFormat, rows: &[Listed]) -> Result<String> {
    Ok(match format {
        ListFormat::Table => table(rows, output::DEFAULT_WIDTH),
        ListFormat::Json => output::json_array(rows)?,
        ListFormat::Ndjson => output::ndjson(rows)?,
        ListFormat::Csv => output::csv(&KEYS, rows)
            .map_err(|e| Error::failure(format!("cannot write CSV: {e}")))?,
    })
}

// --- the table ---------------------------------------------------------------------------------

/// How a column gives way when the table is wider than the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Give {
    /// Never cut: referral ids (to be copied), types, and the short codes.
    Whole,
    /// Company and customer names: cut first.
    Name,
    /// The domain: cut last, and only as far as [`DOMAIN_MIN`].
    Domain,
}

struct Spec {
    header: &'static str,
    give: Give,
    cell: fn(&Listed) -> String,
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "-".to_string())
}

/// The domain as people write it: Unicode (the stored form is the ASCII one, `xn--…`).
pub fn display_domain(ascii: &str) -> String {
    match idna::domain_to_unicode(ascii) {
        (unicode, Ok(())) => unicode,
        _ => ascii.to_string(),
    }
}

/// The table's columns, left to right.
const SPECS: [Spec; 10] = [
    Spec {
        header: "REFERRAL",
        give: Give::Whole,
        cell: |r| r.referral_id.clone(),
    },
    Spec {
        header: "TYPE",
        give: Give::Whole,
        cell: |r| text(&r.referral_type),
    },
    Spec {
        header: "STATUS",
        give: Give::Whole,
        cell: |r| text(&r.status),
    },
    Spec {
        header: "COMPANY",
        give: Give::Name,
        cell: |r| text(&r.company_name),
    },
    Spec {
        header: "CUSTOMER",
        give: Give::Name,
        cell: |r| text(&r.customer_name),
    },
    Spec {
        header: "DOMAIN",
        give: Give::Domain,
        cell: |r| {
            r.domain
                .as_deref()
                .map_or_else(|| "-".into(), display_domain)
        },
    },
    Spec {
        header: "PROVIDER",
        give: Give::Whole,
        cell: |r| text(&r.provider),
    },
    Spec {
        header: "SEGMENT",
        give: Give::Whole,
        cell: |r| text(&r.segment),
    },
    Spec {
        header: "SCORE",
        give: Give::Whole,
        cell: |r| r.score.map_or_else(|| "-".to_string(), |s| s.to_string()),
    },
    Spec {
        header: "PRIO",
        give: Give::Whole,
        cell: |r| text(&r.priority_category),
    },
];

/// Columns left out, in this order, when cutting the names to [`NAME_MIN`] is not enough.
/// REFERRAL, TYPE, DOMAIN and PRIO always stay.
const DROP_ORDER: [&str; 5] = ["CUSTOMER", "STATUS", "PROVIDER", "SEGMENT", "SCORE"];
/// Names are cut to this many cells before a column is left out…
const NAME_MIN: usize = 12;
/// …and, once every column of [`DROP_ORDER`] is gone, to this many; if that is not enough,
/// the company goes too, and the domain is cut to [`DOMAIN_MIN`]. Past that the table is wider
/// than the terminal (ids and types are never cut).
const NAME_FLOOR: usize = 8;
const DOMAIN_MIN: usize = 12;

/// The rows as a table at most `width` cells wide where it can be (see [`layout`]).
pub fn table(rows: &[Listed], width: usize) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| SPECS.iter().map(|s| (s.cell)(r)).collect())
        .collect();
    let natural: Vec<usize> = SPECS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            cells
                .iter()
                .map(|row| output::display_width(&row[i]))
                .chain([s.header.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let widths = layout(&natural, width);
    let columns: Vec<Column> = SPECS
        .iter()
        .zip(&widths)
        .filter_map(|(s, w)| {
            w.map(|width| Column {
                header: s.header,
                width,
            })
        })
        .collect();
    let shown: Vec<Vec<String>> = cells
        .into_iter()
        .map(|row| {
            row.into_iter()
                .zip(&widths)
                .filter_map(|(c, w)| w.map(|_| c))
                .collect()
        })
        .collect();
    output::table(&columns, &shown)
}

/// Each column's width (`None`: left out) for a table at most `width` cells wide, from the
/// widths its contents want: every column as wide as it wants when that fits; else the names
/// are cut (the widest first) to [`NAME_MIN`]; if that is not enough, the next column of
/// [`DROP_ORDER`] is left out and the names get their room back, and so on; with all of them
/// gone, the names go down to [`NAME_FLOOR`]; then the company is left out and the domain cut
/// to [`DOMAIN_MIN`].
fn layout(natural: &[usize], width: usize) -> Vec<Option<usize>> {
    let without = |dropped: &[&str]| -> Vec<Option<usize>> {
        SPECS
            .iter()
            .zip(natural)
            .map(|(s, n)| (!dropped.contains(&s.header)).then_some(*n))
            .collect()
    };
    let mut widths = Vec::new();
    for drops in 0..=DROP_ORDER.len() {
        widths = without(&DROP_ORDER[..drops]);
        if shrink(&mut widths, Give::Name, NAME_MIN, width) {
            return widths;
        }
    }
    if shrink(&mut widths, Give::Name, NAME_FLOOR, width) {
        return widths;
    }
    let mut all = DROP_ORDER.to_vec();
    all.push("COMPANY");
    widths = without(&all);
    shrink(&mut widths, Give::Domain, DOMAIN_MIN, width);
    widths
}

/// Narrow the columns of kind `give`, the widest first, none below `min`, until the table fits
/// in `width`; whether it fits.
fn shrink(widths: &mut [Option<usize>], give: Give, min: usize, width: usize) -> bool {
    let total = |w: &[Option<usize>]| {
        let shown: Vec<usize> = w.iter().flatten().copied().collect();
        shown.iter().sum::<usize>() + shown.len().saturating_sub(1)
    };
    while total(widths) > width {
        let widest = SPECS
            .iter()
            .zip(widths.iter())
            .enumerate()
            .filter(|(_, (s, w))| s.give == give && w.is_some_and(|w| w > min))
            .max_by_key(|(_, (_, w))| w.unwrap_or(0))
            .map(|(i, _)| i);
        match widest {
            Some(i) => widths[i] = widths[i].map(|w| w - 1),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn natural(referral: usize, type_: usize, names: usize, domain: usize) -> Vec<usize> {
        // REFERRAL TYPE STATUS COMPANY CUSTOMER DOMAIN PROVIDER SEGMENT SCORE PRIO
        vec![referral, type_, 6, names, names, domain, 8, 9, 5, 4]
    }

    fn total(w: &[Option<usize>]) -> usize {
        let shown: Vec<usize> = w.iter().flatten().copied().collect();
        shown.iter().sum::<usize>() + shown.len() - 1
    }

    #[test]
    fn a_wide_terminal_shows_everything_as_wide_as_it_wants() {
        let n = natural(36, 17, 30, 21);
        let w = layout(&n, 200);
        assert_eq!(w, n.iter().map(|x| Some(*x)).collect::<Vec<_>>());
    }

    #[test]
    fn names_give_first_then_columns_then_the_domain_never_ids_or_types() {
        // 100 cells, GUID ids: the names are cut, some columns left out.
        let w = layout(&natural(36, 17, 30, 21), 100);
        assert_eq!((w[0], w[1], w[9]), (Some(36), Some(17), Some(4)));
        assert!(total(&w) <= 100, "{w:?}");
        assert_eq!(w[4], None, "the customer goes first");
        assert_eq!(w[5], Some(21), "the domain is whole");
        // 90 cells: the columns that always stay, and the company cut short.
        let w = layout(&natural(36, 17, 30, 21), 90);
        assert_eq!(w.iter().flatten().count(), 5, "{w:?}");
        assert_eq!((w[3], w[5]), (Some(NAME_FLOOR), Some(21)));
        assert!(total(&w) <= 90, "{w:?}");
        // 80 cells: no room for a company name worth reading; the domain is cut a little.
        let w = layout(&natural(36, 17, 30, 21), 80);
        assert_eq!(
            w,
            [
                Some(36),
                Some(17),
                None,
                None,
                None,
                Some(20),
                None,
                None,
                None,
                Some(4)
            ]
        );
        // Too narrow for even that: wider than asked, ids and types whole.
        let w = layout(&natural(36, 17, 30, 21), 40);
        assert_eq!((w[0], w[1], w[3]), (Some(36), Some(17), None));
        assert_eq!(w[5], Some(DOMAIN_MIN));
    }

    #[test]
    fn domains_show_in_unicode() {
        assert_eq!(display_domain("xn--rnek-4qa.com.tr"), "örnek.com.tr");
        assert_eq!(display_domain("contoso.com"), "contoso.com");
    }
}
