//! Classifier latency per KiB with the real weights (skipped with a message when they are
//! missing): `cargo bench -p mcpwall-classifier --bench classify`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let dir = std::env::var_os("MCPWALL_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.testdeps/models/all-MiniLM-L6-v2")
        });
    let head = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("head/injection-head.json");
    let Ok(clf) = mcpwall_classifier::Classifier::load(&dir, &head) else {
        eprintln!("classify bench skipped: no model at {}", dir.display());
        return;
    };
    let sentence = "The invoice for order 1182 was paid on the 3rd and shipped by courier. ";
    let mut g = c.benchmark_group("classify");
    g.sample_size(20);
    for kib in [1usize, 4] {
        let text: String =
            sentence.repeat(kib * 1024 / sentence.len() + 1)[..kib * 1024].to_owned();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("{kib}KiB"), |b| {
            b.iter(|| clf.score(&text).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
