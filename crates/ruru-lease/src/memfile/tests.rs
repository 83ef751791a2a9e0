//! Memfile tests: the conformance suite (in memory and persisted), restart
//! persistence, Kea-written files, corrupt rows, I/O errors, and compaction
//! including crash leftovers.

use std::fs::OpenOptions;
use std::sync::atomic::{AtomicBool, AtomicUsize};

use super::*;
use crate::conformance::{self, lease4 as lease, lease6, prefix6};
use crate::csv::v4::{encode_delete_row, encode_row, HEADER, HEADER_POOL_ID};
use crate::csv::v6;

fn open(path: &Path) -> Memfile4 {
    match Memfile::open(Some(path)) {
        Ok(s) => s,
        Err(e) => panic!("open {}: {e}", path.display()),
    }
}

fn sorted(mut v: Vec<Lease4>) -> Vec<Lease4> {
    v.sort_by_key(|l| l.addr);
    v
}

/// The lease files in `dir` (the instance lock file aside).
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    v.sort();
    v
}

/// The files after a compaction: Kea's and ruru's snapshot.
const COMPACTED4: [&str; 3] = [
    "kea-leases4.csv",
    "kea-leases4.csv.2",
    "kea-leases4.csv.ruru-snapshot",
];
const COMPACTED6: [&str; 3] = [
    "kea-leases6.csv",
    "kea-leases6.csv.2",
    "kea-leases6.csv.ruru-snapshot",
];

fn put(path: &Path, rows: &[String]) {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(r);
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kea-leases4.csv");
    (dir, path)
}

#[test]
fn conformance_in_memory() {
    conformance::run_all4(&|| Box::new(Memfile::open(None).unwrap()));
}

#[test]
fn conformance_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    conformance::run_all4(&|| {
        let path = dir
            .path()
            .join(format!("leases-{}.csv", n.fetch_add(1, Ordering::SeqCst)));
        Box::new(Memfile::open(Some(&path)).unwrap())
    });
}

#[test]
fn memory_only_writes_no_file_and_compact_is_a_noop() {
    let s = Memfile::open(None).unwrap();
    assert_eq!(s.path(), None);
    s.add4(&lease(1)).unwrap();
    assert_eq!(s.compact().unwrap(), CompactStats::default());
    assert_eq!(s.count4(), 1);
}

#[test]
fn restart_keeps_everything() {
    let (_dir, path) = tmp();
    let expected = {
        let s = open(&path);
        for n in 1..=10 {
            s.add4(&lease(n)).unwrap();
        }
        let mut l = lease(3);
        l.hostname = "x,y&z".into();
        l.user_context = r#"{"a": "b,c"}"#.into();
        l.state = LeaseState::Declined;
        s.update4(&l).unwrap();
        let mut r = lease(4);
        r.state = LeaseState::ExpiredReclaimed;
        s.update4(&r).unwrap();
        assert!(s.delete4(lease(5).addr).unwrap());
        s.all4()
    };
    let s = open(&path);
    assert_eq!(s.all4(), expected);
    assert_eq!(s.load_stats().skipped, 0);
    assert_eq!(s.load_stats().rows, 13);
    assert_eq!(s.load_stats().leases, 9);
    // The secondary indexes are rebuilt too.
    assert_eq!(s.get4_by_hwaddr(&lease(3).hwaddr).len(), 1);
    assert!(s.get4_by_hwaddr(&lease(5).hwaddr).is_empty());
    assert_eq!(s.expired4(u64::MAX, 0).len(), 8);
    assert_eq!(s.flush_reclaimed4(u64::MAX).unwrap(), 1);
    drop(s);
    assert_eq!(open(&path).count4(), 8);
}

#[test]
fn journal_rows_are_kea_format() {
    let (_dir, path) = tmp();
    let s = open(&path);
    let mut l = lease(1);
    l.expire = 1_700_003_600;
    s.add4(&l).unwrap();
    l.hostname = "a,b".into();
    l.fqdn_fwd = true;
    s.update4(&l).unwrap();
    s.delete4(l.addr).unwrap();
    assert!(!s.delete4(l.addr).unwrap(), "a miss journals nothing");
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!(
            "{HEADER}\n\
             10.0.0.1,02:00:00:00:00:01,01:02:00:00:00:00:01,3600,1700003600,1,0,0,,0,\n\
             10.0.0.1,02:00:00:00:00:01,01:02:00:00:00:00:01,3600,1700003600,1,1,0,a&#x2cb,0,\n\
             10.0.0.1,02:00:00:00:00:01,01:02:00:00:00:00:01,0,1700000000,1,1,0,a&#x2cb,0,\n"
        )
    );
}

#[test]
fn loads_a_kea_written_file() {
    let (_dir, path) = tmp();
    // As Kea 2.2 writes it: escaped hostname and user context, a lease that
    // was deleted (valid_lifetime 0), an update, a declined lease without
    // hardware address.
    let text = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
192.0.2.1,00:0c:01:02:03:04,01:00:0c:01:02:03:04,4000,1700004000,1,1,1,host&#x2c one.example.org.,0,
192.0.2.2,00:0c:01:02:03:05,,4000,1700004100,1,0,0,,0,{ \"ISC\": { \"foo\": 1 }&#x2c \"bar\": true }
192.0.2.3,00:0c:01:02:03:06,,4000,1700004200,2,0,0,three,0,
192.0.2.3,00:0c:01:02:03:06,,0,1700000200,2,0,0,three,0,
192.0.2.1,00:0c:01:02:03:04,01:00:0c:01:02:03:04,4000,1700008000,1,1,1,host&#x2c one.example.org.,0,
192.0.2.4,,,86400,1700086400,1,0,0,,1,
";
    fs::write(&path, text).unwrap();
    let s = open(&path);
    assert_eq!(s.count4(), 3);
    assert_eq!(s.load_stats().skipped, 0);
    let one = s.get4(Ipv4Addr::new(192, 0, 2, 1)).unwrap();
    assert_eq!(
        one,
        Lease4 {
            addr: Ipv4Addr::new(192, 0, 2, 1),
            hwaddr: vec![0x00, 0x0c, 0x01, 0x02, 0x03, 0x04],
            client_id: Some(vec![0x01, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04]),
            valid_lifetime: 4000,
            expire: 1_700_008_000,
            subnet_id: 1,
            fqdn_fwd: true,
            fqdn_rev: true,
            hostname: "host, one.example.org.".into(),
            state: LeaseState::Default,
            user_context: String::new(),
            pool_id: 0,
        }
    );
    assert_eq!(one.cltt(), 1_700_004_000);
    let two = s.get4(Ipv4Addr::new(192, 0, 2, 2)).unwrap();
    assert_eq!(two.client_id, None);
    assert_eq!(two.user_context, r#"{ "ISC": { "foo": 1 }, "bar": true }"#);
    assert_eq!(s.get4(Ipv4Addr::new(192, 0, 2, 3)), None);
    let four = s.get4(Ipv4Addr::new(192, 0, 2, 4)).unwrap();
    assert_eq!(four.state, LeaseState::Declined);
    assert!(four.hwaddr.is_empty());
    // Appending keeps the file as it was, plus our row.
    s.add4(&lease(9)).unwrap();
    let after = fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(text));
    assert_eq!(after.lines().count(), text.lines().count() + 1);
}

#[test]
fn older_kea_header_is_loaded_and_rewritten() {
    let (dir, path) = tmp();
    // Kea 1.1..2.0: no user_context column.
    fs::write(
        &path,
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state\n\
         192.0.2.1,00:0c:01:02:03:04,,4000,1700004000,1,0,0,h,0\n\
         192.0.2.2,00:0c:01:02:03:05,,4000,1700004000,1,0,0,,1\n",
    )
    .unwrap();
    let s = open(&path);
    assert_eq!(s.count4(), 2);
    assert!(s.load_stats().converted);
    assert_eq!(
        s.get4(Ipv4Addr::new(192, 0, 2, 2)).unwrap().state,
        LeaseState::Declined
    );
    assert_eq!(names(dir.path()), COMPACTED4);
    assert_eq!(fs::read_to_string(&path).unwrap(), format!("{HEADER}\n"));
    let all = s.all4();
    drop(s);
    let s = open(&path);
    assert!(!s.load_stats().converted);
    assert_eq!(s.all4(), all);
}

/// A Kea 2.4+ file (with `pool_id`) is read with its pool ids and kept in
/// its layout: rows appended, and the cleanup's output, carry `pool_id`.
#[test]
fn kea_2_4_pool_id_file_keeps_its_layout() {
    let (_dir, path) = tmp();
    fs::write(
        &path,
        format!("{HEADER_POOL_ID}\n192.0.2.1,00:0c:01:02:03:04,,4000,1700004000,1,0,0,h,0,,3\n"),
    )
    .unwrap();
    let s = open(&path);
    assert_eq!(s.get4(Ipv4Addr::new(192, 0, 2, 1)).unwrap().pool_id, 3);
    assert!(!s.load_stats().converted);
    let mut l = lease(2);
    l.pool_id = 9;
    s.add4(&l).unwrap();
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(&format!("{HEADER_POOL_ID}\n")), "{text}");
    assert!(text.ends_with(&format!("{},9\n", encode_row(&l))), "{text}");
    s.compact().unwrap();
    drop(s);
    let s = open(&path);
    assert_eq!(s.get4(Ipv4Addr::new(192, 0, 2, 1)).unwrap().pool_id, 3);
    assert_eq!(s.get4(l.addr).unwrap().pool_id, 9);
    let files = Files::new(&path);
    let cleaned = fs::read_to_string(&files.previous).unwrap();
    assert!(
        cleaned.starts_with(&format!("{HEADER_POOL_ID}\n")),
        "{cleaned}"
    );
}

/// A file of a Kea newer than ruru knows (a column after `pool_id`) is
/// read and rewritten with `pool_id`; a Kea 2.2 file stays as it is.
#[test]
fn newer_kea_header_is_loaded_and_rewritten() {
    let (_dir, path) = tmp();
    fs::write(
        &path,
        format!(
            "{HEADER_POOL_ID},x\n192.0.2.1,00:0c:01:02:03:04,,4000,1700004000,1,0,0,h,0,,3,y\n"
        ),
    )
    .unwrap();
    let s = open(&path);
    assert_eq!(s.count4(), 1);
    assert!(s.load_stats().converted);
    drop(s);
    let s = open(&path);
    assert_eq!(s.get4(Ipv4Addr::new(192, 0, 2, 1)).unwrap().pool_id, 3);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{HEADER_POOL_ID}\n")
    );
    drop(s);
    let (_dir, path) = tmp();
    fs::write(&path, format!("{HEADER}\n{}\n", encode_row(&lease(1)))).unwrap();
    assert!(!open(&path).load_stats().converted);
}

fn corrupt_file(path: &Path) {
    let good1 = encode_row(&lease(1));
    let good2 = encode_row(&lease(2));
    fs::write(
        path,
        format!(
            "{HEADER}\n{good1}\n\
             10.0.0.9,02:00,,3600,1000,1\n\
             not-an-ip,02:00,,3600,1000,1,0,0,,0,\n\
             {good2}\n\
             10.0.0.8,02:00,,3600,1000,1,0,0,,7,\n\
             10.0.0.7,02:00,,36"
        ),
    )
    .unwrap();
}

#[test]
fn corrupt_rows_are_skipped_and_counted() {
    let (_dir, path) = tmp();
    corrupt_file(&path);
    let s = open(&path);
    assert_eq!(s.load_stats().skipped, 4);
    assert_eq!(sorted(s.all4()), vec![lease(1), lease(2)]);
    // The torn last line is ended before our row, so our row survives.
    s.add4(&lease(3)).unwrap();
    drop(s);
    let s = open(&path);
    assert_eq!(s.load_stats().skipped, 4);
    assert_eq!(sorted(s.all4()), vec![lease(1), lease(2), lease(3)]);
}

#[test]
fn too_many_corrupt_rows_fail_with_the_line() {
    let (_dir, path) = tmp();
    corrupt_file(&path);
    let options = MemfileOptions {
        max_row_errors: 2,
        sync: false,
    };
    match Memfile::open_with(Some(&path), options) {
        Err(LeaseError::Corrupt {
            path: p,
            line,
            message,
        }) => {
            assert_eq!(p, path.display().to_string());
            assert_eq!(line, 6);
            assert!(message.contains("max-row-errors"), "{message}");
        }
        Err(e) => panic!("expected Corrupt, got {e}"),
        Ok(_) => panic!("expected Corrupt, got a store"),
    }
}

#[test]
fn wrong_header_is_corrupt() {
    let (_dir, path) = tmp();
    fs::write(&path, "address,duid,valid_lifetime\n10.0.0.1,01,3600\n").unwrap();
    match Memfile::open(Some(&path)) {
        Err(LeaseError::Corrupt { line, .. }) => assert_eq!(line, 1),
        Err(e) => panic!("expected Corrupt, got {e}"),
        Ok(_) => panic!("expected Corrupt, got a store"),
    }
}

#[test]
fn empty_file_gets_a_header() {
    let (_dir, path) = tmp();
    fs::write(&path, "").unwrap();
    let s = open(&path);
    assert_eq!(s.count4(), 0);
    assert_eq!(fs::read_to_string(&path).unwrap(), format!("{HEADER}\n"));
}

#[test]
fn io_error_changes_nothing() {
    let (_dir, path) = tmp();
    let s = open(&path);
    let l1 = lease(1);
    s.add4(&l1).unwrap();
    let full = || OpenOptions::new().append(true).open("/dev/full");
    if full().is_err() {
        eprintln!("no /dev/full: skipping");
        return;
    }
    s.replace_journal_file(full().unwrap());
    assert!(matches!(s.add4(&lease(2)), Err(LeaseError::Io { .. })));
    assert_eq!(s.get4(lease(2).addr), None);
    assert!(s.get4_by_hwaddr(&lease(2).hwaddr).is_empty());

    s.replace_journal_file(full().unwrap());
    let mut changed = l1.clone();
    changed.expire += 100;
    assert!(matches!(s.update4(&changed), Err(LeaseError::Io { .. })));
    assert_eq!(s.get4(l1.addr), Some(l1.clone()));

    s.replace_journal_file(full().unwrap());
    assert!(matches!(s.delete4(l1.addr), Err(LeaseError::Io { .. })));
    assert_eq!(s.get4(l1.addr), Some(l1.clone()));

    let mut reclaimed = lease(1);
    reclaimed.state = LeaseState::ExpiredReclaimed;
    s.replace_journal_file(OpenOptions::new().append(true).open(&path).unwrap());
    s.update4(&reclaimed).unwrap();
    s.replace_journal_file(full().unwrap());
    assert!(matches!(
        s.flush_reclaimed4(u64::MAX),
        Err(LeaseError::Io { .. })
    ));
    assert_eq!(s.count4(), 1);
    drop(s);
    let s = open(&path);
    assert_eq!(s.all4(), vec![reclaimed]);
    assert_eq!(s.load_stats().skipped, 0);
}

#[test]
fn lost_journal_is_reopened() {
    let (_dir, path) = tmp();
    let s = open(&path);
    *lock(&s.journal) = Journal::Lost;
    s.add4(&lease(1)).unwrap();
    drop(s);
    assert_eq!(open(&path).all4(), vec![lease(1)]);
}

#[test]
fn sync_mode_writes() {
    let (_dir, path) = tmp();
    let options = MemfileOptions {
        max_row_errors: 0,
        sync: true,
    };
    let s = Memfile::open_with(Some(&path), options).unwrap();
    s.add4(&lease(1)).unwrap();
    s.compact().unwrap();
    s.set_sync(false);
    s.add4(&lease(2)).unwrap();
    drop(s);
    assert_eq!(open(&path).count4(), 2);
}

#[test]
fn load_order_is_keas() {
    let (dir, path) = tmp();
    let files = Files::new(&path);
    let mut a2 = lease(1);
    a2.hostname = "newer".into();
    // .2 (oldest) then .1 then <name>.
    put(
        &files.previous,
        &[encode_row(&lease(1)), encode_row(&lease(2))],
    );
    put(
        &files.input,
        &[encode_row(&a2), encode_delete_row(&lease(2))],
    );
    put(&files.current, &[encode_row(&lease(3))]);
    // A leftover partial snapshot is ignored.
    fs::write(&files.output, "garbage").unwrap();
    let s = open(&path);
    assert_eq!(s.all4(), vec![a2, lease(3)]);
    assert_eq!(
        s.load_stats().files,
        vec![
            files.previous.clone(),
            files.input.clone(),
            files.current.clone()
        ]
    );
    drop(s);

    // With .completed present, .2 and .1 are not read.
    put(&files.completed, &[encode_row(&lease(4))]);
    let s = open(&path);
    assert_eq!(s.all4(), vec![lease(3), lease(4)]);
    assert_eq!(
        s.load_stats().files,
        vec![files.completed.clone(), files.current.clone()]
    );
    drop(dir);
}

/// A file of several load batches (parsed on one thread, indexed on
/// another) loads as if row by row: later rows win across batch
/// boundaries, deletions apply in order, and the secondary keys follow.
#[test]
fn big_file_loads_in_file_order() {
    let (dir, path) = tmp();
    let n = u16::try_from(3 * LOAD_BATCH + 7).unwrap();
    let mut rows = Vec::new();
    let mut want = BTreeMap::new();
    for i in 1..=n {
        rows.push(encode_row(&lease(i)));
        want.insert(lease(i).addr, lease(i));
    }
    // Rewrite every third lease with another client and delete every
    // fifth, in a later batch than its first row.
    for i in (1..=n).rev() {
        if i % 3 == 0 {
            let mut l = lease(i);
            l.hwaddr = vec![0x0e, 0, 0, 0, 0, 1];
            l.client_id = None;
            l.hostname = format!("h{i}");
            l.state = LeaseState::ExpiredReclaimed;
            rows.push(encode_row(&l));
            want.insert(l.addr, l);
        }
        if i % 5 == 0 {
            rows.push(encode_delete_row(&lease(i)));
            want.remove(&lease(i).addr);
        }
    }
    // A deleted lease that comes back.
    rows.push(encode_row(&lease(5)));
    want.insert(lease(5).addr, lease(5));
    put(&path, &rows);
    let s = open(&path);
    let want: Vec<Lease4> = want.into_values().collect();
    assert_eq!(s.all4(), want);
    assert_eq!(s.load_stats().rows, rows.len());
    assert_eq!(s.load_stats().leases, want.len());
    let shared: Vec<Lease4> = want
        .iter()
        .filter(|l| l.hwaddr == [0x0e, 0, 0, 0, 0, 1])
        .cloned()
        .collect();
    assert_eq!(
        shared.len(),
        want.iter().filter(|l| l.client_id.is_none()).count()
    );
    assert_eq!(s.get4_by_hwaddr(&[0x0e, 0, 0, 0, 0, 1]), shared);
    for l in &want {
        if let Some(cid) = &l.client_id {
            assert_eq!(s.get4_by_client_id(cid), vec![l.clone()]);
            assert_eq!(s.get4_by_hwaddr(&l.hwaddr), vec![l.clone()]);
        }
    }
    assert!(s.get4_by_client_id(&lease(3).client_id.unwrap()).is_empty());
    assert!(s.get4_by_hwaddr(&lease(10).hwaddr).is_empty());
    let expired: Vec<Lease4> = want
        .iter()
        .filter(|l| l.state != LeaseState::ExpiredReclaimed)
        .cloned()
        .collect();
    let mut by_expiry = s.expired4(u64::MAX, 0);
    assert!(by_expiry.windows(2).all(|w| w[0].expire <= w[1].expire));
    by_expiry.sort_by_key(|l| l.addr);
    assert_eq!(by_expiry, expired);
    // The reclaimed ones are indexed for flushing.
    let reclaimed = want.len() - expired.len();
    assert!(reclaimed > 0);
    assert_eq!(s.flush_reclaimed4(u64::MAX).unwrap(), reclaimed);
    assert_eq!(s.all4(), expired);
    drop(dir);
}

/// A key with several leases, and keys whose hashes collide (forced here
/// by adding slots under one key), keep every slot until it is removed.
#[test]
fn lookup_index_keeps_every_slot() {
    let mut index = LookupIndex::default();
    let a = LookupRef::HwAddr(&[1, 2, 3]);
    let b = LookupRef::ClientId(&[1, 2, 3]);
    let slots = |index: &LookupIndex, key| {
        let mut v: Vec<u32> = index.get(key).collect();
        v.sort();
        v
    };
    index.add(a, 7);
    index.add(a, 7);
    index.add(b, 7);
    assert_eq!(slots(&index, a), [7]);
    index.add(a, 3);
    index.add(a, 9);
    index.add(a, 3);
    assert_eq!(slots(&index, a), [3, 7, 9]);
    index.remove(a, 4);
    index.remove(a, 7);
    assert_eq!(slots(&index, a), [3, 9]);
    index.remove(a, 9);
    assert_eq!(slots(&index, a), [3]);
    index.remove(a, 3);
    assert!(slots(&index, a).is_empty());
    assert!(index.first.len() == 1 && index.more.is_empty());
    assert_eq!(slots(&index, b), [7]);
    index.remove(b, 7);
    assert!(index.first.is_empty());
}

/// The scan that recounts statistics sees every lease, exactly, though it
/// refills one value for all of them.
#[test]
fn for_each_sees_every_lease_exactly() {
    let s = Memfile::open(None).unwrap();
    let mut odd = lease(2);
    odd.client_id = None;
    odd.hwaddr.clear();
    odd.hostname = "x".into();
    odd.user_context = r#"{"a":1}"#.into();
    for l in [lease(1), odd, lease(3)] {
        s.add4(&l).unwrap();
    }
    let mut seen = Vec::new();
    s.for_each4(&mut |l| seen.push(l.clone()));
    assert_eq!(seen, s.all4());
    assert_eq!(seen.len(), 3);
}

#[test]
fn compaction_rotates_and_reloads_equal() {
    let (dir, path) = tmp();
    let s = open(&path);
    for n in 1..=50 {
        s.add4(&lease(n)).unwrap();
    }
    for n in (1..=50).step_by(5) {
        s.delete4(lease(n).addr).unwrap();
    }
    let st = s.compact().unwrap();
    assert!(st.rotated);
    assert!(!st.recovered);
    assert_eq!(st.leases, 40);
    assert_eq!(names(dir.path()), COMPACTED4);
    assert_eq!(fs::read_to_string(&path).unwrap(), format!("{HEADER}\n"));
    let snapshot = fs::read_to_string(Files::new(&path).previous).unwrap();
    assert_eq!(snapshot.lines().count(), 41);
    s.add4(&lease(100)).unwrap();
    let st = s.compact().unwrap();
    assert_eq!(st.leases, 41);
    s.delete4(lease(2).addr).unwrap();
    let all = s.all4();
    drop(s);
    assert_eq!(open(&path).all4(), all);
}

/// Compacts in a loop while writers add, update and delete: the generic
/// journal and compaction, run for each family's row type.
fn compaction_during_concurrent_writes<L>(file: &str, sample: fn(u16) -> L, bump: fn(&mut L))
where
    L: LeaseRow + PartialEq + std::fmt::Debug,
{
    const THREADS: u16 = 4;
    const PER_THREAD: u16 = 400;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    let reopen = || MemfileStore::<L>::open(Some(&path)).unwrap();
    let s = reopen();
    let done = AtomicBool::new(false);
    let compactions = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            while !done.load(Ordering::SeqCst) {
                s.compact().unwrap();
                compactions.fetch_add(1, Ordering::SeqCst);
            }
        });
        let writers: Vec<_> = (0..THREADS)
            .map(|t| {
                let s = &s;
                let compactions = &compactions;
                scope.spawn(move || {
                    for i in 0..PER_THREAD {
                        if i == PER_THREAD / 2 {
                            // Make sure compactions overlap the writes.
                            while compactions.load(Ordering::SeqCst) < 1 {
                                std::thread::yield_now();
                            }
                        }
                        let mut l = sample(t * PER_THREAD + i);
                        assert!(s.insert_new(&l).unwrap());
                        bump(&mut l);
                        assert!(s.replace(&l, |_| true).unwrap());
                        if i % 4 == 0 {
                            assert!(s.remove(l.key(), |_| true).unwrap());
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::SeqCst);
    });
    assert!(compactions.load(Ordering::SeqCst) >= 1);
    let expected: Vec<L> = (0..THREADS * PER_THREAD)
        .filter(|n| !matches!((n % PER_THREAD) % 4, 0))
        .map(|n| {
            let mut l = sample(n);
            bump(&mut l);
            l
        })
        .collect();
    let by_key = |mut v: Vec<L>| {
        v.sort_by_key(|l| l.key());
        v
    };
    let expected = by_key(expected);
    assert_eq!(s.all(), expected);
    drop(s);
    let s = reopen();
    assert_eq!(s.all(), expected);
    assert_eq!(s.load_stats().skipped, 0);
}

#[test]
fn compaction_during_concurrent_writes_loses_nothing() {
    compaction_during_concurrent_writes("kea-leases4.csv", lease, |l| l.expire += 7);
}

#[test]
fn compaction_during_concurrent_writes_loses_nothing6() {
    compaction_during_concurrent_writes(
        "kea-leases6.csv",
        |n| if n % 2 == 0 { lease6(n) } else { prefix6(n) },
        |l| {
            l.expire += 7;
            l.pref_lifetime += 1;
        },
    );
}

#[test]
fn crash_after_rotation_is_recovered() {
    // Left by a compaction (ours or Kea's) that stopped after moving
    // <name> to .1: .2 from an earlier run, .1, and a fresh <name>.
    let (dir, path) = tmp();
    let files = Files::new(&path);
    let mut a2 = lease(1);
    a2.expire += 10;
    put(&files.previous, &[encode_row(&lease(1))]);
    put(&files.input, &[encode_row(&a2), encode_row(&lease(2))]);
    put(&files.current, &[encode_row(&lease(3))]);
    let s = open(&path);
    let expected = vec![a2, lease(2), lease(3)];
    assert_eq!(s.all4(), expected);
    let st = s.compact().unwrap();
    assert!(st.recovered);
    assert!(!st.rotated, "must not overwrite the .1 left behind");
    assert_eq!(names(dir.path()), COMPACTED4);
    s.add4(&lease(4)).unwrap();
    drop(s);
    let s = open(&path);
    assert_eq!(s.all4(), [expected, vec![lease(4)]].concat());
    // The next run rotates again.
    assert!(s.compact().unwrap().rotated);
}

#[test]
fn crash_after_completed_is_recovered() {
    // Left by a compaction that wrote .completed but did not clean up: the
    // stale .2 and .1 must not be read.
    let (dir, path) = tmp();
    let files = Files::new(&path);
    put(&files.previous, &[encode_row(&lease(10))]);
    put(&files.input, &[encode_row(&lease(11))]);
    put(
        &files.completed,
        &[encode_row(&lease(1)), encode_row(&lease(2))],
    );
    put(&files.current, &[encode_delete_row(&lease(2))]);
    fs::write(&files.output, "torn").unwrap();
    let s = open(&path);
    assert_eq!(s.all4(), vec![lease(1)]);
    let st = s.compact().unwrap();
    assert!(st.recovered);
    assert!(st.rotated);
    assert_eq!(names(dir.path()), COMPACTED4);
    drop(s);
    assert_eq!(open(&path).all4(), vec![lease(1)]);
}

#[test]
fn every_compaction_step_leaves_loadable_files() {
    // Replays our compaction by hand, stopping after each step, and checks
    // that Kea's load order gives the same leases at each point.
    let (dir, path) = tmp();
    let files = Files::new(&path);
    let expected = {
        let s = open(&path);
        for n in 1..=5 {
            s.add4(&lease(n)).unwrap();
        }
        s.compact().unwrap();
        s.delete4(lease(1).addr).unwrap();
        s.add4(&lease(6)).unwrap();
        s.all4()
    };
    let check = |step: &str| {
        let s = open(&path);
        assert_eq!(s.all4(), expected, "after {step}");
    };
    // Step 2: rotation, then a write into the fresh file after it.
    fs::rename(&files.current, &files.input).unwrap();
    put(&files.current, &[]);
    check("rotation");
    // Step 3: snapshot written (it may include later changes).
    put(
        &files.output,
        &expected.iter().map(encode_row).collect::<Vec<_>>(),
    );
    check("output written");
    fs::rename(&files.output, &files.completed).unwrap();
    check("output renamed to completed");
    fs::remove_file(&files.previous).unwrap();
    check(".2 removed");
    fs::remove_file(&files.input).unwrap();
    check(".1 removed");
    fs::rename(&files.completed, &files.previous).unwrap();
    check("completed renamed to .2");
    // The first compaction's binary snapshot stood for another `.2`: the
    // first load that could not use it removed it.
    assert_eq!(names(dir.path()), ["kea-leases4.csv", "kea-leases4.csv.2"]);
}

// --- DHCPv6 ---

fn open6(path: &Path) -> Memfile6 {
    match Memfile6::open(Some(path)) {
        Ok(s) => s,
        Err(e) => panic!("open {}: {e}", path.display()),
    }
}

fn tmp6() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kea-leases6.csv");
    (dir, path)
}

#[test]
fn conformance6_in_memory() {
    conformance::run_all6(&|| Box::new(Memfile6::open(None).unwrap()));
}

#[test]
fn conformance6_persisted() {
    let dir = tempfile::tempdir().unwrap();
    let n = AtomicUsize::new(0);
    conformance::run_all6(&|| {
        let path = dir
            .path()
            .join(format!("leases6-{}.csv", n.fetch_add(1, Ordering::SeqCst)));
        Box::new(Memfile6::open(Some(&path)).unwrap())
    });
}

#[test]
fn one_family_per_store() {
    let v4: Box<dyn LeaseStore> = Box::new(Memfile::open(None).unwrap());
    let v6: Box<dyn LeaseStore> = Box::new(Memfile6::open(None).unwrap());
    v4.add4(&lease(1)).unwrap();
    v6.add6(&lease6(1)).unwrap();
    let unsupported = |r: Result<(), LeaseError>| matches!(r, Err(LeaseError::Unsupported(_)));
    assert!(unsupported(v4.add6(&lease6(2))));
    assert!(unsupported(v4.update6(&lease6(1))));
    assert!(unsupported(
        v4.delete6(LeaseType6::Na, lease6(1).address).map(drop)
    ));
    assert!(unsupported(v4.flush_reclaimed6(u64::MAX).map(drop)));
    assert_eq!(v4.get6(LeaseType6::Na, lease6(1).address), None);
    assert!(v4.all6().is_empty() && v4.expired6(u64::MAX, 0).is_empty());
    assert!(v4.get6_by_duid(&lease6(1).duid).is_empty());
    assert_eq!(v4.count6(), 0);
    assert!(unsupported(v6.add4(&lease(2))));
    assert!(unsupported(v6.update4(&lease(1))));
    assert!(unsupported(v6.delete4(lease(1).addr).map(drop)));
    assert!(unsupported(v6.flush_reclaimed4(u64::MAX).map(drop)));
    assert_eq!(v6.get4(lease(1).addr), None);
    assert!(v6.all4().is_empty() && v6.expired4(u64::MAX, 0).is_empty());
    assert!(v6.get4_by_hwaddr(&lease(1).hwaddr).is_empty());
    assert_eq!(v6.count4(), 0);
    assert_eq!((v4.count4(), v6.count6()), (1, 1));
}

#[test]
fn restart_keeps_everything6() {
    let (_dir, path) = tmp6();
    let expected = {
        let s = open6(&path);
        for n in 1..=10 {
            s.add6(&lease6(n)).unwrap();
        }
        s.add6(&prefix6(20)).unwrap();
        let mut l = lease6(3);
        l.hostname = "x,y&z".into();
        l.user_context = r#"{"a": "b,c"}"#.into();
        l.hwaddr.clear();
        l.hwtype = 0;
        s.update6(&l).unwrap();
        let mut d = lease6(6);
        d.duid = v6::EMPTY_DUID.to_vec();
        d.state = LeaseState::Declined;
        s.update6(&d).unwrap();
        let mut r = lease6(4);
        r.state = LeaseState::ExpiredReclaimed;
        s.update6(&r).unwrap();
        assert!(s.delete6(LeaseType6::Na, lease6(5).address).unwrap());
        s.all6()
    };
    let s = open6(&path);
    assert_eq!(s.all6(), expected);
    assert_eq!(s.load_stats().skipped, 0);
    assert_eq!(s.load_stats().rows, 15);
    assert_eq!(s.load_stats().leases, 10);
    // The secondary indexes are rebuilt too.
    assert_eq!(s.get6_by_duid(&lease6(3).duid).len(), 1);
    assert_eq!(
        s.get6_by_duid_iaid(LeaseType6::Pd, &prefix6(20).duid, 20),
        vec![prefix6(20)]
    );
    assert!(s.get6_by_duid(&lease6(5).duid).is_empty());
    assert!(s.get6_by_duid(&lease6(6).duid).is_empty());
    assert_eq!(s.expired6(u64::MAX, 0).len(), 9);
    assert_eq!(s.flush_reclaimed6(u64::MAX).unwrap(), 1);
    drop(s);
    assert_eq!(open6(&path).count6(), 9);
}

#[test]
fn journal_rows_are_kea_format6() {
    let (_dir, path) = tmp6();
    let s = open6(&path);
    let mut l = lease6(1);
    l.expire = 1_700_003_600;
    s.add6(&l).unwrap();
    l.hostname = "a,b".into();
    l.fqdn_fwd = true;
    l.hwaddr.clear();
    s.update6(&l).unwrap();
    s.delete6(LeaseType6::Na, l.address).unwrap();
    assert!(
        !s.delete6(LeaseType6::Na, l.address).unwrap(),
        "a miss journals nothing"
    );
    let text = fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!(
            "{}\n\
             2001:db8::1,00:03:00:01:02:00:00:00:00:01,3600,1700003600,1,1800,0,1,128,0,0,,02:00:00:00:00:01,0,,1,0\n\
             2001:db8::1,00:03:00:01:02:00:00:00:00:01,3600,1700003600,1,1800,0,1,128,1,0,a&#x2cb,,0,,,\n\
             2001:db8::1,00:03:00:01:02:00:00:00:00:01,0,1700000000,1,0,0,1,128,1,0,a&#x2cb,,0,,,\n",
            v6::HEADER
        )
    );
}

/// As Kea 2.2 writes `kea-leases6.csv`: an address with an escaped hostname
/// and a hardware address, a delegated prefix without hardware address and
/// with a user context, a lease deleted later (both lifetimes 0), a renewal,
/// and a declined address with the empty DUID.
const KEA_LEASES6: &str = "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source
2001:db8:1::100,00:01:00:01:2b:5a:4c:3d:08:00:27:aa:bb:cc,4000,1700004000,1,3000,0,123456,128,1,1,host&#x2c one.example.org.,08:00:27:aa:bb:cc,0,,1,4
2001:db8:8000::,00:01:00:01:2b:5a:4c:3d:08:00:27:aa:bb:cc,7200,1700007200,1,5400,2,7,56,0,0,,,0,{ \"ISC\": { \"foo\": 1 }&#x2c \"bar\": true },,
2001:db8:1::101,00:03:00:01:08:00:27:00:00:01,4000,1700004100,1,3000,0,1,128,0,0,,08:00:27:00:00:01,0,,1,2
2001:db8:1::101,00:03:00:01:08:00:27:00:00:01,0,1700000100,1,0,0,1,128,0,0,,08:00:27:00:00:01,0,,1,2
2001:db8:1::100,00:01:00:01:2b:5a:4c:3d:08:00:27:aa:bb:cc,4000,1700008000,1,3000,0,123456,128,1,1,host&#x2c one.example.org.,08:00:27:aa:bb:cc,0,,1,4
2001:db8:1::102,00,3600,1700003600,1,0,0,0,128,0,0,,,1,,,
";

#[test]
fn loads_a_kea_written_file6() {
    let (_dir, path) = tmp6();
    fs::write(&path, KEA_LEASES6).unwrap();
    let s = open6(&path);
    assert_eq!(s.count6(), 3);
    assert_eq!(s.load_stats().skipped, 0);
    assert!(!s.load_stats().converted);
    let duid = vec![
        0x00, 0x01, 0x00, 0x01, 0x2b, 0x5a, 0x4c, 0x3d, 0x08, 0x00, 0x27, 0xaa, 0xbb, 0xcc,
    ];
    let na = s
        .get6(LeaseType6::Na, "2001:db8:1::100".parse().unwrap())
        .unwrap();
    assert_eq!(
        na,
        Lease6 {
            address: "2001:db8:1::100".parse().unwrap(),
            duid: duid.clone(),
            valid_lifetime: 4000,
            expire: 1_700_008_000,
            subnet_id: 1,
            pref_lifetime: 3000,
            lease_type: LeaseType6::Na,
            iaid: 123_456,
            prefix_len: 128,
            fqdn_fwd: true,
            fqdn_rev: true,
            hostname: "host, one.example.org.".into(),
            hwaddr: vec![0x08, 0x00, 0x27, 0xaa, 0xbb, 0xcc],
            state: LeaseState::Default,
            user_context: String::new(),
            hwtype: 1,
            hwaddr_source: 4,
            pool_id: 0,
        }
    );
    assert_eq!(na.cltt(), 1_700_004_000);
    let pd = s
        .get6(LeaseType6::Pd, "2001:db8:8000::".parse().unwrap())
        .unwrap();
    assert_eq!(pd.prefix_len, 56);
    assert!(pd.hwaddr.is_empty());
    assert_eq!((pd.hwtype, pd.hwaddr_source), (0, 0));
    assert_eq!(pd.user_context, r#"{ "ISC": { "foo": 1 }, "bar": true }"#);
    assert_eq!(sorted6(s.get6_by_duid(&duid)), vec![na.clone(), pd.clone()]);
    assert_eq!(s.get6_by_duid_iaid(LeaseType6::Pd, &duid, 7), vec![pd]);
    assert_eq!(
        s.get6(LeaseType6::Na, "2001:db8:1::101".parse().unwrap()),
        None
    );
    let declined = s
        .get6(LeaseType6::Na, "2001:db8:1::102".parse().unwrap())
        .unwrap();
    assert_eq!(declined.state, LeaseState::Declined);
    assert_eq!(declined.duid, v6::EMPTY_DUID);
    // Appending keeps the file as it was, plus our row.
    s.add6(&lease6(9)).unwrap();
    let after = fs::read_to_string(&path).unwrap();
    assert!(after.starts_with(KEA_LEASES6));
    assert_eq!(after.lines().count(), KEA_LEASES6.lines().count() + 1);
    // And a compaction writes back what Kea wrote, row for row.
    s.compact().unwrap();
    let snapshot = fs::read_to_string(Files::new(&path).previous).unwrap();
    let kea_rows: Vec<&str> = KEA_LEASES6.lines().collect();
    for row in [kea_rows[2], kea_rows[5], kea_rows[6]] {
        assert!(
            snapshot.lines().any(|l| l == row),
            "{row} not in\n{snapshot}"
        );
    }
}

fn sorted6(mut v: Vec<Lease6>) -> Vec<Lease6> {
    v.sort_by_key(|l| (l.lease_type, l.address));
    v
}

#[test]
fn older_kea_header_is_loaded_and_rewritten6() {
    let (dir, path) = tmp6();
    // Kea 1.4..1.9 (schema 3.1): no hwtype, hwaddr_source.
    fs::write(
        &path,
        "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context\n\
         2001:db8::1,01:02:03,4000,1700004000,1,3000,0,1,128,0,0,h,0a:0b:0c:0d:0e:0f,0,\n\
         2001:db8:1::,01:02:03,4000,1700004000,1,3000,2,2,64,0,0,,,0,\n",
    )
    .unwrap();
    let s = open6(&path);
    assert_eq!(s.count6(), 2);
    assert!(s.load_stats().converted);
    let na = s
        .get6(LeaseType6::Na, "2001:db8::1".parse().unwrap())
        .unwrap();
    assert_eq!((na.hwtype, na.hwaddr_source), (v6::HTYPE_ETHER, 0));
    assert_eq!(names(dir.path()), COMPACTED6);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{}\n", v6::HEADER)
    );
    let all = s.all6();
    drop(s);
    let s = open6(&path);
    assert!(!s.load_stats().converted);
    assert_eq!(s.all6(), all);
}

#[test]
fn a_v4_file_is_not_a_v6_file() {
    let (_dir, path) = tmp6();
    fs::write(&path, format!("{HEADER}\n{}\n", encode_row(&lease(1)))).unwrap();
    match Memfile6::open(Some(&path)) {
        Err(LeaseError::Corrupt { line, .. }) => assert_eq!(line, 1),
        Err(e) => panic!("expected Corrupt, got {e}"),
        Ok(_) => panic!("expected Corrupt, got a store"),
    }
}

#[test]
fn io_error_changes_nothing6() {
    let (_dir, path) = tmp6();
    let s = open6(&path);
    let full = || OpenOptions::new().append(true).open("/dev/full");
    if full().is_err() {
        eprintln!("no /dev/full: skipping");
        return;
    }
    s.replace_journal_file(full().unwrap());
    assert!(matches!(s.add6(&lease6(1)), Err(LeaseError::Io { .. })));
    assert_eq!(s.get6(LeaseType6::Na, lease6(1).address), None);
    assert!(s.get6_by_duid(&lease6(1).duid).is_empty());
    drop(s);
    assert_eq!(open6(&path).count6(), 0);
}

fn put6(path: &Path, rows: &[&Lease6]) {
    let mut text = format!("{}\n", v6::HEADER);
    for r in rows {
        text.push_str(&v6::encode_row(r));
        text.push('\n');
    }
    fs::write(path, text).unwrap();
}

#[test]
fn compaction6_rotates_and_reloads_equal() {
    // kea-leases6.csv gets Kea's LFC as kea-leases4.csv does: one row per
    // lease (addresses and prefixes) in `.2`, a fresh journal, the same
    // leases after a restart.
    let (dir, path) = tmp6();
    let s = open6(&path);
    for n in 1..=20 {
        s.add6(&lease6(n)).unwrap();
        s.add6(&prefix6(n)).unwrap();
    }
    for n in 1..=20 {
        let mut l = lease6(n);
        l.expire += 100;
        s.update6(&l).unwrap();
    }
    for n in (1..=20).step_by(4) {
        assert!(s.delete6(LeaseType6::Pd, prefix6(n).address).unwrap());
    }
    let st = s.compact().unwrap();
    assert!(st.rotated && !st.recovered);
    assert_eq!(st.leases, 35);
    assert_eq!(names(dir.path()), COMPACTED6);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{}\n", v6::HEADER)
    );
    let compacted = fs::read_to_string(Files::new(&path).previous).unwrap();
    assert_eq!(compacted.lines().next(), Some(v6::HEADER));
    assert_eq!(compacted.lines().count(), 36, "header + one row per lease");
    s.add6(&lease6(100)).unwrap();
    let all = s.all6();
    drop(s);
    assert_eq!(open6(&path).all6(), all);
}

#[test]
fn crash_after_rotation_is_recovered6() {
    // A cleanup (ours or Kea's kea-lfc) that stopped after moving the
    // journal to .1: loaded in Kea's order, and the next run must not
    // overwrite that .1.
    let (dir, path) = tmp6();
    let files = Files::new(&path);
    let mut newer = lease6(1);
    newer.expire += 10;
    put6(&files.previous, &[&lease6(1), &prefix6(1)]);
    put6(&files.input, &[&newer, &lease6(2)]);
    put6(&files.current, &[&lease6(3)]);
    let s = open6(&path);
    let mut expected = vec![newer, lease6(2), lease6(3), prefix6(1)];
    expected.sort_by_key(|l| l.address);
    let mut all = s.all6();
    all.sort_by_key(|l| l.address);
    assert_eq!(all, expected);
    let st = s.compact().unwrap();
    assert!(st.recovered && !st.rotated);
    assert_eq!(names(dir.path()), COMPACTED6);
    drop(s);
    let mut again = open6(&path).all6();
    again.sort_by_key(|l| l.address);
    assert_eq!(again, expected);
}

/// The leased-address bitmaps follow adds, replacements and deletes, and
/// are rebuilt by a load (journal rows, including deletions).
#[test]
fn block_bitmaps_follow_the_leases() {
    let (_dir, path) = tmp();
    let block = |n: u16| Ipv4Addr::from(u32::from(lease(n).addr) / crate::BLOCK4 * crate::BLOCK4);
    let count = |s: &dyn LeaseStore, n: u16| {
        s.leased_in_block4(block(n))
            .map(|b| b.iter().map(|w| w.count_ones()).sum::<u32>())
    };
    let bit = |s: &dyn LeaseStore, n: u16| {
        let i = u32::from(lease(n).addr) % crate::BLOCK4;
        s.leased_in_block4(block(n))
            .is_some_and(|b| b[(i / 64) as usize] & (1 << (i % 64)) != 0)
    };
    {
        let s = open(&path);
        assert_eq!(s.leased_in_block4(block(1)), Some([0; 4]));
        for n in 1..=300 {
            s.add4(&lease(n)).unwrap();
        }
        // 10.0.0.1-255 and 10.0.1.0-44 (lease(n) is 10.0.hi.lo).
        assert_eq!(count(&s, 1), Some(255));
        assert!(!bit(&s, 0) && bit(&s, 1) && bit(&s, 255));
        assert_eq!(count(&s, 300), Some(45));
        assert!(bit(&s, 300) && !bit(&s, 301));
        let mut l = lease(5);
        l.hostname = "again".into();
        s.update4(&l).unwrap();
        assert_eq!(count(&s, 1), Some(255));
        assert!(s.delete4(lease(7).addr).unwrap());
        assert!(!s.delete4(lease(7).addr).unwrap());
        assert_eq!(count(&s, 1), Some(254));
        assert!(!bit(&s, 7));
        s.add4(&lease(0)).unwrap();
        s.add4(&lease(7)).unwrap();
        assert_eq!(s.leased_in_block4(block(1)), Some([u64::MAX; 4]));
        assert!(s.delete4(lease(64).addr).unwrap());
    }
    let s = open(&path);
    assert_eq!(count(&s, 1), Some(255));
    assert!(!bit(&s, 64) && bit(&s, 63) && bit(&s, 65));
    assert_eq!(count(&s, 300), Some(45));
    assert_eq!(s.leased_in_block4(Ipv4Addr::new(10, 0, 9, 0)), Some([0; 4]));
    // DHCPv6 stores keep none.
    let s6 = Memfile6::open(None).unwrap();
    assert_eq!(s6.leased_in_block4(block(1)), None);
}

#[test]
fn a_lease_file_serves_one_store_at_a_time() {
    let (_dir, path) = tmp();
    let s = open(&path);
    let e = Memfile4::open(Some(&path)).err().unwrap().to_string();
    assert!(e.contains("in use by another ruru process"), "{e}");
    drop(s);
    drop(open(&path));
}

#[test]
fn the_load_check_fixes_and_discards_rows() {
    let (_dir, path) = tmp();
    let text = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context
192.0.2.1,00:0c:01:02:03:04,,4000,1700004000,7,0,0,,0,
198.51.100.1,00:0c:01:02:03:05,,4000,1700004100,1,0,0,,0,
192.0.2.2,00:0c:01:02:03:06,,4000,1700004200,1,0,0,,0,
";
    fs::write(&path, text).unwrap();
    // Subnet 1 is 192.0.2.0/24: fix the subnet ID of a lease in it, drop
    // a lease outside it.
    let check = |l: &mut Lease4| {
        if l.addr.octets()[..3] == [192, 0, 2] {
            l.subnet_id = 1;
            true
        } else {
            false
        }
    };
    let s = Memfile::open_checked(Some(&path), MemfileOptions::default(), Some(&check)).unwrap();
    assert_eq!(s.count4(), 2);
    assert_eq!(s.load_stats().discarded, 1);
    assert_eq!(s.get4(Ipv4Addr::new(192, 0, 2, 1)).unwrap().subnet_id, 1);
    assert_eq!(s.get4(Ipv4Addr::new(198, 51, 100, 1)), None);
    drop(s);
    // The file itself is left as it was (Kea: "inconsistent leases will
    // stay in the lease file").
    assert!(fs::read_to_string(&path).unwrap().contains("198.51.100.1,"));
    assert_eq!(open(&path).count4(), 3);
}
