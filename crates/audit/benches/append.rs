//! The audit append path: events queued to the SQLite appender (WAL, batched commits) in a
//! temporary file, with arguments already redacted as the gateway hands them over. Each case
//! runs with both commit durabilities: `normal` (the gateway's default, no fsync per commit)
//! and `full` (`MCPWALL_AUDIT_SYNC=full`, fsync at every commit).
//!
//! - `append_flush/256`: 256 `call` events queued, then one flush (throughput of the writer:
//!   a flush waits for the SQLite commit);
//! - `append_wait/1`: one event queued and waited for (latency of one acknowledged record:
//!   one write to the write-ahead spool, the default);
//! - `append_wait_no_spool/1`: the same with the spool off (a SQLite commit of its own, what
//!   every acknowledgement cost before the spool).
//!
//! `cargo bench -p mcpwall-audit --bench append -- --quick`

// A bench whose setup fails has nothing to measure: stopping at once is the right outcome.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use mcpwall_audit::{Appender, AppenderOptions, Event, EventKind, StoreOptions, Synchronous};

const ARGS: &[u8] = br#"{"message":"hello from the bench, a short but typical argument"}"#;

fn event(i: u64) -> Event {
    Event::new(EventKind::Call)
        .session("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .identity("user:bench")
        .server("everything")
        .transport("stdio")
        .method("tools/call")
        .request_id(i.to_string())
        .tool("echo")
        .args(ARGS, Some(std::str::from_utf8(ARGS).unwrap_or("")))
}

fn bench(c: &mut Criterion) {
    for (name, synchronous) in [("normal", Synchronous::Normal), ("full", Synchronous::Full)] {
        let dir = tempfile::tempdir().unwrap();
        let store = StoreOptions {
            synchronous,
            ..StoreOptions::default()
        };
        let appender = Appender::open_with(
            dir.path().join("audit.db"),
            &store,
            AppenderOptions::default(),
        )
        .unwrap();
        let mut g = c.benchmark_group(format!("audit_append_{name}"));
        g.sample_size(20);
        let mut i = 0u64;
        g.throughput(Throughput::Elements(256));
        g.bench_function("append_flush/256", |b| {
            b.iter_batched(
                || {
                    i += 256;
                    (i - 256..i).map(event).collect::<Vec<_>>()
                },
                |events| {
                    for e in events {
                        appender.append(e).unwrap();
                    }
                    appender.flush().unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        g.throughput(Throughput::Elements(1));
        g.bench_function("append_wait/1", |b| {
            b.iter_batched(
                || {
                    i += 1;
                    event(i)
                },
                |e| {
                    let t = appender.append(e).unwrap();
                    appender.wait(t).unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        let direct = Appender::open_with(
            dir.path().join("direct.db"),
            &store,
            AppenderOptions {
                spool: false,
                ..AppenderOptions::default()
            },
        )
        .unwrap();
        g.bench_function("append_wait_no_spool/1", |b| {
            b.iter_batched(
                || {
                    i += 1;
                    event(i)
                },
                |e| {
                    let t = direct.append(e).unwrap();
                    direct.wait(t).unwrap();
                },
                BatchSize::PerIteration,
            )
        });
        g.finish();
        appender.close().unwrap();
        direct.close().unwrap();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
