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
from imgpipe.schema import load_dataclass, merge, read_toml

ROLES = ("main", "white", "large", "detail", "selling_point", "sku")
WATERMARK_MODES = ("none", "all", "outside_product")


@dataclass(frozen=True)
class RoleSpec:
    """How one image role is made for a platform.

    width, height: output size in pixels; height 0 keeps the aspect ratio
    (width-normalised images); both set gives a framed image of that size.
    max_bytes: hard cap per file. count: most images of this role (0 = no limit).
    fill: share of the longer side the product spans in framed roles (0.3–1.0).
    watermark: "none", "all", or "outside_product" (never over the product box).
    """

    width: int
    height: int = 0
    max_bytes: int = 3 * 1024 * 1024
    count: int = 0
    fill: float = 0.8
    watermark: str = "none"
    upscale: bool = False
    enabled: bool = True

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

    @property
    def framed(self) -> bool:
        return self.height > 0


@dataclass(frozen=True)
class DetailPageSpec:
    """Detail page: rendered at `width` px, cut into slices <= `slice_height` px."""

    width: int = 790
    mobile_width: int = 750
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
        for role in self.roles:
            if role not in ROLES:
                yield "roles", f"roles are {', '.join(ROLES)}; '{role}' is not one"
        if not 30 <= self.jpeg_quality <= 100:
            yield "jpeg_quality", "30..100"
        if not 10 <= self.min_jpeg_quality <= self.jpeg_quality:
            yield "min_jpeg_quality", "10..jpeg_quality"
        if self.title_max_units < 1:
            yield "title_max_units", ">= 1"

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def role(self, name: str) -> RoleSpec | None:
        spec = self.roles.get(name)
        return spec if spec is not None and spec.enabled else None

    def fingerprint(self, role: str) -> str:
        """Hash of everything that shapes images of `role`: a change redoes just those."""
        spec = self.roles.get(role)
        payload = {
            "role": dataclasses.asdict(spec) if spec else None,
            "q": (self.jpeg_quality, self.min_jpeg_quality, self.background, self.flatten_alpha),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


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
