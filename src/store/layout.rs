//! The two schemas of a database hunter-pc works in, and the shape of Hunter's tables
//! (hunter-database.md §1–§2).
//!
//! - hunter-pc's own schema ([`Schemas::own`], `HUNTER_PC_SCHEMA`) holds its migration
//!   bookkeeping and its own tables: `referrals`, `scans`, `scores`, `sync_runs`,
//!   `sync_state`, `hunter_tables`.
//! - Hunter's schema ([`Schemas::hunter`], `HUNTER_PC_HUNTER_SCHEMA`) holds Hunter's five tables,
//!   which hunter-pc writes rows into and never alters.
//!
//! Data sessions resolve names through `search_path = own, hunter`, so no statement names a
//! schema (the two sets of table names do not overlap). [`detect`] reads what Hunter's tables
//! look like (one `information_schema` query) into a [`Layout`]: the [`Shape`], and the column
//! lengths the projection cuts text to.

use std::collections::{BTreeMap, BTreeSet};

use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};

use crate::error::{Error, Result};

/// The schema names in effect (checked by the configuration: plain lower-case names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schemas {
    pub own: String,
    pub hunter: String,
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas {
            own: "hunter_pc".into(),
            hunter: "public".into(),
        }
    }
}

/// A name as a quoted SQL identifier.
pub fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

impl Schemas {
    /// The `search_path` of a data session: hunter-pc's tables, then Hunter's (`pg_temp` last,
    /// so a temporary table never stands in for either).
    pub(crate) fn data_search_path(&self) -> String {
        format!(
            "SET search_path = {}, {}, pg_temp",
            quote(&self.own),
            quote(&self.hunter)
        )
    }

    /// The `search_path` of a migration session: hunter-pc's schema alone, so the migrations
    /// and diesel's bookkeeping table land there and nowhere else.
    pub(crate) fn migration_search_path(&self) -> String {
        format!("SET search_path = {}, pg_temp", quote(&self.own))
    }

    /// `"schema"."name"` in hunter-pc's schema.
    pub fn own_table(&self, name: &str) -> String {
        format!("{}.{}", quote(&self.own), quote(name))
    }

    /// `"schema"."name"` in Hunter's schema.
    pub fn hunter_table(&self, name: &str) -> String {
        format!("{}.{}", quote(&self.hunter), quote(name))
    }
}

/// Hunter's five tables, in the order they are created (referenced tables first).
pub const HUNTER_TABLES: [&str; 5] = [
    "raw_leads",
    "companies",
    "partner_center_referrals",
    "domain_signals",
    "lead_scores",
];

/// What a database looks like to hunter-pc (`status --json`: `database.shape`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Hunter's newest line: `partner_center_referrals` has `engagement_id`, `link_status`,
    /// `direction`.
    Hunter,
    /// Hunter v1.1: `partner_center_referrals` has only the v1.1 columns.
    HunterV11,
    /// None of the five tables exists: `migrate up` creates them.
    Empty,
    /// The five tables exist because hunter-pc created them on an empty database.
    Created,
    /// Anything else: every command refuses (78).
    Unknown,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Hunter => "hunter",
            Shape::HunterV11 => "hunter-v1.1",
            Shape::Empty => "empty",
            Shape::Created => "created",
            Shape::Unknown => "unknown",
        }
    }
}

/// The kinds of column type hunter-pc can write a value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Text,
    Bool,
    Jsonb,
    Time,
    Date,
    TextArray,
    Numeric,
}

impl Kind {
    fn accepts(self, data_type: &str, udt: &str) -> bool {
        match self {
            Kind::Int => matches!(data_type, "integer" | "bigint"),
            Kind::Text => matches!(data_type, "character varying" | "text"),
            Kind::Bool => data_type == "boolean",
            Kind::Jsonb => data_type == "jsonb",
            Kind::Time => data_type.starts_with("timestamp"),
            Kind::Date => data_type == "date",
            Kind::TextArray => data_type == "ARRAY" && matches!(udt, "_text" | "_varchar"),
            Kind::Numeric => data_type == "numeric",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Int => "integer",
            Kind::Text => "varchar or text",
            Kind::Bool => "boolean",
            Kind::Jsonb => "jsonb",
            Kind::Time => "timestamp",
            Kind::Date => "date",
            Kind::TextArray => "text[]",
            Kind::Numeric => "numeric",
        }
    }
}

/// The columns hunter-pc reads or writes in each of Hunter's tables (both lines), §4.
const NEEDED: &[(&str, &[(&str, Kind)])] = &[
    (
        "companies",
        &[
            ("id", Kind::Int),
            ("canonical_name", Kind::Text),
            ("domain", Kind::Text),
            ("provider", Kind::Text),
            ("updated_at", Kind::Time),
        ],
    ),
    (
        "raw_leads",
        &[
            ("id", Kind::Int),
            ("source", Kind::Text),
            ("company_name", Kind::Text),
            ("email", Kind::Text),
            ("website", Kind::Text),
            ("domain", Kind::Text),
            ("payload", Kind::Jsonb),
            ("ingested_at", Kind::Time),
        ],
    ),
    (
        "partner_center_referrals",
        &[
            ("id", Kind::Int),
            ("referral_id", Kind::Text),
            ("referral_type", Kind::Text),
            ("company_name", Kind::Text),
            ("domain", Kind::Text),
            ("azure_tenant_id", Kind::Text),
            ("status", Kind::Text),
            ("raw_data", Kind::Jsonb),
            ("synced_at", Kind::Time),
            ("created_at", Kind::Time),
            ("updated_at", Kind::Time),
        ],
    ),
    (
        "domain_signals",
        &[
            ("id", Kind::Int),
            ("domain", Kind::Text),
            ("spf", Kind::Bool),
            ("dkim", Kind::Bool),
            ("dmarc_policy", Kind::Text),
            ("dmarc_coverage", Kind::Int),
            ("mx_root", Kind::Text),
            ("local_provider", Kind::Text),
            ("registrar", Kind::Text),
            ("expires_at", Kind::Date),
            ("nameservers", Kind::TextArray),
            ("scan_status", Kind::Text),
            ("scanned_at", Kind::Time),
        ],
    ),
    (
        "lead_scores",
        &[
            ("id", Kind::Int),
            ("domain", Kind::Text),
            ("readiness_score", Kind::Int),
            ("segment", Kind::Text),
            ("reason", Kind::Text),
            ("technical_heat", Kind::Text),
            ("commercial_segment", Kind::Text),
            ("commercial_heat", Kind::Text),
            ("priority_category", Kind::Text),
            ("priority_label", Kind::Text),
            ("updated_at", Kind::Time),
        ],
    ),
];

/// The `partner_center_referrals` columns of Hunter's newest line that v1.1 lacks (§4's ✝).
/// hunter-pc writes those a database has.
pub const NEWEST_REFERRAL_COLUMNS: [(&str, &str); 13] = [
    ("engagement_id", "text"),
    ("external_reference_id", "text"),
    ("type", "text"),
    ("qualification", "text"),
    ("direction", "text"),
    ("customer_name", "text"),
    ("customer_country", "text"),
    ("raw_domain", "text"),
    ("link_status", "text"),
    ("linked_lead_id", "integer"),
    ("substatus", "text"),
    ("deal_value", "numeric"),
    ("currency", "text"),
];

/// The columns that tell Hunter's newest line from v1.1.
const NEWEST_MARKERS: [&str; 3] = ["engagement_id", "link_status", "direction"];

/// One column of Hunter's tables as `information_schema` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    data_type: String,
    udt: String,
    max_len: Option<i32>,
    /// NOT NULL without a default: hunter-pc's inserts would fail unless it writes it.
    required: bool,
}

/// Hunter's tables as found: the shape, and what the projection needs to know.
#[derive(Debug, Clone)]
pub struct Layout {
    pub schemas: Schemas,
    pub shape: Shape,
    /// For [`Shape::Unknown`]: each missing table or column, and each type hunter-pc cannot
    /// write.
    pub problems: Vec<String>,
    columns: BTreeMap<(String, String), Column>,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    udt_name: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    max_len: Option<i32>,
    #[diesel(sql_type = Bool)]
    required: bool,
}

/// Read the shape of the database: Hunter's five tables in Hunter's schema (one
/// `information_schema` query), and hunter-pc's record of having created them.
pub fn detect(conn: &mut PgConnection, schemas: &Schemas) -> Result<Layout> {
    let rows: Vec<ColumnRow> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, data_type::text, udt_name::text, \
                character_maximum_length::int AS max_len, \
                (is_nullable = 'NO' AND column_default IS NULL \
                 AND is_identity = 'NO' AND is_generated = 'NEVER') AS required \
         FROM information_schema.columns \
         WHERE table_schema = $1 AND table_name = ANY($2) \
         ORDER BY table_name, ordinal_position",
    )
    .bind::<Text, _>(&schemas.hunter)
    .bind::<diesel::sql_types::Array<Text>, _>(&HUNTER_TABLES[..])
    .load(conn)?;
    let created = created_tables(conn, schemas)?;
    let columns: BTreeMap<(String, String), Column> = rows
        .into_iter()
        .map(|r| {
            (
                (r.table_name, r.column_name),
                Column {
                    data_type: r.data_type,
                    udt: r.udt_name,
                    max_len: r.max_len,
                    required: r.required,
                },
            )
        })
        .collect();
    Ok(classify(schemas.clone(), columns, &created))
}

/// The shape of what [`detect`] read.
fn classify(
    schemas: Schemas,
    columns: BTreeMap<(String, String), Column>,
    created: &BTreeSet<String>,
) -> Layout {
    let tables: BTreeSet<&str> = columns.keys().map(|(t, _)| t.as_str()).collect();
    let mut problems = Vec::new();
    let layout = |shape, problems| Layout {
        schemas: schemas.clone(),
        shape,
        problems,
        columns: columns.clone(),
    };
    if tables.is_empty() {
        return layout(Shape::Empty, problems);
    }
    for t in HUNTER_TABLES {
        if !tables.contains(t) {
            problems.push(format!("table {}.{t} is missing", schemas.hunter));
        }
    }
    let has = |t: &str, c: &str| columns.contains_key(&(t.to_string(), c.to_string()));
    let markers: Vec<&str> = NEWEST_MARKERS
        .into_iter()
        .filter(|c| has("partner_center_referrals", c))
        .collect();
    let newest = markers.len() == NEWEST_MARKERS.len();
    if !markers.is_empty() && !newest && tables.contains("partner_center_referrals") {
        for c in NEWEST_MARKERS.iter().filter(|c| !markers.contains(c)) {
            problems.push(format!(
                "column partner_center_referrals.{c} is missing (the table has some of the \
                 columns of Hunter's newest line, not all)"
            ));
        }
    }
    for (table, needed) in NEEDED {
        if !tables.contains(table) {
            continue;
        }
        let mut needed: Vec<(&str, Kind)> = needed.to_vec();
        if *table == "partner_center_referrals" && newest {
            needed.extend(NEWEST_REFERRAL_COLUMNS.iter().map(|(c, t)| {
                let kind = match *t {
                    "integer" => Kind::Int,
                    "numeric" => Kind::Numeric,
                    _ => Kind::Text,
                };
                (*c, kind)
            }));
        }
        for (column, kind) in &needed {
            match columns.get(&(table.to_string(), column.to_string())) {
                None => problems.push(format!("column {table}.{column} is missing")),
                Some(c) if !kind.accepts(&c.data_type, &c.udt) => problems.push(format!(
                    "column {table}.{column} is {} where hunter-pc needs {}",
                    c.data_type,
                    kind.name()
                )),
                Some(_) => {}
            }
        }
        // A NOT NULL column without a default that hunter-pc does not write would make every
        // insert fail.
        for ((t, c), col) in &columns {
            if t == table
                && col.required
                && !needed.iter().any(|(n, _)| n == c)
                && !(*table == "partner_center_referrals"
                    && NEWEST_REFERRAL_COLUMNS.iter().any(|(n, _)| n == c))
            {
                problems.push(format!(
                    "column {table}.{c} is NOT NULL without a default (hunter-pc does not write it)"
                ));
            }
        }
    }
    if !problems.is_empty() {
        return layout(Shape::Unknown, problems);
    }
    let shape = if HUNTER_TABLES.iter().all(|t| created.contains(*t)) {
        Shape::Created
    } else if newest {
        Shape::Hunter
    } else {
        Shape::HunterV11
    };
    layout(shape, problems)
}

impl Layout {
    /// Error 78 naming what is wrong, unless the shape is one hunter-pc works with.
    pub fn require_known(&self) -> Result<()> {
        if self.shape != Shape::Unknown {
            return Ok(());
        }
        Err(Error::config(format!(
            "the database's tables in schema {} are not a Hunter database hunter-pc knows: {}; \
             install hunter-pc into a Hunter database of v1.1 or newer (upgrade an older \
             Hunter first) or into an empty database",
            self.schemas.hunter,
            self.problems.join("; ")
        )))
    }

    /// Whether Hunter's five tables are there (they are on every shape but `empty`).
    pub fn has_hunter_tables(&self) -> bool {
        !matches!(self.shape, Shape::Empty | Shape::Unknown)
    }

    /// The length of a `varchar(n)` column of Hunter's, in characters (`None`: unlimited).
    pub fn max_len(&self, table: &str, column: &str) -> Option<usize> {
        self.columns
            .get(&(table.to_string(), column.to_string()))
            .and_then(|c| c.max_len)
            .and_then(|n| usize::try_from(n).ok())
    }

    /// Whether Hunter's table has this column.
    pub fn has_column(&self, table: &str, column: &str) -> bool {
        self.columns
            .contains_key(&(table.to_string(), column.to_string()))
    }
}

/// The tables hunter-pc's record says it created in Hunter's schema (none while hunter-pc's
/// schema or its record does not exist; nothing is created to find out).
pub fn created_tables(conn: &mut PgConnection, schemas: &Schemas) -> Result<BTreeSet<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let record = schemas.own_table("hunter_tables");
    if !super::table_exists(conn, &record)? {
        return Ok(BTreeSet::new());
    }
    let rows: Vec<Name> = diesel::sql_query(format!("SELECT name FROM {record}")).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// A layout of Hunter's newest line (or v1.1) with every text column 255 characters long (50
/// for the newest line's extra columns), for unit tests.
#[cfg(test)]
pub(crate) fn example_layout(newest: bool) -> Layout {
    classify(
        Schemas::default(),
        tests::hunter_columns(newest),
        &BTreeSet::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(data_type: &str, max_len: Option<i32>) -> Column {
        Column {
            data_type: data_type.into(),
            udt: match data_type {
                "ARRAY" => "_text".into(),
                _ => String::new(),
            },
            max_len,
            required: false,
        }
    }

    pub(super) fn hunter_columns(newest: bool) -> BTreeMap<(String, String), Column> {
        let mut m = BTreeMap::new();
        for (table, needed) in NEEDED {
            for (c, kind) in *needed {
                let t = match kind {
                    Kind::Int => "integer",
                    Kind::Text => "character varying",
                    Kind::Bool => "boolean",
                    Kind::Jsonb => "jsonb",
                    Kind::Time => "timestamp with time zone",
                    Kind::Date => "date",
                    Kind::TextArray => "ARRAY",
                    Kind::Numeric => "numeric",
                };
                m.insert((table.to_string(), c.to_string()), col(t, Some(255)));
            }
        }
        if newest {
            for (c, t) in NEWEST_REFERRAL_COLUMNS {
                let t = if t == "text" { "character varying" } else { t };
                m.insert(
                    ("partner_center_referrals".into(), c.into()),
                    col(t, Some(50)),
                );
            }
        }
        m
    }

    #[test]
    fn shapes_are_told_apart_by_tables_columns_and_types() {
        let none = BTreeSet::new();
        let s = Schemas::default;
        assert_eq!(classify(s(), BTreeMap::new(), &none).shape, Shape::Empty);
        assert_eq!(
            classify(s(), hunter_columns(true), &none).shape,
            Shape::Hunter
        );
        assert_eq!(
            classify(s(), hunter_columns(false), &none).shape,
            Shape::HunterV11
        );
        let all: BTreeSet<String> = HUNTER_TABLES.iter().map(|t| t.to_string()).collect();
        assert_eq!(
            classify(s(), hunter_columns(true), &all).shape,
            Shape::Created
        );

        let mut no_pcr = hunter_columns(false);
        no_pcr.retain(|(t, _), _| t != "partner_center_referrals");
        let l = classify(s(), no_pcr, &none);
        assert_eq!(l.shape, Shape::Unknown);
        assert_eq!(
            l.problems,
            ["table public.partner_center_referrals is missing"]
        );

        let mut no_column = hunter_columns(true);
        no_column.remove(&("domain_signals".to_string(), "registrar".to_string()));
        let l = classify(s(), no_column, &none);
        assert_eq!(l.problems, ["column domain_signals.registrar is missing"]);

        let mut wrong_type = hunter_columns(true);
        wrong_type.insert(("companies".into(), "id".into()), col("uuid", None));
        let l = classify(s(), wrong_type, &none);
        assert_eq!(
            l.problems,
            ["column companies.id is uuid where hunter-pc needs integer"]
        );
        assert!(
            l.require_known()
                .unwrap_err()
                .message
                .contains("companies.id")
        );

        let mut required = hunter_columns(true);
        let mut c = col("character varying", Some(10));
        c.required = true;
        required.insert(("companies".into(), "region".into()), c);
        let l = classify(s(), required, &none);
        assert_eq!(l.shape, Shape::Unknown);
        assert!(l.problems[0].contains("companies.region is NOT NULL"));
    }

    #[test]
    fn identifiers_are_quoted() {
        let s = Schemas::default();
        assert_eq!(s.own_table("scans"), "\"hunter_pc\".\"scans\"");
        assert_eq!(
            s.data_search_path(),
            "SET search_path = \"hunter_pc\", \"public\", pg_temp"
        );
        assert_eq!(quote("a\"b"), "\"a\"\"b\"");
    }
}
