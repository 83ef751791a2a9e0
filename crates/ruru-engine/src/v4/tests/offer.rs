//! Kea 2.6's `offer-lifetime` above 0: an OFFER stores a short lease, so
//! the address is held for the client and a repeated DISCOVER gets it
//! again; the REQUEST extends it to the valid lifetime.

use super::*;

fn engine_holding(secs: u32) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    cfg.subnets[0].offer_lifetime = secs;
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

fn lease_time(m: &v4::Message) -> Option<u32> {
    match m.opts().get(OptionCode::AddressLeaseTime) {
        Some(DhcpOption::AddressLeaseTime(t)) => Some(*t),
        _ => None,
    }
}

fn assigned(e: &Engine4) -> Option<i64> {
    e.stats().lookup("subnet[1].assigned-addresses")
}

#[test]
fn an_offer_holds_its_address_for_offer_lifetime() {
    let e = engine_holding(60);
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    let a = offer.yiaddr();
    // The OFFER carries the valid lifetime, the stored lease the hold.
    assert_eq!(lease_time(&offer), Some(3600));
    let held = s.get4(a).expect("the offered lease is stored");
    assert_eq!((held.valid_lifetime, held.expire), (60, NOW + 60));
    assert_eq!(held.hwaddr, vec![2, 0, 0, 0, 0, 1]);
    assert!(!held.fqdn_fwd && !held.fqdn_rev);
    assert_eq!(held.state, LeaseState::Default);
    assert_eq!(assigned(&e), Some(1));

    // Another client is offered another address; the first client the
    // same one again, its hold renewed from now (Kea's renewLease4 with
    // the offer lifetime).
    let other = reply(run(&e, &s, &msg(MessageType::Discover, 2), NOW + 1));
    assert_ne!(other.yiaddr(), a);
    let again = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 10));
    assert_eq!(again.yiaddr(), a);
    assert_eq!(s.get4(a).unwrap().expire, NOW + 70);
    assert_eq!(assigned(&e), Some(2));

    // The REQUEST extends the held lease to the valid lifetime; it is
    // counted once.
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let ack = reply(run(&e, &s, &r, NOW + 11));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(s.get4(a).unwrap().expire, NOW + 11 + 3600);
    assert_eq!(assigned(&e), Some(2));
}

/// The client's own lease that outlives the hold is offered unwritten; a
/// held address whose hold expired goes to the next client.
#[test]
fn a_longer_lease_is_not_shortened_and_an_expired_hold_frees_the_address() {
    let e = engine_holding(60);
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let before = s.get4(a).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 5));
    assert_eq!(offer.yiaddr(), a);
    assert_eq!(s.get4(a).unwrap(), before, "not written");

    // Client 2's hold of the next address lapses: with the pool's last
    // address held by client 3, client 4 gets it.
    let held = reply(run(&e, &s, &msg(MessageType::Discover, 2), NOW)).yiaddr();
    let third = reply(run(&e, &s, &msg(MessageType::Discover, 3), NOW + 61)).yiaddr();
    assert_ne!(third, held);
    let fourth = reply(run(&e, &s, &msg(MessageType::Discover, 4), NOW + 61)).yiaddr();
    assert_eq!(fourth, held, "the lapsed hold's address");
    assert_eq!(s.get4(held).unwrap().hwaddr, vec![2, 0, 0, 0, 0, 4]);
    // The pool is full now: the next client gets no OFFER.
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 5), NOW + 62),
        Outcome4::Drop(_)
    ));
}

#[test]
fn a_class_offer_lifetime_wins_over_the_subnet() {
    let mut cfg = (*engine_holding(0).cfg).clone();
    let parsed = ruru_config::load_str(
        r#"{"Dhcp4": {"client-classes": [{"name": "hold", "test": "substring(pkt4.mac, 5, 1) == 0x01", "offer-lifetime": 30}]}}"#,
        std::path::Path::new("t.json"),
    )
    .unwrap();
    cfg.client_classes = parsed.dhcp4.unwrap().client_classes;
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let a = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW)).yiaddr();
    assert_eq!(s.get4(a).unwrap().valid_lifetime, 30);
    let b = reply(run(&e, &s, &msg(MessageType::Discover, 2), NOW)).yiaddr();
    assert!(s.get4(b).is_none(), "not in the class: nothing held");
}
