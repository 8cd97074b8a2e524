//! Legacy HTTP+SSE (protocol 2024-11-05): `GET /sse/NAME` (or `/mcp/NAME/sse`) opens the
//! event stream, whose first event, `endpoint`, names `POST /messages/NAME?session_id=ID`;
//! every server message (responses included) then travels on that one stream.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

use super::headers;
use super::session::{FrontState, STREAM_DEPTH};
use super::streamable::{gate, read_body, rpc_error, sse_response, standalone_stream};
use super::Transport;

/// `GET /sse/NAME`: opens a session and its event stream. The session ends with the stream.
pub(super) async fn open(
    State(state): State<Arc<FrontState>>,
    Path(server): Path<String>,
    headers: HeaderMap,
) -> Response {
    let identity = match gate(&state, &headers, &server) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let session = match state
        .open(&server, &identity, Transport::LegacySse, None)
        .await
    {
        Ok(s) => s,
        Err(e) => return rpc_error(StatusCode::BAD_GATEWAY, None, -32603, &e.to_string()),
    };
    let (tx, rx) = mpsc::channel(STREAM_DEPTH);
    let backlog = session.open_standalone(tx);
    let endpoint = format!("/messages/{server}?session_id={}", session.id);
    let mut prelude = vec![mcpwall_protocol::sse::encode(
        Some("endpoint"),
        None,
        endpoint.as_bytes(),
    )];
    prelude.extend(
        backlog
            .iter()
            .map(|m| mcpwall_protocol::sse::encode(Some("message"), None, m)),
    );
    let weak = Arc::downgrade(&state);
    let id = session.id.clone();
    let on_drop = Box::new(move || {
        if let Some(st) = weak.upgrade() {
            st.close(&id);
        }
    });
    sse_response(standalone_stream(session, rx, prelude, Some(on_drop)))
}

/// `POST /messages/NAME?session_id=ID`: one client message; answered on the event stream.
pub(super) async fn post(
    State(state): State<Arc<FrontState>>,
    Path(server): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let identity = match gate(&state, &headers, &server) {
        Ok(i) => i,
        Err(r) => return r,
    };
    let Some(id) = query.get("session_id").or_else(|| query.get("sessionId")) else {
        return rpc_error(
            StatusCode::BAD_REQUEST,
            None,
            -32600,
            "missing session_id query parameter",
        );
    };
    let Some(session) = state
        .find(id, &server, &identity)
        .filter(|s| s.transport == Transport::LegacySse)
    else {
        return rpc_error(StatusCode::NOT_FOUND, None, -32001, "session not found");
    };
    let body = match read_body(&state, &headers, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err((code, msg)) = headers::parse(&body) {
        return rpc_error(StatusCode::BAD_REQUEST, None, code, &msg);
    }
    match session.send(&state, body).await {
        Ok(()) => (StatusCode::ACCEPTED, "Accepted").into_response(),
        Err(_) => rpc_error(StatusCode::NOT_FOUND, None, -32001, "session not found"),
    }
}
