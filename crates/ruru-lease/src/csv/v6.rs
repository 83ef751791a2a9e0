//! Kea 2.2's `kea-leases6.csv` row (Kea's `CSVLeaseFile6`, schema 4.0): the
//! columns, encode/decode, and [`LeaseRow`] for [`Lease6`].
//!
//! Kea details kept here:
//! - `duid` is hex, colon-separated. A DUID is never empty; a Declined lease
//!   carries Kea's "empty DUID" `00` ([`EMPTY_DUID`]), which any other state
//!   may not (Kea rejects such a row, and refuses to write such a lease).
//! - `hwaddr`, `hwtype` and `hwaddr_source` are written only when the lease
//!   has a hardware address; otherwise all three are empty. Reading, an
//!   empty `hwtype` is 1 (Ethernet) and an empty `hwaddr_source` is 0
//!   (unknown) — what Kea assumes for rows of files older than schema 4.0.
//!   A hardware address Kea cannot parse (bad hex, more than 20 bytes, bad
//!   `hwtype`/`hwaddr_source`) does not reject the row: Kea logs a warning
//!   and loads the lease without one, and so do we.
//! - `prefix_len` must be 128 unless the lease is a prefix (`lease_type` 2);
//!   Kea's `Lease6` constructor rejects anything else.
//! - A deleted lease is journaled with `valid_lifetime` and `pref_lifetime`
//!   0 (Kea's `Memfile_LeaseMgr::deleteLease`).
//! - Kea reads `lease_type` as any integer; we accept only 0, 1 and 2.
//!
//! Headers of older Kea: 1.0 schema (up to `hostname`), 2.0 (`hwaddr`),
//! 3.0 (`state`), 3.1 (`user_context`); they load with defaults. Kea 2.4+'s
//! `pool_id` (schema 5.0) is read, and written where the file has it;
//! columns of a newer Kea still are ignored.

use std::net::Ipv6Addr;

use super::{
    check_user_context, parse_flag, parse_hex, parse_num, parse_state, parse_user_context,
    push_escaped, push_hex, push_ipv6, push_u64, unescape, LeaseRow, Lookup, MAX_HWADDR_LEN,
};
use crate::{Lease6, LeaseState, LeaseType6};

/// The columns of Kea's DHCPv6 lease file, in order: Kea 2.2's seventeen,
/// then `pool_id` (Kea 2.4+, schema 5.0).
pub const COLUMNS: [&str; 18] = [
    "address",
    "duid",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "pref_lifetime",
    "lease_type",
    "iaid",
    "prefix_len",
    "fqdn_fwd",
    "fqdn_rev",
    "hostname",
    "hwaddr",
    "state",
    "user_context",
    "hwtype",
    "hwaddr_source",
    "pool_id",
];

/// The header line of Kea 2.2's file, which a new file gets (without the
/// newline).
pub const HEADER: &str = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";

/// The header line of Kea 2.4+'s file (with `pool_id`).
pub const HEADER_POOL_ID: &str = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source,pool_id";

/// Kea's minimum valid columns for v6 (`setMinimumValidColumns("hostname")`).
pub const MIN_COLUMNS: usize = 12;

/// Kea's `DUID::EMPTY()`: the DUID of a declined lease.
pub const EMPTY_DUID: [u8; 1] = [0];

/// Kea 2.2's `DUID::MAX_DUID_LEN`.
pub const MAX_DUID_LEN: usize = 128;

/// Kea's `HTYPE_ETHER`: the hardware type assumed when the file has none.
pub const HTYPE_ETHER: u16 = 1;

/// Encodes a lease as one row (no newline), exactly as Kea 2.2 writes it.
pub fn encode_row(lease: &Lease6) -> String {
    lease.encode()
}

/// Appends the row of [`encode_row`] to `out`.
fn encode_into(lease: &Lease6, out: &mut String) {
    push_ipv6(out, lease.address);
    out.push(',');
    push_hex(out, &lease.duid);
    for n in [
        u64::from(lease.valid_lifetime),
        lease.expire,
        u64::from(lease.subnet_id),
        u64::from(lease.pref_lifetime),
        u64::from(lease.lease_type.code()),
        u64::from(lease.iaid),
        u64::from(lease.prefix_len),
        u64::from(lease.fqdn_fwd),
        u64::from(lease.fqdn_rev),
    ] {
        out.push(',');
        push_u64(out, n);
    }
    out.push(',');
    push_escaped(out, &lease.hostname);
    out.push(',');
    if !lease.hwaddr.is_empty() {
        push_hex(out, &lease.hwaddr);
    }
    out.push(',');
    push_u64(out, u64::from(lease.state.code()));
    out.push(',');
    push_escaped(out, &lease.user_context);
    if lease.hwaddr.is_empty() {
        out.push_str(",,");
    } else {
        out.push(',');
        push_u64(out, u64::from(lease.hwtype));
        out.push(',');
        push_u64(out, u64::from(lease.hwaddr_source));
    }
}

/// The row Kea journals for a deleted lease: both lifetimes 0 (and so
/// `expire` = cltt).
pub fn encode_delete_row(lease: &Lease6) -> String {
    encode_row(&lease.deletion())
}

/// Reads the hardware address columns as Kea's `readHWAddr`: `None` when
/// there is none, `Err` when what is there cannot be used.
fn parse_hw(
    hwaddr: &str,
    hwtype: &str,
    source: &str,
) -> Result<Option<(Vec<u8>, u16, u32)>, String> {
    let bytes = parse_hex(hwaddr)?;
    if bytes.is_empty() {
        return Ok(None);
    }
    if bytes.len() > MAX_HWADDR_LEN {
        return Err(format!("{} bytes, at most {MAX_HWADDR_LEN}", bytes.len()));
    }
    let hwtype = if hwtype.is_empty() {
        HTYPE_ETHER
    } else {
        parse_num(hwtype, "hwtype")?
    };
    let source = if source.is_empty() {
        0
    } else {
        parse_num(source, "hwaddr_source")?
    };
    Ok(Some((bytes, hwtype, source)))
}

fn check_type_and_len(lease_type: LeaseType6, prefix_len: u8) -> Result<(), String> {
    if prefix_len != 128 && lease_type != LeaseType6::Pd {
        return Err(format!(
            "prefix_len {prefix_len} for an {lease_type} lease: must be 128"
        ));
    }
    Ok(())
}

impl LeaseRow for Lease6 {
    type Key = Ipv6Addr;
    type Stored = crate::memfile::Stored6;
    const FAMILY: &'static str = "DHCPv6";
    const COLUMNS: &'static [&'static str] = &COLUMNS;
    const HEADER: &'static str = HEADER;
    const HEADER_POOL_ID: &'static str = HEADER_POOL_ID;
    const MIN_COLUMNS: usize = MIN_COLUMNS;

    fn key(&self) -> Ipv6Addr {
        self.address
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

    /// The DUID and the IA; none for a declined lease's empty DUID.
    fn lookups(&self) -> Vec<Lookup> {
        if self.duid.is_empty() || self.duid == EMPTY_DUID {
            return Vec::new();
        }
        vec![
            Lookup::Duid(self.duid.clone()),
            Lookup::DuidIaid(self.lease_type, self.iaid, self.duid.clone()),
        ]
    }

    fn encode_into(&self, out: &mut String) {
        encode_into(self, out);
    }

    fn pool_id(&self) -> u32 {
        self.pool_id
    }

    fn decode(fields: &[&str]) -> Result<Self, String> {
        let [address, duid, valid, expire, subnet, pref, lease_type, iaid, prefix_len, fwd, rev, hostname, hwaddr, state, context, hwtype, source, pool_id] =
            fields
        else {
            return Err(format!(
                "{} fields, expected {}",
                fields.len(),
                COLUMNS.len()
            ));
        };
        let address: Ipv6Addr = address
            .parse()
            .map_err(|_| format!("address '{address}' is not an IPv6 address"))?;
        let duid = parse_hex(duid).map_err(|e| format!("duid: {e}"))?;
        if duid.is_empty() {
            return Err("duid is empty".into());
        }
        if duid.len() > MAX_DUID_LEN {
            return Err(format!(
                "duid: {} bytes, at most {MAX_DUID_LEN}",
                duid.len()
            ));
        }
        let code: u32 = parse_num(lease_type, "lease_type")?;
        let lease_type =
            LeaseType6::from_code(code).ok_or_else(|| format!("lease_type {code} is unknown"))?;
        let prefix_len: u8 = parse_num(prefix_len, "prefix_len")?;
        check_type_and_len(lease_type, prefix_len)?;
        let state = parse_state(state)?;
        if duid == EMPTY_DUID && state != LeaseState::Declined {
            return Err("the empty DUID is only valid for declined leases".into());
        }
        let (hwaddr, hwtype, hwaddr_source) = match parse_hw(hwaddr, hwtype, source) {
            Ok(Some(hw)) => hw,
            Ok(None) => (Vec::new(), 0, 0),
            Err(e) => {
                tracing::warn!(
                    address = %address,
                    error = %e,
                    "unusable hardware address in lease row: loading the lease without one"
                );
                (Vec::new(), 0, 0)
            }
        };
        Ok(Lease6 {
            address,
            duid,
            valid_lifetime: parse_num(valid, "valid_lifetime")?,
            expire: parse_num(expire, "expire")?,
            subnet_id: parse_num(subnet, "subnet_id")?,
            pref_lifetime: parse_num(pref, "pref_lifetime")?,
            lease_type,
            iaid: parse_num(iaid, "iaid")?,
            prefix_len,
            fqdn_fwd: parse_flag(fwd, "fqdn_fwd")?,
            fqdn_rev: parse_flag(rev, "fqdn_rev")?,
            hostname: unescape(hostname),
            hwaddr,
            state,
            user_context: parse_user_context(context)?,
            hwtype,
            hwaddr_source,
            pool_id: parse_num(pool_id, "pool_id")?,
        })
    }

    fn deletion(&self) -> Self {
        let mut gone = self.clone();
        gone.expire = self.cltt();
        gone.valid_lifetime = 0;
        gone.pref_lifetime = 0;
        gone
    }

    /// Checks what Kea checks before writing, and normalizes what does not
    /// survive the file: without a hardware address, `hwtype` and
    /// `hwaddr_source` are 0; a Declined lease without DUID gets
    /// [`EMPTY_DUID`].
    fn prepare(&self) -> Result<Self, String> {
        let at = self.address;
        let mut lease = self.clone();
        if lease.duid.is_empty() && lease.state == LeaseState::Declined {
            lease.duid = EMPTY_DUID.to_vec();
        }
        if lease.duid.is_empty() || lease.duid == EMPTY_DUID && lease.state != LeaseState::Declined
        {
            return Err(format!(
                "{at}: no DUID (only a declined lease may have none)"
            ));
        }
        if lease.duid.len() > MAX_DUID_LEN {
            return Err(format!(
                "{at}: DUID of {} bytes, at most {MAX_DUID_LEN}",
                lease.duid.len()
            ));
        }
        check_type_and_len(lease.lease_type, lease.prefix_len).map_err(|e| format!("{at}: {e}"))?;
        if lease.hwaddr.len() > MAX_HWADDR_LEN {
            return Err(format!(
                "{at}: hardware address of {} bytes, at most {MAX_HWADDR_LEN}",
                lease.hwaddr.len()
            ));
        }
        if lease.hwaddr.is_empty() {
            lease.hwtype = 0;
            lease.hwaddr_source = 0;
        }
        check_user_context(&lease.user_context).map_err(|e| format!("{at}: {e}"))?;
        Ok(lease)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::{decode_row, parse_header, Header, Schema};

    fn na() -> Lease6 {
        Lease6 {
            address: "2001:db8:1::10".parse().unwrap(),
            duid: vec![0x00, 0x03, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
            valid_lifetime: 4000,
            expire: 1_700_004_000,
            subnet_id: 1,
            pref_lifetime: 3000,
            lease_type: LeaseType6::Na,
            iaid: 0x0102_0304,
            prefix_len: 128,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "host.example.org.".into(),
            hwaddr: vec![0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
            state: LeaseState::Default,
            user_context: String::new(),
            hwtype: 1,
            hwaddr_source: 2,
            pool_id: 0,
        }
    }

    fn pd() -> Lease6 {
        Lease6 {
            address: "2001:db8:ff00::".parse().unwrap(),
            lease_type: LeaseType6::Pd,
            prefix_len: 56,
            iaid: 7,
            hwaddr: Vec::new(),
            hwtype: 0,
            hwaddr_source: 0,
            fqdn_fwd: false,
            hostname: String::new(),
            ..na()
        }
    }

    /// The header of a file ruru makes (Kea 2.2's).
    fn current() -> Header {
        Header {
            columns: 17,
            schema: Schema::Upgrade,
        }
    }

    #[test]
    fn header_is_kea_2_2() {
        assert_eq!(HEADER.split(',').collect::<Vec<_>>(), COLUMNS[..17]);
        assert_eq!(HEADER_POOL_ID.split(',').collect::<Vec<_>>(), COLUMNS);
        assert_eq!(parse_header::<Lease6>(HEADER), Ok(current()));
        let wide = parse_header::<Lease6>(HEADER_POOL_ID).unwrap();
        assert_eq!((wide.columns, wide.schema), (18, Schema::Current));
        let mut l = pd();
        l.pool_id = 4_000_000_000;
        let row = l.encode_for(crate::csv::Width::PoolId);
        assert_eq!(decode_row::<Lease6>(&wide, &row), Ok(l));
    }

    #[test]
    fn older_and_newer_headers() {
        // Kea schema 1.0 .. 3.1, and 2.6's pool_id.
        let v10 = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname";
        let v20 = format!("{v10},hwaddr");
        let v30 = format!("{v20},state");
        let v31 = format!("{v30},user_context");
        let v26 = format!("{HEADER},pool_id");
        for (h, n, schema) in [
            (v10.to_string(), 12, Schema::Upgrade),
            (v20, 13, Schema::Upgrade),
            (v30, 14, Schema::Upgrade),
            (v31, 15, Schema::Upgrade),
            (v26.clone(), 18, Schema::Current),
            (format!("{v26},x"), 19, Schema::Downgrade),
        ] {
            assert_eq!(
                parse_header::<Lease6>(&h).map(|h| (h.columns, h.schema)),
                Ok((n, schema)),
                "{h}"
            );
        }
    }

    #[test]
    fn wrong_headers() {
        for bad in [
            "",
            "address,duid",
            "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev",
            crate::csv::v4::HEADER,
            "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwtype",
        ] {
            assert!(parse_header::<Lease6>(bad).is_err(), "{bad:?}");
        }
        // And a v6 header is not a v4 one.
        assert!(parse_header::<crate::Lease4>(HEADER).is_err());
    }

    #[test]
    fn encode_vectors() {
        assert_eq!(
            encode_row(&na()),
            "2001:db8:1::10,00:03:00:01:0a:0b:0c:0d:0e:0f,4000,1700004000,1,3000,0,16909060,128,1,0,host.example.org.,0a:0b:0c:0d:0e:0f,0,,1,2"
        );
        // No hardware address: hwaddr, hwtype and hwaddr_source all empty.
        assert_eq!(
            encode_row(&pd()),
            "2001:db8:ff00::,00:03:00:01:0a:0b:0c:0d:0e:0f,4000,1700004000,1,3000,2,7,56,0,0,,,0,,,"
        );
        let mut l = na();
        l.hostname = "a,b&c".into();
        l.user_context = r#"{ "a": 1, "b": 2 }"#.into();
        l.state = LeaseState::ExpiredReclaimed;
        l.lease_type = LeaseType6::Ta;
        assert_eq!(
            encode_row(&l),
            "2001:db8:1::10,00:03:00:01:0a:0b:0c:0d:0e:0f,4000,1700004000,1,3000,1,16909060,128,1,0,a&#x2cb&#x26c,0a:0b:0c:0d:0e:0f,2,{ \"a\": 1&#x2c \"b\": 2 },1,2"
        );
    }

    #[test]
    fn delete_row_has_zero_lifetimes_and_cltt_expire() {
        assert_eq!(
            encode_delete_row(&na()),
            "2001:db8:1::10,00:03:00:01:0a:0b:0c:0d:0e:0f,0,1700000000,1,0,0,16909060,128,1,0,host.example.org.,0a:0b:0c:0d:0e:0f,0,,1,2"
        );
    }

    #[test]
    fn decode_roundtrip() {
        for mut l in [na(), pd()] {
            assert_eq!(
                decode_row::<Lease6>(&current(), &encode_row(&l)),
                Ok(l.clone())
            );
            l.hostname = "weird,name&#x;\n\u{e9}".into();
            l.user_context = r#"{"k": "v,w"}"#.into();
            l.state = LeaseState::Declined;
            l.duid = EMPTY_DUID.to_vec();
            l.valid_lifetime = u32::MAX;
            l.pref_lifetime = u32::MAX;
            l.iaid = u32::MAX;
            l.subnet_id = u32::MAX;
            let row = encode_row(&l);
            assert!(!row.contains('\n'));
            assert_eq!(decode_row::<Lease6>(&current(), &row), Ok(l));
        }
    }

    #[test]
    fn older_schema_rows_get_defaults() {
        let v10 = parse_header::<Lease6>(
            "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname",
        )
        .unwrap();
        let l = decode_row::<Lease6>(&v10, "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h")
            .unwrap();
        assert_eq!(l.state, LeaseState::Default);
        assert_eq!(l.user_context, "");
        assert!(l.hwaddr.is_empty());
        assert_eq!((l.hwtype, l.hwaddr_source), (0, 0));
        assert_eq!(l.cltt(), 3600);
        // Kea 1.4..1.9 (schema 3.1): a hardware address without hwtype and
        // hwaddr_source is Ethernet, source unknown.
        let v31 = parse_header::<Lease6>(&COLUMNS[..15].join(",")).unwrap();
        let l = decode_row::<Lease6>(
            &v31,
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,0a:0b:0c:0d:0e:0f,1,",
        )
        .unwrap();
        assert_eq!(l.hwaddr, [0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);
        assert_eq!((l.hwtype, l.hwaddr_source), (HTYPE_ETHER, 0));
        assert_eq!(l.state, LeaseState::Declined);
        assert!(
            decode_row::<Lease6>(&v10, "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0")
                .is_err()
        );
        // Kea 2.4+'s pool_id is read.
        let v26 = parse_header::<Lease6>(&format!("{HEADER},pool_id")).unwrap();
        let row = format!("{},9", encode_row(&na()));
        assert_eq!(decode_row::<Lease6>(&v26, &row).map(|l| l.pool_id), Ok(9));
    }

    #[test]
    fn unusable_hwaddr_keeps_the_lease() {
        let good = encode_row(&na());
        for (from, to) in [
            (",0a:0b:0c:0d:0e:0f,", ",0a:zz,"),
            (
                ",0a:0b:0c:0d:0e:0f,",
                &format!(",{},", crate::csv::format_hex(&[1; 21])),
            ),
            (",,1,2", ",,x,2"),
            (",,1,2", ",,1,-2"),
            (",,1,2", ",,65536,2"),
        ] {
            let row = good.replace(from, to);
            assert_ne!(row, good);
            let l = decode_row::<Lease6>(&current(), &row).unwrap();
            assert!(l.hwaddr.is_empty(), "{row}");
            assert_eq!((l.hwtype, l.hwaddr_source), (0, 0));
            assert_eq!(l.duid, na().duid);
        }
    }

    #[test]
    fn bad_rows() {
        let h = current();
        let good = "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,0,,,";
        assert!(decode_row::<Lease6>(&h, good).is_ok());
        for bad in [
            "",
            // Column count.
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,0,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,0,,,,",
            // Address family, DUID.
            "192.0.2.1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,0,,,",
            "2001:db8::1,,3600,7200,2,1800,0,5,128,0,0,h,,0,,,",
            "2001:db8::1,0g,3600,7200,2,1800,0,5,128,0,0,h,,0,,,",
            "2001:db8::1,00,3600,7200,2,1800,0,5,128,0,0,h,,0,,,",
            // Numbers, lease type, prefix length.
            "2001:db8::1,01:02:03,-1,7200,2,1800,0,5,128,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,x,0,5,128,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,3,5,128,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,4294967296,128,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,64,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,1,5,64,0,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,2,5,256,0,0,h,,0,,,",
            // Flags, state, user context.
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,2,0,h,,0,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,3,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,,,,",
            "2001:db8::1,01:02:03,3600,7200,2,1800,0,5,128,0,0,h,,0,[1],,",
        ] {
            assert!(decode_row::<Lease6>(&h, bad).is_err(), "{bad:?}");
        }
        // The empty DUID is fine on a declined lease.
        assert!(
            decode_row::<Lease6>(&h, "2001:db8::1,00,3600,7200,2,1800,0,5,128,0,0,,,1,,,").is_ok()
        );
        // Any prefix length for a prefix.
        assert!(
            decode_row::<Lease6>(&h, "2001:db8::,01:02:03,3600,7200,2,1800,2,5,48,0,0,,,0,,,")
                .is_ok()
        );
    }

    #[test]
    fn prepare_checks_and_normalizes() {
        let mut l = na();
        l.hwaddr.clear();
        let p = l.prepare().unwrap();
        assert_eq!((p.hwtype, p.hwaddr_source), (0, 0));
        let mut d = na();
        d.duid.clear();
        assert!(d.prepare().is_err());
        d.state = LeaseState::Declined;
        assert_eq!(d.prepare().unwrap().duid, EMPTY_DUID);
        let mut e = na();
        e.duid = EMPTY_DUID.to_vec();
        assert!(e.prepare().is_err());
        let mut big = na();
        big.duid = vec![1; MAX_DUID_LEN + 1];
        assert!(big.prepare().is_err());
        let mut n = na();
        n.prefix_len = 64;
        assert!(n.prepare().is_err());
        let mut u = na();
        u.user_context = "[1]".into();
        assert!(u.prepare().is_err());
        assert_eq!(pd().prepare(), Ok(pd()));
    }
}
