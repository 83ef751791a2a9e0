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
    after_help = "See ruru-serve(8), ruru-check(8), ruru-ctl(8) and ruru-db(8), and the user guide in docs/."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The `Environment` section of `serve` and `check`, with the directories
/// this binary was built with.
fn environment() -> String {
    use ruru_config::places::*;
    format!(
        "Environment (read once at start; see docs/src/security.md):\n  \
{HOOKS_ENV}   hook libraries load only from this directory (default {DEFAULT_HOOKS_DIR})\n  \
{DATA_ENV}     lease files and server DUID a configuration from the control API may use (default {DEFAULT_DATA_DIR})\n  \
{LOG_ENV}      log files a configuration from the control API may use (default {DEFAULT_LOG_DIR})\n  \
{SOCKET_ENV}   UNIX control sockets a configuration from the control API may use (default {DEFAULT_SOCKET_DIR})"
    )
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the DHCP server on the configuration file.
    #[command(
        long_about = "Run the Dhcp4 section of the configuration file. SIGHUP re-reads the file and \
applies it atomically (a file with errors is refused and the running configuration kept); \
SIGTERM and SIGINT stop the server cleanly and log its statistics. A second server on the same \
lease file or control socket refuses to start.",
        after_help = environment()
    )]
    Serve(ServeArgs),
    /// Check a configuration file and exit (like kea-dhcp4 -t).
    #[command(
        long_about = "Validate the configuration file completely, as `serve` would load it, without \
opening sockets or lease files. Prints every error as FILE:LINE:COLUMN: JSON.PATH: message. \
Hook libraries are checked from their files (ELF type, required symbols, ABI version) \
without being loaded. Exit status 0 when the file is valid, 1 otherwise.",
        after_help = environment()
    )]
    Check(CheckArgs),
    /// Send a control command to a running server and print the answer.
    #[command(
        long_about = "Send one Kea control command (e.g. version-get, list-commands, \
statistic-get-all, config-reload) to a running ruru (or Kea) over its UNIX control socket \
(--socket) or its HTTP/HTTPS control socket (--url, default http://127.0.0.1:8000/), and print \
the answer as pretty JSON. HTTP answers, a one-element list, are unwrapped so that both \
transports print the same object. Exit status 0 when the answer's result is 0 (success) or \
3 (empty: nothing found), 1 otherwise (an error answer, an unsupported command, or no answer \
at all, e.g. a refused connection or HTTP 401).",
        after_help = "Examples:\n  ruru ctl --socket /run/kea/kea4-ctrl-socket version-get\n  \
ruru ctl --url https://127.0.0.1:8004/ --ca ca.pem --cert me.pem --key me.key --user admin \
--password secret statistic-get --args '{\"name\": \"pkt4-received\"}'"
    )]
    Ctl(CtlArgs),
    /// Manage the schema of the SQL lease and hosts databases named in a configuration file.
    #[command(
        long_about = "Manage the schema of the PostgreSQL or MySQL/MariaDB databases that \
the Dhcp4 and Dhcp6 sections' lease-database and hosts-database(s) name (type \
\"postgresql\" or \"mysql\"; the database itself and its user must exist; one schema holds \
leases and hosts; when several databases are named, each is handled once and each output line \
starts with whose it is). `init` creates the tables if the database has none (running it \
again changes nothing), `upgrade` applies the migrations an older schema lacks, `version` \
prints the schema version (MAJOR.MINOR, or \"none\"). `ruru serve` refuses to start on a \
database whose schema is missing or older than its own and names the command to run.",
        after_help = "Examples:\n  ruru db init -c /etc/ruru/ruru.json\n  ruru db version -c /etc/ruru/ruru.json"
    )]
    Db(DbArgs),
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do: init, upgrade or version.
    #[arg(value_enum, value_name = "ACTION")]
    pub action: DbActionArg,
    /// Configuration file whose lease-database (and hosts-database) names the database.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
}

/// `ruru db` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbActionArg {
    /// Create the schema if the database has none.
    Init,
    /// Apply the migrations the schema lacks.
    Upgrade,
    /// Print the schema version.
    Version,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").args(["socket", "url"])))]
pub struct CtlArgs {
    /// The command, e.g. version-get.
    #[arg(value_name = "COMMAND")]
    pub command: String,
    /// The server's UNIX control socket (its `socket-name`).
    #[arg(long = "socket", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// The server's HTTP or HTTPS control socket; default http://127.0.0.1:8000/.
    #[arg(long = "url", value_name = "URL")]
    pub url: Option<String>,
    /// Command arguments, a JSON object.
    #[arg(long = "args", value_name = "JSON")]
    pub args: Option<String>,
    /// Add "service": [SERVICE] to the request (as Kea's Control Agent expects).
    #[arg(long = "service", value_name = "SERVICE")]
    pub service: Option<String>,
    /// User for HTTP basic authentication.
    #[arg(long = "user", value_name = "USER", requires = "url")]
    pub user: Option<String>,
    /// Password for HTTP basic authentication.
    #[arg(long = "password", value_name = "PASSWORD", requires = "user")]
    pub password: Option<String>,
    /// CA certificate (PEM) to verify an HTTPS server with, instead of the
    /// built-in public roots.
    #[arg(long = "ca", value_name = "FILE", requires = "url")]
    pub ca: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    #[arg(long = "cert", value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Client private key (PEM) for mutual TLS.
    #[arg(long = "key", value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Seconds to wait for the answer.
    #[arg(long = "timeout", value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (Kea format: {"Dhcp4": {...}, "Dhcp6": {...}}); repeat -c to run
    /// several files (e.g. kea-dhcp4.conf and kea-dhcp6.conf) in one process.
    #[arg(short = 'c', long = "config", value_name = "FILE", required = true)]
    pub config: Vec<PathBuf>,
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
    /// Worker threads per socket; 0 means one per CPU, and at least 16
    /// with a SQL lease or hosts database.
    #[arg(long = "threads", value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Control connection read timeout in milliseconds (tests only).
    #[arg(long = "control-timeout-ms", value_name = "MS", hide = true)]
    pub control_timeout_ms: Option<u64>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Configuration file to check; repeat -c to check several files as one configuration.
    #[arg(short = 'c', long = "config", value_name = "FILE", required = true)]
    pub config: Vec<PathBuf>,
}

/// The clap command, for man page generation.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
