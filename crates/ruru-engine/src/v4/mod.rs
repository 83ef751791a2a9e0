//! DHCPv4 message handling (RFC 2131/2132), one packet at a time.
//!
//! [`Engine4`] is built from one config snapshot and is immutable apart from
//! its allocation cursors; [`Engine4::process`] takes the received bytes, the
//! receive metadata, the lease store and `now`, and returns what to send. It
//! never reads the clock or touches a socket. The stages follow the hook
//! points of DESIGN.md: `buffer4_receive` → parse → `pkt4_receive` →
//! `subnet4_select` → `host4_identifier` → `lease4_select` / `lease4_renew` /
//! `lease4_release` / `lease4_decline` → `leases4_committed` → `pkt4_send` →
//! `buffer4_send`; their sequence, parking and resumption are
//! `crate::pipeline`'s, shared with DHCPv6.
//!
//! Sub-modules: `family` (DHCPv4's steps of the pipeline: checks, subnet
//! selection, reservation lookup, the reply's last steps), `packet` (decode
//! and wire checks), `alloc` (which address), `hosts` (reservations from
//! host databases), `dns` (name-change requests), `options` (the reply's options, layered as Kea
//! layers them), `names` (the client's name), `reply` (encoding,
//! destination), `reclaim` (expired leases), `ping` (the built-in ping
//! check of offered addresses). This module keeps the types,
//! construction and the per-message handlers.

pub mod alloc;
mod dhcp4o6;
mod dns;
mod family;
pub mod hosts;
mod names;
mod offer;
mod options;
pub mod packet;
mod pick;
mod ping;
pub mod reclaim;
pub mod reply;
mod stash;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use ruru_config::{Dhcp4, Pool4, Subnet4};
use ruru_lease::{Lease4, LeaseError, LeaseState, LeaseStore};
use tracing::debug;

use crate::classify;
use crate::hooks::{next_park_id, HookArgs, HookDispatch, HookPoint, NextStep};
use crate::pipeline::{self, Parked};
use crate::rng::Rng;
use crate::stats::{add, Stat, Stats, SubnetStats};
use alloc::{ClientKey, PoolCursors};
pub use ping::{Probe4, Probed4};
use reply::{Destination, Draft};

/// What the server knows about a received packet besides its bytes.
#[derive(Debug, Clone)]
pub struct RecvMeta {
    /// Sender address and port.
    pub src: SocketAddrV4,
    /// The server address the packet arrived on; used as server identifier.
    pub local: Ipv4Addr,
    /// Receiving interface name, when known (shared, so that building the
    /// metadata for each packet allocates nothing).
    pub iface: Option<Arc<str>>,
    /// The frame's source hardware address (raw sockets only): where a
    /// reply to the client's `ciaddr` goes at the link layer.
    pub src_mac: Option<[u8; 6]>,
    /// The DHCPv6 message the query came in, for DHCPv4-over-DHCPv6
    /// (RFC 7341; `None`: a DHCPv4 datagram). Its subnet is then selected
    /// by the subnets' `4o6-*` keys only.
    pub over6: Option<Arc<crate::dhcp4o6::Over6>>,
}

/// Engine settings that come from the command line, not the config file.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Port replies to clients go to (Kea's `-P`, default 68).
    pub client_port: u16,
    /// Every address this server listens on: a REQUEST naming any of them as
    /// server identifier is for us.
    pub server_addrs: Vec<Ipv4Addr>,
    /// Loaded hook libraries, if any (None: every hook point costs nothing).
    pub hooks: Option<Arc<dyn HookDispatch>>,
    /// The host databases (`hosts-database(s)`), asked after the
    /// configuration's reservations; empty: no database is asked.
    pub hosts: hosts::HostSources,
    /// The engine's randomness (where spread pool cursors start and jump
    /// to), seeded by the caller: the server from its own randomness, so
    /// that servers sharing a lease database do not walk pools in step;
    /// tests with a fixed seed, to replay exchanges. Shared (an `Arc`) so
    /// that the engines of successive configurations go on drawing from
    /// one sequence instead of repeating it. The default is seed 0.
    pub rng: Arc<Rng>,
    /// Where name-change requests go when `dhcp-ddns` `enable-updates`
    /// is on (None: none are made).
    pub ddns: Option<Arc<dyn crate::DdnsSink>>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            client_port: 68,
            server_addrs: Vec::new(),
            hooks: None,
            hosts: hosts::HostSources::default(),
            rng: Arc::new(Rng::new(0)),
            ddns: None,
        }
    }
}

/// A reply ready to send.
#[derive(Debug, Clone)]
pub struct Reply4 {
    pub bytes: Vec<u8>,
    pub dest: Destination,
    /// Message type of the reply (for counting and logs).
    pub msg_type: u8,
    /// Client hardware address and type, for link-level delivery.
    pub chaddr: Vec<u8>,
    pub htype: u8,
}

/// Why a packet got no reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drop4 {
    ParseFailed,
    NotBootRequest,
    UnknownMessageType,
    /// A message type a server does not answer (OFFER, ACK, ...).
    ServerMessage,
    NoClientIdentity,
    NotForUs,
    NoSubnet,
    /// DISCOVER with the pool exhausted.
    AllocationFailed,
    /// INIT-REBOOT from a client we know nothing of, not authoritative.
    UnknownClient,
    /// Writing the lease failed: no ACK without a stored lease.
    StoreFailed,
    /// Bad RELEASE/DECLINE content.
    Invalid,
    /// A hook callout said DROP (or SKIP where that means drop), or failed.
    Hook,
    /// The packet is in class `DROP` (counted in `pkt4-drop-class`).
    Class,
    /// Kea 2.6's HA hub-and-spoke: the subnet's relationship does not
    /// serve the query here (or the subnet names none).
    HaScope,
}

/// The result of processing one packet.
#[derive(Debug, Clone)]
pub enum Outcome4 {
    Reply(Reply4),
    /// Processed; RELEASE and DECLINE get no answer.
    Done,
    Drop(Drop4),
    /// A hook library parked the reply (Kea's PARK at `leases4_committed`
    /// or `pkt4_send`); the server keeps it until the library unparks it,
    /// then calls [`Engine4::resume`] on this same engine.
    Parked(Box<Parked4>),
    /// The OFFER waits for the built-in ping check of its address (Kea's
    /// `libdhcp_ping_check.so`): the server runs it, then finishes the
    /// reply with [`Engine4::resume`], or declines the address with
    /// [`Engine4::decline_probed`] when it answered.
    Probe(Box<Probed4>),
}

/// A reply held by a hook library: everything needed to finish it (its
/// parking id is the pub `id` field).
pub type Parked4 = Parked<Engine4>;

/// The per-config DHCPv4 engine.
#[derive(Debug)]
pub struct Engine4 {
    pub cfg: Arc<Dhcp4>,
    opts: EngineOptions,
    stats: Arc<Stats>,
    /// Parallel to `cfg.subnets`.
    subnet_stats: Vec<Arc<SubnetStats>>,
    /// Parallel to `cfg.subnets[i].pools`.
    pool_stats: Vec<Vec<Arc<SubnetStats>>>,
    /// Parallel to `cfg.subnets`.
    cursors: Vec<PoolCursors>,
    /// `subnet4collection` for subnet4_select callouts (built on first use).
    subnet_collection: std::sync::OnceLock<String>,
    /// Whether anything reads the client's classes (class definitions,
    /// subnet or pool guards, hook libraries); if not, packets are not
    /// classified.
    classify: bool,
    /// The evaluation order of `cfg.client_classes`.
    class_plan: classify::Plan,
    /// Whether some class sets `next-server`, `server-hostname`,
    /// `boot-file-name` (else replies do not look through the client's
    /// classes for them).
    class_fixed: [bool; 3],
    /// Whether some option data of the configuration is `never-send`, is
    /// a vendor (`vendor-N`) sub-option: else replies skip that work.
    option_uses: [bool; 2],
    /// Parallel to `cfg.subnets`: the indices of the subnets of its shared
    /// network, in configuration order (empty: in none).
    members: Vec<Arc<[usize]>>,
    /// The indices of `cfg.subnets` by subnet id: the order subnet
    /// selection looks at them in (Kea's).
    by_id: Arc<[usize]>,
    /// The configured `dhcp-server-identifier` (54) values (global, class,
    /// subnet and shared network levels): a query naming one of them is
    /// for this server, as in Kea's `acceptServerId`.
    configured_server_ids: Vec<Ipv4Addr>,
}

/// Everything decided about one query before the reply is built.
type Ctx<'a> = pipeline::Ctx<'a, Engine4>;

impl Engine4 {
    /// Builds the engine for a config snapshot. Subnet `total-addresses`
    /// statistics are set here.
    pub fn new(cfg: Arc<Dhcp4>, opts: EngineOptions, stats: Arc<Stats>) -> Self {
        Self::with_previous(cfg, opts, stats, None)
    }

    /// Like [`Engine4::new`], continuing the allocation cursors of `previous`
    /// for subnets whose id and pools did not change (so a reload does not
    /// send the free-address search back to the start of every pool).
    pub fn with_previous(
        cfg: Arc<Dhcp4>,
        opts: EngineOptions,
        stats: Arc<Stats>,
        previous: Option<&Engine4>,
    ) -> Self {
        let e = Self::build(cfg, opts, stats);
        if let Some(p) = previous {
            for (i, s) in e.cfg.subnets.iter().enumerate() {
                let Some(j) = p.cfg.subnets.iter().position(|o| o.id == s.id) else {
                    continue;
                };
                let o = &p.cfg.subnets[j];
                let same = o.pools.len() == s.pools.len()
                    && o.pools
                        .iter()
                        .zip(&s.pools)
                        .all(|(a, b)| a.start == b.start && a.end == b.end);
                if same {
                    e.cursors[i].continue_from(&p.cursors[j]);
                }
            }
        }
        e
    }

    fn build(cfg: Arc<Dhcp4>, opts: EngineOptions, stats: Arc<Stats>) -> Self {
        let subnet_stats: Vec<_> = cfg.subnets.iter().map(|s| stats.subnet(s.id)).collect();
        for (s, st) in cfg.subnets.iter().zip(&subnet_stats) {
            st.total_addresses.store(
                i64::try_from(s.total_addresses()).unwrap_or(i64::MAX),
                std::sync::atomic::Ordering::Relaxed,
            );
        }
        let pool_stats: Vec<Vec<_>> = cfg
            .subnets
            .iter()
            .map(|s| {
                s.pools
                    .iter()
                    .enumerate()
                    .map(|(i, p)| {
                        let st = stats.pool(s.id, i);
                        st.total_addresses.store(
                            i64::try_from(p.size()).unwrap_or(i64::MAX),
                            std::sync::atomic::Ordering::Relaxed,
                        );
                        st
                    })
                    .collect()
            })
            .collect();
        // Servers sharing a SQL lease database spread their searches.
        let spread = (cfg.lease_database.kind != ruru_config::LeaseDbKind::Memfile)
            .then(|| Arc::clone(&opts.rng));
        let cursors = cfg
            .subnets
            .iter()
            .map(|s| PoolCursors::new(s, spread.clone(), &opts.rng))
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
            });
        let class_plan = classify::Plan::new(&cfg.client_classes);
        let cc = &cfg.client_classes;
        let class_fixed = [
            cc.iter()
                .any(|c| c.next_server.is_some_and(|a| !a.is_unspecified())),
            cc.iter()
                .any(|c| c.server_hostname.as_ref().is_some_and(|n| !n.is_empty())),
            cc.iter()
                .any(|c| c.boot_file_name.as_ref().is_some_and(|n| !n.is_empty())),
        ];
        let ids: Vec<u32> = cfg.subnets.iter().map(|s| s.id).collect();
        let members =
            crate::networks::members(cfg.subnets.iter().map(|s| s.network.as_deref()), &ids);
        let by_id = crate::networks::by_id(&ids);
        let mut option_uses = crate::option_levels::uses4(&cfg);
        // A hosts database's options may hold vendor sub-options.
        option_uses[1] |= !cfg.hosts_databases.is_empty() || !opts.hosts.is_empty();
        let configured_server_ids = options::configured_server_ids(&cfg);
        Engine4 {
            configured_server_ids,
            class_plan,
            class_fixed,
            option_uses,
            members,
            by_id,
            cfg,
            opts,
            stats,
            subnet_stats,
            pool_stats,
            cursors,
            subnet_collection: std::sync::OnceLock::new(),
            classify,
        }
    }

    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Recomputes `assigned-addresses` and `declined-addresses` per subnet
    /// from the store (at start-up and after a reload), as Kea does.
    pub fn recount(&self, store: &dyn LeaseStore) {
        use std::sync::atomic::Ordering::Relaxed;
        let n = self.cfg.subnets.len();
        let mut assigned = vec![0i64; n];
        let mut declined = vec![0i64; n];
        let mut pool_assigned: Vec<Vec<i64>> = self
            .cfg
            .subnets
            .iter()
            .map(|s| vec![0; s.pools.len()])
            .collect();
        let mut pool_declined = pool_assigned.clone();
        let mut total_declined = 0;
        let index: std::collections::BTreeMap<u32, usize> = self
            .cfg
            .subnets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        store.for_each4(&mut |l| {
            let Some(&i) = index.get(&l.subnet_id) else {
                return;
            };
            let pool = self.cfg.subnets[i]
                .pools
                .iter()
                .position(|p| p.contains(l.addr));
            let (a, d) = match l.state {
                LeaseState::Default => (1, 0),
                LeaseState::Declined => (1, 1),
                LeaseState::ExpiredReclaimed => (0, 0),
            };
            assigned[i] += a;
            declined[i] += d;
            total_declined += d;
            if let Some(p) = pool {
                pool_assigned[i][p] += a;
                pool_declined[i][p] += d;
            }
        });
        for (i, st) in self.subnet_stats.iter().enumerate() {
            st.assigned_addresses.store(assigned[i], Relaxed);
            st.declined_addresses.store(declined[i], Relaxed);
            for (p, ps) in self.pool_stats[i].iter().enumerate() {
                ps.assigned_addresses.store(pool_assigned[i][p], Relaxed);
                ps.declined_addresses.store(pool_declined[i][p], Relaxed);
            }
        }
        let cur = self.stats.get(Stat::DeclinedAddresses);
        self.stats
            .add(Stat::DeclinedAddresses, total_declined - cur);
    }

    /// The dispatcher, when a callout is registered at `point`.
    fn hooks_at(&self, point: HookPoint) -> Option<&dyn HookDispatch> {
        self.opts.hooks.as_deref().filter(|h| h.has(point))
    }

    /// Runs `point` with the query, the subnet and `lease`; returns the
    /// next step and whether a callout set the lease address.
    fn lease_hook(
        &self,
        ctx: &Ctx<'_>,
        point: HookPoint,
        lease: &mut Lease4,
        fake: Option<bool>,
    ) -> (NextStep, bool) {
        let Some(h) = self.hooks_at(point) else {
            return (NextStep::Continue, false);
        };
        let mut pcm = ctx.pc.borrow_mut();
        let mut a = HookArgs::new(point, &mut pcm);
        a.query = Some(ctx.q);
        a.subnet_id = Some(ctx.subnet.id);
        a.fake_allocation = fake;
        a.lease = Some(lease);
        let step = h.call(&mut a);
        (step, a.lease_address_set)
    }

    fn subnet_index(&self, id: u32) -> Option<usize> {
        self.cfg.subnets.iter().position(|s| s.id == id)
    }

    /// Applies `f` to the statistics of subnet `sidx` and of the pool
    /// holding `addr`, if any.
    fn bump(&self, sidx: usize, addr: Ipv4Addr, f: impl Fn(&SubnetStats)) {
        f(&self.subnet_stats[sidx]);
        if let Some(p) = self.cfg.subnets[sidx]
            .pools
            .iter()
            .position(|p| p.contains(addr))
        {
            f(&self.pool_stats[sidx][p]);
        }
    }

    /// Processes one received packet: the stages of `crate::pipeline`.
    pub fn process(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        meta: &RecvMeta,
        now: u64,
    ) -> Outcome4 {
        pipeline::process(self, store, buf, meta, now, &pipeline::Admit::default())
    }

    /// [`Self::process`] with what the built-in HA decided or decides
    /// about the query ([`pipeline::Admit`]).
    pub fn process_admitted(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        meta: &RecvMeta,
        now: u64,
        admit: &pipeline::Admit<'_>,
    ) -> Outcome4 {
        pipeline::process(self, store, buf, meta, now, admit)
    }

    /// Finishes a parked reply (the library unparked it): the remaining
    /// hook points run, then the reply is encoded and addressed. Must be
    /// called on the engine that parked it.
    pub fn resume(&self, p: Parked4) -> Outcome4 {
        pipeline::resume(self, p)
    }

    /// Hands a parked reply's `finish` to the dispatcher that parked it.
    pub fn hold(&self, id: u64, finish: crate::hooks::Finish) {
        pipeline::hold(self, id, finish);
    }

    /// Counts a parked reply that will never be sent (dropped by its
    /// library, the library unloaded, or the parking lot full).
    pub fn drop_parked(&self, p: &Parked4) {
        pipeline::drop_parked(self, p);
    }

    /// Whether the client's classes let it use `pool` (its guard).
    fn pool_allowed(ctx: &Ctx<'_>, pool: &Pool4) -> bool {
        pool.classes.client_classes.is_empty()
            || classify::allowed(&pool.classes.client_classes, &ctx.classes.borrow())
    }

    /// Whether `addr` is in a pool of the subnet the client may use.
    fn in_allowed_pool(ctx: &Ctx<'_>, addr: Ipv4Addr) -> bool {
        ctx.subnet
            .pools
            .iter()
            .any(|p| p.contains(addr) && Self::pool_allowed(ctx, p))
    }

    /// Kea's `requiredClassify`, once the address is chosen: the
    /// `require-client-classes` of the subnet, then of the address's pool.
    fn require_classes(&self, ctx: &Ctx<'_>, yiaddr: Ipv4Addr) {
        let Some(raw) = ctx.raw else {
            return;
        };
        let s = ctx.subnet;
        let pool = if yiaddr.is_unspecified() {
            None
        } else {
            s.pool_of(yiaddr)
        };
        let pool_req = pool.map_or(&[][..], |p| &p.classes.required_classes[..]);
        if s.classes.required_classes.is_empty() && pool_req.is_empty() {
            return;
        }
        classify::required(
            raw,
            &self.cfg.client_classes,
            &mut ctx.classes.borrow_mut(),
            [&s.classes.required_classes[..], pool_req],
        );
    }

    /// The valid-lifetime triple: the first of the client's classes that
    /// sets one, else the subnet's (Kea's `getValidLft`).
    fn valid_lifetime(&self, ctx: &Ctx<'_>) -> ruru_config::Lifetime {
        let defs = &self.cfg.client_classes;
        if !defs.is_empty() {
            let classes = ctx.classes.borrow();
            let found = classes.defs().find_map(|i| defs.get(i)?.valid_lifetime);
            if let Some(l) = found {
                return l;
            }
        }
        ctx.subnet.valid_lifetime
    }

    fn key<'a>(&self, ctx: &Ctx<'a>) -> ClientKey<'a> {
        ClientKey {
            hwaddr: &ctx.q.hwaddr,
            client_id: ctx.q.client_id.as_deref(),
            match_client_id: ctx.subnet.match_client_id,
        }
    }

    fn discover(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Result<Option<Draft>, Drop4> {
        // lease4_select (fake allocation: nothing is stored for an OFFER).
        let Some(addr) = self.pick(store, ctx, ctx.q.requested_ip) else {
            // In a shared network, counted once every subnet failed
            // (`Family::exhausted`).
            if ctx.subnet.network.is_none() {
                self.stats.inc(Stat::V4AllocationFail);
                self.stats.inc(Stat::V4AllocationFailSubnet);
            }
            debug!(
                xid = format_args!("{:#010x}", ctx.q.xid()),
                subnet = ctx.subnet.id,
                "no address available"
            );
            return Err(Drop4::AllocationFailed);
        };
        let mut valid = self.valid_lifetime(ctx).choose(ctx.q.lease_time);
        let mut addr = addr;
        let mut name = self.name(ctx, addr);
        if self.hooks_at(HookPoint::Lease4Select).is_some() {
            let mut cand = self.candidate(ctx, addr, valid, &name);
            match self
                .lease_hook(ctx, HookPoint::Lease4Select, &mut cand, Some(true))
                .0
            {
                NextStep::Continue => {
                    if cand.addr != addr {
                        name = self.name(ctx, cand.addr);
                    }
                    addr = cand.addr;
                    valid = cand.valid_lifetime;
                }
                // SKIP: no lease for this client, so no offer.
                NextStep::Skip => return Err(Drop4::AllocationFailed),
                NextStep::Drop | NextStep::Park => return Err(Drop4::Hook),
            }
        }
        // The built-in ping check looks at what the address held before.
        let ping = ctx.subnet.ping_check.is_some_and(|p| p.enabled);
        let before = if ping { store.get4(addr) } else { None };
        // Lease caching: the OFFER of a lease the REQUEST would reuse
        // carries what is left of it, as Kea's does.
        let mut reused = false;
        if ctx.subnet.cache != ruru_config::LeaseCache::default() {
            let key = self.key(ctx);
            let old = match &before {
                Some(o) => Some(o.clone()),
                None if !ping => store.get4(addr),
                None => None,
            };
            if let Some(old) = old.filter(|o| key.owns(o)) {
                let cand = self.candidate(ctx, addr, valid, &name);
                if let Some(left) = Self::reuse_left(ctx.subnet, &old, &cand, ctx.now) {
                    valid = left;
                    reused = true;
                }
            }
        }
        // Kea 2.6's `offer-lifetime`: the address is held for the client.
        let hold = self.offer_lifetime(ctx);
        if hold > 0 {
            self.hold_offer(store, ctx, addr, hold, &name)?;
        }
        // The offered lease, for lease4_offer and the ping check only.
        let offer_hooks = self.hooks_at(HookPoint::Lease4Offer).is_some();
        let mut lease = (ping || offer_hooks).then(|| self.candidate(ctx, addr, valid, &name));
        let mut d = Draft::new(2);
        d.yiaddr = addr;
        self.require_classes(ctx, addr);
        if let Some((code, data)) = name.option {
            d.add(code, data);
        }
        self.lease_options_with(ctx, &mut d, valid);
        // Kea 2.6's lease4_offer: the OFFER is ready; a library may drop
        // it, or park it (and then, its chain stopped, no ping check).
        if let Some(lease) = lease.as_mut().filter(|_| offer_hooks) {
            // SKIP means nothing here (as in Kea): the OFFER goes on.
            match self.offer_hook(ctx, &mut d, lease, hold) {
                NextStep::Continue | NextStep::Skip => {}
                NextStep::Park => return Ok(Some(d)),
                NextStep::Drop => return Err(Drop4::Hook),
            }
        }
        // Kea's libdhcp_ping_check.so: the OFFER may wait for a check.
        if let Some(lease) = lease.as_ref().filter(|_| ping) {
            self.ping_first(ctx, lease, before.as_ref(), reused);
        }
        Ok(Some(d))
    }

    /// Statistics for lease `addr` just written over `old` (none: a new
    /// lease) for the client `key`.
    fn count_assignment(
        &self,
        ctx: &Ctx<'_>,
        old: Option<&Lease4>,
        key: &ClientKey<'_>,
        addr: Ipv4Addr,
    ) {
        match old {
            Some(o)
                if o.subnet_id == ctx.subnet.id
                    && o.state != LeaseState::ExpiredReclaimed
                    && key.owns(o) => {}
            Some(o) => {
                // Reused an expired lease (of this or another client).
                if o.state != LeaseState::ExpiredReclaimed {
                    self.unassign(o);
                }
                self.assigned(ctx.sidx, addr);
            }
            None => self.assigned(ctx.sidx, addr),
        }
    }

    /// Kea's lease caching (`cache-threshold`, `cache-max-age`): the
    /// seconds left of the client's lease `old` when it may be given again
    /// instead of `new` without a write: nothing that matters changed
    /// (subnet, identifiers, name and DNS flags) and its lifetime would
    /// not shrink, and it is young enough for the subnet's settings.
    fn reuse_left(s: &Subnet4, old: &Lease4, new: &Lease4, now: u64) -> Option<u32> {
        if old.state != LeaseState::Default
            || old.addr != new.addr
            || old.subnet_id != new.subnet_id
            || old.hwaddr != new.hwaddr
            || old.client_id != new.client_id
            || old.hostname != new.hostname
            || old.fqdn_fwd != new.fqdn_fwd
            || old.fqdn_rev != new.fqdn_rev
            || new.valid_lifetime < old.valid_lifetime
        {
            return None;
        }
        s.cache
            .reusable_at(now, old.expire, old.valid_lifetime, new.valid_lifetime)
    }

    /// The lease this client would get for `addr`, with its `name`.
    fn candidate(&self, ctx: &Ctx<'_>, addr: Ipv4Addr, valid: u32, name: &names::Name4) -> Lease4 {
        let q = ctx.q;
        Lease4 {
            addr,
            hwaddr: q.hwaddr.clone(),
            client_id: q.client_id.clone(),
            valid_lifetime: valid,
            expire: ctx.now + u64::from(valid),
            subnet_id: ctx.subnet.id,
            fqdn_fwd: name.fwd,
            fqdn_rev: name.rev,
            hostname: name.hostname.clone(),
            state: LeaseState::Default,
            user_context: Self::extended_info(ctx),
            // Kea 2.4+: the `pool-id` of the pool holding the address.
            pool_id: ctx.subnet.pool_of(addr).map_or(0, |p| p.id),
        }
    }

    /// Kea's `store-extended-info`: the relay agent information (option
    /// 82) of a relayed query, in the lease's user context as Kea 2.2
    /// writes it (checked against kea-dhcp4 2.2's lease file):
    /// `{ "ISC": { "relay-agent-info": "0x0104..." } }`, the option's
    /// payload in upper-case hex. Empty when off or without option 82.
    fn extended_info(ctx: &Ctx<'_>) -> String {
        match ctx.q.relay_info.as_deref() {
            Some(rai) if ctx.subnet.store_extended_info && !rai.is_empty() => {
                let hex: String = rai.iter().map(|b| format!("{b:02X}")).collect();
                format!("{{ \"ISC\": {{ \"relay-agent-info\": \"0x{hex}\" }} }}")
            }
            _ => String::new(),
        }
    }

    fn request(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Result<Option<Draft>, Drop4> {
        let q = ctx.q;
        let s = ctx.subnet;
        let key = self.key(ctx);
        let ciaddr = q.ciaddr();
        let (requested, state) = if q.bootp {
            // A BOOTP client (built-in libdhcp_bootp.so) names no address
            // (at most its `ciaddr`, taken as a hint as Kea takes it): the
            // address is chosen as for a DISCOVER, then stored at once.
            let hint = Some(ciaddr).filter(|a| !a.is_unspecified());
            match self.pick(store, ctx, hint.or(q.requested_ip)) {
                Some(a) => (a, "bootp"),
                None => {
                    if ctx.subnet.network.is_none() {
                        self.stats.inc(Stat::V4AllocationFail);
                        self.stats.inc(Stat::V4AllocationFailSubnet);
                    }
                    debug!(
                        xid = format_args!("{:#010x}", q.xid()),
                        subnet = ctx.subnet.id,
                        "no address available for a BOOTP client"
                    );
                    return Err(Drop4::AllocationFailed);
                }
            }
        } else if q.server_id.is_some() {
            match q.requested_ip {
                Some(r) => (r, "selecting"),
                None if !ciaddr.is_unspecified() => (ciaddr, "renewing"),
                None => return Err(Drop4::Invalid),
            }
        } else if let Some(r) = q.requested_ip.filter(|_| ciaddr.is_unspecified()) {
            (r, "init-reboot")
        } else if !ciaddr.is_unspecified() {
            (
                ciaddr,
                if q.is_relayed() {
                    "renewing"
                } else {
                    "rebinding"
                },
            )
        } else {
            return Err(Drop4::Invalid);
        };

        // The client's current lease and the requested address's, looked up
        // together (one round trip to a SQL database) once for the whole
        // request.
        let (existing, at_requested) = alloc::client_leases(store, s, &key, Some(requested));
        if state == "init-reboot" {
            // RFC 2131 §4.3.2: wrong network → NAK; no record → silence,
            // unless authoritative (Kea).
            if !s.contains(requested) {
                return Ok(Some(self.nak(ctx)));
            }
            match &existing {
                None if !s.authoritative => return Err(Drop4::UnknownClient),
                Some(l) if l.addr != requested => return Ok(Some(self.nak(ctx))),
                _ => {}
            }
        }
        if !s.contains(requested) {
            return Ok(Some(self.nak(ctx)));
        }

        // lease4_renew (the client's own active lease) or lease4_select:
        // callouts may change the lifetime, and at lease4_select the address.
        // The client's name, decided once for the lease and the ACK.
        let mut name = self.name(ctx, requested);
        // A BOOTP client has no lease time: its lease never expires (Kea).
        let valid = if q.bootp {
            u32::MAX
        } else {
            self.valid_lifetime(ctx).choose(q.lease_time)
        };
        let mut lease = self.candidate(ctx, requested, valid, &name);
        // The address's lease (read above with the client's), for the
        // checks and the write below.
        let mut current = at_requested;
        let renewing = current
            .as_ref()
            .is_some_and(|l| !l.expired(ctx.now) && l.state == LeaseState::Default && key.owns(l));
        let point = if renewing {
            HookPoint::Lease4Renew
        } else {
            HookPoint::Lease4Select
        };
        let (step, by_hook) = self.lease_hook(ctx, point, &mut lease, Some(false));
        match step {
            NextStep::Continue => {}
            NextStep::Skip if point == HookPoint::Lease4Select => return Ok(Some(self.nak(ctx))),
            // SKIP at lease4_renew: the lease is not extended; the client
            // gets an ACK for what is left of it (Kea).
            NextStep::Skip => {
                if let Some(cur) = current.as_ref() {
                    let left =
                        u32::try_from(cur.expire.saturating_sub(ctx.now)).unwrap_or(u32::MAX);
                    let mut d = Draft::new(5);
                    d.yiaddr = requested;
                    self.require_classes(ctx, requested);
                    self.lease_options_with(ctx, &mut d, left.max(1));
                    return Ok(Some(d));
                }
            }
            NextStep::Drop | NextStep::Park => return Err(Drop4::Hook),
        }
        if lease.addr != requested {
            // A callout chose another address (a name generated from the
            // address follows it).
            current = store.get4(lease.addr);
            name = self.name(ctx, lease.addr);
            lease.hostname.clone_from(&name.hostname);
            lease.fqdn_fwd = name.fwd;
            lease.fqdn_rev = name.rev;
        }
        let requested = lease.addr;
        let valid = lease.valid_lifetime;
        lease.expire = ctx.now + u64::from(valid);
        // The lease's user context (the relay information stored with it,
        // or one set through the API) stays when this query brings none
        // (a RENEWING client's unicast REQUEST): Kea updates its lease in
        // place.
        if lease.user_context.is_empty() {
            if let Some(c) = current.as_ref().filter(|c| key.owns(c)) {
                lease.user_context.clone_from(&c.user_context);
            }
        }
        // The pool id of the address finally chosen (a callout may have
        // moved it); an address in no pool keeps its lease's (Kea).
        lease.pool_id = match (s.pool_of(lease.addr), &current) {
            (Some(p), _) => p.id,
            (None, Some(c)) => c.pool_id,
            (None, None) => 0,
        };

        // The address must be this client's or free; otherwise NAK. An
        // address chosen by a callout need not be in a pool (Kea); one in
        // a pool must be in a pool the client's classes allow, even when
        // it is the client's (Kea's `inAllowedPool`).
        let (own, hosts) = (ctx.host.as_deref(), &self.opts.hosts);
        let reserved_addr = own.and_then(|h| h.ip_address);
        let ok = alloc::available_with(hosts, s, &key, own, requested, ctx.now, current.as_ref())
            && (by_hook
                || Self::in_allowed_pool(ctx, requested)
                || reserved_addr == Some(requested)
                || (s.pool_of(requested).is_none()
                    && current.as_ref().is_some_and(|l| key.owns(l))));
        if !ok {
            // After our OFFER, an address now held by another client was
            // taken by another server meanwhile: a conflict.
            if state == "selecting"
                && current
                    .as_ref()
                    .is_some_and(|l| !l.expired(ctx.now) && !key.owns(l))
            {
                self.conflict(ctx.sidx, requested);
            }
            debug!(xid = format_args!("{:#010x}", q.xid()), addr = %requested, state, "requested address not available");
            return Ok(Some(self.nak(ctx)));
        }
        // A reservation for another address wins over a renewal: NAK so the
        // client comes back for its reserved address (Kea's behaviour).
        if let Some(r) = reserved_addr {
            if !by_hook
                && r != requested
                && alloc::available(store, hosts, s, &key, own, r, ctx.now)
            {
                return Ok(Some(self.nak(ctx)));
            }
        }

        let st = &self.subnet_stats[ctx.sidx];
        let previous = existing.filter(|p| p.addr != requested);
        let old = current;
        // Lease caching: the client's own lease, written recently enough
        // and with nothing important changed, is given again without a
        // write (nor DNS update); the ACK carries what is left of it.
        let reuse = match &old {
            Some(o) if renewing && !self.cfg_cache_off(ctx) => {
                Self::reuse_left(s, o, &lease, ctx.now)
            }
            _ => None,
        };
        let mut deleted: Option<Lease4>;
        if reuse.is_some() {
            deleted = None;
            add(&st.v4_lease_reuses, 1);
            self.stats.inc(Stat::V4LeaseReuses);
        } else {
            // Conditional writes: with several servers on one database, the
            // lease may have been taken since it was read above. So the
            // write happens only if the store still holds exactly the lease
            // read (or, for a new lease, nothing). The loser NAKs, so its
            // client starts again with another address.
            let taken = old.as_ref().is_some_and(|o| {
                !(o.expired(ctx.now) || (o.state != LeaseState::Declined && key.owns(o)))
            });
            let res = match &old {
                Some(_) if taken => Ok(false),
                Some(o) => store.update4_if(&lease, o),
                None => store.add4(&lease).map(|()| true),
            };
            match res {
                Ok(true) => {}
                Ok(false) | Err(LeaseError::Exists(_)) => {
                    self.conflict(ctx.sidx, requested);
                    debug!(xid = format_args!("{:#010x}", q.xid()), addr = %requested, "address taken meanwhile (another server?): NAK");
                    return Ok(Some(self.nak(ctx)));
                }
                Err(e) => {
                    crate::store_failed("lease not stored; no ACK", &requested, &e);
                    return Err(Drop4::StoreFailed);
                }
            }
            self.count_assignment(ctx, old.as_ref(), &key, requested);
            // The client moved to another address: its old lease goes.
            deleted = None;
            if let Some(prev) = previous {
                if let Ok(true) = store.delete4(prev.addr) {
                    if prev.state != LeaseState::ExpiredReclaimed {
                        self.unassign(&prev);
                    }
                    deleted = Some(prev);
                }
            }
            // DNS: the names of the leases that went, then the new one's
            // (Kea's `createNameChangeRequests`): nothing when a renewal
            // keeps its name, unless `ddns-update-on-renew`.
            if self.ddns_sink().is_some() {
                use ruru_ddns::ChangeType::{Add, Remove};
                let same = old.as_ref().is_some_and(|o| {
                    key.owns(o)
                        && o.hostname == lease.hostname
                        && o.fqdn_fwd == lease.fqdn_fwd
                        && o.fqdn_rev == lease.fqdn_rev
                });
                if let Some(prev) = &deleted {
                    self.queue_ncr(Remove, prev, q.htype);
                }
                if !same || Self::ddns_params(s, requested).update_on_renew {
                    if let Some(o) = &old {
                        let htype = if key.owns(o) { q.htype } else { 1 };
                        self.queue_ncr(Remove, o, htype);
                    }
                    self.queue_ncr(Add, &lease, q.htype);
                }
            }
        }
        // leases4_committed: the stored lease (and the one deleted).
        if let Some(h) = self.hooks_at(HookPoint::Leases4Committed) {
            let mut committed = match (&reuse, &old) {
                (Some(_), Some(o)) => o.clone(),
                _ => lease.clone(),
            };
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Leases4Committed, &mut pcm);
            a.query = Some(ctx.q);
            a.subnet_id = Some(s.id);
            a.lease = Some(&mut committed);
            if let Some(dl) = &deleted {
                a.text
                    .push(("deleted_leases4", format!("[\"{}\"]", dl.addr)));
            }
            a.park = Some(next_park_id());
            match h.call(&mut a) {
                NextStep::Drop => return Err(Drop4::Hook),
                NextStep::Park => ctx.fam.park.set(a.park),
                NextStep::Continue | NextStep::Skip => {}
            }
        }
        let mut d = Draft::new(5);
        d.yiaddr = requested;
        self.require_classes(ctx, requested);
        if let Some((code, data)) = name.option {
            d.add(code, data);
        }
        self.lease_options_with(ctx, &mut d, reuse.unwrap_or(valid));
        Ok(Some(d))
    }

    /// Whether the subnet has no lease caching (the common case: no store
    /// work for it).
    fn cfg_cache_off(&self, ctx: &Ctx<'_>) -> bool {
        ctx.subnet.cache == ruru_config::LeaseCache::default()
    }

    /// Another server took `addr` between our OFFER and this REQUEST:
    /// counted, and the pool's search leaves the place where it walks in
    /// step with that server.
    fn conflict(&self, sidx: usize, addr: Ipv4Addr) {
        self.stats.inc(Stat::V4AllocationConflicts);
        self.cursors[sidx].conflict(&self.cfg.subnets[sidx], addr);
    }

    fn assigned(&self, sidx: usize, addr: Ipv4Addr) {
        self.bump(sidx, addr, |st| {
            add(&st.assigned_addresses, 1);
            add(&st.cumulative_assigned_addresses, 1);
        });
        self.stats.inc(Stat::CumulativeAssignedAddresses);
    }

    /// Statistics for a lease that stops being assigned.
    fn unassign(&self, l: &Lease4) {
        if let Some(i) = self.subnet_index(l.subnet_id) {
            let declined = l.state == LeaseState::Declined;
            self.bump(i, l.addr, |st| {
                add(&st.assigned_addresses, -1);
                if declined {
                    add(&st.declined_addresses, -1);
                }
            });
            if declined {
                self.stats.add(Stat::DeclinedAddresses, -1);
            }
        }
    }

    fn nak(&self, ctx: &Ctx<'_>) -> Draft {
        let mut d = Draft::new(6);
        // RFC 2131 §4.3.2: a NAK through a relay has the broadcast bit set.
        d.broadcast = ctx.q.is_relayed();
        d
    }

    fn release(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Result<Option<Draft>, Drop4> {
        let key = self.key(ctx);
        let addr = ctx.q.ciaddr();
        match store.get4(addr) {
            Some(mut l) if key.owns(&l) && l.state == LeaseState::Default => {
                // lease4_release: SKIP keeps the lease.
                match self
                    .lease_hook(ctx, HookPoint::Lease4Release, &mut l, None)
                    .0
                {
                    NextStep::Continue => {}
                    NextStep::Skip => return Ok(None),
                    NextStep::Drop | NextStep::Park => return Err(Drop4::Hook),
                }
                match store.delete4(addr) {
                    Ok(_) => {
                        self.unassign(&l);
                        self.queue_ncr(ruru_ddns::ChangeType::Remove, &l, ctx.q.htype);
                        debug!(xid = format_args!("{:#010x}", ctx.q.xid()), %addr, "released");
                        Ok(None)
                    }
                    Err(e) => {
                        crate::store_failed("release not stored", &addr, &e);
                        Err(Drop4::StoreFailed)
                    }
                }
            }
            _ => {
                debug!(xid = format_args!("{:#010x}", ctx.q.xid()), %addr, "release for unknown lease ignored");
                Ok(None)
            }
        }
    }

    fn decline(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Result<Option<Draft>, Drop4> {
        let key = self.key(ctx);
        let Some(addr) = ctx.q.requested_ip else {
            return Err(Drop4::Invalid);
        };
        let Some(mut l) = store.get4(addr) else {
            return Ok(None);
        };
        if !key.owns(&l) || l.state != LeaseState::Default {
            return Ok(None);
        }
        // lease4_decline: SKIP leaves the lease as it is.
        match self
            .lease_hook(ctx, HookPoint::Lease4Decline, &mut l, None)
            .0
        {
            NextStep::Continue => {}
            NextStep::Skip => return Ok(None),
            NextStep::Drop | NextStep::Park => return Err(Drop4::Hook),
        }
        // lease4_decline: hold the address for the probation period, with no
        // client attached (Kea's Lease4::decline).
        let probation = self.cfg.decline_probation_period;
        let declined = Lease4 {
            hwaddr: Vec::new(),
            client_id: None,
            valid_lifetime: probation,
            expire: ctx.now + u64::from(probation),
            hostname: String::new(),
            fqdn_fwd: false,
            fqdn_rev: false,
            state: LeaseState::Declined,
            ..l.clone()
        };
        if let Err(e) = store.update4(&declined) {
            crate::store_failed("decline not stored", &addr, &e);
            return Err(Drop4::StoreFailed);
        }
        self.queue_ncr(ruru_ddns::ChangeType::Remove, &l, ctx.q.htype);
        self.bump(ctx.sidx, addr, |st| add(&st.declined_addresses, 1));
        self.stats.inc(Stat::DeclinedAddresses);
        tracing::info!(%addr, probation, "address declined by client");
        Ok(None)
    }

    fn inform(&self, ctx: &Ctx<'_>) -> Option<Draft> {
        let mut d = Draft::new(5);
        self.require_classes(ctx, Ipv4Addr::UNSPECIFIED);
        self.common_options(ctx, &mut d);
        Some(d)
    }
}

pub use reply::tee_times;

/// `aa:bb:cc` form of bytes, for logs.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{x:02x}"));
    }
    s
}

#[cfg(test)]
mod tests;
