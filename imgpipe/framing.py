"""Finding the product on its backdrop and framing it in a square.

Arrays are uint8 HxWx3 RGB (sRGB, 0-255). Boxes are (x0, y0, x1, y1) in
pixels of the full-resolution image, x1/y1 exclusive.

The product is "what differs from the backdrop": the backdrop colour is read
from the image border, pixels are compared with it in CIELAB with lightness
down-weighted (a soft shadow on a white sweep changes lightness, hardly
colour), the mask is cleaned with morphology, and the bounding box of the
large connected parts is the product box. Detection runs on a proxy of at
most PROXY_PX pixels on the longer side.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from imgpipe.ops import channel_norm

PROXY_PX = 600
BORDER_SHARE = 0.03      # border strip used to read the backdrop: 3 % of the shorter side
UNIFORM_SHARE = 0.6      # share of border pixels that must match the backdrop to trust it
LIGHTNESS_WEIGHT = 0.45  # weight of ΔL* against Δa*, Δb*: shadows mostly change lightness
FLAT_HEADROOM = 1.08     # white background: backdrop within 8 % of its surface becomes pure white
MIN_THRESHOLD = 9.0      # weighted ΔE below which a pixel is backdrop, at the least
PLAIN_NOISE = 12.0       # border ΔE to the fitted backdrop (95th percentile) above which the photo is a
                         # scene, not a studio backdrop: studio sweeps measure 0.3-5.4, real ones 3.8;
                         # a runway, a wooden floor, a hand-held phone 21-33 (see border_noise)


@dataclass(frozen=True)
class ProductBox:
    """Where the product is, in full-image pixels (x1, y1 exclusive).

    backdrop_rgb: the backdrop colour (0-255 each), read from the border.
    confident: False when the backdrop is not plain (busy scene) or nothing
    stood out; the box is then the whole image and the caller should warn.
    """

    x0: int
    y0: int
    x1: int
    y1: int
    backdrop_rgb: tuple[int, int, int]
    confident: bool

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2

    def as_tuple(self) -> tuple[int, int, int, int]:
        return self.x0, self.y0, self.x1, self.y1


def _proxy(img_u8: np.ndarray, max_px: int = PROXY_PX) -> tuple[np.ndarray, float]:
    """A copy at most `max_px` on the longer side, and the factor full/proxy (>= 1)."""
    h, w = img_u8.shape[:2]
    factor = max(h, w) / max_px
    if factor <= 1:
        return img_u8, 1.0
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    return cv2.resize(img_u8, size, interpolation=cv2.INTER_AREA), factor


def _lab(img_u8: np.ndarray) -> np.ndarray:
    """CIELAB float32 (L 0-100, a/b about -128..127)."""
    rgb = img_u8.astype(np.float32)
    rgb /= 255.0  # in place: the same division, one HxWx3 float plane fewer
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab)


def _border_mask(h: int, w: int) -> np.ndarray:
    strip = max(2, round(min(h, w) * BORDER_SHARE))
    mask = np.zeros((h, w), bool)
    mask[:strip] = mask[-strip:] = True
    mask[:, :strip] = mask[:, -strip:] = True
    return mask


def _distance(lab: np.ndarray, ref_lab: np.ndarray) -> np.ndarray:
    """Weighted ΔE to the backdrop.

    Darker than the backdrop: lightness counts LIGHTNESS_WEIGHT (a shadow only
    darkens). Lighter: it counts fully (no shadow makes a sweep lighter, so a
    cream shirt on a beige sweep stands out).
    """
    if isinstance(ref_lab, tuple):  # a surface's planes (_Backdrop.planes): lab - surface, channel by channel
        d0, d1, d2 = (lab[..., c] - ref_lab[c] for c in range(3))
    elif (ref_lab := np.asarray(ref_lab)).ndim == 1:  # one colour: per channel, not an HxWx3 difference
        d0, d1, d2 = (lab[..., c] - ref_lab[c] for c in range(3))  # (3x faster, the same values)
    else:
        diff = lab - ref_lab
        d0, d1, d2 = diff[..., 0], diff[..., 1], diff[..., 2]
    dl = np.where(d0 < 0, d0 * np.float32(LIGHTNESS_WEIGHT), d0)  # d0 * 1.0 is d0
    return np.sqrt(dl * dl + d1 * d1 + d2 * d2)


@dataclass(frozen=True)
class _Backdrop:
    rgb: tuple[int, int, int]
    lab: np.ndarray      # median backdrop colour, Lab
    planes: tuple[np.ndarray, np.ndarray, np.ndarray]  # the surface's L*, a*, b*: HxW float32 each
    uniform: float       # share of border pixels close to the backdrop (0-1)
    threshold: float     # weighted ΔE separating product from backdrop
    edge_threshold: float  # gradient of L* (per pixel) above which an edge is product outline

    @functools.cached_property
    def surface(self) -> np.ndarray:
        """HxWx3 Lab: the backdrop as a smooth surface (sweep gradient, vignetting), made on first use
        (find_product_box measures against `planes` and never needs it)."""
        out = np.empty(self.planes[0].shape + (3,), np.float32)
        for i, plane in enumerate(self.planes):
            out[..., i] = plane
        return out


def _design(h: int, w: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Quadratic terms in normalised x, y: enough for a sweep's gradient and lens vignetting."""
    x = xs / max(1, w - 1) * 2 - 1
    y = ys / max(1, h - 1) * 2 - 1
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _border_index(h: int, w: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """_border_mask(h, w), its flat indices and their rows and columns (np.nonzero's order), made
    once per size (read-only: shared by every image of that size)."""
    border = _border_mask(h, w)
    flat = np.flatnonzero(border)
    ys, xs = np.divmod(flat, w)
    for a in (border, flat, ys, xs):
        a.setflags(write=False)
    return border, flat, ys, xs


def _at(a: np.ndarray, border: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """a[border] (HxW[xC] -> N[xC]), by the flat indices when `a` is contiguous (the same values)."""
    if a.flags.c_contiguous:
        return a.reshape((-1,) + a.shape[2:])[flat]
    return a[border]


def _median_u8(px: np.ndarray) -> np.ndarray:
    """np.median(px, axis=0) of N x 3 uint8 pixels (float64, the same values), by counting levels."""
    n = len(px)
    if n == 0:
        return np.median(px, axis=0)
    out = np.empty(px.shape[1], np.float64)
    for c in range(px.shape[1]):
        cum = np.cumsum(np.bincount(px[:, c], minlength=256))
        lo, hi = np.searchsorted(cum, [(n - 1) // 2, n // 2], side="right")
        out[c] = (float(lo) + float(hi)) / 2  # odd n: lo == hi; even: the mean of the middle two, as np.median
    return out


def _backdrop(img_u8: np.ndarray, lab: np.ndarray) -> _Backdrop:
    h, w = img_u8.shape[:2]
    border, flat, ys, xs = _border_index(h, w)
    rgb = _median_u8(_at(img_u8, border, flat))
    ref = _lab(rgb.reshape(1, 1, 3).astype(np.uint8))[0, 0]
    border_lab = _at(lab, border, flat)
    dist = _distance(border_lab, ref)
    close = dist < 2 * MIN_THRESHOLD
    uniform = float(close.mean())
    # smooth surface through the border pixels that look like backdrop
    inl = close if close.sum() >= 12 else np.ones_like(close)
    A = _design(h, w, ys[inl].astype(np.float32), xs[inl].astype(np.float32)).astype(np.float64)
    b = border_lab[inl]
    b64 = b.astype(np.float64)
    coef = _least_squares(A, b64)
    # refit without the worst border pixels: a product touching the edge must not bend the surface
    res = _distance(b, (A @ coef).astype(np.float32))
    good = res <= max(2.5 * float(np.median(res)), 1.0)
    if good.sum() >= 12:
        coef = _least_squares(A[good], b64[good])
    coef = coef.astype(np.float32)
    # evaluate (c0 + c2 y + c5 y²) + x (c1 + c4 y) + c3 x² channel by channel on an HxW plane (an
    # HxWx3 broadcast runs numpy's inner loops 3 elements long: 5x slower); the same float32
    # operations (a sum of two terms is the same either way round)
    x = (np.arange(w, dtype=np.float32) / max(1, w - 1) * 2 - 1)[None, :]
    y = (np.arange(h, dtype=np.float32) / max(1, h - 1) * 2 - 1)[:, None]
    planes = []
    for c in coef.T:
        plane = x * (c[1] + c[4] * y)
        plane += c[0] + c[2] * y + c[5] * y * y
        plane += c[3] * x * x
        plane.setflags(write=False)
        planes.append(plane)
    planes = tuple(planes)
    at = flat[inl]
    resid = _distance(b, tuple(plane.reshape(-1)[at] for plane in planes))
    noise = float(np.percentile(resid, 95)) if resid.size else MIN_THRESHOLD
    threshold = max(MIN_THRESHOLD, 2.0 * noise)
    grad = _border_gradient(lab[..., 0], border)
    edge_threshold = max(4.0, 3.0 * float(np.percentile(grad[inl], 99)))
    return _Backdrop(tuple(int(round(v)) for v in rgb), ref, planes, uniform, threshold, edge_threshold)


def _least_squares(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x minimising |A x - b| for a tall, well-conditioned A (N x 6 quadratic terms in -1..1), by
    the normal equations in float64: the same coefficients as lstsq's SVD to float32 precision
    (the real set and the demo: surfaces identical), at a tenth of its CPU and with no BLAS threads."""
    A64 = A.astype(np.float64, copy=False)
    return np.linalg.solve(A64.T @ A64, A64.T @ b.astype(np.float64, copy=False))


def _border_gradient(L: np.ndarray, border: np.ndarray) -> np.ndarray:
    """_gradient(L)[border], computed on the four border strips only (with the blur's and the
    Sobel's reach of margin, so each value is the whole image's)."""
    h, w = L.shape
    strip = max(2, round(min(h, w) * BORDER_SHARE))  # as _border_mask
    m = strip + 8  # GaussianBlur sigma 1.2 reaches 5 px, Sobel 1
    if 2 * m >= min(h, w):
        return _gradient(L)[border]
    g = np.zeros((h, w), np.float32)
    g[:strip] = _gradient(L[:m])[:strip]
    g[h - strip:] = _gradient(L[h - m:])[m - strip:]
    g[:, :strip] = _gradient(np.ascontiguousarray(L[:, :m]))[:, :strip]
    g[:, w - strip:] = _gradient(np.ascontiguousarray(L[:, w - m:]))[:, m - strip:]
    return g[border]


class Measured:
    """An image's CIELAB, fitted backdrop and (bridged) product mask, each made at most once.

    The analysis reads them three times over the same proxy (product box, backdrop noise, the
    cut-out of the product's colours) and the cut-out twice (its own steps and product_mask's
    seed): `measured(img, known)` hands back `known` when it was made of this very array.
    """

    def __init__(self, image: np.ndarray):
        self.image = image
        self.lab = _lab(image)
        self.backdrop = _backdrop(image, self.lab)
        self._mask: np.ndarray | None = None

    def mask(self) -> np.ndarray:
        """product_mask(image)[0], made once."""
        if self._mask is None:
            self._mask = _product_mask(self.image, self.lab, self.backdrop, True)
        return self._mask


def measured(img_u8: np.ndarray, known: Measured | None = None) -> Measured:
    """`known` when it was measured on `img_u8` itself (the same array), else a new Measured."""
    return known if known is not None and known.image is img_u8 else Measured(img_u8)


def _gradient(L: np.ndarray) -> np.ndarray:
    """Gradient magnitude of L* (units per pixel) after a light blur that quiets sensor noise."""
    smooth = cv2.GaussianBlur(L, (0, 0), 1.2)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8
    return np.sqrt(gx * gx + gy * gy)


def product_mask(img_u8: np.ndarray, bridge: bool = True,
                 known: Measured | None = None) -> tuple[np.ndarray, _Backdrop]:
    """Boolean mask (same size as `img_u8`) of pixels that are product, cleaned, holes filled.

    Two cues: colour distance to the backdrop surface, and sharp edges in
    lightness (a white shirt on a cream sweep differs little in colour, but its
    outline is sharp; a soft shadow has no sharp edge). With `bridge`, gaps of
    up to 2.5 % of the image are closed so outlines become regions whose
    insides are filled. (Bridging may keep a little backdrop between a sleeve
    and the body in the white-background image; without it a light product
    on a light sweep gets whitened away, which is worse.)
    known: the image's Measured, when the caller has it (`measured`).
    """
    m = measured(img_u8, known)
    if bridge:
        return m.mask(), m.backdrop
    return _product_mask(img_u8, m.lab, m.backdrop, bridge), m.backdrop


def _product_mask(img_u8: np.ndarray, lab: np.ndarray, backdrop: _Backdrop, bridge: bool) -> np.ndarray:
    colour = _distance(lab, backdrop.planes) > backdrop.threshold
    # Canny: thin edges on the true boundary (a thresholded gradient would fatten the box)
    L8 = cv2.GaussianBlur(np.clip(lab[..., 0] * 2.55, 0, 255).astype(np.uint8), (0, 0), 1.2)
    hi = backdrop.edge_threshold * 8 * 2.55  # Sobel 3x3 gain 8, L* 0-100 -> 0-255
    edges = cv2.Canny(L8, hi / 2, hi, L2gradient=True) > 0
    raw = (colour | edges).astype(np.uint8)
    k = max(3, round(min(img_u8.shape[:2]) / 150) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    big = max(5, round(min(img_u8.shape[:2]) / 40) | 1) if bridge else k
    mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (big, big)))
    mask = _fill_holes(mask)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)  # specks of noise/dust, stray thin edges
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros(mask.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    kept = areas >= max(0.05 * areas.max(), 0.0005 * mask.size)
    if not kept.all():  # all kept: the mask is already their union
        mask = np.concatenate(([False], kept)).astype(np.uint8)[labels]
    return _fill_holes(mask).astype(bool)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill regions enclosed by the mask (a white label on a dark bag is still the bag).

    The bottom edge counts as closed between the outermost mask pixels on it:
    a bag or garment that runs off the bottom of the frame is still filled.
    """
    h, w = mask.shape
    flood = np.zeros((h + 2, w + 2), np.uint8)
    flood[1:-1, 1:-1] = mask
    on_bottom = np.flatnonzero(mask[-1])
    if on_bottom.size >= 2:
        flood[-1, on_bottom[0] + 1:on_bottom[-1] + 2] = 1
    cv2.floodFill(flood, None, (0, 0), 2)
    return (flood[1:-1, 1:-1] != 2).astype(np.uint8)


def find_product_box(img_u8: np.ndarray, known: Measured | None = None) -> ProductBox:
    """The product's box on its backdrop (see module doc).

    Busy scene (border not mostly one colour), nothing found, or the "product"
    covering almost everything: the whole image with confident=False.
    known: the framing proxy's Measured (`framing_proxy`), when the caller has it.
    """
    h, w = img_u8.shape[:2]
    proxy, factor = _proxy(img_u8)
    mask, backdrop = product_mask(proxy, known=known)
    whole = ProductBox(0, 0, w, h, backdrop.rgb, False)
    if backdrop.uniform < UNIFORM_SHARE or not mask.any():
        return whole
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))  # the mask's extent
    # one proxy pixel of slack each side: the proxy blurs edges by up to one pixel
    x0 = max(0, int(np.floor((cols[0] - 1) * factor)))
    y0 = max(0, int(np.floor((rows[0] - 1) * factor)))
    x1 = min(w, int(np.ceil((cols[-1] + 2) * factor)))
    y1 = min(h, int(np.ceil((rows[-1] + 2) * factor)))
    if (x1 - x0) * (y1 - y0) > 0.97 * w * h:
        return whole
    if min(x1 - x0, y1 - y0) < max(x1 - x0, y1 - y0) / 8:
        # a thin strip (a seam or edge in a close-up) is not a product outline
        return whole
    return ProductBox(x0, y0, x1, y1, backdrop.rgb, True)


Size = "int | tuple[int, int]"  # a square's side, or (width, height) in pixels


def _wh(size) -> tuple[int, int]:
    return (int(size), int(size)) if isinstance(size, (int, np.integer)) else (int(size[0]), int(size[1]))


def frame_scale(box: ProductBox, size: Size, fill: float) -> float:
    """Output pixels per source pixel so the box spans `fill` (0-1) of the frame on its tighter axis.

    size: the side of a square frame, or (width, height) of any aspect; the
    product is scaled evenly (never squashed) until its width or its height
    reaches `fill` of the frame's.
    """
    w, h = _wh(size)
    return fill * min(w / max(1, box.width), h / max(1, box.height))


def _fitting(box: ProductBox, size: Size, scale: float | None, fill: float) -> float:
    """`scale` (default: frame_scale), reduced so the product fits the frame: it is never cropped."""
    w, h = _wh(size)
    s = frame_scale(box, size, fill) if scale is None else float(scale)
    return min(s, w / max(1, box.width), h / max(1, box.height))


def frame_square(
    img_u8: np.ndarray,
    box: ProductBox,
    size: Size,
    fill: float,
    background_rgb: tuple[int, int, int] | None = None,
    scale: float | None = None,
    copy: bool = True,
) -> np.ndarray:
    """A `size` frame (square side, or (width, height)) with the product centred at the given fill.

    scale: output px per source px; default frame_scale(box, size, fill). A
    shared scale keeps several photos of one article alike; it is reduced if
    the product would not fit (the product box is never cropped). Areas beyond
    the photo are padded with `background_rgb` (default: the backdrop colour).
    copy=False: where the scaled photo fills the frame, a view of it (not contiguous, maybe of
    img_u8 itself) instead of a copy: one frame-sized plane fewer (the transparent image's are float).
    """
    background = tuple(int(v) for v in (background_rgb if background_rgb is not None else box.backdrop_rgb))
    out_w, out_h = _wh(size)
    s = _fitting(box, size, scale, fill)
    h, w = img_u8.shape[:2]
    new_w, new_h = max(1, round(w * s)), max(1, round(h * s))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    scaled = img_u8 if (new_w, new_h) == (w, h) else cv2.resize(img_u8, (new_w, new_h), interpolation=interp)
    sx, sy = new_w / w, new_h / h
    cx, cy = box.centre
    # top-left of the output window in scaled coordinates
    ox = round(cx * sx - out_w / 2)
    oy = round(cy * sy - out_h / 2)
    if not copy and ox >= 0 and oy >= 0 and ox + out_w <= new_w and oy + out_h <= new_h:
        return scaled[oy:oy + out_h, ox:ox + out_w]  # filled by the photo: its pixels, not a copy of them
    out = np.empty((out_h, out_w) + img_u8.shape[2:], img_u8.dtype)  # any channels (RGBA too)
    out[:] = background
    src_x0, src_y0 = max(0, ox), max(0, oy)
    src_x1, src_y1 = min(new_w, ox + out_w), min(new_h, oy + out_h)
    if src_x1 > src_x0 and src_y1 > src_y0:
        out[src_y0 - oy:src_y1 - oy, src_x0 - ox:src_x1 - ox] = scaled[src_y0:src_y1, src_x0:src_x1]
    return out


def framed_box(img_shape: tuple[int, ...], box: ProductBox, size: Size, fill: float,
               scale: float | None = None) -> tuple[int, int, int, int]:
    """Where `frame_square` puts the product box in the output (pixels, x1/y1 exclusive).

    Use it as `avoid` for a watermark outside the product (JD main images).
    """
    out_w, out_h = _wh(size)
    h, w = img_shape[:2]
    s = _fitting(box, size, scale, fill)
    new_w, new_h = max(1, round(w * s)), max(1, round(h * s))
    sx, sy = new_w / w, new_h / h
    cx, cy = box.centre
    ox, oy = round(cx * sx - out_w / 2), round(cy * sy - out_h / 2)
    x0 = max(0, int(np.floor(box.x0 * sx)) - ox)
    y0 = max(0, int(np.floor(box.y0 * sy)) - oy)
    x1 = min(out_w, int(np.ceil(box.x1 * sx)) - ox)
    y1 = min(out_h, int(np.ceil(box.y1 * sy)) - oy)
    return x0, y0, x1, y1


def flat_white_background(img_u8: np.ndarray, box: ProductBox, size: Size, fill: float,
                          scale: float | None = None,
                          background_rgb: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
    """The fallback white-background composite, by flat-fielding the backdrop.

    Inside the product outline (mask with holes filled) the photo is kept as
    it is: its colours are the product's. Everywhere else the photo is
    flat-fielded, divided by the backdrop's own smooth surface so the sweep
    becomes 255 while what differs from it (a pale sleeve the outline missed,
    a soft contact shadow) keeps its shading instead of being cut out; a soft
    matte on the colour distance blends the two. Outside the framed product
    box everything is exactly 255,255,255 (the background colour).
    Not confident (busy scene): the framed photo on white padding, unmatted.
    """
    framed = frame_square(img_u8, box, size, fill, background_rgb=box.backdrop_rgb, scale=scale)
    if not box.confident:
        # no trustworthy product outline: keep the photo as it is, on white padding
        return frame_square(img_u8, box, size, fill, background_rgb=background_rgb, scale=scale)
    lab = _lab(framed)
    mask, backdrop = product_mask(framed)
    threshold = max(MIN_THRESHOLD, min(backdrop.threshold, 3 * MIN_THRESHOLD))
    dist = _distance(lab, backdrop.surface)
    alpha = np.clip((dist - threshold) / (1.5 * threshold), 0.0, 1.0)
    if mask.any():
        core = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        alpha = np.maximum(alpha, core.astype(np.float32))
        # beyond the (slightly grown) outline only the flat-fielded photo shows
        grown = cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
        alpha[~grown] = 0.0
    surface_rgb = cv2.cvtColor(backdrop.surface.astype(np.float32), cv2.COLOR_Lab2RGB) * 255.0
    # FLAT_HEADROOM: the fitted surface runs a few levels under a real sweep's
    # brightest parts; without it the box shows as a faint grey rectangle
    flat = np.clip(framed.astype(np.float32) * (255.0 * FLAT_HEADROOM / np.maximum(surface_rgb, 1.0)), 0, 255)
    bg = np.asarray(background_rgb, np.float32)
    if (bg != 255).any():  # the sweep becomes the background colour, its shading kept
        flat *= bg / 255.0
    a = alpha[..., None]
    out = framed.astype(np.float32) * a + flat * (1.0 - a)
    # nothing of the photo survives outside the product's own box
    x0, y0, x1, y1 = framed_box(img_u8.shape, box, size, fill, scale)
    outside = np.ones(alpha.shape, bool)
    outside[y0:y1, x0:x1] = False
    out[outside] = bg
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def border_noise(lab: np.ndarray, surface: np.ndarray) -> float:
    """How far the image border strays from the fitted backdrop surface: 95th-percentile ΔE (CIELAB).

    A studio sweep, shaded or vignetted, stays within a few units; a scene
    (a runway, a floor, a room) differs by tens. Above PLAIN_NOISE the
    product cannot be cut out of it (`is_plain`).
    """
    h, w = lab.shape[:2]
    border = _border_mask(h, w)
    return float(np.percentile(channel_norm(lab[border] - surface[border]), 95))


def backdrop_noise(img_u8: np.ndarray, known: Measured | None = None) -> float:
    """border_noise of a photo (uint8 RGB), measured on its framing proxy (`known`: its Measured)."""
    m = measured(_proxy(img_u8)[0], known)
    return border_noise(m.lab, m.backdrop.surface)


def framing_proxy(img_u8: np.ndarray) -> Measured:
    """The Measured of the proxy find_product_box and backdrop_noise work on (PROXY_PX)."""
    return Measured(_proxy(img_u8)[0])


def is_plain(noise: float | None) -> bool:
    """A backdrop the product can be cut out of (studio sweep or plain wall); None (not measured): assumed."""
    return noise is None or noise <= PLAIN_NOISE


def backdrop_score(img_u8: np.ndarray) -> float:
    """How clean and white the backdrop is, 0 (busy or dark) to 1 (plain pure white).

    Product of: share of the border matching one colour, how light that
    colour is (L* 80 -> 0, 100 -> 1) and how neutral it is (chroma 0 -> 1, 20 -> 0).
    """
    proxy, _ = _proxy(img_u8, 300)
    lab = _lab(proxy)
    backdrop = _backdrop(proxy, lab)
    L, a, b = (float(v) for v in backdrop.lab)
    lightness = np.clip((L - 80.0) / 20.0, 0.0, 1.0)
    neutral = np.clip(1.0 - np.hypot(a, b) / 20.0, 0.0, 1.0)
    return float(backdrop.uniform * lightness * neutral)
