//! The memfile backend: leases in memory, every change appended to a Kea
//! CSV journal, and Kea's lease file cleanup (LFC) to compact it.
//!
//! One [`MemfileStore`] holds one family's leases, as Kea's memfile does
//! (`kea-leases4.csv` for Dhcp4, `kea-leases6.csv` for Dhcp6). All of the
//! code below is generic over the row type ([`LeaseRow`]): [`Memfile4`]
//! (also named [`Memfile`]) = `MemfileStore<Lease4>` and [`Memfile6`] =
//! `MemfileStore<Lease6>` differ only in their [`LeaseStore`] methods, which
//! map the trait onto the generic operations. The other family's trait
//! methods keep their defaults (find nothing, writes are `Unsupported`).
//!
//! # Files (Kea's names and protocol)
//! For a lease file `<name>`:
//! - `<name>`: the journal being appended to. One row per change; a deleted
//!   lease is journaled as that lease with `valid_lifetime` 0.
//! - `<name>.1`: the journal as it was when a compaction started (Kea's
//!   "input"/copy file).
//! - `<name>.2`: the result of the previous compaction (Kea's "previous").
//! - `<name>.output`: a snapshot being written; ignored when loading.
//! - `<name>.completed`: a finished snapshot not yet moved to `.2`.
//! - `<name>.ruru-snapshot` (ruru's own, Kea ignores it): the leases of
//!   `.completed`/`.2` in binary form, written by compaction beside
//!   `.output`; at start-up it replaces the CSV file it stands for when
//!   it checks out, and is ignored otherwise (module `snapshot`).
//!
//! Loading follows Kea's `Memfile_LeaseMgr::loadLeasesFromFiles`:
//! `<name>.completed` if it exists, otherwise `<name>.2` then `<name>.1`;
//! then always `<name>`. The first of those (`.completed` or `.2`) is read
//! from the snapshot when it stands for it. Later rows replace earlier ones for an address
//! (the key, in both files); a row with `valid_lifetime` 0 removes the
//! address.
//!
//! Compaction ([`MemfileStore::compact`]) does what Kea's server + `kea-lfc` do:
//! 1. if `.completed` exists, an earlier run stopped during cleanup: finish
//!    it (remove `.2` and `.1`, rename `.completed` to `.2`);
//! 2. unless `.1` exists (an earlier run stopped before `.completed`), take
//!    the journal lock briefly, rename `<name>` to `.1` and start a fresh
//!    `<name>` with a header;
//! 3. with no lock held across it, write a snapshot of the in-memory leases to
//!    `.output` (read in chunks under the read lock), and the same leases to
//!    `<name>.ruru-snapshot.output`; fsync both, rename the binary one to
//!    `<name>.ruru-snapshot`, then `.output` to `.completed`;
//! 4. remove `.2` and `.1`, rename `.completed` to `.2`.
//!
//! Where Kea's `kea-lfc` merges `.2` and `.1` from disk, we snapshot memory,
//! which holds the same leases plus, possibly, some changes made after the
//! rotation; those changes are also in the fresh `<name>`, and replaying a
//! row over a newer state gives the same final state, so a load after any
//! crash point (by ruru or Kea) yields the leases we had.
//!
//! # Concurrency
//! Readers take a read lock on the indexes and never wait for I/O. Writers
//! serialize on the journal mutex: they check the indexes, write the row to
//! the file, and only then take the write lock to apply the change, so the
//! journal order is the order of the in-memory changes and a failed write
//! changes nothing. Lock order is always journal, then indexes.
//!
//! # Memory and start-up
//! A store may hold millions of leases and must load them quickly at
//! start-up (issue 8: a million in under 2 s and 300 MB; issue 22: 16.6 M
//! in under 5 s, a million in 0.3 s and 120 MiB). So the leases are kept
//! in a compact form (`stored`: 56 bytes a DHCPv4 lease, identifiers
//! inline, empty text columns free) in numbered slots, the indexes hold
//! slot numbers and keys, the secondary-key index holds 32-bit hashes only
//! (`lookup`), a lease file is parsed on a second thread while this one
//! stores the leases (`load_file`), the expiry sets and the lookup table
//! are built once at the end of a load, each in one ordered pass
//! ([`Index::build_deferred`]), and after a compaction the leases load from
//! a binary snapshot instead of CSV text (`snapshot`).

use std::collections::{btree_map, hash_map, BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::csv::{self, LeaseRow, LookupRef, Width};
use crate::{Block4, Lease4, Lease6, LeaseError, LeaseState, LeaseStore, LeaseType6};

mod fileset;
mod lookup;
mod snapshot;
mod stored;

use fileset::{exists, io_err, open_append, open_append_mode, snapshot_failed, sync_dir, Files};
use lookup::LookupIndex;

pub use stored::{Stored4, Stored6, StoredLease};

/// Leases copied per read-lock hold while writing a snapshot.
const SNAPSHOT_CHUNK: usize = 4096;

/// About the length of a short lease row (a DHCPv4 row with a MAC address
/// and nothing else is 55 to 60 bytes), to guess from the files' sizes how
/// many leases loading them makes room for. A guess too small costs a
/// rehash while loading; one too large costs memory.
const ROW_BYTES: u64 = 64;

/// Options for [`MemfileStore::open_with`].
#[derive(Debug, Clone, Default)]
pub struct MemfileOptions {
    /// Kea's `max-row-errors`: how many invalid rows one file may have before
    /// loading fails; 0 (Kea's default) means no limit. Invalid rows are
    /// always skipped with a warning.
    pub max_row_errors: usize,
    /// fsync the journal after every write (see [`MemfileStore::set_sync`]).
    pub sync: bool,
}

/// A check each row read from the lease files goes through before it is
/// applied (Kea's `sanity-checks`, which the server builds from its
/// subnets): it may change the row (a corrected subnet ID) or return false
/// to skip it, deletion rows included, as Kea's `LeaseFileLoader` does.
pub type LoadCheck<'a, L> = &'a (dyn Fn(&mut L) -> bool + Sync);

/// What [`MemfileStore::open`] loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// Rows decoded, including deletion records.
    pub rows: usize,
    /// Invalid rows skipped.
    pub skipped: usize,
    /// Rows the load check ([`LoadCheck`]) discarded.
    pub discarded: usize,
    /// Leases in memory after loading.
    pub leases: usize,
    /// A file had another Kea version's columns, so the files were compacted
    /// at once to rewrite them in ours (Kea runs LFC at start-up for this).
    pub converted: bool,
    /// The snapshot (`<name>.ruru-snapshot`) loaded in place of the CSV file
    /// it stands for (the first of `files`), if one was.
    pub snapshot: Option<PathBuf>,
}

/// What one [`MemfileStore::compact`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactStats {
    /// Leases written to the snapshot.
    pub leases: usize,
    /// `<name>` was rotated to `<name>.1`.
    pub rotated: bool,
    /// Files left by an interrupted compaction (ours or Kea's) were found
    /// and taken care of.
    pub recovered: bool,
    /// Wall time of the whole compaction.
    pub elapsed: Duration,
}

/// An entry of the expiry sets: expiry time, then key (their order). Packed
/// to 4-byte alignment, a DHCPv4 entry takes 12 bytes where `(u64,
/// Ipv4Addr)` takes 16 with its padding: 4 MiB less per million leases in
/// the sets, and as much in the buffer they are built from at start-up.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Expiry<K: Copy> {
    expire: u64,
    key: K,
}

impl<K: Copy + Ord> Expiry<K> {
    fn new(expire: u64, key: K) -> Self {
        Expiry { expire, key }
    }
    // By value: a packed field cannot be borrowed.
    fn expire(self) -> u64 {
        self.expire
    }
    fn key(self) -> K {
        self.key
    }
}

impl<K: Copy + Ord> Ord for Expiry<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.expire(), self.key()).cmp(&(other.expire(), other.key()))
    }
}

impl<K: Copy + Ord> PartialOrd for Expiry<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Copy + Ord> PartialEq for Expiry<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl<K: Copy + Ord> Eq for Expiry<K> {}

/// The in-memory indexes. Every lease is in `slots`, in its compact form
/// ([`StoredLease`]), at a slot that does not change while it is stored;
/// the maps hold keys and slot numbers only.
struct Index<L: LeaseRow> {
    /// The leases; `None` is a free slot (listed in `free`). A slot number
    /// takes 4 bytes where a key may take 16, and keeps the lookup map
    /// free of identifier copies.
    slots: Vec<Option<L::Stored>>,
    free: Vec<u32>,
    /// Key -> slot, in key order (snapshots and listings are by key).
    by_key: BTreeMap<L::Key, u32>,
    /// How many leases each [`crate::BLOCK4`]-address block holds
    /// ([`LeaseRow::block`]; DHCPv4 only), so that the allocator can step
    /// over a full block without looking at its addresses.
    blocks: HashMap<u32, u16, foldhash::fast::RandomState>,
    by_lookup: LookupIndex,
    /// Default and Declined leases by expiry: reclamation candidates, so
    /// `expired` is a range scan.
    active_by_expire: BTreeSet<Expiry<L::Key>>,
    /// ExpiredReclaimed leases by expiry, for `flush_reclaimed`.
    reclaimed_by_expire: BTreeSet<Expiry<L::Key>>,
    /// While loading files, the expiry sets and the lookup table are left
    /// empty and built once at the end ([`Index::build_deferred`]): a
    /// million inserts in expiry order (random, in a real file) took a
    /// quarter of the load, and a million inserts into the lookup table,
    /// each a cache miss, more than half of a load from the snapshot.
    deferred: bool,
}

impl<L: LeaseRow> Default for Index<L> {
    fn default() -> Self {
        Index {
            slots: Vec::new(),
            free: Vec::new(),
            by_key: BTreeMap::new(),
            blocks: HashMap::default(),
            by_lookup: LookupIndex::default(),
            active_by_expire: BTreeSet::new(),
            reclaimed_by_expire: BTreeSet::new(),
            deferred: false,
        }
    }
}

impl<L: LeaseRow> Index<L> {
    /// Makes room for about `leases` leases up front, so that loading a big
    /// file does not grow (and rehash) the tables step by step.
    fn reserve(&mut self, leases: usize) {
        self.slots.reserve(leases);
    }

    fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Leaves the expiry sets and the lookup table alone until
    /// [`Index::build_deferred`].
    fn defer(&mut self) {
        self.deferred = true;
    }

    /// Builds the expiry sets and then the lookup table from every stored
    /// lease at once (in this order, so that the expiry sets' sorting
    /// buffer is gone before the table fills: the peak memory of a
    /// start-up).
    fn build_deferred(&mut self) {
        self.index_expiry();
        let mut lookups = Vec::with_capacity(self.len());
        let by_lookup = &self.by_lookup;
        for (slot, lease) in self.slots.iter().enumerate() {
            if let (Some(lease), Ok(slot)) = (lease, u32::try_from(slot)) {
                lease.for_each_lookup(|lookup| lookups.push((by_lookup.hash(lookup), slot)));
            }
        }
        self.by_lookup.add_all(lookups);
        self.deferred = false;
    }

    /// Builds the expiry sets from every stored lease at once: sorted, then
    /// built bottom-up (`BTreeSet`'s `FromIterator`), which also packs the
    /// tree's nodes full.
    fn index_expiry(&mut self) {
        let mut active = Vec::new();
        let mut reclaimed = Vec::new();
        for lease in self.slots.iter().flatten() {
            let entry = Expiry::new(lease.expire(), lease.key());
            match lease.state() {
                LeaseState::ExpiredReclaimed => reclaimed.push(entry),
                LeaseState::Default | LeaseState::Declined => active.push(entry),
            }
        }
        active.sort_unstable();
        reclaimed.sort_unstable();
        self.active_by_expire = active.into_iter().collect();
        self.reclaimed_by_expire = reclaimed.into_iter().collect();
    }

    fn stored(&self, slot: u32) -> Option<&L::Stored> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn get(&self, key: &L::Key) -> Option<&L::Stored> {
        self.by_key.get(key).and_then(|slot| self.stored(*slot))
    }

    /// Which addresses of block `block` have a lease: from the counts
    /// when the block is empty or full, otherwise from the keys.
    fn leased_in(&self, block: u32) -> Block4
    where
        L: LeaseRow<Key = Ipv4Addr>,
    {
        match self.blocks.get(&block).map_or(0, |n| u32::from(*n)) {
            0 => [0; 4],
            n if n >= crate::BLOCK4 => [u64::MAX; 4],
            _ => {
                let first = block * crate::BLOCK4;
                let last = first + (crate::BLOCK4 - 1);
                let mut bits = [0u64; 4];
                for key in self
                    .by_key
                    .range(Ipv4Addr::from(first)..=Ipv4Addr::from(last))
                    .map(|(k, _)| u32::from(*k) - first)
                {
                    bits[(key / 64) as usize] |= 1 << (key % 64);
                }
                bits
            }
        }
    }

    /// The stored leases in key order.
    fn iter(&self) -> impl Iterator<Item = &L::Stored> + '_ {
        self.by_key.values().filter_map(|slot| self.stored(*slot))
    }

    fn expiry_set(&mut self, state: LeaseState) -> &mut BTreeSet<Expiry<L::Key>> {
        match state {
            LeaseState::ExpiredReclaimed => &mut self.reclaimed_by_expire,
            LeaseState::Default | LeaseState::Declined => &mut self.active_by_expire,
        }
    }

    fn insert(&mut self, lease: L::Stored) {
        let key = lease.key();
        let slot = match self.by_key.entry(key) {
            // Replaced in place: the key keeps its slot.
            btree_map::Entry::Occupied(e) => {
                let slot = *e.get();
                self.unlink(slot);
                slot
            }
            btree_map::Entry::Vacant(e) => {
                let slot = match self.free.pop() {
                    Some(slot) => slot,
                    None => {
                        // More than 2^32 leases do not fit in memory anyway.
                        let slot = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                        self.slots.push(None);
                        slot
                    }
                };
                e.insert(slot);
                if let Some(b) = L::block(key) {
                    *self.blocks.entry(b).or_insert(0) += 1;
                }
                slot
            }
        };
        if !self.deferred {
            let by_lookup = &mut self.by_lookup;
            lease.for_each_lookup(|lookup| by_lookup.add(lookup, slot));
            self.expiry_set(lease.state())
                .insert(Expiry::new(lease.expire(), key));
        }
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = Some(lease);
        }
    }

    /// Takes the lease out of `slot` and out of the secondary indexes (not
    /// out of `by_key`).
    fn unlink(&mut self, slot: u32) -> Option<L::Stored> {
        let old = self.slots.get_mut(slot as usize)?.take()?;
        if !self.deferred {
            let by_lookup = &mut self.by_lookup;
            old.for_each_lookup(|lookup| by_lookup.remove(lookup, slot));
            self.expiry_set(old.state())
                .remove(&Expiry::new(old.expire(), old.key()));
        }
        Some(old)
    }

    fn remove(&mut self, key: L::Key) -> Option<L> {
        let slot = self.by_key.remove(&key)?;
        if let Some(b) = L::block(key) {
            if let hash_map::Entry::Occupied(mut e) = self.blocks.entry(b) {
                *e.get_mut() -= 1;
                if *e.get() == 0 {
                    e.remove();
                }
            }
        }
        let old = self.unlink(slot)?;
        self.free.push(slot);
        Some(old.to_row())
    }

    /// Applies one journal row as Kea's loader does.
    fn apply(&mut self, lease: L::Stored) {
        if lease.valid_lifetime() == 0 {
            self.remove(lease.key());
        } else {
            self.insert(lease);
        }
    }

    /// The leases with this secondary key, in key order.
    fn find(&self, lookup: LookupRef<'_>) -> Vec<L> {
        let mut found: Vec<&L::Stored> = self
            .by_lookup
            .get(lookup)
            .filter_map(|slot| self.stored(slot))
            .filter(|stored| {
                let mut has = false;
                stored.for_each_lookup(|l| has |= l == lookup);
                has
            })
            .collect();
        found.sort_by_key(|stored| stored.key());
        found.into_iter().map(StoredLease::to_row).collect()
    }
}

/// The journal file's state.
enum Journal {
    /// Memory only: nothing is written.
    Memory,
    /// Appending to `<name>`; `len` is the length after the last complete
    /// row, to cut a torn row off after a failed write.
    Open { file: File, len: u64 },
    /// The file handle was lost (a failed rotation or a failed cleanup after
    /// a failed write); the next write reopens `<name>`.
    Lost,
}

/// Leases passed at once from the parsing thread to the indexing one.
const LOAD_BATCH: usize = 1024;

/// Reads one lease file into `index`, in file order. Parsing rows and
/// building the indexes take about as long as each other, so a second
/// thread parses (and makes the compact leases) while this one indexes;
/// batches keep the hand-over cheap, and the bounded channel keeps the
/// memory in flight small. Without a second thread, both run here.
fn load_file<L: LeaseRow>(
    path: &Path,
    max_row_errors: usize,
    check: Option<LoadCheck<'_, L>>,
    index: &mut Index<L>,
) -> Result<(csv::FileStats, usize), LeaseError> {
    let parse = |send: &mut dyn FnMut(Vec<L::Stored>)| {
        let mut batch = Vec::with_capacity(LOAD_BATCH);
        let mut discarded = 0;
        let read = csv::read_file::<L>(path, max_row_errors, |mut lease| {
            if let Some(check) = check {
                if !check(&mut lease) {
                    discarded += 1;
                    return;
                }
            }
            batch.push(L::Stored::from_row(lease));
            if batch.len() == LOAD_BATCH {
                send(std::mem::replace(
                    &mut batch,
                    Vec::with_capacity(LOAD_BATCH),
                ));
            }
        });
        send(batch);
        read.map(|r| (r, discarded))
    };
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<L::Stored>>(4);
        let parser = std::thread::Builder::new()
            .name("lease-load".into())
            .spawn_scoped(scope, move || {
                // A send fails only when the receiver is gone, which it
                // is not before this thread ends.
                parse(&mut |batch| {
                    let _ = tx.send(batch);
                })
            });
        match parser {
            Ok(parser) => {
                for batch in rx {
                    for lease in batch {
                        index.apply(lease);
                    }
                }
                parser
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            }
            Err(e) => {
                tracing::debug!(error = %e, "no thread to parse the lease file: loading on one");
                parse(&mut |batch| {
                    for lease in batch {
                        index.apply(lease);
                    }
                })
            }
        }
    })
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No critical section here can leave the data half-changed by a panic,
    // so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The memfile lease store for one family's lease file (`L` is [`Lease4`]
/// or [`Lease6`]). See the module documentation.
pub struct MemfileStore<L: LeaseRow> {
    /// The lease file's instance lock, held while the store is open.
    _instance: Option<crate::files::InstanceLock>,
    /// `<name>`, or `None` when leases are kept in memory only
    /// (Kea's `persist: false`).
    path: Option<PathBuf>,
    index: RwLock<Index<L>>,
    /// The write path: held while checking, journaling and applying a
    /// change, and while rotating the file.
    journal: Mutex<Journal>,
    /// Only one compaction at a time.
    compaction: Mutex<()>,
    sync: AtomicBool,
    load_stats: LoadStats,
    /// The columns the files are written with: Kea 2.2's, or Kea 2.4+'s
    /// with `pool_id` when the file already had them.
    width: Width,
}

/// The DHCPv4 store (`kea-leases4.csv`).
pub type Memfile4 = MemfileStore<Lease4>;
/// The DHCPv6 store (`kea-leases6.csv`).
pub type Memfile6 = MemfileStore<Lease6>;
/// The DHCPv4 store, under the name its first callers use.
pub type Memfile = Memfile4;

impl<L: LeaseRow> MemfileStore<L> {
    /// Opens the store for `L`'s lease file: `Memfile4::open` (or
    /// `Memfile::open`) for `kea-leases4.csv`, `Memfile6::open` for
    /// `kea-leases6.csv`. `None` keeps leases in memory only; a path loads
    /// Kea's file set for it (see the module docs) and appends to it.
    pub fn open(path: Option<&Path>) -> Result<Self, LeaseError> {
        Self::open_with(path, MemfileOptions::default())
    }

    /// [`MemfileStore::open`] with options.
    pub fn open_with(path: Option<&Path>, options: MemfileOptions) -> Result<Self, LeaseError> {
        Self::open_checked(path, options, None)
    }

    /// [`MemfileStore::open_with`], passing every row loaded through
    /// `check` (see [`LoadCheck`]).
    pub fn open_checked(
        path: Option<&Path>,
        options: MemfileOptions,
        check: Option<LoadCheck<'_, L>>,
    ) -> Result<Self, LeaseError> {
        let mut index = Index::<L>::default();
        let mut stats = LoadStats::default();
        let mut journal = Journal::Memory;
        let mut needs_conversion = false;
        let mut width = Width::Kea22;
        let mut instance = None;
        if let Some(path) = path {
            // One server per lease file: a second one would interleave its
            // rows and compactions with ours.
            instance = Some(crate::files::lock_instance(path).map_err(io_err(path))?);
            let files = Files::new(path);
            let mut sources = Vec::new();
            if exists(&files.completed)? {
                sources.push(files.completed.clone());
            } else {
                for p in [&files.previous, &files.input] {
                    if exists(p)? {
                        sources.push(p.clone());
                    }
                }
            }
            if exists(&files.current)? {
                sources.push(files.current.clone());
            }
            let rows = |files: &[PathBuf]| {
                let bytes: u64 = files
                    .iter()
                    .filter_map(|p| fs::metadata(p).ok())
                    .map(|m| m.len())
                    .sum();
                usize::try_from(bytes / ROW_BYTES).unwrap_or(0)
            };
            index.defer();
            // The header of each file loaded.
            let mut headers: Vec<(PathBuf, csv::Header)> = Vec::new();
            let mut rest = &sources[..];
            if let Some((first, after)) = sources
                .split_first()
                .filter(|(f, _)| **f == files.completed || **f == files.previous)
            {
                let snap = &files.snapshot;
                match snapshot::load(snap, first, check, &mut index, rows(after)) {
                    Ok(Some(loaded)) => {
                        if let Some(h) = csv::read_header::<L>(first) {
                            headers.push((first.clone(), h));
                        }
                        tracing::info!(path = %snap.display(), csv = %first.display(), leases = loaded.records, "lease snapshot loaded");
                        stats.discarded += loaded.discarded;
                        stats.files.push(first.clone());
                        stats.snapshot = Some(snap.clone());
                        rest = after;
                    }
                    Ok(None) => {}
                    Err(why) => {
                        tracing::info!(path = %snap.display(), reason = %why, "lease snapshot not used: loading the CSV files");
                        // It will not match later either: removed, so that
                        // each start until the next cleanup does not read
                        // it again before the CSV files.
                        if let Err(e) = fs::remove_file(snap) {
                            tracing::warn!(path = %snap.display(), error = %e, "cannot remove the unused lease snapshot");
                        }
                        index = Index::default();
                        index.defer();
                    }
                }
            }
            if stats.snapshot.is_none() {
                index.reserve(rows(&sources));
            }
            for source in rest.iter().cloned() {
                let (read, discarded) =
                    load_file(&source, options.max_row_errors, check, &mut index)?;
                stats.discarded += discarded;
                stats.rows += read.rows;
                stats.skipped += read.skipped;
                if let Some(h) = read.header {
                    headers.push((source.clone(), h));
                }
                stats.files.push(source);
            }
            index.build_deferred();
            // The layout the current file has; a new one gets Kea 2.2's,
            // unless the cleanup output it follows has `pool_id` (Kea
            // 2.4+ wrote it). Any file in another layout is rewritten.
            let current = headers
                .iter()
                .find(|(p, _)| *p == files.current)
                .and_then(|(_, h)| Width::of::<L>(h));
            width = match current {
                Some(w) => w,
                None if headers.iter().any(|(_, h)| h.columns >= L::COLUMNS.len()) => Width::PoolId,
                None => Width::Kea22,
            };
            needs_conversion = headers
                .iter()
                .any(|(_, h)| Width::of::<L>(h) != Some(width));
            let (file, len) =
                open_append(path, width.header::<L>(), options.sync).map_err(io_err(path))?;
            journal = Journal::Open { file, len };
        }
        stats.leases = index.len();
        let mut store = MemfileStore {
            _instance: instance,
            path: path.map(Path::to_path_buf),
            index: RwLock::new(index),
            journal: Mutex::new(journal),
            compaction: Mutex::new(()),
            sync: AtomicBool::new(options.sync),
            load_stats: stats,
            width,
        };
        if needs_conversion {
            tracing::info!(
                path = ?store.path,
                family = L::FAMILY,
                columns = ?store.width,
                "lease file written by another Kea version: rewriting it"
            );
            // The first run may only recover an interrupted one (no rotation).
            for _ in 0..2 {
                if store.compact()?.rotated {
                    break;
                }
            }
            store.load_stats.converted = true;
        }
        tracing::info!(
            path = ?store.path,
            family = L::FAMILY,
            leases = store.load_stats.leases,
            rows = store.load_stats.rows,
            skipped = store.load_stats.skipped,
            discarded = store.load_stats.discarded,
            "memfile lease store opened"
        );
        Ok(store)
    }

    /// The lease file, `None` when in memory only.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// What was loaded at open.
    pub fn load_stats(&self) -> &LoadStats {
        &self.load_stats
    }

    /// fsync the journal after every write (default off, like Kea: a write
    /// then survives a crash of the process but not of the machine).
    pub fn set_sync(&self, sync: bool) {
        self.sync.store(sync, Ordering::Relaxed);
    }

    fn read(&self) -> RwLockReadGuard<'_, Index<L>> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index<L>> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Appends complete rows (each ending in `\n`) with one write. On error
    /// the file is cut back to its previous length and nothing is stored.
    fn append(&self, journal: &mut Journal, rows: &str) -> Result<(), LeaseError> {
        let Some(path) = self.path.as_deref() else {
            return Ok(());
        };
        let sync = self.sync.load(Ordering::Relaxed);
        if matches!(journal, Journal::Lost) {
            let (file, len) =
                open_append(path, self.width.header::<L>(), sync).map_err(io_err(path))?;
            tracing::info!(path = %path.display(), "lease file reopened");
            *journal = Journal::Open { file, len };
        }
        let Journal::Open { file, len } = journal else {
            return Ok(());
        };
        let written =
            file.write_all(rows.as_bytes()).and_then(
                |()| {
                    if sync {
                        file.sync_data()
                    } else {
                        Ok(())
                    }
                },
            );
        match written {
            Ok(()) => {
                *len += rows.len() as u64;
                Ok(())
            }
            Err(e) => {
                if let Err(cut) = file.set_len(*len) {
                    tracing::error!(
                        path = %path.display(),
                        error = %cut,
                        "cannot cut a failed lease row off; reopening the file"
                    );
                    *journal = Journal::Lost;
                }
                Err(io_err(path)(e))
            }
        }
    }

    /// Compacts the lease files as Kea's LFC does (see the module docs).
    /// Safe to call from a background thread while others write; writers
    /// wait only for the rename of `<name>`. A no-op in memory-only mode.
    pub fn compact(&self) -> Result<CompactStats, LeaseError> {
        let started = Instant::now();
        let mut stats = CompactStats::default();
        let Some(path) = self.path.as_deref() else {
            return Ok(stats);
        };
        let _one_at_a_time = lock(&self.compaction);
        let files = Files::new(path);
        if exists(&files.completed)? {
            tracing::info!(path = %files.completed.display(), "finishing an interrupted lease file cleanup");
            files.finish()?;
            stats.recovered = true;
        }
        if exists(&files.input)? {
            // An earlier run rotated but did not finish; its `.1` is still
            // loaded at start-up, and memory already holds its leases.
            stats.recovered = true;
        } else {
            self.rotate(&files)?;
            stats.rotated = true;
        }
        let mode = crate::files::replacement_mode(path, crate::files::FILE_MODE);
        let mut snap = snapshot::Writer::create(&files.snapshot_output, mode)
            .map_err(|e| snapshot_failed(&files, &e))
            .ok();
        stats.leases = match self.write_output(&files, mode, &mut snap) {
            Ok(n) => n,
            Err(e) => {
                // No partial snapshot is left behind (a full disk stays no
                // fuller than the CSV cleanup alone made it).
                if snap.take().is_some() {
                    let _ = fs::remove_file(&files.snapshot_output);
                }
                return Err(e);
            }
        };
        if let Some(snap) = snap {
            // Stands for `.output`, which keeps its identity as
            // `.completed` and `.2`; until then it matches no loaded file.
            if let Err(e) = snap.finish::<L::Stored>(&files.output, &files.snapshot) {
                snapshot_failed(&files, &e);
            }
        }
        fs::rename(&files.output, &files.completed).map_err(io_err(&files.output))?;
        sync_dir(path)?;
        files.finish()?;
        stats.elapsed = started.elapsed();
        tracing::info!(
            path = %path.display(),
            leases = stats.leases,
            rotated = stats.rotated,
            recovered = stats.recovered,
            elapsed_ms = stats.elapsed.as_millis() as u64,
            "lease file cleanup done"
        );
        Ok(stats)
    }

    /// Under the journal lock: `<name>` -> `<name>.1`, fresh `<name>`.
    fn rotate(&self, files: &Files) -> Result<(), LeaseError> {
        let mut journal = lock(&self.journal);
        // The new journal keeps the old one's mode (an administrator's
        // stricter mode stays).
        let mode = crate::files::replacement_mode(&files.current, crate::files::FILE_MODE);
        fs::rename(&files.current, &files.input).map_err(io_err(&files.current))?;
        let sync = self.sync.load(Ordering::Relaxed);
        match open_append_mode(&files.current, self.width.header::<L>(), sync, mode) {
            Ok((file, len)) => {
                *journal = Journal::Open { file, len };
                if sync {
                    sync_dir(&files.current)?;
                }
                Ok(())
            }
            Err(e) => {
                // Put the old file back so writers keep a file that loads.
                if fs::rename(&files.input, &files.current).is_err() {
                    *journal = Journal::Lost;
                }
                Err(io_err(&files.current)(e))
            }
        }
    }

    /// Writes every lease to `output` (header first) and fsyncs it, and to
    /// the binary snapshot `snap` in the same pass. The file is created
    /// with `mode`. A failed snapshot is dropped; the CSV file is what
    /// matters.
    fn write_output(
        &self,
        files: &Files,
        mode: u32,
        snap: &mut Option<snapshot::Writer>,
    ) -> Result<usize, LeaseError> {
        let output = &files.output;
        let err = io_err(output);
        let mut out = BufWriter::new(crate::files::create(output, mode).map_err(&err)?);
        writeln!(out, "{}", self.width.header::<L>()).map_err(&err)?;
        let mut from = Bound::Unbounded;
        let mut count = 0;
        loop {
            let mut chunk = String::new();
            let mut last = None;
            {
                let index = self.read();
                for (key, slot) in index
                    .by_key
                    .range((from, Bound::Unbounded))
                    .take(SNAPSHOT_CHUNK)
                {
                    last = Some(*key);
                    if let Some(lease) = index.stored(*slot) {
                        lease.to_row().encode_for_into(self.width, &mut chunk);
                        chunk.push('\n');
                        if let Some(snap) = snap {
                            snap.add(lease);
                        }
                        count += 1;
                    }
                }
            }
            let Some(last) = last else { break };
            out.write_all(chunk.as_bytes()).map_err(&err)?;
            if let Some(Err(e)) = snap.as_mut().map(snapshot::Writer::write_chunk) {
                snapshot_failed(files, &e);
                *snap = None;
            }
            from = Bound::Excluded(last);
        }
        let file = out.into_inner().map_err(|e| err(e.into_error()))?;
        file.sync_all().map_err(&err)?;
        Ok(count)
    }

    /// Test hook: make the journal write to `file` (e.g. `/dev/full`).
    #[cfg(test)]
    fn replace_journal_file(&self, file: File) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        *lock(&self.journal) = Journal::Open { file, len };
    }
}

/// A journal row of `lease` (with its newline) in the file's layout.
fn row<L: LeaseRow>(width: Width, lease: &L) -> String {
    let mut row = String::with_capacity(crate::csv::ROW_CAPACITY);
    lease.encode_for_into(width, &mut row);
    row.push('\n');
    row
}

/// The generic operations every family's [`LeaseStore`] methods map onto.
/// Writers hold the journal lock across check, write and apply (see the
/// module docs).
impl<L: LeaseRow> MemfileStore<L> {
    fn get(&self, key: L::Key) -> Option<L> {
        self.read().get(&key).map(StoredLease::to_row)
    }

    fn find(&self, lookup: LookupRef<'_>) -> Vec<L> {
        self.read().find(lookup)
    }

    /// Stores a new lease; `Ok(false)` if its key is taken.
    ///
    /// Note: with a lease file, a lease with `valid_lifetime` 0 is journaled
    /// as a deletion (Kea's convention) and is gone after a restart.
    fn insert_new(&self, lease: &L) -> Result<bool, LeaseError> {
        let lease = lease.prepare().map_err(LeaseError::Invalid)?;
        let mut journal = lock(&self.journal);
        if self.read().get(&lease.key()).is_some() {
            return Ok(false);
        }
        self.append(&mut journal, &row(self.width, &lease))?;
        self.write().insert(L::Stored::from_row(lease));
        Ok(true)
    }

    /// Replaces the lease with this key if `same(old)`; `Ok(false)` if there
    /// is no such lease.
    fn replace(&self, lease: &L, same: impl Fn(&L) -> bool) -> Result<bool, LeaseError> {
        let lease = lease.prepare().map_err(LeaseError::Invalid)?;
        let mut journal = lock(&self.journal);
        if !self
            .read()
            .get(&lease.key())
            .is_some_and(|old| same(&old.to_row()))
        {
            return Ok(false);
        }
        self.append(&mut journal, &row(self.width, &lease))?;
        self.write().insert(L::Stored::from_row(lease));
        Ok(true)
    }

    /// Removes the lease with this key if `same(old)`; `Ok(false)` if there
    /// is no such lease.
    fn remove(&self, key: L::Key, same: impl Fn(&L) -> bool) -> Result<bool, LeaseError> {
        let mut journal = lock(&self.journal);
        let Some(old) = self
            .read()
            .get(&key)
            .map(StoredLease::to_row)
            .filter(|l| same(l))
        else {
            return Ok(false);
        };
        self.append(&mut journal, &row(self.width, &old.deletion()))?;
        self.write().remove(key);
        Ok(true)
    }

    fn expired(&self, now: u64, limit: usize) -> Vec<L> {
        let limit = if limit == 0 { usize::MAX } else { limit };
        let index = self.read();
        index
            .active_by_expire
            .iter()
            .take_while(|e| e.expire() <= now)
            .take(limit)
            .filter_map(|e| index.get(&e.key()).map(StoredLease::to_row))
            .collect()
    }

    fn flush_reclaimed(&self, older_than: u64) -> Result<usize, LeaseError> {
        let mut journal = lock(&self.journal);
        let (keys, rows) = {
            let index = self.read();
            let mut keys = Vec::new();
            let mut rows = String::new();
            for key in index
                .reclaimed_by_expire
                .iter()
                .take_while(|e| e.expire() < older_than)
                .map(|e| e.key())
            {
                if let Some(lease) = index.get(&key) {
                    rows.push_str(&row(self.width, &lease.to_row().deletion()));
                    keys.push(key);
                }
            }
            (keys, rows)
        };
        if keys.is_empty() {
            return Ok(0);
        }
        // One write for all rows: either all are journaled or none is.
        self.append(&mut journal, &rows)?;
        let mut index = self.write();
        for key in &keys {
            index.remove(*key);
        }
        Ok(keys.len())
    }

    fn all(&self) -> Vec<L> {
        self.read().iter().map(StoredLease::to_row).collect()
    }

    /// Calls `f` with every lease, under the read lock, without a copy of
    /// them all.
    fn each(&self, f: &mut dyn FnMut(&L)) {
        let index = self.read();
        // One lease value, refilled for each stored lease: no allocation
        // per lease.
        let mut row: Option<L> = None;
        for stored in index.iter() {
            match &mut row {
                Some(row) => stored.fill_row(row),
                None => row = Some(stored.to_row()),
            }
            if let Some(row) = &row {
                f(row);
            }
        }
    }

    fn count(&self) -> usize {
        self.read().len()
    }
}

impl LeaseStore for Memfile4 {
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
        self.get(addr)
    }

    fn leased_in_block4(&self, first: Ipv4Addr) -> Option<Block4> {
        Some(self.read().leased_in(u32::from(first) / crate::BLOCK4))
    }

    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
        self.find(LookupRef::ClientId(client_id))
    }

    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
        self.find(LookupRef::HwAddr(hwaddr))
    }

    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        match self.insert_new(lease)? {
            true => Ok(()),
            false => Err(LeaseError::Exists(lease.addr)),
        }
    }

    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        match self.replace(lease, |_| true)? {
            true => Ok(()),
            false => Err(LeaseError::NotFound(lease.addr)),
        }
    }

    fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
        if lease.addr != old.addr {
            return Ok(false);
        }
        self.replace(lease, |cur| cur == old)
    }

    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
        self.remove(addr, |_| true)
    }

    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
        self.expired(now, limit)
    }

    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
        self.flush_reclaimed(older_than)
    }

    fn all4(&self) -> Vec<Lease4> {
        self.all()
    }

    fn for_each4(&self, f: &mut dyn FnMut(&Lease4)) {
        self.each(f);
    }

    fn count4(&self) -> usize {
        self.count()
    }
}

/// An address holds one lease of any type (Kea's key); the type only
/// filters.
impl LeaseStore for Memfile6 {
    fn get6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Option<Lease6> {
        self.get(addr).filter(|l| l.lease_type == lease_type)
    }

    fn get6_by_duid_iaid(&self, lease_type: LeaseType6, duid: &[u8], iaid: u32) -> Vec<Lease6> {
        self.find(LookupRef::DuidIaid(lease_type, iaid, duid))
    }

    fn get6_by_duid(&self, duid: &[u8]) -> Vec<Lease6> {
        self.find(LookupRef::Duid(duid))
    }

    fn add6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        match self.insert_new(lease)? {
            true => Ok(()),
            false => Err(LeaseError::Exists6(lease.address)),
        }
    }

    fn update6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        match self.replace(lease, |old| old.lease_type == lease.lease_type)? {
            true => Ok(()),
            false => Err(LeaseError::NotFound6(lease.lease_type, lease.address)),
        }
    }

    fn update6_if(&self, lease: &Lease6, old: &Lease6) -> Result<bool, LeaseError> {
        if lease.address != old.address {
            return Ok(false);
        }
        self.replace(lease, |cur| cur == old)
    }

    fn delete6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Result<bool, LeaseError> {
        self.remove(addr, |old| old.lease_type == lease_type)
    }

    fn expired6(&self, now: u64, limit: usize) -> Vec<Lease6> {
        self.expired(now, limit)
    }

    fn flush_reclaimed6(&self, older_than: u64) -> Result<usize, LeaseError> {
        self.flush_reclaimed(older_than)
    }

    fn all6(&self) -> Vec<Lease6> {
        self.all()
    }

    fn for_each6(&self, f: &mut dyn FnMut(&Lease6)) {
        self.each(f);
    }

    fn count6(&self) -> usize {
        self.count()
    }
}

#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod tests;
