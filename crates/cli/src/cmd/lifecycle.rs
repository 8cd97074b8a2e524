//! What `wrap` and `serve` share around the gateway itself: logging, shutdown signals, and
//! opening and draining the audit trail.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use mcpwall_gateway::audit_sink::{self, AuditSink, NullSink, Redactor};

/// Logs to stderr (stdout may carry the protocol); `MCPWALL_LOG` sets the filter.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCPWALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Resolves on SIGTERM, SIGINT or SIGHUP (the host shutting us down).
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
}

/// The audit trail of one gateway process: a batching appender fed by a redacting sink.
pub struct AuditTrail {
    /// Where the gateway records events (a null sink when auditing is off).
    pub sink: Arc<dyn AuditSink>,
    appender: Option<mcpwall_audit::Appender>,
    feed: Option<std::thread::JoinHandle<()>>,
}

impl AuditTrail {
    /// Opens the trail at `path` (creating its directory), or a null trail for `None`.
    /// Egress-proxy decisions and best-effort sandbox warnings go to the same trail.
    pub fn open(path: Option<&Path>) -> anyhow::Result<Self> {
        let appender = match path {
            Some(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create `{}`", dir.display()))?;
                }
                Some(
                    mcpwall_audit::Appender::open(path)
                        .with_context(|| format!("cannot open audit trail `{}`", path.display()))?,
                )
            }
            None => None,
        };
        let redactor: Redactor = audit_sink::redact_payload;
        let (sink, feed): (Arc<dyn AuditSink>, _) = match &appender {
            Some(a) => {
                let (sink, feed) = audit_sink::appender_sink(a.clone(), Some(redactor))?;
                (Arc::new(sink), Some(feed))
            }
            None => (Arc::new(NullSink), None),
        };
        mcpwall_gateway::egress::set_audit_sink(&sink);
        Ok(Self {
            sink,
            appender,
            feed,
        })
    }

    /// Drains and closes the trail. Call it after the runtime is dropped, so every task that
    /// held a clone of the sink is gone and the feed thread sees its input end.
    pub fn finish(self) {
        drop(self.sink);
        if let Some(f) = self.feed {
            let _ = f.join();
        }
        if let Some(a) = self.appender {
            if let Err(e) = a.close() {
                eprintln!("mcpwall: audit trail: {e}");
            }
        }
    }
}
