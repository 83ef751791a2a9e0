//! Building, encoding and addressing a DHCPv4 reply.
//!
//! The fixed header and the option area are written here (the option area
//! from `(code, bytes)` pairs) because the reply must respect the client's
//! maximum message size (option 57) and fall back to option overload
//! (RFC 2132 §9.3) into `file` and `sname`, which `dhcproto`'s encoder does not
//! do. Long options are split per RFC 3396. Option 82 goes last (RFC 3046 §2.1).

use std::net::Ipv4Addr;

use super::packet::{Query4, HEADER_LEN, MAGIC};

/// RFC 2131 §2: every client accepts a 576-octet IP datagram.
pub const MIN_MAX_SIZE: u16 = 576;
/// IPv4 + UDP header bytes counted in option 57.
const IP_UDP: usize = 28;

/// A reply under construction.
#[derive(Debug, Clone)]
pub struct Draft {
    pub msg_type: u8,
    pub yiaddr: Ipv4Addr,
    pub siaddr: Ipv4Addr,
    pub sname: Vec<u8>,
    pub file: Vec<u8>,
    /// Options in emission order (53 and 54 first, 82 last are handled by encode).
    pub options: Vec<(u8, Vec<u8>)>,
    pub broadcast: bool,
}

impl Draft {
    pub fn new(msg_type: u8) -> Self {
        Draft {
            msg_type,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            sname: Vec::new(),
            file: Vec::new(),
            // Room for a reply's usual options without regrowing.
            options: Vec::with_capacity(16),
            broadcast: false,
        }
    }

    pub fn has(&self, code: u8) -> bool {
        self.options.iter().any(|(c, _)| *c == code)
    }

    /// Adds an option unless one with the same code is present (first wins,
    /// so callers add in precedence order).
    pub fn add(&mut self, code: u8, data: Vec<u8>) {
        if !self.has(code) {
            self.options.push((code, data));
        }
    }
}

/// Writes one option, split into 255-byte parts (RFC 3396).
fn put_option(out: &mut Vec<u8>, code: u8, data: &[u8]) {
    if data.is_empty() {
        out.extend_from_slice(&[code, 0]);
        return;
    }
    for chunk in data.chunks(255) {
        out.push(code);
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
}

fn option_len(data: &[u8]) -> usize {
    if data.is_empty() {
        2
    } else {
        data.len() + 2 * data.len().div_ceil(255)
    }
}

/// Encodes the reply to `q`. Options that fit nowhere (after overload) are
/// left out, lowest priority (last added) first; the returned list names them.
pub fn encode(q: &Query4, d: &Draft, relay_info: Option<&[u8]>) -> (Vec<u8>, Vec<u8>) {
    let max_size = usize::from(q.max_size.unwrap_or(MIN_MAX_SIZE).max(MIN_MAX_SIZE));
    let budget = max_size - IP_UDP - HEADER_LEN - MAGIC.len();
    // The relay's option 82 wins over a configured one (Kea copies the
    // query's into the reply first).
    let skipped = |c: u8| c == 82 && relay_info.is_some();
    let tail_len = relay_info.map_or(0, option_len) + 1;

    // The usual case: everything fits. Written without sorting the
    // options into lists (this is every reply's path).
    let all = tail_len
        + d.options
            .iter()
            .filter(|(c, _)| !skipped(*c))
            .map(|(_, v)| option_len(v))
            .sum::<usize>();
    if all <= budget {
        let mut out = Vec::with_capacity((HEADER_LEN + MAGIC.len() + all).max(300));
        if !header(q, d, &d.sname, &d.file).write(&mut out) {
            return (Vec::new(), Vec::new());
        }
        out.extend_from_slice(&MAGIC);
        for code in [53, 54] {
            for (c, v) in d.options.iter().filter(|(c, _)| *c == code) {
                put_option(&mut out, *c, v);
            }
        }
        for (c, v) in &d.options {
            if !matches!(*c, 53 | 54) && !skipped(*c) {
                put_option(&mut out, *c, v);
            }
        }
        if let Some(ri) = relay_info {
            put_option(&mut out, 82, ri);
        }
        out.push(255);
        if out.len() < 300 {
            out.resize(300, 0);
        }
        return (out, Vec::new());
    }

    // Mandatory head (53, 54) and tail (82, end).
    let mut head: Vec<(u8, &[u8])> = Vec::new();
    let mut rest: Vec<(u8, &[u8])> = Vec::new();
    for (c, v) in &d.options {
        if skipped(*c) {
            continue;
        }
        if *c == 53 || *c == 54 {
            head.push((*c, v));
        } else {
            rest.push((*c, v));
        }
    }
    head.sort_by_key(|(c, _)| *c);
    let fixed = head.iter().map(|(_, v)| option_len(v)).sum::<usize>() + tail_len;

    // When not everything fits, 3 octets of the option area go to option 52.
    let all = fixed + rest.iter().map(|(_, v)| option_len(v)).sum::<usize>();
    let room = if all <= budget {
        budget
    } else {
        budget.saturating_sub(3)
    };
    let mut main: Vec<(u8, &[u8])> = head;
    let mut overflow: Vec<(u8, &[u8])> = Vec::new();
    let mut used = fixed;
    for (c, v) in rest {
        let l = option_len(v);
        if used + l <= room {
            used += l;
            main.push((c, v));
        } else {
            overflow.push((c, v));
        }
    }

    // Option overload: file (128) then sname (64), when they are free.
    let mut file_opts: Vec<u8> = Vec::new();
    let mut sname_opts: Vec<u8> = Vec::new();
    let mut dropped = Vec::new();
    let mut overload = 0u8;
    if !overflow.is_empty() && used + 3 <= budget && (d.file.is_empty() || d.sname.is_empty()) {
        for (c, v) in overflow {
            let l = option_len(v);
            if d.file.is_empty() && file_opts.len() + l < 128 {
                put_option(&mut file_opts, c, v);
                overload |= 1;
            } else if d.sname.is_empty() && sname_opts.len() + l < 64 {
                put_option(&mut sname_opts, c, v);
                overload |= 2;
            } else {
                dropped.push(c);
            }
        }
    } else {
        dropped.extend(overflow.iter().map(|(c, _)| *c));
    }

    if overload & 1 != 0 {
        file_opts.push(255);
    }
    if overload & 2 != 0 {
        sname_opts.push(255);
    }
    let file: &[u8] = if overload & 1 != 0 {
        &file_opts
    } else {
        &d.file
    };
    let sname: &[u8] = if overload & 2 != 0 {
        &sname_opts
    } else {
        &d.sname
    };
    let mut out = Vec::with_capacity(max_size);
    if !header(q, d, sname, file).write(&mut out) {
        return (Vec::new(), dropped);
    }
    out.extend_from_slice(&MAGIC);
    for (c, v) in &main {
        // A configured option 52 gives way to the overload done here.
        if *c == 52 && overload != 0 {
            continue;
        }
        put_option(&mut out, *c, v);
    }
    if overload != 0 {
        put_option(&mut out, 52, &[overload]);
    }
    if let Some(ri) = relay_info {
        put_option(&mut out, 82, ri);
    }
    out.push(255);
    // BOOTP minimum: pad to 300 octets as most servers (and Kea) do.
    if out.len() < 300 {
        out.resize(300, 0);
    }
    (out, dropped)
}

/// The header of the reply `d` to `q`, with these `sname` and `file`.
fn header<'a>(q: &'a Query4, d: &Draft, sname: &'a [u8], file: &'a [u8]) -> Header<'a> {
    let mut flags = q.msg.flags();
    if d.broadcast {
        flags = flags.set_broadcast();
    }
    Header {
        htype: u8::from(q.msg.htype()),
        chaddr: q.msg.chaddr(),
        hops: q.msg.hops(),
        xid: q.xid(),
        flags: u16::from(flags),
        ciaddr: if d.msg_type == 6 {
            Ipv4Addr::UNSPECIFIED
        } else {
            q.ciaddr()
        },
        yiaddr: d.yiaddr,
        siaddr: d.siaddr,
        giaddr: q.giaddr(),
        sname,
        file,
    }
}

/// The fixed BOOTP header of a reply (RFC 2131 §2), `op` BOOTREPLY.
struct Header<'a> {
    htype: u8,
    /// At most 16 octets are written (`hlen` says how many).
    chaddr: &'a [u8],
    hops: u8,
    xid: u32,
    flags: u16,
    ciaddr: Ipv4Addr,
    yiaddr: Ipv4Addr,
    siaddr: Ipv4Addr,
    giaddr: Ipv4Addr,
    sname: &'a [u8],
    file: &'a [u8],
}

impl Header<'_> {
    /// Appends the 236 octets to `out`; `false` (nothing written) when
    /// `sname` or `file` does not fit its field. Written here rather than
    /// by `dhcproto` (which pads `sname` and `file` a byte at a time): this
    /// is on every reply's path.
    fn write(&self, out: &mut Vec<u8>) -> bool {
        if self.sname.len() > 64 || self.file.len() > 128 {
            return false;
        }
        let hlen = self.chaddr.len().min(16);
        let start = out.len();
        out.extend_from_slice(&[2, self.htype, hlen as u8, self.hops]);
        out.extend_from_slice(&self.xid.to_be_bytes());
        out.extend_from_slice(&[0, 0]); // secs
        out.extend_from_slice(&self.flags.to_be_bytes());
        for a in [self.ciaddr, self.yiaddr, self.siaddr, self.giaddr] {
            out.extend_from_slice(&a.octets());
        }
        out.extend_from_slice(&self.chaddr[..hlen]);
        out.resize(start + 44, 0);
        out.extend_from_slice(self.sname);
        out.resize(start + 108, 0);
        out.extend_from_slice(self.file);
        out.resize(start + HEADER_LEN, 0);
        true
    }
}

/// The options only DHCP has (RFC 2132 §9, the codes Kea calls
/// `DHO_DHCP_*`): requested address, lease time, overload, message type,
/// server identifier, parameter request list, message, maximum size, T1,
/// T2 and client identifier.
const DHCP_ONLY_OPTIONS: [u8; 11] = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61];

/// The reply to a BOOTP client: `d` without the options only DHCP has
/// (what Kea's `libdhcp_bootp.so` removes at `pkt4_send`); the encoding
/// pads it to BOOTP's 300 octets.
pub fn without_dhcp_options(d: &Draft) -> Draft {
    let mut out = d.clone();
    out.options.retain(|(c, _)| !DHCP_ONLY_OPTIONS.contains(c));
    out
}

/// Where a reply goes (RFC 2131 §4.1, with Kea's choices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub addr: Ipv4Addr,
    pub port: u16,
    /// The reply is addressed to a client without an address; a raw socket
    /// would send it to `chaddr` at link level. A UDP socket sends to `addr`.
    pub link_unicast: bool,
    /// The reply leaves by the interface the routing table chooses
    /// (`outbound-interface` `use-routing`, UDP sockets, relayed query),
    /// not necessarily by the one the query came in on.
    pub routed: bool,
    /// A raw socket delivers the reply at the link layer to this hardware
    /// address (the query's source, for a reply to `ciaddr` of a query
    /// that was not relayed), as Kea does, so a client that does not (yet)
    /// answer ARP gets it; a UDP socket sends to `addr`.
    pub link_mac: Option<[u8; 6]>,
}

/// RFC 2131 §4.1 reply destination.
pub fn destination(q: &Query4, d: &Draft, client_port: u16) -> Destination {
    let relayed = q.is_relayed();
    let inform = d.msg_type == 5 && q.msg_type == dhcproto::v4::MessageType::Inform;
    let ciaddr = q.ciaddr();
    if relayed && (!inform || ciaddr.is_unspecified()) {
        // To the relay agent, at the server port.
        return Destination {
            addr: q.giaddr(),
            port: 67,
            link_unicast: false,
            routed: false,
            link_mac: None,
        };
    }
    if !ciaddr.is_unspecified() && d.msg_type != 6 {
        return Destination {
            addr: ciaddr,
            port: client_port,
            link_unicast: false,
            routed: false,
            link_mac: None,
        };
    }
    if d.msg_type == 6 || q.broadcast_flag() || d.yiaddr.is_unspecified() {
        return Destination {
            addr: Ipv4Addr::BROADCAST,
            port: client_port,
            link_unicast: false,
            routed: false,
            link_mac: None,
        };
    }
    Destination {
        addr: d.yiaddr,
        port: client_port,
        link_unicast: true,
        routed: false,
        link_mac: None,
    }
}

/// T1/T2 for a lease of `valid` seconds: configured timers win; otherwise
/// computed from the percentages when `calculate-tee-times` is on. A timer
/// that is not below the next one is not sent (Kea).
pub fn tee_times(s: &ruru_config::Subnet4, valid: u32) -> (Option<u32>, Option<u32>) {
    let pct = |p: f64| (f64::from(valid) * p) as u32;
    let t2 = s
        .rebind_timer
        .or_else(|| s.calculate_tee_times.then(|| pct(s.t2_percent)))
        .filter(|t| *t < valid);
    let t1 = s
        .renew_timer
        .or_else(|| s.calculate_tee_times.then(|| pct(s.t1_percent)))
        .filter(|t| *t < t2.unwrap_or(valid));
    (t1, t2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcproto::v4::{Flags, Message, Opcode};
    use dhcproto::{Encodable, Encoder};

    /// The header written here is byte for byte what `dhcproto` encodes
    /// for the same fields (it did the encoding before).
    #[test]
    fn header_matches_dhcproto() {
        let chaddrs: [&[u8]; 3] = [&[0, 0x0c, 1, 2, 3, 4], &[7; 16], &[]];
        for (i, chaddr) in chaddrs.into_iter().enumerate() {
            let sname: &[u8] = if i == 0 { b"srv.example.org" } else { b"" };
            let file: &[u8] = if i == 1 { &[b'f'; 128] } else { b"/boot/pxe" };
            let h = Header {
                htype: 1,
                chaddr,
                hops: 3,
                xid: 0xdead_beef,
                flags: 0x8000,
                ciaddr: Ipv4Addr::new(192, 0, 2, 7),
                yiaddr: Ipv4Addr::new(192, 0, 2, 8),
                siaddr: Ipv4Addr::new(192, 0, 2, 9),
                giaddr: Ipv4Addr::new(198, 51, 100, 1),
                sname,
                file,
            };
            let mut ours = vec![0xaa];
            assert!(h.write(&mut ours));
            let mut m = Message::default();
            m.set_opcode(Opcode::BootReply)
                .set_htype(1.into())
                .set_hops(3)
                .set_xid(0xdead_beef)
                .set_secs(0)
                .set_flags(Flags::new(0x8000))
                .set_ciaddr(h.ciaddr)
                .set_yiaddr(h.yiaddr)
                .set_siaddr(h.siaddr)
                .set_giaddr(h.giaddr)
                .set_chaddr(chaddr);
            if sname.is_empty() {
                m.clear_sname();
            } else {
                m.set_sname(sname);
            }
            m.set_fname(file);
            let mut theirs = Vec::new();
            m.encode(&mut Encoder::new(&mut theirs)).unwrap();
            assert_eq!(&ours[1..], &theirs[..HEADER_LEN], "case {i}");
            assert_eq!(ours[0], 0xaa, "appended");
        }
    }

    #[test]
    fn header_refuses_oversized_fields() {
        let h = Header {
            htype: 1,
            chaddr: &[1; 6],
            hops: 0,
            xid: 1,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            sname: &[b's'; 65],
            file: b"",
        };
        let mut out = Vec::new();
        assert!(!h.write(&mut out));
        assert!(out.is_empty());
    }
}
