//! Shared networks as both engines see them: which subnets are in the
//! network of each subnet (the candidates of allocation, in order).
//!
//! The order a packet tries them in, and when it moves to the next, are
//! `crate::pipeline`'s; which one a client starts with is each family's
//! (`v4/family.rs`, `v6/family.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use ruru_config::SharedNetwork;

/// For each subnet (given by its network, if any, in the engine's subnet
/// order), the indices of its network's subnets in that order; empty for
/// a subnet in no network. Networks are told apart by name (unique in a
/// section).
pub(crate) fn members<'a, O: 'a>(
    networks: impl Iterator<Item = Option<&'a SharedNetwork<O>>>,
) -> Vec<Arc<[usize]>> {
    let names: Vec<Option<&str>> = networks.map(|n| n.map(|n| n.name.as_str())).collect();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        if let Some(n) = n {
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
        let m = members([None, Some(&a), Some(&b), Some(&a), None].into_iter());
        assert!(m[0].is_empty());
        assert_eq!(&m[1][..], &[1, 3]);
        assert_eq!(&m[2][..], &[2]);
        assert_eq!(&m[3][..], &[1, 3]);
        assert!(m[4].is_empty());
    }
}
