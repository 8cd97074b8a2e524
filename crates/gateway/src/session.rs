//! Session context: identity, server, environment, approvals.
