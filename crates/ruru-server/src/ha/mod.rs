//! Kea's High Availability (`libdhcp_ha.so`), built in and speaking Kea
//! 2.2's protocol, so that a ruru server and a Kea server can be the two
//! partners of one HA pair.
//!
//! One [`Ha`] runs per relationship of a family whose section lists
//! `libdhcp_ha.so` (one in Kea 2.2's form; several in Kea 2.6's
//! hub-and-spoke, held together by [`HaSet`], module `set`):
//! - **Scopes** ([`Ha::admit`]): before the engine sees a query, it is
//!   dropped unless it falls in a scope this server serves: in
//!   hot-standby and passive-backup every query is the primary's; in
//!   load-balancing RFC 3074's hash of the client's identifier picks the
//!   primary's or the secondary's scope (`query`). While communication
//!   with the partner is interrupted, dropped queries are counted for
//!   failure detection (clients whose `secs` exceeds `max-ack-delay`).
//! - **Lease updates** ([`Ha::replicate`]): the packet's lease changes
//!   (recorded by `recorder`) go to the partner, and to backup servers,
//!   as `lease4-update`/`lease4-del` or one `lease6-bulk-apply` (`leases`),
//!   before the reply leaves; a failed update to the partner drops the
//!   reply, as Kea does.
//! - **The state machine** (`state`): a thread sends `ha-heartbeat`
//!   every `heartbeat-delay`, runs Kea's transitions, synchronises the
//!   leases from the partner (`dhcp-disable`, `lease4-get-page` /
//!   `lease6-get-page` pages, `ha-sync-complete-notify`) and switches the
//!   local service on and off by state (the HA origin of the family's
//!   `dhcp-disable` switch).
//! - **Commands** (`commands`): `ha-heartbeat`, `ha-sync-complete-notify`,
//!   `ha-scopes`, `ha-continue`, `ha-reset`, `ha-sync`,
//!   `ha-maintenance-*`, and the `high-availability` part of `status-get`.
//!
//! The partner reaches this server at its `url` (the control listener for
//! it is derived from the configuration, see
//! [`crate::control::listener::sockets_of`]).

pub mod commands;
pub mod leases;
pub mod peer;
pub mod query;
pub mod recorder;
pub mod set;
pub mod state;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ruru_config::{HaMode, HaPause, HaRole};
use ruru_lease::LeaseStore;
use serde_json::{json, Value};
use tracing::{debug, info, warn};

use peer::{CallError, Peer};
use recorder::Change;
pub use recorder::Recorder;
pub use set::HaSet;
use state::{Decision, Env, Scopes, State};

use crate::lock;
use crate::switch::{Origin, Switch};

/// The family an [`Ha`] runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaFamily {
    V4,
    V6,
}

impl HaFamily {
    /// Kea's service name.
    pub fn service(self) -> &'static str {
        match self {
            HaFamily::V4 => "dhcp4",
            HaFamily::V6 => "dhcp6",
        }
    }
}

/// What the state machine keeps between runs.
struct St {
    state: State,
    /// The state before the last transition (for maintenance cancels).
    previous: State,
    /// The partner's last reported state; `Unavailable` after a failed
    /// contact; `None` before any.
    partner: Option<State>,
    partner_scopes: Vec<String>,
    /// The partner's `unsent-update-count`, the last two reports.
    partner_unsent: (u64, u64),
    /// The last successful contact with the partner (starts at start-up).
    poke: Instant,
    /// Partner's clock minus ours, seconds, at the last heartbeat.
    skew: i64,
    /// Clients seen while communication was interrupted: key → unacked.
    clients: HashMap<Vec<u8>, bool>,
    analyzed: u64,
    /// Scope names served.
    scopes: Vec<String>,
    paused: bool,
    /// States whose `once` pause was used.
    paused_once: Vec<State>,
    /// partner-down entered through `ha-maintenance-start`.
    by_maintenance: bool,
    /// `ha-sync-complete-notify` received since the last heartbeat.
    sync_notified: bool,
    /// The time of the next heartbeat.
    next_heartbeat: Instant,
}

/// One family's HA service.
pub struct Ha {
    pub cfg: Arc<ruru_config::Ha>,
    /// The relationship's index in the `high-availability` list (its
    /// origins in the service switch, Kea's `origin-id` it sends).
    pub id: u8,
    pub family: HaFamily,
    /// Subnets whose leases a synchronisation takes from the partner
    /// (those tied to this relationship by `ha-server-name`); empty: all.
    sync_subnets: Vec<u32>,
    store: Arc<dyn LeaseStore>,
    switch: Arc<Switch>,
    /// Recounts the family's lease statistics (after a synchronisation,
    /// and after lease updates received from the partner).
    recount: Box<dyn Fn() + Send + Sync>,
    /// Set when leases changed without a recount yet.
    pub stats_dirty: AtomicBool,
    partner: Option<Peer>,
    backups: Vec<Peer>,
    /// Scope names by index: 0 the primary's, 1 the secondary's.
    scope_names: [Option<String>; 2],
    /// Their classes (`HA_<name>`).
    scope_classes: [Option<String>; 2],
    /// Fast path: bit `i` set when scope `i` is served.
    served: AtomicU8,
    /// Fast path: communication with the partner is interrupted.
    interrupted: AtomicBool,
    /// Fast path: lease updates go to the partner.
    updates: AtomicBool,
    /// Lease updates not sent to the partner (`unsent-update-count`).
    unsent: AtomicU64,
    /// Fast path: lease updates to the partner are queued
    /// (communication-recovery).
    queue: AtomicBool,
    /// The queued updates, and whether the queue overflowed.
    backlog: Mutex<(Vec<Change>, bool)>,
    st: Mutex<St>,
    wake: Condvar,
    stop: AtomicBool,
}

fn unix_now() -> u64 {
    crate::now()
}

/// An HTTP date (RFC 1123, GMT), as Kea writes `date-time`.
pub fn http_date(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86400;
    let rem = secs % 86400;
    let (y, m, d) = civil(days as i64);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's
/// algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Seconds since the epoch of an HTTP date (RFC 1123).
pub fn parse_http_date(s: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut it = s.split_whitespace();
    let _day = it.next()?;
    let d: i64 = it.next()?.parse().ok()?;
    let month = it.next()?;
    let m = MONTHS.iter().position(|x| *x == month)? as i64 + 1;
    let y: i64 = it.next()?.parse().ok()?;
    let mut t = it.next()?.split(':');
    let (hh, mm, ss): (i64, i64, i64) = (
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
        t.next()?.parse().ok()?,
    );
    // Days from civil (inverse of `civil`).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86400 + hh * 3600 + mm * 60 + ss).ok()
}

impl Ha {
    /// Starts relationship `id` of `family` with `cfg` on the family's
    /// store and switch; `sync_subnets`: the subnets whose leases a
    /// synchronisation takes (empty: all).
    pub fn start(
        cfg: Arc<ruru_config::Ha>,
        id: u8,
        sync_subnets: Vec<u32>,
        family: HaFamily,
        store: Arc<dyn LeaseStore>,
        switch: Arc<Switch>,
        recount: Box<dyn Fn() + Send + Sync>,
    ) -> Result<Arc<Ha>, String> {
        let partner = cfg.partner().map(|p| Peer::new(&cfg, p)).transpose()?;
        let backups = if cfg.this_role() == HaRole::Backup {
            Vec::new()
        } else {
            cfg.backups()
                .map(|p| Peer::new(&cfg, p))
                .collect::<Result<_, _>>()?
        };
        let name_of = |r: HaRole| {
            cfg.peers
                .iter()
                .find(|p| p.role == r)
                .map(|p| p.name.clone())
        };
        let scope_names = [name_of(HaRole::Primary), name_of(HaRole::Secondary)];
        let now = Instant::now();
        let ha = Arc::new(Ha {
            id,
            sync_subnets,
            family,
            store,
            switch,
            recount,
            stats_dirty: AtomicBool::new(false),
            partner,
            backups,
            scope_classes: scope_names.clone().map(|n| n.map(|n| format!("HA_{n}"))),
            scope_names,
            served: AtomicU8::new(0),
            interrupted: AtomicBool::new(false),
            updates: AtomicBool::new(false),
            unsent: AtomicU64::new(0),
            queue: AtomicBool::new(false),
            backlog: Mutex::new((Vec::new(), false)),
            st: Mutex::new(St {
                state: State::Waiting,
                previous: State::Waiting,
                partner: None,
                partner_scopes: Vec::new(),
                partner_unsent: (0, 0),
                poke: now,
                skew: 0,
                clients: HashMap::new(),
                analyzed: 0,
                scopes: Vec::new(),
                paused: false,
                paused_once: Vec::new(),
                by_maintenance: false,
                sync_notified: false,
                next_heartbeat: now,
            }),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            cfg,
        });
        {
            let mut st = lock(&ha.st);
            ha.enter(&mut st, State::Waiting);
        }
        // The thread holds the service until it sees `stop`.
        let h2 = ha.clone();
        std::thread::Builder::new()
            .name(format!("ruru-ha-{}", family.service()))
            .spawn(move || h2.run())
            .map_err(|e| format!("cannot start the HA thread: {e}"))?;
        info!(
            service = family.service(),
            server = %ha.cfg.this_server_name,
            mode = ha.cfg.mode.as_str(),
            role = ha.cfg.this_role().as_str(),
            "HA started in state waiting"
        );
        Ok(ha)
    }

    /// Stops the state machine thread (reload, shutdown).
    /// The thread ends after what it is doing (a request to the partner
    /// may take up to its timeout); it changes nothing after this.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
        // What HA disabled is HA's to enable again.
        self.switch.enable_by(self.local());
        self.switch.enable_by(self.remote());
    }

    /// This relationship's state machine's origin in the service switch.
    pub fn local(&self) -> Origin {
        Origin::HaLocal(self.id)
    }

    /// The origin a partner disables this server with (Kea 2.2's
    /// `"ha-partner"` is the first relationship's).
    pub fn remote(&self) -> Origin {
        Origin::HaRemote(self.id)
    }

    /// Kea 2.6's `origin-id` this server sends its partner with
    /// `dhcp-disable` / `dhcp-enable` / `ha-sync-complete-notify`.
    fn origin_id(&self) -> u64 {
        self.remote().id()
    }

    /// Kea 2.6's arguments of a command to the partner: `server-name`
    /// (this server's name in the relationship) added to `args`.
    fn named(&self, mut args: Value) -> Value {
        if let Some(m) = args.as_object_mut() {
            m.insert(
                "server-name".into(),
                Value::String(self.cfg.this_server_name.clone()),
            );
        }
        args
    }

    /// The current state.
    pub fn state(&self) -> State {
        lock(&self.st).state
    }

    // ---- the packet path ----

    /// Whether a received query is one this server answers now: `None`
    /// to drop it; otherwise the scope's class (`HA_<server name>`) the
    /// query belongs to, as Kea classifies it.
    pub fn admit(&self, bytes: &[u8]) -> Option<Option<&str>> {
        let q = match self.family {
            HaFamily::V4 => query::query4(bytes),
            HaFamily::V6 => query::query6(bytes),
        };
        // Not a query HA understands: the engine decides (and drops what
        // it cannot parse).
        let Some(q) = q else {
            return Some(None);
        };
        let class = |i: u8| self.scope_classes[usize::from(i)].as_deref();
        if !q.ha_type {
            return Some(class(0));
        }
        let idx = match self.cfg.mode {
            HaMode::LoadBalancing => {
                if q.key.is_empty() {
                    return None;
                }
                query::loadb_hash(&q.key) % 2
            }
            _ => 0,
        };
        let served = self.served.load(Ordering::Relaxed) & (1 << idx) != 0;
        if !served && self.interrupted.load(Ordering::Relaxed) {
            let unacked = q.secs * 1000 > self.cfg.max_ack_delay_ms;
            let mut st = lock(&self.st);
            st.analyzed += 1;
            let e = st.clients.entry(q.key).or_insert(unacked);
            *e |= unacked;
        }
        served.then(|| class(idx))
    }

    /// Sends a packet's lease changes to the partner and the backups;
    /// `false` when the reply must be dropped (the partner did not take
    /// them, or a backup did not with `wait-backup-ack`).
    pub fn replicate(&self, changes: &[Change]) -> bool {
        if changes.is_empty() || !self.cfg.send_lease_updates {
            return true;
        }
        let commands = match self.family {
            HaFamily::V4 => leases::commands4(changes),
            HaFamily::V6 => leases::commands6(changes),
        };
        if commands.is_empty() {
            return true;
        }
        let svc = self.family.service();
        let mut ok = true;
        for b in &self.backups {
            for (c, args) in &commands {
                if let Err(e) = b.call(svc, c, Some(args.clone())) {
                    warn!(peer = %b.name, command = c, error = %e, "lease update to the backup server failed");
                    if self.cfg.wait_backup_ack {
                        ok = false;
                    }
                    break;
                }
            }
        }
        let Some(p) = &self.partner else {
            return ok;
        };
        if self.queue.load(Ordering::Relaxed) {
            let mut b = lock(&self.backlog);
            for c in changes {
                if b.0.len() >= self.cfg.delayed_updates_limit as usize {
                    b.1 = true;
                    break;
                }
                b.0.push(c.clone());
            }
            return ok;
        }
        if !self.updates.load(Ordering::Relaxed) {
            self.unsent.fetch_add(1, Ordering::Relaxed);
            return ok;
        }
        for (c, args) in &commands {
            if let Err(e) = p.call(svc, c, Some(args.clone())) {
                warn!(peer = %p.name, command = c, error = %e, "lease update to the HA partner failed");
                if matches!(e, CallError::Transport(_)) || self.partner_rejects(&e) {
                    let mut st = lock(&self.st);
                    st.partner = Some(State::Unavailable);
                    drop(st);
                    self.wake.notify_all();
                }
                return false;
            }
        }
        ok
    }

    fn partner_rejects(&self, e: &CallError) -> bool {
        matches!(e, CallError::Result(r, _) if *r != 2)
    }

    // ---- the state machine ----

    /// The thread: heartbeats, transitions, synchronisation.
    fn run(self: Arc<Self>) {
        let delay = Duration::from_millis(self.cfg.heartbeat_delay_ms);
        while !self.stop.load(Ordering::Relaxed) {
            let due = {
                let st = lock(&self.st);
                st.state.heartbeats()
                    && self.partner.is_some()
                    && !delay.is_zero()
                    && Instant::now() >= st.next_heartbeat
            };
            if due {
                self.heartbeat();
                lock(&self.st).next_heartbeat = Instant::now() + delay;
            }
            self.run_model();
            if self.stats_dirty.swap(false, Ordering::Relaxed) {
                (self.recount)();
            }
            let st = lock(&self.st);
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let now = Instant::now();
            // Wake for the next heartbeat, and at least every second to
            // see communication become interrupted.
            let until = st.next_heartbeat.max(now).min(now + Duration::from_secs(1));
            let wait = until
                .saturating_duration_since(now)
                .max(Duration::from_millis(20));
            let _ = self.wake.wait_timeout(st, wait);
        }
    }

    /// One heartbeat to the partner, and what its answer says.
    fn heartbeat(&self) {
        let Some(p) = &self.partner else { return };
        let res = p.call(
            self.family.service(),
            "ha-heartbeat",
            Some(self.named(json!({}))),
        );
        let mut st = lock(&self.st);
        let parsed = res.map_err(|e| e.to_string()).and_then(|a| {
            let args = a
                .get("arguments")
                .filter(|v| v.is_object())
                .ok_or("no arguments")?;
            let state = args
                .get("state")
                .and_then(Value::as_str)
                .and_then(State::parse)
                .ok_or("no valid state")?;
            let time = args
                .get("date-time")
                .and_then(Value::as_str)
                .and_then(parse_http_date)
                .ok_or("no valid date-time")?;
            let scopes: Vec<String> = args
                .get("scopes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect()
                })
                .unwrap_or_default();
            let unsent = match args.get("unsent-update-count") {
                None => None,
                Some(v) => Some(v.as_u64().ok_or("unsent-update-count is not a number")?),
            };
            Ok((state, time, scopes, unsent))
        });
        match parsed {
            Ok((state, time, scopes, unsent)) => {
                if st.partner != Some(state) {
                    info!(
                        service = self.family.service(),
                        partner = state.name(),
                        "HA partner state"
                    );
                }
                st.partner = Some(state);
                st.skew = time as i64 - unix_now() as i64;
                if st.skew.abs() > 30 {
                    warn!(
                        skew = st.skew,
                        "HA: the partner's clock differs from ours by more than 30 s"
                    );
                }
                st.partner_scopes = scopes;
                if let Some(u) = unsent {
                    st.partner_unsent = (st.partner_unsent.1, u);
                }
                st.poke = Instant::now();
                st.clients.clear();
                st.analyzed = 0;
                st.sync_notified = false;
                self.interrupted.store(false, Ordering::Relaxed);
            }
            Err(e) => {
                if st.partner != Some(State::Unavailable) {
                    warn!(service = self.family.service(), error = %e, "HA heartbeat to the partner failed");
                }
                st.partner = Some(State::Unavailable);
                if std::mem::take(&mut st.sync_notified) && st.state == State::PartnerDown {
                    // The partner synchronised from us and went away:
                    // serve again.
                    self.switch.enable_by(self.local());
                }
            }
        }
    }

    fn interrupted(&self, st: &St) -> bool {
        st.poke.elapsed() > Duration::from_millis(self.cfg.max_response_delay_ms)
    }

    /// Kea's `failureDetected`.
    fn failure_detected(&self, st: &St) -> bool {
        let max = self.cfg.max_unacked_clients as usize;
        max == 0 || st.clients.values().filter(|u| **u).count() > max
    }

    fn env(&self, st: &St) -> Env {
        let interrupted = self.interrupted(st);
        self.interrupted.store(interrupted, Ordering::Relaxed);
        let role = self.cfg.this_role();
        let partner_down = interrupted
            && if st.state.serves()
                && (self.cfg.mode == HaMode::LoadBalancing || role == HaRole::Standby)
            {
                self.failure_detected(st)
            } else {
                true
            };
        Env {
            mode: self.cfg.mode,
            role,
            partner: st.partner,
            sync_leases: self.cfg.sync_leases,
            partner_down,
            terminate: st.partner.is_some_and(|p| p != State::Unavailable) && st.skew.abs() > 60,
            paused: st.paused,
            partner_new_unsent: st.partner_unsent.1 > 0
                && st.partner_unsent.1 != st.partner_unsent.0,
            interrupted,
            comm_recovery: self.cfg.delayed_updates_limit > 0,
            backlog_overflow: lock(&self.backlog).1,
        }
    }

    /// Runs handlers until one stays.
    fn run_model(&self) {
        for _ in 0..8 {
            let mut st = lock(&self.st);
            let env = self.env(&st);
            match state::decide(st.state, &env) {
                Decision::Stay => return,
                Decision::Go(s) => self.enter(&mut st, s),
                Decision::FlushBacklog => {
                    drop(st);
                    let flushed = self.flush_backlog();
                    let mut st = lock(&self.st);
                    if st.state != State::CommunicationRecovery {
                        return;
                    }
                    if flushed {
                        self.enter(&mut st, State::LoadBalancing);
                        continue;
                    }
                    drop(st);
                    let reset = self.partner.as_ref().map(|p| {
                        p.call(
                            self.family.service(),
                            "ha-reset",
                            Some(self.named(json!({}))),
                        )
                    });
                    let mut st = lock(&self.st);
                    match reset {
                        Some(Ok(_)) => self.enter(&mut st, State::Waiting),
                        _ => return,
                    }
                }
                Decision::Sync => {
                    drop(st);
                    let res = self.sync_from_partner(None);
                    let mut st = lock(&self.st);
                    if st.state != State::Syncing {
                        return;
                    }
                    match res {
                        Ok(n) => {
                            info!(
                                service = self.family.service(),
                                leases = n,
                                "HA lease database synchronisation complete"
                            );
                            self.enter(&mut st, State::Ready);
                        }
                        Err(e) => {
                            warn!(service = self.family.service(), error = %e, "HA lease database synchronisation failed");
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Makes `new` the state: its scopes, the service, lease updates, its
    /// pause.
    fn enter(&self, st: &mut St, new: State) {
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let old = st.state;
        if old != new {
            info!(
                service = self.family.service(),
                from = old.name(),
                to = new.name(),
                partner = st.partner.map_or("unknown", State::name),
                "HA state transition"
            );
            st.previous = old;
        }
        st.state = new;
        let me = self.cfg.this_peer();
        let auto = me.is_none_or(|p| p.auto_failover);
        let scopes = state::scopes_on_entry(new, auto, st.by_maintenance);
        st.by_maintenance = false;
        let names: Vec<String> = match scopes {
            Scopes::None => Vec::new(),
            Scopes::Default => me
                .filter(|p| matches!(p.role, HaRole::Primary | HaRole::Secondary))
                .map(|p| vec![p.name.clone()])
                .unwrap_or_default(),
            Scopes::Failover => self.scope_names.iter().flatten().cloned().collect(),
        };
        self.set_scopes(st, names);
        if new.serves() {
            self.switch.enable_by(self.local());
        } else {
            self.switch.disable_by(self.local(), unix_now(), None);
        }
        self.updates.store(new.sends_updates(), Ordering::Relaxed);
        self.queue.store(new.queues_updates(), Ordering::Relaxed);
        if old == State::CommunicationRecovery && new != old {
            *lock(&self.backlog) = (Vec::new(), false);
        }
        match self.cfg.pause_in(new.name()) {
            HaPause::Always => st.paused = true,
            HaPause::Once if !st.paused_once.contains(&new) => {
                st.paused_once.push(new);
                st.paused = true;
            }
            _ => {}
        }
        if st.paused {
            info!(
                state = new.name(),
                "HA state machine paused (ha-continue resumes it)"
            );
        }
    }

    fn set_scopes(&self, st: &mut St, mut names: Vec<String>) {
        names.sort();
        names.dedup();
        let mut bits = 0u8;
        for (i, n) in self.scope_names.iter().enumerate() {
            if n.as_ref().is_some_and(|n| names.contains(n)) {
                bits |= 1 << i;
            }
        }
        self.served.store(bits, Ordering::Relaxed);
        st.scopes = names;
    }

    /// Synchronises the leases from the partner (or from the peer named
    /// `from`, for `ha-sync`): `dhcp-disable` before each page, pages
    /// until a short one, then `ha-sync-complete-notify`. The number of
    /// leases received.
    fn sync_from_partner(&self, max_period: Option<u64>) -> Result<usize, String> {
        let Some(p) = &self.partner else {
            return Err("no partner to synchronise from".into());
        };
        let svc = self.family.service();
        let period = max_period.unwrap_or((self.cfg.sync_timeout_ms / 1000).max(1));
        let page_cmd = match self.family {
            HaFamily::V4 => "lease4-get-page",
            HaFamily::V6 => "lease6-get-page",
        };
        let limit = self.cfg.sync_page_limit.max(1) as usize;
        let mut from = "start".to_string();
        let mut disabled = false;
        let mut total = 0;
        let origin = self.origin_id();
        let enable = || {
            let _ = p.call(
                svc,
                "dhcp-enable",
                Some(json!({ "origin": "ha-partner", "origin-id": origin })),
            );
        };
        loop {
            if let Err(e) = p.call(
                svc,
                "dhcp-disable",
                Some(json!({ "origin": "ha-partner", "origin-id": origin, "max-period": period })),
            ) {
                if disabled {
                    enable();
                }
                self.partner_lost();
                return Err(format!("dhcp-disable: {e}"));
            }
            disabled = true;
            let page =
                match p.call_slow(svc, page_cmd, Some(json!({ "from": from, "limit": limit }))) {
                    Ok(a) => a,
                    Err(e) => {
                        enable();
                        self.partner_lost();
                        return Err(format!("{page_cmd}: {e}"));
                    }
                };
            let Some(list) = page
                .get("arguments")
                .and_then(|a| a.get("leases"))
                .and_then(Value::as_array)
            else {
                enable();
                return Err(format!("{page_cmd}: the answer has no leases list"));
            };
            let mut failed = 0;
            for l in list.iter().filter(|l| self.syncs(l)) {
                let m = match self.family {
                    HaFamily::V4 => leases::merge4(self.store.as_ref(), l),
                    HaFamily::V6 => leases::merge6(self.store.as_ref(), l),
                };
                if m == leases::Merged::Failed {
                    failed += 1;
                    debug!(lease = %l, "HA: a synchronised lease could not be stored");
                }
            }
            if failed > 0 {
                warn!(
                    failed,
                    "HA: leases of a synchronisation page could not be stored"
                );
            }
            total += list.len();
            if list.len() < limit {
                break;
            }
            match list
                .last()
                .and_then(|l| l.get("ip-address"))
                .and_then(Value::as_str)
            {
                Some(a) => from = a.to_string(),
                None => break,
            }
        }
        (self.recount)();
        let notify = self.named(json!({ "origin-id": origin, "origin": origin }));
        match p.call(svc, "ha-sync-complete-notify", Some(notify)) {
            Ok(_) => {}
            Err(CallError::Result(2, _)) => enable(),
            Err(e) => {
                enable();
                return Err(format!("ha-sync-complete-notify: {e}"));
            }
        }
        Ok(total)
    }

    /// Sends the queued updates; `false` when the queue overflowed or the
    /// partner did not take them.
    fn flush_backlog(&self) -> bool {
        let (queued, overflow) = std::mem::take(&mut *lock(&self.backlog));
        let queued = recorder::last_of_each(queued);
        if overflow {
            lock(&self.backlog).1 = true;
            return false;
        }
        let Some(p) = &self.partner else { return true };
        let commands = match self.family {
            HaFamily::V4 => leases::commands4(&queued),
            HaFamily::V6 => leases::commands6(&queued),
        };
        for (c, args) in &commands {
            if let Err(e) = p.call(self.family.service(), c, Some(args.clone())) {
                warn!(command = c, error = %e, "HA: sending the delayed updates failed");
                return false;
            }
        }
        info!(
            updates = queued.len(),
            "HA: delayed lease updates sent to the partner"
        );
        true
    }

    /// Whether a lease of a synchronisation page is taken: its subnet is
    /// one of this relationship's (all are when none is tied to it).
    fn syncs(&self, lease: &Value) -> bool {
        self.sync_subnets.is_empty()
            || lease
                .get("subnet-id")
                .and_then(Value::as_u64)
                .and_then(|id| u32::try_from(id).ok())
                .is_some_and(|id| self.sync_subnets.contains(&id))
    }

    fn partner_lost(&self) {
        lock(&self.st).partner = Some(State::Unavailable);
    }

    /// Leases changed by the partner's commands: the statistics are
    /// recounted by the HA thread (at most once a second, not once per
    /// update).
    pub fn leases_changed(&self) {
        self.stats_dirty.store(true, Ordering::Relaxed);
    }
}

impl Drop for Ha {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.notify_all();
    }
}

/// The current time for HA's `date-time`.
pub fn now_http_date() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    http_date(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_both_ways() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // 2026-12-07 12:35:33 UTC.
        let t = 1_796_646_933;
        assert_eq!(http_date(t), "Mon, 07 Dec 2026 12:35:33 GMT");
        assert_eq!(parse_http_date("Mon, 07 Dec 2026 12:35:33 GMT"), Some(t));
        assert_eq!(parse_http_date(&http_date(951_782_400)), Some(951_782_400));
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
