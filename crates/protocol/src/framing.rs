//! Newline-delimited stdio framing with a line-length cap.
