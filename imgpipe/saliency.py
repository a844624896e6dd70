"""Running a learned salient-object model (ONNX) on a photo: the product's probability map.

Works with the common exports (one image in, one map out):

- U²-Net / U²-Netp / silueta (rembg): 320x320 input, ImageNet mean/std;
- IS-Net (DIS, "isnet-general-use", @imgly's medium/small): 1024x1024, RGB/255 - 0.5 (std 1);
- BiRefNet-style: 1024x1024, ImageNet mean/std.

The normalisation is chosen from the model (its file name and metadata,
then its input size) unless `[cutout] model_normalise` names one. The map is
min-max normalised (the raw maps do not span 0-1; thresholding them at 0.5
loses dark products).

A model with a fixed input size is fed at that size, or, when `onnx` is
installed and a smaller `side` is asked for (`[cutout] model_size`), its input
is rewritten to that size in memory (IS-Net is fully convolutional: 768 px
costs 2.5 s CPU instead of 4.5 s at 1024 for IoU 0.965 instead of 0.970 on
real plain-backdrop photos, see RUN_SIDE). If the rewritten model does not run
(the quantised IS-Net), its own size is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
HALF = ((0.5, 0.5, 0.5), (1.0, 1.0, 1.0))
NORMALISATIONS = {"imagenet": IMAGENET, "isnet": HALF}
DEFAULT_SIDE = 320      # px: a model whose input size is free and no side asked for
MIN_PEAK = 0.2          # a map whose highest value (0-1) stays below this found nothing


@dataclass(frozen=True)
class ModelSpec:
    """How to feed a model: input/output names, square side (px) and normalisation."""

    input_name: str
    output_name: str
    side: int                # px: the photo is resized to side x side
    native: int | None       # px: the model's own fixed input side, None = any
    normalise: str           # "imagenet" | "isnet"

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


def _spec(session, path: Path, side: int, normalise: str) -> ModelSpec:
    meta = session.get_modelmeta()
    text = " ".join([path.name, meta.graph_name or "", meta.producer_name or "", meta.description or "",
                     *(f"{k} {v}" for k, v in (meta.custom_metadata_map or {}).items())])
    native = _native_side(session)
    outputs = [o.name for o in session.get_outputs()]
    return ModelSpec(session.get_inputs()[0].name, "output" if "output" in outputs else outputs[0],
                     side or native or DEFAULT_SIDE, native, choose_normalise(native, text, normalise))


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


def _session(source, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads  # photos run in parallel processes already
    options.inter_op_num_threads = 1
    options.log_severity_level = 4  # a model that fails at another size is fed at its own: no log
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


_loaded: dict = {}  # (path, mtime, side, normalise) -> (session, spec): loading takes longer than a run


def load(path: Path, side: int = 0, normalise: str = "auto", threads: int = 1):
    """(onnxruntime session, ModelSpec) for a model file, kept per process.

    side: px to feed a fixed-size model at (0 = its own size). Raises
    ImportError (onnxruntime not installed) or onnxruntime's error (not a model).
    """
    path = Path(path)
    key = (str(path), path.stat().st_mtime_ns, int(side), normalise, threads)
    if key not in _loaded:
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
                session, spec = resized, at_side
                break
        elif side and not spec.native:
            spec = ModelSpec(spec.input_name, spec.output_name, side, None, spec.normalise)
        _loaded.clear()  # one model per process
        _loaded[key] = session, spec
    return _loaded[key]


def _run(session, spec: ModelSpec, img_u8: np.ndarray) -> np.ndarray:
    """The raw map (float32 side x side) for a photo (uint8 HxWx3 RGB, any size)."""
    x = cv2.resize(img_u8, (spec.side, spec.side), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    mean, std = spec.mean_std
    x = (x - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    out = session.run([spec.output_name], {spec.input_name: np.ascontiguousarray(x.transpose(2, 0, 1)[None])})[0]
    return np.squeeze(out).astype(np.float32)


def normalised_map(raw: np.ndarray) -> np.ndarray:
    """A raw model map as 0-1: logits through a sigmoid, then min-max; all 0 when nothing stands out."""
    sal = raw.astype(np.float32)
    if sal.min() < 0 or sal.max() > 1:
        sal = 1.0 / (1.0 + np.exp(-sal))
    lo, hi = float(sal.min()), float(sal.max())
    if hi < MIN_PEAK or hi - lo < 1e-6:
        return np.zeros_like(sal)
    return (sal - lo) / (hi - lo)


def product_map(img_u8: np.ndarray, path: Path, side: int = 0, normalise: str = "auto") -> np.ndarray:
    """The product's probability map, float32 0-1 at the model's square side (resize it to the photo)."""
    session, spec = load(path, side, normalise)
    return normalised_map(_run(session, spec, img_u8))


RUN_SIDE = 0  # px a fixed-size model is fed at by default: its own. IS-Net medium on the real set
# (benchmarks/cutout_sides.py, docs/roles.md), IoU plain / scene and model CPU-s a photo: 1024 px 0.970 / 0.966,
# 4.5 s; 896 0.969 / 0.963, 3.3 s; 768 0.965 / 0.969, 2.5 s; 640 0.921 / 0.971, 1.7 s; 512 0.922 / 0.964, 1.1 s.
# 768 px holds the IoU targets at half the CPU, but IS-Net doubts a white print on a dark tee more there (up to
# 57 % of a letter below 0.05: taken for a hole, the print lost) while the real set's scissors handles need the
# hole rule that follows from that (cutout.MODEL_HOLE_SHARE); `[cutout] model_size = 768` for the faster one.


@dataclass(frozen=True)
class ModelChoice:
    """The shop's model and how to feed it (`[cutout] model`, `model_size`, `model_normalise`)."""

    path: Path
    side: int = 0            # px; 0 = RUN_SIDE (the model's own size)
    normalise: str = "auto"

    def product_map(self, img_u8: np.ndarray) -> np.ndarray:
        return product_map(img_u8, self.path, self.side or RUN_SIDE, self.normalise)


def as_choice(model) -> ModelChoice | None:
    """A ModelChoice from a choice, a bare model path (default feeding) or None."""
    if model is None or isinstance(model, ModelChoice):
        return model
    return ModelChoice(Path(model))
