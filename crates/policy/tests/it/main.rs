//! Integration tests of the config loader: real files on disk, every format.
