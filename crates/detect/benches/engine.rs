//! Throughput of the whole detection pass a tool result goes through, on one core:
//! output-injection analysis + secret scan + PII scan (and, separately, redaction), on
//! realistic mixed tool output of 4, 16 and 64 KiB. Target: at least 200 MB/s per core.
//!
//! `cargo bench -p mcpwall-detect --bench engine -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use mcpwall_detect::{injection, pii, redact, secret};

/// Realistic mixed tool output: a directory listing, JSON records, log lines (with the
/// occasional key name, e-mail address, IP address and one credential per ~4 KiB) and
/// prose, cut to about `size` bytes on a line boundary.
fn tool_output(size: usize) -> String {
    let mut s = String::with_capacity(size + 512);
    let mut i = 0usize;
    while s.len() < size {
        match i % 8 {
            0 => s.push_str(&format!(
                "-rw-r--r--  1 dev staff  {:>6} Nov 21 10:{:02} src/module_{i}/handler.rs\n",
                1000 + i * 37,
                i % 60
            )),
            1 => s.push_str(&format!(
                "{{\"id\": {i}, \"name\": \"Order {i}\", \"status\": \"shipped\", \"total\": {}.50, \"updated\": \"2026-11-21T18:{:02}:00Z\", \"items\": [\"widget\", \"gadget\"]}}\n",
                i * 3,
                i % 60
            )),
            2 => s.push_str(&format!(
                "2026-11-21T10:{:02}:07Z INFO request handled in 12 ms path=/api/v1/items/{i} method=GET user=alice status=200\n",
                i % 60
            )),
            3 => s.push_str(
                "The quarterly report shows revenue growth in all regions. The team reviewed the \
                 deployment checklist, updated the runbook and scheduled the next release for the \
                 first week of the month; customers asked for better export options.\n",
            ),
            4 => s.push_str(&format!(
                "2026-11-21T10:{:02}:09Z WARN retrying upstream 10.0.{}.12:8443 after timeout (attempt 2 of 5), owner ops-team@example.com\n",
                i % 60,
                i % 250
            )),
            5 => s.push_str(
                "    fn handle(&self, req: Request) -> Result<Response, Error> { let key = req.key(); self.cache.get(&key) }\n",
            ),
            6 => s.push_str(&format!(
                "| {i:>4} | widget-{i} | in stock | warehouse B | last counted by Jordan on Tuesday |\n"
            )),
            _ => {
                if i % 32 == 7 {
                    s.push_str("config: api_key = \"q8Zr2VbX4nT7mK1pW9sLc3Hd\" password_policy=strict\n");
                } else {
                    s.push_str("Build finished: 214 tests passed, 0 failed, 3 ignored; artifacts uploaded.\n");
                }
            }
        }
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine");
    for size in [4 << 10, 16 << 10, 64 << 10] {
        let text = tool_output(size);
        g.throughput(Throughput::Bytes(text.len() as u64));
        let kib = size >> 10;
        g.bench_with_input(BenchmarkId::new("tool-output-pass", kib), &text, |b, t| {
            b.iter(|| {
                let a = injection::assess_output(black_box(t));
                let s = secret::scan(black_box(t));
                let p = pii::scan(black_box(t));
                (a, s, p)
            })
        });
        g.bench_with_input(BenchmarkId::new("output-injection", kib), &text, |b, t| {
            b.iter(|| injection::assess_output(black_box(t)))
        });
        g.bench_with_input(BenchmarkId::new("secret+pii", kib), &text, |b, t| {
            b.iter(|| (secret::scan(black_box(t)), pii::scan(black_box(t))))
        });
        g.bench_with_input(BenchmarkId::new("redact", kib), &text, |b, t| {
            b.iter(|| redact::redact(black_box(t)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
