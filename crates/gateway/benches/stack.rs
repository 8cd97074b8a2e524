//! One `tools/call` request through the check stack as `wrap` and `serve` assemble it by
//! default (audit outermost, kill switch, limits), preceded by what the relay does first for
//! every client message: classify the envelope and read the tool name.
//!
//! The audit sink here is the null sink, so the figure is the checks alone; the audit append
//! path has its own bench in `crates/audit`.
//!
//! `cargo bench -p mcpwall-gateway --bench stack -- --quick`

// A bench whose setup fails has nothing to measure: stopping at once is the right outcome.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mcpwall_gateway::audit_sink::NullSink;
use mcpwall_gateway::killswitch::{KillSwitch, KillSwitchCheck};
use mcpwall_gateway::session::{ServerId, SessionCtx};
use mcpwall_gateway::stack::{self, Direction, Message, Outcome, StackParts};
use mcpwall_protocol::jsonrpc::{classify, Kind, Limits};
use mcpwall_protocol::mcp;

const CALL: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello from the bench, a short but typical argument"}}}"#;

fn bench(c: &mut Criterion) {
    let state = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let stack = stack::assemble(StackParts {
        audit: Some(Arc::new(NullSink)),
        kill_switch: Some(Box::new(KillSwitchCheck::new(KillSwitch::new(
            state.path().to_path_buf(),
        )))),
        limits: Some(limits),
        ..StackParts::default()
    });
    let ctx = SessionCtx::stdio("everything".parse::<ServerId>().unwrap());
    let raw = Bytes::from_static(CALL.as_bytes());

    let mut g = c.benchmark_group("check_stack");
    g.throughput(Throughput::Elements(1));
    g.bench_function("tools_call/classify+stack", |b| {
        b.iter(|| {
            let env = classify(black_box(&raw), &limits).unwrap();
            let tool = match &env.kind {
                Kind::Request { method, .. } if &**method == "tools/call" => {
                    mcp::tool_call(&raw).ok().map(|t| t.name.into_owned())
                }
                _ => None,
            };
            let msg = Message::new(
                &raw,
                &env.kind,
                env.depth,
                Direction::ToServer,
                tool.as_deref(),
                None,
            );
            black_box(matches!(stack.run(&msg, &ctx), Outcome::Forward(_)))
        })
    });
    // The stack alone, on an already classified message.
    let env = classify(&raw, &limits).unwrap();
    let tool = mcp::tool_call(&raw).unwrap().name.into_owned();
    g.bench_function("tools_call/stack_only", |b| {
        b.iter(|| {
            let msg = Message::new(
                &raw,
                &env.kind,
                env.depth,
                Direction::ToServer,
                Some(&tool),
                None,
            );
            black_box(matches!(stack.run(&msg, &ctx), Outcome::Forward(_)))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
