//! `mcpwall serve`: every configured server over streamable HTTP at `/mcp/NAME` (and legacy
//! HTTP+SSE at `/sse/NAME`), each client session relayed through the check stack.
//! See `docs/http.md`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use mcpwall_gateway::audit_sink::AuditSink;
use mcpwall_gateway::front::http::relayed::{relayed, Upstream};
use mcpwall_gateway::front::http::{
    self, Connector, HttpFront, HttpFrontConfig, OriginPolicy, TokenTable,
};
use mcpwall_gateway::killswitch::{self, KillSwitch, KillSwitchCheck};
use mcpwall_gateway::launch::LaunchSpec;
use mcpwall_gateway::mux::Shared;
use mcpwall_gateway::relay::{RelayOptions, RestartPolicy};
use mcpwall_gateway::session::ServerId;
use mcpwall_gateway::stack::{self, StackParts};
use mcpwall_gateway::upstream::http::{RemoteSpec, RemoteTransport};
use mcpwall_gateway::upstream::stdio::StdioUpstream;
use mcpwall_policy::{HttpProtocol, ServerConfig, Transport};
use mcpwall_protocol::jsonrpc::Limits;

/// Arguments of `mcpwall serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Configuration file (mcpwall TOML, or a host's JSON).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on. Default: the config's `gateway.listen`, else 127.0.0.1:8808.
    /// Beyond loopback a bearer token is required.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// Bearer token clients must present (subject `token`), besides the config's tokens.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "MCPWALL_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Extra allowed browser `Origin` (repeatable), besides loopback and the config's.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    pub allow_origin: Vec<String>,
    /// Serve only these servers (repeatable). Default: every server in the config.
    #[arg(long = "server", value_name = "NAME")]
    pub servers: Vec<String>,
    /// Audit trail database (SQLite; default: `MCPWALL_AUDIT`, the config's, else the per-user data path) [env: MCPWALL_AUDIT].
    #[arg(long, value_name = "PATH")]
    pub audit: Option<PathBuf>,
    /// Run without an audit trail.
    #[arg(long, conflicts_with = "audit")]
    pub no_audit: bool,
    /// Kill switch state directory (default: the per-user data directory).
    #[arg(long, value_name = "DIR", env = "MCPWALL_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Close sessions idle for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = http::DEFAULT_IDLE_TIMEOUT.as_secs())]
    pub idle_timeout_secs: u64,
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::lifecycle::init_logging();
    let config = mcpwall_policy::load(&args.config).map_err(|e| anyhow::anyhow!("{e}"))?;
    for w in &config.warnings {
        eprintln!("mcpwall: warning: {w}");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime")?;
    let audit_path = if args.no_audit {
        None
    } else {
        Some(
            match super::audit_arg(args.audit.as_ref())
                .or_else(|| config.gateway.audit.path.clone())
            {
                Some(p) => p,
                None => mcpwall_audit::default_path()?,
            },
        )
    };
    let trail = super::lifecycle::AuditTrail::open(audit_path.as_deref())?;
    let result = rt.block_on(serve(&args, &config, Arc::clone(&trail.sink)));
    // Dropping the runtime drops every task holding the sink; then the trail drains.
    drop(rt);
    trail.finish();
    result
}

async fn serve(
    args: &Args,
    config: &mcpwall_policy::Config,
    sink: Arc<dyn AuditSink>,
) -> anyhow::Result<ExitCode> {
    let state_dir = match (&args.state_dir, &config.gateway.state_dir) {
        (Some(d), _) | (None, Some(d)) => d.clone(),
        (None, None) => killswitch::state_dir()?,
    };
    let switch = KillSwitch::new(state_dir);

    let mut tokens = TokenTable::new();
    for t in &config.gateway.tokens {
        let secret = t
            .token
            .resolve()
            .map_err(|e| anyhow::anyhow!("token for `{}`: {e}", t.subject))?;
        tokens.add(&secret, t.subject.clone());
    }
    if let Some(t) = args.token.as_deref().filter(|t| !t.is_empty()) {
        tokens.add(t, "token");
    }
    let mut origins = config.gateway.allowed_origins.clone();
    origins.extend(args.allow_origin.iter().cloned());

    let mut servers: HashMap<String, Arc<dyn Connector>> = HashMap::new();
    let mut watchers = Vec::new();
    let mut shared_children = Vec::new();
    for (id, sc) in &config.servers {
        let name = id.to_string();
        if !args.servers.is_empty() && !args.servers.contains(&name) {
            continue;
        }
        let server: ServerId = name.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        watchers.push(switch.spawn_watcher(server, Arc::clone(&sink)));
        let limits = Limits {
            max_message_bytes: sc.limits.max_message_bytes,
            max_depth: sc.limits.max_json_depth,
        };
        let stack = Arc::new(stack::assemble(StackParts {
            audit: Some(Arc::clone(&sink)),
            kill_switch: Some(Box::new(KillSwitchCheck::new(switch.clone()))),
            limits: Some(limits),
            ..StackParts::default()
        }));
        let opts = relay_options(sc, limits);
        let (upstream, shared_child) = upstream_for(sc, limits).await?;
        shared_children.extend(shared_child);
        servers.insert(
            name,
            relayed(upstream, stack, opts, Some(sc.environment.to_string())),
        );
    }
    for n in &args.servers {
        if !servers.contains_key(n) {
            bail!("no server `{n}` in `{}`", args.config.display());
        }
    }
    if servers.is_empty() {
        bail!("no servers to serve in `{}`", args.config.display());
    }
    let names: Vec<String> = servers.keys().cloned().collect();
    let front_cfg = HttpFrontConfig {
        servers,
        tokens,
        origins: OriginPolicy {
            allowed: origins,
            loopback_bound: true,
        },
        max_body_bytes: config.gateway.limits.max_message_bytes.max(1024),
        idle_timeout: Duration::from_secs(args.idle_timeout_secs.max(1)),
    };
    let listen = args.listen.unwrap_or(config.gateway.listen);
    let front = HttpFront::bind(listen, front_cfg).await?;
    let addr = front.local_addr()?;
    for n in &names {
        eprintln!(
            "mcpwall: serving `{n}` at http://{addr}/mcp/{n} (legacy sse: http://{addr}/sse/{n})"
        );
    }
    front.run(super::lifecycle::terminated()).await?;
    for w in watchers {
        w.abort();
    }
    for c in shared_children {
        c.shutdown(Duration::from_secs(2)).await;
    }
    Ok(ExitCode::SUCCESS)
}

fn relay_options(sc: &ServerConfig, limits: Limits) -> RelayOptions {
    let mut relay = RelayOptions {
        limits,
        ..RelayOptions::default()
    };
    relay.call_timeout = (!sc.timeout.is_zero()).then_some(sc.timeout);
    relay.restart = match sc.restart {
        mcpwall_policy::RestartPolicy::Never => RestartPolicy::Never,
        mcpwall_policy::RestartPolicy::OnFailure {
            max_restarts,
            backoff_ms,
        } => RestartPolicy::OnFailure {
            max_restarts,
            backoff: Duration::from_millis(backoff_ms),
        },
    };
    relay
}

/// The upstream of one server, and the shared child to stop at exit (shared mode).
async fn upstream_for(
    sc: &ServerConfig,
    limits: Limits,
) -> anyhow::Result<(Upstream, Option<StdioUpstream>)> {
    match &sc.transport {
        Transport::Stdio(_) => {
            let spec = LaunchSpec::from_server(sc)
                .with_context(|| format!("server `{}` has no command", sc.id))?;
            if sc.shared {
                // One child for every session, started now so the first client does not wait.
                let child = StdioUpstream::new(spec, limits.max_message_bytes);
                let pipe = child
                    .connect()
                    .await
                    .with_context(|| format!("cannot start server `{}`", sc.id))?;
                Ok((Upstream::Shared(Shared::new(pipe)), Some(child)))
            } else {
                Ok((
                    Upstream::Stdio {
                        spec,
                        max_line: limits.max_message_bytes,
                    },
                    None,
                ))
            }
        }
        Transport::Http(h) => {
            let url = h
                .url
                .parse()
                .with_context(|| format!("server `{}`: invalid url `{}`", sc.id, h.url))?;
            let mut headers: Vec<(String, String)> = h
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, r) in &h.secret_headers {
                let v = r
                    .resolve()
                    .map_err(|e| anyhow::anyhow!("server `{}`: header `{k}`: {e}", sc.id))?;
                headers.push((k.clone(), v));
            }
            let transport = match h.protocol {
                HttpProtocol::Streamable => RemoteTransport::Streamable,
                HttpProtocol::LegacySse => RemoteTransport::LegacySse,
            };
            Ok((
                Upstream::Remote(RemoteSpec {
                    url,
                    headers,
                    transport,
                    // The URL guard admits internal targets only from `[servers.NAME.network]`.
                    guard: mcpwall_gateway::egress::RemoteGuard::from_policy(&h.network),
                    server: sc.id.to_string(),
                }),
                None,
            ))
        }
    }
}
