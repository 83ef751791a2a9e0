//! The compiled form: a typed tree built once per configuration.
//!
//! Kea compiles to a flat token list in reverse Polish notation with branch
//! labels and checks at run time that each value is a string or a boolean.
//! Here the parser already knows the type of every sub-expression, so the
//! tree has two node types, [`BoolNode`] and [`StrNode`], and evaluation
//! cannot meet a type error. Chains of the same associative operator
//! (`a or b or c`, `'a' + 'b' + 'c'`) are single n-ary nodes, which keeps
//! the tree shallow: its depth is bounded by [`crate::MAX_DEPTH`], and so is
//! the recursion of the evaluator.

use std::net::IpAddr;

use crate::Family;

/// Where a run of `option[..]` codes is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Options of the packet itself (the client's message in DHCPv6).
    Packet,
    /// Sub-options of the DHCPv4 Relay Agent Information option (82).
    Relay4,
    /// Options of one DHCPv6 relay encapsulation; 0 is the relay closest
    /// to the server (the outermost Relay-Forward).
    Relay6(usize),
    /// Sub-options of the first vendor-specific option (DHCPv4 125,
    /// DHCPv6 17), already checked to carry the requested enterprise.
    Vendor,
}

/// `.hex`, `.text` or `.exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repr {
    Hex,
    Text,
}

/// A DHCPv4 header field reachable through `pkt4.*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pkt4Field {
    Mac,
    Hlen,
    Htype,
    Ciaddr,
    Giaddr,
    Yiaddr,
    Siaddr,
    MsgType,
    TransId,
}

/// `pkt.*` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PktField {
    Iface,
    Src,
    Dst,
    Len,
}

/// `substring`'s length argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SubLen {
    All,
    N(i64),
}

/// The integer conversions to text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntConv {
    I8,
    I16,
    I32,
    U8,
    U16,
    U32,
}

impl IntConv {
    pub(crate) fn name(self) -> &'static str {
        match self {
            IntConv::I8 => "int8totext",
            IntConv::I16 => "int16totext",
            IntConv::I32 => "int32totext",
            IntConv::U8 => "uint8totext",
            IntConv::U16 => "uint16totext",
            IntConv::U32 => "uint32totext",
        }
    }

    pub(crate) fn width(self) -> usize {
        match self {
            IntConv::I8 | IntConv::U8 => 1,
            IntConv::I16 | IntConv::U16 => 2,
            IntConv::I32 | IntConv::U32 => 4,
        }
    }
}

/// Which relay-forward address `relay6[n].peeraddr|linkaddr` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay6Addr {
    /// `peer-address` of the Relay-Forward message.
    Peer,
    /// `link-address` of the Relay-Forward message.
    Link,
}

/// A boolean-valued node.
#[derive(Debug)]
pub(crate) enum BoolNode {
    /// Constant (`member('ALL')`).
    Const(bool),
    Eq(Box<StrNode>, Box<StrNode>),
    Not(Box<BoolNode>),
    /// `and` (short-circuit, Kea >= 2.7.2) or `sand` (both sides evaluated).
    And(Vec<BoolNode>, bool),
    /// `or` (short-circuit, Kea >= 2.7.2) or `sor` (both sides evaluated).
    Or(Vec<BoolNode>, bool),
    /// `option[..]...exists` and `relay4[..]...exists`.
    OptionExists(Scope, Box<[u16]>),
    /// `relay6[nest].option[..]...exists`.
    Relay6Exists(i8, Box<[u16]>),
    /// `vendor[ent].exists` (0 = any).
    VendorExists(u32),
    /// `vendor[ent].option[..]...exists`.
    VendorOptionExists(u32, Box<[u16]>),
    /// `vendor-class[ent].exists`.
    VendorClassExists(u32),
    /// `member('class')`, with the index of the class's definition in the
    /// configuration's class list once [`Expr::resolve_members`] has found
    /// it (`None`: a built-in or not yet resolved class, looked up by name).
    Member(Box<str>, Option<u32>),
    /// `match('regex', string)`.
    Match(Box<regex::bytes::Regex>, Box<StrNode>),
    /// `x == 'lit'` (either way round) where `x` is bytes of the packet
    /// read in place ([`Bytes`]), cut to its first `n` bytes when `Some(n)`
    /// (`substring(x, 0, n)`, `0 <= n <= i32::MAX`): the common class
    /// tests, compared without building [`crate::Value`]s.
    EqLit(Bytes, Option<usize>, Box<[u8]>),
}

/// Packet bytes an [`BoolNode::EqLit`] compares in place; absent is `""`.
#[derive(Debug)]
pub(crate) enum Bytes {
    /// `option[..]...hex` and `relay4[..]...hex` ([`Scope::Packet`] and
    /// [`Scope::Relay4`] only).
    Option(Scope, Box<[u16]>),
    /// `relay6[nest].option[..]...hex`.
    Relay6Option(i8, Box<[u16]>),
    /// `pkt4.mac`.
    Mac,
}

impl BoolNode {
    /// `a == b`, as [`BoolNode::EqLit`] when it has that shape (same
    /// results, errors and evaluation order as [`BoolNode::Eq`]: the
    /// shapes it takes evaluate without error on a packet of their
    /// family, except `pkt4.mac`, whose error is kept).
    pub(crate) fn eq(a: StrNode, b: StrNode) -> BoolNode {
        match (a, b) {
            (StrNode::Lit(lit), x) | (x, StrNode::Lit(lit)) => match Bytes::of(x) {
                Ok((bytes, prefix)) => BoolNode::EqLit(bytes, prefix, lit),
                Err(x) => BoolNode::Eq(Box::new(x), Box::new(StrNode::Lit(lit))),
            },
            (a, b) => BoolNode::Eq(Box::new(a), Box::new(b)),
        }
    }
}

impl Bytes {
    /// `n` as bytes read in place, with the prefix length of a
    /// `substring(.., 0, k)`; `n` back when it is not of that shape.
    fn of(n: StrNode) -> Result<(Bytes, Option<usize>), StrNode> {
        match n {
            StrNode::Substring(inner, 0, len) => {
                let prefix = match len {
                    SubLen::All => None,
                    SubLen::N(k) => match usize::try_from(k) {
                        Ok(k) if i32::try_from(k).is_ok() => Some(k),
                        _ => return Err(StrNode::Substring(inner, 0, len)),
                    },
                };
                match Bytes::whole(*inner) {
                    Ok(b) => Ok((b, prefix)),
                    Err(inner) => Err(StrNode::Substring(Box::new(inner), 0, len)),
                }
            }
            n => Bytes::whole(n).map(|b| (b, None)),
        }
    }

    fn whole(n: StrNode) -> Result<Bytes, StrNode> {
        match n {
            StrNode::Option(scope @ (Scope::Packet | Scope::Relay4), path, Repr::Hex) => {
                Ok(Bytes::Option(scope, path))
            }
            StrNode::Relay6Option(nest, path, Repr::Hex) => Ok(Bytes::Relay6Option(nest, path)),
            StrNode::Pkt4(Pkt4Field::Mac) => Ok(Bytes::Mac),
            n => Err(n),
        }
    }
}

/// A string-valued node (a byte string, as in Kea).
#[derive(Debug)]
pub(crate) enum StrNode {
    /// String, hex string, integer and address literals.
    Lit(Box<[u8]>),
    /// `option[..]...hex|text`, `relay4[..]...hex|text`.
    Option(Scope, Box<[u16]>, Repr),
    /// `relay6[nest].option[..]...hex|text`.
    Relay6Option(i8, Box<[u16]>, Repr),
    /// `relay6[nest].peeraddr|linkaddr`.
    Relay6Addr(i8, Relay6Addr),
    Pkt(PktField),
    Pkt4(Pkt4Field),
    /// `pkt6.msgtype` (false) or `pkt6.transid` (true).
    Pkt6(bool),
    /// `vendor.enterprise` (vendor-class: true).
    Enterprise(bool),
    /// `vendor[ent].option[..]...hex|text`.
    VendorOption(u32, Box<[u16]>, Repr),
    /// `vendor-class[ent].data[index]`.
    VendorClassData(u32, u8),
    Substring(Box<StrNode>, i64, SubLen),
    Split(Box<StrNode>, Box<StrNode>, i64),
    /// `concat(a, b)` and `a + b + ...`.
    Concat(Vec<StrNode>),
    Lcase(Box<StrNode>),
    Ucase(Box<StrNode>),
    /// `ifelse` (strict = false) and `sifelse` (strict = true).
    IfElse(Box<BoolNode>, Box<StrNode>, Box<StrNode>, bool),
    HexString(Box<StrNode>, Box<StrNode>),
    AddrToText(Box<StrNode>),
    IntToText(IntConv, Box<StrNode>),
}

/// The value type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A condition: a class `test`.
    Bool,
    /// A byte string: flex-id's `identifier-expression`, flex-option
    /// values, `template-test`.
    String,
}

#[derive(Debug)]
pub(crate) enum Root {
    Bool(BoolNode),
    Str(StrNode),
}

/// A class name used in `member()`, with its place in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    /// The class name.
    pub name: String,
    /// Byte offset of the quoted name in the expression text.
    pub offset: usize,
    /// Byte length of the quoted name, quotes included.
    pub len: usize,
}

/// A parsed expression, ready to be evaluated on packets of its family.
#[derive(Debug)]
pub struct Expr {
    pub(crate) root: Root,
    pub(crate) family: Family,
    pub(crate) source: String,
    pub(crate) members: Vec<MemberRef>,
}

impl Expr {
    /// Whether the expression is a condition or a string.
    pub fn kind(&self) -> Kind {
        match self.root {
            Root::Bool(_) => Kind::Bool,
            Root::Str(_) => Kind::String,
        }
    }

    /// The family the expression was parsed for.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The expression text as given to the parser.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every `member('...')` in the expression, in text order, so that the
    /// configuration can check that the classes are defined before this
    /// one (Kea rejects forward references) and find the classes that
    /// depend on `KNOWN`/`UNKNOWN`.
    pub fn members(&self) -> &[MemberRef] {
        &self.members
    }

    /// Gives every `member('name')` the index `index_of(name)` of the
    /// class's definition, so that evaluation asks the packet
    /// [`crate::Packet::member_def`] (a bit test) instead of comparing
    /// names. `index_of` returns `None` for names without a definition
    /// (built-in classes), which stay looked up by name. Called once per
    /// configuration, with the list the packet's classes refer to.
    pub fn resolve_members(&mut self, index_of: &dyn Fn(&str) -> Option<usize>) {
        fn bool_node(n: &mut BoolNode, f: &dyn Fn(&str) -> Option<usize>) {
            match n {
                BoolNode::Member(name, def) => {
                    *def = f(name).and_then(|i| u32::try_from(i).ok());
                }
                BoolNode::Not(b) => bool_node(b, f),
                BoolNode::And(items, _) | BoolNode::Or(items, _) => {
                    items.iter_mut().for_each(|b| bool_node(b, f));
                }
                BoolNode::Eq(a, b) => {
                    str_node(a, f);
                    str_node(b, f);
                }
                BoolNode::Match(_, s) => str_node(s, f),
                BoolNode::Const(_)
                | BoolNode::OptionExists(..)
                | BoolNode::Relay6Exists(..)
                | BoolNode::VendorExists(_)
                | BoolNode::VendorOptionExists(..)
                | BoolNode::VendorClassExists(_)
                | BoolNode::EqLit(..) => {}
            }
        }
        fn str_node(n: &mut StrNode, f: &dyn Fn(&str) -> Option<usize>) {
            match n {
                StrNode::IfElse(c, a, b, _) => {
                    bool_node(c, f);
                    str_node(a, f);
                    str_node(b, f);
                }
                StrNode::Substring(s, ..)
                | StrNode::Lcase(s)
                | StrNode::Ucase(s)
                | StrNode::AddrToText(s)
                | StrNode::IntToText(_, s) => str_node(s, f),
                StrNode::Split(a, b, _) | StrNode::HexString(a, b) => {
                    str_node(a, f);
                    str_node(b, f);
                }
                StrNode::Concat(parts) => parts.iter_mut().for_each(|p| str_node(p, f)),
                StrNode::Lit(_)
                | StrNode::Option(..)
                | StrNode::Relay6Option(..)
                | StrNode::Relay6Addr(..)
                | StrNode::Pkt(_)
                | StrNode::Pkt4(_)
                | StrNode::Pkt6(_)
                | StrNode::Enterprise(_)
                | StrNode::VendorOption(..)
                | StrNode::VendorClassData(..) => {}
            }
        }
        match &mut self.root {
            Root::Bool(b) => bool_node(b, index_of),
            Root::Str(s) => str_node(s, index_of),
        }
    }

    /// A cheap necessary condition for this test: the test can only be
    /// true when at least one of the returned [`Cond`]s holds, so a caller
    /// that finds none holding may skip the evaluation (the result is the
    /// same, and the skipped evaluation could not have failed). `None`
    /// when there is no such condition (string expressions, or tests that
    /// may hold without any one option or class).
    ///
    /// - a comparison of an option (`option[c]`, `relay4[c]`, `relay6[n]`
    ///   with `n >= 0`) with a non-empty literal, and `.exists`: the option;
    /// - `member('c')` resolved by [`Expr::resolve_members`]: the class;
    /// - `a and ...` (short-circuit): the condition of `a`;
    /// - `a or b or ...`: the conditions of all operands, when each has
    ///   one.
    pub fn gate(&self) -> Option<Vec<Cond>> {
        fn gate(n: &BoolNode, out: &mut Vec<Cond>) -> bool {
            match n {
                BoolNode::EqLit(Bytes::Option(scope, path), _, lit) if !lit.is_empty() => {
                    push_option(out, *scope, path)
                }
                // `relay6[n]` counted from the server side: a packet with
                // fewer relays has no such option.
                BoolNode::EqLit(Bytes::Relay6Option(nest, path), _, lit)
                    if !lit.is_empty() && *nest >= 0 =>
                {
                    push_option(out, Scope::Relay6(usize::from(nest.unsigned_abs())), path)
                }
                BoolNode::Relay6Exists(nest, path) if *nest >= 0 => {
                    push_option(out, Scope::Relay6(usize::from(nest.unsigned_abs())), path)
                }
                BoolNode::OptionExists(scope @ (Scope::Packet | Scope::Relay4), path) => {
                    push_option(out, *scope, path)
                }
                BoolNode::Member(_, Some(def)) => {
                    out.push(Cond::Member(*def as usize));
                    true
                }
                // Short-circuit `and`: when its first operand is false,
                // nothing else is evaluated.
                BoolNode::And(items, false) => items.first().is_some_and(|a| gate(a, out)),
                // An `or` is false when all its operands are.
                BoolNode::Or(items, _) => !items.is_empty() && items.iter().all(|a| gate(a, out)),
                _ => false,
            }
        }
        fn push_option(out: &mut Vec<Cond>, scope: Scope, path: &[u16]) -> bool {
            match path.first() {
                Some(&code) => {
                    out.push(Cond::Option(scope, code));
                    true
                }
                None => false,
            }
        }
        let mut out = Vec::new();
        match &self.root {
            Root::Bool(b) if gate(b, &mut out) => Some(out),
            _ => None,
        }
    }
}

impl Expr {
    /// Whether the test is exactly `option[c].exists` (or `relay4[c].exists`,
    /// `relay6[n].option[c].exists` with `n >= 0`): then it is true exactly
    /// when the packet has the one option of its [`Expr::gate`], and a
    /// caller that knows that may skip the evaluation.
    pub fn is_exists(&self) -> bool {
        match &self.root {
            Root::Bool(BoolNode::OptionExists(Scope::Packet | Scope::Relay4, path)) => {
                path.len() == 1
            }
            Root::Bool(BoolNode::Relay6Exists(nest, path)) => *nest >= 0 && path.len() == 1,
            _ => false,
        }
    }
}

/// One condition of [`Expr::gate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cond {
    /// The packet has this option (for [`Scope::Relay4`], this sub-option
    /// of option 82; for [`Scope::Relay6`], this option of that relay
    /// level).
    Option(Scope, u16),
    /// The packet is in the class with this definition index (see
    /// [`Expr::resolve_members`]).
    Member(usize),
}

/// Bytes of an address literal: 4 for IPv4, 16 for IPv6.
pub(crate) fn addr_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}
