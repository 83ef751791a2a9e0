//! Engine unit tests: whole exchanges through `Engine4::process` with an
//! in-memory store and explicit time, plus the pure helpers.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::Arc;

use dhcproto::v4::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};
use ruru_config::*;
use ruru_lease::{LeaseState, LeaseStore, Memfile};

use super::reply::{destination, Draft};
use super::*;
use crate::Stats;

mod bootp;
mod link;
mod offer;
mod offer_hooks;
mod ping;
mod pool_id;
mod random;
mod round_trips;
mod stash;

const NOW: u64 = 1_700_000_000;
const RELAY: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);

fn subnet() -> Subnet4 {
    Subnet4 {
        ha_server_name: Default::default(),
        dhcp4o6: Default::default(),
        ping_check: None,
        cache: Default::default(),
        store_extended_info: false,
        allocator: Default::default(),
        offer_lifetime: 0,
        ddns: std::sync::Arc::new(ruru_config::DdnsParams::defaults(false)),
        id: 1,
        addr: Ipv4Addr::new(192, 0, 2, 0),
        prefix_len: 24,
        pools: vec![Pool4 {
            id: 0,
            ddns: std::sync::Arc::new(ruru_config::DdnsParams::defaults(false)),
            start: Ipv4Addr::new(192, 0, 2, 100),
            end: Ipv4Addr::new(192, 0, 2, 102),
            options: vec![],
            classes: Default::default(),
        }],
        options: vec![OptionData {
            code: 3,
            data: vec![192, 0, 2, 1],
            always_send: false,
            never_send: false,
            vendor: None,
        }],
        reservations: Reservations4::new(vec![Reservation4 {
            id: HostId::HwAddress(vec![2, 0, 0, 0, 0, 0xaa]),
            ip_address: Some(Ipv4Addr::new(192, 0, 2, 10)),
            hostname: Some("res".into()),
            options: vec![],
            next_server: None,
            server_hostname: None,
            boot_file_name: None,
            client_classes: Vec::new(),
        }]),
        relay_addresses: vec![RELAY],
        interface: None,
        valid_lifetime: Lifetime {
            default: 3600,
            min: 60,
            max: 7200,
        },
        renew_timer: None,
        rebind_timer: None,
        calculate_tee_times: true,
        t1_percent: 0.5,
        t2_percent: 0.875,
        authoritative: false,
        match_client_id: true,
        next_server: Ipv4Addr::UNSPECIFIED,
        server_hostname: String::new(),
        boot_file_name: String::new(),
        classes: Default::default(),
        network: None,
        host_modes: Default::default(),
    }
}

fn engine() -> Engine4 {
    let cfg = Dhcp4 {
        dhcp4o6_port: 0,
        stash_agent_options: false,
        ddns_client: Default::default(),
        option_defs: Vec::new(),
        interfaces: InterfacesConfig {
            interfaces: vec!["lo".into()],
            socket_type: SocketType::Udp,
            require_all: false,
            max_retries: 0,
            retry_wait_ms: 5000,
            use_routing: false,
        },
        lease_database: LeaseDatabase {
            kind: LeaseDbKind::Memfile,
            name: PathBuf::from("x.csv"),
            persist: false,
            lfc_interval: 0,
            max_row_errors: 0,
        },
        hosts_databases: Vec::new(),
        subnets: vec![subnet()],
        reservations: Default::default(),
        early_global_reservations_lookup: false,
        options: vec![OptionData {
            code: 6,
            data: vec![192, 0, 2, 53],
            always_send: false,
            never_send: false,
            vendor: None,
        }],
        decline_probation_period: 86400,
        expired_leases: ExpiredLeasesProcessing::default(),
        loggers: vec![],
        echo_client_id: true,
        host_reservation_identifiers: vec![
            HostIdType::HwAddress,
            HostIdType::CircuitId,
            HostIdType::ClientId,
        ],
        multi_threading: MultiThreading::default(),
        control_sockets: Vec::new(),
        hooks_libraries: Vec::new(),
        parked_packet_limit: 256,
        server_tag: String::new(),
        compatibility: Default::default(),
        statistic_samples: Default::default(),
        lease_checks: Default::default(),
        queue_capacity: None,
        flex_id: None,
        ha: Vec::new(),
        ping_check: None,
        ping_channel_threads: 0,
        flex_options: Vec::new(),
        bootp: false,
        client_classes: Vec::new(),
    };
    Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    )
}

fn meta() -> RecvMeta {
    RecvMeta {
        over6: None,
        src: SocketAddrV4::new(RELAY, 67),
        local: Ipv4Addr::new(192, 0, 2, 250),
        iface: None,
        src_mac: None,
    }
}

fn msg(t: MessageType, mac: u8) -> v4::Message {
    let mut m = v4::Message::new_with_id(
        0xabcd,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        Ipv4Addr::UNSPECIFIED,
        RELAY,
        &[2, 0, 0, 0, 0, mac],
    );
    m.opts_mut().insert(DhcpOption::MessageType(t));
    m
}

fn run(e: &Engine4, s: &dyn LeaseStore, m: &v4::Message, now: u64) -> Outcome4 {
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    e.process(s, &b, &meta(), now)
}

fn reply(o: Outcome4) -> v4::Message {
    match o {
        Outcome4::Reply(r) => v4::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn dora(e: &Engine4, s: &dyn LeaseStore, mac: u8) -> Ipv4Addr {
    let offer = reply(run(e, s, &msg(MessageType::Discover, mac), NOW));
    let mut r = msg(MessageType::Request, mac);
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let ack = reply(run(e, s, &r, NOW));
    assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
    ack.yiaddr()
}

#[test]
fn rfc2131_dora_stores_lease_with_tee_times() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(s.count4(), 0, "an OFFER stores nothing");
    let o = offer.opts();
    assert_eq!(o.get(OptionCode::Renewal), Some(&DhcpOption::Renewal(1800)));
    assert_eq!(
        o.get(OptionCode::Rebinding),
        Some(&DhcpOption::Rebinding(3150))
    );
    assert_eq!(
        o.get(OptionCode::ServerIdentifier),
        Some(&DhcpOption::ServerIdentifier(meta().local))
    );
    let a = dora(&e, &s, 1);
    let l = s.get4(a).unwrap();
    assert_eq!(l.expire, NOW + 3600);
    assert_eq!(l.hwaddr, vec![2, 0, 0, 0, 0, 1]);
    assert_eq!(e.stats().get(crate::Stat::Pkt4AckSent), 1);
    assert_eq!(
        e.stats().lookup("subnet[1].pool[0].total-addresses"),
        Some(3)
    );
    assert_eq!(
        e.stats().lookup("subnet[1].pool[0].assigned-addresses"),
        Some(1)
    );
    assert_eq!(
        e.stats()
            .lookup("subnet[1].pool[0].cumulative-assigned-addresses"),
        Some(1)
    );
}

#[test]
fn pool_exhaustion_and_reservation_exclusion() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let got: Vec<_> = (1..=3).map(|m| dora(&e, &s, m)).collect();
    assert_eq!(got.len(), 3);
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 9), NOW),
        Outcome4::Drop(Drop4::AllocationFailed)
    ));
    assert_eq!(e.stats().get(crate::Stat::V4AllocationFail), 1);
    // The reserved client still gets its address.
    assert_eq!(dora(&e, &s, 0xaa), Ipv4Addr::new(192, 0, 2, 10));
}

#[test]
fn expired_lease_of_another_client_is_reused() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    for m in 1..=3 {
        dora(&e, &s, m);
    }
    let later = NOW + 4000;
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 9), later));
    assert!(e.cfg.subnets[0].pool_of(offer.yiaddr()).is_some());
}

#[test]
fn decline_then_reclaim_after_probation() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let mut d = msg(MessageType::Decline, 1);
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    d.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert!(matches!(run(&e, &s, &d, NOW), Outcome4::Done));
    let l = s.get4(a).unwrap();
    assert_eq!(l.state, LeaseState::Declined);
    assert!(l.hwaddr.is_empty());
    assert_eq!(e.stats().get(crate::Stat::DeclinedAddresses), 1);
    let (n, more) = e.reclaim(&s, NOW + 86400, 10);
    assert_eq!((n, more), (1, false));
    assert_eq!(s.get4(a).unwrap().state, LeaseState::ExpiredReclaimed);
    assert_eq!(e.stats().get(crate::Stat::DeclinedAddresses), 0);
    assert_eq!(e.stats().get(crate::Stat::ReclaimedDeclinedAddresses), 1);
}

/// A memfile store whose reclamation query answers `stale`: what a
/// server sharing a database read as expired before another server leased
/// the address again.
struct StaleExpired {
    inner: Memfile,
    stale: Vec<ruru_lease::Lease4>,
}

impl LeaseStore for StaleExpired {
    fn get4(&self, addr: Ipv4Addr) -> Option<ruru_lease::Lease4> {
        self.inner.get4(addr)
    }
    fn expired4(&self, _now: u64, _limit: usize) -> Vec<ruru_lease::Lease4> {
        self.stale.clone()
    }
    fn update4(&self, l: &ruru_lease::Lease4) -> Result<(), ruru_lease::LeaseError> {
        self.inner.update4(l)
    }
    fn update4_if(
        &self,
        l: &ruru_lease::Lease4,
        old: &ruru_lease::Lease4,
    ) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.update4_if(l, old)
    }
    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.delete4(addr)
    }
}

/// Reclamation writes only the lease it read as expired: one that another
/// server gave to another client meanwhile stays as it is.
#[test]
fn reclaim_leaves_a_lease_renewed_meanwhile_by_another_server() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let later = NOW + 100_000;
    let stale = s.expired4(later, 0);
    assert_eq!(stale.len(), 1);
    let mut theirs = stale[0].clone();
    theirs.hwaddr = vec![2, 0, 0, 0, 0, 9];
    theirs.expire = later + 3600;
    s.update4(&theirs).unwrap();
    let st = StaleExpired { inner: s, stale };
    assert_eq!(e.reclaim(&st, later, 0), (0, false));
    assert_eq!(st.inner.get4(a), Some(theirs));
}

#[test]
fn server_id_of_another_server_is_dropped() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            192, 0, 2, 100,
        )));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(203, 0, 113, 1)));
    assert!(matches!(
        run(&e, &s, &r, NOW),
        Outcome4::Drop(Drop4::NotForUs)
    ));
}

#[test]
fn unknown_relay_has_no_subnet() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let mut m = msg(MessageType::Discover, 1);
    m.set_giaddr(Ipv4Addr::new(203, 0, 113, 9));
    assert!(matches!(
        run(&e, &s, &m, NOW),
        Outcome4::Drop(Drop4::NoSubnet)
    ));
}

#[test]
fn lease_time_hint_is_clamped() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let mut m = msg(MessageType::Discover, 1);
    m.opts_mut().insert(DhcpOption::AddressLeaseTime(999_999));
    let o = reply(run(&e, &s, &m, NOW));
    assert_eq!(
        o.opts().get(OptionCode::AddressLeaseTime),
        Some(&DhcpOption::AddressLeaseTime(7200))
    );
}

#[test]
fn tee_times_rules() {
    let mut s = subnet();
    assert_eq!(tee_times(&s, 1000), (Some(500), Some(875)));
    s.renew_timer = Some(100);
    s.rebind_timer = Some(200);
    assert_eq!(tee_times(&s, 1000), (Some(100), Some(200)));
    // T2 not below valid: not sent; T1 then compared with valid.
    assert_eq!(tee_times(&s, 150), (Some(100), None));
    s.calculate_tee_times = false;
    s.renew_timer = None;
    s.rebind_timer = None;
    assert_eq!(tee_times(&s, 1000), (None, None));
}

#[test]
fn rfc2131_4_1_destinations() {
    let m = msg(MessageType::Discover, 1);
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    let q = packet::parse(&b).unwrap();
    let mut d = Draft::new(2);
    d.yiaddr = Ipv4Addr::new(192, 0, 2, 100);
    // Relayed: to giaddr, port 67.
    assert_eq!(destination(&q, &d, 68).addr, RELAY);
    assert_eq!(destination(&q, &d, 68).port, 67);
    // Direct, no broadcast flag: unicast to yiaddr at link level.
    let mut direct = m.clone();
    direct.set_giaddr(Ipv4Addr::UNSPECIFIED);
    let mut b = Vec::new();
    direct.encode(&mut Encoder::new(&mut b)).unwrap();
    let q = packet::parse(&b).unwrap();
    let dd = destination(&q, &d, 68);
    assert_eq!((dd.addr, dd.port, dd.link_unicast), (d.yiaddr, 68, true));
    // NAK direct: broadcast.
    assert_eq!(
        destination(&q, &Draft::new(6), 68).addr,
        Ipv4Addr::BROADCAST
    );
}

#[test]
fn rfc2132_9_3_overload_keeps_reply_within_576() {
    let m = msg(MessageType::Discover, 1);
    let mut b = Vec::new();
    m.encode(&mut Encoder::new(&mut b)).unwrap();
    let q = packet::parse(&b).unwrap();
    let mut d = Draft::new(2);
    d.options.push((53, vec![2]));
    d.options.push((54, vec![1, 2, 3, 4]));
    for code in [14u8, 17, 18] {
        d.options.push((code, vec![b'x'; 120]));
    }
    let (bytes, dropped) = reply::encode(&q, &d, None);
    assert!(bytes.len() <= 548, "{}", bytes.len());
    assert!(dropped.is_empty());
    let r = v4::Message::decode(&mut Decoder::new(&bytes)).unwrap();
    assert!(matches!(
        r.opts().get(OptionCode::OptionOverload),
        Some(DhcpOption::OptionOverload(1))
    ));
}

#[test]
fn client_moving_to_requested_address_drops_its_old_lease() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let other = Ipv4Addr::new(192, 0, 2, 102);
    assert_ne!(a, other);
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut().insert(DhcpOption::RequestedIpAddress(other));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert_eq!(reply(run(&e, &s, &r, NOW)).yiaddr(), other);
    assert!(s.get4(a).is_none(), "old lease removed");
    assert_eq!(s.count4(), 1);
    assert_eq!(e.stats().subnet(1).values()[1], ("assigned-addresses", 1));
}

#[test]
fn discover_hint_taken_falls_back_to_current_lease() {
    let e = engine();
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let b = dora(&e, &s, 2);
    let mut d = msg(MessageType::Discover, 1);
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(b));
    assert_eq!(reply(run(&e, &s, &d, NOW)).yiaddr(), a);
}

/// A dispatcher written in Rust, to check what the engine does with each
/// next-step status (the C ABI side is tested end to end in the server).
#[derive(Debug, Default)]
struct Mock {
    drop_mac: Option<u8>,
    give: Option<Ipv4Addr>,
    add_option: Option<(u8, Vec<u8>)>,
    skip_release: bool,
}

impl crate::HookDispatch for Mock {
    fn has(&self, _point: crate::HookPoint) -> bool {
        true
    }
    fn call(&self, a: &mut crate::HookArgs<'_>) -> crate::NextStep {
        use crate::{HookPoint as P, NextStep as N};
        match a.point {
            P::Pkt4Receive => {
                let q = a.query.expect("query at pkt4_receive");
                if self.drop_mac.is_some_and(|m| q.hwaddr.last() == Some(&m)) {
                    return N::Drop;
                }
            }
            P::Lease4Select => {
                if let (Some(g), Some(l)) = (self.give, a.lease.as_deref_mut()) {
                    l.addr = g;
                    a.lease_address_set = true;
                }
            }
            P::Pkt4Send => {
                if let (Some((c, v)), Some(d)) = (&self.add_option, a.response.as_deref_mut()) {
                    d.options.push((*c, v.clone()));
                }
            }
            P::Lease4Release if self.skip_release => return N::Skip,
            P::Subnet4Select => {
                let all = a.text.iter().find(|(k, _)| *k == "subnet4collection");
                assert_eq!(
                    all.map(|(_, v)| v.as_str()),
                    Some(r#"[{"id":1,"subnet":"192.0.2.0/24"}]"#)
                );
            }
            _ => {}
        }
        N::Continue
    }
}

fn engine_with(m: Mock) -> Engine4 {
    let e = engine();
    let opts = EngineOptions {
        hooks: Some(Arc::new(m)),
        ..EngineOptions::default()
    };
    Engine4::new(e.cfg.clone(), opts, Arc::new(Stats::new()))
}

#[test]
fn hook_drop_at_pkt4_receive_drops_only_that_client() {
    let e = engine_with(Mock {
        drop_mac: Some(7),
        ..Mock::default()
    });
    let s = Memfile::open(None).unwrap();
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 7), NOW),
        Outcome4::Drop(Drop4::Hook)
    ));
    assert_eq!(e.stats().get(crate::Stat::Pkt4DropHook), 1);
    dora(&e, &s, 8);
}

#[test]
fn hook_lease4_select_address_is_offered_acked_and_stored() {
    let given = Ipv4Addr::new(192, 0, 2, 42); // outside the pool
    let e = engine_with(Mock {
        give: Some(given),
        ..Mock::default()
    });
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 1), given);
    assert_eq!(s.get4(given).unwrap().hwaddr, vec![2, 0, 0, 0, 0, 1]);
}

#[test]
fn hook_pkt4_send_option_and_release_skip() {
    let e = engine_with(Mock {
        add_option: Some((252, b"http://wpad.example/wpad.dat".to_vec())),
        skip_release: true,
        ..Mock::default()
    });
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    assert!(offer.opts().iter().any(|(c, _)| u8::from(*c) == 252));
    let a = dora(&e, &s, 1);
    let mut r = msg(MessageType::Release, 1);
    r.set_ciaddr(a);
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert!(matches!(run(&e, &s, &r, NOW), Outcome4::Done));
    assert!(
        s.get4(a).is_some(),
        "SKIP at lease4_release keeps the lease"
    );
}

/// Parks at leases4_committed (or pkt4_send), as a library returning PARK.
#[derive(Debug)]
struct Parker {
    at: crate::HookPoint,
}

impl crate::HookDispatch for Parker {
    fn has(&self, p: crate::HookPoint) -> bool {
        p == self.at
    }
    fn call(&self, a: &mut crate::HookArgs<'_>) -> crate::NextStep {
        assert!(a.park.is_some(), "{:?} can park", a.point);
        if let Some(d) = a.response.as_deref_mut() {
            d.options.push((252, b"after-park".to_vec()));
        }
        crate::NextStep::Park
    }
}

#[test]
fn parked_ack_is_committed_first_and_resumes_into_the_same_reply() {
    for at in [
        crate::HookPoint::Leases4Committed,
        crate::HookPoint::Pkt4Send,
    ] {
        let base = engine();
        let e = Engine4::new(
            base.cfg.clone(),
            EngineOptions {
                hooks: Some(Arc::new(Parker { at })),
                ..EngineOptions::default()
            },
            Arc::new(Stats::new()),
        );
        let s = Memfile::open(None).unwrap();
        let offer = match run(&e, &s, &msg(MessageType::Discover, 3), NOW) {
            Outcome4::Parked(p) if at == crate::HookPoint::Pkt4Send => reply(e.resume(*p)),
            o => reply(o),
        };
        let mut req = msg(MessageType::Request, 3);
        req.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        req.opts_mut()
            .insert(DhcpOption::ServerIdentifier(meta().local));
        let p = match run(&e, &s, &req, NOW) {
            Outcome4::Parked(p) => p,
            o => panic!("{at:?}: expected a parked ACK, got {o:?}"),
        };
        assert!(
            s.get4(offer.yiaddr()).is_some(),
            "lease stored before the ACK"
        );
        let ack = match e.resume(*p) {
            Outcome4::Parked(p) => e.resume(*p), // parked again at pkt4_send
            o => o,
        };
        let ack = reply(ack);
        assert_eq!(ack.yiaddr(), offer.yiaddr());
        assert_eq!(
            ack.opts().get(OptionCode::MessageType),
            Some(&DhcpOption::MessageType(MessageType::Ack))
        );
    }
}

/// host4_identifier computes a flex-id from the MAC (`port-<last byte>`);
/// lease4_expire asks for the lease to be removed.
#[derive(Debug)]
struct FlexAndRemove;

impl crate::HookDispatch for FlexAndRemove {
    fn has(&self, p: crate::HookPoint) -> bool {
        matches!(
            p,
            crate::HookPoint::Host4Identifier | crate::HookPoint::Lease4Expire
        )
    }
    fn call(&self, a: &mut crate::HookArgs<'_>) -> crate::NextStep {
        match a.point {
            crate::HookPoint::Host4Identifier => {
                assert_eq!(a.id_type, Some(4), "flex-id");
                let mac = a.query.expect("query").hwaddr.clone();
                a.id_value = Some(format!("port-{}", mac[5]).into_bytes());
            }
            crate::HookPoint::Lease4Expire => a.remove_lease = Some(true),
            _ => {}
        }
        crate::NextStep::Continue
    }
}

#[test]
fn flex_id_from_host4_identifier_and_remove_lease_at_expire() {
    let base = engine();
    let mut cfg = (*base.cfg).clone();
    cfg.host_reservation_identifiers = vec![HostIdType::HwAddress, HostIdType::Flex];
    let mut sn = subnet();
    let mut hosts = sn.reservations.hosts.clone();
    hosts.push(Reservation4 {
        id: HostId::Flex(b"port-9".to_vec()),
        ip_address: Some(Ipv4Addr::new(192, 0, 2, 9)),
        hostname: None,
        options: vec![],
        next_server: None,
        server_hostname: None,
        boot_file_name: None,
        client_classes: Vec::new(),
    });
    sn.reservations = Reservations4::new(hosts);
    cfg.subnets = vec![sn];
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            hooks: Some(Arc::new(FlexAndRemove)),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    assert_eq!(
        dora(&e, &s, 9),
        Ipv4Addr::new(192, 0, 2, 9),
        "flex-id reservation"
    );
    let other = dora(&e, &s, 8);
    assert!(
        (100..=102).contains(&other.octets()[3]),
        "no flex match: pool"
    );
    // After expiry, lease4_expire's remove_lease deletes instead of keeping
    // the lease as expired-reclaimed.
    let (n, _) = e.reclaim(&s, NOW + 100_000, 0);
    assert_eq!(n, 2);
    assert!(s.get4(other).is_none());
    assert_eq!(s.count4(), 0);
}

use crate::fake_hosts::FakeHosts;

#[test]
fn host_database_reservation_applies_at_the_next_packet() {
    let db = Arc::new(FakeHosts::default());
    let e = Engine4::new(
        engine().cfg.clone(),
        EngineOptions {
            hosts: hosts::HostSources(vec![db.clone()]),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    // No row: a pool address.
    assert_eq!(dora(&e, &s, 1), Ipv4Addr::new(192, 0, 2, 100));
    // An inventory system reserves 192.0.2.102 for client 1, with options.
    let mut h = ruru_lease::Host4::new(ruru_lease::IdType::HwAddress, vec![2, 0, 0, 0, 0, 1], 1);
    h.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 102));
    h.hostname = "inventory".into();
    h.boot_file_name = "boot.efi".into();
    h.option_data = r#"[{"code": 42, "data": "c0000205", "always-send": true}]"#.into();
    db.v4.lock().unwrap().push(h);
    // Renewing the old address: NAK (the reservation wins).
    let mut renew = msg(MessageType::Request, 1);
    renew.set_ciaddr(Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(
        reply(run(&e, &s, &renew, NOW + 10)).opts().msg_type(),
        Some(MessageType::Nak)
    );
    // The next DORA gets the reserved address, with the host's options.
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 102));
    assert!(offer.fname().unwrap_or_default().starts_with(b"boot.efi"));
    assert!(offer.opts().get(OptionCode::NtpServers).is_some());
    assert_eq!(dora(&e, &s, 1), Ipv4Addr::new(192, 0, 2, 102));
    // Other clients never get it: the pool has .100 (freed) and .101.
    let mut others = [dora(&e, &s, 2), dora(&e, &s, 3)];
    others.sort();
    assert_eq!(
        others,
        [Ipv4Addr::new(192, 0, 2, 100), Ipv4Addr::new(192, 0, 2, 101)]
    );
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 4), NOW),
        Outcome4::Drop(Drop4::AllocationFailed)
    ));
    // Nor by asking for it.
    let mut r = msg(MessageType::Request, 4);
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            192, 0, 2, 102,
        )));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert_eq!(
        reply(run(&e, &s, &r, NOW)).opts().msg_type(),
        Some(MessageType::Nak)
    );
}

/// A store that counts its `get4` calls and knows how many leases each
/// block holds (as memfile does), over a memfile.
struct BlockCounting {
    inner: Memfile,
    gets: std::sync::atomic::AtomicUsize,
}

impl LeaseStore for BlockCounting {
    fn get4(&self, addr: Ipv4Addr) -> Option<ruru_lease::Lease4> {
        self.gets.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.get4(addr)
    }
    fn leased_in_block4(&self, first: Ipv4Addr) -> Option<ruru_lease::Block4> {
        self.inner.leased_in_block4(first)
    }
}

fn fill_lease(addr: u32, expire: u64) -> ruru_lease::Lease4 {
    let [a, b, c, d] = addr.to_be_bytes();
    ruru_lease::Lease4 {
        addr: Ipv4Addr::from(addr),
        hwaddr: vec![0x02, 0x09, a, b, c, d],
        client_id: None,
        valid_lifetime: 3600,
        expire,
        subnet_id: 1,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        state: LeaseState::Default,
        user_context: String::new(),
        pool_id: 0,
    }
}

/// In a pool whose first three blocks are full of leases, the search steps
/// over each full block at once; when only an expired lease among leased
/// addresses is left, the second search finds it.
#[test]
fn find_free_steps_over_full_blocks() {
    let mut sn = subnet();
    sn.addr = Ipv4Addr::new(10, 0, 0, 0);
    sn.prefix_len = 22;
    sn.relay_addresses = vec![];
    sn.reservations = Reservations4::new(vec![]);
    sn.pools = vec![Pool4 {
        id: 0,
        ddns: std::sync::Arc::new(ruru_config::DdnsParams::defaults(false)),
        start: Ipv4Addr::new(10, 0, 0, 0),
        end: Ipv4Addr::new(10, 0, 3, 255),
        options: vec![],
        classes: Default::default(),
    }];
    let store = BlockCounting {
        inner: Memfile::open(None).unwrap(),
        gets: Default::default(),
    };
    let base = u32::from(Ipv4Addr::new(10, 0, 0, 0));
    for a in base..base + 3 * 256 {
        store.inner.add4(&fill_lease(a, NOW + 3600)).unwrap();
    }
    let key = alloc::ClientKey {
        hwaddr: &[2, 0, 0, 0, 0, 7],
        client_id: None,
        match_client_id: true,
    };
    let hosts = hosts::HostSources::default();
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(0)));
    let got = cursors.find_free(&store, &hosts, &sn, &key, NOW, false, &|_| true, None);
    // 10.0.3.0 is the first address free of leases (not the /22's
    // network address).
    assert_eq!(got, Some(Ipv4Addr::new(10, 0, 3, 0)));
    let gets = store.gets.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(gets, 1, "addresses looked at one by one");

    // Leased runs inside a block are stepped over too: with 10.0.3.0-99
    // leased, the next search looks only at 10.0.3.100.
    for a in base + 3 * 256..base + 3 * 256 + 100 {
        store.inner.add4(&fill_lease(a, NOW + 3600)).unwrap();
    }
    store.gets.store(0, std::sync::atomic::Ordering::Relaxed);
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(0)));
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key, NOW, false, &|_| true, None),
        Some(Ipv4Addr::new(10, 0, 3, 100))
    );
    assert_eq!(store.gets.load(std::sync::atomic::Ordering::Relaxed), 1);

    // Now the last block is full too, and one lease of the second block
    // has expired: found by the second search.
    for a in base + 3 * 256 + 100..base + 4 * 256 {
        store.inner.add4(&fill_lease(a, NOW + 3600)).unwrap();
    }
    let expired = base + 256 + 17;
    store.inner.update4(&fill_lease(expired, NOW - 1)).unwrap();
    let cursors = alloc::PoolCursors::new(&sn, None, &Arc::new(crate::Rng::new(0)));
    assert_eq!(
        cursors.find_free(&store, &hosts, &sn, &key, NOW, false, &|_| true, None),
        Some(Ipv4Addr::from(expired))
    );
}

/// An engine of a server sharing a SQL lease database (spread cursors),
/// with a pool of 64 addresses and its randomness seeded with `seed`.
fn spread_engine(seed: u64) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    cfg.lease_database.kind = LeaseDbKind::Postgresql(SqlDatabase {
        name: "kea".into(),
        host: "localhost".into(),
        port: None,
        user: None,
        password: None,
        connect_timeout: 5,
        max_reconnect_tries: 0,
        reconnect_wait_time: 0,
        on_fail: OnFail::StopRetryExit,
        retry_on_startup: false,
        tls: None,
        readonly: false,
        tcp_user_timeout: 0,
    });
    cfg.subnets[0].pools[0].end = Ipv4Addr::new(192, 0, 2, 163);
    Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            rng: Arc::new(crate::Rng::new(seed)),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    )
}

/// One scripted run: this server (randomness seeded with `seed`) and
/// another one (always seed 7) take turns on one shared lease store, 24
/// clients in all; once, the other server takes the address this one has
/// just offered (REQUEST NAKed, this pool's cursor jumps), and that client
/// starts again. Returns every address this server offered or acked, in
/// order.
fn spread_run(seed: u64) -> Vec<Ipv4Addr> {
    let (us, other) = (spread_engine(seed), spread_engine(7));
    let store = Memfile::open(None).unwrap();
    let mut ours = Vec::new();
    for mac in 1..=24 {
        if mac % 2 == 0 {
            dora(&other, &store, mac);
            continue;
        }
        let offer = reply(run(&us, &store, &msg(MessageType::Discover, mac), NOW));
        ours.push(offer.yiaddr());
        if mac == 11 {
            // Another server gives the offered address to its own client.
            store
                .add4(&fill_lease(u32::from(offer.yiaddr()), NOW + 3600))
                .unwrap();
        }
        let mut r = msg(MessageType::Request, mac);
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        r.opts_mut()
            .insert(DhcpOption::ServerIdentifier(meta().local));
        let answer = reply(run(&us, &store, &r, NOW));
        if mac == 11 {
            assert_eq!(answer.opts().msg_type(), Some(MessageType::Nak));
            ours.push(dora(&us, &store, mac));
        } else {
            assert_eq!(answer.opts().msg_type(), Some(MessageType::Ack));
            ours.push(answer.yiaddr());
        }
    }
    ours
}

/// Replay (the engine's randomness comes from the caller): two engines
/// seeded alike, given the same exchanges on spread cursors, hand out the
/// same addresses in the same order, jumps included; another seed gives
/// another order.
#[test]
fn same_seed_replays_spread_allocations() {
    let first = spread_run(42);
    assert_eq!(first.len(), 12 * 2);
    assert_eq!(first, spread_run(42));
    assert_ne!(first, spread_run(43));
    // The cursors did spread: a memfile engine (cursor at the pool's start,
    // no jumps) would have begun with the pool's first address, and its
    // acked addresses would have been one run, unlike those of a cursor
    // that jumped on meeting the other server's leases.
    assert_ne!(first[0], Ipv4Addr::new(192, 0, 2, 100));
    let acked: Vec<u32> = first.iter().skip(1).step_by(2).map(|&a| a.into()).collect();
    assert!(acked.windows(2).any(|w| w[1] != w[0] + 1), "{first:?}");
}

/// The built-in flex-option still evaluates on the query when the reply
/// was parked at leases4_committed and resumed (it acts at pkt4_send).
#[test]
fn flex_option_acts_on_a_reply_resumed_after_leases4_committed() {
    let base = engine();
    let mut cfg = (*base.cfg).clone();
    let expr = ruru_classify::parse_string(
        "hexstring(pkt4.mac, ':')",
        ruru_classify::Family::V4,
        &ruru_classify::StdOptionNames,
    )
    .unwrap();
    cfg.flex_options = vec![ruru_config::FlexOption {
        code: 224,
        action: ruru_config::FlexAction::Add(Arc::new(expr)),
        client_class: None,
    }];
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            hooks: Some(Arc::new(Parker {
                at: crate::HookPoint::Leases4Committed,
            })),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 3), NOW));
    let mut req = msg(MessageType::Request, 3);
    req.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
    req.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    let p = match run(&e, &s, &req, NOW) {
        Outcome4::Parked(p) => p,
        o => panic!("expected a parked ACK, got {o:?}"),
    };
    let ack = reply(e.resume(*p));
    let want = DhcpOption::Unknown(dhcproto::v4::UnknownOption::new(
        OptionCode::from(224),
        b"02:00:00:00:00:03".to_vec(),
    ));
    assert_eq!(
        ack.opts().get(OptionCode::from(224)),
        Some(&want),
        "{ack:?}"
    );
}

/// A host reserving `ip` (if any) for MAC 02:00:00:00:00:`mac`, with
/// option 42 (NTP servers, always sent) carrying `ntp`.
fn host(mac: u8, ip: Option<[u8; 4]>, ntp: [u8; 4]) -> Reservation4 {
    Reservation4 {
        id: HostId::HwAddress(vec![2, 0, 0, 0, 0, mac]),
        ip_address: ip.map(Ipv4Addr::from),
        hostname: None,
        options: vec![OptionData {
            code: 42,
            data: ntp.to_vec(),
            always_send: true,
            never_send: false,
            vendor: None,
        }],
        next_server: None,
        server_hostname: None,
        boot_file_name: None,
        client_classes: Vec::new(),
    }
}

/// The engine with global hosts 0xbb (192.0.2.20, in the subnet) and
/// 0xcc (203.0.113.5, outside it), the subnet's 0xaa (192.0.2.10) and
/// 0xdd (192.0.2.101, in the pool), and the subnet's modes `modes`.
fn modes_engine(modes: HostModes, hosts: hosts::HostSources) -> Engine4 {
    let mut cfg = (*engine().cfg).clone();
    cfg.reservations = Reservations4::new(vec![
        host(0xbb, Some([192, 0, 2, 20]), [192, 0, 2, 123]),
        host(0xcc, Some([203, 0, 113, 5]), [192, 0, 2, 124]),
    ]);
    let mut hs = cfg.subnets[0].reservations.hosts.clone();
    hs.push(host(0xdd, Some([192, 0, 2, 101]), [192, 0, 2, 125]));
    cfg.subnets[0].reservations = Reservations4::new(hs);
    cfg.subnets[0].host_modes = modes;
    Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            hosts,
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    )
}

fn ntp_of(m: &v4::Message) -> Option<Vec<Ipv4Addr>> {
    match m.opts().get(OptionCode::NtpServers) {
        Some(DhcpOption::NtpServers(a)) => Some(a.clone()),
        _ => None,
    }
}

#[test]
fn global_reservations_only_with_reservations_global() {
    let none = hosts::HostSources::default();
    // Kea's default: global hosts are ignored.
    let e = modes_engine(HostModes::default(), none.clone());
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xbb), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(ntp_of(&offer), None);
    // reservations-global: the global host's address and options.
    let global = HostModes {
        global: true,
        ..HostModes::default()
    };
    let e = modes_engine(global, none.clone());
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xbb), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 20));
    assert_eq!(ntp_of(&offer), Some(vec![Ipv4Addr::new(192, 0, 2, 123)]));
    assert_eq!(dora(&e, &s, 0xbb), Ipv4Addr::new(192, 0, 2, 20));
    // An address outside the subnet is not given; the options are.
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xcc), NOW));
    assert!(e.cfg.subnets[0].pool_of(offer.yiaddr()).is_some());
    assert_eq!(ntp_of(&offer), Some(vec![Ipv4Addr::new(192, 0, 2, 124)]));
    // The subnet's reservations still apply (in-subnet defaults to true).
    assert_eq!(dora(&e, &s, 0xaa), Ipv4Addr::new(192, 0, 2, 10));
}

#[test]
fn reservations_in_subnet_false_ignores_the_subnet_hosts() {
    let e = modes_engine(
        HostModes {
            global: true,
            in_subnet: false,
            out_of_pool: false,
        },
        hosts::HostSources::default(),
    );
    let s = Memfile::open(None).unwrap();
    // 0xaa's subnet reservation (192.0.2.10) is ignored: a pool address.
    let a = dora(&e, &s, 0xaa);
    assert!(e.cfg.subnets[0].pool_of(a).is_some(), "{a}");
    // Nothing keeps 192.0.2.101 (reserved for 0xdd) from other clients:
    // three clients take the whole pool.
    let mut got: Vec<Ipv4Addr> = [a, dora(&e, &s, 1), dora(&e, &s, 2)].into();
    got.sort();
    assert_eq!(got, [100, 101, 102].map(|o| Ipv4Addr::new(192, 0, 2, o)));
    // Global hosts still apply.
    assert_eq!(dora(&e, &s, 0xbb), Ipv4Addr::new(192, 0, 2, 20));
}

#[test]
fn reservations_out_of_pool_skips_in_pool_reservations() {
    let e = modes_engine(
        HostModes {
            global: false,
            in_subnet: true,
            out_of_pool: true,
        },
        hosts::HostSources::default(),
    );
    let s = Memfile::open(None).unwrap();
    // Out of the pool: given.
    assert_eq!(dora(&e, &s, 0xaa), Ipv4Addr::new(192, 0, 2, 10));
    // 0xdd's in-pool 192.0.2.101 is not reserved any more: the pool is
    // handed out in order, .101 included, 0xdd keeps only its options.
    assert_eq!(dora(&e, &s, 1), Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(dora(&e, &s, 2), Ipv4Addr::new(192, 0, 2, 101));
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xdd), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 102));
    assert_eq!(ntp_of(&offer), Some(vec![Ipv4Addr::new(192, 0, 2, 125)]));
    // Without out-of-pool, .101 is kept for 0xdd.
    let e = modes_engine(HostModes::default(), hosts::HostSources::default());
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 1), Ipv4Addr::new(192, 0, 2, 100));
    assert_eq!(dora(&e, &s, 2), Ipv4Addr::new(192, 0, 2, 102));
    assert_eq!(dora(&e, &s, 0xdd), Ipv4Addr::new(192, 0, 2, 101));
}

#[test]
fn host_database_rows_of_subnet_0_are_global_reservations() {
    let db = Arc::new(FakeHosts::default());
    let mut h = ruru_lease::Host4::new(ruru_lease::IdType::HwAddress, vec![2, 0, 0, 0, 0, 7], 0);
    h.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 30));
    db.v4.lock().unwrap().push(h);
    let global = HostModes {
        global: true,
        ..HostModes::default()
    };
    let e = modes_engine(global, hosts::HostSources(vec![db.clone()]));
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 7), Ipv4Addr::new(192, 0, 2, 30));
    // Without reservations-global the row is not looked up.
    let e = modes_engine(HostModes::default(), hosts::HostSources(vec![db]));
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 7), Ipv4Addr::new(192, 0, 2, 100));
}

#[test]
fn dhcp4_duid_reservation_matches_an_rfc4361_client_id() {
    let mut cfg = (*engine().cfg).clone();
    cfg.host_reservation_identifiers = vec![HostIdType::Duid];
    let duid = vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0x44];
    let mut hs = cfg.subnets[0].reservations.hosts.clone();
    hs.push(Reservation4 {
        id: HostId::Duid(duid.clone()),
        ..host(0x44, Some([192, 0, 2, 44]), [192, 0, 2, 1])
    });
    cfg.subnets[0].reservations = Reservations4::new(hs);
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let mut d = msg(MessageType::Discover, 0x45);
    let mut cid = vec![0xff, 0, 0, 0, 1];
    cid.extend_from_slice(&duid);
    d.opts_mut().insert(DhcpOption::ClientIdentifier(cid));
    assert_eq!(
        reply(run(&e, &s, &d, NOW)).yiaddr(),
        Ipv4Addr::new(192, 0, 2, 44)
    );
    // A client identifier that is not RFC 4361's does not match.
    let mut d = msg(MessageType::Discover, 0x45);
    d.opts_mut()
        .insert(DhcpOption::ClientIdentifier([vec![1], duid].concat()));
    assert_eq!(
        reply(run(&e, &s, &d, NOW)).yiaddr(),
        Ipv4Addr::new(192, 0, 2, 100)
    );
}

#[test]
fn a_subnet_reservation_wins_over_a_global_one() {
    // As kea-dhcp4 2.2 does: with both flags, the subnet's host for the
    // client (192.0.2.70, its options) is used, not the global one.
    let base = modes_engine(
        HostModes {
            global: true,
            ..HostModes::default()
        },
        hosts::HostSources::default(),
    );
    let mut cfg = (*base.cfg).clone();
    let mut hs = cfg.subnets[0].reservations.hosts.clone();
    hs.push(host(0xbb, Some([192, 0, 2, 70]), [192, 0, 2, 126]));
    cfg.subnets[0].reservations = Reservations4::new(hs);
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xbb), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 70));
    assert_eq!(ntp_of(&offer), Some(vec![Ipv4Addr::new(192, 0, 2, 126)]));
}

#[test]
fn a_shared_reserved_address_goes_to_the_first_host_asking() {
    // ip-reservations-unique false: 0xaa and 0xab both reserve 192.0.2.10.
    let mut cfg = (*engine().cfg).clone();
    let mut hs = cfg.subnets[0].reservations.hosts.clone();
    hs.push(host(0xab, Some([192, 0, 2, 10]), [192, 0, 2, 127]));
    cfg.subnets[0].reservations = Reservations4::new(hs);
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 0xab), Ipv4Addr::new(192, 0, 2, 10));
    // The other host finds it leased: a pool address, its own options.
    let offer = reply(run(&e, &s, &msg(MessageType::Discover, 0xaa), NOW));
    assert_eq!(offer.yiaddr(), Ipv4Addr::new(192, 0, 2, 100));
    // A client with no reservation never gets it, even once it is free.
    let mut rel = msg(MessageType::Release, 0xab);
    rel.set_ciaddr(Ipv4Addr::new(192, 0, 2, 10));
    rel.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert!(matches!(run(&e, &s, &rel, NOW), Outcome4::Done));
    let mut r = msg(MessageType::Request, 7);
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(192, 0, 2, 10)));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(meta().local));
    assert_eq!(
        reply(run(&e, &s, &r, NOW)).opts().msg_type(),
        Some(MessageType::Nak)
    );
    // But the second host does.
    assert_eq!(dora(&e, &s, 0xaa), Ipv4Addr::new(192, 0, 2, 10));
}

#[test]
fn a_global_reservation_picks_the_network_member_holding_its_address() {
    let text = format!(
        r#"{{"Dhcp4": {{
        "reservations-global": true,
        "reservations": [{{"hw-address": "02:00:00:00:00:bb", "ip-address": "203.0.113.20"}}],
        "shared-networks": [{{"name": "n", "relay": {{"ip-addresses": ["{RELAY}"]}},
          "subnet4": [
            {{"id": 1, "subnet": "192.0.2.0/24", "pools": [{{"pool": "192.0.2.100 - 192.0.2.101"}}]}},
            {{"id": 2, "subnet": "203.0.113.0/24", "pools": [{{"pool": "203.0.113.100 - 203.0.113.101"}}]}}
          ]}}]
    }}}}"#
    );
    let c = match ruru_config::load_str(&text, std::path::Path::new("/tmp/t.json")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let e = Engine4::new(
        Arc::new(c.dhcp4.unwrap()),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    assert_eq!(dora(&e, &s, 0xbb), Ipv4Addr::new(203, 0, 113, 20));
    assert_eq!(dora(&e, &s, 0xbc), Ipv4Addr::new(192, 0, 2, 100));
}

#[test]
fn early_global_reservations_lookup_classes_select_the_subnet() {
    // The only subnet is for class `vip`, which only the global host's
    // `client-classes` gives: with the early lookup the class counts for
    // subnet selection, without it the packet has no subnet.
    let cfg = |early: bool| {
        let text = format!(
            r#"{{"Dhcp4": {{
            "early-global-reservations-lookup": {early},
            "reservations-global": true,
            "reservations": [{{"hw-address": "02:00:00:00:00:bb", "client-classes": ["vip"]}}],
            "subnet4": [{{"id": 1, "subnet": "192.0.2.0/24", "client-class": "vip",
              "relay": {{"ip-addresses": ["{RELAY}"]}},
              "pools": [{{"pool": "192.0.2.100 - 192.0.2.101"}}]}}]
        }}}}"#
        );
        let c = match ruru_config::load_str(&text, std::path::Path::new("/tmp/t.json")) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        Engine4::new(
            Arc::new(c.dhcp4.unwrap()),
            EngineOptions::default(),
            Arc::new(Stats::new()),
        )
    };
    let s = Memfile::open(None).unwrap();
    let e = cfg(true);
    assert_eq!(dora(&e, &s, 0xbb), Ipv4Addr::new(192, 0, 2, 100));
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 0xbc), NOW),
        Outcome4::Drop(_)
    ));
    let e = cfg(false);
    assert!(matches!(
        run(&e, &s, &msg(MessageType::Discover, 0xbb), NOW),
        Outcome4::Drop(_)
    ));
}

/// Collects the engine's name-change requests.
#[derive(Debug, Default)]
struct Ncrs(std::sync::Mutex<Vec<ruru_ddns::Ncr>>);

impl crate::DdnsSink for Ncrs {
    fn submit(&self, ncr: ruru_ddns::Ncr) {
        if let Ok(mut v) = self.0.lock() {
            v.push(ncr);
        }
    }
}

impl Ncrs {
    fn take(&self) -> Vec<ruru_ddns::Ncr> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

/// An engine with `dhcp-ddns` on (suffix example.org) sending to `sink`.
fn ddns_engine(sink: Arc<Ncrs>) -> Engine4 {
    let e = engine();
    let mut cfg = (*e.cfg).clone();
    cfg.ddns_client.enable_updates = true;
    let mut p = ruru_config::DdnsParams::defaults(true);
    p.qualifying_suffix = "example.org".into();
    let p = Arc::new(p);
    cfg.subnets[0].ddns = p.clone();
    for pool in &mut cfg.subnets[0].pools {
        pool.ddns = p.clone();
    }
    Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            ddns: Some(sink),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    )
}

/// RFC 4702 through a whole lease life: option 81 answered in the OFFER
/// and ACK, the lease records the name and flags, one add request; a
/// renewal with the same name asks nothing; release removes the names.
#[test]
fn client_fqdn_names_the_lease_and_asks_for_dns_updates() {
    let sink = Arc::new(Ncrs::default());
    let e = ddns_engine(sink.clone());
    let store = Memfile::open(None).unwrap();
    // S=1, E=1, partial name "laptop".
    let fqdn = DhcpOption::Unknown(v4::UnknownOption::new(
        OptionCode::from(81),
        [&[0x05u8, 0, 0][..], b"\x06laptop"].concat(),
    ));
    let mut d = msg(MessageType::Discover, 7);
    d.opts_mut().insert(fqdn.clone());
    let offer = reply(run(&e, &store, &d, NOW));
    let want = [&[0x05u8, 0, 0][..], b"\x06laptop\x07example\x03org\x00"].concat();
    let got = |m: &v4::Message| {
        let mut b = Vec::new();
        m.opts().get(OptionCode::from(81)).map(|o| {
            o.encode(&mut Encoder::new(&mut b)).unwrap();
            b[2..].to_vec()
        })
    };
    assert_eq!(got(&offer), Some(want.clone()), "OFFER carries option 81");
    assert!(sink.take().is_empty(), "no DNS work for an OFFER");
    let mut r = msg(MessageType::Request, 7);
    r.opts_mut().insert(fqdn.clone());
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(192, 0, 2, 250)));
    let ack = reply(run(&e, &store, &r, NOW));
    assert_eq!(got(&ack), Some(want));
    let l = store.get4(ack.yiaddr()).unwrap();
    assert_eq!(l.hostname, "laptop.example.org.");
    assert!(l.fqdn_fwd && l.fqdn_rev);
    let add = sink.take();
    assert_eq!(add.len(), 1, "{add:?}");
    assert_eq!(add[0].change, ruru_ddns::ChangeType::Add);
    assert_eq!(add[0].fqdn, "laptop.example.org.");
    assert_eq!(add[0].ip, std::net::IpAddr::V4(ack.yiaddr()));
    assert_eq!(add[0].lease_length, (l.valid_lifetime / 3).max(600));
    assert_eq!(
        Some(add[0].dhcid.clone()),
        ruru_ddns::Dhcid::from_hwaddr(1, &[2, 0, 0, 0, 0, 7], "laptop.example.org.")
    );
    // Renewal, same name: nothing to change in DNS.
    let mut renew = msg(MessageType::Request, 7);
    renew.set_ciaddr(ack.yiaddr());
    renew.opts_mut().insert(fqdn);
    let _ = reply(run(&e, &store, &renew, NOW + 100));
    assert!(sink.take().is_empty());
    // Release: the names go.
    let mut rel = msg(MessageType::Release, 7);
    rel.set_ciaddr(ack.yiaddr());
    assert!(matches!(run(&e, &store, &rel, NOW + 200), Outcome4::Done));
    let rm = sink.take();
    assert_eq!(rm.len(), 1, "{rm:?}");
    assert_eq!(rm[0].change, ruru_ddns::ChangeType::Remove);
    assert_eq!(rm[0].dhcid, add[0].dhcid);
}

/// Option 12 only: answered with the qualified name, no option 81; the
/// name changes at a renewal: the old one is removed, the new added;
/// reclamation of the expired lease removes the name.
#[test]
fn hostname_option_is_qualified_and_renamed_and_reclaimed() {
    let sink = Arc::new(Ncrs::default());
    let e = ddns_engine(sink.clone());
    let store = Memfile::open(None).unwrap();
    let mut d = msg(MessageType::Discover, 8);
    d.opts_mut().insert(DhcpOption::Hostname("PC_1".into()));
    let offer = reply(run(&e, &store, &d, NOW));
    assert_eq!(
        offer.opts().get(OptionCode::Hostname),
        Some(&DhcpOption::Hostname("pc1.example.org".into()))
    );
    assert!(offer.opts().get(OptionCode::from(81)).is_none());
    let request = |name: &str, now: u64| {
        let mut r = msg(MessageType::Request, 8);
        r.opts_mut().insert(DhcpOption::Hostname(name.into()));
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        r.opts_mut()
            .insert(DhcpOption::ServerIdentifier(meta().local));
        reply(run(&e, &store, &r, now))
    };
    let _ = request("PC_1", NOW);
    let add = sink.take();
    assert_eq!(add.len(), 1);
    assert_eq!(add[0].fqdn, "pc1.example.org.");
    assert!(add[0].forward && add[0].reverse);
    let _ = request("pc2", NOW + 10);
    let change = sink.take();
    assert_eq!(
        change
            .iter()
            .map(|n| (n.change, n.fqdn.as_str()))
            .collect::<Vec<_>>(),
        [
            (ruru_ddns::ChangeType::Remove, "pc1.example.org."),
            (ruru_ddns::ChangeType::Add, "pc2.example.org.")
        ]
    );
    let valid = store.get4(offer.yiaddr()).unwrap().valid_lifetime;
    let (n, _) = e.reclaim(&store, NOW + 10 + u64::from(valid), 0);
    assert_eq!(n, 1);
    let rm = sink.take();
    assert_eq!(rm.len(), 1);
    assert_eq!(
        (rm[0].change, rm[0].fqdn.as_str()),
        (ruru_ddns::ChangeType::Remove, "pc2.example.org.")
    );
    assert!(store.get4(offer.yiaddr()).unwrap().hostname.is_empty());
}

/// A partial name in option 81 (RFC 4702 §2.3, no root label) is not a
/// reason to drop the packet, although dhcproto cannot decode it.
#[test]
fn partial_fqdn_does_not_drop_the_packet() {
    let e = engine();
    let store = Memfile::open(None).unwrap();
    let mut d = msg(MessageType::Discover, 9);
    d.opts_mut()
        .insert(DhcpOption::Unknown(v4::UnknownOption::new(
            OptionCode::from(81),
            [&[0x05u8, 0, 0][..], b"\x05host1"].concat(),
        )));
    let offer = reply(run(&e, &store, &d, NOW));
    assert!(!offer.yiaddr().is_unspecified());
}

/// Kea's lease caching (`cache-threshold`): a client coming back before
/// the threshold gets its lease again without a write, for what is left of
/// it (OFFER and ACK, as Kea 2.2 answers, checked over the wire); after the
/// threshold, or with a changed name, the lease is written again.
#[test]
fn lease_caching_reuses_young_leases_without_a_write() {
    let mut cfg = (*engine().cfg).clone();
    cfg.subnets[0].cache = ruru_config::LeaseCache {
        threshold: Some(0.5),
        max_age: None,
    };
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let a = dora(&e, &s, 1);
    let first = s.get4(a).unwrap();
    assert_eq!(first.expire, NOW + 3600);
    let lease_time = |m: &v4::Message| match m.opts().get(OptionCode::AddressLeaseTime) {
        Some(DhcpOption::AddressLeaseTime(t)) => *t,
        other => panic!("no lease time: {other:?}"),
    };
    let exchange = |now: u64| {
        let offer = reply(run(&e, &s, &msg(MessageType::Discover, 1), now));
        let mut r = msg(MessageType::Request, 1);
        r.opts_mut()
            .insert(DhcpOption::RequestedIpAddress(offer.yiaddr()));
        r.opts_mut()
            .insert(DhcpOption::ServerIdentifier(meta().local));
        let ack = reply(run(&e, &s, &r, now));
        assert_eq!(ack.opts().msg_type(), Some(MessageType::Ack));
        (lease_time(&offer), lease_time(&ack))
    };
    // 100 s later: reused, nothing written.
    assert_eq!(exchange(NOW + 100), (3500, 3500));
    assert_eq!(s.get4(a).unwrap(), first, "not written again");
    assert_eq!(e.stats().get(crate::Stat::V4LeaseReuses), 1);
    assert_eq!(e.stats().lookup("subnet[1].v4-lease-reuses"), Some(1));
    // Past half the lifetime: a full renewal, written.
    assert_eq!(exchange(NOW + 1900), (3600, 3600));
    assert_eq!(s.get4(a).unwrap().expire, NOW + 1900 + 3600);
    assert_eq!(e.stats().get(crate::Stat::V4LeaseReuses), 1);
    // A new name is an important change: written again.
    let mut d = msg(MessageType::Request, 1);
    d.opts_mut().insert(DhcpOption::RequestedIpAddress(a));
    d.opts_mut().insert(DhcpOption::Hostname("pc".into()));
    let ack = reply(run(&e, &s, &d, NOW + 1950));
    assert_eq!(lease_time(&ack), 3600);
    assert_eq!(s.get4(a).unwrap().hostname, "pc");
}

/// The options of a reply's option area in wire order (no overload).
fn raw_options(bytes: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut b = &bytes[240..];
    while let Some((&code, rest)) = b.split_first() {
        match code {
            0 => b = rest,
            255 => break,
            _ => {
                let len = usize::from(rest[0]);
                out.push((code, rest[1..1 + len].to_vec()));
                b = &rest[1 + len..];
            }
        }
    }
    out
}

fn raw_reply(o: Outcome4) -> Vec<(u8, Vec<u8>)> {
    match o {
        Outcome4::Reply(r) => raw_options(&r.bytes),
        other => panic!("expected a reply, got {other:?}"),
    }
}

fn opt(code: u8, data: &[u8]) -> OptionData {
    OptionData {
        code,
        data: data.to_vec(),
        always_send: false,
        never_send: false,
        vendor: None,
    }
}

// Kea 2.2 on the wire (kea-dhcp4 on loopback): a configured server
// identifier is the OFFER's and ACK's, requested or not, and a REQUEST
// naming it is accepted; a NAK has the local address. A configured
// message type is ignored; the server's T1 wins; the echoed client id
// wins over a configured one; a configured 55 is sent when requested.
#[test]
fn configured_options_the_server_also_derives_as_kea() {
    let mut cfg = (*engine().cfg).clone();
    cfg.subnets[0].options.extend([
        opt(54, &[203, 0, 113, 9]),
        opt(53, &[7]),
        opt(58, &[0, 0, 0, 100]),
        opt(61, &[1, 2, 3]),
        opt(55, &[1, 2, 3]),
    ]);
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions::default(),
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let mut d = msg(MessageType::Discover, 1);
    d.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::from(53),
        OptionCode::from(55),
        OptionCode::from(58),
        OptionCode::from(61),
    ]));
    d.opts_mut()
        .insert(DhcpOption::ClientIdentifier(vec![9, 9]));
    let offer = raw_reply(run(&e, &s, &d, NOW));
    let all = |code: u8| -> Vec<Vec<u8>> {
        offer
            .iter()
            .filter(|(c, _)| *c == code)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(offer[0], (53, vec![2]));
    assert_eq!(offer[1], (54, vec![203, 0, 113, 9]));
    assert_eq!(all(53), [vec![2]]);
    assert_eq!(all(54), [vec![203, 0, 113, 9]]);
    assert_eq!(all(58), [vec![0, 0, 0x07, 0x08]]);
    assert_eq!(all(61), [vec![9, 9]]);
    assert_eq!(all(55), [vec![1, 2, 3]]);

    // A REQUEST naming the configured identifier is for this server.
    let mut r = msg(MessageType::Request, 1);
    r.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(
            192, 0, 2, 100,
        )));
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(203, 0, 113, 9)));
    let ack = raw_reply(run(&e, &s, &r, NOW));
    assert_eq!(ack[0], (53, vec![5]));
    assert_eq!(ack[1], (54, vec![203, 0, 113, 9]));
    // ... one naming another address is not.
    r.opts_mut()
        .insert(DhcpOption::ServerIdentifier(Ipv4Addr::new(203, 0, 113, 10)));
    assert!(matches!(
        run(&e, &s, &r, NOW),
        Outcome4::Drop(Drop4::NotForUs)
    ));
    // A NAK carries the local address.
    let mut ir = msg(MessageType::Request, 2);
    ir.opts_mut()
        .insert(DhcpOption::RequestedIpAddress(Ipv4Addr::new(10, 0, 0, 1)));
    let nak = raw_reply(run(&e, &s, &ir, NOW));
    assert_eq!(nak[0], (53, vec![6]));
    assert_eq!(nak[1], (54, meta().local.octets().to_vec()));
}

/// A hosts database row's `dhcp4_client_classes` (Kea's column) puts the
/// client in those classes, as a configured reservation's
/// `client-classes` does: the class's option reaches the client.
#[test]
fn host_database_client_classes_apply() {
    let cfg = ruru_config::load_str(
        r#"{"Dhcp4": {
  "client-classes": [ { "name": "gold", "option-data": [ { "name": "ntp-servers", "data": "192.0.2.123" } ] } ],
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24", "relay": { "ip-addresses": ["192.0.2.1"] },
    "pools": [ { "pool": "192.0.2.100 - 192.0.2.102" } ] } ]
}}"#,
        std::path::Path::new("t.json"),
    )
    .unwrap()
    .dhcp4
    .unwrap();
    let db = Arc::new(FakeHosts::default());
    let e = Engine4::new(
        Arc::new(cfg),
        EngineOptions {
            hosts: hosts::HostSources(vec![db.clone()]),
            ..EngineOptions::default()
        },
        Arc::new(Stats::new()),
    );
    let s = Memfile::open(None).unwrap();
    let ntp = |m: &v4::Message| m.opts().get(OptionCode::NtpServers).is_some();
    let mut d = msg(MessageType::Discover, 1);
    d.set_giaddr(Ipv4Addr::new(192, 0, 2, 1));
    d.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::NtpServers,
    ]));
    let offer = reply(run(&e, &s, &d, NOW));
    assert!(!ntp(&offer), "not in the class without the row");
    let mut h = ruru_lease::Host4::new(ruru_lease::IdType::HwAddress, vec![2, 0, 0, 0, 0, 1], 1);
    h.client_classes = " gold , ".into();
    db.v4.lock().unwrap().push(h);
    let mut d = msg(MessageType::Discover, 1);
    d.set_giaddr(Ipv4Addr::new(192, 0, 2, 1));
    d.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
        OptionCode::NtpServers,
    ]));
    let offer = reply(run(&e, &s, &d, NOW));
    assert!(ntp(&offer), "the row's class gives its option: {offer:?}");
}
