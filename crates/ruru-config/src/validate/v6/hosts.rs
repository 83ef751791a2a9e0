//! DHCPv6 reservations in the `Dhcp6` section and its subnets: Kea's
//! `host-reservation-identifiers` for DHCPv6, and each `reservations`
//! entry (one identifier; addresses, prefixes with their excluded
//! prefixes, host name, options, classes), unique per scope as Kea keeps
//! them.

use std::collections::HashMap;
use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

use super::super::V;
use super::*;

/// `Dhcp6.host-reservation-identifiers`: Kea's DHCPv6 kinds, in order,
/// each once. Absent: Kea's default, the hardware address then the DUID
/// (flex-id reservations need `"flex-id"` listed, as in Kea).
pub(super) fn host_reservation_identifiers6(v: &mut V, list: Option<&[String]>) -> Vec<HostIdType> {
    let Some(list) = list else {
        return vec![HostIdType::HwAddress, HostIdType::Duid];
    };
    let path = "Dhcp6.host-reservation-identifiers";
    const EXPECTED: &str = "expected one of \"duid\", \"hw-address\", \"flex-id\"";
    if list.is_empty() {
        v.err(path, format!("empty list: {EXPECTED}"));
    }
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let t = match s.as_str() {
            "duid" => HostIdType::Duid,
            "hw-address" => HostIdType::HwAddress,
            "flex-id" => HostIdType::Flex,
            _ => {
                v.err(
                    format!("{path}[{i}]"),
                    format!("unknown identifier type `{s}`: {EXPECTED}"),
                );
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

pub(super) fn reservations(
    v: &mut V,
    sp: &str,
    list: &[file::Reservation6],
    net: Option<Ipv6Net>,
) -> Reservations6 {
    let mut hosts = Vec::new();
    let mut ids: HashMap<HostId6, usize> = HashMap::new();
    let mut addrs: HashMap<Ipv6Addr, usize> = HashMap::new();
    // The reserved prefixes, tagged by their reservation's index.
    let mut prefixes = Disjoint::new(
        list.iter()
            .flat_map(|r| r.prefixes.iter().flatten())
            .filter_map(|text| text.trim().parse::<Ipv6Net>().ok())
            .map(|n| u128::from(n.network())),
    );
    for (i, r) in list.iter().enumerate() {
        let p = format!("{sp}.reservations[{i}]");
        let given: Vec<(&str, &String)> = [
            ("duid", &r.duid),
            ("hw-address", &r.hw_address),
            ("flex-id", &r.flex_id),
        ]
        .into_iter()
        .filter_map(|(k, x)| x.as_ref().map(|x| (k, x)))
        .collect();
        let id = match given.as_slice() {
            [] => {
                v.err(
                    &p,
                    "no identifier: expected exactly one of `duid`, `hw-address`, `flex-id`",
                );
                None
            }
            [("flex-id", s)] => match hex_or_text(s) {
                Some(b) => Some(HostId6::Flex(b)),
                None => {
                    v.err(
                        format!("{p}.flex-id"),
                        format!("`{s}` is not a flex-id: expected 1 to 255 bytes as hex (\"0a:0b\") or quoted text (\"'port-1'\")"),
                    );
                    None
                }
            },
            [("duid", s)] => match parse_duid(s) {
                Some(d) => Some(HostId6::Duid(d)),
                None => {
                    v.err(
                        format!("{p}.duid"),
                        format!("`{s}` is not a DUID: expected 1 to 130 bytes of hex, e.g. \"00:03:00:01:aa:bb:cc:dd:ee:ff\""),
                    );
                    None
                }
            },
            [(k, s)] => {
                match parse_hw_address(s) {
                    Some(h) => Some(HostId6::HwAddress(h)),
                    None => {
                        v.err(
                        format!("{p}.{k}"),
                        format!("`{s}` is not a hardware address: expected e.g. \"aa:bb:cc:dd:ee:ff\""),
                    );
                        None
                    }
                }
            }
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
        let mut ip_addresses = Vec::new();
        for (j, a) in r.ip_addresses.iter().flatten().enumerate() {
            let ap = format!("{p}.ip-addresses[{j}]");
            let Some(addr) = v.addr::<Ipv6Addr>(&ap, a) else {
                continue;
            };
            if let Some(net) = net.filter(|net| !net.contains(&addr)) {
                v.err(
                    &ap,
                    format!("{addr} is not inside subnet {net}: expected an address of the subnet"),
                );
                continue;
            }
            if let Some(first) = addrs.insert(addr, i).filter(|_| !v.ip_shared) {
                v.err(
                    &ap,
                    format!("{addr} is already reserved by {sp}.reservations[{first}]: expected unique addresses (or `ip-reservations-unique: false`)"),
                );
                continue;
            }
            ip_addresses.push(addr);
        }
        let mut reserved_prefixes = Vec::new();
        let mut excluded_prefixes = Vec::new();
        // Kea 2.7.3: `excluded-prefixes` pairs with `prefixes`, entry by
        // entry.
        let excluded = r.excluded_prefixes.as_deref().unwrap_or(&[]);
        let n_prefixes = r.prefixes.as_ref().map_or(0, Vec::len);
        if r.excluded_prefixes.is_some() && r.prefixes.is_none() {
            v.err(
                format!("{p}.excluded-prefixes"),
                "'excluded-prefixes' requires the 'prefixes' parameter",
            );
        } else if r.excluded_prefixes.is_some() && excluded.len() != n_prefixes {
            v.err(
                format!("{p}.excluded-prefixes"),
                format!(
                    "'excluded-prefixes' does not match the 'prefixes' parameter: {} != {n_prefixes}: expected one entry (or \"\") per prefix",
                    excluded.len()
                ),
            );
        }
        for (j, text) in r.prefixes.iter().flatten().enumerate() {
            let pp = format!("{p}.prefixes[{j}]");
            let Some(pfx) = prefix::<Ipv6Addr>(v, &pp, text) else {
                continue;
            };
            let xp = format!("{p}.excluded-prefixes[{j}]");
            let excl = match excluded.get(j).map(|x| x.trim()) {
                None | Some("") => None,
                Some(x) => match prefix::<Ipv6Addr>(v, &xp, x) {
                    Some(x) if x.prefix_len() <= pfx.prefix_len() => {
                        v.err(
                            &xp,
                            format!("length of the excluded prefix {x} must be greater than the length of the delegated prefix {pfx}"),
                        );
                        None
                    }
                    Some(x) if !pfx.contains(&x.network()) => {
                        v.err(
                            &xp,
                            format!("excluded prefix {x} must have the same common prefix part of {} as the delegated prefix {pfx}", pfx.prefix_len()),
                        );
                        None
                    }
                    Some(x) => Some((x.network(), x.prefix_len())),
                    None => None,
                },
            };
            excluded_prefixes.push(excl);
            let range = (u128::from(pfx.network()), u128::from(pfx.broadcast()));
            match prefixes.first_overlap(range) {
                // ip-reservations-unique false: several hosts may reserve it.
                Some(_) if v.ip_shared => {}
                Some(first) => {
                    v.err(
                        &pp,
                        format!("{pfx} overlaps a prefix reserved by {sp}.reservations[{first}]: expected unique prefixes"),
                    );
                    continue;
                }
                None => prefixes.insert(range, i),
            }
            reserved_prefixes.push((pfx.addr(), pfx.prefix_len()));
        }
        let options = options6(v, &format!("{p}.option-data"), &r.option_data);
        let Some(id) = id else { continue };
        if let Some(first) = ids.insert(id.clone(), i) {
            let k = given.first().map_or("", |(k, _)| *k);
            v.err(
                format!("{p}.{k}"),
                format!("this {k} is already reserved by {sp}.reservations[{first}]: expected one reservation per client"),
            );
        }
        hosts.push(Reservation6 {
            id,
            ip_addresses,
            prefixes: reserved_prefixes,
            excluded_prefixes,
            hostname: r.hostname.clone(),
            options,
            client_classes: r.client_classes.as_deref().map_or_else(Vec::new, names),
        });
    }
    Reservations6::new(hosts)
}
