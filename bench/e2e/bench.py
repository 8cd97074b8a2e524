#!/usr/bin/env python3
"""End-to-end load bench: direct vs through mcpwall, in the same run, on 127.0.0.1 only.

A raw JSON-RPC driver (no SDK on the hot path), so the driver's own cost is the same on
both sides and cancels out of the ratio; the absolute added microseconds include none of
the SDK's overhead. Measures:
  1. stdio, sequential: p50/p90/p99 of server-everything `echo`, direct vs `mcpwall wrap`
     (audit trail ON, in a temp SQLite file), interleaved in rounds to cancel drift; `wrap`
     without busy polling (`--busy-poll-us 0`, key `mcpwall`) and with it (`--busy-poll-us N`,
     key `mcpwall_busy_poll`; N = 100 is `wrap`'s default).
  2. HTTP, 32 concurrent clients: throughput of `tools/call echo` against server-everything's
     own streamable HTTP mode (direct) vs `mcpwall serve` in front of the stdio server.
     Pairing: both answer the same tool from the same server code; direct is the server's
     HTTP transport, proxied is mcpwall's HTTP front plus the server's stdio transport (one
     child per session, as `serve` runs it by default). Both run at once and are measured in
     alternating rounds, so machine load drifts over both alike.
  3. idle RSS of `mcpwall wrap` and of `mcpwall serve`, and memory per session: RSS delta
     of `mcpwall serve` over N idle initialized HTTP sessions / N. Only mcpwall's own
     process is counted: each session's stdio server is a separate process.
The driver tolerates what a real client must: notifications and server-to-client requests
interleaved with responses (skipped; requests answered with -32601) on both paths.
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
# crates/cli/examples/relay_floor.rs (built by bench/e2e/run): the cheapest proxy process.
FLOOR = os.environ.get("MCPWALL_FLOOR_BIN", str(ROOT / "target/release/examples/relay_floor"))
SE = str(ROOT / ".testdeps/npm/node_modules/@modelcontextprotocol/server-everything/dist/index.js")
INIT = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}


def is_response(m: object, want: int) -> bool:
    """The response to our request `want` (not a server request that reuses the number)."""
    return isinstance(m, dict) and "method" not in m and m.get("id") == want


SKIPPED = {"notifications": 0, "server_requests": 0}


def answer_server_request(m: object) -> dict | None:
    """Counts a message that is not our response; a server request gets -32601 (the bench
    client declares no capabilities), a notification nothing."""
    if not isinstance(m, dict) or "method" not in m:
        return None
    if "id" not in m:
        SKIPPED["notifications"] += 1
        return None
    SKIPPED["server_requests"] += 1
    return {"jsonrpc": "2.0", "id": m["id"], "error": {"code": -32601, "message": "bench client: not supported"}}


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """A /proc/PID/status memory field in KiB: VmRSS (= RssAnon + RssFile + RssShmem)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def rss_split(pid: int) -> dict:
    return {f: rss_kib(pid, f) for f in ("VmRSS", "RssAnon", "RssFile")}


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
            if is_response(m, self.id):
                return m
            reply = answer_server_request(m)
            if reply is not None:
                self.send(reply)

    def close(self) -> None:
        self.p.stdin.close()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def interleaved(session) -> int:
    """One call whose answer comes after progress notifications (server-everything's
    long-running operation, 3 steps in 0.3 s): proves the driver skips what precedes the
    response on this path. Returns how many messages it skipped."""
    before = sum(SKIPPED.values())
    r = session.rpc("tools/call", {"name": "trigger-long-running-operation",
                                   "arguments": {"duration": 0.3, "steps": 3},
                                   "_meta": {"progressToken": "bench-progress"}})
    assert "result" in r, r
    return sum(SKIPPED.values()) - before


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def cpu_seconds(pid: int) -> float:
    """CPU time of one process so far, its threads included (children not): the scheduler's
    own nanosecond count per thread (`/proc/PID/task/TID/schedstat`), summed. The tick-based
    utime/stime of `/proc/PID/stat` are 10 ms samples, too coarse for a few microseconds per
    call and biased against a process that yields often (busy polling). Falls back to them
    where schedstat is missing."""
    total, seen = 0, False
    for t in Path(f"/proc/{pid}/task").glob("*"):
        try:
            total += int((t / "schedstat").read_text().split()[0])
            seen = True
        except (OSError, ValueError, IndexError):
            pass
    if seen:
        return total / 1e9
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_stdio(n: int, rounds: int, env: dict[str, str], busy_poll_us: int = 0) -> dict:
    direct = Stdio(["node", SE, "stdio"], env)
    # `wrap` without busy polling (its default polls for 100 us: the `mcpwall_busy_poll` variant)
    proxied = Stdio([MCPWALL, "wrap", "--name", "everything", "--busy-poll-us", "0", "--", "node", SE, "stdio"], env)
    variants = [("direct", direct), ("mcpwall", proxied)]
    # The floor of any proxy process: a byte pump with no parsing, checks or audit.
    floor = Stdio([FLOOR, "node", SE, "stdio"], env) if Path(FLOOR).is_file() else None
    if floor is not None:
        variants.insert(1, ("floor", floor))
    # The relay polls its inputs for up to N us before it sleeps (docs/performance.md).
    if busy_poll_us > 0 and floor is not None:
        variants.append(("floor_busy_poll", Stdio(
            [FLOOR, "--busy-poll-us", str(busy_poll_us), "node", SE, "stdio"], env)))
    if busy_poll_us > 0:
        variants.append(("mcpwall_busy_poll", Stdio(
            [MCPWALL, "wrap", "--name", "everything", "--busy-poll-us", str(busy_poll_us), "--", "node", SE, "stdio"],
            env)))
    lat = {name: [] for name, _ in variants}
    call = {"name": "echo", "arguments": {"message": "bench"}}
    for _, s in variants:  # warm-up (JIT, caches)
        for _ in range(200):
            s.rpc("tools/call", call)
    skipped = {"direct": interleaved(direct), "mcpwall": interleaved(proxied)}
    per_round: dict[str, list[float]] = {name: [] for name, _ in variants}
    cpu0 = {name: cpu_seconds(s.p.pid) for name, s in variants if name != "direct"}
    for k in range(rounds):
        # Rotate the order each round so no variant always runs right after another.
        order = variants[k % len(variants):] + variants[:k % len(variants)]
        for name, s in order:
            this = []
            for _ in range(n // rounds):
                t = time.perf_counter_ns()
                r = s.rpc("tools/call", call)
                this.append((time.perf_counter_ns() - t) / 1000)
                assert "result" in r, r
            lat[name].extend(this)
            per_round[name].append(pct(this, .5))
    idle = rss_kib(proxied.p.pid)
    # CPU time of the proxy process per timed call (threads included; the server's not)
    cpu = {name: 1e6 * (cpu_seconds(s.p.pid) - cpu0[name]) / len(lat[name]) for name, s in variants if name in cpu0}
    for _, s in variants:
        s.close()
    out = {k: {"p50_us": pct(v, .5), "p90_us": pct(v, .9), "p99_us": pct(v, .99), "n": len(v)} for k, v in lat.items()}
    for name, c in cpu.items():
        out[name]["proxy_cpu_us_per_call"] = c
    out["ratio_p50"] = out["mcpwall"]["p50_us"] / out["direct"]["p50_us"]
    out["added_p50_us"] = out["mcpwall"]["p50_us"] - out["direct"]["p50_us"]
    if floor is not None:
        out["floor_ratio_p50"] = out["floor"]["p50_us"] / out["direct"]["p50_us"]
        out["floor_added_p50_us"] = out["floor"]["p50_us"] - out["direct"]["p50_us"]
    # Per round, each variant's p50; then the median over rounds of the difference and the
    # ratio to direct in the same round (robust to the machine changing pace between rounds).
    med = statistics.median
    out["rounds"] = {name: [round(x, 1) for x in v] for name, v in per_round.items()}
    for name in per_round:
        if name == "direct":
            continue
        pairs = list(zip(per_round[name], per_round["direct"]))
        out[f"{name}_round_median_added_us"] = med(a - d for a, d in pairs)
        out[f"{name}_round_median_ratio"] = med(a / d for a, d in pairs)
    out["wrap_rss_after_load_kib"] = idle
    out["interleaved_messages_skipped"] = skipped
    return out


def summarize_repeats(reps: list[dict]) -> dict:
    """Medians over repeated stdio runs (fresh processes each), keeping every run's figures."""
    med = statistics.median
    out = {k: {"p50_us": med(r[k]["p50_us"] for r in reps), "p90_us": med(r[k]["p90_us"] for r in reps),
               "p99_us": med(r[k]["p99_us"] for r in reps), "n": sum(r[k]["n"] for r in reps)}
           for k in ("direct", "mcpwall", "floor", "floor_busy_poll", "mcpwall_busy_poll") if all(k in r for r in reps)}
    for k in out:
        if all("proxy_cpu_us_per_call" in r[k] for r in reps):
            out[k]["proxy_cpu_us_per_call"] = med(r[k]["proxy_cpu_us_per_call"] for r in reps)
    for key in ("ratio_p50", "added_p50_us", "floor_ratio_p50", "floor_added_p50_us",
                "mcpwall_round_median_added_us", "mcpwall_round_median_ratio",
                "floor_round_median_added_us", "floor_round_median_ratio", "wrap_rss_after_load_kib",
                "mcpwall_busy_poll_round_median_added_us", "mcpwall_busy_poll_round_median_ratio",
                "floor_busy_poll_round_median_added_us", "floor_busy_poll_round_median_ratio"):
        if all(key in r for r in reps):
            out[key] = med(r[key] for r in reps)
    out["rounds"] = reps[0]["rounds"]
    out["interleaved_messages_skipped"] = reps[0]["interleaved_messages_skipped"]
    out["repeats"] = [{k: r[k] for k in r if k not in ("rounds",)} for r in reps]
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


def sse_events(body: str) -> list[str]:
    """The data of each SSE event (multi-line data joined), in order."""
    out, data = [], []
    for line in body.splitlines() + [""]:
        if line == "":
            if data:
                out.append("\n".join(data))
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return out


class HttpSession:
    """One streamable-HTTP MCP session (JSON or SSE answers, notifications tolerated)."""

    def __init__(self, port: int, path: str):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path, self.sid, self.id = path, None, 0
        self.rpc("initialize", INIT)
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def post(self, m: dict) -> list:
        """POSTs one message; returns every JSON-RPC message of the answer, in order."""
        h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
             "MCP-Protocol-Version": "2025-06-18"}
        if self.sid:
            h["Mcp-Session-Id"] = self.sid
        try:
            self.c.request("POST", self.path, body=json.dumps(m), headers=h)
            r = self.c.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # The server closed an idle keep-alive connection (node: after 5 s) before reading
            # this request: reconnect and send it again, once.
            self.c.close()
            self.c.request("POST", self.path, body=json.dumps(m), headers=h)
            r = self.c.getresponse()
        self.sid = r.getheader("Mcp-Session-Id") or self.sid
        body = r.read().decode()
        if r.status >= 300:
            raise RuntimeError(f"HTTP {r.status}: {body[:200]}")
        if not body.strip():
            return []
        if (r.getheader("Content-Type") or "").startswith("text/event-stream"):
            return [json.loads(d) for d in sse_events(body) if d.strip()]
        v = json.loads(body)
        return v if isinstance(v, list) else [v]

    def rpc(self, method: str, params: dict) -> dict:
        self.id += 1
        got = self.post({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params})
        answer = None
        for m in got:
            if is_response(m, self.id):
                answer = m
                continue
            reply = answer_server_request(m)
            if reply is not None:
                self.post(reply)
        if answer is None:
            raise RuntimeError(f"no answer to {method} among {got}")
        return answer

    def close(self) -> None:
        self.c.close()


ECHO = {"name": "echo", "arguments": {"message": "bench"}}


def run_round(sessions: list[HttpSession], seconds: float) -> int:
    """All sessions call `echo` back to back for `seconds`; returns the calls completed."""
    stop = time.monotonic() + seconds
    counts = [0] * len(sessions)

    def run(i: int) -> None:
        while time.monotonic() < stop:
            r = sessions[i].rpc("tools/call", ECHO)
            assert "result" in r, r
            counts[i] += 1

    with cf.ThreadPoolExecutor(len(sessions)) as ex:
        list(ex.map(run, range(len(sessions))))
    return sum(counts)


def start(argv: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    err = open(log, "w")
    p = subprocess.Popen(argv, env=env, stdout=err, stderr=err)
    if not wait_port(port, p):
        p.kill()
        raise RuntimeError(f"{argv[0]} {argv[1]} did not start: " + log.read_text()[-300:])
    return p


def stop(p: subprocess.Popen) -> None:
    p.terminate()
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=5)


def bench_http(clients: int, seconds: float, rounds: int, sessions_n: int, batches: int, env: dict[str, str],
               tmp: Path) -> dict:
    out: dict = {}
    dport, mport, xport = free_port(), free_port(), free_port()
    cfg = tmp / "mcp.json"
    cfg.write_text(json.dumps({"mcpServers": {"everything": {"command": "node", "args": [SE, "stdio"]}}}))
    shared_cfg = tmp / "shared.toml"
    shared_cfg.write_text(f"[servers.everything]\ncommand = \"node\"\nargs = [{json.dumps(SE)}, \"stdio\"]\nshared = true\n")
    procs = []
    try:
        d = start(["node", SE, "streamableHttp"], {**env, "PORT": str(dport)}, dport, tmp / "direct.err")
        procs.append(d)
        s = start([MCPWALL, "serve", "--config", str(cfg), "--listen", f"127.0.0.1:{mport}"], env, mport,
                  tmp / "serve.err")
        procs.append(s)
        x = start([MCPWALL, "serve", "--config", str(shared_cfg), "--listen", f"127.0.0.1:{xport}"], env, xport,
                  tmp / "serve-shared.err")
        procs.append(x)
        time.sleep(1.0)
        out["serve_idle_rss_kib"] = rss_kib(s.pid)
        out["serve_idle_rss_split_kib"] = rss_split(s.pid)
        # The first sessions pay one-time costs (the redaction engine built on the first audited
        # payload, SQLite's page cache, runtime warm-up): measured apart, then per session.
        warm = [HttpSession(mport, "/mcp/everything") for _ in range(2)]
        time.sleep(1.5)  # the server's own post-handshake work (roots sync after 350 ms) settles
        out["serve_rss_after_first_2_sessions_kib"] = prev = rss_kib(s.pid)
        # Several batches: an RSS delta over a few dozen sessions moves with allocator reuse,
        # so every batch is reported and the median is the figure.
        idle = warm
        per_batch = []
        for _ in range(batches):
            idle += [HttpSession(mport, "/mcp/everything") for _ in range(sessions_n)]
            time.sleep(1.5)
            cur = rss_kib(s.pid)
            per_batch.append((cur - prev) / sessions_n)
            prev = cur
        out["serve_rss_with_idle_sessions_kib"] = prev
        out["per_session_kib_batches"] = per_batch
        out["per_session_kib"] = statistics.median(per_batch)
        out["sessions_measured"] = sessions_n * batches
        for c in idle:
            c.close()
        paths = {"direct": (dport, "/mcp"), "mcpwall": (mport, "/mcp/everything"),
                 "mcpwall_shared": (xport, "/mcp/everything")}
        sessions = {k: [HttpSession(pt, pa) for _ in range(clients)] for k, (pt, pa) in paths.items()}
        out["interleaved_messages_skipped"] = {k: interleaved(v[0]) for k, v in sessions.items()}
        for v in sessions.values():  # warm-up (JIT, connections, children)
            run_round(v, 1.0)
        calls = {k: 0 for k in sessions}
        ratios: dict[str, list[float]] = {"mcpwall": [], "mcpwall_shared": []}
        per = seconds / rounds
        for _ in range(rounds):
            got = {k: run_round(v, per) for k, v in sessions.items()}
            for k, n in got.items():
                calls[k] += n
            for k in ratios:
                ratios[k].append(got[k] / got["direct"] if got["direct"] else float("nan"))
        for k, n in calls.items():
            out[f"{k}_rps"] = n / seconds
        for k in ratios:
            out[f"{k}_ratio"] = calls[k] / calls["direct"]
            out[f"{k}_round_ratios"] = [round(r, 3) for r in ratios[k]]
            out[f"{k}_median_round_ratio"] = statistics.median(ratios[k])
        out["serve_rss_after_load_kib"] = rss_kib(s.pid)
        out["serve_shared_rss_after_load_kib"] = rss_kib(x.pid)
        out["clients"] = clients
        for v in sessions.values():
            for c in v:
                c.close()
    except Exception as e:  # report, do not hide
        import traceback
        out["error"] = f"{type(e).__name__}: {e}"
        out["traceback"] = traceback.format_exc()[-1500:]
    finally:
        for p in procs:
            stop(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--stdio-repeat", type=int, default=5,
                    help="fresh-process repeats of the stdio part; the headline is their median")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--http-rounds", type=int, default=5)
    ap.add_argument("--session-batches", type=int, default=3,
                    help="batches of --sessions idle sessions for the per-session figure (median)")
    ap.add_argument("--busy-poll-us", type=int, default=100,
                    help="also measure `wrap --busy-poll-us N` in the stdio part (0: skip)")
    ap.add_argument("--only", choices=["stdio", "http", "rss"], action="append",
                    help="run only these parts (repeatable); default all")
    a = ap.parse_args()
    parts = set(a.only or ["stdio", "http", "rss"])
    res: dict = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "loadavg_1m_start": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="mcpwall-bench-") as tmp:
        env = {**os.environ, "MCPWALL_AUDIT": f"{tmp}/audit.db", "MCPWALL_STATE_DIR": f"{tmp}/state"}
        if "stdio" in parts:
            # Each repeat starts fresh processes: on this 2-core machine a run keeps whatever
            # placement its three processes got (direct p50 is 50-70 or 110-120 us for a whole
            # run), so the headline is the median over repeats.
            reps = [bench_stdio(a.calls // a.stdio_repeat, a.rounds, env, a.busy_poll_us) for _ in range(a.stdio_repeat)]
            res["stdio"] = reps[len(reps) // 2] if len(reps) == 1 else summarize_repeats(reps)
        if "rss" in parts:
            # idle RSS: a fresh wrap after its handshake, no traffic
            w = Stdio([MCPWALL, "wrap", "--name", "everything", "--", "node", SE, "stdio"], env)
            time.sleep(1.5)
            res["wrap_idle_rss_kib"] = rss_kib(w.p.pid)
            res["wrap_idle_rss_split_kib"] = rss_split(w.p.pid)
            w.close()
        if "http" in parts or "rss" in parts:
            res["http"] = bench_http(a.clients, a.seconds, a.http_rounds, a.sessions, a.session_batches, env, Path(tmp))
    res["loadavg_1m_end"] = os.getloadavg()[0]
    res["skipped_by_driver"] = SKIPPED
    json.dump(res, sys.stdout, indent=2)
    print()
    if "stdio" in res:
        s = res["stdio"]
        print(f"stdio echo p50: direct {s['direct']['p50_us']:.0f} us, `wrap --busy-poll-us 0` {s['mcpwall']['p50_us']:.0f} us "
              f"(x{s['ratio_p50']:.2f}, +{s['added_p50_us']:.0f} us); p99 {s['direct']['p99_us']:.0f} vs {s['mcpwall']['p99_us']:.0f} us")
        reps = f"{len(s['repeats'])} fresh-process runs x " if "repeats" in s else ""
        print(f"stdio echo, median over {reps}{len(s['rounds']['direct'])} rounds of the same-round p50 difference: "
              f"mcpwall +{s['mcpwall_round_median_added_us']:.0f} us (x{s['mcpwall_round_median_ratio']:.2f})"
              + (f", floor +{s['floor_round_median_added_us']:.0f} us (x{s['floor_round_median_ratio']:.2f})" if "floor" in s else ""))
        if "floor" in s:
            print(f"stdio echo p50 through a bare byte-pump relay (floor of any proxy process): {s['floor']['p50_us']:.0f} us "
                  f"(x{s['floor_ratio_p50']:.2f}, +{s['floor_added_p50_us']:.0f} us); mcpwall over the floor: "
                  f"+{s['mcpwall']['p50_us'] - s['floor']['p50_us']:.0f} us")
        if "floor_busy_poll" in s:
            b = s["floor_busy_poll"]
            print(f"stdio echo p50 through the byte pump with --busy-poll-us {a.busy_poll_us}: {b['p50_us']:.0f} us "
                  f"(x{b['p50_us'] / s['direct']['p50_us']:.2f}, +{b['p50_us'] - s['direct']['p50_us']:.0f} us; same-round "
                  f"+{s['floor_busy_poll_round_median_added_us']:.0f} us)")
        if "mcpwall_busy_poll" in s:
            b = s["mcpwall_busy_poll"]
            dflt = " (the default)" if a.busy_poll_us == 100 else ""
            print(f"stdio echo p50 through `wrap --busy-poll-us {a.busy_poll_us}`{dflt}: {b['p50_us']:.0f} us "
                  f"(x{b['p50_us'] / s['direct']['p50_us']:.2f}, +{b['p50_us'] - s['direct']['p50_us']:.0f} us; same-round "
                  f"+{s['mcpwall_busy_poll_round_median_added_us']:.0f} us)")
        cpus = {k: s[k].get("proxy_cpu_us_per_call") for k in ("floor", "floor_busy_poll", "mcpwall", "mcpwall_busy_poll") if k in s}
        print("proxy CPU per call: " + ", ".join(f"{k} {v:.0f} us" for k, v in cpus.items() if v is not None))
    if "wrap_idle_rss_kib" in res:
        print(f"wrap idle RSS: {res['wrap_idle_rss_kib'] / 1024:.1f} MiB")
    h = res.get("http", {})
    if "error" in h:
        print(f"http: error: {h['error']}")
    if "serve_idle_rss_kib" in h:
        print(f"serve idle RSS: {h['serve_idle_rss_kib'] / 1024:.1f} MiB; after its first 2 sessions "
              f"{h['serve_rss_after_first_2_sessions_kib'] / 1024:.1f} MiB; per further idle session: "
              f"{h['per_session_kib']:.0f} KiB (median of batches "
              f"{', '.join(f'{x:.0f}' for x in h['per_session_kib_batches'])}; {h['sessions_measured']} sessions)")
    if "mcpwall_ratio" in h:
        print(f"http {h['clients']} clients: direct {h['direct_rps']:.0f} req/s; mcpwall serve {h['mcpwall_rps']:.0f} req/s "
              f"({h['mcpwall_ratio'] * 100:.0f}% of direct, median round {h['mcpwall_median_round_ratio'] * 100:.0f}%); "
              f"serve shared (one child) {h['mcpwall_shared_rps']:.0f} req/s ({h['mcpwall_shared_ratio'] * 100:.0f}%, "
              f"median round {h['mcpwall_shared_median_round_ratio'] * 100:.0f}%)")


if __name__ == "__main__":
    main()
