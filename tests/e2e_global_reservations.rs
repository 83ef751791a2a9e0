//! End-to-end tests of Kea's reservation model, over the wire with the
//! real binary, in both families: global reservations (`reservations` at
//! `Dhcp4`/`Dhcp6` level) give their address (when inside the selected
//! subnet) and options only with `reservations-global`; an address outside
//! the subnet is not given but the options are (kea-dhcp4 2.2 gives it
//! anyway: see docs/src/configuration.md); a subnet reservation wins over
//! a global one for the same client; `reservations-in-subnet:
//! false` ignores the subnet's reservations; `reservations-out-of-pool`
//! gives out-of-pool reservations and leaves in-pool reserved addresses to
//! the pool; `reservation-add`/`-get`/`-del` with `subnet-id` 0 act on the
//! global reservations; with `ip-reservations-unique: false` two hosts
//! share a reserved address; `early-global-reservations-lookup` lets a
//! global reservation's class select a class-guarded subnet.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::v6::*;
use common::*;
use dhcproto::v4::{self, MessageType};
use dhcproto::v6;
use serde_json::json;

/// One subnet behind `relay`: pool .10-.11, subnet hosts 0x23 (192.0.2.60,
/// out of the pool) and 0x24 (192.0.2.11, in the pool); global hosts 0x21
/// (192.0.2.50) and 0x22 (203.0.113.77, outside the subnet), each with
/// its own domain name; 0x26 has both a global (.80) and a subnet (.70)
/// reservation. `flags`: JSON members added to the subnet.
fn config4(relay: Ipv4Addr, flags: &str) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "valid-lifetime": 600,
    "option-data": [ {{ "name": "domain-name", "data": "global.example" }} ],
    "reservations": [
      {{ "hw-address": "02:00:5e:10:00:21", "ip-address": "192.0.2.50",
         "option-data": [ {{ "name": "domain-name", "data": "host21.example" }} ] }},
      {{ "hw-address": "02:00:5e:10:00:22", "ip-address": "203.0.113.77",
         "option-data": [ {{ "name": "domain-name", "data": "roamer.example" }} ] }},
      {{ "hw-address": "02:00:5e:10:00:26", "ip-address": "192.0.2.80",
         "option-data": [ {{ "name": "domain-name", "data": "global26.example" }} ] }}
    ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", {flags}
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.11" }} ],
      "reservations": [
        {{ "hw-address": "02:00:5e:10:00:23", "ip-address": "192.0.2.60" }},
        {{ "hw-address": "02:00:5e:10:00:24", "ip-address": "192.0.2.11" }},
        {{ "hw-address": "02:00:5e:10:00:26", "ip-address": "192.0.2.70",
           "option-data": [ {{ "name": "domain-name", "data": "subnet26.example" }} ] }}
      ] }} ]
  }}
}}"#
    )
}

/// The OFFER to client `n`, if any.
fn offer(relay: &Relay, ra: Ipv4Addr, n: u8) -> Option<v4::Message> {
    let mut c = Client::new(n, ra);
    relay.exchange(&c.discover())
}

/// DISCOVER and REQUEST of client `n`: the ACK.
fn dora(relay: &Relay, ra: Ipv4Addr, n: u8) -> v4::Message {
    let mut c = Client::new(n, ra);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    let sid = server_id(&offer).expect("server id");
    let ack = relay
        .exchange(&c.request_selecting(offer.yiaddr(), sid))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), offer.yiaddr());
    ack
}

fn ip4(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(192, 0, 2, last)
}

#[test]
fn dhcpv4_global_reservations_and_flags() {
    let test = "global_reservations_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);

    // reservations-global: the global host's address and options; an
    // address outside the subnet is not given, its options are; the
    // subnet's own reservations still apply.
    {
        let srv = Server::start(&config4(ra, r#""reservations-global": true,"#));
        let relay = Relay::new(ra, srv.port);
        let ack = dora(&relay, ra, 0x21);
        assert_eq!(ack.yiaddr(), ip4(50));
        assert_eq!(option_text(&ack, 15).as_deref(), Some("host21.example"));
        let ack = dora(&relay, ra, 0x22);
        assert_eq!(ack.yiaddr(), ip4(10), "a pool address, not 203.0.113.77");
        assert_eq!(option_text(&ack, 15).as_deref(), Some("roamer.example"));
        assert_eq!(dora(&relay, ra, 0x23).yiaddr(), ip4(60));
        // Both: the subnet's reservation wins (as kea-dhcp4 2.2).
        let ack = dora(&relay, ra, 0x26);
        assert_eq!(ack.yiaddr(), ip4(70));
        assert_eq!(option_text(&ack, 15).as_deref(), Some("subnet26.example"));
        // reservation-add with subnet-id 0 adds a global reservation (as
        // Kea's host commands); reservation-get and -del find it there.
        let ctl = srv.path("ctl.sock");
        let add = unix_cmd(
            &ctl,
            &json!({"command": "reservation-add", "arguments": {"reservation":
                {"subnet-id": 0, "hw-address": "02:00:5e:10:00:27", "ip-address": "192.0.2.90"}}}),
        );
        assert_eq!(add["result"], 0, "{add}");
        let got = unix_cmd(
            &ctl,
            &json!({"command": "reservation-get", "arguments": {"subnet-id": 0,
                "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:27"}}),
        );
        assert_eq!(got["arguments"]["ip-address"], "192.0.2.90", "{got}");
        assert_eq!(dora(&relay, ra, 0x27).yiaddr(), ip4(90));
        let del = unix_cmd(
            &ctl,
            &json!({"command": "reservation-del", "arguments": {"subnet-id": 0,
                "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:27"}}),
        );
        assert_eq!(del["result"], 0, "{del}");
        let got = unix_cmd(
            &ctl,
            &json!({"command": "reservation-get", "arguments": {"subnet-id": 0,
                "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:27"}}),
        );
        assert_eq!(got["result"], 3, "{got}");
    }
    // Kea's default (reservations-global false): global hosts are ignored.
    {
        let srv = Server::start(&config4(ra, ""));
        let relay = Relay::new(ra, srv.port);
        let ack = dora(&relay, ra, 0x21);
        assert_eq!(ack.yiaddr(), ip4(10));
        assert_eq!(option_text(&ack, 15).as_deref(), Some("global.example"));
        // 192.0.2.11 is kept for 0x24: the pool is full for others.
        assert!(offer(&relay, ra, 1).is_none());
        assert_eq!(dora(&relay, ra, 0x24).yiaddr(), ip4(11));
    }
    // reservations-in-subnet false: the subnet's hosts are ignored and
    // their addresses go to anyone.
    {
        let srv = Server::start(&config4(
            ra,
            r#""reservations-global": true, "reservations-in-subnet": false,"#,
        ));
        let relay = Relay::new(ra, srv.port);
        assert_eq!(dora(&relay, ra, 0x23).yiaddr(), ip4(10));
        assert_eq!(dora(&relay, ra, 1).yiaddr(), ip4(11));
        assert_eq!(dora(&relay, ra, 0x21).yiaddr(), ip4(50));
    }
    // reservations-out-of-pool: the out-of-pool reservation is given; the
    // in-pool one (192.0.2.11) is a pool address like any other.
    {
        let srv = Server::start(&config4(ra, r#""reservations-out-of-pool": true,"#));
        let relay = Relay::new(ra, srv.port);
        assert_eq!(dora(&relay, ra, 0x23).yiaddr(), ip4(60));
        assert_eq!(dora(&relay, ra, 1).yiaddr(), ip4(10));
        assert_eq!(dora(&relay, ra, 2).yiaddr(), ip4(11));
        assert!(offer(&relay, ra, 0x24).is_none(), "its address is taken");
    }
}

/// One subnet on the test relay's link: pool ::10-::11, subnet hosts
/// duid 0x23 (::60) and 0x24 (::11, in the pool); global hosts 0x21
/// (::50, with its DNS server) and 0x22 (2001:db8:99::77, outside the
/// subnet, with its DNS server). `flags`: JSON members of the subnet.
fn config6(flags: &str) -> String {
    format!(
        r#"{{
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::53" }} ],
    "reservations": [
      {{ "duid": "{d21}", "ip-addresses": ["2001:db8:1::50"],
         "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::21" }} ] }},
      {{ "duid": "{d22}", "ip-addresses": ["2001:db8:99::77"],
         "option-data": [ {{ "name": "dns-servers", "data": "2001:db8::22" }} ] }}
    ],
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64", {flags}
      "relay": {{ "ip-addresses": ["2001:db8:1::1"] }},
      "pools": [ {{ "pool": "2001:db8:1::10 - 2001:db8:1::11" }} ],
      "reservations": [
        {{ "duid": "{d23}", "ip-addresses": ["2001:db8:1::60"] }},
        {{ "duid": "{d24}", "ip-addresses": ["2001:db8:1::11"] }}
      ] }} ]
  }}
}}"#,
        d21 = duid_text(0x21),
        d22 = duid_text(0x22),
        d23 = duid_text(0x23),
        d24 = duid_text(0x24),
    )
}

fn ip6(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn dns(m: &v6::Message) -> Option<Vec<Ipv6Addr>> {
    m.opts().iter().find_map(|o| match o {
        v6::DhcpOption::DomainNameServers(l) => Some(l.clone()),
        _ => None,
    })
}

/// Solicit and Request of client `n`: the Reply (with an address).
fn sarr(relay: &Relay6, n: u8) -> v6::Message {
    let adv = relay
        .exchange(&msg(1, n, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let a = addr_of(&adv).expect("an address");
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg(3, n, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("REPLY");
    assert_eq!(addr_of(&rep), Some(a));
    rep
}

/// The address a Solicit of client `n` is advertised, if any.
fn advertised(relay: &Relay6, n: u8) -> Option<Ipv6Addr> {
    addr_of(&relay.exchange(&msg(1, n, None, &[ia_na(1, None)]))?)
}

#[test]
fn dhcpv6_global_reservations_and_flags() {
    let test = "global_reservations_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    {
        let Some(sock) = bind_relay(test) else {
            return;
        };
        let srv = Server::start(&config6(r#""reservations-global": true,"#));
        let relay = Relay6::new(sock, srv.port);
        let r = sarr(&relay, 0x21);
        assert_eq!(addr_of(&r), Some(ip6("2001:db8:1::50")));
        assert_eq!(dns(&r), Some(vec![ip6("2001:db8::21")]));
        let r = sarr(&relay, 0x22);
        assert_eq!(addr_of(&r), Some(ip6("2001:db8:1::10")));
        assert_eq!(dns(&r), Some(vec![ip6("2001:db8::22")]));
        assert_eq!(addr_of(&sarr(&relay, 0x23)), Some(ip6("2001:db8:1::60")));
    }
    {
        let Some(sock) = bind_relay(test) else {
            return;
        };
        let srv = Server::start(&config6(""));
        let relay = Relay6::new(sock, srv.port);
        let r = sarr(&relay, 0x21);
        assert_eq!(addr_of(&r), Some(ip6("2001:db8:1::10")));
        assert_eq!(dns(&r), Some(vec![ip6("2001:db8::53")]));
        // ::11 is kept for 0x24.
        assert_eq!(advertised(&relay, 1), None);
        assert_eq!(addr_of(&sarr(&relay, 0x24)), Some(ip6("2001:db8:1::11")));
    }
    {
        let Some(sock) = bind_relay(test) else {
            return;
        };
        let srv = Server::start(&config6(
            r#""reservations-global": true, "reservations-in-subnet": false,"#,
        ));
        let relay = Relay6::new(sock, srv.port);
        assert_eq!(addr_of(&sarr(&relay, 0x23)), Some(ip6("2001:db8:1::10")));
        assert_eq!(addr_of(&sarr(&relay, 1)), Some(ip6("2001:db8:1::11")));
        assert_eq!(addr_of(&sarr(&relay, 0x21)), Some(ip6("2001:db8:1::50")));
    }
    {
        let Some(sock) = bind_relay(test) else {
            return;
        };
        let srv = Server::start(&config6(r#""reservations-out-of-pool": true,"#));
        let relay = Relay6::new(sock, srv.port);
        assert_eq!(addr_of(&sarr(&relay, 0x23)), Some(ip6("2001:db8:1::60")));
        assert_eq!(addr_of(&sarr(&relay, 1)), Some(ip6("2001:db8:1::10")));
        assert_eq!(addr_of(&sarr(&relay, 2)), Some(ip6("2001:db8:1::11")));
        assert_eq!(advertised(&relay, 0x24), None, "its address is taken");
    }
}

/// `ip-reservations-unique: false`: two hosts reserve 192.0.2.95 (the
/// replies checked against kea-dhcp4 2.2 with the same file).
fn config4_shared(relay: Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "ip-reservations-unique": false,
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.11" }} ],
      "reservations": [
        {{ "hw-address": "02:00:5e:10:00:31", "ip-address": "192.0.2.95" }},
        {{ "hw-address": "02:00:5e:10:00:32", "ip-address": "192.0.2.95" }}
      ] }} ]
  }}
}}"#
    )
}

#[test]
fn dhcpv4_ip_reservations_unique_false() {
    let test = "ip_reservations_shared_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4_shared(ra));
    let relay = Relay::new(ra, srv.port);
    // The first host asking gets the shared address; the second finds it
    // leased and gets a pool address; a client without reservation gets
    // the other pool address.
    assert_eq!(dora(&relay, ra, 0x31).yiaddr(), ip4(95));
    assert_eq!(dora(&relay, ra, 0x32).yiaddr(), ip4(10));
    assert_eq!(dora(&relay, ra, 1).yiaddr(), ip4(11));
}

/// `early-global-reservations-lookup`: the only subnet is for class `vip`,
/// which the global host 0x41's `client-classes` gives (replies checked
/// against kea-dhcp4 2.2 with the same file).
fn config4_early(relay: Ipv4Addr, early: bool) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "early-global-reservations-lookup": {early},
    "reservations-global": true,
    "reservations": [ {{ "hw-address": "02:00:5e:10:00:41", "client-classes": ["vip"] }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", "client-class": "vip",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.11" }} ] }} ]
  }}
}}"#
    )
}

#[test]
fn dhcpv4_early_global_reservations_lookup() {
    let test = "early_global_lookup_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    {
        let srv = Server::start(&config4_early(ra, true));
        let relay = Relay::new(ra, srv.port);
        assert_eq!(dora(&relay, ra, 0x41).yiaddr(), ip4(10));
        assert!(offer(&relay, ra, 0x42).is_none(), "not in vip: no subnet");
    }
    // Without the early lookup the class comes too late to select the
    // subnet: no offer at all.
    let srv = Server::start(&config4_early(ra, false));
    let relay = Relay::new(ra, srv.port);
    assert!(offer(&relay, ra, 0x41).is_none());
}
