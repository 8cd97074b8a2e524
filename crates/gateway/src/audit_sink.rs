//! The gateway's side of the audit trail: what it records, and the sink it records into.
//!
//! The relay and the stack build [`AuditEvent`]s and hand them to an [`AuditSink`]. Recording
//! never blocks the message path for long: the SQLite-backed sink ([`AppenderSink`]) queues
//! events in the audit appender, which summarizes them (hash, redaction) when it writes them.
//! An event counts as acknowledged only once it is durable (in the appender's write-ahead
//! spool or committed): [`AuditSink::record_durable`] returns a [`Commit`] that resolves
//! then, and the relay releases a message to the client only after its records are durable.
//! There is no sink that drops events when it cannot keep up: recording fails closed.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::session::SessionCtx;

/// What happened, and the outcome a record reports: the audit trail's own types, so the
/// gateway's records map onto stored ones without a translation table.
pub use mcpwall_audit::{Decision, EventKind};

/// A payload (arguments or result) as the trail keeps it: size, hash, and optionally a
/// redacted, size-capped text. Never the clear text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// Size in bytes of the original.
    pub size: usize,
    /// Hex SHA-256 of the original bytes.
    pub sha256: String,
    /// Redacted text, capped at [`PAYLOAD_TEXT_CAP`] bytes, when a redactor is configured.
    pub redacted: Option<String>,
}

/// Cap on the redacted text kept per payload.
pub const PAYLOAD_TEXT_CAP: usize = 4096;

impl Payload {
    /// Size and hash of `bytes` (no text).
    pub fn of(bytes: &[u8]) -> Self {
        Self {
            size: bytes.len(),
            sha256: mcpwall_audit::sha256_hex(bytes),
            redacted: None,
        }
    }
}

/// Payloads up to this size are hashed by the audit writer, off the message path; larger ones
/// are summarized at once so the queue never pins large buffers.
pub const DEFER_HASH_MAX: usize = 256 * 1024;

/// A payload as an event carries it: the bytes themselves (cheap, reference-counted) until the
/// writer summarizes them, or the summary.
#[derive(Debug, Clone)]
pub enum PayloadRef {
    /// Not summarized yet.
    Raw(bytes::Bytes),
    /// Already summarized.
    Summary(Payload),
}

impl PayloadRef {
    /// Wraps `bytes`, summarizing large payloads immediately.
    pub fn new(bytes: bytes::Bytes, redactor: Option<Redactor>) -> Self {
        if bytes.len() > DEFER_HASH_MAX {
            PayloadRef::Summary(summarize(&bytes, redactor))
        } else {
            PayloadRef::Raw(bytes)
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> usize {
        match self {
            PayloadRef::Raw(b) => b.len(),
            PayloadRef::Summary(p) => p.size,
        }
    }

    /// The summary (hashing and redacting now if needed).
    pub fn resolve(&self, redactor: Option<Redactor>) -> Payload {
        match self {
            PayloadRef::Raw(b) => summarize(b, redactor),
            PayloadRef::Summary(p) => p.clone(),
        }
    }
}

/// One audit record, as the gateway produces it.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    /// When.
    pub time: SystemTime,
    /// What.
    pub kind: EventKind,
    /// Session id (empty for process-wide events such as a kill switch change).
    pub session: String,
    /// `user:NAME`, `token:SUBJECT` or `anonymous`.
    pub identity: String,
    /// Server name.
    pub server: String,
    /// `stdio`, `http`, `sse`.
    pub transport: String,
    /// JSON-RPC method, if any.
    pub method: Option<String>,
    /// Tool name, for `tools/call`.
    pub tool: Option<String>,
    /// Request id as JSON text, if any.
    pub request_id: Option<String>,
    /// Arguments (or params) of the request.
    pub arguments: Option<PayloadRef>,
    /// Result (the whole response message).
    pub result: Option<PayloadRef>,
    /// `result.isError` of a tool result, when present.
    pub is_error: Option<bool>,
    /// The decision.
    pub decision: Option<Decision>,
    /// The rule or stage that made the decision (e.g. `kill_switch`, `limits.max_depth`).
    pub rule: Option<String>,
    /// A readable reason or detail.
    pub detail: Option<String>,
    /// Time from request to response.
    pub latency: Option<Duration>,
}

impl AuditEvent {
    /// An event of `kind` for session `ctx`, with every optional field empty.
    pub fn new(kind: EventKind, ctx: &SessionCtx) -> Self {
        let mut ev = Self::process(kind, ctx.identity.label(), ctx.server.to_string());
        ev.session = ctx.id.to_string();
        ev.transport = ctx.transport.as_str().to_owned();
        ev
    }

    /// A process-wide event (no session), such as a kill switch change.
    pub fn process(kind: EventKind, identity: String, server: String) -> Self {
        Self {
            time: SystemTime::now(),
            kind,
            session: String::new(),
            identity,
            server,
            transport: String::new(),
            method: None,
            tool: None,
            request_id: None,
            arguments: None,
            result: None,
            is_error: None,
            decision: None,
            rule: None,
            detail: None,
            latency: None,
        }
    }
}

/// Where audit events go. Implementations must not block for long and must not panic.
pub trait AuditSink: Send + Sync {
    /// Records one event (queues it; durability is the sink's business).
    fn record(&self, event: AuditEvent);

    /// Records one event and returns what resolves once it is durable. Sinks without a
    /// durable store resolve at once (the default).
    fn record_durable(&self, event: AuditEvent) -> Commit {
        self.record(event);
        Commit::none()
    }

    /// A hint that the caller has idle time now (it forwarded a request and waits for the
    /// answer): a sink may do deferred work on queued events (the SQLite sink builds them and
    /// writes them to its spool), so the write the answer will wait for has less to do. The
    /// default does nothing.
    fn prepare(&self) {}

    /// The redactor to keep payload text with; `None` keeps only size and hash.
    fn redactor(&self) -> Option<Redactor> {
        None
    }
}

/// A sink that drops everything (no audit configured).
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl AuditSink for NullSink {
    fn record(&self, _event: AuditEvent) {}
}

/// A sink that keeps events in memory (tests, diagnostics).
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl MemorySink {
    /// A copy of everything recorded so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl AuditSink for MemorySink {
    fn record(&self, event: AuditEvent) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event);
        }
    }
}

/// Why a record could not be made durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit trail could not record the event: {0}")]
pub struct CommitError(pub String);

/// Resolves once the audit records it stands for are durable: in the appender's spool or
/// committed (or at once when there is nothing to wait for). Several commits [`Commit::merge`] into one.
#[derive(Debug, Clone, Default)]
pub struct Commit(CommitState);

#[derive(Debug, Clone, Default)]
enum CommitState {
    #[default]
    Nothing,
    Pending(mcpwall_audit::Acked),
    Failed(String),
}

impl Commit {
    /// Nothing to wait for.
    pub fn none() -> Self {
        Commit(CommitState::Nothing)
    }

    /// Waits for an appender ticket.
    pub fn acked(a: mcpwall_audit::Acked) -> Self {
        Commit(CommitState::Pending(a))
    }

    /// A record that could not even be queued.
    pub fn failed(reason: impl Into<String>) -> Self {
        Commit(CommitState::Failed(reason.into()))
    }

    /// Whether there is nothing to wait for.
    pub fn is_none(&self) -> bool {
        matches!(self.0, CommitState::Nothing)
    }

    /// Resolves when both have; a failure of either wins.
    pub fn merge(self, other: Commit) -> Commit {
        use CommitState::{Failed, Nothing, Pending};
        Commit(match (self.0, other.0) {
            (Failed(e), _) | (_, Failed(e)) => Failed(e),
            (Nothing, x) | (x, Nothing) => x,
            (Pending(a), Pending(b)) => Pending(a.merge(b)),
        })
    }

    /// The outcome without waiting, `None` while pending.
    pub fn poll_now(&self) -> Option<Result<(), CommitError>> {
        match &self.0 {
            CommitState::Nothing => Some(Ok(())),
            CommitState::Failed(e) => Some(Err(CommitError(e.clone()))),
            CommitState::Pending(a) => a
                .poll_now()
                .map(|r| r.map_err(|e| CommitError(e.to_string()))),
        }
    }
}

impl std::future::Future for Commit {
    type Output = Result<(), CommitError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        use std::task::Poll;
        match &mut self.0 {
            CommitState::Nothing => Poll::Ready(Ok(())),
            CommitState::Failed(e) => Poll::Ready(Err(CommitError(e.clone()))),
            CommitState::Pending(a) => std::pin::Pin::new(a)
                .poll(cx)
                .map(|r| r.map_err(|e| CommitError(e.to_string()))),
        }
    }
}

/// The SQLite-backed sink: queues each event in the audit appender, which builds the stored
/// record (hash, redaction) just before it is written. Recording never drops an
/// event: when the writer is far behind (queue full), recording waits for room, so the
/// gateway slows down rather than answer without a record.
#[derive(Debug, Clone)]
pub struct AppenderSink {
    appender: mcpwall_audit::Appender,
    redactor: Option<Redactor>,
}

impl AppenderSink {
    /// A sink feeding `appender`, keeping payload text through `redactor` (size and hash
    /// only when `None`).
    pub fn new(appender: mcpwall_audit::Appender, redactor: Option<Redactor>) -> Self {
        Self { appender, redactor }
    }
}

impl AuditSink for AppenderSink {
    fn record(&self, event: AuditEvent) {
        self.record_durable(event);
    }

    fn record_durable(&self, event: AuditEvent) -> Commit {
        let redactor = self.redactor;
        match self
            .appender
            .append_with(move || to_audit_event(&event, redactor))
        {
            Ok(t) => Commit::acked(self.appender.acked(t)),
            Err(e) => {
                tracing::error!(error = %e, "audit trail refused an event");
                Commit::failed(e.to_string())
            }
        }
    }

    fn prepare(&self) {
        self.appender.prespool();
    }

    fn redactor(&self) -> Option<Redactor> {
        self.redactor
    }
}

/// A function that removes secrets and PII from text (the detection engine's redaction).
pub type Redactor = fn(&str) -> String;

/// The redactor for JSON-RPC payloads: redacts every string value after decoding it (a secret
/// inside JSON text inside a JSON string is escaped twice and would slip past a plain text
/// scan), then the compact document once more as text (a name and its value together, such
/// as `"password":"..."`, are only seen there); text that is not JSON is redacted as text.
///
/// One streaming pass ([`mcpwall_detect::json_strings::map_string_values`]) rewrites the
/// strings: the same result as a `serde_json::Value` round trip except that members keep
/// their order and numbers their spelling, at about half the cost.
pub fn redact_payload(text: &str) -> String {
    match mcpwall_detect::json_strings::map_string_values(text, &mut redact_short_memo) {
        Some(doc) => mcpwall_detect::redact::redact(&doc),
        None => mcpwall_detect::redact::redact(text),
    }
}

/// Strings up to this many bytes are redacted through the per-thread memo.
const MEMO_MAX_LEN: usize = 64;
/// Entries the memo holds before it starts over.
const MEMO_CAP: usize = 256;

thread_local! {
    /// Short strings already redacted on this thread, and their redacted form. JSON-RPC
    /// payloads repeat the same short strings in every message (`"2.0"`, `"text"`, tool and
    /// argument names, enum values); redaction is a pure function of the text, so a hit gives
    /// exactly what [`mcpwall_detect::redact::redact`] would, for a fraction of its fixed cost.
    static MEMO: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// [`mcpwall_detect::redact::redact`], remembered for short strings; `None` when the text
/// has nothing to redact.
fn redact_short_memo(s: &str) -> Option<String> {
    let changed = |r: String| (r != s).then_some(r);
    if s.len() > MEMO_MAX_LEN {
        return changed(mcpwall_detect::redact::redact(s));
    }
    MEMO.with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else {
            return changed(mcpwall_detect::redact::redact(s));
        };
        if let Some(r) = memo.get(s) {
            return r.clone();
        }
        let r = changed(mcpwall_detect::redact::redact(s));
        if memo.len() >= MEMO_CAP {
            memo.clear();
        }
        memo.insert(s.to_owned(), r.clone());
        r
    })
}

/// Summarizes a payload for the trail: size and hash always, plus redacted capped text when a
/// redactor is given (so the trail never holds a secret in clear).
pub fn summarize(bytes: &[u8], redactor: Option<Redactor>) -> Payload {
    let mut p = Payload::of(bytes);
    if let Some(redact) = redactor {
        // Redact at most DEFER_HASH_MAX bytes (redaction cost grows with size); only the start
        // of the result is kept.
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(DEFER_HASH_MAX)]);
        let mut red = redact(&text);
        if red.len() > PAYLOAD_TEXT_CAP {
            let mut cut = PAYLOAD_TEXT_CAP;
            while !red.is_char_boundary(cut) {
                cut -= 1;
            }
            red.truncate(cut);
            red.push('…');
        }
        p.redacted = Some(red);
    }
    p
}

/// Connects the gateway to the audit trail: a sink whose events the appender's writer thread
/// summarizes (hash, redaction) when it writes them. An event is acknowledged once durable
/// (spooled or committed); call [`mcpwall_audit::Appender::close`] before exiting so
/// nothing queued is left behind.
pub fn appender_sink(
    appender: mcpwall_audit::Appender,
    redactor: Option<Redactor>,
) -> AppenderSink {
    AppenderSink::new(appender, redactor)
}

/// Converts a gateway event into the audit crate's event.
pub fn to_audit_event(ev: &AuditEvent, redactor: Option<Redactor>) -> mcpwall_audit::Event {
    use mcpwall_audit::Event;
    let mut out = Event::new(ev.kind.clone()).system_time(ev.time);
    if !ev.session.is_empty() {
        out = out.session(ev.session.clone());
    }
    if !ev.identity.is_empty() {
        out = out.identity(ev.identity.clone());
    }
    if !ev.server.is_empty() {
        out = out.server(ev.server.clone());
    }
    if !ev.transport.is_empty() {
        out = out.transport(ev.transport.clone());
    }
    if let Some(m) = &ev.method {
        out = out.method(m.clone());
    }
    if let Some(id) = &ev.request_id {
        out = out.request_id(id.clone());
    }
    if let Some(t) = &ev.tool {
        out = out.tool(t.clone());
    }
    if let Some(a) = &ev.arguments {
        let p = a.resolve(redactor);
        out = out.args_summary(p.size as u64, p.sha256, p.redacted);
    }
    if let Some(r) = &ev.result {
        let p = r.resolve(redactor);
        let is_error = ev.is_error.unwrap_or(ev.kind == EventKind::Error);
        out = out.result_summary(p.size as u64, p.sha256, is_error, p.redacted);
    }
    match &ev.decision {
        Some(d) => {
            out = out.decision(*d, ev.rule.as_deref(), ev.detail.as_deref());
        }
        None => {
            if let Some(rule) = &ev.rule {
                out = out.detail("rule", rule.clone());
            }
            if let Some(detail) = &ev.detail {
                out = out.detail("detail", detail.clone());
            }
        }
    }
    if let Some(l) = ev.latency {
        out = out.latency(l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memo_redacts_exactly_like_the_engine() {
        let texts = [
            "2.0",
            "text",
            "Echo: bench",
            "mail bob@example.com now",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            "4111 1111 1111 1111",
            "",
        ];
        // twice: the second round is served by the memo
        for _ in 0..2 {
            for t in texts {
                assert_eq!(
                    redact_short_memo(t).unwrap_or_else(|| t.to_owned()),
                    mcpwall_detect::redact::redact(t),
                    "{t}"
                );
            }
        }
        // beyond the cap it starts over and stays exact
        for i in 0..(MEMO_CAP + 10) {
            let t = format!("value {i} bob{i}@example.com");
            assert_eq!(
                redact_short_memo(&t).unwrap_or_else(|| t.clone()),
                mcpwall_detect::redact::redact(&t)
            );
        }
        assert!(MEMO.with(|m| m.borrow().len()) <= MEMO_CAP);
        // a long string is not remembered
        let long = "x".repeat(MEMO_MAX_LEN + 1);
        MEMO.with(|m| m.borrow_mut().clear());
        assert_eq!(
            redact_short_memo(&long).unwrap_or_else(|| long.clone()),
            mcpwall_detect::redact::redact(&long)
        );
        assert_eq!(MEMO.with(|m| m.borrow().len()), 0);
    }

    /// The redactor before the streaming pass: a `serde_json::Value` round trip.
    fn redact_payload_by_value(text: &str) -> String {
        fn walk(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) => {
                    let t = s.trim_start();
                    if t.starts_with('{') || t.starts_with('[') {
                        if let Ok(mut inner) = serde_json::from_str::<serde_json::Value>(s) {
                            walk(&mut inner);
                            *s = inner.to_string();
                        }
                    }
                    *s = mcpwall_detect::redact::redact(s);
                }
                serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
                serde_json::Value::Object(o) => o.values_mut().for_each(walk),
                _ => {}
            }
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(mut v) => {
                walk(&mut v);
                mcpwall_detect::redact::redact(&v.to_string())
            }
            Err(_) => mcpwall_detect::redact::redact(text),
        }
    }

    #[test]
    fn streaming_redaction_gives_what_the_value_round_trip_gave() {
        let payloads = [
            r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"Echo: hi"}]}}"#,
            r#"{"arguments":{"message":"token ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A"},"name":"echo"}"#,
            r#"{"content":[{"text":"{\"a\":\"mail bob@example.com\",\"b\":\"AKIAIOSFODNN7EXAMPL2\"}","type":"text"}]}"#,
            r#"{ "password" : "hunter2-Xq9vLp2Rz8Tw", "user": "bob" }"#,
            "{\"text\":\"line\\nwith \\u0041KIA escapes \\ud83d\\ude00 4111 1111 1111 1111\"}",
            r#"[1, 2.5, -3e2, true, null, "x", {"k": ["  [\"ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A\"]"]}]"#,
            "not json: api_key=Zx81Kq0Lm2Np4Rs6Tu8Vw0Yz and bob@example.com",
            r#"{"truncated": "abc"#,
        ];
        for p in payloads {
            let new = redact_payload(p);
            let old = redact_payload_by_value(p);
            match (
                serde_json::from_str::<serde_json::Value>(&new),
                serde_json::from_str::<serde_json::Value>(&old),
            ) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{p}"),
                _ => assert_eq!(new, old, "{p}"),
            }
            for secret in [
                "ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A",
                "bob@example.com",
                "4111 1111",
            ] {
                assert!(!new.contains(secret), "{secret} left in {new}");
            }
        }
    }

    #[test]
    fn payload_hashes() {
        let p = Payload::of(b"abc");
        assert_eq!(p.size, 3);
        assert_eq!(
            p.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
