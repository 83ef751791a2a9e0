//! The sans-I/O DHCP engine of ruru.
//!
//! Modules:
//! - [`v4`]: DHCPv4 message handling: decode, subnet selection, reservations,
//!   allocation, lease storage, reply building and addressing, reclamation.
//! - [`cursor`]: the iterative pool cursor shared by v4 and v6 allocation.
//! - [`hooks`]: hook points, next-step statuses and callout arguments.
//! - [`v6`]: DHCPv6 message handling (RFC 8415), relays, IA_NA and IA_PD.
//! - [`stats`]: statistics with Kea's names, shared with the server.
//!
//! The engine never reads the clock or touches a socket: callers pass the
//! received bytes, receive metadata and `now` (Unix seconds) and get back the
//! reply bytes and where to send them. The lease store is the one external
//! dependency, through the `ruru_lease::LeaseStore` trait.

#![forbid(unsafe_code)]

pub mod cursor;
pub mod hooks;
pub mod stats;
pub mod v4;
pub mod v6;

pub use hooks::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
pub use stats::{Stat, Stats};
pub use v4::{Drop4, Engine4, EngineOptions, Outcome4, Parked4, RecvMeta, Reply4};
