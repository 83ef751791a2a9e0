//! Kea's `udp` socket type: one UDP socket per interface on
//! `0.0.0.0:port`, bound to the device (SO_BINDTODEVICE) so it receives the
//! link's broadcasts and nothing from other links. A reply that RFC 2131
//! wants delivered at link level to a client without an address cannot be
//! sent through a UDP socket (there is no ARP entry for it), so it is
//! broadcast on the link instead, as Kea does.
//!
//! Kea's `outbound-interface` `use-routing` ([`SendTo::routed`]): a socket
//! bound to a device can only send on it, so such replies go through a
//! second socket on the same port bound to no device, opened at the first
//! one, with the receiving interface's address as source (IP_PKTINFO
//! `ipi_spec_dst`, interface index 0): the kernel's routing table picks
//! the interface, as for Kea's reply with no interface index.

use std::io;
use std::io::IoSlice;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::AsRawFd;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, SockaddrIn};

use socket2::{Domain, Protocol, Socket, Type};
use tracing::warn;

use crate::batch::{Rx, BATCH};
use crate::{NetError, Received, SendTo};

/// Room per datagram in a receive batch: the largest DHCPv4 message ruru
/// reads (anything longer is truncated, then fails to parse and is
/// counted).
const SLOT: usize = 4096;

/// A UDP DHCPv4 socket on one interface.
#[derive(Debug)]
pub struct UdpSocket4 {
    /// Configured with socket2, then used through std (no unsafe needed).
    sock: std::net::UdpSocket,
    pub iface: String,
    /// The interface address used as server identifier.
    pub local: Ipv4Addr,
    /// The socket bound to no device for `use-routing` replies, opened at
    /// the first one (`None` inside: it could not be opened) and shared by
    /// the clones.
    routed: Arc<OnceLock<Option<std::net::UdpSocket>>>,
    /// Datagrams received by one `recvmmsg` and not handed out yet: this
    /// handle's own (a clone starts empty), allocated at its first receive.
    rx: Rx<SocketAddrV4>,
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
        routed: Arc::new(OnceLock::new()),
        rx: Rx::new(SLOT),
    })
}

/// The send-only socket of `use-routing`: `0.0.0.0:port`, no device. It
/// also receives copies of the broadcasts to the port, never read: its
/// receive buffer is the smallest the kernel allows.
fn open_routed(port: u16) -> io::Result<std::net::UdpSocket> {
    let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    sock.set_reuse_address(true)?;
    sock.set_broadcast(true)?;
    sock.set_recv_buffer_size(1)?;
    sock.bind(&SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)).into())?;
    Ok(sock.into())
}

impl UdpSocket4 {
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(UdpSocket4 {
            sock: self.sock.try_clone()?,
            iface: self.iface.clone(),
            local: self.local,
            routed: self.routed.clone(),
            rx: Rx::new(SLOT),
        })
    }

    /// Receives one datagram: the next of those already taken, or (none
    /// left) up to [`crate::batch::BATCH`] more in one `recvmmsg`.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        Ok(self.rx.recv(self.sock.as_raw_fd(), buf)?.map(|d| Received {
            src_mac: None,
            payload: 0..d.len,
            src: d.src,
            dst: None,
        }))
    }

    /// Whether datagrams already received wait in this handle.
    pub fn pending(&self) -> bool {
        self.rx.pending()
    }

    /// Where a reply goes from this socket (see [`UdpSocket4::send`]).
    fn dest(to: &SendTo<'_>) -> SocketAddrV4 {
        let addr = if to.link_unicast {
            Ipv4Addr::BROADCAST
        } else {
            to.addr
        };
        SocketAddrV4::new(addr, to.port)
    }

    /// Sends several replies: those leaving by this interface in one
    /// `sendmmsg` per [`BATCH`], the others (`use-routing`) one by one.
    /// Returns how many failed, and the last error.
    pub fn send_many(&self, msgs: &[(&[u8], SendTo<'_>)]) -> (usize, Option<io::Error>) {
        let mut failed = 0;
        let mut last = None;
        let mut note = |r: io::Result<()>| {
            if let Err(e) = r {
                failed += 1;
                last = Some(e);
            }
        };
        for chunk in msgs.chunks(BATCH) {
            let mut direct = [(&[][..], SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)); BATCH];
            let mut n = 0;
            for (bytes, to) in chunk.iter().filter(|(_, to)| !to.routed) {
                direct[n] = (*bytes, Self::dest(to));
                n += 1;
            }
            let sent = crate::batch::send_many(self.sock.as_raw_fd(), &direct[..n]).unwrap_or(0);
            let mut k = 0;
            for (bytes, to) in chunk {
                if to.routed {
                    note(self.send(bytes, to));
                    continue;
                }
                // What sendmmsg did not take is sent alone, for its own error.
                if k >= sent {
                    note(self.send(bytes, to));
                }
                k += 1;
            }
        }
        (failed, last)
    }

    pub fn send(&self, bytes: &[u8], to: &SendTo<'_>) -> io::Result<()> {
        let dest = Self::dest(to);
        if to.routed {
            if let Some(r) = self.routed_socket() {
                return self.send_routed(r, bytes, dest);
            }
        }
        self.sock.send_to(bytes, SocketAddr::V4(dest)).map(|_| ())
    }

    /// The `use-routing` socket, opened at the first call; `None` (and a
    /// warning, once) when it cannot be opened: replies then leave by the
    /// receiving interface.
    fn routed_socket(&self) -> Option<&std::net::UdpSocket> {
        self.routed
            .get_or_init(|| {
                let port = self.sock.local_addr().ok()?.port();
                match open_routed(port) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        warn!(iface = %self.iface, error = %e, "outbound-interface use-routing: cannot open the socket for routed replies; they leave by the receiving interface");
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Sends through the `use-routing` socket from this interface's
    /// address, the interface left to the routing table.
    fn send_routed(
        &self,
        r: &std::net::UdpSocket,
        bytes: &[u8],
        dest: SocketAddrV4,
    ) -> io::Result<()> {
        let info = libc::in_pktinfo {
            ipi_ifindex: 0,
            ipi_spec_dst: libc::in_addr {
                s_addr: u32::from(self.local).to_be(),
            },
            ipi_addr: libc::in_addr { s_addr: 0 },
        };
        let to = SockaddrIn::from(dest);
        sendmsg(
            r.as_raw_fd(),
            &[IoSlice::new(bytes)],
            &[ControlMessage::Ipv4PacketInfo(&info)],
            MsgFlags::empty(),
            Some(&to),
        )
        .map(|_| ())
        .map_err(io::Error::from)
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
