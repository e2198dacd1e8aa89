//! `sync`: fetch → categorise → extract domain → record → upsert company → scan → score.
//! The order of a run: configuration, the lock (on its own session, which also writes the
//! `sync_runs` row), then the input, then the pages, then scans and scores.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::Receiver;
use std::time::Instant;

use diesel::PgConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::auth::Session;
use crate::cli::SyncArgs;
use crate::commands::Ctx;
use crate::error::{Error, Kind, Result};
use crate::model::{RunSource, RunStatus};
use crate::output::{emit, emit_json};
use crate::partner_center::{Client, ListQuery, Stats};
use crate::pipeline::ingest::{Ingest, IngestOptions, Item, prepare};
use crate::pipeline::runlog::{self, Summary};
use crate::pipeline::source::{self, Entry};
use crate::pipeline::writers::Writers;
use crate::scan::Scanner;
use crate::score::ScoreConfig;
use crate::store::lock::LockSession;
use crate::store::migrations::migration_state;
use crate::store::{self, runs, signals, state};

pub fn run(ctx: &Ctx, args: SyncArgs) -> Result<()> {
    let s = &ctx.settings;
    if args.from_file.is_none() && !s.enabled {
        // Before the database or the network: a disabled timer run needs nothing.
        eprintln!("hunter-pc sync: disabled (HUNTER_PC_ENABLED is false); nothing to do");
        if args.json {
            emit_json(&serde_json::to_value(Summary::new(
                None,
                RunStatus::Disabled,
                args.dry_run,
                args.force,
            ))?);
        }
        return Ok(());
    }
    let Some(path) = args.from_file.clone() else {
        return run_api(ctx, &args);
    };

    let url = s.require_database_url()?;
    let mut data = store::connect(url)?;
    migration_state(&mut data)?.require_current()?;
    store::for_page_writes(&mut data)?;
    let mut run = Run::begin(ctx, &args, url, RunSource::File)?;
    if !run.take_lock()? {
        return run.end(RunStatus::Locked, Some(Error::temp(
            "another hunter-pc sync is running (it holds the database lock); this run did nothing: try again later",
        )));
    }
    let bytes = match source::read_input(&path) {
        Ok(b) => b,
        Err(e) => return run.input_failed(e),
    };
    let entries = match source::parse_entries(&bytes, &path.display().to_string()) {
        Ok(e) => {
            tracing::debug!(
                entries = e.len(),
                elapsed_ms = ms(run.started),
                "input read"
            );
            e
        }
        Err(e) => return run.input_failed(e),
    };
    if let Err(e) = run.ingest_all(&mut data, url, entries) {
        return run.end(RunStatus::Failed, Some(e));
    }
    tracing::debug!(elapsed_ms = ms(run.started), "pages written");
    if let Err(e) = run.after_pages(&mut data) {
        return run.end(RunStatus::Failed, Some(e));
    }
    run.finish_ok()
}

/// Milliseconds since `t`, for the debug log's timeline of a run.
fn ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// A sync from the Partner Center API: lock, guard, token, pages (each committed with its
/// cursor), then scans and scores.
fn run_api(ctx: &Ctx, args: &SyncArgs) -> Result<()> {
    let s = &ctx.settings;
    let url = s.require_database_url()?;
    s.require_client_id()?;
    let mut data = store::connect(url)?;
    migration_state(&mut data)?.require_current()?;
    store::for_page_writes(&mut data)?;
    let mut run = Run::begin(ctx, args, url, RunSource::Api)?;
    if !run.take_lock()? {
        return run.end(RunStatus::Locked, Some(Error::temp(
            "another hunter-pc sync is running (it holds the database lock); this run did nothing: try again later",
        )));
    }
    if !args.force
        && let Some(at) = runs::recent_api_run(run.lock.conn(), s.min_sync_interval_secs)?
    {
        eprintln!(
            "hunter-pc sync: skipped: the last sync started at {at}, less than \
             HUNTER_PC_MIN_SYNC_INTERVAL_SECS ({}s) ago; use --force to run now",
            s.min_sync_interval_secs
        );
        return run.end(RunStatus::Skipped, None);
    }
    let session = match Session::open(s) {
        Ok(session) => session,
        Err(e) => return run.end(RunStatus::Failed, Some(e)),
    };
    let stream = state::stream(s.direction);
    let since = if args.force {
        None
    } else {
        state::read(&mut data, &stream)?
            .map(|(t, _)| t - chrono::Duration::seconds(s.lookback_secs as i64))
    };
    let deadline = run.started + std::time::Duration::from_secs(s.run_budget_secs);
    let mut client = Client::new(s, session, deadline)?;
    client.start(ListQuery {
        direction: s.direction,
        updated_since: since,
    });
    if args.dry_run {
        AnsiTransactionManager::begin_transaction(&mut data)?;
    }
    let (pages, reader) = read_ahead(client);
    let mut writers = run.writers(url);
    let mut ordered = true;
    let mut read = loop {
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
        let stream = (page.ordered && !args.dry_run).then_some(stream.as_str());
        if let Err(e) = writers.page(&mut run.ingest, &mut data, page.items, stream) {
            break Err(e);
        }
    };
    drop(pages);
    // Every page handed out is counted (and committed, or rolled back after an error).
    let written = writers.finish(&mut run.ingest);
    read = read.and(written);
    // An unordered read (the 400 fallback) moves the cursor once, after the last page.
    if read.is_ok()
        && !ordered
        && !args.dry_run
        && let Some(newest) = run.ingest.run_newest.clone()
    {
        read = state::advance(&mut data, &stream, &newest);
    }
    if args.dry_run {
        AnsiTransactionManager::rollback_transaction(&mut data)?;
    }
    if read.is_ok()
        && let Ok(stats) = reader.join()
    {
        tracing::debug!(
            requests = stats.requests,
            retries = stats.retries,
            token_refreshes = stats.token_refreshes,
            bytes = stats.bytes,
            waited_ms = stats.waited.as_millis() as u64,
            "Partner Center read done"
        );
    }
    if let Err(e) = read {
        let status = if e.kind == Kind::TempFail {
            RunStatus::Incomplete
        } else {
            RunStatus::Failed
        };
        return run.end(status, Some(e));
    }
    tracing::debug!(elapsed_ms = ms(run.started), "pages written");
    if let Err(e) = run.after_pages(&mut data) {
        return run.end(RunStatus::Failed, Some(e));
    }
    run.finish_ok()
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
) -> (
    Receiver<Result<Option<ReadPage>>>,
    std::thread::JoinHandle<Stats>,
) {
    let (read_tx, read) = std::sync::mpsc::sync_channel(1);
    let reader = std::thread::spawn(move || {
        let rt = match super::runtime() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = read_tx.send(Err(e));
                return Stats::default();
            }
        };
        rt.block_on(async {
            loop {
                let item = client.next_page().await.map_err(Error::from);
                let last = !matches!(item, Ok(Some(_)));
                if read_tx.send(item).is_err() || last {
                    break;
                }
            }
        });
        client.stats().clone()
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
    (rx, reader)
}

/// One run in progress.
struct Run<'a> {
    ctx: &'a Ctx,
    args: &'a SyncArgs,
    lock: LockSession,
    ingest: Ingest,
    summary: Summary,
    errors: BTreeMap<String, String>,
    started: Instant,
}

impl<'a> Run<'a> {
    /// Open the bookkeeping session and write the run's row.
    fn begin(ctx: &'a Ctx, args: &'a SyncArgs, url: &str, source: RunSource) -> Result<Run<'a>> {
        let s = &ctx.settings;
        let mut lock = LockSession::connect(url)?;
        let id = runs::start(
            lock.conn(),
            source,
            args.force,
            args.dry_run,
            s.direction.as_str(),
        )?;
        Ok(Run {
            ctx,
            args,
            lock,
            ingest: Ingest::new(IngestOptions {
                direction: s.direction,
                force: args.force,
            }),
            summary: Summary::new(Some(id), RunStatus::Running, args.dry_run, args.force),
            errors: BTreeMap::new(),
            started: Instant::now(),
        })
    }

    /// Take the sync lock. Once it is held no other sync runs, so earlier runs still marked
    /// `running` were abandoned (killed): they are recorded as failed.
    fn take_lock(&mut self) -> Result<bool> {
        if !self.lock.try_lock()? {
            return Ok(false);
        }
        if let Some(id) = self.summary.run_id {
            let n = runs::close_abandoned(self.lock.conn(), id)?;
            if n > 0 {
                tracing::warn!(
                    runs = n,
                    "earlier sync runs never finished; recorded as failed"
                );
            }
        }
        Ok(true)
    }

    /// Every page of a file, in batches of the page size; one transaction each, or one for the
    /// whole run (rolled back) when dry. A second thread prepares page k+1 while page k is
    /// written (the channel holds one page).
    fn ingest_all(
        &mut self,
        data: &mut PgConnection,
        url: &str,
        entries: Vec<Entry>,
    ) -> Result<()> {
        let page_size = self.ctx.settings.page_size as usize;
        let bar = self.progress(entries.len() as u64, "importing");
        if self.args.dry_run {
            AnsiTransactionManager::begin_transaction(data)?;
        }
        let (tx, pages) = std::sync::mpsc::sync_channel::<Vec<Item>>(1);
        let result = std::thread::scope(|scope| {
            let preparing = std::thread::Builder::new().name("prepare".into());
            preparing.spawn_scoped(scope, move || {
                let mut it = entries.into_iter();
                loop {
                    let page: Vec<Entry> = it.by_ref().take(page_size).collect();
                    // Stops at the end, or when the writes stopped (receiver gone).
                    if page.is_empty() || tx.send(prepare(page)).is_err() {
                        break;
                    }
                }
            })?;
            let mut writers = self.writers(url);
            // `pages` moves into the loop: on an error it is dropped, which stops the sender.
            for page in pages {
                let n = page.len() as u64;
                writers.page(&mut self.ingest, data, page, None)?;
                bar.inc(n);
            }
            writers.finish(&mut self.ingest)
        });
        bar.finish_and_clear();
        if self.args.dry_run {
            AnsiTransactionManager::rollback_transaction(data)?;
        }
        result
    }

    /// Two page writers of their own, or the run's connection for a dry run (one transaction).
    fn writers(&self, url: &str) -> Writers {
        if self.args.dry_run {
            Writers::sequential()
        } else {
            Writers::parallel(url)
        }
    }

    fn progress(&self, len: u64, what: &str) -> ProgressBar {
        if !self.ctx.progress() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{msg} {bar:30} {pos}/{len} ({per_sec})") {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar
    }

    /// After the pages: scan the domains that need them (§6: touched ones without a completed
    /// scan, and untouched ones whose scan is missing or failed), then score every company the
    /// run touched or scanned (§8). Nothing of this in a dry run; no scans with `--no-scan`.
    fn after_pages(&mut self, data: &mut PgConnection) -> Result<()> {
        if self.args.dry_run {
            return Ok(());
        }
        store::after_page_writes(data)?;
        let s = &self.ctx.settings;
        let touched: Vec<String> = self.ingest.touched.iter().cloned().collect();
        let mut to_score: BTreeSet<String> = self.ingest.touched.clone();
        if !self.args.no_scan {
            let plan = signals::plan(data, &touched, self.args.rescan, s.scan_retry_secs)?;
            self.summary.scans_skipped_already_scanned = plan.skipped_already_scanned as i64;
            if !plan.to_scan.is_empty() {
                let rt = super::runtime()?;
                let _in_runtime = rt.enter();
                let scanner = Scanner::new(s)?;
                let scans = rt.block_on(scanner.scan_all(
                    plan.to_scan,
                    s.scan_concurrency,
                    self.ctx.progress(),
                ));
                signals::write(data, &scans)?;
                for scan in &scans {
                    if scan.status.is_completed() {
                        self.summary.scans_ok += 1;
                    } else {
                        self.summary.scans_failed += 1;
                        tracing::warn!(
                            domain = %scan.domain,
                            error = scan.error.as_deref().unwrap_or(""),
                            "domain scan failed; it is retried by a later sync"
                        );
                    }
                    to_score.insert(scan.domain.clone());
                }
            }
        }
        if !to_score.is_empty() {
            let domains: Vec<String> = to_score.into_iter().collect();
            let scored = crate::score::score_domains(
                data,
                Some(&domains),
                &ScoreConfig::from_settings(s),
                false,
            )?;
            self.summary.scored = scored.written;
            tracing::debug!(elapsed_ms = ms(self.started), "scored");
        }
        Ok(())
    }

    /// The input file could not be read (66) or parsed (65): the run failed before any page.
    fn input_failed(mut self, e: Error) -> Result<()> {
        self.errors.insert("input".into(), e.message.clone());
        self.end(RunStatus::Failed, Some(e))
    }

    /// The pages are in: status `partial` when a referral failed, else `ok`.
    fn finish_ok(self) -> Result<()> {
        let failed = self.ingest.counts.failed;
        if failed > 0 {
            let id = self.summary.run_id.unwrap_or_default();
            let e = Error::failure(format!(
                "{failed} referral(s) failed and the rest were committed; see `errors` of sync run #{id} \
                 ({})",
                runs::errors_query(id)
            ));
            return self.end(RunStatus::Partial, Some(e));
        }
        self.end(RunStatus::Ok, None)
    }

    /// Record the run, log one summary event, print the summary, and return the run's error.
    fn end(mut self, status: RunStatus, error: Option<Error>) -> Result<()> {
        self.summary.absorb(&self.ingest.counts);
        self.summary.status = status;
        self.summary.duration_ms = self.started.elapsed().as_millis() as i64;
        let mut errors = std::mem::take(&mut self.errors);
        errors.extend(
            self.ingest
                .errors
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        if let Err(e) = runlog::finish(self.lock.conn(), &self.summary, &errors) {
            tracing::error!("could not record the sync run: {e}");
        }
        let s = &self.summary;
        tracing::info!(
            run_id = s.run_id,
            status = s.status.as_str(),
            fetched = s.fetched,
            new = s.new,
            updated = s.updated,
            unchanged = s.unchanged,
            failed = s.failed,
            unlinked = s.unlinked,
            companies_created = s.companies_created,
            companies_updated = s.companies_updated,
            raw_leads_inserted = s.raw_leads_inserted,
            scans_ok = s.scans_ok,
            scans_failed = s.scans_failed,
            scored = s.scored,
            pages = s.pages,
            duration_ms = s.duration_ms,
            statements = self.ingest.statements,
            dry_run = s.dry_run,
            forced = s.forced,
            "sync finished"
        );
        if self.args.json {
            emit_json(&serde_json::to_value(s)?);
        } else {
            emit(&s.table());
        }
        match error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
