//! The built-in `libdhcp_bootp.so`: a BOOTP client (a BOOTREQUEST with the
//! magic cookie but no DHCP message type) is served as a DHCPREQUEST in
//! class `BOOTP`: an address stored at once with an infinite lifetime, a
//! BOOTREPLY without DHCP's own options. Without the library it is dropped.

use super::*;

fn engine_bootp(on: bool) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    cfg.bootp = on;
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

/// A BOOTP request from client `mac` through the relay (no option 53).
fn bootp(mac: u8) -> v4::Message {
    v4::Message::new_with_id(
        0xb007,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        RELAY,
        &[2, 0, 0, 0, 0, mac],
    )
}

fn bytes(o: Outcome4) -> Vec<u8> {
    match o {
        Outcome4::Reply(r) => r.bytes,
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn stat(e: &Engine4, name: &str) -> i64 {
    e.stats().lookup(name).unwrap_or(0)
}

#[test]
fn without_the_library_a_bootp_request_is_dropped() {
    let e = engine_bootp(false);
    let s = Memfile::open(None).unwrap();
    assert!(matches!(
        run(&e, &s, &bootp(1), NOW),
        Outcome4::Drop(Drop4::ParseFailed)
    ));
    assert_eq!(stat(&e, "pkt4-parse-failed"), 1);
    assert!(s.all4().is_empty());
}

#[test]
fn a_bootp_client_gets_an_infinite_lease_and_a_bootreply() {
    let e = engine_bootp(true);
    let s = Memfile::open(None).unwrap();
    let b = bytes(run(&e, &s, &bootp(1), NOW));
    assert!(b.len() >= 300, "BOOTP's minimum size: {}", b.len());
    let r = v4::Message::decode(&mut Decoder::new(&b)).unwrap();
    assert_eq!(r.opcode(), v4::Opcode::BootReply);
    let a = r.yiaddr();
    assert!(a >= Ipv4Addr::new(192, 0, 2, 100) && a <= Ipv4Addr::new(192, 0, 2, 102));
    // DHCP's own options are gone; the configured ones are there.
    for code in [50u8, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61] {
        assert!(
            r.opts().get(OptionCode::from(code)).is_none(),
            "option {code} in a BOOTREPLY"
        );
    }
    assert_eq!(
        r.opts().get(OptionCode::Router),
        Some(&DhcpOption::Router(vec![Ipv4Addr::new(192, 0, 2, 1)]))
    );
    // Stored before the reply, never expiring.
    let l = s.get4(a).expect("the BOOTP lease is stored");
    assert_eq!(l.valid_lifetime, u32::MAX);
    assert_eq!(l.expire, NOW + u64::from(u32::MAX));
    assert_eq!(l.hwaddr, vec![2, 0, 0, 0, 0, 1]);
    assert_eq!(l.state, LeaseState::Default);
    // Counted as a REQUEST received and a packet sent, not as an ACK.
    assert_eq!(stat(&e, "pkt4-request-received"), 1);
    assert_eq!(stat(&e, "pkt4-ack-sent"), 0);
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), 1);
    // Asking again gives the same address; nothing is counted twice.
    let again =
        v4::Message::decode(&mut Decoder::new(&bytes(run(&e, &s, &bootp(1), NOW + 5)))).unwrap();
    assert_eq!(again.yiaddr(), a);
    assert_eq!(s.all4().len(), 1);
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), 1);
    // It never expires: nothing to reclaim a century later.
    assert!(s.expired4(NOW + 100 * 365 * 86_400, 10).is_empty());
}

#[test]
fn a_reserved_bootp_client_gets_its_address() {
    let e = engine_bootp(true);
    let s = Memfile::open(None).unwrap();
    let r = v4::Message::decode(&mut Decoder::new(&bytes(run(&e, &s, &bootp(0xaa), NOW)))).unwrap();
    assert_eq!(r.yiaddr(), Ipv4Addr::new(192, 0, 2, 10));
}

#[test]
fn a_bootp_client_of_a_full_pool_gets_no_reply() {
    let e = engine_bootp(true);
    let s = Memfile::open(None).unwrap();
    for mac in 1..=3 {
        bytes(run(&e, &s, &bootp(mac), NOW));
    }
    assert!(matches!(
        run(&e, &s, &bootp(4), NOW),
        Outcome4::Drop(Drop4::AllocationFailed)
    ));
    assert_eq!(stat(&e, "v4-allocation-fail"), 1);
    assert_eq!(s.all4().len(), 3);
}

#[test]
fn dhcp_clients_are_unchanged_with_the_library() {
    let e = engine_bootp(true);
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 7);
    let l = s.get4(a).unwrap();
    assert_eq!(l.valid_lifetime, 3600);
    assert_eq!(stat(&e, "pkt4-ack-sent"), 1);
}
