//! mcpwall sandbox: launching stdio MCP servers under namespaces, landlock and seccomp.
//! The only crate with `unsafe`; every block carries a `// SAFETY:` comment.
