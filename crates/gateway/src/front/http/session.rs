//! HTTP client sessions: the table of live sessions, and the per-session task that reads the
//! server's messages and routes each one to the HTTP stream it belongs to.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ConnectError, HttpFrontConfig, SessionStart, Transport};

/// Server-initiated messages kept for a session until it opens its GET stream.
const BACKLOG_LIMIT: usize = 256;
/// Depth of each per-stream channel; a slow reader applies backpressure to its session.
pub(super) const STREAM_DEPTH: usize = 64;

/// One routed server message: the bytes, and whether it is a response (which ends a request).
pub(super) type Routed = (Bytes, bool);

/// Shared state of the front.
pub(super) struct FrontState {
    pub config: HttpFrontConfig,
    sessions: Mutex<HashMap<Arc<str>, Arc<Session>>>,
    /// Stateless sessions by derived key; the async lock serialises their creation.
    stateless: tokio::sync::Mutex<HashMap<String, Arc<Session>>>,
    epoch: Instant,
}

impl FrontState {
    pub fn new(config: HttpFrontConfig) -> Arc<Self> {
        Arc::new(Self {
            config,
            sessions: Mutex::new(HashMap::new()),
            stateless: tokio::sync::Mutex::new(HashMap::new()),
            epoch: Instant::now(),
        })
    }

    fn now(&self) -> u64 {
        self.epoch.elapsed().as_secs()
    }

    fn table(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Session>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live session `id`, if it exists and belongs to `server` and `identity`.
    pub fn find(&self, id: &str, server: &str, identity: &str) -> Option<Arc<Session>> {
        let s = self.table().get(id).cloned()?;
        // A session id is not a capability on its own: it must be presented by the same
        // identity, for the same server, that opened it.
        (&*s.server == server && &*s.identity == identity && !s.closed.is_cancelled()).then_some(s)
    }

    /// Opens a new session through the server's connector.
    pub async fn open(
        self: &Arc<Self>,
        server: &str,
        identity: &str,
        transport: Transport,
        id: Option<String>,
    ) -> Result<Arc<Session>, ConnectError> {
        let connector = self
            .config
            .servers
            .get(server)
            .cloned()
            .ok_or_else(|| ConnectError {
                server: server.to_owned(),
                reason: "no such server".to_owned(),
            })?;
        let id: Arc<str> = id
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
            .into();
        let start = SessionStart {
            server: server.into(),
            identity: identity.into(),
            session_id: id.clone(),
            transport,
        };
        let pipe = connector.open(start).await?;
        let session = Arc::new(Session {
            id: id.clone(),
            server: server.into(),
            identity: identity.into(),
            transport,
            to_upstream: Mutex::new(Some(pipe.tx)),
            routes: Mutex::new(Routes::default()),
            last_active: AtomicU64::new(self.now()),
            closed: CancellationToken::new(),
        });
        self.table().insert(id, session.clone());
        tokio::spawn(pump(Arc::downgrade(self), session.clone(), pipe.rx));
        tracing::debug!(session = %session.id, server, identity, transport = transport.as_str(), "http session opened");
        Ok(session)
    }

    /// The stateless session for `key`, opened on first use.
    pub async fn stateless(
        self: &Arc<Self>,
        server: &str,
        identity: &str,
        key: String,
    ) -> Result<Arc<Session>, ConnectError> {
        let mut map = self.stateless.lock().await;
        if let Some(s) = map.get(&key) {
            if !s.closed.is_cancelled() {
                return Ok(s.clone());
            }
        }
        let id = {
            use sha2::Digest;
            let h = sha2::Sha256::digest(key.as_bytes());
            format!("stateless-{}", hex::encode(&h[..12]))
        };
        let s = self
            .open(server, identity, Transport::Stateless, Some(id))
            .await?;
        map.insert(key, s.clone());
        Ok(s)
    }

    /// Ends session `id` (client DELETE, stream closed, idle, upstream gone).
    pub fn close(&self, id: &str) {
        let s = self.table().remove(id);
        if let Some(s) = s {
            s.shutdown();
            tracing::debug!(session = %s.id, "http session closed");
        }
    }

    /// Ends every session (server shutdown).
    pub fn close_all(&self) {
        let all: Vec<_> = self.table().drain().map(|(_, s)| s).collect();
        for s in all {
            s.shutdown();
        }
    }

    fn touch(&self, s: &Session) {
        s.last_active.store(self.now(), Ordering::Relaxed);
    }
}

/// Closes sessions idle for longer than the configured timeout; runs until aborted.
pub(super) async fn reap_idle(state: Arc<FrontState>) {
    let every =
        (state.config.idle_timeout / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = state.now();
        let limit = state.config.idle_timeout.as_secs();
        let idle: Vec<Arc<str>> = state
            .table()
            .values()
            .filter(|s| {
                now.saturating_sub(s.last_active.load(Ordering::Relaxed)) >= limit && s.is_quiet()
            })
            .map(|s| s.id.clone())
            .collect();
        for id in idle {
            state.close(&id);
        }
        state
            .stateless
            .lock()
            .await
            .retain(|_, s| !s.closed.is_cancelled());
    }
}

/// One client session of the HTTP front.
pub(super) struct Session {
    pub id: Arc<str>,
    pub server: Arc<str>,
    pub identity: Arc<str>,
    pub transport: Transport,
    to_upstream: Mutex<Option<mpsc::Sender<Bytes>>>,
    routes: Mutex<Routes>,
    last_active: AtomicU64,
    /// Cancelled when the session ends; open streams watch it.
    pub closed: CancellationToken,
}

#[derive(Default)]
struct Routes {
    /// In-flight client requests (id as JSON text) and the stream awaiting each response.
    pending: HashMap<String, mpsc::Sender<Routed>>,
    /// Progress tokens of in-flight requests, and the request id each belongs to.
    progress: HashMap<String, String>,
    /// The standalone stream (GET, or the legacy SSE stream).
    standalone: Option<mpsc::Sender<Routed>>,
    /// Server-initiated messages waiting for a standalone stream.
    backlog: VecDeque<Bytes>,
}

/// Why a client message could not be sent on.
#[derive(Debug)]
pub(super) enum SendError {
    /// The session has ended.
    Closed,
    /// A request with this id is already in flight in this session.
    DuplicateId(String),
}

impl Session {
    fn routes(&self) -> MutexGuard<'_, Routes> {
        self.routes.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_quiet(&self) -> bool {
        let r = self.routes();
        r.pending.is_empty() && r.standalone.as_ref().is_none_or(|s| s.is_closed())
    }

    fn shutdown(&self) {
        self.closed.cancel();
        // Dropping the sender tells the relay (and so the upstream) that the client is gone.
        self.to_upstream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let mut r = self.routes();
        r.pending.clear();
        r.progress.clear();
        r.standalone = None;
    }

    /// Registers the requests of one POST, so their responses and related messages come to
    /// `tx`. Fails if an id is already in flight.
    pub fn register(
        &self,
        reqs: &[(String, Option<String>)],
        tx: &mpsc::Sender<Routed>,
    ) -> Result<(), SendError> {
        let mut r = self.routes();
        let mut seen = HashSet::new();
        for (id, _) in reqs {
            if r.pending.contains_key(id) || !seen.insert(id) {
                return Err(SendError::DuplicateId(id.clone()));
            }
        }
        for (id, token) in reqs {
            r.pending.insert(id.clone(), tx.clone());
            if let Some(t) = token {
                r.progress.insert(t.clone(), id.clone());
            }
        }
        Ok(())
    }

    /// Forgets requests whose POST went away (their responses are then dropped).
    pub fn unregister(&self, ids: &[String]) {
        let mut r = self.routes();
        for id in ids {
            r.pending.remove(id);
        }
        r.progress.retain(|_, v| !ids.contains(v));
    }

    /// Installs the standalone stream, replacing (and so ending) an older one, and hands it
    /// the backlog.
    pub fn open_standalone(&self, tx: mpsc::Sender<Routed>) -> Vec<Bytes> {
        let mut r = self.routes();
        r.standalone = Some(tx);
        r.backlog.drain(..).collect()
    }

    /// Sends one client message towards the server.
    pub async fn send(&self, state: &FrontState, msg: Bytes) -> Result<(), SendError> {
        state.touch(self);
        let tx = self
            .to_upstream
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match tx {
            Some(tx) => tx.send(msg).await.map_err(|_| SendError::Closed),
            None => Err(SendError::Closed),
        }
    }

    /// Where a server message goes; `None` means it was kept in the backlog or dropped.
    fn route(&self, msg: &Bytes, peek: &Peek) -> Option<(mpsc::Sender<Routed>, bool)> {
        let mut r = self.routes();
        let is_response = peek.method.is_none() && peek.id.is_some();
        if self.transport == Transport::LegacySse {
            // One stream carries everything in HTTP+SSE.
            return r.standalone.clone().map(|t| (t, is_response));
        }
        if is_response {
            let id = peek.id.as_ref().map(Value::to_string).unwrap_or_default();
            let tx = r.pending.remove(&id);
            if tx.is_some() {
                r.progress.retain(|_, v| *v != id);
            } else {
                tracing::debug!(session = %self.id, id, "response for no pending request dropped");
            }
            return tx.map(|t| (t, true));
        }
        // A progress notification goes to the stream of the request that asked for it.
        if peek.method.as_deref() == Some("notifications/progress") {
            if let Some(token) = peek.params.as_ref().and_then(|p| p.progress_token.as_ref()) {
                let key = token.to_string();
                if let Some(tx) = r.progress.get(&key).and_then(|id| r.pending.get(id)) {
                    return Some((tx.clone(), false));
                }
            }
        }
        if let Some(tx) = r.standalone.as_ref().filter(|t| !t.is_closed()) {
            return Some((tx.clone(), false));
        }
        // No GET stream: a server request or notification sent while exactly one request is
        // in flight belongs to that request's stream (that is how a stdio server issues
        // sampling or elicitation while handling a call).
        if r.pending.len() == 1 {
            if let Some(tx) = r.pending.values().next() {
                return Some((tx.clone(), false));
            }
        }
        if r.backlog.len() >= BACKLOG_LIMIT {
            r.backlog.pop_front();
            tracing::warn!(session = %self.id, "server message backlog full; oldest dropped");
        }
        r.backlog.push_back(msg.clone());
        None
    }

    /// The upstream ended: every waiting request gets an error, every stream ends.
    fn upstream_gone(&self) -> Vec<(mpsc::Sender<Routed>, Bytes)> {
        let mut r = self.routes();
        let pending: Vec<_> = r.pending.drain().collect();
        r.progress.clear();
        r.standalone = None;
        pending
            .into_iter()
            .map(|(id, tx)| {
                let body = format!(
                    r#"{{"jsonrpc":"2.0","id":{id},"error":{{"code":-32603,"message":"mcpwall: upstream server closed the session"}}}}"#
                );
                (tx, Bytes::from(body))
            })
            .collect()
    }
}

/// The fields routing needs from a server message; the rest is skipped unparsed.
#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<PeekParams>,
    #[serde(default)]
    #[allow(dead_code)]
    result: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct PeekParams {
    #[serde(default, rename = "progressToken")]
    progress_token: Option<Value>,
}

/// Reads the server's messages for one session and routes them.
async fn pump(
    state: std::sync::Weak<FrontState>,
    session: Arc<Session>,
    mut rx: mpsc::Receiver<Bytes>,
) {
    loop {
        let msg = tokio::select! {
            m = rx.recv() => m,
            () = session.closed.cancelled() => None,
        };
        let Some(msg) = msg else { break };
        if let Some(st) = state.upgrade() {
            st.touch(&session);
        }
        for one in split_batch(msg) {
            let peek = match serde_json::from_slice::<Peek>(&one) {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(session = %session.id, error = %e, "unroutable server message dropped");
                    continue;
                }
            };
            if let Some((tx, is_response)) = session.route(&one, &peek) {
                // A closed stream (client went away) just drops the message.
                let _ = tx.send((one, is_response)).await;
            }
        }
    }
    for (tx, err) in session.upstream_gone() {
        let _ = tx.send((err, true)).await;
    }
    if let Some(st) = state.upgrade() {
        st.close(&session.id);
    }
}

/// A server batch (JSON array) is routed element by element.
fn split_batch(msg: Bytes) -> Vec<Bytes> {
    let first = msg.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first != Some(b'[') {
        return vec![msg];
    }
    match serde_json::from_slice::<Vec<Value>>(&msg) {
        Ok(items) => items
            .iter()
            .filter_map(|v| serde_json::to_vec(v).ok())
            .map(Bytes::from)
            .collect(),
        Err(_) => vec![msg],
    }
}
