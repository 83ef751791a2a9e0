//! Kea's `dhcp-disable` / `dhcp-enable` for one family: while a family's
//! service is disabled, its packets are received, counted
//! (`pkt4-drop-service-disabled` / `pkt6-drop-service-disabled`) and
//! dropped. Each family has its own switch, as each Kea daemon has its own.
//!
//! As Kea's network state, the switch keeps who disabled the service
//! ([`Origin`]): the user (`dhcp-disable` without `origin`, `"origin":
//! "user"`, origin-id 1), each HA relationship's own state machine
//! (Kea 2.6's origin-id 1000 + the relationship's index) and each HA
//! partner (`"origin": "ha-partner"`, origin-id 2000 + the sender's
//! relationship index). The service runs when none of them has it
//! disabled; each is enabled again only by its own origin (or when its
//! `max-period` ends).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The most HA relationships with origins of their own (as
/// `ruru_config`'s limit on relationships).
pub const HA_ORIGINS: usize = 16;

/// Who disables the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    User,
    /// The local state machine of HA relationship `i` (Kea's 1000 + i).
    HaLocal(u8),
    /// An HA partner (Kea's 2000 + i; Kea 2.2's `"origin": "ha-partner"`
    /// is 2000).
    HaRemote(u8),
}

impl Origin {
    /// Kea 2.6's numeric origin (`origin-id`, or a number in `origin`).
    pub fn from_id(id: u64) -> Option<Origin> {
        let rel = |base: u64| {
            id.checked_sub(base)
                .filter(|i| *i < HA_ORIGINS as u64)
                .and_then(|i| u8::try_from(i).ok())
        };
        match id {
            1 => Some(Origin::User),
            1000..=1999 => rel(1000).map(Origin::HaLocal),
            2000..=2999 => rel(2000).map(Origin::HaRemote),
            _ => None,
        }
    }

    /// The numeric origin.
    pub fn id(self) -> u64 {
        match self {
            Origin::User => 1,
            Origin::HaLocal(i) => 1000 + u64::from(i),
            Origin::HaRemote(i) => 2000 + u64::from(i),
        }
    }

    /// The slot of an HA origin.
    fn slot(self) -> Option<usize> {
        match self {
            Origin::User => None,
            Origin::HaLocal(i) => Some(usize::from(i) % HA_ORIGINS),
            Origin::HaRemote(i) => Some(HA_ORIGINS + usize::from(i) % HA_ORIGINS),
        }
    }
}

/// One family's service switch.
#[derive(Debug, Default)]
pub struct Switch {
    /// 0: serving; otherwise disabled until this Unix time (`u64::MAX`:
    /// until `dhcp-enable`).
    until: AtomicU64,
    /// The same for each HA origin: local ones, then remote ones.
    ha: [AtomicU64; 2 * HA_ORIGINS],
    /// Bit `k` set while `ha[k]` is not 0 (the fast path reads only this
    /// when HA has nothing disabled).
    ha_set: AtomicU32,
}

fn until(now: u64, max_period: Option<u64>) -> u64 {
    max_period.map_or(u64::MAX, |p| now.saturating_add(p).max(1))
}

fn off(cell: &AtomicU64, now: u64) -> bool {
    let until = cell.load(Ordering::Relaxed);
    until != 0 && now < until
}

impl Switch {
    /// `dhcp-disable` by `origin`: for `max_period` seconds from `now`, or
    /// until `dhcp-enable` when `None`.
    pub fn disable_by(&self, origin: Origin, now: u64, max_period: Option<u64>) {
        let u = until(now, max_period);
        match origin.slot() {
            None => self.until.store(u, Ordering::Relaxed),
            Some(k) => {
                self.ha[k].store(u, Ordering::Relaxed);
                self.ha_set.fetch_or(1 << k, Ordering::Relaxed);
            }
        }
    }

    /// `dhcp-enable` by `origin`.
    pub fn enable_by(&self, origin: Origin) {
        match origin.slot() {
            None => self.until.store(0, Ordering::Relaxed),
            Some(k) => {
                self.ha_set.fetch_and(!(1 << k), Ordering::Relaxed);
                self.ha[k].store(0, Ordering::Relaxed);
            }
        }
    }

    /// `dhcp-disable` by the user.
    pub fn disable(&self, now: u64, max_period: Option<u64>) {
        self.disable_by(Origin::User, now, max_period);
    }

    /// `dhcp-enable` by the user.
    pub fn enable(&self) {
        self.enable_by(Origin::User);
    }

    /// Whether an HA origin has the service disabled at `now`.
    pub fn ha_disabled(&self, now: u64) -> bool {
        let mut bits = self.ha_set.load(Ordering::Relaxed);
        while bits != 0 {
            let k = bits.trailing_zeros() as usize;
            if self.ha.get(k).is_some_and(|c| off(c, now)) {
                return true;
            }
            bits &= bits - 1;
        }
        false
    }

    /// Whether the service is disabled at `now`.
    pub fn is_disabled(&self, now: u64) -> bool {
        off(&self.until, now) || self.ha_disabled(now)
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
    fn origins_are_independent() {
        let s = Switch::default();
        s.disable_by(Origin::HaLocal(0), 100, None);
        assert!(s.is_disabled(100));
        s.enable();
        assert!(s.is_disabled(100), "the user's enable leaves HA's disable");
        s.disable(100, None);
        s.enable_by(Origin::HaLocal(0));
        assert!(s.is_disabled(100), "HA's enable leaves the user's disable");
        s.enable();
        assert!(!s.is_disabled(100));
        s.disable_by(Origin::HaRemote(3), 100, Some(5));
        assert!(s.ha_disabled(104) && !s.ha_disabled(105));
        // Two relationships: one's enable leaves the other's disable.
        s.disable_by(Origin::HaLocal(0), 100, None);
        s.disable_by(Origin::HaLocal(1), 100, None);
        s.enable_by(Origin::HaLocal(0));
        assert!(s.is_disabled(100));
        s.enable_by(Origin::HaLocal(1));
        s.enable_by(Origin::HaRemote(3));
        assert!(!s.is_disabled(100));
    }

    #[test]
    fn kea_origin_ids() {
        assert_eq!(Origin::from_id(1), Some(Origin::User));
        assert_eq!(Origin::from_id(1001), Some(Origin::HaLocal(1)));
        assert_eq!(Origin::from_id(2000), Some(Origin::HaRemote(0)));
        assert_eq!(Origin::from_id(2015), Some(Origin::HaRemote(15)));
        assert_eq!(Origin::from_id(2016), None);
        assert_eq!(Origin::from_id(3000), None);
        assert_eq!(Origin::HaRemote(2).id(), 2002);
    }
}
