"""Benchmark the hot folder (issue 6 targets). Not a test: prints figures.

1. Latency: a 20+ MP JPEG is copied into inbox/ in chunks; from the moment
   the copy completes (file closed) to the watcher's batch being done, minus
   the settle interval and minus the pipeline's own time for that photo =
   the watcher's overhead (target <= 0.5 s).
2. Burst: N photos copied into a watched inbox; time from the copy's end to
   the last output, against `pipeline.run` on the same photos in a fresh
   workspace (target: within 10 %).

    python benchmarks/watch.py                       # 200 photos at 2 MP, all platforms
    python benchmarks/watch.py --burst 40 --burst-mp 20
    python benchmarks/watch.py --no-slices           # IMGPIPE_BROWSER=none (no chromium)
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imgpipe.workspace import Workspace, init_workspace  # noqa: E402

ARTICLES = [f"B{n:04d}" for n in range(1, 21)]


def make_ws(root: Path, platforms: list[str] | None) -> Path:
    init_workspace(root)
    (root / "products.xlsx").unlink(missing_ok=True)
    rows = "".join(f"{a},测试商品{a},上衣\n" for a in ARTICLES)
    (root / "products.csv").write_text("货号,名称,类目\n" + rows, encoding="utf-8")
    if platforms:
        toml = root / "imgpipe.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace(
            'platforms = ["tmall", "jd", "1688"]', "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]"),
            encoding="utf-8")
    return root


def photo(seed: int, megapixels: float) -> bytes:
    """A product on a light backdrop with soft shading and sensor-like noise."""
    rng = np.random.default_rng(seed)
    h = int((megapixels * 1e6 / 1.5) ** 0.5)
    w = int(h * 1.5)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 238 - 18 * (y / h)
    arr = np.repeat(base[..., None], 3, axis=2)
    colour = rng.integers(30, 210, 3).astype(np.float32)
    cy, cx = h * rng.uniform(0.4, 0.6), w * rng.uniform(0.4, 0.6)
    mask = ((x - cx) / (w * 0.2)) ** 2 + ((y - cy) / (h * 0.3)) ** 2 < 1
    arr[mask] = colour * (0.8 + 0.2 * (y[mask, None] / h))
    arr += rng.normal(0, 4.0, arr.shape).astype(np.float32)
    buf = io.BytesIO()
    Image.fromarray(arr.clip(0, 255).astype(np.uint8)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


class BenchWatcher:
    def __init__(self, root: Path, settle: float, jobs: int | None):
        from imgpipe.watch import watch

        self.stop = threading.Event()
        self.events: list[tuple[float, str, dict]] = []
        ws = Workspace.open(root)
        self.thread = threading.Thread(target=lambda: watch(
            ws, jobs=jobs, settle_seconds=settle, stop_event=self.stop, backup=False, log_stream=io.StringIO(),
            on_event=lambda k, d: self.events.append((time.perf_counter(), k, dict(d)))), daemon=True)

    def wait(self, cond, timeout=3600.0):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        self.wait(lambda: any(k == "batch" for _, k, _ in self.events))
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def archived(self) -> int:
        return sum(1 for _, k, _ in self.events if k == "photo")


def latency(tmp: Path, args) -> None:
    root = make_ws(tmp / "lat", args.platforms)
    data = photo(1, args.latency_mp)
    w, h = Image.open(io.BytesIO(data)).size
    runs = []
    with BenchWatcher(root, args.settle, args.jobs) as bw:
        for i in range(args.latency_runs):
            data = photo(100 + i, args.latency_mp)
            target = root / "inbox" / f"{ARTICLES[i % len(ARTICLES)]}_lat{i}.jpg"
            step = 1 << 20
            with open(target, "wb") as f:  # a copy in 1 MiB chunks
                for k in range(0, len(data), step):
                    f.write(data[k:k + step])
                    f.flush()
                    time.sleep(0.02)
            done_copy = time.perf_counter()
            n = bw.archived()
            bw.wait(lambda: bw.archived() > n and bw.events[-1][1] == "batch")
            t_end, _, batch = bw.events[-1]
            total = t_end - done_copy
            runs.append((total, batch["pipeline_seconds"]))
    print(f"latency: {args.latency_runs} photos of {w}x{h} ({w * h / 1e6:.1f} MP, {len(data) / 1e6:.1f} MB), "
          f"settle {args.settle} s")
    for total, pipe in runs:
        print(f"  copy done -> batch done {total:6.2f} s = settle {args.settle} + pipeline {pipe:5.2f} "
              f"+ overhead {total - args.settle - pipe:5.2f} s")


def burst(tmp: Path, args) -> None:
    src = tmp / "burst-src"
    src.mkdir()
    for i in range(args.burst):
        (src / f"{ARTICLES[i % len(ARTICLES)]}_{i:04d}.jpg").write_bytes(photo(1000 + i, args.burst_mp))
    files = sorted(src.iterdir())
    size = Image.open(files[0]).size

    for rep in range(args.repeat):  # alternate, so both see the same machine load
        burst_once(tmp / f"rep{rep}", files, size, args)


def burst_once(tmp: Path, files: list[Path], size, args) -> None:
    from imgpipe.pipeline import run

    # batch: the same photos, already in the inbox
    root = make_ws(tmp / "run", args.platforms)
    for f in files:
        shutil.copy2(f, root / "inbox" / f.name)
    t0 = time.perf_counter()
    summary = run(Workspace.open(root), jobs=args.jobs, backup=False)
    t_run = time.perf_counter() - t0
    assert len(summary.ingest.archived) == len(files), summary.as_dict()["pending"]

    root = make_ws(tmp / "watch", args.platforms)
    with BenchWatcher(root, args.settle, args.jobs) as bw:
        t_first = time.perf_counter()
        for f in files:
            shutil.copy2(f, root / "inbox" / f.name)
        t_copied = time.perf_counter()
        bw.wait(lambda: bw.archived() >= len(files) and bw.events[-1][1] == "batch")
        t_done = bw.events[-1][0]
        batches = [d for _, k, d in bw.events if k == "batch"][1:]
    t_watch = t_done - t_copied
    print(f"burst: {len(files)} photos of {size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.1f} MP), "
          f"platforms {args.platforms or 'all'}, jobs {args.jobs or os.cpu_count()}")
    print(f"  imgpipe run (inbox already full):      {t_run:7.2f} s")
    print(f"  watch, copy end -> last output:         {t_watch:7.2f} s  ({(t_watch / t_run - 1) * 100:+.1f} %)"
          f"  [copy took {t_copied - t_first:.2f} s, {len(batches)} batch(es), settle {args.settle} s]")
    print(f"  watch minus settle:                     {t_watch - args.settle:7.2f} s  "
          f"({((t_watch - args.settle) / t_run - 1) * 100:+.1f} %)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--burst", type=int, default=200, help="photos in the burst (0 = skip)")
    ap.add_argument("--burst-mp", type=float, default=2.0, help="megapixels per burst photo")
    ap.add_argument("--latency-mp", type=float, default=20.0)
    ap.add_argument("--latency-runs", type=int, default=3, help="0 = skip")
    ap.add_argument("--settle", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=1, help="burst: alternate run/watch this many times")
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--platform", dest="platforms", action="append", help="repeatable; default: all")
    ap.add_argument("--no-slices", action="store_true", help="no chromium: detail pages as HTML only")
    args = ap.parse_args()
    if args.no_slices:
        os.environ["IMGPIPE_BROWSER"] = "none"
    with tempfile.TemporaryDirectory() as tmp:
        if args.latency_runs:
            latency(Path(tmp), args)
        if args.burst:
            burst(Path(tmp), args)


if __name__ == "__main__":
    main()
