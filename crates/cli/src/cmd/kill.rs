//! `mcpwall kill` and `mcpwall resume`.
//!
//! Both rewrite the kill switch state file (see `mcpwall_gateway::killswitch`) that every
//! running gateway polls every 200 ms, and record the change in the audit trail.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use mcpwall_gateway::audit_sink::{self, AuditEvent, EventKind};
use mcpwall_gateway::killswitch;
use mcpwall_gateway::session::{Identity, ServerId};

/// Arguments of `mcpwall kill`.
#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// Only this server.
    #[arg(long)]
    pub server: Option<String>,
    /// Why (recorded and shown to clients).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `mcpwall resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// Only this server (without it, every switch is released).
    #[arg(long)]
    pub server: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Where the state and the audit trail are.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// Config whose `state_dir` and audit path to use.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Kill switch state directory (default: `MCPWALL_STATE_DIR`, the config's `state_dir`,
    /// else `~/.local/state/mcpwall`).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Audit database (default: `MCPWALL_AUDIT`, the config's, else the per-user data path) [env: MCPWALL_AUDIT].
    #[arg(long, value_name = "PATH")]
    pub audit: Option<PathBuf>,
    /// Do not record the change in the audit trail.
    #[arg(long, conflicts_with = "audit")]
    pub no_audit: bool,
}

struct Where {
    state_dir: PathBuf,
    audit: Option<PathBuf>,
}

fn locate(c: &Common) -> anyhow::Result<Where> {
    let config = match &c.config {
        Some(p) => Some(mcpwall_policy::load(p).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let state_dir = match (
        &c.state_dir,
        std::env::var_os("MCPWALL_STATE_DIR").filter(|v| !v.is_empty()),
    ) {
        (Some(d), _) => d.clone(),
        (None, Some(d)) => PathBuf::from(d),
        (None, None) => match config.as_ref().and_then(|c| c.gateway.state_dir.clone()) {
            Some(d) => d,
            None => killswitch::state_dir()?,
        },
    };
    let audit = if c.no_audit {
        None
    } else {
        match super::audit_arg(c.audit.as_ref())
            .or_else(|| config.as_ref().and_then(|c| c.gateway.audit.path.clone()))
        {
            Some(p) => Some(p),
            None => mcpwall_audit::default_path().ok(),
        }
    };
    Ok(Where { state_dir, audit })
}

fn parse_server(s: &Option<String>) -> anyhow::Result<Option<ServerId>> {
    s.as_deref()
        .map(|n| n.parse::<ServerId>().map_err(|e| anyhow::anyhow!("{e}")))
        .transpose()
}

/// Records the change; a failure is reported but does not undo it (the switch matters more).
fn record(audit: Option<&PathBuf>, server: Option<&ServerId>, detail: String) {
    let Some(path) = audit else { return };
    let ev = {
        let mut ev = AuditEvent::process(
            EventKind::KillSwitch,
            Identity::os_user().label(),
            server
                .map(ToString::to_string)
                .unwrap_or_else(|| "*".to_owned()),
        );
        ev.rule = Some("kill_switch".to_owned());
        ev.detail = Some(detail);
        audit_sink::to_audit_event(&ev, None)
    };
    let result = (|| {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut store = mcpwall_audit::Store::open(path)?;
        store.append(&ev)?;
        anyhow::Ok(())
    })();
    if let Err(e) = result {
        eprintln!(
            "mcpwall: warning: could not record the change in `{}`: {e:#}",
            path.display()
        );
    }
}

/// Runs `kill`.
pub fn run_kill(args: KillArgs) -> anyhow::Result<ExitCode> {
    let w = locate(&args.common)?;
    let server = parse_server(&args.server)?;
    killswitch::engage(
        &w.state_dir,
        server.as_ref(),
        args.reason.clone(),
        Identity::os_user().label(),
    )
    .context("cannot engage the kill switch")?;
    let scope = server
        .as_ref()
        .map_or_else(|| "every server".to_owned(), |s| format!("server `{s}`"));
    let reason = args.reason.as_deref().unwrap_or("no reason given");
    record(
        w.audit.as_ref(),
        server.as_ref(),
        format!("engaged: {reason}"),
    );
    eprintln!(
        "kill switch engaged for {scope}: tool calls are refused by every running mcpwall using `{}` within a second",
        w.state_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs `resume`.
pub fn run_resume(args: ResumeArgs) -> anyhow::Result<ExitCode> {
    let w = locate(&args.common)?;
    let server = parse_server(&args.server)?;
    let state = killswitch::release(&w.state_dir, server.as_ref())
        .context("cannot release the kill switch")?;
    record(w.audit.as_ref(), server.as_ref(), "released".to_owned());
    match &server {
        Some(s) if state.global.is_some() => {
            eprintln!(
                "kill switch released for server `{s}`, but the global switch is still engaged"
            );
        }
        Some(s) => eprintln!("kill switch released for server `{s}`"),
        None => eprintln!("kill switch released for every server"),
    }
    Ok(ExitCode::SUCCESS)
}
