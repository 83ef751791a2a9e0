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
use std::time::Duration;

use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::memfile::Memfile;
use ruru_lease::LeaseStore;
use ruru_net::udp::PacketSocket;
use tracing::{error, info, warn};

use crate::state::{Running, Shared};
use crate::{timers, workers, ServerError};

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

/// How often blocked workers look at the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// Runs the server until SIGTERM/SIGINT.
pub fn serve(opts: ServeOptions) -> Result<(), ServerError> {
    let config = ruru_config::load(&opts.config)?;
    let dhcp4 = config.dhcp4.clone().ok_or(ServerError::NoDhcp4)?;
    logging_init(&dhcp4.loggers)?;
    info!(version = env!("CARGO_PKG_VERSION"), config = %opts.config.display(), "ruru starting");

    // Lease store.
    let db = &dhcp4.lease_database;
    let memfile = Arc::new(if db.persist {
        Memfile::open(Some(&db.name))?
    } else {
        Memfile::open(None)?
    });
    info!(leases = memfile.count4(), file = %db.name.display(), persist = db.persist, "lease database opened");

    // Sockets.
    if dhcp4.interfaces.socket_type == ruru_config::SocketType::Raw {
        warn!("dhcp-socket-type raw is not implemented yet: using UDP sockets (relayed clients are served; directly connected clients without an address may not be)");
    }
    let all = ruru_net::iface::list()?;
    let mut sockets = Vec::new();
    for spec in &dhcp4.interfaces.interfaces {
        match ruru_net::iface::resolve(spec, &all) {
            Ok(addrs) => {
                for a in addrs {
                    let s = PacketSocket::bind(&a.name, a.addr, opts.server_port, POLL)?;
                    info!(iface = %a.name, addr = %a.addr, port = opts.server_port, "listening");
                    sockets.push(s);
                }
            }
            Err(e) => warn!(interface = %spec, error = %e, "interface skipped"),
        }
    }
    if sockets.is_empty() {
        return Err(ServerError::NoSockets(dhcp4.interfaces.interfaces.clone()));
    }

    // Engine.
    let stats = Arc::new(Stats::new());
    let engine_opts = EngineOptions {
        client_port: opts.client_port,
        server_addrs: sockets.iter().map(|s| s.local).collect(),
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
    handles.push(timers::spawn_reclaim(shared.clone(), stop.clone())?);
    handles.push(timers::spawn_lfc(
        shared.clone(),
        memfile.clone(),
        stop.clone(),
    )?);
    info!(threads, sockets = sockets.len(), "ruru ready");

    // Signals.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(wait_for_signals(&shared))?;

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

async fn wait_for_signals(shared: &Shared) -> Result<(), ServerError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hup = signal(SignalKind::hangup())?;
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    loop {
        tokio::select! {
            _ = hup.recv() => {
                info!("SIGHUP: reloading configuration");
                if let Err(e) = shared.reload() {
                    error!("reload failed, keeping the running configuration: {e}");
                }
            }
            _ = term.recv() => return Ok(()),
            _ = int.recv() => return Ok(()),
        }
    }
}
