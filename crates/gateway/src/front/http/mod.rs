//! Streamable HTTP front (and legacy HTTP+SSE), with Origin validation and bearer tokens.
//!
//! Routes, per configured server `NAME`:
//! - `POST|GET|DELETE /mcp/NAME`: streamable HTTP (2025-03-26 .. 2025-11-25 with
//!   `Mcp-Session-Id`; 2026-07-28 stateless, with `Mcp-Method`/`Mcp-Name` checked against the body);
//! - `GET /sse/NAME` or `GET /mcp/NAME/sse`: legacy HTTP+SSE (2024-11-05) event stream, whose
//!   `endpoint` event names `POST /messages/NAME?session_id=ID`.
//!
//! The front knows nothing of checks or upstreams: for every new client session it asks the
//! server's [`Connector`] for a [`ClientPipe`], and moves complete JSON-RPC messages over it.
//! The caller (the `serve` command) builds connectors that run the relay and check stack.

pub mod child;
mod guard;
mod headers;
mod legacy;
pub mod relayed;
mod session;
mod streamable;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

pub use guard::{OriginPolicy, TokenTable};
pub use headers::HEADER_MISMATCH;

/// A bidirectional pipe of complete JSON-RPC messages, seen from the client side: the front
/// writes client messages to `tx` and reads server messages from `rx`. Dropping `tx` ends the
/// session. It is the relay's [`Pipe`](crate::relay::Pipe).
pub type ClientPipe = crate::relay::Pipe;

/// What the front knows about a session it is opening.
#[derive(Debug, Clone)]
pub struct SessionStart {
    /// Configured server name (the `NAME` in `/mcp/NAME`).
    pub server: Arc<str>,
    /// Authenticated identity: the token's subject, or `anonymous-loopback`.
    pub identity: Arc<str>,
    /// The session id mcpwall issued (or derived, for stateless traffic).
    pub session_id: Arc<str>,
    /// Which transport the client uses.
    pub transport: Transport,
}

/// The HTTP transport flavour of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Streamable HTTP with `Mcp-Session-Id` (2025-03-26 .. 2025-11-25).
    Streamable,
    /// Streamable HTTP, 2026-07-28 stateless revision (session derived from identity and `_meta`).
    Stateless,
    /// Legacy HTTP+SSE (2024-11-05).
    LegacySse,
}

impl Transport {
    /// A short stable name for logs and audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Streamable => "streamable-http",
            Transport::Stateless => "streamable-http-stateless",
            Transport::LegacySse => "http-sse",
        }
    }
}

/// Why a session could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open session to server `{server}`: {reason}")]
pub struct ConnectError {
    /// The server name.
    pub server: String,
    /// What went wrong, one line.
    pub reason: String,
}

/// Opens the path from one new client session to its server (relay, checks and upstream).
pub trait Connector: Send + Sync + 'static {
    /// Opens a session; the returned pipe lives as long as the session.
    fn open(&self, start: SessionStart) -> BoxFuture<'static, Result<ClientPipe, ConnectError>>;
}

impl<F> Connector for F
where
    F: Fn(SessionStart) -> BoxFuture<'static, Result<ClientPipe, ConnectError>>
        + Send
        + Sync
        + 'static,
{
    fn open(&self, start: SessionStart) -> BoxFuture<'static, Result<ClientPipe, ConnectError>> {
        self(start)
    }
}

/// Configuration of the HTTP front.
pub struct HttpFrontConfig {
    /// One connector per server name.
    pub servers: HashMap<String, Arc<dyn Connector>>,
    /// Bearer tokens and their subjects; empty means no authentication (loopback only).
    pub tokens: TokenTable,
    /// Which `Origin`/`Host` values are accepted.
    pub origins: OriginPolicy,
    /// Largest accepted POST body, in bytes.
    pub max_body_bytes: usize,
    /// A session with no traffic and no open stream for this long is closed.
    pub idle_timeout: Duration,
}

impl std::fmt::Debug for HttpFrontConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpFrontConfig")
            .field("servers", &self.servers.keys().collect::<Vec<_>>())
            .field("tokens", &self.tokens.len())
            .field("origins", &self.origins)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

/// Default cap on a POST body, 4 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Default idle timeout of a session, 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Why the HTTP front could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Binding beyond loopback without a token is refused.
    #[error("refusing to listen on `{0}` without a bearer token: set --token, MCPWALL_TOKEN or tokens in the config")]
    TokenRequired(SocketAddr),
    /// The listener failed.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The server loop failed.
    #[error("http server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A bound, ready-to-run HTTP front.
pub struct HttpFront {
    listener: tokio::net::TcpListener,
    state: Arc<session::FrontState>,
}

impl HttpFront {
    /// Binds `addr`. Refuses a non-loopback address when no token is configured, and records
    /// whether the Host check applies (it does when bound to loopback).
    pub async fn bind(addr: SocketAddr, mut config: HttpFrontConfig) -> Result<Self, ServeError> {
        if !addr.ip().is_loopback() && config.tokens.is_empty() {
            return Err(ServeError::TokenRequired(addr));
        }
        config.origins.loopback_bound = addr.ip().is_loopback();
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Bind { addr, source })?;
        Ok(Self {
            listener,
            state: session::FrontState::new(config),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> Result<SocketAddr, ServeError> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` completes; then every session is closed.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let state = self.state.clone();
        let reaper = tokio::spawn(session::reap_idle(state.clone()));
        let app = router(state.clone());
        let result = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        reaper.abort();
        state.close_all();
        result.map_err(ServeError::Io)
    }
}

fn router(state: Arc<session::FrontState>) -> axum::Router {
    use axum::routing::{get, post};
    axum::Router::new()
        .route(
            "/mcp/{server}",
            post(streamable::post)
                .get(streamable::get)
                .delete(streamable::delete),
        )
        .route("/mcp/{server}/sse", get(legacy::open))
        .route("/sse/{server}", get(legacy::open))
        .route("/messages/{server}", post(legacy::post))
        .with_state(state)
}
