"""Kill switch, audit trail, process lifecycle: the parts of the gateway that must hold
when things go wrong (operator stop, SIGKILL, client gone, server crash)."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness import (
    Env,
    RawStdio,
    descendants,
    everything_cmd,
    process_alive,
    process_exists,
    reap_tree,
    wrap_cmd,
)

# The kill switch must reach every running mcpwall within one second; the slack covers
# scheduling on a loaded 2-core CI machine, not a slower mechanism.
KILL_DEADLINE_S = 1.0
SLACK_S = 0.25


def _echo(s: RawStdio, msg: str, timeout: float = 20) -> dict[str, Any]:
    return s.call("tools/call", {"name": "echo", "arguments": {"message": msg}}, timeout=timeout)


def _refused(resp: dict[str, Any]) -> bool:
    return "error" in resp or bool(resp.get("result", {}).get("isError"))


def _text(resp: dict[str, Any]) -> str:
    if "error" in resp:
        return json.dumps(resp["error"])
    return json.dumps(resp.get("result", {}))


def _session(env: Env, tmp_path: Path, name: str = "wrap") -> RawStdio:
    s = RawStdio(wrap_cmd(everything_cmd()), env=env.vars, stderr_path=tmp_path / f"{name}.err")
    s.initialize()
    return s


def _export(env: Env) -> list[dict[str, Any]]:
    proc = env.run("audit", "export", "--jsonl", check=True)
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def _strings(v: Any) -> list[str]:
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)] + [str(k) for k in v]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return [str(v)]


def _mentions(rec: dict[str, Any], *words: str) -> bool:
    flat = _strings(rec)
    return all(any(w == s or w in s for s in flat) for w in words)


# ----------------------------------------------------------------------------------------
# kill switch
# ----------------------------------------------------------------------------------------


def test_kill_switch_refuses_calls_and_resume_restores(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    try:
        assert not _refused(_echo(s, "before kill"))
        env.run("kill", "--reason", "e2e drill", check=True)
        time.sleep(KILL_DEADLINE_S + SLACK_S)
        resp = _echo(s, "during kill")
        assert _refused(resp), f"tools/call was not refused after `mcpwall kill`: {resp}"
        text = _text(resp).lower()
        assert "kill" in text or "e2e drill" in text, f"refusal does not say why: {resp}"
        # the rest of the session keeps working: only tools/call is stopped
        assert "result" in s.call("tools/list")
        env.run("resume", check=True)
        time.sleep(KILL_DEADLINE_S + SLACK_S)
        resp = _echo(s, "after resume")
        assert not _refused(resp), resp
        assert resp["result"]["content"][0]["text"] == "Echo: after resume"
    finally:
        s.close()


def test_kill_switch_reaches_every_running_wrap(env: Env, tmp_path: Path) -> None:
    sessions = [_session(env, tmp_path, f"w{i}") for i in range(3)]
    try:
        env.run("kill", check=True)
        time.sleep(KILL_DEADLINE_S + SLACK_S)
        for s in sessions:
            assert _refused(_echo(s, "x"))
        env.run("resume", check=True)
        time.sleep(KILL_DEADLINE_S + SLACK_S)
        for s in sessions:
            assert not _refused(_echo(s, "y"))
    finally:
        for s in sessions:
            s.close()


# ----------------------------------------------------------------------------------------
# audit trail
# ----------------------------------------------------------------------------------------


def test_audit_records_session_and_chain_verifies(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    try:
        assert "result" in s.call("tools/list")
        assert not _refused(_echo(s, "audited"))
    finally:
        s.close()
    verify = env.run("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    records = _export(env)
    assert any(_mentions(r, "tools/call", "echo") for r in records), records[-5:]
    assert any(_mentions(r, "tools/list") for r in records), records[-5:]
    assert any(_mentions(r, "initialize") for r in records), records[-5:]
    tail = env.run("audit", "tail", check=True)
    assert "echo" in tail.stdout


def test_audit_verify_detects_tampering(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    try:
        for i in range(5):
            _echo(s, f"tamper {i}")
    finally:
        s.close()
    assert env.run("audit", "verify").returncode == 0
    db = sqlite3.connect(env.audit_db)
    try:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        counts = {t: db.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables}
        table = max(counts, key=counts.get)
        cols = db.execute(f'pragma table_info("{table}")').fetchall()
        rowid = db.execute(f'select rowid from "{table}" order by rowid limit 1 offset ?', (counts[table] // 2,)).fetchone()[0]
        row = db.execute(f'select * from "{table}" where rowid=?', (rowid,)).fetchone()
        changed = None
        for (_cid, name, _type, *_), value in zip(cols, row):
            if isinstance(value, str) and value and "hash" not in name.lower():
                db.execute(f'update "{table}" set "{name}"=? where rowid=?', (value + "~", rowid))
                changed = name
                break
        assert changed, f"no text column to tamper with in {table}: {cols}"
        db.commit()
    finally:
        db.close()
    verify = env.run("audit", "verify")
    assert verify.returncode == 1, f"tampered `{table}.{changed}` went unnoticed: {verify.stdout}{verify.stderr}"
    assert (verify.stdout + verify.stderr).strip(), "verify must name the first changed record"


def test_concurrent_wraps_keep_one_chain(env: Env, tmp_path: Path) -> None:
    sessions = [_session(env, tmp_path, f"c{i}") for i in range(3)]

    def drive(s: RawStdio, i: int) -> None:
        for j in range(10):
            _echo(s, f"writer {i} call {j}")

    threads = [threading.Thread(target=drive, args=(s, i)) for i, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for s in sessions:
        s.close()
    verify = env.run("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    calls = [r for r in _export(env) if _mentions(r, "tools/call", "echo")]
    assert len(calls) >= 30


def test_sigkill_mid_traffic_loses_no_acknowledged_record(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    kids = descendants(s.proc.pid)
    acked: set[int] = set()
    try:
        for i in range(20):
            rid = s.request("tools/call", {"name": "echo", "arguments": {"message": f"durable {i}"}})
            resp = s.wait_response(rid)
            if resp is not None and not _refused(resp):
                acked.add(rid)
        # more requests in flight, then SIGKILL while they are being processed
        sent = [
            s.request("tools/call", {"name": "echo", "arguments": {"message": f"in flight {i}"}})
            for i in range(20)
        ]
        s.proc.send_signal(signal.SIGKILL)
        s.proc.wait(timeout=10)
        # answers that reached the client before the kill count as acknowledged too
        while (m := s.wait_response(-1, timeout=0.5)) is not None:
            pass
        acked |= {m["id"] for m in s.inbox if m.get("id") in sent and "result" in m and not _refused(m)}
    finally:
        reap_tree(kids)
    assert len(acked) >= 20
    verify = env.run("audit", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    records = _export(env)
    # every answer the client saw has its `result` record (and its `call` record) on disk
    for kind in ("call", "result"):
        have = {
            r["event"].get("request_id")
            for r in records
            if r["event"]["kind"] == kind and r["event"].get("tool") == "echo"
        }
        missing = sorted(rid for rid in acked if json.dumps(rid) not in have)
        assert not missing, f"{kind} records missing for acknowledged ids {missing}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_records_session_end(env: Env, tmp_path: Path, sig: signal.Signals) -> None:
    s = _session(env, tmp_path)
    kids = descendants(s.proc.pid)
    try:
        assert not _refused(_echo(s, "before stop"))
        s.proc.send_signal(sig)
        code = s.proc.wait(timeout=15)
        assert code != 0, "a stopped wrap should not report success"
    finally:
        reap_tree(kids)
    assert env.run("audit", "verify").returncode == 0
    ends = [r for r in _export(env) if r["event"]["kind"] == "session_end"]
    assert ends, "no session_end record after the stop signal"
    assert "stopped" in json.dumps(ends[-1]["event"]), ends[-1]


# ----------------------------------------------------------------------------------------
# process lifecycle
# ----------------------------------------------------------------------------------------


def _server_pid(root: int) -> int:
    for pid in descendants(root):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"server-everything" in cmdline and b"mcpwall" not in cmdline.split(b"\0")[0]:
            return pid
    raise AssertionError(f"no server-everything process under mcpwall pid {root}")


def test_client_disconnect_reaps_child(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    kids = descendants(s.proc.pid)
    assert kids, "mcpwall wrap started no child"
    server = _server_pid(s.proc.pid)
    try:
        code = s.close(timeout=15)
        assert code is not None, "mcpwall wrap kept running after its client closed stdin"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(process_exists(p) for p in kids):
            time.sleep(0.1)
        left = [p for p in kids if process_exists(p)]
        assert not left, f"processes left after disconnect: {left} (server pid {server})"
    finally:
        reap_tree(kids)


def test_upstream_crash_gives_clear_error(env: Env, tmp_path: Path) -> None:
    s = _session(env, tmp_path)
    kids = descendants(s.proc.pid)
    try:
        server = _server_pid(s.proc.pid)
        rid = s.request("tools/call", {"name": "trigger-long-running-operation", "arguments": {"duration": 10, "steps": 10}})
        time.sleep(0.5)
        import os

        os.kill(server, signal.SIGKILL)
        resp = s.wait_response(rid, timeout=15)
        assert resp is not None, f"no answer for the in-flight call after the server died; stderr: {s.stderr_text()[-1000:]}"
        assert "error" in resp, resp
        assert resp["error"].get("message"), resp
        # the crashed server is reaped, not left as a zombie of mcpwall
        if s.proc.poll() is None:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and process_exists(server):
                time.sleep(0.1)
            assert not process_exists(server), f"crashed server {server} left as a zombie"
    finally:
        s.close()
        reap_tree(kids)


def test_no_process_left_running_after_sessions() -> None:
    """Cheap guard against leaks from the tests above: no server-everything orphan of ours."""
    leaked = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmd = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
            if ppid == 1 and b"server-everything" in cmd and process_alive(int(entry.name)):
                leaked.append(int(entry.name))
    assert not leaked, f"orphaned server-everything processes: {leaked}"
