//! DHCPv6 for `ruru probe`: Solicit/Advertise/Request/Reply (RFC 8415
//! §18.2.1–§18.2.2), Information-request (§18.2.6) and Release (§18.2.7).
//!
//! As a relay agent the probe wraps each message in a Relay-forward
//! (link-address `--link-address`, peer-address the link-local address
//! derived from `--mac`) sent from `[ADDR]:547`, and reads the Relay-reply
//! the server sends back there (§9). The relay messages are built and read by
//! `ruru_engine::v6::packet`, because `dhcproto` cannot build a Relay-forward
//! and decodes the Relay Message option as a relay message. As a client on
//! an interface it sends from port 546 to `ff02::1:2` port 547.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::time::Duration;

use dhcproto::v6::{
    self, DhcpOption, DhcpOptions, IAAddr, IAPrefix, MessageType, OptionCode, Status, IANA, IAPD,
    ORO,
};
use dhcproto::{Encodable, Encoder};
use serde_json::json;

use super::{
    bind, random_u32, text_or_hex, Field, Heard, OptionLine, Outcome, Session, Setup, Usage,
    Verdict, Via, IAID,
};

/// All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1).
pub const ALL_DHCP_RELAY_AGENTS_AND_SERVERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2);

/// What the probe asks for (Option Request), unless `--option 6=...`
/// replaces it.
const ASKED: &[OptionCode] = &[
    OptionCode::DomainNameServers,
    OptionCode::DomainSearchList,
    OptionCode::SntpServers,
    OptionCode::InformationRefreshTime,
];

/// Runs the DHCPv6 probe.
pub fn run(s: &Setup<'_>) -> Result<Outcome, Usage> {
    let a = s.args;
    let c = Client::new(s)?;
    let out = match socket(s) {
        Ok(x) => x,
        Err(e) => return Ok(Outcome::new(6, Verdict::Error(e), Vec::new())),
    };
    let mut session = match Session::new(out, Vec::new(), a.timeout, a.retries) {
        Ok(x) => x,
        Err(e) => return Ok(Outcome::new(6, Verdict::Error(e.to_string()), Vec::new())),
    };
    let result = if a.inform {
        c.inform(&mut session)
    } else {
        c.sarr(&mut session).and_then(|(mut o, lease)| {
            if let (true, Some(lease)) = (a.release, lease) {
                o.verdict = c.release(&mut session, &lease)?;
            }
            Ok(o)
        })
    };
    let mut outcome =
        result.unwrap_or_else(|e| Outcome::new(6, Verdict::Error(e.to_string()), Vec::new()));
    outcome.events = std::mem::take(&mut session.events);
    Ok(outcome)
}

/// The socket to send from (and to receive at).
fn socket(s: &Setup<'_>) -> Result<UdpSocket, String> {
    match &s.via {
        Via::Relay(relay) => bind(
            SocketAddr::new(*relay, 547),
            "as the relay agent (servers answer relays at port 547)",
        ),
        Via::Interface { name, index } => {
            use socket2::{Domain, Protocol, Socket, Type};
            let at = SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::UNSPECIFIED,
                s.client_port,
                0,
                0,
            ));
            let err = |what: &str, e: std::io::Error| format!("{name}: {what}: {e}");
            let sock = Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))
                .map_err(|e| err("socket", e))?;
            sock.set_only_v6(true).map_err(|e| err("IPV6_V6ONLY", e))?;
            sock.set_reuse_address(true)
                .map_err(|e| err("SO_REUSEADDR", e))?;
            sock.bind_device(Some(name.as_bytes()))
                .map_err(|e| err("SO_BINDTODEVICE (needs root)", e))?;
            sock.set_multicast_if_v6(*index)
                .map_err(|e| err("IPV6_MULTICAST_IF", e))?;
            sock.bind(&at.into())
                .map_err(|e| err(&format!("bind {at} (needs root)"), e))?;
            Ok(sock.into())
        }
    }
}

/// What a Reply granted: the IAs to release.
#[derive(Debug, Clone)]
struct Lease {
    server_duid: Vec<u8>,
    addresses: Vec<Ipv6Addr>,
    prefixes: Vec<(Ipv6Addr, u8)>,
}

/// The probe's identity and message builder.
struct Client<'a> {
    s: &'a Setup<'a>,
    xid: [u8; 3],
    duid: Vec<u8>,
    /// Relay-forward addresses, when playing a relay.
    relay: Option<(Ipv6Addr, Ipv6Addr)>,
    /// Option 39 payload (RFC 4704 §4).
    fqdn: Option<Vec<u8>>,
    /// Option 16 payload (RFC 8415 §21.16).
    vendor_class: Option<Vec<u8>>,
}

impl<'a> Client<'a> {
    fn new(s: &'a Setup<'a>) -> Result<Client<'a>, Usage> {
        let a = s.args;
        let duid = match &a.duid {
            Some(d) => d.0.clone(),
            // DUID-LL (RFC 8415 §11.4): type 3, hardware type 1 (Ethernet).
            None => {
                let mut d = vec![0, 3, 0, 1];
                d.extend_from_slice(&s.mac);
                d
            }
        };
        let relay = match (&s.via, a.link_address) {
            (Via::Relay(IpAddr::V6(r)), link) => Some((link.unwrap_or(*r), link_local(&s.mac))),
            _ => None,
        };
        let fqdn = match &a.fqdn {
            Some(name) => {
                // Flags: S, the server updates the AAAA record.
                let mut p = vec![0x01];
                ruru_config::options::encode_fqdn(name, &mut p)
                    .map_err(|e| Usage(format!("--fqdn: {e}")))?;
                Some(p)
            }
            None => None,
        };
        let vendor_class = match &a.vendor_class {
            Some(v) => Some(vendor_class(v)?),
            None => None,
        };
        let x = random_u32().to_be_bytes();
        Ok(Client {
            s,
            xid: [x[1], x[2], x[3]],
            duid,
            relay,
            fqdn,
            vendor_class,
        })
    }

    fn xid_num(&self) -> u32 {
        u32::from_be_bytes([0, self.xid[0], self.xid[1], self.xid[2]])
    }

    /// A message of type `t` with `extra` options; `elapsed` since the
    /// client began (RFC 8415 §21.9), wrapped for the relay when there is one.
    fn message(&self, t: MessageType, elapsed: Duration, extra: Vec<DhcpOption>) -> Vec<u8> {
        let a = self.s.args;
        let mut m = v6::Message::new_with_id(t, self.xid);
        let o = m.opts_mut();
        o.insert(DhcpOption::ClientId(self.duid.clone()));
        let hundredths = u16::try_from(elapsed.as_millis() / 10).unwrap_or(u16::MAX);
        o.insert(DhcpOption::ElapsedTime(hundredths));
        if t != MessageType::Release {
            o.insert(DhcpOption::ORO(ORO {
                opts: ASKED.to_vec(),
            }));
            if let Some(v) = &self.vendor_class {
                o.insert(unknown(16, v.clone()));
            }
            if let Some(f) = &self.fqdn {
                o.insert(unknown(39, f.clone()));
            }
        }
        for x in extra {
            o.insert(x);
        }
        // `--option`: replaces what the probe set for the same code.
        for r in &a.options {
            let code = OptionCode::from(r.code);
            while o.remove(code).is_some() {}
            o.insert(unknown(r.code, r.data.clone()));
        }
        let mut buf = Vec::new();
        // Encoding into a Vec does not fail for what the probe builds.
        let _ = m.encode(&mut Encoder::new(&mut buf));
        match self.relay {
            Some((link, peer)) => {
                ruru_engine::v6::packet::wrap_relay_forward(&buf, link, peer, None)
            }
            None => buf,
        }
    }

    /// Takes a datagram as an answer of one of `types` to this client.
    fn judge(&self, d: &super::Datagram, types: &[MessageType]) -> Heard<v6::Message> {
        let m = match ruru_engine::v6::packet::parse_reply(&d.bytes) {
            Ok((_, m)) => m,
            Err(e) => return Heard::Ignored(format!("not a DHCPv6 message: {e}")),
        };
        if m.xid() != self.xid {
            return Heard::Other;
        }
        if !types.contains(&m.msg_type()) {
            return Heard::Ignored(format!("unexpected {}", name(m.msg_type())));
        }
        if let Some(DhcpOption::ClientId(c)) = m.opts().get(OptionCode::ClientId) {
            if *c != self.duid {
                return Heard::Other;
            }
        }
        Heard::Answer {
            what: name(m.msg_type()),
            detail: summary(&m),
            value: m,
        }
    }

    fn no_reply(&self, session: &Session, what: &str) -> Outcome {
        // A server drops a relayed message whose link matches no subnet.
        let hint = match (self.relay, self.s.args.link_address) {
            (Some((link, _)), None) => format!(
                "; the link-address is the relay address {link}: if no subnet matches it, \
give --link-address"
            ),
            (Some((link, _)), Some(_)) => {
                format!("; does a subnet match the link-address {link}?")
            }
            (None, _) => String::new(),
        };
        Outcome::new(
            6,
            Verdict::NoReply(format!(
                "no answer to {what} from {} ({}){hint}",
                self.s.server,
                session.patience()
            )),
            Vec::new(),
        )
    }

    /// The IA_NA (and IA_PD) of a Solicit, with the address hint.
    fn ias(&self) -> Vec<DhcpOption> {
        let mut na = DhcpOptions::new();
        if let Some(IpAddr::V6(hint)) = self.s.args.request_address {
            na.insert(DhcpOption::IAAddr(IAAddr {
                addr: hint,
                preferred_life: 0,
                valid_life: 0,
                opts: DhcpOptions::new(),
            }));
        }
        let mut v = vec![DhcpOption::IANA(IANA {
            id: IAID,
            t1: 0,
            t2: 0,
            opts: na,
        })];
        if self.s.args.prefix {
            v.push(DhcpOption::IAPD(IAPD {
                id: IAID,
                t1: 0,
                t2: 0,
                opts: DhcpOptions::new(),
            }));
        }
        v
    }

    /// SOLICIT, ADVERTISE, REQUEST, REPLY.
    fn sarr(&self, session: &mut Session) -> std::io::Result<(Outcome, Option<Lease>)> {
        let start = session.elapsed();
        let hint = match self.s.args.request_address {
            Some(a) => format!(", asks for {a}"),
            None => String::new(),
        };
        let adv = session.ask(
            self.s.server,
            "SOLICIT",
            format!("xid 0x{:06x}{hint}", self.xid_num()),
            |since| self.message(MessageType::Solicit, start + since, self.ias()),
            |d| self.judge(d, &[MessageType::Advertise, MessageType::Reply]),
        )?;
        let Some(adv) = adv else {
            return Ok((self.no_reply(session, "SOLICIT"), None));
        };
        let offered = granted(&adv);
        if let Some(why) = refusal(&adv, &offered) {
            return Ok((self.fail(&adv, why), None));
        }
        let server_duid = match adv.opts().get(OptionCode::ServerId) {
            Some(DhcpOption::ServerId(d)) => d.clone(),
            _ => Vec::new(),
        };
        let reply = if adv.msg_type() == MessageType::Reply {
            // Rapid Commit (only when asked for with --option 14=).
            Some(adv)
        } else {
            let mut extra = vec![DhcpOption::ServerId(server_duid.clone())];
            extra.extend(request_ias(&offered));
            session.ask(
                self.s.server,
                "REQUEST",
                offered.describe(),
                |since| self.message(MessageType::Request, start + since, extra.clone()),
                |d| self.judge(d, &[MessageType::Reply]),
            )?
        };
        let Some(reply) = reply else {
            return Ok((self.no_reply(session, "REQUEST"), None));
        };
        let got = granted(&reply);
        if let Some(why) = refusal(&reply, &got) {
            return Ok((self.fail(&reply, why), None));
        }
        let mut o = Outcome::new(6, Verdict::Lease, Vec::new());
        o.fields = self.lease_fields(&reply, &got);
        o.options = options(&reply);
        let lease = Lease {
            server_duid,
            addresses: got.addresses.iter().map(|a| a.addr).collect(),
            prefixes: got
                .prefixes
                .iter()
                .map(|p| (p.prefix_ip, p.prefix_len))
                .collect(),
        };
        Ok((o, Some(lease)))
    }

    /// RELEASE, REPLY.
    fn release(&self, session: &mut Session, lease: &Lease) -> std::io::Result<Verdict> {
        let start = session.elapsed();
        let mut extra = vec![DhcpOption::ServerId(lease.server_duid.clone())];
        let g = Granted {
            addresses: lease
                .addresses
                .iter()
                .map(|a| IAAddr {
                    addr: *a,
                    preferred_life: 0,
                    valid_life: 0,
                    opts: DhcpOptions::new(),
                })
                .collect(),
            prefixes: lease
                .prefixes
                .iter()
                .map(|(p, l)| IAPrefix {
                    preferred_lifetime: 0,
                    valid_lifetime: 0,
                    prefix_len: *l,
                    prefix_ip: *p,
                    opts: DhcpOptions::new(),
                })
                .collect(),
            ..Granted::default()
        };
        extra.extend(request_ias(&g));
        let reply = session.ask(
            self.s.server,
            "RELEASE",
            g.describe(),
            |since| self.message(MessageType::Release, start + since, extra.clone()),
            |d| self.judge(d, &[MessageType::Reply]),
        )?;
        Ok(match reply {
            None => Verdict::NoReply(format!(
                "no answer to RELEASE from {} ({})",
                self.s.server,
                session.patience()
            )),
            Some(r) => match status(r.opts()) {
                Some((Status::Success, _)) | None => Verdict::Released,
                Some((st, msg)) => Verdict::Refused(format!("RELEASE: {st:?}: {msg}")),
            },
        })
    }

    /// INFORMATION-REQUEST, REPLY.
    fn inform(&self, session: &mut Session) -> std::io::Result<Outcome> {
        let start = session.elapsed();
        let reply = session.ask(
            self.s.server,
            "INFORMATION-REQUEST",
            format!("xid 0x{:06x}", self.xid_num()),
            |since| self.message(MessageType::InformationRequest, start + since, Vec::new()),
            |d| self.judge(d, &[MessageType::Reply]),
        )?;
        let Some(reply) = reply else {
            return Ok(self.no_reply(session, "INFORMATION-REQUEST"));
        };
        if let Some((st, msg)) = status(reply.opts()).filter(|(s, _)| *s != Status::Success) {
            return Ok(self.fail(&reply, format!("{st:?}: {msg}")));
        }
        let mut o = Outcome::new(6, Verdict::Informed, Vec::new());
        o.fields = vec![Field::text(
            "duid",
            "DUID",
            ruru_engine::v4::hex(&self.duid),
        )];
        if let Some(DhcpOption::ServerId(d)) = reply.opts().get(OptionCode::ServerId) {
            o.fields.push(Field::text(
                "server-duid",
                "server DUID",
                ruru_engine::v4::hex(d),
            ));
        }
        o.options = options(&reply);
        Ok(o)
    }

    fn fail(&self, m: &v6::Message, why: String) -> Outcome {
        let mut o = Outcome::new(
            6,
            Verdict::Refused(format!("{}: {why}", name(m.msg_type()))),
            Vec::new(),
        );
        o.options = options(m);
        o
    }

    fn lease_fields(&self, reply: &v6::Message, g: &Granted) -> Vec<Field> {
        let mut f = Vec::new();
        if let Some(a) = g.addresses.first() {
            f.push(Field::text("ip-address", "address", a.addr));
            f.push(Field::seconds(
                "preferred-lft",
                "preferred lifetime",
                a.preferred_life,
            ));
            f.push(Field::seconds("valid-lft", "valid lifetime", a.valid_life));
        }
        if g.addresses.len() > 1 {
            f.push(Field {
                key: "ip-addresses",
                label: "addresses",
                text: g
                    .addresses
                    .iter()
                    .map(|a| {
                        format!(
                            "{} (preferred {} s, valid {} s)",
                            a.addr, a.preferred_life, a.valid_life
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                json: json!(g
                    .addresses
                    .iter()
                    .map(|a| json!({
                        "address": a.addr.to_string(),
                        "preferred-lft": a.preferred_life,
                        "valid-lft": a.valid_life,
                    }))
                    .collect::<Vec<_>>()),
            });
        }
        if !g.prefixes.is_empty() {
            f.push(Field {
                key: "prefixes",
                label: "prefixes",
                text: g
                    .prefixes
                    .iter()
                    .map(|p| {
                        format!(
                            "{}/{} (preferred {} s, valid {} s)",
                            p.prefix_ip, p.prefix_len, p.preferred_lifetime, p.valid_lifetime
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
                json: json!(g
                    .prefixes
                    .iter()
                    .map(|p| json!({
                        "prefix": p.prefix_ip.to_string(),
                        "prefix-len": p.prefix_len,
                        "preferred-lft": p.preferred_lifetime,
                        "valid-lft": p.valid_lifetime,
                    }))
                    .collect::<Vec<_>>()),
            });
        }
        if let Some((t1, t2)) = g.timers {
            f.push(Field::seconds("renew-timer", "renew (T1)", t1));
            f.push(Field::seconds("rebind-timer", "rebind (T2)", t2));
        }
        f.push(Field {
            key: "iaid",
            label: "IAID",
            text: IAID.to_string(),
            json: json!(IAID),
        });
        f.push(Field::text(
            "duid",
            "DUID",
            ruru_engine::v4::hex(&self.duid),
        ));
        if let Some(DhcpOption::ServerId(d)) = reply.opts().get(OptionCode::ServerId) {
            f.push(Field::text(
                "server-duid",
                "server DUID",
                ruru_engine::v4::hex(d),
            ));
        }
        f
    }
}

/// The addresses and prefixes of an Advertise or Reply, and why IAs came
/// back empty.
#[derive(Debug, Default, Clone)]
struct Granted {
    addresses: Vec<IAAddr>,
    prefixes: Vec<IAPrefix>,
    /// T1 and T2 of the first IA_NA with an address.
    timers: Option<(u32, u32)>,
    /// Status codes of IAs without a lease.
    refusals: Vec<String>,
}

impl Granted {
    fn describe(&self) -> String {
        let mut v: Vec<String> = self.addresses.iter().map(|a| a.addr.to_string()).collect();
        v.extend(
            self.prefixes
                .iter()
                .map(|p| format!("{}/{}", p.prefix_ip, p.prefix_len)),
        );
        v.join(", ")
    }
}

fn granted(m: &v6::Message) -> Granted {
    let mut g = Granted::default();
    for o in m.opts().iter() {
        match o {
            DhcpOption::IANA(ia) => {
                let before = g.addresses.len();
                for x in ia.opts.iter() {
                    if let DhcpOption::IAAddr(a) = x {
                        g.addresses.push(a.clone());
                    }
                }
                if g.addresses.len() > before {
                    g.timers.get_or_insert((ia.t1, ia.t2));
                } else if let Some((st, msg)) = status(&ia.opts) {
                    g.refusals.push(format!("IA_NA {st:?}: {msg}"));
                }
            }
            DhcpOption::IAPD(ia) => {
                let before = g.prefixes.len();
                for x in ia.opts.iter() {
                    if let DhcpOption::IAPrefix(p) = x {
                        g.prefixes.push(p.clone());
                    }
                }
                if g.prefixes.len() == before {
                    if let Some((st, msg)) = status(&ia.opts) {
                        g.refusals.push(format!("IA_PD {st:?}: {msg}"));
                    }
                }
            }
            _ => {}
        }
    }
    g
}

/// Why an Advertise or Reply grants nothing, if it does not.
fn refusal(m: &v6::Message, g: &Granted) -> Option<String> {
    if let Some((st, msg)) = status(m.opts()).filter(|(s, _)| *s != Status::Success) {
        return Some(format!("{st:?}: {msg}"));
    }
    if g.addresses.is_empty() && g.prefixes.is_empty() {
        return Some(if g.refusals.is_empty() {
            "no address or prefix in the answer".to_string()
        } else {
            g.refusals.join("; ")
        });
    }
    None
}

/// The IA_NA and IA_PD that ask for what was offered (or release what was
/// granted).
fn request_ias(g: &Granted) -> Vec<DhcpOption> {
    let mut v = Vec::new();
    if !g.addresses.is_empty() {
        let mut opts = DhcpOptions::new();
        for a in &g.addresses {
            opts.insert(DhcpOption::IAAddr(IAAddr {
                opts: DhcpOptions::new(),
                ..a.clone()
            }));
        }
        v.push(DhcpOption::IANA(IANA {
            id: IAID,
            t1: 0,
            t2: 0,
            opts,
        }));
    }
    if !g.prefixes.is_empty() {
        let mut opts = DhcpOptions::new();
        for p in &g.prefixes {
            opts.insert(DhcpOption::IAPrefix(IAPrefix {
                opts: DhcpOptions::new(),
                ..p.clone()
            }));
        }
        v.push(DhcpOption::IAPD(IAPD {
            id: IAID,
            t1: 0,
            t2: 0,
            opts,
        }));
    }
    v
}

fn status(opts: &DhcpOptions) -> Option<(Status, String)> {
    match opts.get(OptionCode::StatusCode) {
        Some(DhcpOption::StatusCode(s)) => Some((s.status, s.msg.clone())),
        _ => None,
    }
}

/// The payload of option 16 for `[ENTERPRISE-NUMBER:]TEXT`: the number,
/// then the text as one length-prefixed item. Built here because dhcproto
/// 0.15 encodes `DhcpOption::VendorClass` with a wrong option length (4 +
/// the number of items instead of their octets), which servers drop.
fn vendor_class(v: &str) -> Result<Vec<u8>, Usage> {
    let (num, text) = match v.split_once(':') {
        Some((n, t)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => (
            n.parse::<u32>()
                .map_err(|_| Usage(format!("--vendor-class {v}: enterprise number too large")))?,
            t,
        ),
        _ => (0, v),
    };
    let len = u16::try_from(text.len())
        .ok()
        .filter(|l| *l > 0 && *l < 1024)
        .ok_or_else(|| Usage("--vendor-class: 1 to 1023 characters".into()))?;
    let mut p = num.to_be_bytes().to_vec();
    p.extend_from_slice(&len.to_be_bytes());
    p.extend_from_slice(text.as_bytes());
    Ok(p)
}

fn unknown(code: u16, data: Vec<u8>) -> DhcpOption {
    DhcpOption::Unknown(v6::UnknownOption::new(OptionCode::from(code), data))
}

/// The link-local address of a MAC (modified EUI-64, RFC 4291 App. A): the
/// Relay-forward's peer-address.
fn link_local(mac: &[u8; 6]) -> Ipv6Addr {
    let b = [
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ];
    Ipv6Addr::from(b)
}

/// SOLICIT, ADVERTISE, ...
fn name(t: MessageType) -> String {
    match t {
        MessageType::InformationRequest => "INFORMATION-REQUEST".into(),
        MessageType::RelayForw => "RELAY-FORW".into(),
        MessageType::RelayRepl => "RELAY-REPL".into(),
        MessageType::Unknown(n) => format!("message type {n}"),
        t => format!("{t:?}").to_uppercase(),
    }
}

/// The addresses and status of an answer, for the exchange log.
fn summary(m: &v6::Message) -> String {
    let g = granted(m);
    let mut parts = Vec::new();
    let d = g.describe();
    if !d.is_empty() {
        parts.push(d);
    }
    if let Some((st, msg)) = status(m.opts()) {
        parts.push(format!("{st:?}: {msg}"));
    }
    parts.extend(g.refusals);
    parts.join(", ")
}

/// The options of a message but its IAs (shown as the lease), in order.
pub fn options(m: &v6::Message) -> Vec<OptionLine> {
    m.opts()
        .iter()
        .filter(|o| {
            !matches!(
                o,
                DhcpOption::IANA(_) | DhcpOption::IAPD(_) | DhcpOption::IATA(_)
            )
        })
        .map(|o| {
            // An option dhcproto has no type for is `Unknown` even when
            // its code has a name (39, ClientFqdn): name it by its number.
            let code = OptionCode::from(u16::from(OptionCode::from(o)));
            OptionLine {
                code: u16::from(code),
                name: match code {
                    OptionCode::Unknown(_) => "unknown".to_string(),
                    c => format!("{c:?}"),
                },
                value: value(o),
            }
        })
        .collect()
}

/// An option's value in readable form; hex for opaque data and for what
/// has no simpler form.
pub fn value(o: &DhcpOption) -> String {
    use DhcpOption as O;
    let hex = ruru_engine::v4::hex;
    let join = |v: Vec<String>| v.join(", ");
    match o {
        O::ClientId(b) | O::ServerId(b) | O::InterfaceId(b) => hex(b),
        O::DomainNameServers(v) => join(v.iter().map(ToString::to_string).collect()),
        O::DomainSearchList(v) => join(v.iter().map(ToString::to_string).collect()),
        O::StatusCode(s) => format!("{:?}: {}", s.status, s.msg),
        O::Preference(v) => v.to_string(),
        O::ElapsedTime(v) => format!("{v}0 ms"),
        O::InformationRefreshTime(v) => format!("{v} s"),
        O::ServerUnicast(a) => a.to_string(),
        O::ORO(o) => join(o.opts.iter().map(|c| u16::from(*c).to_string()).collect()),
        O::VendorClass(v) => format!(
            "enterprise {}: {}",
            v.num,
            join(v.data.iter().map(|d| text_or_hex(d)).collect())
        ),
        O::UserClass(v) => join(v.data.iter().map(|d| text_or_hex(d)).collect()),
        O::RapidCommit | O::ReconfAccept => "(present)".into(),
        O::Unknown(u) => hex(u.data()),
        other => hex(&payload(other)),
    }
}

/// The payload of an option as dhcproto encodes it.
fn payload(o: &DhcpOption) -> Vec<u8> {
    let mut buf = Vec::new();
    if o.encode(&mut Encoder::new(&mut buf)).is_err() {
        return Vec::new();
    }
    buf.get(4..).map(<[u8]>::to_vec).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4291_modified_eui64_link_local() {
        assert_eq!(
            link_local(&[0x00, 0x00, 0x5e, 0x00, 0x53, 0x01]),
            "fe80::200:5eff:fe00:5301".parse::<Ipv6Addr>().unwrap()
        );
    }

    #[test]
    fn granted_and_refused() {
        let mut m = v6::Message::new(MessageType::Reply);
        let mut ia = DhcpOptions::new();
        ia.insert(DhcpOption::StatusCode(v6::StatusCode {
            status: Status::NoAddrsAvail,
            msg: "none left".into(),
        }));
        m.opts_mut().insert(DhcpOption::IANA(IANA {
            id: 1,
            t1: 0,
            t2: 0,
            opts: ia,
        }));
        let g = granted(&m);
        assert_eq!(
            refusal(&m, &g).as_deref(),
            Some("IA_NA NoAddrsAvail: none left")
        );
        let mut ok = v6::Message::new(MessageType::Reply);
        let mut ia = DhcpOptions::new();
        ia.insert(DhcpOption::IAAddr(IAAddr {
            addr: "2001:db8:1::100".parse().unwrap(),
            preferred_life: 3000,
            valid_life: 4000,
            opts: DhcpOptions::new(),
        }));
        ok.opts_mut().insert(DhcpOption::IANA(IANA {
            id: 1,
            t1: 1000,
            t2: 2000,
            opts: ia,
        }));
        ok.opts_mut()
            .insert(DhcpOption::DomainNameServers(vec!["2001:db8:1::53"
                .parse()
                .unwrap()]));
        let g = granted(&ok);
        assert!(refusal(&ok, &g).is_none());
        assert_eq!(g.timers, Some((1000, 2000)));
        assert_eq!(g.describe(), "2001:db8:1::100");
        let o = options(&ok);
        assert_eq!(o.len(), 1, "IAs are the lease, not options");
        assert_eq!(o[0].name, "DomainNameServers");
        assert_eq!(o[0].value, "2001:db8:1::53");
        assert_eq!(value(&unknown(39, vec![1, 0])), "01:00");
        let mut m = v6::Message::new(MessageType::Reply);
        m.opts_mut().insert(unknown(39, vec![1, 0]));
        m.opts_mut().insert(unknown(65000, vec![2]));
        let o = options(&m);
        assert_eq!((o[0].code, o[0].name.as_str()), (39, "ClientFqdn"));
        assert_eq!((o[1].code, o[1].name.as_str()), (65000, "unknown"));
        assert_eq!(
            vendor_class("2495:probe").unwrap(),
            [0, 0, 9, 0xbf, 0, 5, b'p', b'r', b'o', b'b', b'e']
        );
        assert_eq!(vendor_class("probe").unwrap()[..6], [0, 0, 0, 0, 0, 5]);
        assert_eq!(vendor_class("a:b").unwrap()[..4], [0, 0, 0, 0]);
        assert!(vendor_class("99999999999:x").is_err());
        assert!(vendor_class("1:").is_err());
        assert_eq!(name(MessageType::InformationRequest), "INFORMATION-REQUEST");
        assert_eq!(name(MessageType::Advertise), "ADVERTISE");
    }
}
