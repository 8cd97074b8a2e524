"""Differential tests: the same scripted session, run directly against a real server and
through mcpwall (stdio `wrap`, and HTTP `serve`), must give the same results: tool lists,
call results (errors included), prompts and resources. Volatile fields are normalized."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Awaitable, Callable

import anyio
import pytest

from clients import MODES, http_session, script_everything, script_filesystem, script_fetch, script_time, stdio_session
from harness import (
    MCPWALL,
    Env,
    everything_cmd,
    fetch_cmd,
    filesystem_cmd,
    free_port,
    skip_if_unimplemented,
    time_cmd,
    wait_port,
    wrap_cmd,
)

Script = Callable[[Any], Awaitable[dict[str, Any]]]


def _servers(tmp: Path) -> dict[str, tuple[list[str], Script]]:
    root = tmp / "fsroot"
    root.mkdir(exist_ok=True)
    return {
        "everything": (everything_cmd(), script_everything),
        "filesystem": (filesystem_cmd(root), lambda c: script_filesystem(c, root)),
        "time": (time_cmd(), script_time),
        "fetch": (fetch_cmd(), lambda c: script_fetch(c, None)),
    }


def _reset_fs(tmp: Path) -> None:
    root = tmp / "fsroot"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    # Under the sandbox a root-run gateway starts servers as an unprivileged uid.
    root.chmod(0o777)


def _toml_config(tmp: Path, servers: dict[str, list[str]]) -> Path:
    """An mcpwall TOML config; the filesystem server's root is declared read-write, as a user
    would have to: the sandbox shows a server nothing of the host that config does not name."""
    lines = []
    for name, cmd in servers.items():
        lines += [f"[servers.{name}]", f"command = {json.dumps(cmd[0])}", f"args = {json.dumps(cmd[1:])}"]
        if name == "filesystem":
            lines += [f"[servers.{name}.sandbox.paths]", f"read_write = [{json.dumps(str(tmp / 'fsroot'))}]"]
    path = tmp / "mcpwall.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def _diff(a: Any, b: Any, path: str = "") -> str:
    """The first difference between two JSON values, for a readable assertion message."""
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: present on one side only"
            d = _diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return ""
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return ""
    return "" if a == b else f"{path}: {json.dumps(a)[:300]} != {json.dumps(b)[:300]}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("server", ["everything", "filesystem", "time", "fetch"])
def test_stdio_wrap_matches_direct(server: str, mode: str, env: Env, tmp_path: Path) -> None:
    cmd, script = _servers(tmp_path)[server]

    async def run(argv: list[str], errlog: Path) -> dict[str, Any]:
        async with stdio_session(argv, mode, env=env.vars, errlog=errlog) as c:
            return await script(c)

    _reset_fs(tmp_path)
    direct = anyio.run(run, cmd, tmp_path / "direct.err")
    _reset_fs(tmp_path)
    argv = wrap_cmd(cmd)
    if server == "filesystem":
        argv = [str(MCPWALL), "wrap", "--config", str(_toml_config(tmp_path, {server: cmd})), "--server", server]
    proxied = anyio.run(run, argv, tmp_path / "wrap.err")
    assert direct == proxied, _diff(direct, proxied)


def serve(env: Env, servers: dict[str, list[str]], tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """Starts `mcpwall serve` on a free loopback port with a host-style JSON config."""
    if "filesystem" in servers:
        config = _toml_config(tmp_path, servers)
    else:
        config = tmp_path / "mcp.json"
        config.write_text(
            json.dumps({"mcpServers": {name: {"command": cmd[0], "args": cmd[1:]} for name, cmd in servers.items()}})
        )
    port = free_port()
    errlog = open(tmp_path / "serve.err", "w")
    proc = subprocess.Popen(
        [str(MCPWALL), "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}"],
        env=env.vars,
        stdin=subprocess.DEVNULL,
        stdout=errlog,
        stderr=errlog,
    )
    if not wait_port(port, proc):
        proc.kill()
        proc.wait(timeout=10)
        err = (tmp_path / "serve.err").read_text(errors="replace")
        skip_if_unimplemented(err, "mcpwall serve")
        raise AssertionError(f"mcpwall serve did not listen on 127.0.0.1:{port}:\n{err[-2000:]}")
    return proc, port


def stop(proc: subprocess.Popen) -> None:
    """Stops a `serve` started by [`serve`]: SIGTERM, then SIGKILL after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("server", ["everything", "filesystem", "time", "fetch"])
def test_http_serve_matches_direct(server: str, mode: str, env: Env, tmp_path: Path) -> None:
    cmd, script = _servers(tmp_path)[server]

    async def direct() -> dict[str, Any]:
        async with stdio_session(cmd, mode, env=env.vars) as c:
            return await script(c)

    async def proxied(port: int) -> dict[str, Any]:
        async with http_session(f"http://127.0.0.1:{port}/mcp/{server}", mode) as c:
            return await script(c)

    _reset_fs(tmp_path)
    want = anyio.run(direct)
    _reset_fs(tmp_path)
    proc, port = serve(env, {server: cmd}, tmp_path)
    try:
        got = anyio.run(proxied, port)
    finally:
        stop(proc)
    assert want == got, _diff(want, got)
