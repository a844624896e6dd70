"""`imgpipe backup / backup --verify / restore` and the soldout undo from the backup."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpipe.backup import list_versions, open_target, restore_version
from imgpipe.cli import main
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from conftest import drop_photos

RED_SKU = "output/tmall/A1023/sku/A1023-03-红色.jpg"


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture
def shop(workspace, tmp_path) -> tuple[Path, Path]:
    """(workspace, backup folder): processed, not yet backed up."""
    target = tmp_path / "backup"
    toml = workspace / "imgpipe.toml"
    text = toml.read_text(encoding="utf-8").replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]')
    text = text.replace('target = ""', f'target = "{target.as_posix()}"')
    toml.write_text(text, encoding="utf-8")
    drop_photos(workspace)
    assert run(Workspace.open(workspace), backup=False).ok
    return workspace, target


def tree(root: Path, sub: str) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / sub).rglob("*")) if p.is_file()}


def cli(root: Path, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args])


@pytest.mark.slow
def test_backup_verify_corrupt_and_restore(shop):
    root, target = shop
    res = cli(root, "backup", "--json")
    assert res.exit_code == 0, res.output
    sent = json.loads(res.stdout)
    assert sent["sent"] == len(tree(root, "originals")) + len(tree(root, "output")) and sent["pending"] == 0
    assert tree(target, "originals") == tree(root, "originals")
    assert tree(target, "output") == tree(root, "output")
    assert cli(root, "backup", "--verify").exit_code == 0
    again = cli(root, "backup", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["sent"] == 0   # incremental

    # one flipped byte in the backup copy is found and named
    victim = sorted((target / "originals").rglob("*.jpg"))[1]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    rel = victim.relative_to(target).as_posix()
    bad = cli(root, "backup", "--verify")
    assert bad.exit_code == 1
    assert rel in bad.output
    report = json.loads(cli(root, "backup", "--verify", "--json").stdout)
    assert report["changed"] == []  # the first check queued it again: no longer counted as safe
    # the next backup re-sends it, then the target is clean
    assert cli(root, "backup").exit_code == 0
    assert hashlib.sha256(victim.read_bytes()).hexdigest() == tree(root, "originals")[rel]
    assert cli(root, "backup", "--verify").exit_code == 0

    # lose every original: restore brings them back byte-identical
    originals = tree(root, "originals")
    shutil.rmtree(root / "originals")
    res = cli(root, "restore", "--json")
    assert res.exit_code == 0, res.output
    assert tree(root, "originals") == originals

    # restore one article into another folder
    elsewhere = root.parent / "rebuilt"
    res = cli(root, "restore", "A1023", "--to", str(elsewhere))
    assert res.exit_code == 0, res.output
    assert tree(elsewhere, "originals") == originals
    assert tree(elsewhere, "output") == tree(root, "output")
    unknown = cli(root, "restore", "B999")
    assert unknown.exit_code == 2 and "A1023" in unknown.output


def test_backup_without_target_is_a_usage_error(workspace):
    res = cli(workspace, "backup")
    assert res.exit_code == 2
    assert cli(workspace, "backup", "--verify").exit_code == 2


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_soldout_keeps_the_previous_version_in_the_backup(shop):
    root, target = shop
    assert cli(root, "backup").exit_code == 0
    plain = (root / RED_SKU).read_bytes()
    res = cli(root, "soldout", "A1023", "--colour", "红色", "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["changed_files"] == [RED_SKU] and out["backup"]["pending"] == 0
    overlaid = (root / RED_SKU).read_bytes()
    assert overlaid != plain and (target / RED_SKU).read_bytes() == overlaid
    # undo a mistaken overlay from the backup alone
    ws = Workspace.open(root)
    with open_target(ws.settings.backup, root) as tgt:
        stamps = list_versions(tgt, RED_SKU)
        assert len(stamps) == 1
        back = restore_version(tgt, RED_SKU, stamps[0], root.parent / "undo.jpg")
    assert back.read_bytes() == plain


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_a_lost_workspace_comes_back_whole_from_the_backup_and_the_sheet(shop):
    root, target = shop
    with Workspace.open(root).catalog.transaction() as db:  # what only the catalog knows
        db.execute("INSERT INTO listings VALUES ('A1023', 'tmall', '2026-11-26T10:00:00')")
    assert cli(root, "backup").exit_code == 0
    originals, outputs = tree(root, "originals"), tree(root, "output")
    for sub in ("originals", "output", ".imgpipe"):
        shutil.rmtree(root / sub)
    assert cli(root, "restore").exit_code == 0
    assert tree(root, "originals") == originals and tree(root, "output") == outputs
    ws = Workspace.open(root)
    assert ws.catalog.listings("A1023") == {"tmall": "2026-11-26T10:00:00"}
    again = run(ws, backup=False)
    assert not again.written and not again.ingest.archived and again.skipped == len(ws.catalog.outputs())


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_restore_names_every_file_the_backup_lost(shop):
    root, target = shop
    assert cli(root, "backup").exit_code == 0
    lost = sorted((target / "originals").rglob("*.jpg"))[:2] + sorted((target / "output").rglob("*.jpg"))[:1]
    for path in lost:
        path.unlink()
    res = cli(root, "restore", "--to", str(root.parent / "back"), "--json")
    assert res.exit_code == 1, res.output
    missing = json.loads(res.stdout)["missing"]
    assert missing == sorted(p.relative_to(target).as_posix() for p in lost)
    text = cli(root, "restore", "--to", str(root.parent / "back2"))
    assert text.exit_code == 1
    for path in lost:
        assert path.relative_to(target).as_posix() in text.output


@pytest.mark.slow
def test_a_backup_that_fails_after_the_run_is_one_failed_item_not_a_usage_error(shop):
    """A target that can never work (here: the SSH key named in imgpipe.toml does not exist) after a run
    that did its work: exit 1 with the run's summary and the backup's reason, not exit 2."""
    root, target = shop
    drop_photos(root, count=1, folder=False, cast=(1.0, 1.0, 1.0))  # new bytes: not a duplicate
    toml = root / "imgpipe.toml"
    text = toml.read_text(encoding="utf-8").replace(f'target = "{target.as_posix()}"',
                                                    'target = "sftp://nobody@127.0.0.1:1/backup"')
    toml.write_text(text.replace('key_file = ""', 'key_file = "/nonexistent/imgpipe_key"'), encoding="utf-8")
    res = cli(root, "run", "--json", "--jobs", "1")
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["archived"] and doc["written"]  # the run's own work is reported
    failed = [f for f in doc["failed"] if f.get("stage") == "backup"]
    assert failed and "imgpipe_key" in failed[0]["message"]
