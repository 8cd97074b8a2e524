//! The check stack, assembled in one place ([`assemble`]), in a fixed order.
//!
//! Every message, in both directions and for every transport, passes [`Stack::run`]. Each
//! [`Check`] returns a [`Verdict`]; the first `Deny` (or `Hold`) stops the stack, a `Modify`
//! replaces the message for the checks after it. An error inside a check is a deny. Only
//! `Stack::run` can produce a [`Vetted`] message, and the relay's forwarding functions accept
//! nothing else, so forwarding a message that skipped the stack does not compile.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use mcpwall_protocol::jsonrpc::{self, Id, Kind, Limits};
use mcpwall_protocol::mcp::MethodKind;
use serde_json::Value;

use crate::audit_sink::{
    AuditEvent, AuditSink, Commit, Decision as AuditDecision, EventKind, NullSink,
};
use crate::session::SessionCtx;

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (host) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

/// The request a response answers (known for responses to tracked requests).
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The request's method.
    pub method: Box<str>,
    /// Its kind.
    pub kind: MethodKind,
    /// The tool, for `tools/call`.
    pub tool: Option<Box<str>>,
    /// When it was forwarded.
    pub started: Instant,
}

/// A message as a check sees it: the raw bytes, its classification, and a JSON value parsed
/// only when a check asks for it.
#[derive(Debug)]
pub struct Message<'a> {
    raw: &'a Bytes,
    kind: &'a Kind,
    direction: Direction,
    method_kind: Option<MethodKind>,
    tool: Option<&'a str>,
    request: Option<&'a RequestInfo>,
    depth: usize,
    value: OnceCell<Result<Value, String>>,
}

impl<'a> Message<'a> {
    /// A view of one (non-batch) message. `tool` is the `tools/call` tool name when known,
    /// `request` the request a response answers.
    pub fn new(
        raw: &'a Bytes,
        kind: &'a Kind,
        depth: usize,
        direction: Direction,
        tool: Option<&'a str>,
        request: Option<&'a RequestInfo>,
    ) -> Self {
        let method_kind = match kind {
            Kind::Request { method, .. } | Kind::Notification { method } => {
                Some(MethodKind::of(method))
            }
            _ => None,
        };
        Self {
            raw,
            kind,
            direction,
            method_kind,
            tool,
            request,
            depth,
            value: OnceCell::new(),
        }
    }

    /// The original bytes.
    pub fn raw(&self) -> &Bytes {
        self.raw
    }

    /// Its classification.
    pub fn kind(&self) -> &Kind {
        self.kind
    }

    /// Which way it travels.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// Its nesting depth.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The method of a request or notification.
    pub fn method(&self) -> Option<&str> {
        match self.kind {
            Kind::Request { method, .. } | Kind::Notification { method } => Some(method),
            _ => None,
        }
    }

    /// The kind of method of a request or notification.
    pub fn method_kind(&self) -> Option<MethodKind> {
        self.method_kind
    }

    /// Whether this is a `tools/call` request.
    pub fn is_tool_call(&self) -> bool {
        self.method_kind == Some(MethodKind::ToolsCall) && matches!(self.kind, Kind::Request { .. })
    }

    /// The tool name of a `tools/call` request.
    pub fn tool(&self) -> Option<&str> {
        self.tool
    }

    /// For a response: the request it answers.
    pub fn request(&self) -> Option<&RequestInfo> {
        self.request
    }

    /// The id of a request or response.
    pub fn id(&self) -> Option<&Id> {
        match self.kind {
            Kind::Request { id, .. } | Kind::Response { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The message as a JSON value, parsed on first use.
    pub fn value(&self) -> Result<&Value, CheckError> {
        self.value
            .get_or_init(|| serde_json::from_slice(self.raw).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| CheckError::new(format!("message is not valid json: {e}")))
    }
}

/// An error inside a check. The stack turns it into a deny (fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct CheckError {
    /// What went wrong.
    pub reason: String,
}

impl CheckError {
    /// A check error with `reason`.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Why a message was refused; it decides the JSON-RPC error code the client sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyCode {
    /// The kill switch is engaged.
    KillSwitch,
    /// A policy rule forbids it.
    Policy,
    /// A human must approve it first.
    ApprovalRequired,
    /// A size, depth or rate limit was exceeded.
    Limit,
    /// Detection found malicious content.
    Detection,
    /// The message failed input validation.
    InvalidInput,
    /// A check failed (fail closed).
    CheckFailed,
    /// A tool the policy hides: reported as unknown, not as forbidden.
    UnknownTool,
}

/// JSON-RPC error code for [`DenyCode::KillSwitch`].
pub const CODE_KILL_SWITCH: i64 = -32040;
/// JSON-RPC error code for [`DenyCode::Policy`].
pub const CODE_POLICY: i64 = -32041;
/// JSON-RPC error code for [`DenyCode::ApprovalRequired`].
pub const CODE_APPROVAL_REQUIRED: i64 = -32042;
/// JSON-RPC error code for [`DenyCode::Limit`].
pub const CODE_LIMIT: i64 = -32043;
/// JSON-RPC error code for [`DenyCode::Detection`].
pub const CODE_DETECTION: i64 = -32044;
/// JSON-RPC error code for [`DenyCode::CheckFailed`].
pub const CODE_CHECK_FAILED: i64 = -32045;
/// JSON-RPC error code when the upstream server is gone or restarting.
pub const CODE_UPSTREAM_UNAVAILABLE: i64 = -32000;
/// JSON-RPC error code for a request that timed out (the code MCP SDKs use).
pub const CODE_TIMEOUT: i64 = -32001;

impl DenyCode {
    /// The stable JSON-RPC error code.
    pub fn code(self) -> i64 {
        match self {
            DenyCode::KillSwitch => CODE_KILL_SWITCH,
            DenyCode::Policy => CODE_POLICY,
            DenyCode::ApprovalRequired => CODE_APPROVAL_REQUIRED,
            DenyCode::Limit => CODE_LIMIT,
            DenyCode::Detection => CODE_DETECTION,
            DenyCode::InvalidInput | DenyCode::UnknownTool => jsonrpc::INVALID_PARAMS,
            DenyCode::CheckFailed => CODE_CHECK_FAILED,
        }
    }

    /// A stable lowercase name, included in the error's `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            DenyCode::KillSwitch => "kill_switch",
            DenyCode::Policy => "policy",
            DenyCode::ApprovalRequired => "approval_required",
            DenyCode::Limit => "limit",
            DenyCode::Detection => "detection",
            DenyCode::InvalidInput => "invalid_input",
            DenyCode::CheckFailed => "check_failed",
            DenyCode::UnknownTool => "unknown_tool",
        }
    }
}

/// A refusal: what kind, a reason the model and the user can read, and the rule behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    /// What kind of refusal.
    pub code: DenyCode,
    /// Readable reason (lowercase, one line).
    pub reason: String,
    /// The rule or stage that decided (e.g. `kill_switch`, `limits.max_depth`).
    pub rule: Option<String>,
}

impl Denial {
    /// A denial of `code` with `reason`.
    pub fn new(code: DenyCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
            rule: None,
        }
    }

    /// The same denial, naming the rule.
    pub fn with_rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = Some(rule.into());
        self
    }
}

/// A request for human approval (not implemented yet: the stack denies with
/// "approval required").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// What needs approving and why.
    pub reason: String,
    /// The rule that asks for approval.
    pub rule: Option<String>,
}

/// What a check decides about one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Let it through unchanged.
    Pass,
    /// Let it through as this value instead (re-serialized; the id must stay the same).
    Modify(Value),
    /// Refuse it.
    Deny(Denial),
    /// Hold it for approval.
    Hold(Approval),
}

/// One stage of the stack.
pub trait Check: Send + Sync {
    /// A short stable name, recorded as the rule when the check denies without naming one.
    fn name(&self) -> &'static str;

    /// Judges one message. Errors are denials.
    fn check(&self, msg: &Message<'_>, ctx: &SessionCtx) -> Result<Verdict, CheckError>;
}

/// A message that passed the whole stack. Only [`Stack::run`] creates one.
#[derive(Debug, Clone)]
pub struct Vetted {
    bytes: Bytes,
    modified: bool,
}

impl Vetted {
    /// Only the stack (and the relay, for messages combined from vetted parts or errors the
    /// gateway itself built) makes these.
    pub(crate) fn from_stack(bytes: Bytes, modified: bool) -> Self {
        Self { bytes, modified }
    }

    /// The bytes to forward.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Consumes it into the bytes to forward.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// Whether a check changed it.
    pub fn modified(&self) -> bool {
        self.modified
    }
}

/// The stack's answer for one message.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Forward this.
    Forward(Vetted),
    /// Refuse with this denial; `stage` names the check that refused.
    Deny {
        /// The denial.
        denial: Denial,
        /// The check that refused.
        stage: &'static str,
        /// Resolves when the denial's audit record is committed: the refusal may reach the
        /// peer only then.
        commit: Commit,
    },
}

/// The ordered checks, plus the audit sink that records their decisions.
pub struct Stack {
    audit: Arc<dyn AuditSink>,
    checks: Vec<Box<dyn Check>>,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field(
                "checks",
                &self.checks.iter().map(|c| c.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// The parts of a stack, by stage. [`assemble`] puts them in the one fixed order; callers
/// fill in the stages they have and leave the rest empty.
#[derive(Default)]
pub struct StackParts {
    /// Where decisions are recorded (outermost).
    pub audit: Option<Arc<dyn AuditSink>>,
    /// The kill switch.
    pub kill_switch: Option<Box<dyn Check>>,
    /// Identity checks (authentication happened in the front; these bind identity to rules).
    pub identity: Vec<Box<dyn Check>>,
    /// Size and depth limits.
    pub limits: Option<Limits>,
    /// Policy rules and approvals.
    pub policy: Vec<Box<dyn Check>>,
    /// Input validation (e.g. tool arguments against the tool's schema).
    pub validation: Vec<Box<dyn Check>>,
    /// Detection (poisoned tool descriptions, injected output, secrets).
    pub detection: Vec<Box<dyn Check>>,
    /// Redaction of what goes back to the client.
    pub redaction: Vec<Box<dyn Check>>,
}

/// Assembles the stack in its one fixed order. This is the only place that order is decided.
pub fn assemble(parts: StackParts) -> Stack {
    let mut checks: Vec<Box<dyn Check>> = Vec::new();
    // audit: outermost (held by the Stack itself), so it records every decision of every stage below, including errors.
    let audit = parts.audit.unwrap_or_else(|| Arc::new(NullSink));
    // kill switch: first, so an engaged switch refuses tool calls before any other work or state change.
    checks.extend(parts.kill_switch);
    // identity: before anything that decides by who is asking.
    checks.extend(parts.identity);
    // limits: before any check parses or scans the message body, so no stage sees oversized input.
    checks.extend(
        parts
            .limits
            .map(|l| Box::new(LimitsCheck::new(l)) as Box<dyn Check>),
    );
    // policy and approvals: decide on the call (method, tool, arguments) before deeper inspection.
    checks.extend(parts.policy);
    // input validation: only for calls policy allows; rejects malformed arguments before detection reads them.
    checks.extend(parts.validation);
    // detection: the most expensive stage, so it runs last among the deciding stages.
    checks.extend(parts.detection);
    // redaction: innermost, so it edits exactly what is forwarded after everything else agreed to forward it.
    checks.extend(parts.redaction);
    Stack { audit, checks }
}

impl Stack {
    /// A stack with only the audit sink and the limits (what `wrap` runs without a config).
    pub fn minimal(audit: Option<Arc<dyn AuditSink>>, limits: Limits) -> Self {
        assemble(StackParts {
            audit,
            limits: Some(limits),
            ..StackParts::default()
        })
    }

    /// The audit sink (the relay records session events, results and errors here).
    pub fn audit(&self) -> &Arc<dyn AuditSink> {
        &self.audit
    }

    /// Names of the checks, in order.
    pub fn stage_names(&self) -> Vec<&'static str> {
        self.checks.iter().map(|c| c.name()).collect()
    }

    /// Runs every check on `msg`. Denials are recorded in the audit trail here.
    pub fn run(&self, msg: &Message<'_>, ctx: &SessionCtx) -> Outcome {
        let mut current: Option<Bytes> = None;
        let mut current_kind: Option<(Kind, usize)> = None;
        for check in &self.checks {
            let verdict = match (&current, &current_kind) {
                (Some(raw), Some((kind, depth))) => {
                    let m = Message::new(raw, kind, *depth, msg.direction, msg.tool, msg.request);
                    check.check(&m, ctx)
                }
                _ => check.check(msg, ctx),
            };
            match verdict {
                Ok(Verdict::Pass) => {}
                Ok(Verdict::Modify(value)) => {
                    let raw = Bytes::from(value.to_string());
                    match jsonrpc::classify(&raw, &Limits::default()) {
                        Ok(env) if same_identity(&env.kind, msg.kind) => {
                            current_kind = Some((env.kind, env.depth));
                            current = Some(raw);
                        }
                        _ => {
                            let d = Denial::new(
                                DenyCode::CheckFailed,
                                format!("check `{}` produced an invalid message", check.name()),
                            )
                            .with_rule(check.name());
                            return self.deny(msg, ctx, d, check.name());
                        }
                    }
                }
                Ok(Verdict::Deny(mut d)) => {
                    if d.rule.is_none() {
                        d.rule = Some(check.name().to_owned());
                    }
                    return self.deny(msg, ctx, d, check.name());
                }
                Ok(Verdict::Hold(a)) => {
                    let d = Denial {
                        code: DenyCode::ApprovalRequired,
                        reason: format!("approval required: {}", a.reason),
                        rule: a.rule.or_else(|| Some(check.name().to_owned())),
                    };
                    return self.deny(msg, ctx, d, check.name());
                }
                Err(e) => {
                    let d = Denial::new(
                        DenyCode::CheckFailed,
                        format!("check `{}` failed: {}", check.name(), e.reason),
                    )
                    .with_rule(check.name());
                    return self.deny(msg, ctx, d, check.name());
                }
            }
        }
        match current {
            Some(bytes) => Outcome::Forward(Vetted {
                bytes,
                modified: true,
            }),
            None => Outcome::Forward(Vetted {
                bytes: msg.raw.clone(),
                modified: false,
            }),
        }
    }

    fn deny(
        &self,
        msg: &Message<'_>,
        ctx: &SessionCtx,
        denial: Denial,
        stage: &'static str,
    ) -> Outcome {
        let mut ev = AuditEvent::new(EventKind::Denial, ctx);
        ev.method = msg
            .method()
            .map(str::to_owned)
            .or_else(|| msg.request().map(|r| r.method.to_string()));
        ev.tool = msg.tool().map(str::to_owned).or_else(|| {
            msg.request()
                .and_then(|r| r.tool.as_deref().map(str::to_owned))
        });
        ev.request_id = msg.id().map(Id::to_json);
        ev.arguments = Some(crate::audit_sink::PayloadRef::new(
            msg.raw().clone(),
            self.audit.redactor(),
        ));
        ev.decision = Some(AuditDecision::Deny);
        ev.rule = denial.rule.clone();
        ev.detail = Some(denial.reason.clone());
        // Names only, never payloads: the log is not redacted.
        tracing::info!(
            session = %ctx.id,
            server = %ctx.server,
            method = ev.method.as_deref().unwrap_or("-"),
            tool = ev.tool.as_deref().unwrap_or("-"),
            rule = denial.rule.as_deref().unwrap_or(stage),
            reason = %denial.reason,
            "denied"
        );
        let commit = self.audit.record_durable(ev);
        Outcome::Deny {
            denial,
            stage,
            commit,
        }
    }
}

/// A modified message must keep its kind and id (a check may not turn a call into something
/// else or re-address it).
fn same_identity(a: &Kind, b: &Kind) -> bool {
    match (a, b) {
        (Kind::Request { id: i1, method: m1 }, Kind::Request { id: i2, method: m2 }) => {
            i1 == i2 && m1 == m2
        }
        (Kind::Notification { method: m1 }, Kind::Notification { method: m2 }) => m1 == m2,
        (Kind::Response { id: i1, .. }, Kind::Response { id: i2, .. }) => i1 == i2,
        _ => false,
    }
}

/// The one function that turns a denial into the JSON-RPC error the client (or server) gets.
pub fn denial_response(id: Option<&Id>, denial: &Denial) -> Bytes {
    let data = serde_json::json!({
        "mcpwall": {
            "reason": denial.code.as_str(),
            "rule": denial.rule,
        }
    });
    jsonrpc::error_response(id, denial.code.code(), &denial.reason, Some(&data))
}

/// Size and depth limits as a stage, so that a refusal is audited like any other.
///
/// The relay already refuses what it cannot classify (beyond the hard parser bounds); this stage
/// enforces the configured limits.
#[derive(Debug, Clone)]
pub struct LimitsCheck {
    limits: Limits,
}

impl LimitsCheck {
    /// A limits stage.
    pub fn new(limits: Limits) -> Self {
        Self { limits }
    }
}

impl Check for LimitsCheck {
    fn name(&self) -> &'static str {
        "limits"
    }

    fn check(&self, msg: &Message<'_>, _ctx: &SessionCtx) -> Result<Verdict, CheckError> {
        if msg.raw().len() > self.limits.max_message_bytes {
            return Ok(Verdict::Deny(
                Denial::new(
                    DenyCode::Limit,
                    format!(
                        "message of {} bytes exceeds the limit of {} bytes",
                        msg.raw().len(),
                        self.limits.max_message_bytes
                    ),
                )
                .with_rule("limits.max_message_bytes"),
            ));
        }
        if msg.depth() > self.limits.max_depth {
            return Ok(Verdict::Deny(
                Denial::new(
                    DenyCode::Limit,
                    format!(
                        "message nesting exceeds the depth limit of {}",
                        self.limits.max_depth
                    ),
                )
                .with_rule("limits.max_depth"),
            ));
        }
        Ok(Verdict::Pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_sink::MemorySink;
    use crate::session::{ServerId, SessionCtx};

    struct DenyTools;
    impl Check for DenyTools {
        fn name(&self) -> &'static str {
            "deny_tools"
        }
        fn check(&self, msg: &Message<'_>, _: &SessionCtx) -> Result<Verdict, CheckError> {
            Ok(if msg.is_tool_call() {
                Verdict::Deny(Denial::new(DenyCode::Policy, "no tools today"))
            } else {
                Verdict::Pass
            })
        }
    }

    struct Broken;
    impl Check for Broken {
        fn name(&self) -> &'static str {
            "broken"
        }
        fn check(&self, _: &Message<'_>, _: &SessionCtx) -> Result<Verdict, CheckError> {
            Err(CheckError::new("boom"))
        }
    }

    struct AddField;
    impl Check for AddField {
        fn name(&self) -> &'static str {
            "add_field"
        }
        fn check(&self, msg: &Message<'_>, _: &SessionCtx) -> Result<Verdict, CheckError> {
            let mut v = msg.value()?.clone();
            v["params"]["_meta"] = serde_json::json!({"seen": true});
            Ok(Verdict::Modify(v))
        }
    }

    fn run(stack: &Stack, text: &str) -> Outcome {
        let raw = Bytes::copy_from_slice(text.as_bytes());
        let env = jsonrpc::classify(&raw, &Limits::default()).unwrap();
        let ctx = SessionCtx::stdio(ServerId::from_program("t"));
        let msg = Message::new(
            &raw,
            &env.kind,
            env.depth,
            Direction::ToServer,
            Some("echo"),
            None,
        );
        stack.run(&msg, &ctx)
    }

    const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#;
    const LIST: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;

    #[test]
    fn order_and_denial_are_audited() {
        let sink = MemorySink::default();
        let stack = assemble(StackParts {
            audit: Some(Arc::new(sink.clone())),
            limits: Some(Limits::default()),
            policy: vec![Box::new(DenyTools)],
            ..StackParts::default()
        });
        assert_eq!(stack.stage_names(), vec!["limits", "deny_tools"]);
        assert!(matches!(run(&stack, LIST), Outcome::Forward(v) if !v.modified()));
        let Outcome::Deny { denial, stage, .. } = run(&stack, CALL) else {
            panic!("not denied")
        };
        assert_eq!(stage, "deny_tools");
        assert_eq!(denial.rule.as_deref(), Some("deny_tools"));
        let ev = sink.events();
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].kind, EventKind::Denial);
        assert_eq!(ev[0].tool.as_deref(), Some("echo"));
    }

    #[test]
    fn check_error_denies() {
        let stack = assemble(StackParts {
            detection: vec![Box::new(Broken)],
            ..StackParts::default()
        });
        let Outcome::Deny { denial, .. } = run(&stack, LIST) else {
            panic!("not denied")
        };
        assert_eq!(denial.code, DenyCode::CheckFailed);
        let r = denial_response(Some(&Id::Int(2)), &denial);
        let v: Value = serde_json::from_slice(&r).unwrap();
        assert_eq!(v["error"]["code"], CODE_CHECK_FAILED);
        assert_eq!(v["error"]["data"]["mcpwall"]["rule"], "broken");
    }

    #[test]
    fn modify_reserializes_only_that_message() {
        let stack = assemble(StackParts {
            redaction: vec![Box::new(AddField)],
            ..StackParts::default()
        });
        let Outcome::Forward(v) = run(&stack, CALL) else {
            panic!("denied")
        };
        assert!(v.modified());
        let out: Value = serde_json::from_slice(v.bytes()).unwrap();
        assert_eq!(out["params"]["_meta"]["seen"], true);
        assert_eq!(out["id"], 1);
    }

    #[test]
    fn limits_deny_deep_messages() {
        let stack = Stack::minimal(
            None,
            Limits {
                max_message_bytes: 1 << 20,
                max_depth: 3,
            },
        );
        let deep = r#"{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":{"b":{}}}}"#;
        let Outcome::Deny { denial, .. } = run(&stack, deep) else {
            panic!("not denied")
        };
        assert_eq!(denial.rule.as_deref(), Some("limits.max_depth"));
    }
}
