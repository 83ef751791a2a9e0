//! `GET /metrics`: every statistic in the Prometheus text exposition format.
//!
//! Metric names and labels follow the widely used `kea-exporter`
//! (<https://github.com/mweinelt/kea-exporter>), for DHCPv4 (`kea_dhcp4_*`)
//! and DHCPv6 (`kea_dhcp6_*`), so that Grafana dashboards built for it keep
//! working, with one difference: kea-exporter declares every metric a gauge
//! and names them all `..._total`, which Prometheus reserves for counters.
//! Here a statistic that only grows (until a `statistic-reset`, which
//! Prometheus treats as a counter reset) is a counter and keeps
//! kea-exporter's name; a statistic that goes up and down is a gauge and
//! loses the `_total` suffix (`kea_dhcp4_addresses_assigned_total` →
//! `kea_dhcp4_addresses_assigned`, `kea_dhcp4_addresses_total` →
//! `kea_dhcp4_addresses`).
//!
//! | Kea statistic | metric | type |
//! |---|---|---|
//! | `pkt4-<type>-received` (discover, offer, request, ack, nak, release, decline, inform, unknown) | `kea_dhcp4_packets_received_total{operation="<type>"}` | counter |
//! | `pkt4-parse-failed`, `pkt4-receive-drop` | `kea_dhcp4_packets_received_total{operation="parse-failed"\|"drop"}` | counter |
//! | `pkt4-<type>-sent` (offer, ack, nak) | `kea_dhcp4_packets_sent_total{operation="<type>"}` | counter |
//! | v4 `subnet[ID].total-addresses` | `kea_dhcp4_addresses{subnet,subnet_id,pool}` | gauge |
//! | v4 `subnet[ID].assigned-addresses` | `kea_dhcp4_addresses_assigned{subnet,subnet_id,pool}` | gauge |
//! | v4 `subnet[ID].declined-addresses` | `kea_dhcp4_addresses_declined{subnet,subnet_id,pool}` | gauge |
//! | v4 `subnet[ID].reclaimed-declined-addresses` | `kea_dhcp4_addresses_declined_reclaimed_total{subnet,subnet_id,pool}` | counter |
//! | v4 `subnet[ID].reclaimed-leases` | `kea_dhcp4_addresses_reclaimed_total{subnet,subnet_id,pool}` | counter |
//! | `subnet[ID].v4-reservation-conflicts` | `kea_dhcp4_reservation_conflicts_total{subnet,subnet_id}` | counter |
//! | `subnet[ID].v4-lease-reuses` | `kea_dhcp4_leases_reused_total{subnet,subnet_id}` | counter |
//! | `pkt6-<type>-received` (solicit, request, renew, rebind, release, decline, infrequest, unknown; and ruru's confirm) | `kea_dhcp6_packets_received_total{operation="<type>"}` | counter |
//! | `pkt6-parse-failed`, `pkt6-receive-drop` | `kea_dhcp6_packets_received_total{operation="parse-failed"\|"drop"}` | counter |
//! | `pkt6-<type>-sent` (advertise, reply) | `kea_dhcp6_packets_sent_total{operation="<type>"}` | counter |
//! | v6 `subnet[ID].total-nas` | `kea_dhcp6_na{subnet,subnet_id,pool}` | gauge |
//! | v6 `subnet[ID].assigned-nas` | `kea_dhcp6_na_assigned{subnet,subnet_id,pool}` | gauge |
//! | v6 `subnet[ID].total-pds` | `kea_dhcp6_pd{subnet,subnet_id}` | gauge |
//! | v6 `subnet[ID].assigned-pds` | `kea_dhcp6_pd_assigned{subnet,subnet_id}` | gauge |
//! | v6 `subnet[ID].declined-addresses` | `kea_dhcp6_addresses_declined{subnet,subnet_id,pool}` | gauge |
//! | v6 `subnet[ID].reclaimed-declined-addresses` | `kea_dhcp6_addresses_declined_reclaimed_total{subnet,subnet_id,pool}` | counter |
//! | v6 `subnet[ID].reclaimed-leases` | `kea_dhcp6_addresses_reclaimed_total{subnet,subnet_id,pool}` | counter |
//! | `subnet[ID].v6-ia-na-lease-reuses` | `kea_dhcp6_na_reuses_total{subnet,subnet_id,pool}` | counter |
//! | `subnet[ID].v6-ia-pd-lease-reuses` | `kea_dhcp6_pd_reuses_total{subnet,subnet_id,pool}` | counter |
//!
//! `subnet` is the subnet's prefix (`192.0.2.0/24`), `subnet_id` its id;
//! `pool` is empty for a subnet's own statistic and the pool as Kea's
//! `config-get` shows it (`192.0.2.0/28` when the range is a prefix,
//! `192.0.2.10-192.0.2.20` otherwise) for a pool statistic
//! (`subnet[ID].pool[N].NAME`). As kea-exporter does, statistics of a subnet
//! or pool that is no longer in the configuration are left out.
//!
//! Every other statistic keeps its Kea name, prefixed with `ruru_` and with
//! `-` as `_`, plus `_total` when it is a counter: server-wide ones as
//! `ruru_<name>` (`pkt4-received` → `ruru_pkt4_received_total`,
//! `declined-addresses` → `ruru_declined_addresses`), per-subnet ones as
//! `ruru_dhcp4_subnet_<name>{subnet,subnet_id,pool}` and
//! `ruru_dhcp6_subnet_<name>{subnet,subnet_id}`. Hook statistics are
//! `ruru_hook_calls_total`, `ruru_hook_errors_total` and
//! `ruru_hook_time_seconds_total` (`time-us` in seconds) with the labels
//! `library` (file name) and `hook_point`, and `ruru_hook_parked_packets_total`,
//! `ruru_hook_unparked_packets_total`, `ruru_hook_parked_dropped_total`,
//! `ruru_hook_park_refused_total`.
//!
//! Each metric family has one `# HELP` and one `# TYPE` line, then its
//! samples; no two samples share a name and label set.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

use ruru_config::Config;
use ruru_engine::stats::{Scope, StatFamily};
use ruru_engine::Stat;

use crate::state::Shared;

/// A metric family's Prometheus type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only grows (a `statistic-reset` is a counter reset); named `_total`.
    Counter,
    /// Goes up and down.
    Gauge,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        }
    }
}

/// Renders every statistic of `shared`: each served family's and the hook
/// libraries'.
pub fn render(shared: &Shared) -> String {
    let running = shared.snapshot();
    let families: Vec<FamilyStats> = [
        shared
            .v4
            .as_ref()
            .map(|s| (Some(StatFamily::V4), s.stats.scoped_snapshot())),
        shared
            .v6
            .as_ref()
            .map(|s| (Some(StatFamily::V6), s.stats.scoped_snapshot())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut extra = shared.hook_stats.snapshot();
    extra.extend(shared.d2.snapshot());
    render_with(&running.config, &families, &extra)
}

/// One family's statistics (from [`ruru_engine::Stats::scoped_snapshot`]);
/// `None`: statistics of both families in one set (tests).
type FamilyStats = (Option<StatFamily>, Vec<(Scope, &'static str, i64)>);

/// Renders the statistics of `families`, and the hook and DNS updater
/// statistics `hooks` (`(kea-name, value)`), labelling subnets and pools from `config`. The
/// server-wide statistics both Kea daemons have (`declined-addresses`,
/// `reclaimed-leases`, `reclaimed-declined-addresses`) get a `family`
/// label (`dhcp4`, `dhcp6`) when the families are apart.
fn render_with(config: &Config, families: &[FamilyStats], hooks: &[(String, i64)]) -> String {
    let subnets = Subnets::of(config);
    let mut out = Exposition::default();
    for (family, stats) in families {
        render_family(&mut out, &subnets, *family, stats);
    }
    for (name, value) in hooks {
        if !d2(&mut out, name, *value) {
            hook(&mut out, name, *value);
        }
    }
    out.text()
}

/// A statistic of the built-in DNS updater (Kea D2's names): global ones
/// as `ruru_ddns_<name>_total`, per TSIG key (`key[NAME].update-*`) as
/// `ruru_ddns_key_<name>_total{key="NAME"}`. False when `name` is not
/// one.
fn d2(out: &mut Exposition, name: &str, value: i64) -> bool {
    let help = |n: &str| -> Option<&'static str> {
        Some(match n {
            "ncr-received" => "Name-change requests received by the DNS updater",
            "ncr-invalid" => "Name-change requests the DNS updater could not read",
            "ncr-error" => "Name-change requests the DNS updater could not queue",
            "queue-mgr-queue-full" => {
                "Name-change requests refused because the DNS updater's queue was full"
            }
            "update-sent" => "DNS updates sent",
            "update-signed" => "DNS updates sent signed with TSIG",
            "update-unsigned" => "DNS updates sent unsigned",
            "update-success" => "DNS updates answered (with a verified answer)",
            "update-timeout" => "DNS updates without an answer in time",
            "update-error" => "DNS updates that failed (error answer, bad signature)",
            _ => return None,
        })
    };
    if let Some(rest) = name.strip_prefix("key[") {
        let Some((key, stat)) = rest.split_once("].") else {
            return false;
        };
        let Some(h) = help(stat) else {
            return false;
        };
        let metric = ruru_name("ruru_ddns_key_", stat, Kind::Counter);
        out.add(
            &metric,
            Kind::Counter,
            h,
            &[("key", key)],
            Value::Int(value),
        );
        return true;
    }
    let Some(h) = help(name) else {
        return false;
    };
    let metric = ruru_name("ruru_ddns_", name, Kind::Counter);
    out.add(&metric, Kind::Counter, h, &[], Value::Int(value));
    true
}

fn render_family(
    out: &mut Exposition,
    subnets: &Subnets,
    family: Option<StatFamily>,
    stats: &[(Scope, &'static str, i64)],
) {
    let label = match family {
        Some(StatFamily::V4) => Some("dhcp4"),
        Some(StatFamily::V6) => Some("dhcp6"),
        None => None,
    };
    for &(scope, name, value) in stats {
        match scope {
            Scope::Global => global(out, name, value, label),
            Scope::Subnet4(id) => {
                if let Some((prefix, _)) = subnets.v4.get(&id) {
                    subnet4(out, name, value, prefix, id, "");
                }
            }
            Scope::Pool4(id, idx) => {
                if let Some((prefix, pool)) = subnets
                    .v4
                    .get(&id)
                    .and_then(|(p, pools)| Some((p, pools.get(idx)?)))
                {
                    subnet4(out, name, value, prefix, id, pool);
                }
            }
            Scope::Subnet6(id) => {
                if let Some(prefix) = subnets.v6.get(&id) {
                    subnet6(out, name, value, prefix, id);
                }
            }
        }
    }
}

/// The labels of the configured subnets: id → prefix (and, for DHCPv4, the
/// pools in configuration order, as Kea's `config-get` writes them).
#[derive(Default)]
struct Subnets {
    v4: HashMap<u32, (String, Vec<String>)>,
    v6: HashMap<u32, String>,
}

impl Subnets {
    fn of(config: &Config) -> Self {
        let mut s = Subnets::default();
        for sub in config.dhcp4.iter().flat_map(|d| &d.subnets) {
            let pools = sub
                .pools
                .iter()
                .map(|p| pool4_text(p.start, p.end))
                .collect();
            s.v4.insert(sub.id, (format!("{}/{}", sub.addr, sub.prefix_len), pools));
        }
        for sub in config.dhcp6.iter().flat_map(|d| &d.subnets) {
            s.v6.insert(sub.id, format!("{}/{}", sub.addr, sub.prefix_len));
        }
        s
    }
}

/// A pool as Kea's `config-get` shows it (and kea-exporter labels it):
/// `first/len` when the range is exactly one prefix, `first-last` otherwise.
fn pool4_text(start: Ipv4Addr, end: Ipv4Addr) -> String {
    let (a, b) = (u64::from(u32::from(start)), u64::from(u32::from(end)));
    match b.checked_sub(a).map(|d| d + 1) {
        Some(size) if size.is_power_of_two() && a % size == 0 => {
            format!("{start}/{}", 32 - size.trailing_zeros())
        }
        _ => format!("{start}-{end}"),
    }
}

// ---- where each statistic goes ----

/// `pkt<4|6>-<type>-received|sent` and the two drop counters: kea-exporter's
/// `kea_dhcp<4|6>_packets_received_total` / `_sent_total{operation}`.
fn packets(name: &str) -> Option<(&'static str, &str)> {
    /// (statistic prefix, received metric, its message types, sent metric,
    /// its message types).
    type Family = (
        &'static str,
        &'static str,
        &'static [&'static str],
        &'static str,
        &'static [&'static str],
    );
    const V4: Family = (
        "pkt4-",
        "kea_dhcp4_packets_received_total",
        &[
            "discover", "offer", "request", "ack", "nak", "release", "decline", "inform", "unknown",
        ],
        "kea_dhcp4_packets_sent_total",
        &["offer", "ack", "nak"],
    );
    // kea-exporter leaves out Kea's `pkt6-confirm-received`; it joins the
    // other message types here.
    const V6: Family = (
        "pkt6-",
        "kea_dhcp6_packets_received_total",
        &[
            "solicit",
            "request",
            "renew",
            "rebind",
            "release",
            "decline",
            "confirm",
            "infrequest",
            "dhcpv4-query",
            "dhcpv4-response",
            "unknown",
        ],
        "kea_dhcp6_packets_sent_total",
        &["advertise", "reply", "dhcpv4-response"],
    );
    let ((_, received, received_types, sent, sent_types), rest) = [V4, V6]
        .into_iter()
        .find_map(|f| Some((f, name.strip_prefix(f.0)?)))?;
    match rest {
        "parse-failed" => return Some((received, "parse-failed")),
        "receive-drop" => return Some((received, "drop")),
        _ => {}
    }
    if let Some(t) = rest.strip_suffix("-received") {
        return received_types.contains(&t).then_some((received, t));
    }
    let t = rest.strip_suffix("-sent")?;
    sent_types.contains(&t).then_some((sent, t))
}

/// A server-wide statistic; `family` labels one both families have.
fn global(out: &mut Exposition, name: &str, value: i64, family: Option<&str>) {
    if let Some((metric, operation)) = packets(name) {
        let help = if metric.ends_with("_sent_total") {
            "Packets sent, by message type"
        } else {
            "Packets received, by message type (parse-failed: malformed; drop: dropped for any reason)"
        };
        out.add(
            metric,
            Kind::Counter,
            help,
            &[("operation", operation)],
            Value::Int(value),
        );
        return;
    }
    let (kind, help) = describe_global(name);
    let metric = match name {
        // `_us` would read as microseconds (promtool refuses abbreviated
        // units in names).
        "pkt4-drop-not-for-us" => "ruru_pkt4_drop_not_for_this_server_total".to_string(),
        _ => ruru_name("ruru_", name, kind),
    };
    let labels: &[(&str, &str)] = match family {
        Some(f)
            if Stat::ALL
                .iter()
                .any(|s| s.name() == name && s.family().is_none()) =>
        {
            &[("family", f)]
        }
        _ => &[],
    };
    out.add(&metric, kind, help, labels, Value::Int(value));
}

/// A kea-exporter metric of a subnet statistic: name, type, help, and
/// whether it has the `pool` label.
type Mapped = (&'static str, Kind, &'static str, bool);

fn subnet4_map(name: &str) -> Option<Mapped> {
    use Kind::{Counter, Gauge};
    Some(match name {
        "total-addresses" => ("kea_dhcp4_addresses", Gauge, "Addresses in the pools", true),
        "assigned-addresses" => (
            "kea_dhcp4_addresses_assigned",
            Gauge,
            "Addresses leased (including declined ones)",
            true,
        ),
        "declined-addresses" => (
            "kea_dhcp4_addresses_declined",
            Gauge,
            "Addresses declined by clients, in probation",
            true,
        ),
        "reclaimed-declined-addresses" => (
            "kea_dhcp4_addresses_declined_reclaimed_total",
            Counter,
            "Declined addresses reclaimed after their probation",
            true,
        ),
        "reclaimed-leases" => (
            "kea_dhcp4_addresses_reclaimed_total",
            Counter,
            "Expired leases reclaimed",
            true,
        ),
        "v4-reservation-conflicts" => (
            "kea_dhcp4_reservation_conflicts_total",
            Counter,
            "Reserved addresses found leased to another client",
            false,
        ),
        "v4-lease-reuses" => (
            "kea_dhcp4_leases_reused_total",
            Counter,
            "Leases given again by lease caching",
            false,
        ),
        _ => return None,
    })
}

fn subnet6_map(name: &str) -> Option<Mapped> {
    use Kind::{Counter, Gauge};
    Some(match name {
        "total-nas" => (
            "kea_dhcp6_na",
            Gauge,
            "Non-temporary addresses (IA_NA) in the pools",
            true,
        ),
        "assigned-nas" => (
            "kea_dhcp6_na_assigned",
            Gauge,
            "Non-temporary addresses (IA_NA) leased",
            true,
        ),
        "total-pds" => (
            "kea_dhcp6_pd",
            Gauge,
            "Delegable prefixes (IA_PD) in the prefix delegation pools",
            false,
        ),
        "assigned-pds" => (
            "kea_dhcp6_pd_assigned",
            Gauge,
            "Prefixes (IA_PD) delegated",
            false,
        ),
        "declined-addresses" => (
            "kea_dhcp6_addresses_declined",
            Gauge,
            "Addresses declined by clients, in probation",
            true,
        ),
        "reclaimed-declined-addresses" => (
            "kea_dhcp6_addresses_declined_reclaimed_total",
            Counter,
            "Declined addresses reclaimed after their probation",
            true,
        ),
        "reclaimed-leases" => (
            "kea_dhcp6_addresses_reclaimed_total",
            Counter,
            "Expired leases reclaimed",
            true,
        ),
        "v6-ia-na-lease-reuses" => (
            "kea_dhcp6_na_reuses_total",
            Counter,
            "IA_NA leases given again by lease caching",
            true,
        ),
        "v6-ia-pd-lease-reuses" => (
            "kea_dhcp6_pd_reuses_total",
            Counter,
            "IA_PD leases given again by lease caching",
            true,
        ),
        _ => return None,
    })
}

fn subnet4(out: &mut Exposition, name: &str, value: i64, prefix: &str, id: u32, pool: &str) {
    let id = id.to_string();
    match subnet4_map(name) {
        // A statistic without the pool label exists per subnet only.
        Some((metric, kind, help, with_pool)) if with_pool || pool.is_empty() => {
            let labels: &[(&str, &str)] = if with_pool {
                &[("subnet", prefix), ("subnet_id", &id), ("pool", pool)]
            } else {
                &[("subnet", prefix), ("subnet_id", &id)]
            };
            out.add(metric, kind, help, labels, Value::Int(value));
        }
        Some(_) => {}
        None => {
            let (kind, help) = describe_subnet(name);
            out.add(
                &ruru_name("ruru_dhcp4_subnet_", name, kind),
                kind,
                help,
                &[("subnet", prefix), ("subnet_id", &id), ("pool", pool)],
                Value::Int(value),
            );
        }
    }
}

fn subnet6(out: &mut Exposition, name: &str, value: i64, prefix: &str, id: u32) {
    let id = id.to_string();
    match subnet6_map(name) {
        Some((metric, kind, help, with_pool)) => {
            let labels: &[(&str, &str)] = if with_pool {
                &[("subnet", prefix), ("subnet_id", &id), ("pool", "")]
            } else {
                &[("subnet", prefix), ("subnet_id", &id)]
            };
            out.add(metric, kind, help, labels, Value::Int(value));
        }
        None => {
            let (kind, help) = describe_subnet(name);
            out.add(
                &ruru_name("ruru_dhcp6_subnet_", name, kind),
                kind,
                help,
                &[("subnet", prefix), ("subnet_id", &id)],
                Value::Int(value),
            );
        }
    }
}

/// `hooks.<library>.<point>.calls|errors|time-us` (the library's file name
/// may hold dots) and the parking counters `hooks.<name>`.
fn hook(out: &mut Exposition, name: &str, value: i64) {
    let Some(rest) = name.strip_prefix("hooks.") else {
        return;
    };
    let park = match rest {
        "parked-packets" => Some("Packets parked by hook callouts"),
        "unparked-packets" => Some("Parked packets resumed by their hook library"),
        "parked-dropped" => {
            Some("Parked packets dropped (by the library, or when it was unloaded)")
        }
        "park-refused" => Some("Packets dropped because the parking lot was full"),
        _ => None,
    };
    if let Some(help) = park {
        out.add(
            &ruru_name("ruru_hook_", rest, Kind::Counter),
            Kind::Counter,
            help,
            &[],
            Value::Int(value),
        );
        return;
    }
    let mut parts = rest.rsplitn(3, '.');
    let (Some(kind), Some(point), Some(lib)) = (parts.next(), parts.next(), parts.next()) else {
        return;
    };
    let (metric, help, value) = match kind {
        "calls" => (
            "ruru_hook_calls_total",
            "Callouts run, by library and hook point",
            Value::Int(value),
        ),
        "errors" => (
            "ruru_hook_errors_total",
            "Callouts that failed (error, panic or unknown status), by library and hook point",
            Value::Int(value),
        ),
        "time-us" => (
            "ruru_hook_time_seconds_total",
            "Time spent in callouts, by library and hook point",
            Value::Micros(value),
        ),
        _ => return,
    };
    out.add(
        metric,
        Kind::Counter,
        help,
        &[("library", lib), ("hook_point", point)],
        value,
    );
}

/// `prefix` + `name` with every character outside `[a-zA-Z0-9]` as `_`,
/// and `_total` for a counter.
fn ruru_name(prefix: &str, name: &str, kind: Kind) -> String {
    let mut s = String::from(prefix);
    s.extend(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    if kind == Kind::Counter {
        s.push_str("_total");
    }
    s
}

/// Type and help of a server-wide statistic without a kea-exporter name.
fn describe_global(name: &str) -> (Kind, &'static str) {
    use Kind::{Counter, Gauge};
    let help = match name {
        "pkt4-received" => "DHCPv4 packets received",
        "pkt4-sent" => "DHCPv4 packets sent",
        "v4-allocation-fail" => "DHCPv4 address allocations that failed",
        "v4-allocation-fail-subnet" => "DHCPv4 address allocations that failed in a selected subnet",
        "v4-allocation-fail-shared-network" => "DHCPv4 address allocations that failed in every subnet of a shared network",
        "v4-allocation-fail-no-pools" => "DHCPv4 address allocations that failed because the subnet has no pools",
        "v4-reservation-conflicts" => "Reserved DHCPv4 addresses found leased to another client",
        "v4-lease-reuses" => "DHCPv4 leases given again by lease caching, without a write",
        "v4-allocation-conflicts" => "DHCPv4 REQUESTs NAKed because another server took the offered address",
        "v6-allocation-conflicts" => "DHCPv6 messages dropped because another server took the address about to be leased",
        "declined-addresses" => return (Gauge, "Addresses declined by clients, in probation (both families)"),
        "reclaimed-declined-addresses" => "Declined addresses reclaimed after their probation (both families)",
        "reclaimed-leases" => "Expired leases reclaimed (both families)",
        "cumulative-assigned-addresses" => "DHCPv4 addresses leased since the server started",
        "pkt4-drop-no-subnet" => "DHCPv4 packets dropped because no subnet matched",
        "pkt4-drop-not-for-us" => "DHCPv4 packets dropped because they named another server",
        "pkt4-drop-lease-store-failed" => "DHCPv4 packets dropped because the lease could not be stored",
        "pkt4-send-failed" => "DHCPv4 replies that could not be sent",
        "pkt4-processing-panic" => "DHCPv4 packets dropped because handling them panicked",
        "pkt4-drop-service-disabled" => "DHCPv4 packets dropped while the service was disabled",
        "pkt4-drop-hook" => "DHCPv4 packets dropped by a hook callout",
        "pkt4-drop-class" => "DHCPv4 packets dropped for being in the client class DROP",
        "pkt6-received" => "DHCPv6 packets received",
        "pkt6-sent" => "DHCPv6 packets sent",
        "pkt6-send-failed" => "DHCPv6 replies that could not be sent",
        "pkt6-processing-panic" => "DHCPv6 packets dropped because handling them panicked",
        "pkt6-drop-hook" => "DHCPv6 packets dropped by a hook callout",
        "pkt6-drop-class" => "DHCPv6 messages dropped for being in the client class DROP",
        "pkt6-drop-lease-store-failed" => "DHCPv6 packets dropped because a lease could not be stored",
        "pkt6-drop-service-disabled" => "DHCPv6 packets dropped while the service was disabled",
        "pkt6-ia-limit" => "DHCPv6 messages with more IAs, addresses or prefixes than ruru reads (the rest was ignored)",
        "v6-allocation-fail" => "DHCPv6 lease allocations that failed",
        "v6-allocation-fail-subnet" => "DHCPv6 lease allocations that failed in a selected subnet",
        "v6-allocation-fail-shared-network" => "DHCPv6 lease allocations that failed in every subnet of a shared network",
        "v6-ia-na-lease-reuses" => "DHCPv6 IA_NA leases given again by lease caching",
        "v6-ia-pd-lease-reuses" => "DHCPv6 IA_PD leases given again by lease caching",
        "cumulative-assigned-nas" => "DHCPv6 non-temporary addresses leased since the server started",
        "cumulative-assigned-pds" => "DHCPv6 prefixes delegated since the server started",
        "ddns-ncr-sent" => "Name-change requests sent to the DNS updater (dhcp-ddns)",
        "ddns-ncr-queue-full" => "Name-change requests dropped because dhcp-ddns max-queue-size were waiting",
        "ddns-ncr-send-errors" => "Name-change requests that could not be sent to the DNS updater",
        // The kea-exporter packet counters are handled before; a statistic
        // added later without a description lands here.
        _ => return (Gauge, "ruru statistic (see statistic-get-all)"),
    };
    (Counter, help)
}

/// Type and help of a subnet or pool statistic without a kea-exporter name.
fn describe_subnet(name: &str) -> (Kind, &'static str) {
    match name {
        "cumulative-assigned-addresses" => {
            (Kind::Counter, "Addresses leased since the server started")
        }
        "cumulative-assigned-nas" => (
            Kind::Counter,
            "Non-temporary addresses (IA_NA) leased since the server started",
        ),
        "cumulative-assigned-pds" => (
            Kind::Counter,
            "Prefixes (IA_PD) delegated since the server started",
        ),
        _ => (Kind::Gauge, "ruru statistic (see statistic-get-all)"),
    }
}

// ---- the text format ----

/// A sample value.
#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    /// Microseconds, written as seconds.
    Micros(i64),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Value::Int(v) => write!(f, "{v}"),
            // Exact decimal, no float rounding.
            Value::Micros(us) => {
                let sign = if us < 0 { "-" } else { "" };
                let us = us.unsigned_abs();
                write!(f, "{sign}{}.{:06}", us / 1_000_000, us % 1_000_000)
            }
        }
    }
}

struct Family {
    kind: Kind,
    help: &'static str,
    /// Rendered label sets, in insertion order, each once.
    samples: Vec<(String, Value)>,
    seen: HashSet<String>,
}

/// Metric families by name (sorted, for a stable output).
#[derive(Default)]
struct Exposition {
    families: BTreeMap<String, Family>,
}

impl Exposition {
    /// Adds one sample. A family's type and help are those of its first
    /// sample; a second sample with the same label set is left out (the
    /// mapping above never makes one; the unit tests hold it to that).
    fn add(
        &mut self,
        name: &str,
        kind: Kind,
        help: &'static str,
        labels: &[(&str, &str)],
        value: Value,
    ) {
        let family = self
            .families
            .entry(name.to_string())
            .or_insert_with(|| Family {
                kind,
                help,
                samples: Vec::new(),
                seen: HashSet::new(),
            });
        let mut rendered = String::new();
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                rendered.push(',');
            }
            let _ = write!(rendered, "{k}=\"{}\"", escape_label(v));
        }
        if family.seen.insert(rendered.clone()) {
            family.samples.push((rendered, value));
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for (name, f) in &self.families {
            let _ = writeln!(out, "# HELP {name} {}", escape_help(f.help));
            let _ = writeln!(out, "# TYPE {name} {}", f.kind.as_str());
            for (labels, value) in &f.samples {
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
        out
    }
}

/// A label value in the text format: `\`, `"` and newline escaped.
fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// Help text in the text format: `\` and newline escaped.
fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruru_engine::stats::{add, Stats};

    const CONFIG: &str = r#"{
      "Dhcp4": {
        "lease-database": { "type": "memfile", "persist": false },
        "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24",
          "pools": [ { "pool": "192.0.2.100 - 192.0.2.199" }, { "pool": "192.0.2.0/28" } ] } ]
      },
      "Dhcp6": {
        "lease-database": { "type": "memfile", "persist": false },
        "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
          "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ],
          "pd-pools": [ { "prefix": "2001:db8:8000::", "prefix-len": 48, "delegated-len": 56 } ] } ]
      }
    }"#;

    fn config() -> Config {
        ruru_config::load_str(CONFIG, std::path::Path::new("metrics-test.json")).unwrap()
    }

    /// Every statistic there is, v4 and v6 subnet 1 (the same id in both
    /// families), both v4 pools, and one hook library.
    fn full() -> String {
        let s = Stats::new();
        s.add(Stat::Pkt4DiscoverReceived, 3);
        s.add(Stat::Pkt4Received, 4);
        s.add(Stat::Pkt4ParseFailed, 1);
        s.add(Stat::Pkt6SolicitReceived, 5);
        s.add(Stat::Pkt6ReplySent, 6);
        s.add(Stat::DeclinedAddresses, 7);
        add(&s.subnet(1).total_addresses, 116);
        add(&s.subnet(1).assigned_addresses, 2);
        add(&s.subnet(1).declined_addresses, 1);
        add(&s.subnet(1).v4_lease_reuses, 9);
        add(&s.pool(1, 0).total_addresses, 100);
        add(&s.pool(1, 0).assigned_addresses, 2);
        add(&s.pool(1, 1).total_addresses, 16);
        add(&s.subnet6(1).total_nas, 256);
        add(&s.subnet6(1).assigned_nas, 3);
        add(&s.subnet6(1).total_pds, 256);
        add(&s.subnet6(1).assigned_pds, 4);
        add(&s.subnet6(1).declined_addresses, 5);
        let hooks = vec![
            ("hooks.parked-packets".to_string(), 1),
            ("hooks.libcount.so.pkt4_receive.calls".to_string(), 12),
            ("hooks.libcount.so.pkt4_receive.errors".to_string(), 0),
            (
                "hooks.libcount.so.pkt4_receive.time-us".to_string(),
                1_500_042,
            ),
        ];
        render_with(&config(), &[(None, s.scoped_snapshot())], &hooks)
    }

    /// `(name, labels)` of a sample line, and its value.
    fn split(line: &str) -> (&str, &str, &str) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        match series.split_once('{') {
            Some((name, labels)) => (name, labels.trim_end_matches('}'), value),
            None => (series, "", value),
        }
    }

    #[test]
    fn help_and_type_once_per_family_before_its_samples() {
        let text = full();
        let mut help = HashMap::<&str, usize>::new();
        let mut types = HashMap::<&str, &str>::new();
        let mut series = HashSet::new();
        let mut current = "";
        let mut done = HashSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap();
                *help.entry(name).or_default() += 1;
                assert!(done.insert(name), "{name} comes back after another family");
                current = name;
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert_eq!(name, current, "TYPE right after HELP");
                assert!(types.insert(name, kind).is_none(), "second TYPE for {name}");
            } else {
                let (name, labels, value) = split(line);
                assert_eq!(name, current, "{line}: sample outside its family");
                assert!(series.insert((name, labels)), "duplicate series: {line}");
                assert!(value.parse::<f64>().is_ok(), "{line}");
            }
        }
        assert!(help.values().all(|n| *n == 1), "{help:?}");
        assert_eq!(help.len(), types.len());
        // Both families, and the hook statistics, are there.
        for name in [
            "kea_dhcp4_packets_received_total",
            "kea_dhcp6_packets_received_total",
            "kea_dhcp6_packets_sent_total",
            "kea_dhcp4_addresses",
            "kea_dhcp6_na",
            "kea_dhcp6_pd_assigned",
            "ruru_hook_calls_total",
            "ruru_hook_parked_packets_total",
        ] {
            assert!(types.contains_key(name), "{name} missing in:\n{text}");
        }
    }

    #[test]
    fn counters_are_total_and_gauges_are_not() {
        let text = full();
        let mut n = 0;
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                match kind {
                    "counter" => assert!(name.ends_with("_total"), "{line}"),
                    "gauge" => assert!(!name.ends_with("_total"), "{line}"),
                    _ => panic!("{line}"),
                }
                n += 1;
            }
        }
        assert!(n > 40, "{text}");
        for line in [
            "# TYPE kea_dhcp4_packets_received_total counter",
            "# TYPE kea_dhcp4_addresses_assigned gauge",
            "# TYPE kea_dhcp4_leases_reused_total counter",
            "# TYPE kea_dhcp6_na_assigned gauge",
            "# TYPE kea_dhcp6_addresses_declined gauge",
            "# TYPE kea_dhcp6_addresses_reclaimed_total counter",
            "# TYPE ruru_pkt4_received_total counter",
            "# TYPE ruru_declined_addresses gauge",
            "# TYPE ruru_dhcp4_subnet_cumulative_assigned_addresses_total counter",
            "# TYPE ruru_dhcp6_subnet_cumulative_assigned_pds_total counter",
            "# TYPE ruru_hook_time_seconds_total counter",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }

    /// What `promtool check metrics` (Prometheus's promlint) also checks
    /// in names, here so that a new statistic cannot break it unnoticed.
    #[test]
    fn names_are_valid_and_have_no_abbreviated_units() {
        const ABBREVIATIONS: &[&str] = &[
            "s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d",
        ];
        const TYPES: &[&str] = &["counter", "gauge", "summary", "untyped", "histogram"];
        let text = full();
        for line in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let name = line["# TYPE ".len()..].split(' ').next().unwrap();
            assert!(
                name.starts_with(|c: char| c.is_ascii_lowercase())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            for a in ABBREVIATIONS.iter().chain(TYPES) {
                assert!(
                    !name.contains(&format!("_{a}_")) && !name.ends_with(&format!("_{a}")),
                    "{name}: `_{a}`"
                );
            }
            for suffix in ["_count", "_sum", "_bucket"] {
                assert!(!name.ends_with(suffix), "{name}");
            }
        }
        assert!(text.contains("\nruru_pkt4_drop_not_for_this_server_total 0\n"));
    }

    #[test]
    fn samples_carry_kea_exporter_labels_per_family() {
        let text = full();
        for line in [
            r#"kea_dhcp4_packets_received_total{operation="discover"} 3"#,
            r#"kea_dhcp4_packets_received_total{operation="parse-failed"} 1"#,
            r#"kea_dhcp6_packets_received_total{operation="solicit"} 5"#,
            r#"kea_dhcp6_packets_sent_total{operation="reply"} 6"#,
            r#"ruru_pkt4_received_total 4"#,
            r#"ruru_declined_addresses 7"#,
            r#"kea_dhcp4_addresses{subnet="192.0.2.0/24",subnet_id="1",pool=""} 116"#,
            r#"kea_dhcp4_addresses{subnet="192.0.2.0/24",subnet_id="1",pool="192.0.2.100-192.0.2.199"} 100"#,
            r#"kea_dhcp4_addresses{subnet="192.0.2.0/24",subnet_id="1",pool="192.0.2.0/28"} 16"#,
            r#"kea_dhcp4_addresses_assigned{subnet="192.0.2.0/24",subnet_id="1",pool="192.0.2.100-192.0.2.199"} 2"#,
            r#"kea_dhcp4_leases_reused_total{subnet="192.0.2.0/24",subnet_id="1"} 9"#,
            // Subnet 1 of each family: the same Kea name, two metrics.
            r#"kea_dhcp4_addresses_declined{subnet="192.0.2.0/24",subnet_id="1",pool=""} 1"#,
            r#"kea_dhcp6_addresses_declined{subnet="2001:db8:1::/64",subnet_id="1",pool=""} 5"#,
            r#"kea_dhcp6_na{subnet="2001:db8:1::/64",subnet_id="1",pool=""} 256"#,
            r#"kea_dhcp6_na_assigned{subnet="2001:db8:1::/64",subnet_id="1",pool=""} 3"#,
            r#"kea_dhcp6_pd{subnet="2001:db8:1::/64",subnet_id="1"} 256"#,
            r#"kea_dhcp6_pd_assigned{subnet="2001:db8:1::/64",subnet_id="1"} 4"#,
            r#"kea_dhcp6_pd_reuses_total{subnet="2001:db8:1::/64",subnet_id="1",pool=""} 0"#,
            r#"ruru_hook_parked_packets_total 1"#,
            r#"ruru_hook_calls_total{library="libcount.so",hook_point="pkt4_receive"} 12"#,
            r#"ruru_hook_time_seconds_total{library="libcount.so",hook_point="pkt4_receive"} 1.500042"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
        // Per-subnet-only statistics have no pool series.
        assert!(!text
            .contains(r#"kea_dhcp4_leases_reused_total{subnet="192.0.2.0/24",subnet_id="1",pool"#));
    }

    #[test]
    fn subnets_and_pools_missing_from_the_config_are_left_out() {
        let s = Stats::new();
        add(&s.subnet(7).assigned_addresses, 1);
        add(&s.pool(1, 5).assigned_addresses, 1);
        add(&s.subnet6(9).assigned_nas, 1);
        let text = render_with(&config(), &[(None, s.scoped_snapshot())], &[]);
        assert!(!text.contains("subnet_id=\"7\""), "{text}");
        assert!(!text.contains("subnet_id=\"9\""), "{text}");
        assert!(!text.contains("pool=\"5\""), "{text}");
    }

    #[test]
    fn a_family_that_is_not_served_has_no_metrics() {
        let v4_only = ruru_config::load_str(
            r#"{ "Dhcp4": { "lease-database": { "type": "memfile", "persist": false } } }"#,
            std::path::Path::new("metrics-test.json"),
        )
        .unwrap();
        let s = Stats::of_family(StatFamily::V4);
        let text = render_with(&v4_only, &[(None, s.scoped_snapshot())], &[]);
        assert!(text.contains("\nruru_pkt4_received_total 0\n"), "{text}");
        assert!(text.contains("\nruru_declined_addresses 0\n"), "{text}");
        assert!(
            !text.contains("dhcp6") && !text.contains("pkt6") && !text.contains("v6_"),
            "{text}"
        );
    }

    #[test]
    fn label_values_and_help_are_escaped() {
        let hooks = vec![("hooks.lib\"q\\b\nc.so.pkt4_receive.calls".to_string(), 1)];
        let text = render_with(&config(), &[], &hooks);
        assert!(
            text.contains(
                r#"ruru_hook_calls_total{library="lib\"q\\b\nc.so",hook_point="pkt4_receive"} 1"#
            ),
            "{text}"
        );
        assert_eq!(escape_label("a\\b\"c\nd"), r#"a\\b\"c\nd"#);
        assert_eq!(escape_help("a\\b\"c\nd"), r#"a\\b"c\nd"#);
    }

    #[test]
    fn dns_updater_statistics_are_counters() {
        let d2 = vec![
            ("ncr-received".to_string(), 7),
            ("update-success".to_string(), 5),
            ("key[k-sha256.].update-sent".to_string(), 4),
        ];
        let text = render_with(&config(), &[], &d2);
        for line in [
            "# TYPE ruru_ddns_ncr_received_total counter",
            "ruru_ddns_ncr_received_total 7",
            "ruru_ddns_update_success_total 5",
            r#"ruru_ddns_key_update_sent_total{key="k-sha256."} 4"#,
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in:\n{text}"
            );
        }
    }

    #[test]
    fn every_statistic_has_a_type_and_help_of_its_own() {
        let s = Stats::new();
        s.subnet(1);
        s.pool(1, 0);
        s.subnet6(1);
        for (scope, name, _) in s.scoped_snapshot() {
            let described = match scope {
                Scope::Global => {
                    packets(name).is_some() || describe_global(name).1 != describe_global("?").1
                }
                Scope::Subnet4(_) | Scope::Pool4(..) => {
                    subnet4_map(name).is_some() || describe_subnet(name).1 != describe_subnet("?").1
                }
                Scope::Subnet6(_) => {
                    subnet6_map(name).is_some() || describe_subnet(name).1 != describe_subnet("?").1
                }
            };
            assert!(
                described,
                "{scope:?} {name}: add it to the tables of metrics.rs"
            );
        }
    }

    #[test]
    fn pools_are_labelled_as_kea_shows_them() {
        let a = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(pool4_text(a("192.0.2.0"), a("192.0.2.15")), "192.0.2.0/28");
        assert_eq!(
            pool4_text(a("192.0.2.16"), a("192.0.2.31")),
            "192.0.2.16/28"
        );
        assert_eq!(
            pool4_text(a("192.0.2.8"), a("192.0.2.23")),
            "192.0.2.8-192.0.2.23"
        );
        assert_eq!(
            pool4_text(a("192.0.2.100"), a("192.0.2.199")),
            "192.0.2.100-192.0.2.199"
        );
        assert_eq!(pool4_text(a("192.0.2.7"), a("192.0.2.7")), "192.0.2.7/32");
        assert_eq!(pool4_text(a("0.0.0.0"), a("255.255.255.255")), "0.0.0.0/0");
    }

    #[test]
    fn microseconds_are_written_as_exact_seconds() {
        assert_eq!(Value::Micros(1_500_042).to_string(), "1.500042");
        assert_eq!(Value::Micros(5).to_string(), "0.000005");
        assert_eq!(Value::Micros(0).to_string(), "0.000000");
        assert_eq!(Value::Int(-3).to_string(), "-3");
    }
}
