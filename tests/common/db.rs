//! SQL databases for the end-to-end tests: a database per test on the
//! machine's PostgreSQL or MariaDB (127.0.0.1, as `.ci/run` sets them up),
//! dropped after it, a Kea-format configuration for it, `ruru db` and Kea's
//! `kea-admin db-init` on it.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use ruru_lease::LeaseStore;
use ruru_lease_sql::{DbOptions, MySqlStore, PgStore};

use super::{msg_type, server_id, skip, Client, Relay, BIN};
use dhcproto::v4::MessageType;

#[derive(Clone, Copy)]
pub enum Kind {
    Pg,
    My,
}

impl Kind {
    /// What `ruru db version` prints for Kea 2.2's schema of this backend.
    pub fn kea_version(self) -> String {
        let (v, m) = match self {
            Kind::Pg => ruru_lease_sql::KEA_PG,
            Kind::My => ruru_lease_sql::KEA_MYSQL,
        };
        format!("{v}.{m}\n")
    }
    /// What `ruru db version` prints after `ruru db init` or `upgrade`:
    /// Kea 3.0's schema of this backend.
    pub fn newest_version(self) -> String {
        let (v, m) = self.newest();
        format!("{v}.{m}\n")
    }
    /// Kea 3.0's schema version of this backend.
    pub fn newest(self) -> (u32, u32) {
        ruru_lease_sql::KeaRelease::NEWEST.schema(matches!(self, Kind::My))
    }
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Pg => "postgresql",
            Kind::My => "mysql",
        }
    }
    pub fn user(self) -> &'static str {
        match self {
            Kind::Pg => "postgres",
            Kind::My => "root",
        }
    }
    pub fn admin(self) -> DbOptions {
        let mut o = DbOptions::new(match self {
            Kind::Pg => "postgres",
            Kind::My => "",
        });
        o.host = "127.0.0.1".into();
        o.user = Some(self.user().into());
        o.connect_timeout = Duration::from_secs(3);
        o
    }
    pub fn exec(self, opts: &DbOptions, sql: &str) -> Result<(), ruru_lease::LeaseError> {
        match self {
            Kind::Pg => PgStore::execute_admin(opts, sql),
            Kind::My => MySqlStore::execute_admin(opts, sql),
        }
    }
}

/// A database for one test, dropped with this value.
pub struct Db {
    pub kind: Kind,
    pub opts: DbOptions,
}

impl Db {
    pub fn new(kind: Kind, test: &str) -> Option<Db> {
        let admin = kind.admin();
        if let Err(e) = kind.exec(&admin, "SELECT 1") {
            skip(test, &format!("{} not reachable: {e}", kind.type_name()));
            return None;
        }
        let name = format!("ruru_e2e_{test}_{}", std::process::id());
        let _ = kind.exec(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
        kind.exec(&admin, &format!("CREATE DATABASE {name}"))
            .unwrap();
        let mut opts = admin;
        opts.name = name;
        Some(Db { kind, opts })
    }

    pub fn store(&self) -> Box<dyn LeaseStore> {
        match self.kind {
            Kind::Pg => Box::new(PgStore::open(&self.opts).unwrap()),
            Kind::My => Box::new(MySqlStore::open(&self.opts).unwrap()),
        }
    }

    /// A config for this database with one subnet behind `relays`.
    pub fn config(&self, relays: &[Ipv4Addr]) -> String {
        self.config_with_pool(relays, "192.0.2.100 - 192.0.2.199")
    }

    /// `config` with another pool.
    pub fn config_with_pool(&self, relays: &[Ipv4Addr], pool: &str) -> String {
        let relays: Vec<String> = relays.iter().map(|r| format!("\"{r}\"")).collect();
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "{}", "name": "{}", "host": "127.0.0.1", "user": "{}",
                       "connect-timeout": 3, "max-reconnect-tries": 2, "reconnect-wait-time": 100 }},
  "valid-lifetime": 3600,
  "subnet4": [ {{
    "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "{pool}" }} ],
    "relay": {{ "ip-addresses": [{}] }}
  }} ]
}} }}"#,
            self.kind.type_name(),
            self.opts.name,
            self.kind.user(),
            relays.join(", ")
        )
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let name = &self.opts.name;
        let sql = match self.kind {
            Kind::Pg => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            Kind::My => format!("DROP DATABASE IF EXISTS {name}"),
        };
        let _ = self.kind.exec(&self.kind.admin(), &sql);
    }
}

pub fn ruru_db(action: &str, config: &std::path::Path) -> (bool, String) {
    ruru_db_args(&[action], config)
}

/// `ruru db ARGS... -c config`: whether it succeeded, and its output.
pub fn ruru_db_args(args: &[&str], config: &std::path::Path) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("db")
        .args(args)
        .arg("-c")
        .arg(config)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs Kea's `kea-admin ACTION` (`db-init`, `lease-dump`,
/// `stats-recount`, ...) on `db`, with `extra` arguments after the
/// connection ones. `Err` says why it could not run (kea-admin missing: a
/// SKIP); a failed run panics with its output.
pub fn kea_admin(db: &Db, action: &str, extra: &[&str]) -> Result<(), String> {
    let (backend, user, password): (&str, &str, &[&str]) = match db.kind {
        Kind::Pg => ("pgsql", "postgres", &[]),
        // A password-less user needs `-p ''`.
        Kind::My => ("mysql", "root", &["-p", ""]),
    };
    let run = |bin: &str| {
        Command::new(bin)
            .args([action, backend, "-u", user])
            .args(password)
            .args(["-n", &db.opts.name, "-h", "127.0.0.1"])
            .args(extra)
            .output()
    };
    let out = run("kea-admin")
        .or_else(|_| run("/usr/sbin/kea-admin"))
        .map_err(|e| format!("kea-admin (package kea-admin) not found: {e}"))?;
    assert!(
        out.status.success(),
        "kea-admin {action}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// Kea's own `kea-admin db-init` on `db` (Kea 2.2's schema); see
/// [`kea_admin`].
pub fn kea_admin_init(db: &Db) -> Result<(), String> {
    kea_admin(db, "db-init", &[])
}

/// One client's DORA, started again after a NAK or a lost reply (the other
/// server may have taken the offered address meanwhile: both servers'
/// allocators walk the pool in the same order, so in this lock-step test a
/// client can lose several races in a row).
pub fn dora_retrying(c: &mut Client, relay: &Relay) -> Option<Ipv4Addr> {
    dora_retrying_naks(c, relay).0
}

/// [`dora_retrying`], also returning how many REQUESTs were NAKed on the
/// way (each a race lost to another server, which the server counts).
pub fn dora_retrying_naks(c: &mut Client, relay: &Relay) -> (Option<Ipv4Addr>, usize) {
    let mut naks = 0;
    for _ in 0..40 {
        let Some(offer) = relay.exchange(&c.discover()) else {
            continue;
        };
        let Some(sid) = server_id(&offer) else {
            continue;
        };
        match relay.exchange(&c.request_selecting(offer.yiaddr(), sid)) {
            Some(ack) if msg_type(&ack) == Some(MessageType::Ack) => {
                return (Some(ack.yiaddr()), naks)
            }
            Some(nak) if msg_type(&nak) == Some(MessageType::Nak) => naks += 1,
            _ => {}
        }
    }
    (None, naks)
}

/// `per_server` clients behind each of `sides` (relay address, server
/// port) at once, one thread per side, each client's DORA retried until it
/// is ACKed (clients are numbered from 10, side after side): (side,
/// client, address) for each.
pub fn doras_at_once(sides: &[(Ipv4Addr, u16)], per_server: u8) -> Vec<(u8, u8, Ipv4Addr)> {
    first_tries_at_once(sides, per_server)
        .into_iter()
        .map(|t| (t.side, t.n, t.addr))
        .collect()
}

/// One client's DORA in [`first_tries_at_once`]: its first REQUEST's
/// answer kept, then retried (new DISCOVER) until ACKed.
pub struct FirstTry {
    /// Which of the `sides` (server) it went through.
    pub side: u8,
    /// The client ([`Client::new`]'s number).
    pub n: u8,
    /// The address it got in the end.
    pub addr: Ipv4Addr,
    /// ACKed at the first REQUEST.
    pub acked: bool,
    /// NAKed at the first REQUEST.
    pub naked: bool,
    /// NAKs of the retries (a client may lose a second race).
    pub retry_naks: usize,
}

/// `per_server` clients through each relay of `sides` (relay address,
/// server port), the sides at once (each side's clients one after the
/// other), recording whether each first REQUEST was ACKed: the measure of
/// how often servers sharing a database race for one address.
pub fn first_tries_at_once(sides: &[(Ipv4Addr, u16)], per_server: u8) -> Vec<FirstTry> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = sides
            .iter()
            .enumerate()
            .map(|(side, &(addr, port))| {
                let side = u8::try_from(side).unwrap();
                scope.spawn(move || {
                    let relay = Relay::new(addr, port);
                    (0..per_server)
                        .map(|i| {
                            let n = 10 + side * per_server + i;
                            let mut c = Client::new(n, addr);
                            let offer = relay.exchange(&c.discover()).expect("offer");
                            let sid = server_id(&offer).unwrap();
                            let first = relay.exchange(&c.request_selecting(offer.yiaddr(), sid));
                            let kind = first.as_ref().and_then(msg_type);
                            let (acked, naked) = (
                                kind == Some(MessageType::Ack),
                                kind == Some(MessageType::Nak),
                            );
                            let (addr, retry_naks) = match first {
                                Some(ack) if acked => (ack.yiaddr(), 0),
                                _ => {
                                    let (got, naks) = dora_retrying_naks(&mut c, &relay);
                                    (got.unwrap_or_else(|| panic!("client {n}: no ACK")), naks)
                                }
                            };
                            FirstTry {
                                side,
                                n,
                                addr,
                                acked,
                                naked,
                                retry_naks,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// The rows `sql` selects on `db`, read with the database's command-line
/// client (psql, mariadb): the values of all rows separated by single
/// spaces.
pub fn query(db: &Db, sql: &str) -> String {
    let out = match db.kind {
        Kind::Pg => Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-F",
                " ",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
            ])
            .arg(&db.opts.name)
            .args(["-c", sql])
            .output(),
        Kind::My => Command::new("mariadb")
            .args(["-N", "-h", "127.0.0.1", "-u", "root", "-D"])
            .arg(&db.opts.name)
            .args(["-e", sql])
            .output(),
    }
    .expect("database command-line client (postgresql-client / mariadb-client)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}
