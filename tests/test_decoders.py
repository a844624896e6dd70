"""The decoder registry on real files: camera RAW (a hand-written DNG), a layered PSD,
16-bit and float TIFF, and the files imgpipe must refuse with a reason (video, not an
image, too small, too thin, a PNG that declares more pixels than it holds)."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe.errors import ImgpipeError
from imgpipe.imageio import load_photo
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from conftest import jpeg_bytes, studio_photo
from corpus import _png_chunk, dng_bytes, layered_psd, tiff_float32, tiff_rgb16

import struct
import zlib

BOX = (0.35, 0.25, 0.65, 0.8)


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def env() -> dict:
    return dict(os.environ, IMGPIPE_BROWSER="none", PYTHONPATH=str(Path(__file__).parents[1]))


def cli(root: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "imgpipe", "-w", str(root), *args], env=env(),
                          capture_output=True, text=True, timeout=300)


def underfilled_png(width=12000, height=12000) -> bytes:
    """The red team's file: 92 bytes of PNG declaring width x height RGB, one row of data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (1 + 3 * 4), 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def png(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def _box_error(rgb: np.ndarray) -> float:
    """How far the dark product in `rgb` is from BOX (shares of the frame), worst edge."""
    dark = rgb.mean(axis=2) < 160
    ys, xs = np.nonzero(dark)
    h, w = dark.shape
    found = (xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h)
    return max(abs(a - b) for a, b in zip(found, BOX))


def test_each_format_decodes_to_the_picture_it_holds():
    truth = studio_photo(800, 600, box=BOX)
    files = {
        "shot.dng": dng_bytes(truth),
        "work.psd": layered_psd(truth),
        "scan16.tif": tiff_rgb16(truth.astype(np.uint16) * 257),
        "photo.jpg": jpeg_bytes(truth),
    }
    for name, data in files.items():
        photo = load_photo(data, name=name)
        assert photo.full_size == (800, 600), name
        assert _box_error(photo.rgb) < 0.02, name
        # the product's blue survives each decoder (RAW goes through LibRaw's own colour pipeline)
        r, g, b = photo.rgb[300, 400].astype(int)
        assert b > r + 40 and b > g + 20, (name, r, g, b)
    # reduced-size decoding: the DNG's half-size demosaic when half still covers what is asked
    half = load_photo(files["shot.dng"], name="shot.dng", min_long_side=300)
    assert half.rgb.shape[:2] == (300, 400) and half.scale == 0.5 and half.full_size == (800, 600)
    full = load_photo(files["shot.dng"], name="shot.dng", min_long_side=500)
    assert full.rgb.shape[:2] == (600, 800)


def test_psd_without_a_saved_composite_is_composited_from_its_layers():
    from psd_tools import PSDImage

    truth = studio_photo(400, 300, box=BOX)
    data = layered_psd(truth)
    psd = PSDImage.open(io.BytesIO(data))
    assert len(list(psd)) == 2
    # blank the saved composite, as tools that store no preview leave it
    blanked = bytearray(data)
    section = psd._record.image_data
    raw = section.data if hasattr(section, "data") else None
    if raw and len(raw) > 64:
        start = bytes(blanked).rfind(raw)
        blanked[start:start + len(raw)] = b"\x00" * len(raw)
        assert _box_error(load_photo(bytes(blanked), name="noprev.psd").rgb) < 0.03
    assert _box_error(load_photo(data, name="work.psd").rgb) < 0.03


def test_float_tiff_is_converted_from_linear_light_or_refused():
    lin = (studio_photo(400, 300)[..., 1] / 255.0) ** 2.2
    photo = load_photo(tiff_float32(lin), name="float.tif")
    assert abs(int(photo.rgb[5, 5, 0]) - int(studio_photo(400, 300)[5, 5, 1])) <= 3  # not black: the backdrop
    with pytest.raises(ImgpipeError) as err:
        load_photo(tiff_float32(lin * 4.0), name="hdr.tif")  # HDR above 1.0: no tone-mapping by guesswork
    assert "hdr.tif" == err.value.file and err.value.fix


def test_headers_are_checked_before_pixels_are_allocated():
    data = underfilled_png()
    assert len(data) < 100
    started = time.perf_counter()
    with pytest.raises(ImgpipeError) as err:
        load_photo(data, name="huge.png")
    assert time.perf_counter() - started < 0.5  # a 432 MB decode would take seconds
    assert "12000×12000" in err.value.message
    # a PNG that stops after half its rows is refused too, not filled with black
    full = png(studio_photo(300, 200))
    ihdr_end = 8 + 25
    raw = zlib.decompress(b"".join(_idat(full)))
    cut = zlib.compress(raw[: len(raw) // 2])
    half = full[:ihdr_end] + _png_chunk(b"IDAT", cut) + _png_chunk(b"IEND", b"")
    with pytest.raises(ImgpipeError) as err:
        load_photo(half, name="half.png")
    assert "100" in err.value.message  # rows present of the 200 declared


def _idat(data: bytes):
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            yield data[pos + 8:pos + 8 + length]
        pos += 12 + length


def test_video_and_non_images_are_named_for_what_they_are():
    with pytest.raises(ImgpipeError) as err:
        load_photo(b"just some notes, not a photo\n" * 10, name="notes.jpg")
    assert ".jpg" in err.value.message and err.value.message != ImgpipeError("").message
    assert "不是图片" in err.value.message or "not an image" in err.value.message
    mp4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100
    with pytest.raises(ImgpipeError) as err:
        load_photo(mp4, name="clip.jpg")  # a video under a photo's name
    assert "视频" in err.value.message or "video" in err.value.message


def _ws(workspace: Path) -> Path:
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('platforms = ["tmall", "jd", "1688"]',
                                                             'platforms = ["tmall"]'), encoding="utf-8")
    return workspace


@pytest.mark.slow
def test_dng_psd_tiff16_and_jpeg_of_one_article_all_archived_and_rendered(workspace):
    root = _ws(workspace)
    folder = root / "inbox" / "A1023"
    folder.mkdir(parents=True)
    made = {}
    for i, (name, fn) in enumerate([
            ("IMG_0001.dng", dng_bytes), ("IMG_0002.psd", layered_psd),
            ("IMG_0003.tif", lambda a: tiff_rgb16(a.astype(np.uint16) * 257)), ("IMG_0004.jpg", jpeg_bytes)]):
        data = fn(studio_photo(1200, 900, box=(0.3 + 0.03 * i, 0.25, 0.62 + 0.03 * i, 0.8), seed=i))
        (folder / name).write_bytes(data)
        made[name] = data
    (folder / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    (folder / "scan.xyz").write_bytes(b"whatever this is")
    (folder / "notes.jpg").write_text("not a photo at all\n")
    summary = run(Workspace.open(root), jobs=1, backup=False)
    by_source = {p.source_name: p for p in Workspace.open(root).catalog.photos("A1023")}
    assert set(by_source) == set(made)
    for name, data in made.items():
        original = root / by_source[name].original
        assert original.suffix == Path(name).suffix  # A1023-NN.dng, .psd, .tif, .jpg
        assert hashlib.sha256(original.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    roles_by_photo: dict[int, set] = {}
    for row in Workspace.open(root).catalog.outputs("A1023"):
        roles_by_photo.setdefault(row["photo_id"], set()).add(row["role"])
    for name, photo in by_source.items():
        assert "detail" in roles_by_photo.get(photo.id, set()), name
    assert set().union(*roles_by_photo.values()) >= {"main", "white", "large", "detail", "selling_point", "sku"}
    assert not summary.failed, summary.failed
    pending = {p.path.name: p for p in summary.ingest.pending}
    assert set(pending) == {"clip.mp4", "scan.xyz", "notes.jpg"}
    assert "视频" in pending["clip.mp4"].reason and "暂不支持" in pending["clip.mp4"].reason
    assert ".xyz" in pending["scan.xyz"].reason
    assert "不是图片" in pending["notes.jpg"].reason
    for p in pending.values():
        assert p.fix and p.path.exists()
    # the CLI: exit 1 while they are there, on every run, each named in --json
    for _ in range(2):
        res = cli(root, "run", "--json", "--jobs", "1", "--no-backup")
        assert res.returncode == 1, res.stderr
        assert "Traceback" not in res.stderr
        import json

        left = {Path(p["file"]).name: p["reason"] for p in json.loads(res.stdout)["pending"]}
        assert set(left) == {"clip.mp4", "scan.xyz", "notes.jpg"}
    # and the validation report lists them against the article
    from imgpipe.validate import Validator

    reports = Validator(Workspace.open(root)).run()
    found = {Path(f.file).name: f.message for r in reports for a in r.articles if a.article == "A1023"
             for c in a.checks.values() for f in c.findings if f.code == "inbox_left"}
    assert set(found) == {"clip.mp4", "scan.xyz", "notes.jpg"}
    assert "视频" in found["clip.mp4"]


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
@pytest.mark.parametrize("name", ["IMG_0001.dng", "IMG_0001.psd", "IMG_0001.tif"])
def test_every_role_is_made_from_each_format(workspace, name):
    """One photo in the article: it plays every role, whatever format it came in, as a JPEG does."""
    root = _ws(workspace)
    arr = studio_photo(1200, 900, box=(0.3, 0.25, 0.62, 0.8), seed=3)
    data = {".dng": dng_bytes, ".psd": layered_psd, ".tif": lambda a: tiff_rgb16(a.astype(np.uint16) * 257)}[
        Path(name).suffix](arr)
    (root / "inbox" / "A1023").mkdir(parents=True)
    (root / "inbox" / "A1023" / name).write_bytes(data)
    summary = run(Workspace.open(root), jobs=1, backup=False)
    assert summary.ok, (summary.failed, summary.ingest.pending)
    roles = {row["role"] for row in Workspace.open(root).catalog.outputs("A1023")}
    assert roles >= {"main", "white", "large", "detail", "selling_point", "sku"}
    for path in (root / "output" / "tmall" / "A1023" / "main").glob("*.jpg"):
        img = np.asarray(Image.open(path).convert("RGB")).astype(int)
        assert img[5, 5].mean() > 200  # the light backdrop, not black
        centre = img[img.shape[0] // 2, img.shape[1] // 2]
        assert centre[2] > centre[0] + 40  # the blue product in the middle


ODD = {
    "A1023/dot.png": lambda: png(np.full((1, 1, 3), 200, np.uint8)),
    "A1023/strip.png": lambda: png(np.full((1, 1000, 3), 200, np.uint8)),
    "A1023/banner.jpg": lambda: jpeg_bytes(np.full((80, 6000, 3), 200, np.uint8)),
    "A1023/huge.png": underfilled_png,
}


def _odd_inbox(root: Path) -> dict[str, bytes]:
    files = {name: fn() for name, fn in ODD.items()}
    lin = (studio_photo(1200, 900, seed=7)[..., 1] / 255.0) ** 2.2
    files["A1023/linear.tif"] = tiff_float32(lin)
    files["A1023/IMG_0001.jpg"] = jpeg_bytes(studio_photo(1200, 900, seed=1))
    files["A1023/IMG_0002.jpg"] = jpeg_bytes(studio_photo(1200, 900, box=(0.3, 0.2, 0.6, 0.85), seed=2))
    for rel, data in files.items():
        (root / "inbox" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "inbox" / rel).write_bytes(data)
    return files


def test_odd_files_in_one_run_are_reported_and_the_photos_published(workspace):
    """#19 Done-when: 1×1 PNG, 6000×80 JPEG, 12000×12000-header PNG, float TIFF, two photos."""
    root = _ws(workspace)
    _odd_inbox(root)
    res = cli(root, "run", "--json", "--jobs", "2", "--no-backup")
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    import json

    doc = json.loads(res.stdout)
    left = {Path(p["file"]).name: p["reason"] for p in doc["pending"]}
    assert set(left) == {"dot.png", "strip.png", "banner.jpg", "huge.png"}
    assert "1×1" in left["dot.png"] and "1000×1" in left["strip.png"] and "6000×80" in left["banner.jpg"]
    assert "12000×12000" in left["huge.png"]
    sources = {Path(a["source"]).name for a in doc["archived"]}
    assert sources == {"IMG_0001.jpg", "IMG_0002.jpg", "linear.tif"}  # float TIFF converted, not refused
    mains = sorted((root / "output" / "tmall" / "A1023" / "main").glob("*.jpg"))
    assert len(mains) >= 3
    for path in mains:  # nothing black: every main image has its light backdrop
        assert np.asarray(Image.open(path).convert("L")).mean() > 120, path


@pytest.mark.slow
def test_odd_files_under_watch_do_not_hold_up_the_first_batch(workspace):
    from imgpipe.watch import watch

    root = _ws(workspace)
    _odd_inbox(root)
    stop, events, errors = threading.Event(), [], []

    def go():
        try:
            watch(Workspace.open(root), jobs=1, settle_seconds=0.2, stop_event=stop, backup=False,
                  on_event=lambda kind, data: events.append((kind, data)), log_stream=io.StringIO())
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    end = time.monotonic() + 120
    while time.monotonic() < end and not any(k == "batch" for k, _ in events) and not errors:
        time.sleep(0.1)
    stop.set()
    thread.join(60)
    assert not errors, errors
    first = next(d for k, d in events if k == "batch")
    assert not [d for k, d in events if k == "error"]
    published = {d["source"] for k, d in events if k == "photo"}
    assert {Path(s).name for s in published} >= {"IMG_0001.jpg", "IMG_0002.jpg"}
    assert first["stats"].archived >= 2
    # each refused file has its reason beside it
    for rel in ODD:
        note = root / "inbox" / (rel + ".reason.txt")
        assert note.is_file() and note.read_text(encoding="utf-8").strip(), rel


def test_watch_leaves_a_video_where_it_is_with_its_reason(workspace):
    from imgpipe.watch import watch

    root = _ws(workspace)
    (root / "inbox").mkdir(exist_ok=True)
    clip = root / "inbox" / "launch.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    (root / "inbox" / "A1023").mkdir()
    (root / "inbox" / "A1023" / "IMG_0001.jpg").write_bytes(jpeg_bytes(studio_photo(1200, 900, seed=1)))
    stop, events = threading.Event(), []
    thread = threading.Thread(target=lambda: watch(
        Workspace.open(root), jobs=1, settle_seconds=0.2, stop_event=stop, backup=False,
        on_event=lambda kind, data: events.append((kind, data)), log_stream=io.StringIO()), daemon=True)
    thread.start()
    end = time.monotonic() + 120
    while time.monotonic() < end and not any(k == "batch" for k, _ in events):
        time.sleep(0.1)
    stop.set()
    thread.join(60)
    assert any(k == "photo" for k, _ in events)
    assert clip.exists()  # not moved to _unmatched as if it were a photo of no article
    note = root / "inbox" / "launch.mp4.reason.txt"
    assert "视频" in note.read_text(encoding="utf-8")
