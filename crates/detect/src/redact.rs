//! Redaction of secrets and PII: idempotent, never leaves a secret partly visible.
