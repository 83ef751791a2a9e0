//! DHCPv6 engine tests: whole exchanges through `Engine6::process` with an
//! in-memory store and explicit time.

use std::net::{Ipv6Addr, SocketAddrV6};
use std::path::PathBuf;
use std::sync::Arc;

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode, Status};
use dhcproto::{Decodable, Decoder};
use ruru_config::*;
use ruru_lease::{LeaseStore, LeaseType6};

use super::packet::put;
use super::*;
use crate::Stats;

mod extended;
mod random;

const NOW: u64 = 1_700_000_000;
const SERVER_DUID: &[u8] = &[0, 2, 0, 0, 0x09, 0xbf, 1, 2, 3, 4];
const LINK: &str = "2001:db8:1::1";

fn cfg() -> Dhcp6 {
    Dhcp6 {
        dhcp4o6_port: 0,
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
            name: PathBuf::from("x6.csv"),
            persist: false,
            lfc_interval: 0,
            max_row_errors: 0,
        },
        hosts_databases: vec![],
        reservations: Default::default(),
        early_global_reservations_lookup: false,
        host_reservation_identifiers: vec![
            ruru_config::HostIdType::Duid,
            ruru_config::HostIdType::HwAddress,
            ruru_config::HostIdType::Flex,
        ],
        subnets: vec![Subnet6 {
            ha_server_name: Default::default(),
            cache: Default::default(),
            store_extended_info: false,
            allocator: Default::default(),
            pd_allocator: Default::default(),
            ddns: std::sync::Arc::new(ruru_config::DdnsParams::defaults(false)),
            id: 1,
            addr: "2001:db8:1::".parse().unwrap(),
            prefix_len: 64,
            pools: vec![Pool6 {
                id: 0,
                ddns: std::sync::Arc::new(ruru_config::DdnsParams::defaults(false)),
                start: "2001:db8:1::100".parse().unwrap(),
                end: "2001:db8:1::101".parse().unwrap(),
                options: vec![],
                classes: Default::default(),
            }],
            pd_pools: vec![PdPool {
                id: 0,
                prefix: "2001:db8:8::".parse().unwrap(),
                prefix_len: 48,
                delegated_len: 56,
                excluded: None,
                options: vec![],
                classes: Default::default(),
            }],
            options: vec![OptionData6 {
                code: 23,
                data: "2001:db8::53"
                    .parse::<Ipv6Addr>()
                    .unwrap()
                    .octets()
                    .to_vec(),
                always_send: false,
                never_send: false,
                vendor: None,
            }],
            reservations: Reservations6::new(vec![Reservation6 {
                id: HostId6::Duid(vec![0, 3, 0, 1, 2, 0, 0, 0, 0, 0xaa]),
                ip_addresses: vec!["2001:db8:1::10".parse().unwrap()],
                prefixes: vec![],
                excluded_prefixes: Vec::new(),
                hostname: Some("res6".into()),
                options: vec![],
                client_classes: Vec::new(),
            }]),
            relay_addresses: vec![],
            interface: None,
            interface_id: None,
            valid_lifetime: Lifetime {
                default: 4000,
                min: 4000,
                max: 4000,
            },
            preferred_lifetime: Lifetime {
                default: 3000,
                min: 3000,
                max: 3000,
            },
            renew_timer: None,
            rebind_timer: None,
            calculate_tee_times: true,
            t1_percent: 0.5,
            t2_percent: 0.8,
            rapid_commit: true,
            classes: Default::default(),
            network: None,
            host_modes: Default::default(),
        }],
        options: vec![],
        decline_probation_period: 86400,
        expired_leases: ExpiredLeasesProcessing::default(),
        loggers: vec![],
        multi_threading: MultiThreading::default(),
        control_sockets: vec![],
        hooks_libraries: vec![],
        parked_packet_limit: 256,
        server_tag: String::new(),
        compatibility: Default::default(),
        mac_sources: vec![ruru_config::MacSource::Any],
        rsoo_enabled: vec![65],
        statistic_samples: Default::default(),
        lease_checks: Default::default(),
        queue_capacity: None,
        flex_id: None,
        ha: Vec::new(),
        flex_options: Vec::new(),
        server_id: ServerId {
            kind: DuidType::Llt,
            identifier: None,
            enterprise_id: 2495,
            htype: 1,
            time: 0,
            persist: false,
            file: PathBuf::from("x"),
        },
        client_classes: Vec::new(),
    }
}

/// The engine options of these tests: no hooks, no host databases, seed 0.
fn opts() -> EngineOptions6 {
    EngineOptions6 {
        dhcp4o6: None,
        ddns: None,
        server_duid: SERVER_DUID.to_vec(),
        client_port: CLIENT_PORT,
        hooks: None,
        hosts: Default::default(),
        rng: Arc::new(crate::Rng::new(0)),
    }
}

fn engine() -> Engine6 {
    Engine6::new(Arc::new(cfg()), opts(), Arc::new(Stats::new()))
}

fn duid(n: u8) -> Vec<u8> {
    vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
}

/// A client message relayed once from LINK.
fn relayed(t: u8, n: u8, extra: &[(u16, Vec<u8>)], server: bool) -> Vec<u8> {
    let mut m = vec![t, 0, 0, n];
    put(&mut m, 1, &duid(n));
    if server {
        put(&mut m, 2, SERVER_DUID);
    }
    put(&mut m, 6, &[0, 23]);
    for (c, v) in extra {
        put(&mut m, *c, v);
    }
    packet::tests::relay_forw(&m, LINK.parse().unwrap(), Some(b"port1"))
}

fn ia_na(iaid: u32, addr: Option<Ipv6Addr>) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    if let Some(a) = addr {
        let mut x = a.octets().to_vec();
        x.extend_from_slice(&[0; 8]);
        put(&mut v, 5, &x);
    }
    (3, v)
}

fn ia_pd(iaid: u32) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    (25, v)
}

fn meta() -> RecvMeta6 {
    RecvMeta6 {
        src: SocketAddrV6::new("2001:db8:ff::2".parse().unwrap(), 547, 0, 0),
        iface: None,
        dst: Some("2001:db8:ff::1".parse().unwrap()),
    }
}

/// Runs a message and returns the client message inside the relay reply.
fn exchange(e: &Engine6, s: &dyn LeaseStore, msg: &[u8]) -> Option<v6::Message> {
    match e.process(s, msg, &meta(), NOW) {
        Outcome6::Reply(r) => {
            assert_eq!(r.bytes[0], 13, "a relayed message gets a relay-reply");
            assert_eq!(r.dest.port(), SERVER_PORT);
            let q = packet::parse(&{
                // turn the relay-reply into a relay-forward to reuse the parser
                let mut b = r.bytes.clone();
                b[0] = 12;
                b
            });
            let inner = q.ok()?;
            assert_eq!(
                inner.relays[0].interface_id(),
                Some(&b"port1"[..]),
                "interface-id echoed"
            );
            Some(inner.msg)
        }
        Outcome6::Drop(_) | Outcome6::Parked(_) => None,
    }
}

fn first_addr(m: &v6::Message) -> Option<(Ipv6Addr, u32)> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAAddr(a) => Some((a.addr, a.valid_life)),
            _ => None,
        }),
        _ => None,
    })
}

fn ia_status(m: &v6::Message) -> Option<Status> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::StatusCode(s) => Some(s.status),
            _ => None,
        }),
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::StatusCode(s) => Some(s.status),
            _ => None,
        }),
        _ => None,
    })
}

fn top_status(m: &v6::Message) -> Option<Status> {
    match m.opts().get(OptionCode::StatusCode) {
        Some(DhcpOption::StatusCode(s)) => Some(s.status),
        _ => None,
    }
}

fn store() -> ruru_lease::Memfile6 {
    ruru_lease::Memfile6::open(None).unwrap()
}

#[test]
fn rfc8415_sarr_assigns_and_stores_with_options() {
    let e = engine();
    let s = store();
    let adv = exchange(&e, &s, &relayed(1, 1, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let (a, valid) = first_addr(&adv).unwrap();
    assert_eq!(valid, 4000);
    assert_eq!(s.count6(), 0, "an Advertise stores nothing");
    assert_eq!(
        adv.opts().get(OptionCode::DomainNameServers),
        Some(&DhcpOption::DomainNameServers(vec!["2001:db8::53"
            .parse()
            .unwrap()])),
        "requested DNS option"
    );
    let rep = exchange(&e, &s, &relayed(3, 1, &[ia_na(1, Some(a))], true)).unwrap();
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(first_addr(&rep).unwrap().0, a);
    let l = s.get6(LeaseType6::Na, a).unwrap();
    assert_eq!((l.duid.clone(), l.iaid, l.expire), (duid(1), 1, NOW + 4000));
    assert_eq!(e.stats().lookup("subnet[1].assigned-nas"), Some(1));
}

#[test]
fn rapid_commit_reply_and_prefix_delegation() {
    let e = engine();
    let s = store();
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 2, &[ia_na(1, None), ia_pd(2), (14, vec![])], false),
    )
    .unwrap();
    assert_eq!(rep.msg_type(), MessageType::Reply, "rapid commit");
    let p = rep.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
            _ => None,
        }),
        _ => None,
    });
    let (pfx, len) = p.unwrap();
    assert_eq!(len, 56);
    assert!(s.get6(LeaseType6::Pd, pfx).is_some());
    assert_eq!(e.stats().lookup("subnet[1].assigned-pds"), Some(1));
}

#[test]
fn pool_exhaustion_gives_no_addrs_avail_and_reservation_wins() {
    let e = engine();
    let s = store();
    for n in 1..=2 {
        let rep = exchange(
            &e,
            &s,
            &relayed(1, n, &[ia_na(1, None), (14, vec![])], false),
        )
        .unwrap();
        assert!(first_addr(&rep).is_some());
    }
    let adv = exchange(&e, &s, &relayed(1, 3, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(ia_status(&adv), Some(Status::NoAddrsAvail));
    let res = exchange(&e, &s, &relayed(1, 0xaa, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(
        first_addr(&res).unwrap().0,
        "2001:db8:1::10".parse::<Ipv6Addr>().unwrap()
    );
}

#[test]
fn renew_release_decline_confirm() {
    let e = engine();
    let s = store();
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 4, &[ia_na(7, None), (14, vec![])], false),
    )
    .unwrap();
    let (a, _) = first_addr(&rep).unwrap();
    // Renew keeps the address.
    let ren = exchange(&e, &s, &relayed(5, 4, &[ia_na(7, Some(a))], true)).unwrap();
    assert_eq!(first_addr(&ren).unwrap(), (a, 4000));
    // Confirm: on link / not on link; no addresses: no reply.
    let ok = exchange(&e, &s, &relayed(4, 4, &[ia_na(7, Some(a))], false)).unwrap();
    assert_eq!(top_status(&ok), Some(Status::Success));
    let bad = exchange(
        &e,
        &s,
        &relayed(
            4,
            4,
            &[ia_na(7, Some("2001:db8:99::1".parse().unwrap()))],
            false,
        ),
    )
    .unwrap();
    assert_eq!(top_status(&bad), Some(Status::NotOnLink));
    assert!(exchange(&e, &s, &relayed(4, 4, &[ia_na(7, None)], false)).is_none());
    // Release removes it; a second release finds no binding.
    let rel = exchange(&e, &s, &relayed(8, 4, &[ia_na(7, Some(a))], true)).unwrap();
    assert_eq!(top_status(&rel), Some(Status::Success));
    assert!(s.get6(LeaseType6::Na, a).is_none());
    let rel2 = exchange(&e, &s, &relayed(8, 4, &[ia_na(7, Some(a))], true)).unwrap();
    assert_eq!(top_status(&rel2), Some(Status::NoBinding));
    // Decline holds the address.
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 5, &[ia_na(1, None), (14, vec![])], false),
    )
    .unwrap();
    let (b, _) = first_addr(&rep).unwrap();
    let dec = exchange(&e, &s, &relayed(9, 5, &[ia_na(1, Some(b))], true)).unwrap();
    assert_eq!(top_status(&dec), Some(Status::Success));
    assert_eq!(
        s.get6(LeaseType6::Na, b).unwrap().state,
        ruru_lease::LeaseState::Declined
    );
}

/// A memfile store on which another server leases `theirs` (to another
/// client) right after this server first finds its address free: what a
/// shared database does when two servers race for one address.
struct Sniped {
    inner: ruru_lease::Memfile6,
    theirs: ruru_lease::Lease6,
    done: std::sync::atomic::AtomicBool,
}

impl LeaseStore for Sniped {
    fn get6(&self, t: LeaseType6, a: Ipv6Addr) -> Option<ruru_lease::Lease6> {
        let got = self.inner.get6(t, a);
        if got.is_none()
            && (t, a) == (self.theirs.lease_type, self.theirs.address)
            && !self.done.swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            self.inner.add6(&self.theirs).unwrap();
        }
        got
    }
    fn get6_by_duid_iaid(&self, t: LeaseType6, duid: &[u8], iaid: u32) -> Vec<ruru_lease::Lease6> {
        self.inner.get6_by_duid_iaid(t, duid, iaid)
    }
    fn get6_by_duid(&self, duid: &[u8]) -> Vec<ruru_lease::Lease6> {
        self.inner.get6_by_duid(duid)
    }
    fn add6(&self, l: &ruru_lease::Lease6) -> Result<(), ruru_lease::LeaseError> {
        self.inner.add6(l)
    }
    fn update6(&self, l: &ruru_lease::Lease6) -> Result<(), ruru_lease::LeaseError> {
        self.inner.update6(l)
    }
    fn update6_if(
        &self,
        l: &ruru_lease::Lease6,
        old: &ruru_lease::Lease6,
    ) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.update6_if(l, old)
    }
    fn delete6(&self, t: LeaseType6, a: Ipv6Addr) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.delete6(t, a)
    }
}

/// An address another server leases to another client between this
/// server's check and its write is not taken over: the Request is dropped
/// (a conflict; the client retransmits and gets another address) and the
/// other client keeps its lease. Seen with kea-dhcp6 and ruru on one
/// database (tests/e2e_mixed_fleet6.rs).
#[test]
fn an_address_leased_meanwhile_by_another_server_is_not_taken_over() {
    let e = engine();
    let a: Ipv6Addr = "2001:db8:1::100".parse().unwrap();
    let theirs = ruru_lease::Lease6 {
        address: a,
        duid: duid(9),
        valid_lifetime: 4000,
        expire: NOW + 4000,
        subnet_id: 1,
        pref_lifetime: 3000,
        lease_type: LeaseType6::Na,
        iaid: 1,
        prefix_len: 128,
        fqdn_fwd: false,
        fqdn_rev: false,
        hostname: String::new(),
        hwaddr: Vec::new(),
        state: ruru_lease::LeaseState::Default,
        user_context: String::new(),
        hwtype: 0,
        hwaddr_source: 0,
        pool_id: 0,
    };
    let s = Sniped {
        inner: store(),
        theirs: theirs.clone(),
        done: Default::default(),
    };
    let req = relayed(3, 4, &[ia_na(1, Some(a))], true);
    assert!(exchange(&e, &s, &req).is_none(), "dropped as a conflict");
    assert_eq!(s.inner.get6(LeaseType6::Na, a), Some(theirs));
    // The retransmission gets another address.
    let rep = exchange(&e, &s, &req).expect("Reply");
    let (b, valid) = first_addr(&rep).unwrap();
    assert!(b != a && valid > 0, "{b} {valid}");
    assert_eq!(s.inner.get6(LeaseType6::Na, b).unwrap().duid, duid(4));
}

/// RFC 8357: a relay that adds a Relay Source Port option gets the
/// Relay-reply on the port it sent from, with the option echoed after the
/// Interface-Id (as kea-dhcp6 2.2 does); without it, on port 547.
#[test]
fn rfc8357_relay_source_port() {
    let e = engine();
    let s = store();
    let mut inner = vec![1, 0, 0, 4];
    put(&mut inner, 1, &duid(4));
    put(&mut inner, 3, &ia_na(1, None).1);
    let mut fw = vec![12, 0];
    fw.extend_from_slice(&LINK.parse::<Ipv6Addr>().unwrap().octets());
    fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
    put(&mut fw, 18, b"port1");
    put(&mut fw, 135, &[0, 0]);
    put(&mut fw, 9, &inner);
    let mut m = meta();
    m.src.set_port(40_000);
    let Outcome6::Reply(r) = e.process(&s, &fw, &m, NOW) else {
        panic!("no reply");
    };
    assert_eq!(r.dest, m.src, "to the relay's own port");
    assert_eq!(r.bytes[0], 13);
    let after_header = &r.bytes[34..];
    assert_eq!(&after_header[..4], &[0, 18, 0, 5], "Interface-Id first");
    assert_eq!(
        &after_header[9..15],
        &[0, 135, 0, 2, 0, 0],
        "then the option echoed"
    );
    // Without the option: port 547, whatever the relay's source port.
    let plain = relayed(1, 4, &[ia_na(1, None)], false);
    let Outcome6::Reply(r) = e.process(&s, &plain, &m, NOW) else {
        panic!("no reply");
    };
    assert_eq!(r.dest.port(), SERVER_PORT);
}

#[test]
fn rfc8415_16_identifier_rules() {
    let e = engine();
    let s = store();
    // Request without server id; Solicit with one; Request for another server.
    assert!(exchange(&e, &s, &relayed(3, 6, &[ia_na(1, None)], false)).is_none());
    assert!(exchange(&e, &s, &relayed(1, 6, &[ia_na(1, None)], true)).is_none());
    let mut m = vec![3, 0, 0, 1];
    put(&mut m, 1, &duid(6));
    put(&mut m, 2, &[0, 3, 0, 1, 9, 9, 9, 9, 9, 9]);
    let r = packet::tests::relay_forw(&m, LINK.parse().unwrap(), None);
    assert!(matches!(
        e.process(&s, &r, &meta(), NOW),
        Outcome6::Drop(Drop6::NotForUs)
    ));
    // Information-request gets options without IAs.
    let info = exchange(&e, &s, &relayed(11, 6, &[], false)).unwrap();
    assert_eq!(info.msg_type(), MessageType::Reply);
    assert!(first_addr(&info).is_none());
    // Unknown relay link: no subnet.
    let other = packet::tests::relay_forw(
        &[1, 0, 0, 1, 0, 1, 0, 10, 0, 3, 0, 1, 2, 0, 0, 0, 0, 7],
        "2001:db8:77::1".parse().unwrap(),
        None,
    );
    assert!(matches!(
        e.process(&s, &other, &meta(), NOW),
        Outcome6::Drop(Drop6::NoSubnet)
    ));
    // Garbage is counted.
    assert!(matches!(
        e.process(&s, &[12, 0, 1], &meta(), NOW),
        Outcome6::Drop(Drop6::ParseFailed)
    ));
    assert_eq!(e.stats().get(crate::Stat::Pkt6ParseFailed), 1);
    let _ = v6::Message::decode(&mut Decoder::new(&[1, 0, 0, 0]));
}

/// A dispatcher in Rust: what the engine does with each next step at the
/// DHCPv6 hook points (the C ABI side is tested end to end in the server).
#[derive(Debug, Default)]
struct Mock6 {
    drop_client: Option<u8>,
    valid: Option<u32>,
    option: Option<(u16, Vec<u8>)>,
    park_committed: bool,
    committed: std::sync::Mutex<Vec<String>>,
    /// At ddns6_update: the name to give (and the flags seen, recorded).
    rename: Option<String>,
    ddns_seen: std::sync::Mutex<Vec<(String, bool, bool)>>,
}

impl crate::HookDispatch for Mock6 {
    fn has(&self, _point: crate::HookPoint) -> bool {
        true
    }
    fn call(&self, a: &mut crate::HookArgs<'_>) -> crate::NextStep {
        use crate::{HookPoint as P, NextStep as N};
        match a.point {
            P::Pkt6Receive => {
                let q = a.query6.expect("query6 at pkt6_receive");
                if let Some(n) = self.drop_client {
                    if q.client_id.as_deref() == Some(&duid(n)[..]) {
                        return N::Drop;
                    }
                }
            }
            P::Subnet6Select => {
                let all = a.text.iter().find(|(k, _)| *k == "subnet6collection");
                assert!(all.is_some_and(|(_, v)| v.contains(r#""subnet":"2001:db8:1::/64""#)));
            }
            P::Lease6Select => {
                if let (Some(v), Some(l)) = (self.valid, a.lease6.as_deref_mut()) {
                    l.valid_lifetime = v;
                    l.pref_lifetime = v / 2;
                }
            }
            P::Leases6Committed => {
                let text = a
                    .text
                    .iter()
                    .find(|(k, _)| *k == "leases6")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                self.committed.lock().unwrap().push(text);
                if self.park_committed {
                    assert!(a.park.is_some(), "leases6_committed can park");
                    return N::Park;
                }
            }
            P::Ddns6Update => {
                if let Some(new) = &self.rename {
                    let (fwd, rev) = a.ddns_updates.expect("fwd-update, rev-update");
                    let slot = a.text.iter_mut().find(|(k, _)| *k == "hostname");
                    let (_, old) = slot.expect("hostname");
                    self.ddns_seen.lock().unwrap().push((old.clone(), fwd, rev));
                    *old = new.clone();
                    a.ddns_updates = Some((true, false));
                }
            }
            P::Pkt6Send => {
                if let (Some((c, v)), Some(r)) = (&self.option, a.response6.as_deref_mut()) {
                    r.opts_mut()
                        .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                            OptionCode::from(*c),
                            v.clone(),
                        )));
                }
            }
            _ => {}
        }
        N::Continue
    }
}

fn engine_with(m: Arc<Mock6>) -> Engine6 {
    Engine6::new(
        Arc::new(cfg()),
        EngineOptions6 {
            dhcp4o6: None,
            hooks: Some(m),
            ..opts()
        },
        Arc::new(Stats::new()),
    )
}

#[test]
fn hooks_drop_change_lifetimes_add_options_and_park() {
    let m = Arc::new(Mock6 {
        drop_client: Some(9),
        valid: Some(1234),
        option: Some((65000, b"hooked".to_vec())),
        park_committed: true,
        ..Mock6::default()
    });
    let e = engine_with(m.clone());
    let s = store();
    // pkt6_receive DROP: no answer, counted.
    assert!(exchange(&e, &s, &relayed(1, 9, &[ia_na(1, None)], false)).is_none());
    assert_eq!(e.stats().get(crate::Stat::Pkt6DropHook), 1);
    // lease6_select lifetimes and the pkt6_send option in the Advertise.
    let adv = exchange(&e, &s, &relayed(1, 1, &[ia_na(1, None)], false)).unwrap();
    let (a, valid) = first_addr(&adv).unwrap();
    assert_eq!(valid, 1234);
    let opt = adv.opts().iter().find_map(|o| match o {
        DhcpOption::Unknown(u) if u16::from(u.code()) == 65000 => Some(u.data().to_vec()),
        _ => None,
    });
    assert_eq!(opt.as_deref(), Some(&b"hooked"[..]));
    // Request: leases6_committed parks the Reply; the lease is stored.
    let req = relayed(3, 1, &[ia_na(1, Some(a))], true);
    let parked = match e.process(&s, &req, &meta(), NOW) {
        Outcome6::Parked(p) => p,
        other => panic!("expected a parked reply, got {other:?}"),
    };
    let stored = s
        .get6(LeaseType6::Na, a)
        .expect("stored before leases6_committed");
    assert_eq!(stored.valid_lifetime, 1234);
    assert!(m.committed.lock().unwrap()[0].contains(&a.to_string()));
    // Resumed: the Reply, with the pkt6_send option, goes out.
    match e.resume(*parked) {
        Outcome6::Reply(r) => {
            assert_eq!(r.bytes[0], 13, "relay-reply");
            assert!(r.bytes.windows(6).any(|w| w == b"hooked"));
        }
        other => panic!("expected the reply, got {other:?}"),
    }
}

fn engine_from(c: Dhcp6) -> Engine6 {
    Engine6::new(Arc::new(c), opts(), Arc::new(Stats::new()))
}

/// An IA_NA with a hint address and lifetimes.
fn ia_na_hint(iaid: u32, a: Ipv6Addr, pref: u32, valid: u32) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    let mut x = a.octets().to_vec();
    x.extend_from_slice(&pref.to_be_bytes());
    x.extend_from_slice(&valid.to_be_bytes());
    put(&mut v, 5, &x);
    (3, v)
}

fn ia_lifetimes_and_t(m: &v6::Message) -> Option<(u32, u32, u32, u32)> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAAddr(a) => Some((a.preferred_life, a.valid_life, ia.t1, ia.t2)),
            _ => None,
        }),
        _ => None,
    })
}

#[test]
fn lifetime_hints_are_followed_within_min_and_max() {
    let mut c = cfg();
    c.subnets[0].valid_lifetime = Lifetime {
        default: 4000,
        min: 1000,
        max: 8000,
    };
    c.subnets[0].preferred_lifetime = Lifetime {
        default: 3000,
        min: 500,
        max: 6000,
    };
    let e = engine_from(c);
    let s = store();
    let any: Ipv6Addr = "::".parse().unwrap();
    // Within bounds: as asked; T1/T2 follow the preferred lifetime.
    let adv = exchange(
        &e,
        &s,
        &relayed(1, 1, &[ia_na_hint(1, any, 2000, 5000)], false),
    )
    .unwrap();
    assert_eq!(ia_lifetimes_and_t(&adv), Some((2000, 5000, 1000, 1600)));
    // Above max / below min: clamped.
    let adv = exchange(
        &e,
        &s,
        &relayed(1, 2, &[ia_na_hint(1, any, 100, 100_000)], false),
    )
    .unwrap();
    assert_eq!(
        ia_lifetimes_and_t(&adv).map(|t| (t.0, t.1)),
        Some((500, 8000))
    );
    // No hint (0): the defaults.
    let adv = exchange(&e, &s, &relayed(1, 3, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(
        ia_lifetimes_and_t(&adv).map(|t| (t.0, t.1)),
        Some((3000, 4000))
    );
}

#[test]
fn rfc6603_pd_exclude_sent_when_requested() {
    let mut c = cfg();
    // Delegated /56s; the excluded /64 has subnet id 0x01 after the /56.
    c.subnets[0].pd_pools[0].excluded = Some(("2001:db8:8:1::".parse().unwrap(), 64));
    let e = engine_from(c);
    let s = store();
    let prefix_opts = |m: &v6::Message| {
        m.opts().iter().find_map(|o| match o {
            DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
                DhcpOption::IAPrefix(p) => Some(p.opts.clone()),
                _ => None,
            }),
            _ => None,
        })
    };
    // Without OPTION_PD_EXCLUDE in the ORO: not sent.
    let adv = exchange(&e, &s, &relayed(1, 1, &[ia_pd(1)], false)).unwrap();
    let o = prefix_opts(&adv).unwrap();
    assert!(o.get(OptionCode::from(67)).is_none());
    // Asked for (ORO 67): prefix-len 64, then the 8 bits after /56: 0x01.
    let mut m = vec![1, 0, 0, 2];
    put(&mut m, 1, &duid(2));
    put(&mut m, 6, &[0, 67]);
    let (c3, v3) = ia_pd(1);
    put(&mut m, c3, &v3);
    let adv = exchange(
        &e,
        &s,
        &packet::tests::relay_forw(&m, LINK.parse().unwrap(), Some(b"port1")),
    )
    .unwrap();
    let o = prefix_opts(&adv).unwrap();
    match o.get(OptionCode::from(67)) {
        Some(DhcpOption::Unknown(u)) => assert_eq!(u.data(), &[64, 0x01]),
        other => panic!("no PD exclude: {other:?}"),
    }
    assert_eq!(
        super::pd_exclude(
            "2001:db8:8:100::".parse().unwrap(),
            56,
            ("2001:db8:8:1::".parse().unwrap(), 64)
        ),
        Some(vec![64, 1])
    );
    assert_eq!(
        super::pd_exclude(
            "2001:db8::".parse().unwrap(),
            48,
            ("2001:db8:0:ab80::".parse().unwrap(), 57)
        ),
        Some(vec![57, 0xab, 0x80])
    );
}

#[test]
fn lease_hwaddr_from_relay_option_79_or_duid_and_reuse_counted() {
    let e = engine();
    let s = store();
    // DUID-LL: hwaddr from the DUID (source DUID = 2).
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 5, &[ia_na(1, None), (14, vec![])], false),
    )
    .unwrap();
    let (a, _) = first_addr(&rep).unwrap();
    let l = s.get6(LeaseType6::Na, a).unwrap();
    assert_eq!(
        (l.hwaddr.clone(), l.hwtype, l.hwaddr_source),
        (vec![2, 0, 0, 0, 0, 5], 1, 2)
    );
    // RFC 6939 option from the relay wins (source 8).
    let mut m = vec![1, 0, 0, 6];
    put(&mut m, 1, &[0, 2, 0, 0, 0, 9, 1]); // DUID-EN: no link-layer address
    put(&mut m, 14, &[]);
    let (c3, v3) = ia_na(1, None);
    put(&mut m, c3, &v3);
    let mut fw = packet::tests::relay_forw(&m, LINK.parse().unwrap(), Some(b"port1"));
    put(&mut fw, 79, &[0, 1, 0xaa, 0xbb, 0xcc, 0, 0, 6]);
    let rep = exchange(&e, &s, &fw).unwrap();
    let (b, _) = first_addr(&rep).unwrap();
    let l = s.get6(LeaseType6::Na, b).unwrap();
    assert_eq!(
        (l.hwaddr.clone(), l.hwtype, l.hwaddr_source),
        (vec![0xaa, 0xbb, 0xcc, 0, 0, 6], 1, 8)
    );
    // The pool (two addresses) is full; once client 5's lease expires,
    // another client gets it. Not a "lease reuse": Kea's
    // v6-ia-na-lease-reuses counts leases given again by lease caching.
    let later = NOW + 10_000;
    let rep = match e.process(
        &s,
        &relayed(1, 7, &[ia_na(1, None), (14, vec![])], false),
        &meta(),
        later,
    ) {
        Outcome6::Reply(r) => r,
        o => panic!("{o:?}"),
    };
    assert!(!rep.bytes.is_empty());
    assert_eq!(e.stats().get(crate::Stat::V6IaNaLeaseReuses), 0);
    assert_eq!(e.stats().lookup("subnet[1].v6-ia-na-lease-reuses"), Some(0));
}

/// Kea's lease caching in DHCPv6: a Renew before `cache-threshold` of the
/// lifetime has passed is answered with what is left of the lease, which
/// is not written again; a later one is a full renewal.
#[test]
fn lease_caching_answers_a_young_renew_without_a_write() {
    let mut c = cfg();
    c.subnets[0].cache = ruru_config::LeaseCache {
        threshold: Some(0.5),
        max_age: None,
    };
    let e = engine_from(c);
    let s = store();
    let m = exchange(&e, &s, &relayed(1, 0x61, &[ia_na(1, None)], false)).unwrap();
    let (a, _) = first_addr(&m).unwrap();
    let rep = exchange(&e, &s, &relayed(3, 0x61, &[ia_na(1, Some(a))], true)).unwrap();
    let (_, valid) = first_addr(&rep).unwrap();
    let stored = s.get6(LeaseType6::Na, a).unwrap();
    assert_eq!(stored.expire, NOW + u64::from(valid));
    let renew = |now: u64| match e.process(
        &s,
        &relayed(5, 0x61, &[ia_na(1, Some(a))], true),
        &meta(),
        now,
    ) {
        Outcome6::Reply(r) => {
            // The relay-reply as a relay-forward, to reuse the parser.
            let mut b = r.bytes.clone();
            b[0] = 12;
            first_addr(&packet::parse(&b).unwrap().msg).unwrap().1
        }
        o => panic!("{o:?}"),
    };
    assert_eq!(renew(NOW + 100), valid - 100, "what is left");
    assert_eq!(s.get6(LeaseType6::Na, a).unwrap(), stored, "not written");
    assert_eq!(e.stats().get(crate::Stat::V6IaNaLeaseReuses), 1);
    let late = NOW + u64::from(valid) / 2 + 10;
    assert_eq!(renew(late), valid, "a full renewal");
    assert_eq!(
        s.get6(LeaseType6::Na, a).unwrap().expire,
        late + u64::from(valid)
    );
}

#[test]
fn information_request_from_a_link_without_subnet_gets_global_options() {
    let mut c = cfg();
    c.options = vec![OptionData6 {
        code: 23,
        data: "2001:db8::35"
            .parse::<Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec(),
        always_send: false,
        never_send: false,
        vendor: None,
    }];
    let e = engine_from(c);
    let s = store();
    let mut m = vec![11, 0, 0, 8];
    put(&mut m, 1, &duid(8));
    put(&mut m, 6, &[0, 23]);
    let fw = packet::tests::relay_forw(&m, "2001:db8:99::1".parse().unwrap(), Some(b"port1"));
    let rep = exchange(&e, &s, &fw).expect("a Reply without a subnet");
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert!(rep.opts().get(OptionCode::DomainNameServers).is_some());
    // A Solicit from that link still gets nothing.
    let mut m = vec![1, 0, 0, 9];
    put(&mut m, 1, &duid(9));
    let fw = packet::tests::relay_forw(&m, "2001:db8:99::1".parse().unwrap(), Some(b"port1"));
    assert!(exchange(&e, &s, &fw).is_none());
}

#[test]
fn rfc8415_unicast_from_a_client_gets_use_multicast_or_nothing() {
    let mut c = cfg();
    c.subnets[0].interface = Some("eth0".into());
    let e = engine_from(c);
    let s = store();
    let direct = |dst: &str| RecvMeta6 {
        src: SocketAddrV6::new("fe80::2".parse().unwrap(), 546, 0, 2),
        iface: Some("eth0".into()),
        dst: Some(dst.parse().unwrap()),
    };
    let solicit = {
        let mut m = vec![1, 0, 0, 1];
        put(&mut m, 1, &duid(1));
        let (c3, v3) = ia_na(1, None);
        put(&mut m, c3, &v3);
        m
    };
    // Multicast: an Advertise.
    let adv = match e.process(&s, &solicit, &direct("ff02::1:2"), NOW) {
        Outcome6::Reply(r) => v6::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("{o:?}"),
    };
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let (a, _) = first_addr(&adv).unwrap();
    // Unicast Solicit: discarded.
    assert!(matches!(
        e.process(&s, &solicit, &direct("2001:db8:1::1"), NOW),
        Outcome6::Drop(Drop6::Unicast)
    ));
    // Unicast Request: a Reply with only UseMulticast and the identifiers.
    let mut req = vec![3, 0, 0, 2];
    put(&mut req, 1, &duid(1));
    put(&mut req, 2, SERVER_DUID);
    let (c3, v3) = ia_na(1, Some(a));
    put(&mut req, c3, &v3);
    let rep = match e.process(&s, &req, &direct("2001:db8:1::1"), NOW) {
        Outcome6::Reply(r) => v6::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("{o:?}"),
    };
    assert_eq!(top_status(&rep), Some(Status::UseMulticast));
    assert_eq!(
        rep.opts().iter().count(),
        3,
        "status, server id, client id only"
    );
    assert!(s.get6(LeaseType6::Na, a).is_none(), "nothing stored");
    // The same Request by multicast is served.
    let rep = match e.process(&s, &req, &direct("ff02::1:2"), NOW) {
        Outcome6::Reply(r) => v6::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("{o:?}"),
    };
    assert_eq!(first_addr(&rep).map(|x| x.0), Some(a));
}

#[test]
fn host_database_reservation6_applies_at_the_next_message() {
    let db = Arc::new(crate::fake_hosts::FakeHosts::default());
    let e = Engine6::new(
        Arc::new(cfg()),
        EngineOptions6 {
            dhcp4o6: None,
            hosts: crate::v4::hosts::HostSources(vec![db.clone()]),
            ..opts()
        },
        Arc::new(Stats::new()),
    );
    let s = store();
    let a100: Ipv6Addr = "2001:db8:1::100".parse().unwrap();
    let a101: Ipv6Addr = "2001:db8:1::101".parse().unwrap();
    let p500: Ipv6Addr = "2001:db8:8:500::".parse().unwrap();
    let commit = |n: u8, extra: &[(u16, Vec<u8>)]| {
        let mut opts = vec![(14, vec![])];
        opts.extend_from_slice(extra);
        exchange(&e, &s, &relayed(1, n, &opts, false)).unwrap()
    };
    // No row: an Advertise from the pool.
    let adv = exchange(&e, &s, &relayed(1, 5, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(first_addr(&adv).map(|a| a.0), Some(a100));
    // An inventory system reserves ::101 and a prefix for client 5.
    let mut h = ruru_lease::Host6::new(ruru_lease::IdType::Duid, duid(5), 1);
    h.ip_addresses = vec![a101];
    h.prefixes = vec![(p500, 56)];
    h.hostname = "inventory6".into();
    h.option_data = r#"[{"code": 65001, "data": "0102", "always-send": true}]"#.into();
    db.v6.lock().unwrap().push(h);
    // Other clients never get the reserved address or prefix.
    let rep = commit(1, &[ia_na(1, None)]);
    assert_eq!(first_addr(&rep).map(|a| a.0), Some(a100));
    let rep = commit(2, &[ia_na(1, Some(a101))]);
    assert_eq!(ia_status(&rep), Some(Status::NoAddrsAvail));
    // The next message of client 5 gets them, with the host's option.
    let rep = commit(5, &[ia_na(1, None), ia_pd(2)]);
    assert_eq!(first_addr(&rep).map(|a| a.0), Some(a101));
    let prefix = rep.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
            _ => None,
        }),
        _ => None,
    });
    assert_eq!(prefix, Some((p500, 56)));
    let opt = rep.opts().iter().find_map(|o| match o {
        DhcpOption::Unknown(u) if u16::from(u.code()) == 65001 => Some(u.data().to_vec()),
        _ => None,
    });
    assert_eq!(opt, Some(vec![1, 2]));
    let l = s.get6(LeaseType6::Na, a101).unwrap();
    assert_eq!((l.duid, l.hostname.as_str()), (duid(5), "inventory6"));
    // A pool search skips it too (prefixes: another client gets another one).
    let rep = commit(3, &[ia_pd(1)]);
    let other = rep.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some(p.prefix_ip),
            _ => None,
        }),
        _ => None,
    });
    assert!(other.is_some_and(|p| p != p500), "{other:?}");
}

/// The IAIDs of the reply's IA options of `code`, in order.
fn reply_iaids(m: &v6::Message, code: OptionCode) -> Vec<u32> {
    m.opts()
        .get_all(code)
        .unwrap_or_default()
        .iter()
        .filter_map(|o| match o {
            DhcpOption::IANA(ia) => Some(ia.id),
            DhcpOption::IAPD(ia) => Some(ia.id),
            _ => None,
        })
        .collect()
}

/// The addresses of every IA_NA of `m`.
fn reply_addrs(m: &v6::Message) -> Vec<Ipv6Addr> {
    m.opts()
        .iter()
        .flat_map(|o| match o {
            DhcpOption::IANA(ia) => ia.opts.iter().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .filter_map(|x| match x {
            DhcpOption::IAAddr(a) if a.valid_life > 0 => Some(a.addr),
            _ => None,
        })
        .collect()
}

/// A configuration whose pool has room for thousands of addresses.
fn big_pool() -> Dhcp6 {
    let mut c = cfg();
    c.subnets[0].pools[0].end = "2001:db8:1::ffff".parse().unwrap();
    c
}

#[test]
fn solicit_with_4000_ia_na_gets_an_advertise_for_the_first_max_ias() {
    let e = engine_from(big_pool());
    let s = store();
    // 4000 IA_NA (IAIDs in descending order, so that the order kept is
    // visibly the message's), then an IA_PD past the bound.
    let mut opts: Vec<(u16, Vec<u8>)> = (0..4000u32).rev().map(|i| ia_na(i, None)).collect();
    opts.push(ia_pd(9999));
    let msg = relayed(1, 40, &opts, false);
    assert!(msg.len() < 65_507, "fits in one UDP datagram");
    let adv = exchange(&e, &s, &msg).unwrap();
    assert_eq!(adv.msg_type(), MessageType::Advertise);
    let mut ids = reply_iaids(&adv, OptionCode::IANA);
    assert_eq!(ids.len(), packet::MAX_IAS, "exactly MAX_IAS IAs answered");
    ids.sort_unstable();
    let first: Vec<u32> = (4000 - packet::MAX_IAS as u32..4000).collect();
    assert_eq!(ids, first, "the first IAs of the message");
    assert!(
        reply_iaids(&adv, OptionCode::IAPD).is_empty(),
        "IA_PD past the bound"
    );
    assert_eq!(
        reply_addrs(&adv).len(),
        packet::MAX_IAS,
        "each kept IA got an address"
    );
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(1));
    assert_eq!(e.stats().lookup("pkt6-advertise-sent"), Some(1));
    assert_eq!(e.stats().lookup("pkt6-receive-drop"), Some(0));
    // Other options after the IAs are still read: the ORO asked for DNS.
    assert!(adv.opts().get(OptionCode::DomainNameServers).is_some());
    // A message at the bound is not cut.
    let at: Vec<(u16, Vec<u8>)> = (0..packet::MAX_IAS as u32)
        .map(|i| ia_na(i, None))
        .collect();
    let adv = exchange(&e, &s, &relayed(1, 41, &at, false)).unwrap();
    assert_eq!(reply_iaids(&adv, OptionCode::IANA).len(), packet::MAX_IAS);
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(1));
}

#[test]
fn request_and_renew_with_many_ias_store_and_extend_at_most_max_ias() {
    let e = engine_from(big_pool());
    let s = store();
    let many: Vec<(u16, Vec<u8>)> = (0..4000u32).map(|i| ia_na(i, None)).collect();
    let rep = exchange(&e, &s, &relayed(3, 42, &many, true)).unwrap();
    assert_eq!(rep.msg_type(), MessageType::Reply);
    assert_eq!(reply_iaids(&rep, OptionCode::IANA).len(), packet::MAX_IAS);
    let held = reply_addrs(&rep);
    assert_eq!(held.len(), packet::MAX_IAS);
    assert_eq!(
        s.count6(),
        packet::MAX_IAS,
        "one Request stores MAX_IAS leases at most"
    );
    assert_eq!(
        e.stats().lookup("subnet[1].assigned-nas"),
        Some(packet::MAX_IAS as i64)
    );
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(1));
    // Renew: the same 4000 IAs, the first MAX_IAS listing their address.
    let renew: Vec<(u16, Vec<u8>)> = (0..4000u32)
        .map(|i| {
            let a = s
                .get6_by_duid_iaid(LeaseType6::Na, &duid(42), i)
                .first()
                .map(|l| l.address);
            ia_na(i, a)
        })
        .collect();
    let ren = exchange(&e, &s, &relayed(5, 42, &renew, true)).unwrap();
    assert_eq!(reply_iaids(&ren, OptionCode::IANA).len(), packet::MAX_IAS);
    let mut renewed = reply_addrs(&ren);
    let mut held = held;
    renewed.sort_unstable();
    held.sort_unstable();
    assert_eq!(renewed, held, "the same bindings extended, no new one");
    assert_eq!(s.count6(), packet::MAX_IAS);
    // Release of all 4000: the first MAX_IAS are released (all there is).
    let rel = exchange(&e, &s, &relayed(8, 42, &renew, true)).unwrap();
    assert_eq!(top_status(&rel), Some(Status::Success));
    assert_eq!(s.count6(), 0);
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(3));
}

/// An IA_NA listing `addrs`.
fn ia_na_listing(iaid: u32, addrs: &[Ipv6Addr]) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    for a in addrs {
        let mut x = a.octets().to_vec();
        x.extend_from_slice(&[0; 8]);
        put(&mut v, 5, &x);
    }
    (3, v)
}

#[test]
fn an_ia_listing_thousands_of_addresses_is_read_up_to_max_ia_entries() {
    let e = engine_from(big_pool());
    let s = store();
    let rep = exchange(
        &e,
        &s,
        &relayed(1, 43, &[ia_na(1, None), (14, vec![])], false),
    )
    .unwrap();
    let (mine, _) = first_addr(&rep).unwrap();
    let others: Vec<Ipv6Addr> = (0..2000u16)
        .map(|k| Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0x10, k))
        .collect();
    // Renew: the foreign addresses get lifetimes 0, but only the first
    // MAX_IA_ENTRIES listed are read.
    let mut listed = others.clone();
    listed.insert(0, mine);
    let ren = exchange(&e, &s, &relayed(5, 43, &[ia_na_listing(1, &listed)], true)).unwrap();
    let entries = ren
        .opts()
        .iter()
        .find_map(|o| match o {
            DhcpOption::IANA(ia) => Some(
                ia.opts
                    .iter()
                    .filter(|x| matches!(x, DhcpOption::IAAddr(_)))
                    .count(),
            ),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        entries,
        packet::MAX_IA_ENTRIES,
        "its binding and 15 zero-lifetime entries"
    );
    assert_eq!(reply_addrs(&ren), vec![mine]);
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(1));
    // Release with the binding past the bound: nothing is released.
    let mut late = others[..packet::MAX_IA_ENTRIES].to_vec();
    late.push(mine);
    let rel = exchange(&e, &s, &relayed(8, 43, &[ia_na_listing(1, &late)], true)).unwrap();
    assert_eq!(top_status(&rel), Some(Status::NoBinding));
    assert!(s.get6(LeaseType6::Na, mine).is_some());
    // Within the bound it is.
    late.remove(0);
    let rel = exchange(&e, &s, &relayed(8, 43, &[ia_na_listing(1, &late)], true)).unwrap();
    assert_eq!(top_status(&rel), Some(Status::Success));
    assert!(s.get6(LeaseType6::Na, mine).is_none());
    assert_eq!(e.stats().lookup("pkt6-ia-limit"), Some(2));
}

#[test]
fn reclaim_honours_the_limit_and_says_whether_more_remain() {
    let e = engine();
    let s = store();
    // Two clients with a lease each (Solicit with Rapid Commit is not
    // configured: Solicit + Request).
    for n in [1, 2] {
        let adv = exchange(&e, &s, &relayed(1, n, &[ia_na(1, None)], false)).unwrap();
        let (a, _) = first_addr(&adv).unwrap();
        let rep = exchange(&e, &s, &relayed(3, n, &[ia_na(1, Some(a))], true)).unwrap();
        assert_eq!(rep.msg_type(), MessageType::Reply);
    }
    let later = NOW + 5000;
    assert_eq!(e.reclaim(&s, later, 1), (1, true));
    assert_eq!(e.reclaim(&s, later, 1), (1, false));
    assert_eq!(e.reclaim(&s, later, 0), (0, false));
    assert_eq!(e.stats().lookup("reclaimed-leases"), Some(2));
    assert_eq!(e.stats().lookup("subnet[1].assigned-nas"), Some(0));
}

/// A memfile store whose reclamation query answers `stale`: what a
/// server sharing a database read as expired before another server leased
/// the address again.
struct StaleExpired {
    inner: ruru_lease::Memfile6,
    stale: Vec<ruru_lease::Lease6>,
}

impl LeaseStore for StaleExpired {
    fn get6(&self, t: LeaseType6, a: Ipv6Addr) -> Option<ruru_lease::Lease6> {
        self.inner.get6(t, a)
    }
    fn expired6(&self, _now: u64, _limit: usize) -> Vec<ruru_lease::Lease6> {
        self.stale.clone()
    }
    fn update6(&self, l: &ruru_lease::Lease6) -> Result<(), ruru_lease::LeaseError> {
        self.inner.update6(l)
    }
    fn update6_if(
        &self,
        l: &ruru_lease::Lease6,
        old: &ruru_lease::Lease6,
    ) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.update6_if(l, old)
    }
    fn delete6(&self, t: LeaseType6, a: Ipv6Addr) -> Result<bool, ruru_lease::LeaseError> {
        self.inner.delete6(t, a)
    }
}

/// Reclamation writes only the lease it read as expired: one that another
/// server gave to another client meanwhile stays as it is.
#[test]
fn reclaim_leaves_a_lease_renewed_meanwhile_by_another_server() {
    let e = engine();
    let s = store();
    let adv = exchange(&e, &s, &relayed(1, 1, &[ia_na(1, None)], false)).unwrap();
    let (a, _) = first_addr(&adv).unwrap();
    exchange(&e, &s, &relayed(3, 1, &[ia_na(1, Some(a))], true)).unwrap();
    let later = NOW + 5000;
    let stale = s.expired6(later, 0);
    assert_eq!(stale.len(), 1);
    // Another server leases the expired address to client 9.
    let mut theirs = stale[0].clone();
    theirs.duid = duid(9);
    theirs.expire = later + 4000;
    s.update6(&theirs).unwrap();
    let st = StaleExpired { inner: s, stale };
    assert_eq!(e.reclaim(&st, later, 0), (0, false));
    assert_eq!(st.inner.get6(LeaseType6::Na, a), Some(theirs));
    // Without the other server, the expired lease is reclaimed.
    let s = st.inner;
    let stale = s.expired6(later + 5000, 0);
    let st = StaleExpired { inner: s, stale };
    assert_eq!(e.reclaim(&st, later + 5000, 0), (1, false));
    assert_eq!(
        st.inner.get6(LeaseType6::Na, a).unwrap().state,
        ruru_lease::LeaseState::ExpiredReclaimed
    );
}

/// An engine of a server sharing a SQL lease database (spread cursors),
/// with 64 addresses and 256 prefixes and its randomness seeded with
/// `seed`.
fn spread_engine(seed: u64) -> Engine6 {
    let mut c = cfg();
    c.lease_database.kind = LeaseDbKind::Mysql(SqlDatabase {
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
    c.subnets[0].pools[0].end = "2001:db8:1::13f".parse().unwrap();
    Engine6::new(
        Arc::new(c),
        EngineOptions6 {
            dhcp4o6: None,
            rng: Arc::new(crate::Rng::new(seed)),
            ..opts()
        },
        Arc::new(Stats::new()),
    )
}

/// One scripted run: this server (seeded with `seed`) and another one
/// (always seed 7) take turns on one shared lease store, 24 clients asking
/// for an address and a prefix with rapid commit. Returns what this server
/// gave, in order.
fn spread_run(seed: u64) -> Vec<(Ipv6Addr, Ipv6Addr)> {
    let (us, other) = (spread_engine(seed), spread_engine(7));
    let s = store();
    let mut ours = Vec::new();
    for n in 1..=24 {
        let e = if n % 2 == 0 { &other } else { &us };
        let msg = relayed(1, n, &[ia_na(1, None), ia_pd(2), (14, vec![])], false);
        let rep = exchange(e, &s, &msg).unwrap();
        assert_eq!(rep.msg_type(), MessageType::Reply, "rapid commit");
        let prefix = rep.opts().iter().find_map(|o| match o {
            DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
                DhcpOption::IAPrefix(p) => Some(p.prefix_ip),
                _ => None,
            }),
            _ => None,
        });
        if n % 2 == 1 {
            ours.push((first_addr(&rep).unwrap().0, prefix.unwrap()));
        }
    }
    ours
}

/// Replay, as for DHCPv4: the same seed and the same exchanges give the
/// same addresses and prefixes in the same order; another seed another.
#[test]
fn same_seed_replays_spread_allocations() {
    let first = spread_run(42);
    assert_eq!(first.len(), 12);
    assert_eq!(first, spread_run(42));
    assert_ne!(first, spread_run(43));
    // The cursors did spread (a memfile engine starts at each pool's start).
    assert_ne!(first[0].0, "2001:db8:1::100".parse::<Ipv6Addr>().unwrap());
}

#[test]
fn a_reload_keeps_the_allocation_cursors_of_unchanged_pools() {
    let e = engine();
    let s = store();
    let first = |e: &Engine6, n: u8| {
        let adv = exchange(e, &s, &relayed(1, n, &[ia_na(1, None)], false)).unwrap();
        first_addr(&adv).unwrap().0
    };
    let a = first(&e, 1);
    // An Advertise stores nothing: a fresh engine offers the same address
    // again, the reloaded one moves on from where the old one was.
    let fresh = Engine6::new(Arc::new(cfg()), opts(), Arc::new(Stats::new()));
    assert_eq!(first(&fresh, 2), a);
    let reloaded =
        Engine6::with_previous(Arc::new(cfg()), opts(), Arc::new(Stats::new()), Some(&e));
    assert_ne!(first(&reloaded, 3), a);
}

/// `cfg()` with global hosts for duid(0xbb) (2001:db8:1::20, in the
/// subnet) and duid(0xcc) (2001:db8:99::5, outside it), and the subnet's
/// modes `modes`.
fn modes_engine6(modes: HostModes) -> Engine6 {
    let mut c = cfg();
    let host = |n: u8, a: &str| Reservation6 {
        id: HostId6::Duid(duid(n)),
        ip_addresses: vec![a.parse().unwrap()],
        prefixes: vec![],
        excluded_prefixes: Vec::new(),
        hostname: None,
        options: vec![],
        client_classes: Vec::new(),
    };
    c.reservations = Reservations6::new(vec![
        host(0xbb, "2001:db8:1::20"),
        host(0xcc, "2001:db8:99::5"),
    ]);
    c.subnets[0].host_modes = modes;
    engine_from(c)
}

fn solicit_addr(e: &Engine6, n: u8) -> Option<Ipv6Addr> {
    let s = store();
    let adv = exchange(e, &s, &relayed(1, n, &[ia_na(1, None)], false))?;
    first_addr(&adv).map(|(a, _)| a)
}

#[test]
fn global_reservations6_follow_the_flags() {
    let pool = |a: Option<Ipv6Addr>| a.is_some_and(|a| cfg().subnets[0].pools[0].contains(a));
    let ip = |s: &str| s.parse::<Ipv6Addr>().ok();
    // Default: global hosts ignored, the subnet's used.
    let e = modes_engine6(HostModes::default());
    assert!(pool(solicit_addr(&e, 0xbb)));
    assert_eq!(solicit_addr(&e, 0xaa), ip("2001:db8:1::10"));
    // reservations-global: the global address when in the subnet.
    let e = modes_engine6(HostModes {
        global: true,
        ..HostModes::default()
    });
    assert_eq!(solicit_addr(&e, 0xbb), ip("2001:db8:1::20"));
    assert!(
        pool(solicit_addr(&e, 0xcc)),
        "outside the subnet: not given"
    );
    assert_eq!(solicit_addr(&e, 0xaa), ip("2001:db8:1::10"));
    // reservations-in-subnet false: the subnet's host is ignored.
    let e = modes_engine6(HostModes {
        global: true,
        in_subnet: false,
        out_of_pool: false,
    });
    assert!(pool(solicit_addr(&e, 0xaa)));
    assert_eq!(solicit_addr(&e, 0xbb), ip("2001:db8:1::20"));
}

#[test]
fn a_global_reservation_picks_the_network_member_holding_its_address() {
    // LINK's relay selects the network; the global host's address is in
    // its second subnet, where the client starts.
    let text = format!(
        r#"{{"Dhcp6": {{
        "reservations-global": true,
        "reservations": [{{"duid": "00:03:00:01:02:00:00:00:00:bb", "ip-addresses": ["2001:db8:2::20"]}}],
        "shared-networks": [{{"name": "n", "relay": {{"ip-addresses": ["{LINK}"]}},
          "subnet6": [
            {{"id": 1, "subnet": "2001:db8:1::/64", "pools": [{{"pool": "2001:db8:1::100 - 2001:db8:1::101"}}]}},
            {{"id": 2, "subnet": "2001:db8:2::/64", "pools": [{{"pool": "2001:db8:2::100 - 2001:db8:2::101"}}]}}
          ]}}]
    }}}}"#
    );
    let c = match ruru_config::load_str(&text, std::path::Path::new("/tmp/t.json")) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    let e = engine_from(c.dhcp6.unwrap());
    let s = store();
    let adv = exchange(&e, &s, &relayed(1, 0xbb, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(
        first_addr(&adv).map(|(a, _)| a),
        Some("2001:db8:2::20".parse().unwrap())
    );
    // Another client starts in the first subnet.
    let adv = exchange(&e, &s, &relayed(1, 0xbc, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(
        first_addr(&adv).map(|(a, _)| a),
        Some("2001:db8:1::100".parse().unwrap())
    );
}

/// Without `host-reservation-identifiers`, a client with a reservation by
/// its hardware address (from its DUID-LL) and another by its DUID gets the
/// hardware address's, as with Kea's default `["hw-address", "duid"]`.
#[test]
fn default_identifier_order_is_keas_hw_address_then_duid() {
    let text = format!(
        r#"{{"Dhcp6": {{"subnet6": [{{"id": 1, "subnet": "2001:db8:1::/64",
          "relay": {{"ip-addresses": ["{LINK}"]}},
          "pools": [{{"pool": "2001:db8:1::100 - 2001:db8:1::1ff"}}],
          "reservations": [
            {{"duid": "00:03:00:01:02:00:00:00:00:05", "ip-addresses": ["2001:db8:1::5"]}},
            {{"hw-address": "02:00:00:00:00:05", "ip-addresses": ["2001:db8:1::6"]}}
          ]}}]}}}}"#
    );
    let c = ruru_config::load_str(&text, std::path::Path::new("t.json"))
        .unwrap()
        .dhcp6
        .unwrap();
    assert_eq!(
        c.host_reservation_identifiers,
        [HostIdType::HwAddress, HostIdType::Duid]
    );
    let e = engine_from(c);
    let s = store();
    let m = exchange(&e, &s, &relayed(1, 5, &[ia_na(1, None)], false)).unwrap();
    assert_eq!(
        first_addr(&m).map(|a| a.0),
        Some("2001:db8:1::6".parse().unwrap())
    );
}

/// `ddns6_update`: the callout sees the name decided from option 39 and
/// its update flags, and the name it gives is the reply's option 39 and
/// the lease's hostname.
#[test]
fn ddns6_update_callout_renames_the_client() {
    let m = Arc::new(Mock6 {
        rename: Some("hooked.example.net.".into()),
        ..Mock6::default()
    });
    let e = engine_with(m.clone());
    let s = store();
    let fqdn = (39u16, [&[0x01u8][..], b"\x02pc\x03lab\x00"].concat());
    let m6 = exchange(&e, &s, &relayed(1, 0x51, &[ia_na(1, None), fqdn], false)).unwrap();
    let opt = m6
        .opts()
        .get(OptionCode::ClientFqdn)
        .map(|o| match o {
            DhcpOption::Unknown(u) => u.data().to_vec(),
            _ => Vec::new(),
        })
        .expect("option 39");
    assert_eq!(&opt[1..], b"\x06hooked\x07example\x03net\x00");
    let seen = m.ddns_seen.lock().unwrap().clone();
    assert_eq!(seen.first().map(|s| s.0.as_str()), Some("pc.lab."));
    // Rapid commit off: a Request stores the lease with the callout's name.
    let (addr, _) = first_addr(&m6).unwrap();
    let fqdn = (39u16, [&[0x01u8][..], b"\x02pc\x03lab\x00"].concat());
    let rep = exchange(
        &e,
        &s,
        &relayed(3, 0x51, &[ia_na(1, Some(addr)), fqdn], true),
    )
    .unwrap();
    assert!(first_addr(&rep).is_some());
    let l = s.get6(LeaseType6::Na, addr).expect("the lease");
    assert_eq!(l.hostname, "hooked.example.net.");
    assert!(l.fqdn_fwd && !l.fqdn_rev);
}

// Kea 2.2 serves a unicast Request, Renew, Release or Decline; ruru does
// when the configuration has a Server Unicast option (12) it may have
// sent the client. A unicast Solicit is still discarded.
#[test]
fn configured_unicast_option_lets_clients_unicast() {
    let mut c = cfg();
    c.subnets[0].interface = Some("eth0".into());
    c.options.push(OptionData6 {
        code: 12,
        data: "2001:db8:1::1"
            .parse::<Ipv6Addr>()
            .unwrap()
            .octets()
            .to_vec(),
        always_send: false,
        never_send: false,
        vendor: None,
    });
    let e = engine_from(c);
    let s = store();
    let direct = |dst: &str| RecvMeta6 {
        src: SocketAddrV6::new("fe80::2".parse().unwrap(), 546, 0, 2),
        iface: Some("eth0".into()),
        dst: Some(dst.parse().unwrap()),
    };
    let mut solicit = vec![1, 0, 0, 1];
    put(&mut solicit, 1, &duid(1));
    put(&mut solicit, 6, &[0, 12]);
    let (c3, v3) = ia_na(1, None);
    put(&mut solicit, c3, &v3);
    let adv = match e.process(&s, &solicit, &direct("ff02::1:2"), NOW) {
        Outcome6::Reply(r) => v6::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("{o:?}"),
    };
    assert!(
        adv.opts().get(OptionCode::from(12u16)).is_some(),
        "option 12 sent"
    );
    let (a, _) = first_addr(&adv).unwrap();
    assert!(matches!(
        e.process(&s, &solicit, &direct("2001:db8:1::1"), NOW),
        Outcome6::Drop(Drop6::Unicast)
    ));
    let mut req = vec![3, 0, 0, 2];
    put(&mut req, 1, &duid(1));
    put(&mut req, 2, SERVER_DUID);
    let (c3, v3) = ia_na(1, Some(a));
    put(&mut req, c3, &v3);
    let rep = match e.process(&s, &req, &direct("2001:db8:1::1"), NOW) {
        Outcome6::Reply(r) => v6::Message::decode(&mut Decoder::new(&r.bytes)).unwrap(),
        o => panic!("{o:?}"),
    };
    assert_eq!(first_addr(&rep).map(|x| x.0), Some(a));
    assert!(s.get6(LeaseType6::Na, a).is_some(), "stored");
}

/// Kea 2.4+'s `pool-id`: an IA_NA lease records its pool's id.
#[test]
fn leases_carry_their_pools_id() {
    let mut c = cfg();
    c.subnets[0].pools[0].id = 21;
    let e = engine_from(c);
    let s = store();
    let adv = exchange(&e, &s, &relayed(1, 1, &[ia_na(1, None)], false)).unwrap();
    let (a, _) = first_addr(&adv).unwrap();
    exchange(&e, &s, &relayed(3, 1, &[ia_na(1, Some(a))], true)).unwrap();
    assert_eq!(s.get6(LeaseType6::Na, a).unwrap().pool_id, 21);
}
