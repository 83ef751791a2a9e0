//! End-to-end DHCPv4 tests: the real `ruru` binary on loopback, driven over
//! the wire by a relay agent (see tests/common/mod.rs), checking replies, the
//! lease file and the statistics ruru logs at shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use common::*;
use dhcproto::v4::{DhcpOption, MessageType, OptionCode};

const SID: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A config for one test: subnet 192.0.2.0/24 reached through `relay`.
fn config(relay: Ipv4Addr, extra_global: &str, extra_subnet: &str) -> String {
    format!(
        r#"{{
  // test config
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600, "renew-timer": 900, "rebind-timer": 1800,
    {extra_global}
    "option-data": [ {{ "name": "domain-name-servers", "data": "192.0.2.53, 192.0.2.54" }} ],
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["{relay}"] }},
      "option-data": [ {{ "name": "routers", "data": "192.0.2.1" }},
                       {{ "name": "domain-name", "data": "example.org" }} ],
      {extra_subnet}
      "reservations": [ {{ "hw-address": "02:00:5e:10:00:aa", "ip-address": "192.0.2.10", "hostname": "reserved-host" }} ]
    }} ]
  }}
}}"#
    )
}

fn setup(test: &str, extra_global: &str, extra_subnet: &str) -> Option<(Server, Relay)> {
    if !can_bind_67(test) {
        return None;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&config(ra, extra_global, extra_subnet));
    let relay = Relay::new(ra, srv.port);
    Some((srv, relay))
}

#[test]
fn dora_assigns_pool_address_with_options_and_stores_lease() {
    let Some((mut srv, relay)) = setup("dora_assigns", "", "") else {
        return;
    };
    let mut c = Client::new(1, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(msg_type(&offer), Some(MessageType::Offer));
    let a = offer.yiaddr();
    assert!(
        a >= Ipv4Addr::new(192, 0, 2, 100) && a <= Ipv4Addr::new(192, 0, 2, 199),
        "{a}"
    );
    assert_eq!(server_id(&offer), Some(SID));
    assert_eq!(offer.giaddr(), relay.addr);
    let raw = common::encode(&offer);
    assert_eq!(raw_option(&raw, 1), Some(vec![255, 255, 255, 0]));
    assert_eq!(raw_option(&raw, 3), Some(vec![192, 0, 2, 1]));
    assert_eq!(
        raw_option(&raw, 6),
        Some(vec![192, 0, 2, 53, 192, 0, 2, 54])
    );
    assert_eq!(raw_option(&raw, 15), Some(b"example.org".to_vec()));
    assert_eq!(raw_option(&raw, 51), Some(3600u32.to_be_bytes().to_vec()));
    assert_eq!(raw_option(&raw, 58), Some(900u32.to_be_bytes().to_vec()));
    assert_eq!(raw_option(&raw, 59), Some(1800u32.to_be_bytes().to_vec()));
    // An OFFER stores nothing.
    assert!(csv_rows_for(&srv.lease_file("leases4.csv"), a).is_empty());

    let ack = relay.exchange(&c.request_selecting(a, SID)).expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), a);
    // The lease is in the journal before the ACK arrives.
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), a);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][1], "02:00:5e:10:00:01");
    assert_eq!(rows[0][3], "3600");
    assert_eq!(rows[0][5], "1");
    assert_eq!(rows[0][9], "0");

    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-discover-received"),
        Some(1)
    );
    assert_eq!(Server::stat_from_log(&log, "pkt4-offer-sent"), Some(1));
    assert_eq!(Server::stat_from_log(&log, "pkt4-ack-sent"), Some(1));
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-addresses"),
        Some(1)
    );
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].total-addresses"),
        Some(100)
    );
}

/// A burst of queries sent back to back (the worker takes up to 16 per
/// `recvmmsg` and sends their replies in one `sendmmsg`): every query is
/// answered once, to its own xid, every client gets its own address, and
/// every ACKed lease is in the lease file.
#[test]
fn a_burst_of_queries_is_answered_in_full() {
    let Some((mut srv, relay)) = setup("burst_of_queries", "", "") else {
        return;
    };
    const N: u8 = 60;
    let mut clients: Vec<Client> = (1..=N).map(|i| Client::new(i, relay.addr)).collect();
    let collect = |want: usize| {
        let mut got = std::collections::HashMap::new();
        while got.len() < want {
            let Some(r) = relay.recv() else { break };
            assert!(got.insert(r.xid(), r).is_none(), "one reply per query");
        }
        got
    };
    let discovers: Vec<_> = clients.iter_mut().map(Client::discover).collect();
    for d in &discovers {
        relay.send(d);
    }
    let offers = collect(discovers.len());
    assert_eq!(offers.len(), discovers.len(), "every DISCOVER answered");
    let mut requests = Vec::new();
    let mut offered = std::collections::HashSet::new();
    for (c, d) in clients.iter_mut().zip(&discovers) {
        let o = &offers[&d.xid()];
        assert_eq!(msg_type(o), Some(MessageType::Offer));
        assert_eq!(o.chaddr(), &c.mac[..], "the OFFER is the client's");
        assert!(offered.insert(o.yiaddr()), "distinct addresses");
        requests.push(c.request_selecting(o.yiaddr(), server_id(o).unwrap()));
    }
    for r in &requests {
        relay.send(r);
    }
    let acks = collect(requests.len());
    assert_eq!(acks.len(), requests.len(), "every REQUEST answered");
    for r in &requests {
        let a = &acks[&r.xid()];
        assert_eq!(msg_type(a), Some(MessageType::Ack));
        assert!(offered.contains(&a.yiaddr()));
    }
    srv.stop();
    let file = srv.lease_file("leases4.csv");
    for a in &offered {
        assert!(file.contains(&format!("{a},")), "{a} stored");
    }
}

#[test]
fn returning_client_gets_same_address_and_renewal_extends() {
    let Some((_srv, relay)) = setup("returning_client", "", "") else {
        return;
    };
    let mut c = Client::new(2, relay.addr).with_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 2]);
    let a = c.dora(&relay);
    // Another DISCOVER from the same client: same address.
    let offer = relay.exchange(&c.discover()).unwrap();
    assert_eq!(offer.yiaddr(), a);
    // RFC 6842: client identifier echoed.
    assert_eq!(
        raw_option(&common::encode(&offer), 61),
        Some(vec![1, 2, 0, 0x5e, 0x10, 0, 2])
    );
    // RENEWING: ciaddr set, no server id, no option 50.
    let ack = relay.exchange(&c.request_renew(a)).unwrap();
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), a);
    assert_eq!(ack.ciaddr(), a);
    // Same client-id with a different MAC is still the same client.
    let mut moved = c.clone();
    moved.mac[5] = 0x77;
    let offer = relay.exchange(&moved.discover()).unwrap();
    assert_eq!(offer.yiaddr(), a);
}

#[test]
fn two_clients_get_different_addresses_and_requested_address_is_honoured() {
    let Some((_srv, relay)) = setup("two_clients", "", "") else {
        return;
    };
    let mut a = Client::new(3, relay.addr);
    let mut b = Client::new(4, relay.addr);
    let aa = a.dora(&relay);
    let bb = b.dora(&relay);
    assert_ne!(aa, bb);
    // Option 50 in DISCOVER is honoured when free...
    let mut c = Client::new(5, relay.addr);
    let want = Ipv4Addr::new(192, 0, 2, 150);
    let mut d = c.discover();
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(want));
    assert_eq!(relay.exchange(&d).unwrap().yiaddr(), want);
    // ...and not when taken by another client.
    let mut d = c.discover();
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(aa));
    let o = relay.exchange(&d).unwrap();
    assert_ne!(o.yiaddr(), aa);
    // REQUEST (SELECTING) for an address leased to another client: NAK,
    // broadcast bit set because it goes through a relay.
    let nak = relay.exchange(&c.request_selecting(bb, SID)).unwrap();
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    assert!(nak.flags().broadcast());
    assert_eq!(nak.yiaddr(), Ipv4Addr::UNSPECIFIED);
}

#[test]
fn init_reboot_ack_nak_and_silence() {
    let Some((_srv, relay)) = setup("init_reboot", "", "") else {
        return;
    };
    let mut c = Client::new(6, relay.addr);
    let a = c.dora(&relay);
    // Known client, its own address: ACK.
    let ack = relay.exchange(&c.request_init_reboot(a)).unwrap();
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    // Known client, another address: NAK.
    let other = Ipv4Addr::new(192, 0, 2, 198);
    let nak = relay.exchange(&c.request_init_reboot(other)).unwrap();
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    // Wrong network: NAK.
    let nak = relay
        .exchange(&c.request_init_reboot(Ipv4Addr::new(198, 51, 100, 7)))
        .unwrap();
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    // Unknown client, not authoritative: silence (RFC 2131 §4.3.2).
    let mut stranger = Client::new(7, relay.addr);
    assert!(relay
        .exchange(&stranger.request_init_reboot(other))
        .is_none());
}

#[test]
fn authoritative_server_naks_unknown_init_reboot_client() {
    let Some((_srv, relay)) = setup("authoritative", "\"authoritative\": true,", "") else {
        return;
    };
    let mut stranger = Client::new(8, relay.addr);
    // Unknown client asking for an address that is free: ACK it (Kea).
    let free = Ipv4Addr::new(192, 0, 2, 190);
    let ack = relay.exchange(&stranger.request_init_reboot(free)).unwrap();
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    // Unknown client asking for an address leased to someone else: NAK.
    let mut other = Client::new(9, relay.addr);
    let nak = relay.exchange(&other.request_init_reboot(free)).unwrap();
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
}

#[test]
fn release_frees_the_lease() {
    let Some((mut srv, relay)) = setup("release", "", "") else {
        return;
    };
    let mut c = Client::new(10, relay.addr);
    let a = c.dora(&relay);
    relay.send(&c.release(a, SID));
    // RELEASE has no reply; the journal gets a deletion row (valid_lifetime 0).
    assert!(wait_until(Duration::from_secs(3), || {
        csv_rows_for(&srv.lease_file("leases4.csv"), a)
            .last()
            .map(|r| r[3].as_str())
            == Some("0")
    }));
    // The address can now go to another client.
    let mut d = Client::new(11, relay.addr);
    let mut m = d.discover();
    m.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    assert_eq!(relay.exchange(&m).unwrap().yiaddr(), a);
    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-release-received"),
        Some(1)
    );
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-addresses"),
        Some(0)
    );
}

#[test]
fn decline_holds_address_for_probation() {
    let Some((mut srv, relay)) = setup("decline", "\"decline-probation-period\": 600,", "") else {
        return;
    };
    let mut c = Client::new(12, relay.addr);
    let a = c.dora(&relay);
    relay.send(&c.decline(a, SID));
    assert!(wait_until(Duration::from_secs(3), || {
        csv_rows_for(&srv.lease_file("leases4.csv"), a)
            .last()
            .is_some_and(|r| r[9] == "1" && r[3] == "600" && r[1].is_empty())
    }));
    // Nobody gets the declined address, not even by asking.
    let mut d = Client::new(13, relay.addr);
    let mut m = d.discover();
    m.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    assert_ne!(relay.exchange(&m).unwrap().yiaddr(), a);
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "declined-addresses"), Some(1));
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].declined-addresses"),
        Some(1)
    );
}

#[test]
fn inform_gets_options_at_ciaddr_without_lease() {
    if !can_bind_67("inform") {
        return;
    }
    let ra = relay_addr_for("inform");
    let cfg = config(ra, "", "").replace(
        "\"subnet4\": [",
        r#""subnet4": [ { "id": 9, "subnet": "127.0.0.0/8", "option-data": [ { "name": "domain-name", "data": "lo.example" } ] },"#,
    );
    let mut srv = Server::start(&cfg);
    // A directly connected client that already has an address (ciaddr).
    let client_ip = relay_addr_for("inform-client");
    let sock = UdpSocket::bind(SocketAddrV4::new(client_ip, srv.client_port)).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut c = Client::new(14, Ipv4Addr::UNSPECIFIED);
    let mut m = c.base(MessageType::Inform);
    m.set_ciaddr(client_ip);
    sock.send_to(
        &common::encode(&m),
        SocketAddrV4::new(Ipv4Addr::LOCALHOST, srv.port),
    )
    .unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = sock.recv_from(&mut buf).expect("ACK to ciaddr");
    let ack = common::decode(&buf[..n]);
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(raw_option(&buf[..n], 15), Some(b"lo.example".to_vec()));
    assert_eq!(
        raw_option(&buf[..n], 51),
        None,
        "no lease time in an INFORM ACK"
    );
    assert!(
        srv.lease_file("leases4.csv").lines().count() <= 1,
        "no lease stored"
    );
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "pkt4-inform-received"), Some(1));
}

#[test]
fn reservation_by_mac_wins_and_is_never_given_to_others() {
    let Some((_srv, relay)) = setup("reservation_mac", "", "") else {
        return;
    };
    let reserved = Ipv4Addr::new(192, 0, 2, 10);
    // Another client asking for the reserved address does not get it.
    let mut other = Client::new(15, relay.addr);
    let mut m = other.discover();
    m.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(reserved));
    assert_ne!(relay.exchange(&m).unwrap().yiaddr(), reserved);
    let nak = relay
        .exchange(&other.request_selecting(reserved, SID))
        .unwrap();
    assert_eq!(msg_type(&nak), Some(MessageType::Nak));
    // The owner gets it, with its hostname when it asks for option 12.
    let mut owner = Client::new(0xaa, relay.addr);
    let mut d = owner.discover();
    d.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::Hostname,
        OptionCode::Router,
    ]));
    let offer = relay.exchange(&d).unwrap();
    assert_eq!(offer.yiaddr(), reserved);
    assert_eq!(
        raw_option(&common::encode(&offer), 12),
        Some(b"reserved-host".to_vec())
    );
    assert_eq!(owner.dora(&relay), reserved);
}

#[test]
fn reservations_by_client_id_and_circuit_id() {
    let subnet_extra = r#""reservations-placeholder": 0,"#;
    let _ = subnet_extra;
    if !can_bind_67("reservation_ids") {
        return;
    }
    let ra = relay_addr_for("reservation_ids");
    let cfg = config(ra, "", "").replace(
        r#""reservations": [ "#,
        r#""reservations": [ { "client-id": "01:02:00:5e:10:00:20", "ip-address": "192.0.2.20" },
                             { "circuit-id": "'port-7'", "ip-address": "192.0.2.21" }, "#,
    );
    let srv = Server::start(&cfg);
    let relay = Relay::new(ra, srv.port);
    let mut by_cid = Client::new(0x20, relay.addr).with_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 0x20]);
    assert_eq!(by_cid.dora(&relay), Ipv4Addr::new(192, 0, 2, 20));
    // Circuit-id comes from the relay's option 82; it is echoed back as sent.
    let mut by_circuit = Client::new(0x21, relay.addr);
    let mut d = by_circuit.discover();
    let ri = [1u8, 6, b'p', b'o', b'r', b't', b'-', b'7', 2, 3, 9, 9, 9];
    let mut bytes = common::encode(&d);
    bytes.pop(); // end option
    bytes.extend_from_slice(&[82, ri.len() as u8]);
    bytes.extend_from_slice(&ri);
    bytes.push(255);
    relay.send_raw(&bytes);
    let reply = relay.recv_raw().expect("OFFER");
    assert_eq!(
        common::decode(&reply).yiaddr(),
        Ipv4Addr::new(192, 0, 2, 21)
    );
    assert_eq!(
        raw_option(&reply, 82),
        Some(ri.to_vec()),
        "RFC 3046: option 82 echoed"
    );
    d.opts_mut().clear();
}

#[test]
fn exhausted_pool_answers_nothing_and_is_counted() {
    if !can_bind_67("exhausted") {
        return;
    }
    let ra = relay_addr_for("exhausted");
    let cfg = config(ra, "", "").replace("192.0.2.100 - 192.0.2.199", "192.0.2.100 - 192.0.2.101");
    let mut srv = Server::start(&cfg);
    let relay = Relay::new(ra, srv.port);
    let a = Client::new(30, ra).dora(&relay);
    let b = Client::new(31, ra).dora(&relay);
    assert_ne!(a, b);
    let mut third = Client::new(32, ra);
    assert!(relay.exchange(&third.discover()).is_none());
    // The server keeps serving: the first client renews.
    let mut first = Client::new(30, ra);
    assert_eq!(
        msg_type(&relay.exchange(&first.request_renew(a)).unwrap()),
        Some(MessageType::Ack)
    );
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "v4-allocation-fail"), Some(1));
}

#[test]
fn malformed_packets_are_dropped_counted_and_serving_continues() {
    let Some((mut srv, relay)) = setup("malformed", "", "") else {
        return;
    };
    let mut c = Client::new(40, relay.addr);
    let good = common::encode(&c.discover());
    let mut bad_magic = good.clone();
    bad_magic[236] = 0;
    let mut bad_len = good.clone();
    bad_len.truncate(bad_len.len() - 1);
    bad_len.extend_from_slice(&[12, 200, b'x']);
    let mut bootreply = good.clone();
    bootreply[0] = 2;
    let mut bad_type = good.clone();
    let pos = bad_type.windows(3).position(|w| w == [53, 1, 1]).unwrap();
    bad_type[pos + 2] = 77;
    let mut huge_hlen = good.clone();
    huge_hlen[2] = 200;
    for p in [
        &good[..10],
        &bad_magic[..],
        &bad_len[..],
        &bootreply[..],
        &bad_type[..],
        &huge_hlen[..],
        &[0u8; 0][..],
        &[0xffu8; 600][..],
    ] {
        relay.send_raw(p);
    }
    // Still serving.
    assert!(c.dora(&relay) >= Ipv4Addr::new(192, 0, 2, 100));
    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-parse-failed"),
        Some(6),
        "{}",
        log.join("\n")
    );
    // The six above, plus the BOOTREPLY and the unknown message type.
    assert_eq!(Server::stat_from_log(&log, "pkt4-receive-drop"), Some(8));
    assert_eq!(
        Server::stat_from_log(&log, "pkt4-unknown-received"),
        Some(1)
    );
}

#[test]
fn leases_survive_restart_and_crash() {
    let Some((mut srv, relay)) = setup("restart", "", "") else {
        return;
    };
    let mut c = Client::new(50, relay.addr);
    let a = c.dora(&relay);
    srv.stop();
    srv.spawn();
    let offer = relay.exchange(&c.discover()).unwrap();
    assert_eq!(offer.yiaddr(), a, "same address after restart");
    let mut d = Client::new(51, relay.addr);
    let b = d.dora(&relay);
    // kill -9: the ACKed lease is already in the file.
    srv.kill();
    srv.spawn();
    assert_eq!(
        relay
            .exchange(&d.request_init_reboot(b))
            .map(|m| msg_type(&m)),
        Some(Some(MessageType::Ack))
    );
    let mut e = Client::new(52, relay.addr);
    let mut m = e.discover();
    m.opts_mut().insert(DhcpOption::RequestedIpAddress(b));
    assert_ne!(
        relay.exchange(&m).unwrap().yiaddr(),
        b,
        "restored lease is not given away"
    );
}

#[test]
fn kea_written_lease_file_loads() {
    if !can_bind_67("kea_file") {
        return;
    }
    let ra = relay_addr_for("kea_file");
    let dir = tempfile::tempdir().unwrap();
    let expire = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3000;
    // Exactly what Kea 2.2 writes (header, escaped comma in the hostname, a
    // deleted lease row with valid_lifetime 0).
    let kea = format!(
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
192.0.2.123,02:00:5e:10:00:60,01:02:00:5e:10:00:60,3600,{expire},1,0,0,host&#x2cone,0,\n\
192.0.2.124,02:00:5e:10:00:61,,3600,{expire},1,0,0,,0,\n\
192.0.2.124,02:00:5e:10:00:61,,0,{expire},1,0,0,,0,\n"
    );
    std::fs::write(dir.path().join("leases4.csv"), kea).unwrap();
    let mut srv = Server::start_in(dir, &config(ra, "", ""));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x60, ra).with_client_id(&[1, 2, 0, 0x5e, 0x10, 0, 0x60]);
    assert_eq!(
        relay.exchange(&c.discover()).unwrap().yiaddr(),
        Ipv4Addr::new(192, 0, 2, 123)
    );
    // The deleted lease's address is free again.
    let mut d = Client::new(0x62, ra);
    let mut m = d.discover();
    m.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            192, 0, 2, 124,
        )));
    assert_eq!(
        relay.exchange(&m).unwrap().yiaddr(),
        Ipv4Addr::new(192, 0, 2, 124)
    );
    let log = srv.stop();
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-addresses"),
        Some(1)
    );
}

#[test]
fn expired_leases_are_reclaimed_on_schedule() {
    let Some((mut srv, relay)) = setup(
        "reclaim",
        r#""expired-leases-processing": { "reclaim-timer-wait-time": 1, "hold-reclaimed-time": 3600 },"#,
        r#""valid-lifetime": 3, "min-valid-lifetime": 1, "max-valid-lifetime": 4, "renew-timer": 1, "rebind-timer": 2,"#,
    ) else {
        return;
    };
    let mut c = Client::new(70, relay.addr);
    let a = c.dora(&relay);
    assert!(
        wait_until(Duration::from_secs(8), || {
            csv_rows_for(&srv.lease_file("leases4.csv"), a)
                .last()
                .is_some_and(|r| r[9] == "2")
        }),
        "lease reclaimed (state 2) in the journal"
    );
    // The reclaimed address is still offered to its old client first.
    assert_eq!(relay.exchange(&c.discover()).unwrap().yiaddr(), a);
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "reclaimed-leases"), Some(1));
    assert_eq!(
        Server::stat_from_log(&log, "subnet[1].assigned-addresses"),
        Some(0)
    );
}

#[test]
fn max_message_size_triggers_option_overload() {
    if !can_bind_67("overload") {
        return;
    }
    let ra = relay_addr_for("overload");
    // Many long options: more than the 312 option octets a 576-byte client takes.
    let long = "x".repeat(120);
    let cfg = config(ra, "", "").replace(
        r#"{ "name": "domain-name", "data": "example.org" }"#,
        &format!(
            r#"{{ "name": "domain-name", "data": "example.org" }},
               {{ "name": "merit-dump", "data": "{long}" }},
               {{ "name": "root-path", "data": "{long}" }},
               {{ "name": "extensions-path", "data": "{long}" }}"#
        ),
    );
    let srv = Server::start(&cfg);
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(80, ra);
    let mut d = c.discover();
    d.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::SubnetMask,
        OptionCode::MeritDumpFile,
        OptionCode::RootPath,
        OptionCode::ExtensionsPath,
    ]));
    d.opts_mut().insert(DhcpOption::MaxMessageSize(576));
    relay.send(&d);
    let raw = relay.recv_raw().expect("OFFER");
    assert!(
        raw.len() <= 576 - 28,
        "reply of {} bytes exceeds 548",
        raw.len()
    );
    let overload = raw_option(&raw, 52).expect("option 52");
    assert!(overload[0] & 1 == 1, "file field used");
    // Everything requested arrived somewhere (dhcproto reads overloaded fields too).
    let m = common::decode(&raw);
    assert!(m.fname().is_some());
    drop(srv);
}

#[test]
fn sighup_reloads_and_bad_config_keeps_running_one() {
    let Some((mut srv, relay)) = setup("sighup", "", "") else {
        return;
    };
    let mut c = Client::new(90, relay.addr);
    c.dora(&relay);
    let cfg = std::fs::read_to_string(&srv.config).unwrap();
    std::fs::write(&srv.config, cfg.replace("192.0.2.1\" }", "192.0.2.254\" }")).unwrap();
    srv.signal("-HUP");
    assert!(srv.wait_log("configuration applied", Duration::from_secs(5)));
    let offer = relay.exchange(&c.discover()).unwrap();
    assert_eq!(
        raw_option(&common::encode(&offer), 3),
        Some(vec![192, 0, 2, 254])
    );
    // A broken file is refused; the server keeps serving the previous config.
    std::fs::write(
        &srv.config,
        "{ \"Dhcp4\": { \"subnet4\": [ { \"id\": 1, \"subnet\": \"nonsense\" } ] } }",
    )
    .unwrap();
    srv.signal("-HUP");
    assert!(srv.wait_log("reload failed", Duration::from_secs(5)));
    let offer = relay.exchange(&c.discover()).unwrap();
    assert_eq!(
        raw_option(&common::encode(&offer), 3),
        Some(vec![192, 0, 2, 254])
    );
    let _ = srv.stop();
}

#[test]
fn lease_file_compaction_keeps_leases() {
    let Some((mut srv, relay)) = setup("lfc", "", "") else {
        return;
    };
    let cfg = std::fs::read_to_string(&srv.config).unwrap();
    std::fs::write(
        &srv.config,
        cfg.replace("\"lfc-interval\": 0", "\"lfc-interval\": 1"),
    )
    .unwrap();
    srv.stop();
    srv.spawn();
    let mut c = Client::new(95, relay.addr);
    let a = c.dora(&relay);
    for _ in 0..3 {
        relay.exchange(&c.request_renew(a)).unwrap();
    }
    assert!(
        srv.wait_log("lease file compacted", Duration::from_secs(6)),
        "{}",
        srv.log_text()
    );
    assert!(
        srv.path("leases4.csv.2").exists(),
        "compacted file (Kea names it .2)"
    );
    assert!(srv.path("leases4.csv.ruru-snapshot").exists());
    // No more compactions (one may still be under way): the next lease is
    // journaled after the snapshot.
    std::fs::write(&srv.config, &cfg).unwrap();
    srv.signal("-HUP");
    assert!(srv.wait_log("configuration applied", Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(1500));
    let mut d = Client::new(96, relay.addr);
    let b = d.dora(&relay);
    srv.stop();
    srv.log.lock().unwrap().clear();
    srv.spawn();
    assert!(
        srv.log_text().contains("lease snapshot loaded"),
        "{}",
        srv.log_text()
    );
    assert_eq!(relay.exchange(&c.discover()).unwrap().yiaddr(), a);
    assert_eq!(relay.exchange(&d.discover()).unwrap().yiaddr(), b);
    // Kea's LFC or an operator rewrites .2: the snapshot stands for it no
    // more, and the CSV files are read.
    srv.stop();
    let two = srv.path("leases4.csv.2");
    let text = std::fs::read(&two).unwrap();
    std::fs::remove_file(&two).unwrap();
    std::fs::write(&two, text).unwrap();
    srv.log.lock().unwrap().clear();
    srv.spawn();
    assert!(
        srv.log_text().contains("lease snapshot not used"),
        "{}",
        srv.log_text()
    );
    assert_eq!(relay.exchange(&c.discover()).unwrap().yiaddr(), a);
    assert_eq!(relay.exchange(&d.discover()).unwrap().yiaddr(), b);
}

#[test]
fn twenty_reloads_under_load_lose_no_exchange() {
    let Some((mut srv, relay)) = setup("reload_under_load", "", "") else {
        return;
    };
    let cfg_path = srv.config.clone();
    let original = std::fs::read_to_string(&cfg_path).unwrap();
    let pid = srv.child.as_ref().unwrap().id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let d2 = done.clone();
    // 20 reloads, each with a changed router option, while traffic flows.
    let reloader = std::thread::spawn(move || {
        for i in 0..20u8 {
            let text = original.replace("192.0.2.1\" }", &format!("192.0.2.{}\" }}", 200 + i));
            std::fs::write(&cfg_path, text).unwrap();
            std::process::Command::new("kill")
                .args(["-HUP", &pid.to_string()])
                .status()
                .unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
        d2.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let mut exchanges = 0u32;
    let mut lost = 0u32;
    let mut mac = 0u8;
    while !done.load(std::sync::atomic::Ordering::Relaxed) || exchanges < 50 {
        mac = mac.wrapping_add(1) % 90;
        let mut c = Client::new(mac, relay.addr);
        exchanges += 1;
        let Some(offer) = relay.exchange(&c.discover()) else {
            lost += 1;
            continue;
        };
        match relay.exchange(&c.request_selecting(offer.yiaddr(), SID)) {
            Some(a) if msg_type(&a) == Some(MessageType::Ack) => {}
            _ => lost += 1,
        }
        if exchanges > 5000 {
            break;
        }
    }
    reloader.join().unwrap();
    assert!(
        srv.wait_log("configuration applied", Duration::from_secs(1)),
        "reloads happened"
    );
    let applied = srv.log_text().matches("configuration applied").count();
    assert_eq!(applied, 20, "every SIGHUP applied a configuration");
    assert_eq!(
        lost, 0,
        "{lost} of {exchanges} DORA exchanges unanswered during 20 reloads"
    );
    let _ = srv.stop();
}

/// kill -9 while clients are being served at full speed from three relays
/// (three subnets): every lease that was ACKed is in the lease file, for
/// the client that got it, and the restarted server knows it. An ACK goes
/// out only after its lease is written to the journal.
#[test]
fn kill_9_under_load_loses_no_acknowledged_lease() {
    let names = ["crash_load_a", "crash_load_b", "crash_load_c"];
    if names.iter().any(|n| !can_bind_67(n)) {
        return;
    }
    let relays: Vec<Ipv4Addr> = names.iter().map(|n| relay_addr_for(n)).collect();
    let nets = ["192.0.2", "198.51.100", "203.0.113"];
    let subnets: Vec<String> = relays
        .iter()
        .zip(nets)
        .enumerate()
        .map(|(i, (r, n))| {
            format!(
                r#"{{ "id": {}, "subnet": "{n}.0/24", "pools": [ {{ "pool": "{n}.10 - {n}.250" }} ],
                     "relay": {{ "ip-addresses": ["{r}"] }} }}"#,
                i + 1
            )
        })
        .collect();
    let cfg = format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 3600,
    "subnet4": [ {} ]
}} }}"#,
        subnets.join(", ")
    );
    let mut srv = Server::start(&cfg);
    let port = srv.port;
    let acked: std::sync::Mutex<Vec<([u8; 6], Ipv4Addr)>> = std::sync::Mutex::new(Vec::new());
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for (t, &ra) in relays.iter().enumerate() {
            let (acked, stop) = (&acked, &stop);
            scope.spawn(move || {
                let relay = Relay::new(ra, port);
                relay
                    .sock
                    .set_read_timeout(Some(Duration::from_millis(300)))
                    .unwrap();
                for i in 0u16..300 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    let mut c = Client::new(0, ra);
                    let [hi, lo] = i.to_be_bytes();
                    c.mac = [0x02, 0x00, 0x5e, u8::try_from(t).unwrap(), hi, lo];
                    c.xid = 0x2000_0000 + (u32::try_from(t).unwrap() << 16) + u32::from(i);
                    let Some(offer) = relay.exchange(&c.discover()) else {
                        continue;
                    };
                    let req = c.request_selecting(offer.yiaddr(), Ipv4Addr::LOCALHOST);
                    if let Some(ack) = relay.exchange(&req) {
                        if msg_type(&ack) == Some(MessageType::Ack) {
                            acked.lock().unwrap().push((c.mac, ack.yiaddr()));
                        }
                    }
                }
            });
        }
        // Kill in the middle of the traffic.
        assert!(wait_until(Duration::from_secs(30), || acked
            .lock()
            .unwrap()
            .len()
            >= 250));
        srv.kill();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    let acked = acked.into_inner().unwrap();
    assert!(acked.len() >= 250);
    // Every ACKed lease is in the journal, with its client's MAC.
    let text = std::fs::read_to_string(srv.path("leases4.csv")).unwrap();
    for (mac, a) in &acked {
        let rows = csv_rows_for(&text, *a);
        let want = mac
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        assert!(
            rows.iter().any(|r| r.get(1) == Some(&want)),
            "ACKed lease {a} for {want} is not in the lease file: {rows:?}"
        );
    }
    // The restarted server loads them all.
    srv.spawn();
    let log = srv.stop();
    let assigned: i64 = (1..=3)
        .filter_map(|i| Server::stat_from_log(&log, &format!("subnet[{i}].assigned-addresses")))
        .sum();
    assert!(
        assigned >= i64::try_from(acked.len()).unwrap(),
        "{assigned} < {}",
        acked.len()
    );
}

/// A server whose only pool address, 192.0.2.100, is in the lease file
/// with subnet ID 7 (no such subnet), under `lease-checks` `mode`.
fn sanity_server(test: &str, mode: &str) -> Option<(Server, Relay)> {
    if !can_bind_67(test) {
        return None;
    }
    let ra = relay_addr_for(test);
    let dir = tempfile::tempdir().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    write(
        &dir.path().join("leases4.csv"),
        &format!(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
             192.0.2.100,02:00:5e:10:00:01,,3600,{},7,0,0,,0,\n",
            now + 3600
        ),
    );
    let cfg = format!(
        r#"{{ "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
    "sanity-checks": {{ "lease-checks": "{mode}" }},
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.100" }} ],
      "relay": {{ "ip-addresses": ["{ra}"] }}
    }} ]
}} }}"#
    );
    let srv = Server::start_in(dir, &cfg);
    let relay = Relay::new(ra, srv.port);
    Some((srv, relay))
}

#[test]
fn sanity_checks_decide_whether_a_misplaced_lease_holds_its_address() {
    // `del`: the lease is not loaded, so another client is offered the
    // address; the lease file is left as it was (as in Kea).
    let Some((srv, relay)) = sanity_server("sanity_del", "del") else {
        return;
    };
    let mut c = Client::new(2, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 100));
    assert!(srv
        .lease_file("leases4.csv")
        .contains("192.0.2.100,02:00:5e:10:00:01,"));
    assert!(
        srv.log_text().contains("lease not loaded"),
        "{}",
        srv.log_text()
    );
    drop(srv);

    // `warn` (Kea's default) and `fix`: loaded, so the address stays the
    // other client's and the single-address pool has nothing to offer.
    for mode in ["warn", "fix"] {
        let Some((srv, relay)) = sanity_server(&format!("sanity_{mode}"), mode) else {
            return;
        };
        let mut c = Client::new(2, relay.addr);
        assert!(relay.exchange(&c.discover()).is_none(), "{mode}");
        let log = srv.log_text();
        let said = if mode == "warn" {
            "lease sanity check failed"
        } else {
            "subnet-id 7 replaced by 1"
        };
        assert!(log.contains(said), "{mode}: {log}");
    }
}

#[test]
fn dhcp_queue_control_serves_through_kea_s_ring() {
    // Packets go through the ring (a receiver thread, then the workers);
    // DORA works as without it, and a reload keeps serving.
    let Some((mut srv, relay)) = setup(
        "queue_ring",
        r#""dhcp-queue-control": { "enable-queue": true, "queue-type": "kea-ring4", "capacity": 8 },"#,
        "",
    ) else {
        return;
    };
    let mut c = Client::new(3, relay.addr);
    let a = c.dora(&relay);
    assert!(a >= Ipv4Addr::new(192, 0, 2, 100), "{a}");
    let pid = srv.child.as_ref().unwrap().id();
    let rx = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("comm")).ok())
        .filter(|n| n.trim() == "ruru-lo-rx")
        .count();
    assert_eq!(rx, 1, "one receiver thread for the socket");
    let mut c2 = Client::new(4, relay.addr);
    assert_ne!(c2.dora(&relay), a);
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "pkt4-receive-drop"), Some(0));
    assert_eq!(Server::stat_from_log(&log, "pkt4-received"), Some(4));
}

/// Kea's lease caching over the wire (`cache-threshold`, as Kea 2.2
/// answers it: checked by hand with kea-dhcp4 2.2 and `ruru probe`, whose
/// second exchange 3 s after the first got "lease 3597 s" and no new row in
/// the lease file): a renewal shortly after the first exchange gets what is
/// left of the lease, and nothing is written to the lease file.
#[test]
fn lease_caching_renews_without_writing_the_lease_file() {
    let test = "v4_lease_cache";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "valid-lifetime": 3600, "cache-threshold": 0.5,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }} }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x51, ra);
    let addr = c.dora(&relay);
    let rows = || csv_rows_for(&srv.lease_file("leases4.csv"), addr).len();
    assert_eq!(rows(), 1);
    std::thread::sleep(Duration::from_millis(2100));
    let ack = relay
        .exchange(&c.request_renew(addr))
        .expect("ACK to the renewal");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    let lease_time = ack.opts().iter().find_map(|(_, o)| match o {
        dhcproto::v4::DhcpOption::AddressLeaseTime(t) => Some(*t),
        _ => None,
    });
    let t = lease_time.expect("option 51");
    assert!((3590..3600).contains(&t), "what is left of the lease: {t}");
    assert_eq!(rows(), 1, "nothing written for the reused lease");
}

/// Of two subnets the relay's address selects, the one with the lower
/// subnet id serves, wherever each is in the file, as Kea 2.2 selects
/// (checked by hand with kea-dhcp4 2.2 and `ruru probe` on this config).
#[test]
fn subnet_selection_goes_by_subnet_id() {
    let test = "v4_select_by_id";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "subnet4": [
    {{ "id": 7, "subnet": "198.51.100.0/24", "pools": [ {{ "pool": "198.51.100.10 - 198.51.100.20" }} ],
      "relay": {{ "ip-addresses": ["{ra}"] }} }},
    {{ "id": 3, "subnet": "203.0.113.0/24", "pools": [ {{ "pool": "203.0.113.10 - 203.0.113.20" }} ],
      "relay": {{ "ip-addresses": ["{ra}"] }} }} ],
  "shared-networks": [ {{ "name": "n", "subnet4": [
    {{ "id": 5, "subnet": "192.0.2.0/24", "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
      "relay": {{ "ip-addresses": ["{ra}"] }} }} ] }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x52, ra);
    assert_eq!(c.dora(&relay).octets()[..3], [203, 0, 113]);
}

/// A reservation's host name is in the OFFER and ACK even when the client
/// neither sent option 12 nor asked for it, as Kea 2.2 sends it (checked
/// with kea-dhcp4 2.2: an OFFER to such a client carried `12 resv-host`).
#[test]
fn reserved_hostname_is_sent_unasked() {
    let test = "v4_resv_hostname";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }},
    "reservations": [ {{ "hw-address": "02:00:5e:10:00:53", "hostname": "Resv-Host" }} ] }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x53, ra);
    let mut d = c.discover();
    d.opts_mut().remove(OptionCode::ParameterRequestList);
    let offer = relay.exchange(&d).expect("OFFER");
    assert_eq!(option_text(&offer, 12).as_deref(), Some("resv-host"));
    let sid = server_id(&offer).unwrap();
    let mut r = c.request_selecting(offer.yiaddr(), sid);
    r.opts_mut().remove(OptionCode::ParameterRequestList);
    let ack = relay.exchange(&r).expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(option_text(&ack, 12).as_deref(), Some("resv-host"));
}

/// Kea's `store-extended-info`: a relayed client's option 82 is kept in
/// the lease's user context exactly as kea-dhcp4 2.2 writes it to its lease
/// file (checked by hand with the same option 82:
/// `{ "ISC": { "relay-agent-info": "0x0104706F72740204AABBCCDD" } }`).
#[test]
fn store_extended_info_keeps_option_82_as_kea() {
    let test = "v4_extended_info";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "store-extended-info": true,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }} }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let rai = [1u8, 4, b'p', b'o', b'r', b't', 2, 4, 0xaa, 0xbb, 0xcc, 0xdd];
    // Option 82 appended as a relay appends it (raw: dhcproto re-encodes
    // its own form of 82).
    let send82 = |m: &dhcproto::v4::Message| {
        let mut bytes = common::encode(m);
        bytes.pop(); // end option
        bytes.extend_from_slice(&[82, rai.len() as u8]);
        bytes.extend_from_slice(&rai);
        bytes.push(255);
        relay.send_raw(&bytes);
        common::decode(&relay.recv_raw().expect("a reply"))
    };
    let mut c = Client::new(0x54, ra);
    let offer = send82(&c.discover());
    let sid = server_id(&offer).unwrap();
    let ack = send82(&c.request_selecting(offer.yiaddr(), sid));
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    let text = srv.lease_file("leases4.csv");
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{},", ack.yiaddr())))
        .expect("the lease in the file");
    assert!(
        line.ends_with(r#",{ "ISC": { "relay-agent-info": "0x0104706F72740204AABBCCDD" } }"#),
        "{line}"
    );
}

/// `"allocator": "random"` and `"flq"` (Kea 2.4+): twenty clients get the
/// twenty addresses of the pool, in no pool order, none twice; the
/// twenty-first gets no OFFER.
#[test]
fn random_and_flq_allocators_hand_out_the_pool_in_random_order() {
    let test = "v4_random_allocator";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    for allocator in ["random", "flq"] {
        let srv = Server::start(&format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "allocator": "{allocator}",
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.29" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }} }} ]
}} }}"#
        ));
        let relay = Relay::new(ra, srv.port);
        let got: Vec<u8> = (0..20u8)
            .map(|n| Client::new(0x60 + n, ra).dora(&relay).octets()[3])
            .collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (10..=29).collect::<Vec<u8>>(),
            "{allocator}: {got:?}"
        );
        assert_ne!(got, sorted, "{allocator}: random order");
        let mut last = Client::new(0x7f, ra);
        assert!(relay.exchange(&last.discover()).is_none(), "pool exhausted");
    }
}

/// Kea 2.6's `offer-lifetime`: the OFFER stores a lease of that many
/// seconds in the lease file (the OFFER carries the valid lifetime), and
/// the REQUEST extends it.
#[test]
fn offer_lifetime_stores_the_offered_lease() {
    let test = "v4_offer_lifetime";
    if !can_bind_67(test) {
        return;
    }
    let ra = relay_addr_for(test);
    let srv = Server::start(&format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "valid-lifetime": 2000,
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24", "offer-lifetime": 60,
    "pools": [ {{ "pool": "192.0.2.10 - 192.0.2.20" }} ],
    "relay": {{ "ip-addresses": ["{ra}"] }} }} ]
}} }}"#
    ));
    let relay = Relay::new(ra, srv.port);
    let mut c = Client::new(0x58, ra);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    let a = offer.yiaddr();
    let row = |text: String| {
        text.lines()
            .rev()
            .find(|l| l.starts_with(&format!("{a},")))
            .map(|l| l.split(',').nth(3).unwrap_or_default().to_string())
    };
    assert_eq!(
        row(srv.lease_file("leases4.csv")).as_deref(),
        Some("60"),
        "the offered lease's valid_lifetime"
    );
    let sid = server_id(&offer).unwrap();
    let ack = relay.exchange(&c.request_selecting(a, sid)).expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(row(srv.lease_file("leases4.csv")).as_deref(), Some("2000"));
}
