//! The section-level objects both families have, validated once for
//! `Dhcp4` and `Dhcp6`: `interfaces-config`, `hooks-libraries`,
//! `loggers`, `expired-leases-processing` and `multi-threading`; control
//! sockets and the lease database through `control` and `databases`.
//! `v4` and `v6` gather them with [`common`].

use std::path::{Path, PathBuf};

use super::control::control_sockets;
use super::databases::lease_database;
use super::flex;
use super::ha;
use super::ping;
use super::{Section, V};
use crate::{file, model};

/// Kea's default `decline-probation-period`.
pub const DEFAULT_DECLINE_PROBATION: u32 = 86400;

/// The section-level objects both families have, as written.
pub(super) struct CommonIn<'a> {
    pub(super) interfaces_config: Option<file::InterfacesConfig>,
    pub(super) lease_database: Option<&'a file::LeaseDatabase>,
    pub(super) expired_leases_processing: Option<&'a file::ExpiredLeasesProcessing>,
    pub(super) loggers: Option<&'a [file::Logger]>,
    pub(super) multi_threading: Option<&'a file::MultiThreading>,
    pub(super) hooks_libraries: Option<&'a [file::HookLibrary]>,
    pub(super) control_socket: Option<&'a file::ControlSocket>,
    pub(super) control_sockets: Option<&'a [file::ControlSocket]>,
}

/// The section-level objects both families have, validated.
pub(super) struct Common {
    pub(super) interfaces: model::InterfacesConfig,
    pub(super) lease_database: model::LeaseDatabase,
    pub(super) expired_leases: model::ExpiredLeasesProcessing,
    pub(super) loggers: Vec<model::Logger>,
    pub(super) multi_threading: model::MultiThreading,
    pub(super) control_sockets: Vec<model::ControlSocket>,
    pub(super) hooks_libraries: Vec<model::HookLibrary>,
    /// `libdhcp_flex_id.so`'s parameters, compiled.
    pub(super) flex_id: Option<model::FlexId>,
    /// `libdhcp_flex_option.so`'s `options`, compiled.
    pub(super) flex_options: Vec<model::FlexOption>,
    /// `libdhcp_ha.so`'s relationship.
    pub(super) ha: Vec<model::Ha>,
    /// `libdhcp_bootp.so` is listed (DHCPv4 only).
    pub(super) bootp: bool,
    /// `libdhcp_ping_check.so`'s global settings and
    /// `ping-channel-threads` (DHCPv4 only).
    pub(super) ping_check: Option<(model::PingCheck, u32)>,
}

/// `sanity-checks` of section `p`: its `lease-checks` (Kea's default
/// `warn`); `extended-info-checks` other than `none` is not supported yet.
pub(super) fn sanity_checks(
    v: &mut V,
    p: &str,
    s: Option<&file::SanityChecks>,
) -> model::LeaseChecks {
    let Some(s) = s else {
        return model::LeaseChecks::default();
    };
    if let Some(e) = s.extended_info_checks.as_deref() {
        let path = format!("{p}.sanity-checks.extended-info-checks");
        match e {
            "none" => {}
            "fix" | "strict" | "pedantic" => v.err(
                path,
                format!("not supported yet: extended-info-checks \"{e}\" (ruru does not check or convert the extended information of leases as they load); expected \"none\""),
            ),
            other => v.err(
                path,
                format!("unknown extended-info-checks `{other}`: expected \"none\", \"fix\", \"strict\" or \"pedantic\""),
            ),
        }
    }
    match s.lease_checks.as_deref() {
        None | Some("warn") => model::LeaseChecks::Warn,
        Some("none") => model::LeaseChecks::None,
        Some("fix") => model::LeaseChecks::Fix,
        Some("fix-del") => model::LeaseChecks::FixDel,
        Some("del") => model::LeaseChecks::Del,
        Some(other) => {
            v.err(
                format!("{p}.sanity-checks.lease-checks"),
                format!("unknown lease-checks `{other}`: expected \"none\", \"warn\", \"fix\", \"fix-del\" or \"del\""),
            );
            model::LeaseChecks::Warn
        }
    }
}

/// `dhcp-queue-control` of section `p` (see [`model::QueueCapacity`]):
/// the ring's capacity when it queues. As in Kea, `queue-type` is required
/// with `enable-queue` true; ruru has Kea's own ring only (the other types
/// come from hook libraries), and a section with multi-threading enabled
/// does not queue.
pub(super) fn queue_control(
    v: &mut V,
    p: &str,
    q: Option<&file::DhcpQueueControl>,
    mt: &model::MultiThreading,
) -> model::QueueCapacity {
    let q = q?;
    let ring = if p == "Dhcp4" {
        "kea-ring4"
    } else {
        "kea-ring6"
    };
    let path = |k: &str| format!("{p}.dhcp-queue-control.{k}");
    if q.capacity == Some(0) {
        v.err(path("capacity"), "capacity 0: expected at least 1 packet");
    }
    if !q.enable_queue.unwrap_or(false) {
        return None;
    }
    match q.queue_type.as_deref() {
        None => {
            v.err(
                format!("{p}.dhcp-queue-control"),
                format!("when the queue is enabled, `queue-type` is required (as in Kea): expected \"{ring}\""),
            );
            return None;
        }
        Some(t) if t == ring => {}
        Some(t) => {
            v.err(
                path("queue-type"),
                format!("not supported yet: queue-type \"{t}\" (queue types of hook libraries); expected \"{ring}\""),
            );
            return None;
        }
    }
    if mt.configured && mt.enabled {
        return None;
    }
    Some(usize::try_from(q.capacity.unwrap_or(64)).unwrap_or(usize::MAX))
}

/// Validates what `Dhcp4` and `Dhcp6` share.
pub(super) fn common(v: &mut V, sec: &Section, c: CommonIn<'_>) -> Common {
    let p = sec.name;
    let family = if p == "Dhcp4" {
        ruru_classify::Family::V4
    } else {
        ruru_classify::Family::V6
    };
    let mut hooks_libraries = Vec::new();
    let mut flex_id = None;
    let mut flex_options = Vec::new();
    // The index of the flex-id and flex-option entries seen, to refuse a
    // second one.
    let mut seen: [Option<usize>; 5] = [None; 5];
    let mut bootp = false;
    let mut ha_config = Vec::new();
    let mut ping_check = None;
    for (i, h) in c.hooks_libraries.unwrap_or_default().iter().enumerate() {
        let hp = format!("{p}.hooks-libraries[{i}]");
        let Some(lib) = hook_library(v, &hp, h) else {
            continue;
        };
        let name = lib.path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let slot = match name {
            flex::FLEX_ID => Some(0),
            flex::FLEX_OPTION => Some(1),
            ha::HA => Some(2),
            BOOTP => Some(3),
            ping::PING_CHECK if family == ruru_classify::Family::V4 => Some(4),
            ping::PING_CHECK => {
                v.err(
                    format!("{hp}.library"),
                    format!("{name} is a DHCPv4 library (Kea's kea-dhcp6 refuses to load it): expected it in Dhcp4.hooks-libraries"),
                );
                continue;
            }
            _ => None,
        };
        if let Some(slot) = slot {
            if let Some(first) = seen[slot] {
                v.err(
                    format!("{hp}.library"),
                    format!("{name} is already listed at {p}.hooks-libraries[{first}]: expected it once"),
                );
            } else {
                seen[slot] = Some(i);
                match slot {
                    0 => flex_id = flex::flex_id(v, &hp, family, h.parameters.as_ref()),
                    1 => flex_options = flex::flex_options(v, &hp, family, h.parameters.as_ref()),
                    3 => bootp = bootp_library(v, &hp, family, h.parameters.as_ref()),
                    4 => ping_check = Some(ping::library(v, &hp, h.parameters.as_ref())),
                    _ => ha_config = ha::ha(v, &hp, h.parameters.as_ref()).unwrap_or_default(),
                }
            }
        }
        hooks_libraries.push(lib);
    }
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
                configured: true,
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
        flex_id,
        flex_options,
        ha: ha_config,
        bootp,
        ping_check,
    }
}

/// Kea 2.4+'s `pool-id` of the pool at `p`: 1..=4294967295 (Kea refuses 0
/// and larger numbers); absent is 0, no id.
pub(super) fn pool_id(v: &mut V, p: &str, id: Option<i64>) -> u32 {
    match id.map(u32::try_from) {
        None => 0,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            v.err(
                format!("{p}.pool-id"),
                format!(
                    "pool-id {} is out of range: expected 1 to 4294967295 (leave it out for none)",
                    id.unwrap_or_default()
                ),
            );
            0
        }
    }
}

/// Kea's `libdhcp_bootp.so` (BOOTP clients, RFC 1497), built in.
pub(super) const BOOTP: &str = "libdhcp_bootp.so";

/// Checks a `libdhcp_bootp.so` entry at `p`: DHCPv4 only (there is no
/// BOOTP for IPv6: Kea's `kea-dhcp6` refuses the library too), and no
/// parameters (Kea's library defines none). True when it applies.
fn bootp_library(
    v: &mut V,
    p: &str,
    family: ruru_classify::Family,
    parameters: Option<&serde_json::Value>,
) -> bool {
    if family != ruru_classify::Family::V4 {
        v.err(
            format!("{p}.library"),
            format!("{BOOTP} serves BOOTP clients, which are IPv4 only: expected it in Dhcp4's hooks-libraries"),
        );
        return false;
    }
    match parameters {
        None | Some(serde_json::Value::Null) => true,
        Some(serde_json::Value::Object(o)) if o.is_empty() => true,
        Some(other) => {
            v.err(
                format!("{p}.parameters"),
                format!("{BOOTP} takes no parameters: expected none or {{}}, got {other}"),
            );
            false
        }
    }
}

/// Kea's `dhcp4o6-port`: 0 (Kea's default) is DHCPv4-over-DHCPv6 off.
/// Kea's two servers exchange the clients' DHCPv4 messages over this port
/// and the next; ruru serves both families in one process and opens
/// neither, but keeps Kea's rule that 4o6 is on when both sections name
/// the same port, and refuses 65535 as Kea does when it applies it.
pub(super) fn dhcp4o6_port(v: &mut V, p: &str, port: Option<u16>) -> u16 {
    match port {
        Some(u16::MAX) => {
            v.err(
                format!("{p}.dhcp4o6-port"),
                "65535 is out of range: Kea's DHCPv4 and DHCPv6 servers use this port and the next; expected 1 to 65534, or 0 (off)",
            );
            0
        }
        Some(n) => n,
        None => 0,
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
            use_routing: false,
        };
    };
    let use_routing = match ic.outbound_interface.as_deref() {
        None | Some("same-as-inbound") => false,
        Some("use-routing") => true,
        Some(other) => {
            v.err(
            format!("{p}.interfaces-config.outbound-interface"),
            format!("unknown outbound-interface `{other}`: expected \"same-as-inbound\" or \"use-routing\""),
            );
            false
        }
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
        use_routing,
    }
}

/// Kea's hook libraries whose function ruru has built in: the command
/// libraries, flex-id and flex-option (their parameters are checked and
/// compiled here, see `flex`), High Availability (`ha`), BOOTP
/// (`libdhcp_bootp.so`: BOOTP clients, see [`BOOTP`]), the ping check
/// (`ping`, DHCPv4), and Kea 3.0's SQL backend libraries (`libdhcp_pgsql.so`,
/// `libdhcp_mysql.so`, which a Kea 3.0 configuration lists for a
/// `postgresql` or `mysql` lease or hosts database; ruru's SQL stores are
/// part of the server).
pub const BUILTIN_HOOK_LIBRARIES: &[&str] = &[
    "libdhcp_lease_cmds.so",
    "libdhcp_stat_cmds.so",
    "libdhcp_host_cmds.so",
    "libdhcp_class_cmds.so",
    "libdhcp_subnet_cmds.so",
    "libdhcp_pgsql.so",
    "libdhcp_mysql.so",
    flex::FLEX_ID,
    flex::FLEX_OPTION,
    ha::HA,
    BOOTP,
    ping::PING_CHECK,
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

/// The number of a syslog facility name (RFC 5424's table), case
/// insensitive.
fn syslog_facility(name: &str) -> Option<u8> {
    const NAMES: [&str; 12] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp",
    ];
    let name = name.to_ascii_lowercase();
    if let Some(n) = NAMES.iter().position(|n| *n == name) {
        return u8::try_from(n).ok();
    }
    let local: u8 = name.strip_prefix("local")?.parse().ok()?;
    (local <= 7).then_some(16 + local)
}

pub(super) fn loggers(
    v: &mut V,
    sec: &Section,
    list: Option<&[file::Logger]>,
) -> Vec<model::Logger> {
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
                // Kea's `syslog` (facility local0) or `syslog:FACILITY`.
                s if s == "syslog" || s.starts_with("syslog:") => {
                    let name = s.strip_prefix("syslog:").unwrap_or("local0");
                    match syslog_facility(name) {
                        Some(facility) => outputs.push(model::LogOutput::Syslog { facility }),
                        None => v.err(
                            op,
                            format!("unknown syslog facility `{name}`: expected kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp or local0 to local7"),
                        ),
                    }
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

/// Kea's `allocator` of the object at `p` (Kea 2.4+): `iterative`,
/// `random` or `flq`, else what it inherits.
pub(super) fn allocator(
    v: &mut V,
    p: &str,
    value: Option<&str>,
    inherited: model::Allocator,
) -> model::Allocator {
    allocator_named(v, p, "allocator", value, inherited)
}

/// [`allocator`] for the key `key` (`allocator` or `pd-allocator`).
pub(super) fn allocator_named(
    v: &mut V,
    p: &str,
    key: &str,
    value: Option<&str>,
    inherited: model::Allocator,
) -> model::Allocator {
    match value {
        None => inherited,
        Some("iterative") => model::Allocator::Iterative,
        Some("random") => model::Allocator::Random,
        Some("flq") => model::Allocator::Flq,
        Some("shared-flq") => {
            v.unsupported(format!("{p}.{key}"));
            inherited
        }
        Some(other) => {
            v.err(
                format!("{p}.{key}"),
                format!("`{other}` is not an allocator: expected \"iterative\", \"random\" or \"flq\" (Kea 3.1.9's \"shared-flq\" is not supported yet)"),
            );
            inherited
        }
    }
}
