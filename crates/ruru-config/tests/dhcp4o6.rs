//! DHCPv4-over-DHCPv6 (RFC 7341) keys: `dhcp4o6-port` in both sections and
//! the `4o6-*` subnet selectors, as Kea 2.2 takes them, with the values
//! Kea accepts but can never use refused at their place in the file.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::net::Ipv6Addr;

mod common;
use common::*;

#[test]
fn selectors_and_ports_load() {
    let c = ok(r#"{
"Dhcp4": { "dhcp4o6-port": 6767, "subnet4": [
  { "id": 1, "subnet": "192.0.2.0/24", "4o6-interface": "eth1",
    "4o6-interface-id": "port-7", "4o6-subnet": "2001:db8:1::/64" },
  { "id": 2, "subnet": "198.51.100.0/24", "4o6-interface": "" } ] },
"Dhcp6": { "dhcp4o6-port": 6767 } }"#);
    let d4 = c.dhcp4.unwrap();
    assert_eq!(d4.dhcp4o6_port, 6767);
    assert_eq!(c.dhcp6.unwrap().dhcp4o6_port, 6767);
    let s = &d4.subnets[0].dhcp4o6;
    assert_eq!(s.interface.as_deref(), Some("eth1"));
    assert_eq!(s.interface_id.as_deref(), Some(&b"port-7"[..]));
    assert_eq!(s.subnet, Some(("2001:db8:1::".parse().unwrap(), 64)));
    // An empty string is unset, as in Kea.
    assert!(!d4.subnets[1].dhcp4o6.enabled());

    // Kea's order: the source address, then the interface-id, then the
    // interface; any one matches.
    let inside: Ipv6Addr = "2001:db8:1::9".parse().unwrap();
    let outside: Ipv6Addr = "2001:db8:2::9".parse().unwrap();
    assert!(s.matches(inside, None, None));
    assert!(!s.matches(outside, None, None));
    assert!(s.matches(outside, Some(b"port-7"), None));
    assert!(!s.matches(outside, Some(b"port-8"), Some("eth0")));
    assert!(s.matches(outside, None, Some("eth1")));
}

#[test]
fn unusable_values_are_refused_where_they_are() {
    let line = r#"{ "id": 1, "subnet": "192.0.2.0/24", "4o6-subnet": "192.0.2.0/24" }"#;
    let d = err(&format!("{{\"Dhcp4\": {{\"subnet4\": [\n{line}\n]}}}}"));
    check(
        &d,
        2,
        line.find("\"192.0.2.0/24\" }").unwrap() + 1,
        "Dhcp4.subnet4[0].4o6-subnet",
        "expected an IPv6 prefix",
    );
    let d = err("{\"Dhcp4\": {\"subnet4\": [\n{ \"id\": 1, \"subnet\": \"192.0.2.0/24\", \"4o6-subnet\": \"2001:db8::/129\" }\n]}}");
    assert_eq!(d.path, "Dhcp4.subnet4[0].4o6-subnet");
    let d = err("{\"Dhcp6\": {\n\"dhcp4o6-port\": 65535\n}}");
    check(
        &d,
        2,
        17,
        "Dhcp6.dhcp4o6-port",
        "expected 1 to 65534, or 0 (off)",
    );
}
