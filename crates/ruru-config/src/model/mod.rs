//! The validated runtime model: what the engine and server use.
//!
//! - `v4`: the `Dhcp4` section.
//! - `v6`: the `Dhcp6` section.
//!
//! Every type is re-exported here and at the crate root.

pub mod v4;
pub mod v6;

pub use v4::*;
pub use v6::*;
