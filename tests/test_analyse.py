"""The analysis stage (imgpipe/analyse.py): below the planner, light to import, and its close-up decision."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import studio_set
from imgpipe.analyse import AnalyseTask, analyse_photo, is_close_up, with_session_colour
from imgpipe.settings import ColourPlan
from test_plan import photo

ROOT = Path(__file__).resolve().parents[1]
AUTO = ColourPlan(mode="auto", strength=1.0, gains=())


def test_importing_the_planner_loads_neither_cv2_nor_the_renderer():
    """context.py plans from analyse.py's decisions: no image library, no renderer behind it."""
    probe = ("import imgpipe.context, json, sys; "
             "print(json.dumps(sorted(m for m in sys.modules if m == 'cv2' or m.startswith(('imgpipe', 'onnx')))))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout)
    assert "imgpipe.context" in loaded and "imgpipe.analyse" in loaded
    assert "cv2" not in loaded and "imgpipe.render" not in loaded
    assert not [m for m in loaded if m.startswith(("imgpipe.cutout", "imgpipe.saliency", "onnxruntime"))]


def _analysed(tmp_path: Path, name: str, pixels: np.ndarray) -> dict:
    Image.fromarray(pixels).save(tmp_path / name, quality=92)
    photo_id, analysis, error = analyse_photo(AnalyseTask(1, name, "photo", None, AUTO), tmp_path, 24.0)
    assert error is None and analysis is not None
    return analysis


def test_is_close_up_decides_on_real_analyses(tmp_path):
    """A whole mug on its sweep is framed; the same shot cropped into the mug (its edges cut) is a close-up."""
    case = next(c for c in studio_set.CASES if c.name == "mug-red")
    photo, alpha = studio_set.render(dataclasses.replace(case, size=(600, 450)))
    whole = _analysed(tmp_path, "whole.jpg", photo)
    assert whole["box_confident"] and not is_close_up(whole)
    ys, xs = np.nonzero(alpha >= 0.5)
    cy, cx = int(ys.mean()), int(xs.mean())
    detail = np.ascontiguousarray(photo[cy - 60:cy + 60, cx - 80:cx + 80])  # inside the mug: it fills the frame
    detail = np.asarray(Image.fromarray(detail).resize((480, 360), Image.LANCZOS))
    assert is_close_up(_analysed(tmp_path, "detail.jpg", detail))
    # the article's other shots can overrule the box: a backdrop that was the product's surface
    assert is_close_up(dict(whole, close_up=True))
    # a model's mask decides over the classical box (render: the model's own product box)
    assert not is_close_up(dict(whole, box=[0, 0, 1, 1], model_close_up=False, box_confident=True))
    assert is_close_up(dict(whole, model_close_up=True))


# with_session_colour: the analysis policy the planner applies (moved here from test_plan.py)


def test_close_ups_take_the_articles_studio_correction():
    photos = [photo(1, gains=(1.2, 1.0, 0.8)), photo(2, gains=(1.3, 1.0, 0.7)),
              photo(3, method="shades_of_grey", gains=(0.9, 1.0, 1.4), box=(0, 0, 1, 1))]
    fixed = with_session_colour(photos)
    assert fixed[0] is photos[0] and fixed[1] is photos[1]
    assert fixed[2].analysis["correction"]["method"] == "session"
    assert fixed[2].analysis["correction"]["gains"] == [1.25, 1.0, 0.75]
    # no studio shot in the article: nothing to share, the photo keeps its own estimate
    alone = [photo(4, method="shades_of_grey")]
    assert with_session_colour(alone) == alone


def test_a_photo_whose_light_strays_from_its_session_takes_the_session_light():
    photos = [photo(1, gains=(1.2, 1.0, 0.8)), photo(2, gains=(1.21, 1.0, 0.79)), photo(3, gains=(1.19, 1.0, 0.81)),
              photo(4, gains=(1.0, 1.0, 1.0))]  # a cream close-up passed off as a white backdrop
    fixed = with_session_colour(photos)
    assert [p.analysis["correction"]["method"] for p in fixed] == ["backdrop"] * 3 + ["session"]
    assert fixed[3].analysis["close_up"] and not fixed[0].analysis.get("close_up")  # its "backdrop" was product
    # two backdrop shots are too few to outvote one
    assert with_session_colour(photos[2:]) == photos[2:]
