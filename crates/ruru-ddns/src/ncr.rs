//! Kea's name-change request (NCR): what a DHCP server asks the DNS
//! updater (Kea's D2, or ruru's own) to do for one lease, and its JSON
//! wire format.
//!
//! On the wire (UDP, Kea's `ncr-protocol` `UDP`, `ncr-format` `JSON`)
//! one datagram is a 16-bit big-endian length followed by that many
//! octets of JSON text:
//!
//! ```text
//! {"change-type":0,"forward-change":true,"reverse-change":true,
//!  "fqdn":"host.example.org.","ip-address":"192.0.2.10",
//!  "dhcid":"000101...","lease-expires-on":"20261207120000",
//!  "lease-length":3600,"use-conflict-resolution":true,
//!  "conflict-resolution-mode":"check-with-dhcid"}
//! ```
//!
//! Kea 2.2 reads `use-conflict-resolution` (and ignores the mode), Kea
//! 2.4 and later read `conflict-resolution-mode` first; ruru writes both
//! and reads either.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dhcid::Dhcid;

/// Add (0) or remove (1) the client's DNS entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeType {
    Add,
    Remove,
}

/// Kea's `ddns-conflict-resolution-mode` (Kea 2.4+); Kea 2.2's
/// `ddns-use-conflict-resolution` true is `CheckWithDhcid`, false is
/// `NoCheckWithDhcid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConflictMode {
    /// RFC 4703: a name is added only when not in use, and replaced or
    /// removed only when its DHCID is the client's (the default).
    #[default]
    CheckWithDhcid,
    /// Names are added, replaced and removed whoever holds them; DHCID
    /// records are still written.
    NoCheckWithDhcid,
    /// A name is added when no address record of the client's type is
    /// there, and replaced or removed when a DHCID record exists, whatever
    /// its value.
    CheckExistsWithDhcid,
    /// Names are added, replaced and removed whoever holds them, without
    /// DHCID records.
    NoCheckWithoutDhcid,
}

impl ConflictMode {
    /// Kea's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictMode::CheckWithDhcid => "check-with-dhcid",
            ConflictMode::NoCheckWithDhcid => "no-check-with-dhcid",
            ConflictMode::CheckExistsWithDhcid => "check-exists-with-dhcid",
            ConflictMode::NoCheckWithoutDhcid => "no-check-without-dhcid",
        }
    }

    /// Parses Kea's spelling.
    pub fn parse(s: &str) -> Option<ConflictMode> {
        Some(match s {
            "check-with-dhcid" => ConflictMode::CheckWithDhcid,
            "no-check-with-dhcid" => ConflictMode::NoCheckWithDhcid,
            "check-exists-with-dhcid" => ConflictMode::CheckExistsWithDhcid,
            "no-check-without-dhcid" => ConflictMode::NoCheckWithoutDhcid,
            _ => return None,
        })
    }

    /// Kea 2.2's boolean `use-conflict-resolution` for this mode.
    pub fn uses_conflict_resolution(self) -> bool {
        matches!(
            self,
            ConflictMode::CheckWithDhcid | ConflictMode::CheckExistsWithDhcid
        )
    }
}

/// One name-change request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ncr {
    pub change: ChangeType,
    /// Update the forward (A/AAAA) records.
    pub forward: bool,
    /// Update the reverse (PTR) record.
    pub reverse: bool,
    /// The fully qualified name, with its trailing dot.
    pub fqdn: String,
    /// The leased address.
    pub ip: IpAddr,
    /// The client's DHCID for this name.
    pub dhcid: Dhcid,
    /// When the lease expires, Unix seconds.
    pub lease_expires_on: i64,
    /// The lease lifetime, seconds (D2 derives the records' TTL from it).
    pub lease_length: u32,
    pub conflict: ConflictMode,
}

/// Why bytes are not a valid NCR.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NcrError {
    #[error("datagram shorter than its length prefix")]
    Truncated,
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// The JSON object as Kea writes and reads it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Json {
    change_type: u8,
    forward_change: bool,
    reverse_change: bool,
    fqdn: String,
    ip_address: String,
    dhcid: String,
    lease_expires_on: String,
    lease_length: u32,
    #[serde(default)]
    use_conflict_resolution: Option<bool>,
    #[serde(default)]
    conflict_resolution_mode: Option<String>,
}

impl Ncr {
    /// The JSON text (Kea's `toJSON`, plus the Kea 2.4 mode).
    pub fn to_json(&self) -> String {
        let j = Json {
            change_type: match self.change {
                ChangeType::Add => 0,
                ChangeType::Remove => 1,
            },
            forward_change: self.forward,
            reverse_change: self.reverse,
            fqdn: self.fqdn.clone(),
            ip_address: self.ip.to_string(),
            dhcid: self.dhcid.to_hex(),
            lease_expires_on: crate::time::to_compact(self.lease_expires_on),
            lease_length: self.lease_length,
            use_conflict_resolution: Some(self.conflict.uses_conflict_resolution()),
            conflict_resolution_mode: Some(self.conflict.as_str().to_string()),
        };
        serde_json::to_string(&j).unwrap_or_default()
    }

    /// Parses the JSON text, validating it as Kea's D2 does (a name, a
    /// DHCID, at least one direction).
    pub fn from_json(text: &str) -> Result<Ncr, NcrError> {
        let j: Json = serde_json::from_str(text).map_err(|e| NcrError::Json(e.to_string()))?;
        let change = match j.change_type {
            0 => ChangeType::Add,
            1 => ChangeType::Remove,
            _ => return Err(NcrError::Invalid("change-type")),
        };
        let ip: IpAddr = j
            .ip_address
            .parse()
            .map_err(|_| NcrError::Invalid("ip-address"))?;
        let dhcid = Dhcid::from_hex(&j.dhcid)
            .filter(|d| !d.0.is_empty())
            .ok_or(NcrError::Invalid("dhcid"))?;
        let lease_expires_on = crate::time::from_compact(&j.lease_expires_on)
            .ok_or(NcrError::Invalid("lease-expires-on"))?;
        let conflict = match (j.conflict_resolution_mode, j.use_conflict_resolution) {
            (Some(m), _) => {
                ConflictMode::parse(&m).ok_or(NcrError::Invalid("conflict-resolution-mode"))?
            }
            (None, Some(false)) => ConflictMode::NoCheckWithDhcid,
            (None, _) => ConflictMode::CheckWithDhcid,
        };
        if j.fqdn.is_empty() || crate::name::to_wire(&j.fqdn, false).is_none() {
            return Err(NcrError::Invalid("fqdn"));
        }
        if !j.forward_change && !j.reverse_change {
            return Err(NcrError::Invalid(
                "forward-change/reverse-change (both false)",
            ));
        }
        let mut fqdn = j.fqdn;
        if !fqdn.ends_with('.') {
            fqdn.push('.');
        }
        Ok(Ncr {
            change,
            forward: j.forward_change,
            reverse: j.reverse_change,
            fqdn,
            ip,
            dhcid,
            lease_expires_on,
            lease_length: j.lease_length,
            conflict,
        })
    }

    /// One UDP datagram: the length prefix and the JSON text.
    pub fn to_wire(&self) -> Vec<u8> {
        let json = self.to_json();
        let len = u16::try_from(json.len()).unwrap_or(u16::MAX);
        let mut out = Vec::with_capacity(2 + json.len());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&json.as_bytes()[..usize::from(len)]);
        out
    }

    /// Parses one UDP datagram.
    pub fn from_wire(b: &[u8]) -> Result<Ncr, NcrError> {
        let (len, rest) = b.split_at_checked(2).ok_or(NcrError::Truncated)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let text = rest.get(..len).ok_or(NcrError::Truncated)?;
        let text = std::str::from_utf8(text).map_err(|e| NcrError::Json(e.to_string()))?;
        Ncr::from_json(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ncr {
        Ncr {
            change: ChangeType::Add,
            forward: true,
            reverse: true,
            fqdn: "host.example.org.".into(),
            ip: IpAddr::from([192, 0, 2, 10]),
            dhcid: Dhcid(vec![0, 1, 1, 0xab]),
            lease_expires_on: 1_795_806_231,
            lease_length: 3600,
            conflict: ConflictMode::CheckWithDhcid,
        }
    }

    #[test]
    fn round_trip_and_kea_text() {
        let n = sample();
        let w = n.to_wire();
        assert_eq!(usize::from(u16::from_be_bytes([w[0], w[1]])), w.len() - 2);
        assert_eq!(Ncr::from_wire(&w), Ok(n.clone()));
        let t = n.to_json();
        assert!(
            t.starts_with("{\"change-type\":0,\"forward-change\":true,"),
            "{t}"
        );
        assert!(t.contains("\"dhcid\":\"000101AB\""), "{t}");
        assert!(t.contains("\"lease-expires-on\":\"20261127190351\""), "{t}");
        assert!(t.contains("\"use-conflict-resolution\":true"), "{t}");
    }

    #[test]
    fn reads_kea_2_2_requests() {
        // As kea-dhcp4 2.2 writes it (no conflict-resolution-mode).
        let t = r#"{"change-type":1,"forward-change":true,"reverse-change":false,"fqdn":"myhost.example.com.","ip-address":"192.0.2.1","dhcid":"010203040A7F8E3D","lease-expires-on":"20130121132405","lease-length":1300,"use-conflict-resolution":false}"#;
        let n = Ncr::from_json(t);
        assert!(
            matches!(&n, Ok(n) if n.change == ChangeType::Remove && n.conflict == ConflictMode::NoCheckWithDhcid && n.lease_length == 1300),
            "{n:?}"
        );
    }

    #[test]
    fn refuses_bad_requests() {
        let mut n = sample();
        n.forward = false;
        n.reverse = false;
        assert!(Ncr::from_wire(&n.to_wire()).is_err());
        assert_eq!(Ncr::from_wire(&[0, 10, b'{']), Err(NcrError::Truncated));
        assert_eq!(Ncr::from_wire(&[0]), Err(NcrError::Truncated));
        assert!(Ncr::from_json("{}").is_err());
        let t = sample().to_json().replace("192.0.2.10", "not-an-ip");
        assert_eq!(Ncr::from_json(&t), Err(NcrError::Invalid("ip-address")));
    }
}
