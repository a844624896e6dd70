"""Fitting and drawing mixed Chinese/Latin text on images.

Chinese breaks between any two characters, Latin only between words; closing
punctuation (，。）」…) never starts a line and opening punctuation never ends
one. Text that cannot fit its box at the minimum size raises TextTooLong: it is
never cut off silently.
"""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image, ImageDraw

from imgpipe.errors import ImgpipeError
from imgpipe.fonts import check_text, font
from imgpipe.messages import t

LINE_SPACING = 1.3  # line pitch as a multiple of the font size (px)

# Never at the start of a line (kinsoku): closing brackets and CJK/Latin stops.
_NO_START = set("，。、；：！？）」』》】〕〉”’…—,.;:!?)]}%·～~")
# Never at the end of a line: opening brackets and quotes.
_NO_END = set("（「『《【〔〈“‘([{¥￥$#")


class TextTooLong(ImgpipeError):
    """A caption/label that cannot fit its box even at the minimum font size."""


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x2E80 <= code <= 0x9FFF      # radicals, kana, CJK unified, symbols & punctuation
        or 0xAC00 <= code <= 0xD7AF   # Hangul
        or 0xF900 <= code <= 0xFAFF   # compatibility ideographs
        or 0xFE30 <= code <= 0xFE4F   # vertical forms
        or 0xFF00 <= code <= 0xFFEF   # full-width forms (，：（）)
        or 0x20000 <= code <= 0x3FFFF  # extension B+
    )


_TOKEN = re.compile(r"\s+|[^\s]")


def _units(paragraph: str) -> list[str]:
    """Unbreakable pieces: one CJK char, one Latin word, or one run of spaces.

    Kinsoku: closing punctuation is glued to the piece before, opening
    punctuation to the piece after.
    """
    units: list[str] = []
    word = ""
    for ch in paragraph:
        if ch.isspace():
            if word:
                units.append(word)
                word = ""
            if units and units[-1].isspace():
                units[-1] += ch
            else:
                units.append(ch)
        elif _is_cjk(ch) or ch in _NO_START or ch in _NO_END:
            if word and ch not in _NO_START:
                units.append(word)
                word = ""
            if ch in _NO_START:
                if word:
                    word += ch
                elif units and not units[-1].isspace():
                    units[-1] += ch
                else:
                    units.append(ch)
            else:
                units.append(ch)
        else:
            word += ch
    if word:
        units.append(word)
    # glue opening punctuation to what follows
    glued: list[str] = []
    carry = ""
    for unit in units:
        if carry and not unit.isspace():
            unit, carry = carry + unit, ""
        elif carry:
            glued.append(carry)
            carry = ""
        if unit and unit[-1] in _NO_END and len(unit) == 1:
            carry = unit
            continue
        glued.append(unit)
    if carry:
        glued.append(carry)
    return glued


def wrap_text(text: str, font_path: Path, size_px: int, box_w: float) -> list[str]:
    """Break `text` into lines no wider than `box_w` pixels at `size_px`.

    Explicit newlines are kept. A single Latin word wider than the box (a long
    code or URL) is broken between characters rather than overflowing.
    """
    return _wrap(text, font_path, size_px, box_w)[0]


def _wrap(text: str, font_path: Path, size_px: int, box_w: float) -> tuple[list[str], bool]:
    """(lines, whether a word had to be broken inside)."""
    f = font(font_path, size_px)
    broke = False
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for unit in _units(paragraph.strip()):
            if unit.isspace():
                if line:
                    line += " "
                continue
            candidate = line + unit
            if f.getlength(candidate.rstrip()) <= box_w:
                line = candidate
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = ""
            while f.getlength(unit) > box_w and len(unit) > 1:
                broke = True
                cut = len(unit) - 1
                while cut > 1 and f.getlength(unit[:cut]) > box_w:
                    cut -= 1
                lines.append(unit[:cut])
                unit = unit[cut:]
            line = unit
        lines.append(line.rstrip())
    return lines, broke


def line_height(size_px: int, spacing: float = LINE_SPACING) -> int:
    """Pixels from one baseline to the next."""
    return int(round(size_px * spacing))


def text_block_size(lines: list[str], font_path: Path, size_px: int, spacing: float = LINE_SPACING) -> tuple[int, int]:
    """(width, height) in pixels of `lines` drawn with `draw_text`."""
    f = font(font_path, size_px)
    width = max((f.getlength(line) for line in lines), default=0)
    return int(round(width)), line_height(size_px, spacing) * len(lines)


def fit_text(
    text: str,
    font_path: Path,
    box_w: float,
    box_h: float,
    max_px: int,
    min_px: int,
    *,
    spacing: float = LINE_SPACING,
    prefer_one_line: bool = False,
    max_lines: int | None = None,
) -> tuple[int, list[str]]:
    """The largest font size (px) in [min_px, max_px] at which `text` fits the box, and its lines.

    box_w, box_h: pixels. Lines take `spacing` × size px each.
    prefer_one_line: first shrink on a single line down to min_px, and only
    then wrap (captions); otherwise wrap at each size and take the largest
    size that fits (label panels). Raises TextTooLong if nothing fits.
    """
    check_text(font_path, text, "text")
    max_px, min_px = int(max_px), int(min_px)
    min_px = max(1, min(min_px, max_px))
    sizes = range(max_px, min_px - 1, -1)

    def fits(size: int, lines: list[str]) -> bool:
        if max_lines is not None and len(lines) > max_lines:
            return False
        w, h = text_block_size(lines, font_path, size, spacing)
        return w <= box_w and h <= box_h

    if prefer_one_line and "\n" not in text:
        one = [" ".join(text.split())]
        for size in sizes:
            if fits(size, one):
                return size, one
    broken_fit = None
    for size in sizes:
        lines, broke = _wrap(text, font_path, size, box_w)
        if fits(size, lines):
            if not broke:
                return size, lines
            broken_fit = broken_fit or (size, lines)
    # a long code/URL split between characters beats failing, but only as a last resort
    if broken_fit:
        return broken_fit
    raise TextTooLong(
        t("text.too_long", min_px=min_px, box_w=int(box_w), box_h=int(box_h), text=_shorten(text)),
        fix=t("text.too_long.fix"),
    )


def _shorten(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def draw_text(
    img: Image.Image,
    xy: tuple[float, float],
    lines: list[str],
    font_path: Path,
    size_px: int,
    fill="#000000",
    *,
    spacing: float = LINE_SPACING,
    align: str = "left",
    box_w: float | None = None,
    stroke_width: int = 0,
    stroke_fill=None,
    where: str = "text",
) -> tuple[int, int, int, int]:
    """Draw `lines` on `img` (in place) from the top-left `xy` (pixels).

    Each line occupies `spacing` × size px; glyphs are vertically centred in
    it. align "left" | "center" | "right" within `box_w` (default: the widest
    line). Checks glyphs first (no tofu). Returns the box (x0, y0, x1, y1)
    the block occupies.
    """
    check_text(font_path, "".join(lines), where)
    f = font(font_path, size_px)
    draw = ImageDraw.Draw(img)
    pitch = line_height(size_px, spacing)
    widths = [f.getlength(line) for line in lines]
    block_w = box_w if box_w is not None else max(widths, default=0)
    x0, y0 = xy
    for i, (line, w) in enumerate(zip(lines, widths)):
        if align == "center":
            x = x0 + (block_w - w) / 2
        elif align == "right":
            x = x0 + block_w - w
        else:
            x = x0
        # "lm" anchor: vertical middle of the line box, so CJK and Latin sit alike
        y = y0 + i * pitch + pitch / 2
        draw.text(
            (x, y), line, font=f, fill=fill, anchor="lm",
            stroke_width=stroke_width, stroke_fill=stroke_fill if stroke_fill is not None else fill,
        )
    return int(x0), int(y0), int(round(x0 + block_w)), int(y0 + pitch * len(lines))
