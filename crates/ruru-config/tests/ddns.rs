//! The DHCP side of dynamic DNS in the configuration: `dhcp-ddns`, the
//! `ddns-*` and `hostname-char-*` keys at every level with Kea's
//! inheritance (global → shared network → subnet → pool), their errors,
//! Kea 1.x's keys inside `dhcp-ddns`, and Kea's `with-ddns.json` examples.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod common;

use common::*;
use ruru_config::{ConflictMode, ReplaceName};

fn v4(body: &str) -> String {
    format!("{{\"Dhcp4\": {{\n{body}}}}}")
}

#[test]
fn defaults_are_keas() {
    let c = ok(&v4(
        "\"subnet4\": [{\"id\": 1, \"subnet\": \"192.0.2.0/24\", \"pools\": [{\"pool\": \"192.0.2.10-192.0.2.20\"}]}]",
    ));
    let d = c.dhcp4.unwrap();
    assert!(!d.ddns_client.enable_updates);
    assert_eq!(d.ddns_client.server.to_string(), "127.0.0.1:53001");
    assert_eq!(d.ddns_client.max_queue_size, 1024);
    let p = &d.subnets[0].ddns;
    assert!(!p.enable_updates(), "dhcp-ddns is off by default");
    assert!(p.send_updates);
    assert_eq!(p.replace_client_name, ReplaceName::Never);
    assert_eq!(p.generated_prefix, "myhost");
    assert_eq!(p.qualifying_suffix, "");
    assert_eq!(p.conflict_mode, ConflictMode::CheckWithDhcid);
    let s = p.sanitizer.as_deref().unwrap();
    assert_eq!(s.scrub("a_b c"), "abc");
    assert!(std::sync::Arc::ptr_eq(p, &d.subnets[0].pools[0].ddns));
}

#[test]
fn parameters_inherit_down_to_pools() {
    let c = ok(&v4(r#"
        "dhcp-ddns": {"enable-updates": true, "server-ip": "127.0.0.1", "server-port": 53011},
        "ddns-qualifying-suffix": "example.org",
        "ddns-override-client-update": true,
        "ddns-conflict-resolution-mode": "no-check-with-dhcid",
        "hostname-char-replacement": "x",
        "shared-networks": [{
            "name": "net",
            "ddns-qualifying-suffix": "net.example.org",
            "subnet4": [{"id": 2, "subnet": "198.51.100.0/24",
                         "ddns-send-updates": false,
                         "pools": [{"pool": "198.51.100.10-198.51.100.20"}]}]
        }],
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
                     "ddns-generated-prefix": "dyn",
                     "pools": [{"pool": "192.0.2.10-192.0.2.20", "ddns-qualifying-suffix": "pool.example.org",
                                "ddns-ttl-percent": 0.5},
                               {"pool": "192.0.2.30-192.0.2.40"}]}]
    "#));
    let d = c.dhcp4.unwrap();
    assert_eq!(d.ddns_client.server.to_string(), "127.0.0.1:53011");
    let s1 = d.subnets.iter().find(|s| s.id == 1).unwrap();
    let s2 = d.subnets.iter().find(|s| s.id == 2).unwrap();
    assert!(s1.ddns.enable_updates());
    assert_eq!(s1.ddns.qualifying_suffix, "example.org");
    assert_eq!(s1.ddns.generated_prefix, "dyn");
    assert!(s1.ddns.override_client_update);
    assert_eq!(s1.ddns.conflict_mode, ConflictMode::NoCheckWithDhcid);
    assert_eq!(s1.ddns.sanitizer.as_deref().unwrap().scrub("a_b"), "axb");
    assert_eq!(s1.pools[0].ddns.qualifying_suffix, "pool.example.org");
    assert_eq!(s1.pools[0].ddns.generated_prefix, "dyn");
    assert_eq!(s1.pools[0].ddns.ttl_for(3600), 1800);
    assert_eq!(s1.pools[1].ddns.qualifying_suffix, "example.org");
    assert_eq!(s2.ddns.qualifying_suffix, "net.example.org");
    assert!(!s2.ddns.enable_updates(), "ddns-send-updates false");
    assert!(s2.ddns.override_client_update);
}

#[test]
fn kea_1_keys_in_dhcp_ddns_fill_in_the_globals() {
    let c = ok(&v4(r#"
        "dhcp-ddns": {"enable-updates": true, "qualifying-suffix": "old.example.org",
                      "replace-client-name": "always", "generated-prefix": "old"},
        "ddns-generated-prefix": "new",
        "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]
    "#));
    let p = &c.dhcp4.unwrap().subnets[0].ddns;
    assert_eq!(p.qualifying_suffix, "old.example.org");
    assert_eq!(p.replace_client_name, ReplaceName::Always);
    assert_eq!(p.generated_prefix, "new", "the global key wins");
}

#[test]
fn bad_values_are_refused_with_their_path() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "\"ddns-replace-client-name\": \"sometimes\"",
            "Dhcp4.ddns-replace-client-name",
            "unknown mode `sometimes`",
        ),
        (
            "\"subnet4\": [{\"id\": 1, \"subnet\": \"192.0.2.0/24\", \"ddns-conflict-resolution-mode\": \"maybe\"}]",
            "Dhcp4.subnet4[0].ddns-conflict-resolution-mode",
            "unknown mode `maybe`",
        ),
        (
            "\"hostname-char-set\": \"[a-\"",
            "Dhcp4.hostname-char-set",
            "invalid regular expression",
        ),
        (
            "\"ddns-ttl-percent\": 1.5",
            "Dhcp4.ddns-ttl-percent",
            "out of range",
        ),
        (
            "\"ddns-ttl\": 60, \"ddns-ttl-percent\": 0.5",
            "Dhcp4.ddns-ttl",
            "given with `ddns-ttl-percent`",
        ),
        (
            "\"dhcp-ddns\": {\"server-ip\": \"nowhere\"}",
            "Dhcp4.dhcp-ddns.server-ip",
            "not an IP address",
        ),
        (
            "\"dhcp-ddns\": {\"server-ip\": \"::1\", \"sender-ip\": \"127.0.0.1\"}",
            "Dhcp4.dhcp-ddns.sender-ip",
            "not of the family",
        ),
        (
            "\"dhcp-ddns\": {\"ncr-format\": \"XML\"}",
            "Dhcp4.dhcp-ddns.ncr-format",
            "expected \"JSON\"",
        ),
        (
            "\"dhcp-ddns\": {\"ncr-protocol\": \"TCP\"}",
            "Dhcp4.dhcp-ddns.ncr-protocol",
            "not supported yet",
        ),
        (
            "\"ddns-qualifying-suffix\": \"a..b\"",
            "Dhcp4.ddns-qualifying-suffix",
            "not a valid domain name",
        ),
    ];
    for (body, path, msg) in cases {
        let d = err(&v4(body));
        assert_eq!(d.path, *path, "{d}");
        assert!(d.message.contains(msg), "{d}");
    }
}

#[test]
fn dhcpv6_scopes_have_them_too() {
    let c = ok(r#"{"Dhcp6": {
        "dhcp-ddns": {"enable-updates": true},
        "ddns-qualifying-suffix": "example.org",
        "subnet6": [{"id": 1, "subnet": "2001:db8:1::/64", "ddns-update-on-renew": true,
                     "pools": [{"pool": "2001:db8:1::100-2001:db8:1::1ff", "ddns-send-updates": false}]}]
    }}"#);
    let d = c.dhcp6.unwrap();
    assert!(d.ddns_client.enable_updates);
    assert!(d.subnets[0].ddns.enable_updates());
    assert!(d.subnets[0].ddns.update_on_renew);
    assert!(!d.subnets[0].pools[0].ddns.enable_updates());
    assert_eq!(d.subnets[0].pools[0].ddns.qualifying_suffix, "example.org");
}

/// Kea 2.2's `kea4/with-ddns.json` and `kea6/with-ddns.json` load with
/// their values.
#[test]
fn kea_with_ddns_examples() {
    let Some(dir) = kea_examples("kea_with_ddns_examples", "kea4/with-ddns.json") else {
        return;
    };
    let c4 = ruru_config::load(&dir.join("kea4/with-ddns.json")).unwrap();
    let d = c4.dhcp4.unwrap();
    assert_eq!(d.ddns_client.server.to_string(), "192.0.2.0:3432");
    assert_eq!(d.ddns_client.sender.to_string(), "192.0.2.1:3433");
    assert_eq!(d.ddns_client.max_queue_size, 2048);
    let p = &d.subnets[0].ddns;
    assert!(p.enable_updates() && p.override_no_update && p.override_client_update);
    assert_eq!(p.replace_client_name, ReplaceName::WhenPresent);
    assert_eq!(p.generated_prefix, "test.prefix");
    assert_eq!(p.qualifying_suffix, "test.suffix.");
    assert_eq!(p.sanitizer.as_deref().unwrap().scrub("a_b"), "axb");
    let c6 = ruru_config::load(&dir.join("kea6/with-ddns.json")).unwrap();
    let d = c6.dhcp6.unwrap();
    assert_eq!(d.ddns_client.server.to_string(), "[3001::1]:3432");
    assert!(d.subnets[0].ddns.enable_updates());
}
