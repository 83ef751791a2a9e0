//! End-to-end tests of what ruru refuses to do with its privileges
//! (docs/src/security.md): load code from outside the hooks directory, run
//! library code on check-only paths, write files outside its directories
//! through the control API, create files others can read, or start a
//! second instance over a running one.
//!
//! The hook libraries here are real shared objects built with the system C
//! compiler; their constructor writes a marker file, so a test sees whether
//! any of their code ran.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::clib::build_lib;
use common::*;
use serde_json::{json, Value};

/// A config with a UNIX control socket and `hooks` as its hook libraries.
fn config(hooks: &str) -> String {
    format!(
        r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "@DIR@/leases4.csv", "lfc-interval": 0 }},
  "control-socket": {{ "socket-type": "unix", "socket-name": "@DIR@/ctl.sock" }},
  "valid-lifetime": 3600,
  "hooks-libraries": {hooks},
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
    "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
    "relay": {{ "ip-addresses": ["127.0.0.2"] }} }} ]
}} }}"#
    )
}

fn cmd(srv: &Server, body: &Value) -> Value {
    unix_cmd(&srv.path("ctl.sock"), body)
}

/// The running configuration with `hooks-libraries` replaced.
fn with_hooks(srv: &Server, libs: Value) -> Value {
    let mut c = cmd(srv, &json!({"command": "config-get"}))["arguments"].clone();
    c["Dhcp4"]["hooks-libraries"] = libs;
    c
}

/// C source of a library whose constructor creates `marker`; with `hook`,
/// it also exports the ruru hook symbols (ABI version 1, as data too).
fn marker_lib(marker: &Path, hook: bool) -> String {
    let mut src = format!(
        r#"
__attribute__((constructor)) static void ran(void) {{
    FILE *f = fopen("{}", "w");
    if (f) {{ fputs("constructor ran\n", f); fclose(f); }}
}}
"#,
        marker.display()
    );
    if hook {
        src.push_str(
            r#"
uint32_t ruru_hook_abi_version(void) { return RURU_HOOKS_ABI_VERSION; }
const uint32_t ruru_hook_abi = RURU_HOOKS_ABI_VERSION;
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
int32_t pkt4_receive(RuruCallout *c) { (void)c; return RURU_CONTINUE; }
"#,
        );
    }
    src
}

fn ruru_check(dir: &Path, cfg: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args(["check", "-c"])
        .arg(cfg)
        .env("RURU_HOOKS_PATH", hooks_dir(dir))
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn hook_libraries_load_only_from_the_hooks_directory_and_checks_run_no_library_code() {
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    let marker = dir.join("constructor-ran");

    // A library outside the hooks directory (here: a directory of its own
    // beside it), through the API and in a file: refused before anything
    // is opened, naming the directory and the variable.
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = build_lib(elsewhere.path(), "libevil.so", &marker_lib(&marker, true));
    for command in ["config-test", "config-set"] {
        let args = with_hooks(&srv, json!([{ "library": outside.display().to_string() }]));
        let a = cmd(&srv, &json!({"command": command, "arguments": args}));
        assert_eq!(a["result"], 1, "{command}: {a}");
        let text = a["text"].as_str().unwrap();
        assert!(text.contains("outside the hooks directory"), "{text}");
        assert!(text.contains("RURU_HOOKS_PATH"), "{text}");
        assert!(!marker.exists(), "{command} ran the library's constructor");
    }
    let cfg = dir.join("outside.json");
    let hooks = json!([{ "library": outside.display().to_string() }]).to_string();
    std::fs::write(&cfg, config(&hooks).replace("@DIR@", dir.to_str().unwrap())).unwrap();
    let (ok, text) = ruru_check(&dir, &cfg);
    assert!(
        !ok && text.contains("outside the hooks directory"),
        "{text}"
    );
    assert!(!marker.exists());

    // In the hooks directory but no ruru hook library: refused from the
    // file alone.
    build_lib(&dir, "libnothook.so", &marker_lib(&marker, false));
    let args = with_hooks(&srv, json!([{ "library": "libnothook.so" }]));
    for command in ["config-test", "config-set"] {
        let a = cmd(
            &srv,
            &json!({"command": command, "arguments": args.clone()}),
        );
        assert_eq!(a["result"], 1, "{command}: {a}");
        assert!(
            a["text"]
                .as_str()
                .unwrap()
                .contains("missing required symbol ruru_hook_abi_version"),
            "{a}"
        );
        assert!(!marker.exists(), "{command} ran the library's constructor");
    }

    // A real hook library: the check-only paths accept it without running
    // any of its code; config-set loads it (and so its constructor runs,
    // which shows that the marker would have told).
    build_lib(&dir, "libgood.so", &marker_lib(&marker, true));
    let hooks = json!([{ "library": "libgood.so" }]);
    std::fs::write(
        &cfg,
        config(&hooks.to_string()).replace("@DIR@", dir.to_str().unwrap()),
    )
    .unwrap();
    let (ok, text) = ruru_check(&dir, &cfg);
    assert!(ok, "{text}");
    let args = with_hooks(&srv, hooks);
    let a = cmd(
        &srv,
        &json!({"command": "config-test", "arguments": args.clone()}),
    );
    assert_eq!(a["result"], 0, "{a}");
    assert!(
        !marker.exists(),
        "config-test ran the library's constructor"
    );
    let a = cmd(&srv, &json!({"command": "config-set", "arguments": args}));
    assert_eq!(a["result"], 0, "{a}");
    assert!(marker.exists(), "config-set did not load the library");
}

#[test]
fn a_library_for_another_abi_is_refused_before_it_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("constructor-ran");
    let src = marker_lib(&marker, false)
        + r#"
uint32_t ruru_hook_abi_version(void) { return 7; }
const uint32_t ruru_hook_abi = 7;
int32_t ruru_hook_load(const RuruApi *a, RuruLibrary *l, const char *params) {
    (void)a; (void)l; (void)params;
    return 0;
}
"#;
    build_lib(dir.path(), "libabi7.so", &src);
    let cfg = dir.path().join("ruru.json");
    let hooks = json!([{ "library": "libabi7.so" }]).to_string();
    std::fs::write(
        &cfg,
        config(&hooks).replace("@DIR@", dir.path().to_str().unwrap()),
    )
    .unwrap();
    let (ok, text) = ruru_check(dir.path(), &cfg);
    assert!(!ok, "{text}");
    assert!(
        text.contains("was built for ruru hook ABI version 7; this server implements version 1"),
        "{text}"
    );
    // `ruru serve` refuses it too, before opening it.
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .args(["-p", &free_port().to_string()])
        .env("RURU_HOOKS_PATH", hooks_dir(dir.path()))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("ABI version 7"), "{text}");
    assert!(!marker.exists(), "a library for another ABI was opened");
}

/// `ruru serve` started under `umask 000` in `dir` (config `ruru.json`
/// there); waits until its control socket answers.
struct Umask0 {
    child: std::process::Child,
}

impl Umask0 {
    fn start(dir: &Path, port: u16) -> Umask0 {
        let child = Command::new("sh")
            .arg("-c")
            .arg("umask 000 && exec \"$@\"")
            .arg("sh")
            .arg(BIN)
            .args(["serve", "-c"])
            .arg(dir.join("ruru.json"))
            .args(["-p", &port.to_string(), "-P", &free_port().to_string()])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut s = Umask0 { child };
        let sock = dir.join("ctl.sock");
        for _ in 0..200 {
            if UnixStream::connect(&sock).is_ok() {
                return s;
            }
            if let Ok(Some(st)) = s.child.try_wait() {
                panic!("ruru exited: {st}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = s.child.kill();
        panic!("ruru did not start");
    }
}

impl Drop for Umask0 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn files_are_private_under_umask_000_and_config_get_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let http = free_tcp_port();
    let cfg = format!(
        r#"{{
  "Dhcp4": {{
    "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
    "lease-database": {{ "type": "memfile", "name": "{d}/leases4.csv", "lfc-interval": 0 }},
    "control-sockets": [
      {{ "socket-type": "unix", "socket-name": "{d}/ctl.sock" }},
      {{ "socket-type": "http", "socket-address": "127.0.0.1", "socket-port": {http},
         "authentication": {{ "type": "basic", "realm": "ruru",
           "clients": [ {{ "user": "admin", "password": "s3cret-pw" }} ] }} }} ],
    "loggers": [ {{ "name": "kea-dhcp4", "severity": "INFO",
                    "output_options": [ {{ "output": "{d}/ruru.log" }} ] }} ],
    "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24",
      "pools": [ {{ "pool": "192.0.2.100 - 192.0.2.199" }} ],
      "relay": {{ "ip-addresses": ["127.0.0.2"] }} }} ]
  }},
  "Dhcp6": {{
    "interfaces-config": {{ "interfaces": ["lo"] }},
    "lease-database": {{ "type": "memfile", "name": "{d}/leases6.csv", "lfc-interval": 0 }},
    "server-id": {{ "type": "LLT", "persist": true }},
    "subnet6": [ {{ "id": 1, "subnet": "2001:db8:1::/64",
      "pools": [ {{ "pool": "2001:db8:1::100 - 2001:db8:1::1ff" }} ] }} ]
  }}
}}"#,
        d = d.display()
    );
    std::fs::write(d.join("ruru.json"), &cfg).unwrap();
    let _srv = Umask0::start(d, free_port());
    let sock = d.join("ctl.sock");
    for f in [
        "leases4.csv",
        "leases6.csv",
        "ruru.log",
        "kea-dhcp6-serverid",
    ] {
        let p = d.join(f);
        assert!(p.exists(), "{f} was not created");
        assert_eq!(mode(&p) & 0o027, 0, "{f} is {:o}", mode(&p));
    }

    // config-get shows no secret.
    let got = unix_cmd(&sock, &json!({"command": "config-get"}));
    assert_eq!(got["result"], 0, "{got}");
    assert!(!got.to_string().contains("s3cret-pw"), "{got}");
    assert_eq!(
        got["arguments"]["Dhcp4"]["control-sockets"][1]["authentication"]["clients"][0]["password"],
        "*****"
    );
    // Sent back as it came, the running password stays in force.
    let set = unix_cmd(
        &sock,
        &json!({"command": "config-set", "arguments": got["arguments"].clone()}),
    );
    assert_eq!(set["result"], 0, "{set}");
    let auth = |pw: &str| {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", http)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let body = r#"{"command": "version-get"}"#;
        let cred = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("admin:{pw}"),
        );
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {cred}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    assert!(auth("s3cret-pw").starts_with("HTTP/1.1 200"));
    assert!(auth("*****").starts_with("HTTP/1.1 401"));

    // config-write keeps the secret (the file must load again) in a file
    // only its owner reads, even under umask 000.
    let w = unix_cmd(
        &sock,
        &json!({"command": "config-write", "arguments": {"filename": "written.json"}}),
    );
    assert_eq!(w["result"], 0, "{w}");
    let written = d.join("written.json");
    assert_eq!(mode(&written), 0o600);
    assert!(std::fs::read_to_string(&written)
        .unwrap()
        .contains("s3cret-pw"));
}

#[test]
fn api_configurations_write_only_in_ruru_directories() {
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    let elsewhere = tempfile::tempdir().unwrap();
    let e = elsewhere.path();
    let running = cmd(&srv, &json!({"command": "config-get"}))["arguments"].clone();

    // A log file, a control socket, a lease file outside: refused, and
    // nothing is created there.
    let mut logs = running.clone();
    logs["Dhcp4"]["loggers"] = json!([{ "name": "kea-dhcp4", "severity": "INFO",
        "output_options": [{ "output": e.join("evil.log").display().to_string() }] }]);
    let mut socket = running.clone();
    socket["Dhcp4"]["control-sockets"] = json!([
        { "socket-type": "unix", "socket-name": dir.join("ctl.sock").display().to_string() },
        { "socket-type": "unix", "socket-name": e.join("evil.sock").display().to_string() }]);
    socket["Dhcp4"]
        .as_object_mut()
        .unwrap()
        .remove("control-socket");
    let mut lease = running.clone();
    lease["Dhcp4"]["lease-database"]["name"] = json!(e.join("evil.csv").display().to_string());
    let mut dotted = running.clone();
    dotted["Dhcp4"]["loggers"] = json!([{ "name": "kea-dhcp4", "severity": "INFO",
        "output_options": [{ "output": format!("{}/../{}/evil2.log", dir.display(),
            e.file_name().unwrap().to_str().unwrap()) }] }]);
    for (what, args) in [
        ("log file", &logs),
        ("control socket", &socket),
        ("lease file", &lease),
        ("log file", &dotted),
    ] {
        for command in ["config-test", "config-set"] {
            let a = cmd(&srv, &json!({"command": command, "arguments": args}));
            assert_eq!(a["result"], 1, "{command} {what}: {a}");
            let text = a["text"].as_str().unwrap();
            assert!(
                text.contains(what) && text.contains("outside the directories"),
                "{text}"
            );
        }
    }
    assert_eq!(
        std::fs::read_dir(e).unwrap().count(),
        0,
        "a file was created"
    );

    // In the configuration's own directory: accepted.
    let mut ok = running.clone();
    ok["Dhcp4"]["loggers"] = json!([{ "name": "kea-dhcp4", "severity": "INFO",
        "output_options": [{ "output": dir.join("api.log").display().to_string() }] }]);
    let a = cmd(&srv, &json!({"command": "config-set", "arguments": ok}));
    assert_eq!(a["result"], 0, "{a}");
}

#[test]
fn config_write_writes_only_beside_the_startup_configuration() {
    use std::os::unix::fs::PermissionsExt;
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    let elsewhere = tempfile::tempdir().unwrap();
    let e = elsewhere.path();
    let write = |f: Option<String>| {
        let args = match f {
            Some(f) => json!({ "filename": f }),
            None => json!({}),
        };
        cmd(&srv, &json!({"command": "config-write", "arguments": args}))
    };
    std::fs::create_dir(dir.join("sub")).unwrap();
    let name = e.file_name().unwrap().to_str().unwrap();
    for bad in [
        e.join("x.json").display().to_string(),
        format!("sub/../../{name}/x.json"),
        "sub/x.json".to_string(),
    ] {
        let a = write(Some(bad.clone()));
        assert_eq!(a["result"], 1, "{bad}: {a}");
    }
    // A link planted at the target is not written through.
    std::os::unix::fs::symlink(e.join("victim"), dir.join("link.json")).unwrap();
    let a = write(Some("link.json".into()));
    assert_eq!(a["result"], 1, "{a}");
    assert_eq!(std::fs::read_dir(e).unwrap().count(), 0);

    // A link planted where the temporary file goes is not followed.
    let pid = srv.child.as_ref().unwrap().id();
    std::os::unix::fs::symlink(
        e.join("victim"),
        dir.join(format!(".out.json.ruru-write.{pid}.0")),
    )
    .unwrap();
    let a = write(Some("out.json".into()));
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(std::fs::read_dir(e).unwrap().count(), 0);
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.json")).unwrap()).unwrap();
    assert!(v["Dhcp4"]["subnet4"].is_array());

    // The startup file keeps its stricter mode.
    std::fs::set_permissions(&srv.config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let a = write(None);
    assert_eq!(a["result"], 0, "{a}");
    assert_eq!(mode(&srv.config), 0o600);
    assert_eq!(mode(&dir.join("out.json")) & 0o027, 0);
}

#[test]
fn a_second_server_on_the_same_configuration_touches_nothing_of_the_first() {
    use std::os::unix::fs::MetadataExt;
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    let sock = dir.join("ctl.sock");
    let inode = std::fs::metadata(&sock).unwrap().ino();
    let pid = srv.child.as_ref().unwrap().id();
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&srv.config)
        .args(["-p", &free_port().to_string()])
        .env("RURU_HOOKS_PATH", hooks_dir(&dir))
        .current_dir(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains(&format!("in use by another ruru process (pid {pid})")),
        "{text}"
    );
    // The first server's socket is the same file and still answers.
    assert_eq!(std::fs::metadata(&sock).unwrap().ino(), inode);
    let a = cmd(&srv, &json!({"command": "version-get"}));
    assert_eq!(a["result"], 0, "{a}");

    // Sharing only the lease file is refused too (the lease file's lock),
    // before the second server opens any socket.
    let other = tempfile::tempdir().unwrap();
    let cfg = other.path().join("ruru.json");
    let text = config("[]")
        .replace(
            "@DIR@/leases4.csv",
            dir.join("leases4.csv").to_str().unwrap(),
        )
        .replace("@DIR@", other.path().to_str().unwrap());
    std::fs::write(&cfg, text).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .args(["-p", &free_port().to_string()])
        .current_dir(other.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("leases4.csv"), "{text}");
    assert!(
        text.contains(&format!("in use by another ruru process (pid {pid})")),
        "{text}"
    );
    assert!(!other.path().join("ctl.sock").exists());
}

#[test]
fn a_socket_another_process_listens_on_is_never_taken_over() {
    let srv = Server::start(&config("[]"));
    let dir = srv.dir.path().to_path_buf();
    // Another daemon's socket in the same directory.
    let theirs = dir.join("other-daemon.sock");
    let listener = std::os::unix::net::UnixListener::bind(&theirs).unwrap();
    let running = cmd(&srv, &json!({"command": "config-get"}))["arguments"].clone();
    let mut args = running.clone();
    args["Dhcp4"]["control-sockets"] = json!([
        { "socket-type": "unix", "socket-name": dir.join("ctl.sock").display().to_string() },
        { "socket-type": "unix", "socket-name": theirs.display().to_string() }]);
    args["Dhcp4"]
        .as_object_mut()
        .unwrap()
        .remove("control-socket");
    let a = cmd(&srv, &json!({"command": "config-set", "arguments": args}));
    assert_eq!(a["result"], 1, "{a}");
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains("another process listens on it"),
        "{a}"
    );
    // A later configuration without it leaves it alone too.
    let a = cmd(
        &srv,
        &json!({"command": "config-set", "arguments": running}),
    );
    assert_eq!(a["result"], 0, "{a}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(theirs.exists(), "the other daemon's socket was removed");
    let client = std::os::unix::net::UnixStream::connect(&theirs);
    assert!(
        client.is_ok(),
        "the other daemon no longer gets connections"
    );
    drop(listener);
}
