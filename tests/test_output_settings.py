"""Profile settings that shape the files: formats (PNG), background, the sold-out size text, sRGB tags."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from PIL import Image, ImageCms

from conftest import drop_photos
from imgpipe.context import article_context, plan_article
from imgpipe.pipeline import run
from imgpipe.profiles import load_profile
from imgpipe.settings import Settings, SoldOutSettings
from imgpipe.validate import Validator
from imgpipe.workspace import Workspace
from test_plan import PRODUCT, photo


def _profile(root, text):
    (root / "profiles").mkdir(exist_ok=True)
    (root / "profiles" / "tmall.toml").write_text(text, encoding="utf-8")


def _icc(path) -> str:
    with Image.open(path) as img:
        data = img.info.get("icc_profile")
    return ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(data))).strip() if data else ""


@pytest.mark.slow
def test_a_png_only_platform_gets_png_tagged_srgb_and_the_same_bytes_every_run(workspace, tmp_path):
    _profile(workspace, 'formats = ["png"]\n')
    drop_photos(workspace, count=2)
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)
    for root in (workspace, twin):
        assert run(Workspace.open(root), platforms=["tmall"], backup=False).ok
    outputs = [r["path"] for r in Workspace.open(workspace).catalog.outputs("A1023", "tmall")]
    assert outputs and all(p.endswith(".png") for p in outputs)
    for rel in outputs:
        with Image.open(workspace / rel) as img:
            assert img.format == "PNG" and img.mode == ("RGBA" if "/transparent/" in rel else "RGB")
        assert "srgb" in _icc(workspace / rel).lower()
        assert (workspace / rel).read_bytes() == (twin / rel).read_bytes()
    ws = Workspace.open(workspace)
    sizes = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"]).checks["sizes"]
    # detail-page slices are the pages stage's (still JPEG there); every role's image passes
    assert not [f for f in sizes.findings if "/page/" not in (f.file or "")]


def test_jpeg_outputs_are_tagged_srgb(workspace):
    drop_photos(workspace, count=1)
    run(Workspace.open(workspace), platforms=["tmall"], backup=False)
    for path in (workspace / "output" / "tmall" / "A1023").rglob("*.jpg"):
        if "page" not in path.parts:
            assert "srgb" in _icc(path).lower(), path


@pytest.mark.slow
def test_the_white_image_takes_the_profiles_background(workspace):
    _profile(workspace, 'background = "#F0F0F0"\n')
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    run(ws, platforms=["tmall"], backup=False)
    (white,) = (workspace / "output/tmall/A1023/white").glob("*.jpg")
    rgb = np.asarray(Image.open(white).convert("RGB")).astype(int)
    border = np.concatenate([rgb[:10].reshape(-1, 3), rgb[-10:].reshape(-1, 3)])
    assert np.abs(border - 240).max() <= 3
    marks = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"]).checks["marks"]
    assert not [f for f in marks.findings if f.code == "white_border"]


def test_one_size_of_one_colour_uses_the_size_text():
    photos = [photo(1), photo(2)]
    settings = Settings(soldout=SoldOutSettings(size_text="{size} 缺货"))
    jobs = plan_article(article_context(PRODUCT, photos, sold=[("红色", "XL")]), load_profile("tmall"), settings)
    marked = {j.path.rsplit("/", 2)[1] + "/" + j.path.rsplit("/", 1)[1]: j.params["overlays"]
              for j in jobs if j.params["overlays"]}
    assert marked == {"sku/A1-01-红色.jpg": ["红色 XL 缺货"]}


def test_a_png_tells_whether_it_came_from_the_first_try_or_the_optimize_pass():
    from imgpipe.encode import encode_png, first_try_png

    y, x = np.mgrid[0:160, 0:160]
    rgba = np.dstack([x, y, (x * y) % 251, np.full_like(x, 200)]).astype(np.uint8)
    img = Image.fromarray(rgba)
    first = encode_png(img, max_bytes=10**7)
    assert first_try_png(first)
    slow = encode_png(img, max_bytes=len(first) - 1)  # over the cap at the first try: the optimize pass
    assert len(slow) < len(first) and not first_try_png(slow)
    assert not first_try_png(b"not a png at all")
