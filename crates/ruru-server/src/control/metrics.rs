//! `GET /metrics`: every statistic in the Prometheus text exposition format.
//!
//! Metric names follow the widely used `kea-exporter`, so that Grafana
//! dashboards built for it work unchanged:
//!
//! | Kea statistic | metric |
//! |---|---|
//! | `pkt4-<type>-received` (discover, offer, request, ack, nak, release, decline, inform, unknown) | `kea_dhcp4_packets_received_total{operation="<type>"}` |
//! | `pkt4-parse-failed` | `kea_dhcp4_packets_received_total{operation="parse-failed"}` |
//! | `pkt4-receive-drop` | `kea_dhcp4_packets_received_total{operation="drop"}` |
//! | `pkt4-<type>-sent` (offer, ack, nak) | `kea_dhcp4_packets_sent_total{operation="<type>"}` |
//! | `subnet[ID].total-addresses` | `kea_dhcp4_addresses_total{subnet="PREFIX",subnet_id="ID",pool=""}` |
//! | `subnet[ID].assigned-addresses` | `kea_dhcp4_addresses_assigned_total{...}` |
//! | `subnet[ID].declined-addresses` | `kea_dhcp4_addresses_declined_total{...}` |
//! | `subnet[ID].reclaimed-declined-addresses` | `kea_dhcp4_addresses_declined_reclaimed_total{...}` |
//! | `subnet[ID].reclaimed-leases` | `kea_dhcp4_addresses_reclaimed_total{...}` |
//! | `subnet[ID].v4-reservation-conflicts` | `kea_dhcp4_reservation_conflicts_total{subnet="PREFIX",subnet_id="ID"}` |
//! | `subnet[ID].v4-lease-reuses` | `kea_dhcp4_leases_reused_total{subnet="PREFIX",subnet_id="ID"}` |
//!
//! Per-pool statistics (`subnet[ID].pool[N].NAME`) go to the same metrics
//! with `pool="START-END"` (the pool's range, as kea-exporter labels it).
//!
//! Every other statistic is `ruru_<name>` with `-` replaced by `_`
//! (e.g. `pkt4-received` → `ruru_pkt4_received`); other per-subnet ones are
//! `ruru_subnet_<name>{subnet="PREFIX",subnet_id="ID"}`, other per-pool ones
//! `ruru_subnet_pool_<name>{subnet,subnet_id,pool}`. All are gauges, as
//! in kea-exporter (Kea's statistics can be reset by commands).
//!
//! Hook statistics `hooks.<library>.<point>.calls|errors|time-us` are
//! `ruru_hook_calls`, `ruru_hook_errors` and `ruru_hook_time_us` with the
//! labels `library` (file name) and `hook_point`.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::state::Shared;

fn global_map(name: &str) -> Option<(&'static str, String)> {
    const RECEIVED: &[&str] = &[
        "discover", "offer", "request", "ack", "nak", "release", "decline", "inform", "unknown",
    ];
    const SENT: &[&str] = &["offer", "ack", "nak"];
    if let Some(t) = name
        .strip_prefix("pkt4-")
        .and_then(|r| r.strip_suffix("-received"))
    {
        if RECEIVED.contains(&t) {
            return Some((
                "kea_dhcp4_packets_received_total",
                format!("operation=\"{t}\""),
            ));
        }
    }
    if let Some(t) = name
        .strip_prefix("pkt4-")
        .and_then(|r| r.strip_suffix("-sent"))
    {
        if SENT.contains(&t) {
            return Some(("kea_dhcp4_packets_sent_total", format!("operation=\"{t}\"")));
        }
    }
    match name {
        "pkt4-parse-failed" => Some((
            "kea_dhcp4_packets_received_total",
            "operation=\"parse-failed\"".into(),
        )),
        "pkt4-receive-drop" => Some((
            "kea_dhcp4_packets_received_total",
            "operation=\"drop\"".into(),
        )),
        _ => None,
    }
}

fn subnet_map(name: &str) -> Option<(&'static str, bool)> {
    // (metric, has the `pool` label)
    Some(match name {
        "total-addresses" => ("kea_dhcp4_addresses_total", true),
        "assigned-addresses" => ("kea_dhcp4_addresses_assigned_total", true),
        "declined-addresses" => ("kea_dhcp4_addresses_declined_total", true),
        "reclaimed-declined-addresses" => ("kea_dhcp4_addresses_declined_reclaimed_total", true),
        "reclaimed-leases" => ("kea_dhcp4_addresses_reclaimed_total", true),
        "v4-reservation-conflicts" => ("kea_dhcp4_reservation_conflicts_total", false),
        "v4-lease-reuses" => ("kea_dhcp4_leases_reused_total", false),
        _ => return None,
    })
}

fn ruru_name(prefix: &str, name: &str) -> String {
    let mut s = String::from(prefix);
    s.extend(
        name.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
    );
    s
}

/// Renders every statistic of `shared`.
pub fn render(shared: &Shared) -> String {
    // subnet id → (prefix, pool labels in pool order)
    let subnets: HashMap<u32, (String, Vec<String>)> = shared
        .snapshot()
        .config
        .dhcp4
        .as_ref()
        .map(|d| {
            d.subnets
                .iter()
                .map(|s| {
                    let pools = s
                        .pools
                        .iter()
                        .map(|p| format!("{}-{}", p.start, p.end))
                        .collect();
                    (s.id, (format!("{}/{}", s.addr, s.prefix_len), pools))
                })
                .collect()
        })
        .unwrap_or_default();
    // metric name → lines (labels, value); BTreeMap for a stable order.
    let mut families: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    for (name, value) in shared.stats.snapshot() {
        if let Some(rest) = name.strip_prefix("subnet[") {
            let Some((id, stat)) = rest.split_once("].") else {
                continue;
            };
            let Ok(id) = id.parse::<u32>() else { continue };
            let (prefix, pools) = subnets.get(&id).cloned().unwrap_or_default();
            let base = format!("subnet=\"{prefix}\",subnet_id=\"{id}\"");
            // `subnet[ID].pool[N].NAME`: the pool label is the pool's range.
            let pool = stat.strip_prefix("pool[").and_then(|r| r.split_once("]."));
            let (metric, labels) = match pool {
                Some((n, pstat)) => {
                    let label = n
                        .parse::<usize>()
                        .ok()
                        .and_then(|n| pools.get(n).cloned())
                        .unwrap_or_else(|| n.to_string());
                    let labels = format!("{base},pool=\"{label}\"");
                    match subnet_map(pstat) {
                        Some((m, true)) => (m.to_string(), labels),
                        _ => (ruru_name("ruru_subnet_pool_", pstat), labels),
                    }
                }
                None => match subnet_map(stat) {
                    Some((m, true)) => (m.to_string(), format!("{base},pool=\"\"")),
                    Some((m, false)) => (m.to_string(), base),
                    None => (ruru_name("ruru_subnet_", stat), base),
                },
            };
            families.entry(metric).or_default().push((labels, value));
        } else {
            let (metric, labels) = match global_map(&name) {
                Some((m, l)) => (m.to_string(), l),
                None => (ruru_name("ruru_", &name), String::new()),
            };
            families.entry(metric).or_default().push((labels, value));
        }
    }
    for (name, value) in shared.hook_stats.snapshot() {
        // hooks.<library>.<point>.<kind>; the library name may hold dots.
        let Some(rest) = name.strip_prefix("hooks.") else {
            continue;
        };
        let mut parts = rest.rsplitn(3, '.');
        let (Some(kind), Some(point), Some(lib)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let metric = ruru_name("ruru_hook_", kind);
        let lib = lib.replace('\\', "\\\\").replace('"', "\\\"");
        families
            .entry(metric)
            .or_default()
            .push((format!("library=\"{lib}\",hook_point=\"{point}\""), value));
    }
    let mut out = String::new();
    for (metric, lines) in families {
        let _ = writeln!(out, "# TYPE {metric} gauge");
        for (labels, value) in lines {
            if labels.is_empty() {
                let _ = writeln!(out, "{metric} {value}");
            } else {
                let _ = writeln!(out, "{metric}{{{labels}}} {value}");
            }
        }
    }
    out
}
