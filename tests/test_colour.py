"""Colour correction (R8) on rendered arrays with known truth."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from imgpipe import colour as C
from imgpipe.errors import ImgpipeError

from chart_render import render_colorchecker

REF_LAB = C.linear_to_lab(C.CHART_REFERENCE_LINEAR)


def jpeg(u8: np.ndarray, q: int = 95) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(u8, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def photograph(refl: np.ndarray, light, exposure=1.0, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = refl * np.asarray(light, np.float32) * exposure
    x = x + rng.normal(0, 0.002, x.shape).astype(np.float32)
    return jpeg(C.linear_to_srgb(np.clip(x, 0, 1)))


def studio(h=300, w=400, paper=0.87, product=(0.5, 0.08, 0.06)) -> np.ndarray:
    """A red product on white seamless paper, with fall-off; linear reflectance."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    fall = 1 - 0.15 * (((xx - w / 2) / w) ** 2 + ((yy - h / 2) / h) ** 2) / 0.5
    img = np.empty((h, w, 3), np.float32)
    img[:] = paper
    img *= fall[..., None]
    m = np.zeros((h, w), np.uint8)
    cv2.ellipse(m, (w // 2, h // 2), (w // 5, h // 3), 0, 0, 360, 1, -1)
    img[m.astype(bool)] = np.asarray(product, np.float32) * (0.8 + 0.2 * fall[m.astype(bool)])[:, None]
    return img


def general(h=300, w=400, seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    for _ in range(120):
        col = rng.uniform(0.03, 0.7, 3).astype(np.float32)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(10, 80)), y + int(rng.integers(10, 80))), col.tolist(), -1)
    return img


def chart_in_scene(light, turn=0, angle=5.0, exposure=0.85, patch=36, shadow=False, size=(700, 900),
                   at=(0.5, 0.5)) -> np.ndarray:
    """A chart on grey, turned `turn` x 90° and `angle`°, centred at `at` (shares of the frame).

    shadow: a hard shadow (35 % light) across the left part of the chart.
    """
    chart = render_colorchecker((1, 1, 1), patch_px=patch)
    chart = np.rot90(chart, turn)
    lin = C.srgb_to_linear(np.ascontiguousarray(chart))
    h, w = size
    scene = np.full((h, w, 3), 0.6, np.float32)
    ch, cw = lin.shape[:2]
    M = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0)
    M[:, 2] += (w * at[0] - cw / 2, h * at[1] - ch / 2)
    warped = cv2.warpAffine(lin, M, (w, h), flags=cv2.INTER_LINEAR, borderValue=(-1, -1, -1))
    inside = warped[..., 0] >= 0
    scene[inside] = warped[inside]
    if shadow:
        yy, xx = np.mgrid[0:h, 0:w]
        scene[(xx + 0.3 * yy) < w * at[0] + 60] *= 0.35
    return photograph(scene, light, exposure)


# ---------------------------------------------------------------- basics


def test_srgb_round_trip_and_lut():
    v = np.arange(256, dtype=np.uint8)
    lin = C.srgb_to_linear(v)
    assert lin.dtype == np.float32 and lin[0] == 0 and abs(lin[255] - 1) < 1e-6
    assert np.all(np.diff(lin) > 0)
    assert np.array_equal(C.linear_to_srgb(lin), v)
    assert abs(float(C.srgb_to_linear(np.uint8([118]))[0]) - 0.18) < 0.005  # 18 % grey card


def test_delta_e_2000_matches_published_pairs():
    # Sharma, Wu & Dalal (2005) test data, pairs 1, 2 and 17
    lab1 = np.array([[50.0, 2.6772, -79.7751], [50.0, 3.1571, -77.2803], [50.0, 2.5, 0.0]])
    lab2 = np.array([[50.0, 0.0, -82.7485], [50.0, 0.0, -82.7485], [73.0, 25.0, -18.0]])
    np.testing.assert_allclose(C.delta_e_2000(lab1, lab2), [2.0425, 2.8615, 27.1492], atol=1e-4)


def test_cct_and_tint_round_trip():
    for T, tint in [(2800, 0.0), (4300, 0.01), (6500, -0.008), (7500, 0.0)]:
        light = C.illuminant_rgb(T, tint)
        k, duv = C.cct_and_tint(1 / light)
        assert abs(k - T) / T < 0.03
        # the daylight locus sits ~+0.003 above the Planckian one
        assert abs(duv - tint) < 0.005


def test_reference_names():
    for name in ("A1023_ref.jpg", "A1023-REF.JPG", "色卡.jpg", "A1023 灰卡 2.png", "GreyCard_01.tif", "x_ref2.jpg"):
        assert C.is_reference_name(name), name
    for name in ("A1023-01.jpg", "A1023_refill.jpg", "reference_photo.jpg", "prefix.jpg"):
        assert not C.is_reference_name(name), name


def test_correction_dict_round_trip_is_json_safe():
    corr = C.Correction(gains=(0.7, 1.0, 1.9), matrix=np.eye(3).tolist(), exposure=1.2, method="chart",
                        cct_k=3200.0, tint=0.004, patch_delta_e=[0.5] * 24, warnings=["x"])
    d = json.loads(json.dumps(corr.to_dict()))
    back = C.Correction.from_dict(d)
    assert back == C.Correction.from_dict(back.to_dict())
    np.testing.assert_allclose(back.gains, corr.gains)
    assert back.method == "chart" and back.patch_delta_e == [0.5] * 24 and back.warnings == ["x"]
    assert C.Correction().is_identity and not corr.is_identity
    assert C.Correction.from_dict(C.Correction().to_dict()).is_identity


# ---------------------------------------------------------------- chart


@pytest.mark.parametrize("T,tint,turn", [(3000, 0.0, 0), (5200, -0.012, 2), (7000, 0.01, 1)])
def test_chart_under_known_cast_is_corrected_within_targets(T, tint, turn):
    light = C.illuminant_rgb(T, tint)
    img = chart_in_scene(light, turn=turn)
    assert C.detect_reference(img) == "chart"
    corr = C.correction_from_chart(img)
    assert corr.method == "chart" and len(corr.patch_delta_e) == 24
    assert abs(corr.cct_k - T) / T < 0.08
    # apply to the photo, sample the chart again, measure against the reference
    out = C.apply_correction(img, corr)
    found = C.find_chart(out)
    de = C.delta_e_2000(C.linear_to_lab(found.patches), REF_LAB)
    assert de.mean() <= 2.0, de.round(2)
    assert de.max() <= 6.0, de.round(2)
    assert de[18:24].mean() <= 1.5, de[18:24].round(2)


def test_chart_held_out_patches_within_targets():
    img = chart_in_scene(C.illuminant_rgb(3400, 0.006))
    p = C.find_chart(img).patches
    for model in C.chart.MODELS:
        errs = C.leave_one_out(p, model)
        assert errs.mean() <= 2.0 and errs.max() <= 6.0 and errs[18:].mean() <= 1.5, (model, errs.round(2))
    corr = C.correction_from_chart(img)
    # the catalog gets the cross-validated figures of the model chosen
    assert corr.fit["loo_mean_de"] <= 2.0 and len(corr.fit["loo_patch_de"]) == 24
    assert corr.fit["mean_de"] <= corr.fit["loo_mean_de"]
    assert C.Correction.from_dict(corr.to_dict()).fit == corr.fit


def test_chart_clipped_by_the_frame_is_rejected():
    img = chart_in_scene(C.illuminant_rgb(4000), angle=0.0)
    cropped = np.ascontiguousarray(img[:, : img.shape[1] // 2 + 60])  # cut through the chart
    with pytest.raises(ImgpipeError):
        C.correction_from_chart(cropped)


def test_overexposed_chart_fit_is_rejected_with_reason():
    img = chart_in_scene(C.illuminant_rgb(5000), exposure=3.0)  # half the patches blown
    with pytest.raises(C.ReferenceRejected) as err:
        C.correction_from_chart(img)
    assert str(err.value)


def wrong_chart_shot(sigma=0.3, seed=0) -> np.ndarray:
    """A 24-patch chart whose colour patches are not the ColorChecker's (each channel of each off by
    exp(N(0, sigma))), greys true: found and turned like one, but its fit misses its own patches."""
    refl = C.CHART_REFERENCE_LINEAR.copy()
    refl[:18] *= np.exp(np.random.default_rng(seed).normal(0, sigma, (18, 3)))
    chart = C.srgb_to_linear(render_colorchecker(reflectance=np.clip(refl, 0.005, 0.95), patch_px=40))
    scene = np.full((600, 800, 3), 0.6, np.float32)
    scene[150:150 + chart.shape[0], 200:200 + chart.shape[1]] = chart
    return photograph(scene, C.illuminant_rgb(4000), 0.85)


def test_chart_whose_fit_is_poor_is_refused_and_a_good_one_applied():
    # as soi_image.jpg (real, leave-one-out 6.07, worst 14.1) was: under the old bound of 8 it was applied
    with pytest.raises(C.ReferenceRejected) as err:
        C.correction_from_chart(wrong_chart_shot())
    fit = err.value.fit  # within the old bounds (mean 8, worst patch 20): it was applied, as soi_image.jpg was
    assert 5.0 < fit["loo_mean_de"] <= 8.0 and fit["loo_max_de"] <= 20 and fit["uncorrected_de"] > fit["loo_mean_de"]
    assert fit["limit_de"] == C.MAX_LOO_MEAN_DE == 5.0
    assert f"{fit['loo_mean_de']:.2f}" in str(err.value) and "[colour.articles." in err.value.fix
    good = C.correction_from_chart(chart_in_scene(C.illuminant_rgb(4000)))  # rendered charts fit at 0.37-0.52
    assert good.fit["applied"] and good.fit["loo_mean_de"] < 1.0 and not good.is_identity


# ---------------------------------------------------------------- grey card


def test_grey_card_under_known_cast_comes_back_neutral():
    light = C.illuminant_rgb(3300, 0.008)
    scene = studio()
    scene[40:160, 30:150] = 0.18  # an 18 % card held in the frame
    img = photograph(scene, light, exposure=0.7)
    assert C.detect_reference(img) == "grey_card"
    corr = C.correction_from_grey_card(img)
    assert corr.method == "grey_card"
    out = C.apply_correction(img, corr)
    card = C.srgb_to_linear(out[60:140, 50:130]).reshape(-1, 3).mean(axis=0)
    assert C.angular_error(card, (1, 1, 1)) < 1.0
    assert abs(float(C.srgb_to_linear(np.uint8([118]))[0]) - card.mean()) < 0.015
    lab = C.linear_to_lab(card)
    assert abs(lab[1]) < 1.5 and abs(lab[2]) < 1.5


def test_no_chart_no_card_raises_and_detects_nothing():
    img = photograph(studio(), C.illuminant_rgb(4500))
    assert C.detect_reference(img) is None
    with pytest.raises(C.ReferenceNotFound):
        C.correction_from_chart(img)
    with pytest.raises(C.ReferenceNotFound) as err:
        C.correction_from_grey_card(img)
    assert isinstance(err.value, ImgpipeError) and err.value.fix
    textured = photograph(general(), C.illuminant_rgb(5000))
    assert C.detect_reference(textured, grey_card=False) is None


# ---------------------------------------------------------------- auto


@pytest.mark.parametrize("T,tint", [(2800, 0.0), (4000, 0.012), (7500, -0.01)])
def test_auto_backdrop_removes_a_known_cast(T, tint):
    light = C.illuminant_rgb(T, tint)
    img = photograph(studio(), light, exposure=0.8)
    corr = C.estimate_auto(img)
    assert corr.method == "backdrop"
    assert C.angular_error(1 / np.asarray(corr.gains), light) < 1.5
    out = C.apply_correction(img, corr)
    paper = out[5:40, 150:250].reshape(-1, 3).mean(axis=0)  # top centre: the bright part
    assert np.ptp(paper) <= 4  # neutral again
    assert paper.mean() > 225  # a white backdrop reads white


def test_neutral_photo_is_left_alone():
    img = photograph(studio(paper=0.88), (1, 1, 1))
    corr = C.estimate_auto(img)
    assert corr.is_identity, corr
    out = C.apply_correction(img, corr)
    assert np.array_equal(out, img)


def test_coloured_backdrop_is_not_neutralised():
    img = photograph(studio(paper=0.0) + np.array([0.15, 0.5, 0.85], np.float32) * (studio(product=(0, 0, 0)) > 0),
                     (1, 1, 1))
    corr = C.estimate_auto(img)
    assert corr.method != "backdrop"


def test_one_colour_close_up_is_left_alone():
    fabric = np.empty((200, 300, 3), np.float32)
    fabric[:] = (0.5, 0.05, 0.07)
    fabric *= (1 + 0.05 * np.random.default_rng(0).normal(size=(200, 300, 1))).astype(np.float32)
    corr = C.estimate_auto(photograph(fabric, (1, 1, 1)))
    assert corr.is_identity


@pytest.mark.parametrize("light", [(1.0, 0.02, 0.0), (0.0, 0.0, 1.0), (1.0, 1.0, 0.0), (0.02, 1.0, 0.02)])
def test_extreme_casts_make_no_nan_black_or_inversion(light):
    img = photograph(studio(), light)
    corr = C.estimate_auto(img)
    assert all(np.isfinite(corr.gains)) and min(corr.gains) > 0 and np.isfinite(corr.exposure)
    assert max(corr.gains) / min(corr.gains) <= 20.0 + 1e-6
    out = C.apply_correction(img, corr)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert corr.matrix is None
    # no inversion: per channel, a brighter input never gives a darker output
    for c in range(3):
        order = np.argsort(img[..., c].ravel(), kind="stable")
        assert np.all(np.diff(out[..., c].ravel()[order].astype(int)) >= 0)
    assert out.mean() > 5  # not black
    json.dumps(corr.to_dict())


def test_apply_correction_strength_and_matrix_path():
    img = photograph(general(), C.illuminant_rgb(3500))
    corr = C.Correction(gains=(0.6, 1.0, 2.2), exposure=1.1, method="manual")
    full = C.apply_correction(img, corr)
    none = C.apply_correction(img, corr, strength=0.0)
    half = C.apply_correction(img, corr, strength=0.5)
    assert np.array_equal(none, img)
    assert np.abs(half.astype(int) - img).mean() < np.abs(full.astype(int) - img).mean()
    # an identity matrix takes the float path and must agree with the LUT path
    with_m = C.Correction(gains=corr.gains, exposure=corr.exposure, matrix=(np.eye(3) * 1.0000001).tolist())
    assert np.abs(C.apply_correction(img, with_m).astype(int) - full).max() <= 1


# ------------------------------------------- issue 29: backdrop or close-up, clipped charts


def booth(light, mask_scale=1.0, shift=0.0, h=600, w=800, seed=0) -> np.ndarray:
    """A grey booth wall filling the frame under a coloured lamp: smooth, gently shaded, a JPEG.

    The chart's area is masked (set to 0, as a chart hidden from the auto mode
    is): a rectangle of 0.45 x 0.5 of the frame, scaled by `mask_scale` in
    area and moved by `shift` (a share of the frame) both ways.
    """
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    shade = 1.0 - 0.3 * yy / h + 0.12 * xx / w
    grain = cv2.resize(rng.normal(0, 1, (h // 16, w // 16)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    refl = (0.4 * shade * (1 + 0.01 * grain))[..., None] * np.ones(3, np.float32)
    img = photograph(refl, light, seed=seed)
    k = np.sqrt(mask_scale)
    mh, mw = int(0.45 * h * k), int(0.5 * w * k)
    cy, cx = int(h * (0.5 + shift)), int(w * (0.5 + shift))
    img[cy - mh // 2:cy + mh // 2, cx - mw // 2:cx + mw // 2] = 0
    return img


def green_close_up(h=600, w=800, seed=0) -> np.ndarray:
    """A woven green product filling the frame (threads, grain, folds), under neutral light."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    weave = 1 + 0.12 * np.sin(xx * 1.3) * np.sin(yy * 1.3)
    grain = cv2.resize(rng.normal(0, 1, (h // 4, w // 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    folds = 0.75 + 0.25 * np.sin(xx / 45 + 0.6 * np.sin(yy / 70))
    return photograph((folds * weave * (1 + 0.08 * grain))[..., None] * np.array([0.06, 0.32, 0.09], np.float32),
                      (1, 1, 1), seed=seed)


# lamps 15-22° off white, two of them far off the light locus (magenta, green)
BOOTH_LAMPS = [(1.0, 0.5, 0.4), (0.42, 0.65, 1.0), (1.0, 0.5, 0.95), (0.5, 1.0, 0.42)]


@pytest.mark.parametrize("lamp", BOOTH_LAMPS)
def test_tinted_booth_filling_the_frame_is_corrected_whatever_the_mask(lamp):
    light = np.array(lamp) / max(lamp)
    assert C.angular_error(light, (1, 1, 1)) > 15
    for scale, shift in ((0.95, 0.0), (1.0, 0.0), (1.05, 0.0), (1.0, -0.05), (1.0, 0.05)):
        img = booth(light, scale, shift)
        corr = C.estimate_auto(img)
        left = C.angular_error(1 / np.asarray(corr.gains), light)
        assert corr.method == "backdrop" and left <= 2.0, (scale, shift, corr.method, left, corr.warnings)
        wall = C.srgb_to_linear(C.apply_correction(img, corr)[20:120, 20:200]).reshape(-1, 3).mean(axis=0)
        assert C.angular_error(wall, (1, 1, 1)) <= 2.0


def test_textured_green_close_up_on_the_same_frame_is_not_changed():
    img = green_close_up()
    assert img.shape == booth((1, 1, 1)).shape
    corr = C.estimate_auto(img)
    assert corr.is_identity and corr.method == "none", corr.warnings
    assert np.array_equal(C.apply_correction(img, corr), img)
    assert C.surface_texture(img, np.ones(img.shape[:2], bool)) > 2 * C.SMOOTH_TEXTURE
    assert C.surface_texture(booth((1, 1, 1)), booth((1, 1, 1)).min(axis=-1) > 2) < C.SMOOTH_TEXTURE / 2


def test_sunlit_chart_with_clipped_patches_is_fitted_on_the_rest():
    img = chart_in_scene(C.illuminant_rgb(5500, 0.004), exposure=1.45)  # white, yellow, orange yellow, orange blown
    found = C.find_chart(img)
    clipped = ~C.chart.measurable(found.patches)
    assert 2 <= clipped.sum() <= C.chart.MAX_CLIPPED_PATCHES
    corr = C.correction_from_chart(img)  # not refused: the fit helps on the patches that hold colour
    assert set(corr.fit["clipped"]) == {C.CHART_PATCH_NAMES[i] for i in np.flatnonzero(clipped)}
    assert corr.fit["loo_mean_de"] < corr.fit["uncorrected_de"]
    out = C.apply_correction(img, corr)
    p, _ = C.sample_chart(out, found.centres, 0.25 * found.pitch)
    de = C.delta_e_2000(C.linear_to_lab(p), C.linear_to_lab(C.CHART_REFERENCE_LINEAR))
    assert de[~clipped].mean() <= 1.0 and de[~clipped].max() <= 3.0, de.round(1)
    white = C.linear_to_lab(p[18])  # blown in the photo: written neutral, not tinted by the gains
    assert abs(white[1]) < 1.0 and abs(white[2]) < 1.0, white


def test_blown_highlight_stays_neutral_and_a_saturated_colour_keeps_its_colour():
    img = np.zeros((20, 20, 3), np.uint8)
    img[:10] = 255                 # blown white
    img[10:] = (255, 40, 30)       # a red with one channel at the top
    corr = C.Correction(gains=(0.8, 1.0, 1.3))
    out = C.apply_correction(img, corr)
    assert np.ptp(out[:10].reshape(-1, 3), axis=1).max() <= 1
    gained = C.linear_to_srgb(C.srgb_to_linear(np.uint8([255, 40, 30])) * np.float32([0.8, 1.0, 1.3]))
    assert np.abs(out[15, 5].astype(int) - gained).max() <= 1  # the red is corrected as any colour is


def test_chart_found_beside_more_squares_of_another_size():
    # a tiled floor beside the chart: 70 tiles, more squares than the chart's 24 patches
    scene = np.full((700, 900, 3), 0.5, np.float32)
    rng = np.random.default_rng(5)
    for i in range(7):
        for j in range(10):
            y, x = 440 + i * 36, 20 + j * 36
            scene[y:y + 26, x:x + 26] = rng.uniform(0.2, 0.8, 3)
    chart = C.srgb_to_linear(np.ascontiguousarray(render_colorchecker((1, 1, 1), patch_px=44)))
    scene[40:40 + chart.shape[0], 420:420 + chart.shape[1]] = chart
    img = photograph(scene, C.illuminant_rgb(4500), 0.85)
    sq = C.chart._square_candidates(C.proxy_image(img, 1200))
    assert len(C.chart._grids_from_squares(sq)) >= 1
    found = C.find_chart(img)
    assert found is not None and found.centres[:, 0].min() > 420 and found.centres[:, 1].max() < 40 + chart.shape[0]
    lum = found.patches[18:24] @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(lum) < 0)  # the right way round: white 9.5 first, black 2 last


def test_chart_already_right_leaves_the_photo_as_it_is():
    img = chart_in_scene((1, 1, 1), exposure=1.0)  # neutral light, right exposure: nothing to correct
    corr = C.correction_from_chart(img)  # no fit predicts held-out patches better than "leave it"
    assert corr.method == "chart" and corr.is_identity
    assert corr.fit["loo_mean_de"] >= corr.fit["uncorrected_de"] and not corr.fit["applied"] and corr.warnings
    assert np.array_equal(C.apply_correction(img, corr), img)
