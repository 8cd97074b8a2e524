//! Remote upstreams over streamable HTTP and legacy SSE.
