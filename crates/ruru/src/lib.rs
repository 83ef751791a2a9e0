//! The `ruru` command line.
//!
//! Modules:
//! - [`cli`]: the clap definition of every subcommand; the man pages in
//!   `docs/man/` are generated from it (see the `man_pages` test).
//! - [`ctl`]: the `ruru ctl` client (UNIX socket and HTTP/HTTPS).
//! - [`probe`]: `ruru probe`, a diagnostic DHCPv4/DHCPv6 client (or relay
//!   agent) that shows one exchange with a server and the lease it gives.

#![forbid(unsafe_code)]

pub mod cli;
pub mod ctl;
pub mod probe;
