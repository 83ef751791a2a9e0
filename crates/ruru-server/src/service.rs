//! One DHCP family's service, written once and instantiated for DHCPv4
//! ([`crate::v4::V4`]) and DHCPv6 ([`crate::v6::V6`]) (DESIGN.md
//! principle 7): its lease store, statistics, sockets and their workers,
//! `dhcp-disable`, the pause of a lost database, reclamation, lease-file
//! compaction and the swap of its engine on reload.
//!
//! The process ([`crate::state::Shared`]) owns what both families share
//! (the configuration snapshot, hook libraries, control channels, signals)
//! and runs one `FamilyService` per configured section. A reload is two
//! steps per family so that it is all or nothing: [`FamilyService::prepare`]
//! opens the sockets of new interfaces (and fails, changing nothing, when
//! `service-sockets-require-all` cannot be met); once every family and the
//! hook libraries are ready, [`FamilyService::commit`] swaps in the new
//! engine and serves the new sockets.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;

use arc_swap::ArcSwap;
use ruru_config::{Config, ExpiredLeasesProcessing, InterfacesConfig, LeaseDatabase};
use ruru_engine::v4::hosts::HostSources;
use ruru_engine::Stats;
use ruru_lease::memfile::MemfileStore;
use ruru_lease::{LeaseError, LeaseRow, LeaseStore};
use tracing::error;

use crate::hooks::Hooks;
use crate::lock;
use crate::sockets::{Changes, Opened, SocketFamily, SocketSet};
use crate::workers::Service;
use crate::ServerError;

/// What a family's service needs of its section and its engine.
pub trait ServiceFamily: SocketFamily<Snap = Arc<Self::Engine>> {
    /// The configuration section (`ruru_config::Dhcp4`, `Dhcp6`).
    type Section: Clone + Send + Sync + 'static;
    /// The engine ([`ruru_engine::Engine4`], [`ruru_engine::v6::Engine6`]).
    type Engine: Send + Sync + 'static;
    /// The engine's options without hook libraries and addresses (each
    /// engine built gets those of its configuration).
    type Opts: Clone + Send + Sync + 'static;
    /// The lease type of its lease file.
    type Row: LeaseRow;
    /// `Dhcp4`, `Dhcp6`.
    const SECTION: &'static str;
    /// Whose statistics the service keeps.
    const STATS: ruru_engine::stats::StatFamily;

    fn section(config: &Config) -> Option<&Self::Section>;
    /// The section's `dhcp-queue-control` ring capacity, when it queues.
    fn queue(s: &Self::Section) -> Option<usize>;
    fn interfaces(s: &Self::Section) -> &InterfacesConfig;
    fn expired_leases(s: &Self::Section) -> ExpiredLeasesProcessing;
    fn lease_database(s: &Self::Section) -> &LeaseDatabase;
    fn hosts_databases(s: &Self::Section) -> &[ruru_config::LeaseDbKind];
    /// How many leases of this family `store` holds.
    fn count(store: &dyn LeaseStore) -> usize;
    /// Opens the lease store the section's `lease-database` names
    /// ([`crate::db::open4`], `open6`), a memfile with the section's
    /// `sanity-checks` ([`crate::sanity`]).
    fn open_store(
        section: &Self::Section,
        config: &std::path::Path,
        callers: usize,
    ) -> Result<crate::db::OpenStore<Self::Row>, ServerError>;
    /// The host databases of the options (reservation commands).
    fn hosts(opts: &Self::Opts) -> &HostSources;
    /// Options for `new` where they depend on the section and `old` had
    /// another (the DHCPv6 server DUID of `server-id`).
    fn reconfigure(opts: &mut Self::Opts, old: &Self::Section, new: &Self::Section);
    /// Builds an engine for `section`, keeping what `previous` learnt of
    /// unchanged pools (allocation cursors).
    fn engine(
        section: Arc<Self::Section>,
        opts: Self::Opts,
        hooks: &Option<Arc<Hooks>>,
        addrs: Vec<Self::Addr>,
        stats: Arc<Stats>,
        previous: Option<&Self::Engine>,
    ) -> Self::Engine;
    /// The section an engine was built for.
    fn section_of(engine: &Self::Engine) -> &Arc<Self::Section>;
    /// The section's subnets as (id, number of pools): what has statistics.
    fn subnets(section: &Self::Section) -> Vec<(u32, usize)>;
    fn recount(engine: &Self::Engine, store: &dyn LeaseStore);
    /// Reclaims up to `limit` (0: all) leases expired at `now`: how many,
    /// and whether more remain.
    fn reclaim(
        engine: &Self::Engine,
        store: &dyn LeaseStore,
        now: u64,
        limit: usize,
    ) -> (usize, bool);
    /// Removes reclaimed leases that expired before `cutoff`.
    fn flush(store: &dyn LeaseStore, cutoff: u64) -> Result<usize, LeaseError>;
}

/// What a family's service is started with.
pub struct Start<F: ServiceFamily> {
    pub section: F::Section,
    pub store: Arc<dyn LeaseStore>,
    /// The same store when it is a lease file (for LFC).
    pub memfile: Option<Arc<MemfileStore<F::Row>>>,
    pub opts: F::Opts,
    pub stats: Arc<Stats>,
    pub port: u16,
    pub threads: usize,
    /// Kea's `dhcp-queue-control` ring capacity per socket, when it queues.
    pub queue: Option<usize>,
}

/// One family's running service.
pub struct FamilyService<F: ServiceFamily> {
    engine: ArcSwap<F::Engine>,
    pub store: Arc<dyn LeaseStore>,
    /// The same store when it is a lease file (for LFC).
    pub memfile: Option<Arc<MemfileStore<F::Row>>>,
    /// This family's statistics (its Kea daemon's).
    pub stats: Arc<Stats>,
    /// `dhcp-disable` / `dhcp-enable`.
    pub switch: Arc<crate::switch::Switch>,
    /// The built-in HA service (`libdhcp_ha.so`), when configured.
    pub ha: arc_swap::ArcSwapOption<crate::ha::HaSet>,
    /// Held while a SQL lease or hosts database of this family is lost under
    /// `on-fail` `stop-retry-exit` (see [`crate::db::watch`]); apart from
    /// `dhcp-disable`: `dhcp-enable` does not clear it.
    pub db_paused: Arc<crate::db::Pause>,
    opts: Mutex<F::Opts>,
    sockets: Mutex<SocketSet<F>>,
    stop: Arc<AtomicBool>,
    /// Reclamation and compaction threads.
    timers: Mutex<Vec<JoinHandle<()>>>,
    /// The built-in ping check's thread, started by the first OFFER that
    /// waits for one (`None` inside: its ICMP socket cannot be opened).
    prober: std::sync::OnceLock<Option<crate::ping::Prober>>,
}

impl<F: ServiceFamily> FamilyService<F> {
    /// Opens the sockets of `s.section` and starts serving: workers,
    /// socket retries, reclamation and (for a lease file) compaction.
    /// Fails when no socket can be opened (and none will be retried), or
    /// when `service-sockets-require-all` cannot be met.
    pub fn start(s: Start<F>, hooks: &Option<Arc<Hooks>>) -> Result<Arc<Self>, ServerError> {
        let ic = F::interfaces(&s.section).clone();
        if ic.interfaces.is_empty() {
            return Err(ServerError::NoSockets(vec![format!(
                "{}.interfaces-config.interfaces is empty: expected at least one interface",
                F::SECTION
            )]));
        }
        let set = SocketSet::<F>::new(s.port, s.threads, s.queue);
        let changes = set.open_changes(&ic)?;
        if changes.opened.iter().all(|o| o.sockets.is_empty())
            && (changes.failed.is_empty() || ic.max_retries == 0)
        {
            return Err(ServerError::NoSockets(if changes.errors.is_empty() {
                vec![format!(
                    "{}.interfaces-config.interfaces names no usable interface: {}",
                    F::SECTION,
                    ic.interfaces.join(", ")
                )]
            } else {
                changes.errors
            }));
        }
        let engine = F::engine(
            Arc::new(s.section),
            s.opts.clone(),
            hooks,
            set.addrs_with(&changes),
            s.stats.clone(),
            None,
        );
        F::recount(&engine, s.store.as_ref());
        let svc = Arc::new(FamilyService {
            engine: ArcSwap::from_pointee(engine),
            store: s.store,
            memfile: s.memfile,
            stats: s.stats,
            switch: Arc::default(),
            ha: arc_swap::ArcSwapOption::empty(),
            db_paused: Arc::default(),
            opts: Mutex::new(s.opts),
            sockets: Mutex::new(set),
            stop: Arc::new(AtomicBool::new(false)),
            timers: Mutex::new(Vec::new()),
            prober: std::sync::OnceLock::new(),
        });
        let failed = changes.failed.clone();
        {
            let mut sockets = lock(&svc.sockets);
            sockets.commit(&svc, changes);
            sockets.spawn_retries(&svc, &ic, failed);
        }
        let mut timers = vec![crate::timers::spawn_reclaimer(
            &format!("{}-reclaim", F::THREAD),
            Reclaimer(Arc::downgrade(&svc)),
            svc.stop.clone(),
        )?];
        if let Some(m) = &svc.memfile {
            let w = Arc::downgrade(&svc);
            timers.push(crate::timers::spawn_compaction(
                &format!("{}-lfc", F::THREAD),
                m.clone(),
                svc.stop.clone(),
                move || {
                    w.upgrade()
                        .map_or(0, |s| lfc_interval(F::lease_database(&s.section())))
                },
            )?);
        }
        *lock(&svc.timers) = timers;
        Ok(svc)
    }

    /// The running engine; a packet holds it to its end.
    pub fn engine(&self) -> Arc<F::Engine> {
        self.engine.load_full()
    }

    /// The running section.
    pub fn section(&self) -> Arc<F::Section> {
        F::section_of(&self.engine()).clone()
    }

    /// The host databases of this family's `hosts-database(s)`.
    pub fn hosts(&self) -> HostSources {
        F::hosts(&lock(&self.opts)).clone()
    }

    /// The address of this service's first socket on interface `iface`.
    pub fn socket_addr_on(&self, iface: &str) -> Option<F::Addr> {
        lock(&self.sockets).addr_on(iface)
    }

    /// How many sockets are served (`status-get`).
    pub fn socket_count(&self) -> usize {
        lock(&self.sockets).len()
    }

    /// Counts the statistics again from the store (after lease commands, or
    /// a database that is back).
    pub fn recount(&self) {
        F::recount(&self.engine(), self.store.as_ref());
    }

    /// Reclaims every lease expired at `now` (`leases-reclaim`); with
    /// `remove`, reclaimed leases are removed from the store.
    pub fn reclaim_all(&self, now: u64, remove: bool) -> Result<usize, LeaseError> {
        let (n, _) = F::reclaim(&self.engine(), self.store.as_ref(), now, 0);
        if remove {
            F::flush(self.store.as_ref(), now + 1)?;
        }
        Ok(n)
    }

    /// First step of a reload: opens the sockets of interfaces `section`
    /// adds. Nothing changes yet; an error (`service-sockets-require-all`
    /// not met) refuses the reload.
    pub fn prepare(&self, section: &F::Section) -> Result<Changes<F::Socket>, ServerError> {
        Ok(lock(&self.sockets).open_changes(F::interfaces(section))?)
    }

    /// Second step of a reload: swaps in an engine for `section` with
    /// `hooks`, then serves the new sockets, closes those of interfaces no
    /// longer configured and retries those that could not be opened.
    pub fn commit(
        self: &Arc<Self>,
        section: F::Section,
        hooks: &Option<Arc<Hooks>>,
        changes: Changes<F::Socket>,
    ) {
        let ic = F::interfaces(&section).clone();
        let failed = changes.failed.clone();
        let mut sockets = lock(&self.sockets);
        let previous = self.engine();
        let opts = {
            let mut o = lock(&self.opts);
            F::reconfigure(&mut o, F::section_of(&previous), &section);
            o.clone()
        };
        // The statistics of subnets and pools no longer configured go, as
        // in Kea (they start again from the leases if the subnet returns).
        self.stats.retain_subnets(&F::subnets(&section));
        let engine = F::engine(
            Arc::new(section),
            opts,
            hooks,
            sockets.addrs_with(&changes),
            self.stats.clone(),
            Some(&previous),
        );
        F::recount(&engine, self.store.as_ref());
        self.engine.store(Arc::new(engine));
        drop(previous);
        sockets.commit(self, changes);
        sockets.spawn_retries(self, &ic, failed);
    }

    /// Rebuilds the running engine with other hook libraries (after a
    /// failed reload that had unloaded them).
    pub fn rehook(self: &Arc<Self>, hooks: &Option<Arc<Hooks>>) {
        let section = (*self.section()).clone();
        self.commit(section, hooks, Changes::none());
    }

    /// Serves sockets that a background retry opened.
    pub(crate) fn serve_opened(self: &Arc<Self>, o: Opened<F::Socket>) {
        lock(&self.sockets).serve_retried(self, o);
    }

    /// The flag every thread of this service stops on.
    pub(crate) fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Whether the service is stopping.
    pub(crate) fn stopping(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Stops the workers and timers and waits for them (shutdown).
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        lock(&self.sockets).stop_all();
        for h in std::mem::take(&mut *lock(&self.timers)) {
            if h.join().is_err() {
                error!(family = F::NAME, "a timer thread panicked");
            }
        }
    }
}

impl<F: ServiceFamily> Service<F> for FamilyService<F> {
    fn disabled(&self, now: u64) -> bool {
        self.db_paused.is_paused() || self.switch.is_disabled(now)
    }
    fn snapshot(&self) -> Arc<F::Engine> {
        self.engine.load_full()
    }
    fn store(&self) -> &dyn LeaseStore {
        self.store.as_ref()
    }
    fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }
    fn ha(&self) -> Option<Arc<crate::ha::HaSet>> {
        self.ha.load_full()
    }
    fn prober(&self) -> Option<&crate::ping::Prober> {
        self.prober
            .get_or_init(|| {
                crate::ping::Prober::start(&format!("{}-ping", F::THREAD), self.stop.clone())
                    .map_err(|e| {
                        error!(family = F::NAME, error = %e, "ping check: cannot open an ICMP socket (CAP_NET_RAW is needed); addresses are offered unchecked");
                    })
                    .ok()
            })
            .as_ref()
    }
}

/// A family's reclamation ([`crate::timers::spawn_reclaimer`]): its
/// running engine and store. Holds the service weakly, so that the thread
/// ends with it.
struct Reclaimer<F: ServiceFamily>(Weak<FamilyService<F>>);

impl<F: ServiceFamily> crate::timers::Reclaim for Reclaimer<F> {
    const FAMILY: &'static str = F::NAME;
    fn settings(&self) -> Option<ExpiredLeasesProcessing> {
        self.0.upgrade().map(|s| F::expired_leases(&s.section()))
    }
    fn reclaim(&self, now: u64, limit: usize) -> (usize, bool) {
        self.0.upgrade().map_or((0, false), |s| {
            F::reclaim(&s.engine(), s.store.as_ref(), now, limit)
        })
    }
    fn flush(&self, cutoff: u64) -> Result<usize, LeaseError> {
        self.0
            .upgrade()
            .map_or(Ok(0), |s| F::flush(s.store.as_ref(), cutoff))
    }
}

/// The compaction interval of a lease database: `lfc-interval` when the
/// leases are kept in a file, else 0.
fn lfc_interval(db: &LeaseDatabase) -> u32 {
    if db.persist && db.kind == ruru_config::LeaseDbKind::Memfile {
        db.lfc_interval
    } else {
        0
    }
}
