#!/usr/bin/env python3
"""Scale figures of ruru (issue 8): start-up with a big lease file, a /8
pool, and reloading a configuration with many subnets and reservations.

Runs the release binary (`cargo build --release` first) on loopback with a
high port; no DHCP traffic is sent. Each scenario is run REPEAT times and
the median (min-max) is printed, with the peak RSS (VmHWM) of the server.

    python3 bench/scale.py                  # all scenarios
    python3 bench/scale.py leases-1m        # one of: leases-1m, pool-8,
                                            # pool-8-99, subnets-10k

Scenarios:
- leases-1m: 1,000,000 leases in a Kea-format lease file (one /8 subnet);
  time from exec to "ruru ready" (the file is read, checked and indexed,
  statistics recounted), and RSS. Then once more after a lease file
  cleanup (LFC, `lfc-interval` 1 for one run): the restart reads ruru's
  binary snapshot (`leases4.csv.ruru-snapshot`) instead of `leases4.csv.2`.
- pool-8: an empty /8 pool (16.7 M addresses): start-up time and RSS (no
  per-address structure may be built at start), then the cost of DORA-less
  allocation is not measured here (see the note in bench/README.md).
- pool-8-99: the /8 pool with 99% of its addresses leased (16.6 M leases,
  the free ones spread evenly): start-up time and RSS, from the CSV file
  and, after an LFC, from the snapshot. Not in the default
  list (the file is 1.3 GB and takes minutes to write); run it by name.
- subnets-10k: 10,000 subnets with 10 reservations each (100,000
  reservations): start-up time, then `config-reload` round-trip time
  through the control socket (parse, validate, build the engine, swap).
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("RURU_BIN", os.path.join(ROOT, "target/release/ruru"))
REPEAT = int(os.environ.get("REPEAT", "3"))
HEADER = "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context"


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def base_config(d, subnets, extra=""):
    return {
        "Dhcp4": {
            "interfaces-config": {"interfaces": ["lo"], "dhcp-socket-type": "udp"},
            "lease-database": {"type": "memfile", "name": f"{d}/leases4.csv", "lfc-interval": 0},
            "control-socket": {"socket-type": "unix", "socket-name": f"{d}/ctl.sock"},
            "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
                         "output_options": [{"output": "stdout"}]}],
            "valid-lifetime": 3600,
            "subnet4": subnets,
        }
    }


def start(d, cfg):
    path = os.path.join(d, "ruru.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "serve", "-c", path, "-p", str(free_port()), "-P", str(free_port())],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=d)
    p.lines = []
    for line in p.stdout:
        p.lines.append(line)
        if "ruru ready" in line:
            return p, time.monotonic() - t0
    raise SystemExit(f"ruru did not start: {p.wait()}")


def rss_mib(p):
    with open(f"/proc/{p.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stop(p):
    p.terminate()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()


def ctl(d, command):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(os.path.join(d, "ctl.sock"))
    s.sendall(json.dumps({"command": command}).encode())
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    return json.loads(out)


def summary(name, values, unit):
    med = statistics.median(values)
    return f"{name}: {med:.3f} {unit} [{min(values):.3f}-{max(values):.3f}]"


def write_leases(path, offsets):
    """A Kea lease file with one lease per offset into 10.0.0.0/8."""
    now = int(time.time())
    with open(path, "w") as f:
        f.write(HEADER + "\n")
        for i in offsets:
            a = 0x0A000000 + i
            addr = f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}"
            mac = f"02:00:{(i >> 24) & 255:02x}:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}"
            f.write(f"{addr},{mac},,3600,{now + 3600},1,0,0,,0,\n")


def restarts(name, d, cfg, snapshot=False):
    """REPEAT starts; with `snapshot`, each must have loaded the binary
    snapshot (and without, none may have)."""
    times, rss = [], []
    for _ in range(REPEAT):
        p, t = start(d, cfg)
        times.append(t)
        rss.append(rss_mib(p))
        stop(p)
        used = any("lease snapshot loaded" in line for line in p.lines)
        if used != snapshot:
            raise SystemExit(f"{name}: snapshot used: {used}, expected {snapshot}")
    print(summary(name, times, "s"), f"| peak RSS {statistics.median(rss):.0f} MiB")


def compact_once(d, cfg):
    """Runs ruru with `lfc-interval` 1 until its first lease file cleanup is
    done: the leases are then in leases4.csv.2 and its snapshot."""
    cfg = json.loads(json.dumps(cfg))
    cfg["Dhcp4"]["lease-database"]["lfc-interval"] = 1
    p, _ = start(d, cfg)
    for line in p.stdout:
        if "lease file compacted" in line:
            break
        if "compaction failed" in line:
            raise SystemExit(line)
    stop(p)
    if not os.path.exists(os.path.join(d, "leases4.csv.ruru-snapshot")):
        raise SystemExit("no snapshot after the lease file cleanup")


def leases_1m():
    with tempfile.TemporaryDirectory() as d:
        write_leases(os.path.join(d, "leases4.csv"), range(1, 1_000_001))
        cfg = base_config(d, [{"id": 1, "subnet": "10.0.0.0/8",
                               "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}])
        restarts("leases-1m start-up (1,000,000 leases, CSV)", d, cfg)
        compact_once(d, cfg)
        restarts("leases-1m restart after LFC (snapshot)", d, cfg, snapshot=True)


def pool_8_99():
    # 99% of the /8 pool leased, the free addresses spread evenly (1 in
    # 100); the cost of each allocation as the pool fills is measured by
    # crates/ruru-engine/examples/alloc_fill.rs (see bench/README.md).
    with tempfile.TemporaryDirectory() as d:
        write_leases(os.path.join(d, "leases4.csv"),
                     (i for i in range(1, 0xFFFFFF) if i % 100 != 50))
        cfg = base_config(d, [{"id": 1, "subnet": "10.0.0.0/8",
                               "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}])
        restarts("pool-8-99 start-up (/8 pool, 16.6 M leases: 99%, CSV)", d, cfg)
        compact_once(d, cfg)
        restarts("pool-8-99 restart after LFC (snapshot)", d, cfg, snapshot=True)


def pool_8():
    with tempfile.TemporaryDirectory() as d:
        cfg = base_config(d, [{"id": 1, "subnet": "10.0.0.0/8",
                               "pools": [{"pool": "10.0.0.1 - 10.255.255.254"}]}])
        times, rss = [], []
        for _ in range(REPEAT):
            try:
                os.remove(os.path.join(d, "leases4.csv"))
            except FileNotFoundError:
                pass
            p, t = start(d, cfg)
            times.append(t)
            rss.append(rss_mib(p))
            stop(p)
        print(summary("pool-8 start-up (empty /8 pool)", times, "s"),
              f"| peak RSS {statistics.median(rss):.0f} MiB")


def subnets_10k():
    with tempfile.TemporaryDirectory() as d:
        subnets = []
        for i in range(10_000):
            net = 0x0A000000 + (i << 8)
            pre = f"{net >> 24}.{(net >> 16) & 255}.{(net >> 8) & 255}"
            res = [{"hw-address": f"02:01:{(i >> 8) & 255:02x}:{i & 255:02x}:00:{k:02x}",
                    "ip-address": f"{pre}.{10 + k}"} for k in range(10)]
            subnets.append({"id": i + 1, "subnet": f"{pre}.0/24",
                            "pools": [{"pool": f"{pre}.100 - {pre}.200"}],
                            "reservations": res})
        cfg = base_config(d, subnets)
        starts, reloads, rss = [], [], []
        for _ in range(REPEAT):
            p, t = start(d, cfg)
            starts.append(t)
            t0 = time.monotonic()
            r = ctl(d, "config-reload")
            reloads.append(time.monotonic() - t0)
            if r.get("result") != 0:
                raise SystemExit(f"config-reload failed: {r}")
            rss.append(rss_mib(p))
            stop(p)
        print(summary("subnets-10k start-up (10,000 subnets, 100,000 reservations)", starts, "s"))
        print(summary("subnets-10k config-reload", reloads, "s"),
              f"| peak RSS {statistics.median(rss):.0f} MiB")


SCENARIOS = {"leases-1m": leases_1m, "pool-8": pool_8, "pool-8-99": pool_8_99,
             "subnets-10k": subnets_10k}

if __name__ == "__main__":
    if not os.path.exists(BIN):
        raise SystemExit(f"{BIN} not found: run `cargo build --release` first")
    for name in sys.argv[1:] or [s for s in SCENARIOS if s != "pool-8-99"]:
        SCENARIOS[name]()
