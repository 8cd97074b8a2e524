//! Hidden content: zero-width, bidi, tag characters, ANSI escapes, HTML comments, encoded blobs.
