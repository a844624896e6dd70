"""CPU and IoU of the model cut-out per input side: `python benchmarks/cutout_sides.py DIR --model M.onnx`.

For each model, feed (`--feed aspect`: the photo's long side at `side`, the
short side a multiple of 64, as imgpipe feeds it; `square`: side x side, as it
did before) and side (px, `[cutout] model_size`; 0 = the model's own), on
the real set DIR (benchmarks/cutout_real.py's layout): the model's map of each
photo (saliency.product_map; the session is loaded once, outside the timing,
as a worker does) and `cutout.cut_out(photo, model_map=...)` on it. Prints per
kind (plain-backdrop, scene): IoU, boundary F, model CPU s and cut + matte CPU
s per photo (process CPU, all threads; not wall). `--mp 24` scales each photo
(and its mask) up to 24 megapixels first, as a camera delivers it: the
model's CPU then includes shrinking it. The imgpipe measured is the
one Python imports (the installed one): `PYTHONPATH=. python benchmarks/cutout_sides.py ...`
measures this tree.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parents[1]))
from imgpipe import cutout, saliency  # noqa: E402
import cutout_real  # noqa: E402


def measure(items: list[dict], model: Path, side: int, threads: int = 1, feed: str = "aspect") -> list[dict]:
    """One row per photo: name, kind, iou, bf, model CPU s, cut CPU s."""
    session, spec = saliency.load(model, side, threads=threads, aspect=feed == "aspect")
    # the first run allocates and the first cut imports the matte's solver: not counted
    cutout.cut_out(items[0]["photo"], model_map=saliency.normalised_map(saliency._run(session, spec, items[0]["photo"])))
    rows = []
    for it in items:
        t0 = time.process_time()
        prob = saliency.normalised_map(saliency._run(session, spec, it["photo"]))
        t1 = time.process_time()
        cut = cutout.cut_out(it["photo"], model_map=prob)
        t2 = time.process_time()
        rows.append({"photo": it["name"], "kind": it["kind"], "side": spec.side, "model": model.stem,
                     "feed": "aspect" if spec.aspect else "square", "fed": list(prob.shape),
                     **cutout_real.scores(cut.alpha >= 0.5, it["truth"]), "model_cpu": t1 - t0, "cut_cpu": t2 - t1})
    return rows


def summary(rows: list[dict]) -> dict:
    out = {}
    for kind in ("plain-backdrop", "scene"):
        sel = [r for r in rows if r["kind"] == kind]
        if sel:
            out[kind] = {"n": len(sel), **{k: float(np.mean([r[k] for r in sel]))
                                           for k in ("iou", "bf", "model_cpu", "cut_cpu")}}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("real", type=Path)
    ap.add_argument("--model", type=Path, action="append", required=True)
    ap.add_argument("--side", type=int, action="append", help="px (repeat); 0 = the model's own")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--feed", action="append", choices=("aspect", "square"), help="(repeat) default: aspect")
    ap.add_argument("--mp", type=float, default=0, help="scale photos up to this many megapixels first")
    ap.add_argument("--only")
    ap.add_argument("--json", type=Path, help="also write every row here")
    args = ap.parse_args(argv)
    items = [it for it in cutout_real.read_set(args.real) if it["truth"] is not None
             and (not args.only or args.only in it["name"])]
    if args.mp:
        for it in items:
            h, w = it["truth"].shape
            f = (args.mp * 1e6 / (h * w)) ** 0.5
            size = (round(w * f), round(h * f))
            it["photo"] = cv2.resize(it["photo"], size, interpolation=cv2.INTER_CUBIC)
            it["truth"] = cv2.resize(it["truth"].astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    rows = []
    print(f"{'model':14s} {'feed':6s} {'side':>5s} {'kind':15s} {'n':>3s} {'IoU':>6s} {'BF':>6s} {'model s':>8s} {'cut s':>6s}")
    for model in args.model:
        for feed, side in [(f, s) for f in args.feed or ["aspect"] for s in args.side or [0]]:
            got = measure(items, model, side, args.threads, feed)
            rows += got
            for kind, m in summary(got).items():
                print(f"{model.stem:14s} {got[0]['feed']:6s} {got[0]['side']:5d} {kind:15s} {m['n']:3d} {m['iou']:6.3f} {m['bf']:6.3f} "
                      f"{m['model_cpu']:8.2f} {m['cut_cpu']:6.2f}", flush=True)
            if args.json:
                args.json.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
