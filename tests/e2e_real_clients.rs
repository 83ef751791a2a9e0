//! Real DHCP clients (ISC dhclient, busybox udhcpc, dhcpcd) against ruru on
//! directly attached links — no relay — in network namespaces the tests
//! create and remove.
//!
//! Topology of one test ("lab"):
//!
//! ```text
//!   server netns: bridge rb<id> 192.0.2.1/24  <- ruru serve -c CFG (ports 67/68)
//!        |-- veth rs<id><n>  ==  veth rc<id><n> (no address)   client netns n
//! ```
//!
//! The DHCPv6 tests (`dhclient6`, `dhcpcd6`, at the end) use the same lab
//! with IPv6 instead (`Lab::new6`): the bridge has 2001:db8:1::1/64 and its
//! link-local address, ruru serves a `Dhcp6` config on port 547, the
//! clients run `dhclient -6` / dhcpcd's `ia_na`/`ia_pd` on 546.
//!
//! Everything lives in namespaces created here (the veth pairs are created
//! directly inside them and never appear in the host namespace), with
//! documentation addresses only. The `Lab` guard kills what it started and
//! deletes its namespaces and `/etc/netns/<ns>` even when a test panics.
//!
//! Each client runs through `ip netns exec NS unshare --uts` and a small
//! wrapper (`CLIENT_WRAPPER`): `/etc` is an overlay whose writes land in the
//! test's temp directory, `/etc/resolv.conf` is `/etc/netns/NS/resolv.conf`
//! (so the client's DNS changes land there and the tests assert on them),
//! `/run` and `/var/lib/dhcpcd` are per-client temp directories (pid files,
//! control sockets, lease databases; hooks that look at /run/systemd find
//! nothing), and hostname changes stay in the UTS namespace. Nothing a client
//! or its scripts write reaches the host.
//!
//! Requirements: root, ip(8), unshare(1) and the client binaries. Otherwise
//! the tests print SKIP (and fail when RURU_REQUIRE_ALL=1).
//!
//! `RURU_E2E_DUMP=1` prints the server log, the client logs, their
//! resolv.conf and the lease file at the end of each test (always printed
//! when a test fails).
//!
//! `RURU_E2E_SERVER=kea` runs the same tests against ISC `kea-dhcp4` instead
//! of ruru (to check the tests themselves; Kea's udp sockets do not serve
//! directly attached clients, so only the raw tests are expected to pass).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{csv_rows_for, skip, wait_until, BIN};

const SERVER_ADDR: &str = "192.0.2.1";
/// The server's address on the bridge of a DHCPv6 lab.
const SERVER_ADDR6_CIDR: &str = "2001:db8:1::1/64";
const RESERVED: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
/// Client n's MAC; the last node of a lab with a reservation gets `RESERVED_MAC`.
const RESERVED_MAC: &str = "02:72:75:00:00:aa";
/// How long a client may take to get a lease.
const BIND_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The clients

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Dhclient,
    Udhcpc,
    Dhcpcd,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Dhclient => "dhclient",
            Kind::Udhcpc => "udhcpc",
            Kind::Dhcpcd => "dhcpcd",
        }
    }

    /// The command that starts the client, or why it cannot run here.
    fn program(self) -> Result<Vec<String>, String> {
        let found = find_program(self.name());
        match (self, found) {
            (_, Some(p)) => Ok(vec![p]),
            // udhcpc may only exist as a busybox applet.
            (Kind::Udhcpc, None) => match find_program("busybox") {
                Some(b) => Ok(vec![b, "udhcpc".into()]),
                None => Err("udhcpc (busybox) is not installed".into()),
            },
            (_, None) => Err(format!(
                "{} is not installed (package {})",
                self.name(),
                match self {
                    Kind::Dhclient => "isc-dhcp-client",
                    Kind::Udhcpc => "udhcpc",
                    Kind::Dhcpcd => "dhcpcd",
                }
            )),
        }
    }

    /// The script the client runs to configure the interface.
    fn script(self) -> Result<Option<String>, String> {
        let candidates: &[&str] = match self {
            Kind::Dhclient => &["/sbin/dhclient-script", "/usr/sbin/dhclient-script"],
            Kind::Udhcpc => &[
                "/etc/udhcpc/default.script",
                "/usr/share/udhcpc/default.script",
            ],
            // dhcpcd configures addresses and routes itself; its default
            // hook script (dhcpcd-run-hooks) writes resolv.conf.
            Kind::Dhcpcd => return Ok(None),
        };
        candidates
            .iter()
            .find(|p| Path::new(p).exists())
            .map(|p| Some((*p).to_string()))
            .ok_or_else(|| format!("{} script not found in {candidates:?}", self.name()))
    }
}

fn find_program(name: &str) -> Option<String> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .map(|p| p.to_string_lossy().into_owned());
    found
}

/// Whether the tests can run here: prints SKIP (or panics under
/// RURU_REQUIRE_ALL=1) and returns false otherwise.
fn prerequisites(test: &str, kind: Kind, v6: bool) -> bool {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string());
    if uid.as_deref() != Some("0") {
        skip(
            test,
            "needs root (network namespaces, veth pairs, ports 67/68)",
        );
        return false;
    }
    for p in ["ip", "unshare", "mount"] {
        if find_program(p).is_none() {
            skip(
                test,
                &format!("{p} is not installed (iproute2 / util-linux)"),
            );
            return false;
        }
    }
    if let Err(e) = kind.program().and_then(|_| kind.script()) {
        skip(test, &e);
        return false;
    }
    let kea = if v6 { "kea-dhcp6" } else { "kea-dhcp4" };
    if server_is_kea() && find_program(kea).is_none() {
        skip(
            test,
            &format!("RURU_E2E_SERVER=kea but {kea} is not installed"),
        );
        return false;
    }
    true
}

fn server_is_kea() -> bool {
    std::env::var("RURU_E2E_SERVER").as_deref() == Ok("kea")
}

// ---------------------------------------------------------------------------
// Commands

/// Runs `prog args`, panicking with its stderr when it fails.
fn run(prog: &str, args: &[&str]) -> String {
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{prog} {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{prog} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `prog args`, ignoring failures (cleanup).
fn run_quiet(prog: &str, args: &[&str]) -> String {
    Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// Waits for `child` to exit; kills it after `timeout`. True if it exited.
fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

fn signal(pid: u32, sig: &str) {
    run_quiet("kill", &[sig, &pid.to_string()]);
}

// ---------------------------------------------------------------------------
// The lab: namespaces, bridge, veths, server and clients

/// Runs a client command inside `ip netns exec NS unshare --uts`, which
/// gives it a private mount namespace (mounts made here never reach the
/// host) with `/etc/netns/NS/resolv.conf` bound over `/etc/resolv.conf`.
/// Arguments: `$1` the client's run dir, `$2` its dhcpcd database dir, `$3`
/// an overlay dir, `$4` `/etc/netns/NS/resolv.conf`, then the command.
///
/// - `/etc` becomes an overlay whose writes land in `$3` (dhclient-script,
///   for one, writes its temporary resolv.conf next to `/etc/resolv.conf`);
///   `/etc/resolv.conf` in it is made a plain file (it may be a symlink into
///   /run on the host) and `$4` is bound over it again. Without overlayfs
///   the client still gets ip's bind mount of `$4`.
/// - `/run` and `/var/lib/dhcpcd` are the client's own directories: pid
///   files, control sockets, lease databases; hooks that look for
///   /run/systemd find nothing to change.
/// - `mount -n` keeps mount(8) from writing /run/mount/utab on the host.
const CLIENT_WRAPPER: &str = r#"set -e
# Hold on to the real resolv.conf: under the overlay, $4 would be a copy.
: > "$3/resolv.conf"
mount -n --bind "$4" "$3/resolv.conf"
if mount -n -t overlay overlay -o "lowerdir=/etc,upperdir=$3/up,workdir=$3/work" /etc 2>/dev/null; then
    rm -f /etc/resolv.conf
    : > /etc/resolv.conf
    mount -n --bind "$3/resolv.conf" /etc/resolv.conf
fi
mount -n --bind "$1" /run
if [ -d /var/lib/dhcpcd ]; then mount -n --bind "$2" /var/lib/dhcpcd; fi
shift 4
exec "$@"
"#;

static LABS: AtomicU32 = AtomicU32::new(0);

struct Node {
    ns: String,
    ifname: String,
    mac: String,
    /// Per-client state: run/ (bound over /run), db/ (over /var/lib/dhcpcd),
    /// config, lease and pid files, the client's log.
    dir: PathBuf,
    child: Option<Child>,
    /// DHCPv6 labs: the client asks for a delegated prefix (dhclient `-P`,
    /// dhcpcd `ia_pd`), and dhcpcd's downstream interface for it.
    pd: bool,
    pd_if: Option<String>,
    /// Lines added to dhclient's configuration (e.g. a vendor class).
    dhclient_extra: String,
}

struct Daemon {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

struct Lab {
    test: String,
    kind: Kind,
    /// A DHCPv6 lab: IPv6 on the link, `Dhcp6` config, the clients' `-6`
    /// modes (see "DHCPv6" below).
    v6: bool,
    dir: tempfile::TempDir,
    srv_ns: String,
    bridge: String,
    /// Every namespace created, for cleanup.
    namespaces: Vec<String>,
    nodes: Vec<Node>,
    server: Option<Daemon>,
    /// The log of a server that was stopped.
    old_server_log: Vec<String>,
    /// Counts client commands (each gets its own /etc overlay).
    overlays: AtomicU32,
}

impl Lab {
    /// Creates the server namespace with its bridge and `n` client
    /// namespaces. With `reserved_last`, the last client has RESERVED_MAC.
    fn new(test: &str, kind: Kind, n: usize, reserved_last: bool) -> Option<Lab> {
        Self::build(test, kind, n, reserved_last, false)
    }

    /// A DHCPv6 lab: the bridge has 2001:db8:1::1/64 (and its link-local
    /// address), the namespaces keep IPv6 with duplicate address detection
    /// off (no delays before addresses are usable).
    fn new6(test: &str, kind: Kind, n: usize) -> Option<Lab> {
        Self::build(test, kind, n, false, true)
    }

    fn build(test: &str, kind: Kind, n: usize, reserved_last: bool, v6: bool) -> Option<Lab> {
        if !prerequisites(test, kind, v6) {
            return None;
        }
        let pid = std::process::id();
        let k = LABS.fetch_add(1, Ordering::SeqCst);
        // Short id for interface names (<= 15 chars): rb + 6 hex + 1.
        let id = format!("{:04x}{:02x}", pid & 0xffff, k & 0xff);
        let dir = tempfile::tempdir().unwrap();
        let mut lab = Lab {
            test: test.to_string(),
            kind,
            v6,
            dir,
            srv_ns: format!("rurut-{pid}-{k}-s"),
            bridge: format!("rb{id}"),
            namespaces: Vec::new(),
            nodes: Vec::new(),
            server: None,
            old_server_log: Vec::new(),
            overlays: AtomicU32::new(0),
        };
        lab.add_ns(&lab.srv_ns.clone());
        let s = lab.srv_ns.clone();
        run("ip", &["-n", &s, "link", "set", "lo", "up"]);
        run(
            "ip",
            &[
                "-n",
                &s,
                "link",
                "add",
                &lab.bridge,
                "type",
                "bridge",
                "forward_delay",
                "0",
            ],
        );
        if v6 {
            run(
                "ip",
                &[
                    "-n",
                    &s,
                    "addr",
                    "add",
                    SERVER_ADDR6_CIDR,
                    "dev",
                    &lab.bridge,
                    "nodad",
                ],
            );
        } else {
            run(
                "ip",
                &["-n", &s, "addr", "add", "192.0.2.1/24", "dev", &lab.bridge],
            );
        }
        run("ip", &["-n", &s, "link", "set", &lab.bridge, "up"]);
        for i in 0..n {
            let ns = format!("rurut-{pid}-{k}-c{i}");
            lab.add_ns(&ns);
            let ifname = format!("rc{id}{i}");
            let peer = format!("rs{id}{i}");
            let mac = if reserved_last && i == n - 1 {
                RESERVED_MAC.to_string()
            } else {
                format!("02:72:75:00:00:{:02x}", i + 1)
            };
            // Created directly inside the namespaces.
            run(
                "ip",
                &[
                    "link", "add", &ifname, "netns", &ns, "type", "veth", "peer", "name", &peer,
                    "netns", &s,
                ],
            );
            run(
                "ip",
                &["-n", &s, "link", "set", &peer, "master", &lab.bridge],
            );
            run("ip", &["-n", &s, "link", "set", &peer, "up"]);
            run("ip", &["-n", &ns, "link", "set", "lo", "up"]);
            run("ip", &["-n", &ns, "link", "set", &ifname, "address", &mac]);
            run("ip", &["-n", &ns, "link", "set", &ifname, "up"]);
            let ndir = lab.dir.path().join(format!("c{i}"));
            for d in ["run", "db"] {
                std::fs::create_dir_all(ndir.join(d)).unwrap();
            }
            lab.nodes.push(Node {
                ns,
                ifname,
                mac,
                dir: ndir,
                child: None,
                pd: false,
                pd_if: None,
                dhclient_extra: String::new(),
            });
        }
        Some(lab)
    }

    fn add_ns(&mut self, ns: &str) {
        run("ip", &["netns", "add", ns]);
        self.namespaces.push(ns.to_string());
        // `ip netns exec` bind-mounts this over /etc/resolv.conf.
        let etc = Path::new("/etc/netns").join(ns);
        // (Retried: a parallel test may be removing an empty /etc/netns.)
        let made = (0..20).any(|_| {
            let ok = std::fs::create_dir_all(&etc)
                .and_then(|_| std::fs::write(etc.join("resolv.conf"), ""))
                .is_ok();
            if !ok {
                std::thread::sleep(Duration::from_millis(20));
            }
            ok
        });
        assert!(made, "cannot create {}", etc.display());
        // v4 labs: IPv4 only, no IPv6 link-local/DAD traffic or DHCPv6
        // attempts. v6 labs: no duplicate address detection (addresses are
        // usable at once) and no router solicitations.
        let sysctls: &[&str] = if self.v6 {
            &[
                "net.ipv6.conf.all.accept_dad=0",
                "net.ipv6.conf.default.accept_dad=0",
                "net.ipv6.conf.all.router_solicitations=0",
                "net.ipv6.conf.default.router_solicitations=0",
            ]
        } else {
            &[
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ]
        };
        for k in sysctls {
            run_quiet("ip", &["netns", "exec", ns, "sysctl", "-qw", k]);
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn lease_file(&self) -> String {
        let name = if self.v6 {
            "leases6.csv"
        } else {
            "leases4.csv"
        };
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// The Kea-format config: the bridge, `socket` ("raw" or "udp"), a pool
    /// and, optionally, the reservation of RESERVED for RESERVED_MAC.
    fn config(&self, socket: &str, pool: &str, reservation: bool) -> String {
        let br = &self.bridge;
        let dir = self.dir.path().display();
        let res = if reservation {
            format!(
                r#", "reservations": [ {{ "hw-address": "{RESERVED_MAC}", "ip-address": "{RESERVED}" }} ]"#
            )
        } else {
            String::new()
        };
        format!(
            r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": [ "{br}" ], "dhcp-socket-type": "{socket}" }},
    "lease-database": {{ "type": "memfile", "name": "{dir}/leases4.csv", "lfc-interval": 0 }},
    "valid-lifetime": 20, "renew-timer": 5, "rebind-timer": 15,
    "subnet4": [ {{
      "id": 1, "subnet": "192.0.2.0/24", "interface": "{br}",
      "pools": [ {{ "pool": "{pool}" }} ],
      "option-data": [
        {{ "name": "routers", "data": "{SERVER_ADDR}" }},
        {{ "name": "domain-name-servers", "data": "192.0.2.53" }},
        {{ "name": "domain-name", "data": "example.test" }}
      ]{res}
    }} ],
    "loggers": [ {{ "name": "kea-dhcp4", "severity": "DEBUG", "debuglevel": 0,
                   "output_options": [ {{ "output": "stdout" }} ] }} ]
  }}
}}"#
        )
    }

    /// Starts ruru (or kea-dhcp4/6 with RURU_E2E_SERVER=kea) in the server
    /// namespace on the standard ports and waits until it is ready.
    fn start_server(&mut self, config: &str) {
        let cfg = self.path("server.json");
        std::fs::write(&cfg, config).unwrap();
        let cfg = cfg.to_str().unwrap().to_string();
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.srv_ns]);
        let ready = if server_is_kea() {
            cmd.arg("env")
                .arg(format!("KEA_PIDFILE_DIR={}", self.dir.path().display()))
                .arg(format!("KEA_LOCKFILE_DIR={}", self.dir.path().display()))
                .args([if self.v6 { "kea-dhcp6" } else { "kea-dhcp4" }, "-c", &cfg]);
            if self.v6 {
                "DHCP6_STARTED"
            } else {
                "DHCP4_STARTED"
            }
        } else {
            cmd.args([BIN, "serve", "-c", &cfg]);
            "ruru ready"
        };
        let mut child = cmd
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the server");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        for (out, tx) in [
            (
                Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
                tx.clone(),
            ),
            (Box::new(child.stderr.take().unwrap()), tx),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if line.contains(ready) {
                        let _ = tx.send(true);
                    }
                    log.lock().unwrap().push(line);
                }
                let _ = tx.send(false);
            });
        }
        let ok = matches!(rx.recv_timeout(Duration::from_secs(20)), Ok(true));
        self.server = Some(Daemon { child, log });
        assert!(ok, "the server did not start:\n{}", self.server_log());
    }

    fn server_log(&self) -> String {
        match &self.server {
            Some(d) => d.log.lock().unwrap().join("\n"),
            None => self.old_server_log.join("\n"),
        }
    }

    /// SIGTERM the server and wait; returns its log.
    fn stop_server(&mut self) -> Vec<String> {
        let Some(mut d) = self.server.take() else {
            return Vec::new();
        };
        signal(d.child.id(), "-TERM");
        let exited = wait_exit(&mut d.child, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(100));
        let log = d.log.lock().unwrap().clone();
        self.old_server_log = log.clone();
        assert!(
            exited,
            "the server did not stop on SIGTERM:\n{}",
            log.join("\n")
        );
        log
    }

    // --- clients ---

    /// A command run in client `i`'s namespace with its own /run and
    /// /var/lib/dhcpcd, and its own UTS namespace.
    fn client_command(&self, i: usize, argv: &[String]) -> Command {
        let n = &self.nodes[i];
        // A fresh overlay per command (two overlays must not share an
        // upper directory).
        let k = self.overlays.fetch_add(1, Ordering::SeqCst);
        let ov = n.dir.join(format!("etc-overlay{k}"));
        for d in ["up", "work"] {
            std::fs::create_dir_all(ov.join(d)).unwrap();
        }
        let resolv = Path::new("/etc/netns").join(&n.ns).join("resolv.conf");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &n.ns, "unshare", "--uts", "sh", "-c"])
            .arg(CLIENT_WRAPPER)
            .arg("sh")
            .arg(n.dir.join("run"))
            .arg(n.dir.join("db"))
            .arg(&ov)
            .arg(&resolv)
            .args(argv)
            .current_dir(&n.dir)
            .stdin(Stdio::null());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(n.dir.join("client.log"))
            .unwrap();
        cmd.stdout(log.try_clone().unwrap()).stderr(log);
        cmd
    }

    fn f(&self, i: usize, name: &str) -> String {
        self.nodes[i].dir.join(name).to_string_lossy().into_owned()
    }

    /// The client's command line (without release flags).
    fn client_argv(&self, i: usize) -> Vec<String> {
        if self.v6 {
            return self.client_argv6(i);
        }
        let n = &self.nodes[i];
        let mut argv = self.kind.program().unwrap();
        let script = self.kind.script().unwrap();
        let s = |x: &str| x.to_string();
        match self.kind {
            Kind::Dhclient => {
                // Short retry timers so that a test does not wait for
                // dhclient's default backoff; everything else is stock.
                std::fs::write(
                    self.f(i, "dhclient.conf"),
                    format!(
                        "initial-interval 1;\nbackoff-cutoff 2;\ntimeout 30;\nretry 5;\n\
                         request subnet-mask, broadcast-address, routers, domain-name,\n\
                         \tdomain-name-servers, domain-search, host-name, interface-mtu;\n{}",
                        n.dhclient_extra
                    ),
                )
                .unwrap();
                argv.extend([
                    s("-4"),
                    s("-d"),
                    s("-v"),
                    s("-cf"),
                    self.f(i, "dhclient.conf"),
                    s("-lf"),
                    self.f(i, "dhclient.leases"),
                    s("-pf"),
                    self.f(i, "dhclient.pid"),
                    s("-sf"),
                    script.unwrap(),
                    n.ifname.clone(),
                ]);
            }
            Kind::Udhcpc => {
                argv.extend([
                    s("-f"),
                    s("-i"),
                    n.ifname.clone(),
                    s("-s"),
                    script.unwrap(),
                    s("-p"),
                    self.f(i, "udhcpc.pid"),
                    // discover: 5 tries, 2 s apart, then wait 3 s and retry
                    s("-t"),
                    s("5"),
                    s("-T"),
                    s("2"),
                    s("-A"),
                    s("3"),
                ]);
            }
            Kind::Dhcpcd => {
                // Only the resolv.conf hook: no hostname or NTP changes.
                std::fs::write(
                    self.f(i, "dhcpcd.conf"),
                    "noipv4ll\n\
                     option domain_name_servers, domain_name, domain_search, interface_mtu\n\
                     nohook hostname, ntp-common.conf, chrony.conf, timesyncd.conf, openntpd.conf, test\n\
                     timeout 30\n",
                )
                .unwrap();
                argv.extend([
                    s("-4"),
                    s("-B"),
                    s("-d"),
                    s("-f"),
                    self.f(i, "dhcpcd.conf"),
                    n.ifname.clone(),
                ]);
            }
        }
        argv
    }

    fn start_client(&mut self, i: usize) {
        assert!(self.nodes[i].child.is_none(), "client {i} already running");
        let argv = self.client_argv(i);
        let child = self
            .client_command(i, &argv)
            .spawn()
            .expect("start the client");
        self.nodes[i].child = Some(child);
    }

    /// The IPv4 address on client `i`'s interface, if any.
    fn address(&self, i: usize) -> Option<Ipv4Addr> {
        let n = &self.nodes[i];
        let out = run_quiet(
            "ip",
            &["-n", &n.ns, "-4", "-o", "addr", "show", "dev", &n.ifname],
        );
        out.split_whitespace()
            .skip_while(|w| *w != "inet")
            .nth(1)
            .and_then(|a| a.split('/').next()?.parse().ok())
    }

    fn wait_bound(&self, i: usize) -> Ipv4Addr {
        let mut got = None;
        wait_until(BIND_TIMEOUT, || {
            got = self.address(i);
            got.is_some()
        });
        got.unwrap_or_else(|| panic!("client {i} ({}) got no address", self.kind.name()))
    }

    fn resolv_conf(&self, i: usize) -> String {
        std::fs::read_to_string(
            Path::new("/etc/netns")
                .join(&self.nodes[i].ns)
                .join("resolv.conf"),
        )
        .unwrap_or_default()
    }

    fn default_route(&self, i: usize) -> String {
        run_quiet(
            "ip",
            &["-n", &self.nodes[i].ns, "-4", "route", "show", "default"],
        )
    }

    fn client_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.nodes[i].dir.join("client.log")).unwrap_or_default()
    }

    /// Stops client `i` without releasing (SIGTERM: none of the three
    /// releases on it by default), then removes what it configured, as a
    /// reboot would.
    fn stop_client(&mut self, i: usize) {
        if let Some(mut c) = self.nodes[i].child.take() {
            signal(c.id(), "-TERM");
            // The client's own shutdown (its hook scripts) can take longer
            // than 10 s when the machine is loaded; SIGKILL does not
            // release either, which is all this step needs.
            if !wait_exit(&mut c, Duration::from_secs(10)) {
                eprintln!("client {i} did not stop on SIGTERM within 10 s; killing it");
                signal(c.id(), "-KILL");
                assert!(
                    wait_exit(&mut c, Duration::from_secs(10)),
                    "client {i} did not stop on SIGKILL"
                );
            }
        }
        let n = &self.nodes[i];
        run_quiet(
            "ip",
            &["-n", &n.ns, "-4", "addr", "flush", "dev", &n.ifname],
        );
        run_quiet(
            "ip",
            &[
                "-n", &n.ns, "-6", "addr", "flush", "dev", &n.ifname, "scope", "global",
            ],
        );
        run_quiet(
            "ip",
            &["-n", &n.ns, "-4", "route", "flush", "dev", &n.ifname],
        );
    }

    /// Makes client `i` release its lease the way its users do.
    fn release(&mut self, i: usize) {
        match self.kind {
            Kind::Dhclient | Kind::Dhcpcd => {
                // `dhclient -r` signals the running dhclient (pid file) and
                // sends the RELEASE itself; `dhcpcd -k` asks the running
                // dhcpcd (control socket under our /run) to release and exit.
                let mut argv = self.client_argv(i);
                if self.kind == Kind::Dhcpcd {
                    argv.retain(|a| a != "-B");
                    if self.nodes[i].pd {
                        // dhcpcd runs in manager mode over two interfaces
                        // (pid file /run/dhcpcd/pid): `-k IFNAME` would look
                        // for a per-interface instance, plain `-k` finds it.
                        let n = &self.nodes[i];
                        argv.retain(|a| *a != n.ifname && Some(a) != n.pd_if.as_ref());
                        argv.push("-k".into());
                    } else {
                        let at = argv.len() - 1;
                        argv.insert(at, "-k".into());
                    }
                } else {
                    let at = argv.len() - 1;
                    argv.insert(at, "-r".into());
                }
                let mut r = self.client_command(i, &argv).spawn().unwrap();
                assert!(
                    wait_exit(&mut r, Duration::from_secs(20)),
                    "{} release did not finish",
                    self.kind.name()
                );
                // dhcpcd quirk: `dhcpcd -k` signals the running dhcpcd
                // (SIGALRM) and waits; a signal arriving while dhcpcd runs
                // a hook script (e.g. RENEW6) is sometimes lost. Ask again.
                if self.kind == Kind::Dhcpcd {
                    let gone = |lab: &mut Lab| {
                        lab.nodes[i]
                            .child
                            .as_mut()
                            .is_none_or(|c| matches!(c.try_wait(), Ok(Some(_))))
                    };
                    if !wait_until(Duration::from_secs(5), || gone(self)) {
                        let mut r = self.client_command(i, &argv).spawn().unwrap();
                        wait_exit(&mut r, Duration::from_secs(20));
                    }
                }
                if let Some(mut c) = self.nodes[i].child.take() {
                    assert!(
                        wait_exit(&mut c, Duration::from_secs(10)),
                        "the running {} did not exit after the release",
                        self.kind.name()
                    );
                }
            }
            Kind::Udhcpc => {
                // SIGUSR2: release the lease and deconfigure; udhcpc stays
                // running, idle.
                let pid = self.nodes[i].child.as_ref().unwrap().id();
                signal(pid, "-USR2");
            }
        }
    }

    fn dump(&self) {
        eprintln!("==== {} ({}) server log ====", self.test, self.kind.name());
        eprintln!("{}", self.server_log());
        for (i, n) in self.nodes.iter().enumerate() {
            eprintln!("==== client {i} {} {} {} ====", n.ns, n.ifname, n.mac);
            eprintln!("{}", self.client_log(i));
            eprintln!("-- resolv.conf:\n{}", self.resolv_conf(i));
            let mut files = Vec::new();
            for d in ["", "run", "db", "run/dhcpcd"] {
                if let Ok(rd) = std::fs::read_dir(n.dir.join(d)) {
                    files.extend(
                        rd.flatten()
                            .map(|e| format!("{d}/{}", e.file_name().to_string_lossy())),
                    );
                }
            }
            eprintln!("-- state files: {files:?}");
        }
        eprintln!("==== lease file ====\n{}", self.lease_file());
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if std::thread::panicking() || std::env::var("RURU_E2E_DUMP").as_deref() == Ok("1") {
            self.dump();
        }
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if let Some(mut d) = self.server.take() {
            let _ = d.child.kill();
            let _ = d.child.wait();
        }
        for ns in &self.namespaces {
            // Whatever still runs in our namespaces was started by this test
            // (e.g. a helper a client forked): kill it by pid.
            for _ in 0..20 {
                let pids = run_quiet("ip", &["netns", "pids", ns]);
                let pids: Vec<&str> = pids.split_whitespace().collect();
                if pids.is_empty() {
                    break;
                }
                for p in pids {
                    signal(p.parse().unwrap_or(0).max(1), "-KILL");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            run_quiet("ip", &["netns", "del", ns]);
            let _ = std::fs::remove_dir_all(Path::new("/etc/netns").join(ns));
        }
        // Leave no /etc/netns behind if we created it (fails when not empty).
        let _ = std::fs::remove_dir("/etc/netns");
    }
}

// ---------------------------------------------------------------------------
// Assertions

fn in_pool(a: Ipv4Addr, first: Ipv4Addr, last: Ipv4Addr) -> bool {
    a >= first && a <= last
}

/// The latest lease-file row for `addr`.
fn last_row(lab: &Lab, addr: Ipv4Addr) -> Option<Vec<String>> {
    csv_rows_for(&lab.lease_file(), addr).pop()
}

fn expire_of(row: &[String]) -> i64 {
    row[4].parse().unwrap()
}

/// Case 1: client i's address is `addr`, stored in the server's lease file
/// with the client's MAC and a non-zero lifetime.
fn check_stored(lab: &Lab, i: usize, addr: Ipv4Addr) {
    let ok = wait_until(Duration::from_secs(3), || {
        last_row(lab, addr).is_some_and(|r| r[1] == lab.nodes[i].mac && r[3] != "0")
    });
    assert!(
        ok,
        "no lease row for {addr} / {} in the lease file:\n{}",
        lab.nodes[i].mac,
        lab.lease_file()
    );
}

/// Case 2: router, DNS server and domain reached client i.
fn check_options(lab: &Lab, i: usize) {
    let ok = wait_until(Duration::from_secs(5), || {
        lab.default_route(i)
            .contains(&format!("via {SERVER_ADDR} "))
    });
    assert!(
        ok,
        "no default route via {SERVER_ADDR} in the client namespace: {:?}",
        lab.default_route(i)
    );
    let ok = wait_until(Duration::from_secs(5), || {
        let r = lab.resolv_conf(i);
        r.contains("nameserver 192.0.2.53")
            && r.lines().any(|l| {
                (l.starts_with("search ") || l.starts_with("domain ")) && l.contains("example.test")
            })
    });
    assert!(
        ok,
        "resolv.conf lacks nameserver 192.0.2.53 / example.test:\n{}",
        lab.resolv_conf(i)
    );
}

/// Case 3: the client renews (after T1, or lease/2 for udhcpc) and keeps
/// its address; the server's lease file shows a later expiry.
fn check_renew(lab: &Lab, i: usize, addr: Ipv4Addr) {
    let before = expire_of(&last_row(lab, addr).expect("lease row"));
    let ok = wait_until(Duration::from_secs(25), || {
        last_row(lab, addr).is_some_and(|r| expire_of(&r) > before && r[3] != "0")
    });
    assert!(
        ok,
        "no renewal of {addr} in the lease file within 25 s (expire was {before}):\n{}",
        lab.lease_file()
    );
    assert_eq!(
        lab.address(i),
        Some(addr),
        "the address changed after the renewal"
    );
}

/// Case 4: the release wrote Kea's deletion row (valid_lifetime 0).
fn check_released(lab: &Lab, i: usize, addr: Ipv4Addr) {
    let ok = wait_until(Duration::from_secs(10), || {
        last_row(lab, addr).is_some_and(|r| r[3] == "0")
    });
    assert!(
        ok,
        "no deletion row (valid_lifetime 0) for {addr} after the release:\n{}",
        lab.lease_file()
    );
    let ok = wait_until(Duration::from_secs(5), || lab.address(i).is_none());
    assert!(ok, "the client still has an address after releasing");
}

// ---------------------------------------------------------------------------
// The tests

const POOL_FIRST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 100);
const POOL_LAST: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 150);

/// Cases 1-7 on one topology: clients 0 and 1 from the pool, client 2 with
/// the reserved MAC.
fn full(kind: Kind, socket: &str) {
    let test = format!("{}_{socket}", kind.name());
    let Some(mut lab) = Lab::new(&test, kind, 3, true) else {
        return;
    };
    let cfg = lab.config(socket, "192.0.2.100 - 192.0.2.150", true);
    lab.start_server(&cfg);
    for i in 0..3 {
        lab.start_client(i);
    }
    let a0 = lab.wait_bound(0);
    let a1 = lab.wait_bound(1);
    let a2 = lab.wait_bound(2);

    // 1. an address from the pool, configured and stored
    assert!(in_pool(a0, POOL_FIRST, POOL_LAST), "{a0} not in the pool");
    check_stored(&lab, 0, a0);
    // 5. two clients, two addresses
    assert!(in_pool(a1, POOL_FIRST, POOL_LAST), "{a1} not in the pool");
    assert_ne!(a0, a1, "two clients got the same address");
    check_stored(&lab, 1, a1);
    // 6. the reservation by MAC
    assert_eq!(a2, RESERVED, "the client with the reserved MAC");
    check_stored(&lab, 2, a2);
    // 2. options
    check_options(&lab, 0);
    check_options(&lab, 2);
    // 3. renew
    check_renew(&lab, 0, a0);
    // 7. a restarted client gets its address back
    lab.stop_client(1);
    assert_eq!(lab.address(1), None);
    lab.start_client(1);
    assert_eq!(
        lab.wait_bound(1),
        a1,
        "the restarted client got another address"
    );
    check_stored(&lab, 1, a1);
    // 4. release
    lab.release(0);
    check_released(&lab, 0, a0);

    let log = lab.stop_server();
    assert!(
        !log.iter().any(|l| l.contains("panicked")),
        "the server panicked:\n{}",
        log.join("\n")
    );
}

/// Case 8: a pool of two and three clients. The third gets nothing; the
/// server keeps serving (a restarted client gets its address back).
fn pool_exhausted(kind: Kind, socket: &str) {
    let test = format!("{}_{socket}_pool_of_two", kind.name());
    let Some(mut lab) = Lab::new(&test, kind, 3, false) else {
        return;
    };
    let cfg = lab.config(socket, "192.0.2.100 - 192.0.2.101", false);
    lab.start_server(&cfg);
    lab.start_client(0);
    lab.start_client(1);
    let a0 = lab.wait_bound(0);
    let a1 = lab.wait_bound(1);
    let last = Ipv4Addr::new(192, 0, 2, 101);
    assert!(in_pool(a0, POOL_FIRST, last) && in_pool(a1, POOL_FIRST, last));
    assert_ne!(a0, a1);
    lab.start_client(2);
    std::thread::sleep(Duration::from_secs(8));
    assert_eq!(lab.address(2), None, "the third client got an address");
    assert!(
        lab.lease_file()
            .lines()
            .filter(|l| l.contains(&lab.nodes[2].mac))
            .count()
            == 0,
        "the third client has a lease row:\n{}",
        lab.lease_file()
    );
    // Still serving: client 0 comes back and gets its address.
    lab.stop_client(0);
    lab.start_client(0);
    assert_eq!(lab.wait_bound(0), a0);
    let log = lab.stop_server();
    if !server_is_kea() {
        let fails = common::Server::stat_from_log(&log, "v4-allocation-fail").unwrap_or(0);
        assert!(
            fails > 0,
            "v4-allocation-fail not counted:\n{}",
            log.join("\n")
        );
    }
}

/// Client classification with a real client: dhclient sending a PXE
/// vendor class identifier (option 60) is in the class whose test matches
/// it and gets the class's boot file and TFTP server (option 66); a
/// client without it does not.
#[test]
fn dhclient_pxe_class() {
    let Some(mut lab) = Lab::new("dhclient_pxe_class", Kind::Dhclient, 2, false) else {
        return;
    };
    let mut cfg: serde_json::Value =
        serde_json::from_str(&lab.config("raw", "192.0.2.100 - 192.0.2.150", false)).unwrap();
    cfg["Dhcp4"]["client-classes"] = serde_json::json!([{
        "name": "pxe",
        "test": "substring(option[vendor-class-identifier].hex, 0, 9) == 'PXEClient'",
        "boot-file-name": "pxelinux.0",
        "option-data": [ { "name": "tftp-server-name", "data": "tftp.example" } ]
    }]);
    lab.start_server(&cfg.to_string());
    let want = "request subnet-mask, routers, domain-name-servers, tftp-server-name;\n";
    lab.nodes[0].dhclient_extra =
        format!("send vendor-class-identifier \"PXEClient:Arch:00000:UNDI:002001\";\n{want}");
    lab.nodes[1].dhclient_extra = want.to_string();
    lab.start_client(0);
    lab.start_client(1);
    lab.wait_bound(0);
    lab.wait_bound(1);
    let leases =
        |i: usize| std::fs::read_to_string(lab.f(i, "dhclient.leases")).unwrap_or_default();
    // dhclient writes its lease file after configuring the address.
    let written = |i: usize| leases(i).contains("lease {") && leases(i).contains('}');
    assert!(
        wait_until(Duration::from_secs(10), || written(0) && written(1)),
        "no lease written:\n{}\n{}",
        leases(0),
        leases(1)
    );
    let pxe = leases(0);
    assert!(pxe.contains("filename \"pxelinux.0\";"), "{pxe}");
    assert!(
        pxe.contains("option tftp-server-name \"tftp.example\";"),
        "{pxe}"
    );
    let other = leases(1);
    assert!(
        !other.contains("pxelinux.0") && !other.contains("tftp.example"),
        "{other}"
    );
    lab.stop_server();
}

#[test]
fn dhclient_raw() {
    full(Kind::Dhclient, "raw");
}

#[test]
fn dhclient_udp() {
    full(Kind::Dhclient, "udp");
}

#[test]
fn dhclient_raw_pool_of_two() {
    pool_exhausted(Kind::Dhclient, "raw");
}

#[test]
fn udhcpc_raw() {
    full(Kind::Udhcpc, "raw");
}

#[test]
fn udhcpc_udp() {
    full(Kind::Udhcpc, "udp");
}

#[test]
fn udhcpc_raw_pool_of_two() {
    pool_exhausted(Kind::Udhcpc, "raw");
}

/// Issue 18: with raw sockets, the ACK to a renewing client (sent to its
/// `ciaddr`) is built at the link layer to the query's source, as Kea does:
/// a client that does not answer ARP still gets it. The client is made
/// deaf to ARP (`arp_ignore` 8) and told the server's MAC; the server
/// forgets the client's. Through the kernel's IP stack the ACK would wait
/// for an ARP answer that never comes, and the client would only get an
/// address again after its lease expired (a new DISCOVER).
#[test]
fn udhcpc_raw_renewal_without_arp() {
    let Some(mut lab) = Lab::new("udhcpc_raw_renewal_without_arp", Kind::Udhcpc, 1, false) else {
        return;
    };
    let cfg = lab.config("raw", "192.0.2.100 - 192.0.2.150", false);
    lab.start_server(&cfg);
    lab.start_client(0);
    let a = lab.wait_bound(0);
    let bound_at = Instant::now();
    let (ns, ifname) = (lab.nodes[0].ns.clone(), lab.nodes[0].ifname.clone());
    let (srv, br) = (lab.srv_ns.clone(), lab.bridge.clone());
    let link = run("ip", &["-n", &srv, "-o", "link", "show", "dev", &br]);
    let mac = link
        .split_whitespace()
        .skip_while(|w| *w != "link/ether")
        .nth(1)
        .expect("the bridge's MAC")
        .to_string();
    run(
        "ip",
        &[
            "-n",
            &ns,
            "neigh",
            "replace",
            SERVER_ADDR,
            "lladdr",
            &mac,
            "dev",
            &ifname,
            "nud",
            "permanent",
        ],
    );
    run(
        "ip",
        &[
            "netns",
            "exec",
            &ns,
            "sysctl",
            "-qw",
            &format!("net.ipv4.conf.{ifname}.arp_ignore=8"),
        ],
    );
    run("ip", &["-n", &srv, "neigh", "flush", "dev", &br]);
    let obtained = |log: &str| log.matches("obtained").count();
    let first = obtained(&lab.client_log(0));
    // udhcpc renews well before the lease ends (20 s); a client that got
    // no ACK would start over with a DISCOVER only after that.
    let left = Duration::from_millis(19_500).saturating_sub(bound_at.elapsed());
    let renewed = wait_until(left, || obtained(&lab.client_log(0)) > first);
    let log = lab.client_log(0);
    assert!(
        renewed,
        "no ACK to the renewal within the lease:\n{log}\n{}",
        lab.server_log()
    );
    assert_eq!(
        log.matches("select for").count(),
        1,
        "the client had to start over:\n{log}"
    );
    assert_eq!(lab.address(0), Some(a));
}

#[test]
fn dhcpcd_raw() {
    full(Kind::Dhcpcd, "raw");
}

#[test]
fn dhcpcd_udp() {
    full(Kind::Dhcpcd, "udp");
}

#[test]
fn dhcpcd_raw_pool_of_two() {
    pool_exhausted(Kind::Dhcpcd, "raw");
}

/// Issue 3/4: an interface that does not exist when ruru starts is picked up
/// when it appears (Kea's `service-sockets-max-retries`), and a reload that
/// drops an interface closes its socket while one that adds it back opens
/// it, without a restart.
#[test]
fn interface_appearing_later_and_interface_reload() {
    let Some(mut lab) = Lab::new("iface_lifecycle", Kind::Udhcpc, 1, false) else {
        return;
    };
    let s = lab.srv_ns.clone();
    let old_br = lab.bridge.clone();
    let id = old_br[2..].to_string();
    let new_br = format!("{old_br}n");
    // The clients' link will be `new_br`, which does not exist yet.
    run("ip", &["-n", &s, "addr", "flush", "dev", &old_br]);
    let with = |ifaces: &str| {
        lab.config("raw", "192.0.2.100 - 192.0.2.150", false)
            .replace(
                &format!(r#""interfaces": [ "{old_br}" ]"#),
                &format!(r#""interfaces": [ {ifaces} ], "service-sockets-max-retries": 200, "service-sockets-retry-wait-time": 100"#),
            )
            .replace(&format!(r#""interface": "{old_br}""#), &format!(r#""interface": "{new_br}""#))
    };
    let both = with(&format!(r#""lo", "{new_br}""#));
    let lo_only = with(r#""lo""#);
    lab.start_server(&both);
    assert!(
        lab.server_log().contains("could not open a socket"),
        "{}",
        lab.server_log()
    );

    // The interface appears: a new bridge with the server address, and the
    // client's link moved onto it.
    run(
        "ip",
        &[
            "-n",
            &s,
            "link",
            "add",
            &new_br,
            "type",
            "bridge",
            "forward_delay",
            "0",
        ],
    );
    run(
        "ip",
        &["-n", &s, "addr", "add", "192.0.2.1/24", "dev", &new_br],
    );
    run("ip", &["-n", &s, "link", "set", &new_br, "up"]);
    run(
        "ip",
        &[
            "-n",
            &s,
            "link",
            "set",
            &format!("rs{id}0"),
            "master",
            &new_br,
        ],
    );
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .server_log()
            .contains("socket opened after retry")),
        "{}",
        lab.server_log()
    );
    lab.start_client(0);
    let a = lab.wait_bound(0);
    assert!(in_pool(a, POOL_FIRST, Ipv4Addr::new(192, 0, 2, 150)));

    // Reload without the interface: its socket closes, nothing answers there.
    let pid = lab.server.as_ref().unwrap().child.id();
    let cfg = lab.path("server.json");
    std::fs::write(&cfg, &lo_only).unwrap();
    signal(pid, "-HUP");
    assert!(
        wait_until(Duration::from_secs(10), || lab
            .server_log()
            .contains("socket closed (no longer configured)")),
        "{}",
        lab.server_log()
    );
    lab.stop_client(0);
    lab.start_client(0);
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        lab.address(0),
        None,
        "served on an interface that was removed"
    );

    // Reload with it again: served, same address back, same process.
    std::fs::write(&cfg, &both).unwrap();
    signal(pid, "-HUP");
    assert_eq!(lab.wait_bound(0), a);
    let log = lab.stop_server();
    assert_eq!(
        log.iter()
            .filter(|l| l.contains("configuration applied"))
            .count(),
        2
    );
}

// ---------------------------------------------------------------------------
// DHCPv6: `dhclient -6` (IA_NA, and `-P` for IA_PD) and dhcpcd (`ia_na` and
// `ia_pd`) against a `Dhcp6` config on the same kind of lab. The clients
// multicast to ff02::1:2 from their link-local addresses; ruru answers on
// the bridge from its link-local address. No router advertisements: the
// clients are told to run DHCPv6 without them.

const POOL6_FIRST: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x100);
const POOL6_LAST: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0x1ff);
/// The pd-pool 2001:db8:8::/48, delegated as /56s.
const PD_POOL: (Ipv6Addr, u8) = (Ipv6Addr::new(0x2001, 0xdb8, 8, 0, 0, 0, 0, 0), 48);
const PD_LEN: u8 = 56;

/// Whether `a` lies in `p/len`.
fn in_prefix(a: Ipv6Addr, p: Ipv6Addr, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(a) & mask == u128::from(p) & mask
}

/// `0:1:0:1:32:9c:...` or `00:01:...` as lowercase two-digit hex.
fn norm_hex(s: &str) -> String {
    s.split(':')
        .map(|b| format!("{:02x}", u8::from_str_radix(b, 16).unwrap_or(0)))
        .collect::<Vec<_>>()
        .join(":")
}

impl Lab {
    /// The `Dhcp6` config of the lab: one subnet on the bridge with an
    /// address pool, a pd-pool and DNS options; short lifetimes (renew
    /// after 5 s).
    fn config6(&self) -> String {
        let br = &self.bridge;
        let dir = self.dir.path().display();
        format!(
            r#"{{
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": [ "{br}" ] }},
    "lease-database": {{ "type": "memfile", "name": "{dir}/leases6.csv", "lfc-interval": 0 }},
    "preferred-lifetime": 20, "valid-lifetime": 30, "renew-timer": 5, "rebind-timer": 15,
    "subnet6": [ {{
      "id": 1, "subnet": "2001:db8:1::/64", "interface": "{br}",
      "pools": [ {{ "pool": "{POOL6_FIRST} - {POOL6_LAST}" }} ],
      "pd-pools": [ {{ "prefix": "{}", "prefix-len": {}, "delegated-len": {PD_LEN} }} ],
      "option-data": [
        {{ "name": "dns-servers", "data": "2001:db8::53" }},
        {{ "name": "domain-search", "data": "example.test" }}
      ]
    }} ],
    "loggers": [ {{ "name": "kea-dhcp6", "severity": "DEBUG", "debuglevel": 0,
                   "output_options": [ {{ "output": "stdout" }} ] }} ]
  }}
}}"#,
            PD_POOL.0, PD_POOL.1
        )
    }

    /// Client `i` asks for a delegated prefix too. dhcpcd gets a
    /// downstream interface in its namespace (a veth pair: this kernel
    /// may lack the dummy driver) to put the prefix on.
    fn enable_pd(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        n.pd = true;
        if self.kind == Kind::Dhcpcd {
            let down = format!("rp{}", &n.ifname[2..]);
            let peer = format!("rq{}", &n.ifname[2..]);
            run(
                "ip",
                &[
                    "-n", &n.ns, "link", "add", &down, "type", "veth", "peer", "name", &peer,
                ],
            );
            for d in [&down, &peer] {
                run("ip", &["-n", &n.ns, "link", "set", d, "up"]);
            }
            n.pd_if = Some(down);
        }
    }

    fn client_argv6(&self, i: usize) -> Vec<String> {
        let n = &self.nodes[i];
        let mut argv = self.kind.program().unwrap();
        let s = |x: &str| x.to_string();
        match self.kind {
            Kind::Dhclient => {
                std::fs::write(
                    self.f(i, "dhclient6.conf"),
                    "timeout 30;\nrequest dhcp6.name-servers, dhcp6.domain-search;\n",
                )
                .unwrap();
                argv.push(s("-6"));
                if n.pd {
                    // -P alone: only a prefix, no address.
                    argv.push(s("-P"));
                }
                argv.extend([
                    s("-d"),
                    s("-v"),
                    s("-cf"),
                    self.f(i, "dhclient6.conf"),
                    s("-lf"),
                    self.f(i, "dhclient6.leases"),
                    s("-pf"),
                    self.f(i, "dhclient6.pid"),
                    s("-sf"),
                    self.kind.script().unwrap().unwrap(),
                    n.ifname.clone(),
                ]);
            }
            Kind::Dhcpcd => {
                // `nodev`: /run is private, so libudev finds no database;
                // in manager mode (two interfaces) dhcpcd would otherwise
                // wait forever for udev to "initialise" them. `noipv6rs`:
                // no router advertisement on this link; with `ia_na`
                // configured dhcpcd then starts DHCPv6 by itself.
                let pd = match &n.pd_if {
                    Some(d) => format!("  ia_pd 2 {d}/1\n"),
                    None => String::new(),
                };
                std::fs::write(
                    self.f(i, "dhcpcd6.conf"),
                    format!(
                        "nodev\nipv6only\nnoipv6rs\n\
                         option dhcp6_name_servers, dhcp6_domain_search\n\
                         nohook hostname, ntp-common.conf, chrony.conf, timesyncd.conf, openntpd.conf, test\n\
                         timeout 30\n\
                         interface {}\n  ia_na 1\n{pd}",
                        n.ifname
                    ),
                )
                .unwrap();
                if n.pd_if.is_none() {
                    argv.push(s("-6"));
                }
                argv.extend([s("-B"), s("-d"), s("-f"), self.f(i, "dhcpcd6.conf")]);
                argv.push(n.ifname.clone());
                argv.extend(n.pd_if.clone());
            }
            Kind::Udhcpc => panic!("udhcpc has no DHCPv6"),
        }
        argv
    }

    /// The global IPv6 addresses on `dev` in client `i`'s namespace.
    fn addrs6(&self, i: usize, dev: &str) -> Vec<Ipv6Addr> {
        let out = run_quiet(
            "ip",
            &[
                "-n",
                &self.nodes[i].ns,
                "-6",
                "-o",
                "addr",
                "show",
                "dev",
                dev,
                "scope",
                "global",
            ],
        );
        out.lines()
            .filter_map(|l| {
                l.split_whitespace()
                    .skip_while(|w| *w != "inet6")
                    .nth(1)
                    .and_then(|a| a.split('/').next()?.parse().ok())
            })
            .collect()
    }

    fn address6(&self, i: usize) -> Option<Ipv6Addr> {
        self.addrs6(i, &self.nodes[i].ifname).first().copied()
    }

    fn wait_bound6(&self, i: usize) -> Ipv6Addr {
        let mut got = None;
        wait_until(BIND_TIMEOUT, || {
            got = self.address6(i);
            got.is_some()
        });
        got.unwrap_or_else(|| panic!("client {i} ({} -6) got no address", self.kind.name()))
    }

    /// The client's DUID as it says itself: dhclient's lease file
    /// (`option dhcp6.client-id 0:1:...;`), dhcpcd's log (`DUID 00:01:...`).
    fn client_duid(&self, i: usize) -> Option<String> {
        let (text, key) = match self.kind {
            Kind::Dhclient => (
                std::fs::read_to_string(self.f(i, "dhclient6.leases")).unwrap_or_default(),
                "option dhcp6.client-id ",
            ),
            _ => (self.client_log(i), "DUID "),
        };
        text.lines()
            .filter_map(|l| l.trim().strip_prefix(key))
            .next_back()
            .map(|d| norm_hex(d.trim_end_matches(';').trim()))
    }

    /// The delegated prefix the client reports: dhclient's lease file
    /// (`iaprefix P/56 {`), dhcpcd's log (`delegated prefix P/56`).
    fn client_prefix(&self, i: usize) -> Option<(Ipv6Addr, u8)> {
        let (text, key) = match self.kind {
            Kind::Dhclient => (
                std::fs::read_to_string(self.f(i, "dhclient6.leases")).unwrap_or_default(),
                "iaprefix ",
            ),
            _ => (self.client_log(i), "delegated prefix "),
        };
        let found = text
            .lines()
            .filter_map(|l| l.split_once(key).map(|(_, r)| r))
            .filter_map(|r| {
                let (p, len) = r.split_whitespace().next()?.split_once('/')?;
                Some((p.parse().ok()?, len.parse().ok()?))
            })
            .next_back();
        found
    }
}

/// The latest leases6 row for `addr` (an address or a prefix).
fn last_row6(lab: &Lab, addr: Ipv6Addr) -> Option<Vec<String>> {
    let a = addr.to_string();
    lab.lease_file()
        .lines()
        .filter(|l| l.split(',').next() == Some(a.as_str()))
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .next_back()
}

/// A live leases6 row (valid lifetime > 0) for `addr` of `lease_type`
/// (0 IA_NA, 2 IA_PD) and `prefix_len`, owned by client `i`'s DUID.
fn check_stored6(lab: &Lab, i: usize, addr: Ipv6Addr, lease_type: &str, prefix_len: u8) {
    let duid = lab.client_duid(i);
    assert!(
        duid.is_some(),
        "client {i}'s DUID not found in its lease file / log"
    );
    let ok = wait_until(Duration::from_secs(3), || {
        last_row6(lab, addr).is_some_and(|r| {
            Some(&r[1]) == duid.as_ref()
                && r[2] != "0"
                && r[6] == lease_type
                && r[8] == prefix_len.to_string()
        })
    });
    assert!(
        ok,
        "no live row for {addr}/{prefix_len} (type {lease_type}) with DUID {duid:?}:\n{}",
        lab.lease_file()
    );
}

/// DNS servers and the search list reached client `i`'s resolv.conf.
fn check_options6(lab: &Lab, i: usize) {
    let ok = wait_until(Duration::from_secs(5), || {
        let r = lab.resolv_conf(i);
        r.contains("nameserver 2001:db8::53")
            && r.lines()
                .any(|l| l.starts_with("search ") && l.contains("example.test"))
    });
    assert!(
        ok,
        "resolv.conf lacks nameserver 2001:db8::53 / search example.test:\n{}",
        lab.resolv_conf(i)
    );
}

/// The client renews at T1 (5 s): a later expiry in the lease file, the
/// same address on the interface.
fn check_renew6(lab: &Lab, i: usize, addr: Ipv6Addr) {
    let expire = |r: &[String]| r[3].parse::<i64>().unwrap();
    let before = expire(&last_row6(lab, addr).expect("lease row"));
    let ok = wait_until(Duration::from_secs(15), || {
        last_row6(lab, addr).is_some_and(|r| expire(&r) > before && r[2] != "0")
    });
    assert!(
        ok,
        "no renewal of {addr} within 15 s (expire was {before}):\n{}",
        lab.lease_file()
    );
    assert_eq!(lab.address6(i), Some(addr), "the address changed");
}

/// The release wrote the deletion row (valid lifetime 0) for `addr`.
fn check_released6(lab: &Lab, addr: Ipv6Addr) {
    let ok = wait_until(Duration::from_secs(10), || {
        last_row6(lab, addr).is_some_and(|r| r[2] == "0")
    });
    assert!(
        ok,
        "no deletion row (valid_lifetime 0) for {addr} after the release:\n{}",
        lab.lease_file()
    );
}

/// Stops the server; checks it did not panic; returns its log.
fn server_ok(lab: &mut Lab) -> Vec<String> {
    let log = lab.stop_server();
    assert!(
        !log.iter().any(|l| l.contains("panicked")),
        "the server panicked:\n{}",
        log.join("\n")
    );
    log
}

/// dhclient -6: client 0 asks for an address (IA_NA), client 1 for a
/// prefix only (`-P`, IA_PD). Address, DNS options, renewal, a restart
/// (dhclient confirms its lease: Confirm), release of both.
#[test]
fn dhclient6() {
    let Some(mut lab) = Lab::new6("dhclient6", Kind::Dhclient, 2) else {
        return;
    };
    lab.enable_pd(1);
    let cfg = lab.config6();
    lab.start_server(&cfg);
    lab.start_client(0);
    lab.start_client(1);

    // an address from the pool, configured and stored under the DUID
    let a0 = lab.wait_bound6(0);
    assert!(
        (POOL6_FIRST..=POOL6_LAST).contains(&a0),
        "{a0} not in the pool"
    );
    check_stored6(&lab, 0, a0, "0", 128);
    check_options6(&lab, 0);

    // a delegated /56 from the pd-pool, in dhclient's lease file and ours
    let mut pfx = None;
    assert!(
        wait_until(BIND_TIMEOUT, || {
            pfx = lab.client_prefix(1);
            pfx.is_some()
        }),
        "dhclient -P got no prefix"
    );
    let (p1, len) = pfx.unwrap();
    assert_eq!(len, PD_LEN);
    assert!(
        in_prefix(p1, PD_POOL.0, PD_POOL.1),
        "{p1} not in the pd-pool"
    );
    check_stored6(&lab, 1, p1, "2", PD_LEN);
    assert_eq!(lab.address6(1), None, "-P alone configured an address");

    // renewal
    check_renew6(&lab, 0, a0);

    // restart with the lease file: dhclient confirms (Confirm) and keeps it
    lab.stop_client(0);
    assert_eq!(lab.address6(0), None);
    lab.start_client(0);
    assert_eq!(lab.wait_bound6(0), a0, "another address after a restart");

    // release
    lab.release(0);
    check_released6(&lab, a0);
    assert!(
        wait_until(Duration::from_secs(5), || lab.address6(0).is_none()),
        "dhclient -6 -r left the address"
    );
    lab.release(1);
    check_released6(&lab, p1);
    let log = server_ok(&mut lab);
    if !server_is_kea() {
        let stat = |n| common::Server::stat_from_log(&log, n).unwrap_or(0);
        assert!(stat("pkt6-confirm-received") >= 1, "no Confirm counted");
        assert_eq!(stat("subnet[1].assigned-nas"), 0, "{}", log.join("\n"));
        assert_eq!(stat("subnet[1].assigned-pds"), 0, "{}", log.join("\n"));
    }
}

/// dhcpcd with `ia_na` and `ia_pd`: an address, DNS options, a delegated
/// prefix put on its downstream interface, renewal, release (`dhcpcd -k`)
/// of both.
#[test]
fn dhcpcd6() {
    let Some(mut lab) = Lab::new6("dhcpcd6", Kind::Dhcpcd, 1) else {
        return;
    };
    lab.enable_pd(0);
    // The server starts while its interface is down and has no address
    // (as at boot): the socket and the ff02::1:2 membership must still
    // work once the link comes up.
    let (s, br) = (lab.srv_ns.clone(), lab.bridge.clone());
    run("ip", &["-n", &s, "link", "set", &br, "down"]);
    run("ip", &["-n", &s, "addr", "flush", "dev", &br]);
    let cfg = lab.config6();
    lab.start_server(&cfg);
    run(
        "ip",
        &[
            "-n",
            &s,
            "addr",
            "add",
            SERVER_ADDR6_CIDR,
            "dev",
            &br,
            "nodad",
        ],
    );
    run("ip", &["-n", &s, "link", "set", &br, "up"]);
    lab.start_client(0);

    let a = lab.wait_bound6(0);
    assert!(
        (POOL6_FIRST..=POOL6_LAST).contains(&a),
        "{a} not in the pool"
    );
    check_stored6(&lab, 0, a, "0", 128);
    check_options6(&lab, 0);

    let mut pfx = None;
    assert!(
        wait_until(Duration::from_secs(10), || {
            pfx = lab.client_prefix(0);
            pfx.is_some()
        }),
        "dhcpcd logged no delegated prefix"
    );
    let (p, len) = pfx.unwrap();
    assert_eq!(len, PD_LEN);
    assert!(in_prefix(p, PD_POOL.0, PD_POOL.1), "{p} not in the pd-pool");
    check_stored6(&lab, 0, p, "2", PD_LEN);
    // sla_id 1 of the /56 on the downstream interface, as a /64
    let down = lab.nodes[0].pd_if.clone().unwrap();
    assert!(
        wait_until(Duration::from_secs(5), || lab
            .addrs6(0, &down)
            .iter()
            .any(|x| in_prefix(*x, p, PD_LEN))),
        "no address from {p}/{PD_LEN} on {down}"
    );

    check_renew6(&lab, 0, a);

    lab.release(0);
    check_released6(&lab, a);
    check_released6(&lab, p);
    assert_eq!(lab.address6(0), None, "dhcpcd -k left the address");
    server_ok(&mut lab);
}
