//! End-to-end tests of shared networks (Kea's `shared-networks`), over the
//! wire with the real binary, in both families: three subnets behind one
//! relay with tiny pools; clients spill over to the next subnet when one
//! is full; a renewal in the last subnet is acknowledged; options and
//! lifetimes come from the subnet or, when it has none, the network; a
//! class-guarded subnet is never given to an outsider; `subnetN-list`
//! names the network. DHCPv6 IA by IA: an IA_NA from the subnet with
//! addresses and an IA_PD from the one with prefixes, renewed, rebound
//! and released where each is, compared with kea-dhcp6 2.2 when it is
//! installed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, Ipv6Addr};

use common::v6::*;
use common::*;
use dhcproto::v4::{self, MessageType};
use dhcproto::v6;
use serde_json::json;

/// Network `floor1` behind `relay`: subnet 1 (two addresses, its own
/// routers), subnet 2 (class `vip` only), subnet 3 (two addresses, its own
/// lifetime); a plain subnet elsewhere.
fn config4(relay: Ipv4Addr) -> String {
    format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
    "lease-database": {{ "type": "memfile", "persist": false }},
    "valid-lifetime": 7200,
    "option-data": [ {{ "name": "domain-name", "data": "global.example" }} ],
    "client-classes": [ {{ "name": "vip", "test": "pkt4.mac == 0x02005e100077" }} ],
    "subnet4": [ {{ "id": 9, "subnet": "203.0.113.0/24",
      "relay": {{ "ip-addresses": ["203.0.113.1"] }},
      "pools": [ {{ "pool": "203.0.113.10 - 203.0.113.20" }} ] }} ],
    "shared-networks": [ {{
      "name": "floor1",
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "valid-lifetime": 600,
      "option-data": [
        {{ "name": "domain-name", "data": "net.example" }},
        {{ "name": "routers", "data": "192.0.2.1" }}
      ],
      "subnet4": [
        {{ "id": 1, "subnet": "192.0.2.0/26",
           "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.11" }} ],
           "option-data": [ {{ "name": "routers", "data": "192.0.2.62" }} ] }},
        {{ "id": 2, "subnet": "192.0.2.64/26", "client-class": "vip",
           "pools": [ {{ "pool": "192.0.2.70 - 192.0.2.71" }} ] }},
        {{ "id": 3, "subnet": "198.51.100.0/26", "valid-lifetime": 900,
           "pools": [ {{ "pool": "198.51.100.10 - 198.51.100.11" }} ] }}
      ]
    }} ]
  }}
}}"#
    )
}

fn lifetime(m: &v4::Message) -> Option<u32> {
    let b: [u8; 4] = raw_option(&encode(m), 51)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
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

#[test]
fn dhcpv4_shared_network_spills_over_and_renews() {
    let test = "shared_networks_v4";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config4(ra));
    let relay = Relay::new(ra, srv.port);

    // The first subnet: its own routers, the network's domain name and
    // lifetime.
    for (n, last) in [(1, 10), (2, 11)] {
        let ack = dora(&relay, ra, n);
        assert_eq!(ack.yiaddr(), Ipv4Addr::new(192, 0, 2, last));
        assert_eq!(raw_option(&encode(&ack), 3), Some(vec![192, 0, 2, 62]));
        assert_eq!(option_text(&ack, 15).as_deref(), Some("net.example"));
        assert_eq!(lifetime(&ack), Some(600));
    }
    // It is full: outsiders go to the third subnet (never the vip one),
    // with its own lifetime and the network's routers.
    let mut third = Vec::new();
    for n in [3, 4] {
        let ack = dora(&relay, ra, n);
        let a = ack.yiaddr();
        assert_eq!(a.octets()[..3], [198, 51, 100], "{a}");
        assert_eq!(raw_option(&encode(&ack), 3), Some(vec![192, 0, 2, 1]));
        assert_eq!(option_text(&ack, 15).as_deref(), Some("net.example"));
        assert_eq!(lifetime(&ack), Some(900));
        third.push(a);
    }
    // Everything an outsider may use is taken: no offer, although the vip
    // subnet has free addresses.
    let mut c5 = Client::new(5, ra);
    assert!(relay.exchange(&c5.discover()).is_none());
    // The vip client gets the guarded subnet.
    let vip = dora(&relay, ra, 0x77);
    assert_eq!(vip.yiaddr().octets()[..3], [192, 0, 2]);
    assert!((70..=71).contains(&vip.yiaddr().octets()[3]), "{vip:?}");

    // Client 3 renews its lease in the third subnet.
    let mut c3 = Client::new(3, ra);
    let ack = relay
        .exchange(&c3.request_renew(third[0]))
        .expect("ACK to the renewal");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), third[0]);
    assert_eq!(lifetime(&ack), Some(900));
    // And asking again (DISCOVER) gets the same lease back.
    let offer = relay.exchange(&c3.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), third[0]);

    // The control channel: subnet4-list names the network, subnet4-get
    // finds a subnet inside it, the failure is counted for the network.
    let ctl = srv.path("ctl.sock");
    let l = unix_cmd(&ctl, &json!({"command": "subnet4-list"}));
    assert_eq!(
        l["arguments"]["subnets"],
        json!([
            {"id": 9, "subnet": "203.0.113.0/24", "shared-network-name": null},
            {"id": 1, "subnet": "192.0.2.0/26", "shared-network-name": "floor1"},
            {"id": 2, "subnet": "192.0.2.64/26", "shared-network-name": "floor1"},
            {"id": 3, "subnet": "198.51.100.0/26", "shared-network-name": "floor1"}
        ])
    );
    let g = unix_cmd(
        &ctl,
        &json!({"command": "subnet4-get", "arguments": {"id": 3}}),
    );
    assert_eq!(g["result"], 0, "{g}");
    assert_eq!(g["arguments"]["subnet4"][0]["subnet"], "198.51.100.0/26");
    assert_eq!(g["arguments"]["subnet4"][0]["valid-lifetime"], 900);
    let s = unix_cmd(
        &ctl,
        &json!({"command": "statistic-get", "arguments": {"name": "v4-allocation-fail-shared-network"}}),
    );
    assert!(
        s["arguments"]["v4-allocation-fail-shared-network"][0][0].as_i64() >= Some(1),
        "{s}"
    );
    // A reservation added in the third subnet (host commands find subnets
    // inside networks) is where its client starts, though the network's
    // relay selected the first subnet.
    let add = unix_cmd(
        &ctl,
        &json!({"command": "reservation-add", "arguments": {"reservation":
            {"subnet-id": 3, "hw-address": "02:00:5e:10:00:40", "ip-address": "198.51.100.40"}}}),
    );
    assert_eq!(add["result"], 0, "{add}");
    let got = unix_cmd(
        &ctl,
        &json!({"command": "reservation-get", "arguments": {"subnet-id": 3,
            "identifier-type": "hw-address", "identifier": "02:00:5e:10:00:40"}}),
    );
    assert_eq!(got["arguments"]["ip-address"], "198.51.100.40", "{got}");
    let r = dora(&relay, ra, 0x40);
    assert_eq!(r.yiaddr(), Ipv4Addr::new(198, 51, 100, 40));
    // Statistics stay per subnet: two pool leases and the reserved one.
    let s = unix_cmd(
        &ctl,
        &json!({"command": "statistic-get", "arguments": {"name": "subnet[3].assigned-addresses"}}),
    );
    assert_eq!(
        s["arguments"]["subnet[3].assigned-addresses"][0][0].as_i64(),
        Some(3),
        "{s}"
    );
}

/// Network `six` behind the test relay's link 2001:db8:1::1: subnet A (one
/// address), subnet B (class `vip6` only), subnet C (one address, its own
/// lifetimes and DNS servers).
fn config6() -> &'static str {
    r#"{
  "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo"] },
    "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" },
    "lease-database": { "type": "memfile", "persist": false },
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "client-classes": [ { "name": "vip6", "test": "option[1].hex == 0x00030001020000000077" } ],
    "shared-networks": [ {
      "name": "six",
      "relay": { "ip-addresses": ["2001:db8:1::1"] },
      "preferred-lifetime": 200, "valid-lifetime": 300,
      "option-data": [ { "name": "dns-servers", "data": "2001:db8::53" } ],
      "subnet6": [
        { "id": 1, "subnet": "2001:db8:a::/64",
          "pools": [ { "pool": "2001:db8:a::10 - 2001:db8:a::10" } ] },
        { "id": 2, "subnet": "2001:db8:b::/64", "client-class": "vip6",
          "pools": [ { "pool": "2001:db8:b::10 - 2001:db8:b::10" } ] },
        { "id": 3, "subnet": "2001:db8:c::/64",
          "preferred-lifetime": 500, "valid-lifetime": 600,
          "option-data": [ { "name": "dns-servers", "data": "2001:db8::54" } ],
          "pools": [ { "pool": "2001:db8:c::10 - 2001:db8:c::10" } ] }
      ]
    } ]
  }
}"#
}

/// The first IA_NA's address and lifetimes, or its status code.
fn ia(m: &v6::Message) -> Result<(Ipv6Addr, u32, u32), u16> {
    for o in m.opts().iter() {
        if let v6::DhcpOption::IANA(ia) = o {
            for x in ia.opts.iter() {
                match x {
                    v6::DhcpOption::IAAddr(a) => {
                        return Ok((a.addr, a.preferred_life, a.valid_life))
                    }
                    v6::DhcpOption::StatusCode(c) => return Err(u16::from(c.status)),
                    _ => {}
                }
            }
        }
    }
    Err(u16::MAX)
}

fn dns(m: &v6::Message) -> Option<Vec<Ipv6Addr>> {
    m.opts().iter().find_map(|o| match o {
        v6::DhcpOption::DomainNameServers(l) => Some(l.clone()),
        _ => None,
    })
}

/// Solicit and Request of client `n`: the Reply.
fn sarr(relay: &Relay6, n: u8) -> v6::Message {
    let adv = relay
        .exchange(&msg(1, n, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    let (a, _, _) = ia(&adv).expect("an address");
    let sid = server_duid(&adv);
    let rep = relay
        .exchange(&msg(3, n, Some(&sid), &[ia_na(1, Some(a))]))
        .expect("REPLY");
    assert_eq!(ia(&rep).map(|x| x.0), Ok(a));
    rep
}

#[test]
fn dhcpv6_shared_network_spills_over_and_renews() {
    let test = "shared_networks_v6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(config6());
    let relay = Relay6::new(sock, srv.port);
    let a: Ipv6Addr = "2001:db8:a::10".parse().unwrap();
    let c: Ipv6Addr = "2001:db8:c::10".parse().unwrap();

    // Subnet A: the network's lifetimes and DNS servers.
    let r1 = sarr(&relay, 1);
    assert_eq!(ia(&r1), Ok((a, 200, 300)));
    assert_eq!(dns(&r1), Some(vec!["2001:db8::53".parse().unwrap()]));
    // A is full: an outsider skips the vip subnet for C and its values.
    let r2 = sarr(&relay, 2);
    assert_eq!(ia(&r2), Ok((c, 500, 600)));
    assert_eq!(dns(&r2), Some(vec!["2001:db8::54".parse().unwrap()]));
    // Nothing left for outsiders: NoAddrsAvail (2).
    let adv = relay
        .exchange(&msg(1, 3, None, &[ia_na(1, None)]))
        .expect("ADVERTISE");
    assert_eq!(ia(&adv), Err(2));
    // The vip client gets B.
    let rv = sarr(&relay, 0x77);
    assert_eq!(ia(&rv).map(|x| x.0), Ok("2001:db8:b::10".parse().unwrap()));
    // Client 2 renews in C.
    let sid = server_duid(&r2);
    let ren = relay
        .exchange(&msg(5, 2, Some(&sid), &[ia_na(1, Some(c))]))
        .expect("REPLY to Renew");
    assert_eq!(ia(&ren), Ok((c, 500, 600)));

    let ctl = srv.path("ctl.sock");
    let l = unix_cmd(&ctl, &json!({"command": "subnet6-list"}));
    assert_eq!(
        l["arguments"]["subnets"],
        json!([
            {"id": 1, "subnet": "2001:db8:a::/64", "shared-network-name": "six"},
            {"id": 2, "subnet": "2001:db8:b::/64", "shared-network-name": "six"},
            {"id": 3, "subnet": "2001:db8:c::/64", "shared-network-name": "six"}
        ])
    );
    let g = unix_cmd(
        &ctl,
        &json!({"command": "subnet6-get", "arguments": {"subnet": "2001:db8:c::/64"}}),
    );
    assert_eq!(g["arguments"]["subnet6"][0]["id"], 3, "{g}");
}

/// Network `cpe` behind the test relay's link: subnet 1 with addresses
/// only, subnet 2 with prefixes only (and a prefix reserved for client
/// 5), each with its own timers and DNS server; in the format both ruru
/// and kea-dhcp6 run.
fn config6_ia() -> &'static str {
    r#"{
  "Dhcp6": {
    "interfaces-config": { "interfaces": ["lo/::1"] },
    "lease-database": { "type": "memfile", "persist": false },
    "server-id": { "type": "LL", "htype": 1, "identifier": "0a0b0c0d0e0f", "persist": false },
    "preferred-lifetime": 3000, "valid-lifetime": 4000,
    "shared-networks": [ {
      "name": "cpe",
      "relay": { "ip-addresses": ["2001:db8:1::1"] },
      "option-data": [ { "name": "dns-servers", "data": "2001:db8::99" } ],
      "subnet6": [
        { "id": 1, "subnet": "2001:db8:a::/64", "renew-timer": 100, "rebind-timer": 200,
          "pools": [ { "pool": "2001:db8:a::10 - 2001:db8:a::1f" } ],
          "option-data": [ { "name": "dns-servers", "data": "2001:db8::1" } ] },
        { "id": 2, "subnet": "2001:db8:b::/64", "renew-timer": 300, "rebind-timer": 400,
          "pd-pools": [ { "prefix": "2001:db8:9900::", "prefix-len": 48, "delegated-len": 56 } ],
          "reservations": [ { "duid": "00:03:00:01:02:00:00:00:00:05",
                              "prefixes": ["2001:db8:7700::/56"] } ],
          "option-data": [ { "name": "dns-servers", "data": "2001:db8::2" } ] }
      ]
    } ],
    "loggers": [ { "name": "kea-dhcp6", "severity": "INFO",
                   "output_options": [ { "output": "stdout" } ] } ]
  }
}"#
}

/// The IAs of a reply as (option code, T1, T2, valid entries, status).
type IaView = (u16, u32, u32, Vec<(Ipv6Addr, u8)>, Option<u16>);

fn ias(m: &v6::Message) -> Vec<IaView> {
    let view = |code, t1, t2, opts: &v6::DhcpOptions| {
        let mut got = Vec::new();
        let mut status = None;
        for x in opts.iter() {
            match x {
                v6::DhcpOption::IAAddr(a) if a.valid_life > 0 => got.push((a.addr, 128)),
                v6::DhcpOption::IAPrefix(p) if p.valid_lifetime > 0 => {
                    got.push((p.prefix_ip, p.prefix_len))
                }
                v6::DhcpOption::StatusCode(c) => status = Some(u16::from(c.status)),
                _ => {}
            }
        }
        (code, t1, t2, got, status)
    };
    m.opts()
        .iter()
        .filter_map(|o| match o {
            v6::DhcpOption::IANA(ia) => Some(view(3, ia.t1, ia.t2, &ia.opts)),
            v6::DhcpOption::IAPD(ia) => Some(view(25, ia.t1, ia.t2, &ia.opts)),
            _ => None,
        })
        .collect()
}

/// A reply's IAs and DNS servers.
type Seen = (Vec<IaView>, Option<Vec<Ipv6Addr>>);

/// What one server answers client `n` through Solicit, Request, Renew,
/// Rebind and Release with an IA_NA and an IA_PD: each reply's IAs (with
/// the addresses and prefixes given, the same for every message of the
/// exchange) and DNS servers, and the Release's status.
fn ia_exchange(relay: &Relay6, n: u8) -> (Vec<Seen>, Option<u16>) {
    let mut out = Vec::new();
    let adv = relay
        .exchange(&msg(1, n, None, &[ia_na(1, None), ia_pd(2, None)]))
        .expect("Advertise");
    let sid = server_duid(&adv);
    out.push((ias(&adv), dns(&adv)));
    let (a, p) = (
        addr_of(&adv).expect("an address"),
        prefix_of(&adv).expect("a prefix"),
    );
    let listed = [ia_na(1, Some(a)), ia_pd(2, Some(p))];
    for (t, server) in [(3, Some(&sid[..])), (5, Some(&sid[..])), (6, None)] {
        let rep = relay.exchange(&msg(t, n, server, &listed)).expect("Reply");
        out.push((ias(&rep), dns(&rep)));
    }
    let rel = relay
        .exchange(&msg(8, n, Some(&sid), &listed))
        .expect("Reply to Release");
    let status = rel.opts().iter().find_map(|o| match o {
        v6::DhcpOption::StatusCode(c) => Some(u16::from(c.status)),
        _ => None,
    });
    (out, status)
}

#[test]
fn dhcpv6_each_ia_from_the_network_subnet_that_serves_it() {
    let test = "shared_networks_v6_per_ia";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(config6_ia());
    let mut relay = Relay6::new(sock, srv.port);
    let (replies, released) = ia_exchange(&relay, 1);
    let a: Ipv6Addr = "2001:db8:a::10".parse().unwrap();
    let p: Ipv6Addr = "2001:db8:9900::".parse().unwrap();
    for (n, (got, dns)) in replies.iter().enumerate() {
        // The address with subnet 1's timers, the prefix with subnet 2's;
        // the reply's options are those of the last IA's subnet.
        assert_eq!(
            got,
            &vec![
                (3, 100, 200, vec![(a, 128)], None),
                (25, 300, 400, vec![(p, 56)], None)
            ],
            "reply {n}"
        );
        assert_eq!(
            dns,
            &Some(vec!["2001:db8::2".parse().unwrap()]),
            "reply {n}"
        );
    }
    assert_eq!(released, Some(0), "Release successful");
    // Released: another client asking for them gets them.
    let adv = relay
        .exchange(&msg(
            1,
            2,
            None,
            &[ia_na(1, Some(a)), ia_pd(2, Some((p, 56)))],
        ))
        .expect("Advertise");
    assert_eq!(addr_of(&adv), Some(a));
    assert_eq!(prefix_of(&adv), Some((p, 56)));
    // Client 5's reserved prefix comes from subnet 2, its address from 1.
    let reserved = |relay: &Relay6| {
        let adv = relay
            .exchange(&msg(1, 5, None, &[ia_na(1, None), ia_pd(2, None)]))
            .expect("Advertise");
        (ias(&adv), dns(&adv))
    };
    let (got, dns5) = reserved(&relay);
    assert_eq!(got[1].3, vec![("2001:db8:7700::".parse().unwrap(), 56)]);
    assert_eq!((got[0].1, got[1].1), (100, 300));
    assert_eq!(dns5, Some(vec!["2001:db8::2".parse().unwrap()]));

    // Kea 2.2 on the same file, when installed: the same IAs, timers and
    // options (its addresses may differ: it moves on after an Advertise).
    let args = ["-p".to_string(), free_port().to_string()];
    let Some(kea) = common::kea::Kea::start(
        "kea-dhcp6",
        "kea-dhcp6-server",
        config6_ia(),
        &args,
        "DHCP6_STARTED",
        test,
    ) else {
        return;
    };
    relay.server.set_port(kea.port);
    let (kea_replies, kea_released) = ia_exchange(&relay, 1);
    let shape = |r: &[Seen]| -> Vec<_> {
        r.iter()
            .map(|(ias, dns)| {
                let ias: Vec<_> = ias
                    .iter()
                    .map(|(c, t1, t2, got, st)| (*c, *t1, *t2, got.len(), *st))
                    .collect();
                (ias, dns.clone())
            })
            .collect()
    };
    assert_eq!(shape(&kea_replies), shape(&replies), "Kea: {kea_replies:?}");
    assert_eq!(kea_released, released);
    let (kea_got, kea_dns5) = reserved(&relay);
    assert_eq!(kea_got[1], got[1], "Kea's reserved prefix");
    assert_eq!(kea_got[0].1, got[0].1);
    assert_eq!(kea_dns5, dns5);
}
