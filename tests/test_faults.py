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

from imgpipe.errors import GlobalFailure, ImgpipeError
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


@pytest.mark.slow
@pytest.mark.real_cutout  # the killed runs are CLI processes: the rerun here must cut out as they do
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


def test_disk_full_mid_write_stops_the_run_clearly_and_keeps_the_good_output(tmp_path, monkeypatch):
    """Fault injection (runs everywhere): ENOSPC from every write once 1000 bytes are in."""
    root = make_ws(tmp_path / "shop")
    first = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert first.ok
    good = {p: (root / p).read_bytes() for p in outputs(root)}
    import imgpipe.plan

    monkeypatch.setattr(imgpipe.plan, "RENDER_VERSION", "disk-full-test")  # every output is redone
    _enospc_after(1000, monkeypatch)
    with pytest.raises(GlobalFailure) as err:
        run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert "磁盘已满" in err.value.message and err.value.fix  # one message, the user's language, the fix
    assert {p: (root / p).read_bytes() for p in good} == good
    assert not list(root.rglob(".*.tmp"))
    monkeypatch.undo()
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok


def _mount_tmpfs(path: Path, size: int) -> str | None:
    """Mount a tmpfs of `size` bytes at `path`; the reason it cannot be done here, or None."""
    if sys.platform != "linux" or os.geteuid() != 0:
        return "mounting a tmpfs needs root on Linux"
    path.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return None if res.returncode == 0 else f"mount refused here: {res.stderr.decode(errors='replace').strip()}"


@pytest.mark.slow
def test_disk_full_on_a_real_small_file_system_then_resume(tmp_path):
    """A real full disk (a small tmpfs): one clear message, exit 1, nothing lost; the next run resumes."""
    ref = make_ws(tmp_path / "ref")
    subprocess.run(cli(ref, "run", *CMD), env=env(), check=True, capture_output=True)
    need = sum(p.stat().st_size for p in ref.rglob("*") if p.is_file())
    out_bytes = sum(p.stat().st_size for p in (ref / "output").rglob("*") if p.is_file())
    mount = tmp_path / "small"
    why = _mount_tmpfs(mount, need - out_bytes // 2)
    if why:
        pytest.skip(why)
    try:
        root = make_ws(mount / "shop")
        res = subprocess.run(cli(root, "run", *CMD), env=env(), capture_output=True, text=True)
        assert res.returncode == 1, res.stderr
        assert "Traceback" not in res.stderr
        assert res.stderr.count("磁盘已满") == 1, res.stderr
        check = subprocess.run(cli(root, "doctor"), env=env(), capture_output=True, text=True)
        assert "--rebuild" not in check.stdout + check.stderr  # a full disk is not a corrupt catalog
        assert "磁盘" in check.stdout + check.stderr
        subprocess.run(["mount", "-o", f"remount,size={need * 3}", str(mount)], check=True)
        res = subprocess.run(cli(root, "run", *CMD), env=env(), capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert outputs(root) == outputs(ref)  # resumed to the very same bytes
        assert_nothing_lost(root, outputs(ref))
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


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
    from imgpipe.catalog import SCHEMA_VERSION

    assert ws.catalog.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert ws.catalog.activity() == []  # the later versions' tables are there too
    assert ws.catalog.soldout("A1023") == [("红色", "")]
    assert run(ws, jobs=1, backup=False, platforms=["tmall"]).ok


@pytest.mark.slow  # 4.0 CPU-s
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


@pytest.mark.slow
def test_no_imgpipe_process_outlives_a_killed_coordinator(tmp_path):
    """kill -9 of `run` mid-render: its fork server, workers and resource tracker are gone within 10 s."""
    import psutil

    from conftest import jpeg_bytes, studio_photo

    root = make_ws(tmp_path / "shop")
    for i in range(8):
        (root / "inbox" / f"A1023_big{i}.jpg").write_bytes(jpeg_bytes(studio_photo(2400, 1800, seed=i)))
    proc = subprocess.Popen(cli(root, "run", "--jobs", "2", "--no-backup", "--platform", "tmall"), env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    coordinator = psutil.Process(proc.pid)
    family: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        kids = coordinator.children(recursive=True)
        family |= {k.pid for k in kids}
        workers = [k for k in kids if k.pid != proc.pid]
        if len(workers) >= 3:  # fork server (or resource tracker) plus two workers
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before its workers could be seen (a very fast machine)")
    family |= {k.pid for k in coordinator.children(recursive=True)}
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    end = time.monotonic() + 10
    alive = []
    while time.monotonic() < end:
        alive = []
        for pid in family:
            try:
                p = psutil.Process(pid)
                if p.status() != psutil.STATUS_ZOMBIE:
                    alive.append((pid, " ".join(p.cmdline())[:80]))
            except psutil.Error:
                pass
        if not alive:
            break
        time.sleep(0.2)
    assert not alive, f"still running 10 s after kill -9 of the coordinator: {alive}"


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_unreadable_sheet_with_an_empty_inbox_fails_and_sheet_errors_show_their_row(tmp_path):
    root = tmp_path / "shop"
    init_workspace(root)
    (root / "products.csv").unlink(missing_ok=True)
    (root / "products.xlsx").write_bytes(b"PK\x03\x04 half an Excel save")
    res = subprocess.run(cli(root, "run", *CMD), env=env(), capture_output=True, text=True)
    assert res.returncode == 1, res.stderr
    assert "products.xlsx" in res.stderr and "Traceback" not in res.stderr
    write_sheet(root, [PRODUCT_ROW, "B2,杯子,家居,,,,,,abc,,,,,,"])
    res = subprocess.run(cli(root, "run", *CMD), env=env(), capture_output=True, text=True)
    assert "第 3 行" in res.stderr and "长" in res.stderr, res.stderr  # row and column of the bad cell


def test_long_category_gets_a_short_stable_folder_and_the_run_goes_on(tmp_path):
    from imgpipe.ingest import category_folder

    root = make_ws(tmp_path / "shop")
    long_category = "超长类目" * 30  # 120 characters, 360 bytes in UTF-8
    write_sheet(root, [PRODUCT_ROW.replace(",服装,", f",{long_category},")])
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert summary.ok, summary.failed + [p.reason for p in summary.ingest.pending]
    folder = category_folder(long_category)
    assert len(folder.encode()) <= 200 and folder == category_folder(long_category)  # stable
    assert folder != category_folder(long_category + "二")  # two long names sharing a start stay apart
    assert len(list((root / "originals" / folder / "A1023").glob("A1023-*.jpg"))) == len(PHOTOS)


def test_read_only_output_when_a_superseded_image_must_go(tmp_path, monkeypatch):
    """EROFS deleting an outdated output is that output's failure; every other article still renders."""
    root = make_ws(tmp_path / "shop")
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok
    (root / "profiles").mkdir(exist_ok=True)
    (root / "profiles" / "tmall.toml").write_text("[roles.main]\ncount = 1\n", encoding="utf-8")
    real_unlink = Path.unlink

    def read_only(self, missing_ok=False):
        if "output" in self.parts:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", read_only)
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert not summary.ok
    assert summary.failed and all(f["file"] and os.strerror(errno.EROFS) in f["message"] for f in summary.failed)
    monkeypatch.undo()
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")
    again = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert again.ok and again.removed  # the next run, with the folder writable, finishes the job


def test_rebuild_keeps_the_marks_the_old_catalog_still_holds(tmp_path):
    """Reference marks, capture times, sold-out marks, listings and the activity log survive `doctor --rebuild`."""
    from imgpipe.doctor import rebuild_catalog

    root = make_ws(tmp_path / "shop")
    assert run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"]).ok
    cat = Workspace.open(root).catalog
    first = cat.photos("A1023")[0]
    cat.db.execute("UPDATE photos SET kind='reference', captured_at='2026:11:20 10:00:00' WHERE id=?", (first.id,))
    cat.set_soldout("A1023", "红色", "", True)
    cat.set_listed("A1023", "tmall", "2026-11-25T09:00:00")
    cat.add_activity(article="A1023", platform="tmall", action="approve", who="李四", outputs={"x": "1"})
    cat.close()
    result = rebuild_catalog(root)
    assert result.recovered == {"photos": len(PHOTOS), "soldout": 1, "listings": 1, "activity": 1}
    cat = Workspace.open(root).catalog
    again = {p.seq: p for p in cat.photos("A1023")}[first.seq]
    assert again.kind == "reference" and again.captured_at == "2026:11:20 10:00:00"
    assert cat.soldout("A1023") == [("红色", "")]
    assert cat.listings("A1023") == {"tmall": "2026-11-25T09:00:00"}
    assert [(e["who"], e["action"], e["outputs"]) for e in cat.activity("A1023")] == [("李四", "approve", {"x": "1"})]


def test_no_traceback_reaches_a_user_unless_asked_for(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import imgpipe.pipeline
    from imgpipe.cli import main

    root = make_ws(tmp_path / "shop")

    def broken(*_a, **_k):
        raise RuntimeError("a bug in imgpipe")

    monkeypatch.setattr(imgpipe.pipeline, "run", broken)
    res = CliRunner().invoke(main, ["-w", str(root), "run", *CMD])
    assert res.exit_code == 1
    assert "Traceback" not in res.output and "内部错误" in res.output and "a bug in imgpipe" in res.output
    assert "IMGPIPE_DEBUG" in res.output  # the fix says how to see more
    monkeypatch.setenv("IMGPIPE_DEBUG", "1")
    res = CliRunner().invoke(main, ["-w", str(root), "run", *CMD])
    assert res.exit_code == 1 and "Traceback" in res.output


def test_doctor_takes_an_interrupted_ingest_for_one_and_asks_a_rebuild_only_for_strangers(tmp_path):
    """A full disk between archiving a photo and cataloguing it leaves the copy in originals/ and the
    photo in the inbox: the next run finishes it, so doctor must not ask for a rebuild. An archived
    file whose bytes are nowhere in the inbox is unknown to the catalog: that one needs it."""
    from imgpipe.doctor import check

    root = make_ws(tmp_path / "shop")
    waiting = sorted((root / "inbox").iterdir())[0]
    folder = root / "originals" / "服装" / "A1023"
    folder.mkdir(parents=True)
    (folder / "A1023-01.jpg").write_bytes(waiting.read_bytes())
    assert check(root).unknown_originals == []
    (folder / "A1023-02.jpg").write_bytes(jpeg(9999))
    assert check(root).unknown_originals == ["originals/服装/A1023/A1023-02.jpg"]
