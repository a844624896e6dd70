"""The small ones of issue 26: long colour names, the fix for a name too long, case twins, hard links."""

from __future__ import annotations

import errno
import os

import pytest

from imgpipe.errors import item_error
from imgpipe.plan import LABEL_MAX_BYTES, safe_label
from imgpipe.workspace import Workspace
from tests.conftest import PRODUCT_ROW, SHEET_HEADER, drop_photos, write_sheet

LONG_COLOUR = "深海蓝配浅雾灰拼接撞色条纹款式" * 7   # 105 characters, 315 UTF-8 bytes


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def test_a_long_colour_label_is_cut_with_a_stable_hash():
    label = safe_label(LONG_COLOUR)
    assert len(label.encode("utf-8")) <= LABEL_MAX_BYTES and label.startswith("深海蓝") and "~" in label
    assert safe_label(LONG_COLOUR) == label   # the same name, the same file, run after run
    assert safe_label(LONG_COLOUR + "二") != label   # a long name that shares the start gets another
    assert safe_label("藏青") == "藏青" and safe_label("红/白") == "红_白"


def test_a_name_too_long_is_told_as_such_not_as_a_permission():
    err = item_error(OSError(errno.ENAMETOOLONG, "File name too long"), "output/x.jpg", "render")
    assert "权限" not in err.fix and "太长" in err.fix
    assert "权限" in item_error(OSError(errno.EACCES, "Permission denied"), "x", "render").fix


@pytest.mark.slow
def test_a_100_character_colour_name_gets_its_sku_image(workspace):
    write_sheet(workspace, [PRODUCT_ROW.replace("白色/藏青/红色", f"白色/{LONG_COLOUR}/红色")])
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('platforms = ["tmall", "jd", "1688"]',
                                                             'platforms = ["tmall"]'), encoding="utf-8")
    drop_photos(workspace, count=3, size=(600, 450))
    from imgpipe.pipeline import run

    summary = run(Workspace.open(workspace), backup=False)
    assert not summary.failed, summary.failed
    skus = sorted(p.name for p in (workspace / "output" / "tmall" / "A1023" / "sku").iterdir())
    assert len(skus) == 3 and any(safe_label(LONG_COLOUR) in name for name in skus)


def test_case_twin_articles_say_so_for_each_photo(workspace):
    twin = PRODUCT_ROW.replace("A1023,", "a1023,", 1)
    (workspace / "products.csv").write_text("\n".join([SHEET_HEADER, PRODUCT_ROW, twin]) + "\n", encoding="utf-8")
    drop_photos(workspace, count=2, size=(400, 300))
    from imgpipe.pipeline import run

    summary = run(Workspace.open(workspace), backup=False, dry_run=True)
    reasons = {p.path.name: str(p.reason) for p in summary.ingest.pending}
    assert len(reasons) == 2
    for reason in reasons.values():
        assert "大小写" in reason and "a1023" in reason and "没有货号" not in reason


def test_a_hard_link_in_output_is_not_served(workspace, tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    secret = tmp_path / "secret.txt"
    secret.write_text("not for the browser", encoding="utf-8")
    (workspace / "output").mkdir(exist_ok=True)
    os.link(secret, workspace / "output" / "innocent.jpg")
    (workspace / "output" / "own.txt").write_text("ours", encoding="utf-8")
    with TestClient(create_app(workspace), client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765") as c:
        assert c.get("/file/output/innocent.jpg").status_code == 404
        assert c.get("/file/output/own.txt").text == "ours"
