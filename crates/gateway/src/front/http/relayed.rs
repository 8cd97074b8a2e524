//! Connectors that put the relay (and so the check stack) between each HTTP client session
//! and its upstream: this is what `mcpwall serve` runs.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;

use super::guard::ANONYMOUS_LOOPBACK;
use super::{ClientPipe, ConnectError, Connector, SessionStart, Transport};
use crate::launch::LaunchSpec;
use crate::mux::Shared;
use crate::relay::{Pipe, Relay, RelayOptions, PIPE_CAPACITY};
use crate::session::{self, Identity, ServerId, SessionCtx};
use crate::stack::Stack;
use crate::upstream::http::RemoteSpec;
use crate::upstream::stdio::StdioUpstream;

/// How long a per-session child may take to exit after its session ends.
const CHILD_GRACE: Duration = Duration::from_secs(2);

/// Where the sessions of one configured server go.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// One stdio child per client session (the default: no state shared across sessions).
    Stdio {
        /// How to start it.
        spec: LaunchSpec,
        /// Cap on one line from the child.
        max_line: usize,
    },
    /// One stdio child shared by every session, multiplexed (`shared = true`).
    Shared(Shared),
    /// A remote server; each client session opens its own remote session.
    Remote(RemoteSpec),
}

/// A connector that, per session, opens the upstream and runs a relay with `stack` between it
/// and the client.
pub fn relayed(
    upstream: Upstream,
    stack: Arc<Stack>,
    opts: RelayOptions,
    environment: Option<String>,
) -> Arc<dyn Connector> {
    let upstream = Arc::new(upstream);
    Arc::new(move |start: SessionStart| {
        let upstream = upstream.clone();
        let stack = stack.clone();
        let opts = opts.clone();
        let environment = environment.clone();
        async move {
            let err = |reason: String| ConnectError {
                server: start.server.to_string(),
                reason,
            };
            let mut stdio = None;
            let up: Pipe = match &*upstream {
                Upstream::Stdio { spec, max_line } => {
                    let s = StdioUpstream::new(spec.clone(), *max_line);
                    let pipe = s.connect().await.map_err(|e| err(e.to_string()))?;
                    stdio = Some(s);
                    pipe
                }
                Upstream::Shared(mux) => mux.open(),
                Upstream::Remote(spec) => crate::upstream::http::connect(spec)
                    .await
                    .map_err(|e| err(e.to_string()))?,
            };
            let ctx = session_ctx(&start, environment);
            let (front_end, relay_end) = Pipe::pair(PIPE_CAPACITY);
            tokio::spawn(async move {
                let mut relay = Relay::new(ctx, stack, opts);
                if let Some(s) = &stdio {
                    relay = relay.with_reconnect(Arc::new(s.clone()));
                }
                let outcome = relay.run(relay_end, up).await;
                tracing::debug!(?outcome, "http session relay ended");
                if let Some(s) = stdio {
                    s.shutdown(CHILD_GRACE).await;
                }
            });
            Ok::<ClientPipe, ConnectError>(front_end)
        }
        .boxed()
    })
}

/// The relay's view of a session the front opened.
fn session_ctx(start: &SessionStart, environment: Option<String>) -> SessionCtx {
    let identity = if &*start.identity == ANONYMOUS_LOOPBACK {
        Identity::Anonymous
    } else {
        Identity::Token {
            subject: start.identity.to_string(),
        }
    };
    let server = start
        .server
        .parse::<ServerId>()
        .unwrap_or_else(|_| ServerId::from_program(&start.server));
    let transport = match start.transport {
        Transport::LegacySse => session::Transport::LegacySse,
        Transport::Streamable | Transport::Stateless => session::Transport::StreamableHttp,
    };
    let mut ctx = SessionCtx::new(identity, server, transport);
    if let Ok(id) = start.session_id.parse() {
        ctx.id = id;
    }
    ctx.environment = environment;
    ctx
}
