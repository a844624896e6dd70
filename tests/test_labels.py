"""Labelled large image (R7/R6), selling-point images (R4), sold-out overlay (R11).

"Contains the sheet's data" is checked by drawing the expected text with the
same font and size and finding it in the output by template matching.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from imgpipe.fonts import bold_variant, font, resolve_font
from imgpipe.labels import PANEL_BG, labelled_large_image, selling_point_image, sold_out_overlay
from imgpipe.sheet import Product
from imgpipe.text import TextTooLong

FONT = resolve_font()
BOLD = bold_variant(FONT) or FONT

PRODUCT = Product(
    article="A1023",
    name="禾象纯棉印花短袖T恤",
    category="服装",
    colours=("红色", "藏青"),
    fabric="纯棉",
    sizes=("S", "M", "XL"),
    length_cm=70,
    width_cm=52,
    height_cm=1.5,
    note="新疆长绒棉，柔软透气，不易变形。洗涤时请反面冷水手洗，不可漂白，低温熨烫，悬挂晾干，避免暴晒。",
)


def photo(w=1200, h=900):
    arr = np.full((h, w, 3), 242, np.uint8)
    arr[200:700, 300:900] = (180, 40, 50)
    return Image.fromarray(arr)


def grey(img):
    return cv2.cvtColor(np.asarray(img.convert("RGB")), cv2.COLOR_RGB2GRAY)


def find_text(img, text, size_px, font_path=FONT, fill=(34, 34, 34), bg=PANEL_BG):
    """Best normalised correlation of `text` (drawn alone) anywhere in `img`, 0..1."""
    f = font(font_path, size_px)
    x0, y0, x1, y1 = f.getbbox(text)
    tpl = Image.new("RGB", (x1 - x0 + 6, y1 - y0 + 6), bg)
    ImageDraw.Draw(tpl).text((3 - x0, 3 - y0), text, font=f, fill=fill)
    return float(cv2.matchTemplate(grey(img), grey(tpl), cv2.TM_CCOEFF_NORMED).max())


@pytest.fixture(scope="module")
def large():
    return labelled_large_image(photo(), PRODUCT, 750, FONT, sold_out_sizes={"XL"})


def test_large_image_keeps_the_photo_whole_above_the_panel(large):
    src = photo()
    assert large.width == 750
    photo_h = round(900 * 750 / 1200)
    scaled = np.asarray(src.resize((750, photo_h), Image.Resampling.LANCZOS, reducing_gap=3.0))
    assert np.array_equal(np.asarray(large)[:photo_h], scaled)
    assert large.height > photo_h + 250  # the panel sits below: it covers nothing


@pytest.mark.parametrize("text", ["A1023", "纯棉", "红色", "藏青", "70×52×1.5 cm", "新疆长绒棉", "货号", "面料", "尺码", "说明"])
def test_large_image_contains_every_field(large, text):
    size = 24 if text in ("货号", "面料", "尺码", "说明") else 26
    fill = (128, 128, 128) if size == 24 else (34, 34, 34)
    assert find_text(large, text, size, fill=fill) > 0.9, text


def test_large_image_contains_name_in_bold_and_not_other_text(large):
    assert find_text(large, "禾象纯棉", 34, BOLD) > 0.9
    assert find_text(large, "羊毛混纺", 26) < 0.7  # a control: text that is not in the sheet


def test_sold_out_size_is_struck_and_tagged():
    plain = labelled_large_image(photo(), PRODUCT, 750, FONT)
    marked = labelled_large_image(photo(), PRODUCT, 750, FONT, sold_out_sizes={"XL"})
    tag = round(26 * 0.75)
    assert find_text(marked, "已售完", tag, fill=(200, 16, 46)) > 0.85
    assert find_text(plain, "已售完", tag, fill=(200, 16, 46)) < 0.7
    # the struck-through size is red-lined: red pixels appear in the panel only when sold out
    def red_in_panel(img):
        arr = np.asarray(img)[round(900 * 750 / 1200) + 10:]
        return int(((arr[..., 0] > 150) & (arr[..., 1] < 80) & (arr[..., 2] < 90)).sum())
    assert red_in_panel(marked) > red_in_panel(plain) + 100


def test_long_note_wraps_inside_the_panel_and_missing_fields_are_left_out():
    long_note = PRODUCT.note * 3
    tall = labelled_large_image(photo(), Product(**{**PRODUCT.__dict__, "note": long_note}), 750, FONT)
    base = labelled_large_image(photo(), PRODUCT, 750, FONT)
    assert tall.height > base.height + 60
    # every pixel of text stays inside the 32 px side padding
    panel = grey(tall)[round(900 * 750 / 1200) + 8:]
    assert (panel[:, :30] > 200).all() and (panel[:, -30:] > 200).all()
    bare = labelled_large_image(photo(), Product(article="B7", name="杯子", category="家居"), 750, FONT)
    assert bare.height < base.height
    assert find_text(bare, "面料", 24, fill=(128, 128, 128)) < 0.7


def test_english_labels_and_other_widths_scale_alike():
    en = labelled_large_image(photo(), PRODUCT, 790, FONT, lang="en")
    k = 790 / 750
    assert en.width == 790
    assert find_text(en, "Fabric", round(24 * k), fill=(128, 128, 128)) > 0.9
    assert find_text(en, "A1023", round(26 * k)) > 0.9


def test_selling_point_caption_badge_and_crop():
    src = photo()
    out = selling_point_image(src, "新疆长绒棉，柔软亲肤", 750, FONT, 3, crop=(300, 200, 900, 700))
    arr = np.asarray(out)
    assert out.width == 750
    # the crop is all product red, scaled to 750 x 625
    assert np.abs(arr[10:600, 10:740].astype(int) - (180, 40, 50)).max() <= 3
    band = out.crop((0, 625, 750, out.height))
    assert find_text(band, "新疆长绒棉", 40, BOLD, bg=(255, 255, 255)) > 0.85
    assert find_text(band, "3", round(64 * 0.5), BOLD, fill=(255, 255, 255), bg=(200, 16, 46)) > 0.8


def test_selling_point_caption_shrinks_then_wraps_then_raises():
    short = selling_point_image(photo(), "柔软", 750, FONT, 1)
    longer = selling_point_image(photo(), "加厚螺纹领口，多次洗涤不变形不松垮", 750, FONT, 2)
    longest = selling_point_image(photo(), "加厚螺纹领口，多次洗涤不变形不松垮，经久耐穿，领口双针走线工艺，结实美观", 750, FONT, 3)
    assert short.height == longer.height  # one line, shrunk to fit
    assert longest.height > longer.height  # wrapped
    with pytest.raises(TextTooLong):
        selling_point_image(photo(), "这条卖点写得太长了，" * 12, 750, FONT, 4)


def test_sold_out_banner_is_readable_at_thumbnail_size():
    img = photo(800, 800)
    one = sold_out_overlay(img, "已售罄", FONT)
    two = sold_out_overlay(img, ["红色 已售完", "XL 已售完"], FONT)
    assert one.size == img.size and one.mode == img.mode
    a1, a2 = np.asarray(one), np.asarray(two)
    red = lambda a: (a[..., 0] > 180) & (a[..., 1] < 60) & (a[..., 2] < 80)
    rows1, rows2 = red(a1).mean(axis=1) > 0.5, red(a2).mean(axis=1) > 0.5
    assert rows2.sum() > rows1.sum() > 40  # two lines make a taller banner
    assert not rows1[:400].any()  # the banner sits in the lower part
    thumb = np.asarray(one.resize((160, 160), Image.Resampling.LANCZOS))
    band = thumb[rows1.nonzero()[0].min() // 5 + 2: rows1.nonzero()[0].max() // 5 - 1]
    white = (band.min(axis=2) > 200).mean()
    assert 0.05 < white < 0.6  # clear white lettering on the banner even at 160 px
    assert find_text(one, "已售罄", 80, BOLD, fill=(255, 255, 255), bg=(200, 16, 46)) > 0.6



def test_sold_out_banner_rises_clear_of_a_mark_below_it_but_not_past_the_middle():
    img = Image.new("RGB", (800, 800), (242, 242, 242))

    def rows(im):  # rows that are mostly banner red
        a = np.asarray(im)
        return np.flatnonzero(((a[..., 0] > 150) & (a[..., 1] < 90) & (a[..., 2] < 100)).mean(axis=1) > 0.5)

    plain = rows(sold_out_overlay(img, "已售罄", FONT))
    mark = (576, 736, 776, 776)                        # a bottom-right mark the default banner covers
    assert plain.max() >= mark[1]
    clear = rows(sold_out_overlay(img, "已售罄", FONT, clear_of=(mark,)))
    assert clear.max() < mark[1] and len(clear) == len(plain)   # the same banner, ending above the mark
    high = rows(sold_out_overlay(img, "已售罄", FONT, clear_of=((576, 300, 776, 800),)))
    assert np.array_equal(high, plain)                 # a mark up to the middle: the banner stays put


def test_the_measurements_label_names_only_the_measured_dimensions():
    # the real knit top G501: 长 62, 宽 44, no 高. Its label read "长×宽×高：62×44 cm", which leaves a shopper
    # guessing which two were measured
    from imgpipe.detail_page import _spec_rows
    from imgpipe.roles import label_fields

    top = Product(article="G501", name="女士针织上衣", category="服装", length_cm=62, width_cm=44)
    large = labelled_large_image(photo(), top, 750, FONT)
    assert find_text(large, "长×宽：", 24, fill=(128, 128, 128)) > 0.9
    assert find_text(large, "长×宽×高：", 24, fill=(128, 128, 128)) < 0.8
    assert find_text(labelled_large_image(photo(), top, 750, FONT, lang="en"), "L×W: ", 24, fill=(128, 128, 128)) > 0.9
    assert {r["key"]: r["label"] for r in _spec_rows(top, "zh")}["measurements"] == "尺寸（长×宽）"
    assert {r["key"]: r["label"] for r in _spec_rows(PRODUCT, "zh")}["measurements"] == "尺寸（长×宽×高）"
    assert {r["key"]: r["label"] for r in _spec_rows(top, "en")}["measurements"] == "Size (L×W)"
    # the large images of such articles are made again once; every other article's keep their fingerprint
    assert "measured" in label_fields(top) and "measured" not in label_fields(PRODUCT)
    assert "measured" not in label_fields(Product(article="B7", name="杯子", category="家居"))
