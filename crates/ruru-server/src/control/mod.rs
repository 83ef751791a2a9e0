//! The control API: Kea's management commands over a UNIX socket and HTTP.
//!
//! Modules:
//! - [`commands`]: parsing a request (`{"command", "service", "arguments"}`),
//!   running it against the running server, and Kea's response shape
//!   (`{"result": 0|1|2|3, "text", "arguments"}`); the DHCPv4 and
//!   server-wide commands.
//! - `json`: parsing a request, with a repeated key an error.
//! - [`commands6`]: the DHCPv6 commands (`lease6-*`, `stat-lease6-get`).
//! - `family`: what the DHCPv4 and DHCPv6 commands share (lease lists,
//!   paging, add/update/delete/wipe, result sets).
//! - `reservations`: the `reservation-*` commands of both families, on the
//!   running configuration and the host databases.
//! - [`classes`]: Kea's class_cmds (`class-add`, ...), built in.
//! - `subnets`: Kea's subnet_cmds (`subnetX-*`, `networkX-*`), built in.
//! - [`samples`]: statistic sample history.
//! - `statistics`: the `statistic-*` commands, per family.
//! - [`paths`]: the directories an API configuration may write in, and
//!   `config-write`'s safe writing.
//! - [`secrets`]: hiding passwords and secrets in `config-get`.
//! - [`listener`]: starting the configured control sockets and reconciling
//!   them on reload ([`apply`]); the request bounds.
//! - [`unix`]: the UNIX socket transport (one JSON request, one answer).
//! - [`http`]: HTTP/HTTPS (`POST /`, `GET /metrics`), basic auth, TLS/mTLS.
//! - [`metrics`]: the Prometheus exposition of the statistics.
//!
//! The transports (UNIX socket, HTTP with basic auth and TLS, `/metrics`)
//! call [`commands::dispatch`] with the raw request body.

pub mod classes;
pub mod commands;
pub mod commands6;
mod family;
pub mod http;
mod json;
pub mod listener;
pub mod metrics;
pub mod paths;
mod reservations;
pub mod samples;
pub mod secrets;
mod statistics;
mod subnets;
pub mod unix;

pub use commands::{dispatch, ControlCtx};
pub use listener::{apply, Limits};
