"""Benchmark session plumbing: the shared collector writes docs/benchmarks.md at the end."""

from __future__ import annotations

import os
from pathlib import Path
import time

import pytest

from tests.bench.report import DEFAULT_OUTPUT, RESULTS

_START = time.monotonic()
BENCHMARKS = ("1", "2", "3", "4", "5", "6")  # a run with all of them rewrites docs/benchmarks.md


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember failed benchmarks: the document says which checks failed."""
    if report.failed:
        message = report.longreprtext.strip().splitlines()
        last = message[-1] if message else "failed"
        # The assertion's own message ("E   AssertionError: ..."), when there is one.
        errors = [line[1:].strip() for line in message if line.startswith("E ")]
        if errors and errors[0] not in ("AssertionError", "assert False"):
            last = f"{last} — {errors[0].removeprefix('AssertionError: ')}"
        RESULTS.failures.append(f"`{report.nodeid}` ({report.when}): {last}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Render the collected tables to docs/benchmarks.md and to stdout."""
    if not RESULTS.tables:
        return
    text = RESULTS.render(time.monotonic() - _START)
    explicit = os.environ.get("SMS_BENCH_OUTPUT")
    complete = set(RESULTS.tables) >= set(BENCHMARKS)
    where = "partial run: docs/benchmarks.md not updated (set SMS_BENCH_OUTPUT to write it)"
    if explicit or complete:
        output = Path(explicit or DEFAULT_OUTPUT)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        where = f"written to {output}"
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")
    if terminal is not None:
        terminal.write_line("")
        for line in text.splitlines():
            terminal.write_line(line)
        terminal.write_line(f"\n({where})")
