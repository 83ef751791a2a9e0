//! Lifetimes and timers, as both families check them: Kea's lifetime
//! triplets (`valid-lifetime`, `min-…`, `max-…`; DHCPv6's
//! `preferred-lifetime` the same way), `t1-percent` / `t2-percent`, and
//! T1 < T2 < valid-lifetime at the section and in each subnet.

use super::V;
use crate::model::Lifetime;

/// Kea's default `valid-lifetime`.
pub const DEFAULT_VALID_LIFETIME: u32 = 7200;
/// Kea's default `t1-percent`.
pub const DEFAULT_T1_PERCENT: f64 = 0.5;

impl V {
    pub(super) fn percent(&mut self, path: &str, v: f64) -> f64 {
        if !(v > 0.0 && v < 1.0) {
            self.err(
                path,
                format!("{v} is out of range: expected a number in (0, 1)"),
            );
        }
        v
    }

    /// Kea's lifetime triplet `name`, `min-name`, `max-name` (`name` is
    /// `valid-lifetime` or `preferred-lifetime`) for one scope, if any of it
    /// is given.
    pub(super) fn lifetime(
        &mut self,
        scope: &str,
        name: &str,
        value: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
    ) -> Option<Lifetime> {
        let min_given = min.is_some();
        let (default, min, max) = match (value, min, max) {
            (None, None, None) => return None,
            (Some(v), mn, mx) => (v, mn.unwrap_or(v), mx.unwrap_or(v)),
            (None, Some(mn), mx) => (mn, mn, mx.unwrap_or(mn)),
            (None, None, Some(mx)) => (mx, mx, mx),
        };
        if min > max && !min_given {
            // The minimum is the default here: blame the key that is there.
            self.err(
                format!("{scope}.{name}"),
                format!("{name} ({default}) is greater than max-{name} ({max})"),
            );
        } else if min > max {
            self.err(
                format!("{scope}.min-{name}"),
                format!("min-{name} ({min}) is greater than max-{name} ({max})"),
            );
        } else if default < min || default > max {
            self.err(
                format!("{scope}.{name}"),
                format!(
                    "{name} ({default}) is not between min-{name} ({min}) and max-{name} ({max})"
                ),
            );
        }
        Some(Lifetime { default, min, max })
    }
}

/// The timer settings of one scope, resolved.
pub(super) struct Timers {
    pub(super) valid: u32,
    pub(super) renew: Option<u32>,
    pub(super) rebind: Option<u32>,
    pub(super) calculate_tee_times: bool,
    pub(super) t1_percent: f64,
    pub(super) t2_percent: f64,
}

/// Where a scope's inherited values come from: the section (`Dhcp4`,
/// `Dhcp6`), or for a subnet of a shared network, the network (its path)
/// for the keys the network sets.
#[derive(Clone, Copy)]
pub(super) struct Origin<'a> {
    pub(super) section: &'a str,
    /// The network's path and the keys it sets.
    pub(super) network: Option<(&'a str, &'a [&'static str])>,
}

impl<'a> Origin<'a> {
    /// Every inherited value comes from `section`.
    pub(super) fn section(section: &'a str) -> Self {
        Origin {
            section,
            network: None,
        }
    }

    /// Where the inherited value of `key` comes from.
    pub(super) fn of(&self, key: &str) -> &'a str {
        match self.network {
            Some((path, keys)) if keys.contains(&key) => path,
            _ => self.section,
        }
    }
}

/// T1 < T2 < valid-lifetime, where given; t1-percent < t2-percent when
/// calculated. `inherited` lists the keys whose value was inherited (for
/// subnets, from where `root` says), so the reader knows where to look.
pub(super) fn check_timers(
    v: &mut V,
    scope: &str,
    root: &Origin<'_>,
    t: &Timers,
    inherited: &[&str],
) {
    let from = |key: &str| {
        if inherited.contains(&key) {
            format!(", from {}", root.of(key))
        } else {
            String::new()
        }
    };
    if t.t1_percent >= t.t2_percent && t.calculate_tee_times {
        v.err(
            format!("{scope}.t1-percent"),
            format!(
                "t1-percent ({}{}) must be less than t2-percent ({}{})",
                t.t1_percent,
                from("t1-percent"),
                t.t2_percent,
                from("t2-percent")
            ),
        );
    }
    let valid = t.valid;
    match (t.renew, t.rebind) {
        (Some(t1), Some(t2)) if t1 >= t2 => v.err(
            format!("{scope}.renew-timer"),
            format!(
                "renew-timer ({t1}{}) must be less than rebind-timer ({t2}{})",
                from("renew-timer"),
                from("rebind-timer")
            ),
        ),
        (_, Some(t2)) if t2 >= valid => v.err(
            format!("{scope}.rebind-timer"),
            format!(
                "rebind-timer ({t2}{}) must be less than valid-lifetime ({valid}{})",
                from("rebind-timer"),
                from("valid-lifetime")
            ),
        ),
        (Some(t1), None) if t1 >= valid => v.err(
            format!("{scope}.renew-timer"),
            format!(
                "renew-timer ({t1}{}) must be less than valid-lifetime ({valid}{})",
                from("renew-timer"),
                from("valid-lifetime")
            ),
        ),
        _ => {}
    }
}

/// A subnet's timer check: only when the subnet itself sets something
/// involved (`local`: key, set here); otherwise the section check already
/// covered it.
pub(super) fn check_subnet_timers(
    v: &mut V,
    p: &str,
    root: &Origin<'_>,
    t: &Timers,
    local: &[(&str, bool)],
) {
    if local.iter().any(|(_, set)| *set) {
        let inherited: Vec<&str> = local
            .iter()
            .filter(|(_, set)| !set)
            .map(|(k, _)| *k)
            .collect();
        check_timers(v, p, root, t, &inherited);
    }
}
