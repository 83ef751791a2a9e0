//! The DNS messages D2 exchanges, built and read with hickory-proto:
//! RFC 2136 UPDATE messages (zone section = hickory's query section,
//! prerequisites = answers, updates = authorities, with the CLASS
//! NONE/ANY and empty-RDATA conventions of
//! `hickory_proto::op::update_message`) and the server's answers (ID,
//! RCODE, and the TSIG record that [`crate::tsig`] checks).
//!
//! What is left here is only what hickory-proto does not have: the
//! DHCID record type (RFC 4701), carried as opaque RDATA of type 49.

use std::net::IpAddr;

use hickory_proto::op::{Message, MessageType, OpCode, Query, UpdateMessage};
use hickory_proto::rr::rdata::{A, AAAA, NULL, PTR};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};

pub use hickory_proto::op::ResponseCode;

/// DHCID (RFC 4701), which hickory-proto has no RData for.
pub const DHCID: RecordType = RecordType::Unknown(49);

/// Why a message cannot be built, or bytes are not a usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("invalid domain name {0:?}: {1}")]
    Name(String, String),
    #[error("cannot encode the message: {0}")]
    Encode(String),
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("not a response")]
    NotResponse,
}

/// The absolute name `name` (a trailing dot is optional).
pub fn name(name: &str) -> Result<Name, WireError> {
    let mut n = Name::from_ascii(name).map_err(|e| WireError::Name(name.into(), e.to_string()))?;
    n.set_fqdn(true);
    Ok(n)
}

/// A record with empty RDATA and TTL 0 (the prerequisites and deletions
/// of RFC 2136 that name a whole RRset or name, with CLASS ANY or NONE).
pub fn empty(name: &Name, rtype: RecordType, class: DNSClass) -> Record {
    let mut r = Record::update0(name.clone(), 0, rtype);
    r.dns_class = class;
    r
}

fn record(name: &Name, class: DNSClass, ttl: u32, data: RData) -> Record {
    let mut r = Record::from_rdata(name.clone(), ttl, data);
    r.dns_class = class;
    r
}

/// The address record of `ip` (A or AAAA).
pub fn address(name: &Name, class: DNSClass, ttl: u32, ip: IpAddr) -> Record {
    let data = match ip {
        IpAddr::V4(a) => RData::A(A(a)),
        IpAddr::V6(a) => RData::AAAA(AAAA(a)),
    };
    record(name, class, ttl, data)
}

/// A DHCID record with the digest `dhcid` (RFC 4701's RDATA as is).
pub fn dhcid(name: &Name, class: DNSClass, ttl: u32, dhcid: &[u8]) -> Record {
    let mut rdata = NULL::new();
    rdata.anything = dhcid.to_vec();
    record(name, class, ttl, RData::Unknown { code: DHCID, rdata })
}

/// A PTR record pointing at `target`.
pub fn ptr(name: &Name, class: DNSClass, ttl: u32, target: &Name) -> Record {
    record(name, class, ttl, RData::PTR(PTR(target.clone())))
}

/// An UPDATE message for `zone` (RFC 2136 §2), unsigned.
pub fn update_message(id: u16, zone: &Name, prereqs: &[Record], updates: &[Record]) -> Message {
    let mut msg = Message::new(id, MessageType::Query, OpCode::Update);
    msg.metadata.recursion_desired = false;
    let mut q = Query::query(zone.clone(), RecordType::SOA);
    q.set_query_class(DNSClass::IN);
    msg.add_zone(q);
    for r in prereqs {
        msg.add_pre_requisite(r.clone());
    }
    for r in updates {
        msg.add_update(r.clone());
    }
    msg
}

/// The wire form of `msg` (with its TSIG record, if signed).
pub fn encode(msg: &Message) -> Result<Vec<u8>, WireError> {
    msg.to_vec().map_err(|e| WireError::Encode(e.to_string()))
}

/// Reads a server's answer: a response, with its TSIG record (if any) in
/// [`Message::signature`].
pub fn parse_response(b: &[u8]) -> Result<Message, WireError> {
    let msg = Message::from_vec(b).map_err(|e| WireError::Malformed(e.to_string()))?;
    if msg.metadata.message_type != MessageType::Response {
        return Err(WireError::NotResponse);
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The bytes of an UPDATE: header, zone, one prerequisite and two
    /// updates (hickory compresses owner names).
    #[test]
    fn update_on_the_wire() {
        let h = name("h.example.org").unwrap();
        let pre = [empty(&h, RecordType::ANY, DNSClass::NONE)];
        let upd = [
            address(&h, DNSClass::IN, 300, "192.0.2.1".parse().unwrap()),
            dhcid(&h, DNSClass::IN, 300, &[1, 2, 3]),
        ];
        let zone = name("example.org.").unwrap();
        let m = encode(&update_message(7, &zone, &pre, &upd)).unwrap();
        // ID 7, opcode UPDATE, ZOCOUNT 1, PRCOUNT 1, UPCOUNT 2, ADCOUNT 0.
        assert_eq!(&m[..12], &[0, 7, 0x28, 0, 0, 1, 0, 1, 0, 2, 0, 0]);
        let mut z = b"\x07example\x03org\x00\x00\x06\x00\x01".to_vec();
        assert_eq!(&m[12..12 + z.len()], &z[..]);
        // The prerequisite: "h" + pointer to the zone name, ANY, NONE,
        // TTL 0, RDLENGTH 0.
        z = b"\x01h\xc0\x0c\x00\xff\x00\xfe\x00\x00\x00\x00\x00\x00".to_vec();
        assert_eq!(&m[29..29 + z.len()], &z[..]);
        // The DHCID update, last: type 49, IN, TTL 300, its digest.
        assert!(m.ends_with(b"\x00\x31\x00\x01\x00\x00\x01\x2c\x00\x03\x01\x02\x03"));

        // Read back as an answer (QR set): ID, RCODE and records.
        let mut a = m.clone();
        a[2] |= 0x80;
        a[3] = 6; // YXDOMAIN
        let r = parse_response(&a).unwrap();
        assert_eq!(r.metadata.id, 7);
        assert_eq!(r.metadata.response_code, ResponseCode::YXDomain);
        assert_eq!(r.authorities.len(), 2);
        assert_eq!(r.authorities[1].record_type(), DHCID);
        assert!(r.signature().is_none());
        assert_eq!(parse_response(&m), Err(WireError::NotResponse));
        assert!(matches!(
            parse_response(&a[..20]),
            Err(WireError::Malformed(_))
        ));
        assert!(matches!(name("a..b"), Err(WireError::Name(..))));
    }
}
