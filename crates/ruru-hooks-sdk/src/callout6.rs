//! DHCPv6 arguments of a [`Callout`]: the query (`query6`), the response
//! (`response6`, writable at `pkt6_send`), the lease (`lease6`) and the
//! selected subnet (`subnet6.id`).

use std::net::Ipv6Addr;

use crate::callout::Callout;
use crate::error::ApiError;

fn optional(r: Result<Vec<u8>, ApiError>) -> Result<Option<Vec<u8>>, ApiError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::NoField) => Ok(None),
        Err(e) => Err(e),
    }
}

impl<'a> Callout<'a> {
    /// The DHCPv6 query (`query6.*`, options of `"query6"`).
    pub fn query6(&self) -> Query6<'_, 'a> {
        Query6 { c: self }
    }

    /// The DHCPv6 response being built; writable at `pkt6_send`.
    pub fn response6(&self) -> Response6<'_, 'a> {
        Response6 { c: self }
    }

    /// The lease (`lease6.*`) at the lease6 hook points.
    pub fn lease6(&self) -> Lease6<'_, 'a> {
        Lease6 { c: self }
    }

    /// `subnet6.id`: the selected subnet (0: none).
    pub fn subnet6_id(&self) -> Result<u32, ApiError> {
        self.raw.get_u32(c"subnet6.id")
    }

    /// Selects another subnet at `subnet6_select` (0: none).
    pub fn set_subnet6_id(&self, id: u32) -> Result<(), ApiError> {
        self.raw.set_u32(c"subnet6.id", id)
    }
}

/// The DHCPv6 query, read-only.
pub struct Query6<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Query6<'_, '_> {
    /// `query6.transid`: the transaction id.
    pub fn transid(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"query6.transid")
    }

    /// `query6.msg_type` (1 SOLICIT, 3 REQUEST, 5 RENEW, ...).
    pub fn msg_type(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"query6.msg_type")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    /// `query6.classes`: the client classes the packet is in so far
    /// (Kea's `getClasses()`), in the order they were assigned; empty where
    /// the server has not classified it (before `pkt6_receive`, or without
    /// classes in the configuration and no library to show them to).
    pub fn classes(&self) -> Result<Vec<String>, ApiError> {
        let Some(json) = optional(self.c.raw.get_bytes(c"query6.classes"))? else {
            return Ok(Vec::new());
        };
        Ok(serde_json::from_slice(&json).unwrap_or_default())
    }

    /// `query6.duid`: the client identifier (option 1), if sent.
    pub fn duid(&self) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_bytes(c"query6.duid"))
    }

    /// The payload of option `code` of the client message (inside the
    /// relays), if present.
    pub fn option(&self, code: u16) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_option(c"query6", code))
    }
}

/// The DHCPv6 response; writable at `pkt6_send`.
pub struct Response6<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Response6<'_, '_> {
    /// `response6.msg_type` (2 ADVERTISE, 7 REPLY).
    pub fn msg_type(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"response6.msg_type")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    /// The payload of top-level option `code`, if present.
    pub fn option(&self, code: u16) -> Result<Option<Vec<u8>>, ApiError> {
        optional(self.c.raw.get_option(c"response6", code))
    }

    /// Adds top-level option `code` or replaces its payload.
    pub fn set_option(&self, code: u16, payload: &[u8]) -> Result<(), ApiError> {
        self.c.raw.set_option(c"response6", code, payload)
    }

    /// Removes top-level option `code` ([`ApiError::NoField`] when absent).
    pub fn remove_option(&self, code: u16) -> Result<(), ApiError> {
        self.c.raw.remove_option(c"response6", code)
    }
}

/// The lease (`lease6`) at `lease6_select`, `lease6_renew`,
/// `lease6_rebind`, `lease6_release`, `lease6_decline`, `lease6_expire`,
/// `lease6_recover`.
pub struct Lease6<'c, 'a> {
    c: &'c Callout<'a>,
}

impl Lease6<'_, '_> {
    /// `lease6.address`: the address, or the prefix of a delegated prefix.
    pub fn address(&self) -> Result<Ipv6Addr, ApiError> {
        let b = self.c.raw.get_bytes(c"lease6.address")?;
        let a: [u8; 16] = b.try_into().map_err(|_| ApiError::Invalid)?;
        Ok(Ipv6Addr::from(a))
    }

    /// Gives the client this address/prefix instead (at `lease6_select`).
    pub fn set_address(&self, a: Ipv6Addr) -> Result<(), ApiError> {
        self.c.raw.set_bytes(c"lease6.address", &a.octets())
    }

    /// `lease6.type`: 0 IA_NA, 2 IA_PD.
    pub fn lease_type(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease6.type")
    }

    /// `lease6.prefix_len` (128 for addresses).
    pub fn prefix_len(&self) -> Result<u8, ApiError> {
        self.c
            .raw
            .get_u32(c"lease6.prefix_len")
            .map(|v| u8::try_from(v).unwrap_or(0))
    }

    /// `lease6.iaid`.
    pub fn iaid(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease6.iaid")
    }

    /// `lease6.duid`.
    pub fn duid(&self) -> Result<Vec<u8>, ApiError> {
        self.c.raw.get_bytes(c"lease6.duid")
    }

    /// `lease6.subnet_id`.
    pub fn subnet_id(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease6.subnet_id")
    }

    /// `lease6.valid_lifetime` in seconds.
    pub fn valid_lifetime(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease6.valid_lifetime")
    }

    /// Changes the valid lifetime (at `lease6_select`, `lease6_renew`,
    /// `lease6_rebind`).
    pub fn set_valid_lifetime(&self, seconds: u32) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"lease6.valid_lifetime", seconds)
    }

    /// `lease6.preferred_lifetime` in seconds.
    pub fn preferred_lifetime(&self) -> Result<u32, ApiError> {
        self.c.raw.get_u32(c"lease6.preferred_lifetime")
    }

    /// Changes the preferred lifetime (where the valid one may change).
    pub fn set_preferred_lifetime(&self, seconds: u32) -> Result<(), ApiError> {
        self.c.raw.set_u32(c"lease6.preferred_lifetime", seconds)
    }

    /// `lease6.expire`: expiry time, seconds since the Unix epoch.
    pub fn expire(&self) -> Result<u64, ApiError> {
        self.c.raw.get_u64(c"lease6.expire")
    }
}
