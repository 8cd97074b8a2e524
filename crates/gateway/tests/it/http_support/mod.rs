//! Shared helpers for the HTTP tests: a front on 127.0.0.1 with the echo server behind it,
//! and a small client.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mcpwall_gateway::front::http::{
    self, Connector, HttpFront, HttpFrontConfig, OriginPolicy, TokenTable,
};
use mcpwall_gateway::launch::LaunchSpec;
use mcpwall_protocol::sse::{Decoder, Event};
use serde_json::{json, Value};

/// The echo server used behind the front.
/// The sandbox is off here: these tests are about HTTP, and the sandbox has its own tests.
/// The environment is cleared for servers, so the interpreter is named by its real path.
pub fn echo_spec() -> LaunchSpec {
    static PYTHON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let python = PYTHON.get_or_init(|| {
        let out = std::process::Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 is needed for the http tests");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/echo_server.py");
    let mut spec = LaunchSpec::new(python.as_str(), [script]);
    spec.sandbox.mode = mcpwall_sandbox::Mode::Off;
    spec
}

#[derive(Default)]
pub struct FrontOpts {
    pub tokens: Vec<(String, String)>,
    pub origins: Vec<String>,
    /// Connectors by server name; default: `echo` -> one echo child per session.
    pub servers: Option<HashMap<String, Arc<dyn Connector>>>,
}

pub fn front_config(opts: &FrontOpts) -> HttpFrontConfig {
    let mut tokens = TokenTable::new();
    for (t, s) in &opts.tokens {
        tokens.add(t, s.clone());
    }
    let servers = opts.servers.clone().unwrap_or_else(|| {
        let mut m: HashMap<String, Arc<dyn Connector>> = HashMap::new();
        m.insert("echo".into(), http::child::connector(echo_spec()));
        m
    });
    HttpFrontConfig {
        servers,
        tokens,
        origins: OriginPolicy {
            allowed: opts.origins.clone(),
            loopback_bound: true,
        },
        max_body_bytes: http::DEFAULT_MAX_BODY_BYTES,
        idle_timeout: http::DEFAULT_IDLE_TIMEOUT,
    }
}

pub struct Front {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    token: Option<String>,
}

impl Front {
    pub async fn start(opts: FrontOpts) -> Front {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let cfg = front_config(&opts);
        let front = HttpFront::bind("127.0.0.1:0".parse().unwrap(), cfg)
            .await
            .unwrap();
        let addr = front.local_addr().unwrap();
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            front
                .run(async move {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        Front {
            addr,
            stop,
            task,
            token: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn client(&self) -> Client {
        Client {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: format!("http://{}", self.addr),
        }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

pub fn initialize_msg(id: i64) -> Value {
    json!({"jsonrpc":"2.0","id":id,"method":"initialize","params":{
        "protocolVersion":"2025-06-18","capabilities":{"sampling":{}},"clientInfo":{"name":"test","version":"0"}}})
}

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub fn raw(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{}", self.base, path))
    }

    pub async fn post_raw(
        &self,
        server: &str,
        sid: Option<&str>,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut rb = self
            .raw(reqwest::Method::POST, &format!("/mcp/{server}"))
            .header("content-type", "application/json")
            .body(body.to_vec());
        if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("accept")) {
            rb = rb.header("accept", "application/json, text/event-stream");
        }
        if let Some(s) = sid {
            rb = rb.header("mcp-session-id", s);
        }
        for (k, v) in extra {
            rb = rb.header(*k, *v);
        }
        tokio::time::timeout(Duration::from_secs(30), rb.send())
            .await
            .expect("post timed out")
            .unwrap()
    }

    pub async fn post(
        &self,
        server: &str,
        sid: Option<&str>,
        body: &Value,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post_raw(server, sid, body.to_string().as_bytes(), extra)
            .await
    }

    /// Posts `body` and returns only the status code (for requests that must be refused).
    pub async fn status(&self, server: &str, sid: Option<&str>, body: Value) -> u16 {
        self.post(server, sid, &body, &[]).await.status().as_u16()
    }

    pub async fn initialize(&self, server: &str) -> (Value, Option<String>) {
        let r = self.post(server, None, &initialize_msg(1), &[]).await;
        assert_eq!(r.status(), 200);
        let sid = r
            .headers()
            .get("mcp-session-id")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.json().await.unwrap(), sid)
    }

    /// Sends a request and returns its response, from JSON or from the SSE stream.
    pub async fn call_json(&self, server: &str, sid: &str, body: Value) -> Value {
        let r = self.post(server, Some(sid), &body, &[]).await;
        assert_eq!(r.status(), 200, "{body}");
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        if ct.starts_with("application/json") {
            return r.json().await.unwrap();
        }
        let mut s = EventReader::new(r);
        loop {
            let v: Value = serde_json::from_str(&s.next().await.unwrap().data).unwrap();
            if v.get("method").is_none() {
                return v;
            }
        }
    }

    pub async fn get(&self, server: &str, sid: &str) -> reqwest::Response {
        self.raw(reqwest::Method::GET, &format!("/mcp/{server}"))
            .header("accept", "text/event-stream")
            .header("mcp-session-id", sid)
            .send()
            .await
            .unwrap()
    }

    pub async fn raw_get(&self, server: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let mut rb = self
            .raw(reqwest::Method::GET, &format!("/mcp/{server}"))
            .header("accept", "text/event-stream");
        for (k, v) in extra {
            rb = rb.header(*k, *v);
        }
        rb.send().await.unwrap()
    }

    pub async fn delete(&self, server: &str, sid: &str) -> reqwest::Response {
        self.raw(reqwest::Method::DELETE, &format!("/mcp/{server}"))
            .header("mcp-session-id", sid)
            .send()
            .await
            .unwrap()
    }
}

/// Reads SSE events from a streaming response.
pub struct EventReader {
    resp: reqwest::Response,
    dec: Decoder,
    ready: std::collections::VecDeque<Event>,
}

impl EventReader {
    pub fn new(resp: reqwest::Response) -> Self {
        Self {
            resp,
            dec: Decoder::default(),
            ready: Default::default(),
        }
    }

    /// The next event, or `None` at end of stream. Bounded by a 30 s timeout per event.
    pub async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            let chunk = tokio::time::timeout(Duration::from_secs(30), self.resp.chunk())
                .await
                .expect("sse timed out")
                .unwrap()?;
            self.ready.extend(self.dec.feed(&chunk).unwrap());
        }
    }
}

/// Reads `n` events.
pub async fn read_events(resp: reqwest::Response, n: usize) -> Vec<Event> {
    let mut r = EventReader::new(resp);
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(r.next().await.expect("stream ended early"));
    }
    out
}
