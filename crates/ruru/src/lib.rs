//! The `ruru` command line.
//!
//! Modules:
//! - [`cli`]: the clap definition of every subcommand; the man pages in
//!   `docs/man/` are generated from it (see the `man_pages` test).
//! - [`ctl`]: the `ruru ctl` client (UNIX socket and HTTP/HTTPS).

#![forbid(unsafe_code)]

pub mod cli;
pub mod ctl;
