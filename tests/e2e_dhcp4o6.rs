//! DHCPv4-over-DHCPv6 (RFC 7341) in one ruru process serving `Dhcp4` and
//! `Dhcp6` with the same `dhcp4o6-port` (Kea's pair of daemons, as
//! described in `docs/src/dhcpv6.md`, checked against kea-dhcp4 and
//! kea-dhcp6 2.2 on the wire when the feature was written): DHCPv4
//! DISCOVER and REQUEST messages travel in DHCPV4-QUERY messages, directly
//! from a client on loopback and through a relay; the answers come back
//! in DHCPV4-RESPONSE messages with the query's flags and option 87
//! alone, the DHCPv4 subnet chosen by the `4o6-*` keys, the lease stored
//! in the DHCPv4 lease file, and both families' statistics counting the
//! exchange.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use common::v6::*;
use common::*;

fn config() -> String {
    r#"{
"Dhcp4": {
  "interfaces-config": { "interfaces": ["lo"], "dhcp-socket-type": "udp" },
  "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctrl4.sock" },
  "lease-database": { "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 },
  "dhcp4o6-port": 6767,
  "valid-lifetime": 3600,
  "subnet4": [
    { "id": 1, "subnet": "192.0.2.0/24", "4o6-interface-id": "relay-a",
      "pools": [ { "pool": "192.0.2.100 - 192.0.2.110" } ] },
    { "id": 2, "subnet": "198.51.100.0/24", "4o6-interface": "lo",
      "pools": [ { "pool": "198.51.100.100 - 198.51.100.110" } ],
      "option-data": [ { "name": "routers", "data": "198.51.100.1" } ] },
    { "id": 3, "subnet": "203.0.113.0/24", "interface": "lo",
      "pools": [ { "pool": "203.0.113.100 - 203.0.113.110" } ] }
  ]
},
"Dhcp6": {
  "interfaces-config": { "interfaces": ["lo"] },
  "control-socket": { "socket-type": "unix", "socket-name": "@DIR@/ctrl6.sock" },
  "lease-database": { "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 },
  "dhcp4o6-port": 6767,
  "subnet6": []
} }"#
        .to_string()
}

/// A DHCPv4 message of `msg_type` from client `mac` (no relay), with
/// `extra` options.
fn v4(msg_type: u8, xid: u32, mac: u8, extra: &[(u8, Vec<u8>)]) -> Vec<u8> {
    let mut m = bootrequest(xid, [2, 0, 0, 0, 0x46, mac], 0, Ipv4Addr::UNSPECIFIED);
    m.extend([53, 1, msg_type]);
    for (c, v) in extra {
        m.extend([*c, v.len() as u8]);
        m.extend(v);
    }
    m.push(255);
    m
}

/// A DHCPV4-QUERY (20) with flags `flags` and one option 87 per message.
fn query(flags: [u8; 3], msgs: &[&[u8]]) -> Vec<u8> {
    let mut q = vec![20];
    q.extend(flags);
    for m in msgs {
        put(&mut q, 87, m);
    }
    q
}

/// The DHCPv6 options of a message body (after type and flags), in order.
fn tlvs(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let code = u16::from_be_bytes([b[0], b[1]]);
        let len = usize::from(u16::from_be_bytes([b[2], b[3]]));
        out.push((code, b[4..4 + len].to_vec()));
        b = &b[4 + len..];
    }
    out
}

/// The DHCPv4 reply of a DHCPV4-RESPONSE, checking its type, its flags
/// (the query's) and that option 87 is its only option.
fn response4(b: &[u8], flags: [u8; 3]) -> Vec<u8> {
    assert_eq!(b[0], 21, "DHCPV4-RESPONSE");
    assert_eq!(b[1..4], flags, "the query's flags");
    let opts = tlvs(&b[4..]);
    assert_eq!(opts.len(), 1, "option 87 alone: {opts:?}");
    assert_eq!(opts[0].0, 87);
    opts[0].1.clone()
}

fn options4(m: &[u8]) -> BTreeMap<u8, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut i = 240;
    while let Some(&c) = m.get(i) {
        match c {
            0 => i += 1,
            255 => break,
            _ => {
                let l = usize::from(m[i + 1]);
                out.insert(c, m[i + 2..i + 2 + l].to_vec());
                i += 2 + l;
            }
        }
    }
    out
}

fn yiaddr(m: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(m[16], m[17], m[18], m[19])
}

fn stat(sock: &std::path::Path, name: &str) -> i64 {
    let a = unix_cmd(
        sock,
        &serde_json::json!({"command": "statistic-get", "arguments": {"name": name}}),
    );
    a["arguments"][name][0][0].as_i64().unwrap_or(0)
}

#[test]
fn dhcpv4_over_dhcpv6_direct_and_relayed() {
    let test = "dhcp4o6";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(relay_sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(&config());
    let server = SocketAddrV6::new(Ipv6Addr::LOCALHOST, srv.port, 0, 0);
    // A client on lo, without a relay: its responses come to the client
    // port (`-P`).
    let client = UdpSocket::bind(SocketAddrV6::new(
        Ipv6Addr::LOCALHOST,
        srv.client_port,
        0,
        0,
    ))
    .unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let mut exchange = |q: &[u8]| -> Option<Vec<u8>> {
        client.send_to(q, server).unwrap();
        let (n, _) = client.recv_from(&mut buf).ok()?;
        Some(buf[..n].to_vec())
    };

    // DISCOVER → OFFER from the subnet whose 4o6-interface is lo (subnet
    // 1 names a relay's interface-id; subnet 3 has no 4o6 keys).
    let flags = [0x80, 0, 0x2a];
    let r = exchange(&query(flags, &[&v4(1, 0x4601, 1, &[])])).expect("a DHCPV4-RESPONSE");
    let offer = response4(&r, flags);
    assert_eq!(options4(&offer).get(&53), Some(&vec![2]), "OFFER");
    let a = yiaddr(&offer);
    assert!(
        (Ipv4Addr::new(198, 51, 100, 100)..=Ipv4Addr::new(198, 51, 100, 110)).contains(&a),
        "{a}"
    );
    // The server identifier: Dhcp4's socket on the interface the DHCPv6
    // message came in on.
    assert_eq!(options4(&offer).get(&54), Some(&vec![127, 0, 0, 1]));
    assert_eq!(options4(&offer).get(&3), Some(&vec![198, 51, 100, 1]));

    // REQUEST → ACK; the lease is in the DHCPv4 lease file.
    let req = v4(
        3,
        0x4602,
        1,
        &[(50, a.octets().to_vec()), (54, vec![127, 0, 0, 1])],
    );
    let r = exchange(&query([0, 0, 1], &[&req])).expect("a DHCPV4-RESPONSE");
    let ack = response4(&r, [0, 0, 1]);
    assert_eq!(options4(&ack).get(&53), Some(&vec![5]), "ACK");
    assert_eq!(yiaddr(&ack), a);
    let leases = std::fs::read_to_string(srv.path("leases4.csv")).unwrap();
    assert!(
        leases
            .lines()
            .any(|l| l.starts_with(&format!("{a},02:00:00:00:46:01,")) && l.contains(",2,")),
        "{leases}"
    );

    // Two DHCPv4 messages in one query: dropped (as by Kea).
    let two = query([0, 0, 2], &[&v4(1, 0x4603, 2, &[]), &v4(1, 0x4604, 2, &[])]);
    assert!(exchange(&two).is_none(), "no answer to two option 87s");

    // Through a relay whose interface-id is subnet 1's 4o6-interface-id:
    // a Relay-reply with the interface-id, the DHCPV4-RESPONSE inside.
    let relay = Relay6::new(relay_sock, srv.port);
    let mut fw = vec![12, 0];
    fw.extend("2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
    fw.extend("fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 18, b"relay-a");
    put(&mut fw, 9, &query([0, 0, 3], &[&v4(1, 0x4605, 3, &[])]));
    relay.sock.send_to(&fw, relay.server).unwrap();
    let (n, _) = relay.sock.recv_from(&mut buf).expect("a Relay-reply");
    assert_eq!(buf[0], 13, "Relay-reply");
    let opts = tlvs(&buf[34..n]);
    assert!(
        opts.contains(&(18, b"relay-a".to_vec())),
        "interface-id echoed"
    );
    let inner = opts
        .iter()
        .find(|(c, _)| *c == 9)
        .map(|(_, v)| v.clone())
        .expect("relay message");
    let offer = response4(&inner, [0, 0, 3]);
    let b = yiaddr(&offer);
    assert!(
        (Ipv4Addr::new(192, 0, 2, 100)..=Ipv4Addr::new(192, 0, 2, 110)).contains(&b),
        "{b}"
    );

    // Both families count it, as Kea's two daemons do together.
    let (c4, c6) = (srv.path("ctrl4.sock"), srv.path("ctrl6.sock"));
    assert_eq!(stat(&c6, "pkt6-dhcpv4-query-received"), 4);
    assert_eq!(stat(&c6, "pkt6-dhcpv4-response-sent"), 3);
    assert_eq!(stat(&c6, "pkt6-receive-drop"), 1);
    assert_eq!(stat(&c4, "pkt4-received"), 3);
    assert_eq!(stat(&c4, "pkt4-offer-sent"), 2);
    assert_eq!(stat(&c4, "pkt4-ack-sent"), 1);
    assert_eq!(stat(&c4, "subnet[2].assigned-addresses"), 1);
}
