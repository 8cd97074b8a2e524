"""Shared helpers for the end-to-end suite: paths, isolated environments, server commands,
the official Python `mcp` client opened directly or through `mcpwall`, a raw JSON-RPC
stdio driver (for tests that need process ids and exact bytes), and feature probing.

A test that meets a `mcpwall` subcommand that is still a stub skips with the exact message
mcpwall printed, so a skip always names the missing feature and disappears by itself when
the feature lands.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[2]
MCPWALL = Path(os.environ.get("MCPWALL_BIN", ROOT / "target" / "release" / "mcpwall"))
NPM = ROOT / ".testdeps" / "npm" / "node_modules"
VENV_BIN = ROOT / ".venv" / "bin"
NODE = shutil.which("node") or "node"

SERVER_EVERYTHING = NPM / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
SERVER_FILESYSTEM = NPM / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
INSPECTOR_DIR = NPM / "@modelcontextprotocol" / "inspector-cli" / "build"

# Words mcpwall's stubs use; a process that fails with one of these means "feature missing".
_UNIMPLEMENTED = re.compile(r"not implemented|unimplemented|not yet supported", re.I)


def everything_cmd() -> list[str]:
    return [NODE, str(SERVER_EVERYTHING), "stdio"]


def filesystem_cmd(root: Path) -> list[str]:
    return [NODE, str(SERVER_FILESYSTEM), str(root)]


def time_cmd() -> list[str]:
    return [str(VENV_BIN / "mcp-server-time"), "--local-timezone", "UTC"]


def fetch_cmd() -> list[str]:
    return [str(VENV_BIN / "mcp-server-fetch"), "--ignore-robots-txt", "--allow-private-ips"]


def wrap_cmd(server: list[str]) -> list[str]:
    return [str(MCPWALL), "wrap", "--", *server]


@dataclass
class Env:
    """An isolated world for one test: its own HOME, XDG dirs and audit database, so the kill
    switch state, audit trail and any per-user file of one test never touches another."""

    dir: Path
    vars: dict[str, str] = field(default_factory=dict)

    @property
    def audit_db(self) -> Path:
        return self.dir / "audit.db"

    def run(self, *args: str, timeout: float = 30, check: bool = False, input: str | None = None):
        """Runs `mcpwall ARGS` in this environment; skips the test if mcpwall says the
        subcommand is not implemented yet."""
        proc = subprocess.run(
            [str(MCPWALL), *args],
            env=self.vars,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
        skip_if_unimplemented(proc.stderr, f"mcpwall {' '.join(args[:2])}")
        if check and proc.returncode != 0:
            raise AssertionError(
                f"mcpwall {' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc


def make_env(base: Path) -> Env:
    base.mkdir(parents=True, exist_ok=True)
    home = base / "home"
    for d in ("home", "xdg-data", "xdg-state", "xdg-config", "xdg-runtime", "xdg-cache"):
        (base / d).mkdir(exist_ok=True)
    os.chmod(base / "xdg-runtime", 0o700)
    env = dict(os.environ)
    env.update(
        HOME=str(home),
        XDG_DATA_HOME=str(base / "xdg-data"),
        XDG_STATE_HOME=str(base / "xdg-state"),
        XDG_CONFIG_HOME=str(base / "xdg-config"),
        XDG_RUNTIME_DIR=str(base / "xdg-runtime"),
        XDG_CACHE_HOME=str(base / "xdg-cache"),
        MCPWALL_AUDIT=str(base / "audit.db"),
        MCPWALL_STATE_DIR=str(base / "state"),
        PYTHONUNBUFFERED="1",
        NO_COLOR="1",
    )
    return Env(dir=base, vars=env)


def skip_if_unimplemented(stderr: str, what: str) -> None:
    for line in (stderr or "").splitlines():
        if _UNIMPLEMENTED.search(line):
            pytest.skip(f"{what}: feature missing in mcpwall ({line.strip()})")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------
# Process tree helpers (Linux /proc)
# --------------------------------------------------------------------------------------


def _ppid_and_state(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm may contain spaces and parentheses; the fields after the last ')' are fixed.
    rest = stat[stat.rfind(")") + 2 :].split()
    return int(rest[1]), rest[0]


def descendants(pid: int) -> list[int]:
    """All live descendants of `pid` (children first)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _ppid_and_state(int(entry))
            if info:
                parents[int(entry)] = info[0]
    out: list[int] = []
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        out.extend(kids)
        frontier.extend(kids)
    return out


def process_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie."""
    info = _ppid_and_state(pid)
    return info is not None and info[1] not in ("Z", "X")


def process_exists(pid: int) -> bool:
    """True if `pid` exists at all (zombies included)."""
    return _ppid_and_state(pid) is not None


# --------------------------------------------------------------------------------------
# Raw JSON-RPC over stdio
# --------------------------------------------------------------------------------------


class RawStdio:
    """A minimal newline-delimited JSON-RPC peer over a child's stdin/stdout, for tests that
    need the child's pid, exact messages, or to die abruptly. Server-to-client messages and
    notifications are kept in `self.inbox`."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, stderr_path: Path | None = None):
        self._stderr_file = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.stderr_path = stderr_path
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr_file,
            env=env,
        )
        self._q: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.inbox: list[dict[str, Any]] = []
        self._next_id = 1
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                self._q.put(json.loads(line))
            except ValueError:
                self._q.put({"_unparsable": line.decode(errors="replace")})
        self._q.put(None)

    def stderr_text(self) -> str:
        if self.stderr_path and self.stderr_path.exists():
            return self.stderr_path.read_text(errors="replace")
        return ""

    def send(self, msg: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(msg) + "\n").encode())
        self.proc.stdin.flush()

    def send_raw(self, data: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> int:
        rid = self._next_id
        self._next_id += 1
        msg: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return rid

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    def wait_response(self, rid: int, timeout: float = 20) -> dict[str, Any] | None:
        """The response to `rid`, or None if the stream ended or the time ran out."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                msg = self._q.get(timeout=left)
            except queue.Empty:
                return None
            if msg is None:
                self._q.put(None)  # keep the end marker for later waits
                return None
            if msg.get("id") == rid and ("result" in msg or "error" in msg):
                return msg
            self.inbox.append(msg)

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 20) -> dict[str, Any]:
        rid = self.request(method, params)
        resp = self.wait_response(rid, timeout)
        if resp is None:
            skip_if_unimplemented(self.stderr_text(), "mcpwall wrap")
            raise AssertionError(f"no response to {method} (id {rid}); stderr:\n{self.stderr_text()[-2000:]}")
        return resp

    def initialize(self, version: str = "2025-06-18") -> dict[str, Any]:
        resp = self.call(
            "initialize",
            {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "mcpwall-e2e", "version": "0"}},
        )
        assert "result" in resp, resp
        self.notify("notifications/initialized")
        return resp

    def close(self, timeout: float = 10) -> int | None:
        with contextlib.suppress(OSError):
            if self.proc.stdin:
                self.proc.stdin.close()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)


def reap_tree(pids: list[int]) -> None:
    """Last-resort cleanup so a failing test does not leave servers running."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def tempdir(prefix: str) -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
