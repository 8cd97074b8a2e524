//! Server-sent events framing (streamable HTTP and legacy HTTP+SSE).
