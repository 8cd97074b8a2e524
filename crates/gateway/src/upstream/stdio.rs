//! Stdio upstream: a child process speaking newline-delimited JSON-RPC.
//!
//! [`StdioUpstream::connect`] starts the server (always through [`crate::launch::command`], so
//! the sandbox applies) and returns a [`Pipe`]: a reader task frames the child's stdout with the
//! line cap, a writer task writes each message as one line to its stdin and flushes when it
//! has nothing more queued. The child's stderr is inherited (passes through to ours).
//! [`StdioUpstream::shutdown`] closes the child's stdin, waits, then terminates and reaps it.

use std::process::ExitStatus;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use mcpwall_protocol::framing::{self, Frame, LineFramer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::mpsc;

use crate::launch::{self, LaunchSpec};
use crate::relay::{Pipe, Reconnect, ReconnectError, ReconnectFuture, PIPE_CAPACITY};

/// Why the server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The launcher refused the spec.
    #[error(transparent)]
    Launch(#[from] launch::LaunchError),
    /// The program could not be started.
    #[error("cannot start `{program}`: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The child has no stdin or stdout pipe.
    #[error("server `{0}` has no stdio pipes")]
    NoPipes(String),
}

/// A stdio server that can be (re)started; clones share the running child.
#[derive(Debug, Clone)]
pub struct StdioUpstream {
    spec: Arc<LaunchSpec>,
    max_line: usize,
    child: Arc<tokio::sync::Mutex<Option<Child>>>,
}

impl StdioUpstream {
    /// A server started from `spec`, with lines from it capped at `max_line` bytes.
    pub fn new(spec: LaunchSpec, max_line: usize) -> Self {
        Self {
            spec: Arc::new(spec),
            max_line,
            child: Arc::default(),
        }
    }

    /// Starts the server (reaping a previous one first) and returns its pipe.
    pub async fn connect(&self) -> Result<Pipe, UpstreamError> {
        let mut slot = self.child.lock().await;
        if let Some(old) = slot.take() {
            terminate(old, Duration::from_millis(500)).await;
        }
        let program = self.spec.program.to_string_lossy().into_owned();
        let mut cmd = launch::command(&self.spec)?;
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| UpstreamError::Spawn {
            program: program.clone(),
            source,
        })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(UpstreamError::NoPipes(program));
        };
        *slot = Some(child);
        crate::busy_poll::watch(&stdout);
        let (ours, theirs) = Pipe::pair(PIPE_CAPACITY);
        let Pipe { tx, rx } = theirs;
        tokio::spawn(read_lines(stdout, tx, self.max_line));
        tokio::spawn(write_lines(stdin, rx));
        Ok(ours)
    }

    /// The running child's process id.
    pub async fn pid(&self) -> Option<u32> {
        self.child.lock().await.as_ref().and_then(Child::id)
    }

    /// Stops the server: waits up to `grace` for it to exit on its own (its stdin is closed once
    /// the relay drops the pipe), then sends SIGTERM, then SIGKILL, and always reaps it.
    pub async fn shutdown(&self, grace: Duration) -> Option<ExitStatus> {
        let child = self.child.lock().await.take()?;
        Some(terminate(child, grace).await)
    }
}

impl Reconnect for StdioUpstream {
    fn reconnect(&self) -> ReconnectFuture<'_> {
        Box::pin(async move {
            self.connect()
                .await
                .map_err(|e| ReconnectError(e.to_string()))
        })
    }
}

/// Waits up to `grace`, then SIGTERM and one more second, then SIGKILL; reaps in every case.
async fn terminate(mut child: Child, grace: Duration) -> ExitStatus {
    if let Ok(Ok(status)) = tokio::time::timeout(grace, child.wait()).await {
        return status;
    }
    if let Some(pid) = child.id().and_then(|p| i32::try_from(p).ok()) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        if let Ok(Ok(status)) = tokio::time::timeout(Duration::from_secs(1), child.wait()).await {
            return status;
        }
    }
    let _ = child.start_kill();
    loop {
        match child.wait().await {
            Ok(status) => return status,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => {
                // Already reaped elsewhere; report a generic failure status.
                use std::os::unix::process::ExitStatusExt;
                return ExitStatus::from_raw(1 << 8);
            }
        }
    }
}

async fn read_lines(mut stdout: ChildStdout, tx: mpsc::Sender<Bytes>, max_line: usize) {
    let mut framer = LineFramer::new(max_line);
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        let n = match stdout.read_buf(&mut buf).await {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(error = %e, "reading from the server failed");
                0
            }
        };
        let eof = n == 0;
        crate::busy_poll::heard_upstream();
        loop {
            let frame = if eof {
                framer.finish(&mut buf)
            } else {
                framer.next_frame(&mut buf)
            };
            match frame {
                Some(Frame::Message(m)) => {
                    if tx.send(m).await.is_err() {
                        return;
                    }
                }
                Some(Frame::TooLong { len }) => {
                    // The relay audits it and answers the request it was presumably for.
                    let note = crate::front::stdio::oversize_marker(len, max_line);
                    if tx.send(note).await.is_err() {
                        return;
                    }
                }
                None => break,
            }
        }
        if eof {
            return;
        }
    }
}

async fn write_lines(stdin: ChildStdin, mut rx: mpsc::Receiver<Bytes>) {
    let mut w = tokio::io::BufWriter::with_capacity(16 * 1024, stdin);
    while let Some(msg) = rx.recv().await {
        let mut next = Some(msg);
        while let Some(m) = next.take() {
            let m = framing::to_single_line(m);
            if w.write_all(&m).await.is_err() || w.write_all(b"\n").await.is_err() {
                return;
            }
            // Write everything already queued, then flush once.
            next = rx.try_recv().ok();
        }
        if w.flush().await.is_err() {
            return;
        }
        crate::busy_poll::sent_upstream();
    }
    let _ = w.shutdown().await;
}
