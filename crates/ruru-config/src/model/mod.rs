//! The validated runtime model: what the engine and server use.
//!
//! Every value here has been checked and every inherited parameter (global →
//! subnet) has been resolved, so the engine never sees a half-checked value or
//! has to know Kea's inheritance rules. Built from the file model by
//! [`crate::validate`].
//!
//! - [`Config`] (here): a whole file, with its `Dhcp4` and `Dhcp6` sections.
//! - [`common`]: what both sections share (interfaces, lease and hosts
//!   databases, control sockets, hook libraries, loggers, expired-leases
//!   processing, multi-threading, lifetimes).
//! - [`classes`]: what both sections share of client classification
//!   (compiled class tests, the class guards of subnets and pools,
//!   built-in class names).
//! - [`ddns`]: the DHCP side of dynamic DNS (`ddns-*`, `dhcp-ddns`).
//! - [`ha`]: Kea's High Availability library's relationship, built in.
//! - [`v4`]: the `Dhcp4` section.
//! - [`v6`]: the `Dhcp6` section.
//! - [`d2`]: the `DhcpDdns` section (the built-in DNS updater).
//!
//! Imports go one way: `v4` and `v6` use `common` and `classes`, this
//! module uses them all, and neither `common` nor `classes` uses a
//! family. Every type is re-exported here
//! and at the crate root.

use std::path::PathBuf;

pub mod classes;
pub mod common;
pub mod d2;
pub mod ddns;
pub mod ha;
pub mod v4;
pub mod v6;

pub use classes::*;
pub use common::*;
pub use d2::*;
pub use ddns::*;
pub use ha::*;
pub use v4::*;
pub use v6::*;

/// A whole configuration file, validated.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file this was loaded from (SIGHUP and `config-reload` read it
    /// again); with several files ([`crate::load_files`]), the first.
    pub source: PathBuf,
    /// Each section present (`Dhcp4`, `Dhcp6`, `DhcpDdns`,
    /// `Control-agent`) and the file it came from.
    pub sections: Vec<(String, PathBuf)>,
    /// The `Dhcp4` section, when present.
    pub dhcp4: Option<Dhcp4>,
    /// The `Dhcp6` section, when present. A file may have either section
    /// or both; one with neither is valid here (the server decides).
    pub dhcp6: Option<Dhcp6>,
    /// The `DhcpDdns` section (the DNS updater), when present.
    pub dhcp_ddns: Option<D2Config>,
    /// Kea's `Control-agent` section: more HTTP(S) sockets of the control
    /// API (empty without it).
    pub agent_sockets: Vec<ControlSocket>,
    /// The file as JSON after comments and includes were resolved (what
    /// `config-get` returns and `config-write` writes).
    pub raw: serde_json::Value,
}
