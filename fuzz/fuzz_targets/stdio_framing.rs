//! Stdio framing: any bytes, cut into chunks at the positions the input chooses, yield
//! messages within the cap (no newline inside) or clean "too long" errors, and chunking never
//! changes which messages come out.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use mcpwall_protocol::framing::{Frame, LineFramer};

fn run(max: usize, chunks: &[&[u8]]) -> Vec<Frame> {
    let mut f = LineFramer::new(max);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for c in chunks {
        buf.extend_from_slice(c);
        while let Some(fr) = f.next_frame(&mut buf) {
            out.push(fr);
        }
        assert!(buf.len() <= max + 1 + c.len());
    }
    while let Some(fr) = f.finish(&mut buf) {
        out.push(fr);
    }
    out
        .into_iter()
        .map(|fr| match fr {
            Frame::TooLong { .. } => Frame::TooLong { len: 0 },
            m => m,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let max = 1 + data[0] as usize;
    let cut = (data[1] as usize).min(data.len() - 2);
    let body = &data[2..];
    let whole = run(max, &[body]);
    let split = run(max, &[&body[..cut], &body[cut..]]);
    assert_eq!(whole, split);
    for fr in whole {
        if let Frame::Message(m) = fr {
            assert!(!m.is_empty() && m.len() <= max && !m.contains(&b'\n'));
        }
    }
});
