//! A received DHCPv4 packet as the expression language sees it.
//!
//! Options are read from the received bytes (nothing copied): the option
//! area after the magic cookie, then `file` and `sname` when option 52
//! says they hold options. The parser notes which codes are present
//! ([`Query4::present`]), so that a test of an absent option (the common
//! case: most class tests look for what most clients do not send) costs
//! a bit test; a present one is found by walking again. `relay4[..]` reads the
//! parsed option 82 (its parts already joined), the header fields come
//! from the parsed [`Query4`].

use std::net::IpAddr;

use ruru_classify::{find_option4, Family, Packet, Pkt4Fields, Scope};

use super::{ClassSet, Source};
use crate::v4::packet::{Query4, HEADER_LEN};
use crate::v4::RecvMeta;

/// Offsets of `sname` and `file` in the BOOTP header.
const SNAME: std::ops::Range<usize> = 44..108;
const FILE: std::ops::Range<usize> = 108..236;

/// What the class tests of a DHCPv4 packet read: its bytes (as received,
/// or as a `buffer4_receive` callout rewrote them), the parsed query and
/// the receive metadata.
#[derive(Debug, Clone, Copy)]
pub struct Raw4<'a> {
    pub buf: &'a [u8],
    pub q: &'a Query4,
    pub meta: &'a RecvMeta,
    /// Bit `c` set: option `c` is in the packet.
    present: [u64; 4],
    /// Option 52's value (0: none).
    overload: u8,
}

/// Notes the codes of a TLV area in `present`; returns option 52's value.
fn scan(area: &[u8], present: &mut [u64; 4]) -> u8 {
    let mut overload = 0;
    let mut rest = area;
    while let Some((&c, tail)) = rest.split_first() {
        match c {
            0 => rest = tail,
            255 => break,
            _ => {
                let Some((&len, tail)) = tail.split_first() else {
                    break;
                };
                let Some(data) = tail.get(..usize::from(len)) else {
                    break;
                };
                present[usize::from(c / 64)] |= 1 << (c % 64);
                if c == 52 {
                    overload = data.first().copied().unwrap_or(0);
                }
                rest = &tail[usize::from(len)..];
            }
        }
    }
    overload
}

impl<'a> Raw4<'a> {
    /// The view of `buf`, which `q` was parsed from: the codes present
    /// are the parser's ([`Query4::present`]).
    pub fn new(buf: &'a [u8], q: &'a Query4, meta: &'a RecvMeta) -> Self {
        let present = q.present;
        // Option 52's value, when the packet has it.
        let overload = if present[0] & (1 << 52) != 0 {
            let mut none = [0; 4];
            scan(buf.get(HEADER_LEN + 4..).unwrap_or(&[]), &mut none)
        } else {
            0
        };
        Raw4 {
            buf,
            q,
            meta,
            present,
            overload,
        }
    }

    /// The first option `code` of the packet (option area, then `file`
    /// and `sname` when overloaded).
    #[inline]
    fn find(&self, code: u8) -> Option<&'a [u8]> {
        if self.present[usize::from(code / 64)] & (1 << (code % 64)) == 0 {
            return None;
        }
        let opts = self.buf.get(HEADER_LEN + 4..)?;
        if let Some(o) = find_option4(opts, code) {
            return Some(o);
        }
        let overload = self.overload;
        let file = (overload & 1 != 0)
            .then(|| self.buf.get(FILE).and_then(|b| find_option4(b, code)))
            .flatten();
        file.or_else(|| {
            (overload & 2 != 0)
                .then(|| self.buf.get(SNAME).and_then(|b| find_option4(b, code)))
                .flatten()
        })
    }

    /// Whether the V-I Vendor Class option (124) parses as Kea's
    /// `OptionVendorClass` parses it: an enterprise number; data chunks of 1-byte length, each after the first
    /// preceded by another enterprise number with at least two bytes after
    /// it; a chunk longer than what is left fails unless `lenient` (Kea's
    /// `compatibility.lenient-option-parsing`: it is then the rest).
    pub fn vendor_class_parses(&self, lenient: bool) -> bool {
        let Some(p) = self.find(124) else {
            return true;
        };
        if p.len() < 4 {
            return false;
        }
        let total = p.len() - 4;
        let mut off = 0;
        while off < total {
            let len = usize::from(p[4 + off]);
            off += 1;
            if off + len > total {
                if !lenient {
                    return false;
                }
                off = total;
            } else {
                off += len;
            }
            if off != total {
                off += 4;
                if off + 1 >= total {
                    return false;
                }
            }
        }
        true
    }

    /// The first record of a vendor option (125 or 124): enterprise and
    /// the rest of the payload after it.
    fn vendor_record(&self, code: u8) -> Option<(u32, &'a [u8])> {
        let p = self.find(code)?;
        let ent = u32::from_be_bytes(p.get(..4)?.try_into().ok()?);
        Some((ent, &p[4..]))
    }
}

/// Walks `path` down sub-option buffers (1-byte codes and lengths).
fn descend<'a>(mut data: &'a [u8], path: &[u16]) -> Option<&'a [u8]> {
    for &c in path {
        data = find_option4(data, u8::try_from(c).ok()?)?;
    }
    Some(data)
}

/// The DHCPv4 [`Packet`]: [`Raw4`] and the classes assigned so far.
#[derive(Debug, Clone, Copy)]
pub struct Pkt4View<'s> {
    raw: &'s Raw4<'s>,
    classes: &'s ClassSet<'s>,
}

impl<'a> Source for Raw4<'a> {
    type View<'s>
        = Pkt4View<'s>
    where
        Self: 's;

    fn view<'s>(&'s self, classes: &'s ClassSet<'s>) -> Pkt4View<'s> {
        Pkt4View { raw: self, classes }
    }

    /// A packet option by its presence bit; a `relay4` sub-option by a
    /// search of option 82 (absent when there is none).
    #[inline(always)]
    fn has(&self, scope: Scope, code: u16) -> Option<bool> {
        match scope {
            Scope::Packet => Some(
                u8::try_from(code)
                    .is_ok_and(|c| self.present[usize::from(c / 64)] & (1 << (c % 64)) != 0),
            ),
            Scope::Relay4 => Some(match (&self.q.relay_info, u8::try_from(code)) {
                (Some(ri), Ok(c)) => find_option4(ri, c).is_some(),
                _ => false,
            }),
            Scope::Relay6(_) | Scope::Vendor => None,
        }
    }

    /// Option 60's content, trailing NULs cut (Kea's `OptionString`).
    fn vendor_class(&self) -> Option<&[u8]> {
        let mut v = self.find(60)?;
        while let [rest @ .., 0] = v {
            v = rest;
        }
        Some(v).filter(|v| !v.is_empty())
    }
}

impl Packet for Pkt4View<'_> {
    #[inline]
    fn family(&self) -> Family {
        Family::V4
    }

    #[inline]
    fn option(&self, scope: Scope, path: &[u16]) -> Option<&[u8]> {
        let (&first, rest) = path.split_first()?;
        let first = u8::try_from(first).ok()?;
        let top = match scope {
            Scope::Packet => self.raw.find(first)?,
            Scope::Relay4 => find_option4(self.raw.q.relay_info.as_deref()?, first)?,
            Scope::Vendor => {
                // One record: enterprise(4), data-len(1), data.
                let (_, r) = self.raw.vendor_record(125)?;
                let (&len, r) = r.split_first()?;
                find_option4(r.get(..usize::from(len))?, first)?
            }
            Scope::Relay6(_) => return None,
        };
        descend(top, rest)
    }

    fn vendor(&self) -> Option<u32> {
        self.raw.vendor_record(125).map(|(e, _)| e)
    }

    fn vendor_class(&self) -> Option<u32> {
        self.raw.vendor_record(124).map(|(e, _)| e)
    }

    /// Kea's DHCPv4 `OptionVendorClass`: data chunks of 1-byte length,
    /// each after the first preceded by another enterprise number.
    fn vendor_class_data(&self, index: usize) -> Option<&[u8]> {
        let (_, mut r) = self.raw.vendor_record(124)?;
        let mut i = 0;
        loop {
            let (&len, tail) = r.split_first()?;
            // Longer than what is left: the rest (Kea's lenient parsing;
            // without it, `Raw4::vendor_class_parses` dropped the packet).
            let data = tail.get(..usize::from(len)).unwrap_or(tail);
            if i == index {
                return Some(data);
            }
            r = tail.get(usize::from(len)..)?.get(4..)?;
            i += 1;
        }
    }

    fn hwaddr(&self) -> Option<&[u8]> {
        Some(&self.raw.q.hwaddr)
    }

    fn pkt4(&self) -> Option<Pkt4Fields<'_>> {
        let q = self.raw.q;
        Some(Pkt4Fields {
            mac: &q.hwaddr,
            hlen: self.raw.buf.get(2).copied().unwrap_or(0),
            htype: q.htype,
            ciaddr: q.msg.ciaddr(),
            giaddr: q.msg.giaddr(),
            yiaddr: q.msg.yiaddr(),
            siaddr: q.msg.siaddr(),
            msgtype: u8::from(q.msg_type),
            transid: q.xid(),
        })
    }

    fn iface(&self) -> &str {
        self.raw.meta.iface.as_deref().unwrap_or("")
    }

    fn src(&self) -> IpAddr {
        IpAddr::V4(*self.raw.meta.src.ip())
    }

    /// The server address the packet arrived on.
    fn dst(&self) -> IpAddr {
        IpAddr::V4(self.raw.meta.local)
    }

    fn wire_len(&self) -> usize {
        self.raw.buf.len()
    }

    fn member(&self, class: &str) -> bool {
        self.classes.contains(class)
    }

    #[inline]
    fn member_def(&self, def: usize, _class: &str) -> bool {
        self.classes.has_def(def)
    }
}
