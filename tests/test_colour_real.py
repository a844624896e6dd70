"""Issue 16: colour on real-camera behaviour, with generated data only (no fetched photos ship).

Camera tone curves, booth light off the light locus, one-colour frames with a
strong cast, a balanced photo on a light-grey backdrop, chart fits with a
curve and a root-polynomial transform.
"""

from __future__ import annotations

import pytest
import numpy as np

from imgpipe import colour as C

from chart_render import render_colorchecker
from test_colour import chart_in_scene, general, jpeg, photograph, studio

REF = C.CHART_REFERENCE_LINEAR


def s_curve(lin: np.ndarray) -> np.ndarray:
    """A camera JPEG's tone curve on linear light (contrast S, lifted toe, soft shoulder), per channel."""
    x = np.clip(lin, 0, 1)
    return np.clip(0.015 + 0.985 * (x ** 0.85) * (1.6 - 0.6 * x ** 0.85), 0, 1)


def camera_chart(light=(1.0, 1.0, 1.0), curve=True, crosstalk=0.1) -> np.ndarray:
    """A ColorChecker as a camera JPEG sees it: crosstalk, a cast, then a per-channel tone curve."""
    M = np.eye(3) * (1 + 2 * crosstalk) - crosstalk  # rows sum to 1: greys stay grey, colours saturate
    chart = render_colorchecker(patch_px=40, camera_matrix=M)
    lin = C.srgb_to_linear(chart) * np.asarray(light, np.float32) * 0.8
    if curve:
        lin = s_curve(lin).astype(np.float32)
    scene = np.full((560, 720, 3), 0.35, np.float32)
    h, w = lin.shape[:2]
    scene[100:100 + h, 120:120 + w] = lin
    return jpeg(C.linear_to_srgb(scene))


def test_tone_curve_is_monotone_and_maps_the_grey_row():
    img = camera_chart(light=C.illuminant_rgb(3600))
    p = C.find_chart(img).patches
    fit = C.fit_chart(p, model=(3, True))
    assert fit.curve is not None
    for xs, ys in fit.curve:
        assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0)
    ramp = np.linspace(0.001, 1.0, 200)[:, None].repeat(3, axis=1)
    out = C.apply_curve(fit.curve, ramp)
    assert np.all(np.diff(out, axis=0) > 0)  # monotone everywhere, extrapolation included


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_chart_fit_undoes_a_camera_tone_curve_better_than_a_matrix_alone():
    img = camera_chart(light=C.illuminant_rgb(3600, 0.004))
    p = C.find_chart(img).patches
    fit, ins, loo = C.best_chart_fit(p)
    # the targets: held out <= 2 here (3.0 on real photos), neutral row <= 1.5 in-sample
    assert loo.mean() <= 2.0 and ins[C.GREY_ROW].mean() <= 1.5, (loo.round(2), ins.round(2))
    # the model chosen is the one that predicts held-out patches best (neutral row counted extra, held
    # out and in-sample)
    score = loo.mean() + 0.5 * (loo[C.GREY_ROW].mean() + ins[C.GREY_ROW].mean())
    for model in C.chart.MODELS:
        other = C.leave_one_out(p, model)
        other_in = C.chart_delta_e(C.fit_chart(p, model=model).predict(p), np.arange(24))
        assert score <= other.mean() + 0.5 * (other[C.GREY_ROW].mean() + other_in[C.GREY_ROW].mean()) + 1e-9
    corr = C.correction_from_chart(img)
    out = C.apply_correction(img, corr)
    found = C.find_chart(out)
    de = C.delta_e_2000(C.linear_to_lab(found.patches), C.linear_to_lab(REF))
    assert de.mean() <= 2.5 and de[C.GREY_ROW].mean() <= 1.5, de.round(2)


def test_root_polynomial_correction_applies_like_the_fit_predicts():
    img = camera_chart(light=C.illuminant_rgb(5000), crosstalk=0.15)
    p = C.find_chart(img).patches
    fit = C.fit_chart(p, model=(6, False))
    corr = C.Correction(gains=tuple(fit.k), curve=fit.curve, matrix=fit.matrix.tolist(), method="chart")
    out = C.apply_correction(img, corr)
    q = C.find_chart(out).patches
    np.testing.assert_allclose(q, fit.predict(p), atol=0.02)
    # strength 0 is the photo itself; the dict round trip keeps curve and matrix
    assert np.array_equal(C.apply_correction(img, corr, 0.0), img)
    back = C.Correction.from_dict(corr.to_dict())
    assert np.abs(C.apply_correction(img, back).astype(int) - out).max() <= 1


def test_booth_light_off_the_locus_on_a_neutral_backdrop_is_corrected():
    # an uncorrected camera under a fluorescent booth: strongly green, far off the light locus
    light = np.array([0.62, 1.0, 0.42])
    scene = general(300, 400, seed=3) * 0.8
    scene[:50] = scene[-50:] = 0.8
    scene[:, :50] = scene[:, -50:] = 0.8  # a neutral wall all round
    img = photograph(scene, light)
    corr = C.estimate_auto(img)
    assert corr.method == "backdrop", corr.warnings
    assert C.angular_error(1 / np.asarray(corr.gains), light) < 1.5


def test_one_colour_frame_with_a_strong_cast_is_left_but_named():
    # a red fabric filling the frame: its colour cannot be told from a light's, so it is left --
    # but the cast a grey-world would have seen is named, not hidden
    fabric = np.empty((300, 400, 3), np.float32)
    fabric[:] = (0.5, 0.05, 0.07)
    fabric *= (1 + 0.05 * np.random.default_rng(2).normal(size=(300, 400, 1))).astype(np.float32)
    img = photograph(fabric, (1, 1, 1))
    corr = C.estimate_auto(img)
    assert corr.is_identity and corr.method == "none"
    assert corr.cast_left_deg is not None and corr.cast_left_deg > 3
    assert any(f"{corr.cast_left_deg:.1f}" in w for w in corr.warnings), corr.warnings


def test_balanced_photo_on_light_grey_backdrop_changes_by_at_most_1_delta_e():
    scene = studio(paper=0.8)  # light-grey seamless: sRGB ~ 225 behind the product
    img = photograph(scene, (1, 1, 1))
    assert 215 <= np.median(img[:30]) <= 232, np.median(img[:30])
    out = C.apply_correction(img, C.estimate_auto(img))
    de = C.delta_e_2000(C.srgb_to_lab(img), C.srgb_to_lab(out))
    assert de.mean() <= 1.0 and np.percentile(de, 99) <= 1.5, (de.mean(), np.percentile(de, 99))


def test_dim_white_backdrop_is_still_lifted():
    img = photograph(studio(paper=0.87), (1, 1, 1), exposure=0.68)  # a white backdrop at sRGB ~195
    corr = C.estimate_auto(img)
    assert corr.exposure > 1.3
    assert 235 <= np.median(C.apply_correction(img, corr)[:30]) <= 252


def test_a_cast_left_uncorrected_is_a_warning_of_the_run(workspace):
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace
    from conftest import jpeg_bytes

    fabric = np.empty((900, 1200, 3), np.float32)
    fabric[:] = (0.5, 0.05, 0.07)
    fabric *= (1 + 0.05 * np.random.default_rng(0).normal(size=(900, 1200, 1))).astype(np.float32)
    target = workspace / "inbox" / "A1023" / "IMG_0001.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(jpeg_bytes(C.linear_to_srgb(fabric)))
    summary = run(Workspace.open(workspace))
    hits = [w for w in summary.warnings if "°" in (w.get("message") or "")]
    assert len(hits) == 1 and hits[0]["file"].endswith("A1023-01.jpg") and hits[0]["fix"], summary.warnings


def chart_scene(angle=0.0, patch=36, shadow=False) -> np.ndarray:
    return chart_in_scene(C.illuminant_rgb(4500), angle=angle, exposure=0.9, patch=patch, shadow=shadow,
                          size=(1000, 1400), at=(1 / 3, 0.5))


def test_chart_found_at_any_turn_small_and_shadowed():
    for kw in (dict(angle=45), dict(angle=-60), dict(patch=14), dict(shadow=True, angle=20)):
        img = chart_scene(**kw)
        found = C.find_chart(img)
        assert found is not None, kw
        # found the right way round: dark skin first, white 9.5 brightest of the grey row
        assert int(np.argmax(found.patches[18:24] @ np.array([0.2126, 0.7152, 0.0722]))) == 0, kw


def test_hard_shadow_across_the_chart_is_refused_with_the_reason():
    import pytest
    with pytest.raises(C.ReferenceRejected) as err:
        C.correction_from_chart(chart_scene(shadow=True))
    assert "ΔE2000" in str(err.value)
