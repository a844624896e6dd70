"""A colour correction (gains, exposure, tone curve, matrix) and applying it to an image.

A correction is, on linear sRGB light in 0..1:

    out = clip( M @ terms( curve( exposure * gains * rgb ) ) )

- `gains`: per-channel von Kries factors, normalised so that they keep the
  luminance of the estimated light (exposure stays a separate number);
- `exposure`: one multiplier;
- `curve`: optional per-channel monotone tone curve (chart mode: undoes the
  camera's tone curve, measured on the chart's neutral row);
- `M`: optional 3x3 (terms = rgb) or 3x6 (root-polynomial degree 2) matrix
  from a chart fit; rows sum to 1 so neutrals stay neutral.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from imgpipe.colour.maths import DECODE_LUT, Y_WEIGHTS, cct_and_tint, linear_to_srgb
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t
from imgpipe.ops import channel_max, channel_min

class ReferenceNotFound(ImgpipeError):
    """A reference shot holds no grey card / colour chart we can find."""


class ReferenceRejected(ImgpipeError):
    """A card or chart was found but is unusable (clipped, too small, badly lit, poor fit)."""



# Gains never exceed this ratio between channels (strongest / weakest, unitless): beyond it the weak channel
# is mostly noise, and amplifying it produces blotches, not colour.
MAX_GAIN_RATIO = 20.0

# --------------------------------------------------------------- correction

@dataclass
class Correction:
    """A colour correction in linear light: out = clip(M @ terms(curve(exposure * gains * rgb))).

    gains: (r, g, b) von Kries factors, normalised to keep the luminance of
    the light they neutralise. exposure: multiplier (1 = unchanged).
    curve: None or, per channel, [xs, ys] knots (linear 0-1, increasing) of a
    monotone tone curve, interpolated in log-log (chart mode: undoes the
    camera's tone curve). matrix: None, 3x3 (terms = rgb) or 3x6 (terms =
    r, g, b, sqrt(rg), sqrt(gb), sqrt(rb): root-polynomial degree 2); rows sum
    to 1 when fitted constrained. method: backdrop, shades_of_grey, grey_edge,
    grey_card, chart, manual, session or none. cct_k / tint: the light that
    was undone (K, Duv). patch_delta_e: in-sample ΔE2000 of each of the 24
    chart patches; fit: chart-fit summary (model, in-sample and leave-one-out
    ΔE2000). cast_left_deg: an estimated cast (°) that was NOT corrected, with
    the reason among the warnings. warnings: texts for the user.
    """

    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    matrix: list[list[float]] | None = None
    exposure: float = 1.0
    method: str = "none"
    cct_k: float | None = None
    tint: float | None = None
    patch_delta_e: list[float] | None = None
    warnings: list[str] = field(default_factory=list)
    curve: list[list[list[float]]] | None = None
    fit: dict | None = None
    cast_left_deg: float | None = None

    # "session": a close-up given its article's backdrop correction (pipeline.with_session_colour)
    METHODS = ("backdrop", "shades_of_grey", "grey_edge", "grey_card", "chart", "manual", "session", "none")

    @property
    def is_identity(self) -> bool:
        if self.curve is not None:
            return False
        if self.matrix is not None and not np.allclose(self.matrix, identity_terms(len(self.matrix[0])), atol=1e-4):
            return False
        return bool(np.allclose(self.gains, 1.0, atol=1e-4) and abs(self.exposure - 1.0) < 1e-4)

    def to_dict(self) -> dict:
        """Plain JSON-safe dict (floats, lists, str, None) for the catalog."""
        return {
            "gains": [round(float(g), 6) for g in self.gains],
            "matrix": None if self.matrix is None else [[round(float(v), 6) for v in row] for row in self.matrix],
            "exposure": round(float(self.exposure), 6),
            "method": self.method,
            "cct_k": None if self.cct_k is None else round(float(self.cct_k), 1),
            "tint": None if self.tint is None else round(float(self.tint), 5),
            "patch_delta_e": None if self.patch_delta_e is None else [round(float(v), 3) for v in self.patch_delta_e],
            "warnings": [str(w) for w in self.warnings],
            "curve": None if self.curve is None else [[[round(float(v), 7) for v in xy] for xy in ch] for ch in self.curve],
            "fit": self.fit,
            "cast_left_deg": None if self.cast_left_deg is None else round(float(self.cast_left_deg), 2),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Correction":
        m, cv = d.get("matrix"), d.get("curve")
        return cls(
            gains=tuple(float(g) for g in d.get("gains", (1.0, 1.0, 1.0))),
            matrix=None if m is None else [[float(v) for v in row] for row in m],
            exposure=float(d.get("exposure", 1.0)),
            method=str(d.get("method", "none")),
            cct_k=None if d.get("cct_k") is None else float(d["cct_k"]),
            tint=None if d.get("tint") is None else float(d["tint"]),
            patch_delta_e=None if d.get("patch_delta_e") is None else [float(v) for v in d["patch_delta_e"]],
            warnings=[str(w) for w in d.get("warnings", [])],
            curve=None if cv is None else [[[float(v) for v in xy] for xy in ch] for ch in cv],
            fit=d.get("fit"),
            cast_left_deg=None if d.get("cast_left_deg") is None else float(d["cast_left_deg"]),
        )

    @classmethod
    def manual(cls, gains, exposure: float = 1.0) -> "Correction":
        """A correction from user-given linear gains [r, g, b] (as in imgpipe.toml)."""
        g = np.asarray(gains, dtype=np.float64)
        if g.shape != (3,) or not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise ValueError("gains must be three positive numbers")
        cct, tint = cct_and_tint(g)
        return cls(gains=tuple(float(v) for v in g), exposure=float(exposure), method="manual", cct_k=cct, tint=tint)

    def scaled(self, strength: float) -> "Correction":
        """This correction blended toward identity: 0 = none, 1 = full (in gains/curve/matrix, not pixels)."""
        s = float(min(max(strength, 0.0), 1.0))
        g = np.asarray(self.gains, dtype=np.float64) ** s
        m = curve = None
        if self.matrix is not None:
            eye = identity_terms(len(self.matrix[0]))
            m = (eye + s * (np.asarray(self.matrix) - eye)).tolist()
        if self.curve is not None:  # geometric blend of each knot toward y = x
            curve = [[list(xs), [x ** (1 - s) * y ** s for x, y in zip(xs, ys)]] for xs, ys in self.curve]
        return Correction(
            gains=tuple(float(v) for v in g), matrix=m, exposure=float(self.exposure**s),
            method=self.method, cct_k=self.cct_k, tint=self.tint,
            patch_delta_e=self.patch_delta_e, warnings=list(self.warnings), curve=curve, fit=self.fit,
            cast_left_deg=self.cast_left_deg,
        )


def identity_terms(n: int) -> np.ndarray:
    """The 3 x n matrix that maps terms(rgb) back to rgb (3x3 identity, zeros for root terms)."""
    return np.hstack([np.eye(3), np.zeros((3, n - 3))])


def terms(lin: np.ndarray, n: int) -> np.ndarray:
    """Colour terms of linear RGB (..., 3): n=3 the channels; n=6 adds sqrt(rg), sqrt(gb), sqrt(rb).

    The root-polynomial terms (Finlayson et al. 2015) scale with exposure like
    the channels do, so a fit holds at any brightness.
    """
    if n == 3:
        return lin
    x = np.maximum(lin, 0)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    return np.concatenate([lin, np.sqrt(np.stack([r * g, g * b, r * b], axis=-1))], axis=-1)


def apply_curve(curve, lin: np.ndarray) -> np.ndarray:
    """Per-channel tone curve on linear values (..., 3): log-log interpolation through the knots.

    Beyond the first/last knot the curve continues with the slope of its end
    segment in log-log, held to 0.7-1.5 so that highlights and shadows keep
    their order and are never stretched hard.
    """
    lin = np.asarray(lin, dtype=np.float64)
    out = np.empty_like(lin)
    for c, (xs, ys) in enumerate(curve):
        lx, ly = np.log(np.asarray(xs)), np.log(np.asarray(ys))
        v = np.log(np.maximum(lin[..., c], 1e-7))
        mid = np.interp(v, lx, ly)
        lo, hi = 1.0, 1.0
        if len(lx) > 1:
            lo = float(np.clip((ly[1] - ly[0]) / (lx[1] - lx[0]), 0.7, 1.5))
            hi = float(np.clip((ly[-1] - ly[-2]) / (lx[-1] - lx[-2]), 0.7, 1.5))
        mid = np.where(v < lx[0], ly[0] + lo * (v - lx[0]), mid)
        out[..., c] = np.exp(np.where(v > lx[-1], ly[-1] + hi * (v - lx[-1]), mid))
    return out


def gains_from_light(illum, warnings: list[str] | None = None) -> np.ndarray:
    """Per-channel gains (3 multipliers of linear light) that neutralise light `illum` (linear RGB) and keep
    its luminance; the ratio between channels clamped to MAX_GAIN_RATIO (a warning appended then)."""
    illum = np.asarray(illum, dtype=np.float64)
    illum = np.where(np.isfinite(illum), illum, 0.0)
    top = illum.max()
    if top <= 0:
        return np.ones(3)
    floor = top / MAX_GAIN_RATIO
    if np.any(illum < floor) and warnings is not None:
        warnings.append(t("colour.warn.gain_clamped", ratio=MAX_GAIN_RATIO))
    illum = np.maximum(illum, floor)
    return float(Y_WEIGHTS @ illum) / illum


# ------------------------------------------------------------------ helpers

def proxy_image(img_u8: np.ndarray, long_side: int) -> np.ndarray:
    """`img_u8` shrunk (area filter) so its long side is at most `long_side` px; the image itself when smaller."""
    h, w = img_u8.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return img_u8
    return cv2.resize(img_u8, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def check_image(img_u8) -> np.ndarray:
    """`img_u8` as an array when it is a uint8 HxWx3 RGB image of at least 8 x 8 px; TypeError/ValueError if not."""
    img = np.asarray(img_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError("expected a uint8 HxWx3 RGB array")
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise ValueError("image too small")
    return img


# ------------------------------------------------------------------ applying

def apply_correction(img_u8: np.ndarray, corr: Correction, strength: float = 1.0) -> np.ndarray:
    """Apply `corr` to a uint8 sRGB image; returns a new uint8 sRGB image.

    strength 0..1 blends the correction toward identity (in gains/curve/matrix).
    Gains, exposure and the tone curve act per channel, so they become three
    256-entry tables; without a matrix that is one cv2.LUT (as fast as a
    copy). A matrix goes through float32 linear light in row strips so memory
    stays bounded on large photos.
    """
    img = np.asarray(img_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError("expected a uint8 HxWx3 RGB array")
    c = corr.scaled(strength) if strength < 1.0 else corr
    if c.is_identity:
        return img.copy()
    k = np.asarray(c.gains, dtype=np.float64) * float(c.exposure)
    if not np.all(np.isfinite(k)) or np.any(k <= 0):
        raise ValueError("correction gains must be finite and positive")
    table = DECODE_LUT.astype(np.float64)[:, None] * k[None, :]  # (256, 3) linear, per channel
    if c.curve is not None:
        table = apply_curve(c.curve, table)
    if c.matrix is None or np.allclose(c.matrix, identity_terms(len(c.matrix[0])), atol=1e-6):
        lut = linear_to_srgb(np.clip(table, 0, 1))
        return _neutral_highlights(img, cv2.LUT(np.ascontiguousarray(img), lut.reshape(256, 1, 3)))
    table = table.astype(np.float32)
    M = np.asarray(c.matrix, dtype=np.float32).T
    out = np.empty_like(img)
    step = max(1, 1_000_000 // max(img.shape[1], 1))
    for y in range(0, img.shape[0], step):
        strip = img[y:y + step]
        lin = np.stack([table[strip[..., ch], ch] for ch in range(3)], axis=-1)
        out[y:y + step] = linear_to_srgb(terms(lin, M.shape[0]) @ M)
    return _neutral_highlights(img, out)


# A pixel with a channel at the top of the range (sRGB >= CLIPPED_TOP) holds
# a clipped highlight, not a colour: the clipped channels were brighter than
# recorded, and the gains tint what is left (a blown white patch or backdrop
# turns pink, blue or cyan). Such pixels are blended to a neutral of their
# corrected luminance, fully when their lowest channel is at least
# NEAR_WHITE[1], not at all below NEAR_WHITE[0]: a saturated colour with one
# clipped channel (a red at 255, 40, 30) keeps its colour, and a white
# backdrop below clipping (sRGB ~245) is a measurement, left to the backdrop
# correction.
CLIPPED_TOP = 254
NEAR_WHITE = (190, 245)


def _neutral_highlights(src_u8: np.ndarray, out_u8: np.ndarray) -> np.ndarray:
    """`out_u8` with the clipped near-white pixels of `src_u8` blended to neutral (in place; see NEAR_WHITE).

    cv2 masks keep it to ~0.1 s on a 24 MP photo: fully blown pixels (255,
    255, 255) all become one colour; only the few partly clipped ones are
    computed one by one.
    """
    lo, hi = NEAR_WHITE
    src = np.ascontiguousarray(src_u8)
    below_top = cv2.inRange(src, (0, 0, 0), (CLIPPED_TOP - 1,) * 3)
    clipped = cv2.bitwise_and(cv2.inRange(src, (lo + 1,) * 3, (255,) * 3), cv2.bitwise_not(below_top))
    if not cv2.countNonZero(clipped):
        return out_u8

    def neutral(src_px: np.ndarray, out_px: np.ndarray) -> np.ndarray:
        w = np.clip((channel_min(src_px).astype(np.float32) - lo) / (hi - lo), 0, 1)[:, None]
        lin = DECODE_LUT[out_px]
        return linear_to_srgb((1 - w) * lin + w * (lin @ Y_WEIGHTS.astype(np.float32))[:, None])

    blown = cv2.inRange(src, (255,) * 3, (255,) * 3)
    if cv2.countNonZero(blown):
        y, x = np.unravel_index(int(np.argmax(blown)), blown.shape)
        np.copyto(out_u8, neutral(src[y, x][None], out_u8[y, x][None])[0], where=(blown > 0)[..., None])
    ys, xs = np.nonzero(cv2.bitwise_and(clipped, cv2.bitwise_not(blown)))
    if len(ys):
        out_u8[ys, xs] = neutral(src[ys, xs], out_u8[ys, xs])
    return out_u8
    ys, xs = np.nonzero(near)
    px = src_u8[ys, xs]
    keep = channel_max(px) >= CLIPPED_TOP
    ys, xs, px = ys[keep], xs[keep], px[keep]
    mask = (ys, xs)
    w = np.clip((channel_min(px).astype(np.float32) - lo) / (hi - lo), 0, 1)[:, None]
    lin = DECODE_LUT[out_u8[mask]]
    grey = (lin @ Y_WEIGHTS.astype(np.float32))[:, None]
    out_u8[mask] = linear_to_srgb((1 - w) * lin + w * grey)
    return out_u8
    w = np.clip((channel_min(src_u8[mask]).astype(np.float32) - lo) / (hi - lo), 0, 1)[:, None]
    lin = DECODE_LUT[out_u8[mask]]
    grey = (lin @ Y_WEIGHTS.astype(np.float32))[:, None]
    out_u8[mask] = linear_to_srgb((1 - w) * lin + w * grey)
    return out_u8
