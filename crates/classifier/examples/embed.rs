//! Embeds JSON lines for `scripts/train-classifier`: reads `{"id", "text", ...}` per line on
//! stdin and writes `{"id", "windows": [[f32; 384], ...]}` per line on stdout.
//!
//! `cargo run --release -p mcpwall-classifier --example embed -- MODEL_DIR [--units sentences] < in.jsonl > out.jsonl`
//!
//! With `--units sentences` the vectors are those of the sentence units the classifier scores
//! for a sentence-unit head ([`mcpwall_classifier::Encoder::sentence_units`]); by default they
//! are the 128-token windows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, Write};

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: embed MODEL_DIR < in.jsonl");
    let units = match std::env::args().nth(2).as_deref() {
        None => mcpwall_classifier::Units::Windows,
        Some("--units") => match std::env::args().nth(3).as_deref() {
            Some("sentences") => mcpwall_classifier::Units::Sentences,
            Some("windows") => mcpwall_classifier::Units::Windows,
            other => panic!("unknown units {other:?}"),
        },
        Some(other) => panic!("unknown argument {other}"),
    };
    let encoder = mcpwall_classifier::Encoder::load(std::path::Path::new(&dir)).unwrap();
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let v: serde_json::Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => continue,
        };
        let text = v["text"].as_str().unwrap_or_default();
        let windows = encoder.embed_units(text, units).unwrap();
        let rounded: Vec<Vec<f32>> = windows
            .into_iter()
            .map(|w| w.into_iter().map(|x| (x * 1e5).round() / 1e5).collect())
            .collect();
        serde_json::to_writer(
            &mut out,
            &serde_json::json!({"id": v["id"], "windows": rounded}),
        )
        .unwrap();
        out.write_all(b"\n").unwrap();
    }
}
