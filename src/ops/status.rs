//! `status` as a library operation: what an operator reads first, and the monitors' health
//! check. It changes nothing and talks to nothing but the database (and the token stores on
//! this machine).
//!
//! The runs it shows, each with its host and age:
//! - `last_run`: the newest `sync_runs` row, whatever it is (during a sync that is the sync
//!   itself, or a `locked` attempt that came after it);
//! - `running`: the run in progress. A row still marked `running` is live only while its
//!   bookkeeping session holds the sync lock, as `pg_locks` shows (never by trying the lock,
//!   which would get in the way of the sync). Otherwise its process is gone (killed, the
//!   machine went down): it is shown as `abandoned`, and the next sync records it `failed`;
//! - `last_finished`: the newest run that ended, leaving out `locked` and `skipped` ones (they
//!   did nothing);
//! - `last_ok_api`: the newest non-dry sync from the Partner Center API that ended `ok` — what
//!   the health check measures.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::auth::{AuthConfig, AuthStatus};
use crate::config::Direction;
use crate::error::{Error, Result};
use crate::store::runs::RunRow;
use crate::store::{self, ConnectOptions, layout, lock, migrations, runs, state};

/// What `status` needs.
#[derive(Debug, Clone)]
pub struct StatusOptions {
    pub database_url: Option<String>,
    pub db: ConnectOptions,
    pub direction: Direction,
    /// The feature flag.
    pub enabled: bool,
    pub auth: AuthConfig,
    /// The settings in effect, secrets redacted (shown as they are).
    pub config: Value,
    /// Count the rows of every table (exact counts: the health check leaves them out).
    pub counts: bool,
}

/// The database as `status` found it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DatabaseState {
    pub reachable: bool,
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    /// `hunter`, `hunter-v1.1`, `empty`, `created` or `unknown`; null when not reachable.
    pub shape: Option<&'static str>,
}

/// Everything `status` shows (`status --json` prints it as it is).
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub config: Value,
    pub database: DatabaseState,
    pub auth: AuthStatus,
    pub enabled: bool,
    /// The newest `sync_runs` row.
    pub last_run: Option<RunRow>,
    /// The run in progress: its row is `running` and its session holds the sync lock.
    pub running: Option<RunRow>,
    /// The newest row still marked `running` whose process is gone.
    pub abandoned: Option<RunRow>,
    /// The newest run that ended, not counting `locked` and `skipped` runs.
    pub last_finished: Option<RunRow>,
    /// The newest non-dry API sync that ended `ok`.
    pub last_ok_api: Option<RunRow>,
    /// The incremental cursor of the configured direction.
    pub cursor: Value,
    /// Table → rows (empty when not counted or not reachable).
    pub counts: BTreeMap<String, i64>,
    /// What decides the exit, first that applies: 78 configuration, 69 database unreachable,
    /// 78 migrations pending, 77 enabled and not signed in.
    #[serde(skip)]
    pub problem: Option<Error>,
}

/// Gather the report. Errors of the database after it answered (a query that failed) are
/// returned as errors; everything `status` exists to say is in the report.
pub fn status(opts: &StatusOptions) -> Result<StatusReport> {
    let mut report = StatusReport {
        config: opts.config.clone(),
        database: DatabaseState::default(),
        auth: crate::auth::status(&opts.auth),
        enabled: opts.enabled,
        last_run: None,
        running: None,
        abandoned: None,
        last_finished: None,
        last_ok_api: None,
        cursor: Value::Null,
        counts: BTreeMap::new(),
        problem: None,
    };
    match opts.database_url.as_deref() {
        None => report.problem = Some(crate::config::no_database_url()),
        Some(url) => match store::connect(url, &opts.db) {
            Err(e) => report.problem = Some(e),
            Ok(mut conn) => {
                let schemas = &opts.db.schemas;
                let state = migrations::migration_state(&mut conn, schemas)?;
                let layout = layout::detect(&mut conn, schemas)?;
                report.database = DatabaseState {
                    reachable: true,
                    applied: state.applied.clone(),
                    pending: state.pending.clone(),
                    shape: Some(layout.shape.as_str()),
                };
                match store::ready(&layout, &state) {
                    Err(e) => {
                        report.problem = Some(e);
                        if opts.counts {
                            report.counts = counts(&mut conn, schemas)?;
                        }
                    }
                    Ok(_) => runs_and_counts(&mut conn, opts, &mut report)?,
                }
            }
        },
    }
    if report.problem.is_none() && opts.enabled && !report.auth.refresh_token {
        report.problem = Some(Error::no_perm(
            "the feature flag is on but nobody is signed in: run `hunter-pc login`",
        ));
    }
    Ok(report)
}

fn runs_and_counts(
    conn: &mut diesel::PgConnection,
    opts: &StatusOptions,
    report: &mut StatusReport,
) -> Result<()> {
    report.last_run = runs::last(conn)?;
    // The holder first: a run that ends in between is then seen as ended, not as abandoned.
    let holder = lock::holder(conn, lock::lock_key(&opts.db.schemas.own))?;
    let unfinished = runs::unfinished(conn, 16)?;
    let live = match &holder {
        None => None,
        // A session that does not say its run (an older hunter-pc): the newest such row.
        Some(h) => match h.run_id() {
            Some(id) => unfinished.iter().find(|r| r.id == id).cloned(),
            None => unfinished.first().cloned(),
        },
    };
    report.abandoned = unfinished
        .iter()
        .find(|r| live.as_ref().is_none_or(|l| l.id != r.id))
        .cloned();
    report.running = live;
    report.last_finished = runs::last_finished(conn)?;
    report.last_ok_api = runs::last_ok_api_row(conn)?;
    report.cursor = state::row_json(conn, &state::stream(opts.direction))?;
    if opts.counts {
        report.counts = counts(conn, &opts.db.schemas)?;
    }
    Ok(())
}

/// The row counts of the tables of both schemas that exist.
fn counts(
    conn: &mut diesel::PgConnection,
    schemas: &store::Schemas,
) -> Result<BTreeMap<String, i64>> {
    Ok(store::row_counts(conn, schemas)?
        .into_iter()
        .map(|(t, n)| (t.to_string(), n))
        .collect())
}

impl StatusReport {
    /// The exit of plain `status`: the problem, if any.
    pub fn verdict(&self) -> Result<()> {
        match &self.problem {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// The monitors' health check: one line when the newest `ok` API sync started less than
    /// `max_age` ago; else, first that applies, the status problem (78 configuration, 69
    /// database, 78 migrations, 77 enabled and not signed in), then 75 (no `ok` API sync
    /// within the age, including never), with a message that says which.
    pub fn check(&self, max_age: Duration) -> Result<String> {
        self.verdict()?;
        let within = human_duration(max_age.as_secs());
        let why_not = self.why_no_recent_ok();
        match &self.last_ok_api {
            None => Err(Error::temp(format!(
                "no ok sync from the Partner Center API yet (none within {within}){why_not}"
            ))),
            Some(run) if run.age_secs < 0 || run.age_secs as u64 > max_age.as_secs() => {
                Err(Error::temp(format!(
                    "no ok sync from the Partner Center API within {within}: the last one, \
                     run #{}{}, started {} ago{why_not}",
                    run.id,
                    on_host(run),
                    human_duration(run.age_secs.max(0) as u64),
                )))
            }
            Some(run) => Ok(format!(
                "ok: the last ok sync from the Partner Center API, run #{}{}, started {} ago \
                 (within {within})",
                run.id,
                on_host(run),
                human_duration(run.age_secs as u64),
            )),
        }
    }

    /// What the operator looks at next when there is no recent ok API sync.
    fn why_no_recent_ok(&self) -> String {
        if !self.enabled {
            return "; HUNTER_PC_ENABLED is false, so API syncs do nothing".into();
        }
        if let Some(run) = &self.running {
            return format!(
                "; run #{} is in progress{} (started {} ago)",
                run.id,
                on_host(run),
                human_duration(run.age_secs.max(0) as u64)
            );
        }
        match &self.last_finished {
            Some(run) if run.status != "ok" => format!(
                "; the last run, #{}{}, ended {} (exit {}){}",
                run.id,
                on_host(run),
                run.status,
                run.exit_code
                    .map_or_else(|| "unknown".to_string(), |c| c.to_string()),
                run.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
            _ => String::new(),
        }
    }
}

/// ` on HOST` when the row knows it.
pub fn on_host(run: &RunRow) -> String {
    run.host
        .as_deref()
        .map(|h| format!(" on {h}"))
        .unwrap_or_default()
}

/// `--max-age`: a whole number with a unit, `s`, `m`, `h` or `d` (`90s`, `30m`, `2h`, `1d`);
/// above zero.
pub fn parse_max_age(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let wrong =
        || format!("{s:?} is not a duration: give a number and a unit, e.g. 90s, 30m, 2h or 1d");
    let unit = s.chars().last().ok_or_else(wrong)?;
    let per: u64 = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(wrong()),
    };
    let n: u64 = s[..s.len() - 1].parse().map_err(|_| wrong())?;
    if n == 0 {
        return Err(format!("{s:?}: the age must be above zero"));
    }
    n.checked_mul(per)
        .filter(|secs| *secs <= 100 * 365 * 86_400)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{s:?} is too long"))
}

/// `2h3m`, `4m12s`, `45s`, `3d2h`: the two largest units.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let parts: Vec<String> = [(d, "d"), (h, "h"), (m, "m"), (s, "s")]
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_ages_take_a_number_and_a_unit() {
        assert_eq!(parse_max_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_max_age("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_max_age("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_max_age("1d"), Ok(Duration::from_secs(86_400)));
        for bad in [
            "",
            "30",
            "m",
            "-5m",
            "1.5h",
            "0m",
            "10w",
            "99999999999999999999d",
            "3 m",
        ] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_read_as_two_units() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(252), "4m12s");
        assert_eq!(human_duration(3600), "1h");
        assert_eq!(human_duration(7380), "2h3m");
        assert_eq!(human_duration(266_400), "3d2h");
    }
}
