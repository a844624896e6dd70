"""Throughput of imgpipe's whole run, detail pages included: issue 28's target table.

    python benchmarks/throughput.py [--workload one|many|both] [--quick] [--jobs 1,2]
                                    [--noop 1000] [--no-hot] [--profile DIR] [--from DIR]
    python benchmarks/throughput.py --references [--photos 8] [--per-article 4] [--repeat 3] ...

Generates 24-megapixel camera-like JPEGs (textured product on a backdrop,
EXIF orientation on some, one Adobe RGB; --quick: 6 MP) and measures, per
workload (one: 6 photos of one article; many: 8 articles x 4 photos), every
row of the issue's table with its target and PASS/FAIL:
  run           `imgpipe run --jobs 1` on a fresh workspace, pages included: CPU of this
                process and its children (the browser and its driver), per photo
  run_no_pages  the same with IMGPIPE_BROWSER=none (pages as HTML only)
  pages         the pages alone (page folders removed, the run repeated), per photo and article
  cutout        CPU inside imgpipe.cutout.cut_out (analysis and render), per photo with a
                white or transparent output
  jobs2         wall of --jobs 1 / wall of --jobs 2 (meaningless on a loaded machine: say the load)
  worker_mb     peak memory of one photo worker over the workload's photos
  browser_mb    peak PSS of the run's browser and driver processes (one per run)
  hot           a watched inbox: the 6th photo of an article lands -> its batch done (wall)
  noop          a second `run` over --noop catalogued photos (wall)
  validate      `imgpipe validate` in its own process, first after the run and again, per article
--profile DIR also profiles one run per workload (cProfile on CPU clocks: main thread,
page thread, page-cutting thread; the browser as children's CPU) into DIR/<workload>/.
--references prints the older report: codec floor, libvips and ImageMagick.
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import io
import json
import os
import pickle
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

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

def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its children that have ended (browser, driver)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def become_subreaper() -> bool:
    """Have the browser's orphans handed to this process, so that their CPU is counted (Linux).

    A process's CPU reaches its parent's RUSAGE_CHILDREN only when the parent waits for it.
    Chromium's main process ends before its zygotes, which are then orphaned and waited for by
    init: their CPU, and that of the renderers and GPU process they forked and waited for, was
    never counted (`--workload many`'s pages alone, 24 pages: 3.2 of 6.2 CPU-s of the browser
    missing). As a subreaper this process gets the orphans and `reap_orphans` waits for them.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _children(pid: int) -> set[int]:
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return out


def reap_orphans(before: set[int], timeout: float = 10.0) -> None:
    """Wait for this process's children that were not there `before` the run (the browser's
    orphaned zygotes, handed over by `become_subreaper`): their CPU then counts in cpu_seconds."""
    if not sys.platform.startswith("linux"):
        return
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        left = _children(os.getpid()) - before
        for pid in left:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not left:
            return
        time.sleep(0.05)


def imgpipe_run(photos, jobs, tmp: Path, articles: int, sample_memory: bool = False) -> dict:
    from imgpipe.pipeline import run

    ws = new_workspace(tmp / f"ws-jobs{jobs}", photos, articles, jobs)
    sampler = MemorySampler() if sample_memory else None
    before = _children(os.getpid())
    c0, t0 = cpu_seconds(), time.perf_counter()
    summary = run(ws, jobs=jobs, backup=False)
    wall = time.perf_counter() - t0
    if jobs == 1:
        reap_orphans(before)
    # pool workers of --jobs 2 outlive the run (their times are not counted): jobs 1 only
    cpu = cpu_seconds() - c0 if jobs == 1 else None
    peak = sampler.stop() if sampler else None
    assert summary.ok, summary.failed[:3]
    return {"ws": ws, "summary": summary, "wall": wall, "cpu": cpu, "render": sum(summary.photo_seconds),
            "peak_mb": peak}


def pages_only(ws) -> dict:
    """Remove every page folder and run again: only the pages are made. Seconds, all and per article."""
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    for page in (ws.root / "output").glob("*/*/page"):
        shutil.rmtree(page)
    stamps = []
    before = _children(os.getpid())
    c0, t0 = cpu_seconds(), time.perf_counter()
    summary = run(Workspace.open(ws.root), jobs=1, backup=False,
                  progress=lambda stage, done, total: stamps.append((time.perf_counter(), done, total))
                  if stage == "pages" and done else None)
    wall = time.perf_counter() - t0
    reap_orphans(before)
    cpu = cpu_seconds() - c0
    assert summary.ok and summary.pages_written, summary.failed[:3]
    per_article = len(ws.profiles)
    done_at = {done: at for at, done, _ in stamps}
    articles = len(stamps) // per_article
    first = done_at.get(per_article)
    after_first = ((stamps[-1][0] - first) / (articles - 1)) if articles > 1 and first else None
    return {"wall": wall, "cpu": cpu, "pages": len(summary.pages_written), "per_article_after_first": after_first}


def _pss_mb(pid: int) -> float:
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children[ppid].append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class MemorySampler:
    """Peak PSS (MB) of this process and everything it started (browser, driver), every 0.1 s."""

    def __init__(self):
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, sum(_pss_mb(p) for p in _descendants(os.getpid())))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


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


def browser_compare(ws) -> list[dict]:
    """Each installed browser imgpipe may pick, on the run's pages: start (wall), CPU of start +
    pages + close (browser and driver included), peak PSS with browser and driver, and a hash of
    the captured pixels (equal hashes: equal slices)."""
    import hashlib

    from imgpipe.browser import Browser

    pages = sorted(ws.root.glob("output/*/*/page/index.html"))
    out = []
    for name in ("chromium-headless-shell", "chromium"):
        program = shutil.which(name)
        if not program or not pages:
            continue
        sampler = MemorySampler()
        c0, t0 = cpu_seconds(), time.perf_counter()
        pixels = hashlib.sha256()
        with Browser(Path(program)) as browser:
            start = time.perf_counter() - t0
            tab = browser.tab()
            for page in pages:
                tab.open(page, ws.profiles[page.parts[-4]].detail_page.width, decode_images=False)
                pixels.update(tab.screenshot(paste_images=True).tobytes())
        out.append({"name": name, "start": start, "wall": time.perf_counter() - t0, "cpu": cpu_seconds() - c0,
                    "peak_mb": sampler.stop(), "pages": len(pages), "pixels": pixels.hexdigest()[:12]})
    return out


# --- floor -----------------------------------------------------------------------------------------

def floor_time(ws, tasks) -> tuple[float, float]:
    """(wall, CPU) seconds of codec work alone: each photo's reduced decode, every output's and slice's encode."""
    total = cpu = 0.0
    for row in ws.catalog.db.execute("SELECT slices FROM pages"):
        for rel in json.loads(row[0] or "[]"):
            with Image.open(ws.root / rel) as jpg:
                pix = Image.new("RGB", jpg.size, (200, 200, 200))
                pix.paste(jpg)  # the slice's own pixels (the browser's work is not codec work)
            t0, c0 = time.perf_counter(), time.process_time()
            pix.save(io.BytesIO(), "JPEG", quality=90, subsampling=0)
            total += time.perf_counter() - t0
            cpu += time.process_time() - c0
    for task in tasks:
        specs = output_specs(ws, task)
        path = ws.root / task.original
        t0, c0 = time.perf_counter(), time.process_time()
        img = Image.open(path)
        w, h = img.size
        f = max(w, h) / task.decode_long_side
        img.draft("RGB", (int(w / f) + 1, int(h / f) + 1))
        img.load()
        total += time.perf_counter() - t0
        cpu += time.process_time() - c0
        arr = np.asarray(img)
        for _, ow, oh, q in specs:  # pixels of the right size, made outside the clock
            pix = Image.fromarray(arr).resize((ow, oh), Image.Resampling.NEAREST)
            t0, c0 = time.perf_counter(), time.process_time()
            buf = io.BytesIO()
            pix.save(buf, "JPEG", quality=q, subsampling=0 if q >= 90 else 2)
            total += time.perf_counter() - t0
            cpu += time.process_time() - c0
    return total, cpu


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
    from imgpipe.analyse import AnalyseTask, analyse_photo
    from imgpipe.render import render_photo, worker_init

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
    """(first run, second run) seconds (wall) over `count` small catalogued photos; the second's CPU
    is printed too."""
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

    t0, c0 = time.perf_counter(), cpu_seconds()
    second = run(Workspace.open(ws.root), backup=False)
    t_noop, c_noop = time.perf_counter() - t0, cpu_seconds() - c0
    assert not second.written and not second.pages_written, second.written[:3]
    print(f"no-op rerun over {count} photos: {t_noop:.2f} s wall, {c_noop:.2f} s CPU "
          f"(load {os.getloadavg()[0]:.1f}); first run {t_first:.0f} s", file=sys.stderr)
    return t_first, t_noop


# --- the target table ----------------------------------------------------------------------

# (key, row, target, unit, lower is better); per photo = per 24-MP photo (smaller with --quick)
TARGETS = [
    ("run", "whole run --jobs 1, pages included, CPU per photo", 600, "ms", True),
    ("run_no_pages", "the same without pages, CPU per photo", 450, "ms", True),
    ("pages", "pages, CPU per photo (browser included)", 120, "ms", True),
    ("pages_article", "pages, CPU per article (three platforms)", 700, "ms", True),
    ("cutout", "cut-out CPU per white/transparent photo (analysis + rendering)", 350, "ms", True),
    ("jobs2", "--jobs 2 vs --jobs 1 (wall), pages included", 1.7, "x", False),
    ("worker_mb", "photo worker peak memory", 300, "MB", True),
    ("browser_mb", "the run's browser and driver (PSS), counted once", 450, "MB", True),
    ("hot", "hot folder: last photo of a 6-photo article -> outputs and pages (wall)", 6, "s", True),
    ("noop", "no-op rerun of --noop catalogued photos (wall)", 2, "s", True),
    ("validate", "imgpipe validate, all platforms, CPU per article (warm: files unchanged)", 500, "ms", True),
    ("validate_cold", "imgpipe validate, first after the run, CPU per article", 500, "ms", True),
    ("validate_mb", "imgpipe validate, peak memory", 300, "MB", True),
]


class BrowserSampler(MemorySampler):
    """The peak PSS (MB) of this process's descendants alone (browser, driver), every 0.25 s.

    `cpu`: the sampler thread's own CPU seconds, to take off the process's: walking /proc and
    reading smaps_rollup costs whoever reads it (several CPU-s over a run's minutes on a loaded
    machine).
    """

    def __init__(self):
        self.browser_peak = 0.0
        self.cpu = 0.0
        super().__init__()

    def _run(self):
        me, kids, n = os.getpid(), [], 0
        while not self._stop.wait(0.25):
            t0 = time.thread_time()
            if n % 8 == 0:  # the process tree changes rarely: listed every 2 s
                kids = [p for p in _descendants(me) if p != me]
            n += 1
            self.browser_peak = max(self.browser_peak, sum(_pss_mb(p) for p in kids))
            self.cpu += time.thread_time() - t0


class CutoutClock:
    """CPU seconds (this thread) spent in imgpipe.cutout.cut_out while installed (--jobs 1), apart
    for the photos' analysis (called from analyse_photo) and their rendering."""

    def __enter__(self):
        from imgpipe import cutout

        self.module, self.original = cutout, cutout.cut_out
        self.seconds = {"analysis": 0.0, "render": 0.0}
        self.calls = {"analysis": 0, "render": 0}

        def timed(*args, **kwargs):
            frame, stage = sys._getframe(1), "render"
            while frame is not None:
                if frame.f_code.co_name == "analyse_photo":
                    stage = "analysis"
                    break
                frame = frame.f_back
            t0 = time.thread_time()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds[stage] += time.thread_time() - t0
                self.calls[stage] += 1

        cutout.cut_out = timed
        return self

    def __exit__(self, *exc):
        self.module.cut_out = self.original


def cut_photos(ws, summary) -> int:
    """Photos of the run with a white or transparent output on any platform."""
    from imgpipe.roles import role_of

    return len({j.photo_id for j in summary.planned
                if role_of(j.role, ws.profiles[j.platform].roles.get(j.role)).name in ("white", "transparent")})


VALIDATE = """import runpy, sys
sys.argv = ["imgpipe", "-w", sys.argv[1], "validate"]
try:
    runpy.run_module("imgpipe", run_name="__main__")
except SystemExit:
    pass
peak = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
print("peak_kb", peak, file=sys.stderr)
"""


def validate_cpu(ws_root: Path) -> tuple[float, float]:
    """(CPU seconds, peak memory MB) of `imgpipe validate` in its own process on the workspace."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", VALIDATE, str(ws_root)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("peak_kb")]
    assert peak, proc.stderr[-2000:]
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu, int(peak[0]) / 1024  # VmHWM: ru_maxrss of children is the largest child ever (a browser)


def hot_folder(photos: list[Path], tmp: Path, settle: float = 1.0) -> float:
    """Seconds (wall) from the 6th photo of an article landing in a watched inbox (its first five
    done) to the watcher's batch being done: its outputs and pages written."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from watch import BenchWatcher

    ws = new_workspace(tmp / "ws-hot", [], 1, 1)
    root = ws.root
    ws.catalog.close()
    with BenchWatcher(root, settle, 1) as bw:
        for p in photos[:5]:
            shutil.copyfile(p, root / "inbox" / f"B0000_{p.name}")
        bw.wait(lambda: bw.archived() >= 5 and bw.events[-1][1] == "batch")
        n = bw.archived()
        target = root / "inbox" / f"B0000_{photos[5].name}"
        shutil.copyfile(photos[5], target)
        landed = time.perf_counter()
        bw.wait(lambda: bw.archived() > n and bw.events[-1][1] == "batch")
        return bw.events[-1][0] - landed


def profile_run(photos, tmp: Path, articles: int, out: Path) -> dict:
    """A `run --jobs 1` with pages under cProfile, CPU clocks: the main thread, the page thread and
    the page-cutting thread each in their own profile (out/<name>.prof); the browser and driver
    (other processes) as children's CPU. Returns CPU seconds per part."""
    import cProfile

    from imgpipe import pages
    from imgpipe.pipeline import run

    out.mkdir(parents=True, exist_ok=True)
    ws = new_workspace(tmp / "ws-profile", photos, articles, 1)
    parts: dict[str, float] = {}

    def profiled(name, fn):
        def wrapper(*args, **kwargs):
            prof = cProfile.Profile(time.thread_time)
            t0 = time.thread_time()
            try:
                return prof.runcall(fn, *args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.thread_time() - t0
                prof.dump_stats(out / f"{name}.prof")
        return wrapper

    originals = pages.make_pages, pages._cut_pages
    pages.make_pages = profiled("page-thread", pages.make_pages)
    pages._cut_pages = profiled("page-cut-thread", pages._cut_pages)
    try:
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = _children(os.getpid())
        c0 = cpu_seconds()
        main = cProfile.Profile(time.thread_time)
        t0 = time.thread_time()
        summary = main.runcall(run, ws, jobs=1, backup=False)
        parts["main-thread"] = time.thread_time() - t0
        main.dump_stats(out / "main-thread.prof")
        reap_orphans(before)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        parts["browser+driver (children)"] = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
        parts["total"] = cpu_seconds() - c0
    finally:
        pages.make_pages, pages._cut_pages = originals
    assert summary.ok, summary.failed[:3]
    return parts


def workload(label: str, photos: list[Path], per_article: int, args, tmp: Path) -> dict:
    """Every row of TARGETS that this workload measures: value per row key."""
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    n = len(photos)
    articles = max(1, n // per_article)
    rows: dict[str, float | None] = {}
    say = lambda text: print(f"[{label}] {text} (load {os.getloadavg()[0]:.1f})", file=sys.stderr)  # noqa: E731

    sampler = BrowserSampler()
    res = imgpipe_run(photos, 1, tmp / label / "pages", articles)
    sampler.stop()
    res["cpu"] -= sampler.cpu
    rows["run"] = res["cpu"] / n * 1000
    rows["browser_mb"] = sampler.browser_peak
    say(f"run --jobs 1 with pages: {res['cpu']:.1f} s CPU (the memory sampler's {sampler.cpu:.1f} s taken off), "
        f"{res['wall']:.1f} s wall")
    if not args.no_pages:
        pages = pages_only(res["ws"])
        rows["pages"] = pages["cpu"] / n * 1000
        rows["pages_article"] = pages["cpu"] / articles * 1000
        say(f"pages alone: {pages['cpu']:.1f} s CPU")
    v_cold, _ = validate_cpu(res["ws"].root)
    v_warm, v_mb = validate_cpu(res["ws"].root)
    rows["validate_cold"] = v_cold / articles * 1000
    rows["validate"] = v_warm / articles * 1000
    rows["validate_mb"] = v_mb
    say(f"validate: first {v_cold:.1f} s, again {v_warm:.1f} s CPU")
    tasks, ctx = photo_tasks(res["ws"], res["summary"])
    with_cut = cut_photos(res["ws"], res["summary"])
    rows["worker_mb"] = memory(tasks, ctx, tmp, max(1, len(tasks)))["peak_mb"]
    shutil.rmtree(tmp / label / "pages", ignore_errors=True)

    before = os.environ.get("IMGPIPE_BROWSER")
    os.environ["IMGPIPE_BROWSER"] = "none"
    try:
        with CutoutClock() as clock:
            bare = imgpipe_run(photos, 1, tmp / label / "bare", articles)
    finally:
        if before is None:
            os.environ.pop("IMGPIPE_BROWSER")
        else:
            os.environ["IMGPIPE_BROWSER"] = before
    rows["run_no_pages"] = bare["cpu"] / n * 1000
    # a white/transparent photo's cut-out work: its analysis' share and its rendering's
    sec, calls = clock.seconds, clock.calls
    rows["cutout"] = (sec["analysis"] / n + sec["render"] / with_cut) * 1000 if with_cut else None
    say(f"run --jobs 1 without pages: {bare['cpu']:.1f} s CPU; cut-out: analysis {sec['analysis']:.1f} s in "
        f"{calls['analysis']} calls for {n} photos, render {sec['render']:.1f} s in {calls['render']} calls for "
        f"{with_cut} photos with a white or transparent image")
    shutil.rmtree(tmp / label / "bare", ignore_errors=True)

    if 2 in args.jobs_list:
        two = imgpipe_run(photos, 2, tmp / label / "jobs2", articles)
        rows["jobs2"] = res["wall"] / two["wall"]
        say(f"run --jobs 2: {two['wall']:.1f} s wall against {res['wall']:.1f} s")
        shutil.rmtree(tmp / label / "jobs2", ignore_errors=True)
    if per_article >= 6 and n >= 6 and args.hot:
        rows["hot"] = hot_folder(photos, tmp / label)
        say(f"hot folder: {rows['hot']:.1f} s")
    if args.profile:
        parts = profile_run(photos, tmp / label, articles, args.profile / label)
        say("profile (CPU s): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
        rows["profile"] = parts
    return rows


def print_table(results: dict[str, dict], args, size, noop: tuple[float, float] | None) -> bool:
    """The target table, one column per workload; True when every measured row passes."""
    print(f"\nimgpipe throughput, {size[0]}x{size[1]} photos ({size[0] * size[1] / 1e6:.0f} MP)"
          + (" [--quick: figures per smaller photo; the targets are for 24 MP]" if args.quick else ""))
    print(f"machine: {os.cpu_count()} cores, {_cpu_name()}, Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; load average now {os.getloadavg()[0]:.1f} "
          f"(CPU times count this process and its children, the browser's orphaned processes included; "
          f"walls depend on the load)\n")
    names = list(results) or ["no-op"]
    print(f"{'row':78} {'target':>9} " + " ".join(f"{n:>18}" for n in names))
    ok = True
    for key, label, target, unit, lower in TARGETS:
        if key == "noop":
            values = {n: noop[1] if noop else None for n in names[:1]}
        else:
            values = {n: results.get(n, {}).get(key) for n in names}
        if all(v is None for v in values.values()):
            cells = [f"{'not measured':>18}" for _ in names]
        else:
            cells = []
            for n in names:
                v = values.get(n)
                if v is None:
                    cells.append(f"{'-':>18}")
                    continue
                passed = v <= target if lower else v >= target
                ok &= passed
                cells.append(f"{v:>10.{2 if unit in ('x', 's') else 0}f} {unit:<2} {'PASS' if passed else 'FAIL':>4}")
        tgt = f"{'<=' if lower else '>='} {target:g} {unit}"
        print(f"{label:78} {tgt:>9} " + " ".join(cells))
    print("learned-model cut-out: reported by benchmarks/cutout.py with a model installed (not in these rows)")
    for n in names:
        parts = results.get(n, {}).get("profile")
        if parts:
            print(f"profile {n} (CPU s): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))
    return ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", choices=("one", "many", "both", "none"), default="both",
                    help="one: 6 photos of one article; many: 8 articles x 4 photos; none: the no-op row alone")
    ap.add_argument("--quick", action="store_true", help="3000x2000 photos instead of 6000x4000 (a smoke run)")
    ap.add_argument("--jobs", default="1,2", help="1 or 1,2: whether --jobs 2 is measured")
    ap.add_argument("--noop", type=int, default=1000, help="catalogued photos of the no-op rerun (0: skip)")
    ap.add_argument("--no-hot", dest="hot", action="store_false", help="skip the hot-folder row")
    ap.add_argument("--profile", type=Path, default=None,
                    help="also profile a run (cProfile, CPU clocks) per workload into this folder")
    ap.add_argument("--references", action="store_true",
                    help="the older report instead: codec floor, libvips and ImageMagick references")
    ap.add_argument("--photos", type=int, default=8, help="--references: photos")
    ap.add_argument("--per-article", type=int, default=4, help="--references: photos per article")
    ap.add_argument("--repeat", type=int, default=3, help="--references: alternating rounds")
    ap.add_argument("--batch", type=int, default=500, help="--references: photos in the worker memory run")
    ap.add_argument("--no-pages", action="store_true", help="--references: IMGPIPE_BROWSER=none")
    ap.add_argument("--uncounted-orphans", action="store_true",
                    help="count the browser's CPU as before 2026-12-07 evening: without its orphaned zygotes, "
                         "renderers and GPU process (to compare with figures taken so)")
    ap.add_argument("--from", dest="source", type=Path, default=None, help="Use the JPEGs in this folder.")
    ap.add_argument("--_worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._worker:
        _worker_main(args._worker, args.batch)
        return 0
    if args.references:
        return references(args)
    args.jobs_list = [int(j) for j in args.jobs.split(",")]
    args.no_pages = False
    if not args.uncounted_orphans:
        become_subreaper()
    side = 3000 if args.quick else 6000
    tmp = Path(tempfile.mkdtemp(prefix="imgpipe-bench-"))
    try:
        plan = {"one": (6, 6), "many": (32, 4)}
        wanted = {"both": ["one", "many"], "none": []}.get(args.workload, [args.workload])
        count = max([plan[w][0] for w in wanted], default=0)
        photos = (sorted(args.source.glob("*.jp*g"))[:count] if args.source
                  else make_photos(tmp / "photos", count, side))
        size = Image.open(photos[0]).size if photos else (0, 0)
        results = {}
        for w in wanted:
            n, per = plan[w]
            label = "6 x 1 article" if w == "one" else "8 articles x 4"
            results[label] = workload(label, photos[:n], per, args, tmp)
        noop = noop_run(tmp, args.noop) if args.noop else None
        print_table(results, args, size, noop)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def references(args) -> int:
    """The older report: codec floor, run --jobs 1/2, pages, libvips and ImageMagick references."""
    if args.no_pages:
        os.environ["IMGPIPE_BROWSER"] = "none"
    jobs_list = [int(j) for j in args.jobs.split(",")]
    tmp = Path(tempfile.mkdtemp(prefix="imgpipe-bench-"))
    try:
        t0 = time.perf_counter()
        photos = (sorted(args.source.glob("*.jp*g"))[:args.photos] if args.source
                  else make_photos(tmp / "photos", args.photos))
        n = len(photos)
        print(f"{n} photos ready in {time.perf_counter() - t0:.1f} s ({tmp})", file=sys.stderr)
        articles = max(1, n // args.per_article)
        walls, cpus = defaultdict(list), defaultdict(list)
        floors, floor_cpus, pages, peaks = [], [], [], []
        base = None
        for r in range(args.repeat):  # alternating: one of each per round
            order = jobs_list if r % 2 == 0 else jobs_list[::-1]
            for j in order:
                res = imgpipe_run(photos, j, tmp / f"round{r}", articles, sample_memory=(j == 1))
                walls[j].append(res["wall"])
                if res["cpu"] is not None:
                    cpus[j].append(res["cpu"])
                if res["peak_mb"] is not None:
                    peaks.append(res["peak_mb"])
                if j == jobs_list[0]:
                    base = res
                    tasks, ctx = photo_tasks(res["ws"], res["summary"])
                    f_wall, f_cpu = floor_time(res["ws"], tasks)
                    floors.append(f_wall)
                    floor_cpus.append(f_cpu)
                print(f"round {r + 1}: run --jobs {j} {res['wall']:.1f} s; floor {floors[-1]:.1f} s", file=sys.stderr)
            if not args.no_pages:
                pages.append(pages_only(base["ws"]))
            if r < args.repeat - 1:  # the last round's workspace is measured further below
                shutil.rmtree(tmp / f"round{r}", ignore_errors=True)
        ws, summary = base["ws"], base["summary"]
        tasks, ctx = photo_tasks(ws, summary)
        n_out = sum(len(output_specs(ws, t)) for t in tasks)
        n_slices = sum(len(json.loads(row[0] or "[]")) for row in ws.catalog.db.execute("SELECT slices FROM pages"))
        # single-threaded full job on the same tasks, measured directly (analysis + render, no pages)
        from imgpipe.analyse import AnalyseTask, analyse_photo
        from imgpipe.render import render_photo, worker_init

        worker_init()
        t0 = time.perf_counter()
        for task in tasks:
            analyse_photo(AnalyseTask(task.photo_id, task.original, "photo", None, AUTO), ws.root, ctx.max_megapixels)
            render_photo(task, ctx)
        full = time.perf_counter() - t0
        floor = statistics.median(floors)
        vips = vips_time(ws, tasks, tmp / "vips")
        magick = magick_time(ws, tasks, tmp / "magick")
        browsers = browser_compare(ws) if not args.no_pages else []
        mem = memory(tasks, ctx, tmp, 1)
        mem_batch = memory(tasks, ctx, tmp, args.batch) if args.batch > 1 else mem
        t_first, t_noop = noop_run(tmp, args.noop) if args.noop else (0.0, 0.0)
        wall = {j: statistics.median(v) for j, v in walls.items()}

        def ms(sec, per=n):
            return f"{sec / per * 1000:8.0f} ms" if isinstance(sec, float) else f"{sec:>11}"

        def ps(sec):
            return f"{n / sec:6.2f}/s" if isinstance(sec, float) else ""

        size = Image.open(photos[0]).size
        print(f"\nimgpipe throughput - {n} photos {size[0]}x{size[1]} in {articles} article(s), {n_out} output files "
              f"({n_out / n:.0f}/photo) + {n_slices} page slices; medians of {args.repeat} alternating rounds")
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"{_cpu_name()}, Python {platform.python_version()}, {platform.system()} {platform.release()}; "
              f"load average at the end {os.getloadavg()[0]:.1f}\n")
        print(f"{'':40}{'per photo':>11} {'per article':>12}  {'rate':>8}  {'CPU/photo':>10}")
        cpu_of = {"floor": statistics.median(floor_cpus)}
        for j in jobs_list:
            if cpus[j]:
                cpu_of[j] = statistics.median(cpus[j])
        rows = [("floor (reduced decode + encode)", floor, cpu_of["floor"])]
        for j in jobs_list:
            rows.append((f"imgpipe run --jobs {j} (wall{', pages' if not args.no_pages else ''})", wall[j], cpu_of.get(j)))
        if pages:
            rows.append(("pages alone (wall, browser start incl.)", statistics.median(p["wall"] for p in pages),
                         statistics.median(p["cpu"] for p in pages)))
        rows += [("imgpipe full job, 1 thread, no pages", full, None), ("libvips reference", vips, None),
                 ("ImageMagick reference", magick, None)]
        for name, sec, cpu in rows:
            print(f"{name:40}{ms(sec)} {ms(sec, articles):>12}  {ps(sec):>8}  {ms(cpu) if cpu else '':>10}")
        after = [p["per_article_after_first"] for p in pages if p["per_article_after_first"]]
        if after:
            print(f"{'pages per article after the first':40}{'':11} {statistics.median(after) * 1000:9.0f} ms")
        print("\nrounds (s): " + "; ".join(f"--jobs {j}: " + ", ".join(f"{w:.1f}" for w in walls[j]) for j in jobs_list)
              + "; floor: " + ", ".join(f"{f:.1f}" for f in floors)
              + "\nCPU (s, this process + ended children; --jobs 1): run " + ", ".join(f"{c:.1f}" for c in cpus[1])
              + "; floor " + ", ".join(f"{c:.1f}" for c in floor_cpus)
              + ("; pages alone " + ", ".join(f"{p['cpu']:.1f}" for p in pages) if pages else ""))
        if peaks:
            print(f"peak memory, run --jobs 1 with its browser and driver (PSS): {max(peaks):.0f} MB")
        print(f"peak memory, one photo worker, first photo: {mem['peak_first_mb']:.0f} MB; "
              f"after one of each ({len(tasks)}): {mem_batch['peak_first_mb']:.0f} MB; "
              f"after {args.batch} photos: {mem_batch['peak_mb']:.0f} MB peak "
              f"(RSS {mem_batch['rss_first_mb']:.0f} -> {mem_batch['rss_end_mb']:.0f} MB)")
        for b in browsers:
            print(f"browser {b['name']}: start {b['start']:.2f} s, {b['pages']} pages {b['wall']:.1f} s, "
                  f"CPU {b['cpu']:.1f} s (browser + driver incl.), peak PSS {b['peak_mb']:.0f} MB "
                  f"with this process, pixels {b['pixels']}")
        if args.noop:
            print(f"no-op run over {args.noop} catalogued photos: {t_noop:.2f} s; first run {t_first:.1f} s")
        print("\ntargets:")

        def check(label, value, ok):
            print(f"  [{'ok ' if ok else 'MISS'}] {label}: {value}")

        one = wall[jobs_list[0]]
        check(f"run --jobs {jobs_list[0]} <= 1.5x floor (wall)", f"{one / floor:.2f}x", one / floor <= 1.5)
        if 1 in cpu_of:
            check("run --jobs 1 <= 1.5x floor (CPU)", f"{cpu_of[1] / cpu_of['floor']:.2f}x",
                  cpu_of[1] / cpu_of["floor"] <= 1.5)
        if isinstance(magick, float):
            check("ImageMagick / full job >= 5x", f"{magick / full:.2f}x", magick / full >= 5)
        else:
            print(f"  [n/a ] ImageMagick {magick}")
        if len(jobs_list) > 1:
            a, b = jobs_list[0], jobs_list[-1]
            sp = wall[a] / wall[b]
            check(f"--jobs {b} >= {0.9 * b / a:.1f}x --jobs {a}", f"{sp:.2f}x", sp >= 0.9 * b / a)
        if after:
            check("pages per article after the first <= 1 s", f"{statistics.median(after):.2f} s",
                  statistics.median(after) <= 1)
        if peaks:
            check("peak memory <= 300 MB, browser counted", f"{max(peaks):.0f} MB", max(peaks) <= 300)
        check("photo worker peak <= 300 MB", f"{mem_batch['peak_mb']:.0f} MB", mem_batch["peak_mb"] <= 300)
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
