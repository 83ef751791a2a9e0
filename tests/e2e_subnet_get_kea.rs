//! End-to-end: `subnetX-get` and `networkX-get` answer with the subnet
//! and the shared network as Kea 2.2 holds them, defaults filled in.
//! kea-dhcp4 and kea-dhcp6 (Debian's Kea 2.2) run the same configuration;
//! their `config-get` gives each subnet and network as Kea's subnet_cmds
//! returns it (the same elements), and ruru's answers must be equal to
//! them. SKIP when Kea is not installed (failure under RURU_REQUIRE_ALL=1).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::kea::Kea;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The `DhcpX` body both servers run (without sockets and loggers).
const BODY4: &str = r#"
    "valid-lifetime": 4000, "max-valid-lifetime": 9000, "renew-timer": 1000,
    "rebind-timer": 2000, "authoritative": true, "boot-file-name": "x.efi",
    "match-client-id": false, "cache-threshold": 0.25, "t1-percent": 0.4,
    "option-def": [ { "name": "site-code", "code": 222, "type": "uint16" } ],
    "option-data": [ { "name": "domain-name", "data": "global.example" } ],
    "shared-networks": [ {
      "name": "floor1", "valid-lifetime": 3000, "interface": "lo",
      "option-data": [ { "name": "routers", "data": "198.51.100.1" } ],
      "subnet4": [ { "id": 2, "subnet": "198.51.100.0/24", "renew-timer": 100,
                     "pools": [ { "pool": "198.51.100.10 - 198.51.100.20",
                                  "option-data": [ { "code": 222, "data": "7" } ] } ] },
                   { "id": 3, "subnet": "203.0.113.0/24", "max-valid-lifetime": 8000 } ]
    } ],
    "subnet4": [ {
      "id": 1, "subnet": "192.0.2.0/24", "interface": "lo",
      "relay": { "ip-addresses": ["192.0.2.254"] },
      "pools": [ { "pool": "192.0.2.10 - 192.0.2.20" }, { "pool": "192.0.2.64/28" },
                 { "pool": "192.0.2.99 - 192.0.2.99", "comment": "one" } ],
      "option-data": [ { "name": "routers", "data": "192.0.2.1" },
                       { "code": 6, "data": "C0000201", "csv-format": false },
                       { "name": "site-code", "data": "5" } ],
      "reservations": [ { "hw-address": "02:00:00:00:00:01", "ip-address": "192.0.2.5",
                          "hostname": "pc1", "comment": "desk",
                          "user-context": { "asset": 7 } } ],
      "comment": "lab", "user-context": { "floor": 0 }
    } ]"#;

const BODY6: &str = r#"
    "server-id": { "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false },
    "preferred-lifetime": 3000, "valid-lifetime": 7000, "min-valid-lifetime": 1000,
    "rebind-timer": 50,
    "cache-max-age": 100,
    "shared-networks": [ {
      "name": "cpe", "interface": "lo", "valid-lifetime": 5000,
      "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64",
                     "pd-pools": [ { "prefix": "2001:db8:9::", "prefix-len": 48,
                                     "delegated-len": 56 } ] } ]
    } ],
    "subnet6": [ {
      "id": 2, "subnet": "2001:db8:2::/64", "valid-lifetime": 6000,
      "pools": [ { "pool": "2001:db8:2::/120" },
                 { "pool": "2001:db8:2::1:0 - 2001:db8:2::1:ff" } ],
      "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ],
      "reservations": [ { "duid": "01:02:03:04", "ip-addresses": ["2001:db8:2::5"] } ]
    } ]"#;

/// Kea's `config-get` of `body` in family `v` (4 or 6), or `None` (SKIP)
/// without Kea.
fn kea_section(v: u8, body: &str, test: &str) -> Option<Value> {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("kea.sock");
    let (interfaces, name) = match v {
        4 => (r#"["lo"], "dhcp-socket-type": "udp""#, "kea-dhcp4"),
        _ => (r#"["lo/::1"]"#, "kea-dhcp6"),
    };
    let config = format!(
        r#"{{ "Dhcp{v}": {{
    "interfaces-config": {{ "interfaces": {interfaces} }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "{}" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "loggers": [ {{ "name": "{name}", "severity": "INFO",
                    "output_options": [ {{ "output": "stdout" }} ] }} ],
    {body}
}} }}"#,
        sock.display()
    );
    let args = ["-p".to_string(), free_port().to_string()];
    let started = if v == 4 {
        "DHCP4_STARTED"
    } else {
        "DHCP6_STARTED"
    };
    let package = if v == 4 {
        "kea-dhcp4-server"
    } else {
        "kea-dhcp6-server"
    };
    let bin = if v == 4 { "kea-dhcp4" } else { "kea-dhcp6" };
    let kea = Kea::start(bin, package, &config, &args, started, test)?;
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    let got = unix_cmd(&sock, &json!({"command": "config-get"}));
    drop(kea);
    Some(got["arguments"][format!("Dhcp{v}")].clone())
}

/// ruru on `body` in family `v`.
fn ruru(v: u8, body: &str) -> Server {
    let interfaces = if v == 4 {
        r#"["lo"], "dhcp-socket-type": "udp""#
    } else {
        r#"["lo"]"#
    };
    Server::start(&format!(
        r#"{{ "Dhcp{v}": {{
    "interfaces-config": {{ "interfaces": {interfaces} }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    {body}
}} }}"#
    ))
}

fn same_as_kea(v: u8, body: &str, test: &str) {
    let Some(kea) = kea_section(v, body, test) else {
        return;
    };
    let srv = ruru(v, body);
    let sock = srv.path("ctl.sock");
    assert!(wait_until(Duration::from_secs(5), || sock.exists()));
    let key = format!("subnet{v}");
    let mut kea_subnets: Vec<Value> = kea[&key].as_array().cloned().unwrap_or_default();
    for n in kea["shared-networks"].as_array().into_iter().flatten() {
        kea_subnets.extend(n[&key].as_array().cloned().unwrap_or_default());
        let name = n["name"].as_str().unwrap();
        let got = unix_cmd(
            &sock,
            &json!({"command": format!("network{v}-get"), "arguments": {"name": name}}),
        );
        assert_eq!(got["result"], 0, "{got}");
        assert_eq!(
            got["arguments"]["shared-networks"][0], *n,
            "network {name}: ruru's (left) and Kea's (right)"
        );
    }
    assert!(!kea_subnets.is_empty());
    for s in &kea_subnets {
        let id = s["id"].as_u64().unwrap();
        let got = unix_cmd(
            &sock,
            &json!({"command": format!("subnet{v}-get"), "arguments": {"id": id}}),
        );
        assert_eq!(got["result"], 0, "{got}");
        assert_eq!(
            got["arguments"][&key][0], *s,
            "subnet {id}: ruru's (left) and Kea's (right)"
        );
    }
}

#[test]
fn subnet4_get_answers_as_kea() {
    same_as_kea(4, BODY4, "subnet4_get_as_kea");
}

#[test]
fn subnet6_get_answers_as_kea() {
    same_as_kea(6, BODY6, "subnet6_get_as_kea");
}
