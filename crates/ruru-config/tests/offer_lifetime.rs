//! Kea 2.6's DHCPv4 keys `offer-lifetime` (global, shared-network, subnet
//! and class levels) and `stash-agent-options` (global only).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;
use common::*;

#[test]
fn offer_lifetime_is_inherited_global_network_subnet() {
    let c = ok(r#"{"Dhcp4": {
  "offer-lifetime": 60,
  "subnet4": [
    { "id": 1, "subnet": "192.0.2.0/24" },
    { "id": 2, "subnet": "198.51.100.0/24", "offer-lifetime": 0 }
  ],
  "shared-networks": [ { "name": "n", "offer-lifetime": 90,
    "subnet4": [ { "id": 3, "subnet": "203.0.113.0/25" },
                 { "id": 4, "subnet": "203.0.113.128/25", "offer-lifetime": 30 } ] } ],
  "client-classes": [ { "name": "c", "offer-lifetime": 15 } ]
}}"#);
    let d = c.dhcp4.unwrap();
    let by_id = |id| {
        d.subnets
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .offer_lifetime
    };
    assert_eq!([by_id(1), by_id(2), by_id(3), by_id(4)], [60, 0, 90, 30]);
    assert_eq!(d.client_classes[0].offer_lifetime, Some(15));
    // DHCPv4 only, as in Kea.
    let e = err(r#"{"Dhcp6": {"offer-lifetime": 60}}"#);
    assert!(e.message.contains("unknown key `offer-lifetime`"), "{e}");
}

#[test]
fn stash_agent_options_is_global_only() {
    let c = ok(r#"{"Dhcp4": {"stash-agent-options": true}}"#);
    assert!(c.dhcp4.unwrap().stash_agent_options);
    assert!(!ok(r#"{"Dhcp4": {}}"#).dhcp4.unwrap().stash_agent_options);
    let e = err(
        r#"{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24", "stash-agent-options": true}]}}"#,
    );
    assert!(
        e.message.contains("unknown key `stash-agent-options`"),
        "{e}"
    );
    let e = err(r#"{"Dhcp4": {"stash-agent-options": 1}}"#);
    assert!(e.message.contains("invalid type"), "{e}");
}
