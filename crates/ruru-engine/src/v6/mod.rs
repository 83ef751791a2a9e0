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
//! Their sequence, parking and resumption are `crate::pipeline`'s,
//! shared with DHCPv4.
//!
//! Sub-modules: `family` (DHCPv6's steps of the pipeline: identifier
//! rules, subnet selection, reservation lookup, unicast rules,
//! `leases6_committed`, the reply's last steps), `packet` (decode, relay
//! wrapping), `alloc` (address and prefix selection for IA_NA/IA_PD, lease
//! writes), `reply` (IA options, status codes, requested options, encoding
//! and addressing the reply), `reclaim` (expired leases), `hosts`
//! (reservations from host databases, asked after the subnet's own at
//! every message), `dhcp4o6` (DHCPV4-QUERY, RFC 7341). This module keeps the types, construction and the
//! per-message handlers.

mod alloc;
mod dhcp4o6;
mod family;
pub mod hosts;
pub mod mac;
mod names;
mod network;
pub mod packet;
mod reclaim;
mod reply;

use std::cell::{Cell, RefCell};
use std::net::{Ipv6Addr, SocketAddrV6};
use std::sync::Arc;

use dhcproto::v6::{self, DhcpOption, MessageType, Status};
use ruru_config::{Dhcp6, Subnet6};
use ruru_lease::{Lease6, LeaseState, LeaseStore, LeaseType6};

use crate::cursor::Cursor;
use crate::hooks::{HookArgs, HookDispatch, HookPoint, NextStep};
use crate::pipeline::{self, Parked};
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
    /// Where name-change requests go when `dhcp-ddns` `enable-updates`
    /// is on (None: none are made).
    pub ddns: Option<Arc<dyn crate::DdnsSink>>,
    /// Where the DHCPv4 message of a DHCPV4-QUERY goes (RFC 7341): this
    /// process's DHCPv4 service (`None`: such queries are dropped).
    pub dhcp4o6: Option<Arc<dyn crate::dhcp4o6::Dhcp4o6>>,
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
    /// The packet is in class `DROP` (counted in `pkt6-drop-class`).
    Class,
    /// Kea 2.6's HA hub-and-spoke: the subnet's relationship does not
    /// serve the query here (or the subnet names none).
    HaScope,
    /// A DHCPV4-QUERY not answered: DHCPv4-over-DHCPv6 is off, the query
    /// has no or several DHCPv4 messages, or the DHCPv4 side sent nothing.
    Dhcp4o6,
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
    /// Whether anything reads the client's classes (see `Engine4`).
    classify: bool,
    /// The evaluation order of `cfg.client_classes`.
    class_plan: crate::classify::Plan,
    /// What an Information-request from a link with no subnet is answered
    /// from: no addresses, no options of its own (the global ones apply).
    no_subnet: Subnet6,
    /// Parallel to `cfg.subnets`: the indices of the subnets of its shared
    /// network, in configuration order (empty: in none).
    /// Whether some option data of the configuration is `never-send`, is
    /// a vendor (`vendor-N`) sub-option: else replies skip that work.
    pub(super) option_uses: [bool; 2],
    members: Vec<Arc<[usize]>>,
    /// The indices of `cfg.subnets` by subnet id: the order subnet
    /// selection looks at them in (Kea's).
    by_id: Arc<[usize]>,
    /// Whether some scope generates names for clients that send none
    /// (updates on and `ddns-replace-client-name` `always` or
    /// `when-not-present`): else such a client's name is decided without
    /// looking at the parameters.
    ddns_generates: bool,
    /// Whether the configuration has a Server Unicast option (12) that
    /// replies may carry: then a client may unicast Request, Renew,
    /// Release and Decline to the server (Kea accepts them).
    unicast_configured: bool,
}

/// Everything decided about one message before the reply is built.
type Ctx<'a> = pipeline::Ctx<'a, Engine6>;

impl<'a> Ctx<'a> {
    /// The client's DUID (empty: none, as in an Information-request).
    #[inline]
    fn duid(&self) -> &'a [u8] {
        self.q.client_id.as_deref().unwrap_or_default()
    }

    /// The DUID the client sent, for the reply's Client Identifier: not
    /// [`Ctx::duid`] when flex-id's `replace-client-id` replaced it.
    #[inline]
    fn sent_duid(&self) -> &'a [u8] {
        match &self.q.original_client_id {
            Some(own) => own.as_deref().unwrap_or_default(),
            None => self.duid(),
        }
    }
}

/// The leases written and deleted for a message, kept only when a
/// `leases6_committed` callout will read them (`track`): DHCPv6's own
/// state of an exchange in the pipeline.
#[derive(Default)]
pub(crate) struct Commits {
    track: bool,
    committed: RefCell<Vec<Lease6>>,
    deleted: RefCell<Vec<Lease6>>,
    /// The client's name, decided at its first IA_NA address.
    name: RefCell<Option<names::Name6>>,
    /// The client's host identifiers, kept by the reservation lookup in a
    /// subnet of a shared network: the other subnets of the network look
    /// the client up with them (`network`).
    ids: RefCell<Option<Vec<ruru_config::HostId6>>>,
    /// The subnet (index) of the last IA served, when it is another
    /// subnet of the shared network than the exchange's: the reply is
    /// finished there (`Family::reply_member`).
    moved: Cell<Option<usize>>,
}

/// A reply held by a hook library: everything needed to finish it (its
/// parking id is the pub `id` field).
pub type Parked6 = Parked<Engine6>;

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
            .map(|s| {
                // Kea's random allocator: each pool's permutations keyed
                // from the engine's generator.
                let cursor = |random: bool| {
                    let c = Cursor::new(spread.as_deref());
                    if random {
                        c.with_key(&opts.rng)
                    } else {
                        c
                    }
                };
                use ruru_config::Allocator;
                let random = |a: Allocator| matches!(a, Allocator::Random | Allocator::Flq);
                Cursors6 {
                    na: s
                        .pools
                        .iter()
                        .map(|_| cursor(random(s.allocator)))
                        .collect(),
                    pd: s
                        .pd_pools
                        .iter()
                        .map(|_| cursor(random(s.pd_allocator)))
                        .collect(),
                    // Kea's free lease queue allocator for prefixes.
                    pd_flq: match s.pd_allocator {
                        Allocator::Flq => s
                            .pd_pools
                            .iter()
                            .map(|_| crate::flq::FreeQueue::new(&opts.rng))
                            .collect(),
                        _ => Vec::new(),
                    },
                }
            })
            .collect();
        let classify = !cfg.client_classes.is_empty()
            || opts.hooks.is_some()
            || cfg.flex_id.as_ref().is_some_and(|f| f.expr.is_some())
            || !cfg.flex_options.is_empty()
            || cfg.subnets.iter().any(|s| {
                !s.classes.client_classes.is_empty()
                    || s.network
                        .as_ref()
                        .is_some_and(|n| !n.client_classes.is_empty())
                    || s.pools.iter().any(|p| !p.classes.client_classes.is_empty())
                    || s.pd_pools
                        .iter()
                        .any(|p| !p.classes.client_classes.is_empty())
            });
        let class_plan = crate::classify::Plan::new(&cfg.client_classes);
        let ids: Vec<u32> = cfg.subnets.iter().map(|s| s.id).collect();
        let members =
            crate::networks::members(cfg.subnets.iter().map(|s| s.network.as_deref()), &ids);
        let by_id = crate::networks::by_id(&ids);
        let mut option_uses = crate::option_levels::uses6(&cfg);
        // A hosts database's options may hold vendor sub-options.
        option_uses[1] |= !cfg.hosts_databases.is_empty() || !opts.hosts.is_empty();
        let generates =
            |p: &ruru_config::DdnsParams| p.enable_updates() && p.replace_client_name.generates();
        let ddns_generates = cfg
            .subnets
            .iter()
            .any(|s| generates(&s.ddns) || s.pools.iter().any(|p| generates(&p.ddns)));
        let unicast_configured = crate::option_levels::configured6(&cfg, 12);
        Engine6 {
            unicast_configured,
            ddns_generates,
            class_plan,
            members,
            by_id,
            option_uses,
            classify,
            cfg,
            opts,
            stats,
            subnet_stats,
            cursors,
            spread,
            subnet_collection: std::sync::OnceLock::new(),
            no_subnet: Subnet6 {
                ha_server_name: Default::default(),
                cache: Default::default(),
                store_extended_info: false,
                allocator: Default::default(),
                pd_allocator: Default::default(),
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
                network: None,
                host_modes: Default::default(),
                ddns: Arc::new(ruru_config::DdnsParams::defaults(false)),
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

    /// Processes one received datagram: the stages of `crate::pipeline`.
    pub fn process(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        meta: &RecvMeta6,
        now: u64,
    ) -> Outcome6 {
        pipeline::process(self, store, buf, meta, now, &pipeline::Admit::default())
    }

    /// [`Self::process`] with what the built-in HA decided or decides
    /// about the query ([`pipeline::Admit`]).
    pub fn process_admitted(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        meta: &RecvMeta6,
        now: u64,
        admit: &pipeline::Admit<'_>,
    ) -> Outcome6 {
        pipeline::process(self, store, buf, meta, now, admit)
    }

    /// Finishes a parked reply (the library unparked it). Must be called on
    /// the engine that parked it.
    pub fn resume(&self, p: Parked6) -> Outcome6 {
        pipeline::resume(self, p)
    }

    /// Hands a parked reply's `finish` to the dispatcher that parked it.
    pub fn hold(&self, id: u64, finish: crate::hooks::Finish) {
        pipeline::hold(self, id, finish);
    }

    /// Counts a parked reply that will never be sent.
    pub fn drop_parked(&self, p: &Parked6) {
        pipeline::drop_parked(self, p);
    }

    /// Solicit (commit = rapid commit) and Request: one reply IA per IA,
    /// each from the first subnet of the shared network (if any) that has
    /// an address or prefix for it (`network`).
    fn assign(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
        commit: bool,
    ) -> Result<(), Drop6> {
        let network = self.members.get(ctx.sidx).is_some_and(|m| m.len() > 1);
        for ia in ias(ctx.q) {
            // Outside a shared network: the exchange's subnet alone.
            if !network {
                match self.assign_ia(store, ctx, &ia, commit)? {
                    Some(opt) => reply.opts_mut().insert(opt),
                    None => {
                        self.no_space(ctx);
                        reply.opts_mut().insert(Self::unserved(&ia));
                    }
                }
                continue;
            }
            let mut served = None;
            for m in self.ia_members(store, ctx, &ia) {
                let got =
                    self.in_member(ctx, m, false, |c| self.assign_ia(store, c, &ia, commit))?;
                if let Some(opt) = got {
                    served = Some((m, opt));
                    break;
                }
            }
            match served {
                Some((m, opt)) => {
                    ctx.fam.moved.set(Some(m).filter(|&m| m != ctx.sidx));
                    reply.opts_mut().insert(opt);
                }
                None => {
                    self.no_space(ctx);
                    reply.opts_mut().insert(Self::unserved(&ia));
                }
            }
        }
        Ok(())
    }

    /// The reply IA of an IA that got nothing: NoAddrsAvail or
    /// NoPrefixAvail.
    fn unserved(ia: &Ia) -> DhcpOption {
        let st = match ia.kind {
            LeaseType6::Pd => status(Status::NoPrefixAvail, "No prefixes available for this IA"),
            _ => status(Status::NoAddrsAvail, "No addresses available for this IA"),
        };
        let mut opts = v6::DhcpOptions::new();
        opts.insert(st);
        wrap(ia.kind, ia.id, 0, 0, opts)
    }

    /// One IA of a Solicit or Request in the exchange's subnet: the reply
    /// IA with its address or prefix, `None` when the subnet has none for
    /// it (or a `lease6_select` callout said SKIP).
    fn assign_ia(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        ia: &Ia,
        commit: bool,
    ) -> Result<Option<DhcpOption>, Drop6> {
        let hint = ia
            .listed
            .first()
            .copied()
            .filter(|(a, _)| !a.is_unspecified());
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
        let Some(mut l) = chosen.transpose()? else {
            return Ok(None);
        };
        l.expire = ctx.now + u64::from(l.valid_lifetime);
        let (mut pref, mut valid) = (l.pref_lifetime, l.valid_lifetime);
        if commit {
            if let Some(left) = self.store(store, ctx, &l)? {
                (pref, valid) = left;
            }
        }
        let (t1, t2) = self.tee(ctx.subnet, pref);
        let mut opts = v6::DhcpOptions::new();
        opts.insert(self.entry_for(ctx, &l, pref, valid));
        Ok(Some(wrap(ia.kind, ia.id, t1, t2, opts)))
    }

    /// Renew and Rebind: extend the IA's bindings, in the subnet of the
    /// shared network (if any) that holds them (`network`); addresses of
    /// the IA that are not the client's get lifetimes 0; an IA without
    /// binding gets a new one when possible (as Kea), else NoBinding.
    fn extend(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        reply: &mut v6::Message,
    ) -> Result<(), Drop6> {
        let network = self.members.get(ctx.sidx).is_some_and(|m| m.len() > 1);
        for ia in ias(ctx.q) {
            // Outside a shared network: the exchange's subnet alone.
            if !network {
                if let Some((opt, _)) = self.extend_ia(store, ctx, &ia, true)? {
                    reply.opts_mut().insert(opt);
                }
                continue;
            }
            let order = self.ia_members(store, ctx, &ia);
            let last = order.len().saturating_sub(1);
            for (n, m) in order.into_iter().enumerate() {
                let got =
                    self.in_member(ctx, m, false, |c| self.extend_ia(store, c, &ia, n == last))?;
                if let Some((opt, served)) = got {
                    if served {
                        ctx.fam.moved.set(Some(m).filter(|&m| m != ctx.sidx));
                    }
                    reply.opts_mut().insert(opt);
                    break;
                }
            }
        }
        Ok(())
    }

    /// One IA of a Renew or Rebind in the exchange's subnet: the reply IA
    /// and whether it holds a binding; `None` when the subnet has neither
    /// the IA's binding nor a new one for it and `last` is false (another
    /// subnet of the network is left to try).
    fn extend_ia(
        &self,
        store: &dyn LeaseStore,
        ctx: &Ctx<'_>,
        ia: &Ia,
        last: bool,
    ) -> Result<Option<(DhcpOption, bool)>, Drop6> {
        let mut opts = v6::DhcpOptions::new();
        let mut shortest: Option<u32> = None;
        let mine: Vec<Lease6> = store
            .get6_by_duid_iaid(ia.kind, ctx.duid(), ia.id)
            .into_iter()
            .filter(|l| l.subnet_id == ctx.subnet.id && l.state == LeaseState::Default)
            .collect();
        let keep: Vec<(Ipv6Addr, u8)> = if mine.is_empty() {
            self.pick(store, ctx, ia.kind, ia.id, None)
                .into_iter()
                .collect()
        } else {
            mine.iter().map(|l| (l.address, l.prefix_len)).collect()
        };
        if keep.is_empty() && !last {
            return Ok(None);
        }
        for (a, len) in &ia.listed {
            if !mine.iter().any(|l| l.address == *a) {
                opts.insert(entry(ia.kind, *a, *len, 0, 0));
            }
        }
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
            // A renewal that brings no relay information keeps the
            // lease's user context (Kea updates its lease in place).
            if l.user_context.is_empty() {
                if let Some(cur) = mine.iter().find(|m| m.address == a) {
                    l.user_context.clone_from(&cur.user_context);
                }
            }
            match self.lease_hook(ctx, point, &mut l, Some(false)) {
                NextStep::Continue => {
                    l.expire = ctx.now + u64::from(l.valid_lifetime);
                    let (pref, valid) = self
                        .store(store, ctx, &l)?
                        .unwrap_or((l.pref_lifetime, l.valid_lifetime));
                    shortest = Some(shortest.map_or(pref, |s| s.min(pref)));
                    opts.insert(self.entry_for(ctx, &l, pref, valid));
                }
                NextStep::Skip => {
                    if let Some(cur) = mine.iter().find(|m| m.address == a) {
                        let left =
                            u32::try_from(cur.expire.saturating_sub(ctx.now)).unwrap_or(u32::MAX);
                        let pref = cur.pref_lifetime.min(left);
                        shortest = Some(shortest.map_or(pref, |s| s.min(pref)));
                        opts.insert(self.entry_for(ctx, cur, pref, left));
                    }
                }
                NextStep::Drop | NextStep::Park => return Err(Drop6::Hook),
            }
        }
        let (t1, t2) = shortest.map_or((0, 0), |p| self.tee(ctx.subnet, p));
        Ok(Some((
            wrap(ia.kind, ia.id, t1, t2, opts),
            shortest.is_some(),
        )))
    }

    /// The client's name for this message (see `names`): decided at the
    /// first IA_NA address `addr` and kept for the message's other leases.
    fn name(&self, ctx: &Ctx<'_>, addr: Option<Ipv6Addr>) -> names::Name6 {
        if let Some(n) = ctx.fam.name.borrow().as_ref() {
            return n.clone();
        }
        let raw = if ctx.q.has_fqdn {
            match ctx.q.msg.opts().get(v6::OptionCode::ClientFqdn) {
                Some(DhcpOption::Unknown(u)) => Some(u.data()),
                _ => None,
            }
        } else {
            None
        };
        let reserved = ctx.host.as_deref().and_then(|h| h.hostname.as_deref());
        let hook = self.hooks_at(HookPoint::Ddns6Update);
        // The common case: no option 39, no reserved name, no generated
        // names, no ddns6_update callout: no name.
        if raw.is_none() && reserved.is_none() && !self.ddns_generates && hook.is_none() {
            return names::Name6::default();
        }
        let p = Self::ddns_params(ctx.subnet, addr);
        let mut n = names::decide(raw, reserved, p, addr);
        if let Some(h) = hook {
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Ddns6Update, &mut pcm);
            a.query6 = Some(ctx.q);
            a.subnet_id = Some(ctx.subnet.id);
            let (hostname, fwd, rev) = crate::ddns::update_hook(h, a, &n.hostname, n.fwd, n.rev);
            (n.fwd, n.rev) = (fwd, rev);
            if hostname != n.hostname {
                names::rename(&mut n, &hostname);
            }
        }
        if addr.is_some() {
            *ctx.fam.name.borrow_mut() = Some(n.clone());
        }
        n
    }

    /// Option 39 for the reply, when the client sent one.
    fn name_option(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) {
        if !ctx.q.has_fqdn {
            return;
        }
        if let Some(payload) = self.name(ctx, None).option {
            reply
                .opts_mut()
                .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                    v6::OptionCode::ClientFqdn,
                    payload,
                )));
        }
    }

    /// The `ddns-*` parameters for a lease of `addr` in `s`: its pool's.
    fn ddns_params(s: &Subnet6, addr: Option<Ipv6Addr>) -> &ruru_config::DdnsParams {
        addr.and_then(|a| s.pools.iter().find(|p| p.contains(a)))
            .map_or(&s.ddns, |p| &p.ddns)
    }

    /// Asks again for the DNS add of `l` (Kea's `lease6-resend-ddns`);
    /// false when `dhcp-ddns` updates are off.
    pub fn resend_ddns(&self, l: &Lease6) -> bool {
        let on = self.ddns_sink().is_some();
        if on {
            self.queue_ncr(ruru_ddns::ChangeType::Add, l);
        }
        on
    }

    /// The DNS updater, when updates are on.
    pub(super) fn ddns_sink(&self) -> Option<&dyn crate::DdnsSink> {
        self.opts
            .ddns
            .as_deref()
            .filter(|_| self.cfg.ddns_client.enable_updates)
    }

    /// Asks for the DNS change `change` of IA_NA lease `l` (Kea's
    /// `queueNCR`), when updates are on.
    fn queue_ncr(&self, change: ruru_ddns::ChangeType, l: &Lease6) {
        let Some(sink) = self.ddns_sink() else {
            return;
        };
        if l.lease_type != LeaseType6::Na {
            return;
        }
        let subnet = self.cfg.subnets.iter().find(|s| s.id == l.subnet_id);
        let n = crate::ddns::Names {
            hostname: &l.hostname,
            fwd: l.fqdn_fwd,
            rev: l.fqdn_rev,
        };
        crate::ddns::submit(
            sink,
            change,
            &n,
            std::net::IpAddr::V6(l.address),
            |name| ruru_ddns::Dhcid::from_duid(&l.duid, name),
            l.valid_lifetime,
            l.expire,
            subnet.map(|s| Self::ddns_params(s, Some(l.address))),
        );
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
                        self.queue_ncr(ruru_ddns::ChangeType::Remove, &l);
                        if ctx.fam.track {
                            ctx.fam.deleted.borrow_mut().push(l);
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
                    fqdn_fwd: false,
                    fqdn_rev: false,
                    state: LeaseState::Declined,
                    ..l.clone()
                };
                if let Err(e) = store.update6(&declined) {
                    crate::store_failed("decline not stored", &addr, &e);
                    return Err(Drop6::StoreFailed);
                }
                self.queue_ncr(ruru_ddns::ChangeType::Remove, &l);
                // The lease's subnet: in a shared network, maybe another
                // than the exchange's.
                let i = self
                    .cfg
                    .subnets
                    .iter()
                    .position(|s| s.id == l.subnet_id)
                    .unwrap_or(ctx.sidx);
                if let Some(st) = self.subnet_stats.get(i) {
                    add(&st.declined_addresses, 1);
                }
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
        // On the link: in the subnet, or in any subnet of its shared network.
        let members = self.members.get(ctx.sidx).map_or(&[][..], |m| &m[..]);
        let on_link = |a: Ipv6Addr| {
            ctx.subnet.contains(a)
                || members
                    .iter()
                    .any(|&m| self.cfg.subnets.get(m).is_some_and(|s| s.contains(a)))
        };
        reply
            .opts_mut()
            .insert(if addrs.iter().all(|a| on_link(*a)) {
                status(Status::Success, "All addresses are on link")
            } else {
                status(Status::NotOnLink, "Some addresses are not on link")
            });
        Ok(())
    }
}

#[cfg(test)]
mod tests;
