//! The versioned C ABI between ruru and hook libraries (version 1).
//!
//! This file is the contract; `include/ruru_hooks.h` is generated from it.
//!
//! # What a library exports
//! | symbol | C signature | required |
//! |---|---|---|
//! | `ruru_hook_abi_version` | `uint32_t (void)` — must return [`RURU_HOOKS_ABI_VERSION`] | yes |
//! | `ruru_hook_load` | `int32_t (const RuruApi *api, RuruLibrary *lib, const char *params_json)` — 0 on success | yes |
//! | `ruru_hook_unload` | `int32_t (void)` — 0 on success | no |
//! | `ruru_hook_multi_threading_compatible` | `int32_t (void)` — non-zero when callouts may run on several threads at once; absent or 0: ruru serialises the library's callouts | no |
//! | `<hook point name>`, e.g. `pkt4_receive` | [`RuruCalloutFn`] | no |
//!
//! A library may also register callouts from `ruru_hook_load` with
//! [`RuruApi::register_callout`]. Callouts of one hook point run in the order
//! the libraries are listed in `hooks-libraries`.
//!
//! # Calling back into ruru
//! Only through the [`RuruApi`] table passed to `ruru_hook_load` (valid
//! until `ruru_hook_unload` returns); libraries never link against the
//! server. Pointers passed to callouts are valid only during that call.
//!
//! # Fields
//! Callouts read and write the arguments of their hook point by name.
//! IPv4 addresses are `uint32_t` in host order (192.0.2.1 is `0xC0000201`);
//! IPv6 addresses are 16 bytes (`get_bytes`/`set_bytes`).
//!
//! # Parking
//! At `leases4_committed`, `pkt4_send`, `leases6_committed` and `pkt6_send`
//! a callout may return [`RURU_PARK`]: the server holds the reply (in a
//! parking lot bounded by `parked-packet-limit`) until the library calls
//! [`RuruApi::unpark`] with the `parking_id` it read ([`RuruApi::get_u64`])
//! during that callout, from any thread. Parked replies of a library are
//! dropped when it is unloaded. Elsewhere, and when the lot is full, PARK
//! drops the packet.
//! See the hooks developer guide for the fields of each hook point; reading
//! a field a hook point does not have returns [`RURU_ENOFIELD`].

use std::ffi::c_char;

/// The ABI version this SDK implements. A library whose
/// `ruru_hook_abi_version` returns anything else is refused at load.
pub const RURU_HOOKS_ABI_VERSION: u32 = 1;

/// Opaque handle of a loaded library (passed to `ruru_hook_load`).
#[repr(C)]
pub struct RuruLibrary {
    _private: [u8; 0],
}

/// Opaque handle of one callout invocation.
#[repr(C)]
pub struct RuruCallout {
    _private: [u8; 0],
}

/// Next step: go on as usual.
pub const RURU_CONTINUE: i32 = 0;
/// Next step: skip the server's own action at this hook point (Kea's SKIP).
pub const RURU_SKIP: i32 = 1;
/// Next step: drop the packet.
pub const RURU_DROP: i32 = 2;
/// Next step: park the packet until the library resumes it (Kea's PARK).
pub const RURU_PARK: i32 = 3;
/// The callout failed: the packet is dropped and counted as an error.
pub const RURU_ERROR: i32 = -1;

/// API result: success.
pub const RURU_OK: i32 = 0;
/// API result: no such field, option or context key at this hook point.
pub const RURU_ENOFIELD: i32 = -1;
/// API result: the buffer is too small; `*len` now holds the size needed.
pub const RURU_ETOOSMALL: i32 = -2;
/// API result: the value is invalid (length, address, UTF-8, ...).
pub const RURU_EINVAL: i32 = -3;
/// API result: the field cannot be changed at this hook point.
pub const RURU_EREADONLY: i32 = -4;

/// Log levels for [`RuruApi::log`].
pub const RURU_LOG_ERROR: i32 = 0;
pub const RURU_LOG_WARN: i32 = 1;
pub const RURU_LOG_INFO: i32 = 2;
pub const RURU_LOG_DEBUG: i32 = 3;

/// A callout: returns a next-step status (`RURU_CONTINUE`, ...) or
/// `RURU_ERROR`.
pub type RuruCalloutFn = unsafe extern "C" fn(callout: *mut RuruCallout) -> i32;

/// `ruru_hook_abi_version`.
pub type RuruVersionFn = unsafe extern "C" fn() -> u32;
/// `ruru_hook_load`.
pub type RuruLoadFn = unsafe extern "C" fn(
    api: *const RuruApi,
    lib: *mut RuruLibrary,
    params_json: *const c_char,
) -> i32;
/// `ruru_hook_unload` and `ruru_hook_multi_threading_compatible`.
pub type RuruNoArgFn = unsafe extern "C" fn() -> i32;

/// Symbol names a library exports.
pub const SYM_ABI_VERSION: &str = "ruru_hook_abi_version";
/// The ABI version as data (`const uint32_t`), read from the file without
/// loading it; optional, but [`export_hooks!`](crate::export_hooks) and the
/// C examples define it.
pub const SYM_ABI_DATA: &str = "ruru_hook_abi";
pub const SYM_LOAD: &str = "ruru_hook_load";
pub const SYM_UNLOAD: &str = "ruru_hook_unload";
pub const SYM_MULTI_THREADING: &str = "ruru_hook_multi_threading_compatible";

/// The function table ruru hands to `ruru_hook_load`. New functions are
/// only ever appended; `struct_size` tells a library how many there are.
#[repr(C)]
pub struct RuruApi {
    /// [`RURU_HOOKS_ABI_VERSION`] of the server.
    pub abi_version: u32,
    /// `sizeof(RuruApi)` as the server knows it.
    pub struct_size: u32,
    /// Registers `callout` at the hook point named `hook_point` (only
    /// during `ruru_hook_load`). Returns `RURU_OK` or `RURU_EINVAL` for an
    /// unknown hook point.
    pub register_callout: unsafe extern "C" fn(
        lib: *mut RuruLibrary,
        hook_point: *const c_char,
        callout: RuruCalloutFn,
    ) -> i32,
    /// Logs `message` (UTF-8, NUL-terminated) under the `hooks` logger.
    pub log: unsafe extern "C" fn(lib: *mut RuruLibrary, level: i32, message: *const c_char),
    /// Name of the hook point of this invocation (static string).
    pub hook_point: unsafe extern "C" fn(callout: *mut RuruCallout) -> *const c_char,
    /// Reads a numeric field (`query4.xid`, `subnet4.id`, `lease4.address`, ...).
    pub get_u32:
        unsafe extern "C" fn(callout: *mut RuruCallout, field: *const c_char, out: *mut u32) -> i32,
    /// Writes a numeric field where the hook point allows it.
    pub set_u32:
        unsafe extern "C" fn(callout: *mut RuruCallout, field: *const c_char, value: u32) -> i32,
    /// Copies a byte field (`query4.hwaddr`, `buffer4`, `command.arguments`,
    /// ...) into `buf`; `*len` is the buffer size in and the field size out.
    pub get_bytes: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        field: *const c_char,
        buf: *mut u8,
        len: *mut usize,
    ) -> i32,
    /// Replaces a byte field where the hook point allows it.
    pub set_bytes: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        field: *const c_char,
        buf: *const u8,
        len: usize,
    ) -> i32,
    /// Copies the payload of option `code` of `packet` (`"query4"` or
    /// `"response4"`) into `buf` (same `len` protocol as `get_bytes`).
    pub get_option: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        packet: *const c_char,
        code: u16,
        buf: *mut u8,
        len: *mut usize,
    ) -> i32,
    /// Adds or replaces option `code` of the response (`"response4"`).
    pub set_option: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        packet: *const c_char,
        code: u16,
        buf: *const u8,
        len: usize,
    ) -> i32,
    /// Removes option `code` from the response.
    pub remove_option:
        unsafe extern "C" fn(callout: *mut RuruCallout, packet: *const c_char, code: u16) -> i32,
    /// Per-packet context of this library: reads the value stored under `key`.
    pub context_get: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        key: *const c_char,
        buf: *mut u8,
        len: *mut usize,
    ) -> i32,
    /// Per-packet context of this library: stores `buf` under `key`; the
    /// value is visible to this library's later callouts for the same packet.
    pub context_set: unsafe extern "C" fn(
        callout: *mut RuruCallout,
        key: *const c_char,
        buf: *const u8,
        len: usize,
    ) -> i32,
    /// Reads a 64-bit field (`parking_id`, `lease4.expire`, `lease6.expire`).
    pub get_u64:
        unsafe extern "C" fn(callout: *mut RuruCallout, field: *const c_char, out: *mut u64) -> i32,
    /// Finishes the reply parked under `parking_id`: `action`
    /// `RURU_CONTINUE` sends it (the remaining hook points run first),
    /// `RURU_DROP` drops it. Callable from any thread while the library is
    /// loaded; never runs callouts on the caller's thread. Returns
    /// `RURU_OK`, or `RURU_ENOFIELD` when no reply of this library is parked
    /// under that id (already finished, or dropped at unload).
    pub unpark: unsafe extern "C" fn(lib: *mut RuruLibrary, parking_id: u64, action: i32) -> i32,
}

/// Every hook point, by the name its callout symbol has.
pub const HOOK_POINTS: &[&str] = &[
    "buffer4_receive",
    "pkt4_receive",
    "subnet4_select",
    "host4_identifier",
    "lease4_select",
    "lease4_renew",
    "lease4_release",
    "lease4_decline",
    "leases4_committed",
    "pkt4_send",
    "buffer4_send",
    "lease4_expire",
    "lease4_recover",
    "dhcp4_srv_configured",
    "command_processed",
    "buffer6_receive",
    "pkt6_receive",
    "subnet6_select",
    "host6_identifier",
    "lease6_select",
    "lease6_renew",
    "lease6_rebind",
    "lease6_release",
    "lease6_decline",
    "leases6_committed",
    "pkt6_send",
    "buffer6_send",
    "lease6_expire",
    "lease6_recover",
    "dhcp6_srv_configured",
    "ddns4_update",
    "ddns6_update",
    "lease4_offer",
    "lease4_server_decline",
];
