//! DHCPv6 sockets: one UDP socket per interface on `[::]:port`, bound to the
//! device and joined to All_DHCP_Relay_Agents_and_Servers (ff02::1:2,
//! RFC 8415 §7.1), so it receives the link's multicast Solicits as well as
//! unicast and relayed messages. Replies go to the sender's address and
//! scope (relays at port 547, clients at port 546). Each datagram comes with
//! its destination address (IPV6_PKTINFO), so the engine can tell a client's
//! unicast from its multicast (RFC 8415 §16, UseMulticast).

use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::AsRawFd;
use std::time::Duration;

use nix::sys::socket::{setsockopt, sockopt};
use socket2::{Domain, Protocol, Socket, Type};
use tracing::warn;

use crate::batch::Rx;
use crate::NetError;

/// All_DHCP_Relay_Agents_and_Servers.
pub const ALL_DHCP_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// One received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Recv6 {
    pub len: usize,
    pub src: SocketAddrV6,
    /// The address it was sent to (multicast ff02::1:2 or one of ours).
    pub dst: Option<Ipv6Addr>,
}

/// Room per datagram in a receive batch: DHCPv6 has no size limit of its
/// own below UDP's, so a whole datagram fits (the pages of the buffer are
/// only mapped where datagrams land).
const SLOT: usize = 65_536;

/// A DHCPv6 socket on one interface.
#[derive(Debug)]
pub struct Udp6Socket {
    sock: std::net::UdpSocket,
    pub iface: String,
    /// Datagrams received by one `recvmmsg` and not handed out yet: this
    /// handle's own (a clone starts empty), allocated at its first receive.
    rx: Rx<SocketAddrV6>,
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
        rx: Rx::new(SLOT),
    })
}

impl Udp6Socket {
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(Udp6Socket {
            sock: self.sock.try_clone()?,
            iface: self.iface.clone(),
            rx: Rx::new(SLOT),
        })
    }

    /// Receives one datagram: its length, sender and (when the kernel
    /// says) destination address; `Ok(None)` on timeout. The next of
    /// those already taken, or (none left) up to
    /// [`crate::batch::BATCH`] more in one `recvmmsg`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Recv6>> {
        Ok(self.rx.recv(self.sock.as_raw_fd(), buf)?.map(|d| Recv6 {
            len: d.len,
            src: d.src,
            dst: d.dst,
        }))
    }

    /// Whether datagrams already received wait in this handle.
    pub fn pending(&self) -> bool {
        self.rx.pending()
    }

    /// Sends several replies, up to [`crate::batch::BATCH`] per
    /// `sendmmsg` (what it did not take one by one); how many failed,
    /// and the last error.
    pub fn send_many(&self, msgs: &[(&[u8], SocketAddrV6)]) -> (usize, Option<io::Error>) {
        let sent = crate::batch::send_many(self.sock.as_raw_fd(), msgs).unwrap_or(0);
        let mut failed = 0;
        let mut last = None;
        for (bytes, to) in msgs.iter().skip(sent) {
            if let Err(e) = self.send(bytes, *to) {
                failed += 1;
                last = Some(e);
            }
        }
        (failed, last)
    }

    pub fn send(&self, bytes: &[u8], dest: SocketAddrV6) -> io::Result<()> {
        self.sock.send_to(bytes, dest).map(|_| ())
    }
}
