//! The packet pipeline: the sequence of Kea hook stages every received
//! packet goes through, written once for DHCPv4 and DHCPv6.
//!
//! [`process`] runs, in this order: the received counter;
//! `bufferN_receive` (the raw bytes, which callouts may rewrite); parsing
//! (a failure is counted and dropped); the per-message-type received
//! counter; `pktN_receive`; the family's checks of the query (opcode,
//! message type, identifiers, server identifier); subnet selection and
//! `subnetN_select` (with the `subnetNcollection` argument); for a subnet
//! in a shared network, the order its subnets are tried in (the one the
//! client is known in first; the next when one has nothing for it); the
//! host lookup; the message's handler, which may park the reply at
//! `leasesN_committed`; then [`finish`]: the reply's identifiers and
//! options and `pktN_send` (which may park it); and [`send_out`]: encoding,
//! `bufferN_send`, the sent counters and the destination. A drop is counted
//! (its reason, then `pktN-receive-drop`) and logged at debug level.
//!
//! Client classification (`crate::classify`) follows Kea's steps: the
//! classes not depending on `KNOWN`/`UNKNOWN` after parsing (before
//! `pktN_receive`, whose callouts see them), a packet in `DROP` dropped
//! after `pktN_receive`; subnet selection skips subnets whose
//! `client-class` the packet is not in; after the host lookup `KNOWN` or
//! `UNKNOWN`, the reservation's classes and the classes depending on
//! them, then `DROP` again. The classes go with the exchange in
//! [`Ctx::classes`]; the handlers add the required classes.
//!
//! A parked reply ([`Parked`]) keeps everything the remaining stages need;
//! [`resume`] runs them on the engine that parked it, [`hold`] hands it to
//! the dispatcher's parking lot and [`drop_parked`] counts one that will
//! never be sent.
//!
//! What differs between the families is behind [`Family`], implemented by
//! `Engine4` (`v4/family.rs`) and `Engine6` (`v6/family.rs`). The code here
//! is generic and monomorphised for each: no stage is a dynamic call, and
//! nothing is allocated or cloned that the family code did not need. Log
//! lines are written by the family, so that they keep their targets
//! (`ruru_engine::v4`, `ruru_engine::v6`), to which Kea's logger names map.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Debug;

use ruru_lease::LeaseStore;

use crate::classify::{self, ClassDef, ClassSet, HostClasses, Source};
use crate::hooks::{
    next_park_id, receive_buffer, Finish, HookArgs, HookDispatch, HookPoint, NextStep,
    PacketContext,
};
use crate::stats::{Stat, Stats};

/// The subnet index of an exchange answered without a subnet (DHCPv6's
/// Information-request from a link with none: [`Family::no_subnet`]).
pub(crate) const NO_SUBNET: usize = usize::MAX;

/// What is decided about a query outside the engine (the built-in HA):
/// a class it is in from the start, and a gate asked once its subnet is
/// selected.
#[derive(Default, Clone, Copy)]
pub struct Admit<'a> {
    /// HA's `HA_<server>` scope class (load-balancing), evaluated before
    /// the configured classes.
    pub class: Option<&'a str>,
    /// Kea 2.6's hub-and-spoke: given the selected subnet's
    /// `ha-server-name` (`None`: no subnet was selected), whether the
    /// query is answered; `false` drops it (`pktN-receive-drop`).
    pub subnet: Option<&'a SubnetGate<'a>>,
}

/// [`Admit::subnet`]'s gate.
pub type SubnetGate<'a> = dyn Fn(Option<&ruru_config::HaServerName>) -> bool + 'a;

/// One address family's half of the pipeline: its types, the hook points
/// and statistics of the shared stages, and the steps that differ.
pub(crate) trait Family: Sized {
    /// A parsed query (`Query4`, `Query6`).
    type Query: Clone + Debug;
    /// Why received bytes are not a query.
    type ParseError;
    /// What the server knows of a received packet besides its bytes.
    type Meta: Clone + Debug;
    type Subnet;
    /// A reservation (from the configuration or a host database).
    type Host: Clone + Debug;
    /// A reply before encoding (`Draft`, `v6::Message`).
    type Draft: Clone + Debug + crate::flex::FlexReply;
    /// Why a packet got no reply.
    type Drop: Copy + Debug;
    /// What the family's handlers keep per exchange beside [`Ctx`]; a
    /// resumed reply starts from the default.
    type State: Default;
    type Reply;
    type Outcome;
    /// What class tests read of a received packet (`Raw4`, `Raw6`):
    /// borrowed views, hence `Copy`.
    type Raw<'a>: Source + Copy
    where
        Self: 'a;
    /// A configured client class.
    type Class: ClassDef;

    /// `pktN-received`, `pktN-receive-drop`, `pktN-sent`.
    const RECEIVED: Stat;
    const RECEIVE_DROP: Stat;
    const SENT: Stat;
    const BUFFER_RECEIVE: HookPoint;
    const PKT_RECEIVE: HookPoint;
    const SUBNET_SELECT: HookPoint;
    /// The name of `subnetN_select`'s subnet list argument.
    const SUBNET_COLLECTION: &'static str;
    const PKT_SEND: HookPoint;
    const BUFFER_SEND: HookPoint;
    /// The drop reasons of the shared stages: a parse failure, no subnet,
    /// a callout's status, a reply that cannot be encoded.
    const PARSE_FAILED: Self::Drop;
    const NO_SUBNET: Self::Drop;
    const HOOK: Self::Drop;
    const UNENCODABLE: Self::Drop;
    /// The packet is in class `DROP`.
    const CLASS_DROP: Self::Drop;
    /// The query's subnet is not in a served HA scope (hub-and-spoke).
    const HA_SCOPE: Self::Drop;

    fn counters(&self) -> &Stats;
    /// The loaded hook libraries, if any.
    fn hooks(&self) -> Option<&dyn HookDispatch>;
    /// The configured subnets, in selection order.
    fn subnets(&self) -> &[Self::Subnet];
    fn subnet_id(s: &Self::Subnet) -> u32;
    /// The subnet's HA relationship (`ha-server-name`).
    fn ha_server_name(s: &Self::Subnet) -> &ruru_config::HaServerName;
    /// The `subnetNcollection` argument (built once per engine).
    fn subnet_collection(&self) -> &str;
    /// What a query for which no subnet was selected is answered from, if
    /// anything (its index is [`NO_SUBNET`]); `None`: it is dropped.
    fn no_subnet(&self, q: &Self::Query) -> Option<&Self::Subnet>;

    /// Parses the received bytes.
    fn parse(&self, buf: &[u8]) -> Result<Self::Query, Self::ParseError>;
    /// A built-in class the query is in from the start (DHCPv4's `BOOTP`).
    fn receive_class(&self, _q: &Self::Query) -> Option<&'static str> {
        None
    }
    /// Kea's `stash-agent-options` (DHCPv4): the query as if it carried
    /// what its client's lease recorded of it, with its bytes; `None`:
    /// as received. Runs before classification.
    fn recover(
        &self,
        _store: &dyn LeaseStore,
        _buf: &[u8],
        _q: &Self::Query,
        _now: u64,
    ) -> Option<(Vec<u8>, Self::Query)> {
        None
    }
    /// The packet as class tests see it.
    fn raw<'a>(buf: &'a [u8], q: &'a Self::Query, meta: &'a Self::Meta) -> Self::Raw<'a>;
    /// Whether packets are classified: something reads the classes
    /// (definitions, guards, hook libraries). If not, a packet's set
    /// holds `ALL` only.
    fn classifies(&self) -> bool;
    /// The configured client classes, in definition order.
    fn class_defs(&self) -> &[Self::Class];
    /// Their evaluation order ([`classify::Plan::new`] of them).
    fn class_plan(&self) -> &classify::Plan;
    /// A reservation's `client-classes`.
    fn host_classes(h: &Self::Host) -> &[String];
    /// Counts the query in its message type's received counter.
    fn count_received(&self, q: &Self::Query);
    /// Sets the query argument (`query4` / `query6`) of a hook point.
    fn set_query<'a>(a: &mut HookArgs<'a>, q: &'a Self::Query);
    /// Sets the response argument (`response4` / `response6`).
    fn set_response<'a>(a: &mut HookArgs<'a>, d: &'a mut Self::Draft);
    /// Whether the options that [`Family::parse`] keeps raw parse as Kea
    /// parses them: its vendor class option's length-value tuples, with or
    /// without `compatibility.lenient-option-parsing` (a packet that fails
    /// is dropped as one that does not parse).
    fn options_parse(&self, raw: &Self::Raw<'_>) -> bool;
    /// Whether the query is one this server answers, before any subnet.
    fn check(&self, q: &Self::Query, meta: &Self::Meta) -> Result<(), Self::Drop>;
    /// The subnet's index in [`Family::subnets`], before `subnetN_select`:
    /// Kea's selection among the subnets whose `client-class` guard lets
    /// a packet in `classes` in.
    fn select_subnet(
        &self,
        q: &Self::Query,
        meta: &Self::Meta,
        classes: &ClassSet<'_>,
    ) -> Option<usize>;
    /// The client's reservation (`hostN_identifier` runs here); `flex`:
    /// the flexible identifier the built-in flex-id computed, if any;
    /// `fam`: the exchange's state, where the family may keep what it
    /// found (DHCPv6 keeps the client's identifiers for the other subnets
    /// of a shared network).
    fn find_host<'a>(
        &'a self,
        q: &Self::Query,
        meta: &Self::Meta,
        subnet: &'a Self::Subnet,
        pc: &RefCell<PacketContext>,
        flex: Option<Vec<u8>>,
        fam: &Self::State,
    ) -> Option<Cow<'a, Self::Host>>;
    /// Kea's `early-global-reservations-lookup`: the client's global
    /// reservation, looked up before subnet selection (`None` when the
    /// option is off or the client has none).
    fn early_global_host(
        &self,
        _q: &Self::Query,
        _meta: &Self::Meta,
    ) -> Option<Cow<'_, Self::Host>> {
        None
    }
    /// The subnets of the shared network subnet `sidx` is in (indices
    /// into [`Family::subnets`], `sidx` among them), in the order
    /// allocation tries them; empty when it is in none.
    fn network_members(&self, _sidx: usize) -> &[usize] {
        &[]
    }
    /// Which of `members` (the shared network of the selected subnet
    /// `sidx`) the client starts with: the one holding the address it
    /// names, its lease or its reservation; else `sidx`.
    fn preferred_member(
        &self,
        _store: &dyn LeaseStore,
        _q: &Self::Query,
        _members: &[usize],
        sidx: usize,
    ) -> usize {
        sidx
    }
    /// Whether the guards of subnet `sidx` (its own and its shared
    /// network's `client-class`) let a packet in `classes` use it.
    fn subnet_allows(&self, _sidx: usize, _classes: &ClassSet<'_>) -> bool {
        true
    }
    /// Whether `h`, the handling of a query in a subnet of a shared
    /// network, means that the subnet had nothing for the client (so the
    /// next subnet of the network is tried). `last`: no subnet is left
    /// (the family counts the failure then).
    fn exhausted(&self, _ctx: &Ctx<'_, Self>, _h: &Handled<Self>, _last: bool) -> bool {
        false
    }
    /// The subnet the reply is finished in (its options, `pktN_send`),
    /// with the client's reservation there, when the handler served the
    /// client from another subnet of the shared network than `ctx`'s
    /// (DHCPv6: the subnet of the last IA served, as Kea's allocation
    /// engine leaves it); `None`: `ctx`'s.
    fn reply_member<'a>(
        &'a self,
        _ctx: &Ctx<'a, Self>,
    ) -> Option<(usize, Option<Cow<'a, Self::Host>>)> {
        None
    }
    /// The built-in flex-id's `identifier-expression`, when it is
    /// configured and used for reservations.
    fn flex_id_expr(&self) -> Option<&ruru_classify::Expr>;
    /// The built-in flex-id's `identifier-expression` when its
    /// `replace-client-id` is true (whatever `host-reservation-identifiers`
    /// says, as Kea's library).
    fn flex_replace_expr(&self) -> Option<&ruru_classify::Expr>;
    /// `q` as Kea's flex-id with `replace-client-id` makes it: the client
    /// identifier (DHCPv4: 0 then `flex`; DHCPv6: the DUID 0, 0 then
    /// `flex`), the client's own kept for the reply.
    fn with_flex_client_id(q: &Self::Query, flex: &[u8]) -> Self::Query;
    /// The built-in flex-option's entries (empty: not configured).
    fn flex_options(&self) -> &[ruru_config::FlexOption];
    /// The per-exchange state of a new exchange.
    fn new_state(&self) -> Self::State;
    /// Handles the message: the reply, or why there is none.
    fn handle(&self, store: &dyn LeaseStore, ctx: &Ctx<'_, Self>) -> Handled<Self>;
    /// Adds what every reply carries (identifiers, requested options)
    /// before `pktN_send`.
    fn complete(&self, ctx: &Ctx<'_, Self>, d: &mut Self::Draft);
    /// Repairs what `pktN_send` callouts may have left inconsistent.
    fn after_pkt_send(_d: &mut Self::Draft) {}
    /// The reply's bytes; `None` if it cannot be encoded.
    fn encode(&self, ctx: &Ctx<'_, Self>, d: &Self::Draft) -> Option<Vec<u8>>;
    /// Addresses the encoded reply, counts it by message type and logs it.
    fn reply(&self, ctx: &Ctx<'_, Self>, d: Self::Draft, bytes: Vec<u8>) -> Self::Reply;

    /// The counter of a drop reason, besides `pktN-receive-drop`.
    fn drop_stat(why: Self::Drop) -> Option<Stat>;
    fn log_malformed(meta: &Self::Meta, e: &Self::ParseError);
    fn log_drop(q: Option<&Self::Query>, why: Self::Drop);
    fn log_parked(q: &Self::Query, id: u64, stage: Stage);
    fn replied(r: Self::Reply) -> Self::Outcome;
    fn dropped(why: Self::Drop) -> Self::Outcome;
    /// The outcome of a reply parked in the exchange whose state is `fam`.
    fn parked(fam: &Self::State, p: Box<Parked<Self>>) -> Self::Outcome;
}

/// Everything decided about one query before its reply is built.
pub(crate) struct Ctx<'a, F: Family + 'a> {
    /// Per-packet hook context (shared by one library's callouts).
    pub pc: &'a RefCell<PacketContext>,
    pub q: &'a F::Query,
    pub meta: &'a F::Meta,
    pub subnet: &'a F::Subnet,
    /// The subnet's index ([`NO_SUBNET`]: none).
    pub sidx: usize,
    /// The client's reservation: borrowed from the configuration, or read
    /// from a host database for this packet.
    pub host: Option<Cow<'a, F::Host>>,
    pub now: u64,
    /// The family's own state of the exchange.
    pub fam: F::State,
    /// The client's classes (the handlers add the required ones).
    pub classes: RefCell<ClassSet<'a>>,
    /// The packet for class tests; `None` in a resumed exchange, which
    /// evaluates no more classes.
    pub raw: Option<&'a F::Raw<'a>>,
}

/// What a family's handler made of a message.
pub(crate) enum Handled<F: Family> {
    /// A reply for `pktN_send` and the stages after it.
    Reply(F::Draft),
    /// A reply a `leasesN_committed` callout parked under this id.
    Parked(u64, F::Draft),
    /// A reply that skips `pktN_send`: straight to encoding (DHCPv6's
    /// UseMulticast answer).
    Encode(F::Draft),
    /// Handled, nothing to send (DHCPv4's RELEASE and DECLINE).
    Done(F::Outcome),
    Drop(F::Drop),
}

/// Where a parked reply stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// After `leasesN_committed`: the reply's options, `pktN_send` and
    /// `bufferN_send` still run.
    Committed,
    /// After `pktN_send`: encoding and `bufferN_send` still run.
    Sent,
}

/// A reply held by a hook library (Kea's PARK at `leasesN_committed` or
/// `pktN_send`): everything needed to finish it. `Parked4` and `Parked6`.
#[derive(Debug)]
#[expect(
    private_bounds,
    reason = "`Family` is the engine's own: outside, a Parked is only kept and handed back"
)]
pub struct Parked<F: Family> {
    /// The parking id the library was given (`parking_id`).
    pub id: u64,
    stage: Stage,
    q: F::Query,
    meta: F::Meta,
    sidx: usize,
    /// The client's reservation (a copy: it may come from a host database).
    host: Option<F::Host>,
    now: u64,
    draft: F::Draft,
    pc: PacketContext,
    classes: ClassSet<'static>,
    /// The query's bytes, kept only when the built-in flex-option still
    /// has to evaluate on them (a reply parked before `pktN_send`).
    buf: Option<Box<[u8]>>,
}

impl<F: Family> Clone for Parked<F> {
    fn clone(&self) -> Self {
        Parked {
            id: self.id,
            stage: self.stage,
            q: self.q.clone(),
            meta: self.meta.clone(),
            sidx: self.sidx,
            host: self.host.clone(),
            now: self.now,
            draft: self.draft.clone(),
            pc: self.pc.clone(),
            classes: self.classes.clone(),
            buf: self.buf.clone(),
        }
    }
}

#[expect(
    private_bounds,
    reason = "`Family` is the engine's own: outside, a Parked is only kept and handed back"
)]
impl<F: Family> Parked<F> {
    /// The query the parked reply answers.
    pub(crate) fn query(&self) -> &F::Query {
        &self.q
    }

    /// The libraries' per-packet context of the query.
    pub(crate) fn context(&self) -> &PacketContext {
        &self.pc
    }
}

/// The dispatcher, when a callout is registered at `point`.
fn hooks_at<F: Family>(e: &F, point: HookPoint) -> Option<&dyn HookDispatch> {
    e.hooks().filter(|h| h.has(point))
}

/// Processes one received packet.
pub(crate) fn process<F: Family>(
    e: &F,
    store: &dyn LeaseStore,
    buf: &[u8],
    meta: &F::Meta,
    now: u64,
    admit: &Admit<'_>,
) -> F::Outcome {
    let class = admit.class;
    e.counters().inc(F::RECEIVED);
    let pc = RefCell::new(PacketContext::default());
    // bufferN_receive: the raw bytes, which callouts may rewrite.
    let rewritten = match receive_buffer(e.hooks(), F::BUFFER_RECEIVE, buf, &pc) {
        Ok(r) => r,
        Err(()) => return drop(e, None, F::HOOK),
    };
    let buf = rewritten.as_deref().unwrap_or(buf);
    let q0 = match e.parse(buf) {
        Ok(q) => q,
        Err(err) => {
            F::log_malformed(meta, &err);
            return drop(e, None, F::PARSE_FAILED);
        }
    };
    if !e.options_parse(&F::raw(buf, &q0, meta)) {
        return drop(e, Some(&q0), F::PARSE_FAILED);
    }
    e.count_received(&q0);
    // Kea's stash-agent-options: the recovered query, in class
    // STASH_AGENT_OPTIONS.
    let recovered = e.recover(store, buf, &q0, now);
    let (buf, q) = match &recovered {
        Some((b, q)) => (b.as_slice(), q),
        None => (buf, &q0),
    };
    // Classification, first pass: what does not depend on KNOWN/UNKNOWN.
    let defs = e.class_defs();
    let classifies = e.classifies();
    let raw = classifies.then(|| F::raw(buf, q, meta));
    let mut classes = ClassSet::new();
    if let Some(c) = class {
        classes.insert(classify::Name::Owned(c.into()));
    }
    if recovered.is_some() {
        classify::add_named(defs, &mut classes, "STASH_AGENT_OPTIONS");
    }
    if let Some(name) = e.receive_class(q) {
        classify::add_named(defs, &mut classes, name);
    }
    if let Some(raw) = &raw {
        classify::on_receive(raw, defs, e.class_plan(), &mut classes);
    }
    // pktN_receive: the parsed query.
    if let Some(h) = hooks_at(e, F::PKT_RECEIVE) {
        let mut pcm = pc.borrow_mut();
        let mut a = HookArgs::new(F::PKT_RECEIVE, &mut pcm);
        F::set_query(&mut a, q);
        a.classes = Some(&classes);
        if h.call(&mut a) != NextStep::Continue {
            std::mem::drop(pcm);
            return drop(e, Some(q), F::HOOK);
        }
    }
    if raw.is_some() && classes.has_drop() {
        return drop(e, Some(q), F::CLASS_DROP);
    }
    if let Err(why) = e.check(q, meta) {
        return drop(e, Some(q), why);
    }
    // The built-in flex-id with `replace-client-id`: from here on, the
    // query's client identifier is the flexible identifier (Kea's
    // pktN_receive callout of libdhcp_flex_id.so).
    let replaced = match (e.flex_replace_expr(), &raw) {
        (Some(x), Some(raw)) => crate::flex::flex_id(raw, &classes, x)
            .filter(|id| !id.is_empty())
            .map(|id| F::with_flex_client_id(q, &id)),
        _ => None,
    };
    let q = replaced.as_ref().unwrap_or(q);
    // Kea's early global reservation lookup: its classes and KNOWN (never
    // UNKNOWN), and the classes depending on them, before subnet selection.
    if let Some(raw) = &raw {
        if let Some(h) = e.early_global_host(q, meta) {
            let hc = match &h {
                Cow::Borrowed(h) => HostClasses::Borrowed(F::host_classes(h)),
                Cow::Owned(h) => HostClasses::Copied(F::host_classes(h)),
            };
            classify::after_host(raw, defs, e.class_plan(), &mut classes, Some(hc));
            if classes.has_drop() {
                return drop(e, Some(q), F::CLASS_DROP);
            }
        }
    }
    // subnetN_select: callouts may choose another subnet (or none).
    let mut selected = e.select_subnet(q, meta, &classes);
    if let Some(h) = hooks_at(e, F::SUBNET_SELECT) {
        let mut pcm = pc.borrow_mut();
        let mut a = HookArgs::new(F::SUBNET_SELECT, &mut pcm);
        F::set_query(&mut a, q);
        a.classes = Some(&classes);
        a.subnet_id = selected.map(|i| F::subnet_id(&e.subnets()[i]));
        a.text
            .push((F::SUBNET_COLLECTION, e.subnet_collection().to_owned()));
        if h.call(&mut a) != NextStep::Continue {
            std::mem::drop(pcm);
            return drop(e, Some(q), F::HOOK);
        }
        selected = a
            .subnet_id
            .and_then(|id| e.subnets().iter().position(|s| F::subnet_id(s) == id));
    }
    // Kea 2.6's HA hub-and-spoke decides here, by the subnet's
    // relationship, whether this server answers.
    if let Some(gate) = admit.subnet {
        let name = selected
            .and_then(|i| e.subnets().get(i))
            .map(F::ha_server_name);
        if !gate(name) {
            return drop(e, Some(q), F::HA_SCOPE);
        }
    }
    let (sidx, subnet) = match selected {
        Some(i) => (i, &e.subnets()[i]),
        None => match e.no_subnet(q) {
            Some(s) => (NO_SUBNET, s),
            None => return drop(e, Some(q), F::NO_SUBNET),
        },
    };
    // hostN_identifier: the reservation, with the built-in flex-id's
    // identifier.
    let flex = match (e.flex_id_expr(), &raw) {
        (Some(x), Some(raw)) => crate::flex::flex_id(raw, &classes, x),
        _ => None,
    };
    // A subnet in a shared network: each subnet of the network the packet
    // may use is a candidate, starting with the one the client has a lease
    // or reservation in, or names an address of; the next one is tried
    // when one has nothing for the client.
    let members = if sidx == NO_SUBNET {
        &[][..]
    } else {
        e.network_members(sidx)
    };
    if members.len() > 1 {
        let start = e.preferred_member(store, q, members, sidx);
        let pos = members.iter().position(|&m| m == start).unwrap_or(0);
        let order: Vec<usize> = members[pos..]
            .iter()
            .chain(&members[..pos])
            .copied()
            .filter(|&m| m == sidx || e.subnet_allows(m, &classes))
            .collect();
        let last = order.len().saturating_sub(1);
        for (n, &m) in order.iter().enumerate() {
            let Some(subnet) = e.subnets().get(m) else {
                continue;
            };
            let cl = if n < last {
                classes.clone()
            } else {
                std::mem::take(&mut classes)
            };
            let exchange = Exchange {
                buf,
                q,
                meta,
                pc: &pc,
                sidx: m,
                subnet,
                now,
                in_network: true,
                try_next: n < last,
            };
            if let Some(o) = exchange.run(e, store, flex.clone(), cl, raw.as_ref()) {
                return o;
            }
        }
        return drop(e, Some(q), F::NO_SUBNET);
    }
    let exchange = Exchange {
        buf,
        q,
        meta,
        pc: &pc,
        sidx,
        subnet,
        now,
        in_network: !members.is_empty(),
        try_next: false,
    };
    match exchange.run(e, store, flex, classes, raw.as_ref()) {
        Some(o) => o,
        None => drop(e, Some(q), F::NO_SUBNET),
    }
}

/// One exchange with the subnet chosen: the host lookup, the second
/// classification pass, the message's handler and what follows.
struct Exchange<'a, F: Family> {
    buf: &'a [u8],
    q: &'a F::Query,
    meta: &'a F::Meta,
    pc: &'a RefCell<PacketContext>,
    sidx: usize,
    subnet: &'a F::Subnet,
    now: u64,
    /// The subnet is in a shared network: the family says whether it had
    /// nothing for the client ([`Family::exhausted`]).
    in_network: bool,
    /// Another subnet of the network is left to try: `None` is returned
    /// instead of a reply when this one has nothing for the client.
    try_next: bool,
}

impl<'a, F: Family> Exchange<'a, F> {
    #[inline]
    fn run(
        self,
        e: &'a F,
        store: &dyn LeaseStore,
        flex: Option<Vec<u8>>,
        mut classes: ClassSet<'a>,
        raw: Option<&'a F::Raw<'a>>,
    ) -> Option<F::Outcome> {
        let q = self.q;
        let fam = e.new_state();
        let host = e.find_host(q, self.meta, self.subnet, self.pc, flex, &fam);
        // Classification, second pass: KNOWN/UNKNOWN and what depends on them.
        if let Some(raw) = raw {
            let hc = match &host {
                Some(Cow::Borrowed(h)) => Some(HostClasses::Borrowed(F::host_classes(h))),
                Some(Cow::Owned(h)) => Some(HostClasses::Copied(F::host_classes(h))),
                None => None,
            };
            classify::after_host(raw, e.class_defs(), e.class_plan(), &mut classes, hc);
            if classes.has_drop() {
                return Some(drop(e, Some(q), F::CLASS_DROP));
            }
        }
        let ctx = Ctx {
            pc: self.pc,
            q,
            meta: self.meta,
            subnet: self.subnet,
            sidx: self.sidx,
            host,
            now: self.now,
            fam,
            classes: RefCell::new(classes),
            raw,
        };
        let handled = e.handle(store, &ctx);
        if self.in_network && e.exhausted(&ctx, &handled, !self.try_next) && self.try_next {
            return None;
        }
        // Served from another subnet of the network: the reply is
        // finished there (the exchange's context is not moved otherwise).
        let switched = e
            .reply_member(&ctx)
            .and_then(|(m, host)| Some((m, e.subnets().get(m)?, host)));
        let other;
        let ctx = match switched {
            Some((m, subnet, host)) => {
                other = Ctx {
                    subnet,
                    sidx: m,
                    host,
                    ..ctx
                };
                &other
            }
            None => &ctx,
        };
        Some(match handled {
            Handled::Reply(d) => finish(e, ctx, d),
            Handled::Parked(id, d) => {
                // The built-in flex-option evaluates on the query at pktN_send,
                // after the library unparks the reply: keep the bytes.
                let keep = (!e.flex_options().is_empty()).then(|| Box::<[u8]>::from(self.buf));
                park(ctx, id, Stage::Committed, d, keep)
            }
            Handled::Encode(d) => send_out(e, ctx, d),
            Handled::Done(o) => o,
            Handled::Drop(why) => drop(e, Some(q), why),
        })
    }
}

/// Holds the reply for the library that parked it.
fn park<F: Family>(
    ctx: &Ctx<'_, F>,
    id: u64,
    stage: Stage,
    draft: F::Draft,
    buf: Option<Box<[u8]>>,
) -> F::Outcome {
    F::log_parked(ctx.q, id, stage);
    let host = ctx.host.as_deref().cloned();
    F::parked(
        &ctx.fam,
        Box::new(Parked {
            id,
            stage,
            q: ctx.q.clone(),
            meta: ctx.meta.clone(),
            sidx: ctx.sidx,
            host,
            now: ctx.now,
            draft,
            pc: std::mem::take(&mut *ctx.pc.borrow_mut()),
            classes: ctx.classes.borrow().to_owned_set(),
            buf,
        }),
    )
}

/// Finishes a parked reply (the library unparked it): the remaining
/// stages run. Must be called on the engine that parked it.
pub(crate) fn resume<F: Family>(e: &F, p: Parked<F>) -> F::Outcome {
    let Parked {
        id: _,
        stage,
        q,
        meta,
        sidx,
        host,
        now,
        draft,
        pc,
        classes,
        buf,
    } = p;
    let subnet = if sidx == NO_SUBNET {
        e.no_subnet(&q)
    } else {
        e.subnets().get(sidx)
    };
    let Some(subnet) = subnet else {
        return drop(e, Some(&q), F::NO_SUBNET);
    };
    let pc = RefCell::new(pc);
    let raw = buf.as_deref().map(|b| F::raw(b, &q, &meta));
    let ctx = Ctx {
        pc: &pc,
        q: &q,
        meta: &meta,
        subnet,
        sidx,
        host: host.map(Cow::Owned),
        now,
        fam: F::State::default(),
        classes: RefCell::new(classes),
        raw: raw.as_ref(),
    };
    match stage {
        Stage::Committed => finish(e, &ctx, draft),
        Stage::Sent => send_out(e, &ctx, draft),
    }
}

/// Hands a parked reply's `finish` to the dispatcher that parked it.
pub(crate) fn hold<F: Family>(e: &F, id: u64, finish: Finish) {
    match e.hooks() {
        Some(h) => h.hold(id, finish),
        None => finish(false),
    }
}

/// Counts a parked reply that will never be sent (dropped by its library,
/// the library unloaded, or the parking lot full).
pub(crate) fn drop_parked<F: Family>(e: &F, p: &Parked<F>) {
    drop(e, Some(&p.q), F::HOOK);
}

/// The reply's identifiers and options, `pktN_send`, then [`send_out`].
fn finish<F: Family>(e: &F, ctx: &Ctx<'_, F>, mut d: F::Draft) -> F::Outcome {
    e.complete(ctx, &mut d);
    // The built-in flex-option acts where Kea's library does, at
    // pktN_send (before the callouts of the libraries loaded).
    let fo = e.flex_options();
    if !fo.is_empty() {
        match ctx.raw {
            Some(raw) => crate::flex::apply(fo, raw, &ctx.classes.borrow(), &mut d),
            None => {
                tracing::debug!("flex-option: the query of a resumed reply is no longer available")
            }
        }
    }
    // pktN_send: callouts may change the response, or park it.
    if let Some(h) = hooks_at(e, F::PKT_SEND) {
        let step = {
            let classes = ctx.classes.borrow();
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(F::PKT_SEND, &mut pcm);
            F::set_query(&mut a, ctx.q);
            a.subnet_id = Some(F::subnet_id(ctx.subnet));
            a.classes = Some(&classes);
            F::set_response(&mut a, &mut d);
            a.park = Some(next_park_id());
            (h.call(&mut a), a.park)
        };
        F::after_pkt_send(&mut d);
        match step {
            (NextStep::Continue, _) => {}
            (NextStep::Park, Some(id)) => return park(ctx, id, Stage::Sent, d, None),
            _ => return drop(e, Some(ctx.q), F::HOOK),
        }
    }
    send_out(e, ctx, d)
}

/// Encodes, runs `bufferN_send`, addresses and counts the reply.
fn send_out<F: Family>(e: &F, ctx: &Ctx<'_, F>, d: F::Draft) -> F::Outcome {
    let Some(mut bytes) = e.encode(ctx, &d) else {
        return drop(e, Some(ctx.q), F::UNENCODABLE);
    };
    // bufferN_send: the encoded bytes, which callouts may rewrite.
    if let Some(h) = hooks_at(e, F::BUFFER_SEND) {
        let step = {
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(F::BUFFER_SEND, &mut pcm);
            F::set_query(&mut a, ctx.q);
            a.buffer = Some(&mut bytes);
            h.call(&mut a)
        };
        if step != NextStep::Continue {
            return drop(e, Some(ctx.q), F::HOOK);
        }
    }
    e.counters().inc(F::SENT);
    F::replied(e.reply(ctx, d, bytes))
}

/// Counts the reason and `pktN-receive-drop`, logs at debug level.
fn drop<F: Family>(e: &F, q: Option<&F::Query>, why: F::Drop) -> F::Outcome {
    if let Some(s) = F::drop_stat(why) {
        e.counters().inc(s);
    }
    e.counters().inc(F::RECEIVE_DROP);
    F::log_drop(q, why);
    F::dropped(why)
}
