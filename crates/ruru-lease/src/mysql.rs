//! Leases in MySQL or MariaDB ([`MySqlStore`]), with `mysql_async`.
//!
//! # Schema
//! The same tables as [`crate::postgres`] (Kea's column names, `expire` in
//! Unix seconds, a v6 address as text; not Kea's schema), InnoDB, with the
//! address as primary key: [`LeaseStore::add4`] is a plain `INSERT` whose
//! duplicate-key error (1062) is [`LeaseError::Exists`], so two servers
//! sharing a database never store one address twice. Connections use
//! `CLIENT_FOUND_ROWS`, so an `UPDATE` that rewrites a row with the same
//! values still counts it as found.
//!
//! # Connections
//! `mysql_async`'s pool, at most `pool_size` connections; a connection that
//! broke is dropped by the pool and the next call gets a new one. Statements
//! are prepared once per connection (the pool's statement cache). A write
//! whose connection broke returns [`LeaseError::Database`] (never retried:
//! it may have committed); a read is retried once.
//!
//! DDL in MySQL is not transactional: `ruru db init|upgrade` applies each
//! migration statement by statement under `GET_LOCK`, and records the new
//! version after the last one.
//!
//! See [`crate::sql`] for how the synchronous trait calls in.

use std::net::{Ipv4Addr, Ipv6Addr};

use mysql_async::prelude::{FromValue, Queryable};
use mysql_async::{Conn, OptsBuilder, Params, Pool, PoolConstraints, PoolOpts, Row, Value};

use crate::csv::LeaseRow;
use crate::sql::{self, Bridge, DbOptions, SchemaState};
use crate::{Lease4, Lease6, LeaseError, LeaseState, LeaseStore, LeaseType6};

/// MySQL's duplicate-key error.
const ER_DUP_ENTRY: u16 = 1062;

/// The schema migrations: `MIGRATIONS[i]` takes the schema from version `i`
/// to `i + 1` (minor 0). The runner creates `schema_version` itself.
pub const MIGRATIONS: &[&str] = &[
    // 1.0: the lease tables.
    "CREATE TABLE lease4 (
        address INT UNSIGNED PRIMARY KEY NOT NULL,
        hwaddr VARBINARY(20) NOT NULL,
        client_id VARBINARY(255),
        valid_lifetime INT UNSIGNED NOT NULL,
        expire BIGINT UNSIGNED NOT NULL,
        subnet_id INT UNSIGNED NOT NULL,
        fqdn_fwd BOOL NOT NULL,
        fqdn_rev BOOL NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        state INT UNSIGNED NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL,
        INDEX lease4_by_hwaddr (hwaddr),
        INDEX lease4_by_client_id (client_id),
        INDEX lease4_by_state_expire (state, expire)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
    CREATE TABLE lease6 (
        address VARCHAR(39) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY NOT NULL,
        duid VARBINARY(130) NOT NULL,
        valid_lifetime INT UNSIGNED NOT NULL,
        expire BIGINT UNSIGNED NOT NULL,
        subnet_id INT UNSIGNED NOT NULL,
        pref_lifetime INT UNSIGNED NOT NULL,
        lease_type TINYINT UNSIGNED NOT NULL,
        iaid INT UNSIGNED NOT NULL,
        prefix_len TINYINT UNSIGNED NOT NULL,
        fqdn_fwd BOOL NOT NULL,
        fqdn_rev BOOL NOT NULL,
        hostname VARCHAR(255) NOT NULL,
        hwaddr VARBINARY(20) NOT NULL,
        state INT UNSIGNED NOT NULL DEFAULT 0,
        user_context TEXT NOT NULL,
        hwtype SMALLINT UNSIGNED NOT NULL,
        hwaddr_source INT UNSIGNED NOT NULL,
        INDEX lease6_by_duid_iaid (duid, iaid, lease_type),
        INDEX lease6_by_state_expire (state, expire)
    ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
];

const COLS4: &str = "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, \
                     fqdn_fwd, fqdn_rev, hostname, state, user_context";
const COLS6: &str = "address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, \
                     lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, \
                     state, user_context, hwtype, hwaddr_source";

/// A lease store in MySQL/MariaDB, holding both families. See the module
/// documentation.
pub struct MySqlStore {
    pool: Pool,
    bridge: Bridge,
}

fn db_err(e: mysql_async::Error) -> LeaseError {
    LeaseError::Database(e.to_string())
}

fn is_dup(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if s.code == ER_DUP_ENTRY)
}

fn builder(opts: &DbOptions) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname(opts.host.clone())
        .tcp_port(opts.port.unwrap_or(3306))
        .user(opts.user.clone())
        .pass(opts.password.clone())
        .db_name((!opts.name.is_empty()).then(|| opts.name.clone()))
        .prefer_socket(false)
        .client_found_rows(true)
        .stmt_cache_size(64)
}

async fn connect_one(opts: &DbOptions) -> Result<Conn, LeaseError> {
    match tokio::time::timeout(opts.connect_timeout, Conn::new(builder(opts))).await {
        Ok(r) => r.map_err(db_err),
        Err(_) => Err(LeaseError::Database(format!(
            "connecting to {}: timed out after {:?}",
            opts.host, opts.connect_timeout
        ))),
    }
}

/// Connects with Kea's `max-reconnect-tries` and `reconnect-wait-time`.
async fn connect_retrying(opts: &DbOptions) -> Result<Conn, LeaseError> {
    let mut tries = 0;
    loop {
        match connect_one(opts).await {
            Ok(c) => return Ok(c),
            Err(e) if tries < opts.max_reconnect_tries => {
                tries += 1;
                tracing::warn!(error = %e, attempt = tries, "cannot connect to MySQL; retrying");
                tokio::time::sleep(opts.reconnect_wait_time).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn schema_state(conn: &mut Conn) -> Result<SchemaState, LeaseError> {
    let n: Option<u64> = conn
        .query_first(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = DATABASE() AND table_name = 'schema_version'",
        )
        .await
        .map_err(db_err)?;
    if n.unwrap_or(0) == 0 {
        return Ok(SchemaState::Missing);
    }
    let row: Option<(u32, u32)> = conn
        .query_first("SELECT version, minor FROM schema_version")
        .await
        .map_err(db_err)?;
    Ok(row.map_or(SchemaState::Missing, |(v, m)| SchemaState::Version(v, m)))
}

async fn migrate_on(conn: &mut Conn, create: bool) -> Result<SchemaState, LeaseError> {
    let from = match schema_state(conn).await? {
        SchemaState::Missing if create => {
            conn.query_drop(
                "CREATE TABLE IF NOT EXISTS schema_version \
                 (version INT UNSIGNED NOT NULL, minor INT UNSIGNED NOT NULL) ENGINE = InnoDB",
            )
            .await
            .map_err(db_err)?;
            conn.query_drop("INSERT INTO schema_version VALUES (0, 0)")
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
            conn.query_drop(s).await.map_err(db_err)?;
        }
        conn.exec_drop(
            "UPDATE schema_version SET version = ?, minor = 0",
            (u64::try_from(i + 1).unwrap_or(u64::MAX),),
        )
        .await
        .map_err(db_err)?;
    }
    schema_state(conn).await
}

/// Brings the schema to [`sql::SCHEMA_VERSION`] under a named lock, so that
/// two `ruru db` runs do not race. With `create`, a database without schema
/// gets one and an existing schema is left alone.
fn migrate(opts: &DbOptions, create: bool) -> Result<SchemaState, LeaseError> {
    let bridge = Bridge::new("ruru-mysql")?;
    let opts = opts.clone();
    bridge.run(async move {
        let mut conn = connect_one(&opts).await?;
        conn.query_drop("SELECT GET_LOCK('ruru_schema', 60)")
            .await
            .map_err(db_err)?;
        let r = migrate_on(&mut conn, create).await;
        let _ = conn.query_drop("SELECT RELEASE_LOCK('ruru_schema')").await;
        r
    })
}

impl MySqlStore {
    /// Connects to the database and checks that its schema is current
    /// ([`LeaseError::Schema`] otherwise). Retries the first connection
    /// `max_reconnect_tries` times.
    pub fn open(opts: &DbOptions) -> Result<Self, LeaseError> {
        let bridge = Bridge::new("ruru-mysql")?;
        let o = opts.clone();
        let pool = bridge.run(async move {
            let mut conn = connect_retrying(&o).await?;
            schema_state(&mut conn).await?.check()?;
            drop(conn);
            let size = o.pool_size.max(1);
            let constraints = PoolConstraints::new(0, size)
                .ok_or_else(|| LeaseError::Database(format!("invalid pool size {size}")))?;
            let pool_opts = PoolOpts::default().with_constraints(constraints);
            Ok(Pool::new(builder(&o).pool_opts(pool_opts)))
        })?;
        Ok(MySqlStore { pool, bridge })
    }

    /// The schema the database holds.
    pub fn schema_version(opts: &DbOptions) -> Result<SchemaState, LeaseError> {
        let bridge = Bridge::new("ruru-mysql")?;
        let opts = opts.clone();
        bridge.run(async move { schema_state(&mut connect_one(&opts).await?).await })
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

    /// Runs a query, retrying once on a connection-level error.
    fn rows(&self, sql: String, params: Vec<Value>) -> Result<Vec<Row>, LeaseError> {
        let pool = self.pool.clone();
        self.bridge.run(async move {
            let mut retried = false;
            loop {
                let r = async {
                    let mut conn = pool.get_conn().await?;
                    conn.exec::<Row, _, _>(sql.as_str(), Params::Positional(params.clone()))
                        .await
                }
                .await;
                match r {
                    Ok(rows) => return Ok(rows),
                    Err(e @ mysql_async::Error::Server(_)) => return Err(db_err(e)),
                    Err(e) if retried => return Err(db_err(e)),
                    Err(_) => retried = true,
                }
            }
        })
    }

    /// Runs a write; the number of rows found (`CLIENT_FOUND_ROWS`).
    fn write(
        &self,
        sql: String,
        params: Vec<Value>,
    ) -> Result<Result<u64, mysql_async::Error>, LeaseError> {
        let pool = self.pool.clone();
        self.bridge.run(async move {
            let r = async {
                let mut conn = pool.get_conn().await?;
                conn.exec_drop(sql.as_str(), Params::Positional(params))
                    .await?;
                Ok(conn.affected_rows())
            }
            .await;
            Ok(r)
        })
    }

    fn execute(&self, sql: String, params: Vec<Value>) -> Result<u64, LeaseError> {
        self.write(sql, params)?.map_err(db_err)
    }

    fn rows4(&self, what: &str, sql: String, params: Vec<Value>) -> Vec<Lease4> {
        decode_all(what, sql::or_log(what, self.rows(sql, params)), lease4)
    }

    fn rows6(&self, what: &str, sql: String, params: Vec<Value>) -> Vec<Lease6> {
        decode_all(what, sql::or_log(what, self.rows(sql, params)), lease6)
    }

    fn count(&self, what: &str, sql: &str) -> usize {
        let rows = sql::or_log(what, self.rows(sql.into(), Vec::new()));
        rows.into_iter()
            .next()
            .and_then(|r| r.get::<u64, usize>(0))
            .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX))
    }
}

fn decode_all<L>(what: &str, rows: Vec<Row>, f: fn(Row) -> Result<L, String>) -> Vec<L> {
    rows.into_iter()
        .filter_map(|r| match f(r) {
            Ok(l) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "unusable lease row skipped: {what}");
                None
            }
        })
        .collect()
}

fn get<T: FromValue>(r: &Row, i: usize) -> Result<T, String> {
    match r.get_opt::<T, usize>(i) {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(format!("column {i}: {e}")),
        None => Err(format!("column {i} missing")),
    }
}

fn state_of(code: u32) -> Result<LeaseState, String> {
    LeaseState::from_code(code).ok_or_else(|| format!("state {code} is unknown"))
}

fn lease4(r: Row) -> Result<Lease4, String> {
    Ok(Lease4 {
        addr: Ipv4Addr::from(get::<u32>(&r, 0)?),
        hwaddr: get(&r, 1)?,
        client_id: get(&r, 2)?,
        valid_lifetime: get(&r, 3)?,
        expire: get(&r, 4)?,
        subnet_id: get(&r, 5)?,
        fqdn_fwd: get(&r, 6)?,
        fqdn_rev: get(&r, 7)?,
        hostname: get(&r, 8)?,
        state: state_of(get(&r, 9)?)?,
        user_context: get(&r, 10)?,
    })
}

fn lease6(r: Row) -> Result<Lease6, String> {
    let address: String = get(&r, 0)?;
    let lease_type: u32 = get(&r, 6)?;
    Ok(Lease6 {
        address: address
            .parse::<Ipv6Addr>()
            .map_err(|_| format!("address '{address}' is not an IPv6 address"))?,
        duid: get(&r, 1)?,
        valid_lifetime: get(&r, 2)?,
        expire: get(&r, 3)?,
        subnet_id: get(&r, 4)?,
        pref_lifetime: get(&r, 5)?,
        lease_type: LeaseType6::from_code(lease_type)
            .ok_or_else(|| format!("lease_type {lease_type} is unknown"))?,
        iaid: get(&r, 7)?,
        prefix_len: get(&r, 8)?,
        fqdn_fwd: get(&r, 9)?,
        fqdn_rev: get(&r, 10)?,
        hostname: get(&r, 11)?,
        hwaddr: get(&r, 12)?,
        state: state_of(get(&r, 13)?)?,
        user_context: get(&r, 14)?,
        hwtype: get(&r, 15)?,
        hwaddr_source: get(&r, 16)?,
    })
}

fn addr4(a: Ipv4Addr) -> Value {
    Value::from(u32::from(a))
}

/// The v4 columns in `COLS4` order.
fn values4(l: &Lease4) -> Vec<Value> {
    vec![
        addr4(l.addr),
        Value::from(l.hwaddr.clone()),
        Value::from(l.client_id.clone()),
        Value::from(l.valid_lifetime),
        Value::from(l.expire),
        Value::from(l.subnet_id),
        Value::from(l.fqdn_fwd),
        Value::from(l.fqdn_rev),
        Value::from(l.hostname.clone()),
        Value::from(l.state.code()),
        Value::from(l.user_context.clone()),
    ]
}

/// The v6 columns in `COLS6` order.
fn values6(l: &Lease6) -> Vec<Value> {
    vec![
        Value::from(l.address.to_string()),
        Value::from(l.duid.clone()),
        Value::from(l.valid_lifetime),
        Value::from(l.expire),
        Value::from(l.subnet_id),
        Value::from(l.pref_lifetime),
        Value::from(l.lease_type.code()),
        Value::from(l.iaid),
        Value::from(l.prefix_len),
        Value::from(l.fqdn_fwd),
        Value::from(l.fqdn_rev),
        Value::from(l.hostname.clone()),
        Value::from(l.hwaddr.clone()),
        Value::from(l.state.code()),
        Value::from(l.user_context.clone()),
        Value::from(l.hwtype),
        Value::from(l.hwaddr_source),
    ]
}

fn insert(table: &str, cols: &str, n: usize) -> String {
    let marks = vec!["?"; n].join(", ");
    format!("INSERT INTO {table} ({cols}) VALUES ({marks})")
}

/// `UPDATE table SET <all columns but the key> WHERE <key>`, with the
/// parameters of `values` (in column order) moved to match.
fn update(table: &str, cols: &str, values: Vec<Value>, key: &[usize]) -> (String, Vec<Value>) {
    let names: Vec<&str> = cols.split(',').map(str::trim).collect();
    let mut set = Vec::new();
    let mut params = Vec::new();
    let mut key_params = Vec::new();
    let mut cond = Vec::new();
    for (i, (name, v)) in names.iter().zip(values).enumerate() {
        if key.contains(&i) {
            cond.push(format!("{name} = ?"));
            key_params.push(v);
        } else {
            set.push(format!("{name} = ?"));
            params.push(v);
        }
    }
    params.extend(key_params);
    (
        format!(
            "UPDATE {table} SET {} WHERE {}",
            set.join(", "),
            cond.join(" AND ")
        ),
        params,
    )
}

impl LeaseStore for MySqlStore {
    fn get4(&self, addr: Ipv4Addr) -> Option<Lease4> {
        let q = format!("SELECT {COLS4} FROM lease4 WHERE address = ?");
        self.rows4("get4", q, vec![addr4(addr)]).into_iter().next()
    }

    fn get4_by_client_id(&self, client_id: &[u8]) -> Vec<Lease4> {
        if client_id.is_empty() {
            return Vec::new();
        }
        let q = format!("SELECT {COLS4} FROM lease4 WHERE client_id = ?");
        self.rows4("get4_by_client_id", q, vec![Value::from(client_id)])
    }

    fn get4_by_hwaddr(&self, hwaddr: &[u8]) -> Vec<Lease4> {
        if hwaddr.is_empty() {
            return Vec::new();
        }
        let q = format!("SELECT {COLS4} FROM lease4 WHERE hwaddr = ?");
        self.rows4("get4_by_hwaddr", q, vec![Value::from(hwaddr)])
    }

    fn add4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.write(insert("lease4", COLS4, 11), values4(&l))? {
            Ok(_) => Ok(()),
            Err(e) if is_dup(&e) => Err(LeaseError::Exists(l.addr)),
            Err(e) => Err(db_err(e)),
        }
    }

    fn update4(&self, lease: &Lease4) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        let (q, p) = update("lease4", COLS4, values4(&l), &[0]);
        match self.execute(q, p)? {
            0 => Err(LeaseError::NotFound(l.addr)),
            _ => Ok(()),
        }
    }

    fn update4_if(&self, lease: &Lease4, old: &Lease4) -> Result<bool, LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        if l.addr != old.addr {
            return Ok(false);
        }
        // Compare-and-swap: the old row's expire, state and identifiers must
        // still be there (`<=>` matches NULL to NULL).
        let (mut q, mut p) = update("lease4", COLS4, values4(&l), &[0]);
        q.push_str(" AND expire = ? AND state = ? AND hwaddr = ? AND client_id <=> ?");
        p.extend([
            Value::from(old.expire),
            Value::from(old.state.code()),
            Value::from(old.hwaddr.clone()),
            Value::from(old.client_id.clone()),
        ]);
        Ok(self.execute(q, p)? > 0)
    }

    fn delete4(&self, addr: Ipv4Addr) -> Result<bool, LeaseError> {
        let q = "DELETE FROM lease4 WHERE address = ?".to_string();
        Ok(self.execute(q, vec![addr4(addr)])? > 0)
    }

    fn expired4(&self, now: u64, limit: usize) -> Vec<Lease4> {
        let q = format!(
            "SELECT {COLS4} FROM lease4 WHERE state IN (0, 1) AND expire <= ? \
             ORDER BY expire, address LIMIT ?"
        );
        let p = vec![Value::from(now), Value::from(sql::limit_of(limit))];
        self.rows4("expired4", q, p)
    }

    fn flush_reclaimed4(&self, older_than: u64) -> Result<usize, LeaseError> {
        let q = "DELETE FROM lease4 WHERE state = 2 AND expire < ?".to_string();
        let n = self.execute(q, vec![Value::from(older_than)])?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn all4(&self) -> Vec<Lease4> {
        self.rows4("all4", format!("SELECT {COLS4} FROM lease4"), Vec::new())
    }

    fn count4(&self) -> usize {
        self.count("count4", "SELECT COUNT(*) FROM lease4")
    }

    fn get6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Option<Lease6> {
        let q = format!("SELECT {COLS6} FROM lease6 WHERE address = ? AND lease_type = ?");
        let p = vec![
            Value::from(addr.to_string()),
            Value::from(lease_type.code()),
        ];
        self.rows6("get6", q, p).into_iter().next()
    }

    fn get6_by_duid_iaid(&self, lease_type: LeaseType6, duid: &[u8], iaid: u32) -> Vec<Lease6> {
        if duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID {
            return Vec::new();
        }
        let q =
            format!("SELECT {COLS6} FROM lease6 WHERE duid = ? AND iaid = ? AND lease_type = ?");
        let p = vec![
            Value::from(duid),
            Value::from(iaid),
            Value::from(lease_type.code()),
        ];
        self.rows6("get6_by_duid_iaid", q, p)
    }

    fn get6_by_duid(&self, duid: &[u8]) -> Vec<Lease6> {
        if duid.is_empty() || duid == crate::csv::v6::EMPTY_DUID {
            return Vec::new();
        }
        let q = format!("SELECT {COLS6} FROM lease6 WHERE duid = ?");
        self.rows6("get6_by_duid", q, vec![Value::from(duid)])
    }

    fn add6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        match self.write(insert("lease6", COLS6, 17), values6(&l))? {
            Ok(_) => Ok(()),
            Err(e) if is_dup(&e) => Err(LeaseError::Exists6(l.address)),
            Err(e) => Err(db_err(e)),
        }
    }

    fn update6(&self, lease: &Lease6) -> Result<(), LeaseError> {
        let l = lease.prepare().map_err(LeaseError::Invalid)?;
        // Keyed by address and type (columns 0 and 6).
        let (q, p) = update("lease6", COLS6, values6(&l), &[0, 6]);
        match self.execute(q, p)? {
            0 => Err(LeaseError::NotFound6(l.lease_type, l.address)),
            _ => Ok(()),
        }
    }

    fn delete6(&self, lease_type: LeaseType6, addr: Ipv6Addr) -> Result<bool, LeaseError> {
        let q = "DELETE FROM lease6 WHERE address = ? AND lease_type = ?".to_string();
        let p = vec![
            Value::from(addr.to_string()),
            Value::from(lease_type.code()),
        ];
        Ok(self.execute(q, p)? > 0)
    }

    fn expired6(&self, now: u64, limit: usize) -> Vec<Lease6> {
        let q = format!(
            "SELECT {COLS6} FROM lease6 WHERE state IN (0, 1) AND expire <= ? \
             ORDER BY expire, address LIMIT ?"
        );
        let p = vec![Value::from(now), Value::from(sql::limit_of(limit))];
        self.rows6("expired6", q, p)
    }

    fn flush_reclaimed6(&self, older_than: u64) -> Result<usize, LeaseError> {
        let q = "DELETE FROM lease6 WHERE state = 2 AND expire < ?".to_string();
        let n = self.execute(q, vec![Value::from(older_than)])?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn all6(&self) -> Vec<Lease6> {
        self.rows6("all6", format!("SELECT {COLS6} FROM lease6"), Vec::new())
    }

    fn count6(&self) -> usize {
        self.count("count6", "SELECT COUNT(*) FROM lease6")
    }
}
