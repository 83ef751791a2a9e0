//! Kea 2.2's `kea-leases4.csv` row (Kea's `CSVLeaseFile4`): the columns,
//! encode/decode, and [`LeaseRow`] for [`Lease4`].

use std::net::Ipv4Addr;

use super::{
    check_user_context, parse_flag, parse_hex, parse_num, parse_state, parse_user_context,
    push_escaped, push_hex, push_ipv4, push_u64, unescape, LeaseRow, Lookup, MAX_HWADDR_LEN,
};
use crate::{Lease4, LeaseState};

/// The columns of Kea's DHCPv4 lease file, in order: Kea 2.2's eleven, then
/// `pool_id` (Kea 2.4+, schema 3.0).
pub const COLUMNS: [&str; 12] = [
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "state",
    "user_context",
    "pool_id",
];

/// The header line of Kea 2.2's file, which a new file gets (without the
/// newline).
pub const HEADER: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

/// The header line of Kea 2.4+'s file (with `pool_id`).
pub const HEADER_POOL_ID: &str =
    "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context,pool_id";

/// Kea's minimum valid columns for v4 (`setMinimumValidColumns("hostname")`).
pub const MIN_COLUMNS: usize = 9;

/// Encodes a lease as one row (no newline), exactly as Kea 2.2 writes it.
pub fn encode_row(lease: &Lease4) -> String {
    lease.encode()
}

/// Appends the row of [`encode_row`] to `out`.
fn encode_into(lease: &Lease4, out: &mut String) {
    push_ipv4(out, lease.addr);
    out.push(',');
    push_hex(out, &lease.hwaddr);
    out.push(',');
    if let Some(id) = &lease.client_id {
        push_hex(out, id);
    }
    for n in [
        u64::from(lease.valid_lifetime),
        lease.expire,
        u64::from(lease.subnet_id),
        u64::from(lease.fqdn_fwd),
        u64::from(lease.fqdn_rev),
    ] {
        out.push(',');
        push_u64(out, n);
    }
    out.push(',');
    push_escaped(out, &lease.hostname);
    out.push(',');
    push_u64(out, u64::from(lease.state.code()));
    out.push(',');
    push_escaped(out, &lease.user_context);
}

/// The row Kea journals for a deleted lease: the lease with valid lifetime
/// 0 (and so `expire` = cltt).
pub fn encode_delete_row(lease: &Lease4) -> String {
    encode_row(&lease.deletion())
}

impl LeaseRow for Lease4 {
    type Key = Ipv4Addr;
    type Stored = crate::memfile::Stored4;
    const FAMILY: &'static str = "DHCPv4";
    const COLUMNS: &'static [&'static str] = &COLUMNS;
    const HEADER: &'static str = HEADER;
    const HEADER_POOL_ID: &'static str = HEADER_POOL_ID;
    const MIN_COLUMNS: usize = MIN_COLUMNS;

    fn key(&self) -> Ipv4Addr {
        self.addr
    }
    fn block(key: Ipv4Addr) -> Option<u32> {
        Some(u32::from(key) / crate::BLOCK4)
    }
    fn expire(&self) -> u64 {
        self.expire
    }
    fn valid_lifetime(&self) -> u32 {
        self.valid_lifetime
    }
    fn state(&self) -> LeaseState {
        self.state
    }

    fn lookups(&self) -> Vec<Lookup> {
        let mut keys = Vec::with_capacity(2);
        if !self.hwaddr.is_empty() {
            keys.push(Lookup::HwAddr(self.hwaddr.clone()));
        }
        if let Some(cid) = self.client_id.as_ref().filter(|c| !c.is_empty()) {
            keys.push(Lookup::ClientId(cid.clone()));
        }
        keys
    }

    fn encode_into(&self, out: &mut String) {
        encode_into(self, out);
    }

    fn pool_id(&self) -> u32 {
        self.pool_id
    }

    fn decode(fields: &[&str]) -> Result<Self, String> {
        let [address, hwaddr, client_id, valid, expire, subnet, fwd, rev, hostname, state, context, pool_id] =
            fields
        else {
            return Err(format!(
                "{} fields, expected {}",
                fields.len(),
                COLUMNS.len()
            ));
        };
        let addr: Ipv4Addr = address
            .parse()
            .map_err(|_| format!("address '{address}' is not an IPv4 address"))?;
        let hwaddr = parse_hex(hwaddr).map_err(|e| format!("hwaddr: {e}"))?;
        if hwaddr.len() > MAX_HWADDR_LEN {
            return Err(format!(
                "hwaddr: {} bytes, at most {MAX_HWADDR_LEN}",
                hwaddr.len()
            ));
        }
        let client_id = if client_id.is_empty() {
            None
        } else {
            Some(parse_hex(client_id).map_err(|e| format!("client_id: {e}"))?)
        };
        Ok(Lease4 {
            addr,
            hwaddr,
            client_id,
            valid_lifetime: parse_num(valid, "valid_lifetime")?,
            expire: parse_num(expire, "expire")?,
            subnet_id: parse_num(subnet, "subnet_id")?,
            fqdn_fwd: parse_flag(fwd, "fqdn_fwd")?,
            fqdn_rev: parse_flag(rev, "fqdn_rev")?,
            hostname: unescape(hostname),
            state: parse_state(state)?,
            user_context: parse_user_context(context)?,
            pool_id: parse_num(pool_id, "pool_id")?,
        })
    }

    fn deletion(&self) -> Self {
        let mut gone = self.clone();
        gone.expire = self.cltt();
        gone.valid_lifetime = 0;
        gone
    }

    /// An empty client id is stored as none, as it reads back from the file.
    fn prepare(&self) -> Result<Self, String> {
        if self.hwaddr.len() > MAX_HWADDR_LEN {
            return Err(format!(
                "{}: hardware address of {} bytes, at most {MAX_HWADDR_LEN}",
                self.addr,
                self.hwaddr.len()
            ));
        }
        check_user_context(&self.user_context).map_err(|e| format!("{}: {e}", self.addr))?;
        let mut lease = self.clone();
        if lease.client_id.as_ref().is_some_and(Vec::is_empty) {
            lease.client_id = None;
        }
        Ok(lease)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{decode_row, parse_header, Header, Schema, Width};

    fn lease() -> Lease4 {
        Lease4 {
            addr: Ipv4Addr::new(192, 0, 2, 10),
            hwaddr: vec![0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff],
            client_id: Some(vec![0x01, 0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff]),
            valid_lifetime: 4000,
            expire: 1_700_004_000,
            subnet_id: 1,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "host.example.org.".into(),
            state: LeaseState::Default,
            user_context: String::new(),
            pool_id: 0,
        }
    }

    /// The header of a file ruru makes (Kea 2.2's).
    fn current() -> Header {
        Header {
            columns: 11,
            schema: Schema::Upgrade,
        }
    }

    #[test]
    fn header_is_kea_2_2() {
        assert_eq!(HEADER.split(',').collect::<Vec<_>>(), COLUMNS[..11]);
        assert_eq!(HEADER_POOL_ID.split(',').collect::<Vec<_>>(), COLUMNS);
        assert_eq!(parse_header::<Lease4>(HEADER), Ok(current()));
        let wide = parse_header::<Lease4>(HEADER_POOL_ID).unwrap();
        assert_eq!((wide.columns, wide.schema), (12, Schema::Current));
        assert_eq!(Width::of::<Lease4>(&current()), Some(Width::Kea22));
        assert_eq!(Width::of::<Lease4>(&wide), Some(Width::PoolId));
    }

    /// Kea 2.4+'s `pool_id`: read, and written in that layout.
    #[test]
    fn pool_id_column() {
        let mut l = lease();
        l.pool_id = 7;
        let row = l.encode_for(Width::PoolId);
        assert!(row.ends_with(",7"), "{row}");
        let wide = parse_header::<Lease4>(HEADER_POOL_ID).unwrap();
        assert_eq!(decode_row::<Lease4>(&wide, &row), Ok(l.clone()));
        // Kea 2.2's layout has no such column: it reads back as 0.
        assert_eq!(l.encode_for(Width::Kea22), encode_row(&l));
        assert_eq!(
            decode_row::<Lease4>(&current(), &encode_row(&l))
                .unwrap()
                .pool_id,
            0
        );
        // An empty or negative pool_id is a bad row, as in Kea.
        assert!(decode_row::<Lease4>(&wide, &format!("{},", encode_row(&l))).is_err());
        assert!(decode_row::<Lease4>(&wide, &format!("{},-1", encode_row(&l))).is_err());
    }

    #[test]
    fn older_and_newer_headers() {
        // Kea 1.0 (no state), Kea 1.1..2.0 (no user_context), Kea 2.6 (pool_id).
        let v10 =
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname";
        let v20 = format!("{v10},state");
        let v26 = format!("{HEADER},pool_id");
        let newer = format!("{HEADER},pool_id,x");
        assert_eq!(
            parse_header::<Lease4>(&newer).map(|h| (h.columns, h.schema)),
            Ok((13, Schema::Downgrade))
        );
        assert_eq!(
            parse_header::<Lease4>(v10).map(|h| (h.columns, h.schema)),
            Ok((9, Schema::Upgrade))
        );
        assert_eq!(
            parse_header::<Lease4>(&v20).map(|h| (h.columns, h.schema)),
            Ok((10, Schema::Upgrade))
        );
        assert_eq!(
            parse_header::<Lease4>(&v26).map(|h| (h.columns, h.schema)),
            Ok((12, Schema::Current))
        );
    }

    #[test]
    fn wrong_headers() {
        for bad in [
            "",
            "address,hwaddr",
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev",
            "address,duid,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,x",
        ] {
            assert!(parse_header::<Lease4>(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn encode_vector() {
        assert_eq!(
            encode_row(&lease()),
            "192.0.2.10,aa:bb:cc:0d:ee:ff,01:aa:bb:cc:0d:ee:ff,4000,1700004000,1,1,0,host.example.org.,0,"
        );
        let mut l = lease();
        l.client_id = None;
        l.hwaddr.clear();
        l.state = LeaseState::Declined;
        l.hostname = "a,b&c".into();
        l.user_context = r#"{ "a": 1, "b": 2 }"#.into();
        assert_eq!(
            encode_row(&l),
            "192.0.2.10,,,4000,1700004000,1,1,0,a&#x2cb&#x26c,1,{ \"a\": 1&#x2c \"b\": 2 }"
        );
    }

    #[test]
    fn delete_row_has_zero_lifetime_and_cltt_expire() {
        assert_eq!(
            encode_delete_row(&lease()),
            "192.0.2.10,aa:bb:cc:0d:ee:ff,01:aa:bb:cc:0d:ee:ff,0,1700000000,1,1,0,host.example.org.,0,"
        );
    }

    #[test]
    fn decode_roundtrip() {
        let mut l = lease();
        l.hostname = "weird,name&#x;\n\u{e9}".into();
        l.user_context = r#"{"k": "v,w"}"#.into();
        l.state = LeaseState::ExpiredReclaimed;
        let row = encode_row(&l);
        assert!(!row.contains('\n'));
        assert_eq!(decode_row::<Lease4>(&current(), &row), Ok(l));
    }

    #[test]
    fn older_schema_rows_get_defaults() {
        let v10 = parse_header::<Lease4>(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
        )
        .unwrap();
        let l =
            decode_row::<Lease4>(&v10, "192.0.2.1,01:02:03:04:05:06,,3600,7200,2,0,0,h").unwrap();
        assert_eq!(l.state, LeaseState::Default);
        assert_eq!(l.user_context, "");
        assert_eq!(l.cltt(), 3600);
        // A row as long as the current schema is accepted in an older file.
        assert!(decode_row::<Lease4>(&v10, "192.0.2.1,01:02,,3600,7200,2,0,0,h,1,").is_ok());
        assert!(decode_row::<Lease4>(&v10, "192.0.2.1,01:02,,3600,7200,2,0,0").is_err());
        let v26 = parse_header::<Lease4>(&format!("{HEADER},pool_id")).unwrap();
        let l = decode_row::<Lease4>(&v26, "192.0.2.1,01:02,,3600,7200,2,0,0,h,1,,7").unwrap();
        assert_eq!(l.state, LeaseState::Declined);
        assert_eq!(l.pool_id, 7);
        assert!(decode_row::<Lease4>(&v26, "192.0.2.1,01:02,,3600,7200,2,0,0,h,1").is_err());
    }

    #[test]
    fn bad_rows() {
        let h = current();
        let good = "192.0.2.1,01:02:03:04:05:06,,3600,7200,2,0,0,h,0,";
        assert!(decode_row::<Lease4>(&h, good).is_ok());
        for bad in [
            "",
            "192.0.2.1,01:02:03:04:05:06,,3600,7200,2,0,0,h,0",
            "192.0.2.1,01:02:03:04:05:06,,3600,7200,2,0,0,h,0,,",
            "2001:db8::1,01:02:03:04:05:06,,3600,7200,2,0,0,h,0,",
            "192.0.2.1,01:02:0g,,3600,7200,2,0,0,h,0,",
            "192.0.2.1,01:02,zz,3600,7200,2,0,0,h,0,",
            "192.0.2.1,01:02,,-1,7200,2,0,0,h,0,",
            "192.0.2.1,01:02,,3600,x,2,0,0,h,0,",
            "192.0.2.1,01:02,,3600,7200,2,2,0,h,0,",
            "192.0.2.1,01:02,,3600,7200,2,0,true,h,0,",
            "192.0.2.1,01:02,,3600,7200,2,0,0,h,3,",
            "192.0.2.1,01:02,,3600,7200,2,0,0,h,0,[1]",
            "192.0.2.1,01:02,,3600,7200,2,0,0,h,0,{bad",
        ] {
            assert!(decode_row::<Lease4>(&h, bad).is_err(), "{bad:?}");
        }
    }
}
