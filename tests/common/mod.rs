//! Shared end-to-end test harness: start the real `ruru` binary on loopback,
//! act as a relay agent (DESIGN.md, "Loopback test setup") and build DHCPv4
//! packets with dhcproto.
//!
//! Each test gets its own relay address in 127.1.0.0/16 (derived from its
//! name) bound at port 67, and its own server port, so tests run in parallel.
//! Binding port 67 needs root: without it the tests print SKIP (and fail when
//! RURU_REQUIRE_ALL=1, as in CI).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dhcproto::v4::{self, DhcpOption, MessageType, OptionCode};
use dhcproto::{Decodable, Decoder, Encodable, Encoder};

pub mod clib;
pub mod db;
pub mod ha;
pub mod kea;
pub mod v6;

pub const BIN: &str = env!("CARGO_BIN_EXE_ruru");

/// Prints SKIP and returns false when the test cannot run here; panics
/// instead when RURU_REQUIRE_ALL=1.
pub fn can_bind_67(test: &str) -> bool {
    // Probe on the test's own relay address, so parallel tests don't collide.
    let probe = UdpSocket::bind(SocketAddrV4::new(relay_addr_for(test), 67));
    match probe {
        Ok(_) => true,
        Err(e) => {
            skip(
                test,
                &format!(
                    "needs to bind UDP port 67 on loopback (root or CAP_NET_BIND_SERVICE): {e}"
                ),
            );
            false
        }
    }
}

/// Prints `SKIP <test>: <reason>`, or panics when RURU_REQUIRE_ALL=1 (CI).
pub fn skip(test: &str, reason: &str) {
    let msg = format!("SKIP {test}: {reason}");
    if std::env::var("RURU_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!("{msg} (RURU_REQUIRE_ALL=1)");
    }
    eprintln!("{msg}");
}

/// A stable relay address for a test name, in 127.1.0.0/16.
pub fn relay_addr_for(name: &str) -> Ipv4Addr {
    let mut h: u32 = 2166136261;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(16777619);
    }
    let x = (h % 65000) as u16 + 2;
    Ipv4Addr::new(127, 1, (x >> 8) as u8, (x & 0xff) as u8)
}

/// Sends one control command over the UNIX socket `sock` and returns the
/// answer.
pub fn unix_cmd(sock: &Path, body: &serde_json::Value) -> serde_json::Value {
    use std::io::{Read, Write};
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(body.to_string().as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// The hooks directory of a server started in `dir` (its `RURU_HOOKS_PATH`):
/// hook libraries load only from there.
pub fn hooks_dir(dir: &Path) -> PathBuf {
    dir.join("hooks")
}

/// Copies a built hook library into the hooks directory of a server started
/// in `dir`, as an administrator installs one; returns the installed path.
/// An installed file is left alone: a running server may have it mapped.
pub fn install_hook(dir: &Path, lib: &Path) -> PathBuf {
    let hooks = hooks_dir(dir);
    std::fs::create_dir_all(&hooks).unwrap();
    let to = hooks.join(lib.file_name().unwrap());
    if !to.exists() {
        std::fs::copy(lib, &to).unwrap();
    }
    to
}

/// A free UDP port on 127.0.0.1.
pub fn free_port() -> u16 {
    // Never the same port twice in one test process: a port is free when
    // probed, and two tests running at once must not both be handed it
    // before either server binds it (two ruru servers on one port with
    // SO_REUSEADDR would share its datagrams).
    static GIVEN: Mutex<std::collections::BTreeSet<u16>> =
        Mutex::new(std::collections::BTreeSet::new());
    loop {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        if GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return port;
        }
    }
}

/// A running `ruru serve`.
pub struct Server {
    pub child: Option<Child>,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub port: u16,
    pub client_port: u16,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Writes `config` (with `@DIR@` replaced by the temp dir) and starts ruru.
    pub fn start(config: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, config)
    }

    pub fn start_in(dir: tempfile::TempDir, config: &str) -> Server {
        let path = dir.path().join("ruru.json");
        std::fs::write(&path, config.replace("@DIR@", dir.path().to_str().unwrap())).unwrap();
        let port = free_port();
        let client_port = free_port();
        let mut s = Server {
            child: None,
            dir,
            config: path,
            port,
            client_port,
            log: Arc::new(Mutex::new(Vec::new())),
        };
        // A probed port that another test's socket took before the server
        // bound it: start again on other ports (twice at most).
        for attempt in 0.. {
            match s.try_spawn() {
                Ok(()) => break,
                Err(log) if attempt < 2 && log.contains("Address already in use") => {
                    s.port = free_port();
                    s.client_port = free_port();
                    s.log.lock().unwrap().clear();
                }
                Err(log) => panic!("ruru did not start:\n{log}"),
            }
        }
        s
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts (or restarts) the process and waits for "ruru ready".
    pub fn spawn(&mut self) {
        if let Err(log) = self.try_spawn() {
            panic!("ruru did not start:\n{log}");
        }
    }

    /// [`Server::spawn`], the log of a server that did not start as the error.
    pub fn try_spawn(&mut self) -> Result<(), String> {
        let mut child = Command::new(BIN)
            .args(["serve", "-c"])
            .arg(&self.config)
            .args([
                "-p",
                &self.port.to_string(),
                "-P",
                &self.client_port.to_string(),
                "--threads",
                "2",
            ])
            .current_dir(self.dir.path())
            .env("RURU_HOOKS_PATH", hooks_dir(self.dir.path()))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ruru");
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let log = self.log.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("ruru ready") {
                    let _ = tx.send(true);
                }
                log.lock().unwrap().push(line);
            }
            let _ = tx.send(false);
        });
        let log = self.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
            let _ = tx2.send(false);
        });
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(true) => {}
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(self.log.lock().unwrap().join("\n"));
            }
        }
        self.child = Some(child);
        Ok(())
    }

    pub fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            Command::new("kill")
                .args([sig, &c.id().to_string()])
                .status()
                .unwrap();
        }
    }

    /// SIGTERM and wait; returns the log.
    pub fn stop(&mut self) -> Vec<String> {
        if let Some(mut c) = self.child.take() {
            self.signal_pid(c.id(), "-TERM");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = c.kill();
                    let _ = c.wait();
                    panic!("ruru did not stop on SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        // let the reader threads drain
        std::thread::sleep(Duration::from_millis(100));
        self.log.lock().unwrap().clone()
    }

    fn signal_pid(&self, pid: u32, sig: &str) {
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap();
    }

    /// SIGKILL (a crash).
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// A statistic's value from the shutdown log (the server must be stopped).
    pub fn stat_from_log(log: &[String], name: &str) -> Option<i64> {
        let key = format!("statistic={name} ");
        log.iter().rev().find(|l| l.contains(&key)).and_then(|l| {
            l.split("value=")
                .nth(1)?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until the log contains `needle`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while Instant::now() < end {
            if self.log_text().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    pub fn lease_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A relay agent on loopback: sends with giaddr = its address, receives
/// replies on port 67.
pub struct Relay {
    pub sock: UdpSocket,
    pub addr: Ipv4Addr,
    pub server: SocketAddrV4,
}

impl Relay {
    pub fn new(addr: Ipv4Addr, server_port: u16) -> Relay {
        let sock = UdpSocket::bind(SocketAddrV4::new(addr, 67)).expect("bind relay port 67");
        sock.set_read_timeout(Some(Duration::from_millis(1500)))
            .unwrap();
        Relay {
            sock,
            addr,
            server: SocketAddrV4::new(Ipv4Addr::LOCALHOST, server_port),
        }
    }

    pub fn send_raw(&self, bytes: &[u8]) {
        self.sock.send_to(bytes, self.server).unwrap();
    }

    pub fn send(&self, msg: &v4::Message) {
        self.send_raw(&encode(msg));
    }

    /// The next reply, or None after the timeout.
    pub fn recv(&self) -> Option<v4::Message> {
        self.recv_raw().map(|b| decode(&b))
    }

    pub fn recv_raw(&self) -> Option<Vec<u8>> {
        let mut buf = [0u8; 2048];
        match self.sock.recv_from(&mut buf) {
            Ok((n, _)) => Some(buf[..n].to_vec()),
            Err(_) => None,
        }
    }

    /// Sends and waits for the reply to this xid.
    pub fn exchange(&self, msg: &v4::Message) -> Option<v4::Message> {
        self.send(msg);
        let end = Instant::now() + Duration::from_millis(1500);
        while Instant::now() < end {
            let r = self.recv()?;
            if r.xid() == msg.xid() {
                return Some(r);
            }
        }
        None
    }
}

pub fn encode(msg: &v4::Message) -> Vec<u8> {
    let mut buf = Vec::new();
    msg.encode(&mut Encoder::new(&mut buf)).unwrap();
    buf
}

pub fn decode(b: &[u8]) -> v4::Message {
    v4::Message::decode(&mut Decoder::new(b)).unwrap()
}

/// A client identity and packet builder.
#[derive(Clone)]
pub struct Client {
    pub mac: [u8; 6],
    pub client_id: Option<Vec<u8>>,
    pub giaddr: Ipv4Addr,
    pub xid: u32,
}

impl Client {
    pub fn new(mac_last: u8, giaddr: Ipv4Addr) -> Client {
        Client {
            mac: [0x02, 0x00, 0x5e, 0x10, 0x00, mac_last],
            client_id: None,
            giaddr,
            xid: 0x1000_0000 + u32::from(mac_last) * 0x100,
        }
    }

    pub fn with_client_id(mut self, cid: &[u8]) -> Client {
        self.client_id = Some(cid.to_vec());
        self
    }

    pub fn base(&mut self, t: MessageType) -> v4::Message {
        self.xid = self.xid.wrapping_add(1);
        let mut m = v4::Message::new_with_id(
            self.xid,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            self.giaddr,
            &self.mac,
        );
        m.set_hops(1);
        m.opts_mut().insert(DhcpOption::MessageType(t));
        if let Some(c) = &self.client_id {
            m.opts_mut().insert(DhcpOption::ClientIdentifier(c.clone()));
        }
        m.opts_mut().insert(DhcpOption::ParameterRequestList(vec![
            OptionCode::SubnetMask,
            OptionCode::Router,
            OptionCode::DomainNameServer,
            OptionCode::DomainName,
        ]));
        m
    }

    pub fn discover(&mut self) -> v4::Message {
        self.base(MessageType::Discover)
    }

    /// REQUEST in SELECTING state.
    pub fn request_selecting(&mut self, addr: Ipv4Addr, server_id: Ipv4Addr) -> v4::Message {
        let mut m = self.base(MessageType::Request);
        m.opts_mut().insert(DhcpOption::RequestedIpAddress(addr));
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server_id));
        m
    }

    /// REQUEST in INIT-REBOOT state.
    pub fn request_init_reboot(&mut self, addr: Ipv4Addr) -> v4::Message {
        let mut m = self.base(MessageType::Request);
        m.opts_mut().insert(DhcpOption::RequestedIpAddress(addr));
        m
    }

    /// REQUEST in RENEWING/REBINDING state (ciaddr set).
    pub fn request_renew(&mut self, addr: Ipv4Addr) -> v4::Message {
        let mut m = self.base(MessageType::Request);
        m.set_ciaddr(addr);
        m
    }

    pub fn release(&mut self, addr: Ipv4Addr, server_id: Ipv4Addr) -> v4::Message {
        let mut m = self.base(MessageType::Release);
        m.set_ciaddr(addr);
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server_id));
        m
    }

    pub fn decline(&mut self, addr: Ipv4Addr, server_id: Ipv4Addr) -> v4::Message {
        let mut m = self.base(MessageType::Decline);
        m.opts_mut().insert(DhcpOption::RequestedIpAddress(addr));
        m.opts_mut().insert(DhcpOption::ServerIdentifier(server_id));
        m
    }

    /// Full DORA through `relay`; returns the ACKed address.
    pub fn dora(&mut self, relay: &Relay) -> Ipv4Addr {
        let offer = relay.exchange(&self.discover()).expect("OFFER");
        assert_eq!(msg_type(&offer), Some(MessageType::Offer));
        let sid = server_id(&offer).expect("server id in OFFER");
        let ack = relay
            .exchange(&self.request_selecting(offer.yiaddr(), sid))
            .expect("ACK");
        assert_eq!(msg_type(&ack), Some(MessageType::Ack));
        assert_eq!(ack.yiaddr(), offer.yiaddr());
        ack.yiaddr()
    }
}

pub fn msg_type(m: &v4::Message) -> Option<MessageType> {
    m.opts().msg_type()
}

pub fn server_id(m: &v4::Message) -> Option<Ipv4Addr> {
    match m.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(a)) => Some(*a),
        _ => None,
    }
}

/// Raw option payload from an encoded reply (walks the option area itself,
/// so it sees exactly what was on the wire).
/// Option `code` of `m` as text (lossy UTF-8), if present.
pub fn option_text(m: &v4::Message, code: u8) -> Option<String> {
    raw_option(&encode(m), code).map(|b| String::from_utf8_lossy(&b).into_owned())
}

pub fn raw_option(bytes: &[u8], code: u8) -> Option<Vec<u8>> {
    let mut i = 240;
    while i < bytes.len() {
        match bytes[i] {
            0 => i += 1,
            255 => return None,
            c => {
                let len = *bytes.get(i + 1)? as usize;
                if c == code {
                    return bytes.get(i + 2..i + 2 + len).map(<[u8]>::to_vec);
                }
                i += 2 + len;
            }
        }
    }
    None
}

/// Lease rows of a Kea CSV file for `addr` (latest last).
pub fn csv_rows_for(text: &str, addr: Ipv4Addr) -> Vec<Vec<String>> {
    let a = addr.to_string();
    text.lines()
        .filter(|l| l.split(',').next() == Some(a.as_str()))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

/// Sends the raw DHCPv4 query `q` from a relay's socket to `port` and returns the reply with
/// the same transaction id.
pub fn exchange4(sock: &UdpSocket, port: u16, q: &[u8]) -> Option<Vec<u8>> {
    sock.send_to(q, SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
        .unwrap();
    let end = Instant::now() + Duration::from_secs(3);
    let mut buf = [0u8; 4096];
    while Instant::now() < end {
        let Ok((n, _)) = sock.recv_from(&mut buf) else {
            break;
        };
        if buf.get(4..8) == q.get(4..8) {
            return Some(buf[..n].to_vec());
        }
    }
    None
}

/// The fixed part of a BOOTREQUEST as raw bytes, up to and including the
/// magic cookie: transaction `xid`, Ethernet `mac`, `hops` and `giaddr`
/// (0.0.0.0: not relayed), every other field zero. Tests that need exact
/// bytes (BOOTP clients, options compared with Kea) append options to it.
pub fn bootrequest(xid: u32, mac: [u8; 6], hops: u8, giaddr: Ipv4Addr) -> Vec<u8> {
    let mut m = vec![1, 1, 6, hops];
    m.extend(xid.to_be_bytes());
    m.extend([0; 4]); // secs, flags
    m.extend([0; 12]); // ciaddr, yiaddr, siaddr
    m.extend(giaddr.octets());
    m.extend(mac);
    m.extend([0; 10 + 64 + 128]); // rest of chaddr, sname, file
    m.extend([99, 130, 83, 99]);
    m
}
