//! A received DHCPv6 packet as the expression language sees it.
//!
//! [`Raw6::new`] finds, once, the client's message inside the relay
//! encapsulations of the received bytes; relay levels are found again by
//! walking from the outermost (a few option headers per level). Options
//! and sub-options are read from the bytes (nothing copied), sub-options
//! after the fixed header of their container (IA_NA, IAADDR, ...).

use std::net::{IpAddr, Ipv6Addr};

use ruru_classify::{find_option6, Family, Packet, Pkt6Fields, Relay6Addr, Scope};

use super::{ClassSet, Source};
use crate::v6::packet::{container_header, Query6};
use crate::v6::RecvMeta6;

/// RELAY-FORW's message type and header length.
const RELAY_FORW: u8 = 12;
const RELAY_HEADER: usize = 34;
/// Relay Message option.
const RELAY_MSG: u16 = 9;
/// Vendor class (16) and vendor-specific information (17).
const VENDOR_CLASS: u16 = 16;
const VENDOR_OPTS: u16 = 17;
/// Kea's DOCSIS vendor classes, preferred over the first data chunk.
const DOCSIS_MODEM: &[u8] = b"docsis3.0";
const DOCSIS_EROUTER: &[u8] = b"eRouter1.0";

/// What the class tests of a DHCPv6 packet read.
#[derive(Debug, Clone, Copy)]
pub struct Raw6<'a> {
    pub buf: &'a [u8],
    pub q: &'a Query6,
    pub meta: &'a RecvMeta6,
    /// The client's message (type, transaction id, options).
    client: &'a [u8],
    /// Number of relay encapsulations around it.
    relays: usize,
    /// Bit `c` set: the client's message has option `c` (codes below 256;
    /// the others are always looked for).
    present: [u64; 4],
}

impl<'a> Raw6<'a> {
    pub fn new(buf: &'a [u8], q: &'a Query6, meta: &'a RecvMeta6) -> Self {
        let mut client = buf;
        let mut relays = 0;
        while client.first() == Some(&RELAY_FORW) {
            match client
                .get(RELAY_HEADER..)
                .and_then(|o| find_option6(o, RELAY_MSG))
            {
                Some(inner) => {
                    client = inner;
                    relays += 1;
                }
                None => break,
            }
        }
        let mut present = [0u64; 4];
        let mut rest = client.get(4..).unwrap_or(&[]);
        // As find_option6 walks: an option is present when it is whole;
        // the walk stops at the first one that is not.
        while rest.len() >= 4 {
            let c = u16::from_be_bytes([rest[0], rest[1]]);
            let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
            if rest.len() < 4 + len {
                break;
            }
            if let Ok(c) = u8::try_from(c) {
                present[usize::from(c / 64)] |= 1 << (c % 64);
            }
            rest = &rest[4 + len..];
        }
        Raw6 {
            buf,
            q,
            meta,
            client,
            relays,
            present,
        }
    }

    /// The first option `code` of the client's message.
    #[inline]
    fn find(&self, code: u16) -> Option<&'a [u8]> {
        if let Ok(c) = u8::try_from(code) {
            if self.present[usize::from(c / 64)] & (1 << (c % 64)) == 0 {
                return None;
            }
        }
        find_option6(self.client_options(), code)
    }

    /// The RELAY-FORW message of level `n` (0: outermost).
    fn relay(&self, n: usize) -> Option<&'a [u8]> {
        if n >= self.relays {
            return None;
        }
        let mut m = self.buf;
        for _ in 0..n {
            m = find_option6(m.get(RELAY_HEADER..)?, RELAY_MSG)?;
        }
        Some(m)
    }

    fn client_options(&self) -> &'a [u8] {
        self.client.get(4..).unwrap_or(&[])
    }

    /// The enterprise and the rest of the first option `code` (16, 17).
    fn vendor_record(&self, code: u16) -> Option<(u32, &'a [u8])> {
        let p = self.find(code)?;
        let ent = u32::from_be_bytes(p.get(..4)?.try_into().ok()?);
        Some((ent, &p[4..]))
    }

    /// Whether every Vendor Class option (16) of the client's message and
    /// of the relay levels around it parses as in Kea: each data chunk has
    /// its 2-byte length, and (unless `lenient`, Kea's
    /// `compatibility.lenient-option-parsing`) no more data than its option
    /// has left. With `lenient`, such a chunk is the rest of the option
    /// (what [`chunks`] reads).
    pub fn vendor_classes_parse(&self, lenient: bool) -> bool {
        let relays = (0..self.relays).filter_map(|n| self.relay(n)?.get(RELAY_HEADER..));
        std::iter::once(self.client_options())
            .chain(relays)
            .all(|area| {
                options6(area)
                    .filter(|(c, _)| *c == VENDOR_CLASS)
                    .all(|(_, p)| p.get(4..).is_some_and(|t| tuples_parse(t, lenient)))
            })
    }

    /// Data chunk `index` of the vendor class option (2-byte lengths).
    fn vendor_class_chunk(&self, index: usize) -> Option<&'a [u8]> {
        chunks(self.vendor_record(VENDOR_CLASS)?.1).nth(index)
    }
}

/// The length-prefixed (2 bytes) chunks of a vendor class option. A
/// chunk claiming more than is left is the rest (Kea's lenient parsing;
/// without it, [`Raw6::vendor_classes_parse`] dropped the packet).
fn chunks(mut r: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_be_bytes([*r.first()?, *r.get(1)?]));
        let rest = r.get(2..)?;
        let data = rest.get(..len).unwrap_or(rest);
        r = &rest[data.len()..];
        Some(data)
    })
}

/// Kea's `OpaqueDataTuple` parse of a run of 2-byte-length tuples: each
/// needs its length field; one longer than what is left fails unless
/// `lenient`.
fn tuples_parse(mut r: &[u8], lenient: bool) -> bool {
    while !r.is_empty() {
        let [a, b, rest @ ..] = r else {
            return false;
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        match rest.get(len..) {
            Some(tail) => r = tail,
            None => return lenient,
        }
    }
    true
}

/// The whole options (code, payload) of a DHCPv6 option area, up to the
/// first that is not whole.
fn options6(mut r: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let code = u16::from_be_bytes([*r.first()?, *r.get(1)?]);
        let len = usize::from(u16::from_be_bytes([*r.get(2)?, *r.get(3)?]));
        let p = r.get(4..4 + len)?;
        r = &r[4 + len..];
        Some((code, p))
    })
}

/// Option `path[0]` of `opts`, then each further code a sub-option of the
/// one before (after its container header).
fn descend<'a>(opts: &'a [u8], path: &[u16]) -> Option<&'a [u8]> {
    let (&first, rest) = path.split_first()?;
    descend_in(find_option6(opts, first)?, first, rest)
}

/// The sub-option at `path` of option `code`, whose payload is `data`.
fn descend_in<'a>(mut data: &'a [u8], code: u16, path: &[u16]) -> Option<&'a [u8]> {
    let mut code = code;
    for &c in path {
        let skip = container_header(code).unwrap_or(0);
        data = find_option6(data.get(skip..)?, c)?;
        code = c;
    }
    Some(data)
}

/// The DHCPv6 [`Packet`]: [`Raw6`] and the classes assigned so far.
#[derive(Debug, Clone, Copy)]
pub struct Pkt6View<'s> {
    raw: &'s Raw6<'s>,
    classes: &'s ClassSet<'s>,
}

impl<'a> Source for Raw6<'a> {
    type View<'s>
        = Pkt6View<'s>
    where
        Self: 's;

    fn view<'s>(&'s self, classes: &'s ClassSet<'s>) -> Pkt6View<'s> {
        Pkt6View { raw: self, classes }
    }

    /// An option of the client's message with a code below 256 by its
    /// presence bit; relay level `l` is known to lack every option when
    /// the packet has no such level; nothing else is known cheaply.
    #[inline(always)]
    fn has(&self, scope: Scope, code: u16) -> Option<bool> {
        match (scope, u8::try_from(code)) {
            (Scope::Packet, Ok(c)) => {
                Some(self.present[usize::from(c / 64)] & (1 << (c % 64)) != 0)
            }
            (Scope::Relay6(l), _) if l >= self.relays => Some(false),
            _ => None,
        }
    }

    /// Kea's `classifyByVendor`: `docsis3.0` or `eRouter1.0` when one of
    /// the vendor class data chunks is that, else the first chunk.
    fn vendor_class(&self) -> Option<&[u8]> {
        let (_, r) = self.vendor_record(VENDOR_CLASS)?;
        if chunks(r).any(|c| c == DOCSIS_MODEM) {
            return Some(DOCSIS_MODEM);
        }
        if chunks(r).any(|c| c == DOCSIS_EROUTER) {
            return Some(DOCSIS_EROUTER);
        }
        chunks(r).next()
    }
}

impl Packet for Pkt6View<'_> {
    #[inline]
    fn family(&self) -> Family {
        Family::V6
    }

    #[inline]
    fn option(&self, scope: Scope, path: &[u16]) -> Option<&[u8]> {
        match scope {
            Scope::Packet => {
                let (&first, rest) = path.split_first()?;
                let top = self.raw.find(first)?;
                descend_in(top, first, rest)
            }
            Scope::Relay6(n) => descend(self.raw.relay(n)?.get(RELAY_HEADER..)?, path),
            Scope::Vendor => {
                let (_, r) = self.raw.vendor_record(VENDOR_OPTS)?;
                descend(r, path)
            }
            Scope::Relay4 => None,
        }
    }

    fn relay6_count(&self) -> usize {
        self.raw.relays
    }

    fn relay6_addr(&self, level: usize, which: Relay6Addr) -> Option<Ipv6Addr> {
        let m = self.raw.relay(level)?;
        let r = match which {
            Relay6Addr::Link => m.get(2..18)?,
            Relay6Addr::Peer => m.get(18..34)?,
        };
        Some(Ipv6Addr::from(<[u8; 16]>::try_from(r).ok()?))
    }

    fn vendor(&self) -> Option<u32> {
        self.raw.vendor_record(VENDOR_OPTS).map(|(e, _)| e)
    }

    fn vendor_class(&self) -> Option<u32> {
        self.raw.vendor_record(VENDOR_CLASS).map(|(e, _)| e)
    }

    fn vendor_class_data(&self, index: usize) -> Option<&[u8]> {
        self.raw.vendor_class_chunk(index)
    }

    fn pkt6(&self) -> Option<Pkt6Fields> {
        let c = self.raw.client;
        Some(Pkt6Fields {
            msgtype: c.first().copied().unwrap_or(0),
            transid: u32::from_be_bytes([0, *c.get(1)?, *c.get(2)?, *c.get(3)?]),
        })
    }

    fn iface(&self) -> &str {
        self.raw.meta.iface.as_deref().unwrap_or("")
    }

    fn src(&self) -> IpAddr {
        IpAddr::V6(*self.raw.meta.src.ip())
    }

    fn dst(&self) -> IpAddr {
        IpAddr::V6(self.raw.meta.dst.unwrap_or(Ipv6Addr::UNSPECIFIED))
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
