//! A batching appender (group commit): a dedicated thread owns a [`Store`] and commits queued
//! events in batches, one transaction per batch. While one batch commits, new events queue up
//! and go into the next one, so many concurrent callers share each commit.
//!
//! "Acknowledged" here means: the batch holding the event has committed. Until then the event
//! is only queued in memory and is lost if the process dies. [`Appender::append`] returns a
//! [`Ticket`] at once; [`Appender::wait`] (blocking) or [`Appender::acked`] (a future) tells
//! when that ticket is acknowledged, and [`Appender::flush`] waits for everything queued so
//! far. A caller that must not act before its record is durable (the gateway releasing a
//! response) awaits the [`Acked`] future of its ticket.
//!
//! [`Appender::append_with`] takes a closure that builds the event on the writer thread, so
//! costly work (hashing, redaction) happens off the caller's thread and once per event.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::thread::JoinHandle;

use crate::error::AuditError;
use crate::event::Event;
use crate::store::Store;

/// Options for [`Appender::spawn`].
#[derive(Debug, Clone)]
pub struct AppenderOptions {
    /// Most events committed in one transaction (default 512).
    pub max_batch: usize,
    /// Events that may wait in the queue; `append` blocks and `try_append` fails beyond it
    /// (default 8 192: the bounded std channel allocates and writes every slot up front, so
    /// 65 536 slots cost about 2.5 MiB resident in every gateway process; 8 192 is still a
    /// quarter second of the writer's batched throughput).
    pub queue: usize,
    /// Attempts per batch before its events are reported failed (default 3).
    pub attempts: u32,
}

impl Default for AppenderOptions {
    fn default() -> Self {
        Self {
            max_batch: 512,
            queue: 8_192,
            attempts: 3,
        }
    }
}

/// Names one queued event; acknowledged once its batch commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// An event to append: built already, or built by the writer thread.
pub type DeferredEvent = Box<dyn FnOnce() -> Event + Send>;

enum Pending {
    Ready(Box<Event>),
    Deferred(DeferredEvent),
}

impl Pending {
    fn build(self) -> Event {
        match self {
            Pending::Ready(e) => *e,
            Pending::Deferred(f) => f(),
        }
    }
}

enum Msg {
    Event(u64, Pending),
    Stop,
}

/// Failed ticket ranges kept for `wait` to report (oldest dropped beyond this).
const MAX_FAILURES: usize = 1024;

#[derive(Default)]
struct AckState {
    /// Every ticket `<=` this is done (committed or failed).
    done: u64,
    /// Highest sequence number committed by this appender.
    last_seq: u64,
    /// Tickets that failed: inclusive ranges with the error text.
    failures: VecDeque<(u64, u64, String)>,
    /// The writer has exited; tickets beyond `done` will never complete.
    stopped: bool,
    wakers: Vec<(u64, Waker)>,
}

impl AckState {
    fn outcome(&self, t: u64) -> Option<Result<(), AuditError>> {
        self.outcome_range(t, t)
    }

    /// Done when every ticket in `from..=t` is done; an error if any of them failed.
    fn outcome_range(&self, from: u64, t: u64) -> Option<Result<(), AuditError>> {
        if t <= self.done {
            let failed = self.failures.iter().find(|(a, b, _)| *a <= t && from <= *b);
            Some(match failed {
                Some((_, _, e)) => Err(AuditError::Append(e.clone())),
                None => Ok(()),
            })
        } else if self.stopped {
            Some(Err(AuditError::Closed))
        } else {
            None
        }
    }
}

struct Shared {
    state: Mutex<AckState>,
    cv: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, AckState> {
        // A poisoned lock only means a panic elsewhere while holding it; the counters are
        // still consistent (each update is a single assignment), so keep going.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut AckState)) {
        let wakers = {
            let mut st = self.lock();
            f(&mut st);
            let done = st.done;
            let stopped = st.stopped;
            let (ready, pending): (Vec<_>, Vec<_>) = std::mem::take(&mut st.wakers)
                .into_iter()
                .partition(|(t, _)| *t <= done || stopped);
            st.wakers = pending;
            ready
        };
        self.cv.notify_all();
        for (_, w) in wakers {
            w.wake();
        }
    }
}

struct Sender {
    tx: SyncSender<Msg>,
    next: u64,
}

struct Inner {
    sender: Mutex<Option<Sender>>,
    shared: Arc<Shared>,
    join: Mutex<Option<JoinHandle<()>>>,
}

impl Inner {
    fn stop(&self) {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(s) = sender {
            // Queued events are ahead of Stop, so they are committed before the thread exits.
            let _ = s.tx.send(Msg::Stop);
        }
        let join = self.join.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(j) = join {
            let _ = j.join();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A handle to the writer thread. Cheap to clone; the thread commits what is queued and stops
/// when [`Appender::close`] is called or the last clone is dropped.
#[derive(Clone)]
pub struct Appender {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender").finish_non_exhaustive()
    }
}

impl Appender {
    /// Opens the trail at `path` (default store options) and starts a writer for it.
    pub fn open(path: impl AsRef<std::path::Path>) -> Result<Appender, AuditError> {
        Self::spawn(Store::open(path)?, AppenderOptions::default())
    }

    /// Opens the trail at `path` with `store` options and starts a writer with `opts`.
    pub fn open_with(
        path: impl AsRef<std::path::Path>,
        store: &crate::store::StoreOptions,
        opts: AppenderOptions,
    ) -> Result<Appender, AuditError> {
        Self::spawn(Store::open_with(path, store)?, opts)
    }

    /// Starts a writer thread that owns `store`.
    pub fn spawn(store: Store, opts: AppenderOptions) -> Result<Appender, AuditError> {
        let (tx, rx) = mpsc::sync_channel(opts.queue.max(1));
        let shared = Arc::new(Shared {
            state: Mutex::new(AckState::default()),
            cv: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let path = store.path().to_owned();
        let join = std::thread::Builder::new()
            .name("mcpwall-audit".to_owned())
            .spawn(move || writer(store, rx, &thread_shared, &opts))
            .map_err(|source| AuditError::Io { path, source })?;
        Ok(Appender {
            inner: Arc::new(Inner {
                sender: Mutex::new(Some(Sender { tx, next: 1 })),
                shared,
                join: Mutex::new(Some(join)),
            }),
        })
    }

    fn send(&self, event: Pending, block: bool) -> Result<Ticket, AuditError> {
        // Tickets are numbered under the same lock that enqueues them, so ticket order is
        // queue order and "every ticket <= N is done" is meaningful.
        let mut guard = self.inner.sender.lock().unwrap_or_else(|p| p.into_inner());
        let s = guard.as_mut().ok_or(AuditError::Closed)?;
        let t = s.next;
        let msg = Msg::Event(t, event);
        if block {
            s.tx.send(msg).map_err(|_| AuditError::Closed)?;
        } else {
            s.tx.try_send(msg).map_err(|e| match e {
                TrySendError::Full(_) => AuditError::QueueFull,
                TrySendError::Disconnected(_) => AuditError::Closed,
            })?;
        }
        s.next += 1;
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

    /// Queues an event that the writer thread builds by calling `build` just before it
    /// commits (keeps hashing and redaction off the caller's thread). Blocks only while the
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

    /// Blocks until `ticket`'s batch is committed (`Ok`) or has failed (`Err`).
    pub fn wait(&self, ticket: Ticket) -> Result<(), AuditError> {
        let mut st = self.inner.shared.lock();
        loop {
            if let Some(r) = st.outcome(ticket.0) {
                return r;
            }
            st = self
                .inner
                .shared
                .cv
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// A future that resolves when `ticket` is acknowledged (for async callers; it needs no
    /// particular runtime).
    pub fn acked(&self, ticket: Ticket) -> Acked {
        Acked {
            shared: Arc::clone(&self.inner.shared),
            from: ticket.0,
            ticket: ticket.0,
        }
    }

    /// Whether `ticket` is acknowledged yet: `None` while pending.
    pub fn poll_ticket(&self, ticket: Ticket) -> Option<Result<(), AuditError>> {
        self.inner.shared.lock().outcome(ticket.0)
    }

    /// Blocks until every event queued before this call is committed; reports the first
    /// failure among them.
    pub fn flush(&self) -> Result<(), AuditError> {
        let last = {
            let guard = self.inner.sender.lock().unwrap_or_else(|p| p.into_inner());
            match guard.as_ref() {
                Some(s) => s.next - 1,
                None => return Ok(()),
            }
        };
        if last == 0 {
            return Ok(());
        }
        let mut st = self.inner.shared.lock();
        loop {
            if st.done >= last {
                let failed = st.failures.iter().find(|(_, b, _)| *b <= last);
                return match failed {
                    Some((_, _, e)) => Err(AuditError::Append(e.clone())),
                    None => Ok(()),
                };
            }
            if st.stopped {
                return Err(AuditError::Closed);
            }
            st = self
                .inner
                .shared
                .cv
                .wait(st)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Highest sequence number this appender has committed (0 if none yet).
    pub fn last_seq(&self) -> u64 {
        self.inner.shared.lock().last_seq
    }

    /// Commits everything queued, stops the writer and waits for it. Other clones then get
    /// [`AuditError::Closed`].
    pub fn close(self) -> Result<(), AuditError> {
        let flushed = self.flush();
        self.inner.stop();
        flushed
    }
}

/// Resolves when a ticket (or, after [`Acked::merge`], a range of tickets) is acknowledged;
/// see [`Appender::acked`]. Resolves to an error if any ticket in the range failed.
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

    /// The outcome without waiting: `None` while pending.
    pub fn poll_now(&self) -> Option<Result<(), AuditError>> {
        self.shared.lock().outcome_range(self.from, self.ticket)
    }
}

impl Future for Acked {
    type Output = Result<(), AuditError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut st = self.shared.lock();
        match st.outcome_range(self.from, self.ticket) {
            Some(r) => Poll::Ready(r),
            None => {
                let t = self.ticket;
                st.wakers
                    .retain(|(wt, w)| !(*wt == t && w.will_wake(cx.waker())));
                st.wakers.push((t, cx.waker().clone()));
                Poll::Pending
            }
        }
    }
}

fn writer(mut store: Store, rx: Receiver<Msg>, shared: &Shared, opts: &AppenderOptions) {
    let max = opts.max_batch.max(1);
    let mut stop = false;
    while !stop {
        let mut batch = Vec::new();
        let mut last_ticket = match rx.recv() {
            Ok(Msg::Event(t, ev)) => {
                batch.push(ev.build());
                t
            }
            Ok(Msg::Stop) | Err(_) => break,
        };
        while batch.len() < max {
            match rx.try_recv() {
                Ok(Msg::Event(t, ev)) => {
                    last_ticket = t;
                    batch.push(ev.build());
                }
                Ok(Msg::Stop) | Err(mpsc::TryRecvError::Disconnected) => {
                    stop = true;
                    break;
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        let first_ticket = last_ticket + 1 - batch.len() as u64;
        let mut result = Err(AuditError::Append("no attempt made".to_owned()));
        for _ in 0..opts.attempts.max(1) {
            // A failed transaction rolls back completely, so retrying cannot duplicate.
            result = store.append_slice(&batch, None);
            if result.is_ok() {
                break;
            }
        }
        shared.update(|st| {
            st.done = last_ticket;
            match result {
                Ok(seq) => st.last_seq = seq,
                Err(e) => {
                    if st.failures.len() >= MAX_FAILURES {
                        st.failures.pop_front();
                    }
                    st.failures
                        .push_back((first_ticket, last_ticket, e.to_string()));
                }
            }
        });
    }
    shared.update(|st| st.stopped = true);
}
