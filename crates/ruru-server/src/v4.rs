//! DHCPv4 as an instance of the generic family service
//! ([`crate::service`]): its sockets (Kea's `raw` and `udp` socket types,
//! [`ruru_net::Socket4`]), its engine ([`Engine4`]) and its statistics.

use std::ops::Range;
use std::sync::Arc;

use ruru_config::{
    Config, Dhcp4, ExpiredLeasesProcessing, InterfacesConfig, LeaseDatabase, LeaseDbKind,
    SocketType,
};
use ruru_engine::stats::StatFamily;
use ruru_engine::v4::hosts::HostSources;
use ruru_engine::{
    Engine4, EngineOptions, Outcome4, Parked4, Probed4, RecvMeta, Reply4, Stat, Stats,
};
use ruru_lease::{Lease4, LeaseError, LeaseStore};
use ruru_net::{iface, raw, udp, NetError, SendTo, Socket4};
use std::net::Ipv4Addr;
use tracing::info;

use crate::hooks::Hooks;
use crate::service::ServiceFamily;
use crate::sockets::{SocketFamily, POLL};
use crate::workers::{Family, Outcome};

/// DHCPv4 for the generic service: raw or UDP sockets, [`Engine4`] (each
/// packet holds the engine it started with).
pub struct V4;

impl From<Outcome4> for Outcome<Reply4, Parked4, Probed4> {
    fn from(o: Outcome4) -> Self {
        match o {
            Outcome4::Reply(r) => Outcome::Reply(r),
            Outcome4::Parked(p) => Outcome::Parked(p),
            Outcome4::Probe(p) => Outcome::Probe(p),
            Outcome4::Done | Outcome4::Drop(_) => Outcome::Done,
        }
    }
}

impl Family for V4 {
    const NAME: &'static str = "DHCPv4";
    const THREAD: &'static str = "ruru";
    /// Anything longer is truncated and then fails to parse (counted).
    const BUF_LEN: usize = 4096;
    const RECEIVED: Stat = Stat::Pkt4Received;
    const RECEIVE_DROP: Stat = Stat::Pkt4ReceiveDrop;
    const DROP_DISABLED: Stat = Stat::Pkt4DropServiceDisabled;
    const PROCESSING_PANIC: Stat = Stat::Pkt4ProcessingPanic;
    const SEND_FAILED: Stat = Stat::Pkt4SendFailed;
    type Socket = Socket4;
    type Meta = RecvMeta;
    type Snap = Arc<Engine4>;
    type Reply = Reply4;
    type Parked = Parked4;
    type Probed = Probed4;

    fn iface(sock: &Socket4) -> &str {
        sock.iface()
    }
    fn try_clone(sock: &Socket4) -> std::io::Result<Socket4> {
        sock.try_clone()
    }
    fn recv(
        sock: &Socket4,
        buf: &mut [u8],
        iface: &Arc<str>,
    ) -> std::io::Result<Option<(Range<usize>, RecvMeta)>> {
        Ok(sock.recv(buf)?.map(|rx| {
            let meta = RecvMeta {
                over6: None,
                src: rx.src,
                local: sock.local(),
                iface: Some(iface.clone()),
                src_mac: rx.src_mac,
            };
            (rx.payload, meta)
        }))
    }
    fn process(
        snap: &Arc<Engine4>,
        store: &dyn LeaseStore,
        bytes: &[u8],
        meta: &RecvMeta,
        now: u64,
        admit: &ruru_engine::Admit<'_>,
    ) -> Outcome<Reply4, Parked4, Probed4> {
        snap.process_admitted(store, bytes, meta, now, admit).into()
    }
    fn resume(snap: &Arc<Engine4>, p: Parked4) -> Outcome<Reply4, Parked4, Probed4> {
        snap.resume(p).into()
    }
    fn parked_id(p: &Parked4) -> u64 {
        p.id
    }
    fn drop_parked(snap: &Arc<Engine4>, p: &Parked4) {
        snap.drop_parked(p);
    }
    fn hold(snap: &Arc<Engine4>, id: u64, finish: ruru_engine::hooks::Finish) {
        snap.hold(id, finish);
    }
    fn held_limit(snap: &Arc<Engine4>) -> usize {
        match snap.cfg.parked_packet_limit {
            0 => usize::MAX,
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }
    fn probe(p: &Probed4) -> (Ipv4Addr, u32, std::time::Duration) {
        let t = std::time::Duration::from_millis(u64::from(p.probe.reply_timeout_ms));
        (p.probe.addr, p.probe.requests, t)
    }
    fn probe_free(snap: &Arc<Engine4>, p: Probed4) -> Outcome<Reply4, Parked4, Probed4> {
        snap.resume(p.parked).into()
    }
    fn probe_in_use(snap: &Arc<Engine4>, store: &dyn LeaseStore, p: &Probed4, now: u64) {
        snap.decline_probed(store, p, now);
    }
    fn drop_probed(snap: &Arc<Engine4>, p: &Probed4) {
        snap.drop_parked(&p.parked);
    }
    fn send(sock: &Socket4, r: &Reply4) -> std::io::Result<()> {
        sock.send(&r.bytes, &send_to(r))
    }
    fn pending(sock: &Socket4) -> bool {
        sock.pending()
    }
    fn send_many(sock: &Socket4, rs: &[Reply4]) -> (usize, Option<std::io::Error>) {
        let msgs: Vec<(&[u8], SendTo<'_>)> =
            rs.iter().map(|r| (&r.bytes[..], send_to(r))).collect();
        sock.send_many(&msgs)
    }
}

/// Where `r` goes, for the socket.
fn send_to(r: &Reply4) -> SendTo<'_> {
    SendTo {
        addr: r.dest.addr,
        port: r.dest.port,
        link_unicast: r.dest.link_unicast,
        routed: r.dest.routed,
        chaddr: &r.chaddr,
        htype: r.htype,
        link_mac: r.dest.link_mac,
    }
}

impl SocketFamily for V4 {
    type Addr = Ipv4Addr;

    fn open(spec: &str, kind: SocketType, port: u16) -> Result<Vec<Socket4>, NetError> {
        let all = iface::list()?;
        let mut out = Vec::new();
        for a in iface::resolve(spec, &all)? {
            let s = match kind {
                SocketType::Raw => Socket4::Raw(raw::open(&a.name, a.addr, port, POLL)?),
                SocketType::Udp => Socket4::Udp(udp::open(&a.name, a.addr, port, POLL)?),
            };
            info!(iface = %a.name, addr = %a.addr, port, socket_type = ?kind, "listening (DHCPv4)");
            out.push(s);
        }
        Ok(out)
    }

    /// Every address of the socket's interface, and the one it is bound
    /// to: the server identifiers a client may name.
    fn addresses(sock: &Socket4) -> Vec<Ipv4Addr> {
        let all = iface::list().unwrap_or_default();
        let mut out = iface::addresses_of(sock.iface(), &all);
        out.push(sock.local());
        out
    }
}

impl ServiceFamily for V4 {
    type Section = Dhcp4;
    type Engine = Engine4;
    type Opts = EngineOptions;
    type Row = Lease4;
    const SECTION: &'static str = "Dhcp4";
    const STATS: StatFamily = StatFamily::V4;

    fn section(config: &Config) -> Option<&Dhcp4> {
        config.dhcp4.as_ref()
    }
    fn queue(s: &Dhcp4) -> Option<usize> {
        s.queue_capacity
    }
    fn interfaces(s: &Dhcp4) -> &InterfacesConfig {
        &s.interfaces
    }
    fn expired_leases(s: &Dhcp4) -> ExpiredLeasesProcessing {
        s.expired_leases
    }
    fn lease_database(s: &Dhcp4) -> &LeaseDatabase {
        &s.lease_database
    }
    fn hosts_databases(s: &Dhcp4) -> &[LeaseDbKind] {
        &s.hosts_databases
    }
    fn count(store: &dyn LeaseStore) -> usize {
        store.count4()
    }
    fn open_store(
        section: &Dhcp4,
        config: &std::path::Path,
        callers: usize,
    ) -> Result<crate::db::OpenStore<Lease4>, crate::ServerError> {
        let check = crate::sanity::check4(section);
        let check = check
            .as_ref()
            .map(|c| c as ruru_lease::memfile::LoadCheck<'_, Lease4>);
        crate::db::open4(&section.lease_database, config, callers, check)
    }
    fn hosts(opts: &EngineOptions) -> &HostSources {
        &opts.hosts
    }
    fn reconfigure(opts: &mut EngineOptions, old: &Dhcp4, new: &Dhcp4) {
        if old.ddns_client != new.ddns_client {
            if let Some(d) = &opts.ddns {
                d.reconfigure(&new.ddns_client);
            }
        }
    }
    fn engine(
        section: Arc<Dhcp4>,
        mut opts: EngineOptions,
        hooks: &Option<Arc<Hooks>>,
        addrs: Vec<Ipv4Addr>,
        stats: Arc<Stats>,
        previous: Option<&Engine4>,
    ) -> Engine4 {
        opts.hooks = hooks
            .clone()
            .map(|h| h as Arc<dyn ruru_engine::HookDispatch>);
        opts.server_addrs = addrs;
        Engine4::with_previous(section, opts, stats, previous)
    }
    fn section_of(engine: &Engine4) -> &Arc<Dhcp4> {
        &engine.cfg
    }
    fn subnets(section: &Dhcp4) -> Vec<(u32, usize)> {
        section
            .subnets
            .iter()
            .map(|s| (s.id, s.pools.len()))
            .collect()
    }
    fn recount(engine: &Engine4, store: &dyn LeaseStore) {
        engine.recount(store);
    }
    fn reclaim(engine: &Engine4, store: &dyn LeaseStore, now: u64, limit: usize) -> (usize, bool) {
        engine.reclaim(store, now, limit)
    }
    fn flush(store: &dyn LeaseStore, cutoff: u64) -> Result<usize, LeaseError> {
        store.flush_reclaimed4(cutoff)
    }
}
