"""The 24-patch ColorChecker Classic: reference values, finding it in a photo, fitting a correction to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np

from imgpipe.colour.correction import (Correction, ReferenceNotFound, ReferenceRejected, check_image,
                                      gains_from_light, identity_terms, proxy_image, apply_curve,
                                      terms)
from imgpipe.colour.maths import (BRADFORD_D50_TO_D65, D50_XYZ, XYZ_TO_RGB, Y_WEIGHTS, lab_to_xyz,
                                  cct_and_tint, delta_e_2000, linear_to_lab, linear_to_srgb, srgb_to_lab,
                                  srgb_to_linear)
from imgpipe.messages import t

# ColorChecker Classic, X-Rite "After November 2014" formulation, CIE Lab under
# ICC D50, 2° observer. Copied from colour-science
# (colour/characterisation/datasets/colour_checkers/chromaticity_coordinates.py,
# DATA_COLORCHECKER24_AFTER_NOV2014_CIE_LAB, source: X-Rite 2016, "New color
# specifications for ColorChecker SG and Classic Charts"). Order: reading order
# with the grey row last (dark skin ... black).
CHART_PATCH_NAMES = (
    "dark skin", "light skin", "blue sky", "foliage", "blue flower", "bluish green",
    "orange", "purplish blue", "moderate red", "purple", "yellow green", "orange yellow",
    "blue", "green", "red", "yellow", "magenta", "cyan",
    "white 9.5", "neutral 8", "neutral 6.5", "neutral 5", "neutral 3.5", "black 2",
)
CHART_REFERENCE_LAB_D50 = np.array(
    [
        [37.54, 14.37, 14.92], [64.66, 19.27, 17.5], [49.32, -3.82, -22.54],
        [43.46, -12.74, 22.72], [54.94, 9.61, -24.79], [70.48, -32.26, -0.37],
        [62.73, 35.83, 56.5], [39.43, 10.75, -45.17], [50.57, 48.64, 16.67],
        [30.1, 22.54, -20.87], [71.77, -24.13, 58.19], [71.51, 18.24, 67.37],
        [28.37, 15.42, -49.8], [54.38, -39.72, 32.27], [42.43, 51.05, 28.62],
        [81.8, 2.67, 80.41], [50.63, 51.28, -14.12], [49.57, -29.71, -28.32],
        [95.19, -1.03, 2.93], [81.29, -0.57, 0.44], [66.89, -0.75, -0.06],
        [50.76, -0.13, 0.14], [35.63, -0.46, -0.48], [20.64, 0.07, -0.46],
    ]
)
GREY_ROW = np.arange(18, 24)
# Patches used for white balance: N8..N3.5. The white patch clips easily and
# the black one is mostly flare and noise.
_WB_PATCHES = np.array([19, 20, 21, 22])



# Reference patches in linear sRGB (D65), float64, clipped to the sRGB gamut
# (only cyan falls slightly outside): the output is sRGB, so the in-gamut
# colour is the best any correction can deliver.
_CHART_XYZ_D65 = lab_to_xyz(CHART_REFERENCE_LAB_D50, D50_XYZ) @ BRADFORD_D50_TO_D65.T
CHART_REFERENCE_LINEAR = np.clip(_CHART_XYZ_D65 @ XYZ_TO_RGB.T, 0.0, 1.0)


# ---------------------------------------------------------------- the chart

@dataclass
class ChartFound:
    """A located ColorChecker: per-patch linear RGB (24x3, reading order) and geometry (pixels)."""

    patches: np.ndarray
    centres: np.ndarray  # (24, 2) x, y in the full image
    pitch: float  # patch spacing, pixels in the full image
    sample_std: np.ndarray  # (24,) spread inside each sample, linear


def _square_candidates(proxy: np.ndarray, smooth: int = 0):
    # smooth > 0: median filter first, for noisy photos whose patches Canny
    # would otherwise break into pieces
    src = cv2.medianBlur(proxy, 2 * smooth + 1) if smooth else proxy
    blur = cv2.GaussianBlur(src, (3, 3), 0)
    edges = np.zeros(proxy.shape[:2], np.uint8)
    for c in range(3):
        edges |= cv2.Canny(blur[..., c], 20, 50)
    lab = cv2.cvtColor(blur, cv2.COLOR_RGB2LAB)
    edges |= cv2.Canny(lab[..., 1], 10, 30) | cv2.Canny(lab[..., 2], 10, 30)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    n, labels, stats, cents = cv2.connectedComponentsWithStats((edges == 0).astype(np.uint8), connectivity=4)
    h, w = proxy.shape[:2]
    out = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < 25 or area > 0.04 * h * w:
            continue
        if not 0.6 <= bw / bh <= 1.67 or area / (bw * bh) < 0.45:
            continue
        out.append((cents[i][0], cents[i][1], float(area)))
    return np.array(out).reshape(-1, 3)


def _grids_from_squares(sq: np.ndarray) -> list:
    """4x6 grids fitted to square centres: [(homography grid->proxy px, ncols, nrows, pitch)], likeliest first.

    The squares are grouped by size; the most common sizes are tried in turn
    (a carpet, a folded sheet or a bright overexposed surround can give more
    squares of another size than the chart has patches).
    """
    if len(sq) < 14:
        return []
    log_areas = np.log(sq[:, 2])
    windows = [np.abs(log_areas - a) < 0.35 for a in np.unique(np.round(log_areas, 1))]
    groups: list[np.ndarray] = []
    for sel in sorted(windows, key=lambda g: -int(g.sum())):  # most squares first, each size once
        if sel.sum() >= 14 and not any((sel & g).sum() > 0.5 * sel.sum() for g in groups):
            groups.append(sel)
    fits = (_grid_of_size(sq, sel) for sel in groups[:4])
    return [f for f in fits if f is not None]


def _grid_of_size(sq: np.ndarray, best: np.ndarray):
    """The 4x6 grid of the squares of one size (`best`: bool mask over `sq`), or None."""
    pts = sq[best, :2]
    if len(pts) < 14:
        return None
    # keep the densest cluster: centres within a few pitches of each other
    pitch0 = math.sqrt(float(np.median(sq[best, 2]))) / 0.8
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    close = (d < 1.6 * pitch0).sum(axis=1)
    pts = pts[close >= 3]
    if len(pts) < 14:
        return None
    d = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    nn = d.min(axis=1)
    pitch = float(np.median(nn))
    # axis direction from nearest-neighbour vectors
    j = d.argmin(axis=1)
    vec = pts[j] - pts
    ang = np.arctan2(vec[:, 1], vec[:, 0]) % (np.pi / 2)
    theta = float(np.angle(np.mean(np.exp(4j * ang))) / 4)
    c, s = math.cos(theta), math.sin(theta)
    R = np.array([[c, s], [-s, c]])
    uv = (pts - pts.mean(axis=0)) @ R.T / pitch
    uv -= np.angle(np.exp(2j * np.pi * uv).mean(axis=0)) / (2 * np.pi)  # lattice phase
    on_grid = np.abs(uv - np.round(uv)).max(axis=1) < 0.25
    pts, gi = pts[on_grid], np.round(uv[on_grid]).astype(int)
    # squares of similar size next to the chart (a product, a box) add a
    # sparse extra row or column: peel those off the edges
    for _ in range(6):
        gi = gi - gi.min(axis=0)
        nx, ny = gi[:, 0].max() + 1, gi[:, 1].max() + 1
        if sorted((nx, ny)) == [4, 6] or len(gi) < 14:
            break
        worst = None
        for axis in (0, 1):
            for edge in (gi[:, axis].min(), gi[:, axis].max()):
                cnt = int((gi[:, axis] == edge).sum())
                if worst is None or cnt < worst[0]:
                    worst = (cnt, axis, edge)
        if worst[0] > 2:
            break
        keep = gi[:, worst[1]] != worst[2]
        pts, gi = pts[keep], gi[keep]
    if len(gi) < 14:
        return None
    gi = gi - gi.min(axis=0)
    nx, ny = gi[:, 0].max() + 1, gi[:, 1].max() + 1
    if sorted((nx, ny)) != [4, 6]:
        return None
    src = gi.astype(np.float32)
    H, inl = cv2.findHomography(src, pts.astype(np.float32), cv2.RANSAC, 0.15 * pitch)
    if H is None or inl.sum() < 12:
        return None
    return H, nx, ny, pitch


def sample_chart(img: np.ndarray, centres: np.ndarray, half: float):
    """Each chart patch's colour: (patches (n, 3) linear RGB 0-1, trimmed mean of the square; spread (n,),
    median deviation from the patch's median in linear units). centres: (n, 2) x, y in px; half: the
    sample square's half side in px."""
    h, w = img.shape[:2]
    patches, spread = [], []
    for x, y in centres:
        x0, x1 = int(round(x - half)), int(round(x + half)) + 1
        y0, y1 = int(round(y - half)), int(round(y + half)) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        roi = srgb_to_linear(img[y0:y1, x0:x1]).reshape(-1, 3).astype(np.float64)
        med = np.median(roi, axis=0)
        spread.append(float(np.median(np.abs(roi - med).max(axis=1))))
        # trimmed mean: robust to specks and a sample square touching an edge
        dev = np.abs(roi - med).max(axis=1)
        keep = dev <= np.percentile(dev, 80)
        patches.append(roi[keep].mean(axis=0))
    return np.array(patches), np.array(spread)


def _orient(patches: np.ndarray, nx: int, ny: int):
    """Try the chart's possible turns; pick the one that best matches the reference after a grey-row balance.

    patches: (ny*nx, 3) in grid order. Returns (mean ΔE2000, index array giving chart order).
    """
    ref_lab = linear_to_lab(CHART_REFERENCE_LINEAR)
    idx = np.arange(ny * nx).reshape(ny, nx)
    turns = (0, 2) if (nx, ny) == (6, 4) else (1, 3)
    best = None
    for k_rot in turns:
        order = np.rot90(idx, k_rot).reshape(24)
        p = patches[order]
        m, r = p[_WB_PATCHES], CHART_REFERENCE_LINEAR[_WB_PATCHES]
        k = (m * r).sum(axis=0) / np.maximum((m * m).sum(axis=0), 1e-12)
        score = float(np.mean(delta_e_2000(linear_to_lab(np.clip(p * k, 0, 1)), ref_lab)))
        if best is None or score < best[0]:
            best = (score, order)
    return best


def find_chart(img_u8: np.ndarray) -> ChartFound | None:
    """Locate a 24-patch ColorChecker Classic (any position, mild rotation/perspective, any 90° turn).

    Works on a <=1200 px proxy to find the 4x6 grid of squares, then samples
    each patch (central 50 %) at full resolution. None when no chart is seen.
    Raises ReferenceRejected when a chart is seen but partly outside the
    frame or too small to sample.
    """
    img = check_image(img_u8)
    proxy = proxy_image(img, 1200)
    scale = img.shape[1] / proxy.shape[1]
    rejected = None  # the first grid seen but unusable (cut by the frame, too small): said when nothing better
    for smooth in (0, 2, 3):
        for fit in _grids_from_squares(_square_candidates(proxy, smooth)):
            try:
                found = _chart_at(img, fit, scale)
            except ReferenceRejected as err:
                rejected = rejected or err
                continue
            if found is not None:
                return found
    if rejected is not None:
        raise rejected
    return None


def _chart_at(img: np.ndarray, fit, scale: float) -> ChartFound | None:
    """The chart on grid `fit` (proxy pixels x scale = image pixels): sampled and turned, or None if not a ColorChecker."""
    H, nx, ny, pitch = fit
    gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
    grid_pts = np.stack([gx.ravel(), gy.ravel()], axis=-1).astype(np.float32)[:, None]
    centres = cv2.perspectiveTransform(grid_pts, H)[:, 0] * scale
    pitch_full = pitch * scale
    h, w = img.shape[:2]
    half = 0.25 * pitch_full
    if np.any(centres[:, 0] - half < 0) or np.any(centres[:, 1] - half < 0) or \
            np.any(centres[:, 0] + half >= w) or np.any(centres[:, 1] + half >= h):
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.chart_clipped")),
                                fix=t("colour.chart_rejected.fix"))
    if pitch_full < 10:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.chart_small")),
                                fix=t("colour.chart_rejected.fix"))
    patches, spread = sample_chart(img, centres, half)
    score, order = _orient(patches, nx, ny)
    if score > 20:
        return None  # a grid of squares, but not a ColorChecker
    return ChartFound(patches=patches[order], centres=centres[order], pitch=float(pitch_full),
                      sample_std=spread[order])


# A chart is refused when its fit would do harm: its cross-validated
# (leave-one-out) mean ΔE2000 over the measurable patches is no better than
# leaving the photo as it is, or above this bound. Measured (pipeline path,
# `correction_from_reference` on the decode a run makes): the real charts of
# shared/data/colour-real fit at 2.66 (luimoli, linear camera) and 3.61
# (jarrelscy, phone), the ten real charts of README (Colour) at 1.9-4.1, the
# tests' rendered charts at 0.37-0.52. soi_image.jpg fits at 6.07 (worst
# patch 14.1; 7.04 as shot): used as an article's reference, its root-
# polynomial crushed a navy top from (12, 19, 40) to (0, 5, 31) and darkened
# a red one from L* 33.7 to 22.4, so the SKU colour names came out wrong. A
# chart whose fit misses its own patches by more than 5 on average is not
# measuring the light of the photos (another camera, glare, a shadow, another
# chart): refused, the photos keep their automatic correction.
MAX_LOO_MEAN_DE = 5.0
# ... or when a single held-out patch is this far off (a smudge, a reflection,
# a hard shadow across a few patches: 24-27 on a rendered one). The worst
# held-out patch of the ten real charts is 15 (a phone's cyan).
MAX_LOO_PATCH_DE = 20.0
# Patches with a channel at the top of the range (linear 0.98, sRGB 252) hold
# no colour and are left out of the fit (and of its figures): a chart in
# sunlight often clips its white and a yellow or two. With more than this the
# chart was overexposed: too few colours are left to fit a transform on.
MAX_CLIPPED_PATCHES = 8


def measurable(measured: np.ndarray) -> np.ndarray:
    """(24,) bool: patches whose every channel is inside the camera's range (none at 0 or at the top)."""
    return (measured.max(axis=1) < 0.98) & (measured.min(axis=1) > 1e-4)


class ChartModel(NamedTuple):
    """One candidate chart model: colour terms (3 = 3x3, 6 = root-polynomial
    degree 2), rows summing to 1, the tone curve (CURVES) and the ridge
    weight pulling the matrix toward identity (0 = none)."""

    terms: int
    constrained: bool
    curve: str = "knots"
    ridge: float = 0.0


# Tone curves through the neutral row: "knots" through every grey, "no black"
# without the black patch, "power" one power law per channel (gain and
# exponent fitted to the greys: a camera that is nearly linear).
CURVES = ("knots", "no black", "power")


# The candidates, chosen per chart by leave-one-out ΔE2000 on the chart
# itself. Root-polynomial models the camera's non-linear colour mixing that a
# 3x3 cannot; the row constraint keeps the grey row exactly grey but costs
# accuracy on some cameras. Knots through every grey undo a JPEG's S-curve
# and lifted shadows; on linear camera data the black patch is mostly flare
# and noise (held out: 8-13 ΔE2000 on two of ten real charts), hence "no
# black"; a nearly linear camera is served best by a power law, which a held-
# out grey barely moves. A weak ridge (1e-3 per patch, linear units) keeps a
# free root-polynomial from bending to one patch. Measured (README, Colour):
# on ten real charts leave-one-out 3.10 -> 2.99 and its neutral row 2.78 ->
# 2.54; on 40 rendered charts held-out greys 0.80 -> 0.63. 24 candidates x 24
# fits: ~0.8 s a chart on a shared 2-core machine.
MODELS = tuple(ChartModel(n, c, curve, r) for n in (3, 6) for c in (True, False) for curve in CURVES
               for r in (0.0, 1e-3))


def _tone_curve(balanced: np.ndarray, use: np.ndarray, kind: str = "knots"):
    """Per-channel monotone tone curve through the chart's neutral row: knots [xs, ys] per channel.

    balanced: (24, 3) linear patch values after the grey-row balance. The
    knots map each grey patch's measured value to its reference value (a
    camera JPEG's S-curve, a flare-lifted black); None with fewer than three
    usable greys (then the fit is linear). Clipped patches are left out, and
    the black one for kind "no black" (below the lowest knot the curve goes
    on with its end slope). kind "power": the knots lie on the power law
    (a line in log-log, slope held to 0.7-1.5) fitted through the greys.
    """
    grey = [i for i in GREY_ROW if use[i] and balanced[i].max() < 0.98 and balanced[i].min() > 1e-3
            and (kind != "no black" or i != GREY_ROW[-1])]
    if len(grey) < 3:
        return None
    curve = []
    for c in range(3):
        xs, ys = balanced[grey, c], CHART_REFERENCE_LINEAR[grey, c]
        order = np.argsort(xs)
        x, y = xs[order], np.maximum.accumulate(ys[order])  # monotone: never darker for brighter input
        if kind == "power":
            slope, offset = np.polyfit(np.log(x), np.log(y), 1)
            slope = float(np.clip(slope, 0.7, 1.5))
            y = np.exp(np.mean(np.log(y) - slope * np.log(x)) + slope * np.log(x))
        keep = np.r_[True, np.diff(x) > 1e-5]
        curve.append([x[keep].tolist(), y[keep].tolist()])
    return curve


def _fit_terms(X: np.ndarray, Y: np.ndarray, n: int, constrained: bool, ridge: float = 0.0) -> np.ndarray:
    """Weighted least squares 3 x n matrix M with Y ≈ terms(X) @ M.T (rows summing to 1 if constrained).

    Weights 1/(Y + 0.05) so dark patches count about as much as light ones,
    as they do in ΔE2000. ridge: weight per patch of (M - identity)² (a
    ridge toward "no change", so a badly conditioned fit stays tame).
    """
    F = terms(X, n)
    sw = np.sqrt(1.0 / (Y @ Y_WEIGHTS + 0.05))[:, None]
    eye = identity_terms(n)
    lam = ridge * len(X)
    if not constrained:
        A = F * sw
        return np.linalg.solve(A.T @ A + lam * np.eye(n), A.T @ (Y * sw) + lam * eye.T).T
    A = (F[:, :-1] - F[:, -1:]) * sw
    M = np.zeros((3, n))
    for c in range(3):
        b = (Y[:, c] - F[:, -1]) * sw[:, 0]
        m = np.linalg.solve(A.T @ A + lam * np.eye(n - 1), A.T @ b + lam * eye[c, :-1])
        M[c, :-1] = m
        M[c, -1] = 1 - m.sum()
    # root terms of a grey equal the grey, so rows summing to 1 keep greys grey
    return M


@dataclass
class ChartFit:
    """A chart fit: out = terms(curve(k * rgb)) @ matrix.T, all linear sRGB.

    k: per-channel grey-row balance and exposure; curve: tone-curve knots or
    None; matrix: 3x3 or 3x6; model: "3x3", "3x3 free", "root-poly 2", ...
    """

    k: np.ndarray
    curve: list | None
    matrix: np.ndarray
    model: str

    def predict(self, lin: np.ndarray) -> np.ndarray:
        x = np.asarray(lin, dtype=np.float64) * self.k
        if self.curve is not None:
            x = apply_curve(self.curve, x)
        return np.clip(terms(x, self.matrix.shape[1]) @ self.matrix.T, 0.0, 1.0)


def _model_name(model: ChartModel) -> str:
    return (("3x3" if model.terms == 3 else "root-poly 2") + ("" if model.constrained else " free")
            + ("" if model.curve == "knots" else f", curve {model.curve}") + (f", ridge {model.ridge:g}" if model.ridge else ""))


def fit_chart(measured: np.ndarray, *, use=None, model: tuple = ChartModel(6, True)) -> ChartFit:
    """Fit grey-row balance, a neutral-row tone curve and a colour transform, in linear RGB.

    measured: (24, 3) linear patch values in chart order. use: boolean mask of
    patches allowed in the fit (for leave-one-out); default all. model: a
    ChartModel or a tuple (terms 3 or 6, rows sum to 1[, black knot, ridge]). The balance comes from N8..N3.5 (white
    often clips, black is flare), each weighted by relative error.
    """
    measured = np.asarray(measured, dtype=np.float64)
    use = np.ones(24, bool) if use is None else np.asarray(use, bool)
    ok = use & (measured.max(axis=1) < 0.98) & (measured.min(axis=1) > 1e-4)
    wb = [i for i in _WB_PATCHES if ok[i]]
    if len(wb) < 2:
        wb = [i for i in GREY_ROW if ok[i]]
    if not wb:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.dark")), fix=t("colour.chart_rejected.fix"))
    m, r = measured[wb], CHART_REFERENCE_LINEAR[wb]
    q = m / r  # relative: minimise sum((k m - r)/r)^2
    k = q.sum(axis=0) / (q * q).sum(axis=0)
    X = measured * k
    model = ChartModel(*model)
    curve = _tone_curve(X, ok, model.curve)
    if curve is not None:
        X = apply_curve(curve, X)
    M = _fit_terms(X[ok], CHART_REFERENCE_LINEAR[ok], model.terms, model.constrained, model.ridge)
    return ChartFit(k=k, curve=curve, matrix=M, model=_model_name(model))


def chart_delta_e(pred_lin: np.ndarray, idx) -> np.ndarray:
    """ΔE2000 of predicted patches (linear, (n, 3)) against the reference, as an 8-bit sRGB file holds them."""
    pred8 = linear_to_srgb(np.clip(pred_lin, 0, 1).astype(np.float32))
    return delta_e_2000(srgb_to_lab(pred8), linear_to_lab(CHART_REFERENCE_LINEAR[idx]))


def leave_one_out(measured: np.ndarray, model: tuple) -> np.ndarray:
    """(24,) ΔE2000 of each patch predicted by a fit that never saw it (tone curve included)."""
    out = np.empty(24)
    for i in range(24):
        use = np.arange(24) != i
        out[i] = chart_delta_e(fit_chart(measured, use=use, model=model).predict(measured[i:i + 1]), [i])[0]
    return out


def best_chart_fit(measured: np.ndarray) -> tuple[ChartFit, np.ndarray, np.ndarray]:
    """The MODELS entry that predicts held-out patches best: (fit on all patches, in-sample ΔE, LOO ΔE).

    Score: leave-one-out mean ΔE2000 + half the neutral row's held out +
    half its in-sample. Greys count extra because a tinted grey shows on
    every product. The in-sample greys count because a curve through every
    grey has the white and black as knots in use, while holding one out makes
    it extrapolate: its held-out end greys are pessimistic. On 11 real
    charts (README, Colour) this takes the written neutral row from 1.15 to
    0.6 and the photos with a patch over 8 from 5 to 3, for 0.04 more held
    out. Clipped patches (`measurable`) hold no colour and are not scored.
    The figure reported for the chosen model is slightly optimistic (README:
    a nested check).
    """
    ok = measurable(measured)
    grey = ok & (np.arange(24) >= GREY_ROW[0])
    best = None
    for model in MODELS:
        loo = leave_one_out(measured, model)
        fit = fit_chart(measured, model=model)
        de = chart_delta_e(fit.predict(measured), np.arange(24))
        score = float(loo[ok].mean() + (0.5 * (loo[grey].mean() + de[grey].mean()) if grey.any() else 0.0))
        if best is None or score < best[1] - 1e-9:
            best = (fit, score, loo, de)
    return best[0], best[3], best[2]


def uncorrected_delta_e(measured: np.ndarray) -> np.ndarray:
    """(24,) ΔE2000 of the patches as the photo holds them (no correction): what a refused chart leaves."""
    return chart_delta_e(np.asarray(measured, dtype=np.float64), np.arange(24))


def correction_from_fit(fit: ChartFit, warnings: list[str] | None = None) -> Correction:
    """The Correction that applies `fit` to a photo: gains and exposure from its balance, its curve and matrix."""
    warnings = [] if warnings is None else warnings
    gains = gains_from_light(1.0 / fit.k, warnings)
    exposure = float(np.mean(fit.k / gains))
    cct, tint = cct_and_tint(gains)
    return Correction(gains=tuple(float(g) for g in gains), matrix=fit.matrix.tolist(), exposure=exposure,
                      method="chart", cct_k=cct, tint=tint, warnings=warnings, curve=fit.curve)


def correction_from_patches(p: np.ndarray, *, max_loo_mean_de: float = MAX_LOO_MEAN_DE,
                            max_loo_patch_de: float = MAX_LOO_PATCH_DE) -> Correction:
    """Colour correction from a chart's 24 measured patches (linear, chart order); see correction_from_chart.

    Clipped patches are left out of the fit and of its figures. The fit is
    used only when its leave-one-out error says it helps: no better than the
    uncorrected photo on the measurable patches and the correction is the
    identity (the chart says the photo is right, with a note); above
    MAX_LOO_MEAN_DE or one held-out patch above MAX_LOO_PATCH_DE the chart is
    refused (ReferenceRejected: glare, a shadow, not a ColorChecker).
    """
    if p[21] @ Y_WEIGHTS < 0.01:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.dark")), fix=t("colour.chart_rejected.fix"))
    ok = measurable(p)
    clipped = int((p.max(axis=1) >= 0.98).sum())
    if clipped > MAX_CLIPPED_PATCHES or ok[GREY_ROW].sum() < 3:
        raise ReferenceRejected(t("colour.chart_rejected", reason=t("colour.why.chart_overexposed", n=clipped)),
                                fix=t("colour.chart_rejected.fix"))
    warnings = []
    if p[18].max() >= 0.98:
        warnings.append(t("colour.warn.white_clipped"))
    if clipped > int(p[18].max() >= 0.98):
        warnings.append(t("colour.warn.patches_clipped", n=clipped))
    fit, de, loo = best_chart_fit(p)
    held, before = float(loo[ok].mean()), float(uncorrected_delta_e(p)[ok].mean())
    if held > max_loo_mean_de or float(loo[ok].max()) > max_loo_patch_de:
        worst = int(np.argmax(np.where(ok, loo, -1)))
        err = ReferenceRejected(
            t("colour.chart_rejected", reason=t("colour.why.fit_poor", mean=round(held, 2),
                                                 worst=round(float(loo[worst]), 1),
                                                 patch=CHART_PATCH_NAMES[worst],
                                                 limit=max_loo_mean_de)),
            fix=t("colour.chart_rejected.fit_fix"))
        # the figures, for the validation report (analyse keeps them with the error)
        err.fit = {"model": fit.model, "loo_mean_de": round(held, 3), "loo_max_de": round(float(loo[worst]), 3),
                   "worst_patch": CHART_PATCH_NAMES[worst], "uncorrected_de": round(before, 3),
                   "limit_de": max_loo_mean_de}
        raise err
    if held >= before:
        # the photo is already closer than any fit would make it: the chart says "leave it"
        corr = Correction(method="chart", warnings=warnings + [t("colour.warn.chart_already_right", mean=round(held, 2),
                                                                 before=round(before, 2))])
    else:
        corr = correction_from_fit(fit, warnings)
    grey = ok & (np.arange(24) >= GREY_ROW[0])
    # what the written file holds: the fit's patches, or the photo's own when it is left as it is
    corr.patch_delta_e = [float(v) for v in (uncorrected_delta_e(p) if held >= before else de)]
    corr.fit = {
        "model": fit.model,
        "mean_de": round(float(de[ok].mean()), 3), "max_de": round(float(de[ok].max()), 3),
        "neutral_de": round(float(de[grey].mean()), 3),
        "loo_mean_de": round(held, 3), "loo_max_de": round(float(loo[ok].max()), 3),
        "loo_neutral_de": round(float(loo[grey].mean()), 3),
        "loo_patch_de": [round(float(v), 3) for v in loo],
        "uncorrected_de": round(before, 3),
        "clipped": [CHART_PATCH_NAMES[i] for i in np.flatnonzero(~ok)],
        "applied": bool(held < before),
    }
    return corr


def correction_from_chart(img_u8: np.ndarray, *, max_loo_mean_de: float = MAX_LOO_MEAN_DE,
                          max_loo_patch_de: float = MAX_LOO_PATCH_DE) -> Correction:
    """Colour correction from a 24-patch ColorChecker Classic in the photo.

    Grey-row white balance and exposure, a per-channel tone curve from the
    neutral row, then a 3x3 or root-polynomial transform chosen by
    leave-one-out ΔE2000 on the chart itself (MODELS). patch_delta_e holds
    the in-sample ΔE2000 of each patch; fit holds the model and the
    in-sample / leave-one-out summary over the measurable (unclipped)
    patches, the uncorrected photo's ΔE2000 and the clipped patches' names.
    Raises ReferenceNotFound without a chart; ReferenceRejected when the
    chart is cut by the frame, too small, too dark, overexposed (more than
    MAX_CLIPPED_PATCHES clipped) or the fit would do harm.
    """
    img = check_image(img_u8)
    found = find_chart(img)
    if found is None:
        raise ReferenceNotFound(t("colour.no_chart"), fix=t("colour.no_chart.fix"))
    return correction_from_patches(found.patches, max_loo_mean_de=max_loo_mean_de, max_loo_patch_de=max_loo_patch_de)
