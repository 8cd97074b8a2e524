//! Shared mode: many client sessions multiplexed over one upstream (one stdio child).
//!
//! Opt-in per server (`shared = true`), because sessions then share the server's state. What
//! the multiplexer guarantees:
//! - request ids never collide: every client request goes upstream under a fresh id
//!   (`"mcpwall-N"`), and its response comes back under the client's own id, to that session
//!   only; progress tokens are rewritten the same way;
//! - server-to-client messages reach only the session they belong to: responses by id,
//!   progress by token, cancellations of server requests by the request they cancel. A server
//!   request (sampling, elicitation, roots) goes to the one session with requests in flight;
//!   when several have, no session can be named, and the server gets an error instead of a
//!   guess. Notifications that concern no request (`list_changed`, logging, resource updates)
//!   go to every session;
//! - the handshake happens once: the first session's `initialize` goes upstream; its result is
//!   cached and replayed (under their own ids) to every later session, whose `initialize` and
//!   `notifications/initialized` are not forwarded. `server/discover` is forwarded like any
//!   request.
//!
//! Messages the multiplexer rewrites are re-serialized; everything else passes as it came.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::relay::Pipe;

const DEPTH: usize = 64;

/// One upstream shared by many sessions. Cloning shares it.
#[derive(Clone)]
pub struct Shared {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("sessions", &self.inner.state().sessions.len())
            .finish()
    }
}

struct Inner {
    to_server: mpsc::Sender<Bytes>,
    state: Mutex<MuxState>,
    next: AtomicU64,
}

#[derive(Default)]
struct MuxState {
    /// Live sessions and the channel to each.
    sessions: HashMap<u64, mpsc::Sender<Bytes>>,
    /// Upstream request id (JSON text) -> owning session and the client's original id.
    inflight: HashMap<String, InFlight>,
    /// Upstream progress token (JSON text) -> session and the client's original token.
    progress: HashMap<String, (u64, Value)>,
    /// Server request id (JSON text) -> the session it was sent to.
    server_reqs: HashMap<String, u64>,
    init: Init,
    initialized_sent: bool,
}

struct InFlight {
    session: u64,
    original: Value,
    token: Option<String>,
    is_init: bool,
}

#[derive(Default)]
enum Init {
    /// No session has sent `initialize` yet.
    #[default]
    None,
    /// The first `initialize` is upstream; these (session, id) wait for its result.
    Pending(Vec<(u64, Value)>),
    /// The handshake result, replayed to later sessions.
    Done(Value),
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, MuxState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Shared {
    /// Multiplexes sessions over `upstream`. The upstream is closed when every clone of this
    /// handle and every session is gone.
    pub fn new(upstream: Pipe) -> Self {
        let Pipe { tx, rx } = upstream;
        let inner = Arc::new(Inner {
            to_server: tx,
            state: Mutex::new(MuxState::default()),
            next: AtomicU64::new(1),
        });
        tokio::spawn(read_server(Arc::downgrade(&inner), rx));
        Self { inner }
    }

    /// Number of live sessions.
    pub fn sessions(&self) -> usize {
        self.inner.state().sessions.len()
    }

    /// Opens a session; returns its end of the pipe (what the relay sees as its upstream).
    pub fn open(&self) -> Pipe {
        let key = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let (to_session, rx) = mpsc::channel(DEPTH);
        let (tx, from_session) = mpsc::channel(DEPTH);
        self.inner.state().sessions.insert(key, to_session);
        tokio::spawn(write_client(self.inner.clone(), key, from_session));
        Pipe { tx, rx }
    }
}

fn key(v: &Value) -> String {
    v.to_string()
}

fn to_bytes(v: &Value) -> Bytes {
    Bytes::from(v.to_string())
}

/// Reads one session's messages and forwards them upstream, rewritten.
async fn write_client(inner: Arc<Inner>, session: u64, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(msg) = rx.recv().await {
        let items = match serde_json::from_slice::<Value>(&msg) {
            Ok(Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(_) => {
                // Not JSON: the relay's checks refuse these before us; pass it on unchanged.
                let _ = inner.to_server.send(msg).await;
                continue;
            }
        };
        for item in items {
            let (upstream, local) = client_message(&inner, session, item);
            if let Some(reply) = local {
                let tx = inner.state().sessions.get(&session).cloned();
                if let Some(tx) = tx {
                    let _ = tx.send(reply).await;
                }
            }
            if let Some(up) = upstream {
                if inner.to_server.send(up).await.is_err() {
                    break;
                }
            }
        }
    }
    // The session ended: forget it, and cancel what it still had in flight upstream.
    let cancels: Vec<Bytes> = {
        let mut st = inner.state();
        st.sessions.remove(&session);
        let mine: Vec<String> = st
            .inflight
            .iter()
            .filter(|(_, f)| f.session == session)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &mine {
            st.inflight.remove(k);
        }
        st.progress.retain(|_, (s, _)| *s != session);
        st.server_reqs.retain(|_, s| *s != session);
        if let Init::Pending(w) = &mut st.init {
            w.retain(|(s, _)| *s != session);
        }
        mine.iter()
            .filter_map(|k| serde_json::from_str::<Value>(k).ok())
            .map(|id| to_bytes(&json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":id,"reason":"client session ended"}})))
            .collect()
    };
    for c in cancels {
        let _ = inner.to_server.send(c).await;
    }
}

/// Rewrites one client message: what to send upstream, and what to answer locally.
fn client_message(inner: &Inner, session: u64, mut v: Value) -> (Option<Bytes>, Option<Bytes>) {
    let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
    let id = v.get("id").filter(|i| !i.is_null()).cloned();
    let mut st = inner.state();
    match (method.as_deref(), id) {
        (Some("initialize"), Some(id)) => match &mut st.init {
            Init::Done(result) => {
                let reply = json!({"jsonrpc":"2.0","id":id,"result":result});
                (None, Some(to_bytes(&reply)))
            }
            Init::Pending(waiters) => {
                waiters.push((session, id));
                (None, None)
            }
            Init::None => {
                st.init = Init::Pending(Vec::new());
                let up = rewrite_request(inner, &mut st, session, &mut v, id, true);
                (Some(up), None)
            }
        },
        (Some(_), Some(id)) => {
            let up = rewrite_request(inner, &mut st, session, &mut v, id, false);
            (Some(up), None)
        }
        (Some("notifications/initialized"), None) => {
            if st.initialized_sent {
                (None, None)
            } else {
                st.initialized_sent = true;
                (Some(to_bytes(&v)), None)
            }
        }
        (Some("notifications/cancelled"), None) => {
            let wanted = v.pointer("/params/requestId").cloned();
            let upstream_id = wanted.and_then(|w| {
                st.inflight
                    .iter()
                    .find(|(_, f)| f.session == session && f.original == w)
                    .map(|(k, _)| k.clone())
            });
            match upstream_id.and_then(|k| serde_json::from_str::<Value>(&k).ok()) {
                Some(up) => {
                    if let Some(p) = v.pointer_mut("/params/requestId") {
                        *p = up;
                    }
                    (Some(to_bytes(&v)), None)
                }
                None => (None, None),
            }
        }
        (Some(_), None) => (Some(to_bytes(&v)), None),
        (None, Some(id)) => {
            // A response to a server request: only the session it was sent to may answer.
            let k = key(&id);
            if st.server_reqs.get(&k) == Some(&session) {
                st.server_reqs.remove(&k);
                (Some(to_bytes(&v)), None)
            } else {
                tracing::warn!(session, id = %k, "shared mode: response to a server request this session was not sent; dropped");
                (None, None)
            }
        }
        (None, None) => (None, None),
    }
}

fn rewrite_request(
    inner: &Inner,
    st: &mut MuxState,
    session: u64,
    v: &mut Value,
    original: Value,
    is_init: bool,
) -> Bytes {
    let n = inner.next.fetch_add(1, Ordering::Relaxed);
    let up_id = Value::String(format!("mcpwall-{n}"));
    if let Some(id) = v.get_mut("id") {
        *id = up_id.clone();
    }
    let mut token = None;
    if let Some(t) = v.pointer_mut("/params/_meta/progressToken") {
        let up_token = Value::String(format!("mcpwall-p-{n}"));
        let orig = std::mem::replace(t, up_token.clone());
        st.progress.insert(key(&up_token), (session, orig));
        token = Some(key(&up_token));
    }
    st.inflight.insert(
        key(&up_id),
        InFlight {
            session,
            original,
            token,
            is_init,
        },
    );
    to_bytes(v)
}

/// Reads the server's messages and routes each to its session(s).
async fn read_server(inner: std::sync::Weak<Inner>, mut rx: mpsc::Receiver<Bytes>) {
    while let Some(msg) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        let items = match serde_json::from_slice::<Value>(&msg) {
            Ok(Value::Array(items)) => items,
            Ok(v) => vec![v],
            Err(_) => {
                tracing::warn!("shared mode: server sent invalid json; dropped");
                continue;
            }
        };
        for item in items {
            let (deliveries, reply) = server_message(&inner, item);
            for (tx, bytes) in deliveries {
                let _ = tx.send(bytes).await;
            }
            if let Some(r) = reply {
                let _ = inner.to_server.send(r).await;
            }
        }
    }
    // The server is gone: dropping the session senders ends every session's pipe.
    if let Some(inner) = inner.upgrade() {
        inner.state().sessions.clear();
    }
}

type Deliveries = Vec<(mpsc::Sender<Bytes>, Bytes)>;

fn server_message(inner: &Inner, mut v: Value) -> (Deliveries, Option<Bytes>) {
    let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
    let id = v.get("id").filter(|i| !i.is_null()).cloned();
    let mut st = inner.state();
    let to = |st: &MuxState, s: u64| st.sessions.get(&s).cloned();
    match (method.as_deref(), id) {
        (None, Some(id)) => {
            let Some(f) = st.inflight.remove(&key(&id)) else {
                return (Vec::new(), None);
            };
            if let Some(t) = &f.token {
                st.progress.remove(t);
            }
            let mut out = Vec::new();
            if f.is_init {
                let result = v.get("result").cloned();
                let waiters = match std::mem::take(&mut st.init) {
                    Init::Pending(w) => w,
                    _ => Vec::new(),
                };
                match result {
                    Some(r) => {
                        for (s, wid) in waiters {
                            if let Some(tx) = to(&st, s) {
                                out.push((
                                    tx,
                                    to_bytes(&json!({"jsonrpc":"2.0","id":wid,"result":r})),
                                ));
                            }
                        }
                        st.init = Init::Done(r);
                    }
                    None => {
                        // A failed handshake is not cached: the waiters get the same error, and
                        // the next initialize tries again.
                        let err = v.get("error").cloned().unwrap_or(Value::Null);
                        for (s, wid) in waiters {
                            if let Some(tx) = to(&st, s) {
                                out.push((
                                    tx,
                                    to_bytes(&json!({"jsonrpc":"2.0","id":wid,"error":err})),
                                ));
                            }
                        }
                    }
                }
            }
            if let Some(i) = v.get_mut("id") {
                *i = f.original;
            }
            if let Some(tx) = to(&st, f.session) {
                out.push((tx, to_bytes(&v)));
            }
            (out, None)
        }
        (Some("notifications/progress"), None) => {
            let token = v.pointer("/params/progressToken").map(key);
            let Some((s, orig)) = token.and_then(|t| st.progress.get(&t).cloned()) else {
                return (Vec::new(), None);
            };
            if let Some(t) = v.pointer_mut("/params/progressToken") {
                *t = orig;
            }
            (
                to(&st, s)
                    .map(|tx| (tx, to_bytes(&v)))
                    .into_iter()
                    .collect(),
                None,
            )
        }
        (Some("notifications/cancelled"), None) => {
            // The server withdraws one of its own requests: tell the session that has it.
            let target = v
                .pointer("/params/requestId")
                .map(key)
                .and_then(|k| st.server_reqs.remove(&k));
            (
                target
                    .and_then(|s| to(&st, s))
                    .map(|tx| (tx, to_bytes(&v)))
                    .into_iter()
                    .collect(),
                None,
            )
        }
        (Some(_), None) => {
            // Unrelated to any request: every session hears it.
            let b = to_bytes(&v);
            (
                st.sessions
                    .values()
                    .map(|tx| (tx.clone(), b.clone()))
                    .collect(),
                None,
            )
        }
        (Some(m), Some(id)) => {
            let busy: Vec<u64> = {
                let mut s: Vec<u64> = st.inflight.values().map(|f| f.session).collect();
                s.sort_unstable();
                s.dedup();
                s
            };
            let owner = match (busy.as_slice(), st.sessions.len()) {
                ([one], _) => Some(*one),
                ([], 1) => st.sessions.keys().next().copied(),
                _ => None,
            };
            match owner.and_then(|s| to(&st, s).map(|tx| (s, tx))) {
                Some((s, tx)) => {
                    st.server_reqs.insert(key(&id), s);
                    (vec![(tx, to_bytes(&v))], None)
                }
                None => {
                    tracing::warn!(
                        method = m,
                        "shared mode: server request with no single owning session refused"
                    );
                    let err = json!({"jsonrpc":"2.0","id":id,"error":{"code":-32603,"message":"mcpwall shared mode: cannot tell which client session this request is for"}});
                    (Vec::new(), Some(to_bytes(&err)))
                }
            }
        }
        (None, None) => (Vec::new(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn recv(p: &mut Pipe) -> Value {
        let m = tokio::time::timeout(Duration::from_secs(5), p.rx.recv())
            .await
            .unwrap()
            .unwrap();
        serde_json::from_slice(&m).unwrap()
    }

    #[tokio::test]
    async fn ids_are_rewritten_and_answers_go_home() {
        let (ours, mut server) = Pipe::pair(16);
        let mux = Shared::new(ours);
        let mut a = mux.open();
        let mut b = mux.open();
        let req = |t: &str| {
            Bytes::from(format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{t}","_meta":{{"progressToken":1}}}}}}"#
            ))
        };
        a.tx.send(req("a")).await.unwrap();
        b.tx.send(req("b")).await.unwrap();
        let r1: Value = serde_json::from_slice(&server.rx.recv().await.unwrap()).unwrap();
        let r2: Value = serde_json::from_slice(&server.rx.recv().await.unwrap()).unwrap();
        assert_ne!(r1["id"], r2["id"]);
        assert_ne!(
            r1["params"]["_meta"]["progressToken"],
            r2["params"]["_meta"]["progressToken"]
        );
        // Answer in reverse order, with progress first.
        for r in [&r2, &r1] {
            let tok = &r["params"]["_meta"]["progressToken"];
            server.tx.send(to_bytes(&json!({"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":tok,"progress":1}}))).await.unwrap();
            server
                .tx
                .send(to_bytes(
                    &json!({"jsonrpc":"2.0","id":r["id"],"result":{"who":r["params"]["name"]}}),
                ))
                .await
                .unwrap();
        }
        for (p, who) in [(&mut a, "a"), (&mut b, "b")] {
            let prog = recv(p).await;
            assert_eq!(prog["params"]["progressToken"], 1);
            let res = recv(p).await;
            assert_eq!(res["id"], 1);
            assert_eq!(res["result"]["who"], who);
        }
        // Broadcast notifications reach both.
        server
            .tx
            .send(Bytes::from_static(
                br#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
            ))
            .await
            .unwrap();
        assert_eq!(
            recv(&mut a).await["method"],
            "notifications/tools/list_changed"
        );
        assert_eq!(
            recv(&mut b).await["method"],
            "notifications/tools/list_changed"
        );
    }

    #[tokio::test]
    async fn handshake_is_replayed_and_ambiguous_server_requests_refused() {
        let (ours, mut server) = Pipe::pair(16);
        let mux = Shared::new(ours);
        let mut a = mux.open();
        let init = |id: u32| {
            Bytes::from(format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"initialize","params":{{}}}}"#
            ))
        };
        a.tx.send(init(7)).await.unwrap();
        let up: Value = serde_json::from_slice(&server.rx.recv().await.unwrap()).unwrap();
        server
            .tx
            .send(to_bytes(
                &json!({"jsonrpc":"2.0","id":up["id"],"result":{"protocolVersion":"2025-06-18"}}),
            ))
            .await
            .unwrap();
        assert_eq!(recv(&mut a).await["id"], 7);
        let mut b = mux.open();
        b.tx.send(init(9)).await.unwrap();
        let rb = recv(&mut b).await;
        assert_eq!(rb["id"], 9);
        assert_eq!(rb["result"]["protocolVersion"], "2025-06-18");

        // Both sessions busy: a sampling request cannot be attributed.
        a.tx.send(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x"}}"#,
        ))
        .await
        .unwrap();
        b.tx.send(Bytes::from_static(
            br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"y"}}"#,
        ))
        .await
        .unwrap();
        let _ = server.rx.recv().await.unwrap();
        let _ = server.rx.recv().await.unwrap();
        server
            .tx
            .send(Bytes::from_static(
                br#"{"jsonrpc":"2.0","id":50,"method":"sampling/createMessage","params":{}}"#,
            ))
            .await
            .unwrap();
        let refusal: Value = serde_json::from_slice(&server.rx.recv().await.unwrap()).unwrap();
        assert_eq!(refusal["id"], 50);
        assert_eq!(refusal["error"]["code"], -32603);
    }
}
