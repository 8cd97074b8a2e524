//! Stdio front: this process's own stdin/stdout.
//!
//! Two plain OS threads do the blocking I/O (tokio's own stdin/stdout go through the blocking
//! pool, one hand-off per read or write; a dedicated thread is cheaper and never blocks runtime
//! shutdown). The reader frames stdin with the line cap and answers an over-long line itself
//! with a JSON-RPC error; the writer writes each message as one line and flushes whenever it
//! has nothing more queued, so no message waits in a buffer.

use std::io::{Read, Write};

use bytes::{Bytes, BytesMut};
use mcpwall_protocol::framing::{self, Frame, LineFramer};
use mcpwall_protocol::jsonrpc;
use tokio::sync::mpsc;

use crate::relay::{Pipe, PIPE_CAPACITY};

/// The running stdio front's threads.
#[derive(Debug)]
pub struct StdioFront {
    writer: std::thread::JoinHandle<()>,
}

impl StdioFront {
    /// Waits until every message the relay sent has been written and flushed (call after the
    /// relay has returned, so its sender is dropped).
    pub fn wait_flushed(self) {
        let _ = self.writer.join();
    }
}

/// Starts the stdio front and returns the client-side pipe for the relay: messages read from
/// stdin arrive on `rx`; messages sent on `tx` are written to stdout.
pub fn spawn(max_line: usize) -> std::io::Result<(Pipe, StdioFront)> {
    spawn_on(std::io::stdin(), std::io::stdout(), max_line)
}

/// Like [`spawn`], over any reader and writer (tests use pipes).
pub fn spawn_on<R, W>(input: R, output: W, max_line: usize) -> std::io::Result<(Pipe, StdioFront)>
where
    R: Read + Send + 'static,
    W: Write + Send + 'static,
{
    let (ours, theirs) = Pipe::pair(PIPE_CAPACITY);
    let Pipe { tx, rx } = theirs;
    std::thread::Builder::new()
        .name("mcpwall-stdin".into())
        .spawn(move || read_loop(input, tx, max_line))?;
    let writer = std::thread::Builder::new()
        .name("mcpwall-stdout".into())
        .spawn(move || write_loop(output, rx))?;
    Ok((ours, StdioFront { writer }))
}

fn read_loop<R: Read>(mut input: R, to_relay: mpsc::Sender<Bytes>, max_line: usize) {
    let mut framer = LineFramer::new(max_line);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => 0,
        };
        let eof = n == 0;
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let frame = if eof {
                framer.finish(&mut buf)
            } else {
                framer.next_frame(&mut buf)
            };
            match frame {
                Some(Frame::Message(m)) => {
                    if to_relay.blocking_send(m).is_err() {
                        return;
                    }
                }
                Some(Frame::TooLong { len }) => {
                    tracing::warn!(
                        len,
                        max_line,
                        "client sent a message longer than the line limit"
                    );
                    // Sent as a message the relay refuses with a proper error and an audit record.
                    let note = oversize_marker(len, max_line);
                    if to_relay.blocking_send(note).is_err() {
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

const OVERSIZE_PREFIX: &str = r#"{"mcpwall_oversize":"#;

/// A stand-in for an over-long line: the relay answers it with a JSON-RPC error (id `null`,
/// since the id could not be read) and records it in the audit trail, like any oversized
/// message. (A client sending this text itself only gets the same error.)
pub(crate) fn oversize_marker(len: usize, max: usize) -> Bytes {
    Bytes::from(format!(r#"{OVERSIZE_PREFIX}[{len},{max}]}}"#))
}

/// Recognizes [`oversize_marker`]: the size error it stands for.
pub(crate) fn oversize_error(raw: &[u8]) -> Option<jsonrpc::EnvelopeError> {
    if !raw.starts_with(OVERSIZE_PREFIX.as_bytes()) {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Marker {
        mcpwall_oversize: (usize, usize),
    }
    let m: Marker = serde_json::from_slice(raw).ok()?;
    Some(jsonrpc::EnvelopeError::TooLarge {
        len: m.mcpwall_oversize.0,
        max: m.mcpwall_oversize.1,
    })
}

fn write_loop<W: Write>(mut output: W, mut rx: mpsc::Receiver<Bytes>) {
    let mut out: Vec<u8> = Vec::with_capacity(16 * 1024);
    while let Some(msg) = rx.blocking_recv() {
        out.clear();
        let mut next = Some(msg);
        while let Some(m) = next.take() {
            out.extend_from_slice(&framing::to_single_line(m));
            out.push(b'\n');
            if out.len() > 256 * 1024 {
                break;
            }
            next = rx.try_recv().ok();
        }
        if output
            .write_all(&out)
            .and_then(|()| output.flush())
            .is_err()
        {
            return;
        }
        if out.capacity() > 1024 * 1024 {
            out = Vec::with_capacity(16 * 1024);
        }
    }
}
