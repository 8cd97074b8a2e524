//! Egress proxy for sandboxed servers: CONNECT and plain HTTP to allowlisted destinations only.
//!
//! A sandboxed server's network namespace has only `lo`. When its config allows domains or
//! CIDRs, the launcher starts one of these proxies on a unix socket; the sandbox helper
//! bind-mounts the socket into the sandbox and forwards `127.0.0.1:3128` inside the namespace to
//! it, and `HTTP_PROXY`/`HTTPS_PROXY` point there. For every request the proxy:
//!
//! 1. parses the request line (`CONNECT host:port` or an absolute `http://` URL);
//! 2. classifies the host with [`EgressRules`]: raw IPs only inside allowlisted CIDRs, names only
//!    when allowlisted, cloud metadata never;
//! 3. resolves names itself and checks every address with the detection engine's
//!    [`UrlGuard::check_resolved`] (plus a public-only floor), refusing the name if any
//!    address fails;
//! 4. connects only to an address it checked (no second resolution, so no DNS rebinding);
//! 5. records the decision, allowed or denied, in the audit trail.
//!
//! Remote HTTP upstreams that mcpwall connects to itself pass the same check through
//! [`vet_remote`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use mcpwall_detect::url_guard::{UrlGuard, UrlPolicy};
use mcpwall_sandbox::egress_policy::{
    parse_request, AddressGuard, EgressDenied, EgressRules, IpNet, Target,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener};

use crate::audit_sink::{AuditEvent, AuditSink, Decision, EventKind, NullSink};

/// Largest request head the proxy reads.
const MAX_HEAD: usize = 16 * 1024;
/// Time allowed for the request head, resolution and each connect attempt.
const STEP_TIMEOUT: Duration = Duration::from_secs(15);

/// Why the proxy could not start.
#[derive(Debug, thiserror::Error)]
pub enum EgressError {
    /// The allowlist has an invalid entry.
    #[error("{0}")]
    Rules(#[from] EgressDenied),
    /// Socket setup failed.
    #[error("egress proxy socket: {0}")]
    Io(#[from] std::io::Error),
    /// No tokio runtime to run the proxy on.
    #[error("egress proxy needs an async runtime")]
    NoRuntime,
}

/// How the proxy resolves names.
#[derive(Debug, Clone, Default)]
pub enum Resolver {
    /// The system resolver (`getaddrinfo` through tokio).
    #[default]
    System,
    /// A fixed table (tests; names not in it do not resolve).
    Static(HashMap<String, Vec<IpAddr>>),
}

impl Resolver {
    async fn resolve(&self, host: &str, port: u16) -> Vec<IpAddr> {
        match self {
            Resolver::System => match tokio::time::timeout(
                STEP_TIMEOUT,
                tokio::net::lookup_host((host, port)),
            )
            .await
            {
                Ok(Ok(addrs)) => addrs.map(|a| a.ip()).collect(),
                _ => Vec::new(),
            },
            Resolver::Static(table) => table.get(host).cloned().unwrap_or_default(),
        }
    }
}

/// The detection engine's URL guard, adapted to the proxy's all-addresses-must-pass rule.
struct DetectGuard(UrlGuard);

impl AddressGuard for DetectGuard {
    fn check(&self, host: &str, addrs: &[IpAddr]) -> Result<(), String> {
        match self.0.check_resolved(host, addrs) {
            Ok(ok) if ok.len() == addrs.len() => Ok(()),
            Ok(ok) => {
                let bad: Vec<String> = addrs
                    .iter()
                    .filter(|a| !ok.contains(a))
                    .map(|a| a.to_string())
                    .collect();
                Err(format!("`{host}` also resolves to refused `{}`", bad.join("`, `")))
            }
            Err(denial) => Err(denial.to_string()),
        }
    }
}

fn detect_guard(rules: &EgressRules) -> DetectGuard {
    DetectGuard(UrlGuard::new(UrlPolicy {
        allow_domains: Vec::new(),
        allow_cidrs: rules.cidrs.clone(),
        ..UrlPolicy::default()
    }))
}

/// Everything a running proxy needs.
pub struct ProxyContext {
    /// Server the proxy serves (for the audit trail).
    pub server: String,
    /// The allowlist.
    pub rules: EgressRules,
    /// Name resolution.
    pub resolver: Resolver,
    /// Where decisions go.
    pub audit: Arc<dyn AuditSink>,
}

impl ProxyContext {
    fn record(&self, target: &str, decision: Decision, detail: String) {
        let kind = match decision {
            Decision::Deny => EventKind::Denial,
            _ => EventKind::Call,
        };
        let mut event = AuditEvent::process(kind, "sandbox".to_owned(), self.server.clone());
        event.transport = "egress".to_owned();
        event.method = Some("egress/connect".to_owned());
        event.tool = Some(target.to_owned());
        event.decision = Some(decision);
        event.rule = Some("sandbox.egress".to_owned());
        event.detail = Some(detail);
        match event.decision {
            Some(Decision::Deny) => tracing::warn!(server = %self.server, target, detail = ?event.detail, "egress denied"),
            _ => tracing::info!(server = %self.server, target, detail = ?event.detail, "egress allowed"),
        }
        self.audit.record(event);
    }

    /// Decides on `host:port` and returns the checked addresses to connect to.
    pub async fn decide(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, EgressDenied> {
        let addrs = match self.rules.classify(host)? {
            Target::Address(ip) => vec![ip],
            Target::Name(name) => {
                let resolved = self.resolver.resolve(&name, port).await;
                self.rules
                    .check_resolved(&name, &resolved, &detect_guard(&self.rules))?
            }
        };
        Ok(addrs.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
    }
}

async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Result<(Vec<u8>, Vec<u8>), EgressDenied> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(EgressDenied::BadRequest("request head too large".to_owned()));
        }
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| EgressDenied::BadRequest(e.to_string()))?;
        if n == 0 {
            return Err(EgressDenied::BadRequest("connection closed before request".to_owned()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

async fn refuse<S: AsyncWrite + Unpin>(stream: &mut S, status: &str, reason: &str) {
    let body = format!("mcpwall egress: {reason}\n");
    let msg = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(msg.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serves one client connection of the proxy.
pub async fn handle<S>(mut client: S, ctx: Arc<ProxyContext>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (head, rest) = match tokio::time::timeout(STEP_TIMEOUT, read_head(&mut client)).await {
        Ok(Ok(parts)) => parts,
        Ok(Err(e)) => {
            ctx.record("-", Decision::Deny, e.to_string());
            return refuse(&mut client, "400 Bad Request", &e.to_string()).await;
        }
        Err(_) => return,
    };
    let request = match parse_request(&head) {
        Ok(r) => r,
        Err(e) => {
            ctx.record("-", Decision::Deny, e.to_string());
            return refuse(&mut client, "400 Bad Request", &e.to_string()).await;
        }
    };
    let target = format!("{}:{}", request.host, request.port);
    let addrs = match ctx.decide(&request.host, request.port).await {
        Ok(a) => a,
        Err(e) => {
            ctx.record(&target, Decision::Deny, e.to_string());
            return refuse(&mut client, "403 Forbidden", &e.to_string()).await;
        }
    };
    let mut upstream = None;
    for addr in &addrs {
        if let Ok(Ok(s)) = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(addr)).await {
            upstream = Some((s, *addr));
            break;
        }
    }
    let Some((mut upstream, addr)) = upstream else {
        let reason = format!("cannot connect to `{target}`");
        ctx.record(&target, Decision::Deny, reason.clone());
        return refuse(&mut client, "502 Bad Gateway", &reason).await;
    };
    ctx.record(
        &target,
        Decision::Allow,
        format!("{} to {addr}", if request.tunnel { "tunnel" } else { "http" }),
    );
    if request.tunnel {
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
    } else if upstream.write_all(&request.upstream_head).await.is_err() {
        return;
    }
    if !rest.is_empty() && upstream.write_all(&rest).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// Accepts connections on `listener` forever.
pub async fn serve(listener: UnixListener, ctx: Arc<ProxyContext>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(handle(stream, ctx.clone()));
            }
            Err(e) => {
                tracing::warn!(error = %e, "egress proxy accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A proxy started for one server.
#[derive(Debug, Clone)]
pub struct RunningProxy {
    /// Host path of its unix socket.
    pub socket: PathBuf,
}

static AUDIT: OnceLock<Arc<dyn AuditSink>> = OnceLock::new();
static PROXIES: OnceLock<Mutex<HashMap<String, RunningProxy>>> = OnceLock::new();

/// Sets the sink that egress decisions and sandbox warnings are recorded in (call once at
/// startup; later calls are ignored).
pub fn set_audit_sink(sink: Arc<dyn AuditSink>) {
    let _ = AUDIT.set(sink);
}

/// The sink set with [`set_audit_sink`], or a null sink.
pub fn audit_sink() -> Arc<dyn AuditSink> {
    AUDIT.get().cloned().unwrap_or_else(|| Arc::new(NullSink))
}

fn socket_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("mcpwall-egress-{}", std::process::id()));
    if !dir.is_dir() {
        std::fs::DirBuilder::new().mode(0o700).recursive(true).create(&dir)?;
    }
    Ok(dir)
}

/// Starts (or reuses) the egress proxy for `server` with `rules` on the current tokio runtime.
/// One proxy per server and allowlist lives as long as the gateway process.
pub fn ensure_proxy(server: &str, rules: EgressRules) -> Result<RunningProxy, EgressError> {
    let handle = tokio::runtime::Handle::try_current().map_err(|_| EgressError::NoRuntime)?;
    let key = format!("{server}\u{0}{rules:?}");
    let proxies = PROXIES.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = proxies.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = map.get(&key) {
        if p.socket.exists() {
            return Ok(p.clone());
        }
    }
    let dir = socket_dir()?;
    let socket = dir.join(format!("{}.sock", map.len()));
    let _ = std::fs::remove_file(&socket);
    let std_listener = std::os::unix::net::UnixListener::bind(&socket)?;
    std_listener.set_nonblocking(true)?;
    set_socket_mode(&socket)?;
    let ctx = Arc::new(ProxyContext {
        server: server.to_owned(),
        rules,
        resolver: Resolver::System,
        audit: audit_sink(),
    });
    let listener = {
        let _guard = handle.enter();
        UnixListener::from_std(std_listener)?
    };
    handle.spawn(serve(listener, ctx));
    let running = RunningProxy { socket };
    map.insert(key, running.clone());
    Ok(running)
}

/// The sandboxed server may run as another uid (65534 when mcpwall runs as root): let it
/// connect. The socket's directory stays private to mcpwall's uid on the host.
fn set_socket_mode(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
}

/// Checks a remote upstream URL before mcpwall connects to it: the URL guard on the URL, then
/// resolution by mcpwall and every address checked. Returns the addresses to connect to (pin
/// them, e.g. with `reqwest::ClientBuilder::resolve_to_addrs`, and never resolve again).
/// `allow_cidrs` are ranges the deployment trusts for this upstream.
pub async fn vet_remote(
    url: &str,
    allow_cidrs: &[IpNet],
) -> Result<Vec<SocketAddr>, EgressDenied> {
    let guard = UrlGuard::new(UrlPolicy {
        allow_cidrs: allow_cidrs.to_vec(),
        ..UrlPolicy::default()
    });
    let checked = guard
        .check_url(url)
        .map_err(|d| EgressDenied::BadRequest(d.to_string()))?;
    let host = checked
        .url
        .host_str()
        .ok_or_else(|| EgressDenied::BadRequest("url has no host".to_owned()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = checked.port.unwrap_or(443);
    let rules = EgressRules {
        domains: Vec::new(),
        cidrs: allow_cidrs.to_vec(),
    };
    let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => Resolver::System.resolve(&host, port).await,
    };
    let ok = rules.check_resolved(&host, &addrs, &DetectGuard(guard))?;
    Ok(ok.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
}
