//! The [`RuruApi`] table handed to libraries, and what its pointers mean.
//!
//! - `RuruLibrary*` points to a [`LibHandle`] (boxed, alive until after the
//!   library's `ruru_hook_unload`); the API only reads through it.
//! - `RuruCallout*` points to a [`CalloutCtx`] on the stack of
//!   [`invoke`], valid during that one call.
//!
//! Every exported function runs its body inside [`boundary`] (a panic never
//! unwinds into C) and checks its pointer arguments with [`call_ctx`],
//! [`lib_handle`], [`cstr`], [`bytes_in`] and [`copy_out`]; it answers with
//! a result code. Fields and their hook points follow Kea's argument names;
//! writes are allowed where `HookArgs::writable` says so (else
//! `RURU_EREADONLY`).

use std::borrow::Cow;
use std::ffi::{c_char, CStr};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use dhcproto::v6;
use ruru_engine::{HookArgs, HookPoint};
use ruru_hooks_sdk::{
    RuruApi, RuruCallout, RuruCalloutFn, RuruLibrary, RURU_CONTINUE, RURU_DROP, RURU_EINVAL,
    RURU_ENOFIELD, RURU_EREADONLY, RURU_ETOOSMALL, RURU_LOG_DEBUG, RURU_LOG_ERROR, RURU_LOG_INFO,
    RURU_LOG_WARN, RURU_OK,
};
use tracing::{debug, error, info, trace, warn};

use super::dispatch::ARGS;
use super::TARGET;

/// The table every library gets (valid for the life of the process).
pub static API: RuruApi = RuruApi {
    abi_version: ruru_hooks_sdk::RURU_HOOKS_ABI_VERSION,
    // The table is a few pointers long: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    struct_size: std::mem::size_of::<RuruApi>() as u32,
    register_callout,
    log,
    hook_point,
    get_u32,
    set_u32,
    get_bytes,
    set_bytes,
    get_option,
    set_option,
    remove_option,
    context_get,
    context_set,
    get_u64,
    unpark,
};

/// The server side of a `RuruLibrary*`.
#[derive(Debug)]
pub struct LibHandle {
    /// File name, for messages.
    pub name: String,
    /// Callouts registered by `ruru_hook_load`; `None` once it returned
    /// (registering is refused then).
    registering: Mutex<Option<Vec<(HookPoint, RuruCalloutFn)>>>,
    /// The parking lot of the library's generation and its index there
    /// (set once the library is loaded).
    lot: OnceLock<(Arc<super::park::ParkingLot>, usize)>,
}

impl LibHandle {
    pub fn new(name: String) -> Self {
        LibHandle {
            name,
            registering: Mutex::new(Some(Vec::new())),
            lot: OnceLock::new(),
        }
    }

    /// Joins the library to its generation's parking lot.
    pub fn attach(&self, lot: Arc<super::park::ParkingLot>, index: usize) {
        let _ = self.lot.set((lot, index));
    }

    /// The pointer handed to the library (only ever read through).
    pub fn as_ptr(&self) -> *mut RuruLibrary {
        std::ptr::from_ref(self).cast_mut().cast()
    }

    /// Ends the registration window; the callouts registered during load.
    pub fn finish_registration(&self) -> Vec<(HookPoint, RuruCalloutFn)> {
        self.registering
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .unwrap_or_default()
    }

    /// Adds a callout (`register_callout`); refused once `ruru_hook_load`
    /// returned.
    fn register(&self, point: HookPoint, callout: RuruCalloutFn) -> Result<(), i32> {
        let mut reg = self
            .registering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match reg.as_mut() {
            Some(list) => {
                list.push((point, callout));
                Ok(())
            }
            None => {
                warn!(target: TARGET, library = %self.name, hook = point.name(), "register_callout outside ruru_hook_load: refused");
                Err(RURU_EINVAL)
            }
        }
    }

    /// Resumes (`RURU_CONTINUE`) or drops (`RURU_DROP`) a packet the
    /// library parked (`unpark`).
    fn unpark(&self, parking_id: u64, action: i32) -> Result<(), i32> {
        let send = match action {
            RURU_CONTINUE => true,
            RURU_DROP => false,
            _ => return Err(RURU_EINVAL),
        };
        let Some((lot, index)) = self.lot.get() else {
            return Err(RURU_ENOFIELD);
        };
        if lot.unpark(*index, parking_id, send) {
            debug!(target: TARGET, library = %self.name, parking_id, send, "unparked");
            Ok(())
        } else {
            debug!(target: TARGET, library = %self.name, parking_id, "unpark: no such parked packet");
            Err(RURU_ENOFIELD)
        }
    }
}

/// What a `RuruCallout*` points to during one call.
pub struct CalloutCtx<'a, 'b> {
    args: &'a mut HookArgs<'b>,
    /// The library's context key.
    lib: usize,
    name: &'a str,
}

/// Calls `f` with a `RuruCallout*` for `args`.
pub fn invoke(f: RuruCalloutFn, args: &mut HookArgs<'_>, lib: usize, handle: &LibHandle) -> i32 {
    let mut ctx = CalloutCtx {
        args,
        lib,
        name: &handle.name,
    };
    let p = std::ptr::from_mut(&mut ctx).cast::<RuruCallout>();
    // SAFETY: `f` is a callout of a library that stays open during the call
    // (the caller holds the generation's live lock). `p` points to `ctx`,
    // which outlives the call; the ABI says the pointer is valid only during
    // it, and the API functions are the only ones to dereference it.
    unsafe { f(p) }
}

// ---- the panic boundary ----

/// What the body of an exported function gives back: how it is answered
/// to C, and what C gets instead if the body panicked.
trait Answer {
    type C;
    fn to_c(self) -> Self::C;
    fn panicked() -> Self::C;
}

/// A result code: `Ok` is `RURU_OK`; a panic is `RURU_EINVAL`.
impl Answer for Result<(), i32> {
    type C = i32;
    fn to_c(self) -> i32 {
        self.err().unwrap_or(RURU_OK)
    }
    fn panicked() -> i32 {
        RURU_EINVAL
    }
}

/// `log` answers nothing.
impl Answer for () {
    type C = ();
    fn to_c(self) {}
    fn panicked() {}
}

/// `hook_point`: a static name; the empty string if the body panicked.
impl Answer for &'static CStr {
    type C = *const c_char;
    fn to_c(self) -> *const c_char {
        self.as_ptr()
    }
    fn panicked() -> *const c_char {
        c"".as_ptr()
    }
}

/// The panic boundary: every exported function runs its body in here, so
/// that a panic (a bug of ours) never unwinds into the library.
///
/// Asserting unwind safety is sound: what a panicking body can leave half
/// changed is the packet's `HookArgs`, which holds no invariant a callout
/// could not break through the API anyway, or a mutex (the registration
/// list, the parking lot), which every user recovers from poisoning.
fn boundary<R: Answer>(body: impl FnOnce() -> R) -> R::C {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(r) => r.to_c(),
        Err(_) => R::panicked(),
    }
}

// ---- the argument checks ----

/// The call state behind a `RuruCallout*`; `RURU_EINVAL` if null.
///
/// # Safety
/// `p` is null or a pointer made by [`invoke`], used during that call.
unsafe fn call_ctx<'c>(p: *mut RuruCallout) -> Result<&'c mut CalloutCtx<'c, 'c>, i32> {
    if p.is_null() {
        return Err(RURU_EINVAL);
    }
    // SAFETY: by this function's contract `p` points to a live
    // `CalloutCtx`, used by one thread (the one running the callout).
    Ok(unsafe { &mut *p.cast::<CalloutCtx<'c, 'c>>() })
}

/// The handle behind a `RuruLibrary*`; `RURU_EINVAL` if null.
///
/// # Safety
/// `p` is null or the pointer given to the library's `ruru_hook_load`.
unsafe fn lib_handle<'l>(p: *mut RuruLibrary) -> Result<&'l LibHandle, i32> {
    if p.is_null() {
        return Err(RURU_EINVAL);
    }
    // SAFETY: the pointer given to `ruru_hook_load` is a `LibHandle`, alive
    // until after `ruru_hook_unload`, only ever read.
    Ok(unsafe { &*p.cast::<LibHandle>() })
}

/// A string argument; `RURU_EINVAL` if null or not UTF-8.
///
/// # Safety
/// `s` is null or a NUL-terminated string valid for the call.
unsafe fn cstr<'s>(s: *const c_char) -> Result<&'s str, i32> {
    if s.is_null() {
        return Err(RURU_EINVAL);
    }
    // SAFETY: see the function's contract.
    unsafe { CStr::from_ptr(s) }
        .to_str()
        .map_err(|_| RURU_EINVAL)
}

/// An input buffer of `len` bytes; `RURU_EINVAL` if null with a length.
///
/// # Safety
/// `buf` is null or valid for `len` bytes for the call.
unsafe fn bytes_in<'s>(buf: *const u8, len: usize) -> Result<&'s [u8], i32> {
    if len == 0 {
        return Ok(&[]);
    }
    if buf.is_null() {
        return Err(RURU_EINVAL);
    }
    // SAFETY: see the function's contract.
    Ok(unsafe { std::slice::from_raw_parts(buf, len) })
}

/// Copies `src` out with the `len` protocol of the ABI: `*len` is the
/// capacity of `buf` on entry and the size of the value on return
/// (`RURU_ETOOSMALL` when it did not fit).
///
/// # Safety
/// `len` is null or valid; `buf` is null or valid for `*len` bytes.
unsafe fn copy_out(src: &[u8], buf: *mut u8, len: *mut usize) -> Result<(), i32> {
    if len.is_null() {
        return Err(RURU_EINVAL);
    }
    // SAFETY: `len` is valid (contract, checked non-null).
    let cap = unsafe { *len };
    // SAFETY: as above.
    unsafe { *len = src.len() };
    if src.len() > cap {
        return Err(RURU_ETOOSMALL);
    }
    if !src.is_empty() {
        if buf.is_null() {
            return Err(RURU_EINVAL);
        }
        // SAFETY: `buf` holds `cap >= src.len()` bytes (contract); the two
        // cannot overlap (ours is server memory the library never sees).
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), buf, src.len()) };
    }
    Ok(())
}

// ---- fields ----

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

// ---- the table ----

unsafe extern "C" fn register_callout(
    lib: *mut RuruLibrary,
    hook_point: *const c_char,
    callout: RuruCalloutFn,
) -> i32 {
    boundary(|| {
        // SAFETY: ABI: `lib` is the pointer given to `ruru_hook_load`;
        // `hook_point` a NUL-terminated string valid for the call.
        let (h, name) = unsafe { (lib_handle(lib)?, cstr(hook_point)) };
        let point = name
            .ok()
            .and_then(HookPoint::from_name)
            .ok_or(RURU_EINVAL)?;
        h.register(point, callout)
    })
}

unsafe extern "C" fn log(lib: *mut RuruLibrary, level: i32, message: *const c_char) {
    boundary(|| {
        // SAFETY: as in `register_callout`.
        let name = unsafe { lib_handle(lib) }.map_or("?", |h| h.name.as_str());
        if message.is_null() {
            return;
        }
        // SAFETY: ABI: a NUL-terminated string valid for the call.
        let msg = unsafe { CStr::from_ptr(message) }.to_string_lossy();
        match level {
            RURU_LOG_ERROR => error!(target: TARGET, library = name, "{msg}"),
            RURU_LOG_WARN => warn!(target: TARGET, library = name, "{msg}"),
            RURU_LOG_INFO => info!(target: TARGET, library = name, "{msg}"),
            RURU_LOG_DEBUG => debug!(target: TARGET, library = name, "{msg}"),
            _ => trace!(target: TARGET, library = name, "{msg}"),
        }
    });
}

unsafe extern "C" fn hook_point(callout: *mut RuruCallout) -> *const c_char {
    boundary(|| {
        // SAFETY: `callout` comes from `invoke` (ABI: valid during the call).
        unsafe { call_ctx(callout) }.map_or(c"", |c| c.args.point.c_name())
    })
}

/// Reads a numeric field with `read` into `*out` (`get_u32`, `get_u64`).
///
/// # Safety
/// `callout` comes from `invoke`; `field` is a C string and `out` null or
/// valid for writes, for the call (ABI).
unsafe fn get_number<T>(
    callout: *mut RuruCallout,
    field: *const c_char,
    out: *mut T,
    read: fn(&HookArgs<'_>, &str) -> Result<T, i32>,
) -> i32 {
    boundary(|| {
        // SAFETY: see the function's contract.
        let (c, f) = unsafe { (call_ctx(callout)?, cstr(field)?) };
        let out = NonNull::new(out).ok_or(RURU_EINVAL)?;
        let v = read(c.args, f)?;
        // SAFETY: `out` is valid for writes (contract, checked non-null).
        unsafe { out.write(v) };
        Ok(())
    })
}

unsafe extern "C" fn get_u32(
    callout: *mut RuruCallout,
    field: *const c_char,
    out: *mut u32,
) -> i32 {
    // SAFETY: the ABI's contract is `get_number`'s.
    unsafe { get_number(callout, field, out, read_u32) }
}

unsafe extern "C" fn set_u32(callout: *mut RuruCallout, field: *const c_char, value: u32) -> i32 {
    boundary(|| {
        // SAFETY: `callout` comes from `invoke`; `field` is a C string valid
        // for the call (ABI).
        let (c, f) = unsafe { (call_ctx(callout)?, cstr(field)?) };
        let r = write_u32(c.args, f, value);
        trace!(target: ARGS, library = %c.name, hook = c.args.point.name(), field = f, value, rc = r.to_c(), "set_u32");
        r
    })
}

unsafe extern "C" fn get_bytes(
    callout: *mut RuruCallout,
    field: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_u32`.
        let (c, f) = unsafe { (call_ctx(callout)?, cstr(field)?) };
        let v = read_bytes(c.args, f)?;
        // SAFETY: `buf` and `len` follow the ABI's `len` protocol.
        unsafe { copy_out(&v, buf, len) }
    })
}

unsafe extern "C" fn set_bytes(
    callout: *mut RuruCallout,
    field: *const c_char,
    buf: *const u8,
    len: usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_u32`; `buf` holds `len` bytes (ABI).
        let (c, f, v) = unsafe { (call_ctx(callout)?, cstr(field)?, bytes_in(buf, len)?) };
        let r = write_bytes(c.args, f, v);
        trace!(target: ARGS, library = %c.name, hook = c.args.point.name(), field = f, len, rc = r.to_c(), "set_bytes");
        r
    })
}

unsafe extern "C" fn get_option(
    callout: *mut RuruCallout,
    packet: *const c_char,
    code: u16,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_u32`.
        let (c, packet) = unsafe { (call_ctx(callout)?, cstr(packet)?) };
        let v = read_option(c.args, packet, code)?;
        // SAFETY: as in `get_bytes`.
        unsafe { copy_out(&v, buf, len) }
    })
}

unsafe extern "C" fn set_option(
    callout: *mut RuruCallout,
    packet: *const c_char,
    code: u16,
    buf: *const u8,
    len: usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_bytes`. A bad `buf` is reported after the
        // checks of `packet` (see `write_option`).
        let (c, packet, v) =
            unsafe { (call_ctx(callout)?, cstr(packet)?, bytes_in(buf, len).ok()) };
        write_option(c.args, c.name, packet, code, v)
    })
}

unsafe extern "C" fn remove_option(
    callout: *mut RuruCallout,
    packet: *const c_char,
    code: u16,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_u32`.
        let (c, packet) = unsafe { (call_ctx(callout)?, cstr(packet)?) };
        delete_option(c.args, c.name, packet, code)
    })
}

unsafe extern "C" fn context_get(
    callout: *mut RuruCallout,
    key: *const c_char,
    buf: *mut u8,
    len: *mut usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_u32`.
        let (c, k) = unsafe { (call_ctx(callout)?, cstr(key)?) };
        let v = read_context(c.args, c.lib, k)?;
        // SAFETY: as in `get_bytes`.
        unsafe { copy_out(v, buf, len) }
    })
}

unsafe extern "C" fn context_set(
    callout: *mut RuruCallout,
    key: *const c_char,
    buf: *const u8,
    len: usize,
) -> i32 {
    boundary(|| {
        // SAFETY: as in `set_bytes`.
        let (c, k, v) = unsafe { (call_ctx(callout)?, cstr(key)?, bytes_in(buf, len)?) };
        write_context(c.args, c.lib, k, v);
        Ok(())
    })
}

unsafe extern "C" fn get_u64(
    callout: *mut RuruCallout,
    field: *const c_char,
    out: *mut u64,
) -> i32 {
    // SAFETY: the ABI's contract is `get_number`'s.
    unsafe { get_number(callout, field, out, read_u64) }
}

unsafe extern "C" fn unpark(lib: *mut RuruLibrary, parking_id: u64, action: i32) -> i32 {
    boundary(|| {
        // SAFETY: as in `register_callout` (any thread may call while the
        // library is loaded; the handle is only read).
        unsafe { lib_handle(lib) }?.unpark(parking_id, action)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_names_match_the_engine() {
        for &p in HookPoint::ALL {
            assert_eq!(p.c_name().to_str().ok(), Some(p.name()));
        }
        assert_eq!(ruru_hooks_sdk::HOOK_POINTS.len(), HookPoint::ALL.len());
        for (a, p) in ruru_hooks_sdk::HOOK_POINTS.iter().zip(HookPoint::ALL) {
            assert_eq!(*a, p.name());
        }
    }
}
