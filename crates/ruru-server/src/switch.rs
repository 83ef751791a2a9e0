//! Kea's `dhcp-disable` / `dhcp-enable` for one family: while a family's
//! service is disabled, its packets are received, counted
//! (`pkt4-drop-service-disabled` / `pkt6-drop-service-disabled`) and
//! dropped. Each family has its own switch, as each Kea daemon has its own.
//!
//! As Kea 2.2's network state, the switch has two independent origins:
//! the user's (`dhcp-disable` without `origin`, or `"origin": "user"`)
//! and HA's, which the local HA state machine and the HA partner
//! (`"origin": "ha-partner"`) share. The service runs when neither has it
//! disabled.

use std::sync::atomic::{AtomicU64, Ordering};

/// One family's service switch.
#[derive(Debug, Default)]
pub struct Switch {
    /// 0: serving; otherwise disabled until this Unix time (`u64::MAX`:
    /// until `dhcp-enable`).
    until: AtomicU64,
    /// The same for the HA origin.
    ha_until: AtomicU64,
}

fn until(now: u64, max_period: Option<u64>) -> u64 {
    max_period.map_or(u64::MAX, |p| now.saturating_add(p).max(1))
}

fn off(cell: &AtomicU64, now: u64) -> bool {
    let until = cell.load(Ordering::Relaxed);
    until != 0 && now < until
}

impl Switch {
    /// `dhcp-disable`: for `max_period` seconds from `now`, or until
    /// `dhcp-enable` when `None`.
    pub fn disable(&self, now: u64, max_period: Option<u64>) {
        self.until.store(until(now, max_period), Ordering::Relaxed);
    }

    /// HA's `dhcp-disable` (the local state machine, or the partner's
    /// command with `"origin": "ha-partner"`).
    pub fn disable_ha(&self, now: u64, max_period: Option<u64>) {
        self.ha_until
            .store(until(now, max_period), Ordering::Relaxed);
    }

    /// HA's `dhcp-enable`.
    pub fn enable_ha(&self) {
        self.ha_until.store(0, Ordering::Relaxed);
    }

    /// Whether HA has the service disabled at `now`.
    pub fn ha_disabled(&self, now: u64) -> bool {
        off(&self.ha_until, now)
    }

    /// `dhcp-enable`.
    pub fn enable(&self) {
        self.until.store(0, Ordering::Relaxed);
    }

    /// Whether the service is disabled at `now`.
    pub fn is_disabled(&self, now: u64) -> bool {
        off(&self.until, now) || off(&self.ha_until, now)
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

    #[test]
    fn the_user_and_ha_origins_are_independent() {
        let s = Switch::default();
        s.disable_ha(100, None);
        assert!(s.is_disabled(100));
        s.enable();
        assert!(s.is_disabled(100), "the user's enable leaves HA's disable");
        s.disable(100, None);
        s.enable_ha();
        assert!(s.is_disabled(100), "HA's enable leaves the user's disable");
        s.enable();
        assert!(!s.is_disabled(100));
        s.disable_ha(100, Some(5));
        assert!(s.ha_disabled(104) && !s.ha_disabled(105));
    }
}
