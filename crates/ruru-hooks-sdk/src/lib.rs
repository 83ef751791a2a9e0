//! The ruru hook SDK: what a hook library depends on.
//!
//! Modules:
//! - [`abi`]: the versioned C ABI (`#[repr(C)]` types, result codes, symbol
//!   names); `include/ruru_hooks.h` is generated from it and committed.
//!
//! This crate depends on nothing of ruru's: libraries never link against
//! the server; they call back only through the [`abi::RuruApi`] table.

pub mod abi;

pub use abi::*;
