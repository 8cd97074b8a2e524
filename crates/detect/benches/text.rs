//! Throughput of the heuristic text analyzers (poisoning + output injection + hidden content)
//! on tool-output-sized text. Target: at least 200 MB/s per core.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mcpwall_detect::{injection, poisoning};

/// A realistic tool result: a directory listing, a JSON record and some prose, ~16 KiB.
fn tool_output() -> String {
    let mut s = String::new();
    for i in 0..60 {
        s.push_str(&format!(
            "-rw-r--r--  1 dev staff  {:>6} Nov 21 10:{:02} src/module_{i}/handler.rs\n",
            1000 + i * 37,
            i % 60
        ));
    }
    for i in 0..40 {
        s.push_str(&format!(
            "{{\"id\": {i}, \"name\": \"Order {i}\", \"status\": \"shipped\", \"total\": {}.50, \"items\": [\"widget\", \"gadget\"]}}\n",
            i * 3
        ));
    }
    for _ in 0..20 {
        s.push_str(
            "The quarterly report shows revenue growth in all regions. The team reviewed the \
             deployment checklist, updated the runbook and scheduled the next release for the \
             first week of the month. Customers asked for better export options and a dark \
             theme; both are planned.\n",
        );
    }
    s
}

fn bench(c: &mut Criterion) {
    let text = tool_output();
    let mixed = format!("{text}Ünïcödé café — “quotes” 日本語のテキスト\n{text}");
    let mut g = c.benchmark_group("text-analyzers");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("output-ascii", |b| {
        b.iter(|| injection::assess_output(std::hint::black_box(&text)))
    });
    g.bench_function("poisoning-ascii", |b| {
        b.iter(|| poisoning::assess_text(std::hint::black_box(&text)))
    });
    g.throughput(Throughput::Bytes(mixed.len() as u64));
    g.bench_function("output-mixed-unicode", |b| {
        b.iter(|| injection::assess_output(std::hint::black_box(&mixed)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
