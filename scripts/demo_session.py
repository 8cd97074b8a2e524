"""Drives the demo session for scripts/demo with the official Python `mcp` client:
server-everything behind `mcpwall wrap`; list tools, call `echo` and `get-sum`, engage the
kill switch so a call is refused, resume, call again."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

MCPWALL, SERVER = sys.argv[1], sys.argv[2]


def say(msg: str) -> None:
    print(f"demo: {msg}", flush=True)


def mcpwall(*args: str) -> None:
    say(f"$ mcpwall {' '.join(args)}")
    subprocess.run([MCPWALL, *args], check=True)


async def call(c: Client, name: str, args: dict) -> None:
    try:
        r = await c.call_tool(name, args)
        text = " ".join(getattr(x, "text", "") for x in r.content)
        say(f"  {name}({args}) -> {'REFUSED ' if r.is_error else ''}{text}")
    except Exception as e:  # a JSON-RPC error: the gateway refused the call
        say(f"  {name}({args}) -> REFUSED with JSON-RPC error: {e}")


async def main() -> None:
    params = StdioServerParameters(
        command=MCPWALL, args=["wrap", "--name", "everything", "--", "node", SERVER, "stdio"], env=dict(os.environ)
    )
    with open(os.devnull, "w") as quiet:
        async with Client(stdio_client(params, errlog=quiet), mode="auto", read_timeout_seconds=30) as c:
            say(f"connected through mcpwall wrap (protocol {c.protocol_version})")
            tools = await c.list_tools()
            say(f"  tools/list -> {len(tools.tools)} tools: {', '.join(t.name for t in tools.tools[:6])}, ...")
            await call(c, "echo", {"message": "hello through mcpwall"})
            await call(c, "get-sum", {"a": 19, "b": 23})
            mcpwall("kill", "--reason", "demo: operator pressed the big red button")
            time.sleep(1.2)  # the switch reaches every running mcpwall within one second
            await call(c, "echo", {"message": "this call must be refused"})
            mcpwall("resume")
            time.sleep(1.2)
            await call(c, "echo", {"message": "back in business"})


anyio.run(main)
