"""A workbench fix is on disk before the page says "saved": queued while a CLI run holds the
workspace, applied when the run lock frees, and still applied after a server restart."""

from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("starlette")

from starlette.testclient import TestClient  # noqa: E402

import imgpipe.web.fixes as fixes  # noqa: E402
from imgpipe.lock import run_lock  # noqa: E402
from imgpipe.sidecar import load_sidecar, sidecar_path  # noqa: E402
from imgpipe.web.app import create_app  # noqa: E402
from imgpipe.workspace import Workspace  # noqa: E402
from tests.conftest import drop_photos  # noqa: E402

LOCAL = dict(client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765")
RENDERED: list[str] = []   # articles the (stand-in) render job ran for


@pytest.fixture
def shop(workspace, monkeypatch):
    """A1023 with three archived photos (numbers 1-3), not rendered: the fixes are what is tested."""
    from imgpipe.ingest import ingest

    drop_photos(workspace, count=3, size=(400, 300))
    ws = Workspace.open(workspace)
    ingest(workspace, ws.sheet().products, ws.catalog, map_fn=lambda fn, items, *a: [fn(i, *a) for i in items])
    ws.catalog.close()
    RENDERED.clear()

    def render_article(jobs, article, before=None):   # the real run lock and sidecar write; no pixels
        def work(ws, progress):
            with run_lock(ws.root):
                if before:
                    before(ws)
            RENDERED.append(article)
            return {"written": 0, "paths": [], "failed": []}
        return work

    monkeypatch.setattr("imgpipe.web.app.render_article", render_article)
    monkeypatch.setattr("imgpipe.web.app.check_article", lambda ws, article: [])
    monkeypatch.setattr(fixes, "RETRY", 0.05)
    return workspace


def _white(root) -> int | None:
    ws = Workspace.open(root)
    try:
        return load_sidecar(sidecar_path(root, ws.sheet().products["A1023"])).white
    finally:
        ws.catalog.close()


def _queue(root):
    return sorted((root / fixes.QUEUE).glob("*.json"))


def _fix(client, app, data):
    return client.post("/a/A1023/fix", json=data, headers={"X-CSRF-Token": app.state.web.csrf})


def _wait(cond, seconds=20.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end and not cond():
        time.sleep(0.05)
    return cond()


@pytest.mark.slow
def test_a_fix_during_a_cli_run_is_queued_on_disk_and_survives_a_server_restart(shop):
    cli_run = run_lock(shop)
    cli_run.acquire()   # what `imgpipe run` holds while it works
    try:
        app = create_app(shop)
        with TestClient(app, **LOCAL) as client:
            r = _fix(client, app, {"action": "white", "seq": 3})
            assert r.status_code == 200
            body = r.json()
            assert body["ok"] and body["queued"] and "job" not in body
            assert "当前运行结束后生效" in body["message"] and body["sidecar"]["white"] == 3
            r = _fix(client, app, {"action": "large", "seq": 2})   # a second one keeps its place
            assert r.json()["sidecar"] == dict(body["sidecar"], large=2)
            assert [json.loads(p.read_text(encoding="utf-8"))["fix"]["action"] for p in _queue(shop)] == \
                ["white", "large"]
            time.sleep(0.3)   # the retry looks several times: the lock is still held
            assert not _white(shop) and len(_queue(shop)) == 2
        app.state.web.closing.set()   # the server stops (Ctrl-C) with the fixes still queued
        time.sleep(0.2)
    finally:
        cli_run.release()
    assert len(_queue(shop)) == 2 and not _white(shop)

    app = create_app(shop)   # the next start applies what was left
    assert _wait(lambda: not _queue(shop) and RENDERED)
    app.state.web.runner.wait()
    ws = Workspace.open(shop)
    sidecar = load_sidecar(sidecar_path(shop, ws.sheet().products["A1023"]))
    ws.catalog.close()
    assert (sidecar.white, sidecar.large) == (3, 2)
    app.state.web.closing.set()


def test_a_queued_fix_applies_when_the_run_ends_without_a_restart(shop):
    cli_run = run_lock(shop)
    cli_run.acquire()
    app = create_app(shop)
    try:
        with TestClient(app, **LOCAL) as client:
            assert _fix(client, app, {"action": "white", "seq": 2}).json()["queued"]
            time.sleep(0.2)
            assert not _white(shop)
            cli_run.release()
            assert _wait(lambda: _white(shop) == 2)
            assert not _queue(shop)
    finally:
        cli_run.release()
        app.state.web.closing.set()


def test_a_fix_with_the_workspace_free_is_saved_by_its_job(shop):
    app = create_app(shop)
    with TestClient(app, **LOCAL) as client:
        body = _fix(client, app, {"action": "white", "seq": 2}).json()
        assert body["job"] and not body.get("queued")
        assert app.state.web.runner.wait()
    assert _white(shop) == 2 and not _queue(shop) and RENDERED == ["A1023"]
    app.state.web.closing.set()


def test_a_bad_fix_is_refused_and_nothing_is_queued(shop):
    app = create_app(shop)
    with TestClient(app, raise_server_exceptions=False, **LOCAL) as client:
        r = _fix(client, app, {"action": "white", "seq": 99})
        assert r.status_code == 400 and not _queue(shop)
    app.state.web.closing.set()


def test_fixes_queue_in_order_where_the_disk_has_no_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(1, "Operation not permitted")   # FAT, some network shares

    monkeypatch.setattr(fixes.os, "link", no_links)
    first = fixes.queue_fix(tmp_path, "A1023", {"action": "white", "seq": 2})
    second = fixes.queue_fix(tmp_path, "A1023", {"action": "large", "seq": 3})
    assert [p.name for p in _queue(tmp_path)] == [first.name, second.name] == ["00000001.json", "00000002.json"]
    assert [r["fix"]["action"] for _, r in fixes.queued(tmp_path, "A1023")] == ["white", "large"]
    assert not list((tmp_path / fixes.QUEUE).glob(".*"))   # no staged file left
