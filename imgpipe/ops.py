"""Small pure resizing operations shared by the image stages (uint8 HxWx3 in, out)."""

from __future__ import annotations

from functools import reduce

import cv2
import numpy as np


def channel_max(px: np.ndarray) -> np.ndarray:
    """Each pixel's largest channel: `px.max(axis=-1)` for (..., C) pixels, the same values.

    Through np.maximum over the channels: numpy's reduction along a 3-long last
    axis costs 7x (float32) to 25x (uint8) as much on a 1500 x 1000 image.
    """
    return reduce(np.maximum, (px[..., i] for i in range(1, px.shape[-1])), px[..., 0])


def channel_min(px: np.ndarray) -> np.ndarray:
    """Each pixel's smallest channel: `px.min(axis=-1)`, as fast as channel_max."""
    return reduce(np.minimum, (px[..., i] for i in range(1, px.shape[-1])), px[..., 0])


def channel_norm(px: np.ndarray) -> np.ndarray:
    """Each pixel's Euclidean length over its channels (a Lab difference's: ΔE 1976):
    `np.linalg.norm(px, axis=-1)`, the same values (summed in the same order) at a third of the CPU."""
    return np.sqrt(reduce(np.add, (px[..., i] * px[..., i] for i in range(1, px.shape[-1])), px[..., 0] * px[..., 0]))


def shrink_to_long_side(img: np.ndarray, long_side: int) -> np.ndarray:
    """`img` with its longer side at most `long_side` pixels (area-averaged); never enlarged."""
    h, w = img.shape[:2]
    if max(h, w) <= long_side:
        return img
    f = long_side / max(h, w)
    return cv2.resize(img, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)


def resize_to_width(img: np.ndarray, width: int, upscale: bool = False) -> np.ndarray:
    """`img` scaled to `width` pixels, aspect kept; smaller images stay as they are unless `upscale`."""
    h, w = img.shape[:2]
    if w == width or (w < width and not upscale):
        return img
    height = max(1, round(h * width / w))
    interp = cv2.INTER_AREA if width < w else cv2.INTER_CUBIC
    return cv2.resize(img, (width, height), interpolation=interp)


def centre_crop(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """The largest centred part of `img` with the aspect `width`:`height` (a view, no copy)."""
    h, w = img.shape[:2]
    cw, ch = (w, round(w * height / width)) if w * height <= h * width else (round(h * width / height), h)
    y, x = (h - ch) // 2, (w - cw) // 2
    return img[y:y + ch, x:x + cw]

