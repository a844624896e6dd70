"""A rendered ColorChecker Classic for tests (generated data, no files)."""

from __future__ import annotations

import numpy as np

from imgpipe.colour import CHART_REFERENCE_LINEAR, linear_to_srgb


def render_colorchecker(
    light=(1.0, 1.0, 1.0),
    *,
    patch_px: int = 40,
    camera_matrix=None,
    exposure: float = 1.0,
    reflectance=None,
) -> np.ndarray:
    """A ColorChecker Classic as a camera would see it: uint8 sRGB image.

    light: linear RGB of the light (a diagonal cast). camera_matrix: optional
    3x3 crosstalk applied before the cast (rows summing to 1 keep greys grey),
    standing in for a camera whose colours differ from sRGB. Patches are
    `patch_px` wide with a 20 % black gap, on a dark frame. reflectance:
    (24, 3) linear patch colours instead of the reference (a chart that is
    not a ColorChecker Classic, a faded print). For tests, demos and the
    benchmark.
    """
    gap = max(2, round(patch_px * 0.2))
    pitch = patch_px + gap
    border = pitch // 2
    H = 4 * pitch - gap + 2 * border
    W = 6 * pitch - gap + 2 * border
    refl = np.array(CHART_REFERENCE_LINEAR if reflectance is None else reflectance, dtype=np.float64)
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
