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

from imgpipe.colour.maths import _DECODE_LUT, _Y_WEIGHTS, cct_and_tint, linear_to_srgb
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

class ReferenceNotFound(ImgpipeError):
    """A reference shot holds no grey card / colour chart we can find."""


class ReferenceRejected(ImgpipeError):
    """A card or chart was found but is unusable (clipped, too small, badly lit, poor fit)."""



# Gains never exceed this ratio between channels: beyond it the weak channel
# is mostly noise, and amplifying it produces blotches, not colour.
_MAX_GAIN_RATIO = 20.0

# --------------------------------------------------------------- correction

@dataclass
class Correction:
    """A colour correction in linear light: out = clip(M @ (exposure * gains * rgb)).

    gains: (r, g, b) von Kries factors, normalised to keep the luminance of
    the light they neutralise. matrix: 3x3 (rows sum to 1) or None.
    exposure: multiplier (1 = unchanged). method: backdrop, shades_of_grey,
    grey_card, chart, manual, session or none. cct_k / tint: the light that was
    undone (K, Duv). patch_delta_e: ΔE2000 of each of the 24 chart patches
    after the fit (chart only). warnings: texts for the user.
    """

    gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    matrix: list[list[float]] | None = None
    exposure: float = 1.0
    method: str = "none"
    cct_k: float | None = None
    tint: float | None = None
    patch_delta_e: list[float] | None = None
    warnings: list[str] = field(default_factory=list)

    # "session": a close-up given its article's backdrop correction (pipeline.with_session_colour)
    METHODS = ("backdrop", "shades_of_grey", "grey_card", "chart", "manual", "session", "none")

    @property
    def is_identity(self) -> bool:
        if self.matrix is not None and not np.allclose(self.matrix, np.eye(3), atol=1e-4):
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
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Correction":
        m = d.get("matrix")
        return cls(
            gains=tuple(float(g) for g in d.get("gains", (1.0, 1.0, 1.0))),
            matrix=None if m is None else [[float(v) for v in row] for row in m],
            exposure=float(d.get("exposure", 1.0)),
            method=str(d.get("method", "none")),
            cct_k=None if d.get("cct_k") is None else float(d["cct_k"]),
            tint=None if d.get("tint") is None else float(d["tint"]),
            patch_delta_e=None if d.get("patch_delta_e") is None else [float(v) for v in d["patch_delta_e"]],
            warnings=[str(w) for w in d.get("warnings", [])],
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
        """This correction blended toward identity: 0 = none, 1 = full (in gains/matrix, not pixels)."""
        s = float(min(max(strength, 0.0), 1.0))
        g = np.asarray(self.gains, dtype=np.float64) ** s
        m = None
        if self.matrix is not None:
            m = (np.eye(3) + s * (np.asarray(self.matrix) - np.eye(3))).tolist()
        return Correction(
            gains=tuple(float(v) for v in g), matrix=m, exposure=float(self.exposure**s),
            method=self.method, cct_k=self.cct_k, tint=self.tint,
            patch_delta_e=self.patch_delta_e, warnings=list(self.warnings),
        )


def _gains_from_light(illum, warnings: list[str] | None = None) -> np.ndarray:
    """Gains that neutralise light `illum` (linear RGB) and keep its luminance; ratio clamped."""
    illum = np.asarray(illum, dtype=np.float64)
    illum = np.where(np.isfinite(illum), illum, 0.0)
    top = illum.max()
    if top <= 0:
        return np.ones(3)
    floor = top / _MAX_GAIN_RATIO
    if np.any(illum < floor) and warnings is not None:
        warnings.append(t("colour.warn.gain_clamped", ratio=_MAX_GAIN_RATIO))
    illum = np.maximum(illum, floor)
    return float(_Y_WEIGHTS @ illum) / illum


# ------------------------------------------------------------------ helpers

def _proxy(img_u8: np.ndarray, long_side: int) -> np.ndarray:
    h, w = img_u8.shape[:2]
    s = long_side / max(h, w)
    if s >= 1:
        return img_u8
    return cv2.resize(img_u8, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)


def _check_image(img_u8) -> np.ndarray:
    img = np.asarray(img_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise TypeError("expected a uint8 HxWx3 RGB array")
    if img.shape[0] < 8 or img.shape[1] < 8:
        raise ValueError("image too small")
    return img


# ------------------------------------------------------------------ applying

def apply_correction(img_u8: np.ndarray, corr: Correction, strength: float = 1.0) -> np.ndarray:
    """Apply `corr` to a uint8 sRGB image; returns a new uint8 sRGB image.

    strength 0..1 blends the correction toward identity (in gains/matrix).
    Diagonal corrections go through three 256-entry LUTs (cv2.LUT, as fast as
    a copy); a matrix goes through float32 linear light in row strips so
    memory stays bounded on large photos.
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
    if c.matrix is None or np.allclose(c.matrix, np.eye(3), atol=1e-6):
        lin = _DECODE_LUT.astype(np.float64)
        lut = np.stack([linear_to_srgb(np.clip(lin * k[ch], 0, 1)) for ch in range(3)], axis=-1)
        return cv2.LUT(np.ascontiguousarray(img), lut.reshape(256, 1, 3))
    M = (np.asarray(c.matrix, dtype=np.float64) * k[None, :]).T.astype(np.float32)
    out = np.empty_like(img)
    step = max(1, 1_000_000 // max(img.shape[1], 1))
    for y in range(0, img.shape[0], step):
        lin = _DECODE_LUT[img[y:y + step]]
        out[y:y + step] = linear_to_srgb(lin @ M)
    return out
