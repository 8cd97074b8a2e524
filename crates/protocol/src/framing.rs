//! Newline-delimited stdio framing with a line-length cap.
//!
//! MCP over stdio sends one JSON-RPC message per line. A peer can send one endless line to
//! exhaust our memory, so [`LineFramer`] caps the line length: an over-long line is reported
//! once as [`Frame::TooLong`] and the rest of it is discarded without being buffered.
//! Blank lines (and a trailing `\r`) are tolerated and skipped.

use bytes::{Buf, Bytes, BytesMut};

/// Default cap on one stdio line (one message), in bytes: 4 MiB.
///
/// Large enough for big tool results (file contents, screenshots as base64 of a few MiB
/// need a larger cap, which is configurable), small enough that one line cannot exhaust memory.
pub const DEFAULT_MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// One framing result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// One complete line without its terminator; never empty, never contains `\n`.
    Message(Bytes),
    /// A line longer than the cap was seen; `len` is how many bytes of it were seen when it
    /// was cut (at least the cap plus one). The rest of that line is skipped.
    TooLong {
        /// Bytes seen of the over-long line before it was cut.
        len: usize,
    },
}

/// Splits a byte stream into lines, with a cap on line length.
///
/// Pure: the caller reads bytes into a [`BytesMut`] and calls [`LineFramer::next_frame`] until it
/// returns `None`, then reads more. At end of input, [`LineFramer::finish`] yields a last line
/// that had no terminator.
#[derive(Debug, Clone)]
pub struct LineFramer {
    max: usize,
    /// Inside an over-long line: drop bytes up to the next newline.
    discarding: bool,
    /// Bytes of `buf` already searched for a newline (so a slow line is not rescanned).
    scanned: usize,
}

impl Default for LineFramer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_LINE_BYTES)
    }
}

impl LineFramer {
    /// A framer that accepts lines of at most `max_line_bytes` bytes (terminator excluded).
    pub fn new(max_line_bytes: usize) -> Self {
        Self {
            max: max_line_bytes.max(1),
            discarding: false,
            scanned: 0,
        }
    }

    /// The line-length cap.
    pub fn max_line_bytes(&self) -> usize {
        self.max
    }

    /// Takes the next frame out of `buf`, or `None` when `buf` holds no complete line yet.
    ///
    /// Never lets `buf` grow past the cap plus what one read added: an over-long line is cut
    /// and reported as soon as the cap is exceeded.
    pub fn next_frame(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        loop {
            if self.discarding {
                match memchr::memchr(b'\n', buf) {
                    Some(i) => {
                        buf.advance(i + 1);
                        self.discarding = false;
                        self.scanned = 0;
                    }
                    None => {
                        buf.clear();
                        self.scanned = 0;
                        return None;
                    }
                }
            }
            let start = self.scanned.min(buf.len());
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(off) => {
                    let nl = start + off;
                    self.scanned = 0;
                    let line = buf.split_to(nl + 1);
                    let content_len = trimmed_len(&line[..nl]);
                    if content_len > self.max {
                        // Complete, but too long: report it (the bytes are already consumed).
                        return Some(Frame::TooLong { len: content_len });
                    }
                    if is_blank(&line[..content_len]) {
                        continue;
                    }
                    let mut line = line.freeze();
                    line.truncate(content_len);
                    return Some(Frame::Message(line));
                }
                None => {
                    // One byte of slack for a `\r` before the newline.
                    if buf.len() > self.max + 1 {
                        let len = buf.len();
                        buf.clear();
                        self.scanned = 0;
                        self.discarding = true;
                        return Some(Frame::TooLong { len });
                    }
                    self.scanned = buf.len();
                    return None;
                }
            }
        }
    }

    /// At end of input: the last line if it had no terminator (and is not blank).
    pub fn finish(&mut self, buf: &mut BytesMut) -> Option<Frame> {
        if let Some(frame) = self.next_frame(buf) {
            return Some(frame);
        }
        self.scanned = 0;
        if self.discarding {
            self.discarding = false;
            buf.clear();
            return None;
        }
        let len = trimmed_len(buf);
        if len > self.max {
            buf.clear();
            return Some(Frame::TooLong { len });
        }
        if is_blank(&buf[..len]) {
            buf.clear();
            return None;
        }
        let mut line = buf.split().freeze();
        line.truncate(len);
        Some(Frame::Message(line))
    }
}

/// Length of `line` without a trailing `\r`.
fn trimmed_len(line: &[u8]) -> usize {
    if line.last() == Some(&b'\r') {
        line.len() - 1
    } else {
        line.len()
    }
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Makes `msg` safe to send as one stdio line: JSON allows raw newlines only as whitespace
/// between tokens (inside strings they must be escaped), so replacing them with spaces keeps
/// the same JSON value. Returns the input untouched (no copy) when it has none.
pub fn to_single_line(msg: Bytes) -> Bytes {
    if memchr::memchr2(b'\n', b'\r', &msg).is_none() {
        return msg;
    }
    let mut out = BytesMut::from(&msg[..]);
    for b in out.iter_mut() {
        if *b == b'\n' || *b == b'\r' {
            *b = b' ';
        }
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut f = LineFramer::new(max);
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for c in chunks {
            buf.extend_from_slice(c);
            while let Some(fr) = f.next_frame(&mut buf) {
                out.push(fr);
            }
        }
        while let Some(fr) = f.finish(&mut buf) {
            out.push(fr);
        }
        out
    }

    fn msg(s: &str) -> Frame {
        Frame::Message(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[test]
    fn splits_lines_across_chunks() {
        let out = frames(100, &[b"{\"a\":1}\n{\"b\"", b":2}\r\n\n  \n{\"c\":3}"]);
        assert_eq!(
            out,
            vec![msg("{\"a\":1}"), msg("{\"b\":2}"), msg("{\"c\":3}")]
        );
    }

    #[test]
    fn over_long_line_is_cut_and_skipped() {
        let out = frames(4, &[b"123456", b"789\nok\n"]);
        assert_eq!(out, vec![Frame::TooLong { len: 6 }, msg("ok")]);
    }

    #[test]
    fn over_long_complete_line_is_reported() {
        let out = frames(4, &[b"123456\nok\n"]);
        assert_eq!(out, vec![Frame::TooLong { len: 6 }, msg("ok")]);
    }

    #[test]
    fn line_at_cap_passes() {
        let out = frames(4, &[b"1234\n1234"]);
        assert_eq!(out, vec![msg("1234"), msg("1234")]);
    }

    #[test]
    fn buffer_stays_bounded_while_discarding() {
        let mut f = LineFramer::new(8);
        let mut buf = BytesMut::new();
        let mut too_long = 0;
        for _ in 0..1000 {
            buf.extend_from_slice(b"xxxxxxxxxxxxxxxx");
            while let Some(fr) = f.next_frame(&mut buf) {
                assert!(matches!(fr, Frame::TooLong { .. }));
                too_long += 1;
            }
            assert!(buf.len() <= 16);
        }
        assert_eq!(too_long, 1);
    }

    #[test]
    fn single_line_replaces_raw_newlines() {
        let m = to_single_line(Bytes::from_static(b"{\n \"a\": 1\r\n}"));
        assert_eq!(&m[..], b"{  \"a\": 1  }");
        let same = Bytes::from_static(b"{\"a\":1}");
        assert_eq!(to_single_line(same.clone()).as_ptr(), same.as_ptr());
    }
}
