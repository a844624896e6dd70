"""Restores that cannot mislead: a backup without its catalog copy restores with exit 1 and says
what is missing; `doctor` sees archived originals the catalog does not know; `doctor --rebuild`
never turns the grey card (a real sample shot) into a product image."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpipe.cli import main
from imgpipe.colour.reference import is_grey_card_shot
from imgpipe.imageio import load_photo
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace
from tests.conftest import drop_photos

CARD = Path(__file__).resolve().parents[1] / "samples" / "inbox" / "A1023" / "A1023_ref_灰卡.jpg"
CLOSE_UPS = [CARD.parents[1] / "B2045-把手.jpg", CARD.parents[1] / "D4410" / "流苏细节.jpg",
             CARD.parents[1] / "D4410" / "纹理细节.jpg"]
pytestmark = pytest.mark.skipif(not CARD.exists(), reason="samples/ not present")


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def cli(root: Path, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.mark.slow
def test_a_grey_card_shot_is_told_from_close_ups_with_flat_patches():
    assert is_grey_card_shot(load_photo(CARD, min_long_side=768).rgb)
    for photo in CLOSE_UPS:
        assert not is_grey_card_shot(load_photo(photo, min_long_side=768).rgb), photo
    from tests.conftest import studio_photo

    # a flat coloured box centred on paper: as uniform as a card, but not neutral like the paper
    assert not is_grey_card_shot(studio_photo(800, 600, box=(0.3, 0.2, 0.7, 0.8), product=(110, 190, 160)))


@pytest.mark.slow
def test_restore_without_the_catalog_copy_exits_1_and_rebuild_keeps_the_grey_card_out(workspace, tmp_path):
    root, target = workspace, tmp_path / "backup"
    toml = root / "imgpipe.toml"
    text = toml.read_text(encoding="utf-8").replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]')
    toml.write_text(text.replace('target = ""', f'target = "{target.as_posix()}"'), encoding="utf-8")
    shutil.copy(CARD, root / "inbox" / "A1023_ref_灰卡.jpg")   # numbered first: captured before the others
    drop_photos(root, count=3, size=(800, 600))
    assert run(Workspace.open(root), backup=False).ok
    ws = Workspace.open(root)
    card = {p.seq: p.kind for p in ws.catalog.photos("A1023")}
    ws.catalog.close()
    assert sorted(card.values()) == ["photo", "photo", "photo", "reference"]
    card_seq = next(s for s, k in card.items() if k == "reference")
    assert cli(root, "backup").exit_code == 0

    (target / "catalog" / "catalog.sqlite").unlink()   # a backup whose catalog copy is lost
    for sub in ("originals", "output", ".imgpipe"):
        shutil.rmtree(root / sub)
    res = cli(root, "restore")
    assert res.exit_code == 1, res.output
    assert "目录副本" in res.output and "doctor --rebuild" in res.output

    res = cli(root, "doctor")
    assert res.exit_code == 1 and "没有记录 3 个" not in res.output and "没有记录 4 个已归档的原图" in res.output, \
        res.output

    res = cli(root, "doctor", "--rebuild")
    assert res.exit_code == 0, res.output
    assert f"A1023-{card_seq:02d}" in res.output   # said: set aside as a reference by its look
    ws = Workspace.open(root)
    kinds = {p.seq: p.kind for p in ws.catalog.photos("A1023")}
    assert kinds == card
    assert run(ws, backup=False).ok
    used = {row["photo_id"] for row in ws.catalog.outputs() if row["article"] == "A1023"}
    card_id = next(p.id for p in ws.catalog.photos("A1023") if p.seq == card_seq)
    assert card_id not in used   # the grey card is in no published image
    ws.catalog.close()


def test_doctor_checks_each_written_folder_on_its_own_mount(workspace, monkeypatch):
    """output/ read-only, reports/ on a nearly full disk: each said by name, exit 1 (was "all good")."""
    import errno
    import shutil as sh
    import tempfile

    from imgpipe import doctor

    (workspace / "output").mkdir(exist_ok=True)
    (workspace / "reports").mkdir(exist_ok=True)
    real_mkstemp, real_usage = tempfile.mkstemp, sh.disk_usage

    def mkstemp(*args, dir=None, **kwargs):   # output/ is a read-only mount
        if Path(dir).name == "output":
            raise OSError(errno.EROFS, "Read-only file system")
        return real_mkstemp(*args, dir=dir, **kwargs)

    def disk_usage(path):   # reports/ is on a disk with 10 MB left
        usage = real_usage(path)
        return usage._replace(free=10 * 2**20) if Path(path).name == "reports" else usage

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(doctor.shutil, "disk_usage", disk_usage)
    report = doctor.check(workspace)
    assert not report.ok and len(report.folders) == 2
    assert "output/" in report.folders[0] and "Read-only" in report.folders[0]
    assert "reports/" in report.folders[1] and "10 MB" in report.folders[1]
    res = cli(workspace, "doctor")
    assert res.exit_code == 1 and "output/" in res.output and "reports/" in res.output
    assert not list((workspace / "originals").glob(".imgpipe-doctor-*"))
