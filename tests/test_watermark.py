"""Watermark placement, opacity, logos and the JD rule: no mark pixel inside the product box."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from PIL import Image, ImageDraw

from imgpipe.errors import ImgpipeError
from imgpipe.fonts import resolve_font
from imgpipe.settings import ANCHORS, WatermarkSettings
from imgpipe.watermark import (
    MIN_CONTRAST,
    WatermarkSkipped,
    contrast_ratio,
    mark_contrast,
    relative_luminance,
    strokes_for_box,
    apply_watermark,
    load_logo,
    mark_box,
    place_watermark,
)

FONT = resolve_font()
SIZE = 800


def photo(seed=0, colour=(240, 240, 240)):
    """A square 'main image': light backdrop with mild noise and a dark product in the middle."""
    rng = np.random.default_rng(seed)
    arr = np.clip(np.array(colour, float) + rng.normal(0, 3, (SIZE, SIZE, 3)), 0, 255).astype(np.uint8)
    arr[200:600, 150:650] = (40, 60, 120)
    return Image.fromarray(arr)


def diff(a, b):
    return np.abs(np.asarray(a, dtype=int) - np.asarray(b, dtype=int)).sum(axis=2)


def settings(**kw):
    base = dict(text="禾象旗舰店", position="bottom-right", opacity=0.5, size=0.25, margin=0.03)
    base.update(kw)
    return WatermarkSettings(**base)


def test_text_mark_sits_in_its_anchor_at_the_configured_size():
    img = photo()
    out = apply_watermark(img, settings(), FONT)
    d = diff(img, out)
    ys, xs = np.nonzero(d)
    margin = 0.03 * SIZE
    assert xs.max() <= SIZE - margin + 2 and ys.max() <= SIZE - margin + 2
    assert xs.min() > SIZE / 2 and ys.min() > SIZE / 2
    width = xs.max() - xs.min()
    assert 0.22 * SIZE <= width <= 0.30 * SIZE  # text 25 % wide plus a few px of shadow
    box = mark_box(img, settings(), FONT)
    assert box[0] <= xs.min() and box[1] <= ys.min() and box[2] > xs.max() and box[3] > ys.max()


@pytest.mark.parametrize("position", [a for a in ANCHORS if a != "tiled"])
def test_every_anchor_is_placed_where_named(position):
    img = Image.new("RGB", (SIZE, SIZE), (128, 128, 128))
    out = apply_watermark(img, settings(position=position), FONT)
    ys, xs = np.nonzero(diff(img, out))
    cx, cy = (xs.min() + xs.max()) / 2 / SIZE, (ys.min() + ys.max()) / 2 / SIZE
    col = 0 if "left" in position else 2 if "right" in position else 1
    row = 0 if position.startswith("top") else 2 if position.startswith("bottom") else 1
    assert int(cx * 3) == col and int(cy * 3) == row


def test_opacity_controls_strength():
    img = Image.new("RGB", (SIZE, SIZE), (60, 60, 60))
    weak = diff(img, apply_watermark(img, settings(opacity=0.2, shadow=False), FONT)).max()
    strong = diff(img, apply_watermark(img, settings(opacity=0.9, shadow=False), FONT)).max()
    assert 0 < weak < strong


def test_mark_reads_on_white_thanks_to_its_shadow():
    img = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    out = apply_watermark(img, settings(colour="#FFFFFF", shadow=True), FONT)
    assert diff(img, out).max() > 60
    plain = apply_watermark(img, settings(colour="#FFFFFF", shadow=False, outline="never"), FONT)
    assert diff(img, plain).max() == 0  # white on white alone would be invisible


@pytest.mark.parametrize("backdrop", [(255, 255, 255), (232, 232, 228)])
def test_a_light_mark_on_white_or_a_pale_sweep_gets_an_outline_that_reads(backdrop):
    img = Image.new("RGB", (SIZE, SIZE), backdrop)
    light = settings(colour="#FFFFFF", opacity=0.35)
    bare = place_watermark(img, dataclasses.replace(light, outline="never"), FONT)
    assert bare.contrast < MIN_CONTRAST and not bare.outlined
    auto = place_watermark(img, light, FONT)
    assert auto.outlined and auto.contrast >= MIN_CONTRAST
    assert auto.boxes == bare.boxes  # the outline never moves or grows the mark's box
    # the outline is darker than the backdrop, the strokes keep their light colour
    x0, y0, x1, y1 = auto.boxes[0]
    region = np.asarray(auto.image)[y0:y1, x0:x1].astype(int)
    assert region.min() < backdrop[0] - 60 and region.max() >= backdrop[0] - 2


@pytest.mark.parametrize("backdrop,colour", [((250, 250, 250), "#333333"), ((50, 55, 60), "#FFFFFF")])
def test_a_mark_that_already_reads_is_left_as_it_is(backdrop, colour):
    img = Image.new("RGB", (SIZE, SIZE), backdrop)
    mark = settings(colour=colour, opacity=0.5)
    auto = place_watermark(img, mark, FONT)
    never = place_watermark(img, dataclasses.replace(mark, outline="never"), FONT)
    assert not auto.outlined and auto.contrast >= MIN_CONTRAST
    assert diff(auto.image, never.image).max() == 0


def test_a_dark_mark_on_a_dark_photo_gets_a_light_outline():
    img = Image.new("RGB", (SIZE, SIZE), (30, 30, 30))
    auto = place_watermark(img, settings(colour="#333333", opacity=0.35), FONT)
    assert auto.outlined and auto.contrast >= MIN_CONTRAST
    x0, y0, x1, y1 = auto.boxes[0]
    assert np.asarray(auto.image)[y0:y1, x0:x1].max() > 30 + 60


def test_contrast_ratio_and_luminance_follow_wcag():
    assert contrast_ratio(1.0, 0.0) == pytest.approx(21.0)
    assert contrast_ratio(0.2, 0.2) == 1.0
    y = relative_luminance(np.array([[0, 0, 0], [255, 255, 255], [119, 119, 119]], np.uint8))
    assert y[0] == 0 and y[1] == pytest.approx(1.0) and y[2] == pytest.approx(0.184, abs=0.002)
    # #777 on white is WCAG's classic 4.48:1
    assert contrast_ratio(y[1], y[2]) == pytest.approx(4.48, abs=0.02)


def test_mark_contrast_measures_strokes_against_their_ring():
    strokes = np.zeros((40, 120), np.float32)
    strokes[15:25, 10:110] = 1.0
    flat = np.full((40, 120, 3), 200, np.uint8)
    assert mark_contrast(flat, strokes) == pytest.approx(1.0)
    drawn = flat.copy()
    drawn[15:25, 10:110] = 0
    assert mark_contrast(drawn, strokes) == pytest.approx(contrast_ratio(
        float(relative_luminance(np.array([200, 200, 200], np.uint8))), 0.0), rel=1e-3)
    assert mark_contrast(flat, np.zeros_like(strokes)) is None


def test_strokes_for_box_finds_the_drawn_mark_shrunk_or_tiled():
    img = photo()
    for kw, avoid in ((dict(size=0.6, position="top", margin=0.01), (40, 90, 760, 760)),
                      (dict(position="tiled", size=0.15), None), (dict(), None)):
        s = settings(**kw)
        result = place_watermark(img, s, FONT, avoid=avoid)
        full = [b for b in result.boxes if b[0] > 0 and b[1] > 0 and b[2] < SIZE and b[3] < SIZE]
        strokes = strokes_for_box(s, FONT, None, SIZE, full[0])
        assert strokes is not None and strokes.shape == (full[0][3] - full[0][1], full[0][2] - full[0][0])
        x0, y0, x1, y1 = full[0]
        assert mark_contrast(np.asarray(result.image)[y0:y1, x0:x1], strokes) == pytest.approx(
            result.contrast, rel=0.5)


@pytest.mark.parametrize("position", ANCHORS)
def test_avoid_box_gets_no_mark_pixels(position):
    img = photo()
    avoid = (150, 200, 650, 600)
    result = place_watermark(img, settings(position=position, size=0.2), FONT, avoid=avoid)
    assert not result.skipped
    d = diff(img, result.image)
    assert d.sum() > 0
    assert d[avoid[1]:avoid[3], avoid[0]:avoid[2]].sum() == 0


def test_mark_moves_off_the_product_to_another_anchor():
    img = photo()
    avoid = (300, 500, 800, 800)  # covers the bottom-right and bottom
    result = place_watermark(img, settings(position="bottom-right"), FONT, avoid=avoid)
    assert result.anchor != "bottom-right" and result.anchor in ANCHORS
    assert diff(img, result.image)[avoid[1]:avoid[3], avoid[0]:avoid[2]].sum() == 0


def test_mark_shrinks_when_only_a_thin_strip_is_free():
    img = photo()
    avoid = (40, 90, 760, 760)  # 90 px free at the top only
    big = settings(size=0.6, position="top", margin=0.01)
    result = place_watermark(img, big, FONT, avoid=avoid)
    assert not result.skipped
    assert diff(img, result.image)[avoid[1]:avoid[3], avoid[0]:avoid[2]].sum() == 0


def test_impossible_avoid_returns_the_image_unchanged_with_a_warning():
    img = photo()
    avoid = (5, 5, 795, 795)
    result = place_watermark(img, settings(), FONT, avoid=avoid)
    assert result.skipped and result.boxes == []
    with pytest.warns(WatermarkSkipped):
        out = apply_watermark(img, settings(), FONT, avoid=avoid)
    assert diff(img, out).sum() == 0
    assert mark_box(img, settings(), FONT, avoid=avoid) is None


def test_tiled_marks_cover_the_image_but_skip_the_product():
    img = photo()
    avoid = (150, 200, 650, 600)
    result = place_watermark(img, settings(position="tiled", size=0.15, opacity=0.4), FONT, avoid=avoid)
    assert len(result.boxes) >= 6
    d = diff(img, result.image)
    assert d[avoid[1]:avoid[3], avoid[0]:avoid[2]].sum() == 0
    # marks in all four quadrants' free areas
    assert d[:200].sum() > 0 and d[600:].sum() > 0 and d[:, :150].sum() > 0 and d[:, 650:].sum() > 0
    plain = place_watermark(img, settings(position="tiled", size=0.15), FONT)
    assert diff(img, plain.image)[200:600, 150:650].sum() > 0  # without avoid, tiles go over it


def test_logo_with_alpha(tmp_path):
    logo = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    ImageDraw.Draw(logo).ellipse((10, 10, 190, 90), fill=(200, 16, 46, 255))
    path = tmp_path / "标志.png"
    logo.save(path)
    loaded = load_logo(path)
    assert loaded.mode == "RGBA" and loaded.size == (200, 100)
    img = Image.new("RGB", (SIZE, SIZE), (255, 255, 255))
    wm = WatermarkSettings(logo=str(path), position="top-left", opacity=1.0, size=0.25, shadow=False)
    out = apply_watermark(img, wm, None, logo=loaded)
    arr = np.asarray(out)
    margin = round(0.03 * SIZE)
    # the ellipse's centre is red, the logo's transparent corner left the photo untouched
    assert tuple(arr[margin + 25, margin + 100]) == (200, 16, 46)
    assert tuple(arr[margin + 1, margin + 1]) == (255, 255, 255)
    ys, xs = np.nonzero(diff(img, out))
    assert abs((xs.max() - xs.min() + 1) - 0.25 * SIZE * 180 / 200) <= 4


def test_missing_or_broken_logo_is_named(tmp_path):
    with pytest.raises(ImgpipeError) as info:
        load_logo(tmp_path / "logo.png")
    assert "logo.png" in str(info.value)
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG not really")
    with pytest.raises(ImgpipeError) as info:
        load_logo(bad)
    assert "broken.png" in str(info.value)


def test_text_the_font_cannot_draw_is_refused():
    with pytest.raises(ImgpipeError) as info:
        apply_watermark(photo(), settings(text="禾象😀"), FONT)
    assert "😀" in str(info.value)


def test_no_text_and_no_logo_draws_nothing_quietly():
    img = photo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = apply_watermark(img, WatermarkSettings(text=""), FONT)
    assert diff(img, out).sum() == 0
