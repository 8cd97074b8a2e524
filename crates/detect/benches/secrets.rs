//! Throughput of the secret and PII scanners and of redaction on tool-output-sized text.
//!
//! `cargo bench -p mcpwall-detect --bench secrets`

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mcpwall_detect::{pii, redact, secret};

/// About 16 KiB of typical tool output: JSON records, log lines and prose, with a few
/// keywords (`token`, `key`, `password`) and one real-looking credential per 4 KiB.
fn tool_output() -> String {
    let mut s = String::new();
    let mut i = 0u32;
    while s.len() < 16 * 1024 {
        s.push_str(&format!(
            "{{\"id\": {i}, \"name\": \"item-{i}\", \"status\": \"ok\", \"updated\": \"2026-11-21T18:{:02}:00Z\", \"tags\": [\"alpha\", \"beta\"]}}\n",
            i % 60
        ));
        s.push_str("INFO request handled in 12 ms path=/api/v1/items method=GET user=alice\n");
        s.push_str("The tool fetched the page and summarised the key points of the article for the user.\n");
        if i % 25 == 0 {
            s.push_str("config: api_key = \"q8Zr2VbX4nT7mK1pW9sLc3Hd\" password_policy=strict\n");
        }
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = tool_output();
    let prose =
        "The quick brown fox jumps over the lazy dog while the build finishes. ".repeat(230);
    let mut g = c.benchmark_group("detect");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("secret_scan/tool_output", |b| {
        b.iter(|| secret::scan(black_box(&text)))
    });
    g.bench_function("pii_scan/tool_output", |b| {
        b.iter(|| pii::scan(black_box(&text)))
    });
    g.bench_function("redact/tool_output", |b| {
        b.iter(|| redact::redact(black_box(&text)))
    });
    g.throughput(Throughput::Bytes(prose.len() as u64));
    g.bench_function("secret_scan/prose", |b| {
        b.iter(|| secret::scan(black_box(&prose)))
    });
    g.bench_function("redact/prose", |b| {
        b.iter(|| redact::redact(black_box(&prose)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
