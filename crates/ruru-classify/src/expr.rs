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
    /// `member('class')`.
    Member(Box<str>),
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
}

/// Bytes of an address literal: 4 for IPv4, 16 for IPv6.
pub(crate) fn addr_bytes(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}
