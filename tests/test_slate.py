"""Slate grouping: QR and Code 128 cards generated here start groups of photos."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import barcode
import numpy as np
import pytest
import qrcode
from barcode.writer import ImageWriter
from PIL import Image

from imgpipe.catalog import Catalog
from imgpipe.slate import find_slate_groups, group_photos, read_slate, slate_text

sys.path.insert(0, str(Path(__file__).parent))
from test_watch import ThreadWatcher, make_ws, originals, wait_for  # noqa: E402

BACKDROP = (96, 104, 112)


@pytest.fixture(autouse=True)
def _no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def qr_image(text: str) -> Image.Image:
    return qrcode.make(text).get_image().convert("RGB")


def code128_image(text: str) -> Image.Image:
    buf = io.BytesIO()
    barcode.get("code128", text, writer=ImageWriter()).write(
        buf, options={"module_width": 0.3, "module_height": 12, "quiet_zone": 4})
    return Image.open(buf).convert("RGB")


def slate_photo(code: Image.Image, size=(800, 600), angle=4.0) -> Image.Image:
    """A white card with the code, held slightly askew in front of a grey backdrop."""
    canvas = Image.new("RGB", size, BACKDROP)
    card = Image.new("RGB", (420, 340), (250, 250, 250))
    code = code.copy()
    code.thumbnail((380, 300), Image.NEAREST)
    card.paste(code, ((420 - code.width) // 2, (340 - code.height) // 2))
    canvas.paste(card.rotate(angle, expand=True, fillcolor=BACKDROP), (180, 110))
    return canvas


def product_photo(seed: int, size=(800, 600)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    arr = np.full((h, w, 3), 236, np.uint8)
    arr[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = rng.integers(20, 220, 3)
    return Image.fromarray(arr)


def save_jpeg(img: Image.Image, path: Path, taken: str | None) -> bytes:
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[0x9003] = taken  # DateTimeOriginal
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, exif=exif.tobytes())
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


def test_qr_and_code128_slates_are_read_and_ordinary_photos_are_not():
    for code, text in ((qr_image("A1001"), "A1001"), (code128_image("A1002"), "A1002")):
        buf = io.BytesIO()
        slate_photo(code).save(buf, "JPEG", quality=90)
        assert read_slate(buf.getvalue()) == text
    buf = io.BytesIO()
    product_photo(1).save(buf, "JPEG", quality=90)
    assert read_slate(buf.getvalue()) is None


def test_slate_text_drops_label_prefixes():
    assert slate_text(["货号：A1023"]) == "A1023"
    assert slate_text(["article: Ａ１０２３"]) == "A1023"  # full-width digits from a Chinese IME
    assert slate_text(["a/b"]) is None


def test_group_by_capture_time_not_name_and_until_the_next_slate():
    p = {name: Path(name) for name in ["z_slate.jpg", "a1.jpg", "b2.jpg", "c_slate.jpg", "d3.jpg", "e0.jpg", "x9.jpg"]}
    taken = {
        "e0.jpg": "2026:11:20 09:59:00",  # before any slate: no group
        "z_slate.jpg": "2026:11:20 10:00:00",
        "b2.jpg": "2026:11:20 10:00:05",
        "a1.jpg": "2026:11:20 10:00:09",
        "c_slate.jpg": "2026:11:20 10:01:00",
        "d3.jpg": "2026:11:20 10:01:30",
        "x9.jpg": None,  # no capture time: after the timed ones, so in the last group
    }
    slates = {"z_slate.jpg": "a1001", "c_slate.jpg": "Q404"}
    products = {"A1001": object(), "A1002": object()}
    groups = group_photos({p[n]: taken[n] for n in taken}, {p[n]: slates.get(n) for n in taken}, products)
    assert groups.slates == {p["z_slate.jpg"], p["c_slate.jpg"]}
    assert groups.assign == {p["z_slate.jpg"]: "A1001", p["b2.jpg"]: "A1001", p["a1.jpg"]: "A1001"}
    assert groups.unknown == {p["c_slate.jpg"]: "Q404", p["d3.jpg"]: "Q404", p["x9.jpg"]: "Q404"}
    assert p["e0.jpg"] not in groups.assign and p["e0.jpg"] not in groups.unknown
    # a slate archived in an earlier batch carries over to photos taken shortly after it
    later = group_photos({p["e0.jpg"]: "2026:11:20 09:59:00"}, {}, products,
                         previous=[("2026:11:20 09:50:00", "A1002")])
    assert later.assign == {p["e0.jpg"]: "A1002"}


def test_find_slate_groups_reads_files(tmp_path):
    slate = tmp_path / "IMG_0007.jpg"
    save_jpeg(slate_photo(code128_image("A1002")), slate, "2026:11:20 10:00:00")
    photo = tmp_path / "IMG_0003.jpg"  # lower number, taken later
    save_jpeg(product_photo(2), photo, "2026:11:20 10:00:04")
    groups = find_slate_groups([photo, slate], {"A1002": object()})
    assert groups.slates == {slate}
    assert groups.assign == {slate: "A1002", photo: "A1002"}


@pytest.mark.slow
def test_watcher_groups_photos_after_qr_and_code128_slates(tmp_path):
    root = make_ws(tmp_path / "ws")
    inbox = root / "inbox"
    shots = [  # (file name, what, capture time); names deliberately out of capture order
        ("DSC_0100.jpg", "stray", "2026:11:20 09:00:00"),
        ("DSC_0050.jpg", qr_image("A1001"), "2026:11:20 10:00:00"),
        ("DSC_0049.jpg", 11, "2026:11:20 10:00:10"),
        ("DSC_0200.jpg", 12, "2026:11:20 10:00:20"),
        ("DSC_0001.jpg", code128_image("A1002"), "2026:11:20 10:05:00"),
        ("DSC_0002.jpg", 21, "2026:11:20 10:05:10"),
    ]
    data = {}
    with ThreadWatcher(root) as w:
        staging = tmp_path / "card"
        staging.mkdir()
        for name, what, taken in shots:
            img = product_photo(7) if what == "stray" else slate_photo(what) if isinstance(what, Image.Image) \
                else product_photo(what)
            data[name] = save_jpeg(img, staging / name, taken)
        for name in data:  # a card reader copy: all at once
            (staging / name).rename(inbox / name)
        wait_for(lambda: len(originals(root)) == 5 and (inbox / "_unmatched" / "DSC_0100.jpg").exists(), 30)
        wait_for(lambda: len(w.photos()) == 5, 20)
    photos = {(p.article, p.seq): p for p in Catalog(root / ".imgpipe" / "catalog.sqlite").photos()}
    expect = {("A1001", 1): ("DSC_0050.jpg", "slate"), ("A1001", 2): ("DSC_0049.jpg", "photo"),
              ("A1001", 3): ("DSC_0200.jpg", "photo"), ("A1002", 1): ("DSC_0001.jpg", "slate"),
              ("A1002", 2): ("DSC_0002.jpg", "photo")}
    assert {k: (p.source_name, p.kind) for k, p in photos.items()} == expect
    for (article, seq), (name, _) in expect.items():  # byte-identical originals
        assert (root / photos[(article, seq)].original).read_bytes() == data[name]
    out = root / "output" / "tmall"
    cat = Catalog(root / ".imgpipe" / "catalog.sqlite")
    shown = {(r["article"], r["photo_id"]) for r in cat.db.execute("SELECT article, photo_id FROM outputs")}
    slates = {("A1001", photos[("A1001", 1)].id), ("A1002", photos[("A1002", 1)].id)}
    assert not shown & slates, "slates are never published"
    assert {("A1001", photos[("A1001", s)].id) for s in (2, 3)} | {("A1002", photos[("A1002", 2)].id)} <= shown
    assert list(out.rglob("A1001-02*")) and list(out.rglob("A1001-03*")) and list(out.rglob("A1002-02*"))
    reason = (inbox / "_unmatched" / "DSC_0100.jpg.reason.txt").read_text(encoding="utf-8")
    assert "slate" in reason and "场记板" in reason
