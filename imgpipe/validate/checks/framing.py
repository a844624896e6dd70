"""framing: whole-product images fill their frame, transparent images are cut out.

(A white image's pure-white border is the marks check's, roles.Role.pure_white.)

- main / white / sku images of whole-product photos: the product's long
  side spans FILL_RANGE of the frame's (a close-up fills the frame and is
  not measured);
- transparent images: PNG with alpha, transparent corners, an opaque
  product, not a faint ghost.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from imgpipe import framing
from imgpipe.roles import role_of
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

FILL_RANGE = (0.60, 0.92)   # share of the frame's long side a whole product spans


def check(v, a: ArticleInputs) -> CheckResult:
    f = Finder("framing")
    if a.plan is None:
        return f.result
    ctx = v.context(a.article)
    close_up = ctx.close_up if ctx is not None else frozenset()
    for job in a.plan[0]:
        role = role_of(job.role, a.profile.roles.get(job.role)).name
        if role not in ("main", "white", "sku", "transparent") or job.photo_id in close_up:
            continue
        path = v.files.path(job.path)
        if not path.is_file():
            continue  # freshness reports it
        if role == "transparent":
            _check_alpha(f, path, job.path)
            continue
        if job.params.get("overlays"):
            continue  # a sold-out banner spans the frame: the product cannot be measured
        pixels = v.files.pixels(job.path)
        if pixels is None:
            continue
        box = framing.find_product_box(pixels)
        if not box.confident:
            continue
        fill = max(box.width / pixels.shape[1], box.height / pixels.shape[0])
        if not FILL_RANGE[0] <= fill <= FILL_RANGE[1]:
            f.warning("fill_out_of_range", job.path, fill=f"{fill:.0%}", low=f"{FILL_RANGE[0]:.0%}",
                      high=f"{FILL_RANGE[1]:.0%}")
    return f.result


def _check_alpha(f: Finder, path, rel: str) -> None:
    with Image.open(path) as img:
        if img.mode != "RGBA":
            f.error("transparent_no_alpha", rel, mode=img.mode)
            return
        a = np.asarray(img.getchannel("A"))
    corners = [a[0, 0], a[0, -1], a[-1, 0], a[-1, -1]]
    opaque = float((a == 255).mean())
    partial = float(((a > 0) & (a < 255)).mean())
    if max(corners) > 0 or opaque < 0.05 or partial > 0.5 * max(opaque, 1e-6):
        f.error("transparent_alpha", rel, opaque=f"{opaque:.0%}", partial=f"{partial:.0%}")
