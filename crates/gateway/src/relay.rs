//! The transport-agnostic relay: runs the check stack between a client pipe and an upstream pipe.
//!
//! A front turns each client session into a client-side [`Pipe`]; an upstream turns a server
//! into a server-side [`Pipe`]. [`Relay::run`] moves complete messages both ways: it classifies
//! each message (envelope only), passes it through the [`Stack`], and forwards the original
//! bytes, or the stack's modified message, or answers with a JSON-RPC error. It tracks the
//! client's in-flight requests (for timeouts, latency and audit), answers a timed-out request
//! with an error and cancels it upstream, fails in-flight requests when the upstream dies, and
//! applies the [`RestartPolicy`].
//!
//! **Durability.** Nothing reaches the client before its audit records are committed: every
//! message for the client (a forwarded response, or a denial or error the gateway produced)
//! carries the [`Commit`] of the records made while handling it, and a release loop awaits
//! each commit, in order, before writing the message to the client. The audit writer commits
//! in batches, so while one batch commits the next messages are already being checked and
//! recorded (group commit): a response the client has seen always has its record on disk,
//! even if the process is killed with SIGKILL the next instant.
//!
//! Everything runs in the caller's task (four futures polled together), so there is no
//! cross-thread hand-off inside the relay.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use mcpwall_protocol::jsonrpc::{self, Envelope, EnvelopeError, Id, Kind, Limits};
use mcpwall_protocol::mcp::{self, MethodKind};
use tokio::sync::{mpsc, Notify};

use crate::audit_sink::{AuditEvent, Commit, Decision, EventKind, PayloadRef};
use crate::session::SessionCtx;
use crate::stack::{
    denial_response, Denial, DenyCode, Direction, Message, Outcome, RequestInfo, Stack, Vetted,
    CODE_CHECK_FAILED, CODE_TIMEOUT, CODE_UPSTREAM_UNAVAILABLE,
};

/// Default capacity of each direction of a [`Pipe`], in messages.
pub const PIPE_CAPACITY: usize = 64;

/// Default per-request timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// A bidirectional pipe of complete messages (one JSON text each). `rx` returning `None` means
/// the peer went away; dropping `tx` tells the peer we did.
#[derive(Debug)]
pub struct Pipe {
    /// Messages to the peer.
    pub tx: mpsc::Sender<Bytes>,
    /// Messages from the peer.
    pub rx: mpsc::Receiver<Bytes>,
}

impl Pipe {
    /// Two connected ends: what one sends, the other receives.
    pub fn pair(capacity: usize) -> (Pipe, Pipe) {
        let (a_tx, b_rx) = mpsc::channel(capacity);
        let (b_tx, a_rx) = mpsc::channel(capacity);
        (Pipe { tx: a_tx, rx: a_rx }, Pipe { tx: b_tx, rx: b_rx })
    }
}

/// What to do when the upstream server dies while the client is still connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    /// Fail in-flight requests and end the session (the client sees the server go away, as it
    /// would without mcpwall). The default.
    #[default]
    Never,
    /// Fail in-flight requests, then start the server again, at most `max_restarts` times in
    /// a row (consecutive failures: the count starts again once a restarted server has
    /// answered a request), waiting `backoff`, `2 * backoff`, `4 * backoff`, ... before each
    /// attempt, and replay the client's recorded `initialize` handshake to it.
    OnFailure {
        /// Restarts allowed in a row.
        max_restarts: u32,
        /// Wait before the first restart; doubles each time.
        backoff: Duration,
    },
}

impl FromStr for RestartPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "never" => Ok(RestartPolicy::Never),
            "on-failure" => Ok(RestartPolicy::OnFailure {
                max_restarts: 3,
                backoff: Duration::from_millis(500),
            }),
            other => Err(format!(
                "unknown restart policy `{other}` (expected `never` or `on-failure`)"
            )),
        }
    }
}

/// How the relay behaves.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Size and depth limits (the stack's limits stage enforces them; the relay uses them to
    /// bound what it parses).
    pub limits: Limits,
    /// Timeout for each client request; `None` disables it.
    pub call_timeout: Option<Duration>,
    /// What to do when the upstream dies.
    pub restart: RestartPolicy,
    /// How long a restarted server may take to answer the replayed handshake.
    pub replay_timeout: Duration,
    /// After the client closed its input, how long to keep relaying the server's answers.
    pub drain_grace: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            call_timeout: Some(DEFAULT_CALL_TIMEOUT),
            restart: RestartPolicy::Never,
            replay_timeout: Duration::from_secs(30),
            drain_grace: Duration::from_secs(3),
        }
    }
}

/// Why the upstream could not be (re)connected.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ReconnectError(pub String);

/// The boxed future [`Reconnect::reconnect`] returns.
pub type ReconnectFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Pipe, ReconnectError>> + Send + 'a>>;

/// Starts the upstream again after it died (used by [`RestartPolicy::OnFailure`]).
pub trait Reconnect: Send + Sync {
    /// A fresh server-side pipe (the old server, if any, is cleaned up by the implementation).
    fn reconnect(&self) -> ReconnectFuture<'_>;
}

/// How a relay ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayOutcome {
    /// The client went away (stdin EOF, HTTP session closed).
    ClientClosed,
    /// The upstream went away and was not (or could no longer be) restarted.
    UpstreamClosed {
        /// How many times it was restarted before, in all.
        restarts: u32,
    },
    /// The gateway was told to stop ([`stop_all`], or the relay's own stop future), e.g. by
    /// SIGTERM or SIGINT.
    Stopped,
}

/// Process-wide stop (SIGTERM/SIGINT): every running relay records its `session_end` and
/// returns [`RelayOutcome::Stopped`].
static STOPPING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static STOP: Notify = Notify::const_new();
/// Relays currently running, so a stopping process can wait for their `session_end`.
static LIVE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static ALL_ENDED: Notify = Notify::const_new();

/// Tells every relay of this process to end its session now (used on SIGTERM/SIGINT, so the
/// audit trail gets each session's `session_end`). Irreversible.
pub fn stop_all() {
    STOPPING.store(true, std::sync::atomic::Ordering::SeqCst);
    STOP.notify_waiters();
}

/// After [`stop_all`]: waits until every relay of this process has ended, at most `limit`.
pub async fn wait_all_ended(limit: Duration) {
    let wait = async {
        loop {
            let ended = ALL_ENDED.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if LIVE.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                return;
            }
            ended.await;
        }
    };
    let _ = tokio::time::timeout(limit, wait).await;
}

async fn stop_requested() {
    loop {
        let n = STOP.notified();
        tokio::pin!(n);
        n.as_mut().enable();
        if STOPPING.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        n.await;
    }
}

/// Counts a running relay for [`wait_all_ended`].
struct LiveGuard;

impl LiveGuard {
    fn new() -> Self {
        LIVE.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        LiveGuard
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        if LIVE.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
            ALL_ENDED.notify_waiters();
        }
    }
}

/// The way to the client: each message waits for its audit commit, in order, in the release
/// loop ([`Relay::release`]).
#[derive(Clone)]
struct ToClient(mpsc::Sender<(Bytes, Commit)>);

impl ToClient {
    /// Queues `bytes` for the client, to be written once `commit` resolves. `false` when the
    /// client is gone.
    async fn send(&self, bytes: Bytes, commit: Commit) -> bool {
        self.0.send((bytes, commit)).await.is_ok()
    }
}

/// A batch that passed the stack, with the requests in it to track.
type VettedBatch = (Vetted, Vec<(Id, InFlight)>);

struct InFlight {
    info: RequestInfo,
    deadline: Option<Instant>,
    /// Audit the response (handshakes, lists, calls).
    audited: bool,
}

struct State {
    inflight: HashMap<Id, InFlight>,
    /// Where client messages go; `None` while the upstream is down or restarting.
    upstream: Option<mpsc::Sender<Bytes>>,
    /// The client's `initialize` request, replayed to a restarted server.
    handshake: Option<Bytes>,
    /// The id of a replayed handshake whose response must not reach the client.
    replay_id: Option<Id>,
    next_deadline: Option<Instant>,
    /// The client closed its input: no restarts any more.
    client_closed: bool,
    /// The server answered a client request since the last restart (ends a failure streak).
    answered: bool,
}

/// One relay per client session.
pub struct Relay {
    ctx: RwLock<Arc<SessionCtx>>,
    stack: Arc<Stack>,
    opts: RelayOptions,
    state: Mutex<State>,
    wake: Notify,
    reconnect: Option<Arc<dyn Reconnect>>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("opts", &self.opts).finish()
    }
}

/// Runs one session: convenience for `Relay::new(ctx, stack, opts).run(client, upstream)`.
pub async fn run_relay(
    ctx: SessionCtx,
    client: Pipe,
    upstream: Pipe,
    stack: Arc<Stack>,
    opts: RelayOptions,
) -> RelayOutcome {
    Relay::new(ctx, stack, opts).run(client, upstream).await
}

/// What to do with one message after the stack. Each carries the commit of the audit records
/// made for it: a message for the client is released only once that resolves.
enum Step {
    /// Forward it (and track it as in flight under this id, when it is a request).
    Forward(Vetted, Option<(Id, InFlight)>, Commit),
    /// Answer the sender with this instead.
    Reply(Bytes, Commit),
    /// Neither (a denied notification, a late response).
    Drop,
}

impl Relay {
    /// A relay for session `ctx` with `stack`.
    pub fn new(ctx: SessionCtx, stack: Arc<Stack>, opts: RelayOptions) -> Self {
        Self {
            ctx: RwLock::new(Arc::new(ctx)),
            stack,
            opts,
            state: Mutex::new(State {
                inflight: HashMap::new(),
                upstream: None,
                handshake: None,
                replay_id: None,
                next_deadline: None,
                client_closed: false,
                answered: false,
            }),
            wake: Notify::new(),
            reconnect: None,
        }
    }

    /// Lets the relay restart the upstream through `r` (needed for [`RestartPolicy::OnFailure`]).
    pub fn with_reconnect(mut self, r: Arc<dyn Reconnect>) -> Self {
        self.reconnect = Some(r);
        self
    }

    /// The session context as the relay currently knows it.
    pub fn ctx(&self) -> Arc<SessionCtx> {
        self.ctx
            .read()
            .map(|c| Arc::clone(&c))
            .unwrap_or_else(|p| Arc::clone(&p.into_inner()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means a panic elsewhere; the state is still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Relays until the client or (finally) the upstream goes away, or [`stop_all`].
    pub async fn run(self, client: Pipe, upstream: Pipe) -> RelayOutcome {
        self.run_until(client, upstream, std::future::pending())
            .await
    }

    /// Like [`Relay::run`], also ending (with [`RelayOutcome::Stopped`] and a `session_end`
    /// record) when `stop` resolves.
    pub async fn run_until(
        self,
        client: Pipe,
        upstream: Pipe,
        stop: impl Future<Output = ()>,
    ) -> RelayOutcome {
        let _live = LiveGuard::new();
        let Pipe {
            tx: client_tx,
            rx: client_rx,
        } = client;
        let (out_tx, out_rx) = mpsc::channel(PIPE_CAPACITY);
        let main = self.drive(client_rx, upstream, ToClient(out_tx), stop);
        let release = self.release(out_rx, client_tx);
        let (outcome, ()) = tokio::join!(main, release);
        outcome
    }

    /// Everything but the release to the client; returns (dropping its way to the client, so
    /// the release loop ends once it has delivered what is queued).
    async fn drive(
        &self,
        client_rx: mpsc::Receiver<Bytes>,
        upstream: Pipe,
        out: ToClient,
        stop: impl Future<Output = ()>,
    ) -> RelayOutcome {
        let Pipe {
            tx: upstream_tx,
            rx: upstream_rx,
        } = upstream;
        self.lock().upstream = Some(upstream_tx);
        self.record(EventKind::SessionStart, |_| {});

        let c2s = self.client_to_server(client_rx, out.clone());
        let s2c = self.server_to_client(upstream_rx, out.clone());
        let sweep = self.sweep_timeouts(out.clone());
        drop(out);
        let stopped = async {
            tokio::select! {
                () = stop => {}
                () = stop_requested() => {}
            }
        };
        tokio::pin!(c2s, s2c, sweep, stopped);
        let ended = tokio::select! {
            () = &mut c2s => None,
            res = &mut s2c => Some(res),
            () = &mut sweep => Some(None),
            () = &mut stopped => Some(Some(u32::MAX)),
        };
        let outcome = match ended {
            None => {
                // The client closed its input. As with a direct server, close the server's input
                // and keep delivering its answers until it exits (at most `drain_grace`).
                {
                    let mut st = self.lock();
                    st.client_closed = true;
                    st.upstream = None;
                }
                let drain = async {
                    tokio::select! {
                        _ = &mut s2c => {}
                        () = &mut sweep => {}
                    }
                };
                tokio::select! {
                    _ = tokio::time::timeout(self.opts.drain_grace, drain) => RelayOutcome::ClientClosed,
                    () = &mut stopped => RelayOutcome::Stopped,
                }
            }
            Some(Some(u32::MAX)) => RelayOutcome::Stopped,
            Some(Some(restarts)) => RelayOutcome::UpstreamClosed { restarts },
            Some(None) => RelayOutcome::ClientClosed,
        };
        // Closing the upstream's input tells a stdio server to exit.
        self.lock().upstream = None;
        self.record(EventKind::SessionEnd, |ev| {
            ev.detail = Some(match &outcome {
                RelayOutcome::ClientClosed => "client closed".to_owned(),
                RelayOutcome::UpstreamClosed { restarts } => {
                    format!("upstream closed after {restarts} restarts")
                }
                RelayOutcome::Stopped => "gateway stopped (signal)".to_owned(),
            });
        });
        outcome
    }

    /// Writes messages to the client in order, each only after its audit records are
    /// committed. If a record could not be committed, the message is withheld (fail closed):
    /// a response becomes an error for the same id, anything else is dropped.
    async fn release(
        &self,
        mut rx: mpsc::Receiver<(Bytes, Commit)>,
        client_tx: mpsc::Sender<Bytes>,
    ) {
        while let Some((bytes, commit)) = rx.recv().await {
            let bytes = match commit.await {
                Ok(()) => bytes,
                Err(e) => match self.withheld(&bytes, &e.to_string()) {
                    Some(err) => err,
                    None => continue,
                },
            };
            if client_tx.send(bytes).await.is_err() {
                // The client is gone; dropping `rx` tells the senders.
                return;
            }
        }
    }

    /// What the client gets instead of a message whose audit record failed: an error for each
    /// request id the message answers.
    fn withheld(&self, bytes: &Bytes, why: &str) -> Option<Bytes> {
        tracing::error!(
            reason = why,
            "withholding a message whose audit record failed"
        );
        let env = jsonrpc::classify(bytes, &self.parse_limits()).ok()?;
        let ids: Vec<Id> = match env.kind {
            Kind::Response { id, .. } => vec![id],
            Kind::Batch(elements) => elements
                .into_iter()
                .filter_map(|e| match e.kind {
                    Ok(Kind::Response { id, .. }) => Some(id),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let errors: Vec<Bytes> = ids
            .iter()
            .map(|id| {
                jsonrpc::error_response(
                    Some(id),
                    CODE_CHECK_FAILED,
                    &format!("answer withheld: {why}"),
                    None,
                )
            })
            .collect();
        (!errors.is_empty()).then(|| join_replies(errors, matches!(bytes.first(), Some(b'['))))
    }

    fn record(&self, kind: EventKind, fill: impl FnOnce(&mut AuditEvent)) -> Commit {
        let mut ev = AuditEvent::new(kind, &self.ctx());
        fill(&mut ev);
        self.stack.audit().record_durable(ev)
    }

    /// Limits for classification: the configured size, and the parser's hard depth bound (the
    /// stack's limits stage enforces the configured depth, audited like any denial).
    fn parse_limits(&self) -> Limits {
        Limits {
            max_message_bytes: self.opts.limits.max_message_bytes,
            max_depth: jsonrpc::HARD_MAX_DEPTH,
        }
    }

    fn classify(&self, raw: &Bytes, direction: Direction) -> Result<Envelope, (Bytes, Commit)> {
        jsonrpc::classify(raw, &self.parse_limits()).map_err(|e| {
            let e = crate::front::stdio::oversize_error(raw).unwrap_or(e);
            let commit = self.record_malformed(&e, raw, direction);
            (jsonrpc::envelope_error_response(&e), commit)
        })
    }

    fn record_malformed(&self, e: &EnvelopeError, raw: &Bytes, direction: Direction) -> Commit {
        tracing::warn!(error = %e, ?direction, "refused malformed message");
        self.record(EventKind::Denial, |ev| {
            ev.decision = Some(Decision::Deny);
            ev.rule = Some(
                match e {
                    EnvelopeError::TooLarge { .. } => "limits.max_message_bytes",
                    EnvelopeError::TooDeep { .. } => "limits.max_depth",
                    _ => "protocol",
                }
                .to_owned(),
            );
            ev.detail = Some(format!("{} ({})", e, dir_label(direction)));
            ev.request_id = e.id().map(Id::to_json);
            ev.arguments = Some(PayloadRef::new(raw.clone(), None));
        })
    }

    // ---- client -> server ----

    async fn client_to_server(&self, mut rx: mpsc::Receiver<Bytes>, out: ToClient) {
        while let Some(raw) = rx.recv().await {
            let env = match self.classify(&raw, Direction::ToServer) {
                Ok(env) => env,
                Err((reply, commit)) => {
                    if !out.send(reply, commit).await {
                        return;
                    }
                    continue;
                }
            };
            let (forward, replies, commit) = match env.kind {
                Kind::Batch(elements) => self.batch_to_server(&raw, elements, env.depth),
                kind => match self.decide_to_server(&raw, &kind, env.depth) {
                    // The request's own record need not be committed before the server sees it:
                    // its answer waits for the commit of the result record, which comes later.
                    Step::Forward(v, track, _) => (
                        Some((v, track.into_iter().collect())),
                        Vec::new(),
                        Commit::none(),
                    ),
                    Step::Reply(r, c) => (None, vec![r], c),
                    Step::Drop => (None, Vec::new(), Commit::none()),
                },
            };
            if let Some((vetted, tracked)) = forward {
                if let Err((replies, c)) = self.send_upstream(vetted, tracked).await {
                    for r in replies {
                        if !out.send(r, c.clone()).await {
                            return;
                        }
                    }
                } else {
                    // Let the upstream writer task put the request on the server's stdin first
                    // (on a single-threaded runtime it runs only once this task yields):
                    // building the record before that would delay the server by as long.
                    tokio::task::yield_now().await;
                    if rx.is_empty() {
                        // The server is working on it and nothing else is waiting: build the
                        // request's record now, not in the commit its answer will wait for.
                        self.stack.audit().prepare();
                    }
                }
            }
            if !replies.is_empty() {
                let reply = join_replies(replies, matches!(raw.first(), Some(b'[')));
                if !out.send(reply, commit).await {
                    return;
                }
            }
        }
    }

    /// Registers `tracked` requests and forwards `vetted` upstream; when the upstream is down,
    /// returns the errors to answer them with instead.
    async fn send_upstream(
        &self,
        vetted: Vetted,
        tracked: Vec<(Id, InFlight)>,
    ) -> Result<(), (Vec<Bytes>, Commit)> {
        let ids: Vec<Id> = tracked.iter().map(|(id, _)| id.clone()).collect();
        let tx = {
            let mut st = self.lock();
            match st.upstream.clone() {
                Some(tx) => {
                    let mut earliest = None;
                    for (id, f) in tracked {
                        if let Some(d) = f.deadline {
                            earliest = Some(earliest.map_or(d, |e: Instant| e.min(d)));
                        }
                        st.inflight.insert(id, f);
                    }
                    if let Some(d) = earliest {
                        if st.next_deadline.is_none_or(|n| d < n) {
                            st.next_deadline = Some(d);
                            self.wake.notify_one();
                        }
                    }
                    Some(tx)
                }
                None => None,
            }
        };
        let sent = match tx {
            Some(tx) => tx.send(vetted.into_bytes()).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        let mut st = self.lock();
        let failed: Vec<InFlight> = ids.iter().filter_map(|id| st.inflight.remove(id)).collect();
        drop(st);
        let mut commit = Commit::none();
        for (id, f) in ids.iter().zip(failed) {
            commit = commit.merge(self.record(EventKind::Error, |ev| {
                ev.method = Some(f.info.method.to_string());
                ev.tool = f.info.tool.as_deref().map(str::to_owned);
                ev.request_id = Some(id.to_json());
                ev.rule = Some("upstream".to_owned());
                ev.detail = Some("upstream server is not available".to_owned());
            }));
        }
        Err((
            ids.iter()
                .map(|id| {
                    jsonrpc::error_response(
                        Some(id),
                        CODE_UPSTREAM_UNAVAILABLE,
                        "upstream server is not available",
                        None,
                    )
                })
                .collect(),
            commit,
        ))
    }

    fn batch_to_server(
        &self,
        raw: &Bytes,
        elements: Vec<jsonrpc::Element>,
        depth: usize,
    ) -> (Option<VettedBatch>, Vec<Bytes>, Commit) {
        let n = elements.len();
        let mut parts = Vec::with_capacity(n);
        let mut tracked = Vec::new();
        let mut replies = Vec::new();
        let mut commit = Commit::none();
        for el in elements {
            let sub = raw.slice(el.range.clone());
            match el.kind {
                Err(e) => {
                    commit = commit.merge(self.record_malformed(&e, &sub, Direction::ToServer));
                    replies.push(jsonrpc::envelope_error_response(&e));
                }
                Ok(kind) => match self.decide_to_server(&sub, &kind, depth) {
                    Step::Forward(v, t, _) => {
                        parts.push(v);
                        tracked.extend(t);
                    }
                    Step::Reply(r, c) => {
                        replies.push(r);
                        commit = commit.merge(c);
                    }
                    Step::Drop => {}
                },
            }
        }
        if parts.is_empty() {
            return (None, replies, commit);
        }
        let unchanged = parts.len() == n && parts.iter().all(|p| !p.modified());
        let vetted = Vetted::batch(parts, unchanged.then(|| raw.clone()));
        (Some((vetted, tracked)), replies, commit)
    }

    fn decide_to_server(&self, raw: &Bytes, kind: &Kind, depth: usize) -> Step {
        let ctx = self.ctx();
        match kind {
            Kind::Request { id, method } => {
                let mk = MethodKind::of(method);
                let mut args: Option<Bytes> = None;
                let tool: Option<Box<str>> = if mk == MethodKind::ToolsCall {
                    match mcp::tool_call(raw) {
                        Ok(call) => {
                            args = call.arguments.map(|a| sub_bytes(raw, a.get()));
                            Some(call.name.into())
                        }
                        Err(e) => {
                            // A tools/call the gateway cannot read is one it cannot check: refuse.
                            let d = crate::stack::Denial::new(
                                crate::stack::DenyCode::InvalidInput,
                                e.to_string(),
                            )
                            .with_rule("protocol");
                            let commit = self.record(EventKind::Denial, |ev| {
                                ev.method = Some(method.to_string());
                                ev.request_id = Some(id.to_json());
                                ev.decision = Some(Decision::Deny);
                                ev.rule = d.rule.clone();
                                ev.detail = Some(d.reason.clone());
                            });
                            return Step::Reply(denial_response(Some(id), &d), commit);
                        }
                    }
                } else {
                    None
                };
                let msg =
                    Message::new(raw, kind, depth, Direction::ToServer, tool.as_deref(), None);
                match self.stack.run(&msg, &ctx) {
                    Outcome::Deny { denial, commit, .. } => {
                        Step::Reply(denial_response(Some(id), &denial), commit)
                    }
                    Outcome::Forward(v) => {
                        let audited = audit_kind(mk, method).is_some();
                        let mut commit = Commit::none();
                        if let Some(ek) = audit_kind(mk, method) {
                            commit = self.record(ek, |ev| {
                                ev.method = Some(method.to_string());
                                ev.tool = tool.as_deref().map(str::to_owned);
                                ev.request_id = Some(id.to_json());
                                ev.decision = Some(if v.modified() {
                                    Decision::Modify
                                } else {
                                    Decision::Allow
                                });
                                ev.arguments =
                                    args.map(|a| PayloadRef::new(a, self.stack.audit().redactor()));
                            });
                        }
                        if mk == MethodKind::Initialize {
                            self.lock().handshake = Some(v.bytes().clone());
                        }
                        if mk.is_handshake() {
                            if let Ok(h) = mcp::handshake_request(raw) {
                                self.update_ctx(|c| {
                                    c.client_info = h.client_info;
                                    if c.protocol_version.is_none() {
                                        c.protocol_version = h.protocol_version;
                                    }
                                });
                            }
                        }
                        tracing::debug!(
                            session = %ctx.id,
                            method = &**method,
                            tool = tool.as_deref().unwrap_or("-"),
                            id = %id.to_json(),
                            modified = v.modified(),
                            "request forwarded"
                        );
                        let f = InFlight {
                            info: RequestInfo {
                                method: method.clone(),
                                kind: mk,
                                tool,
                                started: Instant::now(),
                            },
                            deadline: self.opts.call_timeout.map(|t| Instant::now() + t),
                            audited,
                        };
                        Step::Forward(v, Some((id.clone(), f)), commit)
                    }
                }
            }
            Kind::Notification { method } => {
                let msg = Message::new(raw, kind, depth, Direction::ToServer, None, None);
                match self.stack.run(&msg, &ctx) {
                    Outcome::Deny { .. } => Step::Drop,
                    Outcome::Forward(v) => {
                        if MethodKind::of(method) == MethodKind::Cancelled {
                            // The client gave up on it: no timeout, and its late answer is dropped.
                            if let Some(id) = mcp::cancelled_request_id(raw) {
                                self.lock().inflight.remove(&id);
                            }
                        }
                        Step::Forward(v, None, Commit::none())
                    }
                }
            }
            Kind::Response { id, .. } => {
                // The client answering a server-to-client request (sampling, elicitation, roots).
                let msg = Message::new(raw, kind, depth, Direction::ToServer, None, None);
                match self.stack.run(&msg, &ctx) {
                    Outcome::Deny { denial, commit, .. } => {
                        // The server still needs an answer: send it the error instead.
                        let err = denial_response(Some(id), &denial);
                        Step::Forward(Vetted::error_for_peer(err), None, commit)
                    }
                    Outcome::Forward(v) => Step::Forward(v, None, Commit::none()),
                }
            }
            Kind::Batch(_) => {
                let commit = self.record(EventKind::Denial, |ev| {
                    ev.decision = Some(Decision::Deny);
                    ev.rule = Some("protocol".to_owned());
                    ev.detail = Some("nested batch (from client)".to_owned());
                });
                Step::Reply(
                    jsonrpc::error_response(
                        None,
                        jsonrpc::INVALID_REQUEST,
                        "invalid request: nested batch",
                        None,
                    ),
                    commit,
                )
            }
        }
    }

    fn update_ctx(&self, f: impl FnOnce(&mut SessionCtx)) {
        let mut guard = self
            .ctx
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut c = (**guard).clone();
        f(&mut c);
        *guard = Arc::new(c);
    }

    // ---- server -> client ----

    /// Returns when the upstream is gone for good, with the number of restarts, or `None` when
    /// the client stopped accepting messages.
    async fn server_to_client(&self, mut rx: mpsc::Receiver<Bytes>, out: ToClient) -> Option<u32> {
        // `total` restarts in this session; `streak` restarts since the server last answered a
        // request (the policy's `max_restarts` bounds the streak: consecutive failures).
        let mut total = 0u32;
        let mut streak = 0u32;
        loop {
            while let Some(raw) = rx.recv().await {
                if !self.handle_from_server(raw, &out).await {
                    return None;
                }
            }
            // The upstream closed its output: it exited or crashed.
            let (client_closed, answered) = {
                let mut st = self.lock();
                st.upstream = None;
                (st.client_closed, std::mem::take(&mut st.answered))
            };
            if answered {
                streak = 0;
            }
            // After the client closed its input, the server exiting is the expected end of the
            // session (we closed its input too), not an error, unless requests were left.
            if client_closed && self.lock().inflight.is_empty() {
                return Some(total);
            }
            self.fail_inflight(&out, "upstream server exited").await;
            if client_closed {
                return Some(total);
            }
            let RestartPolicy::OnFailure {
                max_restarts,
                backoff,
            } = self.opts.restart
            else {
                return Some(total);
            };
            let Some(reconnect) = self.reconnect.clone() else {
                return Some(total);
            };
            let mut restarted = None;
            while streak < max_restarts {
                let wait = backoff.saturating_mul(1u32 << streak.min(16));
                streak += 1;
                total += 1;
                tokio::time::sleep(wait).await;
                match reconnect.reconnect().await {
                    Ok(pipe) => {
                        self.record(EventKind::Error, |ev| {
                            ev.detail = Some(format!(
                                "upstream restarted (restart {streak} of {max_restarts} in a row, {total} in all)"
                            ));
                            ev.rule = Some("restart".to_owned());
                        });
                        match self.replay_handshake(pipe, &out).await {
                            Some(p) => {
                                restarted = Some(p);
                                break;
                            }
                            None => continue,
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "upstream restart failed");
                        self.record(EventKind::Error, |ev| {
                            ev.detail = Some(format!("upstream restart failed: {e}"));
                            ev.rule = Some("restart".to_owned());
                        });
                    }
                }
            }
            match restarted {
                Some(new_rx) => rx = new_rx,
                None => return Some(total),
            }
        }
    }

    /// Replays the recorded `initialize` to a restarted server and waits for its answer; then
    /// opens the upstream to client traffic. Returns the receiver, or `None` if the server failed.
    async fn replay_handshake(&self, pipe: Pipe, out: &ToClient) -> Option<mpsc::Receiver<Bytes>> {
        let Pipe { tx, mut rx } = pipe;
        let recorded = self.lock().handshake.clone();
        if let Some(init) = recorded {
            let replay_id =
                Id::Str(format!("mcpwall-replay-{}", uuid::Uuid::new_v4()).into_boxed_str());
            let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&init) else {
                return None;
            };
            v["id"] = replay_id.to_value();
            if tx.send(Bytes::from(v.to_string())).await.is_err() {
                return None;
            }
            self.lock().replay_id = Some(replay_id.clone());
            let deadline = tokio::time::Instant::now() + self.opts.replay_timeout;
            loop {
                let msg = match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(m)) => m,
                    _ => return None,
                };
                if let Ok(env) = jsonrpc::classify(&msg, &self.parse_limits()) {
                    if env.id() == Some(&replay_id) {
                        break;
                    }
                }
                // Anything else the server says while starting goes to the client as usual.
                if !self.handle_from_server(msg, out).await {
                    return None;
                }
            }
            self.lock().replay_id = None;
            if tx.send(mcp::initialized_notification()).await.is_err() {
                return None;
            }
        }
        {
            let mut st = self.lock();
            st.upstream = Some(tx);
            st.answered = false;
        }
        Some(rx)
    }

    /// Answers every in-flight request with an error (the upstream died).
    async fn fail_inflight(&self, out: &ToClient, why: &str) {
        let drained: Vec<(Id, InFlight)> = {
            let mut st = self.lock();
            st.next_deadline = None;
            st.inflight.drain().collect()
        };
        let commit = self.record(EventKind::Error, |ev| {
            ev.detail = Some(format!(
                "{why}; {} requests in flight failed",
                drained.len()
            ));
            ev.rule = Some("upstream".to_owned());
        });
        for (id, f) in drained {
            let msg = format!("{why} before answering `{}`", f.info.method);
            let err = jsonrpc::error_response(Some(&id), CODE_UPSTREAM_UNAVAILABLE, &msg, None);
            let _ = out.send(err, commit.clone()).await;
        }
    }

    /// A line from the server longer than the limit (the upstream reader passes a marker in
    /// its place): audited, and when exactly one client request is waiting, that request is
    /// answered with a size error instead of waiting for its timeout. (The line's id could
    /// not be read, so with several requests waiting none of them can be blamed.)
    async fn oversize_from_server(&self, e: &EnvelopeError, raw: &Bytes, out: &ToClient) -> bool {
        let EnvelopeError::TooLarge { len, max } = e else {
            return true;
        };
        let pending = {
            let mut st = self.lock();
            let replay = st.replay_id.clone();
            let waiting: Vec<Id> = st
                .inflight
                .keys()
                .filter(|id| Some(*id) != replay.as_ref())
                .cloned()
                .collect();
            match waiting.as_slice() {
                [only] => st.inflight.remove(only).map(|f| (only.clone(), f)),
                _ => None,
            }
        };
        tracing::warn!(
            len,
            max,
            "server sent a message longer than the line limit; it was dropped"
        );
        let reason = match &pending {
            Some((_, f)) => format!(
                "the server's answer to `{}` ({len} bytes or more) exceeds the line limit of {max} bytes",
                f.info.method
            ),
            None => format!(
                "a message from the server ({len} bytes or more) exceeds the line limit of {max} bytes"
            ),
        };
        let denial = Denial::new(DenyCode::Limit, reason).with_rule("limits.max_message_bytes");
        let commit = self.record(EventKind::Denial, |ev| {
            ev.decision = Some(Decision::Deny);
            ev.rule = denial.rule.clone();
            ev.detail = Some(format!("{} (from server)", denial.reason));
            ev.arguments = Some(PayloadRef::new(raw.clone(), None));
            if let Some((id, f)) = &pending {
                ev.method = Some(f.info.method.to_string());
                ev.tool = f.info.tool.as_deref().map(str::to_owned);
                ev.request_id = Some(id.to_json());
                ev.latency = Some(f.info.started.elapsed());
            }
        });
        match pending {
            Some((id, _)) => out.send(denial_response(Some(&id), &denial), commit).await,
            None => true,
        }
    }

    /// Handles one message from the server. Returns `false` when the client is gone.
    async fn handle_from_server(&self, raw: Bytes, out: &ToClient) -> bool {
        if let Some(e) = crate::front::stdio::oversize_error(&raw) {
            return self.oversize_from_server(&e, &raw, out).await;
        }
        let env = match self.classify(&raw, Direction::ToClient) {
            Ok(env) => env,
            // A malformed message from the server is dropped (and audited): the client should not
            // receive what the gateway cannot check.
            Err(_) => return true,
        };
        let mut commit = Commit::none();
        let (to_client, to_server): (Option<Vetted>, Vec<Bytes>) = match env.kind {
            Kind::Batch(elements) => {
                let n = elements.len();
                let mut parts = Vec::with_capacity(n);
                let mut back = Vec::new();
                for el in elements {
                    let sub = raw.slice(el.range.clone());
                    match el.kind {
                        Err(e) => {
                            self.record_malformed(&e, &sub, Direction::ToClient);
                        }
                        Ok(kind) => match self.decide_to_client(&sub, &kind, env.depth) {
                            Step::Forward(v, _, c) => {
                                parts.push(v);
                                commit = commit.merge(c);
                            }
                            Step::Reply(r, _) => back.push(r),
                            Step::Drop => {}
                        },
                    }
                }
                if parts.is_empty() {
                    (None, back)
                } else {
                    let unchanged = parts.len() == n && parts.iter().all(|p| !p.modified());
                    (
                        Some(Vetted::batch(parts, unchanged.then(|| raw.clone()))),
                        back,
                    )
                }
            }
            kind => match self.decide_to_client(&raw, &kind, env.depth) {
                Step::Forward(v, _, c) => {
                    commit = c;
                    (Some(v), Vec::new())
                }
                // A denied server-to-client request: the server gets the error (its record
                // need not be committed first: nothing reaches the client).
                Step::Reply(r, _) => (None, vec![r]),
                Step::Drop => (None, Vec::new()),
            },
        };
        if !to_server.is_empty() {
            let tx = self.lock().upstream.clone();
            if let Some(tx) = tx {
                let reply = join_replies(to_server, matches!(raw.first(), Some(b'[')));
                let _ = tx.send(reply).await;
            }
        }
        match to_client {
            Some(v) => out.send(v.into_bytes(), commit).await,
            None => true,
        }
    }

    fn decide_to_client(&self, raw: &Bytes, kind: &Kind, depth: usize) -> Step {
        let ctx = self.ctx();
        match kind {
            Kind::Response { id, is_error } => {
                let entry = {
                    let mut st = self.lock();
                    if st.replay_id.as_ref() == Some(id) {
                        return Step::Drop;
                    }
                    let entry = st.inflight.remove(id);
                    if entry.is_some() {
                        st.answered = true;
                    }
                    entry
                };
                let Some(f) = entry else {
                    // Not a request we forwarded, or one already answered by a timeout: the client
                    // must not see two answers to one id.
                    tracing::debug!(%id, "dropping response to unknown or expired request");
                    return Step::Drop;
                };
                let latency = f.info.started.elapsed();
                if f.info.kind.is_handshake() && !is_error {
                    if let Ok(h) = mcp::handshake_response(raw) {
                        self.update_ctx(|c| {
                            if h.protocol_version.is_some() {
                                c.protocol_version = h.protocol_version;
                            }
                        });
                    }
                }
                let msg = Message::new(raw, kind, depth, Direction::ToClient, None, Some(&f.info));
                let outcome = self.stack.run(&msg, &ctx);
                tracing::debug!(
                    session = %ctx.id,
                    method = &*f.info.method,
                    tool = f.info.tool.as_deref().unwrap_or("-"),
                    %id,
                    error = *is_error,
                    latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                    modified = matches!(&outcome, Outcome::Forward(v) if v.modified()),
                    "response"
                );
                let mut commit = Commit::none();
                if f.audited {
                    commit = self.record(
                        if *is_error {
                            EventKind::Error
                        } else {
                            EventKind::Result
                        },
                        |ev| {
                            ev.method = Some(f.info.method.to_string());
                            ev.tool = f.info.tool.as_deref().map(str::to_owned);
                            ev.request_id = Some(id.to_json());
                            ev.latency = Some(latency);
                            ev.result =
                                Some(PayloadRef::new(raw.clone(), self.stack.audit().redactor()));
                            if f.info.kind == MethodKind::ToolsCall {
                                ev.is_error = mcp::result_is_error(raw);
                            }
                            ev.decision = Some(match &outcome {
                                Outcome::Forward(v) if v.modified() => Decision::Modify,
                                Outcome::Forward(_) => Decision::Allow,
                                Outcome::Deny { .. } => Decision::Deny,
                            });
                        },
                    );
                }
                match outcome {
                    Outcome::Forward(v) => Step::Forward(v, None, commit),
                    // The client still gets an answer for its id: the error.
                    Outcome::Deny {
                        denial,
                        commit: denied,
                        ..
                    } => Step::Forward(
                        Vetted::error_for_peer(denial_response(Some(id), &denial)),
                        None,
                        commit.merge(denied),
                    ),
                }
            }
            Kind::Request { id, .. } => {
                // Server-to-client request (sampling, elicitation, roots, ping).
                let msg = Message::new(raw, kind, depth, Direction::ToClient, None, None);
                match self.stack.run(&msg, &ctx) {
                    Outcome::Forward(v) => Step::Forward(v, None, Commit::none()),
                    Outcome::Deny { denial, commit, .. } => {
                        Step::Reply(denial_response(Some(id), &denial), commit)
                    }
                }
            }
            Kind::Notification { .. } => {
                let msg = Message::new(raw, kind, depth, Direction::ToClient, None, None);
                match self.stack.run(&msg, &ctx) {
                    Outcome::Forward(v) => Step::Forward(v, None, Commit::none()),
                    Outcome::Deny { .. } => Step::Drop,
                }
            }
            Kind::Batch(_) => Step::Drop,
        }
    }

    // ---- timeouts ----

    async fn sweep_timeouts(&self, out: ToClient) {
        loop {
            let next = self.lock().next_deadline;
            match next {
                None => self.wake.notified().await,
                Some(d) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(tokio::time::Instant::from_std(d)) => {}
                        () = self.wake.notified() => continue,
                    }
                }
            }
            let now = Instant::now();
            let (expired, upstream) = {
                let mut st = self.lock();
                let expired_ids: Vec<Id> = st
                    .inflight
                    .iter()
                    .filter(|(_, f)| f.deadline.is_some_and(|d| d <= now))
                    .map(|(id, _)| id.clone())
                    .collect();
                let expired: Vec<(Id, InFlight)> = expired_ids
                    .into_iter()
                    .filter_map(|id| st.inflight.remove(&id).map(|f| (id, f)))
                    .collect();
                st.next_deadline = st.inflight.values().filter_map(|f| f.deadline).min();
                (expired, st.upstream.clone())
            };
            for (id, f) in expired {
                let after = self.opts.call_timeout.unwrap_or_default();
                let reason = format!(
                    "request `{}` timed out after {} ms",
                    f.info.method,
                    after.as_millis()
                );
                let commit = self.record(EventKind::Error, |ev| {
                    ev.method = Some(f.info.method.to_string());
                    ev.tool = f.info.tool.as_deref().map(str::to_owned);
                    ev.request_id = Some(id.to_json());
                    ev.latency = Some(f.info.started.elapsed());
                    ev.rule = Some("timeout".to_owned());
                    ev.detail = Some(reason.clone());
                });
                if let Some(tx) = &upstream {
                    let _ = tx.send(mcp::cancelled_notification(&id, &reason)).await;
                }
                let err = jsonrpc::error_response(Some(&id), CODE_TIMEOUT, &reason, None);
                if !out.send(err, commit).await {
                    return;
                }
            }
        }
    }
}

/// Which audit event a forwarded request makes, if any.
fn audit_kind(mk: MethodKind, method: &str) -> Option<EventKind> {
    match mk {
        MethodKind::Initialize | MethodKind::Discover => Some(EventKind::Handshake),
        MethodKind::ToolsCall | MethodKind::ResourcesRead | MethodKind::PromptsGet => {
            Some(EventKind::Call)
        }
        _ if method.ends_with("/list") || method.ends_with("/templates/list") => {
            Some(EventKind::List)
        }
        _ => None,
    }
}

fn dir_label(d: Direction) -> &'static str {
    match d {
        Direction::ToServer => "from client",
        Direction::ToClient => "from server",
    }
}

/// The part of `raw` that `part` (a slice of its text) covers, without copying.
fn sub_bytes(raw: &Bytes, part: &str) -> Bytes {
    let base = raw.as_ptr() as usize;
    let off = (part.as_ptr() as usize).wrapping_sub(base);
    if off <= raw.len() && off + part.len() <= raw.len() {
        raw.slice(off..off + part.len())
    } else {
        Bytes::copy_from_slice(part.as_bytes())
    }
}

/// One reply message from several: a batch if the input was a batch, else the single reply.
fn join_replies(mut replies: Vec<Bytes>, as_batch: bool) -> Bytes {
    if replies.len() == 1 && !as_batch {
        return replies.pop().unwrap_or_default();
    }
    join_array(replies.iter())
}

fn join_array<'a>(parts: impl Iterator<Item = &'a Bytes>) -> Bytes {
    let mut out = BytesMut::new();
    out.put_u8(b'[');
    for (i, p) in parts.enumerate() {
        if i > 0 {
            out.put_u8(b',');
        }
        out.extend_from_slice(p);
    }
    out.put_u8(b']');
    out.freeze()
}

impl Vetted {
    /// A batch of vetted messages is vetted; `original` is reused when nothing changed.
    pub(crate) fn batch(parts: Vec<Vetted>, original: Option<Bytes>) -> Vetted {
        match original {
            Some(bytes) => Vetted::from_stack(bytes, false),
            None => Vetted::from_stack(join_array(parts.iter().map(Vetted::bytes)), true),
        }
    }

    /// An error response the gateway itself built for a peer (a denial answered in place of
    /// the denied message).
    pub(crate) fn error_for_peer(err: Bytes) -> Vetted {
        Vetted::from_stack(err, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_sink::MemorySink;
    use crate::session::ServerId;

    fn setup(
        opts: RelayOptions,
    ) -> (
        Pipe,
        Pipe,
        tokio::task::JoinHandle<RelayOutcome>,
        MemorySink,
    ) {
        let sink = MemorySink::default();
        let stack = Arc::new(Stack::minimal(
            Some(Arc::new(sink.clone())),
            Limits::default(),
        ));
        let (client, client_end) = Pipe::pair(8);
        let (server, server_end) = Pipe::pair(8);
        let ctx = SessionCtx::stdio(ServerId::from_program("test"));
        let h = tokio::spawn(run_relay(ctx, client_end, server_end, stack, opts));
        (client, server, h, sink)
    }

    /// A ping from the client reaches the server and its answer comes back (and nothing
    /// else arrives first): the relay is still live after what the test did before.
    async fn ping_round_trip(client: &mut Pipe, server: &mut Pipe, id: u64) {
        let ping = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
        client.tx.send(b(&ping)).await.unwrap();
        server.rx.recv().await.unwrap();
        let answer = format!(r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#);
        server.tx.send(b(&answer)).await.unwrap();
        let next: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(next["id"], id);
    }

    fn b(s: &str) -> Bytes {
        Bytes::copy_from_slice(s.as_bytes())
    }

    #[tokio::test]
    async fn forwards_raw_both_ways() {
        let (mut client, mut server, h, sink) = setup(RelayOptions::default());
        let req = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"m":"x"}},"zzz":[1, 2]}"#;
        client.tx.send(b(req)).await.unwrap();
        assert_eq!(server.rx.recv().await.unwrap(), b(req));
        let resp = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false,"extra":{}}}"#;
        server.tx.send(b(resp)).await.unwrap();
        assert_eq!(client.rx.recv().await.unwrap(), b(resp));
        drop(client);
        assert_eq!(h.await.unwrap(), RelayOutcome::ClientClosed);
        let kinds: Vec<_> = sink.events().iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::SessionStart,
                EventKind::Call,
                EventKind::Result,
                EventKind::SessionEnd
            ]
        );
        let result = sink.events()[2].clone();
        assert_eq!(result.is_error, Some(false));
        assert_eq!(result.tool.as_deref(), Some("echo"));
        assert!(result.latency.is_some());
    }

    #[tokio::test]
    async fn server_exit_after_the_client_closed_is_no_error() {
        let (mut client, mut server, h, sink) = setup(RelayOptions::default());
        ping_round_trip(&mut client, &mut server, 1).await;
        drop(client);
        // the server sees its input close and exits, as a server does
        assert!(server.rx.recv().await.is_none());
        drop(server);
        assert_eq!(h.await.unwrap(), RelayOutcome::ClientClosed);
        let kinds: Vec<_> = sink.events().iter().map(|e| e.kind.clone()).collect();
        assert!(!kinds.contains(&EventKind::Error), "{kinds:?}");
        assert_eq!(kinds.last(), Some(&EventKind::SessionEnd));
    }

    #[tokio::test]
    async fn malformed_gets_parse_error() {
        let (mut client, _server, _h, _sink) = setup(RelayOptions::default());
        client.tx.send(b("{oops")).await.unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["error"]["code"], jsonrpc::PARSE_ERROR);
    }

    #[tokio::test(start_paused = true)]
    async fn timeout_answers_and_cancels() {
        let opts = RelayOptions {
            call_timeout: Some(Duration::from_secs(5)),
            ..RelayOptions::default()
        };
        let (mut client, mut server, _h, _sink) = setup(opts);
        client
            .tx
            .send(b(
                r#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"slow"}}"#,
            ))
            .await
            .unwrap();
        server.rx.recv().await.unwrap();
        let err: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(err["id"], "a");
        assert_eq!(err["error"]["code"], CODE_TIMEOUT);
        let cancel: serde_json::Value =
            serde_json::from_slice(&server.rx.recv().await.unwrap()).unwrap();
        assert_eq!(cancel["method"], "notifications/cancelled");
        assert_eq!(cancel["params"]["requestId"], "a");
        // The late answer is not delivered.
        server
            .tx
            .send(b(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#))
            .await
            .unwrap();
        ping_round_trip(&mut client, &mut server, 2).await;
    }

    #[tokio::test]
    async fn upstream_death_fails_inflight() {
        let (mut client, mut server, h, _sink) = setup(RelayOptions::default());
        client
            .tx
            .send(b(
                r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x"}}"#,
            ))
            .await
            .unwrap();
        server.rx.recv().await.unwrap();
        drop(server);
        let err: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(err["id"], 7);
        assert_eq!(err["error"]["code"], CODE_UPSTREAM_UNAVAILABLE);
        assert_eq!(
            h.await.unwrap(),
            RelayOutcome::UpstreamClosed { restarts: 0 }
        );
    }

    #[tokio::test]
    async fn batches_and_server_requests_pass() {
        let (mut client, mut server, _h, _sink) = setup(RelayOptions::default());
        let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"n"}]"#;
        client.tx.send(b(batch)).await.unwrap();
        assert_eq!(server.rx.recv().await.unwrap(), b(batch));
        let sreq = r#"{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":{}}"#;
        server.tx.send(b(sreq)).await.unwrap();
        assert_eq!(client.rx.recv().await.unwrap(), b(sreq));
        let cresp = r#"{"jsonrpc":"2.0","id":"s1","result":{"role":"assistant"}}"#;
        client.tx.send(b(cresp)).await.unwrap();
        assert_eq!(server.rx.recv().await.unwrap(), b(cresp));
    }

    /// Client end, server end, relay task, temp dir, trail path, appender.
    type Durable = (
        Pipe,
        Pipe,
        tokio::task::JoinHandle<RelayOutcome>,
        tempfile::TempDir,
        std::path::PathBuf,
        mcpwall_audit::Appender,
    );

    /// A relay over a real appender (SQLite in a temp dir, with its spool) and the trail's path.
    fn setup_durable(opts: RelayOptions) -> Durable {
        setup_durable_with(opts, true)
    }

    /// Like [`setup_durable`]; `spool` false makes every acknowledgement a SQLite commit.
    fn setup_durable_with(opts: RelayOptions, spool: bool) -> Durable {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let appender = mcpwall_audit::Appender::open_with(
            &path,
            &mcpwall_audit::StoreOptions::default(),
            mcpwall_audit::AppenderOptions {
                spool,
                ..mcpwall_audit::AppenderOptions::default()
            },
        )
        .unwrap();
        let sink = crate::audit_sink::AppenderSink::new(appender.clone(), None);
        let stack = Arc::new(Stack::minimal(Some(Arc::new(sink)), opts.limits));
        let (client, client_end) = Pipe::pair(8);
        let (server, server_end) = Pipe::pair(8);
        let ctx = SessionCtx::stdio(ServerId::from_program("test"));
        let h = tokio::spawn(run_relay(ctx, client_end, server_end, stack, opts));
        (client, server, h, dir, path, appender)
    }

    /// Whether a record of `kind` for request id `id` is on disk: committed (read through a
    /// separate connection, as another process would) or in a spool file (what recovery
    /// appends after a crash). Also asserts it is committed at most once.
    fn on_disk(path: &std::path::Path, kind: mcpwall_audit::EventKind, id: &str) -> usize {
        let store = mcpwall_audit::Store::open_existing(path).unwrap();
        let committed = store
            .query(&mcpwall_audit::Filter {
                kind: Some(kind.clone()),
                ..Default::default()
            })
            .unwrap()
            .iter()
            .filter(|r| r.event.request_id.as_deref() == Some(id))
            .count();
        assert!(committed <= 1, "{committed} committed records for {id}");
        let mut spooled = 0;
        if let Ok(dir) = std::fs::read_dir(mcpwall_audit::spool_dir(path)) {
            for f in dir {
                let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
                for line in text.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap();
                    let e: mcpwall_audit::Event = serde_json::from_value(v["e"].clone()).unwrap();
                    if e.kind == kind && e.request_id.as_deref() == Some(id) {
                        spooled += 1;
                    }
                }
            }
        }
        usize::from(committed + spooled > 0)
    }

    #[tokio::test]
    async fn a_response_reaches_the_client_only_after_its_record_is_durable() {
        for spool in [true, false] {
            response_after_durable_record(spool).await;
        }
    }

    async fn response_after_durable_record(spool: bool) {
        let (mut client, mut server, _h, _dir, path, _appender) =
            setup_durable_with(RelayOptions::default(), spool);
        for i in 0..20 {
            let req = format!(
                r#"{{"jsonrpc":"2.0","id":{i},"method":"tools/call","params":{{"name":"echo","arguments":{{"m":"{i}"}}}}}}"#
            );
            client.tx.send(b(&req)).await.unwrap();
            server.rx.recv().await.unwrap();
            let resp = format!(r#"{{"jsonrpc":"2.0","id":{i},"result":{{"content":[]}}}}"#);
            server.tx.send(b(&resp)).await.unwrap();
            assert_eq!(client.rx.recv().await.unwrap(), b(&resp));
            // The client has the answer: both records must already be on disk (without the
            // spool: committed).
            let id = i.to_string();
            assert_eq!(on_disk(&path, mcpwall_audit::EventKind::Call, &id), 1);
            assert_eq!(on_disk(&path, mcpwall_audit::EventKind::Result, &id), 1);
        }
    }

    #[tokio::test]
    async fn a_denial_reaches_the_client_only_after_its_record_is_durable() {
        let (mut client, _server, _h, _dir, path, _appender) = setup_durable(RelayOptions {
            limits: Limits {
                max_message_bytes: 1 << 20,
                max_depth: 3,
            },
            ..RelayOptions::default()
        });
        // Deeper than the stack's limit (the relay parses to the hard bound; the stack denies).
        client
            .tx
            .send(b(
                r#"{"jsonrpc":"2.0","id":"deep","method":"x","params":{"a":{"b":{"c":{}}}}}"#,
            ))
            .await
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["id"], "deep");
        assert_eq!(
            on_disk(&path, mcpwall_audit::EventKind::Denial, "\"deep\""),
            1
        );
    }

    #[tokio::test]
    async fn a_failed_audit_withholds_the_answer() {
        let (mut client, mut server, _h, _dir, _path, appender) =
            setup_durable(RelayOptions::default());
        client
            .tx
            .send(b(
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#,
            ))
            .await
            .unwrap();
        server.rx.recv().await.unwrap();
        // The writer stops: nothing more can be recorded, so nothing more may be answered.
        appender.close().unwrap();
        server
            .tx
            .send(b(r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"secret"}]}}"#))
            .await
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["id"], 1);
        assert_eq!(v["error"]["code"], CODE_CHECK_FAILED);
        assert!(v.get("result").is_none());
    }

    #[tokio::test]
    async fn stop_records_session_end() {
        let sink = MemorySink::default();
        let stack = Arc::new(Stack::minimal(
            Some(Arc::new(sink.clone())),
            Limits::default(),
        ));
        let (_client, client_end) = Pipe::pair(8);
        let (_server, server_end) = Pipe::pair(8);
        let ctx = SessionCtx::stdio(ServerId::from_program("test"));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let h = tokio::spawn(Relay::new(ctx, stack, RelayOptions::default()).run_until(
            client_end,
            server_end,
            async move {
                let _ = stop_rx.await;
            },
        ));
        stop_tx.send(()).unwrap();
        assert_eq!(h.await.unwrap(), RelayOutcome::Stopped);
        let ev = sink.events();
        let last = ev.last().unwrap();
        assert_eq!(last.kind, EventKind::SessionEnd);
        assert_eq!(last.detail.as_deref(), Some("gateway stopped (signal)"));
    }

    #[tokio::test]
    async fn oversize_line_from_server_answers_the_waiting_request() {
        let (mut client, mut server, _h, sink) = setup(RelayOptions::default());
        client
            .tx
            .send(b(
                r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"big"}}"#,
            ))
            .await
            .unwrap();
        server.rx.recv().await.unwrap();
        // What the stdio upstream sends in place of a line over the cap.
        server
            .tx
            .send(crate::front::stdio::oversize_marker(5000, 4096))
            .await
            .unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
        assert_eq!(v["id"], 9);
        assert_eq!(v["error"]["code"], crate::stack::CODE_LIMIT);
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exceeds the line limit of 4096 bytes"));
        let denial = sink
            .events()
            .into_iter()
            .find(|e| e.kind == EventKind::Denial)
            .expect("oversize line audited");
        assert_eq!(denial.rule.as_deref(), Some("limits.max_message_bytes"));
        assert_eq!(denial.request_id.as_deref(), Some("9"));
        assert_eq!(denial.tool.as_deref(), Some("big"));
        // The late real answer (if any) is not delivered twice: the request is gone.
        server
            .tx
            .send(b(r#"{"jsonrpc":"2.0","id":9,"result":{}}"#))
            .await
            .unwrap();
        ping_round_trip(&mut client, &mut server, 10).await;
    }

    /// Restarts the "server" by handing out fresh pipes; each new server end goes to the test.
    struct PipeReconnect(Mutex<mpsc::UnboundedSender<Pipe>>);

    impl Reconnect for PipeReconnect {
        fn reconnect(&self) -> ReconnectFuture<'_> {
            Box::pin(async move {
                let (ours, theirs) = Pipe::pair(8);
                self.0
                    .lock()
                    .unwrap()
                    .send(theirs)
                    .map_err(|_| ReconnectError("test ended".into()))?;
                Ok(ours)
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn restarts_count_consecutive_failures_not_all_failures() {
        let sink = MemorySink::default();
        let stack = Arc::new(Stack::minimal(
            Some(Arc::new(sink.clone())),
            Limits::default(),
        ));
        let (mut client, client_end) = Pipe::pair(8);
        let (server, server_end) = Pipe::pair(8);
        let (new_tx, mut new_rx) = mpsc::unbounded_channel();
        let opts = RelayOptions {
            restart: RestartPolicy::OnFailure {
                max_restarts: 1,
                backoff: Duration::from_millis(10),
            },
            ..RelayOptions::default()
        };
        let ctx = SessionCtx::stdio(ServerId::from_program("test"));
        let h = tokio::spawn(
            Relay::new(ctx, stack, opts)
                .with_reconnect(Arc::new(PipeReconnect(Mutex::new(new_tx))))
                .run(client_end, server_end),
        );
        // With one restart allowed in a row, a server that answers between crashes is
        // restarted every time.
        drop(server);
        for round in 0..3 {
            let mut server: Pipe = new_rx.recv().await.unwrap();
            let id = 100 + round;
            client
                .tx
                .send(b(&format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#
                )))
                .await
                .unwrap();
            // Anything from the client before the restart finished was refused; wait for ours.
            let got = server.rx.recv().await.unwrap();
            assert!(std::str::from_utf8(&got).unwrap().contains(&id.to_string()));
            server
                .tx
                .send(b(&format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"result":{{}}}}"#
                )))
                .await
                .unwrap();
            let v: serde_json::Value =
                serde_json::from_slice(&client.rx.recv().await.unwrap()).unwrap();
            assert_eq!(v["id"], id);
            drop(server); // crash after answering
        }
        // Now a server that crashes without answering anything: one restart, then the end.
        let server: Pipe = new_rx.recv().await.unwrap();
        drop(server);
        assert_eq!(
            h.await.unwrap(),
            RelayOutcome::UpstreamClosed { restarts: 4 }
        );
    }

    #[tokio::test]
    async fn restart_policy_parses() {
        assert_eq!("never".parse::<RestartPolicy>(), Ok(RestartPolicy::Never));
        assert!(matches!(
            "on-failure".parse::<RestartPolicy>(),
            Ok(RestartPolicy::OnFailure { .. })
        ));
        assert!("sometimes".parse::<RestartPolicy>().is_err());
    }
}
