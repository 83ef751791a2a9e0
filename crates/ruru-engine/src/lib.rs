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
//! dependency, through the `ruru_lease::LeaseStore` trait, with the host
//! databases (`ruru_lease::HostStore`, in `EngineOptions::hosts`) when
//! `hosts-database(s)` is configured.

#![forbid(unsafe_code)]

pub mod cursor;
#[cfg(test)]
mod fake_hosts;
pub mod hooks;
pub mod rng;
pub mod stats;
pub mod v4;
pub mod v6;

pub use hooks::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
pub use rng::Rng;
pub use stats::{Stat, Stats};
pub use v4::{Drop4, Engine4, EngineOptions, Outcome4, Parked4, RecvMeta, Reply4};

/// Logs a lease write that failed (no reply goes out): at error level,
/// except while the database is known to be unreachable
/// (`LeaseError::Unavailable`), which the store logs once per state change;
/// then per packet at debug level only.
pub(crate) fn store_failed(what: &str, addr: &dyn std::fmt::Display, e: &ruru_lease::LeaseError) {
    if matches!(e, ruru_lease::LeaseError::Unavailable(_)) {
        tracing::debug!(%addr, error = %e, "{what}");
    } else {
        tracing::error!(%addr, error = %e, "{what}");
    }
}
