"""`mcp-server-fetch` in the sandbox, with one domain allowlisted, reaches a test host that this
test creates in its own network namespace, through mcpwall's egress proxy, and only that host.
Cloud-metadata and private addresses and other names are refused by the proxy before any
connection, and every decision is in the audit trail.

Traffic goes only to addresses inside a veth pair this test creates (10.213.9.0/30) and to
169.254.169.254, which the proxy refuses before connecting (nothing is sent there). The test
host's name resolves through an /etc/hosts that is bind-mounted only inside a private mount
namespace in which `mcpwall wrap` runs (`unshare -m`), so the machine's own files are untouched
and no resolver outside this machine is asked (special-use names such as `.test` are refused by
the URL guard, so the test uses ordinary-looking names that only that hosts file knows).

Needs root, `ip` (iproute2) and `unshare` (util-linux); skips loudly otherwise, fails under CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from test_egress_audit import audit, event_of, prepare
from test_real_servers import MCPWALL, VENV_BIN, need, text

HOST_IP = "10.213.9.1"  # our end of the veth pair
TEST_IP = "10.213.9.2"  # the test host's end, inside its own network namespace
TEST_PORT = 8080
BODY = "hello from the test host in its own network namespace"

SERVE = f"""
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {BODY!r}.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(({TEST_IP!r}, {TEST_PORT}), H).serve_forever()
"""


def sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


def prerequisites() -> None:
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare"):
        msg = "SANDBOX E2E PREREQUISITES MISSING: root, `ip` and `unshare` (netns test host)"
        if os.environ.get("CI") == "true":
            raise AssertionError(msg + " (CI=true)")
        pytest.skip(msg)


@contextlib.contextmanager
def netns_test_host():
    """A network namespace with an HTTP server on TEST_IP:TEST_PORT, linked to us by veth."""
    tag = f"{os.getpid() % 100000}"
    ns, host_if, ns_if = f"mcpwt{tag}", f"mwh{tag}", f"mwn{tag}"
    server = None
    try:
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", host_if, "type", "veth", "peer", "name", ns_if)
        sh("ip", "link", "set", ns_if, "netns", ns)
        sh("ip", "addr", "add", f"{HOST_IP}/30", "dev", host_if)
        sh("ip", "link", "set", host_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{TEST_IP}/30", "dev", ns_if)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", ns_if, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        server = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", SERVE])
        deadline = time.monotonic() + 20
        while True:  # bounded: until the server listens, at most 20 s
            try:
                socket.create_connection((TEST_IP, TEST_PORT), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("the test host's HTTP server did not start") from None
                time.sleep(0.1)
        yield
    finally:
        if server is not None:
            server.kill()
            server.wait(timeout=10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", host_if], capture_output=True, timeout=30)


@contextlib.contextmanager
def counting_server_on_host_side():
    """Counts connections to HOST_IP (our veth end): the private target that must never be
    contacted."""
    hits: list[str] = []
    srv = socket.socket()
    srv.bind((HOST_IP, 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = False

    def loop():
        while not stop:
            try:
                conn, _ = srv.accept()
                hits.append("connection")
                conn.close()
            except OSError:
                pass

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield srv.getsockname()[1], hits
    finally:
        stop = True
        t.join(timeout=2)
        srv.close()


def test_fetch_reaches_only_the_allowlisted_test_host_through_the_proxy(tmp_path: Path):
    need(MCPWALL, VENV_BIN / "mcp-server-fetch")
    prerequisites()
    prepare(tmp_path)
    hosts = tmp_path / "hosts"
    hosts.write_text(
        f"127.0.0.1 localhost\n::1 localhost\n{TEST_IP} testhost.e2e.mcpwall.dev\n"
        f"{HOST_IP} other.e2e.mcpwall.dev\n"
    )
    hosts.chmod(0o644)
    cfg = tmp_path / "mcpwall.toml"
    cfg.write_text(f"""
[servers.fetch]
command = "{VENV_BIN / 'mcp-server-fetch'}"
# mcpwall's proxy is what decides here: the server's own private-address check is off.
args = ["--ignore-robots-txt", "--allow-private-ips"]
[servers.fetch.sandbox.network]
allow_domains = ["testhost.e2e.mcpwall.dev"]
# The test host has a private address (test traffic stays in our own namespaces); an
# allowlisted name that resolves to a private address is refused unless the range is
# allowlisted too (the DNS-rebinding rule), so the test allowlists exactly that address.
allow_cidrs = ["{TEST_IP}/32"]
""")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "MCPWALL_STATE_DIR": str(tmp_path / "state"),
    }
    # mcpwall (and so its proxy's resolver) runs in a private mount namespace whose /etc/hosts
    # names the test host.
    params = StdioServerParameters(
        command="unshare",
        args=[
            "--mount", "--propagation", "private", "sh", "-c",
            'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts),
            str(MCPWALL), "wrap", "--config", str(cfg), "--server", "fetch",
            "--audit", str(tmp_path / "audit.db"),
        ],
        env=env,
    )

    with netns_test_host(), counting_server_on_host_side() as (private_port, private_hits):
        async def run():
            errlog = open(tmp_path / "wrap.stderr", "w")  # noqa: SIM115
            try:
                async with Client(
                    stdio_client(params, errlog=errlog), mode="legacy", read_timeout_seconds=90
                ) as c:
                    out = {}
                    for key, url in [
                        ("allowed", f"http://testhost.e2e.mcpwall.dev:{TEST_PORT}/page"),
                        ("metadata", "http://169.254.169.254/latest/meta-data/"),
                        ("private", f"http://{HOST_IP}:{private_port}/"),
                        ("other_name", f"http://other.e2e.mcpwall.dev:{private_port}/"),
                    ]:
                        out[key] = await c.call_tool("fetch", {"url": url})
                    return out
            finally:
                errlog.close()

        results = anyio.run(run)

    allowed = results["allowed"]
    assert not allowed.is_error, text(allowed)
    assert BODY in text(allowed), text(allowed)
    for key in ("metadata", "private", "other_name"):
        assert results[key].is_error, (key, text(results[key]))
        assert BODY not in text(results[key])
    assert private_hits == [], "the proxy connected to a private address it should refuse"

    egress = [
        e for e in (event_of(r) for r in audit(tmp_path, "export", "--jsonl"))
        if e.get("rule") == "sandbox.egress"
    ]
    print(json.dumps(egress, indent=1))
    by_target = {e.get("tool"): e for e in egress}
    ok = by_target[f"testhost.e2e.mcpwall.dev:{TEST_PORT}"]
    assert ok["decision"] == "allow" and TEST_IP in ok["reason"], ok
    meta = by_target["169.254.169.254:80"]
    assert meta["decision"] == "deny" and "metadata" in meta["reason"], meta
    private = by_target[f"{HOST_IP}:{private_port}"]
    assert private["decision"] == "deny", private
    other = by_target[f"other.e2e.mcpwall.dev:{private_port}"]
    assert other["decision"] == "deny" and "not allowlisted" in other["reason"], other
    assert all(e.get("server") == "fetch" for e in egress), egress
