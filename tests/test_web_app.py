"""The workbench without a browser: sidecar writing, fixes, language, --watch mode, the serve command."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from click.testing import CliRunner  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from imgpipe.catalog import PhotoRow  # noqa: E402
from imgpipe.errors import ConfigError, ImgpipeError  # noqa: E402
from imgpipe.sheet import Product  # noqa: E402
from imgpipe.sidecar import SellingPointSource, Sidecar, load_sidecar, save_sidecar, sidecar_path  # noqa: E402
from imgpipe.web.app import apply_fix, create_app  # noqa: E402

LOCAL = dict(client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765")
PRODUCT = Product("A1023", "纯棉衬衫", "服装", colours=("白色", "藏青", "红色"), sizes=("S", "M"),
                  selling_points=("透气", "柔软", "不起球"))


def _photo(seq: int, kind: str = "photo") -> PhotoRow:
    return PhotoRow(seq, "A1023", seq, ".jpg", f"h{seq}", f"originals/服装/A1023/A1023-{seq:02d}.jpg", f"{seq}.jpg",
                    None, kind, None, None)


PHOTOS = [_photo(1, "reference"), *(_photo(s) for s in range(2, 8))]


def test_save_sidecar_round_trips_every_key(tmp_path):
    sidecar = Sidecar(main=[3, 2, 5], white=4, large=2, skip=[7],
                      colours={'红"色\\\n': [3, 5], "藏青": [2]},
                      selling_points=[SellingPointSource(), SellingPointSource(4, [0.1, 0.2, 0.6, 0.75])])
    path = tmp_path / "originals" / "服装" / "A1023" / "article.toml"
    path.parent.mkdir(parents=True)
    save_sidecar(path, sidecar)
    assert load_sidecar(path) == sidecar
    save_sidecar(path, Sidecar())
    assert load_sidecar(path) == Sidecar()


def test_save_sidecar_refuses_what_a_run_would_refuse(tmp_path):
    path = tmp_path / "article.toml"
    save_sidecar(path, Sidecar(white=2))
    before = path.read_bytes()
    with pytest.raises(ConfigError):
        save_sidecar(path, Sidecar(selling_points=[SellingPointSource(2, [0.6, 0.2, 0.1, 0.7])]))
    assert path.read_bytes() == before


def test_sidecar_path_is_where_ingest_archives_it(tmp_path):
    assert sidecar_path(tmp_path, PRODUCT) == tmp_path / "originals" / "服装" / "A1023" / "article.toml"


def test_apply_fix_each_action():
    s = Sidecar()
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "main", "seqs": [4, 2, 4]})
    assert s.main == [4, 2]
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "white", "seq": 5})
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "large", "seq": 3})
    assert (s.white, s.large) == (5, 3)
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "skip", "seq": 7})
    assert s.skip == [7]
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "skip", "seq": 7, "on": False})
    assert s.skip == []
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "sku", "seq": 6, "colour": "红色"})
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "sku", "seq": 4, "colour": "红色"})
    assert s.colours == {"红色": [4, 6]}  # the SKU photo first, the other still shows the colour
    s = apply_fix(s, PRODUCT, PHOTOS, {"action": "selling_point", "seq": 3, "index": 2, "crop": [0.1, 0.2, 1.2, 0.9]})
    assert s.selling_points == [SellingPointSource(), SellingPointSource(3, [0.1, 0.2, 1.0, 0.9])]


@pytest.mark.parametrize("data, field", [
    ({"action": "white", "seq": 1}, "seq"),          # the grey card is never published
    ({"action": "white", "seq": 99}, "seq"),
    ({"action": "white", "seq": "2"}, "seq"),
    ({"action": "sku", "seq": 2, "colour": "绿色"}, "colour"),
    ({"action": "selling_point", "seq": 2, "index": 4}, "index"),
    ({"action": "selling_point", "seq": 2, "index": 1, "crop": [0.1, 0.2]}, "crop"),
    ({"action": "rm -rf"}, "action"),
])
def test_apply_fix_refuses_bad_input_naming_the_field(data, field):
    with pytest.raises(ImgpipeError) as info:
        apply_fix(Sidecar(), PRODUCT, PHOTOS, data)
    assert info.value.field == field


def test_board_in_english_with_language(workspace):
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "zh"', 'language = "en"'), encoding="utf-8")
    app = create_app(workspace)
    try:
        with TestClient(app, **LOCAL) as c:
            r = c.get("/")
            assert r.status_code == 200 and "Three-day board" in r.text and 'lang="en"' in r.text
            assert "waiting for photos" in r.text  # A1023 has no photos yet
            assert c.get("/?state=ready").text.count('<tr class="t-') == 0
            assert "A1023" in c.get("/a/A1023").text
            assert "no report yet" in c.get("/reports").text
            r = c.get("/a/B9999")
            assert r.status_code == 404 and "no article B9999" in r.text and "back to today" in r.text
    finally:
        from imgpipe.messages import set_language

        set_language("zh")


def test_watch_mode_takes_fixes_from_the_page(workspace):
    """`serve --watch`: the page's fixes are no longer refused for the server's own watcher (they take turns,
    lock.WRITER); a fix is still checked at once (A1023 has no photo 2 yet)."""
    app = create_app(workspace, watching=True)
    with TestClient(app, **LOCAL) as c:
        r = c.post("/a/A1023/fix", json={"action": "white", "seq": 2}, headers={"X-CSRF-Token": app.state.web.csrf})
        assert r.status_code == 400 and "--watch" not in r.json()["fix"] and "2" in r.json()["message"]
    assert not any((workspace / "originals").rglob("article.toml"))


def test_serve_command(workspace, monkeypatch, tmp_path):
    import uvicorn

    from imgpipe.cli import main

    seen = {}
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: seen.update(
        app=self.config.app, host=self.config.host, port=self.config.port))
    result = CliRunner().invoke(main, ["-w", str(workspace), "serve", "--host", "0.0.0.0", "--port", "9001"])
    assert result.exit_code == 0, result.output
    token = seen["app"].state.web.token
    assert f":9001/?token={token}" in result.output and seen["host"] == "0.0.0.0"
    result = CliRunner().invoke(main, ["-w", str(workspace), "serve", "--token", "s3cret-token-1234"])
    assert result.exit_code == 0 and seen["app"].state.web.token == "s3cret-token-1234"
    result = CliRunner().invoke(main, ["-w", str(tmp_path / "nowhere"), "serve"])
    assert result.exit_code == 2 and "imgpipe.toml" in result.output


def test_serve_refuses_a_taken_port_with_a_clear_message(workspace):
    import socket

    from imgpipe.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["-w", str(workspace), "serve", "--port", str(port)])
    assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.output and "--port" in result.output


def test_the_listing_buttons_name_the_platform_as_the_review_does(workspace):
    """The 上架 buttons said "强制标记 jd 已上架" under a review card that says 京东."""
    import json

    for platform in ("jd", "tmall"):  # the same finding in two platforms' reports: listed once, naming both
        (workspace / "reports").mkdir(exist_ok=True)
        (workspace / "reports" / f"validation-{platform}-2026-12-07.json").write_text(json.dumps(
            {"platform": platform, "date": "2026-12-07", "articles": [{"article": "A1023", "checks": [
                {"findings": [{"severity": "warning", "message": "未设置备份位置", "file": None}]}]}]}), encoding="utf-8")
    app = create_app(workspace)
    with TestClient(app, **LOCAL) as c:
        page = c.get("/a/A1023").text
    listing = page.split('<p class="listing">', 1)[1].split("</p>", 1)[0]
    assert "京东" in listing and "天猫" in listing
    assert " jd " not in listing and " tmall " not in listing
    assert "[京东、天猫] 未设置备份位置" in page
