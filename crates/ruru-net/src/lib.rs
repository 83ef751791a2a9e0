//! Sockets and interfaces for ruru.
//!
//! Modules:
//! - [`iface`]: interface discovery (names and IPv4 addresses) and Kea's
//!   `interfaces-config.interfaces` forms (`"eth0"`, `"eth0/192.0.2.1"`, `"*"`).
//! - [`udp`]: the `udp` socket type: one UDP socket per configured address,
//!   bound to the server port, broadcast-capable.
//!
//! Raw (packet) sockets for clients without an address come with the
//! real-links work; they slot in beside `udp` behind the same
//! [`udp::PacketSocket`] shape (receive with metadata, send to a destination).

#![deny(unsafe_code)]

pub mod iface;
pub mod udp;

/// Errors opening sockets or reading interfaces.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    #[error("reading interfaces: {0}")]
    Interfaces(String),
    #[error("interface {0} not found")]
    NoSuchInterface(String),
    #[error("interface {name} has no IPv4 address {addr}")]
    NoSuchAddress { name: String, addr: String },
    #[error("binding {addr}: {source}{hint}")]
    Bind {
        addr: std::net::SocketAddrV4,
        source: std::io::Error,
        hint: &'static str,
    },
    #[error("socket option on {addr}: {source}")]
    Option {
        addr: std::net::SocketAddrV4,
        source: std::io::Error,
    },
}
