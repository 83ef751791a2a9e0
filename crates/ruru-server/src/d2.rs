//! ruru's built-in DNS updater (`ruru-d2`) in the server process: started
//! with the configuration's `DhcpDdns` section, started again when a
//! reload changes that section (its statistics start again from zero, as
//! a restarted kea-dhcp-ddns's would), stopped when the section goes.
//! Its statistics (Kea D2's names) are listed beside the families'.

use std::sync::{Arc, Mutex};

use ruru_config::Config;
use ruru_d2::{D2Handle, Tuning, D2};
use tracing::info;

use crate::{lock, ServerError};

/// The running updater, if the configuration has one.
#[derive(Default)]
pub struct D2Service {
    cur: Mutex<Option<(serde_json::Value, D2Handle)>>,
    /// The families' request queues, told where the updater is (they hand
    /// it requests for its address directly).
    senders: Vec<Arc<crate::ddns::NcrSender>>,
}

impl D2Service {
    /// The service of a process whose families queue their requests in
    /// `senders`.
    pub fn new(senders: Vec<Arc<crate::ddns::NcrSender>>) -> Self {
        D2Service {
            cur: Mutex::default(),
            senders,
        }
    }

    fn tell_senders(&self, local: Option<(std::net::SocketAddr, D2Handle)>) {
        for s in &self.senders {
            s.set_local(local.clone());
        }
    }

    /// Starts, restarts or stops the updater for `config` (its tasks on
    /// `rt`). An error (the NCR listener's address cannot be bound)
    /// leaves the running one as it was.
    pub fn apply(&self, config: &Config, rt: &tokio::runtime::Handle) -> Result<(), ServerError> {
        let section = config.raw.get("DhcpDdns").cloned();
        let mut cur = lock(&self.cur);
        if cur.as_ref().map(|(s, _)| s) == section.as_ref() && section.is_some() {
            return Ok(());
        }
        let Some(d2) = config.dhcp_ddns.clone() else {
            if let Some((_, h)) = cur.take() {
                self.tell_senders(None);
                h.shutdown();
                info!("DhcpDdns removed: DNS updater stopped");
            }
            return Ok(());
        };
        // The old updater lets go of its listening address first.
        if let Some((_, h)) = cur.take() {
            self.tell_senders(None);
            h.shutdown();
        }
        let listen = d2.listen;
        let h = D2::start(Arc::new(d2), Tuning::default(), rt)
            .map_err(|e| ServerError::Control(e.to_string()))?;
        info!(%listen, "DNS updater (DhcpDdns) started");
        self.tell_senders(h.listen_addr().map(|a| (a, h.clone())));
        *cur = Some((section.unwrap_or_default(), h));
        Ok(())
    }

    /// The updater's statistics (none when there is none).
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        lock(&self.cur)
            .as_ref()
            .map(|(_, h)| h.snapshot())
            .unwrap_or_default()
    }

    /// One statistic of the updater.
    pub fn lookup(&self, name: &str) -> Option<i64> {
        lock(&self.cur)
            .as_ref()
            .and_then(|(_, h)| h.stats().value(name))
    }

    /// Sets the updater's statistics to zero.
    pub fn reset_all(&self) {
        if let Some((_, h)) = lock(&self.cur).as_ref() {
            h.stats().reset();
        }
    }

    /// Stops the updater (shutdown).
    pub fn stop(&self) {
        if let Some((_, h)) = lock(&self.cur).take() {
            self.tell_senders(None);
            h.shutdown();
        }
    }
}
