"""Colour maths: sRGB encode/decode, CIE Lab, CIEDE2000, angles, CCT/tint, illuminant colours.

Pure numpy; no image I/O. Images are uint8 sRGB (0-255) or float linear sRGB (0-1).
"""

from __future__ import annotations

import math

import numpy as np

# ---------------------------------------------------------------- constants

# sRGB (IEC 61966-2-1) primaries, D65 white. RGB_TO_XYZ: linear sRGB (0-1) -> CIE XYZ (Y 0-1);
# XYZ_TO_RGB its inverse; Y_WEIGHTS: the luminance Y of linear sRGB (dot product, sums to 1).
RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
Y_WEIGHTS = RGB_TO_XYZ[1]
_D65_XYZ = RGB_TO_XYZ.sum(axis=1)  # (0.9505, 1.0, 1.0889)
D50_XYZ = np.array([0.9642, 1.0, 0.8249])  # ICC D50 white, CIE XYZ with Y = 1
# Bradford chromatic adaptation D50 -> D65 (Lindbloom): XYZ under D50 @ .T -> XYZ under D65.
BRADFORD_D50_TO_D65 = np.array(
    [
        [0.9555766, -0.0230393, 0.0631636],
        [-0.0282895, 1.0099416, 0.0210077],
        [0.0122982, -0.0204830, 1.3299098],
    ]
)


def lab_to_xyz(lab: np.ndarray, white: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (..., 3; L 0-100) -> CIE XYZ (..., 3) relative to `white` (XYZ, Y = 1)."""
    L, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    fy = (L + 16) / 116
    fx = fy + a / 500
    fz = fy - b / 200
    eps, kappa = 216 / 24389, 24389 / 27

    def finv(f):
        return np.where(f**3 > eps, f**3, (116 * f - 16) / kappa)

    return np.stack([finv(fx), finv(fy), finv(fz)], axis=-1) * white


# ------------------------------------------------------------ encode/decode

def srgb_decode(v: np.ndarray) -> np.ndarray:
    """The sRGB transfer curve undone: encoded values 0-1 (float) -> linear light 0-1."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def srgb_encode(v: np.ndarray) -> np.ndarray:
    """Linear light (float, clipped to 0-1) -> sRGB-encoded values 0-1."""
    v = np.clip(v, 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)


# uint8 sRGB code (0-255) -> linear light 0-1 (float32, 256 entries)
DECODE_LUT = srgb_decode(np.arange(256) / 255.0).astype(np.float32)
# 16-bit index -> uint8 sRGB: fine enough that no two neighbouring linear codes
# round differently than the exact formula would (even in the deep shadows).
_ENCODE_LUT = np.round(srgb_encode(np.arange(65536) / 65535.0) * 255).astype(np.uint8)


def srgb_to_linear(img_u8: np.ndarray) -> np.ndarray:
    """uint8 sRGB (0-255) -> float32 linear light (0-1), via a 256-entry table."""
    img_u8 = np.asarray(img_u8)
    if img_u8.dtype != np.uint8:
        raise TypeError(f"expected uint8, got {img_u8.dtype}")
    return DECODE_LUT[img_u8]


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
    xyz = lin.astype(dt) @ RGB_TO_XYZ.T.astype(dt) / _D65_XYZ.astype(dt)
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


def rgb_to_uv(rgb_lin) -> tuple[float, float]:
    """CIE 1960 (u, v) chromaticity of one linear sRGB colour (3 values, 0-1)."""
    xyz = RGB_TO_XYZ @ np.asarray(rgb_lin, dtype=np.float64)
    s = xyz.sum()
    x, y = xyz[0] / s, xyz[1] / s
    return _xy_to_uv(x, y)


def uv_cct_duv(u: float, v: float) -> tuple[float, float]:
    """(correlated colour temperature in kelvin, 1000-15000; Duv, signed distance from the Planckian
    locus in CIE 1960 uv units: positive greenish, negative magenta) of a (u, v) chromaticity."""
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
    u, v = rgb_to_uv(illum)
    return uv_cct_duv(u, v)


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
    rgb = XYZ_TO_RGB @ xyz
    rgb = np.maximum(rgb, 1e-4)
    return rgb / rgb.max()
