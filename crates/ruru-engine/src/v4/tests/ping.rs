//! The built-in `libdhcp_ping_check.so`: which OFFERs wait for a ping
//! check of their address, finishing one whose address did not answer,
//! and the server-initiated decline of one that did.

use super::*;

fn engine_pinging(f: impl FnOnce(&mut Subnet4)) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    cfg.ping_check = Some(PingCheck::default());
    cfg.subnets[0].ping_check = Some(PingCheck {
        min_ping_requests: 2,
        reply_timeout_ms: 250,
        ..PingCheck::default()
    });
    f(&mut cfg.subnets[0]);
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

fn probed(o: Outcome4) -> Probed4 {
    match o {
        Outcome4::Probe(p) => *p,
        other => panic!("expected an OFFER held for a ping check, got {other:?}"),
    }
}

fn stat(e: &Engine4, name: &str) -> Option<i64> {
    e.stats().lookup(name)
}

#[test]
fn a_new_address_is_checked_before_it_is_offered() {
    let e = engine_pinging(|_| {});
    let s = Memfile::open(None).unwrap();
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    assert_eq!(p.probe.addr, Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!((p.probe.requests, p.probe.reply_timeout_ms), (2, 250));
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 0);
    // No answer: the OFFER goes out as it was built.
    let offer = reply(e.resume(p.parked));
    assert_eq!(offer.opts().msg_type(), Some(MessageType::Offer));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 1);
    assert_eq!(s.count4(), 0, "an OFFER stores nothing");
}

#[test]
fn an_address_that_answers_is_declined_and_the_next_discover_gets_another() {
    let e = engine_pinging(|_| {});
    let s = Memfile::open(None).unwrap();
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    let a = p.probe.addr;
    e.decline_probed(&s, &p, NOW + 1);
    let l = s.get4(a).expect("the declined lease is stored");
    assert_eq!(l.state, LeaseState::Declined);
    assert!(l.hwaddr.is_empty() && l.client_id.is_none());
    assert_eq!((l.valid_lifetime, l.expire), (86400, NOW + 1 + 86400));
    assert_eq!(l.subnet_id, 1);
    assert_eq!(e.stats().get(crate::Stat::DeclinedAddresses), 1);
    assert_eq!(stat(&e, "subnet[1].declined-addresses"), Some(1));
    assert_eq!(stat(&e, "subnet[1].pool[0].declined-addresses"), Some(1));
    // Kea counts a declined lease as assigned until it is reclaimed.
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), Some(1));
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 0);
    // The client asks again: another address, checked too.
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 2));
    assert_ne!(p.probe.addr, a);
    // Reclaimed after the probation period, as a client's decline.
    let (n, _) = e.reclaim(&s, NOW + 1 + 86400, 10);
    assert_eq!(n, 1);
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), Some(0));
    assert_eq!(e.stats().get(crate::Stat::DeclinedAddresses), 0);
}

#[test]
fn with_offer_lifetime_the_held_lease_is_declined_and_counted_once() {
    let e = engine_pinging(|s| s.offer_lifetime = 60);
    let s = Memfile::open(None).unwrap();
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    let a = p.probe.addr;
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), Some(1));
    // Asked again while the check runs: the held offer is the client's,
    // valid, and goes out unchecked (Kea checks the first offer only).
    let again = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 1));
    assert_eq!(again.yiaddr(), a);
    e.decline_probed(&s, &p, NOW + 2);
    assert_eq!(s.get4(a).unwrap().state, LeaseState::Declined);
    assert_eq!(stat(&e, "subnet[1].assigned-addresses"), Some(1));
    assert_eq!(stat(&e, "subnet[1].declined-addresses"), Some(1));
}

#[test]
fn addresses_not_checked() {
    // Disabled for the subnet.
    let e = engine_pinging(|s| {
        s.ping_check = s.ping_check.map(|p| PingCheck {
            enabled: false,
            ..p
        })
    });
    let s = Memfile::open(None).unwrap();
    reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    // Reserved for the client.
    let e = engine_pinging(|_| {});
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xaa), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 10));
    // The client's own lease last seen less than ping-cltt-secs (60) ago,
    // valid or expired: not checked; seen longer ago, even valid: checked
    // (Kea's `shouldPing`).
    let s = Memfile::open(None).unwrap();
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    let a = p.probe.addr;
    reply(e.resume(p.parked));
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    reply(run(&e, &s, &r, NOW));
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 30));
    assert_eq!(offer.yiaddr(), a);
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 100));
    assert_eq!(p.probe.addr, a);
    let mut l = s.get4(a).unwrap();
    // A 30 s lease last transmitted at NOW + 100.
    l.valid_lifetime = 30;
    l.expire = NOW + 130;
    s.update4(&l).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 159));
    assert_eq!(offer.yiaddr(), a);
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 1), NOW + 160));
    assert_eq!(p.probe.addr, a);
    // Another client's expired lease of the address: checked.
    let p = probed(run(&e, &s, &msg(MessageType::Discover, 2), NOW + 160));
    assert_ne!(p.probe.addr, a);
}
