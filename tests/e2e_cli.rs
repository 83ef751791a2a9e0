//! End-to-end tests of the command line: `ruru --version`, `ruru check`
//! (exit codes and `file:line:column` errors) and `serve` start-up errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ruru");

fn run(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(BIN).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn version_prints_package_version() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")), "{out}");
}

#[test]
fn check_accepts_the_shipped_examples() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/configs");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let (code, out, err) = run(&["check", "-c", p.to_str().unwrap()]);
            assert_eq!(code, 0, "{}: {out}{err}", p.display());
            n += 1;
        }
    }
    assert!(n >= 1);
}

#[test]
fn check_reports_position_path_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(
        &p,
        "{\n  \"Dhcp4\": {\n    \"subnet4\": [ { \"id\": 1, \"subnet\": \"192.0.2.0/24\",\n      \"pools\": [ { \"pool\": \"198.51.100.1 - 198.51.100.9\" } ] } ],\n    \"valid-lifetim\": 10\n  }\n}\n",
    )
    .unwrap();
    let (code, _, err) = run(&["check", "-c", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    let file = p.to_str().unwrap();
    assert!(
        err.contains(&format!("{file}:5:")),
        "position of the unknown key: {err}"
    );
    assert!(err.contains("valid-lifetim"), "{err}");
    // The pool outside its subnet is reported in the same run.
    assert!(
        err.contains(&format!("{file}:4:")) && err.contains("Dhcp4.subnet4[0].pools[0].pool"),
        "the pool's problem: {err}"
    );
}

#[test]
fn check_reports_every_problem_of_every_file_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let p4 = dir.path().join("kea-dhcp4.conf");
    std::fs::write(
        &p4,
        concat!(
            "{ \"Dhcp4\": {\n",
            "  \"config-control\": {},\n",
            "  \"subnet4\": [\n",
            "    { \"id\": 1, \"subnet\": \"192.0.2.0/24\", \"colour\": 1 },\n",
            "    { \"id\": 2, \"subnet\": \"198.51.100.0/24\", \"valid-lifetime\": \"x\" }\n",
            "  ],\n",
            "  \"dhcp-queue-contro\": {}\n",
            "} }\n"
        ),
    )
    .unwrap();
    let p6 = dir.path().join("kea-dhcp6.conf");
    std::fs::write(
        &p6,
        "{ \"Dhcp6\": {\n  \"subnet6\": [ { \"id\": 1, \"subnet\": \"2001:db8::/129\" } ],\n  \"bogus\": 1\n} }\n",
    )
    .unwrap();
    let (f4, f6) = (p4.to_str().unwrap(), p6.to_str().unwrap());
    let (code, out, err) = run(&["check", "-c", f4, "-c", f6]);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    for want in [
        format!("{f4}:2:3: Dhcp4.config-control: not supported yet"),
        format!("{f4}:4:42: Dhcp4.subnet4[0].colour: unknown key `colour`"),
        format!("{f4}:5:63: Dhcp4.subnet4[1].valid-lifetime: invalid type"),
        format!("{f4}:7:3: Dhcp4.dhcp-queue-contro: unknown key"),
        format!("{f6}:2:37: Dhcp6.subnet6[0].subnet:"),
        format!("{f6}:3:3: Dhcp6.bogus: unknown key"),
    ] {
        assert!(lines.iter().any(|l| l.starts_with(&want)), "{want}\n{err}");
    }
    assert_eq!(lines.len(), 6, "{err}");
}

#[test]
fn check_names_unsupported_kea_keys() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("kea.json");
    std::fs::write(&p, "{ \"Dhcp4\": { \"config-control\": {} } }").unwrap();
    let (code, _, err) = run(&["check", "-c", p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("not supported yet: Dhcp4.config-control"),
        "{err}"
    );
}

#[test]
fn serve_with_missing_file_fails_cleanly() {
    let (code, _, err) = run(&["serve", "-c", "/nonexistent/ruru.json", "-p", "1"]);
    assert_eq!(code, 1);
    assert!(err.contains("/nonexistent/ruru.json"), "{err}");
}

#[test]
fn serve_says_why_no_socket_could_be_opened() {
    // Another process holds the port (no SO_REUSEADDR): ruru names the
    // interface and the reason, not just "no socket could be opened".
    let holder = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(
        &cfg,
        r#"{ "Dhcp4": {
  "interfaces-config": { "interfaces": ["lo"], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": false },
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" } ] } }"#,
    )
    .unwrap();
    let (code, _, err) = run(&[
        "serve",
        "-c",
        cfg.to_str().unwrap(),
        "-p",
        &port.to_string(),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no socket could be opened: DHCPv4 on lo: "),
        "{err}"
    );
    assert!(err.contains("in use"), "{err}");
    drop(holder);
}

/// `ruru check` accepts client classes and reports an error in a class's
/// expression at its position in the file.
#[test]
fn check_reads_client_classes_and_points_into_expressions() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    let with = |test: &str| {
        format!(
            r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  "client-classes": [ {{ "name": "pxe", "test": "{test}" }} ],
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24" }} ] }} }}"#
        )
    };
    std::fs::write(&cfg, with("substring(option[60].hex,0,9) == 'PXEClient'")).unwrap();
    let (code, out, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("configuration OK"), "{out}");
    // A bad expression: line 4, the column of the end of the expression
    // inside the string.
    std::fs::write(&cfg, with("option[60].hex == ")).unwrap();
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ruru.json:4:"), "{err}");
}

#[test]
fn serve_refuses_a_lease_file_with_more_bad_rows_than_max_row_errors() {
    let dir = tempfile::tempdir().unwrap();
    let leases = dir.path().join("leases4.csv");
    std::fs::write(
        &leases,
        "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context\n\
         192.0.2.300,,,3600,1,1,0,0,,0,\n\
         not-an-address,,,3600,1,1,0,0,,0,\n",
    )
    .unwrap();
    let cfg = dir.path().join("ruru.json");
    let write = |max: u32| {
        std::fs::write(
            &cfg,
            format!(
                r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "name": "{}", "max-row-errors": {max} }},
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24" }} ] }} }}"#,
                leases.display()
            ),
        )
        .unwrap();
    };
    // Two bad rows, at most one allowed: Kea's "exceeded maximum number of
    // failures"; ruru does not start.
    write(1);
    let (code, _, err) = run(&["serve", "-c", cfg.to_str().unwrap(), "-p", "1"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("more than 1 invalid rows (max-row-errors)"),
        "{err}"
    );
    // `ruru check` takes the key (it does not read the lease file).
    let (code, _, err) = run(&["check", "-c", cfg.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
}

/// Starts `ruru serve` on `cfg` with `extra` arguments, waits for "ruru
/// ready" and returns the names of its packet workers (threads
/// `ruru-<iface>-<n>` for DHCPv4), then stops it.
fn dhcp4_workers(cfg: &std::path::Path, extra: &[&str]) -> Vec<String> {
    use std::io::BufRead as _;
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "-c",
            cfg.to_str().unwrap(),
            "-p",
            &port,
            "-P",
            &port,
        ])
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let ready = std::io::BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("ruru ready"));
    // A thread names itself once it runs, which may be just after "ruru
    // ready": read until two reads a while apart agree.
    let read = || {
        let mut names = Vec::new();
        for t in std::fs::read_dir(format!("/proc/{}/task", child.id())).unwrap() {
            let comm = std::fs::read_to_string(t.unwrap().path().join("comm")).unwrap_or_default();
            if comm.starts_with("ruru-lo-") {
                names.push(comm.trim().to_string());
            }
        }
        names.sort();
        names
    };
    let mut names = Vec::new();
    if ready {
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let now = read();
            if !now.is_empty() && now == names {
                break;
            }
            names = now;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "ruru did not start");
    names.sort();
    names
}

#[test]
fn multi_threading_sizes_the_workers_and_threads_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ruru.json");
    let write = |mt: &str| {
        std::fs::write(
            &cfg,
            format!(
                r#"{{ "Dhcp4": {{
  "interfaces-config": {{ "interfaces": ["lo"], "dhcp-socket-type": "udp" }},
  "lease-database": {{ "type": "memfile", "persist": false }},
  {mt}
  "subnet4": [ {{ "id": 1, "subnet": "192.0.2.0/24" }} ] }} }}"#
            ),
        )
        .unwrap();
    };
    write(r#""multi-threading": { "enable-multi-threading": true, "thread-pool-size": 3 },"#);
    assert_eq!(dhcp4_workers(&cfg, &[]).len(), 3);
    assert_eq!(dhcp4_workers(&cfg, &["--threads", "2"]).len(), 2);
    // Kea without multi-threading handles one packet at a time.
    write(r#""multi-threading": { "enable-multi-threading": false, "thread-pool-size": 3 },"#);
    assert_eq!(dhcp4_workers(&cfg, &[]), ["ruru-lo-0"]);
    // No multi-threading object: one worker per CPU (Kea 2.6/3.0's default).
    write("");
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    assert_eq!(dhcp4_workers(&cfg, &[]).len(), cpus);
}

/// Kea's `syslog:FACILITY` output: the server's messages reach the syslog
/// socket (here one the test binds, named by `RURU_SYSLOG_SOCKET`) as
/// `<PRI>ruru[PID]: message`, the priority from the facility and level.
#[test]
fn loggers_write_to_syslog() {
    use std::os::unix::net::UnixDatagram;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("log");
    let rx = UnixDatagram::bind(&sock).unwrap();
    rx.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let cfg = dir.path().join("ruru.json");
    std::fs::write(
        &cfg,
        r#"{ "Dhcp4": {
  "interfaces-config": { "interfaces": ["lo"], "dhcp-socket-type": "udp" },
  "lease-database": { "type": "memfile", "persist": false },
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "syslog:daemon" } ] } ],
  "subnet4": [ { "id": 1, "subnet": "192.0.2.0/24" } ]
} }"#,
    )
    .unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&cfg)
        .args(["-p", &port.to_string()])
        .env("RURU_SYSLOG_SOCKET", &sock)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let want = format!("<30>ruru[{}]: ", child.id());
    let mut seen = Vec::new();
    let end = Instant::now() + Duration::from_secs(20);
    let mut ready = false;
    while Instant::now() < end && !ready {
        let mut buf = [0u8; 2048];
        if let Ok(n) = rx.recv(&mut buf) {
            let m = String::from_utf8_lossy(&buf[..n]).to_string();
            ready = m.starts_with(&want) && m.contains("ruru ready");
            seen.push(m);
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    assert!(
        ready,
        "no `ruru ready` from daemon.info in syslog: {seen:#?}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("ruru ready"),
        "the log went to stdout too"
    );
}
