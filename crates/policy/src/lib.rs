//! mcpwall configuration model (raw -> validated) and policy rules; pure
#![forbid(unsafe_code)]
