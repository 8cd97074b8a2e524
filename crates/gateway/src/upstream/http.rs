//! Remote upstreams over streamable HTTP and legacy SSE.
//!
//! [`connect`] turns a server URL into a pipe of complete JSON-RPC messages, like a stdio
//! child: messages written to the pipe are POSTed to the server, and everything the server
//! sends back (JSON bodies, SSE events on POST responses, the GET stream, or the legacy SSE
//! stream) comes out of it. Dropping the pipe's sender ends the remote session (`DELETE`).
//! Every connection target passes through [`check_target`] and then the egress URL guard
//! ([`RemoteGuard::vet`], the same check as the sandbox's egress proxy): mcpwall resolves the
//! name itself, checks every address (loopback, private, link-local and metadata addresses are
//! refused unless the server's `network` allowlist admits them), and pins the HTTP client to
//! the checked addresses, so a second DNS answer cannot move the session elsewhere.

use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use bytes::Bytes;
use mcpwall_protocol::sse::{Decoder, DEFAULT_MAX_EVENT_BYTES};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use tokio::sync::mpsc;
use url::Url;

use crate::audit_sink::{AuditEvent, Decision, EventKind};
use crate::egress::RemoteGuard;
use crate::front::http::ClientPipe;

/// Largest JSON response body accepted from a remote server.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How long to wait for a legacy server's `endpoint` event.
const ENDPOINT_TIMEOUT: Duration = Duration::from_secs(30);
/// Pipe depth, in messages.
const DEPTH: usize = 64;

/// Which HTTP transport a remote server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemoteTransport {
    /// Legacy HTTP+SSE when a segment of the URL path is `sse`, streamable HTTP otherwise.
    #[default]
    Auto,
    /// Streamable HTTP (2025-03-26 and later).
    Streamable,
    /// HTTP+SSE (2024-11-05).
    LegacySse,
}

/// A remote server to connect to.
#[derive(Debug, Clone)]
pub struct RemoteSpec {
    /// The server's MCP endpoint (streamable) or SSE endpoint (legacy).
    pub url: Url,
    /// Extra headers sent on every request (from the config's `headers`).
    pub headers: Vec<(String, String)>,
    /// Transport choice.
    pub transport: RemoteTransport,
    /// What the URL guard admits besides public addresses (the server's `network` allowlist),
    /// and how names are resolved. Default: public addresses only, system resolver.
    pub guard: RemoteGuard,
    /// Server name for the audit trail (default: the url's host).
    pub server: String,
}

impl RemoteSpec {
    /// A spec for `url` with no extra headers, automatic transport and the default guard
    /// (public addresses only).
    pub fn new(url: Url) -> Self {
        Self {
            url,
            headers: Vec::new(),
            transport: RemoteTransport::Auto,
            guard: RemoteGuard::default(),
            server: String::new(),
        }
    }

    fn server_name(&self) -> String {
        if self.server.is_empty() {
            self.url.host_str().unwrap_or_default().to_owned()
        } else {
            self.server.clone()
        }
    }
}

/// Why a remote upstream could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum HttpUpstreamError {
    /// The URL is not allowed as a target.
    #[error("upstream url `{url}` is not allowed: {reason}")]
    Forbidden {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A configured header is not a valid HTTP header.
    #[error("invalid upstream header `{0}`")]
    BadHeader(String),
    /// The HTTP client could not be built or the request failed.
    #[error("upstream request failed: {0}")]
    Request(String),
    /// The legacy server's stream did not name its message endpoint.
    #[error("legacy sse upstream sent no usable `endpoint` event: {0}")]
    Endpoint(String),
}

/// Installs the ring crypto provider for rustls once per process (reqwest is built without a
/// default provider so the build needs no C toolchain for aws-lc).
pub fn ensure_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The one place where a remote target is vetted before mcpwall connects to it. Today it
/// admits `http` and `https` URLs with a host; the egress URL guard (SSRF policy) belongs here.
pub fn check_target(url: &Url) -> Result<(), HttpUpstreamError> {
    let forbid = |reason: &str| HttpUpstreamError::Forbidden {
        url: url.to_string(),
        reason: reason.to_owned(),
    };
    match url.scheme() {
        "http" | "https" => {}
        s => return Err(forbid(&format!("scheme `{s}` is not http or https"))),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(forbid("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(forbid(
            "credentials in the url are not allowed; use headers",
        ));
    }
    Ok(())
}

fn build_headers(spec: &RemoteSpec) -> Result<HeaderMap, HttpUpstreamError> {
    let mut map = HeaderMap::new();
    for (k, v) in &spec.headers {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| HttpUpstreamError::BadHeader(k.clone()))?;
        let value =
            HeaderValue::from_str(v).map_err(|_| HttpUpstreamError::BadHeader(k.clone()))?;
        map.append(name, value);
    }
    Ok(map)
}

fn client(
    spec: &RemoteSpec,
    pinned: &[std::net::SocketAddr],
) -> Result<reqwest::Client, HttpUpstreamError> {
    ensure_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .default_headers(build_headers(spec)?)
        .connect_timeout(Duration::from_secs(10))
        // Redirects could move the session to a host check_target never saw.
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would resolve the name again, past the guard.
        .no_proxy();
    if let Some(url::Host::Domain(name)) = spec.url.host() {
        // Only the addresses the guard checked: reqwest never asks DNS for this name.
        builder = builder.resolve_to_addrs(name, pinned);
    }
    builder
        .build()
        .map_err(|e| HttpUpstreamError::Request(e.to_string()))
}

/// Runs the URL guard on `spec.url` and returns the addresses to pin; a refusal is recorded in
/// the audit trail (`rule = "upstream.url_guard"`) before it is returned.
pub async fn vet(spec: &RemoteSpec) -> Result<Vec<std::net::SocketAddr>, HttpUpstreamError> {
    check_target(&spec.url)?;
    match spec.guard.vet(spec.url.as_str()).await {
        Ok(addrs) => Ok(addrs),
        Err(denied) => {
            let reason = denied.to_string();
            let mut event =
                AuditEvent::process(EventKind::Denial, "gateway".to_owned(), spec.server_name());
            event.transport = "http".to_owned();
            event.method = Some("upstream/connect".to_owned());
            event.tool = Some(redact_query(&spec.url));
            event.decision = Some(Decision::Deny);
            event.rule = Some("upstream.url_guard".to_owned());
            event.detail = Some(reason.clone());
            tracing::warn!(server = %spec.server_name(), url = %redact_query(&spec.url), reason, "remote upstream refused");
            crate::egress::audit_sink().record(event);
            Err(HttpUpstreamError::Forbidden {
                url: redact_query(&spec.url),
                reason,
            })
        }
    }
}

/// The url without query and fragment (a query may carry a key).
fn redact_query(url: &Url) -> String {
    let mut u = url.clone();
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}

/// Connects to a remote server and returns the server-side pipe. The target is vetted first
/// ([`vet`]); nothing is sent to a refused target.
pub async fn connect(spec: &RemoteSpec) -> Result<ClientPipe, HttpUpstreamError> {
    let pinned = vet(spec).await?;
    let legacy = match spec.transport {
        RemoteTransport::LegacySse => true,
        RemoteTransport::Streamable => false,
        RemoteTransport::Auto => spec
            .url
            .path_segments()
            .is_some_and(|mut s| s.any(|seg| seg == "sse")),
    };
    let http = client(spec, &pinned)?;
    if legacy {
        connect_legacy(http, spec.url.clone()).await
    } else {
        Ok(connect_streamable(http, spec.url.clone()))
    }
}

/// Streamable-HTTP session state shared by the POST tasks.
struct Remote {
    http: reqwest::Client,
    url: Url,
    session: Mutex<Option<String>>,
    version: Mutex<Option<String>>,
    to_client: mpsc::Sender<Bytes>,
}

impl Remote {
    fn session(&self) -> Option<String> {
        self.session
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, self.url.clone());
        if let Some(s) = self.session() {
            rb = rb.header("mcp-session-id", s);
        }
        if let Some(v) = self
            .version
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            rb = rb.header("mcp-protocol-version", v);
        }
        rb
    }

    /// POSTs one message and forwards whatever comes back. Failures become JSON-RPC errors
    /// for the request, so the client is never left waiting.
    async fn post(self: Arc<Self>, msg: Bytes, head: Head) {
        let rb = self
            .request(reqwest::Method::POST)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json");
        let rb = match &head.method {
            Some(m) => rb.header("mcp-method", header_safe(m)),
            None => rb,
        };
        let rb = match &head.name {
            Some(n) => rb.header("mcp-name", header_safe(n)),
            None => rb,
        };
        let resp = match rb.body(msg).send().await {
            Ok(r) => r,
            Err(e) => return self.fail(&head, &format!("request failed: {e}")).await,
        };
        let status = resp.status();
        if head.is_initialize {
            if let Some(s) = resp
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
            {
                *self.session.lock().unwrap_or_else(|e| e.into_inner()) = Some(s.to_owned());
            }
        }
        if status == reqwest::StatusCode::ACCEPTED || status == reqwest::StatusCode::NO_CONTENT {
            return;
        }
        if !status.is_success() {
            let what = if status == reqwest::StatusCode::NOT_FOUND && self.session().is_some() {
                "session expired (404)".to_owned()
            } else {
                format!("http status {}", status.as_u16())
            };
            return self.fail(&head, &what).await;
        }
        let ct = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("text/event-stream") {
            if let Err(e) = pump_sse(resp, &self.to_client, &mut |m| self.observe(&head, m)).await {
                self.fail(&head, &e).await;
            }
        } else {
            match read_limited(resp).await {
                Ok(body) if !body.iter().all(u8::is_ascii_whitespace) => {
                    self.observe(&head, &body);
                    let _ = self.to_client.send(body).await;
                }
                Ok(_) => {}
                Err(e) => self.fail(&head, &e).await,
            }
        }
    }

    /// Notes the protocol version an `initialize` response settles on.
    fn observe(&self, head: &Head, msg: &Bytes) {
        if !head.is_initialize {
            return;
        }
        if let Ok(v) = serde_json::from_slice::<Value>(msg) {
            if let Some(pv) = v.pointer("/result/protocolVersion").and_then(Value::as_str) {
                *self.version.lock().unwrap_or_else(|e| e.into_inner()) = Some(pv.to_owned());
            }
        }
    }

    async fn fail(&self, head: &Head, reason: &str) {
        tracing::warn!(url = %self.url, reason, "remote upstream error");
        if let Some(id) = &head.id {
            let err = serde_json::json!({
                "jsonrpc": "2.0", "id": id,
                "error": {"code": -32000, "message": format!("mcpwall: upstream {reason}")},
            });
            let _ = self.to_client.send(Bytes::from(err.to_string())).await;
        }
    }

    /// The GET stream for server-initiated messages, if the server offers one.
    async fn listen(self: Arc<Self>) {
        let resp = self
            .request(reqwest::Method::GET)
            .header(ACCEPT, "text/event-stream")
            .send()
            .await;
        match resp {
            Ok(r) if r.status().is_success() => {
                if let Err(e) = pump_sse(r, &self.to_client, &mut |_| {}).await {
                    tracing::debug!(url = %self.url, error = e, "remote get stream ended");
                }
            }
            Ok(r) => {
                tracing::debug!(url = %self.url, status = r.status().as_u16(), "remote offers no get stream")
            }
            Err(e) => tracing::debug!(url = %self.url, error = %e, "remote get stream failed"),
        }
    }
}

/// What the writer needs to know about an outgoing message.
struct Head {
    id: Option<Value>,
    method: Option<String>,
    /// What `Mcp-Name` carries: the tool or prompt name, or the resource uri.
    name: Option<String>,
    is_initialize: bool,
}

fn head(msg: &[u8]) -> Head {
    let v: Value = serde_json::from_slice(msg).unwrap_or(Value::Null);
    let method = v.get("method").and_then(Value::as_str).map(str::to_owned);
    let id = v
        .get("id")
        .filter(|i| !i.is_null() && method.is_some())
        .cloned();
    let field = match method.as_deref() {
        Some("tools/call" | "prompts/get") => "name",
        Some("resources/read") => "uri",
        _ => "",
    };
    let name = v
        .get("params")
        .and_then(|p| p.get(field))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Head {
        is_initialize: method.as_deref() == Some("initialize"),
        id,
        method,
        name,
    }
}

/// A header value: as is when it is visible ASCII, else in the `=?base64?...?=` form.
fn header_safe(s: &str) -> String {
    use base64::Engine;
    if !s.is_empty() && s.bytes().all(|b| (0x20..0x7f).contains(&b)) && s.trim() == s {
        s.to_owned()
    } else {
        format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }
}

fn connect_streamable(http: reqwest::Client, url: Url) -> ClientPipe {
    let (tx, mut from_client) = mpsc::channel::<Bytes>(DEPTH);
    let (to_client, rx) = mpsc::channel::<Bytes>(DEPTH);
    let remote = Arc::new(Remote {
        http,
        url,
        session: Mutex::new(None),
        version: Mutex::new(None),
        to_client,
    });
    tokio::spawn(async move {
        let mut listener: Option<tokio::task::JoinHandle<()>> = None;
        let mut posts = tokio::task::JoinSet::new();
        while let Some(msg) = from_client.recv().await {
            let h = head(&msg);
            if h.is_initialize {
                // The handshake completes before anything else is sent: later requests need
                // the session id it yields.
                remote.clone().post(msg, h).await;
                if listener.is_none() && remote.session().is_some() {
                    listener = Some(tokio::spawn(remote.clone().listen()));
                }
            } else {
                posts.spawn(remote.clone().post(msg, h));
                while posts.try_join_next().is_some() {}
            }
        }
        if let Some(l) = listener {
            l.abort();
        }
        posts.abort_all();
        if remote.session().is_some() {
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                remote.request(reqwest::Method::DELETE).send(),
            )
            .await;
        }
    });
    ClientPipe { tx, rx }
}

/// Reads an SSE response and forwards the data of each `message` event.
async fn pump_sse(
    mut resp: reqwest::Response,
    to_client: &mpsc::Sender<Bytes>,
    seen: &mut (dyn FnMut(&Bytes) + Send),
) -> Result<(), String> {
    let mut dec = Decoder::new(DEFAULT_MAX_EVENT_BYTES);
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        for ev in dec.feed(&chunk).map_err(|e| e.to_string())? {
            if ev.kind() != "message" || ev.data.trim().is_empty() {
                continue;
            }
            let msg = Bytes::from(ev.data);
            seen(&msg);
            if to_client.send(msg).await.is_err() {
                return Ok(());
            }
        }
    }
    dec.finish().map_err(|e| e.to_string())
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Bytes, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if out.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!("response body exceeds {MAX_BODY_BYTES} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(out))
}

async fn connect_legacy(http: reqwest::Client, url: Url) -> Result<ClientPipe, HttpUpstreamError> {
    let mut resp = http
        .get(url.clone())
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .map_err(|e| HttpUpstreamError::Request(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(HttpUpstreamError::Request(format!(
            "http status {} from `{url}`",
            resp.status().as_u16()
        )));
    }
    let mut dec = Decoder::new(DEFAULT_MAX_EVENT_BYTES);
    let mut early = Vec::new();
    let endpoint = tokio::time::timeout(ENDPOINT_TIMEOUT, async {
        loop {
            let Some(chunk) = resp
                .chunk()
                .await
                .map_err(|e| HttpUpstreamError::Endpoint(e.to_string()))?
            else {
                return Err(HttpUpstreamError::Endpoint("stream ended".to_owned()));
            };
            let mut found = None;
            for ev in dec
                .feed(&chunk)
                .map_err(|e| HttpUpstreamError::Endpoint(e.to_string()))?
            {
                if ev.kind() == "endpoint" && found.is_none() {
                    found = Some(ev.data);
                } else if ev.kind() == "message" {
                    early.push(Bytes::from(ev.data));
                }
            }
            if let Some(f) = found {
                return Ok(f);
            }
        }
    })
    .await
    .map_err(|_| HttpUpstreamError::Endpoint("timed out".to_owned()))??;
    let post_url = url
        .join(endpoint.trim())
        .map_err(|e| HttpUpstreamError::Endpoint(e.to_string()))?;
    // The server may only name an endpoint on its own origin: anything else would let it
    // point mcpwall's POSTs (and configured headers) at another host.
    if post_url.origin() != url.origin() {
        return Err(HttpUpstreamError::Endpoint(format!(
            "endpoint `{post_url}` is on another origin"
        )));
    }
    check_target(&post_url)?;

    let (tx, mut from_client) = mpsc::channel::<Bytes>(DEPTH);
    let (to_client, rx) = mpsc::channel::<Bytes>(DEPTH);
    let reader_tx = to_client.clone();
    let reader = tokio::spawn(async move {
        for m in early {
            if reader_tx.send(m).await.is_err() {
                return;
            }
        }
        // Continue with the same decoder: it may hold part of the next event.
        loop {
            let chunk = match resp.chunk().await {
                Ok(Some(c)) => c,
                _ => break,
            };
            let Ok(events) = dec.feed(&chunk) else { break };
            for ev in events {
                if ev.kind() == "message"
                    && !ev.data.trim().is_empty()
                    && reader_tx.send(Bytes::from(ev.data)).await.is_err()
                {
                    return;
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Some(msg) = from_client.recv().await {
            let h = head(&msg);
            let sent = http
                .post(post_url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(msg)
                .send()
                .await;
            let failure = match sent {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!("http status {}", r.status().as_u16())),
                Err(e) => Some(format!("request failed: {e}")),
            };
            if let (Some(reason), Some(id)) = (failure, h.id) {
                let err = serde_json::json!({"jsonrpc":"2.0","id":id,"error":{"code":-32000,"message":format!("mcpwall: upstream {reason}")}});
                let _ = to_client.send(Bytes::from(err.to_string())).await;
            }
        }
        reader.abort();
    });
    Ok(ClientPipe { tx, rx })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_vetted() {
        assert!(check_target(&Url::parse("http://127.0.0.1:8080/mcp").unwrap()).is_ok());
        assert!(check_target(&Url::parse("https://example.com/mcp").unwrap()).is_ok());
        assert!(check_target(&Url::parse("file:///etc/passwd").unwrap()).is_err());
        assert!(check_target(&Url::parse("http://user:pw@example.com/").unwrap()).is_err());
    }

    #[tokio::test]
    async fn refused_targets_are_audited_and_never_contacted() {
        use crate::audit_sink::{AuditSink, MemorySink};
        static SINK: std::sync::OnceLock<Arc<dyn AuditSink>> = std::sync::OnceLock::new();
        let memory = MemorySink::default();
        let sink = SINK.get_or_init(|| Arc::new(memory.clone()));
        crate::egress::set_audit_sink(sink);
        // A listener on loopback that must never see a connection.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut spec =
            RemoteSpec::new(Url::parse(&format!("http://127.0.0.1:{port}/mcp?key=abc")).unwrap());
        spec.server = "local".into();
        let err = connect(&spec).await.err().unwrap().to_string();
        assert!(
            err.starts_with(&format!(
                "upstream url `http://127.0.0.1:{port}/mcp` is not allowed:"
            )),
            "{err}"
        );
        assert!(err.contains("loopback") && !err.contains("abc"), "{err}");
        assert!(
            listener.accept().is_err(),
            "the refused target was contacted"
        );
        let events: Vec<_> = memory
            .events()
            .into_iter()
            .filter(|e| e.server == "local")
            .collect();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].decision, Some(Decision::Deny));
        assert_eq!(events[0].rule.as_deref(), Some("upstream.url_guard"));
        assert!(events[0].detail.as_deref().unwrap().contains("loopback"));
    }

    #[test]
    fn head_reads_request_fields() {
        let h = head(br#"{"jsonrpc":"2.0","id":3,"method":"initialize","params":{}}"#);
        assert!(h.is_initialize);
        assert_eq!(h.id, Some(Value::from(3)));
        let h = head(
            r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"é"}}"#.as_bytes(),
        );
        assert_eq!(h.name.as_deref(), Some("é"));
        assert_eq!(header_safe("é"), "=?base64?w6k=?=");
        assert_eq!(header_safe("echo"), "echo");
        let h = head(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#);
        assert_eq!(h.id, None, "responses get no synthesized error");
    }
}
