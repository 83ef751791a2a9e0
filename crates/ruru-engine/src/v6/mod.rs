//! DHCPv6 message handling (RFC 8415), one message at a time, sans-I/O.
//!
//! [`Engine6`] is built from one `Dhcp6` config snapshot. `process` takes the
//! received bytes (possibly Relay-forward, nested), the receive metadata, the
//! lease store and `now`, and returns the reply (wrapped back into
//! Relay-reply messages) and where to send it. Supported: Solicit/Advertise
//! (and Rapid Commit), Request, Renew, Rebind, Release, Decline, Confirm,
//! Information-request; IA_NA and IA_PD, several per message; status codes
//! NoAddrsAvail, NoPrefixAvail, NoBinding, NotOnLink.
//!
//! Shared with DHCPv4: the lease store, the allocation cursor
//! ([`crate::cursor`]), statistics, lifetimes, the hook points
//! ([`crate::hooks`]: `buffer6_receive` → parse → `pkt6_receive` →
//! `subnet6_select` → `host6_identifier` → `lease6_select` / `lease6_renew`
//! / `lease6_rebind` / `lease6_release` / `lease6_decline` per lease →
//! `leases6_committed` → `pkt6_send` → encode → `buffer6_send`).
//!
//! Sub-modules: `packet` (decode, relay wrapping), `alloc` (address and
//! prefix selection for IA_NA/IA_PD, lease writes), `reply` (IA options,
//! status codes, requested options, encoding and addressing the reply),
//! `reclaim` (expired leases), `park` (replies parked by hook libraries and
//! their resumption), `hosts` (reservations from host databases, asked
//! after the subnet's own at every message). This module keeps the types,
//! construction, `process` and the per-message handlers.

mod alloc;
pub mod hosts;
pub mod packet;
mod park;
mod reclaim;
mod reply;

pub use park::Parked6;

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode, Status};
use ruru_config::{Dhcp6, HostId6, Reservation6, Subnet6};
use ruru_lease::{Lease6, LeaseState, LeaseStore, LeaseType6};
use tracing::debug;

use crate::cursor::Cursor;
use crate::hooks::{next_park_id, HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
use crate::rng::Rng;
use crate::stats::{add, Stat, Stats, SubnetStats6};
use alloc::Cursors6;
use packet::Query6;
#[cfg(test)]
use reply::pd_exclude;
use reply::{entry, status, wrap};

/// DHCPv6 ports (RFC 8415 §7.2).
pub const CLIENT_PORT: u16 = 546;
pub const SERVER_PORT: u16 = 547;

/// What the server knows about a received datagram besides its bytes.
#[derive(Debug, Clone)]
pub struct RecvMeta6 {
    pub src: SocketAddrV6,
    /// Receiving interface name, when known.
    pub iface: Option<Arc<str>>,
    /// The destination address of the datagram, when the socket reports
    /// it: a client's message to one of our unicast addresses is handled as
    /// RFC 8415 §16/§18.3 say (dropped, or answered with UseMulticast).
    pub dst: Option<Ipv6Addr>,
}

/// Settings from outside the config file.
#[derive(Debug, Clone)]
pub struct EngineOptions6 {
    /// The server DUID (generated once and persisted by the server).
    pub server_duid: Vec<u8>,
    /// Port replies to directly connected clients go to (default 546).
    pub client_port: u16,
    /// Loaded hook libraries, if any.
    pub hooks: Option<Arc<dyn HookDispatch>>,
    /// The host databases of `Dhcp6` (`hosts-database(s)`), asked after the
    /// subnet's reservations; empty: no database is asked.
    pub hosts: crate::v4::hosts::HostSources,
    /// The engine's randomness, seeded by the caller (see
    /// [`crate::EngineOptions::rng`]).
    pub rng: Arc<Rng>,
}

/// A reply ready to send.
#[derive(Debug, Clone)]
pub struct Reply6 {
    pub bytes: Vec<u8>,
    pub dest: SocketAddrV6,
    pub msg_type: u8,
}

/// Why a message got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop6 {
    ParseFailed,
    /// A server message (Advertise, Reply, ...), or an unknown type.
    NotForServer,
    /// RFC 8415 §16: missing/forbidden Client or Server Identifier.
    Invalid,
    /// A Server Identifier that is not ours.
    NotForUs,
    NoSubnet,
    /// Confirm without addresses (RFC 8415 §18.3.3: no reply).
    NothingToConfirm,
    /// Writing a lease failed: no reply without a stored lease (counted
    /// in `pkt6-drop-lease-store-failed`).
    StoreFailed,
    /// Another server (or worker) took the address since it was chosen
    /// (counted in `v6-allocation-conflicts`); the client retransmits.
    Conflict,
    /// A hook callout said DROP (or SKIP where that means drop), or failed.
    Hook,
    /// Solicit, Confirm, Rebind or Information-request sent by a client
    /// to a unicast address (RFC 8415 §16: discarded).
    Unicast,
}

#[derive(Debug, Clone)]
pub enum Outcome6 {
    Reply(Reply6),
    Drop(Drop6),
    /// A hook library parked the reply (at `leases6_committed` or
    /// `pkt6_send`); see [`Engine6::resume`].
    Parked(Box<Parked6>),
}

/// The per-config DHCPv6 engine.
#[derive(Debug)]
pub struct Engine6 {
    pub cfg: Arc<Dhcp6>,
    opts: EngineOptions6,
    stats: Arc<Stats>,
    subnet_stats: Vec<Arc<SubnetStats6>>,
    cursors: Vec<Cursors6>,
    /// Spread cursors (a lease database shared with other servers): the
    /// generator their random places come from (`opts.rng`).
    spread: Option<Arc<Rng>>,
    /// `subnet6collection` for subnet6_select callouts (built on first use).
    subnet_collection: std::sync::OnceLock<String>,
    /// What an Information-request from a link with no subnet is answered
    /// from: no addresses, no options of its own (the global ones apply).
    no_subnet: Subnet6,
}

/// Everything decided about one message before the reply is built.
struct Ctx<'a> {
    q: &'a Query6,
    duid: &'a [u8],
    subnet: &'a Subnet6,
    sidx: usize,
    host: Option<&'a Reservation6>,
    now: u64,
    /// Per-packet hook context (shared by one library's callouts).
    pc: &'a RefCell<PacketContext>,
    /// Leases written and deleted for this message, kept only when a
    /// `leases6_committed` callout will read them (`track_commits`).
    track_commits: bool,
    committed: RefCell<Vec<Lease6>>,
    deleted: RefCell<Vec<Lease6>>,
}

/// One IA of a client message, whatever its type: what IA_NA and IA_PD
/// handling have in common (RFC 8415 §21.4, §21.21).
struct Ia {
    kind: LeaseType6,
    id: u32,
    /// Addresses (length 128) or prefixes listed in the IA.
    listed: Vec<(Ipv6Addr, u8)>,
    /// The client's lifetime hints (preferred, valid) from the first listed
    /// entry (RFC 8415 §18.2.1: a hint the server may follow; 0: none).
    hint: (u32, u32),
}

/// The IA_NA and IA_PD options of a message (at most
/// [`packet::MAX_IAS`], each with at most [`packet::MAX_IA_ENTRIES`]
/// addresses or prefixes: the parser left out the rest).
fn ias(q: &Query6) -> Vec<Ia> {
    q.msg
        .opts()
        .iter()
        .filter_map(|o| match o {
            DhcpOption::IANA(ia) => Some(Ia {
                kind: LeaseType6::Na,
                id: ia.id,
                listed: ia
                    .opts
                    .iter()
                    .filter_map(|x| match x {
                        DhcpOption::IAAddr(a) => Some((a.addr, 128)),
                        _ => None,
                    })
                    .collect(),
                hint: ia
                    .opts
                    .iter()
                    .find_map(|x| match x {
                        DhcpOption::IAAddr(a) => Some((a.preferred_life, a.valid_life)),
                        _ => None,
                    })
                    .unwrap_or((0, 0)),
            }),
            DhcpOption::IAPD(ia) => Some(Ia {
                kind: LeaseType6::Pd,
                id: ia.id,
                listed: ia
                    .opts
                    .iter()
                    .filter_map(|x| match x {
                        DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
                        _ => None,
                    })
                    .collect(),
                hint: ia
                    .opts
                    .iter()
                    .find_map(|x| match x {
                        DhcpOption::IAPrefix(p) => Some((p.preferred_lifetime, p.valid_lifetime)),
                        _ => None,
                    })
                    .unwrap_or((0, 0)),
            }),
            _ => None,
        })
        .collect()
}

fn sat_i64(v: u128) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl Engine6 {
    /// [`Engine6::new`] for a reload: the allocation cursors of subnets
    /// whose pools and prefix-delegation pools are unchanged (same id, same
    /// ranges) continue where `previous` was, as DHCPv4's do
    /// (`Engine4::with_previous`).
    pub fn with_previous(
        cfg: Arc<Dhcp6>,
        opts: EngineOptions6,
        stats: Arc<Stats>,
        previous: Option<&Engine6>,
    ) -> Self {
        let e = Self::new(cfg, opts, stats);
        if let Some(p) = previous {
            for (i, s) in e.cfg.subnets.iter().enumerate() {
                let Some(j) = p.cfg.subnets.iter().position(|o| o.id == s.id) else {
                    continue;
                };
                let o = &p.cfg.subnets[j];
                let same_na = o.pools.len() == s.pools.len()
                    && o.pools
                        .iter()
                        .zip(&s.pools)
                        .all(|(a, b)| a.start == b.start && a.end == b.end);
                if same_na {
                    for (c, pc) in e.cursors[i].na.iter().zip(&p.cursors[j].na) {
                        c.continue_from(pc);
                    }
                }
                let same_pd = o.pd_pools.len() == s.pd_pools.len()
                    && o.pd_pools.iter().zip(&s.pd_pools).all(|(a, b)| {
                        (a.prefix, a.prefix_len, a.delegated_len)
                            == (b.prefix, b.prefix_len, b.delegated_len)
                    });
                if same_pd {
                    for (c, pc) in e.cursors[i].pd.iter().zip(&p.cursors[j].pd) {
                        c.continue_from(pc);
                    }
                }
            }
        }
        e
    }

    pub fn new(cfg: Arc<Dhcp6>, opts: EngineOptions6, stats: Arc<Stats>) -> Self {
        let subnet_stats: Vec<_> = cfg.subnets.iter().map(|s| stats.subnet6(s.id)).collect();
        for (s, st) in cfg.subnets.iter().zip(&subnet_stats) {
            st.total_nas
                .store(sat_i64(s.total_nas()), std::sync::atomic::Ordering::Relaxed);
            st.total_pds
                .store(sat_i64(s.total_pds()), std::sync::atomic::Ordering::Relaxed);
        }
        // Servers sharing a SQL lease database spread their searches.
        let spread = (cfg.lease_database.kind != ruru_config::LeaseDbKind::Memfile)
            .then(|| Arc::clone(&opts.rng));
        let cursors = cfg
            .subnets
            .iter()
            .map(|s| Cursors6 {
                na: s
                    .pools
                    .iter()
                    .map(|_| Cursor::new(spread.as_deref()))
                    .collect(),
                pd: s
                    .pd_pools
                    .iter()
                    .map(|_| Cursor::new(spread.as_deref()))
                    .collect(),
            })
            .collect();
        Engine6 {
            cfg,
            opts,
            stats,
            subnet_stats,
            cursors,
            spread,
            subnet_collection: std::sync::OnceLock::new(),
            no_subnet: Subnet6 {
                id: 0,
                addr: Ipv6Addr::UNSPECIFIED,
                prefix_len: 128,
                pools: Vec::new(),
                pd_pools: Vec::new(),
                options: Vec::new(),
                reservations: Default::default(),
                relay_addresses: Vec::new(),
                interface: None,
                interface_id: None,
                valid_lifetime: ruru_config::Lifetime {
                    default: 0,
                    min: 0,
                    max: 0,
                },
                preferred_lifetime: ruru_config::Lifetime {
                    default: 0,
                    min: 0,
                    max: 0,
                },
                renew_timer: None,
                rebind_timer: None,
                calculate_tee_times: false,
                t1_percent: 0.0,
                t2_percent: 0.0,
                rapid_commit: false,
                classes: Default::default(),
            },
        }
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Recomputes `assigned-nas`/`assigned-pds` per subnet from the store.
    pub fn recount(&self, store: &dyn LeaseStore) {
        use std::sync::atomic::Ordering::Relaxed;
        let mut nas = vec![0i64; self.cfg.subnets.len()];
        let mut pds = vec![0i64; self.cfg.subnets.len()];
        let index: std::collections::BTreeMap<u32, usize> = self
            .cfg
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        store.for_each6(&mut |l| {
            if l.state == LeaseState::ExpiredReclaimed {
                return;
            }
            if let Some(&i) = index.get(&l.subnet_id) {
                match l.lease_type {
                    LeaseType6::Pd => pds[i] += 1,
                    _ => nas[i] += 1,
                }
            }
        });
        for (i, st) in self.subnet_stats.iter().enumerate() {
            st.assigned_nas.store(nas[i], Relaxed);
            st.assigned_pds.store(pds[i], Relaxed);
        }
    }

    /// The dispatcher, when a callout is registered at `point`.
    fn hooks_at(&self, point: HookPoint) -> Option<&dyn HookDispatch> {
        self.opts.hooks.as_deref().filter(|h| h.has(point))
    }

    /// Runs a per-lease hook point (`lease6_select`, `lease6_renew`, ...)
    /// with the query, the subnet and `lease`.
    fn lease_hook(
        &self,
        ctx: &Ctx<'_>,
        point: HookPoint,
        lease: &mut Lease6,
        fake: Option<bool>,
    ) -> NextStep {
        let Some(h) = self.hooks_at(point) else {
            return NextStep::Continue;
        };
        let mut pcm = ctx.pc.borrow_mut();
        let mut a = HookArgs::new(point, &mut pcm);
        a.query6 = Some(ctx.q);
        a.subnet_id = Some(ctx.subnet.id);
        a.fake_allocation = fake;
        a.lease6 = Some(lease);
        h.call(&mut a)
    }

    fn drop(&self, q: Option<&Query6>, why: Drop6) -> Outcome6 {
        if why == Drop6::ParseFailed {
            self.stats.inc(Stat::Pkt6ParseFailed);
        }
        match why {
            Drop6::Hook => self.stats.inc(Stat::Pkt6DropHook),
            Drop6::StoreFailed => self.stats.inc(Stat::Pkt6DropStoreFailed),
            _ => {}
        }
        self.stats.inc(Stat::Pkt6ReceiveDrop);
        match q {
            Some(q) => {
                debug!(xid = format_args!("{:#08x}", q.xid()), reason = ?why, "DHCPv6 message dropped")
            }
            None => debug!(reason = ?why, "DHCPv6 message dropped"),
        }
        Outcome6::Drop(why)
    }

    /// Processes one received datagram.
    pub fn process(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        meta: &RecvMeta6,
        now: u64,
    ) -> Outcome6 {
        self.stats.inc(Stat::Pkt6Received);
        let pc = RefCell::new(PacketContext::default());
        // buffer6_receive: the raw bytes, which callouts may rewrite.
        let rewritten = match crate::hooks::receive_buffer(
            self.opts.hooks.as_deref(),
            HookPoint::Buffer6Receive,
            buf,
            &pc,
        ) {
            Ok(r) => r,
            Err(()) => return self.drop(None, Drop6::Hook),
        };
        let buf = rewritten.as_deref().unwrap_or(buf);
        let q = match packet::parse(buf) {
            Ok(q) => q,
            Err(e) => {
                debug!(src = %meta.src, error = %e, "malformed DHCPv6 message");
                return self.drop(None, Drop6::ParseFailed);
            }
        };
        let counter = match q.msg_type {
            MessageType::Solicit => Stat::Pkt6SolicitReceived,
            MessageType::Request => Stat::Pkt6RequestReceived,
            MessageType::Renew => Stat::Pkt6RenewReceived,
            MessageType::Rebind => Stat::Pkt6RebindReceived,
            MessageType::Release => Stat::Pkt6ReleaseReceived,
            MessageType::Decline => Stat::Pkt6DeclineReceived,
            MessageType::Confirm => Stat::Pkt6ConfirmReceived,
            MessageType::InformationRequest => Stat::Pkt6InfrequestReceived,
            _ => Stat::Pkt6UnknownReceived,
        };
        self.stats.inc(counter);
        if q.cut.any() {
            self.stats.inc(Stat::Pkt6IaLimit);
            debug!(
                xid = format_args!("{:#08x}", q.xid()),
                ias_ignored = q.cut.ias,
                entries_ignored = q.cut.entries,
                max_ias = packet::MAX_IAS,
                max_entries = packet::MAX_IA_ENTRIES,
                "DHCPv6 message cut: IAs or addresses past the bound ignored"
            );
        }
        // pkt6_receive: the parsed query.
        if let Some(h) = self.hooks_at(HookPoint::Pkt6Receive) {
            let mut pcm = pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Pkt6Receive, &mut pcm);
            a.query6 = Some(&q);
            if h.call(&mut a) != NextStep::Continue {
                drop(pcm);
                return self.drop(Some(&q), Drop6::Hook);
            }
        }

        // RFC 8415 §16: identifier rules per message type.
        use MessageType as M;
        let sid_ok = |sid: &Option<Vec<u8>>| sid.as_deref() == Some(&self.opts.server_duid[..]);
        match q.msg_type {
            M::Solicit | M::Rebind | M::Confirm => {
                if q.client_id.is_none() || q.server_id.is_some() {
                    return self.drop(Some(&q), Drop6::Invalid);
                }
            }
            M::Request | M::Renew | M::Release | M::Decline => {
                if q.client_id.is_none() || q.server_id.is_none() {
                    return self.drop(Some(&q), Drop6::Invalid);
                }
                if !sid_ok(&q.server_id) {
                    return self.drop(Some(&q), Drop6::NotForUs);
                }
            }
            M::InformationRequest => {
                if q.server_id.is_some() && !sid_ok(&q.server_id) {
                    return self.drop(Some(&q), Drop6::NotForUs);
                }
            }
            _ => return self.drop(Some(&q), Drop6::NotForServer),
        }

        // subnet6_select: callouts may choose another subnet (or none).
        let mut selected = self.select_subnet(&q, meta);
        if let Some(h) = self.hooks_at(HookPoint::Subnet6Select) {
            let mut pcm = pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Subnet6Select, &mut pcm);
            a.query6 = Some(&q);
            a.subnet_id = selected.map(|i| self.cfg.subnets[i].id);
            let all = self.subnet_collection.get_or_init(|| {
                crate::hooks::subnet_collection(
                    self.cfg
                        .subnets
                        .iter()
                        .map(|s| (s.id, format!("{}/{}", s.addr, s.prefix_len))),
                )
            });
            a.text.push(("subnet6collection", all.clone()));
            if h.call(&mut a) != NextStep::Continue {
                drop(pcm);
                return self.drop(Some(&q), Drop6::Hook);
            }
            selected = a
                .subnet_id
                .and_then(|id| self.cfg.subnets.iter().position(|s| s.id == id));
        }
        // An Information-request needs no subnet (RFC 8415 §18.3.6; Kea
        // answers it with the global options).
        let (sidx, subnet) = match selected {
            Some(i) => (i, &self.cfg.subnets[i]),
            None if q.msg_type == M::InformationRequest => (usize::MAX, &self.no_subnet),
            None => return self.drop(Some(&q), Drop6::NoSubnet),
        };
        let duid = q.client_id.as_deref().unwrap_or_default();
        let host = self.find_host(&q, duid, subnet, &pc);
        let ctx = Ctx {
            q: &q,
            duid,
            subnet,
            sidx,
            host: host.as_deref(),
            now,
            pc: &pc,
            track_commits: self.hooks_at(HookPoint::Leases6Committed).is_some(),
            committed: RefCell::new(Vec::new()),
            deleted: RefCell::new(Vec::new()),
        };

        // RFC 8415 §16 and §18.3: a client (not a relay) may not unicast to
        // a server that sent it no Server Unicast option (ruru never does).
        if q.relays.is_empty() && meta.dst.is_some_and(|d| !d.is_multicast()) {
            match q.msg_type {
                M::Request | M::Renew | M::Release | M::Decline => {
                    let mut r = v6::Message::new_with_id(MessageType::Reply, q.msg.xid());
                    r.opts_mut().insert(status(
                        Status::UseMulticast,
                        "Use multicast to reach this server",
                    ));
                    r.opts_mut()
                        .insert(DhcpOption::ServerId(self.opts.server_duid.clone()));
                    r.opts_mut().insert(DhcpOption::ClientId(duid.to_vec()));
                    return self.send_out(&ctx, meta, &r);
                }
                _ => return self.drop(Some(&q), Drop6::Unicast),
            }
        }
        let mut reply = v6::Message::new_with_id(MessageType::Reply, q.msg.xid());
        let result = match q.msg_type {
            M::Solicit if q.rapid_commit && subnet.rapid_commit => {
                reply.opts_mut().insert(DhcpOption::RapidCommit);
                self.assign(store, &ctx, &mut reply, true)
            }
            M::Solicit => {
                reply.set_msg_type(MessageType::Advertise);
                self.assign(store, &ctx, &mut reply, false)
            }
            M::Request => self.assign(store, &ctx, &mut reply, true),
            M::Renew | M::Rebind => self.extend(store, &ctx, &mut reply),
            M::Release => self.release(store, &ctx, &mut reply),
            M::Decline => self.decline(store, &ctx, &mut reply),
            M::Confirm => self.confirm(&ctx, &mut reply),
            _ => Ok(()),
        };
        if let Err(why) = result {
            return self.drop(Some(&q), why);
        }
        // leases6_committed: after the leases of a committing exchange are
        // stored (Request, Renew, Rebind, Release, Decline, rapid commit).
        let commits = match q.msg_type {
            M::Solicit => reply.opts().get(OptionCode::RapidCommit).is_some(),
            M::Request | M::Renew | M::Rebind | M::Release | M::Decline => true,
            _ => false,
        };
        if commits {
            if let Some(h) = self.hooks_at(HookPoint::Leases6Committed) {
                let (step, id) = {
                    let mut pcm = pc.borrow_mut();
                    let mut a = HookArgs::new(HookPoint::Leases6Committed, &mut pcm);
                    a.query6 = Some(&q);
                    a.subnet_id = Some(subnet.id);
                    a.text
                        .push(("leases6", park::leases_json(&ctx.committed.borrow())));
                    a.text
                        .push(("deleted_leases6", park::leases_json(&ctx.deleted.borrow())));
                    a.park = Some(next_park_id());
                    (h.call(&mut a), a.park)
                };
                match (step, id) {
                    (NextStep::Continue | NextStep::Skip, _) => {}
                    (NextStep::Park, Some(id)) => {
                        return self.park(&ctx, meta, id, park::Stage6::Committed, reply)
                    }
                    _ => return self.drop(Some(&q), Drop6::Hook),
                }
            }
        }
        self.finish(&ctx, meta, reply)
    }

    /// Subnet selection (Kea's order): relayed → interface-id, then
    /// `relay.ip-addresses`, then the subnet containing the innermost
    /// relay's link-address; direct → the receiving interface.
    fn select_subnet(&self, q: &Query6, meta: &RecvMeta6) -> Option<usize> {
        let subnets = &self.cfg.subnets;
        if let Some(r) = q.inner_relay() {
            if let Some(id) = &r.interface_id {
                if let Some(i) = subnets
                    .iter()
                    .position(|s| s.interface_id.as_ref() == Some(id))
                {
                    return Some(i);
                }
            }
            if let Some(i) = subnets
                .iter()
                .position(|s| s.relay_addresses.contains(&r.link_addr))
            {
                return Some(i);
            }
            if !r.link_addr.is_unspecified() {
                return subnets.iter().position(|s| s.contains(r.link_addr));
            }
            return None;
        }
        let ifname = meta.iface.as_deref()?;
        subnets
            .iter()
            .position(|s| s.interface.as_deref() == Some(ifname))
    }

    /// Reservation by DUID, by the link-layer address in a DUID-LLT/LL,
    /// then by the flexible identifier a `host6_identifier` callout
    /// computes (called only when the subnet has flex-id reservations or
    /// there is a host database): in the subnet's reservations at each
    /// step, then with all those identifiers in the host databases.
    fn find_host<'a>(
        &self,
        q: &Query6,
        duid: &[u8],
        s: &'a Subnet6,
        pc: &RefCell<PacketContext>,
    ) -> Option<Cow<'a, Reservation6>> {
        // Subnet 0 is the no-subnet of an Information-request.
        let dbs = Some(&self.opts.hosts).filter(|h| !h.is_empty() && s.id != 0);
        if s.reservations.hosts.is_empty() && dbs.is_none() {
            return None;
        }
        let mut ids: Vec<HostId6> = Vec::new();
        if !duid.is_empty() {
            let ll = match duid {
                [0, 1, _, _, _, _, _, _, rest @ ..] => Some(rest),
                [0, 3, _, _, rest @ ..] => Some(rest),
                _ => None,
            };
            let from_duid = std::iter::once(HostId6::Duid(duid.to_vec()))
                .chain(ll.map(|ll| HostId6::HwAddress(ll.to_vec())));
            for id in from_duid {
                if let Some(h) = s.reservations.get(&id) {
                    return Some(Cow::Borrowed(h));
                }
                ids.push(id);
            }
        }
        let has_flex = dbs.is_some()
            || s.reservations
                .hosts
                .iter()
                .any(|h| matches!(h.id, HostId6::Flex(_)));
        if let Some(h) = self
            .hooks_at(HookPoint::Host6Identifier)
            .filter(|_| has_flex)
        {
            let mut pcm = pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Host6Identifier, &mut pcm);
            a.query6 = Some(q);
            a.id_type = Some(4);
            a.id_value = Some(Vec::new());
            if h.call(&mut a) != NextStep::Continue {
                return None;
            }
            if let Some(id) = a.id_value.take().filter(|v| !v.is_empty()) {
                let id = HostId6::Flex(id);
                if let Some(h) = s.reservations.get(&id) {
                    return Some(Cow::Borrowed(h));
                }
                ids.push(id);
            }
        }
        dbs?.get6(s.id, &ids).map(Cow::Owned)
    }

    /// Solicit (commit = rapid commit) and Request: one reply IA per IA.
    fn assign(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
        commit: bool,
    ) -> Result<(), Drop6> {
        for ia in ias(ctx.q) {
            let hint = ia
                .listed
                .first()
                .copied()
                .filter(|(a, _)| !a.is_unspecified());
            let mut opts = v6::DhcpOptions::new();
            let (mut t1, mut t2) = (0, 0);
            // lease6_select: callouts may change the address and lifetimes,
            // or SKIP (no lease for this IA).
            let chosen = self
                .pick(store, ctx, ia.kind, ia.id, hint)
                .and_then(|(a, len)| {
                    let mut l = self.lease(ctx, ia.kind, a, len, ia.id, ia.hint);
                    match self.lease_hook(ctx, HookPoint::Lease6Select, &mut l, Some(!commit)) {
                        NextStep::Continue => Some(Ok(l)),
                        NextStep::Skip => None,
                        NextStep::Drop | NextStep::Park => Some(Err(Drop6::Hook)),
                    }
                });
            match chosen.transpose()? {
                Some(mut l) => {
                    l.expire = ctx.now + u64::from(l.valid_lifetime);
                    if commit {
                        self.store(store, ctx, &l)?;
                    }
                    (t1, t2) = self.tee(ctx.subnet, l.pref_lifetime);
                    opts.insert(self.entry_for(ctx, &l, l.pref_lifetime, l.valid_lifetime));
                }
                None => {
                    self.no_space(ctx);
                    opts.insert(match ia.kind {
                        LeaseType6::Pd => {
                            status(Status::NoPrefixAvail, "No prefixes available for this IA")
                        }
                        _ => status(Status::NoAddrsAvail, "No addresses available for this IA"),
                    });
                }
            }
            reply.opts_mut().insert(wrap(ia.kind, ia.id, t1, t2, opts));
        }
        Ok(())
    }

    /// Renew and Rebind: extend the IA's bindings; addresses of the IA that
    /// are not the client's get lifetimes 0; an IA without binding gets a
    /// new one when possible (as Kea), else NoBinding.
    fn extend(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
    ) -> Result<(), Drop6> {
        for ia in ias(ctx.q) {
            let mut opts = v6::DhcpOptions::new();
            let mut shortest: Option<u32> = None;
            let mine: Vec<Lease6> = store
                .get6_by_duid_iaid(ia.kind, ctx.duid, ia.id)
                .into_iter()
                .filter(|l| l.subnet_id == ctx.subnet.id && l.state == LeaseState::Default)
                .collect();
            for (a, len) in &ia.listed {
                if !mine.iter().any(|l| l.address == *a) {
                    opts.insert(entry(ia.kind, *a, *len, 0, 0));
                }
            }
            let keep: Vec<(Ipv6Addr, u8)> = if mine.is_empty() {
                self.pick(store, ctx, ia.kind, ia.id, None)
                    .into_iter()
                    .collect()
            } else {
                mine.iter().map(|l| (l.address, l.prefix_len)).collect()
            };
            if keep.is_empty() {
                opts.insert(status(Status::NoBinding, "No binding for this IA"));
            }
            // lease6_renew / lease6_rebind (lease6_select for a new binding):
            // callouts may change the lifetimes; SKIP leaves the lease as it
            // is (the client is told what is left of it).
            let point = match (mine.is_empty(), ctx.q.msg_type) {
                (true, _) => HookPoint::Lease6Select,
                (false, MessageType::Rebind) => HookPoint::Lease6Rebind,
                (false, _) => HookPoint::Lease6Renew,
            };
            for (a, len) in keep {
                let mut l = self.lease(ctx, ia.kind, a, len, ia.id, ia.hint);
                match self.lease_hook(ctx, point, &mut l, Some(false)) {
                    NextStep::Continue => {
                        l.expire = ctx.now + u64::from(l.valid_lifetime);
                        self.store(store, ctx, &l)?;
                        shortest =
                            Some(shortest.map_or(l.pref_lifetime, |s| s.min(l.pref_lifetime)));
                        opts.insert(self.entry_for(ctx, &l, l.pref_lifetime, l.valid_lifetime));
                    }
                    NextStep::Skip => {
                        if let Some(cur) = mine.iter().find(|m| m.address == a) {
                            let left = u32::try_from(cur.expire.saturating_sub(ctx.now))
                                .unwrap_or(u32::MAX);
                            let pref = cur.pref_lifetime.min(left);
                            shortest = Some(shortest.map_or(pref, |s| s.min(pref)));
                            opts.insert(self.entry_for(ctx, cur, pref, left));
                        }
                    }
                    NextStep::Drop | NextStep::Park => return Err(Drop6::Hook),
                }
            }
            let (t1, t2) = shortest.map_or((0, 0), |p| self.tee(ctx.subnet, p));
            reply.opts_mut().insert(wrap(ia.kind, ia.id, t1, t2, opts));
        }
        Ok(())
    }

    /// The (type, address, iaid) of every address/prefix listed in the IAs.
    fn listed(ctx: &Ctx<'_>) -> Vec<(LeaseType6, Ipv6Addr, u32)> {
        ias(ctx.q)
            .into_iter()
            .flat_map(|ia| ia.listed.into_iter().map(move |(a, _)| (ia.kind, a, ia.id)))
            .collect()
    }

    fn release(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
    ) -> Result<(), Drop6> {
        let mut released = 0;
        for (kind, addr, iaid) in Self::listed(ctx) {
            if let Some(mut l) = store
                .get6(kind, addr)
                .filter(|l| self.owner_is(ctx, l, iaid))
            {
                // lease6_release: SKIP keeps the lease.
                match self.lease_hook(ctx, HookPoint::Lease6Release, &mut l, None) {
                    NextStep::Continue => {}
                    NextStep::Skip => {
                        released += 1;
                        continue;
                    }
                    NextStep::Drop | NextStep::Park => return Err(Drop6::Hook),
                }
                match store.delete6(kind, addr) {
                    Ok(true) => {
                        if l.state != LeaseState::ExpiredReclaimed {
                            self.unassign(&l);
                        }
                        if ctx.track_commits {
                            ctx.deleted.borrow_mut().push(l);
                        }
                        released += 1;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        crate::store_failed("release not stored", &addr, &e);
                        return Err(Drop6::StoreFailed);
                    }
                }
            }
        }
        reply.opts_mut().insert(if released > 0 {
            status(Status::Success, "Release successful")
        } else {
            status(Status::NoBinding, "No binding for the released addresses")
        });
        Ok(())
    }

    fn decline(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
    ) -> Result<(), Drop6> {
        let probation = self.cfg.decline_probation_period;
        for (kind, addr, iaid) in Self::listed(ctx) {
            if kind != LeaseType6::Na {
                continue;
            }
            if let Some(mut l) = store
                .get6(kind, addr)
                .filter(|l| self.owner_is(ctx, l, iaid) && l.state == LeaseState::Default)
            {
                // lease6_decline: SKIP leaves the lease as it is.
                match self.lease_hook(ctx, HookPoint::Lease6Decline, &mut l, None) {
                    NextStep::Continue => {}
                    NextStep::Skip => continue,
                    NextStep::Drop | NextStep::Park => return Err(Drop6::Hook),
                }
                let declined = Lease6 {
                    duid: vec![0],
                    valid_lifetime: probation,
                    pref_lifetime: 0,
                    expire: ctx.now + u64::from(probation),
                    hostname: String::new(),
                    state: LeaseState::Declined,
                    ..l
                };
                if let Err(e) = store.update6(&declined) {
                    crate::store_failed("decline not stored", &addr, &e);
                    return Err(Drop6::StoreFailed);
                }
                add(&self.subnet_stats[ctx.sidx].declined_addresses, 1);
                self.stats.inc(Stat::DeclinedAddresses);
                tracing::info!(%addr, probation, "IPv6 address declined by client");
            }
        }
        reply
            .opts_mut()
            .insert(status(Status::Success, "Decline successful"));
        Ok(())
    }

    /// RFC 8415 §18.3.3: Success when every address is on the link,
    /// NotOnLink otherwise; no addresses: no reply.
    fn confirm(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) -> Result<(), Drop6> {
        let addrs: Vec<Ipv6Addr> = Self::listed(ctx)
            .into_iter()
            .filter(|(k, _, _)| *k == LeaseType6::Na)
            .map(|(_, a, _)| a)
            .collect();
        if addrs.is_empty() {
            return Err(Drop6::NothingToConfirm);
        }
        reply
            .opts_mut()
            .insert(if addrs.iter().all(|a| ctx.subnet.contains(*a)) {
                status(Status::Success, "All addresses are on link")
            } else {
                status(Status::NotOnLink, "Some addresses are not on link")
            });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
