//! `referrals`: hunter-pc's record of each Partner Center referral, full length; and what a page
//! writes with it in the same statement: its projection into Hunter's
//! `partner_center_referrals` (Hunter's columns, cut to Hunter's lengths) and Hunter's
//! `raw_leads`, the ingestion log. The stored-row read and the batch write of a sync's pages,
//! and the listing of `list-referrals`.
//!
//! The columns a sync derives from a referral are declared once, in [`referral_fields!`]: that
//! gives the row struct [`ReferralFields`] (read by the stored-row read and the listing,
//! written by the page write), its column list and its binding as one array per column.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::layout::Layout;
use bigdecimal::BigDecimal;
use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Numeric, Text, Timestamptz};

use crate::error::Result;
use crate::model::{Category, LinkStatus, RAW_LEAD_SOURCE, Segment};

/// hunter-pc's table of referrals.
pub const TABLE: &str = "referrals";
/// Hunter's table of referrals, which receives the projection.
pub const HUNTER_TABLE: &str = "partner_center_referrals";
/// Hunter's table of raw leads.
pub const RAW_LEADS: &str = "raw_leads";

/// SQL: the tracking row `r` carries an Azure tenant id (which [`crate::model::company_provider`]
/// turns into the company's provider).
pub(super) const HAS_TENANT_ID: &str = "btrim(coalesce(r.azure_tenant_id, '')) <> ''";

/// A column's name: the field's, or the one given.
macro_rules! column_name {
    ($field:ident) => {
        stringify!($field)
    };
    ($field:ident $column:literal) => {
        $column
    };
}

/// Declares the derived columns: `field [= "column"]: RustType => DieselType as "pg type"`.
macro_rules! referral_fields {
    ($(
        $(#[$doc:meta])*
        $field:ident $(= $column:literal)?: $rust:ty => $sql:ident as $pg:literal,
    )+) => {
        /// What a referral says, as its tracking row stores it: the columns a sync derives from
        /// the referral's JSON (pipeline.md §2 step 8), all nullable.
        #[derive(QueryableByName, Debug, Clone, Default, PartialEq)]
        pub struct ReferralFields {
            $(
                $(#[$doc])*
                #[diesel(sql_type = Nullable<$sql>)]
                $(#[diesel(column_name = $column)])?
                pub $field: Option<$rust>,
            )+
        }

        /// The columns of [`ReferralFields`], in its order, with their types.
        const FIELD_COLUMNS: &[(&str, &str)] = &[$((column_name!($field $($column)?), $pg)),+];

        /// Bind the fields of `rows`, one array per column in [`FIELD_COLUMNS`] order.
        fn bind_fields<'a>(
            mut query: BoxedSqlQuery<'a, Pg, SqlQuery>,
            rows: &[PageReferral<'a>],
        ) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
            $(
                query = query.bind::<Array<Nullable<$sql>>, _>(
                    rows.iter().map(|r| r.fields.$field.as_ref()).collect::<Vec<_>>(),
                );
            )+
            query
        }
    };
}

referral_fields! {
    /// `co-sell`, `marketplace`, `solution-provider` ([`Category`]), or NULL.
    referral_type: String => Text as "text",
    /// Microsoft's `type`, `qualification`, `direction`, `status`, `substatus` as received.
    type_ = "type": String => Text as "text",
    qualification: String => Text as "text",
    direction: String => Text as "text",
    status: String => Text as "text",
    substatus: String => Text as "text",
    engagement_id: String => Text as "text",
    external_reference_id: String => Text as "text",
    company_name: String => Text as "text",
    customer_name: String => Text as "text",
    customer_country: String => Text as "text",
    /// The customer's registrable domain (the company's key).
    domain: String => Text as "text",
    raw_domain: String => Text as "text",
    azure_tenant_id: String => Text as "text",
    deal_value: BigDecimal => Numeric as "numeric",
    currency: String => Text as "text",
    pc_created_at: DateTime<Utc> => Timestamptz as "timestamptz",
    pc_updated_at: DateTime<Utc> => Timestamptz as "timestamptz",
}

/// The columns a sync writes besides the key, the content hash and the JSON: the derived
/// fields and the link to the company.
fn tracked_columns() -> impl Iterator<Item = &'static str> {
    FIELD_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .chain(["link_status", "company_id"])
}

/// `prefix.column, …` of the given columns.
fn qualified(prefix: &str, columns: impl Iterator<Item = &'static str>) -> String {
    columns
        .map(|c| format!("{prefix}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

// --- the stored-row read of a page -------------------------------------------------------------

/// What the database holds of a referral: for the stale and unchanged checks, and, under
/// `--force`, to see whether re-deriving it changes anything.
#[derive(QueryableByName, Debug, Clone)]
pub struct StoredReferral {
    #[diesel(sql_type = Text)]
    pub referral_id: String,
    #[diesel(sql_type = Text)]
    pub content_hash: String,
    #[diesel(embed)]
    pub fields: ReferralFields,
    /// The linked company's domain and provider.
    #[diesel(sql_type = Nullable<Text>)]
    pub company_domain: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub company_provider: Option<String>,
    /// Hunter's `partner_center_referrals` has a row of this id.
    #[diesel(sql_type = Bool)]
    pub projected: bool,
}

static STORED_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.referral_id, r.content_hash, {fields}, \
                (SELECT domain FROM companies WHERE id = r.company_id) AS company_domain, \
                (SELECT provider FROM companies WHERE id = r.company_id) AS company_provider, \
                EXISTS (SELECT 1 FROM partner_center_referrals p \
                        WHERE p.referral_id = r.referral_id) AS projected \
           FROM referrals r WHERE r.referral_id = ANY($1)",
        fields = qualified("r", FIELD_COLUMNS.iter().map(|(c, _)| *c)),
    )
});

/// The stored rows of these ids, with their company, in one statement: index probes only (a
/// join would let the planner scan all companies when its statistics are stale, as right after
/// a first import).
pub fn stored(conn: &mut PgConnection, ids: &[String]) -> Result<HashMap<String, StoredReferral>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<StoredReferral> = diesel::sql_query(STORED_SQL.as_str())
        .bind::<Array<Text>, _>(ids)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.referral_id.clone(), r))
        .collect())
}

// --- Hunter's lengths --------------------------------------------------------------------------

/// The derived columns Hunter's `partner_center_referrals` has no column for.
const NOT_IN_HUNTER: [&str; 2] = ["pc_created_at", "pc_updated_at"];

/// Text of a referral that does not fit Hunter's columns (hunter-database.md §4): a name or
/// other text is cut to the column's length in characters (`left()` in the statement); an
/// email or website that does not fit is written as NULL (a cut address is wrong data).
/// Returns one warning per field; hunter-pc's `referrals` keeps the full values.
pub fn hunter_cuts(
    layout: &Layout,
    fields: &ReferralFields,
    email: Option<&str>,
    website: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut cut = |table: &str, column: &str, value: Option<&str>, dropped: bool| {
        let new_company = table == "companies";
        if let (Some(v), Some(n)) = (value, layout.max_len(table, column))
            && v.chars().count() > n
        {
            out.push(if new_company {
                format!(
                    "the company name is longer than Hunter's {table}.{column}: a company it \
                     creates is named with its first {n} characters"
                )
            } else if dropped {
                format!(
                    "{column} is longer than Hunter's {table}.{column} ({n} characters): not \
                     written there (kept in hunter-pc's referrals)"
                )
            } else {
                format!(
                    "{column} is longer than Hunter's {table}.{column}: cut to {n} characters \
                     there (kept whole in hunter-pc's referrals)"
                )
            });
        }
    };
    for (column, value) in text_fields(fields) {
        if layout.has_column(HUNTER_TABLE, column) {
            cut(HUNTER_TABLE, column, value, false);
        }
    }
    cut(RAW_LEADS, "email", email, true);
    cut(RAW_LEADS, "website", website, true);
    let name = fields.company_name.as_deref().or(fields.domain.as_deref());
    cut("companies", "canonical_name", name, false);
    out
}

/// The text fields by column name.
fn text_fields(f: &ReferralFields) -> [(&'static str, Option<&str>); 15] {
    [
        ("referral_type", f.referral_type.as_deref()),
        ("type", f.type_.as_deref()),
        ("qualification", f.qualification.as_deref()),
        ("direction", f.direction.as_deref()),
        ("status", f.status.as_deref()),
        ("substatus", f.substatus.as_deref()),
        ("engagement_id", f.engagement_id.as_deref()),
        ("external_reference_id", f.external_reference_id.as_deref()),
        ("company_name", f.company_name.as_deref()),
        ("customer_name", f.customer_name.as_deref()),
        ("customer_country", f.customer_country.as_deref()),
        ("domain", f.domain.as_deref()),
        ("raw_domain", f.raw_domain.as_deref()),
        ("azure_tenant_id", f.azure_tenant_id.as_deref()),
        ("currency", f.currency.as_deref()),
    ]
}

/// `column` of the row `row` as Hunter's `table.column` takes it: cut to its length (or NULL
/// when `drop_long`), as SQL.
fn fitted(layout: &Layout, table: &str, row: &str, column: &str, drop_long: bool) -> String {
    match layout.max_len(table, column) {
        None => format!("{row}.{column}"),
        Some(n) if drop_long => {
            format!("CASE WHEN char_length({row}.{column}) <= {n} THEN {row}.{column} END")
        }
        Some(n) => format!("left({row}.{column}, {n})"),
    }
}

// --- the batch write of a page -----------------------------------------------------------------

/// One referral of a page's write.
#[derive(Debug, Clone)]
pub struct PageReferral<'a> {
    pub referral_id: &'a str,
    pub fields: &'a ReferralFields,
    pub link_status: LinkStatus,
    /// The company of its domain (its id in Hunter's `companies`).
    pub company_id: Option<i64>,
    pub content_hash: &'a str,
    /// The referral as JSON text, parsed into jsonb once for `raw_data` (both tables) and the
    /// raw lead's `payload`.
    pub json: &'a str,
    /// This copy is the one the rows keep (the last of its id in the batch).
    pub keep: bool,
    /// This copy adds a raw lead (new or changed, with a domain).
    pub lead: bool,
    /// For the raw lead.
    pub email: Option<&'a str>,
    pub website: Option<&'a str>,
}

/// The page write for a database of this layout: hunter-pc's rows, their projection into
/// Hunter's `partner_center_referrals` (the columns its line has) and the raw leads, in one
/// statement. Built once per run.
pub fn write_sql(layout: &Layout) -> String {
    // The arrays, in binding order: the id, the fields, then the rest.
    let mut incoming: Vec<(&str, String)> = vec![("referral_id", "text[]".into())];
    incoming.extend(FIELD_COLUMNS.iter().map(|(c, t)| (*c, format!("{t}[]"))));
    incoming.extend(
        [
            ("link_status", "text[]"),
            ("company_id", "bigint[]"),
            ("content_hash", "text[]"),
            ("raw_data", "text[]::jsonb[]"),
            ("keep", "bool[]"),
            ("lead", "bool[]"),
            ("email", "text[]"),
            ("website", "text[]"),
        ]
        .map(|(c, t)| (c, t.to_string())),
    );
    let arrays = incoming
        .iter()
        .enumerate()
        .map(|(i, (_, t))| format!("${}::{t}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    let names = incoming
        .iter()
        .map(|(c, _)| *c)
        .collect::<Vec<_>>()
        .join(", ");
    let source = incoming.len() + 1;
    let tracked = tracked_columns().collect::<Vec<_>>().join(", ");
    let set = tracked_columns()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");

    // Hunter's columns: every derived field its table has (cut to its length), the link.
    let mut hunter: Vec<(String, String)> = FIELD_COLUMNS
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| !NOT_IN_HUNTER.contains(c) && layout.has_column(HUNTER_TABLE, c))
        .map(|c| (c.to_string(), fitted(layout, HUNTER_TABLE, "d", c, false)))
        .collect();
    if layout.has_column(HUNTER_TABLE, "link_status") {
        hunter.push(("link_status".into(), "d.link_status".into()));
    }
    if layout.has_column(HUNTER_TABLE, "linked_lead_id") {
        hunter.push(("linked_lead_id".into(), "d.company_id::integer".into()));
    }
    hunter.push(("raw_data".into(), "d.raw_data".into()));
    let h_columns = hunter
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let h_values = hunter
        .iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let h_set = hunter
        .iter()
        .map(|(c, _)| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let h_old = hunter
        .iter()
        .map(|(c, _)| format!("p.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let h_new = hunter
        .iter()
        .map(|(c, _)| format!("excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");

    format!(
        "WITH incoming AS ( \
           SELECT * FROM unnest({arrays}) AS u({names})), \
         stored AS MATERIALIZED ( \
           SELECT id, referral_id, content_hash, {tracked} \
             FROM referrals WHERE referral_id = ANY($1)), \
         differing AS ( \
           SELECT i.* FROM incoming i LEFT JOIN stored p ON p.referral_id = i.referral_id \
            WHERE i.keep AND (p.id IS NULL \
               OR (p.content_hash, {p_tracked}) IS DISTINCT FROM (i.content_hash, {i_tracked}) \
               OR NOT EXISTS (SELECT 1 FROM partner_center_referrals h \
                              WHERE h.referral_id = i.referral_id))), \
         tracked AS ( \
           INSERT INTO referrals (referral_id, {tracked}, content_hash, raw_data) \
           SELECT referral_id, {tracked}, content_hash, raw_data FROM differing \
           ON CONFLICT (referral_id) DO UPDATE SET {set}, raw_data = excluded.raw_data, \
             synced_at = CASE WHEN referrals.content_hash = excluded.content_hash \
               THEN referrals.synced_at ELSE now() END, \
             content_hash = excluded.content_hash, updated_at = now()), \
         projected AS ( \
           INSERT INTO partner_center_referrals AS p (referral_id, {h_columns}) \
           SELECT d.referral_id, {h_values} FROM differing d \
           ON CONFLICT (referral_id) DO UPDATE SET {h_set}, synced_at = now(), updated_at = now() \
             WHERE ({h_old}) IS DISTINCT FROM ({h_new})) \
         INSERT INTO raw_leads (source, company_name, email, website, domain, payload) \
         SELECT ${source}, {lead_name}, {lead_email}, {lead_website}, domain, raw_data \
           FROM incoming WHERE lead",
        p_tracked = qualified("p", tracked_columns()),
        i_tracked = qualified("i", tracked_columns()),
        lead_name = fitted(layout, RAW_LEADS, "incoming", "company_name", false),
        lead_email = fitted(layout, RAW_LEADS, "incoming", "email", true),
        lead_website = fitted(layout, RAW_LEADS, "incoming", "website", true),
    )
}

/// One statement for a page (`sql` from [`write_sql`]): upsert the kept copies' rows (only
/// those that differ from what is stored: an unchanged row is neither written nor locked),
/// their projection into Hunter's table, and insert the raw leads. Returns the number of raw
/// leads inserted.
pub fn write_page(conn: &mut PgConnection, sql: &str, rows: &[PageReferral]) -> Result<i64> {
    let query = diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.referral_id).collect::<Vec<_>>());
    let n = bind_fields(query, rows)
        .bind::<Array<Text>, _>(
            rows.iter()
                .map(|r| r.link_status.as_str())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<BigInt>>, _>(rows.iter().map(|r| r.company_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.content_hash).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.json).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(rows.iter().map(|r| r.keep).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(rows.iter().map(|r| r.lead).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.email).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.website).collect::<Vec<_>>())
        .bind::<Text, _>(RAW_LEAD_SOURCE)
        .execute(conn)?;
    Ok(n as i64)
}

// --- the listing -------------------------------------------------------------------------------

/// The filters of `list-referrals`, already checked. A filter not given is a NULL parameter of
/// one static statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// `Some(None)`: referrals without a category (`--type none`).
    pub referral_type: Option<Option<Category>>,
    /// Compared without case.
    pub status: Option<String>,
    pub segment: Option<Segment>,
    pub domain: Option<String>,
    /// Looked for in company, customer and domain, any case.
    pub search: Option<String>,
    /// Partner Center update time at or after it.
    pub since: Option<DateTime<Utc>>,
    pub unlinked: bool,
    pub limit: Option<i64>,
}

/// A referral as the listing reads it: its tracking row with its company's provider and its
/// score.
#[derive(QueryableByName, Debug, Clone)]
pub struct ListedRow {
    #[diesel(sql_type = Text)]
    pub referral_id: String,
    #[diesel(embed)]
    pub fields: ReferralFields,
    #[diesel(sql_type = Text)]
    pub link_status: String,
    /// The company's provider, else its scan's.
    #[diesel(sql_type = Nullable<Text>)]
    pub provider: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub segment: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    pub score: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub priority_category: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub synced_at: DateTime<Utc>,
}

/// The joins and filters of the listing, shared by the rows and their count. Parameters: `$1`
/// type filter given, `$2` type (NULL: none), `$3` status, `$4` segment, `$5` domain, `$6`
/// search text, `$7` since, `$8` unlinked only, `$9` the unlinked link status. `companies`,
/// `scans` and `scores` have one row per domain, so the joins add no rows.
const LIST_FILTERS: &str = "
WHERE ($1 = false OR ($2::text IS NULL AND r.referral_type IS NULL) OR r.referral_type = $2)
  AND ($3::text IS NULL OR lower(r.status) = lower($3))
  AND ($4::text IS NULL OR lower(l.segment) = lower($4))
  AND ($5::text IS NULL OR r.domain = $5)
  AND ($6::text IS NULL
       OR strpos(lower(coalesce(r.company_name, '')), lower($6)) > 0
       OR strpos(lower(coalesce(r.customer_name, '')), lower($6)) > 0
       OR strpos(lower(coalesce(r.domain, '')), lower($6)) > 0)
  AND ($7::timestamptz IS NULL OR r.pc_updated_at >= $7)
  AND ($8 = false OR r.link_status = $9)
";

static LIST_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "
SELECT r.referral_id, {fields}, r.link_status,
       COALESCE(c.provider, s.provider) AS provider, l.segment, l.readiness_score AS score,
       l.priority_category, r.synced_at
FROM referrals r
LEFT JOIN companies c ON c.domain = r.domain
LEFT JOIN scans s ON s.domain = r.domain
LEFT JOIN scores l ON l.domain = r.domain
{LIST_FILTERS}
ORDER BY r.pc_updated_at DESC NULLS LAST, r.referral_id
LIMIT $10
",
        fields = qualified("r", FIELD_COLUMNS.iter().map(|(c, _)| *c)),
    )
});

static COUNT_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT count(*) AS n FROM referrals r \
         LEFT JOIN scores l ON l.domain = r.domain {LIST_FILTERS}"
    )
});

/// The filters as the parameters `$1`–`$9` of [`LIST_FILTERS`].
fn bind_filters<'a>(sql: &'a str, f: &'a Filters) -> BoxedSqlQuery<'a, Pg, SqlQuery> {
    diesel::sql_query(sql)
        .into_boxed::<Pg>()
        .bind::<Bool, _>(f.referral_type.is_some())
        .bind::<Nullable<Text>, _>(f.referral_type.flatten().map(Category::as_str))
        .bind::<Nullable<Text>, _>(f.status.as_deref())
        .bind::<Nullable<Text>, _>(f.segment.map(Segment::as_str))
        .bind::<Nullable<Text>, _>(f.domain.as_deref())
        .bind::<Nullable<Text>, _>(f.search.as_deref())
        .bind::<Nullable<Timestamptz>, _>(f.since)
        .bind::<Bool, _>(f.unlinked)
        .bind::<Text, _>(LinkStatus::Unlinked.as_str())
}

/// The referrals the filters select, newest Partner Center update first, then by id, at most
/// `f.limit` of them.
pub fn list(conn: &mut PgConnection, f: &Filters) -> Result<Vec<ListedRow>> {
    Ok(bind_filters(&LIST_SQL, f)
        .bind::<Nullable<BigInt>, _>(f.limit)
        .load(conn)?)
}

/// How many referrals the filters select, whatever the limit.
pub fn count(conn: &mut PgConnection, f: &Filters) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    Ok(bind_filters(&COUNT_SQL, f).get_result::<Count>(conn)?.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::layout::example_layout;

    #[test]
    fn every_statement_names_every_derived_column() {
        let write = write_sql(&example_layout(true));
        for sql in [&*STORED_SQL, &write, &*LIST_SQL] {
            for (c, _) in FIELD_COLUMNS {
                assert!(
                    sql.contains(&format!("r.{c}")) || sql.contains(&format!("i.{c}")),
                    "{c}"
                );
            }
        }
        assert_eq!(FIELD_COLUMNS.len(), 18);
        assert_eq!(FIELD_COLUMNS[1], ("type", "text"));
        // 1 id + 18 fields + 8 more arrays, then the raw leads' source.
        assert!(write.contains("$27::text[]") && write.contains("SELECT $28,"));
        assert!(!write.contains("$29"));
    }

    #[test]
    fn the_projection_writes_the_columns_of_hunters_line_cut_to_its_lengths() {
        let newest = write_sql(&example_layout(true));
        assert!(newest.contains("left(d.company_name, 255)"), "{newest}");
        assert!(newest.contains("left(d.customer_name, 50)"), "{newest}");
        assert!(newest.contains("d.company_id::integer"));
        assert!(!newest.contains("left(d.pc_updated_at"));
        let v11 = write_sql(&example_layout(false));
        assert!(!v11.contains("left(d.customer_name"), "{v11}");
        assert!(!v11.contains("linked_lead_id"));
        assert!(v11.contains("CASE WHEN char_length(incoming.website) <= 255"));
    }

    #[test]
    fn long_text_is_named_in_a_warning_per_field() {
        let layout = example_layout(true);
        let long = "x".repeat(300);
        let fields = ReferralFields {
            company_name: Some(long.clone()),
            customer_name: Some("short".into()),
            ..ReferralFields::default()
        };
        let w = hunter_cuts(&layout, &fields, Some(&long), None);
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("company_name") && w[0].contains("cut to 255"));
        assert!(w[1].contains("email") && w[1].contains("not written"));
        assert!(w[2].contains("canonical_name") && w[2].contains("first 255"));
    }
}
