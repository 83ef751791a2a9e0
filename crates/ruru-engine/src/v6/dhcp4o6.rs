//! The DHCPv6 side of DHCPv4-over-DHCPv6 (RFC 7341, see
//! [`crate::dhcp4o6`]): a DHCPV4-QUERY's DHCPv4 message goes to the
//! DHCPv4 service, its reply comes back in a DHCPV4-RESPONSE.

use dhcproto::v6::{self, DhcpOption, MessageType, OptionCode, UnknownOption};
use tracing::debug;

use super::{Ctx, Drop6, Engine6};
use crate::dhcp4o6::Over6;
use crate::pipeline::Handled;

impl Engine6 {
    /// Answers a DHCPV4-QUERY: its one option 87 to the DHCPv4 service,
    /// the reply in a DHCPV4-RESPONSE with the query's flags (Kea copies
    /// the three octets as they are) and option 87 alone, nothing else
    /// (no Client or Server Identifier, as Kea's).
    pub(super) fn dhcp4o6(&self, ctx: &Ctx<'_>) -> Handled<Self> {
        let q = ctx.q;
        let xid = format_args!("{:#08x}", q.xid());
        let port = self.cfg.dhcp4o6_port;
        let Some(v4) = self.opts.dhcp4o6.as_deref().filter(|_| port != 0) else {
            debug!(xid = %xid, "DHCPV4-QUERY dropped: DHCPv4-over-DHCPv6 is off (dhcp4o6-port)");
            return Handled::Drop(Drop6::Dhcp4o6);
        };
        let msgs = q
            .msg
            .opts()
            .get_all(OptionCode::Dhcpv4Msg)
            .unwrap_or_default();
        let msg = match msgs {
            [DhcpOption::Unknown(o)] => o.data(),
            _ => {
                debug!(xid = %xid, count = msgs.len(), "DHCPV4-QUERY dropped: expected one DHCPv4 message option (87)");
                return Handled::Drop(Drop6::Dhcp4o6);
            }
        };
        let over = Over6 {
            src: *ctx.meta.src.ip(),
            iface: ctx.meta.iface.clone(),
            interface_id: q
                .inner_relay()
                .and_then(|r| r.interface_id())
                .map(<[u8]>::to_vec),
        };
        let Some(reply4) = v4.query(msg, &over, port, ctx.now) else {
            // Not a DHCPv6 drop: a RELEASE or DECLINE has no answer, and the
            // DHCPv4 side counted its own drops.
            debug!(xid = %xid, "DHCPV4-QUERY: no DHCPv4 reply");
            return Handled::Done(super::Outcome6::Drop(Drop6::Dhcp4o6));
        };
        let mut r = v6::Message::new_with_id(MessageType::DHCPv4Response, q.msg.xid());
        r.opts_mut().insert(DhcpOption::Unknown(UnknownOption::new(
            OptionCode::Dhcpv4Msg,
            reply4,
        )));
        Handled::Encode(r)
    }
}
