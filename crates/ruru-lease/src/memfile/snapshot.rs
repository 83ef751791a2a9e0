//! ruru's binary lease snapshot, `<name>.ruru-snapshot`: the content of one
//! compacted Kea CSV file (`<name>.completed`, then `<name>.2`) in the
//! memfile store's compact form, so that a restart reads fixed-layout
//! records into the indexes instead of parsing text.
//!
//! The CSV files stay the journal and the interchange format; Kea never
//! looks at this file. It is written by compaction in the same pass as
//! `<name>.output` (same leases, same order) and names the CSV file it
//! stands for by an [`Identity`]. At start-up it replaces that file only if
//! everything checks out: magic, format version, family, the header's and
//! the body's checksums, the length, the record count, keys in strictly
//! increasing order, every field valid, and the identity of the CSV file
//! being loaded. Anything else (Kea's LFC or an operator rewrote `.2`, a
//! crash between steps, a snapshot from another format version, a torn or
//! corrupt file) makes the store load the CSV file as before.
//!
//! # Layout (little-endian)
//! A [`HEADER_LEN`]-byte header (see [`Header::encode`]), then one record
//! per lease in key order: a `u32` length, then the lease
//! ([`StoredLease::put_snapshot`]): fixed-size fields, then identifiers and
//! text with LEB128 lengths.
//!
//! # Why this identity
//! Hashing the whole CSV file at every start would read it, which is what
//! the snapshot avoids. The file is identified instead by device, inode,
//! size, modification time (nanoseconds) and a checksum of its first and
//! last [`EDGE`] bytes. Kea's LFC and any editor write a new file
//! (`.output`/`.completed` renamed over `.2`: a new inode and time); an
//! in-place rewrite changes the time; a copy (`cp -p`, a restore) gets a
//! new inode. A rename keeps all of them, so the snapshot written beside
//! `.output` stands for it as `.completed` and as `.2`.
//!
//! # Why this checksum
//! No new dependency, and it must run at memory speed over hundreds of
//! megabytes: [`Checksum`] is FNV-1a's step (xor, multiply by the FNV
//! prime) over 64-bit words in four independent lanes. Each step is a
//! bijection of the lane state for a given word and of the word for a
//! given state, so a file that differs from the one written in a single
//! word always fails; a length in the header catches truncation. It only
//! guards against accidents (a torn write, a bad block), not an adversary,
//! who could as well edit the CSV file.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{Index, LoadCheck, StoredLease};
use crate::csv::LeaseRow;

/// What the snapshot of `<name>` is named: `<name>` + this.
pub(super) const SUFFIX: &str = ".ruru-snapshot";
/// The snapshot being written, renamed to `<name>.ruru-snapshot` when done.
pub(super) const OUTPUT_SUFFIX: &str = ".ruru-snapshot.output";

const MAGIC: [u8; 8] = *b"RURUSNAP";
/// Bump whenever the header or a record changes: an older or newer
/// snapshot is then ignored (and the CSV file loaded).
const VERSION: u32 = 2;
const HEADER_LEN: usize = 96;
/// Bytes at each end of the CSV file that its identity hashes.
const EDGE: u64 = 4096;
/// Bytes read from the snapshot at once.
const CHUNK: usize = 1 << 20;
/// The longest record a load accepts, so that a corrupt length cannot make
/// it buffer the whole file before the checksum fails. Far more than any
/// lease (a lease this long would only make the CSV file be read).
const MAX_RECORD: usize = 1 << 24;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A streaming checksum (see the module docs): four FNV-1a lanes over
/// 64-bit words, the last partial block zero-padded, the length mixed in.
#[derive(Clone)]
pub(super) struct Checksum {
    lanes: [u64; 4],
    tail: [u8; 32],
    tail_len: usize,
    total: u64,
}

impl Checksum {
    pub(super) fn new() -> Self {
        Checksum {
            lanes: [FNV_OFFSET, FNV_OFFSET ^ 1, FNV_OFFSET ^ 2, FNV_OFFSET ^ 3],
            tail: [0; 32],
            tail_len: 0,
            total: 0,
        }
    }

    fn block(lanes: &mut [u64; 4], block: &[u8]) {
        for (lane, word) in lanes.iter_mut().zip(block.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            *lane = (*lane ^ u64::from_le_bytes(w)).wrapping_mul(FNV_PRIME);
        }
    }

    pub(super) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.tail_len > 0 {
            let n = data.len().min(32 - self.tail_len);
            self.tail[self.tail_len..self.tail_len + n].copy_from_slice(&data[..n]);
            self.tail_len += n;
            data = &data[n..];
            if self.tail_len < 32 {
                return;
            }
            let tail = self.tail;
            Self::block(&mut self.lanes, &tail);
            self.tail_len = 0;
        }
        let mut blocks = data.chunks_exact(32);
        for block in &mut blocks {
            Self::block(&mut self.lanes, block);
        }
        let rest = blocks.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    pub(super) fn finish(&self) -> u64 {
        let mut lanes = self.lanes;
        if self.tail_len > 0 {
            let mut last = [0u8; 32];
            last[..self.tail_len].copy_from_slice(&self.tail[..self.tail_len]);
            Self::block(&mut lanes, &last);
        }
        let mut h = FNV_OFFSET;
        for x in lanes.into_iter().chain([self.total]) {
            h = (h ^ x).wrapping_mul(FNV_PRIME);
            h ^= h >> 29;
        }
        h
    }
}

/// The checksum a header ends with, of its first 88 bytes (tests forge
/// headers with it).
#[cfg(test)]
pub(super) fn header_checksum(bytes: &[u8]) -> u64 {
    checksum(bytes)
}

fn checksum(data: &[u8]) -> u64 {
    let mut c = Checksum::new();
    c.update(data);
    c.finish()
}

/// Which CSV file a snapshot stands for (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: i64,
    mtime_nsec: i64,
    edges: u64,
}

impl Identity {
    fn of(path: &Path) -> io::Result<Identity> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        let size = meta.len();
        let mut sum = Checksum::new();
        let mut buf = Vec::with_capacity(EDGE as usize);
        (&mut file).take(EDGE).read_to_end(&mut buf)?;
        sum.update(&buf);
        if size > EDGE {
            buf.clear();
            file.seek(SeekFrom::Start(EDGE.max(size - EDGE)))?;
            file.take(EDGE).read_to_end(&mut buf)?;
            sum.update(&buf);
        }
        Ok(Identity {
            dev: meta.dev(),
            ino: meta.ino(),
            size,
            mtime: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            edges: sum.finish(),
        })
    }
}

/// The fixed-size start of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    family: u8,
    count: u64,
    body_len: u64,
    body_sum: u64,
    csv: Identity,
}

impl Header {
    /// magic, version (u32), family (u8, 3 zero bytes), count, body
    /// length, body checksum, the CSV identity (device, inode, size, mtime
    /// seconds and nanoseconds, edge checksum), then the checksum of all
    /// the header before it: 96 bytes.
    fn encode(&self) -> [u8; HEADER_LEN] {
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(&MAGIC);
        h.extend_from_slice(&VERSION.to_le_bytes());
        h.extend_from_slice(&[self.family, 0, 0, 0]);
        for x in [
            self.count,
            self.body_len,
            self.body_sum,
            self.csv.dev,
            self.csv.ino,
            self.csv.size,
            self.csv.mtime as u64,
            self.csv.mtime_nsec as u64,
            self.csv.edges,
        ] {
            h.extend_from_slice(&x.to_le_bytes());
        }
        let sum = checksum(&h);
        h.extend_from_slice(&sum.to_le_bytes());
        let mut out = [0u8; HEADER_LEN];
        out.copy_from_slice(&h);
        out
    }

    fn decode(h: &[u8; HEADER_LEN]) -> Result<Header, String> {
        let mut r = Reader::new(h);
        if r.take(8)? != MAGIC {
            return Err("not a ruru lease snapshot".into());
        }
        let version = r.u32()?;
        if version != VERSION {
            return Err(format!(
                "format version {version}, this ruru reads {VERSION}"
            ));
        }
        let family = r.u8()?;
        r.take(3)?;
        let mut words = [0u64; 9];
        for w in &mut words {
            *w = r.u64()?;
        }
        let sum = r.u64()?;
        if sum != checksum(&h[..HEADER_LEN - 8]) {
            return Err("header checksum mismatch".into());
        }
        let [count, body_len, body_sum, dev, ino, size, mtime, mtime_nsec, edges] = words;
        Ok(Header {
            family,
            count,
            body_len,
            body_sum,
            csv: Identity {
                dev,
                ino,
                size,
                mtime: mtime as i64,
                mtime_nsec: mtime_nsec as i64,
                edges,
            },
        })
    }
}

/// A corrupt record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

impl From<Corrupt> for String {
    fn from(_: Corrupt) -> String {
        "corrupt record".into()
    }
}

/// Reads a record's fields; every read is bounds-checked.
pub struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], Corrupt> {
        if n > self.buf.len() {
            return Err(Corrupt);
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Corrupt> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    pub fn u8(&mut self) -> Result<u8, Corrupt> {
        Ok(self.array::<1>()?[0])
    }
    pub fn u16(&mut self) -> Result<u16, Corrupt> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub fn u32(&mut self) -> Result<u32, Corrupt> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub fn u64(&mut self) -> Result<u64, Corrupt> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub fn u128(&mut self) -> Result<u128, Corrupt> {
        Ok(u128::from_le_bytes(self.array()?))
    }

    /// A LEB128 length.
    pub fn len(&mut self) -> Result<usize, Corrupt> {
        let mut n: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return usize::try_from(n).map_err(|_| Corrupt);
            }
        }
        Err(Corrupt)
    }

    /// Length-prefixed bytes.
    pub fn bytes(&mut self) -> Result<&'a [u8], Corrupt> {
        let n = self.len()?;
        self.take(n)
    }

    /// Length-prefixed UTF-8 text.
    pub fn text(&mut self) -> Result<&'a str, Corrupt> {
        std::str::from_utf8(self.bytes()?).map_err(|_| Corrupt)
    }

    /// Optional bytes: a length of 0 is `None`, n + 1 is n bytes.
    pub fn opt_bytes(&mut self) -> Result<Option<&'a [u8]>, Corrupt> {
        match self.len()? {
            0 => Ok(None),
            n => self.take(n - 1).map(Some),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// A LEB128 length.
pub fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

pub fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_len(out, b.len());
    out.extend_from_slice(b);
}

pub fn put_opt_bytes(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_len(out, 0),
        Some(b) => {
            put_len(out, b.len() + 1);
            out.extend_from_slice(b);
        }
    }
}

/// Writes a snapshot beside a compaction's `.output` (see
/// `MemfileStore::compact`): records are added under the read lock, into
/// memory; [`Writer::write_chunk`] writes them out after it is released.
pub(super) struct Writer {
    tmp: PathBuf,
    out: BufWriter<File>,
    chunk: Vec<u8>,
    sum: Checksum,
    count: u64,
    body_len: u64,
}

impl Writer {
    /// Creates `tmp` with `mode`, room left for the header.
    pub(super) fn create(tmp: &Path, mode: u32) -> io::Result<Writer> {
        let mut out = BufWriter::with_capacity(CHUNK, crate::files::create(tmp, mode)?);
        out.write_all(&[0u8; HEADER_LEN])?;
        Ok(Writer {
            tmp: tmp.to_path_buf(),
            out,
            chunk: Vec::new(),
            sum: Checksum::new(),
            count: 0,
            body_len: 0,
        })
    }

    pub(super) fn add<S: StoredLease>(&mut self, lease: &S) {
        let at = self.chunk.len();
        self.chunk.extend_from_slice(&[0; 4]);
        lease.put_snapshot(&mut self.chunk);
        // A record longer than 4 GiB cannot be written; the length then
        // fails the load, which falls back to the CSV file.
        let len = u32::try_from(self.chunk.len() - at - 4).unwrap_or(u32::MAX);
        self.chunk[at..at + 4].copy_from_slice(&len.to_le_bytes());
        self.count += 1;
    }

    pub(super) fn write_chunk(&mut self) -> io::Result<()> {
        self.sum.update(&self.chunk);
        self.body_len += self.chunk.len() as u64;
        let written = self.out.write_all(&self.chunk);
        self.chunk.clear();
        written
    }

    /// Finishes the file for `csv` (written, fsynced, not renamed yet),
    /// fsyncs it and renames it to `dest`.
    pub(super) fn finish<S: StoredLease>(mut self, csv: &Path, dest: &Path) -> io::Result<()> {
        self.write_chunk()?;
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        let header = Header {
            family: S::FAMILY_CODE,
            count: self.count,
            body_len: self.body_len,
            body_sum: self.sum.finish(),
            csv: Identity::of(csv)?,
        };
        file.seek(SeekFrom::Start(0))?;
        file.write_all(&header.encode())?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, dest)
    }
}

/// What [`load`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Loaded {
    /// Records in the snapshot.
    pub records: usize,
    /// Leases the load check discarded.
    pub discarded: usize,
}

/// Loads the snapshot at `path` into the empty `index` if it stands for
/// `csv`, passing every lease through `check` as the CSV loader would; `extra`
/// is room to make for the leases of the files loaded after it. `Ok(None)`
/// when there is no snapshot; `Err` says why it cannot be used, and `index`
/// must then be thrown away. Like a CSV file, it leaves the expiry sets and
/// the lookup table to `Index::build_deferred` (`index` must be deferred).
pub(super) fn load<L: LeaseRow>(
    path: &Path,
    csv: &Path,
    check: Option<LoadCheck<'_, L>>,
    index: &mut Index<L>,
    extra: usize,
) -> Result<Option<Loaded>, String> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let io = |e: io::Error| e.to_string();
    let mut raw = [0u8; HEADER_LEN];
    file.read_exact(&mut raw)
        .map_err(|_| "shorter than its header".to_string())?;
    let header = Header::decode(&raw)?;
    if header.family != L::Stored::FAMILY_CODE {
        return Err(format!("a snapshot of another family ({})", header.family));
    }
    let len = file.metadata().map_err(io)?.len();
    if Some(len) != header.body_len.checked_add(HEADER_LEN as u64) {
        return Err(format!(
            "{len} bytes, the header says {}",
            header.body_len.saturating_add(HEADER_LEN as u64)
        ));
    }
    let csv_now = Identity::of(csv).map_err(io)?;
    if csv_now != header.csv {
        return Err(format!(
            "{} is not the file it was written with (rewritten by Kea's LFC or by hand?)",
            csv.display()
        ));
    }
    if !index.slots.is_empty() || !index.deferred {
        return Err("the snapshot must be loaded first, into a deferred index".into());
    }
    let count = usize::try_from(header.count).map_err(|_| "too many leases".to_string())?;
    // A corrupt count must not reserve unbounded memory: every record
    // takes at least 8 bytes.
    if header.count > header.body_len / 8 {
        return Err(format!(
            "{count} records cannot fit in {} bytes",
            header.body_len
        ));
    }
    index.slots.reserve(count.saturating_add(extra));
    let mut build = Build::<L> {
        keys: Vec::with_capacity(count),
        last: None,
        scratch: None,
        check,
        discarded: 0,
    };
    let mut sum = Checksum::new();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK);
    let mut records = 0usize;
    let mut body = (&mut file).take(header.body_len);
    loop {
        let old = buf.len();
        let n = (&mut body)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .map_err(io)?;
        if n == 0 {
            break;
        }
        sum.update(&buf[old..]);
        let mut at = 0;
        while let Some(len_bytes) = buf.get(at..at + 4) {
            let mut l = [0u8; 4];
            l.copy_from_slice(len_bytes);
            let len = u32::from_le_bytes(l) as usize;
            if len > MAX_RECORD {
                return Err(format!("a record of {len} bytes"));
            }
            let Some(rec) = buf.get(at + 4..at + 4 + len) else {
                break;
            };
            let mut r = Reader::new(rec);
            let lease = L::Stored::get_snapshot(&mut r)?;
            if !r.is_empty() {
                return Err("a record longer than its lease".into());
            }
            build.add(index, lease)?;
            records += 1;
            at += 4 + len;
        }
        buf.drain(..at);
    }
    if !buf.is_empty() {
        return Err("truncated record".into());
    }
    if records != count {
        return Err(format!("{records} records, the header says {count}"));
    }
    if sum.finish() != header.body_sum {
        return Err("checksum mismatch".into());
    }
    index.by_key = build.keys.into_iter().collect();
    Ok(Some(Loaded {
        records,
        discarded: build.discarded,
    }))
}

/// Builds the indexes from leases in strictly increasing key order.
struct Build<'c, L: LeaseRow> {
    /// Key -> slot, in key order: `by_key` is built from it at the end,
    /// in one pass (full nodes).
    keys: Vec<(L::Key, u32)>,
    last: Option<L::Key>,
    /// The row the load check looks at, refilled for each lease.
    scratch: Option<L>,
    check: Option<LoadCheck<'c, L>>,
    discarded: usize,
}

impl<L: LeaseRow> Build<'_, L> {
    fn add(&mut self, index: &mut Index<L>, mut lease: L::Stored) -> Result<(), String> {
        let key = lease.key();
        if self.last.is_some_and(|last| last >= key) {
            return Err("keys out of order".into());
        }
        self.last = Some(key);
        if let Some(check) = self.check {
            let row = self.scratch.get_or_insert_with(|| lease.to_row());
            lease.fill_row(row);
            if !check(row) {
                self.discarded += 1;
                return Ok(());
            }
            if !lease.matches_row(row) {
                if row.key() != key {
                    return Err("the load check changed a key".into());
                }
                lease = L::Stored::from_row(row.clone());
            }
        }
        // As the CSV loader does: a lease with valid_lifetime 0 is a
        // deletion (the CSV file has this row too).
        if lease.valid_lifetime() == 0 {
            return Ok(());
        }
        let slot = u32::try_from(index.slots.len()).map_err(|_| "too many leases".to_string())?;
        if let Some(b) = L::block(key) {
            *index.blocks.entry(b).or_insert(0) += 1;
        }
        index.slots.push(Some(lease));
        self.keys.push((key, slot));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_streams_like_one_call() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let whole = checksum(&data);
        for split in [0, 1, 7, 31, 32, 33, 64, 500, 999, 1000] {
            let mut c = Checksum::new();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), whole, "split at {split}");
        }
        // Every single-bit flip, and every truncation, changes it.
        for i in 0..data.len() {
            for bit in 0..8 {
                let mut d = data.clone();
                d[i] ^= 1 << bit;
                assert_ne!(checksum(&d), whole);
            }
            assert_ne!(checksum(&data[..i]), whole);
        }
        // Trailing zeros are not padding.
        let mut z = data.clone();
        z.push(0);
        assert_ne!(checksum(&z), whole);
    }

    #[test]
    fn lengths_round_trip() {
        for n in [
            0usize,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1 << 28,
            u32::MAX as usize,
        ] {
            let mut out = Vec::new();
            put_len(&mut out, n);
            let mut r = Reader::new(&out);
            assert_eq!(r.len(), Ok(n));
            assert!(r.is_empty());
        }
        // Too long, or cut short.
        assert_eq!(Reader::new(&[0x80; 6]).len(), Err(Corrupt));
        assert_eq!(Reader::new(&[0x80]).len(), Err(Corrupt));
        let mut out = Vec::new();
        put_opt_bytes(&mut out, None);
        put_opt_bytes(&mut out, Some(b""));
        put_opt_bytes(&mut out, Some(b"ab"));
        put_bytes(&mut out, b"xyz");
        let mut r = Reader::new(&out);
        assert_eq!(r.opt_bytes(), Ok(None));
        assert_eq!(r.opt_bytes(), Ok(Some(&b""[..])));
        assert_eq!(r.opt_bytes(), Ok(Some(&b"ab"[..])));
        assert_eq!(r.text(), Ok("xyz"));
        assert_eq!(r.u8(), Err(Corrupt));
    }

    #[test]
    fn header_round_trips_and_rejects_damage() {
        let h = Header {
            family: 6,
            count: 3,
            body_len: 1234,
            body_sum: 0xdead_beef,
            csv: Identity {
                dev: 1,
                ino: 2,
                size: 3,
                mtime: -4,
                mtime_nsec: 5,
                edges: 6,
            },
        };
        let raw = h.encode();
        assert_eq!(Header::decode(&raw), Ok(h));
        for i in 0..HEADER_LEN {
            let mut bad = raw;
            bad[i] ^= 0x10;
            assert!(Header::decode(&bad).is_err(), "byte {i}");
        }
    }
}
