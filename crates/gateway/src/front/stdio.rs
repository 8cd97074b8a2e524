//! Stdio front: this process's own stdin/stdout.
