"""`watch` after a failure of the whole batch (full disk, unreadable sheet): retried with a growing
wait, said once, resumed when the cause is gone. The watcher's clock is a parameter: the test steps
through the waits; the fault is injected where the real one strikes (the pipeline's run)."""

from __future__ import annotations

import errno
import logging
import threading

import pytest

import imgpipe.pipeline
from imgpipe.watch import ERROR_RETRY, Watcher, log
from imgpipe.workspace import Workspace
from tests.test_watch import make_ws, photo_bytes


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture
def said(monkeypatch):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep()
    log.addHandler(handler)
    monkeypatch.setattr(log, "level", logging.INFO)
    yield records
    log.removeHandler(handler)


def _watcher(root, clock) -> Watcher:
    return Watcher(Workspace.open(root), poll=True, jobs=1, settle_seconds=0.0, stop_event=threading.Event(),
                   clock=clock, backup=False)


def _outputs(root):
    return sorted(p for p in (root / "output").rglob("*.jpg"))


@pytest.mark.slow
def test_watch_resumes_after_the_disk_is_freed(tmp_path, monkeypatch, said):
    root = make_ws(tmp_path / "shop", ("A1001",))
    (root / "inbox" / "A1001").mkdir(parents=True)
    for i in range(2):
        (root / "inbox" / "A1001" / f"IMG_{i}.jpg").write_bytes(photo_bytes(i))
    disk = {"full": True}
    real_run = imgpipe.pipeline.run

    def run(*args, **kwargs):   # the fault: every write fails while the disk is full (another file each time)
        if disk["full"]:
            disk["tries"] = disk.get("tries", 0) + 1
            raise OSError(errno.ENOSPC, "No space left on device", f"output/tmall/A1001/main/A1001-0{disk['tries']}.jpg")
        return real_run(*args, **kwargs)

    monkeypatch.setattr(imgpipe.pipeline, "run", run)
    clock = Clock()
    w = _watcher(root, clock)
    waits = []
    for _ in range(4):   # the first batch and three retries, each after a doubled wait
        assert w._due()
        w._batch()
        waits.append(w.retry_at - clock.now)
        clock.now += 1.0
        assert not w._due() and not w._active()   # waiting: no busy loop, no batch
        clock.now = w.retry_at
    assert waits == [ERROR_RETRY, 2 * ERROR_RETRY, 4 * ERROR_RETRY, 8 * ERROR_RETRY]
    errors = [r.getMessage() for r in said if r.levelno >= logging.ERROR]
    assert len(errors) == 1   # said once, not at every retry
    assert not _outputs(root)

    disk["full"] = False
    assert w._due()
    w._batch()
    assert w.failures == 0 and w.retry_at is None
    assert len(_outputs(root)) > 5   # the photos left in the inbox by the failed batches are made now
    infos = [r.getMessage() for r in said if r.levelno == logging.INFO]
    assert any("恢复" in m or "resumed" in m for m in infos)
    w.ws.catalog.close()


def test_an_unreadable_sheet_is_said_once_and_a_fixed_sheet_is_tried_at_once(tmp_path, monkeypatch, said):
    root = make_ws(tmp_path / "shop", ("A1001",))
    good = (root / "products.csv").read_bytes()
    (root / "products.csv").write_bytes(b"\xff\xfe" + "货号,名称,类目\n".encode("utf-16-le") + b"\x00\xd8")
    calls = []
    monkeypatch.setattr(imgpipe.pipeline, "run", lambda *a, **k: calls.append(k) or _Summary())
    clock = Clock()
    w = _watcher(root, clock)
    w.sheet_key = w._sheet_key()
    for _ in range(3):
        assert w._due()
        w._batch()
        clock.now = w.retry_at
    errors = [r.getMessage() for r in said if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "products.csv" in errors[0]
    assert w.failures == 3 and not calls   # the sheet fails before any run
    (root / "products.csv").write_bytes(good)
    clock.now -= 1.0   # before the retry is due: the sheet being saved is what wakes the watcher
    w._check_sheet()
    assert w._due()
    w._batch()
    assert calls and calls[0]["articles"] is None   # a full run, as at start
    assert w.failures == 0
    w.ws.catalog.close()


class _Summary:
    written: list = []
    failed: list = []
    seconds = 0.0

    class ingest:  # noqa: N801 - shaped as the pipeline's summary
        archived: list = []
        pending: list = []
