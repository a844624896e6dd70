"""Font resolution, missing-glyph detection, and fitting/wrapping text (real fonts, real pixels)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from imgpipe import fonts
from imgpipe.errors import ImgpipeError
from imgpipe.fonts import check_text, font, missing_glyphs, resolve_font
from imgpipe.messages import MESSAGES
from imgpipe.text import TextTooLong, draw_text, fit_text, wrap_text

FONT = resolve_font()
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def test_resolved_font_draws_chinese():
    assert FONT.is_file()
    assert missing_glyphs(FONT, "中文 红色 藏青 纯棉 已售罄 货号 A1023 ×") == ""


def test_collection_picks_simplified_chinese_face():
    name = font(FONT, 20).getname()[0]
    if FONT.suffix.lower() == ".ttc" and "CJK" in name:
        assert "SC" in name.split()


def test_configured_font_wins_and_missing_one_is_named(tmp_path):
    assert resolve_font(str(FONT)) == FONT
    missing = tmp_path / "字体" / "nope.ttf"
    with pytest.raises(ImgpipeError) as info:
        resolve_font(missing)
    assert "nope.ttf" in str(info.value)
    assert info.value.field == "fonts.path"


def test_unreadable_configured_font_is_an_error(tmp_path):
    bad = tmp_path / "bad.ttf"
    bad.write_bytes(b"not a font at all")
    with pytest.raises(ImgpipeError) as info:
        resolve_font(bad)
    assert "bad.ttf" in str(info.value)


def test_no_font_anywhere_says_how_to_install(monkeypatch):
    monkeypatch.setattr(fonts, "system_font_candidates", lambda *_: [Path("/nonexistent/x.ttc")])
    with pytest.raises(ImgpipeError) as info:
        resolve_font(None)
    assert "fonts-noto-cjk" in str(info.value)


def test_missing_glyphs_names_emoji_and_unassigned_but_not_spaces():
    assert missing_glyphs(FONT, "红色 \t\n😀A\U0010FFFD　") == "😀\U0010FFFD"
    with pytest.raises(ImgpipeError) as info:
        check_text(FONT, "红色😀", "颜色")
    assert "😀" in str(info.value) and "U+1F600" in str(info.value) and "颜色" in str(info.value)


@pytest.mark.skipif(not DEJAVU.is_file(), reason="DejaVu Sans not installed")
def test_latin_only_font_reports_chinese_characters():
    assert missing_glyphs(DEJAVU, "Red 红色") == "红色"


def test_chinese_glyphs_differ_from_the_missing_glyph_box():
    f = ImageFont.truetype(str(FONT), 48, index=fonts._face_index(FONT))

    def render(text):
        img = Image.new("L", (400, 80), 0)
        ImageDraw.Draw(img).text((5, 5), text, font=f, fill=255)
        return np.asarray(img)

    tofu = render("\U0010FFFD")
    assert tofu.any(), "the font's .notdef glyph should draw something"
    for ch in "红色已售罄":
        glyph = render(ch)
        assert glyph.any()
        assert not np.array_equal(glyph, tofu), ch
    # the whole string is not a row of identical boxes either
    assert not np.array_equal(render("红色"), render("\U0010FFFD\U0010FFFD"))


def test_draw_text_puts_ink_in_the_returned_box_and_refuses_tofu():
    img = Image.new("RGB", (400, 120), "white")
    box = draw_text(img, (10, 10), ["禾象旗舰店", "A1023 纯棉"], FONT, 30, "black")
    arr = np.asarray(img).min(axis=2)
    ys, xs = np.nonzero(arr < 128)
    assert xs.min() >= box[0] - 2 and xs.max() <= box[2] + 2
    assert ys.min() >= box[1] - 2 and ys.max() <= box[3] + 2
    with pytest.raises(ImgpipeError):
        draw_text(img, (0, 0), ["坏😀"], FONT, 30, "black")


def test_fit_text_keeps_max_size_when_it_fits():
    size, lines = fit_text("纯棉", FONT, 400, 100, 40, 20)
    assert (size, lines) == (40, ["纯棉"])


def test_fit_text_shrinks_one_line_before_wrapping():
    text = "新疆长绒棉柔软亲肤透气"  # 11 characters, about 1 em each
    size, lines = fit_text(text, FONT, 11 * 30 + 2, 200, 40, 20, prefer_one_line=True)
    assert lines == [text]
    assert 28 <= size < 40
    assert font(FONT, size).getlength(text) <= 11 * 30 + 2


def test_fit_text_wraps_mixed_text_per_character_and_per_word():
    text = "加厚螺纹领口，多次洗涤不变形 Double-stitched collar keeps its shape，经久耐穿"
    size, lines = fit_text(text, FONT, 300, 400, 30, 20)
    assert len(lines) > 1
    for line in lines:
        assert font(FONT, size).getlength(line) <= 300
        assert not line.startswith(("，", "。"))
    joined = " ".join(lines)
    for word in ("Double-stitched", "collar", "keeps", "its", "shape"):
        assert re.search(rf"(^|[\s\u4e00-\u9fff，]){re.escape(word)}", joined), word
    # nothing lost: all characters are still there, in order
    assert re.sub(r"\s", "", "".join(lines)) == re.sub(r"\s", "", text)


def test_fit_text_raises_rather_than_cutting():
    text = "这段卖点文字实在太长了" * 10
    with pytest.raises(TextTooLong) as info:
        fit_text(text, FONT, 200, 60, 30, 20)
    assert "这段卖点" in str(info.value)
    assert "20" in str(info.value)


def test_wrap_keeps_explicit_newlines_and_breaks_overlong_codes():
    assert wrap_text("红色\n藏青", FONT, 20, 500) == ["红色", "藏青"]
    lines = wrap_text("X" * 60, FONT, 20, 100)
    assert len(lines) > 1 and "".join(lines) == "X" * 60


def test_message_keys_used_by_these_modules_exist():
    root = Path(__file__).resolve().parents[1] / "imgpipe"
    seen = 0
    for name in ("fonts.py", "text.py", "framing.py", "watermark.py", "labels.py"):
        source = (root / name).read_text(encoding="utf-8")
        for key in re.findall(r"""\bt(?:_in)?\((?:lang, )?["']([\w.]+)["']""", source):
            assert key in MESSAGES, f"{name}: {key}"
            seen += 1
    assert seen >= 10
