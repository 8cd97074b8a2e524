//! Streamable HTTP front (and legacy HTTP+SSE), with Origin validation and bearer tokens.
