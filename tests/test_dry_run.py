"""`imgpipe run --dry-run` lists what would be archived, written and removed, and writes nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import drop_photos, jpeg_bytes, studio_photo
from imgpipe.cli import main
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace


def _state(root: Path) -> dict[str, str]:
    """Every file and folder of the workspace, with its content hash.

    Except SQLite's `-shm` file: its shared-memory read marks change whenever
    anyone reads the catalog; the database and its write-ahead log must not
    (an empty log is no log: a reader that opens the catalog creates one).
    """
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))
            if not p.name.endswith("-shm") and not (p.name.endswith("-wal") and p.stat().st_size == 0)}


@pytest.mark.slow
def test_dry_run_previews_the_work_and_writes_nothing(workspace):
    drop_photos(workspace, count=3)
    ws = Workspace.open(workspace)
    run(ws, platforms=["tmall"], backup=False)
    # closed now, not whenever the garbage collector gets to it: the last connection to close
    # checkpoints the write-ahead log into the database, which would change its bytes mid-test
    ws.catalog.close()
    # three changes: a new photo, a new watermark text, fewer main images
    (workspace / "inbox" / "A1023").mkdir(exist_ok=True)
    (workspace / "inbox" / "A1023" / "IMG_0099.jpg").write_bytes(jpeg_bytes(studio_photo(seed=9)))
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("禾象旗舰店", "禾象官方店"), encoding="utf-8")
    (workspace / "profiles").mkdir(exist_ok=True)
    (workspace / "profiles" / "tmall.toml").write_text("[roles.main]\ncount = 1\n", encoding="utf-8")
    before = _state(workspace)
    result = CliRunner().invoke(main, ["-w", str(workspace), "run", "--dry-run", "--json", "--platform", "tmall"])
    assert result.exit_code == 0, result.output
    assert _state(workspace) == before
    (item,) = json.loads(result.stdout)["preview"]
    assert item["article"] == "A1023"
    assert [a["source"] for a in item["archive"]] == ["inbox/A1023/IMG_0099.jpg"]
    assert item["archive"][0]["original"].endswith("A1023-04.jpg")
    tmall = item["platforms"]["tmall"]
    assert tmall["remove"] == ["output/tmall/A1023/main/A1023-02.jpg", "output/tmall/A1023/main/A1023-03.jpg"]
    ws = Workspace.open(workspace)
    marked = {r["path"] for r in ws.catalog.outputs("A1023", "tmall")
              if ws.profiles["tmall"].roles[r["role"]].watermark != "none" and r["path"] not in tmall["remove"]}
    assert set(tmall["write"]) == marked and tmall["counts"] == {"write": len(marked), "remove": 2}
    # the real run does what was previewed, and besides it the new photo's share (its outputs, and
    # selling points and colours that move to it): that is planned once it is analysed
    summary = run(ws, platforms=["tmall"], backup=False)
    assert set(tmall["remove"]) <= set(summary.removed)
    assert set(tmall["write"]) <= set(summary.written) | set(summary.removed)  # or taken over by the new photo
    assert any(r["photo_id"] == 4 for r in ws.catalog.outputs("A1023", "tmall"))


def test_dry_run_messages_are_in_the_conditional(workspace):
    drop_photos(workspace, count=1)
    result = CliRunner().invoke(main, ["-w", str(workspace), "run", "--dry-run", "--platform", "tmall"])
    assert result.exit_code == 0
    assert "将归档" in result.stderr and "将写入" not in result.stderr  # new photos: planned after analysis
    run(Workspace.open(workspace), platforms=["tmall"], backup=False)
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("禾象旗舰店", "禾象官方店"), encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(workspace), "run", "--dry-run", "--platform", "tmall"])
    assert "A1023 · 天猫：将写入" in result.stderr
