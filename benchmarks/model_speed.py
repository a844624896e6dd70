"""Model CPU and IoU per variant of the model (float, int8 quantised, ...): `python benchmarks/model_speed.py DIR --model M.onnx`.

Variants of one model, each derived in WORK (never committed: derived weights
fall under the model's licence) from imgpipe's float32 rewrite
(saliency._dynamic: any height and width):

- fp32        imgpipe's feed today (onnxruntime's default ORT_ENABLE_ALL);
- fp32-basic  the same at ORT_ENABLE_BASIC (what ALL adds over BASIC);
- fp32-cache  loaded from the optimised model onnxruntime saved (`optimized_model_filepath`):
              does a cached optimised graph cut load or run time;
- dyn-u8 / dyn-s8pc   onnxruntime.quantization.quantize_dynamic (weights uint8 / int8 per channel;
              Conv -> ConvInteger, activations quantised per run);
- qdq-pc / qop-pc     quantize_static, QDQ / QOperator format, weights int8 per channel, activations
              uint8, MinMax calibration on CALIB photos (default: the repo's samples/inbox, generated
              studio shots, none of them in the real set), each fed at its own aspect like a photo;
- qdq-pc-rr   qdq-pc with reduce_range (7-bit weights: no u8s8 saturation on AVX2 without VNNI);
- qdq-pc-conv(-rr)     only Conv quantised; qdq-pc-u8u8 weights uint8; qdq-pc-ends the first two and
              last two Conv (and what follows) left float; qdq-pc-pct activations calibrated to their
              99.99th percentile instead of min-max;
- int8        what imgpipe makes and runs (saliency.quantise: qdq-pc-pct on the demo shop's photos,
              one photo per collect, checked against the float map).

For each variant and side (the photo's long side fed, at its aspect, as imgpipe
feeds it): load CPU s; per photo the CPU of session.run only (time.process_time,
all threads; the photos as stored, the same for every variant); the raw map's IoU
(min-max normalised, >= 0.5, resized to the photo) and the IoU of
`cutout.cut_out(photo, model_map=...)` (what imgpipe makes of the map), by kind
(plain-backdrop, scene). Maps are cached in WORK/maps so the cut-out scores can
be redone without running the model again.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))
from imgpipe import cutout, saliency  # noqa: E402
import cutout_real  # noqa: E402

VARIANTS = ("fp32", "fp32-basic", "fp32-cache", "dyn-u8", "dyn-s8pc", "qdq-pc", "qop-pc", "qdq-pc-rr",
            "qdq-pc-conv", "qdq-pc-conv-rr", "qdq-pc-u8u8", "qdq-pc-ends", "qdq-pc-pct", "qdq-pc-pct-ends", "int8")
CALIB_SIDE = 1024  # px: calibration photos fed at their aspect with this long side


def feed(photo: np.ndarray, spec: saliency.ModelSpec) -> np.ndarray:
    """The input tensor for a photo, exactly as imgpipe builds it."""
    return saliency._input(photo, spec)


def calibration_photos(folder: Path, n: int) -> list[np.ndarray]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    step = max(1, len(files) // n)
    return [np.asarray(Image.open(p).convert("RGB")) for p in files[::step][:n]]


def build(variant: str, model: Path, work: Path, calib: list[np.ndarray]) -> Path:
    """The variant's ONNX file in work (made once)."""
    from onnxruntime import quantization as q

    work.mkdir(parents=True, exist_ok=True)
    fp32 = work / "fp32.onnx"
    if not fp32.exists():
        fp32.write_bytes(saliency._dynamic(model)[0])
    if variant.startswith("fp32"):
        return fp32
    pre = work / "fp32-pre.onnx"
    if not pre.exists():
        try:
            q.quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=False)
        except Exception as exc:  # noqa: BLE001
            print(f"pre-process with symbolic shapes failed ({exc!r:.200}); without", flush=True)
            q.quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    out = work / f"{variant}.onnx"
    if out.exists():
        return out
    started = time.process_time()
    if variant == "int8":
        saliency.quantise(model, out)
    elif variant == "dyn-u8":
        q.quantize_dynamic(str(pre), str(out), weight_type=q.QuantType.QUInt8)
    elif variant == "dyn-s8pc":
        q.quantize_dynamic(str(pre), str(out), weight_type=q.QuantType.QInt8, per_channel=True)
    else:
        session = saliency._session(str(fp32), 1)
        spec = saliency._spec(session, model, CALIB_SIDE, "auto", native=1024, aspect=True)
        del session

        class Reader(q.CalibrationDataReader):
            def __init__(self):
                self.items = iter(calib)

            def get_next(self):
                photo = next(self.items, None)
                return None if photo is None else {spec.input_name: feed(photo, spec)}

        fmt = q.QuantFormat.QOperator if variant.startswith("qop") else q.QuantFormat.QDQ
        exclude = ends(pre) if "-ends" in variant else None
        q.quantize_static(str(pre), str(out), Reader(), quant_format=fmt, per_channel=True,
                          reduce_range="-rr" in variant, activation_type=q.QuantType.QUInt8,
                          weight_type=q.QuantType.QUInt8 if "-u8u8" in variant else q.QuantType.QInt8,
                          op_types_to_quantize=["Conv"] if "-conv" in variant else None,
                          nodes_to_exclude=exclude,
                          calibrate_method=q.CalibrationMethod.Percentile if "-pct" in variant
                          else q.CalibrationMethod.MinMax,
                          calibration_cache_path=str(work / ("calibration-pct.json" if "-pct" in variant
                                                             else "calibration.json")),
                          extra_options={"CalibPercentile": 99.99} if "-pct" in variant else None)
    print(f"built {variant} in {time.process_time() - started:.1f} CPU-s: {out.stat().st_size / 1e6:.1f} MB", flush=True)
    return out


def ends(path: Path, n: int = 2) -> list[str]:
    """The names of the first n Conv nodes and of every node after the last n-th Conv (the map's head)."""
    import onnx

    nodes = list(onnx.load(str(path), load_external_data=False).graph.node)
    convs = [i for i, node in enumerate(nodes) if node.op_type == "Conv"]
    keep = set(convs[:n]) | set(range(convs[-n], len(nodes)))
    return [nodes[i].name for i in sorted(keep) if nodes[i].name]


def session_for(variant: str, path: Path, work: Path):
    """(session, load CPU s) with imgpipe's options (one thread, no spinning), as the variant asks."""
    import onnxruntime as ort

    def options_():
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return options

    options = options_()
    if variant == "fp32-basic":
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    source = str(path)
    if variant == "fp32-cache":
        cached = work / "fp32-optimised.onnx"
        if not cached.exists():  # saved by a first load, not counted
            options.optimized_model_filepath = str(cached)
            ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
            options = options_()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        source = str(cached)
    started = time.process_time()
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return session, time.process_time() - started


def raw_iou(prob: np.ndarray, truth: np.ndarray) -> float:
    h, w = truth.shape
    pred = cv2.resize(prob, (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
    return cutout_real.scores(pred, truth)["iou"]


def measure(items: list[dict], variant: str, path: Path, side: int, model: Path, work: Path,
            cut: bool = True) -> list[dict]:
    session, load_cpu = session_for(variant, path, work)
    spec = saliency._spec(session, model, side, "auto", native=1024, aspect=True)
    session.run([spec.output_name], {spec.input_name: feed(items[0]["photo"], spec)})  # first run allocates
    maps = work / "maps" / f"{variant}-{side}"
    maps.mkdir(parents=True, exist_ok=True)
    rows = []
    for it in items:
        x = feed(it["photo"], spec)
        t0 = time.process_time()
        out = session.run([spec.output_name], {spec.input_name: x})[0]
        cpu = time.process_time() - t0
        prob = saliency.normalised_map(np.squeeze(out).astype(np.float32))
        np.save(maps / f"{it['name']}.npy", prob.astype(np.float16))
        row = {"variant": variant, "side": side, "photo": it["name"], "kind": it["kind"], "model_cpu": cpu,
               "load_cpu": load_cpu, "raw_iou": raw_iou(prob, it["truth"]), "cut_iou": None}
        if cut:
            row["cut_iou"] = cutout_real.scores(cutout.cut_out(it["photo"], model_map=prob).alpha >= 0.5,
                                                it["truth"])["iou"]
        rows.append(row)
    return rows


def interleaved(items: list[dict], runs: list[tuple[str, Path, int]], model: Path, work: Path) -> dict:
    """Model CPU s a photo of each (variant, file, side), run photo by photo in turn: load on a shared
    machine falls on all of them alike."""
    loaded = []
    for variant, path, side in runs:
        session = session_for(variant, path, work)[0]
        spec = saliency._spec(session, model, side, "auto", native=1024, aspect=True)
        session.run([spec.output_name], {spec.input_name: feed(items[0]["photo"], spec)})
        loaded.append((f"{variant} {side}", session, spec))
    cpu: dict = {name: [] for name, _, _ in loaded}
    for it in items:
        for name, session, spec in loaded:
            x = feed(it["photo"], spec)
            t0 = time.process_time()
            session.run([spec.output_name], {spec.input_name: x})
            cpu[name].append(time.process_time() - t0)
    return {name: float(np.mean(v)) for name, v in cpu.items()}


def summary(rows: list[dict]) -> dict:
    def mean(sel, k):
        vals = [r[k] for r in sel if r[k] is not None]
        return float(np.mean(vals)) if vals else float("nan")

    return {"model_cpu": mean(rows, "model_cpu"), "load_cpu": rows[0]["load_cpu"],
            **{f"{k}_{kind}": mean([r for r in rows if r["kind"] == kind], k)
               for k in ("raw_iou", "cut_iou") for kind in ("plain-backdrop", "scene")}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real", type=Path)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--variant", action="append", choices=VARIANTS, help="(repeat) default: all")
    ap.add_argument("--side", type=int, action="append", help="px, long side fed (repeat); default 1024")
    ap.add_argument("--calib", type=Path, default=Path(__file__).resolve().parents[1] / "samples" / "inbox")
    ap.add_argument("--calib-n", type=int, default=8)
    ap.add_argument("--work", type=Path, default=Path("/tmp/imgpipe-model-speed"))
    ap.add_argument("--no-cut", action="store_true", help="raw map IoU only (no cut_out)")
    ap.add_argument("--only", help="photos whose name holds one of these (comma-separated)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--interleave", action="store_true",
                    help="CPU only: every variant and side photo by photo in turn (no IoU)")
    args = ap.parse_args(argv)
    items = [it for it in cutout_real.read_set(args.real) if it["truth"] is not None
             and (not args.only or any(o in it["name"] for o in args.only.split(",")))]
    calib = calibration_photos(args.calib, args.calib_n)
    rows = []
    if args.interleave:
        runs = [(v, build(v, args.model, args.work, calib), side) for v in args.variant or VARIANTS
                for side in args.side or [1024]]
        for name, cpu in interleaved(items, runs, args.model, args.work).items():
            print(f"{name:17s} {cpu:8.2f} model CPU-s a photo (interleaved)", flush=True)
        return 0
    print(f"{'variant':11s} {'side':>5s} {'load s':>7s} {'model s':>8s} {'raw plain':>9s} {'raw scene':>9s} "
          f"{'cut plain':>9s} {'cut scene':>9s}", flush=True)
    for variant in args.variant or VARIANTS:
        try:
            path = build(variant, args.model, args.work, calib)
        except Exception as exc:  # noqa: BLE001 - a variant that cannot be built is reported, the rest measured
            print(f"{variant}: not built: {exc!r:.300}", flush=True)
            continue
        for side in args.side or [1024]:
            try:
                got = measure(items, variant, path, side, args.model, args.work, cut=not args.no_cut)
            except Exception as exc:  # noqa: BLE001
                print(f"{variant} {side}: does not run: {exc!r:.300}", flush=True)
                continue
            rows += got
            s = summary(got)
            print(f"{variant:11s} {side:5d} {s['load_cpu']:7.2f} {s['model_cpu']:8.2f} {s['raw_iou_plain-backdrop']:9.3f} "
                  f"{s['raw_iou_scene']:9.3f} {s['cut_iou_plain-backdrop']:9.3f} {s['cut_iou_scene']:9.3f}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
