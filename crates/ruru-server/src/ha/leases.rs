//! Leases on HA's wire, for both families: the commands a packet's lease
//! changes become (DHCPv4: one `lease4-update` / `lease4-del` per lease,
//! deletions first; DHCPv6: one `lease6-bulk-apply`), each lease in Kea's
//! JSON form with `expire` instead of `cltt`; and the leases of a
//! synchronisation page read back and merged into the local store (added
//! when missing, replacing a local lease with an older `cltt`, never
//! deleting).

use ruru_lease::{Lease4, Lease6, LeaseState, LeaseStore, LeaseType6};
use serde_json::{json, Value};

use super::recorder::Change;
use crate::control::commands::lease_json;
use crate::control::commands6::lease6_json;

/// Kea's lease map for an update: `cltt` replaced by `expire`.
fn with_expire(mut v: Value, expire: u64) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.remove("cltt");
        m.insert("expire".into(), json!(expire));
    }
    v
}

/// The DHCPv4 commands for `changes`: deletions first, then updates
/// (with `force-create`).
pub fn commands4(changes: &[Change]) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for c in changes {
        if let Change::Del4(l) = c {
            out.push(("lease4-del", with_expire(lease_json(l), l.expire)));
        }
    }
    for c in changes {
        if let Change::Put4(l) = c {
            let mut v = with_expire(lease_json(l), l.expire);
            v["force-create"] = json!(true);
            out.push(("lease4-update", v));
        }
    }
    out
}

/// The DHCPv6 command for `changes`: one `lease6-bulk-apply` (none when
/// nothing changed).
pub fn commands6(changes: &[Change]) -> Vec<(&'static str, Value)> {
    let mut deleted = Vec::new();
    let mut leases = Vec::new();
    for c in changes {
        match c {
            Change::Del6(l) => deleted.push(with_expire(lease6_json(l), l.expire)),
            Change::Put6(l) => leases.push(with_expire(lease6_json(l), l.expire)),
            _ => {}
        }
    }
    if deleted.is_empty() && leases.is_empty() {
        return Vec::new();
    }
    vec![(
        "lease6-bulk-apply",
        json!({ "deleted-leases": deleted, "leases": leases }),
    )]
}

/// Bytes from Kea's hex (`aa:bb:cc`, or without colons).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let digits: String = s.chars().filter(|c| *c != ':' && *c != '-').collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

fn u64_of(v: &Value, k: &str) -> Option<u64> {
    v.get(k)?.as_u64()
}

fn u32_of(v: &Value, k: &str) -> Option<u32> {
    u32::try_from(u64_of(v, k)?).ok()
}

fn bool_of(v: &Value, k: &str) -> bool {
    v.get(k).and_then(Value::as_bool).unwrap_or(false)
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn user_context(v: &Value) -> String {
    match v.get("user-context") {
        Some(u @ Value::Object(_)) => u.to_string(),
        _ => String::new(),
    }
}

/// When the lease ends: `expire` if given, else `cltt` + `valid-lft`.
fn expire_of(v: &Value, valid: u32) -> Option<u64> {
    u64_of(v, "expire").or_else(|| Some(u64_of(v, "cltt")? + u64::from(valid)))
}

/// A DHCPv4 lease from a page of `lease4-get-page`.
pub fn lease4(v: &Value) -> Option<Lease4> {
    let valid = u32_of(v, "valid-lft")?;
    Some(Lease4 {
        addr: str_of(v, "ip-address").parse().ok()?,
        hwaddr: unhex(str_of(v, "hw-address"))?,
        client_id: v
            .get("client-id")
            .and_then(Value::as_str)
            .and_then(unhex)
            .filter(|c| !c.is_empty()),
        valid_lifetime: valid,
        expire: expire_of(v, valid)?,
        subnet_id: u32_of(v, "subnet-id")?,
        fqdn_fwd: bool_of(v, "fqdn-fwd"),
        fqdn_rev: bool_of(v, "fqdn-rev"),
        hostname: str_of(v, "hostname").to_string(),
        state: LeaseState::from_code(u32_of(v, "state").unwrap_or(0))?,
        user_context: user_context(v),
        // Kea 2.4+ sends it when non-zero.
        pool_id: u32_of(v, "pool-id").unwrap_or(0),
    })
}

/// A DHCPv6 lease from a page of `lease6-get-page`.
pub fn lease6(v: &Value) -> Option<Lease6> {
    let valid = u32_of(v, "valid-lft")?;
    let lease_type = match str_of(v, "type") {
        "IA_NA" | "" => LeaseType6::Na,
        "IA_TA" => LeaseType6::Ta,
        "IA_PD" => LeaseType6::Pd,
        _ => return None,
    };
    let prefix_len = match lease_type {
        LeaseType6::Pd => u8::try_from(u64_of(v, "prefix-len")?).ok()?,
        _ => 128,
    };
    Some(Lease6 {
        address: str_of(v, "ip-address").parse().ok()?,
        duid: unhex(str_of(v, "duid"))?,
        valid_lifetime: valid,
        expire: expire_of(v, valid)?,
        subnet_id: u32_of(v, "subnet-id")?,
        pref_lifetime: u32_of(v, "preferred-lft").unwrap_or(valid),
        lease_type,
        iaid: u32_of(v, "iaid")?,
        prefix_len,
        fqdn_fwd: bool_of(v, "fqdn-fwd"),
        fqdn_rev: bool_of(v, "fqdn-rev"),
        hostname: str_of(v, "hostname").to_string(),
        hwaddr: v
            .get("hw-address")
            .and_then(Value::as_str)
            .and_then(unhex)
            .unwrap_or_default(),
        state: LeaseState::from_code(u32_of(v, "state").unwrap_or(0))?,
        user_context: user_context(v),
        hwtype: 1,
        hwaddr_source: 0,
        pool_id: u32_of(v, "pool-id").unwrap_or(0),
    })
}

/// What merging one lease did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merged {
    Added,
    Replaced,
    /// The local lease is as recent or newer.
    Kept,
    /// Not a lease, or the store refused it.
    Failed,
}

/// Merges a DHCPv4 lease of a synchronisation page.
pub fn merge4(store: &dyn LeaseStore, v: &Value) -> Merged {
    let Some(l) = lease4(v) else {
        return Merged::Failed;
    };
    match store.get4(l.addr) {
        None => match store.add4(&l) {
            Ok(()) => Merged::Added,
            Err(_) => Merged::Failed,
        },
        Some(old) if old.cltt() < l.cltt() => match store.update4(&l) {
            Ok(()) => Merged::Replaced,
            Err(_) => Merged::Failed,
        },
        Some(_) => Merged::Kept,
    }
}

/// Merges a DHCPv6 lease of a synchronisation page.
pub fn merge6(store: &dyn LeaseStore, v: &Value) -> Merged {
    let Some(l) = lease6(v) else {
        return Merged::Failed;
    };
    match store.get6(l.lease_type, l.address) {
        None => match store.add6(&l) {
            Ok(()) => Merged::Added,
            Err(_) => Merged::Failed,
        },
        Some(old) if old.cltt() < l.cltt() => match store.update6(&l) {
            Ok(()) => Merged::Replaced,
            Err(_) => Merged::Failed,
        },
        Some(_) => Merged::Kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn l4() -> Lease4 {
        Lease4 {
            addr: Ipv4Addr::new(192, 0, 2, 10),
            hwaddr: vec![0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff],
            client_id: Some(vec![1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]),
            valid_lifetime: 3600,
            expire: 1_700_003_600,
            subnet_id: 1,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: "h".into(),
            state: LeaseState::Default,
            user_context: String::new(),
            pool_id: 0,
        }
    }

    #[test]
    fn v4_updates_carry_expire_and_force_create_deletions_first() {
        let a = l4();
        let mut b = l4();
        b.addr = Ipv4Addr::new(192, 0, 2, 11);
        let cmds = commands4(&[Change::Put4(a.clone()), Change::Del4(b)]);
        assert_eq!(cmds[0].0, "lease4-del");
        assert_eq!(cmds[1].0, "lease4-update");
        let u = &cmds[1].1;
        assert_eq!(u["expire"], json!(1_700_003_600u64));
        assert!(u.get("cltt").is_none());
        assert_eq!(u["force-create"], json!(true));
        assert_eq!(u["client-id"], json!("01:aa:bb:cc:dd:ee:ff"));
        assert!(cmds[0].1.get("force-create").is_none());
        // And back: what a page carries is read as the lease it was.
        assert_eq!(lease4(u), Some(a));
    }

    #[test]
    fn hex_forms() {
        assert_eq!(unhex("aa:bb"), Some(vec![0xaa, 0xbb]));
        assert_eq!(unhex("aabb"), Some(vec![0xaa, 0xbb]));
        assert_eq!(unhex(""), Some(vec![]));
        assert_eq!(unhex("a"), None);
        assert_eq!(unhex("zz"), None);
    }
}
