#!/usr/bin/env python3
"""End-to-end load bench: direct vs through mcpwall, in the same run, on 127.0.0.1 only.

A raw JSON-RPC driver (no SDK on the hot path), so the driver's own cost is the same on
both sides and cancels out of the ratio; the absolute added microseconds include none of
the SDK's overhead. Measures:
  1. stdio, sequential: p50/p90/p99 of server-everything `echo`, direct vs `mcpwall wrap`
     (audit trail ON, in a temp SQLite file), interleaved in rounds to cancel drift.
  2. HTTP, 32 concurrent clients: throughput of `tools/call echo` against server-everything's
     own streamable HTTP mode (direct) vs `mcpwall serve` in front of the stdio server.
     Pairing: both answer the same tool from the same server code; direct is the server's
     HTTP transport, proxied is mcpwall's HTTP front plus the server's stdio transport.
  3. idle RSS of `mcpwall wrap` and of `mcpwall serve`, and memory per session: RSS delta
     of `mcpwall serve` over N idle initialized HTTP sessions / N.
Bounded: fixed counts, every wait has a deadline. Usage: bench/e2e/run (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MCPWALL = os.environ.get("MCPWALL_BIN", str(ROOT / "target/release/mcpwall"))
SE = str(ROOT / ".testdeps/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Stdio:
    def __init__(self, argv: list[str], env: dict[str, str]):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.id = 0
        self.rpc("initialize", INIT)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, m: dict) -> None:
        self.p.stdin.write((json.dumps(m) + "\n").encode())
        self.p.stdin.flush()

    def rpc(self, method: str, params: dict) -> dict:
        self.id += 1
        self.send({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError(f"stream closed during {method}")
            m = json.loads(line)
            if m.get("id") == self.id:
                return m

    def close(self) -> None:
        self.p.stdin.close()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def bench_stdio(n: int, rounds: int, env: dict[str, str]) -> dict:
    direct = Stdio(["node", SE, "stdio"], env)
    proxied = Stdio([MCPWALL, "wrap", "--name", "everything", "--", "node", SE, "stdio"], env)
    lat = {"direct": [], "mcpwall": []}
    call = {"name": "echo", "arguments": {"message": "bench"}}
    for s in (direct, proxied):  # warm-up (JIT, caches)
        for _ in range(200):
            s.rpc("tools/call", call)
    for _ in range(rounds):
        for name, s in (("direct", direct), ("mcpwall", proxied)):
            for _ in range(n // rounds):
                t = time.perf_counter_ns()
                r = s.rpc("tools/call", call)
                lat[name].append((time.perf_counter_ns() - t) / 1000)
                assert "result" in r, r
    idle = rss_kib(proxied.p.pid)
    direct.close()
    proxied.close()
    out = {k: {"p50_us": pct(v, .5), "p90_us": pct(v, .9), "p99_us": pct(v, .99), "n": len(v)} for k, v in lat.items()}
    out["ratio_p50"] = out["mcpwall"]["p50_us"] / out["direct"]["p50_us"]
    out["added_p50_us"] = out["mcpwall"]["p50_us"] - out["direct"]["p50_us"]
    out["wrap_rss_after_load_kib"] = idle
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class HttpSession:
    """One streamable-HTTP MCP session (JSON or single-event SSE answers)."""

    def __init__(self, port: int, path: str):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path, self.sid, self.id = path, None, 0
        self.rpc("initialize", INIT)
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, m: dict) -> dict | None:
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
             "MCP-Protocol-Version": "2025-06-18"}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
        self.c.request("POST", self.path, body=json.dumps(m), headers=h)
        r = self.c.getresponse()
        self.sid = r.getheader("Mcp-Session-Id") or self.sid
        body = r.read().decode()
        if r.status >= 300 and r.status != 202:
            raise RuntimeError(f"HTTP {r.status}: {body[:200]}")
        if not body.strip():
            return None
        if body.lstrip().startswith("{"):
            return json.loads(body)
        for line in body.splitlines():  # SSE
            if line.startswith("data:"):
                return json.loads(line[5:])
        return None

    def rpc(self, method: str, params: dict) -> dict:
        self.id += 1
        r = self.post({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        if r is None or r.get("id") != self.id:
            raise RuntimeError(f"bad answer to {method}: {r}")
        return r


def throughput(port: int, path: str, clients: int, seconds: float) -> float:
    sessions = [HttpSession(port, path) for _ in range(clients)]
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def run(i: int) -> None:
        while time.monotonic() < stop:
            sessions[i].rpc("tools/call", {"name": "echo", "arguments": {"message": "bench"}})
            counts[i] += 1

    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(clients) as ex:
        list(ex.map(run, range(clients)))
    return sum(counts) / (time.monotonic() - t0)


def bench_http(clients: int, seconds: float, sessions_n: int, env: dict[str, str], tmp: Path) -> dict:
    out: dict = {}
    port = free_port()
    d = subprocess.Popen(["node", SE, "streamableHttp"], env={**env, "PORT": str(port)},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(port, d):
            return {"error": "server-everything streamableHttp did not start"}
        throughput(port, "/mcp", 4, 1.0)  # warm-up
        out["direct_rps"] = throughput(port, "/mcp", clients, seconds)
    finally:
        d.terminate()
        d.wait(timeout=10)
    cfg = tmp / "mcp.json"
    cfg.write_text(json.dumps({"mcpServers": {"everything": {"command": "node", "args": [SE, "stdio"]}}}))
    port = free_port()
    err = open(tmp / "serve.err", "w")
    s = subprocess.Popen([MCPWALL, "serve", "--config", str(cfg), "--listen", f"127.0.0.1:{port}"],
                         env=env, stdout=err, stderr=err)
    try:
        if not wait_port(port, s):
            return {**out, "error": "mcpwall serve did not start: " + (tmp / "serve.err").read_text()[-300:]}
        time.sleep(0.5)
        out["serve_idle_rss_kib"] = rss_kib(s.pid)
        base = rss_kib(s.pid)
        idle = [HttpSession(port, "/mcp/everything") for _ in range(sessions_n)]
        time.sleep(0.5)
        out["per_session_kib"] = (rss_kib(s.pid) - base) / sessions_n
        out["sessions_measured"] = len(idle)
        throughput(port, "/mcp/everything", 4, 1.0)
        out["mcpwall_rps"] = throughput(port, "/mcp/everything", clients, seconds)
        out["throughput_ratio"] = out["mcpwall_rps"] / out["direct_rps"]
    except Exception as e:  # report, do not hide
        out["error"] = f"{type(e).__name__}: {e}"
    finally:
        s.terminate()
        try:
            s.wait(timeout=15)
        except subprocess.TimeoutExpired:
            s.kill()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sessions", type=int, default=20)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="mcpwall-bench-") as tmp:
        env = {**os.environ, "MCPWALL_AUDIT": f"{tmp}/audit.db", "MCPWALL_STATE_DIR": f"{tmp}/state"}
        res = {"stdio": bench_stdio(a.calls, a.rounds, env)}
        # idle RSS: a fresh wrap after its handshake, no traffic
        w = Stdio([MCPWALL, "wrap", "--name", "everything", "--", "node", SE, "stdio"], env)
        time.sleep(0.5)
        res["wrap_idle_rss_kib"] = rss_kib(w.p.pid)
        w.close()
        res["http"] = bench_http(a.clients, a.seconds, a.sessions, env, Path(tmp))
    json.dump(res, sys.stdout, indent=2)
    print()
    s = res["stdio"]
    print(f"stdio echo p50: direct {s['direct']['p50_us']:.0f} us, mcpwall {s['mcpwall']['p50_us']:.0f} us "
          f"(x{s['ratio_p50']:.2f}, +{s['added_p50_us']:.0f} us); p99 {s['direct']['p99_us']:.0f} vs {s['mcpwall']['p99_us']:.0f} us")
    print(f"wrap idle RSS: {res['wrap_idle_rss_kib'] / 1024:.1f} MiB")
    print(f"http: {res['http']}")


if __name__ == "__main__":
    main()
