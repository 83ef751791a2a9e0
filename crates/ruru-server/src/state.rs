//! The running configuration and its atomic replacement.
//!
//! Workers call [`Shared::snapshot`] once per packet and use that snapshot to
//! the end (DESIGN.md principle 4). [`Shared::apply`] builds and validates a
//! complete new engine first and swaps it in only when everything succeeded;
//! on any error the running configuration stays. Reloads are serialised.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use ruru_config::Config;
use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::LeaseStore;
use tracing::info;

use crate::sockets::{lock, SocketSet};
use crate::ServerError;

/// One configuration generation.
#[derive(Debug)]
pub struct Running {
    pub config: Arc<Config>,
    pub engine: Engine4,
}

/// State shared by workers, timers, the control API and the signal handler.
pub struct Shared {
    current: ArcSwap<Running>,
    pub store: Arc<dyn LeaseStore>,
    pub stats: Arc<Stats>,
    pub engine_opts: EngineOptions,
    pub config_path: PathBuf,
    /// The DHCP sockets and their workers.
    pub sockets: Mutex<SocketSet>,
    /// Serialises reloads (SIGHUP, config-set, config-reload, reservation
    /// changes) so that two never interleave.
    reload_lock: Mutex<()>,
    /// Set by the `shutdown` command; the main loop waits on it with the signals.
    pub shutdown: tokio::sync::Notify,
    /// When the server started (for `status-get`).
    pub started: Instant,
    /// When the configuration was last applied (for `status-get`).
    pub last_reload: Mutex<Instant>,
    /// `dhcp-disable`: 0 = serving; otherwise packets are dropped until this
    /// Unix time (`u64::MAX`: until `dhcp-enable`).
    pub disabled_until: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn new(
        running: Running,
        store: Arc<dyn LeaseStore>,
        stats: Arc<Stats>,
        engine_opts: EngineOptions,
        config_path: PathBuf,
        sockets: SocketSet,
    ) -> Self {
        Shared {
            current: ArcSwap::from_pointee(running),
            store,
            stats,
            engine_opts,
            config_path,
            sockets: Mutex::new(sockets),
            reload_lock: Mutex::new(()),
            shutdown: tokio::sync::Notify::new(),
            started: Instant::now(),
            last_reload: Mutex::new(Instant::now()),
            disabled_until: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether DHCP service is disabled (`dhcp-disable`) at `now`.
    pub fn disabled(&self, now: u64) -> bool {
        let until = self
            .disabled_until
            .load(std::sync::atomic::Ordering::Relaxed);
        until != 0 && now < until
    }

    /// The configuration for one packet or one timer run.
    pub fn snapshot(&self) -> Arc<Running> {
        self.current.load_full()
    }

    /// Re-reads the config file (SIGHUP, `config-reload`) and applies it.
    pub fn reload(self: &Arc<Self>) -> Result<(), ServerError> {
        let config = ruru_config::load(&self.config_path)?;
        self.apply(config)
    }

    /// Applies a validated configuration: checks what cannot change while
    /// running, opens sockets for new interfaces, builds the new engine
    /// (keeping allocation cursors of unchanged pools), swaps it in, then
    /// closes sockets of interfaces no longer configured.
    pub fn apply(self: &Arc<Self>, config: Config) -> Result<(), ServerError> {
        let _serial = lock(&self.reload_lock);
        let new4 = config.dhcp4.clone().ok_or(ServerError::NoDhcp4)?;
        let old = self.snapshot();
        if let Some(old4) = &old.config.dhcp4 {
            if old4.lease_database.name != new4.lease_database.name
                || old4.lease_database.persist != new4.lease_database.persist
            {
                return Err(ServerError::Reload(
                    "lease-database changed: changing the lease database needs a restart".into(),
                ));
            }
        }
        let mut sockets = lock(&self.sockets);
        let changes = sockets.open_changes(&new4.interfaces)?;
        let failed = changes.failed.clone();
        let mut opts = self.engine_opts.clone();
        opts.server_addrs = sockets.addrs_with(&changes);
        let interfaces = new4.interfaces.clone();
        let engine =
            Engine4::with_previous(Arc::new(new4), opts, self.stats.clone(), Some(&old.engine));
        engine.recount(self.store.as_ref());
        self.current.store(Arc::new(Running {
            config: Arc::new(config),
            engine,
        }));
        sockets.commit(self, changes);
        sockets.spawn_retries(self, &interfaces, failed);
        drop(sockets);
        // Control listeners follow the new configuration (errors are logged;
        // listeners that could not change keep running).
        if let Some(d) = &self.snapshot().config.dhcp4 {
            if let Err(e) = crate::control::apply(&d.control_sockets) {
                tracing::warn!("control sockets: {e}");
            }
        }
        *lock(&self.last_reload) = Instant::now();
        info!(path = %self.config_path.display(), "configuration applied");
        Ok(())
    }
}
