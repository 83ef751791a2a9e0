//! ISC Kea 2.2's daemons (Debian's packages) as partners of the
//! interoperability tests: `kea-dhcp4` (mixed fleets, NCRs to ruru's
//! updater) and `kea-dhcp-ddns` (NCRs from ruru). Each runs on loopback
//! with its pid and lock files in a temporary directory, its log kept
//! (printed when the test fails), and is stopped when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use super::skip;

/// A running Kea daemon.
pub struct Kea {
    child: Child,
    /// The DHCP port it was given (`-p`), when it is a DHCP server.
    pub port: u16,
    _dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<String>>>,
    name: &'static str,
}

impl Kea {
    /// Starts `bin` (of Debian package `package`) on `config` (Kea's
    /// format, its loggers to stdout) with `args`, and waits for the log
    /// line with `started`; `None` (SKIP, a failure under
    /// `RURU_REQUIRE_ALL=1`) when Kea is not installed.
    pub fn start(
        bin: &'static str,
        package: &str,
        config: &str,
        args: &[String],
        started: &str,
        test: &str,
    ) -> Option<Kea> {
        let path = [bin.to_string(), format!("/usr/sbin/{bin}")]
            .into_iter()
            .find(|b| Command::new(b).arg("-v").output().is_ok());
        let Some(path) = path else {
            skip(test, &format!("{bin} (Debian package {package}) not found"));
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join(format!("{bin}.json"));
        std::fs::write(&cfg, config).unwrap();
        let mut child = Command::new(path)
            .arg("-c")
            .arg(&cfg)
            .args(args)
            .env("KEA_PIDFILE_DIR", dir.path())
            .env("KEA_LOCKFILE_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {bin}: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        for out in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let (tx, log, started) = (tx.clone(), log.clone(), started.to_string());
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if line.contains(&started) {
                        let _ = tx.send(());
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        if rx.recv_timeout(Duration::from_secs(20)).is_err() {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{bin} did not start:\n{}", log.lock().unwrap().join("\n"));
        }
        let port = args
            .iter()
            .position(|a| a == "-p")
            .and_then(|i| args.get(i + 1)?.parse().ok())
            .unwrap_or(0);
        Some(Kea {
            child,
            port,
            _dir: dir,
            log,
            name: bin,
        })
    }

    /// What it logged so far.
    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Kea {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{} log:\n{}", self.name, self.log_text());
        }
    }
}
