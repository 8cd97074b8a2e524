//! Latency distribution of acknowledgements, as the stdio relay pays them: per round, a
//! request's record queued (not waited for), then the answer's record queued and both waited
//! for. Prints p50/p90/p99 in µs. `spool` (the default, as the gateway runs) acknowledges
//! through the write-ahead spool; `commit` turns the spool off, so every acknowledgement is a
//! SQLite commit of its own (what the figures before the spool measured).
//!
//! `cargo run --release -p mcpwall-audit --example commit_latency -- [rounds] [normal|full] [spool|commit]`

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use mcpwall_audit::{Appender, AppenderOptions, Event, EventKind, StoreOptions, Synchronous};

const ARGS: &[u8] = br#"{"message":"hello from the bench, a short but typical argument"}"#;

fn event(kind: EventKind, i: u64) -> Event {
    Event::new(kind)
        .session("0a1b2c3d4e5f60718293a4b5c6d7e8f9")
        .identity("user:bench")
        .server("everything")
        .transport("stdio")
        .method("tools/call")
        .request_id(i.to_string())
        .tool("echo")
        .args(ARGS, Some(std::str::from_utf8(ARGS).unwrap_or("")))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let synchronous = match args.next().as_deref() {
        Some("full") => Synchronous::Full,
        _ => Synchronous::Normal,
    };
    let dir =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let store = StoreOptions {
        synchronous,
        ..StoreOptions::default()
    };
    let spool = args.next().as_deref() != Some("commit");
    let appender = Appender::open_with(
        dir.path().join("audit.db"),
        &store,
        AppenderOptions {
            spool,
            ..AppenderOptions::default()
        },
    )
    .unwrap();
    let mut lat = Vec::with_capacity(rounds);
    for i in 0..rounds as u64 {
        let t0 = Instant::now();
        let a = appender.append(event(EventKind::Call, i)).unwrap();
        let b = appender.append(event(EventKind::Result, i)).unwrap();
        let _ = a;
        appender.wait(b).unwrap();
        lat.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    appender.close().unwrap();
    if std::env::var_os("SHOW_SLOW").is_some() {
        let slow: Vec<String> = lat
            .iter()
            .enumerate()
            .filter(|(_, l)| **l > 1000.0)
            .map(|(i, l)| format!("{i}:{l:.0}"))
            .collect();
        println!("slow (>1 ms): {}", slow.join(" "));
    }
    lat.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| lat[((lat.len() - 1) as f64 * p) as usize];
    let mean = lat.iter().sum::<f64>() / lat.len() as f64;
    println!(
        "rounds {rounds} p50 {:.1} p90 {:.1} p99 {:.1} mean {:.1} µs",
        q(0.5),
        q(0.9),
        q(0.99),
        mean
    );
}
