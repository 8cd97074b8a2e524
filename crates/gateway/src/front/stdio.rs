//! Stdio front: this process's own stdin/stdout.
//!
//! When stdin and stdout are pipes (how MCP hosts start a server) and stderr is not the stdout
//! pipe, they are switched to non-blocking mode and served by two tasks on the caller's
//! runtime: with `wrap`'s single-threaded runtime, a message then goes from stdin through the
//! relay to the server and back to stdout without any thread hand-off. Otherwise (a terminal,
//! a file, stderr on the stdout pipe) two plain OS threads do the blocking I/O (tokio's own
//! stdin/stdout go through the blocking pool, one hand-off per read or write). Either way the
//! reader frames stdin with the line cap and answers an over-long line itself with a JSON-RPC
//! error; the writer writes each message as one line and writes whatever is queued at once,
//! so no message waits in a buffer.

use std::io::{Read, Write};
use std::os::fd::AsFd;

use bytes::{Bytes, BytesMut};
use mcpwall_protocol::framing::{self, Frame, LineFramer};
use mcpwall_protocol::jsonrpc;
use tokio::sync::mpsc;

use crate::relay::{Pipe, PIPE_CAPACITY};

/// The running stdio front's writer.
#[derive(Debug)]
pub struct StdioFront {
    writer: Writer,
}

#[derive(Debug)]
enum Writer {
    Thread(std::thread::JoinHandle<()>),
    Task(tokio::task::JoinHandle<()>),
}

impl StdioFront {
    /// Waits until every message the relay sent has been written (call after the relay has
    /// returned, so its sender is dropped).
    pub async fn flushed(self) {
        match self.writer {
            Writer::Thread(t) => {
                let _ = tokio::task::spawn_blocking(move || t.join()).await;
            }
            Writer::Task(t) => {
                let _ = t.await;
            }
        }
    }
}

/// Starts the stdio front and returns the client-side pipe for the relay: messages read from
/// stdin arrive on `rx`; messages sent on `tx` are written to stdout. Must be called within a
/// tokio runtime (with I/O enabled).
pub fn spawn(max_line: usize) -> std::io::Result<(Pipe, StdioFront)> {
    use tokio::net::unix::pipe;
    // O_NONBLOCK belongs to the open pipe, not to our descriptor: if stderr is the same pipe
    // as stdout (`2>&1`), the server we start inherits it and might not expect EAGAIN on its
    // stderr, so stay with blocking threads then.
    if same_file(&std::io::stdout(), &std::io::stderr()) {
        return spawn_on(std::io::stdin(), std::io::stdout(), max_line);
    }
    let input = dup(&std::io::stdin()).and_then(|f| pipe::Receiver::from_file(f).ok());
    let output = dup(&std::io::stdout()).and_then(|f| pipe::Sender::from_file(f).ok());
    match (input, output) {
        // Both are pipes (the usual case): non-blocking, served on this runtime.
        (Some(input), Some(output)) => {
            crate::busy_poll::watch(&input);
            let (ours, theirs) = Pipe::pair(PIPE_CAPACITY);
            let Pipe { tx, rx } = theirs;
            tokio::spawn(read_task(input, tx, max_line));
            let writer = tokio::spawn(write_task(output, rx));
            Ok((
                ours,
                StdioFront {
                    writer: Writer::Task(writer),
                },
            ))
        }
        _ => spawn_on(std::io::stdin(), std::io::stdout(), max_line),
    }
}

/// Whether `a` and `b` are the same file (the same pipe, say).
fn same_file(a: &impl AsFd, b: &impl AsFd) -> bool {
    use std::os::fd::AsRawFd;
    match (
        nix::sys::stat::fstat(a.as_fd().as_raw_fd()),
        nix::sys::stat::fstat(b.as_fd().as_raw_fd()),
    ) {
        (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
        // Unknown: assume shared, the safe side.
        _ => true,
    }
}

/// A duplicate of `fd` (the pipe types take ownership and set it non-blocking).
fn dup(fd: &impl AsFd) -> Option<std::fs::File> {
    fd.as_fd()
        .try_clone_to_owned()
        .ok()
        .map(std::fs::File::from)
}

/// Like [`spawn`], over any reader and writer, with two OS threads (tests use pipes).
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
    Ok((
        ours,
        StdioFront {
            writer: Writer::Thread(writer),
        },
    ))
}

/// Frames what arrives in `buf`; `false` when the relay is gone.
async fn deliver(
    framer: &mut LineFramer,
    buf: &mut BytesMut,
    eof: bool,
    to_relay: &mpsc::Sender<Bytes>,
) -> bool {
    loop {
        let frame = if eof {
            framer.finish(buf)
        } else {
            framer.next_frame(buf)
        };
        let msg = match frame {
            Some(Frame::Message(m)) => m,
            Some(Frame::TooLong { len }) => {
                let max_line = framer.max_line_bytes();
                tracing::warn!(
                    len,
                    max_line,
                    "client sent a message longer than the line limit"
                );
                // Sent as a message the relay refuses with a proper error and an audit record.
                oversize_marker(len, max_line)
            }
            None => return true,
        };
        if to_relay.send(msg).await.is_err() {
            return false;
        }
    }
}

async fn read_task(
    mut input: tokio::net::unix::pipe::Receiver,
    to_relay: mpsc::Sender<Bytes>,
    max_line: usize,
) {
    use tokio::io::AsyncReadExt;
    let mut framer = LineFramer::new(max_line);
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        let n = match input.read_buf(&mut buf).await {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => 0,
        };
        let eof = n == 0;
        crate::busy_poll::heard_client();
        if !deliver(&mut framer, &mut buf, eof, &to_relay).await || eof {
            return;
        }
    }
}

async fn write_task(mut output: tokio::net::unix::pipe::Sender, mut rx: mpsc::Receiver<Bytes>) {
    use tokio::io::AsyncWriteExt;
    let mut out: Vec<u8> = Vec::with_capacity(16 * 1024);
    while let Some(msg) = rx.recv().await {
        batch(&mut out, msg, &mut rx);
        if output.write_all(&out).await.is_err() {
            return;
        }
        crate::busy_poll::sent_to_client();
        if out.capacity() > 1024 * 1024 {
            out = Vec::with_capacity(16 * 1024);
        }
    }
}

/// Fills `out` with `first` and whatever else is queued already (up to 256 KiB), one line
/// each, so that one write carries them all.
fn batch(out: &mut Vec<u8>, first: Bytes, rx: &mut mpsc::Receiver<Bytes>) {
    out.clear();
    let mut next = Some(first);
    while let Some(m) = next.take() {
        out.extend_from_slice(&framing::to_single_line(m));
        out.push(b'\n');
        if out.len() > 256 * 1024 {
            break;
        }
        next = rx.try_recv().ok();
    }
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
        batch(&mut out, msg, &mut rx);
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
