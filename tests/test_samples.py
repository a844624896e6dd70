"""The demo shop generator (samples/make_samples.py): sheet, photos, EXIF, ICC, size, determinism.

The whole shop is generated once into a temporary folder (module fixture); the checks
then read those files the way ingest will: openpyxl, Pillow, ImageOps.exif_transpose,
ImageCms.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
sys.path.insert(0, str(SAMPLES))  # a plain script, not a package; worker processes import it by name too
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ inside samples/
import make_samples as ms  # noqa: E402

sys.dont_write_bytecode = _bytecode

ARTICLES = ("A1023", "B2045", "C3301", "D4410")
BUDGET = 6_000_000


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("样例店")  # a CJK path, as users have
    ms.build(out, jobs=min(4, os.cpu_count() or 1))
    return out


def _shot(path_part: str) -> ms.Shot:
    return next(s for s in ms.SHOTS if path_part in s.path)


def _photos(root: Path) -> list[Path]:
    return sorted(p for p in (root / "inbox").rglob("*") if p.is_file())


def _article_of(root: Path, photo: Path) -> str:
    rel = photo.relative_to(root / "inbox")
    return rel.parts[0] if len(rel.parts) > 1 else rel.name[:5]


def _upright(path: Path) -> np.ndarray:
    return np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"), np.float32)


def _to_linear(a):
    a = np.asarray(a, np.float64) / 255.0
    return np.where(a <= 0.04045, a / 12.92, ((a + 0.055) / 1.055) ** 2.4)


@pytest.mark.slow  # the demo generator's shop: ~35 CPU-s to build, once per module
def test_sheet_has_the_contract_headers_and_the_articles(shop):
    import openpyxl

    ws = openpyxl.load_workbook(shop / "products.xlsx").worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == ["货号", "名称", "类目", "品牌", "标题", "颜色", "面料", "尺码", "长", "宽", "高",
                             "说明", "卖点", "到货日期", "价格"]
    by_article = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert set(ARTICLES) <= set(by_article)
    a = by_article["A1023"]
    assert (a["名称"], a["类目"], a["颜色"], a["面料"], a["尺码"]) == ("纯棉衬衫", "服装", "白色/藏青/红色", "纯棉", "S/M/L/XL")
    assert {r["类目"] for r in by_article.values()} == {"服装", "家居", "箱包", "配饰"}
    for r in by_article.values():
        assert isinstance(r["到货日期"], dt.datetime), "arrival dates must be real Excel dates"
        assert isinstance(r["价格"], (int, float)) and isinstance(r["长"], (int, float))
        assert len(r["标题"]) <= 30
    assert max(len(r["标题"]) for r in by_article.values()) >= 28  # one title sits near the limit
    points = {k: len(r["卖点"].split("\n")) for k, r in by_article.items()}
    assert points == {"A1023": 5, "B2045": 5, "C3301": 5, "D4410": 4}
    arrivals = sorted(r["到货日期"].date() for r in by_article.values())
    today = dt.date(2026, 11, 26)
    assert [(today - d).days for d in arrivals] == [6, 3, 2, 1]  # overdue, due today, on time, on time


@pytest.mark.slow
def test_sheet_loads_without_errors_in_imgpipe(shop):
    from imgpipe.sheet import load_sheet

    sheet = load_sheet(shop / "products.xlsx")
    assert sheet.errors == []
    p = sheet.products["A1023"]
    assert p.colours == ("白色", "藏青", "红色") and p.sizes == ("S", "M", "L", "XL")
    assert p.arrival_date == dt.date(2026, 11, 24)
    assert len(sheet.products["D4410"].selling_points) == 4


@pytest.mark.slow
def test_every_photo_decodes_and_each_article_has_six(shop):
    photos = _photos(shop)
    counts = {a: 0 for a in ARTICLES}
    for p in photos:
        with Image.open(p) as im:
            im.load()
            assert max(im.size) >= 800 and min(im.size) >= 800
            if im.format == "JPEG":
                assert 1600 <= max(im.size) <= 2400
        counts[_article_of(shop, p)] += 1
    assert all(n >= 6 for n in counts.values()), counts
    names = {p.name for p in photos}
    assert {"B2045_正面.jpg", "B2045-侧面.jpg", "B2045 细节.jpg", "IMG_0001.JPG", "A1023_ref_灰卡.jpg"} <= names


@pytest.mark.parametrize("name,orientation", [("IMG_0002.JPG", 6), ("IMG_0005.JPG", 8), ("B2045-侧面.jpg", 3),
                                              ("C3301_04.jpg", 6)])
@pytest.mark.slow
def test_exif_rotated_photos_become_upright(shop, name, orientation):
    path = next(p for p in _photos(shop) if p.name == name)
    raw = Image.open(path)
    assert raw.getexif().get(0x0112) == orientation
    up = _upright(path)
    assert (up.shape[1], up.shape[0]) == _shot(name).size
    if orientation in (6, 8):
        assert raw.size == (up.shape[0], up.shape[1])  # stored sideways
    lum = up.mean(-1)
    h, w = lum.shape
    top, bottom = lum[: h // 10].mean(), lum[-h // 10:].mean()
    left, right = lum[:, : w // 10].mean(), lum[:, -w // 10:].mean()
    # the paper sweep: darker wall at the top, lit floor at the bottom
    assert bottom - top > 12, (top, bottom)
    assert abs(left - right) < (bottom - top) / 2
    # and the stored pixels really are rotated (undoing nothing would fail the same check)
    stored = np.asarray(raw.convert("RGB"), np.float32).mean(-1)
    assert not (stored[-stored.shape[0] // 10:].mean() - stored[: stored.shape[0] // 10].mean() > 12)


@pytest.mark.slow
def test_capture_order_differs_from_name_order(shop):
    def taken(p):
        return Image.open(p).getexif().get_ifd(0x8769).get(0x9003)

    c = sorted((p for p in _photos(shop) if p.name.startswith("C3301")), key=lambda p: p.name)
    times = [taken(p) for p in c]
    assert all(times) and times != sorted(times)
    assert [p.name for p in sorted(c, key=taken)][:2] == ["C3301_02.jpg", "C3301_04.jpg"]
    assert all(taken(p) is None for p in _photos(shop) if p.name.startswith("B2045"))


@pytest.mark.slow
def test_adobe_rgb_photo_converts_back_to_the_intended_colours(shop):
    shot = _shot("AdobeRGB")
    path = shop / shot.path
    im = Image.open(path)
    icc = im.info.get("icc_profile")
    assert icc, "the Adobe RGB photo must embed its profile"
    prof = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert "Adobe RGB" in ImageCms.getProfileDescription(prof)
    srgb = ImageCms.profileToProfile(im, prof, ImageCms.createProfile("sRGB"), outputMode="RGB")
    intended = ms.render(shot)

    def cells(a):  # 40x30 cell means: compares colour, not JPEG noise
        return np.asarray(Image.fromarray(np.asarray(a, np.uint8)).resize((40, 30), Image.BOX), np.float32)

    got, want, naive = cells(srgb), cells(intended), cells(im.convert("RGB"))
    assert np.abs(got - want).max() < 4.0
    # ignoring the profile would be visibly wrong on the red scarf
    assert np.abs(naive - want).max() > 15


def test_icc_profile_matches_the_adobe_rgb_maths():
    """LittleCMS reading our profile agrees with the Adobe RGB (1998) formulas, to a level."""
    rng = np.random.default_rng(3)
    src = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    adobe = ms.srgb_to_adobe_rgb(src)
    prof = ImageCms.ImageCmsProfile(io.BytesIO(ms.adobe_rgb_icc()))
    back = np.asarray(ImageCms.profileToProfile(Image.fromarray(adobe), prof, ImageCms.createProfile("sRGB"),
                                                outputMode="RGB"), np.float64)
    lin = (adobe / 255.0) ** ms.ADOBE_GAMMA @ np.linalg.solve(ms.M_SRGB, ms.M_ADOBE).T
    exact = np.asarray(ms.linear_to_srgb(np.clip(lin, 0, 1)), np.float64) * 255
    assert np.abs(back - exact).max() <= 1.6
    # the whole round trip loses only 8-bit quantisation (largest near sRGB's black toe)
    err = np.abs(back - src)
    assert err.mean() < 0.5 and err.max() <= 12


@pytest.mark.slow
def test_colour_casts_are_the_advertised_ones(shop):
    def backdrop(path):  # upper-left paper, away from the product
        a = _upright(shop / path)
        h, w, _ = a.shape
        return _to_linear(a[int(0.05 * h):int(0.15 * h), int(0.03 * w):int(0.15 * w)].mean((0, 1)))

    r, g, b = backdrop("inbox/A1023/IMG_0001.JPG")
    assert r / b > 1.6  # warm tungsten
    r, g, b = backdrop("inbox/B2045_正面.jpg")
    assert b / r > 1.25  # cool
    r, g, b = backdrop("inbox/C3301_01.jpg")
    assert g / r > 1.1 and g / b > 1.1  # green fluorescent
    r, g, b = backdrop("inbox/D4410/悬挂.jpg")
    assert max(r, g, b) / min(r, g, b) < 1.03  # neutral


@pytest.mark.slow
def test_grey_card_reference_shows_the_same_cast_as_the_shirt(shop):
    a = _upright(shop / "inbox/A1023/A1023_ref_灰卡.jpg")
    h, w, _ = a.shape
    card = _to_linear(a[int(0.4 * h):int(0.6 * h), int(0.4 * w):int(0.6 * w)].reshape(-1, 3).mean(0))
    gains = card / card[1]
    want = ms.CASTS["tungsten"] / ms.CASTS["tungsten"][1]
    assert np.allclose(gains, want, atol=0.06), (gains, want)
    assert a[int(0.4 * h):int(0.6 * h), int(0.4 * w):int(0.6 * w)].std(axis=(0, 1)).max() < 6  # flat card


@pytest.mark.slow
def test_cutout_png_has_real_transparency(shop):
    im = Image.open(shop / "inbox/D4410/白底抠图.png")
    assert im.mode == "RGBA"
    alpha = np.asarray(im)[..., 3]
    assert alpha.min() == 0 and alpha.max() == 255
    assert 0.2 < (alpha == 0).mean() < 0.8
    assert ((alpha > 0) & (alpha < 255)).any()  # soft, anti-aliased edge


@pytest.mark.slow
def test_output_fits_the_size_budget(shop):
    total = sum(p.stat().st_size for p in shop.rglob("*") if p.is_file())
    assert total < BUDGET, total
    committed = [p for p in SAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert sum(p.stat().st_size for p in committed) < BUDGET


@pytest.mark.slow
def test_generator_is_deterministic(shop):
    assert ms.sheet_bytes() == (shop / "products.xlsx").read_bytes()
    for part in ("IMG_0005.JPG", "白底抠图.png", "B2045-侧面.jpg"):
        shot = _shot(part)
        assert ms.shot_bytes(shot) == (shop / shot.path).read_bytes(), shot.path
