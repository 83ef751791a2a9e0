//! Domain names as DDNS needs them: wire form (for the DHCID digest and
//! option 81/39), Kea's qualifying of partial names, the names it
//! generates from addresses, and reverse-lookup names.

use std::net::IpAddr;

/// The wire form of `name` (RFC 1035 labels, ending in the root label),
/// lower-cased when `lower` (the canonical form of RFC 4034 §6.2 that the
/// DHCID digest uses). `None` when a label is empty in the middle or
/// longer than 63 octets, or the name longer than 255 octets.
pub fn to_wire(name: &str, lower: bool) -> Option<Vec<u8>> {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let mut out = Vec::with_capacity(trimmed.len() + 2);
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            if label.is_empty() || label.len() > 63 {
                return None;
            }
            out.push(label.len() as u8);
            if lower {
                out.extend(label.bytes().map(|b| b.to_ascii_lowercase()));
            } else {
                out.extend_from_slice(label.as_bytes());
            }
        }
    }
    out.push(0);
    (out.len() <= 255).then_some(out)
}

/// The wire form of a partial name (no root label at the end), as option
/// 81 and 39 carry a name the client wants the server to complete.
pub fn to_wire_partial(name: &str) -> Option<Vec<u8>> {
    let mut w = to_wire(name, false)?;
    w.pop();
    Some(w)
}

/// Reads a name in wire form (no compression, as in option 81/39).
/// Returns the dotted text and whether it was fully qualified (ended in
/// the root label). `None` when malformed.
pub fn from_wire(mut b: &[u8]) -> Option<(String, bool)> {
    let mut out = String::new();
    loop {
        let Some((&len, rest)) = b.split_first() else {
            return Some((out, false));
        };
        if len == 0 {
            return rest.is_empty().then(|| {
                out.push('.');
                (out, true)
            });
        }
        if len > 63 || rest.len() < len as usize {
            return None;
        }
        let (label, rest) = rest.split_at(len as usize);
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(std::str::from_utf8(label).ok()?);
        b = rest;
    }
}

/// Kea's `qualifyName`: `partial` followed by `suffix` (when not empty),
/// with a trailing dot when `trailing_dot`, without one otherwise.
pub fn qualify(partial: &str, suffix: &str, trailing_dot: bool) -> String {
    let mut s = String::with_capacity(partial.len() + suffix.len() + 2);
    s.push_str(partial);
    if !suffix.is_empty() {
        if !s.is_empty() && !s.ends_with('.') {
            s.push('.');
        }
        s.push_str(suffix);
    }
    if trailing_dot {
        if !s.ends_with('.') {
            s.push('.');
        }
    } else if s.ends_with('.') {
        s.pop();
    }
    s
}

/// Kea's generated host label for an address: `prefix-192-0-2-10`,
/// `prefix-2001-db8--5` (dots or colons become dashes).
pub fn generated_label(prefix: &str, addr: IpAddr) -> String {
    let a = addr.to_string().replace(['.', ':'], "-");
    format!("{prefix}-{a}")
}

/// The reverse-lookup name of an address, as D2 updates its PTR record:
/// `10.2.0.192.in-addr.arpa.`, or the 32 nibbles of an IPv6 address under
/// `ip6.arpa.` (RFC 3596 §2.5).
pub fn reverse_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(a) => {
            let o = a.octets();
            format!("{}.{}.{}.{}.in-addr.arpa.", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(a) => {
            let mut s = String::with_capacity(73);
            for b in a.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", b & 0xf, b >> 4));
            }
            s.push_str("ip6.arpa.");
            s
        }
    }
}

/// Number of labels of `name`, not counting the root.
pub fn label_count(name: &str) -> usize {
    let t = name.strip_suffix('.').unwrap_or(name);
    if t.is_empty() {
        0
    } else {
        t.split('.').count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        assert_eq!(
            to_wire("Host.Example.", true).as_deref(),
            Some(&b"\x04host\x07example\x00"[..])
        );
        assert_eq!(to_wire("a..b", false), None);
        assert_eq!(to_wire_partial("host").as_deref(), Some(&b"\x04host"[..]));
        assert_eq!(
            from_wire(b"\x04host\x07example\x00"),
            Some(("host.example.".into(), true))
        );
        assert_eq!(from_wire(b"\x04host"), Some(("host".into(), false)));
        assert_eq!(from_wire(b"\x05host"), None);
        assert_eq!(from_wire(b"\x00x"), None);
        assert_eq!(from_wire(b""), Some((String::new(), false)));
    }

    #[test]
    fn qualifying_and_generating() {
        assert_eq!(qualify("host", "example.org", true), "host.example.org.");
        assert_eq!(qualify("host", "example.org.", false), "host.example.org");
        assert_eq!(qualify("host.", "", true), "host.");
        assert_eq!(qualify("host", "", false), "host");
        assert_eq!(
            generated_label(
                "myhost",
                "192.0.2.10".parse().unwrap_or(IpAddr::from([0; 4]))
            ),
            "myhost-192-0-2-10"
        );
        assert_eq!(
            reverse_name("192.0.2.10".parse().unwrap_or(IpAddr::from([0; 4]))),
            "10.2.0.192.in-addr.arpa."
        );
        assert_eq!(
            reverse_name("2001:db8::5".parse().unwrap_or(IpAddr::from([0; 4]))),
            "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa."
        );
        assert_eq!(label_count("a.b.c."), 3);
        assert_eq!(label_count("a"), 1);
        assert_eq!(label_count("."), 0);
    }
}
