//! The hook SDK: versioned C ABI and safe Rust API. Filled in by the hooks issue; empty for now.
#![forbid(unsafe_code)]
