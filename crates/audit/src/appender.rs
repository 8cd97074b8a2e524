//! A group-committing appender: events are queued in memory, made durable in groups, and
//! committed to SQLite in batches, one transaction per batch.
//!
//! "Acknowledged" means durable: the event would survive the death of this process (and, with
//! `synchronous=FULL`, a power loss). By default that is reached through the write-ahead spool
//! (`spool.rs`): one `write(2)` of the queued events as JSON lines to this appender's own
//! spool file. The SQLite commit (chain hash, five indexes, a dozen `pwrite`s) then happens on
//! the background thread within [`AppenderOptions::spooled_for`], off the path of the answer that
//! waited. Without a spool (`AppenderOptions::spool` false, or the spool failed), an
//! acknowledgement waits for the SQLite commit itself. [`Appender::append`] returns a
//! [`Ticket`] at once; [`Appender::wait`] (blocking) or [`Appender::acked`] (a future) tells
//! when that ticket is acknowledged, and [`Appender::flush`] waits until everything queued so
//! far is committed to SQLite.
//!
//! Who does the work: the first waiter that finds its ticket queued and nobody at it becomes
//! the leader: it takes every queued event (up to `max_batch`), builds them, writes them to
//! the spool (or commits them) and wakes everyone whose ticket that covered. Waiters that
//! arrive meanwhile wait for it and, if their ticket was not in it, lead the next one. So a
//! caller that waits for its own record pays one `write` and no thread hand-off, and
//! concurrent callers share it. Events nobody waits for (a forwarded request, a session
//! start) are committed by the background thread within `lazy` and spooled events within
//! `spooled_for`, or earlier by another commit, whichever comes first: a request's record and its response's record
//! usually share one commit, and under traffic one commit carries many calls.
//!
//! [`Appender::append_with`] takes a closure that builds the event when it is written, so
//! costly work (hashing, redaction) is done once, by the leading thread, outside the queue
//! lock.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::AuditError;
use crate::event::Event;
use crate::spool::Spool;
use crate::store::{Store, Synchronous};

/// Options for [`Appender::spawn`].
#[derive(Debug, Clone)]
pub struct AppenderOptions {
    /// Most events committed in one transaction (default 512).
    pub max_batch: usize,
    /// Events that may wait in the queue; `append` commits (or waits) and `try_append` fails
    /// beyond it (default 65 536).
    pub queue: usize,
    /// Attempts per batch before its events are reported failed (default 3).
    pub attempts: u32,
    /// Longest time an event nobody waits for stays queued in memory, out of SQLite (default
    /// 10 ms).
    pub lazy: Duration,
    /// Longest time an event made durable in the spool stays out of SQLite (default 100 ms):
    /// fewer, larger commits cost less CPU per record (index pages shared by consecutive
    /// records), and that CPU is taken from the relay and the server on a small machine.
    pub spooled_for: Duration,
    /// Make waited-for events durable in a write-ahead spool file (one `write`, plus
    /// `fdatasync` when the store is synchronous) instead of a SQLite commit on the waiter's
    /// path (default true; see `spool.rs`). Without it, or when the spool cannot be created,
    /// waiters commit.
    pub spool: bool,
}

impl Default for AppenderOptions {
    fn default() -> Self {
        Self {
            max_batch: 512,
            queue: 65_536,
            attempts: 3,
            lazy: Duration::from_millis(10),
            spooled_for: Duration::from_millis(100),
            spool: true,
        }
    }
}

/// Names one queued event; acknowledged once its batch commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// An event built by the committing thread, just before its batch commits.
pub type DeferredEvent = Box<dyn FnOnce() -> Event + Send>;

enum Pending {
    Ready(Box<Event>),
    Deferred(DeferredEvent),
    /// Only while [`Appender::prebuild`] swaps a closure for its event (under the lock).
    Taken,
}

impl Pending {
    fn build(self) -> Event {
        match self {
            Pending::Ready(e) => *e,
            Pending::Deferred(f) => f(),
            // Never observed outside `prebuild`; an empty event rather than a panic.
            Pending::Taken => Event::new(crate::event::EventKind::Error),
        }
    }
}

/// Failed ticket ranges kept for `wait` to report (oldest dropped beyond this).
const MAX_FAILURES: usize = 1024;

/// Commits between two WAL checkpoints. The checkpoint (copying pages into the database
/// file, and its fsyncs) runs on the background thread, not inside the commit a waiting
/// response pays for; every commit writes a handful of pages, so this keeps the WAL near
/// SQLite's usual size (1000 pages).
const CHECKPOINT_EVERY: u32 = 100;

/// WAL size (frames, one page each) beyond which a checkpoint runs exclusively, holding
/// commits back until it is done. Checkpoints normally run on their own connection while
/// commits go on (a commit never waits for a checkpoint's fsyncs); such a checkpoint cannot
/// copy frames committed while it runs, and the WAL starts over only once every frame is
/// copied, so under traffic with no pause the WAL would grow. About 32 MiB.
const WAL_EXCLUSIVE_FRAMES: u64 = 8192;

/// What a waiter whose ticket is still queued should do.
enum Lead {
    /// Write the queue to the spool (the usual way to durability).
    Spool,
    /// Commit the queue to SQLite (no spool, or it failed).
    Commit,
}

#[derive(Default)]
struct Core {
    /// Queued events with when they were queued, tickets ascending and contiguous: not yet
    /// durable.
    queue: VecDeque<(u64, Pending, Instant)>,
    /// Events written to the spool (durable) and not yet committed to SQLite, tickets
    /// ascending, all below the queue's.
    spooled: VecDeque<(u64, Event, Instant)>,
    /// The next ticket to hand out.
    next: u64,
    /// A leader is committing a batch right now.
    committing: bool,
    /// A leader is writing to the spool right now.
    spooling: bool,
    /// Waiters make their events durable through the spool (false: no spool, or it failed
    /// and waiters commit to SQLite themselves).
    spool_on: bool,
    /// Every ticket `<=` this is done: durable (spooled or committed) or failed.
    done: u64,
    /// Spooled tickets beyond `done`: written while a commit of earlier tickets still ran.
    ahead: Option<(u64, u64)>,
    /// Highest sequence number committed by this appender.
    last_seq: u64,
    /// Tickets that failed: inclusive ranges with the error text.
    failures: VecDeque<(u64, u64, String)>,
    /// Commits that failed, and the last one's error (spooled events stay and are retried).
    commit_failures: u64,
    last_commit_error: Option<String>,
    /// Closed: no more appends; tickets beyond `done` will never complete.
    stopped: bool,
    /// The background thread is waiting for the queue to become non-empty.
    bg_idle: bool,
    /// The background thread must exit.
    bg_exit: bool,
    /// Threads blocked on `done_cv`.
    blocked: usize,
    /// Commits since the last checkpoint.
    since_checkpoint: u32,
    wakers: Vec<(u64, Waker)>,
}

impl Core {
    /// Done when every ticket in `from..=t` is done; an error if any of them failed.
    fn outcome_range(&self, from: u64, t: u64) -> Option<Result<(), AuditError>> {
        if t <= self.done {
            let failed = self.failures.iter().find(|(a, b, _)| *a <= t && from <= *b);
            Some(match failed {
                Some((_, _, e)) => Err(AuditError::Append(e.clone())),
                None => Ok(()),
            })
        } else if self.stopped && self.queue.is_empty() && !self.committing && !self.spooling {
            Some(Err(AuditError::Closed))
        } else {
            None
        }
    }

    /// What the waiter for `t` should lead, if anything: `t` is queued and nobody is already
    /// doing it.
    fn should_lead(&self, t: u64) -> Option<Lead> {
        if self.queue.front().is_none_or(|(f, _, _)| *f > t) {
            return None;
        }
        if self.spool_on {
            (!self.spooling).then_some(Lead::Spool)
        } else {
            self.may_commit().then_some(Lead::Commit)
        }
    }

    /// A commit may start: none runs, and no spool write does (a commit takes the queue's
    /// front; a spool write under way holds tickets below it, which must commit first).
    fn may_commit(&self) -> bool {
        !self.committing && !self.spooling
    }

    /// Queues an `audit.spool` error record saying `reason` (what the spool could not do).
    fn push_note(&mut self, reason: String) {
        let t = self.next;
        self.next += 1;
        let note = Pending::Ready(Box::new(crate::spool::note(reason)));
        self.queue.push_back((t, note, Instant::now()));
    }

    /// Tickets `first..=last` became durable (or failed).
    fn mark_done(&mut self, first: u64, last: u64) {
        if first <= self.done + 1 {
            self.done = self.done.max(last);
        } else {
            self.ahead = Some(match self.ahead {
                Some((a, b)) => (a.min(first), b.max(last)),
                None => (first, last),
            });
        }
        if let Some((a, b)) = self.ahead {
            if a <= self.done + 1 {
                self.done = self.done.max(b);
                self.ahead = None;
            }
        }
    }

    /// When the events that are not in SQLite yet are due for a commit: the oldest queued one
    /// after `lazy`, the oldest spooled one after `spooled_for`, whichever is first.
    fn commit_due(&self, lazy: Duration, spooled_for: Duration) -> Option<Instant> {
        let q = self.queue.front().map(|q| q.2 + lazy);
        let s = self.spooled.front().map(|s| s.2 + spooled_for);
        match (q, s) {
            (Some(q), Some(s)) => Some(q.min(s)),
            (a, b) => a.or(b),
        }
    }

    /// Some ticket `<= t` is not in SQLite yet (spooled, queued, or in a commit under way).
    fn uncommitted_through(&self, t: u64) -> bool {
        self.committing
            || self.spooling
            || self.spooled.front().is_some_and(|(f, _, _)| *f <= t)
            || self.queue.front().is_some_and(|(f, _, _)| *f <= t)
    }
}

struct Shared {
    core: Mutex<Core>,
    /// Blocking waiters (`wait`, `flush`, a full queue) wait here for a commit or spool write
    /// to end (only notified when `Core::blocked` says someone waits).
    done_cv: Condvar,
    /// The background thread waits here.
    bg_cv: Condvar,
    store: Mutex<Store>,
    /// This appender's write-ahead spool (see `spool.rs`), when one could be created.
    spool: Mutex<Option<Spool>>,
    /// Its name, for the progress row each commit updates.
    spool_name: Option<String>,
    opts: AppenderOptions,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock only means a panic elsewhere while holding it; the state is still
        // consistent (every update completes before the guard is dropped), so keep going.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes every async waiter (those covered are done, the others may lead next) and the
    /// blocked ones. Called with the lock held; returns with it released.
    fn wake_all(&self, mut st: MutexGuard<'_, Core>) {
        let wakers = std::mem::take(&mut st.wakers);
        if st.blocked > 0 {
            self.done_cv.notify_all();
        }
        drop(st);
        for (_, w) in wakers {
            w.wake();
        }
    }

    /// Writes the queued events (up to `max_batch`) to the spool as the leader, making them
    /// durable. Called with the lock held and `should_lead` giving `Lead::Spool`; returns
    /// with the lock held again. If the write fails, the events go back to the front of the
    /// queue, the spool is switched off and waiters commit to SQLite instead.
    fn lead_spool<'a>(&'a self, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        let n = st.queue.len().min(self.opts.max_batch.max(1));
        let batch: Vec<(u64, Pending, Instant)> = st.queue.drain(..n).collect();
        let (Some(first), Some(last)) = (batch.first().map(|b| b.0), batch.last().map(|b| b.0))
        else {
            return st;
        };
        st.spooling = true;
        drop(st);
        let built: Vec<(u64, Event, Instant)> = batch
            .into_iter()
            .map(|(t, p, at)| (t, p.build(), at))
            .collect();
        let result = {
            let mut spool = self.spool.lock().unwrap_or_else(|p| p.into_inner());
            match spool.as_mut() {
                Some(s) => s.write(built.iter().map(|(t, e, _)| (*t, e))),
                None => Err(AuditError::Append("no spool".to_owned())),
            }
        };
        let mut st = self.lock();
        st.spooling = false;
        match result {
            Ok(()) => {
                st.spooled.extend(built);
                st.mark_done(first, last);
            }
            Err(e) => {
                st.spool_on = false;
                for (t, ev, at) in built.into_iter().rev() {
                    st.queue.push_front((t, Pending::Ready(Box::new(ev)), at));
                }
                // Say so in the trail: from now on every acknowledgement waits for a commit.
                st.push_note(format!(
                    "audit spool write failed, committing directly from now on: {e}"
                ));
            }
        }
        if st.bg_idle {
            st.bg_idle = false;
            self.bg_cv.notify_one();
        }
        self.wake_all(st);
        self.lock()
    }

    /// Commits the spooled events and the queued ones (up to `max_batch`) as the leader.
    /// Called with the lock held and `may_commit` true; returns with the lock held again.
    fn lead<'a>(&'a self, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        let spooled: Vec<(u64, Event, Instant)> = st.spooled.drain(..).collect();
        let n = st.queue.len().min(self.opts.max_batch.max(1));
        let batch: Vec<(u64, Pending, Instant)> = st.queue.drain(..n).collect();
        let queued = batch.first().map(|b| b.0).zip(batch.last().map(|b| b.0));
        let Some(last) = queued.map(|q| q.1).or_else(|| spooled.last().map(|s| s.0)) else {
            return st;
        };
        st.committing = true;
        drop(st);
        let k = spooled.len();
        let mut keep: Vec<(u64, Instant)> = Vec::with_capacity(k);
        let mut events: Vec<Event> = Vec::with_capacity(k + batch.len());
        for (t, e, at) in spooled {
            keep.push((t, at));
            events.push(e);
        }
        events.extend(batch.into_iter().map(|(_, p, _)| p.build()));
        let progress = self.spool_name.as_deref().map(|name| (name, last));
        let mut result = Err(AuditError::Append("no attempt made".to_owned()));
        {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            for _ in 0..self.opts.attempts.max(1) {
                // A failed transaction rolls back completely, so retrying cannot duplicate.
                result = store.append_slice(&events, None, progress);
                if result.is_ok() {
                    break;
                }
            }
        }
        let committed = result.is_ok();
        let mut st = self.lock();
        st.committing = false;
        st.since_checkpoint += 1;
        if st.since_checkpoint == CHECKPOINT_EVERY {
            self.bg_cv.notify_one();
        }
        match result {
            Ok(seq) => {
                st.last_seq = seq;
                if let Some((first, last)) = queued {
                    st.mark_done(first, last);
                }
            }
            Err(e) => {
                let e = e.to_string();
                st.commit_failures += 1;
                st.last_commit_error = Some(e.clone());
                // Spooled events are durable already: keep them for the next commit.
                for ((t, at), ev) in keep.into_iter().zip(events).rev() {
                    st.spooled.push_front((t, ev, at));
                }
                if let Some((first, last)) = queued {
                    if st.failures.len() >= MAX_FAILURES {
                        st.failures.pop_front();
                    }
                    st.failures.push_back((first, last, e));
                    st.mark_done(first, last);
                }
            }
        }
        self.wake_all(st);
        if committed {
            // Everything the spool holds through `last` is in SQLite now (a spool write under
            // way holds later tickets, and is seen under the spool's lock).
            let mut spool = self.spool.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = spool.as_mut() {
                s.truncate_if_committed(last);
            }
        }
        self.lock()
    }

    /// Waits on `done_cv` for the commit or spool write under way to end.
    fn block<'a>(&'a self, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        st.blocked += 1;
        let mut st = self.done_cv.wait(st).unwrap_or_else(|p| p.into_inner());
        st.blocked -= 1;
        st
    }

    /// Blocks until every ticket in `from..=t` is done, leading spool writes or commits as
    /// needed.
    fn wait_range(&self, from: u64, t: u64) -> Result<(), AuditError> {
        let mut st = self.lock();
        loop {
            if let Some(r) = st.outcome_range(from, t) {
                return r;
            }
            st = match self.lead_for(st, t) {
                Ok(st) => st,
                Err(st) => self.block(st),
            };
        }
    }

    /// Leads what the waiter for `t` should lead (see [`Core::should_lead`]): `Ok` with the
    /// lock held again after the spool write or commit, `Err` with the lock untouched when
    /// there is nothing for it to do.
    fn lead_for<'a>(
        &'a self,
        st: MutexGuard<'a, Core>,
        t: u64,
    ) -> Result<MutexGuard<'a, Core>, MutexGuard<'a, Core>> {
        match st.should_lead(t) {
            Some(Lead::Spool) => Ok(self.lead_spool(st)),
            Some(Lead::Commit) => Ok(self.lead(st)),
            None => Err(st),
        }
    }

    /// Blocks until every ticket `<= t` is in SQLite (not merely spooled), committing on this
    /// thread as needed. Fails if a commit this call led failed.
    fn commit_through(&self, t: u64) -> Result<(), AuditError> {
        let mut st = self.lock();
        loop {
            if !st.uncommitted_through(t) {
                return Ok(());
            }
            if !st.may_commit() {
                st = self.block(st);
                continue;
            }
            let before = st.commit_failures;
            st = self.lead(st);
            if st.commit_failures != before {
                return Err(AuditError::Append(
                    st.last_commit_error.clone().unwrap_or_default(),
                ));
            }
        }
    }
}

/// Commits what nobody waits for and what the spool holds within `lazy`, and checkpoints the
/// WAL (on `ckpt`, a connection of its own, while commits go on; exclusively when there is
/// no such connection or the WAL has grown past [`WAL_EXCLUSIVE_FRAMES`]).
fn background(shared: &Shared, ckpt: Option<Store>) {
    let mut st = shared.lock();
    // After the queue empties the thread stays on a timer for one `lazy` period before it
    // sleeps until woken: under traffic appends then find it awake and need not wake it (a
    // futex wake and a context switch on every request otherwise).
    let mut lingered = false;
    let mut exclusive_due = ckpt.is_none();
    loop {
        if st.bg_exit {
            return;
        }
        if st.since_checkpoint >= CHECKPOINT_EVERY && !exclusive_due {
            if let Some(ckpt) = &ckpt {
                st.since_checkpoint = 0;
                drop(st);
                // Not fatal when it fails: the WAL keeps the records; the next one tries again.
                let grown = ckpt
                    .checkpoint_wal()
                    .map(|c| !c.complete() && c.log >= WAL_EXCLUSIVE_FRAMES)
                    .unwrap_or(false);
                st = shared.lock();
                if grown {
                    exclusive_due = true;
                    st.since_checkpoint = CHECKPOINT_EVERY;
                }
                continue;
            }
        }
        if st.since_checkpoint >= CHECKPOINT_EVERY && exclusive_due && st.may_commit() {
            st = checkpoint(shared, st);
            exclusive_due = ckpt.is_none();
            continue;
        }
        let Some(due) = st.commit_due(shared.opts.lazy, shared.opts.spooled_for) else {
            if lingered {
                st.bg_idle = true;
                st = shared.bg_cv.wait(st).unwrap_or_else(|p| p.into_inner());
                lingered = false;
            } else {
                lingered = true;
                st = shared
                    .bg_cv
                    .wait_timeout(st, shared.opts.lazy)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
            continue;
        };
        lingered = false;
        // Commit only what is due: until then more will likely come along (the response to a
        // request, the next calls), sharing one commit.
        let now = Instant::now();
        if now < due {
            st = shared
                .bg_cv
                .wait_timeout(st, due - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
            continue;
        }
        // If a leader is at work, its batch or the next one takes what is queued.
        if st.may_commit() {
            let before = st.commit_failures;
            st = shared.lead(st);
            if st.commit_failures != before && st.queue.is_empty() {
                // Spooled events that would not commit: try again after `lazy`, not in a loop.
                st = shared
                    .bg_cv
                    .wait_timeout(st, shared.opts.lazy)
                    .map(|(g, _)| g)
                    .unwrap_or_else(|p| p.into_inner().0);
            }
        } else {
            st = shared.block(st);
        }
    }
}

/// Runs a checkpoint as if it were a commit (no commit runs meanwhile, so the whole WAL is
/// copied and the next commit starts it over instead of growing it).
fn checkpoint<'a>(shared: &'a Shared, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
    st.committing = true;
    st.since_checkpoint = 0;
    drop(st);
    {
        let store = shared.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = store.checkpoint_wal() {
            // Not fatal: the WAL keeps the records; the next checkpoint tries again.
            let _ = e;
        }
    }
    let mut st = shared.lock();
    st.committing = false;
    shared.wake_all(st);
    shared.lock()
}

struct Handle {
    shared: Arc<Shared>,
    bg: Mutex<Option<JoinHandle<()>>>,
}

impl Handle {
    /// Commits everything queued, stops the background thread, refuses further appends.
    fn stop(&self) -> Result<(), AuditError> {
        let last = {
            let mut st = self.shared.lock();
            if st.stopped {
                return Ok(());
            }
            st.stopped = true;
            st.next.saturating_sub(1)
        };
        let flushed = if last == 0 {
            Ok(())
        } else {
            self.shared
                .wait_range(1, last)
                .and(self.shared.commit_through(last))
        };
        // Everything is in SQLite: the spool file goes. If a commit failed, the file stays
        // (its lock goes with this process) and the next appender or `audit` command
        // recovers it.
        let spool = self
            .shared
            .spool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(spool) = spool {
            if flushed.is_ok() && !self.shared.lock().uncommitted_through(u64::MAX) {
                let store = self.shared.store.lock().unwrap_or_else(|p| p.into_inner());
                spool.remove(&store);
            }
        }
        {
            let mut st = self.shared.lock();
            st.bg_exit = true;
            self.shared.bg_cv.notify_all();
            let wakers = std::mem::take(&mut st.wakers);
            drop(st);
            for (_, w) in wakers {
                w.wake();
            }
        }
        let join = self.bg.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(j) = join {
            let _ = j.join();
        }
        flushed
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A handle to the trail's group committer. Cheap to clone; what is queued is committed and
/// the background thread stops when [`Appender::close`] is called or the last clone is
/// dropped.
#[derive(Clone)]
pub struct Appender {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender").finish_non_exhaustive()
    }
}

impl Appender {
    /// Opens the trail at `path` (default store options) and starts a committer for it.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Appender, AuditError> {
        Self::spawn(Store::open(path)?, AppenderOptions::default())
    }

    /// Opens the trail at `path` with `store` options and starts a committer with `opts`.
    pub fn open_with(
        path: impl AsRef<std::path::Path>,
        store: &crate::store::StoreOptions,
        opts: AppenderOptions,
    ) -> Result<Appender, AuditError> {
        Self::spawn(Store::open_with(path, store)?, opts)
    }

    /// Starts a committer that owns `store`.
    ///
    /// First appends what spool files of gone processes hold (see [`crate::recover_spools`]);
    /// if that fails, the files stay for the next try and an `error` record says why.
    pub fn spawn(mut store: Store, opts: AppenderOptions) -> Result<Appender, AuditError> {
        let path = store.path().to_owned();
        // Checkpoints run on the background thread (see `CHECKPOINT_EVERY`), on a connection
        // of their own when one opens (else exclusively, between commits).
        store.set_wal_autocheckpoint(0)?;
        let ckpt = store.checkpointer().ok();
        let mut notes: Vec<String> = Vec::new();
        if let Err(e) = crate::spool::recover(&mut store) {
            notes.push(format!(
                "audit spool recovery failed, will retry at the next start: {e}"
            ));
        }
        let spool = if opts.spool {
            match Spool::create(&path, store.synchronous() == Synchronous::Full) {
                Ok(s) => Some(s),
                Err(e) => {
                    notes.push(format!(
                        "audit spool unavailable, every acknowledgement waits for a commit: {e}"
                    ));
                    None
                }
            }
        } else {
            None
        };
        let mut core = Core {
            next: 1,
            spool_on: spool.is_some(),
            ..Core::default()
        };
        for reason in notes {
            core.push_note(reason);
        }
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            done_cv: Condvar::new(),
            bg_cv: Condvar::new(),
            store: Mutex::new(store),
            spool_name: spool.as_ref().map(|s| s.name().to_owned()),
            spool: Mutex::new(spool),
            opts,
        });
        let bg_shared = Arc::clone(&shared);
        let bg = std::thread::Builder::new()
            .name("mcpwall-audit".to_owned())
            .spawn(move || background(&bg_shared, ckpt))
            .map_err(|source| AuditError::Io { path, source })?;
        Ok(Appender {
            handle: Arc::new(Handle {
                shared,
                bg: Mutex::new(Some(bg)),
            }),
        })
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }

    fn send(&self, event: Pending, block: bool) -> Result<Ticket, AuditError> {
        let shared = self.shared();
        let mut st = shared.lock();
        loop {
            if st.stopped {
                return Err(AuditError::Closed);
            }
            if st.queue.len() < shared.opts.queue.max(1) {
                break;
            }
            if !block {
                return Err(AuditError::QueueFull);
            }
            // Full: make room by committing (or wait for the commit under way).
            if st.may_commit() {
                st = shared.lead(st);
            } else {
                st = shared.block(st);
            }
        }
        let t = st.next;
        st.next += 1;
        st.queue.push_back((t, event, Instant::now()));
        if st.bg_idle {
            st.bg_idle = false;
            shared.bg_cv.notify_one();
        }
        Ok(Ticket(t))
    }

    /// Queues `event`; blocks only while the queue is full. Not yet acknowledged.
    pub fn append(&self, event: Event) -> Result<Ticket, AuditError> {
        self.send(Pending::Ready(Box::new(event)), true)
    }

    /// Queues `event`, failing with [`AuditError::QueueFull`] rather than block.
    pub fn try_append(&self, event: Event) -> Result<Ticket, AuditError> {
        self.send(Pending::Ready(Box::new(event)), false)
    }

    /// Queues an event that the committing thread builds by calling `build` just before the
    /// commit (keeps hashing and redaction out of the queue lock). Blocks only while the
    /// queue is full.
    pub fn append_with(
        &self,
        build: impl FnOnce() -> Event + Send + 'static,
    ) -> Result<Ticket, AuditError> {
        self.send(Pending::Deferred(Box::new(build)), true)
    }

    /// Like [`Appender::append_with`], failing with [`AuditError::QueueFull`] rather than block.
    pub fn try_append_with(
        &self,
        build: impl FnOnce() -> Event + Send + 'static,
    ) -> Result<Ticket, AuditError> {
        self.send(Pending::Deferred(Box::new(build)), false)
    }

    /// Blocks until `ticket` is durable (`Ok`: in the spool or committed) or has failed
    /// (`Err`), writing the spool (or committing) on this thread if no one else is.
    pub fn wait(&self, ticket: Ticket) -> Result<(), AuditError> {
        self.shared().wait_range(ticket.0, ticket.0)
    }

    /// A future that resolves when `ticket` is acknowledged (for async callers; it needs no
    /// particular runtime). Polling it may commit the queue on the polling thread.
    pub fn acked(&self, ticket: Ticket) -> Acked {
        Acked {
            shared: Arc::clone(self.shared()),
            from: ticket.0,
            ticket: ticket.0,
        }
    }

    /// Whether `ticket` is acknowledged yet: `None` while pending. Never commits.
    pub fn poll_ticket(&self, ticket: Ticket) -> Option<Result<(), AuditError>> {
        self.shared().lock().outcome_range(ticket.0, ticket.0)
    }

    /// Blocks until every event queued before this call is committed to SQLite (not merely
    /// durable in the spool); reports the first failure among them.
    pub fn flush(&self) -> Result<(), AuditError> {
        let last = self.shared().lock().next.saturating_sub(1);
        if last == 0 {
            return Ok(());
        }
        self.shared().wait_range(1, last)?;
        self.shared().commit_through(last)
    }

    /// Builds the queued events that were queued as closures ([`Appender::append_with`]) now,
    /// on this thread, so the commit that later takes them has less to do. For a caller with
    /// idle time before it will wait (a relay that has just forwarded a request and waits for
    /// the answer): the request's record is built while the server works.
    pub fn prebuild(&self) {
        let mut st = self.shared().lock();
        for entry in st.queue.iter_mut() {
            if matches!(entry.1, Pending::Deferred(_)) {
                let pending = std::mem::replace(&mut entry.1, Pending::Taken);
                entry.1 = Pending::Ready(Box::new(pending.build()));
            }
        }
    }

    /// [`Appender::prebuild`], and writes what is queued to the spool now when the trail has
    /// one and nobody else is writing it: the request's record becomes durable while the
    /// server works on the request, so the write its answer waits for carries the answer's
    /// record alone. Without a spool (or while another thread writes it) this only builds.
    pub fn prespool(&self) {
        let shared = self.shared();
        let st = shared.lock();
        if st.spool_on && !st.spooling && !st.queue.is_empty() {
            drop(shared.lead_spool(st));
        } else {
            drop(st);
            self.prebuild();
        }
    }

    /// Highest sequence number this appender has committed (0 if none yet).
    pub fn last_seq(&self) -> u64 {
        self.shared().lock().last_seq
    }

    /// Commits everything queued and stops. Other clones then get [`AuditError::Closed`].
    pub fn close(self) -> Result<(), AuditError> {
        self.handle.stop()
    }
}

/// Resolves when a ticket (or, after [`Acked::merge`], a range of tickets) is acknowledged;
/// see [`Appender::acked`]. Resolves to an error if any ticket in the range failed. Polling
/// it writes the queue to the spool (or commits it, without a spool) on the polling thread
/// when nobody else is at it (a short blocking write: no thread hand-off on the way to
/// durability).
#[derive(Clone)]
pub struct Acked {
    shared: Arc<Shared>,
    from: u64,
    ticket: u64,
}

impl std::fmt::Debug for Acked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Acked")
            .field("from", &self.from)
            .field("ticket", &self.ticket)
            .finish()
    }
}

impl Acked {
    /// One future for both: resolves once every ticket of either is acknowledged (tickets
    /// of one appender commit in order, so this is the range from the lower to the higher).
    /// Tickets of two different appenders cannot be merged; `other` is returned then.
    pub fn merge(self, other: Acked) -> Acked {
        if !Arc::ptr_eq(&self.shared, &other.shared) {
            return other;
        }
        Acked {
            from: self.from.min(other.from),
            ticket: self.ticket.max(other.ticket),
            shared: self.shared,
        }
    }

    /// The outcome without waiting (and without committing): `None` while pending.
    pub fn poll_now(&self) -> Option<Result<(), AuditError>> {
        self.shared.lock().outcome_range(self.from, self.ticket)
    }
}

impl Future for Acked {
    type Output = Result<(), AuditError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = &self.shared;
        let mut st = shared.lock();
        loop {
            if let Some(r) = st.outcome_range(self.from, self.ticket) {
                return Poll::Ready(r);
            }
            match shared.lead_for(st, self.ticket) {
                Ok(g) => {
                    st = g;
                    continue;
                }
                Err(g) => st = g,
            }
            let t = self.ticket;
            st.wakers
                .retain(|(wt, w)| !(*wt == t && w.will_wake(cx.waker())));
            st.wakers.push((t, cx.waker().clone()));
            return Poll::Pending;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn a_failing_spool_falls_back_to_committing_and_says_so_in_the_trail() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let a = Appender::open(&db).unwrap();
        // The spool breaks (disk full, say): its writes fail from now on.
        *a.shared().spool.lock().unwrap() = Some(Spool::failing(&db));
        for i in 0..3 {
            let t = a
                .append(Event::new(EventKind::Call).session(format!("s{i}")))
                .unwrap();
            a.wait(t).unwrap();
            // Acknowledged by a commit: visible to another connection at once.
            let s = Store::open_existing(&db).unwrap();
            let calls = s
                .query(&crate::store::Filter {
                    kind: Some(EventKind::Call),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(calls.len(), i + 1);
        }
        assert!(!a.shared().lock().spool_on);
        a.close().unwrap();
        let s = Store::open_existing(&db).unwrap();
        let notes = s
            .query(&crate::store::Filter {
                kind: Some(EventKind::Error),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert_eq!(notes[0].event.rule.as_deref(), Some("audit.spool"));
        assert!(notes[0]
            .event
            .reason
            .as_deref()
            .unwrap()
            .contains("committing directly"));
        assert!(s.verify().unwrap().is_ok());
    }
}
