//! The protocol hot path every message takes: stdio line framing, SSE framing, and the
//! envelope classification that decides what a message is.
//!
//! `cargo bench -p mcpwall-protocol --bench framing -- --quick`

use bytes::{Bytes, BytesMut};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use mcpwall_protocol::framing::{to_single_line, Frame, LineFramer, DEFAULT_MAX_LINE_BYTES};
use mcpwall_protocol::jsonrpc::{classify, Limits};
use mcpwall_protocol::sse;

/// A `tools/call` request as a host sends it (about 200 bytes).
const CALL: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hello from the bench, a short but typical argument"},"_meta":{"progressToken":7}}}"#;

/// A tool result of about 4 KiB (text content), as a server answers.
fn result_4k() -> String {
    let text = "lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(72);
    format!(
        r#"{{"jsonrpc":"2.0","id":42,"result":{{"content":[{{"type":"text","text":"{text}"}}],"isError":false}}}}"#
    )
}

fn framing(c: &mut Criterion) {
    let mut g = c.benchmark_group("stdio_framing");
    // 64 requests arriving in one read, as a burst.
    let burst: Vec<u8> = CALL
        .bytes()
        .chain(std::iter::once(b'\n'))
        .cycle()
        .take((CALL.len() + 1) * 64)
        .collect();
    g.throughput(Throughput::Bytes(burst.len() as u64));
    g.bench_function("64_calls_one_read", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(DEFAULT_MAX_LINE_BYTES);
            let mut buf = BytesMut::from(&burst[..]);
            let mut n = 0;
            while let Some(Frame::Message(m)) = framer.next_frame(&mut buf) {
                n += m.len();
            }
            black_box(n)
        })
    });
    // One 1 MiB line delivered in 64 KiB reads (the partial-line path).
    let big: Vec<u8> = {
        let mut v = br#"{"jsonrpc":"2.0","id":1,"result":{"blob":""#.to_vec();
        v.resize(1024 * 1024 - 4, b'a');
        v.extend_from_slice(b"\"}}\n");
        v
    };
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("1mib_line_in_64k_reads", |b| {
        b.iter(|| {
            let mut framer = LineFramer::new(DEFAULT_MAX_LINE_BYTES);
            let mut buf = BytesMut::with_capacity(64 * 1024);
            let mut got = 0;
            for chunk in big.chunks(64 * 1024) {
                buf.extend_from_slice(chunk);
                while let Some(Frame::Message(m)) = framer.next_frame(&mut buf) {
                    got += m.len();
                }
            }
            black_box(got)
        })
    });
    let one = Bytes::from_static(CALL.as_bytes());
    g.throughput(Throughput::Bytes(one.len() as u64));
    g.bench_function("to_single_line/already_single", |b| {
        b.iter(|| black_box(to_single_line(black_box(one.clone()))))
    });
    g.finish();
}

fn sse_framing(c: &mut Criterion) {
    let mut g = c.benchmark_group("sse_framing");
    let result = result_4k();
    g.throughput(Throughput::Bytes(result.len() as u64));
    g.bench_function("encode/4k_result", |b| {
        b.iter(|| {
            black_box(sse::encode(
                Some("message"),
                None,
                black_box(result.as_bytes()),
            ))
        })
    });
    // 64 events in one chunk, decoded.
    let stream: Vec<u8> = (0..64)
        .flat_map(|_| sse::encode(Some("message"), None, CALL.as_bytes()).to_vec())
        .collect();
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("decode/64_events_one_chunk", |b| {
        b.iter(|| {
            let mut d = sse::Decoder::new(sse::DEFAULT_MAX_EVENT_BYTES);
            black_box(d.feed(black_box(&stream)).map(|v| v.len()))
        })
    });
    g.finish();
}

fn classify_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("jsonrpc_classify");
    let limits = Limits::default();
    let result = result_4k();
    let batch = format!("[{CALL},{CALL},{CALL},{CALL}]");
    let cases: [(&str, &[u8]); 4] = [
        ("tools_call_request", CALL.as_bytes()),
        ("4k_result", result.as_bytes()),
        (
            "notification",
            br#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":7,"progress":50,"total":100}}"#,
        ),
        ("batch_of_4", batch.as_bytes()),
    ];
    for (name, text) in cases {
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| black_box(classify(black_box(text), &limits).is_ok()))
        });
    }
    g.finish();
}

criterion_group!(benches, framing, sse_framing, classify_bench);
criterion_main!(benches);
