//! The command-line interface definition (DESIGN.md, "The CLI contract").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// ruru: a DHCPv4/DHCPv6 server that reads ISC Kea configurations.
#[derive(Debug, Parser)]
#[command(
    name = "ruru",
    version,
    about = "ruru: a DHCP server that reads ISC Kea configurations",
    long_about = "ruru serves DHCPv4 and DHCPv6 from the Dhcp4 and Dhcp6 sections of Kea-format \
configuration files in one process, keeps leases in Kea's memfile CSV format or in PostgreSQL or \
MySQL, answers Kea's control commands, and checks configurations like kea-dhcp4 -t / kea-dhcp6 -t.",
    after_help = "See ruru-serve(8), ruru-check(8), ruru-ctl(8), ruru-db(8) and ruru-probe(8), and the user guide in docs/."
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
        long_about = "Run the Dhcp4 and Dhcp6 sections of the configuration files (one -c file with \
both sections, or one file per section as a Kea site keeps them). SIGHUP re-reads the files and \
applies them atomically (a file with errors is refused and the running configuration kept); \
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
starts with whose it is). The schema is Kea's, as `kea-admin db-init` makes it, so ruru also \
runs on a database made by kea-admin: that of Kea 2.2 (13.0 on PostgreSQL, 14.0 on MySQL), 2.4 \
(18.0, 19.0), 2.6 (22.x) or 3.0 (29.0, 30.0). `init` creates the schema of the Kea release \
--schema names (default 3.0) if the database has none, with Kea's own scripts (running it \
again changes nothing); `upgrade` upgrades Kea's schema to --schema's release with Kea's \
upgrade scripts, as `kea-admin db-upgrade` does (never down), and moves a database of ruru's \
former schema (1.x) into Kea's (every lease and reservation; the former tables are kept \
aside); `version` prints Kea's schema version (MAJOR.MINOR, or \"none\"). When Kea servers \
share the database, name the release they run: a Kea server opens only its own schema. \
`ruru serve` refuses to start on a database with no schema or another one, says what it found and names what to do.",
        after_help = "Examples:\n  ruru db init -c /etc/ruru/ruru.json\n  ruru db init -c /etc/ruru/ruru.json --schema 2.2\n  ruru db upgrade -c /etc/ruru/ruru.json --schema 2.6\n  ruru db version -c /etc/ruru/ruru.json"
    )]
    Db(DbArgs),
    /// Act as a DHCP client (or relay agent) once and show the exchange and the lease.
    #[command(
        long_about = "A small diagnostic DHCP client, in the spirit of dhcping and dhtest, for \
watching any DHCP server (ruru, Kea, ...) work. By default it runs one DHCPv4 \
DISCOVER/OFFER/REQUEST/ACK exchange; --inform sends a DHCPINFORM instead, and --release \
releases the lease it just obtained (or, with --request-address, a given address, without an \
exchange first). With -6 it runs DHCPv6 Solicit/Advertise/Request/Reply (--prefix adds an \
IA_PD; --inform sends an Information-request; --release releases the leases obtained).\n\n\
It either plays a relay agent (--relay ADDR: it sends from ADDR, port 67 (DHCPv4, with \
giaddr = ADDR) or 547 (DHCPv6, in a Relay-forward message), to the server at --server \
(default 127.0.0.1 or ::1) and --server-port; the server answers the relay at port 67 or \
547 of ADDR, so binding it needs root or CAP_NET_BIND_SERVICE), or a client on a link \
(--interface IFACE: DHCPv4 from port 68 to the broadcast address, with the broadcast flag \
set so that replies are broadcast; DHCPv6 from port 546 to ff02::1:2 port 547; this needs \
root, and a DHCPv6 client needs a link-local address on IFACE).\n\n\
It prints each message sent and received with the time since the start, then the lease \
and every option of the final reply (named after dhcproto's option types; options it does \
not know in hex). --json prints one JSON object instead. Each request is sent up to \
1 + --retries times, waiting --timeout seconds for the answer each time. Exit status 0 \
when a lease (or, with --inform, an answer; with --release, the release) was obtained, \
1 on a NAK, a refusal, no answer or a socket error, 2 on a command-line usage error.",
        after_help = "Examples:\n  \
ruru probe --relay 127.0.0.2 --server-port 1067\n  \
ruru probe --relay 127.0.0.2 --server-port 1067 --mac aa:bb:cc:00:00:01 --json\n  \
ruru probe --relay 127.0.0.2 --server-port 1067 --release\n  \
ruru probe -6 --relay ::1 --link-address 2001:db8:1::1 --server-port 1547 --prefix\n  \
ruru probe --interface eth0 --hostname probe --option 77=68656c6c6f"
    )]
    Probe(ProbeArgs),
}

/// `ruru probe`: who the probe is and where it sends. Parsed values are
/// checked again by `ruru::probe`, which knows the family.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("via").args(["relay", "interface"]).required(true)))]
pub struct ProbeArgs {
    /// DHCPv6 (Solicit, Advertise, Request, Reply) instead of DHCPv4.
    #[arg(short = '6', long = "v6")]
    pub v6: bool,
    /// Play a relay agent at this local address (127.0.0.2, ::1, ...): send
    /// from it and receive the server's answer at its port 67 (DHCPv6: 547).
    #[arg(long = "relay", value_name = "ADDR")]
    pub relay: Option<std::net::IpAddr>,
    /// Be a client on this interface: broadcast (DHCPv6: multicast to
    /// ff02::1:2) from port 68 (546). Needs root.
    #[arg(long = "interface", value_name = "IFACE")]
    pub interface: Option<String>,
    /// The server to send to; default 127.0.0.1 (::1) with --relay,
    /// 255.255.255.255 (ff02::1:2) with --interface.
    #[arg(long = "server", value_name = "ADDR")]
    pub server: Option<std::net::IpAddr>,
    /// The server's port (the port given to `ruru serve -p`); default 67 (547).
    #[arg(long = "server-port", value_name = "PORT")]
    pub server_port: Option<u16>,
    /// The client port the probe listens on with --interface, and with
    /// --relay --inform at the INFORM's ciaddr (`ruru serve -P`); default 68 (546).
    #[arg(long = "client-port", value_name = "PORT")]
    pub client_port: Option<u16>,
    /// DHCPv6 relay: the link-address of the Relay-forward message, which
    /// selects the subnet (a subnet's prefix or its "relay" ip-addresses);
    /// default the --relay address.
    #[arg(long = "link-address", value_name = "ADDR")]
    pub link_address: Option<std::net::Ipv6Addr>,
    /// Send a DHCPINFORM (DHCPv6: an Information-request) instead of asking
    /// for a lease. Its ciaddr is --request-address, else the --relay address
    /// or the interface's first IPv4 address.
    #[arg(long = "inform", conflicts_with_all = ["release", "prefix"])]
    pub inform: bool,
    /// Release the lease after obtaining it; DHCPv4 with --request-address:
    /// release that address (of --mac/--client-id) without an exchange first.
    #[arg(long = "release")]
    pub release: bool,
    /// DHCPv4: the server identifier of a RELEASE without an exchange first;
    /// default the --server address.
    #[arg(long = "server-id", value_name = "ADDR")]
    pub server_id: Option<std::net::Ipv4Addr>,
    /// DHCPv6: ask for a delegated prefix (IA_PD) as well as an address.
    #[arg(long = "prefix")]
    pub prefix: bool,
    /// The client's hardware address (chaddr; in DHCPv6, in the default
    /// DUID); default the interface's, or 00:00:5e:00:53:01 (RFC 7042 documentation range) with --relay.
    #[arg(long = "mac", value_name = "MAC", value_parser = crate::probe::parse_mac)]
    pub mac: Option<crate::probe::Mac>,
    /// The client's DUID, in hex; default DUID-LL of --mac. In DHCPv4 it
    /// makes an RFC 4361 client identifier (255, IAID 1, DUID) unless
    /// --client-id is given.
    #[arg(long = "duid", value_name = "HEX", value_parser = crate::probe::parse_hex)]
    pub duid: Option<crate::probe::Hex>,
    /// DHCPv4 client identifier (option 61), in hex, type octet first
    /// (e.g. 01:aa:bb:cc:00:00:01).
    #[arg(long = "client-id", value_name = "HEX", value_parser = crate::probe::parse_hex)]
    pub client_id: Option<crate::probe::Hex>,
    /// Host name to send (DHCPv4 option 12).
    #[arg(long = "hostname", value_name = "NAME")]
    pub hostname: Option<String>,
    /// Vendor class: DHCPv4 option 60 (the text), DHCPv6 option 16
    /// ([ENTERPRISE-NUMBER:]TEXT, enterprise number default 0).
    #[arg(long = "vendor-class", value_name = "TEXT")]
    pub vendor_class: Option<String>,
    /// Address to ask for (DHCPv4 option 50; DHCPv6 an IA_NA address hint).
    #[arg(long = "request-address", value_name = "ADDR")]
    pub request_address: Option<std::net::IpAddr>,
    /// Client FQDN (DHCPv4 option 81, DHCPv6 option 39), with the S flag
    /// set: the server should update DNS.
    #[arg(long = "fqdn", value_name = "NAME")]
    pub fqdn: Option<String>,
    /// Any other option, as its code and payload in hex (e.g. 77=68656c6c6f);
    /// may be repeated; replaces an option the probe would send itself.
    #[arg(long = "option", value_name = "CODE=HEX", value_parser = crate::probe::parse_option)]
    pub options: Vec<crate::probe::RawOption>,
    /// Seconds to wait for each answer before sending again (fractions allowed).
    #[arg(long = "timeout", value_name = "SECONDS", default_value = "2",
          value_parser = crate::probe::parse_seconds)]
    pub timeout: std::time::Duration,
    /// How many times to send a message again when no answer came.
    #[arg(long = "retries", value_name = "N", default_value_t = 2)]
    pub retries: u32,
    /// Print one JSON object (result, lease, options, exchange) instead of text.
    #[arg(long = "json")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DbArgs {
    /// What to do: init, upgrade, version, lease-dump, lease-upload or stats-recount.
    #[arg(value_enum, value_name = "ACTION")]
    pub action: DbActionArg,
    /// Configuration file whose lease-database (and hosts-database) names the database.
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    pub config: PathBuf,
    /// lease-dump, lease-upload: the DHCPv4 leases (Dhcp4's lease-database; the default).
    #[arg(short = '4', conflicts_with = "v6")]
    pub v4: bool,
    /// lease-dump, lease-upload: the DHCPv6 leases (Dhcp6's lease-database).
    #[arg(short = '6')]
    pub v6: bool,
    /// lease-dump: the file to write (Kea's lease file format); default standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// lease-upload: the lease file to read (a dump, or a Kea or ruru memfile).
    #[arg(short = 'i', long = "input", value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// init, upgrade: the Kea release whose schema to make: 2.2 (PostgreSQL 13.0, MySQL 14.0),
    /// 2.4 (18.0, 19.0), 2.6 (22.2) or 3.0 (29.0, 30.0); default 3.0, the newest. Name the
    /// release your Kea servers run when they share the database.
    #[arg(long = "schema", value_name = "KEA_RELEASE", value_parser = parse_kea_release)]
    pub schema: Option<ruru_server::db::KeaRelease>,
}

fn parse_kea_release(s: &str) -> Result<ruru_server::db::KeaRelease, String> {
    ruru_server::db::KeaRelease::parse(s)
}

/// `ruru db` actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DbActionArg {
    /// Create Kea's schema (of --schema's release) if the database has none.
    Init,
    /// Upgrade Kea's schema to --schema's release with Kea's scripts (kea-admin db-upgrade);
    /// move ruru's former schema into Kea's.
    Upgrade,
    /// Print the schema version.
    Version,
    /// Write the leases to a file in Kea's lease file format (kea-admin lease-dump).
    LeaseDump,
    /// Write the leases of a lease file to the database (kea-admin lease-upload).
    LeaseUpload,
    /// Recount Kea's lease statistics tables from the leases (kea-admin stats-recount).
    StatsRecount,
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
    /// Worker threads per socket; 0 means each section's
    /// `multi-threading` (1 when disabled, `thread-pool-size` when
    /// enabled), else one per CPU, and at least 16 with a SQL lease or
    /// hosts database.
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
