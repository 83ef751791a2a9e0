//! The command-line interface definition (DESIGN.md, "The CLI contract").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// ruru: a DHCPv4/DHCPv6 server that reads ISC Kea configurations.
#[derive(Debug, Parser)]
#[command(
    name = "ruru",
    version,
    about = "ruru: a DHCP server that reads ISC Kea configurations",
    long_about = "ruru serves DHCPv4 from the Dhcp4 section of a Kea-format configuration file, \
keeps leases in Kea's memfile CSV format, and checks configurations like kea-dhcp4 -t.",
    after_help = "See ruru-serve(8) and ruru-check(8), and the user guide in docs/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the DHCP server on the configuration file.
    #[command(
        long_about = "Run the Dhcp4 section of the configuration file. SIGHUP re-reads the file and \
applies it atomically (a file with errors is refused and the running configuration kept); \
SIGTERM and SIGINT stop the server cleanly and log its statistics."
    )]
    Serve(ServeArgs),
    /// Check a configuration file and exit (like kea-dhcp4 -t).
    #[command(
        long_about = "Validate the configuration file completely, as `serve` would load it, without \
opening sockets or lease files. Prints every error as FILE:LINE:COLUMN: JSON.PATH: message. \
Exit status 0 when the file is valid, 1 otherwise."
    )]
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (Kea format: {"Dhcp4": {...}}).
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
    /// Port the server listens on (Kea's -p); default 67. Replies to relays still go to port 67.
    #[arg(short = 'p', long = "port", value_name = "PORT", default_value_t = 67)]
    pub port: u16,
    /// Port replies to clients are sent to (Kea's -P); default 68.
    #[arg(
        short = 'P',
        long = "client-port",
        value_name = "PORT",
        default_value_t = 68
    )]
    pub client_port: u16,
    /// Worker threads per socket; 0 means one per CPU.
    #[arg(long = "threads", value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration file to check.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
}

/// The clap command, for man page generation.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
