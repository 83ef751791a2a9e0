//! The process: what both families share (the configuration snapshot, hook
//! libraries, control channels, the shutdown signal) and the family
//! services it runs ([`crate::service::FamilyService`], one per configured
//! section), with the reload that changes them all at once.
//!
//! Each family's workers take one engine snapshot per packet and use it to
//! the end (DESIGN.md principle 4). [`Shared::apply`] prepares everything
//! first (sockets of new interfaces in every family, hook libraries) and
//! swaps the families' new engines in only when all of it succeeded; on any
//! error the running configuration stays. Reloads are serialised.
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
use tracing::info;

use crate::ha::{HaFamily, HaSet};
use crate::hooks::{self, HookStats, Hooks};
use crate::lock;
use crate::service::{FamilyService, ServiceFamily};
use crate::v4::V4;
use crate::v6::V6;
use crate::ServerError;

/// Held from reading the running configuration's JSON to applying an
/// edited copy of it (the control commands that edit it: `config-set`,
/// `reservation-*`, `class-*`, `subnet*`/`network*`), and by [`Shared::reload`]
/// while it reads and applies the files: two of them arriving together
/// would otherwise both start from the same snapshot and one would undo
/// the other. (`Shared::apply` serialises applying, not the read before.)
pub(crate) static EDIT_LOCK: Mutex<()> = Mutex::new(());

/// One configuration generation, as the control API sees it (each family's
/// engine is in its service).
#[derive(Debug)]
pub struct Running {
    pub config: Arc<Config>,
    /// The hook libraries of this configuration (each family's engine holds
    /// the same `Arc`); `None` when it loads none.
    pub hooks: Option<Arc<Hooks>>,
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

/// Makes `svc`'s HA service match `cfgs` (its relationships; empty: no
/// HA); `subnets`: each subnet's id and `ha-server-name`.
fn ha_for<'a, F: ServiceFamily>(
    svc: &Arc<FamilyService<F>>,
    cfgs: &[ruru_config::Ha],
    subnets: impl Iterator<Item = (u32, &'a ruru_config::HaServerName)>,
    family: HaFamily,
) -> Result<(), String> {
    let cur = svc.ha.load_full();
    if cur.as_ref().is_some_and(|c| c.runs(cfgs)) {
        return Ok(());
    }
    if let Some(c) = cur {
        c.stop();
        svc.ha.store(None);
    }
    if cfgs.is_empty() {
        return Ok(());
    }
    let weak = Arc::downgrade(svc);
    let recount = || -> Box<dyn Fn() + Send + Sync> {
        let weak = weak.clone();
        Box::new(move || {
            if let Some(s) = weak.upgrade() {
                s.recount();
            }
        })
    };
    let set = HaSet::start(
        cfgs,
        crate::ha::set::sync_subnets(cfgs, subnets),
        family,
        &svc.store,
        &svc.switch,
        &recount,
    )?;
    svc.ha.store(Some(set));
    Ok(())
}

/// State shared by the family services, the control API and the signal
/// handler.
pub struct Shared {
    current: ArcSwap<Running>,
    /// The DHCPv4 service, when the configuration has a `Dhcp4` section.
    pub v4: Option<Arc<FamilyService<V4>>>,
    /// The DHCPv6 service, when the configuration has a `Dhcp6` section.
    pub v6: Option<Arc<FamilyService<V6>>>,
    /// Hook statistics per library and hook point, kept across reloads.
    pub hook_stats: Arc<HookStats>,
    /// The built-in DNS updater (`DhcpDdns`), when configured.
    pub d2: crate::d2::D2Service,
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
    /// Serialises reloads (SIGHUP, config-set, config-reload, reservation
    /// changes) so that two never interleave.
    reload_lock: Mutex<()>,
    /// Set by the `shutdown` command; the main loop waits on it with the signals.
    pub shutdown: tokio::sync::Notify,
    /// When the server started (for `status-get`).
    pub started: Instant,
    /// When the configuration was last applied (for `status-get`).
    pub last_reload: Mutex<Instant>,
    /// Statistic sample history (Kea's `statistic-sample-*`), DHCPv4's
    /// and DHCPv6's, limited by each configuration's
    /// `statistic-default-sample-count` / `-age`.
    pub samples: Arc<[crate::control::samples::Samples; 2]>,
}

/// A family's part of a reload: its new section and the sockets opened
/// for it.
struct Prepared<F: ServiceFamily> {
    svc: Arc<FamilyService<F>>,
    section: F::Section,
    changes: crate::sockets::Changes<F::Socket>,
}

impl<F: ServiceFamily> Prepared<F> {
    /// Opens the sockets `config`'s section of this family adds (nothing
    /// when the family is not served).
    fn of(
        svc: &Option<Arc<FamilyService<F>>>,
        config: &Config,
    ) -> Result<Option<Self>, ServerError> {
        let (Some(svc), Some(section)) = (svc, F::section(config)) else {
            return Ok(None);
        };
        let changes = svc.prepare(section)?;
        Ok(Some(Prepared {
            svc: svc.clone(),
            section: section.clone(),
            changes,
        }))
    }

    fn commit(self, hooks: &Option<Arc<Hooks>>) {
        self.svc.commit(self.section, hooks, self.changes);
    }
}

impl Shared {
    pub fn new(
        running: Running,
        v4: Option<Arc<FamilyService<V4>>>,
        v6: Option<Arc<FamilyService<V6>>>,
        hook_stats: Arc<HookStats>,
        config_paths: Vec<PathBuf>,
        d2: crate::d2::D2Service,
    ) -> Self {
        let allowed =
            crate::control::paths::Allowed::new(ruru_config::Places::from_env(), &running.config);
        let s = Shared {
            allowed,
            current: ArcSwap::from_pointee(running),
            v4,
            v6,
            hook_stats,
            d2,
            config_path: config_paths.first().cloned().unwrap_or_default(),
            config_paths,
            listeners: std::sync::OnceLock::new(),
            reload_lock: Mutex::new(()),
            shutdown: tokio::sync::Notify::new(),
            started: Instant::now(),
            last_reload: Mutex::new(Instant::now()),
            samples: Arc::default(),
        };
        s.configure_samples(&s.snapshot().config);
        s
    }

    /// Applies the sample limits of `config`'s sections.
    fn configure_samples(&self, config: &Config) {
        if let Some(d) = &config.dhcp4 {
            self.samples[0].configure(d.statistic_samples);
        }
        if let Some(d) = &config.dhcp6 {
            self.samples[1].configure(d.statistic_samples);
        }
    }

    /// The configuration (for the control API).
    pub fn snapshot(&self) -> Arc<Running> {
        self.current.load_full()
    }

    /// Re-reads the config files (SIGHUP, `config-reload`) and applies them.
    pub fn reload(self: &Arc<Self>) -> Result<(), ServerError> {
        // Not in the middle of a command's edit of the running JSON, whose
        // apply would undo the files' configuration.
        let _edit = lock(&EDIT_LOCK);
        let config = ruru_config::load_files(&self.config_paths, self.allowed.places())?;
        // A file is the administrator's word: its directories become
        // directories API configurations may use too.
        self.allowed.remember(&config);
        self.apply(config)
    }

    /// Applies a validated configuration: checks what cannot change while
    /// running, opens the sockets of new interfaces in every family, loads
    /// the hook libraries (see the module documentation for the order),
    /// applies the loggers, then swaps in each family's new engine (keeping
    /// allocation cursors of unchanged pools), closes sockets of interfaces
    /// no longer configured and runs `dhcp4_srv_configured` /
    /// `dhcp6_srv_configured`.
    pub fn apply(self: &Arc<Self>, config: Config) -> Result<(), ServerError> {
        let _serial = lock(&self.reload_lock);
        if config.dhcp4.is_none() && config.dhcp6.is_none() && config.dhcp_ddns.is_none() {
            return Err(ServerError::NoService);
        }
        let old = self.snapshot();
        restart_needed(&old.config, &config)?;
        crate::dhcp4o6::check(&config);
        // New UNIX control sockets are claimed before anything changes: a
        // path another process listens on refuses the configuration.
        crate::control::listener::claim_new(self, &crate::control::listener::sockets_of(&config))
            .map_err(ServerError::Reload)?;
        let logging = crate::logging::prepare(&crate::logging::loggers_of(&config))?;
        // Sockets of both families first: dropping a `Prepared` closes what
        // it opened, so a failure here changes nothing.
        let p4 = Prepared::of(&self.v4, &config)?;
        let p6 = Prepared::of(&self.v6, &config)?;
        let (libs, parked_limit) = hooks::libraries_of(&config)?;
        let new_hooks = self.load_hooks(&old, &libs, parked_limit)?;
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            self.d2.apply(&config, &rt)?;
        }
        crate::logging::apply(logging);
        if let Some(p) = p4 {
            p.commit(&new_hooks);
        }
        if let Some(p) = p6 {
            p.commit(&new_hooks);
        }
        if let Err(e) = self.apply_ha(&config) {
            tracing::error!("HA: {e}");
        }
        self.configure_samples(&config);
        let mt = |c: &Config| {
            (
                c.dhcp4.as_ref().map(|d| d.multi_threading),
                c.dhcp6.as_ref().map(|d| d.multi_threading),
            )
        };
        if mt(&old.config) != mt(&config) {
            tracing::warn!("multi-threading changed: the worker count is set at start-up; restart ruru to apply it");
        }
        let config = Arc::new(config);
        self.current.store(Arc::new(Running {
            config: config.clone(),
            hooks: new_hooks.clone(),
        }));
        // Replies parked by the old generation's libraries are dropped
        // (Kea drops them at reconfiguration too); its libraries go when
        // its last packet is done.
        if let Some(h) = &old.hooks {
            h.lot.clear();
        }
        drop(old);
        // Control listeners follow the new configuration (errors are logged;
        // listeners that could not change keep running).
        if let Err(e) = crate::control::apply(self, &crate::control::listener::sockets_of(&config))
        {
            tracing::warn!("control sockets: {e}");
        }
        *lock(&self.last_reload) = Instant::now();
        info!(path = %config.source.display(), "configuration applied");
        if let Some(h) = &new_hooks {
            configured(h, &config);
        }
        Ok(())
    }

    /// Starts, restarts (when its configuration changed) or stops each
    /// family's built-in HA service (`libdhcp_ha.so`).
    pub fn apply_ha(&self, config: &Config) -> Result<(), String> {
        if let Some(v4) = &self.v4 {
            let d = config.dhcp4.as_ref();
            ha_for(
                v4,
                d.map_or(&[][..], |d| &d.ha[..]),
                d.into_iter()
                    .flat_map(|d| &d.subnets)
                    .map(|s| (s.id, &s.ha_server_name)),
                HaFamily::V4,
            )?;
        }
        if let Some(v6) = &self.v6 {
            let d = config.dhcp6.as_ref();
            ha_for(
                v6,
                d.map_or(&[][..], |d| &d.ha[..]),
                d.into_iter()
                    .flat_map(|d| &d.subnets)
                    .map(|s| (s.id, &s.ha_server_name)),
                HaFamily::V6,
            )?;
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
        parked_limit: hooks::park::ParkLimits,
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
                self.restore_hooks(old);
                Err(e.into())
            }
        }
    }

    /// After a failed reload that had unloaded the running libraries:
    /// loads them again and rebuilds each family's running engine with them.
    fn restore_hooks(&self, old: &Arc<Running>) {
        let loaded = hooks::libraries_of(&old.config)
            .and_then(|(libs, limit)| hooks::load_libraries(&libs, &self.hook_stats, limit));
        let hooks = match loaded {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(target: hooks::TARGET, "reloading the running configuration's hook libraries failed, running without them: {e}");
                None
            }
        };
        if let Some(v4) = &self.v4 {
            v4.rehook(&hooks);
        }
        if let Some(v6) = &self.v6 {
            v6.rehook(&hooks);
        }
        self.current.store(Arc::new(Running {
            config: old.config.clone(),
            hooks,
        }));
    }

    /// Stops both families' workers and timers (shutdown).
    pub fn stop_services(&self) {
        if let Some(v4) = &self.v4 {
            if let Some(ha) = v4.ha.swap(None) {
                ha.stop();
            }
            v4.stop();
        }
        if let Some(v6) = &self.v6 {
            if let Some(ha) = v6.ha.swap(None) {
                ha.stop();
            }
            v6.stop();
        }
    }

    /// Unloads the running configuration's libraries (shutdown).
    pub fn unload_hooks(&self) {
        if let Some(h) = &self.snapshot().hooks {
            h.retire();
        }
    }
}

/// Runs `dhcp4_srv_configured` / `dhcp6_srv_configured`, each when its
/// family is configured.
pub fn configured(h: &Hooks, config: &Config) {
    let raw = || config.raw.to_string();
    if config.dhcp4.is_some() {
        h.configured(ruru_engine::HookPoint::Dhcp4SrvConfigured, &raw);
    }
    if config.dhcp6.is_some() {
        h.configured(ruru_engine::HookPoint::Dhcp6SrvConfigured, &raw);
    }
}
