//! Small helpers hook libraries often need.

/// Parses a hardware address written as hex bytes separated by `:` or `-`
/// (`02:00:00:00:00:aa`), case-insensitive. None when malformed.
pub fn parse_mac(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    text.split([':', '-'])
        .map(|b| {
            if b.is_empty() || b.len() > 2 {
                None
            } else {
                u8::from_str_radix(b, 16).ok()
            }
        })
        .collect()
}

/// Formats a hardware address as Kea does: lower-case hex, `:`-separated.
pub fn format_mac(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_text_round_trip() {
        let m = parse_mac("02:00:00:00:00:AA").unwrap();
        assert_eq!(m, vec![2, 0, 0, 0, 0, 0xaa]);
        assert_eq!(format_mac(&m), "02:00:00:00:00:aa");
        assert_eq!(parse_mac("2-0-0-0-0-aa"), Some(m));
        for bad in ["", "02::00", "02:0g", "123:00", "02:00:"] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }
}
