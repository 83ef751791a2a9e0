//! The options of a DHCPv4 reply: lease time and timers, the options
//! configured at every level (global, shared network, subnet, pool,
//! classes, reservation) as Kea layers them, option 125's vendor
//! sub-options, and the configured server identifiers a query may name.

use std::net::Ipv4Addr;

use ruru_config::{ClientClass4, Dhcp4, OptionData};

use super::reply::Draft;
use super::{packet, tee_times, Ctx, Engine4};

impl Engine4 {
    /// Lease time, T1/T2 and subnet mask, then the common options.
    pub(super) fn lease_options_with(&self, ctx: &Ctx<'_>, d: &mut Draft, valid: u32) {
        let s = ctx.subnet;
        d.add(51, valid.to_be_bytes().to_vec());
        let (t1, t2) = tee_times(s, valid);
        if let Some(t1) = t1 {
            d.add(58, t1.to_be_bytes().to_vec());
        }
        if let Some(t2) = t2 {
            d.add(59, t2.to_be_bytes().to_vec());
        }
        let mask = if s.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(s.prefix_len))
        };
        d.add(1, mask.to_be_bytes().to_vec());
        self.common_options(ctx, d);
    }

    /// Options by precedence (host > pool > subnet > shared network > the
    /// client's classes, in assignment order > global; Kea's
    /// `buildCfgOptionList`):
    /// requested ones (PRL) and always-send ones, plus Kea's always-sent
    /// basics (routers, domain-name-servers, domain-name);
    /// siaddr/sname/file (host > first class that sets it > subnet).
    pub(super) fn common_options(&self, ctx: &Ctx<'_>, d: &mut Draft) {
        let s = ctx.subnet;
        let pool = if d.yiaddr.is_unspecified() {
            None
        } else {
            s.pool_of(d.yiaddr)
        };
        let layers: [&[OptionData]; 4] = [
            ctx.host.as_deref().map_or(&[][..], |h| &h.options[..]),
            pool.map_or(&[][..], |p| &p.options[..]),
            &s.options[..],
            s.network.as_ref().map_or(&[][..], |n| &n.options[..]),
        ];
        let q = ctx.q;
        let defs = &self.cfg.client_classes;
        let classes = ctx.classes.borrow();
        let all = || {
            layers
                .iter()
                .copied()
                .chain(
                    classes
                        .defs()
                        .filter(|_| !defs.is_empty())
                        .filter_map(|i| defs.get(i))
                        .map(|c| &c.options[..]),
                )
                .chain([&self.cfg.options[..]])
        };
        let [never_used, vendor_used] = self.option_uses;
        // Kea 2.6's never-send: an option cancelled at any level is not sent.
        let never = crate::option_levels::never_sent(never_used, all());
        // RFC 6842: the client identifier echoed wins over a configured
        // one (Kea copies it into the reply first). With flex-id's
        // `replace-client-id`, the client's own (if it sent one), whatever
        // `echo-client-id` says (Kea's pkt4_send callout).
        match &q.original_client_id {
            Some(Some(own)) => d.add(61, own.clone()),
            Some(None) => {}
            None if self.cfg.echo_client_id => {
                if let Some(c) = &q.client_id {
                    d.add(61, c.clone());
                }
            }
            None => {}
        }
        // Kea's `appendBasicOptions`: routers, domain name servers, domain
        // name and server identifier are sent when configured, asked for
        // or not.
        let wanted = |o: &OptionData| {
            o.vendor.is_none()
                && !never.contains(&o.code)
                && (o.always_send || matches!(o.code, 3 | 6 | 15 | 54) || q.prl.contains(&o.code))
        };
        for layer in all() {
            for o in layer {
                if wanted(o) && !d.has(o.code) {
                    d.add(o.code, o.data.clone());
                }
            }
        }
        if vendor_used {
            vendor_options(&all().collect::<Vec<_>>(), q, d);
        }
        // Hostname: a reserved one is sent when the client sent option 12
        // or asked for it (INFORM; leases got theirs from `names`).
        if let Some(h) = ctx.host.as_deref().and_then(|h| h.hostname.as_ref()) {
            if (q.hostname.is_some() || q.prl.contains(&12)) && !d.has(12) && !d.has(81) {
                d.add(12, h.as_bytes().to_vec());
            }
        }
        // Kea's setFixedFields: the subnet's, overridden by the first class
        // that sets each, overridden by the reservation's.
        let host = ctx.host.as_deref();
        let [by_next_server, by_sname, by_file] = self.class_fixed;
        let class = |set: bool, f: &dyn Fn(&ClientClass4) -> bool| {
            if !set {
                return None;
            }
            classes.defs().filter_map(|i| defs.get(i)).find(|c| f(c))
        };
        d.siaddr = host
            .and_then(|h| h.next_server)
            .or_else(|| {
                class(by_next_server, &|c| {
                    c.next_server.is_some_and(|a| !a.is_unspecified())
                })
                .and_then(|c| c.next_server)
            })
            .unwrap_or(s.next_server);
        d.sname = host
            .and_then(|h| h.server_hostname.clone())
            .or_else(|| {
                class(by_sname, &|c| {
                    c.server_hostname.as_ref().is_some_and(|n| !n.is_empty())
                })
                .and_then(|c| c.server_hostname.clone())
            })
            .unwrap_or_else(|| s.server_hostname.clone())
            .into_bytes();
        d.file = host
            .and_then(|h| h.boot_file_name.clone())
            .or_else(|| {
                class(by_file, &|c| {
                    c.boot_file_name.as_ref().is_some_and(|n| !n.is_empty())
                })
                .and_then(|c| c.boot_file_name.clone())
            })
            .unwrap_or_else(|| s.boot_file_name.clone())
            .into_bytes();
    }
}

/// The `dhcp-server-identifier` values configured globally, in classes,
/// subnets and shared networks (Kea's `acceptServerId` looks there).
pub(super) fn configured_server_ids(cfg: &Dhcp4) -> Vec<Ipv4Addr> {
    let mut lists: Vec<&[OptionData]> = vec![&cfg.options];
    lists.extend(cfg.client_classes.iter().map(|c| &c.options[..]));
    for s in &cfg.subnets {
        lists.push(&s.options);
        if let Some(n) = &s.network {
            lists.push(&n.options);
        }
    }
    let mut ids: Vec<Ipv4Addr> = lists
        .iter()
        .flat_map(|l| l.iter())
        .filter(|o| o.code == 54 && o.vendor.is_none())
        .filter_map(|o| <[u8; 4]>::try_from(&o.data[..]).ok())
        .map(Ipv4Addr::from)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Option 125 with the always-send sub-options of the reply's vendor
/// (see [`crate::vendor`]); `layers` in precedence order.
fn vendor_options(layers: &[&[OptionData]], q: &packet::Query4, d: &mut Draft) {
    let rsp = d.options.iter().position(|(c, _)| *c == 125);
    let query = match q.msg.opts().get(dhcproto::v4::OptionCode::Unknown(125)) {
        Some(dhcproto::v4::DhcpOption::Unknown(u)) => Some(u.data()),
        _ => None,
    };
    let from_query = query.and_then(crate::vendor::vendor_id);
    let requested = query.map_or_else(Vec::new, |p| crate::vendor::docsis_oro(true, p));
    let from_reply = rsp.and_then(|i| crate::vendor::vendor_id(&d.options[i].1));
    let Some(id) = from_reply.or(from_query) else {
        return;
    };
    let items: Vec<crate::vendor::VendorItem<'_>> = layers
        .iter()
        .flat_map(|l| l.iter())
        .filter_map(|o| Some((o.vendor?, u16::from(o.code), &o.data[..], o.always_send)))
        .collect();
    let existing = rsp.map(|i| &d.options[i].1[..]);
    if let Some(payload) = crate::vendor::vendor_option(true, id, existing, &requested, &items) {
        match rsp {
            Some(i) => d.options[i].1 = payload,
            None => d.options.push((125, payload)),
        }
    }
}
