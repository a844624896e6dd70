"""Colour true to the object (R8): cast removal, grey card, colour chart, ΔE2000.

All correction arithmetic happens in *linear* sRGB light (decode, correct,
encode): a white-balance gain is a physical multiplier of light only there.

A correction is, in this order, on linear RGB in 0..1:

    out = clip( M @ (exposure * gains * rgb) )

- `gains`: per-channel von Kries factors, normalised so that they keep the
  luminance of the estimated light (so exposure stays a separate number);
- `exposure`: one multiplier;
- `M`: an optional 3x3 matrix from a colour-chart fit, rows summing to 1 so
  neutrals stay neutral (white balance is fixed on the grey row, not by M).

Entry points (all pure: arrays in, values out; no I/O):

- `estimate_auto(img)`: no reference. Backdrop (studio) estimate, else a
  shades-of-grey fallback, with a guard that leaves neutral photos alone.
- `correction_from_grey_card(img)`, `correction_from_chart(img)`: from a
  reference shot; raise `ReferenceNotFound` / `ReferenceRejected`.
- `apply_correction(img, corr, strength)`: fast (LUT for diagonal ones).
- `delta_e_2000`, `srgb_to_lab`, `cct_and_tint`, `illuminant_rgb` for
  measuring and reporting.

Images are numpy uint8 HxWx3 RGB sRGB (0-255) unless a docstring says linear
float32 (0-1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import cv2
import numpy as np

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

__all__ = [
    "Correction",
    "ReferenceNotFound",
    "ReferenceRejected",
    "srgb_to_linear",
    "linear_to_srgb",
    "srgb_to_lab",
    "linear_to_lab",
    "delta_e_2000",
    "estimate_auto",
    "shades_of_grey",
    "correction_from_grey_card",
    "correction_from_chart",
    "find_chart",
    "fit_chart",
    "detect_reference",
    "is_reference_name",
    "apply_correction",
    "cct_and_tint",
    "illuminant_rgb",
    "angular_error",
    "render_colorchecker",
    "CHART_REFERENCE_LINEAR",
    "CHART_REFERENCE_LAB_D50",
    "BACKDROP_TARGET",
    "GREY_CARD_NOMINAL",
]


class ReferenceNotFound(ImgpipeError):
    """A reference shot holds no grey card / colour chart we can find."""


class ReferenceRejected(ImgpipeError):
    """A card or chart was found but is unusable (clipped, too small, badly lit, poor fit)."""


# ---------------------------------------------------------------- constants

# sRGB (IEC 61966-2-1) primaries, D65 white.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_Y_WEIGHTS = _RGB_TO_XYZ[1]
_D65_XYZ = _RGB_TO_XYZ.sum(axis=1)  # (0.9505, 1.0, 1.0889)
_D50_XYZ = np.array([0.9642, 1.0, 0.8249])  # ICC D50
# Bradford chromatic adaptation D50 -> D65 (Lindbloom).
_BRADFORD_D50_TO_D65 = np.array(
    [
        [0.9555766, -0.0230393, 0.0631636],
        [-0.0282895, 1.0099416, 0.0210077],
        [0.0122982, -0.0204830, 1.3299098],
    ]
)

# ColorChecker Classic, X-Rite "After November 2014" formulation, CIE Lab under
# ICC D50, 2° observer. Copied from colour-science
# (colour/characterisation/datasets/colour_checkers/chromaticity_coordinates.py,
# DATA_COLORCHECKER24_AFTER_NOV2014_CIE_LAB, source: X-Rite 2016, "New color
# specifications for ColorChecker SG and Classic Charts"). Order: reading order
# with the grey row last (dark skin ... black).
CHART_PATCH_NAMES = (
    "dark skin", "light skin", "blue sky", "foliage", "blue flower", "bluish green",
    "orange", "purplish blue", "moderate red", "purple", "yellow green", "orange yellow",
    "blue", "green", "red", "yellow", "magenta", "cyan",
    "white 9.5", "neutral 8", "neutral 6.5", "neutral 5", "neutral 3.5", "black 2",
)
CHART_REFERENCE_LAB_D50 = np.array(
    [
        [37.54, 14.37, 14.92], [64.66, 19.27, 17.5], [49.32, -3.82, -22.54],
        [43.46, -12.74, 22.72], [54.94, 9.61, -24.79], [70.48, -32.26, -0.37],
        [62.73, 35.83, 56.5], [39.43, 10.75, -45.17], [50.57, 48.64, 16.67],
        [30.1, 22.54, -20.87], [71.77, -24.13, 58.19], [71.51, 18.24, 67.37],
        [28.37, 15.42, -49.8], [54.38, -39.72, 32.27], [42.43, 51.05, 28.62],
        [81.8, 2.67, 80.41], [50.63, 51.28, -14.12], [49.57, -29.71, -28.32],
        [95.19, -1.03, 2.93], [81.29, -0.57, 0.44], [66.89, -0.75, -0.06],
        [50.76, -0.13, 0.14], [35.63, -0.46, -0.48], [20.64, 0.07, -0.46],
    ]
)
GREY_ROW = np.arange(18, 24)
# Patches used for white balance: N8..N3.5. The white patch clips easily and
# the black one is mostly flare and noise.
_WB_PATCHES = np.array([19, 20, 21, 22])


def _lab_to_xyz(lab: np.ndarray, white: np.ndarray) -> np.ndarray:
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    fx = fy + a / 500
    fz = fy - b / 200
    eps, kappa = 216 / 24389, 24389 / 27

    def finv(f):
        return np.where(f**3 > eps, f**3, (116 * f - 16) / kappa)

    return np.stack([finv(fx), finv(fy), finv(fz)], axis=-1) * white


# Reference patches in linear sRGB (D65), float64, clipped to the sRGB gamut
# (only cyan falls slightly outside): the output is sRGB, so the in-gamut
# colour is the best any correction can deliver.
_CHART_XYZ_D65 = _lab_to_xyz(CHART_REFERENCE_LAB_D50, _D50_XYZ) @ _BRADFORD_D50_TO_D65.T
CHART_REFERENCE_LINEAR = np.clip(_CHART_XYZ_D65 @ _XYZ_TO_RGB.T, 0.0, 1.0)

# A white backdrop should come out at sRGB 245 (linear 0.913): white seamless
# paper reflects about 90 %, and keeping ~10 levels of headroom below 255
# leaves the paper texture, the shadow under the product and white fabric
# detail intact. A platform that wants a pure 255 background lifts it later
# (framing stage), not here where the aim is truth to the object.
BACKDROP_TARGET = 0.913
# A backdrop whose bright part already reads within this linear range
# (sRGB ~229-252) is left at its exposure: fall-off across a backdrop is
# normal, and a photo that is already right must stay as it is.
WHITE_OK = (0.78, 0.97)
# 18 % grey card: linear 0.18, sRGB ~118.
GREY_CARD_NOMINAL = 0.18

# Gains never exceed this ratio between channels: beyond it the weak channel
# is mostly noise, and amplifying it produces blotches, not colour.
_MAX_GAIN_RATIO = 20.0

_REFERENCE_MARKERS = ("_ref", "-ref", "色卡", "灰卡", "greycard", "graycard", "grey_card", "gray_card")


# ------------------------------------------------------------ encode/decode

def _srgb_decode(v: np.ndarray) -> np.ndarray:
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def _srgb_encode(v: np.ndarray) -> np.ndarray:
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)


_DECODE_LUT = _srgb_decode(np.arange(256) / 255.0).astype(np.float32)
# 16-bit index -> uint8 sRGB: fine enough that no two neighbouring linear codes
# round differently than the exact formula would (even in the deep shadows).
_ENCODE_LUT = np.round(_srgb_encode(np.arange(65536) / 65535.0) * 255).astype(np.uint8)


def srgb_to_linear(img_u8: np.ndarray) -> np.ndarray:
    """uint8 sRGB (0-255) -> float32 linear light (0-1), via a 256-entry table."""
    img_u8 = np.asarray(img_u8)
    if img_u8.dtype != np.uint8:
        raise TypeError(f"expected uint8, got {img_u8.dtype}")
    return _DECODE_LUT[img_u8]


def linear_to_srgb(lin: np.ndarray) -> np.ndarray:
    """float linear light (0-1, clipped) -> uint8 sRGB (0-255)."""
    lin = np.asarray(lin, dtype=np.float32)
    idx = np.clip(lin * 65535.0 + 0.5, 0, 65535).astype(np.uint16)
    return _ENCODE_LUT[idx]


def _lab_f(t_: np.ndarray) -> np.ndarray:
    eps, kappa = 216 / 24389, 24389 / 27
    return np.where(t_ > eps, np.cbrt(t_), (kappa * t_ + 16) / 116)


def linear_to_lab(lin: np.ndarray) -> np.ndarray:
    """Linear sRGB (..., 3) -> CIE Lab (D65 white), float64 for small arrays, float32 for large."""
    lin = np.asarray(lin)
    dt = np.float32 if lin.size > 3 * 100_000 else np.float64
    xyz = lin.astype(dt) @ _RGB_TO_XYZ.T.astype(dt) / _D65_XYZ.astype(dt)
    f = _lab_f(xyz)
    L = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([L, a, b], axis=-1)


def srgb_to_lab(img_u8: np.ndarray) -> np.ndarray:
    """uint8 sRGB (..., 3) -> CIE Lab (D65 white; L 0-100)."""
    return linear_to_lab(srgb_to_linear(img_u8))


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference between Lab arrays (..., 3), vectorised (Sharma et al. 2005)."""
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    C1 = np.hypot(a1, b1)
    C2 = np.hypot(a2, b2)
    Cb7 = ((C1 + C2) / 2) ** 7
    G = 0.5 * (1 - np.sqrt(Cb7 / (Cb7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    dLp = L2 - L1
    dCp = C2p - C1p
    dhp = h2p - h1p
    dhp = np.where(dhp > 180, dhp - 360, dhp)
    dhp = np.where(dhp < -180, dhp + 360, dhp)
    dhp = np.where(C1p * C2p == 0, 0.0, dhp)
    dHp = 2 * np.sqrt(C1p * C2p) * np.sin(np.radians(dhp / 2))
    Lbp = (L1 + L2) / 2
    Cbp = (C1p + C2p) / 2
    hsum = h1p + h2p
    hbp = np.where(np.abs(h1p - h2p) > 180, np.where(hsum < 360, hsum + 360, hsum - 360), hsum) / 2
    hbp = np.where(C1p * C2p == 0, hsum, hbp)
    T = (1 - 0.17 * np.cos(np.radians(hbp - 30)) + 0.24 * np.cos(np.radians(2 * hbp))
         + 0.32 * np.cos(np.radians(3 * hbp + 6)) - 0.20 * np.cos(np.radians(4 * hbp - 63)))
    dtheta = 30 * np.exp(-(((hbp - 275) / 25) ** 2))
    Cbp7 = Cbp**7
    Rc = 2 * np.sqrt(Cbp7 / (Cbp7 + 25.0**7))
    Sl = 1 + 0.015 * (Lbp - 50) ** 2 / np.sqrt(20 + (Lbp - 50) ** 2)
    Sc = 1 + 0.045 * Cbp
    Sh = 1 + 0.015 * Cbp * T
    Rt = -np.sin(np.radians(2 * dtheta)) * Rc
    return np.sqrt((dLp / Sl) ** 2 + (dCp / Sc) ** 2 + (dHp / Sh) ** 2 + Rt * (dCp / Sc) * (dHp / Sh))


def angular_error(a: np.ndarray, b: np.ndarray) -> float:
    """Angle in degrees between two RGB vectors (the usual illuminant-estimation error)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    c = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300))
    return math.degrees(math.acos(max(-1.0, min(1.0, c))))


# ---------------------------------------------- chromaticity, CCT and tint

def _xy_to_uv(x, y):
    d = -2 * x + 12 * y + 3
    return 4 * x / d, 6 * y / d


def _uv_to_xy(u, v):
    d = 2 * u - 8 * v + 4
    return 3 * u / d, 2 * v / d


def _planck_uv(T):
    """Planckian locus in CIE 1960 uv (Krystek 1985), 1000-15000 K."""
    T = np.asarray(T, dtype=np.float64)
    u = (0.860117757 + 1.54118254e-4 * T + 1.28641212e-7 * T**2) / (1 + 8.42420235e-4 * T + 7.08145163e-7 * T**2)
    v = (0.317398726 + 4.22806245e-5 * T + 4.20481691e-8 * T**2) / (1 - 2.89741816e-5 * T + 1.61456053e-7 * T**2)
    return u, v


def _daylight_xy(T):
    """CIE daylight locus chromaticity, 4000-25000 K."""
    if T <= 7000:
        x = -4.6070e9 / T**3 + 2.9678e6 / T**2 + 0.09911e3 / T + 0.244063
    else:
        x = -2.0064e9 / T**3 + 1.9018e6 / T**2 + 0.24748e3 / T + 0.237040
    return x, -3.0 * x * x + 2.870 * x - 0.275


_LOCUS_T = 1e6 / np.linspace(1e6 / 1000, 1e6 / 15000, 2000)  # even in mired
_LOCUS_UV = np.stack(_planck_uv(_LOCUS_T), axis=-1)


def _rgb_to_uv(rgb_lin) -> tuple[float, float]:
    xyz = _RGB_TO_XYZ @ np.asarray(rgb_lin, dtype=np.float64)
    s = xyz.sum()
    x, y = xyz[0] / s, xyz[1] / s
    return _xy_to_uv(x, y)


def _uv_cct_duv(u: float, v: float) -> tuple[float, float]:
    d = _LOCUS_UV - (u, v)
    i = int(np.argmin((d**2).sum(axis=1)))
    j = min(max(i, 1), len(_LOCUS_T) - 2)
    tangent = _LOCUS_UV[j + 1] - _LOCUS_UV[j - 1]
    off = np.array([u, v]) - _LOCUS_UV[i]
    # positive Duv = above the locus (greenish), negative = below (magenta/pink)
    normal = np.array([-tangent[1], tangent[0]])
    if normal[1] < 0:
        normal = -normal
    sign = 1.0 if off @ normal >= 0 else -1.0
    return float(_LOCUS_T[i]), float(sign * np.hypot(*off))


def cct_and_tint(gains) -> tuple[float, float]:
    """Correlated colour temperature (K) and tint (Duv) of the light the gains undo.

    The light is 1/gains in linear sRGB (gains (1,1,1) = D65, about 6500 K,
    Duv +0.003). Tint is Duv in CIE 1960 uv: positive = green, negative =
    magenta; |Duv| 0.01 is a clearly visible tint. Nearest point on the
    Planckian locus, 1000-15000 K.
    """
    g = np.asarray(gains, dtype=np.float64)
    illum = 1.0 / np.maximum(g, 1e-6)
    u, v = _rgb_to_uv(illum)
    return _uv_cct_duv(u, v)


def illuminant_rgb(cct_k: float, tint: float = 0.0) -> np.ndarray:
    """Linear sRGB colour (max channel 1) of a light at `cct_k` K with tint Duv `tint`.

    Below 4000 K the Planckian (blackbody) locus, from 4000 K the CIE daylight
    locus; `tint` moves perpendicular to the Planckian locus (+ = green).
    This is the colour a white surface takes in an sRGB/D65-balanced photo:
    the cast to undo. Used for manual settings, tests and the benchmark.
    """
    T = float(cct_k)
    if T < 4000:
        u, v = _planck_uv(T)
    else:
        u, v = _xy_to_uv(*_daylight_xy(T))
    if tint:
        u1, v1 = _planck_uv(T * 0.99)
        u2, v2 = _planck_uv(T * 1.01)
        tu, tv = u2 - u1, v2 - v1  # towards higher T: u decreases
        n = np.array([tv, -tu]) if tu < 0 else np.array([-tv, tu])
        n = n / np.linalg.norm(n)
        if n[1] < 0:
            n = -n
        u, v = u + tint * n[0], v + tint * n[1]
    x, y = _uv_to_xy(u, v)
    xyz = np.array([x / y, 1.0, (1 - x - y) / y])
    rgb = _XYZ_TO_RGB @ xyz
    rgb = np.maximum(rgb, 1e-4)
    return rgb / rgb.max()


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
    Y = lin @ _Y_WEIGHTS.astype(np.float32)
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
    near = np.abs(chrom - c_med).max(axis=-1) < 0.02
    sel = cand & near
    # a studio backdrop runs around most of the frame; a wall or a floor in a
    # general scene covers only a side or two of it
    if sel.sum() < 0.6 * ring.sum():
        return None, None, None, "colour.warn.no_backdrop"
    light = lin[sel].astype(np.float64).mean(axis=0)
    if float(_Y_WEIGHTS @ light) < 0.06:
        return None, None, None, "colour.warn.backdrop_dark"
    # A plausible light lies near the Planckian/daylight locus; a backdrop far
    # from it is coloured paper, not a white one under coloured light.
    u, v = _rgb_to_uv(light)
    cct, duv = _uv_cct_duv(u, v)
    if abs(duv) > 0.035 or not 1800 <= cct <= 14000:
        return None, None, None, "colour.warn.backdrop_coloured"
    y_ring = float(np.percentile(Y[sel], 90))
    like = near & (Y >= 0.5 * y_ring)
    whole = unclipped & like & smooth
    if whole.sum() < 50:
        whole = sel
    # the backdrop is brightest behind the product, darkest in the corners:
    # judge its exposure by its bright part, over the whole frame
    y_bd = float(np.percentile(Y[whole], 95))
    top = float(np.percentile(lin[whole].max(axis=-1), 95))
    return light, (y_bd, top), like, None


def estimate_auto(
    img_u8: np.ndarray,
    *,
    backdrop_target: float = BACKDROP_TARGET,
    min_cast_deg: float = 0.75,
    min_cast_deg_fallback: float = 3.0,
) -> Correction:
    """Automatic correction without a reference, measured on a <=512 px proxy.

    1. Studio shots: the light is the mean colour of the backdrop found in the
       image border (bright, smooth, one chromaticity, near the light locus).
       A white backdrop (brightest channel >= 0.5, sRGB 188) is brought to
       `backdrop_target` (linear; default 0.913 = sRGB 245), unless that
       would clip the product; a backdrop already in WHITE_OK is left alone.
    2. No usable backdrop: shades-of-grey p=6 on unclipped pixels, exposure 1.
    3. Guard: a cast smaller than `min_cast_deg` (backdrop) or
       `min_cast_deg_fallback` (shades-of-grey, which is only good to a few
       degrees on real scenes) is not a cast: gains stay 1.
    Gains are clamped to a channel ratio of 20, so no NaN, black or inversion.
    """
    img = _check_image(img_u8)
    proxy = _proxy(img, 512)
    lin = srgb_to_linear(proxy)
    unclipped = (proxy < 250).all(axis=-1) & (proxy > 2).all(axis=-1)
    warnings: list[str] = []
    light, y_bd, bd_mask, why = _backdrop(proxy, lin, unclipped)
    exposure = 1.0
    if light is not None:
        method, threshold = "backdrop", min_cast_deg
    else:
        warnings.append(t(why))
        method, threshold = "shades_of_grey", min_cast_deg_fallback
        pix = lin[unclipped]
        if len(pix) < 100:
            return Correction(method="none", warnings=warnings + [t("colour.warn.no_usable_pixels")])
        light = shades_of_grey(pix, 6.0)
        # A frame filled by one colour (a fabric close-up) tells the light
        # nothing: any grey-based estimate would just grey the product.
        chrom = pix[:, :2] / (pix.sum(axis=1, keepdims=True) + 1e-6)
        spread = np.abs(chrom - np.median(chrom, axis=0)).max(axis=1)
        if np.mean(spread < 0.03) > 0.7:
            return Correction(method="none", warnings=warnings + [t("colour.warn.one_colour")])
    cast = angular_error(light, (1, 1, 1))
    gains = np.ones(3) if cast < threshold else _gains_from_light(light, warnings)
    if method == "backdrop":
        y_bd, top_bd = y_bd
        y_after = y_bd * float(_Y_WEIGHTS @ (gains * light)) / float(_Y_WEIGHTS @ light)
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
                    top = float(np.percentile((lin[product] * gains.astype(np.float32)).max(axis=-1), 99.5))
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


# ---------------------------------------------------------------- grey card

def _find_grey_card(proxy: np.ndarray):
    """Largest compact, uniform, mid-tone region: a grey card. Returns its mask or None."""
    h, w = proxy.shape[:2]
    f = proxy.astype(np.float32)
    mean = cv2.blur(f, (7, 7))
    var = cv2.blur(f * f, (7, 7)) - mean * mean
    std = np.sqrt(np.maximum(var, 0)).max(axis=-1)
    lin = srgb_to_linear(proxy)
    Y = lin @ _Y_WEIGHTS.astype(np.float32)
    lo, hi = lin.min(axis=-1), lin.max(axis=-1)
    # mid-tone, not clipped, and no more coloured than a grey under a strong cast
    mask = (std < 5.0) & (Y > 0.02) & (Y < 0.6) & (proxy.max(axis=-1) < 250) & (hi < _MAX_GAIN_RATIO * np.maximum(lo, 1e-4))
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    best = None
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < 0.015 * h * w:
            continue
        comp = (lab == i).astype(np.uint8)
        cnts, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        (_, _), (rw, rh), _ = cv2.minAreaRect(max(cnts, key=cv2.contourArea))
        # a card is a filled rectangle; a backdrop around a product is not
        if rw * rh <= 0 or area / (rw * rh) < 0.85 or max(rw, rh) / max(min(rw, rh), 1) > 4:
            continue
        if best is None or area > best[0]:
            best = (area, comp)
    if best is None:
        return None
    return cv2.erode(best[1], np.ones((5, 5), np.uint8)).astype(bool)


def correction_from_grey_card(img_u8: np.ndarray, *, nominal: float = GREY_CARD_NOMINAL) -> Correction:
    """Von Kries correction from a grey card in the photo.

    nominal: the card's linear reflectance it should read (0.18 = 18 % grey,
    sRGB ~118). The gains neutralise the card; exposure brings it to nominal.
    Raises ReferenceNotFound without a card, ReferenceRejected when the card
    is clipped or too dark to measure.
    """
    img = _check_image(img_u8)
    proxy = _proxy(img, 768)
    card = _find_grey_card(proxy)
    if card is None or card.sum() < 20:
        raise ReferenceNotFound(t("colour.no_grey_card"), fix=t("colour.no_grey_card.fix"))
    pix = srgb_to_linear(proxy)[card].astype(np.float64)
    light = np.median(pix, axis=0)
    if light.min() < 0.004:
        raise ReferenceRejected(t("colour.card_rejected", reason=t("colour.why.dark")), fix=t("colour.card_rejected.fix"))
    warnings: list[str] = []
    gains = _gains_from_light(light, warnings)
    exposure = float(nominal / (_Y_WEIGHTS @ light))
    if not 0.25 <= exposure <= 4.0:
        warnings.append(t("colour.warn.card_exposure", exposure=round(exposure, 2)))
    cct, tint = cct_and_tint(gains)
    return Correction(gains=tuple(float(g) for g in gains), exposure=exposure, method="grey_card",
                      cct_k=cct, tint=tint, warnings=warnings)


# ---------------------------------------------------------------- the chart

@dataclass
class ChartFound:
    """A located ColorChecker: per-patch linear RGB (24x3, reading order) and geometry (pixels)."""

    patches: np.ndarray
    centres: np.ndarray  # (24, 2) x, y in the full image
    pitch: float  # patch spacing, pixels in the full image
    sample_std: np.ndarray  # (24,) spread inside each sample, linear


def _square_candidates(proxy: np.ndarray, smooth: int = 0):
    # smooth > 0: median filter first, for noisy photos whose patches Canny
    # would otherwise break into pieces
    src = cv2.medianBlur(proxy, 2 * smooth + 1) if smooth else proxy
    blur = cv2.GaussianBlur(src, (3, 3), 0)
    edges = np.zeros(proxy.shape[:2], np.uint8)
    for c in range(3):
        edges |= cv2.Canny(blur[..., c], 20, 50)
    lab = cv2.cvtColor(blur, cv2.COLOR_RGB2LAB)
    edges |= cv2.Canny(lab[..., 1], 10, 30) | cv2.Canny(lab[..., 2], 10, 30)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    n, labels, stats, cents = cv2.connectedComponentsWithStats((edges == 0).astype(np.uint8), connectivity=4)
    h, w = proxy.shape[:2]
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < 25 or area > 0.04 * h * w:
            continue
        if not 0.6 <= bw / bh <= 1.67 or area / (bw * bh) < 0.45:
            continue
        out.append((cents[i][0], cents[i][1], float(area)))
    return np.array(out).reshape(-1, 3)


def _grid_from_squares(sq: np.ndarray):
    """Fit a 4x6 grid to square centres. Returns (homography grid->proxy px, ncols, nrows) or None."""
    if len(sq) < 14:
        return None
    areas = sq[:, 2]
    best = None
    for a in np.unique(np.round(np.log(areas), 1)):
        sel = np.abs(np.log(areas) - a) < 0.35
        if best is None or sel.sum() > best.sum():
            best = sel
    pts = sq[best, :2]
    if len(pts) < 14:
        return None
    # keep the densest cluster: centres within a few pitches of each other
    pitch0 = math.sqrt(float(np.median(sq[best, 2]))) / 0.8
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    close = (d < 1.6 * pitch0).sum(axis=1)
    pts = pts[close >= 3]
    if len(pts) < 14:
        return None
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nn = d.min(axis=1)
    pitch = float(np.median(nn))
    # axis direction from nearest-neighbour vectors
    j = d.argmin(axis=1)
    vec = pts[j] - pts
    ang = np.arctan2(vec[:, 1], vec[:, 0]) % (np.pi / 2)
    theta = float(np.angle(np.mean(np.exp(4j * ang))) / 4)
    c, s = math.cos(theta), math.sin(theta)
    R = np.array([[c, s], [-s, c]])
    uv = (pts - pts.mean(axis=0)) @ R.T / pitch
    uv -= np.angle(np.exp(2j * np.pi * uv).mean(axis=0)) / (2 * np.pi)  # lattice phase
    on_grid = np.abs(uv - np.round(uv)).max(axis=1) < 0.25
    pts, gi = pts[on_grid], np.round(uv[on_grid]).astype(int)
    # squares of similar size next to the chart (a product, a box) add a
    # sparse extra row or column: peel those off the edges
    for _ in range(6):
        gi = gi - gi.min(axis=0)
        nx, ny = gi[:, 0].max() + 1, gi[:, 1].max() + 1
        if sorted((nx, ny)) == [4, 6] or len(gi) < 14:
            break
        worst = None
        for axis in (0, 1):
            for edge in (gi[:, axis].min(), gi[:, axis].max()):
                cnt = int((gi[:, axis] == edge).sum())
                if worst is None or cnt < worst[0]:
                    worst = (cnt, axis, edge)
        if worst[0] > 2:
            break
        keep = gi[:, worst[1]] != worst[2]
        pts, gi = pts[keep], gi[keep]
    if len(gi) < 14:
        return None
    gi = gi - gi.min(axis=0)
    nx, ny = gi[:, 0].max() + 1, gi[:, 1].max() + 1
    if sorted((nx, ny)) != [4, 6]:
        return None
    src = gi.astype(np.float32)
    H, inl = cv2.findHomography(src, pts.astype(np.float32), cv2.RANSAC, 0.15 * pitch)
    if H is None or inl.sum() < 12:
        return None
    return H, nx, ny, pitch


def _sample_chart(img: np.ndarray, centres: np.ndarray, half: float):
    h, w = img.shape[:2]
    patches, spread = [], []
    for x, y in centres:
        x0, x1 = int(round(x - half)), int(round(x + half)) + 1
        y0, y1 = int(round(y - half)), int(round(y + half)) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        roi = srgb_to_linear(img[y0:y1, x0:x1]).reshape(-1, 3).astype(np.float64)
        med = np.median(roi, axis=0)
        spread.append(float(np.median(np.abs(roi - med).max(axis=1))))
        # trimmed mean: robust to specks and a sample square touching an edge
        dev = np.abs(roi - med).max(axis=1)
        keep = dev <= np.percentile(dev, 80)
        patches.append(roi[keep].mean(axis=0))
    return np.array(patches), np.array(spread)


def _orient(patches: np.ndarray, nx: int, ny: int):
    """Try the chart's possible turns; pick the one that best matches the reference after a grey-row balance.

    patches: (ny*nx, 3) in grid order. Returns (mean ΔE2000, index array giving chart order).
    """
    ref_lab = linear_to_lab(CHART_REFERENCE_LINEAR)
    idx = np.arange(ny * nx).reshape(ny, nx)
    turns = (0, 2) if (nx, ny) == (6, 4) else (1, 3)
    best = None
    for k_rot in turns:
        order = np.rot90(idx, k_rot).reshape(24)
        p = patches[order]
        m, r = p[_WB_PATCHES], CHART_REFERENCE_LINEAR[_WB_PATCHES]
        k = (m * r).sum(axis=0) / np.maximum((m * m).sum(axis=0), 1e-12)
        score = float(np.mean(delta_e_2000(linear_to_lab(np.clip(p * k, 0, 1)), ref_lab)))
        if best is None or score < best[0]:
            best = (score, order)
    return best


def find_chart(img_u8: np.ndarray) -> ChartFound | None:
    """Locate a 24-patch ColorChecker Classic (any position, mild rotation/perspective, any 90° turn).

    Works on a <=1200 px proxy to find the 4x6 grid of squares, then samples
    each patch (central 50 %) at full resolution. None when no chart is seen.
    Raises ReferenceRejected when a chart is seen but partly outside the
    frame or too small to sample.
    """
    img = _check_image(img_u8)
    proxy = _proxy(img, 1200)
    scale = img.shape[1] / proxy.shape[1]
    for smooth in (0, 2, 3):
        fit = _grid_from_squares(_square_candidates(proxy, smooth))
        if fit is not None:
            break
    else:
        return None
    H, nx, ny, pitch = fit
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    grid_pts = np.stack([gx.ravel(), gy.ravel()], axis=-1).astype(np.float32)[:, None]
    centres = cv2.perspectiveTransform(grid_pts, H)[:, 0] * scale
    pitch_full = pitch * scale
    h, w = img.shape[:2]
    half = 0.25 * pitch_full
    if np.any(centres[:, 0] - half < 0) or np.any(centres[:, 1] - half < 0) or \
            np.any(centres[:, 0] + half >= w) or np.any(centres[:, 1] + half >= h):
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.chart_clipped")),
                                fix=t("colour.chart_rejected.fix"))
    if pitch_full < 10:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.chart_small")),
                                fix=t("colour.chart_rejected.fix"))
    patches, spread = _sample_chart(img, centres, half)
    score, order = _orient(patches, nx, ny)
    if score > 20:
        return None  # a grid of squares, but not a ColorChecker
    return ChartFound(patches=patches[order], centres=centres[order], pitch=float(pitch_full),
                      sample_std=spread[order])


def _constrained_matrix(X: np.ndarray, Y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares 3x3 M with Y ≈ X @ M.T and each row of M summing to 1."""
    M = np.zeros((3, 3))
    sw = np.sqrt(w)[:, None]
    A = np.stack([X[:, 0] - X[:, 2], X[:, 1] - X[:, 2]], axis=1) * sw
    for c in range(3):
        b = (Y[:, c] - X[:, 2]) * sw[:, 0]
        m01, *_ = np.linalg.lstsq(A, b, rcond=None)
        M[c] = [m01[0], m01[1], 1 - m01[0] - m01[1]]
    return M


def fit_chart(measured: np.ndarray, *, use=None, reference: np.ndarray = CHART_REFERENCE_LINEAR):
    """Fit grey-row white balance + a white-preserving 3x3 matrix, in linear RGB.

    measured: (24, 3) linear patch values in chart order. use: boolean mask of
    patches allowed in the fit (for leave-one-out tests); default all.
    Returns (k, M): out = M @ (k * rgb), k = per-channel balance+exposure.
    The balance comes from N8..N3.5 (white often clips, black is flare), each
    weighted by relative error; the matrix is fitted with weights
    1/(Y + 0.05) so dark patches count about as much as light ones.
    """
    measured = np.asarray(measured, dtype=np.float64)
    use = np.ones(24, bool) if use is None else np.asarray(use, bool)
    ok = use & (measured.max(axis=1) < 0.98) & (measured.min(axis=1) > 1e-4)
    wb = [i for i in _WB_PATCHES if ok[i]]
    if len(wb) < 2:
        wb = [i for i in GREY_ROW if ok[i]]
    if not wb:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.dark")), fix=t("colour.chart_rejected.fix"))
    m, r = measured[wb], reference[wb]
    q = m / r  # relative: minimise sum((k m - r)/r)^2
    k = q.sum(axis=0) / (q * q).sum(axis=0)
    X = measured[ok] * k
    Yt = reference[ok]
    w = 1.0 / (Yt @ _Y_WEIGHTS + 0.05)
    M = _constrained_matrix(X, Yt, w)
    return k, M


def _apply_lin(lin: np.ndarray, k, M) -> np.ndarray:
    out = np.asarray(lin) * np.asarray(k)
    if M is not None:
        out = out @ np.asarray(M).T
    return np.clip(out, 0.0, 1.0)


def correction_from_chart(
    img_u8: np.ndarray, *, max_mean_de: float = 4.0, max_patch_de: float = 12.0
) -> Correction:
    """Colour correction from a 24-patch ColorChecker Classic in the photo.

    Grey-row white balance and exposure, then a 3x3 matrix in linear sRGB
    fitted to X-Rite's post-2014 reference values. patch_delta_e holds the
    ΔE2000 of each patch after the fit (in-sample). Raises ReferenceNotFound
    without a chart; ReferenceRejected when the chart is clipped, too small,
    badly lit, or the fit is poor (mean ΔE2000 > max_mean_de or any patch
    > max_patch_de).
    """
    img = _check_image(img_u8)
    found = find_chart(img)
    if found is None:
        raise ReferenceNotFound(t("colour.no_chart"), fix=t("colour.no_chart.fix"))
    p = found.patches
    if p[21] @ _Y_WEIGHTS < 0.01:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.dark")), fix=t("colour.chart_rejected.fix"))
    warnings = []
    if p[18].max() >= 0.98:
        warnings.append(t("colour.warn.white_clipped"))
    k, M = fit_chart(p)
    de = delta_e_2000(linear_to_lab(_apply_lin(p, k, M)), linear_to_lab(CHART_REFERENCE_LINEAR))
    if float(de.mean()) > max_mean_de or float(de.max()) > max_patch_de:
        raise ReferenceRejected(
            t("colour.chart_rejected", reason=t("colour.why.fit_poor", mean=round(float(de.mean()), 1),
                                                 worst=round(float(de.max()), 1),
                                                 patch=CHART_PATCH_NAMES[int(de.argmax())])),
            fix=t("colour.chart_rejected.fix"))
    light = 1.0 / k
    gains = _gains_from_light(light, warnings)
    exposure = float(np.mean(k / gains))
    cct, tint = cct_and_tint(gains)
    return Correction(gains=tuple(float(g) for g in gains), matrix=M.tolist(), exposure=exposure,
                      method="chart", cct_k=cct, tint=tint, patch_delta_e=[float(v) for v in de],
                      warnings=warnings)


def detect_reference(img_u8: np.ndarray, *, grey_card: bool = True) -> str | None:
    """"chart", "grey_card" or None: what reference this photo holds.

    A chart is looked for in any photo. A grey card cannot be told apart from
    a plain grey backdrop by pixels alone, so callers should pass
    grey_card=True only for shots marked as references (is_reference_name).
    A chart that is found but unusable (clipped, too small) still counts as
    "chart": correction_from_chart then says why it is rejected.
    """
    img = _check_image(img_u8)
    try:
        if find_chart(img) is not None:
            return "chart"
    except ReferenceRejected:
        return "chart"
    if grey_card and _find_grey_card(_proxy(img, 768)) is not None:
        return "grey_card"
    return None


_MARKER_RE = re.compile("|".join(re.escape(m) for m in _REFERENCE_MARKERS), re.IGNORECASE)


def is_reference_name(filename: str) -> bool:
    """True when the file name marks a reference shot: _ref, -ref, 色卡, 灰卡, greycard (any case)."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if _MARKER_RE.search(stem):
        # "_ref" must end a word: A1023_ref.jpg, A1023_ref2, not A1023_refill
        for m in re.finditer(r"[_-]ref", stem, re.IGNORECASE):
            nxt = stem[m.end():m.end() + 1]
            if not nxt or not nxt.isalpha():
                return True
        return bool(re.search("色卡|灰卡|gr[ae]y[_ -]?card", stem, re.IGNORECASE))
    return False


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


# ------------------------------------------------- synthetic reference (tests)

def render_colorchecker(
    light=(1.0, 1.0, 1.0),
    *,
    patch_px: int = 40,
    camera_matrix=None,
    exposure: float = 1.0,
) -> np.ndarray:
    """A ColorChecker Classic as a camera would see it: uint8 sRGB image.

    light: linear RGB of the light (a diagonal cast). camera_matrix: optional
    3x3 crosstalk applied before the cast (rows summing to 1 keep greys grey),
    standing in for a camera whose colours differ from sRGB. Patches are
    `patch_px` wide with a 20 % black gap, on a dark frame. For tests,
    demos and the benchmark.
    """
    gap = max(2, round(patch_px * 0.2))
    pitch = patch_px + gap
    border = pitch // 2
    H = 4 * pitch - gap + 2 * border
    W = 6 * pitch - gap + 2 * border
    refl = CHART_REFERENCE_LINEAR.copy()
    frame = np.array([0.012, 0.012, 0.012])
    if camera_matrix is not None:
        refl = refl @ np.asarray(camera_matrix).T
    lin = np.empty((H, W, 3), np.float64)
    lin[:] = frame
    for i in range(24):
        r, c = divmod(i, 6)
        y0, x0 = border + r * pitch, border + c * pitch
        lin[y0:y0 + patch_px, x0:x0 + patch_px] = refl[i]
    lin = lin * np.asarray(light, dtype=np.float64) * exposure
    return linear_to_srgb(np.clip(lin, 0, 1))
