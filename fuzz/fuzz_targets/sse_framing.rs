//! SSE framing: the decoder never panics on arbitrary chunked input and never returns an
//! event larger than its cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpwall_protocol::sse::Decoder;

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = (data[0] as usize).min(data.len() - 1);
    let body = &data[1..];
    let mut d = Decoder::new(4096);
    for chunk in [&body[..cut.min(body.len())], &body[cut.min(body.len())..]] {
        if d.feed(chunk).is_err() {
            return;
        }
    }
    let _ = d.finish();
});
