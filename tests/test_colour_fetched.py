"""Issue 29 on fetched real photos (not shipped): skipped when the folders are absent.

The booth photos (an industrial camera's linear data under TL84, CWF and D65
booth lights, 17-21° off white) with their chart masked are corrected whatever
the mask's size within ±5 %; every real chart is found where its verified
centres say. Data: ../shared/data/colour-real and /work/data/colour (each with
charts.json; see their README / SOURCES.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from imgpipe import colour as C

ROOT = Path(__file__).resolve().parents[1]
DIRS = [d for d in (ROOT.parent / "shared/data/colour-real", ROOT.parent.parent / "shared/data/colour-real",
                    Path("/work/data/colour")) if (d / "charts.json").is_file()]
PHOTOS = [(d, name, m) for d in DIRS for name, m in json.loads((d / "charts.json").read_text()).items()
          if (d / name).is_file()]
pytestmark = pytest.mark.skipif(not PHOTOS, reason="no fetched real chart photos here")


def load(d: Path, name: str, m: dict) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imdecode(np.frombuffer((d / name).read_bytes(), np.uint8), cv2.IMREAD_COLOR),
                       cv2.COLOR_BGR2RGB)
    if m.get("linear_data"):  # linear camera data: as the camera's sRGB JPEG would hold it
        rgb = C.linear_to_srgb(rgb.astype(np.float32) / 255)
    return rgb


def masked(img: np.ndarray, centres: np.ndarray, pitch: float, area: float) -> np.ndarray:
    """The photo with its chart hidden (0): the patches' hull grown by 0.8 pitch, its area times `area`."""
    hull = cv2.convexHull(centres.astype(np.float32))[:, 0]
    c = hull.mean(axis=0)
    grown = c + (hull - c) * (1 + 0.8 * pitch / np.maximum(np.linalg.norm(hull - c, axis=1, keepdims=True), 1))
    grown = c + (grown - c) * np.sqrt(area)
    m = np.zeros(img.shape[:2], np.uint8)
    cv2.fillPoly(m, [np.round(grown).astype(np.int32)], 1)
    out = img.copy()
    out[m.astype(bool)] = 0
    return out


BOOTHS = [p for p in PHOTOS if p[2].get("linear_data")]


@pytest.mark.slow
@pytest.mark.skipif(not BOOTHS, reason="no booth photos here")
@pytest.mark.parametrize("photo", BOOTHS, ids=[p[1] for p in BOOTHS])
def test_booth_photo_with_its_chart_masked_is_corrected_whatever_the_mask(photo):
    d, name, m = photo
    img = load(d, name, m)
    centres, pitch = np.array(m["centres"], float), float(m["pitch"])
    p, _ = C.sample_chart(img, centres, 0.2 * pitch)
    truth = (p[19:23] / C.CHART_REFERENCE_LINEAR[19:23]).mean(axis=0)  # the light, from the chart's greys
    assert C.angular_error(truth, (1, 1, 1)) > 15
    for area in (0.95, 1.0, 1.05):
        corr = C.estimate_auto(masked(img, centres, pitch, area))
        left = C.angular_error(1 / np.asarray(corr.gains), truth)
        assert corr.method == "backdrop" and left <= 2.0, (area, corr.method, left, corr.warnings)


@pytest.mark.slow
def test_every_real_chart_is_found_at_its_verified_centres():
    for d, name, m in PHOTOS:
        found = C.find_chart(load(d, name, m))
        assert found is not None, name
        assert np.abs(found.centres - np.array(m["centres"])).max() < 0.1 * m["pitch"], name
