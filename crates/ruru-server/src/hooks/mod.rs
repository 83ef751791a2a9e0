//! Hook libraries: loading them (C ABI v1 of `ruru-hooks-sdk`), the callback
//! table they call, and the dispatcher the engine calls at every hook point.
//!
//! Modules:
//! - [`loader`]: opening a library with `libloading`, checking its ABI
//!   version and symbols, calling `ruru_hook_load` / `ruru_hook_unload`.
//! - `ffi`: the C boundary: the [`ruru_hooks_sdk::RuruApi`] table of
//!   `extern "C"` functions, the pointer, string and length checks of their
//!   arguments, the one panic boundary they all run in, and what the
//!   `RuruLibrary*` / `RuruCallout*` pointers point to.
//! - `fields`: what those functions mean, in safe Rust: Kea's field names
//!   (`query4.xid`, `lease6.address`, ...), the options of the query and
//!   response and the per-library context, mapped to reads and writes of
//!   the engine's `HookArgs`, with the ABI's result codes.
//! - [`dispatch`]: [`Hooks`], one generation of loaded libraries, which
//!   implements the engine's `HookDispatch`; statistics per library and
//!   hook point ([`HookStats`]).
//! - [`park`]: the bounded parking lot of replies parked by callouts.
//! - [`inspect`]: checking a hook library from its file, without loading
//!   it (before it is opened, and on the check-only paths).
//!
//! `unsafe` is allowed in `ffi` (the C table) and [`loader`] (opening,
//! loading and unloading a library) only: the crate denies it and `fields`
//! forbids it; every block says why it is sound.
//!
//! # Life cycle
//! A configuration's libraries are loaded while the configuration is being
//! applied, before it is swapped in: any load error rejects the
//! configuration and the running one keeps its libraries. See
//! [`crate::state::Shared::apply`] for when old libraries are unloaded.
//!
//! # Logging
//! Everything goes under the `ruru::hooks` target (Kea's `kea-dhcp4.hooks`
//! logger, or `hooks`, selects it): Kea's debug level 40 (load/unload) →
//! `ruru::hooks` at DEBUG; 45 (each callout call with its status and time) →
//! `ruru::hooks::callouts` at DEBUG; 55 (argument details, field writes) →
//! `ruru::hooks::args` at TRACE. Messages of libraries (`RuruApi::log`) go to
//! `ruru::hooks` at their own level.

pub mod dispatch;
#[allow(unsafe_code)]
mod ffi;
mod fields;
pub mod inspect;
#[allow(unsafe_code)]
pub mod loader;
pub mod park;

pub use dispatch::{HookStats, Hooks};
pub use loader::{check_config, check_libraries, libraries_of, load_libraries};

/// Target of load/unload messages and of library messages (level 40).
pub const TARGET: &str = "ruru::hooks";

/// A hook library could not be loaded (the configuration is rejected).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HookError(pub String);
