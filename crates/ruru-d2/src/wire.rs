//! The DNS wire format D2 needs, and no more: RFC 2136 UPDATE messages
//! (zone, prerequisite and update sections of uncompressed records) and
//! reading a server's answer (its ID, RCODE, and where its last
//! additional record — the TSIG record — starts).
//!
//! Written here rather than with a general DNS library because an UPDATE
//! is a handful of fixed-layout records, and TSIG (see [`crate::tsig`])
//! needs the exact bytes and offsets of both messages.

use std::net::IpAddr;

pub const TYPE_A: u16 = 1;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_DHCID: u16 = 49;
pub const TYPE_TSIG: u16 = 250;
pub const TYPE_ANY: u16 = 255;

pub const CLASS_IN: u16 = 1;
pub const CLASS_NONE: u16 = 254;
pub const CLASS_ANY: u16 = 255;

/// RCODEs D2 tells apart (RFC 1035, RFC 2136).
pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_YXDOMAIN: u8 = 6;
pub const RCODE_NXRRSET: u8 = 8;

/// The UPDATE opcode in the header's flags.
const OPCODE_UPDATE: u16 = 5 << 11;

/// A resource record as UPDATE sections carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rr {
    /// Absolute name (a trailing dot is optional).
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub rdata: Vec<u8>,
}

impl Rr {
    /// A record with empty RDATA (the prerequisites and deletions of
    /// RFC 2136 that name a whole RRset or name).
    pub fn empty(name: &str, rtype: u16, class: u16) -> Rr {
        Rr {
            name: name.to_string(),
            rtype,
            class,
            ttl: 0,
            rdata: Vec::new(),
        }
    }

    /// The address record of `ip` (A or AAAA).
    pub fn address(name: &str, class: u16, ttl: u32, ip: IpAddr) -> Rr {
        let (rtype, rdata) = match ip {
            IpAddr::V4(a) => (TYPE_A, a.octets().to_vec()),
            IpAddr::V6(a) => (TYPE_AAAA, a.octets().to_vec()),
        };
        Rr {
            name: name.to_string(),
            rtype,
            class,
            ttl,
            rdata,
        }
    }
}

/// Why bytes are not a usable DNS message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("invalid domain name {0:?}")]
    Name(String),
    #[error("message truncated")]
    Truncated,
    #[error("malformed message: {0}")]
    Malformed(&'static str),
}

/// The wire form of `name`, lower-cased when `lower`.
pub fn name_wire(name: &str, lower: bool) -> Result<Vec<u8>, WireError> {
    ruru_ddns::name::to_wire(name, lower).ok_or_else(|| WireError::Name(name.to_string()))
}

fn push_rr(out: &mut Vec<u8>, rr: &Rr) -> Result<(), WireError> {
    out.extend_from_slice(&name_wire(&rr.name, false)?);
    out.extend_from_slice(&rr.rtype.to_be_bytes());
    out.extend_from_slice(&rr.class.to_be_bytes());
    out.extend_from_slice(&rr.ttl.to_be_bytes());
    let len = u16::try_from(rr.rdata.len()).map_err(|_| WireError::Malformed("RDATA too long"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&rr.rdata);
    Ok(())
}

/// An UPDATE message for `zone` (RFC 2136 §2), unsigned.
pub fn update_message(
    id: u16,
    zone: &str,
    prereqs: &[Rr],
    updates: &[Rr],
) -> Result<Vec<u8>, WireError> {
    let count = |n: usize| u16::try_from(n).map_err(|_| WireError::Malformed("too many records"));
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&OPCODE_UPDATE.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&count(prereqs.len())?.to_be_bytes());
    out.extend_from_slice(&count(updates.len())?.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    out.extend_from_slice(&name_wire(zone, false)?);
    out.extend_from_slice(&TYPE_SOA.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    for rr in prereqs.iter().chain(updates) {
        push_rr(&mut out, rr)?;
    }
    Ok(out)
}

/// Appends `rr` to the additional section of `msg` (adjusting ARCOUNT).
pub fn append_additional(msg: &mut Vec<u8>, rr: &Rr) -> Result<(), WireError> {
    let ar = read_u16(msg, 10)?;
    let ar = ar.checked_add(1).ok_or(WireError::Malformed("ARCOUNT"))?;
    push_rr(msg, rr)?;
    msg[10..12].copy_from_slice(&ar.to_be_bytes());
    Ok(())
}

pub fn read_u16(b: &[u8], at: usize) -> Result<u16, WireError> {
    let s = b.get(at..at + 2).ok_or(WireError::Truncated)?;
    Ok(u16::from_be_bytes([s[0], s[1]]))
}

pub fn read_u32(b: &[u8], at: usize) -> Result<u32, WireError> {
    let s = b.get(at..at + 4).ok_or(WireError::Truncated)?;
    Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads the (possibly compressed) name at `at`: its lower-case text
/// with a trailing dot, and the offset just after it in place.
pub fn read_name(b: &[u8], mut at: usize) -> Result<(String, usize), WireError> {
    let mut out = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *b.get(at).ok_or(WireError::Truncated)?;
        match len {
            0 => {
                if out.is_empty() {
                    out.push('.');
                }
                return Ok((out, end.unwrap_or(at + 1)));
            }
            l if l & 0xC0 == 0xC0 => {
                let ptr = usize::from(read_u16(b, at)? & 0x3FFF);
                if end.is_none() {
                    end = Some(at + 2);
                }
                jumps += 1;
                if jumps > 64 || ptr >= b.len() {
                    return Err(WireError::Malformed("compression loop"));
                }
                at = ptr;
            }
            l if l & 0xC0 != 0 => return Err(WireError::Malformed("label type")),
            l => {
                let l = usize::from(l);
                let label = b.get(at + 1..at + 1 + l).ok_or(WireError::Truncated)?;
                for &c in label {
                    out.push(char::from(c.to_ascii_lowercase()));
                }
                out.push('.');
                if out.len() > 255 {
                    return Err(WireError::Malformed("name too long"));
                }
                at += 1 + l;
            }
        }
    }
}

/// A server's answer, walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub id: u16,
    pub rcode: u8,
    /// Offset of the last additional record when it is a TSIG record.
    pub tsig_at: Option<usize>,
}

/// Walks a response: header, question/zone section, answer/prerequisite,
/// authority/update and additional sections.
pub fn parse_response(b: &[u8]) -> Result<Response, WireError> {
    if b.len() < 12 {
        return Err(WireError::Truncated);
    }
    let id = read_u16(b, 0)?;
    let flags = read_u16(b, 2)?;
    if flags & 0x8000 == 0 {
        return Err(WireError::Malformed("not a response"));
    }
    let rcode = (flags & 0x000F) as u8;
    let qd = read_u16(b, 4)?;
    let rrs = u32::from(read_u16(b, 6)?) + u32::from(read_u16(b, 8)?);
    let ar = read_u16(b, 10)?;
    let mut at = 12;
    for _ in 0..qd {
        at = read_name(b, at)?.1 + 4;
    }
    let mut last = None;
    for i in 0..rrs + u32::from(ar) {
        let start = at;
        at = read_name(b, at)?.1;
        let rtype = read_u16(b, at)?;
        let rdlen = usize::from(read_u16(b, at + 8)?);
        at += 10 + rdlen;
        if at > b.len() {
            return Err(WireError::Truncated);
        }
        if i + 1 == rrs + u32::from(ar) && ar > 0 && rtype == TYPE_TSIG {
            last = Some(start);
        }
    }
    Ok(Response {
        id,
        rcode,
        tsig_at: last,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn update_and_walk() {
        let pre = [Rr::empty("h.example.org.", TYPE_ANY, CLASS_NONE)];
        let upd = [Rr::address(
            "h.example.org.",
            CLASS_IN,
            300,
            "192.0.2.1".parse().unwrap(),
        )];
        let mut m = update_message(7, "example.org.", &pre, &upd).unwrap();
        assert_eq!(&m[..12], &[0, 7, 0x28, 0, 0, 1, 0, 1, 0, 1, 0, 0]);
        // As a "response" (QR set), it walks, with a TSIG-typed last record.
        m[2] |= 0x80;
        append_additional(&mut m, &Rr::empty("k.", TYPE_TSIG, CLASS_ANY)).unwrap();
        let r = parse_response(&m).unwrap();
        assert_eq!(r.id, 7);
        assert_eq!(r.rcode, 0);
        let at = r.tsig_at.unwrap();
        assert_eq!(read_name(&m, at).unwrap().0, "k.");
        // A compressed name.
        let mut b = b"\x07example\x03org\x00".to_vec();
        b.extend_from_slice(b"\x01h\xc0\x00");
        assert_eq!(read_name(&b, 13).unwrap(), ("h.example.org.".into(), 17));
        assert!(parse_response(&m[..20]).is_err());
    }
}
