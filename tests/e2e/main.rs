//! End-to-end tests of the `mamori` binary.

mod sanitize_cli;
