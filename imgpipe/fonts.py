"""Finding a font that draws Chinese, and checking it has every glyph we draw.

Resolution order (issue 4): the font in `imgpipe.toml` ([fonts] path), then a
CJK font found on this machine (Windows, macOS, Linux, then `fc-match`), then a
clear error saying how to install one. Before any text is drawn, `check_text`
makes sure the font has a glyph for every character, so a picture never shows
empty boxes (tofu); the error names the missing characters.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

from PIL import ImageFont

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

# Candidates in order of preference per OS. Simplified Chinese faces first:
# the shop writes Simplified Chinese, and Traditional/Japanese faces draw some
# shared characters (e.g. 说, 门) with different shapes.
_WINDOWS_FONTS = ("msyh.ttc", "msyh.ttf", "simhei.ttf", "simsun.ttc", "Deng.ttf", "simkai.ttf")
_MAC_FONTS = (
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "/System/Library/Fonts/Supplemental/Songti.ttc",
)
_LINUX_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
# file-name patterns searched under the Linux font folders, best first
_LINUX_NAMES = (
    "NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf", "NotoSansSC-Regular.otf",
    "NotoSansCJK*.ttc", "NotoSansSC*", "NotoSerifCJK-Regular.ttc", "NotoSerifCJK*.ttc",
    "wqy-microhei.ttc", "wqy-zenhei.ttc", "wqy*.ttc", "DroidSansFallbackFull.ttf", "SourceHanSans*",
)
_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


def resolve_font(configured: str | Path | None = None) -> Path:
    """The font file to draw all text with.

    `configured` (the [fonts] path setting) wins; a configured file that does
    not exist is an error naming it, never a silent fallback. Empty/None: the
    first CJK font found on this machine. Raises ImgpipeError with install
    instructions for each OS when there is none. Call it once at start.
    """
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise ImgpipeError(
                t("font.configured_missing", path=path), file=path, field="fonts.path",
                fix=t("font.configured_missing.fix"),
            )
        _face_index(path)  # unreadable files fail here, at start
        return path
    for candidate in system_font_candidates():
        if candidate.is_file():
            try:
                _face_index(candidate)
            except ImgpipeError:
                continue
            return candidate
    raise ImgpipeError(t("font.none_found"), field="fonts.path", fix=t("font.none_found.fix"))


def system_font_candidates() -> list[Path]:
    """CJK font files that may exist on this machine, best first (not checked to exist)."""
    found: list[Path] = []
    if sys.platform.startswith("win"):
        windir = Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts"
        local = Path(os.environ.get("LOCALAPPDATA", "")) / "Microsoft/Windows/Fonts"
        for name in _WINDOWS_FONTS:
            found += [windir / name, local / name]
    elif sys.platform == "darwin":
        found += [Path(p) for p in _MAC_FONTS]
    for folder in _LINUX_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for pattern in _LINUX_NAMES:
            found += sorted(root.rglob(pattern))
    matched = _fc_match()
    if matched:
        found.append(matched)
    return found


def _fc_match() -> Path | None:
    """What fontconfig picks for Simplified Chinese, if fontconfig is there."""
    exe = shutil.which("fc-match")
    if not exe:
        return None
    try:
        out = subprocess.run(
            [exe, "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(out) if out else None
    # fontconfig answers with *some* font even without a CJK one; keep it only if it draws 中
    if path and path.suffix.lower() in _FONT_SUFFIXES and path.is_file():
        try:
            if not missing_glyphs(path, "中文"):
                return path
        except ImgpipeError:
            return None
    return None


@functools.lru_cache(maxsize=64)
def _face_index(path: Path) -> int:
    """Index of the Simplified Chinese face in a collection (.ttc); 0 for single fonts.

    Noto Sans CJK ships JP, KR, SC, TC, HK faces in one file; PingFang has
    HK, SC, TC. The SC face draws the shapes a mainland shopper expects.
    """
    best, best_rank = 0, 99
    for index in range(32):
        try:
            face = ImageFont.truetype(str(path), 16, index=index)
        except OSError as exc:
            if index == 0:
                raise ImgpipeError(
                    t("font.unreadable", path=path, detail=exc), file=path, field="fonts.path",
                    fix=t("font.configured_missing.fix"),
                ) from None
            break
        family = (face.getname()[0] or "").strip()
        words = family.replace("-", " ").split()
        mono = "Mono" in words
        if "SC" in words or family.endswith("SC") or "GB" in words:
            rank = 1 if mono else 0
        elif index == 0:
            rank = 5
        else:
            continue
        if rank < best_rank:
            best, best_rank = index, rank
    return best


def bold_variant(path: Path) -> Path | None:
    """The bold sibling of a font file if there is one (NotoSansCJK-Bold, msyhbd), else None."""
    name = path.name
    for regular, bold in (("-Regular", "-Bold"), ("Regular", "Bold"), ("msyh.", "msyhbd."), ("-Light", "-Bold")):
        if regular in name:
            candidate = path.with_name(name.replace(regular, bold))
            if candidate.is_file():
                return candidate
    return None


@functools.lru_cache(maxsize=256)
def font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    """The font at `size_px` pixels (em size), Simplified Chinese face of a collection."""
    path = Path(path)
    size_px = max(1, int(round(size_px)))
    try:
        return ImageFont.truetype(str(path), size_px, index=_face_index(path))
    except OSError as exc:
        raise ImgpipeError(t("font.unreadable", path=path, detail=exc), file=path, field="fonts.path") from None


# Characters that draw nothing by design; never reported as missing.
_IGNORED_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Mn"}
# Code points that no sane font maps: they render the font's .notdef glyph,
# which is exactly what an unmapped character renders.
_PROBES = ("\U0010FFFD", "\U000FFFFD", "\U000E0FFF")
_PROBE_PX = 32


@functools.lru_cache(maxsize=64)
def _notdef_signature(path: Path) -> tuple:
    f = _probe_font(path)
    sigs = [_signature(f, ch) for ch in _PROBES]
    # two of the three probes agree unless the font maps private-use planes
    return max(set(sigs), key=sigs.count)


@functools.lru_cache(maxsize=64)
def _probe_font(path: Path) -> ImageFont.FreeTypeFont:
    path = Path(path)
    try:
        # BASIC layout: one character -> one glyph, no shaping that could hide .notdef
        return ImageFont.truetype(str(path), _PROBE_PX, index=_face_index(path), layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        raise ImgpipeError(t("font.unreadable", path=path, detail=exc), file=path, field="fonts.path") from None


def _signature(f: ImageFont.FreeTypeFont, ch: str) -> tuple:
    """What the font draws for `ch`: advance, box and the exact coverage bytes."""
    mask, offset = f.getmask2(ch, mode="L")
    return (round(f.getlength(ch), 2), offset, mask.size, bytes(mask))


@functools.lru_cache(maxsize=65536)
def _has_glyph(path: Path, ch: str) -> bool:
    return _signature(_probe_font(path), ch) != _notdef_signature(path)


def missing_glyphs(path: Path, text: str) -> str:
    """The distinct characters of `text` the font has no glyph for, in order of appearance.

    A character is missing when the font draws for it exactly what it draws for
    an unmapped code point (its .notdef box: same advance, same pixels).
    Whitespace, control/format characters and combining marks never count.
    """
    path = Path(path)
    missing: list[str] = []
    for ch in dict.fromkeys(text):
        if ch.isspace() or unicodedata.category(ch) in _IGNORED_CATEGORIES:
            continue
        if not _has_glyph(path, ch):
            missing.append(ch)
    return "".join(missing)


def describe_chars(chars: str) -> str:
    """'☃ (U+2603), 😀 (U+1F600)': readable even when the console lacks the glyph too."""
    return ", ".join(f"{c} (U+{ord(c):04X})" for c in chars)


def check_text(path: Path, text: str, where: str) -> None:
    """Raise ImgpipeError naming the characters of `text` that `path` cannot draw.

    where: what the text is (e.g. "货号 A1023 名称", "watermark.text"), shown in the error.
    """
    missing = missing_glyphs(path, text)
    if missing:
        raise ImgpipeError(
            t("font.missing_glyphs", font=Path(path).name, chars=describe_chars(missing), where=where),
            file=path, field=where, fix=t("font.missing_glyphs.fix"),
        )
