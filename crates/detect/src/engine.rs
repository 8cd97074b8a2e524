//! The verdict engine behind `mcpwall detect --jsonl`: runs the analyzers of a family.
