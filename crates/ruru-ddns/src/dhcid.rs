//! The DHCID RDATA of RFC 4701, computed as Kea computes it: it ties a
//! DNS name to the client that owns it, so that one client cannot take
//! over another's name (RFC 4703 conflict resolution).

use ring::digest::{digest, SHA256};

/// Identifier types of RFC 4701 §3.3.
const ID_HWADDR: u8 = 0;
const ID_CLIENT_ID: u8 = 1;
const ID_DUID: u8 = 2;

/// A DHCID RDATA: identifier type (2 octets), digest type 1 (SHA-256),
/// the digest of the identifier and the canonical wire form of the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dhcid(pub Vec<u8>);

impl Dhcid {
    fn digest(kind: u8, id: &[u8], name: &str) -> Option<Dhcid> {
        if id.is_empty() {
            return None;
        }
        let wire = crate::name::to_wire(name, true)?;
        let mut data = Vec::with_capacity(id.len() + wire.len());
        data.extend_from_slice(id);
        data.extend_from_slice(&wire);
        let h = digest(&SHA256, &data);
        let mut out = Vec::with_capacity(3 + h.as_ref().len());
        out.extend_from_slice(&[0, kind, 1]);
        out.extend_from_slice(h.as_ref());
        Some(Dhcid(out))
    }

    /// From a DHCPv4 hardware type and address (type 0).
    pub fn from_hwaddr(htype: u8, chaddr: &[u8], name: &str) -> Option<Dhcid> {
        if chaddr.is_empty() {
            return None;
        }
        let mut id = Vec::with_capacity(1 + chaddr.len());
        id.push(htype);
        id.extend_from_slice(chaddr);
        Dhcid::digest(ID_HWADDR, &id, name)
    }

    /// From a DHCPv4 client identifier (option 61 data, type 1); a client
    /// identifier holding a DUID (RFC 4361: type 255, IAID, DUID) gives
    /// the DUID's DHCID (type 2), as Kea does.
    pub fn from_client_id(client_id: &[u8], name: &str) -> Option<Dhcid> {
        match client_id.first() {
            Some(255) => {
                if client_id.len() <= 5 || client_id.len() > 135 {
                    return None;
                }
                Dhcid::digest(ID_DUID, &client_id[5..], name)
            }
            _ => Dhcid::digest(ID_CLIENT_ID, client_id, name),
        }
    }

    /// From a DUID (DHCPv6, type 2).
    pub fn from_duid(duid: &[u8], name: &str) -> Option<Dhcid> {
        Dhcid::digest(ID_DUID, duid, name)
    }

    /// Upper-case hexadecimal, as in Kea's NCRs.
    pub fn to_hex(&self) -> String {
        let mut s = String::with_capacity(self.0.len() * 2);
        for b in &self.0 {
            s.push_str(&format!("{b:02X}"));
        }
        s
    }

    /// Parses hexadecimal (either case, even length).
    pub fn from_hex(s: &str) -> Option<Dhcid> {
        if !s.len().is_multiple_of(2) {
            return None;
        }
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len() / 2);
        for pair in b.chunks(2) {
            let t = std::str::from_utf8(pair).ok()?;
            out.push(u8::from_str_radix(t, 16).ok()?);
        }
        Some(Dhcid(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;

    fn b64(d: Option<Dhcid>) -> String {
        d.map(|d| base64::engine::general_purpose::STANDARD.encode(d.0))
            .unwrap_or_default()
    }

    /// The three examples of RFC 4701 §3.6.
    #[test]
    fn rfc4701_examples() {
        let duid = [0, 1, 0, 6, 0x41, 0x2d, 0xf1, 0x66, 1, 2, 3, 4, 5, 6];
        assert_eq!(
            b64(Dhcid::from_duid(&duid, "chi6.example.com")),
            "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="
        );
        assert_eq!(
            b64(Dhcid::from_client_id(
                &[1, 7, 8, 9, 10, 11, 12],
                "chi.example.com"
            )),
            "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No="
        );
        assert_eq!(
            b64(Dhcid::from_hwaddr(
                1,
                &[1, 2, 3, 4, 5, 6],
                "client.example.com"
            )),
            "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY="
        );
        // Case and the trailing dot do not change the digest.
        assert_eq!(
            Dhcid::from_duid(&duid, "CHI6.example.com."),
            Dhcid::from_duid(&duid, "chi6.example.com")
        );
        // A client identifier carrying a DUID (RFC 4361) hashes the DUID.
        let mut cid = vec![255, 0, 0, 0, 1];
        cid.extend_from_slice(&duid);
        assert_eq!(
            Dhcid::from_client_id(&cid, "chi6.example.com"),
            Dhcid::from_duid(&duid, "chi6.example.com")
        );
        assert_eq!(Dhcid::from_client_id(&[255, 0, 0, 0, 1], "x.example"), None);
        assert_eq!(Dhcid::from_duid(&[], "x.example"), None);
        let hex = Dhcid(vec![0, 1, 0xab]).to_hex();
        assert_eq!(hex, "0001AB");
        assert_eq!(Dhcid::from_hex("0001ab"), Some(Dhcid(vec![0, 1, 0xab])));
        assert_eq!(Dhcid::from_hex("0g"), None);
    }
}
