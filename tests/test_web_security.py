"""The workbench's defences: file routes, access token, CSRF, uploads, error pages.

Starlette's TestClient for the app itself; a real uvicorn server and a raw
socket for the traversal requests a client library would normalise away.
"""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from imgpipe.web import security  # noqa: E402
from imgpipe.web.app import create_app  # noqa: E402

from conftest import jpeg_bytes, studio_photo  # noqa: E402
from web_server import running  # noqa: E402

SECRET = "secret-do-not-serve"
LOCAL = dict(client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765")


@pytest.fixture
def shop(workspace: Path) -> Path:
    """A workspace with one file in each served area, a secret outside them and links that lead out."""
    (workspace / "imgpipe.toml").write_text((workspace / "imgpipe.toml").read_text(encoding="utf-8")
                                            + f"\n# {SECRET}\n", encoding="utf-8")
    (workspace / "outside.txt").write_text(SECRET, encoding="utf-8")
    for area in ("originals", "output", "reports"):
        folder = workspace / area / "服装" / "A1023"
        folder.mkdir(parents=True)
        (folder / "A1023-01.jpg").write_bytes(jpeg_bytes(studio_photo(300, 200)))
    (workspace / "output" / "link.txt").symlink_to(workspace / "outside.txt")
    (workspace / "output" / "up").symlink_to(workspace, target_is_directory=True)
    return workspace


@pytest.fixture
def client(shop):
    app = create_app(shop)
    with TestClient(app, raise_server_exceptions=False, **LOCAL) as c:
        c.csrf = app.state.web.csrf
        c.runner = app.state.web.runner
        yield c


TRAVERSALS = [
    "../imgpipe.toml", "../../outside.txt", "%2e%2e/imgpipe.toml", "%2E%2E/outside.txt", "..%2fimgpipe.toml",
    "%2e%2e%2fimgpipe.toml", "%252e%252e/imgpipe.toml", "%252e%252e%252fimgpipe.toml", "..%5cimgpipe.toml",
    "..\\imgpipe.toml", "/etc/passwd", "%2fetc%2fpasswd", "//etc/passwd", str(Path("/etc/passwd")),
    "C:/Windows/win.ini", "link.txt", "up/imgpipe.toml", "up/outside.txt", "./../imgpipe.toml",
    "服装/A1023/../../../imgpipe.toml", "服装/A1023/%2e%2e/%2e%2e/%2e%2e/imgpipe.toml", ".imgpipe/catalog.sqlite",
    "%00../imgpipe.toml",
]
ROUTES = ["/file/originals/", "/file/output/", "/file/reports/", "/thumb/originals/", "/thumb/output/",
          "/file/.imgpipe/", "/file/", "/thumb/"]


@pytest.mark.parametrize("route", ROUTES)
def test_traversal_refused_by_the_app(client, route):
    for attack in TRAVERSALS:
        r = client.get(route + attack)
        assert r.status_code in (400, 403, 404), (route, attack, r.status_code)
        assert SECRET not in r.text and "root:" not in r.text, (route, attack)
        assert "Traceback" not in r.text


def test_safe_file_unit(shop):
    ok = security.safe_file(shop, "output", "服装/A1023/A1023-01.jpg")
    assert ok == (shop / "output" / "服装" / "A1023" / "A1023-01.jpg").resolve()
    for attack in TRAVERSALS + ["../outside.txt", "up", "", "服装//A1023-01.jpg"]:
        assert security.safe_file(shop, "output", attack) is None, attack
    assert security.safe_file(shop, "inbox", "x.jpg") is None
    assert security.safe_file(shop, "..", "outside.txt") is None


def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data


@pytest.fixture
def live(shop):
    with running(create_app(shop)) as port:
        yield port


def test_traversal_refused_on_the_wire(live):
    """Request targets sent byte for byte, as an attacker's script would (no client-side normalising)."""
    status, body = _raw_get(live, "/file/output/%E6%9C%8D%E8%A3%85/A1023/A1023-01.jpg")
    assert status == 200 and body.count(b"\xff\xd8") >= 1  # the real file is served
    for route in ROUTES:
        for attack in TRAVERSALS:
            if " " in attack or "\\" in attack:
                attack = attack.replace("\\", "%5c")
            status, body = _raw_get(live, route + attack)
            assert status in (400, 403, 404), (route, attack, status)
            assert SECRET.encode() not in body and b"root:" not in body, (route, attack)


def test_files_and_thumbnails_are_served(client, shop):
    r = client.get("/file/output/服装/A1023/A1023-01.jpg")
    assert r.status_code == 200 and r.content == (shop / "output/服装/A1023/A1023-01.jpg").read_bytes()
    r = client.get("/thumb/originals/服装/A1023/A1023-01.jpg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    from PIL import Image

    assert max(Image.open(io.BytesIO(r.content)).size) == 240
    assert len(list((shop / ".imgpipe" / "thumbs").rglob("*.jpg"))) == 1
    assert client.get("/thumb/originals/服装/A1023/A1023-01.jpg?s=99999").status_code == 404


def test_non_loopback_host_gets_a_token_and_strangers_are_refused(shop):
    app = create_app(shop, host="0.0.0.0")
    token = app.state.web.token
    assert token and len(token) >= 20
    stranger = TestClient(app, raise_server_exceptions=False, client=("192.168.1.20", 40000),
                          base_url="http://192.168.1.5:8765")
    r = stranger.get("/")
    assert r.status_code == 401 and "token" in r.text and "Traceback" not in r.text
    assert stranger.get("/file/output/服装/A1023/A1023-01.jpg").status_code == 401
    assert stranger.get("/?token=wrong").status_code == 403
    assert stranger.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 403
    r = stranger.get(f"/?token={token}", follow_redirects=False)
    assert r.status_code == 303 and "token" not in r.headers["location"]
    assert stranger.cookies.get(security.TOKEN_COOKIE) == token
    assert stranger.get("/").status_code == 200  # the cookie from now on
    # the same PC needs no token, but only under its own name (a DNS-rebinding page uses another)
    local = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000), base_url="http://127.0.0.1:8765")
    assert local.get("/").status_code == 200
    rebound = TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 40000),
                         base_url="http://evil.example:8765")
    assert rebound.get("/").status_code == 401


def test_loopback_server_refuses_other_clients(shop):
    app = create_app(shop)
    assert app.state.web.token is None
    r = TestClient(app, raise_server_exceptions=False, client=("10.0.0.7", 40000)).get("/")
    assert r.status_code == 401


def test_serve_prints_the_token_url_for_a_network_host(shop, monkeypatch):
    import uvicorn

    from imgpipe.web import serve

    seen = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.update(
        app=self.config.app, host=self.config.host, port=self.config.port))
    said = []
    serve(shop, host="0.0.0.0", port=9999, say=said.append)
    token = seen["app"].state.web.token
    assert seen["host"] == "0.0.0.0" and token
    assert f"?token={token}" in said[0] and ":9999/" in said[0]
    said.clear()
    serve(shop, host="127.0.0.1", port=9998, say=said.append)
    assert seen["app"].state.web.token is None and "token" not in said[0]


def test_post_without_csrf_is_refused(client, shop):
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        r = client.post("/a/A1023/listed", json={}, headers=headers)
        assert r.status_code == 403 and "CSRF" in r.text
        r = client.post("/upload", files={"photos": ("a.jpg", jpeg_bytes(studio_photo(200, 150)), "image/jpeg")},
                        headers=headers)
        assert r.status_code == 403
    from imgpipe.catalog import Catalog

    assert Catalog(shop / ".imgpipe" / "catalog.sqlite").listings("A1023") == {}
    assert not any((shop / "inbox").rglob("*.jpg"))
    r = client.post("/a/A1023/listed", json={"platforms": ["tmall"], "force": True},
                    headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 200 and r.json()["listed"] == {"tmall": "2026-11-26"}


def test_non_image_upload_refused_with_a_clear_message(client, shop):
    r = client.post("/upload", data={"article": "A1023"}, headers={"X-CSRF-Token": client.csrf},
                    files={"photos": ("invoice.jpg", b"%PDF-1.4 not a photo at all", "image/jpeg")})
    assert r.status_code == 415
    body = r.json()
    assert body["refused"][0]["file"] == "invoice.jpg" and "不是图片" in body["refused"][0]["message"]
    assert not [p for p in (shop / "inbox").rglob("*") if p.is_file()]


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_upload_names_are_sanitised_and_never_overwrite(client, shop, monkeypatch):
    monkeypatch.setattr("imgpipe.web.app.MAX_UPLOAD_BYTES", 200_000)
    monkeypatch.setattr(client.app.state.web, "watching", True)  # as with --watch: no run started here
    photo = jpeg_bytes(studio_photo(320, 240))
    big = jpeg_bytes(studio_photo(2400, 1800, seed=3), quality=100)
    assert len(big) > 200_000
    files = [("photos", ("../../evil.jpg", photo, "image/jpeg")), ("photos", ("C:\\x\\evil.jpg", photo, "image/jpeg")),
             ("photos", ("big.jpg", big, "image/jpeg"))]
    r = client.post("/upload", data={"article": "A1023"}, files=files, headers={"X-CSRF-Token": client.csrf})
    body = r.json()
    assert body["stored"] == ["inbox/A1023/evil.jpg", "inbox/A1023/evil (2).jpg"]
    assert [x["file"] for x in body["refused"]] == ["big.jpg"] and "MB" in body["refused"][0]["message"]
    assert not (shop / "evil.jpg").exists() and not (shop.parent / "evil.jpg").exists()
    assert (shop / "inbox/A1023/evil (2).jpg").read_bytes() == photo and "job" not in body


def test_safe_name():
    assert security.safe_name("../../a.jpg") == "a.jpg"
    assert security.safe_name("C:\\Users\\x\\IMG 1.JPG") == "IMG 1.JPG"
    assert security.safe_name("..") == "" and security.safe_name(".hidden.jpg") == "hidden.jpg"
    assert security.safe_name("a\x00b<c>.jpg") == "a_b_c_.jpg"
    assert security.safe_name("con.jpg") == "_con.jpg"
    assert security.safe_name("新到 %2e%2e.jpg") == "新到 _2e_2e.jpg"
    long = security.safe_name("长" * 300 + ".jpg")   # 180 UTF-8 bytes at most: a file name on every disk
    assert long == "长" * 58 + ".jpg" and len(security.safe_name("a" * 300 + ".jpg")) == 120


def test_pages_cannot_be_framed_and_run_no_inline_script(client):
    r = client.get("/")
    assert r.headers["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "script-src" not in r.headers["content-security-policy"]  # default-src 'self': no inline script runs
    assert client.get("/file/output/服装/A1023/A1023-01.jpg").headers["x-content-type-options"] == "nosniff"


def test_errors_are_pages_without_tracebacks(client):
    r = client.get("/a/NOPE")
    assert r.status_code == 404 and "NOPE" in r.text and "<html" in r.text and "Traceback" not in r.text
    r = client.post("/a/A1023/fix", content=b"{not json", headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 400 and "Traceback" not in r.text
    r = client.post("/a/A1023/fix", json={"action": "white", "seq": 99}, headers={"X-CSRF-Token": client.csrf})
    assert r.status_code == 400 and "99" in r.json()["message"]
