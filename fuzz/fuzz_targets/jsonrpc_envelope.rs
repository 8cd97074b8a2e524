//! JSON-RPC envelope: classification of arbitrary bytes never panics, batch ranges stay inside
//! the input, and every error converts into a JSON-RPC error response that is valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcpwall_protocol::jsonrpc::{classify, envelope_error_response, Kind, Limits};
use mcpwall_protocol::mcp;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_message_bytes: 1 << 20,
        max_depth: 32,
    };
    match classify(data, &limits) {
        Ok(env) => {
            if let Kind::Batch(els) = &env.kind {
                for el in els {
                    assert!(el.range.end <= data.len());
                }
            }
            let _ = mcp::tool_call(data);
            let _ = mcp::handshake_request(data);
            let _ = mcp::handshake_response(data);
            let _ = mcp::result_is_error(data);
            let _ = mcp::cancelled_request_id(data);
        }
        Err(e) => {
            let resp = envelope_error_response(&e);
            assert!(classify(&resp, &Limits::default()).is_ok());
        }
    }
});
