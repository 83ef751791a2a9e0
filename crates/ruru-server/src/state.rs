//! The running configuration and its atomic replacement.
//!
//! Workers call [`Shared::snapshot`] once per packet and use that snapshot to
//! the end (DESIGN.md principle 4). [`Shared::apply`] builds and validates a
//! complete new engine first and swaps it in only when everything succeeded;
//! on any error the running configuration stays. Reloads are serialised.
//!
//! # Hook libraries across a reload
//! Each configuration has its own generation of libraries ([`Hooks`]),
//! loaded before the swap; a library that cannot be loaded rejects the
//! configuration. When the new configuration loads none of the files the
//! running one has loaded, the new libraries are loaded first and the old
//! ones are unloaded when the last packet that took a snapshot of the old
//! configuration is done (the `Arc` held by [`Running`] and by the old
//! engine drops; `Hooks`' `Drop` calls `ruru_hook_unload`). In-flight
//! packets thus finish with the libraries they started with.
//!
//! When a file is loaded by both (typically the same library with new
//! `parameters`), the dynamic loader would hand out the same instance (one
//! set of globals) to both generations, and the old generation's later
//! `ruru_hook_unload` would tear down the new one. So the order is then:
//! open and check every new library (ABI version, symbols: nothing runs),
//! unload the old generation right away (waiting for callouts still
//! running; packets of the old configuration that reach a hook point after
//! that are dropped and counted in `pkt4-receive-drop`), close it (so a
//! rebuilt file at the same path is really reloaded), then load the new
//! generation. If that load fails, the old libraries are loaded again with
//! their old parameters and the old configuration keeps running with them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use arc_swap::ArcSwap;
use ruru_config::Config;
use ruru_engine::{Engine4, EngineOptions, Stats};
use ruru_lease::LeaseStore;
use tracing::info;

use crate::hooks::{self, HookStats, Hooks};
use crate::lock;
use crate::sockets::SocketSet;
use crate::ServerError;

/// One configuration generation.
#[derive(Debug)]
pub struct Running {
    pub config: Arc<Config>,
    pub engine: Engine4,
    /// The hook libraries of this configuration (the engine's options hold
    /// the same `Arc`); `None` when it loads none.
    pub hooks: Option<Arc<Hooks>>,
}

/// Engine options with `hooks` as the dispatcher.
pub fn with_hooks(opts: &EngineOptions, hooks: &Option<Arc<Hooks>>) -> EngineOptions {
    let mut o = opts.clone();
    o.hooks = hooks
        .clone()
        .map(|h| h as Arc<dyn ruru_engine::HookDispatch>);
    o
}

/// What a reload may not change, the same rules for both families: a
/// change that needs a restart refuses the whole configuration (it is
/// never accepted and ignored).
fn restart_needed(old: &Config, new: &Config) -> Result<(), ServerError> {
    let refuse = |what: String| Err(ServerError::Reload(format!("{what}: that needs a restart")));
    let sections = [
        (
            "Dhcp4",
            old.dhcp4
                .as_ref()
                .map(|d| (&d.lease_database, &d.hosts_databases)),
            new.dhcp4
                .as_ref()
                .map(|d| (&d.lease_database, &d.hosts_databases)),
        ),
        (
            "Dhcp6",
            old.dhcp6
                .as_ref()
                .map(|d| (&d.lease_database, &d.hosts_databases)),
            new.dhcp6
                .as_ref()
                .map(|d| (&d.lease_database, &d.hosts_databases)),
        ),
    ];
    for (name, before, after) in sections {
        match (before, after) {
            (None, Some(_)) => return refuse(format!("the {name} section was added")),
            (Some(_), None) => return refuse(format!("the {name} section was removed")),
            (Some((l0, h0)), Some((l1, h1))) => {
                if (&l0.kind, &l0.name, l0.persist) != (&l1.kind, &l1.name, l1.persist) {
                    return refuse(format!("{name} lease-database changed"));
                }
                if h0 != h1 {
                    return refuse(format!("{name} hosts-database(s) changed"));
                }
            }
            (None, None) => {}
        }
    }
    Ok(())
}

/// State shared by workers, timers, the control API and the signal handler.
pub struct Shared {
    current: ArcSwap<Running>,
    pub store: Arc<dyn LeaseStore>,
    pub stats: Arc<Stats>,
    /// Hook statistics per library and hook point, kept across reloads.
    pub hook_stats: Arc<HookStats>,
    /// Options of every engine built (without `hooks`: each configuration
    /// sets its own).
    pub engine_opts: EngineOptions,
    /// The first configuration file (includes of configurations from the
    /// API resolve in its directory).
    pub config_path: PathBuf,
    /// Every configuration file (`-c`), read again by SIGHUP and
    /// `config-reload`.
    pub config_paths: Vec<PathBuf>,
    /// The directories a configuration received through the control API
    /// may write in (ruru's own and those of configurations read from
    /// disk).
    pub allowed: crate::control::paths::Allowed,
    /// The control listeners (UNIX and HTTP), once started.
    pub listeners: std::sync::OnceLock<crate::control::listener::Listeners>,
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
    /// The DHCPv6 service, when the configuration has a `Dhcp6` section.
    pub v6: Mutex<Option<Arc<crate::v6::Service6>>>,
    /// DHCPv4's `dhcp-disable` / `dhcp-enable` (DHCPv6 has its own, in
    /// [`crate::v6::Service6`]).
    pub switch4: crate::switch::Switch,
    /// Held while a DHCPv4 lease or hosts database is lost under `on-fail`
    /// `stop-retry-exit` (Kea stops the service while it reconnects; see
    /// [`crate::db::watch`]). Apart from `dhcp-disable`: `dhcp-enable` does
    /// not clear it.
    pub db_paused: Arc<crate::db::Pause>,
}

impl Shared {
    pub fn new(
        running: Running,
        store: Arc<dyn LeaseStore>,
        stats: Arc<Stats>,
        hook_stats: Arc<HookStats>,
        engine_opts: EngineOptions,
        config_paths: Vec<PathBuf>,
        sockets: SocketSet,
    ) -> Self {
        let allowed =
            crate::control::paths::Allowed::new(ruru_config::Places::from_env(), &running.config);
        Shared {
            allowed,
            current: ArcSwap::from_pointee(running),
            store,
            stats,
            hook_stats,
            engine_opts,
            config_path: config_paths.first().cloned().unwrap_or_default(),
            config_paths,
            listeners: std::sync::OnceLock::new(),
            sockets: Mutex::new(sockets),
            reload_lock: Mutex::new(()),
            shutdown: tokio::sync::Notify::new(),
            started: Instant::now(),
            last_reload: Mutex::new(Instant::now()),
            v6: Mutex::new(None),
            switch4: crate::switch::Switch::default(),
            db_paused: Arc::default(),
        }
    }

    /// Whether DHCPv4 service is disabled (`dhcp-disable`, or a lease or
    /// hosts database lost under `stop-retry-exit`) at `now`.
    pub fn disabled(&self, now: u64) -> bool {
        self.switch4.is_disabled(now) || self.db_paused.is_paused()
    }

    /// The configuration for one packet or one timer run.
    pub fn snapshot(&self) -> Arc<Running> {
        self.current.load_full()
    }

    /// Re-reads the config files (SIGHUP, `config-reload`) and applies them.
    pub fn reload(self: &Arc<Self>) -> Result<(), ServerError> {
        let config = ruru_config::load_files(&self.config_paths, self.allowed.places())?;
        // A file is the administrator's word: its directories become
        // directories API configurations may use too.
        self.allowed.remember(&config);
        self.apply(config)
    }

    /// Applies a validated configuration: checks what cannot change while
    /// running, opens sockets for new interfaces, loads the hook libraries
    /// (see the module documentation for the order), builds the new engine
    /// (keeping allocation cursors of unchanged pools), swaps it in, then
    /// closes sockets of interfaces no longer configured and runs
    /// `dhcp4_srv_configured`.
    pub fn apply(self: &Arc<Self>, config: Config) -> Result<(), ServerError> {
        let _serial = lock(&self.reload_lock);
        let new4 = config.dhcp4.clone().unwrap_or_else(crate::state::no_dhcp4);
        if config.dhcp4.is_none() && config.dhcp6.is_none() {
            return Err(ServerError::NoDhcp4);
        }
        let old = self.snapshot();
        restart_needed(&old.config, &config)?;
        // New UNIX control sockets are claimed before anything changes: a
        // path another process listens on refuses the configuration.
        crate::control::listener::claim_new(self, &crate::control::listener::sockets_of(&config))
            .map_err(ServerError::Reload)?;
        let mut sockets = lock(&self.sockets);
        let changes = sockets.open_changes(&new4.interfaces)?;
        let failed = changes.failed.clone();
        let (libs, parked_limit) = hooks::libraries_of(&config)?;
        let new_hooks = self.load_hooks(&old, &libs, parked_limit, &sockets)?;
        let mut opts = with_hooks(&self.engine_opts, &new_hooks);
        opts.server_addrs = sockets.addrs_with(&changes);
        let interfaces = new4.interfaces.clone();
        let engine =
            Engine4::with_previous(Arc::new(new4), opts, self.stats.clone(), Some(&old.engine));
        engine.recount(self.store.as_ref());
        let config = Arc::new(config);
        self.current.store(Arc::new(Running {
            config: config.clone(),
            engine,
            hooks: new_hooks.clone(),
        }));
        // Replies parked by the old generation's libraries are dropped
        // (Kea drops them at reconfiguration too); its libraries go when
        // its last packet is done.
        if let Some(h) = &old.hooks {
            h.lot.clear();
        }
        drop(old);
        sockets.commit(self, changes);
        sockets.spawn_retries(self, &interfaces, failed);
        drop(sockets);
        // Control listeners follow the new configuration (errors are logged;
        // listeners that could not change keep running).
        if let Err(e) = crate::control::apply(self, &crate::control::listener::sockets_of(&config))
        {
            tracing::warn!("control sockets: {e}");
        }
        // Sections are neither added nor removed here (restart_needed).
        if let (Some(d6), Some(svc)) = (&config.dhcp6, lock(&self.v6).as_ref()) {
            svc.apply(d6, &new_hooks);
        }
        *lock(&self.last_reload) = Instant::now();
        info!(path = %config.source.display(), "configuration applied");
        if let Some(h) = &new_hooks {
            let raw = || config.raw.to_string();
            // Each family's point, when that family is configured.
            if config.dhcp4.is_some() {
                h.configured(ruru_engine::HookPoint::Dhcp4SrvConfigured, &raw);
            }
            if config.dhcp6.is_some() {
                h.configured(ruru_engine::HookPoint::Dhcp6SrvConfigured, &raw);
            }
        }
        Ok(())
    }

    /// Loads the libraries of a new configuration (see the module
    /// documentation); on an error the running configuration keeps working
    /// libraries.
    fn load_hooks(
        &self,
        old: &Arc<Running>,
        libs: &[ruru_config::HookLibrary],
        parked_limit: u32,
        sockets: &SocketSet,
    ) -> Result<Option<Arc<Hooks>>, ServerError> {
        hooks::check_libraries(libs)?;
        let shared_file = old
            .hooks
            .as_ref()
            .filter(|h| libs.iter().any(|l| !l.builtin && h.holds(&l.path)));
        let Some(old_hooks) = shared_file else {
            return Ok(hooks::load_libraries(libs, &self.hook_stats, parked_limit)?);
        };
        old_hooks.retire();
        match hooks::load_libraries(libs, &self.hook_stats, parked_limit) {
            Ok(h) => Ok(h),
            Err(e) => {
                self.restore_hooks(old, sockets);
                Err(e.into())
            }
        }
    }

    /// After a failed reload that had unloaded the running libraries:
    /// loads them again and swaps in the running configuration with them.
    fn restore_hooks(&self, old: &Arc<Running>, sockets: &SocketSet) {
        let loaded = hooks::libraries_of(&old.config)
            .and_then(|(libs, limit)| hooks::load_libraries(&libs, &self.hook_stats, limit));
        let hooks = match loaded {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(target: hooks::TARGET, "reloading the running configuration's hook libraries failed, running without them: {e}");
                None
            }
        };
        let mut opts = with_hooks(&self.engine_opts, &hooks);
        opts.server_addrs = sockets.addrs_with(&crate::sockets::Changes {
            opened: Vec::new(),
            failed: Vec::new(),
            errors: Vec::new(),
            removed: Vec::new(),
        });
        let engine = Engine4::with_previous(
            old.engine.cfg.clone(),
            opts,
            self.stats.clone(),
            Some(&old.engine),
        );
        if let (Some(d6), Some(svc)) = (&old.config.dhcp6, lock(&self.v6).as_ref()) {
            svc.apply(d6, &hooks);
        }
        self.current.store(Arc::new(Running {
            config: old.config.clone(),
            engine,
            hooks,
        }));
    }

    /// Unloads the running configuration's libraries (shutdown).
    pub fn unload_hooks(&self) {
        if let Some(h) = &self.snapshot().hooks {
            h.retire();
        }
    }
}

/// The DHCPv4 part of a configuration without a `Dhcp4` section: no
/// interfaces, no subnets (only DHCPv6 is served).
pub fn no_dhcp4() -> ruru_config::Dhcp4 {
    ruru_config::Dhcp4 {
        interfaces: ruru_config::InterfacesConfig {
            interfaces: Vec::new(),
            socket_type: ruru_config::SocketType::Udp,
            require_all: false,
            max_retries: 0,
            retry_wait_ms: 5000,
        },
        lease_database: ruru_config::LeaseDatabase {
            kind: ruru_config::LeaseDbKind::Memfile,
            name: std::path::PathBuf::new(),
            persist: false,
            lfc_interval: 0,
        },
        hosts_databases: Vec::new(),
        subnets: Vec::new(),
        options: Vec::new(),
        decline_probation_period: 86_400,
        expired_leases: ruru_config::ExpiredLeasesProcessing::default(),
        loggers: Vec::new(),
        echo_client_id: true,
        host_reservation_identifiers: Vec::new(),
        multi_threading: ruru_config::MultiThreading::default(),
        control_sockets: Vec::new(),
        hooks_libraries: Vec::new(),
        parked_packet_limit: 256,
    }
}
