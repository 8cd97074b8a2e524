"""The MCP inspector CLI (`@modelcontextprotocol/inspector-cli`, `--cli` mode) as a second
real client: tools/list and tools/call through `mcpwall wrap` give what they give direct.
The inspector must run from its own build directory (it resolves its entry point there)."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness import INSPECTOR_DIR, NODE, Env, everything_cmd, skip_if_unimplemented, wrap_cmd


def inspector(env: Env, server: list[str], *method: str) -> dict:
    proc = subprocess.run(
        [NODE, "cli.js", "--cli", *server, *method],
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
