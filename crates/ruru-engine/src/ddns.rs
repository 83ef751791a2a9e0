//! Dynamic DNS from the DHCP side, for both families: the sink that takes
//! the engine's name-change requests, and how a lease becomes one
//! (Kea's `queueNCR`).
//!
//! The engine decides names and emits requests; it never waits for DNS.
//! The caller's [`DdnsSink`] must not block either: it queues (bounded)
//! and a task of its own does the sending.

use std::net::IpAddr;

use ruru_config::DdnsParams;
use ruru_ddns::{ChangeType, Dhcid, Ncr};

/// Where the engine's name-change requests go (the server: a bounded
/// queue to the DNS updater). Must return at once.
pub trait DdnsSink: Send + Sync + std::fmt::Debug + std::panic::RefUnwindSafe {
    fn submit(&self, ncr: Ncr);
    /// The section's `dhcp-ddns` changed (a new configuration): where
    /// requests go from now on.
    fn reconfigure(&self, _client: &ruru_config::DdnsClient) {}
}

/// Runs `ddns4_update` / `ddns6_update` (`a`, with the query and subnet
/// set) on the name decided for the client: the callouts see and may
/// change `hostname`, `fwd-update` and `rev-update`; what they leave is
/// returned. As in Kea, their status is not used.
pub(crate) fn update_hook(
    h: &dyn crate::hooks::HookDispatch,
    mut a: crate::hooks::HookArgs<'_>,
    hostname: &str,
    fwd: bool,
    rev: bool,
) -> (String, bool, bool) {
    a.ddns_updates = Some((fwd, rev));
    a.text.push(("hostname", hostname.to_string()));
    let _ = h.call(&mut a);
    let (fwd, rev) = a.ddns_updates.unwrap_or((fwd, rev));
    let name = a
        .text
        .into_iter()
        .find(|(k, _)| *k == "hostname")
        .map(|(_, v)| v)
        .unwrap_or_default();
    (name, fwd, rev)
}

/// A lease's DNS state, as stored: its name and which updates it got.
pub(crate) struct Names<'a> {
    pub hostname: &'a str,
    pub fwd: bool,
    pub rev: bool,
}

/// The request for `change` of a lease of `ip` named `n`, if it needs
/// one: a name, at least one direction (Kea's `queueNCR`). `dhcid`
/// computes the client's DHCID for a name; `lifetime` and `expire` are
/// the lease's.
pub(crate) fn request(
    change: ChangeType,
    n: &Names<'_>,
    ip: IpAddr,
    dhcid: impl FnOnce(&str) -> Option<Dhcid>,
    lifetime: u32,
    expire: u64,
    p: &DdnsParams,
) -> Option<Ncr> {
    if n.hostname.is_empty() || !(n.fwd || n.rev) {
        return None;
    }
    let mut fqdn = n.hostname.to_string();
    if !fqdn.ends_with('.') {
        fqdn.push('.');
    }
    let Some(dhcid) = dhcid(&fqdn) else {
        tracing::debug!(%ip, name = %fqdn, "no DHCID for this client: no DNS update");
        return None;
    };
    Some(Ncr {
        change,
        forward: n.fwd,
        reverse: n.rev,
        fqdn,
        ip,
        dhcid,
        lease_expires_on: i64::try_from(expire).unwrap_or(i64::MAX),
        lease_length: p.ttl_for(lifetime),
        conflict: p.conflict_mode,
    })
}

/// Kea's `analyzeFqdn`: the server's S and N flags for the client's S
/// and N (RFC 4702 §3 / RFC 4704 §5), given the scope's parameters.
/// `None` for the invalid S=1, N=1.
pub(crate) fn server_flags(client_s: bool, client_n: bool, p: &DdnsParams) -> Option<(bool, bool)> {
    let on = p.enable_updates();
    Some(match (client_n, client_s) {
        (false, false) => {
            if on {
                (p.override_client_update, false)
            } else {
                (false, true)
            }
        }
        (false, true) => (on, !on),
        (true, false) => {
            let s = on && p.override_no_update;
            (s, !s)
        }
        (true, true) => return None,
    })
}

/// The flag bits of a Client FQDN option: S, O and N (RFC 4702 §2.1,
/// RFC 4704 §4.1: the same meanings, N at another bit in DHCPv6).
pub(crate) struct FlagBits {
    pub s: u8,
    pub o: u8,
    pub n: u8,
}

/// The answer's S, O and N bits for the client's `flags` (Kea's
/// `adjustFqdnFlags`), and the server's S and N: S and N both set by the
/// client (invalid) is answered as N.
pub(crate) fn answer_flags(flags: u8, b: &FlagBits, p: &DdnsParams) -> (u8, bool, bool) {
    let cs = flags & b.s != 0;
    let (ss, sn) = server_flags(cs, flags & b.n != 0, p).unwrap_or((false, true));
    let mut out = 0;
    if ss {
        out |= b.s;
    }
    if sn {
        out |= b.n;
    }
    if cs != ss {
        out |= b.o;
    }
    (out, ss, sn)
}

/// Submits the request for `change` of a lease (see [`request`]) to
/// `sink`; `p` the lease's scope parameters, if its subnet is still
/// configured (else Kea's defaults).
#[allow(clippy::too_many_arguments)]
pub(crate) fn submit(
    sink: &dyn DdnsSink,
    change: ChangeType,
    n: &Names<'_>,
    ip: IpAddr,
    dhcid: impl FnOnce(&str) -> Option<Dhcid>,
    lifetime: u32,
    expire: u64,
    p: Option<&DdnsParams>,
) {
    let fallback;
    let p = match p {
        Some(p) => p,
        None => {
            fallback = DdnsParams::defaults(true);
            &fallback
        }
    };
    if let Some(r) = request(change, n, ip, dhcid, lifetime, expire, p) {
        sink.submit(r);
    }
}

/// Kea's name for a client's partial name or a generated label:
/// sanitised label by label, lower-cased, completed with the qualifying
/// suffix; `trailing_dot` as Kea writes FQDN (yes) and host name (no)
/// answers.
pub(crate) fn qualified(name: &str, p: &DdnsParams, trailing_dot: bool) -> String {
    ruru_ddns::name::qualify(
        &name.to_ascii_lowercase(),
        &p.qualifying_suffix,
        trailing_dot,
    )
}

/// `name` with the scope's `hostname-char-set` applied to each label.
pub(crate) fn scrub_labels(name: &str, p: &DdnsParams) -> String {
    let Some(s) = p.sanitizer.as_deref() else {
        return name.to_string();
    };
    let full = name.ends_with('.');
    let body = name.strip_suffix('.').unwrap_or(name);
    let mut out = body
        .split('.')
        .map(|l| s.scrub(l))
        .collect::<Vec<_>>()
        .join(".");
    if full {
        out.push('.');
    }
    out
}

/// The name of a Client FQDN answer (option 81 or 39; Kea's
/// `adjustDomainName`, then `generateFqdn`): the reservation's host name,
/// else the client's `name` (`full`: fully qualified) sanitised and
/// qualified, unless `ddns-replace-client-name` replaces it; an empty or
/// invalid result is the name generated from `addr` (when known).
pub(crate) fn fqdn_answer(
    name: &str,
    full: bool,
    reserved: Option<&str>,
    p: &DdnsParams,
    addr: Option<IpAddr>,
) -> String {
    let chosen = match reserved.filter(|h| !h.is_empty()) {
        Some(h) => qualified(h, p, true),
        None if p.replace_client_name.replaces() || name.is_empty() => String::new(),
        None => {
            let clean = scrub_labels(name, p).to_ascii_lowercase();
            if full {
                clean
            } else {
                qualified(&clean, p, true)
            }
        }
    };
    match addr {
        Some(a) if chosen.is_empty() || ruru_ddns::name::to_wire(&chosen, false).is_none() => {
            generated(a, p, true)
        }
        _ => chosen,
    }
}

/// The generated name for `ip` (Kea's `generateFqdn`).
pub(crate) fn generated(ip: IpAddr, p: &DdnsParams, trailing_dot: bool) -> String {
    qualified(
        &ruru_ddns::name::generated_label(&p.generated_prefix, ip),
        p,
        trailing_dot,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(on: bool) -> DdnsParams {
        DdnsParams::defaults(on)
    }

    #[test]
    fn flags_follow_kea() {
        let on = params(true);
        let off = params(false);
        // N=0,S=0: the client updates A itself; the server does the PTR.
        assert_eq!(server_flags(false, false, &on), Some((false, false)));
        assert_eq!(server_flags(false, false, &off), Some((false, true)));
        let mut ov = params(true);
        ov.override_client_update = true;
        assert_eq!(server_flags(false, false, &ov), Some((true, false)));
        assert_eq!(server_flags(true, false, &on), Some((true, false)));
        assert_eq!(server_flags(true, false, &off), Some((false, true)));
        assert_eq!(server_flags(false, true, &on), Some((false, true)));
        ov.override_no_update = true;
        assert_eq!(server_flags(false, true, &ov), Some((true, false)));
        assert_eq!(server_flags(true, true, &on), None);
    }

    #[test]
    fn names_are_scrubbed_qualified_and_generated() {
        let mut p = params(true);
        p.qualifying_suffix = "example.org".into();
        assert_eq!(scrub_labels("my_host.Lab.", &p), "myhost.Lab.");
        assert_eq!(qualified("Host", &p, true), "host.example.org.");
        assert_eq!(qualified("host", &p, false), "host.example.org");
        assert_eq!(
            generated(IpAddr::from([192, 0, 2, 5]), &p, true),
            "myhost-192-0-2-5.example.org."
        );
        let n = Names {
            hostname: "host.example.org",
            fwd: true,
            rev: false,
        };
        let r = request(
            ChangeType::Add,
            &n,
            IpAddr::from([192, 0, 2, 5]),
            |name| Dhcid::from_hwaddr(1, &[1, 2, 3, 4, 5, 6], name),
            3600,
            1000,
            &p,
        );
        assert!(
            matches!(&r, Some(r) if r.fqdn == "host.example.org." && r.lease_length == 1200 && r.forward && !r.reverse),
            "{r:?}"
        );
        let none = Names {
            hostname: "h",
            fwd: false,
            rev: false,
        };
        assert!(request(
            ChangeType::Add,
            &none,
            IpAddr::from([192, 0, 2, 5]),
            |_| None,
            1,
            1,
            &p
        )
        .is_none());
    }
}
