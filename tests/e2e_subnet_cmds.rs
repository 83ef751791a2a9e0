//! End-to-end tests of Kea's subnet_cmds built into ruru, with the real
//! binary: subnets and shared networks added, changed and removed over the
//! UNIX control socket take effect for the next DHCP packet, without a
//! restart, in both families; a refused change leaves the running
//! configuration serving. DHCPv4 goes through loopback relays (each
//! subnet picks its relay by `relay.ip-addresses`), DHCPv6 through the
//! relay at [::1]:547 (link-address 2001:db8:1::1, see tests/common/v6.rs).
//! Binding ports 67/547 needs root: SKIP otherwise, failure under
//! RURU_REQUIRE_ALL=1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::time::Duration;

use common::v6::*;
use common::*;
use dhcproto::v6;
use serde_json::{json, Value};

fn config4(relay_a: Ipv4Addr) -> String {
    format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600,
    "hooks-libraries": [ {{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_subnet_cmds.so" }} ],
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.149" }} ],
      "relay": {{ "ip-addresses": ["{relay_a}"] }}
    }} ]
}} }}"#
    )
}

fn cmd(sock: &Path, command: &str, args: Value) -> Value {
    unix_cmd(sock, &json!({ "command": command, "arguments": args }))
}

/// Runs a command that must succeed (result 0).
fn ok(sock: &Path, command: &str, args: Value) -> Value {
    let a = cmd(sock, command, args);
    assert_eq!(a["result"], 0, "{command}: {a}");
    a
}

/// Runs a command that must be refused (result 1) with `needle` in its text.
fn refused(sock: &Path, command: &str, args: Value, needle: &str) {
    let a = cmd(sock, command, args);
    assert_eq!(a["result"], 1, "{command} should be refused: {a}");
    let text = a["text"].as_str().unwrap_or_default();
    assert!(
        text.contains(needle),
        "{command}: {text:?} lacks {needle:?}"
    );
}

fn in_new_pool(a: Ipv4Addr) -> bool {
    a.octets()[..3] == [198, 51, 100] && (10..=20).contains(&a.octets()[3])
}

/// `subnet4-add` serves at once; bad subnets are refused while the running
/// ones keep serving; `subnet4-delta-add` adds an option; `network4-add` +
/// `network4-subnet-add` move the subnet into a shared network;
/// `config-get` shows each change; `subnet4-del` stops serving it and
/// keeps its leases.
#[test]
fn subnet4_commands_change_what_is_served() {
    let test = "subnet_cmds_v4";
    let (na, nb) = ("subnet_cmds_v4_a", "subnet_cmds_v4_b");
    if !can_bind_67(na) || !can_bind_67(nb) {
        return;
    }
    let (ra, rb) = (relay_addr_for(na), relay_addr_for(nb));
    assert_ne!(ra, rb, "{test}: two relay addresses");
    let srv = Server::start(&config4(ra));
    let sock = srv.path("ctl.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let relay_a = Relay::new(ra, srv.port);
    let relay_b = Relay::new(rb, srv.port);

    // The commands are listed.
    let l = ok(&sock, "list-commands", json!({}));
    for c in [
        "subnet4-add",
        "subnet4-delta-del",
        "network4-subnet-del",
        "subnet4-list",
    ] {
        assert!(
            l["arguments"].as_array().unwrap().contains(&json!(c)),
            "{c} listed: {l}"
        );
    }

    // No subnet behind relay B yet: no answer.
    let mut early = Client::new(1, rb);
    assert!(
        relay_b.exchange(&early.discover()).is_none(),
        "no subnet for relay B yet"
    );

    // Add it, without an id: numbered after the highest (1).
    let a = ok(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ {
            "subnet": "198.51.100.0/24",
            "pools": [ { "pool": "198.51.100.10 - 198.51.100.20" } ],
            "relay": { "ip-addresses": [ rb.to_string() ] }
        } ] }),
    );
    assert_eq!(a["text"], "IPv4 subnet added");
    assert_eq!(
        a["arguments"]["subnets"],
        json!([{ "id": 2, "subnet": "198.51.100.0/24" }])
    );

    // A relayed DORA now gets an address of the new pool.
    let mut c1 = Client::new(2, rb);
    let got = c1.dora(&relay_b);
    assert!(in_new_pool(got), "{got} from the added subnet");

    let l = ok(&sock, "subnet4-list", json!({}));
    assert_eq!(l["text"], "2 IPv4 subnets found");
    // Its statistics exist, as after a reload: 11 addresses, 1 assigned.
    let st = ok(
        &sock,
        "statistic-get",
        json!({ "name": "subnet[2].total-addresses" }),
    );
    assert_eq!(
        st["arguments"]["subnet[2].total-addresses"][0][0], 11,
        "{st}"
    );
    let st = ok(
        &sock,
        "statistic-get",
        json!({ "name": "subnet[2].assigned-addresses" }),
    );
    assert_eq!(
        st["arguments"]["subnet[2].assigned-addresses"][0][0], 1,
        "{st}"
    );
    let cfg = ok(&sock, "config-get", json!({}));
    assert_eq!(
        cfg["arguments"]["Dhcp4"]["subnet4"][1]["subnet"],
        "198.51.100.0/24"
    );
    assert_eq!(cfg["arguments"]["Dhcp4"]["subnet4"][1]["id"], 2);

    // Refused: an overlapping subnet, a pool outside its subnet, an id or
    // a prefix in use. Nothing changes.
    refused(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 3, "subnet": "198.51.100.128/25" } ] }),
        "overlaps",
    );
    refused(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 3, "subnet": "203.0.113.0/24",
                               "pools": [ { "pool": "203.0.114.1 - 203.0.114.9" } ] } ] }),
        "is not inside subnet",
    );
    refused(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 2, "subnet": "203.0.113.0/24" } ] }),
        "ID of the new IPv4 subnet '2' is already in use",
    );
    refused(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 3, "subnet": "198.51.100.0/24" } ] }),
        "subnet with the prefix of '198.51.100.0/24' already exists",
    );
    refused(
        &sock,
        "subnet4-update",
        json!({ "subnet4": [ { "id": 2, "subnet": "198.51.100.0/24",
                               "pools": [ { "pool": "10.0.0.1 - 10.0.0.9" } ] } ] }),
        "is not inside subnet",
    );
    let l = ok(&sock, "subnet4-list", json!({}));
    assert_eq!(
        l["arguments"]["subnets"].as_array().unwrap().len(),
        2,
        "{l}"
    );
    let mut c0 = Client::new(3, ra);
    let old = c0.dora(&relay_a);
    assert_eq!(
        old.octets()[..3],
        [192, 0, 2],
        "the first subnet still serves"
    );
    let mut c2 = Client::new(4, rb);
    assert!(
        in_new_pool(c2.dora(&relay_b)),
        "the added subnet still serves"
    );

    // delta-add: a routers option for the added subnet.
    let a = ok(
        &sock,
        "subnet4-delta-add",
        json!({ "subnet4": [ { "id": 2, "subnet": "198.51.100.0/24",
            "option-data": [ { "name": "routers", "data": "198.51.100.1" } ] } ] }),
    );
    assert_eq!(a["text"], "IPv4 subnet updated");
    let mut c3 = Client::new(5, rb);
    let offer = relay_b.exchange(&c3.discover()).expect("OFFER");
    assert_eq!(
        raw_option(&encode(&offer), 3),
        Some(vec![198, 51, 100, 1]),
        "routers from the delta"
    );

    // A shared network, then the subnet moved into it.
    let a = ok(
        &sock,
        "network4-add",
        json!({ "shared-networks": [ { "name": "floor13" } ] }),
    );
    assert_eq!(a["text"], "A new IPv4 shared network 'floor13' added");
    let a = ok(
        &sock,
        "network4-subnet-add",
        json!({ "name": "floor13", "id": 2 }),
    );
    assert_eq!(
        a["text"],
        "IPv4 subnet 198.51.100.0/24 (id 2) is now part of shared network 'floor13'"
    );
    let cfg = ok(&sock, "config-get", json!({}));
    let d4 = &cfg["arguments"]["Dhcp4"];
    assert_eq!(d4["shared-networks"][0]["name"], "floor13");
    assert_eq!(d4["shared-networks"][0]["subnet4"][0]["id"], 2);
    assert_eq!(d4["subnet4"].as_array().unwrap().len(), 1, "{d4}");
    let g = ok(&sock, "network4-get", json!({ "name": "floor13" }));
    assert_eq!(
        g["arguments"]["shared-networks"][0]["subnet4"][0]["subnet"],
        "198.51.100.0/24"
    );
    let l = ok(&sock, "subnet4-list", json!({}));
    assert_eq!(
        l["arguments"]["subnets"][1]["shared-network-name"],
        "floor13"
    );
    let mut c4 = Client::new(6, rb);
    assert!(
        in_new_pool(c4.dora(&relay_b)),
        "served from inside the shared network"
    );

    // Delete it: no more addresses behind relay B; its leases stay.
    let a = ok(&sock, "subnet4-del", json!({ "id": 2 }));
    assert_eq!(a["text"], "IPv4 subnet 198.51.100.0/24 (id 2) deleted");
    let mut c5 = Client::new(7, rb);
    assert!(
        relay_b.exchange(&c5.discover()).is_none(),
        "no subnet for relay B any more"
    );
    // A client of the deleted subnet asking for its address again is in no
    // subnet: dropped, as Kea drops it.
    let again = relay_b.exchange(&c1.request_init_reboot(got));
    assert!(again.is_none(), "no answer in a deleted subnet: {again:?}");
    let lease = cmd(
        &sock,
        "lease4-get",
        json!({ "ip-address": got.to_string() }),
    );
    assert_eq!(lease["result"], 0, "the lease is kept: {lease}");
    assert_eq!(lease["arguments"]["subnet-id"], 2);
    let a = cmd(&sock, "subnet4-get", json!({ "id": 2 }));
    assert_eq!(a["result"], 3, "{a}");
    // Its statistics go with it, as in Kea; subnet 1's stay.
    let all = ok(&sock, "statistic-get-all", json!({}));
    let names: Vec<&String> = all["arguments"].as_object().unwrap().keys().collect();
    assert!(
        !names.iter().any(|n| n.starts_with("subnet[2].")),
        "no statistics of the deleted subnet: {names:?}"
    );
    assert!(names
        .iter()
        .any(|n| n.as_str() == "subnet[1].total-addresses"));
    let cfg = ok(&sock, "config-get", json!({}));
    assert_eq!(
        cfg["arguments"]["Dhcp4"]["shared-networks"][0]["subnet4"],
        json!([])
    );

    // The network goes too; the first subnet still serves throughout.
    ok(&sock, "network4-del", json!({ "name": "floor13" }));
    assert_eq!(cmd(&sock, "network4-list", json!({}))["result"], 3);
    let mut c6 = Client::new(8, ra);
    assert_eq!(c6.dora(&relay_a).octets()[..3], [192, 0, 2]);
}

fn config6() -> String {
    r#"{ "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctl6.sock" },
    "lease-database": { "type": "memfile", "persist": false },
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "subnet6": [
      { "id": 5, "subnet": "2001:db8:5::/64",
        "pools": [ { "pool": "2001:db8:5::100 - 2001:db8:5::1ff" } ] }
    ]
} }"#
        .to_string()
}

/// `subnet6-add` of the relay's link (2001:db8:1::/64): a relayed Solicit
/// gets an address from it without a restart; `subnet6-del` stops that;
/// `network6-add` with the subnet inside serves it again.
#[test]
fn subnet6_add_serves_a_relayed_solicit() {
    let _guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock6) = bind_relay("subnet_cmds_v6") else {
        return;
    };
    let srv = Server::start(&config6());
    let relay = Relay6::new(sock6, srv.port);
    let sock = srv.path("ctl6.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let solicit = |n: u8| relay.exchange(&msg(1, n, None, &[ia_na(1, None)]));
    assert!(
        solicit(1).and_then(|m| addr_of(&m)).is_none(),
        "no address for the relay's link yet"
    );
    let a = ok(
        &sock,
        "subnet6-add",
        json!({ "subnet6": [ { "id": 9, "subnet": "2001:db8:1::/64",
            "pools": [ { "pool": "2001:db8:1::100 - 2001:db8:1::1ff" } ] } ] }),
    );
    assert_eq!(a["text"], "IPv6 subnet added");
    assert_eq!(
        a["arguments"]["subnets"],
        json!([{ "id": 9, "subnet": "2001:db8:1::/64" }])
    );
    let adv = solicit(2).expect("ADVERTISE");
    assert_eq!(adv.msg_type(), v6::MessageType::Advertise);
    let got = addr_of(&adv).expect("an address");
    let lo: Ipv6Addr = "2001:db8:1::100".parse().unwrap();
    let hi: Ipv6Addr = "2001:db8:1::1ff".parse().unwrap();
    assert!((lo..=hi).contains(&got), "{got} from the added subnet");
    let l = ok(&sock, "subnet6-list", json!({}));
    assert_eq!(l["text"], "2 IPv6 subnets found");
    // Deleted: the link has no subnet again.
    let a = ok(&sock, "subnet6-del", json!({ "id": 9 }));
    assert_eq!(a["text"], "IPv6 subnet 2001:db8:1::/64 (id 9) deleted");
    assert!(
        solicit(3).and_then(|m| addr_of(&m)).is_none(),
        "no address once the subnet is deleted"
    );
    // Back inside a new shared network: served again, from its pool.
    let a = ok(
        &sock,
        "network6-add",
        json!({ "shared-networks": [ { "name": "lab", "subnet6": [ { "subnet": "2001:db8:1::/64",
            "pools": [ { "pool": "2001:db8:1::200 - 2001:db8:1::2ff" } ] } ] } ] }),
    );
    assert_eq!(a["text"], "A new IPv6 shared network 'lab' added");
    let adv = solicit(4).expect("ADVERTISE");
    let got = addr_of(&adv).expect("an address");
    let lo: Ipv6Addr = "2001:db8:1::200".parse().unwrap();
    let hi: Ipv6Addr = "2001:db8:1::2ff".parse().unwrap();
    assert!((lo..=hi).contains(&got), "{got} from the network's subnet");
    let cfg = ok(&sock, "config-get", json!({}));
    let net = &cfg["arguments"]["Dhcp6"]["shared-networks"][0];
    assert_eq!(net["name"], "lab");
    // Numbered after the highest id in use (5; 9 was deleted).
    assert_eq!(net["subnet6"][0]["id"], 6);
    let n = ok(&sock, "network6-list", json!({}));
    assert_eq!(n["text"], "1 IPv6 network(s) found");
    ok(
        &sock,
        "network6-del",
        json!({ "name": "lab", "subnets-action": "delete" }),
    );
    let n = cmd(&sock, "network6-list", json!({}));
    assert_eq!(
        (n["result"].as_i64(), n["text"].as_str()),
        (Some(3), Some("0 IPv6 network(s) found"))
    );
}

/// Subnets, classes and reservations added by many clients at once are all
/// kept: each command edits the configuration the previous one left (no
/// change is lost, whichever kind of command made it). Needs no root (no
/// DHCP traffic).
#[test]
fn concurrent_edits_are_all_kept() {
    let srv = Server::start(&config4(Ipv4Addr::new(127, 0, 0, 1)));
    let sock = srv.path("ctl.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let workers: Vec<_> = (0..12u8)
        .map(|i| {
            let sock = sock.clone();
            std::thread::spawn(move || match i % 3 {
                0 => ok(
                    &sock,
                    "subnet4-add",
                    json!({ "subnet4": [ { "id": 100 + u32::from(i), "subnet": format!("203.0.113.{}/29", i * 8) } ] }),
                ),
                1 => ok(
                    &sock,
                    "class-add",
                    json!({ "client-classes": [ { "name": format!("c{i}"), "test": format!("option[60].hex == 'x{i}'") } ] }),
                ),
                _ => ok(
                    &sock,
                    "reservation-add",
                    json!({ "reservation": { "subnet-id": 1, "hw-address": format!("02:00:00:00:01:{i:02x}"),
                                             "ip-address": format!("192.0.2.{}", 20 + i) } }),
                ),
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let cfg = ok(&sock, "config-get", json!({}));
    let d4 = &cfg["arguments"]["Dhcp4"];
    assert_eq!(d4["subnet4"].as_array().unwrap().len(), 5, "{d4}");
    assert_eq!(d4["client-classes"].as_array().unwrap().len(), 4, "{d4}");
    assert_eq!(
        d4["subnet4"][0]["reservations"].as_array().unwrap().len(),
        4,
        "{d4}"
    );
    let l = ok(&sock, "subnet4-list", json!({}));
    assert_eq!(l["text"], "5 IPv4 subnets found", "{l}");
}

/// Subnets configured without an id keep the ids they were numbered with
/// when a subnet with a higher id is added (Kea numbers subnets without an
/// id after the highest explicit one, which would otherwise renumber
/// them). Needs no root.
#[test]
fn auto_numbered_subnets_keep_their_ids() {
    let config = r#"{ "Dhcp4": {
    "interfaces-config": { "interfaces": ["lo"], "dhcp-socket-type": "udp" },
    "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
    "lease-database": { "type": "memfile", "persist": false },
    "subnet4": [ { "subnet": "192.0.2.0/24" }, { "subnet": "198.51.100.0/24" } ]
} }"#;
    let srv = Server::start(config);
    let sock = srv.path("ctl.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let before = ok(&sock, "subnet4-list", json!({}));
    ok(
        &sock,
        "subnet4-add",
        json!({ "subnet4": [ { "id": 50, "subnet": "203.0.113.0/24" } ] }),
    );
    let after = ok(&sock, "subnet4-list", json!({}));
    let ids = |l: &Value| -> Vec<Value> {
        l["arguments"]["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].clone())
            .collect()
    };
    assert_eq!(ids(&before), vec![json!(1), json!(2)]);
    assert_eq!(ids(&after), vec![json!(1), json!(2), json!(50)]);
    let cfg = ok(&sock, "config-get", json!({}));
    assert_eq!(cfg["arguments"]["Dhcp4"]["subnet4"][1]["id"], 2);
}

/// The subnet commands under traffic (issue 17): while another subnet is
/// added, changed, given an option and removed, again and again, the
/// clients of the untouched subnet keep being served without a lost
/// exchange: every DISCOVER and REQUEST is answered at the first try
/// (`Client::dora` fails on a missing reply).
#[test]
fn subnet_commands_under_traffic_lose_no_exchange() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let test = "subnet_cmds_traffic";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let sock = srv.path("ctl.sock");
    assert!(
        wait_until(Duration::from_secs(5), || sock.exists()),
        "control socket created"
    );
    let port = srv.port;
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let relay = Relay::new(ra, port);
            let mut served = 0u32;
            while !stop.load(Ordering::Relaxed) {
                // 40 clients in turn: new leases, then renewals of theirs.
                let mut c = Client::new((served % 40) as u8 + 1, ra);
                let a = c.dora(&relay);
                assert_eq!(a.octets()[..3], [192, 0, 2], "client {served}: {a}");
                served += 1;
            }
            served
        })
    };
    for round in 0..20u32 {
        let id = 10 + round;
        ok(
            &sock,
            "subnet4-add",
            json!({ "subnet4": [ { "id": id, "subnet": "198.51.100.0/24",
                "pools": [ { "pool": "198.51.100.10 - 198.51.100.20" } ],
                "relay": { "ip-addresses": ["203.0.113.77"] } } ] }),
        );
        ok(
            &sock,
            "subnet4-update",
            json!({ "subnet4": [ { "id": id, "subnet": "198.51.100.0/24",
                "pools": [ { "pool": "198.51.100.30 - 198.51.100.40" } ],
                "relay": { "ip-addresses": ["203.0.113.77"] } } ] }),
        );
        ok(
            &sock,
            "subnet4-delta-add",
            json!({ "subnet4": [ { "id": id, "subnet": "198.51.100.0/24",
                "option-data": [ { "name": "domain-name", "data": "round.example" } ] } ] }),
        );
        ok(&sock, "subnet4-del", json!({ "id": id }));
    }
    stop.store(true, Ordering::Relaxed);
    let served = traffic.join().expect("every exchange answered at once");
    assert!(
        served >= 10,
        "the traffic overlapped the changes: {served} DORAs"
    );
    let l = ok(&sock, "subnet4-list", json!({}));
    assert_eq!(l["text"], "1 IPv4 subnet found", "{l}");
}
