//! Kea 2.6's `lease4_offer` and `lease4_server_decline` hook points: what
//! a callout sees, and what each next-step status does to the OFFER.

use std::sync::Mutex;

use super::*;
use crate::{HookPoint, NextStep};

/// One call seen by [`Recorder`].
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    point: HookPoint,
    lease: Option<(Ipv4Addr, LeaseState)>,
    yiaddr: Option<Ipv4Addr>,
    offer_lifetime: Option<u32>,
    subnet: Option<u32>,
    can_park: bool,
    has_query: bool,
}

/// Records the calls at the two points and answers `step` at
/// `lease4_offer`.
#[derive(Debug)]
struct Recorder {
    step: NextStep,
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    fn new(step: NextStep) -> Arc<Self> {
        Arc::new(Recorder {
            step,
            seen: Mutex::new(Vec::new()),
        })
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl crate::HookDispatch for Recorder {
    fn has(&self, p: HookPoint) -> bool {
        matches!(p, HookPoint::Lease4Offer | HookPoint::Lease4ServerDecline)
    }
    fn call(&self, a: &mut crate::HookArgs<'_>) -> NextStep {
        self.seen.lock().unwrap().push(Seen {
            point: a.point,
            lease: a.lease.as_deref().map(|l| (l.addr, l.state)),
            yiaddr: a.response.as_deref().map(|d| d.yiaddr),
            offer_lifetime: a.offer_lifetime,
            subnet: a.subnet_id,
            can_park: a.park.is_some(),
            has_query: a.query.is_some(),
        });
        match a.point {
            HookPoint::Lease4Offer => self.step,
            _ => NextStep::Continue,
        }
    }
}

fn engine_hooked(h: Arc<Recorder>, f: impl FnOnce(&mut Dhcp4)) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    f(&mut cfg);
    Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            hooks: Some(h),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    )
}

fn request(mac: u8, a: Ipv4Addr) -> v4::Message {
    let mut r = msg(MessageType::Request, mac);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    r
}

#[test]
fn lease4_offer_sees_the_ready_offer_and_continue_sends_it() {
    let h = Recorder::new(NextStep::Continue);
    let e = engine_hooked(h.clone(), |c| c.subnets[0].offer_lifetime = 60);
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    let a = offer.yiaddr();
    assert_eq!(
        h.seen(),
        [Seen {
            point: HookPoint::Lease4Offer,
            lease: Some((a, LeaseState::Default)),
            yiaddr: Some(a),
            offer_lifetime: Some(60),
            subnet: Some(1),
            can_park: true,
            has_query: true,
        }]
    );
    // Only a DISCOVER's OFFER: the REQUEST that follows does not call it.
    let ack = reply(run(&e, &s, &request(1, a), NOW));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    assert_eq!(h.seen().len(), 1);
}

/// DROP drops the OFFER; SKIP is not a status of this point in Kea
/// (the OFFER goes out).
#[test]
fn lease4_offer_drop_drops_the_offer_and_skip_does_nothing() {
    let h = Recorder::new(NextStep::Drop);
    let e = engine_hooked(h, |_| {});
    let s = Memfile::open(None).unwrap();
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 1), NOW),
        Outcome4::Drop(Drop4::Hook)
    ));
    assert_eq!(e.stats().get(crate::Stat::Pkt4DropHook), 1);
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 0);
    let h = Recorder::new(NextStep::Skip);
    let e = engine_hooked(h, |_| {});
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    assert_eq!(offer.opts().msg_type(), Some(MessageType::Offer));
}

/// PARK holds the OFFER until the library resumes it; the built-in ping
/// check is not run then (the library chain stopped at the parking one).
#[test]
fn lease4_offer_park_holds_the_offer_until_resumed() {
    let h = Recorder::new(NextStep::Park);
    let e = engine_hooked(h, |c| {
        c.ping_check = Some(PingCheck::default());
        c.subnets[0].ping_check = Some(PingCheck::default());
    });
    let s = Memfile::open(None).unwrap();
    let p = match run(&e, &s, &msg(MessageType::Discover, 1), NOW) {
        Outcome4::Parked(p) => p,
        o => panic!("expected a parked OFFER, got {o:?}"),
    };
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 0);
    let offer = reply(e.resume(*p));
    assert_eq!(offer.opts().msg_type(), Some(MessageType::Offer));
    assert_eq!(e.stats().get(crate::Stat::Pkt4OfferSent), 1);
}

/// The built-in ping check's decline: the libraries see the declined
/// lease at `lease4_server_decline`.
#[test]
fn lease4_server_decline_sees_the_declined_lease() {
    let h = Recorder::new(NextStep::Continue);
    let e = engine_hooked(h.clone(), |c| {
        c.ping_check = Some(PingCheck::default());
        c.subnets[0].ping_check = Some(PingCheck::default());
    });
    let s = Memfile::open(None).unwrap();
    let p = match run(&e, &s, &msg(MessageType::Discover, 1), NOW) {
        Outcome4::Probe(p) => *p,
        o => panic!("expected an OFFER held for its check, got {o:?}"),
    };
    let a = p.probe.addr;
    e.decline_probed(&s, &p, NOW + 1);
    let seen = h.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].point, HookPoint::Lease4Offer);
    assert_eq!(
        seen[1],
        Seen {
            point: HookPoint::Lease4ServerDecline,
            lease: Some((a, LeaseState::Declined)),
            yiaddr: None,
            offer_lifetime: None,
            subnet: Some(1),
            can_park: false,
            has_query: true,
        }
    );
    assert_eq!(s.get4(a).unwrap().state, LeaseState::Declined);
}
