//! Opening the DHCPv4 lease store named by `lease-database`, and the
//! schema operations behind `ruru db init|upgrade|version`.
//!
//! memfile opens the lease file (and the caller runs LFC on it); PostgreSQL
//! and MySQL connect and check that the schema is the one this build uses —
//! an older or missing schema stops the start with a message that names the
//! `ruru db` command that fixes it.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ruru_config::{LeaseDatabase, LeaseDbKind, SqlDatabase};
use ruru_lease::memfile::Memfile;
pub use ruru_lease::SchemaState;
use ruru_lease::{DbOptions, LeaseError, LeaseStore, MySqlStore, PgStore};

use crate::ServerError;

/// An open lease store; `memfile` is set when it is a memfile (for LFC).
pub struct OpenStore {
    pub store: Arc<dyn LeaseStore>,
    pub memfile: Option<Arc<Memfile>>,
    /// For the start-up log line: the file or `type://host/name`.
    pub describe: String,
}

/// The lease library's connection options for a SQL `lease-database`.
pub fn db_options(s: &SqlDatabase) -> DbOptions {
    let mut o = DbOptions::new(s.name.clone());
    o.host = s.host.clone();
    o.port = s.port;
    o.user = s.user.clone();
    o.password = s.password.clone();
    o.connect_timeout = Duration::from_secs(u64::from(s.connect_timeout.max(1)));
    o.max_reconnect_tries = s.max_reconnect_tries;
    o.reconnect_wait_time = Duration::from_millis(u64::from(s.reconnect_wait_time));
    o
}

/// Opens the store `db` names. `config` is the file, for error messages.
pub fn open4(db: &LeaseDatabase, config: &Path) -> Result<OpenStore, ServerError> {
    let schema_err = |e: LeaseError| {
        match e {
        LeaseError::Schema {
            found: SchemaState::Missing,
            ..
        } => ServerError::Schema(format!(
            "the lease database has no schema: run `ruru db init -c {}`",
            config.display()
        )),
        LeaseError::Schema { found, expected } => ServerError::Schema(format!(
            "the lease database schema is {found}, this ruru needs {}.{}: run `ruru db upgrade -c {}`",
            expected.0,
            expected.1,
            config.display()
        )),
        e => ServerError::Lease(e),
    }
    };
    Ok(match &db.kind {
        LeaseDbKind::Memfile => {
            let m = Arc::new(if db.persist {
                Memfile::open(Some(&db.name))?
            } else {
                Memfile::open(None)?
            });
            OpenStore {
                store: m.clone(),
                memfile: Some(m),
                describe: db.name.display().to_string(),
            }
        }
        LeaseDbKind::Postgresql(s) => OpenStore {
            store: Arc::new(PgStore::open(&db_options(s)).map_err(schema_err)?),
            memfile: None,
            describe: format!("postgresql://{}/{}", s.host, s.name),
        },
        LeaseDbKind::Mysql(s) => OpenStore {
            store: Arc::new(MySqlStore::open(&db_options(s)).map_err(schema_err)?),
            memfile: None,
            describe: format!("mysql://{}/{}", s.host, s.name),
        },
    })
}

/// What `ruru db` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbAction {
    Init,
    Upgrade,
    Version,
}

/// Runs `ruru db ACTION` on the SQL lease database `db`; the schema after it.
pub fn schema(db: &LeaseDatabase, action: DbAction) -> Result<SchemaState, ServerError> {
    let r = match (&db.kind, action) {
        (LeaseDbKind::Memfile, _) => {
            return Err(ServerError::Schema(
                "the lease database is \"memfile\": it has no schema (ruru db is for \"postgresql\" and \"mysql\")".into(),
            ))
        }
        (LeaseDbKind::Postgresql(s), DbAction::Init) => PgStore::init(&db_options(s)),
        (LeaseDbKind::Postgresql(s), DbAction::Upgrade) => PgStore::upgrade(&db_options(s)),
        (LeaseDbKind::Postgresql(s), DbAction::Version) => PgStore::schema_version(&db_options(s)),
        (LeaseDbKind::Mysql(s), DbAction::Init) => MySqlStore::init(&db_options(s)),
        (LeaseDbKind::Mysql(s), DbAction::Upgrade) => MySqlStore::upgrade(&db_options(s)),
        (LeaseDbKind::Mysql(s), DbAction::Version) => MySqlStore::schema_version(&db_options(s)),
    };
    r.map_err(|e| match e {
        LeaseError::Schema {
            found: SchemaState::Missing,
            ..
        } => ServerError::Schema("the database has no schema: run `ruru db init` first".into()),
        e => ServerError::Lease(e),
    })
}
