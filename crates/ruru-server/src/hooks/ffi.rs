//! The C boundary of the hook API: the [`RuruApi`] table handed to
//! libraries, what its pointers mean, and the one place where a panic is
//! stopped before it reaches C.
//!
//! - `RuruLibrary*` points to a [`LibHandle`] (boxed, alive until after the
//!   library's `ruru_hook_unload`); the API only reads through it.
//! - `RuruCallout*` points to a [`CalloutCtx`] on the stack of
//!   [`invoke`], valid during that one call.
//!
//! Every exported function runs its body inside [`boundary`]: a panic never
//! unwinds into C and is answered with `RURU_EINVAL` (or, for the two
//! functions without a result code, a harmless default). Its pointer
//! arguments go through the checks below ([`call_ctx`], [`lib_handle`],
//! [`cstr`], [`bytes_in`], [`copy_out`]), which answer `RURU_EINVAL` for a
//! null pointer, a string that is not UTF-8 or a buffer without bytes.
//! What a field or an option means is [`super::fields`]' business: this
//! module only carries values across.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ruru_engine::{HookArgs, HookPoint};
use ruru_hooks_sdk::{
    RuruApi, RuruCallout, RuruCalloutFn, RuruLibrary, RURU_CONTINUE, RURU_DROP, RURU_EINVAL,
    RURU_ENOFIELD, RURU_ETOOSMALL, RURU_LOG_DEBUG, RURU_LOG_ERROR, RURU_LOG_INFO, RURU_LOG_WARN,
    RURU_OK,
};
use tracing::{debug, error, info, trace, warn};

use super::dispatch::ARGS;
use super::fields;
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
        Err(p) => {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            error!(target: crate::hooks::TARGET, panic = %why, "a hook API function panicked (a bug of ruru's): the call was answered as invalid");
            R::panicked()
        }
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
    unsafe { get_number(callout, field, out, fields::read_u32) }
}

unsafe extern "C" fn set_u32(callout: *mut RuruCallout, field: *const c_char, value: u32) -> i32 {
    boundary(|| {
        // SAFETY: `callout` comes from `invoke`; `field` is a C string valid
        // for the call (ABI).
        let (c, f) = unsafe { (call_ctx(callout)?, cstr(field)?) };
        let r = fields::write_u32(c.args, f, value);
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
        let v = fields::read_bytes(c.args, f)?;
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
        let r = fields::write_bytes(c.args, f, v);
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
        let v = fields::read_option(c.args, packet, code)?;
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
        // checks of `packet` (see `fields::write_option`).
        let (c, packet, v) =
            unsafe { (call_ctx(callout)?, cstr(packet)?, bytes_in(buf, len).ok()) };
        fields::write_option(c.args, c.name, packet, code, v)
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
        fields::delete_option(c.args, c.name, packet, code)
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
        let v = fields::read_context(c.args, c.lib, k)?;
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
        fields::write_context(c.args, c.lib, k, v);
        Ok(())
    })
}

unsafe extern "C" fn get_u64(
    callout: *mut RuruCallout,
    field: *const c_char,
    out: *mut u64,
) -> i32 {
    // SAFETY: the ABI's contract is `get_number`'s.
    unsafe { get_number(callout, field, out, fields::read_u64) }
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
    use ruru_engine::PacketContext;
    use std::cell::RefCell;
    use std::ptr::{null, null_mut};

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

    #[test]
    fn a_panic_stops_at_the_boundary() {
        assert_eq!(
            boundary(|| -> Result<(), i32> { panic!("a bug of ours") }),
            RURU_EINVAL
        );
        assert_eq!(boundary(|| Err::<(), i32>(RURU_ENOFIELD)), RURU_ENOFIELD);
        assert_eq!(boundary(|| Ok::<(), i32>(())), RURU_OK);
        let name = boundary(|| -> &'static CStr { panic!("a bug of ours") });
        // SAFETY: `panicked` answers a static C string.
        assert_eq!(unsafe { CStr::from_ptr(name) }, c"");
        boundary::<()>(|| panic!("a bug of ours"));
    }

    #[test]
    fn null_pointers_are_refused() {
        let mut v32 = 0u32;
        let mut v64 = 0u64;
        let mut len = 0usize;
        let f = c"query4.xid".as_ptr();
        // SAFETY: every pointer is null or valid for the call, as the ABI
        // allows.
        unsafe {
            assert_eq!(
                register_callout(null_mut(), c"pkt4_receive".as_ptr(), noop),
                RURU_EINVAL
            );
            assert_eq!(get_u32(null_mut(), f, &mut v32), RURU_EINVAL);
            assert_eq!(set_u32(null_mut(), f, 1), RURU_EINVAL);
            assert_eq!(get_u64(null_mut(), f, &mut v64), RURU_EINVAL);
            assert_eq!(get_bytes(null_mut(), f, null_mut(), &mut len), RURU_EINVAL);
            assert_eq!(set_bytes(null_mut(), f, null(), 0), RURU_EINVAL);
            assert_eq!(
                get_option(null_mut(), f, 1, null_mut(), &mut len),
                RURU_EINVAL
            );
            assert_eq!(set_option(null_mut(), f, 1, null(), 0), RURU_EINVAL);
            assert_eq!(remove_option(null_mut(), f, 1), RURU_EINVAL);
            assert_eq!(
                context_get(null_mut(), f, null_mut(), &mut len),
                RURU_EINVAL
            );
            assert_eq!(context_set(null_mut(), f, null(), 0), RURU_EINVAL);
            assert_eq!(unpark(null_mut(), 1, RURU_CONTINUE), RURU_EINVAL);
            assert_eq!(CStr::from_ptr(hook_point(null_mut())), c"");
            log(null_mut(), RURU_LOG_INFO, null());
        }
    }

    unsafe extern "C" fn noop(_: *mut RuruCallout) -> i32 {
        RURU_CONTINUE
    }

    thread_local! {
        /// What [`probe`] saw: result codes and `*len` values, in order.
        static SEEN: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
    }

    /// A callout that calls the table as a library would (it must not
    /// panic: it is called from C's side of the boundary).
    unsafe extern "C" fn probe(c: *mut RuruCallout) -> i32 {
        let mut seen = Vec::new();
        let mut out = 0u32;
        let mut buf = [0u8; 8];
        let mut len: usize;
        // SAFETY: `c` is valid during the call; every other pointer is
        // null or valid for the call.
        unsafe {
            let name = CStr::from_ptr(hook_point(c));
            seen.push(i64::from(name == c"pkt4_receive"));
            seen.push(i64::from(get_u32(c, c"query4.nope".as_ptr(), &mut out)));
            seen.push(i64::from(get_u32(c, c"\xff".as_ptr(), &mut out)));
            seen.push(i64::from(get_u32(c, c"parking_id".as_ptr(), null_mut())));
            seen.push(i64::from(set_u32(c, null(), 1)));
            seen.push(i64::from(set_bytes(c, c"buffer4".as_ptr(), null(), 3)));
            // A bad buffer is reported after the packet's checks.
            seen.push(i64::from(set_option(c, c"query4".as_ptr(), 12, null(), 3)));
            // The `len` protocol: too small, then the size, then the bytes.
            seen.push(i64::from(context_set(
                c,
                c"k".as_ptr(),
                c"value".as_ptr().cast(),
                5,
            )));
            len = 2;
            seen.push(i64::from(context_get(
                c,
                c"k".as_ptr(),
                buf.as_mut_ptr(),
                &mut len,
            )));
            seen.push(i64::try_from(len).unwrap_or(-1));
            len = buf.len();
            seen.push(i64::from(context_get(
                c,
                c"k".as_ptr(),
                buf.as_mut_ptr(),
                &mut len,
            )));
            seen.push(i64::try_from(len).unwrap_or(-1));
            seen.push(i64::from(context_get(
                c,
                c"k".as_ptr(),
                buf.as_mut_ptr(),
                null_mut(),
            )));
        }
        seen.push(i64::from(buf[..5] == *b"value"));
        SEEN.with(|s| *s.borrow_mut() = seen);
        RURU_CONTINUE
    }

    #[test]
    fn the_table_checks_arguments_and_follows_the_len_protocol() {
        let handle = LibHandle::new("probe".to_string());
        let mut pc = PacketContext::default();
        let mut args = HookArgs::new(HookPoint::Pkt4Receive, &mut pc);
        assert_eq!(invoke(probe, &mut args, 3, &handle), RURU_CONTINUE);
        let [true_, einval, etoosmall, enofield, ereadonly, ok] = [
            1,
            RURU_EINVAL,
            RURU_ETOOSMALL,
            RURU_ENOFIELD,
            ruru_hooks_sdk::RURU_EREADONLY,
            RURU_OK,
        ]
        .map(i64::from);
        assert_eq!(
            SEEN.with(|s| s.borrow().clone()),
            [
                true_, enofield, einval, einval, einval, einval, ereadonly, ok, etoosmall, 5, ok,
                5, einval, true_
            ]
        );
        assert_eq!(
            pc.per_library
                .get(&3)
                .and_then(|m| m.get("k"))
                .map(Vec::as_slice),
            Some(&b"value"[..])
        );
    }
}
