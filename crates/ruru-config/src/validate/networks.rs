//! What both families' `shared-networks` share: the list of every subnet
//! (top-level ones, then each network's, with their paths), unique
//! network names, Kea's rule that a network's subnets are on one
//! interface, and the order of required classes (network, then subnet).
//!
//! Each family's network parameters (lifetimes, timers, options, ...) are
//! resolved in `v4` / `v6`, like a subnet's.

use std::collections::HashMap;

use super::V;

/// Every subnet of the section, each with its path and the index of its
/// network (`None`: a top-level subnet): the top-level `list` first (at
/// `{section}.{key}[i]`), then each network's (at
/// `{section}.shared-networks[k].{key}[j]`).
pub(super) fn network_entries<'a, S, N>(
    section: &str,
    key: &str,
    list: &'a [S],
    networks: &'a [N],
    subnets_of: impl Fn(&'a N) -> Option<&'a [S]>,
) -> Vec<(String, &'a S, Option<usize>)> {
    let mut out: Vec<(String, &'a S, Option<usize>)> = list
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("{section}.{key}[{i}]"), s, None))
        .collect();
    for (k, n) in networks.iter().enumerate() {
        for (j, s) in subnets_of(n).unwrap_or_default().iter().enumerate() {
            out.push((
                format!("{section}.shared-networks[{k}].{key}[{j}]"),
                s,
                Some(k),
            ));
        }
    }
    out
}

/// Network names: required, not empty, unique (Kea: "duplicate network").
pub(super) fn network_names<'a>(
    v: &mut V,
    section: &str,
    names: impl Iterator<Item = Option<&'a str>>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (k, name) in names.enumerate() {
        let p = format!("{section}.shared-networks[{k}]");
        match name {
            None => v.err(
                &p,
                "missing `name`: expected a name unique among the shared networks",
            ),
            Some(n) if n.trim().is_empty() => v.err(
                format!("{p}.name"),
                "empty name: expected a name unique among the shared networks",
            ),
            Some(n) => {
                if let Some(first) = seen.insert(n, k) {
                    v.err(
                        format!("{p}.name"),
                        format!("duplicate shared network name `{n}` (also used by {section}.shared-networks[{first}]): expected unique names"),
                    );
                }
            }
        }
    }
}

/// The required classes of a network's subnet: the network's first, then
/// the subnet's (Kea evaluates network, subnet, pool), each once.
pub(super) fn network_required(network: &[String], subnet: &[String]) -> Vec<String> {
    let mut out = network.to_vec();
    for c in subnet {
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// Kea's rule for `interface` in shared networks: a subnet may repeat its
/// network's interface but not name another one; without one on the
/// network, the subnets that give one must agree. A subnet without one
/// inherits the network's (or its earlier subnets').
pub(super) struct NetworkInterfaces {
    /// Per network: its interface so far and where it was given.
    seen: Vec<Option<(String, String)>>,
}

impl NetworkInterfaces {
    /// `interfaces`: each network's own `interface`.
    pub(super) fn new(section: &str, interfaces: impl Iterator<Item = Option<String>>) -> Self {
        NetworkInterfaces {
            seen: interfaces
                .enumerate()
                .map(|(k, i)| i.map(|name| (name, format!("{section}.shared-networks[{k}]"))))
                .collect(),
        }
    }

    /// The interface of the subnet at `p` of network `k`, whose own is
    /// `own`.
    pub(super) fn member(
        &mut self,
        v: &mut V,
        k: usize,
        p: &str,
        own: Option<&str>,
    ) -> Option<String> {
        let slot = self.seen.get_mut(k)?;
        match (own, slot.as_ref()) {
            (Some(own), Some((name, by))) if own != name => {
                v.err(
                    format!("{p}.interface"),
                    format!("interface `{own}` differs from `{name}` of {by}: expected the subnets of a shared network on one interface"),
                );
                Some(own.to_string())
            }
            (Some(own), None) => {
                *slot = Some((own.to_string(), p.to_string()));
                Some(own.to_string())
            }
            (_, Some((name, _))) => Some(name.clone()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;
    use std::path::Path;

    use crate::model::{Dhcp4, Dhcp6, Lifetime};

    /// Every diagnostic of `text` as `path: message`, sorted.
    fn problems(text: &str) -> Vec<String> {
        let mut out: Vec<String> = match crate::load_str(text, Path::new("t.json")) {
            Ok(_) => Vec::new(),
            Err(e) => e
                .diagnostics
                .iter()
                .map(|d| format!("{}: {}", d.path, d.message))
                .collect(),
        };
        out.sort();
        out
    }

    fn load4(text: &str) -> Dhcp4 {
        match crate::load_str(text, Path::new("t.json")) {
            Ok(c) => c.dhcp4.unwrap_or_else(|| panic!("no Dhcp4")),
            Err(e) => panic!("{e}"),
        }
    }

    fn load6(text: &str) -> Dhcp6 {
        match crate::load_str(text, Path::new("t.json")) {
            Ok(c) => c.dhcp6.unwrap_or_else(|| panic!("no Dhcp6")),
            Err(e) => panic!("{e}"),
        }
    }

    const NET4: &str = r#"{"Dhcp4": {
        "valid-lifetime": 7200, "renew-timer": 100, "next-server": "192.0.2.250",
        "require-client-classes-unused": null,
        "subnet4": [{"id": 9, "subnet": "203.0.113.0/24"}],
        "shared-networks": [{
            "name": "floor1",
            "relay": {"ip-addresses": ["192.0.2.1"]},
            "valid-lifetime": 600, "authoritative": true, "match-client-id": false,
            "boot-file-name": "net.efi",
            "client-class": "net-class",
            "require-client-classes": ["net-req"],
            "option-data": [{"name": "domain-name", "data": "net.example"}],
            "subnet4": [
                {"id": 1, "subnet": "192.0.2.0/26",
                 "option-data": [{"name": "domain-name", "data": "sub.example"}],
                 "require-client-classes": ["sub-req", "net-req"]},
                {"id": 2, "subnet": "198.51.100.0/26", "valid-lifetime": 1200,
                 "authoritative": false, "relay": {"ip-addresses": ["198.51.100.1"]}}
            ]
        }]
    }}"#;

    #[test]
    fn subnets_inherit_global_then_network_and_may_override() {
        let d = load4(&NET4.replace("\"require-client-classes-unused\": null,", ""));
        // Top-level subnets first, then the network's, in order.
        let ids: Vec<u32> = d.subnets.iter().map(|s| s.id).collect();
        assert_eq!(ids, [9, 1, 2]);
        let (plain, a, b) = (&d.subnets[0], &d.subnets[1], &d.subnets[2]);
        assert!(plain.network.is_none());
        assert_eq!(plain.valid_lifetime.default, 7200);
        assert!(!plain.authoritative);
        assert_eq!(
            a.valid_lifetime,
            Lifetime {
                default: 600,
                min: 600,
                max: 600
            }
        );
        assert_eq!(b.valid_lifetime.default, 1200);
        assert!(a.authoritative && !b.authoritative);
        assert!(!a.match_client_id && !b.match_client_id && plain.match_client_id);
        assert_eq!(a.renew_timer, Some(100));
        assert_eq!(a.next_server, Ipv4Addr::new(192, 0, 2, 250));
        assert_eq!(a.boot_file_name, "net.efi");
        assert_eq!(plain.boot_file_name, "");
        // The relay: inherited, or the subnet's own.
        assert_eq!(a.relay_addresses, [Ipv4Addr::new(192, 0, 2, 1)]);
        assert_eq!(b.relay_addresses, [Ipv4Addr::new(198, 51, 100, 1)]);
        assert!(plain.relay_addresses.is_empty());
        // Options stay by scope; the network's are shared by its subnets.
        let net = a.network.as_ref().unwrap_or_else(|| panic!("no network"));
        assert_eq!(net.name, "floor1");
        assert_eq!(net.options.len(), 1);
        assert_eq!(net.options[0].data, b"net.example");
        assert_eq!(a.options[0].data, b"sub.example");
        assert!(b.options.is_empty());
        assert!(std::ptr::eq(
            &**net,
            &**b.network.as_ref().unwrap_or_else(|| panic!("no network"))
        ));
        // The network's class guard stays the network's; required classes
        // are the network's, then the subnet's, each once.
        assert_eq!(net.client_classes, ["net-class"]);
        assert!(a.classes.client_classes.is_empty());
        assert_eq!(a.classes.required_classes, ["net-req", "sub-req"]);
        assert_eq!(b.classes.required_classes, ["net-req"]);
    }

    #[test]
    fn names_ids_prefixes_and_interfaces_are_checked_across_networks() {
        let p = problems(
            r#"{"Dhcp4": {
            "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}],
            "shared-networks": [
                {"name": "a", "interface": "eth0", "subnet4": [
                    {"id": 1, "subnet": "198.51.100.0/24"},
                    {"id": 2, "subnet": "192.0.2.128/25", "interface": "eth1"},
                    {"id": 3, "subnet": "203.0.113.0/26", "interface": "eth0"}
                ]},
                {"name": "a"},
                {"subnet4": []},
                {"name": "", "subnet4": [
                    {"id": 4, "subnet": "203.0.113.64/26", "interface": "eth2"},
                    {"id": 5, "subnet": "203.0.113.128/26", "interface": "eth3"}
                ]}
            ]
        }}"#,
        );
        assert_eq!(
            p,
            [
                "Dhcp4.shared-networks[0].subnet4[0].id: duplicate subnet id 1 (also used by Dhcp4.subnet4[0]): expected unique ids",
                "Dhcp4.shared-networks[0].subnet4[1].interface: interface `eth1` differs from `eth0` of Dhcp4.shared-networks[0]: expected the subnets of a shared network on one interface",
                "Dhcp4.shared-networks[0].subnet4[1].subnet: 192.0.2.128/25 overlaps 192.0.2.0/24 of Dhcp4.subnet4[0]: expected disjoint subnets",
                "Dhcp4.shared-networks[1].name: duplicate shared network name `a` (also used by Dhcp4.shared-networks[0]): expected unique names",
                "Dhcp4.shared-networks[2]: missing `name`: expected a name unique among the shared networks",
                "Dhcp4.shared-networks[3].name: empty name: expected a name unique among the shared networks",
                "Dhcp4.shared-networks[3].subnet4[1].interface: interface `eth3` differs from `eth2` of Dhcp4.shared-networks[3].subnet4[0]: expected the subnets of a shared network on one interface",
            ]
        );
    }

    #[test]
    fn network_scope_errors_and_unsupported_keys() {
        let p = problems(
            r#"{"Dhcp4": {"shared-networks": [{
                "name": "n", "renew-timer": 900, "valid-lifetime": 600,
                "t1-percent": 1.5, "next-server": "nope",
                "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "valid-lifetime": 1000}]
            }]}}"#,
        );
        assert_eq!(
            p,
            [
                "Dhcp4.shared-networks[0].next-server: `nope` is not an IPv4 address: expected e.g. \"192.0.2.1\"",
                "Dhcp4.shared-networks[0].renew-timer: renew-timer (900) must be less than valid-lifetime (600)",
                "Dhcp4.shared-networks[0].t1-percent: 1.5 is out of range: expected a number in (0, 1)",
            ]
        );
        // An inherited value is traced to where it was set.
        let p = problems(
            r#"{"Dhcp4": {"renew-timer": 100, "shared-networks": [{
                "name": "n", "valid-lifetime": 600,
                "subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "rebind-timer": 700}]
            }]}}"#,
        );
        assert_eq!(
            p,
            ["Dhcp4.shared-networks[0].subnet4[0].rebind-timer: rebind-timer (700) must be less than valid-lifetime (600, from Dhcp4.shared-networks[0])"]
        );
        let p = problems(
            r#"{"Dhcp6": {"preferred-lifetime": 900, "shared-networks": [{
                "name": "n", "valid-lifetime": 800,
                "subnet6": [{"id": 1, "subnet": "2001:db8::/64", "rapid-commit": true, "renew-timer": 10}]
            }]}}"#,
        );
        assert_eq!(
            p,
            ["Dhcp6.shared-networks[0].valid-lifetime: preferred-lifetime (900, from Dhcp6) is greater than valid-lifetime (800): expected preferred <= valid (RFC 8415 §21.6)"]
        );
        let p = problems(
            r#"{"Dhcp4": {"shared-networks": [{"name": "n", "allocator": "shared-flq"}]}}"#,
        );
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("Dhcp4.shared-networks[0].allocator: not supported yet"),
            "{p:?}"
        );
        let p =
            problems(r#"{"Dhcp4": {"shared-networks": [{"name": "n", "preferred-lifetime": 5}]}}"#);
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("Dhcp4.shared-networks[0].preferred-lifetime: unknown key"),
            "{p:?}"
        );
    }

    #[test]
    fn dhcp6_networks_inherit_lifetimes_rapid_commit_and_selectors() {
        let d = load6(
            r#"{"Dhcp6": {
            "preferred-lifetime": 3000, "valid-lifetime": 4000,
            "shared-networks": [{
                "name": "n6", "interface-id": "port-7", "rapid-commit": true,
                "preferred-lifetime": 200, "valid-lifetime": 300,
                "relay": {"ip-addresses": ["2001:db8:ff::1"]},
                "option-data": [{"name": "dns-servers", "data": "2001:db8::53"}],
                "subnet6": [
                    {"id": 1, "subnet": "2001:db8:1::/64"},
                    {"id": 2, "subnet": "2001:db8:2::/64", "rapid-commit": false,
                     "preferred-lifetime": 500, "valid-lifetime": 600}
                ]
            }],
            "subnet6": [{"id": 3, "subnet": "2001:db8:3::/64"}]
        }}"#,
        );
        let ids: Vec<u32> = d.subnets.iter().map(|s| s.id).collect();
        assert_eq!(ids, [3, 1, 2]);
        let (plain, a, b) = (&d.subnets[0], &d.subnets[1], &d.subnets[2]);
        assert_eq!(plain.preferred_lifetime.default, 3000);
        assert!(!plain.rapid_commit && a.rapid_commit && !b.rapid_commit);
        assert_eq!(
            (a.preferred_lifetime.default, a.valid_lifetime.default),
            (200, 300)
        );
        assert_eq!(
            (b.preferred_lifetime.default, b.valid_lifetime.default),
            (500, 600)
        );
        assert_eq!(a.interface_id.as_deref(), Some(&b"port-7"[..]));
        assert_eq!(b.relay_addresses.len(), 1);
        let net = a.network.as_ref().unwrap_or_else(|| panic!("no network"));
        assert_eq!((net.name.as_str(), net.options.len()), ("n6", 1));
        let p = problems(
            r#"{"Dhcp6": {"shared-networks": [{"name": "x", "subnet6": [{"id": 1, "subnet": "2001:db8::/64"}]}, {"name": "x", "subnet6": [{"id": 1, "subnet": "2001:db8::/64"}]}]}}"#,
        );
        assert_eq!(
            p,
            [
                "Dhcp6.shared-networks[1].name: duplicate shared network name `x` (also used by Dhcp6.shared-networks[0]): expected unique names",
                "Dhcp6.shared-networks[1].subnet6[0].id: duplicate subnet id 1 (also used by Dhcp6.shared-networks[0].subnet6[0]): expected unique ids",
                "Dhcp6.shared-networks[1].subnet6[0].subnet: 2001:db8::/64 is the same as 2001:db8::/64 of Dhcp6.shared-networks[0].subnet6[0]: expected disjoint subnets",
            ]
        );
    }
}
