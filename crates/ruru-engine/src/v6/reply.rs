//! Building, encoding and addressing a DHCPv6 reply.
//!
//! Status codes; the IA options (IAADDR / IAPREFIX with OPTION_PD_EXCLUDE,
//! RFC 6603, inside IA_NA / IA_PD with their T1 and T2); then, once the
//! handlers have filled the IAs, the identifiers and requested options
//! (host > pool > subnet > global); encoding with Relay-reply wrapping, and
//! the destination. (`pkt6_send` and `buffer6_send` run between these, in
//! `crate::pipeline`.)

use std::net::{Ipv6Addr, SocketAddrV6};

use dhcproto::v6::{
    self, DhcpOption, IAAddr, IAPrefix, OptionCode, Status, StatusCode, IANA, IAPD,
};
use dhcproto::{Encodable, Encoder};
use ruru_config::{OptionData6, Subnet6};
use ruru_lease::{Lease6, LeaseType6};

use super::packet::{self, Query6};
use super::{Ctx, Engine6, RecvMeta6, SERVER_PORT};

pub(super) fn status(code: Status, msg: &str) -> DhcpOption {
    DhcpOption::StatusCode(StatusCode {
        status: code,
        msg: msg.to_string(),
    })
}

/// An IAADDR (or IAPREFIX for a prefix) with its lifetimes.
pub(super) fn entry(kind: LeaseType6, a: Ipv6Addr, len: u8, pref: u32, valid: u32) -> DhcpOption {
    let opts = v6::DhcpOptions::new();
    match kind {
        LeaseType6::Pd => DhcpOption::IAPrefix(IAPrefix {
            preferred_lifetime: pref,
            valid_lifetime: valid,
            prefix_len: len,
            prefix_ip: a,
            opts,
        }),
        _ => DhcpOption::IAAddr(IAAddr {
            addr: a,
            preferred_life: pref,
            valid_life: valid,
            opts,
        }),
    }
}

/// The reply IA of `kind` around `opts`.
pub(super) fn wrap(
    kind: LeaseType6,
    id: u32,
    t1: u32,
    t2: u32,
    opts: v6::DhcpOptions,
) -> DhcpOption {
    match kind {
        LeaseType6::Pd => DhcpOption::IAPD(IAPD { id, t1, t2, opts }),
        _ => DhcpOption::IANA(IANA { id, t1, t2, opts }),
    }
}

impl Engine6 {
    /// T1 and T2 for an IA whose (shortest) preferred lifetime is `pref`:
    /// configured timers win, else the percentages of `pref` when
    /// `calculate-tee-times` is on, else 0 (the client chooses).
    pub(super) fn tee(&self, s: &Subnet6, pref: u32) -> (u32, u32) {
        let pct = |p: f64| (f64::from(pref) * p) as u32;
        let t1 = s.renew_timer.unwrap_or(if s.calculate_tee_times {
            pct(s.t1_percent)
        } else {
            0
        });
        let t2 = s.rebind_timer.unwrap_or(if s.calculate_tee_times {
            pct(s.t2_percent)
        } else {
            0
        });
        (t1.min(t2.max(t1)), t2)
    }

    /// The IAADDR / IAPREFIX for lease `l` with these lifetimes; a
    /// delegated prefix carries OPTION_PD_EXCLUDE (RFC 6603) when the
    /// client asked for it (ORO 67) and there is an excluded prefix: the
    /// reservation's (`excluded-prefixes`) for a prefix the client's host
    /// reserves (none if that entry has none, even in a pool with one, as
    /// in Kea's `getPDExclude`), else its pool's `excluded-prefix`.
    pub(super) fn entry_for(&self, ctx: &Ctx<'_>, l: &Lease6, pref: u32, valid: u32) -> DhcpOption {
        let mut e = entry(l.lease_type, l.address, l.prefix_len, pref, valid);
        if let DhcpOption::IAPrefix(p) = &mut e {
            if ctx.q.oro.contains(&67) {
                let reserved = ctx
                    .host
                    .as_deref()
                    .filter(|h| h.prefixes.contains(&(l.address, l.prefix_len)));
                let excluded = match reserved {
                    Some(h) => h.excluded_prefix(l.address, l.prefix_len),
                    None => ctx
                        .subnet
                        .pd_pools
                        .iter()
                        .find(|pp| pp.contains(l.address, l.prefix_len))
                        .and_then(|pp| pp.excluded),
                };
                if let Some(x) = excluded.and_then(|x| pd_exclude(l.address, l.prefix_len, x)) {
                    p.opts.insert(DhcpOption::Unknown(v6::UnknownOption::new(
                        OptionCode::from(67),
                        x,
                    )));
                }
            }
        }
        e
    }

    /// The server and client identifiers and the requested options, added
    /// to every reply before `pkt6_send`.
    pub(super) fn reply_options(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) {
        reply
            .opts_mut()
            .insert(DhcpOption::ServerId(self.opts.server_duid.clone()));
        let duid = ctx.sent_duid();
        if !duid.is_empty() {
            reply.opts_mut().insert(DhcpOption::ClientId(duid.to_vec()));
        }
        // Options by precedence: host > pool > subnet > classes > global;
        // ORO or always-send.
        let s = ctx.subnet;
        let mut added: Vec<u16> = Vec::new();
        // The pool (or PD pool) of the first address (prefix) given.
        let first_na = reply.opts().iter().find_map(|o| match o {
            DhcpOption::IANA(ia) => ia.opts.iter().find_map(|x| match x {
                DhcpOption::IAAddr(a) => Some(a.addr),
                _ => None,
            }),
            _ => None,
        });
        let first_pd = reply.opts().iter().find_map(|o| match o {
            DhcpOption::IAPD(ia) => ia.opts.iter().find_map(|x| match x {
                DhcpOption::IAPrefix(p) => Some((p.prefix_ip, p.prefix_len)),
                _ => None,
            }),
            _ => None,
        });
        let pool_opts = first_na
            .and_then(|a| s.pools.iter().find(|p| p.contains(a)))
            .map_or(&[][..], |p| &p.options[..]);
        let pd_opts = first_pd
            .and_then(|(p, l)| s.pd_pools.iter().find(|pp| pp.contains(p, l)))
            .map_or(&[][..], |p| &p.options[..]);
        // ... > shared network > the client's classes, in assignment order
        // > global (Kea's buildCfgOptionList).
        let defs = &self.cfg.client_classes;
        let classes = ctx.classes.borrow();
        let layers: [&[OptionData6]; 5] = [
            ctx.host.as_deref().map_or(&[][..], |h| &h.options[..]),
            pool_opts,
            pd_opts,
            &s.options[..],
            s.network.as_ref().map_or(&[][..], |n| &n.options[..]),
        ];
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
        // Option 17 is completed with vendor sub-options below.
        let mut vendor_opts: Option<Vec<u8>> = None;
        // What the server put in the reply itself (identifiers, IAs,
        // status, rapid commit, its Client FQDN answer) wins over a
        // configured option with the same code, as in Kea, whose
        // `appendRequestedOptions` adds only the options not yet present.
        let own: Vec<u16> = reply
            .opts()
            .iter()
            .map(|o| u16::from(OptionCode::from(o)))
            .collect();
        for layer in all() {
            for o in layer {
                if o.vendor.is_none()
                    && !never.contains(&o.code)
                    && (o.always_send || ctx.q.oro.contains(&o.code))
                    && !added.contains(&o.code)
                    && !own.contains(&o.code)
                {
                    added.push(o.code);
                    if o.code == 17 {
                        vendor_opts = Some(o.data.clone());
                        continue;
                    }
                    reply
                        .opts_mut()
                        .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                            OptionCode::from(o.code),
                            o.data.clone(),
                        )));
                }
            }
        }
        // The packet parser keeps the client's option 17 raw.
        let (from_query, requested) = match ctx.q.msg.opts().get(OptionCode::VendorOpts) {
            _ if !vendor_used => (None, Vec::new()),
            Some(DhcpOption::Unknown(u)) => (
                crate::vendor::vendor_id(u.data()),
                crate::vendor::docsis_oro(false, u.data()),
            ),
            Some(DhcpOption::VendorOpts(v)) => (Some(v.num), Vec::new()),
            _ => (None, Vec::new()),
        };
        let from_reply = vendor_opts
            .as_deref()
            .filter(|_| vendor_used)
            .and_then(crate::vendor::vendor_id);
        if let Some(id) = from_reply.or(from_query) {
            let items: Vec<crate::vendor::VendorItem<'_>> = all()
                .flat_map(|l| l.iter())
                .filter_map(|o| Some((o.vendor?, o.code, &o.data[..], o.always_send)))
                .collect();
            if let Some(p) =
                crate::vendor::vendor_option(false, id, vendor_opts.as_deref(), &requested, &items)
            {
                vendor_opts = Some(p);
            }
        }
        if let Some(data) = vendor_opts {
            reply
                .opts_mut()
                .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                    OptionCode::from(17),
                    data,
                )));
        }
        self.relay_supplied(ctx, reply);
    }

    /// RFC 6422 as Kea's `processRSOO`: the options in each relay's
    /// Relay-Supplied Options option (66), the relay closest to the client
    /// first, each in code order, that are RSOO-enabled (`65` and
    /// `relay-supplied-options`) and that the reply does not have yet.
    fn relay_supplied(&self, ctx: &Ctx<'_>, reply: &mut v6::Message) {
        for rsoo in ctx.q.relays.iter().rev().filter_map(|r| r.rsoo()) {
            let mut opts: Vec<(u16, &[u8])> = Vec::new();
            let mut r = rsoo;
            while let [c0, c1, l0, l1, rest @ ..] = r {
                let len = usize::from(u16::from_be_bytes([*l0, *l1]));
                let Some(data) = rest.get(..len) else { break };
                opts.push((u16::from_be_bytes([*c0, *c1]), data));
                r = &rest[len..];
            }
            // Kea keeps a relay's options by code (stable for equal codes).
            opts.sort_by_key(|(c, _)| *c);
            for (code, data) in opts {
                if self.cfg.rsoo_enabled.binary_search(&code).is_ok()
                    && reply.opts().get(OptionCode::from(code)).is_none()
                {
                    reply
                        .opts_mut()
                        .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                            OptionCode::from(code),
                            data.to_vec(),
                        )));
                }
            }
        }
    }
}

/// The reply's bytes, wrapped in the relay chain's Relay-reply messages;
/// `None` if it cannot be encoded.
#[inline]
pub(super) fn encode(reply: &v6::Message, relays: &[packet::Relay]) -> Option<Vec<u8>> {
    let mut inner = Vec::with_capacity(256);
    reply.encode(&mut Encoder::new(&mut inner)).ok()?;
    let out = if relays.is_empty() {
        inner
    } else {
        packet::wrap_relays(inner, relays)
    };
    // Larger than a UDP datagram can carry: the encoder would also have cut
    // some option's 16-bit length, so the bytes are not a valid message.
    // Not sent (the pipeline drops it as unencodable, counted).
    (out.len() <= MAX_UDP6_PAYLOAD).then_some(out)
}

/// The largest UDP payload over IPv6 without jumbograms: 65,535 bytes of
/// IPv6 payload less the 8-byte UDP header. A reply (with its relay
/// encapsulations) that does not fit is not sent.
pub(super) const MAX_UDP6_PAYLOAD: usize = 65_527;

/// Where the reply goes: to the client's port, or when the query was
/// relayed to the relay's server port — or, when that relay added a Relay
/// Source Port option (RFC 8357 §5.2, as Kea), to the port it sent from.
#[inline]
pub(super) fn destination(q: &Query6, meta: &RecvMeta6, client_port: u16) -> SocketAddrV6 {
    let port = match q.relays.first() {
        None => client_port,
        Some(r) if r.relay_source_port().is_some() => meta.src.port(),
        Some(_) => SERVER_PORT,
    };
    SocketAddrV6::new(*meta.src.ip(), port, 0, meta.src.scope_id())
}

/// OPTION_PD_EXCLUDE's payload (RFC 6603 §4.2) for a prefix delegated
/// with length `plen` from a pool with `excluded-prefix` `x`: the excluded
/// prefix length, then its bits after the first `plen` (the "IPv6 subnet
/// ID"), left-aligned in ceil((xlen - plen) / 8) bytes. As in Kea, the same
/// subnet ID is excluded from every prefix of the pool. `_p` is the
/// delegated prefix (its own bits do not appear in the option).
pub(super) fn pd_exclude(_p: Ipv6Addr, plen: u8, x: (Ipv6Addr, u8)) -> Option<Vec<u8>> {
    let (xa, xlen) = x;
    if xlen <= plen || xlen > 128 {
        return None;
    }
    let mask = |len: u8| {
        if len == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(len))
        }
    };
    let xv = u128::from(xa);
    let bits = u32::from(xlen - plen);
    let n = usize::try_from(bits.div_ceil(8)).ok()?;
    // The subnet-id bits, moved to the top of a u128, then the first bytes.
    let id = (xv << plen) & mask(u8::try_from(bits).ok()?);
    let mut out = vec![xlen];
    out.extend_from_slice(&id.to_be_bytes()[..n]);
    Some(out)
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A reply too large for one datagram is not encoded (before, option
    /// lengths wrapped and a malformed message went out).
    #[test]
    fn a_reply_larger_than_a_datagram_is_not_encoded() {
        let msg = |n: usize, len: usize| {
            let mut m = v6::Message::new(v6::MessageType::Reply);
            for i in 0..n {
                m.opts_mut()
                    .insert(DhcpOption::Unknown(v6::UnknownOption::new(
                        OptionCode::from(200 + i as u16),
                        vec![0xab; len],
                    )));
            }
            m
        };
        let fits = encode(&msg(1, 1000), &[]).expect("a small reply");
        assert!(fits.len() < 1100);
        assert_eq!(encode(&msg(2, 40_000), &[]), None, "80 kB of options");
        assert_eq!(encode(&msg(1, 70_000), &[]), None, "one option over 64 KiB");
    }
}
