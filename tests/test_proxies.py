"""One reduced decode per new photo: ingest keeps the analysis proxy, the analysis takes it."""

import shutil
from pathlib import Path

import pytest

from imgpipe import analyse, imageio, proxies, render
from imgpipe.analyse import analysis_task
from imgpipe.ingest import ingest
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from conftest import drop_photos


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def _counting_decodes(monkeypatch) -> list:
    seen = []
    real = render.load_photo

    def counted(path, **kw):
        seen.append(Path(path).name)
        return real(path, **kw)

    monkeypatch.setattr(render, "load_photo", counted)
    monkeypatch.setattr(imageio, "load_photo", counted)  # analyse.analyse_photo takes it from there
    return seen


def test_ingest_keeps_the_proxy_and_the_analysis_spends_it(workspace, monkeypatch):
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    ingest(workspace, ws.sheet().products, ws.catalog, map_fn=lambda fn, items, *a: [fn(i, *a) for i in items])
    photos = ws.catalog.photos("A1023")
    kept = sorted(p.name for p in (workspace / ".imgpipe" / "proxies").iterdir())
    assert kept == sorted(f"{p.sha256}.npz" for p in photos)
    proxy, size = proxies.load_proxy(workspace, photos[0].sha256)
    assert max(proxy.shape[:2]) == proxies.LONG_SIDE and size == (1200, 900)

    # the analysis from the kept proxy is the analysis from a fresh decode, to the last digit
    task, _key = analysis_task(ws.settings, photos[0], [])
    decodes = _counting_decodes(monkeypatch)
    from_proxy = analyse.analyse_photo(task, workspace, ws.settings.max_megapixels)
    assert decodes == []
    proxies.drop_proxy(workspace, photos[0].sha256)
    from_decode = analyse.analyse_photo(task, workspace, ws.settings.max_megapixels)
    assert decodes == [Path(photos[0].original).name]
    assert from_proxy == from_decode and from_proxy[2] is None


@pytest.mark.slow
def test_a_run_decodes_each_new_photo_once_for_analysis_and_leaves_no_proxy(workspace, monkeypatch):
    drop_photos(workspace, count=3)
    decodes = _counting_decodes(monkeypatch)  # load_photo: analysis and render decodes
    summary = run(Workspace.open(workspace), jobs=1)
    assert summary.ok, summary.failed
    assert len(decodes) == 3  # the render's one decode per photo; the analysis used ingest's proxy
    assert not list((workspace / ".imgpipe" / "proxies").glob("*"))


@pytest.mark.slow
def test_a_missing_or_broken_proxy_is_decoded_again_with_the_same_outputs(workspace, tmp_path):
    """A run killed between ingest and analysis leaves proxies (or half of one): the rerun still
    gives the outputs of an uninterrupted run."""
    drop_photos(workspace, count=2)
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)
    ws = Workspace.open(workspace)
    ingest(workspace, ws.sheet().products, ws.catalog)
    shas = [p.sha256 for p in ws.catalog.photos("A1023")]
    proxies.proxy_path(workspace, shas[0]).write_bytes(b"PK\x03\x04 cut short")
    proxies.proxy_path(workspace, shas[1]).unlink()
    assert proxies.load_proxy(workspace, shas[0]) is None
    assert run(Workspace.open(workspace), jobs=1).ok
    assert run(Workspace.open(twin), jobs=1).ok

    def made(root):
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "output").rglob("*.jpg"))}

    assert made(workspace) and made(workspace) == made(twin)
    assert not list((workspace / ".imgpipe" / "proxies").glob("*"))
