//! Rewriting a host's JSON config so each stdio server runs behind `mcpwall wrap`.
