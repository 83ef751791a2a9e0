//! What the fields and options a callout reads and writes mean: Kea's
//! argument names (`query4.xid`, `lease6.valid_lifetime`, `buffer4`, ...)
//! and the options of the query and response, mapped to [`HookArgs`].
//!
//! This is the safe half of the hook API: [`super::ffi`] checks the C
//! arguments of each `RuruApi` function, turns them into `&str` and `&[u8]`
//! and calls its counterpart here (`get_u32` → [`read_u32`], `set_option`
//! → [`write_option`], `context_get` → [`read_context`], ...). Every
//! function answers with the ABI's result codes:
//! - `RURU_ENOFIELD`: the hook point has no such field, option or key;
//! - `RURU_EREADONLY`: the field exists but `HookArgs::writable` says it
//!   cannot be changed at this hook point (Kea's rules);
//! - `RURU_EINVAL`: the value is invalid (length, address, UTF-8, a
//!   protected option, ...).
//!
//! Writes of options are logged at Kea's debug level 55
//! (`ruru::hooks::args`); [`Summary`] is the argument line logged there
//! before each callout.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use dhcproto::v6;
use ruru_engine::{HookArgs, HookPoint};
use ruru_hooks_sdk::{RURU_EINVAL, RURU_ENOFIELD, RURU_EREADONLY};
use tracing::trace;

use super::dispatch::ARGS;

fn ip(a: Ipv4Addr) -> u32 {
    u32::from(a)
}

/// A 64-bit field's value (`get_u64`).
pub fn read_u64(a: &HookArgs<'_>, field: &str) -> Result<u64, i32> {
    Ok(match field {
        "parking_id" => a.park.ok_or(RURU_ENOFIELD)?,
        "lease4.expire" => a.lease.as_deref().ok_or(RURU_ENOFIELD)?.expire,
        "lease6.expire" => a.lease6.as_deref().ok_or(RURU_ENOFIELD)?.expire,
        _ => return Err(RURU_ENOFIELD),
    })
}

/// A numeric field's value, `RURU_ENOFIELD` where the point lacks it
/// (`get_u32`).
pub fn read_u32(a: &HookArgs<'_>, field: &str) -> Result<u32, i32> {
    let q = || a.query.ok_or(RURU_ENOFIELD);
    let r = || a.response.as_deref().ok_or(RURU_ENOFIELD);
    let l = || a.lease.as_deref().ok_or(RURU_ENOFIELD);
    let q6 = || a.query6.ok_or(RURU_ENOFIELD);
    let r6 = || a.response6.as_deref().ok_or(RURU_ENOFIELD);
    let l6 = || a.lease6.as_deref().ok_or(RURU_ENOFIELD);
    let subnet = |v6: bool| match a.subnet_id {
        _ if a.point.is_v6() != v6 => Err(RURU_ENOFIELD),
        Some(id) => Ok(id),
        None if matches!(a.point, HookPoint::Subnet4Select | HookPoint::Subnet6Select) => Ok(0),
        None => Err(RURU_ENOFIELD),
    };
    Ok(match field {
        "query6.transid" => q6()?.xid(),
        "query6.msg_type" => u32::from(u8::from(q6()?.msg_type)),
        "response6.msg_type" => u32::from(u8::from(r6()?.msg_type())),
        "subnet6.id" => subnet(true)?,
        "lease6.type" => l6()?.lease_type.code(),
        "lease6.prefix_len" => u32::from(l6()?.prefix_len),
        "lease6.iaid" => l6()?.iaid,
        "lease6.subnet_id" => l6()?.subnet_id,
        "lease6.valid_lifetime" => l6()?.valid_lifetime,
        "lease6.preferred_lifetime" => l6()?.pref_lifetime,
        "id_type" => a.id_type.ok_or(RURU_ENOFIELD)?,
        "query4.xid" => q()?.xid(),
        "query4.msg_type" => u32::from(u8::from(q()?.msg_type)),
        "query4.htype" => u32::from(q()?.htype),
        "query4.ciaddr" => ip(q()?.ciaddr()),
        "query4.giaddr" => ip(q()?.giaddr()),
        "query4.yiaddr" => ip(q()?.msg.yiaddr()),
        "query4.siaddr" => ip(q()?.msg.siaddr()),
        "response4.msg_type" => u32::from(r()?.msg_type),
        "response4.yiaddr" => ip(r()?.yiaddr),
        "response4.siaddr" => ip(r()?.siaddr),
        "subnet4.id" => subnet(false)?,
        "lease4.address" => ip(l()?.addr),
        "lease4.valid_lifetime" => l()?.valid_lifetime,
        "lease4.subnet_id" => l()?.subnet_id,
        "lease4.expire" => u32::try_from(l()?.expire).unwrap_or(u32::MAX),
        "fake_allocation" => u32::from(a.fake_allocation.ok_or(RURU_ENOFIELD)?),
        "remove_lease" => u32::from(a.remove_lease.ok_or(RURU_ENOFIELD)?),
        "offer_lifetime" => a.offer_lifetime.ok_or(RURU_ENOFIELD)?,
        "fwd-update" => u32::from(a.ddns_updates.ok_or(RURU_ENOFIELD)?.0),
        "rev-update" => u32::from(a.ddns_updates.ok_or(RURU_ENOFIELD)?.1),
        _ => return Err(RURU_ENOFIELD),
    })
}

/// Changes a numeric field (`set_u32`).
pub fn write_u32(a: &mut HookArgs<'_>, field: &str, v: u32) -> Result<(), i32> {
    read_u32(a, field)?;
    if !a.writable(field) {
        return Err(RURU_EREADONLY);
    }
    let addr = Ipv4Addr::from(v);
    match field {
        "subnet4.id" | "subnet6.id" => a.subnet_id = (v != 0).then_some(v),
        "lease6.valid_lifetime" => {
            if let Some(l) = a.lease6.as_deref_mut() {
                l.valid_lifetime = v;
                l.pref_lifetime = l.pref_lifetime.min(v);
            }
        }
        "lease6.preferred_lifetime" => {
            if let Some(l) = a.lease6.as_deref_mut() {
                if v > l.valid_lifetime {
                    return Err(RURU_EINVAL);
                }
                l.pref_lifetime = v;
            }
        }
        "lease4.address" => {
            if v == 0 {
                return Err(RURU_EINVAL);
            }
            if let Some(l) = a.lease.as_deref_mut() {
                l.addr = addr;
            }
            a.lease_address_set = true;
        }
        "lease4.valid_lifetime" => {
            if let Some(l) = a.lease.as_deref_mut() {
                l.valid_lifetime = v;
            }
        }
        "remove_lease" => a.remove_lease = Some(v != 0),
        "fwd-update" | "rev-update" => {
            if let Some(u) = a.ddns_updates.as_mut() {
                if field == "fwd-update" {
                    u.0 = v != 0;
                } else {
                    u.1 = v != 0;
                }
            }
        }
        "response4.msg_type" => {
            let Ok(t) = u8::try_from(v) else {
                return Err(RURU_EINVAL);
            };
            if let Some(r) = a.response.as_deref_mut() {
                r.msg_type = t;
            }
        }
        "response4.yiaddr" => {
            if let Some(r) = a.response.as_deref_mut() {
                r.yiaddr = addr;
            }
        }
        "response4.siaddr" => {
            if let Some(r) = a.response.as_deref_mut() {
                r.siaddr = addr;
            }
        }
        _ => return Err(RURU_EREADONLY),
    }
    Ok(())
}

/// A byte field's value (`get_bytes`).
pub fn read_bytes<'x>(a: &'x HookArgs<'_>, field: &str) -> Result<Cow<'x, [u8]>, i32> {
    let q = || a.query.ok_or(RURU_ENOFIELD);
    let l = || a.lease.as_deref().ok_or(RURU_ENOFIELD);
    let l6 = || a.lease6.as_deref().ok_or(RURU_ENOFIELD);
    Ok(Cow::Borrowed(match field {
        "query6.duid" => a
            .query6
            .ok_or(RURU_ENOFIELD)?
            .client_id
            .as_deref()
            .ok_or(RURU_ENOFIELD)?,
        "lease6.address" => return Ok(Cow::Owned(l6()?.address.octets().to_vec())),
        "lease6.duid" => &l6()?.duid,
        "lease6.hostname" => l6()?.hostname.as_bytes(),
        "id_value" => a.id_value.as_deref().ok_or(RURU_ENOFIELD)?,
        "buffer4" | "buffer6" if a.point.is_v6() != (field == "buffer6") => {
            return Err(RURU_ENOFIELD)
        }
        "buffer6" => a.buffer.as_deref().ok_or(RURU_ENOFIELD)?,
        // The client's classes so far (Kea's `getClasses()`), as a JSON
        // array of names in assignment order.
        "query4.classes" | "query6.classes" if a.point.is_v6() == (field == "query6.classes") => {
            let names = a.classes.ok_or(RURU_ENOFIELD)?.to_strings();
            return Ok(Cow::Owned(
                serde_json::Value::from(names).to_string().into_bytes(),
            ));
        }
        "query4.hwaddr" => &q()?.hwaddr,
        "query4.client_id" => q()?.client_id.as_deref().ok_or(RURU_ENOFIELD)?,
        "lease4.hwaddr" => &l()?.hwaddr,
        "lease4.client_id" => l()?.client_id.as_deref().ok_or(RURU_ENOFIELD)?,
        "lease4.hostname" => l()?.hostname.as_bytes(),
        "buffer4" => a.buffer.as_deref().ok_or(RURU_ENOFIELD)?,
        f => a
            .text
            .iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.as_bytes())
            .ok_or(RURU_ENOFIELD)?,
    }))
}

/// Changes a byte field (`set_bytes`); text fields take UTF-8.
pub fn write_bytes(a: &mut HookArgs<'_>, field: &str, v: &[u8]) -> Result<(), i32> {
    read_bytes(a, field)?;
    if !a.writable(field) {
        return Err(RURU_EREADONLY);
    }
    match field {
        "buffer4" | "buffer6" => {
            if let Some(b) = a.buffer.as_deref_mut() {
                b.clear();
                b.extend_from_slice(v);
            }
            return Ok(());
        }
        "lease6.address" => {
            let Ok(o) = <[u8; 16]>::try_from(v) else {
                return Err(RURU_EINVAL);
            };
            let addr = Ipv6Addr::from(o);
            if addr.is_unspecified() || addr.is_multicast() {
                return Err(RURU_EINVAL);
            }
            if let Some(l) = a.lease6.as_deref_mut() {
                l.address = addr;
            }
            a.lease_address_set = true;
            return Ok(());
        }
        "id_value" => {
            if v.len() > 255 {
                return Err(RURU_EINVAL);
            }
            a.id_value = Some(v.to_vec());
            return Ok(());
        }
        _ => {}
    }
    let Ok(s) = std::str::from_utf8(v) else {
        return Err(RURU_EINVAL);
    };
    match a.text.iter_mut().find(|(k, _)| *k == field) {
        Some((_, t)) => {
            *t = s.to_string();
            Ok(())
        }
        None => Err(RURU_ENOFIELD),
    }
}

// ---- options ----

/// The payload of option `code` of `packet` (`"query4"`, `"response4"`,
/// `"query6"` or `"response6"`; `get_option`).
pub fn read_option<'x>(a: &'x HookArgs<'_>, packet: &str, code: u16) -> Result<Cow<'x, [u8]>, i32> {
    match packet {
        "query6" => query6_option(a, code).map(Cow::Owned),
        "response6" => match a.response6.as_deref() {
            Some(r) => v6_option(r.opts(), code).map(Cow::Owned),
            None => Err(RURU_ENOFIELD),
        },
        "query4" => {
            let code = u8::try_from(code).map_err(|_| RURU_EINVAL)?;
            query_option(a, code).map(Cow::Owned)
        }
        "response4" => {
            let r = a.response.as_deref().ok_or(RURU_ENOFIELD)?;
            match r.options.iter().find(|(k, _)| u16::from(*k) == code) {
                Some((_, v)) => Ok(Cow::Borrowed(v)),
                None => Err(RURU_ENOFIELD),
            }
        }
        _ => Err(RURU_EINVAL),
    }
}

/// Sets option `code` of the response `packet` names to `value`, replacing
/// any option of that code (`set_option`).
///
/// `value` is `None` when the library's buffer was invalid: that is
/// `RURU_EINVAL`, answered only once `packet` passed its checks.
/// `library` names the caller in the level-55 log.
pub fn write_option(
    a: &mut HookArgs<'_>,
    library: &str,
    packet: &str,
    code: u16,
    value: Option<&[u8]>,
) -> Result<(), i32> {
    let v6 = response_writable(a, packet)?;
    if v6 {
        let Some(v) = value else {
            return Err(RURU_EINVAL);
        };
        if v6_protected(code) {
            return Err(RURU_EINVAL);
        }
        trace!(target: ARGS, library = %library, hook = a.point.name(), code, len = v.len(), "set_option");
        let Some(r) = a.response6.as_deref_mut() else {
            return Err(RURU_ENOFIELD);
        };
        let oc = v6::OptionCode::from(code);
        while r.opts_mut().remove(oc).is_some() {}
        r.opts_mut()
            .insert(v6::DhcpOption::Unknown(v6::UnknownOption::new(
                oc,
                v.to_vec(),
            )));
        return Ok(());
    }
    let (Ok(code), Some(v)) = (option_code(code), value) else {
        return Err(RURU_EINVAL);
    };
    // 53 is re-derived from response4.msg_type after pkt4_send.
    if code == 53 {
        return Err(RURU_EINVAL);
    }
    trace!(target: ARGS, library = %library, hook = a.point.name(), code, len = v.len(), "set_option");
    let Some(r) = a.response.as_deref_mut() else {
        return Err(RURU_ENOFIELD);
    };
    match r.options.iter_mut().find(|(k, _)| *k == code) {
        Some(o) => o.1 = v.to_vec(),
        None => r.options.push((code, v.to_vec())),
    }
    Ok(())
}

/// Removes every option `code` of the response `packet` names
/// (`remove_option`); `RURU_ENOFIELD` when there was none. `library` names
/// the caller in the level-55 log.
pub fn delete_option(
    a: &mut HookArgs<'_>,
    library: &str,
    packet: &str,
    code: u16,
) -> Result<(), i32> {
    let v6 = response_writable(a, packet)?;
    if v6 {
        if v6_protected(code) {
            return Err(RURU_EINVAL);
        }
        let Some(r) = a.response6.as_deref_mut() else {
            return Err(RURU_ENOFIELD);
        };
        let oc = v6::OptionCode::from(code);
        let mut removed = false;
        while r.opts_mut().remove(oc).is_some() {
            removed = true;
        }
        return if removed { Ok(()) } else { Err(RURU_ENOFIELD) };
    }
    let Ok(code) = option_code(code) else {
        return Err(RURU_EINVAL);
    };
    if code == 53 {
        return Err(RURU_EINVAL);
    }
    trace!(target: ARGS, library = %library, hook = a.point.name(), code, "remove_option");
    let Some(r) = a.response.as_deref_mut() else {
        return Err(RURU_ENOFIELD);
    };
    let before = r.options.len();
    r.options.retain(|(k, _)| *k != code);
    if r.options.len() == before {
        Err(RURU_ENOFIELD)
    } else {
        Ok(())
    }
}

/// The payload of option `code` of the query (dhcproto re-encodes it;
/// options split by RFC 3396 come back joined).
fn query_option(a: &HookArgs<'_>, code: u8) -> Result<Vec<u8>, i32> {
    use dhcproto::Encodable;
    let q = a.query.ok_or(RURU_ENOFIELD)?;
    let opt = q
        .msg
        .opts()
        .get(dhcproto::v4::OptionCode::from(code))
        .ok_or(RURU_ENOFIELD)?;
    let wire = opt.to_vec().map_err(|_| RURU_EINVAL)?;
    // code, len, data, [code, len, data ...]
    let mut out = Vec::with_capacity(wire.len());
    let mut rest = &wire[..];
    while let [_, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        out.extend_from_slice(&tail[..n]);
        rest = &tail[n..];
    }
    Ok(out)
}

/// The payload of option `code` of the DHCPv6 client message (the first
/// one, at the top level of the message inside the relays).
fn query6_option(a: &HookArgs<'_>, code: u16) -> Result<Vec<u8>, i32> {
    let q = a.query6.ok_or(RURU_ENOFIELD)?;
    v6_option(q.msg.opts(), code)
}

fn v6_option(opts: &v6::DhcpOptions, code: u16) -> Result<Vec<u8>, i32> {
    use dhcproto::Encodable;
    let opt = opts.get(v6::OptionCode::from(code)).ok_or(RURU_ENOFIELD)?;
    let wire = opt.to_vec().map_err(|_| RURU_EINVAL)?;
    Ok(wire.get(4..).map(<[u8]>::to_vec).unwrap_or_default())
}

/// A DHCPv4 option code a callout may set or remove (not Pad or End).
fn option_code(code: u16) -> Result<u8, i32> {
    match u8::try_from(code) {
        Ok(c) if c != 0 && c != 255 => Ok(c),
        _ => Err(RURU_EINVAL),
    }
}

/// Checks that `packet` is a response that may be changed here; true for
/// `"response6"`, false for `"response4"`.
fn response_writable(a: &HookArgs<'_>, packet: &str) -> Result<bool, i32> {
    let v6 = match packet {
        "response4" => false,
        "response6" => true,
        "query4" | "query6" => return Err(RURU_EREADONLY),
        _ => return Err(RURU_EINVAL),
    };
    let present = if v6 {
        a.response6.is_some()
    } else {
        a.response.is_some()
    };
    if !present {
        return Err(RURU_ENOFIELD);
    }
    let field = if v6 {
        "response6.options"
    } else {
        "response4.options"
    };
    if !a.writable(field) {
        return Err(RURU_EREADONLY);
    }
    Ok(v6)
}

/// Options of a DHCPv6 response a callout may not set or remove: the
/// identifiers and the IAs the engine built (RFC 8415 §21.2, §21.4).
fn v6_protected(code: u16) -> bool {
    matches!(code, 0 | 1 | 2 | 3 | 4 | 25 | 9)
}

// ---- the library's context ----

/// The value library `lib` stored under `key` for this packet
/// (`context_get`).
pub fn read_context<'x>(a: &'x HookArgs<'_>, lib: usize, key: &str) -> Result<&'x [u8], i32> {
    a.context
        .per_library
        .get(&lib)
        .and_then(|m| m.get(key))
        .map(Vec::as_slice)
        .ok_or(RURU_ENOFIELD)
}

/// Stores `value` under `key` for library `lib`, for the rest of the
/// packet's life (`context_set`).
pub fn write_context(a: &mut HookArgs<'_>, lib: usize, key: &str, value: &[u8]) {
    a.context
        .per_library
        .entry(lib)
        .or_default()
        .insert(key.to_string(), value.to_vec());
}

// ---- the level-55 log ----

/// Argument details for the level-55 log.
pub struct Summary<'x, 'y>(pub &'x HookArgs<'y>);

impl fmt::Display for Summary<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let a = self.0;
        if let Some(q) = a.query {
            write!(
                f,
                "query4: xid={:#010x} type={:?} hwaddr={} ",
                q.xid(),
                q.msg_type,
                ruru_engine::v4::hex(&q.hwaddr)
            )?;
        }
        if let Some(r) = a.response.as_deref() {
            write!(
                f,
                "response4: type={} yiaddr={} options={:?} ",
                r.msg_type,
                r.yiaddr,
                r.options.iter().map(|(c, _)| *c).collect::<Vec<_>>()
            )?;
        }
        if let Some(q) = a.query6 {
            write!(f, "query6: transid={:#08x} type={:?} ", q.xid(), q.msg_type)?;
        }
        if let Some(r) = a.response6.as_deref() {
            write!(f, "response6: type={:?} ", r.msg_type())?;
        }
        if let Some(s) = a.subnet_id {
            let v = if a.point.is_v6() { 6 } else { 4 };
            write!(f, "subnet{v}.id={s} ")?;
        }
        if let Some(l) = a.lease6.as_deref() {
            write!(
                f,
                "lease6: address={}/{} valid_lifetime={} iaid={} ",
                l.address, l.prefix_len, l.valid_lifetime, l.iaid
            )?;
        }
        if let Some(id) = a.park {
            write!(f, "parking_id={id} ")?;
        }
        if let Some(l) = a.lease.as_deref() {
            write!(
                f,
                "lease4: address={} valid_lifetime={} subnet_id={} ",
                l.addr, l.valid_lifetime, l.subnet_id
            )?;
        }
        if let Some(b) = a.buffer.as_deref() {
            write!(f, "buffer4: {} bytes ", b.len())?;
        }
        if let Some(x) = a.fake_allocation {
            write!(f, "fake_allocation={x} ")?;
        }
        if let Some(x) = a.remove_lease {
            write!(f, "remove_lease={x} ")?;
        }
        if let Some(x) = a.offer_lifetime {
            write!(f, "offer_lifetime={x} ")?;
        }
        if let Some((fwd, rev)) = a.ddns_updates {
            write!(f, "fwd-update={fwd} rev-update={rev} ")?;
        }
        for (k, v) in &a.text {
            write!(f, "{k}={} bytes ", v.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcproto::v6::{DhcpOption, Message, MessageType};
    use ruru_engine::v4::packet::Query4;
    use ruru_engine::v4::reply::Draft;
    use ruru_engine::v6::packet::Query6;
    use ruru_engine::PacketContext;
    use ruru_lease::{Lease4, Lease6, LeaseState, LeaseType6};

    /// A DISCOVER from 02:00:00:00:00:01, xid 0x12345678, relayed through
    /// 10.0.0.1, with a hostname (12) long enough to be split in two by
    /// RFC 3396.
    fn query4() -> Query4 {
        let mut b = vec![0u8; 236];
        b[0] = 1; // BOOTREQUEST
        b[1] = 1; // Ethernet
        b[2] = 6;
        b[4..8].copy_from_slice(&0x1234_5678u32.to_be_bytes());
        b[24..28].copy_from_slice(&[10, 0, 0, 1]);
        b[28..34].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
        b.extend_from_slice(&[99, 130, 83, 99, 53, 1, 1]);
        b.extend_from_slice(&[12, 3, b'a', b'b', b'c', 12, 2, b'd', b'e']);
        b.push(255);
        ruru_engine::v4::packet::parse(&b).expect("a valid DISCOVER")
    }

    /// A SOLICIT, transaction id 0x123456, with a client DUID and one IA_NA.
    fn query6() -> Query6 {
        let mut b = vec![1, 0x12, 0x34, 0x56];
        b.extend_from_slice(&[0, 1, 0, 4, 0, 3, 0, 1]); // client id: 00 03 00 01
        b.extend_from_slice(&[0, 3, 0, 12, 0, 0, 0, 7]); // IA_NA, iaid 7
        b.extend_from_slice(&[0; 8]);
        ruru_engine::v6::packet::parse(&b).expect("a valid SOLICIT")
    }

    fn lease4() -> Lease4 {
        Lease4 {
            addr: Ipv4Addr::new(10, 0, 0, 9),
            hwaddr: vec![2, 0, 0, 0, 0, 1],
            client_id: None,
            valid_lifetime: 3600,
            expire: 5000,
            subnet_id: 1,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: "host".to_string(),
            state: LeaseState::Default,
            user_context: String::new(),
            pool_id: 0,
        }
    }

    fn lease6() -> Lease6 {
        Lease6 {
            address: "2001:db8::9".parse().expect("an address"),
            duid: vec![0, 3, 0, 1],
            valid_lifetime: 3600,
            expire: 5000,
            subnet_id: 2,
            pref_lifetime: 1800,
            lease_type: LeaseType6::Na,
            iaid: 7,
            prefix_len: 128,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            hwaddr: Vec::new(),
            state: LeaseState::Default,
            user_context: String::new(),
            hwtype: 0,
            hwaddr_source: 0,
            pool_id: 0,
        }
    }

    #[test]
    fn v4_query_fields_read_and_refuse_writes() {
        let q = query4();
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Pkt4Receive, &mut pc);
        a.query = Some(&q);
        assert_eq!(read_u32(&a, "query4.xid"), Ok(0x1234_5678));
        assert_eq!(read_u32(&a, "query4.msg_type"), Ok(1));
        assert_eq!(read_u32(&a, "query4.htype"), Ok(1));
        assert_eq!(
            read_u32(&a, "query4.giaddr"),
            Ok(u32::from(Ipv4Addr::new(10, 0, 0, 1)))
        );
        assert_eq!(
            read_bytes(&a, "query4.hwaddr").as_deref(),
            Ok(&[2, 0, 0, 0, 0, 1][..])
        );
        // Present but not writable here; absent; unknown.
        assert_eq!(write_u32(&mut a, "query4.xid", 1), Err(RURU_EREADONLY));
        assert_eq!(read_u32(&a, "query4.xid"), Ok(0x1234_5678));
        assert_eq!(read_bytes(&a, "query4.client_id"), Err(RURU_ENOFIELD));
        assert_eq!(read_u32(&a, "lease4.address"), Err(RURU_ENOFIELD));
        assert_eq!(write_u32(&mut a, "lease4.address", 1), Err(RURU_ENOFIELD));
        assert_eq!(read_u32(&a, "query4.nope"), Err(RURU_ENOFIELD));
        assert_eq!(read_u64(&a, "parking_id"), Err(RURU_ENOFIELD));
        assert_eq!(read_bytes(&a, "nope"), Err(RURU_ENOFIELD));
        // The family's fields only.
        assert_eq!(read_u32(&a, "query6.transid"), Err(RURU_ENOFIELD));
        assert_eq!(read_u32(&a, "subnet6.id"), Err(RURU_ENOFIELD));
    }

    #[test]
    fn query_classes_are_a_json_list_of_the_familys() {
        use ruru_engine::classify::{ClassSet, Name};
        let q = query4();
        let mut set = ClassSet::new();
        set.insert(Name::Str("ALL"));
        set.insert(Name::Str("pxe \"x\""));
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Pkt4Receive, &mut pc);
        a.query = Some(&q);
        assert_eq!(read_bytes(&a, "query4.classes"), Err(RURU_ENOFIELD));
        a.classes = Some(&set);
        assert_eq!(
            read_bytes(&a, "query4.classes").as_deref(),
            Ok(&br#"["ALL","pxe \"x\""]"#[..])
        );
        assert_eq!(read_bytes(&a, "query6.classes"), Err(RURU_ENOFIELD));
        assert_eq!(
            write_bytes(&mut a, "query4.classes", b"[]"),
            Err(RURU_EREADONLY)
        );
    }

    #[test]
    fn v4_lease_fields_are_written_where_kea_allows() {
        let mut l = lease4();
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Lease4Select, &mut pc);
        a.lease = Some(&mut l);
        a.park = Some(42);
        assert_eq!(read_u32(&a, "lease4.valid_lifetime"), Ok(3600));
        assert_eq!(read_u64(&a, "lease4.expire"), Ok(5000));
        assert_eq!(read_u64(&a, "parking_id"), Ok(42));
        assert_eq!(
            read_bytes(&a, "lease4.hostname").as_deref(),
            Ok(&b"host"[..])
        );
        assert_eq!(write_u32(&mut a, "lease4.valid_lifetime", 600), Ok(()));
        assert_eq!(write_u32(&mut a, "lease4.address", 0), Err(RURU_EINVAL));
        assert!(!a.lease_address_set);
        let addr = Ipv4Addr::new(10, 0, 0, 20);
        assert_eq!(write_u32(&mut a, "lease4.address", u32::from(addr)), Ok(()));
        assert!(a.lease_address_set);
        assert_eq!(
            write_u32(&mut a, "lease4.subnet_id", 2),
            Err(RURU_EREADONLY)
        );
        drop(a);
        assert_eq!((l.addr, l.valid_lifetime, l.subnet_id), (addr, 600, 1));
    }

    #[test]
    fn subnet_id_reads_zero_and_clears_at_subnet_select() {
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Subnet4Select, &mut pc);
        assert_eq!(read_u32(&a, "subnet4.id"), Ok(0));
        assert_eq!(write_u32(&mut a, "subnet4.id", 5), Ok(()));
        assert_eq!(a.subnet_id, Some(5));
        assert_eq!(write_u32(&mut a, "subnet4.id", 0), Ok(()));
        assert_eq!(a.subnet_id, None);
        let mut pc = PacketContext::default();
        let a = HookArgs::new(HookPoint::Pkt4Receive, &mut pc);
        assert_eq!(read_u32(&a, "subnet4.id"), Err(RURU_ENOFIELD));
    }

    #[test]
    fn v6_lease_fields_keep_preferred_within_valid() {
        let q = query6();
        let mut l = lease6();
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Lease6Select, &mut pc);
        a.query6 = Some(&q);
        a.lease6 = Some(&mut l);
        a.subnet_id = Some(2);
        assert_eq!(read_u32(&a, "query6.transid"), Ok(0x12_3456));
        assert_eq!(read_u32(&a, "query6.msg_type"), Ok(1));
        assert_eq!(
            read_bytes(&a, "query6.duid").as_deref(),
            Ok(&[0, 3, 0, 1][..])
        );
        assert_eq!(read_u32(&a, "subnet6.id"), Ok(2));
        assert_eq!(read_u32(&a, "subnet4.id"), Err(RURU_ENOFIELD));
        assert_eq!(read_u32(&a, "lease6.iaid"), Ok(7));
        assert_eq!(read_u32(&a, "lease6.type"), Ok(0));
        assert_eq!(read_u64(&a, "lease6.expire"), Ok(5000));
        assert_eq!(
            read_bytes(&a, "lease6.address").as_deref(),
            Ok(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9).octets()[..])
        );
        // A shorter valid lifetime pulls the preferred one down; a preferred
        // lifetime beyond the valid one is refused.
        assert_eq!(write_u32(&mut a, "lease6.valid_lifetime", 1000), Ok(()));
        assert_eq!(read_u32(&a, "lease6.preferred_lifetime"), Ok(1000));
        assert_eq!(
            write_u32(&mut a, "lease6.preferred_lifetime", 1001),
            Err(RURU_EINVAL)
        );
        assert_eq!(write_u32(&mut a, "lease6.preferred_lifetime", 500), Ok(()));
        // lease6.address: 16 bytes, unicast.
        assert_eq!(
            write_bytes(&mut a, "lease6.address", &[1; 4]),
            Err(RURU_EINVAL)
        );
        let mcast = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1).octets();
        assert_eq!(
            write_bytes(&mut a, "lease6.address", &mcast),
            Err(RURU_EINVAL)
        );
        assert!(!a.lease_address_set);
        let new = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x20);
        assert_eq!(write_bytes(&mut a, "lease6.address", &new.octets()), Ok(()));
        assert!(a.lease_address_set);
        assert_eq!(
            write_bytes(&mut a, "lease6.duid", &[1]),
            Err(RURU_EREADONLY)
        );
        drop(a);
        assert_eq!(
            (l.address, l.valid_lifetime, l.pref_lifetime),
            (new, 1000, 500)
        );
    }

    #[test]
    fn buffers_belong_to_their_family() {
        let mut buf = vec![1, 2, 3];
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Buffer6Receive, &mut pc);
        a.buffer = Some(&mut buf);
        assert_eq!(read_bytes(&a, "buffer4"), Err(RURU_ENOFIELD));
        assert_eq!(write_bytes(&mut a, "buffer4", &[9]), Err(RURU_ENOFIELD));
        assert_eq!(read_bytes(&a, "buffer6").as_deref(), Ok(&[1, 2, 3][..]));
        assert_eq!(write_bytes(&mut a, "buffer6", &[9, 8]), Ok(()));
        drop(a);
        assert_eq!(buf, [9, 8]);
    }

    #[test]
    fn text_fields_take_utf8_where_writable() {
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::CommandProcessed, &mut pc);
        a.text.push(("command.name", "list-commands".to_string()));
        a.text.push(("command.response", "{}".to_string()));
        assert_eq!(
            read_bytes(&a, "command.name").as_deref(),
            Ok(&b"list-commands"[..])
        );
        assert_eq!(
            write_bytes(&mut a, "command.name", b"x"),
            Err(RURU_EREADONLY)
        );
        assert_eq!(
            write_bytes(&mut a, "command.response", &[0xff]),
            Err(RURU_EINVAL)
        );
        assert_eq!(write_bytes(&mut a, "command.response", b"[1]"), Ok(()));
        assert_eq!(a.text[1], ("command.response", "[1]".to_string()));
    }

    #[test]
    fn id_value_is_at_most_255_bytes() {
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Host4Identifier, &mut pc);
        a.id_value = Some(Vec::new());
        assert_eq!(write_bytes(&mut a, "id_value", &[0; 256]), Err(RURU_EINVAL));
        assert_eq!(write_bytes(&mut a, "id_value", &[7; 255]), Ok(()));
        assert_eq!(a.id_value.as_deref().map(<[u8]>::len), Some(255));
    }

    #[test]
    fn v4_options_of_query_and_response() {
        let q = query4();
        let mut r = Draft::new(2);
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Pkt4Send, &mut pc);
        a.query = Some(&q);
        a.response = Some(&mut r);
        // RFC 3396: the two parts of option 12 come back joined.
        assert_eq!(read_option(&a, "query4", 12).as_deref(), Ok(&b"abcde"[..]));
        assert_eq!(read_option(&a, "query4", 256), Err(RURU_EINVAL));
        assert_eq!(read_option(&a, "query4", 60), Err(RURU_ENOFIELD));
        assert_eq!(read_option(&a, "reply4", 12), Err(RURU_EINVAL));
        let set = |a: &mut HookArgs<'_>, packet, code, v: Option<&[u8]>| {
            write_option(a, "test", packet, code, v)
        };
        assert_eq!(set(&mut a, "query4", 12, Some(b"x")), Err(RURU_EREADONLY));
        assert_eq!(set(&mut a, "response6", 12, Some(b"x")), Err(RURU_ENOFIELD));
        assert_eq!(set(&mut a, "response4", 12, None), Err(RURU_EINVAL));
        for code in [0, 53, 255, 256] {
            assert_eq!(set(&mut a, "response4", code, Some(b"x")), Err(RURU_EINVAL));
        }
        assert_eq!(set(&mut a, "response4", 15, Some(b"old")), Ok(()));
        assert_eq!(set(&mut a, "response4", 15, Some(b"example")), Ok(()));
        assert_eq!(
            read_option(&a, "response4", 15).as_deref(),
            Ok(&b"example"[..])
        );
        assert_eq!(
            delete_option(&mut a, "test", "response4", 53),
            Err(RURU_EINVAL)
        );
        assert_eq!(delete_option(&mut a, "test", "response4", 15), Ok(()));
        assert_eq!(
            delete_option(&mut a, "test", "response4", 15),
            Err(RURU_ENOFIELD)
        );
        drop(a);
        assert!(r.options.is_empty());
    }

    #[test]
    fn v4_response_options_are_read_only_before_pkt4_send() {
        let mut r = Draft::new(2);
        r.options.push((15, b"example".to_vec()));
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Leases4Committed, &mut pc);
        a.response = Some(&mut r);
        assert_eq!(
            read_option(&a, "response4", 15).as_deref(),
            Ok(&b"example"[..])
        );
        assert_eq!(
            write_option(&mut a, "test", "response4", 15, Some(b"x")),
            Err(RURU_EREADONLY)
        );
        assert_eq!(
            delete_option(&mut a, "test", "response4", 15),
            Err(RURU_EREADONLY)
        );
        assert_eq!(
            write_u32(&mut a, "response4.msg_type", 5),
            Err(RURU_EREADONLY)
        );
    }

    #[test]
    fn v6_response_options_protect_identifiers_and_ias() {
        let q = query6();
        let mut r = Message::new_with_id(MessageType::Reply, [0x12, 0x34, 0x56]);
        r.opts_mut()
            .insert(DhcpOption::ServerId(vec![0, 3, 0, 1, 9]));
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Pkt6Send, &mut pc);
        a.query6 = Some(&q);
        a.response6 = Some(&mut r);
        assert_eq!(read_u32(&a, "response6.msg_type"), Ok(7));
        assert_eq!(
            read_option(&a, "query6", 1).as_deref(),
            Ok(&[0, 3, 0, 1][..])
        );
        assert_eq!(read_option(&a, "query6", 23), Err(RURU_ENOFIELD));
        assert_eq!(
            read_option(&a, "response6", 2).as_deref(),
            Ok(&[0, 3, 0, 1, 9][..])
        );
        // Client and server id, IA_NA, IA_TA, IA_PD, relay message.
        for code in [0, 1, 2, 3, 4, 9, 25] {
            assert_eq!(
                write_option(&mut a, "test", "response6", code, Some(&[1])),
                Err(RURU_EINVAL),
                "set {code}"
            );
            assert_eq!(
                delete_option(&mut a, "test", "response6", code),
                Err(RURU_EINVAL),
                "remove {code}"
            );
        }
        assert_eq!(
            read_option(&a, "response6", 2).as_deref(),
            Ok(&[0, 3, 0, 1, 9][..])
        );
        assert_eq!(
            write_option(&mut a, "test", "query6", 23, Some(&[1])),
            Err(RURU_EREADONLY)
        );
        assert_eq!(
            write_option(&mut a, "test", "response4", 23, Some(&[1])),
            Err(RURU_ENOFIELD)
        );
        let dns = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53).octets();
        assert_eq!(
            write_option(&mut a, "test", "response6", 23, Some(&dns)),
            Ok(())
        );
        assert_eq!(read_option(&a, "response6", 23).as_deref(), Ok(&dns[..]));
        assert_eq!(delete_option(&mut a, "test", "response6", 23), Ok(()));
        assert_eq!(
            delete_option(&mut a, "test", "response6", 23),
            Err(RURU_ENOFIELD)
        );
        assert_eq!(read_option(&a, "response6", 23), Err(RURU_ENOFIELD));
    }

    #[test]
    fn context_is_kept_per_library() {
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::Pkt6Receive, &mut pc);
        assert_eq!(read_context(&a, 0, "k"), Err(RURU_ENOFIELD));
        write_context(&mut a, 0, "k", b"zero");
        write_context(&mut a, 1, "k", b"one");
        assert_eq!(read_context(&a, 0, "k"), Ok(&b"zero"[..]));
        assert_eq!(read_context(&a, 1, "k"), Ok(&b"one"[..]));
        assert_eq!(read_context(&a, 1, "other"), Err(RURU_ENOFIELD));
    }
}
