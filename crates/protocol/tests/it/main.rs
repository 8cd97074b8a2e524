//! Integration tests of the protocol crate: properties over arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use bytes::BytesMut;
use mcpwall_protocol::framing::{Frame, LineFramer};
use mcpwall_protocol::jsonrpc::{classify, Limits};
use proptest::prelude::*;

fn run_framer(max: usize, chunks: &[Vec<u8>]) -> Vec<Frame> {
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
}

proptest! {
    /// Any bytes, in any chunking, yield messages or clean errors; messages hold no newline
    /// and respect the cap; classification of each message never panics.
    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..16), max in 1usize..48) {
        for frame in run_framer(max, &chunks) {
            if let Frame::Message(m) = frame {
                prop_assert!(!m.is_empty());
                prop_assert!(m.len() <= max);
                prop_assert!(!m.contains(&b'\n'));
                let _ = classify(&m, &Limits::default());
            }
        }
    }

    /// Chunking does not change the result.
    #[test]
    fn chunking_is_invisible(data in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'a'), Just(b'\r'), Just(b' ')], 0..200), cut in 0usize..200) {
        let cut = cut.min(data.len());
        // How much of an over-long line was seen depends on chunking; nothing else may.
        let norm = |v: Vec<Frame>| -> Vec<Frame> { v.into_iter().map(|f| match f { Frame::TooLong { .. } => Frame::TooLong { len: 0 }, m => m }).collect() };
        let whole = norm(run_framer(8, std::slice::from_ref(&data)));
        let split = norm(run_framer(8, &[data[..cut].to_vec(), data[cut..].to_vec()]));
        prop_assert_eq!(whole, split);
    }

    /// Arbitrary JSON-ish text never panics the envelope classifier.
    #[test]
    fn envelope_never_panics(s in "[\\[\\]{}\":,0-9a-z \\\\]{0,80}") {
        let _ = classify(s.as_bytes(), &Limits::default());
    }

    /// Deep nesting is refused, not overflowed.
    #[test]
    fn deep_nesting_is_refused(n in 65usize..5000) {
        let text = format!("{}{}", "[".repeat(n), "]".repeat(n));
        prop_assert!(classify(text.as_bytes(), &Limits::default()).is_err());
    }
}
