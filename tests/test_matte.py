"""The matte without its foreground estimate: the analysis needs only the outline."""

from __future__ import annotations

import numpy as np
import pytest

import studio_set
from imgpipe import cutout, framing, proxies

pytest.importorskip("pymatting")


def test_the_outline_alone_has_the_same_alpha_and_the_photos_own_colours():
    case = next(c for c in studio_set.CASES if c.name == "mug-red")
    photo, _ = studio_set.render(case)
    proxy = proxies.make_proxy(photo)
    mask = cutout.cut_out(proxy, proxy_px=max(proxy.shape[:2])).alpha >= 0.5
    alpha, colours = cutout.matte(proxy, mask)
    outline, own = cutout.matte(proxy, mask, decontaminate=False)
    assert np.array_equal(alpha, outline)
    edge = (alpha > 0.01) & (alpha < 0.99)
    assert edge.sum() > 100
    assert np.array_equal(own, proxy.astype(np.float32) / 255.0)
    assert not np.allclose(colours[edge], own[edge], atol=1 / 255)  # what the estimate changes: the edge


def test_the_analysis_outline_is_the_cut_outs():
    case = next(c for c in studio_set.CASES if c.name == "mug-white-on-white")
    photo, _ = studio_set.render(case)
    proxy = proxies.make_proxy(photo)
    assert framing.find_product_box(proxy).confident
    full = cutout.cut_out(proxy, proxy_px=max(proxy.shape[:2]))
    outline = cutout.cut_out(proxy, proxy_px=max(proxy.shape[:2]), decontaminate=False)
    assert full.good == outline.good and np.array_equal(full.alpha, outline.alpha)
    assert not np.array_equal(full.foreground, outline.foreground)  # the matted path, not the flat one


@pytest.mark.parametrize("crop", [False, True])
def test_the_strip_built_laplacian_gives_the_librarys_alpha_exactly(crop):
    from pymatting import estimate_alpha_cf

    case = next(c for c in studio_set.CASES if c.name == "mug-blue")
    photo, true_alpha = studio_set.render(case)
    proxy = proxies.make_proxy(photo).astype(np.float64) / 255.0
    mask = framing._proxy((true_alpha >= 0.5).astype(np.uint8) * 255, max(proxy.shape[:2]))[0] >= 128
    fg = cutout.cv2.erode(mask.astype(np.uint8), cutout._disk(3)).astype(bool)
    bg = ~cutout.cv2.dilate(mask.astype(np.uint8), cutout._disk(3)).astype(bool)
    trimap = np.where(fg, 1.0, np.where(bg, 0.0, 0.5))
    if crop:  # the product cut by the image's edges: the unknown band reaches the border
        ys, xs = np.nonzero(mask)
        cy, cx = (ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2
        proxy, trimap = proxy[cy:, :cx], trimap[cy:, :cx]
    assert (trimap == 0.5).sum() > 500 and trimap.shape[0] > 2 * cutout.MATTE_STRIP_ROWS
    assert np.array_equal(cutout._alpha_cf(proxy, trimap), estimate_alpha_cf(proxy, trimap))
