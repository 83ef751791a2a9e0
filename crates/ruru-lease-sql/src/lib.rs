//! Leases and host reservations in PostgreSQL and MySQL/MariaDB: the SQL
//! implementations of `ruru_lease`'s [`LeaseStore`](ruru_lease::LeaseStore)
//! and [`HostStore`](ruru_lease::HostStore). Used by the server only: the
//! engine depends on `ruru-lease` alone, which has no async runtime and no
//! database driver.
//!
//! Modules:
//! - `sql`: what the SQL backends share: [`DbOptions`], the schema version,
//!   the statements and the lease ↔ row mapping, the connection state and
//!   its background reconnection ([`DbEvent`]), and the bridge from the
//!   synchronous store traits to the async clients.
//! - `kea`: Kea's schema, which is ruru's: the versions opened, Kea's
//!   create scripts, and what to do about another schema.
//! - `upgrade`: Kea's upgrade scripts between its schema versions
//!   (`ruru db init --schema`, `ruru db upgrade`), [`KeaRelease`].
//! - `former`: moving a database of ruru's former schema (1.x) into Kea's
//!   (`ruru db upgrade`).
//! - `batch`: group commit: one-lease writes queued and committed together
//!   ([`GroupCommits`]).
//! - `postgres`: [`PgStore`], leases and hosts in PostgreSQL
//!   (`tokio-postgres`).
//! - `mysql`: [`MySqlStore`], leases and hosts in MySQL/MariaDB
//!   (`mysql_async`). A SQL store holds both families (tables `lease4` and
//!   `lease6`).

#![forbid(unsafe_code)]

// The lease types, traits and errors, under the paths the SQL code has
// always used (`crate::Lease4`, `crate::hosts`, ...).
#[allow(unused_imports)]
pub(crate) use ruru_lease::*;

mod batch;
pub(crate) mod former;
pub mod kea;
pub mod mysql;
pub mod postgres;
pub mod sql;
pub mod upgrade;

pub use batch::GroupCommits;
pub use kea::{KEA_MYSQL, KEA_PG};
pub use mysql::MySqlStore;
pub use postgres::PgStore;
pub use sql::{DbEvent, DbOptions, DbRole, SchemaState, SCHEMA_VERSION};
pub use upgrade::KeaRelease;
