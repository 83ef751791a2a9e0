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

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use ruru_lease::conformance::{lease4, lease6, run_all4, run_all6};
use ruru_lease::{LeaseError, LeaseStore, SchemaState, SCHEMA_VERSION};
use ruru_lease_sql::sql::skip;
use ruru_lease_sql::{DbEvent, DbOptions, GroupCommits, MySqlStore, PgStore};

#[derive(Clone, Copy)]
enum Kind {
    Pg,
    My,
}

fn admin(kind: Kind) -> DbOptions {
    let mut o = DbOptions::new("");
    o.host = "127.0.0.1".into();
    o.connect_timeout = Duration::from_secs(3);
    match kind {
        Kind::Pg => {
            o.name = "postgres".into();
            o.user = Some("postgres".into());
        }
        Kind::My => o.user = Some("root".into()),
    }
    o
}

fn exec(kind: Kind, opts: &DbOptions, sql: &str) -> Result<(), ruru_lease::LeaseError> {
    match kind {
        Kind::Pg => PgStore::execute_admin(opts, sql),
        Kind::My => MySqlStore::execute_admin(opts, sql),
    }
}

/// A database created for one test, dropped when this is dropped.
struct TestDb {
    kind: Kind,
    opts: DbOptions,
}

impl TestDb {
    /// `None` (after reporting SKIP) when the server is not reachable.
    fn new(kind: Kind, test: &str) -> Option<TestDb> {
        let admin = admin(kind);
        if let Err(e) = exec(kind, &admin, "SELECT 1") {
            skip(test, &format!("database not reachable: {e}"));
            return None;
        }
        let name = format!("ruru_{test}_{}", std::process::id());
        let _ = exec(kind, &admin, &format!("DROP DATABASE IF EXISTS {name}"));
        exec(kind, &admin, &format!("CREATE DATABASE {name}")).unwrap();
        let mut opts = admin;
        opts.name = name;
        Some(TestDb { kind, opts })
    }

    fn init(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::init(&self.opts).unwrap(),
            Kind::My => MySqlStore::init(&self.opts).unwrap(),
        }
    }

    fn version(&self) -> SchemaState {
        match self.kind {
            Kind::Pg => PgStore::schema_version(&self.opts).unwrap(),
            Kind::My => MySqlStore::schema_version(&self.opts).unwrap(),
        }
    }

    fn open(&self) -> Result<Box<dyn LeaseStore>, ruru_lease::LeaseError> {
        Ok(match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts)?),
            Kind::My => Box::new(MySqlStore::open(&self.opts)?),
        })
    }

    /// An empty store: the tables emptied, a new store opened.
    fn fresh(&self) -> Box<dyn LeaseStore> {
        exec(self.kind, &self.opts, "DELETE FROM lease4").unwrap();
        exec(self.kind, &self.opts, "DELETE FROM lease6").unwrap();
        self.open().unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = &self.opts.name;
        let sql = match self.kind {
            Kind::Pg => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            Kind::My => format!("DROP DATABASE IF EXISTS {name}"),
        };
        let _ = exec(self.kind, &admin(self.kind), &sql);
    }
}

fn conformance(kind: Kind, test: &str, v6: bool) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    if v6 {
        run_all6(&|| db.fresh());
    } else {
        run_all4(&|| db.fresh());
    }
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
    let current = SchemaState::Version(SCHEMA_VERSION.0, SCHEMA_VERSION.1);
    assert_eq!(db.init(), current);
    assert_eq!(db.init(), current, "init is idempotent");
    assert_eq!(db.version(), current);
    let up = match kind {
        Kind::Pg => PgStore::upgrade(&db.opts).unwrap(),
        Kind::My => MySqlStore::upgrade(&db.opts).unwrap(),
    };
    assert_eq!(up, current, "upgrade of a current schema changes nothing");
    // An older schema is refused until upgraded.
    exec(kind, &db.opts, "UPDATE schema_version SET version = 0").unwrap();
    assert!(matches!(
        db.open(),
        Err(ruru_lease::LeaseError::Schema { .. })
    ));
    exec(kind, &db.opts, "UPDATE schema_version SET version = 1").unwrap();
    assert!(db.open().is_ok());
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

// --- Host reservations (`hosts-database`) ---

impl TestDb {
    fn open_hosts(&self) -> Box<dyn ruru_lease::HostStore> {
        match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts).unwrap()),
            Kind::My => Box::new(MySqlStore::open(&self.opts).unwrap()),
        }
    }
}

fn hosts(kind: Kind, test: &str) {
    use ruru_lease::{Host4, IdType};
    use std::net::Ipv4Addr;
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let hs = db.open_hosts();
    let mac = [0x02, 0, 0, 0, 0, 0x01];
    let cid = [1, 0x02, 0, 0, 0, 0, 0x01];
    let mut a = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    a.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 10));
    a.hostname = "alpha".into();
    a.next_server = Some(Ipv4Addr::new(192, 0, 2, 1));
    a.boot_file_name = "pxe.0".into();
    a.option_data = r#"[{"code": 6, "data": "c0000201"}]"#.into();
    hs.add4(&a).unwrap();
    let mut b = Host4::new(IdType::ClientId, cid.to_vec(), 1);
    b.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 11));
    hs.add4(&b).unwrap();

    // Lookups by identifier follow the order of the identifiers given.
    let ids: [(IdType, &[u8]); 2] = [(IdType::HwAddress, &mac), (IdType::ClientId, &cid)];
    let got = hs.get4(1, &ids).unwrap();
    assert!(got.host_id > 0);
    assert_eq!(Host4 { host_id: 0, ..got }, a);
    let ids: [(IdType, &[u8]); 2] = [(IdType::ClientId, &cid), (IdType::HwAddress, &mac)];
    assert_eq!(hs.get4(1, &ids).unwrap().id_type, IdType::ClientId);
    // More identifiers than one query takes.
    let many: Vec<(IdType, &[u8])> = (0..6)
        .map(|_| (IdType::Flex, &[9u8][..]))
        .chain([(IdType::ClientId, &cid[..])])
        .collect();
    assert_eq!(hs.get4(1, &many).unwrap().id_type, IdType::ClientId);
    assert!(hs.get4(2, &ids).is_none(), "another subnet");
    assert!(
        hs.get4(1, &[(IdType::Duid, &mac)]).is_none(),
        "another type"
    );

    // By address.
    assert_eq!(
        hs.get4_by_address(1, Ipv4Addr::new(192, 0, 2, 11))
            .unwrap()
            .identifier,
        cid
    );
    assert!(hs
        .get4_by_address(1, Ipv4Addr::new(192, 0, 2, 12))
        .is_none());
    assert!(hs
        .get4_by_address(2, Ipv4Addr::new(192, 0, 2, 10))
        .is_none());

    // An identifier or an address is reserved once per subnet.
    let mut dup = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    assert!(matches!(hs.add4(&dup), Err(LeaseError::HostExists(_))));
    dup.identifier = vec![0x02, 0, 0, 0, 0, 0x99];
    dup.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 10));
    assert!(matches!(hs.add4(&dup), Err(LeaseError::HostExists(_))));
    dup.subnet_id = 2;
    hs.add4(&dup).unwrap();
    // Hosts without an address do not collide.
    for i in 0..2u8 {
        hs.add4(&Host4::new(IdType::CircuitId, vec![i], 1)).unwrap();
    }
    assert_eq!(hs.all4(1).len(), 4);
    assert_eq!(hs.all4(2).len(), 1);

    // A row written by another program is read by the next lookup.
    let insert = match kind {
        Kind::Pg => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                     ipv4_address) VALUES ('\\x0a0b0c0d0e0f'::bytea, 0, 1, 3221225999)"
        }
        Kind::My => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, \
                     ipv4_address) VALUES (x'0a0b0c0d0e0f', 0, 1, 3221225999)"
        }
    };
    exec(kind, &db.opts, insert).unwrap();
    let ext = hs
        .get4(1, &[(IdType::HwAddress, &[10, 11, 12, 13, 14, 15])])
        .unwrap();
    assert_eq!(ext.ipv4_address, Some(Ipv4Addr::from(3221225999u32)));
    assert_eq!((ext.hostname.as_str(), ext.option_data.as_str()), ("", ""));
    assert_eq!(ext.next_server, None);

    // Deletes.
    assert!(hs.del4_by_address(1, Ipv4Addr::new(192, 0, 2, 10)).unwrap());
    assert!(!hs.del4_by_address(1, Ipv4Addr::new(192, 0, 2, 10)).unwrap());
    assert!(hs.del4_by_id(1, IdType::ClientId, &cid).unwrap());
    assert!(!hs.del4_by_id(1, IdType::ClientId, &cid).unwrap());
    assert!(hs.get4(1, &ids).is_none());
    assert_eq!(hs.all4(2).len(), 1);
}

/// A 1.0 schema (leases only) is refused until `upgrade` adds `hosts`.
fn hosts_upgrade(kind: Kind, test: &str) {
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    exec(kind, &db.opts, "DROP TABLE ipv6_reservations").unwrap();
    exec(kind, &db.opts, "DROP TABLE hosts").unwrap();
    exec(kind, &db.opts, "UPDATE schema_version SET minor = 0").unwrap();
    assert_eq!(db.version(), SchemaState::Version(1, 0));
    match db.open() {
        Err(LeaseError::Schema { found, expected }) => {
            assert_eq!(
                (found, expected),
                (SchemaState::Version(1, 0), SCHEMA_VERSION)
            )
        }
        Err(e) => panic!("open of a 1.0 schema: {e}"),
        Ok(_) => panic!("open of a 1.0 schema succeeded"),
    }
    let up = match kind {
        Kind::Pg => PgStore::upgrade(&db.opts).unwrap(),
        Kind::My => MySqlStore::upgrade(&db.opts).unwrap(),
    };
    assert_eq!(up, SchemaState::Version(SCHEMA_VERSION.0, SCHEMA_VERSION.1));
    let hs = db.open_hosts();
    assert!(hs.all4(1).is_empty());
    assert!(hs.all6(1).is_empty());
}

/// The DHCPv6 side of the host store: lookups by identifier and address,
/// uniqueness, rows written by another program, deletes.
fn hosts6(kind: Kind, test: &str) {
    use ruru_lease::{Host4, Host6, IdType};
    use std::net::{Ipv4Addr, Ipv6Addr};
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    db.init();
    let hs = db.open_hosts();
    let a6 = |s: &str| s.parse::<Ipv6Addr>().unwrap();
    let duid = [0, 1, 0, 1, 0x2a, 0x2b, 0x2c, 0x2d, 2, 0, 0, 0, 0, 1];
    let mac = [2, 0, 0, 0, 0, 2];
    let mut a = Host6::new(IdType::Duid, duid.to_vec(), 1);
    a.ip_addresses = vec![a6("2001:db8:1::10"), a6("2001:db8:1::11")];
    a.prefixes = vec![(a6("2001:db8:8:100::"), 56)];
    a.hostname = "alpha".into();
    a.option_data = r#"[{"code": 23, "data": "20010db8000000000000000000000001"}]"#.into();
    hs.add6(&a).unwrap();
    let mut b = Host6::new(IdType::HwAddress, mac.to_vec(), 1);
    b.ip_addresses = vec![a6("2001:db8:1::12")];
    hs.add6(&b).unwrap();
    // A DHCPv4 host with the same identifier is another reservation.
    let mut v4 = Host4::new(IdType::HwAddress, mac.to_vec(), 1);
    v4.ipv4_address = Some(Ipv4Addr::new(192, 0, 2, 12));
    hs.add4(&v4).unwrap();

    // By identifier, in the order of the identifiers given.
    let ids: [(IdType, &[u8]); 2] = [(IdType::Duid, &duid), (IdType::HwAddress, &mac)];
    let got = hs.get6(1, &ids).unwrap();
    assert!(got.host_id > 0);
    assert_eq!(Host6 { host_id: 0, ..got }, a);
    let ids: [(IdType, &[u8]); 2] = [(IdType::HwAddress, &mac), (IdType::Duid, &duid)];
    assert_eq!(hs.get6(1, &ids).unwrap().ip_addresses, b.ip_addresses);
    let many: Vec<(IdType, &[u8])> = (0..6)
        .map(|_| (IdType::Flex, &[9u8][..]))
        .chain([(IdType::HwAddress, &mac[..])])
        .collect();
    assert_eq!(hs.get6(1, &many).unwrap().id_type, IdType::HwAddress);
    assert!(hs.get6(2, &ids).is_none(), "another subnet");
    assert!(hs.get6(1, &[(IdType::ClientId, &mac)]).is_none());
    // DHCPv4 and DHCPv6 lookups do not see each other's hosts.
    assert!(hs.get4(1, &[(IdType::Duid, &duid)]).is_none());
    assert_eq!(
        hs.get4(1, &[(IdType::HwAddress, &mac)])
            .unwrap()
            .ipv4_address,
        v4.ipv4_address
    );
    assert_eq!(hs.all4(1).len(), 1);

    // By address or prefix.
    assert_eq!(
        hs.get6_by_address(1, a6("2001:db8:1::11"))
            .unwrap()
            .identifier,
        duid
    );
    assert_eq!(
        hs.get6_by_address(1, a6("2001:db8:8:100::"))
            .unwrap()
            .prefixes,
        a.prefixes
    );
    assert!(hs.get6_by_address(1, a6("2001:db8:1::13")).is_none());
    assert!(hs.get6_by_address(2, a6("2001:db8:1::10")).is_none());

    // An identifier is reserved once per subnet, an address once.
    let dup = Host6::new(IdType::Duid, duid.to_vec(), 1);
    assert!(matches!(hs.add6(&dup), Err(LeaseError::HostExists(_))));
    let mut dup = Host6::new(IdType::Duid, vec![9, 9], 1);
    dup.ip_addresses = vec![a6("2001:db8:1::20"), a6("2001:db8:1::12")];
    assert!(matches!(hs.add6(&dup), Err(LeaseError::HostExists(_))));
    // ... and nothing of a refused host stays.
    assert!(hs.get6(1, &[(IdType::Duid, &[9, 9])]).is_none());
    assert!(hs.get6_by_address(1, a6("2001:db8:1::20")).is_none());
    dup.ip_addresses = vec![a6("2001:db8:1::20")];
    dup.subnet_id = 2;
    hs.add6(&dup).unwrap();
    // Hosts without reservations.
    for i in 0..2u8 {
        hs.add6(&Host6::new(IdType::Flex, vec![i], 1)).unwrap();
    }
    assert_eq!(hs.all6(1).len(), 4);
    assert_eq!(hs.all6(2).len(), 1);
    assert!(hs.all6(1).windows(2).all(|w| w[0].host_id < w[1].host_id));

    // Rows written by another program are read by the next lookup.
    let host = match kind {
        Kind::Pg => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id) \
             VALUES ('\\x000300010a0b0c0d0e0f'::bytea, 1, 1)"
        }
        Kind::My => {
            "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id) \
             VALUES (x'000300010a0b0c0d0e0f', 1, 1)"
        }
    };
    exec(kind, &db.opts, host).unwrap();
    exec(
        kind,
        &db.opts,
        "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) \
         SELECT '2001:db8:1::30', 128, 0, host_id FROM hosts WHERE dhcp6_subnet_id = 1 \
         AND dhcp_identifier_type = 1 AND hostname = '' AND dhcp6_option_data IS NULL",
    )
    .unwrap();
    let ext = hs
        .get6(1, &[(IdType::Duid, &[0, 3, 0, 1, 10, 11, 12, 13, 14, 15])])
        .unwrap();
    assert_eq!(ext.ip_addresses, vec![a6("2001:db8:1::30")]);
    assert_eq!((ext.hostname.as_str(), ext.option_data.as_str()), ("", ""));

    // Deletes take the host's addresses and prefixes with it.
    assert!(hs.del6_by_address(1, a6("2001:db8:1::10")).unwrap());
    assert!(!hs.del6_by_address(1, a6("2001:db8:1::10")).unwrap());
    assert!(hs.get6_by_address(1, a6("2001:db8:8:100::")).is_none());
    let mut again = Host6::new(IdType::Duid, vec![7], 1);
    again.prefixes = vec![(a6("2001:db8:8:100::"), 56)];
    hs.add6(&again).unwrap();
    assert!(hs.del6_by_id(1, IdType::HwAddress, &mac).unwrap());
    assert!(!hs.del6_by_id(1, IdType::HwAddress, &mac).unwrap());
    assert!(hs.get6_by_address(1, a6("2001:db8:1::12")).is_none());
    // The DHCPv4 host of that identifier stays.
    assert!(hs.get4(1, &[(IdType::HwAddress, &mac)]).is_some());
    assert_eq!(hs.all6(2).len(), 1);
}

/// A 1.1 database (DHCPv4 hosts only) with a host in it is refused until
/// `upgrade` takes it to 1.2; its DHCPv4 host is kept.
fn hosts6_upgrade(kind: Kind, test: &str) {
    use ruru_lease::{Host6, IdType};
    use std::net::Ipv4Addr;
    let Some(db) = TestDb::new(kind, test) else {
        return;
    };
    // A true 1.1 schema: the migrations up to 1.1, as an older ruru made it.
    let (migrations, schema_version) = match kind {
        Kind::Pg => (
            ruru_lease_sql::postgres::MIGRATIONS,
            "CREATE TABLE schema_version (version INT NOT NULL, minor INT NOT NULL)",
        ),
        Kind::My => (
            ruru_lease_sql::mysql::MIGRATIONS,
            "CREATE TABLE schema_version (version INT UNSIGNED NOT NULL, minor INT UNSIGNED NOT NULL)",
        ),
    };
    exec(kind, &db.opts, schema_version).unwrap();
    exec(kind, &db.opts, "INSERT INTO schema_version VALUES (1, 1)").unwrap();
    for (to, text) in migrations.iter().filter(|(to, _)| *to <= (1, 1)) {
        for s in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            exec(kind, &db.opts, s).unwrap_or_else(|e| panic!("migration {to:?}: {e}"));
        }
    }
    exec(
        kind,
        &db.opts,
        "INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address) \
         VALUES (x'0a0b0c0d0e0f', 0, 1, 3221225999)"
            .replace(
                "x'0a0b0c0d0e0f'",
                match kind {
                    Kind::Pg => "'\\x0a0b0c0d0e0f'::bytea",
                    Kind::My => "x'0a0b0c0d0e0f'",
                },
            )
            .as_str(),
    )
    .unwrap();
    assert_eq!(db.version(), SchemaState::Version(1, 1));
    match db.open() {
        Err(LeaseError::Schema { found, expected }) => assert_eq!(
            (found, expected),
            (SchemaState::Version(1, 1), SCHEMA_VERSION)
        ),
        Err(e) => panic!("open of a 1.1 schema: {e}"),
        Ok(_) => panic!("open of a 1.1 schema succeeded"),
    }
    let up = match kind {
        Kind::Pg => PgStore::upgrade(&db.opts).unwrap(),
        Kind::My => MySqlStore::upgrade(&db.opts).unwrap(),
    };
    assert_eq!(up, SchemaState::Version(1, 2));
    let hs = db.open_hosts();
    let v4 = hs.get4(1, &[(IdType::HwAddress, &[10, 11, 12, 13, 14, 15])]);
    assert_eq!(
        v4.and_then(|h| h.ipv4_address),
        Some(Ipv4Addr::from(3221225999u32))
    );
    let mut h = Host6::new(IdType::Duid, vec![1, 2, 3], 1);
    h.ip_addresses = vec!["2001:db8::1".parse().unwrap()];
    hs.add6(&h).unwrap();
    assert_eq!(hs.all6(1).len(), 1);
    assert!(hs.all4(1).len() == 1, "the DHCPv6 host is not a DHCPv4 one");
}

#[test]
fn pg_hosts6() {
    hosts6(Kind::Pg, "pg_hosts6");
}

#[test]
fn mysql_hosts6() {
    hosts6(Kind::My, "mysql_hosts6");
}

#[test]
fn pg_hosts6_upgrade() {
    hosts6_upgrade(Kind::Pg, "pg_hosts6_upgrade");
}

#[test]
fn mysql_hosts6_upgrade() {
    hosts6_upgrade(Kind::My, "mysql_hosts6_upgrade");
}

#[test]
fn pg_hosts() {
    hosts(Kind::Pg, "pg_hosts");
}

#[test]
fn mysql_hosts() {
    hosts(Kind::My, "mysql_hosts");
}

#[test]
fn pg_hosts_upgrade() {
    hosts_upgrade(Kind::Pg, "pg_hosts_upgrade");
}

#[test]
fn mysql_hosts_upgrade() {
    hosts_upgrade(Kind::My, "mysql_hosts_upgrade");
}
