//! The FFI boundary: every `unsafe` of the SDK is in this module.
//!
//! - [`RawCallout`]: calls into the server's [`RuruApi`] table during a
//!   callout (the `len` in/out protocol of the byte getters, C strings).
//! - [`LogSink`]: the `log` function and library handle saved at load,
//!   switched off at unload so that a stray [`crate::Logger`] clone never
//!   calls the server afterwards.
//! - [`export`]: what [`crate::export_hooks!`] expands to call: load,
//!   unload and callout entry points that catch every panic and turn it into
//!   a result code.

#![allow(unsafe_code)]

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::abi::{RuruApi, RuruCallout, RuruLibrary};
use crate::error::ApiError;

/// Where a [`crate::Logger`] writes: the server's `log` function for one
/// loaded library.
pub(crate) struct LogSink {
    log: unsafe extern "C" fn(*mut RuruLibrary, i32, *const c_char),
    unpark: unsafe extern "C" fn(*mut RuruLibrary, u64, i32) -> i32,
    lib: *mut RuruLibrary,
    /// Cleared at unload: the `lib` handle is valid only until
    /// `ruru_hook_unload` returns.
    alive: AtomicBool,
}

// SAFETY: `lib` is an opaque handle that the server lets any thread pass to
// `log` while the library is loaded (the ABI contract); `alive` stops its use
// after unload.
unsafe impl Send for LogSink {}
// SAFETY: as above; the sink has no interior state but the atomic flag.
unsafe impl Sync for LogSink {}

impl LogSink {
    pub(crate) fn new(api: &RuruApi, lib: *mut RuruLibrary) -> LogSink {
        LogSink {
            log: api.log,
            unpark: api.unpark,
            lib,
            alive: AtomicBool::new(true),
        }
    }

    /// Logs through the server; false when the library is unloaded.
    pub(crate) fn write(&self, level: i32, message: &CStr) -> bool {
        if !self.alive.load(Ordering::Acquire) {
            return false;
        }
        // SAFETY: `log` and `lib` come from `ruru_hook_load` and stay valid
        // until unload, which clears `alive` first; `message` is a valid
        // NUL-terminated string for the duration of the call.
        unsafe { (self.log)(self.lib, level, message.as_ptr()) };
        true
    }

    /// Unparks through the server; `RURU_ENOFIELD` when the library is
    /// unloaded (its parked packets were dropped then).
    pub(crate) fn unpark(&self, id: u64, action: i32) -> i32 {
        if !self.alive.load(Ordering::Acquire) {
            return crate::abi::RURU_ENOFIELD;
        }
        // SAFETY: as in `write`: `unpark` and `lib` are valid while `alive`;
        // the server accepts calls from any thread.
        unsafe { (self.unpark)(self.lib, id, action) }
    }

    pub(crate) fn close(&self) {
        self.alive.store(false, Ordering::Release);
    }
}

/// One callout invocation: the handle and the API table.
#[derive(Clone, Copy)]
pub(crate) struct RawCallout<'a> {
    ptr: *mut RuruCallout,
    api: &'a RuruApi,
}

/// Calls `f(buf, &mut len)` with a growing buffer until it stops returning
/// `RURU_ETOOSMALL`.
fn read_sized(mut f: impl FnMut(*mut u8, *mut usize) -> i32) -> Result<Vec<u8>, ApiError> {
    let mut buf = vec![0u8; 256];
    // The size can change between calls only if the server changes the
    // field meanwhile; a few rounds are plenty.
    for _ in 0..4 {
        let mut len = buf.len();
        let rc = f(buf.as_mut_ptr(), &mut len);
        match ApiError::check(rc) {
            Ok(()) => {
                buf.truncate(len.min(buf.len()));
                return Ok(buf);
            }
            Err(ApiError::TooSmall) if len > buf.len() => buf.resize(len, 0),
            Err(e) => return Err(e),
        }
    }
    Err(ApiError::TooSmall)
}

impl<'a> RawCallout<'a> {
    /// # Safety
    /// `ptr` must be the handle of a callout in progress and `api` the table
    /// the library was loaded with; both valid for `'a`.
    pub(crate) unsafe fn new(ptr: *mut RuruCallout, api: &'a RuruApi) -> RawCallout<'a> {
        RawCallout { ptr, api }
    }

    pub(crate) fn hook_point(&self) -> &'a str {
        // SAFETY: `ptr` is a live callout (constructor contract).
        let p = unsafe { (self.api.hook_point)(self.ptr) };
        if p.is_null() {
            return "";
        }
        // SAFETY: the server returns a static NUL-terminated string.
        unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
    }

    pub(crate) fn get_u32(&self, field: &CStr) -> Result<u32, ApiError> {
        let mut out = 0u32;
        // SAFETY: live callout; `field` NUL-terminated; `out` a valid u32.
        let rc = unsafe { (self.api.get_u32)(self.ptr, field.as_ptr(), &mut out) };
        ApiError::check(rc).map(|()| out)
    }

    pub(crate) fn get_u64(&self, field: &CStr) -> Result<u64, ApiError> {
        let mut out = 0u64;
        // SAFETY: live callout; `field` NUL-terminated; `out` a valid u64.
        let rc = unsafe { (self.api.get_u64)(self.ptr, field.as_ptr(), &mut out) };
        ApiError::check(rc).map(|()| out)
    }

    pub(crate) fn set_u32(&self, field: &CStr, value: u32) -> Result<(), ApiError> {
        // SAFETY: live callout; `field` NUL-terminated.
        ApiError::check(unsafe { (self.api.set_u32)(self.ptr, field.as_ptr(), value) })
    }

    pub(crate) fn get_bytes(&self, field: &CStr) -> Result<Vec<u8>, ApiError> {
        read_sized(|buf, len| {
            // SAFETY: live callout; `buf` holds `*len` writable bytes.
            unsafe { (self.api.get_bytes)(self.ptr, field.as_ptr(), buf, len) }
        })
    }

    pub(crate) fn set_bytes(&self, field: &CStr, value: &[u8]) -> Result<(), ApiError> {
        // SAFETY: live callout; `value` is valid for `value.len()` bytes.
        ApiError::check(unsafe {
            (self.api.set_bytes)(self.ptr, field.as_ptr(), value.as_ptr(), value.len())
        })
    }

    pub(crate) fn get_option(&self, packet: &CStr, code: u16) -> Result<Vec<u8>, ApiError> {
        read_sized(|buf, len| {
            // SAFETY: as in `get_bytes`.
            unsafe { (self.api.get_option)(self.ptr, packet.as_ptr(), code, buf, len) }
        })
    }

    pub(crate) fn set_option(
        &self,
        packet: &CStr,
        code: u16,
        value: &[u8],
    ) -> Result<(), ApiError> {
        // SAFETY: as in `set_bytes`.
        ApiError::check(unsafe {
            (self.api.set_option)(self.ptr, packet.as_ptr(), code, value.as_ptr(), value.len())
        })
    }

    pub(crate) fn remove_option(&self, packet: &CStr, code: u16) -> Result<(), ApiError> {
        // SAFETY: live callout; `packet` NUL-terminated.
        ApiError::check(unsafe { (self.api.remove_option)(self.ptr, packet.as_ptr(), code) })
    }

    pub(crate) fn context_get(&self, key: &CStr) -> Result<Vec<u8>, ApiError> {
        read_sized(|buf, len| {
            // SAFETY: as in `get_bytes`.
            unsafe { (self.api.context_get)(self.ptr, key.as_ptr(), buf, len) }
        })
    }

    pub(crate) fn context_set(&self, key: &CStr, value: &[u8]) -> Result<(), ApiError> {
        // SAFETY: as in `set_bytes`.
        ApiError::check(unsafe {
            (self.api.context_set)(self.ptr, key.as_ptr(), value.as_ptr(), value.len())
        })
    }
}

/// The entry points behind [`crate::export_hooks!`]. Not a public API.
pub mod export {
    use std::any::Any;
    use std::ffi::{c_char, CStr};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::{Arc, RwLock};

    use super::{LogSink, RawCallout};
    use crate::abi::{self, RuruApi, RuruCallout, RuruLibrary};
    use crate::callout::Callout;
    use crate::error::Outcome;
    use crate::log::Logger;
    use crate::Hooks;

    /// A loaded library: the instance and what it needs to call the server.
    struct Loaded<H> {
        hooks: H,
        /// A copy of the server's table (checked to be at least as large as
        /// ours at load), so no pointer into the server is kept.
        api: RuruApi,
        log: Logger,
    }

    /// The instance of a library, between `ruru_hook_load` and
    /// `ruru_hook_unload` (a reload is unload + load, possibly with other
    /// parameters).
    pub struct State<H> {
        loaded: RwLock<Option<Arc<Loaded<H>>>>,
    }

    impl<H: Hooks> State<H> {
        #[allow(clippy::new_without_default)]
        pub const fn new() -> Self {
            State {
                loaded: RwLock::new(None),
            }
        }

        fn current(&self) -> Option<Arc<Loaded<H>>> {
            self.loaded
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        }

        fn replace(&self, new: Option<Arc<Loaded<H>>>) -> Option<Arc<Loaded<H>>> {
            let mut g = self.loaded.write().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(&mut *g, new)
        }
    }

    fn panic_message(p: &(dyn Any + Send)) -> String {
        if let Some(s) = p.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        }
    }

    /// `ruru_hook_load`: 0 on success, -1 on any failure (logged).
    ///
    /// # Safety
    /// `api`, `lib` and `params_json` as the ABI says: a valid table, the
    /// library handle, a NUL-terminated string (or null for no parameters).
    pub unsafe fn load<H: Hooks>(
        state: &State<H>,
        api: *const RuruApi,
        lib: *mut RuruLibrary,
        params_json: *const c_char,
    ) -> i32 {
        if api.is_null() {
            return -1;
        }
        // SAFETY: `api` points to the server's table (ABI contract); the two
        // leading u32 fields are present in every version of it.
        let (version, size) = unsafe { ((*api).abi_version, (*api).struct_size) };
        if version != abi::RURU_HOOKS_ABI_VERSION {
            eprintln!(
                "ruru hook: server ABI version {version}, library built for {}",
                abi::RURU_HOOKS_ABI_VERSION
            );
            return -1;
        }
        if (size as usize) < std::mem::size_of::<RuruApi>() {
            eprintln!("ruru hook: the server's API table is smaller than this SDK's");
            return -1;
        }
        // SAFETY: the table is at least `size_of::<RuruApi>()` bytes (checked
        // above) and holds only plain data and function pointers, so a
        // bitwise copy is a valid `RuruApi`.
        let api = unsafe { std::ptr::read(api) };
        let params_text = if params_json.is_null() {
            None
        } else {
            // SAFETY: NUL-terminated for the duration of this call.
            Some(unsafe { CStr::from_ptr(params_json) })
        };
        let log = Logger::new(Arc::new(LogSink::new(&api, lib)));
        let res = catch_unwind(AssertUnwindSafe(|| {
            let params = match params_text {
                None => serde_json::Value::Null,
                Some(t) => match t.to_str().map(str::trim) {
                    Ok("") => serde_json::Value::Null,
                    Ok(s) => serde_json::from_str(s)
                        .map_err(|e| format!("parameters are not valid JSON: {e}"))?,
                    Err(_) => return Err("parameters are not UTF-8".to_string()),
                },
            };
            H::load(&params, &log).map_err(|e| e.to_string())
        }));
        let hooks = match res {
            Ok(Ok(h)) => h,
            Ok(Err(msg)) => {
                log.error(format_args!("load failed: {msg}"));
                log.close();
                return -1;
            }
            Err(p) => {
                log.error(format_args!("load panicked: {}", panic_message(&*p)));
                log.close();
                return -1;
            }
        };
        // Loading again without an unload in between: unload the old one.
        if let Some(old) = state.replace(Some(Arc::new(Loaded { hooks, api, log }))) {
            finish(old);
        }
        abi::RURU_OK
    }

    fn finish<H: Hooks>(old: Arc<Loaded<H>>) -> bool {
        let ok = catch_unwind(AssertUnwindSafe(|| old.hooks.unload())).is_ok();
        if !ok {
            old.log.error("unload panicked");
        }
        old.log.close();
        ok
    }

    /// `ruru_hook_unload`: 0 on success (also when not loaded).
    pub fn unload<H: Hooks>(state: &State<H>) -> i32 {
        match state.replace(None) {
            Some(old) => {
                if finish(old) {
                    0
                } else {
                    -1
                }
            }
            None => 0,
        }
    }

    /// `ruru_hook_multi_threading_compatible`.
    pub fn multi_threading_compatible<H: Hooks>() -> i32 {
        i32::from(H::MULTI_THREADING_COMPATIBLE)
    }

    /// A callout: runs `f` on the loaded instance; a returned error or a
    /// panic is logged and becomes `RURU_ERROR`.
    ///
    /// # Safety
    /// `callout` is the handle of a callout in progress (ABI contract).
    pub unsafe fn callout<H: Hooks>(
        state: &State<H>,
        callout: *mut RuruCallout,
        point: &'static str,
        f: impl FnOnce(&H, &mut Callout<'_>) -> Outcome,
    ) -> i32 {
        let Some(loaded) = state.current() else {
            eprintln!("ruru hook: callout while the library is not loaded");
            return abi::RURU_ERROR;
        };
        let res = catch_unwind(AssertUnwindSafe(|| {
            // SAFETY: `callout` is live for this call (caller's contract) and
            // `loaded.api` is the table of the current load.
            let raw = unsafe { RawCallout::new(callout, &loaded.api) };
            let mut c = Callout::new(raw, &loaded.log);
            match f(&loaded.hooks, &mut c) {
                Ok(s) => s.code(),
                Err(e) => {
                    loaded.log.error(format_args!("{point}: {e}"));
                    abi::RURU_ERROR
                }
            }
        }));
        match res {
            Ok(code) => code,
            Err(p) => {
                let msg = panic_message(&*p);
                // Logging can itself panic only in pathological cases;
                // never let that unwind into the server.
                let _ = catch_unwind(AssertUnwindSafe(|| {
                    loaded
                        .log
                        .error(format_args!("{point}: callout panicked: {msg}"));
                }));
                abi::RURU_ERROR
            }
        }
    }
}
