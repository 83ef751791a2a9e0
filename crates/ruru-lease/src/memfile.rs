//! The memfile backend: leases in memory, every change appended to a Kea
//! CSV journal, and Kea's lease file cleanup (LFC) to compact it.
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
//!
//! Loading follows Kea's `Memfile_LeaseMgr::loadLeasesFromFiles`:
//! `<name>.completed` if it exists, otherwise `<name>.2` then `<name>.1`;
//! then always `<name>`. Later rows replace earlier ones for an address; a
//! row with `valid_lifetime` 0 removes the address.
//!
//! Compaction ([`Memfile::compact`]) does what Kea's server + `kea-lfc` do:
//! 1. if `.completed` exists, an earlier run stopped during cleanup: finish
//!    it (remove `.2` and `.1`, rename `.completed` to `.2`);
//! 2. unless `.1` exists (an earlier run stopped before `.completed`), take
//!    the journal lock briefly, rename `<name>` to `.1` and start a fresh
//!    `<name>` with a header;
//! 3. with no lock held across it, write a snapshot of the in-memory leases to
//!    `.output` (read in chunks under the read lock), fsync, rename it to
//!    `.completed`;
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

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::net::Ipv4Addr;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use crate::csv::{self, Schema};
use crate::{Lease4, LeaseError, LeaseState, LeaseStore};

/// Leases copied per read-lock hold while writing a snapshot.
const SNAPSHOT_CHUNK: usize = 4096;

/// Options for [`Memfile::open_with`].
#[derive(Debug, Clone, Default)]
pub struct MemfileOptions {
    /// Kea's `max-row-errors`: how many invalid rows one file may have before
    /// loading fails; 0 (Kea's default) means no limit. Invalid rows are
    /// always skipped with a warning.
    pub max_row_errors: usize,
    /// fsync the journal after every write (see [`Memfile::set_sync`]).
    pub sync: bool,
}

/// What [`Memfile::open`] loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// The files read, in order.
    pub files: Vec<PathBuf>,
    /// Rows decoded, including deletion records.
    pub rows: usize,
    /// Invalid rows skipped.
    pub skipped: usize,
    /// Leases in memory after loading.
    pub leases: usize,
    /// A file had another Kea version's columns, so the files were compacted
    /// at once to rewrite them in ours (Kea runs LFC at start-up for this).
    pub converted: bool,
}

/// What one [`Memfile::compact`] did.
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

/// The in-memory indexes. Every lease is in `by_addr`; the other maps hold
/// addresses only.
#[derive(Default)]
struct Index {
    by_addr: BTreeMap<Ipv4Addr, Lease4>,
    /// Non-empty hardware address -> its leases (several subnets).
    by_hwaddr: HashMap<Vec<u8>, BTreeSet<Ipv4Addr>>,
    /// Non-empty client id -> its leases.
    by_client_id: HashMap<Vec<u8>, BTreeSet<Ipv4Addr>>,
    /// Default and Declined leases by expiry: reclamation candidates, so
    /// `expired4` is a range scan.
    active_by_expire: BTreeSet<(u64, Ipv4Addr)>,
    /// ExpiredReclaimed leases by expiry, for `flush_reclaimed4`.
    reclaimed_by_expire: BTreeSet<(u64, Ipv4Addr)>,
}

impl Index {
    fn expiry_set(&mut self, state: LeaseState) -> &mut BTreeSet<(u64, Ipv4Addr)> {
        match state {
            LeaseState::ExpiredReclaimed => &mut self.reclaimed_by_expire,
            LeaseState::Default | LeaseState::Declined => &mut self.active_by_expire,
        }
    }

    fn insert(&mut self, lease: Lease4) {
        let addr = lease.addr;
        self.remove(addr);
        if !lease.hwaddr.is_empty() {
            self.by_hwaddr
                .entry(lease.hwaddr.clone())
                .or_default()
                .insert(addr);
        }
        if let Some(cid) = lease.client_id.as_ref().filter(|c| !c.is_empty()) {
            self.by_client_id
                .entry(cid.clone())
                .or_default()
                .insert(addr);
        }
        self.expiry_set(lease.state).insert((lease.expire, addr));
        self.by_addr.insert(addr, lease);
    }

    fn remove(&mut self, addr: Ipv4Addr) -> Option<Lease4> {
        let old = self.by_addr.remove(&addr)?;
        unlink(&mut self.by_hwaddr, &old.hwaddr, addr);
        if let Some(cid) = &old.client_id {
            unlink(&mut self.by_client_id, cid, addr);
        }
        self.expiry_set(old.state).remove(&(old.expire, addr));
        Some(old)
    }

    /// Applies one journal row as Kea's loader does.
    fn apply(&mut self, lease: Lease4) {
        if lease.valid_lifetime == 0 {
            self.remove(lease.addr);
        } else {
            self.insert(lease);
        }
    }

    fn leases(&self, addrs: Option<&BTreeSet<Ipv4Addr>>) -> Vec<Lease4> {
        addrs
            .into_iter()
            .flatten()
            .filter_map(|a| self.by_addr.get(a).cloned())
            .collect()
    }
}

fn unlink(map: &mut HashMap<Vec<u8>, BTreeSet<Ipv4Addr>>, key: &[u8], addr: Ipv4Addr) {
    if let Some(set) = map.get_mut(key) {
        set.remove(&addr);
        if set.is_empty() {
            map.remove(key);
        }
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

/// The file names of one lease file set.
struct Files {
    current: PathBuf,
    input: PathBuf,
    previous: PathBuf,
    output: PathBuf,
    completed: PathBuf,
}

impl Files {
    fn new(path: &Path) -> Self {
        let with = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        Files {
            current: path.to_path_buf(),
            input: with(".1"),
            previous: with(".2"),
            output: with(".output"),
            completed: with(".completed"),
        }
    }

    /// Kea's `kea-lfc` cleanup: remove `.2` and `.1`, rename `.completed`
    /// to `.2`.
    fn finish(&self) -> Result<(), LeaseError> {
        remove_if_exists(&self.previous)?;
        remove_if_exists(&self.input)?;
        fs::rename(&self.completed, &self.previous).map_err(io_err(&self.completed))?;
        sync_dir(&self.current)
    }
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> LeaseError + '_ {
    move |source| LeaseError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn exists(path: &Path) -> Result<bool, LeaseError> {
    path.try_exists().map_err(io_err(path))
}

fn remove_if_exists(path: &Path) -> Result<(), LeaseError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(path)(e)),
    }
}

/// fsyncs the directory holding `path`, so renames and creations survive a
/// power loss.
fn sync_dir(path: &Path) -> Result<(), LeaseError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

/// Opens `<name>` for appending: creates it with a header when missing or
/// empty, and ends a torn last line so the next row starts on its own line.
fn open_append(path: &Path, sync: bool) -> io::Result<(File, u64)> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    let mut len = file.metadata()?.len();
    if len == 0 {
        let header = format!("{}\n", csv::HEADER);
        file.write_all(header.as_bytes())?;
        if sync {
            file.sync_all()?;
        }
        return Ok((file, header.len() as u64));
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        file.write_all(b"\n")?;
        len += 1;
    }
    Ok((file, len))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // No critical section here can leave the data half-changed by a panic,
    // so a poisoned lock is still usable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The memfile lease store. See the module documentation.
pub struct Memfile {
    /// `<name>`, or `None` when leases are kept in memory only
    /// (Kea's `persist: false`).
    path: Option<PathBuf>,
    index: RwLock<Index>,
    /// The write path: held while checking, journaling and applying a
    /// change, and while rotating the file.
    journal: Mutex<Journal>,
    /// Only one compaction at a time.
    compaction: Mutex<()>,
    sync: AtomicBool,
    load_stats: LoadStats,
}

impl Memfile {
    /// Opens the store. `None` keeps leases in memory only; a path loads
    /// Kea's file set for it (see the module docs) and appends to it.
    pub fn open(path: Option<&Path>) -> Result<Self, LeaseError> {
        Self::open_with(path, MemfileOptions::default())
    }

    /// [`Memfile::open`] with options.
    pub fn open_with(path: Option<&Path>, options: MemfileOptions) -> Result<Self, LeaseError> {
        let mut index = Index::default();
        let mut stats = LoadStats::default();
        let mut journal = Journal::Memory;
        let mut needs_conversion = false;
        if let Some(path) = path {
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
            for source in sources {
                let read = csv::read_file(&source, options.max_row_errors, |l| index.apply(l))?;
                stats.rows += read.rows;
                stats.skipped += read.skipped;
                if read.header.is_some_and(|h| h.schema != Schema::Current) {
                    needs_conversion = true;
                }
                stats.files.push(source);
            }
            let (file, len) = open_append(path, options.sync).map_err(io_err(path))?;
            journal = Journal::Open { file, len };
        }
        stats.leases = index.by_addr.len();
        let mut store = Memfile {
            path: path.map(Path::to_path_buf),
            index: RwLock::new(index),
            journal: Mutex::new(journal),
            compaction: Mutex::new(()),
            sync: AtomicBool::new(options.sync),
            load_stats: stats,
        };
        if needs_conversion {
            tracing::info!(
                path = ?store.path,
                "lease file written by another Kea version: rewriting it in Kea 2.2 columns"
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
            leases = store.load_stats.leases,
            rows = store.load_stats.rows,
            skipped = store.load_stats.skipped,
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

    fn read(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Index> {
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
            let (file, len) = open_append(path, sync).map_err(io_err(path))?;
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
        stats.leases = self.write_snapshot(&files.output)?;
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
        fs::rename(&files.current, &files.input).map_err(io_err(&files.current))?;
        let sync = self.sync.load(Ordering::Relaxed);
        match open_append(&files.current, sync) {
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

    /// Writes every lease to `output` (header first) and fsyncs it.
    fn write_snapshot(&self, output: &Path) -> Result<usize, LeaseError> {
        let err = io_err(output);
        let mut out = BufWriter::new(File::create(output).map_err(&err)?);
        writeln!(out, "{}", csv::HEADER).map_err(&err)?;
        let mut from = Bound::Unbounded;
        let mut count = 0;
        loop {
            let mut chunk = String::new();
            let mut last = None;
            {
                let index = self.read();
                for (addr, lease) in index
                    .by_addr
                    .range((from, Bound::Unbounded))
                    .take(SNAPSHOT_CHUNK)
                {
                    chunk.push_str(&csv::encode_row(lease));
                    chunk.push('\n');
                    last = Some(*addr);
                    count += 1;
                }
            }
            let Some(last) = last else { break };
            out.write_all(chunk.as_bytes()).map_err(&err)?;
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

/// An empty client id is stored as none, as it reads back from the file.
fn normalized(lease: &Lease4) -> Lease4 {
    let mut lease = lease.clone();
    if lease.client_id.as_ref().is_some_and(Vec::is_empty) {
        lease.client_id = None;
    }
    lease
}

fn row(lease: &Lease4) -> String {
    let mut row = csv::encode_row(lease);
    row.push('\n');
    row
}

impl LeaseStore for Memfile {
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
        self.read().by_addr.get(&addr).cloned()
    }

    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
        let index = self.read();
        index.leases(index.by_client_id.get(client_id))
    }

    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
        let index = self.read();
        index.leases(index.by_hwaddr.get(hwaddr))
    }

    /// Note: with a lease file, a lease with `valid_lifetime` 0 is journaled
    /// as a deletion (Kea's convention) and is gone after a restart.
    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let lease = normalized(lease);
        let mut journal = lock(&self.journal);
        if self.read().by_addr.contains_key(&lease.addr) {
            return Err(LeaseError::Exists(lease.addr));
        }
        self.append(&mut journal, &row(&lease))?;
        self.write().insert(lease);
        Ok(())
    }

    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let lease = normalized(lease);
        let mut journal = lock(&self.journal);
        if !self.read().by_addr.contains_key(&lease.addr) {
            return Err(LeaseError::NotFound(lease.addr));
        }
        self.append(&mut journal, &row(&lease))?;
        self.write().insert(lease);
        Ok(())
    }

    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
        let mut journal = lock(&self.journal);
        let Some(old) = self.read().by_addr.get(&addr).cloned() else {
            return Ok(false);
        };
        let mut line = csv::encode_delete_row(&old);
        line.push('\n');
        self.append(&mut journal, &line)?;
        self.write().remove(addr);
        Ok(true)
    }

    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
        let limit = if limit == 0 { usize::MAX } else { limit };
        let index = self.read();
        index
            .active_by_expire
            .range(..=(now, Ipv4Addr::BROADCAST))
            .take(limit)
            .filter_map(|(_, a)| index.by_addr.get(a).cloned())
            .collect()
    }

    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
        let mut journal = lock(&self.journal);
        let (addrs, rows) = {
            let index = self.read();
            let mut addrs = Vec::new();
            let mut rows = String::new();
            for (_, addr) in index
                .reclaimed_by_expire
                .range(..(older_than, Ipv4Addr::UNSPECIFIED))
            {
                if let Some(lease) = index.by_addr.get(addr) {
                    rows.push_str(&csv::encode_delete_row(lease));
                    rows.push('\n');
                    addrs.push(*addr);
                }
            }
            (addrs, rows)
        };
        if addrs.is_empty() {
            return Ok(0);
        }
        // One write for all rows: either all are journaled or none is.
        self.append(&mut journal, &rows)?;
        let mut index = self.write();
        for addr in &addrs {
            index.remove(*addr);
        }
        Ok(addrs.len())
    }

    fn all4(&self) -> Vec<Lease4> {
        self.read().by_addr.values().cloned().collect()
    }

    fn count4(&self) -> usize {
        self.read().by_addr.len()
    }
}

#[cfg(test)]
mod tests;
