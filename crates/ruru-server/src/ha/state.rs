//! Kea's HA state machine as a pure function: the states, what each
//! serves, and the transition a state's handler makes given the partner's
//! last reported state and what the communication looks like
//! ([`decide`]). The runtime (`super`) applies the decisions: it sends the
//! heartbeats, runs synchronisation, changes the scopes and the service.

use ruru_config::{HaMode, HaRole};

/// An HA state (Kea's names); `Unavailable` is only ever a partner's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Backup,
    CommunicationRecovery,
    HotStandby,
    LoadBalancing,
    InMaintenance,
    PartnerDown,
    PartnerInMaintenance,
    PassiveBackup,
    Ready,
    Syncing,
    Terminated,
    Waiting,
    Unavailable,
}

const ALL: [State; 13] = [
    State::Backup,
    State::CommunicationRecovery,
    State::HotStandby,
    State::LoadBalancing,
    State::InMaintenance,
    State::PartnerDown,
    State::PartnerInMaintenance,
    State::PassiveBackup,
    State::Ready,
    State::Syncing,
    State::Terminated,
    State::Waiting,
    State::Unavailable,
];

impl State {
    /// Kea's name.
    pub fn name(self) -> &'static str {
        match self {
            State::Backup => "backup",
            State::CommunicationRecovery => "communication-recovery",
            State::HotStandby => "hot-standby",
            State::LoadBalancing => "load-balancing",
            State::InMaintenance => "in-maintenance",
            State::PartnerDown => "partner-down",
            State::PartnerInMaintenance => "partner-in-maintenance",
            State::PassiveBackup => "passive-backup",
            State::Ready => "ready",
            State::Syncing => "syncing",
            State::Terminated => "terminated",
            State::Waiting => "waiting",
            State::Unavailable => "unavailable",
        }
    }

    /// The state named `s` (Kea's names only).
    pub fn parse(s: &str) -> Option<State> {
        ALL.iter().copied().find(|st| st.name() == s)
    }

    /// Whether the local DHCP service runs in this state (Kea's
    /// `adjustNetworkState`): off while waiting, syncing, ready, in
    /// maintenance and for a backup server.
    pub fn serves(self) -> bool {
        !matches!(
            self,
            State::Waiting | State::Syncing | State::Ready | State::Backup | State::InMaintenance
        )
    }

    /// Whether heartbeats go out in this state.
    pub fn heartbeats(self) -> bool {
        !matches!(
            self,
            State::PassiveBackup | State::Backup | State::Terminated
        )
    }

    /// Whether lease updates to the failover partner are queued in this
    /// state.
    pub fn queues_updates(self) -> bool {
        self == State::CommunicationRecovery
    }

    /// Whether lease updates go to the failover partner in this state.
    pub fn sends_updates(self) -> bool {
        matches!(
            self,
            State::HotStandby | State::LoadBalancing | State::PartnerInMaintenance
        )
    }
}

/// The mode's normal state for a role.
pub fn normal(mode: HaMode, role: HaRole) -> State {
    if role == HaRole::Backup {
        return State::Backup;
    }
    match mode {
        HaMode::LoadBalancing => State::LoadBalancing,
        HaMode::HotStandby => State::HotStandby,
        HaMode::PassiveBackup => State::PassiveBackup,
    }
}

/// The scopes a state serves on entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scopes {
    /// None at all.
    None,
    /// This server's own (a primary's or a secondary's name).
    Default,
    /// Every primary's and secondary's.
    Failover,
}

/// The scopes `state` serves on entry; `auto_failover` is this server's,
/// `by_maintenance` whether partner-down was entered through
/// `ha-maintenance-start`.
pub fn scopes_on_entry(state: State, auto_failover: bool, by_maintenance: bool) -> Scopes {
    match state {
        State::HotStandby
        | State::LoadBalancing
        | State::CommunicationRecovery
        | State::PassiveBackup
        | State::Terminated => Scopes::Default,
        State::PartnerDown if auto_failover || by_maintenance => Scopes::Failover,
        State::PartnerDown => Scopes::Default,
        State::PartnerInMaintenance => Scopes::Failover,
        _ => Scopes::None,
    }
}

/// What a handler sees.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    pub mode: HaMode,
    pub role: HaRole,
    /// The partner's last reported state (`Unavailable` after a failed
    /// contact), `None` before any contact.
    pub partner: Option<State>,
    pub sync_leases: bool,
    /// Kea's `shouldPartnerDown`.
    pub partner_down: bool,
    /// The clocks differ by more than 60 s.
    pub terminate: bool,
    /// The state machine is paused (`state-machine` pauses).
    pub paused: bool,
    /// The partner reported new unsent updates in its last heartbeat.
    pub partner_new_unsent: bool,
    /// Communication with the partner is interrupted (`max-response-delay`
    /// passed without a successful heartbeat).
    pub interrupted: bool,
    /// `delayed-updates-limit` > 0: load-balancing goes to
    /// communication-recovery when the partner becomes unavailable.
    pub comm_recovery: bool,
    /// The queue of delayed updates overflowed.
    pub backlog_overflow: bool,
}

/// A handler's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Stay,
    Go(State),
    /// Synchronise the leases from the partner, then go to `ready` (stay
    /// in `syncing` when it fails).
    Sync,
    /// Send the delayed updates to the partner: then `load-balancing`; if
    /// that fails or the queue overflowed, `ha-reset` the partner and go
    /// to `waiting`.
    FlushBacklog,
}

/// Whether the partner's state contradicts our mode (Kea's
/// `isPartnerStateInvalid`).
fn partner_invalid(env: &Env) -> bool {
    match env.partner {
        Some(State::CommunicationRecovery) | Some(State::LoadBalancing) => {
            env.mode != HaMode::LoadBalancing
        }
        Some(State::HotStandby) => env.mode != HaMode::HotStandby,
        _ => false,
    }
}

/// The transition of `state`'s handler (Kea 2.2's `ha_service.cc`).
pub fn decide(state: State, env: &Env) -> Decision {
    use Decision::{Go, Stay};
    use State as S;
    if env.paused {
        return Stay;
    }
    let normal = normal(env.mode, env.role);
    let primary = env.role == HaRole::Primary;
    match state {
        S::Backup | S::PassiveBackup | S::Terminated | S::InMaintenance | S::Unavailable => Stay,
        S::Waiting => {
            if env.role == HaRole::Backup {
                return Go(S::Backup);
            }
            if env.mode == HaMode::PassiveBackup {
                return Go(S::PassiveBackup);
            }
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Stay;
            }
            let sync_or_ready = if env.sync_leases {
                S::Syncing
            } else {
                S::Ready
            };
            match env.partner {
                Some(
                    S::CommunicationRecovery
                    | S::HotStandby
                    | S::LoadBalancing
                    | S::InMaintenance
                    | S::PartnerDown
                    | S::PartnerInMaintenance
                    | S::Ready,
                ) => Go(sync_or_ready),
                Some(S::Waiting) if primary => Go(sync_or_ready),
                Some(S::Unavailable) if env.partner_down => Go(S::PartnerDown),
                _ => Stay,
            }
        }
        S::Syncing => {
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Go(S::Waiting);
            }
            match env.partner {
                Some(S::Terminated) => Go(S::Terminated),
                Some(S::Unavailable) if env.partner_down => Go(S::PartnerDown),
                Some(S::Unavailable) => Stay,
                _ => Decision::Sync,
            }
        }
        S::Ready => {
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Go(S::Waiting);
            }
            match env.partner {
                Some(S::HotStandby | S::LoadBalancing | S::CommunicationRecovery) => Go(normal),
                Some(S::InMaintenance) => Go(S::PartnerInMaintenance),
                Some(S::PartnerInMaintenance) => Go(S::InMaintenance),
                Some(S::Ready) if primary => Go(normal),
                Some(S::Terminated) => Go(S::Terminated),
                Some(S::Unavailable) if env.partner_down => Go(S::PartnerDown),
                _ => Stay,
            }
        }
        S::HotStandby | S::LoadBalancing => {
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Go(S::Waiting);
            }
            match env.partner {
                Some(S::InMaintenance) => Go(S::PartnerInMaintenance),
                Some(S::PartnerDown) => Go(S::Waiting),
                Some(S::PartnerInMaintenance) => Go(S::InMaintenance),
                Some(S::Terminated) => Go(S::Terminated),
                Some(S::Unavailable) if env.partner_down => Go(S::PartnerDown),
                Some(S::Unavailable) if env.comm_recovery && state == S::LoadBalancing => {
                    Go(S::CommunicationRecovery)
                }
                _ => Stay,
            }
        }
        S::CommunicationRecovery => {
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Go(S::Waiting);
            }
            match env.partner {
                Some(S::InMaintenance) => Go(S::PartnerInMaintenance),
                Some(S::PartnerDown) => Go(S::Waiting),
                Some(S::PartnerInMaintenance) => Go(S::InMaintenance),
                Some(S::Terminated) => Go(S::Terminated),
                Some(S::Unavailable) if env.partner_down => Go(S::PartnerDown),
                Some(S::Unavailable) => Stay,
                Some(S::Waiting | S::Syncing | S::Ready) => {
                    if !env.interrupted && env.backlog_overflow {
                        Go(S::Waiting)
                    } else {
                        Stay
                    }
                }
                _ if env.interrupted => Stay,
                Some(S::LoadBalancing | S::CommunicationRecovery) => Decision::FlushBacklog,
                Some(_) => Go(S::Waiting),
                None => Stay,
            }
        }
        S::PartnerDown => {
            if env.terminate {
                return Go(S::Terminated);
            }
            if partner_invalid(env) {
                return Go(S::Waiting);
            }
            match env.partner {
                Some(S::CommunicationRecovery | S::PartnerDown | S::PartnerInMaintenance) => {
                    Go(S::Waiting)
                }
                Some(S::Ready) if env.partner_new_unsent => Go(S::Waiting),
                Some(S::Ready) => Go(normal),
                Some(S::Terminated) => Go(S::Terminated),
                _ => Stay,
            }
        }
        S::PartnerInMaintenance => {
            if env.terminate {
                return Go(S::Terminated);
            }
            match env.partner {
                Some(S::Unavailable) => Go(S::PartnerDown),
                _ => Stay,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(mode: HaMode, role: HaRole, partner: Option<State>) -> Env {
        Env {
            mode,
            role,
            partner,
            sync_leases: true,
            partner_down: false,
            terminate: false,
            paused: false,
            partner_new_unsent: false,
            interrupted: false,
            comm_recovery: false,
            backlog_overflow: false,
        }
    }

    #[test]
    fn names_round_trip() {
        for s in ALL {
            assert_eq!(State::parse(s.name()), Some(s));
        }
        assert_eq!(State::parse("bogus"), None);
    }

    #[test]
    fn a_hot_standby_pair_starts_primary_first() {
        let hs = HaMode::HotStandby;
        // Both waiting: the primary syncs first, the standby waits.
        let p = env(hs, HaRole::Primary, Some(State::Waiting));
        assert_eq!(decide(State::Waiting, &p), Decision::Go(State::Syncing));
        let s = env(hs, HaRole::Standby, Some(State::Waiting));
        assert_eq!(decide(State::Waiting, &s), Decision::Stay);
        // The standby syncs once the primary moved on.
        let s = env(hs, HaRole::Standby, Some(State::Ready));
        assert_eq!(decide(State::Waiting, &s), Decision::Go(State::Syncing));
        assert_eq!(decide(State::Syncing, &s), Decision::Sync);
        // Both ready: the primary goes first, the standby follows it.
        let p = env(hs, HaRole::Primary, Some(State::Ready));
        assert_eq!(decide(State::Ready, &p), Decision::Go(State::HotStandby));
        assert_eq!(decide(State::Ready, &s), Decision::Stay);
        let s = env(hs, HaRole::Standby, Some(State::HotStandby));
        assert_eq!(decide(State::Ready, &s), Decision::Go(State::HotStandby));
    }

    #[test]
    fn failure_and_recovery() {
        let hs = HaMode::HotStandby;
        let mut s = env(hs, HaRole::Standby, Some(State::Unavailable));
        assert_eq!(decide(State::HotStandby, &s), Decision::Stay);
        s.partner_down = true;
        assert_eq!(
            decide(State::HotStandby, &s),
            Decision::Go(State::PartnerDown)
        );
        // The restarted primary syncs from us and reports ready.
        s.partner = Some(State::Waiting);
        assert_eq!(decide(State::PartnerDown, &s), Decision::Stay);
        s.partner = Some(State::Ready);
        assert_eq!(
            decide(State::PartnerDown, &s),
            Decision::Go(State::HotStandby)
        );
        s.partner_new_unsent = true;
        assert_eq!(decide(State::PartnerDown, &s), Decision::Go(State::Waiting));
    }

    #[test]
    fn load_balancing_recovers_through_the_backlog() {
        let mut e = env(
            HaMode::LoadBalancing,
            HaRole::Secondary,
            Some(State::Unavailable),
        );
        e.comm_recovery = true;
        assert_eq!(
            decide(State::LoadBalancing, &e),
            Decision::Go(State::CommunicationRecovery)
        );
        assert_eq!(decide(State::CommunicationRecovery, &e), Decision::Stay);
        e.partner = Some(State::LoadBalancing);
        assert_eq!(
            decide(State::CommunicationRecovery, &e),
            Decision::FlushBacklog
        );
        e.interrupted = true;
        assert_eq!(decide(State::CommunicationRecovery, &e), Decision::Stay);
        // Without a queue, load-balancing waits for failure detection.
        e.comm_recovery = false;
        e.partner = Some(State::Unavailable);
        assert_eq!(decide(State::LoadBalancing, &e), Decision::Stay);
    }

    #[test]
    fn invalid_partner_states_send_us_waiting() {
        let lb = env(
            HaMode::LoadBalancing,
            HaRole::Primary,
            Some(State::HotStandby),
        );
        assert_eq!(
            decide(State::LoadBalancing, &lb),
            Decision::Go(State::Waiting)
        );
        assert_eq!(decide(State::Waiting, &lb), Decision::Stay);
    }

    #[test]
    fn backups_and_passive_backup_leave_waiting_at_once() {
        let b = env(HaMode::HotStandby, HaRole::Backup, None);
        assert_eq!(decide(State::Waiting, &b), Decision::Go(State::Backup));
        let p = env(HaMode::PassiveBackup, HaRole::Primary, None);
        assert_eq!(
            decide(State::Waiting, &p),
            Decision::Go(State::PassiveBackup)
        );
        assert_eq!(normal(HaMode::PassiveBackup, HaRole::Backup), State::Backup);
    }
}
