//! What HA needs to know of a received client packet, read straight from
//! its bytes (no full decode): the load-balancing key (RFC 3074), the
//! client's identity for failure detection, and how long the client has
//! been trying (`secs` / Elapsed Time).
//!
//! - DHCPv4: the key is the client identifier (option 61, its whole
//!   value) or, without one, `chaddr` (`hlen` bytes); the wait is `secs`.
//! - DHCPv6: the key is the client's DUID (option 1, inside any
//!   Relay-forw); the wait is Elapsed Time (option 8, hundredths of a
//!   second) in seconds.

/// RFC 3074's mixing table (section 6).
const LOADB_MX_TBL: [u8; 256] = [
    251, 175, 119, 215, 81, 14, 79, 191, 103, 49, 181, 143, 186, 157, 0, 232, 31, 32, 55, 60, 152,
    58, 17, 237, 174, 70, 160, 144, 220, 90, 57, 223, 59, 3, 18, 140, 111, 166, 203, 196, 134, 243,
    124, 95, 222, 179, 197, 65, 180, 48, 36, 15, 107, 46, 233, 130, 165, 30, 123, 161, 209, 23, 97,
    16, 40, 91, 219, 61, 100, 10, 210, 109, 250, 127, 22, 138, 29, 108, 244, 67, 207, 9, 178, 204,
    74, 98, 126, 249, 167, 116, 34, 77, 193, 200, 121, 5, 20, 113, 71, 35, 128, 13, 182, 94, 25,
    226, 227, 199, 75, 27, 41, 245, 230, 224, 43, 225, 177, 26, 155, 150, 212, 142, 218, 115, 241,
    73, 88, 105, 39, 114, 62, 255, 192, 201, 145, 214, 168, 158, 221, 148, 154, 122, 12, 84, 82,
    163, 44, 139, 228, 236, 205, 242, 217, 11, 187, 146, 159, 64, 86, 239, 195, 42, 106, 198, 118,
    112, 184, 172, 87, 2, 173, 117, 176, 229, 247, 253, 137, 185, 99, 164, 102, 147, 45, 66, 231,
    52, 141, 211, 194, 206, 246, 238, 56, 110, 78, 248, 63, 240, 189, 93, 92, 51, 53, 183, 19, 171,
    72, 50, 33, 104, 101, 69, 8, 252, 83, 120, 76, 135, 85, 54, 202, 125, 188, 213, 96, 235, 136,
    208, 162, 129, 190, 132, 156, 38, 47, 1, 7, 254, 24, 4, 216, 131, 89, 21, 28, 133, 37, 153,
    149, 80, 170, 68, 6, 169, 234, 151,
];

/// RFC 3074's hash of `key`: seeded with its length, bytes taken from the
/// last to the first.
pub fn loadb_hash(key: &[u8]) -> u8 {
    let mut hash = key.len() as u8;
    for &b in key.iter().rev() {
        hash = LOADB_MX_TBL[usize::from(hash ^ b)];
    }
    hash
}

/// A client packet as HA sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The load-balancing key (also the client's identity).
    pub key: Vec<u8>,
    /// Seconds the client says it has been trying.
    pub secs: u64,
    /// One of the message types HA filters (DHCPv4 DISCOVER, REQUEST,
    /// DECLINE, RELEASE, INFORM; DHCPv6 SOLICIT, REQUEST, CONFIRM, RENEW,
    /// REBIND, RELEASE, DECLINE): the others are answered by any server
    /// whose service is enabled.
    pub ha_type: bool,
}

/// A DHCPv4 packet (BOOTREQUEST); `None` when it is too short to be one.
pub fn query4(b: &[u8]) -> Option<Query> {
    if b.len() < 240 || b[0] != 1 {
        return None;
    }
    let hlen = usize::from(b[2]).min(16);
    let mut secs = u16::from_be_bytes([b[8], b[9]]);
    // Some clients send `secs` little-endian; Kea swaps a value above 255
    // whose low byte is 0.
    if secs > 255 && secs & 0xff == 0 {
        secs = secs.swap_bytes();
    }
    let chaddr = &b[28..28 + hlen];
    let mut key = None;
    let mut msg_type = 0u8;
    let cookie = b[236..240] == [99, 130, 83, 99];
    if cookie {
        let mut i = 240;
        while i < b.len() {
            let code = b[i];
            if code == 255 {
                break;
            }
            if code == 0 {
                i += 1;
                continue;
            }
            let Some(&len) = b.get(i + 1) else { break };
            let end = i + 2 + usize::from(len);
            let Some(val) = b.get(i + 2..end) else { break };
            if code == 61 && !val.is_empty() && key.is_none() {
                key = Some(val.to_vec());
            }
            if code == 53 && val.len() == 1 {
                msg_type = val[0];
            }
            i = end;
        }
    }
    Some(Query {
        key: key.unwrap_or_else(|| chaddr.to_vec()),
        secs: u64::from(secs),
        // A BOOTREQUEST with the cookie and no message type is a BOOTP
        // client's (the built-in libdhcp_bootp.so serves it as a
        // DHCPREQUEST): in scope like one, so that one peer answers.
        ha_type: matches!(msg_type, 1 | 3 | 4 | 7 | 8) || (cookie && msg_type == 0 && b[0] == 1),
    })
}

/// The options of a DHCPv6 message body (after the message type and
/// transaction id, or a relay's header).
fn options6(b: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let h = b.get(i..i + 4)?;
        let code = u16::from_be_bytes([h[0], h[1]]);
        let len = usize::from(u16::from_be_bytes([h[2], h[3]]));
        let val = b.get(i + 4..i + 4 + len)?;
        i += 4 + len;
        Some((code, val))
    })
}

/// A DHCPv6 client message, relayed or not; `None` without a DUID.
pub fn query6(b: &[u8]) -> Option<Query> {
    let mut msg = b;
    // Relay-forw (12): its Relay Message option (9) holds the next level.
    for _ in 0..32 {
        if msg.first() != Some(&12) {
            break;
        }
        let body = msg.get(34..)?;
        msg = options6(body).find(|(c, _)| *c == 9)?.1;
    }
    let ha_type = matches!(msg.first(), Some(1 | 3 | 4 | 5 | 6 | 8 | 9));
    let body = msg.get(4..)?;
    let mut key = None;
    let mut secs = 0;
    for (code, val) in options6(body) {
        match code {
            1 if !val.is_empty() => key = Some(val.to_vec()),
            8 if val.len() == 2 => secs = u64::from(u16::from_be_bytes([val[0], val[1]])) / 100,
            _ => {}
        }
    }
    Some(Query {
        key: key?,
        secs,
        ha_type,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_table_is_a_permutation() {
        let mut seen = [false; 256];
        for &b in &LOADB_MX_TBL {
            assert!(!seen[usize::from(b)]);
            seen[usize::from(b)] = true;
        }
    }

    #[test]
    fn kea_test_vectors() {
        // Keys and hashes as Kea 2.2's hash gives them: even goes to the
        // primary, odd to the secondary.
        for (key, h) in [
            (&[0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff][..], 57),
            (&[0, 0, 0, 0, 0, 0][..], 254),
            (&[1, 2, 3, 4, 5, 6][..], 179),
            (&[1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff][..], 102),
            (&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13][..], 69),
        ] {
            assert_eq!(loadb_hash(key), h, "{key:02x?}");
        }
    }

    #[test]
    fn hash_of_nothing_is_the_table_at_zero() {
        assert_eq!(loadb_hash(&[]), 0);
        // One byte: table[len ^ byte].
        assert_eq!(loadb_hash(&[0]), LOADB_MX_TBL[1]);
        assert_eq!(loadb_hash(&[1]), LOADB_MX_TBL[0]);
        // Two bytes: the last one first.
        assert_eq!(
            loadb_hash(&[5, 7]),
            LOADB_MX_TBL[usize::from(LOADB_MX_TBL[2 ^ 7] ^ 5)]
        );
    }

    /// A DHCPDISCOVER's bytes (also for the other HA tests).
    pub(crate) fn discover(chaddr: [u8; 6], client_id: Option<&[u8]>, secs: u16) -> Vec<u8> {
        let mut b = vec![0u8; 240];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        b[8..10].copy_from_slice(&secs.to_be_bytes());
        b[28..34].copy_from_slice(&chaddr);
        b[236..240].copy_from_slice(&[99, 130, 83, 99]);
        b.extend_from_slice(&[53, 1, 1]);
        if let Some(id) = client_id {
            b.push(61);
            b.push(id.len() as u8);
            b.extend_from_slice(id);
        }
        b.push(255);
        b
    }

    #[test]
    fn v4_key_is_the_client_id_or_the_hardware_address() {
        let q = query4(&discover([1, 2, 3, 4, 5, 6], None, 7)).unwrap();
        assert_eq!(q.key, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(q.secs, 7);
        assert!(q.ha_type, "a DISCOVER");
        let q = query4(&discover([1, 2, 3, 4, 5, 6], Some(&[1, 9, 9]), 0)).unwrap();
        assert_eq!(q.key, vec![1, 9, 9]);
        assert!(query4(&[1u8; 100]).is_none());
    }

    #[test]
    fn v6_key_is_the_duid_inside_relays() {
        let mut m = vec![1u8, 0, 0, 1];
        m.extend_from_slice(&[0, 8, 0, 2, 0x01, 0xf4]); // elapsed 500 = 5 s
        m.extend_from_slice(&[0, 1, 0, 3, 0xaa, 0xbb, 0xcc]);
        let q = query6(&m).unwrap();
        assert_eq!((q.key.as_slice(), q.secs), (&[0xaa, 0xbb, 0xcc][..], 5));
        let mut r = vec![12u8, 0];
        r.extend_from_slice(&[0u8; 32]);
        r.extend_from_slice(&[0, 9]);
        r.extend_from_slice(&(m.len() as u16).to_be_bytes());
        r.extend_from_slice(&m);
        assert_eq!(query6(&r).unwrap(), q);
    }
}
