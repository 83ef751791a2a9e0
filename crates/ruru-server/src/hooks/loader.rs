//! Opening hook libraries and calling their `ruru_hook_load`.
//!
//! A library's file is inspected first ([`super::inspect`]): nothing is
//! opened (so none of its initialisers runs) unless it is an ELF shared
//! object for this machine with the required symbols and, where it says,
//! the right ABI version. Only libraries of the hooks directory get here
//! (`ruru_config::Places::hook_library`). Once opened, before anything of
//! it runs besides its initialisers, `ruru_hook_abi_version` must return
//! [`RURU_HOOKS_ABI_VERSION`], and `ruru_hook_load` must exist. Then
//! `ruru_hook_load` is called with the [`RuruApi`](ruru_hooks_sdk::RuruApi)
//! table, the library's handle and its `parameters` as JSON text; callouts
//! it registers come first at their hook point, then the exported symbols
//! named after hook points.
//!
//! When `ruru_hook_load` fails (non-zero), `ruru_hook_unload` is still
//! called if the library has one, as Kea does, so that a half-done load can
//! clean up; the configuration is then rejected.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use libloading::Library;
use ruru_config::HookLibrary;
use ruru_engine::HookPoint;
use ruru_hooks_sdk::{
    RuruCalloutFn, RuruLoadFn, RuruNoArgFn, RuruVersionFn, RURU_HOOKS_ABI_VERSION, SYM_ABI_VERSION,
    SYM_LOAD, SYM_MULTI_THREADING, SYM_UNLOAD,
};
use tracing::{debug, info, warn};

use super::dispatch::{HookStats, Hooks, LoadedLib};
use super::ffi::{self, LibHandle};
use super::park::ParkLimits;
use super::{HookError, TARGET};

/// A library opened and checked, whose `ruru_hook_load` has not run yet.
struct Opened {
    library: Library,
    load: RuruLoadFn,
    unload: Option<RuruNoArgFn>,
    multi_threading: bool,
}

/// The library's file name, used in statistic names.
pub fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Identity of the file behind `path` (device, inode): the dynamic loader
/// shares one instance between paths naming the same file.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn open_checked(path: &Path) -> Result<Opened, HookError> {
    let shown = path.display();
    super::inspect::inspect(path)?;
    // SAFETY: opening a library runs its initialisers. Hook libraries are
    // code the administrator chose to run inside the server (as with Kea);
    // nothing else of the library runs before its ABI version is checked.
    let library = unsafe { Library::new(path) }
        .map_err(|e| HookError(format!("hook library {shown}: cannot be loaded: {e}")))?;
    // SAFETY: the ABI gives `ruru_hook_abi_version` the type
    // `uint32_t (void)`, which is `RuruVersionFn`. The pointer is used
    // while `library` is open.
    let version: RuruVersionFn = unsafe { library.get::<RuruVersionFn>(SYM_ABI_VERSION.as_bytes()) }
        .map(|s| *s)
        .map_err(|_| {
            HookError(format!(
                "hook library {shown}: missing required symbol {SYM_ABI_VERSION} (is it a ruru hook library?)"
            ))
        })?;
    // SAFETY: a function without arguments that returns an integer (see above).
    let v = unsafe { version() };
    if v != RURU_HOOKS_ABI_VERSION {
        return Err(HookError(format!(
            "hook library {shown}: was built for ruru hook ABI version {v}; this server implements version {RURU_HOOKS_ABI_VERSION}"
        )));
    }
    // SAFETY: the ABI gives `ruru_hook_load` the type `RuruLoadFn`; it is
    // called only while `library` is open (both are kept together).
    let load: RuruLoadFn = unsafe { library.get::<RuruLoadFn>(SYM_LOAD.as_bytes()) }
        .map(|s| *s)
        .map_err(|_| {
            HookError(format!(
                "hook library {shown}: missing required symbol {SYM_LOAD}"
            ))
        })?;
    // SAFETY: `ruru_hook_unload` and `ruru_hook_multi_threading_compatible`
    // are `int32_t (void)` (`RuruNoArgFn`); kept with `library`.
    let unload: Option<RuruNoArgFn> = unsafe { library.get::<RuruNoArgFn>(SYM_UNLOAD.as_bytes()) }
        .ok()
        .map(|s| *s);
    // SAFETY: as above.
    let mt: Option<RuruNoArgFn> =
        unsafe { library.get::<RuruNoArgFn>(SYM_MULTI_THREADING.as_bytes()) }
            .ok()
            .map(|s| *s);
    // SAFETY: a function without arguments that returns an integer.
    let multi_threading = mt.is_some_and(|f| unsafe { f() } != 0);
    Ok(Opened {
        library,
        load,
        unload,
        multi_threading,
    })
}

/// The hook libraries of a whole configuration: `Dhcp4`'s, then those of
/// `Dhcp6` not already listed, and the parking lot bounds (each family's
/// `parked-packet-limit`). Both sections run in
/// this one process, so a library listed in both is loaded once (its
/// callouts serve both); listing it with different parameters is an error,
/// since one loaded instance has one set of parameters.
pub fn libraries_of(
    config: &ruru_config::Config,
) -> Result<(Vec<HookLibrary>, ParkLimits), HookError> {
    let mut out: Vec<HookLibrary> = config
        .dhcp4
        .as_ref()
        .map(|d| d.hooks_libraries.clone())
        .unwrap_or_default();
    if let Some(d6) = &config.dhcp6 {
        for l in &d6.hooks_libraries {
            match out.iter().find(|o| o.path == l.path) {
                Some(o) if o.parameters_json == l.parameters_json => {}
                Some(_) => {
                    return Err(HookError(format!(
                        "hook library {} is listed in Dhcp4 and Dhcp6 with different parameters: ruru serves both in one process and loads it once; give it the same parameters in both sections",
                        l.path.display()
                    )))
                }
                None => out.push(l.clone()),
            }
        }
    }
    let limits = ParkLimits {
        v4: config.dhcp4.as_ref().map_or(256, |d| d.parked_packet_limit),
        v6: config.dhcp6.as_ref().map_or(256, |d| d.parked_packet_limit),
    };
    Ok((out, limits))
}

/// Checks every library of `libs` from its file (ELF type, required
/// symbols, ABI version) without loading it: no code of the library runs.
/// Used by the check-only paths (`ruru check`, `config-test`) and before
/// old libraries are unloaded.
pub fn check_libraries(libs: &[HookLibrary]) -> Result<(), HookError> {
    for l in libs.iter().filter(|l| !l.builtin) {
        super::inspect::inspect(&l.path)?;
    }
    Ok(())
}

/// [`check_libraries`] for every library of both sections of `config`.
pub fn check_config(config: &ruru_config::Config) -> Result<(), HookError> {
    let (libs, _) = libraries_of(config)?;
    check_libraries(&libs)
}

/// Loads `libs` in order. `None` when there is nothing to load (the engine
/// then has no dispatcher and hook points cost nothing). On an error the
/// libraries loaded so far are unloaded again.
pub fn load_libraries(
    libs: &[HookLibrary],
    stats: &HookStats,
    parked_limits: ParkLimits,
) -> Result<Option<Arc<Hooks>>, HookError> {
    for l in libs.iter().filter(|l| l.builtin) {
        info!(target: TARGET, library = %l.path.display(), "hook library built into ruru: nothing is loaded");
    }
    let wanted: Vec<&HookLibrary> = libs.iter().filter(|l| !l.builtin).collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    // Dropping `hooks` on an error unloads what was loaded (in reverse order).
    let mut hooks = Hooks::empty(parked_limits, stats);
    for l in wanted {
        let loaded = load_one(&l.path, &l.parameters_json)?;
        hooks.push(loaded, stats);
    }
    Ok(Some(Arc::new(hooks)))
}

fn load_one(
    path: &Path,
    params: &str,
) -> Result<(LoadedLib, Vec<(HookPoint, RuruCalloutFn)>), HookError> {
    let shown = path.display();
    let opened = open_checked(path)?;
    let params = CString::new(params).map_err(|_| {
        HookError(format!(
            "hook library {shown}: parameters contain a NUL character"
        ))
    })?;
    let name = file_name(path);
    let handle = Box::new(LibHandle::new(name.clone()));
    debug!(target: TARGET, library = %shown, "calling {SYM_LOAD}");
    // SAFETY: `load` is the library's `ruru_hook_load` (checked type, library
    // open). `API` is a static table; `handle` is boxed and kept in the
    // `LoadedLib` until after `ruru_hook_unload` returns; `params` outlives
    // the call.
    let rc = unsafe { (opened.load)(&ffi::API, handle.as_ptr(), params.as_ptr()) };
    let mut callouts = handle.finish_registration();
    if rc != 0 {
        if let Some(unload) = opened.unload {
            let urc = call_unload(unload);
            debug!(target: TARGET, library = %shown, code = urc, "{SYM_UNLOAD} after a failed load");
        }
        return Err(HookError(format!(
            "hook library {shown}: {SYM_LOAD} failed with code {rc}"
        )));
    }
    for &point in HookPoint::ALL {
        // SAFETY: a symbol named after a hook point is a callout
        // (`RuruCalloutFn`) by the ABI; kept with the library.
        if let Ok(sym) = unsafe { opened.library.get::<RuruCalloutFn>(point.name().as_bytes()) } {
            callouts.push((point, *sym));
        }
    }
    if callouts.is_empty() {
        warn!(target: TARGET, library = %shown, "hook library has no callouts");
    }
    for (p, _) in &callouts {
        debug!(target: TARGET, library = %shown, hook = p.name(), "callout registered");
    }
    info!(target: TARGET, library = %shown, callouts = callouts.len(), multi_threading = opened.multi_threading, "hook library loaded");
    let lib = LoadedLib {
        name,
        path: PathBuf::from(path),
        file_id: file_id(path),
        handle,
        library: Mutex::new(Some(opened.library)),
        unload: opened.unload,
        serial: (!opened.multi_threading).then(|| Mutex::new(())),
        park_warned: Default::default(),
        error_warned: Default::default(),
    };
    Ok((lib, callouts))
}

/// Calls a library's `ruru_hook_unload`. The caller keeps the library open
/// until this returns and runs no callout of it meanwhile (the dispatcher
/// holds its write lock; a failed load never registered any).
pub(super) fn call_unload(unload: RuruNoArgFn) -> i32 {
    // SAFETY: `unload` was looked up by name in a library that is still
    // open, with the type the ABI gives `ruru_hook_unload`
    // (`int32_t (void)`), and no callout of the library is running.
    unsafe { unload() }
}
