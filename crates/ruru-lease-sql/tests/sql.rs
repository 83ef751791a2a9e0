//! The conformance suite against PostgreSQL and MySQL/MariaDB on
//! 127.0.0.1 (PostgreSQL: user `postgres`, trust auth; MariaDB: `root`,
//! no password — what `.ci/run` sets up). Each test creates a database of
//! its own, named after the test and the process, and drops it at the end.
//! A database that is not reachable is a SKIP (a failure under
//! `RURU_REQUIRE_ALL=1`).
//!
//! The outage tests put a TCP proxy ([`Proxy`]) between the store and the
//! server and cut it (every connection closed, new ones refused) and
//! restore it: the shared servers themselves are never stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use ruru_lease::conformance::{lease4, lease6};
use ruru_lease::{LeaseError, LeaseStore, SchemaState};
use ruru_lease_sql::{DbEvent, DbOptions, GroupCommits, KeaRelease, MySqlStore, PgStore};

use common::*;

fn conformance(kind: Kind, test: &str, v6: bool) {
    conformance_on(kind, test, v6, KeaRelease::NEWEST);
}

fn schema(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    assert_eq!(db.version(), SchemaState::Missing);
    match db.open() {
        Err(ruru_lease::LeaseError::Schema { found, .. }) => {
            assert_eq!(found, SchemaState::Missing)
        }
        Err(e) => panic!("open without schema: {e}"),
        Ok(_) => panic!("open without schema succeeded"),
    }
    let kea = kind.kea();
    let current = SchemaState::Version(kea.0, kea.1);
    assert_eq!(db.init_as(KeaRelease::V2_2), current, "Kea 2.2's schema");
    assert_eq!(db.init_as(KeaRelease::V2_2), current, "init is idempotent");
    assert_eq!(db.version(), current);
    let up = db.upgrade(KeaRelease::V2_2).unwrap();
    assert_eq!(up, current, "upgrade of a current schema changes nothing");
    // Kea's upgrade scripts take it to Kea 3.0's; there is no way back.
    let newest = match kind {
        Kind::Pg => (29, 0),
        Kind::My => (30, 0),
    };
    let up = db.upgrade(KeaRelease::NEWEST).unwrap();
    assert_eq!(up, SchemaState::Version(newest.0, newest.1));
    assert!(db.open().is_ok());
    let down = db.upgrade(KeaRelease::V2_2).unwrap_err().to_string();
    assert!(down.contains("never downgraded"), "{down}");
    assert_eq!(
        db.init_as(KeaRelease::V2_2),
        up,
        "init leaves a schema alone"
    );
    let kea = newest;
    // Another Kea version is refused (and never changed).
    exec(
        kind,
        &db.opts,
        "UPDATE schema_version SET version = version + 50",
    )
    .unwrap();
    let newer = SchemaState::Version(kea.0 + 50, kea.1);
    match db.open() {
        Err(ruru_lease::LeaseError::Schema { found, expected }) => {
            assert_eq!((found, expected), (newer, newest))
        }
        Err(e) => panic!("open of a newer schema: {e}"),
        Ok(_) => panic!("open of a newer schema succeeded"),
    }
    assert_eq!(db.init(), newer, "init leaves a schema alone");
    assert!(
        db.upgrade(KeaRelease::NEWEST).is_err(),
        "an unknown schema is not touched"
    );
    assert_eq!(db.version(), newer);
    exec(
        kind,
        &db.opts,
        "UPDATE schema_version SET version = version - 50",
    )
    .unwrap();
    assert!(db.open().is_ok());
}

/// ruru's former schema of its own (a `schema_version` table without Kea's
/// other tables) is recognised as such and refused.
fn former_schema(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    exec(
        kind,
        &db.opts,
        "CREATE TABLE schema_version (version INT NOT NULL, minor INT NOT NULL)",
    )
    .unwrap();
    exec(kind, &db.opts, "INSERT INTO schema_version VALUES (1, 2)").unwrap();
    assert_eq!(db.version(), SchemaState::Ruru(1, 2));
    match db.open() {
        Err(ruru_lease::LeaseError::Schema { found, .. }) => {
            assert_eq!(found, SchemaState::Ruru(1, 2))
        }
        Err(e) => panic!("open of ruru's former schema: {e}"),
        Ok(_) => panic!("open of ruru's former schema succeeded"),
    }
    assert_eq!(db.init(), SchemaState::Ruru(1, 2), "init changes nothing");
}

#[test]
fn pg_former_schema() {
    former_schema(Kind::Pg, "pg_former_schema");
}

#[test]
fn mysql_former_schema() {
    former_schema(Kind::My, "mysql_former_schema");
}

#[test]
fn pg_conformance4() {
    conformance(Kind::Pg, "pg_conformance4", false);
}

#[test]
fn pg_conformance6() {
    conformance(Kind::Pg, "pg_conformance6", true);
}

#[test]
fn pg_schema() {
    schema(Kind::Pg, "pg_schema");
}

#[test]
fn mysql_conformance4() {
    conformance(Kind::My, "mysql_conformance4", false);
}

#[test]
fn mysql_conformance6() {
    conformance(Kind::My, "mysql_conformance6", true);
}

#[test]
fn mysql_schema() {
    schema(Kind::My, "mysql_schema");
}

/// A TCP proxy from a local port to a database server, which a test can
/// cut (every connection closed, new ones closed at once) and restore.
struct Proxy {
    port: u16,
    open: Arc<AtomicBool>,
    /// Both ends of every proxied connection, to close them on `cut`.
    conns: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    fn new(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (o, c, st) = (open.clone(), conns.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let client = match listener.accept() {
                    Ok((s, _)) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    }
                };
                if !o.load(Ordering::Relaxed) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let mut list = c.lock().unwrap();
                list.push(client.try_clone().unwrap());
                list.push(up.try_clone().unwrap());
                drop(list);
                pipe(client.try_clone().unwrap(), up.try_clone().unwrap());
                pipe(up, client);
            }
        });
        Proxy {
            port,
            open,
            conns,
            stop,
        }
    }

    /// The database goes away: connections closed, new ones refused.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for s in self.conns.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.cut();
    }
}

/// Copies `from` to `to` until either side closes.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16384];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Both);
        let _ = from.shutdown(Shutdown::Both);
    });
}

/// The store (as the trait), its events, and its `connected` probe.
type Opened = (
    Arc<dyn LeaseStore>,
    Receiver<DbEvent>,
    Box<dyn Fn() -> bool>,
);

fn open_with_events(kind: Kind, opts: &DbOptions) -> Result<Opened, LeaseError> {
    Ok(match kind {
        Kind::Pg => {
            let s = Arc::new(PgStore::open(opts)?);
            let ev = s.events().unwrap();
            assert!(s.events().is_none(), "events are taken once");
            let probe = s.clone();
            (s, ev, Box::new(move || probe.connected()))
        }
        Kind::My => {
            let s = Arc::new(MySqlStore::open(opts)?);
            let ev = s.events().unwrap();
            let probe = s.clone();
            (s, ev, Box::new(move || probe.connected()))
        }
    })
}

fn next_event(ev: &Receiver<DbEvent>, within: Duration) -> DbEvent {
    match ev.recv_timeout(within) {
        Ok(e) => e,
        Err(RecvTimeoutError::Timeout) => panic!("no database event within {within:?}"),
        Err(e) => panic!("events: {e}"),
    }
}

fn upstream_port(kind: Kind) -> u16 {
    match kind {
        Kind::Pg => 5432,
        Kind::My => 3306,
    }
}

/// The database goes away under an open store and comes back: calls fail
/// at once while it is away (no ACK can be given), each state change is
/// reported once, and the store works again without being reopened.
fn outage(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let proxy = Proxy::new(upstream_port(kind));
    let mut opts = db.opts.clone();
    opts.port = Some(proxy.port);
    opts.max_reconnect_tries = 2;
    opts.reconnect_wait_time = Duration::from_millis(100);
    opts.connect_timeout = Duration::from_secs(2);
    let (s, ev, connected) = open_with_events(kind, &opts).unwrap();
    s.add4(&lease4(1)).unwrap();
    s.add6(&lease6(1)).unwrap();
    assert!(connected());

    proxy.cut();
    // The calls in flight when it goes fail; the first that cannot
    // reconnect takes the store down.
    let end = Instant::now() + Duration::from_secs(10);
    while connected() {
        assert!(Instant::now() < end, "the outage was not noticed");
        assert!(
            s.add4(&lease4(2)).is_err(),
            "a write succeeded without a database"
        );
    }
    assert!(matches!(
        next_event(&ev, Duration::from_secs(1)),
        DbEvent::Lost { .. }
    ));
    // Down: refused at once, no round trip.
    let t = Instant::now();
    assert!(matches!(
        s.add4(&lease4(3)),
        Err(LeaseError::Unavailable(_))
    ));
    assert!(matches!(
        s.add6(&lease6(3)),
        Err(LeaseError::Unavailable(_))
    ));
    assert_eq!(s.get4(lease4(1).addr), None);
    assert_eq!(s.count4(), 0);
    assert!(
        t.elapsed() < Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    // max-reconnect-tries (2) run out: reported once, and it keeps trying.
    match next_event(&ev, Duration::from_secs(5)) {
        DbEvent::GaveUp { tries, .. } => assert_eq!(tries, 2),
        e => panic!("expected GaveUp, got {e:?}"),
    }

    proxy.restore();
    match next_event(&ev, Duration::from_secs(5)) {
        DbEvent::Restored { tries } => assert!(tries > 2, "{tries}"),
        e => panic!("expected Restored, got {e:?}"),
    }
    assert!(connected());
    assert_eq!(s.get4(lease4(1).addr), Some(lease4(1)));
    s.add4(&lease4(2)).unwrap();
    s.add6(&lease6(2)).unwrap();
    assert_eq!(s.count4(), 2);
    assert_eq!(
        s.get6(lease6(2).lease_type, lease6(2).address),
        Some(lease6(2))
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(ev.try_recv().is_err(), "one event per change");
}

/// `retry_on_startup`: a store opened while its database is away starts
/// down and comes up when the database does; without it, opening fails.
fn retry_on_startup(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let proxy = Proxy::new(upstream_port(kind));
    proxy.cut();
    let mut opts = db.opts.clone();
    opts.port = Some(proxy.port);
    opts.connect_timeout = Duration::from_secs(2);
    opts.reconnect_wait_time = Duration::from_millis(100);
    opts.max_reconnect_tries = 100;
    assert!(
        open_with_events(kind, &opts).is_err(),
        "opened without a database"
    );
    opts.retry_on_startup = true;
    let (s, ev, connected) = open_with_events(kind, &opts).unwrap();
    assert!(matches!(
        next_event(&ev, Duration::from_secs(1)),
        DbEvent::Lost { .. }
    ));
    assert!(!connected());
    assert!(matches!(
        s.add4(&lease4(1)),
        Err(LeaseError::Unavailable(_))
    ));
    proxy.restore();
    assert!(matches!(
        next_event(&ev, Duration::from_secs(5)),
        DbEvent::Restored { .. }
    ));
    s.add4(&lease4(1)).unwrap();
    assert_eq!(s.get4(lease4(1).addr), Some(lease4(1)));
    // A missing schema is not an outage: opening fails, retry or not.
    exec(kind, &db.opts, "DROP TABLE schema_version").unwrap();
    assert!(matches!(
        open_with_events(kind, &opts),
        Err(LeaseError::Schema { .. })
    ));
}

#[test]
fn pg_outage() {
    outage(Kind::Pg, "pg_outage");
}

#[test]
fn mysql_outage() {
    outage(Kind::My, "mysql_outage");
}

#[test]
fn pg_retry_on_startup() {
    retry_on_startup(Kind::Pg, "pg_retry_on_startup");
}

#[test]
fn mysql_retry_on_startup() {
    retry_on_startup(Kind::My, "mysql_retry_on_startup");
}

/// Closes, on the server side, every connection to the test's database.
fn kill_connections(kind: Kind, db: &TestDb) {
    let name = &db.opts.name;
    match kind {
        Kind::Pg => exec(
            kind,
            &admin(kind),
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ),
        )
        .unwrap(),
        Kind::My => mysql_admin(async |conn| {
            let ids = mysql_connection_ids(conn, name).await;
            assert!(!ids.is_empty(), "no connection to kill");
            for id in ids {
                let _ = conn.query_drop(format!("KILL {id}")).await;
            }
        }),
    }
}

/// Runs `f` on a new root connection to the test MySQL server.
fn mysql_admin<T>(f: impl AsyncFnOnce(&mut mysql_async::Conn) -> T) -> T {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname("127.0.0.1")
            .user(Some("root"))
            .prefer_socket(false);
        let mut conn = mysql_async::Conn::new(opts).await.unwrap();
        let r = f(&mut conn).await;
        conn.disconnect().await.unwrap();
        r
    })
}

/// The ids of the connections to database `name`, other than `conn`'s.
async fn mysql_connection_ids(conn: &mut mysql_async::Conn, name: &str) -> Vec<u64> {
    conn.exec(
        "SELECT id FROM information_schema.processlist \
         WHERE db = ? AND id <> CONNECTION_ID()",
        (name,),
    )
    .await
    .unwrap()
}

/// How many connections the test's MySQL database has.
fn mysql_connections(db: &TestDb) -> usize {
    mysql_admin(async |conn| mysql_connection_ids(conn, &db.opts.name).await.len())
}

/// A thread outside any tokio runtime (a packet worker) reads on a MySQL
/// connection of its own, not on the pool: five threads reading at once
/// hold five connections, where the pool (`pool_size` 1, plus its
/// writers') would hold at most three; they close with their threads.
#[test]
fn mysql_threads_read_on_their_own_connections() {
    let Some(db) = TestDb::new(Kind::My, "mysql_own_conns") else {
        return;
    };
    db.init();
    let opts = DbOptions {
        pool_size: 1,
        ..db.opts.clone()
    };
    let s = MySqlStore::open(&opts).unwrap();
    s.add4(&lease4(1)).unwrap();
    const THREADS: usize = 5;
    let read = std::sync::Barrier::new(THREADS + 1);
    let counted = std::sync::Barrier::new(THREADS + 1);
    let during = std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                assert_eq!(s.get4(lease4(1).addr), Some(lease4(1)));
                read.wait();
                counted.wait();
                // The same connection again.
                assert_eq!(s.get4(lease4(1).addr), Some(lease4(1)));
            });
        }
        read.wait();
        let n = mysql_connections(&db);
        counted.wait();
        n
    });
    assert!(
        during >= THREADS,
        "{during} connections for {THREADS} reading threads"
    );
    let end = std::time::Instant::now() + Duration::from_secs(5);
    let mut after = mysql_connections(&db);
    while after > 3 && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        after = mysql_connections(&db);
    }
    assert!(
        after <= 3,
        "{after} connections left after the threads ended"
    );
}

/// A connection closed by the server (an idle timeout, an administrator)
/// is not an outage, even with `max-reconnect-tries` 0 (where an outage
/// would make the server exit): reads go on working, writes after a
/// failed one or so, and nothing is reported.
fn broken_connections_are_not_an_outage(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let (s, ev, connected) = open_with_events(kind, &db.opts).unwrap();
    s.add4(&lease4(1)).unwrap();
    // Use several pooled connections at once.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..20 {
                    assert!(s.get4(lease4(1).addr).is_some());
                }
            });
        }
    });
    kill_connections(kind, &db);
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..10 {
        assert_eq!(s.get4(lease4(1).addr), Some(lease4(1)));
    }
    assert!(
        (2..10).any(|n| s.add4(&lease4(n)).is_ok()),
        "writes do not recover"
    );
    assert!(connected());
    assert!(
        ev.try_recv().is_err(),
        "a closed connection reported as an outage"
    );
}

#[test]
fn pg_broken_connections_are_not_an_outage() {
    broken_connections_are_not_an_outage(Kind::Pg, "pg_broken_conns");
}

#[test]
fn mysql_broken_connections_are_not_an_outage() {
    broken_connections_are_not_an_outage(Kind::My, "mysql_broken_conns");
}

// --- Group commit (the one-lease writes of concurrent callers are
// committed together) ---

/// A store opened as its own type, for its group-commit counts.
enum Counted {
    Pg(PgStore),
    My(MySqlStore),
}

impl Counted {
    fn open(kind: Kind, opts: &DbOptions) -> Counted {
        match kind {
            Kind::Pg => Counted::Pg(PgStore::open(opts).unwrap()),
            Kind::My => Counted::My(MySqlStore::open(opts).unwrap()),
        }
    }

    fn store(&self) -> &dyn LeaseStore {
        match self {
            Counted::Pg(s) => s,
            Counted::My(s) => s,
        }
    }

    fn commits(&self) -> GroupCommits {
        match self {
            Counted::Pg(s) => s.group_commits(),
            Counted::My(s) => s.group_commits(),
        }
    }
}

/// 16 threads write at once, so that writes are batched: each write still
/// gets its own answer, and exactly what was answered Ok is stored. Some
/// writes are refused by a CHECK constraint, which rolls back the batch
/// they are in: the others of that batch must still be stored (run again
/// one by one), the refused ones not. Threads also race for the same
/// addresses (one `add4` wins each) and for one `update4_if` (one wins).
/// Rounds repeat until a batch and a rolled-back batch were both seen.
fn group_commit(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    exec(
        kind,
        &db.opts,
        "ALTER TABLE lease4 ADD CONSTRAINT test_refused CHECK (hostname <> 'refused')",
    )
    .unwrap();
    let counted = Counted::open(kind, &db.opts);
    let s = counted.store();
    const THREADS: u16 = 16;
    const EACH: u16 = 20;
    for round in 0..20u16 {
        let base = round * 2000;
        let contested = |i: u16| lease4(base + 1500 + i);
        let shared = lease4(base + 1900);
        s.add4(&shared).unwrap();
        let answers = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for t in 0..THREADS {
                let answers = &answers;
                let shared = &shared;
                scope.spawn(move || {
                    for i in 0..EACH {
                        let n = base + t * EACH + i;
                        let mut l = lease4(n);
                        if i % 7 == 3 {
                            l.hostname = "refused".into();
                        }
                        let r = s.add4(&l);
                        let mut c = contested(i);
                        c.hwaddr = vec![0x0a, 0, 0, 0, 0, t as u8];
                        let won = s.add4(&c);
                        let mut u = shared.clone();
                        u.expire = shared.expire + 1 + u64::from(t * EACH + i);
                        let updated = s.update4_if(&u, shared);
                        answers.lock().unwrap().push((l, r, c, won, u, updated));
                    }
                });
            }
        });
        let answers = answers.into_inner().unwrap();
        let mut winners = std::collections::HashMap::new();
        let mut updates = Vec::new();
        for (l, r, c, won, u, updated) in answers {
            if l.hostname == "refused" {
                assert!(
                    matches!(r, Err(LeaseError::Database(_))),
                    "{}: a refused write answered {r:?}",
                    l.addr
                );
                assert_eq!(s.get4(l.addr), None, "{}: refused yet stored", l.addr);
            } else {
                assert!(r.is_ok(), "{}: {r:?}", l.addr);
                assert_eq!(
                    s.get4(l.addr),
                    Some(l),
                    "an acknowledged write is not stored"
                );
            }
            match won {
                Ok(()) => assert!(
                    winners.insert(c.addr, c).is_none(),
                    "two callers won one address"
                ),
                Err(LeaseError::Exists(a)) => assert_eq!(a, c.addr),
                Err(e) => panic!("{}: {e}", c.addr),
            }
            if updated.unwrap() {
                updates.push(u);
            }
        }
        assert_eq!(
            winners.len(),
            usize::from(EACH),
            "an address was won by no one"
        );
        for (addr, c) in winners {
            assert_eq!(
                s.get4(addr),
                Some(c),
                "the stored lease is not the winner's"
            );
        }
        assert_eq!(
            updates.len(),
            1,
            "update4_if won by {} callers",
            updates.len()
        );
        assert_eq!(s.get4(shared.addr).as_ref(), updates.first());
        let seen = counted.commits();
        eprintln!("{test}: round {round}: {seen:?}");
        if seen.batches > 0 && seen.rolled_back > 0 {
            assert!(seen.writes >= 2 * seen.batches);
            return;
        }
    }
    panic!(
        "no batch, or no rolled-back batch, in 20 rounds: {:?}",
        counted.commits()
    );
}

#[test]
fn pg_group_commit() {
    group_commit(Kind::Pg, "pg_group_commit");
}

#[test]
fn mysql_group_commit() {
    group_commit(Kind::My, "mysql_group_commit");
}
