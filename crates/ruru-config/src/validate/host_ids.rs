//! Reservation identifiers as Kea writes them: `hw-address`,
//! `client-id`, `circuit-id`, `flex-id` and DHCPv6's `duid`. Public (at the
//! crate root): the server's reservation commands parse identifiers with
//! the same rules.

use crate::model::HostId;
use crate::options;

/// Parses a reservation identifier of Kea type `kind` (`hw-address`,
/// `client-id`, `circuit-id`). `Err(None)`: a Kea type ruru does not
/// support yet; `Err(Some(msg))`: a bad value, with what was expected.
pub fn parse_host_id(kind: &str, s: &str) -> Result<HostId, Option<String>> {
    match kind {
        "hw-address" => parse_hw_address(s).map(HostId::HwAddress).ok_or_else(|| {
            Some(format!("`{s}` is not a hardware address: expected e.g. \"aa:bb:cc:dd:ee:ff\""))
        }),
        "client-id" => match options::decode_hex(s) {
            Ok(b) if (2..=255).contains(&b.len()) => Ok(HostId::ClientId(b)),
            _ => Err(Some(format!("`{s}` is not a client identifier: expected 2 to 255 bytes of hex, e.g. \"01:aa:bb:cc:dd:ee:ff\""))),
        },
        "circuit-id" => match hex_or_text(s) {
            Some(b) => Ok(HostId::CircuitId(b)),
            None => Err(Some(format!("`{s}` is not a circuit id: expected hex (\"0a:0b\") or quoted text (\"'port-1'\")"))),
        },
        "duid" => parse_duid(s).map(HostId::Duid).ok_or_else(|| {
            Some(format!("`{s}` is not a DUID: expected 1 to 130 bytes of hex, e.g. \"00:03:00:01:aa:bb:cc:dd:ee:ff\""))
        }),
        "flex-id" => match hex_or_text(s) {
            Some(b) => Ok(HostId::Flex(b)),
            None => Err(Some(format!("`{s}` is not a flex-id: expected 1 to 255 bytes as hex (\"0a:0b\") or quoted text (\"'port-1'\")"))),
        },
        _ => Err(None),
    }
}

/// Kea's identifier text: quoted text (`'port-1'`) or hex; 1..=255 bytes.
pub fn hex_or_text(s: &str) -> Option<Vec<u8>> {
    let bytes = match s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
        Some(text) => Ok(text.as_bytes().to_vec()),
        None => options::decode_hex(s),
    };
    bytes.ok().filter(|b| (1..=255).contains(&b.len()))
}

/// `"aa:bb:cc:dd:ee:ff"`, `"aa-bb-cc-dd-ee-ff"` or `"aabbccddeeff"`; 1..=20 bytes.
pub fn parse_hw_address(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let bytes: Vec<u8> = if s.contains(':') || s.contains('-') {
        s.split([':', '-'])
            .map(|g| {
                if g.is_empty() || g.len() > 2 || !g.bytes().all(|c| c.is_ascii_hexdigit()) {
                    None
                } else {
                    u8::from_str_radix(g, 16).ok()
                }
            })
            .collect::<Option<_>>()?
    } else {
        if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect::<Option<_>>()?
    };
    (1..=20).contains(&bytes.len()).then_some(bytes)
}

/// A DUID in Kea's hex notations (`"00:03:00:01:aa:bb:cc:dd:ee:ff"`,
/// `"000300..."`): 1 to 130 bytes (RFC 8415 §11.1).
pub fn parse_duid(s: &str) -> Option<Vec<u8>> {
    options::decode_hex(s)
        .ok()
        .filter(|b| (1..=130).contains(&b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hw_address_forms() {
        let want = vec![0xaa, 0xbb, 0xcc, 0, 0, 1];
        for s in [
            "aa:bb:cc:00:00:01",
            "AA-BB-CC-00-00-01",
            "aabbcc000001",
            "aa:bb:cc:0:0:1",
        ] {
            assert_eq!(parse_hw_address(s), Some(want.clone()), "{s}");
        }
        for s in [
            "",
            "aa::bb",
            "aabbc",
            "zz:00",
            "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee",
        ] {
            assert_eq!(parse_hw_address(s), None, "{s}");
        }
    }

    #[test]
    fn duid_forms() {
        assert_eq!(
            parse_duid("00:03:00:01:aa:bb"),
            Some(vec![0, 3, 0, 1, 0xaa, 0xbb])
        );
        assert_eq!(parse_duid("000300"), Some(vec![0, 3, 0]));
        assert_eq!(parse_duid(""), None);
        assert_eq!(parse_duid("zz"), None);
        assert_eq!(parse_duid(&"ab".repeat(131)), None);
    }
}
