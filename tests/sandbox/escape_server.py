#!/usr/bin/env python3
"""A small MCP stdio server (stdlib only) whose tools try to escape the sandbox.

Every tool reports what happened as JSON text: {"ok": bool, ...}. `ok: true` means the
attempt succeeded, i.e. containment failed. The process and memory tools are bounded by
themselves (a fixed count / total) so a containment bug cannot take the machine down.
"""
import ctypes
import ctypes.util
import errno
import json
import os
import signal
import socket
import sys
import time
import urllib.request

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
PTRACE_ATTACH = 16
PTRACE_DETACH = 17


def err_name(e):
    return errno.errorcode.get(e, str(e))


def t_ptrace(args):
    pid = int(args.get("pid", 1))
    rc = libc.ptrace(PTRACE_ATTACH, pid, None, None)
    e = ctypes.get_errno()
    if rc == 0:
        libc.ptrace(PTRACE_DETACH, pid, None, None)
        return {"ok": True, "pid": pid}
    return {"ok": False, "pid": pid, "errno": err_name(e)}


def t_mount(args):
    target = args.get("target", "/tmp")
    rc = libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, None)
    e = ctypes.get_errno()
    return {"ok": rc == 0, "errno": None if rc == 0 else err_name(e)}


def t_unshare(args):
    CLONE_NEWUSER = 0x10000000
    rc = libc.unshare(CLONE_NEWUSER)
    e = ctypes.get_errno()
    return {"ok": rc == 0, "errno": None if rc == 0 else err_name(e)}


def t_write_file(args):
    path = args["path"]
    try:
        with open(path, "w") as f:
            f.write("escaped\n")
        return {"ok": True, "path": path}
    except OSError as e:
        return {"ok": False, "path": path, "errno": err_name(e.errno)}


def t_read_file(args):
    path = args["path"]
    try:
        with open(path, "rb") as f:
            data = f.read(65536)
        return {"ok": True, "path": path, "content": data.decode("utf-8", "replace")}
    except OSError as e:
        return {"ok": False, "path": path, "errno": err_name(e.errno)}


def t_fork_bomb(args):
    """Forks up to `count` sleeping children, stops at the first failure, reports, reaps."""
    count = min(int(args.get("count", 200)), 2000)
    children = []
    error = None
    for _ in range(count):
        try:
            pid = os.fork()
        except OSError as e:
            error = err_name(e.errno)
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
    return {"ok": len(children) >= count, "started": len(children), "asked": count, "errno": error}


def t_memory(args):
    """Allocates and touches 16 MiB chunks up to `total_mb`; reports how far it got."""
    total = min(int(args.get("total_mb", 1024)), 8192)
    chunks = []
    got = 0
    error = None
    try:
        while got < total:
            chunks.append(bytearray(16 * 1024 * 1024))
            got += 16
    except MemoryError:
        error = "MemoryError"
    chunks.clear()
    return {"ok": got >= total, "allocated_mb": got, "asked_mb": total, "error": error}


def t_env(args):
    return {"ok": True, "env": dict(os.environ)}


def t_connect(args):
    host, port = args["host"], int(args["port"])
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.close()
        return {"ok": True}
    except OSError as e:
        return {"ok": False, "errno": err_name(e.errno) if e.errno else str(e)}


def t_http_get(args):
    """GET through whatever proxy the environment names (HTTP_PROXY)."""
    try:
        with urllib.request.urlopen(args["url"], timeout=10) as r:
            return {"ok": True, "status": r.status, "body": r.read(4096).decode("utf-8", "replace")}
    except Exception as e:  # noqa: BLE001 - report any failure to the client
        code = getattr(e, "code", None)
        return {"ok": False, "status": code, "error": str(e)}


def t_identity(args):
    return {"ok": True, "uid": os.getuid(), "gid": os.getgid(), "pid": os.getpid(),
            "cwd": os.getcwd(), "root": sorted(os.listdir("/"))}


def t_crash(args):
    sys.stdout.flush()
    os._exit(int(args.get("code", 3)))


TOOLS = {
    "ptrace": t_ptrace, "mount": t_mount, "unshare": t_unshare, "write_file": t_write_file,
    "read_file": t_read_file, "fork_bomb": t_fork_bomb, "memory": t_memory, "env": t_env,
    "connect": t_connect, "http_get": t_http_get, "identity": t_identity, "crash": t_crash,
}


def reply(msg_id, result=None, error=None):
    out = {"jsonrpc": "2.0", "id": msg_id}
    if error is not None:
        out["error"] = error
    else:
        out["result"] = result
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        method, msg_id = msg.get("method"), msg.get("id")
        if msg_id is None:
            continue
        if method == "initialize":
            reply(msg_id, {"protocolVersion": msg.get("params", {}).get("protocolVersion", "2025-06-18"),
                           "capabilities": {"tools": {}},
                           "serverInfo": {"name": "escape-server", "version": "1"}})
        elif method == "tools/list":
            reply(msg_id, {"tools": [{"name": n, "description": f.__doc__ or n,
                                       "inputSchema": {"type": "object"}} for n, f in TOOLS.items()]})
        elif method == "tools/call":
            params = msg.get("params", {})
            fn = TOOLS.get(params.get("name"))
            if fn is None:
                reply(msg_id, error={"code": -32602, "message": "unknown tool"})
                continue
            result = fn(params.get("arguments") or {})
            reply(msg_id, {"content": [{"type": "text", "text": json.dumps(result)}],
                           "isError": False})
        elif method == "ping":
            reply(msg_id, {})
        else:
            reply(msg_id, error={"code": -32601, "message": "method not found"})


if __name__ == "__main__":
    main()
