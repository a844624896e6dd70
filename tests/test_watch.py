"""The hot folder with a real watchdog observer on a temp workspace.

Each test bounds its waits; the watcher runs in a thread (or, for SIGTERM, as
`python -m imgpipe watch` in a subprocess). Small photos, one platform, no
browser slices and a 0.3 s settle keep the file fast.
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe.catalog import Catalog
from imgpipe.errors import ImgpipeError
from imgpipe.lock import WorkspaceLock, ensure_no_watcher
from imgpipe.watch import watch
from imgpipe.workspace import Workspace, init_workspace

SETTLE = 0.3
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")  # detail-page slices need chromium: seconds per page


def make_ws(root: Path, articles=("A1001", "A1002")) -> Path:
    init_workspace(root)
    (root / "products.xlsx").unlink(missing_ok=True)
    write_sheet(root, articles)
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]'), encoding="utf-8")
    return root


def write_sheet(root: Path, articles) -> None:
    rows = "".join(f"{a},测试商品{a},上衣\n" for a in articles)
    (root / "products.csv").write_text("货号,名称,类目\n" + rows, encoding="utf-8")


def photo_bytes(seed: int, size=(800, 600)) -> bytes:
    """A small product-like JPEG whose bytes differ per seed."""
    rng = np.random.default_rng(seed)
    w, h = size
    arr = np.full((h, w, 3), 236, np.uint8)
    arr[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = rng.integers(20, 220, 3)
    arr = (arr.astype(np.int16) + rng.integers(-3, 4, arr.shape)).clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=88)
    return buf.getvalue()


def originals(root: Path) -> list[Path]:
    return sorted(p for p in (root / "originals").rglob("*") if p.is_file() and p.suffix == ".jpg")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def wait_for(cond, timeout: float, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


class ThreadWatcher:
    """`watch()` in a thread; records its events."""

    def __init__(self, root: Path, settle: float = SETTLE, poll: bool = False):
        self.ws = Workspace.open(root)
        self.stop = threading.Event()
        self.events: list[tuple[str, dict]] = []
        self.error: BaseException | None = None
        self.log = io.StringIO()
        self.thread = threading.Thread(target=self._run, args=(settle, poll), daemon=True)

    def _run(self, settle, poll):
        try:
            watch(self.ws, poll=poll, jobs=1, settle_seconds=settle, stop_event=self.stop, backup=False,
                  on_event=lambda kind, data: self.events.append((kind, data)), log_stream=self.log)
        except BaseException as exc:  # surfaced by the test
            self.error = exc

    def __enter__(self):
        self.thread.start()
        # the first batch (bringing everything up to date) marks the watcher as running
        wait_for(lambda: self.error or any(k == "batch" for k, _ in self.events), 20)
        if self.error:
            raise self.error
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(20)
        assert not self.thread.is_alive(), "watcher did not stop"

    def photos(self):
        return [d for k, d in self.events if k == "photo"]


def test_slow_writer_is_processed_once_after_it_completes(tmp_path):
    root = make_ws(tmp_path / "ws")
    data = photo_bytes(1, (1600, 1200))
    target = root / "inbox" / "A1001" / "slow copy.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    chunks = 15
    step = -(-len(data) // chunks)
    with ThreadWatcher(root, settle=0.6) as w:
        with open(target, "wb") as f:  # ~3 s, like a copy from a network share
            for i in range(chunks):
                f.write(data[i * step:(i + 1) * step])
                f.flush()
                time.sleep(0.2)
                assert originals(root) == [], f"archived while only {i + 1}/{chunks} chunks were written"
        wait_for(lambda: w.photos(), 20)
        time.sleep(1.0)  # a second (wrong) batch would show up here
    found = originals(root)
    assert len(found) == 1
    assert found[0].read_bytes() == data
    assert found[0].name == "A1001-01.jpg"
    assert len([p for p in w.photos() if p["kind"] == "photo"]) == 1
    assert len(Catalog(root / ".imgpipe" / "catalog.sqlite").photos()) == 1
    assert list((root / "output" / "tmall" / "A1001").rglob("A1001-01*.jpg")), "outputs written"
    log = (root / ".imgpipe" / "watch.log").read_text(encoding="utf-8")
    assert "A1001-01.jpg" in log and "slow copy.jpg" in log


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_files_dropped_while_stopped_are_processed_at_start(tmp_path):
    root = make_ws(tmp_path / "ws")
    dropped = {}
    for i, name in enumerate(["A1001/a.jpg", "A1001/b.jpg", "A1002_front.jpg"]):
        path = root / "inbox" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        dropped[name] = photo_bytes(10 + i)
        path.write_bytes(dropped[name])
    with ThreadWatcher(root):
        wait_for(lambda: len(originals(root)) == 3, 20)
    assert sorted(sha(p.read_bytes()) for p in originals(root)) == sorted(sha(d) for d in dropped.values())
    assert not [p for p in (root / "inbox").rglob("*.jpg")]


def test_removed_before_processing_and_unknown_article_then_sheet_update(tmp_path):
    root = make_ws(tmp_path / "ws")
    with ThreadWatcher(root) as w:
        gone = root / "inbox" / "A1001_gone.jpg"
        gone.write_bytes(photo_bytes(20))
        gone.unlink()  # removed before it settled: dropped silently
        unknown = root / "inbox" / "Z999_side.jpg"
        unknown_bytes = photo_bytes(21)
        unknown.write_bytes(unknown_bytes)
        moved = root / "inbox" / "_unmatched" / "Z999_side.jpg"
        reason = moved.with_name(moved.name + ".reason.txt")
        wait_for(lambda: moved.exists() and reason.exists(), 10)
        text = reason.read_text(encoding="utf-8")
        assert "Z999" in text and "商品表" in text and "product sheet" in text
        assert originals(root) == []
        write_sheet(root, ["A1001", "A1002", "Z999"])  # purchasing adds the article
        wait_for(lambda: len(originals(root)) == 1 and not moved.exists(), 10)
        wait_for(lambda: not reason.exists(), 5)
    assert originals(root)[0].read_bytes() == unknown_bytes
    assert originals(root)[0].name == "Z999-01.jpg"
    assert "Error" not in w.log.getvalue() and w.error is None


@pytest.mark.slow
def test_second_watcher_is_refused_and_run_too(tmp_path):
    root = make_ws(tmp_path / "ws")
    with ThreadWatcher(root):
        with pytest.raises(ImgpipeError) as err:
            WorkspaceLock(root).acquire()
        assert str(os.getpid()) in str(err.value)
        with pytest.raises(ImgpipeError, match=str(os.getpid())):
            ensure_no_watcher(root)
        proc = subprocess.run([sys.executable, "-m", "imgpipe", "-w", str(root), "watch"], cwd=REPO,
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode == 2
        assert str(os.getpid()) in proc.stderr
        (root / "inbox" / "A1001_late.jpg").write_bytes(photo_bytes(5))
        run = subprocess.run([sys.executable, "-m", "imgpipe", "-w", str(root), "run"], cwd=REPO,
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2 and str(os.getpid()) in run.stderr, run.stderr
    ensure_no_watcher(root)  # released on stop
    assert not (root / ".imgpipe" / "watch.lock").exists()


def test_stale_lock_is_taken_over(tmp_path):
    root = make_ws(tmp_path / "ws")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = root / ".imgpipe" / "watch.lock"
    lock.write_text(f'{{"pid": {dead.pid}, "host": null, "started": "yesterday"}}', encoding="utf-8")
    ensure_no_watcher(root)  # a dead owner does not block run
    with WorkspaceLock(root):
        assert f'"pid": {os.getpid()}' in lock.read_text(encoding="utf-8")
    assert not lock.exists()


@pytest.mark.slow
def test_sigterm_mid_burst_then_restart_loses_and_duplicates_nothing(tmp_path):
    root = make_ws(tmp_path / "ws")
    env = dict(os.environ, IMGPIPE_BROWSER="none", PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "imgpipe", "-w", str(root), "watch", "--settle", str(SETTLE), "--jobs", "1",
           "--no-backup"]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    try:
        wait_for(lambda: (root / ".imgpipe" / "watch.lock").exists(), 20)
        burst = {}
        staging = tmp_path / "card"
        staging.mkdir()
        for i in range(16):
            name = f"A100{1 + i % 2}_{i:02d}.jpg"
            burst[name] = photo_bytes(100 + i)
            (staging / name).write_bytes(burst[name])
        for name in burst:  # moved in at once: one batch of 16
            os.replace(staging / name, root / "inbox" / name)
        outputs = root / "output" / "tmall"
        wait_for(lambda: list(outputs.rglob("*.jpg")), 30, step=0.02)  # rendering has started
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "停止" in err or "stopping" in err
    assert not (root / ".imgpipe" / "watch.lock").exists()
    first_outputs = len(list((root / "output").rglob("*.jpg")))
    assert 0 < first_outputs < 4 * len(burst), "the stop came mid-batch and took effect mid-batch"
    with ThreadWatcher(root):
        wait_for(lambda: not list((root / "inbox").glob("*.jpg")) and len(originals(root)) >= len(burst), 30)
    hashes = [sha(p.read_bytes()) for p in originals(root)]
    assert sorted(hashes) == sorted(sha(d) for d in burst.values()), "every photo archived exactly once"
    photos = Catalog(root / ".imgpipe" / "catalog.sqlite").photos()
    assert len(photos) == len(burst)
    for article in ("A1001", "A1002"):
        assert sorted(p.seq for p in photos if p.article == article) == list(range(1, 9))
        # every photo's main/detail outputs exist after the restart
        assert len(list((root / "output" / "tmall" / article).rglob(f"{article}-*.jpg"))) >= 8


def test_poll_mode_for_network_shares(tmp_path):
    root = make_ws(tmp_path / "ws")
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("poll_interval = 2.0", "poll_interval = 0.3"),
                    encoding="utf-8")
    with ThreadWatcher(root, poll=True) as w:
        data = photo_bytes(30)
        (root / "inbox" / "A1002 back.jpg").write_bytes(data)
        wait_for(lambda: w.photos(), 15)
    assert [p.read_bytes() for p in originals(root)] == [data]
    assert "0.3" in w.log.getvalue()  # the log says it polls, and how often


@pytest.mark.slow
def test_a_copy_keeping_old_mtimes_is_one_batch_and_every_photo_gets_outputs(tmp_path):
    import shutil

    root = make_ws(tmp_path / "ws")
    card = tmp_path / "card"
    card.mkdir()
    for i in range(10):
        (card / f"A100{1 + i % 2}_{i:02d}.jpg").write_bytes(photo_bytes(200 + i))
        os.utime(card / f"A100{1 + i % 2}_{i:02d}.jpg", (time.time() - 86400,) * 2)  # shot yesterday
    with ThreadWatcher(root) as w:
        for f in sorted(card.iterdir()):  # like Explorer: one file after another, old mtimes kept
            shutil.copy2(f, root / "inbox" / f.name)
            time.sleep(0.1)
        wait_for(lambda: len(w.photos()) == 10, 30)
        time.sleep(0.5)
    batches = [d for k, d in w.events if k == "batch" and d["ready"]]
    assert len(batches) == 1, "the inbox was busy until the last file; one batch"
    cat = Catalog(root / ".imgpipe" / "catalog.sqlite")
    rendered = {row["photo_id"] for row in cat.outputs()}
    assert {p.id for p in cat.photos()} <= rendered, "every archived photo has its outputs"
