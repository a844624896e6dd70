"""Finding the product and framing it: known product boxes on synthetic studio shots."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from imgpipe.cutout import white_background
from imgpipe.framing import (
    ProductBox,
    backdrop_score,
    find_product_box,
    frame_scale,
    frame_square,
    framed_box,
)

RED = (180, 40, 50)


def studio(w=1600, h=1200, box=(500, 300, 1100, 900), backdrop=(245, 245, 243), product=RED,
           shadow=True, noise=2.0, seed=0):
    """A product (flat colour, with a light label inside) on a sweep with a gradient,
    a soft contact shadow and sensor noise. box is x0, y0, x1, y1 (x1/y1 exclusive)."""
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.float32)
    img[:] = backdrop
    img *= (1 - 0.03 * np.linspace(0, 1, h))[:, None, None]
    x0, y0, x1, y1 = box
    if shadow:
        sh = np.zeros((h, w), np.float32)
        cv2.ellipse(sh, ((x0 + x1) // 2 + 40, y1 + 10), ((x1 - x0) // 2 + 30, 40), 0, 0, 360, 1, -1)
        sh = cv2.GaussianBlur(sh, (0, 0), 25)
        img *= (1 - 0.22 * sh)[..., None]
    img[y0:y1, x0:x1] = product
    img[y0 + (y1 - y0) // 3:y0 + (y1 - y0) // 2, x0 + (x1 - x0) // 4:x1 - (x1 - x0) // 4] = (250, 250, 250)
    img += rng.normal(0, noise, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def red_bbox(img):
    """Box (x0, y0, x1, y1) of the product's red pixels."""
    r, g, b = (img[..., i].astype(int) for i in range(3))
    mask = (r > 120) & (g < 110) & (b < 110)
    ys, xs = np.nonzero(mask)
    return xs.min(), ys.min(), xs.max() + 1, ys.max() + 1


@pytest.mark.parametrize("box", [(500, 300, 1100, 900), (100, 150, 500, 1050), (900, 700, 1500, 1000)])
def test_find_product_box_matches_the_product_and_ignores_the_shadow(box):
    img = studio(box=box)
    found = find_product_box(img)
    assert found.confident
    for got, want in zip(found.as_tuple(), box):
        assert abs(got - want) <= 8, (found, box)  # the shadow below is 40+ px tall: not included
    assert all(abs(c - e) <= 8 for c, e in zip(found.backdrop_rgb, (240, 240, 238)))


@pytest.mark.parametrize("box", [(500, 300, 1100, 900), (100, 150, 500, 1050), (900, 700, 1500, 1000)])
def test_frame_square_reaches_target_fill_and_centre(box):
    img = studio(box=box)
    found = find_product_box(img)
    size, fill = 800, 0.8
    out = frame_square(img, found, size, fill)
    assert out.shape == (size, size, 3) and out.dtype == np.uint8
    x0, y0, x1, y1 = red_bbox(out)
    longer = max(x1 - x0, y1 - y0)
    assert abs(longer / size - fill) <= 0.02
    assert abs((x0 + x1) / 2 - size / 2) <= 0.02 * size
    assert abs((y0 + y1) / 2 - size / 2) <= 0.02 * size
    # framed_box says where the product went (used as the JD watermark keep-out)
    fx0, fy0, fx1, fy1 = framed_box(img.shape, found, size, fill)
    assert fx0 <= x0 + 1 and fy0 <= y0 + 1 and fx1 >= x1 - 1 and fy1 >= y1 - 1


def test_shared_scale_keeps_relative_sizes_and_never_crops():
    small = studio(box=(600, 400, 900, 700))     # 300 px product
    large = studio(box=(300, 100, 1200, 1000))   # 900 px product
    boxes = [find_product_box(small), find_product_box(large)]
    scale = min(frame_scale(b, 800, 0.8) for b in boxes)
    a = frame_square(small, boxes[0], 800, 0.8, scale=scale)
    b = frame_square(large, boxes[1], 800, 0.8, scale=scale)
    wa = red_bbox(a)[2] - red_bbox(a)[0]
    wb = red_bbox(b)[2] - red_bbox(b)[0]
    assert abs(wb / wa - 3.0) < 0.1
    assert abs(wb / 800 - 0.8) <= 0.02
    # a shared scale too large for a product is reduced rather than cropping it
    c = frame_square(large, boxes[1], 800, 0.8, scale=scale * 3)
    x0, y0, x1, y1 = red_bbox(c)
    assert x0 >= 0 and y0 >= 0 and x1 <= 800 and y1 <= 800
    assert max(x1 - x0, y1 - y0) >= 0.97 * 800


def test_product_at_the_photo_edge_is_padded_not_cropped():
    img = studio(w=1200, h=900, box=(0, 200, 500, 700), shadow=False)
    found = find_product_box(img)
    assert found.x0 == 0
    out = frame_square(img, found, 600, 0.8)
    x0, y0, x1, y1 = red_bbox(out)
    assert abs((x1 - x0) - 480) <= 10 and abs((x0 + x1) / 2 - 300) <= 12
    # left of the product: padding in the backdrop colour, not black
    assert out[300, 10].min() > 200


def test_busy_scene_is_framed_whole_and_flagged():
    rng = np.random.default_rng(1)
    busy = cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (800, 600), interpolation=cv2.INTER_NEAREST)
    found = find_product_box(busy)
    assert not found.confident
    assert found.as_tuple() == (0, 0, 800, 600)
    out = frame_square(busy, found, 500, 0.9)
    assert out.shape == (500, 500, 3)


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
@pytest.mark.real_cutout
@pytest.mark.parametrize("backdrop", [(245, 245, 243), (205, 208, 212)])
def test_white_background_has_a_pure_white_border_and_keeps_the_product(backdrop):
    img = studio(backdrop=backdrop)
    found = find_product_box(img)
    out = white_background(img, found, 800, 0.8)
    ring = np.concatenate([out[:40].reshape(-1, 3), out[-40:].reshape(-1, 3),
                           out[:, :40].reshape(-1, 3), out[:, -40:].reshape(-1, 3)])
    assert (ring == 255).all()
    # everything outside the product box is white, shadow included
    x0, y0, x1, y1 = framed_box(img.shape, found, 800, 0.8)
    outside = np.ones(out.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert (out[outside] == 255).all()
    # the product keeps its colour, including its own light label
    body = out[600, 400].astype(int)   # below the label, away from edges
    assert abs(body - np.array(RED)).max() < 12
    label = out[340, 400].astype(int)  # the product's own light label is not whitened away
    assert label.min() >= 235 and (out[300:390, 260:540] < 255).mean() > 0.3
    bx0, by0, bx1, by1 = red_bbox(out)
    assert abs(max(bx1 - bx0, by1 - by0) / 800 - 0.8) <= 0.02


def test_backdrop_score_prefers_clean_white():
    white = studio(backdrop=(250, 250, 250))
    grey = studio(backdrop=(170, 170, 170))
    beige = studio(backdrop=(240, 230, 212))  # warm paper, slightly off-white
    rng = np.random.default_rng(2)
    busy = cv2.resize(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8), (800, 600), interpolation=cv2.INTER_NEAREST)
    scores = [backdrop_score(x) for x in (white, grey, beige, busy)]
    assert scores[0] > 0.8
    assert scores[0] > scores[2] > scores[3]
    assert scores[0] > scores[1]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_product_box_dataclass_helpers():
    box = ProductBox(10, 20, 110, 70, (255, 255, 255), True)
    assert (box.width, box.height, box.centre) == (100, 50, (60.0, 45.0))
    assert frame_scale(box, 800, 0.8) == pytest.approx(6.4)


def test_a_frame_reaching_past_the_photo_carries_its_edge_without_streaks():
    from imgpipe.render import _carry_edges

    rng = np.random.default_rng(3)
    img = np.clip(200 + rng.normal(0, 6, (300, 400, 3)), 0, 255).astype(np.uint8)
    out = _carry_edges(img, (120, 0, 50, 50))
    assert out.shape == (420, 500, 3)
    assert np.array_equal(out[120:, 50:450], img)  # the photo itself is untouched
    pad = out[:120, 50:450].astype(float)
    streaks = np.abs(np.diff(pad, axis=1)).mean()
    replicated = np.abs(np.diff(np.repeat(img[:1].astype(float), 120, axis=0), axis=1)).mean()
    assert streaks < 0.5 < 5 < replicated  # plain replication carries the edge row's noise out as stripes
    assert abs(pad.mean() - img[:8].mean()) < 1.5  # and keeps the edge's level


def test_a_far_pad_settles_to_one_colour_not_the_edges_bands():
    """A cloth backdrop's folds make bands along the photo's edge (a real bag photo: ±25 levels); carried
    200 px out they read as stripes. Next to the photo the pad continues its edge, farther out it is
    that side's mean colour."""
    from imgpipe.render import PAD_SETTLE, _carry_edges

    h, w = 800, 600
    bands = 200 + 25 * np.sin(np.arange(h) / 30.0)               # folds: bright and dark bands down the edge
    img = np.repeat(bands[:, None, None], w * 3, axis=1).reshape(h, w, 3).astype(np.uint8)
    out = _carry_edges(img, (0, 0, 200, 0)).astype(float)
    settle = int(PAD_SETTLE * h)                                  # 64 px
    assert np.array_equal(out[:, 200:], img)
    next_to = out[:, 199, 0]
    assert np.abs(next_to - img[:, 0, 0]).max() < 6               # continues the edge (smoothed along it)
    far = out[:, :200 - settle, 0]
    assert far.std(axis=0).max() < 0.6                            # no bands out there
    assert abs(far.mean() - img[:, :8].mean()) < 1.0              # the side's mean colour
    profile = out[400, :200, 0]                                   # across the pad: no step anywhere
    assert np.abs(np.diff(profile)).max() < 2


def test_the_backdrop_fit_shortcuts_match_the_full_computations():
    """_backdrop's least squares (normal equations) and its border-only gradient give what lstsq and
    the whole image's gradient give, on a real sample photo's proxy."""
    from pathlib import Path

    from imgpipe import framing
    from imgpipe.imageio import load_photo

    photo = load_photo(Path(__file__).resolve().parents[1] / "samples" / "inbox" / "D4410" / "流苏细节.jpg").rgb
    proxy, _ = framing._proxy(photo)
    lab = framing._lab(proxy)
    border = framing._border_mask(*proxy.shape[:2])
    ys, xs = np.nonzero(border)
    A = framing._design(*proxy.shape[:2], ys.astype(np.float32), xs.astype(np.float32))
    expected, *_ = np.linalg.lstsq(A, lab[border], rcond=None)
    assert np.allclose(framing._least_squares(A, lab[border]), expected, atol=1e-4)
    whole = framing._gradient(lab[..., 0])[border]
    assert np.allclose(framing._border_gradient(lab[..., 0], border), whole, atol=1e-4)
    assert whole.max() > 1  # a close-up: its border strips hold edges


def _plain_distance(lab, ref_lab):
    """framing._distance as first written: the whole HxWx3 difference and a weight array."""
    from imgpipe.framing import LIGHTNESS_WEIGHT

    diff = lab - ref_lab
    dl = diff[..., 0] * np.where(diff[..., 0] < 0, LIGHTNESS_WEIGHT, 1.0).astype(np.float32)
    return np.sqrt(dl ** 2 + diff[..., 1] ** 2 + diff[..., 2] ** 2)


def _plain_backdrop(img_u8, lab):
    """framing._backdrop as first written: boolean gathers, np.median, an HxWx3 broadcast surface."""
    from imgpipe import framing

    h, w = img_u8.shape[:2]
    border = framing._border_mask(h, w)
    rgb = np.median(img_u8[border], axis=0)
    ref = framing._lab(rgb.reshape(1, 1, 3).astype(np.uint8))[0, 0]
    border_lab = lab[border]
    close = _plain_distance(border_lab, ref) < 2 * framing.MIN_THRESHOLD
    ys, xs = np.nonzero(border)
    inl = close if close.sum() >= 12 else np.ones_like(close)
    A = framing._design(h, w, ys[inl].astype(np.float32), xs[inl].astype(np.float32))
    coef = framing._least_squares(A, border_lab[inl])
    res = _plain_distance(border_lab[inl], (A @ coef).astype(np.float32))
    good = res <= max(2.5 * float(np.median(res)), 1.0)
    if good.sum() >= 12:
        coef = framing._least_squares(A[good], border_lab[inl][good])
    coef = coef.astype(np.float32)
    x = (np.arange(w, dtype=np.float32) / max(1, w - 1) * 2 - 1)[None, :, None]
    y = (np.arange(h, dtype=np.float32) / max(1, h - 1) * 2 - 1)[:, None, None]
    surface = (coef[0] + coef[2] * y + coef[5] * y * y) + x * (coef[1] + coef[4] * y) + coef[3] * x * x
    resid = _plain_distance(border_lab[inl], surface[border][inl])
    threshold = max(framing.MIN_THRESHOLD, 2.0 * float(np.percentile(resid, 95)))
    grad = framing._gradient(lab[..., 0])[border]
    edge_threshold = max(4.0, 3.0 * float(np.percentile(grad[inl], 99)))
    return tuple(int(round(v)) for v in rgb), ref, surface, float(close.mean()), threshold, edge_threshold


@pytest.mark.parametrize("size", [(601, 451), (600, 398), (333, 600)])
def test_the_backdrop_fast_paths_give_the_plain_computations_bit_for_bit(size):
    """_backdrop's and _distance's fast paths (per-channel planes, cached border indices, the median
    by counting levels) give exactly the plain formulas' values: boxes must not move by a pixel."""
    from imgpipe import framing

    w, h = size
    img = studio(w=w, h=h, box=(w // 4, h // 5, w * 3 // 4 + 1, h * 4 // 5), product=(90, 140, 200), seed=w)
    lab = framing._lab(img)
    fast = framing._backdrop(img, lab)
    rgb, ref, surface, uniform, threshold, edge_threshold = _plain_backdrop(img, lab)
    assert fast.rgb == rgb and np.array_equal(fast.lab, ref) and np.array_equal(fast.surface, surface)
    assert (fast.uniform, fast.threshold, fast.edge_threshold) == (uniform, threshold, edge_threshold)
    assert np.array_equal(framing._distance(lab, surface), _plain_distance(lab, surface))
    assert np.array_equal(framing._distance(lab, fast.planes), _plain_distance(lab, surface))
    assert np.array_equal(framing._distance(lab, ref), _plain_distance(lab, ref))
    rng = np.random.default_rng(w)
    halves = np.array([[10, 20, 30]] * 4 + [[11, 20, 32]] * 4, np.uint8)  # medians 10.5, 20, 31
    for pixels in (img[framing._border_mask(h, w)], rng.integers(0, 256, (w + 1, 3), np.uint8), halves):
        for n in (len(pixels), len(pixels) - 1):  # an even and an odd count
            assert np.array_equal(framing._median_u8(pixels[:n]), np.median(pixels[:n], axis=0))


def test_a_product_tight_on_a_white_sweep_is_fitted_whole_not_centre_cropped():
    """Real catalogue shots (oper review): a bulb 6 px from the top and bottom of a white 900 x 1024
    photo counts as a close-up (box within 1 % of the edges), and its main/SKU images were centre
    crops that cut off the rim and the pins. On a plain light border the whole photo is fitted and
    padded with the sweep; a true close-up (texture to every edge) still fills the frame."""
    from imgpipe.analyse import is_close_up
    from imgpipe.ops import centre_crop
    from imgpipe.profiles import load_profile
    from imgpipe.render import PhotoWork, shape_frame

    w, h = 900, 1200
    img = studio(w, h, box=(200, 60, 700, 1140), backdrop=(255, 255, 255), shadow=False)
    img[6:60, 330:570] = (30, 160, 60)       # the product's top, 6 px from the edge (a rim)
    for x in (380, 480):
        img[1140:1194, x:x + 40] = (30, 60, 170)  # its bottom (two pins)
    box = find_product_box(img)
    analysis = {"box": [box.x0 / w, box.y0 / h, box.x1 / w, box.y1 / h], "box_confident": box.confident,
                "backdrop_rgb": list(box.backdrop_rgb), "backdrop": backdrop_score(img)}
    assert is_close_up(analysis)
    spec = load_profile("tmall").roles["main"]
    out, placed = shape_frame(PhotoWork(img, analysis), {}, spec)
    assert out.shape == (spec.height, spec.width, 3)
    k = spec.height / h
    # framed at the role's fill like a whole-product shot (at 1.0 the real bulb's rim came 8 px from the
    # top): a margin all round. The photo's place is the product's box: JD's mark outside it goes in the pad
    k *= spec.fill
    x0, y0, x1, y1 = placed
    assert abs((y1 - y0) - spec.fill * spec.height) <= 2 and abs(y0 - (spec.height - y1)) <= 1 and y0 >= 70
    assert abs((x1 - x0) - w * k) <= 2 and abs(x0 - (spec.width - x1)) <= 1
    top = (out[..., 1] > 130) & (out[..., 0] < 80) & (out[..., 2] < 100)
    bottom = (out[..., 2] > 140) & (out[..., 0] < 80) & (out[..., 1] < 100)
    assert top.sum() > 0.8 * 240 * 54 * k * k and bottom.sum() > 0.8 * 80 * 54 * k * k  # both ends whole
    assert np.abs(out[:, :60].astype(int) - 250).max() <= 6   # the padding is the sweep's colour

    texture = np.random.default_rng(1).integers(0, 255, (h, w, 3), dtype=np.uint8)
    fabric = {"box": [0, 0, 1, 1], "box_confident": False, "backdrop_rgb": [128, 128, 128],
              "backdrop": backdrop_score(texture)}
    out, placed = shape_frame(PhotoWork(texture, fabric), {}, spec)
    assert placed is None  # all product: no "outside" for a mark
    want = cv2.resize(centre_crop(texture, spec.width, spec.height), (spec.width, spec.height),
                      interpolation=cv2.INTER_AREA)
    assert np.array_equal(out, want)
