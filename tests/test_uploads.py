"""Uploads are transactions: streamed into the workspace, checked, moved in under a free name, reported."""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("starlette")
httpx = pytest.importorskip("httpx")

from PIL import Image  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from imgpipe.web import security  # noqa: E402
from imgpipe.web.app import create_app  # noqa: E402
from tests.conftest import jpeg_bytes, studio_photo  # noqa: E402
from tests.web_server import running  # noqa: E402

LOCAL = dict(client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765")
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "inbox" / "C3301_01.jpg"


@pytest.fixture
def app(workspace):
    app = create_app(workspace)
    app.state.web.watching = True   # as with --watch: no render job started by an upload
    return app


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False, **LOCAL) as c:
        c.csrf = app.state.web.csrf
        yield c


def _small_jpeg(mark: int) -> bytes:
    """A distinct small photo per `mark` (its top-left block carries the number)."""
    arr = studio_photo(160, 120, seed=1)
    arr[:8, :8] = (mark % 256, (mark * 7) % 256, 0)
    return jpeg_bytes(arr)


def _inbox_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "inbox").rglob("*") if p.is_file())


def _post(client, files, article="A1023"):
    return client.post("/upload", data={"article": article} if article else None, files=files,
                       headers={"X-CSRF-Token": client.csrf})


@pytest.mark.slow
def test_fifty_concurrent_same_name_uploads_keep_fifty_photos(app, workspace):
    photos = [_small_jpeg(i) for i in range(50)]
    with running(app) as port:
        def send(data: bytes) -> dict:
            r = httpx.post(f"http://127.0.0.1:{port}/upload", data={"article": "A1023"},
                           files={"photos": ("photo.jpg", data, "image/jpeg")},
                           headers={"X-CSRF-Token": app.state.web.csrf}, timeout=60)
            assert r.status_code == 200, r.text
            return r.json()

        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            bodies = list(pool.map(send, photos))
    stored = [b["stored"][0] for b in bodies]
    assert len(set(stored)) == 50
    on_disk = _inbox_files(workspace)
    assert len(on_disk) == 50
    assert {hashlib.sha256(p.read_bytes()).hexdigest() for p in on_disk} == \
        {hashlib.sha256(d).hexdigest() for d in photos}   # none overwritten, none lost
    assert "inbox/A1023/photo.jpg" in stored and "inbox/A1023/photo (50).jpg" in stored
    assert not list((workspace / ".imgpipe" / "uploads").iterdir())


def test_a_120_character_chinese_name_is_stored(client, workspace):
    name = "春季新款纯棉衬衫男士长袖白色藏青红色" * 7   # 126 characters, 378 bytes in UTF-8
    name = name[:120] + ".jpg"
    photo = _small_jpeg(1)
    r = _post(client, [("photos", (name, photo, "image/jpeg")), ("photos", ("b.jpg", photo, "image/jpeg"))])
    assert r.status_code == 200, r.text
    body = r.json()
    assert [f["outcome"] for f in body["files"]] == ["stored", "stored"]
    stored = workspace / body["stored"][0]
    assert stored.read_bytes() == photo and stored.suffix == ".jpg" and stored.name.startswith("春季新款")
    assert len(stored.name.encode("utf-8")) <= 180


@pytest.mark.slow
def test_every_file_has_its_outcome_and_refused_files_leave_nothing(client, workspace, monkeypatch):
    monkeypatch.setattr("imgpipe.web.app.MAX_UPLOAD_BYTES", 300_000)
    good = _small_jpeg(2)
    big = jpeg_bytes(studio_photo(2400, 1800, seed=3), quality=100)
    cut = good[: len(good) // 2]
    files = [("photos", ("first.jpg", good, "image/jpeg")), ("photos", ("invoice.jpg", b"%PDF-1.4 x", "image/jpeg")),
             ("photos", ("big.jpg", big, "image/jpeg")), ("photos", ("cut.jpg", cut, "image/jpeg")),
             ("photos", ("last.jpg", good, "image/jpeg"))]
    body = _post(client, files).json()
    assert [(f["file"], f["outcome"]) for f in body["files"]] == [
        ("first.jpg", "stored"), ("invoice.jpg", "refused"), ("big.jpg", "refused"), ("cut.jpg", "refused"),
        ("last.jpg", "stored")]
    assert "MB" in body["files"][2]["message"] and body["files"][3]["fix"]
    assert [p.name for p in _inbox_files(workspace)] == ["first.jpg", "last.jpg"]
    assert not list((workspace / ".imgpipe" / "uploads").iterdir())


def test_uploads_are_streamed_inside_the_workspace(client, workspace, monkeypatch):
    import imgpipe.web.uploads as uploads

    seen = []
    real = uploads.check_upload
    monkeypatch.setattr(uploads, "check_upload", lambda path, *a: seen.append(path) or real(path, *a))
    _post(client, [("photos", ("a.jpg", _small_jpeg(3), "image/jpeg"))])
    assert seen and seen[0].parent == workspace / ".imgpipe" / "uploads"


@pytest.mark.parametrize("sent, kept", [
    ("a\x00b.jpg", "a_00b.jpg"), ("../../..", "photo.jpg"), ("CON.jpg", "_CON.jpg"), ("nul .jpg", "_nul.jpg"),
    ("..\\..\\x.jpg", "x.jpg"), ("IMG 1", "IMG 1.jpg"),
])
def test_any_name_is_cleaned(client, workspace, sent, kept):
    body = _post(client, [("photos", (sent, _small_jpeg(4), "image/jpeg"))]).json()
    assert body["stored"] == [f"inbox/A1023/{kept}"]


def test_safe_name_limits_bytes_and_keeps_the_extension():
    name = security.safe_name("长" * 300 + ".jpg")
    assert name.endswith(".jpg") and len(name.encode("utf-8")) <= 180 and name.startswith("长")
    assert security.safe_name("a" * 300 + ".jpeg") == "a" * 115 + ".jpeg"


def test_a_damaged_jpeg_is_refused_at_upload(client, workspace):
    if not SAMPLE.exists():
        pytest.skip("samples/ not present")
    data = SAMPLE.read_bytes()
    cut = data[: int(len(data) * 0.4)] + b"\xff\xd9"
    body = _post(client, [("photos", ("cut.jpg", cut, "image/jpeg"))]).json()
    assert body["files"][0]["outcome"] == "refused" and not _inbox_files(workspace)


def test_non_multipart_upload_is_a_clear_400(client):
    r = client.post("/upload", content=b"x", headers={"X-CSRF-Token": client.csrf, "Content-Type": "text/plain"})
    assert r.status_code == 400 and "Traceback" not in r.text


def _png(size=(120, 90)) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0], 3), 200, np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_a_png_without_an_extension_gets_one(client, workspace):
    body = _post(client, [("photos", ("scan", _png(), "image/png"))]).json()
    assert body["stored"] == ["inbox/A1023/scan.png"]


def test_temporary_files_a_killed_server_left_are_swept(workspace):
    import os

    from imgpipe.web.uploads import STALE_UPLOAD, WorkspaceUploadParser

    folder = workspace / ".imgpipe" / "uploads"
    folder.mkdir(parents=True)
    old, fresh = folder / ".upload-old.part", folder / ".upload-new.part"
    old.write_bytes(b"x" * 10)
    fresh.write_bytes(b"y")
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(fresh, (1_000_000 + STALE_UPLOAD, 1_000_000 + STALE_UPLOAD))
    parser = WorkspaceUploadParser({}, None, folder=folder, max_bytes=1)
    assert parser.sweep(now=1_000_000 + STALE_UPLOAD + 10) == 1
    assert not old.exists() and fresh.exists()   # an upload still streaming is left alone
