//! `ruru serve`: start-up, signals and shutdown.
//!
//! Start-up: load and validate the config; set up logging; open the lease
//! store (loading the lease file); open sockets; build the engine; start
//! workers and timers. Then wait for signals on a small tokio runtime:
//! SIGHUP reloads the file (a bad file is logged and the old config kept),
//! SIGTERM/SIGINT stop. Shutdown: set the stop flag, join the workers (they
//! wake within the socket poll interval), join the timers, log statistics.
//! A SQL lease database that is lost and cannot be reconnected, when its
//! `on-fail` says so, runs the same shutdown and makes `serve` return
//! [`ServerError::DatabaseLost`] (see [`crate::db::watch`]).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::LeaseStore;
use tracing::{error, info};

use crate::lock;
use crate::sockets::SocketSet;
use crate::state::{Running, Shared};
use crate::{timers, ServerError};

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
    /// Worker threads per socket; 0 = the default ([`default_threads`]).
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
    // Error messages name the file that holds the section concerned.
    let file_of = |section: &str| -> PathBuf {
        config
            .sections
            .iter()
            .find(|(n, _)| n == section)
            .map_or_else(|| config.source.clone(), |(_, f)| f.clone())
    };
    let (file4, file6) = (file_of("Dhcp4"), file_of("Dhcp6"));
    if config.dhcp4.is_none() && config.dhcp6.is_none() {
        return Err(ServerError::NoDhcp4);
    }
    let dhcp4 = config.dhcp4.clone().unwrap_or_else(crate::state::no_dhcp4);
    let control_sockets = crate::control::listener::sockets_of(&config);
    // One server per configuration: claim the control sockets before
    // anything is opened (the lease files are locked when their stores
    // open), so that a second `ruru serve` stops here, touching nothing of
    // a running one.
    let claims =
        crate::control::listener::claim_all(&control_sockets).map_err(ServerError::Control)?;
    // One log for the process: the loggers of both sections.
    let loggers: Vec<ruru_config::Logger> = config
        .dhcp4
        .iter()
        .flat_map(|d| d.loggers.iter())
        .chain(config.dhcp6.iter().flat_map(|d| d.loggers.iter()))
        .cloned()
        .collect();
    logging_init(&loggers)?;
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

    // Workers per socket; each may call the stores at once.
    let threads = if opts.threads == 0 {
        default_threads(&config)
    } else {
        opts.threads
    };
    let callers4 = threads * dhcp4.interfaces.interfaces.len().max(1);

    // Lease store: memfile (with LFC) or a SQL database.
    let mut opened = crate::db::open4(&dhcp4.lease_database, &file4, callers4)?;
    let sql4 = opened.sql.take();
    crate::db::log_opened(
        "lease database",
        &opened.describe,
        opened.up,
        dhcp4.lease_database.persist,
        || opened.store.count4(),
    );
    // Hosts databases: asked at every packet after the config's reservations.
    let (hosts, hosts_watch4) =
        crate::db::open_hosts("DHCPv4", &dhcp4.hosts_databases, &file4, callers4)?;

    // Sockets: opened now, served once the shared state exists.
    let ic = dhcp4.interfaces.clone();
    let has4 = config.dhcp4.is_some();
    if has4 && ic.interfaces.is_empty() {
        return Err(ServerError::NoSockets(vec![
            "Dhcp4.interfaces-config.interfaces is empty: expected at least one interface".into(),
        ]));
    }
    let set = SocketSet::new(opts.server_port, threads);
    let changes = set.open_changes(&ic)?;
    if has4 && changes.opened.is_empty() && (changes.failed.is_empty() || ic.max_retries == 0) {
        return Err(ServerError::NoSockets(if changes.errors.is_empty() {
            ic.interfaces.clone()
        } else {
            changes.errors.clone()
        }));
    }
    let failed = changes.failed.clone();

    // Hook libraries: a library that cannot be loaded stops the start.
    let hook_stats = Arc::new(crate::hooks::HookStats::default());
    let (libs, parked_limit) = crate::hooks::libraries_of(&config)?;
    let hooks = crate::hooks::load_libraries(&libs, &hook_stats, parked_limit)?;

    // Engine.
    let stats = Arc::new(Stats::new());
    let engine_opts = EngineOptions {
        client_port: opts.client_port,
        server_addrs: set.addrs_with(&changes),
        hooks: None,
        hosts,
        rng: crate::engine_rng("DHCPv4"),
    };
    let engine = Engine4::new(
        Arc::new(dhcp4),
        crate::state::with_hooks(&engine_opts, &hooks),
        stats.clone(),
    );
    let store: Arc<dyn LeaseStore> = opened.store.clone();
    engine.recount(store.as_ref());
    let shared = Arc::new(Shared::new(
        Running {
            config: Arc::new(config),
            engine,
            hooks: hooks.clone(),
        },
        store,
        stats.clone(),
        hook_stats,
        engine_opts,
        opts.config.clone(),
        set,
    ));

    // A lost SQL lease database: Kea's `on-fail` (crate::db::watch). When
    // it says to exit, the reason is kept here and the server shuts down.
    let fatal: Arc<Mutex<Option<String>>> = Arc::default();
    // A lost lease database recounts the statistics when it is back; a
    // hosts database has nothing to recount.
    let w = Arc::downgrade(&shared);
    let recount4 = move || {
        if let Some(s) = w.upgrade() {
            s.snapshot().engine.recount(s.store.as_ref());
        }
    };
    for (sql, recount) in with_recount(sql4, recount4, hosts_watch4) {
        watch_db(
            &shared,
            &fatal,
            "DHCPv4",
            sql,
            shared.db_paused.clone(),
            recount,
        )?;
    }

    // DHCPv6, when configured: its own lease store, sockets and workers.
    if let Some(d6) = &shared.snapshot().config.dhcp6 {
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
        let callers6 = threads * d6.interfaces.interfaces.len().max(1);
        let mut db6 = crate::db::open6(&d6.lease_database, &file6, callers6)?;
        let sql6 = db6.sql.take();
        let (hosts6, hosts_watch6) =
            crate::db::open_hosts("DHCPv6", &d6.hosts_databases, &file6, callers6)?;
        let svc = crate::v6::Service6::start(
            d6,
            crate::v6::Databases6 {
                leases: db6,
                hosts: hosts6,
            },
            sport,
            cport,
            threads,
            stats.clone(),
            hooks.clone(),
        )?;
        let w = Arc::downgrade(&svc);
        let recount6 = move || {
            if let Some(s) = w.upgrade() {
                s.engine().recount(s.store.as_ref());
            }
        };
        for (sql, recount) in with_recount(sql6, recount6, hosts_watch6) {
            watch_db(
                &shared,
                &fatal,
                "DHCPv6",
                sql,
                svc.db_paused.clone(),
                recount,
            )?;
        }
        *lock(&shared.v6) = Some(svc);
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

    // Workers and timers.
    let stop = Arc::new(AtomicBool::new(false));
    let nsockets = {
        let mut set = lock(&shared.sockets);
        set.commit(&shared, changes);
        set.spawn_retries(&shared, &ic, failed);
        set.len()
    };
    let mut handles = vec![timers::spawn_reclaimer(
        "ruru-reclaim",
        timers::Reclaim4(shared.clone()),
        stop.clone(),
    )?];
    if let Some(m) = &opened.memfile {
        handles.push(timers::spawn_lfc(shared.clone(), m.clone(), stop.clone())?);
    }
    if let Some(m) = lock(&shared.v6).as_ref().and_then(|v6| v6.memfile.clone()) {
        handles.push(timers::spawn_lfc6(shared.clone(), m, stop.clone())?);
    }
    if let Some(h) = &hooks {
        let raw = || shared.snapshot().config.raw.to_string();
        // Each family's point, when that family is configured.
        if shared.snapshot().config.dhcp4.is_some() {
            h.configured(ruru_engine::HookPoint::Dhcp4SrvConfigured, &raw);
        }
        if shared.snapshot().config.dhcp6.is_some() {
            h.configured(ruru_engine::HookPoint::Dhcp6SrvConfigured, &raw);
        }
    }
    drop(hooks);
    info!(threads, sockets = nsockets, "ruru ready");
    rt.block_on(wait_for_signals(&shared, signals))?;
    crate::control::listener::stop_all(&shared);

    // Shutdown sequence: stop flag → workers and timers notice within POLL
    // (timers within 100 ms) → join → final statistics.
    info!("ruru shutting down");
    stop.store(true, Ordering::Relaxed);
    lock(&shared.sockets).stop_all();
    if let Some(v6) = lock(&shared.v6).take() {
        v6.stop();
    }
    for h in handles {
        if h.join().is_err() {
            error!("a worker thread panicked");
        }
    }
    for (name, v) in stats
        .snapshot()
        .into_iter()
        .chain(shared.hook_stats.snapshot())
    {
        info!(statistic = %name, value = v, "statistic");
    }
    shared.unload_hooks();
    info!("ruru stopped");
    let why = lock(&fatal).take();
    match why {
        Some(why) => Err(ServerError::DatabaseLost(why)),
        None => Ok(()),
    }
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

fn logging_init(loggers: &[ruru_config::Logger]) -> Result<(), ServerError> {
    crate::logging::init(loggers)
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
