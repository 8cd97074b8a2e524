//! A direct stdio child behind the HTTP front, with no relay in between: used by the front's
//! own tests and as a fallback until the relay's stdio upstream is wired in `serve`. It goes
//! through [`crate::launch::command`] like every other stdio server.

use std::process::Stdio;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use mcpwall_protocol::framing::{to_single_line, Frame, LineFramer, DEFAULT_MAX_LINE_BYTES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::{ClientPipe, ConnectError, Connector, SessionStart};
use crate::launch::{self, LaunchSpec};

/// Spawns `spec` and returns a pipe of complete messages to and from it. The child is killed
/// when the pipe's sender is dropped and its stdout has ended.
pub fn spawn(spec: &LaunchSpec, server: &str) -> Result<ClientPipe, ConnectError> {
    let err = |reason: String| ConnectError {
        server: server.to_owned(),
        reason,
    };
    let mut cmd = launch::command(spec).map_err(|e| err(e.to_string()))?;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|e| {
        err(format!(
            "cannot start `{}`: {e}",
            spec.program.to_string_lossy()
        ))
    })?;
    let (Some(mut stdin), Some(mut stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(err("child has no stdio".to_owned()));
    };
    let (to_child, mut from_client) = mpsc::channel::<Bytes>(64);
    let (to_client, from_child) = mpsc::channel::<Bytes>(64);
    tokio::spawn(async move {
        while let Some(msg) = from_client.recv().await {
            let line = to_single_line(msg);
            if stdin.write_all(&line).await.is_err()
                || stdin.write_all(b"\n").await.is_err()
                || stdin.flush().await.is_err()
            {
                break;
            }
        }
        // Closing stdin asks the server to exit; kill it if it does not within a moment.
        drop(stdin);
        if tokio::time::timeout(std::time::Duration::from_secs(2), child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    });
    tokio::spawn(async move {
        let mut framer = LineFramer::new(DEFAULT_MAX_LINE_BYTES);
        let mut buf = BytesMut::with_capacity(16 * 1024);
        loop {
            while let Some(frame) = framer.next_frame(&mut buf) {
                match frame {
                    Frame::Message(m) => {
                        if to_client.send(m).await.is_err() {
                            return;
                        }
                    }
                    Frame::TooLong { len } => {
                        tracing::warn!(len, "over-long line from server dropped")
                    }
                }
            }
            match stdout.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        if let Some(Frame::Message(m)) = framer.finish(&mut buf) {
            let _ = to_client.send(m).await;
        }
    });
    Ok(ClientPipe {
        tx: to_child,
        rx: from_child,
    })
}

/// A connector that gives every session its own child.
pub fn connector(spec: LaunchSpec) -> Arc<dyn Connector> {
    let spec = Arc::new(spec);
    Arc::new(move |start: SessionStart| {
        let spec = spec.clone();
        async move { spawn(&spec, &start.server) }.boxed()
    })
}
