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
        for (k, v) in &a.text {
            write!(f, "{k}={} bytes ", v.len())?;
        }
        Ok(())
    }
}
