//! ruru's built-in DNS updater: the DNS side of dynamic DNS, what Kea
//! runs as a second daemon (`kea-dhcp-ddns`, "D2"), configured by the
//! same `DhcpDdns` section ([`ruru_config::D2Config`]).
//!
//! The DHCP side (ruru's engine, or a Kea server over UDP) emits
//! name-change requests ([`ruru_ddns::Ncr`]); this crate carries them out
//! as TSIG-signed RFC 2136 updates to the zones' primary servers, with
//! RFC 4703 conflict resolution exactly as Kea's D2 transactions do.
//!
//! - [`queue`]: [`D2::spawn`] and the [`D2Handle`] that takes requests
//!   without ever blocking; per-FQDN ordering, bounded concurrency,
//!   retrying unreachable servers later.
//! - `listener`: the NCR UDP listener (Kea's wire
//!   format) feeding the same queue.
//! - [`updater`]: one request as Kea's transactions (the DNS updates of
//!   each conflict-resolution mode, server failover).
//! - [`wire`]: the UPDATE messages and answers, with hickory-proto's
//!   DNS message types.
//! - [`tsig`]: TSIG signing and verification (hickory-proto's TSIG
//!   records; six HMAC algorithms).
//! - [`stats`]: Kea D2's statistics.

#![forbid(unsafe_code)]

mod listener;
pub mod queue;
pub mod stats;
pub mod tsig;
pub mod updater;
pub mod wire;

pub use queue::{D2Handle, QueueFull, Tuning, D2};
pub use stats::Stats;
