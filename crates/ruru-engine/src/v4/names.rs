//! The client's name in DHCPv4, as Kea decides it (`processClientName`):
//! the Client FQDN option 81 (RFC 4702) or, without it, the Host Name
//! option 12; the name a reservation gives; names generated from the
//! address; what the reply carries and what the lease records.

use std::net::{IpAddr, Ipv4Addr};

use ruru_config::DdnsParams;

use super::packet::Query4;
use crate::ddns::{answer_flags, fqdn_answer, generated, qualified, FlagBits};

/// Option 81 flag bits (RFC 4702 §2.1).
const S: u8 = 0x01;
const O: u8 = 0x02;
const E: u8 = 0x04;
const N: u8 = 0x08;
const BITS: FlagBits = FlagBits { s: S, o: O, n: N };

/// What was decided about the client's name for one exchange.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Name4 {
    /// The option for the reply (code 81 or 12, payload), if any.
    pub option: Option<(u8, Vec<u8>)>,
    /// The lease's `hostname` (empty: none).
    pub hostname: String,
    /// The lease's `fqdn_fwd` / `fqdn_rev`.
    pub fwd: bool,
    pub rev: bool,
}

/// Gives the client the name `new` (a `ddns4_update` callout chose it):
/// the lease's `hostname` and the reply's option 81 or 12.
pub(crate) fn rename(n: &mut Name4, new: &str) {
    match &mut n.option {
        Some((81, payload)) if payload.len() >= 3 => {
            let wire = payload[0] & E != 0;
            payload.truncate(3);
            if wire {
                payload.extend(ruru_ddns::name::to_wire(new, true).unwrap_or_default());
            } else {
                payload.extend_from_slice(new.as_bytes());
            }
        }
        Some((12, payload)) => *payload = new.as_bytes().to_vec(),
        _ => {}
    }
    n.hostname = new.to_string();
}

/// The client's option 81: flags, the two RCODEs, the name as text and
/// whether it was fully qualified. `None` when malformed.
fn client_fqdn(raw: &[u8]) -> Option<(u8, [u8; 2], String, bool)> {
    let (&flags, rest) = raw.split_first()?;
    let (rc, name) = rest.split_at_checked(2)?;
    let (text, full) = if flags & E != 0 {
        ruru_ddns::name::from_wire(name)?
    } else {
        // RFC 4702 §2.3.1: the deprecated ASCII encoding.
        let t = std::str::from_utf8(name).ok()?.trim_end_matches('\0');
        (t.to_string(), t.ends_with('.'))
    };
    Some((flags, [rc[0], rc[1]], text, full))
}

/// Decides the name for the client of `q` getting `addr`, with the
/// scope's parameters `p` and the reservation's `hostname`, if any.
pub(crate) fn decide(q: &Query4, reserved: Option<&str>, p: &DdnsParams, addr: Ipv4Addr) -> Name4 {
    if let Some(raw) = q.fqdn.as_deref() {
        match client_fqdn(raw) {
            Some(f) => return fqdn(f, reserved, p, addr),
            None => tracing::debug!(xid = q.xid(), "malformed client FQDN option ignored"),
        }
    }
    hostname(q, reserved, p, addr)
}

/// Kea's `processClientFqdnOption`, then the name generated when the
/// answer's name is empty.
fn fqdn(
    (flags, rcodes, name, full): (u8, [u8; 2], String, bool),
    reserved: Option<&str>,
    p: &DdnsParams,
    addr: Ipv4Addr,
) -> Name4 {
    let (bits, ss, sn) = answer_flags(flags, &BITS, p);
    let out_flags = bits | (flags & E);
    let name = fqdn_answer(&name, full, reserved, p, Some(IpAddr::V4(addr)));
    let mut payload = vec![out_flags, rcodes[0], rcodes[1]];
    if flags & E != 0 {
        payload.extend(ruru_ddns::name::to_wire(&name, true).unwrap_or_default());
    } else {
        payload.extend_from_slice(name.as_bytes());
    }
    Name4 {
        option: Some((81, payload)),
        hostname: name,
        fwd: ss,
        rev: !sn,
    }
}

/// Kea's `processHostnameOption`, then the name generated for a
/// placeholder.
fn hostname(q: &Query4, reserved: Option<&str>, p: &DdnsParams, addr: Ipv4Addr) -> Name4 {
    let on = p.enable_updates();
    let answer = |name: String| Name4 {
        option: Some((12, name.as_bytes().to_vec())),
        hostname: name,
        fwd: on,
        rev: on,
    };
    // A reserved host name wins and is sent, whether or not the client
    // sent option 12 or asked for it (Kea 2.2's processHostnameOption;
    // checked on the wire: an OFFER to a client with neither carries it).
    if let Some(h) = reserved.filter(|h| !h.is_empty()) {
        return answer(qualified(h, p, false).to_ascii_lowercase());
    }
    let generate = || answer(generated(IpAddr::V4(addr), p, false));
    let Some(sent) = q.hostname.as_deref() else {
        return if p.replace_client_name.generates() {
            generate()
        } else {
            Name4::default()
        };
    };
    let sent = sent.trim();
    if sent.is_empty() {
        return Name4::default();
    }
    if p.replace_client_name.replaces() || sent == "." {
        return generate();
    }
    let clean = match p.sanitizer.as_deref() {
        Some(s) => s.scrub(sent),
        None => sent.to_string(),
    }
    .to_ascii_lowercase();
    if clean.is_empty() || ruru_ddns::name::to_wire(&clean, false).is_none() {
        return Name4::default();
    }
    if ruru_ddns::name::label_count(&clean) == 1 {
        answer(qualified(&clean, p, false))
    } else {
        answer(clean.trim_end_matches('.').to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruru_config::ReplaceName;

    fn query(fqdn: Option<Vec<u8>>, hostname: Option<&str>, prl: &[u8]) -> Query4 {
        use dhcproto::v4::{DhcpOption, Message, MessageType};
        use dhcproto::{Encodable, Encoder};
        let mut m = Message::new_with_id(
            1,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            &[2, 0, 0, 0, 0, 1],
        );
        m.opts_mut()
            .insert(DhcpOption::MessageType(MessageType::Discover));
        let mut b = Vec::new();
        #[allow(clippy::unwrap_used)]
        m.encode(&mut Encoder::new(&mut b)).unwrap();
        #[allow(clippy::unwrap_used)]
        let mut q = super::super::packet::parse(&b).unwrap();
        q.fqdn = fqdn;
        q.hostname = hostname.map(str::to_string);
        q.prl = prl.to_vec();
        q
    }

    fn on() -> DdnsParams {
        let mut p = DdnsParams::defaults(true);
        p.qualifying_suffix = "example.org".into();
        p
    }

    const ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);

    #[test]
    fn fqdn_flags_and_names_as_kea() {
        // S=1, E=1, partial "Host": qualified, server does both updates.
        let mut raw = vec![S | E, 0, 0];
        raw.extend_from_slice(b"\x04Host");
        let n = decide(&query(Some(raw), None, &[]), None, &on(), ADDR);
        assert_eq!(n.hostname, "host.example.org.");
        assert!(n.fwd && n.rev);
        let want: Vec<u8> = [
            vec![S | E, 0, 0],
            b"\x04host\x07example\x03org\x00".to_vec(),
        ]
        .concat();
        assert_eq!(n.option, Some((81, want)));
        // N=0,S=0: the client does A, the server the PTR; O stays 0.
        let raw = [vec![E, 255, 255], b"\x02pc\x03lab\x00".to_vec()].concat();
        let n = decide(&query(Some(raw), None, &[]), None, &on(), ADDR);
        assert_eq!((n.fwd, n.rev), (false, true));
        assert_eq!(n.hostname, "pc.lab.");
        assert_eq!(
            n.option.as_ref().map(|o| o.1[..3].to_vec()),
            Some(vec![E, 255, 255])
        );
        // Updates off: N set, O set when the client asked S.
        let raw = [vec![S | E, 0, 0], b"\x02pc\x00".to_vec()].concat();
        let n = decide(
            &query(Some(raw), None, &[]),
            None,
            &DdnsParams::defaults(false),
            ADDR,
        );
        assert_eq!((n.fwd, n.rev), (false, false));
        assert_eq!(n.option.as_ref().map(|o| o.1[0]), Some(E | N | O));
        // Empty name: generated; replace always: generated too.
        let n = decide(
            &query(Some(vec![S | E, 0, 0]), None, &[]),
            None,
            &on(),
            ADDR,
        );
        assert_eq!(n.hostname, "myhost-192-0-2-10.example.org.");
        let mut p = on();
        p.replace_client_name = ReplaceName::Always;
        let raw = [vec![S | E, 0, 0], b"\x02pc\x00".to_vec()].concat();
        let n = decide(&query(Some(raw.clone()), None, &[]), None, &p, ADDR);
        assert_eq!(n.hostname, "myhost-192-0-2-10.example.org.");
        // A reservation's host name wins.
        let n = decide(&query(Some(raw), None, &[]), Some("Printer"), &on(), ADDR);
        assert_eq!(n.hostname, "printer.example.org.");
        // ASCII encoding (E=0) is read and answered in kind.
        let raw = [vec![S, 0, 0], b"pc".to_vec()].concat();
        let n = decide(&query(Some(raw), None, &[]), None, &on(), ADDR);
        assert_eq!(
            n.option,
            Some((81, [vec![S, 0, 0], b"pc.example.org.".to_vec()].concat()))
        );
        // Malformed: ignored, option 12 rules apply (none here).
        let n = decide(
            &query(Some(vec![S | E, 0, 0, 9, b'x']), None, &[]),
            None,
            &on(),
            ADDR,
        );
        assert_eq!(n, Name4::default());
    }

    #[test]
    fn hostname_option_as_kea() {
        let n = decide(&query(None, Some("My_PC"), &[]), None, &on(), ADDR);
        assert_eq!(n.option, Some((12, b"mypc.example.org".to_vec())));
        assert_eq!(n.hostname, "mypc.example.org");
        assert!(n.fwd && n.rev);
        let n = decide(
            &query(None, Some("pc.lab.example."), &[]),
            None,
            &on(),
            ADDR,
        );
        assert_eq!(n.hostname, "pc.lab.example");
        let n = decide(
            &query(None, Some("pc"), &[]),
            None,
            &DdnsParams::defaults(false),
            ADDR,
        );
        assert_eq!(n.hostname, "pc");
        assert!(!n.fwd && !n.rev);
        // Nothing sent: nothing, unless names are generated.
        assert_eq!(
            decide(&query(None, None, &[12]), None, &on(), ADDR),
            Name4::default()
        );
        let mut p = on();
        p.replace_client_name = ReplaceName::WhenNotPresent;
        let n = decide(&query(None, None, &[]), None, &p, ADDR);
        assert_eq!(n.hostname, "myhost-192-0-2-10.example.org");
        // A reservation's name is sent, asked for or not (Kea 2.2).
        let n = decide(&query(None, None, &[12]), Some("res"), &on(), ADDR);
        assert_eq!(n.option, Some((12, b"res.example.org".to_vec())));
        let n = decide(&query(None, None, &[]), Some("Res"), &on(), ADDR);
        assert_eq!(n.option, Some((12, b"res.example.org".to_vec())));
    }
}
