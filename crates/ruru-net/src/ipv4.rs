//! IPv4 + UDP headers for the raw socket path (RFC 791, RFC 768).
//!
//! Packet sockets of type SOCK_DGRAM hand us IP datagrams and take IP
//! datagrams (the kernel adds the link header), so this module parses the IP
//! and UDP headers of received frames and builds them for replies.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;

/// A UDP datagram inside an IPv4 packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpInIp {
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    /// Where the UDP payload is in the packet.
    pub payload: Range<usize>,
}

fn be16(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Parses an IPv4 packet carrying an unfragmented UDP datagram.
/// Anything else (other protocols, fragments, bad lengths) is `None`.
pub fn parse(pkt: &[u8]) -> Option<UdpInIp> {
    let first = *pkt.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    let total = usize::from(be16(pkt, 2)?);
    if ihl < 20 || total < ihl + 8 || total > pkt.len() || *pkt.get(9)? != 17 {
        return None;
    }
    // More-fragments flag or a fragment offset: not a whole datagram.
    if be16(pkt, 6)? & 0x3fff != 0 {
        return None;
    }
    let src_ip = Ipv4Addr::new(pkt[12], pkt[13], pkt[14], pkt[15]);
    let dst_ip = Ipv4Addr::new(pkt[16], pkt[17], pkt[18], pkt[19]);
    let sport = be16(pkt, ihl)?;
    let dport = be16(pkt, ihl + 2)?;
    let ulen = usize::from(be16(pkt, ihl + 4)?);
    if ulen < 8 || ihl + ulen > total {
        return None;
    }
    Some(UdpInIp {
        src: SocketAddrV4::new(src_ip, sport),
        dst: SocketAddrV4::new(dst_ip, dport),
        payload: ihl + 8..ihl + ulen,
    })
}

/// RFC 1071 ones' complement sum, folded.
fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        let mut chunks = part.chunks_exact(2);
        for c in &mut chunks {
            sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
        }
        if let [last] = chunks.remainder() {
            sum += u32::from(*last) << 8;
        }
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Builds an IPv4 packet with a UDP datagram around `payload`.
/// Returns None if the payload does not fit in one datagram.
pub fn build(src: SocketAddrV4, dst: SocketAddrV4, payload: &[u8]) -> Option<Vec<u8>> {
    let ulen = u16::try_from(payload.len() + 8).ok()?;
    let total = u16::try_from(payload.len() + 28).ok()?;
    let mut p = Vec::with_capacity(usize::from(total));
    // IP header: version 4, IHL 5, TOS low-delay (as Kea), no fragmentation.
    p.extend_from_slice(&[0x45, 0x10]);
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0]); // id 0, DF
    p.extend_from_slice(&[64, 17, 0, 0]); // TTL 64, UDP, checksum below
    p.extend_from_slice(&src.ip().octets());
    p.extend_from_slice(&dst.ip().octets());
    let ip_sum = checksum(&[&p[..20]]);
    p[10..12].copy_from_slice(&ip_sum.to_be_bytes());
    // UDP header.
    let mut udp = Vec::with_capacity(8);
    udp.extend_from_slice(&src.port().to_be_bytes());
    udp.extend_from_slice(&dst.port().to_be_bytes());
    udp.extend_from_slice(&ulen.to_be_bytes());
    udp.extend_from_slice(&[0, 0]);
    let pseudo = [
        &src.ip().octets()[..],
        &dst.ip().octets()[..],
        &[0, 17],
        &ulen.to_be_bytes()[..],
    ]
    .concat();
    let mut sum = checksum(&[&pseudo, &udp, payload]);
    if sum == 0 {
        sum = 0xffff;
    }
    udp[6..8].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&udp);
    p.extend_from_slice(payload);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_then_parse_round_trip() {
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 67);
        let dst = SocketAddrV4::new(Ipv4Addr::BROADCAST, 68);
        let p = build(src, dst, b"hello dhcp").unwrap();
        assert_eq!(p.len(), 38);
        // RFC 1071: a header with its checksum sums to zero.
        assert_eq!(checksum(&[&p[..20]]), 0);
        let u = parse(&p).unwrap();
        assert_eq!((u.src, u.dst), (src, dst));
        assert_eq!(&p[u.payload], b"hello dhcp");
    }

    #[test]
    fn rfc768_udp_checksum_verifies() {
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 67);
        let dst = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 100), 68);
        let p = build(src, dst, b"odd").unwrap();
        let pseudo = [&p[12..20], &[0, 17][..], &p[24..26]].concat();
        assert_eq!(checksum(&[&pseudo, &p[20..]]), 0);
    }

    #[test]
    fn rejects_fragments_other_protocols_and_bad_lengths() {
        let src = SocketAddrV4::new(Ipv4Addr::new(192, 0, 2, 1), 67);
        let p = build(src, src, b"x").unwrap();
        let mut frag = p.clone();
        frag[6] |= 0x20; // more fragments
        assert!(parse(&frag).is_none());
        let mut tcp = p.clone();
        tcp[9] = 6;
        assert!(parse(&tcp).is_none());
        assert!(parse(&p[..25]).is_none());
        let mut long_udp = p.clone();
        long_udp[24..26].copy_from_slice(&100u16.to_be_bytes());
        assert!(parse(&long_udp).is_none());
        assert!(parse(&[]).is_none());
    }
}
