//! File model → runtime model: defaults, inheritance (global → subnet) and
//! the semantic checks serde cannot do.
//!
//! Problems are collected (not returned at the first one) with the JSON path
//! of the offending value; the caller turns paths into `file:line:column`.
//!
//! This file holds what both families share (the problem collector,
//! lifetimes and timers, `option-data` through [`OptionSpace`], addresses,
//! prefixes, pools, relays and subnet ids through [`Family`], and the
//! section-level objects in [`common`]: interfaces, lease database,
//! loggers, expired-leases processing, multi-threading, hooks, control
//! sockets) and the `Dhcp4` section; `v6` holds the `Dhcp6` section, and
//! `overlap` the O(n log n) overlap checks of subnets, pools, pd-pools and
//! reserved prefixes.

mod overlap;
mod v6;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};

use crate::file;
use crate::model::{self, HostId, HostIdType, Lifetime};
use crate::{options, options6};

pub use v6::{parse_duid, DEFAULT_LEASE_FILE6, DEFAULT_PREFERRED_LIFETIME, DEFAULT_T2_PERCENT6};

/// Kea's default memfile lease file for DHCPv4.
pub const DEFAULT_LEASE_FILE4: &str = "/var/lib/kea/kea-leases4.csv";
/// Kea's default `valid-lifetime`.
pub const DEFAULT_VALID_LIFETIME: u32 = 7200;
/// Kea's default `lfc-interval`.
pub const DEFAULT_LFC_INTERVAL: u32 = 3600;
/// Kea's default `decline-probation-period`.
pub const DEFAULT_DECLINE_PROBATION: u32 = 86400;
/// Kea's default `t1-percent`.
pub const DEFAULT_T1_PERCENT: f64 = 0.5;
/// Kea's default `t2-percent` (DHCPv4).
pub const DEFAULT_T2_PERCENT: f64 = 0.875;

/// One semantic problem, located by JSON path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    /// Point at the key rather than at its value (for keys that are
    /// refused as such, e.g. "not supported yet").
    pub at_key: bool,
}

#[derive(Default)]
struct V {
    problems: Vec<Problem>,
    /// ruru's directories: hook libraries resolve in `places.hooks`.
    places: crate::Places,
}

impl V {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
            at_key: false,
        });
    }

    fn unsupported(&mut self, path: impl Into<String>) {
        let path = path.into();
        self.problems.push(Problem {
            message: format!("not supported yet: {path}"),
            path,
            at_key: true,
        });
    }

    fn ipv4(&mut self, path: &str, s: &str) -> Option<Ipv4Addr> {
        self.addr(path, s)
    }

    /// An address of family `A`.
    fn addr<A: Family>(&mut self, path: &str, s: &str) -> Option<A> {
        match s.trim().parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    path,
                    format!(
                        "`{s}` is not an {} address: expected e.g. \"{}\"",
                        A::VERSION,
                        A::ADDR_EXAMPLE
                    ),
                );
                None
            }
        }
    }

    fn percent(&mut self, path: &str, v: f64) -> f64 {
        if !(v > 0.0 && v < 1.0) {
            self.err(
                path,
                format!("{v} is out of range: expected a number in (0, 1)"),
            );
        }
        v
    }

    /// Kea's lifetime triplet `name`, `min-name`, `max-name` (`name` is
    /// `valid-lifetime` or `preferred-lifetime`) for one scope, if any of it
    /// is given.
    fn lifetime(
        &mut self,
        scope: &str,
        name: &str,
        value: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
    ) -> Option<Lifetime> {
        let min_given = min.is_some();
        let (default, min, max) = match (value, min, max) {
            (None, None, None) => return None,
            (Some(v), mn, mx) => (v, mn.unwrap_or(v), mx.unwrap_or(v)),
            (None, Some(mn), mx) => (mn, mn, mx.unwrap_or(mn)),
            (None, None, Some(mx)) => (mx, mx, mx),
        };
        if min > max && !min_given {
            // The minimum is the default here: blame the key that is there.
            self.err(
                format!("{scope}.{name}"),
                format!("{name} ({default}) is greater than max-{name} ({max})"),
            );
        } else if min > max {
            self.err(
                format!("{scope}.min-{name}"),
                format!("min-{name} ({min}) is greater than max-{name} ({max})"),
            );
        } else if default < min || default > max {
            self.err(
                format!("{scope}.{name}"),
                format!(
                    "{name} ({default}) is not between min-{name} ({min}) and max-{name} ({max})"
                ),
            );
        }
        Some(Lifetime { default, min, max })
    }

    fn sname_file(&mut self, path: &str, s: &str, max: usize) {
        if s.len() > max {
            self.err(
                path,
                format!("too long: {} bytes, expected at most {max}", s.len()),
            );
        }
    }

    /// The DHCPv4 `option-data` list at `path`.
    fn options(
        &mut self,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<model::OptionData> {
        self.option_list::<Space4>(path, list)
            .into_iter()
            .map(|(code, data, always_send)| model::OptionData {
                code: code as u8,
                data,
                always_send,
            })
            .collect()
    }

    /// An `option-data` list of either family, encoded: (code, payload,
    /// always-send) per entry. One entry per option code.
    fn option_list<S: OptionSpace>(
        &mut self,
        path: &str,
        list: &Option<Vec<file::OptionData>>,
    ) -> Vec<(u16, Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut seen: HashMap<u16, usize> = HashMap::new();
        for (i, o) in list.iter().flatten().enumerate() {
            let p = format!("{path}[{i}]");
            if let Some(opt) = self.option::<S>(&p, o) {
                if let Some(first) = seen.insert(opt.0, i) {
                    self.err(
                        format!("{p}.{}", if o.name.is_some() { "name" } else { "code" }),
                        format!(
                            "option {} is already configured at {path}[{first}]: expected one entry per option",
                            opt.0
                        ),
                    );
                }
                out.push(opt);
            }
        }
        out
    }

    fn option<S: OptionSpace>(
        &mut self,
        p: &str,
        o: &file::OptionData,
    ) -> Option<(u16, Vec<u8>, bool)> {
        if let Some(space) = &o.space {
            if space != S::SPACE {
                self.err(
                    format!("{p}.space"),
                    format!(
                        "not supported yet: option space `{space}` (only \"{}\")",
                        S::SPACE
                    ),
                );
                return None;
            }
        }
        if o.never_send == Some(true) {
            self.unsupported(format!("{p}.never-send"));
            return None;
        }
        let by_name = match &o.name {
            Some(n) => match S::by_name(n) {
                Some(d) => Some(d),
                None => {
                    self.err(
                        format!("{p}.name"),
                        format!("unknown option name `{n}` in space {}", S::SPACE),
                    );
                    return None;
                }
            },
            None => None,
        };
        let code = match (o.code, by_name) {
            (Some(c), _) if c == 0 || c > S::MAX_CODE => {
                let max = S::MAX_CODE;
                let why = S::reserved_reason(c).map_or_else(
                    || format!("expected 1..={max}"),
                    |w| format!("{w}: expected 1..={max}"),
                );
                self.err(
                    format!("{p}.code"),
                    format!("invalid option code {c}: {why}"),
                );
                return None;
            }
            (Some(c), Some((code, name))) if u32::from(code) != c => {
                self.err(
                    format!("{p}.code"),
                    format!("option code {c} does not match name `{name}` (code {code})"),
                );
                return None;
            }
            (Some(c), _) => c as u16,
            (None, Some((code, _))) => code,
            (None, None) => {
                self.err(
                    p,
                    "option has neither `name` nor `code`: expected at least one",
                );
                return None;
            }
        };
        let key = if o.name.is_some() { "name" } else { "code" };
        if let Some(why) = S::reserved_reason(u32::from(code)) {
            self.err(
                format!("{p}.{key}"),
                format!("option {code} cannot be configured: {why}"),
            );
            return None;
        }
        if let Some(what) = S::not_supported(code) {
            self.err(format!("{p}.{key}"), format!("not supported yet: {what}"));
            return None;
        }
        let csv = o.csv_format.unwrap_or(true);
        let data = o.data.as_deref().unwrap_or("");
        match S::encode(code, data, csv) {
            Ok(bytes) => Some((code, bytes, o.always_send.unwrap_or(false))),
            Err(e) => {
                let what = S::name_of(code).map_or_else(
                    || format!("option {code}"),
                    |n| format!("option {n} ({code})"),
                );
                let path = if o.data.is_some() {
                    format!("{p}.data")
                } else {
                    p.to_string()
                };
                self.err(path, format!("{what}: {e}"));
                None
            }
        }
    }
}

/// What differs between the DHCPv4 and DHCPv6 `option-data` rules: the
/// space, the code range and the definition table.
trait OptionSpace {
    /// Kea's name of the standard space.
    const SPACE: &'static str;
    /// The highest code.
    const MAX_CODE: u32;
    /// (code, name) of the option called `name`.
    fn by_name(name: &str) -> Option<(u16, &'static str)>;
    /// The name of option `code`, for messages.
    fn name_of(code: u16) -> Option<&'static str>;
    /// Why `code` may not be configured (any `u32`, in range or not).
    fn reserved_reason(code: u32) -> Option<&'static str>;
    /// What is not supported yet about configuring `code`, if anything.
    fn not_supported(code: u16) -> Option<&'static str>;
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String>;
}

/// Space `dhcp4`.
struct Space4;

impl OptionSpace for Space4 {
    const SPACE: &'static str = "dhcp4";
    const MAX_CODE: u32 = 254;
    fn by_name(name: &str) -> Option<(u16, &'static str)> {
        options::by_name(name).map(|d| (u16::from(d.code), d.name))
    }
    fn name_of(code: u16) -> Option<&'static str> {
        options::by_code(u8::try_from(code).ok()?).map(|d| d.name)
    }
    fn reserved_reason(code: u32) -> Option<&'static str> {
        options::reserved_reason(u8::try_from(code).ok()?)
    }
    fn not_supported(code: u16) -> Option<&'static str> {
        (code == 54).then_some("configuring dhcp-server-identifier (54)")
    }
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String> {
        let def = u8::try_from(code).ok().and_then(options::by_code);
        options::encode(def, data, csv)
    }
}

/// Space `dhcp6`.
struct Space6;

impl OptionSpace for Space6 {
    const SPACE: &'static str = "dhcp6";
    const MAX_CODE: u32 = 65535;
    fn by_name(name: &str) -> Option<(u16, &'static str)> {
        options6::by_name(name).map(|d| (d.code, d.name))
    }
    fn name_of(code: u16) -> Option<&'static str> {
        options6::by_code(code).map(|d| d.name)
    }
    fn reserved_reason(code: u32) -> Option<&'static str> {
        options6::reserved_reason(u16::try_from(code).ok()?)
    }
    fn not_supported(_code: u16) -> Option<&'static str> {
        None
    }
    fn encode(code: u16, data: &str, csv: bool) -> Result<Vec<u8>, String> {
        options6::encode(options6::by_code(code), data, csv)
    }
}

/// An address family: what addresses, prefixes, pools, relays and subnet
/// overlap checks need to know about IPv4 or IPv6.
trait Family: Copy + Ord + fmt::Display + FromStr {
    type Net: Copy + PartialEq + fmt::Display + FromStr;
    /// "IPv4" / "IPv6", for messages.
    const VERSION: &'static str;
    const ADDR_EXAMPLE: &'static str;
    const PREFIX_EXAMPLE: &'static str;
    const POOL_EXAMPLE: &'static str;
    /// The address as written (host bits included).
    fn addr(n: &Self::Net) -> Self;
    fn first(n: &Self::Net) -> Self;
    fn last(n: &Self::Net) -> Self;
    fn prefix_len(n: &Self::Net) -> u8;
    fn contains(n: &Self::Net, a: &Self) -> bool {
        Self::first(n) <= *a && *a <= Self::last(n)
    }
    /// The address as an integer, for the overlap checks.
    fn bits(a: Self) -> u128;
    /// The addresses of `n` as integers.
    fn range(n: &Self::Net) -> overlap::Range {
        (Self::bits(Self::first(n)), Self::bits(Self::last(n)))
    }
}

impl Family for Ipv4Addr {
    type Net = Ipv4Net;
    const VERSION: &'static str = "IPv4";
    const ADDR_EXAMPLE: &'static str = "192.0.2.1";
    const PREFIX_EXAMPLE: &'static str = "192.0.2.0/24";
    const POOL_EXAMPLE: &'static str = "\"192.0.2.10 - 192.0.2.20\" or \"192.0.2.64/26\"";
    fn addr(n: &Ipv4Net) -> Self {
        n.addr()
    }
    fn first(n: &Ipv4Net) -> Self {
        n.network()
    }
    fn last(n: &Ipv4Net) -> Self {
        n.broadcast()
    }
    fn prefix_len(n: &Ipv4Net) -> u8 {
        n.prefix_len()
    }
    fn bits(a: Self) -> u128 {
        u128::from(u32::from(a))
    }
}

impl Family for Ipv6Addr {
    type Net = Ipv6Net;
    const VERSION: &'static str = "IPv6";
    const ADDR_EXAMPLE: &'static str = "2001:db8::1";
    const PREFIX_EXAMPLE: &'static str = "2001:db8:1::/64";
    const POOL_EXAMPLE: &'static str =
        "\"2001:db8:1::100 - 2001:db8:1::1ff\" or \"2001:db8:1::/112\"";
    fn addr(n: &Ipv6Net) -> Self {
        n.addr()
    }
    fn first(n: &Ipv6Net) -> Self {
        n.network()
    }
    fn last(n: &Ipv6Net) -> Self {
        n.broadcast()
    }
    fn prefix_len(n: &Ipv6Net) -> u8 {
        n.prefix_len()
    }
    fn bits(a: Self) -> u128 {
        u128::from(a)
    }
}

/// Kea's global defaults as resolved values, inherited by every subnet.
struct Globals {
    lifetime: Lifetime,
    renew_timer: Option<u32>,
    rebind_timer: Option<u32>,
    calculate_tee_times: bool,
    t1_percent: f64,
    t2_percent: f64,
    authoritative: bool,
    match_client_id: bool,
    next_server: Ipv4Addr,
    server_hostname: String,
    boot_file_name: String,
}

impl Globals {
    fn timers(&self) -> Timers {
        Timers {
            valid: self.lifetime.default,
            renew: self.renew_timer,
            rebind: self.rebind_timer,
            calculate_tee_times: self.calculate_tee_times,
            t1_percent: self.t1_percent,
            t2_percent: self.t2_percent,
        }
    }
}

/// Validates the file model read from `source`.
pub fn validate(
    root: file::Root,
    source: &Path,
    places: &crate::Places,
) -> Result<model::Config, Vec<Problem>> {
    let mut v = V {
        problems: Vec::new(),
        places: places.clone(),
    };
    let dhcp4 = root.dhcp4.map(|d| dhcp4(&mut v, d));
    let dhcp6 = root.dhcp6.map(|d| v6::dhcp6(&mut v, d));
    if v.problems.is_empty() {
        Ok(model::Config {
            source: source.to_path_buf(),
            sections: [("Dhcp4", dhcp4.is_some()), ("Dhcp6", dhcp6.is_some())]
                .into_iter()
                .filter(|(_, present)| *present)
                .map(|(name, _)| (name.to_string(), source.to_path_buf()))
                .collect(),
            dhcp4,
            dhcp6,
            raw: serde_json::Value::Null,
        })
    } else {
        Err(v.problems)
    }
}

/// The section-level objects both families have, as written.
struct CommonIn<'a> {
    interfaces_config: Option<file::InterfacesConfig>,
    lease_database: Option<&'a file::LeaseDatabase>,
    expired_leases_processing: Option<&'a file::ExpiredLeasesProcessing>,
    loggers: Option<&'a [file::Logger]>,
    multi_threading: Option<&'a file::MultiThreading>,
    hooks_libraries: Option<&'a [file::HookLibrary]>,
    control_socket: Option<&'a file::ControlSocket>,
    control_sockets: Option<&'a [file::ControlSocket]>,
}

/// The section-level objects both families have, validated.
struct Common {
    interfaces: model::InterfacesConfig,
    lease_database: model::LeaseDatabase,
    expired_leases: model::ExpiredLeasesProcessing,
    loggers: Vec<model::Logger>,
    multi_threading: model::MultiThreading,
    control_sockets: Vec<model::ControlSocket>,
    hooks_libraries: Vec<model::HookLibrary>,
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

const SECTION4: Section = Section {
    name: "Dhcp4",
    lease_file: DEFAULT_LEASE_FILE4,
    logger: "kea-dhcp4",
};

/// Validates what `Dhcp4` and `Dhcp6` share.
fn common(v: &mut V, sec: &Section, c: CommonIn<'_>) -> Common {
    let p = sec.name;
    let hooks_libraries = c
        .hooks_libraries
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, h)| hook_library(v, &format!("{p}.hooks-libraries[{i}]"), h))
        .collect();
    let control_sockets = control_sockets(v, p, c.control_socket, c.control_sockets);
    let interfaces = interfaces(v, p, c.interfaces_config.as_ref());
    let lease_database = lease_database(v, sec, c.lease_database);
    let expired_leases = match c.expired_leases_processing {
        None => model::ExpiredLeasesProcessing::default(),
        Some(e) => {
            let def = model::ExpiredLeasesProcessing::default();
            model::ExpiredLeasesProcessing {
                reclaim_timer_wait_time: e
                    .reclaim_timer_wait_time
                    .unwrap_or(def.reclaim_timer_wait_time),
                flush_reclaimed_timer_wait_time: e
                    .flush_reclaimed_timer_wait_time
                    .unwrap_or(def.flush_reclaimed_timer_wait_time),
                hold_reclaimed_time: e.hold_reclaimed_time.unwrap_or(def.hold_reclaimed_time),
                max_reclaim_leases: e.max_reclaim_leases.unwrap_or(def.max_reclaim_leases),
                max_reclaim_time: e.max_reclaim_time.unwrap_or(def.max_reclaim_time),
                unwarned_reclaim_cycles: e
                    .unwarned_reclaim_cycles
                    .unwrap_or(def.unwarned_reclaim_cycles),
            }
        }
    };
    let loggers = loggers(v, sec, c.loggers);
    let multi_threading = match c.multi_threading {
        None => model::MultiThreading::default(),
        Some(m) => {
            let def = model::MultiThreading::default();
            model::MultiThreading {
                enabled: m.enable_multi_threading.unwrap_or(def.enabled),
                thread_pool_size: m.thread_pool_size.unwrap_or(def.thread_pool_size),
                packet_queue_size: m.packet_queue_size.unwrap_or(def.packet_queue_size),
            }
        }
    };
    Common {
        interfaces,
        lease_database,
        expired_leases,
        loggers,
        multi_threading,
        control_sockets,
        hooks_libraries,
    }
}

/// `interfaces-config` (DHCPv6's is converted to this shape first).
fn interfaces(v: &mut V, p: &str, ic: Option<&file::InterfacesConfig>) -> model::InterfacesConfig {
    let Some(ic) = ic else {
        return model::InterfacesConfig {
            interfaces: Vec::new(),
            socket_type: model::SocketType::Raw,
            require_all: false,
            max_retries: 0,
            retry_wait_ms: 5000,
        };
    };
    let list = ic.interfaces.clone().unwrap_or_default();
    for (i, name) in list.iter().enumerate() {
        if name.trim().is_empty() {
            v.err(
                format!("{p}.interfaces-config.interfaces[{i}]"),
                "empty interface name: expected e.g. \"eth0\" or \"*\"",
            );
        }
    }
    model::InterfacesConfig {
        interfaces: list,
        socket_type: match ic.dhcp_socket_type {
            Some(file::SocketType::Udp) => model::SocketType::Udp,
            Some(file::SocketType::Raw) | None => model::SocketType::Raw,
        },
        require_all: ic.service_sockets_require_all.unwrap_or(false),
        max_retries: ic.service_sockets_max_retries.unwrap_or(0),
        retry_wait_ms: ic.service_sockets_retry_wait_time.unwrap_or(5000),
    }
}

fn dhcp4(v: &mut V, d: file::Dhcp4) -> model::Dhcp4 {
    const P: &str = "Dhcp4";

    let common = common(
        v,
        &SECTION4,
        CommonIn {
            interfaces_config: d.interfaces_config.clone(),
            lease_database: d.lease_database.as_ref(),
            expired_leases_processing: d.expired_leases_processing.as_ref(),
            loggers: d.loggers.as_deref(),
            multi_threading: d.multi_threading.as_ref(),
            hooks_libraries: d.hooks_libraries.as_deref(),
            control_socket: d.control_socket.as_ref(),
            control_sockets: d.control_sockets.as_deref(),
        },
    );

    let lifetime = v
        .lifetime(
            P,
            "valid-lifetime",
            d.valid_lifetime,
            d.min_valid_lifetime,
            d.max_valid_lifetime,
        )
        .unwrap_or(Lifetime {
            default: DEFAULT_VALID_LIFETIME,
            min: DEFAULT_VALID_LIFETIME,
            max: DEFAULT_VALID_LIFETIME,
        });
    let t1_percent = d
        .t1_percent
        .map_or(DEFAULT_T1_PERCENT, |x| v.percent("Dhcp4.t1-percent", x));
    let t2_percent = d
        .t2_percent
        .map_or(DEFAULT_T2_PERCENT, |x| v.percent("Dhcp4.t2-percent", x));
    let next_server = d
        .next_server
        .as_deref()
        .and_then(|s| v.ipv4("Dhcp4.next-server", s))
        .unwrap_or(Ipv4Addr::UNSPECIFIED);
    if let Some(s) = &d.server_hostname {
        v.sname_file("Dhcp4.server-hostname", s, 63);
    }
    if let Some(s) = &d.boot_file_name {
        v.sname_file("Dhcp4.boot-file-name", s, 127);
    }
    let g = Globals {
        lifetime,
        renew_timer: d.renew_timer,
        rebind_timer: d.rebind_timer,
        calculate_tee_times: d.calculate_tee_times.unwrap_or(false),
        t1_percent,
        t2_percent,
        authoritative: d.authoritative.unwrap_or(false),
        match_client_id: d.match_client_id.unwrap_or(true),
        next_server,
        server_hostname: d.server_hostname.clone().unwrap_or_default(),
        boot_file_name: d.boot_file_name.clone().unwrap_or_default(),
    };
    check_timers(v, P, P, &g.timers(), &[]);

    let options = v.options("Dhcp4.option-data", &d.option_data);
    let subnets = subnets(v, d.subnet4.as_deref().unwrap_or_default(), &g);

    let host_reservation_identifiers = match &d.host_reservation_identifiers {
        None => vec![
            HostIdType::HwAddress,
            HostIdType::Duid,
            HostIdType::CircuitId,
            HostIdType::ClientId,
        ],
        Some(list) => {
            let path = "Dhcp4.host-reservation-identifiers";
            if list.is_empty() {
                v.err(path, "empty list: expected at least one of \"hw-address\", \"duid\", \"circuit-id\", \"client-id\", \"flex-id\"");
            }
            let mut out = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let t = match s.as_str() {
                    "hw-address" => HostIdType::HwAddress,
                    "duid" => HostIdType::Duid,
                    "circuit-id" => HostIdType::CircuitId,
                    "client-id" => HostIdType::ClientId,
                    "flex-id" => HostIdType::Flex,
                    _ => {
                        v.err(format!("{path}[{i}]"), format!("unknown identifier type `{s}`: expected one of \"hw-address\", \"duid\", \"circuit-id\", \"client-id\", \"flex-id\""));
                        continue;
                    }
                };
                if out.contains(&t) {
                    v.err(format!("{path}[{i}]"), format!("`{s}` is listed twice"));
                } else {
                    out.push(t);
                }
            }
            out
        }
    };

    let hosts_databases = hosts_databases(
        v,
        P,
        d.hosts_database.as_ref(),
        d.hosts_databases.as_deref(),
    );

    model::Dhcp4 {
        interfaces: common.interfaces,
        lease_database: common.lease_database,
        hosts_databases,
        subnets,
        options,
        decline_probation_period: d
            .decline_probation_period
            .unwrap_or(DEFAULT_DECLINE_PROBATION),
        expired_leases: common.expired_leases,
        loggers: common.loggers,
        echo_client_id: d.echo_client_id.unwrap_or(true),
        host_reservation_identifiers,
        multi_threading: common.multi_threading,
        control_sockets: common.control_sockets,
        hooks_libraries: common.hooks_libraries,
        parked_packet_limit: d.parked_packet_limit.unwrap_or(256),
    }
}

/// Kea's command hook libraries whose commands ruru has built in.
pub const BUILTIN_HOOK_LIBRARIES: &[&str] = &[
    "libdhcp_lease_cmds.so",
    "libdhcp_stat_cmds.so",
    "libdhcp_host_cmds.so",
];

/// Validates one `hooks-libraries` entry: the shape only (loading happens in
/// the server). Kea's built-in command libraries are marked `builtin`: ruru
/// has their commands built in and loads nothing for them.
fn hook_library(v: &mut V, p: &str, h: &file::HookLibrary) -> Option<model::HookLibrary> {
    if h.library.trim().is_empty() {
        v.err(
            format!("{p}.library"),
            "expected the path of a hook library, got an empty string",
        );
        return None;
    }
    let parameters_json = match &h.parameters {
        None | Some(serde_json::Value::Null) => "{}".to_string(),
        Some(o @ serde_json::Value::Object(_)) => o.to_string(),
        Some(other) => {
            v.err(
                format!("{p}.parameters"),
                format!("expected a JSON object, got {other}"),
            );
            return None;
        }
    };
    let name = Path::new(&h.library)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    // Kea's libraries that ruru has built in are accepted from any
    // directory: nothing is loaded for them.
    if BUILTIN_HOOK_LIBRARIES.contains(&name) {
        return Some(model::HookLibrary {
            path: PathBuf::from(&h.library),
            parameters_json,
            builtin: true,
        });
    }
    match v.places.hook_library(&h.library) {
        Ok(path) => Some(model::HookLibrary {
            path,
            parameters_json,
            builtin: false,
        }),
        Err(e) => {
            v.err(format!("{p}.library"), e);
            None
        }
    }
}

fn control_sockets(
    v: &mut V,
    p: &str,
    single: Option<&file::ControlSocket>,
    list: Option<&[file::ControlSocket]>,
) -> Vec<model::ControlSocket> {
    let list: Vec<(String, &file::ControlSocket)> = match (single, list) {
        (Some(_), Some(_)) => {
            v.err(
                format!("{p}.control-sockets"),
                "`control-socket` and `control-sockets` are both set: expected only one of them",
            );
            return Vec::new();
        }
        (Some(c), None) => vec![(format!("{p}.control-socket"), c)],
        (None, Some(l)) => l
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("{p}.control-sockets[{i}]"), c))
            .collect(),
        (None, None) => Vec::new(),
    };
    let mut out: Vec<model::ControlSocket> = Vec::new();
    /// What a socket of `out` uses.
    #[derive(PartialEq, Eq, Hash)]
    enum Used {
        Path(PathBuf),
        Addr(std::net::SocketAddr),
    }
    let mut used: HashSet<Used> = HashSet::new();
    for (p, c) in list {
        let Some(sock) = control_socket(v, &p, c) else {
            continue;
        };
        let key = match &sock {
            model::ControlSocket::Unix { path } => Used::Path(path.clone()),
            model::ControlSocket::Http(h) => Used::Addr(h.addr),
        };
        if !used.insert(key) {
            let key = match sock {
                model::ControlSocket::Unix { .. } => "socket-name",
                model::ControlSocket::Http(_) => "socket-port",
            };
            v.err(
                format!("{p}.{key}"),
                "another control socket already uses this: expected each socket once",
            );
            continue;
        }
        out.push(sock);
    }
    out
}

fn control_socket(v: &mut V, p: &str, c: &file::ControlSocket) -> Option<model::ControlSocket> {
    let tls_keys = [
        ("trust-anchor", &c.trust_anchor),
        ("cert-file", &c.cert_file),
        ("key-file", &c.key_file),
    ];
    match c.socket_type.as_str() {
        "unix" => {
            let not_for_unix = [
                ("socket-address", c.socket_address.is_some()),
                ("socket-port", c.socket_port.is_some()),
                ("authentication", c.authentication.is_some()),
                ("trust-anchor", c.trust_anchor.is_some()),
                ("cert-file", c.cert_file.is_some()),
                ("key-file", c.key_file.is_some()),
                ("cert-required", c.cert_required.is_some()),
            ];
            let mut ok = true;
            for (key, set) in not_for_unix {
                if set {
                    v.err(
                        format!("{p}.{key}"),
                        format!("`{key}` is not valid for a unix control socket: expected it only with \"http\" or \"https\""),
                    );
                    ok = false;
                }
            }
            match c.socket_name.as_deref() {
                None => {
                    v.err(
                        p,
                        "missing required key `socket-name` for a unix control socket",
                    );
                    None
                }
                Some("") => {
                    v.err(
                        format!("{p}.socket-name"),
                        "empty socket name: expected a path",
                    );
                    None
                }
                Some(name) => ok.then(|| model::ControlSocket::Unix {
                    path: PathBuf::from(name),
                }),
            }
        }
        "http" | "https" => {
            let mut ok = true;
            if c.socket_name.is_some() {
                v.err(
                    format!("{p}.socket-name"),
                    "`socket-name` is not valid for an HTTP control socket: expected `socket-address` and `socket-port`",
                );
                ok = false;
            }
            let ip = match &c.socket_address {
                None => std::net::IpAddr::V4(Ipv4Addr::LOCALHOST),
                Some(a) => match a.trim().parse::<std::net::IpAddr>() {
                    Ok(ip) => ip,
                    Err(_) => {
                        v.err(
                            format!("{p}.socket-address"),
                            format!("`{a}` is not an IP address: expected e.g. \"127.0.0.1\""),
                        );
                        ok = false;
                        std::net::IpAddr::V4(Ipv4Addr::LOCALHOST)
                    }
                },
            };
            let port = c.socket_port.unwrap_or(8000);
            if port == 0 {
                v.err(
                    format!("{p}.socket-port"),
                    "0 is out of range: expected 1..=65535",
                );
                ok = false;
            }
            let set: Vec<&str> = tls_keys
                .iter()
                .filter(|(_, v)| v.as_deref().is_some_and(|s| !s.is_empty()))
                .map(|(k, _)| *k)
                .collect();
            let tls = if set.is_empty() {
                if c.socket_type == "https" {
                    v.err(
                        format!("{p}.socket-type"),
                        "no TLS setup for an HTTPS control socket: expected `trust-anchor`, `cert-file` and `key-file`",
                    );
                    ok = false;
                }
                if c.cert_required.is_some() {
                    v.err(
                        format!("{p}.cert-required"),
                        "`cert-required` without TLS: expected `trust-anchor`, `cert-file` and `key-file` too",
                    );
                    ok = false;
                }
                None
            } else if set.len() < tls_keys.len() {
                for (k, val) in tls_keys {
                    if val.as_deref().is_none_or(str::is_empty) {
                        let path = if val.is_some() {
                            format!("{p}.{k}")
                        } else {
                            p.to_string()
                        };
                        v.err(
                            path,
                            format!("`{k}` is missing or empty: all or none of `trust-anchor`, `cert-file` and `key-file` must be set"),
                        );
                    }
                }
                ok = false;
                None
            } else {
                Some(model::TlsFiles {
                    trust_anchor: PathBuf::from(c.trust_anchor.clone().unwrap_or_default()),
                    cert_file: PathBuf::from(c.cert_file.clone().unwrap_or_default()),
                    key_file: PathBuf::from(c.key_file.clone().unwrap_or_default()),
                    cert_required: c.cert_required.unwrap_or(true),
                })
            };
            let auth = match &c.authentication {
                None => None,
                Some(a) => {
                    let r = authentication(v, &format!("{p}.authentication"), a);
                    ok &= r.is_some();
                    r
                }
            };
            ok.then(|| {
                model::ControlSocket::Http(model::HttpControl {
                    addr: std::net::SocketAddr::new(ip, port),
                    tls,
                    auth,
                })
            })
        }
        other => {
            v.err(
                format!("{p}.socket-type"),
                format!("unknown control socket type `{other}`: expected \"unix\", \"http\" or \"https\""),
            );
            None
        }
    }
}

fn authentication(v: &mut V, p: &str, a: &file::Authentication) -> Option<model::BasicAuth> {
    let mut ok = true;
    if a.kind != "basic" {
        v.err(
            format!("{p}.type"),
            format!(
                "unknown authentication type `{}`: expected \"basic\"",
                a.kind
            ),
        );
        ok = false;
    }
    let dir = PathBuf::from(a.directory.clone().unwrap_or_default());
    let in_dir = |f: &str| dir.join(f);
    let mut clients = Vec::new();
    for (i, c) in a.clients.iter().flatten().enumerate() {
        let cp = format!("{p}.clients[{i}]");
        if let Some(u) = &c.user {
            if u.contains(':') {
                v.err(
                    format!("{cp}.user"),
                    "user name contains `:`: expected none",
                );
                ok = false;
            }
        }
        if c.user.is_some() && c.user_file.is_some() {
            v.err(
                format!("{cp}.user-file"),
                "`user` and `user-file` are both set: expected only one",
            );
            ok = false;
            continue;
        }
        if c.password.is_some() && c.password_file.is_some() {
            v.err(
                format!("{cp}.password-file"),
                "`password` and `password-file` are both set: expected only one",
            );
            ok = false;
            continue;
        }
        let user = match (&c.user, &c.user_file) {
            (Some(u), _) => Some(model::Secret::Inline(u.clone())),
            (None, Some(f)) => Some(model::Secret::File(in_dir(f))),
            (None, None) => None,
        };
        let password = match (&c.password, &c.password_file) {
            (Some(pw), _) => Some(model::Secret::Inline(pw.clone())),
            (None, Some(f)) => Some(model::Secret::File(in_dir(f))),
            (None, None) => None,
        };
        match (user, password) {
            (Some(user), Some(password)) => {
                clients.push(model::AuthClient::Split { user, password })
            }
            (Some(user), None) => clients.push(model::AuthClient::Split {
                user,
                password: model::Secret::Inline(String::new()),
            }),
            (None, Some(_)) if c.password_file.is_some() => {
                clients.push(model::AuthClient::CombinedFile(in_dir(
                    c.password_file.as_deref().unwrap_or_default(),
                )));
            }
            _ => {
                v.err(
                    cp,
                    "no user: expected `user` or `user-file` (or a `password-file` holding `user:password`)",
                );
                ok = false;
            }
        }
    }
    ok.then(|| model::BasicAuth {
        realm: a.realm.clone().unwrap_or_default(),
        clients,
    })
}

fn lease_database(
    v: &mut V,
    sec: &Section,
    ld: Option<&file::LeaseDatabase>,
) -> model::LeaseDatabase {
    let p = sec.name;
    let default = model::LeaseDatabase {
        kind: model::LeaseDbKind::Memfile,
        name: PathBuf::from(sec.lease_file),
        persist: true,
        lfc_interval: DEFAULT_LFC_INTERVAL,
    };
    let Some(ld) = ld else { return default };
    let kind = match ld.kind.as_str() {
        "memfile" => {
            let sql_only = [
                ("host", ld.host.is_some()),
                ("port", ld.port.is_some()),
                ("user", ld.user.is_some()),
                ("password", ld.password.is_some()),
                ("connect-timeout", ld.connect_timeout.is_some()),
                ("max-reconnect-tries", ld.max_reconnect_tries.is_some()),
                ("reconnect-wait-time", ld.reconnect_wait_time.is_some()),
                ("on-fail", ld.on_fail.is_some()),
                ("retry-on-startup", ld.retry_on_startup.is_some()),
                ("trust-anchor", ld.trust_anchor.is_some()),
                ("cert-file", ld.cert_file.is_some()),
                ("key-file", ld.key_file.is_some()),
            ];
            for (key, set) in sql_only {
                if set {
                    v.err(
                        format!("{p}.lease-database.{key}"),
                        format!("`{key}` is for \"postgresql\" and \"mysql\", not \"memfile\""),
                    );
                }
            }
            model::LeaseDbKind::Memfile
        }
        "postgresql" => {
            model::LeaseDbKind::Postgresql(sql_database(v, &format!("{p}.lease-database"), ld))
        }
        "mysql" => model::LeaseDbKind::Mysql(sql_database(v, &format!("{p}.lease-database"), ld)),
        "cql" => {
            v.err(
                format!("{p}.lease-database.type"),
                "not supported yet: lease-database.type \"cql\" (Kea removed it too)",
            );
            model::LeaseDbKind::Memfile
        }
        other => {
            v.err(
                format!("{p}.lease-database.type"),
                format!(
                    "unknown lease database type `{other}`: expected \"memfile\", \"postgresql\" or \"mysql\""
                ),
            );
            model::LeaseDbKind::Memfile
        }
    };
    if let Some(n) = &ld.name {
        if n.is_empty() {
            v.err(
                format!("{p}.lease-database.name"),
                "empty name: expected a path (memfile) or a database name",
            );
        }
    }
    if kind != model::LeaseDbKind::Memfile {
        for (key, set) in [
            ("persist", ld.persist.is_some()),
            ("lfc-interval", ld.lfc_interval.is_some()),
        ] {
            if set {
                v.err(
                    format!("{p}.lease-database.{key}"),
                    format!("`{key}` is for \"memfile\" only"),
                );
            }
        }
        return model::LeaseDatabase {
            kind,
            name: PathBuf::new(),
            persist: true,
            lfc_interval: 0,
        };
    }
    model::LeaseDatabase {
        name: ld.name.as_ref().map_or(default.name, PathBuf::from),
        persist: ld.persist.unwrap_or(true),
        lfc_interval: ld.lfc_interval.unwrap_or(DEFAULT_LFC_INTERVAL),
        ..default
    }
}

/// `hosts-database` / `hosts-databases` (Kea's parameters; SQL only:
/// Kea has no memfile hosts backend), in lookup order.
fn hosts_databases(
    v: &mut V,
    p: &str,
    one: Option<&file::LeaseDatabase>,
    list: Option<&[file::LeaseDatabase]>,
) -> Vec<model::LeaseDbKind> {
    if one.is_some() && list.is_some() {
        v.err(
            format!("{p}.hosts-databases"),
            "`hosts-database` and `hosts-databases` are exclusive: use one of them",
        );
    }
    let mut all: Vec<(String, &file::LeaseDatabase)> = Vec::new();
    if let Some(d) = one {
        all.push((format!("{p}.hosts-database"), d));
    }
    for (i, d) in list.unwrap_or_default().iter().enumerate() {
        all.push((format!("{p}.hosts-databases[{i}]"), d));
    }
    let mut out = Vec::new();
    for (path, d) in all {
        if d.name.as_deref() == Some("") {
            v.err(
                format!("{path}.name"),
                "empty name: expected a database name",
            );
        }
        for (key, set) in [
            ("persist", d.persist.is_some()),
            ("lfc-interval", d.lfc_interval.is_some()),
        ] {
            if set {
                v.err(
                    format!("{path}.{key}"),
                    format!("`{key}` is for a memfile lease database, not a hosts database"),
                );
            }
        }
        match d.kind.as_str() {
            "postgresql" => out.push(model::LeaseDbKind::Postgresql(sql_database(v, &path, d))),
            "mysql" => out.push(model::LeaseDbKind::Mysql(sql_database(v, &path, d))),
            "memfile" => v.err(
                format!("{path}.type"),
                "\"memfile\" is not a hosts backend (as in Kea): reservations in the file go in `reservations`; a hosts database is \"postgresql\" or \"mysql\"",
            ),
            other => v.err(
                format!("{path}.type"),
                format!("unknown hosts database type `{other}`: expected \"postgresql\" or \"mysql\""),
            ),
        }
    }
    out
}

/// The parameters of a `postgresql` or `mysql` lease or hosts database;
/// `p` is the object's path (`Dhcp4.lease-database`).
fn sql_database(v: &mut V, p: &str, ld: &file::LeaseDatabase) -> model::SqlDatabase {
    let name = match &ld.name {
        Some(n) => n.clone(),
        None => {
            v.err(
                p,
                "missing `name`: the database name is required for a SQL database",
            );
            String::new()
        }
    };
    let on_fail = match ld.on_fail.as_deref() {
        None | Some("stop-retry-exit") => model::OnFail::StopRetryExit,
        Some("serve-retry-exit") => model::OnFail::ServeRetryExit,
        Some("serve-retry-continue") => model::OnFail::ServeRetryContinue,
        Some(other) => {
            v.err(
                format!("{p}.on-fail"),
                format!(
                    "unknown on-fail `{other}`: expected \"stop-retry-exit\", \"serve-retry-exit\" or \"serve-retry-continue\""
                ),
            );
            model::OnFail::StopRetryExit
        }
    };
    if ld.host.as_deref() == Some("") {
        v.err(format!("{p}.host"), "empty host name");
    }
    let tls = db_tls(v, p, ld);
    model::SqlDatabase {
        name,
        host: ld.host.clone().unwrap_or_else(|| "localhost".into()),
        port: ld.port,
        user: ld.user.clone(),
        password: ld.password.clone(),
        connect_timeout: ld.connect_timeout.unwrap_or(5),
        max_reconnect_tries: ld.max_reconnect_tries.unwrap_or(0),
        reconnect_wait_time: ld.reconnect_wait_time.unwrap_or(0),
        on_fail,
        retry_on_startup: ld.retry_on_startup.unwrap_or(false),
        tls,
    }
}

/// TLS to a SQL database (Kea's `trust-anchor`, `cert-file`, `key-file`):
/// used when `trust-anchor` is set, and then the server's certificate is
/// verified against it. `cert-file` and `key-file` go together, and only
/// with a `trust-anchor` (a client certificate without verifying the
/// server would give the key to whoever answers). The files are read when
/// the database is opened, as the control socket's are.
fn db_tls(v: &mut V, p: &str, ld: &file::LeaseDatabase) -> Option<model::DbTls> {
    let mut ok = true;
    for (key, val) in [
        ("trust-anchor", &ld.trust_anchor),
        ("cert-file", &ld.cert_file),
        ("key-file", &ld.key_file),
    ] {
        if val.as_deref() == Some("") {
            v.err(
                format!("{p}.{key}"),
                format!("empty `{key}`: expected a path"),
            );
            ok = false;
        }
    }
    let client = match (&ld.cert_file, &ld.key_file) {
        (None, None) => None,
        (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
        (Some(_), None) => {
            v.err(
                format!("{p}.cert-file"),
                "`cert-file` without `key-file`: expected both (the client certificate and its key) or neither",
            );
            ok = false;
            None
        }
        (None, Some(_)) => {
            v.err(
                format!("{p}.key-file"),
                "`key-file` without `cert-file`: expected both (the client certificate and its key) or neither",
            );
            ok = false;
            None
        }
    };
    let Some(ca) = &ld.trust_anchor else {
        if client.is_some() {
            v.err(
                format!("{p}.cert-file"),
                "TLS without `trust-anchor`: expected `trust-anchor` too, the CA that signed the database server's certificate",
            );
        }
        return None;
    };
    ok.then(|| model::DbTls {
        trust_anchor: PathBuf::from(ca),
        client,
    })
}

fn loggers(v: &mut V, sec: &Section, list: Option<&[file::Logger]>) -> Vec<model::Logger> {
    let Some(list) = list else {
        return vec![model::Logger {
            name: sec.logger.to_string(),
            outputs: vec![model::LogOutput::Stdout],
            severity: model::Severity::Info,
            debuglevel: 0,
        }];
    };
    let mut out = Vec::new();
    for (i, l) in list.iter().enumerate() {
        let p = format!("{}.loggers[{i}]", sec.name);
        if l.name.is_empty() {
            v.err(
                format!("{p}.name"),
                format!("empty logger name: expected e.g. \"{}\"", sec.logger),
            );
        }
        let mut outputs = Vec::new();
        for (j, o) in l.output_options.iter().flatten().enumerate() {
            let op = format!("{p}.output_options[{j}].output");
            match o.output.as_str() {
                "stdout" => outputs.push(model::LogOutput::Stdout),
                "stderr" => outputs.push(model::LogOutput::Stderr),
                s if s == "syslog" || s.starts_with("syslog:") => {
                    v.err(
                        op,
                        format!("not supported yet: {p}.output_options[{j}].output \"syslog\""),
                    );
                }
                "" => v.err(
                    op,
                    "empty output: expected \"stdout\", \"stderr\" or a file name",
                ),
                s => outputs.push(model::LogOutput::File(PathBuf::from(s))),
            }
        }
        if outputs.is_empty() && l.output_options.as_deref().unwrap_or_default().is_empty() {
            outputs.push(model::LogOutput::Stdout);
        }
        let debuglevel = l.debuglevel.unwrap_or(0);
        if debuglevel > 99 {
            v.err(
                format!("{p}.debuglevel"),
                format!("{debuglevel} is out of range: expected 0..=99"),
            );
        }
        out.push(model::Logger {
            name: l.name.clone(),
            outputs,
            severity: match l.severity.unwrap_or(file::Severity::Info) {
                file::Severity::Debug => model::Severity::Debug,
                file::Severity::Info => model::Severity::Info,
                file::Severity::Warn => model::Severity::Warn,
                file::Severity::Error => model::Severity::Error,
                file::Severity::Fatal => model::Severity::Fatal,
                file::Severity::None => model::Severity::None,
            },
            debuglevel: debuglevel.min(99) as u8,
        });
    }
    out
}

/// The timer settings of one scope, resolved.
struct Timers {
    valid: u32,
    renew: Option<u32>,
    rebind: Option<u32>,
    calculate_tee_times: bool,
    t1_percent: f64,
    t2_percent: f64,
}

/// T1 < T2 < valid-lifetime, where given; t1-percent < t2-percent when
/// calculated. `inherited` lists the keys whose value came from the
/// section `root` (for subnets), so the reader knows where to look.
fn check_timers(v: &mut V, scope: &str, root: &str, t: &Timers, inherited: &[&str]) {
    let from = |key: &str| {
        if inherited.contains(&key) {
            format!(", from {root}")
        } else {
            String::new()
        }
    };
    if t.t1_percent >= t.t2_percent && t.calculate_tee_times {
        v.err(
            format!("{scope}.t1-percent"),
            format!(
                "t1-percent ({}{}) must be less than t2-percent ({}{})",
                t.t1_percent,
                from("t1-percent"),
                t.t2_percent,
                from("t2-percent")
            ),
        );
    }
    let valid = t.valid;
    match (t.renew, t.rebind) {
        (Some(t1), Some(t2)) if t1 >= t2 => v.err(
            format!("{scope}.renew-timer"),
            format!(
                "renew-timer ({t1}{}) must be less than rebind-timer ({t2}{})",
                from("renew-timer"),
                from("rebind-timer")
            ),
        ),
        (_, Some(t2)) if t2 >= valid => v.err(
            format!("{scope}.rebind-timer"),
            format!(
                "rebind-timer ({t2}{}) must be less than valid-lifetime ({valid}{})",
                from("rebind-timer"),
                from("valid-lifetime")
            ),
        ),
        (Some(t1), None) if t1 >= valid => v.err(
            format!("{scope}.renew-timer"),
            format!(
                "renew-timer ({t1}{}) must be less than valid-lifetime ({valid}{})",
                from("renew-timer"),
                from("valid-lifetime")
            ),
        ),
        _ => {}
    }
}

/// A subnet's timer check: only when the subnet itself sets something
/// involved (`local`: key, set here); otherwise the section check already
/// covered it.
fn check_subnet_timers(v: &mut V, p: &str, root: &str, t: &Timers, local: &[(&str, bool)]) {
    if local.iter().any(|(_, set)| *set) {
        let inherited: Vec<&str> = local
            .iter()
            .filter(|(_, set)| !set)
            .map(|(k, _)| *k)
            .collect();
        check_timers(v, p, root, t, &inherited);
    }
}

/// Subnet ids and prefixes of one `subnet4`/`subnet6` list: Kea's
/// automatic numbering, unique ids, disjoint prefixes.
struct SubnetList<A: Family> {
    /// `Dhcp4.subnet4` or `Dhcp6.subnet6`.
    path: &'static str,
    /// Kea numbers subnets without an id after the highest explicit id.
    next_id: u32,
    ids: HashMap<u32, usize>,
    /// Every entry's prefix, or why it is not one.
    nets: Vec<Result<A::Net, String>>,
    /// For every entry, the earlier entries its prefix overlaps (found all
    /// at once, by sorting: comparing each subnet with every earlier one
    /// took minutes for 100,000 subnets).
    overlaps: Vec<Vec<usize>>,
}

impl<A: Family> SubnetList<A> {
    /// `list`: the `id` and `subnet` of every entry.
    fn new<'a>(path: &'static str, list: impl Iterator<Item = (Option<u32>, &'a str)>) -> Self {
        let mut next_id = 0;
        let mut nets = Vec::new();
        for (id, subnet) in list {
            next_id = next_id.max(id.unwrap_or(0));
            nets.push(parse_prefix::<A>(subnet));
        }
        let ranges: Vec<Option<overlap::Range>> =
            nets.iter().map(|n| n.as_ref().ok().map(A::range)).collect();
        SubnetList {
            path,
            next_id,
            ids: HashMap::new(),
            overlaps: overlap::earlier_overlaps(&ranges),
            nets,
        }
    }

    /// The id of entry `i` (0 after an error).
    fn id(&mut self, v: &mut V, i: usize, id: Option<u32>) -> u32 {
        let p = format!("{}[{i}]", self.path);
        let id = match id {
            Some(0) => {
                v.err(format!("{p}.id"), "subnet id 0 is reserved: expected an integer > 0 (or no `id` to number it automatically)");
                0
            }
            Some(id) => id,
            None => {
                self.next_id = self.next_id.saturating_add(1);
                self.next_id
            }
        };
        if id != 0 {
            if let Some(first) = self.ids.insert(id, i) {
                v.err(
                    format!("{p}.id"),
                    format!(
                        "duplicate subnet id {id} (also used by {}[{first}]): expected unique ids",
                        self.path
                    ),
                );
            }
        }
        id
    }

    /// The prefix of entry `i`, checked against the earlier ones.
    fn prefix(&self, v: &mut V, i: usize) -> Option<A::Net> {
        let path = format!("{}[{i}].subnet", self.path);
        let net = match self.nets.get(i)? {
            Ok(net) => *net,
            Err(e) => {
                v.err(&path, e.clone());
                return None;
            }
        };
        for &j in self.overlaps.get(i).into_iter().flatten() {
            let Some(Ok(other)) = self.nets.get(j) else {
                continue;
            };
            let how = if *other == net {
                "is the same as"
            } else {
                "overlaps"
            };
            v.err(
                &path,
                format!(
                    "{net} {how} {other} of {}[{j}]: expected disjoint subnets",
                    self.path
                ),
            );
        }
        Some(net)
    }
}

fn subnets(v: &mut V, list: &[file::Subnet4], g: &Globals) -> Vec<model::Subnet4> {
    let mut all = SubnetList::<Ipv4Addr>::new(
        "Dhcp4.subnet4",
        list.iter().map(|s| (s.id, s.subnet.as_str())),
    );
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let p = format!("Dhcp4.subnet4[{i}]");
        let id = all.id(v, i, s.id);
        let Some(net) = all.prefix(v, i) else {
            continue;
        };
        out.push(subnet(v, &p, s, id, net, g));
    }
    out
}

/// A subnet prefix with no host bits set.
fn prefix<A: Family>(v: &mut V, path: &str, s: &str) -> Option<A::Net> {
    parse_prefix::<A>(s).map_err(|e| v.err(path, e)).ok()
}

/// A subnet prefix with no host bits set, or what is wrong with `s`.
fn parse_prefix<A: Family>(s: &str) -> Result<A::Net, String> {
    match s.trim().parse::<A::Net>() {
        Ok(net) if A::addr(&net) != A::first(&net) => Err(format!(
            "`{s}` has host bits set: expected the network address, {}/{}",
            A::first(&net),
            A::prefix_len(&net)
        )),
        Ok(net) => Ok(net),
        Err(_) => Err(format!(
            "`{s}` is not a subnet: expected a prefix like \"{}\"",
            A::PREFIX_EXAMPLE
        )),
    }
}

/// `relay`: `ip-addresses`, or the older single `ip-address`.
fn relay_addresses<A: Family>(v: &mut V, p: &str, relay: Option<&file::Relay>) -> Vec<A> {
    let Some(rel) = relay else {
        return Vec::new();
    };
    if rel.ip_address.is_some() && rel.ip_addresses.is_some() {
        v.err(
            format!("{p}.relay.ip-address"),
            "both `ip-address` and `ip-addresses` given: expected only `ip-addresses`",
        );
    }
    let mut out = Vec::new();
    if let Some(a) = &rel.ip_address {
        out.extend(v.addr::<A>(&format!("{p}.relay.ip-address"), a));
    }
    for (i, a) in rel.ip_addresses.iter().flatten().enumerate() {
        out.extend(v.addr::<A>(&format!("{p}.relay.ip-addresses[{i}]"), a));
    }
    out
}

/// A subnet's `interface`, if set, must name something.
fn subnet_interface(v: &mut V, p: &str, ifname: Option<&String>) {
    if let Some(ifname) = ifname {
        if ifname.trim().is_empty() {
            v.err(
                format!("{p}.interface"),
                "empty interface name: expected e.g. \"eth0\"",
            );
        }
    }
}

fn subnet(
    v: &mut V,
    p: &str,
    s: &file::Subnet4,
    id: u32,
    net: Ipv4Net,
    g: &Globals,
) -> model::Subnet4 {
    let lifetime = v
        .lifetime(
            p,
            "valid-lifetime",
            s.valid_lifetime,
            s.min_valid_lifetime,
            s.max_valid_lifetime,
        )
        .unwrap_or(g.lifetime);
    let t1_percent = s
        .t1_percent
        .map_or(g.t1_percent, |x| v.percent(&format!("{p}.t1-percent"), x));
    let t2_percent = s
        .t2_percent
        .map_or(g.t2_percent, |x| v.percent(&format!("{p}.t2-percent"), x));
    let next_server = match &s.next_server {
        Some(ns) => v
            .ipv4(&format!("{p}.next-server"), ns)
            .unwrap_or(g.next_server),
        None => g.next_server,
    };
    if let Some(x) = &s.server_hostname {
        v.sname_file(&format!("{p}.server-hostname"), x, 63);
    }
    if let Some(x) = &s.boot_file_name {
        v.sname_file(&format!("{p}.boot-file-name"), x, 127);
    }
    let r = Globals {
        lifetime,
        renew_timer: s.renew_timer.or(g.renew_timer),
        rebind_timer: s.rebind_timer.or(g.rebind_timer),
        calculate_tee_times: s.calculate_tee_times.unwrap_or(g.calculate_tee_times),
        t1_percent,
        t2_percent,
        authoritative: s.authoritative.unwrap_or(g.authoritative),
        match_client_id: s.match_client_id.unwrap_or(g.match_client_id),
        next_server,
        server_hostname: s
            .server_hostname
            .clone()
            .unwrap_or_else(|| g.server_hostname.clone()),
        boot_file_name: s
            .boot_file_name
            .clone()
            .unwrap_or_else(|| g.boot_file_name.clone()),
    };
    let own_lifetime = s.valid_lifetime.is_some()
        || s.min_valid_lifetime.is_some()
        || s.max_valid_lifetime.is_some();
    check_subnet_timers(
        v,
        p,
        "Dhcp4",
        &r.timers(),
        &[
            ("renew-timer", s.renew_timer.is_some()),
            ("rebind-timer", s.rebind_timer.is_some()),
            ("valid-lifetime", own_lifetime),
            ("t1-percent", s.t1_percent.is_some()),
            ("t2-percent", s.t2_percent.is_some()),
            ("calculate-tee-times", s.calculate_tee_times.is_some()),
        ],
    );
    let relay_addresses = relay_addresses::<Ipv4Addr>(v, p, s.relay.as_ref());
    subnet_interface(v, p, s.interface.as_ref());

    let pools = pools(v, p, s.pools.as_deref().unwrap_or_default(), net);
    let options = v.options(&format!("{p}.option-data"), &s.option_data);
    let reservations = reservations(v, p, s.reservations.as_deref().unwrap_or_default(), net);

    model::Subnet4 {
        id,
        addr: net.addr(),
        prefix_len: net.prefix_len(),
        pools,
        options,
        reservations,
        relay_addresses,
        interface: s.interface.clone(),
        valid_lifetime: r.lifetime,
        renew_timer: r.renew_timer,
        rebind_timer: r.rebind_timer,
        calculate_tee_times: r.calculate_tee_times,
        t1_percent: r.t1_percent,
        t2_percent: r.t2_percent,
        authoritative: r.authoritative,
        match_client_id: r.match_client_id,
        next_server: r.next_server,
        server_hostname: r.server_hostname,
        boot_file_name: r.boot_file_name,
    }
}

fn pools(v: &mut V, sp: &str, list: &[file::Pool], net: Ipv4Net) -> Vec<model::Pool4> {
    pool_ranges::<Ipv4Addr>(v, sp, list, &net)
        .into_iter()
        .map(|(start, end, i)| model::Pool4 {
            start,
            end,
            options: v.options(
                &format!("{sp}.pools[{i}].option-data"),
                &list[i].option_data,
            ),
        })
        .collect()
}

/// The address ranges of a `pools` list, checked: well-formed, inside the
/// subnet `net`, disjoint. Each with its index in `list`.
fn pool_ranges<A: Family>(
    v: &mut V,
    sp: &str,
    list: &[file::Pool],
    net: &A::Net,
) -> Vec<(A, A, usize)> {
    let parsed: Vec<Result<(A, A), String>> = list
        .iter()
        .map(|pool| parse_pool::<A>(&pool.pool))
        .collect();
    let mut added = overlap::Disjoint::new(
        parsed
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(start, _)| A::bits(*start))),
    );
    let mut out: Vec<(A, A, usize)> = Vec::new();
    for (i, range) in parsed.into_iter().enumerate() {
        let p = format!("{sp}.pools[{i}].pool");
        let (start, end) = match range {
            Ok(r) => r,
            Err(e) => {
                v.err(&p, e);
                continue;
            }
        };
        if !A::contains(net, &start) || !A::contains(net, &end) {
            v.err(
                &p,
                format!(
                    "pool {start} - {end} is not inside subnet {net}: expected addresses in {} - {}",
                    A::first(net),
                    A::last(net)
                ),
            );
            continue;
        }
        let bits = (A::bits(start), A::bits(end));
        if let Some(j) = added.first_overlap(bits) {
            v.err(
                &p,
                format!("pool {start} - {end} overlaps {sp}.pools[{j}]: expected disjoint pools"),
            );
            continue;
        }
        added.insert(bits, i);
        out.push((start, end, i));
    }
    out
}

/// `"A - B"` or a prefix `"A/len"`, or what is wrong with `s`.
fn parse_pool<A: Family>(s: &str) -> Result<(A, A), String> {
    let bad = || format!("`{s}` is not a pool: expected {}", A::POOL_EXAMPLE);
    if s.contains('/') {
        return match s.trim().parse::<A::Net>() {
            Ok(n) => Ok((A::first(&n), A::last(&n))),
            Err(_) => Err(bad()),
        };
    }
    let Some((a, b)) = s.split_once('-') else {
        return Err(bad());
    };
    let (Ok(start), Ok(end)) = (a.trim().parse::<A>(), b.trim().parse::<A>()) else {
        return Err(bad());
    };
    if start > end {
        return Err(format!(
            "pool start {start} is after its end {end}: expected first - last"
        ));
    }
    Ok((start, end))
}

fn reservations(
    v: &mut V,
    sp: &str,
    list: &[file::Reservation],
    net: Ipv4Net,
) -> model::Reservations4 {
    let mut hosts = Vec::new();
    let mut ids: HashMap<HostId, usize> = HashMap::new();
    let mut addrs: HashMap<Ipv4Addr, usize> = HashMap::new();
    for (i, r) in list.iter().enumerate() {
        let p = format!("{sp}.reservations[{i}]");
        let given: Vec<(&str, &String)> = [
            ("hw-address", &r.hw_address),
            ("client-id", &r.client_id),
            ("circuit-id", &r.circuit_id),
            ("duid", &r.duid),
            ("flex-id", &r.flex_id),
        ]
        .into_iter()
        .filter_map(|(k, x)| x.as_ref().map(|x| (k, x)))
        .collect();
        let id = match given.as_slice() {
            [] => {
                v.err(&p, "no identifier: expected exactly one of `hw-address`, `client-id`, `circuit-id`, `flex-id` (`duid` not supported yet)");
                None
            }
            [(k, val)] => host_id(v, &format!("{p}.{k}"), k, val),
            [_, (k, _), ..] => {
                v.err(
                    format!("{p}.{k}"),
                    format!(
                        "more than one identifier ({}): expected exactly one",
                        given.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    ),
                );
                None
            }
        };
        let ip = r.ip_address.as_deref().and_then(|a| {
            let ap = format!("{p}.ip-address");
            let addr = v.ipv4(&ap, a)?;
            if addr.is_unspecified() {
                return None;
            }
            if !net.contains(&addr) {
                v.err(&ap, format!("{addr} is not inside subnet {net}: expected an address of the subnet"));
                return None;
            }
            if let Some(first) = addrs.insert(addr, i) {
                v.err(&ap, format!("{addr} is already reserved by {sp}.reservations[{first}]: expected unique addresses"));
            }
            Some(addr)
        });
        let next_server = r
            .next_server
            .as_deref()
            .and_then(|a| v.ipv4(&format!("{p}.next-server"), a));
        if let Some(x) = &r.server_hostname {
            v.sname_file(&format!("{p}.server-hostname"), x, 63);
        }
        if let Some(x) = &r.boot_file_name {
            v.sname_file(&format!("{p}.boot-file-name"), x, 127);
        }
        let options = v.options(&format!("{p}.option-data"), &r.option_data);
        let Some(id) = id else { continue };
        if let Some(first) = ids.insert(id.clone(), i) {
            let k = given.first().map_or("", |(k, _)| *k);
            v.err(
                format!("{p}.{k}"),
                format!("this {k} is already reserved by {sp}.reservations[{first}]: expected one reservation per client"),
            );
        }
        hosts.push(model::Reservation4 {
            id,
            ip_address: ip,
            hostname: r.hostname.clone(),
            options,
            next_server,
            server_hostname: r.server_hostname.clone(),
            boot_file_name: r.boot_file_name.clone(),
        });
    }
    model::Reservations4::new(hosts)
}

fn host_id(v: &mut V, path: &str, kind: &str, s: &str) -> Option<HostId> {
    match parse_host_id(kind, s) {
        Ok(id) => Some(id),
        Err(None) => {
            v.unsupported(path.to_string());
            None
        }
        Err(Some(msg)) => {
            v.err(path, msg);
            None
        }
    }
}

/// Parses a reservation identifier of Kea type `kind` (`hw-address`,
/// `client-id`, `circuit-id`). `Err(None)`: a Kea type ruru does not
/// support yet; `Err(Some(msg))`: a bad value, with what was expected.
pub fn parse_host_id(kind: &str, s: &str) -> Result<HostId, Option<String>> {
    match kind {
        "hw-address" => parse_hw_address(s).map(HostId::HwAddress).ok_or_else(|| {
            Some(format!("`{s}` is not a hardware address: expected e.g. \"aa:bb:cc:dd:ee:ff\""))
        }),
        "client-id" => match options::decode_hex(s) {
            Ok(b) if (2..=255).contains(&b.len()) => Ok(HostId::ClientId(b)),
            _ => Err(Some(format!("`{s}` is not a client identifier: expected 2 to 255 bytes of hex, e.g. \"01:aa:bb:cc:dd:ee:ff\""))),
        },
        "circuit-id" => match hex_or_text(s) {
            Some(b) => Ok(HostId::CircuitId(b)),
            None => Err(Some(format!("`{s}` is not a circuit id: expected hex (\"0a:0b\") or quoted text (\"'port-1'\")"))),
        },
        "flex-id" => match hex_or_text(s) {
            Some(b) => Ok(HostId::Flex(b)),
            None => Err(Some(format!("`{s}` is not a flex-id: expected 1 to 255 bytes as hex (\"0a:0b\") or quoted text (\"'port-1'\")"))),
        },
        _ => Err(None),
    }
}

/// Kea's identifier text: quoted text (`'port-1'`) or hex; 1..=255 bytes.
pub fn hex_or_text(s: &str) -> Option<Vec<u8>> {
    let bytes = match s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
        Some(text) => Ok(text.as_bytes().to_vec()),
        None => options::decode_hex(s),
    };
    bytes.ok().filter(|b| (1..=255).contains(&b.len()))
}

/// `"aa:bb:cc:dd:ee:ff"`, `"aa-bb-cc-dd-ee-ff"` or `"aabbccddeeff"`; 1..=20 bytes.
pub fn parse_hw_address(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let bytes: Vec<u8> = if s.contains(':') || s.contains('-') {
        s.split([':', '-'])
            .map(|g| {
                if g.is_empty() || g.len() > 2 || !g.bytes().all(|c| c.is_ascii_hexdigit()) {
                    None
                } else {
                    u8::from_str_radix(g, 16).ok()
                }
            })
            .collect::<Option<_>>()?
    } else {
        if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect::<Option<_>>()?
    };
    (1..=20).contains(&bytes.len()).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every diagnostic of `text` as `path: message`, in order.
    fn problems(text: &str) -> Vec<String> {
        match crate::load_str(text, Path::new("t.json")) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect(),
        }
    }

    /// A `Dhcp4` config with these subnets (`(subnet, pools)`).
    fn config4(subnets: &[(&str, &[&str])]) -> String {
        let list: Vec<String> = subnets
            .iter()
            .enumerate()
            .map(|(i, (net, pools))| {
                let pools: Vec<String> = pools
                    .iter()
                    .map(|p| format!("{{\"pool\": \"{p}\"}}"))
                    .collect();
                format!(
                    "{{\"id\": {}, \"subnet\": \"{net}\", \"pools\": [{}]}}",
                    i + 1,
                    pools.join(", ")
                )
            })
            .collect();
        format!("{{\"Dhcp4\": {{\"subnet4\": [{}]}}}}", list.join(",\n"))
    }

    #[test]
    fn every_earlier_overlapping_subnet_is_named_in_order() {
        let p = problems(&config4(&[
            ("10.1.0.0/16", &[]),
            ("10.2.0.0/16", &[]),
            ("10.0.0.0/8", &[]),
            ("10.1.2.0/24", &[]),
            ("10.1.0.0/16", &["10.1.0.1 - 10.1.0.2"]),
            ("bad", &[]),
            ("11.0.0.0/8", &[]),
        ]));
        assert_eq!(
            p,
            [
                "Dhcp4.subnet4[2].subnet: 10.0.0.0/8 overlaps 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[2].subnet: 10.0.0.0/8 overlaps 10.2.0.0/16 of Dhcp4.subnet4[1]: expected disjoint subnets",
                "Dhcp4.subnet4[3].subnet: 10.1.2.0/24 overlaps 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[3].subnet: 10.1.2.0/24 overlaps 10.0.0.0/8 of Dhcp4.subnet4[2]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 is the same as 10.1.0.0/16 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 overlaps 10.0.0.0/8 of Dhcp4.subnet4[2]: expected disjoint subnets",
                "Dhcp4.subnet4[4].subnet: 10.1.0.0/16 overlaps 10.1.2.0/24 of Dhcp4.subnet4[3]: expected disjoint subnets",
                "Dhcp4.subnet4[5].subnet: `bad` is not a subnet: expected a prefix like \"192.0.2.0/24\"",
            ]
        );
    }

    #[test]
    fn an_overlapping_pool_names_the_first_pool_it_overlaps() {
        let p = problems(&config4(&[(
            "10.0.0.0/24",
            &[
                "10.0.0.100 - 10.0.0.109",
                "10.0.0.10 - 10.0.0.19",
                "10.0.0.200 - 10.0.0.209",
                // Covers pools 1, 0 and 2: named after pool 0.
                "10.0.0.0 - 10.0.0.255",
                // Reaches into pool 1 from before, and covers pool 0.
                "10.0.0.5 - 10.0.0.150",
                "10.0.0.20 - 10.0.0.99",
                // Overlaps pool 5 only (pool 3, 4 were refused).
                "10.0.0.50/28",
                "10.0.0.110 - 10.0.0.199",
                "10.0.0.199 - 10.0.0.200",
            ],
        )]));
        assert_eq!(
            p,
            [
                "Dhcp4.subnet4[0].pools[3].pool: pool 10.0.0.0 - 10.0.0.255 overlaps Dhcp4.subnet4[0].pools[0]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[4].pool: pool 10.0.0.5 - 10.0.0.150 overlaps Dhcp4.subnet4[0].pools[0]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[6].pool: pool 10.0.0.48 - 10.0.0.63 overlaps Dhcp4.subnet4[0].pools[5]: expected disjoint pools",
                "Dhcp4.subnet4[0].pools[8].pool: pool 10.0.0.199 - 10.0.0.200 overlaps Dhcp4.subnet4[0].pools[2]: expected disjoint pools",
            ]
        );
    }

    #[test]
    fn repeated_identifier_types_and_control_sockets() {
        let p = problems(
            r#"{"Dhcp4": {
                "host-reservation-identifiers": ["duid", "hw-address", "duid", "duid"],
                "control-sockets": [
                    {"socket-type": "unix", "socket-name": "/run/a"},
                    {"socket-type": "http", "socket-port": 8001},
                    {"socket-type": "unix", "socket-name": "/run/b"},
                    {"socket-type": "unix", "socket-name": "/run/a"},
                    {"socket-type": "http", "socket-address": "127.0.0.1", "socket-port": 8001},
                    {"socket-type": "http", "socket-port": 8002}
                ]
            }}"#,
        );
        assert_eq!(
            p,
            [
                "Dhcp4.control-sockets[3].socket-name: another control socket already uses this: expected each socket once",
                "Dhcp4.control-sockets[4].socket-port: another control socket already uses this: expected each socket once",
                "Dhcp4.host-reservation-identifiers[2]: `duid` is listed twice",
                "Dhcp4.host-reservation-identifiers[3]: `duid` is listed twice",
            ]
        );
    }

    #[test]
    fn a_generated_config_of_20000_subnets_loads() {
        let subnets: Vec<String> = (0..20_000u32)
            .map(|i| {
                let net = Ipv4Addr::from((10 << 24) + (i << 8));
                let o = net.octets();
                let at = |last: u8| format!("{}.{}.{}.{last}", o[0], o[1], o[2]);
                format!(
                    "{{\"id\": {}, \"subnet\": \"{net}/24\", \"pools\": [{{\"pool\": \"{} - {}\"}}], \"reservations\": [{{\"hw-address\": \"02:00:00:00:{:02x}:{:02x}\", \"ip-address\": \"{}\"}}]}}",
                    i + 1,
                    at(10),
                    at(200),
                    o[1],
                    o[2],
                    at(5)
                )
            })
            .collect();
        let text = format!(
            "{{\"Dhcp4\": {{\"subnet4\": [\n{}\n]}}}}",
            subnets.join(",\n")
        );
        let c = crate::load_str(&text, Path::new("big.json")).unwrap();
        let d = c.dhcp4.unwrap();
        assert_eq!(d.subnets.len(), 20_000);
        assert_eq!(d.subnets[19_999].id, 20_000);
        assert_eq!(d.subnets[19_999].pools.len(), 1);
    }

    #[test]
    fn hw_address_forms() {
        let want = vec![0xaa, 0xbb, 0xcc, 0, 0, 1];
        for s in [
            "aa:bb:cc:00:00:01",
            "AA-BB-CC-00-00-01",
            "aabbcc000001",
            "aa:bb:cc:0:0:1",
        ] {
            assert_eq!(parse_hw_address(s), Some(want.clone()), "{s}");
        }
        for s in [
            "",
            "aa::bb",
            "aabbc",
            "zz:00",
            "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee",
        ] {
            assert_eq!(parse_hw_address(s), None, "{s}");
        }
    }
}
