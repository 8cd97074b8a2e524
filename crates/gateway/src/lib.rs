//! mcpwall gateway: fronts, upstreams, sessions, the check stack, kill switch.
//!
//! The message path: a front ([`front`]) turns a client session into a [`relay::Pipe`] and a
//! [`session::SessionCtx`]; an upstream ([`upstream`]) turns a server into another `Pipe`;
//! [`relay::Relay`] moves messages between them through the [`stack::Stack`] assembled by
//! [`stack::assemble`], recording to an [`audit_sink::AuditSink`].
#![forbid(unsafe_code)]

pub mod audit_sink;
pub mod busy_poll;
pub mod egress;
pub mod front;
pub mod killswitch;
pub mod launch;
pub mod mux;
pub mod relay;
pub mod session;
pub mod stack;
pub mod upstream;
