//! What subnets of both families share, written once over the address
//! family (`Family`: IPv4 or IPv6): addresses, subnet prefixes, Kea's
//! subnet ids (automatic numbering, unique ids, disjoint prefixes), pools,
//! `relay` addresses and a subnet's `interface`.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};

use super::{overlap, V};
use crate::file;

impl V {
    /// An address of family `A`.
    pub(super) fn addr<A: Family>(&mut self, path: &str, s: &str) -> Option<A> {
        match s.trim().parse() {
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    path,
                    format!(
                        "`{s}` is not an {} address: expected e.g. \"{}\"",
                        A::VERSION,
                        A::ADDR_EXAMPLE
                    ),
                );
                None
            }
        }
    }
}

/// An address family: what addresses, prefixes, pools, relays and subnet
/// overlap checks need to know about IPv4 or IPv6.
pub(super) trait Family: Copy + Ord + fmt::Display + FromStr {
    type Net: Copy + PartialEq + fmt::Display + FromStr;
    /// "IPv4" / "IPv6", for messages.
    const VERSION: &'static str;
    const ADDR_EXAMPLE: &'static str;
    const PREFIX_EXAMPLE: &'static str;
    const POOL_EXAMPLE: &'static str;
    /// The address as written (host bits included).
    fn addr(n: &Self::Net) -> Self;
    fn first(n: &Self::Net) -> Self;
    fn last(n: &Self::Net) -> Self;
    fn prefix_len(n: &Self::Net) -> u8;
    fn contains(n: &Self::Net, a: &Self) -> bool {
        Self::first(n) <= *a && *a <= Self::last(n)
    }
    /// The address as an integer, for the overlap checks.
    fn bits(a: Self) -> u128;
    /// The addresses of `n` as integers.
    fn range(n: &Self::Net) -> overlap::Range {
        (Self::bits(Self::first(n)), Self::bits(Self::last(n)))
    }
}

impl Family for Ipv4Addr {
    type Net = Ipv4Net;
    const VERSION: &'static str = "IPv4";
    const ADDR_EXAMPLE: &'static str = "192.0.2.1";
    const PREFIX_EXAMPLE: &'static str = "192.0.2.0/24";
    const POOL_EXAMPLE: &'static str = "\"192.0.2.10 - 192.0.2.20\" or \"192.0.2.64/26\"";
    fn addr(n: &Ipv4Net) -> Self {
        n.addr()
    }
    fn first(n: &Ipv4Net) -> Self {
        n.network()
    }
    fn last(n: &Ipv4Net) -> Self {
        n.broadcast()
    }
    fn prefix_len(n: &Ipv4Net) -> u8 {
        n.prefix_len()
    }
    fn bits(a: Self) -> u128 {
        u128::from(u32::from(a))
    }
}

impl Family for Ipv6Addr {
    type Net = Ipv6Net;
    const VERSION: &'static str = "IPv6";
    const ADDR_EXAMPLE: &'static str = "2001:db8::1";
    const PREFIX_EXAMPLE: &'static str = "2001:db8:1::/64";
    const POOL_EXAMPLE: &'static str =
        "\"2001:db8:1::100 - 2001:db8:1::1ff\" or \"2001:db8:1::/112\"";
    fn addr(n: &Ipv6Net) -> Self {
        n.addr()
    }
    fn first(n: &Ipv6Net) -> Self {
        n.network()
    }
    fn last(n: &Ipv6Net) -> Self {
        n.broadcast()
    }
    fn prefix_len(n: &Ipv6Net) -> u8 {
        n.prefix_len()
    }
    fn bits(a: Self) -> u128 {
        u128::from(a)
    }
}

/// Subnet ids and prefixes of one `subnet4`/`subnet6` list: Kea's
/// automatic numbering, unique ids, disjoint prefixes.
pub(super) struct SubnetList<A: Family> {
    /// Every entry's path, e.g. `Dhcp4.subnet4[0]` or
    /// `Dhcp4.shared-networks[1].subnet4[0]`.
    paths: Vec<String>,
    /// Kea numbers subnets without an id after the highest explicit id.
    next_id: u32,
    ids: HashMap<u32, usize>,
    /// Every entry's prefix, or why it is not one.
    nets: Vec<Result<A::Net, String>>,
    /// For every entry, the earlier entries its prefix overlaps (found all
    /// at once, by sorting: comparing each subnet with every earlier one
    /// took minutes for 100,000 subnets).
    overlaps: Vec<Vec<usize>>,
}

impl<A: Family> SubnetList<A> {
    /// `list`: the path, `id` and `subnet` of every entry, wherever it is
    /// (top-level subnets and those of shared networks share ids and must
    /// not overlap).
    pub(super) fn with_paths<'a>(
        list: impl Iterator<Item = (String, Option<u32>, &'a str)>,
    ) -> Self {
        let mut next_id = 0;
        let mut nets = Vec::new();
        let mut paths = Vec::new();
        for (path, id, subnet) in list {
            next_id = next_id.max(id.unwrap_or(0));
            nets.push(parse_prefix::<A>(subnet));
            paths.push(path);
        }
        let ranges: Vec<Option<overlap::Range>> =
            nets.iter().map(|n| n.as_ref().ok().map(A::range)).collect();
        SubnetList {
            paths,
            next_id,
            ids: HashMap::new(),
            overlaps: overlap::earlier_overlaps(&ranges),
            nets,
        }
    }

    /// The id of entry `i` (0 after an error).
    pub(super) fn id(&mut self, v: &mut V, i: usize, id: Option<u32>) -> u32 {
        let p = self.paths.get(i).cloned().unwrap_or_default();
        let id = match id {
            Some(0) => {
                v.err(format!("{p}.id"), "subnet id 0 is reserved: expected an integer > 0 (or no `id` to number it automatically)");
                0
            }
            Some(id) => id,
            None => {
                self.next_id = self.next_id.saturating_add(1);
                self.next_id
            }
        };
        if id != 0 {
            if let Some(first) = self.ids.insert(id, i) {
                v.err(
                    format!("{p}.id"),
                    format!(
                        "duplicate subnet id {id} (also used by {}): expected unique ids",
                        self.paths.get(first).map_or("", |s| s.as_str())
                    ),
                );
            }
        }
        id
    }

    /// The prefix of entry `i`, checked against the earlier ones.
    pub(super) fn prefix(&self, v: &mut V, i: usize) -> Option<A::Net> {
        let path = format!("{}.subnet", self.paths.get(i)?);
        let net = match self.nets.get(i)? {
            Ok(net) => *net,
            Err(e) => {
                v.err(&path, e.clone());
                return None;
            }
        };
        for &j in self.overlaps.get(i).into_iter().flatten() {
            let Some(Ok(other)) = self.nets.get(j) else {
                continue;
            };
            let how = if *other == net {
                "is the same as"
            } else {
                "overlaps"
            };
            v.err(
                &path,
                format!(
                    "{net} {how} {other} of {}: expected disjoint subnets",
                    self.paths.get(j).map_or("", |s| s.as_str())
                ),
            );
        }
        Some(net)
    }
}

/// A subnet prefix with no host bits set.
pub(super) fn prefix<A: Family>(v: &mut V, path: &str, s: &str) -> Option<A::Net> {
    parse_prefix::<A>(s).map_err(|e| v.err(path, e)).ok()
}

/// A subnet prefix with no host bits set, or what is wrong with `s`.
fn parse_prefix<A: Family>(s: &str) -> Result<A::Net, String> {
    match s.trim().parse::<A::Net>() {
        Ok(net) if A::addr(&net) != A::first(&net) => Err(format!(
            "`{s}` has host bits set: expected the network address, {}/{}",
            A::first(&net),
            A::prefix_len(&net)
        )),
        Ok(net) => Ok(net),
        Err(_) => Err(format!(
            "`{s}` is not a subnet: expected a prefix like \"{}\"",
            A::PREFIX_EXAMPLE
        )),
    }
}

/// `relay`: `ip-addresses`, or the older single `ip-address`.
pub(super) fn relay_addresses<A: Family>(
    v: &mut V,
    p: &str,
    relay: Option<&file::Relay>,
) -> Vec<A> {
    let Some(rel) = relay else {
        return Vec::new();
    };
    if rel.ip_address.is_some() && rel.ip_addresses.is_some() {
        v.err(
            format!("{p}.relay.ip-address"),
            "both `ip-address` and `ip-addresses` given: expected only `ip-addresses`",
        );
    }
    let mut out = Vec::new();
    if let Some(a) = &rel.ip_address {
        out.extend(v.addr::<A>(&format!("{p}.relay.ip-address"), a));
    }
    for (i, a) in rel.ip_addresses.iter().flatten().enumerate() {
        out.extend(v.addr::<A>(&format!("{p}.relay.ip-addresses[{i}]"), a));
    }
    out
}

/// A subnet's `interface`, if set, must name something.
pub(super) fn subnet_interface(v: &mut V, p: &str, ifname: Option<&String>) {
    if let Some(ifname) = ifname {
        if ifname.trim().is_empty() {
            v.err(
                format!("{p}.interface"),
                "empty interface name: expected e.g. \"eth0\"",
            );
        }
    }
}

/// The address ranges of a `pools` list, checked: well-formed, inside the
/// subnet `net`, disjoint. Each with its index in `list`.
pub(super) fn pool_ranges<A: Family>(
    v: &mut V,
    sp: &str,
    list: &[file::Pool],
    net: &A::Net,
) -> Vec<(A, A, usize)> {
    let parsed: Vec<Result<(A, A), String>> = list
        .iter()
        .map(|pool| parse_pool::<A>(&pool.pool))
        .collect();
    let mut added = overlap::Disjoint::new(
        parsed
            .iter()
            .filter_map(|r| r.as_ref().ok().map(|(start, _)| A::bits(*start))),
    );
    let mut out: Vec<(A, A, usize)> = Vec::new();
    for (i, range) in parsed.into_iter().enumerate() {
        let p = format!("{sp}.pools[{i}].pool");
        let (start, end) = match range {
            Ok(r) => r,
            Err(e) => {
                v.err(&p, e);
                continue;
            }
        };
        if !A::contains(net, &start) || !A::contains(net, &end) {
            v.err(
                &p,
                format!(
                    "pool {start} - {end} is not inside subnet {net}: expected addresses in {} - {}",
                    A::first(net),
                    A::last(net)
                ),
            );
            continue;
        }
        let bits = (A::bits(start), A::bits(end));
        if let Some(j) = added.first_overlap(bits) {
            v.err(
                &p,
                format!("pool {start} - {end} overlaps {sp}.pools[{j}]: expected disjoint pools"),
            );
            continue;
        }
        added.insert(bits, i);
        out.push((start, end, i));
    }
    out
}

/// `"A - B"` or a prefix `"A/len"`, or what is wrong with `s`.
fn parse_pool<A: Family>(s: &str) -> Result<(A, A), String> {
    let bad = || format!("`{s}` is not a pool: expected {}", A::POOL_EXAMPLE);
    if s.contains('/') {
        return match s.trim().parse::<A::Net>() {
            Ok(n) => Ok((A::first(&n), A::last(&n))),
            Err(_) => Err(bad()),
        };
    }
    let Some((a, b)) = s.split_once('-') else {
        return Err(bad());
    };
    let (Ok(start), Ok(end)) = (a.trim().parse::<A>(), b.trim().parse::<A>()) else {
        return Err(bad());
    };
    if start > end {
        return Err(format!(
            "pool start {start} is after its end {end}: expected first - last"
        ));
    }
    Ok((start, end))
}
