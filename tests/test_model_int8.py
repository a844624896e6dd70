"""The cut-out model's int8 copy (saliency.quantise / prepare / load), on a small generated conv model.

No real weights: a two-layer convolutional stand-in written with `onnx`
(saliency = sigmoid of the summed channel differences, like the stand-in of
test_cutout_model.py), quantised on two small generated photos.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from imgpipe import models, saliency
from imgpipe.context import _cutout_key
from imgpipe.fsutil import content_hash

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnxruntime.quantization")

SIDE = 64


def conv_model(path: Path, side: int = SIDE) -> Path:
    """1x3xSxS -> 1x1xSxS: sigmoid(10 (|r-g| + |g-b| + |r-b|) - 3), through Conv 3->6 (3x3), Relu, Conv 6->1."""
    from onnx import TensorProto, helper, numpy_helper

    w1 = np.zeros((6, 3, 3, 3), np.float32)
    for k, (a, b) in enumerate([(0, 1), (1, 2), (0, 2)]):
        w1[2 * k, a, 1, 1], w1[2 * k, b, 1, 1] = 1, -1
        w1[2 * k + 1, a, 1, 1], w1[2 * k + 1, b, 1, 1] = -1, 1
    w2 = np.full((1, 6, 1, 1), 10.0, np.float32)
    graph = helper.make_graph(
        [helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c1"], ["r1"]),
         helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"]),
         helper.make_node("Sigmoid", ["c2"], ["output"])],
        "conv-stand-in",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, side, side])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, side, side])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(np.zeros(6, np.float32), "b1"),
                     numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(np.array([-3.0], np.float32), "b2")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def photo(seed: int, h: int = 96, w: int = 128) -> np.ndarray:
    """A saturated blob on a grey backdrop, with noise."""
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 180, np.float32) + rng.normal(0, 4, (h, w, 3))
    yy, xx = np.mgrid[:h, :w]
    inside = (yy - h / 2) ** 2 / (h / 3) ** 2 + (xx - w / 2) ** 2 / (w / 4) ** 2 < 1
    img[inside] = (200 - seed * 10, 40, 60 + seed * 20)
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.fixture(autouse=True)
def setup(tmp_path, monkeypatch):
    """A data folder of their own; the conv stand-in counts as large; calibration on two small photos."""
    monkeypatch.setenv(models.DATA_ENV, str(tmp_path / "data"))
    monkeypatch.setattr(saliency, "QUANT_MIN_BYTES", 0)
    monkeypatch.setattr(saliency, "QUANT_SIDE", SIDE)
    monkeypatch.setattr(saliency, "calibration_photos", lambda n=0: [photo(1), photo(2)])
    saliency._loaded.clear()
    yield
    saliency._loaded.clear()


@pytest.fixture
def model(tmp_path) -> Path:
    return conv_model(tmp_path / "conv.onnx")


def key(path: Path) -> str:
    ws = SimpleNamespace(cutout_model=path, settings=SimpleNamespace(cutout=SimpleNamespace(model_size=0,
                                                                                             model_normalise="auto")))
    return _cutout_key(ws)


def test_int8_copy_is_made_once_keyed_by_the_model_and_used(model, tmp_path):
    float_key = key(model)
    assert float_key.endswith(saliency.FEED) and saliency.pending(model)
    float_map = saliency.product_map(photo(3), model)
    copy = saliency.prepare(model)
    assert copy == tmp_path / "data" / "models" / "cache" / f"{content_hash(model)[:16]}-{saliency.QUANT}.onnx"
    assert copy.is_file() and not saliency.pending(model)
    assert not [p for p in copy.parent.iterdir() if p != copy]  # nothing half-written left beside it
    # the fingerprint names the recipe and the side it is fed at: outputs made with float are redone
    assert key(model) != float_key and saliency.QUANT in key(model) and f":{SIDE}:" in key(model)
    session, spec = saliency.load(model)
    assert session.get_modelmeta().custom_metadata_map["imgpipe.recipe"] == saliency.QUANT
    assert spec.aspect and spec.side == SIDE
    int8_map = saliency.product_map(photo(3), model)
    a, b = float_map >= 0.5, int8_map >= 0.5
    assert a.any() and (a & b).sum() / (a | b).sum() > 0.95
    stamp = copy.stat().st_mtime_ns
    assert saliency.prepare(model) == copy and copy.stat().st_mtime_ns == stamp  # made once


def test_a_small_model_runs_as_it_is(model, monkeypatch):
    monkeypatch.setattr(saliency, "QUANT_MIN_BYTES", 10 << 20)
    assert not saliency.pending(model) and saliency.prepare(model) is None
    assert key(model).endswith(saliency.FEED) and not saliency.cache_dir(model).exists()


def test_quantisation_that_fails_leaves_the_float_model_and_is_not_retried(model, monkeypatch):
    from onnxruntime import quantization

    def broken(*args, **kwargs):
        raise RuntimeError("no int8 here")

    monkeypatch.setattr(quantization, "quantize_static", broken)
    assert saliency.prepare(model) is None
    note = next(saliency.cache_dir(model).glob("*.failed.txt"))
    assert "no int8 here" in note.read_text(encoding="utf-8")
    assert not saliency.pending(model) and saliency.pending(model, retry=True)
    assert not [p for p in saliency.cache_dir(model).iterdir() if p != note]
    assert key(model).endswith(saliency.FEED)
    session, spec = saliency.load(model)
    assert "imgpipe.recipe" not in (session.get_modelmeta().custom_metadata_map or {})


def test_a_damaged_copy_is_dropped_and_the_float_model_runs(model):
    copy = saliency.cache_dir(model) / f"{content_hash(model)[:16]}-{saliency.QUANT}.onnx"
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"not a model")
    assert saliency.QUANT in key(model)
    session, spec = saliency.load(model)
    assert "imgpipe.recipe" not in (session.get_modelmeta().custom_metadata_map or {})
    assert not copy.exists() and key(model).endswith(saliency.FEED)


def test_a_copy_that_disagrees_with_the_float_model_is_refused(model, monkeypatch):
    monkeypatch.setattr(saliency, "AGREE_MIN", 1.01)
    assert saliency.prepare(model) is None
    assert "agrees" in next(saliency.cache_dir(model).glob("*.failed.txt")).read_text(encoding="utf-8")
    assert saliency.quantised(model) is None


def test_model_install_makes_the_int8_copy(model, tmp_path):
    from click.testing import CliRunner

    from imgpipe.cli import main
    from imgpipe.messages import set_language, get_language

    before = get_language()
    try:
        set_language("en")
        got = CliRunner(env={"IMGPIPE_LANGUAGE": "en"}).invoke(
            main, ["-w", str(tmp_path), "model", "install", str(model), "--name", "conv"])
    finally:
        set_language(before)
    assert got.exit_code == 0, got.output
    installed = models.user_models_dir() / "conv.onnx"
    copy = saliency.quantised(installed)
    assert copy is not None and "int8 copy made" in got.output and copy.name in got.output.replace("\n", "")


@pytest.mark.slow  # 3 CPU-s
def test_a_run_makes_the_copy_before_the_photos_need_it(workspace, model, monkeypatch):
    from conftest import drop_photos
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace
    from test_models import set_model

    set_model(workspace, str(model))
    drop_photos(workspace, count=1, size=(320, 240))
    loaded_then, real = [], saliency.prepare
    monkeypatch.setattr(saliency, "prepare", lambda path, retry=False: loaded_then.append(dict(saliency._loaded))
                        or real(path, retry))
    summary = run(Workspace.open(workspace), platforms=["tmall"], jobs=1, backup=False)
    assert summary.ok, summary.failed
    assert loaded_then == [{}]  # made once, before any photo loaded the model
    copy = saliency.quantised(model)
    assert copy is not None and [key[-1] for key in saliency._loaded] == [str(copy)]  # the photos ran the copy


def test_an_installed_model_keeps_its_copy_in_its_own_folder(model, tmp_path):
    made = models.install(str(model), models.workspace_models_dir(tmp_path / "shop"), installed_at="2026-11-26T10:00:00")
    copy = saliency.prepare(made.path)
    assert copy is not None and copy.parent == tmp_path / "shop" / "models" / "cache"
    models.remove(made.name, made.path.parent)
    assert not copy.exists()


# --------------------------------------------------------------------------- Dask workers


@pytest.mark.slow  # ~15 CPU-s: a two-process cluster and six one-photo runs
@pytest.mark.real_cutout  # the workers cut out for real: so must the local runs they are compared with
def test_dask_workers_run_the_model_the_fingerprint_names(workspace, model, tmp_path, monkeypatch):
    """A worker whose own models folder lacks the int8 copy runs the copy the coordinator's fingerprint
    names, and one whose folder has a copy runs the float model when the fingerprint names float: the
    cut-outs are byte for byte those of a local run with the same fingerprint."""
    import shutil

    distributed = pytest.importorskip("distributed")
    from conftest import drop_photos
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace
    from test_models import set_model

    set_model(workspace, str(model))  # a file, not installed: its copy goes to the user's models folder
    toml = workspace / "imgpipe.toml"  # the conv stand-in is fed at 128 px, float and int8 alike
    toml.write_text(toml.read_text(encoding="utf-8").replace("# model_size = 0", "model_size = 128"),
                    encoding="utf-8")
    drop_photos(workspace, count=1, size=(320, 240))
    shops = {}
    for name in ("int8_local", "int8_dask", "float_local", "float_dask"):
        shops[name] = tmp_path / name
        shutil.copytree(workspace, shops[name])

    def cut_outs(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): p.read_bytes().hex()
                for p in sorted((root / "output").rglob("*")) if p.is_file() and p.parent.name in ("white", "transparent")}

    def go(name: str, **kw):
        summary = run(Workspace.open(shops[name]), platforms=["tmall"], backup=False, **kw)
        assert summary.ok, summary.failed
        return cut_outs(shops[name])

    coordinator, worker = tmp_path / "data", tmp_path / "worker-data"
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")  # set before the cluster starts: workers inherit them
    monkeypatch.setenv(models.DATA_ENV, str(worker))
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster:
        monkeypatch.setenv(models.DATA_ENV, str(coordinator))
        # the coordinator makes the copy (its fingerprint names int8); the worker's own folder has none
        int8_local = go("int8_local", jobs=1)
        assert saliency.quantised(model) is not None
        assert go("int8_dask", executor="dask", scheduler=cluster.scheduler_address) == int8_local
        assert not (worker / "models" / "cache").exists()
        # the worker's folder has a copy, the coordinator's fingerprint names float (no copy there)
        monkeypatch.setenv(models.DATA_ENV, str(worker))
        assert saliency.prepare(model) is not None
        monkeypatch.setenv(models.DATA_ENV, str(tmp_path / "data-float"))
        monkeypatch.setattr(saliency, "QUANT_MIN_BYTES", 10 << 20)  # no copy is made here
        float_local = go("float_local", jobs=1)
        assert saliency.quantised(model) is None and float_local != int8_local and len(float_local) >= 2
        assert go("float_dask", executor="dask", scheduler=cluster.scheduler_address) == float_local


def test_a_chosen_copy_runs_exactly_and_never_falls_back(model, tmp_path):
    """load(copy=...) runs what the run's fingerprint names: None = float though a copy is here; a copy
    this machine cannot see, or that does not load, is an error naming the file and the fix."""
    from imgpipe.errors import ImgpipeError

    copy = saliency.prepare(model)
    assert copy is not None
    session, _ = saliency.load(model, copy=None)
    assert "imgpipe.recipe" not in (session.get_modelmeta().custom_metadata_map or {})
    session, _ = saliency.load(model, copy=copy)
    assert session.get_modelmeta().custom_metadata_map["imgpipe.recipe"] == saliency.QUANT
    elsewhere = tmp_path / "not-shared" / copy.name
    with pytest.raises(ImgpipeError) as seen:
        saliency.load(model, copy=elsewhere)
    assert str(elsewhere) in seen.value.message and "--workspace-local" in seen.value.fix
    broken = tmp_path / "broken" / copy.name
    broken.parent.mkdir()
    broken.write_bytes(b"not a model")
    with pytest.raises(ImgpipeError) as seen:
        saliency.load(model, copy=broken)
    assert str(broken) in seen.value.message and not broken.exists()  # the next run makes it anew


def test_a_photo_whose_chosen_copy_is_unseen_fails_alone_with_the_fix(workspace, model, tmp_path, monkeypatch):
    """render_photo reports the photo (no output written, none recorded) instead of raising or
    running the float model under an int8 fingerprint."""
    from conftest import drop_photos
    from imgpipe.pipeline import run
    from imgpipe.render import render_photo
    from imgpipe.workspace import Workspace
    from test_models import set_model

    set_model(workspace, str(model))
    drop_photos(workspace, count=1, size=(320, 240))
    import imgpipe.pipeline as pipeline

    captured, real = {}, pipeline.render_photo
    monkeypatch.setattr(pipeline, "render_photo", lambda task, ctx: captured.update(task=task, ctx=ctx)
                        or real(task, ctx))
    assert run(Workspace.open(workspace), platforms=["tmall"], jobs=1, backup=False).ok
    ctx, task = captured["ctx"], captured["task"]
    assert ctx.cutout_copy == saliency.quantised(model) is not None  # the coordinator's choice travels
    ctx.cutout_copy = tmp_path / "elsewhere" / ctx.cutout_copy.name
    saliency._loaded.clear()
    result = render_photo(task, ctx)
    assert result.outputs == [] and "--workspace-local" in result.error["fix"]


# --------------------------------------------------------------------------- doctor says where the copy stands


def test_doctor_says_whether_the_int8_copy_is_made_and_how_to_make_it(workspace, model, tmp_path):
    import json

    from click.testing import CliRunner

    from imgpipe.cli import main
    from imgpipe.messages import get_language, set_language, t
    from test_models import set_model

    made = models.install(str(model), models.user_models_dir(), name="conv", installed_at="2026-11-26T10:00:00")
    set_model(workspace, "conv")
    before = get_language()

    def doctor(*more):
        try:
            got = CliRunner().invoke(main, ["-w", str(workspace), "doctor", *more])
        finally:
            set_language(before)
        assert got.exit_code == 0, got.output  # a copy not made (yet) is no failure: the run makes it
        return got

    missing = doctor()
    set_language("zh")
    assert "int8" in missing.output and f"imgpipe model install {model} --name conv" in missing.output
    assert json.loads(doctor("--json").stdout)["cutout_model"]["int8_copy"]["state"] == "missing"
    copy = saliency.prepare(made.path)
    ready = doctor()
    mb = f"{copy.stat().st_size / 2**20:.1f}"
    set_language("zh")
    assert t("model.copy_ready", path=copy, mb=mb) in ready.output.replace("\n", "")
    state = json.loads(doctor("--json").stdout)["cutout_model"]["int8_copy"]
    assert state == {"state": "ready", "path": str(copy), "bytes": copy.stat().st_size, "reason": None}
    copy.unlink()
    copy.with_suffix(".failed.txt").write_text("ValueError: int8 map agrees with the float map at IoU 0.5 only",
                                               encoding="utf-8")
    failed = doctor()
    assert "IoU 0.5" in failed.output and f"imgpipe model install {model} --name conv" in failed.output
