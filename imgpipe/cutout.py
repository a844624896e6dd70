"""Cutting the product out of its studio backdrop: a clean alpha mask.

Arrays are uint8 HxWx3 RGB (sRGB 0-255) unless said otherwise; alpha is
float32 0 (backdrop) .. 1 (product).

The steps, on a proxy of at most PROXY_PX pixels on the long side:

1. seed: `framing.product_mask` (colour distance to the fitted backdrop
   surface plus sharp lightness edges, gaps bridged, enclosed areas filled);
2. through-holes: areas inside the filled outline that show the backdrop
   (inside a mug's handle or a tote's straps) are taken out again, so the
   backdrop there becomes white like everywhere else;
3. soft shadows: backdrop that is only darkened (same chromaticity as the
   backdrop, lighter than a quarter of it, no sharp outline towards the
   open backdrop) is a shadow, not product; so is the shaded backdrop in a
   narrow gap between two parts (under a sleeve) whose mouth the bridging closed;
4. GrabCut on a band along the outline, seeded by 1-3: the colour models of
   product and backdrop decide the pixels the bridging added (the grey
   wedge between a sleeve and the body) and the edge follows real contrast;
5. alpha matting on a narrow band (closed-form matting, `matting`) and the
   product's own colours at the edge (foreground estimation), so nothing of the backdrop
   bleeds into the edge: no grey halo on white, no fringe in a PNG.

An optional learned salient-object model (ONNX: U²-Net, IS-Net, BiRefNet
exports; `[cutout] model` in imgpipe.toml, off by default; run by saliency.py)
replaces steps 1-4 when the shop has a weights file: its map gives the
trimap (model_trimap: sure product, sure backdrop, a measured band along the
outline), matted as in step 5; an enclosed area is a hole only where the
model is sure of it. It also cuts out photos shot in a scene, which the
classical steps refuse (framing.is_plain). Each Cutout says how it was made
(method, confidence, reason) for validate's `no_cutout`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from imgpipe import framing, matting, saliency
from imgpipe.ops import channel_max, channel_norm

PROXY_PX = 1000
SHADOW_MIN_RATIO = 0.12   # darker than 12 % of the backdrop's light is product, never shadow
SHADOW_MAX_RATIO = 0.97   # less than 3 % darkening is just the backdrop
SHADOW_CHROMA = 0.10      # shadow keeps the backdrop's chromaticity within 10 % per channel
SHADOW_REACH = 0.025      # a shadow reaches at most 2.5 % of the long side into the seed
SHADOW_STEP = 3.0         # inside a shadow the light changes by less than 3x across an edge (core to penumbra)
GAP_BRIDGE = 0.006        # a gap between parts: enclosed when 2.5 % is bridged, open at 0.6 %
GAP_WIDTH = 0.03          # ... at most 3 % of the long side wide anywhere (a pale body is wider)
GAP_REACH = 0.15          # ... and its shade is followed up to 15 % of the long side from its mouth
KEEP_REACH = 0.06         # a kept shadow: up to 6 % of the long side from the product, fading out
KEEP_MIN = 0.03           # ... and darkening the backdrop by at least 3 % (less is its noise)
LOW_EVIDENCE = 3.0        # inside the outline's hull, plain ΔE above 3x the backdrop's noise is product
LOCAL_EVIDENCE = 1.6      # ... and so is ΔE averaged over a ~1 % window above 1.6x that noise
AREA_EVIDENCE = 2.5       # ... and so is an area of it whose median ΔE is above 2.5x that noise
LIMB_SHADE = 1.3          # ... shadow-like, but 30 % darker on its far half than next to the product
GROW_REACH = 0.025        # outside the hull, such pixels (not shadow-like) join up to 2.5 % of the long side out
HOLE_NOISE = 2.0          # a hole matches the backdrop surface within 2x the backdrop's own ΔE noise
HOLE_MEDIAN = 1.0         # ... its median ΔE within the noise itself (a pale body sits higher)
HOLE_FENCE = 0.008        # ... and fenced off from the open backdrop by 0.8 % of the long side
HOLE_RIM_EDGES = 0.3      # ... and at least 30 % of its rim is sharp edge (the product's inner outline)
HOLE_MAX_SHARE = 0.35     # a hole is at most 35 % of the filled outline's area
HOLE_MIN_PX = 0.00005     # ... and at least this share of the image (smaller: dust, stitching)
BAND_SHARE = 0.012        # GrabCut decides within 1.2 % of the long side of the seed outline
MATTE_BAND_PX = 2         # unknown band for matting: ±2 proxy pixels around the GrabCut outline
MIN_AGREEMENT = 0.80      # cut-out vs seed IoU below this: the mask is not trusted
FLAT_NOISE = 0.5          # a backdrop whose 95th-percentile ΔE to its surface is below this is flat (not a photo)
FLAT_DE = 2.0             # ... and on it, every pixel differing by more than this is product
EDGE_TOUCH = 0.02         # a product along 2 % of a side of the photo runs out of the frame (a close-up) ...
THIN_PART = 0.006         # ... not counting its parts thinner than 1.2 % of the long side (straps, cords, wires)
FRAME_RING = 0.003        # ... unless the backdrop (its colour on the outer 0.3 % of each side, away from the product)
MARGIN_PLAIN = 4.0        # ... is plain (95th-percentile ΔE to it at most 4) and continues between the product and the
MARGIN_DE = 3.0           # ... frame: within 3 ΔE of it, unbroken from the frame inwards for at least 0.2 % of the
MARGIN_MIN = 0.002        # ... long side (2 px at 1000), looked for up to 2 % in (MARGIN_REACH): a product shot whole,
MARGIN_REACH = 0.02       # ... close to the frame (the real bulb: 5 px from the top of 1024, its mask reaches row 0)
CONFIDENCE_REACH = 0.01   # a model's certainty is measured within 1 % of the long side of the outline
MODEL_MIN_CONFIDENCE = 0.5  # below this the model's cut-out is not trusted
LOW_CONFIDENCE = 0.7      # ... and below this it is published with a warning (IS-Net on real photos: 0.56-0.90)
MODEL_BAND_MAX = 3        # proxy px: the widest unknown band either side of a model's outline
MODEL_HOLE_SURE = 0.05    # an enclosed area is a hole where the model's map is below this ...
MODEL_HOLE_SHARE = 0.10   # ... over 10 % of its pixels (the 10th percentile)
MODEL_THIN_SURE = 0.8      # a part thinner than the band is kept as sure product where the map is above this
MODEL_UNSURE = (0.2, 0.8)  # map values the model is unsure of: the matte decides there by colour
MODEL_MIN_AREA = 0.002    # a product smaller than 0.2 % of the photo is no product
PULL_DE = 2.5             # a model's unknown band: a pixel within 2.5 ΔE of a plain backdrop is backdrop ...
PULL_CONTRAST = 8.0       # ... where the product's colour there is at least 8 ΔE from it (backdrop_pulled)


@dataclass(frozen=True)
class Cutout:
    """A product cut out of its photo, at the photo's full size.

    alpha: float32 HxW 0-1. foreground: uint8 HxWx3, the photo with the edge
    pixels' colours freed of the backdrop (use it wherever alpha > 0).
    shadow: float32 HxW 0-1, how much the product's shadow darkens the
    backdrop (0 = not at all); outside the product and under its matted edge
    (composite the product over it).
    good: the backdrop was plain, a product was found and the refined mask
    agrees with the seed; when False use a fallback (the caller decides).
    holes: number of through-holes found.
    method: how it was made: "model" (a learned model's map, matted), "classical" (the steps
    above) or "none" (nothing cut out: `reason` says why).
    confidence: 0-1, how sure the cut-out is (a model: its certainty along the outline).
    reason: why nothing (or nothing trusted) was cut out: "scene" (no plain backdrop and no
    model), "close_up" (the product runs out of the frame), "no_product"; "" when good.
    """

    alpha: np.ndarray
    foreground: np.ndarray
    shadow: np.ndarray
    backdrop_rgb: tuple[int, int, int]
    good: bool
    holes: int
    method: str = "classical"
    confidence: float = 1.0
    reason: str = ""

    def made(self) -> dict:
        """How the cut-out was made, for an output's catalog meta (validate reads it)."""
        out = {"method": self.method if self.good or self.method == "none" else "none",
               "confidence": round(float(self.confidence), 3)}
        if self.reason or not self.good:
            out["reason"] = self.reason or "no_product"
        return out


def _disk(r: int) -> np.ndarray:
    r = max(1, int(r))
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _linear(img: np.ndarray) -> np.ndarray:
    """sRGB uint8 or float 0-255 -> linear float32 0-1."""
    if isinstance(img, np.ndarray) and img.dtype == np.uint8:
        return _LINEAR_U8[img]  # the same values, looked up: the formula per pixel cost ~25 ms a megapixel
    v = np.asarray(img, np.float32) / 255.0
    out = v + 0.055  # ((v + 0.055) / 1.055) ** 2.4, in place
    out /= 1.055
    out **= 2.4
    low = v <= 0.04045
    out[low] = v[low] / 12.92
    return out


_LINEAR_U8 = _linear(np.arange(256, dtype=np.float32))


def _surface_linear(surface_lab: np.ndarray) -> np.ndarray:
    rgb = cv2.cvtColor(surface_lab.astype(np.float32, copy=False), cv2.COLOR_Lab2RGB)
    rgb = np.clip(rgb, 0, 1, out=rgb)
    rgb *= 255.0
    return _linear(rgb)


def shadow_field(img_u8: np.ndarray, surface_lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(darkening 0-1, shadow-like bool) per pixel against the backdrop surface.

    A shadow only removes light: every channel is scaled by about the same
    factor k (SHADOW_CHROMA), with SHADOW_MIN_RATIO <= k <= SHADOW_MAX_RATIO.
    darkening = 1 - k, clipped to 0-1 (0 where lighter than the backdrop).
    """
    # in place where the arithmetic allows: the same values with a third of the HxWx3 float planes
    bg = _surface_linear(surface_lab)
    ratio = np.divide(_linear(img_u8), np.maximum(bg, 1e-4, out=bg), out=bg)
    k = ratio @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    k = np.maximum(k, 1e-4, out=k)
    spread = np.divide(ratio, k[..., None], out=ratio)
    spread -= 1.0
    spread = channel_max(np.abs(spread, out=spread))
    like = (k >= SHADOW_MIN_RATIO) & (k <= SHADOW_MAX_RATIO) & (spread <= SHADOW_CHROMA)
    darkening = 1.0 - k
    return np.clip(darkening, 0.0, 1.0, out=darkening).astype(np.float32, copy=False), like


def _components(mask: np.ndarray):
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return count, labels, stats


def _edges(lab: np.ndarray, backdrop) -> np.ndarray:
    """Sharp lightness edges (Canny), as in framing.product_mask."""
    L8 = cv2.GaussianBlur(np.clip(lab[..., 0] * 2.55, 0, 255).astype(np.uint8), (0, 0), 1.2)
    hi = backdrop.edge_threshold * 8 * 2.55
    return cv2.Canny(L8, hi / 2, hi, L2gradient=True) > 0


def find_holes(filled: np.ndarray, evidence: np.ndarray, edges: np.ndarray, delta_e: np.ndarray,
               noise: float) -> np.ndarray:
    """Through-holes: parts of the filled outline that show plain backdrop. bool HxW.

    evidence: pixels that are product by colour or edge. A candidate is a
    connected area of the outline without evidence; it is a hole when it is
    small next to the outline (HOLE_MAX_SHARE), not a speck, at least
    HOLE_FENCE of the long side away from the open backdrop, and it sits on
    the backdrop surface as closely as the backdrop itself does: plain ΔE to
    the surface (no allowance for shadows) within HOLE_NOISE x the border's
    95th-percentile ΔE `noise` for 80 % of its pixels and within the noise
    (HOLE_MEDIAN) at its median, and its rim is mostly
    sharp edge (HOLE_RIM_EDGES). A white mug's body or a black mug on a dark
    sweep lacks evidence, but is shaded or darker, and a glossy band whose
    shade crosses the backdrop's has no sharp rim.
    """
    h, w = filled.shape
    grow = max(1, round(max(h, w) / 400))
    free = filled & ~cv2.dilate(evidence.astype(np.uint8), _disk(grow)).astype(bool)
    count, labels, stats = _components(free)
    holes = np.zeros_like(filled)
    area = max(1, int(filled.sum()))
    limit = HOLE_NOISE * max(noise, 1.0)
    # a hole is fenced off from the open backdrop by the product (a handle's
    # thickness); a pale body that just lacks evidence is only its outline away
    inside = cv2.distanceTransform(np.pad(filled, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    fence = max(3.0, HOLE_FENCE * max(h, w))
    for i in range(1, count):
        n = stats[i, cv2.CC_STAT_AREA]
        if n > HOLE_MAX_SHARE * area or n < HOLE_MIN_PX * h * w:
            continue
        part = labels == i
        d = delta_e[part]
        if (float(inside[part].min()) < fence or float(np.percentile(d, 80)) > limit
                or float(np.median(d)) > HOLE_MEDIAN * max(noise, 1.0)):
            continue
        # a hole's rim is the product's inner outline: mostly sharp edge. A band of a glossy
        # body whose shade crosses the backdrop's is bordered by smooth shading instead
        x, y, bw, bh = stats[i, :4]
        x0, y0 = max(0, x - 3 * grow - 2), max(0, y - 3 * grow - 2)
        x1, y1 = min(w, x + bw + 3 * grow + 2), min(h, y + bh + 3 * grow + 2)
        sub = part[y0:y1, x0:x1].astype(np.uint8)
        rim = cv2.dilate(sub, _disk(grow + 1)).astype(bool) & ~sub.astype(bool)
        near_edge = cv2.dilate(edges[y0:y1, x0:x1].astype(np.uint8), _disk(grow + 1)).astype(bool)
        if float(near_edge[rim].mean()) >= HOLE_RIM_EDGES:
            # give back the ring the evidence dilation took: the hole reaches the product's edge
            holes |= cv2.dilate(part.astype(np.uint8), _disk(grow)).astype(bool) & ~evidence
    return holes & filled


def find_shadows(seed: np.ndarray, like: np.ndarray, edges: np.ndarray, darkening: np.ndarray) -> np.ndarray:
    """Soft shadows inside the seed: bool HxW.

    Shadow-like pixels away from sharp edges that run into the open backdrop
    without a sharp edge in between, up to SHADOW_REACH of the long side
    from it (a shadow fades out there; the visible part of a contact shadow
    is a narrow band). A dark product's body is fenced in by its own sharp
    outline, and whatever sharp edges enclose (gaps bridged) is product: a
    pale product's shaded side is not its shadow. `darkening` as
    shadow_field returns it.
    """
    h, w = seed.shape
    grow = max(1, round(max(h, w) / 500))
    # an edge with shadow on both sides (a contact shadow's dark core against its penumbra) is
    # no outline, unless the light changes across it more than inside a shadow: a white mug's
    # shaded side against the backdrop in its shade is as neutral as a shadow, but 4-5x darker.
    # What the outline encloses is product, however shadow-like
    light = (1.0 - darkening).astype(np.float32)
    step = cv2.dilate(light, _disk(2)) / np.maximum(cv2.erode(light, _disk(2)), 0.01)
    outline = edges & ~(cv2.erode(like.astype(np.uint8), _disk(2)).astype(bool) & (step <= SHADOW_STEP))
    sharp = cv2.dilate(outline.astype(np.uint8), _disk(grow)).astype(bool)
    enclosed = _enclosed_by_edges(outline)
    loose = seed & like & ~enclosed
    cand = (loose & ~sharp).astype(np.uint8)
    reached = _reach((~seed).astype(np.uint8), cand, max(1, round(SHADOW_REACH * max(h, w))))
    # a gap between two parts (the wedge between a sleeve and the body) is enclosed only
    # because the bridging closed its mouth; shadow-like all the way from that mouth, it is
    # the backdrop in the parts' shade, however deep
    gap = _thin(seed & like & enclosed & ~_enclosed_by_edges(outline, GAP_BRIDGE), GAP_WIDTH * max(h, w))
    if gap.any():
        reached = _reach(reached | (~seed).astype(np.uint8), (gap & ~sharp).astype(np.uint8),
                         max(1, round(GAP_REACH * max(h, w))))
    shadow = reached.astype(bool) & seed
    shadow &= ~_own_shading(seed, shadow, darkening)
    # the darkest strip right under the product (or along a gap's sides) lies on its outline:
    # take it too when it continues a shadow found there and the outline does not enclose it
    return shadow | (cv2.dilate(shadow.astype(np.uint8), _disk(2 * grow + 1)).astype(bool) & (loose | gap) & sharp)


def _under(body: np.ndarray) -> np.ndarray:
    """Pixels below the body's lowest pixel in their column (where a contact shadow lies on a sweep)."""
    return np.maximum.accumulate(body, axis=0) & ~np.maximum.accumulate(body[::-1], axis=0)[::-1]


def _own_shading(seed: np.ndarray, shadow: np.ndarray, darkening: np.ndarray) -> np.ndarray:
    """The parts of `shadow` beside the product (not under it) that darken towards the open backdrop:
    the product's shaded side seen up to its silhouette (a white mug's handle through a gap in its
    outline), where a shadow would lighten away from what casts it. bool HxW."""
    count, labels, stats = _components(shadow)
    if count <= 1:
        return np.zeros_like(shadow)
    inside = cv2.distanceTransform(np.pad(seed, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    under = _under(seed & ~shadow)
    own = np.zeros(count, bool)
    for i in range(1, count):
        part = labels == i
        if stats[i, cv2.CC_STAT_AREA] >= 20 and float(under[part].mean()) < 0.5:
            own[i] = _shaded_outwards(-inside[part], darkening[part])
    return own[labels]


def _thin(mask: np.ndarray, width: float) -> np.ndarray:
    """The parts of `mask` no wider than `width` pixels anywhere (a gap between parts, not a body)."""
    count, labels, _ = _components(mask)
    if count <= 1:
        return mask
    depth = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]
    widest = np.zeros(count, np.float32)
    np.maximum.at(widest, labels.ravel(), depth.ravel())
    keep = np.flatnonzero(2 * widest <= width)
    return np.isin(labels, keep[keep > 0])


def _enclosed_by_edges(edges: np.ndarray, bridge: float = 0.025) -> np.ndarray:
    """What sharp edges enclose, gaps of up to `bridge` of the short side (2.5 %, as the seed) bridged."""
    h, w = edges.shape
    big = max(5, round(min(h, w) * bridge) | 1)
    closed = cv2.morphologyEx(edges.astype(np.uint8), cv2.MORPH_CLOSE, _disk(big // 2))
    return framing._fill_holes(closed).astype(bool)


def grow_seed(seed: np.ndarray, delta_e: np.ndarray, noise: float, like: np.ndarray,
              enclosed: np.ndarray, darkening: np.ndarray) -> np.ndarray:
    """The seed plus what differs faintly from the backdrop inside the seed's convex hull. bool HxW.

    framing.product_mask needs a weighted ΔE of 9 (shadows must not count);
    a white mug on a pale sweep or a black one on a dark sweep differ by less
    along whole stretches of outline, and the fill then leaks. Inside the
    hull, plain ΔE above LOW_EVIDENCE x the backdrop's noise is product too,
    unless it looks like a shadow that no sharp edge encloses; an area of it
    that darkens away from the product is the product's own shading.
    `darkening` as shadow_field returns it.
    """
    if not seed.any():
        return seed
    h, w = seed.shape
    # what sharp edges enclose next to the seed belongs to its outline too: a black mug's
    # rim on a dark sweep has a clear edge but too little colour difference for the seed
    count, labels, _ = _components(enclosed)
    touching = np.unique(labels[seed & enclosed])
    outline = seed | np.isin(labels, touching[touching > 0])
    hull = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(outline.astype(np.uint8))), 1)
    hull = hull.astype(bool)
    # ΔE averaged over a small window: noise averages out, a pale body's few units of
    # difference do not (single pixels of it cross the backdrop's shade)
    k = max(3, round(max(h, w) / 120) | 1)
    local = cv2.blur(delta_e.astype(np.float32), (k, k))
    faint = hull & ((delta_e > max(4.0, LOW_EVIDENCE * noise)) | (local > max(2.0, LOCAL_EVIDENCE * noise)))
    faint &= ~(like & ~enclosed)
    grown = seed | faint
    # whole areas of the hull the seed missed: product when, taken together, they differ from
    # the backdrop more than its noise and do not look like shadow (a pale mug's body, where
    # single pixels cross the backdrop's shade); concavities between parts show plain backdrop
    count, labels, stats = _components(hull & ~grown)
    away = cv2.distanceTransform((~grown).astype(np.uint8), cv2.DIST_L2, 3)
    for i in range(1, count):
        if stats[i, cv2.CC_STAT_AREA] < 50:
            continue
        part = labels == i
        if float(np.median(delta_e[part])) > AREA_EVIDENCE * noise and (
                float(like[part].mean()) < 0.5 or _shaded_outwards(away[part], darkening[part])):
            grown |= part
    # beyond the hull: a convex outline the seed cut short (a white shirt's shaded hem) goes
    # on outwards as long as the pixels differ from the backdrop and look like no shadow
    beyond = ((delta_e > max(4.0, LOW_EVIDENCE * noise)) & ~like).astype(np.uint8)
    grown = _reach(grown.astype(np.uint8), beyond, round(GROW_REACH * max(h, w)))
    grown = cv2.morphologyEx(grown, cv2.MORPH_CLOSE, _disk(max(1, round(max(h, w) / 300))))
    grown = framing._fill_holes(grown)
    grown = cv2.morphologyEx(grown, cv2.MORPH_OPEN, _disk(max(1, round(max(h, w) / 400))))
    return _keep_large(grown.astype(bool)) | seed


def _shaded_outwards(away: np.ndarray, darkening: np.ndarray) -> bool:
    """True when an area is darker (by LIMB_SHADE) on its half away from the product than on its half
    next to it: the product's own shading towards its silhouette (a white mug's side on a pale
    sweep, as neutral as a shadow). A shadow fades the other way, away from what casts it.
    away: distance from the product per pixel of the area; darkening: shadow_field's, same pixels."""
    mid = float(np.median(away))
    near, far = darkening[away <= mid], darkening[away > mid]
    return bool(far.size and near.size and float(far.mean()) > LIMB_SHADE * max(float(near.mean()), KEEP_MIN))


def _reach(start: np.ndarray, allowed: np.ndarray, steps: int) -> np.ndarray:
    """`start` (uint8 0/1) grown step by step (4-neighbours) into `allowed`, at most `steps` times."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    reached = start
    for _ in range(max(0, steps)):
        grown = cv2.dilate(reached, cross) & (allowed | reached)
        if np.array_equal(grown, reached):
            break
        reached = grown
    return reached


def _grabcut(img_u8: np.ndarray, sure_fg: np.ndarray, maybe_fg: np.ndarray, maybe_bg: np.ndarray) -> np.ndarray:
    """GrabCut (OpenCV) from a 4-level trimap; returns bool product mask."""
    gc = np.full(sure_fg.shape, cv2.GC_BGD, np.uint8)
    gc[maybe_bg] = cv2.GC_PR_BGD
    gc[maybe_fg] = cv2.GC_PR_FGD
    gc[sure_fg] = cv2.GC_FGD
    if not (gc == cv2.GC_FGD).any() or not ((gc == cv2.GC_PR_FGD) | (gc == cv2.GC_PR_BGD)).any():
        return sure_fg | maybe_fg
    ys, xs = np.nonzero(gc != cv2.GC_BGD)
    pad = 8
    y0, y1 = max(0, ys.min() - pad), min(gc.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(gc.shape[1], xs.max() + pad + 1)
    sub = np.ascontiguousarray(gc[y0:y1, x0:x1])
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(13)  # GrabCut's k-means draws from OpenCV's global RNG: same photo, same cut-out
    try:
        cv2.grabCut(np.ascontiguousarray(img_u8[y0:y1, x0:x1]), sub, None, bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return sure_fg | maybe_fg
    out = np.zeros(gc.shape, bool)
    out[y0:y1, x0:x1] = (sub == cv2.GC_FGD) | (sub == cv2.GC_PR_FGD)
    return out


def matte(img_u8: np.ndarray, mask: np.ndarray, band: int = MATTE_BAND_PX, *,
          decontaminate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(alpha float32 0-1, foreground float32 0-1 HxWx3) from a hard mask, refined on a band.

    Known product: the mask eroded by `band`; known backdrop: outside it
    dilated by `band`; the band in between is solved by closed-form matting
    (matting.closed_form_alpha) on the band's bounding box, with the
    foreground colours estimated there too (matting.foreground_colours).
    decontaminate=False: the alpha alone, with the photo's own colours (for
    a caller that needs only the outline; it changes no alpha).
    """
    m8 = mask.astype(np.uint8)
    fg = cv2.erode(m8, _disk(band)).astype(bool)
    bg = ~cv2.dilate(m8, _disk(band)).astype(bool)
    return matte_trimap(img_u8, fg, bg, decontaminate=decontaminate)


def matte_trimap(img_u8: np.ndarray, fg: np.ndarray, bg: np.ndarray, *,
                 decontaminate: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, foreground) as matte() returns them, from a trimap: `fg` sure product, `bg` sure
    backdrop (bool HxW), the rest solved by closed-form matting on its bounding box."""
    alpha = fg.astype(np.float32)
    img = img_u8.astype(np.float32) / 255.0
    foreground = img  # the edge's colours are written into it once `sub`, a copy, is taken: no second plane
    unknown = ~fg & ~bg
    if not unknown.any():
        return alpha, foreground
    ys, xs = np.nonzero(~bg)
    pad = 6
    y0, y1 = max(0, ys.min() - pad), min(fg.shape[0], ys.max() + pad + 1)
    x0, x1 = max(0, xs.min() - pad), min(fg.shape[1], xs.max() + pad + 1)
    sub = img[y0:y1, x0:x1].astype(np.float64)
    trimap = np.full(sub.shape[:2], 0.5)
    trimap[fg[y0:y1, x0:x1]] = 1.0
    trimap[bg[y0:y1, x0:x1]] = 0.0
    a = matting.closed_form_alpha(sub, trimap)
    if decontaminate:
        foreground[y0:y1, x0:x1] = matting.foreground_colours(sub, a)
    a = np.where(trimap == 1.0, 1.0, np.where(trimap == 0.0, 0.0, a)).astype(np.float32)
    alpha[y0:y1, x0:x1] = a
    return alpha, foreground


def backdrop_pulled(lab: np.ndarray, alpha: np.ndarray, foreground: np.ndarray, surface: np.ndarray,
                    band: np.ndarray) -> np.ndarray:
    """`alpha` with the band's pixels that show the plain backdrop given back to it.

    The closed-form matte spreads alpha over a low-contrast edge: above a white rib collar on a light
    grey sweep (the real G501-02: rib 220, sweep 246) it gave pixels of the sweep's own colour (245-250)
    alpha 0.4-0.5, a light fringe outside the collar on a dark ground. In `band` (cut_out: the unknown
    band outside the model's mask, where the model too says backdrop), a pixel
    within PULL_DE of the backdrop surface whose product colour (the decontaminated `foreground`) is
    at least PULL_CONTRAST from it takes at most its projection on the line from backdrop to product
    (as flat_matte). Glass and a see-through lace keep their alpha: their product colour is the
    backdrop's."""
    near = band & (channel_norm(lab - surface) <= PULL_DE)
    if not near.any():
        return alpha
    f = cv2.cvtColor(foreground.astype(np.float32, copy=False), cv2.COLOR_RGB2Lab)
    pull = near & (channel_norm(f - surface) >= PULL_CONTRAST)
    if not pull.any():
        return alpha
    b = cv2.cvtColor(surface.astype(np.float32, copy=False), cv2.COLOR_Lab2RGB)[pull]
    img = cv2.cvtColor(lab.astype(np.float32, copy=False), cv2.COLOR_Lab2RGB)[pull]
    span = foreground[pull] - b
    a = ((img - b) * span).sum(-1) / np.maximum((span * span).sum(-1), 1e-4)
    alpha = alpha.copy()
    alpha[pull] = np.minimum(alpha[pull], np.clip(a, 0.0, 1.0))
    return alpha


def flat_matte(img_u8: np.ndarray, mask: np.ndarray, backdrop_rgb) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, foreground) as matte() returns them, on a known flat backdrop (a flattened cut-out).

    With the backdrop B known, an edge pixel I = a*F + (1-a)*B: F is taken
    from the nearest pixel well inside the product and a is I's projection
    onto the line from B to F. Exact for a thread of a fringe composited on
    white, where a band-limited matting leaves pale edges on thin parts.
    """
    img = img_u8.astype(np.float32) / 255.0
    alpha = mask.astype(np.float32)
    foreground = img.copy()
    b = np.asarray(backdrop_rgb, np.float32) / 255.0
    # the edge: up to 3 px inside the outline, except pixels as far from the backdrop as any
    # around them (a thread's core: mixed pixels are always nearer the backdrop than it)
    far = channel_norm(img - b)
    core = far >= 0.95 * cv2.dilate(far, np.ones((5, 5), np.uint8))
    rim = cv2.dilate(mask.astype(np.uint8), _disk(1)).astype(bool) & ~cv2.erode(mask.astype(np.uint8), _disk(3)).astype(bool)
    edge = rim & ~(core & mask)
    solid = mask & ~edge
    if not solid.any() or not edge.any():
        return alpha, foreground
    _, labels = cv2.distanceTransformWithLabels((~solid).astype(np.uint8), cv2.DIST_L2, 5,
                                                labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(solid)  # labels number the solid pixels in this (raster) order
    nearest = labels[edge] - 1
    f = img[ys[nearest], xs[nearest]]
    span = f - b
    a = ((img[edge] - b) * span).sum(-1) / np.maximum((span * span).sum(-1), 1e-4)
    alpha[edge] = np.clip(a, 0.0, 1.0)
    foreground[edge] = f
    return alpha, foreground


def load_model(model_path: Path):
    """An onnxruntime session for a salient-object model file (ONNX), kept per process.

    Raises ImportError (onnxruntime not installed) or onnxruntime's own error
    (not a model) for the caller to report; `Workspace.cutout_model` checks a
    workspace's model this way before any photo is cut.
    """
    return saliency.load(Path(model_path))[0]


def model_mask(prob: np.ndarray, img_u8: np.ndarray | None = None) -> np.ndarray:
    """The product's own mask from a model's map (0-1, any size): above 0.5, specks dropped. bool.
    img_u8: the photo (any size): the backdrop between the product and the frame is taken out (frame_gap)."""
    mask = _keep_large(prob >= 0.5)
    return mask & ~frame_gap(img_u8, mask) if img_u8 is not None else mask


def touches_frame(mask: np.ndarray) -> bool:
    """True when the product runs into the photo's edge (a close-up: the frame cuts it) along at
    least EDGE_TOUCH of any side, counting only its body: parts thinner than 2 x THIN_PART of the
    long side (a strap or cord reaching the edge) are opened away first. A corner or a pixel of
    contact is no cut. (Measured on the real set: the canvas bags' straps reach three sides, but
    their bodies are cut by the bottom edge too, so they stay a close-up; letting them through
    published them with the frame's edge smeared outwards in the transparent image.)
    A model's mask is first freed of the backdrop between the product and the frame (frame_gap):
    a product shot whole close to the frame does not touch it."""
    if not mask.any():
        return False
    r = max(1, round(THIN_PART * max(mask.shape)))
    body = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, _disk(r)).astype(bool)
    return max(float(body[0].mean()), float(body[-1].mean()), float(body[:, 0].mean()),
               float(body[:, -1].mean())) >= EDGE_TOUCH


def _frame_lab(img_u8: np.ndarray, shape) -> np.ndarray:
    if img_u8.shape[:2] != tuple(shape):
        img_u8 = cv2.resize(img_u8, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(img_u8.astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)


def frame_gap(img_u8: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The pixels of `mask` next to the frame that show the backdrop (bool, the mask's shape).

    A model's mask of a product shot to within a few pixels of a plain sweep's edge runs on to the
    frame over that margin (IS-Net on a white bulb 5 px from the top: its mask reaches row 0).
    The backdrop's colour is measured on the outer FRAME_RING px of each side away from the mask;
    on a plain backdrop (95th-percentile ΔE to it at most MARGIN_PLAIN), the pixels within MARGIN_REACH
    of a side that match it within MARGIN_DE, in an unbroken run from the frame inwards at least
    MARGIN_MIN deep, are the margin: the backdrop continues there between the product and the frame.
    A product cut off by the frame shows itself at the frame (no run): nothing is given back."""
    h, w = mask.shape
    gap = np.zeros((h, w), bool)
    long_side = max(h, w)
    ring = max(1, round(FRAME_RING * long_side))
    lab = cv2.blur(_frame_lab(img_u8, (h, w)), (3, 3))  # a sweep's grain: one noisy pixel breaks no run
    away = ~cv2.dilate(mask.astype(np.uint8), _disk(max(2, ring))).astype(bool)
    depth = max(2, round(MARGIN_REACH * long_side))
    deep = max(1, round(MARGIN_MIN * long_side))
    sides = {  # each side as rows going inwards from the frame: (lab, mask, away, put-back)
        "top": lambda a: a, "bottom": lambda a: a[::-1],
        "left": lambda a: np.swapaxes(a, 0, 1), "right": lambda a: np.swapaxes(a, 0, 1)[::-1],
    }
    refs, spread = {}, []
    for name, view in sides.items():
        outer = view(lab)[:ring][view(away)[:ring]]
        if len(outer) >= max(8, 0.05 * ring * view(mask).shape[1]):
            refs[name] = np.median(outer, axis=0)
            spread.append(channel_norm(outer - refs[name]))
    if not refs:
        return gap
    if float(np.percentile(np.concatenate(spread), 95)) > MARGIN_PLAIN:
        return gap  # a scene: its "backdrop" along the frame is no one colour to tell the product from
    for name, view in sides.items():
        edge = view(mask)[:ring].any(axis=0)
        if not edge.any() or name not in refs and len(refs) < 2:
            continue
        ref = refs.get(name, np.median(np.array(list(refs.values())), axis=0))
        strip = view(lab)[:depth]
        like = channel_norm(strip - ref) <= MARGIN_DE
        run = np.cumprod(like, axis=0).sum(axis=0)  # unbroken backdrop from the frame inwards, per column
        keep = run >= deep
        rows = np.arange(depth)[:, None] < run[None, :]
        view(gap)[:depth] |= rows & keep[None, :] & view(mask)[:depth]
    return gap


def model_trimap(prob: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(mask, sure product, sure backdrop, band px) from a model's map at the proxy's size.

    The unknown band straddles the mask's outline (outer edge and the edges of
    holes the model sees); its half-width is measured from the map: the soft
    pixels (0.05-0.95) near the outline per outline pixel, at least
    MATTE_BAND_PX, at most MODEL_BAND_MAX (a wider band costs the matte's solver
    10x the time for an edge no sharper). Everything else follows the
    model: a white print on a dark shirt that the model calls product (or is
    unsure of: _unsure_holes_filled) is sure product, never a hole.
    """
    own = model_mask(prob)
    mask = _unsure_holes_filled(own, prob)
    m8 = mask.astype(np.uint8)
    outline = int((mask & ~cv2.erode(m8, np.ones((3, 3), np.uint8)).astype(bool)).sum())
    reach = cv2.dilate(m8, _disk(8)).astype(bool) & ~cv2.erode(m8, _disk(8)).astype(bool)
    soft = int((reach & (prob > 0.05) & (prob < 0.95)).sum())
    band = int(np.clip(round(soft / max(1, outline) / 2), MATTE_BAND_PX, MODEL_BAND_MAX))
    sure_fg = cv2.erode(m8, _disk(band)).astype(bool)
    # a wire, cord or blade narrower than the band has no sure product for the matte to grow from,
    # which fades it out: where the model is sure of such a thin part, its core is sure product
    thin = mask & ~cv2.morphologyEx(m8, cv2.MORPH_OPEN, _disk(band)).astype(bool)
    sure_fg |= thin & (prob >= MODEL_THIN_SURE)
    sure_bg = ~cv2.dilate(m8, _disk(band)).astype(bool)
    # where the model half-sees something (a far strap between a holdall's handles: 0.3-0.5), the
    # matte decides by colour, not a threshold on the map; a print given back to the product stays sure
    unsure = (prob > MODEL_UNSURE[0]) & (prob < MODEL_UNSURE[1]) & ~(mask & ~own)
    return mask, sure_fg & ~unsure, sure_bg & ~unsure, band


def _unsure_holes_filled(mask: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """`mask` with the areas it encloses given back to the product unless the model is sure they are
    backdrop: a through-hole (a handle, a strap) has map values near 0 (MODEL_HOLE_SHARE of it
    below MODEL_HOLE_SURE); a white print on a dark shirt that the model half-doubts (IS-Net at
    1024 px: 0.06-0.3 over 'CALVIN KLEIN') is print, not hole. The share is a trade: at 1024 px
    the real set's scissors handles and straps need 10 % (with 90 % the scissors' IoU falls from
    0.946 to 0.842); fed a 768 px square (squeezed), a generated white letter has up to 57 % of it
    below 0.05; fed at the photo's aspect (saliency.FEED_ASPECT), at 768 or 1024, none is lost."""
    enclosed = framing._fill_holes(mask.astype(np.uint8)).astype(bool) & ~mask
    count, labels, _ = _components(enclosed)
    if count <= 1:
        return mask
    low = np.bincount(labels.ravel(), weights=(prob < MODEL_HOLE_SURE).ravel(), minlength=count)
    sure = low >= MODEL_HOLE_SHARE * np.maximum(np.bincount(labels.ravel(), minlength=count), 1)
    return mask | (enclosed & ~sure[labels])


def model_confidence(prob: np.ndarray, mask: np.ndarray) -> float:
    """0-1: how sure the model is about the product's outline: mean |2p - 1| over a band of
    CONFIDENCE_REACH of the long side either side of the outline (a clear cut-out: above 0.9)."""
    if not mask.any():
        return 0.0
    r = max(2, round(CONFIDENCE_REACH * max(mask.shape)))
    m8 = mask.astype(np.uint8)
    band = cv2.dilate(m8, _disk(r)).astype(bool) & ~cv2.erode(m8, _disk(r)).astype(bool)
    return float(np.abs(2.0 * prob[band] - 1.0).mean())


def cut_out(img_u8: np.ndarray, *, model_path: Path | None = None, proxy_px: int = PROXY_PX,
            decontaminate: bool = True, model_map: np.ndarray | None = None,
            known: framing.Measured | None = None, shadow: bool = True, given: bool = False) -> Cutout:
    """Cut the product out of a studio photo on a plain backdrop (see the module docstring).

    model_path: an ONNX salient-object model (`[cutout] model` in imgpipe.toml);
    its map replaces steps 1-4, so a photo shot in a scene can be cut out too.
    model_map: that model's map of this photo (saliency.product_map, any size),
    when the caller already has it: the model runs once per photo.
    decontaminate=False: the edge keeps the photo's colours (see matte), for a caller that
    only needs the outline.
    known: the proxy's framing.Measured, when the caller has it (the analysis: its proxy is the
    framing proxy).
    shadow=False: no kept shadow is made (Cutout.shadow all 0), for a caller whose images all remove
    it (shadow="remove", the default): its full-size float plane was a worker's largest but one.
    given: img_u8 is the caller's to give away (a copy made for the cut-out): the foreground is made in
    it instead of in a full-size copy.
    """
    h, w = img_u8.shape[:2]
    proxy, factor = framing._proxy(img_u8, proxy_px)
    measured = framing.measured(proxy, known)
    lab, backdrop = measured.lab, measured.backdrop
    darkening, like = shadow_field(proxy, backdrop.surface)

    def empty(reason: str, method: str = "none", confidence: float = 0.0) -> Cutout:
        # made only when returned: three full-size planes
        return Cutout(np.zeros((h, w), np.float32), img_u8.copy(), np.zeros((h, w), np.float32), backdrop.rgb,
                      False, 0, method, confidence, reason)

    if model_path is not None or model_map is not None:
        if model_map is None:
            model_map = saliency.product_map(img_u8, Path(model_path))
        prob = cv2.resize(model_map, (proxy.shape[1], proxy.shape[0]), interpolation=cv2.INTER_LINEAR)
        prob[frame_gap(proxy, model_mask(prob))] = 0.0  # the backdrop between the product and the frame
        mask, sure_fg, sure_bg, _ = model_trimap(prob)
        confidence = model_confidence(prob, mask)
        if mask.mean() < MODEL_MIN_AREA:
            return empty("no_product")
        alpha_p, fg_p = matte_trimap(proxy, sure_fg, sure_bg, decontaminate=decontaminate)
        # the backdrop's shadow is measured only on a plain backdrop: a scene has none to keep
        plain = framing.is_plain(framing.border_noise(lab, backdrop.surface))
        if plain and decontaminate:
            alpha_p = backdrop_pulled(lab, alpha_p, fg_p, backdrop.surface, ~sure_fg & ~sure_bg & ~mask)
        holes = framing._fill_holes(mask.astype(np.uint8)).astype(bool) & ~mask
        good = confidence >= MODEL_MIN_CONFIDENCE
        cut = _full_size(img_u8, factor, mask, alpha_p, fg_p, holes, np.zeros_like(mask),
                         (like if plain else np.zeros_like(like)) if shadow else None, darkening, backdrop.rgb, good,
                         given)
        return replace(cut, method="model", confidence=confidence, reason="" if good else "no_product")
    hard = _hard_cut(proxy, measured, like, darkening)
    if isinstance(hard, str):
        return empty(hard)
    mask, holes, shadows, step4, flat = hard
    backdrop_rgb = backdrop.rgb
    # the proxy's Lab and backdrop surface: not kept for GrabCut and the full-size step
    del hard, measured, lab, backdrop
    good = step4 if flat else None
    if not flat:
        mask, good = _refined(proxy, mask, step4)
    del step4
    if flat:
        alpha_p, fg_p = flat_matte(proxy, mask, backdrop_rgb)
    else:
        alpha_p, fg_p = matte(proxy, mask, decontaminate=decontaminate)
    cut = _full_size(img_u8, factor, mask, alpha_p, fg_p, holes, shadows, like if shadow else None, darkening,
                     backdrop_rgb, good, given)
    return cut if good else replace(cut, confidence=0.0, reason="no_product")


def _hard_cut(proxy: np.ndarray, measured: framing.Measured, like: np.ndarray, darkening: np.ndarray):
    """Steps 1-3 on the proxy, or why nothing is cut out ("no_product", "scene"). A flat backdrop:
    (mask, holes, shadows, good, True); a photographed one: (body, holes, shadows, trimap, False), whose
    step 4 `_refined` makes once the caller has let go of the proxy's Lab and backdrop surface (GrabCut's
    graph is the render's largest allocation). `like`, `darkening`: shadow_field's."""
    lab, backdrop = measured.lab, measured.backdrop
    seed = measured.mask()
    if not seed.any() or backdrop.uniform < framing.UNIFORM_SHARE:
        return "no_product"
    delta_e = channel_norm(lab - backdrop.surface)
    noise = framing.border_noise(lab, backdrop.surface)
    if not framing.is_plain(noise):
        return "scene"  # a scene (runway, floor, room): the classical steps need a backdrop to tell from
    edges = _edges(lab, backdrop)
    if noise < FLAT_NOISE:
        return (*_flat_cut(delta_e, like, edges, darkening), True)
    dist = framing._distance(lab, backdrop.surface)
    return (*_photographed_cut(proxy, seed, lab, backdrop, dist, edges, delta_e, noise, like, darkening), False)


def _full_size(img_u8, factor, mask, alpha_p, fg_p, holes, shadows, like, darkening, backdrop_rgb, good,
               given: bool = False) -> Cutout:
    """The Cutout at the photo's size from the proxy's mask, matte and shadows; like=None: no kept
    shadow (Cutout.shadow all 0); given: the foreground is made in img_u8 itself (cut_out's `given`)."""
    h, w = img_u8.shape[:2]
    if like is None:  # no kept shadow asked for: zeros (calloc'd pages, never touched, hold no memory)
        shadow_p = shadow = np.zeros((h, w), np.float32)
    else:
        shadow_p = _kept_shadow(mask, shadows, like, darkening)

    if factor > 1:
        alpha = cv2.resize(alpha_p, (w, h), interpolation=cv2.INTER_LINEAR)
        if like is not None:
            shadow = cv2.resize(shadow_p, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        alpha, shadow = alpha_p, shadow_p
    # the photo's own pixels inside, the decontaminated colour only where the edge is mixed, sampled
    # from the proxy at those pixels alone (a full-size float copy of the photo was a worker's peak)
    edge = (alpha > 0.01) & (alpha < 0.99)
    foreground = img_u8 if given else img_u8.copy()
    foreground[edge] = np.clip(_sample(fg_p, np.nonzero(edge), (h, w)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    count = _components(holes)[0] - 1
    alpha, shadow = alpha.astype(np.float32, copy=False), shadow.astype(np.float32, copy=False)
    if like is not None:  # clipping the zeros would write (and so hold) every page of them
        shadow = np.clip(shadow, 0, 1, out=shadow)
    return Cutout(np.clip(alpha, 0, 1, out=alpha), foreground, shadow, backdrop_rgb, good, int(count))


REMAP_ROW = 16384  # pixels per row of the maps _sample hands cv2.remap (its limit: < 32767 a side)


def _sample(small: np.ndarray, at: tuple[np.ndarray, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """`small` (HxWxC float32) resized to `shape` bilinearly, as cv2.resize does, at the pixels `at` only (NxC)."""
    ys, xs = at
    if ys.size == 0:  # no pixel asked for (an alpha without a mixed edge): cv2.remap refuses an empty map
        return np.zeros((0,) + small.shape[2:], small.dtype)
    if small.shape[:2] == shape:
        return small[ys, xs]
    sy, sx = small.shape[0] / shape[0], small.shape[1] / shape[1]
    map_x = ((xs + 0.5) * sx - 0.5).astype(np.float32)
    map_y = ((ys + 0.5) * sy - 0.5).astype(np.float32)
    # cv2.remap takes maps of fewer than 32767 rows and columns: the pixels go in as rows of REMAP_ROW
    n = ys.size
    rows = -(-n // REMAP_ROW)
    grid_x, grid_y = (np.resize(m, rows * REMAP_ROW).reshape(rows, REMAP_ROW) for m in (map_x, map_y))
    out = cv2.remap(small, grid_x, grid_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape((rows * REMAP_ROW,) + small.shape[2:])[:n]


def _kept_shadow(mask: np.ndarray, shadows: np.ndarray, like: np.ndarray, darkening: np.ndarray) -> np.ndarray:
    """The product's soft shadow as darkening 0-1 (for shadow="keep"), float32 HxW.

    The shadow-like backdrop within KEEP_REACH of the long side from the
    product, faded to 0 towards that reach so it ends softly (never a
    cut edge), darkenings under KEEP_MIN dropped (backdrop noise).
    """
    h, w = mask.shape
    reach = max(3, round(KEEP_REACH * max(h, w)))
    # a contact shadow's core is darker than any shadow-like test allows (its colour is lost)
    dark = (like | shadows | (darkening > 1.0 - SHADOW_MIN_RATIO)) & ~mask & (darkening >= KEEP_MIN)
    # by distance, not grown pixel by pixel: a highlight mirrored under the foot must not cut it
    d = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
    fade = np.clip(1.0 - d / reach, 0.0, 1.0) ** 2
    out = np.where(dark, darkening * fade, 0.0).astype(np.float32)
    # the shadow goes on under the product's matted edge: the edge is partly transparent, and a
    # shadow that stopped at the hard mask (blurred with its zeros) left a light seam under the foot
    edge = mask & ~cv2.erode(mask.astype(np.uint8), _disk(MATTE_BAND_PX + 2)).astype(bool)
    out = np.where(edge, cv2.dilate(out, _disk(MATTE_BAND_PX + 2)), out)
    return cv2.GaussianBlur(out, (0, 0), max(1.0, reach / 30))


def _photographed_cut(proxy, seed, lab, backdrop, dist, edges, delta_e, noise, like, darkening):
    """Steps 1-3 of the module docstring on a photographed backdrop and step 4's trimap: (body, holes,
    shadows, (sure_fg, maybe_fg, maybe_bg, sure_bg)); `_refined` makes step 4 of them."""
    ph, pw = proxy.shape[:2]
    seed = grow_seed(seed, delta_e, noise, like, _enclosed_by_edges(edges), darkening)
    evidence = (dist > backdrop.threshold) | edges | (delta_e > max(4.0, LOW_EVIDENCE * noise))
    holes = find_holes(seed, evidence, edges, delta_e, noise)
    shadows = find_shadows(seed & ~holes, like, edges, darkening)
    body = seed & ~holes & ~shadows
    body = cv2.morphologyEx(body.astype(np.uint8), cv2.MORPH_OPEN, _disk(1)).astype(bool)

    band = max(3, round(BAND_SHARE * max(ph, pw)))
    sure_fg = cv2.erode(body.astype(np.uint8), _disk(band)).astype(bool)
    # pixels with clear colour evidence well inside the body are product whatever GrabCut thinks
    sure_fg |= body & (dist > 2 * backdrop.threshold) & cv2.erode(body.astype(np.uint8), _disk(2)).astype(bool)
    near = cv2.dilate(body.astype(np.uint8), _disk(band)).astype(bool)
    maybe_fg = body & ~sure_fg
    maybe_bg = near & ~body
    sure_hole = cv2.erode(holes.astype(np.uint8), _disk(2)).astype(bool)
    # a shadow is backdrop beyond the pixel next to the body: a grey mug's shaded side has the
    # colour of its contact shadow, and GrabCut's colour model would give the shadow back
    # (only under the product, where a contact shadow lies on the sweep: elsewhere a shadow-like
    # part may be a dark rim or a handle's shaded side, and GrabCut still decides)
    sure_bg = sure_hole | (shadows & _under(body) & ~cv2.dilate(body.astype(np.uint8), _disk(1)).astype(bool))
    maybe_bg &= ~sure_bg
    return body, holes, shadows, (sure_fg, maybe_fg, maybe_bg, sure_bg)


def _refined(proxy: np.ndarray, body: np.ndarray, trimap: tuple) -> tuple[np.ndarray, bool]:
    """Step 4: GrabCut on the trimap _photographed_cut made; (mask, good: it agrees with the body)."""
    sure_fg, maybe_fg, maybe_bg, sure_bg = trimap
    mask = _grabcut(proxy, sure_fg, maybe_fg, maybe_bg)
    mask &= ~sure_bg
    mask = _keep_large(mask)

    union = (mask | body).sum()
    agreement = float((mask & body).sum() / union) if union else 0.0
    good = bool(mask.any()) and agreement >= MIN_AGREEMENT
    return mask, good


def _flat_cut(delta_e: np.ndarray, like: np.ndarray, edges: np.ndarray, darkening: np.ndarray):
    """A backdrop without any noise was never photographed: the shop's own cut-out, flattened
    onto a plain colour when it was decoded (a PNG's transparency). Every pixel that differs from
    it is product and everything else is backdrop, enclosed or not: no gaps bridged, so the
    backdrop between a scarf's fringe threads stays backdrop; soft shadows are taken out as on a
    photographed backdrop (a blown-out white studio backdrop is flat too). (mask, holes, shadows, good)"""
    mask = _keep_large(cv2.morphologyEx((delta_e > FLAT_DE).astype(np.uint8), cv2.MORPH_OPEN,
                                        np.ones((2, 2), np.uint8)).astype(bool))
    # a studio photo whose white backdrop is blown out is flat too, but keeps its product's soft shadow
    shadows = find_shadows(mask, like, edges, darkening)
    mask = _keep_large(mask & ~shadows)
    holes = framing._fill_holes(mask.astype(np.uint8)).astype(bool) & ~mask
    return mask, holes, shadows, bool(mask.any())


def _keep_large(mask: np.ndarray) -> np.ndarray:
    """Drop specks: keep parts at least 5 % of the largest (and 0.05 % of the image)."""
    count, labels, stats = _components(mask)
    if count <= 1:
        return mask
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = 1 + np.flatnonzero(areas >= max(0.05 * areas.max(), 0.0005 * mask.size))
    return np.isin(labels, keep)


def crop(cut: Cutout, part: tuple[slice, slice]) -> Cutout:
    """The cut-out's pixels in `part` (views, not copies): on_white and rgba work pixel by pixel, so a
    crop of theirs is theirs of the crop."""
    return replace(cut, alpha=cut.alpha[part], foreground=cut.foreground[part], shadow=cut.shadow[part])


def on_white(cut: Cutout, shadow: str = "remove", background_rgb=(255, 255, 255)) -> np.ndarray:
    """The product on pure white (#FFFFFF, or `background_rgb`), uint8 HxWx3.

    shadow: "remove" (nothing but the background around the product) or
    "keep" (the product's soft shadow, as a darkening of the background,
    faded to 0 so the image border stays pure background).
    """
    out = np.empty(cut.foreground.shape, np.uint8)
    out[:] = np.asarray(background_rgb, np.uint8)
    solid = cut.alpha >= 1.0
    np.copyto(out, cut.foreground, where=solid[..., None])  # a masked copy, not a gather and a scatter
    # the blend only where it mixes anything (the edge, a kept shadow): full-size float planes of the
    # photo were a worker's largest allocation
    seen = (cut.alpha > 0.0) | ((cut.shadow > 0.002) if shadow == "keep" else False)
    mixed = np.nonzero(seen & ~solid)
    a = cut.alpha[mixed][:, None]
    bg = np.broadcast_to(np.asarray(background_rgb, np.float32), (a.shape[0], 3))
    if shadow == "keep":
        bg = bg * (1.0 - cut.shadow[mixed][:, None])
    out[mixed] = np.clip(np.round(cut.foreground[mixed].astype(np.float32) * a + bg * (1.0 - a)), 0, 255)
    return out


def rgba(cut: Cutout, shadow: str = "remove") -> np.ndarray:
    """The cut-out as uint8 HxWx4 (RGBA, straight alpha): the transparent image's pixels.

    shadow: "remove" (transparent around the product) or "keep" (its soft
    shadow as black at the shadow's darkening for alpha: on any background
    it darkens as the photo's backdrop was darkened). Fully transparent
    pixels carry white colour (some viewers show colour under alpha 0 when
    scaling).
    """
    a = cut.alpha
    rgb = cut.foreground.copy()
    if shadow == "keep":
        s = cut.shadow * (1.0 - a)
        total = a + s
        # product over shadow: colour = product's share of the coverage, the rest black
        share = np.divide(a, total, out=np.zeros_like(a), where=total > 0)[..., None]
        rgb = np.clip(np.round(cut.foreground * share), 0, 255).astype(np.uint8)
        a = total
    scaled = a * 255.0
    alpha8 = np.clip(np.round(scaled, out=scaled), 0, 255, out=scaled).astype(np.uint8)
    del scaled
    out = np.empty(rgb.shape[:2] + (4,), np.uint8)
    out[..., 3] = alpha8
    out[..., :3] = rgb
    np.copyto(out[..., :3], 255, where=(alpha8 == 0)[..., None])
    return out


def white_background(img_u8: np.ndarray, box: framing.ProductBox, size: "framing.Size", fill: float,
                     scale: float | None = None, background_rgb: tuple[int, int, int] = (255, 255, 255),
                     shadow: str = "remove") -> np.ndarray:
    """The product framed on pure white (or the profile's `background_rgb`), for the white-background role (白底图).

    The product is cut out (cutout.cut_out: through-holes and soft shadows
    taken out, a matted edge with the backdrop's colour removed) and laid on
    white; shadow="keep" leaves its soft shadow as grey on the white.
    Everything outside the product (and its kept shadow) is exactly the background.
    When the cut-out is not trusted, the older flat-field composite is used
    (`flat_white_background`); not confident (busy scene): the framed photo
    on white padding, unmatted.
    """
    if box.confident:
        cut = cut_out(img_u8)
        if cut.good:
            white = on_white(cut, shadow, background_rgb)
            return framing.frame_square(white, box, size, fill, background_rgb=background_rgb, scale=scale)
    return framing.flat_white_background(img_u8, box, size, fill, scale, background_rgb)
