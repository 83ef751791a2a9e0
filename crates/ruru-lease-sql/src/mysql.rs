//! Leases in MySQL or MariaDB ([`MySqlStore`]), with `mysql_async`.
//!
//! # Schema
//! Kea's, exactly as Kea 2.2's `kea-admin db-init mysql` makes it (schema
//! 14.0, [`crate::kea`]; `expire` a `TIMESTAMP`, written with `FROM_UNIXTIME`
//! and read with `UNIX_TIMESTAMP` in a session whose time zone is UTC, so
//! that no daylight-saving change makes a time ambiguous; Kea's triggers
//! keep `lease4_stat`/`lease6_stat` consistent), with the
//! address as primary key: [`LeaseStore::add4`] is a plain `INSERT` whose
//! duplicate-key error (1062) is [`LeaseError::Exists`], so two servers
//! sharing a database never store one address twice. Connections use
//! `CLIENT_FOUND_ROWS`, so an `UPDATE` that rewrites a row with the same
//! values still counts it as found. The statements and the row mapping are
//! [`crate::sql`]'s, shared with PostgreSQL.
//!
//! # Connections
//! A packet worker (a thread outside any tokio runtime) reads on a
//! connection of its own (module `local`). Everything else uses
//! `mysql_async`'s pool, at most `pool_size` connections plus one per
//! writer task; a connection that
//! broke is dropped by the pool and the next call gets a new one. Statements
//! are prepared once per connection (its statement cache). A write
//! whose connection broke returns [`LeaseError::Database`] (never retried:
//! it may have committed); a read is retried on another connection. A
//! one-lease statement
//! with no answer within `connect_timeout` is abandoned. When the pool
//! cannot make a new connection, the database is lost: see [`crate::sql`]
//! ("Outages") and [`MySqlStore::events`]; the pool is replaced by a new one
//! when the database is back.
//!
//! # Group commit
//! The one-lease writes go to [`crate::batch`]'s queue; two writer tasks
//! commit what is queued in one transaction each (see
//! `Inner::write_batch`).
//!
//! DDL in MySQL is not transactional: `ruru db init` runs Kea's create
//! script statement by statement under `GET_LOCK` (its last statement
//! records the version).
//!
//! # TLS
//! With [`crate::sql::DbTls`] (Kea's `trust-anchor`, ...), connections are
//! TLS (`mysql_async` with rustls; it refuses a server without TLS) and the
//! server's certificate is verified against the trust anchor alone and the
//! host name (module `sql::tls`). The files are read each time a pool is
//! made (when the store opens and when the database is back after an
//! outage) and when a thread makes its own connection.
//!
//! See [`crate::sql`] for how the synchronous trait calls in.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, RwLock};

use mysql_async::prelude::{FromValue, Queryable};
use mysql_async::{Conn, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, TxOpts, Value};

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

/// MySQL's duplicate-key error.
const ER_DUP_ENTRY: u16 = 1062;

/// A lease store in MySQL/MariaDB, holding both families. See the module
/// documentation.
pub struct MySqlStore {
    inner: Arc<Inner>,
    bridge: Bridge,
}

struct Inner {
    opts: DbOptions,
    /// Replaced as a whole when the database is back after an outage (its
    /// idle connections are dead then).
    pool: RwLock<Pool>,
    /// The statements' texts for the schema found, indexed by `Q as
    /// usize` (set again with each new pool).
    texts: RwLock<Arc<Texts>>,
    /// Up or down, and the reconnection after an outage.
    health: Health,
    /// The one-lease writes waiting for a writer task ([`crate::batch`]).
    batches: Batches<Written>,
}

/// The answer to one write: the rows found, or the server's refusal as it
/// is (for the duplicate-key check).
type Written = Result<u64, mysql_async::Error>;

fn db_err(e: mysql_async::Error) -> LeaseError {
    LeaseError::Database(e.to_string())
}

/// How many times a write that lost a deadlock is tried in all.
const DEADLOCK_TRIES: u32 = 3;

/// Whether the server rolled the statement back as a deadlock's victim
/// (1213) or after waiting too long for a lock (1205): nothing of it is
/// stored, it may be run again.
fn is_deadlock(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == 1213 || s.code == 1205)
}

fn is_dup(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == ER_DUP_ENTRY)
}

/// The connection settings of `opts`; with TLS, its files are read now
/// (an error names the one that is missing or wrong).
fn builder(opts: &DbOptions) -> Result<OptsBuilder, LeaseError> {
    let ssl = match &opts.tls {
        None => None,
        Some(t) => Some(tls::load(t)?.ssl_opts()?),
    };
    Ok(OptsBuilder::default()
        .ip_or_hostname(opts.host.clone())
        .tcp_port(opts.port.unwrap_or(3306))
        .user(opts.user.clone())
        .pass(opts.password.clone())
        .db_name((!opts.name.is_empty()).then(|| opts.name.clone()))
        .prefer_socket(false)
        .client_found_rows(true)
        // Kea's `expire` is a TIMESTAMP: Unix seconds convert without a
        // local time in between.
        .init(vec!["SET time_zone = '+00:00'"])
        .stmt_cache_size(64)
        .ssl_opts(ssl))
}

/// The error for a connection that could not be made: with TLS, one that
/// says so when the handshake failed on a certificate.
fn connect_err(opts: &DbOptions, e: mysql_async::Error) -> LeaseError {
    let tls = opts.tls.as_ref();
    tls.and_then(|t| tls::connect_error(&t.trust_anchor, &e))
        .unwrap_or_else(|| db_err(e))
}

async fn connect_one(opts: &DbOptions) -> Result<Conn, LeaseError> {
    match tokio::time::timeout(opts.connect_timeout, Conn::new(builder(opts)?)).await {
        Ok(r) => r.map_err(|e| connect_err(opts, e)),
        Err(_) => Err(LeaseError::Database(format!(
            "connecting to {}: timed out after {:?}",
            opts.host, opts.connect_timeout
        ))),
    }
}

/// A pool of `pool_size` connections plus one per writer task, none made
/// yet. A `mysql_async` connection runs one statement at a time (no
/// pipelining, unlike PostgreSQL's), so the caller sizes `pool_size` to
/// how many threads may call the store at once (the server: its packet
/// workers), or they queue for connections. They are made as needed and then kept: `mysql_async` keeps at
/// most `min` idle connections when `inactive_connection_ttl` is 0 (its
/// default) and closes the others as soon as they are returned, so `min` is
/// the size (with a `min` of 0, every statement would pay for a new
/// connection).
fn new_pool(opts: &DbOptions) -> Result<Pool, LeaseError> {
    let size = opts.pool_size.max(1) + crate::batch::WRITERS;
    let constraints = PoolConstraints::new(size, size)
        .ok_or_else(|| LeaseError::Database(format!("invalid pool size {size}")))?;
    // No COM_RESET_CONNECTION when a connection goes back to the pool (on
    // by default in mysql_async): it costs a round trip per statement and
    // drops the connection's prepared statements, so that every statement
    // was prepared again. ruru changes no session state; a transaction left
    // unfinished is rolled back by mysql_async itself.
    let pool_opts = PoolOpts::default()
        .with_constraints(constraints)
        .with_reset_connection(false);
    Ok(Pool::new(builder(opts)?.pool_opts(pool_opts)))
}

/// The statements' texts for one schema, indexed by `Q as usize`.
struct Texts {
    list: Vec<String>,
    /// The schema has Kea 2.4+'s `pool_id` (the writes' parameters keep it).
    pool_id: bool,
}

impl std::ops::Index<usize> for Texts {
    type Output = String;
    fn index(&self, i: usize) -> &String {
        &self.list[i]
    }
}

/// Every statement's text for a schema of `shape`.
fn texts(shape: kea::Shape) -> Texts {
    Texts {
        list: sql::ALL_Q
            .iter()
            .map(|q| sql::statement(*q, Dialect::MySql, shape))
            .collect(),
        pool_id: shape.pool_id,
    }
}

/// A new pool whose first connection works and finds a schema ruru opens,
/// with the statements' texts for it.
async fn working_pool(opts: &DbOptions) -> Result<(Pool, Texts), LeaseError> {
    let pool = new_pool(opts)?;
    let checked = sql::within(opts.connect_timeout, "connecting to MySQL", async {
        let mut conn = pool.get_conn().await.map_err(|e| connect_err(opts, e))?;
        kea::accept(schema_state(&mut conn).await?, kea::MYSQL_VERSIONS)
    })
    .await;
    match checked {
        Ok(version) => Ok((pool, texts(kea::shape(true, version)))),
        Err(e) => {
            tokio::spawn(pool.disconnect());
            Err(e)
        }
    }
}

/// Runs statement `q`'s future; a one-lease statement gets `limit`
/// (`Err` when it has no answer by then), a list or count does not.
async fn bounded<T>(
    q: Q,
    limit: std::time::Duration,
    f: impl std::future::Future<Output = T>,
) -> Result<T, tokio::time::error::Elapsed> {
    if q.is_point() {
        tokio::time::timeout(limit, f).await
    } else {
        Ok(f.await)
    }
}

/// Why a statement failed.
enum Failure {
    /// Refused by the server (e.g. a duplicate key): the connection is fine.
    Server(mysql_async::Error),
    /// The connection broke, hung, or could not be had: a read may be
    /// retried on another one.
    Connection(LeaseError),
}

impl Inner {
    fn texts(&self) -> Arc<Texts> {
        self.texts.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn pool(&self) -> Pool {
        match self.pool.read() {
            Ok(p) => p.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
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
        sql::recover(&self.health, || self.replace_pool()).await;
    }

    /// Swaps in a new, checked pool (to end an outage).
    async fn replace_pool(&self) -> Result<(), LeaseError> {
        let (fresh, texts) = working_pool(&self.opts).await?;
        *self.texts.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(texts);
        let old = match self.pool.write() {
            Ok(mut p) => std::mem::replace(&mut *p, fresh),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), fresh),
        };
        tokio::spawn(old.disconnect());
        Ok(())
    }

    /// Runs statement `q` on a pooled connection; a one-lease statement
    /// gets `connect_timeout`. When no connection can be had, the database
    /// is lost (for a call that started in `epoch`).
    async fn run<T, F, Fut>(self: &Arc<Self>, epoch: u64, q: Q, f: F) -> Result<T, Failure>
    where
        F: FnOnce(Conn, String) -> Fut,
        Fut: std::future::Future<Output = Result<T, mysql_async::Error>>,
    {
        let limit = self.opts.connect_timeout;
        let pool = self.pool();
        let conn = match tokio::time::timeout(limit, pool.get_conn()).await {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                let e = db_err(e);
                self.lost(epoch, &e);
                return Err(Failure::Connection(e));
            }
            Err(_) => {
                let e =
                    LeaseError::Database(format!("connecting to MySQL: timed out after {limit:?}"));
                self.lost(epoch, &e);
                return Err(Failure::Connection(e));
            }
        };
        let text = self.texts()[q as usize].clone();
        let Ok(r) = bounded(q, limit, f(conn, text)).await else {
            return Err(Failure::Connection(LeaseError::Database(format!(
                "no answer from MySQL within {limit:?}"
            ))));
        };
        r.map_err(|e| match e {
            mysql_async::Error::Server(_) => Failure::Server(e),
            e => Failure::Connection(db_err(e)),
        })
    }

    /// A read, retried on a connection-level error while the pool may hold
    /// broken idle connections (after the server closed them, each is
    /// found broken only when used): at most `pool_size + 1` tries, the last
    /// on a new connection.
    /// `epoch` is the store's when the call began (`Health::check`).
    async fn rows(
        self: Arc<Self>,
        epoch: u64,
        q: Q,
        params: Vec<Value>,
    ) -> Result<Vec<Row>, LeaseError> {
        let mut tries = self.opts.pool_size.max(1) + 1;
        loop {
            tries -= 1;
            let p = params.clone();
            let r = self
                .run(epoch, q, |mut conn, text| async move {
                    conn.exec::<Row, _, _>(text, Params::Positional(p)).await
                })
                .await;
            match r {
                Ok(rows) => return Ok(rows),
                Err(Failure::Server(e)) => return Err(db_err(e)),
                Err(Failure::Connection(e)) if tries == 0 || !self.health.is_up() => return Err(e),
                Err(Failure::Connection(_)) => {}
            }
        }
    }

    /// A write: the rows found (`CLIENT_FOUND_ROWS`), or the server's
    /// refusal as it is (for the duplicate-key check).
    async fn write(
        self: Arc<Self>,
        epoch: u64,
        q: Q,
        params: Vec<Value>,
    ) -> Result<Written, LeaseError> {
        // A deadlock's victim (against another server's, or our other
        // writer's, batch) was rolled back: it is run again.
        let mut tries = DEADLOCK_TRIES;
        loop {
            tries -= 1;
            let p = params.clone();
            let r = self
                .run(epoch, q, |mut conn, text| async move {
                    conn.exec_drop(text, Params::Positional(p)).await?;
                    Ok(conn.affected_rows())
                })
                .await;
            match r {
                Ok(n) => return Ok(Ok(n)),
                Err(Failure::Server(e)) if tries > 0 && is_deadlock(&e) => {}
                Err(Failure::Server(e)) => return Ok(Err(e)),
                Err(Failure::Connection(e)) => return Err(e),
            }
        }
    }

    /// Runs each write of `batch` alone and answers it.
    async fn write_each(self: &Arc<Self>, epoch: u64, batch: Vec<Write<Written>>) {
        for mut w in batch {
            let params = values(std::mem::take(&mut w.params));
            let r = self.clone().write(epoch, w.q, params).await;
            w.answer(r);
        }
    }

    /// A writer task ([`crate::batch`]): runs batches until the store is
    /// dropped.
    async fn writer(self: Arc<Self>) {
        while let Some(batch) = self.batches.next().await {
            self.write_batch(batch).await;
        }
    }

    /// Commits `batch` and answers each write. One write runs alone.
    /// Several run in one transaction on one pooled connection (one
    /// statement after the other: `mysql_async` does not pipeline), and each
    /// caller is answered only once the `COMMIT` succeeded. A duplicate key
    /// refuses only its own statement (InnoDB rolls back that statement, not
    /// the transaction): it is that write's answer. Any other refusal rolls
    /// the transaction back and each write is run again alone. When the
    /// connection breaks, every write gets the error (never retried: the
    /// `COMMIT` may have happened).
    async fn write_batch(self: &Arc<Self>, batch: Vec<Write<Written>>) {
        let epoch = match self.health.check() {
            Ok(e) => e,
            Err(e) => return answer_all(batch, &e),
        };
        if batch.len() == 1 {
            return self.write_each(epoch, batch).await;
        }
        let texts = self.texts();
        let statements: Vec<(String, Vec<Value>)> = batch
            .iter()
            .map(|w| (texts[w.q as usize].clone(), values(w.params.clone())))
            .collect();
        let limit = self.opts.connect_timeout;
        let r = self
            .run(epoch, Q::Add4, |mut conn, _| async move {
                // A `Transaction` dropped unfinished (an error, the time
                // limit) is rolled back before its connection is reused.
                let mut tx = conn.start_transaction(TxOpts::default()).await?;
                let mut answers = Vec::with_capacity(statements.len());
                for (text, params) in statements {
                    match tx.exec_drop(text, Params::Positional(params)).await {
                        Ok(()) => answers.push(Ok(tx.affected_rows())),
                        Err(e) if is_dup(&e) => answers.push(Err(e)),
                        Err(e @ mysql_async::Error::Server(_)) => {
                            tx.rollback().await?;
                            tracing::debug!(error = %e, "a batch of lease writes was rolled back; running them one by one");
                            return Ok(None);
                        }
                        Err(e) => return Err(e),
                    }
                }
                tx.commit().await?;
                Ok(Some(answers))
            })
            .await;
        match r {
            Ok(Some(answers)) => {
                for (w, a) in batch.into_iter().zip(answers) {
                    w.answer(Ok(a));
                }
            }
            Ok(None) | Err(Failure::Server(_)) => {
                self.batches.rolled_back();
                self.write_each(epoch, batch).await;
            }
            Err(Failure::Connection(e)) => {
                let e = LeaseError::Database(format!(
                    "a batch of {} lease writes (limit {limit:?}): {e}",
                    batch.len()
                ));
                answer_all(batch, &e)
            }
        }
    }
}

/// The schema of the database: Kea's (with its `lease_state` table), ruru's
/// former one, or none ([`kea::classify`]).
async fn schema_state(conn: &mut Conn) -> Result<SchemaState, LeaseError> {
    let tables: Vec<String> = conn
        .query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() \
             AND table_name IN ('schema_version', 'lease_state')",
        )
        .await
        .map_err(db_err)?;
    if !tables.iter().any(|t| t == "schema_version") {
        return Ok(SchemaState::Missing);
    }
    let row: Option<(u32, u32)> = conn
        .query_first("SELECT version, minor FROM schema_version")
        .await
        .map_err(db_err)?;
    Ok(kea::classify(
        row,
        tables.iter().any(|t| t == "lease_state"),
    ))
}

/// `ruru db init` (`create`): the schema of `target` in a database
/// without one (Kea 2.2's, then Kea's upgrade scripts), any schema left
/// alone; `ruru db upgrade`: Kea's schema upgraded to `target`'s
/// ([`upgrade_to`]), ruru's former schema moved into Kea's
/// ([`move_former`]) and upgraded, the rest refused, saying what to do.
async fn migrate_on(
    conn: &mut Conn,
    create: bool,
    target: KeaRelease,
) -> Result<SchemaState, LeaseError> {
    match schema_state(conn).await? {
        SchemaState::Missing if create => {
            for s in kea::mysql_statements(kea::CREATE_MYSQL) {
                conn.query_drop(s).await.map_err(db_err)?;
            }
            upgrade_to(conn, kea::KEA_MYSQL, target).await
        }
        found if create => Ok(found),
        SchemaState::Ruru(v, m) => {
            move_former(conn, (v, m)).await?;
            upgrade_to(conn, kea::KEA_MYSQL, target).await
        }
        SchemaState::Version(v, m) => upgrade_to(conn, (v, m), target).await,
        found => kea::accept(found, kea::MYSQL_VERSIONS).map(|_| found),
    }
}

/// Runs Kea's upgrade scripts from schema `found` to `target`'s, statement
/// by statement as the `mysql` client does. MySQL's DDL is not
/// transactional: a failed statement stops the upgrade where it is (as
/// `kea-admin db-upgrade` would), and the error names the script and the
/// statement.
async fn upgrade_to(
    conn: &mut Conn,
    found: (u32, u32),
    target: KeaRelease,
) -> Result<SchemaState, LeaseError> {
    for step in upgrade::steps(true, found, target)? {
        for (n, s) in kea::mysql_statements(&step.sql()).into_iter().enumerate() {
            if let Err(e) = conn.query_drop(&s).await {
                let first = s.lines().next().unwrap_or("");
                return Err(LeaseError::Database(format!(
                    "Kea's upgrade script {step} failed at its statement {} (`{first}`): {}; \
                     MySQL's DDL is not transactional, so the schema is part way between the \
                     two versions: restore the database from its backup",
                    n + 1,
                    db_err(e)
                )));
            }
        }
    }
    schema_state(conn).await
}

/// `ruru db upgrade` of ruru's former schema `version` ([`former`]). MySQL's
/// DDL is not transactional, so: the database must hold the former tables
/// alone; they are renamed aside in one statement (and kept); Kea 2.2's
/// schema is created and the rows copied in one transaction. When a step
/// after the rename fails, what it created is dropped and the former
/// tables get their names back.
async fn move_former(conn: &mut Conn, version: (u32, u32)) -> Result<SchemaState, LeaseError> {
    let tables: Vec<String> = conn
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
        .await
        .map_err(db_err)?;
    let routines: Vec<String> = conn
        .query(
            "SELECT routine_name FROM information_schema.routines \
             WHERE routine_schema = DATABASE()",
        )
        .await
        .map_err(db_err)?;
    let others: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| !former::TABLES.contains(t))
        .chain(routines.iter().map(String::as_str))
        .collect();
    if !others.is_empty() {
        return Err(LeaseError::Database(format!(
            "the database holds ruru's former schema {}.{} and also {}: ruru moves a former \
             database into Kea's schema only when it holds ruru's tables alone; nothing changed",
            version.0,
            version.1,
            others.join(", ")
        )));
    }
    let has: Vec<&str> = former::TABLES
        .into_iter()
        .filter(|t| tables.iter().any(|x| x == t))
        .collect();
    let renames = |back: bool| {
        let pairs: Vec<String> = has
            .iter()
            .map(|t| {
                let m = former::moved(Dialect::MySql, t);
                if back {
                    format!("{m} TO {t}")
                } else {
                    format!("{t} TO {m}")
                }
            })
            .collect();
        format!("RENAME TABLE {}", pairs.join(", "))
    };
    conn.query_drop(renames(false)).await.map_err(db_err)?;
    match kea_from_former(conn, version, &has).await {
        Ok(state) => Ok(state),
        Err(e) => {
            let e = match e {
                LeaseError::Database(m) => m,
                e => e.to_string(),
            };
            let undone = undo_former(conn, &renames(true)).await;
            Err(LeaseError::Database(match undone {
                Ok(()) => format!(
                    "moving ruru's former schema into Kea's failed, and was undone (the \
                     former tables are as they were): {e}"
                ),
                Err(u) => format!(
                    "moving ruru's former schema into Kea's failed: {e}; undoing it failed too \
                     ({u}): the former rows are intact in the tables named {}*",
                    former::MYSQL_PREFIX
                ),
            }))
        }
    }
}

/// Kea 2.2's schema, then the former rows (renamed aside) copied into it
/// in one transaction.
async fn kea_from_former(
    conn: &mut Conn,
    version: (u32, u32),
    has: &[&str],
) -> Result<SchemaState, LeaseError> {
    let d = Dialect::MySql;
    for s in kea::mysql_statements(kea::CREATE_MYSQL) {
        conn.query_drop(s).await.map_err(db_err)?;
    }
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .await
        .map_err(db_err)?;
    for s in former::copy_statements(d, version, has) {
        tx.query_drop(s).await.map_err(db_err)?;
    }
    if has.contains(&"hosts") {
        let rows: Vec<(i64, Option<String>, Option<String>)> = tx
            .query(former::options_query(d, version))
            .await
            .map_err(db_err)?;
        for (id, o4, o6) in rows {
            for (text, table, top) in [
                (o4, "dhcp4_options", "dhcp4"),
                (o6, "dhcp6_options", "dhcp6"),
            ] {
                for s in former::option_inserts(d, table, top, id, text.as_deref().unwrap_or(""))? {
                    tx.query_drop(s).await.map_err(db_err)?;
                }
            }
        }
    }
    tx.commit().await.map_err(db_err)?;
    schema_state(conn).await
}

/// Drops every table and routine but the former tables renamed aside (the
/// database held nothing else before, see [`move_former`]), then runs
/// `rename_back`.
async fn undo_former(conn: &mut Conn, rename_back: &str) -> Result<(), LeaseError> {
    let tables: Vec<String> = conn
        .query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
        .await
        .map_err(db_err)?;
    let routines: Vec<(String, String)> = conn
        .query(
            "SELECT routine_type, routine_name FROM information_schema.routines \
             WHERE routine_schema = DATABASE()",
        )
        .await
        .map_err(db_err)?;
    conn.query_drop("SET FOREIGN_KEY_CHECKS = 0")
        .await
        .map_err(db_err)?;
    let mut r = Ok(());
    for t in tables
        .iter()
        .filter(|t| !t.starts_with(former::MYSQL_PREFIX))
    {
        r = r.and(conn.query_drop(format!("DROP TABLE `{t}`")).await);
    }
    for (kind, name) in &routines {
        r = r.and(conn.query_drop(format!("DROP {kind} `{name}`")).await);
    }
    let _ = conn.query_drop("SET FOREIGN_KEY_CHECKS = 1").await;
    r.map_err(db_err)?;
    conn.query_drop(rename_back).await.map_err(db_err)
}

/// [`migrate_on`] under a named lock, so that two `ruru db` runs do not race.
fn migrate(opts: &DbOptions, create: bool, target: KeaRelease) -> Result<SchemaState, LeaseError> {
    let bridge = Bridge::new("ruru-mysql")?;
    let opts = opts.clone();
    bridge.run(async move {
        let mut conn = connect_one(&opts).await?;
        conn.query_drop("SELECT GET_LOCK('ruru_schema', 60)")
            .await
            .map_err(db_err)?;
        let r = migrate_on(&mut conn, create, target).await;
        let _ = conn.query_drop("SELECT RELEASE_LOCK('ruru_schema')").await;
        r
    })
}

impl MySqlStore {
    /// Connects to the database and checks that its schema is current
    /// ([`LeaseError::Schema`] otherwise). When the database cannot be
    /// reached: an error, or with `retry_on_startup` a store that starts
    /// down and reconnects in the background.
    pub fn open(opts: &DbOptions) -> Result<Self, LeaseError> {
        let bridge = Bridge::new("ruru-mysql")?;
        let o = opts.clone();
        let (pool, texts, failed) = match bridge.run(async move { working_pool(&o).await }) {
            Ok((pool, texts)) => (pool, texts, None),
            Err(e @ LeaseError::Schema { .. }) => return Err(e),
            // Kea 2.2's statements until the database is reached (the
            // recovery sets those of the schema it finds).
            Err(e) if opts.retry_on_startup => (
                new_pool(opts)?,
                texts(kea::shape(true, kea::KEA_MYSQL)),
                Some(e),
            ),
            Err(e) => return Err(e),
        };
        let port = opts.port.unwrap_or(3306);
        let inner = Arc::new(Inner {
            opts: opts.clone(),
            pool: RwLock::new(pool),
            texts: RwLock::new(Arc::new(texts)),
            health: Health::new(format!("mysql://{}:{port}/{}", opts.host, opts.name), opts),
            batches: Batches::new(),
        });
        for _ in 0..batch::WRITERS {
            bridge.spawn(inner.clone().writer());
        }
        if let Some(e) = failed {
            if inner.health.lost(0, &e) {
                bridge.spawn(inner.clone().recover());
            }
        }
        Ok(MySqlStore { inner, bridge })
    }

    /// The schema the database holds.
    pub fn schema_version(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        let bridge = Bridge::new("ruru-mysql")?;
        let opts = opts.clone();
        bridge.run(async move { schema_state(&mut connect_one(&opts).await?).await })
    }

    /// Creates the schema of Kea release `target` if the database has none
    /// (`ruru db init`): Kea 2.2's create script, then Kea's upgrade
    /// scripts to `target`'s version ([`upgrade::path`]); otherwise leaves
    /// it as it is. Returns the schema now there.
    pub fn init(opts: &DbOptions, target: KeaRelease) -> Result<SchemaState, LeaseError> {
        migrate(opts, true, target)
    }

    /// `ruru db upgrade`: Kea's schema upgraded to `target`'s with Kea's
    /// upgrade scripts, as `kea-admin db-upgrade` does; ruru's former
    /// schema (1.x) moved into Kea 2.2's, every row kept (module
    /// `former`), then upgraded the same way; no schema, or one that
    /// cannot be upgraded to `target`, refused, saying why.
    pub fn upgrade(opts: &DbOptions, target: KeaRelease) -> Result<SchemaState, LeaseError> {
        migrate(opts, false, target)
    }

    /// Runs one SQL statement on database `opts.name` (none when empty),
    /// for tools and tests (e.g. `CREATE DATABASE`).
    pub fn execute_admin(opts: &DbOptions, statement: &str) -> Result<(), LeaseError> {
        let bridge = Bridge::new("ruru-mysql")?;
        let (opts, statement) = (opts.clone(), statement.to_string());
        bridge.run(async move {
            let mut conn = connect_one(&opts).await?;
            conn.query_drop(statement).await.map_err(db_err)?;
            let _ = conn.disconnect().await;
            Ok(())
        })
    }

    // While the database is lost, a call is refused here, before it goes
    // to the store's runtime.

    /// A write; the one-lease writes go through group commit
    /// ([`crate::batch`]).
    fn write(&self, q: Q, mut params: Vec<Col>) -> Result<Written, LeaseError> {
        let epoch = self.inner.health.check()?;
        sql::fit_params(q, self.inner.texts().pool_id, &mut params);
        if batch::batched(q) {
            return self.inner.batches.submit(q, params);
        }
        self.bridge
            .run(self.inner.clone().write(epoch, q, values(params)))
    }

    fn execute(&self, q: Q, params: Vec<Col>) -> Result<u64, LeaseError> {
        self.write(q, params)?.map_err(db_err)
    }

    /// An INSERT; `false` when a duplicate key refused it.
    fn insert(&self, q: Q, params: Vec<Col>) -> Result<bool, LeaseError> {
        match self.write(q, params)? {
            // A conditional insert (`INSERT .. SELECT .. WHERE NOT EXISTS`)
            // that found its key taken.
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) if is_dup(&e) => Ok(false),
            Err(e) => Err(db_err(e)),
        }
    }

    /// A read: on the calling thread's own connection when it has one
    /// (a packet worker), otherwise (or when that fails) on the pool.
    fn rows(&self, q: Q, params: Vec<Col>) -> Result<Vec<Row>, LeaseError> {
        let epoch = self.inner.health.check()?;
        let params = values(params);
        if let Some(r) = local::rows(&self.inner, epoch, q, &params) {
            return r;
        }
        self.bridge.run(self.inner.clone().rows(epoch, q, params))
    }

    fn rows4(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Lease4> {
        sql::decode_all(
            what,
            sql::or_log(what, self.rows(q, params)),
            sql::lease4_of,
        )
    }

    fn rows6(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Lease6> {
        sql::decode_all(
            what,
            sql::or_log(what, self.rows(q, params)),
            sql::lease6_of,
        )
    }

    fn hosts(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Host4> {
        let rows = sql::or_log_as(DbRole::Hosts, what, self.rows(q, params));
        sql::decode_all(what, rows, sql::host4_of)
    }

    fn hosts6(&self, what: &str, q: Q, params: Vec<Col>) -> Vec<Host6> {
        let rows = sql::or_log_as(DbRole::Hosts, what, self.rows(q, params));
        sql::hosts6_of(what, rows)
    }

    fn count(&self, what: &str, q: Q) -> usize {
        let rows = sql::or_log(what, self.rows(q, Vec::new()));
        rows.first()
            .and_then(|r| sql::count_of(r).ok())
            .unwrap_or(0)
    }
}

fn get<T: FromValue>(r: &Row, i: usize) -> Result<T, String> {
    match r.get_opt::<T, usize>(i) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(format!("column {i}: {e}")),
        None => Err(format!("column {i} missing")),
    }
}

impl SqlRow for Row {
    fn int(&self, i: usize) -> Result<i64, String> {
        get(self, i)
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
        get(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, String> {
        get(self, i)
    }
    fn columns(&self) -> usize {
        self.len()
    }
}

/// The shared parameters as MySQL values.
fn values(params: Vec<Col>) -> Vec<Value> {
    params
        .into_iter()
        .map(|c| match c {
            Col::Int(n) => Value::Int(n),
            Col::Bool(b) => Value::from(b),
            Col::Bytes(b) => Value::Bytes(b),
            Col::Text(s) => Value::Bytes(s.into_bytes()),
            Col::Null => Value::NULL,
        })
        .collect()
}

crate::sql::sql_stores!(MySqlStore);
