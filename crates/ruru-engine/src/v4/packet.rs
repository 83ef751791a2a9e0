//! Decoding a received DHCPv4 packet into the fields the engine uses.
//!
//! `dhcproto` decodes the message; before that, [`check_wire`] walks the raw
//! option area itself because `dhcproto` silently stops at a malformed option
//! and does not check the magic cookie: a truncated or garbled packet must be
//! dropped and counted, not half-processed. The walk also keeps the raw bytes
//! of option 82 so that it is echoed back byte for byte (RFC 3046 §2.2).

use std::net::Ipv4Addr;

use dhcproto::v4::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder};

/// Length of the fixed BOOTP header.
pub const HEADER_LEN: usize = 236;
/// RFC 2131 §3: the magic cookie 99.130.83.99.
pub const MAGIC: [u8; 4] = [99, 130, 83, 99];

/// Why a packet could not be parsed (counted as `pkt4-parse-failed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("truncated: {0} bytes")]
    Truncated(usize),
    #[error("bad magic cookie")]
    BadMagic,
    #[error("option {code} at offset {offset} overruns the packet")]
    BadOptionLength { code: u8, offset: usize },
    #[error("no message type option")]
    NoMessageType,
    #[error("hlen {0} is larger than chaddr")]
    BadHlen(u8),
    #[error("decode: {0}")]
    Decode(String),
}

/// The raw payloads of the options the engine reads itself.
#[derive(Debug, Default)]
struct Raw {
    /// Option 82 (echoed back byte for byte).
    opt82: Option<Vec<u8>>,
    /// Option 81 (its name may be partial or ASCII, which `dhcproto`
    /// cannot decode).
    opt81: Option<Vec<u8>>,
}

/// The raw option area of `buf` after the cookie: validated TLVs.
/// Returns the raw payload of option 82 if present.
pub fn check_wire(buf: &[u8]) -> Result<Option<Vec<u8>>, ParseError> {
    check_wire_present(buf).map(|(raw, _)| raw.opt82)
}

/// [`check_wire`], also returning which option codes the packet has (bit
/// `c` of the bit set: option `c`, in the option area or, when option 52
/// says so, in `file` or `sname`), noted on the way for the class tests.
fn check_wire_present(buf: &[u8]) -> Result<(Raw, [u64; 4]), ParseError> {
    if buf.len() < HEADER_LEN + 4 {
        return Err(ParseError::Truncated(buf.len()));
    }
    if buf[HEADER_LEN..HEADER_LEN + 4] != MAGIC {
        return Err(ParseError::BadMagic);
    }
    if buf[2] > 16 {
        return Err(ParseError::BadHlen(buf[2]));
    }
    let mut raw = Raw::default();
    let mut present = [0u64; 4];
    let overload = walk(buf, HEADER_LEN + 4, &mut raw, &mut present)?;
    // RFC 2132 §9.3: options may continue in `file` (1) and `sname` (2).
    if let Some(o) = overload {
        if o & 1 != 0 {
            walk(&buf[..FILE_END], FILE_START, &mut raw, &mut present)?;
        }
        if o & 2 != 0 {
            walk(&buf[..SNAME_END], SNAME_START, &mut raw, &mut present)?;
        }
    }
    Ok((raw, present))
}

/// `sname` and `file` field offsets in the BOOTP header.
const SNAME_START: usize = 44;
const SNAME_END: usize = 108;
const FILE_START: usize = 108;
const FILE_END: usize = 236;

/// Walks the TLVs of `buf[start..]`, checking each length; appends option 82
/// and 81 parts to `raw` and returns the value of option 52 when present.
fn walk(
    buf: &[u8],
    start: usize,
    raw: &mut Raw,
    present: &mut [u64; 4],
) -> Result<Option<u8>, ParseError> {
    let mut i = start;
    let mut overload = None;
    while i < buf.len() {
        let code = buf[i];
        match code {
            0 => {
                i += 1;
                continue;
            }
            255 => break,
            _ => {}
        }
        let Some(&len) = buf.get(i + 1) else {
            return Err(ParseError::BadOptionLength { code, offset: i });
        };
        let end = i + 2 + usize::from(len);
        if end > buf.len() || !length_ok(code, len) {
            return Err(ParseError::BadOptionLength { code, offset: i });
        }
        present[usize::from(code / 64)] |= 1 << (code % 64);
        match code {
            // RFC 3396: a split option is the concatenation of its parts.
            82 => raw
                .opt82
                .get_or_insert_with(Vec::new)
                .extend_from_slice(&buf[i + 2..end]),
            81 => raw
                .opt81
                .get_or_insert_with(Vec::new)
                .extend_from_slice(&buf[i + 2..end]),
            52 => overload = Some(buf[i + 2]),
            _ => {}
        }
        i = end;
    }
    Ok(overload)
}

/// Length rules for options whose content the engine reads, and for those
/// `dhcproto` decodes with fixed-size reads (it would otherwise stop decoding
/// silently, or assert in debug builds). A bad length makes the packet
/// malformed, as in Kea, which drops packets whose options do not unpack.
fn length_ok(code: u8, len: u8) -> bool {
    match code {
        // message type, overload
        53 | 52 => len == 1,
        // max message size
        57 => len == 2,
        // requested address, lease time, server id, subnet selection,
        // bulk lease query times
        50 | 51 | 54 | 118 | 152..=155 => len == 4,
        // client identifier needs at least a type octet
        61 => len >= 1,
        // rapid commit
        80 => len == 0,
        // client FQDN: flags and two rcodes
        81 => len >= 3,
        // client network interface identifier
        94 => len == 3,
        // bulk lease query status code
        151 => len >= 1,
        _ => true,
    }
}

/// A received DHCPv4 query with the fields the engine reads, decoded once.
#[derive(Debug, Clone)]
pub struct Query4 {
    pub msg: v4::Message,
    pub msg_type: MessageType,
    /// A BOOTP client's query (no DHCP message type; the built-in
    /// `libdhcp_bootp.so`): handled as a DHCPREQUEST, in class `BOOTP`.
    pub bootp: bool,
    /// chaddr truncated to hlen.
    pub hwaddr: Vec<u8>,
    pub htype: u8,
    /// Option 61 payload.
    pub client_id: Option<Vec<u8>>,
    /// Set when the built-in flex-id's `replace-client-id` replaced
    /// `client_id` (Kea's `pkt4_receive` callout): the client's own
    /// option 61, if it sent one, which the reply carries instead.
    pub original_client_id: Option<Option<Vec<u8>>>,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 55 codes.
    pub prl: Vec<u8>,
    /// Option 57, when present and sane.
    pub max_size: Option<u16>,
    /// Option 51 (a lease time hint).
    pub lease_time: Option<u32>,
    /// Option 12.
    pub hostname: Option<String>,
    /// Raw option 81 payload (client FQDN, RFC 4702): flags, RCODEs, name.
    pub fqdn: Option<Vec<u8>>,
    /// Raw option 82 payload (echoed back as is).
    pub relay_info: Option<Vec<u8>>,
    /// `relay_info` was not sent but recovered from the client's lease
    /// (`stash-agent-options`): not echoed in the reply.
    pub stashed: bool,
    /// Option 82 sub-option 1.
    pub circuit_id: Option<Vec<u8>>,
    /// Option 82 sub-option 5 (RFC 3527) or option 118 (RFC 3011).
    pub link_selection: Option<Ipv4Addr>,
    /// Option 118 (RFC 3011) alone: the selector when Kea's
    /// `compatibility.ignore-rai-link-selection` sets sub-option 5 aside.
    pub subnet_selection: Option<Ipv4Addr>,
    /// Bit `c` set: the packet has option `c` (in the option area, or in
    /// `file`/`sname` when overloaded).
    pub present: [u64; 4],
}

impl Query4 {
    pub fn xid(&self) -> u32 {
        self.msg.xid()
    }
    pub fn giaddr(&self) -> Ipv4Addr {
        self.msg.giaddr()
    }
    pub fn ciaddr(&self) -> Ipv4Addr {
        self.msg.ciaddr()
    }
    pub fn is_relayed(&self) -> bool {
        !self.giaddr().is_unspecified()
    }
    pub fn broadcast_flag(&self) -> bool {
        self.msg.flags().broadcast()
    }
}

/// Sub-options of a raw option 82 payload: (code, value) pairs.
pub fn relay_suboptions(raw: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 2 <= raw.len() {
        let code = raw[i];
        let len = usize::from(raw[i + 1]);
        let Some(v) = raw.get(i + 2..i + 2 + len) else {
            break;
        };
        out.push((code, v));
        i += 2 + len;
    }
    out
}

/// Parses `buf` into a [`Query4`]. BOOTREPLY and such are left to the caller
/// (the op code is in `msg`). A packet without a DHCP message type is
/// refused ([`ParseError::NoMessageType`]); see [`parse_with`] for BOOTP.
pub fn parse(buf: &[u8]) -> Result<Query4, ParseError> {
    parse_with(buf, false)
}

/// [`parse`], and with `bootp` (the built-in `libdhcp_bootp.so`) a
/// BOOTREQUEST without a DHCP message type (a BOOTP client with RFC 1497
/// vendor extensions: the magic cookie is still required, as in Kea) is
/// taken as a DHCPREQUEST with [`Query4::bootp`] set.
pub fn parse_with(buf: &[u8], bootp: bool) -> Result<Query4, ParseError> {
    let (raw, present) = check_wire_present(buf)?;
    let relay_info = raw.opt82;
    let mut msg = match v4::Message::decode(&mut Decoder::new(buf)) {
        Ok(m) => m,
        // A partial or ASCII-encoded name in option 81 (both valid, RFC
        // 4702 §2.3) fails dhcproto's decoding: decode without it; the
        // engine reads option 81 from the raw bytes.
        Err(_) if raw.opt81.is_some() => {
            v4::Message::decode(&mut Decoder::new(&without_option(buf, 81)))
                .map_err(|e| ParseError::Decode(e.to_string()))?
        }
        Err(e) => return Err(ParseError::Decode(e.to_string())),
    };
    merge_overloaded(buf, &mut msg);
    let opts = msg.opts();
    let (msg_type, is_bootp) = match opts.msg_type() {
        Some(t) => (t, false),
        None if bootp && msg.opcode() == v4::Opcode::BootRequest => (MessageType::Request, true),
        None => return Err(ParseError::NoMessageType),
    };
    let hlen = usize::from(msg.hlen()).min(16);
    let hwaddr = msg.chaddr().get(..hlen).unwrap_or_default().to_vec();
    let htype = u8::from(msg.htype());
    let client_id = match opts.get(OptionCode::ClientIdentifier) {
        Some(DhcpOption::ClientIdentifier(c)) if !c.is_empty() => Some(c.clone()),
        _ => None,
    };
    let requested_ip = match opts.get(OptionCode::RequestedIpAddress) {
        Some(DhcpOption::RequestedIpAddress(a)) => Some(*a),
        _ => None,
    };
    let server_id = match opts.get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(a)) => Some(*a),
        _ => None,
    };
    let prl = match opts.get(OptionCode::ParameterRequestList) {
        Some(DhcpOption::ParameterRequestList(v)) => v.iter().map(|c| u8::from(*c)).collect(),
        _ => Vec::new(),
    };
    let max_size = match opts.get(OptionCode::MaxMessageSize) {
        Some(DhcpOption::MaxMessageSize(n)) => Some(*n),
        _ => None,
    };
    let lease_time = match opts.get(OptionCode::AddressLeaseTime) {
        Some(DhcpOption::AddressLeaseTime(n)) => Some(*n),
        _ => None,
    };
    let hostname = match opts.get(OptionCode::Hostname) {
        Some(DhcpOption::Hostname(h)) => Some(h.clone()),
        _ => None,
    };
    let mut circuit_id = None;
    let subnet_selection = match opts.get(OptionCode::SubnetSelection) {
        Some(DhcpOption::SubnetSelection(a)) => Some(*a),
        _ => None,
    };
    let mut link_selection = subnet_selection;
    if let Some(raw) = &relay_info {
        for (code, v) in relay_suboptions(raw) {
            match code {
                1 => circuit_id = Some(v.to_vec()),
                5 if v.len() == 4 => {
                    link_selection = Some(Ipv4Addr::new(v[0], v[1], v[2], v[3]));
                }
                _ => {}
            }
        }
    }
    Ok(Query4 {
        msg_type,
        bootp: is_bootp,
        hwaddr,
        htype,
        client_id,
        original_client_id: None,
        requested_ip,
        server_id,
        prl,
        max_size,
        lease_time,
        hostname,
        fqdn: raw.opt81,
        relay_info,
        stashed: false,
        circuit_id,
        link_selection,
        subnet_selection,
        present,
        msg,
    })
}

/// A copy of `buf` (a query that parsed) whose option 82 is `rai`, put
/// last before the end option (an option 82 it had is turned into
/// padding); `None` when `rai` does not fit one option.
pub fn with_relay_info(buf: &[u8], rai: &[u8]) -> Option<Vec<u8>> {
    let len = u8::try_from(rai.len()).ok().filter(|l| *l > 0)?;
    let mut out = without_option(buf, 82);
    let mut i = HEADER_LEN + 4;
    while i < out.len() {
        match out[i] {
            0 => i += 1,
            255 => break,
            _ => i += 2 + usize::from(out.get(i + 1).copied().unwrap_or(0)),
        }
    }
    out.truncate(i.min(out.len()));
    out.extend_from_slice(&[82, len]);
    out.extend_from_slice(rai);
    out.push(255);
    Some(out)
}

/// A copy of `buf` (already checked by [`check_wire`]) with every
/// instance of option `code` in the option area turned into padding.
fn without_option(buf: &[u8], code: u8) -> Vec<u8> {
    let mut out = buf.to_vec();
    let mut i = HEADER_LEN + 4;
    while i < out.len() {
        match out[i] {
            0 => i += 1,
            255 => break,
            c => {
                let end =
                    (i + 2 + usize::from(out.get(i + 1).copied().unwrap_or(0))).min(out.len());
                if c == code {
                    out[i..end].fill(0);
                }
                i = end;
            }
        }
    }
    out
}

/// RFC 2132 §9.3: options carried in `file` and/or `sname` when option 52
/// says so. Read from the raw bytes (already length-checked by
/// [`check_wire`]): the decoded fields stop at the first NUL.
fn merge_overloaded(buf: &[u8], msg: &mut v4::Message) {
    let over = match msg.opts().get(OptionCode::OptionOverload) {
        Some(DhcpOption::OptionOverload(v)) => *v,
        _ => return,
    };
    let mut fields = Vec::new();
    if over & 1 != 0 {
        fields.push(&buf[FILE_START..FILE_END]);
    }
    if over & 2 != 0 {
        fields.push(&buf[SNAME_START..SNAME_END]);
    }
    for field in fields {
        if let Ok(opts) = v4::DhcpOptions::decode(&mut Decoder::new(field)) {
            for (_, o) in opts.iter() {
                if !msg.opts().contains(OptionCode::from(o)) {
                    msg.opts_mut().insert(o.clone());
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal DISCOVER built by hand (RFC 2131 §2 layout).
    pub fn discover_bytes(opts: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        b[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        b[28..34].copy_from_slice(&[0xaa, 0xbb, 0xcc, 0, 0, 1]);
        b.extend_from_slice(&MAGIC);
        b.extend_from_slice(&[53, 1, 1]);
        b.extend_from_slice(opts);
        b.push(255);
        b
    }

    #[test]
    fn rfc2131_minimal_discover_parses() {
        let q = parse(&discover_bytes(&[])).unwrap();
        assert_eq!(q.msg_type, MessageType::Discover);
        assert_eq!(q.hwaddr, vec![0xaa, 0xbb, 0xcc, 0, 0, 1]);
        assert_eq!(q.xid(), 0x1234_5678);
    }

    #[test]
    fn truncated_and_bad_magic_are_errors() {
        let b = discover_bytes(&[]);
        assert!(matches!(parse(&b[..100]), Err(ParseError::Truncated(100))));
        let mut bad = b.clone();
        bad[HEADER_LEN] = 0;
        assert_eq!(parse(&bad).unwrap_err(), ParseError::BadMagic);
    }

    #[test]
    fn option_overrunning_packet_is_error() {
        let mut b = discover_bytes(&[]);
        b.pop();
        b.extend_from_slice(&[12, 50, b'x']);
        assert!(matches!(
            parse(&b),
            Err(ParseError::BadOptionLength { code: 12, .. })
        ));
    }

    #[test]
    fn fixed_length_options_with_wrong_length_are_errors() {
        // RFC 2132 §9.2: option 51 is 4 octets; §9.6: option 53 is 1.
        let b = discover_bytes(&[51, 2, 0, 1]);
        assert!(matches!(
            parse(&b),
            Err(ParseError::BadOptionLength { code: 51, .. })
        ));
        // RFC 4702 §2: option 81 has at least flags and two rcodes.
        let b = discover_bytes(&[81, 1, 0]);
        assert!(matches!(
            parse(&b),
            Err(ParseError::BadOptionLength { code: 81, .. })
        ));
    }

    #[test]
    fn missing_message_type_is_error() {
        let mut b = discover_bytes(&[]);
        // replace option 53 by pads
        b[HEADER_LEN + 4..HEADER_LEN + 7].copy_from_slice(&[0, 0, 0]);
        assert_eq!(parse(&b).unwrap_err(), ParseError::NoMessageType);
    }

    #[test]
    fn rfc3046_relay_info_kept_raw_and_circuit_id_read() {
        let b = discover_bytes(&[82, 8, 1, 3, b'e', b't', b'h', 2, 1, 9]);
        let q = parse(&b).unwrap();
        assert_eq!(
            q.relay_info.as_deref(),
            Some(&[1, 3, b'e', b't', b'h', 2, 1, 9][..])
        );
        assert_eq!(q.circuit_id.as_deref(), Some(&b"eth"[..]));
    }

    #[test]
    fn rfc2132_9_3_overloaded_file_field_is_read() {
        let mut b = discover_bytes(&[52, 1, 1]);
        // option 12 "pc" inside the file field (offset 108)
        b[108..113].copy_from_slice(&[12, 2, b'p', b'c', 255]);
        let q = parse(&b).unwrap();
        assert_eq!(q.hostname.as_deref(), Some("pc"));
    }
}
