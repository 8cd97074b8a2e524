"""pytest configuration for the end-to-end suite (see docs/testing.md)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import MCPWALL, SERVER_EVERYTHING, Env, make_env  # noqa: E402


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = [str(p) for p in (MCPWALL, SERVER_EVERYTHING) if not Path(p).exists()]
    if missing:
        raise pytest.UsageError(
            f"missing {', '.join(missing)}: run scripts/install-test-deps and cargo build --release -p mcpwall"
        )


@pytest.fixture
def env(tmp_path: Path) -> Env:
    """An isolated HOME/XDG/audit world for this test."""
    return make_env(tmp_path / "world")


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Never let a skip hide: list every skipped or xfailed test with its reason."""
    stats = terminalreporter.stats
    rows = []
    for kind in ("skipped", "xfailed"):
        for rep in stats.get(kind, []):
            reason = ""
            if kind == "skipped" and isinstance(rep.longrepr, tuple):
                reason = rep.longrepr[2]
            elif hasattr(rep, "wasxfail"):
                reason = rep.wasxfail
            rows.append((kind, rep.nodeid, reason))
    if not rows:
        terminalreporter.write_line("e2e: no skipped or xfailed tests")
        return
    terminalreporter.section(f"e2e: {len(rows)} skipped/xfailed (each names the missing feature)")
    # group identical reasons so the summary stays readable
    by_reason: dict[str, list[str]] = {}
    for kind, nodeid, reason in rows:
        by_reason.setdefault(f"{kind}: {reason}", []).append(nodeid)
    for reason, ids in sorted(by_reason.items(), key=lambda kv: -len(kv[1])):
        terminalreporter.write_line(f"{len(ids):3d} x {reason}")
    summary = os.environ.get("E2E_SKIP_SUMMARY")
    if summary:
        with open(summary, "w") as f:
            for reason, ids in by_reason.items():
                f.write(f"{len(ids)}\t{reason}\n")
