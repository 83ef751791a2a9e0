//! DHCPv6's half of the packet pipeline (`crate::pipeline`): the hook
//! points and counters of its stages, RFC 8415 §16's identifier rules,
//! Kea's subnet selection, the reservation lookup (`host6_identifier`),
//! the dispatch to the message handlers with the unicast rules and
//! `leases6_committed`, and the reply's last steps (identifiers and
//! options, encoding, Relay-reply wrapping, destination, sent counters)
//! and log lines.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::net::Ipv6Addr;

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode, Status};
use ruru_config::{ClientClass6, HostId6, HostIdType, Reservation6, Subnet6};
use ruru_lease::{Lease6, LeaseStore, LeaseType6};
use serde_json::json;
use tracing::debug;

use super::hosts;
use super::packet::{self, Query6};
use super::reply::{self, status};
use super::{ias, Commits, Ctx, Drop6, Engine6, Outcome6, Parked6, RecvMeta6, Reply6};
use crate::classify::{self, view6::Raw6, ClassSet};
use crate::hooks::{next_park_id, HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
use crate::pipeline::{Family, Handled, Stage};
use crate::stats::{Stat, Stats};

// The per-packet steps are `#[inline]`: the generic pipeline calling them
// may be instantiated in another codegen unit, where these non-generic
// functions are not inlined without the hint (about 0.5% more instructions
// per exchange in `examples/exchange_cost` under callgrind). The cold ones
// (logs, the subnet list for `subnetN_select`) are left out.
impl Family for Engine6 {
    type Query = Query6;
    type ParseError = packet::ParseError6;
    type Meta = RecvMeta6;
    type Subnet = Subnet6;
    type Host = Reservation6;
    type Draft = v6::Message;
    type Drop = Drop6;
    type State = Commits;
    type Reply = Reply6;
    type Raw<'a> = Raw6<'a>;
    type Class = ClientClass6;
    type Outcome = Outcome6;

    const RECEIVED: Stat = Stat::Pkt6Received;
    const RECEIVE_DROP: Stat = Stat::Pkt6ReceiveDrop;
    const SENT: Stat = Stat::Pkt6Sent;
    const BUFFER_RECEIVE: HookPoint = HookPoint::Buffer6Receive;
    const PKT_RECEIVE: HookPoint = HookPoint::Pkt6Receive;
    const SUBNET_SELECT: HookPoint = HookPoint::Subnet6Select;
    const SUBNET_COLLECTION: &'static str = "subnet6collection";
    const PKT_SEND: HookPoint = HookPoint::Pkt6Send;
    const BUFFER_SEND: HookPoint = HookPoint::Buffer6Send;
    const PARSE_FAILED: Drop6 = Drop6::ParseFailed;
    const NO_SUBNET: Drop6 = Drop6::NoSubnet;
    const HOOK: Drop6 = Drop6::Hook;
    const UNENCODABLE: Drop6 = Drop6::Invalid;
    const CLASS_DROP: Drop6 = Drop6::Class;
    const HA_SCOPE: Drop6 = Drop6::HaScope;

    #[inline]
    fn counters(&self) -> &Stats {
        &self.stats
    }

    #[inline]
    fn hooks(&self) -> Option<&dyn HookDispatch> {
        self.opts.hooks.as_deref()
    }

    #[inline]
    fn subnets(&self) -> &[Subnet6] {
        &self.cfg.subnets
    }

    #[inline]
    fn ha_server_name(s: &Subnet6) -> &ruru_config::HaServerName {
        &s.ha_server_name
    }

    fn subnet_id(s: &Subnet6) -> u32 {
        s.id
    }

    fn subnet_collection(&self) -> &str {
        self.subnet_collection.get_or_init(|| {
            crate::hooks::subnet_collection(
                self.cfg
                    .subnets
                    .iter()
                    .map(|s| (s.id, format!("{}/{}", s.addr, s.prefix_len))),
            )
        })
    }

    /// An Information-request needs no subnet (RFC 8415 §18.3.6; Kea
    /// answers it with the global options).
    #[inline]
    fn no_subnet(&self, q: &Query6) -> Option<&Subnet6> {
        // A DHCPV4-QUERY needs no DHCPv6 subnet: its DHCPv4 side selects
        // a DHCPv4 one.
        matches!(
            q.msg_type,
            MessageType::InformationRequest | MessageType::DHCPv4Query
        )
        .then_some(&self.no_subnet)
    }

    #[inline]
    fn raw<'a>(buf: &'a [u8], q: &'a Query6, meta: &'a RecvMeta6) -> Raw6<'a> {
        Raw6::new(buf, q, meta)
    }

    #[inline]
    fn classifies(&self) -> bool {
        self.classify
    }

    #[inline]
    fn class_plan(&self) -> &classify::Plan {
        &self.class_plan
    }

    #[inline]
    fn class_defs(&self) -> &[ClientClass6] {
        &self.cfg.client_classes
    }

    #[inline]
    fn host_classes(h: &Reservation6) -> &[String] {
        &h.client_classes
    }

    fn parse(&self, buf: &[u8]) -> Result<Query6, packet::ParseError6> {
        packet::parse(buf)
    }

    #[inline]
    fn count_received(&self, q: &Query6) {
        self.stats.inc(match q.msg_type {
            MessageType::Solicit => Stat::Pkt6SolicitReceived,
            MessageType::Request => Stat::Pkt6RequestReceived,
            MessageType::Renew => Stat::Pkt6RenewReceived,
            MessageType::Rebind => Stat::Pkt6RebindReceived,
            MessageType::Release => Stat::Pkt6ReleaseReceived,
            MessageType::Decline => Stat::Pkt6DeclineReceived,
            MessageType::Confirm => Stat::Pkt6ConfirmReceived,
            MessageType::InformationRequest => Stat::Pkt6InfrequestReceived,
            MessageType::DHCPv4Query => Stat::Pkt6Dhcpv4QueryReceived,
            MessageType::DHCPv4Response => Stat::Pkt6Dhcpv4ResponseReceived,
            _ => Stat::Pkt6UnknownReceived,
        });
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
    }

    #[inline]
    fn set_query<'a>(a: &mut HookArgs<'a>, q: &'a Query6) {
        a.query6 = Some(q);
    }

    #[inline]
    fn set_response<'a>(a: &mut HookArgs<'a>, d: &'a mut v6::Message) {
        a.response6 = Some(d);
    }

    /// RFC 8415 §16: identifier rules per message type.
    #[inline]
    fn options_parse(&self, raw: &Raw6<'_>) -> bool {
        raw.vendor_classes_parse(self.cfg.compatibility.lenient_option_parsing)
    }

    fn check(&self, q: &Query6, _meta: &RecvMeta6) -> Result<(), Drop6> {
        use MessageType as M;
        let sid_ok = |sid: &Option<Vec<u8>>| sid.as_deref() == Some(&self.opts.server_duid[..]);
        match q.msg_type {
            M::Solicit | M::Rebind | M::Confirm => {
                if q.client_id.is_none() || q.server_id.is_some() {
                    return Err(Drop6::Invalid);
                }
            }
            M::Request | M::Renew | M::Release | M::Decline => {
                if q.client_id.is_none() || q.server_id.is_none() {
                    return Err(Drop6::Invalid);
                }
                if !sid_ok(&q.server_id) {
                    return Err(Drop6::NotForUs);
                }
            }
            // A DHCPV4-QUERY's identifiers are optional (Kea checks it as
            // an Information-request).
            M::InformationRequest | M::DHCPv4Query => {
                if q.server_id.is_some() && !sid_ok(&q.server_id) {
                    return Err(Drop6::NotForUs);
                }
            }
            _ => return Err(Drop6::NotForServer),
        }
        Ok(())
    }

    /// Subnet selection (Kea's order): relayed → interface-id, then
    /// `relay.ip-addresses`, then the subnet containing the innermost
    /// relay's link-address; direct → the receiving interface.
    #[inline]
    fn select_subnet(&self, q: &Query6, meta: &RecvMeta6, classes: &ClassSet<'_>) -> Option<usize> {
        let subnets = &self.cfg.subnets;
        // Kea skips the subnets whose client-class the packet is not in.
        let find = |f: &dyn Fn(&Subnet6) -> bool| first_allowed(subnets, &self.by_id, classes, f);
        if let Some(r) = q.inner_relay() {
            if let Some(id) = r.interface_id() {
                if let Some(i) = find(&|s: &Subnet6| s.interface_id.as_deref() == Some(id)) {
                    return Some(i);
                }
            }
            if let Some(i) = find(&|s: &Subnet6| s.relay_addresses.contains(&r.link_addr)) {
                return Some(i);
            }
            if !r.link_addr.is_unspecified() {
                return find(&|s: &Subnet6| s.contains(r.link_addr));
            }
            return None;
        }
        let ifname = meta.iface.as_deref()?;
        find(&|s: &Subnet6| s.interface.as_deref() == Some(ifname))
    }

    #[inline]
    fn network_members(&self, sidx: usize) -> &[usize] {
        self.members.get(sidx).map_or(&[], |m| &m[..])
    }

    fn early_global_host(&self, q: &Query6, meta: &RecvMeta6) -> Option<Cow<'_, Reservation6>> {
        if !self.cfg.early_global_reservations_lookup {
            return None;
        }
        let duid = q.client_id.as_deref().filter(|d| !d.is_empty())?;
        // The `hw-address` identifier: the MAC `mac-sources` finds.
        let mac = super::mac::client_mac(q, meta, &self.cfg.mac_sources);
        let ll = mac.as_ref().map(|m| &m.addr[..]);
        let ids: Vec<HostId6> = self
            .cfg
            .host_reservation_identifiers
            .iter()
            .filter_map(|k| match k {
                HostIdType::Duid => Some(HostId6::Duid(duid.to_vec())),
                HostIdType::HwAddress => ll.map(|ll| HostId6::HwAddress(ll.to_vec())),
                _ => None,
            })
            .collect();
        ids.iter()
            .find_map(|id| self.cfg.reservations.get(id))
            .map(Cow::Borrowed)
            .or_else(|| {
                Some(&self.opts.hosts)
                    .filter(|h| !h.is_empty())
                    .and_then(|h| h.get6(0, &ids, &self.cfg.option_defs))
                    .map(Cow::Owned)
            })
    }

    /// The subnet holding an address or prefix the client lists (not in
    /// a Solicit), else the one holding its lease, else the one with its
    /// DUID reservation (in the configuration, then in the host
    /// databases), else the one whose pool
    /// holds an address or prefix a Solicit asks for.
    fn preferred_member(
        &self,
        store: &dyn LeaseStore,
        q: &Query6,
        members: &[usize],
        sidx: usize,
    ) -> usize {
        let subnets = &self.cfg.subnets;
        let listed: Vec<(LeaseType6, Ipv6Addr, u8)> = ias(q)
            .into_iter()
            .flat_map(|ia| ia.listed.into_iter().map(move |(a, l)| (ia.kind, a, l)))
            .filter(|(_, a, _)| !a.is_unspecified())
            .collect();
        let holds = |s: &Subnet6, kind: LeaseType6, a: Ipv6Addr, len: u8, pool: bool| match kind {
            LeaseType6::Pd => s.pd_pools.iter().any(|p| p.contains(a, len)),
            _ if pool => s.pools.iter().any(|p| p.contains(a)),
            _ => s.contains(a),
        };
        let solicit = q.msg_type == MessageType::Solicit;
        if !solicit {
            for &(kind, a, len) in &listed {
                if let Some(m) = members
                    .iter()
                    .copied()
                    .find(|&m| holds(&subnets[m], kind, a, len, false))
                {
                    return m;
                }
            }
        }
        let duid = q.client_id.as_deref().unwrap_or_default();
        if !duid.is_empty() {
            let leased = store
                .get6_by_duid(duid)
                .into_iter()
                .filter(|l| l.state == ruru_lease::LeaseState::Default)
                .filter_map(|l| {
                    let m = members
                        .iter()
                        .copied()
                        .find(|&m| subnets[m].id == l.subnet_id)?;
                    Some((l.expire, m))
                })
                .max_by_key(|(expire, _)| *expire);
            if let Some((_, m)) = leased {
                return m;
            }
            let id = HostId6::Duid(duid.to_vec());
            if let Some(m) = members.iter().copied().find(|&m| {
                subnets[m].host_modes.in_subnet && subnets[m].reservations.get(&id).is_some()
            }) {
                return m;
            }
            let ids = [id];
            // Then the host databases, subnet by subnet (one query each).
            if !self.opts.hosts.is_empty() {
                if let Some(m) = members.iter().copied().find(|&m| {
                    subnets[m].host_modes.in_subnet
                        && self
                            .opts
                            .hosts
                            .get6(subnets[m].id, &ids, &self.cfg.option_defs)
                            .is_some()
                }) {
                    return m;
                }
            }
            // Then a global reservation's first address picks the member
            // holding it.
            if subnets[sidx].host_modes.global {
                let global = self
                    .cfg
                    .reservations
                    .get(&ids[0])
                    .map(Cow::Borrowed)
                    .or_else(|| {
                        Some(&self.opts.hosts)
                            .filter(|h| !h.is_empty())
                            .and_then(|h| h.get6(0, &ids, &self.cfg.option_defs))
                            .map(Cow::Owned)
                    });
                if let Some(a) = global.and_then(|h| h.ip_addresses.first().copied()) {
                    if let Some(m) = members.iter().copied().find(|&m| subnets[m].contains(a)) {
                        return m;
                    }
                }
            }
        }
        for &(kind, a, len) in listed.iter().filter(|_| solicit) {
            if let Some(m) = members
                .iter()
                .copied()
                .find(|&m| holds(&subnets[m], kind, a, len, true))
            {
                return m;
            }
        }
        sidx
    }

    #[inline]
    fn subnet_allows(&self, sidx: usize, classes: &ClassSet<'_>) -> bool {
        self.cfg
            .subnets
            .get(sidx)
            .is_some_and(|s| allowed(s, classes))
    }

    /// Every IA tries each subnet of the network itself
    /// (`super::network`), so a message never moves on to the next one
    /// as a whole (`Family::exhausted` stays false); the reply is
    /// finished in the subnet of the last IA served, as Kea's is.
    fn reply_member<'a>(&'a self, ctx: &Ctx<'a>) -> Option<(usize, Option<Cow<'a, Reservation6>>)> {
        let m = ctx.fam.moved.get().filter(|&m| m != ctx.sidx)?;
        let s = self.cfg.subnets.get(m)?;
        Some((m, self.member_host(ctx, s)))
    }

    /// Reservation by DUID, by the link-layer address `mac-sources` finds,
    /// then by the flexible identifier a `host6_identifier` callout
    /// computes (called only when the subnet has flex-id reservations or
    /// there is a host database): in the subnet's reservations at each
    /// step, then with all those identifiers in the host databases.
    #[inline]
    fn find_host<'a>(
        &'a self,
        q: &Query6,
        meta: &RecvMeta6,
        s: &'a Subnet6,
        pc: &RefCell<PacketContext>,
        builtin: Option<Vec<u8>>,
        fam: &Commits,
    ) -> Option<Cow<'a, Reservation6>> {
        if !self.may_have_host(s) {
            return None;
        }
        let kinds = &self.cfg.host_reservation_identifiers;
        let global = &self.cfg.reservations;
        let dbs = !self.opts.hosts.is_empty() && s.id != 0;
        let has_flex = kinds.contains(&HostIdType::Flex)
            && (dbs
                || [&s.reservations, global]
                    .iter()
                    .any(|r| r.hosts.iter().any(|h| matches!(h.id, HostId6::Flex(_)))));
        // The built-in flex-id's identifier, which the callouts see and
        // may replace (as if the built-in library were listed first).
        let mut flex = builtin.filter(|_| has_flex);
        if let Some(h) = self
            .hooks_at(HookPoint::Host6Identifier)
            .filter(|_| has_flex)
        {
            let mut pcm = pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Host6Identifier, &mut pcm);
            a.query6 = Some(q);
            a.id_type = Some(4);
            a.id_value = Some(flex.take().unwrap_or_default());
            if h.call(&mut a) != NextStep::Continue {
                return None;
            }
            flex = a.id_value.take().filter(|v| !v.is_empty());
        }
        let ids = self.host_ids(q, meta, flex);
        let found = self.host_with_ids(s, &ids);
        // The other subnets of a shared network look the client up with
        // the same identifiers (`super::network`).
        if s.network.is_some() {
            *fam.ids.borrow_mut() = Some(ids);
        }
        found
    }

    #[inline]
    fn flex_replace_expr(&self) -> Option<&ruru_classify::Expr> {
        self.cfg
            .flex_id
            .as_ref()
            .filter(|f| f.replace_client_id)
            .and_then(|f| f.expr.as_deref())
    }

    fn with_flex_client_id(q: &Query6, flex: &[u8]) -> Query6 {
        let mut id = vec![0, 0];
        id.extend_from_slice(flex);
        let mut out = q.clone();
        out.original_client_id = Some(out.client_id.replace(id));
        out
    }

    fn flex_id_expr(&self) -> Option<&ruru_classify::Expr> {
        self.cfg.flex_id.as_ref().and_then(|f| f.expr.as_deref())
    }

    #[inline]
    fn flex_options(&self) -> &[ruru_config::FlexOption] {
        &self.cfg.flex_options
    }

    #[inline]
    fn new_state(&self) -> Commits {
        Commits {
            track: self.hooks_at(HookPoint::Leases6Committed).is_some(),
            committed: RefCell::new(Vec::new()),
            deleted: RefCell::new(Vec::new()),
            name: RefCell::new(None),
            ids: RefCell::new(None),
            moved: Cell::new(None),
        }
    }

    /// The unicast rules, the message's handler, then `leases6_committed`
    /// for an exchange that stored leases.
    #[inline]
    fn handle(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Handled<Self> {
        use MessageType as M;
        let q = ctx.q;
        // DHCPv4-over-DHCPv6 (RFC 7341): a DHCPV4-QUERY may be unicast.
        if q.msg_type == M::DHCPv4Query {
            return self.dhcp4o6(ctx);
        }
        // RFC 8415 §16 and §18.3: a client (not a relay) may not unicast to
        // a server that sent it no Server Unicast option (ruru sends one
        // only when the configuration has option 12 `unicast`: then, as
        // Kea, it serves a unicast Request, Renew, Release or Decline).
        if q.relays.is_empty() && ctx.meta.dst.is_some_and(|d| !d.is_multicast()) {
            return match q.msg_type {
                M::Request | M::Renew | M::Release | M::Decline if self.unicast_configured => {
                    self.handle_message(store, ctx)
                }
                M::Request | M::Renew | M::Release | M::Decline => {
                    let mut r = v6::Message::new_with_id(MessageType::Reply, q.msg.xid());
                    r.opts_mut().insert(status(
                        Status::UseMulticast,
                        "Use multicast to reach this server",
                    ));
                    r.opts_mut()
                        .insert(DhcpOption::ServerId(self.opts.server_duid.clone()));
                    r.opts_mut()
                        .insert(DhcpOption::ClientId(ctx.sent_duid().to_vec()));
                    Handled::Encode(r)
                }
                _ => Handled::Drop(Drop6::Unicast),
            };
        }
        self.handle_message(store, ctx)
    }

    #[inline]
    fn complete(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) {
        self.reply_options(ctx, reply);
    }

    #[inline]
    fn encode(&self, ctx: &Ctx<'_>, reply: &v6::Message) -> Option<Vec<u8>> {
        reply::encode(reply, &ctx.q.relays)
    }

    #[inline]
    fn reply(&self, ctx: &Ctx<'_>, reply: v6::Message, bytes: Vec<u8>) -> Reply6 {
        let msg_type = u8::from(reply.msg_type());
        let dest = reply::destination(ctx.q, ctx.meta, self.opts.client_port);
        match msg_type {
            2 => self.stats.inc(Stat::Pkt6AdvertiseSent),
            7 => self.stats.inc(Stat::Pkt6ReplySent),
            21 => self.stats.inc(Stat::Pkt6Dhcpv4ResponseSent),
            _ => {}
        }
        debug!(xid = format_args!("{:#08x}", ctx.q.xid()), msg_type, dest = %dest, "DHCPv6 reply");
        Reply6 {
            bytes,
            dest,
            msg_type,
        }
    }

    #[inline]
    fn drop_stat(why: Drop6) -> Option<Stat> {
        match why {
            Drop6::ParseFailed => Some(Stat::Pkt6ParseFailed),
            Drop6::Hook => Some(Stat::Pkt6DropHook),
            Drop6::Class => Some(Stat::Pkt6DropClass),
            Drop6::StoreFailed => Some(Stat::Pkt6DropStoreFailed),
            _ => None,
        }
    }

    fn log_malformed(meta: &RecvMeta6, e: &packet::ParseError6) {
        debug!(src = %meta.src, error = %e, "malformed DHCPv6 message");
    }

    fn log_drop(q: Option<&Query6>, why: Drop6) {
        match q {
            Some(q) => {
                debug!(xid = format_args!("{:#08x}", q.xid()), reason = ?why, "DHCPv6 message dropped")
            }
            None => debug!(reason = ?why, "DHCPv6 message dropped"),
        }
    }

    fn log_parked(q: &Query6, id: u64, stage: Stage) {
        debug!(
            xid = format_args!("{:#08x}", q.xid()),
            id,
            ?stage,
            "DHCPv6 reply parked by a hook library"
        );
    }

    #[inline]
    fn replied(r: Reply6) -> Outcome6 {
        Outcome6::Reply(r)
    }

    #[inline]
    fn dropped(why: Drop6) -> Outcome6 {
        Outcome6::Drop(why)
    }

    #[inline]
    fn parked(_fam: &Self::State, p: Box<Parked6>) -> Outcome6 {
        Outcome6::Parked(p)
    }
}

/// The `leases6` / `deleted_leases6` argument: a JSON array with the
/// fields of Kea's lease6 JSON that identify and time a lease.
fn leases_json(leases: &[Lease6]) -> String {
    let list: Vec<_> = leases
        .iter()
        .map(|l| {
            json!({
                "ip-address": l.address.to_string(),
                "type": match l.lease_type { LeaseType6::Pd => "IA_PD", LeaseType6::Ta => "IA_TA", _ => "IA_NA" },
                "prefix-len": l.prefix_len,
                "iaid": l.iaid,
                "subnet-id": l.subnet_id,
                "valid-lft": l.valid_lifetime,
                "preferred-lft": l.pref_lifetime,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// The index of the first subnet that `f` accepts and whose
/// `client-class` guard lets a packet in `classes` in.
#[inline]
fn first_allowed(
    subnets: &[Subnet6],
    order: &[usize],
    classes: &ClassSet<'_>,
    f: &dyn Fn(&Subnet6) -> bool,
) -> Option<usize> {
    order
        .iter()
        .copied()
        .find(|&i| subnets.get(i).is_some_and(|s| f(s) && allowed(s, classes)))
}

/// Whether the `client-class` guards of `s` and of its shared network let
/// a packet in `classes` use it.
#[inline]
fn allowed(s: &Subnet6, classes: &ClassSet<'_>) -> bool {
    (s.classes.client_classes.is_empty() || classify::allowed(&s.classes.client_classes, classes))
        && s.network.as_ref().is_none_or(|n| {
            n.client_classes.is_empty() || classify::allowed(&n.client_classes, classes)
        })
}

impl Engine6 {
    /// Whether a reservation of the client may be found in subnet `s`:
    /// some are configured in it or globally where its reservation flags
    /// look, or a host database is there to ask.
    #[inline]
    pub(super) fn may_have_host(&self, s: &Subnet6) -> bool {
        let modes = s.host_modes;
        let dbs = !self.opts.hosts.is_empty() && s.id != 0;
        let subnet_hosts = modes.in_subnet && !s.reservations.hosts.is_empty();
        let global_hosts = modes.global && !self.cfg.reservations.hosts.is_empty();
        subnet_hosts || global_hosts || dbs && (modes.in_subnet || modes.global)
    }

    /// The client's identifiers, in `host-reservation-identifiers` order:
    /// its DUID, the link-layer address `mac-sources` finds, and `flex`
    /// (the flexible identifier, when computed).
    pub(super) fn host_ids(
        &self,
        q: &Query6,
        meta: &RecvMeta6,
        mut flex: Option<Vec<u8>>,
    ) -> Vec<HostId6> {
        let duid = q.client_id.as_deref().unwrap_or_default();
        let mut ids: Vec<HostId6> = Vec::new();
        for kind in &self.cfg.host_reservation_identifiers {
            match kind {
                HostIdType::Duid if !duid.is_empty() => ids.push(HostId6::Duid(duid.to_vec())),
                HostIdType::HwAddress => {
                    // The MAC `mac-sources` finds (Kea's ctx.hwaddr_).
                    let mac = super::mac::client_mac(q, meta, &self.cfg.mac_sources);
                    ids.extend(mac.map(|m| HostId6::HwAddress(m.addr)));
                }
                HostIdType::Flex => ids.extend(flex.take().map(HostId6::Flex)),
                _ => {}
            }
        }
        ids
    }

    /// The reservation of the client with identifiers `ids` in subnet
    /// `s`. As Kea 2.2: the subnet's reservation (configuration, then
    /// databases) wins over a global one (configuration, then the
    /// databases' rows of subnet id 0).
    pub(super) fn host_with_ids<'a>(
        &'a self,
        s: &'a Subnet6,
        ids: &[HostId6],
    ) -> Option<Cow<'a, Reservation6>> {
        let modes = s.host_modes;
        // Subnet 0 is the no-subnet of an Information-request.
        let dbs = Some(&self.opts.hosts).filter(|h| !h.is_empty() && s.id != 0);
        if modes.in_subnet {
            let found = ids
                .iter()
                .find_map(|id| s.reservations.get(id))
                .map(Cow::Borrowed)
                .or_else(|| {
                    dbs.and_then(|d| d.get6(s.id, ids, &self.cfg.option_defs))
                        .map(Cow::Owned)
                });
            if let Some(h) = found {
                return Some(hosts::usable_in_subnet6(s, h));
            }
        }
        if !modes.global {
            return None;
        }
        ids.iter()
            .find_map(|id| self.cfg.reservations.get(id))
            .map(Cow::Borrowed)
            .or_else(|| {
                dbs.and_then(|d| d.get6(0, ids, &self.cfg.option_defs))
                    .map(Cow::Owned)
            })
            .map(|h| hosts::usable_global6(s, h))
    }

    /// The message's handler, then `leases6_committed` for an exchange
    /// that stored leases.
    #[inline]
    pub(super) fn handle_message(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Handled<Self> {
        use MessageType as M;
        let q = ctx.q;
        let mut reply = v6::Message::new_with_id(MessageType::Reply, q.msg.xid());
        let result = match q.msg_type {
            M::Solicit if q.rapid_commit && ctx.subnet.rapid_commit => {
                reply.opts_mut().insert(DhcpOption::RapidCommit);
                self.assign(store, ctx, &mut reply, true)
            }
            M::Solicit => {
                reply.set_msg_type(MessageType::Advertise);
                self.assign(store, ctx, &mut reply, false)
            }
            M::Request => self.assign(store, ctx, &mut reply, true),
            M::Renew | M::Rebind => self.extend(store, ctx, &mut reply),
            M::Release => self.release(store, ctx, &mut reply),
            M::Decline => self.decline(store, ctx, &mut reply),
            M::Confirm => self.confirm(ctx, &mut reply),
            _ => Ok(()),
        };
        if let Err(why) = result {
            return Handled::Drop(why);
        }
        // Served from another subnet of the shared network: what follows
        // is that subnet's.
        let m = ctx.fam.moved.get().unwrap_or(ctx.sidx);
        match self.in_member(ctx, m, true, |c| self.after_leases(c, &mut reply)) {
            Ok(None) => {}
            Ok(Some(id)) => return Handled::Parked(id, reply),
            Err(why) => return Handled::Drop(why),
        }
        Handled::Reply(reply)
    }

    /// The steps after a message's leases: the Client FQDN answer, Kea's
    /// requiredClassify and `leases6_committed` (`Ok(Some(id))`: a
    /// callout parked the reply under `id`).
    fn after_leases(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) -> Result<Option<u64>, Drop6> {
        use MessageType as M;
        let q = ctx.q;
        if matches!(q.msg_type, M::Solicit | M::Request | M::Renew | M::Rebind) {
            self.name_option(ctx, reply);
        }
        // Kea's requiredClassify, once the leases are chosen (before
        // leases6_committed may park the reply with its classes).
        self.require_classes(ctx, reply);
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
                    let mut pcm = ctx.pc.borrow_mut();
                    let mut a = HookArgs::new(HookPoint::Leases6Committed, &mut pcm);
                    a.query6 = Some(q);
                    a.subnet_id = Some(ctx.subnet.id);
                    a.text
                        .push(("leases6", leases_json(&ctx.fam.committed.borrow())));
                    a.text
                        .push(("deleted_leases6", leases_json(&ctx.fam.deleted.borrow())));
                    a.park = Some(next_park_id());
                    (h.call(&mut a), a.park)
                };
                match (step, id) {
                    (NextStep::Continue | NextStep::Skip, _) => {}
                    (NextStep::Park, Some(id)) => return Ok(Some(id)),
                    _ => return Err(Drop6::Hook),
                }
            }
        }
        Ok(None)
    }
}
