//! [`Hooks`]: one generation of loaded libraries, the engine's
//! `HookDispatch`, and the per-library statistics.

use crate::lock;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use libloading::Library;
use ruru_engine::{HookArgs, HookDispatch, HookPoint, NextStep, PacketContext};
use ruru_hooks_sdk::{
    RuruCalloutFn, RuruNoArgFn, RURU_CONTINUE, RURU_DROP, RURU_PARK, RURU_SKIP, SYM_UNLOAD,
};
use tracing::{debug, info, trace, warn};

use super::ffi::{self, LibHandle};
use super::fields;
use super::park::{ParkStats, ParkingLot};
use super::TARGET;

/// Target of the per-call messages (Kea debug level 45).
pub const CALLOUTS: &str = "ruru::hooks::callouts";
/// Target of argument details (Kea debug level 55).
pub const ARGS: &str = "ruru::hooks::args";

/// Counters of one library at one hook point.
#[derive(Debug, Default)]
pub struct PointStats {
    calls: AtomicU64,
    errors: AtomicU64,
    nanos: AtomicU64,
}

/// Hook statistics of the whole server, kept across reloads: per library
/// file name and hook point, `hooks.<library>.<point>.calls|errors|time-us`.
#[derive(Debug, Default)]
pub struct HookStats {
    map: Mutex<BTreeMap<(String, &'static str), Arc<PointStats>>>,
    /// Parking lot counters of every generation.
    pub park: Arc<ParkStats>,
}

impl HookStats {
    /// The counters of `library` at `point` (created on first use).
    pub fn entry(&self, library: &str, point: HookPoint) -> Arc<PointStats> {
        lock(&self.map)
            .entry((library.to_string(), point.name()))
            .or_default()
            .clone()
    }

    /// Every hook statistic, by name.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        let map = lock(&self.map);
        let mut out = Vec::with_capacity(map.len() * 3 + 4);
        // Parking statistics exist once a library with callouts was loaded.
        if !map.is_empty() {
            let n = |v: &AtomicU64| i64::try_from(v.load(Relaxed)).unwrap_or(i64::MAX);
            out.push(("hooks.parked-packets".to_string(), n(&self.park.parked)));
            out.push(("hooks.unparked-packets".to_string(), n(&self.park.resumed)));
            out.push(("hooks.parked-dropped".to_string(), n(&self.park.dropped)));
            out.push(("hooks.park-refused".to_string(), n(&self.park.refused)));
        }
        for ((lib, point), s) in map.iter() {
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            out.push((
                format!("hooks.{lib}.{point}.calls"),
                n(s.calls.load(Relaxed)),
            ));
            out.push((
                format!("hooks.{lib}.{point}.errors"),
                n(s.errors.load(Relaxed)),
            ));
            out.push((
                format!("hooks.{lib}.{point}.time-us"),
                n(s.nanos.load(Relaxed) / 1000),
            ));
        }
        out
    }

    /// One hook statistic by name.
    pub fn lookup(&self, name: &str) -> Option<i64> {
        if !name.starts_with("hooks.") {
            return None;
        }
        self.snapshot()
            .into_iter()
            .find_map(|(n, v)| (n == name).then_some(v))
    }

    /// Sets every counter to 0 (`statistic-reset-all`).
    pub fn reset_all(&self) {
        for c in [
            &self.park.parked,
            &self.park.resumed,
            &self.park.dropped,
            &self.park.refused,
        ] {
            c.store(0, Relaxed);
        }
        for s in lock(&self.map).values() {
            s.calls.store(0, Relaxed);
            s.errors.store(0, Relaxed);
            s.nanos.store(0, Relaxed);
        }
    }

    /// Resets the counters of one statistic name's library and hook point;
    /// whether it exists.
    pub fn reset(&self, name: &str) -> bool {
        let map = lock(&self.map);
        for ((lib, point), s) in map.iter() {
            let prefix = format!("hooks.{lib}.{point}.");
            if let Some(kind) = name.strip_prefix(&prefix) {
                match kind {
                    "calls" => s.calls.store(0, Relaxed),
                    "errors" => s.errors.store(0, Relaxed),
                    "time-us" => s.nanos.store(0, Relaxed),
                    _ => return false,
                }
                return true;
            }
        }
        false
    }
}

/// One loaded library.
#[derive(Debug)]
pub(crate) struct LoadedLib {
    /// File name (messages, statistics).
    pub name: String,
    pub path: PathBuf,
    /// (device, inode) of the file: the dynamic loader shares one instance
    /// of a file between every handle, whatever path names it.
    pub file_id: Option<(u64, u64)>,
    /// What `RuruLibrary*` points to; must outlive `ruru_hook_unload`.
    pub handle: Box<LibHandle>,
    /// The open library; taken (closed) when the generation is retired.
    pub library: Mutex<Option<Library>>,
    pub unload: Option<RuruNoArgFn>,
    /// Serialises the callouts of a library that is not
    /// multi-threading compatible.
    pub serial: Option<Mutex<()>>,
    pub park_warned: AtomicBool,
    pub error_warned: AtomicBool,
}

#[derive(Debug)]
struct Callout {
    /// Index in `Hooks::libs`, which is also the library's context key.
    lib: usize,
    f: RuruCalloutFn,
    stats: Arc<PointStats>,
}

/// One generation of hook libraries (the libraries of one configuration).
///
/// Callouts run only while the generation is live. [`Hooks::retire`] calls
/// every library's `ruru_hook_unload` (in reverse order) and closes the
/// libraries, after waiting for callouts still running; dropping the last
/// `Arc` retires it too. Calls after that see no library: the packet is
/// dropped (it was meant to be seen by hooks that are gone).
#[derive(Debug)]
pub struct Hooks {
    libs: Vec<LoadedLib>,
    /// Callouts per hook point (indexed by `HookPoint as usize`), in
    /// library order.
    points: Vec<Vec<Callout>>,
    /// true while the libraries are loaded. Callouts hold it for reading.
    live: RwLock<bool>,
    /// Replies parked by these libraries.
    pub lot: Arc<ParkingLot>,
}

impl Hooks {
    /// No libraries yet; at most `limits` parked replies of each family
    /// (0: no limit).
    pub(crate) fn empty(limits: super::park::ParkLimits, stats: &HookStats) -> Self {
        Hooks {
            libs: Vec::new(),
            points: HookPoint::ALL.iter().map(|_| Vec::new()).collect(),
            live: RwLock::new(true),
            lot: Arc::new(ParkingLot::new(limits, stats.park.clone())),
        }
    }

    pub(crate) fn push(
        &mut self,
        (lib, callouts): (LoadedLib, Vec<(HookPoint, RuruCalloutFn)>),
        stats: &HookStats,
    ) {
        let index = self.libs.len();
        lib.handle.attach(self.lot.clone(), index);
        for (point, f) in callouts {
            self.points[point as usize].push(Callout {
                lib: index,
                f,
                stats: stats.entry(&lib.name, point),
            });
        }
        self.libs.push(lib);
    }

    /// Whether one of these libraries is the file at `path` (same file,
    /// whatever the path): loading it again would give the same instance.
    pub fn holds(&self, path: &Path) -> bool {
        let id = super::loader::file_id(path);
        self.libs
            .iter()
            .any(|l| l.path == path || (id.is_some() && l.file_id == id))
    }

    /// Unloads the libraries: waits for running callouts, calls each
    /// `ruru_hook_unload` (last library first) and closes the libraries.
    /// Idempotent.
    pub fn retire(&self) {
        let mut live = self
            .live
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*live {
            return;
        }
        *live = false;
        self.lot.clear();
        for l in self.libs.iter().rev() {
            let shown = l.path.display();
            if let Some(unload) = l.unload {
                debug!(target: TARGET, library = %shown, "calling {SYM_UNLOAD}");
                // The library is still open and no callout is running
                // (write lock held).
                let rc = super::loader::call_unload(unload);
                if rc != 0 {
                    warn!(target: TARGET, library = %shown, code = rc, "{SYM_UNLOAD} failed");
                }
            }
            drop(lock(&l.library).take());
            info!(target: TARGET, library = %shown, "hook library unloaded");
        }
    }

    /// Runs `dhcp4_srv_configured` or `dhcp6_srv_configured` (`point`)
    /// with the running configuration's JSON.
    pub fn configured(&self, point: HookPoint, config_json: &dyn Fn() -> String) {
        if !self.has(point) {
            return;
        }
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(point, &mut pc);
        a.text.push(("config", config_json()));
        let step = self.call(&mut a);
        if step != NextStep::Continue {
            debug!(target: CALLOUTS, status = ?step, hook = point.name(), "status ignored");
        }
    }

    /// Runs `command_processed`; returns the response to send (the
    /// callouts may replace it).
    pub fn command_processed(
        &self,
        name: &str,
        arguments: &serde_json::Value,
        response: serde_json::Value,
    ) -> serde_json::Value {
        if !self.has(HookPoint::CommandProcessed) {
            return response;
        }
        let before = response.to_string();
        let mut pc = PacketContext::default();
        let mut a = HookArgs::new(HookPoint::CommandProcessed, &mut pc);
        a.text.push(("command.name", name.to_string()));
        a.text.push(("command.arguments", arguments.to_string()));
        a.text.push(("command.response", before.clone()));
        let _ = self.call(&mut a);
        let Some((_, after)) = a.text.iter().find(|(k, _)| *k == "command.response") else {
            return response;
        };
        if *after == before {
            return response;
        }
        match serde_json::from_str(after) {
            Ok(v) => v,
            Err(e) => {
                warn!(target: TARGET, command = name, error = %e, "command_processed: the new response is not JSON; sending the original");
                response
            }
        }
    }

    fn status(
        &self,
        lib: &LoadedLib,
        index: usize,
        args: &HookArgs<'_>,
        rc: i32,
    ) -> Option<NextStep> {
        let point = args.point;
        match rc {
            RURU_CONTINUE => None,
            RURU_SKIP => Some(NextStep::Skip),
            RURU_DROP => Some(NextStep::Drop),
            RURU_PARK => match args.park {
                Some(id) if self.lot.reserve(id, index, point.is_v6()) => Some(NextStep::Park),
                Some(_) => {
                    warn!(target: TARGET, library = %lib.path.display(), hook = point.name(), "parking lot full (parked-packet-limit): packet dropped");
                    Some(NextStep::Drop)
                }
                None => {
                    if !lib.park_warned.swap(true, Relaxed) {
                        warn!(target: TARGET, library = %lib.path.display(), hook = point.name(), "callout returned PARK where packets cannot be parked: the packet is dropped (logged once per library)");
                    }
                    Some(NextStep::Drop)
                }
            },
            _ => {
                if !lib.error_warned.swap(true, Relaxed) {
                    warn!(target: TARGET, library = %lib.path.display(), hook = point.name(), code = rc, "callout failed: the packet is dropped (further failures are counted in hooks.*.errors and logged at debug level 45)");
                }
                Some(NextStep::Drop)
            }
        }
    }
}

impl Drop for Hooks {
    fn drop(&mut self) {
        self.retire();
    }
}

fn status_name(rc: i32) -> &'static str {
    match rc {
        RURU_CONTINUE => "continue",
        RURU_SKIP => "skip",
        RURU_DROP => "drop",
        RURU_PARK => "park",
        _ => "error",
    }
}

impl HookDispatch for Hooks {
    fn has(&self, point: HookPoint) -> bool {
        !self.points[point as usize].is_empty()
    }

    fn hold(&self, id: u64, finish: ruru_engine::hooks::Finish) {
        self.lot.hold(id, finish);
    }

    fn call(&self, args: &mut HookArgs<'_>) -> NextStep {
        let point = args.point;
        let live = self
            .live
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !*live {
            debug!(target: CALLOUTS, hook = point.name(), "hook libraries were unloaded (reload in progress): packet dropped");
            return NextStep::Drop;
        }
        for c in &self.points[point as usize] {
            let lib = &self.libs[c.lib];
            let _serial = lib.serial.as_ref().map(lock);
            trace!(target: ARGS, library = %lib.name, hook = point.name(), args = %fields::Summary(args), "callout arguments");
            // Kea parks before calling: the library may unpark from its
            // own thread before the callout returns.
            if let Some(id) = args.park {
                self.lot.expect(id, c.lib, point.is_v6());
            }
            let started = Instant::now();
            let rc = ffi::invoke(c.f, args, c.lib, &lib.handle);
            if rc != RURU_PARK {
                if let Some(id) = args.park {
                    self.lot.forget(id);
                }
            }
            let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
            c.stats.calls.fetch_add(1, Relaxed);
            c.stats.nanos.fetch_add(nanos, Relaxed);
            let failed = !matches!(rc, RURU_CONTINUE | RURU_SKIP | RURU_DROP | RURU_PARK);
            if failed {
                c.stats.errors.fetch_add(1, Relaxed);
            }
            debug!(target: CALLOUTS, library = %lib.name, hook = point.name(), status = status_name(rc), code = rc, us = nanos / 1000, "callout called");
            if let Some(step) = self.status(lib, c.lib, args, rc) {
                return step;
            }
        }
        NextStep::Continue
    }
}
