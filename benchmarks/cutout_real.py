"""Cut-outs on real photos with true masks: `python benchmarks/cutout.py --real DIR [--model PATH]`.

DIR holds images/NAME.jpg and masks/NAME.png (0/255, same size; built by
benchmarks/fetch_cutout_real.py, whose SOURCES.md says which photo is a
plain-backdrop shot and which a scene). Methods, each measured per photo:

- run:classical / run:model — what users get. All photos go through one
  `imgpipe run` in a temporary workspace, each photo its own article, on a
  platform that makes only the transparent image (transparent.png, 800x800,
  fill 0.9, like Tmall's 透明素材图); its alpha is mapped back onto the photo
  with the framing the catalog records (the photo's product box `analysis.box`
  and where the output put it, `meta.product_box`; a close-up is the centred
  crop scaled to the frame). `[cutout] model` is set for run:model.
  CPU: the `imgpipe run` process's CPU seconds (all threads, children) over
  the photo count: ingest, analysis and colour included.
- cut:classical / cut:model — `imgpipe.cutout.cut_out(photo[, model_path])`
  called directly on the photo as stored (<= 1600 px); CPU of that call.
- grabcut — OpenCV GrabCut from a rectangle 5 % inside the frame, 5
  iterations, on the photo scaled to <= 800 px long side, mask scaled back.

Figures: IoU (alpha >= 0.5 vs mask), boundary F (outline pixels matched within
0.75 % of the image diagonal), lost (share of the true product predicted
backdrop), kept (share of the true backdrop predicted product), declined (no
cut-out: the image shows the uncut photo, or nothing at all), CPU s per photo.
Means are split by kind.
--out writes NAME-METHOD.png previews: the cut-out on magenta (holes, halos
and kept backdrop show there).
"""

from __future__ import annotations

import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH: another tree can be measured
import imgpipe  # noqa: E402
from imgpipe import cutout  # noqa: E402

CODE = Path(imgpipe.__file__).resolve().parents[1]  # the tree measured; `imgpipe run` is run from it too

BF_TOLERANCE = 0.0075  # boundary F: outline pixels match within 0.75 % of the image diagonal
GRABCUT_PX = 800       # GrabCut works on the photo scaled to this long side (it is O(pixels) per iteration)
FRAME_PX = 800         # the transparent image's side in the benchmark's platform

PLATFORM = """\
label_zh = "抠图基准"
label_en = "cut-out benchmark"
formats = ["png"]
flatten_alpha = false
[roles.transparent]
width = {px}
height = {px}
count = 1
fill = 0.90
watermark = "none"
format = "png"
""".format(px=FRAME_PX)


def read_set(root: Path) -> list[dict]:
    """The photos of a real set: name, kind, photo (uint8 RGB), truth (bool; None for unmasked/), paths."""
    kinds = {}
    sources = root / "SOURCES.md"
    if sources.exists():
        for line in sources.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 2 and cells[1] in ("plain-backdrop", "scene"):
                kinds[cells[0]] = cells[1]
    items = []
    for image in sorted((root / "images").glob("*.jpg")):
        mask = root / "masks" / f"{image.stem}.png"
        if not mask.exists():
            continue
        photo = np.asarray(Image.open(image).convert("RGB"))
        truth = np.asarray(Image.open(mask).convert("L")) >= 128
        if truth.shape != photo.shape[:2]:
            raise SystemExit(f"{mask}: {truth.shape[::-1]} is not the photo's size {photo.shape[1::-1]}")
        items.append({"name": image.stem, "kind": kinds.get(image.stem, "?"), "image": image,
                      "photo": photo, "truth": truth})
    for image in sorted((root / "unmasked").glob("*.jpg")):  # no truth: run and looked at only
        items.append({"name": image.stem, "kind": "unmasked", "image": image,
                      "photo": np.asarray(Image.open(image).convert("RGB")), "truth": None})
    return items


def scores(pred: np.ndarray, truth: np.ndarray | None) -> dict:
    """IoU, boundary F, lost and kept of a predicted product mask (bool) against the truth (None: no figures)."""
    from cutout import boundary_f, iou  # benchmarks/cutout.py

    if truth is None:
        return {"iou": None, "bf": None, "lost": None, "kept": None}
    return {"iou": iou(pred, truth), "bf": boundary_f(pred, truth, BF_TOLERANCE),
            "lost": float((~pred[truth]).mean()) if truth.any() else 0.0,
            "kept": float(pred[~truth].mean()) if (~truth).any() else 0.0}


def grabcut(photo: np.ndarray) -> np.ndarray:
    """GrabCut from a rectangle 5 % inside the frame: alpha 0/1 (float32) at the photo's size."""
    h, w = photo.shape[:2]
    f = min(1.0, GRABCUT_PX / max(h, w))
    small = cv2.resize(photo, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA) if f < 1 else photo
    sh, sw = small.shape[:2]
    rect = (round(sw * 0.05), round(sh * 0.05), round(sw * 0.9), round(sh * 0.9))
    mask = np.zeros((sh, sw), np.uint8)
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, bgd, fgd, 5, cv2.GC_INIT_WITH_RECT)
    fg = np.isin(mask, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.float32)
    return cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR)


def direct(photo: np.ndarray, model: Path | None) -> tuple[np.ndarray, float, bool, str | None]:
    """(alpha, CPU s, good, error) of imgpipe.cutout.cut_out called on the photo itself."""
    started = time.process_time()
    try:
        cut = cutout.cut_out(photo, model_path=model)
    except Exception as exc:  # noqa: BLE001 - an imgpipe bug on one photo: counted, the rest measured
        return np.zeros(photo.shape[:2], np.float32), time.process_time() - started, False, repr(exc)[:300]
    return cut.alpha, time.process_time() - started, cut.good, None


_raw_sessions: dict = {}


def raw_model(photo: np.ndarray, model: Path) -> tuple[np.ndarray, float]:
    """(alpha, CPU s) of an IS-Net-style model's own map, without imgpipe: a reference for the model path.

    Fed as IS-Net expects (RGB/255 - 0.5 at the model's input size), its first
    output min-max normalised and resized to the photo.
    """
    import onnxruntime as ort

    if str(model) not in _raw_sessions:  # loading is not counted: a worker loads its model once
        _raw_sessions[str(model)] = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    sess = _raw_sessions[str(model)]
    started = time.process_time()
    inp = sess.get_inputs()[0]
    side = inp.shape[-1] if isinstance(inp.shape[-1], int) else 1024
    x = cv2.resize(photo, (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0 - 0.5
    sal = np.squeeze(sess.run(None, {inp.name: x.transpose(2, 0, 1)[None]})[0]).astype(np.float32)
    sal = (sal - sal.min()) / max(1e-6, float(sal.max() - sal.min()))
    alpha = cv2.resize(sal, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_LINEAR)
    return alpha, time.process_time() - started


# ---- imgpipe run: what users get ------------------------------------------------------------------

def article_of(i: int) -> str:
    return f"R{i + 1:03d}"


def code_env() -> dict:
    """The environment for `imgpipe` subprocesses: the same imgpipe tree as this process measures."""
    path = os.pathsep.join([str(CODE)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
    return {**os.environ, "PYTHONPATH": path, "PYTHONIOENCODING": "utf-8"}


def make_workspace(root: Path, items: list[dict], model: Path | None) -> None:
    """A workspace with one article per photo and a platform that makes only the transparent image."""
    root.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "imgpipe", "init", str(root)], check=True, capture_output=True,
                   cwd=root.parent, env=code_env())
    toml = root / "imgpipe.toml"
    text = toml.read_text(encoding="utf-8")
    text = re.sub(r"^platforms = .*$", 'platforms = ["cutbench"]', text, count=1, flags=re.M)
    text = text.replace('model = ""', f"model = {json.dumps(str(model))}" if model else 'model = ""', 1)
    toml.write_text(text, encoding="utf-8")
    (root / "profiles").mkdir(exist_ok=True)
    (root / "profiles" / "cutbench.toml").write_text(PLATFORM, encoding="utf-8")
    (root / "products.xlsx").unlink(missing_ok=True)
    rows = ["article,name,category"] + [f"{article_of(i)},{it['name']},bench" for i, it in enumerate(items)]
    (root / "products.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for i, it in enumerate(items):
        folder = root / "inbox" / article_of(i)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / it["image"].name).write_bytes(it["image"].read_bytes())


def run_imgpipe(root: Path) -> tuple[float, dict[str, str]]:
    """(CPU seconds of `imgpipe run` and its children, {article: error} for the images it failed to make).

    The run's figures are kept in root/../run.json; a kept workspace that has
    them is read again instead of run again (--keep DIR twice)."""
    record = root.parent / "run.json"
    if record.exists() and (root / ".imgpipe" / "catalog.sqlite").exists():
        kept = json.loads(record.read_text(encoding="utf-8"))
        return kept["cpu"], kept["errors"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "imgpipe", "-w", str(root), "run", "--jobs", "1", "--no-backup"],
                          capture_output=True, text=True, cwd=root.parent, env=code_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
    errors = {m.group(1): m.group(2).strip()[:300]
              for m in re.finditer(r"✗ output/cutbench/([^/]+)/\S+: (.*)", proc.stderr)}
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    record.write_text(json.dumps({"cpu": cpu, "errors": errors, "status": proc.returncode}), encoding="utf-8")
    return cpu, errors


def published(root: Path) -> dict[str, dict]:
    """Per article: the photo's analysis, the transparent image's path and its meta, from the catalog."""
    db = sqlite3.connect(root / ".imgpipe" / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    out = {}
    for row in db.execute("SELECT p.article, p.analysis, o.path, o.meta FROM photos p JOIN outputs o "
                          "ON o.photo_id = p.id WHERE o.role = 'transparent'"):
        out[row["article"]] = {"analysis": json.loads(row["analysis"] or "{}"), "path": root / row["path"],
                               "meta": json.loads(row["meta"] or "{}")}
    db.close()
    return out


def photo_box_px(analysis: dict, shape) -> tuple[int, int, int, int]:
    """The product box in photo pixels, as the renderer reads analysis["box"] (render._box_px)."""
    h, w = shape[:2]
    x0, y0, x1, y1 = analysis["box"]
    return int(x0 * w), int(y0 * h), int(round(x1 * w)), int(round(y1 * h))


def close_up(analysis: dict) -> bool:
    from imgpipe.analyse import is_close_up

    return is_close_up(analysis)


def framing_of(out_shape, analysis: dict, meta: dict, shape, centred: bool | None = None) -> tuple[float, float, float]:
    """(s, tx, ty): photo pixel (x, y) lands at output (s x + tx, s y + ty), from the catalog's boxes.

    Framed images: output = photo scaled by s about the product box, so s and
    the offset come from the photo's box and where the catalog says the
    output put it. Close-ups: the centred crop of the frame's aspect, scaled.
    centred: which of the two (None: a close-up as the measured imgpipe decides it).
    """
    h, w = shape[:2]
    oh, ow = out_shape[:2]
    if centred is None:
        centred = close_up(analysis)
    if centred or not meta.get("product_box"):
        cw, ch = (w, round(w * oh / ow)) if w * oh <= h * ow else (round(h * ow / oh), h)
        s = ow / cw
        tx, ty = -((w - cw) // 2) * s, -((h - ch) // 2) * s
    else:
        bx0, by0, bx1, by1 = photo_box_px(analysis, shape)
        ox0, oy0, ox1, oy1 = meta["product_box"]
        s = ((ox1 - ox0) / max(1, bx1 - bx0) + (oy1 - oy0) / max(1, by1 - by0)) / 2
        tx, ty = (ox0 + ox1) / 2 - s * (bx0 + bx1) / 2, (oy0 + oy1) / 2 - s * (by0 + by1) / 2
    return s, tx, ty


def _shade(rgb: np.ndarray) -> np.ndarray:
    """Mean log of the channels: a colour correction (gains per channel) only adds a constant to it."""
    return np.log1p(rgb.astype(np.float32)).mean(axis=-1)


def matched_framing(rgba: np.ndarray, photo: np.ndarray, s0: float, work_px: int = 400) -> tuple[float, float, float] | None:
    """(s, tx, ty) found by matching the output's opaque pixels against the photo over scales 0.5-2 x s0.

    For an imgpipe whose framing box is not the one the catalog records (a
    model's own box): multi-scale masked template matching at ~work_px.
    """
    opaque = rgba[..., 3] > 128
    if opaque.sum() < 400:
        return None
    ys, xs = np.nonzero(opaque)
    ox0, oy0, ox1, oy1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    tmpl = _shade(rgba[oy0:oy1, ox0:ox1, :3])
    mask = opaque[oy0:oy1, ox0:ox1].astype(np.float32)
    d = min(1.0, work_px / max(photo.shape[:2]))
    grey = _shade(photo)
    small = cv2.resize(grey, (max(1, round(grey.shape[1] * d)), max(1, round(grey.shape[0] * d))),
                       interpolation=cv2.INTER_AREA)
    best = None
    for k in range(-12, 13):
        s = s0 * 2 ** (k / 12)
        f = d / s  # output px -> working px
        tw, th = round(tmpl.shape[1] * f), round(tmpl.shape[0] * f)
        if tw < 8 or th < 8 or tw > small.shape[1] or th > small.shape[0]:
            continue
        t = cv2.resize(tmpl, (tw, th), interpolation=cv2.INTER_AREA)
        m = (cv2.resize(mask, (tw, th), interpolation=cv2.INTER_AREA) > 0.99).astype(np.float32)
        if m.sum() < 30:
            continue
        res = cv2.matchTemplate(small, t, cv2.TM_CCOEFF_NORMED, mask=m)
        res = np.nan_to_num(res, nan=-1.0, posinf=-1.0, neginf=-1.0)
        _, score, _, (x, y) = cv2.minMaxLoc(res)
        if best is None or score > best[0]:
            best = (score, s, x, y)
    if best is None:
        return None
    _, s, x, y = best
    return s, ox0 - s * x / d, oy0 - s * y / d


def map_back(out: np.ndarray, framing: tuple[float, float, float], shape) -> np.ndarray:
    """An output plane (alpha 0-1, or grey) laid back onto the photo: photo-sized, 0 where it shows none of it."""
    h, w = shape[:2]
    s, tx, ty = framing
    # photo pixel (x, y) -> output (s x + tx, s y + ty): sample the output there
    m = np.float32([[s, 0, tx], [0, s, ty]])
    return cv2.warpAffine(out.astype(np.float32), m, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0.0)


def registration(rgb_out: np.ndarray, alpha_out: np.ndarray, photo: np.ndarray, framing) -> float:
    """How well the mapped output matches the photo where it is opaque: correlation of shades (-1..1)."""
    grey_out = _shade(rgb_out)
    back = map_back(grey_out, framing, photo.shape)
    cover = map_back((alpha_out > 0.9).astype(np.float32), framing, photo.shape) > 0.99
    if cover.sum() < 100:
        return float("nan")
    a = back[cover]
    b = _shade(photo)[cover]
    return float(np.corrcoef(a, b)[0, 1])


def through_imgpipe(items: list[dict], model: Path | None, keep: Path | None = None) -> tuple[list[dict], float]:
    """Per photo: alpha mapped back, whether imgpipe declined, registration; and CPU s per photo."""
    with tempfile.TemporaryDirectory(prefix="cutbench-") as tmp:
        root = Path(keep or tmp) / "shop"
        if not (root / ".imgpipe" / "catalog.sqlite").exists():
            make_workspace(root, items, model)
        cpu, errors = run_imgpipe(root)
        made = published(root)
        # by name: a kept workspace may hold more photos than this run measures (--only)
        articles = {line.split(",")[1]: line.split(",")[0]
                    for line in (root / "products.csv").read_text(encoding="utf-8").splitlines()[1:] if line}
        results = []
        for i, it in enumerate(items):
            article = articles.get(it["name"], "")
            got = made.get(article)
            if got is None or not got["path"].exists():
                results.append({"alpha": np.zeros(it["photo"].shape[:2], np.float32), "declined": True,
                                "missing": True, "registration": float("nan"), "close_up": None,
                                "error": errors.get(article)})
                continue
            rgba = np.asarray(Image.open(got["path"]).convert("RGBA"))
            alpha_out = rgba[..., 3].astype(np.float32) / 255.0
            # framed about the recorded product box, a centred close-up, or where the output's pixels match
            # the photo (an imgpipe may frame by a box it does not record): the best match; imgpipe's own
            # decision when nothing is opaque to match
            # the box the output was framed by: the model's, when the run recorded it (meta.cutout.box)
            analysis = dict(got["analysis"])
            if (got["meta"].get("cutout") or {}).get("box"):
                analysis.update(box=got["meta"]["cutout"]["box"], box_confident=True, close_up=False)
            own = framing_of(alpha_out.shape, analysis, got["meta"], it["photo"].shape)
            candidates = [own, framing_of(alpha_out.shape, analysis, got["meta"], it["photo"].shape,
                                          not close_up(analysis))]
            found = matched_framing(rgba, it["photo"], own[0])
            if found:
                candidates.append(found)
            fits = [registration(rgba[..., :3], alpha_out, it["photo"], c) for c in candidates]
            best = max(range(len(candidates)), key=lambda i: -2.0 if np.isnan(fits[i]) else fits[i])
            if np.isnan(fits[best]) or fits[best] < fits[0] + 0.02:
                best = 0 if not np.isnan(fits[0]) else best
            frame = candidates[best]
            alpha = map_back(alpha_out, frame, it["photo"].shape)
            window = map_back(np.ones_like(alpha_out), frame, it["photo"].shape) > 0.5
            inside = alpha[window] >= 0.5
            declined = inside.all() or not inside.any()  # the uncut photo, or an empty image: no cut-out
            results.append({"alpha": alpha, "declined": bool(declined), "missing": False,
                            "registration": fits[best], "how": got["meta"].get("cutout"),
                            "framing": ["recorded", "recorded-other", "matched"][best],
                            "close_up": close_up(got["analysis"]), "error": errors.get(article)})
    return results, cpu / max(1, len(articles))  # the run's CPU over the photos it made


def preview(photo: np.ndarray, alpha: np.ndarray, path: Path) -> None:
    """The photo's cut-out on magenta, beside the photo (halos, holes and kept backdrop show)."""
    a = np.clip(alpha, 0, 1)[..., None]
    magenta = photo * a + np.array([255, 0, 255], np.float32) * (1 - a)
    sheet = np.concatenate([photo, magenta.astype(np.uint8)], axis=1)
    f = min(1.0, 1200 / sheet.shape[1])
    Image.fromarray(sheet).resize((round(sheet.shape[1] * f), round(sheet.shape[0] * f))).save(path)


METHODS = ("run", "cut", "grabcut", "raw")


def measure_real(root: Path, models: list[Path] | None = None, out: Path | None = None, only: str | None = None,
                 skip_run: bool = False, keep: Path | None = None, methods: tuple[str, ...] = METHODS[:3]) -> dict:
    """All methods on the set: {"photos": [...rows], "means": {...}}; see the module docstring."""
    items = [it for it in read_set(root) if not only or only in it["name"]]
    if not items:
        raise SystemExit(f"{root}: no images/NAME.jpg with masks/NAME.png")
    if out:
        out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []

    def add(it, method, alpha, cpu, declined, **extra):
        row = {"photo": it["name"], "kind": it["kind"], "method": method, **scores(alpha >= 0.5, it["truth"]),
               "declined": bool(declined), "cpu": cpu, **extra}
        rows.append(row)
        if out:
            preview(it["photo"], alpha, out / f"{it['name']}-{method.replace(':', '-')}.png")

    models = list(models or [])
    variants = [("classical", None)] + [("model" if len(models) == 1 else m.stem, m) for m in models]
    if not skip_run:
        for label, m in [(label, m) for label, m in variants if "run" in methods or f"run:{label}" in methods]:
            results, cpu = through_imgpipe(items, m, keep / label.replace(":", "-") if keep else None)
            for it, r in zip(items, results):
                add(it, f"run:{label}", r["alpha"], cpu, r["declined"], registration=r["registration"],
                    close_up=r["close_up"], missing=r["missing"], error=r["error"], how=r.get("how"),
                    framing=r.get("framing"))
    for label, m in [(label, m) for label, m in variants if "cut" in methods or f"cut:{label}" in methods]:
        if m is not None:
            cutout.load_model(m)  # loading is not counted: a worker loads its model once
        for it in items:
            alpha, cpu, good, error = direct(it["photo"], m)
            add(it, f"cut:{label}", alpha, cpu, not (alpha >= 0.5).any(), good=good, error=error)
    for m in models if "raw" in methods else ():
        for it in items:
            alpha, cpu = raw_model(it["photo"], m)
            add(it, f"raw:{m.stem}", alpha, cpu, not (alpha >= 0.5).any())
    for it in items if "grabcut" in methods else ():
        started = time.process_time()
        alpha = grabcut(it["photo"])
        add(it, "grabcut", alpha, time.process_time() - started, not (alpha >= 0.5).any())
    return {"set": str(root), "code": str(CODE), "models": [str(m) for m in models], "bf_tolerance": BF_TOLERANCE,
            "photos": rows, "means": means(rows)}


def means(rows: list[dict]) -> dict:
    """Per method and kind (plain-backdrop, scene, all): mean figures and the declined count."""
    out: dict = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        for kind in ("plain-backdrop", "scene", "all"):
            sel = [r for r in rows if r["method"] == method and r["iou"] is not None
                   and (kind == "all" or r["kind"] == kind)]
            if sel:
                out.setdefault(method, {})[kind] = {
                    "n": len(sel), **{k: float(np.mean([r[k] for r in sel])) for k in ("iou", "bf", "lost", "kept", "cpu")},
                    "declined": sum(r["declined"] for r in sel), "errors": sum(bool(r.get("error")) for r in sel)}
    return out


def print_table(result: dict) -> None:
    rows = result["photos"]
    methods = list(dict.fromkeys(r["method"] for r in rows))
    print(f"imgpipe from {result['code']}; models: {', '.join(result['models']) or 'none'}")
    print(f"per photo: IoU / boundary F ({result['bf_tolerance']:.2%} of the diagonal); D = declined (no cut-out), "
          "E = imgpipe failed (an error: no image)")
    print(f"{'photo':28s} {'kind':6s} " + " ".join(f"{m:>17s}" for m in methods))
    for name in dict.fromkeys(r["photo"] for r in rows):
        cells = {r["method"]: r for r in rows if r["photo"] == name}
        kind = next(iter(cells.values()))["kind"]
        line = " ".join(("     -      -" if c["iou"] is None else f"{c['iou']:6.3f} {c['bf']:6.3f}")
                        + f" {'E' if c.get('error') else 'D' if c['declined'] else ' ':>3s}"
                        for c in (cells[m] for m in methods))
        print(f"{name[:28]:28s} {kind[:6]:6s} {line}")
    print()
    print(f"{'method':20s} {'kind':15s} {'n':>3s} {'IoU':>6s} {'BF':>6s} {'lost':>6s} {'kept':>6s} {'decl':>5s} {'err':>4s} {'CPU s':>6s}")
    for method, kinds in result["means"].items():
        for kind, m in kinds.items():
            print(f"{method:20s} {kind:15s} {m['n']:3d} {m['iou']:6.3f} {m['bf']:6.3f} {m['lost']:6.3f} "
                  f"{m['kept']:6.3f} {m['declined']:5d} {m['errors']:4d} {m['cpu']:6.2f}")
    bad = [r for r in rows if r["method"].startswith("run:") and r.get("registration", 1) == r.get("registration", 1)
           and r.get("registration", 1) < 0.9]
    for r in rows:
        if r.get("error"):
            print(f"error: {r['photo']} {r['method']}: {r['error']}")
    for r in bad:
        print(f"note: {r['photo']} {r['method']}: the output maps back onto the photo with correlation "
              f"{r['registration']:.2f} only (colour-corrected or mis-registered)")
    print("run:* = the transparent image `imgpipe run` publishes, mapped back onto the photo (CPU: the whole run "
          "per photo); cut:* = imgpipe.cutout.cut_out on the photo directly; raw:* = the model's own map "
          "(IS-Net input, min-max), no imgpipe; grabcut = OpenCV, rect 5 % inside.")
