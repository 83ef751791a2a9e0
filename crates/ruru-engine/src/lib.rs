//! The sans-I/O DHCP engine of ruru.
//!
//! Modules:
//! - [`v4`]: DHCPv4 message handling: decode, subnet selection, reservations,
//!   allocation, lease storage, reply building and addressing, reclamation.
//! - [`hooks`]: hook points, next-step statuses and callout arguments.
//! - [`stats`]: statistics with Kea's names, shared with the server.
//!
//! The engine never reads the clock or touches a socket: callers pass the
//! received bytes, receive metadata and `now` (Unix seconds) and get back the
//! reply bytes and where to send them. The lease store is the one external
//! dependency, through the `ruru_lease::LeaseStore` trait.

#![forbid(unsafe_code)]

pub mod hooks;
pub mod stats;
pub mod v4;

pub use hooks::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
pub use stats::{Stat, Stats};
pub use v4::{Drop4, Engine4, EngineOptions, Outcome4, RecvMeta, Reply4};
