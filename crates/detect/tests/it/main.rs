//! Integration tests of mcpwall-detect (one binary; one module per area).

mod text;
