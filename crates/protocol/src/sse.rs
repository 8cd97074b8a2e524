//! Server-sent events framing (streamable HTTP and legacy HTTP+SSE).
//!
//! A pure, incremental decoder for `text/event-stream` bodies (as the WHATWG HTML standard
//! defines them) and an encoder for the events mcpwall writes. No I/O: callers feed chunks as
//! they arrive. The decoder bounds the size of one event (and of one pending line), because
//! the peer controls the stream and could otherwise make us buffer without end.

use bytes::{BufMut, Bytes, BytesMut};

/// Default cap on one event's size (field names, values and line breaks counted), 16 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Event {
    /// The `event:` field; `None` means the default type, `message`.
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, if the event carried one.
    pub id: Option<String>,
    /// The `retry:` field, if the event carried a valid one (milliseconds).
    pub retry: Option<u64>,
}

impl Event {
    /// The event type, `message` when the stream gave none.
    pub fn kind(&self) -> &str {
        self.event.as_deref().unwrap_or("message")
    }
}

/// Why an event stream could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One event (or one unterminated line) grew past the cap.
    #[error("server-sent event exceeds {limit} bytes")]
    TooLarge {
        /// The cap that was exceeded.
        limit: usize,
    },
    /// A line was not valid UTF-8.
    #[error("server-sent event is not valid utf-8")]
    InvalidUtf8,
}

/// Incremental `text/event-stream` decoder with a bounded event size.
#[derive(Debug)]
pub struct Decoder {
    max_event: usize,
    /// Bytes not yet split into lines.
    pending: Vec<u8>,
    /// Whether the previous chunk ended in `\r`, so a leading `\n` belongs to that line break.
    after_cr: bool,
    /// Whether the leading byte-order mark has been dealt with.
    started: bool,
    /// The event being assembled.
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
    retry: Option<u64>,
    /// Bytes consumed by the event being assembled.
    event_size: usize,
    failed: Option<SseError>,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl Decoder {
    /// A decoder that refuses events larger than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Self {
            max_event: max_event_bytes.max(1),
            pending: Vec::new(),
            after_cr: false,
            started: false,
            event: None,
            data: String::new(),
            has_data: false,
            id: None,
            retry: None,
            event_size: 0,
            failed: None,
        }
    }

    /// Feeds one chunk and returns the events it completed, in order. After an error the
    /// decoder stays failed: an oversized or corrupt stream is not resynchronised.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<Event>, SseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        let result = self.feed_inner(chunk);
        if let Err(err) = &result {
            self.failed = Some(err.clone());
        }
        result
    }

    /// Ends the stream: an unterminated last line is processed, an incomplete event (no
    /// blank line after it) is discarded, as the standard says.
    pub fn finish(&mut self) -> Result<(), SseError> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        Ok(())
    }

    fn feed_inner(&mut self, mut chunk: &[u8]) -> Result<Vec<Event>, SseError> {
        let mut out = Vec::new();
        if self.after_cr {
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
            self.after_cr = false;
        }
        if !self.started {
            // Strip a UTF-8 byte-order mark once, possibly split across chunks.
            let mut probe = std::mem::take(&mut self.pending);
            probe.extend_from_slice(chunk);
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            if probe.len() < BOM.len() && BOM.starts_with(&probe) {
                self.pending = probe;
                return Ok(out);
            }
            self.started = true;
            let body = probe.strip_prefix(BOM).unwrap_or(&probe).to_vec();
            return self.split_lines(&body, &mut out).map(|()| out);
        }
        self.split_lines(chunk, &mut out)?;
        Ok(out)
    }

    fn split_lines(&mut self, chunk: &[u8], out: &mut Vec<Event>) -> Result<(), SseError> {
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|&b| b == b'\n' || b == b'\r') {
            let (line_part, tail) = rest.split_at(pos);
            let is_cr = tail.first() == Some(&b'\r');
            let mut tail = &tail[1..];
            if is_cr {
                match tail.first() {
                    Some(b'\n') => tail = &tail[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            if self.pending.is_empty() {
                self.line(line_part, out)?;
            } else {
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(line_part);
                self.check_size(line.len())?;
                self.line(&line, out)?;
            }
            rest = tail;
        }
        if !rest.is_empty() {
            self.check_size(self.pending.len() + rest.len())?;
            self.pending.extend_from_slice(rest);
        }
        Ok(())
    }

    fn check_size(&self, extra: usize) -> Result<(), SseError> {
        if self.event_size.saturating_add(extra) > self.max_event {
            return Err(SseError::TooLarge {
                limit: self.max_event,
            });
        }
        Ok(())
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<Event>) -> Result<(), SseError> {
        if line.is_empty() {
            self.dispatch(out);
            return Ok(());
        }
        self.check_size(line.len() + 1)?;
        self.event_size += line.len() + 1;
        if line[0] == b':' {
            return Ok(()); // comment (keep-alive)
        }
        let line = std::str::from_utf8(line).map_err(|_| SseError::InvalidUtf8)?;
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                self.retry = value.parse().ok();
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        let event = self.event.take();
        let id = self.id.take();
        let retry = self.retry.take();
        let data = std::mem::take(&mut self.data);
        let has_data = std::mem::replace(&mut self.has_data, false);
        self.event_size = 0;
        // The standard only dispatches events with data; an `id`/`retry`-only block still
        // matters to a client tracking `Last-Event-ID`, so keep those too.
        if has_data || id.is_some() || retry.is_some() {
            out.push(Event {
                event,
                data,
                id,
                retry,
            });
        }
    }
}

/// Encodes one event. Line breaks inside `data` become separate `data:` lines, so any text
/// round-trips through [`Decoder`].
pub fn encode(event: Option<&str>, id: Option<&str>, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 32);
    if let Some(e) = event {
        out.put_slice(b"event: ");
        out.put_slice(sanitize_field(e).as_bytes());
        out.put_u8(b'\n');
    }
    if let Some(i) = id {
        out.put_slice(b"id: ");
        out.put_slice(sanitize_field(i).as_bytes());
        out.put_u8(b'\n');
    }
    let mut rest = data;
    loop {
        let pos = rest.iter().position(|&b| b == b'\n' || b == b'\r');
        out.put_slice(b"data: ");
        match pos {
            Some(p) => {
                out.put_slice(&rest[..p]);
                out.put_u8(b'\n');
                let skip = if rest[p] == b'\r' && rest.get(p + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                rest = &rest[p + skip..];
            }
            None => {
                out.put_slice(rest);
                out.put_u8(b'\n');
                break;
            }
        }
    }
    out.put_u8(b'\n');
    out.freeze()
}

/// A comment line, used as a keep-alive.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {}\n\n", sanitize_field(text)))
}

fn sanitize_field(s: &str) -> String {
    s.chars()
        .filter(|c| *c != '\n' && *c != '\r' && *c != '\0')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode_all(input: &[u8]) -> Vec<Event> {
        let mut d = Decoder::default();
        let mut v = d.feed(input).unwrap();
        d.finish().unwrap();
        v.shrink_to_fit();
        v
    }

    #[test]
    fn basic_event_with_type_and_id() {
        let ev = decode_all(b"event: endpoint\nid: 7\ndata: /messages?s=1\n\n");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind(), "endpoint");
        assert_eq!(ev[0].id.as_deref(), Some("7"));
        assert_eq!(ev[0].data, "/messages?s=1");
    }

    #[test]
    fn multi_line_data_comments_and_crlf() {
        let ev = decode_all(b": keepalive\r\ndata:a\r\ndata: b\r\n\r\ndata: c\r\r");
        assert_eq!(
            ev.iter().map(|e| e.data.as_str()).collect::<Vec<_>>(),
            vec!["a\nb", "c"]
        );
        assert_eq!(ev[0].kind(), "message");
    }

    #[test]
    fn split_anywhere_gives_same_events() {
        let input = b"\xEF\xBB\xBFevent: message\r\ndata: {\"a\":1}\r\n\r\ndata: x\n\n";
        let whole = decode_all(input);
        assert_eq!(whole.len(), 2);
        for cut in 0..input.len() {
            let mut d = Decoder::default();
            let mut got = d.feed(&input[..cut]).unwrap();
            got.extend(d.feed(&input[cut..]).unwrap());
            assert_eq!(got, whole, "cut at {cut}");
        }
    }

    #[test]
    fn incomplete_event_is_dropped_at_end() {
        let ev = decode_all(b"data: done\n\ndata: partial");
        assert_eq!(ev.len(), 1);
    }

    #[test]
    fn oversized_event_is_refused_and_stays_failed() {
        let mut d = Decoder::new(64);
        let big = format!("data: {}\n", "x".repeat(40));
        assert!(d.feed(big.as_bytes()).unwrap().is_empty());
        assert_eq!(
            d.feed(big.as_bytes()),
            Err(SseError::TooLarge { limit: 64 })
        );
        assert!(d.feed(b"\n").is_err());
    }

    #[test]
    fn unterminated_line_is_bounded() {
        let mut d = Decoder::new(100);
        for _ in 0..10 {
            d.feed(&[b'a'; 10]).unwrap();
        }
        assert!(matches!(
            d.feed(&[b'a'; 10]),
            Err(SseError::TooLarge { .. })
        ));
    }

    #[test]
    fn encode_splits_lines() {
        let b = encode(Some("message"), Some("3"), b"{\n\"a\":1\r\n}");
        assert_eq!(
            &b[..],
            b"event: message\nid: 3\ndata: {\ndata: \"a\":1\ndata: }\n\n"
        );
        let ev = decode_all(&b);
        assert_eq!(ev[0].data, "{\n\"a\":1\n}");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8)) {
            let mut d = Decoder::new(128);
            for c in &chunks {
                if d.feed(c).is_err() { break; }
            }
            let _ = d.finish();
        }

        #[test]
        fn encode_decode_round_trip(data in "[^\r]{0,200}", event in proptest::option::of("[a-z]{1,10}")) {
            let bytes = encode(event.as_deref(), None, data.as_bytes());
            let ev = decode_all(&bytes);
            prop_assert_eq!(ev.len(), 1);
            prop_assert_eq!(&ev[0].data, &data);
            prop_assert_eq!(ev[0].event.as_deref(), event.as_deref());
        }
    }
}
