//! Sockets and interfaces for ruru.
//!
//! Modules:
//! - [`iface`]: interface discovery (names, indexes, IPv4 addresses) and
//!   Kea's `interfaces-config.interfaces` forms (`"eth0"`,
//!   `"eth0/192.0.2.1"`, `"*"`).
//! - [`udp`]: Kea's `udp` socket type: a UDP socket on `0.0.0.0:port` bound
//!   to one device, so it receives broadcasts on that link; replies that
//!   would need a link-level unicast to a client without an address are
//!   broadcast instead.
//! - [`udp6`]: DHCPv6 sockets: `[::]:547` per interface, joined to ff02::1:2.
//! - [`raw`]: Kea's `raw` socket type: an AF_PACKET socket per interface
//!   (receives broadcasts, sends to a client's hardware address or broadcast
//!   as RFC 2131 §4.1 says) plus a UDP socket for routed unicast replies.
//! - [`ipv4`]: IPv4/UDP header parsing and building for the raw path.
//! - [`batch`]: many IPv4 UDP datagrams per system call (`recvmmsg`,
//!   `sendmmsg`) for the `udp` socket type.
//! - [`icmp`]: a raw ICMPv4 socket and ECHO messages for the built-in ping
//!   check of offered addresses.
//!
//! [`Socket4`] is what the server's workers use: receive a DHCP payload with
//! its source, send a reply to a [`SendTo`] destination. This crate and the
//! hook loader are the only places where `unsafe` is allowed; every block
//! has a `// SAFETY:` comment.

#![deny(unsafe_code)]

pub mod batch;
pub mod icmp;
pub mod iface;
pub mod ipv4;
pub mod raw;
pub mod udp;
pub mod udp6;

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;

/// The receive buffer ruru asks for on each DHCP socket: 4 MiB, so that a
/// burst (clients after a power cut, a relay flushing its queue) waits in
/// the kernel instead of being dropped while every worker is busy. The
/// kernel caps it at `net.core.rmem_max` (212,992 bytes on a default
/// system: raise it to get the whole buffer).
pub const RECV_BUFFER: usize = 4 << 20;

/// Asks for [`RECV_BUFFER`] on `sock`; a refusal only costs the bigger
/// buffer (logged at debug).
pub(crate) fn deep_receive_buffer(sock: &socket2::Socket, iface: &str) {
    if let Err(e) = sock.set_recv_buffer_size(RECV_BUFFER) {
        tracing::debug!(%iface, error = %e, "cannot enlarge the socket's receive buffer");
    }
}

/// Errors opening sockets or reading interfaces.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("reading interfaces: {0}")]
    Interfaces(String),
    #[error("interface {0} not found")]
    NoSuchInterface(String),
    #[error("interface {0} has no IPv4 address")]
    NoAddress(String),
    #[error("interface {name} has no IPv4 address {addr}")]
    NoSuchAddress { name: String, addr: String },
    #[error("{what} on {iface}: {source}{hint}")]
    Socket {
        what: &'static str,
        iface: String,
        source: io::Error,
        hint: &'static str,
    },
}

impl NetError {
    /// Wraps a socket error with a hint about missing privileges.
    pub fn socket(what: &'static str, iface: &str, source: io::Error) -> Self {
        let hint = match source.raw_os_error() {
            Some(libc::EPERM) | Some(libc::EACCES) => match what {
                "raw socket" => {
                    " (raw sockets need root or CAP_NET_RAW; or use \"dhcp-socket-type\": \"udp\")"
                }
                "bind" => " (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
                _ => " (needs root or CAP_NET_RAW)",
            },
            Some(libc::EADDRINUSE) => " (address in use: is another DHCP server running?)",
            _ => "",
        };
        NetError::Socket {
            what,
            iface: iface.to_string(),
            source,
            hint,
        }
    }
}

/// A received datagram: the DHCP payload is `buf[payload]`.
#[derive(Debug, Clone)]
pub struct Received {
    pub payload: Range<usize>,
    pub src: SocketAddrV4,
    /// Destination IP address of the datagram, when known.
    pub dst: Option<Ipv4Addr>,
    /// The frame's source hardware address (raw sockets, Ethernet).
    pub src_mac: Option<[u8; 6]>,
}

/// Where a reply goes.
#[derive(Debug, Clone, Copy)]
pub struct SendTo<'a> {
    pub addr: Ipv4Addr,
    pub port: u16,
    /// The client has no address yet: deliver to `chaddr` at link level
    /// (raw sockets) or broadcast (udp sockets).
    pub link_unicast: bool,
    /// Client hardware address and type (1 = Ethernet).
    pub chaddr: &'a [u8],
    pub htype: u8,
    /// Leave by the interface the routing table chooses (Kea's
    /// `outbound-interface` `use-routing`; UDP sockets only).
    pub routed: bool,
    /// Raw sockets: deliver to this hardware address at the link layer
    /// (a reply to `ciaddr`), not through the kernel's IP stack.
    pub link_mac: Option<[u8; 6]>,
}

/// A DHCPv4 socket on one interface, of either Kea socket type.
#[derive(Debug)]
pub enum Socket4 {
    Udp(udp::UdpSocket4),
    Raw(raw::RawSocket4),
}

impl Socket4 {
    pub fn iface(&self) -> &str {
        match self {
            Socket4::Udp(s) => &s.iface,
            Socket4::Raw(s) => &s.iface,
        }
    }

    /// The interface address: the server identifier for packets received here.
    pub fn local(&self) -> Ipv4Addr {
        match self {
            Socket4::Udp(s) => s.local,
            Socket4::Raw(s) => s.local,
        }
    }

    /// Another handle to the same socket (one per worker thread).
    pub fn try_clone(&self) -> io::Result<Self> {
        Ok(match self {
            Socket4::Udp(s) => Socket4::Udp(s.try_clone()?),
            Socket4::Raw(s) => Socket4::Raw(s.try_clone()?),
        })
    }

    /// Receives one DHCP datagram into `buf`; `Ok(None)` on timeout or on a
    /// frame that is not for us.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        match self {
            Socket4::Udp(s) => s.recv(buf),
            Socket4::Raw(s) => s.recv(buf),
        }
    }

    /// Whether datagrams this handle already received wait to be handed
    /// out (the next [`Socket4::recv`] returns at once).
    pub fn pending(&self) -> bool {
        match self {
            Socket4::Udp(s) => s.pending(),
            Socket4::Raw(_) => false,
        }
    }

    /// Sends several replies (one system call for most on a `udp`
    /// socket); how many failed, and the last error.
    pub fn send_many(&self, msgs: &[(&[u8], SendTo<'_>)]) -> (usize, Option<io::Error>) {
        match self {
            Socket4::Udp(s) => s.send_many(msgs),
            Socket4::Raw(s) => {
                let mut failed = 0;
                let mut last = None;
                for (b, to) in msgs {
                    if let Err(e) = s.send(b, to) {
                        failed += 1;
                        last = Some(e);
                    }
                }
                (failed, last)
            }
        }
    }

    /// Sends a reply.
    pub fn send(&self, bytes: &[u8], to: &SendTo<'_>) -> io::Result<()> {
        match self {
            Socket4::Udp(s) => s.send(bytes, to),
            Socket4::Raw(s) => s.send(bytes, to),
        }
    }
}

/// Maps interrupted/timeout errors to "nothing received".
pub(crate) fn quiet<T>(r: io::Result<T>) -> io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
