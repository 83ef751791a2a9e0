//! [`Callout`]: typed access to the arguments of one callout invocation.
//!
//! Every accessor returns `Result<_, ApiError>`: [`ApiError::NoField`] when
//! the hook point has no such argument (e.g. `lease4.*` at `pkt4_receive`),
//! [`ApiError::ReadOnly`] when it cannot be changed there. Options and
//! context values that are simply absent are `Ok(None)`.

use std::ffi::{CStr, CString};
use std::net::Ipv4Addr;

use crate::error::ApiError;
use crate::ffi::RawCallout;
use crate::log::Logger;

/// One invocation of a callout. Valid only during the callout; it cannot be
/// kept or sent to another thread.
pub struct Callout<'a> {
    pub(crate) raw: RawCallout<'a>,
    log: &'a Logger,
}

fn c_name(name: &str) -> Result<CString, ApiError> {
    CString::new(name).map_err(|_| ApiError::Invalid)
}

/// Absent (`RURU_ENOFIELD`) becomes `None`.
fn optional(r: Result<Vec<u8>, ApiError>) -> Result<Option<Vec<u8>>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::NoField) => Ok(None),
        Err(e) => Err(e),
    }
}

fn text(bytes: Vec<u8>) -> Result<String, ApiError> {
    String::from_utf8(bytes).map_err(|_| ApiError::Invalid)
}

impl<'a> Callout<'a> {
    pub(crate) fn new(raw: RawCallout<'a>, log: &'a Logger) -> Callout<'a> {
        Callout { raw, log }
    }

    /// The hook point of this invocation (`"pkt4_receive"`, ...).
    pub fn hook_point(&self) -> &'a str {
        self.raw.hook_point()
    }

    /// The library's logger.
    pub fn log(&self) -> &'a Logger {
        self.log
    }

    /// The query (`query4.*`, options of `"query4"`).
    pub fn query(&self) -> Query<'_, 'a> {
        Query { c: self }
    }

    /// The response being built (`response4.*`, options of `"response4"`);
    /// writable at `pkt4_send`.
    pub fn response(&self) -> Response<'_, 'a> {
        Response { c: self }
    }

    /// The lease (`lease4.*`) at the lease hook points.
    pub fn lease(&self) -> Lease<'_, 'a> {
        Lease { c: self }
    }

    /// `subnet4.id`: the selected subnet (0: none).
    pub fn subnet_id(&self) -> Result<u32, ApiError> {
        self.raw.get_u32(c"subnet4.id")
    }

    /// Selects another subnet at `subnet4_select` (0: none, the packet is
    /// then dropped as having no subnet).
    pub fn set_subnet_id(&self, id: u32) -> Result<(), ApiError> {
        self.raw.set_u32(c"subnet4.id", id)
    }

    /// `fake_allocation` at `lease4_select`: true for a DISCOVER (nothing
    /// is stored), false for a REQUEST.
    pub fn fake_allocation(&self) -> Result<bool, ApiError> {
        self.raw.get_u32(c"fake_allocation").map(|v| v != 0)
    }

    /// `remove_lease` at `lease4_expire`.
    pub fn remove_lease(&self) -> Result<bool, ApiError> {
        self.raw.get_u32(c"remove_lease").map(|v| v != 0)
    }

    /// Sets `remove_lease` at `lease4_expire`.
    pub fn set_remove_lease(&self, remove: bool) -> Result<(), ApiError> {
        self.raw.set_u32(c"remove_lease", u32::from(remove))
    }

    /// `buffer4`: the raw packet at `buffer4_receive` / `buffer4_send`.
    pub fn buffer(&self) -> Result<Vec<u8>, ApiError> {
        self.raw.get_bytes(c"buffer4")
    }

    /// Replaces `buffer4` at `buffer4_receive` / `buffer4_send`.
    pub fn set_buffer(&self, bytes: &[u8]) -> Result<(), ApiError> {
        self.raw.set_bytes(c"buffer4", bytes)
    }

    /// A text field: `deleted_leases4`, `command.name`, `command.arguments`,
    /// `command.response`, `config`.
    pub fn text(&self, field: &str) -> Result<String, ApiError> {
        text(self.get_bytes(field)?)
    }

    /// Sets a text field (`command.response` at `command_processed`).
    pub fn set_text(&self, field: &str, value: &str) -> Result<(), ApiError> {
        self.set_bytes(field, value.as_bytes())
    }

    /// The value this library stored under `key` for the same packet in an
    /// earlier callout, if any.
    pub fn context_get(&self, key: &str) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.raw.context_get(&c_name(key)?))
    }

    /// Stores `value` under `key` for this library's later callouts for
    /// the same packet.
    pub fn context_set(&self, key: &str, value: &[u8]) -> Result<(), ApiError> {
        self.raw.context_set(&c_name(key)?, value)
    }

    /// Any numeric field by name (an IPv4 address is a `u32` in host order).
    pub fn get_u32(&self, field: &str) -> Result<u32, ApiError> {
        self.raw.get_u32(&c_name(field)?)
    }

    /// Writes any numeric field by name.
    pub fn set_u32(&self, field: &str, value: u32) -> Result<(), ApiError> {
        self.raw.set_u32(&c_name(field)?, value)
    }

    /// Any byte or text field by name.
    pub fn get_bytes(&self, field: &str) -> Result<Vec<u8>, ApiError> {
        self.raw.get_bytes(&c_name(field)?)
    }

    /// Writes any byte or text field by name.
    pub fn set_bytes(&self, field: &str, value: &[u8]) -> Result<(), ApiError> {
        self.raw.set_bytes(&c_name(field)?, value)
    }

    /// `id_value` at `host4_identifier` / `host6_identifier`: sets the
    /// flexible identifier of this packet (reservations with a matching
    /// `flex-id` apply to it).
    pub fn set_flex_id(&self, id: &[u8]) -> Result<(), ApiError> {
        self.raw.set_bytes(c"id_value", id)
    }

    /// `hostname` at `ddns4_update` / `ddns6_update`: the client's name as
    /// the server decided it (empty: none).
    pub fn ddns_hostname(&self) -> Result<String, ApiError> {
        text(self.raw.get_bytes(c"hostname")?)
    }

    /// Gives the client another name at `ddns4_update` / `ddns6_update`:
    /// the lease records it, the reply's FQDN or Host Name option carries
    /// it and the DNS updates use it.
    pub fn set_ddns_hostname(&self, name: &str) -> Result<(), ApiError> {
        self.raw.set_bytes(c"hostname", name.as_bytes())
    }

    /// `fwd-update` and `rev-update` at `ddns4_update` / `ddns6_update`:
    /// whether the server updates the forward and the reverse zone.
    pub fn ddns_updates(&self) -> Result<(bool, bool), ApiError> {
        Ok((
            self.raw.get_u32(c"fwd-update")? != 0,
            self.raw.get_u32(c"rev-update")? != 0,
        ))
    }

    /// Sets `fwd-update` and `rev-update` (false, false: no DNS update for
    /// this client).
    pub fn set_ddns_updates(&self, fwd: bool, rev: bool) -> Result<(), ApiError> {
        self.raw.set_u32(c"fwd-update", u32::from(fwd))?;
        self.raw.set_u32(c"rev-update", u32::from(rev))
    }

    /// Parks this packet: returns the handle to finish it later (from any
    /// thread); the callout must then return [`crate::Status::Park`].
    /// [`ApiError::NoField`] where the hook point cannot park.
    pub fn park(&self) -> Result<crate::ParkedPacket, ApiError> {
        let id = self.raw.get_u64(c"parking_id")?;
        Ok(crate::ParkedPacket::new(id, self.log.sink().clone()))
    }

    /// A raw 64-bit field (`parking_id`, `lease4.expire`, `lease6.expire`).
    pub fn get_u64(&self, field: &str) -> Result<u64, ApiError> {
        self.raw.get_u64(&c_name(field)?)
    }

    fn addr(&self, field: &CStr) -> Result<Ipv4Addr, ApiError> {
        self.raw.get_u32(field).map(Ipv4Addr::from)
    }
}

/// The query (`query4`), read-only.
pub struct Query<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Query<'_, '_> {
    /// `query4.xid`.
    pub fn xid(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"query4.xid")
    }

    /// `query4.msg_type`: the DHCP message type (1 DISCOVER, 3 REQUEST, ...).
    pub fn msg_type(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"query4.msg_type")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    /// `query4.hwaddr`: chaddr (hlen bytes).
    pub fn hwaddr(&self) -> Result<Vec<u8>, ApiError> {
        self.c.raw.get_bytes(c"query4.hwaddr")
    }

    /// `query4.htype`.
    pub fn htype(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"query4.htype")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    /// `query4.classes`: the client classes the packet is in so far
    /// (Kea's `getClasses()`), in the order they were assigned; empty where
    /// the server has not classified it (before `pkt4_receive`, or without
    /// classes in the configuration and no library to show them to).
    pub fn classes(&self) -> Result<Vec<String>, ApiError> {
        let Some(json) = optional(self.c.raw.get_bytes(c"query4.classes"))? else {
            return Ok(Vec::new());
        };
        Ok(serde_json::from_slice(&json).unwrap_or_default())
    }

    /// `query4.client_id`: option 61, if the client sent one.
    pub fn client_id(&self) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_bytes(c"query4.client_id"))
    }

    pub fn ciaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"query4.ciaddr")
    }

    pub fn giaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"query4.giaddr")
    }

    pub fn yiaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"query4.yiaddr")
    }

    pub fn siaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"query4.siaddr")
    }

    /// The payload of option `code`, if present.
    pub fn option(&self, code: u16) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_option(c"query4", code))
    }
}

/// The response (`response4`); writable at `pkt4_send`.
pub struct Response<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Response<'_, '_> {
    /// `response4.msg_type` (2 OFFER, 5 ACK, 6 NAK).
    pub fn msg_type(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"response4.msg_type")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    pub fn set_msg_type(&self, t: u8) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"response4.msg_type", u32::from(t))
    }

    pub fn yiaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"response4.yiaddr")
    }

    pub fn set_yiaddr(&self, a: Ipv4Addr) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"response4.yiaddr", u32::from(a))
    }

    pub fn siaddr(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"response4.siaddr")
    }

    pub fn set_siaddr(&self, a: Ipv4Addr) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"response4.siaddr", u32::from(a))
    }

    /// The payload of option `code`, if present.
    pub fn option(&self, code: u16) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_option(c"response4", code))
    }

    /// Adds option `code` or replaces its payload.
    pub fn set_option(&self, code: u16, payload: &[u8]) -> Result<(), ApiError> {
        self.c.raw.set_option(c"response4", code, payload)
    }

    /// Removes option `code` ([`ApiError::NoField`] when it is absent).
    pub fn remove_option(&self, code: u16) -> Result<(), ApiError> {
        self.c.raw.remove_option(c"response4", code)
    }
}

/// The lease (`lease4`) at `lease4_select`, `lease4_renew`,
/// `lease4_release`, `lease4_decline`, `leases4_committed`,
/// `lease4_expire`, `lease4_recover`, `lease4_offer`,
/// `lease4_server_decline`.
pub struct Lease<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Lease<'_, '_> {
    /// `lease4.address`.
    pub fn address(&self) -> Result<Ipv4Addr, ApiError> {
        self.c.addr(c"lease4.address")
    }

    /// Gives the client this address instead (at `lease4_select` only). It
    /// must be in the selected subnet but need not be in a pool.
    pub fn set_address(&self, a: Ipv4Addr) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"lease4.address", u32::from(a))
    }

    /// `lease4.valid_lifetime` in seconds.
    pub fn valid_lifetime(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease4.valid_lifetime")
    }

    /// Changes the lifetime (at `lease4_select` and `lease4_renew`).
    pub fn set_valid_lifetime(&self, seconds: u32) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"lease4.valid_lifetime", seconds)
    }

    /// `lease4.hwaddr`.
    pub fn hwaddr(&self) -> Result<Vec<u8>, ApiError> {
        self.c.raw.get_bytes(c"lease4.hwaddr")
    }

    /// `lease4.client_id`, if the client sent one.
    pub fn client_id(&self) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_bytes(c"lease4.client_id"))
    }

    /// `lease4.subnet_id`.
    pub fn subnet_id(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease4.subnet_id")
    }

    /// `lease4.expire`: expiry time, seconds since the Unix epoch (as u32).
    pub fn expire(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease4.expire")
    }

    /// `lease4.hostname`.
    pub fn hostname(&self) -> Result<String, ApiError> {
        text(self.c.raw.get_bytes(c"lease4.hostname")?)
    }
}
