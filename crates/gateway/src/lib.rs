//! mcpwall gateway: fronts, upstreams, sessions, the check stack, kill switch
#![forbid(unsafe_code)]
