//! mcpwall detection engine: poisoning/injection analyzers, secret and PII redaction, URL guard; pure
#![forbid(unsafe_code)]
