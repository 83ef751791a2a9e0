//! Dynamic DNS data shared by the DHCP engine and the DNS updater.
//!
//! The DHCP side (the engine) decides which names a lease gets and emits
//! name-change requests; the DNS side (`ruru-d2`, or an external Kea
//! `kea-dhcp-ddns`) carries them out. This crate is what both agree on,
//! with no I/O:
//! - [`ncr`]: Kea's name-change request (NCR) and its JSON wire format.
//! - [`dhcid`]: the DHCID RDATA of RFC 4701 that ties a name to a client.
//! - [`name`]: domain names in wire form, hostname sanitising and
//!   qualifying as Kea does them.
//! - [`time`]: the UTC calendar conversions of the NCR timestamps.

#![forbid(unsafe_code)]

pub mod dhcid;
pub mod name;
pub mod ncr;
pub mod time;

pub use dhcid::Dhcid;
pub use ncr::{ChangeType, ConflictMode, Ncr, NcrError};
