//! `mcpwall wrap`: speak MCP on our own stdin/stdout and run the real server as a child.
//!
//! `mcpwall wrap -- COMMAND [ARGS...]` works with no config at all (server name = the program's
//! file name); `mcpwall wrap --config FILE --server NAME` takes the command, limits, timeout,
//! restart policy and sandbox from the config. Either way it is a drop-in replacement for the
//! server's command in a host's config.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use mcpwall_gateway::audit_sink::AuditSink;
use mcpwall_gateway::front;
use mcpwall_gateway::killswitch::{self, KillSwitch, KillSwitchCheck};
use mcpwall_gateway::launch::LaunchSpec;
use mcpwall_gateway::relay::{Relay, RelayOptions, RelayOutcome, RestartPolicy};
use mcpwall_gateway::session::{ServerId, SessionCtx};
use mcpwall_gateway::stack::{self, StackParts};
use mcpwall_gateway::upstream::stdio::StdioUpstream;
use mcpwall_protocol::jsonrpc::Limits;

/// Arguments of `mcpwall wrap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Config file (mcpwall TOML, or a host's JSON with `mcpServers`/`servers`).
    #[arg(long, value_name = "FILE", requires = "server")]
    pub config: Option<PathBuf>,
    /// Which configured server to run.
    #[arg(long, value_name = "NAME", requires = "config")]
    pub server: Option<String>,
    /// Server name used for the kill switch and the audit trail when no config is given
    /// (default: the program's file name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Audit database (default: `MCPWALL_AUDIT`, else the per-user data path) [env: MCPWALL_AUDIT].
    #[arg(long, value_name = "PATH")]
    pub audit: Option<PathBuf>,
    /// Run without an audit trail.
    #[arg(long, conflicts_with = "audit")]
    pub no_audit: bool,
    /// Audit commit durability: `normal` (a record survives SIGKILL of mcpwall) or `full`
    /// (fsync per commit: survives power loss too) [default: normal].
    #[arg(long, value_name = "MODE", env = "MCPWALL_AUDIT_SYNC")]
    pub audit_sync: Option<String>,
    /// Pass the variable NAME from mcpwall's own environment to the server (repeatable; the
    /// server otherwise starts with an empty environment). Values are never logged or audited.
    #[arg(long = "pass-env", value_name = "NAME")]
    pub pass_env: Vec<String>,
    /// Largest message in bytes, either direction [default: 4194304, or the config's].
    #[arg(long, value_name = "BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Deepest JSON nesting accepted [default: 64, or the config's].
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Per-request timeout in milliseconds, 0 to disable [default: 60000, or the config's].
    #[arg(long, value_name = "MS")]
    pub call_timeout_ms: Option<u64>,
    /// What to do when the server dies: `never` or `on-failure` [default: never, or the config's].
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<String>,
    /// Restarts allowed in a row with `--restart on-failure` [default: 3].
    #[arg(long, value_name = "N")]
    pub max_restarts: Option<u32>,
    /// Kill switch state directory (default: `MCPWALL_STATE_DIR`, the config's `state_dir`,
    /// else `~/.local/state/mcpwall`).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// While an answer is due from the server, or the client's next message after an answer,
    /// poll the client's stdin and the server's stdout for up to US microseconds before the
    /// relay thread sleeps (yielding the CPU between polls; only while the machine has a CPU
    /// to spare). Lowers latency where waking an idle CPU is slow (VMs), at the cost of up to
    /// US of CPU time per message (measured: about the same CPU per call as sleeping, which
    /// costs wake-ups); 0 never spins. See docs/performance.md.
    #[arg(
        long,
        value_name = "US",
        default_value_t = 100,
        env = "MCPWALL_BUSY_POLL_US"
    )]
    pub busy_poll_us: u64,
    /// The server's command and arguments, after `--`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub rest: Vec<String>,
}

/// Everything `wrap` needs, resolved from flags and config.
struct Plan {
    server: ServerId,
    spec: LaunchSpec,
    limits: Limits,
    relay: RelayOptions,
    state_dir: PathBuf,
    audit: Option<PathBuf>,
}

fn plan(args: &Args) -> anyhow::Result<Plan> {
    let mut limits = Limits::default();
    let mut relay = RelayOptions::default();
    let mut state_dir = None;
    let mut audit = None;
    let (server, spec) = match (&args.config, &args.server) {
        (Some(path), Some(name)) => {
            if !args.rest.is_empty() {
                bail!("give either `--config`/`--server` or a command after `--`, not both");
            }
            let config = mcpwall_policy::load(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            for w in &config.warnings {
                eprintln!("mcpwall: warning: {w}");
            }
            let sc = config
                .server(name)
                .with_context(|| format!("no server `{name}` in `{}`", path.display()))?;
            let spec = LaunchSpec::from_server(sc).with_context(|| {
                format!(
                    "server `{name}` is not a stdio server; use `mcpwall serve` for remote servers"
                )
            })?;
            limits = Limits {
                max_message_bytes: sc.limits.max_message_bytes,
                max_depth: sc.limits.max_json_depth,
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
            state_dir = config.gateway.state_dir.clone();
            audit = config.gateway.audit.path.clone();
            let id: ServerId = name.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            (id, spec)
        }
        _ => {
            let Some((program, rest)) = args.rest.split_first() else {
                bail!(
                    "nothing to run: give `--config FILE --server NAME` or `-- COMMAND [ARGS...]`"
                );
            };
            let id = match &args.name {
                Some(n) => n.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
                None => ServerId::from_program(program),
            };
            let mut spec = LaunchSpec::new(program, rest);
            spec.server = id.to_string();
            (id, spec)
        }
    };
    let mut spec = spec;
    spec.pass_env.extend(args.pass_env.iter().cloned());
    if let Some(n) = args.max_message_bytes {
        limits.max_message_bytes = n;
    }
    if let Some(n) = args.max_depth {
        limits.max_depth = n;
    }
    if let Some(ms) = args.call_timeout_ms {
        relay.call_timeout = (ms > 0).then(|| Duration::from_millis(ms));
    }
    if let Some(p) = &args.restart {
        relay.restart = p.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    }
    if let (Some(n), RestartPolicy::OnFailure { backoff, .. }) = (args.max_restarts, relay.restart)
    {
        relay.restart = RestartPolicy::OnFailure {
            max_restarts: n,
            backoff,
        };
    }
    relay.limits = limits;
    // Precedence: flag, environment, config, default.
    let state_dir = match (
        &args.state_dir,
        std::env::var_os("MCPWALL_STATE_DIR").filter(|v| !v.is_empty()),
    ) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => PathBuf::from(d),
        (None, None) => match state_dir {
            Some(d) => d,
            None => killswitch::state_dir()?,
        },
    };
    let audit = if args.no_audit {
        None
    } else {
        Some(match super::audit_arg(args.audit.as_ref()).or(audit) {
            Some(p) => p,
            None => mcpwall_audit::default_path()?,
        })
    };
    Ok(Plan {
        server,
        spec,
        limits,
        relay,
        state_dir,
        audit,
    })
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::lifecycle::init_logging();
    let plan = plan(&args)?;
    // One session, one client: a single-threaded runtime keeps every hand-off on one thread and
    // the idle footprint small.
    let mut builder = tokio::runtime::Builder::new_current_thread();
    builder.enable_all();
    if args.busy_poll_us > 0 {
        let budget = std::time::Duration::from_micros(args.busy_poll_us.min(1_000_000));
        mcpwall_gateway::busy_poll::enable();
        builder.on_thread_park(move || mcpwall_gateway::busy_poll::spin(budget));
    }
    let rt = builder.build().context("cannot start the runtime")?;
    let sync = match args.audit_sync.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(super::lifecycle::parse_sync(s)?),
        None => None,
    };
    let trail = super::lifecycle::AuditTrail::open_with(plan.audit.as_deref(), sync)?;
    let code = rt.block_on(serve(plan, Arc::clone(&trail.sink)));
    // Dropping the runtime drops every task holding the sink; then the trail drains.
    drop(rt);
    trail.finish();
    code
}

async fn serve(plan: Plan, sink: Arc<dyn AuditSink>) -> anyhow::Result<ExitCode> {
    let switch = KillSwitch::new(plan.state_dir.clone());
    let _watcher = switch.spawn_watcher(plan.server.clone(), Arc::clone(&sink));
    let stack = Arc::new(stack::assemble(StackParts {
        audit: Some(Arc::clone(&sink)),
        kill_switch: Some(Box::new(KillSwitchCheck::new(switch))),
        limits: Some(plan.limits),
        ..StackParts::default()
    }));
    let upstream = StdioUpstream::new(plan.spec, plan.limits.max_message_bytes);
    let pipe = upstream
        .connect()
        .await
        .with_context(|| format!("cannot start server `{}`", plan.server))?;
    let (client, front) = front::stdio::spawn(plan.limits.max_message_bytes)
        .context("cannot start the stdio front")?;
    let ctx = SessionCtx::stdio(plan.server.clone());
    let relay = Relay::new(ctx, stack, plan.relay).with_reconnect(Arc::new(upstream.clone()));
    // On SIGTERM/SIGINT the relay records `session_end` and returns `Stopped`.
    let outcome = tokio::select! {
        o = relay.run(client, pipe) => Some(o),
        () = super::lifecycle::terminated() => None,
    };
    let outcome = outcome.filter(|o| *o != RelayOutcome::Stopped);
    let status = upstream.shutdown(Duration::from_secs(2)).await;
    if outcome.is_some() {
        // The relay dropped its sender: the writer ends once everything is written.
        front.flushed().await;
    }
    Ok(match (outcome, status) {
        (Some(RelayOutcome::UpstreamClosed { .. }), Some(s)) if !s.success() => {
            ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1))
        }
        (None, _) => ExitCode::from(143),
        _ => ExitCode::SUCCESS,
    })
}
