//! Kea's `sanity-checks.lease-checks` on the leases loaded from a memfile
//! lease file (Kea's `SanityChecker`): a lease whose subnet ID does not
//! name a subnet holding its address is warned about, given the ID of the
//! subnet that holds it, or not loaded, as the setting says. The file is
//! left as it is. DHCPv6 checks addresses (IA_NA) only, as Kea does.
//!
//! As in Kea, the subnet "holding" an address is the one whose prefix
//! contains it and that has no `client-class` guard (Kea selects it for a
//! packet in no class); subnets do not overlap, so there is one at most.

use std::net::{Ipv4Addr, Ipv6Addr};

use ruru_config::{Dhcp4, Dhcp6, LeaseChecks};
use ruru_lease::{Lease4, Lease6, LeaseType6};
use tracing::{info, warn};

/// One subnet as the check sees it, its prefix as a 128-bit number (an
/// IPv4 address in the low 32 bits).
struct Net {
    id: u32,
    addr: u128,
    /// The prefix mask over the same bits.
    mask: u128,
    /// Selectable for a packet in no class (no `client-class` guard).
    open: bool,
}

impl Net {
    fn new(id: u32, addr: u128, prefix_len: u8, bits: u32, open: bool) -> Net {
        let host_bits = bits.saturating_sub(u32::from(prefix_len));
        // The low `bits` bits, then the prefix's leading ones among them.
        let all = u128::MAX >> (128 - bits.min(128));
        let mask = all & u128::MAX.checked_shl(host_bits).unwrap_or(0);
        Net {
            id,
            addr: addr & mask,
            mask,
            open,
        }
    }

    fn contains(&self, a: u128) -> bool {
        a & self.mask == self.addr
    }
}

/// Whether the subnet `id` holds `a`, and the subnet that holds it (0: none).
fn place(nets: &[Net], id: u32, a: u128) -> (bool, u32) {
    let in_own = nets.iter().any(|n| n.id == id && n.contains(a));
    let holder = nets
        .iter()
        .find(|n| n.open && n.contains(a))
        .map_or(0, |n| n.id);
    (in_own, holder)
}

/// Applies `mode` to a lease of subnet `*subnet_id` at `addr`; `in_own`
/// says whether that subnet holds the address, `holder` which subnet holds
/// it (0: none). Returns false when the lease is not loaded.
fn check(
    mode: LeaseChecks,
    addr: &dyn std::fmt::Display,
    subnet_id: &mut u32,
    in_own: bool,
    holder: u32,
) -> bool {
    if mode == LeaseChecks::None || in_own || *subnet_id == holder {
        return true;
    }
    let why = if holder != 0 {
        format!("the lease should have subnet-id {holder}")
    } else {
        "the lease IP address did not belong to a configured subnet".to_string()
    };
    let id = *subnet_id;
    match mode {
        LeaseChecks::None => true,
        LeaseChecks::Warn => {
            warn!(lease = %addr, subnet_id = id, "lease sanity check failed: {why}; loaded as it is");
            true
        }
        LeaseChecks::Fix | LeaseChecks::FixDel if holder != 0 => {
            info!(lease = %addr, subnet_id = id, fixed = holder, "lease sanity check: subnet-id {id} replaced by {holder}");
            *subnet_id = holder;
            true
        }
        LeaseChecks::Fix => {
            warn!(lease = %addr, subnet_id = id, "lease sanity check failed: {why}; loaded as it is");
            true
        }
        LeaseChecks::FixDel | LeaseChecks::Del => {
            info!(lease = %addr, subnet_id = id, "lease sanity check failed: {why}; lease not loaded");
            false
        }
    }
}

/// The DHCPv4 check for `cfg`, `None` with `lease-checks` `none`.
pub fn check4(cfg: &Dhcp4) -> Option<impl Fn(&mut Lease4) -> bool + Sync> {
    let mode = cfg.lease_checks;
    if mode == LeaseChecks::None {
        return None;
    }
    let nets: Vec<Net> = cfg
        .subnets
        .iter()
        .map(|s| {
            let a = u128::from(u32::from(s.addr));
            Net::new(s.id, a, s.prefix_len, 32, s.classes.allows(|_| false))
        })
        .collect();
    Some(move |l: &mut Lease4| {
        let addr: Ipv4Addr = l.addr;
        let (in_own, holder) = place(&nets, l.subnet_id, u128::from(u32::from(addr)));
        check(mode, &addr, &mut l.subnet_id, in_own, holder)
    })
}

/// The DHCPv6 check for `cfg` (addresses only), `None` with
/// `lease-checks` `none`.
pub fn check6(cfg: &Dhcp6) -> Option<impl Fn(&mut Lease6) -> bool + Sync> {
    let mode = cfg.lease_checks;
    if mode == LeaseChecks::None {
        return None;
    }
    let nets: Vec<Net> = cfg
        .subnets
        .iter()
        .map(|s| {
            let a = u128::from(s.addr);
            Net::new(s.id, a, s.prefix_len, 128, s.classes.allows(|_| false))
        })
        .collect();
    Some(move |l: &mut Lease6| {
        if l.lease_type != LeaseType6::Na {
            return true;
        }
        let addr: Ipv6Addr = l.address;
        let (in_own, holder) = place(&nets, l.subnet_id, u128::from(addr));
        check(mode, &addr, &mut l.subnet_id, in_own, holder)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_modes() {
        let n = Net::new(1, u128::from(0xc000_0200u32), 24, 32, true);
        assert!(n.contains(u128::from(0xc000_02ffu32)));
        assert!(!n.contains(u128::from(0xc000_0300u32)));
        let any = Net::new(2, 0, 0, 32, true);
        assert!(any.contains(u128::from(u32::MAX)));
        let v6 = Net::new(3, 0x2001_0db8u128 << 96, 32, 128, true);
        assert!(v6.contains((0x2001_0db8u128 << 96) | 5));
        assert!(!v6.contains(0x2001_0db9u128 << 96));
        let addr = Ipv4Addr::new(192, 0, 2, 1);
        for (mode, holder, keep, id) in [
            (LeaseChecks::Warn, 0, true, 7),
            (LeaseChecks::Fix, 1, true, 1),
            (LeaseChecks::Fix, 0, true, 7),
            (LeaseChecks::FixDel, 1, true, 1),
            (LeaseChecks::FixDel, 0, false, 7),
            (LeaseChecks::Del, 1, false, 7),
        ] {
            let mut sid = 7;
            assert_eq!(
                check(mode, &addr, &mut sid, false, holder),
                keep,
                "{mode:?}"
            );
            assert_eq!(sid, id, "{mode:?}");
        }
        // In its own subnet: nothing to do, whatever the mode.
        let mut sid = 7;
        assert!(check(LeaseChecks::Del, &addr, &mut sid, true, 0));
    }
}
