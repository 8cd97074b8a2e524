//! What `wrap` and `serve` share around the gateway itself: logging, shutdown signals, and
//! opening and draining the audit trail.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use mcpwall_audit::{AppenderOptions, StoreOptions, Synchronous};
use mcpwall_gateway::audit_sink::{self, AuditSink, NullSink, Redactor};
use mcpwall_gateway::relay;

/// Logs to stderr (stdout may carry the protocol); `MCPWALL_LOG` sets the filter. Colors only
/// on a terminal: hosts keep a server's stderr in log files.
pub fn init_logging() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPWALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// Resolves on SIGTERM, SIGINT or SIGHUP (the host shutting us down), after every relay of
/// this process has ended its session (so each has recorded its `session_end`), at most
/// [`STOP_GRACE`] later.
pub async fn terminated() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = hup.recv() => {}
    }
    relay::stop_all();
    relay::wait_all_ended(STOP_GRACE).await;
}

/// How long a stopping gateway waits for its sessions to end.
pub const STOP_GRACE: Duration = Duration::from_secs(2);

/// Environment variable choosing the audit commit durability (`normal` or `full`).
pub const ENV_AUDIT_SYNC: &str = "MCPWALL_AUDIT_SYNC";

/// Parses an audit durability setting: `normal` (survives SIGKILL, the default) or `full`
/// (fsync at every commit: survives power loss too).
pub fn parse_sync(s: &str) -> anyhow::Result<Synchronous> {
    match s.trim().to_ascii_lowercase().as_str() {
        "normal" => Ok(Synchronous::Normal),
        "full" => Ok(Synchronous::Full),
        other => anyhow::bail!("unknown audit sync mode `{other}` (expected `normal` or `full`)"),
    }
}

/// The audit trail of one gateway process: a group-committing appender behind the sink.
pub struct AuditTrail {
    /// Where the gateway records events (a null sink when auditing is off).
    pub sink: Arc<dyn AuditSink>,
    appender: Option<mcpwall_audit::Appender>,
}

impl AuditTrail {
    /// Opens the trail at `path` (creating its directory), or a null trail for `None`, with
    /// the durability from `MCPWALL_AUDIT_SYNC` (default `normal`).
    /// Egress-proxy decisions and best-effort sandbox warnings go to the same trail.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        let sync = match std::env::var(ENV_AUDIT_SYNC) {
            Ok(v) if !v.is_empty() => Some(parse_sync(&v)?),
            _ => None,
        };
        Self::open_with(path, sync)
    }

    /// Like [`AuditTrail::open`] with an explicit durability (`None`: `normal`).
    ///
    /// `normal` is the default because what the trail promises is that no answered call is
    /// missing from it when mcpwall dies (SIGKILL, crash, OOM kill): a WAL commit that has been
    /// written to the kernel survives that without fsync. `full` adds an fsync per commit
    /// (group commit shares it between concurrent events) for power-loss durability.
    pub fn open_with(path: Option<&Path>, sync: Option<Synchronous>) -> anyhow::Result<Self> {
        let appender = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create `{}`", dir.display()))?;
                }
                let store = StoreOptions {
                    synchronous: sync.unwrap_or(Synchronous::Normal),
                    ..StoreOptions::default()
                };
                Some(
                    mcpwall_audit::Appender::open_with(path, &store, AppenderOptions::default())
                        .with_context(|| format!("cannot open audit trail `{}`", path.display()))?,
                )
            }
            None => None,
        };
        let redactor: Redactor = audit_sink::redact_payload;
        let sink: Arc<dyn AuditSink> = match &appender {
            Some(a) => Arc::new(audit_sink::appender_sink(a.clone(), Some(redactor))),
            None => Arc::new(NullSink),
        };
        mcpwall_gateway::egress::set_audit_sink(&sink);
        Ok(Self { sink, appender })
    }

    /// Commits everything queued and closes the trail. Call it after the runtime is dropped,
    /// so every task that held a clone of the sink is gone.
    pub fn finish(self) {
        drop(self.sink);
        if let Some(a) = self.appender {
            if let Err(e) = a.close() {
                eprintln!("mcpwall: audit trail: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_sync_modes() {
        assert_eq!(parse_sync("normal").unwrap(), Synchronous::Normal);
        assert_eq!(parse_sync(" FULL ").unwrap(), Synchronous::Full);
        let e = parse_sync("off").unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown audit sync mode `off` (expected `normal` or `full`)"
        );
    }
}
