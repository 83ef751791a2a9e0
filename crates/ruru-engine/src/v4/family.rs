//! DHCPv4's half of the packet pipeline (`crate::pipeline`): the hook
//! points and counters of its stages, the checks of a query (opcode,
//! message type, client identity, server identifier), Kea's subnet
//! selection (and which subnet of a shared network a client starts with),
//! the reservation lookup (`host4_identifier`), the dispatch to
//! the message handlers, and the reply's last steps (options 53 and 54,
//! encoding, destination, sent counters) and log lines.

use std::borrow::Cow;
use std::cell::RefCell;
use std::net::Ipv4Addr;

use dhcproto::v4::{MessageType, Opcode};
use ruru_config::{ClientClass4, HostId, HostIdType, Reservation4, Subnet4};
use ruru_lease::LeaseStore;
use tracing::debug;

use super::alloc::ClientKey;
use super::hosts;
use super::packet::{self, Query4};
use super::ping::Exchange4;
use super::reply::{self, Draft};
use super::{hex, Ctx, Drop4, Engine4, Outcome4, Parked4, RecvMeta, Reply4};
use crate::classify::{self, view4::Raw4, ClassSet};
use crate::hooks::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
use crate::pipeline::{Family, Handled, Stage};
use crate::stats::{Stat, Stats};

// The per-packet steps are `#[inline]`: the generic pipeline calling them
// may be instantiated in another codegen unit, where these non-generic
// functions are not inlined without the hint (about 0.5% more instructions
// per exchange in `examples/exchange_cost` under callgrind). The cold ones
// (logs, the subnet list for `subnetN_select`) are left out.
impl Family for Engine4 {
    type Query = Query4;
    type ParseError = packet::ParseError;
    type Meta = RecvMeta;
    type Subnet = Subnet4;
    type Host = Reservation4;
    type Draft = Draft;
    type Drop = Drop4;
    /// Set when a `leases4_committed` callout parked the reply, or the
    /// OFFER waits for the ping check of its address.
    type State = Exchange4;
    type Reply = Reply4;
    type Raw<'a> = Raw4<'a>;
    type Class = ClientClass4;
    type Outcome = Outcome4;

    const RECEIVED: Stat = Stat::Pkt4Received;
    const RECEIVE_DROP: Stat = Stat::Pkt4ReceiveDrop;
    const SENT: Stat = Stat::Pkt4Sent;
    const BUFFER_RECEIVE: HookPoint = HookPoint::Buffer4Receive;
    const PKT_RECEIVE: HookPoint = HookPoint::Pkt4Receive;
    const SUBNET_SELECT: HookPoint = HookPoint::Subnet4Select;
    const SUBNET_COLLECTION: &'static str = "subnet4collection";
    const PKT_SEND: HookPoint = HookPoint::Pkt4Send;
    const BUFFER_SEND: HookPoint = HookPoint::Buffer4Send;
    const PARSE_FAILED: Drop4 = Drop4::ParseFailed;
    const NO_SUBNET: Drop4 = Drop4::NoSubnet;
    const HOOK: Drop4 = Drop4::Hook;
    const UNENCODABLE: Drop4 = Drop4::Invalid;
    const CLASS_DROP: Drop4 = Drop4::Class;
    const HA_SCOPE: Drop4 = Drop4::HaScope;

    #[inline]
    fn counters(&self) -> &Stats {
        &self.stats
    }

    #[inline]
    fn hooks(&self) -> Option<&dyn HookDispatch> {
        self.opts.hooks.as_deref()
    }

    #[inline]
    fn subnets(&self) -> &[Subnet4] {
        &self.cfg.subnets
    }

    #[inline]
    fn ha_server_name(s: &Subnet4) -> &ruru_config::HaServerName {
        &s.ha_server_name
    }

    fn subnet_id(s: &Subnet4) -> u32 {
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

    #[inline]
    fn no_subnet(&self, _q: &Query4) -> Option<&Subnet4> {
        None
    }

    #[inline]
    fn parse(&self, buf: &[u8]) -> Result<Query4, packet::ParseError> {
        packet::parse_with(buf, self.cfg.bootp)
    }

    #[inline]
    fn receive_class(&self, q: &Query4) -> Option<&'static str> {
        q.bootp.then_some("BOOTP")
    }

    fn recover(
        &self,
        store: &dyn LeaseStore,
        buf: &[u8],
        q: &Query4,
        now: u64,
    ) -> Option<(Vec<u8>, Query4)> {
        if !self.cfg.stash_agent_options {
            return None;
        }
        super::stash::recover(store, buf, q, now)
    }

    #[inline]
    fn raw<'a>(buf: &'a [u8], q: &'a Query4, meta: &'a RecvMeta) -> Raw4<'a> {
        Raw4::new(buf, q, meta)
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
    fn class_defs(&self) -> &[ClientClass4] {
        &self.cfg.client_classes
    }

    #[inline]
    fn host_classes(h: &Reservation4) -> &[String] {
        &h.client_classes
    }

    #[inline]
    fn count_received(&self, q: &Query4) {
        self.stats.inc(match q.msg_type {
            MessageType::Discover => Stat::Pkt4DiscoverReceived,
            MessageType::Request => Stat::Pkt4RequestReceived,
            MessageType::Release => Stat::Pkt4ReleaseReceived,
            MessageType::Decline => Stat::Pkt4DeclineReceived,
            MessageType::Inform => Stat::Pkt4InformReceived,
            MessageType::Offer => Stat::Pkt4OfferReceived,
            MessageType::Ack => Stat::Pkt4AckReceived,
            MessageType::Nak => Stat::Pkt4NakReceived,
            _ => Stat::Pkt4UnknownReceived,
        });
    }

    #[inline]
    fn set_query<'a>(a: &mut HookArgs<'a>, q: &'a Query4) {
        a.query = Some(q);
    }

    #[inline]
    fn set_response<'a>(a: &mut HookArgs<'a>, d: &'a mut Draft) {
        a.response = Some(d);
    }

    #[inline]
    fn options_parse(&self, raw: &Raw4<'_>) -> bool {
        raw.vendor_class_parses(self.cfg.compatibility.lenient_option_parsing)
    }

    fn check(&self, q: &Query4, meta: &RecvMeta) -> Result<(), Drop4> {
        if q.msg.opcode() != Opcode::BootRequest {
            return Err(Drop4::NotBootRequest);
        }
        match q.msg_type {
            MessageType::Discover
            | MessageType::Request
            | MessageType::Release
            | MessageType::Decline
            | MessageType::Inform => {}
            MessageType::Offer | MessageType::Ack | MessageType::Nak => {
                return Err(Drop4::ServerMessage)
            }
            _ => return Err(Drop4::UnknownMessageType),
        }
        if q.hwaddr.is_empty() && q.client_id.is_none() {
            return Err(Drop4::NoClientIdentity);
        }
        // Kea's acceptServerId: a server identifier that is not ours means
        // the message is for another server (unless
        // `compatibility.ignore-dhcp-server-identifier`).
        if let Some(sid) = q
            .server_id
            .filter(|_| !self.cfg.compatibility.ignore_dhcp_server_identifier)
        {
            if sid != meta.local
                && !self.opts.server_addrs.contains(&sid)
                && !self.configured_server_ids.contains(&sid)
            {
                return Err(Drop4::NotForUs);
            }
        }
        if q.msg_type == MessageType::Discover && q.server_id.is_some() {
            return Err(Drop4::Invalid);
        }
        Ok(())
    }

    /// Kea's subnet selection for DHCPv4.
    #[inline]
    fn select_subnet(&self, q: &Query4, meta: &RecvMeta, classes: &ClassSet<'_>) -> Option<usize> {
        if let Some(over) = &meta.over6 {
            return self.select_4o6(over);
        }
        let subnets = &self.cfg.subnets;
        // Kea skips the subnets whose client-class the packet is not in.
        let find = |f: &dyn Fn(&Subnet4) -> bool| first_allowed(subnets, &self.by_id, classes, f);
        // `compatibility.ignore-rai-link-selection`: option 82's Link
        // Selection is set aside, option 118 still counts (Kea).
        let link = if self.cfg.compatibility.ignore_rai_link_selection {
            q.subnet_selection
        } else {
            q.link_selection
        };
        if let Some(link) = link {
            return find(&|s: &Subnet4| s.contains(link));
        }
        if q.is_relayed() {
            let gi = q.giaddr();
            if let Some(i) = find(&|s: &Subnet4| s.relay_addresses.contains(&gi)) {
                return Some(i);
            }
            return find(&|s: &Subnet4| s.contains(gi));
        }
        let ci = q.ciaddr();
        if !ci.is_unspecified() {
            if let Some(i) = find(&|s: &Subnet4| s.contains(ci)) {
                return Some(i);
            }
        }
        if let Some(ifname) = &meta.iface {
            if let Some(i) = find(&|s: &Subnet4| s.interface.as_deref() == Some(&**ifname)) {
                return Some(i);
            }
        }
        find(&|s: &Subnet4| s.contains(meta.local))
    }

    #[inline]
    fn network_members(&self, sidx: usize) -> &[usize] {
        self.members.get(sidx).map_or(&[], |m| &m[..])
    }

    /// The subnet holding the address the client names (REQUEST,
    /// RELEASE, DECLINE, INFORM), else the one holding its lease, else the
    /// one with its reservation (in the configuration, then in the host
    /// databases), else the one whose pool holds the address a DISCOVER
    /// asks for.
    fn preferred_member(
        &self,
        store: &dyn LeaseStore,
        q: &Query4,
        members: &[usize],
        sidx: usize,
    ) -> usize {
        let subnets = &self.cfg.subnets;
        let holding = |a: Ipv4Addr| members.iter().copied().find(|&m| subnets[m].contains(a));
        let ci = Some(q.ciaddr()).filter(|a| !a.is_unspecified());
        if q.msg_type != MessageType::Discover {
            if let Some(m) = q.requested_ip.or(ci).and_then(holding) {
                return m;
            }
        }
        let key = ClientKey {
            hwaddr: &q.hwaddr,
            client_id: q.client_id.as_deref(),
            match_client_id: subnets[sidx].match_client_id,
        };
        // The client's leases by client identifier and hardware address, in
        // one call (one round trip to a SQL database).
        let cid = key.client_id.filter(|_| key.match_client_id);
        let leases = store.get4_client(cid, &q.hwaddr, None);
        let leased = leases
            .iter()
            .filter(|l| l.state != ruru_lease::LeaseState::Declined && key.owns(l))
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
        let ids = self.host_ids(q);
        if let Some(m) = members.iter().copied().find(|&m| {
            let r = &subnets[m].reservations;
            subnets[m].host_modes.in_subnet
                && !r.hosts.is_empty()
                && ids.iter().any(|id| r.get(id).is_some())
        }) {
            return m;
        }
        // Then the host databases, subnet by subnet (one query each).
        if !self.opts.hosts.is_empty() {
            if let Some(m) = members.iter().copied().find(|&m| {
                subnets[m].host_modes.in_subnet
                    && self
                        .opts
                        .hosts
                        .get4(subnets[m].id, &ids, &self.cfg.option_defs)
                        .is_some()
            }) {
                return m;
            }
        }
        // Then a global reservation's address picks the member holding it.
        if subnets[sidx].host_modes.global {
            let global = ids
                .iter()
                .find_map(|id| self.cfg.reservations.get(id))
                .map(Cow::Borrowed)
                .or_else(|| {
                    self.opts
                        .hosts
                        .get4(0, &ids, &self.cfg.option_defs)
                        .map(Cow::Owned)
                });
            if let Some(a) = global.and_then(|h| h.ip_address) {
                if let Some(m) = holding(a) {
                    return m;
                }
            }
        }
        if let Some(hint) = q.requested_ip {
            if let Some(m) = members
                .iter()
                .copied()
                .find(|&m| subnets[m].pool_of(hint).is_some())
            {
                return m;
            }
        }
        sidx
    }

    fn early_global_host(&self, q: &Query4, _meta: &RecvMeta) -> Option<Cow<'_, Reservation4>> {
        if !self.cfg.early_global_reservations_lookup {
            return None;
        }
        let ids = self.host_ids(q);
        ids.iter()
            .find_map(|id| self.cfg.reservations.get(id))
            .map(Cow::Borrowed)
            .or_else(|| {
                self.opts
                    .hosts
                    .get4(0, &ids, &self.cfg.option_defs)
                    .map(Cow::Owned)
            })
    }

    #[inline]
    fn subnet_allows(&self, sidx: usize, classes: &ClassSet<'_>) -> bool {
        self.cfg
            .subnets
            .get(sidx)
            .is_some_and(|s| allowed(s, classes))
    }

    /// A DISCOVER that found no address in the subnet.
    fn exhausted(&self, ctx: &Ctx<'_>, h: &Handled<Self>, last: bool) -> bool {
        let none = (ctx.q.msg_type == MessageType::Discover || ctx.q.bootp)
            && matches!(h, Handled::Drop(Drop4::AllocationFailed));
        if none && last {
            self.stats.inc(Stat::V4AllocationFail);
            self.stats.inc(Stat::V4AllocationFailSharedNetwork);
            debug!(
                xid = format_args!("{:#010x}", ctx.q.xid()),
                "no address available in any subnet of the shared network"
            );
        }
        none
    }

    /// The client's reservation: the configuration's first (in
    /// `host-reservation-identifiers` order), then the host databases'
    /// (Kea's order), asked at every packet.
    #[inline]
    fn find_host<'a>(
        &'a self,
        q: &Query4,
        _meta: &RecvMeta,
        subnet: &'a Subnet4,
        pc: &RefCell<PacketContext>,
        builtin: Option<Vec<u8>>,
        _fam: &Self::State,
    ) -> Option<Cow<'a, Reservation4>> {
        // host4_identifier: with `flex-id` among the identifier types, the
        // built-in flex-id (`builtin`) then the callouts compute the
        // flexible identifier, as if the built-in library were listed
        // first: a callout sees its value and may replace it.
        let mut flex = builtin;
        if self
            .cfg
            .host_reservation_identifiers
            .contains(&HostIdType::Flex)
        {
            if let Some(h) = self.hooks_at(HookPoint::Host4Identifier) {
                let mut pcm = pc.borrow_mut();
                let mut a = HookArgs::new(HookPoint::Host4Identifier, &mut pcm);
                a.query = Some(q);
                a.id_type = Some(4);
                a.id_value = Some(flex.take().unwrap_or_default());
                // Kea ignores the identifier unless the status is CONTINUE.
                if h.call(&mut a) == NextStep::Continue {
                    flex = a.id_value.take().filter(|v| !v.is_empty());
                }
            }
        }
        let modes = subnet.host_modes;
        let subnet_hosts = modes.in_subnet && !subnet.reservations.hosts.is_empty();
        let global_hosts = modes.global && !self.cfg.reservations.hosts.is_empty();
        if !subnet_hosts
            && !global_hosts
            && (self.opts.hosts.is_empty() || !modes.in_subnet && !modes.global)
        {
            return None;
        }
        let mut ids = Vec::with_capacity(self.cfg.host_reservation_identifiers.len());
        for t in &self.cfg.host_reservation_identifiers {
            let id = match t {
                HostIdType::HwAddress if !q.hwaddr.is_empty() => {
                    HostId::HwAddress(q.hwaddr.clone())
                }
                HostIdType::ClientId => match &q.client_id {
                    Some(c) => HostId::ClientId(c.clone()),
                    None => continue,
                },
                HostIdType::CircuitId => match &q.circuit_id {
                    Some(c) => HostId::CircuitId(c.clone()),
                    None => continue,
                },
                HostIdType::Flex => match flex.take() {
                    Some(f) => HostId::Flex(f),
                    None => continue,
                },
                HostIdType::Duid => {
                    match q.client_id.as_deref().and_then(HostId::duid_of_client_id) {
                        Some(d) => d,
                        None => continue,
                    }
                }
                HostIdType::HwAddress => continue,
            };
            ids.push(id);
        }
        // As Kea 2.2 (checked against kea-dhcp4): the subnet's reservation
        // (configuration, then databases) wins over a global one
        // (configuration, then the databases' rows of subnet id 0).
        if modes.in_subnet {
            let found = ids
                .iter()
                .find_map(|id| subnet.reservations.get(id))
                .map(Cow::Borrowed)
                .or_else(|| {
                    self.opts
                        .hosts
                        .get4(subnet.id, &ids, &self.cfg.option_defs)
                        .map(Cow::Owned)
                });
            if let Some(h) = found {
                return Some(hosts::usable_in_subnet(subnet, h));
            }
        }
        if !modes.global {
            return None;
        }
        ids.iter()
            .find_map(|id| self.cfg.reservations.get(id))
            .map(Cow::Borrowed)
            .or_else(|| {
                self.opts
                    .hosts
                    .get4(0, &ids, &self.cfg.option_defs)
                    .map(Cow::Owned)
            })
            .map(|h| hosts::usable_global(subnet, h))
    }

    #[inline]
    fn flex_replace_expr(&self) -> Option<&ruru_classify::Expr> {
        self.cfg
            .flex_id
            .as_ref()
            .filter(|f| f.replace_client_id)
            .and_then(|f| f.expr.as_deref())
    }

    fn with_flex_client_id(q: &Query4, flex: &[u8]) -> Query4 {
        let mut id = vec![0];
        id.extend_from_slice(flex);
        let mut out = q.clone();
        out.original_client_id = Some(out.client_id.replace(id));
        out
    }

    fn flex_id_expr(&self) -> Option<&ruru_classify::Expr> {
        self.cfg
            .flex_id
            .as_ref()
            .and_then(|f| f.expr.as_deref())
            .filter(|_| {
                self.cfg
                    .host_reservation_identifiers
                    .contains(&HostIdType::Flex)
            })
    }

    #[inline]
    fn flex_options(&self) -> &[ruru_config::FlexOption] {
        &self.cfg.flex_options
    }

    #[inline]
    fn new_state(&self) -> Exchange4 {
        Exchange4::default()
    }

    #[inline]
    fn handle(&self, store: &dyn LeaseStore, ctx: &Ctx<'_>) -> Handled<Self> {
        let result = match ctx.q.msg_type {
            MessageType::Discover => self.discover(store, ctx),
            MessageType::Request => self.request(store, ctx),
            MessageType::Release => self.release(store, ctx),
            MessageType::Decline => self.decline(store, ctx),
            MessageType::Inform => Ok(self.inform(ctx)),
            _ => Err(Drop4::UnknownMessageType),
        };
        match result {
            // A BOOTP client is not told no (Kea 2.2 sends it an empty
            // BOOTREPLY, the NAK with its DHCP options removed).
            Ok(Some(d)) if ctx.q.bootp && d.msg_type == 6 => Handled::Drop(Drop4::Invalid),
            Ok(Some(d)) => match ctx.fam.park.get() {
                Some(id) => Handled::Parked(id, d),
                None => Handled::Reply(d),
            },
            Ok(None) => Handled::Done(Outcome4::Done),
            Err(why) => Handled::Drop(why),
        }
    }

    /// Options 53 and 54 first. The message type is the server's (a
    /// configured option 53 is dropped, as Kea ignores it); the server
    /// identifier is a configured one when the reply has it (Kea's
    /// `appendBasicOptions` adds option 54 of the configuration as it adds
    /// routers), else the address the query arrived on.
    #[inline]
    fn complete(&self, ctx: &Ctx<'_>, d: &mut Draft) {
        d.options.retain(|(c, _)| *c != 53);
        let sid = match d.options.iter().position(|(c, _)| *c == 54) {
            Some(i) => d.options.remove(i),
            None => (54, ctx.meta.local.octets().to_vec()),
        };
        d.options.insert(0, (53, vec![d.msg_type]));
        d.options.insert(1, sid);
    }

    /// Option 53 follows the message type a callout set.
    #[inline]
    fn after_pkt_send(d: &mut Draft) {
        let t = d.msg_type;
        match d.options.iter_mut().find(|(c, _)| *c == 53) {
            Some(o) => o.1 = vec![t],
            None => d.options.insert(0, (53, vec![t])),
        }
    }

    #[inline]
    fn encode(&self, ctx: &Ctx<'_>, d: &Draft) -> Option<Vec<u8>> {
        // A recovered (stashed) option 82 is not echoed (Kea).
        let rai = ctx.q.relay_info.as_deref().filter(|_| !ctx.q.stashed);
        let bootp;
        let d = if ctx.q.bootp {
            bootp = reply::without_dhcp_options(d);
            &bootp
        } else {
            d
        };
        let (bytes, dropped) = reply::encode(ctx.q, d, rai);
        if !dropped.is_empty() {
            debug!(
                xid = format_args!("{:#010x}", ctx.q.xid()),
                ?dropped,
                "options left out: reply exceeds the client's maximum message size"
            );
        }
        Some(bytes).filter(|b| !b.is_empty())
    }

    #[inline]
    fn reply(&self, ctx: &Ctx<'_>, d: Draft, bytes: Vec<u8>) -> Reply4 {
        let mut dest = reply::destination(ctx.q, &d, self.opts.client_port);
        // Kea's `use-routing`: replies to relayed queries, UDP sockets only.
        let ic = &self.cfg.interfaces;
        dest.routed =
            ic.use_routing && ic.socket_type == ruru_config::SocketType::Udp && ctx.q.is_relayed();
        if !ctx.q.is_relayed() && !dest.link_unicast && dest.addr == ctx.q.ciaddr() {
            dest.link_mac = ctx.meta.src_mac;
        }
        match d.msg_type {
            // A BOOTREPLY to a BOOTP client has no message type: counted
            // in `pkt4-sent` only, as in Kea.
            _ if ctx.q.bootp => {}
            2 => self.stats.inc(Stat::Pkt4OfferSent),
            5 => self.stats.inc(Stat::Pkt4AckSent),
            6 => self.stats.inc(Stat::Pkt4NakSent),
            _ => {}
        }
        debug!(
            xid = format_args!("{:#010x}", ctx.q.xid()),
            chaddr = %hex(&ctx.q.hwaddr),
            msg_type = d.msg_type,
            yiaddr = %d.yiaddr,
            dest = %dest.addr,
            "reply"
        );
        Reply4 {
            bytes,
            dest,
            msg_type: d.msg_type,
            chaddr: ctx.q.hwaddr.clone(),
            htype: ctx.q.htype,
        }
    }

    #[inline]
    fn drop_stat(why: Drop4) -> Option<Stat> {
        match why {
            Drop4::ParseFailed => Some(Stat::Pkt4ParseFailed),
            Drop4::NoSubnet => Some(Stat::Pkt4DropNoSubnet),
            Drop4::NotForUs => Some(Stat::Pkt4DropNotForUs),
            Drop4::StoreFailed => Some(Stat::Pkt4DropStoreFailed),
            Drop4::Hook => Some(Stat::Pkt4DropHook),
            Drop4::Class => Some(Stat::Pkt4DropClass),
            _ => None,
        }
    }

    fn log_malformed(meta: &RecvMeta, e: &packet::ParseError) {
        debug!(src = %meta.src, error = %e, "malformed packet");
    }

    fn log_drop(q: Option<&Query4>, why: Drop4) {
        if let Some(q) = q {
            debug!(xid = format_args!("{:#010x}", q.xid()), chaddr = %hex(&q.hwaddr), reason = ?why, "packet dropped");
        } else {
            debug!(reason = ?why, "packet dropped");
        }
    }

    fn log_parked(q: &Query4, id: u64, stage: Stage) {
        debug!(
            xid = format_args!("{:#010x}", q.xid()),
            id,
            ?stage,
            "reply parked by a hook library"
        );
    }

    #[inline]
    fn replied(r: Reply4) -> Outcome4 {
        Outcome4::Reply(r)
    }

    #[inline]
    fn dropped(why: Drop4) -> Outcome4 {
        Outcome4::Drop(why)
    }

    #[inline]
    fn parked(fam: &Exchange4, p: Box<Parked4>) -> Outcome4 {
        super::ping::parked(fam, p)
    }
}

/// The index of the first subnet that `f` accepts and whose
/// `client-class` guards (its own, its shared network's) let a packet in
/// `classes` in.
#[inline]
fn first_allowed(
    subnets: &[Subnet4],
    order: &[usize],
    classes: &ClassSet<'_>,
    f: &dyn Fn(&Subnet4) -> bool,
) -> Option<usize> {
    order
        .iter()
        .copied()
        .find(|&i| subnets.get(i).is_some_and(|s| f(s) && allowed(s, classes)))
}

/// Whether the `client-class` guards of `s` and of its shared network let
/// a packet in `classes` use it.
#[inline]
fn allowed(s: &Subnet4, classes: &ClassSet<'_>) -> bool {
    (s.classes.client_classes.is_empty() || classify::allowed(&s.classes.client_classes, classes))
        && s.network.as_ref().is_none_or(|n| {
            n.client_classes.is_empty() || classify::allowed(&n.client_classes, classes)
        })
}

impl Engine4 {
    /// The client's reservation identifiers present in `q`, in
    /// `host-reservation-identifiers` order (without flex-id).
    fn host_ids(&self, q: &Query4) -> Vec<HostId> {
        self.cfg
            .host_reservation_identifiers
            .iter()
            .filter_map(|t| match t {
                HostIdType::HwAddress if !q.hwaddr.is_empty() => {
                    Some(HostId::HwAddress(q.hwaddr.clone()))
                }
                HostIdType::ClientId => q.client_id.clone().map(HostId::ClientId),
                HostIdType::CircuitId => q.circuit_id.clone().map(HostId::CircuitId),
                HostIdType::Duid => q.client_id.as_deref().and_then(HostId::duid_of_client_id),
                _ => None,
            })
            .collect()
    }
}
