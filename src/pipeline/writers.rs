//! Writing a sync's pages two at a time, each on a connection of its own.
//!
//! The database does most of the work of a first import (parsing the JSON into jsonb, the
//! tables' indexes), and one connection keeps one core busy. So the pages are planned in order
//! on the caller's connection ([`Ingest::plan`]: the stored-row read and the counting rules),
//! and each plan is written by one of two writer threads with connections of their own: the
//! database writes page k+1 while page k is still being written.
//!
//! Two rules keep this equal to writing the pages one after the other:
//! - Pages commit in order. A writer that has sent its page's statements waits until the page
//!   before it committed; only then does it move the cursor and commit. If that page did not
//!   commit, this one rolls back too, so the cursor never passes a page that is not stored.
//! - Two pages that share a referral id or a company domain are never in flight together. Rows
//!   of one page are then never locked by the other, so no writer waits for a row held by a
//!   page that is itself waiting (with the commit order, that wait would never end).
//!
//! A dry run is one transaction on the caller's connection: its pages are written there, one
//! after the other, each in a savepoint.

use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};

use crate::error::{Error, Result};
use crate::pipeline::ingest::{Ingest, Item, PageWrite, Plan, write_page};
use crate::store::{self, state};

/// How many pages are written at the same time (one writer connection each).
const WRITERS: usize = 2;

/// The page writers of one run.
pub struct Writers {
    /// `None`: write on the caller's connection, one page after the other (dry runs).
    url: Option<(String, store::ConnectOptions)>,
    /// Started as pages arrive: a one-page sync opens one writer connection.
    workers: Vec<Worker>,
    in_flight: VecDeque<Pending>,
    /// Whether the newest page handed out committed (the next page waits for it).
    last_commit: Option<Receiver<bool>>,
    handed_out: usize,
}

struct Worker {
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

/// A stream's cursor and the newest `(updatedDateTime, id)` of a page.
type CursorMove = (String, (DateTime<Utc>, String));

/// One page for a writer.
struct Job {
    plan: Plan,
    cursor: Option<CursorMove>,
    /// The previous page's commit (`true`) or rollback (`false`).
    after: Option<Receiver<bool>>,
    committed: SyncSender<bool>,
    done: Sender<(Plan, Result<PageWrite>)>,
}

/// A page handed to a writer, not yet counted.
struct Pending {
    keys: HashSet<String>,
    done: Receiver<(Plan, Result<PageWrite>)>,
}

impl Writers {
    /// Writers with connections of their own to `url`.
    pub fn parallel(url: &str, db: &store::ConnectOptions) -> Writers {
        Writers::new(Some((url.to_string(), db.clone())))
    }

    /// Pages written on the caller's connection (inside its transaction, for a dry run).
    pub fn sequential() -> Writers {
        Writers::new(None)
    }

    fn new(url: Option<(String, store::ConnectOptions)>) -> Writers {
        Writers {
            url,
            workers: Vec::new(),
            in_flight: VecDeque::new(),
            last_commit: None,
            handed_out: 0,
        }
    }

    /// Plan a page on `data` and hand it to a writer. With `cursor_stream`, the stream's cursor
    /// moves to the page's newest referral when the page commits. Returns once the page is
    /// handed out; an error is that of this page's plan or of an earlier page's write.
    pub fn page(
        &mut self,
        ingest: &mut Ingest,
        data: &mut PgConnection,
        items: Vec<Item>,
        cursor_stream: Option<&str>,
    ) -> Result<()> {
        let plan = ingest.plan(data, items)?;
        let cursor = cursor_stream
            .zip(ingest.page_newest.clone())
            .map(|(stream, newest)| (stream.to_string(), newest));
        if cursor.is_none() && plan.is_empty() {
            return Ok(()); // nothing to write, not even a cursor
        }
        if cursor.is_some() {
            ingest.statements += 1;
        }
        let Some(url) = self.url.clone() else {
            let written = write_in_order(data, &plan, cursor.as_ref(), None)?;
            ingest.record(&plan, written);
            return Ok(());
        };
        let keys = plan.keys();
        while self.in_flight.len() >= WRITERS
            || self
                .in_flight
                .back()
                .is_some_and(|p| !p.keys.is_disjoint(&keys))
        {
            self.count_oldest(ingest)?;
        }
        let (committed, commit_signal) = sync_channel(1);
        let (done, done_signal) = channel();
        let job = Job {
            plan,
            cursor,
            after: self.last_commit.replace(commit_signal),
            committed,
            done,
        };
        let n = self.handed_out % WRITERS;
        self.handed_out += 1;
        if self.workers.len() <= n {
            self.workers.push(Worker::start(url)?);
        }
        self.workers[n]
            .jobs
            .as_ref()
            .and_then(|jobs| jobs.send(job).ok())
            .ok_or_else(stopped)?;
        self.in_flight.push_back(Pending {
            keys,
            done: done_signal,
        });
        Ok(())
    }

    /// Wait for every page handed out and count them.
    pub fn finish(mut self, ingest: &mut Ingest) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.count_oldest(ingest)?;
        }
        Ok(())
    }

    fn count_oldest(&mut self, ingest: &mut Ingest) -> Result<()> {
        let Some(pending) = self.in_flight.pop_front() else {
            return Ok(());
        };
        let (plan, written) = pending.done.recv().map_err(|_| stopped())?;
        ingest.record(&plan, written?);
        Ok(())
    }
}

/// On an early return (an error), the writers finish what they hold: pages after a page that
/// did not commit roll back. The threads are joined so that their connections are closed.
impl Drop for Writers {
    fn drop(&mut self) {
        for w in &mut self.workers {
            w.jobs = None;
        }
        for w in &mut self.workers {
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}

fn stopped() -> Error {
    Error::failure("a page writer stopped unexpectedly")
}

impl Worker {
    fn start((url, db): (String, store::ConnectOptions)) -> Result<Worker> {
        let (jobs, incoming) = channel::<Job>();
        // The run's span (its id) on this thread's log lines too.
        let span = tracing::Span::current();
        let thread = std::thread::Builder::new()
            .name("page-writer".into())
            .spawn(move || {
                let _in_run = span.enter();
                let mut conn = store::connect_for_pages(&url, &db);
                for job in incoming {
                    let written = match &mut conn {
                        Ok(c) => {
                            write_in_order(c, &job.plan, job.cursor.as_ref(), job.after.as_ref())
                        }
                        Err(e) => Err(e.clone()),
                    };
                    let _ = job.committed.send(written.is_ok());
                    let _ = job.done.send((job.plan, written));
                }
            })?;
        Ok(Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }
}

/// Write a page, and move the cursor, in one transaction that commits only after the page
/// before it committed (`after`; none: at once).
fn write_in_order(
    conn: &mut PgConnection,
    plan: &Plan,
    cursor: Option<&CursorMove>,
    after: Option<&Receiver<bool>>,
) -> Result<PageWrite> {
    conn.transaction::<_, Error, _>(|conn| {
        let written = write_page(conn, plan)?;
        let before_committed = after.is_none_or(|after| after.recv().unwrap_or(false));
        if !before_committed {
            return Err(Error::failure(
                "not written: the page before it was not written",
            ));
        }
        if let Some((stream, newest)) = cursor {
            state::advance(conn, stream, newest)?;
        }
        Ok(written)
    })
}
