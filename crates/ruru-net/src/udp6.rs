//! DHCPv6 sockets: one UDP socket per interface on `[::]:port`, bound to the
//! device and joined to All_DHCP_Relay_Agents_and_Servers (ff02::1:2,
//! RFC 8415 §7.1), so it receives the link's multicast Solicits as well as
//! unicast and relayed messages. Replies go to the sender's address and
//! scope (relays at port 547, clients at port 546). Each datagram comes with
//! its destination address (IPV6_PKTINFO), so the engine can tell a client's
//! unicast from its multicast (RFC 8415 §16, UseMulticast).

use std::io::{self, IoSliceMut};
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{recvmsg, setsockopt, sockopt, ControlMessageOwned, MsgFlags, SockaddrIn6};
use socket2::{Domain, Protocol, Socket, Type};
use tracing::warn;

use crate::NetError;

/// All_DHCP_Relay_Agents_and_Servers.
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// Room for one IPV6_PKTINFO control message, aligned like `cmsghdr`.
const CMSG_LEN: usize = nix::sys::socket::cmsg_space::<libc::in6_pktinfo>();

#[repr(C, align(8))]
struct CmsgBuf([u8; CMSG_LEN]);

/// One received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Recv6 {
    pub len: usize,
    pub src: SocketAddrV6,
    /// The address it was sent to (multicast ff02::1:2 or one of ours).
    pub dst: Option<Ipv6Addr>,
}

/// A DHCPv6 socket on one interface.
#[derive(Debug)]
pub struct Udp6Socket {
    sock: std::net::UdpSocket,
    pub iface: String,
}

/// Opens the DHCPv6 socket for `iface` on `port`.
pub fn open(iface: &str, port: u16, poll: Duration) -> Result<Udp6Socket, NetError> {
    let index = crate::iface::index(iface)?;
    let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| NetError::socket("udp6 socket", iface, e))?;
    sock.set_only_v6(true)
        .and_then(|_| sock.set_reuse_address(true))
        .and_then(|_| sock.set_read_timeout(Some(poll)))
        .map_err(|e| NetError::socket("socket option", iface, e))?;
    crate::deep_receive_buffer(&sock, iface);
    if let Err(e) = setsockopt(&sock, sockopt::Ipv6RecvPacketInfo, &true) {
        warn!(%iface, error = %e, "IPV6_RECVPKTINFO not available: unicast and multicast client messages cannot be told apart");
    }
    if let Err(e) = sock.bind_device(Some(iface.as_bytes())) {
        warn!(%iface, error = %e, "cannot bind the DHCPv6 socket to the device; it will receive from every interface");
    }
    sock.bind(&SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)).into())
        .map_err(|e| NetError::socket("bind", iface, e))?;
    if let Err(e) = sock.join_multicast_v6(&ALL_DHCP_SERVERS, index) {
        // Loopback has no multicast: relayed and unicast traffic still work.
        warn!(%iface, error = %e, "cannot join ff02::1:2; only unicast and relayed DHCPv6 is received here");
    }
    Ok(Udp6Socket {
        sock: sock.into(),
        iface: iface.to_string(),
    })
}

impl Udp6Socket {
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Udp6Socket {
            sock: self.sock.try_clone()?,
            iface: self.iface.clone(),
        })
    }

    /// Receives one datagram: its length, sender and (when the kernel
    /// says) destination address; `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Recv6>> {
        // On the stack: `nix::cmsg_space!` would allocate a Vec per datagram.
        let mut cmsg = CmsgBuf([0; CMSG_LEN]);
        let mut iov = [IoSliceMut::new(buf)];
        let msg = match recvmsg::<SockaddrIn6>(
            self.sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg.0[..]),
            MsgFlags::empty(),
        ) {
            Ok(m) => m,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(None),
            Err(e) => return Err(io::Error::from(e)),
        };
        let Some(src) = msg.address else {
            return Ok(None);
        };
        let dst = msg.cmsgs().ok().and_then(|mut it| {
            it.find_map(|c| match c {
                ControlMessageOwned::Ipv6PacketInfo(pi) => {
                    Some(Ipv6Addr::from(pi.ipi6_addr.s6_addr))
                }
                _ => None,
            })
        });
        Ok(Some(Recv6 {
            len: msg.bytes,
            src: SocketAddrV6::new(src.ip(), src.port(), src.flowinfo(), src.scope_id()),
            dst,
        }))
    }

    pub fn send(&self, bytes: &[u8], dest: SocketAddrV6) -> io::Result<()> {
        self.sock.send_to(bytes, dest).map(|_| ())
    }
}
