//! Kea's DHCPv6 `mac-sources` and `relay-supplied-options` over the wire:
//! a Relay-forward from [::1] carrying the relay options each source reads
//! (client link-layer address 79, remote-id 37, DOCSIS vendor option 17,
//! an EUI-64 peer address) and a Relay-Supplied Options option (66).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv6Addr, UdpSocket};

use common::v6::{bind_relay, ia_na, put, ONE_AT_A_TIME};
use common::*;
use dhcproto::v6;
use dhcproto::Decodable;

/// The documentation MAC (RFC 7042) reserved below.
const MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x01];
const RESERVED: &str = "2001:db8:1::77";

fn config(mac_sources: &str) -> String {
    format!(
        r#"{{ "Dhcp6": {{
    {mac_sources}
    "relay-supplied-options": [ "110", "dns-servers" ],
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases6.csv", "lfc-interval": 0 }},
    "host-reservation-identifiers": [ "hw-address" ],
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64", "rapid-commit": true,
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ],
      "reservations": [ {{ "hw-address": "00:00:5e:00:53:01", "ip-addresses": [ "{RESERVED}" ] }} ] }} ]
}} }}"#
    )
}

/// A Solicit with Rapid Commit of client `n` (DUID-LL of 02:00:00:00:00:n), relayed with
/// peer-address `peer` and the relay options `ropts` (code, data); the
/// client message of the Relay-reply.
fn solicit(
    sock: &UdpSocket,
    port: u16,
    n: u8,
    peer: &str,
    ropts: &[(u16, Vec<u8>)],
) -> v6::Message {
    let mut m = vec![1, 0, 3, n];
    put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, n]);
    put(&mut m, 14, &[]); // rapid commit: the lease is stored
    let (c, v) = ia_na(1, None);
    put(&mut m, c, &v);
    let mut fw = vec![12, 0];
    fw.extend_from_slice(&"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
    fw.extend_from_slice(&peer.parse::<Ipv6Addr>().unwrap().octets());
    for (code, data) in ropts {
        put(&mut fw, *code, data);
    }
    put(&mut fw, 9, &m);
    sock.send_to(&fw, ("::1", port)).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = sock.recv_from(&mut buf).expect("Relay-reply");
    let b = &buf[..n];
    assert_eq!(b[0], 13, "Relay-reply");
    let inner = options(&b[34..])
        .into_iter()
        .find(|(c, _)| *c == 9)
        .expect("relay message")
        .1;
    v6::Message::decode(&mut dhcproto::Decoder::new(&inner)).unwrap()
}

/// The options (code, data) of an option area.
fn options(mut b: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        let c = u16::from_be_bytes([b[0], b[1]]);
        let l = usize::from(u16::from_be_bytes([b[2], b[3]]));
        out.push((c, b[4..4 + l].to_vec()));
        b = &b[4 + l..];
    }
    out
}

/// The address of the reply's IA_NA.
fn addr(m: &v6::Message) -> Option<Ipv6Addr> {
    common::v6::addr_of(m)
}

fn client_link_addr(mac: &[u8]) -> (u16, Vec<u8>) {
    let mut d = vec![0, 1];
    d.extend_from_slice(mac);
    (79, d)
}

fn remote_id(mac: &[u8]) -> (u16, Vec<u8>) {
    let mut d = 9u32.to_be_bytes().to_vec();
    d.extend_from_slice(mac);
    (37, d)
}

fn docsis_cm_mac(mac: &[u8]) -> (u16, Vec<u8>) {
    let mut d = 4491u32.to_be_bytes().to_vec();
    d.extend_from_slice(&1026u16.to_be_bytes());
    d.extend_from_slice(&(mac.len() as u16).to_be_bytes());
    d.extend_from_slice(mac);
    (17, d)
}

/// The link-local address of `MAC` (EUI-64).
const LINK_LOCAL: &str = "fe80::200:5eff:fe00:5301";
/// A link-local address that is not EUI-64 (privacy).
const OTHER_PEER: &str = "fe80::1234:5678:9abc:def0";

#[test]
fn mac_sources_choose_the_hw_address() {
    let test = "mac_sources";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let reserved: Ipv6Addr = RESERVED.parse().unwrap();

    // Default (`any`): the relay's option 79 before the DUID.
    let srv = Server::start(&config(""));
    let a = addr(&solicit(
        &sock,
        srv.port,
        1,
        OTHER_PEER,
        &[client_link_addr(&MAC)],
    ));
    assert_eq!(a, Some(reserved), "option 79 found by any");
    // ... and the EUI-64 peer address, when nothing before it has a MAC
    // (a DUID-LL does: client 2's DUID is not the reserved MAC).
    let a = addr(&solicit(&sock, srv.port, 2, LINK_LOCAL, &[]));
    assert_ne!(
        a,
        Some(reserved),
        "the DUID comes before the link-local address"
    );
    drop(srv);

    // Each source alone: found where it looks, not elsewhere; the lease
    // holds the MAC and Kea's source bit (`hwaddr_source`).
    for (sources, hit, miss, bit) in [
        ("remote-id", remote_id(&MAC), client_link_addr(&MAC), "16"),
        ("rfc6939", client_link_addr(&MAC), remote_id(&MAC), "8"),
        (
            "docsis-cmts",
            docsis_cm_mac(&MAC),
            client_link_addr(&MAC),
            "64",
        ),
    ] {
        let srv = Server::start(&config(&format!(r#""mac-sources": [ "{sources}" ],"#)));
        let a = addr(&solicit(&sock, srv.port, 3, OTHER_PEER, &[hit]));
        assert_eq!(a, Some(reserved), "{sources}: found");
        let a = addr(&solicit(&sock, srv.port, 4, OTHER_PEER, &[miss]));
        assert_ne!(a, Some(reserved), "{sources}: another source is not used");
        let text = srv.lease_file("leases6.csv");
        let row = text
            .lines()
            .find(|l| l.starts_with(RESERVED))
            .unwrap_or_else(|| panic!("{sources}: lease row in\n{text}"));
        assert!(row.contains("00:00:5e:00:53:01"), "{sources}: {row}");
        let cols: Vec<&str> = row.split(',').collect();
        assert!(cols.contains(&bit), "{sources}: source {bit} in {row}");
    }
    // `ipv6-link-local` alone.
    let srv = Server::start(&config(r#""mac-sources": [ "ipv6-link-local" ],"#));
    let a = addr(&solicit(&sock, srv.port, 5, LINK_LOCAL, &[]));
    assert_eq!(a, Some(reserved), "EUI-64 link-local address");
    let a = addr(&solicit(&sock, srv.port, 6, OTHER_PEER, &[]));
    assert_ne!(a, Some(reserved));
}

/// RFC 6422: the options in a relay's option 66 that are RSOO-enabled (65
/// always; 110 and `dns-servers` by configuration) reach the client;
/// another (120) does not.
#[test]
fn relay_supplied_options_reach_the_client() {
    let test = "rsoo";
    let _g = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sock) = bind_relay(test) else {
        return;
    };
    let srv = Server::start(&config(""));
    let mut rsoo = Vec::new();
    put(&mut rsoo, 120, b"not enabled");
    put(&mut rsoo, 110, b"enabled");
    put(&mut rsoo, 65, b"\x07example\x00");
    put(
        &mut rsoo,
        23,
        &"2001:db8::53".parse::<Ipv6Addr>().unwrap().octets(),
    );
    let reply = solicit(&sock, srv.port, 7, OTHER_PEER, &[(66, rsoo)]);
    let mut enc = Vec::new();
    dhcproto::Encodable::encode(&reply, &mut dhcproto::Encoder::new(&mut enc)).unwrap();
    let got = options(&enc[4..]);
    let find = |c: u16| got.iter().find(|(x, _)| *x == c).map(|(_, d)| d.clone());
    assert_eq!(find(110).as_deref(), Some(&b"enabled"[..]));
    assert_eq!(find(65).as_deref(), Some(&b"\x07example\x00"[..]));
    assert_eq!(
        find(23).as_deref(),
        Some(&"2001:db8::53".parse::<Ipv6Addr>().unwrap().octets()[..])
    );
    assert_eq!(find(120), None);
}
