//! The `udp` socket type: a UDP socket bound to one interface address.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use crate::NetError;

/// A bound DHCPv4 socket and what it is bound to.
#[derive(Debug)]
pub struct PacketSocket {
    pub sock: UdpSocket,
    /// Interface name.
    pub iface: String,
    /// The address bound; the server identifier for packets received here.
    pub local: Ipv4Addr,
}

impl PacketSocket {
    /// Binds `addr:port` with broadcast enabled and a receive timeout so
    /// workers can notice shutdown.
    pub fn bind(iface: &str, addr: Ipv4Addr, port: u16, poll: Duration) -> Result<Self, NetError> {
        let sa = SocketAddrV4::new(addr, port);
        let sock = UdpSocket::bind(sa).map_err(|source| {
            let hint = if source.kind() == io::ErrorKind::PermissionDenied {
                " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            } else if source.kind() == io::ErrorKind::AddrInUse {
                " (another DHCP server is running?)"
            } else {
                ""
            };
            NetError::Bind {
                addr: sa,
                source,
                hint,
            }
        })?;
        sock.set_broadcast(true)
            .and_then(|_| sock.set_read_timeout(Some(poll)))
            .map_err(|source| NetError::Option { addr: sa, source })?;
        Ok(PacketSocket {
            sock,
            iface: iface.to_string(),
            local: addr,
        })
    }

    /// Another handle to the same socket (one per worker thread).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(PacketSocket {
            sock: self.sock.try_clone()?,
            iface: self.iface.clone(),
            local: self.local,
        })
    }

    /// Receives one datagram; `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddrV4)>> {
        match self.sock.recv_from(buf) {
            Ok((n, std::net::SocketAddr::V4(src))) => Ok(Some((n, src))),
            Ok((_, std::net::SocketAddr::V6(_))) => Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Sends `bytes` to `dest`.
    pub fn send(&self, bytes: &[u8], dest: SocketAddrV4) -> io::Result<usize> {
        self.sock.send_to(bytes, dest)
    }
}
