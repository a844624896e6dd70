"""Worker side: one photo decoded once, every output made from it.

Runs in worker processes (or inline with --jobs 1, or on a Dask worker):
it only reads the original and writes output files atomically; the
coordinator records the results in the catalog.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field, replace
from typing import ClassVar
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageColor

from imgpipe import colour, cutout, framing, labels, saliency
from imgpipe.analyse import fits_whole, is_close_up, model_analysis
from imgpipe.errors import error_dict
from imgpipe.fsutil import atomic_write_bytes, sha256_bytes
from imgpipe.encode import encode_output, first_try_png
from imgpipe.imageio import load_photo
from imgpipe.messages import t
from imgpipe.ops import centre_crop, resize_to_width
from imgpipe.plan import OutputJob
from imgpipe.profiles import Profile, brought_to_width
from imgpipe.roles import role_of
from imgpipe.sheet import Product
from imgpipe.validate.files import recorded_entry
from imgpipe.watermark import load_logo, place_watermark


class WorkerFiles:
    """What a worker process keeps of a shop's files between photos and runs (RenderContext.files).

    Worker and watcher processes outlive one run, and logos, fonts and
    watermark stamps are cached by path: `forget_replaced` drops them when
    the logo's or font's content changed under its name, so the new file is read.
    """

    def __init__(self) -> None:
        self.logos: dict[str, Image.Image] = {}          # by path
        self.seen: dict[str, tuple[str, str]] = {}       # workspace -> (logo, font) content hashes

    def logo(self, ctx: "RenderContext") -> Image.Image | None:
        """The shop's logo (`[watermark] logo`), loaded once per path; None without one."""
        if not ctx.watermark.logo:
            return None
        path = Path(ctx.watermark.logo)
        path = path if path.is_absolute() else ctx.root / ctx.watermark.logo
        key = str(path)
        if key not in self.logos:
            self.logos[key] = load_logo(path)
        return self.logos[key]

    def forget_replaced(self, ctx: "RenderContext") -> None:
        """Drop what this process remembers of a logo or font replaced under its name."""
        key = str(ctx.root)
        seen = (ctx.logo_sha, ctx.font_sha)
        if self.seen.get(key, seen) != seen:
            from imgpipe import fonts, watermark

            for cached in vars(fonts).values():
                if hasattr(cached, "cache_clear"):
                    cached.cache_clear()
            watermark.forget_stamps()
            self.logos.clear()
        self.seen[key] = seen


@dataclass
class RenderContext:
    """What every output of a run shares (picklable: sent to worker processes)."""

    files: ClassVar[WorkerFiles] = WorkerFiles()  # the process's own, never pickled

    root: Path
    profiles: dict[str, Profile]
    products: dict[str, Product]
    watermark: object          # settings.WatermarkSettings
    soldout: object            # settings.SoldOutSettings
    font_path: Path | None
    lang: str
    max_megapixels: float
    logo_sha: str = ""         # content hashes: a file replaced under its name is read again
    font_sha: str = ""
    cutout_model: Path | None = None  # `[cutout] model`: an ONNX file, or None for the classical cut-out
    cutout_side: int = 0              # `[cutout] model_size`: px the model is fed at (0 = saliency.RUN_SIDE)
    cutout_normalise: str = "auto"    # `[cutout] model_normalise`
    # the int8 copy the outputs' fingerprint names (context.Resources.cutout_copy), None = the float model;
    # every worker runs exactly it (a Dask worker's own models folder may differ). LOCAL: whatever is here
    cutout_copy: Path | str | None = saliency.LOCAL

    def model(self) -> saliency.ModelChoice | None:
        """The cut-out model and how to feed it; None = the classical cut-out."""
        if self.cutout_model is None:
            return None
        return saliency.ModelChoice(Path(self.cutout_model), self.cutout_side, self.cutout_normalise, self.cutout_copy)


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
    recorded: tuple | None = None  # what validation would read of the file (validate.files.recorded_entry)


@dataclass
class PhotoResult:
    photo_id: int
    outputs: list[OutputResult]
    seconds: float
    error: dict | None = None


@dataclass(eq=False)
class PhotoWork:
    """One photo while its outputs are made: render_photo makes it, every step of every output reads it.

    The decoded, corrected pixels and their analysis; the largest scale its
    cut-out images are framed at (cut_out_scale: 0 = each cut at its own);
    the model's map of the photo and its one cut-out (shared by the white and
    transparent images), each made at most once; the shape step's results.
    Nothing of it is kept for the next photo: it would add to its peak memory.
    """

    img: np.ndarray
    analysis: dict
    cut_scale: float = 0.0
    keep_shadow: bool = True  # a cut-out image keeps the product's shadow (cuts_shadow): its plane is made
    shapes: dict = field(default_factory=dict)  # render_output: one shape step per (role shape, size, params)
    _model_map: tuple | None = field(default=None, init=False, repr=False)  # (model, its map of img)
    _cut: tuple | None = field(default=None, init=False, repr=False)        # ((factor, model), cutout.Cutout)

    def model_map(self, model: saliency.ModelChoice) -> np.ndarray:
        """The model's map of the photo: the model runs once a photo."""
        if self._model_map is None or self._model_map[0] != model:
            self._model_map = (model, model.product_map(self.img))
        return self._model_map[1]

    def model_analysis(self, model: saliency.ModelChoice) -> tuple[np.ndarray, dict]:
        """(the model's map, the analysis with box and close-up decided on its mask: analyse.model_analysis)."""
        return model_analysis(self.img, self.analysis, model, self.model_map(model))

    def cut_out(self, scale: float = 1.0, model: saliency.ModelChoice | None = None,
                model_map: np.ndarray | None = None) -> tuple[cutout.Cutout, float]:
        """(the photo's cut-out, its scale: cut-out px per photo px), made once per decoded photo.

        The matte is solved on a proxy of cutout.PROXY_PX anyway, so cutting a
        24-MP photo at full size only upsampled that alpha and carried a dozen
        full-size float planes (~600 MB); the cut-out is made at CUT_OVERSAMPLE x
        the framing `scale` (at least `cut_scale`: one cut-out for all the photo's
        cut-out images) instead, never below the proxy, never above the photo.
        model_map: the model's map of this photo (model_analysis), so the model runs once.
        """
        img = self.img
        scale = max(scale, self.cut_scale)
        factor = min(1.0, max(CUT_OVERSAMPLE * scale, cutout.PROXY_PX / max(img.shape[:2])))
        if self._cut is None or self._cut[0] != (factor, model):
            small = img if factor >= 1.0 else cv2.resize(
                img, (max(1, round(img.shape[1] * factor)), max(1, round(img.shape[0] * factor))),
                interpolation=cv2.INTER_AREA)
            if model is not None and model_map is None:
                model_map = self.model_map(model)
            self._cut = ((factor, model), cutout.cut_out(small, model_map=model_map, shadow=self.keep_shadow,
                                                         given=small is not img))
        return self._cut[1], factor


def worker_init() -> None:
    """Parallelism comes from the process pool: one thread per library per worker."""
    cv2.setNumThreads(1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def source_long_side(analysis: dict, jobs: list[OutputJob], profiles: dict[str, Profile]) -> int:
    """Smallest long side (pixels) of the decoded photo that no output has to upscale."""
    full_w, full_h = analysis["size"]
    full_long = max(full_w, full_h)
    x0, y0, x1, y1 = analysis["box"]
    fx, fy = max(x1 - x0, 0.05), max(y1 - y0, 0.05)  # shares of the photo's width and height
    need = 0
    for job in jobs:
        spec = profiles[job.platform].roles[job.role]
        if spec.framed and is_close_up(analysis):  # its centre fills the frame
            need = max(need, int(max(spec.width, spec.height) * full_long / min(full_w, full_h)) + 1)
        elif spec.framed:  # the product at `fill` of the frame on its tighter axis
            k = spec.fill * min(spec.width / (fx * full_w), spec.height / (fy * full_h))
            need = max(need, int(k * full_long) + 1)
        else:
            crop = job.params.get("crop")
            span = (crop[2] - crop[0]) if crop else 1.0
            need = max(need, int(spec.width / span * full_long / full_w) + 1)
    return min(need, full_long)


def _box_px(analysis: dict, shape) -> tuple[int, int, int, int]:
    h, w = shape[:2]
    x0, y0, x1, y1 = analysis["box"]
    return int(x0 * w), int(y0 * h), int(round(x1 * w)), int(round(y1 * h))


def render_output(work: PhotoWork, job: OutputJob, ctx: RenderContext) -> tuple[Image.Image, dict]:
    """One output image (PIL, RGB) from the corrected photo; meta for the catalog.

    The role's steps (roles.py): shape, then the mark, the role's text, the
    sold-out overlay. `work.shapes` memoises the shape step across the outputs
    of one photo: Tmall, JD and 1688 mostly want the same 800 px square or the
    same page width, and only the marks differ.
    """
    profile = ctx.profiles[job.platform]
    spec = profile.roles[job.role]
    role = role_of(job.role, spec)
    params = job.params
    key = (role.shape, spec.width, spec.height, spec.fill, params.get("scale"), tuple(params.get("crop") or ()),
           spec.upscale, profile.background)
    if key not in work.shapes:
        # the shapes that cut the product out take the shop's cut-out model, if it has one
        extra = {"model": ctx.model()} if role.cuts_out and ctx.cutout_model else {}
        work.shapes[key] = SHAPES[role.shape](work, params, spec, profile.background, **extra)
    shaped = work.shapes[key]
    pixels, product_box = shaped[:2]
    out = Image.fromarray(pixels)
    meta: dict = {}
    if len(shaped) > 2:  # a cut-out image: how its cut-out was made (validate: no_cutout)
        meta["cutout"] = shaped[2]
    avoid = None
    if product_box is not None:
        meta["product_box"] = list(product_box)
    if spec.watermark == "outside_product":
        # a close-up is all product: there is no "outside" for the mark
        avoid = product_box or (0, 0, out.width, out.height)
        meta["product_box"] = list(avoid)
    if spec.watermark != "none" and (ctx.watermark.text or ctx.watermark.logo):
        marked = place_watermark(out, ctx.watermark, ctx.font_path, avoid, ctx.files.logo(ctx))
        out = marked.image
        meta["watermark_boxes"] = [list(b) for b in marked.boxes]
        meta["watermark_skipped"] = marked.skipped
        if marked.contrast is not None:
            meta["watermark_contrast"] = round(marked.contrast, 2)
            meta["watermark_outlined"] = marked.outlined
    if params.get("overlays"):
        # on the photo, before the label panel or caption is added below it: they stay readable
        # clear of the shop's mark in a corner or edge (tiles cover the image: the banner goes on them)
        mark = meta.get("watermark_boxes") or []
        out = labels.sold_out_overlay(out, params["overlays"], ctx.font_path, colour=ctx.soldout.banner_colour,
                                      clear_of=tuple(mark) if len(mark) == 1 else ())
        meta["overlays"] = params["overlays"]
    if role.text == "label":
        scale = spec.width / out.width  # the large image is always the page's width (R3): the mark scales with it
        out = labels.labelled_large_image(out, ctx.products[job.article], spec.width, ctx.font_path,
                                          lang=ctx.lang, sold_out_sizes=set(params.get("sold_sizes", [])))
        if scale != 1 and meta.get("watermark_boxes"):
            meta["watermark_boxes"] = [[round(v * scale) for v in b] for b in meta["watermark_boxes"]]
    elif role.text == "caption":
        # at the shaped photo's width, as a detail image: a photo narrower than the page stays
        # narrow unless the role allows `upscale` (validation: width_small), and its mark stays
        # where it was recorded
        out = labels.selling_point_image(out, params["caption"], out.width, ctx.font_path, params["index"])
    return out, meta


def _frame_geometry(img: np.ndarray, analysis: dict, params: dict, spec, shared_scale: bool):
    """(window of the photo, product box in it, scale) for a product framed in width × height."""
    box, scale = _box_and_scale(img, analysis, params, spec, shared_scale)
    pad = None if _plain(analysis) else box.backdrop_rgb
    window, box = _window(img, box, (spec.width, spec.height), scale, pad=pad)
    return window, box, scale


def _plain(analysis: dict) -> bool:
    """The photo was shot on a plain backdrop (framing.is_plain), not in a scene."""
    return framing.is_plain(analysis.get("backdrop_noise"))


def _box_and_scale(img: np.ndarray, analysis: dict, params: dict, spec, shared_scale: bool):
    """The product box in `img` and the scale that frames it in width × height."""
    size = (spec.width, spec.height)
    backdrop = tuple(int(v) for v in analysis.get("backdrop_rgb", (255, 255, 255)))
    box = framing.ProductBox(*_box_px(analysis, img.shape), backdrop, bool(analysis.get("box_confident", True)))
    scale = _scale_for(params.get("scale") if shared_scale else None, img, analysis)
    scale = min(scale or framing.frame_scale(box, size, spec.fill),
                spec.width / max(1, box.width), spec.height / max(1, box.height))
    return box, scale


CUT_OVERSAMPLE = 1.5  # the cut-out is made at 1.5x the scale its image is framed at (>= the matte's proxy)


def cut_out_scale(img: np.ndarray, analysis: dict, profiles: dict) -> float:
    """The largest scale any platform's cut-out image (white, transparent) of this photo is framed at.

    One cut-out made for it serves them all (the others are framed from it at
    a smaller scale); taken over every profile's such roles, not only the
    jobs of this run, so a resumed run cuts the photo at the same scale.
    """
    if is_close_up(analysis):
        return 0.0
    return max((_box_and_scale(img, analysis, {}, spec, shared_scale=False)[1]
                for profile in profiles.values() for name, spec in profile.roles.items()
                if role_of(name, spec).cuts_out), default=0.0)


def cuts_shadow(profiles: dict) -> bool:
    """True when a cut-out image (white, transparent) of any platform keeps the product's soft shadow
    (RoleSpec.shadow "keep"): only then is the cut-out's shadow plane made (taken over every profile,
    as cut_out_scale, so the photo's one cut-out serves them all)."""
    return any(spec.shadow == "keep" for profile in profiles.values() for name, spec in profile.roles.items()
               if role_of(name, spec).cuts_out)


def _scaled_box(box: framing.ProductBox, factor: float) -> framing.ProductBox:
    """`box` in a copy of its photo resized by `factor`."""
    return framing.ProductBox(*(int(round(v * factor)) for v in (box.x0, box.y0, box.x1, box.y1)),
                              box.backdrop_rgb, box.confident)



def _close_up(img: np.ndarray, spec, analysis: dict) -> np.ndarray:
    """A close-up has no backdrop around it to frame: its centre fills the frame.

    Unless its border is a plain light backdrop (analyse.fits_whole): a product shot
    to within a few pixels of a white sweep's edges counts as a close-up too, and the centre crop cut
    it (real set: a bulb's rim and pins, a bag's ends). Then the whole photo is framed at the role's
    `fill`, as a whole-product shot is, padded with that backdrop's colour, which joins it
    seamlessly: at 1.0 the real bulb's rim came 8 px from the main image's top.
    """
    if fits_whole(analysis):
        rgb = tuple(analysis.get("backdrop_rgb") or (255, 255, 255))
        return framing.frame_square(img, _whole(img, rgb), (spec.width, spec.height), spec.fill, rgb)
    return cv2.resize(centre_crop(img, spec.width, spec.height), (spec.width, spec.height),
                      interpolation=cv2.INTER_AREA)


def _whole(img: np.ndarray, rgb) -> framing.ProductBox:
    """The whole photo as the product's box (a close-up fitted whole)."""
    return framing.ProductBox(0, 0, img.shape[1], img.shape[0], rgb, False)


def shape_frame(work: PhotoWork, params: dict, spec, background: str = "#FFFFFF") -> tuple[np.ndarray, tuple | None]:
    """The product framed in width × height at the spec's fill; the photo's edge carried outwards.

    Returns (uint8 pixels, the product box in them or None for a close-up that fills the frame;
    a close-up fitted whole gives the photo's place: a mark kept outside the product goes in the pad).
    """
    img, analysis = work.img, work.analysis
    if is_close_up(analysis):
        placed = framing.framed_box(img.shape, _whole(img, (255, 255, 255)), (spec.width, spec.height), spec.fill) \
            if fits_whole(analysis) else None
        return _close_up(img, spec, analysis), placed
    window, box, scale = _frame_geometry(img, analysis, params, spec, shared_scale=True)
    size = (spec.width, spec.height)
    return (framing.frame_square(window, box, size, spec.fill, box.backdrop_rgb, scale=scale),
            framing.framed_box(window.shape, box, size, spec.fill, scale))


NO_CUT = {"method": "none", "confidence": 0.0}


def _made(cut: cutout.Cutout, analysis: dict, model) -> dict:
    """How the cut-out was made (Cutout.made); with a model also the product box it framed (shares of
    the photo, PhotoWork.model_analysis), which differs from the analysis' classical box."""
    made = cut.made()
    if model is not None:
        made["box"] = [round(float(v), 4) for v in analysis["box"]]
    return made


def shape_white(work: PhotoWork, params: dict, spec, background: str = "#FFFFFF",
                model: saliency.ModelChoice | Path | None = None) -> tuple[np.ndarray, None, dict]:
    """The product cut out onto pure white, or the profile's `background` (its own scale: the image
    stands alone). An untrusted cut-out falls back to framing.white_background's flat-field path.

    Returns (pixels, None, how the cut-out was made: cutout.Cutout.made()). With a model the
    product's box and close-up are decided on the model's mask (PhotoWork.model_analysis)."""
    model = saliency.as_choice(model)
    img, analysis, prob = work.img, work.analysis, None
    if model is not None:
        prob, analysis = work.model_analysis(model)
    if is_close_up(analysis):
        return _close_up(img, spec, analysis), None, dict(NO_CUT, reason="close_up")
    bg = ImageColor.getrgb(background)[:3]
    box, scale = _box_and_scale(img, analysis, params, spec, shared_scale=False)
    size = (spec.width, spec.height)
    made = dict(NO_CUT, reason="no_product")
    if not _plain(analysis) and model is None:  # a scene: nothing to cut out; validation says so (no_cutout)
        box = replace(box, confident=False)
        made["reason"] = "scene"
    cut, factor = work.cut_out(scale, model, prob) if box.confident else (None, 1.0)
    if cut is not None and cut.good:
        small_box, small_scale = _scaled_box(box, factor), scale / factor
        on_white = _Pixels(cut.alpha.shape, lambda part: cutout.on_white(cutout.crop(cut, part), spec.shadow,
                                                                         background_rgb=bg))
        window, moved = _window(on_white, small_box, size, small_scale, pad=bg)
        return framing.frame_square(window, moved, size, spec.fill, bg, scale=small_scale), None, _made(cut, analysis, model)
    if cut is not None and box.confident and cut.method == "classical" and model is None:
        # the flat-field composite whitens a plain backdrop without an outline: published, with a warning
        made = {"method": "classical", "confidence": 0.0}
    elif cut is not None:
        made = cut.made()
    window, moved = _window(img, box, size, scale, pad=None if box.confident else bg)
    return framing.flat_white_background(window, moved, size, spec.fill, scale=scale, background_rgb=bg), None, made


def shape_transparent(work: PhotoWork, params: dict, spec, background: str = "#FFFFFF",
                      model: saliency.ModelChoice | Path | None = None) -> tuple[np.ndarray, tuple | None, dict]:
    """The product cut out on transparency (RGBA, straight alpha), framed in width × height at the fill.

    Framed premultiplied, so the resized edge carries no colour from outside
    the product. A close-up has no outline to cut: it fills the frame, opaque.
    The third item says how the cut-out was made (cutout.Cutout.made()).
    """
    model = saliency.as_choice(model)
    img, analysis, prob = work.img, work.analysis, None
    if model is not None:
        prob, analysis = work.model_analysis(model)
    if is_close_up(analysis):
        rgb = _close_up(img, spec, analysis)
        return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]), None, dict(NO_CUT, reason="close_up")
    box, scale = _box_and_scale(img, analysis, params, spec, shared_scale=False)
    size = (spec.width, spec.height)

    def premultiplied(rgba: np.ndarray) -> np.ndarray:  # only the window's pixels: 4 float planes are big
        px = rgba.astype(np.float32)
        px[..., :3] *= px[..., 3:] / 255.0
        return px

    cut, factor = work.cut_out(scale, model, prob)
    box, scale = _scaled_box(box, factor), scale / factor
    pixels = _Pixels(cut.alpha.shape, lambda part: cutout.rgba(cutout.crop(cut, part), spec.shadow))
    window, moved = _window(pixels, box, size, scale, prepare=premultiplied, pad=(0, 0, 0, 0))
    framed = framing.frame_square(window, moved, size, spec.fill, (0.0, 0.0, 0.0, 0.0), scale=scale, copy=False)
    placed = framing.framed_box(window.shape, moved, size, spec.fill, scale)
    del window  # the window's float pixels: not kept while the frame is made straight (a worker's peak)
    # straight colour from premultiplied, in place (the same float32 arithmetic as out of place)
    alpha, rgb = framed[..., 3:], framed[..., :3]
    clear = np.broadcast_to(alpha <= 0.5, rgb.shape)
    rgb *= 255.0
    rgb /= np.maximum(alpha, 1e-3)
    rgb[clear] = 255.0
    out = np.clip(np.round(framed, out=framed), 0, 255, out=framed).astype(np.uint8)
    return out, placed, _made(cut, analysis, model)


def shape_width(work: PhotoWork, params: dict, spec, background: str = "#FFFFFF") -> tuple[np.ndarray, None]:
    """The photo (or the params' crop of it, shares 0..1) at the spec's width, aspect kept."""
    img = part = work.img
    if params.get("crop"):
        h, w = img.shape[:2]
        cx0, cy0, cx1, cy1 = params["crop"]
        part = img[int(cy0 * h): int(cy1 * h), int(cx0 * w): int(cx1 * w)]
    enlarge = brought_to_width(part.shape[1], spec.width, spec.upscale)
    return resize_to_width(np.ascontiguousarray(part), spec.width, enlarge), None


# the shape steps a role may name (roles.Role.shape): (PhotoWork, job params, RoleSpec,
# profile background) -> (pixels, product box in them or None[, how the cut-out was made])
SHAPES = {"frame": shape_frame, "white": shape_white, "width": shape_width, "transparent": shape_transparent}


class _Pixels:
    """An image made only where it is cropped: `make(slices)` gives the pixels of `shape[:2]`'s
    part `slices` (a cut-out on white or as RGBA, per pixel: only the framed window's are made)."""

    def __init__(self, shape: tuple, make):
        self.shape, self.make = shape, make

    def __getitem__(self, part: tuple[slice, slice]) -> np.ndarray:
        return self.make(part)


def _window(img: np.ndarray, box, size: tuple[int, int], scale: float, prepare=None, pad=None):
    """The part of the photo that lands in a `size` (width, height) frame at `scale`.

    Cropping first means only that part is resized. Where the frame reaches
    past the photo, the photo's own edge is carried outwards: a flat pad
    colour never matches a real sweep (gradients, vignetting). A scene's edge
    (people, a floor) would be smeared into streaks, and so would a cut-out's
    product where it reaches the photo's edge: `pad` (a colour, one value per
    channel: RGB 0-255, or a premultiplied RGBA's zeros) fills flat instead.
    Returns the window and the product box moved into it. prepare(pixels) ->
    pixels, if given, is applied to the part inside the photo before it is padded.
    """
    side_x, side_y = (int(np.ceil(v / scale)) + 4 for v in size)
    cx, cy = box.centre
    x0, y0 = int(np.floor(cx - side_x / 2)), int(np.floor(cy - side_y / 2))
    x1, y1 = x0 + side_x, y0 + side_y
    h, w = img.shape[:2]
    crop = img[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    if prepare is not None:
        crop = prepare(crop)
    pads = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    if any(pads) and pad is None:
        crop = _carry_edges(crop, pads)
    elif any(pads):
        crop = cv2.copyMakeBorder(crop, *pads, cv2.BORDER_CONSTANT, value=[int(v) for v in pad])
    dx, dy = -x0, -y0
    moved = framing.ProductBox(box.x0 + dx, box.y0 + dy, box.x1 + dx, box.y1 + dy, box.backdrop_rgb, box.confident)
    return np.ascontiguousarray(crop), moved


PAD_SETTLE = 0.08  # share of the photo's long side over which a carried edge settles to its side's mean colour


def _carry_edges(img: np.ndarray, pads: tuple[int, int, int, int]) -> np.ndarray:
    """`img` grown by (top, bottom, left, right) pixels, each side carrying its edge outwards, smoothed.

    A replicated edge row would carry its noise and texture out as streaks
    (visible when a 3:4 frame reaches far past a landscape photo): the pad
    repeats the mean of the outer 8 rows (columns), blurred along the edge.
    Farther out it settles to that side's mean colour (over PAD_SETTLE of the
    long side): the folds of a cloth backdrop carried 200 px read as stripes.
    """
    h, w = img.shape[:2]

    def along(strip: np.ndarray) -> np.ndarray:  # (length, 3) -> box-blurred along its length
        k = max(3, len(strip) // 40) | 1
        blurred = cv2.blur(strip[None].astype(np.float32), (k, 1), borderType=cv2.BORDER_REFLECT)[0]
        return np.round(blurred).astype(img.dtype)

    smoothed = img.copy()
    smoothed[0], smoothed[-1] = along(img[:8].mean(axis=0)), along(img[-8:].mean(axis=0))
    smoothed[:, 0], smoothed[:, -1] = along(img[:, :8].mean(axis=1)), along(img[:, -8:].mean(axis=1))
    out = cv2.copyMakeBorder(smoothed, *pads, cv2.BORDER_REPLICATE)
    top, _, left, _ = pads
    settle = max(8.0, PAD_SETTLE * max(h, w))
    rows, columns = out, out.swapaxes(0, 1)
    # per side: the lines that view it as rows, the pad lines with their distance out, the edge line
    sides = ((rows, [(top - i, i) for i in range(top)], top),
             (rows, [(i - (top + h - 1), i) for i in range(top + h, out.shape[0])], top + h - 1),
             (columns, [(left - i, i) for i in range(left)], left),
             (columns, [(i - (left + w - 1), i) for i in range(left + w, out.shape[1])], left + w - 1))
    means = [view[edge].mean(axis=0) for view, _, edge in sides]
    for (view, lines, _), mean in zip(sides, means):
        far = [i for distance, i in lines if distance >= settle]
        if far:
            view[min(far):max(far) + 1] = np.round(mean).astype(img.dtype)
        for distance, i in lines:
            if distance < settle:
                t = distance / settle
                t = t * t * (3 - 2 * t)  # smoothstep: the settling has no visible start or end
                view[i] = np.round(view[i] * (1 - t) + mean * t).astype(img.dtype)
    out[top:top + h, left:left + w] = img  # the photo itself stays as it is
    return out


def _scale_for(shared_scale: float | None, img: np.ndarray, analysis: dict) -> float | None:
    """The article's shared main-image scale is stored per full-size pixel; convert to this decode."""
    if shared_scale is None:
        return None
    full_long = max(analysis["size"])
    return shared_scale * full_long / max(img.shape[:2])


def render_photo(task: PhotoTask, ctx: RenderContext) -> PhotoResult:
    """Decode one photo, correct it once, write all its outputs. Never raises."""
    started = time.perf_counter()
    ctx.files.forget_replaced(ctx)
    try:
        need = task.decode_long_side or source_long_side(task.analysis, task.jobs, ctx.profiles)
        photo = load_photo(ctx.root / task.original, max_megapixels=ctx.max_megapixels, min_long_side=need)
        correction = colour.Correction.from_dict(task.analysis["correction"])
        img = colour.apply_correction(photo.rgb, correction)  # strength is already in it
        del photo  # the uncorrected pixels: not kept while the outputs are made (a worker's peak)
    except Exception as err:  # one bad photo never stops the batch
        return PhotoResult(task.photo_id, [], time.perf_counter() - started, error_dict(err, task.original))
    results = []
    model = ctx.model()
    cut_jobs = any(role_of(job.role, ctx.profiles[job.platform].roles[job.role]).cuts_out
                   for job in task.jobs)
    work = PhotoWork(img, task.analysis)
    # the model runs only on photos that feed a cut-out image, and decides their box there
    try:
        for_cut = work.model_analysis(model)[1] if model is not None and cut_jobs else task.analysis
    except Exception as err:  # the model the fingerprint names does not load here: the photo's error
        return PhotoResult(task.photo_id, [], time.perf_counter() - started, error_dict(err, task.original))
    work.cut_scale = cut_out_scale(img, for_cut, ctx.profiles)
    work.keep_shadow = cuts_shadow(ctx.profiles)
    # same pixels under the same encode rules give the same bytes: platforms often want equal
    # images (about half of a photo's outputs), so each is encoded and hashed once
    encoded: dict = {}
    # the same role and parameters on two platforms render the same image (its mark and text
    # included) whatever their byte caps: rendered once, by what render_output reads
    made: dict = {}
    written: dict = {}  # facts of the bytes written, by sha256, for validation
    for job in task.jobs:
        profile = ctx.profiles[job.platform]
        spec = profile.roles[job.role]
        try:
            out, meta, pixels = _rendered(made, work, job, ctx)
            rules = (job.fmt, spec.max_bytes, profile.jpeg_quality, profile.min_jpeg_quality, profile.background,
                     not profile.flatten_alpha)
            # the first try of an encode (a JPEG at the profile's quality, a PNG at PNG_LEVEL) that
            # fits its cap is those bytes under any larger cap
            first = (pixels, job.fmt, profile.jpeg_quality if job.fmt == "jpg" else 0, profile.background,
                     job.fmt == "png" and not profile.flatten_alpha)
            if first in encoded and len(encoded[first][0]) <= spec.max_bytes:
                key = first
            else:
                key = (pixels, rules)
            if key not in encoded:
                if out is None:  # rendered for another platform's rules: once more for these
                    made.pop(_render_inputs(job, ctx))
                    out, meta, pixels = _rendered(made, work, job, ctx)
                data, quality = encode_output(out, job.fmt, max_bytes=spec.max_bytes, quality=profile.jpeg_quality,
                                              min_quality=profile.min_jpeg_quality, background=profile.background,
                                              keep_alpha=not profile.flatten_alpha, role=job.role, file=job.path)
                encoded[key] = data, quality, sha256_bytes(data)
                if (job.fmt == "jpg" and quality == profile.jpeg_quality) or (job.fmt == "png" and first_try_png(
                        data)):
                    encoded.setdefault(first, encoded[key])
            data, quality, sha = encoded[key]
            atomic_write_bytes(ctx.root / job.path, data, durable=False)  # rebuildable; size is checked
            results.append(OutputResult(job, sha, pixels[1][0], pixels[1][1], len(data), quality, dict(meta),
                                        recorded=recorded_entry(ctx.root / job.path, data, sha, written)))
        except Exception as err:
            results.append(OutputResult(job, error=error_dict(err, job.path)))
    return PhotoResult(task.photo_id, results, time.perf_counter() - started)


def _render_inputs(job: OutputJob, ctx: RenderContext) -> tuple:
    """What render_output reads of a job: role, its spec but for the byte cap and count, the
    background, the article (labels) and the parameters."""
    profile = ctx.profiles[job.platform]
    spec = replace(profile.roles[job.role], max_bytes=0, count=0)
    return (job.role, repr(spec), profile.background, job.article,
            json.dumps(job.params, sort_keys=True, ensure_ascii=False, default=str))


def _rendered(made: dict, work: PhotoWork, job: OutputJob, ctx: RenderContext):
    """(image or None when made before for another job, meta, pixels key (mode, size, sha1)).

    made: the photo's render inputs seen so far; only the keys are kept, not the images (they
    would add to a worker's peak memory), so an image is rendered again in the rare case that
    another platform's byte cap needs it encoded anew.
    """
    inputs = _render_inputs(job, ctx)
    if inputs in made:
        return None, *made[inputs]
    out, meta = render_output(work, job, ctx)
    made[inputs] = meta, (out.mode, out.size, hashlib.sha1(out.tobytes()).digest())
    return out, *made[inputs]


def worker_died(file: str) -> dict:
    """The error of an item whose worker process died under it (out of memory, a C-library crash)."""
    return {"file": file, "row": None, "field": None, "message": t("run.worker_died"), "fix": t("run.worker_died.fix")}
