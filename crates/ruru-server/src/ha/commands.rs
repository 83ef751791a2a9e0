//! The HA commands, answered as Kea 2.2's HA library answers them:
//! `ha-heartbeat`, `ha-sync-complete-notify`, `ha-scopes`, `ha-continue`,
//! `ha-reset`, `ha-sync`, `ha-maintenance-notify`, `ha-maintenance-start`,
//! `ha-maintenance-cancel`, and the `high-availability` part of
//! `status-get` ([`Ha::status`]).

use std::sync::atomic::Ordering;

use serde_json::{json, Value};

use super::peer::CallError;
use super::state::State;
use super::Ha;
use crate::lock;
use crate::switch::Origin;

/// The HA commands, sorted.
pub const COMMANDS: &[&str] = &[
    "ha-continue",
    "ha-heartbeat",
    "ha-maintenance-cancel",
    "ha-maintenance-notify",
    "ha-maintenance-start",
    "ha-reset",
    "ha-scopes",
    "ha-sync",
    "ha-sync-complete-notify",
];

/// The commands HA partners send each other: with `restrict-commands`,
/// the only ones the HA listener answers.
pub const PARTNER_COMMANDS: &[&str] = &[
    "dhcp-disable",
    "dhcp-enable",
    "ha-heartbeat",
    "ha-maintenance-notify",
    "ha-reset",
    "ha-sync-complete-notify",
    "lease4-del",
    "lease4-get-page",
    "lease4-update",
    "lease6-bulk-apply",
    "lease6-del",
    "lease6-get-page",
    "lease6-update",
];

/// Kea's result for a maintenance transition the state does not allow.
const MAINTENANCE_NOT_ALLOWED: i64 = 1001;

fn answer(result: i64, text: impl Into<String>) -> Value {
    json!({ "result": result, "text": text.into() })
}

fn ok(text: &str) -> Value {
    answer(0, text)
}

fn error(text: impl Into<String>) -> Value {
    answer(1, text)
}

impl Ha {
    /// Runs one HA command with `args` (`{}` when none were given).
    pub fn command(&self, command: &str, args: &Value) -> Value {
        match command {
            "ha-heartbeat" => self.heartbeat_answer(),
            "ha-sync-complete-notify" => self.sync_complete_notify(args),
            "ha-scopes" => self.scopes_command(args),
            "ha-continue" => {
                let mut st = lock(&self.st);
                if std::mem::take(&mut st.paused) {
                    drop(st);
                    self.wake.notify_all();
                    ok("HA state machine continues.")
                } else {
                    ok("HA state machine is not paused.")
                }
            }
            "ha-reset" => {
                let mut st = lock(&self.st);
                if st.state == State::Waiting {
                    return ok("HA state machine already in WAITING state.");
                }
                self.enter(&mut st, State::Waiting);
                drop(st);
                self.wake.notify_all();
                ok("HA state machine reset.")
            }
            "ha-sync" => self.sync_command(args),
            "ha-maintenance-notify" => self.maintenance_notify(args),
            "ha-maintenance-start" => self.maintenance_start(),
            "ha-maintenance-cancel" => self.maintenance_cancel(),
            other => answer(2, format!("'{other}' command not supported.")),
        }
    }

    /// The partner finished synchronising from this server: its
    /// `dhcp-disable` (Kea 2.6's `origin-id`, else `origin`; without
    /// either, Kea 2.2's `"ha-partner"`) ends. In partner-down this server
    /// stays off (its own origin) until the partner is gone or the state
    /// changes, as in Kea.
    fn sync_complete_notify(&self, args: &Value) -> Value {
        let id = match args.get("origin-id").or_else(|| args.get("origin")) {
            None => None,
            Some(v) => match v.as_u64() {
                Some(id) => Some(id),
                None => {
                    let key = if args.get("origin-id").is_some() {
                        "origin-id"
                    } else {
                        "origin"
                    };
                    return error(format!(
                        "'{key}' must be an integer in the 'ha-sync-complete-notify' command"
                    ));
                }
            },
        };
        let origin = match id {
            None => Origin::HaRemote(0),
            Some(id) => match Origin::from_id(id) {
                Some(o) => o,
                None => return error(format!("unsupported origin {id}")),
            },
        };
        let mut st = lock(&self.st);
        if st.state == State::PartnerDown {
            st.sync_notified = true;
            self.switch.disable_by(self.local(), crate::now(), None);
        }
        self.switch.enable_by(origin);
        ok("Server successfully notified about the synchronization completion.")
    }

    fn heartbeat_answer(&self) -> Value {
        let st = lock(&self.st);
        json!({
            "result": 0,
            "text": "HA peer status returned.",
            "arguments": {
                "state": st.state.name(),
                "date-time": super::now_http_date(),
                "scopes": st.scopes,
                "unsent-update-count": self.unsent.load(Ordering::Relaxed),
            }
        })
    }

    fn scopes_command(&self, args: &Value) -> Value {
        if args.as_object().is_none_or(|m| m.is_empty()) {
            return error("arguments not found in the 'ha-scopes' command");
        }
        let Some(scopes) = args.get("scopes") else {
            return error("'scopes' is mandatory for the 'ha-scopes' command");
        };
        let Some(list) = scopes.as_array() else {
            return error("'scopes' must be a list in the 'ha-scopes' command");
        };
        let mut names = Vec::new();
        for s in list {
            let Some(name) = s.as_str() else {
                return error("scope name must be a string in the 'scopes' argument");
            };
            if !self.cfg.peers.iter().any(|p| p.name == name) {
                return error(format!(
                    "invalid server name specified '{name}' while enabling/disabling HA scopes"
                ));
            }
            names.push(name.to_string());
        }
        let mut st = lock(&self.st);
        self.set_scopes(&mut st, names);
        ok("New HA scopes configured.")
    }

    fn sync_command(&self, args: &Value) -> Value {
        if args.as_object().is_none_or(|m| m.is_empty()) {
            return error("arguments not found in the 'ha-sync' command");
        }
        let name = match args.get("server-name") {
            None => return error("'server-name' is mandatory for the 'ha-sync' command"),
            Some(Value::String(s)) => s.clone(),
            Some(_) => return error("'server-name' must be a string in the 'ha-sync' command"),
        };
        let period = match args.get("max-period") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(p) if p > 0 => Some(p),
                _ => {
                    return error(
                        "'max-period' must be a positive integer in the 'ha-sync' command",
                    )
                }
            },
        };
        if !self.cfg.peers.iter().any(|p| p.name == name) {
            return error(format!("no configuration specified for server {name}"));
        }
        if name == self.cfg.this_server_name {
            return error(format!(
                "'{name}' points to local server but should point to a partner"
            ));
        }
        match self.sync_from_partner(period) {
            Ok(_) => ok("Lease database synchronization complete."),
            Err(e) => error(e),
        }
    }

    fn maintenance_notify(&self, args: &Value) -> Value {
        let cancel = match args.get("cancel") {
            Some(Value::Bool(b)) => *b,
            None => return error("'cancel' is mandatory for the 'ha-maintenance-notify' command"),
            Some(_) => {
                return error("'cancel' must be a boolean in the 'ha-maintenance-notify' command")
            }
        };
        let mut st = lock(&self.st);
        if cancel {
            if st.state != State::InMaintenance {
                return error("Unable to cancel the maintenance for the server not in the in-maintenance state.");
            }
            let back = st.previous;
            self.enter(&mut st, back);
            drop(st);
            self.wake.notify_all();
            return ok("Server maintenance canceled.");
        }
        if matches!(
            st.state,
            State::Backup | State::PartnerInMaintenance | State::Terminated
        ) {
            return answer(
                MAINTENANCE_NOT_ALLOWED,
                format!(
                    "Unable to transition the server from the {} to in-maintenance state.",
                    st.state.name()
                ),
            );
        }
        self.enter(&mut st, State::InMaintenance);
        drop(st);
        self.wake.notify_all();
        ok("Server is in-maintenance state.")
    }

    fn maintenance_start(&self) -> Value {
        let state = self.state();
        if matches!(
            state,
            State::Backup | State::InMaintenance | State::PartnerInMaintenance | State::Terminated
        ) {
            return error(format!(
                "Unable to transition the server from the {} to partner-in-maintenance state.",
                state.name()
            ));
        }
        let Some(p) = &self.partner else {
            return error("Unable to transition to the partner-in-maintenance state: no partner.");
        };
        let res = p.call(
            self.family.service(),
            "ha-maintenance-notify",
            Some(self.named(json!({ "cancel": false }))),
        );
        let mut st = lock(&self.st);
        let out = match res {
            Ok(_) => {
                self.enter(&mut st, State::PartnerInMaintenance);
                ok("Server is now in the partner-in-maintenance state and its partner is in-maintenance state. The partner can be now safely shut down.")
            }
            Err(CallError::Transport(_)) | Err(CallError::Result(1, _)) => {
                st.partner = Some(State::Unavailable);
                st.by_maintenance = true;
                self.enter(&mut st, State::PartnerDown);
                ok("Server is now in the partner-down state as its partner appears to be offline for maintenance.")
            }
            Err(CallError::Result(_, msg)) => error(format!(
                "Unable to transition to the partner-in-maintenance state. The partner server responded with the following message to the ha-maintenance-notify command: {msg}."
            )),
        };
        drop(st);
        self.wake.notify_all();
        out
    }

    fn maintenance_cancel(&self) -> Value {
        if self.state() != State::PartnerInMaintenance {
            return error("Unable to cancel maintenance request because the server is not in the partner-in-maintenance state.");
        }
        let Some(p) = &self.partner else {
            return error("Unable to cancel maintenance: no partner.");
        };
        match p.call(
            self.family.service(),
            "ha-maintenance-notify",
            Some(self.named(json!({ "cancel": true }))),
        ) {
            Ok(_) => {
                let mut st = lock(&self.st);
                let back = st.previous;
                self.enter(&mut st, back);
                drop(st);
                self.wake.notify_all();
                ok("Server maintenance successfully canceled.")
            }
            Err(e) => error(format!(
                "Unable to cancel maintenance. The partner server responded with the following message to the ha-maintenance-notify command: {e}."
            )),
        }
    }

    /// The `high-availability` entry of `status-get`.
    pub fn status(&self) -> Value {
        let st = lock(&self.st);
        let role = self.cfg.this_role();
        let mut servers = json!({
            "local": {
                "role": role.as_str(),
                "scopes": st.scopes,
                "state": st.state.name(),
            }
        });
        if let Some(p) = self.cfg.partner() {
            let interrupted = self.interrupted(&st);
            let unacked = st.clients.values().filter(|u| **u).count();
            let max = self.cfg.max_unacked_clients as usize;
            let left = if interrupted && unacked <= max {
                max - unacked + 1
            } else {
                0
            };
            servers["remote"] = json!({
                "age": if st.partner.is_some() { st.poke.elapsed().as_secs() } else { 0 },
                "in-touch": st.partner.is_some(),
                "last-scopes": st.partner_scopes,
                "last-state": st.partner.map_or("", State::name),
                "communication-interrupted": interrupted,
                "connecting-clients": st.clients.len(),
                "unacked-clients": unacked,
                "unacked-clients-left": left,
                "analyzed-packets": st.analyzed,
                "role": p.role.as_str(),
            });
        }
        json!({ "ha-mode": self.cfg.mode.as_str(), "ha-servers": servers })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use ruru_config::{Ha as HaConfig, HaMode, HaPeer, HaRole, HaTls, HaUrl};
    use ruru_lease::memfile::MemfileStore;
    use ruru_lease::Lease4;
    use serde_json::json;

    use super::super::{Ha, HaFamily};
    use crate::switch::Switch;

    /// A peer on 127.0.0.1:`port` (also for the other HA tests).
    pub(crate) fn peer(name: &str, port: u16, role: HaRole) -> HaPeer {
        HaPeer {
            name: name.into(),
            url: HaUrl {
                text: format!("http://127.0.0.1:{port}/"),
                tls: false,
                host: "127.0.0.1".into(),
                port,
                path: "/".into(),
            },
            role,
            auto_failover: true,
            basic_auth: None,
            tls: HaTls::default(),
        }
    }

    /// A hot-standby primary whose partner (a closed port) never answers.
    fn lonely() -> Arc<Ha> {
        let mut cfg = HaConfig::new(
            "server1".into(),
            HaMode::HotStandby,
            vec![
                peer("server1", 1, HaRole::Primary),
                peer("server2", 2, HaRole::Standby),
            ],
        );
        cfg.heartbeat_delay_ms = 60_000;
        let store = Arc::new(MemfileStore::<Lease4>::open(None).unwrap());
        Ha::start(
            Arc::new(cfg),
            0,
            Vec::new(),
            HaFamily::V4,
            store,
            Arc::new(Switch::default()),
            Box::new(|| {}),
        )
        .unwrap()
    }

    #[test]
    fn a_waiting_server_is_off_and_answers_heartbeats() {
        let ha = lonely();
        let hb = ha.command("ha-heartbeat", &json!({}));
        assert_eq!(hb["result"], 0);
        assert_eq!(hb["arguments"]["state"], "waiting");
        assert_eq!(hb["arguments"]["scopes"], json!([]));
        assert!(
            super::super::parse_http_date(hb["arguments"]["date-time"].as_str().unwrap()).is_some()
        );
        assert!(
            ha.switch.ha_disabled(crate::now()),
            "waiting: the service is off"
        );
        ha.stop();
        assert!(
            !ha.switch.ha_disabled(crate::now()),
            "stopped HA leaves the service on"
        );
    }

    #[test]
    fn ha_scopes_checks_its_arguments_as_kea() {
        let ha = lonely();
        let t = |args| {
            ha.command("ha-scopes", &args)["text"]
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(
            t(json!({})),
            "arguments not found in the 'ha-scopes' command"
        );
        assert_eq!(
            t(json!({"x": 1})),
            "'scopes' is mandatory for the 'ha-scopes' command"
        );
        assert_eq!(
            t(json!({"scopes": 1})),
            "'scopes' must be a list in the 'ha-scopes' command"
        );
        assert_eq!(
            t(json!({"scopes": [1]})),
            "scope name must be a string in the 'scopes' argument"
        );
        assert_eq!(
            t(json!({"scopes": ["nobody"]})),
            "invalid server name specified 'nobody' while enabling/disabling HA scopes"
        );
        let ok = ha.command("ha-scopes", &json!({"scopes": ["server1"]}));
        assert_eq!(ok["result"], 0);
        assert_eq!(
            ha.command("ha-heartbeat", &json!({}))["arguments"]["scopes"],
            json!(["server1"])
        );
        ha.stop();
    }

    #[test]
    fn an_unreadable_password_file_stops_ha_from_starting() {
        let mut b = peer("server2", 2, HaRole::Standby);
        b.basic_auth = Some((
            "ha".into(),
            ruru_config::Secret::File("/nonexistent/ha-pass".into()),
        ));
        let cfg = HaConfig::new(
            "server1".into(),
            HaMode::HotStandby,
            vec![peer("server1", 1, HaRole::Primary), b],
        );
        let store = Arc::new(MemfileStore::<Lease4>::open(None).unwrap());
        let e = Ha::start(
            Arc::new(cfg),
            0,
            Vec::new(),
            HaFamily::V4,
            store,
            Arc::new(Switch::default()),
            Box::new(|| {}),
        )
        .err()
        .unwrap();
        assert!(e.contains("/nonexistent/ha-pass"), "{e}");
    }

    #[test]
    fn maintenance_notify_and_reset() {
        let ha = lonely();
        let n = ha.command("ha-maintenance-notify", &json!({"cancel": false}));
        assert_eq!(n["result"], 0, "{n}");
        assert_eq!(ha.state().name(), "in-maintenance");
        let again = ha.command("ha-maintenance-notify", &json!({}));
        assert_eq!(again["result"], 1);
        let c = ha.command("ha-maintenance-notify", &json!({"cancel": true}));
        assert_eq!(c["result"], 0, "{c}");
        assert_eq!(ha.state().name(), "waiting");
        assert_eq!(
            ha.command("ha-reset", &json!({}))["text"],
            "HA state machine already in WAITING state."
        );
        assert_eq!(
            ha.command("ha-continue", &json!({}))["text"],
            "HA state machine is not paused."
        );
        assert_eq!(ha.command("ha-sync", &json!({}))["result"], 1);
        assert_eq!(
            ha.command("ha-sync", &json!({"server-name": "x"}))["text"],
            "no configuration specified for server x"
        );
        ha.stop();
    }
}
