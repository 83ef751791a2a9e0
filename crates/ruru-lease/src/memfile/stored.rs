//! How the memfile store keeps a lease in memory: [`Stored4`] and
//! [`Stored6`], compact forms of [`Lease4`] and [`Lease6`].
//!
//! A store may hold millions of leases, and the public lease types spend a
//! heap allocation on every identifier (`Vec<u8>`) and 24 bytes on every
//! empty `String`. The stored forms keep short identifiers inline
//! ([`SmallBytes`], [`Ids4`]) and the text columns, usually empty, behind one optional
//! box ([`Text`]). Converting back gives exactly the lease that was stored.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::snapshot::{put_bytes, put_opt_bytes, Corrupt, Reader};
use crate::csv::v6::EMPTY_DUID;
use crate::csv::{LeaseRow, LookupRef};
use crate::{Lease4, Lease6, LeaseState, LeaseType6};

/// A lease as the memfile store keeps it (see the module docs). Every method
/// answers as the lease it was made from would.
pub trait StoredLease: Send + Sync + Sized + 'static {
    /// The lease type this is the stored form of.
    type Row: LeaseRow<Stored = Self>;
    fn from_row(row: Self::Row) -> Self;
    fn to_row(&self) -> Self::Row;
    /// Overwrites `row` with this lease, reusing its buffers (a scan over
    /// every lease then allocates nothing).
    fn fill_row(&self, row: &mut Self::Row);
    fn key(&self) -> <Self::Row as LeaseRow>::Key;
    fn expire(&self) -> u64;
    fn valid_lifetime(&self) -> u32;
    fn state(&self) -> LeaseState;
    /// Calls `f` with each secondary key: those of [`LeaseRow::lookups`].
    fn for_each_lookup(&self, f: impl FnMut(LookupRef<'_>));
    /// Whether `row` is exactly this lease (what [`StoredLease::to_row`]
    /// gives), without making a row.
    fn matches_row(&self, row: &Self::Row) -> bool;
    /// The family byte of a snapshot of these leases (4 or 6).
    const FAMILY_CODE: u8;
    /// Appends the lease as a snapshot record (see `snapshot`).
    fn put_snapshot(&self, out: &mut Vec<u8>);
    /// Reads a lease written by [`StoredLease::put_snapshot`]; every field
    /// is checked as the CSV decoder would (a known state and type, UTF-8
    /// text). Allocates only for what [`StoredLease::from_row`] would.
    fn get_snapshot(r: &mut Reader<'_>) -> Result<Self, Corrupt>;
}

/// Bytes kept inline up to [`SmallBytes::INLINE`] long (MAC addresses,
/// client identifiers, most DUIDs), on the heap when longer. 24 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmallBytes {
    Inline {
        len: u8,
        bytes: [u8; SmallBytes::INLINE],
    },
    Heap(Box<[u8]>),
}

impl SmallBytes {
    /// The most bytes kept inline: what fits beside the tag and the length
    /// in the size of a boxed slice plus its tag.
    pub const INLINE: usize = 22;

    pub fn new(data: &[u8]) -> Self {
        match u8::try_from(data.len()) {
            Ok(len) if data.len() <= Self::INLINE => {
                let mut bytes = [0; Self::INLINE];
                bytes[..data.len()].copy_from_slice(data);
                SmallBytes::Inline { len, bytes }
            }
            _ => SmallBytes::Heap(data.into()),
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline { len, bytes } => &bytes[..usize::from(*len)],
            SmallBytes::Heap(b) => b,
        }
    }

    fn fill(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(self.as_slice());
    }
}

/// What a DHCPv4 lease holds beside its fixed-size fields: the hardware
/// address, the optional client identifier and the text columns, in one
/// 32-byte value. The identifiers are inline when they fit in
/// [`Ids4::INLINE`] bytes together (a MAC address and a client ID made of
/// it take 13), boxed with the text otherwise. Two [`SmallBytes`] and the
/// text box took 56 bytes: a [`Stored4`] is 56 bytes instead of 80.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ids4 {
    Inline {
        hw_len: u8,
        /// The client ID's length, [`Ids4::NO_CLIENT_ID`] for none.
        cid_len: u8,
        bytes: [u8; Ids4::INLINE],
        text: Option<Box<Text>>,
    },
    Heap(Box<HeapIds4>),
}

/// [`Ids4`] too long to keep inline: hardware address, client ID, text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapIds4 {
    hwaddr: Box<[u8]>,
    client_id: Option<Box<[u8]>>,
    text: Option<Box<Text>>,
}

impl Ids4 {
    /// What fits beside the tag, the two lengths and the text pointer.
    pub const INLINE: usize = 21;
    const NO_CLIENT_ID: u8 = u8::MAX;

    pub fn new(hwaddr: &[u8], client_id: Option<&[u8]>, text: Option<Box<Text>>) -> Self {
        let cid = client_id.unwrap_or_default();
        let fits = hwaddr.len() + cid.len() <= Self::INLINE;
        match (u8::try_from(hwaddr.len()), u8::try_from(cid.len())) {
            (Ok(hw_len), Ok(len)) if fits => {
                let mut bytes = [0; Self::INLINE];
                bytes[..hwaddr.len()].copy_from_slice(hwaddr);
                bytes[hwaddr.len()..hwaddr.len() + cid.len()].copy_from_slice(cid);
                let cid_len = if client_id.is_some() {
                    len
                } else {
                    Self::NO_CLIENT_ID
                };
                Ids4::Inline {
                    hw_len,
                    cid_len,
                    bytes,
                    text,
                }
            }
            _ => Ids4::Heap(Box::new(HeapIds4 {
                hwaddr: hwaddr.into(),
                client_id: client_id.map(Into::into),
                text,
            })),
        }
    }

    pub fn hwaddr(&self) -> &[u8] {
        match self {
            Ids4::Inline { hw_len, bytes, .. } => &bytes[..usize::from(*hw_len)],
            Ids4::Heap(h) => &h.hwaddr,
        }
    }

    pub fn client_id(&self) -> Option<&[u8]> {
        match self {
            Ids4::Inline { cid_len, .. } if *cid_len == Self::NO_CLIENT_ID => None,
            Ids4::Inline {
                hw_len,
                cid_len,
                bytes,
                ..
            } => {
                let at = usize::from(*hw_len);
                bytes.get(at..at + usize::from(*cid_len))
            }
            Ids4::Heap(h) => h.client_id.as_deref(),
        }
    }

    pub fn text(&self) -> &Option<Box<Text>> {
        match self {
            Ids4::Inline { text, .. } => text,
            Ids4::Heap(h) => &h.text,
        }
    }
}

/// The columns that are usually empty (the text ones) or 0 (`pool_id`),
/// boxed together: `None` then, and no allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    hostname: Box<str>,
    user_context: Box<str>,
    pool_id: u32,
}

fn text(hostname: String, user_context: String, pool_id: u32) -> Option<Box<Text>> {
    if hostname.is_empty() && user_context.is_empty() && pool_id == 0 {
        return None;
    }
    Some(Box::new(Text {
        hostname: hostname.into_boxed_str(),
        user_context: user_context.into_boxed_str(),
        pool_id,
    }))
}

fn text_matches(
    text: &Option<Box<Text>>,
    hostname: &str,
    user_context: &str,
    pool_id: u32,
) -> bool {
    match text {
        None => hostname.is_empty() && user_context.is_empty() && pool_id == 0,
        Some(t) => {
            *t.hostname == *hostname && *t.user_context == *user_context && t.pool_id == pool_id
        }
    }
}

fn put_text(out: &mut Vec<u8>, text: &Option<Box<Text>>) {
    let (hostname, user_context, pool_id) = text
        .as_deref()
        .map_or(("", "", 0), |t| (&*t.hostname, &*t.user_context, t.pool_id));
    put_bytes(out, hostname.as_bytes());
    put_bytes(out, user_context.as_bytes());
    out.extend_from_slice(&pool_id.to_le_bytes());
}

fn get_text(r: &mut Reader<'_>) -> Result<Option<Box<Text>>, Corrupt> {
    let hostname = r.text()?;
    let user_context = r.text()?;
    let pool_id = r.u32()?;
    if hostname.is_empty() && user_context.is_empty() && pool_id == 0 {
        return Ok(None);
    }
    Ok(Some(Box::new(Text {
        hostname: hostname.into(),
        user_context: user_context.into(),
        pool_id,
    })))
}

fn state_code(state: LeaseState) -> u8 {
    // Three states: the code fits.
    state.code() as u8
}

fn get_state(r: &mut Reader<'_>) -> Result<LeaseState, Corrupt> {
    LeaseState::from_code(u32::from(r.u8()?)).ok_or(Corrupt)
}

fn get_flags(r: &mut Reader<'_>) -> Result<u8, Corrupt> {
    match r.u8()? {
        f if f & !(FQDN_FWD | FQDN_REV) == 0 => Ok(f),
        _ => Err(Corrupt),
    }
}

fn fill_text(
    text: &Option<Box<Text>>,
    hostname: &mut String,
    user_context: &mut String,
    pool_id: &mut u32,
) {
    hostname.clear();
    user_context.clear();
    *pool_id = 0;
    if let Some(t) = text {
        hostname.push_str(&t.hostname);
        user_context.push_str(&t.user_context);
        *pool_id = t.pool_id;
    }
}

const FQDN_FWD: u8 = 1;
const FQDN_REV: u8 = 2;

fn flags(fwd: bool, rev: bool) -> u8 {
    (if fwd { FQDN_FWD } else { 0 }) | (if rev { FQDN_REV } else { 0 })
}

/// A [`Lease4`] in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored4 {
    expire: u64,
    addr: Ipv4Addr,
    valid_lifetime: u32,
    subnet_id: u32,
    /// `FQDN_FWD` | `FQDN_REV`.
    flags: u8,
    state: LeaseState,
    /// Hardware address, client ID, text.
    ids: Ids4,
}

impl StoredLease for Stored4 {
    type Row = Lease4;

    fn from_row(l: Lease4) -> Self {
        Stored4 {
            expire: l.expire,
            addr: l.addr,
            valid_lifetime: l.valid_lifetime,
            subnet_id: l.subnet_id,
            flags: flags(l.fqdn_fwd, l.fqdn_rev),
            state: l.state,
            ids: Ids4::new(
                &l.hwaddr,
                l.client_id.as_deref(),
                text(l.hostname, l.user_context, l.pool_id),
            ),
        }
    }

    fn to_row(&self) -> Lease4 {
        let mut l = Lease4 {
            addr: self.addr,
            hwaddr: Vec::new(),
            client_id: None,
            valid_lifetime: 0,
            expire: 0,
            subnet_id: 0,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            state: LeaseState::Default,
            user_context: String::new(),
            pool_id: 0,
        };
        self.fill_row(&mut l);
        l
    }

    fn fill_row(&self, l: &mut Lease4) {
        l.addr = self.addr;
        l.hwaddr.clear();
        l.hwaddr.extend_from_slice(self.ids.hwaddr());
        match (self.ids.client_id(), &mut l.client_id) {
            (None, out) => *out = None,
            (Some(id), Some(out)) => {
                out.clear();
                out.extend_from_slice(id);
            }
            (Some(id), out) => *out = Some(id.to_vec()),
        }
        l.valid_lifetime = self.valid_lifetime;
        l.expire = self.expire;
        l.subnet_id = self.subnet_id;
        l.fqdn_fwd = self.flags & FQDN_FWD != 0;
        l.fqdn_rev = self.flags & FQDN_REV != 0;
        l.state = self.state;
        fill_text(
            self.ids.text(),
            &mut l.hostname,
            &mut l.user_context,
            &mut l.pool_id,
        );
    }

    fn key(&self) -> Ipv4Addr {
        self.addr
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

    fn matches_row(&self, l: &Lease4) -> bool {
        self.addr == l.addr
            && self.expire == l.expire
            && self.valid_lifetime == l.valid_lifetime
            && self.subnet_id == l.subnet_id
            && self.flags == flags(l.fqdn_fwd, l.fqdn_rev)
            && self.state == l.state
            && self.ids.hwaddr() == l.hwaddr.as_slice()
            && self.ids.client_id() == l.client_id.as_deref()
            && text_matches(self.ids.text(), &l.hostname, &l.user_context, l.pool_id)
    }

    const FAMILY_CODE: u8 = 4;

    /// address, expire, valid_lifetime, subnet_id, flags, state, hwaddr,
    /// client_id (optional), hostname, user_context, pool_id.
    fn put_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&u32::from(self.addr).to_le_bytes());
        out.extend_from_slice(&self.expire.to_le_bytes());
        out.extend_from_slice(&self.valid_lifetime.to_le_bytes());
        out.extend_from_slice(&self.subnet_id.to_le_bytes());
        out.push(self.flags);
        out.push(state_code(self.state));
        put_bytes(out, self.ids.hwaddr());
        put_opt_bytes(out, self.ids.client_id());
        put_text(out, self.ids.text());
    }

    fn get_snapshot(r: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(Stored4 {
            addr: Ipv4Addr::from(r.u32()?),
            expire: r.u64()?,
            valid_lifetime: r.u32()?,
            subnet_id: r.u32()?,
            flags: get_flags(r)?,
            state: get_state(r)?,
            // In the record's order: the arguments are read left to right.
            ids: Ids4::new(r.bytes()?, r.opt_bytes()?, get_text(r)?),
        })
    }

    fn for_each_lookup(&self, mut f: impl FnMut(LookupRef<'_>)) {
        let hwaddr = self.ids.hwaddr();
        if !hwaddr.is_empty() {
            f(LookupRef::HwAddr(hwaddr));
        }
        if let Some(cid) = self.ids.client_id().filter(|c| !c.is_empty()) {
            f(LookupRef::ClientId(cid));
        }
    }
}

/// A [`Lease6`] in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored6 {
    address: Ipv6Addr,
    expire: u64,
    valid_lifetime: u32,
    subnet_id: u32,
    pref_lifetime: u32,
    iaid: u32,
    hwaddr_source: u32,
    hwtype: u16,
    lease_type: LeaseType6,
    prefix_len: u8,
    /// `FQDN_FWD` | `FQDN_REV`.
    flags: u8,
    state: LeaseState,
    duid: SmallBytes,
    hwaddr: SmallBytes,
    text: Option<Box<Text>>,
}

impl StoredLease for Stored6 {
    type Row = Lease6;

    fn from_row(l: Lease6) -> Self {
        Stored6 {
            address: l.address,
            expire: l.expire,
            valid_lifetime: l.valid_lifetime,
            subnet_id: l.subnet_id,
            pref_lifetime: l.pref_lifetime,
            iaid: l.iaid,
            hwaddr_source: l.hwaddr_source,
            hwtype: l.hwtype,
            lease_type: l.lease_type,
            prefix_len: l.prefix_len,
            flags: flags(l.fqdn_fwd, l.fqdn_rev),
            state: l.state,
            duid: SmallBytes::new(&l.duid),
            hwaddr: SmallBytes::new(&l.hwaddr),
            text: text(l.hostname, l.user_context, l.pool_id),
        }
    }

    fn to_row(&self) -> Lease6 {
        let mut l = Lease6 {
            address: self.address,
            duid: Vec::new(),
            valid_lifetime: 0,
            expire: 0,
            subnet_id: 0,
            pref_lifetime: 0,
            lease_type: LeaseType6::Na,
            iaid: 0,
            prefix_len: 0,
            fqdn_fwd: false,
            fqdn_rev: false,
            hostname: String::new(),
            hwaddr: Vec::new(),
            state: LeaseState::Default,
            user_context: String::new(),
            hwtype: 0,
            hwaddr_source: 0,
            pool_id: 0,
        };
        self.fill_row(&mut l);
        l
    }

    fn fill_row(&self, l: &mut Lease6) {
        l.address = self.address;
        self.duid.fill(&mut l.duid);
        l.valid_lifetime = self.valid_lifetime;
        l.expire = self.expire;
        l.subnet_id = self.subnet_id;
        l.pref_lifetime = self.pref_lifetime;
        l.lease_type = self.lease_type;
        l.iaid = self.iaid;
        l.prefix_len = self.prefix_len;
        l.fqdn_fwd = self.flags & FQDN_FWD != 0;
        l.fqdn_rev = self.flags & FQDN_REV != 0;
        self.hwaddr.fill(&mut l.hwaddr);
        l.state = self.state;
        fill_text(
            &self.text,
            &mut l.hostname,
            &mut l.user_context,
            &mut l.pool_id,
        );
        l.hwtype = self.hwtype;
        l.hwaddr_source = self.hwaddr_source;
    }

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

    fn matches_row(&self, l: &Lease6) -> bool {
        self.address == l.address
            && self.expire == l.expire
            && self.valid_lifetime == l.valid_lifetime
            && self.subnet_id == l.subnet_id
            && self.pref_lifetime == l.pref_lifetime
            && self.iaid == l.iaid
            && self.hwaddr_source == l.hwaddr_source
            && self.hwtype == l.hwtype
            && self.lease_type == l.lease_type
            && self.prefix_len == l.prefix_len
            && self.flags == flags(l.fqdn_fwd, l.fqdn_rev)
            && self.state == l.state
            && self.duid.as_slice() == l.duid.as_slice()
            && self.hwaddr.as_slice() == l.hwaddr.as_slice()
            && text_matches(&self.text, &l.hostname, &l.user_context, l.pool_id)
    }

    const FAMILY_CODE: u8 = 6;

    /// address, expire, valid_lifetime, subnet_id, pref_lifetime, iaid,
    /// hwaddr_source, hwtype, lease_type, prefix_len, flags, state, duid,
    /// hwaddr, hostname, user_context.
    fn put_snapshot(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&u128::from(self.address).to_le_bytes());
        out.extend_from_slice(&self.expire.to_le_bytes());
        for x in [
            self.valid_lifetime,
            self.subnet_id,
            self.pref_lifetime,
            self.iaid,
            self.hwaddr_source,
        ] {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out.extend_from_slice(&self.hwtype.to_le_bytes());
        // Three types: the code fits.
        out.push(self.lease_type.code() as u8);
        out.push(self.prefix_len);
        out.push(self.flags);
        out.push(state_code(self.state));
        put_bytes(out, self.duid.as_slice());
        put_bytes(out, self.hwaddr.as_slice());
        put_text(out, &self.text);
    }

    fn get_snapshot(r: &mut Reader<'_>) -> Result<Self, Corrupt> {
        Ok(Stored6 {
            address: Ipv6Addr::from(r.u128()?),
            expire: r.u64()?,
            valid_lifetime: r.u32()?,
            subnet_id: r.u32()?,
            pref_lifetime: r.u32()?,
            iaid: r.u32()?,
            hwaddr_source: r.u32()?,
            hwtype: r.u16()?,
            lease_type: LeaseType6::from_code(u32::from(r.u8()?)).ok_or(Corrupt)?,
            prefix_len: r.u8()?,
            flags: get_flags(r)?,
            state: get_state(r)?,
            duid: SmallBytes::new(r.bytes()?),
            hwaddr: SmallBytes::new(r.bytes()?),
            text: get_text(r)?,
        })
    }

    /// The DUID and the IA; none for a declined lease's empty DUID.
    fn for_each_lookup(&self, mut f: impl FnMut(LookupRef<'_>)) {
        let duid = self.duid.as_slice();
        if duid.is_empty() || duid == EMPTY_DUID {
            return;
        }
        f(LookupRef::Duid(duid));
        f(LookupRef::DuidIaid(self.lease_type, self.iaid, duid));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv::Lookup;

    fn lookups<S: StoredLease>(s: &S) -> Vec<Lookup> {
        let mut out = Vec::new();
        s.for_each_lookup(|l| out.push(l.to_lookup()));
        out
    }

    #[test]
    fn sizes_stay_small() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
        assert_eq!(std::mem::size_of::<Ids4>(), 32);
        assert!(std::mem::size_of::<Option<Stored4>>() <= 56);
        assert_eq!(std::mem::size_of::<super::super::Expiry<Ipv4Addr>>(), 12);
        assert_eq!(std::mem::size_of::<super::super::Expiry<Ipv6Addr>>(), 24);
        assert!(std::mem::size_of::<Option<Stored6>>() <= 112);
    }

    #[test]
    fn ids4_inline_and_heap() {
        for hw in [0usize, 6, 20] {
            for cid in [
                None,
                Some(0usize),
                Some(7),
                Some(9),
                Some(23),
                Some(255),
                Some(300),
            ] {
                let hwaddr: Vec<u8> = (0..hw).map(|i| i as u8 + 1).collect();
                let client_id: Option<Vec<u8>> = cid.map(|n| (0..n).map(|i| !(i as u8)).collect());
                let t = text(format!("h{hw}"), String::new(), 0);
                let ids = Ids4::new(&hwaddr, client_id.as_deref(), t.clone());
                assert_eq!(ids.hwaddr(), &hwaddr[..]);
                assert_eq!(ids.client_id(), client_id.as_deref());
                assert_eq!(ids.text(), &t);
                let inline = hw + cid.unwrap_or(0) <= Ids4::INLINE;
                assert_eq!(matches!(ids, Ids4::Inline { .. }), inline, "{hw} {cid:?}");
            }
        }
    }

    #[test]
    fn small_bytes_inline_and_heap() {
        for n in [0, 1, 6, 21, 22, 23, 130, 300] {
            let data: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let b = SmallBytes::new(&data);
            assert_eq!(b.as_slice(), &data[..]);
            assert_eq!(
                matches!(b, SmallBytes::Inline { .. }),
                n <= SmallBytes::INLINE
            );
            let mut out = vec![9; 40];
            b.fill(&mut out);
            assert_eq!(out, data);
        }
    }

    fn lease4() -> Lease4 {
        Lease4 {
            addr: Ipv4Addr::new(192, 0, 2, 10),
            hwaddr: vec![0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff],
            client_id: Some(vec![0x01, 0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0xff]),
            valid_lifetime: 4000,
            expire: 1_700_004_000,
            subnet_id: 7,
            fqdn_fwd: true,
            fqdn_rev: false,
            hostname: "host.example.org.".into(),
            state: LeaseState::Declined,
            user_context: r#"{"a":1}"#.into(),
            pool_id: 0,
        }
    }

    #[test]
    fn lease4_round_trips() {
        let mut variants = vec![lease4()];
        let mut l = lease4();
        l.hwaddr.clear();
        l.client_id = None;
        l.hostname.clear();
        l.user_context.clear();
        l.fqdn_fwd = false;
        l.fqdn_rev = true;
        l.state = LeaseState::ExpiredReclaimed;
        variants.push(l.clone());
        l.client_id = Some(Vec::new());
        l.user_context = "{}".into();
        variants.push(l.clone());
        l.client_id = Some((0..=200).collect());
        l.hwaddr = (0..20).collect();
        l.hostname = "only-a-hostname".into();
        l.user_context.clear();
        variants.push(l);
        // `fill_row` over every other variant leaves nothing behind.
        let mut scratch = lease4();
        for l in &variants {
            let s = Stored4::from_row(l.clone());
            assert_eq!(&s.to_row(), l);
            assert_eq!(s.key(), l.addr);
            assert_eq!(s.expire(), l.expire);
            assert_eq!(s.valid_lifetime(), l.valid_lifetime);
            assert_eq!(s.state(), l.state);
            assert_eq!(lookups(&s), l.lookups());
            for other in &variants {
                Stored4::from_row(other.clone()).fill_row(&mut scratch);
                s.fill_row(&mut scratch);
                assert_eq!(&scratch, l);
            }
        }
    }

    fn lease6() -> Lease6 {
        Lease6 {
            address: "2001:db8:1::10".parse().unwrap(),
            duid: vec![0x00, 0x03, 0x00, 0x01, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
            valid_lifetime: 4000,
            expire: 1_700_004_000,
            subnet_id: 1,
            pref_lifetime: 3000,
            lease_type: LeaseType6::Ta,
            iaid: 0x0102_0304,
            prefix_len: 128,
            fqdn_fwd: true,
            fqdn_rev: true,
            hostname: "host.example.org.".into(),
            hwaddr: vec![0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f],
            state: LeaseState::Default,
            user_context: String::new(),
            hwtype: 1,
            hwaddr_source: 2,
            pool_id: 0,
        }
    }

    #[test]
    fn lease6_round_trips() {
        let mut variants = vec![lease6()];
        let mut l = lease6();
        l.lease_type = LeaseType6::Pd;
        l.prefix_len = 56;
        l.duid = (0..128).collect();
        l.hwaddr.clear();
        l.hwtype = 0;
        l.hwaddr_source = 0;
        l.hostname.clear();
        l.user_context = r#"{"b":[1,2]}"#.into();
        variants.push(l.clone());
        l.duid = EMPTY_DUID.to_vec();
        l.state = LeaseState::Declined;
        l.fqdn_fwd = false;
        l.fqdn_rev = false;
        l.user_context.clear();
        variants.push(l);
        let mut scratch = lease6();
        for l in &variants {
            let s = Stored6::from_row(l.clone());
            assert_eq!(&s.to_row(), l);
            assert_eq!(s.key(), l.address);
            assert_eq!(s.expire(), l.expire);
            assert_eq!(s.valid_lifetime(), l.valid_lifetime);
            assert_eq!(s.state(), l.state);
            assert_eq!(lookups(&s), l.lookups());
            for other in &variants {
                Stored6::from_row(other.clone()).fill_row(&mut scratch);
                s.fill_row(&mut scratch);
                assert_eq!(&scratch, l);
            }
        }
    }
}
