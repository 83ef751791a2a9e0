//! Kea's `udp` socket type: one UDP socket per interface on
//! `0.0.0.0:port`, bound to the device (SO_BINDTODEVICE) so it receives the
//! link's broadcasts and nothing from other links. A reply that RFC 2131
//! wants delivered at link level to a client without an address cannot be
//! sent through a UDP socket (there is no ARP entry for it), so it is
//! broadcast on the link instead, as Kea does.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use tracing::warn;

use crate::{quiet, NetError, Received, SendTo};

/// A UDP DHCPv4 socket on one interface.
#[derive(Debug)]
pub struct UdpSocket4 {
    /// Configured with socket2, then used through std (no unsafe needed).
    sock: std::net::UdpSocket,
    pub iface: String,
    /// The interface address used as server identifier.
    pub local: Ipv4Addr,
}

/// Opens a UDP socket bound to `port` on device `iface`, broadcast-capable,
/// with a receive timeout so workers can notice shutdown. If binding to the
/// device is not permitted, falls back to binding `local:port` (relayed and
/// unicast traffic only) with a warning.
pub fn open(
    iface: &str,
    local: Ipv4Addr,
    port: u16,
    poll: Duration,
) -> Result<UdpSocket4, NetError> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| NetError::socket("udp socket", iface, e))?;
    sock.set_reuse_address(true)
        .and_then(|_| sock.set_broadcast(true))
        .and_then(|_| sock.set_read_timeout(Some(poll)))
        .map_err(|e| NetError::socket("socket option", iface, e))?;
    crate::deep_receive_buffer(&sock, iface);
    let bind_to = match sock.bind_device(Some(iface.as_bytes())) {
        Ok(()) => SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port),
        Err(e) => {
            warn!(%iface, error = %e, "cannot bind the socket to the device (needs CAP_NET_RAW on older kernels); binding {local} instead: broadcasts from clients on this link will not be received");
            SocketAddrV4::new(local, port)
        }
    };
    sock.bind(&SocketAddr::V4(bind_to).into())
        .map_err(|e| NetError::socket("bind", iface, e))?;
    Ok(UdpSocket4 {
        sock: sock.into(),
        iface: iface.to_string(),
        local,
    })
}

impl UdpSocket4 {
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(UdpSocket4 {
            sock: self.sock.try_clone()?,
            iface: self.iface.clone(),
            local: self.local,
        })
    }

    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        let Some((n, from)) = quiet(self.sock.recv_from(buf))? else {
            return Ok(None);
        };
        let SocketAddr::V4(src) = from else {
            return Ok(None);
        };
        Ok(Some(Received {
            payload: 0..n,
            src,
            dst: None,
        }))
    }

    pub fn send(&self, bytes: &[u8], to: &SendTo<'_>) -> io::Result<()> {
        let addr = if to.link_unicast {
            Ipv4Addr::BROADCAST
        } else {
            to.addr
        };
        let dest = SocketAddr::V4(SocketAddrV4::new(addr, to.port));
        self.sock.send_to(bytes, dest).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The socket asks for a deep receive buffer: it gets what
    /// `net.core.rmem_max` allows (Linux reports twice the size set).
    #[test]
    fn receive_buffer_is_enlarged() {
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(212_992);
        let s = open("lo", Ipv4Addr::LOCALHOST, 0, Duration::from_millis(10)).unwrap();
        let sock = socket2::SockRef::from(&s.sock);
        let got = sock.recv_buffer_size().unwrap();
        assert!(
            got >= 2 * crate::RECV_BUFFER.min(max),
            "receive buffer {got} bytes, rmem_max {max}"
        );
    }
}
