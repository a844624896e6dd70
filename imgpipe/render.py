"""Worker side: one photo decoded once, every output made from it.

Runs in worker processes (or inline with --jobs 1, or on a Dask worker):
it only reads the original and writes output files atomically; the
coordinator records the results in the catalog.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from imgpipe import colour, framing, labels
from imgpipe.correct import correction_from_reference
from imgpipe.fsutil import atomic_write_bytes, sha256_bytes
from imgpipe.imageio import encode_jpeg, load_photo
from imgpipe.messages import t
from imgpipe.ops import centre_square, resize_to_width, shrink_to_long_side
from imgpipe.plan import OutputJob
from imgpipe.profiles import Profile
from imgpipe.sheet import Product
from imgpipe.watermark import load_logo, place_watermark


@dataclass
class RenderContext:
    """What every output of a run shares (picklable: sent to worker processes)."""

    root: Path
    profiles: dict[str, Profile]
    products: dict[str, Product]
    watermark: object          # settings.WatermarkSettings
    soldout: object            # settings.SoldOutSettings
    font_path: Path | None
    lang: str
    max_megapixels: float


@dataclass
class PhotoTask:
    photo_id: int
    article: str
    original: str
    analysis: dict
    jobs: list[OutputJob]
    decode_long_side: int = 0  # pixels; 0 = work it out from `jobs`


@dataclass
class OutputResult:
    job: OutputJob
    sha256: str = ""
    width: int = 0
    height: int = 0
    nbytes: int = 0
    quality: int = 0
    meta: dict = field(default_factory=dict)
    error: dict | None = None


@dataclass
class PhotoResult:
    photo_id: int
    outputs: list[OutputResult]
    seconds: float
    error: dict | None = None


def worker_init() -> None:
    """Parallelism comes from the process pool: one thread per library per worker."""
    cv2.setNumThreads(1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


_logo_cache: dict[str, Image.Image] = {}


def _logo(ctx: RenderContext) -> Image.Image | None:
    if not ctx.watermark.logo:
        return None
    path = (ctx.root / ctx.watermark.logo) if not Path(ctx.watermark.logo).is_absolute() else Path(ctx.watermark.logo)
    key = str(path)
    if key not in _logo_cache:
        _logo_cache[key] = load_logo(path)
    return _logo_cache[key]


def source_long_side(analysis: dict, jobs: list[OutputJob], profiles: dict[str, Profile]) -> int:
    """Smallest long side (pixels) of the decoded photo that no output has to upscale."""
    full_w, full_h = analysis["size"]
    x0, y0, x1, y1 = analysis["box"]
    box_frac = max(x1 - x0, y1 - y0, 0.05)  # share of the long side the product spans
    need = 0
    for job in jobs:
        spec = profiles[job.platform].roles[job.role]
        if spec.framed:
            need = max(need, int(spec.width * spec.fill / box_frac) + 1)
        else:
            crop = job.params.get("crop")
            span = (crop[2] - crop[0]) if crop else 1.0
            need = max(need, int(spec.width / span * max(full_w, full_h) / full_w) + 1)
    return min(need, max(full_w, full_h))



def _box_px(analysis: dict, shape) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0, x1, y1 = analysis["box"]
    return int(x0 * w), int(y0 * h), int(round(x1 * w)), int(round(y1 * h))


def render_output(img: np.ndarray, analysis: dict, job: OutputJob, ctx: RenderContext,
                  shapes: dict | None = None) -> tuple[Image.Image, dict]:
    """One output image (PIL, RGB) from the corrected photo; meta for the catalog.

    `shapes` memoises the geometry step (framing, white matte, width resize)
    across the outputs of one photo: Tmall, JD and 1688 mostly want the same
    800 px square or the same page width, and only the marks differ.
    """
    profile = ctx.profiles[job.platform]
    spec = profile.roles[job.role]
    params = job.params
    key = _shape_key(job, spec)
    if shapes is None or key not in shapes:
        shaped = _shape(img, analysis, job, spec)
        if shapes is not None:
            shapes[key] = shaped
    else:
        shaped = shapes[key]
    pixels, product_box = shaped
    out = Image.fromarray(pixels)
    meta: dict = {}
    avoid = None
    if product_box is not None:
        meta["product_box"] = list(product_box)
    if spec.watermark == "outside_product":
        # a close-up is all product: there is no "outside" for the mark
        avoid = product_box or (0, 0, out.width, out.height)
        meta["product_box"] = list(avoid)
    if spec.watermark != "none" and (ctx.watermark.text or ctx.watermark.logo):
        marked = place_watermark(out, ctx.watermark, ctx.font_path, avoid, _logo(ctx))
        out = marked.image
        meta["watermark_boxes"] = [list(b) for b in marked.boxes]
        meta["watermark_skipped"] = marked.skipped
    if job.role == "large":
        out = labels.labelled_large_image(out, ctx.products[ctx_article(job)], spec.width, ctx.font_path,
                                          lang=ctx.lang, sold_out_sizes=set(params.get("sold_sizes", [])))
    elif job.role == "selling_point":
        out = labels.selling_point_image(out, params["caption"], spec.width, ctx.font_path, params["index"])
    if params.get("overlays"):
        out = labels.sold_out_overlay(out, params["overlays"], ctx.font_path, colour=ctx.soldout.banner_colour)
        meta["overlays"] = params["overlays"]
    return out, meta


def _shape_key(job: OutputJob, spec) -> tuple:
    kind = {"main": "framed", "sku": "framed", "white": "white"}.get(job.role, "width")
    crop = tuple(job.params.get("crop") or ())
    return kind, spec.width, spec.height, spec.fill, job.params.get("scale"), crop, spec.upscale


def _shape(img: np.ndarray, analysis: dict, job: OutputJob, spec) -> tuple[np.ndarray, tuple | None]:
    """The photo brought to the role's geometry, before marks and text.

    Returns (uint8 pixels, the product box in them or None).
    """
    if job.role in ("main", "sku", "white") and is_close_up(analysis):
        # a close-up has no backdrop around it to frame: it fills the square
        return cv2.resize(centre_square(img), (spec.width, spec.height), interpolation=cv2.INTER_AREA), None
    if job.role in ("main", "sku", "white"):
        backdrop = tuple(int(v) for v in analysis.get("backdrop_rgb", (255, 255, 255)))
        box = framing.ProductBox(*_box_px(analysis, img.shape), backdrop,
                                 bool(analysis.get("box_confident", True)))
        scale = _scale_for(job.params.get("scale") if job.role != "white" else None, img, analysis)
        scale = min(scale or framing.frame_scale(box, spec.width, spec.fill), spec.width / max(1, box.width, box.height))
        window, box = _window(img, box, spec.width, scale)
        if job.role == "white":
            return framing.white_background(window, box, spec.width, spec.fill, scale=scale), None
        framed = framing.frame_square(window, box, spec.width, spec.fill, backdrop, scale=scale)
        return framed, framing.framed_box(window.shape, box, spec.width, spec.fill, scale)
    part = img
    if job.params.get("crop"):
        h, w = img.shape[:2]
        cx0, cy0, cx1, cy1 = job.params["crop"]
        part = img[int(cy0 * h): int(cy1 * h), int(cx0 * w): int(cx1 * w)]
    return resize_to_width(np.ascontiguousarray(part), spec.width, spec.upscale), None


def _window(img: np.ndarray, box, size: int, scale: float):
    """The part of the photo that lands in a `size`-px square framed at `scale`.

    Cropping first means only that part is resized. Where the square reaches
    past the photo, the photo's own edge is carried outwards: a flat pad
    colour never matches a real sweep (gradients, vignetting). Returns the
    window and the product box moved into it.
    """
    side = int(np.ceil(size / scale)) + 4
    cx, cy = box.centre
    x0, y0 = int(np.floor(cx - side / 2)), int(np.floor(cy - side / 2))
    x1, y1 = x0 + side, y0 + side
    h, w = img.shape[:2]
    crop = img[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    pads = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    if any(pads):
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_REPLICATE)
    dx, dy = -x0, -y0
    moved = framing.ProductBox(box.x0 + dx, box.y0 + dy, box.x1 + dx, box.y1 + dy, box.backdrop_rgb, box.confident)
    return np.ascontiguousarray(crop), moved


def is_close_up(analysis: dict) -> bool:
    """True for a detail shot: the product box touches two or more edges of the photo, no
    product was found, or the article's other shots show its "backdrop" was product (`close_up`)."""
    if analysis.get("close_up"):
        return True
    x0, y0, x1, y1 = analysis["box"]
    edges = sum((x0 <= 0.01, y0 <= 0.01, x1 >= 0.99, y1 >= 0.99))
    return edges >= 2 or not analysis.get("box_confident", True)




def ctx_article(job: OutputJob) -> str:
    # output/<platform>/<article>/<role>/<file>
    return job.path.split("/")[2]


def _scale_for(shared_scale: float | None, img: np.ndarray, analysis: dict) -> float | None:
    """The article's shared main-image scale is stored per full-size pixel; convert to this decode."""
    if shared_scale is None:
        return None
    full_long = max(analysis["size"])
    return shared_scale * full_long / max(img.shape[:2])


def render_photo(task: PhotoTask, ctx: RenderContext) -> PhotoResult:
    """Decode one photo, correct it once, write all its outputs. Never raises."""
    started = time.perf_counter()
    try:
        need = task.decode_long_side or source_long_side(task.analysis, task.jobs, ctx.profiles)
        photo = load_photo(ctx.root / task.original, max_megapixels=ctx.max_megapixels, min_long_side=need)
        correction = colour.Correction.from_dict(task.analysis["correction"])
        img = colour.apply_correction(photo.rgb, correction)  # strength is already in it
    except Exception as err:  # one bad photo never stops the batch
        return PhotoResult(task.photo_id, [], time.perf_counter() - started, error_dict(err, task.original))
    results = []
    shapes: dict = {}
    for job in task.jobs:
        profile = ctx.profiles[job.platform]
        spec = profile.roles[job.role]
        try:
            out, meta = render_output(img, task.analysis, job, ctx, shapes)
            data, quality = encode_jpeg(out, max_bytes=spec.max_bytes, quality=profile.jpeg_quality,
                                        min_quality=profile.min_jpeg_quality, role=job.role, file=job.path)
            atomic_write_bytes(ctx.root / job.path, data, durable=False)  # rebuildable; size is checked
            results.append(OutputResult(job, sha256_bytes(data), out.width, out.height, len(data), quality, meta))
        except Exception as err:
            results.append(OutputResult(job, error=error_dict(err, job.path)))
    return PhotoResult(task.photo_id, results, time.perf_counter() - started)


ANALYSIS_LONG_SIDE = 512  # pixels: colour estimate and product box come from a proxy this size


@dataclass
class AnalyseTask:
    photo_id: int
    original: str
    kind: str
    reference: dict | None  # a Correction from the article's reference shot, if any
    colour: object = None   # settings.ColourPlan: mode, strength, manual gains


def analyse_photo(task: AnalyseTask, root: Path, max_megapixels: float) -> tuple[int, dict | None, dict | None]:
    """(photo_id, analysis, error): colour correction, product box, backdrop score.

    Reference shots get their correction from the card/chart they show; other
    photos take the reference correction when given, else the automatic one.
    Boxes are shares (0..1) of the upright photo, so they hold at any decode size.
    """
    try:
        path = root / task.original
        if task.kind == "reference":
            photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=2000)
            correction = correction_from_reference(photo.rgb)
            return task.photo_id, {"correction": correction.to_dict(), "size": list(photo.full_size),
                                   "box": [0, 0, 1, 1], "backdrop": 0.0}, None
        photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=ANALYSIS_LONG_SIDE)
        proxy = shrink_to_long_side(photo.rgb, ANALYSIS_LONG_SIDE)
        plan = task.colour
        if plan.mode == "off":
            correction = colour.Correction()
        elif plan.gains:
            correction = colour.Correction.manual(plan.gains)
        elif task.reference is not None:
            correction = colour.Correction.from_dict(task.reference)
        else:
            correction = colour.estimate_auto(proxy)
            if plan.mode == "reference":
                correction.warnings.append(t("colour.warn.no_reference"))
        correction = correction.scaled(plan.strength)
        corrected = colour.apply_correction(proxy, correction)
        box = framing.find_product_box(corrected)
        h, w = corrected.shape[:2]
        return task.photo_id, {
            "correction": correction.to_dict(),
            "size": list(photo.full_size),
            "box": [box.x0 / w, box.y0 / h, box.x1 / w, box.y1 / h],
            "box_confident": bool(box.confident),
            "backdrop_rgb": [int(v) for v in box.backdrop_rgb],
            "backdrop": float(framing.backdrop_score(corrected)),
        }, None
    except Exception as err:
        return task.photo_id, None, error_dict(err, task.original)



def worker_died(file: str) -> dict:
    """The error of an item whose worker process died under it (out of memory, a C-library crash)."""
    return {"file": file, "row": None, "field": None, "message": t("run.worker_died"), "fix": t("run.worker_died.fix")}


def error_dict(err: Exception, file: str, stage: str = "render") -> dict:
    """Any exception as one item's error (file, reason and fix in the user's language).

    A full disk is marked `"global": True`: the coordinator stops the run on it.
    """
    from imgpipe.errors import global_failure, item_error

    fatal = global_failure(err, file)
    if fatal:
        return dict(fatal.as_dict(), **{"global": True})
    out = item_error(err, file, stage).as_dict()
    out["file"] = out["file"] or file
    return out
