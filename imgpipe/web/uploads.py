"""Photos dropped in the browser, stored in `inbox/` exactly as if copied there.

Each file is checked by content (the decoder registry must recognise its
first bytes as a format it reads), limited in size, given a safe name (never over an existing file)
and written atomically under a hidden temporary name, so neither a run
nor the watcher sees half a file.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from imgpipe.decoders import extension_for, is_photo_name
from imgpipe.fsutil import atomic_write_stream
from imgpipe.messages import t
from imgpipe.watch import _free_name
from imgpipe.web.security import safe_name


def image_format(stream, name: str = "") -> str | None:
    """The extension of the photo format a decoder reads in the stream's first bytes (decoders.extension_for),
    else None: what the uploads take is what ingest takes (RAW, PSD, AVIF included)."""
    try:
        stream.seek(0)
        return extension_for(stream.read(64), name)
    finally:
        stream.seek(0)


def store_uploads(root: Path, article: str, files: list, max_bytes: int) -> dict:
    """Store uploaded `files` (Starlette UploadFile) in inbox/ or inbox/<article>/.

    Returns {"article", "stored": [workspace-relative paths], "refused": [{"file", "message", "fix"}]}.
    One bad file is refused with its reason; the others are stored.
    """
    from imgpipe.sheet import normalise_article
    from imgpipe.workspace import Workspace

    root = Path(root)
    if article:
        ws = Workspace.open(root)
        article = normalise_article(article)
        if article not in ws.sheet().products:
            return {"article": "", "stored": [], "refused": [{"file": "", "message": t(
                "status.unknown_article", article=article), "fix": t("status.unknown_article.fix")}]}
    folder = root / "inbox" / article if article else root / "inbox"
    stored, refused = [], []
    for upload in files:
        shown = upload.filename or "?"
        size = upload.size if upload.size is not None else upload.file.seek(0, 2)
        fmt = image_format(upload.file, shown)
        if size > max_bytes:
            refused.append({"file": shown, "message": t("web.upload_too_big", mb=max_bytes // (1024 * 1024)),
                            "fix": t("web.upload_too_big.fix")})
            continue
        if fmt is None:
            refused.append({"file": shown, "message": t("web.upload_not_image"), "fix": t("web.upload_not_image.fix")})
            continue
        name = safe_name(shown)
        if not name or name.startswith("."):
            name = "photo"
        if not is_photo_name(Path(name)):
            name += fmt
        dest = _free_name(folder / name)  # as Explorer names a second copy: `a (2).jpg`
        dest.parent.mkdir(parents=True, exist_ok=True)
        upload.file.seek(0)
        atomic_write_stream(dest, lambda f=upload.file: contextlib.nullcontext(f))
        stored.append(dest.relative_to(root).as_posix())
    return {"article": article, "stored": stored, "refused": refused}
