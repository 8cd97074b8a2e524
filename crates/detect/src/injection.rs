//! Tool-output analyzers (family `output_injection`).
