#!/usr/bin/env python3
"""A tiny MCP server for mcpwall's mechanics tests: newline-delimited JSON-RPC on stdio.

Behaviours (by method / tool name):
- initialize / server/discover: answer with serverInfo and the requested protocol version;
- tools/list: two tools; tools/call `echo`: echo arguments back (and any unknown fields);
- tools/call `slow`: never answers (to test timeouts), records notifications/cancelled;
- tools/call `crash`: exits with status 3 at once;
- tools/call `ask`: sends a server-to-client request (sampling) and answers with its result;
- tools/call `big`: answers with a result of `size` bytes;
- tools/call `cancelled?`: reports the ids it saw cancelled;
- a batch gets a batch of answers; unknown methods are echoed back as results (transparency).
"""
import json
import os
import sys

cancelled = []
pending_ask = {}
starts_file = os.environ.get("MOCK_STARTS")
if starts_file:
    with open(starts_file, "a") as f:
        f.write("start\n")


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def handle(msg):
    if "method" not in msg:
        # A response to our server-to-client request.
        rid = msg.get("id")
        if rid in pending_ask:
            orig = pending_ask.pop(rid)
            return {"jsonrpc": "2.0", "id": orig, "result": {"content": [{"type": "text", "text": json.dumps(msg)}]}}
        return None
    method = msg["method"]
    mid = msg.get("id")
    params = msg.get("params") or {}
    if "id" not in msg:
        if method == "notifications/cancelled":
            cancelled.append(params.get("requestId"))
        if method == "test/notify-me":
            send({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hello", "x-extra": 1}})
        return None
    if method == "initialize":
        return {"jsonrpc": "2.0", "id": mid, "result": {"protocolVersion": params.get("protocolVersion", "2025-06-18"), "capabilities": {"tools": {}}, "serverInfo": {"name": "mock", "version": "1"}, "pid": os.getpid()}}
    if method == "server/discover":
        return {"jsonrpc": "2.0", "id": mid, "result": {"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}, "serverInfo": {"name": "mock", "version": "1"}}}
    if method == "tools/list":
        return {"jsonrpc": "2.0", "id": mid, "result": {"tools": [{"name": "echo", "description": "echo", "inputSchema": {"type": "object"}, "x-vendor": True}, {"name": "slow", "inputSchema": {"type": "object"}}]}}
    if method == "tools/call":
        name = params.get("name")
        args = params.get("arguments") or {}
        if name == "echo":
            return {"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": json.dumps(args)}], "isError": False, "x-unknown": {"kept": True}}}
        if name == "slow":
            return None
        if name == "crash":
            os._exit(3)
        if name == "ask":
            rid = "srv-%s" % mid
            pending_ask[rid] = mid
            send({"jsonrpc": "2.0", "id": rid, "method": "sampling/createMessage", "params": {"messages": [], "maxTokens": 1}})
            return None
        if name == "big":
            return {"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "x" * int(args.get("size", 10))}]}}
        if name == "cancelled?":
            return {"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": json.dumps(cancelled)}]}}
        if name == "pid":
            return {"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": str(os.getpid())}]}}
        return {"jsonrpc": "2.0", "id": mid, "error": {"code": -32602, "message": "unknown tool"}}
    # Unknown method: echo it back, so tests can see it arrived untouched.
    return {"jsonrpc": "2.0", "id": mid, "result": {"echo": msg}}


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    msg = json.loads(line)
    if isinstance(msg, list):
        out = [r for r in (handle(m) for m in msg) if r is not None]
        if out:
            send(out)
    else:
        r = handle(msg)
        if r is not None:
            send(r)
