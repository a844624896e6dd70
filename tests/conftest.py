"""Shared fixtures: synthetic studio photos and throwaway workspaces on disk."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe.cutout import cut_out as REAL_CUT_OUT
from imgpipe.workspace import init_workspace

# Tests never read the wall clock: imgpipe's clock is pinned to this moment unless
# IMGPIPE_TEST_NOW names another (test_clock.py re-runs date-sensitive tests a year ahead).
TEST_NOW = os.environ.get("IMGPIPE_TEST_NOW", "2026-11-26T10:00:00")


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch):
    monkeypatch.setenv("IMGPIPE_NOW", TEST_NOW)
    return TEST_NOW


# --------------------------------------------------------------------------- what a test may start
#
# A detail page's slices need a browser (seconds to start, ~200 MB); most tests check other things.
# Only a test marked `browser` finds one: the rest render pages without slices (IMGPIPE_BROWSER=none,
# the setting a shop without a browser has). The cut-out (matte solve, ~1 CPU-s a photo, run for the
# analysis and again for each cut-out role) is replaced by `quick_cut_out` unless the test, or its
# module, is marked `real_cutout`: what those tests check is the cut-out itself.
# `slow` marks every test measured at ~1.75 CPU-s or more (tools/cpu_durations.py), every test that
# shares a module's shop run with one (the run's cost moves to whichever runs first), and every browser
# test: `-m "not slow"` is the fast lane (555 tests, 68 s wall / 114 CPU-s on 2 idle cores, 2026-12-07).


@pytest.fixture(autouse=True)
def browser_only_where_marked(request, monkeypatch):
    if request.node.get_closest_marker("browser") is None:
        monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def quick_cut_out(img_u8: np.ndarray, *, model_path=None, proxy_px=None, decontaminate=True, model_map=None,
                  known=None, shadow=True, given=False):
    """A stand-in for cutout.cut_out: framing.product_mask as a hard alpha, no shadow, no matte.

    Same Cutout shape and meaning (alpha 1 on the product, 0 on the backdrop), ~20x cheaper; a
    photo with no product comes back not `good`. With a model set (`[cutout] model`) the real
    cut-out runs: the model is then what is tested, and worker processes run it too.
    """
    import cv2

    from imgpipe import cutout, framing

    if model_path is not None or model_map is not None:
        return REAL_CUT_OUT(img_u8, model_path=model_path, decontaminate=decontaminate, model_map=model_map,
                            shadow=shadow, given=given, **({"proxy_px": proxy_px} if proxy_px else {}))
    h, w = img_u8.shape[:2]
    proxy, factor = framing._proxy(img_u8, cutout.PROXY_PX)
    mask, backdrop = framing.product_mask(proxy)
    if factor > 1:
        mask = cv2.resize(mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    good = bool(mask.any())
    return cutout.Cutout(mask.astype(np.float32), img_u8.copy(), np.zeros((h, w), np.float32), backdrop.rgb,
                         good, 0, method="classical" if good else "none", reason="" if good else "no_product")


@pytest.fixture(scope="module", autouse=True)
def cheap_cut_out_for_module(request):
    """Module fixtures (a shop run once per module) get the stand-in too, unless the module is marked."""
    from imgpipe import cutout

    with pytest.MonkeyPatch.context() as mp:
        if request.node.get_closest_marker("real_cutout") is None:
            mp.setattr(cutout, "cut_out", quick_cut_out)
        yield


@pytest.fixture(autouse=True)
def cheap_cut_out(request, monkeypatch):
    from imgpipe import cutout

    monkeypatch.setattr(cutout, "cut_out", REAL_CUT_OUT if request.node.get_closest_marker("real_cutout")
                        else quick_cut_out)


def pytest_collection_modifyitems(items):
    """A test that asks for a browser (the `browser` or `session` fixtures) is a browser test, and
    every browser test is slow: starting Chromium alone takes seconds, and the fast lane
    (`-m "not slow"`) runs where no browser is installed."""
    for item in items:
        if {"browser", "session"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.slow)


SHEET_HEADER = "货号,名称,类目,品牌,标题,颜色,面料,尺码,长,宽,高,说明,卖点,到货日期,价格"


def studio_photo(width=1200, height=900, *, box=(0.35, 0.25, 0.65, 0.8), product=(40, 60, 150),
                 backdrop=(245, 245, 245), cast=(1.0, 1.0, 1.0), seed=0) -> np.ndarray:
    """A product (a shaded rectangle) on a seamless backdrop; `cast` multiplies linear RGB."""
    rng = np.random.default_rng(seed)
    img = np.empty((height, width, 3), np.float32)
    img[:] = backdrop
    x0, y0, x1, y1 = (int(box[0] * width), int(box[1] * height), int(box[2] * width), int(box[3] * height))
    shade = np.linspace(0.85, 1.1, x1 - x0, dtype=np.float32)[None, :, None]
    img[y0:y1, x0:x1] = np.asarray(product, np.float32) * shade
    img += rng.normal(0, 2.0, img.shape).astype(np.float32)
    lin = (np.clip(img, 0, 255) / 255.0) ** 2.2 * np.asarray(cast, np.float32)
    return (np.clip(lin, 0, 1) ** (1 / 2.2) * 255 + 0.5).astype(np.uint8)


def jpeg_bytes(arr: np.ndarray, quality=90, exif=None, **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=quality, **({"exif": exif} if exif else {}), **kw)
    return buf.getvalue()


def write_sheet(root: Path, rows: list[str], encoding="utf-8") -> Path:
    path = root / "products.csv"
    path.write_bytes(("\n".join([SHEET_HEADER, *rows]) + "\n").encode(encoding))
    (root / "products.xlsx").unlink(missing_ok=True)
    return path


PRODUCT_ROW = ("A1023,纯棉衬衫,服装,禾象,禾象纯棉衬衫男长袖,白色/藏青/红色,纯棉,S/M/L/XL,70,50,2,不可漂白,"
               "透气;柔软;不起球;免烫;亲肤,2026-11-24,199")


@pytest.fixture
def workspace(tmp_path) -> Path:
    """An initialised workspace with a one-article sheet and no photos; fast settings."""
    root = tmp_path / "shop"
    init_workspace(root)
    write_sheet(root, [PRODUCT_ROW])
    toml = (root / "imgpipe.toml").read_text(encoding="utf-8").replace("jobs = 0", "jobs = 1")
    (root / "imgpipe.toml").write_text(toml, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def processed_shop(tmp_path_factory) -> Path:
    """`workspace` with A1023's three `drop_photos` run for every platform, made once per test process
    (no browser, the quick cut-out). Read-only: a test that changes it takes `processed` (a copy)."""
    from imgpipe import cutout
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMGPIPE_NOW", TEST_NOW)
        mp.setenv("IMGPIPE_BROWSER", "none")
        mp.setattr(cutout, "cut_out", quick_cut_out)
        root = tmp_path_factory.mktemp("processed") / "shop"
        init_workspace(root)
        write_sheet(root, [PRODUCT_ROW])
        toml = root / "imgpipe.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("jobs = 0", "jobs = 1"), encoding="utf-8")
        drop_photos(root, count=3)
        ws = Workspace.open(root)
        summary = run(ws, backup=False)
        assert summary.ok and summary.written, summary.failed
        ws.catalog.close()  # checkpoints the write-ahead log: a copy gets the whole catalog
    return root


@pytest.fixture
def processed(processed_shop, tmp_path) -> Path:
    """A copy of `processed_shop` of the test's own (file times kept)."""
    import shutil

    return Path(shutil.copytree(processed_shop, tmp_path / "shop"))


def drop_photos(root: Path, article="A1023", count=3, size=(1200, 900), folder=True, cast=(1.1, 1.0, 0.8)):
    paths = []
    for i in range(count):
        arr = studio_photo(*size, box=(0.3 + 0.03 * i, 0.25, 0.62 + 0.03 * i, 0.8), cast=cast, seed=i)
        target = root / "inbox" / article / f"IMG_{i + 1:04d}.jpg" if folder else root / "inbox" / f"{article}_{i + 1}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(jpeg_bytes(arr))
        paths.append(target)
    return paths


def make_processed_shop(root: Path, platforms=("tmall",), photos: int = 3) -> Path:
    """A one-article workspace at `root` made for `platforms` (no browser: HTML pages, no slices)."""
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMGPIPE_BROWSER", "none")
        init_workspace(root)
        write_sheet(root, [PRODUCT_ROW])
        toml = root / "imgpipe.toml"
        text = toml.read_text(encoding="utf-8").replace("jobs = 0", "jobs = 1")
        listed = ", ".join(f'"{p}"' for p in platforms)
        toml.write_text(text.replace('platforms = ["tmall", "jd", "1688"]', f"platforms = [{listed}]"),
                        encoding="utf-8")
        drop_photos(root, count=photos)
        ws = Workspace.open(root)
        summary = run(ws, backup=False)
        assert summary.ok and summary.written
        ws.catalog.close()  # checkpoints the WAL: copies of the folder get the whole catalog
    return root


@pytest.fixture
def block_import(monkeypatch):
    """`block_import("scipy")`: from then on, importing that package raises ImportError."""
    import builtins

    real_import = builtins.__import__

    def block(prefix: str) -> None:
        def guarded(name, *args, **kwargs):
            if name == prefix or name.startswith(prefix + "."):
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", guarded)

    return block
