"""A resumed run gives the bytes of an uninterrupted one, cut-outs included."""

import hashlib

import pytest

from imgpipe.pipeline import run
from imgpipe.workspace import Workspace, init_workspace


pytestmark = pytest.mark.real_cutout  # what these tests check is the cut-out itself


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.mark.slow
def test_cut_out_images_remade_alone_are_byte_identical(tmp_path):
    """The white and transparent images come from GrabCut, which draws on OpenCV's random
    generator: remade alone (a run killed before them), they must not depend on the cut-outs
    the first run made before them (the analysis's, the other photos'). The demo's mug photos
    are ones whose cut-out moved with that generator."""
    root = tmp_path / "shop"
    init_workspace(root, demo=True)
    for photo in (root / "inbox").rglob("*.jpg"):
        if not photo.name.startswith("B2045"):
            photo.unlink()
    assert run(Workspace.open(root), articles=["B2045"], jobs=1).ok
    cut = sorted([*root.glob("output/*/*/white/*"), *root.glob("output/*/*/transparent/*")])
    assert cut, "the default profiles make white and transparent images"
    first = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in cut}
    for p in cut:
        p.unlink()
    again = run(Workspace.open(root), articles=["B2045"], jobs=1)
    assert again.ok and sorted(again.written) == sorted(p.relative_to(root).as_posix() for p in cut)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in cut} == first


@pytest.mark.slow
def test_a_photo_is_cut_out_once_and_remade_alone_its_transparent_image_is_the_same(tmp_path, monkeypatch):
    """White and transparent images framed at different scales share one cut-out, made at the
    largest scale any profile frames it at, so a run that remakes only one of them (the others
    are there) cuts the photo at the same scale and writes the same bytes."""
    from dataclasses import replace

    from PIL import Image

    import studio_set
    from imgpipe import cutout

    root = tmp_path / "shop"
    init_workspace(root, demo=True)
    photos = sorted((root / "inbox").rglob("*.jpg"))
    for photo in photos:
        photo.unlink()
    # a product large enough in a 2400 px photo that each platform's frame wants its own cut-out scale
    case = replace(next(c for c in studio_set.CASES if c.name == "mug-red"), size=(2400, 1800))
    main = next(p for p in photos if p.name.startswith("B2045"))
    Image.fromarray(studio_set.render(case)[0]).save(main, quality=92)
    sizes = []
    cut_out = cutout.cut_out
    monkeypatch.setattr(cutout, "cut_out", lambda img, **kw: sizes.append((img.shape, kw)) or cut_out(img, **kw))
    assert run(Workspace.open(root), articles=["B2045"], jobs=1).ok
    rendered = [s for s, kw in sizes if "decontaminate" not in kw]  # the analysis measures colours with its own
    white = sorted(root.glob("output/*/*/white/*"))
    transparent = sorted(root.glob("output/*/*/transparent/*"))
    assert white and transparent and len(rendered) == len({p.stem for p in white + transparent})
    first = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in transparent}
    for p in transparent:
        p.unlink()
    sizes.clear()
    assert run(Workspace.open(root), articles=["B2045"], jobs=1).ok
    assert [s for s, kw in sizes if "decontaminate" not in kw] == rendered
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in transparent} == first
