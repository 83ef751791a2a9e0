//! The DHCPv6 service: its lease store (a file, or a SQL database opened by
//! [`crate::db::open6`]), sockets, workers, reclamation and configuration
//! swaps, beside the DHCPv4 one in the same process.
//!
//! One [`Engine6`] snapshot per message (swapped atomically by `apply`), the
//! server DUID generated once and persisted ([`crate::duid`]), one socket per
//! configured interface ([`ruru_net::udp6`]) with its own workers. A reload
//! closes the sockets of interfaces that left `interfaces-config` and opens
//! those of new ones; interfaces that cannot be opened are retried as
//! `service-sockets-max-retries` / `-retry-wait-time` say, and
//! `service-sockets-require-all` makes a failure at start-up fatal.

use std::collections::BTreeMap;
use std::net::SocketAddrV6;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use ruru_config::Dhcp6;
use ruru_engine::v4::hosts::HostSources;
use ruru_engine::v6::{Engine6, EngineOptions6, Outcome6, Parked6, RecvMeta6, Reply6};
use ruru_engine::{Stat, Stats};
use ruru_lease::{Lease6, LeaseStore, Memfile6};
use ruru_net::udp6::{self, Udp6Socket};
use tracing::{debug, error, info, warn};

use crate::hooks::Hooks;
use crate::lock;
use crate::sockets::POLL;
use crate::workers::{Family, Outcome, Service};
use crate::ServerError;

/// What the DHCPv6 service stores and reads: its lease store and the host
/// databases of `Dhcp6`'s `hosts-database(s)` (empty without one).
pub struct Databases6 {
    pub leases: crate::db::OpenStore<Lease6>,
    pub hosts: HostSources,
}

/// The running DHCPv6 service.
pub struct Service6 {
    engine: ArcSwap<Engine6>,
    pub store: Arc<dyn LeaseStore>,
    /// The same store when it is a lease file (for LFC).
    pub memfile: Option<Arc<Memfile6>>,
    /// Set while the SQL lease database is lost under `on-fail`
    /// `stop-retry-exit`: messages are dropped, counted in
    /// `pkt6-drop-service-disabled` (see [`crate::db::watch`]).
    pub db_paused: Arc<crate::db::Pause>,
    /// DHCPv6's `dhcp-disable` / `dhcp-enable`.
    pub switch: crate::switch::Switch,
    opts: EngineOptions6,
    stats: Arc<Stats>,
    /// `interfaces-config.interfaces` as last applied.
    interfaces: Mutex<Vec<String>>,
    /// The open sockets by interface name, with their workers.
    sockets: Mutex<BTreeMap<String, Listener>>,
    server_port: u16,
    threads: usize,
    /// Set to stop the retry thread of the previous configuration.
    retry_stop: Mutex<Option<Arc<AtomicBool>>>,
    stop: Arc<AtomicBool>,
    handles: Mutex<Vec<JoinHandle<()>>>,
}

/// The workers of one interface's socket.
struct Listener {
    /// Set to close this socket (the interface left the configuration).
    stop: Arc<AtomicBool>,
    handles: Vec<JoinHandle<()>>,
}

/// Interface names of Kea's interface specs (`"eth0"`, `"eth0/addr"`, `"*"`).
fn names(specs: &[String]) -> Vec<String> {
    let all = ruru_net::iface::list().unwrap_or_default();
    let mut out = Vec::new();
    for s in specs {
        if s == "*" {
            out.extend(all.names.iter().filter(|n| n.as_str() != "lo").cloned());
        } else {
            let n = s.split('/').next().unwrap_or(s).to_string();
            if !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out
}

impl Service6 {
    /// Opens the sockets and starts serving, with the lease store and the
    /// host databases of `dbs`.
    pub fn start(
        cfg: &Dhcp6,
        dbs: Databases6,
        server_port: u16,
        client_port: u16,
        threads: usize,
        stats: Arc<Stats>,
        hooks: Option<Arc<Hooks>>,
    ) -> Result<Arc<Self>, ServerError> {
        let Databases6 { leases: db, hosts } = dbs;
        let store = db.store;
        crate::db::log_opened(
            "DHCPv6 lease database",
            &db.describe,
            db.up,
            cfg.lease_database.persist,
            || store.count6(),
        );
        let duid = crate::duid::load_or_create(&cfg.server_id, crate::now());
        let opts = EngineOptions6 {
            server_duid: duid,
            client_port,
            hooks: None,
            hosts,
            rng: crate::engine_rng("DHCPv6"),
        };
        let engine = Engine6::new(
            Arc::new(cfg.clone()),
            with_hooks(&opts, &hooks),
            stats.clone(),
        );
        engine.recount(store.as_ref());
        let svc = Arc::new(Service6 {
            engine: ArcSwap::from_pointee(engine),
            store,
            memfile: db.memfile,
            db_paused: Arc::default(),
            switch: crate::switch::Switch::default(),
            opts,
            stats,
            interfaces: Mutex::new(cfg.interfaces.interfaces.clone()),
            sockets: Mutex::new(BTreeMap::new()),
            server_port,
            threads: threads.max(1),
            retry_stop: Mutex::new(None),
            stop: Arc::new(AtomicBool::new(false)),
            handles: Mutex::new(Vec::new()),
        });
        let ic = &cfg.interfaces;
        let mut failed = Vec::new();
        let mut errors = Vec::new();
        for name in names(&ic.interfaces) {
            if let Err(e) = svc.listen(&name) {
                warn!(interface = %name, error = %e, "could not open a DHCPv6 socket");
                errors.push(format!("DHCPv6 on {name}: {e}"));
                failed.push(name);
            }
        }
        if !failed.is_empty() && ic.require_all {
            svc.stop();
            return Err(ServerError::NoSockets(errors));
        }
        if lock(&svc.sockets).is_empty() && (failed.is_empty() || ic.max_retries == 0) {
            svc.stop();
            return Err(ServerError::NoSockets(if errors.is_empty() {
                vec!["Dhcp6.interfaces-config.interfaces names no usable interface".into()]
            } else {
                errors
            }));
        }
        svc.retry(ic, failed);
        let h = crate::timers::spawn_reclaimer(
            "ruru6-reclaim",
            Reclaim6(Arc::downgrade(&svc)),
            svc.stop.clone(),
        )?;
        lock(&svc.handles).push(h);
        Ok(svc)
    }

    /// Opens the socket of interface `name` and starts its workers.
    fn listen(self: &Arc<Self>, name: &str) -> Result<(), ServerError> {
        let sock = udp6::open(name, self.server_port, POLL)?;
        let stop = Arc::new(AtomicBool::new(false));
        let handles = crate::workers::spawn::<V6, Service6>(
            self.clone(),
            &sock,
            self.threads,
            self.stop.clone(),
            stop.clone(),
        )?;
        info!(iface = %name, port = self.server_port, "listening (DHCPv6)");
        lock(&self.sockets).insert(name.to_string(), Listener { stop, handles });
        Ok(())
    }

    /// Closes the socket of interface `name` (its workers end within the
    /// receive timeout).
    fn close(&self, name: &str) {
        let Some(l) = lock(&self.sockets).remove(name) else {
            return;
        };
        l.stop.store(true, Ordering::Relaxed);
        for h in l.handles {
            if h.join().is_err() {
                error!("a DHCPv6 worker panicked");
            }
        }
        info!(iface = %name, "DHCPv6 socket closed");
    }

    /// Retries opening the `failed` interfaces in the background, Kea's
    /// `service-sockets-max-retries` times, `service-sockets-retry-wait-time`
    /// apart (replacing the retries of an earlier configuration).
    fn retry(self: &Arc<Self>, ic: &ruru_config::InterfacesConfig, failed: Vec<String>) {
        if let Some(old) = lock(&self.retry_stop).take() {
            old.store(true, Ordering::Relaxed);
        }
        if failed.is_empty() {
            return;
        }
        if ic.max_retries == 0 {
            for name in &failed {
                warn!(interface = %name, "not served by DHCPv6 (set interfaces-config.service-sockets-max-retries to retry)");
            }
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        *lock(&self.retry_stop) = Some(stop.clone());
        let svc = self.clone();
        let (max, wait) = (
            ic.max_retries,
            Duration::from_millis(u64::from(ic.retry_wait_ms)),
        );
        let spawned = std::thread::Builder::new()
            .name("ruru6-sockets".into())
            .spawn(move || {
                let mut pending = failed;
                for attempt in 1..=max {
                    let end = std::time::Instant::now() + wait;
                    while std::time::Instant::now() < end {
                        if stop.load(Ordering::Relaxed) || svc.stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    pending.retain(|name| match svc.listen(name) {
                        Ok(()) => {
                            info!(interface = %name, attempt, "DHCPv6 socket opened after retry; serving");
                            false
                        }
                        Err(e) => {
                            debug!(interface = %name, attempt, error = %e, "DHCPv6 socket retry failed");
                            true
                        }
                    });
                    if pending.is_empty() {
                        return;
                    }
                }
                for name in pending {
                    warn!(interface = %name, retries = max, "DHCPv6 socket could not be opened; giving up");
                }
            });
        if let Err(e) = spawned {
            warn!(error = %e, "cannot start the DHCPv6 socket retry thread");
        }
    }

    /// How many interfaces have a DHCPv6 socket (`status-get`).
    pub fn socket_count(&self) -> usize {
        lock(&self.sockets).len()
    }

    /// Swaps in a new `Dhcp6` configuration and its hook libraries;
    /// sockets of interfaces no longer configured are closed and those of
    /// new interfaces opened (retried as configured when they fail).
    pub fn apply(self: &Arc<Self>, cfg: &Dhcp6, hooks: &Option<Arc<Hooks>>) {
        let ic = &cfg.interfaces;
        if *lock(&self.interfaces) != ic.interfaces {
            let wanted = names(&ic.interfaces);
            let open: Vec<String> = lock(&self.sockets).keys().cloned().collect();
            for name in open.iter().filter(|n| !wanted.contains(n)) {
                self.close(name);
            }
            let mut failed = Vec::new();
            for name in wanted.iter().filter(|n| !open.contains(n)) {
                if let Err(e) = self.listen(name) {
                    warn!(interface = %name, error = %e, "could not open a DHCPv6 socket");
                    failed.push(name.clone());
                }
            }
            self.retry(ic, failed);
            *lock(&self.interfaces) = ic.interfaces.clone();
        }
        let previous = self.engine.load_full();
        let engine = Engine6::with_previous(
            Arc::new(cfg.clone()),
            with_hooks(&self.opts, hooks),
            self.stats.clone(),
            Some(&previous),
        );
        engine.recount(self.store.as_ref());
        self.engine.store(Arc::new(engine));
    }

    /// The running engine (control commands).
    pub fn engine(&self) -> Arc<Engine6> {
        self.engine.load_full()
    }

    /// The host databases of `Dhcp6` (control commands).
    pub fn hosts(&self) -> &HostSources {
        &self.opts.hosts
    }

    /// Stops the workers and waits for them.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        let listeners: Vec<Listener> = std::mem::take(&mut *lock(&self.sockets))
            .into_values()
            .collect();
        let handles = std::mem::take(&mut *lock(&self.handles));
        for h in listeners.into_iter().flat_map(|l| l.handles).chain(handles) {
            if h.join().is_err() {
                error!("a DHCPv6 worker panicked");
            }
        }
    }
}

/// Engine options with `hooks` as the dispatcher.
fn with_hooks(opts: &EngineOptions6, hooks: &Option<Arc<Hooks>>) -> EngineOptions6 {
    let mut o = opts.clone();
    o.hooks = hooks
        .clone()
        .map(|h| h as Arc<dyn ruru_engine::HookDispatch>);
    o
}

/// DHCPv6 for the generic workers ([`crate::workers`]): UDP sockets,
/// [`Engine6`] (each packet holds the engine it started with).
pub struct V6;

impl From<Outcome6> for Outcome<Reply6, Parked6> {
    fn from(o: Outcome6) -> Self {
        match o {
            Outcome6::Reply(r) => Outcome::Reply(r),
            Outcome6::Parked(p) => Outcome::Parked(p),
            Outcome6::Drop(_) => Outcome::Done,
        }
    }
}

impl Family for V6 {
    const NAME: &'static str = "DHCPv6";
    const THREAD: &'static str = "ruru6";
    const BUF_LEN: usize = 65_536;
    const RECEIVED: Stat = Stat::Pkt6Received;
    const RECEIVE_DROP: Stat = Stat::Pkt6ReceiveDrop;
    const DROP_DISABLED: Stat = Stat::Pkt6DropServiceDisabled;
    const PROCESSING_PANIC: Stat = Stat::Pkt6ProcessingPanic;
    const SEND_FAILED: Stat = Stat::Pkt6SendFailed;
    type Socket = Udp6Socket;
    type Meta = RecvMeta6;
    type Snap = Arc<Engine6>;
    type Reply = Reply6;
    type Parked = Parked6;

    fn iface(sock: &Udp6Socket) -> &str {
        &sock.iface
    }
    fn try_clone(sock: &Udp6Socket) -> std::io::Result<Udp6Socket> {
        sock.try_clone()
    }
    fn recv(
        sock: &Udp6Socket,
        buf: &mut [u8],
        iface: &Arc<str>,
    ) -> std::io::Result<Option<(std::ops::Range<usize>, RecvMeta6)>> {
        Ok(sock.recv(buf)?.map(|rx| {
            let meta = RecvMeta6 {
                src: rx.src,
                iface: Some(iface.clone()),
                dst: rx.dst,
            };
            (0..rx.len, meta)
        }))
    }
    fn process(
        snap: &Arc<Engine6>,
        store: &dyn LeaseStore,
        bytes: &[u8],
        meta: &RecvMeta6,
        now: u64,
    ) -> Outcome<Reply6, Parked6> {
        snap.process(store, bytes, meta, now).into()
    }
    fn resume(snap: &Arc<Engine6>, p: Parked6) -> Outcome<Reply6, Parked6> {
        snap.resume(p).into()
    }
    fn parked_id(p: &Parked6) -> u64 {
        p.id
    }
    fn drop_parked(snap: &Arc<Engine6>, p: &Parked6) {
        snap.drop_parked(p);
    }
    fn hold(snap: &Arc<Engine6>, id: u64, finish: ruru_engine::hooks::Finish) {
        snap.hold(id, finish);
    }
    fn send(sock: &Udp6Socket, r: &Reply6) -> std::io::Result<()> {
        let dest = SocketAddrV6::new(*r.dest.ip(), r.dest.port(), 0, r.dest.scope_id());
        sock.send(&r.bytes, dest)
    }
}

impl Service<V6> for Service6 {
    fn disabled(&self, now: u64) -> bool {
        self.db_paused.is_paused() || self.switch.is_disabled(now)
    }
    fn snapshot(&self) -> Arc<Engine6> {
        self.engine.load_full()
    }
    fn store(&self) -> &dyn LeaseStore {
        self.store.as_ref()
    }
    fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
}

/// DHCPv6's reclamation ([`crate::timers::spawn_reclaimer`]): the running
/// engine and the DHCPv6 store. Holds the service weakly, so that the
/// thread ends with it.
struct Reclaim6(std::sync::Weak<Service6>);

impl crate::timers::Reclaim for Reclaim6 {
    const FAMILY: &'static str = "DHCPv6";
    fn settings(&self) -> Option<ruru_config::ExpiredLeasesProcessing> {
        self.0.upgrade().map(|s| s.engine().cfg.expired_leases)
    }
    fn reclaim(&self, now: u64, limit: usize) -> (usize, bool) {
        self.0.upgrade().map_or((0, false), |s| {
            s.engine().reclaim(s.store.as_ref(), now, limit)
        })
    }
    fn flush(&self, cutoff: u64) -> Result<usize, ruru_lease::LeaseError> {
        self.0
            .upgrade()
            .map_or(Ok(0), |s| s.store.flush_reclaimed6(cutoff))
    }
}
