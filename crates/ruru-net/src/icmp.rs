//! ICMP echo for the built-in ping check (Kea's `libdhcp_ping_check.so`):
//! a raw ICMPv4 socket (it needs `CAP_NET_RAW`, as Kea's does), ECHO
//! REQUESTs built here, and what is received read back as what the check
//! needs: an ECHO REPLY and its source, or a DESTINATION UNREACHABLE and
//! the address the request it quotes was sent to.
//!
//! A raw ICMP socket receives every ICMP message the host gets, with its
//! IPv4 header; [`parse`] never panics on what arrives.

use std::io::{self, Read};
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};

/// ICMP message types the check looks at (RFC 792).
const ECHO_REPLY: u8 = 0;
const DEST_UNREACHABLE: u8 = 3;
const ECHO_REQUEST: u8 = 8;

/// Bytes of an ECHO REQUEST: the 8-byte header and 20 bytes of zero
/// data (the size of BSD's `struct icmp`, which Kea sends).
pub const ECHO_LEN: usize = 28;

/// A raw ICMPv4 socket.
#[derive(Debug)]
pub struct IcmpSocket {
    sock: Socket,
}

/// What a received ICMP message means to a ping check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmp {
    /// An ECHO REPLY from `from`.
    EchoReply { from: Ipv4Addr, id: u16, seq: u16 },
    /// A DESTINATION UNREACHABLE quoting an ECHO REQUEST to `target`.
    Unreachable { target: Ipv4Addr, id: u16, seq: u16 },
}

/// Opens a raw ICMPv4 socket (`CAP_NET_RAW` needed).
pub fn open() -> io::Result<IcmpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4))?;
    Ok(IcmpSocket { sock })
}

impl IcmpSocket {
    /// Sends an ECHO REQUEST with identifier `id` and sequence number
    /// `seq` to `to`.
    pub fn send_echo(&self, to: Ipv4Addr, id: u16, seq: u16) -> io::Result<()> {
        let msg = echo_request(id, seq);
        let dest = SockAddr::from(SocketAddrV4::new(to, 0));
        self.sock.send_to(&msg, &dest).map(|_| ())
    }

    /// Receives one message (IPv4 header included) into `buf`, waiting at
    /// most `wait` (at least a millisecond): its length, or `None` when
    /// nothing came.
    pub fn recv(&self, buf: &mut [u8], wait: Duration) -> io::Result<Option<usize>> {
        self.sock
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match (&self.sock).read(buf) {
            Ok(n) => Ok(Some(n)),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// An ECHO REQUEST (RFC 792) with its checksum.
pub fn echo_request(id: u16, seq: u16) -> [u8; ECHO_LEN] {
    let mut m = [0u8; ECHO_LEN];
    m[0] = ECHO_REQUEST;
    m[4..6].copy_from_slice(&id.to_be_bytes());
    m[6..8].copy_from_slice(&seq.to_be_bytes());
    let sum = checksum(&m);
    m[2..4].copy_from_slice(&sum.to_be_bytes());
    m
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The IPv4 packet `p` (header first, as a raw socket reads it) as an
/// ICMP message the check cares about; `None` for anything else or
/// anything truncated.
pub fn parse(p: &[u8]) -> Option<Icmp> {
    let (src, _, icmp) = ipv4_icmp(p)?;
    let id_seq = |m: &[u8]| {
        Some((
            u16::from_be_bytes([*m.get(4)?, *m.get(5)?]),
            u16::from_be_bytes([*m.get(6)?, *m.get(7)?]),
        ))
    };
    match *icmp.first()? {
        ECHO_REPLY => {
            let (id, seq) = id_seq(icmp)?;
            Some(Icmp::EchoReply { from: src, id, seq })
        }
        DEST_UNREACHABLE => {
            // The quoted datagram: the request's IPv4 header and at
            // least the first 8 bytes of its ICMP message (RFC 792).
            let (_, target, quoted) = ipv4_icmp(icmp.get(8..)?)?;
            if *quoted.first()? != ECHO_REQUEST {
                return None;
            }
            let (id, seq) = id_seq(quoted)?;
            Some(Icmp::Unreachable { target, id, seq })
        }
        _ => None,
    }
}

/// An IPv4 packet carrying ICMP: its source, destination and payload.
fn ipv4_icmp(p: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, &[u8])> {
    let first = *p.first()?;
    let ihl = usize::from(first & 0x0f) * 4;
    if first >> 4 != 4 || ihl < 20 || *p.get(9)? != 1 {
        return None;
    }
    let addr = |at: usize| -> Option<Ipv4Addr> {
        let b: [u8; 4] = p.get(at..at + 4)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    };
    Some((addr(12)?, addr(16)?, p.get(ihl..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header (20 bytes, protocol ICMP) from `src` to `dst`.
    fn ip(src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 1, 0, 0];
        h.extend_from_slice(&src);
        h.extend_from_slice(&dst);
        h.extend_from_slice(payload);
        h
    }

    #[test]
    fn rfc792_echo_request_has_a_valid_checksum() {
        let m = echo_request(0x1234, 7);
        assert_eq!(m[0], 8);
        assert_eq!(&m[4..8], &[0x12, 0x34, 0, 7]);
        // A message with its checksum sums to zero (RFC 1071).
        assert_eq!(checksum(&m), 0);
        assert_eq!(checksum(&[0x00, 0x01, 0xf2]), !(0x0001u16 + 0xf200));
    }

    #[test]
    fn echo_replies_and_unreachables_are_read_back() {
        let mut reply = echo_request(0x1234, 7);
        reply[0] = ECHO_REPLY;
        let p = ip([192, 0, 2, 9], [192, 0, 2, 1], &reply);
        assert_eq!(
            parse(&p),
            Some(Icmp::EchoReply {
                from: Ipv4Addr::new(192, 0, 2, 9),
                id: 0x1234,
                seq: 7
            })
        );
        // Host unreachable from a router, quoting our request to .9.
        let quoted = ip([192, 0, 2, 1], [192, 0, 2, 9], &echo_request(0x1234, 8));
        let mut icmp = vec![DEST_UNREACHABLE, 1, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&quoted[..28]);
        let p = ip([192, 0, 2, 254], [192, 0, 2, 1], &icmp);
        assert_eq!(
            parse(&p),
            Some(Icmp::Unreachable {
                target: Ipv4Addr::new(192, 0, 2, 9),
                id: 0x1234,
                seq: 8
            })
        );
    }

    #[test]
    fn anything_else_or_truncated_is_none() {
        // Our own request looped back, an unreachable quoting UDP,
        // truncations at every length.
        let p = ip([192, 0, 2, 1], [192, 0, 2, 9], &echo_request(1, 1));
        assert_eq!(parse(&p), None);
        let mut udp = ip([192, 0, 2, 1], [192, 0, 2, 9], &[0; 8]);
        udp[9] = 17;
        let mut icmp = vec![DEST_UNREACHABLE, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&udp);
        let p = ip([192, 0, 2, 9], [192, 0, 2, 1], &icmp);
        assert_eq!(parse(&p), None);
        let mut reply = echo_request(1, 1);
        reply[0] = ECHO_REPLY;
        let p = ip([192, 0, 2, 9], [192, 0, 2, 1], &reply);
        for n in 0..28 {
            assert_eq!(parse(&p[..n]), None, "{n} bytes");
        }
    }
}
