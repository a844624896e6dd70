"""Per-platform profiles: image sizes, byte caps, watermark rules, page widths.

Profiles are data (`profiles/<platform>.toml`). A workspace may override any
value, or add a platform, with its own `profiles/<platform>.toml`; the two are
merged key by key. Everything is checked on load, so a typo fails at start
with the file and key named, not after 500 images.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.errors import ConfigError
from imgpipe.messages import t
from imgpipe.resources import builtin_dir
from imgpipe.roles import ROLES
from imgpipe.schema import load_dataclass, merge, read_toml

WATERMARK_MODES = ("none", "all", "outside_product")
FORMATS = ("jpg", "png")  # what the outputs can be written as ("jpeg" is read as "jpg")
SHADOW_MODES = ("remove", "keep")  # the product's soft contact shadow on cut-out images
CUT_OUT_SHAPES = ("white", "transparent")  # the shapes that cut the product out (and so know its shadow)


# A photo enlarged by up to 10 % (bicubic) looks as sharp as it was; beyond that the softness
# shows on a product's texture and edges, so the profile must ask for it (`upscale = true`).
QUIET_ENLARGE = 1.1


def brought_to_width(have: int, want: int, upscale: bool = False) -> bool:
    """Whether an image `have` pixels wide is scaled to `want` pixels: always when it is wider, by
    up to QUIET_ENLARGE unasked, by any factor when the role allows `upscale`."""
    return have >= want or upscale or have * QUIET_ENLARGE >= want


@dataclass(frozen=True)
class RoleSpec:
    """How one image role is made for a platform.

    width, height: output size in pixels; height 0 keeps the aspect ratio
    (width-normalised images); both set gives a framed image of that size.
    max_bytes: hard cap per file. count: most images of this role (0 = no limit).
    fill: share of the longer side the product spans in framed roles (0.3–1.0).
    watermark: "none", "all", or "outside_product" (never over the product box).
    like: for a role the profile adds, the registered role it works like (roles.py).
    format: "jpg" or "png"; empty = the profile's first `formats` entry.
    same_scale: framed roles keep one scale across the article's photos (the
    product keeps its size from image to image); default: each whole-product
    image fills `fill` of its frame, a close-up fills the frame.
    shadow: cut-out roles (white, transparent): "remove" the product's soft
    contact shadow (pure background around it) or "keep" it as a soft grey
    (white) or a translucent dark (transparent) under the product.
    categories: made only for articles whose sheet category (类目) is one of
    these (e.g. 3:4 main images for apparel); empty = every article.
    """

    width: int
    height: int = 0
    max_bytes: int = 3 * 1024 * 1024
    count: int = 0
    fill: float = 0.8
    watermark: str = "none"
    upscale: bool = False
    enabled: bool = True
    like: str = ""
    format: str = ""
    same_scale: bool = False   # main images: one scale for the article's set instead of each filling `fill`
    shadow: str = "remove"
    categories: list[str] = field(default_factory=list)

    def check(self):
        if not 16 <= self.width <= 10000:
            yield "width", "16..10000 pixels"
        if self.height and not 16 <= self.height <= 10000:
            yield "height", "0 or 16..10000 pixels"
        if self.max_bytes < 10_000:
            yield "max_bytes", "at least 10000 bytes"
        if self.count < 0:
            yield "count", ">= 0"
        if not 0.3 <= self.fill <= 1.0:
            yield "fill", "0.3..1.0"
        if self.watermark not in WATERMARK_MODES:
            yield "watermark", " / ".join(WATERMARK_MODES)
        if self.shadow not in SHADOW_MODES:
            yield "shadow", " / ".join(SHADOW_MODES)
        if any(not isinstance(c, str) or not c.strip() for c in self.categories):
            yield "categories", 'a list of the sheet\'s categories (类目), e.g. ["服装"]; empty = every article'

    def made_for(self, category: str | None) -> bool:
        """Whether an article of `category` (the sheet's 类目; None: not known) gets this role."""
        return not self.categories or category is None or category.strip() in self.categories

    @property
    def framed(self) -> bool:
        return self.height > 0


@dataclass(frozen=True)
class DetailPageSpec:
    """Detail page: rendered at `width` px, cut into slices <= `slice_height` px."""

    width: int = 790
    slice_height: int = 1500
    max_bytes: int = 3 * 1024 * 1024
    base_font_px: int = 24
    sections: list[str] = field(
        default_factory=lambda: ["header", "selling_points", "specs", "details", "footer"]
    )

    def check(self):
        if not 320 <= self.width <= 2000:
            yield "width", "320..2000 pixels"
        if not 200 <= self.slice_height <= 10000:
            yield "slice_height", "200..10000 pixels"


@dataclass(frozen=True)
class Profile:
    """One platform's rules (Tmall, JD, 1688, or one a workspace adds)."""

    name: str
    label_zh: str
    label_en: str
    roles: dict[str, RoleSpec]
    detail_page: DetailPageSpec = field(default_factory=DetailPageSpec)
    title_max_units: int = 60
    formats: list[str] = field(default_factory=lambda: ["jpg"])
    flatten_alpha: bool = True
    jpeg_quality: int = 90
    min_jpeg_quality: int = 50
    background: str = "#FFFFFF"

    def check(self):
        known = ", ".join(ROLES)
        wrong = [f for f in self.formats if _format(f) not in FORMATS]
        if wrong or not self.formats:
            yield "formats", f"a list of {' / '.join(FORMATS)}; '{(wrong or [''])[0]}' cannot be written"
        for name, spec in self.roles.items():
            key = f"roles.{name}"
            if not spec.enabled:
                continue  # not made: nothing to refuse
            if spec.like and spec.like not in ROLES:
                yield f"{key}.like", f"one of {known}"
                continue
            if name not in ROLES and not spec.like:
                yield f"{key}.like", f"'{name}' is not a role imgpipe knows; to add it, say which one it works like: {known}"
                continue
            role = ROLES[spec.like or name]
            if role.framed and not spec.height:
                yield f"{key}.height", f"16..10000 pixels: a {role.name} image is framed at width × height"
            if not role.framed and spec.height:
                yield f"{key}.height", f"0 (not set): a {role.name} image keeps the photo's aspect at its width"
            if spec.shadow != "remove" and role.shape not in CUT_OUT_SHAPES:
                yield f"{key}.shadow", f"remove (not set): only {' / '.join(CUT_OUT_SHAPES)} images cut the product out"
            if spec.watermark == "outside_product" and not role.framed:
                yield f"{key}.watermark", "none / all: only framed images know where the product is"
            fmt = self.output_format(name)
            if fmt not in [_format(f) for f in self.formats]:
                yield f"{key}.format", f"one of the profile's formats ({', '.join(self.formats)})"
            if role.alpha and (fmt != "png" or self.flatten_alpha):
                yield f"{key}.format", "png, with flatten_alpha = false: this image keeps its transparency"
        if not 30 <= self.jpeg_quality <= 100:
            yield "jpeg_quality", "30..100"
        if not 10 <= self.min_jpeg_quality <= self.jpeg_quality:
            yield "min_jpeg_quality", "10..jpeg_quality"
        if self.title_max_units < 1:
            yield "title_max_units", ">= 1"

    def output_format(self, role: str) -> str:
        """"jpg" or "png": the role's own `format`, else the profile's first accepted format."""
        spec = self.roles.get(role)
        return _format((spec.format if spec else "") or (self.formats[0] if self.formats else "jpg"))

    def active_roles(self, category: str | None = None) -> list[tuple[str, RoleSpec]]:
        """The enabled roles: the registered ones in registry order, then those the profile adds.

        category: the article's (sheet 类目): only the roles made for it (`RoleSpec.categories`)."""
        order = {name: i for i, name in enumerate(ROLES)}
        named = sorted(self.roles.items(), key=lambda item: order.get(item[0], len(order)))
        return [(name, spec) for name, spec in named if spec.enabled and spec.made_for(category)]

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def role(self, name: str) -> RoleSpec | None:
        spec = self.roles.get(name)
        return spec if spec is not None and spec.enabled else None

    def fingerprint(self, role: str) -> str:
        """Hash of everything that shapes images of `role`: a change redoes just those.

        Kept on the (frozen) profile: planning asks it once per output, ~1 ms each.
        """
        known = self.__dict__.setdefault("_fingerprints", {})
        if role not in known:
            spec = self.roles.get(role)
            shape = dataclasses.asdict(spec) if spec else None
            if shape is not None:
                del shape["categories"]  # which articles get a role is not how its images look
            payload = {
                "role": shape,
                "q": (self.jpeg_quality, self.min_jpeg_quality, self.background, self.flatten_alpha),
            }
            known[role] = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]
        return known[role]


def _format(name: str) -> str:
    name = name.lower().lstrip(".")
    return "jpg" if name == "jpeg" else name


def builtin_profiles_dir() -> Path:
    return builtin_dir("profiles")


def available_profiles(workspace_dir: Path | None = None) -> dict[str, list[Path]]:
    """Platform name -> the profile files that define it (built-in first)."""
    found: dict[str, list[Path]] = {}
    dirs = [builtin_profiles_dir()]
    if workspace_dir is not None:
        dirs.append(workspace_dir / "profiles")
    for folder in dirs:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                found.setdefault(path.stem, []).append(path)
    return found


def load_profile(name: str, workspace_dir: Path | None = None) -> Profile:
    files = available_profiles(workspace_dir)
    if name not in files:
        raise ConfigError(
            t("config.unknown_platform", name=name),
            fix=t("config.unknown_platform.fix", known=", ".join(sorted(files)), name=name),
        )
    data: dict = {"name": name}
    for path in files[name]:
        data = merge(data, read_toml(path))
    return load_dataclass(Profile, data, files[name][-1])


def load_profiles(names, workspace_dir: Path | None = None) -> dict[str, Profile]:
    return {name: load_profile(name, workspace_dir) for name in names}
