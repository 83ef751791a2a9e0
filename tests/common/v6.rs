//! DHCPv6 over loopback for the end-to-end tests: a relay agent at
//! [::1]:547 that wraps client messages in Relay-forward messages with
//! link-address 2001:db8:1::1 (DESIGN.md, "Loopback test setup"), and
//! builders for client messages (DUID, IA_NA, IA_PD).
//!
//! Port 547 is one per machine: a test binary takes [`ONE_AT_A_TIME`]
//! around each test, and [`bind_relay`] waits a while for a port another
//! test binary still holds. Binding it needs root (SKIP otherwise, failure
//! under RURU_REQUIRE_ALL=1).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{Ipv6Addr, SocketAddrV6, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use dhcproto::v6::{self, DhcpOption, OptionCode};
use dhcproto::{Decodable, Decoder};

use super::skip;

/// Held by each test of a binary while it uses port 547.
pub static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Binds [::1]:547, waiting up to 30 s while another process holds it;
/// prints SKIP (see [`skip`]) and returns `None` when it cannot be bound.
pub fn bind_relay(test: &str) -> Option<UdpSocket> {
    let end = Instant::now() + Duration::from_secs(30);
    loop {
        match UdpSocket::bind("[::1]:547") {
            Ok(s) => {
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                return Some(s);
            }
            Err(e) if e.kind() == ErrorKind::AddrInUse && Instant::now() < end => {
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => {
                skip(
                    test,
                    &format!("needs to bind UDP [::1]:547 (root or CAP_NET_BIND_SERVICE): {e}"),
                );
                return None;
            }
        }
    }
}

/// Appends one DHCPv6 option.
pub fn put(out: &mut Vec<u8>, code: u16, data: &[u8]) {
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
}

/// A relay agent on [::1]:547 talking to the server at `server`.
pub struct Relay6 {
    pub sock: UdpSocket,
    pub server: SocketAddrV6,
}

impl Relay6 {
    pub fn new(sock: UdpSocket, server_port: u16) -> Relay6 {
        Relay6 {
            sock,
            server: SocketAddrV6::new(Ipv6Addr::LOCALHOST, server_port, 0, 0),
        }
    }

    /// Sends a client message wrapped in a Relay-forward; returns the
    /// client message from the Relay-reply, or `None` after the timeout.
    pub fn exchange(&self, client_msg: &[u8]) -> Option<v6::Message> {
        self.send(client_msg);
        self.recv()
    }

    /// Sends a client message wrapped in a Relay-forward.
    pub fn send(&self, client_msg: &[u8]) {
        let mut fw = vec![12, 0];
        fw.extend_from_slice(&"2001:db8:1::1".parse::<Ipv6Addr>().unwrap().octets());
        fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
        put(&mut fw, 18, b"port-1");
        put(&mut fw, 9, client_msg);
        self.sock.send_to(&fw, self.server).unwrap();
    }

    /// The client message of the next Relay-reply, or `None` after the
    /// timeout.
    pub fn recv(&self) -> Option<v6::Message> {
        let mut buf = [0u8; 4096];
        let (n, _) = self.sock.recv_from(&mut buf).ok()?;
        let b = &buf[..n];
        assert_eq!(b[0], 13, "Relay-reply");
        // Options after the 34-byte relay header: the interface-id must
        // come back (RFC 8415 §19.3), and the relay message.
        let mut i = 34;
        let (mut inner, mut ifid) = (None, None);
        while i + 4 <= b.len() {
            let code = u16::from_be_bytes([b[i], b[i + 1]]);
            let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
            let v = &b[i + 4..i + 4 + len];
            match code {
                9 => inner = Some(v6::Message::decode(&mut Decoder::new(v)).unwrap()),
                18 => ifid = Some(v.to_vec()),
                _ => {}
            }
            i += 4 + len;
        }
        assert_eq!(ifid.as_deref(), Some(&b"port-1"[..]), "interface-id echoed");
        inner
    }
}

/// The DUID-LL of test client `n`: `00:03:00:01:02:00:00:00:00:<n>`.
pub fn duid(n: u8) -> Vec<u8> {
    vec![0, 3, 0, 1, 2, 0, 0, 0, 0, n]
}

/// `duid(n)` as Kea prints it.
pub fn duid_text(n: u8) -> String {
    format!("00:03:00:01:02:00:00:00:00:{n:02x}")
}

/// A client message of type `t` from client `n` (transaction id `n`),
/// with the server's DUID when given, and `extra` options.
pub fn msg(t: u8, n: u8, server: Option<&[u8]>, extra: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut m = vec![t, 0, 1, n];
    put(&mut m, 1, &duid(n));
    if let Some(s) = server {
        put(&mut m, 2, s);
    }
    put(&mut m, 6, &[0, 23]);
    for (c, v) in extra {
        put(&mut m, *c, v);
    }
    m
}

/// An IA_NA, with an address hint when given.
pub fn ia_na(iaid: u32, addr: Option<Ipv6Addr>) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    if let Some(a) = addr {
        let mut x = a.octets().to_vec();
        x.extend_from_slice(&[0; 8]);
        put(&mut v, 5, &x);
    }
    (3, v)
}

/// An IA_PD, with a prefix hint when given.
pub fn ia_pd(iaid: u32, prefix: Option<(Ipv6Addr, u8)>) -> (u16, Vec<u8>) {
    let mut v = iaid.to_be_bytes().to_vec();
    v.extend_from_slice(&[0; 8]);
    if let Some((p, len)) = prefix {
        let mut x = vec![0u8; 8];
        x.push(len);
        x.extend_from_slice(&p.octets());
        put(&mut v, 26, &x);
    }
    (25, v)
}

/// The first address of the first IA_NA of a reply.
pub fn addr_of(m: &v6::Message) -> Option<Ipv6Addr> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAAddr(a) => Some(a.addr),
            _ => None,
        }),
        _ => None,
    })
}

/// The first prefix of the first IA_PD of a reply.
pub fn prefix_of(m: &v6::Message) -> Option<(Ipv6Addr, u8)> {
    m.opts().iter().find_map(|o| match o {
        DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
            DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
            _ => None,
        }),
        _ => None,
    })
}

/// The server DUID of a reply.
pub fn server_duid(m: &v6::Message) -> Vec<u8> {
    match m.opts().get(OptionCode::ServerId) {
        Some(DhcpOption::ServerId(d)) => d.clone(),
        _ => panic!("no server id"),
    }
}

/// Several relay agents sharing the relay port [::1]:547, for clients of
/// several servers at once: each Relay-forward names its own link address
/// and goes to the server's port; servers send their Relay-replies to port
/// 547, where one reader thread hands each to the exchange waiting for its
/// transaction id (every message gets a new one). Stopped when dropped.
pub struct RelayMux6 {
    sock: UdpSocket,
    waiting: std::sync::Arc<Mutex<HashMap<u32, mpsc::Sender<v6::Message>>>>,
    next_xid: AtomicU32,
    stop: std::sync::Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl RelayMux6 {
    pub fn new(sock: UdpSocket) -> RelayMux6 {
        sock.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let waiting: std::sync::Arc<Mutex<HashMap<u32, mpsc::Sender<v6::Message>>>> =
            Default::default();
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let reader = {
            let (sock, waiting, stop) = (sock.try_clone().unwrap(), waiting.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((n, _)) = sock.recv_from(&mut buf) else {
                        continue;
                    };
                    let Some(inner) = relay_message(&buf[..n]) else {
                        continue;
                    };
                    if inner.len() < 4 {
                        continue;
                    }
                    let xid = u32::from_be_bytes([0, inner[1], inner[2], inner[3]]);
                    let Ok(m) = v6::Message::decode(&mut Decoder::new(inner)) else {
                        continue;
                    };
                    if let Some(tx) = waiting.lock().unwrap().remove(&xid) {
                        let _ = tx.send(m);
                    }
                }
            })
        };
        RelayMux6 {
            sock,
            waiting,
            next_xid: AtomicU32::new(1),
            stop,
            reader: Some(reader),
        }
    }

    /// Sends `client_msg` (built by [`msg`]; its transaction id is
    /// replaced) in a Relay-forward with link address `link` to the server
    /// at [::1]:`port`; the client message of the Relay-reply, or `None`
    /// after two seconds.
    pub fn exchange(&self, link: Ipv6Addr, port: u16, client_msg: &[u8]) -> Option<v6::Message> {
        let xid = self.next_xid.fetch_add(1, Ordering::Relaxed) & 0xff_ffff;
        let mut m = client_msg.to_vec();
        m[1..4].copy_from_slice(&xid.to_be_bytes()[1..]);
        let mut fw = vec![12, 0];
        fw.extend_from_slice(&link.octets());
        fw.extend_from_slice(&"fe80::2".parse::<Ipv6Addr>().unwrap().octets());
        put(&mut fw, 18, b"port-1");
        put(&mut fw, 9, &m);
        let (tx, rx) = mpsc::channel();
        self.waiting.lock().unwrap().insert(xid, tx);
        let to = SocketAddrV6::new(Ipv6Addr::LOCALHOST, port, 0, 0);
        self.sock.send_to(&fw, to).unwrap();
        let got = rx.recv_timeout(Duration::from_secs(2)).ok();
        self.waiting.lock().unwrap().remove(&xid);
        got
    }
}

impl Drop for RelayMux6 {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The relay message (option 9) of a Relay-reply.
fn relay_message(b: &[u8]) -> Option<&[u8]> {
    if b.first() != Some(&13) {
        return None;
    }
    let mut i = 34;
    while i + 4 <= b.len() {
        let code = u16::from_be_bytes([b[i], b[i + 1]]);
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        let v = b.get(i + 4..i + 4 + len)?;
        if code == 9 {
            return Some(v);
        }
        i += 4 + len;
    }
    None
}
