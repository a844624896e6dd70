"""Throughput of imgpipe's full job against the codec floor, libvips and ImageMagick.

    python benchmarks/throughput.py [--photos 8] [--batch 500] [--jobs 1,2] [--noop 1000] [--from DIR]

Generates 24-megapixel camera-like JPEGs (textured product on a backdrop,
EXIF orientation on some, one Adobe RGB), then measures in one run:
  floor     reduced decode at the scale the outputs need + encoding the same
            output files (same sizes, same quality): the codec work alone
  imgpipe   the full job through pipeline.run (ingest, analyse, one decode,
            colour, every role of every platform, watermark, labels, byte caps;
            IMGPIPE_BROWSER=none: detail-page screenshots are excluded)
  libvips   pyvips shrink-on-load + the same output sizes/qualities (reference)
  magick    ImageMagick convert with jpeg:size hint, the same outputs (reference)
  memory    peak RSS of one worker on 24 MP input, and across a --batch run
  no-op     a second `run` over --noop catalogued photos (nothing to do)
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import pickle
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

os.environ["IMGPIPE_BROWSER"] = "none"
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VIPS_CONCURRENCY", "MAGICK_THREAD_LIMIT"):
    os.environ.setdefault(_v, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from imgpipe.settings import ColourPlan  # noqa: E402

AUTO = ColourPlan(mode="auto", strength=1.0, gains=())  # the default colour rules

HEADER = "货号,名称,类目,品牌,标题,颜色,面料,尺码,长,宽,高,说明,卖点,到货日期,价格"
ROW = ("{a},纯棉衬衫,服装,禾象,禾象纯棉衬衫男长袖,白色/藏青/红色,纯棉,S/M/L/XL,70,50,2,不可漂白,"
       "透气;柔软;不起球;免烫;亲肤,2026-11-24,199")


def _adobe_icc() -> bytes:
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "samples" / "make_samples.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_samples"] = mod  # its dataclasses look themselves up there
    spec.loader.exec_module(mod)
    return mod.adobe_rgb_icc()


def camera_photo(w: int, h: int, seed: int) -> np.ndarray:
    """A product with woven texture and shading on a graded backdrop, with sensor noise (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, w, dtype=np.float32)[None, :]
    img = np.empty((h, w, 3), np.float32)
    tone = 225 + 20 * (1 - y) - 8 * (x - 0.5) ** 2
    img[:] = tone[..., None]
    cx, cy, rx, ry = 0.5 + 0.05 * rng.standard_normal(), 0.52, 0.22, 0.3
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 1
    weave = (np.sin(x * w / 3.1) * np.sin(y * h / 2.7)) * 18
    colour = rng.uniform(30, 200, 3).astype(np.float32)
    shade = (0.75 + 0.35 * (1 - (x - cx + 0.3))).astype(np.float32)
    prod = colour[None, None, :] * shade[..., None] + weave[..., None]
    img = np.where(inside[..., None], prod, img)
    img += rng.normal(0, 3, (h // 4 + 1, w // 4 + 1, 3)).astype(np.float32).repeat(4, 0).repeat(4, 1)[:h, :w]
    return np.clip(img, 0, 255).astype(np.uint8)


def make_photos(folder: Path, count: int, long_side: int = 6000) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    w, h = long_side, long_side * 2 // 3
    icc = _adobe_icc()
    paths = []
    for i in range(count):
        arr = camera_photo(w, h, i)
        kw = {"quality": 92}
        if i % 3 == 1:  # camera held upright: pixels stored sideways, EXIF says rotate
            arr = np.ascontiguousarray(np.rot90(arr))
            exif = Image.Exif()
            exif[0x0112] = 6
            kw["exif"] = exif.tobytes()
        if i == 2:
            kw["icc_profile"] = icc
        path = folder / f"IMG_{i + 1:04d}.jpg"
        Image.fromarray(arr).save(path, "JPEG", **kw)
        paths.append(path)
    return paths


def new_workspace(base: Path, photos: list[Path], articles: int, jobs: int):
    from imgpipe.workspace import Workspace, init_workspace

    init_workspace(base)
    toml = (base / "imgpipe.toml").read_text(encoding="utf-8")
    (base / "imgpipe.toml").write_text(toml.replace("jobs = 0", f"jobs = {jobs}"), encoding="utf-8")
    names = [f"B{n:04d}" for n in range(articles)]
    (base / "products.csv").write_text("\n".join([HEADER] + [ROW.format(a=a) for a in names]) + "\n", encoding="utf-8")
    (base / "products.xlsx").unlink(missing_ok=True)
    for i, p in enumerate(photos):
        dest = base / "inbox" / names[i % articles] / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(p, dest)
    return Workspace.open(base)


# --- imgpipe ---------------------------------------------------------------------------------------

def imgpipe_run(photos, jobs, tmp: Path, articles: int) -> dict:
    from imgpipe.pipeline import run

    ws = new_workspace(tmp / f"ws-jobs{jobs}", photos, articles, jobs)
    t0 = time.perf_counter()
    summary = run(ws, jobs=jobs, backup=False)
    wall = time.perf_counter() - t0
    assert summary.ok, summary.failed[:3]
    return {"ws": ws, "summary": summary, "wall": wall, "render": sum(summary.photo_seconds)}


def photo_tasks(ws, summary):
    """The per-photo tasks of a finished run (all outputs), rebuilt for re-measuring."""
    from imgpipe.render import PhotoTask, RenderContext, source_long_side

    sheet = ws.sheet()
    by_photo = defaultdict(list)
    for job in summary.planned:
        by_photo[job.photo_id].append(job)
    tasks = []
    for p in ws.catalog.photos():
        jobs = by_photo.get(p.id)
        if jobs and p.analysis:
            task = PhotoTask(p.id, p.article, p.original, p.analysis, jobs)
            task.decode_long_side = source_long_side(p.analysis, jobs, ws.profiles)
            tasks.append(task)
    s = ws.settings
    ctx = RenderContext(ws.root, ws.profiles, sheet.products, s.watermark, s.soldout, ws.font_path(), s.language,
                        s.max_megapixels)
    return tasks, ctx


def output_specs(ws, task) -> list[tuple[str, int, int, int]]:
    """(path, width, height, quality) of each output file of a task, from the catalog."""
    out = []
    for job in task.jobs:
        row = ws.catalog.output(job.path)
        if row:
            out.append((job.path, row["width"], row["height"], row["quality"]))
    return out


# --- floor -----------------------------------------------------------------------------------------

def floor_time(ws, tasks) -> float:
    total = 0.0
    for task in tasks:
        specs = output_specs(ws, task)
        path = ws.root / task.original
        t0 = time.perf_counter()
        img = Image.open(path)
        w, h = img.size
        f = max(w, h) / task.decode_long_side
        img.draft("RGB", (int(w / f) + 1, int(h / f) + 1))
        img.load()
        total += time.perf_counter() - t0
        arr = np.asarray(img)
        for _, ow, oh, q in specs:  # pixels of the right size, made outside the clock
            pix = Image.fromarray(arr).resize((ow, oh), Image.Resampling.NEAREST)
            t0 = time.perf_counter()
            buf = io.BytesIO()
            pix.save(buf, "JPEG", quality=q, subsampling=0 if q >= 90 else 2)
            total += time.perf_counter() - t0
    return total


# --- references ------------------------------------------------------------------------------------

def vips_time(ws, tasks, out: Path) -> float | str:
    try:
        import pyvips
    except Exception as err:  # libvips shared library missing
        return f"unavailable ({type(err).__name__})"
    out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    for task in tasks:
        specs = output_specs(ws, task)
        src = str(ws.root / task.original)
        full = pyvips.Image.new_from_file(src, access="sequential")
        long_full = max(full.width, full.height)
        shrink = 1
        while shrink < 8 and long_full / (shrink * 2) >= task.decode_long_side:
            shrink *= 2
        img = pyvips.Image.new_from_file(src, shrink=shrink).autorot()
        if img.get_typeof("icc-profile-data"):
            img = img.icc_transform("srgb")
        img = img.copy_memory()
        for i, (_, ow, oh, q) in enumerate(specs):
            scale = ow / img.width
            r = img.resize(scale, vscale=oh / img.height) if abs(ow / oh - img.width / img.height) > 0.01 \
                else img.resize(scale)
            r = r.crop(0, 0, min(ow, r.width), min(oh, r.height))
            data = r.jpegsave_buffer(Q=q, subsample_mode="off" if q >= 90 else "on")
            (out / f"{task.photo_id}-{i}.jpg").write_bytes(data)
    return time.perf_counter() - t0


def magick_binary() -> str | None:
    for cand in ("magick", "/usr/bin/convert-im6.q16", "/usr/bin/convert", "convert"):
        exe = shutil.which(cand) or (cand if Path(cand).is_file() else None)
        if not exe:
            continue
        try:
            ver = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=10).stdout
        except Exception:
            continue
        if "ImageMagick" in ver:  # /usr/local/bin/convert may be a stand-in
            return exe
    return None


def magick_time(ws, tasks, out: Path) -> float | str:
    exe = magick_binary()
    if not exe:
        return "unavailable"
    out.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    for task in tasks:
        specs = output_specs(ws, task)
        d = task.decode_long_side
        cmd = [exe, "-limit", "thread", "1", "-define", f"jpeg:size={d}x{d}", str(ws.root / task.original),
               "-auto-orient", "-colorspace", "sRGB"]
        for i, (_, ow, oh, q) in enumerate(specs):
            cmd += ["(", "+clone", "-resize", f"{ow}x{oh}", "-gravity", "center", "-background", "white",
                    "-extent", f"{ow}x{oh}", "-quality", str(q), "-write", str(out / f"{task.photo_id}-{i}.jpg"),
                    "+delete", ")"]
        cmd += ["null:"]
        subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


# --- memory ----------------------------------------------------------------------------------------

def _worker_main(pickled: str, batch: int) -> None:
    """Subprocess: render tasks round-robin `batch` times; print RSS after the first photo and at the end."""
    from imgpipe.render import analyse_photo, AnalyseTask, render_photo, worker_init

    worker_init()
    tasks, ctx = pickle.loads(Path(pickled).read_bytes())

    def rss_mb():
        return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    def hwm_mb():
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    first = None
    for i in range(batch):
        task = tasks[i % len(tasks)]
        analyse_photo(AnalyseTask(task.photo_id, task.original, "photo", None, AUTO), ctx.root, ctx.max_megapixels)
        res = render_photo(task, ctx)
        assert not res.error, res.error
        if i == min(batch, len(tasks)) - 1:  # every kind of photo seen once: caches warm
            first = hwm_mb()
            rss_first = rss_mb()
    peak = hwm_mb()
    print(json.dumps({"peak_first_mb": first, "peak_mb": peak, "rss_first_mb": rss_first, "rss_end_mb": rss_mb()}))


def memory(tasks, ctx, tmp: Path, batch: int) -> dict:
    pickled = tmp / "tasks.pickle"
    pickled.write_bytes(pickle.dumps((tasks, ctx)))
    out = subprocess.run([sys.executable, __file__, "--_worker", str(pickled), "--batch", str(batch)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- no-op run -------------------------------------------------------------------------------------

def noop_run(tmp: Path, count: int) -> tuple[float, float]:
    """(first run, second run) seconds over `count` small catalogued photos."""
    from imgpipe.pipeline import run

    folder = tmp / "small"
    folder.mkdir()
    rng = np.random.default_rng(1)
    base = camera_photo(360, 240, 0)
    photos = []
    for i in range(count):
        p = folder / f"S_{i:05d}.jpg"
        arr = np.clip(base.astype(np.int16) + rng.integers(-3, 4, base.shape), 0, 255).astype(np.uint8)
        Image.fromarray(arr).save(p, quality=85)
        photos.append(p)
    ws = new_workspace(tmp / "ws-noop", photos, max(1, count // 10), os.cpu_count() or 1)
    t0 = time.perf_counter()
    first = run(ws, backup=False)
    t_first = time.perf_counter() - t0
    assert first.ok, first.failed[:3]
    from imgpipe.workspace import Workspace

    t0 = time.perf_counter()
    second = run(Workspace.open(ws.root), backup=False)
    t_noop = time.perf_counter() - t0
    assert not second.written and not second.pages_written, second.written[:3]
    return t_first, t_noop


# --- main ------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=8)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--jobs", default="1,2")
    ap.add_argument("--noop", type=int, default=1000)
    ap.add_argument("--from", dest="source", type=Path, default=None, help="Use the JPEGs in this folder.")
    ap.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._worker:
        _worker_main(args._worker, args.batch)
        return 0
    jobs_list = [int(j) for j in args.jobs.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="imgpipe-bench-"))
    try:
        t0 = time.perf_counter()
        photos = (sorted(args.source.glob("*.jp*g")) if args.source else make_photos(tmp / "photos", args.photos))
        n = len(photos)
        print(f"{n} photos ready in {time.perf_counter() - t0:.1f} s ({tmp})", file=sys.stderr)
        articles = max(1, n // 4)
        runs = {j: imgpipe_run(photos, j, tmp, articles) for j in jobs_list}
        base = runs[jobs_list[0]]
        ws, summary = base["ws"], base["summary"]
        tasks, ctx = photo_tasks(ws, summary)
        n_out = sum(len(output_specs(ws, t)) for t in tasks)
        # single-threaded full job on the same tasks, measured directly (analysis + render)
        from imgpipe.render import AnalyseTask, analyse_photo, render_photo, worker_init

        worker_init()
        t0 = time.perf_counter()
        for task in tasks:
            analyse_photo(AnalyseTask(task.photo_id, task.original, "photo", None, AUTO), ws.root, ctx.max_megapixels)
            render_photo(task, ctx)
        full = time.perf_counter() - t0
        floor = floor_time(ws, tasks)
        vips = vips_time(ws, tasks, tmp / "vips")
        magick = magick_time(ws, tasks, tmp / "magick")
        mem = memory(tasks, ctx, tmp, 1)
        mem_batch = memory(tasks, ctx, tmp, args.batch) if args.batch > 1 else mem
        t_first, t_noop = noop_run(tmp, args.noop) if args.noop else (0.0, 0.0)

        def ms(sec):
            return f"{sec / n * 1000:8.0f} ms" if isinstance(sec, float) else f"{sec:>11}"

        def ps(sec):
            return f"{n / sec:6.2f}/s" if isinstance(sec, float) else ""

        print(f"\nimgpipe throughput - {n} photos {Image.open(photos[0]).size[0]}x{Image.open(photos[0]).size[1]}, "
              f"{n_out} output files ({n_out / n:.0f}/photo)")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"{_cpu_name()}, Python {platform.python_version()}, {platform.system()} {platform.release()}\n")
        print(f"{'':34}{'per photo':>11}  {'rate':>8}")
        rows = [("floor (reduced decode + encode)", floor), ("imgpipe full job, 1 thread", full),
                ("libvips reference", vips), ("ImageMagick reference", magick)]
        for j in jobs_list:
            rows.append((f"imgpipe run --jobs {j} (wall)", runs[j]["wall"]))
        for name, sec in rows:
            print(f"{name:34}{ms(sec)}  {ps(sec):>8}")
        print(f"\npeak memory, one worker, first photo: {mem['peak_first_mb']:.0f} MB; "
              f"after one of each ({len(tasks)}): {mem_batch['peak_first_mb']:.0f} MB; "
              f"after {args.batch} photos: {mem_batch['peak_mb']:.0f} MB peak "
              f"(RSS {mem_batch['rss_first_mb']:.0f} -> {mem_batch['rss_end_mb']:.0f} MB)")
        if args.noop:
            print(f"no-op run over {args.noop} catalogued photos: {t_noop:.2f} s; first run {t_first:.1f} s")
        print("\ntargets:")

        def check(label, value, ok):
            print(f"  [{'ok ' if ok else 'MISS'}] {label}: {value}")

        check("full job <= 1.3x floor", f"{full / floor:.2f}x", full / floor <= 1.3)
        if isinstance(vips, float):
            check("full job <= libvips", f"{full / vips:.2f}x", full <= vips)
        else:
            print(f"  [n/a ] libvips {vips}")
        if isinstance(magick, float):
            check("ImageMagick / full job >= 5x", f"{magick / full:.2f}x", magick / full >= 5)
        else:
            print(f"  [n/a ] ImageMagick {magick}")
        if len(jobs_list) > 1:
            a, b = jobs_list[0], jobs_list[-1]
            sp = runs[a]["wall"] / runs[b]["wall"]
            check(f"--jobs {b} >= {0.9 * b / a:.1f}x --jobs {a}", f"{sp:.2f}x", sp >= 0.9 * b / a)
        check("peak memory <= 300 MB per worker", f"{mem_batch['peak_mb']:.0f} MB", mem_batch["peak_mb"] <= 300)
        grow = mem_batch["peak_mb"] - mem_batch["peak_first_mb"]
        check(f"flat over {args.batch} photos", f"+{grow:.0f} MB", grow <= 0.1 * mem["peak_mb"] + 10)
        if args.noop:
            check(f"no-op run over {args.noop} photos <= 2 s", f"{t_noop:.2f} s", t_noop <= 2)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def _cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


if __name__ == "__main__":
    sys.exit(main())
