//! The event schema: what one audit record says happened.
//!
//! An [`Event`] is built by the caller (the gateway, the kill switch, ...) with only the fields
//! it knows; the store adds `seq`, `prev_hash` and `hash` to make a [`crate::Record`].
//! Arguments and results are kept as size + SHA-256 of the full original, plus optionally an
//! already-redacted, size-capped text. The trail never holds clear text the caller did not
//! redact: this crate cannot redact, it only caps.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// What happened. Stored as a lowercase string; unknown strings read back as [`EventKind::Other`]
/// so that an older reader never fails on a newer trail.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A client session began.
    SessionStart,
    /// A client session ended.
    SessionEnd,
    /// A handshake (`initialize` or `server/discover`) passed through.
    Handshake,
    /// A list request (`tools/list`, `resources/list`, ...).
    List,
    /// A call (`tools/call`, `resources/read`, `prompts/get`).
    Call,
    /// A response to a recorded request.
    Result,
    /// An error: upstream crash, timeout, malformed input.
    Error,
    /// A check denied a message.
    Denial,
    /// The kill switch was engaged or released.
    KillSwitch,
    /// A sandbox event (launch, violation).
    Sandbox,
    /// An egress decision (outbound connection allowed or refused).
    Egress,
    /// Written by `prune`: records up to a sequence number were removed (see `detail`).
    Checkpoint,
    /// Any other kind (lowercase `[a-z0-9_.]`), for extensions.
    Other(String),
}

impl EventKind {
    /// The stable string form stored in the trail.
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::SessionStart => "session_start",
            EventKind::SessionEnd => "session_end",
            EventKind::Handshake => "handshake",
            EventKind::List => "list",
            EventKind::Call => "call",
            EventKind::Result => "result",
            EventKind::Error => "error",
            EventKind::Denial => "denial",
            EventKind::KillSwitch => "kill_switch",
            EventKind::Sandbox => "sandbox",
            EventKind::Egress => "egress",
            EventKind::Checkpoint => "checkpoint",
            EventKind::Other(s) => s,
        }
    }

    /// Every named kind (not `Other`), for help texts.
    pub const NAMED: &'static [&'static str] = &[
        "session_start",
        "session_end",
        "handshake",
        "list",
        "call",
        "result",
        "error",
        "denial",
        "kill_switch",
        "sandbox",
        "egress",
        "checkpoint",
    ];
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a kind string that is neither a named kind nor a valid extension name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid event kind `{0}`: use lowercase letters, digits, `_` or `.`")]
pub struct InvalidKind(pub String);

impl FromStr for EventKind {
    type Err = InvalidKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "session_start" => EventKind::SessionStart,
            "session_end" => EventKind::SessionEnd,
            "handshake" => EventKind::Handshake,
            "list" => EventKind::List,
            "call" => EventKind::Call,
            "result" => EventKind::Result,
            "error" => EventKind::Error,
            "denial" => EventKind::Denial,
            "kill_switch" => EventKind::KillSwitch,
            "sandbox" => EventKind::Sandbox,
            "egress" => EventKind::Egress,
            "checkpoint" => EventKind::Checkpoint,
            other => {
                let ok = !other.is_empty()
                    && other.len() <= 64
                    && other.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.'
                    });
                if !ok {
                    return Err(InvalidKind(other.to_owned()));
                }
                EventKind::Other(other.to_owned())
            }
        })
    }
}

impl Serialize for EventKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Read leniently: a record written by a newer version must still load and verify.
        Ok(s.parse().unwrap_or(EventKind::Other(s)))
    }
}

/// The decision a check (or the stack) made about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Forwarded unchanged.
    Allow,
    /// Refused.
    Deny,
    /// Forwarded after a check changed it (e.g. redaction).
    Modify,
    /// Held for an approval.
    Hold,
}

impl Decision {
    /// The stable string form.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
            Decision::Modify => "modify",
            Decision::Hold => "hold",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for an unknown decision string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid decision `{0}`: use allow, deny, modify or hold")]
pub struct InvalidDecision(pub String);

impl FromStr for Decision {
    type Err = InvalidDecision;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "allow" => Ok(Decision::Allow),
            "deny" => Ok(Decision::Deny),
            "modify" => Ok(Decision::Modify),
            "hold" => Ok(Decision::Hold),
            other => Err(InvalidDecision(other.to_owned())),
        }
    }
}

/// Size caps for the text kept in a record. The size and hash always describe the full original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// Maximum bytes of argument text kept (before the truncation marker).
    pub args: usize,
    /// Maximum bytes of result excerpt kept (before the truncation marker).
    pub excerpt: usize,
}

/// Default cap for argument text and result excerpts: 4 KiB.
pub const DEFAULT_CAP: usize = 4096;

/// Appended to text cut at a cap.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

impl Default for Caps {
    fn default() -> Self {
        Self {
            args: DEFAULT_CAP,
            excerpt: DEFAULT_CAP,
        }
    }
}

/// Cuts `text` to at most `cap` bytes on a char boundary and appends [`TRUNCATION_MARKER`].
/// Returns whether it cut. Text already ending with the marker is not marked twice.
pub fn cap_text(text: &mut String, cap: usize) -> bool {
    if text.len() <= cap {
        return false;
    }
    let mut cut = cap;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.push_str(TRUNCATION_MARKER);
    true
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex32(&Sha256::digest(bytes).into())
}

/// Lowercase hex of a 32-byte digest (`hex::encode` collects chars one by one; this runs for
/// every payload and record).
pub fn hex32(digest: &[u8; 32]) -> String {
    let mut buf = [0u8; 64];
    // cannot fail: the buffer is exactly twice the input
    let _ = hex::encode_to_slice(digest, &mut buf);
    // hex digits are ASCII, so this never falls back
    String::from_utf8(buf.to_vec()).unwrap_or_default()
}

/// What a response looked like, without its content in clear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultSummary {
    /// Size in bytes of the full original result.
    pub size: u64,
    /// `isError` of a tool result (or true for a JSON-RPC error response).
    pub is_error: bool,
    /// Lowercase hex SHA-256 of the full original result bytes.
    pub sha256: String,
    /// Redacted, capped excerpt, when the caller had a redactor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// True when `excerpt` was cut at the cap.
    #[serde(default, skip_serializing_if = "is_false")]
    pub excerpt_truncated: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One thing that happened, as the audit trail records it. Every field but `kind` and `time`
/// is optional: fill what you have with the builder methods.
///
/// ```
/// use mcpwall_audit::{Decision, Event, EventKind};
/// let ev = Event::new(EventKind::Call)
///     .session("s-1")
///     .identity("user:alice")
///     .server("everything")
///     .method("tools/call")
///     .tool("echo")
///     .args(br#"{"message":"hi"}"#, Some(r#"{"message":"hi"}"#))
///     .decision(Decision::Allow, None, None)
///     .latency_us(42);
/// assert_eq!(ev.args_size, Some(16));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When, in UTC, kept to the microsecond (stored as `YYYY-MM-DDTHH:MM:SS.ffffffZ`).
    #[serde(with = "crate::time_fmt")]
    pub time: OffsetDateTime,
    /// Session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Who: the OS user for stdio, the token subject for HTTP (e.g. `user:alice`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Server name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Transport of the client session: `stdio`, `http`, `sse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<String>,
    /// JSON-RPC method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// JSON-RPC request id as JSON text (`1`, `"abc"`), to pair a call with its result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Tool (or resource/prompt) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// Arguments as already-redacted JSON text, capped (see [`Caps`]); absent when the caller
    /// had no redactor (then only size and hash are kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<String>,
    /// True when `args` was cut at the cap.
    #[serde(default, skip_serializing_if = "is_false")]
    pub args_truncated: bool,
    /// Size in bytes of the full original arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_size: Option<u64>,
    /// Lowercase hex SHA-256 of the full original arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args_sha256: Option<String>,
    /// What the response looked like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultSummary>,
    /// The decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Id of the rule (or check stage) that made the decision, e.g. `kill_switch`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A readable reason for the decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Latency in microseconds (request to response, or time spent in the checks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_us: Option<u64>,
    /// Free-form details (a JSON object); keys are sorted in the canonical form.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub detail: Map<String, Value>,
}

impl Event {
    /// An event of `kind` at the current time, every other field empty.
    pub fn new(kind: EventKind) -> Self {
        Self::at(kind, OffsetDateTime::now_utc())
    }

    /// An event of `kind` at `time` (normalized to UTC, microsecond precision).
    pub fn at(kind: EventKind, time: OffsetDateTime) -> Self {
        Self {
            kind,
            time: crate::time_fmt::normalize(time),
            session: None,
            identity: None,
            server: None,
            transport: None,
            method: None,
            request_id: None,
            tool: None,
            args: None,
            args_truncated: false,
            args_size: None,
            args_sha256: None,
            result: None,
            decision: None,
            rule: None,
            reason: None,
            latency_us: None,
            detail: Map::new(),
        }
    }

    /// Sets the time (normalized to UTC, microsecond precision).
    #[must_use]
    pub fn time(mut self, time: OffsetDateTime) -> Self {
        self.time = crate::time_fmt::normalize(time);
        self
    }

    /// Sets the time from a [`SystemTime`].
    #[must_use]
    pub fn system_time(self, time: SystemTime) -> Self {
        self.time(OffsetDateTime::from(time))
    }

    /// Sets the session id.
    #[must_use]
    pub fn session(mut self, id: impl Into<String>) -> Self {
        self.session = Some(id.into());
        self
    }

    /// Sets the identity (`user:NAME`, `token:SUBJECT`, ...).
    #[must_use]
    pub fn identity(mut self, who: impl Into<String>) -> Self {
        self.identity = Some(who.into());
        self
    }

    /// Sets the server name.
    #[must_use]
    pub fn server(mut self, name: impl Into<String>) -> Self {
        self.server = Some(name.into());
        self
    }

    /// Sets the transport (`stdio`, `http`, `sse`).
    #[must_use]
    pub fn transport(mut self, name: impl Into<String>) -> Self {
        self.transport = Some(name.into());
        self
    }

    /// Sets the JSON-RPC method.
    #[must_use]
    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Sets the JSON-RPC request id, as JSON text.
    #[must_use]
    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Sets the tool name.
    #[must_use]
    pub fn tool(mut self, name: impl Into<String>) -> Self {
        self.tool = Some(name.into());
        self
    }

    /// Records arguments: size and SHA-256 of the full `original` bytes, and `redacted` text
    /// (capped at [`DEFAULT_CAP`]; the store may cap further). Pass `None` when no redactor ran:
    /// then no text is kept.
    #[must_use]
    pub fn args(self, original: &[u8], redacted: Option<&str>) -> Self {
        let (size, sha) = (original.len() as u64, sha256_hex(original));
        self.args_summary(size, sha, redacted.map(str::to_owned))
    }

    /// Records arguments from a summary the caller already computed (size and hex SHA-256 of
    /// the full original, optional redacted text, which is capped here).
    #[must_use]
    pub fn args_summary(mut self, size: u64, sha256: String, redacted: Option<String>) -> Self {
        self.args_size = Some(size);
        self.args_sha256 = Some(sha256);
        self.args_truncated = false;
        self.args = redacted.map(|mut t| {
            self.args_truncated = cap_text(&mut t, DEFAULT_CAP);
            t
        });
        self
    }

    /// Records a result: size and SHA-256 of the full `original` bytes, `is_error`, and an
    /// optional redacted excerpt (capped at [`DEFAULT_CAP`]).
    #[must_use]
    pub fn result(self, original: &[u8], is_error: bool, redacted: Option<&str>) -> Self {
        let (size, sha) = (original.len() as u64, sha256_hex(original));
        self.result_summary(size, sha, is_error, redacted.map(str::to_owned))
    }

    /// Records a result from a summary the caller already computed.
    #[must_use]
    pub fn result_summary(
        mut self,
        size: u64,
        sha256: String,
        is_error: bool,
        excerpt: Option<String>,
    ) -> Self {
        let mut truncated = false;
        let excerpt = excerpt.map(|mut t| {
            truncated = cap_text(&mut t, DEFAULT_CAP);
            t
        });
        self.result = Some(ResultSummary {
            size,
            is_error,
            sha256,
            excerpt,
            excerpt_truncated: truncated,
        });
        self
    }

    /// Sets the decision, the rule id that made it and a reason.
    #[must_use]
    pub fn decision(
        mut self,
        decision: Decision,
        rule: Option<&str>,
        reason: Option<&str>,
    ) -> Self {
        self.decision = Some(decision);
        self.rule = rule.map(str::to_owned);
        self.reason = reason.map(str::to_owned);
        self
    }

    /// Sets the latency in microseconds.
    #[must_use]
    pub fn latency_us(mut self, us: u64) -> Self {
        self.latency_us = Some(us);
        self
    }

    /// Sets the latency from a [`Duration`] (saturating at `u64::MAX` µs).
    #[must_use]
    pub fn latency(self, d: Duration) -> Self {
        self.latency_us(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    /// Adds one `detail` entry.
    #[must_use]
    pub fn detail(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.detail.insert(key.into(), value.into());
        self
    }

    /// Applies `caps` to the kept texts (the size and hash fields are untouched).
    pub fn apply_caps(&mut self, caps: Caps) {
        if let Some(t) = self.args.as_mut() {
            if cap_text(t, caps.args) {
                self.args_truncated = true;
            }
        }
        if let Some(r) = self.result.as_mut() {
            if let Some(t) = r.excerpt.as_mut() {
                if cap_text(t, caps.excerpt) {
                    r.excerpt_truncated = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_extend() {
        for name in EventKind::NAMED {
            let k: EventKind = name.parse().unwrap();
            assert_eq!(k.as_str(), *name);
            assert!(!matches!(k, EventKind::Other(_)));
        }
        assert_eq!(
            "approval".parse::<EventKind>().unwrap(),
            EventKind::Other("approval".into())
        );
        assert!("Bad Kind".parse::<EventKind>().is_err());
        let back: EventKind = serde_json::from_str("\"Weird Future\"").unwrap();
        assert_eq!(back.as_str(), "Weird Future");
    }

    #[test]
    fn caps_cut_on_char_boundary_with_marker() {
        let mut s = "é".repeat(10); // 20 bytes
        assert!(cap_text(&mut s, 5));
        assert_eq!(s, format!("éé{TRUNCATION_MARKER}"));
        let mut short = "abc".to_owned();
        assert!(!cap_text(&mut short, 3));
        assert_eq!(short, "abc");
    }

    #[test]
    fn args_hash_is_over_full_original() {
        let big = "x".repeat(10_000);
        let ev = Event::new(EventKind::Call).args(big.as_bytes(), Some(&big));
        assert_eq!(ev.args_size, Some(10_000));
        assert_eq!(
            ev.args_sha256.as_deref(),
            Some(sha256_hex(big.as_bytes()).as_str())
        );
        assert!(ev.args_truncated);
        assert_eq!(
            ev.args.as_ref().unwrap().len(),
            DEFAULT_CAP + TRUNCATION_MARKER.len()
        );
        let mut ev = ev;
        ev.apply_caps(Caps {
            args: 10,
            excerpt: 10,
        });
        assert_eq!(
            ev.args.as_deref(),
            Some(format!("xxxxxxxxxx{TRUNCATION_MARKER}").as_str())
        );
    }

    #[test]
    fn hex32_is_lowercase_hex() {
        let d: [u8; 32] = std::array::from_fn(|i| (i * 37 + 5) as u8);
        assert_eq!(hex32(&d), hex::encode(d));
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn decisions_parse() {
        for d in [
            Decision::Allow,
            Decision::Deny,
            Decision::Modify,
            Decision::Hold,
        ] {
            assert_eq!(d.as_str().parse::<Decision>().unwrap(), d);
        }
        assert!("maybe".parse::<Decision>().is_err());
    }
}
