"""Installed cut-out models: `imgpipe model install | list | remove` and what `[cutout] model` names.

A model is one ONNX file (a U²-Net, IS-Net or BiRefNet-style salient-object
export) kept in a models folder with a small index, `models.json`, beside it:
name, file, size, sha256, input size, source, installed_at. Two folders:

- the user's data folder, `<platformdirs user_data_dir("imgpipe")>/models`
  (`IMGPIPE_DATA_DIR` names another data folder: a shared install, tests);
- a workspace's own `models/` (`--workspace-local`), which travels with it.

`[cutout] model` resolves in this order (`resolve`): empty = the classical
cut-out; a name installed in the workspace's `models/`; a name installed in
the user's data folder; else a file path, relative to the workspace.

Nothing reaches the final name before it is whole and checked: a download
goes to `<name>.onnx.part` (resumed with an HTTP Range request on the next
attempt), a copy to a temporary file; both are renamed into place only after
onnxruntime has loaded them and their input and output were found to be an
image and a map.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.fsutil import CHUNK, atomic_write_stream, atomic_write_text, sha256_file
from imgpipe.messages import t

INDEX = "models.json"
DATA_ENV = "IMGPIPE_DATA_DIR"
# a name is one file name without a folder: letters (Chinese too), digits, dot, dash, underscore
_NAME = re.compile(r"[^\W_][\w.-]{0,79}")
# a download that stalls this long (seconds) is cut and resumed, never waited on for ever
TIMEOUT_S = 30

Progress = Callable[[int, int | None], None]  # (bytes so far, total bytes or None)


@dataclass(frozen=True)
class InstalledModel:
    """One entry of a models folder's index."""

    name: str
    file: str                      # the file's name inside the folder
    size: int                      # bytes
    sha256: str
    input_size: list | None        # [height, width] the model is fed at, None = any (a dynamic input)
    source: str                    # the file or URL it was installed from
    installed_at: str              # ISO time from clock.now_iso()
    folder: str = ""               # where it lives (filled on reading; not stored)

    @property
    def path(self) -> Path:
        return Path(self.folder) / self.file

    def as_dict(self) -> dict:
        return {**asdict(self), "path": str(self.path)}


# --------------------------------------------------------------------------- folders and the index


def user_models_dir() -> Path:
    """The user's models folder: $IMGPIPE_DATA_DIR/models, else platformdirs' user data folder."""
    data = os.environ.get(DATA_ENV)
    if not data:
        from platformdirs import user_data_dir

        data = user_data_dir("imgpipe", appauthor=False)
    return Path(data) / "models"


def workspace_models_dir(root: Path) -> Path:
    return Path(root) / "models"


def read_index(folder: Path) -> dict[str, InstalledModel]:
    """The models installed in `folder`, by name; {} when there is no index (or it is unreadable)."""
    try:
        entries = json.loads((folder / INDEX).read_text(encoding="utf-8")).get("models", [])
    except (OSError, ValueError, AttributeError):
        return {}
    fields = set(InstalledModel.__dataclass_fields__) - {"folder"}
    models = {}
    for entry in entries:
        if isinstance(entry, dict) and fields <= set(entry):
            models[entry["name"]] = InstalledModel(**{k: entry[k] for k in fields}, folder=str(folder))
    return models


def _write_index(folder: Path, models: dict[str, InstalledModel]) -> None:
    entries = [{k: v for k, v in asdict(m).items() if k != "folder"} for m in sorted(models.values(),
                                                                                        key=lambda m: m.name)]
    atomic_write_text(folder / INDEX, json.dumps({"version": 1, "models": entries}, ensure_ascii=False, indent=2))


def installed(root: Path | None = None) -> list[InstalledModel]:
    """Every installed model: the workspace's first (they win a name both have), then the user's."""
    folders = ([workspace_models_dir(root)] if root else []) + [user_models_dir()]
    return [m for folder in folders for m in read_index(folder).values()]


def is_name(value: str) -> bool:
    """True when `[cutout] model = value` can only be an installed model's name (no folder, no .onnx)."""
    return bool(_NAME.fullmatch(value)) and not value.lower().endswith(".onnx")


def resolve(configured: str, root: Path) -> tuple[Path | None, InstalledModel | None]:
    """The file `[cutout] model = configured` names, and its index entry when it is installed.

    Order: empty = (None, None), the classical cut-out; a name installed in the
    workspace's models/; a name installed in the user's data folder; a path
    (relative to the workspace). The file is not checked here.
    """
    configured = configured.strip()
    if not configured:
        return None, None
    for model in installed(root):
        if model.name == configured:
            return model.path, model
    path = Path(configured)
    return (path if path.is_absolute() else Path(root) / path), None


def model_not_installed(name: str, settings_file: Path | None = None) -> ConfigError:
    return ConfigError(t("model.not_installed", name=name), fix=t("model.not_installed.fix", name=name),
                       file=settings_file, field="cutout.model")


# --------------------------------------------------------------------------- the check


def inspect(path: Path, shown: str | Path | None = None) -> list | None:
    """Check that `path` is a cut-out model; its input size [height, width] (None: any size).

    onnxruntime must load it; its one input an image (1x3xHxW float), its first
    output a map (1x1xHxW; U²-Net's side outputs may follow). Raises
    ImgpipeError naming the file (or `shown`: a download's URL) and the fix;
    ImportError without onnxruntime.
    """
    import onnxruntime as ort

    refuse = _refusal(shown or path)
    try:
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        # only read, never run: unoptimised loads the 88 MB IS-Net in 0.5 s CPU and 157 MB, not 1.1 s and 507 MB
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors: not ONNX at all, or a broken file
        raise refuse(_first_line(exc)) from None
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise refuse(t("model.refused.inputs", count=len(inputs)))
    image, out = inputs[0], outputs[0]
    if image.type != "tensor(float)" or not _fits(image.shape, (1, 3, None, None)):
        raise refuse(t("model.refused.input", shape=_shape(image.shape), type=image.type))
    if not _fits(out.shape, (1, 1, None, None)):
        raise refuse(t("model.refused.output", shape=_shape(out.shape)))
    height, width = image.shape[2:]
    return [height, width] if isinstance(height, int) and isinstance(width, int) else None


def _fits(shape, want) -> bool:
    """`shape` has len(want) dimensions; each fixed one of `want` matches (symbolic dimensions match anything)."""
    return len(shape) == len(want) and all(w is None or not isinstance(s, int) or s == w for s, w in zip(shape, want))


def _shape(shape) -> str:
    return "x".join(str(d) if isinstance(d, int) else "?" for d in shape)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _refusal(path: Path):
    return lambda detail: ImgpipeError(t("model.refused", path=path, detail=detail), fix=t("model.refused.fix"))


# --------------------------------------------------------------------------- install and remove


def default_name(source: str) -> str:
    """The name a model gets from its file or URL: the file name without .onnx."""
    tail = re.split(r"[/\\]", source.split("?", 1)[0].rstrip("/\\"))[-1]
    return tail[:-5] if tail.lower().endswith(".onnx") else tail


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def install(source: str, folder: Path, *, installed_at: str, name: str | None = None,
            progress: Progress | None = None, attempts: int = 4, pause_s: float = 1.0) -> InstalledModel:
    """Copy or download `source` (a file or an http(s) URL) into `folder` as `<name>.onnx`, checked and indexed.

    installed_at: the time to record (clock.now_iso()). attempts: tries of a
    download, each resuming where the last stopped, `pause_s` seconds apart.
    An existing model of the same name is replaced. Raises ImgpipeError.
    """
    name = (name or default_name(source)).strip()
    if name.lower().endswith(".onnx"):
        name = name[:-5]
    if not _NAME.fullmatch(name):
        raise ImgpipeError(t("model.bad_name", name=name), field="--name", fix=t("model.bad_name.fix"))
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{name}.onnx"
    if is_url(source):
        part = final.with_name(final.name + ".part")
        download(source, part, progress=progress, attempts=attempts, pause_s=pause_s)
        try:
            input_size = inspect(part, shown=source)
        except ImgpipeError:  # whole but not a model: never resumed, never kept
            part.unlink(missing_ok=True)
            _part_note(part).unlink(missing_ok=True)
            raise
        sha = sha256_file(part)
        with _busy(final):
            os.replace(part, final)
        _part_note(part).unlink(missing_ok=True)
    else:
        src = Path(source).expanduser()
        if not src.is_file():
            raise ImgpipeError(t("model.source_missing", path=src), fix=t("model.source_missing.fix"))
        input_size = inspect(src)
        with _busy(final):
            sha = atomic_write_stream(final, lambda: _counting(open(src, "rb"), src.stat().st_size, progress))
        source = str(src.resolve())
    model = InstalledModel(name=name, file=final.name, size=final.stat().st_size, sha256=sha,
                           input_size=input_size, source=source, installed_at=installed_at, folder=str(folder))
    index = read_index(folder)
    index[name] = model
    _write_index(folder, index)
    return model


def remove(name: str, folder: Path) -> InstalledModel:
    """Delete model `name` from `folder` (its file and index entry); ImgpipeError when it is not there."""
    index = read_index(folder)
    model = index.pop(name[:-5] if name.lower().endswith(".onnx") else name, None)
    if model is None:
        raise ImgpipeError(t("model.not_in_folder", name=name, folder=folder), fix=t("model.list.fix"))
    with _busy(model.path):
        model.path.unlink(missing_ok=True)  # first, so a file Windows holds open keeps its entry
    _write_index(folder, index)
    if not any(m.sha256 == model.sha256 for m in index.values()):  # its derived copies (saliency.quantise)
        for copy in (folder / "cache").glob(f"{model.sha256[:16]}-*"):
            copy.unlink(missing_ok=True)
    return model


@contextmanager
def _busy(path: Path):
    """Windows will not replace or delete a model another imgpipe (serve, watch) has open: say so."""
    try:
        yield
    except PermissionError:
        raise ImgpipeError(t("model.busy", path=path), fix=t("model.busy.fix")) from None


class _counting:
    """A binary file whose reads report progress (bytes so far, total)."""

    def __init__(self, f, total: int | None, progress: Progress | None, done: int = 0):
        self.f, self.total, self.progress, self.done = f, total, progress, done

    def read(self, n: int = -1) -> bytes:
        block = self.f.read(n)
        self.done += len(block)
        if self.progress:
            self.progress(self.done, self.total)
        return block

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


# --------------------------------------------------------------------------- download


def _part_note(part: Path) -> Path:
    """Beside a .part file: the URL and the server's version tag it was started from."""
    return part.with_name(part.name + ".json")


def download(url: str, part: Path, *, progress: Progress | None = None, attempts: int = 4,
             pause_s: float = 1.0) -> None:
    """Fetch `url` into `part`, resuming what an earlier try left there.

    A resume asks for the rest (Range) only if the server still has the same
    version (If-Range with its ETag or Last-Modified); a server that sends the
    whole file again, or another version, starts the part afresh. Raises
    ImgpipeError after `attempts` tries; the part file stays for the next one.
    """
    last = None
    for attempt in range(max(1, attempts)):
        if attempt:
            time.sleep(pause_s)
        try:
            return _fetch_once(url, part, progress)
        except (OSError, http.client.HTTPException) as exc:  # cut, refused, stalled: try again
            last = exc
            if isinstance(exc, urllib.error.HTTPError) and exc.code not in (408, 429, 500, 502, 503, 504):
                break  # 404, 403: asking again will not help
    detail = _first_line(last) if last else "?"
    raise ImgpipeError(t("model.download_failed", url=url, detail=detail),
                       fix=t("model.download_failed.fix", part=part))


def _fetch_once(url: str, part: Path, progress: Progress | None) -> None:
    """One request that leaves the whole file in `part`, or raises (OSError: try again)."""
    note = _part_note(part)
    have = part.stat().st_size if part.exists() else 0
    try:
        tag = json.loads(note.read_text(encoding="utf-8")) if have else {}
    except (OSError, ValueError):
        tag = {}
    headers = {"User-Agent": "imgpipe"}
    if have and tag.get("url") == url and tag.get("version"):
        headers.update({"Range": f"bytes={have}-", "If-Range": tag["version"]})
    else:
        have = 0
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not have:
            raise
        if exc.headers.get("Content-Range") == f"bytes */{have}":
            return None  # the part is the whole file already (the last try stopped before its check)
        part.unlink()  # longer than the file: not this file; start afresh
        return _fetch_once(url, part, progress)
    with response:
        start = _resume_offset(response, have)
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        version = response.headers.get("ETag") or response.headers.get("Last-Modified") or ""
        atomic_write_text(note, json.dumps({"url": url, "version": version}))
        with open(part, "r+b" if start else "wb") as out:
            out.truncate(start)
            out.seek(start)
            src = _counting(response, total, progress, done=start)
            for block in iter(lambda: src.read(CHUNK), b""):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    size = part.stat().st_size
    if total is not None and size != total:
        raise ConnectionError(t("model.download_short", got=size, want=total))


def _resume_offset(response, have: int) -> int:
    """Where the response's bytes go in the part: `have` for the rest we asked for, 0 for the whole file."""
    if getattr(response, "status", 200) != 206:
        return 0
    m = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    if not m or int(m[1]) != have:
        raise ConnectionError(f"unexpected Content-Range {response.headers.get('Content-Range')!r}")
    return have


# --------------------------------------------------------------------------- what a workspace uses


@dataclass
class InUse:
    """What a workspace's cut-out runs on: a model file (installed or a path), or the classical cut-out."""

    configured: str
    path: Path | None = None
    model: InstalledModel | None = None
    problem: str | None = None     # a setting that does not load, or a file that changed since install
    copy: object = None            # its int8 copy's saliency.CopyState, when the caller looked (doctor, init)

    def as_dict(self) -> dict:
        state = self.copy
        return {"configured": self.configured, "path": str(self.path) if self.path else None,
                "installed": self.model.as_dict() if self.model else None, "problem": self.problem,
                "int8_copy": {"state": state.state, "path": str(state.path) if state.path else None,
                              "bytes": state.bytes, "reason": state.reason or None} if state else None}


def in_use(ws, *, verify: bool = False) -> InUse:
    """The model `ws`'s `[cutout] model` names, checked as a run checks it; verify: its hash against the index."""
    use = InUse(ws.settings.cutout.model.strip())
    if not use.configured:
        return use
    try:
        use.path = ws.cutout_model
    except ImgpipeError as err:
        use.problem = str(err)
        return use
    use.model = next((m for m in installed(ws.root) if m.path == use.path), None)
    if verify and use.model and sha256_file(use.path) != use.model.sha256:
        use.problem = str(ImgpipeError(t("model.changed", name=use.model.name), file=use.path,
                                       fix=t("model.changed.fix", source=use.model.source, name=use.model.name)))
    return use


def describe_in_use(use: InUse, root: Path | None = None) -> list[str]:
    """Lines saying which cut-out a workspace makes, and how to get a model when it has none."""
    if use.problem:
        return [use.problem]
    if use.path is None:
        names = [m.name for m in installed(root)]
        lines = [t("model.none")]
        lines.append(t("model.none.pick", names=", ".join(dict.fromkeys(names))) if names else t("model.none.get"))
        return lines
    if use.model:
        size = "x".join(map(str, use.model.input_size)) if use.model.input_size else "?"
        return [t("model.using", name=use.model.name, path=use.path, size=size), *_copy_lines(use, root)]
    return [t("model.using_file", path=use.path), *_copy_lines(use, root)]


def _copy_lines(use: InUse, root: Path | None) -> list[str]:
    """Whether the model's int8 copy is made (where, how large), and how to make it when it is not."""
    state = use.copy
    if state is None:
        return []
    if state.state == "ready":
        return [t("model.copy_ready", path=state.path, mb=f"{state.bytes / 2**20:.1f}")]
    if state.state == "small":
        return [t("model.copy_small")]
    if use.model:  # installed again from where it came: the copy is made at install
        local = root is not None and Path(use.model.folder) == workspace_models_dir(root)
        source = f"{use.model.source} --name {use.model.name}" + (" --workspace-local" if local else "")
    else:
        source = str(use.path)
    return [t("model.copy_failed" if state.state == "failed" else "model.copy_missing", source=source,
              reason=state.reason)]
