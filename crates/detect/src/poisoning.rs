//! Tool-definition analyzers (family `poisoning`).
