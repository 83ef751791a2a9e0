//! Tests of the binary lease snapshot (`snapshot`) through the store: it is
//! written by compaction, a restart from it gives exactly what the CSV
//! files give, and anything that does not match falls back to them.

use std::fs::OpenOptions;

use super::*;
use crate::conformance::{lease4, lease6, prefix6};

fn tmp(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

fn open<L: LeaseRow>(path: &Path) -> MemfileStore<L> {
    match MemfileStore::<L>::open(Some(path)) {
        Ok(s) => s,
        Err(e) => panic!("open {}: {e}", path.display()),
    }
}

/// Leases with every column in use: identifiers inline and on the heap,
/// none and empty client IDs, text with Kea's escapes, every state.
fn leases4() -> Vec<Lease4> {
    let mut v = Vec::new();
    for n in 1..=300u16 {
        let mut l = lease4(n);
        l.expire = 1_700_000_000 + u64::from(n % 17) * 1000;
        l.subnet_id = u32::from(n % 3) + 1;
        l.fqdn_fwd = n % 2 == 0;
        l.fqdn_rev = n % 3 == 0;
        l.state = match n % 5 {
            0 => LeaseState::Declined,
            1 => LeaseState::ExpiredReclaimed,
            _ => LeaseState::Default,
        };
        match n % 7 {
            0 => l.client_id = None,
            1 => l.client_id = Some((0..=60).map(|b| b as u8 ^ n as u8).collect()),
            2 => l.hwaddr = (0..20).collect(),
            3 => l.hwaddr.clear(),
            _ => {}
        }
        if n % 4 == 0 {
            l.hostname = format!("host-{n}.example.org.");
        }
        if n % 6 == 0 {
            l.user_context = format!(r#"{{"n":{n},"s":"a,b&c\u00e9"}}"#);
        }
        if n % 11 == 0 {
            l.hostname = "comma,and&amp".into();
        }
        v.push(l);
    }
    v
}

fn leases6() -> Vec<Lease6> {
    let mut v = Vec::new();
    for n in 1..=200u16 {
        let mut l = if n % 4 == 0 { prefix6(n) } else { lease6(n) };
        if n % 9 == 1 && n % 4 != 0 {
            l.lease_type = LeaseType6::Ta;
        }
        l.expire = 1_700_000_000 + u64::from(n % 13) * 1000;
        l.iaid = u32::from(n) * 77;
        l.hwtype = n % 3;
        l.hwaddr_source = u32::from(n % 5);
        l.fqdn_fwd = n % 2 == 1;
        l.state = match n % 3 {
            0 => LeaseState::Declined,
            1 => LeaseState::ExpiredReclaimed,
            _ => LeaseState::Default,
        };
        if n % 5 == 0 {
            l.duid = (0..128).map(|b| b as u8 ^ n as u8).collect();
        }
        if n % 7 == 0 {
            l.hwaddr.clear();
        }
        if n % 3 == 0 {
            l.hostname = format!("h{n},x.example.");
            l.user_context = format!(r#"{{"n":{n}}}"#);
        }
        v.push(l);
    }
    v
}

/// A store with `leases`, compacted, then journal rows after the
/// compaction: one lease changed, one deleted, one added. Returns what it
/// holds.
fn compacted<L>(path: &Path, leases: &[L], bump: fn(&mut L)) -> Vec<L>
where
    MemfileStore<L>: LeaseStore,
    L: LeaseRow + PartialEq + std::fmt::Debug,
{
    let s = open::<L>(path);
    for l in leases {
        assert!(s.insert_new(l).unwrap());
    }
    let st = s.compact().unwrap();
    assert_eq!(st.leases, leases.len());
    let mut changed = leases[3].clone();
    bump(&mut changed);
    assert!(s.replace(&changed, |_| true).unwrap());
    assert!(s.remove(leases[5].key(), |_| true).unwrap());
    let mut new = leases[0].clone();
    bump(&mut new);
    s.remove(leases[0].key(), |_| true).unwrap();
    s.insert_new(&new).unwrap();
    s.all()
}

/// What a restart gives, and whether it read the snapshot.
fn reload<L>(path: &Path) -> (Vec<L>, bool)
where
    MemfileStore<L>: LeaseStore,
    L: LeaseRow + PartialEq + std::fmt::Debug,
{
    let s = open::<L>(path);
    (s.all(), s.load_stats().snapshot.is_some())
}

fn snapshot_of(path: &Path) -> PathBuf {
    Files::new(path).snapshot
}

fn bump4(l: &mut Lease4) {
    l.expire += 7;
    l.hostname = "bumped".into();
}

fn bump6(l: &mut Lease6) {
    l.expire += 7;
    l.user_context = r#"{"bumped":true}"#.into();
}

/// The snapshot is written by compaction and a restart from it, with the
/// journal rows after it, gives what the CSV files give.
fn restart_from_snapshot_equals_csv<L>(name: &str, leases: Vec<L>, bump: fn(&mut L))
where
    MemfileStore<L>: LeaseStore,
    L: LeaseRow + PartialEq + std::fmt::Debug,
{
    let (dir, path) = tmp(name);
    let expected = compacted(&path, &leases, bump);
    assert!(snapshot_of(&path).exists());
    let (from_snapshot, used) = reload::<L>(&path);
    assert!(used, "the snapshot was not used");
    assert_eq!(from_snapshot, expected);
    // The same files without the snapshot.
    fs::rename(snapshot_of(&path), dir.path().join("saved")).unwrap();
    let (from_csv, used) = reload::<L>(&path);
    assert!(!used);
    assert_eq!(from_csv, expected);
    fs::rename(dir.path().join("saved"), snapshot_of(&path)).unwrap();
    // Lookups and expiry order too.
    let from_snapshot = {
        let s = open::<L>(&path);
        assert!(s.load_stats().snapshot.is_some());
        a_view(&s)
    };
    fs::remove_file(snapshot_of(&path)).unwrap();
    let s = open::<L>(&path);
    assert!(s.load_stats().snapshot.is_none());
    let from_csv = a_view(&s);
    assert_eq!(from_snapshot, from_csv);
    // Both build their indexes at the end of the load: the same as a store
    // that indexed each lease as it came.
    let live = MemfileStore::<L>::open(None).unwrap();
    for l in &expected {
        assert!(live.insert_new(l).unwrap());
    }
    assert_eq!(from_csv, a_view(&live));
}

/// Every lease's secondary lookups, and the expiry order.
fn a_view<L: LeaseRow>(s: &MemfileStore<L>) -> (Vec<L>, Vec<Vec<L>>) {
    let found = s
        .all()
        .iter()
        .flat_map(|l| l.lookups())
        .map(|k| s.find(k.borrowed()))
        .collect();
    (s.expired(u64::MAX, 0), found)
}

#[test]
fn restart_from_snapshot_equals_csv4() {
    restart_from_snapshot_equals_csv("kea-leases4.csv", leases4(), bump4);
}

#[test]
fn restart_from_snapshot_equals_csv6() {
    restart_from_snapshot_equals_csv("kea-leases6.csv", leases6(), bump6);
}

#[test]
fn a_zero_lifetime_lease_in_memory_is_gone_after_restart_either_way() {
    let (dir, path) = tmp("kea-leases4.csv");
    let s = open::<Lease4>(&path);
    let mut gone = lease4(1);
    gone.valid_lifetime = 0;
    s.add4(&gone).unwrap();
    s.add4(&lease4(2)).unwrap();
    s.compact().unwrap();
    drop(s);
    let (all, used) = reload::<Lease4>(&path);
    assert!(used);
    assert_eq!(all, vec![lease4(2)]);
    fs::remove_file(snapshot_of(&path)).unwrap();
    assert_eq!(reload::<Lease4>(&path), (vec![lease4(2)], false));
    drop(dir);
}

#[test]
fn journal_in_dot_1_after_the_snapshot_is_applied() {
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    // A later compaction stopped after its rotation: `.2` (the snapshot's
    // file), `.1`, then a fresh `<name>` with one more row.
    let files = Files::new(&path);
    fs::rename(&files.current, &files.input).unwrap();
    let s = open::<Lease4>(&path);
    assert!(s.load_stats().snapshot.is_some());
    assert_eq!(
        s.load_stats().files,
        [files.previous.clone(), files.input.clone()]
    );
    assert_eq!(s.all4(), expected);
    s.delete4(expected[10].addr).unwrap();
    let expected = s.all4();
    drop(s);
    assert_eq!(reload::<Lease4>(&path), (expected, true));
}

#[test]
fn a_snapshot_follows_completed_renamed_to_dot_2() {
    // A compaction that stopped before its cleanup leaves `.completed`;
    // the snapshot stands for it there and after the rename to `.2`.
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let files = Files::new(&path);
    fs::rename(&files.previous, &files.completed).unwrap();
    assert_eq!(reload::<Lease4>(&path), (expected.clone(), true));
    let s = open::<Lease4>(&path);
    assert!(s.compact().unwrap().recovered);
    drop(s);
    assert_eq!(reload::<Lease4>(&path), (expected, true));
}

/// Every way a snapshot can be damaged: each must fall back to the CSV
/// files and give their leases.
#[test]
fn a_damaged_snapshot_falls_back_to_the_csv_files() {
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let snap = snapshot_of(&path);
    let good = fs::read(&snap).unwrap();
    let mut damaged: Vec<(String, Vec<u8>)> = Vec::new();
    for at in [
        0,
        8,
        12,
        20,
        40,
        95,
        96,
        97,
        100,
        500,
        good.len() / 2,
        good.len() - 1,
    ] {
        for bit in [0x01, 0x80] {
            let mut d = good.clone();
            d[at] ^= bit;
            damaged.push((format!("bit {bit:#x} of byte {at} flipped"), d));
        }
    }
    for len in [0, 1, 50, 95, 96, 97, 100, good.len() / 3, good.len() - 1] {
        damaged.push((format!("cut to {len} bytes"), good[..len].to_vec()));
    }
    let mut longer = good.clone();
    longer.extend_from_slice(&[0, 0, 0, 0]);
    damaged.push(("4 bytes appended".into(), longer));
    // A newer format version: the header checksum is right, the version
    // is not ours (header bytes 8..12; checksum in the last 8 of 96).
    let mut newer = good.clone();
    newer[8..12].copy_from_slice(&3u32.to_le_bytes());
    let sum = snapshot::header_checksum(&newer[..88]);
    newer[88..96].copy_from_slice(&sum.to_le_bytes());
    damaged.push(("format version 3".into(), newer));
    for (what, bytes) in damaged {
        fs::write(&snap, &bytes).unwrap();
        let (all, used) = reload::<Lease4>(&path);
        assert!(!used, "{what}: used");
        assert_eq!(all, expected, "{what}");
        assert!(!snap.exists(), "{what}: the unused snapshot was kept");
    }
    fs::write(&snap, &good).unwrap();
    assert_eq!(reload::<Lease4>(&path), (expected, true));
}

#[test]
fn a_snapshot_of_the_other_family_is_ignored() {
    let (dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let path6 = dir.path().join("kea-leases6.csv");
    compacted(&path6, &leases6(), bump6);
    fs::copy(snapshot_of(&path6), snapshot_of(&path)).unwrap();
    assert_eq!(reload::<Lease4>(&path), (expected, false));
}

#[test]
fn a_csv_file_rewritten_by_kea_or_by_hand_is_read_not_the_snapshot() {
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let files = Files::new(&path);
    let csv2 = fs::read_to_string(&files.previous).unwrap();

    // Kea's LFC: `.1` and `.2` merged into a new `.2` through `.output`
    // and `.completed` (here with one lease fewer, so that using the
    // snapshot would show).
    let mut lines: Vec<&str> = csv2.lines().collect();
    let dropped = lines.remove(20).to_string();
    let merged = lines.join("\n") + "\n";
    fs::write(&files.output, &merged).unwrap();
    fs::rename(&files.output, &files.completed).unwrap();
    fs::remove_file(&files.previous).unwrap();
    fs::rename(&files.completed, &files.previous).unwrap();
    let gone: Ipv4Addr = dropped.split(',').next().unwrap().parse().unwrap();
    let want: Vec<Lease4> = expected
        .iter()
        .filter(|l| l.addr != gone)
        .cloned()
        .collect();
    assert_eq!(reload::<Lease4>(&path), (want.clone(), false));

    // An operator's edit in place, same size, the time kept: caught by the
    // checksum of the file's ends (here the last row's expiry).
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let files = Files::new(&path);
    let text = fs::read_to_string(&files.previous).unwrap();
    let mtime = fs::metadata(&files.previous).unwrap().modified().unwrap();
    let last = text.trim_end().rsplit('\n').next().unwrap().to_string();
    let edited_last = last.replacen(",1,", ",9,", 1);
    assert_ne!(last, edited_last);
    let edited = text.replacen(&last, &edited_last, 1);
    assert_eq!(edited.len(), text.len());
    let f = OpenOptions::new()
        .write(true)
        .open(&files.previous)
        .unwrap();
    use std::io::Write as _;
    (&f).write_all(edited.as_bytes()).unwrap();
    f.set_modified(mtime).unwrap();
    drop(f);
    let (all, used) = reload::<Lease4>(&path);
    assert!(!used);
    assert_ne!(all, expected);

    // A copy of the same content (a restore, `cp`): a new inode, read as
    // CSV, same leases.
    let (_dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    let files = Files::new(&path);
    let copy = files.previous.with_extension("copy");
    fs::copy(&files.previous, &copy).unwrap();
    fs::rename(&copy, &files.previous).unwrap();
    assert_eq!(reload::<Lease4>(&path), (expected, false));

    // `.2` removed: the snapshot stands for nothing.
    let (_dir, path) = tmp("kea-leases4.csv");
    compacted(&path, &leases4(), bump4);
    let files = Files::new(&path);
    fs::remove_file(&files.previous).unwrap();
    let (all, used) = reload::<Lease4>(&path);
    assert!(!used);
    assert_eq!(all.len(), 2, "only the journal's changed and added leases");
}

#[test]
fn the_load_check_runs_on_the_snapshot_as_on_the_csv() {
    let (dir, path) = tmp("kea-leases4.csv");
    compacted(&path, &leases4(), bump4);
    // Subnet 2 becomes subnet 20; leases of subnet 3 are dropped.
    let check = |l: &mut Lease4| match l.subnet_id {
        2 => {
            l.subnet_id = 20;
            true
        }
        3 => false,
        _ => true,
    };
    let load = |path: &Path| {
        let s =
            Memfile4::open_checked(Some(path), MemfileOptions::default(), Some(&check)).unwrap();
        (
            s.all4(),
            s.load_stats().discarded,
            s.load_stats().snapshot.is_some(),
        )
    };
    let (from_snapshot, discarded, used) = load(&path);
    assert!(used);
    assert!(discarded > 50);
    assert!(from_snapshot
        .iter()
        .all(|l| l.subnet_id == 1 || l.subnet_id == 20));
    assert!(from_snapshot.iter().any(|l| l.subnet_id == 20));
    fs::rename(snapshot_of(&path), dir.path().join("saved")).unwrap();
    let (from_csv, discarded_csv, used) = load(&path);
    assert!(!used);
    assert_eq!(from_snapshot, from_csv);
    assert_eq!(discarded, discarded_csv);
}

#[test]
fn a_failed_snapshot_write_leaves_the_compaction_whole() {
    let (dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    // The snapshot's temporary name is a directory: it cannot be created.
    let files = Files::new(&path);
    fs::create_dir(&files.snapshot_output).unwrap();
    let s = open::<Lease4>(&path);
    let st = s.compact().unwrap();
    assert_eq!(st.leases, expected.len());
    drop(s);
    assert!(!files.snapshot.exists(), "the stale snapshot is removed");
    assert_eq!(reload::<Lease4>(&path), (expected, false));
    drop(dir);
}

#[test]
fn a_failed_cleanup_leaves_no_partial_snapshot() {
    let (dir, path) = tmp("kea-leases4.csv");
    let expected = compacted(&path, &leases4(), bump4);
    // `.output` is a directory: the CSV snapshot cannot be written, after
    // the binary one was started.
    let files = Files::new(&path);
    fs::create_dir(&files.output).unwrap();
    let s = open::<Lease4>(&path);
    assert!(s.compact().is_err());
    drop(s);
    assert!(
        !files.snapshot_output.exists(),
        "a partial snapshot was left behind"
    );
    fs::remove_dir(&files.output).unwrap();
    assert_eq!(reload::<Lease4>(&path).0, expected);
    drop(dir);
}
