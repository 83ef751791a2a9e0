//! One family's HA relationships: Kea 2.2's single relationship, or Kea
//! 2.6's hub-and-spoke (several `hot-standby` relationships, the hub
//! having a name of its own in each).
//!
//! [`HaSet`] owns the relationships ([`Ha`]) and what concerns all of
//! them:
//! - **Routing a query** ([`HaSet::gate`]): with one relationship the
//!   scope decision is taken before the engine runs (Kea's
//!   `buffer4_receive`); with several, once the engine has selected the
//!   subnet (Kea's `subnet4_select`): the subnet's `ha-server-name` (any
//!   peer name of a relationship) picks the relationship whose scopes
//!   decide. A subnet without a usable name, or naming no relationship,
//!   has its queries dropped and logged, as Kea does. The packet's lease
//!   changes then go to that relationship's partner only.
//! - **Commands** ([`HaSet::command`]): Kea's `server-name` argument
//!   selects the relationship (any of its peer names; absent: the first
//!   relationship); `ha-maintenance-start` / `-cancel` act on every
//!   relationship; `status-get` lists them all.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use ruru_config::HaServerName;
use ruru_lease::LeaseStore;
use serde_json::{json, Value};
use tracing::{debug, warn};

use super::{Ha, HaFamily};
use crate::switch::Switch;

/// One family's HA relationships.
pub struct HaSet {
    /// In `high-availability` order.
    pub rels: Vec<Arc<Ha>>,
    /// Every peer name of every relationship → its index.
    names: HashMap<String, usize>,
}

/// The subnets tied to each relationship (`ha-server-name` naming one of
/// its peers): what a synchronisation of that relationship takes.
pub fn sync_subnets<'a>(
    cfgs: &[ruru_config::Ha],
    subnets: impl Iterator<Item = (u32, &'a HaServerName)>,
) -> Vec<Vec<u32>> {
    let mut out = vec![Vec::new(); cfgs.len()];
    for (id, name) in subnets {
        if let HaServerName::Name(n) = name {
            if let Some(i) = cfgs
                .iter()
                .position(|c| c.peers.iter().any(|p| &p.name == n))
            {
                out[i].push(id);
            }
        }
    }
    out
}

impl HaSet {
    /// Starts every relationship of `cfgs` (see [`Ha::start`]); `recount`
    /// makes each relationship's statistics recount.
    pub fn start(
        cfgs: &[ruru_config::Ha],
        subnets: Vec<Vec<u32>>,
        family: HaFamily,
        store: &Arc<dyn LeaseStore>,
        switch: &Arc<Switch>,
        recount: &dyn Fn() -> Box<dyn Fn() + Send + Sync>,
    ) -> Result<Arc<HaSet>, String> {
        let mut rels: Vec<Arc<Ha>> = Vec::new();
        let mut names = HashMap::new();
        let mut subnets = subnets.into_iter();
        for (i, cfg) in cfgs.iter().enumerate() {
            let id = u8::try_from(i)
                .ok()
                .filter(|&id| usize::from(id) < crate::switch::HA_ORIGINS)
                .ok_or_else(|| format!("too many HA relationships ({})", cfgs.len()))?;
            let started = Ha::start(
                Arc::new(cfg.clone()),
                id,
                subnets.next().unwrap_or_default(),
                family,
                store.clone(),
                switch.clone(),
                recount(),
            );
            let ha = match started {
                Ok(ha) => ha,
                Err(e) => {
                    for r in &rels {
                        r.stop();
                    }
                    return Err(e);
                }
            };
            for p in &cfg.peers {
                names.insert(p.name.clone(), i);
            }
            rels.push(ha);
        }
        Ok(Arc::new(HaSet { rels, names }))
    }

    /// Stops every relationship.
    pub fn stop(&self) {
        for r in &self.rels {
            r.stop();
        }
    }

    /// Whether this runs the configuration `cfgs` already.
    pub fn runs(&self, cfgs: &[ruru_config::Ha]) -> bool {
        self.rels.len() == cfgs.len() && self.rels.iter().zip(cfgs).all(|(r, c)| *r.cfg == *c)
    }

    /// Kea 2.6's hub-and-spoke: several relationships, decided per subnet.
    pub fn hub(&self) -> bool {
        self.rels.len() > 1
    }

    /// The first relationship (the only one outside hub-and-spoke).
    pub fn first(&self) -> Option<&Arc<Ha>> {
        self.rels.first()
    }

    /// Hub-and-spoke: whether a query whose selected subnet has `name`
    /// (`None`: no subnet) is answered here; `chosen` receives the
    /// relationship it belongs to.
    pub fn gate(
        &self,
        name: Option<&HaServerName>,
        bytes: &[u8],
        chosen: &Cell<Option<usize>>,
    ) -> bool {
        let n = match name {
            None => {
                debug!("HA: no subnet selected for the query: dropped");
                return false;
            }
            Some(HaServerName::Name(n)) => n,
            Some(HaServerName::None) => {
                warn!("HA: the query's subnet has no ha-server-name in its user-context (nor its shared network): dropped");
                return false;
            }
            Some(HaServerName::Invalid) => {
                warn!("HA: the query's subnet has an ha-server-name that is not a non-empty string: dropped");
                return false;
            }
        };
        let Some(&i) = self.names.get(n) else {
            warn!(server = %n, "HA: the query's subnet names a server of no HA relationship: dropped");
            return false;
        };
        chosen.set(Some(i));
        let admitted = self.rels.get(i).and_then(|r| r.admit(bytes)).is_some();
        if !admitted {
            debug!(server = %n, "HA: not in a served scope of the subnet's relationship: dropped");
        }
        admitted
    }

    /// Leases changed by commands: recounted by the HA thread.
    pub fn leases_changed(&self) {
        if let Some(r) = self.rels.first() {
            r.leases_changed();
        }
    }

    /// The relationship a command's `server-name` selects (Kea 2.6: any
    /// peer name of it; absent: the first relationship).
    fn select(&self, command: &str, args: &Value) -> Result<&Arc<Ha>, Value> {
        let fail = |text: String| json!({ "result": 1, "text": text });
        if !args.is_object() && !args.is_null() {
            return Err(fail(format!(
                "arguments in the '{command}' command are not a map"
            )));
        }
        let i = match args.get("server-name") {
            None => 0,
            Some(Value::String(n)) => match self.names.get(n) {
                Some(&i) => i,
                None => {
                    return Err(fail(format!("{n} matches no configured 'server-name'")));
                }
            },
            Some(_) => {
                return Err(fail(format!(
                    "'server-name' must be a string in the '{command}' command"
                )));
            }
        };
        self.rels
            .get(i)
            .ok_or_else(|| fail("no HA relationship".into()))
    }

    /// Runs an HA command (see the module documentation).
    pub fn command(&self, command: &str, args: &Value) -> Value {
        match command {
            "ha-maintenance-start" => {
                let mut last = json!({ "result": 1, "text": "no HA relationship" });
                for r in &self.rels {
                    last = r.command(command, args);
                    if last.get("result").and_then(Value::as_i64) != Some(0) {
                        break;
                    }
                }
                last
            }
            "ha-maintenance-cancel" => {
                let mut last = json!({ "result": 1, "text": "no HA relationship" });
                for r in &self.rels {
                    last = r.command(command, args);
                }
                last
            }
            _ => match self.select(command, args) {
                Ok(r) => r.command(command, args),
                Err(e) => e,
            },
        }
    }

    /// `status-get`'s `high-availability` list: one entry per
    /// relationship (with Kea 2.6's `server-name`s in hub-and-spoke).
    pub fn status(&self) -> Value {
        let hub = self.hub();
        Value::Array(
            self.rels
                .iter()
                .map(|r| {
                    let mut s = r.status();
                    if hub {
                        s["ha-servers"]["local"]["server-name"] = json!(r.cfg.this_server_name);
                        if let Some(p) = r.cfg.partner() {
                            if s["ha-servers"].get("remote").is_some() {
                                s["ha-servers"]["remote"]["server-name"] = json!(p.name);
                            }
                        }
                    }
                    s
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::sync::Arc;

    use ruru_config::{Ha as HaConfig, HaMode, HaRole, HaServerName};
    use ruru_lease::memfile::MemfileStore;
    use ruru_lease::{Lease4, LeaseStore};
    use serde_json::json;

    use super::super::commands::tests::peer;
    use super::{sync_subnets, HaFamily, HaSet};
    use crate::switch::Switch;

    /// A hub that is the standby of spoke1 (as hub1) and of spoke2 (as
    /// hub2); the spokes (closed ports) never answer.
    fn hub() -> (Arc<HaSet>, Arc<Switch>) {
        let rel = |me: &str, spoke: &str, port: u16| {
            let mut c = HaConfig::new(
                me.into(),
                HaMode::HotStandby,
                vec![
                    peer(spoke, port, HaRole::Primary),
                    peer(me, 3, HaRole::Standby),
                ],
            );
            c.heartbeat_delay_ms = 60_000;
            c
        };
        let cfgs = vec![rel("hub1", "spoke1", 1), rel("hub2", "spoke2", 2)];
        let store: Arc<dyn LeaseStore> = Arc::new(MemfileStore::<Lease4>::open(None).unwrap());
        let switch = Arc::new(Switch::default());
        let names = [
            (10, HaServerName::Name("spoke1".into())),
            (20, HaServerName::Name("hub2".into())),
            (30, HaServerName::None),
        ];
        let subnets = sync_subnets(&cfgs, names.iter().map(|(i, n)| (*i, n)));
        assert_eq!(subnets, vec![vec![10], vec![20]]);
        let set = HaSet::start(&cfgs, subnets, HaFamily::V4, &store, &switch, &|| {
            Box::new(|| {})
        })
        .unwrap();
        (set, switch)
    }

    #[test]
    fn server_name_selects_the_relationship() {
        let (set, switch) = hub();
        assert!(set.hub());
        // Scopes set through spoke2's relationship show there only.
        let r = set.command(
            "ha-scopes",
            &json!({"scopes": ["spoke2"], "server-name": "spoke2"}),
        );
        assert_eq!(r["result"], 0, "{r}");
        let hb = |args| set.command("ha-heartbeat", &args)["arguments"]["scopes"].clone();
        assert_eq!(hb(json!({"server-name": "hub2"})), json!(["spoke2"]));
        assert_eq!(hb(json!({})), json!([]), "no name: the first relationship");
        assert_eq!(
            set.command("ha-heartbeat", &json!({"server-name": "x"}))["text"],
            "x matches no configured 'server-name'"
        );
        assert_eq!(
            set.command("ha-heartbeat", &json!({"server-name": 1}))["text"],
            "'server-name' must be a string in the 'ha-heartbeat' command"
        );
        assert_eq!(
            set.command("ha-sync", &json!({"server-name": "hub1"}))["text"],
            "'hub1' points to local server but should point to a partner"
        );
        let st = set.status();
        assert_eq!(st.as_array().unwrap().len(), 2);
        assert_eq!(st[1]["ha-servers"]["local"]["server-name"], "hub2");
        assert_eq!(st[1]["ha-servers"]["remote"]["server-name"], "spoke2");
        // Both relationships wait: each keeps the service off on its own.
        assert!(switch.is_disabled(crate::now()));
        set.stop();
        assert!(!switch.is_disabled(crate::now()));
    }

    #[test]
    fn the_subnet_picks_the_relationship_of_a_query() {
        let (set, _) = hub();
        let q = crate::ha::query::tests::discover([2, 0, 0, 0, 0, 1], None, 0);
        let chosen = Cell::new(None);
        let gate = |n: Option<&HaServerName>| set.gate(n, &q, &chosen);
        assert!(!gate(None), "no subnet");
        assert!(!gate(Some(&HaServerName::None)));
        assert!(!gate(Some(&HaServerName::Invalid)));
        assert!(!gate(Some(&HaServerName::Name("nobody".into()))));
        assert_eq!(chosen.get(), None);
        // Waiting: nothing is served, but the relationship is known.
        assert!(!gate(Some(&HaServerName::Name("hub2".into()))));
        assert_eq!(chosen.get(), Some(1));
        set.command(
            "ha-scopes",
            &json!({"scopes": ["spoke2"], "server-name": "hub2"}),
        );
        assert!(gate(Some(&HaServerName::Name("spoke2".into()))));
        assert!(
            !gate(Some(&HaServerName::Name("spoke1".into()))),
            "the other relationship still serves nothing"
        );
        assert_eq!(chosen.get(), Some(0));
        set.stop();
    }
}
