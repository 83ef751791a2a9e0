//! Kea's `dhcp-disable` / `dhcp-enable` for one family: while a family's
//! service is disabled, its packets are received, counted
//! (`pkt4-drop-service-disabled` / `pkt6-drop-service-disabled`) and
//! dropped. Each family has its own switch, as each Kea daemon has its own.

use std::sync::atomic::{AtomicU64, Ordering};

/// One family's service switch.
#[derive(Debug, Default)]
pub struct Switch {
    /// 0: serving; otherwise disabled until this Unix time (`u64::MAX`:
    /// until `dhcp-enable`).
    until: AtomicU64,
}

impl Switch {
    /// `dhcp-disable`: for `max_period` seconds from `now`, or until
    /// `dhcp-enable` when `None`.
    pub fn disable(&self, now: u64, max_period: Option<u64>) {
        let until = max_period.map_or(u64::MAX, |p| now.saturating_add(p).max(1));
        self.until.store(until, Ordering::Relaxed);
    }

    /// `dhcp-enable`.
    pub fn enable(&self) {
        self.until.store(0, Ordering::Relaxed);
    }

    /// Whether the service is disabled at `now`.
    pub fn is_disabled(&self, now: u64) -> bool {
        let until = self.until.load(Ordering::Relaxed);
        until != 0 && now < until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_for_a_period_or_until_enabled() {
        let s = Switch::default();
        assert!(!s.is_disabled(100));
        s.disable(100, Some(10));
        assert!(s.is_disabled(109));
        assert!(!s.is_disabled(110));
        s.disable(100, None);
        assert!(s.is_disabled(u64::MAX - 1));
        s.enable();
        assert!(!s.is_disabled(100));
    }
}
