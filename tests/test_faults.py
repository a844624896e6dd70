"""Crashes and faults: SIGKILL mid-run, a disk that fills, a read-only output
folder, an old catalog, a corrupted catalog and `imgpipe doctor --rebuild`.

Kill trials: IMGPIPE_KILL_TRIALS (default 4 in CI: each trial is a cold
subprocess plus a rerun, ~5 s on a 2-CPU runner; run 20 by hand with
`IMGPIPE_KILL_TRIALS=20 python -m pytest tests/test_faults.py -k kill`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgpipe.errors import ImgpipeError
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace, init_workspace

from conftest import PRODUCT_ROW, write_sheet
from corpus import jpeg

TRIALS = int(os.environ.get("IMGPIPE_KILL_TRIALS", "4"))
PHOTOS = {f"A1023_{i}.jpg": jpeg(40 + i) for i in range(2)}
CMD = ["--jobs", "1", "--no-backup", "--platform", "tmall"]


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_ws(root: Path) -> Path:
    init_workspace(root)
    write_sheet(root, [PRODUCT_ROW])
    for name, data in PHOTOS.items():
        (root / "inbox" / name).write_bytes(data)
    return root


def outputs(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha(p.read_bytes())
            for p in sorted((root / "output").rglob("*")) if p.is_file()}


def cli(root: Path, *args) -> list[str]:
    return [sys.executable, "-m", "imgpipe", "-w", str(root), *args]


def env() -> dict:
    return dict(os.environ, IMGPIPE_BROWSER="none", PYTHONPATH=str(Path(__file__).parents[1]))


def assert_nothing_lost(root: Path, reference: dict[str, str]) -> None:
    assert outputs(root) == reference
    photos = Workspace.open(root).catalog.photos("A1023")
    assert sorted(p.seq for p in photos) == list(range(1, len(PHOTOS) + 1))  # no duplicate numbers
    assert sorted(p.sha256 for p in photos) == sorted(sha(d) for d in PHOTOS.values())
    for p in photos:
        assert sha((root / p.original).read_bytes()) == p.sha256
    assert not list(root.rglob(".*.tmp"))
    assert not [p for p in (root / "inbox").rglob("*") if p.is_file()]


def test_sigkill_at_random_points_then_rerun_loses_nothing(tmp_path):
    ref_root = make_ws(tmp_path / "ref")
    started = time.perf_counter()
    subprocess.run(cli(ref_root, "run", *CMD), env=env(), check=True, capture_output=True)
    full = time.perf_counter() - started
    reference = outputs(ref_root)
    assert reference
    rng = random.Random(int(os.environ.get("IMGPIPE_KILL_SEED", "1234")))
    killed_mid_work = 0
    for trial in range(TRIALS):
        root = make_ws(tmp_path / f"t{trial}")
        proc = subprocess.Popen(cli(root, "run", *CMD), env=env(), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        # the first ~third is interpreter start-up; spread the kills over the real work
        time.sleep(rng.uniform(0.25, 0.85) * full)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            killed_mid_work += 1
        proc.wait()
        summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
        assert summary.ok, (trial, summary.failed, summary.ingest.pending)
        assert_nothing_lost(root, reference)
    print(f"\nkill trials: {TRIALS}, killed before finishing: {killed_mid_work}, losses: 0, "
          f"uninterrupted run {full:.1f} s")
    assert killed_mid_work >= 1  # timing-dependent: a loaded runner may finish some runs first


def _enospc_after(limit: int, monkeypatch):
    """Every file opened by os.fdopen (atomic_write_bytes) fails once `limit` bytes are written."""
    real = os.fdopen

    class Full:
        def __init__(self, f):
            self.f, self.n = f, 0

        def write(self, data):
            if self.n + len(data) > limit:
                self.f.write(data[: max(0, limit - self.n)])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.n += len(data)
            return self.f.write(data)

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: Full(real(fd, *a, **k)))


def test_disk_full_mid_write_fails_clearly_and_keeps_the_good_output(tmp_path, monkeypatch):
    root = make_ws(tmp_path / "shop")
    first = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert first.ok
    good = {p: (root / p).read_bytes() for p in outputs(root)}
    import imgpipe.context
    import imgpipe.plan

    monkeypatch.setattr(imgpipe.plan, "RENDER_VERSION", "disk-full-test")  # every output is redone
    monkeypatch.setattr(imgpipe.context, "RENDER_VERSION", "disk-full-test")  # (the planner's own name for it)
    _enospc_after(1000, monkeypatch)
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert not summary.ok and summary.failed
    for err in summary.failed:
        assert err.get("file") and os.strerror(errno.ENOSPC) in str(err.get("message")), err
    assert {p: (root / p).read_bytes() for p in good} == good
    assert not list(root.rglob(".*.tmp"))
    monkeypatch.undo()
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok


def test_read_only_output_folder(tmp_path):
    root = make_ws(tmp_path / "shop")
    out = root / "output"
    out.mkdir(exist_ok=True)
    out.chmod(0o555)
    try:
        probe = out / "probe"
        try:
            probe.mkdir()
            probe.rmdir()
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod does not block writes here")
        except PermissionError:
            pass
        summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    finally:
        out.chmod(0o755)
    assert not summary.ok
    assert summary.failed and all(f.get("file") for f in summary.failed)
    # the photos themselves were archived: nothing lost, the next run finishes the outputs
    assert len(Workspace.open(root).catalog.photos("A1023")) == len(PHOTOS)
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok


def test_output_path_that_is_a_file_fails_per_output(tmp_path):
    """Root-proof stand-in for a read-only folder: the platform folder is a file."""
    root = make_ws(tmp_path / "shop")
    (root / "output").mkdir(exist_ok=True)
    (root / "output" / "tmall").write_bytes(b"in the way")
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert not summary.ok and summary.failed
    assert all(f.get("file") for f in summary.failed)
    assert (root / "output" / "tmall").read_bytes() == b"in the way"
    assert len(Workspace.open(root).catalog.photos("A1023")) == len(PHOTOS)


def test_schema_version_0_catalog_migrates(tmp_path):
    root = make_ws(tmp_path / "shop")
    db_path = root / ".imgpipe" / "catalog.sqlite"
    db = sqlite3.connect(db_path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        INSERT INTO meta VALUES ('schema_version', '0');
        CREATE TABLE soldout (article TEXT NOT NULL, colour TEXT NOT NULL DEFAULT '', size TEXT NOT NULL DEFAULT '',
                              since TEXT NOT NULL, PRIMARY KEY (article, colour, size));
        INSERT INTO soldout VALUES ('A1023', '红色', '', '2026-01-01T00:00:00');
    """)
    db.commit()
    db.close()
    ws = Workspace.open(root)
    assert ws.catalog.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "1"
    assert ws.catalog.soldout("A1023") == [("红色", "")]
    assert run(ws, jobs=1, backup=False, platforms=["tmall"]).ok


def test_corrupt_catalog_clear_error_then_doctor_rebuilds(tmp_path):
    root = make_ws(tmp_path / "shop")
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok
    before = outputs(root)
    photos_before = {(p.article, p.seq, p.sha256, p.original) for p in Workspace.open(root).catalog.photos()}
    db_path = root / ".imgpipe" / "catalog.sqlite"
    for side in ("-wal", "-shm"):
        Path(str(db_path) + side).unlink(missing_ok=True)
    db_path.write_bytes(os.urandom(8192))
    with pytest.raises(ImgpipeError) as err:
        Workspace.open(root).catalog
    assert "doctor --rebuild" in str(err.value) and "catalog.sqlite" in str(err.value)
    res = subprocess.run(cli(root, "run", *CMD), env=env(), capture_output=True)
    assert res.returncode == 2 and b"doctor --rebuild" in res.stderr
    check = subprocess.run(cli(root, "doctor"), env=env(), capture_output=True)
    assert check.returncode == 1
    res = subprocess.run(cli(root, "doctor", "--rebuild"), env=env(), capture_output=True)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    assert list((root / ".imgpipe").glob("catalog.sqlite.broken-*"))  # the damaged one is kept
    cat = Workspace.open(root).catalog
    assert {(p.article, p.seq, p.sha256, p.original) for p in cat.photos()} == photos_before
    assert {r["path"] for r in cat.outputs()} >= {p for p in before if p.count("/") == 4}
    cat.close()
    again = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert again.ok and not again.ingest.archived
    assert outputs(root) == before  # redrawn byte-identical
    assert subprocess.run(cli(root, "doctor"), env=env(), capture_output=True).returncode == 0
