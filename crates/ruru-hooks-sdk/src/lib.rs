//! The ruru hook SDK: what a hook library depends on.
//!
//! Modules:
//! - [`abi`]: the versioned C ABI (`#[repr(C)]` types, result codes, symbol
//!   names); `include/ruru_hooks.h` is generated from it and committed
//!   (`tests/header.rs` fails when it is stale).
//! - `ffi` (private): the only `unsafe` code: calls into the server's
//!   [`abi::RuruApi`] table and the entry points behind [`export_hooks!`],
//!   which catch every panic at the boundary.
//! - `callout`: [`Callout`], typed access to a hook point's arguments;
//!   `callout6`: its DHCPv6 arguments ([`Query6`], [`Response6`], [`Lease6`]).
//! - `park`: [`ParkedPacket`], a reply parked by a callout (Kea's PARK).
//! - `error`: [`Status`] (next step), [`ApiError`] (the `RURU_E*` codes),
//!   [`HookError`] (a failed load or callout).
//! - `log`: [`Logger`], the server's `hooks` logger.
//! - [`util`]: MAC address text helpers.
//!
//! This crate depends on nothing of ruru's: libraries never link against
//! the server; they call back only through the [`abi::RuruApi`] table.
//!
//! # Writing a hook library in Rust
//! ```no_run
//! use ruru_hooks_sdk::{export_hooks, Callout, HookError, Hooks, Logger, Outcome, Status};
//!
//! struct Quiet {
//!     xid: u32,
//! }
//!
//! impl Hooks for Quiet {
//!     fn load(params: &serde_json::Value, _log: &Logger) -> Result<Self, HookError> {
//!         let xid = params["xid"].as_u64().ok_or_else(|| HookError::msg("xid: expected a number"))?;
//!         Ok(Quiet { xid: u32::try_from(xid)? })
//!     }
//!
//!     fn pkt4_receive(&self, c: &mut Callout<'_>) -> Outcome {
//!         if c.query().xid()? == self.xid {
//!             c.log().debug("dropping that one");
//!             return Ok(Status::Drop);
//!         }
//!         Ok(Status::Continue)
//!     }
//! }
//!
//! export_hooks!(Quiet: pkt4_receive);
//! ```
//! Build it as a `cdylib` (`[lib] crate-type = ["cdylib"]`) and name the
//! `.so` in `hooks-libraries`.

// The workspace denies unsafe code; only `ffi` allows it.
#![deny(unsafe_code)]

pub mod abi;
mod callout;
mod callout6;
mod error;
mod ffi;
mod log;
mod park;
pub mod util;

pub use abi::*;
pub use callout::{Callout, Lease, Query, Response};
pub use callout6::{Lease6, Query6, Response6};
pub use error::{ApiError, HookError, Outcome, Status};
pub use log::{Level, Logger};
pub use park::ParkedPacket;
/// Re-exported so that libraries use the same version as the SDK.
pub use serde_json;

/// Used by [`export_hooks!`]; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::ffi::export::*;
}

/// A hook library: its state, built from the library parameters at load,
/// and one method per hook point. Only the hook points named in
/// [`export_hooks!`] are called; the others keep their default
/// (`Ok(Status::Continue)`).
///
/// Callouts take `&self` and may run on several threads at once; keep
/// mutable state behind a `Mutex` or atomics.
pub trait Hooks: Send + Sync + Sized + 'static {
    /// Whether callouts may run concurrently (`ruru_hook_multi_threading_compatible`).
    const MULTI_THREADING_COMPATIBLE: bool = true;

    /// Builds the library from its `parameters` (`Null` when the config
    /// has none). An error fails the load (and so the configuration).
    fn load(params: &serde_json::Value, log: &Logger) -> Result<Self, HookError>;

    /// Called at unload (shutdown, or before a reload loads the library
    /// again with the new parameters).
    fn unload(&self) {}

    fn buffer4_receive(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn pkt4_receive(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn subnet4_select(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn host4_identifier(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_select(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_renew(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_release(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_decline(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn leases4_committed(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn pkt4_send(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn buffer4_send(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_expire(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease4_recover(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn dhcp4_srv_configured(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn command_processed(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn buffer6_receive(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn pkt6_receive(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn subnet6_select(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn host6_identifier(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_select(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_renew(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_rebind(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_release(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_decline(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn leases6_committed(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn pkt6_send(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn buffer6_send(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_expire(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn lease6_recover(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    fn dhcp6_srv_configured(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    /// The client's name is decided: `hostname`, `fwd-update` and
    /// `rev-update` may be changed ([`Callout::ddns_hostname`],
    /// [`Callout::ddns_updates`]); the status is not used (as in Kea).
    fn ddns4_update(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    /// As [`Hooks::ddns4_update`], for DHCPv6.
    fn ddns6_update(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    /// A DISCOVER's OFFER is ready (Kea 2.6's `lease4_offer`): the query,
    /// the response (read only), the offered lease and `offer_lifetime`.
    /// DROP drops the OFFER (SKIP is CONTINUE here), PARK holds it until
    /// [`crate::ParkedPacket`] resumes it.
    fn lease4_offer(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
    /// The server declined an address itself (Kea 2.6's
    /// `lease4_server_decline`): the built-in ping check found it in use.
    /// The query and the declined lease; the status is not used.
    fn lease4_server_decline(&self, _c: &mut Callout<'_>) -> Outcome {
        Ok(Status::Continue)
    }
}

/// Exports a [`Hooks`] type as a hook library: defines, in the module where
/// it is used (the crate root of a `cdylib`), the C symbols ruru looks up:
/// `ruru_hook_abi_version`, `ruru_hook_abi`, `ruru_hook_load`, `ruru_hook_unload`,
/// `ruru_hook_multi_threading_compatible`, and one callout per hook point
/// listed after the colon.
///
/// ```ignore
/// export_hooks!(MyHooks: pkt4_receive, lease4_select);
/// ```
/// A name that is not a hook point fails to compile. Every entry point
/// catches panics: a panicking callout returns `RURU_ERROR` (the server
/// drops that packet and counts it) and the library keeps working.
#[macro_export]
macro_rules! export_hooks {
    ($ty:ty $(: $($point:ident),* $(,)?)?) => {
        static __RURU_HOOKS_STATE: $crate::__private::State<$ty> =
            $crate::__private::State::new();

        /// The ABI version this library was built for.
        #[unsafe(no_mangle)]
        pub extern "C" fn ruru_hook_abi_version() -> u32 {
            $crate::abi::RURU_HOOKS_ABI_VERSION
        }

        /// The same version as data: ruru reads it from the file before
        /// loading the library (and `ruru check` without loading it).
        #[unsafe(no_mangle)]
        #[used]
        pub static ruru_hook_abi: u32 = $crate::abi::RURU_HOOKS_ABI_VERSION;

        /// Loads the library with its parameters (JSON text).
        ///
        /// # Safety
        /// Called by ruru with the pointers the ABI describes.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn ruru_hook_load(
            api: *const $crate::abi::RuruApi,
            lib: *mut $crate::abi::RuruLibrary,
            params_json: *const ::std::ffi::c_char,
        ) -> i32 {
            // SAFETY: forwarded unchanged under the same contract.
            unsafe { $crate::__private::load::<$ty>(&__RURU_HOOKS_STATE, api, lib, params_json) }
        }

        /// Unloads the library.
        #[unsafe(no_mangle)]
        pub extern "C" fn ruru_hook_unload() -> i32 {
            $crate::__private::unload::<$ty>(&__RURU_HOOKS_STATE)
        }

        /// Whether callouts may run on several threads at once.
        #[unsafe(no_mangle)]
        pub extern "C" fn ruru_hook_multi_threading_compatible() -> i32 {
            $crate::__private::multi_threading_compatible::<$ty>()
        }

        $($(
            /// A callout (see the hooks guide for its arguments).
            ///
            /// # Safety
            /// Called by ruru with a live callout handle.
            #[unsafe(no_mangle)]
            pub unsafe extern "C" fn $point(callout: *mut $crate::abi::RuruCallout) -> i32 {
                // SAFETY: forwarded unchanged under the same contract.
                unsafe {
                    $crate::__private::callout::<$ty>(
                        &__RURU_HOOKS_STATE,
                        callout,
                        stringify!($point),
                        |h, c| <$ty as $crate::Hooks>::$point(h, c),
                    )
                }
            }
        )*)?
    };
}
