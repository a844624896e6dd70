"""Cut-out benchmark: how close is imgpipe's product mask to the true outline?

    python benchmarks/cutout.py [--case NAME] [--save DIR] [--seed N] [--size WxH]
    python benchmarks/cutout.py --real DIR [--model PATH]... [--out DIR] [--json] [--only NAME] [--no-run]
                                [--keep DIR] [--methods run,cut,grabcut,raw]

--real measures real photos with true masks instead (benchmarks/cutout_real.py
says how: through `imgpipe run` and cut_out directly, beside GrabCut).

Renders the generated studio set (tests/studio_set.py: known true outlines,
light on light, dark on dark, handles and straps, glossy highlights, contact
shadows, casts, noise, JPEG) and, per case, prints:

- IoU of the cut-out (alpha >= 0.5) with the true outline (alpha >= 0.5);
- boundary F-score (Perazzi et al. 2016, as in DAVIS): precision/recall of
  outline pixels matched within 0.8 % of the image diagonal;
- holes white: share of true through-hole pixels (holes of at least 0.01 %
  of the image) that are pure white (>= 250 in every channel) in the
  white-background image;
- lost: share of true product pixels (2 px inside the outline) the cut-out
  turned to backdrop;
- border: whether the framed white-background image's 1-px border is #FFFFFF;
- seconds per cut-out, wall clock and CPU (all threads of the process; the
  machine is shared, wall figures are indicative).

Targets (issue 13): IoU >= 0.95, holes white, nothing lost, border pure white.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
import time
from pathlib import Path

import cv2
import numpy as np

# appended, not prepended: PYTHONPATH=/another/tree measures that tree's imgpipe
sys.path.append(str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from imgpipe import cutout, framing  # noqa: E402
import studio_set  # noqa: E402


def iou(pred: np.ndarray, true: np.ndarray) -> float:
    union = (pred | true).sum()
    return float((pred & true).sum() / union) if union else 1.0


def _outline(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8))).astype(bool)


def boundary_f(pred: np.ndarray, true: np.ndarray, tolerance: float = 0.008) -> float:
    """F-score of outline pixels matched within `tolerance` x the image diagonal."""
    h, w = true.shape
    d = max(1, round(tolerance * np.hypot(h, w)))
    bp, bt = _outline(pred), _outline(true)
    if not bp.any() or not bt.any():
        return float(bp.any() == bt.any())
    # distance from every pixel to the nearest outline pixel of the other mask
    to_t = cv2.distanceTransform((~bt).astype(np.uint8), cv2.DIST_L2, 3)
    to_p = cv2.distanceTransform((~bp).astype(np.uint8), cv2.DIST_L2, 3)
    precision = float((to_t[bp] <= d).mean())
    recall = float((to_p[bt] <= d).mean())
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def measure(case: studio_set.StudioCase, seed: int = 7, save: Path | None = None) -> dict:
    photo, alpha_true = studio_set.render(case, seed)
    true = alpha_true >= 0.5
    t0, c0 = time.perf_counter(), time.process_time()
    cut = cutout.cut_out(photo)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    pred = cut.alpha >= 0.5
    white = cutout.on_white(cut)
    holes = studio_set.holes_of(alpha_true)
    # a few pixels enclosed where two fringe threads cross are no through-hole anyone sees
    _, labels, stats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8))
    holes = np.isin(labels, 1 + np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] >= 1e-4 * holes.size))
    holes_white = float((white[holes] >= 250).all(axis=-1).mean()) if holes.any() else float("nan")
    inner = cv2.erode(true.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    lost = float((~pred[inner]).mean())
    box = framing.find_product_box(photo)
    framed = cutout.white_background(photo, box, 800, 0.8)
    border = np.concatenate([framed[0], framed[-1], framed[:, 0], framed[:, -1]])
    if save:
        save.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(save / f"{case.name}-white.png"), cv2.cvtColor(framed, cv2.COLOR_RGB2BGR))
        cv2.imwrite(str(save / f"{case.name}-alpha.png"), (cut.alpha * 255).astype(np.uint8))
    return {
        "case": case.name, "iou": iou(pred, true), "bf": boundary_f(pred, true), "holes_white": holes_white,
        "lost": lost, "border": bool((border == 255).all()), "good": cut.good, "holes": cut.holes,
        "seconds": seconds, "cpu": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", help="only cases whose name contains this")
    ap.add_argument("--save", type=Path, help="write the white images and alphas here to look at")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--size", default="1200x900", help="photo size WxH (the cut-out is scale-sensitive: try 900x675)")
    ap.add_argument("--real", type=Path, help="a folder of real photos with masks (images/, masks/, SOURCES.md)")
    ap.add_argument("--model", type=Path, action="append",
                    help="--real: an ONNX model for the model path ([cutout] model); repeat to compare models")
    ap.add_argument("--out", type=Path, help="--real: write previews (cut-out on magenta) here")
    ap.add_argument("--json", action="store_true", help="--real: print one JSON document instead of the tables")
    ap.add_argument("--only", help="--real: only photos whose name contains this")
    ap.add_argument("--no-run", action="store_true", help="--real: skip `imgpipe run` (cut_out and GrabCut only)")
    ap.add_argument("--keep", type=Path, help="--real: keep the benchmark workspaces here (and reuse them)")
    ap.add_argument("--methods", default="run,cut,grabcut",
                    help="--real: which of run, cut, grabcut, raw (the model's own map, a reference) to measure; "
                         "run:LABEL, cut:LABEL (classical, or a model's file stem) for one variant only")
    args = ap.parse_args(argv)
    if args.real:
        import cutout_real

        result = cutout_real.measure_real(args.real, args.model, args.out, args.only, args.no_run, args.keep,
                                          tuple(args.methods.split(",")))
        if args.json:
            print(json.dumps(result, ensure_ascii=False, indent=1))
        else:
            cutout_real.print_table(result)
        return 0
    size = tuple(int(v) for v in args.size.lower().split("x"))
    cases = [replace(c, size=size) for c in studio_set.CASES if not args.case or args.case in c.name]
    print(f"{'case':24} {'IoU':>6} {'BF':>6} {'holes':>6} {'lost':>6} {'border':>6} {'good':>5} {'s':>5} {'cpu':>5}")
    rows = []
    for case in cases:
        r = measure(case, args.seed, args.save)
        rows.append(r)
        hw = "-" if np.isnan(r["holes_white"]) else f"{r['holes_white']:.3f}"
        print(f"{r['case']:24} {r['iou']:6.3f} {r['bf']:6.3f} {hw:>6} {r['lost']:6.3f} "
              f"{'white' if r['border'] else 'NO':>6} {str(r['good']):>5} {r['seconds']:5.1f} {r['cpu']:5.1f}", flush=True)
    ok = all(r["iou"] >= 0.95 and r["lost"] <= 0.01 and r["border"]
             and (np.isnan(r["holes_white"]) or r["holes_white"] >= 0.98) for r in rows)
    print(f"mean IoU {np.mean([r['iou'] for r in rows]):.3f}, mean BF {np.mean([r['bf'] for r in rows]):.3f}: "
          f"CPU {np.mean([r['cpu'] for r in rows]):.2f} s per photo: "
          f"{'PASS' if ok else 'FAIL'} (IoU >= 0.95, lost <= 1 %, holes >= 98 % white, border pure white)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
