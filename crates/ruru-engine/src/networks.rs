//! Shared networks as both engines see them: which subnets are in the
//! network of each subnet (the candidates of allocation, in order), and
//! the order subnets are looked at in: by subnet id, as Kea 2.2 keeps them
//! (checked with kea-dhcp4 2.2: of two subnets with the same relay
//! address, the one with the lower id is selected, wherever each is in
//! the file).
//!
//! The order a packet tries them in, and when it moves to the next, are
//! `crate::pipeline`'s; which one a client starts with is each family's
//! (`v4/family.rs`, `v6/family.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use ruru_config::SharedNetwork;

/// For each subnet (given by its network, if any, in the engine's subnet
/// order; `ids` their subnet ids), the indices of its network's subnets by
/// subnet id; empty for a subnet in no network. Networks are told apart by
/// name (unique in a section).
pub(crate) fn members<'a, O: 'a>(
    networks: impl Iterator<Item = Option<&'a SharedNetwork<O>>>,
    ids: &[u32],
) -> Vec<Arc<[usize]>> {
    let names: Vec<Option<&str>> = networks.map(|n| n.map(|n| n.name.as_str())).collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for i in by_id(ids).iter().copied() {
        if let Some(n) = names.get(i).copied().flatten() {
            groups.entry(n).or_default().push(i);
        }
    }
    let shared: BTreeMap<&str, Arc<[usize]>> = groups
        .into_iter()
        .map(|(n, list)| (n, Arc::from(list)))
        .collect();
    let none: Arc<[usize]> = Arc::from(Vec::new());
    names
        .iter()
        .map(|n| {
            n.and_then(|n| shared.get(n))
                .map_or_else(|| Arc::clone(&none), Arc::clone)
        })
        .collect()
}

/// The indices of subnets with these `ids` (in the engine's order), by
/// subnet id: the order subnet selection looks at them in.
pub(crate) fn by_id(ids: &[u32]) -> Arc<[usize]> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by_key(|&i| ids[i]);
    Arc::from(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str) -> SharedNetwork<u8> {
        SharedNetwork {
            name: name.into(),
            options: Vec::new(),
            client_classes: Vec::new(),
        }
    }

    #[test]
    fn subnets_are_grouped_by_network_in_order() {
        let (a, b) = (net("a"), net("b"));
        let nets = [None, Some(&a), Some(&b), Some(&a), None];
        let m = members(nets.into_iter(), &[1, 2, 3, 4, 5]);
        assert!(m[0].is_empty());
        assert_eq!(&m[1][..], &[1, 3]);
        assert_eq!(&m[2][..], &[2]);
        assert_eq!(&m[3][..], &[1, 3]);
        assert!(m[4].is_empty());
        // By subnet id, not by place in the file.
        let m = members(nets.into_iter(), &[1, 9, 3, 4, 5]);
        assert_eq!(&m[1][..], &[3, 1]);
        assert_eq!(&by_id(&[7, 3, 5])[..], &[1, 2, 0]);
    }
}
