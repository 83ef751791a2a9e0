//! `ruru probe`: a small diagnostic DHCP client, in the spirit of dhcping and
//! dhtest, for watching a server (ruru, Kea, any other) answer one client.
//!
//! - this module: the command-line value types, the checks that turn
//!   [`ProbeArgs`] into a [`Setup`] (a usage error exits 2), the
//!   send/wait/retransmit loop shared by both families ([`Session`]), and the
//!   report of an [`Outcome`] as text or JSON;
//! - [`v4`]: DISCOVER/OFFER/REQUEST/ACK, INFORM and RELEASE;
//! - [`v6`]: Solicit/Advertise/Request/Reply, Information-request and
//!   Release, in Relay-forward messages when playing a relay.
//!
//! Messages are built and decoded with `dhcproto`. Received datagrams are
//! checked first by the engine's own parsers (`ruru_engine::v4::packet`,
//! `ruru_engine::v6::packet`), which reject malformed options that
//! `dhcproto` would misread, and which read DHCPv6 relay messages (which
//! `dhcproto` cannot build or decode correctly).

pub mod v4;
pub mod v6;

use std::io;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};

use crate::cli::ProbeArgs;

/// Exit status: a lease (or an INFORM answer, or a release) was obtained.
pub const EXIT_OK: u8 = 0;
/// Exit status: a NAK, a refusal, no answer, a socket error.
pub const EXIT_FAILED: u8 = 1;
/// Exit status: a command-line usage error (as clap's own).
pub const EXIT_USAGE: u8 = 2;

/// The MAC address the probe uses with `--relay` when `--mac` is not given:
/// the first unicast address of the documentation block (RFC 7042 §2.1.2).
pub const DEFAULT_MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x53, 0x01];

/// The IAID of the probe's IA_NA and IA_PD, and of its RFC 4361 DHCPv4
/// client identifier.
pub const IAID: u32 = 1;

// ---------------------------------------------------------------------------
// Command-line values

/// A 6-octet hardware address (`--mac`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mac(pub [u8; 6]);

/// `aa:bb:cc:dd:ee:ff` (or with `-`).
pub fn parse_mac(s: &str) -> Result<Mac, String> {
    let bad = || format!("`{s}` is not a MAC address: expected e.g. 00:00:5e:00:53:01");
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(parts) {
        if p.is_empty() || p.len() > 2 {
            return Err(bad());
        }
        *m = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    Ok(Mac(mac))
}

/// Bytes given in hex (`--duid`, `--client-id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hex(pub Vec<u8>);

/// Kea's hex notations: `0a0b0c`, `0x0a0b0c`, `0a:0b:0c`; not empty.
pub fn parse_hex(s: &str) -> Result<Hex, String> {
    let b = ruru_config::options::decode_hex(s)?;
    if b.is_empty() {
        return Err("empty: expected at least one octet in hex".into());
    }
    Ok(Hex(b))
}

/// An option given as `CODE=HEX` (`--option`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption {
    pub code: u16,
    pub data: Vec<u8>,
}

/// `CODE=HEX`; the payload may be empty (`80=`).
pub fn parse_option(s: &str) -> Result<RawOption, String> {
    let (code, data) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected CODE=HEX, e.g. 77=68656c6c6f"))?;
    let code: u16 = code
        .trim()
        .parse()
        .map_err(|_| format!("`{code}` is not an option code (a number)"))?;
    let data = if data.trim().is_empty() {
        Vec::new()
    } else {
        ruru_config::options::decode_hex(data)?
    };
    Ok(RawOption { code, data })
}

/// Seconds, fractions allowed (`--timeout 0.5`).
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !(v.is_finite() && v > 0.0 && v <= 3600.0) {
        return Err(format!(
            "`{s}`: expected more than 0 and at most 3600 seconds"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

// ---------------------------------------------------------------------------
// The checked setup

/// How the probe reaches the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// As a relay agent at this local address.
    Relay(IpAddr),
    /// As a client on this interface.
    Interface { name: String, index: u32 },
}

/// What `ruru probe` does, checked for the family.
#[derive(Debug)]
pub struct Setup<'a> {
    pub args: &'a ProbeArgs,
    pub via: Via,
    /// Where requests go.
    pub server: SocketAddr,
    /// The port the probe listens on as a client.
    pub client_port: u16,
    pub mac: [u8; 6],
}

/// A command-line usage error (exit status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

fn usage<T>(msg: impl Into<String>) -> Result<T, Usage> {
    Err(Usage(msg.into()))
}

/// Checks the arguments that depend on the family, fills in the defaults.
pub fn setup(args: &ProbeArgs) -> Result<Setup<'_>, Usage> {
    let v6 = args.v6;
    let fam = if v6 { "DHCPv6 (-6)" } else { "DHCPv4" };
    let family_ok = |a: &IpAddr| a.is_ipv6() == v6;
    let hint = if v6 {
        "an IPv6 address"
    } else {
        "an IPv4 address (use -6 for DHCPv6)"
    };
    if let Some(a) = &args.relay {
        if !family_ok(a) {
            return usage(format!("--relay {a}: {fam} needs {hint}"));
        }
    }
    if let Some(a) = &args.server {
        if !family_ok(a) {
            return usage(format!("--server {a}: {fam} needs {hint}"));
        }
    }
    if let Some(a) = &args.request_address {
        if !family_ok(a) {
            return usage(format!("--request-address {a}: {fam} needs {hint}"));
        }
    }
    if v6 {
        if args.client_id.is_some() {
            return usage("--client-id is DHCPv4's option 61: with -6, the client is its --duid");
        }
        if args.hostname.is_some() {
            return usage("--hostname is DHCPv4's option 12: with -6, use --fqdn");
        }
        if args.server_id.is_some() {
            return usage("--server-id is for DHCPv4 (a DHCPv6 server is named by its DUID)");
        }
    } else {
        if args.prefix {
            return usage("--prefix asks for a DHCPv6 prefix: add -6");
        }
        if args.link_address.is_some() {
            return usage("--link-address is for a DHCPv6 relay: add -6");
        }
    }
    for o in &args.options {
        let max = if v6 { u16::MAX } else { 254 };
        if o.code == 0 || o.code > max {
            return usage(format!(
                "--option {}: {fam} option codes are 1 to {max}",
                o.code
            ));
        }
        if !v6 && o.data.len() > 255 {
            return usage(format!(
                "--option {}: a DHCPv4 option holds at most 255 octets",
                o.code
            ));
        }
    }
    if !v6 && args.release && args.request_address.is_some() && args.server_id.is_none() {
        let broadcast = args.relay.is_none() && args.server.is_none();
        if broadcast {
            return usage(
                "--release --request-address on an interface needs --server-id (or --server)",
            );
        }
    }
    let via = match (&args.relay, &args.interface) {
        (Some(a), None) => Via::Relay(*a),
        (None, Some(name)) => {
            let index = ruru_net::iface::index(name)
                .map_err(|e| Usage(format!("--interface {name}: {e}")))?;
            Via::Interface {
                name: name.clone(),
                index,
            }
        }
        _ => return usage("give one of --relay ADDR or --interface IFACE"),
    };
    let server_ip = match (&args.server, &via, v6) {
        (Some(a), _, _) => *a,
        (None, Via::Relay(_), false) => IpAddr::from([127, 0, 0, 1]),
        (None, Via::Relay(_), true) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        (None, Via::Interface { .. }, false) => IpAddr::from(std::net::Ipv4Addr::BROADCAST),
        (None, Via::Interface { .. }, true) => IpAddr::from(v6::ALL_DHCP_RELAY_AGENTS_AND_SERVERS),
    };
    let server_port = args.server_port.unwrap_or(if v6 { 547 } else { 67 });
    let server = match (server_ip, &via) {
        // A link-local or multicast destination needs the interface.
        (IpAddr::V6(a), Via::Interface { index, .. }) => {
            SocketAddr::V6(std::net::SocketAddrV6::new(a, server_port, 0, *index))
        }
        (a, _) => SocketAddr::new(a, server_port),
    };
    let client_port = args.client_port.unwrap_or(if v6 { 546 } else { 68 });
    let mac = match (&args.mac, &via) {
        (Some(m), _) => m.0,
        (None, Via::Relay(_)) => DEFAULT_MAC,
        (None, Via::Interface { name, .. }) => interface_mac(name).map_err(|e| {
            Usage(format!(
                "--interface {name}: no MAC address to use ({e}); give --mac"
            ))
        })?,
    };
    Ok(Setup {
        args,
        via,
        server,
        client_port,
        mac,
    })
}

/// The hardware address of an interface, from sysfs.
fn interface_mac(name: &str) -> Result<[u8; 6], String> {
    if name.contains('/') || name.starts_with('.') {
        return Err("not an interface name".into());
    }
    let path = format!("/sys/class/net/{name}/address");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    match parse_mac(text.trim()) {
        Ok(m) if m.0 != [0; 6] => Ok(m.0),
        _ => Err(format!("{path}: not an Ethernet address: {}", text.trim())),
    }
}

/// Runs the probe; returns the exit status.
pub fn run(args: &ProbeArgs) -> u8 {
    let s = match setup(args) {
        Ok(s) => s,
        Err(Usage(msg)) => {
            eprintln!("ruru probe: {msg}");
            return EXIT_USAGE;
        }
    };
    let outcome = if args.v6 { v6::run(&s) } else { v4::run(&s) };
    let outcome = match outcome {
        Ok(o) => o,
        Err(Usage(msg)) => {
            eprintln!("ruru probe: {msg}");
            return EXIT_USAGE;
        }
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome.to_json()).unwrap_or_default()
        );
    } else {
        print!("{}\n{}", header(&s), outcome.to_text());
    }
    if let Verdict::Error(e) = &outcome.verdict {
        eprintln!("ruru probe: {e}");
    }
    outcome.verdict.exit_status()
}

/// The first line of the text report: who talks to whom.
fn header(s: &Setup<'_>) -> String {
    let fam = if s.args.v6 { "DHCPv6" } else { "DHCPv4" };
    let via = match &s.via {
        Via::Relay(a) => format!("relay agent {a}"),
        Via::Interface { name, .. } => format!("client on {name}"),
    };
    format!(
        "ruru probe: {fam} {via} -> {}, hardware address {}",
        s.server,
        ruru_engine::v4::hex(&s.mac)
    )
}

// ---------------------------------------------------------------------------
// Sockets and the exchange

/// One received datagram.
#[derive(Debug, Clone)]
pub struct Datagram {
    pub bytes: Vec<u8>,
    pub from: SocketAddr,
    pub at: Instant,
}

/// What the family code makes of a datagram while waiting for an answer.
#[derive(Debug)]
pub enum Heard<T> {
    /// The awaited answer, with its name (DHCPOFFER) and a summary for the
    /// exchange log.
    Answer {
        value: T,
        what: String,
        detail: String,
    },
    /// Not for us (another transaction); not logged.
    Other,
    /// Not usable (malformed): logged with the reason.
    Ignored(String),
}

/// One line of the exchange log.
#[derive(Debug, Clone)]
pub struct Event {
    /// Since the probe started.
    pub at: Duration,
    pub kind: EventKind,
    /// The message name (DHCPDISCOVER, SOLICIT) or `datagram`.
    pub what: String,
    /// The destination of a sent message, the source of a received one.
    pub peer: SocketAddr,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Sent,
    Received,
    Ignored,
}

impl EventKind {
    fn name(self) -> &'static str {
        match self {
            EventKind::Sent => "sent",
            EventKind::Received => "received",
            EventKind::Ignored => "ignored",
        }
    }
}

/// The sockets of one probe run and its exchange log. Every socket has a
/// reader thread that passes datagrams (with their arrival time) to one
/// channel, so that answers arriving at another socket than the one that
/// sent (an INFORM answer at ciaddr) are timed as precisely.
pub struct Session {
    /// The socket requests are sent from.
    out: UdpSocket,
    rx: mpsc::Receiver<Datagram>,
    /// Tells the reader threads to end (they poll it between reads).
    stop: Arc<AtomicBool>,
    start: Instant,
    timeout: Duration,
    retries: u32,
    pub events: Vec<Event>,
}

impl Session {
    /// Starts reading `out` and the `also` sockets.
    pub fn new(
        out: UdpSocket,
        also: Vec<UdpSocket>,
        timeout: Duration,
        retries: u32,
    ) -> io::Result<Session> {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut readers = vec![out.try_clone()?];
        readers.extend(also);
        for sock in readers {
            sock.set_read_timeout(Some(Duration::from_millis(100)))?;
            let tx = tx.clone();
            let stop = stop.clone();
            std::thread::spawn(move || read_loop(&sock, &tx, &stop));
        }
        Ok(Session {
            out,
            rx,
            stop,
            start: Instant::now(),
            timeout,
            retries,
            events: Vec::new(),
        })
    }

    /// Time since the probe started.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn log(&mut self, at: Instant, kind: EventKind, what: &str, peer: SocketAddr, detail: String) {
        self.events.push(Event {
            at: at.saturating_duration_since(self.start),
            kind,
            what: what.to_string(),
            peer,
            detail,
        });
    }

    /// Sends one message that gets no answer (a RELEASE).
    pub fn tell(
        &mut self,
        to: SocketAddr,
        what: &str,
        detail: String,
        bytes: &[u8],
    ) -> io::Result<()> {
        self.out.send_to(bytes, to).map_err(|e| sending(to, e))?;
        self.log(Instant::now(), EventKind::Sent, what, to, detail);
        Ok(())
    }

    /// Sends `build(time since the first transmission)` to `to` and waits
    /// for a datagram that `judge` takes as the answer, sending again after
    /// each `timeout`, `retries` times. `Ok(None)`: no answer.
    pub fn ask<T>(
        &mut self,
        to: SocketAddr,
        what: &str,
        detail: String,
        build: impl Fn(Duration) -> Vec<u8>,
        mut judge: impl FnMut(&Datagram) -> Heard<T>,
    ) -> io::Result<Option<T>> {
        let first = Instant::now();
        for attempt in 0..=self.retries {
            let bytes = build(first.elapsed());
            self.out.send_to(&bytes, to).map_err(|e| sending(to, e))?;
            let note = if attempt == 0 {
                detail.clone()
            } else {
                format!("{detail} (again, {} of {})", attempt + 1, self.retries + 1)
            };
            self.log(Instant::now(), EventKind::Sent, what, to, note);
            let deadline = Instant::now() + self.timeout;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let d = match self.rx.recv_timeout(left) {
                    Ok(d) => d,
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        return Err(io::Error::other("the sockets stopped receiving"));
                    }
                };
                match judge(&d) {
                    Heard::Answer {
                        value,
                        what,
                        detail,
                    } => {
                        self.log(d.at, EventKind::Received, &what, d.from, detail);
                        return Ok(Some(value));
                    }
                    Heard::Other => {}
                    Heard::Ignored(why) => {
                        self.log(d.at, EventKind::Ignored, "datagram", d.from, why);
                    }
                }
            }
        }
        Ok(None)
    }

    /// How long `ask` waits in all before giving up, for messages.
    pub fn patience(&self) -> String {
        let tries = self.retries + 1;
        format!(
            "{tries} {}, {} s each",
            if tries == 1 { "try" } else { "tries" },
            self.timeout.as_secs_f64()
        )
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn sending(to: SocketAddr, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("send to {to}: {e}"))
}

fn read_loop(sock: &UdpSocket, tx: &mpsc::Sender<Datagram>, stop: &AtomicBool) {
    let mut buf = vec![0u8; 65536];
    while !stop.load(Ordering::Relaxed) {
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                let d = Datagram {
                    bytes: buf[..n].to_vec(),
                    from,
                    at: Instant::now(),
                };
                if tx.send(d).is_err() {
                    return;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            // E.g. an ICMP error reported on the socket: keep listening,
            // without spinning.
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// Binds a UDP socket, naming the address and what needs it in the error.
pub fn bind(addr: SocketAddr, why: &str) -> Result<UdpSocket, String> {
    UdpSocket::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::PermissionDenied => {
                " (ports below 1024 need root or CAP_NET_BIND_SERVICE)"
            }
            io::ErrorKind::AddrNotAvailable => " (not an address of this host)",
            io::ErrorKind::AddrInUse => " (another program, e.g. a DHCP server or client, has it)",
            _ => "",
        };
        format!("cannot listen at {addr} {why}: {e}{hint}")
    })
}

/// A random transaction id (no cryptographic strength needed).
pub fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.write_u32(std::process::id());
    h.finish() as u32
}

// ---------------------------------------------------------------------------
// The outcome and its report

/// How the probe ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A lease was obtained (DHCPACK, or a DHCPv6 Reply with an address or prefix).
    Lease,
    /// An answer to an INFORM / Information-request.
    Informed,
    /// The lease was released.
    Released,
    /// DHCPNAK, with the server's message.
    Nak(String),
    /// A DHCPv6 status code other than Success.
    Refused(String),
    /// No answer to this message.
    NoReply(String),
    /// A socket error.
    Error(String),
}

impl Verdict {
    pub fn exit_status(&self) -> u8 {
        match self {
            Verdict::Lease | Verdict::Informed | Verdict::Released => EXIT_OK,
            _ => EXIT_FAILED,
        }
    }

    /// The `result` of the JSON report.
    fn key(&self) -> &'static str {
        match self {
            Verdict::Lease => "lease",
            Verdict::Informed => "inform",
            Verdict::Released => "released",
            Verdict::Nak(_) => "nak",
            Verdict::Refused(_) => "refused",
            Verdict::NoReply(_) => "no-reply",
            Verdict::Error(_) => "error",
        }
    }

    /// What went wrong, in words.
    fn error(&self) -> Option<&str> {
        match self {
            Verdict::Nak(m) | Verdict::Refused(m) | Verdict::NoReply(m) | Verdict::Error(m) => {
                Some(m)
            }
            _ => None,
        }
    }
}

/// One value of the lease, in both forms.
#[derive(Debug, Clone)]
pub struct Field {
    /// JSON key (Kea's lease names where there is one: ip-address, valid-lft).
    pub key: &'static str,
    /// Text label.
    pub label: &'static str,
    pub text: String,
    pub json: Value,
}

impl Field {
    pub fn text(key: &'static str, label: &'static str, v: impl ToString) -> Field {
        let v = v.to_string();
        Field {
            key,
            label,
            json: Value::String(v.clone()),
            text: v,
        }
    }

    pub fn seconds(key: &'static str, label: &'static str, v: u32) -> Field {
        Field {
            key,
            label,
            text: format!("{v} s"),
            json: json!(v),
        }
    }
}

/// One option of the final reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionLine {
    pub code: u16,
    /// dhcproto's name of the option type (`DomainNameServer`), or `unknown`.
    pub name: String,
    pub value: String,
}

/// The result of one probe run.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    pub family: u8,
    pub fields: Vec<Field>,
    pub options: Vec<OptionLine>,
    pub events: Vec<Event>,
}

impl Outcome {
    pub fn new(family: u8, verdict: Verdict, events: Vec<Event>) -> Outcome {
        Outcome {
            verdict,
            family,
            fields: Vec::new(),
            options: Vec::new(),
            events,
        }
    }

    /// The text report (after the header line).
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut t = String::new();
        let wide = self.events.iter().map(|e| e.what.len()).max().unwrap_or(0);
        for e in &self.events {
            let dir = match e.kind {
                EventKind::Sent => "to  ",
                EventKind::Received | EventKind::Ignored => "from",
            };
            let _ = writeln!(
                t,
                "{:>9.1} ms  {:<8}  {:<wide$}  {dir} {}{}",
                e.at.as_secs_f64() * 1000.0,
                e.kind.name(),
                e.what,
                e.peer,
                if e.detail.is_empty() {
                    String::new()
                } else {
                    format!("  {}", e.detail)
                },
            );
        }
        match &self.verdict {
            Verdict::Lease => t.push_str("lease:\n"),
            Verdict::Informed => t.push_str("configuration (no lease):\n"),
            Verdict::Released => t.push_str("released:\n"),
            v => {
                let _ = writeln!(t, "failed: {}", v.error().unwrap_or_default());
            }
        }
        let wide = self.fields.iter().map(|f| f.label.len()).max().unwrap_or(0);
        for f in &self.fields {
            for (i, line) in f.text.lines().enumerate() {
                let label = if i == 0 { f.label } else { "" };
                let _ = writeln!(t, "  {label:<wide$}  {line}");
            }
        }
        if !self.options.is_empty() {
            t.push_str("options:\n");
            let names: Vec<String> = self
                .options
                .iter()
                .map(|o| format!("{} ({})", o.name, o.code))
                .collect();
            let wide = names.iter().map(String::len).max().unwrap_or(0);
            for (o, n) in self.options.iter().zip(names) {
                let _ = writeln!(t, "  {n:<wide$}  {}", o.value);
            }
        }
        t
    }

    /// The `--json` report.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("result".into(), json!(self.verdict.key()));
        m.insert("family".into(), json!(self.family));
        if let Some(e) = self.verdict.error() {
            m.insert("error".into(), json!(e));
        }
        for f in &self.fields {
            m.insert(f.key.into(), f.json.clone());
        }
        m.insert(
            "options".into(),
            Value::Array(
                self.options
                    .iter()
                    .map(|o| json!({"code": o.code, "name": o.name, "value": o.value}))
                    .collect(),
            ),
        );
        m.insert(
            "exchange".into(),
            Value::Array(
                self.events
                    .iter()
                    .map(|e| {
                        json!({
                            "ms": (e.at.as_secs_f64() * 1e4).round() / 10.0,
                            "event": e.kind.name(),
                            "message": e.what,
                            "peer": e.peer.to_string(),
                            "detail": e.detail,
                        })
                    })
                    .collect(),
            ),
        );
        Value::Object(m)
    }
}

/// Text when every octet is printable ASCII, else hex.
pub fn text_or_hex(b: &[u8]) -> String {
    if !b.is_empty() && b.iter().all(|c| (0x20..0x7f).contains(c)) {
        String::from_utf8_lossy(b).into_owned()
    } else {
        ruru_engine::v4::hex(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_values() {
        assert_eq!(
            parse_mac("00:00:5e:00:53:0a"),
            Ok(Mac([0, 0, 0x5e, 0, 0x53, 0x0a]))
        );
        assert_eq!(
            parse_mac("0-0-5e-0-53-a"),
            Ok(Mac([0, 0, 0x5e, 0, 0x53, 0x0a]))
        );
        assert!(parse_mac("00:00:5e:00:53").is_err());
        assert!(parse_mac("00:00:5e:00:53:100").is_err());
        assert!(parse_mac("zz:00:5e:00:53:01").is_err());
        assert_eq!(parse_hex("01:aa:bb"), Ok(Hex(vec![1, 0xaa, 0xbb])));
        assert_eq!(parse_hex("0x01aabb"), Ok(Hex(vec![1, 0xaa, 0xbb])));
        assert!(parse_hex("").is_err());
        assert!(parse_hex("xyz").is_err());
        assert_eq!(
            parse_option("77=68656c6c6f"),
            Ok(RawOption {
                code: 77,
                data: b"hello".to_vec()
            })
        );
        assert_eq!(
            parse_option("80="),
            Ok(RawOption {
                code: 80,
                data: vec![]
            })
        );
        assert!(parse_option("77").is_err());
        assert!(parse_option("x=00").is_err());
        assert!(parse_option("70000=00").is_err());
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("NaN").is_err());
        assert!(parse_seconds("1e9").is_err());
    }

    #[test]
    fn text_and_json_reports() {
        let peer: SocketAddr = "127.0.0.1:1067".parse().unwrap();
        let mut o = Outcome::new(
            4,
            Verdict::Lease,
            vec![Event {
                at: Duration::from_micros(1500),
                kind: EventKind::Received,
                what: "DHCPACK".into(),
                peer,
                detail: "192.0.2.100".into(),
            }],
        );
        o.fields
            .push(Field::text("ip-address", "address", "192.0.2.100"));
        o.fields
            .push(Field::seconds("valid-lft", "valid lifetime", 3600));
        o.options.push(OptionLine {
            code: 3,
            name: "Router".into(),
            value: "192.0.2.1".into(),
        });
        let t = o.to_text();
        assert!(
            t.contains("      1.5 ms  received  DHCPACK  from 127.0.0.1:1067  192.0.2.100"),
            "{t}"
        );
        assert!(t.contains("  valid lifetime  3600 s"), "{t}");
        assert!(t.contains("  Router (3)  192.0.2.1"), "{t}");
        let j = o.to_json();
        assert_eq!(j["result"], "lease");
        assert_eq!(j["ip-address"], "192.0.2.100");
        assert_eq!(j["valid-lft"], 3600);
        assert_eq!(j["options"][0]["name"], "Router");
        assert_eq!(j["exchange"][0]["ms"], 1.5);
        assert!(j.get("error").is_none());
        let f = Outcome::new(4, Verdict::NoReply("no answer".into()), vec![]);
        assert_eq!(f.to_json()["error"], "no answer");
        assert_eq!(f.verdict.exit_status(), EXIT_FAILED);
        assert!(f.to_text().contains("failed: no answer"));
    }

    #[test]
    fn printable_text_else_hex() {
        assert_eq!(text_or_hex(b"docsis3.0"), "docsis3.0");
        assert_eq!(text_or_hex(&[1, 2]), "01:02");
        assert_eq!(text_or_hex(b""), "");
    }
}
