#!/usr/bin/env python3
"""Generate the imgpipe demo shop: a product sheet and studio-style product photos.

    python samples/make_samples.py [OUT_DIR]      # default: the folder of this script

Everything is drawn procedurally with numpy and Pillow from a fixed seed, so the
committed files can be rebuilt byte for byte. Needs only numpy, Pillow, openpyxl.

Rendering works in linear light (float32, 0-1): backdrop sweep, contact shadow,
shaded object, then the light's colour cast, lens vignetting, sensor noise, and
finally sRGB encoding and JPEG. What each photo exercises in ingest is listed
in SHOTS and in README.md next to this file.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

SEED = 20261126
TODAY = dt.date(2026, 11, 26)  # the day the demo is "shot"; arrival dates are relative to it
FIXED_TIME = (2026, 11, 26, 9, 0, 0)  # zip entry times inside the xlsx, for byte-identical rebuilds
SIZE_BUDGET = 6_000_000  # bytes for the whole samples/ folder

HEADERS = ["货号", "名称", "类目", "品牌", "标题", "颜色", "面料", "尺码", "长", "宽", "高", "说明", "卖点", "到货日期", "价格"]

PRODUCTS: list[dict] = [
    {
        "货号": "A1023", "名称": "纯棉衬衫", "类目": "服装", "品牌": "禾象",
        # 29 CJK characters: just inside Tmall's and 1688's 30-character limit
        "标题": "禾象纯棉衬衫男士长袖商务休闲免烫修身衬衣白色藏青红色春秋款",
        "颜色": "白色/藏青/红色", "面料": "纯棉", "尺码": "S/M/L/XL",
        "长": 74, "宽": 56, "高": None,
        "说明": "100%棉，60支府绸，已预缩水；模特身高180cm穿L码",
        "卖点": "100%新疆长绒棉，透气吸汗\n60支高密府绸，细腻顺滑\n立体剪裁，修身不紧绷\n天然贝壳纽扣，精致耐用\n预缩水处理，洗后不变形",
        "到货日期": dt.date(2026, 11, 24), "价格": 199,
    },
    {
        "货号": "B2045", "名称": "陶瓷马克杯", "类目": "家居", "品牌": "禾象",
        "标题": "禾象陶瓷马克杯大容量咖啡杯办公室水杯带把手",
        "颜色": "白色/黑色", "面料": "陶瓷", "尺码": "350ml",
        "长": 12, "宽": 8.5, "高": 9.5,
        "说明": "釉下彩，可用微波炉和洗碗机；杯口直径8.5cm",
        "卖点": "高温烧制陶瓷，坚固耐用\n釉下彩工艺，图案不掉色\n350ml大容量，一杯满足\n人体工学把手，握感舒适\n可进微波炉和洗碗机",
        "到货日期": dt.date(2026, 11, 23), "价格": 49,
    },
    {
        "货号": "C3301", "名称": "帆布托特包", "类目": "箱包", "品牌": "禾象",
        "标题": "禾象帆布托特包女大容量单肩包通勤简约手提袋",
        "颜色": "米白/黑色", "面料": "帆布", "尺码": "均码",
        "长": 38, "宽": 10, "高": 40,
        "说明": "12安加厚帆布，内有拉链小袋；提手长60cm",
        "卖点": "12安加厚帆布，挺括耐磨\n大容量，可放14寸笔记本\n内置拉链暗袋，零钱不丢\n加固十字车缝，承重10kg\n可机洗，越洗越柔软",
        "到货日期": dt.date(2026, 11, 20), "价格": 89,
    },
    {
        "货号": "D4410", "名称": "羊毛围巾", "类目": "配饰", "品牌": "禾象",
        "标题": "禾象羊毛围巾女冬季保暖格纹长款流苏披肩",
        "颜色": "红色/藏青", "面料": "羊毛", "尺码": "180×35cm",
        "长": 180, "宽": 35, "高": None,
        "说明": "100%美利奴羊毛，流苏长8cm；建议手洗平铺晾干",
        # deliberately only 4 selling points: R4 asks for 5, so validation has something to flag
        "卖点": "100%美利奴羊毛，亲肤不扎\n经典格纹，百搭配色\n手工捻制流苏\n180cm长款，多种系法",
        "到货日期": dt.date(2026, 11, 25), "价格": 259,
    },
]


@dataclass(frozen=True)
class Shot:
    """One photo to generate. `size` is the upright (display) size in pixels."""

    path: str  # relative to the output folder
    article: str
    view: str
    colour: str
    size: tuple[int, int]
    cast: str
    orientation: int = 1  # EXIF orientation; pixels are stored so that applying it makes them upright
    taken: str | None = None  # EXIF DateTimeOriginal "YYYY:MM:DD HH:MM:SS"
    adobe_rgb: bool = False  # pixels converted to Adobe RGB (1998) and the profile embedded
    cutout: bool = False  # PNG with alpha, no backdrop


SHOTS: list[Shot] = [
    # A1023: a camera folder (IMG_ names), warm tungsten light, two portrait shots tagged 6 and 8;
    # the colours are shot red, navy, white, while the sheet lists 白色/藏青/红色
    Shot("inbox/A1023/IMG_0001.JPG", "A1023", "front", "红色", (1600, 1200), "tungsten", taken="2026:11:25 14:02:11"),
    Shot("inbox/A1023/IMG_0002.JPG", "A1023", "front", "藏青", (1200, 1600), "tungsten", orientation=6, taken="2026:11:25 14:03:40"),
    Shot("inbox/A1023/IMG_0003.JPG", "A1023", "flat", "白色", (1600, 1200), "tungsten", taken="2026:11:25 14:06:02"),
    Shot("inbox/A1023/IMG_0004.JPG", "A1023", "collar", "白色", (1600, 1200), "tungsten", taken="2026:11:25 14:08:19"),
    Shot("inbox/A1023/IMG_0005.JPG", "A1023", "front", "白色", (1200, 1600), "tungsten", orientation=8, taken="2026:11:25 14:09:55"),
    Shot("inbox/A1023/IMG_0006.JPG", "A1023", "cuff", "藏青", (1600, 1200), "tungsten", taken="2026:11:25 14:12:30"),
    Shot("inbox/A1023/A1023_ref_灰卡.jpg", "A1023", "greycard", "", (1600, 1200), "tungsten", taken="2026:11:25 14:00:05"),
    # B2045: loose files with Chinese names and the three separators; cool daylight; no EXIF dates
    Shot("inbox/B2045_正面.jpg", "B2045", "front", "白色", (2000, 1500), "cool"),
    Shot("inbox/B2045-侧面.jpg", "B2045", "side", "白色", (1600, 1200), "cool", orientation=3),
    Shot("inbox/B2045 细节.jpg", "B2045", "rim", "白色", (1600, 1200), "cool"),
    Shot("inbox/B2045_俯视.jpg", "B2045", "top", "白色", (1600, 1200), "cool"),
    Shot("inbox/B2045-把手.jpg", "B2045", "handle", "白色", (1600, 1200), "cool"),
    Shot("inbox/B2045_黑色.jpg", "B2045", "front", "黑色", (1600, 1200), "cool"),
    # C3301: capture order (EXIF) differs from name order; green-ish fluorescent light
    Shot("inbox/C3301_01.jpg", "C3301", "front", "米白", (1600, 1200), "fluorescent", taken="2026:11:24 10:42:00"),
    Shot("inbox/C3301_02.jpg", "C3301", "front", "黑色", (1600, 1200), "fluorescent", taken="2026:11:24 10:05:13"),
    Shot("inbox/C3301_03.jpg", "C3301", "strap", "米白", (1600, 1200), "fluorescent", taken="2026:11:24 10:31:47"),
    Shot("inbox/C3301_04.jpg", "C3301", "turned", "米白", (1200, 1600), "fluorescent", orientation=6, taken="2026:11:24 10:12:30"),
    Shot("inbox/C3301_05.jpg", "C3301", "canvas", "米白", (1600, 1200), "fluorescent", taken="2026:11:24 10:50:08"),
    Shot("inbox/C3301_06.jpg", "C3301", "print", "米白", (1600, 1200), "fluorescent", taken="2026:11:24 10:20:55"),
    # D4410: a folder with Chinese file names; neutral light; one Adobe RGB photo, one PNG cut-out
    Shot("inbox/D4410/平铺_AdobeRGB.jpg", "D4410", "flat", "红色", (2400, 1800), "neutral", adobe_rgb=True),
    Shot("inbox/D4410/悬挂.jpg", "D4410", "hanging", "藏青", (1600, 1200), "neutral"),
    Shot("inbox/D4410/折叠.jpg", "D4410", "folded", "红色", (1600, 1200), "neutral"),
    Shot("inbox/D4410/流苏细节.jpg", "D4410", "fringe", "红色", (1600, 1200), "neutral"),
    Shot("inbox/D4410/纹理细节.jpg", "D4410", "weave", "藏青", (1600, 1200), "neutral"),
    Shot("inbox/D4410/平铺.jpg", "D4410", "flat", "藏青", (1600, 1200), "neutral"),
    Shot("inbox/D4410/白底抠图.png", "D4410", "folded", "藏青", (800, 800), "neutral", cutout=True),
]


# ---------------------------------------------------------------- colour maths

def srgb_to_linear(v):
    """sRGB-encoded 0-1 -> linear 0-1 (IEC 61966-2-1)."""
    v = np.asarray(v, dtype=np.float32)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(v):
    """linear 0-1 -> sRGB-encoded 0-1."""
    v = np.clip(np.asarray(v, dtype=np.float32), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055).astype(np.float32)


def rgb8(r: int, g: int, b: int) -> np.ndarray:
    """An sRGB 0-255 colour as a linear albedo (0-1)."""
    return srgb_to_linear(np.array([r, g, b], np.float32) / 255.0)


# linear sRGB (D65) -> XYZ, and Adobe RGB (1998) (D65) -> XYZ
M_SRGB = np.array([[0.4124564, 0.3575761, 0.1804375],
                   [0.2126729, 0.7151522, 0.0721750],
                   [0.0193339, 0.1191920, 0.9503041]])
M_ADOBE = np.array([[0.5767309, 0.1855540, 0.1881852],
                    [0.2973769, 0.6273491, 0.0752741],
                    [0.0270343, 0.0706872, 0.9911085]])
ADOBE_GAMMA = 563 / 256  # the u8Fixed8 value stored in the profile (2.19921875)


def cct_gains(kelvin: float, strength: float) -> np.ndarray:
    """Linear RGB multipliers for light of `kelvin` seen by a camera balanced for D65.

    The Planckian locus point (Kim et al. 2002 cubic fit, 1667-25000 K) is taken to
    linear sRGB and divided by D65's; `strength` 0-1 blends towards no cast (a
    camera's auto white balance removes part of it). Luminance is kept at 1.
    """
    t = float(kelvin)
    if t <= 4000:
        x = -0.2661239e9 / t**3 - 0.2343589e6 / t**2 + 0.8776956e3 / t + 0.179910
    else:
        x = -3.0258469e9 / t**3 + 2.1070379e6 / t**2 + 0.2226347e3 / t + 0.240390
    if t <= 2222:
        y = -1.1063814 * x**3 - 1.34811020 * x**2 + 2.18555832 * x - 0.20219683
    elif t <= 4000:
        y = -0.9549476 * x**3 - 1.37418593 * x**2 + 2.09137015 * x - 0.16748867
    else:
        y = 3.0817580 * x**3 - 5.87338670 * x**2 + 3.75112997 * x - 0.37001483
    xyz = np.array([x / y, 1.0, (1 - x - y) / y])
    rgb = np.linalg.solve(M_SRGB, xyz)
    d65 = np.linalg.solve(M_SRGB, np.array([0.95047, 1.0, 1.08883]))
    g = (rgb / d65) ** strength
    return (g / (M_SRGB[1] @ g)).astype(np.float32)


def _norm(g) -> np.ndarray:
    g = np.asarray(g, np.float64)
    return (g / (M_SRGB[1] @ g)).astype(np.float32)


def _exposed(g) -> np.ndarray:
    """Gains with the exposure pulled down part-way, as a photographer would, so whites don't clip."""
    g = np.asarray(g, np.float32)
    return (g / max(1.0, float(g.max())) ** 0.6).astype(np.float32)


CASTS = {
    "tungsten": _exposed(cct_gains(3200, 0.45)),  # halogen/tungsten lamps, camera on daylight WB: orange
    "cool": _exposed(cct_gains(8500, 1.0)),  # open shade / overcast window light: blue
    "fluorescent": _exposed(_norm([0.86, 1.0, 0.88])),  # cool-white tubes sit above the Planckian locus: green
    "neutral": _norm([1.0, 1.0, 1.0]),
}


def srgb_to_adobe_rgb(rgb: np.ndarray) -> np.ndarray:
    """uint8 HxWx3 sRGB -> uint8 HxWx3 Adobe RGB (1998), relative colorimetric (both D65)."""
    lin = srgb_to_linear(rgb.astype(np.float32) / 255.0)
    m = np.linalg.solve(M_ADOBE, M_SRGB).astype(np.float32)  # sRGB lin -> Adobe lin
    a = np.clip(lin @ m.T, 0.0, 1.0) ** (1 / ADOBE_GAMMA)
    return np.round(a * 255.0).astype(np.uint8)


# ---------------------------------------------------------------- ICC v2 profile

def _s15(v: float) -> bytes:
    return struct.pack(">i", int(round(v * 65536)))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ " + b"\0" * 4 + b"".join(_s15(c) for c in xyz)


def _desc_tag(text: str) -> bytes:
    a = text.encode("ascii") + b"\0"
    return (b"desc" + b"\0" * 4 + struct.pack(">I", len(a)) + a
            + struct.pack(">II", 0, 0) + struct.pack(">HB", 0, 0) + b"\0" * 67)


def bradford_d65_to_d50() -> np.ndarray:
    """The Bradford chromatic adaptation matrix D65 -> D50 (what ICC v2 colorants use)."""
    b = np.array([[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], [0.0389, -0.0685, 1.0296]])
    src = b @ np.array([0.95047, 1.0, 1.08883])
    dst = b @ np.array([0.96422, 1.0, 0.82521])
    return np.linalg.inv(b) @ np.diag(dst / src) @ b


def adobe_rgb_icc() -> bytes:
    """A small ICC v2 display profile equivalent to Adobe RGB (1998).

    Colorants are the Adobe RGB primaries adapted to the D50 PCS with Bradford
    (as in Adobe's own profile), tone curves a pure gamma of 563/256, media white D65.
    """
    cols = bradford_d65_to_d50() @ M_ADOBE
    curve = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, 563) + b"\0\0"  # padded to 4 bytes
    tags = [
        (b"desc", _desc_tag("Adobe RGB (1998) compatible - imgpipe sample")),
        (b"cprt", b"text" + b"\0" * 4 + b"Public domain. Generated by imgpipe samples/make_samples.py\0"),
        (b"wtpt", _xyz_tag([0.95045, 1.0, 1.08905])),
        (b"rXYZ", _xyz_tag(cols[:, 0])),
        (b"gXYZ", _xyz_tag(cols[:, 1])),
        (b"bXYZ", _xyz_tag(cols[:, 2])),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
    ]
    table_len = 4 + 12 * len(tags)
    offset = 128 + table_len
    table, data, seen = [], b"", {}
    for sig, body in tags:
        if body in seen:  # the three TRCs share one curve
            table.append((sig, *seen[body]))
            continue
        while len(body) % 4:
            body += b"\0"
        seen[body] = (offset + len(data), len(body))
        table.append((sig, offset + len(data), len(body)))
        data += body
    size = 128 + table_len + len(data)
    header = (struct.pack(">I", size) + b"\0\0\0\0" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 11, 26, 0, 0, 0) + b"acsp" + b"\0" * 4 + b"\0" * 4
              + b"\0" * 8 + b"\0" * 8 + struct.pack(">I", 0)
              + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28)
    assert len(header) == 128
    tag_table = struct.pack(">I", len(tags)) + b"".join(struct.pack(">4sII", s, o, n) for s, o, n in table)
    return header + tag_table + data


# ---------------------------------------------------------------- drawing helpers

def _gauss(a: np.ndarray, sigma: float) -> np.ndarray:
    r = max(1, int(math.ceil(3 * sigma)))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2).astype(np.float32)
    k /= k.sum()
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (r, r)
        p = np.pad(a, pad, mode="edge")
        n = a.shape[axis]
        out = np.zeros_like(a)
        for i, kv in enumerate(k):
            out += kv * (p[i:i + n] if axis == 0 else p[:, i:i + n])
        a = out
    return a


def blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of a 2-D float array; sigma in pixels. Wide blurs run on a reduced copy."""
    if sigma < 0.3:
        return a
    a = a.astype(np.float32)
    if sigma <= 2.0:
        return _gauss(a, sigma)
    h, w = a.shape
    f = int(sigma / 1.5)
    small = np.asarray(Image.fromarray(a, "F").resize((-(-w // f), -(-h // f)), Image.BOX), np.float32)
    return upsample(_gauss(small, sigma / f), w, h)


def smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def chaikin(pts, rounds=2, closed=True):
    """Corner-cutting so hand-placed outlines read as cloth, not polygons."""
    p = np.asarray(pts, np.float64)
    for _ in range(rounds):
        q = np.roll(p, -1, axis=0) if closed else p[1:]
        a = p if closed else p[:-1]
        new = np.empty((len(a) * 2, 2))
        new[0::2] = 0.75 * a + 0.25 * q
        new[1::2] = 0.25 * a + 0.75 * q
        if not closed:
            new = np.vstack([p[:1], new, p[-1:]])
        p = new
    return p


def ellipse_pts(cx, cy, rx, ry, a0=0.0, a1=2 * math.pi, n=96):
    t = np.linspace(a0, a1, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], axis=1)


class View:
    """Maps object units to frame pixels: p = s * R(angle) @ diag(sx, 1) @ (o - anchor) + at."""

    def __init__(self, w, h, s, at, anchor=(0.0, 0.0), angle=0.0, sx=1.0):
        self.w, self.h, self.s = w, h, float(s)
        self.at = np.array(at, np.float64)
        self.anchor = np.array(anchor, np.float64)
        c, n = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        self.m = self.s * np.array([[c, -n], [n, c]]) @ np.diag([sx, 1.0])
        self.inv = np.linalg.inv(self.m)
        self._grid = None

    def to_px(self, pts):
        p = np.asarray(pts, np.float64) - self.anchor
        return p @ self.m.T + self.at

    def grid(self):
        """Object coordinates (U, V) of every pixel centre, float32 HxW each."""
        if self._grid is None:
            ys, xs = np.mgrid[0:self.h, 0:self.w].astype(np.float32)
            dx, dy = xs + 0.5 - self.at[0], ys + 0.5 - self.at[1]
            u = self.inv[0, 0] * dx + self.inv[0, 1] * dy + self.anchor[0]
            v = self.inv[1, 0] * dx + self.inv[1, 1] * dy + self.anchor[1]
            self._grid = (u.astype(np.float32), v.astype(np.float32))
        return self._grid

    def _raster(self, paint, pts_px, pad, soft):
        """Draw at 2x inside the shapes' bounding box only, reduce, blur, paste into a frame mask."""
        allp = np.vstack(pts_px)
        pad = pad + 3 * soft + 2
        x0, y0 = (max(0, int(math.floor(c - pad))) for c in allp.min(0))
        x1 = min(self.w, int(math.ceil(allp[:, 0].max() + pad)))
        y1 = min(self.h, int(math.ceil(allp[:, 1].max() + pad)))
        out = np.zeros((self.h, self.w), np.float32)
        if x1 <= x0 or y1 <= y0:
            return out
        img = Image.new("L", ((x1 - x0) * 2, (y1 - y0) * 2), 0)
        paint(ImageDraw.Draw(img), [(p - (x0, y0)) * 2 for p in pts_px])
        m = np.asarray(img.reduce(2), np.float32) / 255.0
        out[y0:y1, x0:x1] = blur(m, soft) if soft else m
        return out

    def poly(self, pts, soft=0.0):
        """Anti-aliased filled polygon(s) (object units) as a float mask 0-1; pts may be a list of polygons."""
        polys = pts if isinstance(pts, list) and pts and np.ndim(pts[0]) == 2 else [pts]

        def paint(d, pxs):
            for px in pxs:
                d.polygon([tuple(p) for p in px], fill=255)
        return self._raster(paint, [self.to_px(p) for p in polys], 1, soft)

    def lines(self, polylines, width, soft=0.6, dash=None):
        """Stroked polylines (object units, width in object units) as a float mask 0-1."""
        wpx = max(1, int(round(width * self.s * 2)))

        def paint(d, pxs):
            for px in pxs:
                if dash:
                    on, off = dash[0] * self.s * 2, dash[1] * self.s * 2
                    pos = np.concatenate([[0], np.cumsum(np.hypot(*np.diff(px, axis=0).T))])
                    t = 0.0
                    while t < pos[-1]:
                        a, b = t, min(t + on, pos[-1])
                        pa = (np.interp(a, pos, px[:, 0]), np.interp(a, pos, px[:, 1]))
                        pb = (np.interp(b, pos, px[:, 0]), np.interp(b, pos, px[:, 1]))
                        d.line([pa, pb], fill=255, width=wpx)
                        t += on + off
                else:
                    d.line([tuple(p) for p in px], fill=255, width=wpx, joint="curve")
        return self._raster(paint, [self.to_px(np.asarray(l, np.float64)) for l in polylines], wpx, soft)

    def lowres(self, f=4):
        """The same view at 1/f resolution, for smooth fields (folds, bulges)."""
        return View(-(-self.w // f), -(-self.h // f), self.s / f, self.at / f, self.anchor, 0.0, 1.0)._with(self, f)

    def _with(self, full, f):
        self.m, self.inv = full.m / f, np.linalg.inv(full.m / f)
        return self


def upsample(a: np.ndarray, w: int, h: int) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32), "F").resize((w, h), Image.BICUBIC), np.float32)


def ridges(view: View, specs, f=4):
    """A height field: sum of soft ridges along segments (object units), computed at 1/f size.

    specs: (x0, y0, x1, y1, width, height). Returns (height, d/dx, d/dy) at full size, per pixel.
    """
    lv = view.lowres(f)
    u, v = lv.grid()
    h = np.zeros_like(u)
    for x0, y0, x1, y1, wd, amp in specs:
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((u - x0) * dx + (v - y0) * dy) / (dx * dx + dy * dy + 1e-12), 0, 1)
        d2 = (u - x0 - t * dx) ** 2 + (v - y0 - t * dy) ** 2
        taper = np.clip(np.sin(np.pi * t), 0, 1) ** 2  # folds fade out smoothly at their ends
        h += amp * np.exp(-d2 / (wd * wd)) * taper
    h = upsample(h, view.w, view.h)
    gy, gx = np.gradient(h)
    return h, gx * view.s, gy * view.s  # slopes per object unit


def fold_light(gx, gy, k=0.09, light=(-0.55, -0.85)):
    """Shading from a height field's slopes, lit from the upper left."""
    return 1.0 + k * (gx * light[0] + gy * light[1])


def random_folds(rng, n, box, length, width, amp):
    x0, y0, x1, y1 = box
    out = []
    for _ in range(n):
        cx, cy = rng.uniform(x0, x1), rng.uniform(y0, y1)
        ang = rng.uniform(0, math.pi)
        ln = rng.uniform(*length) / 2
        out.append((cx - ln * math.cos(ang), cy - ln * math.sin(ang), cx + ln * math.cos(ang), cy + ln * math.sin(ang),
                    rng.uniform(*width), rng.choice([-1, 1]) * rng.uniform(*amp)))
    return out


def weave(view: View, period: float, amp: float, rng) -> np.ndarray:
    """Fine cloth texture (multiplier around 1): a plain weave where it can be resolved, grain otherwise."""
    u, v = view.grid()
    px = period * view.s  # pixels per thread
    vis = float(np.clip((px - 2.0) / 3.0, 0.0, 1.0))
    tex = np.ones((view.h, view.w), np.float32)
    if vis > 0:
        a = np.sin(2 * np.pi * u / period) * np.sin(2 * np.pi * v / period)
        tex += amp * vis * a.astype(np.float32)
    grain = blur(rng.standard_normal((view.h, view.w)).astype(np.float32), max(0.6, 0.4 * px))
    tex += amp * 0.8 * grain / (grain.std() + 1e-6)
    return tex


@dataclass
class Layer:
    alpha: np.ndarray  # HxW 0-1
    rgb: np.ndarray  # HxWx3 linear
    shadow: np.ndarray  # HxW 0-1, how much of the backdrop's light is blocked


def contact_shadow(view: View, cx, cy, rx, ry, strength=0.55) -> np.ndarray:
    """A soft shadow on the floor under a standing object: a wide penumbra and a dark core."""
    wide = view.poly(ellipse_pts(cx, cy, rx * 1.05, ry * 1.6), soft=0)
    core = view.poly(ellipse_pts(cx, cy + ry * 0.15, rx * 0.9, ry * 0.6), soft=0)
    s = 0.55 * blur(wide, 0.06 * view.s * rx * 2) + 0.6 * blur(core, 0.012 * view.s * rx * 2 + 1)
    return np.clip(s * strength / 0.6, 0, 0.85)


def drop_shadow(view: View, alpha: np.ndarray, dx=0.012, dy=0.02, spread=0.015, strength=0.45):
    """A flat-lay shadow: the silhouette, offset away from the light and blurred."""
    sh = np.roll(alpha, (int(round(dy * view.s)), int(round(dx * view.s))), axis=(0, 1))
    return np.clip(blur(sh, spread * view.s + 1), 0, 1) * strength


# ---------------------------------------------------------------- products

# albedos (sRGB 0-255) per shop colour name; the demo uses the first entries, the
# cut-out/colour test set (tests/studio_set.py) the rest
SHIRT = {"白色": (236, 236, 232), "藏青": (36, 46, 82), "红色": (176, 32, 42),
         "粉色": (232, 168, 184), "浅蓝": (160, 190, 222)}


def draw_shirt(view: View, colour: str, rng, flat=False) -> Layer:
    left = [(-0.10, 0.03), (-0.40, 0.10), (-0.50, 0.30), (-0.57, 0.66), (-0.61, 0.98), (-0.47, 1.01),
            (-0.43, 0.62), (-0.37, 0.37), (-0.385, 0.80), (-0.39, 1.13), (-0.30, 1.20), (-0.13, 1.245)]
    right = [(-x, y) for x, y in reversed(left)]
    outline = chaikin(left + [(0.0, 1.255)] + right + [(0.0, 0.07)], 4)
    alpha = view.poly(outline)
    u, v = view.grid()
    base = rgb8(*SHIRT[colour])

    folds = [(-0.5, 0.35, -0.56, 0.9, 0.035, 0.02), (0.5, 0.35, 0.56, 0.9, 0.035, 0.02),
             (-0.43, 0.55, -0.57, 0.61, 0.014, -0.007), (0.43, 0.55, 0.57, 0.61, 0.014, -0.007),
             (-0.44, 0.62, -0.58, 0.67, 0.012, 0.005), (0.44, 0.62, 0.58, 0.67, 0.012, 0.005),
             (-0.06, 0.75, -0.30, 1.05, 0.04, 0.015), (0.08, 0.80, 0.32, 1.08, 0.04, 0.012),
             (-0.33, 0.40, -0.18, 0.55, 0.03, -0.012), (0.33, 0.40, 0.17, 0.56, 0.03, -0.012)]
    folds += random_folds(rng, 8, (-0.35, 0.2, 0.35, 1.15), (0.25, 0.6), (0.02, 0.045), (0.003, 0.008))
    h, gx, gy = ridges(view, folds)
    ao = np.sqrt(np.clip(blur(alpha, 0.035 * view.s), 0, 1))
    light = 1.04 - 0.10 * np.clip(v / 1.25, 0, 1) - 0.05 * u
    shade = fold_light(gx, gy, 0.9) * (0.68 + 0.32 * ao) * light * (1 + 1.5 * np.minimum(h, 0))
    # sleeves sit a little behind the body
    sleeve = smoothstep(0.36, 0.42, np.abs(u)) * smoothstep(0.25, 0.4, v)
    shade *= 1 - 0.07 * sleeve

    ink = view.lines([
        chaikin([(-0.39, 0.11), (-0.36, 0.24), (-0.37, 0.37)], 2, closed=False),
        chaikin([(0.39, 0.11), (0.36, 0.24), (0.37, 0.37)], 2, closed=False),
        [(-0.585, 0.87), (-0.465, 0.895)], [(0.585, 0.87), (0.465, 0.895)],
        [(-0.025, 0.16), (-0.025, 1.245)], [(0.025, 0.16), (0.025, 1.245)],
        chaikin([(-0.38, 1.11), (-0.30, 1.18), (-0.13, 1.225), (0.0, 1.235), (0.13, 1.225), (0.30, 1.18), (0.38, 1.11)], 2, closed=False),
    ], 0.004)
    pocket = [(0.12, 0.34), (0.27, 0.34), (0.27, 0.50), (0.195, 0.53), (0.12, 0.50), (0.12, 0.34)]
    ink = np.maximum(ink, view.lines([pocket, [(0.12, 0.37), (0.27, 0.37)]], 0.0035))
    shade *= 1 - 0.35 * ink
    pocket_m = view.poly(pocket[:-1])
    shade *= 1 + 0.04 * pocket_m - 0.1 * (blur(pocket_m, 0.006 * view.s) - pocket_m).clip(0)

    # collar: its shadow on the shirt first, then the collar leaves on top
    collar_l = np.array([(-0.005, 0.13), (-0.10, 0.005), (-0.15, 0.035), (-0.125, 0.195), (-0.045, 0.165)])
    collar_r = [(-x, y) for x, y in collar_l]
    neck = view.poly(ellipse_pts(0, 0.045, 0.105, 0.05))
    cm = np.maximum(view.poly(collar_l), view.poly(collar_r))
    cshadow = np.roll(blur(cm, 0.012 * view.s), int(0.012 * view.s), axis=0)
    shade *= 1 - 0.35 * np.clip(cshadow - cm, 0, 1)
    shade = shade * (1 - neck) + neck * (0.45 + 0.25 * smoothstep(0.0, 0.09, v))
    collar_shade = 1.06 - 0.12 * smoothstep(0.0, 0.2, v)
    cink = view.lines([np.vstack([collar_l, collar_l[:1]]), np.vstack([collar_r, collar_r[:1]])], 0.003)
    shade = shade * (1 - cm) + cm * collar_shade * (1 - 0.3 * cink)

    spots = [(0, by, 0.013) for by in (0.21, 0.39, 0.57, 0.75, 0.93, 1.11)]
    spots += [(0.195, 0.45, 0.01), (-0.53, 0.95, 0.01), (0.53, 0.95, 0.01)]
    buttons = np.clip(view.poly([ellipse_pts(bx, by, br, br, n=32) for bx, by, br in spots]), 0, 1)
    hl = view.poly([ellipse_pts(bx - br / 3, by - br / 3, br / 3, br / 3, n=16) for bx, by, br in spots])
    shade *= 1 - 0.25 * np.clip(np.roll(blur(buttons, 2), 2, axis=0) - buttons, 0, 1)
    tex = weave(view, 0.0022, 0.025, rng)
    rgb = base[None, None, :] * (shade * tex)[..., None]
    button_col = rgb8(232, 228, 218) * (0.85 + 0.5 * hl)[..., None]
    rgb = rgb * (1 - buttons[..., None]) + button_col * buttons[..., None]
    if flat:
        return Layer(alpha, rgb.astype(np.float32), drop_shadow(view, alpha, 0.008, 0.014, 0.012, 0.4))
    # on a hanger in front of the paper: a chrome hook above the collar, a soft shadow on the wall
    hook = np.vstack([[(0.0, 0.03), (0.0, -0.075)], ellipse_pts(0.032, -0.075, 0.032, 0.04, math.pi, 2 * math.pi, 24),
                      [(0.066, -0.06)]])
    hk = view.lines([hook], 0.009, soft=0.5) * (1 - alpha)
    hu = np.clip((u - 0.0) / 0.066, 0, 1)
    chrome = (0.25 + 0.6 * np.exp(-((hu - 0.3) / 0.15) ** 2))[..., None] * np.ones(3, np.float32)
    rgb = rgb * alpha[..., None] + chrome * hk[..., None]
    alpha = np.clip(alpha + hk, 0, 1)
    rgb = rgb / np.maximum(alpha, 1e-4)[..., None] * (alpha > 0)[..., None]
    shadow = drop_shadow(view, alpha, 0.035, 0.045, 0.04, 0.3)
    return Layer(alpha, rgb.astype(np.float32), shadow)


MUG = {"白色": ((240, 240, 236), (34, 48, 92)), "黑色": ((32, 32, 34), (196, 160, 92)),
       "红色": ((178, 30, 40), (240, 236, 228)), "蓝色": ((40, 86, 170), (240, 236, 228)),
       "黄色": ((236, 196, 60), (60, 60, 64))}


def draw_mug(view: View, colour: str, rng, k=0.2, handle=1.0, handle_w=1.0) -> Layer:
    """A glazed mug: radius 0.4, rim centre at (0, 0), base at y = 1; k = rim ellipse ratio."""
    r, top, bot = 0.4, 0.0, 1.0
    u, v = view.grid()
    glaze, band_col = (rgb8(*c) for c in MUG[colour])
    x = np.clip(u / r, -1, 1)
    front = k * r * np.sqrt(1 - x * x)
    body = view.poly(np.vstack([ellipse_pts(0, top, r, k * r, math.pi, 2 * math.pi, 64),
                                ellipse_pts(0, bot, r, k * r, 0, math.pi, 64)]))
    rim_o = view.poly(ellipse_pts(0, top, r, k * r))
    ri = r - 0.035
    rim_i = view.poly(ellipse_pts(0, top, ri, k * ri))

    # glossy cylinder: Lambert + Blinn highlight, lit from the front-left
    n = np.stack([x, np.zeros_like(x), np.sqrt(1 - x * x)], -1)
    L = np.array([-0.55, -0.25, 0.8]); L /= np.linalg.norm(L)
    H = L + np.array([0, 0, 1.0]); H /= np.linalg.norm(H)
    lam = np.clip(n @ L.astype(np.float32), 0, 1)
    spec = np.clip(n @ H.astype(np.float32), 0, 1) ** 90
    soft = np.exp(-((x - 0.62) / 0.1) ** 2)  # a softbox reflected on the right
    yb = v - front  # height along the body
    ao = 1 - 0.35 * smoothstep(0.82, 1.0, yb) - 0.1 * smoothstep(0.1, 0.0, yb)
    band = ((yb > 0.16) & (yb < 0.25)) | ((yb > 0.285) & (yb < 0.305))
    bandm = blur(band.astype(np.float32), 0.7)
    alb = glaze[None, None] * (1 - bandm[..., None]) + band_col[None, None] * bandm[..., None]
    foot = smoothstep(0.955, 0.975, yb)[..., None]
    alb = alb * (1 - foot) + rgb8(206, 196, 180)[None, None] * foot
    gloss = 0.85 if colour == "黑色" else 0.55
    body_rgb = alb * ((0.22 + 0.8 * lam) * ao)[..., None] + (gloss * spec + 0.12 * gloss * soft)[..., None]

    # the opening: rim lip bright, inside darker towards the front wall that shades it
    inside_t = np.clip((v - (top - k * ri)) / (2 * k * ri + 1e-6), 0, 1)
    inside = glaze[None, None] * (0.75 - 0.5 * inside_t)[..., None] * (0.9 + 0.1 * x)[..., None]
    lip = glaze[None, None] * (1.05 - 0.15 * x)[..., None]

    # handle: an elliptical ring beside the body, shaded as a tube
    hx, hy, hrx, hry, th = handle * (r + 0.09), 0.46, 0.17 * handle_w, 0.28, 0.065
    ru = (u - hx) / hrx
    rv = (v - hy) / hry
    rho = np.sqrt(ru * ru + rv * rv)
    mid = 1 - th / 2 / 0.22
    d = np.clip((rho - mid) / (th / 2 / 0.22), -1, 1)
    hm = view.poly(ellipse_pts(hx, hy, hrx, hry), soft=0) - view.poly(ellipse_pts(hx, hy, hrx * (1 - th / 0.22 * 1.3 / max(handle_w, 0.3)), hry * (1 - th / 0.22)), soft=0)
    hm = blur(np.clip(hm, 0, 1) * (handle * u > r * 0.6), 0.7)
    nx = d * ru / (rho + 1e-6)
    ny = d * rv / (rho + 1e-6)
    nz = np.sqrt(np.clip(1 - d * d, 0, 1))
    hlam = np.clip(nx * L[0] + ny * L[1] + nz * L[2], 0, 1)
    hspec = np.clip((nx * H[0] + ny * H[1] + nz * H[2]), 0, 1) ** 60
    handle_rgb = glaze[None, None] * (0.25 + 0.75 * hlam)[..., None] + (gloss * hspec)[..., None]

    alpha = np.clip(np.maximum(body, rim_o) + hm, 0, 1)
    rgb = handle_rgb * hm[..., None]
    rgb = rgb * (1 - body[..., None]) + body_rgb * body[..., None]
    rgb = rgb * (1 - rim_o[..., None]) + lip * rim_o[..., None]
    rgb = rgb * (1 - rim_i[..., None]) + inside * rim_i[..., None]
    rgb = rgb / np.maximum(alpha, 1e-4)[..., None] * (alpha > 0)[..., None]
    shadow = contact_shadow(view, 0.04, bot + 0.35 * k * r, r * 1.02, k * r * 0.8 + 0.015, 0.7)
    return Layer(alpha, rgb.astype(np.float32), shadow)


BAG = {"米白": (226, 216, 192), "黑色": (40, 40, 42), "墨绿": (44, 78, 58), "卡其": (176, 150, 104)}


def draw_bag(view: View, colour: str, rng, printed=True) -> Layer:
    """A canvas tote: body x in [-0.5, 0.5], y in [0, 1.1]; straps rise to y = -0.55."""
    u, v = view.grid()
    base = rgb8(*BAG[colour])
    ys = np.linspace(0, 1.1, 24)
    lside = [(-0.5 - 0.025 * math.sin(math.pi * y / 1.1), y) for y in ys]
    outline = lside + [(-0.47, 1.12), (0.47, 1.12)] + [(-x, y) for x, y in reversed(lside)]
    outline += [(x, 0.012 * math.sin(math.pi * (x + 0.5))) for x in np.linspace(0.5, -0.5, 16)]
    body = view.poly(chaikin(outline, 1))

    def strap(dx, apex):
        t = np.linspace(0, math.pi, 40)
        return np.stack([dx + 0.24 * np.cos(t) * -1, 0.12 - (0.12 - apex) * np.sin(t)], 1)

    back = view.lines([strap(0.035, -0.50)], 0.07)
    front_c = strap(0.0, -0.55)
    fstrap = view.lines([front_c], 0.075)
    edges = view.lines([front_c], 0.075, soft=0)
    fstitch = view.lines([front_c], 0.003, dash=(0.012, 0.008))

    folds = [(-0.24, 0.10, -0.38, 0.55, 0.05, 0.02), (0.24, 0.10, 0.36, 0.60, 0.05, 0.02),
             (-0.2, 0.05, 0.2, 0.05, 0.03, -0.012), (0.0, 0.15, 0.05, 0.6, 0.08, 0.01)]
    folds += random_folds(rng, 8, (-0.4, 0.1, 0.4, 1.0), (0.15, 0.5), (0.02, 0.06), (0.004, 0.012))
    h, gx, gy = ridges(view, folds)
    bulge = np.clip(blur(body, 0.09 * view.s), 0, 1)
    shade = fold_light(gx, gy, 0.8) * (0.62 + 0.42 * bulge) * (1.03 - 0.08 * np.clip(v, 0, 1.1) - 0.04 * u)
    hem = view.lines([[(-0.5, 0.075), (0.5, 0.075)]], 0.003, dash=(0.012, 0.008))
    hem_fold = view.lines([[(-0.5, 0.095), (0.5, 0.095)]], 0.006)
    shade *= 1 - 0.25 * hem - 0.12 * hem_fold
    for cx in (-0.24, 0.24):  # box-and-cross stitching where the strap is sewn on
        box = [(cx - 0.035, 0.0), (cx + 0.035, 0.0), (cx + 0.035, 0.09), (cx - 0.035, 0.09), (cx - 0.035, 0.0)]
        xs = view.lines([box, [box[0], box[2]], [box[1], box[3]]], 0.0028)
        shade *= 1 - 0.3 * xs
    tex = weave(view, 0.004, 0.05 if colour == "米白" else 0.08, rng)
    alb = np.broadcast_to(base, u.shape + (3,)).copy()
    if printed:  # a screen-printed mark: ring, dot and three bars
        ink_col = rgb8(34, 52, 96)
        ring = view.lines([ellipse_pts(0, 0.52, 0.13, 0.13)], 0.022)
        dot = view.poly(ellipse_pts(0.0, 0.52, 0.045, 0.045, n=48))
        bars = view.poly([(-0.14, 0.71), (0.14, 0.71), (0.14, 0.735), (-0.14, 0.735)])
        bars = np.maximum(bars, view.poly([(-0.10, 0.765), (0.10, 0.765), (0.10, 0.78), (-0.10, 0.78)]))
        ink = np.clip(ring + dot + bars, 0, 1) * (0.9 + 0.1 * (tex - 1) * 4)
        alb = alb * (1 - ink[..., None]) + ink_col * np.clip(ink, 0, 1)[..., None]
    rgb = alb * (shade * tex)[..., None]

    strap_col = base * 0.95
    sshade = 0.75 + 0.3 * np.clip(blur(edges, 0.02 * view.s), 0, 1)
    front_rgb = strap_col * (sshade * tex * (1 - 0.3 * fstitch))[..., None]
    back_rgb = strap_col * 0.55 * tex[..., None]
    alpha = np.clip(np.maximum(np.maximum(back, body), fstrap), 0, 1)
    out = back_rgb * back[..., None]
    out = out * (1 - body[..., None]) + rgb * body[..., None]
    out = out * (1 - fstrap[..., None]) + front_rgb * fstrap[..., None]
    out = out / np.maximum(alpha, 1e-4)[..., None] * (alpha > 0)[..., None]
    shadow = contact_shadow(view, 0.0, 1.12, 0.52, 0.05, 0.6)
    return Layer(alpha, out.astype(np.float32), shadow)


SCARF = {"红色": ((168, 30, 38), (30, 40, 78), (226, 214, 190)),
         "藏青": ((32, 42, 80), (170, 34, 42), (222, 212, 192))}


def tartan(p, q, colour):
    """Plaid albedo from cross-width p and along-length q (object units)."""
    base, c1, c2 = (rgb8(*c) for c in SCARF[colour])

    def stripes(t, period):
        m = np.mod(t, period) / period
        a = ((m > 0.10) & (m < 0.30)).astype(np.float32)  # wide stripe
        b = ((m > 0.42) & (m < 0.46)).astype(np.float32)  # fine contrast line
        return blur(a, 0.6), blur(b, 0.6)

    a1, b1 = stripes(q, 0.16)
    a2, b2 = stripes(p + 0.02, 0.16)
    mix = base[None, None] * np.ones(p.shape + (1,), np.float32)
    wide = np.clip(0.65 * a1 + 0.65 * a2, 0, 1)[..., None]
    mix = mix * (1 - wide) + (0.55 * c1 + 0.45 * base)[None, None] * wide
    fine = np.clip(b1 + b2, 0, 1)[..., None] * 0.8
    return mix * (1 - fine) + c2[None, None] * fine


def draw_scarf(view: View, colour: str, rng, length=1.8, width=0.36, folds_at=(), fringe_ends=(0, 1), rod=False) -> Layer:
    """A flat scarf: x across its width (-w/2..w/2), y along its length (0..length), fringe beyond."""
    u, v = view.grid()
    hw = width / 2
    body = view.poly([(-hw, 0), (-hw - 0.004, length * 0.5), (-hw, length), (hw, length), (hw + 0.004, length * 0.5), (hw, 0)])
    alb = tartan(u, v, colour)
    fr_lines = []
    fl = 0.08
    for end in fringe_ends:
        y0 = end * length
        sgn = 1 if end else -1
        for xx in np.linspace(-hw + 0.01, hw - 0.01, 22):
            tip = (xx + rng.normal(0, 0.006), y0 + sgn * (fl + rng.normal(0, 0.006)))
            mid = (xx + rng.normal(0, 0.003), y0 + sgn * fl * 0.5)
            fr_lines.append(np.array([(xx, y0 - sgn * 0.005), mid, tip]))
    fringe = view.lines(fr_lines, 0.007) if fr_lines else np.zeros_like(u)
    fringe_core = view.lines(fr_lines, 0.0025, soft=0.4) if fr_lines else np.zeros_like(u)
    folds = random_folds(rng, 7, (-hw, 0.1, hw, length - 0.1), (0.1, 0.35), (0.02, 0.05), (0.004, 0.01))
    h, gx, gy = ridges(view, folds)
    shade = fold_light(gx, gy, 0.7) * (0.8 + 0.2 * np.sqrt(np.clip(blur(body, 0.015 * view.s), 0, 1)))
    for fy in folds_at:  # a pressed fold: a soft dark crease with a lit ridge above it
        shade *= 1 - 0.28 * np.exp(-((v - fy) / 0.008) ** 2) + 0.08 * np.exp(-((v - fy + 0.02) / 0.015) ** 2)
    fuzz = blur(rng.standard_normal(u.shape).astype(np.float32), 1.2)
    tex = weave(view, 0.005, 0.05, rng) * (1 + 0.08 * fuzz / (fuzz.std() + 1e-6))
    rgb = alb * (shade * tex)[..., None]
    fr_col = (rgb8(*SCARF[colour][0]) * 0.9)[None, None]
    fr_rgb = fr_col * (0.55 + 0.45 * fringe_core)[..., None] * tex[..., None]
    alpha = np.clip(np.maximum(body, fringe), 0, 1)
    out = fr_rgb * fringe[..., None]
    out = out * (1 - body[..., None]) + rgb * body[..., None]
    if rod:  # hung over a wooden dowel on the paper: the rod, and the cloth wrapping over it
        rm = view.poly([(-0.42, -0.025), (0.42, -0.025), (0.42, 0.025), (-0.42, 0.025)])
        rm = np.clip(rm * (1 - body) + rm * body * (np.abs(u) > hw + 0.002), 0, 1)
        cyl = np.clip(v / 0.025, -1, 1)
        wood = rgb8(150, 104, 62)[None, None] * (0.45 + 0.6 * np.sqrt(np.clip(1 - cyl * cyl, 0, 1)) * (1 - 0.4 * cyl))[..., None]
        wood = wood * (1 + 0.06 * np.sin(u * 180 + 3 * np.sin(u * 23)))[..., None]
        wrap = np.exp(-((v - 0.0) / 0.02) ** 2) * body
        out = out * (1 + 0.15 * wrap)[..., None]
        out = out * alpha[..., None] * (1 - rm[..., None]) + wood * rm[..., None]
        alpha = np.clip(alpha + rm, 0, 1)
    out = out / np.maximum(alpha, 1e-4)[..., None] * (alpha > 0)[..., None]
    if rod:
        return Layer(alpha, out.astype(np.float32), drop_shadow(view, alpha, 0.03, 0.035, 0.03, 0.3))
    return Layer(alpha, out.astype(np.float32), drop_shadow(view, alpha, 0.006, 0.01, 0.008, 0.38))


def draw_greycard(view: View, rng=None) -> Layer:
    """An 18 % reflectance grey card (0.18 linear, flat) standing on the floor; 1.0 tall, 0.8 wide."""
    card = view.poly([(-0.4, 0.0), (0.4, 0.0), (0.4, 1.0), (-0.4, 1.0)], soft=0.6)
    u, v = view.grid()
    rgb = np.full(u.shape + (3,), 0.18, np.float32) * (1.0 - 0.03 * v - 0.01 * u)[..., None]
    return Layer(card, rgb, contact_shadow(view, 0.02, 1.0, 0.42, 0.025, 0.6))


# ---------------------------------------------------------------- scenes

def backdrop(w, h, tone, kind="sweep", horizon=0.58):
    """Seamless paper in linear light: a darker wall curving into a brighter floor, key light from the left."""
    y = (np.arange(h, dtype=np.float32)[:, None] + 0.5) / h
    x = (np.arange(w, dtype=np.float32)[None, :] + 0.5) / w * 2 - 1
    if kind == "sweep":
        t = smoothstep(horizon - 0.25, horizon + 0.15, y)
        wall = 0.70 + 0.12 * y / horizon
        floor = 0.94 + 0.06 * np.clip((y - horizon) / (1 - horizon), 0, 1)
        v = wall * (1 - t) + floor * t
    else:  # looking straight down at the floor paper
        v = 0.88 + 0.10 * y
    v = v * (1 - 0.05 * x)
    return (tone * v).astype(np.float32)


def scene_layout(shot: Shot, w, h):
    """The view and the drawing for one shot: (backdrop kind, tone, drawer(view, rng) -> Layer, View)."""
    a, vname, col = shot.article, shot.view, shot.colour
    m = min(w, h)
    if a == "A1023":
        tone = 0.66  # light grey paper so a white shirt still separates
        if vname == "greycard":
            return "sweep", 0.85, draw_greycard, View(w, h, 0.55 * h, (w * 0.5, h * 0.80), (0, 1.0), angle=-1.5)
        if vname == "front":
            # portrait frames: the sleeves set the scale, not the height
            return "sweep", tone, lambda vw, r: draw_shirt(vw, col, r), View(w, h, 0.6 * min(h, 0.9 * w), (w * 0.5, h * 0.47), (0, 0.63))
        if vname == "flat":
            return "floor", tone, lambda vw, r: draw_shirt(vw, col, r, flat=True), View(w, h, 0.68 * h, (w * 0.5, h * 0.5), (0, 0.63), angle=-7)
        if vname == "collar":
            return "sweep", tone, lambda vw, r: draw_shirt(vw, col, r), View(w, h, 2.6 * h, (w * 0.5, h * 0.42), (0, 0.14), angle=3)
        if vname == "cuff":
            return "sweep", tone, lambda vw, r: draw_shirt(vw, col, r), View(w, h, 2.4 * h, (w * 0.45, h * 0.45), (-0.50, 0.87), angle=-4)
    if a == "B2045":
        tone = 0.86
        if vname == "front":
            return "sweep", tone, lambda vw, r: draw_mug(vw, col, r, 0.2, 1.0), View(w, h, 0.52 * h, (w * 0.5, h * 0.22), (0, 0.0))
        if vname == "side":
            return "sweep", tone, lambda vw, r: draw_mug(vw, col, r, 0.18, -1.0, 0.8), View(w, h, 0.5 * h, (w * 0.47, h * 0.25), (0, 0.0))
        if vname == "top":
            return "sweep", tone, lambda vw, r: draw_mug(vw, col, r, 0.5, 1.0, 0.9), View(w, h, 0.45 * h, (w * 0.5, h * 0.28), (0, 0.0))
        if vname == "rim":
            return "sweep", tone, lambda vw, r: draw_mug(vw, col, r, 0.24, 1.0), View(w, h, 1.9 * h, (w * 0.5, h * 0.35), (-0.1, 0.12), angle=0)
        if vname == "handle":
            return "sweep", tone, lambda vw, r: draw_mug(vw, col, r, 0.2, 1.0), View(w, h, 1.5 * h, (w * 0.45, h * 0.5), (0.45, 0.46))
    if a == "C3301":
        tone = 0.86
        if vname == "front":
            return "sweep", tone, lambda vw, r: draw_bag(vw, col, r, printed=(col == "米白")), View(w, h, 0.48 * h, (w * 0.5, h * 0.46), (0, 0.3))
        if vname == "turned":
            return "sweep", tone, lambda vw, r: draw_bag(vw, col, r), View(w, h, 0.45 * h, (w * 0.5, h * 0.47), (0, 0.3), angle=-3, sx=0.82)
        if vname == "strap":
            return "sweep", tone, lambda vw, r: draw_bag(vw, col, r), View(w, h, 2.3 * h, (w * 0.5, h * 0.5), (-0.24, 0.03), angle=2)
        if vname == "canvas":
            return "sweep", tone, lambda vw, r: draw_bag(vw, col, r), View(w, h, 4.0 * h, (w * 0.5, h * 0.5), (0.3, 0.9))
        if vname == "print":
            return "sweep", tone, lambda vw, r: draw_bag(vw, col, r), View(w, h, 1.9 * h, (w * 0.5, h * 0.5), (0, 0.6))
    if a == "D4410":
        tone = 0.88
        if vname == "flat":
            return "floor", tone, lambda vw, r: draw_scarf(vw, col, r), View(w, h, 0.6 * m, (w * 0.5, h * 0.5), (0, 0.9), angle=62)
        if vname == "folded":
            return "floor", tone, lambda vw, r: draw_scarf(vw, col, r, length=0.5, width=0.6, folds_at=(0.17, 0.34), fringe_ends=(1,)), View(w, h, 1.05 * m, (w * 0.5, h * 0.47), (0, 0.29), angle=-6)
        if vname == "hanging":
            return "sweep", tone, lambda vw, r: draw_scarf(vw, col, r, length=1.0, width=0.42, fringe_ends=(1,), rod=True), View(w, h, 0.72 * h, (w * 0.5, h * 0.08), (0, 0.0))
        if vname == "fringe":
            return "floor", tone, lambda vw, r: draw_scarf(vw, col, r), View(w, h, 3.2 * h, (w * 0.5, h * 0.45), (0, 1.8), angle=-12)
        if vname == "weave":
            return "floor", tone, lambda vw, r: draw_scarf(vw, col, r), View(w, h, 6.0 * h, (w * 0.5, h * 0.5), (0.02, 0.9), angle=8)
    raise ValueError(f"no layout for {shot.article}/{shot.view}")


def shot_seed(shot: Shot) -> int:
    return SEED ^ zlib.crc32(shot.path.encode("utf-8"))


def render(shot: Shot) -> np.ndarray:
    """The upright photo as uint8 sRGB (HxWx3), or HxWx4 with alpha for a cut-out."""
    w, h = shot.size
    rng = np.random.default_rng(shot_seed(shot))
    kind, tone, drawer, view = scene_layout(shot, w, h)
    layer = drawer(view, rng)
    if shot.cutout:
        rgb = linear_to_srgb(np.clip(layer.rgb, 0, 1))
        a = layer.alpha[..., None]
        return np.round(np.concatenate([rgb, a], -1) * 255).astype(np.uint8)
    bg = backdrop(w, h, tone, kind)
    bg = bg * (1 - np.clip(layer.shadow, 0, 0.9))
    img = bg[..., None] * (1 - layer.alpha[..., None]) + layer.rgb * layer.alpha[..., None]
    img = img * CASTS[shot.cast][None, None, :]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r2 = ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5
    img *= (1 - 0.2 * r2)[..., None]  # lens vignetting
    srgb = linear_to_srgb(img) * 255.0
    # sensor noise: luminance grain plus a little chroma, stronger in the shadows
    lum_noise = rng.standard_normal((h, w)).astype(np.float32)
    chroma = blur(rng.standard_normal((h, w)).astype(np.float32), 1.0)
    amp = 1.1 + 1.2 * (1 - srgb.mean(-1) / 255.0)
    srgb += (amp * lum_noise)[..., None] + (0.6 * chroma)[..., None] * np.array([1, -0.5, 0.8], np.float32)
    return np.clip(np.round(srgb), 0, 255).astype(np.uint8)


# EXIF orientation -> the transpose that makes stored pixels upright (what ImageOps.exif_transpose does)
_TO_UPRIGHT = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_270, 8: Image.Transpose.ROTATE_90}
_TO_STORED = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def encode(shot: Shot, pixels: np.ndarray) -> bytes:
    """The file bytes for a shot: JPEG q85 with EXIF (and ICC), or a PNG cut-out."""
    buf = io.BytesIO()
    if shot.cutout:
        Image.fromarray(pixels, "RGBA").save(buf, "PNG", optimize=True)
        return buf.getvalue()
    if shot.adobe_rgb:
        pixels = srgb_to_adobe_rgb(pixels)
    img = Image.fromarray(pixels, "RGB")
    if shot.orientation in _TO_STORED:
        img = img.transpose(_TO_STORED[shot.orientation])
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS 90D"  # Model
    exif[0x0131] = "imgpipe samples"  # Software
    if shot.orientation != 1:
        exif[0x0112] = shot.orientation
    if shot.taken:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = shot.taken  # DateTimeOriginal
        sub[0x9004] = shot.taken  # DateTimeDigitized
    kw = {"quality": 85, "exif": exif.tobytes(), "optimize": True}
    if shot.adobe_rgb:
        kw["icc_profile"] = adobe_rgb_icc()
    img.save(buf, "JPEG", **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- the sheet

def sheet_bytes() -> bytes:
    """products.xlsx with the Chinese headers; dates are real Excel date cells. Byte-stable."""
    import openpyxl
    from openpyxl.styles import Alignment, Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "商品"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for p in PRODUCTS:
        ws.append([p[hd] for hd in HEADERS])
    widths = {"A": 9, "B": 12, "C": 6, "D": 6, "E": 44, "F": 16, "G": 6, "H": 10, "L": 36, "M": 34, "N": 12, "O": 8}
    for col, wd in widths.items():
        ws.column_dimensions[col].width = wd
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row[13].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    fixed = dt.datetime(*FIXED_TIME)
    wb.properties.creator = "imgpipe samples"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps zip entries and docProps with the current time: pin both
    out = io.BytesIO()
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    return out.getvalue()


# ---------------------------------------------------------------- main

def _write(path: Path, data: bytes) -> None:
    """Temporary file in the same folder, then replace: a half-written sample never appears."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def shot_bytes(shot: Shot) -> bytes:
    """The finished file for one shot (render + encode); depends on nothing but the shot."""
    return encode(shot, render(shot))


def build(out_dir: Path, shots: list[Shot] | None = None, sheet: bool = True, jobs: int = 1) -> list[Path]:
    """Write the sheet and the photos under out_dir; returns the paths written.

    jobs > 1 renders in worker processes; every shot has its own seed, so the bytes
    are the same whatever the number of jobs or the order they finish in.
    """
    out_dir = Path(out_dir)
    shots = SHOTS if shots is None else shots
    written = []
    if sheet:
        _write(out_dir / "products.xlsx", sheet_bytes())
        written.append(out_dir / "products.xlsx")
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            results = pool.map(shot_bytes, shots)
            for shot, data in zip(shots, results):
                _write(out_dir / shot.path, data)
                written.append(out_dir / shot.path)
    else:
        for shot in shots:
            _write(out_dir / shot.path, shot_bytes(shot))
            written.append(out_dir / shot.path)
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    paths = build(out, jobs=min(4, os.cpu_count() or 1))
    total = sum(p.stat().st_size for p in paths)
    for p in paths:
        print(f"{p.stat().st_size / 1024:8.0f} KB  {p.relative_to(out)}")
    print(f"{total / 1e6:.2f} MB in {len(paths)} files -> {out}")
    if total > SIZE_BUDGET:
        print(f"over the {SIZE_BUDGET / 1e6:.0f} MB budget", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
