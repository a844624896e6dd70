"""Installed cut-out models: `imgpipe model install | list | remove` and `[cutout] model = "<name>"`.

Models are the stand-in ONNX of test_cutout_model.py (a U²-Net-shaped
graph written with `onnx`); downloads come from an http.server on
127.0.0.1 that speaks HTTP Range and can cut its first answer mid-way.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import jpeg_bytes, studio_photo
from imgpipe import models
from imgpipe.cli import main
from imgpipe.context import Resources
from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.messages import get_language, set_language, t_in
from imgpipe.workspace import Workspace, init_workspace
from test_cutout_model import stand_in_model

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

WHEN = "2026-11-26T10:00:00"


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """The user's data folder of these tests (never the real one); the language left as found."""
    monkeypatch.setenv(models.DATA_ENV, str(tmp_path / "data"))
    before = get_language()
    yield tmp_path / "data"
    set_language(before)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory) -> bytes:
    return stand_in_model(tmp_path_factory.mktemp("m") / "stand-in.onnx").read_bytes()


@pytest.fixture
def model_file(tmp_path, model_bytes) -> Path:
    path = tmp_path / "src" / "isnet-test.onnx"
    path.parent.mkdir()
    path.write_bytes(model_bytes)
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# --------------------------------------------------------------------------- install from a file


def test_install_from_a_file_copies_checks_and_indexes_it(model_file, data_dir, model_bytes):
    folder = models.user_models_dir()
    made = models.install(str(model_file), folder, installed_at=WHEN)
    assert made.name == "isnet-test" and made.path == folder / "isnet-test.onnx"
    assert made.path.read_bytes() == model_bytes and made.sha256 == sha(model_bytes)
    assert made.input_size == [320, 320] and made.size == len(model_bytes)
    assert files_in(folder) == {"isnet-test.onnx", "models.json"}  # no temporary file left
    index = json.loads((folder / "models.json").read_text(encoding="utf-8"))["models"]
    assert index == [{"name": "isnet-test", "file": "isnet-test.onnx", "size": len(model_bytes),
                      "sha256": sha(model_bytes), "input_size": [320, 320], "source": str(model_file.resolve()),
                      "installed_at": WHEN}]
    assert folder.is_relative_to(data_dir)


def not_a_map(path: Path) -> Path:
    """A loadable ONNX whose output is a 3-channel image, not a 1-channel map."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "rgb",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 64, 64])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 64, 64])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("kind", ["jpeg", "text", "rgb-output"])
def test_a_file_that_is_no_model_is_refused_by_name_with_the_fix(tmp_path, kind):
    path = tmp_path / "下载" / {"jpeg": "photo.jpg", "text": "readme.onnx", "rgb-output": "rgb.onnx"}[kind]
    path.parent.mkdir()
    if kind == "jpeg":
        path.write_bytes(jpeg_bytes(studio_photo(64, 48)))
    elif kind == "text":
        path.write_text("this is not a model\n", encoding="utf-8")
    else:
        not_a_map(path)
    folder = models.user_models_dir()
    set_language("en")
    with pytest.raises(ImgpipeError) as refused:
        models.install(str(path), folder, installed_at=WHEN)
    text = str(refused.value)
    assert str(path) in text and "is not a usable cut-out model" in text and "imgpipe model install" in text
    if kind == "rgb-output":
        assert "1x3x64x64" in text and "1x1xHxW" in text
    assert not list(folder.glob("*.onnx")) and models.read_index(folder) == {}
    assert not [p for p in folder.iterdir() if p.name.startswith(".")] if folder.exists() else True
    # the same from the command line, in Chinese: exit 1, the file and the fix named
    set_language("zh")
    result = cli("-w", tmp_path, "model", "install", path)
    assert result.exit_code == 1
    assert path.name in result.output and "不是可用的抠图模型" in result.output
    assert "imgpipe model install" in result.output


def test_names_come_from_the_file_or_url_and_must_be_plain():
    assert models.default_name(r"D:\models\isnet-general-use.onnx") == "isnet-general-use"
    assert models.default_name("https://example.org/v0.0.0/u2netp.onnx?download=1") == "u2netp"
    assert models.is_name("抠图-大")
    assert not models.is_name("models/u2netp.onnx") and not models.is_name("u2netp.onnx")
    with pytest.raises(ImgpipeError) as bad:
        models.install(__file__, models.user_models_dir(), name="../evil", installed_at=WHEN)
    assert bad.value.field == "--name"


def test_without_onnxruntime_install_says_how_to_get_it(model_file, block_import, tmp_path):
    block_import("onnxruntime")
    result = cli("-w", tmp_path, "model", "install", model_file)
    assert result.exit_code == 2 and "pip install onnxruntime" in result.output
    assert not models.user_models_dir().exists() or not list(models.user_models_dir().iterdir())


# --------------------------------------------------------------------------- install from a URL


class ModelServer:
    """http.server on 127.0.0.1 serving one file with ETag, Range and If-Range.

    cut: how many of the next GETs send only the first half of the body and
    hang up; ranges: False = a server that ignores Range (always the whole
    file). `requests` records each GET's Range header.
    """

    def __init__(self, payload: bytes, cut: int = 0, ranges: bool = True):
        self.payload, self.cut, self.ranges, self.requests = payload, cut, ranges, []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.headers.get("Range"))
                data, etag = server.payload, f'"{sha(server.payload)[:16]}"'
                start = 0
                wanted = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if wanted and server.ranges and self.headers.get("If-Range") in (None, etag):
                    start = int(wanted[1])
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.send_header("ETag", etag)
                self.end_headers()
                body = data[start:]
                if server.cut:
                    server.cut -= 1
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/models/isnet-test.onnx"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_download_cut_mid_way_resumes_and_ends_whole(model_bytes):
    folder = models.user_models_dir()
    seen = []
    with ModelServer(model_bytes, cut=1) as server:
        made = models.install(server.url, folder, installed_at=WHEN, pause_s=0,
                              progress=lambda done, total: seen.append((done, total)))
    half = len(model_bytes) // 2
    assert server.requests == [None, f"bytes={half}-"]  # the second try asked for the rest only
    assert made.path.read_bytes() == model_bytes and made.sha256 == sha(model_bytes)
    assert made.source == server.url and made.name == "isnet-test"
    assert files_in(folder) == {"isnet-test.onnx", "models.json"}
    assert seen[-1] == (len(model_bytes), len(model_bytes))


def test_a_failed_download_leaves_no_model_and_the_next_install_carries_on(model_bytes):
    folder = models.user_models_dir()
    with ModelServer(model_bytes, cut=2) as server:
        with pytest.raises(ImgpipeError) as failed:
            models.install(server.url, folder, installed_at=WHEN, attempts=1, pause_s=0)
        assert server.url in str(failed.value)
        # nothing under the final name, nothing in the index; the part file is kept to resume from
        assert not (folder / "isnet-test.onnx").exists() and models.read_index(folder) == {}
        part = folder / "isnet-test.onnx.part"
        assert part.read_bytes() == model_bytes[: len(model_bytes) // 2]
        made = models.install(server.url, folder, installed_at=WHEN, attempts=3, pause_s=0)
    half, quarter = len(model_bytes) // 2, (len(model_bytes) - len(model_bytes) // 2) // 2
    assert server.requests == [None, f"bytes={half}-", f"bytes={half + quarter}-"]
    assert sha(made.path.read_bytes()) == made.sha256 == sha(model_bytes)
    assert files_in(folder) == {"isnet-test.onnx", "models.json"}


def test_a_whole_part_left_by_a_stopped_install_is_checked_not_fetched_again(model_bytes):
    folder = models.user_models_dir()
    with ModelServer(model_bytes) as server:
        models.download(server.url, folder / "isnet-test.onnx.part")  # as if stopped before the check
        made = models.install(server.url, folder, installed_at=WHEN)
    assert server.requests == [None, f"bytes={len(model_bytes)}-"]  # answered 416: nothing more to fetch
    assert made.path.read_bytes() == model_bytes and files_in(folder) == {"isnet-test.onnx", "models.json"}


def test_a_server_without_range_support_restarts_the_file_cleanly(model_bytes):
    folder = models.user_models_dir()
    with ModelServer(model_bytes, cut=1, ranges=False) as server:
        made = models.install(server.url, folder, installed_at=WHEN, pause_s=0)
    assert len(server.requests) == 2 and server.requests[1] is not None  # asked for the rest, got the whole
    assert made.path.read_bytes() == model_bytes


def test_a_part_from_another_version_of_the_file_is_not_mixed_in(model_bytes, tmp_path):
    folder = models.user_models_dir()
    old = stand_in_model(tmp_path / "old.onnx", side=256).read_bytes()
    with ModelServer(old, cut=1) as server:
        with pytest.raises(ImgpipeError):
            models.install(server.url, folder, installed_at=WHEN, attempts=1, pause_s=0)
        server.payload = model_bytes  # replaced on the server between the two tries (new ETag)
        made = models.install(server.url, folder, installed_at=WHEN, pause_s=0)
    assert made.path.read_bytes() == model_bytes and made.input_size == [320, 320]


def test_a_downloaded_file_that_is_no_model_is_refused_and_not_kept(tmp_path):
    folder = models.user_models_dir()
    page = "<html>Not Found</html>".encode() * 10
    with ModelServer(page) as server:
        with pytest.raises(ImgpipeError) as refused:
            models.install(server.url, folder, installed_at=WHEN)
    assert server.url in str(refused.value)
    assert files_in(folder) == set()  # neither the model nor its part


# --------------------------------------------------------------------------- list, remove, resolve


@pytest.fixture
def shop(tmp_path) -> Path:
    root = tmp_path / "shop"
    init_workspace(root)
    return root


def set_model(root: Path, value: str) -> None:
    toml = root / "imgpipe.toml"
    text = re.sub(r'(?m)^model = "[^"]*"', f'model = "{value}"', toml.read_text(encoding="utf-8"), count=1)
    toml.write_text(text, encoding="utf-8")


def test_list_and_remove_from_the_command_line(shop, model_file, model_bytes):
    assert cli("-w", shop, "model", "install", model_file, "--name", "isnet-general-use").exit_code == 0
    assert cli("-w", shop, "model", "install", model_file, "--workspace-local").exit_code == 0
    set_model(shop, "isnet-general-use")
    listed = json.loads(cli("-w", shop, "model", "list", "--json").stdout)
    assert [(m["name"], m["where"], m["in_use"]) for m in listed] == [
        ("isnet-test", "workspace", False), ("isnet-general-use", "user", True)]
    assert all(m["sha256"] == sha(model_bytes) and m["installed_at"] == "2026-11-26T10:00:00" for m in listed)
    table = cli("-w", shop, "model", "list").stdout
    assert "isnet-general-use" in table and "使用中" in table and "320x320" in table

    removed = cli("-w", shop, "model", "remove", "isnet-general-use")
    assert removed.exit_code == 0 and "仍是“isnet-general-use”" in removed.output  # the workspace still names it
    assert not (models.user_models_dir() / "isnet-general-use.onnx").exists()
    assert [m["name"] for m in json.loads(cli("-w", shop, "model", "list", "--json").stdout)] == ["isnet-test"]
    unknown = cli("-w", shop, "model", "remove", "isnet-general-use")
    assert unknown.exit_code == 2 and "imgpipe model list" in unknown.output
    assert cli("-w", shop, "model", "remove", "isnet-test", "--workspace-local").exit_code == 0
    assert files_in(shop / "models") == {"models.json"}


def test_a_model_file_held_open_is_named_not_a_crash(model_file, monkeypatch):
    """On Windows a running imgpipe's open model cannot be replaced or deleted (PermissionError)."""
    folder = models.user_models_dir()
    models.install(str(model_file), folder, installed_at=WHEN)

    def held(*args, **kw):
        raise PermissionError(13, "The process cannot access the file")

    monkeypatch.setattr(models.os, "replace", held)
    set_language("en")
    with pytest.raises(ImgpipeError) as busy:
        models.install(str(model_file), folder, installed_at=WHEN)
    assert "isnet-test.onnx" in str(busy.value) and "serve, watch or run" in str(busy.value)
    monkeypatch.setattr(Path, "unlink", held)
    with pytest.raises(ImgpipeError):
        models.remove("isnet-test", folder)
    assert list(models.read_index(folder)) == ["isnet-test"]  # the entry stays with its file


def test_cutout_model_names_an_installed_model_workspace_first(shop, model_file, model_bytes, tmp_path):
    user = models.install(str(model_file), models.user_models_dir(), name="isnet-general-use", installed_at=WHEN)
    set_model(shop, "isnet-general-use")
    ws = Workspace.open(shop)
    assert ws.cutout_model == user.path
    # the content hash, not the name, is what the cut-out outputs' fingerprints carry
    assert Resources.of(ws, None).cutout.split(":")[0] == sha(model_bytes)  # + how it is fed
    # a model of the same name in the workspace's models/ wins over the user's
    other = stand_in_model(tmp_path / "other.onnx", side=256)
    local = models.install(str(other), models.workspace_models_dir(shop), name="isnet-general-use", installed_at=WHEN)
    ws = Workspace.open(shop)
    assert ws.cutout_model == local.path and Resources.of(ws, None).cutout.split(":")[0] == sha(other.read_bytes())
    # a path works as before
    set_model(shop, "models/isnet-general-use.onnx")
    assert Workspace.open(shop).cutout_model == local.path


def test_a_name_that_is_not_installed_says_how_to_install_it(shop):
    set_model(shop, "u2netp")
    with pytest.raises(ConfigError) as missing:
        Workspace.open(shop).cutout_model
    err = missing.value
    assert err.field == "cutout.model" and err.file.endswith("imgpipe.toml")
    assert "u2netp" in str(err) and "imgpipe model install" in str(err.fix)


# --------------------------------------------------------------------------- doctor and init say which model


def test_init_and_doctor_say_which_model_is_in_use(tmp_path, model_file):
    fresh = cli("init", tmp_path / "new")
    assert fresh.exit_code == 0
    assert t_in("zh", "model.none") in fresh.output and "imgpipe model install" in fresh.output
    models.install(str(model_file), models.user_models_dir(), installed_at=WHEN)
    second = cli("init", tmp_path / "other")
    assert "isnet-test" in second.output  # offered: the one installed model
    set_model(tmp_path / "other", "isnet-test")
    doctor = cli("-w", tmp_path / "other", "doctor")
    assert doctor.exit_code == 0 and "抠图模型：isnet-test" in doctor.output and "320x320" in doctor.output
    report = json.loads(cli("-w", tmp_path / "other", "doctor", "--json").stdout)
    assert report["cutout_model"]["installed"]["name"] == "isnet-test" and report["ok"]
    # the installed file replaced behind imgpipe's back: doctor says so and how to put it right
    stand_in_model(models.user_models_dir() / "isnet-test.onnx", side=256)
    changed = cli("-w", tmp_path / "other", "doctor")
    assert changed.exit_code == 1 and "sha256" in changed.output and "imgpipe model install" in changed.output


def test_model_commands_speak_the_interface_language(tmp_path):
    def flat(text: str) -> str:
        return "".join(text.split())

    zh = cli("-w", tmp_path, "model", "install", "--help")
    assert zh.exit_code == 0 and flat(t_in("zh", "cli.model_install.name")) in flat(zh.output)
    from imgpipe.cli import display_width

    for sub in ("install", "list", "remove"):
        out = cli("-w", tmp_path, "model", sub, "--help").output
        assert max(map(display_width, out.splitlines())) <= 80 and "Show this message" not in out
    en = CliRunner(env={"IMGPIPE_LANGUAGE": "en"}).invoke(main, ["-w", str(tmp_path), "model", "--help"])
    assert "install" in en.output and "remove" in en.output and flat(t_in("en", "cli.model_list")) in flat(en.output)


# --------------------------------------------------------------------------- every worker, dask included


@pytest.mark.slow
def test_a_named_model_runs_on_a_dask_worker_loaded_once(workspace, tmp_path, model_file, monkeypatch):
    """The same cut-outs as the local pool; one worker cuts out two articles with one session."""
    import shutil

    distributed = pytest.importorskip("distributed")
    from conftest import PRODUCT_ROW, drop_photos, write_sheet
    from imgpipe.pipeline import run

    monkeypatch.setenv("IMGPIPE_BROWSER", "none")  # before the cluster starts: workers inherit it
    models.install(str(model_file), models.user_models_dir(), name="stand-in", installed_at=WHEN)
    set_model(workspace, "stand-in")
    write_sheet(workspace, [PRODUCT_ROW, PRODUCT_ROW.replace("A1023", "B2046", 1)])
    for article in ("A1023", "B2046"):
        drop_photos(workspace, article=article, count=1, size=(640, 480))
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)

    def count_sessions():  # runs in the worker: count sessions made and runs from now on
        import onnxruntime

        made, runs = [], []
        real = onnxruntime.InferenceSession
        real_run = real.run

        def counted(*args, **kw):  # a path, or the bytes of the model rewritten to another input size
            made.append(args[0] if isinstance(args[0], str) else "<rewritten>")
            return real(*args, **kw)

        def counted_run(self, *args, **kw):
            runs.append(1)
            return real_run(self, *args, **kw)

        from imgpipe import saliency

        real_dynamic = saliency._dynamic

        def counted_dynamic(path):  # the file a rewritten session was made from
            made.append(str(path))
            return real_dynamic(path)

        real.run = counted_run
        onnxruntime.InferenceSession = counted
        saliency._dynamic = counted_dynamic
        onnxruntime._imgpipe_counts = made, runs

    def counts():
        import onnxruntime

        made, runs = onnxruntime._imgpipe_counts
        return list(made), len(runs)

    def cut_outs(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): sha(p.read_bytes())
                for p in sorted((root / "output").rglob("*"))
                if p.is_file() and p.parent.name in ("white", "transparent")}

    local = run(Workspace.open(workspace), platforms=["tmall"], jobs=1, backup=False)
    assert local.ok, local.failed
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        client.run(count_sessions)
        remote = run(Workspace.open(twin), platforms=["tmall"], executor="dask", scheduler=cluster.scheduler_address,
                     backup=False)
        (made, runs), = client.run(counts).values()
    assert remote.ok, remote.failed
    made_here = cut_outs(twin)
    assert {path.split("/")[2] for path in made_here} == {"A1023", "B2046"} and made_here == cut_outs(workspace)
    installed_at = str(models.user_models_dir() / "stand-in.onnx")
    assert runs >= 2  # both articles cut out by the model, in this one worker process
    # one session, from the installed file or (fed at the photo's aspect) rewritten from it once
    assert made in ([installed_at], [installed_at, "<rewritten>"]), made
