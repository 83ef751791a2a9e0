//! The sans-I/O DHCP engine of ruru.
//!
//! # Contract
//!
//! The engine is deterministic: what it decides depends only on what the
//! caller hands it (like quinn-proto's protocol core: no I/O, time and
//! randomness passed in).
//! - **No I/O.** It never touches a socket or a file: callers pass the
//!   received bytes, receive metadata and `now`, and get back the reply
//!   bytes and where to send them. It reaches outside only through traits
//!   the caller provides: the lease store (`ruru_lease::LeaseStore`), the
//!   host databases (`ruru_lease::HostStore`, in `EngineOptions::hosts`)
//!   when `hosts-database(s)` is configured, and the hook libraries
//!   ([`HookDispatch`]).
//! - **Time passed in.** It never reads the clock: every operation that
//!   needs the time takes `now` (Unix seconds) — `process`, `reclaim`,
//!   lease expiry checks — and a parked reply keeps the `now` of its
//!   packet. Measuring time is the caller's too: the server times hook
//!   callouts (the `hooks.*.time-us` statistics) around its
//!   [`HookDispatch`].
//! - **Randomness passed in.** It never seeds any randomness of its own
//!   (no OS randomness, no clock, no std `RandomState`, hence no
//!   `HashMap`). Its one random choice, where spread pool cursors start
//!   and jump ([`cursor`]), draws from the [`Rng`] of `EngineOptions::rng`
//!   / `EngineOptions6::rng`, which the caller seeds: the server from the
//!   OS at start, tests with a fixed seed.
//!
//! So the same configuration, seed, store contents and sequence of calls
//! give the same replies and leases, and a test replays an exchange by
//! running it again (`same_seed_replays_spread_allocations` in the v4 and
//! v6 tests). Worker threads sharing one engine draw numbers and step
//! cursors in whatever order they run: determinism is per sequence of
//! calls. Hook libraries and stores are outside the contract, and so are
//! parking ids (`hooks::next_park_id`), unique in the process rather than
//! per engine.
//!
//! Modules:
//! - [`v4`]: DHCPv4 message handling: decode, subnet selection, reservations,
//!   allocation, lease storage, reply building and addressing, reclamation.
//! - [`cursor`]: the iterative pool cursor shared by v4 and v6 allocation.
//! - [`ddns`]: dynamic DNS from the DHCP side: the name-change request
//!   sink, Kea's FQDN flag rules and generated names.
//! - [`rng`]: the caller-seeded generator, the engine's only randomness.
//! - [`hooks`]: hook points, next-step statuses and callout arguments.
//! - `pipeline`: the sequence of hook stages a packet goes through, with
//!   parking and resumption, written once for both families.
//! - `networks`: shared networks: the subnets of each subnet's network.
//! - [`v6`]: DHCPv6 message handling (RFC 8415), relays, IA_NA and IA_PD.
//! - [`stats`]: statistics with Kea's names, shared with the server.
//! - [`dhcp4o6`]: DHCPv4-over-DHCPv6 (RFC 7341): how the DHCPv6 engine
//!   hands a DHCPV4-QUERY's DHCPv4 message to the DHCPv4 engine.
//! - `vendor`: vendor sub-options in option 125 (DHCPv4) and 17 (DHCPv6).

#![forbid(unsafe_code)]

pub mod classify;
pub mod cursor;
pub mod ddns;
pub mod dhcp4o6;
#[cfg(test)]
mod fake_hosts;
pub mod flex;
pub mod flq;
pub mod hooks;
#[cfg(test)]
mod network_tests;
mod networks;
mod option_levels;
mod pipeline;
pub mod rng;
pub mod stats;
pub mod v4;
pub mod v6;
mod vendor;

pub use ddns::DdnsSink;
pub use hooks::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
pub use pipeline::Admit;
pub use rng::Rng;
pub use stats::{Stat, Stats};
pub use v4::{Drop4, Engine4, EngineOptions, Outcome4, Parked4, Probe4, Probed4, RecvMeta, Reply4};

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
