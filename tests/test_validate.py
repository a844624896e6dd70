"""Pre-upload validation: a clean article passes; each broken fixture fails exactly its check.

One real workspace is built and run once per module (JD only: it has the
strictest mark rule), then copied per test and broken in one way.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import sqlite3
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from imgpipe.browser import BrowserSession, find_browser
from imgpipe.cli import main as cli
from imgpipe.fsutil import sha256_file
from imgpipe.pipeline import run as run_pipeline
from imgpipe.validate import (
    CHECKS, backdrop_cast, hamming, phash, sharpness, title_units, validate_workspace, white_border_ok,
)
from imgpipe.workspace import Workspace, init_workspace

HEADER = "货号,名称,类目,品牌,标题,颜色,面料,尺码,长,宽,高,说明,卖点,到货日期,价格"
FIVE = "透气吸汗;细腻顺滑;修身不紧绷;贝壳纽扣;洗后不变形"
ROWS = [
    f"A1023,纯棉衬衫,服装,禾象,禾象纯棉衬衫男长袖商务,白色/藏青,纯棉,S/M/L,74,56,,预缩水,{FIVE},2026-11-24,199",
    "B2045,陶瓷马克杯,家居,禾象,禾象陶瓷马克杯,白色,陶瓷,350ml,12,8.5,9.5,可微波,坚固;不掉色;大容量;舒适,2026-11-23,49",
    f"C3301,帆布托特包,箱包,禾象,禾象帆布托特包,米色,帆布,均码,40,12,35,可手洗,{FIVE},2026-11-25,89",
]
COLOURS = [(40, 60, 150), (150, 50, 40), (30, 120, 60), (120, 90, 30), (90, 40, 120), (20, 110, 130)]


# the checks read what the analysis measured inside the cut-out (colours, duplicates, holes)
pytestmark = pytest.mark.real_cutout


def shot(i: int, w: int = 900, h: int = 675, blur: float = 0.0) -> np.ndarray:
    """A distinct studio shot: shape i on a neutral light backdrop, striped texture, sensor noise."""
    rng = np.random.default_rng(100 + i)
    img = np.full((h, w, 3), 245, np.uint8)
    col = COLOURS[i % 6]
    cx, cy = int(w * (0.35 + 0.06 * (i % 6))), int(h * (0.45 + 0.02 * (i % 3)))
    if i % 3 == 0:
        cv2.rectangle(img, (cx - 150, cy - 170), (cx + 110, cy + 150), col, -1)
    elif i % 3 == 1:
        cv2.ellipse(img, (cx, cy), (170, 120), 15 * i, 0, 360, col, -1)
    else:
        cv2.fillPoly(img, [np.array([[cx - 160, cy + 150], [cx, cy - 180], [cx + 160, cy + 150]], np.int32)], col)
    mask = (img != 245).any(2)
    yy, xx = np.mgrid[0:h, 0:w]
    stripes = np.sin((xx * np.cos(0.5 * i) + yy * np.sin(0.5 * i)) / (3 + i)) > 0
    img[mask & stripes] = np.clip(img[mask & stripes].astype(int) + 40, 0, 255)
    if blur:
        img = cv2.GaussianBlur(img, (0, 0), blur)
    return np.clip(img + rng.normal(0, 2, img.shape), 0, 255).astype(np.uint8)


def jpeg(arr: np.ndarray, quality: int = 92) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def drop(root: Path, article: str, arrays: list[np.ndarray], qualities=None) -> None:
    for n, arr in enumerate(arrays, 1):
        p = root / "inbox" / article / f"IMG_{n:04d}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(jpeg(arr, (qualities or {}).get(n, 92)))


def set_target(root: Path, target: Path) -> None:
    toml = root / "imgpipe.toml"
    text = re.sub(r'(?m)^target = "[^"]*"', f'target = "{target.as_posix()}"', toml.read_text(encoding="utf-8"))
    toml.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("validate")
    root = base / "shop"
    init_workspace(root)
    (root / "products.xlsx").unlink()
    (root / "products.csv").write_text("\n".join([HEADER, *ROWS]) + "\n", encoding="utf-8")
    toml = (root / "imgpipe.toml").read_text(encoding="utf-8")
    toml = toml.replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["jd"]').replace("jobs = 0", "jobs = 1")
    (root / "imgpipe.toml").write_text(toml, encoding="utf-8")
    set_target(root, base / "target")
    drop(root, "A1023", [shot(i) for i in range(6)])
    drop(root, "B2045", [shot(0), shot(1)])
    # photo 3 out of focus; photo 5 is photo 4 saved again
    dup = shot(3)
    drop(root, "C3301", [shot(1), shot(2), shot(4, blur=5.0), dup, dup], qualities={5: 80})
    ws = Workspace.open(root)
    summary = run_pipeline(ws, jobs=2)
    assert summary.ok, summary.failed
    assert not summary.warnings or all("font" not in str(w) for w in summary.warnings)
    ws.catalog.close()
    return root


@pytest.fixture
def shop(built, tmp_path) -> Path:
    """A private copy of the built workspace and its backup target."""
    root = tmp_path / "shop"
    shutil.copytree(built, root)
    shutil.copytree(built.parent / "target", tmp_path / "target")
    set_target(root, tmp_path / "target")
    return root


def check_states(root: Path, article: str) -> dict[str, str]:
    result = validate_workspace(Workspace.open(root), articles=[article], write=False)
    (report,) = result.reports
    (art,) = report.articles
    # pairing (photo colours vs the sheet's colour names, automatic selling points) is tested in
    # test_colour_slots.py: the coloured shapes here are not products of their sheet colours
    return {c: art.checks[c].status for c in CHECKS if c != "pairing"}, art


def assert_only(states: dict[str, str], check: str, status: str = "error") -> None:
    assert states[check] == status, states
    others = {c: s for c, s in states.items() if c != check}
    assert set(others.values()) == {"pass"}, others


def replace_output(root: Path, rel: str, img: Image.Image) -> None:
    """Swap an output file and record it as if imgpipe had made it (catalog + backup), so only its content differs."""
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    (root / rel).write_bytes(buf.getvalue())
    ws = Workspace.open(root)
    sha = sha256_file(root / rel)
    ws.catalog.db.execute("UPDATE outputs SET sha256=?, bytes=?, width=?, height=? WHERE path=?",
                          (sha, len(buf.getvalue()), img.width, img.height, rel))
    from imgpipe.backup import backup_workspace

    backup_workspace(ws.catalog.db, root, ws.settings.backup)
    ws.catalog.close()


def findings(art, check: str) -> list:
    return art.checks[check].findings


# --------------------------------------------------------------------------- clean


@pytest.mark.slow  # three articles run with the real cut-out, once per module
def test_clean_article_passes_every_check(shop):
    states, art = check_states(shop, "A1023")
    assert set(states.values()) == {"pass"}, {c: [f.message for f in art.checks[c].findings] for c in CHECKS}
    roles = {i.role for i in art.images}
    assert {"main", "white", "large", "detail", "selling_point", "sku", "page"} <= roles


# --------------------------------------------------------------------------- one broken thing each


@pytest.mark.slow
def test_badly_named_file_fails_naming(shop):
    src = shop / "output/jd/A1023/main/A1023-01.jpg"
    shutil.copy2(src, src.with_name("IMG_5531.jpg"))
    states, art = check_states(shop, "A1023")
    assert_only(states, "naming")
    assert any(f.code == "name_pattern" and f.file.endswith("IMG_5531.jpg") for f in findings(art, "naming"))


@pytest.mark.slow
def test_four_selling_points_fail_counts(shop):
    states, art = check_states(shop, "B2045")
    assert_only(states, "counts")
    (f,) = findings(art, "counts")
    assert f.code == "selling_points_few" and "4" in f.message


@pytest.mark.slow
def test_wrong_size_fails_sizes(shop):
    rel = "output/jd/A1023/main/A1023-02.jpg"
    replace_output(shop, rel, Image.open(shop / rel).resize((700, 700)))
    states, art = check_states(shop, "A1023")
    assert_only(states, "sizes")
    (f,) = findings(art, "sizes")
    assert f.code == "dimensions" and f.file == rel and "700×700" in f.message


@pytest.mark.slow
def test_a_narrow_photo_says_to_reshoot_or_allow_upscale_and_a_wide_file_to_rerun(shop):
    rel = "output/jd/A1023/large/A1023-01.jpg"
    large = Image.open(shop / rel)
    replace_output(shop, rel, large.resize((600, round(large.height * 600 / large.width))))  # 750 wanted
    states, art = check_states(shop, "A1023")
    assert states["sizes"] == "error"  # (and the page that shows it is stale: freshness)
    (f,) = findings(art, "sizes")
    # a rerun would make the same 700 px file: the fix is a larger photo or the profile's upscale
    assert f.code == "width_small" and f.file == rel and "upscale = true" in f.fix and "profiles/jd.toml" in f.fix
    replace_output(shop, rel, large.resize((800, large.height)))
    (f,) = findings(check_states(shop, "A1023")[1], "sizes")
    assert f.code == "width" and "imgpipe run" in f.fix


@pytest.mark.slow
def test_missing_watermark_fails_marks(shop):
    rel = "output/jd/A1023/detail/A1023-03.jpg"
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    meta = json.loads(db.execute("SELECT meta FROM outputs WHERE path=?", (rel,)).fetchone()[0])
    meta["watermark_boxes"] = []
    db.execute("UPDATE outputs SET meta=? WHERE path=?", (json.dumps(meta), rel))
    db.commit()
    db.close()
    states, art = check_states(shop, "A1023")
    assert_only(states, "marks")
    assert [f.code for f in findings(art, "marks")] == ["mark_missing"]


@pytest.mark.slow
def test_mark_over_product_and_grey_white_border_fail_marks(shop):
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    rel = "output/jd/A1023/main/A1023-01.jpg"
    meta = json.loads(db.execute("SELECT meta FROM outputs WHERE path=?", (rel,)).fetchone()[0])
    meta["watermark_boxes"] = [meta["product_box"]]
    db.execute("UPDATE outputs SET meta=? WHERE path=?", (json.dumps(meta), rel))
    db.commit()
    white = db.execute("SELECT path FROM outputs WHERE role='white' AND article='A1023'").fetchone()[0]
    db.close()
    arr = np.asarray(Image.open(shop / white).convert("RGB")).copy()
    arr[:12] = 200
    replace_output(shop, white, Image.fromarray(arr))
    states, art = check_states(shop, "A1023")
    assert_only(states, "marks")
    assert sorted(f.code for f in findings(art, "marks")) == ["mark_over_product", "white_border"]


def test_backdrop_holes_fast_paths_give_the_plain_formulas_bit_for_bit():
    """backdrop_holes' ΔE and white canvas on HxW planes equal channel_norm(lab - ref) and
    (rgb >= 250).all(axis=-1) exactly, on a generated white image whose handle shows the backdrop."""
    from imgpipe import framing
    from imgpipe.ops import channel_norm
    from imgpipe.validate.checks import framing as checks

    rng = np.random.default_rng(28)
    arr = np.full((400, 300, 3), 255, np.uint8)
    cv2.rectangle(arr, (60, 80), (240, 330), (90, 120, 160), -1)
    cv2.circle(arr, (150, 200), 60, (243, 244, 245), -1)  # the backdrop seen through a handle
    arr = np.clip(arr.astype(np.int16) + rng.integers(-4, 5, arr.shape), 0, 255).astype(np.uint8)
    arr[:40] = 255  # white canvas left exact
    lab = framing._lab(arr)
    for backdrop in [(243, 244, 245), (190, 191, 191), (255, 255, 255)]:
        ref = framing._lab(np.asarray(backdrop, np.uint8).reshape(1, 1, 3))[0, 0]
        assert np.array_equal(checks._delta_e(lab, ref), channel_norm(lab - ref))
    assert np.array_equal(checks._white(arr), (arr >= 250).all(axis=-1))
    assert checks._white(arr).any() and not checks._white(arr).all()
    assert checks.backdrop_holes(arr, (243, 244, 245))[200, 150]


@pytest.mark.slow
def test_backdrop_left_inside_a_handle_fails_framing(shop):
    """A white image whose handle hole shows the photo's backdrop (the analysis' backdrop colour)."""
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    white = db.execute("SELECT path FROM outputs WHERE role='white' AND article='A1023'").fetchone()[0]
    db.close()
    arr = np.asarray(Image.open(shop / white).convert("RGB")).copy()
    ys, xs = np.nonzero((arr < 250).any(axis=-1))
    cx, cy = int(np.median(xs)), int(np.median(ys))
    # a handle: a dark red ring on the product, the backdrop photographed through it
    cv2.circle(arr, (cx, cy), 70, (150, 50, 40), -1)
    cv2.circle(arr, (cx, cy), 45, (243, 244, 245), -1)
    replace_output(shop, white, Image.fromarray(arr))
    states, art = check_states(shop, "A1023")
    assert_only(states, "framing")
    assert [f.code for f in findings(art, "framing")] == ["backdrop_in_holes"]
    assert white in findings(art, "framing")[0].file


@pytest.mark.slow
def test_white_image_of_a_photo_shot_in_a_scene_fails_framing(shop):
    """A photo whose border strays from any backdrop (a runway, a floor: framing.border_noise) has no
    cut-out to publish; its white image must not pass as one. Outputs rendered before the render
    recorded how each cut-out was made are judged from the photo's analysis."""
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    for pid, analysis in db.execute("SELECT id, analysis FROM photos WHERE article='A1023'").fetchall():
        analysis = json.loads(analysis)
        assert analysis["backdrop_noise"] < 12  # the studio shots measure as plain
        db.execute("UPDATE photos SET analysis=? WHERE id=?", (json.dumps({**analysis, "backdrop_noise": 33.0}), pid))
    for path, meta in db.execute("SELECT path, meta FROM outputs WHERE article='A1023'").fetchall():
        meta = json.loads(meta or "{}")
        if "cutout" in meta:
            assert meta["cutout"]["method"] == "classical"  # the studio shots were cut out
            del meta["cutout"]
            db.execute("UPDATE outputs SET meta=? WHERE path=?", (json.dumps(meta), path))
    db.commit()
    db.close()
    states, art = check_states(shop, "A1023")
    assert_only(states, "framing")
    found = findings(art, "framing")
    assert {f.code for f in found} == {"no_cutout"}
    assert all("/white/" in f.file or "/transparent/" in f.file for f in found) and "33" in found[0].message
    assert "imgpipe model install" in found[0].fix and "white = " in found[0].fix


@pytest.mark.slow
def test_a_close_up_white_image_is_not_told_to_install_a_model(shop):
    """Real bulb tight on white (oper2 review, with IS-Net set): its white image was made uncut as a
    close-up and the fix said `imgpipe model install`, which a close-up cannot use (nor a shop that has
    a model). The fix for a close-up is another photo with a margin or a reshoot."""
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    for path, meta in db.execute("SELECT path, meta FROM outputs WHERE article='A1023'").fetchall():
        meta = json.loads(meta or "{}")
        if "cutout" in meta:
            meta["cutout"] = {"method": "none", "confidence": 0.0, "reason": "close_up"}
            db.execute("UPDATE outputs SET meta=? WHERE path=?", (json.dumps(meta), path))
    db.commit()
    db.close()
    states, art = check_states(shop, "A1023")
    found = [f for f in findings(art, "framing") if f.code == "no_cutout"]
    assert found and all("/white/" in f.file or "/transparent/" in f.file for f in found)
    assert all("model install" not in f.fix and "white = " in f.fix and "留出空白" in f.fix for f in found)
    assert "贴着画面边缘" in found[0].message


def scene_shot(i: int, w: int = 900, h: int = 675) -> np.ndarray:
    """shot(i)'s product laid on grey floorboards of very different lightness: no backdrop to fit."""
    product = shot(i, w, h)
    alpha = (np.abs(product.astype(int) - 245).max(-1) > 20).astype(np.float32)[..., None]
    rng = np.random.default_rng(40 + i)
    boards = np.repeat(rng.uniform(70, 200, (1, 14)), w // 14 + 1, axis=1)[:, :w]
    floor = np.repeat(boards[..., None], 3, axis=2).repeat(h, axis=0) + rng.normal(0, 3, (h, w, 3))
    return np.clip(product * alpha + floor * (1 - alpha), 0, 255).astype(np.uint8)


def jd_shop(tmp_path: Path, row: str) -> Path:
    """A new workspace of one sheet row, JD only, one job, backed up under tmp_path/target."""
    root = tmp_path / "shop"
    init_workspace(root)
    (root / "products.xlsx").unlink()
    (root / "products.csv").write_text("\n".join([HEADER, row]) + "\n", encoding="utf-8")
    toml = (root / "imgpipe.toml").read_text(encoding="utf-8")
    (root / "imgpipe.toml").write_text(toml.replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["jd"]')
                                       .replace("jobs = 0", "jobs = 1"), encoding="utf-8")
    set_target(root, tmp_path / "target")
    return root


@pytest.mark.slow
def test_a_scene_photo_run_without_a_model_fails_validation_with_no_cutout(tmp_path):
    """Run as a user would: photos shot on a floor, no cut-out model. The white and transparent
    images are the uncut photo; validate says so with `no_cutout`, naming the scene and the fixes."""
    root = jd_shop(tmp_path, ROWS[0])
    drop(root, "A1023", [scene_shot(i) for i in range(3)])
    ws = Workspace.open(root)
    assert run_pipeline(ws, jobs=1).ok
    made = [json.loads(m)["cutout"] for (m,) in ws.catalog.db.execute(
        "SELECT meta FROM outputs WHERE role IN ('white', 'transparent')").fetchall()]
    ws.catalog.close()
    assert made and all(m["method"] == "none" and m["reason"] == "scene" for m in made)
    states, art = check_states(root, "A1023")
    assert states["framing"] == "error"
    cut_images = {f.file for f in findings(art, "framing") if f.code == "no_cutout"}
    assert cut_images and all("/white/" in p or "/transparent/" in p for p in cut_images)
    (first,) = [f for f in findings(art, "framing") if f.code == "no_cutout"][:1]
    assert "imgpipe model install" in first.fix


@pytest.mark.slow
def test_title_too_long_for_the_platform_fails_data(shop):
    # the platform tightened its rule: 10 units = 5 Chinese characters
    (shop / "profiles" / "jd.toml").write_text("title_max_units = 10\n", encoding="utf-8")
    states, art = check_states(shop, "A1023")
    assert_only(states, "data")
    (f,) = findings(art, "data")
    assert f.code == "title_long" and "22" in f.message  # 禾象纯棉衬衫男长袖商务 = 11 CJK = 22 units


@pytest.mark.slow
@pytest.mark.browser  # runs again: the pages are cut into slices as in `built`
def test_sold_out_without_overlay_fails_soldout_then_passes_after_run(shop):
    ws = Workspace.open(shop)
    ws.catalog.set_soldout("A1023", "藏青", "", True)
    states, art = check_states(shop, "A1023")
    assert_only(states, "soldout")
    assert {f.code for f in findings(art, "soldout")} == {"overlay_missing"}
    assert any("藏青" in f.message for f in findings(art, "soldout"))
    names_before = sorted(p.name for p in (shop / "output/jd/A1023").rglob("*.jpg"))
    assert run_pipeline(ws, jobs=1, backup=True).ok
    ws.catalog.close()
    states, art = check_states(shop, "A1023")
    assert set(states.values()) == {"pass"}, [f.message for c in states for f in art.checks[c].findings]
    assert sorted(p.name for p in (shop / "output/jd/A1023").rglob("*.jpg")) == names_before


@pytest.mark.slow
def test_unverified_backup_fails_backup(shop):
    db = sqlite3.connect(shop / ".imgpipe/catalog.sqlite")
    db.execute("UPDATE backup_files SET state='pending' WHERE path='output/jd/A1023/large/A1023-01.jpg'")
    db.commit()
    db.close()
    states, art = check_states(shop, "A1023")
    assert_only(states, "backup")
    (f,) = findings(art, "backup")
    assert f.code == "not_backed_up" and f.file == "output/jd/A1023/large/A1023-01.jpg"


@pytest.mark.slow
def test_no_backup_target_is_a_warning(shop):
    set_target(shop, Path(""))
    text = (shop / "imgpipe.toml").read_text(encoding="utf-8").replace('target = "."', 'target = ""')
    (shop / "imgpipe.toml").write_text(text, encoding="utf-8")
    states, _ = check_states(shop, "A1023")
    assert_only(states, "backup", "warning")


@pytest.mark.slow
def test_blurred_and_duplicate_photos_fail_quality(shop):
    states, art = check_states(shop, "C3301")
    assert_only(states, "quality", "warning")
    got = sorted((f.code, f.file.rsplit("/", 1)[1]) for f in findings(art, "quality"))
    assert got == [("blur", "C3301-03.jpg"), ("duplicate", "C3301-05.jpg")]
    assert "C3301-04" in next(f.message for f in findings(art, "quality") if f.code == "duplicate")


@pytest.mark.slow
def test_deleted_output_fails_freshness_not_a_crash(shop):
    (shop / "output/jd/A1023/detail/A1023-04.jpg").unlink()
    states, art = check_states(shop, "A1023")
    assert_only(states, "freshness")
    assert [f.code for f in findings(art, "freshness")] == ["file_missing"]
    assert not next(i for i in art.images if i.path.endswith("detail/A1023-04.jpg")).exists


@pytest.mark.slow
def test_changed_watermark_setting_makes_outputs_stale(shop):
    toml = shop / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('text = "禾象旗舰店"', 'text = "禾象官方店"'),
                    encoding="utf-8")
    states, art = check_states(shop, "A1023")
    assert_only(states, "freshness")
    stale = {f.file for f in findings(art, "freshness") if f.code == "stale"}
    assert "output/jd/A1023/main/A1023-01.jpg" in stale
    assert not any("/sku/" in p or "/white/" in p for p in stale)  # unmarked roles do not depend on it


@pytest.mark.slow
def test_undecodable_output_is_a_finding_naming_the_file(shop):
    rel = "output/jd/A1023/selling_point/A1023-02-sp01.jpg"
    data = (shop / rel).read_bytes()
    (shop / rel).write_bytes(data[: len(data) // 3])
    states, art = check_states(shop, "A1023")
    assert states["sizes"] == "error"
    assert any(f.code == "undecodable" and f.file == rel and "A1023-02-sp01.jpg" in f.message
               for f in findings(art, "sizes"))


@pytest.mark.slow  # uses `built`: three articles run with the real cut-out
def test_published_image_with_a_flat_block_at_the_bottom_fails_sizes(shop):
    """A photo cut short was published before imgpipe refused such photos: its images end in a flat block."""
    rel = "output/jd/A1023/selling_point/A1023-02-sp01.jpg"
    img = Image.open(shop / rel).convert("RGB")
    arr = np.asarray(img).copy()
    arr[int(arr.shape[0] * 0.4):] = (137, 129, 112)   # libjpeg's grey fill, colour-corrected
    replace_output(shop, rel, Image.fromarray(arr))
    states, art = check_states(shop, "A1023")
    assert states["sizes"] == "error"   # (marks fails too: the block covers the watermark)
    (found,) = [f for f in findings(art, "sizes") if f.file == rel]
    assert found.code == "flat_bottom" and "60%" in found.message and "A1023-02-sp01.jpg" in found.message


# --------------------------------------------------------------------------- helpers


def test_title_units_count_cjk_twice():
    assert title_units("禾象 shirt") == 2 * 2 + 1 + 5
    assert title_units("（全角）") == 8


def test_hashes_tell_duplicates_from_other_shots():
    a, b = shot(0), shot(3)
    again = np.asarray(Image.open(io.BytesIO(jpeg(a, 70))))
    assert hamming(phash(a), phash(again)) <= 2
    assert hamming(phash(a), phash(b)) > 12


def test_sharpness_and_cast_and_white_border():
    sharp, soft = shot(1), shot(1, blur=4.0)
    assert sharpness(soft) < 0.3 * sharpness(sharp)
    neutral = backdrop_cast(shot(0), (0.2, 0.15, 0.8, 0.85))
    warm = backdrop_cast(np.clip(shot(0) * np.array([1.0, 0.95, 0.8]), 0, 255).astype(np.uint8),
                         (0.2, 0.15, 0.8, 0.85))
    assert neutral[0] < 1.0 and warm[0] > 5.0
    white = np.full((100, 100, 3), 255, np.uint8)
    assert white_border_ok(white)
    white[50, 1] = 230
    assert not white_border_ok(white) and white_border_ok(white, "t")


# --------------------------------------------------------------------------- command line


@pytest.mark.slow
def test_exit_codes(shop, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli, ["-w", str(shop), "validate", "--article", "A1023", "--json"])
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    # (pairing warns here: the coloured shapes are not products of the sheet's colours, see check_states)
    checks = data["reports"][0]["articles"][0]["checks"]
    assert data["ok"] and {c["status"] for c in checks if c["id"] != "pairing"} == {"pass"}
    assert Path(data["reports"][0]["html"]).is_file() and Path(data["reports"][0]["json"]).is_file()
    assert re.search(r"validation-jd-\d{4}-\d{2}-\d{2}\.html$", data["reports"][0]["html"])
    bad = runner.invoke(cli, ["-w", str(shop), "validate", "--article", "B2045"])
    assert bad.exit_code == 1
    assert runner.invoke(cli, ["-w", str(shop), "validate", "--platform", "taobao"]).exit_code == 2
    assert runner.invoke(cli, ["-w", str(shop), "validate", "--article", "Z9999"]).exit_code == 2
    assert runner.invoke(cli, ["-w", str(tmp_path / "nowhere"), "validate"]).exit_code == 2
    empty = tmp_path / "empty"
    init_workspace(empty)
    res = runner.invoke(cli, ["-w", str(empty), "validate", "--json"])
    assert res.exit_code == 1 and json.loads(res.stdout)["no_outputs"] is True
    assert not list((empty / "reports").glob("*"))


# --------------------------------------------------------------------------- the report in a browser


@pytest.mark.slow
@pytest.mark.browser
def test_html_report_in_a_real_browser(shop):
    browser = find_browser()
    if browser is None:
        pytest.skip("no Chromium/Chrome on this machine")
    result = validate_workspace(Workspace.open(shop))
    html = result.reports[0].html
    assert html.parent == shop / "reports"
    text = html.read_text(encoding="utf-8")
    assert 'href="../output/jd/A1023/main/A1023-01.jpg"' in text  # the full-size file, beside the workspace
    # the report travels alone (emailed): its images are small thumbnails carried inside it
    alone = shop.parent / "mailbox" / html.name
    alone.parent.mkdir()
    alone.write_text(text, encoding="utf-8")
    with BrowserSession(browser) as page:
        page.open(alone, 1280)
        images = page.evaluate("Array.from(document.images).map(i => [i.getAttribute('src').slice(0, 23), "
                               "Math.max(i.naturalWidth, i.naturalHeight)])")
        assert len(images) > 40 and all(w > 0 for _, w in images), [s for s, w in images if not w]
        assert {s for s, _ in images} == {"data:image/jpeg;base64,"} and max(w for _, w in images) <= 160
        page.open(html, 1280)
        visible = "Array.from(document.querySelectorAll('section.card')).filter(c => !c.hidden && c.offsetHeight > 0).map(c => c.id)"
        assert sorted(page.evaluate(visible)) == ["jd-A1023", "jd-B2045", "jd-C3301"]
        page.evaluate("document.querySelector('#f-status button[data-status=error]').click()")
        assert page.evaluate(visible) == ["jd-B2045"]
        assert page.evaluate("document.getElementById('shown').textContent") == "1"
        page.evaluate("document.querySelector('#f-status button[data-status=warning]').click()")
        # C3301 (quality) and A1023 (pairing: its shapes are not products of its sheet colours)
        assert sorted(page.evaluate(visible)) == ["jd-A1023", "jd-C3301"]
        page.evaluate("document.querySelector('#f-status button[data-status=pass]').click()")
        assert page.evaluate(visible) == []
        marks = page.evaluate(
            "Array.from(document.querySelectorAll('#jd-B2045 li.check')).map(li => [li.dataset.check, "
            "getComputedStyle(li.querySelector('.dot')).backgroundColor])")
        colours = dict(marks)
        assert colours["counts"] == "rgb(198, 40, 40)" and colours["naming"] == "rgb(46, 125, 50)"
        page.evaluate("document.querySelector('#f-platform button[data-platform=\"\"]').click();"
                      "document.querySelector('#f-status button[data-status=\"\"]').click()")
        shot_img = page.screenshot()
    look = Path("/tmp/look")
    look.mkdir(exist_ok=True)
    shot_img.crop((0, 0, shot_img.width, min(shot_img.height, 1600))).save(look / "validation-report.png")


@pytest.mark.slow
@pytest.mark.browser  # runs again: the pages are cut into slices as in `built`
def test_pale_mark_without_outline_fails_marks_and_names_the_contrast(shop):
    toml = shop / "imgpipe.toml"
    text = toml.read_text(encoding="utf-8")
    assert 'outline = "auto"' in text
    toml.write_text(text.replace('outline = "auto"', 'outline = "never"'), encoding="utf-8")
    ws = Workspace.open(shop)
    assert run_pipeline(ws, jobs=1, articles=["A1023"]).ok
    ws.catalog.close()
    states, art = check_states(shop, "A1023")
    found = findings(art, "marks")
    assert_only(states, "marks", "error" if any(f.severity == "error" for f in found) else "warning")
    # the white mark at 35 % (with its soft shadow) on the 245-grey backdrop: every marked image
    # is faint (a warning) or as good as absent (an error); none of the unmarked ones is measured
    assert {(f.code, f.severity) for f in found} <= {("mark_faint", "warning"), ("mark_invisible", "error")}
    files = {f.file for f in found}
    assert "output/jd/A1023/main/A1023-01.jpg" in files and len(files) >= 8
    assert not any("/white/" in p or "/sku/" in p for p in files)
    ratios = [float(re.search(r"(\d+\.\d+):1", f.message).group(1)) for f in found]
    assert all(1.0 <= r < 1.5 for r in ratios) and all("outline" in f.fix for f in found)
    assert {f.code for f in found} == {"mark_faint"}  # the soft shadow shows a little, not enough
    # without the shadow the white mark is as good as absent: an error
    toml.write_text(toml.read_text(encoding="utf-8").replace("[watermark]", "[watermark]\nshadow = false"),
                    encoding="utf-8")
    ws = Workspace.open(shop)
    assert run_pipeline(ws, jobs=1, articles=["A1023"]).ok
    ws.catalog.close()
    states, art = check_states(shop, "A1023")
    assert_only(states, "marks")
    assert {(f.code, f.severity) for f in findings(art, "marks")} == {("mark_invisible", "error")}


@pytest.mark.slow
def test_outlined_marks_measure_legible_in_the_files(shop):
    """The run's own outputs (outline = "auto"): every marked image measures at least the level."""
    from imgpipe.validate.checks.marks import mark_contrast_in_file
    from imgpipe.validate.validator import Validator
    from imgpipe.watermark import MIN_CONTRAST

    ws = Workspace.open(shop)
    v = Validator(ws)
    measured = []
    for row in ws.catalog.db.execute("SELECT path, meta FROM outputs WHERE article='A1023'"):
        boxes = json.loads(row["meta"] or "{}").get("watermark_boxes")
        if boxes:
            measured.append(mark_contrast_in_file(v, row["path"], boxes))
    ws.catalog.close()
    assert len(measured) >= 8 and None not in measured
    assert min(measured) >= MIN_CONTRAST


# --------------------------------------------------------------------------- colour reference of a session


@pytest.mark.slow
@pytest.mark.browser  # runs again: the pages are cut into slices as in `built`
def test_report_shows_each_chart_sessions_cross_validated_error(shop):
    """A chart shot's leave-one-out ΔE2000 (issue 16) is in the HTML, the JSON and the terminal summary."""
    from rich.console import Console

    from chart_render import render_colorchecker
    from imgpipe.validate.report import print_summary

    cast = (1.2, 1.0, 0.75)
    chart = render_colorchecker(cast, patch_px=48)
    scene = np.full((900, 1200, 3), (150, 140, 120), np.uint8)
    scene[150:150 + chart.shape[0], 250:250 + chart.shape[1]] = chart
    drop(shop, "B2045", [shot(0), shot(1), scene])
    assert run_pipeline(Workspace.open(shop), jobs=1).ok
    ws = Workspace.open(shop)
    ref = next(p for p in ws.catalog.photos("B2045") if p.kind == "reference")
    fit = ref.analysis["correction"]["fit"]
    result = validate_workspace(ws, articles=["B2045", "A1023"])
    arts = {a.article: a for a in result.reports[0].articles}
    assert arts["A1023"].colour_references == []  # no reference shot: nothing to show
    [entry] = arts["B2045"].colour_references
    assert entry["method"] == "chart" and entry["file"] == ref.source_name
    assert entry["loo_mean_de"] == fit["loo_mean_de"] and fit["mean_de"] <= fit["loo_mean_de"] < 3.0
    line = f"留一法 ΔE2000 平均 {fit['loo_mean_de']:.2f}，最大 {fit['loo_max_de']:.1f}，中性灰行 {fit['loo_neutral_de']:.2f}"
    html = result.reports[0].html.read_text(encoding="utf-8")
    assert html.count('class="colour-ref"') == 1 and line in html
    data = json.loads(result.reports[0].json.read_text(encoding="utf-8"))
    saved = {a["article"]: a["colour_references"] for a in data["articles"]}
    assert saved["B2045"] == [entry] and saved["A1023"] == []
    console = Console(record=True, width=300)
    print_summary(result, console)
    assert f"B2045: 色卡 {ref.source_name}：{line}" in console.export_text()


# --------------------------------------------------------------------------- measures kept between validations


def validated(root: Path, article: str):
    """(the validator after one validation of `article`, its article result)."""
    from imgpipe.validate import Validator

    ws = Workspace.open(root)
    v = Validator(ws, articles=[article])
    (report,) = v.run()
    (art,) = report.articles
    ws.catalog.close()
    return v, art


@pytest.mark.slow  # uses `built`: three articles run with the real cut-out
def test_second_validation_decodes_only_the_file_that_changed(shop):
    first, art1 = validated(shop, "A1023")
    assert first.files.decoded > 20  # every output, slice and original once
    second, art2 = validated(shop, "A1023")
    assert second.files.decoded == 0
    assert art2.as_dict() == art1.as_dict()
    # a white image painted grey by hand and recorded as if imgpipe had made it (replace_output)
    rel = next(r["path"] for r in Workspace.open(shop).catalog.outputs("A1023", "jd") if r["role"] == "white")
    with Image.open(shop / rel) as img:
        grey = Image.new("RGB", img.size, (200, 200, 200))
    replace_output(shop, rel, grey)
    third, art3 = validated(shop, "A1023")
    assert 1 <= third.files.decoded <= 2  # the changed file (its facts and its pixels), nothing else
    assert any(f.code == "white_border" and f.file == rel for f in art3.checks["marks"].findings)
    assert not any(f.code == "white_border" for f in art1.checks["marks"].findings)


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_measures_of_a_file_rewritten_in_place_with_the_same_size_are_not_reused(shop):
    from imgpipe.validate.files import Files, MeasureStore

    rel = next(r["path"] for r in Workspace.open(shop).catalog.outputs("A1023", "jd") if r["role"] == "main")
    db = sqlite3.connect(shop / ".imgpipe" / "catalog.sqlite")
    files = Files(shop, MeasureStore(db))
    assert files.measure(rel, "k", lambda: 1) == 1
    files.store.save()
    again = Files(shop, MeasureStore(db))
    assert again.measure(rel, "k", lambda: 2) == 1  # the same file version: kept
    data = (shop / rel).read_bytes()
    (shop / rel).write_bytes(data[::-1])  # same size, other bytes
    third = Files(shop, MeasureStore(db))
    assert third.measure(rel, "k", lambda: 3) == 3
    db.close()



@pytest.mark.slow  # a run of its own with the real cut-out (the module's shop is a copy: new inodes)
def test_first_validation_reads_what_the_run_recorded_and_measures_a_file_changed_after(tmp_path):
    from imgpipe.validate.files import MeasureStore, identity, read_facts

    root = jd_shop(tmp_path, ROWS[1])
    drop(root, "B2045", [shot(0), shot(1)])
    ws = Workspace.open(root)
    assert run_pipeline(ws, jobs=1).ok
    outputs = {r["path"]: r for r in ws.catalog.outputs("B2045", "jd")}
    ws.catalog.close()
    # what the run recorded of each output is what a validation reads of the file itself
    db = sqlite3.connect(root / ".imgpipe" / "catalog.sqlite")
    store = MeasureStore(db)
    for rel, r in outputs.items():
        p = root / rel
        entry = store.entry(rel, identity(p.stat()))
        assert entry["sha256"] == sha256_file(p) == r["sha256"]
        assert entry["facts"] == dataclasses.asdict(read_facts(p.read_bytes(), p.stat())[0])
    db.close()
    # a white image painted grey after the run (the catalog still says imgpipe made it)
    rel = next(path for path, r in outputs.items() if r["role"] == "white")
    with Image.open(root / rel) as img:
        grey = Image.new("RGB", img.size, (200, 200, 200))
    replace_output(root, rel, grey)
    first, art1 = validated(root, "B2045")
    assert any(f.code == "white_border" and f.file == rel for f in art1.checks["marks"].findings)
    assert set(first.files.facts_read) & set(outputs) == {rel}  # the others: as the run recorded them
    # the same result as a validation that finds nothing recorded and reads every file
    db = sqlite3.connect(root / ".imgpipe" / "catalog.sqlite")
    db.execute("DELETE FROM validate_files")
    db.commit()
    db.close()
    fresh, art2 = validated(root, "B2045")
    assert set(fresh.files.facts_read) >= set(outputs)
    assert art2.as_dict() == art1.as_dict()


def test_recorded_facts_are_read_until_the_file_changes(tmp_path):
    from imgpipe.catalog import save_file_measures
    from imgpipe.fsutil import sha256_bytes
    from imgpipe.validate.files import Files, MeasureStore, recorded_entry

    rel = "output/jd/X1/main/X1-01.jpg"
    path = tmp_path / rel
    path.parent.mkdir(parents=True)
    data = jpeg(shot(0, 400, 300))
    path.write_bytes(data)
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    ident, entry = recorded_entry(path, data, sha256_bytes(data), {})
    save_file_measures(db, [(rel, ident, entry)], [])
    files = Files(tmp_path, MeasureStore(db))
    facts = files.facts(rel)
    assert files.facts_read == set() and files.sha(rel) == sha256_file(path)
    measured = Files(tmp_path, MeasureStore(None))  # what a validation without the record reads
    assert facts == measured.facts(rel) and measured.facts_read == {rel}
    path.write_bytes(data)  # the same bytes written again: another file version
    again = Files(tmp_path, MeasureStore(db))
    assert again.facts(rel) == dataclasses.replace(facts, mtime=path.stat().st_mtime)
    assert again.facts_read == {rel}
    db.close()


def test_a_landscape_photo_padded_into_a_3_4_frame_is_not_damage():
    """Tmall's 3:4 main image of the demo's flat-lay scarf: pads above and below, each settling to
    its own side's colour. A photo cut short and framed the same way still reads as damage."""
    from imgpipe.render import _carry_edges
    from imgpipe.validate.checks.sizes import DAMAGED_SHARE
    from imgpipe.validate.files import flat_bottom_share

    photo = Path(__file__).parents[1] / "samples" / "inbox" / "D4410" / "平铺.jpg"
    with Image.open(io.BytesIO(photo.read_bytes())) as img:
        img.draft("RGB", (img.width // 4, img.height // 4))
        rgb = np.asarray(img.convert("RGB"))
    h, w = rgb.shape[:2]
    assert w > h  # landscape: a 3:4 frame reaches far past it
    pad = (w * 4 // 3 - h) // 2

    def framed(pixels):
        return _carry_edges(pixels, (pad, pad, 0, 0))

    assert flat_bottom_share(framed(rgb)) < DAMAGED_SHARE
    cut_short = rgb.copy()
    cut_short[int(0.55 * h):] = (128, 128, 128)  # a scan that ended early: grey to the bottom
    assert flat_bottom_share(framed(cut_short)) >= DAMAGED_SHARE


def test_a_padded_frame_whose_top_pad_drifts_slowly_is_not_damage():
    """The demo's square plaid scarf D4410-04 in Tmall's 3:4 frame, as validation decodes it (1/8): the
    pad above drifts 216 -> 224 over 27 rows (the sweep's light falls off), the pad below holds 230-227
    for 28 rows. The top was counted only while within 3 levels of its first row (15 rows), so the pad
    below read as a photo cut short by 22 % ("原图数据不完整", an error on the demo)."""
    from imgpipe.validate.checks.sizes import DAMAGED_SHARE
    from imgpipe.validate.files import flat_bottom_share

    rng = np.random.default_rng(4)
    top = [216] * 7 + [217] * 6 + [218] * 2 + [219] * 2 + [220] * 2 + [221] * 3 + [222] * 2 + [223] * 3
    bottom = [230, 230, 231, 232, 232, 232, 232, 232, 231, 231, 231, 231, 230, 230, 230, 229, 229, 229, 229, 229,
              228, 228, 227, 227, 227, 227, 227, 227]
    product = rng.integers(60, 230, (70, 94, 3))
    rgb = np.concatenate([np.repeat(np.array(top, np.uint8)[:, None, None], 94, 1).repeat(3, 2), product.astype(np.uint8),
                          np.repeat(np.array(bottom, np.uint8)[:, None, None], 94, 1).repeat(3, 2)])
    assert flat_bottom_share(rgb) < DAMAGED_SHARE
    cut_short = rgb.copy()  # the same frame with the photo cut short: grey from 60 % down, under the same top pad
    cut_short[75:] = (128, 128, 128)
    assert flat_bottom_share(cut_short) >= DAMAGED_SHARE


def test_json_image_labels_are_filled_not_templates(tmp_path):
    """Real shop (oper2 review): the report's JSON said "SKU {colour}" and "卖点 {index}" where the HTML
    named the image. Each label is filled from the output's own record; an old row without one gets
    the role's name alone."""
    from types import SimpleNamespace

    from imgpipe.profiles import load_profile
    from imgpipe.validate.validator import Validator

    def row(role, colour="", point=0):
        return SimpleNamespace(role=role, kind=role, colour=colour, selling_point=point, path=f"output/{role}.jpg",
                               width=800, height=800, nbytes=1)

    rows = [row("sku", "藏青"), row("selling_point", point=3), row("main"), row("sku"), row("selling_point")]
    validator = SimpleNamespace(files=SimpleNamespace(path=lambda rel: tmp_path / rel))
    entries = Validator._images(validator, rows, [], load_profile("tmall"))
    labels = {(e.role, e.as_dict()["label"]) for e in entries}
    assert labels == {("sku", "SKU 藏青"), ("selling_point", "卖点 3"), ("main", "主图"), ("sku", "SKU"),
                      ("selling_point", "卖点")}


@pytest.mark.parametrize("outline, outlined, opacity, says, never_says", [
    # the real shop (oper2 review): outline = "auto" already, told to set outline = "auto"
    ("auto", True, 0.35, ["opacity", "0.35", "0.6"], ['"always"', '改为 "auto"']),
    ("auto", False, 0.35, ['"always"', "0.6"], ['改为 "auto"']),
    ("always", True, 0.35, ["0.6"], ['改为']),
    ("always", True, 1.0, ["colour"], ["opacity 从"]),
    ("never", False, 0.35, ['"auto"'], []),
])
def test_faint_mark_advice_follows_the_workspace_outline(monkeypatch, outline, outlined, opacity, says, never_says):
    from types import SimpleNamespace

    from imgpipe.profiles import load_profile
    from imgpipe.settings import WatermarkSettings
    from imgpipe.validate.checks import marks

    monkeypatch.setattr(marks, "mark_contrast_in_file", lambda v, rel, boxes: 1.2)
    wm = WatermarkSettings(text="禾象旗舰店", outline=outline, opacity=opacity)
    v = SimpleNamespace(settings=SimpleNamespace(watermark=wm))
    meta = {"watermark_boxes": [[600, 760, 780, 790]], "watermark_outlined": outlined}
    rows = [{"role": "main", "path": "output/tmall/A1/main/A1-01.jpg", "meta": json.dumps(meta)}]
    (found,) = marks._check_marks(v, load_profile("tmall"), rows).findings
    assert found.code == "mark_faint" and found.fix.endswith("再运行 imgpipe run")
    assert all(s in found.fix for s in says), found.fix
    assert not any(s in found.fix for s in never_says), found.fix


def test_a_missing_3_4_set_is_named_as_such_not_as_no_main_image():
    """A workspace made before Tmall's 3:4 main images, validated before its next run: the square
    main images exist, so "没有主图" would read as false; the finding names the 3:4 set."""
    from imgpipe.profiles import load_profile
    from imgpipe.validate.checks.counts import _check_counts

    tmall = load_profile("tmall")
    rows = [{"role": r} for r in ["main"] * 4 + ["white", "large"] + ["selling_point"] * 5]
    found = _check_counts(None, "A1023", tmall, rows, False, "服装").findings
    assert [(f.code, f.message) for f in found] == [("like_none", "没有主图（3:4）")]
    assert "imgpipe run" in found[0].fix
    assert not _check_counts(None, "B2045", tmall, rows, False, "家居").findings  # not made for a mug


def test_the_report_page_writes_times_as_a_person_does():
    """The report's header and review line read "生成于 2026-12-07T22:23:24" and "审核员 2026-12-07T22:09:13"."""
    from imgpipe.validate.model import CHECKS, ArticleResult, CheckResult, PlatformReport
    from imgpipe.validate.report import render_html

    card = ArticleResult("tmall", "G501", "女士针织上衣", {c: CheckResult(c) for c in CHECKS}, review={"state": "approved", "by": "审核员",
                                                                     "at": "2026-12-07T22:09:13"})
    html = render_html([PlatformReport("tmall", "天猫", "2026-12-07", [card])], "zh", "2026-12-07T22:23:24", "/ws")
    assert "2026-12-07 22:23:24" in html and "审核员 2026-12-07 22:09:13" in html
    assert "T22:" not in html
