//! The running configuration and its atomic replacement.
//!
//! Workers call [`Shared::snapshot`] once per packet and use that snapshot to
//! the end (DESIGN.md principle 4). [`Shared::reload`] builds and validates a
//! complete new engine first and swaps it in only when everything succeeded;
//! on any error the running configuration stays.

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use ruru_config::Config;
use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::LeaseStore;
use tracing::{info, warn};

use crate::ServerError;

/// One configuration generation.
#[derive(Debug)]
pub struct Running {
    pub config: Arc<Config>,
    pub engine: Engine4,
}

/// State shared by workers, timers and the signal handler.
pub struct Shared {
    current: ArcSwap<Running>,
    pub store: Arc<dyn LeaseStore>,
    pub stats: Arc<Stats>,
    pub engine_opts: EngineOptions,
    pub config_path: PathBuf,
}

impl Shared {
    pub fn new(
        running: Running,
        store: Arc<dyn LeaseStore>,
        stats: Arc<Stats>,
        engine_opts: EngineOptions,
        config_path: PathBuf,
    ) -> Self {
        Shared {
            current: ArcSwap::from_pointee(running),
            store,
            stats,
            engine_opts,
            config_path,
        }
    }

    /// The configuration for one packet or one timer run.
    pub fn snapshot(&self) -> Arc<Running> {
        self.current.load_full()
    }

    /// Re-reads the config file and swaps it in. Parts that need a restart
    /// (lease database, interfaces) are refused with an error for now.
    pub fn reload(&self) -> Result<(), ServerError> {
        let config = ruru_config::load(&self.config_path)?;
        let new4 = config.dhcp4.clone().ok_or(ServerError::NoDhcp4)?;
        let old = self.snapshot();
        if let Some(old4) = &old.config.dhcp4 {
            if old4.lease_database.name != new4.lease_database.name
                || old4.lease_database.persist != new4.lease_database.persist
            {
                return Err(ServerError::Reload(
                    "lease-database changed: changing the lease database needs a restart (not supported yet by reload)".into(),
                ));
            }
            if old4.interfaces.interfaces != new4.interfaces.interfaces {
                warn!("interfaces-config changed: sockets are kept until restart (not supported yet by reload)");
            }
        }
        let engine = Engine4::new(Arc::new(new4), self.engine_opts.clone(), self.stats.clone());
        engine.recount(self.store.as_ref());
        self.current.store(Arc::new(Running {
            config: Arc::new(config),
            engine,
        }));
        info!(path = %self.config_path.display(), "configuration reloaded");
        Ok(())
    }
}
