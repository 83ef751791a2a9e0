//! The DHCPv4 sockets named in `interfaces-config`: opening them with Kea's
//! `service-sockets-*` retry rules, their worker threads, and changing them
//! on reload (only interfaces that changed are opened or closed).
//!
//! Each interface gets one socket of the configured type. An interface that
//! does not exist yet or has no address is retried every
//! `service-sockets-retry-wait-time` ms up to `service-sockets-max-retries`
//! times; with `service-sockets-require-all` those retries happen before the
//! server starts and a failure stops it, otherwise they happen in the
//! background and each socket starts serving as soon as it opens.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ruru_config::{InterfacesConfig, SocketType};
use ruru_net::{iface, raw, udp, NetError, Socket4};
use tracing::{error, info, warn};

use crate::lock;
use crate::state::Shared;
use crate::workers;

/// How often blocked workers look at their stop flag.
pub const POLL: Duration = Duration::from_millis(200);

/// Opens the sockets for one interface spec.
pub fn open_spec(spec: &str, kind: SocketType, port: u16) -> Result<Vec<Socket4>, NetError> {
    let all = iface::list()?;
    let mut out = Vec::new();
    for a in iface::resolve(spec, &all)? {
        let s = match kind {
            SocketType::Raw => Socket4::Raw(raw::open(&a.name, a.addr, port, POLL)?),
            SocketType::Udp => Socket4::Udp(udp::open(&a.name, a.addr, port, POLL)?),
        };
        info!(iface = %a.name, addr = %a.addr, port, socket_type = ?kind, "listening");
        out.push(s);
    }
    Ok(out)
}

/// Sockets of one spec, opened but not yet served.
pub struct Opened {
    pub spec: String,
    pub kind: SocketType,
    pub sockets: Vec<Socket4>,
}

/// What `open_changes` found.
pub struct Changes {
    pub opened: Vec<Opened>,
    /// Specs that could not be opened (to retry).
    pub failed: Vec<String>,
    /// Why each of `failed` could not be opened (`spec: error`), for the
    /// start-up error when nothing could be opened.
    pub errors: Vec<String>,
    /// Specs being served that the new config no longer has.
    pub removed: Vec<String>,
}

/// One served spec.
struct Served {
    kind: SocketType,
    /// (interface, its addresses) for server identifiers.
    ifaces: Vec<(String, Vec<Ipv4Addr>)>,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

/// Every socket being served, by interface spec.
pub struct SocketSet {
    port: u16,
    threads: usize,
    served: BTreeMap<String, Served>,
    /// Stops the background retry thread of the previous configuration.
    retry_stop: Option<Arc<AtomicBool>>,
}

impl SocketSet {
    pub fn new(port: u16, threads: usize) -> Self {
        SocketSet {
            port,
            threads,
            served: BTreeMap::new(),
            retry_stop: None,
        }
    }

    /// Opens the sockets `cfg` has that are not served yet (or whose socket
    /// type changed). Nothing is served or closed yet. With `require-all`,
    /// failures are retried in the foreground and the first remaining one
    /// is returned as an error.
    pub fn open_changes(&self, cfg: &InterfacesConfig) -> Result<Changes, NetError> {
        let mut opened = Vec::new();
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        let mut last_err = None;
        for spec in &cfg.interfaces {
            if self
                .served
                .get(spec)
                .is_some_and(|s| s.kind == cfg.socket_type)
            {
                continue;
            }
            match open_spec(spec, cfg.socket_type, self.port) {
                Ok(sockets) => opened.push(Opened {
                    spec: spec.clone(),
                    kind: cfg.socket_type,
                    sockets,
                }),
                Err(e) => {
                    warn!(interface = %spec, error = %e, "could not open a socket");
                    failed.push(spec.clone());
                    errors.push(format!("{spec}: {e}"));
                    last_err = Some(e);
                }
            }
        }
        if cfg.require_all && !failed.is_empty() {
            for attempt in 1..=cfg.max_retries {
                std::thread::sleep(Duration::from_millis(u64::from(cfg.retry_wait_ms)));
                let mut still = Vec::new();
                for spec in failed {
                    match open_spec(&spec, cfg.socket_type, self.port) {
                        Ok(sockets) => opened.push(Opened {
                            spec,
                            kind: cfg.socket_type,
                            sockets,
                        }),
                        Err(e) => {
                            warn!(interface = %spec, attempt, error = %e, "retry failed");
                            last_err = Some(e);
                            still.push(spec);
                        }
                    }
                }
                failed = still;
                if failed.is_empty() {
                    break;
                }
            }
            if let Some(e) = last_err.filter(|_| !failed.is_empty()) {
                return Err(e);
            }
        }
        let removed = self
            .served
            .iter()
            .filter(|(spec, s)| !cfg.interfaces.contains(spec) || s.kind != cfg.socket_type)
            .map(|(spec, _)| spec.clone())
            .collect();
        Ok(Changes {
            opened,
            failed,
            errors,
            removed,
        })
    }

    /// Server addresses after `changes` are applied: every address of every
    /// served interface.
    pub fn addrs_with(&self, changes: &Changes) -> Vec<Ipv4Addr> {
        let all = iface::list().unwrap_or_default();
        let mut out: Vec<Ipv4Addr> = self
            .served
            .iter()
            .filter(|(spec, _)| !changes.removed.contains(spec))
            .flat_map(|(_, s)| s.ifaces.iter().flat_map(|(_, a)| a.iter().copied()))
            .collect();
        for o in &changes.opened {
            for s in &o.sockets {
                out.extend(iface::addresses_of(s.iface(), &all));
                out.push(s.local());
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Starts workers for the opened sockets and stops the removed ones.
    pub fn commit(&mut self, shared: &Arc<Shared>, changes: Changes) {
        for spec in &changes.removed {
            if let Some(s) = self.served.remove(spec) {
                s.stop.store(true, Ordering::Relaxed);
                info!(interface = %spec, "socket closed (no longer configured)");
                // Workers exit within POLL; their threads are joined here so
                // the socket is really closed when this returns.
                for h in s.handles {
                    let _ = h.join();
                }
            }
        }
        for o in changes.opened {
            self.serve(shared, o);
        }
    }

    fn serve(&mut self, shared: &Arc<Shared>, o: Opened) {
        let all = iface::list().unwrap_or_default();
        let stop = Arc::new(AtomicBool::new(false));
        let ifaces = o
            .sockets
            .iter()
            .map(|s| (s.iface().to_string(), iface::addresses_of(s.iface(), &all)))
            .collect();
        let spawned: std::io::Result<Vec<_>> = o
            .sockets
            .iter()
            .map(|sock| {
                workers::spawn::<workers::V4, Shared>(
                    shared.clone(),
                    sock,
                    self.threads,
                    stop.clone(),
                    stop.clone(),
                )
            })
            .collect::<std::io::Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect());
        let handles = match spawned {
            Ok(h) => h,
            Err(e) => {
                error!(interface = %o.spec, error = %e, "starting workers failed");
                stop.store(true, Ordering::Relaxed);
                Vec::new()
            }
        };
        self.served.insert(
            o.spec,
            Served {
                kind: o.kind,
                ifaces,
                stop,
                handles,
            },
        );
    }

    /// Number of sockets served.
    pub fn len(&self) -> usize {
        self.served.values().map(|s| s.ifaces.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Retries `failed` specs in the background (replacing any earlier
    /// retry thread); each that opens starts serving.
    pub fn spawn_retries(
        &mut self,
        shared: &Arc<Shared>,
        cfg: &InterfacesConfig,
        failed: Vec<String>,
    ) {
        if let Some(old) = self.retry_stop.take() {
            old.store(true, Ordering::Relaxed);
        }
        if failed.is_empty() {
            return;
        }
        if cfg.max_retries == 0 {
            for spec in &failed {
                warn!(interface = %spec, "not served (set interfaces-config.service-sockets-max-retries to retry)");
            }
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        self.retry_stop = Some(stop.clone());
        let shared = shared.clone();
        let (kind, port, max) = (cfg.socket_type, self.port, cfg.max_retries);
        let wait = Duration::from_millis(u64::from(cfg.retry_wait_ms));
        let spawned = std::thread::Builder::new().name("ruru-sockets".into()).spawn(move || {
            let mut pending = failed;
            for attempt in 1..=max {
                let end = std::time::Instant::now() + wait;
                while std::time::Instant::now() < end {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let mut still = Vec::new();
                for spec in pending {
                    match open_spec(&spec, kind, port) {
                        Ok(sockets) => {
                            info!(interface = %spec, attempt, "socket opened after retry; serving");
                            lock(&shared.sockets).serve(&shared, Opened { spec, kind, sockets });
                        }
                        Err(e) => {
                            tracing::debug!(interface = %spec, attempt, error = %e, "socket retry failed");
                            still.push(spec);
                        }
                    }
                }
                pending = still;
                if pending.is_empty() {
                    return;
                }
            }
            for spec in &pending {
                warn!(interface = %spec, retries = max, "giving up opening a socket");
            }
        });
        if let Err(e) = spawned {
            error!(error = %e, "cannot start the socket retry thread");
        }
    }

    /// Stops every worker and waits for them (shutdown).
    pub fn stop_all(&mut self) {
        if let Some(r) = self.retry_stop.take() {
            r.store(true, Ordering::Relaxed);
        }
        for s in self.served.values() {
            s.stop.store(true, Ordering::Relaxed);
        }
        for (_, s) in std::mem::take(&mut self.served) {
            for h in s.handles {
                if h.join().is_err() {
                    error!("a worker thread panicked");
                }
            }
        }
    }
}
