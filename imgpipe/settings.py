"""Workspace settings: `imgpipe.toml` as typed, checked dataclasses."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.schema import load_dataclass, read_toml

ANCHORS = (
    "top-left", "top", "top-right",
    "left", "center", "right",
    "bottom-left", "bottom", "bottom-right",
    "tiled",
)
OUTLINES = ("auto", "always", "never")


@dataclass(frozen=True)
class WatermarkSettings:
    """The shop's own mark (R2): text or a logo PNG (alpha respected).

    size: mark width as a share of the image width (0.02–1.0).
    opacity: 0–1. margin: gap to the edge as a share of the image width.
    outline: "auto" draws an outline in the contrasting colour round a mark
    that would not read where it lands (WCAG contrast of strokes to their
    surroundings below watermark.MIN_CONTRAST), "always", or "never".
    """

    text: str = ""
    logo: str = ""
    position: str = "bottom-right"
    opacity: float = 0.35
    size: float = 0.25
    margin: float = 0.03
    colour: str = "#FFFFFF"
    shadow: bool = True
    outline: str = "auto"

    def check(self):
        if self.position not in ANCHORS:
            yield "position", " / ".join(ANCHORS)
        if self.outline not in OUTLINES:
            yield "outline", " / ".join(OUTLINES)
        if not 0 < self.opacity <= 1:
            yield "opacity", "0..1"
        if not 0.02 <= self.size <= 1:
            yield "size", "0.02..1 (share of the image width)"
        if not 0 <= self.margin <= 0.3:
            yield "margin", "0..0.3"


@dataclass(frozen=True)
class FontSettings:
    """A font file for all text on images; empty = find a CJK font on this machine."""

    path: str = ""


@dataclass(frozen=True)
class CutoutSettings:
    """The product cut-out of white-background and transparent images.

    model: an installed model's name (`imgpipe model install`; looked up in
    the workspace's models/, then the user's data folder: models.resolve) or
    an ONNX salient-object model file (a U²-Net, IS-Net or BiRefNet export,
    needs `pip install onnxruntime`), relative to the workspace; empty = the
    classical cut-out, which needs a plain backdrop.
    model_size: px the photo's long side is fed at, its short side following its aspect
    (0 = the model's own size; a fixed-size model is rewritten to it when `onnx` is
    installed, else fed at its own size; IS-Net at 768: 1.5 CPU-s a photo instead of
    2.8, thin straps and handles less exact: docs/roles.md).
    model_normalise: "auto" (chosen from the model), "imagenet" (U²-Net, BiRefNet)
    or "isnet" (IS-Net: RGB/255 - 0.5).
    """

    model: str = ""
    model_size: int = 0
    model_normalise: str = "auto"

    def check(self):
        from imgpipe.messages import t

        if self.model_normalise not in ("auto", "imagenet", "isnet"):
            yield "model_normalise", t("cutout.model_normalise.bad", value=self.model_normalise)
        if self.model_size and not 128 <= self.model_size <= 2048:
            yield "model_size", t("cutout.model_size.bad", value=self.model_size)


COLOUR_MODES = ("auto", "reference", "off")


def _colour_problems(mode, strength, gains):
    if mode is not None and mode not in COLOUR_MODES:
        yield "mode", " / ".join(COLOUR_MODES)
    if strength is not None and not 0 <= strength <= 1:
        yield "strength", "0..1"
    if gains and (len(gains) != 3 or min(gains) <= 0):
        yield "gains", "three positive numbers [r, g, b] (linear-light multipliers)"


@dataclass(frozen=True)
class ArticleColour:
    """One article's colour overrides (`[colour.articles.A1023]`); unset keys inherit."""

    mode: str | None = None
    strength: float | None = None
    gains: list[float] = field(default_factory=list)

    def check(self):
        yield from _colour_problems(self.mode, self.strength, self.gains)


@dataclass(frozen=True)
class ColourPlan:
    """The colour rules in force for one article (what `ColourSettings.for_article` gives)."""

    mode: str
    strength: float
    gains: tuple[float, ...]


@dataclass(frozen=True)
class ColourSettings:
    """Colour correction (R8), for the workspace and per article.

    mode: auto (estimate from the backdrop; a grey card/chart shot wins when
    there is one), reference (grey card/chart only; photos without one fall
    back to auto, with a warning) or off. strength: 0–1 share of the
    correction applied. gains: manual linear-light [r, g, b] multipliers that
    replace any estimate.
    """

    mode: str = "auto"
    strength: float = 1.0
    gains: list[float] = field(default_factory=list)
    reference_window_minutes: float = 120.0
    articles: dict[str, ArticleColour] = field(default_factory=dict)

    def check(self):
        yield from _colour_problems(self.mode, self.strength, self.gains)

    def for_article(self, article: str) -> ColourPlan:
        own = self.articles.get(article, ArticleColour())
        return ColourPlan(
            mode=own.mode or self.mode,
            strength=self.strength if own.strength is None else own.strength,
            gains=tuple(own.gains or self.gains),
        )


@dataclass(frozen=True)
class ColourNameSettings:
    """The shop's own colour names (`[colours.names]`), added to colour_names' lexicon.

    An entry is a sample colour (`{ sample = "#A0632E" }` or `"#A0632E"`, or
    `{ lab = [L, a, b] }`; `tolerance` = the region's radius in ΔE, default
    10), an L*C*h region (`{ L = [lo, hi], C = [lo, hi], h = [from, to] }`,
    L* 0-100, C* 0-~130, h in degrees) or the name of a known colour (an alias).
    """

    names: dict[str, object] = field(default_factory=dict)

    def check(self):
        from imgpipe.colour_names import DEFAULT
        from imgpipe.messages import t

        for name, spec in self.names.items():
            try:
                DEFAULT.extended({name: spec})
            except ValueError as exc:
                yield f"names.{name}", t("colours.names.bad", detail=exc)

    def lexicon(self):
        """colour_names.DEFAULT with these names added (a name here wins over a built-in one)."""
        from imgpipe.colour_names import DEFAULT

        return DEFAULT.extended(self.names) if self.names else DEFAULT


@dataclass(frozen=True)
class BackupSettings:
    """Where copies go (R9): a folder, a mounted share, or sftp://user@host/path."""

    target: str = ""
    key_file: str = ""
    port: int = 22
    after_run: bool = True


@dataclass(frozen=True)
class SoldOutSettings:
    """Overlay texts (R11). text: the whole article; colour_text: one colour ({colour});
    size_text: one size of one colour, on that colour's SKU image ({size} = "红色 XL", {colour} = "红色")."""

    text: str = "已售罄"
    colour_text: str = "{colour} 已售完"
    size_text: str = "{size} 已售完"
    banner_colour: str = "#C8102E"


@dataclass(frozen=True)
class WatchSettings:
    settle_seconds: float = 1.0
    poll_interval: float = 2.0


@dataclass(frozen=True)
class SlaSettings:
    """The three-day rule (R1): calendar days from arrival to on sale."""

    days: int = 3


@dataclass(frozen=True)
class Settings:
    """imgpipe.toml. language: the interface (CLI, reports, board); listing_language:
    the text customers see on images and detail pages. Both "zh" or "en"."""

    language: str = "zh"
    listing_language: str = "zh"
    platforms: list[str] = field(default_factory=lambda: ["tmall", "jd", "1688"])
    max_megapixels: float = 150.0
    jobs: int = 0
    watermark: WatermarkSettings = field(default_factory=WatermarkSettings)
    fonts: FontSettings = field(default_factory=FontSettings)
    cutout: CutoutSettings = field(default_factory=CutoutSettings)
    colour: ColourSettings = field(default_factory=ColourSettings)
    colours: ColourNameSettings = field(default_factory=ColourNameSettings)
    backup: BackupSettings = field(default_factory=BackupSettings)
    soldout: SoldOutSettings = field(default_factory=SoldOutSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    sla: SlaSettings = field(default_factory=SlaSettings)

    def check(self):
        if self.language not in ("zh", "en"):
            yield "language", "zh / en"
        if self.listing_language not in ("zh", "en"):
            yield "listing_language", "zh / en"
        if not self.platforms:
            yield "platforms", "at least one platform"
        if self.max_megapixels <= 0:
            yield "max_megapixels", "> 0"

    def fingerprint(self, *sections: str) -> str:
        """Hash of the named sections (e.g. "watermark", "fonts"): outputs depend on them."""
        payload = {s: dataclasses.asdict(getattr(self, s)) for s in sections}
        return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def load_settings(path: Path) -> Settings:
    return load_dataclass(Settings, read_toml(path), path)


DEFAULT_TOML = """\
# imgpipe workspace settings. Every key is optional; these are the defaults.

language = "zh"                       # "zh" or "en": commands, messages, reports and board
listing_language = "zh"               # "zh" or "en": text on the images and detail pages customers see
platforms = ["tmall", "jd", "1688"]   # profiles/<name>.toml; add a file to add a platform
max_megapixels = 150                  # larger photos are refused (decompression-bomb guard)
jobs = 0                              # worker processes; 0 = one per CPU core

[watermark]                           # the shop's own mark (R2)
text = "禾象旗舰店"                    # or: logo = "logo.png" (PNG with transparency)
position = "bottom-right"             # top-left … bottom-right, center, or "tiled"
opacity = 0.35                        # 0..1
size = 0.25                           # mark width as a share of the image width
margin = 0.03                         # gap to the edge as a share of the image width
outline = "auto"                      # auto: outline a mark that would not read (light on white); always | never

[fonts]
path = ""                             # a .ttf/.otf/.ttc with Chinese glyphs; empty = find one

[cutout]                              # white-background and transparent images
model = ""                            # an installed model ("isnet-general-use": imgpipe model list) or a file "models/u2netp.onnx":
                                      # cuts products out of any scene; empty = classical cut-out (plain backdrops only)
# model_size = 0                      # px the photo's long side is fed at; 0 = the model's own (IS-Net 1024: ~3 s CPU a photo; 768: ~1.5 s, less exact)
# model_normalise = "auto"            # auto | imagenet (U²-Net, BiRefNet) | isnet

[colour]                              # colour true to the object (R8)
mode = "auto"                         # auto | reference | off
strength = 1.0                        # 0..1 share of the estimated correction applied
reference_window_minutes = 120        # a grey card/chart shot corrects photos within this time
# gains = [1.0, 1.0, 1.0]             # manual linear-light multipliers instead of any estimate
# per article, e.g. a product whose colour must be left as shot:
# [colour.articles.A1023]
# mode = "off"                        # or "reference"; strength and gains work here too

[colours.names]                       # the shop's own colour names (in quotes), for SKU images by colour
# "雾霾蓝" = { sample = "#7A8B9C" }    # a sample colour (or lab = [L, a, b]); tolerance = 10 (ΔE) by default
# "奶茶" = { L = [60, 80], C = [10, 30], h = [50, 85] }   # an L*C*h region
# "砖红" = "红"                        # another name for a known colour

[backup]                              # every image on another computer (R9)
target = ""                           # "D:/备份/shop", "//nas/share/shop" or "sftp://user@host/path"
key_file = ""                         # SSH key for sftp targets (else the SSH agent)

[soldout]                             # overlay texts (R11)
text = "已售罄"
colour_text = "{colour} 已售完"
size_text = "{size} 已售完"                # one size of one colour ({size} = "红色 XL"), on its SKU image

[watch]
settle_seconds = 1.0                  # a file must be unchanged this long before it is taken
poll_interval = 2.0                   # seconds between scans with `imgpipe watch --poll`

[sla]
days = 3                              # new stock on sale within this many calendar days (R1)
"""
