//! Decoding DHCPv6 messages (RFC 8415 §8, §9) and relay wrapping.
//!
//! The option area is walked here first (every TLV inside its parent,
//! recursively into every option `dhcproto` decodes as options: IA_NA,
//! IA_TA, IA_PD, IAADDR, IAPREFIX, Relay Message, and Vendor-specific
//! Information below the top level), because `dhcproto` silently stops at a
//! malformed option, and recurses without a limit: options nested
//! [`MAX_OPTION_DEPTH`] deep make the message malformed. A Vendor-specific
//! Information option of the message itself is kept as raw bytes (an
//! `Unknown` option with code 17): its sub-options are the vendor's, which
//! `dhcproto` would read with the DHCPv6 option table. Relay-forward messages are
//! unwrapped here too: `dhcproto` decodes the Relay Message option as a relay
//! message even when it carries a client message, so the relay chain is read
//! from the bytes and only the innermost client message goes to `dhcproto`.
//! Replies are wrapped back into Relay-reply messages here, echoing each
//! relay's Interface-Id (RFC 8415 §19.3).
//!
//! A message is also cut to the bounds here, before it is decoded: at most
//! [`MAX_IAS`] IA options, and in each at most [`MAX_IA_ENTRIES`] addresses
//! or prefixes, in the order the client sent them; the rest is left out
//! (and reported in [`Query6::cut`]), so that one datagram costs the engine
//! no more than a message at the bounds.
//!
//! `ruru probe` plays the relay agent with the other direction:
//! [`wrap_relay_forward`] and [`parse_reply`].

use std::net::Ipv6Addr;

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder};

/// RFC 8415 §7.6 HOP_COUNT_LIMIT.
pub const HOP_COUNT_LIMIT: u8 = 8;

/// At most this many IA options (IA_NA, IA_TA and IA_PD together) of a
/// client message are read, the first in the message; the others are
/// ignored, as if the client had not sent them. Real clients send one to
/// three; RFC 8415 sets no limit (nor does Kea), but each IA costs an
/// allocation (and, in a Request, a lease).
pub const MAX_IAS: usize = 32;

/// At most this many addresses (IAADDR) or prefixes (IAPREFIX) of one IA
/// are read, the first in the IA; the others are ignored. A client lists
/// the one or two bindings it holds or wants in an IA.
pub const MAX_IA_ENTRIES: usize = 16;

/// Options nested deeper than this, counted from the message's own options
/// (IA_PD → IAPREFIX → PD_EXCLUDE is 2), make the message malformed. Kea
/// stops at 10 levels of recursion. Without a bound, one 64 KiB message of
/// nested options overflows the stack of the decoder and aborts the process.
pub const MAX_OPTION_DEPTH: usize = 8;

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
    #[error("option {code} at offset {offset} nested deeper than {MAX_OPTION_DEPTH} levels")]
    TooDeep { code: u16, offset: usize },
    #[error("decode: {0}")]
    Decode(String),
}

/// One relay agent in the chain, outermost first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relay {
    pub hop_count: u8,
    pub link_addr: Ipv6Addr,
    pub peer_addr: Ipv6Addr,
    /// The relay's options as received, but for the Relay Message (9):
    /// one copy (no allocation when the relay adds none) that the
    /// accessors below read and `store-extended-info` keeps.
    pub options: Box<[u8]>,
}

impl Relay {
    /// Interface-Id option (18), echoed in the reply.
    pub fn interface_id(&self) -> Option<&[u8]> {
        find(&self.options, 18)
    }
    /// Relay Source Port option (135, RFC 8357): the relay listens on the
    /// port it sent from, not on 547; echoed in the reply.
    pub fn relay_source_port(&self) -> Option<&[u8]> {
        find(&self.options, 135)
    }
    /// Client Link-Layer Address option (79, RFC 6939): link-layer type
    /// (2 bytes) and address.
    pub fn client_link_addr(&self) -> Option<&[u8]> {
        find(&self.options, 79)
    }
    /// Remote-Id option (37, RFC 4649): enterprise number and remote-id
    /// (`mac-sources` `remote-id`).
    pub fn remote_id(&self) -> Option<&[u8]> {
        find(&self.options, 37)
    }
    /// The first Vendor-specific Information option (17): enterprise
    /// number and sub-options (`mac-sources` `docsis-cmts`).
    pub fn vendor_opts(&self) -> Option<&[u8]> {
        find(&self.options, 17)
    }
    /// Relay-Supplied Options option (66, RFC 6422): options the relay
    /// offers for the reply.
    pub fn rsoo(&self) -> Option<&[u8]> {
        find(&self.options, 66)
    }
    /// The relay's options (but the Relay Message) as whole TLVs in order
    /// of code, options of one code in the order received: the order in
    /// which Kea 2.2 writes them back.
    pub fn options_by_code(&self) -> Vec<&[u8]> {
        let mut v: Vec<(u16, &[u8])> = tlvs(&self.options).collect();
        v.sort_by_key(|(c, _)| *c);
        v.into_iter().map(|(_, t)| t).collect()
    }
}

/// A received client message with its relay chain.
#[derive(Debug, Clone)]
pub struct Query6 {
    pub msg: v6::Message,
    pub msg_type: MessageType,
    /// Relays, outermost (the one that sent to us) first.
    pub relays: Vec<Relay>,
    pub client_id: Option<Vec<u8>>,
    /// Set when the built-in flex-id's `replace-client-id` replaced
    /// `client_id` (Kea's `pkt6_receive` callout): the client's own DUID,
    /// which the reply's Client Identifier carries.
    pub original_client_id: Option<Option<Vec<u8>>>,
    pub server_id: Option<Vec<u8>>,
    pub oro: Vec<u16>,
    pub rapid_commit: bool,
    /// The message has a Client FQDN option (39, RFC 4704).
    pub has_fqdn: bool,
    /// What was left out to stay within [`MAX_IAS`] and [`MAX_IA_ENTRIES`]
    /// (`msg` holds only what was kept).
    pub cut: Cut6,
}

/// What [`parse`] left out of a client message (counted, per message, in
/// `pkt6-ia-limit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut6 {
    /// IA options after the first [`MAX_IAS`].
    pub ias: usize,
    /// Addresses and prefixes after the first [`MAX_IA_ENTRIES`] of a kept IA.
    pub entries: usize,
}

impl Cut6 {
    /// Whether anything was left out.
    pub fn any(&self) -> bool {
        self.ias > 0 || self.entries > 0
    }
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
pub(crate) fn container_header(code: u16) -> Option<usize> {
    match code {
        3 | 25 => Some(12), // IA_NA, IA_PD: IAID, T1, T2
        4 => Some(4),       // IA_TA: IAID
        5 => Some(24),      // IAADDR: address, preferred, valid
        26 => Some(25),     // IAPREFIX: preferred, valid, length, prefix
        9 => Some(34),      // Relay Message: a relay message's header
        17 => Some(4),      // Vendor-specific Information: enterprise number
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
        14 | 20 => len == 0,               // rapid commit, reconfigure accept
        19 => len == 1,                    // reconfigure message
        32 => len == 4,                    // information refresh time
        6 => len.is_multiple_of(2),        // ORO
        23 => len.is_multiple_of(16),      // DNS servers
        1 | 2 => (2..=130).contains(&len), // DUIDs (RFC 8415 §11.1)
        16 | 17 => len >= 4,               // vendor class / options: enterprise number
        c => container_header(c).is_none_or(|h| len >= h),
    }
}

/// Checks every option TLV in `area` (recursively), reporting offsets
/// relative to `base`. `depth` is 0 for the message's own options, whose
/// Vendor-specific Information options are not decoded (see the module).
fn walk(area: &[u8], base: usize, depth: usize) -> Result<(), ParseError6> {
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
        if let Some(h) = container_header(code).filter(|_| !(code == 17 && depth == 0)) {
            if depth >= MAX_OPTION_DEPTH {
                return Err(ParseError6::TooDeep {
                    code,
                    offset: base + i,
                });
            }
            walk(&area[i + 4 + h..end], base + i + 4 + h, depth + 1)?;
        }
        i = end;
    }
    Ok(())
}

/// The options of an area checked by [`walk`]: (code, the whole TLV).
fn tlvs(area: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = area;
    std::iter::from_fn(move || {
        let code = be16(rest, 0)?;
        let len = usize::from(be16(rest, 2)?);
        let (tlv, tail) = rest.split_at_checked(4 + len)?;
        rest = tail;
        Some((code, tlv))
    })
}

fn is_ia(code: u16) -> bool {
    matches!(code, 3 | 4 | 25)
}

/// IAADDR, IAPREFIX.
fn is_entry(code: u16) -> bool {
    matches!(code, 5 | 26)
}

/// The header (option code, length, IA fields) and the options of an IA
/// option `tlv`.
fn ia_parts(code: u16, tlv: &[u8]) -> Option<(&[u8], &[u8])> {
    tlv.split_at_checked(4 + container_header(code)?)
}

/// What cutting a message's option area (checked by [`walk`]) to the
/// bounds would leave out.
fn cut_of(area: &[u8]) -> Cut6 {
    let mut cut = Cut6::default();
    for (i, (code, tlv)) in tlvs(area).filter(|(c, _)| is_ia(*c)).enumerate() {
        if i >= MAX_IAS {
            cut.ias += 1;
        } else if let Some((_, opts)) = ia_parts(code, tlv) {
            let n = tlvs(opts).filter(|(c, _)| is_entry(*c)).count();
            cut.entries += n.saturating_sub(MAX_IA_ENTRIES);
        }
    }
    cut
}

/// The option area handed to `dhcproto`: the first [`MAX_IAS`] IA options
/// with their first [`MAX_IA_ENTRIES`] addresses or prefixes (and their
/// other options), the other options as they are but for Vendor-specific
/// Information, which the caller keeps raw.
fn kept_area(area: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(area.len().min(4096));
    let mut ias = 0;
    for (code, tlv) in tlvs(area) {
        if code == u16::from(OptionCode::VendorOpts) {
            continue;
        }
        if !is_ia(code) {
            out.extend_from_slice(tlv);
            continue;
        }
        ias += 1;
        if ias > MAX_IAS {
            continue;
        }
        let Some((head, opts)) = ia_parts(code, tlv) else {
            out.extend_from_slice(tlv);
            continue;
        };
        let mut body = head.get(4..).unwrap_or_default().to_vec();
        let mut entries = 0;
        for (c, sub) in tlvs(opts) {
            if is_entry(c) {
                entries += 1;
                if entries > MAX_IA_ENTRIES {
                    continue;
                }
            }
            body.extend_from_slice(sub);
        }
        put(&mut out, code, &body);
    }
    out
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
    let (relays, msg, cut) = unwrap(buf, 12)?;
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
    let has_fqdn = opts.get(OptionCode::ClientFqdn).is_some();
    Ok(Query6 {
        msg_type: msg.msg_type(),
        relays,
        client_id,
        original_client_id: None,
        server_id,
        oro,
        rapid_commit,
        has_fqdn,
        cut,
        msg,
    })
}

/// Parses a datagram as a client or a relay agent receives it (`ruru
/// probe`): Relay-reply messages (RFC 8415 §9.2) unwrapped, outermost first,
/// and the message inside decoded, with the same checks and bounds as
/// [`parse`].
pub fn parse_reply(buf: &[u8]) -> Result<(Vec<Relay>, v6::Message), ParseError6> {
    unwrap(buf, 13).map(|(relays, msg, _)| (relays, msg))
}

/// Unwraps the relay messages of type `relay_type` (RELAY-FORW for a
/// server, RELAY-REPL for a relay agent) and decodes the message inside,
/// cut to the bounds (what was left out is the [`Cut6`]).
fn unwrap(buf: &[u8], relay_type: u8) -> Result<(Vec<Relay>, v6::Message, Cut6), ParseError6> {
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
            let (options, msg) = split_relay_message(opts);
            relays.push(Relay {
                hop_count: cur[1],
                link_addr: Ipv6Addr::from(la),
                peer_addr: Ipv6Addr::from(pa),
                options,
            });
            cur = msg.ok_or(ParseError6::NoRelayMessage)?;
            continue;
        }
        if cur.len() < 4 {
            return Err(ParseError6::Truncated(cur.len()));
        }
        walk(&cur[4..], buf.len() - cur.len() + 4, 0)?;
        let cut = cut_of(&cur[4..]);
        let vendor: Vec<&[u8]> = tlvs(&cur[4..])
            .filter(|(c, _)| *c == u16::from(OptionCode::VendorOpts))
            .filter_map(|(_, tlv)| tlv.get(4..))
            .collect();
        let kept;
        let cur = if cut.any() || !vendor.is_empty() {
            kept = [&cur[..4], &kept_area(&cur[4..])].concat();
            &kept[..]
        } else {
            cur
        };
        let mut msg = v6::Message::decode(&mut Decoder::new(cur))
            .map_err(|e| ParseError6::Decode(e.to_string()))?;
        for v in vendor {
            msg.opts_mut()
                .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                    OptionCode::VendorOpts,
                    v.to_vec(),
                )));
        }
        return Ok((relays, msg, cut));
    }
}

/// A relay's (checked) option area without its first Relay Message
/// option, and that option's payload.
fn split_relay_message(opts: &[u8]) -> (Box<[u8]>, Option<&[u8]>) {
    let mut i = 0;
    while i + 4 <= opts.len() {
        let (Some(c), Some(len)) = (be16(opts, i), be16(opts, i + 2)) else {
            break;
        };
        let end = i + 4 + usize::from(len);
        let Some(payload) = opts.get(i + 4..end) else {
            break;
        };
        if c == 9 {
            let rest = opts.get(end..).unwrap_or_default();
            let kept = if i == 0 && rest.is_empty() {
                Box::default()
            } else {
                [&opts[..i], rest].concat().into_boxed_slice()
            };
            return (kept, Some(payload));
        }
        i = end;
    }
    (opts.into(), None)
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
/// (outermost first), echoing each Interface-Id and Relay Source Port
/// option (as Kea 2.2 does, in that order).
pub fn wrap_relays(mut inner: Vec<u8>, relays: &[Relay]) -> Vec<u8> {
    for r in relays.iter().rev() {
        let mut out = Vec::with_capacity(inner.len() + 64);
        out.push(13); // RELAY-REPL
        out.push(r.hop_count);
        out.extend_from_slice(&r.link_addr.octets());
        out.extend_from_slice(&r.peer_addr.octets());
        if let Some(id) = r.interface_id() {
            put(&mut out, 18, id);
        }
        if let Some(p) = r.relay_source_port() {
            put(&mut out, 135, p);
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
        assert_eq!(q.inner_relay().unwrap().interface_id(), Some(&b"eth0"[..]));
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
        assert_eq!(relays[0].interface_id(), Some(&b"probe"[..]));
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

    /// An IA option `code` (IA_NA or IA_PD) with `n` IAADDR entries.
    fn ia(code: u16, iaid: u32, n: u16) -> Vec<u8> {
        let mut v = iaid.to_be_bytes().to_vec();
        v.extend_from_slice(&[0; 8]);
        for k in 0..n {
            let mut x = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, k)
                .octets()
                .to_vec();
            x.extend_from_slice(&[0; 8]);
            put(&mut v, 5, &x);
        }
        let mut o = Vec::new();
        put(&mut o, code, &v);
        o
    }

    #[test]
    fn ias_and_entries_past_the_bounds_are_left_out_in_message_order() {
        let mut m = vec![3, 0, 0, 9];
        put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        // IAIDs descending, an IA_PD among the first, one with too many entries.
        m.extend_from_slice(&ia(25, 5000, 0));
        m.extend_from_slice(&ia(3, 4000, 100));
        for i in (0..1000).rev() {
            m.extend_from_slice(&ia(3, i, 1));
        }
        put(&mut m, 6, &[0, 23]); // an ORO after them all
        let q = parse(&m).unwrap();
        assert_eq!(
            q.cut,
            Cut6 {
                ias: 1002 - MAX_IAS,
                entries: 100 - MAX_IA_ENTRIES
            }
        );
        assert_eq!(q.oro, vec![23]);
        let ids: Vec<u32> = q
            .msg
            .opts()
            .iter()
            .filter_map(|o| match o {
                DhcpOption::IANA(ia) => Some(ia.id),
                DhcpOption::IAPD(ia) => Some(ia.id),
                _ => None,
            })
            .collect();
        let mut want = vec![4000];
        want.extend((1000 - (MAX_IAS as u32 - 2)..1000).rev());
        want.push(5000);
        let mut got = ids.clone();
        got.sort_unstable_by(|a, b| b.cmp(a));
        want.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(got, want, "the first IAs of the message");
        let big = q.msg.opts().iter().find_map(|o| match o {
            DhcpOption::IANA(ia) if ia.id == 4000 => Some(ia.opts.iter().count()),
            _ => None,
        });
        assert_eq!(big, Some(MAX_IA_ENTRIES));
        // At the bounds nothing is cut and the bytes are decoded as they are.
        let mut b = vec![1, 0, 0, 9];
        put(&mut b, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        for i in 0..MAX_IAS as u32 {
            b.extend_from_slice(&ia(3, i, MAX_IA_ENTRIES as u16));
        }
        let q = parse(&b).unwrap();
        assert!(!q.cut.any());
        assert_eq!(q.msg.opts().iter().count(), 1 + MAX_IAS);
    }

    /// `levels` options of `code` nested in each other, each with a
    /// `header` of zeros before the next, as the only option of a Solicit.
    fn nested(code: u16, header: usize, levels: usize) -> Vec<u8> {
        let mut inner = Vec::new();
        for _ in 0..levels {
            let mut o = vec![0u8; header];
            if code == 9 {
                o[0] = 1; // a Solicit in the Relay Message
            }
            o.extend_from_slice(&inner);
            inner.clear();
            put(&mut inner, code, &o);
        }
        let mut m = vec![1, 0, 0, 9];
        put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        m.extend_from_slice(&inner);
        m
    }

    #[test]
    fn options_nested_past_the_depth_bound_are_malformed_and_never_overflow_the_stack() {
        // The deepest legitimate message nests 2; 8 levels pass, 9 do not.
        for (code, header) in [(3, 12), (4, 4), (5, 24), (25, 12), (26, 25), (9, 34)] {
            assert!(
                parse(&nested(code, header, MAX_OPTION_DEPTH)).is_ok(),
                "{code}"
            );
            assert!(
                matches!(
                    parse(&nested(code, header, MAX_OPTION_DEPTH + 1)),
                    Err(ParseError6::TooDeep { .. })
                ),
                "{code}"
            );
            // As deep as a 64 KiB datagram allows: an error, not a crash.
            let levels = 65_000 / (4 + header);
            let m = nested(code, header, levels);
            assert!(m.len() < 65_507);
            assert!(
                matches!(parse(&m), Err(ParseError6::TooDeep { .. })),
                "{code}"
            );
        }
        // Inside an IA, a Vendor-specific Information option is decoded, so
        // it is walked and bounded too.
        let mut ia = vec![0u8; 12];
        ia.extend_from_slice(&nested(17, 4, 8000)[18..]);
        let mut m = vec![1, 0, 0, 9];
        put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        put(&mut m, 3, &ia);
        assert!(matches!(parse(&m), Err(ParseError6::TooDeep { .. })));
    }

    #[test]
    fn the_messages_vendor_options_are_kept_byte_for_byte() {
        // CableLabs (4491) sub-options the DHCPv6 table would misread:
        // 7 (a string here, Preference there), 8 (an OUI, Elapsed Time there).
        let mut cl = 4491u32.to_be_bytes().to_vec();
        put(&mut cl, 7, b"2.3.1");
        put(&mut cl, 8, &[0, 0x10, 0x95, 0, 0, 1]);
        let mut m = vec![1, 0, 0, 9];
        put(&mut m, 1, &[0, 3, 0, 1, 2, 0, 0, 0, 0, 1]);
        put(&mut m, 17, &cl);
        put(&mut m, 8, &[0, 0]);
        let q = parse(&m).unwrap();
        match q.msg.opts().get(OptionCode::VendorOpts) {
            Some(DhcpOption::Unknown(u)) => assert_eq!(u.data(), &cl[..]),
            other => panic!("vendor option: {other:?}"),
        }
        assert_eq!(
            q.msg.opts().get(OptionCode::ElapsedTime),
            Some(&DhcpOption::ElapsedTime(0))
        );
        // However deep the vendor's own sub-options go: not decoded.
        let deep = nested(17, 4, 8000);
        let q = parse(&deep).unwrap();
        assert!(q.msg.opts().get(OptionCode::VendorOpts).is_some());
        // Shorter than its enterprise number: malformed.
        let mut m = vec![1, 0, 0, 9];
        put(&mut m, 17, &[0, 0]);
        assert!(parse(&m).is_err());
    }
}
