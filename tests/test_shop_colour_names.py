"""A shop's own colour names (imgpipe.toml `[colours.names]`): they settle SKU images like built-in
names; without them the colour is left to a person; a bad entry refuses the run naming file, key and fix."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

import studio_set
from conftest import jpeg_bytes, write_sheet
from imgpipe.errors import ConfigError
from imgpipe.pipeline import run as run_pipeline
from imgpipe.validate import validate_workspace
from imgpipe.workspace import Workspace, init_workspace

CASES = {c.name: c for c in studio_set.CASES}
# shot blue first, then red; the sheet names them with words only this shop uses
ROW = ("B2045,陶瓷马克杯,家居,禾象,禾象陶瓷马克杯大容量咖啡杯,砖红/克莱因蓝,陶瓷,350ml,12,8.5,9.5,釉下彩,"
       "高温烧制;釉下彩工艺;大容量;人体工学把手;可进微波炉,2026-11-24,49")
NAMES = '''"克莱因蓝" = { sample = "#2B3F8C" }
"砖红" = "红"
'''


def _toml(root: Path, names: str = "") -> None:
    """imgpipe.toml for Tmall only, with `names` as the entries of its [colours.names] table."""
    toml = (root / "imgpipe.toml").read_text(encoding="utf-8")
    toml = toml.replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]').replace("jobs = 0", "jobs = 1")
    head = next(line for line in toml.splitlines() if line.startswith("[colours.names]"))
    (root / "imgpipe.toml").write_text(toml.replace(head, head + "\n" + names), encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("names") / "shop"
    init_workspace(root)
    write_sheet(root, [ROW])
    _toml(root, NAMES)
    inbox = root / "inbox" / "B2045"
    inbox.mkdir(parents=True)
    for i, name in enumerate(("mug-blue", "mug-red")):
        photo, _ = studio_set.render(replace(CASES[name], size=(900, 675)))
        (inbox / f"IMG_{i + 1:04d}.jpg").write_bytes(jpeg_bytes(photo, quality=92))
    ws = Workspace.open(root)
    summary = run_pipeline(ws, jobs=1)
    assert summary.ok, summary.failed
    ws.catalog.close()
    return root


def _pairing(root: Path):
    result = validate_workspace(Workspace.open(root), articles=["B2045"], write=False)
    (report,) = result.reports
    (art,) = report.articles
    return art.checks["pairing"].findings


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_a_name_only_the_shop_defines_gets_the_photo_of_its_colour(built):
    skus = {p.stem.split("-", 2)[2]: p.stem for p in (built / "output/tmall/B2045/sku").glob("*.jpg")}
    # 克莱因蓝 is the blue mug (photo 1), 砖红 the red one (photo 2): by colour, not sheet order
    assert skus == {"砖红": "B2045-02-砖红", "克莱因蓝": "B2045-01-克莱因蓝"}
    codes = {f.code for f in _pairing(built)}
    assert codes <= {"selling_point_auto"}, codes  # no colour left to a person, no mismatch


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_without_the_entry_the_colour_needs_a_person(built, tmp_path):
    root = tmp_path / "shop"
    shutil.copytree(built, root)
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(NAMES, ""), encoding="utf-8")
    found = [f for f in _pairing(root) if f.code.startswith("colour_")]
    assert {f.code for f in found} == {"colour_unknown_name"} and len(found) == 2
    assert {f.severity for f in found} == {"warning"}
    assert any("克莱因蓝" in f.message for f in found) and any("砖红" in f.message for f in found)


@pytest.mark.parametrize("entry,key", [('"坏色" = { L = [1] }', "colours.names.坏色"),
                                       ('"灰蓝" = "独角兽"', "colours.names.灰蓝"),
                                       ('"雾蓝" = { sample = "#12" }', "colours.names.雾蓝")])
def test_a_bad_entry_refuses_the_run_naming_the_file_the_key_and_the_fix(tmp_path, entry, key):
    root = tmp_path / "shop"
    init_workspace(root)
    _toml(root, entry + "\n")
    with pytest.raises(ConfigError) as err:
        Workspace.open(root)
    info = err.value.as_dict()
    assert Path(info["file"]).name == "imgpipe.toml" and key in err.value.message
    assert "sample" in err.value.message and "L = [" in err.value.message  # how to write it
