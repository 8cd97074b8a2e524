#!/usr/bin/env python3
"""A tiny stdio MCP server for mcpwall's HTTP tests (newline-delimited JSON-RPC).

Tools:
  echo {text}        -> text content "<text>", plus structured {"pid": <pid>, "calls": n}
  slow {ms, text}    -> sends notifications/progress (if a progressToken was given), sleeps,
                        then answers like echo; lets tests run requests concurrently
  whoami {}          -> this process's pid (session isolation tests)
  sample {}          -> issues sampling/createMessage to the client, answers with its reply
Also: initialize, server/discover, ping, tools/list; anything else -> -32601.
"""
import json
import os
import sys
import threading
import time

lock = threading.Lock()
calls = 0
pending = {}  # server request id -> (client request id)
next_server_id = 1000


def send(msg):
    with lock:
        sys.stdout.write(json.dumps(msg) + "\n")
        sys.stdout.flush()


modern_ids = set()  # ids of requests made under 2026-07-28 (their results carry resultType)


def result(rid, res):
    key = json.dumps(rid)
    if key in modern_ids:
        modern_ids.discard(key)
        res = {"resultType": "complete", **res}
    send({"jsonrpc": "2.0", "id": rid, "result": res})


def text(rid, t, extra=None):
    global calls
    calls += 1
    res = {"content": [{"type": "text", "text": t}],
           "structuredContent": {"pid": os.getpid(), "calls": calls, **(extra or {})}}
    result(rid, res)


TOOLS = [
    {"name": "echo", "description": "echo text", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "slow", "description": "echo after a delay", "inputSchema": {"type": "object"}},
    {"name": "whoami", "description": "pid", "inputSchema": {"type": "object"}},
    {"name": "sample", "description": "asks the client to sample", "inputSchema": {"type": "object"}},
]


def slow(rid, params):
    args = params.get("arguments") or {}
    token = (params.get("_meta") or {}).get("progressToken")
    if token is not None:
        send({"jsonrpc": "2.0", "method": "notifications/progress",
              "params": {"progressToken": token, "progress": 1, "total": 2}})
    time.sleep(float(args.get("ms", 100)) / 1000.0)
    text(rid, str(args.get("text", "")))


def handle(msg):
    global next_server_id
    method = msg.get("method")
    rid = msg.get("id")
    params = msg.get("params") or {}
    if method is None:
        # A response to one of our requests (sampling).
        orig = pending.pop(json.dumps(rid), None)
        if orig is not None:
            reply = msg.get("result", {}).get("content", {}).get("text", "")
            text(orig, "sampled:" + reply)
        return
    if rid is None:
        return  # notification
    meta = params.get("_meta") or {}
    if meta.get("io.modelcontextprotocol/protocolVersion") == "2026-07-28":
        modern_ids.add(json.dumps(rid))
    if method == "initialize":
        result(rid, {"protocolVersion": params.get("protocolVersion", "2025-06-18"),
                     "capabilities": {"tools": {"listChanged": True}},
                     "serverInfo": {"name": "echo", "version": "1.0.0"}})
    elif method == "server/discover":
        result(rid, {"resultType": "complete", "supportedVersions": ["2026-07-28", "2025-11-25"],
                     "capabilities": {"tools": {}}, "serverInfo": {"name": "echo", "version": "1.0.0"}})
    elif method == "ping":
        result(rid, {})
    elif method == "tools/list":
        result(rid, {"tools": TOOLS, "ttlMs": 0, "cacheScope": "private"})
    elif method == "tools/call":
        name = params.get("name")
        args = params.get("arguments") or {}
        if name == "echo":
            text(rid, str(args.get("text", "")))
        elif name == "whoami":
            text(rid, str(os.getpid()))
        elif name == "slow":
            threading.Thread(target=slow, args=(rid, params), daemon=True).start()
        elif name == "sample":
            sid = next_server_id
            next_server_id += 1
            pending[json.dumps(sid)] = rid
            send({"jsonrpc": "2.0", "id": sid, "method": "sampling/createMessage",
                  "params": {"messages": [{"role": "user", "content": {"type": "text", "text": "hi"}}], "maxTokens": 5}})
        elif name == "notify":
            send({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
            text(rid, "notified")
        else:
            send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32602, "message": "unknown tool"}})
    else:
        send({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "method not found"}})


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
            continue
        for m in (msg if isinstance(msg, list) else [msg]):
            handle(m)


if __name__ == "__main__":
    main()
