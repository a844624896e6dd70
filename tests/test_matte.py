"""The matte without its foreground estimate: the analysis needs only the outline."""

from __future__ import annotations

import numpy as np
import pytest

import studio_set
from imgpipe import cutout, framing, matting, proxies


pytestmark = pytest.mark.real_cutout  # what these tests check is the cut-out itself


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
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


def _literal_alpha(image: np.ndarray, trimap: np.ndarray, eps: float = matting.EPSILON) -> np.ndarray:
    """Levin et al.'s closed form written out window by window on a dense matrix (small images only)."""
    h, w = trimap.shape
    lap = np.zeros((h * w, h * w))
    for y in range(1, h - 1):
        for x in range(1, w - 1):
            idx = [(y + dy) * w + (x + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
            colours = image.reshape(-1, 3)[idx]
            mu = colours.mean(axis=0)
            inv = np.linalg.inv(np.cov(colours.T, bias=True) + eps / 9 * np.eye(3))
            for a, i in enumerate(idx):
                for b, j in enumerate(idx):
                    lap[i, j] += (a == b) - (1 + (colours[a] - mu) @ inv @ (colours[b] - mu)) / 9
    known = (trimap == 0) | (trimap == 1)
    u = ~known.ravel()
    alpha = trimap.astype(float).ravel().copy()
    alpha[u] = np.linalg.solve(lap[np.ix_(u, u)], -lap[np.ix_(u, ~u)] @ alpha[~u])
    return alpha.reshape(h, w)


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
@pytest.mark.parametrize("crop", [False, True])
def test_closed_form_alpha_is_the_papers_solution(crop):
    """The windowed sparse build solves the same system as the formula written out literally."""
    case = next(c for c in studio_set.CASES if c.name == "mug-blue")
    photo, true_alpha = studio_set.render(case)
    proxy = proxies.make_proxy(photo).astype(np.float64) / 255.0
    mask = framing._proxy((true_alpha >= 0.5).astype(np.uint8) * 255, max(proxy.shape[:2]))[0] >= 128
    ys, xs = np.nonzero(mask ^ cutout.cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool))
    y, x = ys[len(ys) // 2], xs[len(xs) // 2]  # a 24x24 patch on the mug's outline
    if crop:  # the patch at the image's edge: windows stop at the border
        y, x = 12, x
    sl = (slice(max(0, y - 12), max(0, y - 12) + 24), slice(x - 12, x + 12))
    image, m = proxy[sl], mask[sl]
    fg = cutout.cv2.erode(m.astype(np.uint8), cutout._disk(2)).astype(bool)
    bg = ~cutout.cv2.dilate(m.astype(np.uint8), cutout._disk(2)).astype(bool)
    trimap = np.where(fg, 1.0, np.where(bg, 0.0, 0.5))
    if crop:
        trimap[:3] = 0.5  # unknowns on the border row
    assert (trimap == 0.5).sum() > 40
    expected = np.clip(_literal_alpha(image, trimap), 0, 1)
    assert np.abs(matting.closed_form_alpha(image, trimap) - expected).max() < 1e-4


@pytest.mark.slow
def test_closed_form_alpha_recovers_a_rendered_edge():
    """On a studio render with a known alpha, the band's alpha is closer to the truth than the hard mask."""
    case = next(c for c in studio_set.CASES if c.name == "shirt-navy")
    photo, true_alpha = studio_set.render(case)
    image = photo.astype(np.float64) / 255.0
    mask = true_alpha >= 0.5
    fg = cutout.cv2.erode(mask.astype(np.uint8), cutout._disk(2)).astype(bool)
    bg = ~cutout.cv2.dilate(mask.astype(np.uint8), cutout._disk(2)).astype(bool)
    trimap = np.where(fg, 1.0, np.where(bg, 0.0, 0.5))
    band = trimap == 0.5
    alpha = matting.closed_form_alpha(image, trimap)
    matted, hard = np.abs(alpha - true_alpha)[band].mean(), np.abs(mask - true_alpha)[band].mean()
    assert matted < 0.85 * hard, (matted, hard)  # 0.051 against 0.065 when written
    assert np.array_equal(alpha[~band], trimap[~band])


def test_foreground_colours_take_the_backdrop_out_of_the_edge():
    """A red product over a pale backdrop: mixed edge pixels get back the product's red."""
    h, w = 120, 160
    yy, xx = np.mgrid[0:h, 0:w]
    alpha = np.clip((60 - np.hypot(yy - 60, xx - 80)) / 4 + 0.5, 0, 1)  # a disc with a 4-px soft edge
    product, backdrop = np.array([0.75, 0.1, 0.1]), np.array([0.9, 0.9, 0.85])
    image = alpha[..., None] * product + (1 - alpha[..., None]) * backdrop
    edge = (alpha > 0.1) & (alpha < 0.9)
    estimate = matting.foreground_colours(image, alpha)
    assert np.abs(image[edge] - product).mean() > 0.25  # the mixed pixels, before
    assert np.abs(estimate[edge] - product).mean() < 0.03
