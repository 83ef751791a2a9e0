//! End-to-end tests of hook libraries: tiny C libraries built here with the
//! system C compiler against the SDK header, loaded by the real `ruru`
//! binary, driven over the wire by a relay agent (tests/common/mod.rs).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::Ipv4Addr;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::clib::build_lib;
use common::*;
use dhcproto::v4::MessageType;
use serde_json::Value;

const SID: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// pkt4_receive: DROP for the MAC ending in `drop`, RURU_ERROR for the one
/// ending in `fail`; command_processed rewrites version-get's answer;
/// dhcp4_srv_configured logs the size of the configuration.
const POLICY: &str = r#"
static long drop_last = -1, fail_last = -1;

uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    api = a; self = l;
    drop_last = param_int(params, "drop", -1);
    fail_last = param_int(params, "fail", -1);
    api->log(l, RURU_LOG_INFO, "policy library ready");
    return 0;
}

int32_t ruru_hook_multi_threading_compatible(void) { return 1; }

int32_t pkt4_receive(RuruCallout *c) {
    uint8_t mac[16];
    size_t len = sizeof mac;
    if (api->get_bytes(c, "query4.hwaddr", mac, &len) != RURU_OK || len == 0) return RURU_ERROR;
    if (mac[len - 1] == drop_last) return RURU_DROP;
    if (mac[len - 1] == fail_last) return RURU_ERROR;
    return RURU_CONTINUE;
}

int32_t command_processed(RuruCallout *c) {
    char name[64];
    size_t len = sizeof name - 1;
    if (api->get_bytes(c, "command.name", (uint8_t *)name, &len) != RURU_OK) return RURU_ERROR;
    name[len] = 0;
    if (strcmp(name, "version-get") == 0) {
        const char *r = "{\"result\":0,\"text\":\"hooked\"}";
        if (api->set_bytes(c, "command.response", (const uint8_t *)r, strlen(r)) != RURU_OK)
            return RURU_ERROR;
    }
    return RURU_CONTINUE;
}

int32_t dhcp4_srv_configured(RuruCallout *c) {
    size_t len = 0;
    int32_t rc = api->get_bytes(c, "config", NULL, &len);
    char msg[128];
    snprintf(msg, sizeof msg, "policy: configured, config has %zu bytes (rc %d)", len, rc);
    api->log(self, RURU_LOG_INFO, msg);
    return RURU_CONTINUE;
}
"#;

/// pkt4_send (registered from load): adds option 224 with the `value`
/// parameter, if pkt4_receive marked the packet in the per-packet context.
/// Load and unload are written to the `trace` file; load fails for the
/// value "fail".
const OPTION: &str = r#"
static char value[128];
static char trace[512];

uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

static int32_t on_send(RuruCallout *c) {
    uint8_t seen[4];
    size_t len = sizeof seen;
    if (strcmp(api->hook_point(c), "pkt4_send") != 0) return RURU_ERROR;
    if (api->context_get(c, "seen", seen, &len) != RURU_OK || len != 1) return RURU_ERROR;
    if (api->set_u32(c, "query4.xid", 1) != RURU_EREADONLY) return RURU_ERROR;
    if (api->set_option(c, "response4", 224, (const uint8_t *)value, strlen(value)) != RURU_OK)
        return RURU_ERROR;
    return RURU_CONTINUE;
}

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    api = a; self = l;
    param_str(params, "value", value, sizeof value);
    param_str(params, "trace", trace, sizeof trace);
    trace_line(trace, "load", value);
    if (strcmp(value, "fail") == 0) return 5;
    return api->register_callout(l, "pkt4_send", on_send);
}

int32_t ruru_hook_unload(void) {
    trace_line(trace, "unload", value);
    return 0;
}

int32_t pkt4_receive(RuruCallout *c) {
    return api->context_set(c, "seen", (const uint8_t *)"1", 1) == RURU_OK ? RURU_CONTINUE : RURU_ERROR;
}
"#;

/// lease4_select: every client gets 192.0.2.50 (outside the pool).
const SELECT: &str = r#"
uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)params;
    api = a; self = l;
    return 0;
}

int32_t lease4_select(RuruCallout *c) {
    uint32_t fake;
    if (api->get_u32(c, "fake_allocation", &fake) != RURU_OK || fake > 1) return RURU_ERROR;
    return api->set_u32(c, "lease4.address", 0xC0000232u) == RURU_OK ? RURU_CONTINUE : RURU_ERROR;
}
"#;

/// Built for another ABI version.
const VERSION99: &str = r#"
uint32_t ruru_hook_abi_version(void) { return 99; }
const uint32_t ruru_hook_abi = 99;
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
"#;

/// Not a ruru hook library: no ruru_hook_abi_version.
const NO_VERSION: &str = r#"
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
"#;

fn hook(path: &Path, params: &str) -> String {
    format!(
        r#"{{ "library": "{}", "parameters": {params} }}"#,
        path.display()
    )
}

/// A config with `hooks` as its hooks-libraries and a UNIX control socket.
fn config(relay: Ipv4Addr, hooks: &[String]) -> String {
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
  "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO" }},
               {{ "name": "kea-dhcp4.hooks", "severity": "DEBUG", "debuglevel": 45 }} ],
  "valid-lifetime": 3600,
  "hooks-libraries": [ {} ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "relay": {{ "ip-addresses": ["{relay}"] }} }} ]
}} }}"#,
        hooks.join(", ")
    )
}

fn cmd(srv: &Server, body: &str) -> Value {
    let mut s = UnixStream::connect(srv.path("ctl.sock")).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(body.as_bytes()).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    serde_json::from_slice(&out).unwrap()
}

fn stat(srv: &Server, name: &str) -> Option<i64> {
    let all = cmd(srv, r#"{"command": "statistic-get-all"}"#);
    all["arguments"][name][0][0].as_i64()
}

/// Runs `ruru serve` on `cfg` expecting it to refuse to start; its stderr.
fn serve_fails(dir: &Path, cfg: &str) -> String {
    let path = dir.join("refused.json");
    std::fs::write(&path, cfg.replace("@DIR@", dir.to_str().unwrap())).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&path)
        .args([
            "-p",
            &free_port().to_string(),
            "-P",
            &free_port().to_string(),
        ])
        .current_dir(dir)
        .env("RURU_HOOKS_PATH", hooks_dir(dir))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("ruru started with a library it should refuse");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    err
}

fn setup(test: &str, hooks: &[String], dir: tempfile::TempDir) -> Option<(Server, Relay)> {
    let ra = relay_addr_for(test);
    let srv = Server::start_in(dir, &config(ra, hooks));
    let relay = Relay::new(ra, srv.port);
    Some((srv, relay))
}

/// Replaces the running server's config file (`@DIR@` expanded).
fn rewrite(srv: &Server, cfg: &str) {
    let dir = srv.dir.path().to_str().unwrap();
    std::fs::write(&srv.config, cfg.replace("@DIR@", dir)).unwrap();
}

fn pid(srv: &Server) -> u32 {
    srv.child.as_ref().unwrap().id()
}

#[test]
fn library_for_another_abi_version_is_refused_at_start_and_on_reload() {
    let test = "hooks_abi_version";
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = build_lib(dir.path(), "libv99.so", VERSION99);
    let ra = relay_addr_for(test);
    let expected = format!(
        "hook library {}: was built for ruru hook ABI version 99; this server implements version 1",
        bad.display()
    );
    let err = serve_fails(dir.path(), &config(ra, &[hook(&bad, "{}")]));
    assert!(err.contains(&expected), "{err}");
    // `ruru check` checks libraries too (from the file, without loading).
    let out = Command::new(BIN)
        .args(["check", "-c"])
        .arg(dir.path().join("refused.json"))
        .env("RURU_HOOKS_PATH", hooks_dir(dir.path()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected));

    // A running server keeps its configuration (and its libraries).
    let policy = build_lib(dir.path(), "libpolicy.so", POLICY);
    let Some((mut srv, relay)) = setup(test, &[hook(&policy, r#"{"drop": 66}"#)], dir) else {
        return;
    };
    let mut c = Client::new(1, relay.addr);
    c.dora(&relay);
    let good = std::fs::read_to_string(&srv.config).unwrap();
    rewrite(&srv, &config(ra, &[hook(&bad, "{}")]));
    srv.signal("-HUP");
    assert!(srv.wait_log("reload failed", Duration::from_secs(5)));
    assert!(srv.log_text().contains(&expected), "{}", srv.log_text());
    c.dora(&relay);
    assert!(relay
        .exchange(&Client::new(66, relay.addr).discover())
        .is_none());

    // config-set answers the error and changes nothing either.
    let mut bad_cfg: Value = serde_json::from_str(&good).unwrap();
    bad_cfg["Dhcp4"]["hooks-libraries"] =
        serde_json::json!([{ "library": bad.display().to_string() }]);
    let r = cmd(
        &srv,
        &serde_json::json!({ "command": "config-set", "arguments": bad_cfg }).to_string(),
    );
    assert_eq!(r["result"], 1, "{r}");
    assert!(r["text"].as_str().unwrap().contains(&expected), "{r}");
    let r = cmd(
        &srv,
        &serde_json::json!({ "command": "config-test", "arguments": bad_cfg }).to_string(),
    );
    assert_eq!(r["result"], 1, "{r}");
    c.dora(&relay);
    assert!(relay
        .exchange(&Client::new(66, relay.addr).discover())
        .is_none());
    let _ = srv.stop();
}

#[test]
fn library_without_the_version_symbol_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "libnotours.so", NO_VERSION);
    let ra = relay_addr_for("hooks_missing_symbol");
    let err = serve_fails(dir.path(), &config(ra, &[hook(&lib, "{}")]));
    let expected = format!(
        "hook library {}: missing required symbol ruru_hook_abi_version (is it a ruru hook library?)",
        lib.display()
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn drop_and_error_at_pkt4_receive_are_counted_and_others_are_served() {
    let test = "hooks_drop_error";
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "libpolicy.so", POLICY);
    let Some((mut srv, relay)) = setup(test, &[hook(&lib, r#"{"drop": 66, "fail": 67}"#)], dir)
    else {
        return;
    };
    assert!(srv.wait_log("policy: configured, config has", Duration::from_secs(5)));
    assert!(srv.log_text().contains("policy library ready"));
    let mut ok = Client::new(65, relay.addr);
    ok.dora(&relay); // DISCOVER + REQUEST: 2 calls
    assert!(relay
        .exchange(&Client::new(66, relay.addr).discover())
        .is_none());
    assert!(relay
        .exchange(&Client::new(67, relay.addr).discover())
        .is_none());
    // The server keeps serving after a failed callout.
    let mut other = Client::new(68, relay.addr);
    other.dora(&relay); // 2 more calls
    assert_eq!(stat(&srv, "hooks.libpolicy.so.pkt4_receive.calls"), Some(6));
    assert_eq!(
        stat(&srv, "hooks.libpolicy.so.pkt4_receive.errors"),
        Some(1)
    );
    assert!(stat(&srv, "hooks.libpolicy.so.pkt4_receive.time-us").is_some());
    // Level 45: each call with its status.
    assert!(srv.log_text().contains("status=\"drop\"") || srv.log_text().contains("status=drop"));
    // command_processed may replace the answer.
    let r = cmd(&srv, r#"{"command": "version-get"}"#);
    assert_eq!(r["text"], "hooked", "{r}");
    let r = cmd(&srv, r#"{"command": "status-get"}"#);
    assert_eq!(r["result"], 0, "{r}");
    let log = srv.stop();
    assert_eq!(Server::stat_from_log(&log, "pkt4-receive-drop"), Some(2));
    assert!(
        log.iter().any(|l| l.contains("hook library unloaded")),
        "{log:?}"
    );
}

#[test]
fn option_from_parameters_and_reload_with_new_parameters() {
    let test = "hooks_option_reload";
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "liboption.so", OPTION);
    let trace = dir.path().join("trace.txt");
    let params = |v: &str| format!(r#"{{"value": "{v}", "trace": "{}"}}"#, trace.display());
    let ra = relay_addr_for(test);
    let Some((mut srv, relay)) = setup(test, &[hook(&lib, &params("first"))], dir) else {
        return;
    };
    let before = pid(&srv);
    let mut c = Client::new(1, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(
        raw_option(&common::encode(&offer), 224),
        Some(b"first".to_vec())
    );

    rewrite(&srv, &config(ra, &[hook(&lib, &params("second"))]));
    srv.signal("-HUP");
    assert!(srv.wait_log("configuration applied", Duration::from_secs(5)));
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(
        raw_option(&common::encode(&offer), 224),
        Some(b"second".to_vec())
    );
    assert_eq!(pid(&srv), before);
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap(),
        "load first\nunload first\nload second\n"
    );

    // A load that fails rejects the configuration; the running one gets its
    // library back with its parameters.
    rewrite(&srv, &config(ra, &[hook(&lib, &params("fail"))]));
    srv.signal("-HUP");
    assert!(srv.wait_log("reload failed", Duration::from_secs(5)));
    assert!(srv.log_text().contains("ruru_hook_load failed with code 5"));
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(
        raw_option(&common::encode(&offer), 224),
        Some(b"second".to_vec())
    );
    let _ = srv.stop();
    assert_eq!(
        std::fs::read_to_string(&trace).unwrap(),
        "load first\nunload first\nload second\n\
         unload second\nload fail\nunload fail\nload second\nunload second\n"
    );
}

#[test]
fn lease4_select_chooses_an_address_outside_the_pool() {
    let test = "hooks_lease4_select";
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "libselect.so", SELECT);
    let Some((mut srv, relay)) = setup(test, &[hook(&lib, "{}")], dir) else {
        return;
    };
    let want = Ipv4Addr::new(192, 0, 2, 50);
    let mut c = Client::new(7, relay.addr);
    let offer = relay.exchange(&c.discover()).expect("OFFER");
    assert_eq!(offer.yiaddr(), want);
    let ack = relay
        .exchange(&c.request_selecting(want, SID))
        .expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), want);
    let rows = csv_rows_for(&srv.lease_file("leases4.csv"), want);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        stat(&srv, "hooks.libselect.so.lease4_select.calls"),
        Some(2)
    );
    let _ = srv.stop();
}

/// leases4_committed: parks every ACK and unparks it from a thread after
/// `delay` ms (`slow-delay` ms for the MAC ending in `slow`); the MAC
/// ending in `drop` is unparked with RURU_DROP. Parking ids are logged.
const PARKER: &str = r#"
#include <pthread.h>
#include <unistd.h>
#include <stdint.h>

static long delay_ms, slow_last, slow_delay_ms, drop_last, offer_delay_ms;

/* Threads started: unload tells them to finish early and joins them (the
   library's code must not be unmapped under a running thread). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int stopping;
static pthread_t threads[1024];
static int nthreads;

struct job { uint64_t id; int32_t action; long ms; };

static void *later(void *p) {
    struct job *j = p;
    for (long waited = 0; waited < j->ms; waited += 10) {
        pthread_mutex_lock(&mu);
        int stop = stopping;
        pthread_mutex_unlock(&mu);
        if (stop) break;
        usleep(10000);
    }
    int32_t rc = api->unpark(self, j->id, j->action);
    char msg[96];
    snprintf(msg, sizeof msg, "parker: unparked %llu rc %d", (unsigned long long)j->id, rc);
    api->log(self, RURU_LOG_INFO, msg);
    free(j);
    return NULL;
}

int32_t ruru_hook_unload(void) {
    pthread_mutex_lock(&mu);
    stopping = 1;
    int n = nthreads;
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < n; i++) pthread_join(threads[i], NULL);
    pthread_mutex_lock(&mu);
    nthreads = 0;
    stopping = 0;
    pthread_mutex_unlock(&mu);
    return 0;
}

uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }

int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    api = a; self = l;
    delay_ms = param_int(params, "delay", 100);
    slow_last = param_int(params, "slow", -1);
    slow_delay_ms = param_int(params, "slow-delay", 3000);
    drop_last = param_int(params, "drop", -1);
    offer_delay_ms = param_int(params, "offer-delay", 0);
    return 0;
}

int32_t ruru_hook_multi_threading_compatible(void) { return 1; }

static int32_t park_for(RuruCallout *c, long ms) {
    uint8_t mac[16];
    size_t len = sizeof mac;
    uint64_t id = 0;
    if (api->get_bytes(c, "query4.hwaddr", mac, &len) != RURU_OK || len == 0) return RURU_ERROR;
    if (api->get_u64(c, "parking_id", &id) != RURU_OK || id == 0) return RURU_ERROR;
    struct job *j = malloc(sizeof *j);
    if (!j) return RURU_ERROR;
    j->id = id;
    j->action = mac[len - 1] == drop_last ? RURU_DROP : RURU_CONTINUE;
    j->ms = mac[len - 1] == slow_last ? slow_delay_ms : ms;
    pthread_mutex_lock(&mu);
    int ok = nthreads < 1024 && pthread_create(&threads[nthreads], NULL, later, j) == 0;
    if (ok) nthreads++;
    pthread_mutex_unlock(&mu);
    if (!ok) { free(j); return RURU_ERROR; }
    return RURU_PARK;
}

int32_t leases4_committed(RuruCallout *c) { return park_for(c, delay_ms); }

/* Kea 2.6's lease4_offer, with "offer-delay": the OFFER (its lease the
   response's yiaddr, not held: offer_lifetime 0) waits for the unpark. */
int32_t lease4_offer(RuruCallout *c) {
    if (offer_delay_ms <= 0) return RURU_CONTINUE;
    uint32_t lease = 0, yiaddr = 1, held = 1;
    if (api->get_u32(c, "lease4.address", &lease) != RURU_OK) return RURU_ERROR;
    if (api->get_u32(c, "response4.yiaddr", &yiaddr) != RURU_OK || yiaddr != lease) return RURU_ERROR;
    if (api->get_u32(c, "offer_lifetime", &held) != RURU_OK || held != 0) return RURU_ERROR;
    if (api->set_u32(c, "response4.yiaddr", 1) != RURU_EREADONLY) return RURU_ERROR;
    return park_for(c, offer_delay_ms);
}

/* PARK where packets cannot be parked: dropped. */
int32_t lease4_release(RuruCallout *c) { (void)c; return RURU_PARK; }
"#;

/// Waits up to `timeout` for the reply to `xid` (other replies are kept).
fn wait_reply(
    relay: &Relay,
    xid: u32,
    timeout: Duration,
    seen: &mut Vec<dhcproto::v4::Message>,
) -> Option<dhcproto::v4::Message> {
    if let Some(i) = seen.iter().position(|m| m.xid() == xid) {
        return Some(seen.remove(i));
    }
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if let Some(m) = relay.recv() {
            if m.xid() == xid {
                return Some(m);
            }
            seen.push(m);
        }
    }
    None
}

/// A server with the PARKER library loaded with `params`.
fn with_parker(test: &str, params: &str) -> Option<(Server, Relay)> {
    if !can_bind_67(test) {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "libparker.so", PARKER);
    setup(test, &[hook(&lib, params)], dir)
}

#[test]
fn park_at_leases4_committed_holds_the_ack_until_the_library_unparks_it() {
    let Some((mut srv, relay)) = with_parker(
        "hooks_park4",
        r#"{"delay": 300, "slow": 72, "slow-delay": 2500, "drop": 73}"#,
    ) else {
        return;
    };
    let mut seen = Vec::new();
    // A parked ACK arrives once the library's thread unparks it, not before.
    let mut a = Client::new(70, relay.addr);
    let offer = relay.exchange(&a.discover()).expect("offer");
    let req = a.request_selecting(offer.yiaddr(), SID);
    let sent = Instant::now();
    relay.send(&req);
    let ack = wait_reply(&relay, req.xid(), Duration::from_secs(5), &mut seen).expect("parked ACK");
    assert!(
        sent.elapsed() >= Duration::from_millis(300),
        "the ACK waited for the unpark"
    );
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), offer.yiaddr());
    // The lease was stored before leases4_committed.
    assert_eq!(
        csv_rows_for(&srv.lease_file("leases4.csv"), ack.yiaddr()).len(),
        1
    );

    // A slow parked reply does not hold up other clients.
    let mut slow = Client::new(72, relay.addr);
    let slow_offer = relay.exchange(&slow.discover()).expect("offer");
    let slow_req = slow.request_selecting(slow_offer.yiaddr(), SID);
    relay.send(&slow_req);
    let mut fast = Client::new(71, relay.addr);
    let fast_offer = relay
        .exchange(&fast.discover())
        .expect("offer while one is parked");
    let fast_req = fast.request_selecting(fast_offer.yiaddr(), SID);
    relay.send(&fast_req);
    let fast_ack = wait_reply(&relay, fast_req.xid(), Duration::from_secs(2), &mut seen)
        .expect("the fast client's ACK comes first");
    assert_eq!(msg_type(&fast_ack), Some(MessageType::Ack));
    assert!(
        seen.iter().all(|m| m.xid() != slow_req.xid()),
        "slow ACK not yet sent"
    );
    let slow_ack = wait_reply(&relay, slow_req.xid(), Duration::from_secs(6), &mut seen)
        .expect("the slow ACK after its unpark");
    assert_eq!(msg_type(&slow_ack), Some(MessageType::Ack));

    // Unparked with DROP: no ACK (the lease is committed, as in Kea).
    let mut d = Client::new(73, relay.addr);
    let d_offer = relay.exchange(&d.discover()).expect("offer");
    let d_req = d.request_selecting(d_offer.yiaddr(), SID);
    relay.send(&d_req);
    assert!(wait_reply(&relay, d_req.xid(), Duration::from_secs(2), &mut seen).is_none());

    // PARK at a point that cannot park (lease4_release): the packet is
    // dropped, the lease kept, and it is said once in the log.
    relay.send(&a.release(ack.yiaddr(), SID));
    assert!(srv.wait_log("where packets cannot be parked", Duration::from_secs(5)));
    assert_eq!(stat(&srv, "hooks.parked-packets"), Some(4));
    assert_eq!(stat(&srv, "hooks.unparked-packets"), Some(3));
    assert_eq!(stat(&srv, "hooks.parked-dropped"), Some(1));
    assert!(srv.log_text().contains("parker: unparked"));
    let _ = srv.stop();
}

/// Kea 2.6's `lease4_offer`: a library parks the OFFER (it arrives after
/// the unpark) or, unparking with DROP, drops it; the REQUEST is served
/// as usual.
#[test]
fn park_at_lease4_offer_holds_the_offer_until_the_library_unparks_it() {
    let Some((mut srv, relay)) = with_parker(
        "hooks_park_offer",
        r#"{"delay": 0, "offer-delay": 400, "drop": 73}"#,
    ) else {
        return;
    };
    let mut seen = Vec::new();
    let mut a = Client::new(70, relay.addr);
    let disc = a.discover();
    let sent = Instant::now();
    relay.send(&disc);
    let offer =
        wait_reply(&relay, disc.xid(), Duration::from_secs(5), &mut seen).expect("parked OFFER");
    assert!(
        sent.elapsed() >= Duration::from_millis(400),
        "the OFFER waited for the unpark"
    );
    assert_eq!(msg_type(&offer), Some(MessageType::Offer));
    let req = a.request_selecting(offer.yiaddr(), SID);
    relay.send(&req);
    let ack = wait_reply(&relay, req.xid(), Duration::from_secs(5), &mut seen).expect("ACK");
    assert_eq!(msg_type(&ack), Some(MessageType::Ack));
    assert_eq!(ack.yiaddr(), offer.yiaddr());
    // Unparked with DROP: no OFFER.
    let mut d = Client::new(73, relay.addr);
    let d_disc = d.discover();
    relay.send(&d_disc);
    assert!(wait_reply(&relay, d_disc.xid(), Duration::from_secs(2), &mut seen).is_none());
    assert_eq!(stat(&srv, "hooks.parked-dropped"), Some(1));
    assert_eq!(stat(&srv, "pkt4-offer-sent"), Some(1));
    let _ = srv.stop();
}

#[test]
fn parked_packet_limit_drops_what_does_not_fit_and_reload_drops_the_parked() {
    let test = "hooks_park_limit";
    if !can_bind_67(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = build_lib(dir.path(), "libparker.so", PARKER);
    let ra = relay_addr_for(test);
    let cfg = config(ra, &[hook(&lib, r#"{"delay": 4000}"#)]).replace(
        r#""valid-lifetime": 3600,"#,
        r#""valid-lifetime": 3600, "parked-packet-limit": 1,"#,
    );
    let mut srv = Server::start_in(dir, &cfg);
    let relay = Relay::new(ra, srv.port);
    let mut seen = Vec::new();
    let mut a = Client::new(80, relay.addr);
    let oa = relay.exchange(&a.discover()).expect("offer");
    let ra_ = a.request_selecting(oa.yiaddr(), SID);
    relay.send(&ra_);
    assert!(wait_until(Duration::from_secs(5), || stat(
        &srv,
        "hooks.parked-packets"
    ) == Some(1)));
    // The lot holds one: the next reply to park is dropped.
    let mut b = Client::new(81, relay.addr);
    let ob = relay.exchange(&b.discover()).expect("offer");
    let rb = b.request_selecting(ob.yiaddr(), SID);
    relay.send(&rb);
    assert!(srv.wait_log("parking lot full", Duration::from_secs(5)));
    assert_eq!(stat(&srv, "hooks.park-refused"), Some(1));
    assert!(wait_reply(&relay, rb.xid(), Duration::from_millis(500), &mut seen).is_none());
    // A reload replaces the libraries: the parked reply is dropped, and the
    // library's unpark (its thread is told to finish at unload) finds
    // nothing.
    srv.signal("-HUP");
    assert!(srv.wait_log("parked packets dropped", Duration::from_secs(5)));
    assert!(
        srv.wait_log("rc -1", Duration::from_secs(5)),
        "late unpark: RURU_ENOFIELD"
    );
    assert!(wait_reply(&relay, ra_.xid(), Duration::from_secs(2), &mut seen).is_none());
    assert_eq!(stat(&srv, "hooks.parked-dropped"), Some(1));
    let _ = srv.stop();
}
