//! The client's name in DHCPv6, as Kea decides it (`processClientFqdn`):
//! the Client FQDN option 39 (RFC 4704), the name a reservation gives,
//! names generated from the first leased address; what the reply carries
//! and what the IA_NA leases record.

use std::net::{IpAddr, Ipv6Addr};

use ruru_config::DdnsParams;

use crate::ddns::{answer_flags, fqdn_answer, FlagBits};

/// Option 39 flag bits (RFC 4704 §4.1).
const S: u8 = 0x01;
const O: u8 = 0x02;
const N: u8 = 0x04;

/// What was decided about the client's name for one message.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Name6 {
    /// The payload of option 39 for the reply, when the client sent one.
    pub option: Option<Vec<u8>>,
    /// The leases' `hostname` (empty: none).
    pub hostname: String,
    pub fwd: bool,
    pub rev: bool,
}

/// Gives the client the name `new` (a `ddns6_update` callout chose it):
/// the leases' `hostname` and the reply's option 39.
pub(crate) fn rename(n: &mut Name6, new: &str) {
    if let Some(payload) = n.option.as_mut() {
        payload.truncate(1);
        if !new.is_empty() {
            payload.extend(ruru_ddns::name::to_wire(new, true).unwrap_or_default());
        }
    }
    n.hostname = new.to_string();
}

/// Decides the name of a client that sent option 39 `raw` (if any), with
/// the reservation's `reserved` host name and the scope's parameters;
/// `addr` is its first IA_NA address, for a generated name.
pub(crate) fn decide(
    raw: Option<&[u8]>,
    reserved: Option<&str>,
    p: &DdnsParams,
    addr: Option<Ipv6Addr>,
) -> Name6 {
    let reserved = reserved.filter(|h| !h.is_empty());
    let client = match raw {
        Some(r) => match r.split_first() {
            Some((&flags, name)) => match ruru_ddns::name::from_wire(name) {
                Some((text, full)) => Some((flags, text, full)),
                None => {
                    tracing::debug!("malformed client FQDN option ignored");
                    None
                }
            },
            None => None,
        },
        // No option 39: a name only when names are generated (Kea makes
        // up an empty one asking the server to update), else the
        // reservation's host name as it is written, without updates
        // (Kea's "lease hostname comes from host reservation").
        None if p.enable_updates() && p.replace_client_name.generates() => {
            Some((S, String::new(), false))
        }
        None => {
            return Name6 {
                hostname: reserved.map(str::to_string).unwrap_or_default(),
                ..Name6::default()
            }
        }
    };
    let Some((flags, name, full)) = client else {
        return Name6::default();
    };
    let (out, ss, sn) = answer_flags(flags, &FlagBits { s: S, o: O, n: N }, p);
    let name = fqdn_answer(&name, full, reserved, p, addr.map(IpAddr::V6));
    let mut payload = vec![out];
    match ruru_ddns::name::to_wire(&name, true) {
        Some(w) if !name.is_empty() => payload.extend(w),
        _ => {}
    }
    Name6 {
        option: raw.map(|_| payload),
        hostname: name,
        fwd: ss,
        rev: !sn,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruru_config::ReplaceName;

    fn on() -> DdnsParams {
        let mut p = DdnsParams::defaults(true);
        p.qualifying_suffix = "example.org".into();
        p
    }

    const A: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 5);

    #[test]
    fn option_39_as_kea() {
        let raw = [&[S][..], b"\x02pc"].concat();
        let n = decide(Some(&raw), None, &on(), Some(A));
        assert_eq!(n.hostname, "pc.example.org.");
        assert!(n.fwd && n.rev);
        assert_eq!(
            n.option,
            Some([&[S][..], b"\x02pc\x07example\x03org\x00"].concat())
        );
        // N=0,S=0: PTR only; empty name generated from the address.
        let n = decide(Some(&[0]), None, &on(), Some(A));
        assert_eq!(n.hostname, "myhost-2001-db8-1--5.example.org.");
        assert_eq!((n.fwd, n.rev), (false, true));
        // Updates off: N, and O when S was asked.
        let n = decide(Some(&raw), None, &DdnsParams::defaults(false), Some(A));
        assert_eq!(n.option.as_ref().map(|o| o[0]), Some(N | O));
        assert!(!n.fwd && !n.rev);
        // No option: nothing, unless names are generated.
        assert_eq!(decide(None, None, &on(), Some(A)), Name6::default());
        let mut p = on();
        p.replace_client_name = ReplaceName::Always;
        let n = decide(None, None, &p, Some(A));
        assert_eq!(
            (n.hostname.as_str(), n.fwd, n.rev, n.option),
            ("myhost-2001-db8-1--5.example.org.", true, true, None)
        );
        // A reservation's name, qualified.
        let n = decide(Some(&raw), Some("db"), &on(), Some(A));
        assert_eq!(n.hostname, "db.example.org.");
    }
}
