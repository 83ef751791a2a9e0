//! DHCPv6 as an instance of the generic family service
//! ([`crate::service`]): its sockets (one UDP socket per interface, joined
//! to the DHCPv6 multicast groups), its engine ([`Engine6`]), the server
//! DUID (generated once and persisted, [`crate::duid`]) and its statistics.

use std::convert::Infallible;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use ruru_config::{
    Config, Dhcp6, ExpiredLeasesProcessing, InterfacesConfig, LeaseDatabase, LeaseDbKind,
    SocketType,
};
use ruru_engine::stats::StatFamily;
use ruru_engine::v4::hosts::HostSources;
use ruru_engine::v6::{Engine6, EngineOptions6, Outcome6, Parked6, RecvMeta6, Reply6};
use ruru_engine::{Stat, Stats};
use ruru_lease::{Lease6, LeaseError, LeaseStore};
use ruru_net::udp6::{self, Udp6Socket};
use ruru_net::NetError;
use tracing::info;

use crate::hooks::Hooks;
use crate::service::ServiceFamily;
use crate::sockets::{SocketFamily, POLL};
use crate::workers::{Family, Outcome};

/// Interface names of one of Kea's interface specs (`"eth0"`,
/// `"eth0/addr"`, `"*"`: every interface but loopback).
fn names(spec: &str) -> Vec<String> {
    if spec == "*" {
        let all = ruru_net::iface::list().unwrap_or_default();
        return all
            .names
            .into_iter()
            .filter(|n| n.as_str() != "lo")
            .collect();
    }
    vec![spec.split('/').next().unwrap_or(spec).to_string()]
}

/// DHCPv6 for the generic service: one UDP socket per interface
/// ([`ruru_net::udp6`]), [`Engine6`] (each packet holds the engine it
/// started with).
pub struct V6;

impl From<Outcome6> for Outcome<Reply6, Parked6, Infallible> {
    fn from(o: Outcome6) -> Self {
        match o {
            Outcome6::Reply(r) => Outcome::Reply(r),
            Outcome6::Parked(p) => Outcome::Parked(p),
            Outcome6::Drop(_) => Outcome::Done,
        }
    }
}

impl Family for V6 {
    const NAME: &'static str = "DHCPv6";
    const THREAD: &'static str = "ruru6";
    const BUF_LEN: usize = 65_536;
    const RECEIVED: Stat = Stat::Pkt6Received;
    const RECEIVE_DROP: Stat = Stat::Pkt6ReceiveDrop;
    const DROP_DISABLED: Stat = Stat::Pkt6DropServiceDisabled;
    const PROCESSING_PANIC: Stat = Stat::Pkt6ProcessingPanic;
    const SEND_FAILED: Stat = Stat::Pkt6SendFailed;
    type Socket = Udp6Socket;
    type Meta = RecvMeta6;
    type Snap = Arc<Engine6>;
    type Reply = Reply6;
    type Parked = Parked6;
    /// DHCPv6 has no ping check.
    type Probed = Infallible;

    fn iface(sock: &Udp6Socket) -> &str {
        &sock.iface
    }
    fn try_clone(sock: &Udp6Socket) -> std::io::Result<Udp6Socket> {
        sock.try_clone()
    }
    fn recv(
        sock: &Udp6Socket,
        buf: &mut [u8],
        iface: &Arc<str>,
    ) -> std::io::Result<Option<(std::ops::Range<usize>, RecvMeta6)>> {
        Ok(sock.recv(buf)?.map(|rx| {
            let meta = RecvMeta6 {
                src: rx.src,
                iface: Some(iface.clone()),
                dst: rx.dst,
            };
            (0..rx.len, meta)
        }))
    }
    fn process(
        snap: &Arc<Engine6>,
        store: &dyn LeaseStore,
        bytes: &[u8],
        meta: &RecvMeta6,
        now: u64,
        admit: &ruru_engine::Admit<'_>,
    ) -> Outcome<Reply6, Parked6, Infallible> {
        snap.process_admitted(store, bytes, meta, now, admit).into()
    }
    fn resume(snap: &Arc<Engine6>, p: Parked6) -> Outcome<Reply6, Parked6, Infallible> {
        snap.resume(p).into()
    }
    fn parked_id(p: &Parked6) -> u64 {
        p.id
    }
    fn drop_parked(snap: &Arc<Engine6>, p: &Parked6) {
        snap.drop_parked(p);
    }
    fn hold(snap: &Arc<Engine6>, id: u64, finish: ruru_engine::hooks::Finish) {
        snap.hold(id, finish);
    }
    fn probe(p: &Infallible) -> (std::net::Ipv4Addr, u32, std::time::Duration) {
        match *p {}
    }
    fn probe_free(_: &Arc<Engine6>, p: Infallible) -> Outcome<Reply6, Parked6, Infallible> {
        match p {}
    }
    fn probe_in_use(_: &Arc<Engine6>, _: &dyn LeaseStore, p: &Infallible, _: u64) {
        match *p {}
    }
    fn drop_probed(_: &Arc<Engine6>, p: &Infallible) {
        match *p {}
    }
    fn send(sock: &Udp6Socket, r: &Reply6) -> std::io::Result<()> {
        sock.send(&r.bytes, dest(r))
    }
    fn pending(sock: &Udp6Socket) -> bool {
        sock.pending()
    }
    fn send_many(sock: &Udp6Socket, rs: &[Reply6]) -> (usize, Option<std::io::Error>) {
        let msgs: Vec<(&[u8], SocketAddrV6)> = rs.iter().map(|r| (&r.bytes[..], dest(r))).collect();
        sock.send_many(&msgs)
    }
}

/// Where `r` goes (its flow label is not kept).
fn dest(r: &Reply6) -> SocketAddrV6 {
    SocketAddrV6::new(*r.dest.ip(), r.dest.port(), 0, r.dest.scope_id())
}

impl SocketFamily for V6 {
    type Addr = Ipv6Addr;

    fn open(spec: &str, _: SocketType, port: u16) -> Result<Vec<Udp6Socket>, NetError> {
        let mut out = Vec::new();
        for name in names(spec) {
            out.push(udp6::open(&name, port, POLL)?);
            info!(iface = %name, port, "listening (DHCPv6)");
        }
        Ok(out)
    }

    /// DHCPv6 identifies the server by its DUID, not an address.
    fn addresses(_: &Udp6Socket) -> Vec<Ipv6Addr> {
        Vec::new()
    }
}

impl ServiceFamily for V6 {
    type Section = Dhcp6;
    type Engine = Engine6;
    type Opts = EngineOptions6;
    type Row = Lease6;
    const SECTION: &'static str = "Dhcp6";
    const STATS: StatFamily = StatFamily::V6;

    fn section(config: &Config) -> Option<&Dhcp6> {
        config.dhcp6.as_ref()
    }
    fn queue(s: &Dhcp6) -> Option<usize> {
        s.queue_capacity
    }
    fn interfaces(s: &Dhcp6) -> &InterfacesConfig {
        &s.interfaces
    }
    fn expired_leases(s: &Dhcp6) -> ExpiredLeasesProcessing {
        s.expired_leases
    }
    fn lease_database(s: &Dhcp6) -> &LeaseDatabase {
        &s.lease_database
    }
    fn hosts_databases(s: &Dhcp6) -> &[LeaseDbKind] {
        &s.hosts_databases
    }
    fn count(store: &dyn LeaseStore) -> usize {
        store.count6()
    }
    fn open_store(
        section: &Dhcp6,
        config: &std::path::Path,
        callers: usize,
    ) -> Result<crate::db::OpenStore<Lease6>, crate::ServerError> {
        let check = crate::sanity::check6(section);
        let check = check
            .as_ref()
            .map(|c| c as ruru_lease::memfile::LoadCheck<'_, Lease6>);
        crate::db::open6(&section.lease_database, config, callers, check)
    }
    fn hosts(opts: &EngineOptions6) -> &HostSources {
        &opts.hosts
    }
    /// A changed `server-id` gives the server its new DUID (as Kea does
    /// on reconfiguration).
    fn reconfigure(opts: &mut EngineOptions6, old: &Dhcp6, new: &Dhcp6) {
        if old.ddns_client != new.ddns_client {
            if let Some(d) = &opts.ddns {
                d.reconfigure(&new.ddns_client);
            }
        }
        if old.server_id != new.server_id {
            opts.server_duid = crate::duid::load_or_create(&new.server_id, crate::now());
            info!(duid = %ruru_engine::v4::hex(&opts.server_duid), "server-id changed: new server DUID");
        }
    }
    fn engine(
        section: Arc<Dhcp6>,
        mut opts: EngineOptions6,
        hooks: &Option<Arc<Hooks>>,
        _: Vec<Ipv6Addr>,
        stats: Arc<Stats>,
        previous: Option<&Engine6>,
    ) -> Engine6 {
        opts.hooks = hooks
            .clone()
            .map(|h| h as Arc<dyn ruru_engine::HookDispatch>);
        Engine6::with_previous(section, opts, stats, previous)
    }
    fn section_of(engine: &Engine6) -> &Arc<Dhcp6> {
        &engine.cfg
    }
    fn subnets(section: &Dhcp6) -> Vec<(u32, usize)> {
        section
            .subnets
            .iter()
            .map(|s| (s.id, s.pools.len()))
            .collect()
    }
    fn recount(engine: &Engine6, store: &dyn LeaseStore) {
        engine.recount(store);
    }
    fn reclaim(engine: &Engine6, store: &dyn LeaseStore, now: u64, limit: usize) -> (usize, bool) {
        engine.reclaim(store, now, limit)
    }
    fn flush(store: &dyn LeaseStore, cutoff: u64) -> Result<usize, LeaseError> {
        store.flush_reclaimed6(cutoff)
    }
}

/// The server DUID of `cfg`'s `server-id`: the persisted one, or a new one
/// (then persisted).
pub fn server_duid(cfg: &Dhcp6) -> Vec<u8> {
    crate::duid::load_or_create(&cfg.server_id, crate::now())
}
