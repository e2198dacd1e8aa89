//! One sync, as a library operation: fetch → categorise → extract domain → record → upsert
//! company → scan → score (pipeline.md's order, in the README's words under "What a sync
//! does").
//!
//! The order of a run: configuration, the database and its migrations, the run record (its own
//! session, which takes the advisory lock and writes the `sync_runs` row), then the input, the
//! pages, the scans and the scores. From the moment the run record exists it is finished on
//! every path: the body returns its outcome or its error to [`finish`], and a [`RunRecord`]
//! dropped unfinished (a panic) records itself `failed` with the reason.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use diesel::PgConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::auth::{AuthConfig, Session};
use crate::config::Direction;
use crate::error::{Error, Kind, Result};
use crate::model::RunSource;
use crate::ops::Stop;
use crate::partner_center::{Client, ClientConfig, ListQuery, Stats};
use crate::pipeline::ingest::{Ingest, IngestOptions, Item, Target, prepare};
use crate::pipeline::runlog::{self, RunStatus, Summary};
use crate::pipeline::source::{self, Entry};
use crate::pipeline::writers::Writers;
use crate::scan::{ScanConfig, Scanner};
use crate::score::ScoreConfig;
use crate::store::lock::LockSession;
use crate::store::{self, Layout, runs, signals, state};

pub use crate::store::signals::Refresh;

/// Where the referrals come from.
#[derive(Debug, Clone)]
pub enum Input {
    /// The Partner Center Referrals API.
    Api(Box<ApiInput>),
    /// A file (`-`: stdin): a JSON array, an API page, or newline-delimited JSON.
    File(PathBuf),
}

/// What an API sync needs beyond the common options.
#[derive(Debug, Clone)]
pub struct ApiInput {
    pub client: ClientConfig,
    pub auth: AuthConfig,
    /// Overlap re-read behind the incremental cursor.
    pub lookback: Duration,
    /// An API sync this soon after the last `ok`/`partial` one is skipped (unless forced).
    pub min_interval_secs: u64,
}

/// Everything one sync needs to know.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub database_url: Option<String>,
    /// The timeouts of every database session of the run.
    pub db: store::ConnectOptions,
    pub input: Input,
    /// The feature flag: an API sync does nothing while it is off (a file import is not gated).
    pub enabled: bool,
    pub force: bool,
    pub dry_run: bool,
    pub no_scan: bool,
    pub rescan: bool,
    pub direction: Direction,
    /// Referrals per page of a file (an API page is what the service sends).
    pub page_size: usize,
    pub run_budget: Duration,
    pub scan: ScanConfig,
    pub scan_concurrency: usize,
    pub scan_retry_secs: u64,
    /// Which completed scans are stale, and how many a sync refreshes.
    pub refresh: Refresh,
    pub score: ScoreConfig,
    /// Draw progress bars on stderr.
    pub progress: bool,
    /// Log a line this often while the run goes on (none: never).
    pub heartbeat: Option<Duration>,
    pub stop: Stop,
}

/// How a sync ended.
#[derive(Debug)]
pub struct SyncReport {
    pub source: RunSource,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// The start of the newest `ok` API sync (this one included), when the database said.
    pub last_ok_api: Option<chrono::DateTime<chrono::Utc>>,
    /// Partner Center requests of an API sync.
    pub partner_center: Option<Stats>,
    /// The summary to print: none when the run stopped before it began (no database, pending
    /// migrations), in which case there is also no `sync_runs` row.
    pub summary: Option<Summary>,
    /// One line for the operator when the run did nothing on purpose (disabled, skipped).
    pub notice: Option<String>,
    /// The error that decides the exit code (none: exit 0).
    pub error: Option<Error>,
}

impl SyncReport {
    fn before_run(
        opts: &SyncOptions,
        started_at: chrono::DateTime<chrono::Utc>,
        error: Error,
    ) -> SyncReport {
        SyncReport {
            source: opts.source(),
            started_at,
            last_ok_api: None,
            partner_center: None,
            summary: None,
            notice: None,
            error: Some(error),
        }
    }
}

impl SyncOptions {
    /// Where the run reads from, as `sync_runs.source` says it.
    pub fn source(&self) -> RunSource {
        match self.input {
            Input::Api(_) => RunSource::Api,
            Input::File(_) => RunSource::File,
        }
    }
}

/// Run one sync to its end. Never returns early without recording the run, once it began.
pub fn run(opts: &SyncOptions) -> SyncReport {
    let started_at = chrono::Utc::now();
    let api = matches!(opts.input, Input::Api(_));
    if api && !opts.enabled {
        // Before the database or the network: a disabled timer run needs nothing.
        return SyncReport {
            source: opts.source(),
            started_at,
            last_ok_api: None,
            partner_center: None,
            summary: Some(Summary::new(
                None,
                RunStatus::Disabled,
                opts.dry_run,
                opts.force,
            )),
            notice: Some(
                "hunter-pc sync: disabled (HUNTER_PC_ENABLED is false); nothing to do".into(),
            ),
            error: None,
        };
    }
    let (url, mut data, layout) = match open(opts) {
        Ok(open) => open,
        Err(e) => return SyncReport::before_run(opts, started_at, e),
    };
    let record = match RunRecord::begin(&url, opts) {
        Ok(r) => r,
        Err(e) => return SyncReport::before_run(opts, started_at, e),
    };
    // Every log line of the run, on every thread of it, carries its id.
    let span = tracing::info_span!("sync", run_id = record.id);
    let _in_run = span.enter();
    let heartbeat = Heartbeat::start(opts.heartbeat, span.clone());
    let mut run = Run {
        opts,
        url,
        record,
        ingest: Ingest::new(
            IngestOptions {
                direction: opts.direction,
                force: opts.force,
                collect_read: opts.rescan,
            },
            Target::new(layout.clone()),
        ),
        layout,
        notice: None,
        scans: ScanCounts::default(),
        scored: 0,
        started: Instant::now(),
        started_at,
        partner_center: None,
    };
    let outcome = run.body(&mut data);
    drop(heartbeat);
    finish(run, outcome)
}

/// A log line every `every` while the run goes on (when nobody watches a progress bar, the
/// journal still shows the run is alive); stops when dropped.
struct Heartbeat {
    stop: Option<std::sync::mpsc::Sender<()>>,
}

impl Heartbeat {
    fn start(every: Option<Duration>, span: tracing::Span) -> Heartbeat {
        let Some(every) = every else {
            return Heartbeat { stop: None };
        };
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let started = Instant::now();
        std::thread::spawn(move || {
            let _in_run = span.enter();
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every)
            {
                tracing::info!(
                    elapsed_secs = started.elapsed().as_secs(),
                    "sync still running"
                );
            }
        });
        Heartbeat { stop: Some(stop) }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then ends.
        self.stop.take();
    }
}

/// Configuration, then the database: a run that stops here writes no run row.
fn open(opts: &SyncOptions) -> Result<(String, PgConnection, Layout)> {
    let url = opts
        .database_url
        .clone()
        .ok_or_else(crate::config::no_database_url)?;
    if let Input::Api(api) = &opts.input {
        api.auth
            .client_id
            .as_deref()
            .ok_or_else(crate::config::no_client_id)?;
    }
    let mut data = store::connect_for_pages(&url, &opts.db)?;
    let layout = store::require_current(&mut data, &opts.db.schemas)?;
    Ok((url, data, layout))
}

/// How the body of a run ended when it did not fail.
enum Outcome {
    /// Every page read and written (the status is `ok` or `partial` by the failed count).
    Done,
    /// Another sync holds the lock: nothing done.
    Locked,
    /// Too soon after the last API sync: nothing done.
    Skipped,
}

#[derive(Debug, Default)]
struct ScanCounts {
    ok: i64,
    failed: i64,
    skipped_already_scanned: i64,
}

/// One run in progress.
struct Run<'a> {
    opts: &'a SyncOptions,
    url: String,
    record: RunRecord,
    ingest: Ingest,
    /// Hunter's tables as found.
    layout: Layout,
    notice: Option<String>,
    scans: ScanCounts,
    scored: i64,
    started: Instant,
    started_at: chrono::DateTime<chrono::Utc>,
    /// Partner Center requests so far (kept up to date by the reader thread).
    partner_center: Option<std::sync::Arc<std::sync::Mutex<Stats>>>,
}

impl Run<'_> {
    fn body(&mut self, data: &mut PgConnection) -> Result<Outcome> {
        if !self.record.take_lock()? {
            return Ok(Outcome::Locked);
        }
        match &self.opts.input {
            Input::File(path) => self.file(data, path)?,
            Input::Api(api) => {
                if !self.opts.force
                    && let Some(at) =
                        runs::recent_api_run(self.record.conn(), api.min_interval_secs)?
                {
                    self.notice = Some(format!(
                        "hunter-pc sync: skipped: the last sync started at {at}, less than \
                         HUNTER_PC_MIN_SYNC_INTERVAL_SECS ({}s) ago; use --force to run now",
                        api.min_interval_secs
                    ));
                    return Ok(Outcome::Skipped);
                }
                self.api(data, api)?
            }
        }
        tracing::debug!(elapsed_ms = ms(self.started), "pages written");
        if self.opts.stop.requested() {
            return Err(Stop::error());
        }
        self.after_pages(data)?;
        Ok(Outcome::Done)
    }

    /// A file: checked whole (65/66 before anything is written), then read again page by page,
    /// so memory stays bounded whatever its size.
    fn file(&mut self, data: &mut PgConnection, path: &std::path::Path) -> Result<()> {
        let input = source::open(path).map_err(|e| self.record.input_failed(e))?;
        tracing::debug!(
            entries = input.len(),
            elapsed_ms = ms(self.started),
            "input checked"
        );
        self.file_pages(data, &input)?;
        // A file with items of which none is a referral is a wrong file, not an empty one.
        let c = &self.ingest.counts;
        if c.fetched > 0 && c.skipped.get(crate::pipeline::ingest::SKIP_INVALID) == Some(&c.fetched)
        {
            let e = Error::data(format!(
                "no referrals in {} ({} item(s), none a referral object with an id)",
                input.name(),
                c.fetched
            ));
            return Err(self.record.input_failed(e));
        }
        Ok(())
    }

    /// Every page of a file, in batches of the page size; one transaction each, or one for the
    /// whole run (rolled back) when dry. A second thread reads and prepares page k+1 while page
    /// k is written (the channel holds one page).
    fn file_pages(&mut self, data: &mut PgConnection, input: &source::InputFile) -> Result<()> {
        let page_size = self.opts.page_size.max(1);
        let bar = self.progress(input.len() as u64, "importing");
        let dry = self.opts.dry_run;
        if dry {
            AnsiTransactionManager::begin_transaction(data)?;
            store::hunter_tables::shadow_for_dry_run(data, &self.opts.db.schemas)?;
        }
        let (tx, pages) = std::sync::mpsc::sync_channel::<Vec<Item>>(1);
        let result = std::thread::scope(|scope| {
            let preparing = std::thread::Builder::new().name("prepare".into());
            let reading = preparing.spawn_scoped(scope, move || {
                let mut page: Vec<Entry> = Vec::with_capacity(page_size);
                // Stops at the end, or when the writes stopped (receiver gone).
                let read = input.each(&mut |entry| {
                    page.push(entry);
                    page.len() < page_size || tx.send(prepare(std::mem::take(&mut page))).is_ok()
                });
                if read.is_ok() && !page.is_empty() {
                    let _ = tx.send(prepare(page));
                }
                read
            })?;
            let mut writers = self.writers();
            // `pages` moves into the loop: on an error it is dropped, which stops the sender.
            let written = (|| {
                for page in pages {
                    if self.opts.stop.requested() {
                        break;
                    }
                    let n = page.len() as u64;
                    writers.page(&mut self.ingest, data, page, None)?;
                    bar.inc(n);
                }
                writers.finish(&mut self.ingest)
            })();
            let read = reading
                .join()
                .unwrap_or_else(|_| Err(Error::failure("the file reader stopped unexpectedly")));
            written.and(read)
        });
        bar.finish_and_clear();
        if dry {
            AnsiTransactionManager::rollback_transaction(data)?;
        }
        result
    }

    /// The API: token, then pages, each committed with its cursor.
    fn api(&mut self, data: &mut PgConnection, api: &ApiInput) -> Result<()> {
        let opts = self.opts;
        let session = Session::open(&api.auth)?;
        let stream = state::stream(opts.direction);
        let since = if opts.force {
            None
        } else {
            state::read(data, &stream)?
                .map(|(t, _)| t - chrono::Duration::from_std(api.lookback).unwrap_or_default())
        };
        let deadline = self.started + opts.run_budget;
        let mut client = Client::new(&api.client, session, deadline)?;
        client.start(ListQuery {
            direction: opts.direction,
            updated_since: since,
        });
        if opts.dry_run {
            AnsiTransactionManager::begin_transaction(data)?;
            store::hunter_tables::shadow_for_dry_run(data, &opts.db.schemas)?;
        }
        let stats = std::sync::Arc::new(std::sync::Mutex::new(Stats::default()));
        self.partner_center = Some(std::sync::Arc::clone(&stats));
        let pages = read_ahead(client, stats, tracing::Span::current());
        let mut writers = self.writers();
        let mut ordered = true;
        let bar = self.spinner("fetching");
        let mut read = loop {
            if opts.stop.requested() {
                break Ok(());
            }
            let page = match pages.recv() {
                Ok(Ok(Some(page))) => page,
                Ok(Ok(None)) => break Ok(()),
                Ok(Err(e)) => break Err(e),
                Err(_) => {
                    break Err(Error::failure(
                        "the Partner Center reader stopped unexpectedly",
                    ));
                }
            };
            ordered &= page.ordered;
            // On an ordered read the cursor moves with each page, in its transaction.
            let stream = (page.ordered && !opts.dry_run).then_some(stream.as_str());
            let n = page.items.len() as u64;
            if let Err(e) = writers.page(&mut self.ingest, data, page.items, stream) {
                break Err(e);
            }
            bar.inc(n);
            bar.set_message(format!("fetching: page {}", self.ingest.counts.pages));
        };
        bar.finish_and_clear();
        drop(pages);
        // Every page handed out is counted (and committed, or rolled back after an error).
        let written = writers.finish(&mut self.ingest);
        read = read.and(written);
        // An unordered read (the 400 fallback) moves the cursor once, after the last page of a
        // read that went to its end.
        if read.is_ok()
            && !ordered
            && !opts.dry_run
            && !opts.stop.requested()
            && let Some(newest) = self.ingest.run_newest.clone()
        {
            read = state::advance(data, &stream, &newest);
        }
        if opts.dry_run {
            AnsiTransactionManager::rollback_transaction(data)?;
        }
        if let Some(stats) = self.pc_stats() {
            tracing::debug!(
                requests = stats.requests,
                retries = stats.retries,
                throttled = stats.throttled,
                token_refreshes = stats.token_refreshes,
                bytes = stats.bytes,
                waited_ms = stats.waited.as_millis() as u64,
                "Partner Center read done"
            );
        }
        read
    }

    /// The Partner Center requests so far, for an API sync.
    fn pc_stats(&self) -> Option<Stats> {
        self.partner_center
            .as_ref()
            .map(|s| s.lock().map(|s| s.clone()).unwrap_or_default())
    }

    /// Two page writers of their own, or the run's connection for a dry run (one transaction).
    fn writers(&self) -> Writers {
        if self.opts.dry_run {
            Writers::sequential()
        } else {
            Writers::parallel(&self.url, &self.opts.db)
        }
    }

    fn progress(&self, len: u64, what: &str) -> ProgressBar {
        if !self.opts.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({per_sec})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar
    }

    /// A spinner with counts, for a read whose length is not known.
    fn spinner(&self, what: &str) -> ProgressBar {
        if !self.opts.progress {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {msg} {pos} referrals ({per_sec})")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    /// After the pages: scan the domains that need them (§6: touched ones without a completed
    /// scan, with `--rescan` every domain read, untouched ones whose scan is missing or failed,
    /// and a batch of stale ones), then score every company the run touched or scanned (§8).
    /// Nothing of this in a dry run; no scans with `--no-scan`. No scan starts once the run
    /// budget is nearly spent ([`scan_start_by`]); those left over are picked by a later sync.
    fn after_pages(&mut self, data: &mut PgConnection) -> Result<()> {
        let opts = self.opts;
        if opts.dry_run {
            return Ok(());
        }
        store::after_page_writes(data)?;
        let touched = self.ingest.touched();
        let read = if opts.rescan {
            self.ingest.read()
        } else {
            Vec::new()
        };
        // The per-referral state of the pages is not needed any more.
        self.ingest.forget();
        let mut scanned: Vec<String> = Vec::new();
        if !opts.no_scan {
            let plan = signals::plan(
                data,
                &signals::PlanRequest {
                    touched: &touched,
                    rescan: &read,
                    retry_secs: opts.scan_retry_secs,
                    refresh: opts.refresh,
                },
            )?;
            self.scans.skipped_already_scanned = plan.skipped_already_scanned as i64;
            if plan.stale > 0 {
                tracing::info!(
                    stale = plan.stale,
                    "refreshing scans older than HUNTER_PC_RESCAN_AFTER_DAYS"
                );
            }
            if !plan.to_scan.is_empty() {
                let planned = plan.to_scan.len();
                let rt = crate::ops::runtime()?;
                let _in_runtime = rt.enter();
                let scanner = Scanner::new(&opts.scan)?;
                let scans = rt.block_on(scanner.scan_until(
                    plan.to_scan,
                    opts.scan_concurrency,
                    opts.progress,
                    Some(scan_start_by(self.started, opts)),
                ));
                signals::write(data, &self.layout, &scans)?;
                if scans.len() < planned {
                    tracing::warn!(
                        not_started = planned - scans.len(),
                        run_budget_secs = opts.run_budget.as_secs(),
                        "the run budget is nearly spent: the domain scans not started are left \
                         for a later sync"
                    );
                }
                // One warning per cause, with a count and a few names; each domain at debug.
                let mut causes: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
                for scan in &scans {
                    if scan.status.is_completed() {
                        self.scans.ok += 1;
                    } else {
                        self.scans.failed += 1;
                        let error = scan.error.as_deref().unwrap_or("unknown");
                        tracing::debug!(domain = %scan.domain, error, "domain scan failed");
                        causes
                            .entry(error.replace(&scan.domain, "<domain>"))
                            .or_default()
                            .push(&scan.domain);
                    }
                    scanned.push(scan.domain.clone());
                }
                for (cause, domains) in &causes {
                    let some: Vec<&str> = domains.iter().take(3).copied().collect();
                    tracing::warn!(
                        count = domains.len(),
                        cause = %cause,
                        examples = %some.join(", "),
                        "domain scans failed; they are retried by a later sync"
                    );
                }
            }
        }
        let mut domains = touched;
        domains.append(&mut scanned);
        domains.sort_unstable();
        domains.dedup();
        if !domains.is_empty() {
            let scored = crate::score::score_domains(
                data,
                &self.layout,
                Some(&domains),
                &opts.score,
                false,
            )?;
            self.scored = scored.written;
            tracing::debug!(elapsed_ms = ms(self.started), "scored");
        }
        Ok(())
    }

    /// The summary as it stands.
    fn summary(&self, status: RunStatus) -> Summary {
        let mut s = Summary::new(
            Some(self.record.id),
            status,
            self.opts.dry_run,
            self.opts.force,
        );
        s.absorb(&self.ingest.counts);
        s.scans_ok = self.scans.ok;
        s.scans_failed = self.scans.failed;
        s.scans_skipped_already_scanned = self.scans.skipped_already_scanned;
        s.scored = self.scored;
        s.duration_ms = self.started.elapsed().as_millis() as i64;
        s
    }
}

/// The status and error of a run from its body's outcome, in the precedence the command-line
/// contract gives: sign-in (77) and unreachable services (69) are `failed`; a run budget that
/// ran out is `incomplete` (75); a stop signal is `interrupted` (75); a lost lock is `locked`
/// (75); failed referrals make it `partial` (1); else `ok`.
fn verdict(run: &Run, outcome: Result<Outcome>) -> (RunStatus, Option<Error>) {
    let stopping = run.opts.stop.requested();
    match outcome {
        Ok(Outcome::Locked) => (
            RunStatus::Locked,
            Some(Error::temp(
                "another hunter-pc sync is running (it holds the database lock); this run did \
                 nothing: try again later",
            )),
        ),
        Ok(Outcome::Skipped) => (RunStatus::Skipped, None),
        Err(e) if matches!(e.kind, Kind::NoPerm | Kind::Unavailable) && !stopping => {
            (RunStatus::Failed, Some(e))
        }
        // A statement cancelled by its timeout while a stop was pending is the stop.
        Err(_) if stopping => (RunStatus::Interrupted, Some(Stop::error())),
        // The run budget (the Partner Center client's, or a wait that would outlast it).
        Err(e) if e.kind == Kind::TempFail && e.sqlstate().is_none() => {
            (RunStatus::Incomplete, Some(e))
        }
        Err(e) => (RunStatus::Failed, Some(e)),
        Ok(Outcome::Done) if run.ingest.counts.failed > 0 => {
            let failed = run.ingest.counts.failed;
            let id = run.record.id;
            (
                RunStatus::Partial,
                Some(Error::failure(format!(
                    "{failed} referral(s) failed and the rest were committed; see `errors` of \
                     sync run #{id} ({})",
                    runs::errors_query(id)
                ))),
            )
        }
        Ok(Outcome::Done) => (RunStatus::Ok, None),
    }
}

/// Record the run, log one summary event, and hand back the report.
fn finish(mut run: Run, outcome: Result<Outcome>) -> SyncReport {
    let (status, error) = verdict(&run, outcome);
    let summary = run.summary(status);
    run.record
        .finish(&summary, &run.ingest.errors, error.as_ref());
    let last_ok_api = runs::last_ok_api(run.record.conn()).unwrap_or_else(|e| {
        tracing::warn!("cannot read the last ok API sync: {e}");
        None
    });
    tracing::info!(
        run_id = summary.run_id,
        status = summary.status.as_str(),
        fetched = summary.fetched,
        new = summary.new,
        updated = summary.updated,
        unchanged = summary.unchanged,
        failed = summary.failed,
        unlinked = summary.unlinked,
        companies_created = summary.companies_created,
        companies_updated = summary.companies_updated,
        raw_leads_inserted = summary.raw_leads_inserted,
        scans_ok = summary.scans_ok,
        scans_failed = summary.scans_failed,
        scored = summary.scored,
        pages = summary.pages,
        duration_ms = summary.duration_ms,
        statements = run.ingest.statements,
        dry_run = summary.dry_run,
        forced = summary.forced,
        "sync finished"
    );
    SyncReport {
        source: run.opts.source(),
        started_at: run.started_at,
        last_ok_api,
        partner_center: run.pc_stats(),
        summary: Some(summary),
        notice: run.notice.take(),
        error,
    }
}

/// The run's own database session: it takes the advisory lock that keeps one sync at a time
/// and writes the `sync_runs` row, committed apart from the run's data, so the row can be
/// finished even after the page connections died. Dropped unfinished (a panic, or a path that
/// forgot), it records the run `failed` with the reason.
struct RunRecord {
    id: i64,
    lock: LockSession,
    /// Errors of the run itself (the input file), beside the referrals'.
    errors: std::collections::BTreeMap<String, String>,
    finished: bool,
}

impl RunRecord {
    fn begin(url: &str, opts: &SyncOptions) -> Result<RunRecord> {
        let mut lock = LockSession::connect(url, &opts.db)?;
        let id = runs::start(
            lock.conn(),
            opts.source(),
            opts.force,
            opts.dry_run,
            opts.direction.as_str(),
            runlog::hostname().as_deref(),
        )?;
        Ok(RunRecord {
            id,
            lock,
            errors: Default::default(),
            finished: false,
        })
    }

    fn conn(&mut self) -> &mut PgConnection {
        self.lock.conn()
    }

    /// Take the sync lock. Once it is held no other sync runs, so earlier runs still marked
    /// `running` were abandoned (killed): they are recorded as failed.
    fn take_lock(&mut self) -> Result<bool> {
        if !self.lock.try_lock()? {
            return Ok(false);
        }
        let n = runs::close_abandoned(self.lock.conn(), self.id)?;
        if n > 0 {
            tracing::warn!(
                runs = n,
                "earlier sync runs never finished; recorded as failed"
            );
        }
        Ok(true)
    }

    /// The input file could not be read (66) or parsed (65): kept under `input` in `errors`.
    fn input_failed(&mut self, e: Error) -> Error {
        self.errors.insert("input".into(), e.message.clone());
        e
    }

    fn finish(
        &mut self,
        summary: &Summary,
        referral_errors: &std::collections::BTreeMap<String, String>,
        error: Option<&Error>,
    ) {
        let mut errors = std::mem::take(&mut self.errors);
        errors.extend(referral_errors.iter().map(|(k, v)| (k.clone(), v.clone())));
        let exit_code = error.map_or(0, Error::exit_code);
        let message = error.map(|e| e.message.as_str());
        if let Err(e) = runlog::finish(self.lock.conn(), summary, &errors, exit_code, message) {
            tracing::error!("could not record the sync run: {e}");
        }
        self.finished = true;
    }
}

impl Drop for RunRecord {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let (why, code) = if std::thread::panicking() {
            ("hunter-pc stopped on an internal error (a panic)", 101)
        } else {
            ("the run ended without recording its outcome", 1)
        };
        if let Err(e) = runs::fail_unfinished(self.lock.conn(), self.id, why, code) {
            tracing::error!("could not record the sync run: {e}");
        }
    }
}

/// A page of the API read, prepared for the writes.
struct ReadPage {
    items: Vec<Item>,
    /// Read in `updatedDateTime` order (the cursor may move with it).
    ordered: bool,
}

/// Read the pages on one thread and [`prepare`] them on another, each one page ahead, so that
/// fetching page k+2 and extracting page k+1 overlap writing page k. Each channel holds one
/// page, so memory stays at a few pages. `Ok(None)` marks the end; after an error nothing
/// more is sent. When the receiver is dropped (the writes failed), both stop at their next
/// page. (The reader hands over each referral as JSON text: its tree is built and dropped on
/// the preparing thread, which is cheaper than freeing it on another.)
fn read_ahead(
    mut client: Client<Session>,
    stats: std::sync::Arc<std::sync::Mutex<Stats>>,
    span: tracing::Span,
) -> Receiver<Result<Option<ReadPage>>> {
    let (read_tx, read) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        let _in_run = span.enter();
        let rt = match crate::ops::runtime() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = read_tx.send(Err(e));
                return;
            }
        };
        rt.block_on(async {
            loop {
                let item = client.next_page().await.map_err(Error::from);
                if let Ok(mut s) = stats.lock() {
                    *s = client.stats().clone();
                }
                let last = !matches!(item, Ok(Some(_)));
                if read_tx.send(item).is_err() || last {
                    break;
                }
            }
        });
    });
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    std::thread::spawn(move || {
        for item in read {
            let item = item.map(|page| {
                page.map(|p| ReadPage {
                    ordered: p.ordered,
                    items: prepare(p.referrals.into_iter().map(Entry::Json).collect()),
                })
            });
            if tx.send(item).is_err() {
                break;
            }
        }
    });
    rx
}

/// Time the run keeps after its last scan starts: one scan's DNS budget (its questions run at
/// once, each within `HUNTER_PC_DNS_TIMEOUT_MS`), plus room to store the scans and score.
pub const SCAN_RESERVE: Duration = Duration::from_secs(5);

/// The moment after which a run starts no more domain scans: the run budget less one DNS
/// budget and [`SCAN_RESERVE`].
fn scan_start_by(started: Instant, opts: &SyncOptions) -> Instant {
    started
        + opts
            .run_budget
            .saturating_sub(opts.scan.dns_timeout + SCAN_RESERVE)
}

/// Milliseconds since `t`, for the debug log's timeline of a run.
fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}
