//! The DHCPv4 engine's side of dynamic DNS: the client's name for a lease
//! (with `ddns4_update`), the `ddns-*` parameters in force for a lease, and
//! the name-change requests it makes (Kea's
//! `queueNCR`) through the server's updater ([`crate::DdnsSink`]).

use std::net::Ipv4Addr;

use ruru_config::Subnet4;
use ruru_lease::Lease4;

use super::{names, Ctx, Engine4};
use crate::hooks::{HookArgs, HookPoint};

impl Engine4 {
    /// The client's name for a lease of `addr` (see `names`).
    pub(super) fn name(&self, ctx: &Ctx<'_>, addr: Ipv4Addr) -> names::Name4 {
        let reserved = ctx.host.as_deref().and_then(|h| h.hostname.as_deref());
        let mut name = names::decide(ctx.q, reserved, Self::ddns_params(ctx.subnet, addr), addr);
        if let Some(h) = self.hooks_at(HookPoint::Ddns4Update) {
            let mut pcm = ctx.pc.borrow_mut();
            let mut a = HookArgs::new(HookPoint::Ddns4Update, &mut pcm);
            a.query = Some(ctx.q);
            a.subnet_id = Some(ctx.subnet.id);
            let (hostname, fwd, rev) =
                crate::ddns::update_hook(h, a, &name.hostname, name.fwd, name.rev);
            (name.fwd, name.rev) = (fwd, rev);
            if hostname != name.hostname {
                names::rename(&mut name, &hostname);
            }
        }
        name
    }

    /// The `ddns-*` parameters for a lease of `addr` in `s`: its pool's.
    pub(super) fn ddns_params(s: &Subnet4, addr: Ipv4Addr) -> &ruru_config::DdnsParams {
        s.pool_of(addr).map_or(&s.ddns, |p| &p.ddns)
    }

    /// Asks again for the DNS add of `l` (Kea's `lease4-resend-ddns`);
    /// false when `dhcp-ddns` updates are off.
    pub fn resend_ddns(&self, l: &Lease4) -> bool {
        if self.ddns_sink().is_none() {
            return false;
        }
        self.queue_ncr(ruru_ddns::ChangeType::Add, l, 1);
        true
    }

    /// The DNS updater, when updates are on.
    pub(super) fn ddns_sink(&self) -> Option<&dyn crate::DdnsSink> {
        self.opts
            .ddns
            .as_deref()
            .filter(|_| self.cfg.ddns_client.enable_updates)
    }

    /// Asks for the DNS change `change` of lease `l` (Kea's `queueNCR`),
    /// `htype` the client's hardware type (1 when not known).
    pub(super) fn queue_ncr(&self, change: ruru_ddns::ChangeType, l: &Lease4, htype: u8) {
        let Some(sink) = self.ddns_sink() else {
            return;
        };
        let subnet = self.cfg.subnets.iter().find(|s| s.id == l.subnet_id);
        let n = crate::ddns::Names {
            hostname: &l.hostname,
            fwd: l.fqdn_fwd,
            rev: l.fqdn_rev,
        };
        let dhcid = |name: &str| match l.client_id.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => ruru_ddns::Dhcid::from_client_id(c, name),
            None => ruru_ddns::Dhcid::from_hwaddr(htype, &l.hwaddr, name),
        };
        crate::ddns::submit(
            sink,
            change,
            &n,
            std::net::IpAddr::V4(l.addr),
            dhcid,
            l.valid_lifetime,
            l.expire,
            subnet.map(|s| Self::ddns_params(s, l.addr)),
        );
    }
}
