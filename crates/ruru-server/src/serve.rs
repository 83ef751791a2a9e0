//! `ruru serve`: start-up, signals and shutdown.
//!
//! Start-up: load and validate the config; set up logging; open each
//! configured family's lease store (loading the lease file) and hosts
//! databases; load the hook libraries; start each family's service
//! ([`crate::service`]: sockets, engine, workers and timers). Then wait for signals on a small tokio runtime:
//! SIGHUP reloads the file (a bad file is logged and the old config kept),
//! SIGTERM/SIGINT stop. Shutdown: stop each family's service (its workers wake
//! within the socket poll interval; its timers are joined), log statistics.
//! A SQL lease database that is lost and cannot be reconnected, when its
//! `on-fail` says so, runs the same shutdown and makes `serve` return
//! [`ServerError::DatabaseLost`] (see [`crate::db::watch`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use ruru_engine::Stats;
use tracing::{error, info};

use crate::lock;
use crate::service::{FamilyService, ServiceFamily};
use crate::state::{Running, Shared};
use crate::v4::V4;
use crate::v6::V6;
use crate::ServerError;

/// Command-line settings of `ruru serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The configuration files (`-c`, one or more): each holds top-level
    /// sections (`Dhcp4`, `Dhcp6`), as a Kea site's per-daemon files do.
    pub config: Vec<PathBuf>,
    /// Server port (Kea's `-p`), default 67.
    pub server_port: u16,
    /// Client port (Kea's `-P`), default 68.
    pub client_port: u16,
    /// Worker threads per socket; 0 = each section's `multi-threading`
    /// ([`ruru_config::MultiThreading::workers`]), else the default
    /// ([`default_threads`]).
    pub threads: usize,
    /// Control connection read timeout; `None` = [`crate::control::listener::READ_TIMEOUT`].
    /// Set only by tests (hidden `--control-timeout-ms`).
    pub control_timeout: Option<std::time::Duration>,
}

/// Worker threads per socket when `--threads` is not given.
pub const SQL_THREADS: usize = 16;

/// The default worker count per socket: one per CPU; with a SQL lease or
/// hosts database, at least [`SQL_THREADS`]. A worker waits for each
/// database round trip, so a few workers would leave the database idle;
/// with many, their lease writes are committed together (group commit),
/// which is what makes a SQL database fast (see docs/src/databases.md).
pub fn default_threads(config: &ruru_config::Config) -> usize {
    use ruru_config::LeaseDbKind;
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let sql = |k: &LeaseDbKind| !matches!(k, LeaseDbKind::Memfile);
    let v4 = config
        .dhcp4
        .as_ref()
        .is_some_and(|d| sql(&d.lease_database.kind) || d.hosts_databases.iter().any(sql));
    let v6 = config
        .dhcp6
        .as_ref()
        .is_some_and(|d| sql(&d.lease_database.kind) || d.hosts_databases.iter().any(sql));
    if v4 || v6 {
        cpus.max(SQL_THREADS)
    } else {
        cpus
    }
}

/// Runs the server until SIGTERM/SIGINT.
pub fn serve(opts: ServeOptions) -> Result<(), ServerError> {
    let config = ruru_config::load_files(&opts.config, &ruru_config::Places::from_env())?;
    // A DhcpDdns section alone: ruru as a DNS updater only (replacing a
    // kea-dhcp-ddns for Kea DHCP servers).
    if config.dhcp4.is_none() && config.dhcp6.is_none() && config.dhcp_ddns.is_none() {
        return Err(ServerError::NoService);
    }
    let control_sockets = crate::control::listener::sockets_of(&config);
    // One server per configuration: claim the control sockets before
    // anything is opened (the lease files are locked when their stores
    // open), so that a second `ruru serve` stops here, touching nothing of
    // a running one.
    let claims =
        crate::control::listener::claim_all(&control_sockets).map_err(ServerError::Control)?;
    // One log for the process: the loggers of both sections.
    crate::logging::init(&crate::logging::loggers_of(&config))?;
    let files: Vec<String> = opts
        .config
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    info!(version = env!("CARGO_PKG_VERSION"), config = %files.join(", "), "ruru starting");

    // Signal handlers first: SIGHUP's default action would kill the process
    // if it arrived before they are in place.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let signals = rt.block_on(async { Signals::new() })?;

    // Workers per socket; each may call the stores at once. `--threads`,
    // else each section's `multi-threading`, else the default.
    let threads_of = |mt: &ruru_config::MultiThreading| {
        if opts.threads != 0 {
            opts.threads
        } else {
            mt.workers().unwrap_or_else(|| default_threads(&config))
        }
    };
    let threads4 = config
        .dhcp4
        .as_ref()
        .map_or(0, |d| threads_of(&d.multi_threading));
    let threads6 = config
        .dhcp6
        .as_ref()
        .map_or(0, |d| threads_of(&d.multi_threading));
    let threads = threads4.max(threads6);

    // Each family's databases: its lease store (memfile with LFC, or a SQL
    // database) and its hosts databases, asked at every packet after the
    // configuration's reservations.
    let dbs4 = config
        .dhcp4
        .as_ref()
        .map(|d| open_dbs::<V4>(d, &config, threads4))
        .transpose()?;
    let dbs6 = config
        .dhcp6
        .as_ref()
        .map(|d| open_dbs::<V6>(d, &config, threads6))
        .transpose()?;

    // Hook libraries: a library that cannot be loaded stops the start.
    let hook_stats = Arc::new(crate::hooks::HookStats::default());
    let (libs, parked_limit) = crate::hooks::libraries_of(&config)?;
    let hooks = crate::hooks::load_libraries(&libs, &hook_stats, parked_limit)?;

    // The family services: sockets, workers, reclamation, compaction.
    let mut watches = Vec::new();
    // Their name-change request queues (see crate::d2).
    let mut senders = Vec::new();
    crate::dhcp4o6::check(&config);
    let v4 = match (&config.dhcp4, dbs4) {
        (Some(d4), Some(dbs)) => {
            let stats = Arc::new(Stats::of_family(V4::STATS));
            let ncrs = crate::ddns::NcrSender::start(&d4.ddns_client, rt.handle(), stats.clone());
            senders.push(ncrs.clone());
            let engine_opts = ruru_engine::EngineOptions {
                client_port: opts.client_port,
                server_addrs: Vec::new(),
                hooks: None,
                hosts: dbs.hosts.clone(),
                rng: crate::engine_rng("DHCPv4"),
                ddns: Some(ncrs),
            };
            let (svc, w) = start::<V4>(
                d4,
                dbs,
                engine_opts,
                stats,
                opts.server_port,
                threads4,
                &hooks,
            )?;
            watches.push(w);
            Some(svc)
        }
        _ => None,
    };
    let v6 = match (&config.dhcp6, dbs6) {
        (Some(d6), Some(dbs)) => {
            // -p/-P apply to DHCPv6 too when given (tests); else 547/546.
            let sport = if opts.server_port == 67 {
                ruru_engine::v6::SERVER_PORT
            } else {
                opts.server_port
            };
            let cport = if opts.client_port == 68 {
                ruru_engine::v6::CLIENT_PORT
            } else {
                opts.client_port
            };
            let stats = Arc::new(Stats::of_family(V6::STATS));
            let ncrs = crate::ddns::NcrSender::start(&d6.ddns_client, rt.handle(), stats.clone());
            senders.push(ncrs.clone());
            let engine_opts = ruru_engine::v6::EngineOptions6 {
                // DHCPv4-over-DHCPv6: the DHCPv4 service of this process.
                dhcp4o6: v4.as_ref().map(crate::dhcp4o6::Bridge::to),
                server_duid: crate::v6::server_duid(d6),
                client_port: cport,
                hooks: None,
                hosts: dbs.hosts.clone(),
                rng: crate::engine_rng("DHCPv6"),
                ddns: Some(ncrs),
            };
            let started = start::<V6>(d6, dbs, engine_opts, stats, sport, threads6, &hooks);
            match started {
                Ok((svc, w)) => {
                    watches.push(w);
                    Some(svc)
                }
                Err(e) => {
                    if let Some(v4) = &v4 {
                        v4.stop();
                    }
                    return Err(e);
                }
            }
        }
        _ => None,
    };
    let nsockets =
        v4.as_ref().map_or(0, |s| s.socket_count()) + v6.as_ref().map_or(0, |s| s.socket_count());
    let d2 = crate::d2::D2Service::new(senders);
    if let Err(e) = d2.apply(&config, rt.handle()) {
        for s in v4.iter() {
            s.stop();
        }
        for s in v6.iter() {
            s.stop();
        }
        return Err(e);
    }
    let shared = Arc::new(Shared::new(
        Running {
            config: Arc::new(config),
            hooks: hooks.clone(),
        },
        v4,
        v6,
        hook_stats,
        opts.config.clone(),
        d2,
    ));

    // A lost SQL database: Kea's `on-fail` (crate::db::watch). When it says
    // to exit, the reason is kept here and the server shuts down.
    let fatal: Arc<Mutex<Option<String>>> = Arc::default();
    for w in watches {
        for (sql, recount) in w.databases {
            watch_db(&shared, &fatal, w.family, sql, w.paused.clone(), recount)?;
        }
    }

    // Control channels (UNIX / HTTP), served by this thread's runtime.
    let limits = opts.control_timeout.map_or_else(
        crate::control::Limits::default,
        crate::control::Limits::with_timeout,
    );
    crate::control::listener::start(
        crate::control::ControlCtx::new(shared.clone()),
        rt.handle().clone(),
        limits,
        &control_sockets,
        claims,
    )?;
    // HA (libdhcp_ha.so, built in) once its listener is up.
    shared
        .apply_ha(&shared.snapshot().config)
        .map_err(std::io::Error::other)?;

    if let Some(h) = &hooks {
        crate::state::configured(h, &shared.snapshot().config);
    }
    drop(hooks);
    info!(
        threads,
        threads_dhcp4 = threads4,
        threads_dhcp6 = threads6,
        sockets = nsockets,
        "ruru ready"
    );
    rt.block_on(wait_for_signals(&shared, signals))?;
    crate::control::listener::stop_all(&shared);

    // Shutdown sequence: stop flags → workers and timers notice within POLL
    // (timers within 100 ms) → join → final statistics.
    info!("ruru shutting down");
    shared.stop_services();
    let families = [
        shared.v4.as_ref().map(|s| s.stats.clone()),
        shared.v6.as_ref().map(|s| s.stats.clone()),
    ];
    for stats in families.into_iter().flatten() {
        for (name, v) in stats.snapshot() {
            info!(statistic = %name, value = v, "statistic");
        }
    }
    for (name, v) in shared
        .hook_stats
        .snapshot()
        .into_iter()
        .chain(shared.d2.snapshot())
    {
        info!(statistic = %name, value = v, "statistic");
    }
    shared.d2.stop();
    shared.unload_hooks();
    info!("ruru stopped");
    let why = lock(&fatal).take();
    match why {
        Some(why) => Err(ServerError::DatabaseLost(why)),
        None => Ok(()),
    }
}

/// One family's databases, opened: its lease store and its hosts
/// databases, with the SQL ones to watch.
struct Dbs<F: ServiceFamily> {
    leases: crate::db::OpenStore<F::Row>,
    hosts: ruru_engine::v4::hosts::HostSources,
    hosts_watch: Vec<crate::db::SqlWatch>,
}

/// Opens the lease store and the hosts databases of `section`; errors
/// name the file that holds the section.
fn open_dbs<F: ServiceFamily>(
    section: &F::Section,
    config: &ruru_config::Config,
    threads: usize,
) -> Result<Dbs<F>, ServerError> {
    let file = config
        .sections
        .iter()
        .find(|(n, _)| n == F::SECTION)
        .map_or_else(|| config.source.clone(), |(_, f)| f.clone());
    let callers = threads * F::interfaces(section).interfaces.len().max(1);
    let db = F::lease_database(section);
    let leases = F::open_store(section, &file, callers)?;
    crate::db::log_opened(
        &format!("{} lease database", F::NAME),
        &leases.describe,
        leases.up,
        db.persist,
        || F::count(leases.store.as_ref()),
    );
    let (hosts, hosts_watch) =
        crate::db::open_hosts(F::NAME, F::hosts_databases(section), &file, callers)?;
    Ok(Dbs {
        leases,
        hosts,
        hosts_watch,
    })
}

/// What to watch of a started family's SQL databases.
struct Watch {
    family: &'static str,
    paused: Arc<crate::db::Pause>,
    databases: Vec<(crate::db::SqlWatch, Box<dyn Fn() + Send>)>,
}

/// Starts one family's service on its opened databases.
fn start<F: ServiceFamily>(
    section: &F::Section,
    mut dbs: Dbs<F>,
    opts: F::Opts,
    stats: Arc<Stats>,
    port: u16,
    threads: usize,
    hooks: &Option<Arc<crate::hooks::Hooks>>,
) -> Result<(Arc<FamilyService<F>>, Watch), ServerError> {
    let sql = dbs.leases.sql.take();
    let svc = FamilyService::start(
        crate::service::Start {
            section: section.clone(),
            store: dbs.leases.store,
            memfile: dbs.leases.memfile,
            opts,
            stats,
            port,
            threads,
            queue: F::queue(section),
        },
        hooks,
    )?;
    // A lost lease database recounts the statistics when it is back; a
    // hosts database has nothing to recount.
    let w = Arc::downgrade(&svc);
    let recount = move || {
        if let Some(s) = w.upgrade() {
            s.recount();
        }
    };
    let watch = Watch {
        family: F::NAME,
        paused: svc.db_paused.clone(),
        databases: with_recount(sql, recount, dbs.hosts_watch),
    };
    Ok((svc, watch))
}

/// The databases of one family to watch: its SQL lease database (if any)
/// with `recount`, and its hosts databases with nothing to do when back.
fn with_recount(
    lease: Option<crate::db::SqlWatch>,
    recount: impl Fn() + Send + 'static,
    hosts: Vec<crate::db::SqlWatch>,
) -> Vec<(crate::db::SqlWatch, Box<dyn Fn() + Send>)> {
    let none = || Box::new(|| {}) as Box<dyn Fn() + Send>;
    lease
        .map(|sql| (sql, Box::new(recount) as Box<dyn Fn() + Send>))
        .into_iter()
        .chain(hosts.into_iter().map(|sql| (sql, none())))
        .collect()
}

/// Applies `on-fail` to a SQL lease store's events ([`crate::db::watch`]);
/// `recount` counts the statistics again when the database is back. An
/// exit it calls for keeps its reason in `fatal` and shuts the server down.
fn watch_db(
    shared: &Arc<Shared>,
    fatal: &Arc<Mutex<Option<String>>>,
    family: &'static str,
    sql: crate::db::SqlWatch,
    paused: Arc<crate::db::Pause>,
    recount: impl Fn() + Send + 'static,
) -> Result<(), ServerError> {
    let (w, fatal) = (Arc::downgrade(shared), fatal.clone());
    let exit = move |why: String| {
        lock(&fatal).get_or_insert(why);
        if let Some(s) = w.upgrade() {
            s.shutdown.notify_one();
        }
    };
    crate::db::watch(
        family,
        sql,
        crate::db::Reactions {
            paused,
            restored: Box::new(recount),
            exit: Box::new(exit),
        },
    )?;
    Ok(())
}

/// The signals ruru acts on, registered once at start-up.
struct Signals {
    hup: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }
}

async fn wait_for_signals(shared: &Arc<Shared>, mut s: Signals) -> Result<(), ServerError> {
    loop {
        tokio::select! {
            _ = s.hup.recv() => {
                info!("SIGHUP: reloading configuration");
                // Reloading reads files and opens sockets: off the runtime thread.
                let sh = shared.clone();
                match tokio::task::spawn_blocking(move || sh.reload()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => error!("reload failed, keeping the running configuration: {e}"),
                    Err(e) => error!("reload task failed: {e}"),
                }
            }
            _ = shared.shutdown.notified() => {
                info!("shutdown requested (control command, or a lost lease database)");
                return Ok(());
            }
            _ = s.term.recv() => return Ok(()),
            _ = s.int.recv() => return Ok(()),
        }
    }
}
