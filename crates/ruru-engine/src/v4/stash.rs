//! Kea 2.6's `stash-agent-options`: a client in the RENEWING state
//! unicasts its REQUEST straight to the server, without the relay agent
//! information (option 82) that its relayed messages carried. With the
//! option on, such a REQUEST is handled as if it carried the option 82
//! stored with the client's lease (by `store-extended-info`: the lease's
//! user context `{ "ISC": { "relay-agent-info": "0x..." } }`), as Kea's
//! `recoverStashedAgentOption` does: classification, subnet selection and
//! host identifiers see it, the packet is in class `STASH_AGENT_OPTIONS`,
//! and the reply does not echo it.

use ruru_lease::LeaseStore;

use super::alloc::ClientKey;
use super::packet::{self, Query4};
use dhcproto::v4::MessageType;

/// The query's bytes with the stashed option 82 added, and the query they
/// parse to (marked `stashed`); `None` when nothing applies: not a
/// REQUEST, relayed or without `ciaddr`, an option 82 with content
/// already, no unexpired lease of this client at `ciaddr`, or none
/// stored with it.
pub(super) fn recover(
    store: &dyn LeaseStore,
    buf: &[u8],
    q: &Query4,
    now: u64,
) -> Option<(Vec<u8>, Query4)> {
    if q.msg_type != MessageType::Request
        || q.ciaddr().is_unspecified()
        || q.is_relayed()
        || q.relay_info.as_ref().is_some_and(|r| !r.is_empty())
    {
        return None;
    }
    let lease = store.get4(q.ciaddr()).filter(|l| !l.expired(now))?;
    let key = ClientKey {
        hwaddr: &q.hwaddr,
        client_id: q.client_id.as_deref(),
        match_client_id: true,
    };
    if !key.owns(&lease) {
        return None;
    }
    let rai = stashed_rai(&lease.user_context)?;
    let bytes = packet::with_relay_info(buf, &rai)?;
    let mut recovered = packet::parse(&bytes).ok()?;
    recovered.stashed = true;
    Some((bytes, recovered))
}

/// The option 82 payload a lease's user context holds: `ISC` →
/// `relay-agent-info`, a hex string (`0x0104...`, or with colons), or
/// the older layout's object with it under `sub-options`; only when it
/// holds whole sub-options.
fn stashed_rai(user_context: &str) -> Option<Vec<u8>> {
    if user_context.is_empty() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(user_context).ok()?;
    let mut rai = v.get("ISC")?.get("relay-agent-info")?;
    if rai.is_object() {
        rai = rai.get("sub-options")?;
    }
    let bytes = unhex(rai.as_str()?)?;
    // Whole sub-options, at least one.
    let mut i = 0;
    while i + 2 <= bytes.len() {
        i += 2 + usize::from(bytes[i + 1]);
    }
    (i == bytes.len() && !bytes.is_empty()).then_some(bytes)
}

/// `0x0104AB...`, `0104ab...` or `01:04:ab:...` as bytes.
fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let digits: Vec<u8> = if s.contains(':') {
        let mut out = Vec::new();
        for part in s.split(':') {
            let p = if part.len() == 1 {
                format!("0{part}")
            } else {
                part.to_string()
            };
            out.extend_from_slice(p.as_bytes());
        }
        out
    } else {
        s.as_bytes().to_vec()
    };
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stashed_relay_agent_info_of_a_user_context() {
        let rai = stashed_rai(r#"{ "ISC": { "relay-agent-info": "0x0104706F72740204AABBCCDD" } }"#);
        assert_eq!(
            rai.as_deref(),
            Some(&[1, 4, b'p', b'o', b'r', b't', 2, 4, 0xaa, 0xbb, 0xcc, 0xdd][..])
        );
        let old = stashed_rai(r#"{"ISC": {"relay-agent-info": {"sub-options": "01:02:0a:0b"}}}"#);
        assert_eq!(old.as_deref(), Some(&[1, 2, 10, 11][..]));
        for bad in [
            "",
            "{}",
            r#"{"ISC": {}}"#,
            r#"{"ISC": {"relay-agent-info": 7}}"#,
            r#"{"ISC": {"relay-agent-info": "0x0105AB"}}"#,
            r#"{"ISC": {"relay-agent-info": "0x"}}"#,
            r#"{"ISC": {"relay-agent-info": "0xZZ"}}"#,
            "not json",
        ] {
            assert_eq!(stashed_rai(bad), None, "{bad}");
        }
    }
}
