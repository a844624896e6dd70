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
