"""framing: whole-product images fill their frame, transparent images are cut out.

(A white image's pure-white border is the marks check's, roles.Role.pure_white.)

- main / white / sku images of whole-product photos: the product's long
  side spans FILL_RANGE of the frame's (a close-up fills the frame and is
  not measured);
- transparent images: PNG with alpha, transparent corners, an opaque
  product, not a faint ghost;
- white and transparent images: no backdrop left inside the product's
  holes (a handle, a strap): `backdrop_in_holes`; and made from a photo
  shot on a plain backdrop, not in a scene (`cutout_scene`): there is no
  cut-out to publish.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from imgpipe import framing
from imgpipe.roles import role_of
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

FILL_RANGE = (0.60, 0.92)   # share of the frame's long side a whole product spans
HOLE_BACKDROP_DE = 8.0      # a pixel within this ΔE (CIELAB) of the photo's backdrop looks like backdrop
HOLE_RIM_DE = 16.0          # ... a hole's rim (the product around it) differs by at least this at its median
HOLE_MIN_SHARE = 0.001      # a backdrop patch of at least 0.1 % of the frame counts (smaller: a speck)
HOLE_MIN_WIDTH = 0.02       # ... at least 2 % of the frame's short side wide (narrower: a stripe of the print)


def check(v, a: ArticleInputs) -> CheckResult:
    f = Finder("framing")
    if a.plan is None:
        return f.result
    ctx = v.context(a.article)
    close_up = ctx.close_up if ctx is not None else frozenset()
    for job in a.plan[0]:
        checks = role_of(job.role, a.profile.roles.get(job.role)).checks
        if "framed" not in checks or job.photo_id in close_up:
            continue
        path = v.files.path(job.path)
        if not path.is_file():
            continue  # freshness reports it
        if "cut_out" in checks:
            noise = _backdrop_noise(ctx, job)
            if not framing.is_plain(noise) and not v.ws.settings.cutout.model:  # a model cuts scenes out
                f.error("cutout_scene", job.path, noise=f"{noise:.0f}", limit=f"{framing.PLAIN_NOISE:.0f}")
                continue
            _check_holes(v, f, ctx, job)
        if "alpha" in checks:
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


def _analysis(ctx, job) -> dict:
    try:
        return (ctx.photo(job.photo_id).analysis if ctx is not None else None) or {}
    except (KeyError, LookupError, StopIteration):
        return {}


def _backdrop_noise(ctx, job) -> float | None:
    """The photo's border ΔE to its backdrop (framing.border_noise), None if not measured."""
    return _analysis(ctx, job).get("backdrop_noise")


def _check_holes(v, f: Finder, ctx, job) -> None:
    """Backdrop left inside holes, judged against the backdrop the photo's analysis measured."""
    backdrop = _analysis(ctx, job).get("backdrop_rgb")
    if not backdrop:
        return
    if job.path.lower().endswith(".png"):
        with Image.open(v.files.path(job.path)) as img:
            pixels = np.asarray(img.convert("RGBA")) if "A" in img.getbands() else None
    else:
        pixels = None
    if pixels is None:
        pixels = v.files.pixels(job.path)
    if pixels is None:
        return
    share = backdrop_in_holes(pixels, tuple(backdrop))
    if share >= HOLE_MIN_SHARE:
        f.error("backdrop_in_holes", job.path, share=f"{share:.1%}")


def backdrop_in_holes(pixels: np.ndarray, backdrop_rgb: tuple[int, int, int]) -> float:
    """Share of the frame (0-1) that is the photo's backdrop left inside the product's holes."""
    return float(backdrop_holes(pixels, backdrop_rgb).mean())


def backdrop_holes(pixels: np.ndarray, backdrop_rgb: tuple[int, int, int]) -> np.ndarray:
    """The photo's backdrop left inside the product's holes: bool HxW.

    pixels: uint8 HxWx3 (a white image: >= 250 in every channel is white) or
    HxWx4 (a transparent image: alpha 0 is clear). A patch counts when its
    pixels are within HOLE_BACKDROP_DE of `backdrop_rgb` (the backdrop the
    analysis measured on the photo's border), it is enclosed by the product
    (touches neither the clear outside nor the frame's edge, even through
    pixels within twice that ΔE: a print band that fades into the product's
    shading towards its outline is not enclosed), it is at
    least HOLE_MIN_SHARE of the frame and HOLE_MIN_WIDTH wide, and the product around it differs
    from the backdrop by HOLE_RIM_DE at its median: a hole has a sharp
    rim, while a pale product's own shading slides into the backdrop's
    colour gradually (a white mug's inside on a pale sweep is no hole).
    """
    h, w = pixels.shape[:2]
    rgb = np.ascontiguousarray(pixels[..., :3])
    clear = pixels[..., 3] == 0 if pixels.shape[-1] == 4 else (rgb >= 250).all(axis=-1)
    lab = framing._lab(rgb)
    ref = framing._lab(np.asarray(backdrop_rgb, np.uint8).reshape(1, 1, 3))[0, 0]
    delta_e = np.linalg.norm(lab - ref, axis=-1)
    like = (delta_e <= HOLE_BACKDROP_DE) & ~clear
    # the clear outside: clear pixels connected to the frame's edge
    count, labels = cv2.connectedComponents(np.pad(clear, 1, constant_values=True).astype(np.uint8), connectivity=4)
    outside = (labels == labels[0, 0])[1:-1, 1:-1]
    near_outside = cv2.dilate(outside.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    # the same colour a little looser (2x): a print band that fades into the product's shading
    # towards its outline is no hole, however backdrop-coloured its middle
    _, loose = cv2.connectedComponents(((delta_e <= 2 * HOLE_BACKDROP_DE) & ~clear).astype(np.uint8),
                                       connectivity=8)
    open_loose = np.unique(loose[near_outside & (loose > 0)])
    count, labels, stats, _ = cv2.connectedComponentsWithStats(like.astype(np.uint8), connectivity=8)
    found = np.zeros((h, w), bool)
    ring_kernel = np.ones((7, 7), np.uint8)
    for i in range(1, count):
        x, y, bw, bh, n = stats[i]
        if n < HOLE_MIN_SHARE * h * w or x == 0 or y == 0 or x + bw >= w or y + bh >= h:
            continue
        part = labels == i
        if near_outside[part].any() or np.isin(loose[part], open_loose).any():
            continue  # reaches the outline: a halo or the product's own colour, not a hole
        sub = np.pad(part[y:y + bh, x:x + bw], 1).astype(np.uint8)
        if 2 * float(cv2.distanceTransform(sub, cv2.DIST_L2, 3).max()) < HOLE_MIN_WIDTH * min(h, w):
            continue  # a pale stripe between a print's bands, not a hole a handle leaves
        ring = cv2.dilate(part.astype(np.uint8), ring_kernel).astype(bool) & ~part & ~clear
        if ring.any() and float(np.median(delta_e[ring])) >= HOLE_RIM_DE:
            found |= part
    return found
