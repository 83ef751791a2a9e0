//! Kea's `raw` socket type on Linux: an AF_PACKET socket per interface.
//!
//! Receiving: a SOCK_DGRAM packet socket for IPv4, bound to the interface,
//! with a classic BPF filter that keeps only unfragmented UDP to the server
//! port, so clients without an address (broadcasting from 0.0.0.0) are
//! heard. Frames we sent ourselves (PACKET_OUTGOING) are ignored.
//!
//! Sending: replies that must reach a client without an address (RFC 2131
//! §4.1: yiaddr at the client's hardware address, or broadcast) are built as
//! IP/UDP packets and sent through the packet socket to the client's MAC or
//! to ff:ff:ff:ff:ff:ff. So are replies to a client's `ciaddr` (a query
//! that was not relayed), to the source MAC of the query's frame, as Kea
//! builds them: no ARP resolution of the client first. Replies to relays
//! go through an ordinary UDP socket bound to the interface address, which
//! also keeps the kernel from answering clients' unicasts with ICMP port
//! unreachable. That socket is never read.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{
    self, AddressFamily, LinkAddr, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrLike,
};
use socket2::{SockFilter, Socket};

use crate::{ipv4, quiet, NetError, Received, SendTo};

/// A raw DHCPv4 socket on one interface.
#[derive(Debug)]
pub struct RawSocket4 {
    packet: Arc<Socket>,
    udp: Arc<Socket>,
    ifindex: u32,
    port: u16,
    pub iface: String,
    /// The interface address used as server identifier and reply source.
    pub local: Ipv4Addr,
}

/// `sockaddr_ll` for interface `ifindex`, protocol IPv4, link address `mac`.
fn link_addr(ifindex: u32, mac: Option<[u8; 6]>) -> Option<LinkAddr> {
    let mut ll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: (libc::ETH_P_IP as u16).to_be(),
        sll_ifindex: i32::try_from(ifindex).ok()?,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    if let Some(m) = mac {
        ll.sll_halen = 6;
        ll.sll_addr[..6].copy_from_slice(&m);
    }
    let len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
    #[allow(unsafe_code)]
    // SAFETY: `ll` is a fully initialised sockaddr_ll that lives for the
    // call; `len` is its exact size; `from_raw` copies it into a LinkAddr
    // after checking the family.
    unsafe {
        LinkAddr::from_raw((&raw const ll).cast::<libc::sockaddr>(), Some(len))
    }
}

/// Classic BPF for a SOCK_DGRAM packet socket (offsets from the IP header):
/// accept unfragmented UDP whose destination port is `port`.
fn filter(port: u16) -> [SockFilter; 9] {
    [
        SockFilter::new(0x30, 0, 0, 9),      // ldb [9]         protocol
        SockFilter::new(0x15, 0, 6, 17),     // jeq #17 else drop
        SockFilter::new(0x28, 0, 0, 6),      // ldh [6]         flags+offset
        SockFilter::new(0x45, 4, 0, 0x1fff), // jset #0x1fff → drop
        SockFilter::new(0xb1, 0, 0, 0),      // ldxb 4*([0]&0xf) IP header length
        SockFilter::new(0x48, 0, 0, 2),      // ldh [x+2]       UDP dst port
        SockFilter::new(0x15, 0, 1, u32::from(port)), // jeq #port else drop
        SockFilter::new(0x06, 0, 0, 0x0004_0000), // ret accept
        SockFilter::new(0x06, 0, 0, 0),      // ret drop
    ]
}

/// Opens the packet socket and the unicast UDP socket on `iface`.
pub fn open(
    iface: &str,
    local: Ipv4Addr,
    port: u16,
    poll: Duration,
) -> Result<RawSocket4, NetError> {
    let ifindex = crate::iface::index(iface)?;
    let fd: OwnedFd = socket::socket(
        AddressFamily::Packet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::EthIp,
    )
    .map_err(|e| NetError::socket("raw socket", iface, io::Error::from(e)))?;
    let packet = Socket::from(fd);
    packet
        .attach_filter(&filter(port))
        .and_then(|_| packet.set_read_timeout(Some(poll)))
        .map_err(|e| NetError::socket("raw socket option", iface, e))?;
    crate::deep_receive_buffer(&packet, iface);
    let addr =
        link_addr(ifindex, None).ok_or_else(|| NetError::NoSuchInterface(iface.to_string()))?;
    socket::bind(packet.as_raw_fd(), &addr)
        .map_err(|e| NetError::socket("raw bind", iface, io::Error::from(e)))?;

    let udp = Socket::new(
        socket2::Domain::IPV4,
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )
    .map_err(|e| NetError::socket("udp socket", iface, e))?;
    udp.set_reuse_address(true)
        .and_then(|_| udp.set_broadcast(true))
        .and_then(|_| udp.set_recv_buffer_size(1))
        .map_err(|e| NetError::socket("socket option", iface, e))?;
    udp.bind(&SocketAddr::V4(SocketAddrV4::new(local, port)).into())
        .map_err(|e| NetError::socket("bind", iface, e))?;
    Ok(RawSocket4 {
        packet: Arc::new(packet),
        udp: Arc::new(udp),
        ifindex,
        port,
        iface: iface.to_string(),
        local,
    })
}

impl RawSocket4 {
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(RawSocket4 {
            packet: self.packet.clone(),
            udp: self.udp.clone(),
            ifindex: self.ifindex,
            port: self.port,
            iface: self.iface.clone(),
            local: self.local,
        })
    }

    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        let r = socket::recvfrom::<LinkAddr>(self.packet.as_raw_fd(), buf).map_err(io::Error::from);
        let Some((n, from)) = quiet(r)? else {
            return Ok(None);
        };
        if from.is_some_and(|f| f.pkttype() == libc::PACKET_OUTGOING) {
            return Ok(None);
        }
        let Some(u) = buf.get(..n).and_then(ipv4::parse) else {
            return Ok(None);
        };
        if u.dst.port() != self.port {
            return Ok(None);
        }
        let src_mac = from
            .and_then(|f| f.addr())
            .filter(|_| from.is_some_and(|f| f.halen() == 6));
        Ok(Some(Received {
            payload: u.payload,
            src: u.src,
            dst: Some(*u.dst.ip()),
            src_mac,
        }))
    }

    pub fn send(&self, bytes: &[u8], to: &SendTo<'_>) -> io::Result<()> {
        let broadcast = to.addr == Ipv4Addr::BROADCAST;
        let mac = if broadcast {
            [0xff; 6]
        } else if let Some(m) = to.link_mac {
            // A reply to `ciaddr`: to the query's source at the link
            // layer, with no ARP resolution first (Kea builds it so).
            m
        } else if to.link_unicast {
            // To the client's MAC when it is an Ethernet address, else to
            // everyone.
            match <[u8; 6]>::try_from(to.chaddr) {
                Ok(m) if to.htype == 1 => m,
                _ => [0xff; 6],
            }
        } else {
            let dest = SocketAddr::V4(SocketAddrV4::new(to.addr, to.port));
            return self.udp.send_to(bytes, &dest.into()).map(|_| ());
        };
        let pkt = ipv4::build(
            SocketAddrV4::new(self.local, self.port),
            SocketAddrV4::new(to.addr, to.port),
            bytes,
        )
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "reply too large"))?;
        let dest = link_addr(self.ifindex, Some(mac))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad interface index"))?;
        socket::sendto(self.packet.as_raw_fd(), &pkt, &dest, MsgFlags::empty())
            .map(|_| ())
            .map_err(io::Error::from)
    }
}
