//! The DNS updater's statistics, with Kea D2's names: NCRs received
//! (`ncr-received`, `ncr-invalid`, `ncr-error`), the queue
//! (`queue-mgr-queue-full`), DNS updates (`update-sent`, `update-signed`,
//! `update-unsigned`, `update-success`, `update-timeout`,
//! `update-error`) and the same per TSIG key
//! (`key[<key name>].update-sent`, ...). Lock-free counters; the server
//! merges [`Stats::snapshot`] into its own statistics.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};

use ruru_config::D2Config;

/// One global counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stat {
    NcrReceived,
    NcrInvalid,
    NcrError,
    QueueFull,
    UpdateSent,
    UpdateSigned,
    UpdateUnsigned,
    UpdateSuccess,
    UpdateTimeout,
    UpdateError,
}

const GLOBAL: [(Stat, &str); 10] = [
    (Stat::NcrReceived, "ncr-received"),
    (Stat::NcrInvalid, "ncr-invalid"),
    (Stat::NcrError, "ncr-error"),
    (Stat::QueueFull, "queue-mgr-queue-full"),
    (Stat::UpdateSent, "update-sent"),
    (Stat::UpdateSigned, "update-signed"),
    (Stat::UpdateUnsigned, "update-unsigned"),
    (Stat::UpdateSuccess, "update-success"),
    (Stat::UpdateTimeout, "update-timeout"),
    (Stat::UpdateError, "update-error"),
];

/// How one DNS update ended, for the per-key counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStat {
    Sent,
    Success,
    Timeout,
    Error,
}

const PER_KEY: [&str; 4] = [
    "update-sent",
    "update-success",
    "update-timeout",
    "update-error",
];

/// The counters.
#[derive(Debug, Default)]
pub struct Stats {
    global: [AtomicI64; 10],
    /// Per key (its wire name, lower-case with the trailing dot), made
    /// for every configured key.
    keys: BTreeMap<String, [AtomicI64; 4]>,
}

impl Stats {
    /// Counters for the keys of `cfg`, all zero.
    pub fn new(cfg: &D2Config) -> Stats {
        Stats {
            global: Default::default(),
            keys: cfg
                .keys
                .iter()
                .map(|k| (k.name.clone(), Default::default()))
                .collect(),
        }
    }

    pub fn inc(&self, s: Stat) {
        self.global[s as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn inc_key(&self, key: &str, s: KeyStat) {
        if let Some(k) = self.keys.get(key) {
            k[s as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One counter's value.
    pub fn get(&self, s: Stat) -> i64 {
        self.global[s as usize].load(Ordering::Relaxed)
    }

    /// Every counter by its Kea name, global ones first, then per key.
    pub fn snapshot(&self) -> Vec<(String, i64)> {
        let mut out: Vec<(String, i64)> = GLOBAL
            .iter()
            .map(|(s, n)| (n.to_string(), self.get(*s)))
            .collect();
        for (name, c) in &self.keys {
            for (i, n) in PER_KEY.iter().enumerate() {
                out.push((format!("key[{name}].{n}"), c[i].load(Ordering::Relaxed)));
            }
        }
        out
    }

    /// Sets every counter to zero (Kea's `statistic-reset-all`).
    pub fn reset(&self) {
        for c in &self.global {
            c.store(0, Ordering::Relaxed);
        }
        for k in self.keys.values() {
            for c in k {
                c.store(0, Ordering::Relaxed);
            }
        }
    }

    /// The value of the counter named `name` (either kind), if any.
    pub fn value(&self, name: &str) -> Option<i64> {
        self.snapshot()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_and_reset() {
        let cfg = ruru_config::load_str(
            r#"{"DhcpDdns": {"tsig-keys": [{"name": "K1", "algorithm": "HMAC-MD5", "secret": "AAAA"}]}}"#,
            std::path::Path::new("/etc/ruru/d2.json"),
        )
        .unwrap()
        .dhcp_ddns
        .unwrap();
        let s = Stats::new(&cfg);
        s.inc(Stat::UpdateSent);
        s.inc_key("k1.", KeyStat::Timeout);
        s.inc_key("nokey.", KeyStat::Timeout);
        let snap = s.snapshot();
        assert_eq!(snap.len(), 14);
        assert_eq!(snap[4], ("update-sent".to_string(), 1));
        assert_eq!(s.value("key[k1.].update-timeout"), Some(1));
        assert_eq!(s.value("queue-mgr-queue-full"), Some(0));
        s.reset();
        assert!(s.snapshot().iter().all(|(_, v)| *v == 0));
    }
}
