"""The optional learned cut-out (`[cutout] model`: an ONNX salient-object model), on a stand-in model.

No real model weights ship with imgpipe or its tests; a stand-in with the
same inputs and outputs as a U²-Net export (1x3xSxS normalised RGB in,
1x1xSxS saliency out) is written with `onnx`: its saliency is the colour's
saturation, so it finds a navy shirt on a grey wooden floor, a scene the
classical cut-out refuses.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import studio_set
from imgpipe import cutout, framing, render
from imgpipe.catalog import PhotoRow
from imgpipe.context import Resources, article_context, plan_article
from imgpipe.errors import ConfigError
from imgpipe.profiles import RoleSpec, load_profile
from imgpipe.settings import Settings
from imgpipe.sheet import Product
from imgpipe.workspace import Workspace, init_workspace

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cutout import iou  # noqa: E402  (benchmarks/cutout.py)

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


pytestmark = pytest.mark.real_cutout  # what these tests check is the cut-out itself


def stand_in_model(path: Path, side: int = 320) -> Path:
    """An ONNX file shaped like a U²-Net export: saliency = sigmoid(6 (|r-g| + |g-b| - 1))."""
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Split", ["input"], ["r", "g", "b"], axis=1, num_outputs=3),
             helper.make_node("Sub", ["r", "g"], ["rg"]), helper.make_node("Abs", ["rg"], ["arg"]),
             helper.make_node("Sub", ["g", "b"], ["gb"]), helper.make_node("Abs", ["gb"], ["agb"]),
             helper.make_node("Add", ["arg", "agb"], ["sat"]), helper.make_node("Sub", ["sat", "one"], ["d"]),
             helper.make_node("Mul", ["d", "gain"], ["z"]), helper.make_node("Sigmoid", ["z"], ["output"])]
    graph = helper.make_graph(
        nodes, "stand-in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
                     helper.make_tensor("gain", TensorProto.FLOAT, [], [6.0])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def on_a_wooden_floor(photo: np.ndarray, alpha: np.ndarray, seed: int = 5) -> np.ndarray:
    """The product laid on grey floorboards of very different lightness: no backdrop to fit."""
    h, w = photo.shape[:2]
    rng = np.random.default_rng(seed)
    boards = np.repeat(rng.uniform(70, 200, (1, 14)), w // 14 + 1, axis=1)[:, :w]
    floor = np.repeat(boards[..., None], 3, axis=2).repeat(h, axis=0) + rng.normal(0, 3, (h, w, 3))
    a = alpha[..., None]
    return np.clip(photo * a + floor * (1 - a), 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def shirt_on_floor():
    case = replace(next(c for c in studio_set.CASES if c.name == "shirt-navy"), size=(900, 675))
    photo, alpha = studio_set.render(case)
    return on_a_wooden_floor(photo, alpha), alpha


@pytest.mark.slow  # 7.6 CPU-s
def test_a_model_cuts_the_product_out_of_a_scene(tmp_path, shirt_on_floor):
    scene, alpha = shirt_on_floor
    assert not framing.is_plain(framing.backdrop_noise(scene))
    assert not cutout.cut_out(scene).good  # the classical path has no backdrop to tell the product from
    cut = cutout.cut_out(scene, model_path=stand_in_model(tmp_path / "m.onnx"))
    assert cut.good
    assert iou(cut.alpha >= 0.5, alpha >= 0.5) >= 0.95
    # the white image from it: the floor gone, the shirt whole
    analysis = studio_set.true_analysis(alpha, (128, 128, 128), framing.backdrop_noise(scene))
    render._last_cut[:] = [None, None, None]
    spec = RoleSpec(width=600, height=600, fill=0.8)
    white = render.shape_white(scene, analysis, {}, spec, model=tmp_path / "m.onnx")[0]
    without = render.shape_white(scene, analysis, {}, spec)[0]
    pure = (white >= 250).all(-1).mean()
    assert 0.4 < pure < 0.9 and (without >= 250).all(-1).mean() < 0.15  # without: the photo, floor and all
    navy = (white[..., 2].astype(int) - white[..., 0] > 30).mean()  # the shirt's own pixels
    assert navy > 0.1


def _row(seq: int) -> PhotoRow:
    analysis = {"correction": {"gains": [1.0, 1.0, 1.0], "exposure": 1.0, "method": "backdrop"},
                "box": [0.2, 0.2, 0.8, 0.8], "size": [1000, 800], "backdrop": 0.8, "box_confident": True}
    return PhotoRow(seq, "A1", seq, ".jpg", f"sha{seq}", f"originals/x/A1-{seq:02d}.jpg", f"{seq}.jpg",
                    None, "photo", analysis, "k")


def test_a_model_redoes_exactly_the_cut_out_images():
    product = Product(article="A1", name="衬衫", category="服装", colours=("藏青",),
                      selling_points=tuple(f"卖点{i}" for i in range(5)))
    photos = [_row(1), _row(2)]
    profile = load_profile("tmall")

    def fingerprints(resources):
        jobs = plan_article(article_context(product, photos, resources=resources), profile, Settings())
        return {(j.role, j.path): j.fingerprint for j in jobs}

    before = fingerprints(Resources("", "", "zh"))
    after = fingerprints(Resources("", "", "zh", cutout="a-model-hash"))
    changed = {role for (role, _), fp in before.items() if after[(role, _)] != fp}
    assert changed == {"white", "transparent"}


def test_model_setting_errors_name_the_key_and_the_fix(tmp_path, block_import):
    root = tmp_path / "shop"
    init_workspace(root)
    toml = root / "imgpipe.toml"
    base = toml.read_text(encoding="utf-8")

    def open_with(model: str) -> Workspace:
        toml.write_text(base.replace('model = ""', f'model = "{model}"', 1), encoding="utf-8")
        return Workspace.open(root)

    with pytest.raises(ConfigError) as missing:
        open_with("models/u2netp.onnx").cutout_model
    assert missing.value.field == "cutout.model" and "u2netp.onnx" in str(missing.value)
    (root / "models").mkdir()
    (root / "models" / "broken.onnx").write_bytes(b"not a model")
    with pytest.raises(ConfigError) as broken:
        open_with("models/broken.onnx").cutout_model
    assert broken.value.field == "cutout.model" and "broken.onnx" in str(broken.value)
    good = stand_in_model(root / "models" / "m.onnx")
    assert open_with("models/m.onnx").cutout_model == good
    block_import("onnxruntime")
    cutout._session[:] = [None, None]  # loaded models are kept per process
    with pytest.raises(ConfigError) as runtime:
        open_with("models/m.onnx").cutout_model
    assert "onnxruntime" in str(runtime.value.fix)
