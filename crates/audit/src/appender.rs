//! A group-committing appender: events are queued in memory and committed in batches, one
//! transaction per batch, and whoever needs a record to be durable commits everything queued
//! so far on its own thread (leader-based group commit, as in database engines).
//!
//! "Acknowledged" here means: the batch holding the event has committed. Until then the event
//! is only queued in memory and is lost if the process dies. [`Appender::append`] returns a
//! [`Ticket`] at once; [`Appender::wait`] (blocking) or [`Appender::acked`] (a future) tells
//! when that ticket is acknowledged, and [`Appender::flush`] waits for everything queued so
//! far.
//!
//! Who commits: the first waiter that finds its ticket uncommitted and no commit running
//! becomes the leader: it takes every queued event (up to `max_batch`), builds and commits
//! them in one transaction, and wakes everyone whose ticket that covered. Waiters that arrive
//! while a commit runs wait for it and, if their ticket was not in it, lead the next one. So
//! a caller that waits for its own record pays one commit and no thread hand-off, and
//! concurrent callers share commits. Events nobody waits for (a forwarded request, a
//! session start) are committed by a background thread within [`AppenderOptions::lazy`], or
//! earlier by the next waiter's commit, whichever comes first: this way a request's record
//! and its response's record usually share one commit.
//!
//! [`Appender::append_with`] takes a closure that builds the event when it is committed, so
//! costly work (hashing, redaction) is done once, by the committing thread, outside the queue
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
use crate::store::Store;

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
    /// Longest time an event nobody waits for stays uncommitted (default 10 ms).
    pub lazy: Duration,
}

impl Default for AppenderOptions {
    fn default() -> Self {
        Self {
            max_batch: 512,
            queue: 65_536,
            attempts: 3,
            lazy: Duration::from_millis(10),
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

#[derive(Default)]
struct Core {
    /// Queued events with when they were queued, tickets ascending and contiguous.
    queue: VecDeque<(u64, Pending, Instant)>,
    /// The next ticket to hand out.
    next: u64,
    /// A leader is committing a batch right now.
    committing: bool,
    /// Every ticket `<=` this is done (committed or failed).
    done: u64,
    /// Highest sequence number committed by this appender.
    last_seq: u64,
    /// Tickets that failed: inclusive ranges with the error text.
    failures: VecDeque<(u64, u64, String)>,
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
        } else if self.stopped && self.queue.is_empty() && !self.committing {
            Some(Err(AuditError::Closed))
        } else {
            None
        }
    }

    /// Whether `t` is queued and no one is committing: the caller should lead a commit.
    fn should_lead(&self, t: u64) -> bool {
        !self.committing && self.queue.front().is_some_and(|(f, _, _)| *f <= t)
    }
}

struct Shared {
    core: Mutex<Core>,
    /// Blocking waiters (`wait`, `flush`, a full queue) wait here for a commit to end (only
    /// notified when `Core::blocked` says someone waits).
    done_cv: Condvar,
    /// The background thread waits here.
    bg_cv: Condvar,
    store: Mutex<Store>,
    opts: AppenderOptions,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A poisoned lock only means a panic elsewhere while holding it; the state is still
        // consistent (every update completes before the guard is dropped), so keep going.
        self.core.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits the queued events (up to `max_batch`) as the leader. Called with the lock held
    /// and `should_lead` true; returns with the lock held again.
    fn lead<'a>(&'a self, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        let n = st.queue.len().min(self.opts.max_batch.max(1));
        let batch: Vec<(u64, Pending, Instant)> = st.queue.drain(..n).collect();
        let (Some(first), Some(last)) = (batch.first().map(|b| b.0), batch.last().map(|b| b.0))
        else {
            return st;
        };
        st.committing = true;
        drop(st);
        let events: Vec<Event> = batch.into_iter().map(|(_, p, _)| p.build()).collect();
        let mut result = Err(AuditError::Append("no attempt made".to_owned()));
        {
            let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
            for _ in 0..self.opts.attempts.max(1) {
                // A failed transaction rolls back completely, so retrying cannot duplicate.
                result = store.append_slice(&events, None);
                if result.is_ok() {
                    break;
                }
            }
        }
        let mut st = self.lock();
        st.committing = false;
        st.done = last;
        st.since_checkpoint += 1;
        if st.since_checkpoint == CHECKPOINT_EVERY {
            self.bg_cv.notify_one();
        }
        match result {
            Ok(seq) => st.last_seq = seq,
            Err(e) => {
                if st.failures.len() >= MAX_FAILURES {
                    st.failures.pop_front();
                }
                st.failures.push_back((first, last, e.to_string()));
            }
        }
        // Wake every async waiter: those covered are done, the others may lead the next commit.
        let wakers = std::mem::take(&mut st.wakers);
        if st.blocked > 0 {
            self.done_cv.notify_all();
        }
        drop(st);
        for (_, w) in wakers {
            w.wake();
        }
        self.lock()
    }

    /// Waits on `done_cv` for the commit under way to end.
    fn block<'a>(&'a self, mut st: MutexGuard<'a, Core>) -> MutexGuard<'a, Core> {
        st.blocked += 1;
        let mut st = self.done_cv.wait(st).unwrap_or_else(|p| p.into_inner());
        st.blocked -= 1;
        st
    }

    /// Blocks until every ticket in `from..=t` is done, leading commits as needed.
    fn wait_range(&self, from: u64, t: u64) -> Result<(), AuditError> {
        let mut st = self.lock();
        loop {
            if let Some(r) = st.outcome_range(from, t) {
                return r;
            }
            if st.should_lead(t) {
                st = self.lead(st);
                continue;
            }
            st = self.block(st);
        }
    }
}

/// Commits what nobody waits for within `lazy`, and checkpoints the WAL (on `ckpt`, a
/// connection of its own, while commits go on; exclusively when there is no such connection
/// or the WAL has grown past [`WAL_EXCLUSIVE_FRAMES`]).
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
        if st.since_checkpoint >= CHECKPOINT_EVERY && exclusive_due && !st.committing {
            st = checkpoint(shared, st);
            exclusive_due = ckpt.is_none();
            continue;
        }
        if st.queue.is_empty() {
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
        }
        lingered = false;
        // Commit only what has waited `lazy`: until then a waiter's commit (the response to a
        // request, say) will likely take it along, sparing a commit of its own.
        let age = st
            .queue
            .front()
            .map(|(_, _, at)| at.elapsed())
            .unwrap_or_default();
        if age < shared.opts.lazy {
            st = shared
                .bg_cv
                .wait_timeout(st, shared.opts.lazy - age)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
            continue;
        }
        // If a leader is at work, its batch or the next waiter's takes what is queued.
        if !st.committing {
            st = shared.lead(st);
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
    let wakers = std::mem::take(&mut st.wakers);
    if st.blocked > 0 {
        shared.done_cv.notify_all();
    }
    drop(st);
    for (_, w) in wakers {
        w.wake();
    }
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
            self.shared.wait_range(1, last)
        };
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
    pub fn spawn(store: Store, opts: AppenderOptions) -> Result<Appender, AuditError> {
        let path = store.path().to_owned();
        // Checkpoints run on the background thread (see `CHECKPOINT_EVERY`), on a connection
        // of their own when one opens (else exclusively, between commits).
        store.set_wal_autocheckpoint(0)?;
        let ckpt = store.checkpointer().ok();
        let shared = Arc::new(Shared {
            core: Mutex::new(Core {
                next: 1,
                ..Core::default()
            }),
            done_cv: Condvar::new(),
            bg_cv: Condvar::new(),
            store: Mutex::new(store),
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
            if !st.committing {
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

    /// Blocks until `ticket`'s batch is committed (`Ok`) or has failed (`Err`), committing it
    /// on this thread if no one else is.
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

    /// Blocks until every event queued before this call is committed; reports the first
    /// failure among them.
    pub fn flush(&self) -> Result<(), AuditError> {
        let last = self.shared().lock().next.saturating_sub(1);
        if last == 0 {
            return Ok(());
        }
        self.shared().wait_range(1, last)
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
/// it commits the queue on the polling thread when no commit is under way (a short blocking
/// database write: no thread hand-off on the way to durability).
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
            if st.should_lead(self.ticket) {
                st = shared.lead(st);
                continue;
            }
            let t = self.ticket;
            st.wakers
                .retain(|(wt, w)| !(*wt == t && w.will_wake(cx.waker())));
            st.wakers.push((t, cx.waker().clone()));
            return Poll::Pending;
        }
    }
}
