//! DHCPv4 for `ruru probe`: DISCOVER/OFFER/REQUEST/ACK (RFC 2131 §3.1),
//! INFORM (§3.4) and RELEASE (§4.4.6), as a relay agent or as a client on an
//! interface.
//!
//! As a relay agent the probe sends from `ADDR:67` with `giaddr` = ADDR and
//! `hops` = 1, and the server answers at `ADDR:67` (§4.1). ruru and Kea send
//! the answer to a relayed INFORM to its `ciaddr` instead, at the client port
//! (68, or the server's `-P`): the probe listens there too (`ciaddr` is the
//! relay address unless `--request-address` says otherwise). As a client on
//! an interface it broadcasts from port 68 with the broadcast flag set, so
//! that the answers, too, are broadcast (the probe does not configure the
//! address it gets).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::Duration;

use dhcproto::v4::{self, DhcpOption, Flags, MessageType, Opcode, OptionCode};
use dhcproto::{Encodable, Encoder};

use super::{
    bind, random_u32, text_or_hex, Field, Heard, OptionLine, Outcome, Session, Setup, Usage,
    Verdict, Via, IAID,
};

/// What the probe asks for (option 55), unless `--option 55=...` replaces it.
const ASKED: &[OptionCode] = &[
    OptionCode::SubnetMask,
    OptionCode::Router,
    OptionCode::DomainNameServer,
    OptionCode::Hostname,
    OptionCode::DomainName,
    OptionCode::InterfaceMtu,
    OptionCode::BroadcastAddr,
    OptionCode::NtpServers,
    OptionCode::DomainSearch,
    OptionCode::ClasslessStaticRoute,
];

/// Runs the DHCPv4 probe.
pub fn run(s: &Setup<'_>) -> Result<Outcome, Usage> {
    let a = s.args;
    let requested = match a.request_address {
        Some(IpAddr::V4(x)) => Some(x),
        _ => None,
    };
    let inform_ciaddr = if a.inform {
        Some(inform_address(s, requested)?)
    } else {
        None
    };
    // `--release --request-address`: a RELEASE alone, to this server id.
    let release_only = match (a.release, requested) {
        (true, Some(addr)) => {
            let sid = a.server_id.or(match s.server.ip() {
                IpAddr::V4(x) if !x.is_broadcast() => Some(x),
                _ => None,
            });
            match sid {
                Some(sid) => Some((addr, sid)),
                None => {
                    return Err(Usage(
                        "--release --request-address needs --server-id".into(),
                    ))
                }
            }
        }
        _ => None,
    };
    let c = Client::new(s)?;
    let (out, also) = match sockets(s, inform_ciaddr) {
        Ok(x) => x,
        Err(e) => return Ok(Outcome::new(4, Verdict::Error(e), Vec::new())),
    };
    let mut session = match Session::new(out, also, a.timeout, a.retries) {
        Ok(x) => x,
        Err(e) => return Ok(Outcome::new(4, Verdict::Error(e.to_string()), Vec::new())),
    };
    let outcome = match (inform_ciaddr, release_only) {
        (Some(ciaddr), _) => c.inform(&mut session, ciaddr),
        (None, Some((addr, sid))) => c.release(&mut session, addr, sid).map(|()| {
            let mut o = Outcome::new(4, Verdict::Released, Vec::new());
            o.fields = c.identity_fields(addr);
            o.fields.push(Field::text("server-id", "server id", sid));
            o
        }),
        (None, None) => c.dora(&mut session),
    };
    let mut outcome = match outcome {
        Ok(o) => o,
        Err(e) => Outcome::new(4, Verdict::Error(e.to_string()), Vec::new()),
    };
    if a.release && release_only.is_none() && outcome.verdict == Verdict::Lease {
        if let (Some(addr), Some(sid)) =
            (field(&outcome, "ip-address"), field(&outcome, "server-id"))
        {
            match c.release(&mut session, addr, sid) {
                Ok(()) => outcome.verdict = Verdict::Released,
                Err(e) => outcome.verdict = Verdict::Error(e.to_string()),
            }
        }
    }
    outcome.events = std::mem::take(&mut session.events);
    Ok(outcome)
}

/// The `ciaddr` of an INFORM: `--request-address`, else the relay address,
/// else the interface's first IPv4 address.
fn inform_address(s: &Setup<'_>, requested: Option<Ipv4Addr>) -> Result<Ipv4Addr, Usage> {
    if let Some(a) = requested {
        return Ok(a);
    }
    match &s.via {
        Via::Relay(IpAddr::V4(a)) => Ok(*a),
        Via::Relay(IpAddr::V6(_)) => Err(Usage("--relay needs an IPv4 address".into())),
        Via::Interface { name, .. } => {
            let all = ruru_net::iface::list().map_err(|e| Usage(e.to_string()))?;
            ruru_net::iface::addresses_of(name, &all)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    Usage(format!(
                        "--inform: {name} has no IPv4 address: give the client's address with --request-address"
                    ))
                })
        }
    }
}

/// The socket to send from, and any other socket to listen at.
fn sockets(s: &Setup<'_>, inform: Option<Ipv4Addr>) -> Result<(UdpSocket, Vec<UdpSocket>), String> {
    match &s.via {
        Via::Relay(relay) => {
            let at = SocketAddr::new(*relay, 67);
            let out = bind(at, "as the relay agent (servers answer relays at port 67)")?;
            let mut also = Vec::new();
            if let Some(ciaddr) = inform {
                let at2 = SocketAddr::V4(SocketAddrV4::new(ciaddr, s.client_port));
                if at2 != at {
                    also.push(bind(
                        at2,
                        "(ciaddr), where the server sends its answer to an INFORM",
                    )?);
                }
            }
            Ok((out, also))
        }
        Via::Interface { name, .. } => {
            use socket2::{Domain, Protocol, Socket, Type};
            let at = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, s.client_port));
            let err = |what: &str, e: std::io::Error| format!("{name}: {what}: {e}");
            let sock = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
                .map_err(|e| err("socket", e))?;
            sock.set_reuse_address(true)
                .map_err(|e| err("SO_REUSEADDR", e))?;
            sock.set_broadcast(true)
                .map_err(|e| err("SO_BROADCAST", e))?;
            sock.bind_device(Some(name.as_bytes()))
                .map_err(|e| err("SO_BINDTODEVICE (needs root)", e))?;
            sock.bind(&at.into())
                .map_err(|e| err(&format!("bind {at} (needs root)"), e))?;
            Ok((sock.into(), Vec::new()))
        }
    }
}

/// The probe's identity and message builder.
struct Client<'a> {
    s: &'a Setup<'a>,
    xid: u32,
    giaddr: Ipv4Addr,
    /// Option 61: `--client-id`, or RFC 4361's from `--duid`.
    client_id: Option<Vec<u8>>,
    /// Option 81 (RFC 4702).
    fqdn: Option<v4::fqdn::ClientFQDN>,
    /// A client on a link without an address asks for broadcast answers.
    broadcast: bool,
}

impl<'a> Client<'a> {
    fn new(s: &'a Setup<'a>) -> Result<Client<'a>, Usage> {
        let a = s.args;
        let giaddr = match s.via {
            Via::Relay(IpAddr::V4(r)) => r,
            _ => Ipv4Addr::UNSPECIFIED,
        };
        let client_id = match (&a.client_id, &a.duid) {
            (Some(c), _) => Some(c.0.clone()),
            // RFC 4361 §6.1: type 255, IAID, DUID.
            (None, Some(d)) => {
                let mut c = vec![255];
                c.extend_from_slice(&IAID.to_be_bytes());
                c.extend_from_slice(&d.0);
                Some(c)
            }
            (None, None) => None,
        };
        let fqdn = match &a.fqdn {
            Some(name) => {
                let n = dhcproto::Name::from_ascii(name)
                    .map_err(|e| Usage(format!("--fqdn {name}: {e}")))?;
                // S: the server updates the A record; E: canonical wire format.
                let flags = v4::fqdn::FqdnFlags::new(0).set_s(true).set_e(true);
                let mut f = v4::fqdn::ClientFQDN::new(flags, n);
                // RFC 4702 §2.2: a client sends RCODE1/2 as 0.
                f.set_r1(0).set_r2(0);
                Some(f)
            }
            None => None,
        };
        if a.hostname
            .as_ref()
            .is_some_and(|h| h.is_empty() || h.len() > 255)
        {
            return Err(Usage("--hostname: 1 to 255 characters".into()));
        }
        if a.vendor_class
            .as_ref()
            .is_some_and(|h| h.is_empty() || h.len() > 255)
        {
            return Err(Usage("--vendor-class: 1 to 255 characters".into()));
        }
        Ok(Client {
            s,
            xid: random_u32(),
            giaddr,
            client_id,
            fqdn,
            broadcast: matches!(s.via, Via::Interface { .. }),
        })
    }

    /// A message of type `t` with `extra` options; `secs` since the client
    /// began (RFC 2131 §2).
    fn message(
        &self,
        t: MessageType,
        ciaddr: Ipv4Addr,
        secs: Duration,
        extra: &[DhcpOption],
    ) -> v4::Message {
        let a = self.s.args;
        let mut m = v4::Message::new_with_id(
            self.xid,
            ciaddr,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            self.giaddr,
            &self.s.mac,
        );
        if !self.giaddr.is_unspecified() {
            m.set_hops(1);
        }
        if self.broadcast && ciaddr.is_unspecified() {
            m.set_flags(Flags::default().set_broadcast());
        }
        m.set_secs(u16::try_from(secs.as_secs()).unwrap_or(u16::MAX));
        let o = m.opts_mut();
        o.insert(DhcpOption::MessageType(t));
        if let Some(c) = &self.client_id {
            o.insert(DhcpOption::ClientIdentifier(c.clone()));
        }
        if t != MessageType::Release {
            if let Some(h) = &a.hostname {
                o.insert(DhcpOption::Hostname(h.clone()));
            }
            if let Some(v) = &a.vendor_class {
                o.insert(DhcpOption::ClassIdentifier(v.as_bytes().to_vec()));
            }
            if let Some(f) = &self.fqdn {
                o.insert(DhcpOption::ClientFQDN(f.clone()));
            }
            o.insert(DhcpOption::ParameterRequestList(ASKED.to_vec()));
        }
        for x in extra {
            o.insert(x.clone());
        }
        // `--option`: replaces what the probe set for the same code.
        for r in &a.options {
            let code = OptionCode::from(u8::try_from(r.code).unwrap_or(u8::MAX));
            o.insert(DhcpOption::Unknown(v4::UnknownOption::new(
                code,
                r.data.clone(),
            )));
        }
        m
    }

    /// Takes a datagram as an answer of one of `types` to this client.
    fn judge(&self, d: &super::Datagram, types: &[MessageType]) -> Heard<v4::Message> {
        let m = match ruru_engine::v4::packet::parse(&d.bytes) {
            Ok(q) => q.msg,
            Err(e) => return Heard::Ignored(format!("not a DHCPv4 message: {e}")),
        };
        if m.opcode() != Opcode::BootReply
            || m.xid() != self.xid
            || m.chaddr().get(..6) != Some(&self.s.mac[..])
        {
            return Heard::Other;
        }
        let Some(t) = m.opts().msg_type() else {
            return Heard::Other;
        };
        if !types.contains(&t) {
            return Heard::Ignored(format!("unexpected {}", name(t)));
        }
        Heard::Answer {
            what: name(t),
            detail: summary(&m),
            value: m,
        }
    }

    /// DISCOVER, OFFER, REQUEST, ACK.
    fn dora(&self, session: &mut Session) -> std::io::Result<Outcome> {
        let a = self.s.args;
        let requested = match a.request_address {
            Some(IpAddr::V4(x)) => Some(x),
            _ => None,
        };
        let start = session.elapsed();
        let hint: Vec<DhcpOption> = requested
            .map(DhcpOption::RequestedIpAddress)
            .into_iter()
            .collect();
        let detail = format!(
            "xid 0x{:08x}{}",
            self.xid,
            requested
                .map(|r| format!(", asks for {r}"))
                .unwrap_or_default()
        );
        let offer = session.ask(
            self.s.server,
            "DHCPDISCOVER",
            detail,
            |since| {
                let m = self.message(
                    MessageType::Discover,
                    Ipv4Addr::UNSPECIFIED,
                    start + since,
                    &hint,
                );
                encode(&m)
            },
            |d| self.judge(d, &[MessageType::Offer]),
        )?;
        let Some(offer) = offer else {
            return Ok(self.no_reply(session, "DHCPDISCOVER"));
        };
        let addr = offer.yiaddr();
        // Option 54 names the server; without it, the address it came from.
        let sid = server_id(&offer).unwrap_or(match self.s.server.ip() {
            IpAddr::V4(x) => x,
            IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
        });
        let select = [
            DhcpOption::RequestedIpAddress(addr),
            DhcpOption::ServerIdentifier(sid),
        ];
        let ack = session.ask(
            self.s.server,
            "DHCPREQUEST",
            format!("for {addr}, server id {sid}"),
            |since| {
                let m = self.message(
                    MessageType::Request,
                    Ipv4Addr::UNSPECIFIED,
                    start + since,
                    &select,
                );
                encode(&m)
            },
            |d| self.judge(d, &[MessageType::Ack, MessageType::Nak]),
        )?;
        let Some(ack) = ack else {
            return Ok(self.no_reply(session, "DHCPREQUEST"));
        };
        if ack.opts().msg_type() == Some(MessageType::Nak) {
            let why = match ack.opts().get(OptionCode::Message) {
                Some(DhcpOption::Message(m)) => format!("DHCPNAK: {m}"),
                _ => "DHCPNAK".to_string(),
            };
            let mut o = Outcome::new(4, Verdict::Nak(why), Vec::new());
            o.options = options(&ack);
            return Ok(o);
        }
        let mut o = Outcome::new(4, Verdict::Lease, Vec::new());
        o.fields = self.lease_fields(&ack, sid);
        o.options = options(&ack);
        Ok(o)
    }

    /// INFORM from `ciaddr`, ACK.
    fn inform(&self, session: &mut Session, ciaddr: Ipv4Addr) -> std::io::Result<Outcome> {
        let start = session.elapsed();
        let ack = session.ask(
            self.s.server,
            "DHCPINFORM",
            format!("xid 0x{:08x}, ciaddr {ciaddr}", self.xid),
            |since| encode(&self.message(MessageType::Inform, ciaddr, start + since, &[])),
            |d| self.judge(d, &[MessageType::Ack]),
        )?;
        let Some(ack) = ack else {
            return Ok(self.no_reply(session, "DHCPINFORM"));
        };
        let mut o = Outcome::new(4, Verdict::Informed, Vec::new());
        o.fields = self.identity_fields(ciaddr);
        if let Some(sid) = server_id(&ack) {
            o.fields.push(Field::text("server-id", "server id", sid));
        }
        o.options = options(&ack);
        Ok(o)
    }

    /// RELEASE of `addr` (no answer comes).
    fn release(&self, session: &mut Session, addr: Ipv4Addr, sid: Ipv4Addr) -> std::io::Result<()> {
        let m = self.message(
            MessageType::Release,
            addr,
            session.elapsed(),
            &[DhcpOption::ServerIdentifier(sid)],
        );
        session.tell(
            self.s.server,
            "DHCPRELEASE",
            format!("of {addr}, server id {sid} (no answer expected)"),
            &encode(&m),
        )
    }

    fn no_reply(&self, session: &Session, what: &str) -> Outcome {
        // A server drops a relayed message whose giaddr matches no subnet.
        let hint = if self.giaddr.is_unspecified() {
            String::new()
        } else {
            format!(
                "; does a subnet match giaddr {} (its prefix or its relay ip-addresses)?",
                self.giaddr
            )
        };
        Outcome::new(
            4,
            Verdict::NoReply(format!(
                "no answer to {what} from {} ({}){hint}",
                self.s.server,
                session.patience()
            )),
            Vec::new(),
        )
    }

    /// The client's own fields: address, hardware address, client id.
    fn identity_fields(&self, addr: Ipv4Addr) -> Vec<Field> {
        let mut f = vec![
            Field::text("ip-address", "address", addr),
            Field::text(
                "hw-address",
                "hardware address",
                ruru_engine::v4::hex(&self.s.mac),
            ),
        ];
        if let Some(c) = &self.client_id {
            f.push(Field::text(
                "client-id",
                "client id",
                ruru_engine::v4::hex(c),
            ));
        }
        f
    }

    /// The lease an ACK grants.
    fn lease_fields(&self, ack: &v4::Message, sid: Ipv4Addr) -> Vec<Field> {
        let mut f = self.identity_fields(ack.yiaddr());
        f.push(Field::text("server-id", "server id", sid));
        let secs = |c: OptionCode| match ack.opts().get(c) {
            Some(DhcpOption::AddressLeaseTime(v))
            | Some(DhcpOption::Renewal(v))
            | Some(DhcpOption::Rebinding(v)) => Some(*v),
            _ => None,
        };
        if let Some(v) = secs(OptionCode::AddressLeaseTime) {
            f.push(Field::seconds("valid-lft", "valid lifetime", v));
        }
        if let Some(v) = secs(OptionCode::Renewal) {
            f.push(Field::seconds("renew-timer", "renew (T1)", v));
        }
        if let Some(v) = secs(OptionCode::Rebinding) {
            f.push(Field::seconds("rebind-timer", "rebind (T2)", v));
        }
        if !ack.siaddr().is_unspecified() {
            f.push(Field::text("next-server", "next server", ack.siaddr()));
        }
        if let Some(n) = cstr(ack.sname()) {
            f.push(Field::text("server-hostname", "server host name", n));
        }
        if let Some(n) = cstr(ack.fname()) {
            f.push(Field::text("boot-file-name", "boot file", n));
        }
        f
    }
}

/// An address field of an outcome (the lease to release).
fn field(o: &Outcome, key: &str) -> Option<Ipv4Addr> {
    o.fields.iter().find(|f| f.key == key)?.text.parse().ok()
}

/// A NUL-terminated header field (sname, file) as text, when not empty.
fn cstr(b: Option<&[u8]>) -> Option<String> {
    let b = b?;
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    (end > 0).then(|| text_or_hex(&b[..end]))
}

pub fn encode(m: &v4::Message) -> Vec<u8> {
    let mut buf = Vec::with_capacity(548);
    // Encoding into a Vec fails only on values dhcproto cannot represent,
    // which the probe does not build (lengths are checked by `setup`).
    let _ = m.encode(&mut Encoder::new(&mut buf));
    buf
}

fn server_id(m: &v4::Message) -> Option<Ipv4Addr> {
    match m.opts().get(OptionCode::ServerIdentifier) {
        Some(DhcpOption::ServerIdentifier(a)) => Some(*a),
        _ => None,
    }
}

/// DHCPOFFER, DHCPACK, ...
fn name(t: MessageType) -> String {
    match t {
        MessageType::Unknown(n) => format!("message type {n}"),
        t => format!("DHCP{}", format!("{t:?}").to_uppercase()),
    }
}

/// The address and server of an answer, for the exchange log.
fn summary(m: &v4::Message) -> String {
    let mut parts = Vec::new();
    if !m.yiaddr().is_unspecified() {
        parts.push(m.yiaddr().to_string());
    }
    if let Some(s) = server_id(m) {
        parts.push(format!("server id {s}"));
    }
    if let Some(DhcpOption::AddressLeaseTime(v)) = m.opts().get(OptionCode::AddressLeaseTime) {
        parts.push(format!("lease {v} s"));
    }
    if let Some(DhcpOption::Message(v)) = m.opts().get(OptionCode::Message) {
        parts.push(format!("\"{v}\""));
    }
    parts.join(", ")
}

/// Every option of a message, in code order.
pub fn options(m: &v4::Message) -> Vec<OptionLine> {
    m.opts()
        .iter()
        .map(|(code, o)| OptionLine {
            code: u16::from(u8::from(*code)),
            // By number: an `Unknown` option whose code has a name gets it.
            name: match OptionCode::from(u8::from(*code)) {
                OptionCode::Unknown(_) => "unknown".to_string(),
                c => format!("{c:?}"),
            },
            value: value(o),
        })
        .collect()
}

fn addrs(v: &[Ipv4Addr]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// An option's value in readable form: addresses, text, numbers; hex for
/// opaque data and for what has no simpler form.
pub fn value(o: &DhcpOption) -> String {
    use DhcpOption as O;
    match o {
        O::SubnetMask(a)
        | O::SwapServer(a)
        | O::BroadcastAddr(a)
        | O::RouterSolicitationAddr(a)
        | O::RequestedIpAddress(a)
        | O::ServerIdentifier(a)
        | O::SubnetSelection(a)
        | O::TFTPServerAddress(a) => a.to_string(),
        O::Router(v)
        | O::TimeServer(v)
        | O::NameServer(v)
        | O::DomainNameServer(v)
        | O::LogServer(v)
        | O::QuoteServer(v)
        | O::LprServer(v)
        | O::ImpressServer(v)
        | O::ResourceLocationServer(v)
        | O::NisServers(v)
        | O::NtpServers(v)
        | O::NetBiosNameServers(v)
        | O::NetBiosDatagramDistributionServer(v)
        | O::XFontServer(v)
        | O::XDisplayManager(v)
        | O::NispServers(v)
        | O::MobileIpHomeAgent(v)
        | O::SmtpServer(v)
        | O::Pop3Server(v)
        | O::NntpServer(v)
        | O::WwwServer(v)
        | O::DefaultFingerServer(v)
        | O::IrcServer(v)
        | O::StreetTalkServer(v)
        | O::StreetTalkDirectoryAssistance(v)
        | O::BcmsControllerAddrs(v)
        | O::AssociatedIp(v) => addrs(v),
        O::Hostname(s)
        | O::MeritDumpFile(s)
        | O::DomainName(s)
        | O::RootPath(s)
        | O::ExtensionsPath(s)
        | O::NisDomain(s)
        | O::NetBiosScope(s)
        | O::Message(s)
        | O::NwipDomainName(s)
        | O::NispServiceDomain(s)
        | O::TimezonePosixString(s)
        | O::TimezoneDatabaseString(s)
        | O::CaptivePortal(s) => s.clone(),
        O::AddressLeaseTime(v)
        | O::Renewal(v)
        | O::Rebinding(v)
        | O::ArpCacheTimeout(v)
        | O::TcpKeepaliveInterval(v)
        | O::PathMtuAgingTimeout(v)
        | O::Ipv6OnlyPreferred(v) => format!("{v} s"),
        O::ClientLastTransactionTime(v)
        | O::BulkLeaseQueryBaseTime(v)
        | O::BulkLeasQueryStartTimeOfState(v)
        | O::BulkLeaseQueryQueryStartTime(v)
        | O::BulkLeaseQueryQueryEndTime(v) => v.to_string(),
        O::TimeOffset(v) => format!("{v} s"),
        O::BootFileSize(v) | O::MaxDatagramSize(v) | O::InterfaceMtu(v) | O::MaxMessageSize(v) => {
            v.to_string()
        }
        O::PathMtuPlateauTable(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        O::DefaultIpTtl(v) | O::DefaultTcpTtl(v) | O::OptionOverload(v) => v.to_string(),
        O::IpForwarding(b)
        | O::NonLocalSrcRouting(b)
        | O::AllSubnetsLocal(b)
        | O::PerformMaskDiscovery(b)
        | O::MaskSupplier(b)
        | O::PerformRouterDiscovery(b)
        | O::TrailerEncapsulated(b)
        | O::EthernetEncapsulation(b)
        | O::TcpKeepaliveGarbage(b) => b.to_string(),
        O::PolicyFilter(v) => v
            .iter()
            .map(|(a, m)| format!("{a}/{m}"))
            .collect::<Vec<_>>()
            .join(", "),
        O::StaticRoutingTable(v) => v
            .iter()
            .map(|(d, r)| format!("{d} - {r}"))
            .collect::<Vec<_>>()
            .join(", "),
        O::ClasslessStaticRoute(v) => v
            .iter()
            .map(|(n, r)| format!("{n} - {r}"))
            .collect::<Vec<_>>()
            .join(", "),
        O::ClassIdentifier(b) | O::TFTPServerName(b) | O::BootfileName(b) => text_or_hex(b),
        O::VendorExtensions(b)
        | O::ClientIdentifier(b)
        | O::NwipInformation(b)
        | O::UserClass(b)
        | O::ClientMachineIdentifier(b) => ruru_engine::v4::hex(b),
        O::MessageType(t) => name(*t),
        O::ParameterRequestList(v) => v
            .iter()
            .map(|c| u8::from(*c).to_string())
            .collect::<Vec<_>>()
            .join(", "),
        O::DomainSearch(v) | O::BcmsControllerNames(v) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        O::ClientFQDN(f) => format!(
            "{} (flags {:#04x}, rcode {}/{})",
            f.domain(),
            u8::from(f.flags()),
            f.r1(),
            f.r2()
        ),
        O::Unknown(u) => ruru_engine::v4::hex(u.data()),
        other => ruru_engine::v4::hex(&payload(other)),
    }
}

/// The payload of an option as dhcproto encodes it: the data of its
/// code/length/data parts (RFC 3396 splits one longer than 255 octets).
fn payload(o: &DhcpOption) -> Vec<u8> {
    let mut buf = Vec::new();
    if o.encode(&mut Encoder::new(&mut buf)).is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = &buf[..];
    while let [_code, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        out.extend_from_slice(&tail[..n]);
        rest = &tail[n..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_values_are_readable() {
        assert_eq!(
            value(&DhcpOption::DomainNameServer(vec![
                Ipv4Addr::new(192, 0, 2, 53),
                Ipv4Addr::new(192, 0, 2, 54)
            ])),
            "192.0.2.53, 192.0.2.54"
        );
        assert_eq!(value(&DhcpOption::AddressLeaseTime(3600)), "3600 s");
        assert_eq!(
            value(&DhcpOption::DomainName("example.org".into())),
            "example.org"
        );
        assert_eq!(value(&DhcpOption::MessageType(MessageType::Ack)), "DHCPACK");
        assert_eq!(
            value(&DhcpOption::Unknown(v4::UnknownOption::new(
                OptionCode::Unknown(224),
                vec![0xde, 0xad]
            ))),
            "de:ad"
        );
        // No simpler form: the payload in hex.
        assert_eq!(
            value(&DhcpOption::ClientNetworkInterface(1, 2, 3)),
            "01:02:03"
        );
        let mut m = v4::Message::default();
        m.opts_mut()
            .insert(DhcpOption::Router(vec![Ipv4Addr::new(192, 0, 2, 1)]));
        m.opts_mut()
            .insert(DhcpOption::Unknown(v4::UnknownOption::new(
                OptionCode::Unknown(224),
                vec![1],
            )));
        m.opts_mut()
            .insert(DhcpOption::Unknown(v4::UnknownOption::new(
                OptionCode::Unknown(77),
                vec![1],
            )));
        // By number: an `Unknown` option whose code has a name gets it.
        let o: Vec<(u16, String)> = options(&m).into_iter().map(|o| (o.code, o.name)).collect();
        assert_eq!(
            o,
            [
                (3, "Router".to_string()),
                (77, "UserClass".to_string()),
                (224, "unknown".to_string())
            ]
        );
    }

    #[test]
    fn long_option_payload_is_joined() {
        let long = vec![7u8; 300];
        assert_eq!(payload(&DhcpOption::VendorExtensions(long.clone())), long);
    }
}
