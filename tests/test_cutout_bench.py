"""The real-photo cut-out benchmark's own arithmetic: a published image is mapped back onto its photo
correctly, and the fetch script keeps photo and mask aligned through its crop and downscale."""

from __future__ import annotations

import io
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import studio_set
from imgpipe import framing, render
from imgpipe.profiles import RoleSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import cutout_real  # noqa: E402
import fetch_cutout_real  # noqa: E402
from cutout import iou  # noqa: E402


def _studio_photo():
    case = replace(next(c for c in studio_set.CASES if c.name == "shirt-navy"), size=(900, 675))
    photo, alpha = studio_set.render(case)
    return photo, alpha >= 0.5


@pytest.mark.slow  # a real cut-out of a 900x675 photo
@pytest.mark.real_cutout
def test_a_framed_transparent_image_maps_back_onto_its_photo():
    photo, truth = _studio_photo()
    analysis = studio_set.true_analysis(truth.astype(np.float32), (238, 238, 238), framing.backdrop_noise(photo))
    spec = RoleSpec(width=800, height=800, fill=0.9)
    rgba, product_box = render.shape_transparent(render.PhotoWork(photo, analysis), {}, spec)[:2]
    recorded = cutout_real.framing_of(rgba.shape, analysis, {"product_box": product_box}, photo.shape)
    alpha = cutout_real.map_back(rgba[..., 3].astype(np.float32) / 255, recorded, photo.shape)
    assert alpha.shape == truth.shape
    assert iou(alpha >= 0.5, truth) >= 0.95  # the cut-out lands where the shirt is, not shifted or scaled
    shifted = np.roll(alpha, 12, axis=1)  # and a mapping off by 12 px would show
    assert iou(shifted >= 0.5, truth) < iou(alpha >= 0.5, truth) - 0.03
    assert cutout_real.registration(rgba[..., :3], rgba[..., 3] / 255, photo, recorded) > 0.9
    # an imgpipe that frames by a box it does not record: found by matching the pixels, from a guess 20 % off
    found = cutout_real.matched_framing(rgba, photo, recorded[0] * 1.2)
    again = cutout_real.map_back(rgba[..., 3].astype(np.float32) / 255, found, photo.shape)
    assert iou(again >= 0.5, truth) >= 0.93


def test_a_close_up_maps_back_as_the_centred_crop():
    photo = np.zeros((600, 900, 3), np.uint8)
    analysis = {"box": [0.0, 0.1, 0.8, 0.9], "box_confident": True}  # touches the left edge: a close-up
    opaque = np.ones((800, 800), np.float32)
    alpha = cutout_real.map_back(opaque, cutout_real.framing_of(opaque.shape, analysis, {"product_box": [0, 0, 800, 800]},
                                                                photo.shape), photo.shape)
    # the centred 600x600 square of the photo, and nothing outside it
    assert alpha[:, 152:748].min() > 0.99 and alpha[:, :148].max() < 0.01 and alpha[:, 752:].max() < 0.01


def test_scores_count_lost_product_and_kept_backdrop():
    truth = np.zeros((100, 100), bool)
    truth[20:80, 20:80] = True
    pred = np.zeros_like(truth)
    pred[20:80, 20:50] = True  # half the product
    pred[0:10, 0:10] = True    # and a corner of backdrop
    s = cutout_real.scores(pred, truth)
    assert abs(s["lost"] - 0.5) < 1e-9 and abs(s["kept"] - 100 / (10000 - 3600)) < 1e-9
    assert 0.4 < s["iou"] < 0.5
    assert cutout_real.scores(pred, None)["iou"] is None


def _png(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()


def test_the_fetch_script_crops_and_downscales_photo_and_mask_together():
    h, w = 1200, 2400
    photo = np.full((h, w, 3), 200, np.uint8)
    mask = np.zeros((h, w), np.uint8)
    photo[400:800, 1400:1800] = (30, 60, 90)
    mask[400:800, 1400:1800] = 255
    src = fetch_cutout_real.Source("o/r", "0" * 40, "x.png", "")
    pair = fetch_cutout_real.Pair("t", "scene", "a square", "none", src, src, crop=(200, 0, 2400, 1200))
    out_photo, out_mask = fetch_cutout_real.build_pair(pair, _png(photo), _png(mask))
    assert out_photo.size == out_mask.size == (1600, 873)  # 2200x1200 cropped, long side to 1600
    m = np.asarray(out_mask)
    assert set(np.unique(m)) <= {0, 255}
    dark = np.asarray(out_photo).mean(axis=-1) < 100
    assert iou(m > 0, dark) > 0.97  # the mask still covers the dark square, nothing else
