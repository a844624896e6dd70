"""Roles of any shape (3:4 main images, roles a profile adds), profile checks, and
fingerprints that follow the logo's and font's contents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from conftest import drop_photos
from imgpipe.errors import ConfigError
from imgpipe.pipeline import run
from imgpipe.roles import ROLES
from imgpipe.validate import Validator
from imgpipe.workspace import Workspace


def _profile(root: Path, text: str, name: str = "tmall") -> None:
    (root / "profiles").mkdir(exist_ok=True)
    (root / "profiles" / f"{name}.toml").write_text(text, encoding="utf-8")


def _findings(ws, check: str) -> list:
    result = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    return result.checks[check].findings


@pytest.mark.slow  # 4.7 CPU-s; the fast lane sees like roles in test_outputs_described.py
def test_a_3_to_4_main_image_is_framed_not_squashed_and_validate_agrees(workspace):
    _profile(workspace, "[roles.main]\nwidth = 750\nheight = 1000\n"
                        "[roles.main_square]\nlike = \"main\"\nwidth = 800\nheight = 800\ncount = 2\n")
    drop_photos(workspace, count=3)
    ws = Workspace.open(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    mains = sorted((workspace / "output/tmall/A1023/main").glob("*.jpg"))
    assert len(mains) == 3 and all(Image.open(p).size == (750, 1000) for p in mains)
    squares = sorted((workspace / "output/tmall/A1023/main_square").glob("*.jpg"))
    assert len(squares) == 2 and all(Image.open(p).size == (800, 800) for p in squares)
    photos = {p.id: p for p in ws.catalog.photos("A1023")}
    for row in ws.catalog.outputs("A1023", "tmall"):
        if row["role"] not in ("main", "main_square"):
            continue
        x0, y0, x1, y1 = json.loads(row["meta"])["product_box"]
        # framed: the whole product inside, with a margin, centred
        assert 0 < x0 and 0 < y0 and x1 < row["width"] and y1 < row["height"]
        assert abs((x0 + x1) / 2 - row["width"] / 2) < 3 and abs((y0 + y1) / 2 - row["height"] / 2) < 3
        # not squashed: the product keeps its aspect ratio
        a = photos[row["photo_id"]].analysis
        bx0, by0, bx1, by1 = a["box"]
        source = (bx1 - bx0) * a["size"][0] / ((by1 - by0) * a["size"][1])
        assert (x1 - x0) / (y1 - y0) == pytest.approx(source, rel=0.03)
    # the product is as large as the frame's fill allows on its tighter axis (fill 0.8 by default)
    img = np.asarray(Image.open(mains[0]).convert("L")).copy()
    meta = next(json.loads(r["meta"]) for r in ws.catalog.outputs("A1023", "tmall")
                if r["path"].endswith("main/" + mains[0].name))
    for bx0, by0, bx1, by1 in meta.get("watermark_boxes") or []:
        img[by0:by1, bx0:bx1] = 255  # the mark (its outline is dark on the pale backdrop) is not product
    rows = np.where((img < 200).any(axis=1))[0]
    assert 0.7 * 1000 < rows[-1] - rows[0] < 0.82 * 1000
    assert not [f for f in _findings(ws, "sizes") if f.code == "dimensions"]
    assert not _findings(ws, "counts")


@pytest.mark.parametrize("text, key, allowed", [
    ("[roles.detail]\nheight = 500\n", "roles.detail.height", "0 (not set)"),
    ("[roles.main]\nheight = 0\n", "roles.main.height", "16..10000"),
    ("[roles.lifestyle]\nwidth = 800\nheight = 800\n", "roles.lifestyle.like", "main, white, large"),
    ("[roles.lifestyle]\nlike = \"poster\"\nwidth = 800\nheight = 800\n", "roles.lifestyle.like", "main, white"),
    ("[roles.large]\nwatermark = \"outside_product\"\n", "roles.large.watermark", "none / all"),
    ("formats = [\"gif\"]\n", "formats", "jpg / png"),
    ("[roles.main]\nformat = \"webp\"\n", "roles.main.format", "jpg, png"),
])
def test_profile_checks_refuse_what_cannot_be_made(workspace, text, key, allowed):
    _profile(workspace, text)
    with pytest.raises(ConfigError) as err:
        Workspace.open(workspace)
    assert err.value.field == key and str(workspace / "profiles" / "tmall.toml") in str(err.value.file)
    assert key in err.value.message and allowed in err.value.message


def test_every_registered_role_declares_its_steps():
    from imgpipe.render import SHAPES

    assert set(ROLES) >= {"main", "white", "large", "detail", "selling_point", "sku"}
    for role in ROLES.values():
        assert role.shape in SHAPES and role.text in ("", "label", "caption") and callable(role.pick)


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_a_new_role_is_one_entry_plus_profile_keys(workspace, monkeypatch):
    """A transparent product image (PNG with alpha) as a new role: a shape step, a registry entry, profile keys."""
    from imgpipe import render, roles

    def cutout(work, params, spec, background="#FFFFFF"):
        framed, box = render.shape_frame(work, params, spec)
        alpha = np.zeros(framed.shape[:2], np.uint8)
        x0, y0, x1, y1 = box
        alpha[y0:y1, x0:x1] = 255  # keep the product box, the rest transparent
        return np.dstack([framed, alpha]), box

    monkeypatch.setitem(render.SHAPES, "cutout", cutout)
    monkeypatch.setitem(roles.ROLES, "cutout", roles.Role("cutout", roles.pick_white, "cutout", alpha=True))
    _profile(workspace, 'formats = ["jpg", "png"]\nflatten_alpha = false\n'
                        '[roles.cutout]\nwidth = 600\nheight = 600\nformat = "png"\n')
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    (made,) = (workspace / "output/tmall/A1023/cutout").glob("*.png")
    with Image.open(made) as img:
        assert img.mode == "RGBA" and img.size == (600, 600)
        a = np.asarray(img.getchannel("A"))
    assert a[0, 0] == 0 and a[300, 300] == 255
    # and the check refuses what the code cannot make: alpha flattened away
    _profile(workspace, 'flatten_alpha = true\n[roles.transparent]\nenabled = false\n'
                        '[roles.cutout]\nwidth = 600\nheight = 600\nformat = "png"\n')
    with pytest.raises(ConfigError) as err:
        Workspace.open(workspace)
    assert err.value.field == "roles.cutout.format"


def _logo(path: Path, fill) -> None:
    img = Image.new("RGBA", (240, 80), (0, 0, 0, 0))
    ImageDraw.Draw(img).rectangle((10, 10, 230, 70), fill=fill)
    img.save(path)


def _hashes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "output").rglob("*.jpg")
            if "/page/" not in p.as_posix()}


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_replacing_the_logo_under_its_name_redoes_exactly_the_marked_outputs(workspace):
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('text = "禾象旗舰店"', 'logo = "logo.png"'),
                    encoding="utf-8")
    _logo(workspace / "logo.png", (200, 16, 46, 255))
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    run(ws, platforms=["tmall"], backup=False)
    before = _hashes(workspace)
    marked = {r["path"] for r in ws.catalog.outputs("A1023", "tmall")
              if ws.profiles["tmall"].roles[r["role"]].watermark != "none"}
    assert marked and len(marked) < len(before)
    _logo(workspace / "logo.png", (20, 90, 200, 255))  # same name, other logo
    summary = run(Workspace.open(workspace), platforms=["tmall"], backup=False)
    assert set(summary.written) == marked
    after = _hashes(workspace)
    assert {p for p in before if before[p] != after[p]} == marked  # the new logo is on them, nothing else moved


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_replacing_the_font_under_its_name_redoes_exactly_the_outputs_with_text(workspace):
    fonts = Path("/usr/share/fonts/opentype/noto")
    regular, other = fonts / "NotoSansCJK-Regular.ttc", fonts / "NotoSerifCJK-Bold.ttc"
    if not (regular.is_file() and other.is_file()):
        pytest.skip("needs two Noto CJK fonts (fonts-noto-cjk)")
    toml = workspace / "imgpipe.toml"
    body = toml.read_text(encoding="utf-8").replace('text = "禾象旗舰店"', 'text = ""')
    toml.write_text(body.replace('path = ""', 'path = "shop-font.ttc"'), encoding="utf-8")
    shutil.copyfile(regular, workspace / "shop-font.ttc")
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    run(ws, platforms=["tmall"], backup=False)
    before = _hashes(workspace)
    with_text = {r["path"] for r in ws.catalog.outputs("A1023", "tmall") if r["role"] in ("large", "selling_point")}
    shutil.copyfile(other, workspace / "shop-font.ttc")
    summary = run(Workspace.open(workspace), platforms=["tmall"], backup=False)
    assert set(summary.written) == with_text
    after = _hashes(workspace)
    assert {p for p in before if before[p] != after[p]} == with_text
