"""Finding a font that draws Chinese and may be used on product images, and checking its glyphs.

Resolution order: the font in `imgpipe.toml` ([fonts] path), then a CJK
font free for commercial use found on this machine (font folders of
Windows, macOS and Linux, then `fc-match`), then a clear error saying which
font to install and how on this OS. Fonts that come with an operating
system (Microsoft YaHei, SimSun, SimHei, PingFang, Hiragino, the ST* faces)
are licensed for showing text on that computer, not for commercial images;
font owners have sued shops over exactly that, so they are never picked by
default, and a configured one gets a warning (`font_warning`). Before any
text is drawn, `check_text` makes sure the font has a glyph for every
character, so a picture never shows empty boxes (tofu).
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

_FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


@dataclass(frozen=True)
class FreeFont:
    """A CJK face free for commercial use, found by its file name (lower case regex)."""

    name: str
    licence: str
    pattern: str


# best first: Simplified Chinese sans faces (the shop writes Simplified Chinese;
# Traditional/Japanese faces draw shared characters such as 说, 门 differently)
FREE_FONTS = (
    FreeFont("Noto Sans CJK SC", "SIL OFL 1.1", r"notosanscjk(sc)?-regular\.(ttc|otc|otf)"),
    FreeFont("Noto Sans SC", "SIL OFL 1.1", r"notosanssc(\[wght\])?(-regular)?\.(otf|ttf)"),
    FreeFont("Source Han Sans SC", "SIL OFL 1.1", r"sourcehansans(sc|cn)?-regular\.(ttc|otc|otf)"),
    FreeFont("Noto Sans CJK", "SIL OFL 1.1", r"notosanscjk.*\.(ttc|otc|otf)"),
    FreeFont("Source Han Sans", "SIL OFL 1.1", r"sourcehansans.*\.(ttc|otc|otf|ttf)"),
    FreeFont("Alibaba PuHuiTi", "Alibaba PuHuiTi licence (free for commercial use)",
             r"alibaba[-_ ]?puhuiti.*(regular|55).*\.(ttf|otf)"),
    FreeFont("Alibaba PuHuiTi", "Alibaba PuHuiTi licence (free for commercial use)", r"alibaba[-_ ]?puhuiti.*\.(ttf|otf)"),
    FreeFont("HarmonyOS Sans SC", "HarmonyOS Sans licence (free for commercial use)",
             r"harmonyos[-_ ]?sans[-_ ]?sc[-_ ]?regular\.ttf"),
    FreeFont("HarmonyOS Sans SC", "HarmonyOS Sans licence (free for commercial use)", r"harmonyos[-_ ]?sans[-_ ]?sc.*\.ttf"),
    FreeFont("LXGW WenKai", "SIL OFL 1.1", r"lxgwwenkai(gb)?-regular\.ttf"),
    FreeFont("LXGW WenKai", "SIL OFL 1.1", r"lxgw.*\.ttf"),
    FreeFont("Noto Serif CJK", "SIL OFL 1.1", r"notoserifcjk.*\.(ttc|otc|otf)"),
    FreeFont("Source Han Serif", "SIL OFL 1.1", r"sourcehanserif.*\.(ttc|otc|otf)"),
    FreeFont("WenQuanYi Micro Hei", "Apache 2.0 / GPL 3 with font exception", r"wqy-microhei\.ttc"),
    FreeFont("WenQuanYi Zen Hei", "GPL 2 with font embedding exception", r"wqy-zenhei\.ttc"),
    FreeFont("Droid Sans Fallback", "Apache 2.0", r"droidsansfallback(full)?\.ttf"),
)

# fonts that come with an operating system or are sold: (file-name/family regex, name, owner)
RESTRICTED_FONTS = (
    (r"^msyh|microsoft ?yahei|微软雅黑", "Microsoft YaHei", "Microsoft / 方正 Founder"),
    (r"^msjh|jhenghei", "Microsoft JhengHei", "Microsoft"),
    (r"^n?simsun|^新?宋体$", "SimSun", "中易 Zhongyi"),
    (r"^simhei|^黑体$", "SimHei", "中易 Zhongyi"),
    (r"^simkai|^kaiti|^楷体", "KaiTi", "中易 Zhongyi"),
    (r"^simfang|^fangsong|^仿宋", "FangSong", "中易 Zhongyi"),
    (r"^deng[bl]?$|dengxian|等线", "DengXian", "Microsoft / 方正 Founder"),
    (r"mingliu", "MingLiU", "Microsoft / DynaComware"),
    (r"pingfang|苹方", "PingFang", "Apple"),
    (r"hiragino", "Hiragino", "SCREEN / Apple"),
    (r"^st(heiti|song|kaiti|fangsong|xihei|zhongsong)|华文", "华文 (ST) fonts", "常州华文 SinoType"),
    (r"^songti|^heiti|^lantinghei|^yuanti", "Apple system Chinese fonts", "Apple"),
    (r"arial ?unicode", "Arial Unicode MS", "Monotype"),
    (r"^fz|方正", "方正 Founder fonts", "方正 Founder"),
    (r"^hy|汉仪", "汉仪 Hanyi fonts", "汉仪 Hanyi"),
)


def restricted_font(path: Path) -> tuple[str, str] | None:
    """(font name, owner) when `path` is a system or commercial face, not free for product images."""
    names = [Path(path).stem.lower()]
    try:
        names.append(" ".join(ImageFont.truetype(str(path), 16, index=_face_index(Path(path))).getname()).lower())
    except (OSError, ImgpipeError):
        pass
    for pattern, name, owner in RESTRICTED_FONTS:
        if any(re.search(pattern, n) for n in names):
            return name, owner
    return None


def free_font(path: Path) -> FreeFont | None:
    """The FREE_FONTS entry whose file name `path` has, if any."""
    name = Path(path).name.lower()
    return next((f for f in FREE_FONTS if re.fullmatch(f.pattern, name)), None)


def font_warning(path: Path) -> ImgpipeError | None:
    """A warning naming the font and why, when the font in use is not free for commercial images."""
    found = restricted_font(path)
    if not found:
        return None
    name, owner = found
    return ImgpipeError(t("font.restricted", font=name, owner=owner), file=path, field="fonts.path",
                        fix=t("font.restricted.fix"))


def resolve_font(configured: str | Path | None = None, font_dirs: list[Path] | None = None) -> Path:
    """The font file to draw all text with.

    `configured` (the [fonts] path setting) wins, whatever its licence
    (`font_warning` says when it is not free); a configured file that does
    not exist is an error naming it, never a silent fallback. Empty/None:
    the best font of FREE_FONTS in `font_dirs` (default: this machine's font
    folders). Raises ImgpipeError saying what to install on this OS when
    there is none. Call it once at start.
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
    for candidate in system_font_candidates(font_dirs):
        if candidate.is_file():
            try:
                _face_index(candidate)
            except ImgpipeError:
                continue
            return candidate
    raise ImgpipeError(t("font.none_found"), field="fonts.path", fix=install_hint())


def install_hint(platform: str | None = None) -> str:
    """How to install a free CJK font on `platform` (default: this one)."""
    platform = platform or sys.platform
    if platform.startswith("win"):
        return t("font.install.windows")
    if platform == "darwin":
        return t("font.install.macos")
    return t("font.install.linux")


def font_dirs_of_this_machine() -> list[Path]:
    """Where fonts are installed on this OS (system-wide and per user)."""
    if sys.platform.startswith("win"):
        return [Path(os.environ.get("WINDIR", "C:/Windows")) / "Fonts",
                Path(os.environ.get("LOCALAPPDATA", "")) / "Microsoft/Windows/Fonts"]
    if sys.platform == "darwin":
        return [Path("~/Library/Fonts").expanduser(), Path("/Library/Fonts"), Path("/System/Library/Fonts"),
                Path("/opt/homebrew/share/fonts"), Path("/usr/local/share/fonts")]
    return [Path(p).expanduser() for p in ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts",
                                           "~/.fonts")]


def system_font_candidates(font_dirs: list[Path] | None = None) -> list[Path]:
    """Free CJK font files in `font_dirs` (default: this machine's), best first; then fontconfig's.

    Only fonts free for commercial use are candidates; fontconfig's answer
    counts only when it is one of them.
    """
    files = []
    for root in font_dirs if font_dirs is not None else font_dirs_of_this_machine():
        if root.is_dir():
            files += [p for p in root.rglob("*") if p.suffix.lower() in _FONT_SUFFIXES]
    ranked = []
    for entry in FREE_FONTS:
        ranked += sorted(p for p in files if re.fullmatch(entry.pattern, p.name.lower()) and p not in ranked)
    if font_dirs is None:
        matched = _fc_match()
        if matched and free_font(matched) and matched not in ranked:
            ranked.append(matched)
    return ranked


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
