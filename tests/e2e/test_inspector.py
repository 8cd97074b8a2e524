"""The MCP inspector CLI (`@modelcontextprotocol/inspector-cli`, `--cli` mode) as a second
real client: tools/list and tools/call through `mcpwall wrap` (stdio) and `mcpwall serve`
(streamable HTTP) give what they give direct, for the four reference servers.
The inspector must run from its own build directory (it resolves its entry point there)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from harness import INSPECTOR_DIR, MCPWALL, NODE, Env, everything_cmd, skip_if_unimplemented, wrap_cmd
from test_differential import _reset_fs, _servers, _toml_config, serve, stop


def inspector(env: Env, server: list[str], *method: str) -> dict:
    # A command with options the inspector has too (`wrap --config F --server N`) goes after
    # `--`, so they stay the command's; otherwise the target comes first, as the inspector's
    # variadic `--tool-arg` would take anything after it.
    clash = any(a in ("--config", "--server") for a in server)
    target = [*method, "--", *server] if clash else [*server, *method]
    proc = subprocess.run(
        [NODE, "cli.js", "--cli", *target],
        cwd=INSPECTOR_DIR,
        env=env.vars,
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        skip_if_unimplemented(proc.stderr, "mcpwall wrap")
        raise AssertionError(f"inspector exited {proc.returncode}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    "method",
    [
        ("--method", "tools/list"),
        ("--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=inspected"),
        ("--method", "tools/call", "--tool-name", "get-sum", "--tool-arg", "a=1", "b=2"),
        ("--method", "resources/list"),
        ("--method", "prompts/list"),
    ],
    ids=["tools-list", "call-echo", "call-get-sum", "resources-list", "prompts-list"],
)
def test_inspector_cli_through_wrap(method: tuple[str, ...], env: Env) -> None:
    direct = inspector(env, everything_cmd(), *method)
    proxied = inspector(env, wrap_cmd(everything_cmd()), *method)
    assert direct == proxied


# The other reference servers, and HTTP: each (server, inspector arguments) direct over stdio
# against the same through `mcpwall wrap` (stdio) and through `mcpwall serve` (the
# inspector's streamable HTTP transport). The fetch server is only listed (no internet here).
OTHER_CALLS = [
    ("everything", ("--method", "tools/list")),
    ("everything", ("--method", "tools/call", "--tool-name", "echo", "--tool-arg", "message=over-http")),
    ("time", ("--method", "tools/list")),
    ("time", ("--method", "tools/call", "--tool-name", "convert_time", "--tool-arg",
              "source_timezone=UTC", "time=14:00", "target_timezone=Asia/Tokyo")),
    ("fetch", ("--method", "tools/list")),
    ("filesystem", ("--method", "tools/list")),
    ("filesystem", ("--method", "tools/call", "--tool-name", "list_allowed_directories")),
]
OTHER_IDS = ["everything-list", "everything-echo", "time-list", "time-convert", "fetch-list",
             "filesystem-list", "filesystem-allowed"]


def _same_day(out: dict) -> dict:
    """convert_time answers for today's date: direct and proxied runs seconds apart can only
    differ across midnight, so dates are masked."""
    return json.loads(re.sub(r"\d{4}-\d{2}-\d{2}T", "DATE-T", json.dumps(out)))


@pytest.mark.parametrize("via", ["wrap", "serve"])
@pytest.mark.parametrize("server,method", OTHER_CALLS, ids=OTHER_IDS)
def test_inspector_cli_other_servers(server: str, method: tuple[str, ...], via: str, env: Env,
                                     tmp_path: Path) -> None:
    cmd = _servers(tmp_path)[server][0]
    _reset_fs(tmp_path)
    direct = inspector(env, cmd, *method)
    if via == "serve":
        proc, port = serve(env, {server: cmd}, tmp_path)
        try:
            proxied = inspector(env, [f"http://127.0.0.1:{port}/mcp/{server}", "--transport", "http"], *method)
        finally:
            stop(proc)
    else:
        argv = wrap_cmd(cmd)
        if server == "filesystem":
            # its root is declared in a config, as the differential tests do (the sandbox
            # shows a server nothing of the host that its config does not name)
            argv = [str(MCPWALL), "wrap", "--config", str(_toml_config(tmp_path, {server: cmd})), "--server", server]
        proxied = inspector(env, argv, *method)
    assert _same_day(direct) == _same_day(proxied)
