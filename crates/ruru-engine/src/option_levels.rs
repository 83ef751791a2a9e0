//! What both families' reply option assembly shares about the configured
//! option data levels (host, pools, subnet, shared network, classes,
//! global): Kea 2.6's `never-send`, and whether a configuration uses
//! `never-send` or vendor (`vendor-N`) sub-options at all, so that replies
//! skip that work when none does.

use ruru_config::{Dhcp4, Dhcp6, OptionData, OptionData6};

/// One configured option, of either family.
pub(crate) trait OptionItem {
    type Code: Copy;
    fn code(&self) -> Self::Code;
    fn never_send(&self) -> bool;
    /// The vendor of a `vendor-N` sub-option; `None` for an option.
    fn vendor(&self) -> Option<u32>;
}

impl OptionItem for OptionData {
    type Code = u8;
    fn code(&self) -> u8 {
        self.code
    }
    fn never_send(&self) -> bool {
        self.never_send
    }
    fn vendor(&self) -> Option<u32> {
        self.vendor
    }
}

impl OptionItem for OptionData6 {
    type Code = u16;
    fn code(&self) -> u16 {
        self.code
    }
    fn never_send(&self) -> bool {
        self.never_send
    }
    fn vendor(&self) -> Option<u32> {
        self.vendor
    }
}

/// `[never-send used, vendor sub-options used]` by any option of `lists`.
fn uses<O: OptionItem>(lists: &[&[O]]) -> [bool; 2] {
    let any = |f: &dyn Fn(&O) -> bool| lists.iter().any(|l| l.iter().any(f));
    [any(&|o| o.never_send()), any(&|o| o.vendor().is_some())]
}

/// [`uses`] of every option level of a DHCPv4 configuration (global,
/// global reservations, classes, subnets, pools, networks, subnet
/// reservations; a hosts database's options are plain).
pub(crate) fn uses4(cfg: &Dhcp4) -> [bool; 2] {
    let mut lists: Vec<&[OptionData]> = vec![&cfg.options];
    lists.extend(cfg.reservations.hosts.iter().map(|h| &h.options[..]));
    lists.extend(cfg.client_classes.iter().map(|c| &c.options[..]));
    for s in &cfg.subnets {
        lists.push(&s.options);
        lists.extend(s.pools.iter().map(|p| &p.options[..]));
        lists.extend(s.reservations.hosts.iter().map(|h| &h.options[..]));
        if let Some(n) = &s.network {
            lists.push(&n.options);
        }
    }
    uses(&lists)
}

/// [`uses`] of every option level of a DHCPv6 configuration (as
/// [`uses4`], with prefix pools).
pub(crate) fn uses6(cfg: &Dhcp6) -> [bool; 2] {
    uses(&levels6(cfg))
}

/// Whether option `code` (of space `dhcp6`) is configured at some level.
pub(crate) fn configured6(cfg: &Dhcp6, code: u16) -> bool {
    levels6(cfg)
        .iter()
        .any(|l| l.iter().any(|o| o.code == code && o.vendor.is_none()))
}

/// Every option level of a DHCPv6 configuration.
fn levels6(cfg: &Dhcp6) -> Vec<&[OptionData6]> {
    let mut lists: Vec<&[OptionData6]> = vec![&cfg.options];
    lists.extend(cfg.reservations.hosts.iter().map(|h| &h.options[..]));
    lists.extend(cfg.client_classes.iter().map(|c| &c.options[..]));
    for s in &cfg.subnets {
        lists.push(&s.options);
        lists.extend(s.pools.iter().map(|p| &p.options[..]));
        lists.extend(s.pd_pools.iter().map(|p| &p.options[..]));
        lists.extend(s.reservations.hosts.iter().map(|h| &h.options[..]));
        if let Some(n) = &s.network {
            lists.push(&n.options);
        }
    }
    lists
}

/// Kea 2.6's never-send: the codes of the options cancelled at any of
/// `levels` (empty, and nothing scanned, unless `used`).
pub(crate) fn never_sent<'a, O: OptionItem + 'a>(
    used: bool,
    levels: impl Iterator<Item = &'a [O]>,
) -> Vec<O::Code> {
    if !used {
        return Vec::new();
    }
    levels
        .flat_map(|l| l.iter())
        .filter(|o| o.never_send() && o.vendor().is_none())
        .map(|o| o.code())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_reservations_count_as_a_level() {
        let cfg = ruru_config::load_str(
            r#"{"Dhcp4": {
  "reservations": [{"hw-address": "02:00:00:00:00:01",
    "option-data": [{"name": "domain-name-servers", "never-send": true}]}],
  "subnet4": [{"id": 1, "subnet": "192.0.2.0/24"}]
}}"#,
            std::path::Path::new("/tmp/option-levels.json"),
        );
        let cfg = match cfg {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let d = cfg.dhcp4.as_ref().map(uses4);
        assert_eq!(d, Some([true, false]));
        let plain = ruru_config::load_str(
            r#"{"Dhcp4": {"subnet4": [{"id": 1, "subnet": "192.0.2.0/24",
  "option-data": [{"name": "routers", "data": "192.0.2.1"}]}]}}"#,
            std::path::Path::new("/tmp/option-levels.json"),
        );
        let plain = match plain {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(plain.dhcp4.as_ref().map(uses4), Some([false, false]));
    }
}
