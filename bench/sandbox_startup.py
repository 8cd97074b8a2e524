#!/usr/bin/env python3
"""Startup overhead of the sandbox: median wall time of N starts of a trivial server, direct
vs under the sandbox helper (`mcpwall sandbox-exec`, the same spec the launcher builds).

Two workloads:
  true        `/bin/true`: pure process start and exit (the sandbox's fixed cost);
  mcp-init    `python3 tests/sandbox/escape_server.py` until it answers `initialize`.

Usage: bench/sandbox_startup.py [N] [HELPER]
HELPER defaults to target/release/mcpwall, then target/debug/mcpwall(-sandbox).
"""
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = int(sys.argv[1]) if len(sys.argv) > 1 else 30
CANDIDATES = [ROOT / "target/release/mcpwall", ROOT / "target/debug/mcpwall",
              ROOT / "target/debug/mcpwall-sandbox"]
HELPER = Path(sys.argv[2]) if len(sys.argv) > 2 else next(p for p in CANDIDATES if p.exists())
SCRIPT = ROOT / "tests/sandbox/escape_server.py"
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                   "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                              "clientInfo": {"name": "bench", "version": "1"}}}) + "\n"


def spec(argv):
    return {"mode": "enforce", "program": argv[0], "argv": argv,
            "env": [["PATH", "/usr/bin:/bin"], ["HOME", "/home/sandbox"], ["TMPDIR", "/tmp"]],
            "cwd": None, "runtime": [str(SCRIPT)] if str(SCRIPT) in argv else [],
            "read_only": [], "read_write": [], "proxy": None,
            "limits": {"processes": 256, "memory_mb": 2048, "open_files": 1024, "cpu_seconds": None}}


def command(argv, sandboxed):
    if not sandboxed:
        return argv, ()
    fd = os.memfd_create("spec", 0)
    os.write(fd, json.dumps(spec(argv)).encode())
    return [str(HELPER), "sandbox-exec", "--spec-fd", str(fd), "--", *argv], (fd,)


def run_true(sandboxed):
    cmd, fds = command(["/bin/true"], sandboxed)
    t = time.perf_counter()
    subprocess.run(cmd, pass_fds=fds, check=True, env={})
    dt = time.perf_counter() - t
    for fd in fds:
        os.close(fd)
    return dt


def run_init(sandboxed):
    cmd, fds = command(["/usr/bin/python3", str(SCRIPT)], sandboxed)
    t = time.perf_counter()
    p = subprocess.Popen(cmd, pass_fds=fds, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={})
    p.stdin.write(INIT.encode())
    p.stdin.flush()
    line = p.stdout.readline()
    dt = time.perf_counter() - t
    assert b"escape-server" in line, line
    p.stdin.close()
    p.wait()
    for fd in fds:
        os.close(fd)
    return dt


def medians_ms(fn):
    """Direct and sandboxed runs alternate, so load changes on this shared machine hit both."""
    fn(False), fn(True)  # warm caches
    direct, boxed = [], []
    for _ in range(N):
        direct.append(fn(False))
        boxed.append(fn(True))
    return statistics.median(direct) * 1000, statistics.median(boxed) * 1000


print(f"helper: {HELPER}  runs: {N} each, alternating; load average {os.getloadavg()[0]:.1f}")
for name, fn in [("true", run_true), ("mcp-init", run_init)]:
    direct, boxed = medians_ms(fn)
    print(f"{name:9} direct {direct:7.1f} ms  sandboxed {boxed:7.1f} ms  overhead {boxed - direct:6.1f} ms")
