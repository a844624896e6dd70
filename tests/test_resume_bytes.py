"""A resumed run gives the bytes of an uninterrupted one, cut-outs included."""

import hashlib

import pytest

from imgpipe.pipeline import run
from imgpipe.workspace import Workspace, init_workspace


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


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
