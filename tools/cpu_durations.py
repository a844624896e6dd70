"""pytest plugin: CPU seconds per test, for deciding `slow` marks on a shared, loaded machine.

Wall time says little when other work shares the cores; CPU seconds (this process and the
children it waited for: CLI subprocesses, a finished process pool) do not move with the load.
Setup, call and teardown together, so a module fixture counts in the first test that uses it.

    PYTHONPATH=.:tools python -m pytest -p cpu_durations tests/test_pipeline.py
    CPU_DURATIONS_OUT=cpu.txt ...   # also append `seconds nodeid` lines (one per test) to a file

A browser's CPU is not counted (Chromium is not a child the test process waits for).
"""

from __future__ import annotations

import os
import resource

import pytest

_rows: list[tuple[float, str]] = []


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = _cpu()
    yield
    _rows.append((_cpu() - start, item.nodeid))


def pytest_sessionfinish(session):
    out = os.environ.get("CPU_DURATIONS_OUT")
    if out:
        with open(out, "a", encoding="utf-8") as f:
            f.writelines(f"{cpu:.2f} {node}\n" for cpu, node in _rows)


def pytest_terminal_summary(terminalreporter):
    if not _rows:  # the xdist controller: its workers ran the tests (use CPU_DURATIONS_OUT)
        return
    terminalreporter.write_line("CPU seconds per test (setup + call + teardown), slowest:")
    for cpu, node in sorted(_rows, reverse=True)[:15]:
        terminalreporter.write_line(f"  {cpu:6.2f} {node}")
    terminalreporter.write_line(f"  total {sum(r[0] for r in _rows):.1f} CPU-s over {len(_rows)} tests")
