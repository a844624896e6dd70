"""A product shot whole close to the frame is cut out; a product the frame cuts off stays a close-up.

tests/data/bulb-on-white.jpg is the real bulb of the operations review (L703-01: Amazon Berkeley Objects,
CC BY 4.0, tests/data/SOURCES.md) at half size, and bulb-on-white-isnet.png IS-Net medium's map of it
(8-bit): the bulb ends 2-3 px from the top of the white sweep, the model's mask runs on to row 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe import analyse, cutout

pytestmark = pytest.mark.real_cutout  # what these tests check is the cut-out itself

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def bulb():
    photo = np.asarray(Image.open(DATA / "bulb-on-white.jpg").convert("RGB"))
    prob = np.asarray(Image.open(DATA / "bulb-on-white-isnet.png")).astype(np.float32) / 255.0
    return photo, prob


def test_the_real_bulb_close_to_the_frame_on_white_is_no_close_up(bulb):
    photo, prob = bulb
    assert cutout.touches_frame(cutout.model_mask(prob))  # the model's own mask reaches the top
    mask = cutout.model_mask(prob, photo)
    assert not cutout.touches_frame(mask)
    assert not mask[0].any() and mask[4].mean() > 0.3  # the 2-3 rows of sweep above the bulb are backdrop
    _, decided = analyse.model_analysis(photo, {"box": [0, 0, 1, 1], "box_confident": True}, None, prob)
    assert not analyse.is_close_up(decided)
    assert 0.0 < decided["box"][1] < 0.01  # the box starts at the bulb, not at the frame


def test_the_real_bulb_s_cut_out_ends_at_the_bulb_not_at_the_frame(bulb):
    """Before, the sure product ran to the frame: row 0 of the cut-out was half opaque (the bulb's
    width), a white band in the transparent image."""
    photo, prob = bulb
    cut = cutout.cut_out(photo, model_map=prob)
    assert cut.good and cut.method == "model"
    assert cut.alpha[0].mean() < 0.01 and cut.alpha[1].mean() < 0.03
    assert cut.alpha[40:250, 150:300].min() > 0.98  # the bulb itself stays whole and opaque


@pytest.mark.parametrize("side", ["top", "left", "right"])
def test_the_real_bulb_cut_off_by_the_frame_stays_a_close_up(bulb, side):
    photo, prob = bulb
    part = {"top": np.s_[40:], "left": np.s_[:, 60:], "right": np.s_[:, :-60]}[side]
    cropped, cropped_prob = np.ascontiguousarray(photo[part]), np.ascontiguousarray(prob[part])
    assert cutout.touches_frame(cutout.model_mask(cropped_prob, cropped))


def _sweep(h: int = 400, w: int = 300, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(242, 1.5, (h, w, 3)), 0, 255).astype(np.uint8)


def test_a_garment_running_off_the_frame_stays_a_close_up():
    """A red top whose hem runs off the bottom of a light sweep: the frame shows the garment."""
    photo = _sweep()
    mask = np.zeros(photo.shape[:2], bool)
    mask[60:, 50:250] = True
    photo[mask] = (170, 30, 40)
    assert not cutout.frame_gap(photo, mask).any()
    assert cutout.touches_frame(cutout.model_mask(mask.astype(np.float32), photo))


def test_a_mask_over_a_scene_to_the_frame_is_not_trimmed():
    """In a scene (floorboards, a room) the frame's pixels are no one colour: nothing is backdrop by
    colour, the mask keeps reaching the frame."""
    rng = np.random.default_rng(4)
    photo = rng.integers(40, 220, (400, 300, 3)).astype(np.uint8)
    mask = np.zeros(photo.shape[:2], bool)
    mask[:360, 50:250] = True
    photo[4:360, 50:250] = (170, 30, 40)  # the product 4 px from the top, the scene above it
    assert not cutout.frame_gap(photo, mask).any()
    assert cutout.touches_frame(cutout.model_mask(mask.astype(np.float32), photo))


def test_a_product_a_few_px_from_a_plain_sweep_s_edge_is_whole():
    """The same red top ending 4 px above the bottom of the sweep, the model's mask reaching the frame."""
    photo = _sweep()
    photo[60:396, 50:250] = (170, 30, 40)
    mask = np.zeros(photo.shape[:2], bool)
    mask[60:, 50:250] = True
    gap = cutout.frame_gap(photo, mask)
    assert gap[397:, 50:250].all() and not gap[:396].any()  # (the row next to the top blurs into it)
    assert not cutout.touches_frame(cutout.model_mask(mask.astype(np.float32), photo))


def _lab(rgb) -> np.ndarray:
    import cv2

    return cv2.cvtColor(np.asarray(rgb, np.float32).reshape(1, -1, 3) / 255.0, cv2.COLOR_RGB2Lab)


def test_band_pixels_of_the_backdrop_s_colour_give_their_alpha_back():
    """The real G501-02 (a white rib collar, 220, on a light-grey sweep, 246): the matte gave pixels
    of the sweep's own colour above the rib alpha 0.44-0.5, a light fringe on a dark ground. Such a
    pixel now takes its projection on the backdrop-to-product line (0 here); a mixed pixel keeps
    what the matte gave it, and so does glass, whose product colour is the backdrop's."""
    photo = [(250, 248, 251), (245, 243, 246), (233, 230, 236), (246, 246, 246)]
    product = [(220, 217, 224), (220, 217, 224), (220, 217, 224), (244, 245, 246)]  # ... glass last
    alpha = np.array([[0.44, 0.50, 0.60, 0.50]], np.float32)
    lab, surface = _lab(photo), _lab([(246, 246, 246)] * 4)
    fg = np.asarray(product, np.float32).reshape(1, -1, 3) / 255.0
    pulled = cutout.backdrop_pulled(lab, alpha, fg, surface, np.ones((1, 4), bool))
    assert pulled[0, 0] == 0.0 and pulled[0, 1] < 0.1  # the sweep's colour: backdrop
    assert pulled[0, 2] == pytest.approx(0.60) and pulled[0, 3] == pytest.approx(0.50)
    outside = cutout.backdrop_pulled(lab, alpha, fg, surface, np.zeros((1, 4), bool))
    assert np.array_equal(outside, alpha)  # only the matte's unknown band is looked at
