//! Leases in PostgreSQL ([`PgStore`]), with `tokio-postgres`.
//!
//! # Schema
//! Kea's, exactly as Kea 2.2's `kea-admin db-init pgsql` makes it (schema
//! 13.0, [`crate::kea`]): `lease4` and `lease6` with Kea's column meanings
//! (`expire` a timestamp, written with `to_timestamp` and read with Kea's
//! own `extract(epoch from expire)`; `iaid` a signed `INTEGER` holding the
//! IAID's bits), and Kea's triggers keep `lease4_stat`/`lease6_stat`
//! consistent with every INSERT, UPDATE and DELETE ruru makes, as with
//! Kea's own. Each table's primary key is the address: [`LeaseStore::add4`] is
//! `INSERT .. ON CONFLICT (address) DO NOTHING`, so two servers sharing a
//! database can never store one address twice — the second gets
//! [`LeaseError::Exists`] and picks another address. The statements and the
//! row mapping are [`crate::sql`]'s, shared with MySQL.
//!
//! # Connections
//! A packet worker (a thread outside any tokio runtime) reads on a
//! connection of its own (module `local`). Everything else uses
//! `pool_size` clients, used round-robin. A `tokio-postgres` client
//! pipelines concurrent queries on its one connection, so many worker
//! threads share a client without waiting for each other's round trips.
//! Every statement is prepared once per connection (all at once, pipelined)
//! when the connection is made. A connection found closed (or hung: a
//! one-lease statement with no answer within `connect_timeout`) is dropped
//! and the next call on its slot makes a new one; a write whose connection
//! broke returns [`LeaseError::Database`] (never retried: it may have
//! committed); a read is retried on another (or a fresh) connection. When a new
//! connection cannot be made, the database is lost: see [`crate::sql`]
//! ("Outages") and [`PgStore::events`].
//!
//! # Group commit
//! The one-lease writes go to [`crate::batch`]'s queue; two writer tasks,
//! each with a connection of its own (not shared with reads, whose
//! statements would otherwise land in a batch's transaction), commit what
//! is queued as one pipelined `BEGIN` .. `COMMIT` (see
//! `Inner::write_batch`).
//!
//! # TLS
//! With [`crate::sql::DbTls`] (Kea's `trust-anchor`, ...), every connection
//! is TLS (`sslmode=require`, never plain instead) through
//! `tokio-postgres-rustls`, which also gives SCRAM its channel binding; the
//! server's certificate is verified against the trust anchor and the host
//! name (module `sql::tls`).
//!
//! See [`crate::sql`] for how the synchronous trait calls in.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::config::SslMode;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Config, GenericClient, NoTls, Row, Statement};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::batch::{self, answer_all, Batches, Write};
use crate::csv::LeaseRow;
use crate::former;
use crate::hosts::{self, Host4, Host6, IdType};
use crate::kea;
use crate::sql::{
    self, tls, Bridge, Col, DbOptions, DbRole, Dialect, Health, SchemaState, SqlRow, Q,
};
use crate::upgrade::{self, KeaRelease};
use crate::{Lease4, Lease6, LeaseError, LeaseType6};

mod local;

/// How many times a write that lost a deadlock is tried in all.
const DEADLOCK_TRIES: u32 = 3;

/// Whether PostgreSQL rolled a statement back as a deadlock's victim (or a
/// serialization failure, or a race of Kea's statistics triggers: see
/// [`is_stats_race`]): nothing of it is stored, it may be run again.
fn is_deadlock(e: &LeaseError) -> bool {
    matches!(e, LeaseError::Database(m)
        if m.starts_with(SqlState::T_R_DEADLOCK_DETECTED.code())
            || m.starts_with(SqlState::T_R_SERIALIZATION_FAILURE.code())
            || is_stats_race(m))
}

/// Whether error text `m` is a duplicate key of one of Kea's statistics
/// tables (`lease4_stat`, `lease6_pool_stat`, ...): Kea's triggers update a
/// count and insert its row when there is none, so two transactions that
/// make the first lease of a subnet (or pool, or state) at once both
/// insert it, and one fails. The lease write is rolled back with it (not a
/// taken address): run it again, it finds the row.
fn is_stats_race(m: &str) -> bool {
    m.starts_with(SqlState::UNIQUE_VIOLATION.code()) && m.contains("_stat")
}

/// Binds a shared parameter to the statement's column type: an integer is
/// narrowed to `SMALLINT`/`INT` when the column is one (out of range is an
/// error, not a wrap).
impl ToSql for Col {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Col::Int(n) if *ty == Type::INT2 => i16::try_from(*n)?.to_sql_checked(ty, out),
            // Kea's `lease6.iaid` is an INTEGER holding a u32's bits.
            Col::Int(n) if *ty == Type::INT4 => i32::try_from(*n)
                .or_else(|_| u32::try_from(*n).map(|u| i32::from_ne_bytes(u.to_ne_bytes())))?
                .to_sql_checked(ty, out),
            Col::Int(n) => n.to_sql_checked(ty, out),
            Col::Bool(b) => b.to_sql_checked(ty, out),
            Col::Bytes(b) => b.to_sql_checked(ty, out),
            Col::Text(s) => s.to_sql_checked(ty, out),
            Col::Null => Ok(IsNull::Yes),
        }
    }

    /// Every type: each variant checks its own in `to_sql`.
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T, String> {
    r.try_get(i).map_err(|e| format!("column {i}: {e}"))
}

impl SqlRow for Row {
    fn int(&self, i: usize) -> Result<i64, String> {
        match self.columns().get(i).map(|c| c.type_()) {
            Some(t) if *t == Type::INT2 => get::<i16>(self, i).map(i64::from),
            Some(t) if *t == Type::INT4 => get::<i32>(self, i).map(i64::from),
            _ => get::<i64>(self, i),
        }
    }
    fn boolean(&self, i: usize) -> Result<bool, String> {
        get(self, i)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>, String> {
        get(self, i)
    }
    fn opt_bytes(&self, i: usize) -> Result<Option<Vec<u8>>, String> {
        get(self, i)
    }
    fn text(&self, i: usize) -> Result<String, String> {
        get(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, String> {
        match self.columns().get(i).map(|c| c.type_()) {
            Some(t) if *t == Type::INT2 => get::<Option<i16>>(self, i).map(|n| n.map(i64::from)),
            Some(t) if *t == Type::INT4 => get::<Option<i32>>(self, i).map(|n| n.map(i64::from)),
            _ => get::<Option<i64>>(self, i),
        }
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, String> {
        get(self, i)
    }
    fn columns(&self) -> usize {
        self.len()
    }
}

/// One connection and its prepared statements.
struct Conn {
    client: Client,
    /// Indexed by `Q as usize`.
    stmts: Vec<Statement>,
    /// The schema has Kea 2.4+'s `pool_id` (the writes' parameters keep it).
    pool_id: bool,
}

/// A pooled connection: `None` until made, or after it broke.
type Slot = tokio::sync::Mutex<Option<Arc<Conn>>>;

struct Inner {
    config: PgConnect,
    /// One slot per pooled connection (reads and the writes not batched).
    slots: Vec<Slot>,
    /// The connections of the writer tasks, one each ([`crate::batch`]):
    /// a batch's transaction must not take in other calls' statements.
    writers: Vec<Slot>,
    /// The one-lease writes waiting for a writer task.
    batches: Batches<u64>,
    /// Round-robin cursor over `slots`.
    next: AtomicUsize,
    /// Up or down, and the reconnection after an outage.
    health: Health,
    /// The limit of one connection attempt and of one one-lease statement.
    connect_timeout: Duration,
}

/// A lease store in PostgreSQL, holding both families. See the module
/// documentation.
pub struct PgStore {
    inner: Arc<Inner>,
    bridge: Bridge,
}

fn db_err(e: tokio_postgres::Error) -> LeaseError {
    LeaseError::Database(match e.as_db_error() {
        Some(d) => format!("{}: {}", d.code().code(), d.message()),
        None => e.to_string(),
    })
}

/// How to connect: the client's settings, and TLS when the store has a
/// `trust-anchor`.
struct PgConnect {
    config: Config,
    tls: Option<PgTls>,
}

struct PgTls {
    connector: MakeRustlsConnect,
    /// For errors.
    trust_anchor: PathBuf,
}

/// The connection settings of `opts`; with TLS, its files are read now
/// (an error names the one that is missing or wrong).
fn config_of(opts: &DbOptions) -> Result<PgConnect, LeaseError> {
    let mut c = Config::new();
    c.host(&opts.host)
        .port(opts.port.unwrap_or(5432))
        .dbname(&opts.name)
        .connect_timeout(opts.connect_timeout)
        .application_name("ruru")
        // Plan each lookup with the table as it is now: a generic plan made
        // while the table was empty (a new database, or statistics from an
        // ANALYZE of an empty table) keeps scanning the whole table once it
        // holds many leases.
        .options("-c plan_cache_mode=force_custom_plan");
    if let Some(u) = &opts.user {
        c.user(u);
    }
    if let Some(t) = opts.tcp_user_timeout {
        c.tcp_user_timeout(t);
    }
    if let Some(p) = &opts.password {
        c.password(p);
    }
    let tls = match &opts.tls {
        None => None,
        Some(t) => {
            // TLS or nothing: never a plain connection instead.
            c.ssl_mode(SslMode::Require);
            Some(PgTls {
                connector: MakeRustlsConnect::new(tls::load(t)?.client_config()?),
                trust_anchor: t.trust_anchor.clone(),
            })
        }
    };
    Ok(PgConnect { config: c, tls })
}

/// Connects once; the connection task runs on the current runtime.
async fn connect_client(config: &PgConnect) -> Result<Client, LeaseError> {
    fn closed(e: tokio_postgres::Error) {
        tracing::debug!(error = %e, "PostgreSQL connection closed");
    }
    let Some(tls) = &config.tls else {
        let (client, connection) = config.config.connect(NoTls).await.map_err(db_err)?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                closed(e);
            }
        });
        return Ok(client);
    };
    let (client, connection) = config
        .config
        .connect(tls.connector.clone())
        .await
        .map_err(|e| tls::connect_error(&tls.trust_anchor, &e).unwrap_or_else(|| db_err(e)))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            closed(e);
        }
    });
    Ok(client)
}

/// A new connection with every statement prepared; with `check_schema`,
/// the schema is checked first (so that a missing one is reported as such,
/// not as a statement that cannot be prepared).
async fn connect(config: &PgConnect, check_schema: bool) -> Result<Conn, LeaseError> {
    let client = connect_client(config).await?;
    // Each connection reads the schema's version: its statements depend on
    // it (see `kea::shape`). A version ruru does not open is an error only
    // where the schema is checked; elsewhere the statements fail to
    // prepare and say why.
    let found = schema_state(&client).await?;
    let version = match kea::accept(found, kea::PG_VERSIONS) {
        Ok(v) => v,
        Err(e) if check_schema => return Err(e),
        Err(_) => kea::KEA_PG,
    };
    let shape = kea::shape(false, version);
    // Sent together: one round trip's wait for all of them.
    let texts: Vec<String> = sql::ALL_Q
        .iter()
        .map(|q| sql::statement(*q, Dialect::Postgres, shape))
        .collect();
    let stmts = futures_util::future::try_join_all(texts.iter().map(|t| client.prepare(t)))
        .await
        .map_err(db_err)?;
    Ok(Conn {
        client,
        stmts,
        pool_id: shape.pool_id,
    })
}

fn refs(params: &[Col]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Inner {
    /// The connection of the next slot, made if needed. When it cannot be
    /// made, the database is lost (for a call that started in `epoch`).
    async fn conn(self: &Arc<Self>, epoch: u64) -> Result<(&Slot, Arc<Conn>), LeaseError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let c = self.conn_in(&self.slots[i], epoch).await?;
        Ok((&self.slots[i], c))
    }

    /// The connection of `slot`, made if needed (see [`Inner::conn`]).
    async fn conn_in(self: &Arc<Self>, slot: &Slot, epoch: u64) -> Result<Arc<Conn>, LeaseError> {
        let mut slot = slot.lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok(c.clone());
        }
        // Lost while this call waited for the slot: no new attempt (each
        // may take `connect_timeout`).
        self.health.check()?;
        let made = sql::within(
            self.connect_timeout,
            "connecting to PostgreSQL",
            connect(&self.config, false),
        )
        .await;
        match made {
            Ok(c) => {
                let c = Arc::new(c);
                *slot = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                drop(slot);
                self.lost(epoch, &e);
                Err(e)
            }
        }
    }

    /// Takes the store down and starts the one reconnection task, unless
    /// another call did already.
    fn lost(self: &Arc<Self>, epoch: u64, e: &LeaseError) {
        if self.health.lost(epoch, e) {
            tokio::spawn(self.clone().recover());
        }
    }

    async fn recover(self: Arc<Self>) {
        sql::recover(&self.health, || self.rebuild()).await;
    }

    /// Makes every connection anew and checks the schema (when the store
    /// opens, and to end an outage); the old connections are dropped.
    async fn rebuild(&self) -> Result<(), LeaseError> {
        let mut fresh = Vec::with_capacity(self.slots.len());
        for i in 0..self.slots.len() {
            let c = sql::within(
                self.connect_timeout,
                "connecting to PostgreSQL",
                connect(&self.config, i == 0),
            )
            .await?;
            fresh.push(Arc::new(c));
        }
        for (slot, c) in self.slots.iter().zip(fresh) {
            *slot.lock().await = Some(c);
        }
        // The writers' connections are made again when next used.
        for slot in &self.writers {
            *slot.lock().await = None;
        }
        Ok(())
    }

    /// Forgets `slot`'s connection if it is `c`.
    async fn forget(&self, slot: &Slot, c: &Arc<Conn>) {
        let mut slot = slot.lock().await;
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, c)) {
            *slot = None;
        }
    }

    /// Runs `f` on connection `c` of slot `i`: a one-lease statement gets
    /// `connect_timeout`, after which its connection is taken for hung and
    /// dropped. The error says whether the connection is gone (closed or
    /// hung), i.e. whether a retry would use another one.
    async fn on<T>(
        &self,
        q: Q,
        slot: &Slot,
        c: &Arc<Conn>,
        f: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> Result<T, (LeaseError, bool)> {
        let r = if q.is_point() {
            match tokio::time::timeout(self.connect_timeout, f).await {
                Ok(r) => r,
                Err(_) => {
                    self.forget(slot, c).await;
                    return Err((
                        LeaseError::Database(format!(
                            "no answer from PostgreSQL within {:?}",
                            self.connect_timeout
                        )),
                        true,
                    ));
                }
            }
        } else {
            f.await
        };
        r.map_err(|e| (db_err(e), c.client.is_closed()))
    }

    /// A read; `epoch` is the store's when the call began (`Health::check`).
    async fn query(
        self: Arc<Self>,
        epoch: u64,
        q: Q,
        params: Vec<Col>,
    ) -> Result<Vec<Row>, LeaseError> {
        let refs = refs(&params);
        // Each broken connection may be found only when used: up to one try
        // per slot, and one more on a new connection.
        let mut tries = self.slots.len() + 1;
        loop {
            tries -= 1;
            let (slot, c) = self.conn(epoch).await?;
            match self
                .on(q, slot, &c, c.client.query(&c.stmts[q as usize], &refs))
                .await
            {
                Ok(rows) => return Ok(rows),
                Err((e, gone)) => {
                    if gone {
                        self.forget(slot, &c).await;
                        if tries > 0 {
                            continue;
                        }
                    }
                    return Err(e);
                }
            }
        }
    }

    /// A write; `epoch` as for [`Inner::query`].
    async fn execute(
        self: Arc<Self>,
        epoch: u64,
        q: Q,
        params: Vec<Col>,
    ) -> Result<u64, LeaseError> {
        let (slot, c) = self.conn(epoch).await?;
        self.execute_on(q, &params, slot, c).await
    }

    /// Runs write `q` alone (autocommit) on connection `c` of `slot`. A
    /// write chosen as a deadlock's victim (against another server's, or
    /// our other writer's, batch) was rolled back: it is run again, up to
    /// [`DEADLOCK_TRIES`] times in all.
    async fn execute_on(
        &self,
        q: Q,
        params: &[Col],
        slot: &Slot,
        c: Arc<Conn>,
    ) -> Result<u64, LeaseError> {
        let mut params = params.to_vec();
        sql::fit_params(q, c.pool_id, &mut params);
        let refs = refs(&params);
        let mut tries = DEADLOCK_TRIES;
        loop {
            tries -= 1;
            match self
                .on(q, slot, &c, c.client.execute(&c.stmts[q as usize], &refs))
                .await
            {
                Ok(n) => return Ok(n),
                Err((e, false)) if tries > 0 && is_deadlock(&e) => {}
                Err((e, gone)) => {
                    if gone {
                        self.forget(slot, &c).await;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Writer task `w` ([`crate::batch`]): runs batches until the store is
    /// dropped.
    async fn writer(self: Arc<Self>, w: usize) {
        while let Some(batch) = self.batches.next().await {
            self.write_batch(&self.writers[w], batch).await;
        }
    }

    /// Commits `batch` on the writer connection of `slot` and answers each
    /// write. One write runs alone. Several are pipelined in one round
    /// trip, `BEGIN`, the statements, `COMMIT`; each caller is answered only
    /// once the `COMMIT` succeeded. When a statement fails, PostgreSQL rolls
    /// the whole transaction back: nothing of it is stored, so each write
    /// is run again alone and gets its own answer. When the connection
    /// breaks, whether it committed is unknown: every write gets the error
    /// (never retried, as for a single write).
    async fn write_batch(self: &Arc<Self>, slot: &Slot, batch: Vec<Write<u64>>) {
        let epoch = match self.health.check() {
            Ok(e) => e,
            Err(e) => return answer_all(batch, &e),
        };
        let c = match self.conn_in(slot, epoch).await {
            Ok(c) => c,
            Err(e) => return answer_all(batch, &e),
        };
        if batch.len() == 1 {
            for w in batch {
                let r = self.execute_on(w.q, &w.params, slot, c.clone()).await;
                w.answer(r);
            }
            return;
        }
        let params: Vec<Vec<Col>> = batch
            .iter()
            .map(|w| {
                let mut p = w.params.clone();
                sql::fit_params(w.q, c.pool_id, &mut p);
                p
            })
            .collect();
        let refs: Vec<_> = params.iter().map(|p| refs(p)).collect();
        let statements = batch
            .iter()
            .zip(&refs)
            .map(|(w, r)| c.client.execute(&c.stmts[w.q as usize], r));
        // Polled in this order, so sent in this order, in one round trip
        // (`join_all` polls a short list in order: MAX_BATCH is below its
        // threshold).
        let all = async {
            tokio::join!(
                c.client.batch_execute("BEGIN"),
                futures_util::future::join_all(statements),
                c.client.batch_execute("COMMIT"),
            )
        };
        let limit = self.connect_timeout;
        let (begin, results, commit) = match tokio::time::timeout(limit, all).await {
            Ok(r) => r,
            Err(_) => {
                self.forget(slot, &c).await;
                let e = LeaseError::Database(format!(
                    "no answer from PostgreSQL within {limit:?} (a batch of {} lease writes)",
                    batch.len()
                ));
                return answer_all(batch, &e);
            }
        };
        if c.client.is_closed() {
            self.forget(slot, &c).await;
            let e = match commit {
                Err(e) => db_err(e),
                Ok(()) => LeaseError::Database("the PostgreSQL connection closed".into()),
            };
            return answer_all(batch, &e);
        }
        let failed = begin.is_err() || commit.is_err() || results.iter().any(|r| r.is_err());
        if !failed {
            for (w, r) in batch.into_iter().zip(results) {
                w.answer(r.map_err(db_err));
            }
            return;
        }
        drop(refs);
        self.batches.rolled_back();
        // Rolled back (a statement failed, so COMMIT ended the aborted
        // transaction): each write alone.
        tracing::debug!(
            writes = batch.len(),
            "a batch of lease writes was rolled back; running them one by one"
        );
        for w in batch {
            let r = self.execute_on(w.q, &w.params, slot, c.clone()).await;
            w.answer(r);
        }
    }
}

impl PgStore {
    /// Connects to the database (`pool_size` connections) and checks that
    /// its schema is current ([`LeaseError::Schema`] otherwise). When the
    /// database cannot be reached: an error, or with `retry_on_startup` a
    /// store that starts down and reconnects in the background.
    pub fn open(opts: &DbOptions) -> Result<Self, LeaseError> {
        let bridge = Bridge::new("ruru-pg")?;
        let slots = (0..opts.pool_size.max(1))
            .map(|_| tokio::sync::Mutex::new(None))
            .collect();
        let port = opts.port.unwrap_or(5432);
        let inner = Arc::new(Inner {
            config: config_of(opts)?,
            slots,
            writers: (0..batch::WRITERS)
                .map(|_| tokio::sync::Mutex::new(None))
                .collect(),
            batches: Batches::new(),
            next: AtomicUsize::new(0),
            health: Health::new(
                format!("postgresql://{}:{port}/{}", opts.host, opts.name),
                opts,
            ),
            connect_timeout: opts.connect_timeout,
        });
        // Make the pool now, so that a start-up problem shows at once.
        let i = inner.clone();
        match bridge.run(async move { i.rebuild().await }) {
            Ok(()) => {}
            Err(e @ LeaseError::Schema { .. }) => return Err(e),
            Err(e) if opts.retry_on_startup => {
                if inner.health.lost(0, &e) {
                    bridge.spawn(inner.clone().recover());
                }
            }
            Err(e) => return Err(e),
        }
        for w in 0..batch::WRITERS {
            bridge.spawn(inner.clone().writer(w));
        }
        Ok(PgStore { inner, bridge })
    }

    /// The schema the database holds.
    pub fn schema_version(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts)?);
        bridge.run(async move { schema_state(&connect_client(&config).await?).await })
    }

    /// Creates the schema of Kea release `target` if the database has none
    /// (`ruru db init`): Kea 2.2's create script, then Kea's upgrade
    /// scripts to `target`'s version ([`upgrade::path`]); otherwise leaves
    /// it as it is. Returns the schema now there.
    pub fn init(opts: &DbOptions, target: KeaRelease) -> Result<SchemaState, LeaseError> {
        migrate(opts, true, target)
    }

    /// `ruru db upgrade`: Kea's schema upgraded to `target`'s with Kea's
    /// upgrade scripts, as `kea-admin db-upgrade` does (one transaction
    /// per script); ruru's former schema (1.x) moved into Kea 2.2's, every
    /// row kept (module `former`), then upgraded the same way; no schema,
    /// or one that cannot be upgraded to `target`, refused, saying why.
    pub fn upgrade(opts: &DbOptions, target: KeaRelease) -> Result<SchemaState, LeaseError> {
        migrate(opts, false, target)
    }

    /// Runs one SQL statement on database `opts.name` (for tools and tests:
    /// e.g. `CREATE DATABASE` while connected to `postgres`).
    pub fn execute_admin(opts: &DbOptions, statement: &str) -> Result<(), LeaseError> {
        let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts)?);
        let statement = statement.to_string();
        bridge.run(async move {
            connect_client(&config)
                .await?
                .batch_execute(&statement)
                .await
                .map_err(db_err)
        })
    }

    // While the database is lost, a call is refused here, before it goes
    // to the store's runtime.

    fn query(&self, q: Q, params: Vec<Col>) -> Result<Vec<Row>, LeaseError> {
        let epoch = self.inner.health.check()?;
        // A packet worker reads on its own connection (module `local`).
        if let Some(r) = local::rows(&self.inner, epoch, q, &params) {
            return r;
        }
        self.bridge.run(self.inner.clone().query(epoch, q, params))
    }

    /// A write; the one-lease writes go through group commit
    /// ([`crate::batch`]).
    fn execute(&self, q: Q, params: Vec<Col>) -> Result<u64, LeaseError> {
        let epoch = self.inner.health.check()?;
        if batch::batched(q) {
            // Nothing to commit it with: this thread runs it on its own
            // connection (module `local`), saving the writer's wake-ups.
            if let Some(_alone) = self.inner.batches.alone() {
                if let Some(r) = local::execute(&self.inner, epoch, q, &params) {
                    return r;
                }
            }
            return self.inner.batches.submit(q, params);
        }
        self.bridge
            .run(self.inner.clone().execute(epoch, q, params))
    }

    /// A conditional INSERT (`ON CONFLICT DO NOTHING`); `false` when the key
    /// exists (no row inserted, or the rare unique violation of a race).
    fn insert(&self, q: Q, params: Vec<Col>) -> Result<bool, LeaseError> {
        match self.execute(q, params) {
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(LeaseError::Database(m))
                if m.starts_with(SqlState::UNIQUE_VIOLATION.code()) && !is_stats_race(&m) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    fn rows4(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Lease4> {
        sql::decode_all(
            what,
            sql::or_log(what, self.query(q, params)),
            sql::lease4_of,
        )
    }

    fn rows6(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Lease6> {
        sql::decode_all(
            what,
            sql::or_log(what, self.query(q, params)),
            sql::lease6_of,
        )
    }

    fn hosts(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Host4> {
        sql::decode_all(
            what,
            sql::or_log_as(DbRole::Hosts, what, self.query(q, params)),
            sql::host4_of,
        )
    }

    fn hosts6(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Host6> {
        let rows = sql::or_log_as(DbRole::Hosts, what, self.query(q, params));
        sql::hosts6_of(what, rows)
    }

    fn count(&self, what: &str, q: Q) -> usize {
        let rows = sql::or_log(what, self.query(q, Vec::new()));
        rows.first()
            .and_then(|r| sql::count_of(r).ok())
            .unwrap_or(0)
    }
}

/// The schema of the database: Kea's (with its `lease_state` table), ruru's
/// former one, or none ([`kea::classify`]).
async fn schema_state(client: &impl GenericClient) -> Result<SchemaState, LeaseError> {
    let exists = client
        .query_one(
            "SELECT to_regclass('schema_version') IS NOT NULL, \
             to_regclass('lease_state') IS NOT NULL",
            &[],
        )
        .await
        .map_err(db_err)?;
    if !exists.try_get::<_, bool>(0).map_err(db_err)? {
        return Ok(SchemaState::Missing);
    }
    let kea_tables: bool = exists.try_get(1).map_err(db_err)?;
    let rows = client
        .query("SELECT version, minor FROM schema_version", &[])
        .await
        .map_err(db_err)?;
    let Some(r) = rows.first() else {
        return Ok(SchemaState::Missing);
    };
    let v: i32 = r.try_get(0).map_err(db_err)?;
    let m: i32 = r.try_get(1).map_err(db_err)?;
    let version = (u32::try_from(v).unwrap_or(0), u32::try_from(m).unwrap_or(0));
    Ok(kea::classify(Some(version), kea_tables))
}

/// `ruru db init` (`create`) or `ruru db upgrade`, under an advisory lock
/// so that two `ruru db` runs do not race. `init` creates the schema of
/// `target` in a database without one (Kea 2.2's script in its own
/// transaction, then Kea's upgrade scripts) and leaves any schema alone;
/// `upgrade` upgrades Kea's schema to `target`'s ([`upgrade_to`]), moves
/// ruru's former schema into Kea's ([`move_former`]) and upgrades it, and
/// refuses the rest, saying what to do.
fn migrate(opts: &DbOptions, create: bool, target: KeaRelease) -> Result<SchemaState, LeaseError> {
    let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts)?);
    bridge.run(async move {
        let mut client = connect_client(&config).await?;
        client
            .batch_execute("SELECT pg_advisory_lock(7411893)")
            .await
            .map_err(db_err)?;
        let r = async {
            match schema_state(&client).await? {
                SchemaState::Missing if create => {
                    client.batch_execute(kea::CREATE_PG).await.map_err(db_err)?;
                    upgrade_to(&client, kea::KEA_PG, target).await
                }
                found if create => Ok(found),
                SchemaState::Ruru(v, m) => {
                    move_former(&mut client, (v, m)).await.map_err(|e| {
                        let e = match e {
                            LeaseError::Database(m) => m,
                            e => e.to_string(),
                        };
                        LeaseError::Database(format!(
                            "moving ruru's former schema into Kea's failed, and was rolled \
                             back (the former tables are as they were): {e}"
                        ))
                    })?;
                    upgrade_to(&client, kea::KEA_PG, target).await
                }
                SchemaState::Version(v, m) => upgrade_to(&client, (v, m), target).await,
                found => kea::accept(found, kea::PG_VERSIONS).map(|_| found),
            }
        }
        .await;
        let _ = client
            .batch_execute("SELECT pg_advisory_unlock(7411893)")
            .await;
        r
    })
}

/// Runs Kea's upgrade scripts from schema `found` to `target`'s, each as
/// `psql` would (each script is one transaction: Kea's own `START
/// TRANSACTION` ... `COMMIT`, or the one a multi-statement query is). A
/// failed script is rolled back and reported with the version reached.
async fn upgrade_to(
    client: &Client,
    found: (u32, u32),
    target: KeaRelease,
) -> Result<SchemaState, LeaseError> {
    for step in upgrade::steps(false, found, target)? {
        if let Err(e) = client.batch_execute(&step.sql()).await {
            let _ = client.batch_execute("ROLLBACK").await;
            return Err(LeaseError::Database(format!(
                "Kea's upgrade script {step} failed and was rolled back (the schema is as \
                 before it): {}",
                db_err(e)
            )));
        }
    }
    schema_state(client).await
}

/// `ruru db upgrade` of ruru's former schema `version` ([`former`]), in
/// one transaction: the former tables moved into schema
/// [`former::PG_SCHEMA`] (and kept there), Kea 2.2's schema created, every
/// row copied. Any failure rolls it all back.
async fn move_former(client: &mut Client, version: (u32, u32)) -> Result<SchemaState, LeaseError> {
    let d = Dialect::Postgres;
    let tx = client.transaction().await.map_err(db_err)?;
    let mut has = Vec::new();
    for t in former::TABLES {
        let row = tx
            .query_one(&format!("SELECT to_regclass('{t}') IS NOT NULL"), &[])
            .await
            .map_err(db_err)?;
        if row.try_get::<_, bool>(0).map_err(db_err)? {
            has.push(t);
        }
    }
    let mut script = format!("CREATE SCHEMA {};\n", former::PG_SCHEMA);
    for t in &has {
        script.push_str(&format!(
            "ALTER TABLE {t} SET SCHEMA {};\n",
            former::PG_SCHEMA
        ));
    }
    tx.batch_execute(&script).await.map_err(db_err)?;
    tx.batch_execute(&former::pg_script_in_transaction(kea::CREATE_PG))
        .await
        .map_err(db_err)?;
    for s in former::copy_statements(d, version, &has) {
        tx.batch_execute(&s).await.map_err(db_err)?;
    }
    if has.contains(&"hosts") {
        let rows = tx
            .query(&former::options_query(d, version), &[])
            .await
            .map_err(db_err)?;
        for r in rows {
            let id: i64 = r.try_get(0).map_err(db_err)?;
            for (i, table, top) in [(1, "dhcp4_options", "dhcp4"), (2, "dhcp6_options", "dhcp6")] {
                let text: Option<String> = r.try_get(i).map_err(db_err)?;
                for s in former::option_inserts(d, table, top, id, text.as_deref().unwrap_or(""))? {
                    tx.batch_execute(&s).await.map_err(db_err)?;
                }
            }
        }
    }
    let state = schema_state(&tx).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(state)
}

crate::sql::sql_stores!(PgStore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statistics_race_is_retried_and_no_taken_address() {
        let stat = "23505: duplicate key value violates unique constraint \"lease6_stat_pkey\"";
        let pool =
            "23505: duplicate key value violates unique constraint \"lease4_pool_stat_pkey\"";
        let lease = "23505: duplicate key value violates unique constraint \"lease6_pkey\"";
        assert!(is_stats_race(stat) && is_stats_race(pool) && !is_stats_race(lease));
        assert!(is_deadlock(&LeaseError::Database(stat.into())));
        assert!(!is_deadlock(&LeaseError::Database(lease.into())));
    }

    #[test]
    fn tcp_user_timeout_reaches_the_connection_settings() {
        let mut o = DbOptions::new("kea");
        let c = config_of(&o).map_err(|e| e.to_string()).unwrap();
        assert_eq!(c.config.get_tcp_user_timeout(), None);
        o.tcp_user_timeout = Some(Duration::from_secs(7));
        let c = config_of(&o).map_err(|e| e.to_string()).unwrap();
        assert_eq!(
            c.config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(7))
        );
    }
}
