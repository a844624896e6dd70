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
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import atomic_write_bytes, sha256_bytes
from imgpipe.imageio import encode_jpeg, load_photo
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
    colour_strength: float


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


def render_output(img: np.ndarray, analysis: dict, job: OutputJob, ctx: RenderContext) -> tuple[Image.Image, dict]:
    """One output image (PIL, RGB) from the corrected photo; meta for the catalog."""
    profile = ctx.profiles[job.platform]
    spec = profile.roles[job.role]
    product = ctx.products[ctx_article(job)]
    params = job.params
    meta: dict = {}
    avoid = None
    box = _box_px(analysis, img.shape)
    backdrop = tuple(int(v) for v in analysis.get("backdrop_rgb", (255, 255, 255)))
    pbox = framing.ProductBox(*box, backdrop, bool(analysis.get("box_confident", True)))
    if job.role in ("main", "sku"):
        if is_close_up(analysis):
            # a close-up has no backdrop around it to frame: fill the square instead
            img, pbox = centre_square(img), None
            out = Image.fromarray(cv2.resize(img, (spec.width, spec.height), interpolation=cv2.INTER_AREA))
        else:
            scale = _scale_for(params.get("scale"), img, analysis)
            padded, pbox = _extend_backdrop(img, pbox, spec.width, spec.fill, scale)
            out = Image.fromarray(framing.frame_square(padded, pbox, spec.width, spec.fill, backdrop, scale=scale))
            meta["product_box"] = list(framing.framed_box(padded.shape, pbox, spec.width, spec.fill, scale))
            if spec.watermark == "outside_product":
                avoid = tuple(meta["product_box"])
        if spec.watermark == "outside_product" and avoid is None:
            # the product fills a close-up: there is no "outside" for the mark
            avoid = (0, 0, spec.width, spec.height)
            meta["product_box"] = list(avoid)
    elif job.role == "white":
        out = Image.fromarray(framing.white_background(img, pbox, spec.width, spec.fill))
    else:
        part = img
        if params.get("crop"):
            h, w = img.shape[:2]
            cx0, cy0, cx1, cy1 = params["crop"]
            part = img[int(cy0 * h): int(cy1 * h), int(cx0 * w): int(cx1 * w)]
        out = Image.fromarray(resize_to_width(np.ascontiguousarray(part), spec.width, spec.upscale))
    if spec.watermark != "none" and (ctx.watermark.text or ctx.watermark.logo):
        marked = place_watermark(out, ctx.watermark, ctx.font_path, avoid, _logo(ctx))
        out = marked.image
        meta["watermark_boxes"] = [list(b) for b in marked.boxes]
        meta["watermark_skipped"] = marked.skipped
    if job.role == "large":
        out = labels.labelled_large_image(out, product, spec.width, ctx.font_path, lang=ctx.lang,
                                          sold_out_sizes=set(params.get("sold_sizes", [])))
    elif job.role == "selling_point":
        out = labels.selling_point_image(out, params["caption"], spec.width, ctx.font_path, params["index"])
    if params.get("overlays"):
        out = labels.sold_out_overlay(out, params["overlays"], ctx.font_path, colour=ctx.soldout.banner_colour)
        meta["overlays"] = params["overlays"]
    return out, meta


def is_close_up(analysis: dict) -> bool:
    """True when the product box touches two or more edges of the photo (a detail shot)."""
    x0, y0, x1, y1 = analysis["box"]
    edges = sum((x0 <= 0.01, y0 <= 0.01, x1 >= 0.99, y1 >= 0.99))
    return edges >= 2 or not analysis.get("box_confident", True)



def _extend_backdrop(img: np.ndarray, box, size: int, fill: float, scale: float | None):
    """The photo with its own edges carried outwards, so framing never shows a seam.

    A flat pad colour never matches a real sweep (gradients, vignetting);
    repeating the outermost rows and columns does. Returns the padded image
    and the product box moved with it.
    """
    s = framing.frame_scale(box, size, fill) if scale is None else scale
    s = min(s, size / max(1, box.width, box.height))
    window = int(np.ceil(size / max(s, 1e-6))) + 2
    h, w = img.shape[:2]
    pad_x, pad_y = max(0, (window - w) // 2 + 2), max(0, (window - h) // 2 + 2)
    cx, cy = box.centre
    # the window is centred on the product, so the side nearer the product needs more
    left = max(pad_x, int(window / 2 - cx) + 2, 0)
    right = max(pad_x, int(cx + window / 2 - w) + 2, 0)
    top = max(pad_y, int(window / 2 - cy) + 2, 0)
    bottom = max(pad_y, int(cy + window / 2 - h) + 2, 0)
    if not (left or right or top or bottom):
        return img, box
    padded = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_REPLICATE)
    moved = framing.ProductBox(box.x0 + left, box.y0 + top, box.x1 + left, box.y1 + top, box.backdrop_rgb,
                               box.confident)
    return padded, moved


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
        img = colour.apply_correction(photo.rgb, correction, ctx.colour_strength)
    except Exception as err:  # one bad photo never stops the batch
        return PhotoResult(task.photo_id, [], time.perf_counter() - started, error_dict(err, task.original))
    results = []
    for job in task.jobs:
        profile = ctx.profiles[job.platform]
        spec = profile.roles[job.role]
        try:
            out, meta = render_output(img, task.analysis, job, ctx)
            data, quality = encode_jpeg(out, max_bytes=spec.max_bytes, quality=profile.jpeg_quality,
                                        min_quality=profile.min_jpeg_quality, role=job.role, file=job.path)
            atomic_write_bytes(ctx.root / job.path, data)
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


def analyse_photo(task: AnalyseTask, root: Path, max_megapixels: float, mode: str) -> tuple[int, dict | None, dict | None]:
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
        if mode == "off":
            correction = colour.Correction()
        elif task.reference is not None:
            correction = colour.Correction.from_dict(task.reference)
        else:
            correction = colour.estimate_auto(proxy)
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



def error_dict(err: Exception, file: str) -> dict:
    """An ImgpipeError as it is; anything else as an internal error naming the file."""
    if isinstance(err, ImgpipeError):
        out = err.as_dict()
        out["file"] = out["file"] or file
        return out
    return {"file": file, "row": None, "field": None, "message": f"{type(err).__name__}: {err}", "fix": None}
