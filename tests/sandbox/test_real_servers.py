"""Real MCP servers under `mcpwall wrap` (sandbox enforced), driven by the official Python
`mcp` client. Run: `.venv/bin/python -m pytest tests/sandbox` after `cargo build -p mcpwall`
and `scripts/install-test-deps`. Missing prerequisites skip loudly, or fail when CI=true.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[2]
MCPWALL = Path(os.environ.get("MCPWALL_BIN", ROOT / "target/debug/mcpwall"))
NPM_BIN = ROOT / ".testdeps/npm/node_modules/.bin"
VENV_BIN = ROOT / ".venv/bin"
ESCAPE = ROOT / "tests/sandbox/escape_server.py"

PLANTED = {
    "AWS_SECRET_ACCESS_KEY": "AKIAPLANTEDPLANTED/planted+secret",
    "GITHUB_TOKEN": "ghp_plantedplantedplantedplanted0000",
    "SSH_AUTH_SOCK": "/tmp/planted-agent.sock",
}


def need(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        msg = f"SANDBOX E2E PREREQUISITES MISSING: {', '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(msg + " (CI=true)")
        print("\n!!!!! " + msg + " !!!!!")
        pytest.skip(msg)


def text(result) -> str:
    return "".join(getattr(c, "text", "") for c in result.content)


@contextlib.asynccontextmanager
async def wrapped(config: Path, server: str, home: Path):
    env = {"PATH": os.environ["PATH"], "HOME": str(home), **PLANTED}
    params = StdioServerParameters(
        command=str(MCPWALL), args=["wrap", "--config", str(config), "--server", server], env=env
    )
    async with Client(stdio_client(params), mode="legacy", read_timeout_seconds=60) as client:
        yield client


def write_config(tmp: Path, body: str) -> Path:
    path = tmp / "mcpwall.toml"
    path.write_text(body)
    return path


@pytest.fixture
def layout(tmp_path: Path):
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PLANTED PRIVATE KEY\n")
    rw = tmp_path / "rw"
    rw.mkdir()
    rw.chmod(0o777)  # the server runs as uid 65534 when mcpwall runs as root
    tmp_path.chmod(0o755)
    return tmp_path, home, rw


def test_filesystem_server_with_root_slash_is_contained(layout):
    need(MCPWALL, NPM_BIN / "mcp-server-filesystem")
    tmp, home, rw = layout
    cfg = write_config(tmp, f"""
[servers.fs]
command = "{NPM_BIN / 'mcp-server-filesystem'}"
args = ["/"]
[servers.fs.sandbox.paths]
read_write = ["{rw}"]
""")

    async def run():
        async with wrapped(cfg, "fs", home) as c:
            r = await c.call_tool("read_text_file", {"path": str(home / ".ssh/id_ed25519")})
            assert r.is_error and "PLANTED" not in text(r), text(r)
            r = await c.call_tool("write_file", {"path": str(tmp / "outside.txt"), "content": "x"})
            assert r.is_error, text(r)
            r = await c.call_tool("write_file", {"path": "/usr/escape.txt", "content": "x"})
            assert r.is_error, text(r)
            r = await c.call_tool("write_file", {"path": str(rw / "inside.txt"), "content": "ok"})
            assert not r.is_error, text(r)
            r = await c.call_tool("list_directory", {"path": "/"})
            assert "root" not in text(r).split(), text(r)

    anyio.run(run)
    assert not (tmp / "outside.txt").exists()
    assert not Path("/usr/escape.txt").exists()
    assert (rw / "inside.txt").read_text() == "ok"


def test_everything_server_sees_only_declared_variables(layout):
    need(MCPWALL, NPM_BIN / "mcp-server-everything")
    tmp, home, _ = layout
    cfg = write_config(tmp, f"""
[servers.everything]
command = "{NPM_BIN / 'mcp-server-everything'}"
args = ["stdio"]
[servers.everything.sandbox]
env = {{ DECLARED_VAR = "declared" }}
""")

    async def run():
        async with wrapped(cfg, "everything", home) as c:
            names = [t.name for t in (await c.list_tools()).tools]
            tool = next(n for n in names if n in ("get-env", "printEnv"))
            return text(await c.call_tool(tool, {}))

    out = anyio.run(run)
    print(out)
    for name, value in PLANTED.items():
        assert name not in out and value not in out
    assert '"DECLARED_VAR": "declared"' in out
    assert str(home) not in out  # HOME is the sandbox's tmpfs home
    allowed = {"PATH", "HOME", "TMPDIR", "DECLARED_VAR", "LANG", "LANGUAGE", "TZ"}
    import json

    keys = set(json.loads(out))
    assert keys <= allowed | {k for k in keys if k.startswith("LC_")}, keys


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"host loopback reached")

    def log_message(self, *args):  # noqa: D401
        pass


def test_fetch_server_cannot_reach_host_loopback(layout):
    need(MCPWALL, VENV_BIN / "mcp-server-fetch")
    tmp, home, _ = layout
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Counter)
    port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    cfg = write_config(tmp, f"""
[servers.fetch]
command = "{VENV_BIN / 'mcp-server-fetch'}"
args = ["--allow-private-ips", "--ignore-robots-txt"]
""")

    async def run():
        async with wrapped(cfg, "fetch", home) as c:
            return await c.call_tool("fetch", {"url": f"http://127.0.0.1:{port}/"})

    try:
        r = anyio.run(run)
    finally:
        httpd.shutdown()
    assert r.is_error, text(r)
    assert "host loopback reached" not in text(r)
    assert _Counter.hits == 0


def test_escape_server_through_the_gateway(layout):
    need(MCPWALL, Path("/usr/bin/python3"))
    tmp, home, _ = layout
    cfg = write_config(tmp, f"""
[servers.escape]
command = "/usr/bin/python3"
args = ["{ESCAPE}"]
[servers.escape.sandbox.limits]
processes = 32
memory_mb = 256
""")
    import json

    async def run():
        async with wrapped(cfg, "escape", home) as c:
            out = {}
            for tool, args in [
                ("ptrace", {"pid": 1}),
                ("mount", {}),
                ("write_file", {"path": "/usr/escape"}),
                ("fork_bomb", {"count": 500}),
                ("memory", {"total_mb": 2048}),
                ("read_file", {"path": "/proc/1/environ"}),
                ("read_file", {"path": str(home / ".ssh/id_ed25519")}),
                ("env", {}),
            ]:
                out[f"{tool} {args}"] = json.loads(text(await c.call_tool(tool, args)))
            # The server dies mid-call: the client gets an error, not a hang.
            crashed = None
            try:
                r = await c.call_tool("crash", {"code": 3})
                crashed = r.is_error
            except Exception as e:  # noqa: BLE001
                crashed = repr(e)
            return out, crashed

    out, crashed = anyio.run(run)
    for k, v in out.items():
        print(k, "->", {kk: vv for kk, vv in v.items() if kk != "env"})
        if not k.startswith("env"):
            assert v["ok"] is False, (k, v)
    env = out["env {}"]["env"]
    assert not set(PLANTED) & set(env), env
    assert out["fork_bomb {'count': 500}"]["started"] < 32
    assert out["memory {'total_mb': 2048}"]["allocated_mb"] <= 256
    print("crash ->", crashed)
    assert crashed, crashed
