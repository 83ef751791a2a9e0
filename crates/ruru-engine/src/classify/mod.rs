//! Client classification on the packet path (issue 16): which classes a
//! received packet is in, and the packet as Kea's expression language
//! sees it.
//!
//! This module owns:
//! - [`ClassSet`]: the client's classes for one packet, in the order they
//!   were assigned (Kea's `ClientClasses`: an insertion-ordered set; the
//!   order decides option precedence between classes). It stores names
//!   borrowed from the configuration or the packet, inline up to
//!   [`INLINE`] classes, so that classifying a packet allocates nothing in
//!   the common cases.
//! - [`ClassDef`]: what the engine reads of a configured class (its name,
//!   test, `only-if-required`, whether it depends on `KNOWN`/`UNKNOWN`),
//!   so that the evaluation order is written once for both families and
//!   for any class type (the configuration's `ClientClass4` /
//!   `ClientClass6`).
//! - Kea's evaluation order ("Classification Steps" in Kea's ARM): the
//!   classes on receipt ([`on_receive`]), after the host reservation
//!   lookup ([`after_host`]) and the required classes after the subnet and
//!   pool are chosen ([`required`]).
//! - The packet views, [`view4::Pkt4View`] and [`view6::Pkt6View`], which
//!   implement `ruru_classify::Packet` over the received bytes (borrowed,
//!   never copied), the parsed query, the receive metadata and the
//!   classes so far.
//!
//! Where the classes act (subnet and pool guards, options, fixed fields,
//! lifetimes) is the families' (`v4`, `v6`).

pub mod view4;
pub mod view6;

use std::fmt;
use std::sync::Arc;

use ruru_classify::{Cond, Expr, Packet, Scope};
use ruru_config::ClassTest;

/// Classes kept inline before [`ClassSet`] spills to the heap.
pub const INLINE: usize = 6;

/// Kea's built-in vendor class prefix (`VENDOR_CLASS_<option 60 / 16>`).
pub const VENDOR_CLASS_PREFIX: &str = "VENDOR_CLASS_";
/// Prefix of the classes template classes spawn.
pub const SPAWN_PREFIX: &str = "SPAWN_";
/// The class every packet is in.
pub const ALL: &str = "ALL";
/// A reservation was found for the client.
pub const KNOWN: &str = "KNOWN";
/// No reservation was found for the client.
pub const UNKNOWN: &str = "UNKNOWN";
/// Packets in this class are dropped.
pub const DROP: &str = "DROP";

/// No configured class behind a [`ClassSet`] entry (built-in, reservation
/// or hook class without a definition).
const NO_DEF: u16 = u16::MAX;

/// One class name in a [`ClassSet`].
#[derive(Clone, PartialEq, Eq)]
pub enum Name<'a> {
    /// Borrowed from the configuration, or a built-in constant.
    Str(&'a str),
    /// `VENDOR_CLASS_` followed by these bytes of the packet (option 60's
    /// content in DHCPv4, the first vendor class data of option 16 in
    /// DHCPv6).
    Vendor(&'a [u8]),
    /// Built for this packet (a spawned class, or a parked reply's copy).
    Owned(Box<str>),
}

impl Name<'_> {
    /// Whether this is the class called `name`.
    pub fn is(&self, name: &str) -> bool {
        match self {
            Name::Str(s) => *s == name,
            Name::Owned(s) => &**s == name,
            Name::Vendor(v) => name
                .strip_prefix(VENDOR_CLASS_PREFIX)
                .is_some_and(|rest| rest.as_bytes() == *v),
        }
    }

    /// A copy that borrows nothing.
    pub fn to_owned_name(&self) -> Name<'static> {
        Name::Owned(self.to_string().into_boxed_str())
    }
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Name::Str(s) => f.write_str(s),
            Name::Owned(s) => f.write_str(s),
            Name::Vendor(v) => {
                f.write_str(VENDOR_CLASS_PREFIX)?;
                f.write_str(&String::from_utf8_lossy(v))
            }
        }
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// The classes of one packet, in the order they were assigned, each once.
/// `ALL` is always the first. Each entry remembers the index of its
/// definition in the configuration's class list, when it has one, so that
/// what classes carry (options, fixed fields, lifetimes) is found without
/// searching by name.
///
/// The configured classes among them are also kept as a bit set of their
/// indexes (the first [`DEF_BITS`]), so that `member()` of a configured
/// class, resolved to its index when the configuration loads, and the
/// "already in" check of each match are bit tests, not name comparisons.
/// A configured class always enters with its index ([`ClassSet::insert_def`]);
/// [`ClassSet::insert`] is for names without a definition.
#[derive(Clone)]
pub struct ClassSet<'a> {
    inline: [(Name<'a>, u16); INLINE],
    len: usize,
    spill: Vec<(Name<'a>, u16)>,
    /// Bit `i`: configured class `i` (`i < DEF_BITS`) is in.
    defs: u128,
    /// `DROP` is in.
    drop: bool,
    /// `KNOWN` or `UNKNOWN` was assigned (the host lookup pass ran).
    host_pass: bool,
}

/// Configured classes whose membership is a bit of [`ClassSet`]; the
/// others (a configuration with more classes) are found by index.
pub const DEF_BITS: usize = 128;

impl Default for ClassSet<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> ClassSet<'a> {
    /// A set holding `ALL` only.
    pub fn new() -> Self {
        let mut s = ClassSet::empty();
        s.push(Name::Str(ALL), NO_DEF);
        s
    }

    fn empty() -> Self {
        ClassSet {
            inline: [const { (Name::Str(""), NO_DEF) }; INLINE],
            len: 0,
            spill: Vec::new(),
            defs: 0,
            drop: false,
            host_pass: false,
        }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.len + self.spill.len()
    }

    /// Never: `ALL` is always in.
    pub fn is_empty(&self) -> bool {
        false
    }

    fn push(&mut self, n: Name<'a>, def: u16) {
        self.drop |= n.is(DROP);
        if usize::from(def) < DEF_BITS {
            self.defs |= 1 << def;
        }
        if self.len < INLINE {
            self.inline[self.len] = (n, def);
            self.len += 1;
        } else {
            self.spill.push((n, def));
        }
    }

    fn entries(&self) -> impl Iterator<Item = &(Name<'a>, u16)> {
        self.inline[..self.len].iter().chain(&self.spill)
    }

    /// Whether the packet is in class `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.entries().any(|(n, _)| n.is(name))
    }

    /// Adds a class without a definition (built-in, or a reservation's or
    /// a hook's class that is not defined), unless already in.
    pub fn insert(&mut self, n: Name<'a>) {
        if !self.entries().any(|(m, _)| m.same(&n)) {
            self.push(n, NO_DEF);
        }
    }

    /// Adds `KNOWN` or `UNKNOWN` (without a definition): unchecked the
    /// first time, as nothing assigns them before the host lookup pass;
    /// checked when the pass runs again (Kea's early global reservation
    /// lookup runs it before subnet selection too).
    fn insert_host_class(&mut self, n: Name<'a>) {
        if self.host_pass {
            self.insert(n);
        } else {
            self.host_pass = true;
            debug_assert!(!self.entries().any(|(m, _)| m.same(&n)));
            self.push(n, NO_DEF);
        }
    }

    /// Adds configured class number `def`, named `name`, unless already in
    /// (it may have been added by name before: it gets its index).
    pub fn insert_def(&mut self, name: &'a str, def: usize) {
        if def < DEF_BITS {
            if self.defs & (1 << def) == 0 {
                self.push(Name::Str(name), def as u16);
            }
            return;
        }
        let def = u16::try_from(def).unwrap_or(NO_DEF);
        let slots = self.inline[..self.len].iter_mut().chain(&mut self.spill);
        for (n, d) in slots {
            if n.is(name) {
                if *d == NO_DEF {
                    *d = def;
                }
                return;
            }
        }
        self.push(Name::Str(name), def);
    }

    /// Whether configured class number `def` is in.
    #[inline(always)]
    pub fn has_def(&self, def: usize) -> bool {
        if def < DEF_BITS {
            self.defs & (1 << def) != 0
        } else {
            self.entries().any(|(_, d)| usize::from(*d) == def)
        }
    }

    /// Whether the packet is in class `DROP` (to be dropped).
    #[inline]
    pub fn has_drop(&self) -> bool {
        self.drop
    }

    /// The classes, in assignment order.
    pub fn names(&self) -> impl Iterator<Item = &Name<'a>> {
        self.entries().map(|(n, _)| n)
    }

    /// The configuration indexes of the classes that have a definition,
    /// in assignment order (what option precedence and the class fixed
    /// fields and lifetimes walk).
    pub fn defs(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries()
            .filter(|(_, d)| *d != NO_DEF)
            .map(|(_, d)| usize::from(*d))
    }

    /// A copy that borrows nothing (for a parked reply).
    pub fn to_owned_set(&self) -> ClassSet<'static> {
        let mut s = ClassSet::empty();
        for (n, d) in self.entries() {
            s.push(n.to_owned_name(), *d);
        }
        s
    }

    /// The names as strings (Kea's `ClientClasses::toText` list), for
    /// logs and hook libraries.
    pub fn to_strings(&self) -> Vec<String> {
        self.names().map(ToString::to_string).collect()
    }
}

impl Name<'_> {
    /// Whether both are the same class, without building either name.
    fn same(&self, other: &Name<'_>) -> bool {
        match (self, other) {
            (Name::Vendor(a), Name::Vendor(b)) => a == b,
            (_, Name::Str(s)) => self.is(s),
            (_, Name::Owned(s)) => self.is(s),
            (Name::Str(s), Name::Vendor(_)) => other.is(s),
            (Name::Owned(s), Name::Vendor(_)) => other.is(s),
        }
    }
}

impl fmt::Debug for ClassSet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.names().map(ToString::to_string))
            .finish()
    }
}

/// How a class is assigned by evaluation.
#[derive(Debug, Clone, Copy)]
pub enum Test<'d> {
    /// No expression: only reservations, hooks or (`only-if-required`)
    /// a requiring subnet or pool put packets in it.
    None,
    /// `test`: in the class when true.
    Bool(&'d Expr),
    /// `template-test`: a non-empty value `v` puts the packet in the class
    /// and in `SPAWN_<name>_<v>`.
    Template(&'d Expr),
}

/// What the engine reads of a configured class.
pub trait ClassDef {
    fn name(&self) -> &str;
    fn test(&self) -> Test<'_>;
    /// `only-if-required`: evaluated only when a subnet or pool requires it.
    fn only_if_required(&self) -> bool;
    /// The test uses `KNOWN`/`UNKNOWN`, directly or through another class:
    /// evaluated after the host reservation lookup.
    fn depends_on_known(&self) -> bool;
    /// The compiled `test` or `template-test`, shared.
    fn expr(&self) -> Option<&Arc<Expr>>;
}

/// The configuration's classes, both families.
macro_rules! class_def {
    ($t:ty) => {
        impl ClassDef for $t {
            #[inline]
            fn name(&self) -> &str {
                &self.name
            }
            #[inline]
            fn test(&self) -> Test<'_> {
                match &self.test {
                    ClassTest::None => Test::None,
                    ClassTest::Test(e) => Test::Bool(e),
                    ClassTest::Template(e) => Test::Template(e),
                }
            }
            #[inline]
            fn only_if_required(&self) -> bool {
                self.only_if_required
            }
            #[inline]
            fn depends_on_known(&self) -> bool {
                self.depends_on_known
            }
            fn expr(&self) -> Option<&Arc<Expr>> {
                self.test.expr()
            }
        }
    };
}
class_def!(ruru_config::ClientClass4);
class_def!(ruru_config::ClientClass6);

/// Received packet data the class tests are evaluated on: builds the
/// `ruru_classify::Packet` view with the classes assigned so far.
pub trait Source {
    type View<'s>: Packet
    where
        Self: 's;
    fn view<'s>(&'s self, classes: &'s ClassSet<'s>) -> Self::View<'s>;
    /// The built-in vendor class content (`VENDOR_CLASS_<it>`), if any.
    fn vendor_class(&self) -> Option<&[u8]>;
    /// Whether the packet has option `code` of `scope` (a class gate
    /// [`Cond`]), when that is known without a search: `Some(false)` lets
    /// a gated class be skipped, `Some(true)` decides an
    /// `option[c].exists` test; `None` when it cannot tell cheaply.
    fn has(&self, scope: Scope, code: u16) -> Option<bool>;
}

/// One class of a pass: its index in the class list, its test and its
/// gate ([`Expr::gate`]: the test is not evaluated when none of these
/// conditions holds; empty: always evaluated).
#[derive(Debug, Clone)]
struct Step {
    def: usize,
    test: StepTest,
    gate: Box<[Cond]>,
    /// The test is its one gate option's `.exists` ([`Expr::is_exists`]).
    exists: bool,
}

/// A class's test, held by the plan so that the per-packet loop reads it
/// without going through the class definition.
#[derive(Debug, Clone)]
enum StepTest {
    None,
    Bool(Arc<Expr>),
    Template(Arc<Expr>),
}

/// What the evaluation order needs of a class list, found once per
/// configuration ([`Plan::new`]) rather than per packet: the classes
/// evaluated on receipt and after the host reservation lookup, in order,
/// each with its gate; the configured classes named `KNOWN` and
/// `UNKNOWN`, if any; and the configured `VENDOR_CLASS_...` classes (a
/// class that gives options to one vendor's clients).
#[derive(Debug, Clone, Default)]
pub struct Plan {
    receive: Box<[Step]>,
    after_host: Box<[Step]>,
    known: Option<usize>,
    unknown: Option<usize>,
    vendor: Box<[usize]>,
}

impl Plan {
    /// The plan of `defs`; the functions that take both must be given
    /// the same list.
    pub fn new<D: ClassDef>(defs: &[D]) -> Plan {
        let pass = |after: bool| {
            defs.iter()
                .enumerate()
                .filter(|(_, d)| !d.only_if_required() && d.depends_on_known() == after)
                .map(|(i, d)| {
                    let test = match (d.test(), d.expr()) {
                        (Test::Bool(_), Some(e)) => StepTest::Bool(Arc::clone(e)),
                        (Test::Template(_), Some(e)) => StepTest::Template(Arc::clone(e)),
                        _ => StepTest::None,
                    };
                    let gate = match &test {
                        StepTest::Bool(e) => e.gate().unwrap_or_default().into(),
                        StepTest::None | StepTest::Template(_) => Box::default(),
                    };
                    let exists = matches!(&test, StepTest::Bool(e) if e.is_exists());
                    Step {
                        def: i,
                        test,
                        gate,
                        exists,
                    }
                })
                .collect()
        };
        Plan {
            receive: pass(false),
            after_host: pass(true),
            known: defs.iter().position(|d| d.name() == KNOWN),
            unknown: defs.iter().position(|d| d.name() == UNKNOWN),
            vendor: defs
                .iter()
                .enumerate()
                .filter(|(_, d)| d.name().len() > VENDOR_CLASS_PREFIX.len())
                .filter(|(_, d)| d.name().starts_with(VENDOR_CLASS_PREFIX))
                .map(|(i, _)| i)
                .collect(),
        }
    }
}

/// Evaluates class `d` (number `i`) and adds it, as `name`, (and what it
/// spawns) to `set` on a match. An evaluation error counts as no match
/// and is logged, as in Kea.
#[inline(always)]
fn evaluate<'a, S: Source, D: ClassDef>(
    src: &S,
    set: &mut ClassSet<'a>,
    i: usize,
    d: &D,
    name: &'a str,
) {
    match d.test() {
        // Assigned by the callers (a required class without a test) or by
        // name (`VENDOR_CLASS_...`, reservations: with their definition).
        Test::None => {}
        Test::Bool(e) => {
            let r = e.eval_bool(&src.view(set));
            match r {
                Ok(true) => set.insert_def(name, i),
                Ok(false) => {}
                Err(err) => test_failed(d.name(), &err),
            }
        }
        Test::Template(e) => template(src, set, i, d, name, e),
    }
}

/// The classes of one pass, in order: those whose gate option the
/// packet has are evaluated.
#[inline(always)]
fn run<'a, S: Source, D: ClassDef>(
    src: &'a S,
    defs: &'a [D],
    steps: &[Step],
    set: &mut ClassSet<'a>,
) {
    for st in steps {
        let skip = match &*st.gate {
            [] => false,
            [c] => !holds(src, set, c),
            [a, b] => !holds(src, set, a) && !holds(src, set, b),
            cs => {
                let mut none = true;
                for c in cs {
                    if holds(src, set, c) {
                        none = false;
                        break;
                    }
                }
                none
            }
        };
        if skip {
            continue;
        }
        if st.exists {
            if let [Cond::Option(scope, code)] = &*st.gate {
                if src.has(*scope, *code) == Some(true) {
                    if let Some(d) = defs.get(st.def) {
                        set.insert_def(d.name(), st.def);
                    }
                    continue;
                }
            }
        }
        match &st.test {
            StepTest::None => {}
            StepTest::Bool(e) => {
                let r = e.eval_bool(&src.view(set));
                match r {
                    Ok(true) => {
                        if let Some(d) = defs.get(st.def) {
                            set.insert_def(d.name(), st.def);
                        }
                    }
                    Ok(false) => {}
                    Err(err) => test_failed(defs.get(st.def).map_or("", |d| d.name()), &err),
                }
            }
            StepTest::Template(e) => {
                if let Some(d) = defs.get(st.def) {
                    template(src, set, st.def, d, d.name(), e);
                }
            }
        }
    }
}

/// Whether a gate condition may hold for the packet.
#[inline(always)]
fn holds<S: Source>(src: &S, set: &ClassSet<'_>, c: &Cond) -> bool {
    match *c {
        Cond::Option(scope, code) => src.has(scope, code) != Some(false),
        Cond::Member(def) => set.has_def(def),
    }
}

#[cold]
#[inline(never)]
fn test_failed(class: &str, err: &ruru_classify::EvalError) {
    tracing::error!(class, error = %err, "class test failed");
}

/// A `template-test`: the class and `SPAWN_<name>_<value>` on a non-empty
/// value.
#[inline(never)]
fn template<'a, S: Source, D: ClassDef>(
    src: &S,
    set: &mut ClassSet<'a>,
    i: usize,
    d: &D,
    name: &'a str,
    e: &Expr,
) {
    let spawned = {
        let view = src.view(set);
        match e.eval_string(&view) {
            Ok(v) if !v.as_bytes().is_empty() => Some(format!(
                "{SPAWN_PREFIX}{}_{}",
                d.name(),
                String::from_utf8_lossy(v.as_bytes())
            )),
            Ok(_) => None,
            Err(err) => {
                tracing::error!(class = d.name(), error = %err, "class template-test failed");
                None
            }
        }
    };
    if let Some(s) = spawned {
        set.insert_def(name, i);
        set.insert(Name::Owned(s.into_boxed_str()));
    }
}

/// Kea's classification on receipt (`classifyPacket`): `ALL` (already in
/// a new set), the built-in vendor class (with its definition when one is
/// configured), then the configured classes in order, skipping those
/// evaluated later (`only-if-required`, depending on `KNOWN`/`UNKNOWN`).
/// A class whose test is true joins the set before the next is
/// evaluated, so `member()` sees it. `plan` is [`Plan::new`] of `defs`.
pub fn on_receive<'a, S: Source, D: ClassDef>(
    src: &'a S,
    defs: &'a [D],
    plan: &Plan,
    set: &mut ClassSet<'a>,
) {
    if let Some(v) = src.vendor_class() {
        let defined = plan.vendor.iter().find_map(|&i| {
            let d = defs.get(i)?;
            let rest = d.name().strip_prefix(VENDOR_CLASS_PREFIX)?;
            (rest.as_bytes() == v).then_some((i, d))
        });
        match defined {
            Some((i, d)) => set.insert_def(d.name(), i),
            None => set.insert(Name::Vendor(v)),
        }
    }
    run(src, defs, &plan.receive, set);
}

/// After the host reservation lookup (Kea's second pass): `KNOWN` or
/// `UNKNOWN`, the reservation's classes, then the classes that depend on
/// `KNOWN`/`UNKNOWN`, in order. `plan` is [`Plan::new`] of `defs`.
pub fn after_host<'a, S: Source, D: ClassDef>(
    src: &'a S,
    defs: &'a [D],
    plan: &Plan,
    set: &mut ClassSet<'a>,
    host: Option<HostClasses<'a, '_>>,
) {
    let builtin = |set: &mut ClassSet<'a>, def: Option<usize>, name: &'static str| match def
        .and_then(|i| Some((i, defs.get(i)?)))
    {
        Some((i, d)) => set.insert_def(d.name(), i),
        // Only Kea's early global reservation lookup (a first call of this
        // pass, before subnet selection) may have assigned it already.
        None => set.insert_host_class(Name::Str(name)),
    };
    match host {
        Some(hc) => {
            builtin(set, plan.known, KNOWN);
            match hc {
                HostClasses::Borrowed(cs) => {
                    for c in cs {
                        add_named(defs, set, c);
                    }
                }
                HostClasses::Copied(cs) => {
                    for c in cs {
                        match defs.iter().position(|d| d.name() == c) {
                            Some(i) => set.insert_def(defs[i].name(), i),
                            None => set.insert(Name::Owned(c.clone().into_boxed_str())),
                        }
                    }
                }
            }
        }
        None => builtin(set, plan.unknown, UNKNOWN),
    }
    run(src, defs, &plan.after_host, set);
}

/// The `client-classes` of the client's reservation.
#[derive(Debug, Clone, Copy)]
pub enum HostClasses<'a, 'h> {
    /// A reservation of the configuration: the names are borrowed.
    Borrowed(&'a [String]),
    /// A reservation read from a host database for this packet: names
    /// without a definition are copied.
    Copied(&'h [String]),
}

/// Adds class `name`, with its definition's index when it is configured.
pub fn add_named<'a, D: ClassDef>(defs: &'a [D], set: &mut ClassSet<'a>, name: &'a str) {
    match defs.iter().position(|d| d.name() == name) {
        Some(i) => set.insert_def(name, i),
        None => set.insert(Name::Str(name)),
    }
}

/// Kea's `requiredClassify`: the classes `required` names (shared network,
/// subnet, then pool lists, each in order, each once), evaluated in that
/// order; a required class without a test is added unconditionally. Names
/// without a definition are ignored. The set borrows the names from the
/// lists (so `defs` need not outlive it).
pub fn required<'a, S: Source, D: ClassDef>(
    src: &S,
    defs: &[D],
    set: &mut ClassSet<'a>,
    required: impl IntoIterator<Item = &'a [String]>,
) {
    for list in required {
        for name in list {
            // Each once: a class already in (listed earlier, or assigned
            // before) stays in and is not evaluated again.
            if set.contains(name) {
                continue;
            }
            let Some(i) = defs.iter().position(|d| d.name() == name) else {
                continue;
            };
            let d = &defs[i];
            match d.test() {
                Test::None => set.insert_def(name, i),
                _ => evaluate(src, set, i, d, name),
            }
        }
    }
}

/// Whether a subnet or pool guard (`client-class` / `client-classes`)
/// lets a packet in `set` use it: no guard, or one of its classes.
pub fn allowed(guard: &[String], set: &ClassSet<'_>) -> bool {
    guard.is_empty() || guard.iter().any(|c| set.contains(c))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) mod engine_tests;
