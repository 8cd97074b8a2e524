//! mcpwall gateway: fronts, upstreams, sessions, the check stack, kill switch
#![forbid(unsafe_code)]

pub mod egress;
pub mod front;
pub mod killswitch;
pub mod launch;
pub mod mux;
pub mod relay;
pub mod session;
pub mod stack;
pub mod upstream;
