//! The kill switch shared by every running mcpwall of one config.
