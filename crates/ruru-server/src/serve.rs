//! `ruru serve`: start-up, signals and shutdown.
//!
//! Start-up: load and validate the config; set up logging; open the lease
//! store (loading the lease file); open sockets; build the engine; start
//! workers and timers. Then wait for signals on a small tokio runtime:
//! SIGHUP reloads the file (a bad file is logged and the old config kept),
//! SIGTERM/SIGINT stop. Shutdown: set the stop flag, join the workers (they
//! wake within the socket poll interval), join the timers, log statistics.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::memfile::Memfile;
use ruru_lease::LeaseStore;
use tracing::{error, info};

use crate::state::{Running, Shared};
use crate::{sockets, timers, workers, ServerError};

/// Command-line settings of `ruru serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub config: PathBuf,
    /// Server port (Kea's `-p`), default 67.
    pub server_port: u16,
    /// Client port (Kea's `-P`), default 68.
    pub client_port: u16,
    /// Worker threads per socket; 0 = one per CPU.
    pub threads: usize,
}

/// Runs the server until SIGTERM/SIGINT.
pub fn serve(opts: ServeOptions) -> Result<(), ServerError> {
    let config = ruru_config::load(&opts.config)?;
    let dhcp4 = config.dhcp4.clone().ok_or(ServerError::NoDhcp4)?;
    logging_init(&dhcp4.loggers)?;
    info!(version = env!("CARGO_PKG_VERSION"), config = %opts.config.display(), "ruru starting");

    // Signal handlers first: SIGHUP's default action would kill the process
    // if it arrived before they are in place.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let signals = rt.block_on(async { Signals::new() })?;

    // Lease store.
    let db = &dhcp4.lease_database;
    let memfile = Arc::new(if db.persist {
        Memfile::open(Some(&db.name))?
    } else {
        Memfile::open(None)?
    });
    info!(leases = memfile.count4(), file = %db.name.display(), persist = db.persist, "lease database opened");

    // Sockets.
    let ic = &dhcp4.interfaces.clone();
    if ic.interfaces.is_empty() {
        return Err(ServerError::NoSockets(Vec::new()));
    }
    let opened = sockets::open_all(ic, opts.server_port)?;
    if opened.sockets.is_empty() && (opened.pending.is_empty() || ic.max_retries == 0) {
        return Err(ServerError::NoSockets(ic.interfaces.clone()));
    }
    let sockets = opened.sockets;
    let all = ruru_net::iface::list()?;
    let mut server_addrs: Vec<_> = sockets
        .iter()
        .flat_map(|s| ruru_net::iface::addresses_of(s.iface(), &all))
        .collect();
    server_addrs.extend(sockets.iter().map(|s| s.local()));

    // Engine.
    let stats = Arc::new(Stats::new());
    let engine_opts = EngineOptions {
        client_port: opts.client_port,
        server_addrs,
    };
    let engine = Engine4::new(Arc::new(dhcp4), engine_opts.clone(), stats.clone());
    let store: Arc<dyn LeaseStore> = memfile.clone();
    engine.recount(store.as_ref());
    let shared = Arc::new(Shared::new(
        Running {
            config: Arc::new(config),
            engine,
        },
        store,
        stats.clone(),
        engine_opts,
        opts.config.clone(),
    ));

    // Workers and timers.
    let stop = Arc::new(AtomicBool::new(false));
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    let mut handles = workers::spawn(shared.clone(), &sockets, threads, stop.clone())?;
    // Interfaces that could not be opened yet are retried in the background;
    // their workers are detached threads that stop with the stop flag.
    {
        let shared = shared.clone();
        let stop_w = stop.clone();
        if let Some(h) = sockets::spawn_retries(
            ic,
            opts.server_port,
            opened.pending,
            stop.clone(),
            move |s| match workers::spawn(
                shared.clone(),
                std::slice::from_ref(&s),
                threads,
                stop_w.clone(),
            ) {
                Ok(_) => info!(iface = %s.iface(), "socket opened after retry; serving"),
                Err(e) => error!(iface = %s.iface(), error = %e, "starting workers failed"),
            },
        )? {
            handles.push(h);
        }
    }
    handles.push(timers::spawn_reclaim(shared.clone(), stop.clone())?);
    handles.push(timers::spawn_lfc(
        shared.clone(),
        memfile.clone(),
        stop.clone(),
    )?);
    info!(threads, sockets = sockets.len(), "ruru ready");
    rt.block_on(wait_for_signals(&shared, signals))?;

    // Shutdown sequence: stop flag → workers and timers notice within POLL
    // (timers within 100 ms) → join → final statistics.
    info!("ruru shutting down");
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        if h.join().is_err() {
            error!("a worker thread panicked");
        }
    }
    for (name, v) in stats.snapshot() {
        info!(statistic = %name, value = v, "statistic");
    }
    info!("ruru stopped");
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

async fn wait_for_signals(shared: &Shared, mut s: Signals) -> Result<(), ServerError> {
    loop {
        tokio::select! {
            _ = s.hup.recv() => {
                info!("SIGHUP: reloading configuration");
                if let Err(e) = shared.reload() {
                    error!("reload failed, keeping the running configuration: {e}");
                }
            }
            _ = s.term.recv() => return Ok(()),
            _ = s.int.recv() => return Ok(()),
        }
    }
}
