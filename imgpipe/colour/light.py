"""Light estimation without a reference: backdrop, shades-of-grey, grey-edge; the automatic mode.
"""

from __future__ import annotations

import cv2
import numpy as np

from imgpipe.colour.correction import Correction, check_image, gains_from_light, proxy_image
from imgpipe.colour.maths import Y_WEIGHTS, rgb_to_uv, uv_cct_duv, angular_error, cct_and_tint, srgb_to_linear
from imgpipe.messages import t
from imgpipe.ops import channel_max, channel_min


# A white backdrop should come out at sRGB 245 (linear 0.913): white seamless
# paper reflects about 90 %, and keeping ~10 levels of headroom below 255
# leaves the paper texture, the shadow under the product and white fabric
# detail intact. A platform that wants a pure 255 background lifts it later
# (framing stage), not here where the aim is truth to the object.
BACKDROP_TARGET = 0.913
# A backdrop whose bright part already reads within this linear range
# (sRGB ~203-252) is left at its exposure: fall-off across a backdrop is
# normal, a light-grey seamless (sRGB 215-235) is a photographer's choice,
# and a photo that is already right must stay as it is. Only a backdrop
# darker than sRGB ~203 (clearly a dim white) or brighter than 252 is moved.
WHITE_OK = (0.60, 0.97)
# An estimated cast above this (°) that is left uncorrected is reported with
# its reason: the user must never get a strong cast back silently.
WARN_CAST_LEFT_DEG = 3.0
# A backdrop far from the light locus is taken as coloured paper -- unless
# the rest of the frame (the product, the room) shows the same cast to within
# this many degrees: then it is a neutral backdrop under strongly tinted
# light (a booth lamp, an uncorrected camera), and it is believed.
CONSISTENT_DEG = 5.0
# A frame of one colour is a smooth backdrop (paper, a booth's wall) when the
# median fine texture of its usable pixels -- |detail finer than ~4 px of the
# 512 px proxy| / local level -- is below this, and a close-up (fabric,
# leather, a product's surface) above it. Measured: a grey booth photographed
# through a JPEG 0.003, its chart masked at any size 0.003; the seamless
# around real chart photos 0.004-0.008; a woven green close-up 0.023; a
# fabric with 5 % grain 0.02. A median, over the unmasked pixels only, so
# the masked area's size does not move it.
SMOOTH_TEXTURE = 0.01
# ... and fills the frame when this share of its unmasked pixels are of its
# one colour (a product on it, even a small one, takes more than 5 %).
FILLED_SHARE = 0.95
# ... and could be lit that colour: a lamp, even a strongly tinted one (the
# booths measured: 15-22° off white), keeps every channel above this share of
# its strongest; a saturated dye (a red fabric, 0.1) does not. Smooth plain
# fabric downscaled to the proxy can read as smooth as paper: this tells them apart.
LAMP_MIN_RATIO = 0.3

def shades_of_grey(lin: np.ndarray, p: float = 6.0) -> np.ndarray:
    """Shades-of-grey illuminant estimate (Finlayson & Trezzi 2004): Minkowski p-mean per channel.

    lin: linear float (N, 3) or (H, W, 3) in 0-1, clipped pixels already
    removed. Returns the light colour, unit length.
    """
    x = np.asarray(lin, dtype=np.float64).reshape(-1, 3)
    if len(x) == 0:
        return np.ones(3) / np.sqrt(3)
    e = np.mean(x**p, axis=0) ** (1.0 / p)
    n = np.linalg.norm(e)
    return e / n if n > 0 else np.ones(3) / np.sqrt(3)


def grey_edge(lin: np.ndarray, p: float = 6.0, sigma: float = 1.0, mask: np.ndarray | None = None) -> np.ndarray:
    """Grey-edge illuminant estimate (van de Weijer et al. 2007): Minkowski p-mean of gradient magnitudes.

    lin: linear float (H, W, 3) in 0-1; mask: (H, W) bool of usable pixels
    (unclipped), default all. Edges between surfaces average to grey better
    than the surfaces do, so it is less fooled by one big coloured area.
    Returns the light colour, unit length.
    """
    x = cv2.GaussianBlur(np.asarray(lin, np.float32), (0, 0), sigma)
    gx = cv2.Sobel(x, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(x, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx * gx + gy * gy)
    if mask is not None:
        # a gradient touching an excluded (clipped) pixel is not the scene's
        mask = cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        mag = mag[mask]
    return shades_of_grey(mag.reshape(-1, 3), p)


def _backdrop(proxy: np.ndarray, lin: np.ndarray, unclipped: np.ndarray):
    """Find the studio backdrop in the image border.

    Returns (light rgb, (backdrop luminance, brightest channel; 95th
    percentiles), mask of backdrop-like pixels over the whole proxy, None) or
    (None, None, None, reason message key).
    """
    h, w = proxy.shape[:2]
    b = max(2, round(0.06 * min(h, w)))
    ring = np.zeros((h, w), bool)
    ring[:b] = ring[-b:] = True
    ring[:, :b] = ring[:, -b:] = True
    Y = lin @ Y_WEIGHTS.astype(np.float32)
    # smooth = no strong local structure (product edges, texture)
    g8 = cv2.cvtColor(proxy, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx = cv2.Sobel(g8, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(g8, cv2.CV_32F, 0, 1, ksize=3)
    grad = cv2.blur(np.abs(gx) + np.abs(gy), (3, 3))
    smooth = grad < 24.0
    cand = ring & unclipped & smooth
    if cand.sum() < 0.25 * ring.sum():
        return None, None, None, "colour.warn.no_backdrop"
    ycand = Y[cand]
    bright = Y >= 0.5 * np.percentile(ycand, 90)
    cand &= bright
    s = lin.sum(axis=-1, keepdims=True) + 1e-6
    chrom = (lin / s)[..., :2]
    c_med = np.median(chrom[cand], axis=0)
    near = channel_max(np.abs(chrom - c_med)) < 0.02
    sel = cand & near
    # a studio backdrop runs around most of the frame; a wall or a floor in a
    # general scene covers only a side or two of it
    if sel.sum() < 0.6 * ring.sum():
        return None, None, None, "colour.warn.no_backdrop"
    light = lin[sel].astype(np.float64).mean(axis=0)
    if float(Y_WEIGHTS @ light) < 0.06:
        return None, None, None, "colour.warn.backdrop_dark"
    # A plausible light lies near the Planckian/daylight locus; a backdrop far
    # from it is coloured paper, not a white one under coloured light.
    u, v = rgb_to_uv(light)
    cct, duv = uv_cct_duv(u, v)
    why = None
    if abs(duv) > 0.035 or not 1800 <= cct <= 14000:
        why = "colour.warn.backdrop_coloured"  # the caller checks it against the rest of the frame
    y_ring = float(np.percentile(Y[sel], 90))
    like = near & (Y >= 0.5 * y_ring)
    whole = unclipped & like & smooth
    if whole.sum() < 50:
        whole = sel
    # the backdrop is brightest behind the product, darkest in the corners:
    # judge its exposure by its bright part, over the whole frame
    y_bd = float(np.percentile(Y[whole], 95))
    top = float(np.percentile(channel_max(lin[whole]), 95))
    return light, (y_bd, top), like, why


def surface_texture(proxy: np.ndarray, usable: np.ndarray) -> float:
    """Median fine texture of the usable pixels (0 = flat; see SMOOTH_TEXTURE); inf with too few pixels.

    proxy: uint8 RGB (<=512 px); usable: bool mask (unclipped, unmasked).
    The shading (detail coarser than ~4 px) is taken out first, so a gentle
    gradient or fall-off reads as smooth; the border of the usable area
    (a masked chart's edge) is left out.
    """
    use = cv2.erode(usable.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    if use.sum() < 0.05 * use.size:
        return float("inf")
    g = cv2.cvtColor(proxy, cv2.COLOR_RGB2GRAY).astype(np.float32)
    level = cv2.GaussianBlur(g, (0, 0), 4)
    return float(np.median(np.abs(g - level)[use] / np.maximum(level[use], 8.0)))


def one_colour_share(pix: np.ndarray) -> float:
    """Share (0-1) of linear pixels (N, 3) within 0.03 in rg chromaticity of their median."""
    chrom = pix[:, :2] / (pix.sum(axis=1, keepdims=True) + 1e-6)
    spread = np.abs(chrom - np.median(chrom, axis=0)).max(axis=1)
    return float(np.mean(spread < 0.03))


def _lamp_like(rgb) -> bool:
    """True when a mean colour (linear) could be a lamp's light on grey: no channel below LAMP_MIN_RATIO of the top."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return bool(rgb.max() > 0 and rgb.min() >= LAMP_MIN_RATIO * rgb.max())


def _surface(lin: np.ndarray, unclipped: np.ndarray):
    """A smooth surface filling the frame as a backdrop: (light, (luminance, brightest channel), mask)."""
    Y = lin @ Y_WEIGHTS.astype(np.float32)
    sel = unclipped & (Y >= 0.5 * np.percentile(Y[unclipped], 90))
    light = lin[sel].astype(np.float64).mean(axis=0)
    return light, (float(np.percentile(Y[sel], 95)), float(np.percentile(channel_max(lin[sel]), 95))), sel


def _uncorrected(method: str, warnings: list[str], reason_key: str, light, **kw) -> Correction:
    """No correction; with an estimated cast above WARN_CAST_LEFT_DEG it is named, with the reason."""
    cast = None if light is None else angular_error(light, (1, 1, 1))
    warnings = warnings + [t(reason_key, **kw)]
    if cast is not None and cast > WARN_CAST_LEFT_DEG:
        warnings.append(t("colour.warn.cast_left", deg=round(cast, 1), reason=t(reason_key, **kw)))
        return Correction(method=method, warnings=warnings, cast_left_deg=cast)
    return Correction(method=method, warnings=warnings)


def estimate_auto(
    img_u8: np.ndarray,
    *,
    backdrop_target: float = BACKDROP_TARGET,
    min_cast_deg: float = 0.75,
    min_cast_deg_fallback: float = 3.0,
) -> Correction:
    """Automatic correction without a reference, measured on a <=512 px proxy.

    1. Studio shots: the light is the mean colour of the backdrop found in the
       image border (bright, smooth, one chromaticity, near the light locus --
       or off it when the rest of the frame shows the same cast within
       CONSISTENT_DEG: a neutral wall under a tinted booth light).
       A white backdrop (brightest channel >= 0.5, sRGB 188) is brought to
       `backdrop_target` (linear; default 0.913 = sRGB 245), unless that
       would clip the product; a backdrop already in WHITE_OK is left alone.
    2. No usable backdrop: shades-of-grey p=6 on unclipped pixels, exposure 1.
    3. Guard: a cast smaller than `min_cast_deg` (backdrop) or
       `min_cast_deg_fallback` (shades-of-grey, which is only good to a few
       degrees on real scenes) is not a cast: gains stay 1. A frame of one
       colour is decided on texture: smooth, gently shaded and lamp-coloured
       (SMOOTH_TEXTURE, LAMP_MIN_RATIO) and filling the frame, it is a
       backdrop under tinted light and corrected; textured (or dyed beyond any
       lamp), it is a close-up left as it is; if the estimate then says the
       cast is above WARN_CAST_LEFT_DEG, `cast_left_deg` and a warning name it
       and why.
    Gains are clamped to a channel ratio of 20, so no NaN, black or inversion.
    """
    img = check_image(img_u8)
    proxy = proxy_image(img, 512)
    lin = srgb_to_linear(proxy)
    unclipped = (channel_max(proxy) < 250) & (channel_min(proxy) > 2)
    warnings: list[str] = []
    light, y_bd, bd_mask, why = _backdrop(proxy, lin, unclipped)
    pix = lin[unclipped]
    # A frame of one colour (a backdrop off the light locus, or none found in
    # the border) is a backdrop or a close-up: decided on texture (a smooth,
    # gently shaded surface is a backdrop whatever its colour or the light's),
    # never on the colour or on how much of the frame is masked.
    share = one_colour_share(pix) if (light is None or why is not None) and len(pix) >= 100 else 0.0
    filled = share > 0.7
    plain = filled and surface_texture(proxy, unclipped) < SMOOTH_TEXTURE and _lamp_like(pix.mean(axis=0))
    # a backdrop on its own only when it is all there is: paper with a product on it is coloured paper
    # unless the product shows the same cast (below)
    smooth = plain and share > FILLED_SHARE
    if filled and not plain:
        light = None  # a textured close-up: its colour is the product's
        why = why or "colour.warn.one_colour"
    elif why == "colour.warn.backdrop_coloured":
        # coloured paper, or a neutral one under tinted light? The rest of
        # the frame decides: under tinted light it carries the same cast.
        rest = unclipped & ~bd_mask
        if smooth:
            why = None
            warnings.append(t("colour.warn.smooth_backdrop"))
        elif rest.sum() < 0.02 * rest.size or \
                angular_error(shades_of_grey(lin[rest], 6.0), light) > CONSISTENT_DEG:
            light = None
        else:
            why = None
    if light is None and smooth:
        # no backdrop in the border (a mask reaches it), but the frame is one smooth surface
        light, y_bd, bd_mask = _surface(lin, unclipped)
        warnings.append(t("colour.warn.smooth_backdrop"))
    exposure = 1.0
    if light is not None:
        method, threshold = "backdrop", min_cast_deg
    else:
        warnings.append(t(why))
        method, threshold = "shades_of_grey", min_cast_deg_fallback
        if len(pix) < 100:
            return _uncorrected("none", warnings, "colour.warn.no_usable_pixels", None)
        light = shades_of_grey(pix, 6.0)
        # A frame filled by one colour (a fabric close-up) tells the light
        # nothing: any grey-based estimate would just grey the product. Left
        # as it is -- but a strong cast is named in the warnings.
        if filled:
            return _uncorrected("none", warnings[:-1] if why == "colour.warn.one_colour" else warnings,
                                "colour.warn.one_colour", light)
    cast = angular_error(light, (1, 1, 1))
    gains = np.ones(3) if cast < threshold else gains_from_light(light, warnings)
    if method == "backdrop":
        y_bd, top_bd = y_bd
        y_after = y_bd * float(Y_WEIGHTS @ (gains * light)) / float(Y_WEIGHTS @ light)
        # White paper or grey? Judged on the brightest channel before
        # balancing: under a warm light a well-exposed white backdrop has red
        # near clipping but a low luminance.
        if top_bd >= 0.5:
            # already white (sRGB ~229-252): leave it, a correct photo stays as it is
            if not WHITE_OK[0] <= y_after <= WHITE_OK[1]:
                exposure = float(np.clip(backdrop_target / max(y_after, 1e-6), 0.5, 3.0))
            if exposure > 1.0:
                product = (unclipped & ~bd_mask).astype(np.uint8)
                # edge pixels blend backdrop and product (and JPEG bleeds colour
                # into them): they are neither, and would read as a bright product
                product = cv2.erode(product, np.ones((5, 5), np.uint8)).astype(bool)
                if product.sum() > 50:
                    top = float(np.percentile(channel_max(lin[product] * gains.astype(np.float32)), 99.5))
                    if top * exposure > 1.0:
                        exposure = max(1.0, 1.0 / max(top, 1e-6))
                        warnings.append(t("colour.warn.exposure_limited"))
    if np.allclose(gains, 1.0) and exposure == 1.0:
        return Correction(method=method, cct_k=None, tint=None, warnings=warnings)
    cct, tint = cct_and_tint(gains)
    return Correction(
        gains=tuple(float(g) for g in gains), exposure=float(exposure), method=method,
        cct_k=cct, tint=tint, warnings=warnings,
    )
