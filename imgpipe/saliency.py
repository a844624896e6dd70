"""Running a learned salient-object model (ONNX) on a photo: the product's probability map.

Works with the common exports (one image in, one map out):

- U²-Net / U²-Netp / silueta (rembg): 320x320 input, ImageNet mean/std;
- IS-Net (DIS, "isnet-general-use", @imgly's medium/small): 1024x1024, RGB/255 - 0.5 (std 1);
- BiRefNet-style: 1024x1024, ImageNet mean/std.

The normalisation is chosen from the model (its file name and metadata,
then its input size) unless `[cutout] model_normalise` names one. The map is
min-max normalised (the raw maps do not span 0-1; thresholding them at 0.5
loses dark products).

When `onnx` is installed, the model is rewritten in memory to take any height
and width (_dynamic: traced upsampling sizes become factors, float16 weights
float32) and a photo is fed at its own aspect: its long side at
`[cutout] model_size` (0 = the model's own size), its short side a multiple
of 64 (IS-Net on a 4:3 photo at 1024x768: 2.8 CPU-s instead of 4.1 at
1024x1024; see RUN_SIDE). If the rewritten model does not run, it is fed a
square: at `model_size` if its input can be resized so, else at its own size
(the quantised IS-Net).

A large float model (IS-Net medium) is also run as an int8 copy derived on
the user's machine (`quantise`: onnxruntime's static QDQ quantisation,
weights int8 per channel, activations uint8 calibrated (99.99th percentile)
on the demo shop's generated photos, checked against the float map) and kept
in the models folder's cache/ (cache_dir), named by the source model's sha256
and the recipe (QUANT). No derived weights ship with imgpipe. `imgpipe model install`
makes it, a run makes it when it is missing; when it cannot be made the float
model runs. Fed at QUANT_SIDE (benchmarks/model_speed.py, real set, model
CPU-s a photo side by side, cut-out IoU plain / scene: float 1024 2.97 s,
0.966 / 0.968; int8 960 1.26 s, 0.964 / 0.968; int8 1024 1.58 s, 0.967 / 0.966).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import contextlib
import io
import os
import tempfile

import cv2
import numpy as np

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HALF = ((0.5, 0.5, 0.5), (1.0, 1.0, 1.0))
NORMALISATIONS = {"imagenet": IMAGENET, "isnet": HALF}
DEFAULT_SIDE = 320      # px: a model whose input size is free and no side asked for
MIN_PEAK = 0.2          # a map whose highest value (0-1) stays below this found nothing
MULTIPLE = 64           # px: IS-Net halves its map 6 times (U²-Net 5); a fed side is a multiple of this
FEED_ASPECT = True      # feed a photo at its own aspect when the model can be rewritten to (load)
FEED = ":aspect64-fp32" if FEED_ASPECT else ""  # how a model is fed, in the cut-out's fingerprint (context.py)
QUANTISE = True         # run a large model as its int8 copy (derived on this machine, models cache) when there is one
QUANT = "int8qdq-pct1"  # the int8 recipe: in the copy's file name and the cut-out's fingerprint (feed_key)
QUANT_SIDE = 960        # px: the long side the int8 copy is fed at by default (at 1024: 1.58 s, over 1.5)
QUANT_MIN_BYTES = 4 << 20  # a smaller model gains nothing from int8: run as it is
CALIB_PHOTOS = 8        # demo photos the int8 copy's activations are calibrated on (~25 CPU-s and 1 GB each at 1024)
CALIB_SIDE = 1024       # px: their long side, fed at their aspect
AGREE_MIN = 0.9         # IoU (map >= 0.5) the int8 map must reach against the float map on a demo photo


@dataclass(frozen=True)
class ModelSpec:
    """How to feed a model: input/output names, square side (px) and normalisation."""

    input_name: str
    output_name: str
    side: int                # px: the photo is resized to side x side
    native: int | None       # px: the model's own fixed input side, None = any
    normalise: str           # "imagenet" | "isnet"
    aspect: bool = False     # fed at the photo's aspect: side = its long side (feed_size)

    @property
    def mean_std(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return NORMALISATIONS[self.normalise]


def choose_normalise(native: int | None, text: str, override: str = "auto") -> str:
    """'imagenet' or 'isnet' for a model: `override` unless "auto"; else by name/metadata `text`
    (birefnet -> imagenet, isnet/dis -> isnet), else by input size (1024 -> isnet, else imagenet)."""
    if override and override != "auto":
        if override not in NORMALISATIONS:
            raise ValueError(override)
        return override
    text = text.lower()
    if "birefnet" in text:
        return "imagenet"
    if "isnet" in text or "dis" in text.replace("\\", "/").split("/")[-1].split("-"):
        return "isnet"
    return "isnet" if native == 1024 else "imagenet"


def _native_side(session) -> int | None:
    shape = session.get_inputs()[0].shape
    return shape[-1] if isinstance(shape[-1], int) and shape[-1] > 0 else None


def _spec(session, path: Path, side: int, normalise: str, native: int | None = None,
          aspect: bool = False) -> ModelSpec:
    meta = session.get_modelmeta()
    text = " ".join([path.name, meta.graph_name or "", meta.producer_name or "", meta.description or "",
                     *(f"{k} {v}" for k, v in (meta.custom_metadata_map or {}).items())])
    native = native if aspect else _native_side(session)
    outputs = [o.name for o in session.get_outputs()]
    return ModelSpec(session.get_inputs()[0].name, "output" if "output" in outputs else outputs[0],
                     side or native or DEFAULT_SIDE, native, choose_normalise(native, text, normalise), aspect)


def _resized(path: Path, forget_shapes: bool = False) -> bytes | None:
    """The model with a free input height and width and its first output only; None without `onnx`.

    forget_shapes: also drop the shapes inferred for the fixed size (a quantised export keeps
    them, and the memory planner then reuses buffers of the old size)."""
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(str(path))
    graph = model.graph
    del graph.output[1:]  # the side outputs (deep supervision) are not needed
    for value in (graph.input[0], graph.output[0]):
        for dim, name in zip(list(value.type.tensor_type.shape.dim)[2:], ("height", "width")):
            dim.dim_param = name  # replaces the fixed value
    if forget_shapes:
        del graph.value_info[:]
    return model.SerializeToString()


def _dynamic(path: Path) -> tuple[bytes, int | None] | None:
    """(the model rewritten to take any height and width, its own fixed side or None); None without `onnx`.

    In memory only (the file is never written). Besides freeing the input's height and width
    and dropping the side outputs (_resized), it
    - turns each upsampling to a size traced at the export's input size (PyTorch's
      F.interpolate(x, size=y.shape[2:]): a constant 32x32 at 1024 px) into the same factor
      (x2), read from the shapes inferred at the export's size: the graph then holds at any
      side that is a multiple of MULTIPLE, and a photo can be fed at its own aspect;
    - computes in float32 what a float16 export (@imgly's IS-Net medium) stores in float16:
      onnxruntime has no float16 convolution on x86 and casts around each node
      (IS-Net medium at 768 px: 2.24 CPU-s instead of 2.44, the same mask).
    The shapes inferred for the fixed size are dropped afterwards."""
    try:
        import onnx
        from onnx import TensorProto, numpy_helper
    except ImportError:
        return None
    model = onnx.load(str(path))
    graph = model.graph
    dims = list(graph.input[0].type.tensor_type.shape.dim)
    native = dims[-1].dim_value if len(dims) == 4 and dims[-1].dim_value > 0 else None
    _sort(graph)  # a float16 export appends its casts at the end: shapes are inferred only in order
    inferred = []
    if native:
        # shapes are inferred on the graph without its weights (their shapes stand in): serialising
        # 88 MB of weights for onnx's shape inference cost more than the inference itself
        small = [i for i in graph.initializer if int(np.prod(i.dims)) <= 64]  # sizes, axes: their values count
        weights = [onnx.helper.make_tensor_value_info(i.name, i.data_type, i.dims) for i in graph.initializer
                   if int(np.prod(i.dims)) > 64]
        light = onnx.helper.make_model(onnx.helper.make_graph(graph.node, graph.name, [*graph.input, *weights],
                                                              graph.output, initializer=small),
                                       opset_imports=model.opset_import)
        light.ir_version = model.ir_version
        try:
            inferred = onnx.shape_inference.infer_shapes(light, data_prop=True).graph.value_info  # sizes from shapes
        except Exception:  # shapes not inferable: the upsamplings that lack them stay as they are
            pass
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*inferred, *graph.input, *graph.output]}
    nodes = []
    for node in graph.node:
        src, out = shapes.get(node.input[0] if node.input else ""), shapes.get(node.output[0])
        if (node.op_type == "Resize" and len(node.input) == 4 and node.input[3] and src and out
                and len(src) == len(out) == 4 and all(src + out)):
            factors = np.array([1, 1, out[2] / src[2], out[3] / src[3]], np.float32)
            nodes.append(onnx.helper.make_node("Constant", [], [node.output[0] + "_scales"],
                                               value=numpy_helper.from_array(factors)))
            node.input[:] = [node.input[0], node.input[1], node.output[0] + "_scales"]
        nodes.append(node)
    del graph.output[1:]  # the side outputs (deep supervision) are not needed
    producer = {out: i for i, node in enumerate(nodes) for out in node.output}
    kept, todo = set(), [graph.output[0].name]
    while todo:  # only what the map needs: the traced sizes no longer are (the export is not in order)
        i = producer.get(todo.pop())
        if i is not None and i not in kept:
            kept.add(i)
            todo += [name for name in nodes[i].input if name]
    del graph.node[:]
    graph.node.extend(node for i, node in enumerate(nodes) if i in kept)
    # float16 -> float32: weights, constants, casts, declared types
    for i, init in enumerate(graph.initializer):
        if init.data_type == TensorProto.FLOAT16:
            graph.initializer[i].CopyFrom(numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float32),
                                                                  init.name))
    for node in graph.node:
        for a in node.attribute:
            if node.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT16:
                a.i = TensorProto.FLOAT
            elif node.op_type == "Constant" and a.name == "value" and a.t.data_type == TensorProto.FLOAT16:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float32), a.t.name))
    for value in [*graph.input, *graph.output]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    del graph.value_info[:]
    for value in (graph.input[0], graph.output[0]):
        for dim, name in zip(list(value.type.tensor_type.shape.dim)[2:], ("height", "width")):
            dim.dim_param = name
    return model.SerializeToString(), native


def _sort(graph) -> None:
    """Put `graph`'s nodes in an order where each comes after the nodes whose outputs it reads."""
    nodes = list(graph.node)
    producer = {out: i for i, node in enumerate(nodes) for out in node.output}
    order, state = [], [0] * len(nodes)  # 0 unseen, 1 on the path, 2 placed
    for start in range(len(nodes)):
        if state[start]:
            continue
        state[start] = 1
        stack = [(start, iter(nodes[start].input))]
        while stack:  # depth first, without recursion (a graph is hundreds of nodes deep)
            i, inputs = stack[-1]
            for name in inputs:
                j = producer.get(name)
                if j is not None and state[j] == 0:
                    state[j] = 1
                    stack.append((j, iter(nodes[j].input)))
                    break
            else:
                stack.pop()
                state[i] = 2
                order.append(nodes[i])
    del graph.node[:]
    graph.node.extend(order)


def _session(source, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # photos run in parallel processes already
    options.inter_op_num_threads = 1
    # a pool thread that spins between operators burns CPU for no speed on a shared machine
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 4  # a model that fails at another size is fed at its own: no log
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


_loaded: dict = {}  # (path, mtime, side, normalise) -> (session, spec): loading takes longer than a run
PROBE = (128, 192)  # px (h, w): the rewritten model must map a small oblong image to a map of its size
# (192 is no multiple of 128: a model that needs more than MULTIPLE fails here, not on a photo)


LOCAL = "local"  # load(copy=LOCAL): the int8 copy this machine has, if any (a run passes the coordinator's choice)


def load(path: Path, side: int = 0, normalise: str = "auto", threads: int = 1, aspect: bool | None = None,
         copy: Path | str | None = LOCAL):
    """(onnxruntime session, ModelSpec) for a model file, kept per process.

    side: px the photo's long side is fed at (0 = the model's own size; never more).
    aspect: feed the photo at its own aspect (the short side a multiple of MULTIPLE) when the
    model can be rewritten so (_dynamic); None = FEED_ASPECT. Otherwise a square, at `side`
    when the model can be rewritten to it, else at its own size. Raises ImportError
    (onnxruntime not installed) or onnxruntime's error (not a model).
    copy: LOCAL = the int8 copy found beside the model on this machine (quantised), the float
    model without one; else exactly what the run's fingerprint names (chosen): that copy's path,
    or None for the float model. A chosen copy that does not load here (a Dask worker that cannot
    see it) raises ImgpipeError: it never falls back to the model the fingerprint does not name.
    """
    path = Path(path)
    aspect = FEED_ASPECT if aspect is None else aspect
    chosen = not (isinstance(copy, str) and copy == LOCAL)
    copy = (Path(copy) if copy else None) if chosen else quantised(path) if aspect else None
    key = (str(path), path.stat().st_mtime_ns, int(side), normalise, threads, aspect, str(copy or ""))
    if key not in _loaded:
        _loaded.clear()  # one model per process
        _loaded[key] = ((copy and _load_quantised(copy, path, side, normalise, threads, chosen))
                        or (aspect and _load_dynamic(path, side, normalise, threads))
                        or _load_square(path, side, normalise, threads))
    return _loaded[key]


def _load_quantised(copy: Path, path: Path, side: int, normalise: str, threads: int, chosen: bool = False):
    """(session, spec) of the model's int8 copy fed at its aspect; None (the copy removed) where it fails,
    or (chosen: the run's fingerprint names it) ImgpipeError saying so and how to fix it."""
    if chosen and not copy.is_file():
        raise ImgpipeError(t("model.copy_unseen", path=copy), fix=t("model.copy_unseen.fix"))
    try:
        session = _session(str(copy), threads)
        meta = session.get_modelmeta().custom_metadata_map or {}
        native = int(meta.get("imgpipe.native") or 0) or None
        long_side = max(MULTIPLE, (side or QUANT_SIDE) // MULTIPLE * MULTIPLE)
        spec = _spec(session, path, long_side, normalise, native=native, aspect=True)
        if _run(session, spec, np.zeros((*PROBE, 3), np.uint8), PROBE).shape != PROBE:
            raise ValueError(PROBE)
    except Exception as exc:  # a damaged copy: removed; the float model runs and the next fingerprint says so
        with contextlib.suppress(OSError):
            copy.unlink()
        if chosen:  # this run's fingerprint names the copy: the photo fails, the next run makes it anew
            raise ImgpipeError(t("model.copy_broken", path=copy, detail=str(exc).strip()[:200]),
                               fix=t("model.copy_broken.fix")) from None
        return None
    return session, spec


def _load_dynamic(path: Path, side: int, normalise: str, threads: int):
    """(session, spec) of the model rewritten to any height and width, or None where that fails."""
    try:
        rewritten = _dynamic(path)
    except Exception:  # not a graph onnx can read as one: the plain loader reports it
        return None
    if rewritten is None:
        return None
    data, native = rewritten
    long_side = min(side, native) if side and native else side or native or DEFAULT_SIDE
    long_side = max(MULTIPLE, long_side // MULTIPLE * MULTIPLE)
    try:
        session = _session(data, threads)
        spec = _spec(session, path, long_side, normalise, native=native, aspect=True)
        if _run(session, spec, np.zeros((*PROBE, 3), np.uint8), PROBE).shape != PROBE:
            return None
    except Exception:  # not fully convolutional as exported: a square feed
        return None
    return session, spec


def _load_square(path: Path, side: int, normalise: str, threads: int):
    session = _session(str(path), threads)
    spec = _spec(session, path, 0, normalise)
    if side and spec.native and side < spec.native:  # never larger than the model was made for
        for forget in (False, True):
            smaller = _resized(path, forget)
            if smaller is None:
                break
            at_side = ModelSpec(spec.input_name, spec.output_name, side, spec.native, spec.normalise)
            try:
                resized = _session(smaller, threads)
                _run(resized, at_side, np.zeros((side, side, 3), np.uint8))
            except Exception:  # not fully convolutional as exported: try without its shapes, else native
                continue
            return resized, at_side
    elif side and not spec.native:
        spec = ModelSpec(spec.input_name, spec.output_name, side, None, spec.normalise)
    return session, spec


def cache_dir(path: Path | None = None) -> Path:
    """Where derived copies of model `path` live: cache/ in the models folder it is installed in (the
    workspace's travels with it), else in the user's models folder."""
    from imgpipe.models import INDEX, user_models_dir

    folder = Path(path).parent if path is not None else None
    return (folder if folder is not None and (folder / INDEX).is_file() else user_models_dir()) / "cache"


def _copy_path(path: Path) -> Path | None:
    from imgpipe.fsutil import content_hash

    sha = content_hash(path)
    return cache_dir(path) / f"{sha[:16]}-{QUANT}.onnx" if sha else None


def quantised(path: Path) -> Path | None:
    """The model's int8 copy when it has been made (and QUANTISE), else None: the float model runs."""
    copy = _copy_path(Path(path)) if QUANTISE and FEED_ASPECT else None
    return copy if copy is not None and copy.is_file() else None


@dataclass(frozen=True)
class CopyState:
    """Where a model's int8 copy stands (doctor, init): "ready", "missing", "failed" (reason: why),
    or "small" (a model under QUANT_MIN_BYTES runs as it is); path: the copy's, made or to be made."""

    state: str
    path: Path | None = None
    bytes: int = 0
    reason: str = ""


def copy_state(path: Path) -> CopyState | None:
    """The int8 copy of model `path` (`pending`'s view); None when no copy is ever used (QUANTISE off)."""
    if not QUANTISE or not FEED_ASPECT:
        return None
    path = Path(path)
    copy = _copy_path(path)
    if copy is None:
        return None
    if copy.is_file():
        return CopyState("ready", copy, copy.stat().st_size)
    if path.stat().st_size < QUANT_MIN_BYTES:
        return CopyState("small")
    failed = copy.with_suffix(".failed.txt")
    if failed.is_file():
        reason = (failed.read_text(encoding="utf-8", errors="replace").strip().splitlines() or ["?"])[0]
        return CopyState("failed", copy, reason=reason[:200])
    return CopyState("missing", copy)


def feed_key(copy: Path | None) -> str:
    """How a model is fed, for the cut-out's fingerprint: FEED, or (its int8 `copy` runs) the copy's recipe."""
    return f":aspect64-{QUANT}" if copy else FEED


def default_side(copy: Path | None) -> int:
    """The long side (px) a model is fed at when `[cutout] model_size` is 0 (`copy`: its int8 copy runs)."""
    return QUANT_SIDE if copy else RUN_SIDE


def pending(path: Path | None, retry: bool = False) -> bool:
    """True when prepare(path, retry) would make the int8 copy now (missing, a large model, not failed
    before unless `retry`)."""
    if not path or not QUANTISE or not FEED_ASPECT:
        return False
    copy = _copy_path(Path(path))
    try:
        large = Path(path).stat().st_size >= QUANT_MIN_BYTES
    except OSError:
        return False
    return bool(copy) and large and not copy.is_file() and (retry or not copy.with_suffix(".failed.txt").exists())


def prepare(path: Path, retry: bool = False) -> Path | None:
    """The int8 copy of `path`, made now when it is missing (once: a failure is noted and not retried
    unless `retry`); None when the float model runs (small model, no onnx, quantisation failed)."""
    path = Path(path)
    copy = _copy_path(path) if QUANTISE and FEED_ASPECT else None
    if copy is None or copy.is_file():
        return copy
    failed = copy.with_suffix(".failed.txt")
    if failed.exists() and not retry:
        return None
    try:
        return quantise(path, copy)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the float model in use
        with contextlib.suppress(OSError):
            failed.parent.mkdir(parents=True, exist_ok=True)
            failed.write_text(f"{type(exc).__name__}: {exc}"[:2000], encoding="utf-8")
        return None


def calibration_photos(n: int = CALIB_PHOTOS) -> list[np.ndarray]:
    """n of the demo shop's generated photos (in the package), spread over its articles, RGB."""
    from PIL import Image

    from imgpipe.resources import builtin_dir

    files = sorted(p for p in (builtin_dir("samples") / "inbox").rglob("*")
                   if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [np.asarray(Image.open(p).convert("RGB")) for p in files[::max(1, len(files) // n)][:n]]


def quantise(path: Path, dest: Path, photos: list[np.ndarray] | None = None,
             min_bytes: int | None = None) -> Path | None:
    """Write the int8 copy of model `path` to `dest` (atomically); None for a model under min_bytes
    (default QUANT_MIN_BYTES).

    From the float rewrite (_dynamic): onnxruntime's quant_pre_process, then
    quantize_static (QDQ, weights int8 per channel, activations uint8 from the
    99.99th percentile of their values on `photos`, default calibration_photos(),
    fed at CALIB_SIDE at their aspect, one at a time). Kept only when its map of
    the first photo agrees with the float model's (AGREE_MIN). Raises on failure.
    """
    import onnx
    import onnxruntime as ort
    from onnxruntime import quantization as q

    path, dest = Path(path), Path(dest)
    if path.stat().st_size < (QUANT_MIN_BYTES if min_bytes is None else min_bytes):
        return None
    rewritten = _dynamic(path)
    if rewritten is None:
        raise ImportError("onnx")
    data, native = rewritten
    photos = calibration_photos() if photos is None else photos
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".quantise-", dir=dest.parent) as tmp:
        tmp = Path(tmp)
        (tmp / "float.onnx").write_bytes(data)
        session = _session(data, 1)
        spec = _spec(session, path, CALIB_SIDE, "auto", native=native, aspect=True)

        class Photos(q.CalibrationDataReader):  # one photo per collect: the activations of one in memory
            def __init__(self):
                self.start, self.end, self.at = 0, len(photos), 0

            def __len__(self):
                return len(photos)

            def set_range(self, start_index: int, end_index: int):
                self.start, self.end, self.at = start_index, end_index, start_index

            def get_next(self):
                if self.at >= min(self.end, len(photos)):
                    return None
                self.at += 1
                return {spec.input_name: _input(photos[self.at - 1], spec)}

        severity = ort.get_default_logger_severity() if hasattr(ort, "get_default_logger_severity") else 2
        ort.set_default_logger_severity(3)  # the pre-processing's notes on unused weights: not for users
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the calibrator prints its progress
                q.quant_pre_process(str(tmp / "float.onnx"), str(tmp / "pre.onnx"), skip_symbolic_shape=True)
                q.quantize_static(str(tmp / "pre.onnx"), str(tmp / "int8.onnx"), Photos(),
                                  quant_format=q.QuantFormat.QDQ, per_channel=True,
                                  activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8,
                                  calibrate_method=q.CalibrationMethod.Percentile,
                                  extra_options={"CalibPercentile": 99.99, "CalibStridedMinMax": 1})
        finally:
            ort.set_default_logger_severity(severity)
        model = onnx.load(str(tmp / "int8.onnx"))
        onnx.helper.set_model_props(model, {**{p.key: p.value for p in model.metadata_props},
                                            "imgpipe.native": str(native or 0), "imgpipe.recipe": QUANT,
                                            "imgpipe.source": path.name})
        onnx.save(model, str(tmp / "int8.onnx"))
        int8 = _session(str(tmp / "int8.onnx"), 1)
        check = ModelSpec(spec.input_name, spec.output_name, QUANT_SIDE, native, spec.normalise, True)
        a = normalised_map(_run(session, check, photos[0])) >= 0.5
        b = normalised_map(_run(int8, check, photos[0])) >= 0.5
        agree = float((a & b).sum()) / max(1, int((a | b).sum()))
        if a.any() and agree < AGREE_MIN:
            raise ValueError(f"int8 map agrees with the float map at IoU {agree:.3f} only")
        os.replace(tmp / "int8.onnx", dest)
    return dest


def feed_size(spec: ModelSpec, height: int, width: int) -> tuple[int, int]:
    """(h, w) px a photo of height x width is fed at: a square of spec.side, or (aspect) its long
    side at spec.side and its short side to the nearest multiple of MULTIPLE."""
    if not spec.aspect:
        return spec.side, spec.side
    short = max(MULTIPLE, round(spec.side * min(height, width) / max(height, width) / MULTIPLE) * MULTIPLE)
    return (spec.side, short) if height >= width else (short, spec.side)


def _run(session, spec: ModelSpec, img_u8: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """The raw map (float32, feed_size; or `size` (h, w)) for a photo (uint8 HxWx3 RGB, any size)."""
    out = session.run([spec.output_name], {spec.input_name: _input(img_u8, spec, size)})[0]
    return np.squeeze(out).astype(np.float32)


def _input(img_u8: np.ndarray, spec: ModelSpec, size: tuple[int, int] | None = None) -> np.ndarray:
    """The model's input (1x3xHxW float32, feed_size or `size`) for a photo (uint8 HxWx3 RGB)."""
    fh, fw = size or feed_size(spec, *img_u8.shape[:2])
    x = cv2.resize(img_u8, (fw, fh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    mean, std = spec.mean_std
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def normalised_map(raw: np.ndarray) -> np.ndarray:
    """A raw model map as 0-1: logits through a sigmoid, then min-max; all 0 when nothing stands out."""
    sal = raw.astype(np.float32)
    if sal.min() < 0 or sal.max() > 1:
        sal = 1.0 / (1.0 + np.exp(-sal))
    lo, hi = float(sal.min()), float(sal.max())
    if hi < MIN_PEAK or hi - lo < 1e-6:
        return np.zeros_like(sal)
    return (sal - lo) / (hi - lo)


def product_map(img_u8: np.ndarray, path: Path, side: int = 0, normalise: str = "auto",
                copy: Path | str | None = LOCAL) -> np.ndarray:
    """The product's probability map, float32 0-1 at the model's square side (resize it to the photo)."""
    session, spec = load(path, side, normalise, copy=copy)
    return normalised_map(_run(session, spec, img_u8))


RUN_SIDE = 0  # px the photo's long side is fed at by default: the model's own (IS-Net 1024), at the photo's
# aspect (FEED_ASPECT). IS-Net medium on the real set (benchmarks/cutout_sides.py, docs/roles.md), model CPU-s a
# photo and IoU plain / scene, measured side by side: square 1024 (before) 4.14 s, 0.970 / 0.966; aspect 1024
# 2.77 s, 0.966 / 0.967; aspect 896 2.04 s, 0.960 / 0.968; aspect 768 1.54 s, 0.946 / 0.968 (the canvas bags' rope
# straps, the embroidered bag's handle and the clear bottles on a 16:9 photo, 448 px high, are lost); aspect 640
# 1.16 s, 0.897 / 0.959. Fed at its aspect, IS-Net no longer doubts a generated white print on a dark tee at 768
# (100 % opaque; square 768: 80 %).


@dataclass(frozen=True)
class ModelChoice:
    """The shop's model and how to feed it (`[cutout] model`, `model_size`, `model_normalise`)."""

    path: Path
    side: int = 0            # px; 0 = RUN_SIDE (the model's own size)
    normalise: str = "auto"
    copy: Path | str | None = LOCAL  # the int8 copy to run (load): the run's fingerprint's, or LOCAL

    def product_map(self, img_u8: np.ndarray) -> np.ndarray:
        return product_map(img_u8, self.path, self.side or RUN_SIDE, self.normalise, self.copy)


def as_choice(model) -> ModelChoice | None:
    """A ModelChoice from a choice, a bare model path (default feeding) or None."""
    if model is None or isinstance(model, ModelChoice):
        return model
    return ModelChoice(Path(model))
