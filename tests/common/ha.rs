//! HA test helpers shared by the HA end-to-end tests: Kea's HTTP command
//! form to an HA URL, the HA state a server reports, a relay that
//! forwards each client message to both partners, and starting a partner
//! (ruru, or Kea 2.2's `kea-dhcp4`).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use dhcproto::v4::{self, MessageType};
use serde_json::{json, Value};

use super::kea::Kea;
use super::*;

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One command for `service` to an HA URL (Kea's wire form); the
/// answer's first element.
pub fn post_to(service: &str, port: u16, command: &str, args: Option<Value>) -> Option<Value> {
    let mut body = json!({ "command": command, "service": [service] });
    if let Some(a) = args {
        body["arguments"] = a;
    }
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let v: Value = serde_json::from_str(out.split_once("\r\n\r\n")?.1).ok()?;
    v.get(0).cloned()
}

pub fn post(port: u16, command: &str, args: Option<Value>) -> Option<Value> {
    post_to("dhcp4", port, command, args)
}

/// The HA state a server reports (`ha-heartbeat`).
pub fn ha_state(port: u16) -> Option<String> {
    post(port, "ha-heartbeat", None)?
        .get("arguments")?
        .get("state")?
        .as_str()
        .map(String::from)
}

pub fn wait_state(port: u16, want: &str, secs: u64) -> bool {
    wait_until(Duration::from_secs(secs), || {
        ha_state(port).as_deref() == Some(want)
    })
}

/// The relay forwarding to both servers.
pub struct Both {
    pub relay: Relay,
    pub ports: [u16; 2],
}

impl Both {
    /// Sends `msg` to both servers; the replies to its xid within `wait`,
    /// with the port of the server that sent each.
    pub fn send(&self, msg: &v4::Message, wait: Duration) -> Vec<(u16, v4::Message)> {
        let bytes = encode(msg);
        for p in self.ports {
            let _ = self
                .relay
                .sock
                .send_to(&bytes, SocketAddrV4::new(Ipv4Addr::LOCALHOST, p));
        }
        let end = Instant::now() + wait;
        let mut out = Vec::new();
        self.relay
            .sock
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        while Instant::now() < end {
            let mut buf = [0u8; 2048];
            if let Ok((n, SocketAddr::V4(from))) = self.relay.sock.recv_from(&mut buf) {
                let m = decode(&buf[..n]);
                if m.xid() == msg.xid() {
                    out.push((from.port(), m));
                }
            }
        }
        out
    }

    /// DISCOVER + REQUEST through both; the ACKed address and who acked.
    pub fn dora(&self, c: &mut Client) -> Option<(Ipv4Addr, u16)> {
        self.dora_ack(c).map(|(a, p, _)| (a, p))
    }

    /// [`Both::dora`] with the ACK.
    pub fn dora_ack(&self, c: &mut Client) -> Option<(Ipv4Addr, u16, v4::Message)> {
        let offers = self.send(&c.discover(), Duration::from_millis(700));
        assert!(
            offers.len() <= 1,
            "two servers answered a DISCOVER: {offers:?}"
        );
        let (port, offer) = offers.into_iter().next()?;
        let sid = server_id(&offer)?;
        let acks = self.send(
            &c.request_selecting(offer.yiaddr(), sid),
            Duration::from_millis(700),
        );
        assert!(acks.len() <= 1, "two servers answered a REQUEST: {acks:?}");
        let (p2, ack) = acks.into_iter().next()?;
        assert_eq!(p2, port);
        (msg_type(&ack) == Some(MessageType::Ack)).then(|| (ack.yiaddr(), port, ack))
    }
}

/// One HA partner: ruru or Kea, on its DHCP port and its HA port.
pub enum Partner {
    Ruru(Server),
    Kea(Kea),
}

impl Partner {
    pub fn dhcp_port(&self) -> u16 {
        match self {
            Partner::Ruru(s) => s.port,
            Partner::Kea(k) => k.port,
        }
    }
}

/// Starts one partner; `None` when Kea is wanted and missing (SKIP).
pub fn start(kea: bool, cfg_for: impl Fn(&str) -> String, test: &str) -> Option<Partner> {
    if kea {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kea-leases4.csv");
        let cfg = cfg_for(file.to_str().unwrap());
        std::mem::forget(dir);
        let args = ["-p".to_string(), free_port().to_string()];
        Kea::start(
            "kea-dhcp4",
            "kea-dhcp4-server",
            &cfg,
            &args,
            "DHCP4_STARTED",
            test,
        )
        .map(Partner::Kea)
    } else {
        Some(Partner::Ruru(Server::start(&cfg_for("@DIR@/leases4.csv"))))
    }
}

pub fn lease_on(ha_port: u16, addr: Ipv4Addr) -> Option<Value> {
    let a = post(
        ha_port,
        "lease4-get",
        Some(json!({ "ip-address": addr.to_string() })),
    )?;
    (a["result"] == json!(0)).then(|| a["arguments"].clone())
}
