//! The DHCP sockets of one family named in `interfaces-config`, written
//! once for both families: opening them with Kea's `service-sockets-*`
//! retry rules, their worker threads, and changing them on reload (only
//! interface specs that changed are opened or closed).
//!
//! Each interface spec (`"eth0"`, `"eth0/192.0.2.1"`, `"*"`) gets the
//! sockets [`SocketFamily::open`] makes of it. A spec that cannot be opened
//! yet (the interface does not exist or has no address) is retried every
//! `service-sockets-retry-wait-time` ms up to `service-sockets-max-retries`
//! times; with `service-sockets-require-all` those retries happen in the
//! foreground (before the server starts, or before a reload is applied) and
//! a failure stops the start or refuses the reload; otherwise they happen in
//! the background and each socket starts serving as soon as it opens.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use ruru_config::{InterfacesConfig, SocketType};
use ruru_net::NetError;
use tracing::{error, info, warn};

use crate::service::{FamilyService, ServiceFamily};
use crate::workers::{self, Family};

/// How often blocked workers look at their stop flag.
pub const POLL: Duration = Duration::from_millis(200);

/// What opening sockets differs in between the families.
pub trait SocketFamily: Family {
    /// An address of this family (the server identifiers of DHCPv4).
    type Addr: Copy + Ord + Send + Sync + 'static;
    /// Opens the sockets of one interface spec (`kind`: Kea's
    /// `dhcp-socket-type`, DHCPv4 only).
    fn open(spec: &str, kind: SocketType, port: u16) -> Result<Vec<Self::Socket>, NetError>;
    /// The addresses a socket serves (its interface's), which the engine
    /// recognises as its own.
    fn addresses(sock: &Self::Socket) -> Vec<Self::Addr>;
}

/// Sockets of one spec, opened but not yet served.
pub struct Opened<S> {
    pub spec: String,
    pub kind: SocketType,
    pub sockets: Vec<S>,
}

/// What [`SocketSet::open_changes`] found.
pub struct Changes<S> {
    pub opened: Vec<Opened<S>>,
    /// Specs that could not be opened (to retry).
    pub failed: Vec<String>,
    /// Why each of `failed` could not be opened (`spec: error`), for the
    /// start-up error when nothing could be opened.
    pub errors: Vec<String>,
    /// Specs being served that the new config no longer has.
    pub removed: Vec<String>,
}

impl<S> Changes<S> {
    /// No change (a rebuild of the engine on the same sockets).
    pub fn none() -> Self {
        Changes {
            opened: Vec::new(),
            failed: Vec::new(),
            errors: Vec::new(),
            removed: Vec::new(),
        }
    }
}

/// One served spec.
struct Served<A> {
    kind: SocketType,
    /// (interface, its addresses) of each socket.
    ifaces: Vec<(String, Vec<A>)>,
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

/// Every socket of one family being served, by interface spec.
pub struct SocketSet<F: SocketFamily> {
    port: u16,
    threads: usize,
    /// The ring of `dhcp-queue-control`, per socket (see [`workers::spawn`]).
    queue: Option<usize>,
    served: BTreeMap<String, Served<F::Addr>>,
    /// Stops the background retry thread of the previous configuration.
    retry_stop: Option<Arc<AtomicBool>>,
}

impl<F: ServiceFamily> SocketSet<F> {
    pub fn new(port: u16, threads: usize, queue: Option<usize>) -> Self {
        SocketSet {
            port,
            threads: threads.max(1),
            queue,
            served: BTreeMap::new(),
            retry_stop: None,
        }
    }

    /// Opens the sockets `cfg` has that are not served yet (or whose socket
    /// type changed). Nothing is served or closed yet. With `require-all`,
    /// failures are retried in the foreground and the first remaining one
    /// is returned as an error.
    pub fn open_changes(&self, cfg: &InterfacesConfig) -> Result<Changes<F::Socket>, NetError> {
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
            match F::open(spec, cfg.socket_type, self.port) {
                Ok(sockets) => opened.push(Opened {
                    spec: spec.clone(),
                    kind: cfg.socket_type,
                    sockets,
                }),
                Err(e) => {
                    warn!(family = F::NAME, interface = %spec, error = %e, "could not open a socket");
                    failed.push(spec.clone());
                    errors.push(format!("{} on {spec}: {e}", F::NAME));
                    last_err = Some(e);
                }
            }
        }
        if cfg.require_all && !failed.is_empty() {
            for attempt in 1..=cfg.max_retries {
                std::thread::sleep(Duration::from_millis(u64::from(cfg.retry_wait_ms)));
                let mut still = Vec::new();
                for spec in failed {
                    match F::open(&spec, cfg.socket_type, self.port) {
                        Ok(sockets) => opened.push(Opened {
                            spec,
                            kind: cfg.socket_type,
                            sockets,
                        }),
                        Err(e) => {
                            warn!(family = F::NAME, interface = %spec, attempt, error = %e, "retry failed");
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

    /// The server's addresses after `changes` are applied: every address of
    /// every served interface.
    pub fn addrs_with(&self, changes: &Changes<F::Socket>) -> Vec<F::Addr> {
        let mut out: Vec<F::Addr> = self
            .served
            .iter()
            .filter(|(spec, _)| !changes.removed.contains(spec))
            .flat_map(|(_, s)| s.ifaces.iter().flat_map(|(_, a)| a.iter().copied()))
            .collect();
        for o in &changes.opened {
            for s in &o.sockets {
                out.extend(F::addresses(s));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Starts workers for the opened sockets and stops the removed ones.
    pub fn commit(&mut self, svc: &Arc<FamilyService<F>>, changes: Changes<F::Socket>) {
        for spec in &changes.removed {
            if let Some(s) = self.served.remove(spec) {
                s.stop.store(true, Ordering::Relaxed);
                // Workers exit within POLL; their threads are joined here so
                // the socket is really closed when this returns (and when
                // the log says so).
                for h in s.handles {
                    if h.join().is_err() {
                        error!(family = F::NAME, "a worker thread panicked");
                    }
                }
                info!(interface = %spec, "{} socket closed (no longer configured)", F::NAME);
            }
        }
        for o in changes.opened {
            self.serve(svc, o);
        }
    }

    fn serve(&mut self, svc: &Arc<FamilyService<F>>, o: Opened<F::Socket>) {
        let stop = Arc::new(AtomicBool::new(false));
        let ifaces = o
            .sockets
            .iter()
            .map(|s| (F::iface(s).to_string(), F::addresses(s)))
            .collect();
        let spawned: std::io::Result<Vec<_>> = o
            .sockets
            .iter()
            .map(|sock| {
                workers::spawn::<F, FamilyService<F>>(
                    svc.clone(),
                    sock,
                    self.threads,
                    self.queue,
                    svc.stop_flag(),
                    stop.clone(),
                )
            })
            .collect::<std::io::Result<Vec<_>>>()
            .map(|v| v.into_iter().flatten().collect());
        let handles = match spawned {
            Ok(h) => h,
            Err(e) => {
                error!(family = F::NAME, interface = %o.spec, error = %e, "starting workers failed");
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

    /// The address of the first served socket on interface `iface` (the
    /// one it is bound to, the last of its addresses).
    pub fn addr_on(&self, iface: &str) -> Option<F::Addr> {
        self.served
            .values()
            .flat_map(|s| s.ifaces.iter())
            .find(|(name, _)| name == iface)
            .and_then(|(_, addrs)| addrs.last().copied())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Retries `failed` specs in the background (replacing any earlier
    /// retry thread); each that opens starts serving. The thread holds the
    /// service weakly and ends with it.
    pub fn spawn_retries(
        &mut self,
        svc: &Arc<FamilyService<F>>,
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
                warn!(family = F::NAME, interface = %spec, "not served (set interfaces-config.service-sockets-max-retries to retry)");
            }
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        self.retry_stop = Some(stop.clone());
        let weak: Weak<FamilyService<F>> = Arc::downgrade(svc);
        let (kind, port, max) = (cfg.socket_type, self.port, cfg.max_retries);
        let wait = Duration::from_millis(u64::from(cfg.retry_wait_ms));
        let spawned = std::thread::Builder::new()
            .name(format!("{}-sockets", F::THREAD))
            .spawn(move || {
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
                        let Some(svc) = weak.upgrade().filter(|s| !s.stopping()) else {
                            return;
                        };
                        match F::open(&spec, kind, port) {
                            Ok(sockets) => {
                                info!(family = F::NAME, interface = %spec, attempt, "socket opened after retry; serving");
                                svc.serve_opened(Opened { spec, kind, sockets });
                            }
                            Err(e) => {
                                tracing::debug!(family = F::NAME, interface = %spec, attempt, error = %e, "socket retry failed");
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
                    warn!(family = F::NAME, interface = %spec, retries = max, "giving up opening a socket");
                }
            });
        if let Err(e) = spawned {
            error!(family = F::NAME, error = %e, "cannot start the socket retry thread");
        }
    }

    /// Serves sockets opened by a retry.
    pub(crate) fn serve_retried(&mut self, svc: &Arc<FamilyService<F>>, o: Opened<F::Socket>) {
        self.serve(svc, o);
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
                    error!(family = F::NAME, "a worker thread panicked");
                }
            }
        }
    }
}
