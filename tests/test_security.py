"""Nothing from outside escapes the workspace: restore paths, sidecar crops,
inbox symlinks, HTML from sheet text, shell invocations."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import imgpipe
from imgpipe.backup import safe_rel
from imgpipe.errors import ImgpipeError
from imgpipe.pipeline import run
from imgpipe.sidecar import load_sidecar
from imgpipe.workspace import Workspace

from conftest import PRODUCT_ROW, write_sheet
from corpus import jpeg

PACKAGE = Path(imgpipe.__file__).parent


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.mark.parametrize("rel", ["../etc/passwd", "/etc/passwd", "a/../../x", "C:/x", "a\\..\\x", "a//b", "",
                                 "a/\x00b", "./a", "..", "\\\\server\\share"])
def test_restore_refuses_hostile_paths(rel):
    with pytest.raises(ImgpipeError):
        safe_rel(rel)


@pytest.mark.parametrize("crop", ["[-0.5, 0, 1, 1]", "[0, 0, 5, 5]", "[0.6, 0, 0.2, 1]", "[0, 0, 1]"])
def test_sidecar_crop_boxes_outside_the_photo_are_refused(tmp_path, crop):
    path = tmp_path / "article.toml"
    path.write_text(f"[[selling_points]]\nphoto = 1\ncrop = {crop}\n", encoding="utf-8")
    with pytest.raises(ImgpipeError):
        load_sidecar(path)


def test_inbox_symlinks_leading_out_are_not_followed(workspace, tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    outside = secret / "A1023_outside.jpg"
    outside.write_bytes(jpeg(60))
    (workspace / "inbox" / "A1023_link.jpg").symlink_to(outside)
    (workspace / "inbox" / "A1023").symlink_to(secret, target_is_directory=True)
    (workspace / "inbox" / "A1023_real.jpg").write_bytes(jpeg(61))
    summary = run(Workspace.open(workspace), jobs=1, backup=False, platforms=["tmall"])
    names = [p.source_name for p in Workspace.open(workspace).catalog.photos()]
    assert names == ["A1023_real.jpg"], names
    assert outside.read_bytes() == jpeg(60)  # untouched, not moved
    assert summary.ok or all("outside" not in str(p.path) for p in summary.ingest.pending)


def test_sheet_text_is_escaped_in_detail_pages(workspace):
    evil = "<script>alert(1)</script>"
    row = PRODUCT_ROW.replace("禾象纯棉衬衫男长袖", f"衬衫{evil}").replace("透气;", f"透气{evil};")
    write_sheet(workspace, [row])
    (workspace / "inbox" / "A1023_1.jpg").write_bytes(jpeg(62))
    assert run(Workspace.open(workspace), jobs=1, backup=False, platforms=["tmall"]).ok
    pages = list((workspace / "output").rglob("*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert evil not in html
    assert any("&lt;script&gt;" in p.read_text(encoding="utf-8") for p in pages)


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def test_every_jinja_environment_autoescapes():
    found = 0
    for py in PACKAGE.rglob("*.py"):
        for call in _calls(ast.parse(py.read_text(encoding="utf-8"))):
            name = ast.unparse(call.func)
            if name.endswith("Environment") and "jinja" in py.read_text(encoding="utf-8"):
                found += 1
                kws = {k.arg: ast.unparse(k.value) for k in call.keywords}
                assert kws.get("autoescape") not in (None, "False"), f"{py.name}: {ast.unparse(call)[:80]}"
    assert found >= 1


def test_no_shell_invocations():
    for py in PACKAGE.rglob("*.py"):
        for call in _calls(ast.parse(py.read_text(encoding="utf-8"))):
            name = ast.unparse(call.func)
            assert name not in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"), py
            for kw in call.keywords:
                if kw.arg == "shell":
                    assert ast.unparse(kw.value) == "False", f"{py.name}: shell=True in {name}"


def test_xml_is_not_parsed_with_unsafe_parsers():
    for py in PACKAGE.rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        assert "xml.dom.minidom" not in text and "lxml" not in text, py
