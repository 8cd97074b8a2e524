//! The transport-agnostic relay: runs the check stack between a client pipe and an upstream pipe.
