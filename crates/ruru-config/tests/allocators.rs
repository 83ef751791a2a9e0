//! Kea 2.4's `allocator` (both families) and `pd-allocator` (DHCPv6):
//! global, shared-network and subnet levels, inherited downwards.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;
use common::*;
use ruru_config::Allocator;

#[test]
fn allocators_are_inherited_global_network_subnet() {
    let c = ok(r#"{
"Dhcp4": {
  "allocator": "random",
  "subnet4": [
    { "id": 1, "subnet": "192.0.2.0/24" },
    { "id": 2, "subnet": "198.51.100.0/24", "allocator": "iterative" }
  ],
  "shared-networks": [ { "name": "n", "allocator": "iterative",
    "subnet4": [ { "id": 3, "subnet": "203.0.113.0/25" },
                 { "id": 4, "subnet": "203.0.113.128/25", "allocator": "random" } ] } ]
},
"Dhcp6": {
  "pd-allocator": "random",
  "subnet6": [
    { "id": 1, "subnet": "2001:db8:1::/64" },
    { "id": 2, "subnet": "2001:db8:2::/64", "allocator": "random", "pd-allocator": "iterative" }
  ],
  "shared-networks": [ { "name": "n", "allocator": "random",
    "subnet6": [ { "id": 3, "subnet": "2001:db8:3::/64" } ] } ]
}
}"#);
    let by_id4 = |id| {
        let d = c.dhcp4.as_ref().unwrap();
        d.subnets.iter().find(|s| s.id == id).unwrap().allocator
    };
    assert_eq!(by_id4(1), Allocator::Random);
    assert_eq!(by_id4(2), Allocator::Iterative);
    assert_eq!(by_id4(3), Allocator::Iterative);
    assert_eq!(by_id4(4), Allocator::Random);
    let by_id6 = |id| {
        let d = c.dhcp6.as_ref().unwrap();
        let s = d.subnets.iter().find(|s| s.id == id).unwrap();
        (s.allocator, s.pd_allocator)
    };
    assert_eq!(by_id6(1), (Allocator::Iterative, Allocator::Random));
    assert_eq!(by_id6(2), (Allocator::Random, Allocator::Iterative));
    assert_eq!(by_id6(3), (Allocator::Random, Allocator::Random));
}

#[test]
fn flq_where_kea_has_it_and_unknown_allocators_refused() {
    let c = ok(r#"{"Dhcp4": { "allocator": "flq" }, "Dhcp6": { "pd-allocator": "flq" } }"#);
    assert!(c.dhcp4.is_some() && c.dhcp6.is_some());
    let d = errs(
        r#"{"Dhcp4": { "allocator": "shared-flq",
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "allocator": "randm" } ] },
"Dhcp6": { "allocator": "flq" } }"#,
    );
    assert_eq!(d.len(), 3, "{d:#?}");
    check(&d[0], 1, 13, "Dhcp4.allocator", "not supported yet");
    check(
        &d[1],
        2,
        66,
        "Dhcp4.subnet4[0].allocator",
        "`randm` is not an allocator",
    );
    check(
        &d[2],
        3,
        25,
        "Dhcp6.allocator",
        "not supported for IPv6 address pools",
    );
    // In the wrong family: pd-allocator is DHCPv6's only.
    let d = err(r#"{"Dhcp4": { "pd-allocator": "random" } }"#);
    assert!(d.message.contains("unknown key `pd-allocator`"), "{d}");
}
