//! Decoding DHCPv6 messages (RFC 8415 §8, §9) and relay wrapping.
//!
//! The option area is walked here first (every TLV inside its parent,
//! recursively into IA_NA/IA_TA/IA_PD/IAADDR/IAPREFIX), because `dhcproto`
//! silently stops at a malformed option. Relay-forward messages are
//! unwrapped here too: `dhcproto` decodes the Relay Message option as a relay
//! message even when it carries a client message, so the relay chain is read
//! from the bytes and only the innermost client message goes to `dhcproto`.
//! Replies are wrapped back into Relay-reply messages here, echoing each
//! relay's Interface-Id (RFC 8415 §19.3). `ruru probe` plays the relay
//! agent with the other direction: [`wrap_relay_forward`] and [`parse_reply`].

use std::net::Ipv6Addr;

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder};

/// RFC 8415 §7.6 HOP_COUNT_LIMIT.
pub const HOP_COUNT_LIMIT: u8 = 8;

/// Why a message could not be parsed (counted as `pkt6-parse-failed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError6 {
    #[error("truncated: {0} bytes")]
    Truncated(usize),
    #[error("option {code} at offset {offset} overruns its container")]
    BadOptionLength { code: u16, offset: usize },
    #[error("relay message without a Relay Message option")]
    NoRelayMessage,
    #[error("relays nested deeper than the hop count limit")]
    TooManyHops,
    #[error("decode: {0}")]
    Decode(String),
}

/// One relay agent in the chain, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub hop_count: u8,
    pub link_addr: Ipv6Addr,
    pub peer_addr: Ipv6Addr,
    /// Interface-Id option (18), echoed in the reply.
    pub interface_id: Option<Vec<u8>>,
    /// Client Link-Layer Address option (79, RFC 6939): link-layer type
    /// (2 bytes) and address.
    pub client_link_addr: Option<Vec<u8>>,
}

/// A received client message with its relay chain.
#[derive(Debug, Clone)]
pub struct Query6 {
    pub msg: v6::Message,
    pub msg_type: MessageType,
    /// Relays, outermost (the one that sent to us) first.
    pub relays: Vec<Relay>,
    pub client_id: Option<Vec<u8>>,
    pub server_id: Option<Vec<u8>>,
    pub oro: Vec<u16>,
    pub rapid_commit: bool,
}

impl Query6 {
    pub fn xid(&self) -> u32 {
        self.msg.xid_num()
    }
    /// The relay closest to the client (its link is the client's link).
    pub fn inner_relay(&self) -> Option<&Relay> {
        self.relays.last()
    }
}

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Options whose payload is itself a list of options, after a fixed header.
fn container_header(code: u16) -> Option<usize> {
    match code {
        3 | 25 => Some(12), // IA_NA, IA_PD: IAID, T1, T2
        4 => Some(4),       // IA_TA: IAID
        5 => Some(24),      // IAADDR: address, preferred, valid
        26 => Some(25),     // IAPREFIX: preferred, valid, length, prefix
        _ => None,
    }
}

/// Fixed lengths `dhcproto` reads without checking.
fn length_ok(code: u16, len: usize) -> bool {
    match code {
        7 => len == 1,                     // preference
        8 => len == 2,                     // elapsed time
        12 => len == 16,                   // server unicast
        13 => len >= 2,                    // status code
        16 | 17 => len >= 4,               // vendor class, vendor options
        14 | 20 => len == 0,               // rapid commit, reconfigure accept
        19 => len == 1,                    // reconfigure message
        32 => len == 4,                    // information refresh time
        6 => len.is_multiple_of(2),        // ORO
        23 => len.is_multiple_of(16),      // DNS servers
        1 | 2 => (2..=130).contains(&len), // DUIDs (RFC 8415 §11.1)
        c => container_header(c).is_none_or(|h| len >= h),
    }
}

/// Checks every option TLV in `area` (recursively), reporting offsets
/// relative to `base`.
fn walk(area: &[u8], base: usize) -> Result<(), ParseError6> {
    let mut i = 0;
    while i < area.len() {
        let (Some(code), Some(len)) = (be16(area, i), be16(area, i + 2)) else {
            return Err(ParseError6::BadOptionLength {
                code: 0,
                offset: base + i,
            });
        };
        let len = usize::from(len);
        let end = i + 4 + len;
        if end > area.len() || !length_ok(code, len) {
            return Err(ParseError6::BadOptionLength {
                code,
                offset: base + i,
            });
        }
        if let Some(h) = container_header(code) {
            walk(&area[i + 4 + h..end], base + i + 4 + h)?;
        }
        i = end;
    }
    Ok(())
}

/// Finds the first option `code` in a flat option area.
fn find(area: &[u8], code: u16) -> Option<&[u8]> {
    let mut i = 0;
    while i + 4 <= area.len() {
        let c = be16(area, i)?;
        let len = usize::from(be16(area, i + 2)?);
        let v = area.get(i + 4..i + 4 + len)?;
        if c == code {
            return Some(v);
        }
        i += 4 + len;
    }
    None
}

/// Parses a received datagram: relays unwrapped, client message decoded.
pub fn parse(buf: &[u8]) -> Result<Query6, ParseError6> {
    let (relays, msg) = unwrap(buf, 12)?;
    let opts = msg.opts();
    let client_id = match opts.get(OptionCode::ClientId) {
        Some(DhcpOption::ClientId(d)) => Some(d.clone()),
        _ => None,
    };
    let server_id = match opts.get(OptionCode::ServerId) {
        Some(DhcpOption::ServerId(d)) => Some(d.clone()),
        _ => None,
    };
    let oro = match opts.get(OptionCode::ORO) {
        Some(DhcpOption::ORO(o)) => o.opts.iter().map(|c| u16::from(*c)).collect(),
        _ => Vec::new(),
    };
    let rapid_commit = opts.get(OptionCode::RapidCommit).is_some();
    Ok(Query6 {
        msg_type: msg.msg_type(),
        relays,
        client_id,
        server_id,
        oro,
        rapid_commit,
        msg,
    })
}

/// Parses a datagram as a client or a relay agent receives it (`ruru
/// probe`): Relay-reply messages (RFC 8415 §9.2) unwrapped, outermost first,
/// and the message inside decoded, with the same checks as [`parse`].
pub fn parse_reply(buf: &[u8]) -> Result<(Vec<Relay>, v6::Message), ParseError6> {
    unwrap(buf, 13)
}

/// Unwraps the relay messages of type `relay_type` (RELAY-FORW for a
/// server, RELAY-REPL for a relay agent) and decodes the message inside.
fn unwrap(buf: &[u8], relay_type: u8) -> Result<(Vec<Relay>, v6::Message), ParseError6> {
    let mut relays = Vec::new();
    let mut cur = buf;
    loop {
        let Some(&t) = cur.first() else {
            return Err(ParseError6::Truncated(buf.len()));
        };
        if t == relay_type {
            // msg-type, hop-count, link-address, peer-address, options.
            if cur.len() < 34 {
                return Err(ParseError6::Truncated(cur.len()));
            }
            if relays.len() > usize::from(HOP_COUNT_LIMIT) || cur[1] > HOP_COUNT_LIMIT {
                return Err(ParseError6::TooManyHops);
            }
            let opts = &cur[34..];
            walk_flat(opts, buf.len() - cur.len() + 34)?;
            let mut la = [0u8; 16];
            la.copy_from_slice(&cur[2..18]);
            let mut pa = [0u8; 16];
            pa.copy_from_slice(&cur[18..34]);
            relays.push(Relay {
                hop_count: cur[1],
                link_addr: Ipv6Addr::from(la),
                peer_addr: Ipv6Addr::from(pa),
                interface_id: find(opts, 18).map(<[u8]>::to_vec),
                client_link_addr: find(opts, 79).map(<[u8]>::to_vec),
            });
            cur = find(opts, 9).ok_or(ParseError6::NoRelayMessage)?;
            continue;
        }
        if cur.len() < 4 {
            return Err(ParseError6::Truncated(cur.len()));
        }
        walk(&cur[4..], buf.len() - cur.len() + 4)?;
        let msg = v6::Message::decode(&mut Decoder::new(cur))
            .map_err(|e| ParseError6::Decode(e.to_string()))?;
        return Ok((relays, msg));
    }
}

/// Checks a relay's option TLVs (the Relay Message payload is checked when
/// it is parsed in turn).
fn walk_flat(area: &[u8], base: usize) -> Result<(), ParseError6> {
    let mut i = 0;
    while i < area.len() {
        let (Some(code), Some(len)) = (be16(area, i), be16(area, i + 2)) else {
            return Err(ParseError6::BadOptionLength {
                code: 0,
                offset: base + i,
            });
        };
        let end = i + 4 + usize::from(len);
        if end > area.len() {
            return Err(ParseError6::BadOptionLength {
                code,
                offset: base + i,
            });
        }
        i = end;
    }
    Ok(())
}

/// Wraps an encoded reply into Relay-reply messages for `relays`
/// (outermost first), echoing each Interface-Id.
pub fn wrap_relays(mut inner: Vec<u8>, relays: &[Relay]) -> Vec<u8> {
    for r in relays.iter().rev() {
        let mut out = Vec::with_capacity(inner.len() + 64);
        out.push(13); // RELAY-REPL
        out.push(r.hop_count);
        out.extend_from_slice(&r.link_addr.octets());
        out.extend_from_slice(&r.peer_addr.octets());
        if let Some(id) = &r.interface_id {
            put(&mut out, 18, id);
        }
        put(&mut out, 9, &inner);
        inner = out;
    }
    inner
}

/// Wraps a client message into a Relay-forward message (RFC 8415 §9.1) from
/// a relay agent at hop count 0, as `ruru probe --relay` sends it:
/// `link` is the address that identifies the client's link (Kea selects
/// the subnet with it), `peer` the client's address, `interface_id` an
/// Interface-Id option the server echoes.
pub fn wrap_relay_forward(
    inner: &[u8],
    link: Ipv6Addr,
    peer: Ipv6Addr,
    interface_id: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(inner.len() + 64);
    out.push(12); // RELAY-FORW
    out.push(0);
    out.extend_from_slice(&link.octets());
    out.extend_from_slice(&peer.octets());
    if let Some(id) = interface_id {
        put(&mut out, 18, id);
    }
    put(&mut out, 9, inner);
    out
}

/// Appends one option TLV.
pub fn put(out: &mut Vec<u8>, code: u16, data: &[u8]) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&(data.len().min(usize::from(u16::MAX)) as u16).to_be_bytes());
    out.extend_from_slice(data);
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A SOLICIT with a client id and one IA_NA (RFC 8415 §8 layout).
    pub fn solicit(duid: &[u8], iaid: u32) -> Vec<u8> {
        let mut b = vec![1, 0x12, 0x34, 0x56];
        put(&mut b, 1, duid);
        let mut ia = iaid.to_be_bytes().to_vec();
        ia.extend_from_slice(&[0; 8]);
        put(&mut b, 3, &ia);
        put(&mut b, 8, &[0, 0]);
        b
    }

    pub fn relay_forw(inner: &[u8], link: Ipv6Addr, ifid: Option<&[u8]>) -> Vec<u8> {
        wrap_relay_forward(inner, link, "fe80::1".parse().unwrap(), ifid)
    }

    #[test]
    fn rfc8415_solicit_parses() {
        let q = parse(&solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7)).unwrap();
        assert_eq!(q.msg_type, MessageType::Solicit);
        assert_eq!(q.xid(), 0x123456);
        assert_eq!(
            q.client_id.as_deref(),
            Some(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1][..])
        );
        assert!(q.relays.is_empty());
    }

    #[test]
    fn rfc8415_9_nested_relays_unwrap_and_rewrap() {
        let inner = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
        let l1 = relay_forw(&inner, "2001:db8:1::1".parse().unwrap(), Some(b"eth0"));
        let l2 = relay_forw(&l1, "2001:db8:ff::1".parse().unwrap(), None);
        let q = parse(&l2).unwrap();
        assert_eq!(q.relays.len(), 2);
        assert_eq!(
            q.inner_relay().unwrap().link_addr,
            "2001:db8:1::1".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            q.inner_relay().unwrap().interface_id.as_deref(),
            Some(&b"eth0"[..])
        );
        let wrapped = wrap_relays(vec![7, 1, 2, 3], &q.relays);
        assert_eq!(wrapped[0], 13);
        // outer relay-repl carries the inner relay-repl, which echoes eth0
        let inner_repl = find(&wrapped[34..], 9).unwrap();
        assert_eq!(inner_repl[0], 13);
        assert_eq!(find(&inner_repl[34..], 18), Some(&b"eth0"[..]));
        assert_eq!(find(&inner_repl[34..], 9), Some(&[7u8, 1, 2, 3][..]));
    }

    #[test]
    fn rfc8415_9_relay_agent_side_forward_and_reply() {
        // What a relay agent (ruru probe) sends and gets back.
        let inner = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
        let link: Ipv6Addr = "2001:db8:1::1".parse().unwrap();
        let peer: Ipv6Addr = "fe80::2".parse().unwrap();
        let fw = wrap_relay_forward(&inner, link, peer, Some(b"probe"));
        let q = parse(&fw).unwrap();
        assert_eq!(q.relays[0].link_addr, link);
        assert_eq!(q.relays[0].peer_addr, peer);
        assert_eq!(q.relays[0].hop_count, 0);
        let mut advertise = vec![2, 0x12, 0x34, 0x56];
        put(&mut advertise, 2, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 9]);
        let (relays, msg) = parse_reply(&wrap_relays(advertise, &q.relays)).unwrap();
        assert_eq!(relays.len(), 1);
        assert_eq!(relays[0].interface_id.as_deref(), Some(&b"probe"[..]));
        assert_eq!(msg.msg_type(), MessageType::Advertise);
        assert_eq!(msg.xid_num(), 0x123456);
        // Not a relay-reply: the message itself.
        let (relays, msg) = parse_reply(&inner).unwrap();
        assert!(relays.is_empty());
        assert_eq!(msg.msg_type(), MessageType::Solicit);
        // A malformed option inside a reply is an error, not a panic
        // (dhcproto would underflow on a status code shorter than 2).
        let mut bad = vec![7, 0, 0, 1];
        put(&mut bad, 13, &[0]);
        assert!(parse_reply(&bad).is_err());
    }

    #[test]
    fn malformed_messages_are_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&[1, 2]).is_err());
        let mut b = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
        b.extend_from_slice(&[0, 5, 0, 50, 1]); // overrunning option
        assert!(matches!(
            parse(&b),
            Err(ParseError6::BadOptionLength { code: 5, .. })
        ));
        // IA_NA too short for its header
        let mut c = vec![1, 0, 0, 1];
        put(&mut c, 3, &[0, 0, 0, 1]);
        assert!(parse(&c).is_err());
        // Vendor class and vendor options shorter than their enterprise
        // number (dhcproto reads 4 octets, then subtracts 4 from the length).
        for code in [16, 17] {
            let mut m = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
            put(&mut m, code, &[0, 0]);
            put(&mut m, 8, &[0, 0]);
            assert!(
                matches!(parse(&m), Err(ParseError6::BadOptionLength { .. })),
                "option {code}"
            );
        }
        // relay chain deeper than the limit
        let mut m = solicit(&[0, 3, 0, 1, 2, 0, 0, 0, 0, 1], 7);
        for _ in 0..10 {
            m = relay_forw(&m, "2001:db8::1".parse().unwrap(), None);
        }
        assert_eq!(parse(&m).unwrap_err(), ParseError6::TooManyHops);
        // relay without relay message
        let mut r = vec![12, 0];
        r.extend_from_slice(&[0; 32]);
        assert_eq!(parse(&r).unwrap_err(), ParseError6::NoRelayMessage);
    }
}
