//! Leases in PostgreSQL ([`PgStore`]), with `tokio-postgres`.
//!
//! # Schema
//! Tables `lease4` and `lease6` with Kea's column names, and
//! `schema_version (version, minor)`. The schema is "Kea-like", not Kea's:
//! `expire` is Unix seconds (Kea: a timestamp), a v6 `address` is its text
//! form, and there are no Kea stored procedures or statistics tables, so a
//! database made by `kea-admin` cannot be used, nor the other way round.
//! Each table's primary key is the address: [`LeaseStore::add4`] is
//! `INSERT .. ON CONFLICT (address) DO NOTHING`, so two servers sharing a
//! database can never store one address twice — the second gets
//! [`LeaseError::Exists`] and picks another address.
//!
//! # Connections
//! `pool_size` clients, used round-robin. A `tokio-postgres` client
//! pipelines concurrent queries on its one connection, so many worker
//! threads share a client without waiting for each other's round trips.
//! Every statement is prepared once per connection (all at once, pipelined)
//! when the connection is made. A connection found closed is dropped and the
//! next call on its slot makes a new one; a write whose connection broke
//! returns [`LeaseError::Database`] (never retried: it may have committed);
//! a read is retried once on a fresh connection.
//!
//! See [`crate::sql`] for how the synchronous trait calls in.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, GenericClient, NoTls, Row, Statement};

use crate::csv::LeaseRow;
use crate::sql::{self, Bridge, DbOptions, SchemaState};
use crate::{Lease4, Lease6, LeaseError, LeaseState, LeaseStore, LeaseType6};

/// The schema migrations: `MIGRATIONS[i]` takes the schema from version `i`
/// to `i + 1` (minor 0). The runner creates `schema_version` itself.
pub const MIGRATIONS: &[&str] = &[
    // 1.0: the lease tables.
    "CREATE TABLE lease4 (
        address BIGINT PRIMARY KEY,
        hwaddr BYTEA NOT NULL,
        client_id BYTEA,
        valid_lifetime BIGINT NOT NULL,
        expire BIGINT NOT NULL,
        subnet_id BIGINT NOT NULL,
        fqdn_fwd BOOLEAN NOT NULL,
        fqdn_rev BOOLEAN NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        state INT NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX lease4_by_hwaddr ON lease4 (hwaddr);
    CREATE INDEX lease4_by_client_id ON lease4 (client_id);
    CREATE INDEX lease4_by_state_expire ON lease4 (state, expire);
    CREATE TABLE lease6 (
        address VARCHAR(39) PRIMARY KEY,
        duid BYTEA NOT NULL,
        valid_lifetime BIGINT NOT NULL,
        expire BIGINT NOT NULL,
        subnet_id BIGINT NOT NULL,
        pref_lifetime BIGINT NOT NULL,
        lease_type SMALLINT NOT NULL,
        iaid BIGINT NOT NULL,
        prefix_len SMALLINT NOT NULL,
        fqdn_fwd BOOLEAN NOT NULL,
        fqdn_rev BOOLEAN NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        hwaddr BYTEA NOT NULL,
        state INT NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL DEFAULT '',
        hwtype INT NOT NULL,
        hwaddr_source BIGINT NOT NULL
    );
    CREATE INDEX lease6_by_duid_iaid ON lease6 (duid, iaid, lease_type);
    CREATE INDEX lease6_by_state_expire ON lease6 (state, expire)",
];

const COLS4: &str = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
                     fqdn_fwd, fqdn_rev, hostname, state, user_context";
const COLS6: &str = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
                     lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, \
                     state, user_context, hwtype, hwaddr_source";

/// The prepared statements, by index into [`sql_text`].
#[derive(Debug, Clone, Copy)]
enum Q {
    Get4,
    ByClientId4,
    ByHwaddr4,
    Add4,
    Update4,
    Update4If,
    Delete4,
    Expired4,
    Flush4,
    All4,
    Count4,
    Get6,
    ByDuidIaid6,
    ByDuid6,
    Add6,
    Update6,
    Delete6,
    Expired6,
    Flush6,
    All6,
    Count6,
}

const ALL_Q: [Q; 21] = [
    Q::Get4,
    Q::ByClientId4,
    Q::ByHwaddr4,
    Q::Add4,
    Q::Update4,
    Q::Update4If,
    Q::Delete4,
    Q::Expired4,
    Q::Flush4,
    Q::All4,
    Q::Count4,
    Q::Get6,
    Q::ByDuidIaid6,
    Q::ByDuid6,
    Q::Add6,
    Q::Update6,
    Q::Delete6,
    Q::Expired6,
    Q::Flush6,
    Q::All6,
    Q::Count6,
];

fn sql_text(q: Q) -> String {
    match q {
        Q::Get4 => format!("SELECT {COLS4} FROM lease4 WHERE address = $1"),
        Q::ByClientId4 => format!("SELECT {COLS4} FROM lease4 WHERE client_id = $1"),
        Q::ByHwaddr4 => format!("SELECT {COLS4} FROM lease4 WHERE hwaddr = $1"),
        Q::Add4 => format!(
            "INSERT INTO lease4 ({COLS4}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (address) DO NOTHING"
        ),
        Q::Update4 => "UPDATE lease4 SET hwaddr = $2, client_id = $3, valid_lifetime = $4, \
                       expire = $5, subnet_id = $6, fqdn_fwd = $7, fqdn_rev = $8, hostname = $9, \
                       state = $10, user_context = $11 WHERE address = $1"
            .into(),
        // Compare-and-swap: the old row's expire, state and identifiers
        // ($12..$15) must still be there.
        Q::Update4If => "UPDATE lease4 SET hwaddr = $2, client_id = $3, valid_lifetime = $4, \
                         expire = $5, subnet_id = $6, fqdn_fwd = $7, fqdn_rev = $8, hostname = $9, \
                         state = $10, user_context = $11 WHERE address = $1 AND expire = $12 \
                         AND state = $13 AND hwaddr = $14 AND client_id IS NOT DISTINCT FROM $15"
            .into(),
        Q::Delete4 => "DELETE FROM lease4 WHERE address = $1".into(),
        Q::Expired4 => format!(
            "SELECT {COLS4} FROM lease4 WHERE state IN (0, 1) AND expire <= $1 \
             ORDER BY expire, address LIMIT $2"
        ),
        Q::Flush4 => "DELETE FROM lease4 WHERE state = 2 AND expire < $1".into(),
        Q::All4 => format!("SELECT {COLS4} FROM lease4"),
        Q::Count4 => "SELECT COUNT(*) FROM lease4".into(),
        Q::Get6 => format!("SELECT {COLS6} FROM lease6 WHERE address = $1 AND lease_type = $2"),
        Q::ByDuidIaid6 => {
            format!("SELECT {COLS6} FROM lease6 WHERE duid = $1 AND iaid = $2 AND lease_type = $3")
        }
        Q::ByDuid6 => format!("SELECT {COLS6} FROM lease6 WHERE duid = $1"),
        Q::Add6 => format!(
            "INSERT INTO lease6 ({COLS6}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
             $12, $13, $14, $15, $16, $17) ON CONFLICT (address) DO NOTHING"
        ),
        Q::Update6 => "UPDATE lease6 SET duid = $2, valid_lifetime = $3, expire = $4, \
                       subnet_id = $5, pref_lifetime = $6, iaid = $8, prefix_len = $9, \
                       fqdn_fwd = $10, fqdn_rev = $11, hostname = $12, hwaddr = $13, state = $14, \
                       user_context = $15, hwtype = $16, hwaddr_source = $17 \
                       WHERE address = $1 AND lease_type = $7"
            .into(),
        Q::Delete6 => "DELETE FROM lease6 WHERE address = $1 AND lease_type = $2".into(),
        Q::Expired6 => format!(
            "SELECT {COLS6} FROM lease6 WHERE state IN (0, 1) AND expire <= $1 \
             ORDER BY expire, address LIMIT $2"
        ),
        Q::Flush6 => "DELETE FROM lease6 WHERE state = 2 AND expire < $1".into(),
        Q::All6 => format!("SELECT {COLS6} FROM lease6"),
        Q::Count6 => "SELECT COUNT(*) FROM lease6".into(),
    }
}

/// An owned statement parameter (the future that uses it must be `'static`).
type Param = Box<dyn ToSql + Sync + Send>;

/// One connection and its prepared statements.
struct Conn {
    client: Client,
    /// Indexed by `Q as usize`.
    stmts: Vec<Statement>,
}

struct Inner {
    config: Config,
    /// One slot per pooled connection; `None` until made, or after it broke.
    slots: Vec<tokio::sync::Mutex<Option<Arc<Conn>>>>,
    /// Round-robin cursor over `slots`.
    next: AtomicUsize,
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

fn config_of(opts: &DbOptions) -> Config {
    let mut c = Config::new();
    c.host(&opts.host)
        .port(opts.port.unwrap_or(5432))
        .dbname(&opts.name)
        .connect_timeout(opts.connect_timeout)
        .application_name("ruru");
    if let Some(u) = &opts.user {
        c.user(u);
    }
    if let Some(p) = &opts.password {
        c.password(p);
    }
    c
}

/// Connects once; the connection task runs on the current runtime.
async fn connect_client(config: &Config) -> Result<Client, LeaseError> {
    let (client, connection) = config.connect(NoTls).await.map_err(db_err)?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

async fn connect(config: &Config) -> Result<Conn, LeaseError> {
    let client = connect_client(config).await?;
    // Sent together: one round trip's wait for all of them.
    let texts: Vec<String> = ALL_Q.iter().map(|q| sql_text(*q)).collect();
    let stmts = futures_util::future::try_join_all(texts.iter().map(|t| client.prepare(t)))
        .await
        .map_err(db_err)?;
    Ok(Conn { client, stmts })
}

/// Connects with Kea's `max-reconnect-tries` and `reconnect-wait-time`.
async fn connect_retrying(opts: &DbOptions, config: &Config) -> Result<Client, LeaseError> {
    let mut tries = 0;
    loop {
        match connect_client(config).await {
            Ok(c) => return Ok(c),
            Err(e) if tries < opts.max_reconnect_tries => {
                tries += 1;
                tracing::warn!(error = %e, attempt = tries, "cannot connect to PostgreSQL; retrying");
                tokio::time::sleep(opts.reconnect_wait_time).await;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Inner {
    /// The connection of the next slot, made if needed.
    async fn conn(&self) -> Result<(usize, Arc<Conn>), LeaseError> {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let mut slot = self.slots[i].lock().await;
        if let Some(c) = slot.as_ref().filter(|c| !c.client.is_closed()) {
            return Ok((i, c.clone()));
        }
        let c = Arc::new(connect(&self.config).await?);
        *slot = Some(c.clone());
        Ok((i, c))
    }

    /// Forgets slot `i`'s connection if it is `c` and it broke.
    async fn check(&self, i: usize, c: &Arc<Conn>) -> bool {
        if !c.client.is_closed() {
            return false;
        }
        let mut slot = self.slots[i].lock().await;
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, c)) {
            *slot = None;
        }
        true
    }

    async fn query(self: Arc<Self>, q: Q, params: Vec<Param>) -> Result<Vec<Row>, LeaseError> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
        let mut retried = false;
        loop {
            let (i, c) = self.conn().await?;
            match c.client.query(&c.stmts[q as usize], &refs).await {
                Ok(rows) => return Ok(rows),
                Err(e) => {
                    if self.check(i, &c).await && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(db_err(e));
                }
            }
        }
    }

    async fn execute(self: Arc<Self>, q: Q, params: Vec<Param>) -> Result<u64, LeaseError> {
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p.as_ref() as _).collect();
        let (i, c) = self.conn().await?;
        match c.client.execute(&c.stmts[q as usize], &refs).await {
            Ok(n) => Ok(n),
            Err(e) => {
                self.check(i, &c).await;
                Err(db_err(e))
            }
        }
    }
}

impl PgStore {
    /// Connects to the database and checks that its schema is current
    /// ([`LeaseError::Schema`] otherwise). Retries the first connection
    /// `max_reconnect_tries` times.
    pub fn open(opts: &DbOptions) -> Result<Self, LeaseError> {
        let bridge = Bridge::new("ruru-pg")?;
        let config = config_of(opts);
        let o = opts.clone();
        let c = config.clone();
        bridge.run(async move {
            let client = connect_retrying(&o, &c).await?;
            schema_state(&client).await?.check()
        })?;
        let slots = (0..opts.pool_size.max(1))
            .map(|_| tokio::sync::Mutex::new(None))
            .collect();
        let inner = Arc::new(Inner {
            config,
            slots,
            next: AtomicUsize::new(0),
        });
        // Make the pool now, so that a start-up problem shows at once.
        let i = inner.clone();
        bridge.run(async move {
            for _ in 0..i.slots.len() {
                i.conn().await?;
            }
            Ok(())
        })?;
        Ok(PgStore { inner, bridge })
    }

    /// The schema the database holds.
    pub fn schema_version(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts));
        bridge.run(async move { schema_state(&connect_client(&config).await?).await })
    }

    /// Creates the schema if the database has none (`ruru db init`);
    /// otherwise leaves it as it is. Returns the schema now there.
    pub fn init(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        migrate(opts, true)
    }

    /// Applies the migrations the schema lacks (`ruru db upgrade`).
    pub fn upgrade(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        migrate(opts, false)
    }

    /// Runs one SQL statement on database `opts.name` (for tools and tests:
    /// e.g. `CREATE DATABASE` while connected to `postgres`).
    pub fn execute_admin(opts: &DbOptions, statement: &str) -> Result<(), LeaseError> {
        let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts));
        let statement = statement.to_string();
        bridge.run(async move {
            connect_client(&config)
                .await?
                .batch_execute(&statement)
                .await
                .map_err(db_err)
        })
    }

    fn query(&self, q: Q, params: Vec<Param>) -> Result<Vec<Row>, LeaseError> {
        self.bridge.run(self.inner.clone().query(q, params))
    }

    fn execute(&self, q: Q, params: Vec<Param>) -> Result<u64, LeaseError> {
        self.bridge.run(self.inner.clone().execute(q, params))
    }

    fn rows4(&self, what: &str, q: Q, params: Vec<Param>) -> Vec<Lease4> {
        decode_all(what, sql::or_log(what, self.query(q, params)), lease4)
    }

    fn rows6(&self, what: &str, q: Q, params: Vec<Param>) -> Vec<Lease6> {
        decode_all(what, sql::or_log(what, self.query(q, params)), lease6)
    }

    fn count(&self, what: &str, q: Q) -> usize {
        let rows = sql::or_log(what, self.query(q, Vec::new()));
        rows.first()
            .and_then(|r| r.try_get::<_, i64>(0).ok())
            .map_or(0, |n| usize::try_from(n).unwrap_or(0))
    }
}

async fn schema_state(client: &impl GenericClient) -> Result<SchemaState, LeaseError> {
    let exists = client
        .query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[])
        .await
        .map_err(db_err)?;
    if !exists.try_get::<_, bool>(0).map_err(db_err)? {
        return Ok(SchemaState::Missing);
    }
    let rows = client
        .query("SELECT version, minor FROM schema_version", &[])
        .await
        .map_err(db_err)?;
    let Some(r) = rows.first() else {
        return Ok(SchemaState::Missing);
    };
    let v: i32 = r.try_get(0).map_err(db_err)?;
    let m: i32 = r.try_get(1).map_err(db_err)?;
    Ok(SchemaState::Version(
        u32::try_from(v).unwrap_or(0),
        u32::try_from(m).unwrap_or(0),
    ))
}

/// Brings the schema to [`sql::SCHEMA_VERSION`] in one transaction, under an
/// advisory lock so that two `ruru db` runs do not race. With `create`, a
/// database without schema gets one and an existing schema is left alone.
fn migrate(opts: &DbOptions, create: bool) -> Result<SchemaState, LeaseError> {
    let (bridge, config) = (Bridge::new("ruru-pg")?, config_of(opts));
    bridge.run(async move {
        let mut client = connect_client(&config).await?;
        let tx = client.transaction().await.map_err(db_err)?;
        tx.batch_execute("SELECT pg_advisory_xact_lock(7411893)")
            .await
            .map_err(db_err)?;
        let from = match schema_state(&tx).await? {
            SchemaState::Missing if create => {
                tx.batch_execute(
                    "CREATE TABLE schema_version (version INT NOT NULL, minor INT NOT NULL);
                     INSERT INTO schema_version VALUES (0, 0)",
                )
                .await
                .map_err(db_err)?;
                0
            }
            SchemaState::Missing => {
                return Err(LeaseError::Schema {
                    found: SchemaState::Missing,
                    expected: sql::SCHEMA_VERSION,
                })
            }
            SchemaState::Version(v, m) if create && v > 0 => return Ok(SchemaState::Version(v, m)),
            SchemaState::Version(v, m) => {
                if (v, m) > sql::SCHEMA_VERSION {
                    return Err(LeaseError::Database(format!(
                        "the schema is {v}.{m}, newer than this ruru's {}.{}",
                        sql::SCHEMA_VERSION.0,
                        sql::SCHEMA_VERSION.1
                    )));
                }
                v as usize
            }
        };
        for (i, m) in MIGRATIONS.iter().enumerate().skip(from) {
            for s in sql::statements(m) {
                tx.batch_execute(s).await.map_err(db_err)?;
            }
            let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("UPDATE schema_version SET version = $1, minor = 0", &[&v])
                .await
                .map_err(db_err)?;
        }
        let state = schema_state(&tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(state)
    })
}

fn decode_all<L>(what: &str, rows: Vec<Row>, f: fn(&Row) -> Result<L, String>) -> Vec<L> {
    rows.iter()
        .filter_map(|r| match f(r) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "unusable lease row skipped: {what}");
                None
            }
        })
        .collect()
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(r: &'a Row, i: usize) -> Result<T, String> {
    r.try_get(i).map_err(|e| format!("column {i}: {e}"))
}

fn u32_of(n: i64, column: &str) -> Result<u32, String> {
    u32::try_from(n).map_err(|_| format!("{column} {n} out of range"))
}

fn state_of(code: i32) -> Result<LeaseState, String> {
    u32::try_from(code)
        .ok()
        .and_then(LeaseState::from_code)
        .ok_or_else(|| format!("state {code} is unknown"))
}

fn lease4(r: &Row) -> Result<Lease4, String> {
    Ok(Lease4 {
        addr: Ipv4Addr::from(u32_of(get(r, 0)?, "address")?),
        hwaddr: get(r, 1)?,
        client_id: get(r, 2)?,
        valid_lifetime: u32_of(get(r, 3)?, "valid_lifetime")?,
        expire: u64::try_from(get::<i64>(r, 4)?).map_err(|_| "negative expire")?,
        subnet_id: u32_of(get(r, 5)?, "subnet_id")?,
        fqdn_fwd: get(r, 6)?,
        fqdn_rev: get(r, 7)?,
        hostname: get(r, 8)?,
        state: state_of(get(r, 9)?)?,
        user_context: get(r, 10)?,
    })
}

fn lease6(r: &Row) -> Result<Lease6, String> {
    let address: String = get(r, 0)?;
    let lease_type: i16 = get(r, 6)?;
    let prefix_len: i16 = get(r, 8)?;
    Ok(Lease6 {
        address: address
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("address '{address}' is not an IPv6 address"))?,
        duid: get(r, 1)?,
        valid_lifetime: u32_of(get(r, 2)?, "valid_lifetime")?,
        expire: u64::try_from(get::<i64>(r, 3)?).map_err(|_| "negative expire")?,
        subnet_id: u32_of(get(r, 4)?, "subnet_id")?,
        pref_lifetime: u32_of(get(r, 5)?, "pref_lifetime")?,
        lease_type: u32::try_from(lease_type)
            .ok()
            .and_then(LeaseType6::from_code)
            .ok_or_else(|| format!("lease_type {lease_type} is unknown"))?,
        iaid: u32_of(get(r, 7)?, "iaid")?,
        prefix_len: u8::try_from(prefix_len).map_err(|_| "prefix_len out of range")?,
        fqdn_fwd: get(r, 9)?,
        fqdn_rev: get(r, 10)?,
        hostname: get(r, 11)?,
        hwaddr: get(r, 12)?,
        state: state_of(get(r, 13)?)?,
        user_context: get(r, 14)?,
        hwtype: u16::try_from(get::<i32>(r, 15)?).map_err(|_| "hwtype out of range")?,
        hwaddr_source: u32_of(get(r, 16)?, "hwaddr_source")?,
    })
}

fn params4(l: &Lease4) -> Vec<Param> {
    vec![
        Box::new(i64::from(u32::from(l.addr))),
        Box::new(l.hwaddr.clone()),
        Box::new(l.client_id.clone()),
        Box::new(i64::from(l.valid_lifetime)),
        Box::new(sql::i64_of(l.expire)),
        Box::new(i64::from(l.subnet_id)),
        Box::new(l.fqdn_fwd),
        Box::new(l.fqdn_rev),
        Box::new(l.hostname.clone()),
        Box::new(l.state.code() as i32),
        Box::new(l.user_context.clone()),
    ]
}

fn type_param(t: LeaseType6) -> Param {
    Box::new(t.code() as i16)
}

fn params6(l: &Lease6) -> Vec<Param> {
    vec![
        Box::new(l.address.to_string()),
        Box::new(l.duid.clone()),
        Box::new(i64::from(l.valid_lifetime)),
        Box::new(sql::i64_of(l.expire)),
        Box::new(i64::from(l.subnet_id)),
        Box::new(i64::from(l.pref_lifetime)),
        type_param(l.lease_type),
        Box::new(i64::from(l.iaid)),
        Box::new(i16::from(l.prefix_len)),
        Box::new(l.fqdn_fwd),
        Box::new(l.fqdn_rev),
        Box::new(l.hostname.clone()),
        Box::new(l.hwaddr.clone()),
        Box::new(l.state.code() as i32),
        Box::new(l.user_context.clone()),
        Box::new(i32::from(l.hwtype)),
        Box::new(i64::from(l.hwaddr_source)),
    ]
}

/// A unique violation is "exists" (the conditional insert makes it rare).
fn exists_or(e: LeaseError, exists: LeaseError) -> LeaseError {
    match &e {
        LeaseError::Database(m) if m.starts_with(SqlState::UNIQUE_VIOLATION.code()) => exists,
        _ => e,
    }
}

impl LeaseStore for PgStore {
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
        let p: Vec<Param> = vec![Box::new(i64::from(u32::from(addr)))];
        self.rows4("get4", Q::Get4, p).into_iter().next()
    }

    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
        if client_id.is_empty() {
            return Vec::new();
        }
        self.rows4(
            "get4_by_client_id",
            Q::ByClientId4,
            vec![Box::new(client_id.to_vec())],
        )
    }

    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
        if hwaddr.is_empty() {
            return Vec::new();
        }
        self.rows4(
            "get4_by_hwaddr",
            Q::ByHwaddr4,
            vec![Box::new(hwaddr.to_vec())],
        )
    }

    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.execute(Q::Add4, params4(&l)) {
            Ok(0) => Err(LeaseError::Exists(l.addr)),
            Ok(_) => Ok(()),
            Err(e) => Err(exists_or(e, LeaseError::Exists(l.addr))),
        }
    }

    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.execute(Q::Update4, params4(&l))? {
            0 => Err(LeaseError::NotFound(l.addr)),
            _ => Ok(()),
        }
    }

    fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        if l.addr != old.addr {
            return Ok(false);
        }
        let mut p = params4(&l);
        p.push(Box::new(sql::i64_of(old.expire)));
        p.push(Box::new(old.state.code() as i32));
        p.push(Box::new(old.hwaddr.clone()));
        p.push(Box::new(old.client_id.clone()));
        Ok(self.execute(Q::Update4If, p)? > 0)
    }

    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
        let p: Vec<Param> = vec![Box::new(i64::from(u32::from(addr)))];
        Ok(self.execute(Q::Delete4, p)? > 0)
    }

    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
        let p: Vec<Param> = vec![Box::new(sql::i64_of(now)), Box::new(sql::limit_of(limit))];
        self.rows4("expired4", Q::Expired4, p)
    }

    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
        let n = self.execute(Q::Flush4, vec![Box::new(sql::i64_of(older_than))])?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn all4(&self) -> Vec<Lease4> {
        self.rows4("all4", Q::All4, Vec::new())
    }

    fn count4(&self) -> usize {
        self.count("count4", Q::Count4)
    }

    fn get6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Option<Lease6> {
        let p: Vec<Param> = vec![Box::new(addr.to_string()), type_param(lease_type)];
        self.rows6("get6", Q::Get6, p).into_iter().next()
    }

    fn get6_by_duid_iaid(&self, lease_type: LeaseType6, duid: &[u8], iaid: u32) -> Vec<Lease6> {
        if duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID {
            return Vec::new();
        }
        let p: Vec<Param> = vec![
            Box::new(duid.to_vec()),
            Box::new(i64::from(iaid)),
            type_param(lease_type),
        ];
        self.rows6("get6_by_duid_iaid", Q::ByDuidIaid6, p)
    }

    fn get6_by_duid(&self, duid: &[u8]) -> Vec<Lease6> {
        if duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID {
            return Vec::new();
        }
        self.rows6("get6_by_duid", Q::ByDuid6, vec![Box::new(duid.to_vec())])
    }

    fn add6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.execute(Q::Add6, params6(&l)) {
            Ok(0) => Err(LeaseError::Exists6(l.address)),
            Ok(_) => Ok(()),
            Err(e) => Err(exists_or(e, LeaseError::Exists6(l.address))),
        }
    }

    fn update6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.execute(Q::Update6, params6(&l))? {
            0 => Err(LeaseError::NotFound6(l.lease_type, l.address)),
            _ => Ok(()),
        }
    }

    fn delete6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Result<bool, LeaseError> {
        let p: Vec<Param> = vec![Box::new(addr.to_string()), type_param(lease_type)];
        Ok(self.execute(Q::Delete6, p)? > 0)
    }

    fn expired6(&self, now: u64, limit: usize) -> Vec<Lease6> {
        let p: Vec<Param> = vec![Box::new(sql::i64_of(now)), Box::new(sql::limit_of(limit))];
        self.rows6("expired6", Q::Expired6, p)
    }

    fn flush_reclaimed6(&self, older_than: u64) -> Result<usize, LeaseError> {
        let n = self.execute(Q::Flush6, vec![Box::new(sql::i64_of(older_than))])?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn all6(&self) -> Vec<Lease6> {
        self.rows6("all6", Q::All6, Vec::new())
    }

    fn count6(&self) -> usize {
        self.count("count6", Q::Count6)
    }
}
