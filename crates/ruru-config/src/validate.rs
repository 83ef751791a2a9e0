//! File model → runtime model: defaults, inheritance (global → shared
//! network → subnet) and
//! the semantic checks serde cannot do.
//!
//! Problems are collected (not returned at the first one) with the JSON path
//! of the offending value; the caller turns paths into `file:line:column`.
//!
//! This file is the entry point: [`validate`], the problem collector `V`
//! and `Section` (which section is being validated, with its family's
//! defaults). The checks live in modules by concern, and what both
//! families share is written once:
//! - `common`: the section-level objects both sections have (interfaces,
//!   hook libraries, loggers, expired-leases processing, multi-threading),
//!   gathered for `v4` and `v6`;
//! - `control`: control sockets (UNIX, HTTP/HTTPS with TLS, basic
//!   authentication);
//! - `databases`: `lease-database` and `hosts-database(s)`: memfile, SQL
//!   parameters, TLS;
//! - `option_def`: `option-def` lists (custom option definitions) and
//!   the lookup of definitions, custom then standard;
//! - `option_data`: `option-data` lists of both families, custom spaces
//!   and encapsulation;
//! - `timers`: lifetime triplets, T1/T2 and their percentages;
//! - `subnets`: addresses, prefixes, subnet ids, pools and relays of
//!   either address family;
//! - `networks`: what both families' `shared-networks` share (the list of
//!   all subnets with their paths, unique names, one interface per
//!   network, required classes network-first);
//! - `classes`: `client-classes` (class tests compiled with
//!   `ruru_classify`, `member()` references, Kea 2.2 and 3.0 spellings)
//!   and the class guards of subnets, pools, pd-pools and reservations;
//! - `host_ids`: reservation identifiers (`hw-address`, `client-id`,
//!   `circuit-id`, `flex-id`, `duid`);
//! - `overlap`: the O(n log n) overlap checks of subnets, pools, pd-pools
//!   and reserved prefixes;
//! - `v4`: the `Dhcp4` section (globals, subnets, pools, reservations);
//! - `d2`: the `DhcpDdns` section (listener, zones, servers, TSIG keys);
//! - `v6`: the `Dhcp6` section (preferred lifetimes, PD pools, DUID
//!   reservations, `server-id`).

mod ciphers;
mod classes;
mod common;
mod control;
mod d2;
mod databases;
mod ddns;
mod flex;
mod ha;
mod host_ids;
mod host_modes;
mod networks;
mod option_data;
mod option_def;
mod overlap;
mod ping;
mod subnets;
mod timers;
mod v4;
mod v6;

use std::path::Path;

use crate::{file, model};

pub use common::{BUILTIN_HOOK_LIBRARIES, DEFAULT_DECLINE_PROBATION};
pub use databases::DEFAULT_LFC_INTERVAL;
pub use host_ids::{parse_duid, parse_host_id, parse_hw_address};
pub use timers::{DEFAULT_T1_PERCENT, DEFAULT_VALID_LIFETIME};
pub use v4::{DEFAULT_LEASE_FILE4, DEFAULT_T2_PERCENT};
pub use v6::{DEFAULT_LEASE_FILE6, DEFAULT_PREFERRED_LIFETIME, DEFAULT_T2_PERCENT6};

/// One semantic problem, located by JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    /// Point at the key rather than at its value (for keys that are
    /// refused as such, e.g. "not supported yet").
    pub at_key: bool,
    /// For a string value: point at this byte offset of its decoded
    /// text rather than at the opening quote (an expression error).
    pub inner: Option<usize>,
}

/// The problem collector: every check reports to it, with the JSON path,
/// and goes on. Readers of typed values that report here live with their
/// concern (`addr` in `subnets`, `lifetime` and `percent` in `timers`,
/// `options` in `option_data`, `ipv4` in `v4`).
#[derive(Default)]
struct V {
    problems: Vec<Problem>,
    /// ruru's directories: hook libraries resolve in `places.hooks`.
    places: crate::Places,
    /// The section's `option-def` entries (set before its `option-data`).
    option_defs: option_def::Defs,
    /// The `option-def` entries of the class being validated (DHCPv4).
    class_defs: Vec<(String, option_def::Def)>,
    /// The section's `ip-reservations-unique` is false: several hosts may
    /// reserve one address (or prefix).
    ip_shared: bool,
}

impl V {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            at_key: false,
            inner: None,
        });
    }

    /// A problem at byte `offset` of the decoded text of the string value
    /// at `path` (an expression error inside a `test`).
    fn err_in_string(
        &mut self,
        path: impl Into<String>,
        offset: usize,
        message: impl Into<String>,
    ) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            at_key: false,
            inner: Some(offset),
        });
    }

    fn unsupported(&mut self, path: impl Into<String>) {
        let path = path.into();
        self.problems.push(Problem {
            message: format!("not supported yet: {path}"),
            path,
            at_key: true,
            inner: None,
        });
    }
}

/// Which section is being validated, and its family's defaults.
struct Section {
    /// `Dhcp4` or `Dhcp6`: the root of every path.
    name: &'static str,
    /// Kea's default memfile lease file.
    lease_file: &'static str,
    /// Kea's default logger name.
    logger: &'static str,
}

/// Validates the file model read from `source`.
pub fn validate(
    root: file::Root,
    source: &Path,
    places: &crate::Places,
) -> Result<model::Config, Vec<Problem>> {
    let mut v = V {
        places: places.clone(),
        ..V::default()
    };
    let dhcp4 = root.dhcp4.map(|d| v4::dhcp4(&mut v, d));
    let dhcp6 = root.dhcp6.map(|d| v6::dhcp6(&mut v, d));
    let dhcp_ddns = root.dhcp_ddns.map(|d| d2::dhcp_ddns(&mut v, d, source));
    let has_agent = root.control_agent.is_some();
    let agent_sockets = root
        .control_agent
        .map(|a| control::control_agent(&mut v, &a))
        .unwrap_or_default();
    if v.problems.is_empty() {
        Ok(model::Config {
            source: source.to_path_buf(),
            sections: [
                ("Dhcp4", dhcp4.is_some()),
                ("Dhcp6", dhcp6.is_some()),
                ("DhcpDdns", dhcp_ddns.is_some()),
                ("Control-agent", has_agent),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(name, _)| (name.to_string(), source.to_path_buf()))
            .collect(),
            dhcp4,
            dhcp6,
            dhcp_ddns,
            agent_sockets,
            raw: serde_json::Value::Null,
        })
    } else {
        Err(v.problems)
    }
}
