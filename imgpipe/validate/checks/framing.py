"""framing: whole-product images fill their frame, white images leave room, transparent images are cut out.

- main / white / sku images of whole-product photos: the product's long
  side spans FILL_RANGE of the frame's (a close-up fills the frame and is
  not measured);
- white images: the product keeps off the frame's edge (a product touching
  it was cut by the frame or its backdrop was left);
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
EDGE_SHARE = 0.01           # a white image's outer 1 % is pure background


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
        if role == "white" and _touches_edge(pixels):
            f.error("white_touches_edge", job.path)
    return f.result


def _touches_edge(pixels: np.ndarray) -> bool:
    """Anything but the background colour (read at the corners) in the outer EDGE_SHARE of the frame."""
    h, w = pixels.shape[:2]
    k = max(2, round(min(h, w) * EDGE_SHARE))
    bg = pixels[0, 0].astype(int)
    ring = np.concatenate([pixels[:k].reshape(-1, 3), pixels[-k:].reshape(-1, 3),
                           pixels[:, :k].reshape(-1, 3), pixels[:, -k:].reshape(-1, 3)]).astype(int)
    return bool((np.abs(ring - bg).max(axis=1) > 8).mean() > 0.002)


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
