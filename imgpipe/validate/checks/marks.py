"""marks (R2): watermark on the roles that need it, none on the white image (pure white border),
never over the product where the profile says so."""

from __future__ import annotations

import json

import numpy as np
from PIL import ImageColor

from imgpipe.profiles import Profile
from imgpipe.roles import role_of
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
            rgb = v.files.pixels(r["path"]) if v.files.path(r["path"]).is_file() else None
            # a sold-out banner spans the width: only the top strip must stay white then
            if rgb is not None and not white_border_ok(rgb, "t" if meta.get("overlays") else "tblr",
                                                       ImageColor.getrgb(profile.background)[:3]):
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
    return f.result
