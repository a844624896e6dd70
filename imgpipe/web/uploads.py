"""Photos dropped in the browser, stored in `inbox/` exactly as if copied there.

An upload is a transaction per file:

1. streamed to a hidden temporary file in the workspace (`.imgpipe/uploads/`, never /tmp, never
   whole in memory); a file over the size limit stops being written the moment it passes it;
2. checked by content: the decoder registry's sniff, then for JPEG and PNG every byte of pixel
   data decoded (a header that lies about its size, a truncated or grey-filled scan is refused);
3. moved in under a cleaned name with a hard link, which fails rather than overwrite: the next
   free `photo (2).jpg`, `photo (3).jpg` … is tried, so concurrent requests never lose a photo;
4. reported: every file of the request with its outcome; the temporary file is gone in all cases.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from starlette.formparsers import MultiPartParser

from imgpipe.errors import ImgpipeError
from imgpipe.decoders import decoder_for, extension_for, is_photo_name
from imgpipe.messages import t
from imgpipe.web.security import safe_name

UPLOAD_TEMP = Path(".imgpipe") / "uploads"   # inside the workspace: same disk as inbox/, so a link moves it
STALE_UPLOAD = 24 * 3600                      # seconds: a temporary file this old was left by a killed server
MAX_SAME_NAME = 10_000                        # `photo (10000).jpg`: beyond, something is wrong


class WorkspaceUploadParser(MultiPartParser):
    """Starlette's multipart parser, with each file part streamed to a temporary file in `folder`.

    A part past `max_bytes` is cut to nothing and its further data dropped, so a refused
    300 MB file never takes 300 MB of disk; `too_big` holds the UploadFiles that were.
    """

    def __init__(self, headers, stream, *, folder: Path, max_bytes: int, **kwargs):
        super().__init__(headers, stream, **kwargs)
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.too_big: set[int] = set()
        self.temp_paths: list[Path] = []
        self._written: dict[int, int] = {}

    def sweep(self, now: float) -> int:
        """Delete temporary files a killed server left (older than STALE_UPLOAD at `now`, epoch seconds)."""
        removed = 0
        for path in self.folder.glob(".upload-*.part") if self.folder.is_dir() else ():
            with contextlib.suppress(OSError):
                if now - path.stat().st_mtime > STALE_UPLOAD:
                    path.unlink()
                    removed += 1
        return removed

    def on_headers_finished(self) -> None:
        super().on_headers_finished()
        upload = self._current_part.file
        if upload is None:
            return
        spooled = upload.file
        self._files_to_close_on_error.remove(spooled)
        spooled.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=self.folder, prefix=".upload-", suffix=".part", delete=False)
        self.temp_paths.append(Path(handle.name))
        self._files_to_close_on_error.append(handle)
        upload.file = handle

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        upload = self._current_part.file
        if upload is None:
            return super().on_part_data(data, start, end)
        key = id(upload)
        if key in self.too_big:
            return
        self._written[key] = self._written.get(key, 0) + (end - start)
        if self._written[key] > self.max_bytes:
            self.too_big.add(key)
            self._file_parts_to_write[:] = [(p, d) for p, d in self._file_parts_to_write if p.file is not upload]
            upload.file.truncate(0)   # nothing of it is kept; the rest of its bytes are read and dropped
            return
        super().on_part_data(data, start, end)

    def discard(self) -> None:
        """Close and delete every temporary file (called whatever happened)."""
        for handle in self._files_to_close_on_error:
            with contextlib.suppress(OSError):
                handle.close()
        for path in self.temp_paths:
            with contextlib.suppress(OSError):
                path.unlink()


def check_upload(path: Path, shown: str, max_megapixels: float) -> str:
    """The extension (".jpg", ".dng", ".psd", …) of the format a decoder reads in the uploaded file
    at `path`, judged by content (decoders.extension_for); ImgpipeError saying why it is refused.

    JPEG and PNG are decoded through the decoder registry (every scan byte read; JPEG at a
    reduced size, which reads the same data): a lying header, a truncated file and a grey-filled
    early end are refused here as at ingest.
    """
    with path.open("rb") as f:
        head = f.read(64)
    name = Path(shown)
    decoder_for(name.suffix.lower() if is_photo_name(name) else ".jpg", head, shown)  # a video, not an image: said here
    ext = extension_for(head, shown)
    if ext is None:
        raise ImgpipeError(t("web.upload_not_image"), file=shown, fix=t("web.upload_not_image.fix"))
    if ext in (".jpg", ".png"):
        decoder_for(ext, head, shown).decode(path.read_bytes(), shown, 1024 if ext == ".jpg" else 0, max_megapixels)
    return ext


def upload_name(shown: str, ext: str) -> str:
    """The inbox name for an upload called `shown` holding an image of extension `ext`: cleaned, length-limited."""
    name = safe_name(shown)
    if not name or name.startswith("."):
        name = "photo"
    if not is_photo_name(Path(name)):
        name = safe_name(name + ext)
    return name


def move_in(temp: Path, folder: Path, name: str) -> Path:
    """Link `temp` into `folder` as `name`, or the first free `stem (n).ext`; never over a file.

    A hard link fails when the name exists (atomic, so concurrent uploads each get their own
    name); where links are not possible, the name is reserved with O_EXCL and the file copied in.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, MAX_SAME_NAME + 1):
        dest = folder / (name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            os.link(temp, dest)
            return dest
        except FileExistsError:
            continue
        except OSError:
            pass  # a file system without hard links (FAT, some network shares)
        try:
            fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        staged = dest.with_name(f".{dest.name}.part")
        shutil.copyfile(temp, staged)
        os.replace(staged, dest)
        return dest
    raise ImgpipeError(t("web.upload_no_name", name=name), file=name, fix=t("web.upload_no_name.fix"))


def store_uploads(root: Path, article: str, files: list, max_bytes: int, too_big: set[int] = frozenset(),
                  max_megapixels: float = 150.0) -> dict:
    """Store uploaded `files` (UploadFiles already streamed to disk) in inbox/ or inbox/<article>/.

    Returns {"article", "stored": [workspace-relative paths], "refused": [{"file", "message", "fix"}],
    "files": [{"file", "outcome": "stored"|"refused", "stored"|"message"+"fix"}] in request order}.
    One bad file is refused with its reason; the others are stored. `too_big`: ids of the files
    the parser cut off at `max_bytes`.
    """
    from imgpipe.sheet import normalise_article
    from imgpipe.workspace import Workspace

    root = Path(root)
    if article:
        ws = Workspace.open(root)
        article = normalise_article(article)
        if article not in ws.sheet().products:
            return {"article": "", "stored": [], "files": [], "refused": [{"file": "", "message": t(
                "status.unknown_article", article=article), "fix": t("status.unknown_article.fix")}]}
    folder = root / "inbox" / article if article else root / "inbox"
    outcomes = []
    for upload in files:
        shown = upload.filename or "?"
        try:
            if id(upload) in too_big:
                raise ImgpipeError(t("web.upload_too_big", mb=max_bytes // (1024 * 1024)), file=shown,
                                   fix=t("web.upload_too_big.fix"))
            upload.file.flush()
            temp = Path(upload.file.name)
            ext = check_upload(temp, shown, max_megapixels)
            dest = move_in(temp, folder, upload_name(shown, ext))
            outcomes.append({"file": shown, "outcome": "stored", "stored": dest.relative_to(root).as_posix()})
        except ImgpipeError as err:
            outcomes.append({"file": shown, "outcome": "refused", "message": err.message, "fix": err.fix or ""})
        except OSError as exc:  # the disk is full, the folder is read-only: this file, said; the others go on
            outcomes.append({"file": shown, "outcome": "refused",
                             "message": t("web.upload_failed", detail=exc.strerror or type(exc).__name__),
                             "fix": t("web.upload_failed.fix")})
    return {"article": article, "files": outcomes,
            "stored": [o["stored"] for o in outcomes if o["outcome"] == "stored"],
            "refused": [{k: o[k] for k in ("file", "message", "fix")} for o in outcomes if o["outcome"] == "refused"]}
