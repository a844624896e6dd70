"""marks (R2): watermark on the roles that need it, none on the white image (pure white border),
never over the product where the profile says so, and legible where it lands.

Legibility is measured on the output file: the mark's strokes (rebuilt from
the settings at the recorded box, watermark.strokes_for_box) against a thin
ring around them, as a WCAG contrast ratio (watermark.mark_contrast); below
watermark.MIN_CONTRAST a warning, below watermark.INVISIBLE_CONTRAST an
error. Images under a sold-out banner and marks whose stamp no longer
matches the settings (the freshness check's) are not measured.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
from PIL import ImageColor

from imgpipe import watermark
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t
from imgpipe.profiles import Profile
from imgpipe.roles import role_of
from imgpipe.validate.files import identity
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

WHITE_BORDER_MIN = 250          # 0-255: a "pure white" border pixel after JPEG (255 before)
WHITE_BORDER_MEAN = 254.0       # 0-255: mean over the border strip


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_marks(v, a.profile, a.rows)


def white_border_ok(rgb: np.ndarray, sides: str = "tblr", colour: tuple[int, int, int] = (255, 255, 255)) -> bool:
    """True when the border strip (2 % of the width, >= 4 px) on `sides` is pure white (or `colour`)."""
    h, w = rgb.shape[:2]
    b = max(4, w // 50)
    parts = {"t": rgb[:b], "b": rgb[-b:], "l": rgb[:, :b], "r": rgb[:, -b:]}
    strip = np.concatenate([parts[s].reshape(-1, 3) for s in sides]).astype(np.int16)
    off = np.abs(strip - np.asarray(colour, np.int16))
    return bool(off.max() <= 255 - WHITE_BORDER_MIN and off.mean() <= 255 - WHITE_BORDER_MEAN)


def boxes_intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check_marks(v, profile: Profile, rows) -> CheckResult:
    f = Finder("marks")
    wm = v.settings.watermark
    configured = bool(wm.text or wm.logo)
    needs = [r for r in rows if (profile.roles.get(r["role"]) and profile.roles[r["role"]].watermark != "none")]
    if needs and not configured:
        f.error("no_watermark_set")
    for r in rows:
        spec = profile.roles.get(r["role"])
        if spec is None:
            continue
        meta = json.loads(r["meta"] or "{}")
        boxes = meta.get("watermark_boxes") or []
        if role_of(r["role"], spec).pure_white:
            if boxes:
                f.error("mark_on_white", r["path"])
            # a sold-out banner spans the width: only the top strip must stay white then
            sides, colour = "t" if meta.get("overlays") else "tblr", ImageColor.getrgb(profile.background)[:3]
            if not _border_ok(v, r["path"], sides, colour):
                f.error("white_border", r["path"])
            continue
        if spec.watermark == "none" or not configured:
            continue
        if not boxes:
            if meta.get("watermark_skipped"):
                f.warning("mark_skipped", r["path"])
            else:
                f.error("mark_missing", r["path"])
            continue
        if spec.watermark == "outside_product":
            product_box = meta.get("product_box")
            if not product_box:
                f.error("product_box_unknown", r["path"])
            elif any(boxes_intersect(b, product_box) for b in boxes):
                f.error("mark_over_product", r["path"])
        if not meta.get("overlays"):  # a sold-out banner may lie over the mark
            _check_legible(v, f, r["path"], boxes, bool(meta.get("watermark_outlined")))
    return f.result


def _border_ok(v, rel: str, sides: str, colour) -> bool:
    """white_border_ok on the file's pixels (True when there are none), kept with the file version."""
    def compute():
        rgb = v.files.pixels(rel) if v.files.path(rel).is_file() else None
        return rgb is None or white_border_ok(rgb, sides, colour)

    return v.files.measure(rel, f"white_border:{sides}:{list(colour)}", compute)


def _check_legible(v, f: Finder, rel: str, boxes, outlined: bool) -> None:
    contrast = mark_contrast_in_file(v, rel, boxes)
    if contrast is None:
        return
    fields = dict(ratio=f"{contrast:.2f}", level=f"{watermark.MIN_CONTRAST:g}",
                  advice=legibility_advice(v.settings.watermark, outlined))
    if contrast < watermark.INVISIBLE_CONTRAST:
        f.error("mark_invisible", rel, **fields)
    elif contrast < watermark.MIN_CONTRAST:
        f.warning("mark_faint", rel, **fields)


def legibility_advice(wm, outlined: bool):
    """What would make a faint mark read, from the workspace's own [watermark] (a message).

    outline = "never": turn the outline on. "auto" with the mark drawn plain (it measured legible
    while drawing, not in the file): outline = "always". Outlined already ("always", or "auto"
    that drew it): the outline is spent; a higher opacity (while below 1) or another colour.
    """
    stronger = round(min(1.0, wm.opacity + 0.25), 2)
    if wm.outline == "never":
        return t("validate.mark.advice_outline")
    if wm.outline == "auto" and not outlined:
        return t("validate.mark.advice_always", opacity=f"{wm.opacity:g}", stronger=f"{stronger:g}")
    if wm.opacity < 1:
        return t("validate.mark.advice_opacity", outline=wm.outline, opacity=f"{wm.opacity:g}",
                 stronger=f"{stronger:g}")
    return t("validate.mark.advice_colour", outline=wm.outline)


def mark_contrast_in_file(v, rel: str, boxes) -> float | None:
    """The lowest WCAG contrast of the marks drawn at `boxes` in output `rel`; None: not measurable.

    Kept with the file version, under the mark's settings, font and logo file."""
    wm = v.settings.watermark
    try:
        font = v.ws.font_path() if wm.text and not wm.logo else None
    except ImgpipeError:
        return None  # no font: the run reports that, with its fix
    font = Path(font) if font else None
    logo = _logo_path(v.root, wm.logo) if wm.logo else None
    files = [identity(p.stat()) if p is not None and p.is_file() else None for p in (font, logo)]
    key = "contrast:" + hashlib.sha256(json.dumps(
        [dataclasses.asdict(wm), str(font), files, boxes], sort_keys=True, default=str).encode()).hexdigest()[:16]
    return v.files.measure(rel, key, lambda: _mark_contrast(v, rel, boxes))


def _mark_contrast(v, rel: str, boxes) -> float | None:
    rgb = v.files.pixels(rel) if v.files.path(rel).is_file() else None
    wm = v.settings.watermark
    if rgb is None or rgb.ndim != 3:
        return None
    try:
        font_path = v.ws.font_path() if wm.text and not wm.logo else None
        logo = watermark.load_logo(_logo_path(v.root, wm.logo)) if wm.logo else None
    except ImgpipeError:
        return None  # no font / logo: the run reports that, with its fix
    found = []
    for box in boxes:
        x0, y0, x1, y1 = (int(c) for c in box)
        strokes = watermark.strokes_for_box(wm, font_path, logo, rgb.shape[1], (x0, y0, x1, y1))
        if strokes is not None and y1 <= rgb.shape[0]:
            value = watermark.mark_contrast(np.ascontiguousarray(rgb[y0:y1, x0:x1, :3]), strokes)
            if value is not None:
                found.append(value)
    return min(found) if found else None


def _logo_path(root, logo: str) -> Path:
    return Path(logo) if Path(logo).is_absolute() else Path(root) / logo
