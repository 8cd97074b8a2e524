//! Streamable HTTP: `POST`, `GET` and `DELETE` on `/mcp/NAME`.

// Handlers return a ready `Response` as their error: that is the axum idiom, and the size
// only matters on the refusal path.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::guard::{admit, Refusal};
use super::headers::{self, Inbound, Kind, HEADER_MISMATCH};
use super::session::{FrontState, Routed, SendError, Session, STREAM_DEPTH};
use super::Transport;

/// Header carrying the session id.
pub(super) const SESSION_HEADER: &str = "mcp-session-id";
const KEEPALIVE: Duration = Duration::from_secs(15);

/// A JSON-RPC error as an HTTP response.
pub(super) fn rpc_error(
    status: StatusCode,
    id: Option<&str>,
    code: i64,
    message: &str,
) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.and_then(|i| serde_json::from_str::<serde_json::Value>(i).ok()),
        "error": { "code": code, "message": format!("mcpwall: {message}") },
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) fn refused(r: Refusal) -> Response {
    let mut resp = rpc_error(r.status, None, -32001, &r.reason);
    if r.challenge {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"mcpwall\""),
        );
    }
    resp
}

/// Admission shared by every route: Origin/Host, token, known server.
pub(super) fn gate(
    state: &FrontState,
    headers: &HeaderMap,
    server: &str,
) -> Result<String, Response> {
    let identity = admit(headers, &state.config.tokens, &state.config.origins).map_err(refused)?;
    if !state.config.servers.contains_key(server) {
        return Err(rpc_error(
            StatusCode::NOT_FOUND,
            None,
            -32601,
            &format!("no server named `{server}`"),
        ));
    }
    Ok(identity)
}

/// Reads a request body up to the configured cap.
pub(super) async fn read_body(
    state: &FrontState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, Response> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        if !ct.starts_with("application/json") {
            return Err(rpc_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                -32600,
                "content-type must be application/json",
            ));
        }
    }
    let limit = state.config.max_body_bytes;
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        rpc_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            -32600,
            &format!("request body exceeds {limit} bytes"),
        )
    })
}

fn session_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get(SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn unknown_session() -> Response {
    rpc_error(
        StatusCode::NOT_FOUND,
        None,
        -32001,
        "session not found; send a new initialize request",
    )
}

/// How the client accepts responses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Json,
    Sse,
    /// Both accepted: JSON when the response comes first, a stream when anything precedes it.
    Either,
}

fn accept_mode(headers: &HeaderMap) -> Option<Mode> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*")
        .to_ascii_lowercase();
    let json = accept.contains("application/json")
        || accept.contains("*/*")
        || accept.contains("application/*");
    let sse = accept.contains("text/event-stream");
    match (json, sse) {
        (true, true) => Some(Mode::Either),
        (true, false) => Some(Mode::Json),
        (false, true) => Some(Mode::Sse),
        (false, false) => None,
    }
}

/// `POST /mcp/NAME`: one JSON-RPC message (or batch) from the client.
pub(super) async fn post(
    State(state): State<Arc<FrontState>>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let identity = match gate(&state, &headers, &server) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(mode) = accept_mode(&headers) else {
        return rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            None,
            -32600,
            "accept must list application/json or text/event-stream",
        );
    };
    let version = match headers::protocol_version(&headers) {
        Ok(v) => v,
        Err(e) => return rpc_error(StatusCode::BAD_REQUEST, None, -32600, &e),
    };
    let inbound = match headers::parse(&body) {
        Ok(i) => i,
        Err((code, msg)) => return rpc_error(StatusCode::BAD_REQUEST, None, code, &msg),
    };
    let first_id = inbound.messages.first().and_then(|m| m.id.clone());
    let stateless = headers::is_stateless(version.as_deref(), &inbound);
    if let Err(e) = headers::check_routing(&headers, &inbound, stateless, version.as_deref()) {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            first_id.as_deref(),
            HEADER_MISMATCH,
            &e,
        );
    }

    let mut new_session = None;
    let session = match session_header(&headers) {
        Some(id) => match state.find(&id, &server, &identity) {
            Some(s) => s,
            None => return unknown_session(),
        },
        None if inbound.handshake().is_some() && !stateless => {
            match state
                .open(&server, &identity, Transport::Streamable, None)
                .await
            {
                Ok(s) => {
                    new_session = Some(s.id.clone());
                    s
                }
                Err(e) => {
                    return rpc_error(
                        StatusCode::BAD_GATEWAY,
                        first_id.as_deref(),
                        -32603,
                        &e.to_string(),
                    )
                }
            }
        }
        None if stateless => {
            // 2026-07-28 has no session id: the session is the identity plus the client as it
            // names itself in `_meta`.
            let client = inbound
                .messages
                .iter()
                .find_map(|m| m.client_name.clone())
                .unwrap_or_default();
            let key = format!("{server}\u{0}{identity}\u{0}{client}");
            match state.stateless(&server, &identity, key).await {
                Ok(s) => s,
                Err(e) => {
                    return rpc_error(
                        StatusCode::BAD_GATEWAY,
                        first_id.as_deref(),
                        -32603,
                        &e.to_string(),
                    )
                }
            }
        }
        None => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                first_id.as_deref(),
                -32600,
                "missing mcp-session-id header; start with initialize",
            )
        }
    };

    let mut resp = dispatch(&state, &session, body, &inbound, mode).await;
    if let Some(id) = new_session {
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert(SESSION_HEADER, v);
        }
    }
    resp
}

/// Unregisters a POST's requests when its response (or stream) is dropped early.
struct RequestGuard {
    session: Arc<Session>,
    ids: Vec<String>,
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.session.unregister(&self.ids);
    }
}

async fn dispatch(
    state: &Arc<FrontState>,
    session: &Arc<Session>,
    body: Bytes,
    inbound: &Inbound,
    mode: Mode,
) -> Response {
    if !inbound.has_requests() {
        return match session.send(state, body).await {
            Ok(()) => StatusCode::ACCEPTED.into_response(),
            Err(_) => unknown_session(),
        };
    }
    let reqs: Vec<(String, Option<String>)> = inbound
        .messages
        .iter()
        .filter(|m| m.kind == Kind::Request)
        .filter_map(|m| m.id.clone().map(|id| (id, m.progress_token.clone())))
        .collect();
    let (tx, mut rx) = mpsc::channel::<Routed>(STREAM_DEPTH);
    if let Err(SendError::DuplicateId(id)) = session.register(&reqs, &tx) {
        return rpc_error(
            StatusCode::CONFLICT,
            Some(&id),
            -32600,
            &format!("request id {id} is already in flight in this session"),
        );
    }
    drop(tx);
    let guard = RequestGuard {
        session: session.clone(),
        ids: reqs.iter().map(|r| r.0.clone()).collect(),
    };
    if session.send(state, body).await.is_err() {
        return unknown_session();
    }
    let expected = reqs.len();

    if mode == Mode::Sse {
        return sse_response(stream_until_done(rx, expected, Vec::new(), guard));
    }
    // JSON (or either): gather until every response is in, unless something else arrives
    // first and the client can take a stream.
    let mut responses = Vec::with_capacity(expected);
    let mut early = Vec::new();
    while responses.len() < expected {
        let next = tokio::select! {
            m = rx.recv() => m,
            () = session.closed.cancelled() => None,
        };
        match next {
            Some((msg, true)) => responses.push(msg),
            Some((msg, false)) if mode == Mode::Either => {
                early.extend(responses.drain(..).map(|m| (m, true)));
                early.push((msg, false));
                let done = expected - early.iter().filter(|m| m.1).count();
                return sse_response(stream_until_done(rx, done, early, guard));
            }
            // JSON only: a related server message has no stream to travel on.
            Some((_, false)) => {
                tracing::debug!(session = %session.id, "related server message dropped: client accepts json only")
            }
            None => {
                return rpc_error(
                    StatusCode::BAD_GATEWAY,
                    None,
                    -32603,
                    "upstream server closed the session",
                )
            }
        }
    }
    drop(guard);
    let body = if inbound.batch {
        let mut out =
            Vec::with_capacity(responses.iter().map(Bytes::len).sum::<usize>() + expected + 1);
        out.push(b'[');
        for (i, r) in responses.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(r);
        }
        out.push(b']');
        Bytes::from(out)
    } else {
        responses.pop().unwrap_or_default()
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// A stream of SSE frames for one POST: `first`, then routed messages until `remaining`
/// responses have been sent.
fn stream_until_done(
    rx: mpsc::Receiver<Routed>,
    remaining: usize,
    first: Vec<Routed>,
    guard: RequestGuard,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let first = futures::stream::iter(
        first
            .into_iter()
            .map(|(m, _)| Ok(mcpwall_protocol::sse::encode(Some("message"), None, &m))),
    );
    let rest = futures::stream::unfold(
        (rx, remaining, guard),
        |(mut rx, remaining, guard)| async move {
            if remaining == 0 {
                return None;
            }
            let (msg, is_response) = rx.recv().await?;
            let frame = mcpwall_protocol::sse::encode(Some("message"), None, &msg);
            Some((Ok(frame), (rx, remaining - usize::from(is_response), guard)))
        },
    );
    first.chain(rest)
}

pub(super) fn sse_response(
    stream: impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// A standalone stream: every message on `rx` as an SSE frame, with keep-alive comments,
/// until the session ends or the stream is replaced. `on_drop` runs when it ends.
pub(super) fn standalone_stream(
    session: Arc<Session>,
    rx: mpsc::Receiver<Routed>,
    prelude: Vec<Bytes>,
    on_drop: Option<Box<dyn FnOnce() + Send>>,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    struct OnDrop(Option<Box<dyn FnOnce() + Send>>);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    let prelude = futures::stream::iter(prelude.into_iter().map(Ok));
    let mut tick = tokio::time::interval(KEEPALIVE);
    tick.reset();
    let body = futures::stream::unfold(
        (rx, tick, session, OnDrop(on_drop)),
        |(mut rx, mut tick, session, g)| async move {
            let frame = tokio::select! {
                m = rx.recv() => mcpwall_protocol::sse::encode(Some("message"), None, &m?.0),
                _ = tick.tick() => mcpwall_protocol::sse::comment("keep-alive"),
                () = session.closed.cancelled() => return None,
            };
            Some((Ok(frame), (rx, tick, session, g)))
        },
    );
    prelude.chain(body)
}

/// `GET /mcp/NAME`: the standalone stream of server-initiated messages.
pub(super) async fn get(
    State(state): State<Arc<FrontState>>,
    Path(server): Path<String>,
    headers: HeaderMap,
) -> Response {
    let identity = match gate(&state, &headers, &server) {
        Ok(i) => i,
        Err(r) => return r,
    };
    if headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        == Some(headers::STATELESS_VERSION)
    {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    if accept_mode(&headers).is_none_or(|m| m == Mode::Json) {
        return rpc_error(
            StatusCode::NOT_ACCEPTABLE,
            None,
            -32600,
            "accept must list text/event-stream",
        );
    }
    let Some(id) = session_header(&headers) else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            None,
            -32600,
            "missing mcp-session-id header",
        );
    };
    let Some(session) = state.find(&id, &server, &identity) else {
        return unknown_session();
    };
    let (tx, rx) = mpsc::channel(STREAM_DEPTH);
    let backlog = session.open_standalone(tx);
    let prelude = backlog
        .iter()
        .map(|m| mcpwall_protocol::sse::encode(Some("message"), None, m))
        .collect();
    sse_response(standalone_stream(session, rx, prelude, None).boxed())
}

/// `DELETE /mcp/NAME`: the client ends its session.
pub(super) async fn delete(
    State(state): State<Arc<FrontState>>,
    Path(server): Path<String>,
    headers: HeaderMap,
) -> Response {
    let identity = match gate(&state, &headers, &server) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(id) = session_header(&headers) else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            None,
            -32600,
            "missing mcp-session-id header",
        );
    };
    if state.find(&id, &server, &identity).is_none() {
        return unknown_session();
    }
    state.close(&id);
    StatusCode::NO_CONTENT.into_response()
}
