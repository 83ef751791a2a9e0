//! The parser: tokens to the typed tree of [`crate::expr`], following the
//! grammar of Kea's `parser.yy` (Kea 3.x, a superset of 2.x).
//!
//! Recursive descent with precedence climbing for the logical operators.
//! Booleans and strings are parsed by the same functions and typed as they
//! are built, because `(` may open either (`('a' + 'b') == 'ab'`,
//! `('a' == 'b') or c`). Precedence, loosest first: `sor`, `or`, `sand`,
//! `and`, `not`, then `==` (non-associative), then `+`. Recursion is bounded
//! by [`crate::MAX_DEPTH`] nesting levels.

use regex::bytes::{Regex, RegexBuilder};

use crate::error::ExprError;
use crate::expr::*;
use crate::lexer::{Kw, Lexer, Tok, Token};
use crate::names::OptionNames;
use crate::{Family, MAX_DEPTH};

/// A parsed sub-expression of either type.
enum Typed {
    Bool(BoolNode),
    Str(StrNode),
}

pub(crate) struct Parser<'s, 'n> {
    text: &'s str,
    lexer: Lexer<'s>,
    peeked: Option<Token<'s>>,
    family: Family,
    names: &'n dyn OptionNames,
    depth: usize,
    members: Vec<MemberRef>,
}

type R<T> = Result<T, ExprError>;

impl<'s, 'n> Parser<'s, 'n> {
    pub(crate) fn new(text: &'s str, family: Family, names: &'n dyn OptionNames) -> Self {
        Parser {
            text,
            lexer: Lexer::new(text),
            peeked: None,
            family,
            names,
            depth: 0,
            members: Vec::new(),
        }
    }

    /// Parses the whole text; `want` requires a type at the top.
    pub(crate) fn parse(mut self, want: Option<Kind>) -> R<Expr> {
        let first = self.peek()?.start;
        let top = self.expr(0)?;
        let end = self.bump()?;
        if end.tok != Tok::End {
            let msg = match top {
                Typed::Str(_) => format!("expected '==' or '+', found {}", end.tok.describe()),
                Typed::Bool(_) => format!(
                    "expected 'and', 'or' or the end of the expression, found {}",
                    end.tok.describe()
                ),
            };
            return Err(self.err_tok(&end, msg));
        }
        let root = match (top, want) {
            (Typed::Str(_), Some(Kind::Bool)) => {
                return Err(self.err_tok(
                    &end,
                    "expected '==' or '+': a class test must be a condition, not a string",
                ))
            }
            (Typed::Bool(_), Some(Kind::String)) => {
                return Err(ExprError::at(
                    self.text,
                    first,
                    0,
                    "expected a string expression, found a condition",
                ))
            }
            (Typed::Bool(b), _) => Root::Bool(b),
            (Typed::Str(s), _) => Root::Str(s),
        };
        Ok(Expr {
            root,
            family: self.family,
            source: self.text.to_owned(),
            members: self.members,
        })
    }

    // ----- token plumbing -------------------------------------------------

    fn peek(&mut self) -> R<&Token<'s>> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lexer.next_token()?);
        }
        match &self.peeked {
            Some(t) => Ok(t),
            None => Err(ExprError::at(
                self.text,
                self.text.len(),
                0,
                "internal: no token",
            )),
        }
    }

    fn peek_kw(&mut self) -> R<Option<Kw>> {
        Ok(match self.peek()?.tok {
            Tok::Kw(k) => Some(k),
            _ => None,
        })
    }

    fn bump(&mut self) -> R<Token<'s>> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lexer.next_token(),
        }
    }

    fn err_tok(&self, t: &Token<'_>, msg: impl Into<String>) -> ExprError {
        ExprError::at(self.text, t.start, t.len, msg)
    }

    fn expect(&mut self, kw: Kw) -> R<Token<'s>> {
        let t = self.bump()?;
        if t.tok == Tok::Kw(kw) {
            Ok(t)
        } else {
            Err(self.err_tok(
                &t,
                format!("expected '{}', found {}", kw.spelling(), t.tok.describe()),
            ))
        }
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let at = self.peek()?.start;
            return Err(ExprError::at(
                self.text,
                at,
                0,
                format!("expression nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- operators ------------------------------------------------------

    /// Logical binary operators with precedence `min` or higher.
    fn expr(&mut self, min: u8) -> R<Typed> {
        self.enter()?;
        let r = self.expr_inner(min);
        self.leave();
        r
    }

    fn expr_inner(&mut self, min: u8) -> R<Typed> {
        let mut lhs = self.unary()?;
        loop {
            let prec = match self.peek_kw()? {
                Some(Kw::SOr) => 1,
                Some(Kw::Or) => 2,
                Some(Kw::SAnd) => 3,
                Some(Kw::And) => 4,
                _ => break,
            };
            if prec < min {
                break;
            }
            let op = self.bump()?;
            let l = self.need_bool_before(lhs, &op)?;
            let rhs = self.expr(prec + 1)?;
            let r = self.need_bool_after(rhs, &op)?;
            lhs = Typed::Bool(match op.tok {
                Tok::Kw(Kw::And) => join_and(l, r, false),
                Tok::Kw(Kw::SAnd) => join_and(l, r, true),
                Tok::Kw(Kw::Or) => join_or(l, r, false),
                _ => join_or(l, r, true),
            });
        }
        Ok(lhs)
    }

    fn need_bool_before(&self, t: Typed, op: &Token<'_>) -> R<BoolNode> {
        match t {
            Typed::Bool(b) => Ok(b),
            Typed::Str(_) => Err(self.err_tok(
                op,
                format!(
                    "expected '==' or '+', found {}: a string must be compared before it can be combined",
                    op.tok.describe()
                ),
            )),
        }
    }

    fn need_bool_after(&self, t: Typed, op: &Token<'_>) -> R<BoolNode> {
        match t {
            Typed::Bool(b) => Ok(b),
            Typed::Str(_) => {
                let at = self.peeked.as_ref().map_or(self.text.len(), |t| t.start);
                Err(ExprError::at(
                    self.text,
                    at,
                    0,
                    format!(
                        "expected '==' or '+': the right side of {} must be a condition",
                        op.tok.describe()
                    ),
                ))
            }
        }
    }

    /// `not` binds tighter than `and`/`or` and looser than `==`.
    fn unary(&mut self) -> R<Typed> {
        if self.peek_kw()? == Some(Kw::Not) {
            let op = self.bump()?;
            self.enter()?;
            let operand = self.unary();
            self.leave();
            let b = self.need_bool_after(operand?, &op)?;
            return Ok(Typed::Bool(BoolNode::Not(Box::new(b))));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> R<Typed> {
        let lhs = self.concat()?;
        if self.peek_kw()? != Some(Kw::Equal) {
            return Ok(lhs);
        }
        let op = self.bump()?;
        let Typed::Str(l) = lhs else {
            return Err(self.err_tok(
                &op,
                "unexpected '==': only strings can be compared, not conditions",
            ));
        };
        let rhs = self.concat()?;
        let r = self.need_str(rhs, op.start + op.len)?;
        Ok(Typed::Bool(BoolNode::eq(l, r)))
    }

    /// `a + b + ...` (Kea 1.9.8), left-associative string concatenation.
    fn concat(&mut self) -> R<Typed> {
        let lhs = self.primary()?;
        if self.peek_kw()? != Some(Kw::Plus) {
            return Ok(lhs);
        }
        let Typed::Str(first) = lhs else {
            let t = self.bump()?;
            return Err(self.err_tok(&t, "unexpected '+': only strings can be concatenated"));
        };
        let mut parts = vec![first];
        while self.peek_kw()? == Some(Kw::Plus) {
            let op = self.bump()?;
            let rhs = self.primary()?;
            parts.push(self.need_str(rhs, op.start + op.len)?);
        }
        Ok(Typed::Str(StrNode::Concat(parts)))
    }

    fn need_str(&self, t: Typed, at: usize) -> R<StrNode> {
        match t {
            Typed::Str(s) => Ok(s),
            Typed::Bool(_) => Err(ExprError::at(
                self.text,
                at,
                0,
                "expected a string here, found a condition",
            )),
        }
    }

    /// A string-valued argument.
    fn str_arg(&mut self) -> R<StrNode> {
        let at = self.peek()?.start;
        let t = self.expr(0)?;
        self.need_str(t, at)
    }

    /// A condition argument.
    fn bool_arg(&mut self) -> R<BoolNode> {
        let at = self.peek()?.start;
        match self.expr(0)? {
            Typed::Bool(b) => Ok(b),
            Typed::Str(_) => {
                let t = self.peek()?.clone();
                Err(ExprError::at(
                    self.text,
                    t.start,
                    t.len,
                    format!(
                        "expected '==' or '+', found {}: the condition starting at column {} is a string",
                        t.tok.describe(),
                        ExprError::at(self.text, at, 0, "").column
                    ),
                ))
            }
        }
    }

    // ----- terminals and functions ----------------------------------------

    fn primary(&mut self) -> R<Typed> {
        let t = self.bump()?;
        let kw = match t.tok {
            Tok::Str(s) => return Ok(Typed::Str(StrNode::Lit(s.as_bytes().into()))),
            Tok::HexStr(ref b) => return Ok(Typed::Str(StrNode::Lit(b.clone().into()))),
            Tok::Addr(a) => return Ok(Typed::Str(StrNode::Lit(addr_bytes(a).into()))),
            Tok::Int(n) => {
                let v = self.ranged(&t, n, 0, u32::MAX.into())?;
                return Ok(Typed::Str(StrNode::Lit(
                    (v as u32).to_be_bytes().to_vec().into(),
                )));
            }
            Tok::Kw(k) => k,
            Tok::Name(_) | Tok::End => {
                return Err(self.err_tok(
                    &t,
                    format!("expected an expression, found {}", t.tok.describe()),
                ))
            }
        };
        match kw {
            Kw::LParen => {
                let inner = self.expr(0)?;
                self.expect(Kw::RParen)?;
                Ok(inner)
            }
            Kw::Option => self.option(),
            Kw::Relay4 => self.relay4(&t),
            Kw::Relay6 => self.relay6(&t),
            Kw::Pkt => self.pkt(),
            Kw::Pkt4 => self.pkt4(&t),
            Kw::Pkt6 => self.pkt6(&t),
            Kw::Vendor => self.vendor(),
            Kw::VendorClass => self.vendor_class(),
            Kw::Member => self.member(),
            Kw::Match => self.matches(),
            Kw::Substring => self.substring(),
            Kw::Split => self.split(),
            Kw::Concat => {
                self.expect(Kw::LParen)?;
                let a = self.str_arg()?;
                self.expect(Kw::Comma)?;
                let b = self.str_arg()?;
                self.expect(Kw::RParen)?;
                Ok(Typed::Str(StrNode::Concat(vec![a, b])))
            }
            Kw::Lcase | Kw::Ucase | Kw::AddrToText => {
                let a = self.one_arg()?;
                Ok(Typed::Str(match kw {
                    Kw::Lcase => StrNode::Lcase(a),
                    Kw::Ucase => StrNode::Ucase(a),
                    _ => StrNode::AddrToText(a),
                }))
            }
            Kw::Int8ToText
            | Kw::Int16ToText
            | Kw::Int32ToText
            | Kw::UInt8ToText
            | Kw::UInt16ToText
            | Kw::UInt32ToText => {
                let conv = match kw {
                    Kw::Int8ToText => IntConv::I8,
                    Kw::Int16ToText => IntConv::I16,
                    Kw::Int32ToText => IntConv::I32,
                    Kw::UInt8ToText => IntConv::U8,
                    Kw::UInt16ToText => IntConv::U16,
                    _ => IntConv::U32,
                };
                let a = self.one_arg()?;
                Ok(Typed::Str(StrNode::IntToText(conv, a)))
            }
            Kw::IfElse | Kw::SIfElse => {
                self.expect(Kw::LParen)?;
                let c = self.bool_arg()?;
                self.expect(Kw::Comma)?;
                let a = self.str_arg()?;
                self.expect(Kw::Comma)?;
                let b = self.str_arg()?;
                self.expect(Kw::RParen)?;
                Ok(Typed::Str(StrNode::IfElse(
                    Box::new(c),
                    Box::new(a),
                    Box::new(b),
                    kw == Kw::SIfElse,
                )))
            }
            Kw::HexString => {
                self.expect(Kw::LParen)?;
                let a = self.str_arg()?;
                self.expect(Kw::Comma)?;
                let b = self.str_arg()?;
                self.expect(Kw::RParen)?;
                Ok(Typed::Str(StrNode::HexString(Box::new(a), Box::new(b))))
            }
            _ => Err(self.err_tok(
                &t,
                format!("expected an expression, found {}", t.tok.describe()),
            )),
        }
    }

    fn one_arg(&mut self) -> R<Box<StrNode>> {
        self.expect(Kw::LParen)?;
        let a = self.str_arg()?;
        self.expect(Kw::RParen)?;
        Ok(Box::new(a))
    }

    fn ranged(&self, t: &Token<'_>, n: i64, lo: i64, hi: i64) -> R<i64> {
        if n < lo || n > hi {
            return Err(self.err_tok(t, format!("{n} is out of range; allowed: {lo}..{hi}")));
        }
        Ok(n)
    }

    /// An `INTEGER` token.
    fn int(&mut self, what: &str) -> R<(Token<'s>, i64)> {
        let t = self.bump()?;
        match t.tok {
            Tok::Int(n) => Ok((t, n)),
            _ => Err(self.err_tok(
                &t,
                format!("expected an integer ({what}), found {}", t.tok.describe()),
            )),
        }
    }

    /// An option code in brackets: `[code]` or, if `names`, `[name]`.
    fn code(&mut self, names: bool) -> R<u16> {
        self.expect(Kw::LBracket)?;
        let t = self.bump()?;
        let code = match t.tok {
            Tok::Int(n) => {
                let max = match self.family {
                    Family::V4 => 255,
                    Family::V6 => 65535,
                };
                self.ranged(&t, n, 0, max)? as u16
            }
            Tok::Name(name) if names => match self.names.option_code(self.family, name) {
                Some(c) => c,
                None => return Err(self.err_tok(&t, format!("option '{name}' is not defined"))),
            },
            Tok::Name(_) => {
                return Err(self.err_tok(
                    &t,
                    "expected a sub-option code: sub-options are referenced by number",
                ))
            }
            _ => {
                let what = if names {
                    "an option code or name"
                } else {
                    "an option code"
                };
                return Err(
                    self.err_tok(&t, format!("expected {what}, found {}", t.tok.describe()))
                );
            }
        };
        self.expect(Kw::RBracket)?;
        Ok(code)
    }

    /// The rest of an option chain after its first code: more
    /// `.option[code]` then `.hex`, `.text` or `.exists`.
    fn chain_tail(
        &mut self,
        mut path: Vec<u16>,
        later_names: bool,
    ) -> R<(Box<[u16]>, Option<Repr>)> {
        loop {
            self.expect(Kw::Dot)?;
            let t = self.bump()?;
            match t.tok {
                Tok::Kw(Kw::Option) => path.push(self.code(later_names)?),
                Tok::Kw(Kw::Hex) => return Ok((path.into(), Some(Repr::Hex))),
                Tok::Kw(Kw::Text) => return Ok((path.into(), Some(Repr::Text))),
                Tok::Kw(Kw::Exists) => return Ok((path.into(), None)),
                _ => {
                    return Err(self.err_tok(
                        &t,
                        format!(
                            "expected 'hex', 'text', 'exists' or 'option', found {}",
                            t.tok.describe()
                        ),
                    ))
                }
            }
        }
    }

    fn family_only(&self, t: &Token<'_>, family: Family) -> R<()> {
        if self.family != family {
            let kw = match t.tok {
                Tok::Kw(k) => k.spelling(),
                _ => "this",
            };
            return Err(self.err_tok(t, format!("{kw} can only be used in {family}")));
        }
        Ok(())
    }

    /// `option[code|name](.option[code])*.hex|text|exists`
    fn option(&mut self) -> R<Typed> {
        let first = self.code(true)?;
        let (path, repr) = self.chain_tail(vec![first], false)?;
        Ok(opt_node(Scope::Packet, path, repr))
    }

    /// `relay4[code](.option[code|name])*.hex|text|exists`
    fn relay4(&mut self, t: &Token<'_>) -> R<Typed> {
        self.family_only(t, Family::V4)?;
        let first = self.code(false)?;
        let (path, repr) = self.chain_tail(vec![first], true)?;
        Ok(opt_node(Scope::Relay4, path, repr))
    }

    /// `relay6[nest].option[code](.option[code|name])*.hex|text|exists`,
    /// `relay6[nest].peeraddr|linkaddr`
    fn relay6(&mut self, t: &Token<'_>) -> R<Typed> {
        self.family_only(t, Family::V6)?;
        self.expect(Kw::LBracket)?;
        let (nt, n) = self.int("the relay nesting level")?;
        let nest = self.ranged(&nt, n, -32, 31)? as i8;
        self.expect(Kw::RBracket)?;
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        match f.tok {
            Tok::Kw(Kw::PeerAddr) => Ok(Typed::Str(StrNode::Relay6Addr(nest, Relay6Addr::Peer))),
            Tok::Kw(Kw::LinkAddr) => Ok(Typed::Str(StrNode::Relay6Addr(nest, Relay6Addr::Link))),
            Tok::Kw(Kw::Option) => {
                let first = self.code(false)?;
                let (path, repr) = self.chain_tail(vec![first], true)?;
                Ok(match repr {
                    Some(r) => Typed::Str(StrNode::Relay6Option(nest, path, r)),
                    None => Typed::Bool(BoolNode::Relay6Exists(nest, path)),
                })
            }
            _ => Err(self.err_tok(
                &f,
                format!(
                    "expected 'option', 'peeraddr' or 'linkaddr', found {}",
                    f.tok.describe()
                ),
            )),
        }
    }

    fn pkt(&mut self) -> R<Typed> {
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        let field = match f.tok {
            Tok::Kw(Kw::Iface) => PktField::Iface,
            Tok::Kw(Kw::Src) => PktField::Src,
            Tok::Kw(Kw::Dst) => PktField::Dst,
            Tok::Kw(Kw::Len) => PktField::Len,
            _ => {
                return Err(self.err_tok(
                    &f,
                    format!(
                        "expected 'iface', 'src', 'dst' or 'len', found {}",
                        f.tok.describe()
                    ),
                ))
            }
        };
        Ok(Typed::Str(StrNode::Pkt(field)))
    }

    fn pkt4(&mut self, t: &Token<'_>) -> R<Typed> {
        self.family_only(t, Family::V4)?;
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        let field = match f.tok {
            Tok::Kw(Kw::Mac) => Pkt4Field::Mac,
            Tok::Kw(Kw::Hlen) => Pkt4Field::Hlen,
            Tok::Kw(Kw::Htype) => Pkt4Field::Htype,
            Tok::Kw(Kw::Ciaddr) => Pkt4Field::Ciaddr,
            Tok::Kw(Kw::Giaddr) => Pkt4Field::Giaddr,
            Tok::Kw(Kw::Yiaddr) => Pkt4Field::Yiaddr,
            Tok::Kw(Kw::Siaddr) => Pkt4Field::Siaddr,
            Tok::Kw(Kw::MsgType) => Pkt4Field::MsgType,
            Tok::Kw(Kw::TransId) => Pkt4Field::TransId,
            _ => {
                return Err(self.err_tok(
                    &f,
                    format!(
                        "expected 'mac', 'hlen', 'htype', 'ciaddr', 'giaddr', 'yiaddr', 'siaddr', 'msgtype' or 'transid', found {}",
                        f.tok.describe()
                    ),
                ))
            }
        };
        Ok(Typed::Str(StrNode::Pkt4(field)))
    }

    fn pkt6(&mut self, t: &Token<'_>) -> R<Typed> {
        self.family_only(t, Family::V6)?;
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        match f.tok {
            Tok::Kw(Kw::MsgType) => Ok(Typed::Str(StrNode::Pkt6(false))),
            Tok::Kw(Kw::TransId) => Ok(Typed::Str(StrNode::Pkt6(true))),
            _ => Err(self.err_tok(
                &f,
                format!(
                    "expected 'msgtype' or 'transid', found {}",
                    f.tok.describe()
                ),
            )),
        }
    }

    /// `[enterprise-id]` or `[*]` (0 means any, as does `*`).
    fn enterprise(&mut self) -> R<u32> {
        self.expect(Kw::LBracket)?;
        let t = self.bump()?;
        let id = match t.tok {
            Tok::Kw(Kw::Star) => 0,
            Tok::Int(n) => self.ranged(&t, n, 0, u32::MAX.into())? as u32,
            _ => {
                return Err(self.err_tok(
                    &t,
                    format!(
                        "expected an enterprise id or '*', found {}",
                        t.tok.describe()
                    ),
                ))
            }
        };
        self.expect(Kw::RBracket)?;
        Ok(id)
    }

    /// `vendor.enterprise`, `vendor[ent].exists`,
    /// `vendor[ent].option[code](.option[code|name])*.hex|text|exists`
    fn vendor(&mut self) -> R<Typed> {
        if self.peek_kw()? == Some(Kw::Dot) {
            self.bump()?;
            self.expect(Kw::Enterprise)?;
            return Ok(Typed::Str(StrNode::Enterprise(false)));
        }
        let ent = self.enterprise()?;
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        match f.tok {
            Tok::Kw(Kw::Exists) => Ok(Typed::Bool(BoolNode::VendorExists(ent))),
            Tok::Kw(Kw::Option) => {
                let first = self.code(false)?;
                let (path, repr) = self.chain_tail(vec![first], true)?;
                Ok(match repr {
                    Some(r) => Typed::Str(StrNode::VendorOption(ent, path, r)),
                    None => Typed::Bool(BoolNode::VendorOptionExists(ent, path)),
                })
            }
            _ => Err(self.err_tok(
                &f,
                format!("expected 'exists' or 'option', found {}", f.tok.describe()),
            )),
        }
    }

    /// `vendor-class.enterprise`, `vendor-class[ent].exists`,
    /// `vendor-class[ent].data`, `vendor-class[ent].data[index]`
    fn vendor_class(&mut self) -> R<Typed> {
        if self.peek_kw()? == Some(Kw::Dot) {
            self.bump()?;
            self.expect(Kw::Enterprise)?;
            return Ok(Typed::Str(StrNode::Enterprise(true)));
        }
        let ent = self.enterprise()?;
        self.expect(Kw::Dot)?;
        let f = self.bump()?;
        match f.tok {
            Tok::Kw(Kw::Exists) => Ok(Typed::Bool(BoolNode::VendorClassExists(ent))),
            Tok::Kw(Kw::Data) => {
                let mut index = 0;
                if self.peek_kw()? == Some(Kw::LBracket) {
                    self.bump()?;
                    let (t, n) = self.int("the data index")?;
                    index = self.ranged(&t, n, 0, 255)? as u8;
                    self.expect(Kw::RBracket)?;
                }
                Ok(Typed::Str(StrNode::VendorClassData(ent, index)))
            }
            _ => Err(self.err_tok(
                &f,
                format!("expected 'exists' or 'data', found {}", f.tok.describe()),
            )),
        }
    }

    /// `member('class')`
    fn member(&mut self) -> R<Typed> {
        self.expect(Kw::LParen)?;
        let t = self.bump()?;
        let Tok::Str(name) = t.tok else {
            return Err(self.err_tok(
                &t,
                format!("expected a quoted class name, found {}", t.tok.describe()),
            ));
        };
        self.expect(Kw::RParen)?;
        self.members.push(MemberRef {
            name: name.to_owned(),
            offset: t.start,
            len: t.len,
        });
        // Every packet is in ALL from the start of classification.
        Ok(Typed::Bool(if name == "ALL" {
            BoolNode::Const(true)
        } else {
            BoolNode::Member(name.into(), None)
        }))
    }

    /// `match('regex', string)` (Kea 3.0): the whole value must match.
    fn matches(&mut self) -> R<Typed> {
        self.expect(Kw::LParen)?;
        let t = self.bump()?;
        let Tok::Str(pattern) = t.tok else {
            return Err(self.err_tok(
                &t,
                format!(
                    "expected a quoted regular expression, found {}",
                    t.tok.describe()
                ),
            ));
        };
        let re = compile_regex(pattern).map_err(|m| self.err_tok(&t, m))?;
        self.expect(Kw::Comma)?;
        let value = self.str_arg()?;
        self.expect(Kw::RParen)?;
        Ok(Typed::Bool(BoolNode::Match(Box::new(re), Box::new(value))))
    }

    /// `substring(string, start, length|all)`
    fn substring(&mut self) -> R<Typed> {
        self.expect(Kw::LParen)?;
        let s = self.str_arg()?;
        self.expect(Kw::Comma)?;
        let (_, start) = self.int("the start position")?;
        self.expect(Kw::Comma)?;
        let len = if self.peek_kw()? == Some(Kw::All) {
            self.bump()?;
            SubLen::All
        } else {
            SubLen::N(self.int("the length, or 'all'")?.1)
        };
        self.expect(Kw::RParen)?;
        Ok(Typed::Str(StrNode::Substring(Box::new(s), start, len)))
    }

    /// `split(string, delimiters, field)` (Kea 2.1.5)
    fn split(&mut self) -> R<Typed> {
        self.expect(Kw::LParen)?;
        let s = self.str_arg()?;
        self.expect(Kw::Comma)?;
        let d = self.str_arg()?;
        self.expect(Kw::Comma)?;
        let (_, field) = self.int("the field number")?;
        self.expect(Kw::RParen)?;
        Ok(Typed::Str(StrNode::Split(Box::new(s), Box::new(d), field)))
    }
}

fn opt_node(scope: Scope, path: Box<[u16]>, repr: Option<Repr>) -> Typed {
    match repr {
        Some(r) => Typed::Str(StrNode::Option(scope, path, r)),
        None => Typed::Bool(BoolNode::OptionExists(scope, path)),
    }
}

fn join_and(l: BoolNode, r: BoolNode, strict: bool) -> BoolNode {
    match l {
        BoolNode::And(mut v, s) if s == strict => {
            v.push(r);
            BoolNode::And(v, s)
        }
        l => BoolNode::And(vec![l, r], strict),
    }
}

fn join_or(l: BoolNode, r: BoolNode, strict: bool) -> BoolNode {
    match l {
        BoolNode::Or(mut v, s) if s == strict => {
            v.push(r);
            BoolNode::Or(v, s)
        }
        l => BoolNode::Or(vec![l, r], strict),
    }
}

/// Compiles a `match` pattern for a whole-value match on bytes.
///
/// Kea uses C++ `std::regex` (ECMAScript syntax) with `regex_match`. The
/// `regex` crate accepts the common subset (classes, repetition,
/// alternation, groups, anchors) and rejects backreferences and
/// look-around, which are then configuration errors here; in exchange
/// matching takes linear time. The pattern is first compiled alone so that
/// it cannot close the anchoring group around it.
fn compile_regex(pattern: &str) -> Result<Regex, String> {
    let build = |p: &str| {
        RegexBuilder::new(p)
            .unicode(false)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
    };
    build(pattern).map_err(|e| format!("invalid regular expression: {e}"))?;
    build(&format!(r"\A(?:{pattern})\z")).map_err(|e| format!("invalid regular expression: {e}"))
}

#[cfg(test)]
mod tests {
    use crate::{parse, parse_bool, parse_string, ExprError, Family, Kind, StdOptionNames};

    fn err4(text: &str) -> ExprError {
        match parse_bool(text, Family::V4, &StdOptionNames) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e,
        }
    }

    fn err_at(text: &str, family: Family, line: usize, column: usize, needle: &str) {
        let e = match parse_bool(text, family, &StdOptionNames) {
            Ok(_) => panic!("{text:?} parsed"),
            Err(e) => e,
        };
        assert_eq!(
            (e.line, e.column),
            (line, column),
            "{text:?}: {} (want {line}:{column})",
            e.message
        );
        assert!(
            e.message.contains(needle),
            "{text:?}: {:?} lacks {needle:?}",
            e.message
        );
    }

    /// Positions from Kea's context_unittest.cc scanParseErrors,
    /// parseErrors and typeErrors (Kea's column of the offending token).
    #[test]
    fn errors_point_where_kea_points() {
        use Family::{V4, V6};
        err_at("", V4, 1, 1, "expected an expression");
        err_at(" ", V4, 1, 2, "expected an expression");
        err_at("10.0.1", V4, 1, 3, "expected '==' or '+'");
        err_at("10.256.0.1", V4, 1, 1, "IP address");
        err_at("===", V4, 1, 1, "expected an expression");
        err_at("option[-1].text", V4, 1, 8, "0..255");
        err_at("option[256].text", V4, 1, 8, "0..255");
        err_at("option[65536].text", V6, 1, 8, "0..65535");
        err_at("option[12345678901234567890].text", V4, 1, 8, "integer");
        err_at("option[123]", V4, 1, 12, "expected '.'");
        err_at(
            "option[123].text < 'foo'",
            V4,
            1,
            18,
            "invalid character '<'",
        );
        err_at("option[0ab].text", V4, 1, 9, "expected ']'");
        err_at(
            "substring('foo',12345678901234567890,1)",
            V4,
            1,
            17,
            "integer",
        );
        err_at("'foo''bar'", V4, 1, 6, "expected '==' or '+'");
        err_at("'foo' (", V4, 1, 7, "expected '==' or '+'");
        err_at("== 'ab'", V4, 1, 1, "expected an expression");
        err_at("'foo' ==", V4, 1, 9, "expected an expression");
        err_at("('foo' == 'bar') ''", V4, 1, 18, "end of the expression");
        err_at("not", V4, 1, 4, "expected an expression");
        err_at("not 'foo'", V4, 1, 10, "expected '==' or '+'");
        err_at("not()", V4, 1, 5, "expected an expression");
        err_at("(not('foo' 'bar')", V4, 1, 12, "expected ')'");
        err_at("and", V4, 1, 1, "expected an expression");
        err_at("'foo' and", V4, 1, 7, "expected '==' or '+'");
        err_at("'foo' == 'bar' and", V4, 1, 19, "expected an expression");
        err_at("'foo' == 'bar' and ''", V4, 1, 22, "expected '==' or '+'");
        err_at("'foo' or", V4, 1, 7, "expected '==' or '+'");
        err_at("option 'ab'", V4, 1, 8, "expected '['");
        err_at("option(10) == 'ab'", V4, 1, 7, "expected '['");
        err_at(
            "option['ab'].text == 'foo'",
            V4,
            1,
            8,
            "option code or name",
        );
        err_at(
            "option[ab].text == 'foo'",
            V4,
            1,
            8,
            "option 'ab' is not defined",
        );
        err_at("option[0xa].text == 'ab'", V4, 1, 8, "option code or name");
        err_at("option[10].bin", V4, 1, 12, "invalid character 'b'");
        err_at("option[10].exists == 'foo'", V4, 1, 19, "'=='");
        err_at("substring('foobar') == 'f'", V4, 1, 19, "expected ','");
        err_at("substring('foobar',3) == 'bar'", V4, 1, 21, "expected ','");
        err_at(
            "substring('foobar','3',3) == 'bar'",
            V4,
            1,
            20,
            "expected an integer",
        );
        err_at(
            "substring('foobar',1,a) == 'foo'",
            V4,
            1,
            22,
            "invalid character 'a'",
        );
        err_at("concat('foobar') == 'f'", V4, 1, 16, "expected ','");
        err_at(
            "concat('foo','bar','') == 'foobar'",
            V4,
            1,
            19,
            "expected ')'",
        );
        err_at("ifelse('foo'=='bar','foo')", V4, 1, 26, "expected ','");
        err_at(
            "ifelse('foo'=='bar','foo','bar','')",
            V4,
            1,
            32,
            "expected ')'",
        );
        err_at("+ 'a' = 'a'", V4, 1, 1, "expected an expression");
        err_at("'a' + == 'a'", V4, 1, 7, "expected an expression");
        err_at("'a' ++ 'b' == 'ab'", V4, 1, 6, "expected an expression");
        err_at("addrtotext(10.0.0.1, 10.0.0.2)", V4, 1, 20, "expected ')'");
        err_at(
            "addrtotext('cafebabecafebabe')",
            V4,
            1,
            31,
            "expected '==' or '+'",
        );
        err_at("int8totext('01', '01')", V4, 1, 16, "expected ')'");
        err_at("'foobar'", V4, 1, 9, "expected '==' or '+'");
        err_at(
            "substring('foobar',all,1) == 'foo'",
            V4,
            1,
            20,
            "expected an integer",
        );
        err_at(
            "substring('foobar',0x32,1) == 'foo'",
            V4,
            1,
            20,
            "expected an integer",
        );
        err_at("('foo' == 'bar') == 'false'", V4, 1, 18, "'=='");
        err_at("not 'true'", V4, 1, 11, "expected '==' or '+'");
        err_at("'true' and 'false'", V4, 1, 8, "expected '==' or '+'");
        err_at("'true' or 'false'", V4, 1, 8, "expected '==' or '+'");
        err_at(
            "ifelse('foobar','foo','bar')",
            V4,
            1,
            16,
            "expected '==' or '+'",
        );
        err_at(
            "ifelse('foo'=='bar','foo'=='foo','bar')",
            V4,
            1,
            21,
            "expected a string",
        );
        err_at("member(foo)", V4, 1, 8, "invalid character 'f'");
        err_at(
            "option[123].option[host-name].exists",
            V4,
            1,
            20,
            "sub-option",
        );
        err_at(
            "option[\nhost-name\n].hex =\n= 'foo'",
            V4,
            3,
            7,
            "invalid character '='",
        );
    }

    #[test]
    fn family_specific_tokens() {
        use Family::{V4, V6};
        err_at(
            "relay4[1].exists",
            V6,
            1,
            1,
            "relay4 can only be used in DHCPv6"
                .replace("v6", "v4")
                .as_str(),
        );
        err_at(
            "pkt4.mac == 0x01",
            V6,
            1,
            1,
            "pkt4 can only be used in DHCPv4",
        );
        err_at(
            "pkt6.msgtype == 1",
            V4,
            1,
            1,
            "pkt6 can only be used in DHCPv6",
        );
        err_at(
            "relay6[0].peeraddr == ::",
            V4,
            1,
            1,
            "relay6 can only be used in DHCPv6",
        );
        err_at("relay6[32].peeraddr == ::", V6, 1, 8, "-32..31");
        err_at("relay6[-33].peeraddr == ::", V6, 1, 8, "-32..31");
        err_at(
            "relay6[0].option[host-name].exists",
            V6,
            1,
            18,
            "sub-option",
        );
        err_at("option[host-name].exists", V6, 1, 8, "not defined");
        err_at("vendor[4294967296].exists", V4, 1, 8, "0..4294967295");
        err_at("vendor[-1].exists", V4, 1, 8, "0..4294967295");
        err_at("vendor-class[1].data[256] == ''", V4, 1, 22, "0..255");
        err_at("vendor.option[1].exists", V4, 1, 8, "expected 'enterprise'");
        err_at("4294967296 == 0", V4, 1, 1, "0..4294967295");
        err_at("4294967295 == -1", V4, 1, 15, "0..4294967295");
        err_at("match('[bad', 'x')", V4, 1, 7, "invalid regular expression");
        // Backreferences: accepted by std::regex, not by this engine.
        err_at(
            "match('f(.)\\1bar', 'x')",
            V4,
            1,
            7,
            "invalid regular expression",
        );
        // A pattern cannot escape the anchoring group.
        err_at(
            "match('a)|(b', 'x')",
            V4,
            1,
            7,
            "invalid regular expression",
        );
        err_at(
            "match('(?x)a#', 'x')",
            V4,
            1,
            7,
            "invalid regular expression",
        );
    }

    #[test]
    fn top_level_kinds() {
        let e = parse("'a' + 'b'", Family::V4, &StdOptionNames).unwrap();
        assert_eq!(e.kind(), Kind::String);
        let e = parse("'a' == 'b'", Family::V4, &StdOptionNames).unwrap();
        assert_eq!(e.kind(), Kind::Bool);
        // Kea's evaluate_unittest: a condition is not a string expression.
        let e = parse_string("pkt4.msgtype == 1", Family::V4, &StdOptionNames).unwrap_err();
        assert!(e.message.contains("expected a string expression"), "{e}");
        assert!(parse_string("option[100].hex", Family::V6, &StdOptionNames).is_ok());
        assert_eq!(err4("option[100].hex").column, 16);
    }

    #[test]
    fn accepted_forms() {
        let ok = |t: &str, f: Family| {
            parse(t, f, &StdOptionNames).unwrap_or_else(|e| panic!("{t}: {e}"));
        };
        for t in [
            "option[ 12 ].hex == 'a'",
            "option[host-name].text == 'a'",
            "option[\n host-name \n].text == 'a'",
            "option[1].option[2].option[3].option[4].hex == 'a'",
            "relay4[1].option[2].option[host-name].exists",
            "notmember('a')",
            "member('a')and member('b')",
            "vendor[*].option[1].option[2].text == ''",
            "vendor-class[*].data[255] == ''",
            "vendor-class.enterprise == 4491",
            "ifelse(option[1].exists, 'a', 'b') == sifelse(not option[1].exists, 'b', 'a')",
            "(('a'))+(('b')) == 'ab'",
            "split(option[12].text, '.', 1) == 'host'",
            "'a' == 'a' sand 'b' == 'b' sor 'c' == 'c'",
            "substring('foobar', -1, -3) == 'oba'",
            "match('[[:alpha:]]{1,9}', 'Foobar')",
            "0XAB == 0xab",
        ] {
            ok(t, Family::V4);
        }
        for t in [
            "relay6[-1].option[18].option[interface-id].hex == ''",
            "relay6[31].linkaddr == ::",
            "pkt6.transid == 0 and pkt.iface == 'eth0'",
            "option[clientid].hex == 0x0001",
            "option[1].option[65535].exists",
        ] {
            ok(t, Family::V6);
        }
        // 128 chained sub-options (Kea's vendor4SuboptionMultiple).
        let mut t = String::from("vendor[4491]");
        for i in 0..128 {
            t.push_str(&format!(".option[{i}]"));
        }
        t.push_str(".text == 'foo'");
        ok(&t, Family::V4);
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |n: usize| format!("{}'a' == 'a'{}", "(".repeat(n), ")".repeat(n));
        assert!(parse_bool(&deep(crate::MAX_DEPTH - 2), Family::V4, &StdOptionNames).is_ok());
        let e = parse_bool(&deep(100_000), Family::V4, &StdOptionNames).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        let e = parse_bool(&"not ".repeat(100_000), Family::V4, &StdOptionNames).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        let lcase = format!(
            "{}'A'{} == 'a'",
            "lcase(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(parse_bool(&lcase, Family::V4, &StdOptionNames).is_err());
        // Long flat chains are not nesting.
        let chain = vec!["member('a')"; 10_000].join(" or ");
        assert!(parse_bool(&chain, Family::V4, &StdOptionNames).is_ok());
        let cat = vec!["'a'"; 10_000].join(" + ") + " == 'a'";
        assert!(parse_bool(&cat, Family::V4, &StdOptionNames).is_ok());
    }
}
