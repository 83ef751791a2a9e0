//! Vendor sub-options (option spaces `vendor-N`) in the V-I vendor
//! option of a reply: DHCPv4 option 125 (RFC 3925 §4) and DHCPv6 option
//! 17 (RFC 8415 §21.17), as Kea 2.2 fills them
//! (`appendRequestedVendorOptions`).
//!
//! The vendor is the one of the V-I option already in the reply (a
//! configured `vivso-suboptions` / `vendor-opts` that was requested or is
//! always sent), else the one of the client's V-I option. Its `always-send`
//! sub-options are added, each code from the first level (host, pool,
//! subnet, classes, global) that configures it; the option is then added
//! to the reply if it was not there; so are the sub-options the client
//! requests in the DOCSIS option request sub-option (sub-option 1 of its
//! own V-I option for vendor 4491, the only vendor Kea reads it for).
//! Sub-options go in code order, as Kea packs them.

/// One vendor sub-option of a configuration level: (vendor, code, data,
/// always-send).
pub type VendorItem<'a> = (u32, u16, &'a [u8], bool);

/// The V-I option payload for vendor `id` with the sub-options
/// `requested` by the client and the always-send ones of `items` (levels
/// in precedence order) added to the
/// sub-options of `existing` (the payload of the V-I option already in the
/// reply, if any); `None` when nothing is added. `v4`: option 125 (one
/// octet codes and lengths, a data-length octet after the enterprise
/// number); else option 17 (two octet codes and lengths).
pub fn vendor_option(
    v4: bool,
    id: u32,
    existing: Option<&[u8]>,
    requested: &[u16],
    items: &[VendorItem<'_>],
) -> Option<Vec<u8>> {
    let mut codes: Vec<u16> = Vec::new();
    for &code in requested {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    for &(v, code, _, always) in items {
        if v == id && always && !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return None;
    }
    let mut subs = existing.map_or_else(Vec::new, |e| parse_subs(v4, e));
    let mut added = false;
    for code in codes {
        if subs.iter().any(|(c, _)| *c == code) {
            continue;
        }
        if let Some(&(_, _, data, _)) = items.iter().find(|i| i.0 == id && i.1 == code) {
            subs.push((code, data.to_vec()));
            added = true;
        }
    }
    if !added {
        return None;
    }
    subs.sort_by_key(|(c, _)| *c);
    let mut body = Vec::new();
    for (code, data) in &subs {
        if v4 {
            let (Ok(c), Ok(len)) = (u8::try_from(*code), u8::try_from(data.len())) else {
                continue;
            };
            // The data-length octet bounds all of vendor `id`'s sub-options.
            if body.len() + 2 + data.len() > 255 {
                break;
            }
            body.extend([c, len]);
        } else {
            let Ok(len) = u16::try_from(data.len()) else {
                continue;
            };
            body.extend(code.to_be_bytes());
            body.extend(len.to_be_bytes());
        }
        body.extend(data);
    }
    let mut out = id.to_be_bytes().to_vec();
    if v4 {
        out.push(body.len() as u8);
    }
    out.extend(body);
    Some(out)
}

/// The codes a client's V-I option payload requests in the DOCSIS option
/// request sub-option (1): one octet each in DHCPv4, two in DHCPv6; none
/// unless the option is vendor 4491's.
pub fn docsis_oro(v4: bool, payload: &[u8]) -> Vec<u16> {
    if vendor_id(payload) != Some(4491) {
        return Vec::new();
    }
    let Some((_, oro)) = parse_subs(v4, payload).into_iter().find(|(c, _)| *c == 1) else {
        return Vec::new();
    };
    if v4 {
        oro.iter().map(|c| u16::from(*c)).collect()
    } else {
        oro.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect()
    }
}

/// The vendor (enterprise number) of a V-I option payload.
pub fn vendor_id(payload: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(payload.get(..4)?.try_into().ok()?))
}

/// The sub-options of a V-I option payload (the first vendor's only, in
/// DHCPv4); whatever does not parse is left out.
fn parse_subs(v4: bool, payload: &[u8]) -> Vec<(u16, Vec<u8>)> {
    let mut out = Vec::new();
    let body = if v4 {
        let Some(&len) = payload.get(4) else {
            return out;
        };
        payload.get(5..5 + usize::from(len)).unwrap_or(&[])
    } else {
        payload.get(4..).unwrap_or(&[])
    };
    let hdr = if v4 { 2 } else { 4 };
    let mut i = 0;
    while i + hdr <= body.len() {
        let (code, len) = if v4 {
            (u16::from(body[i]), usize::from(body[i + 1]))
        } else {
            (
                u16::from_be_bytes([body[i], body[i + 1]]),
                usize::from(u16::from_be_bytes([body[i + 2], body[i + 3]])),
            )
        };
        let Some(data) = body.get(i + hdr..i + hdr + len) else {
            break;
        };
        out.push((code, data.to_vec()));
        i += hdr + len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Bytes from Kea 2.2 (kea-dhcp4 on loopback): vendor 339, sub-option
    // 7 (uint16 5) always sent, sub-option 3 not.
    #[test]
    fn v4_always_send_sub_options() {
        let items: &[VendorItem] = &[(339, 3, &[0xaa], false), (339, 7, &[0, 5], true)];
        let configured = [0, 0, 1, 0x53, 0];
        assert_eq!(
            vendor_option(true, 339, Some(&configured), &[], items).unwrap(),
            [0, 0, 1, 0x53, 4, 7, 2, 0, 5]
        );
        assert_eq!(
            vendor_option(true, 339, None, &[], items).unwrap(),
            [0, 0, 1, 0x53, 4, 7, 2, 0, 5]
        );
        assert_eq!(vendor_option(true, 4491, None, &[], items), None);
    }

    #[test]
    fn docsis_option_request() {
        // Vendor 4491 asks for sub-options 2 and 5 (DHCPv4: one octet each).
        let q = [0, 0, 0x11, 0x8b, 4, 1, 2, 2, 5];
        assert_eq!(docsis_oro(true, &q), [2, 5]);
        let q6 = [0, 0, 0x11, 0x8b, 0, 1, 0, 4, 0, 32, 0, 33];
        assert_eq!(docsis_oro(false, &q6), [32, 33]);
        // Another vendor's sub-option 1 is not an option request.
        assert!(docsis_oro(true, &[0, 0, 1, 0x53, 3, 1, 1, 2]).is_empty());
        let items: &[VendorItem] = &[(4491, 2, &[192, 0, 2, 1], false), (4491, 9, &[1], false)];
        assert_eq!(
            vendor_option(true, 4491, None, &docsis_oro(true, &q), items).unwrap(),
            [0, 0, 0x11, 0x8b, 6, 2, 4, 192, 0, 2, 1]
        );
    }

    #[test]
    fn first_level_wins_and_code_order() {
        let items: &[VendorItem] = &[(9, 5, &[1], true), (9, 2, &[2], true), (9, 5, &[3], true)];
        assert_eq!(
            vendor_option(false, 9, None, &[], items).unwrap(),
            [0, 0, 0, 9, 0, 2, 0, 1, 2, 0, 5, 0, 1, 1]
        );
    }

    #[test]
    fn existing_sub_options_are_kept() {
        let items: &[VendorItem] = &[(9, 1, &[7], true)];
        let existing = [0, 0, 0, 9, 3, 4, 1, 0xee];
        assert_eq!(
            vendor_option(true, 9, Some(&existing), &[], items).unwrap(),
            [0, 0, 0, 9, 6, 1, 1, 7, 4, 1, 0xee]
        );
        assert_eq!(vendor_id(&existing), Some(9));
        assert_eq!(vendor_id(&[0, 1]), None);
        // Truncated payloads parse to what is whole.
        assert_eq!(parse_subs(true, &[0, 0, 0, 9, 9, 4, 3, 1]), vec![]);
        assert_eq!(parse_subs(false, &[0, 0, 0, 9, 0, 1]), vec![]);
    }
}
