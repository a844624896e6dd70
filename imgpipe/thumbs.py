"""Thumbnails of originals and outputs, made once and cached under `.imgpipe/thumbs/`.

The cache key is the file's workspace-relative path, modification time
(ns), size and the thumbnail size: a redrawn output (same name, new
bytes) gets a new thumbnail, an unchanged one is never decoded again.
"""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

from PIL import Image

from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import atomic_write_bytes
from imgpipe.imageio import load_photo

SIZES = (240, 640)  # px, long side: the strip and grids; the crop editor
EMBED_SIZE = 160    # px, long side: thumbnails carried inside an emailed report (~5 KB each)
THUMB_DIR = ".imgpipe/thumbs"


def thumb_key(root: Path, path: Path, size: int) -> str:
    st = path.stat()
    rel = path.relative_to(root.resolve()).as_posix()
    return hashlib.sha1(f"{rel}|{st.st_mtime_ns}|{st.st_size}|{size}".encode()).hexdigest()


def thumbnail(root: Path, path: Path, size: int, max_megapixels: float = 150.0) -> Path:
    """The cached JPEG thumbnail (long side `size` px, upright, sRGB) of image `path`; made when missing.

    Raises ImgpipeError naming the file when it does not decode.
    """
    root = Path(root).resolve()
    key = thumb_key(root, path, size)
    out = root / THUMB_DIR / key[:2] / f"{key}.jpg"
    if out.is_file():
        return out
    photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=size)
    img = Image.fromarray(photo.rgb)
    img.thumbnail((size, size), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82, optimize=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, buf.getvalue(), durable=False)  # a cache: a lost file is simply made again
    return out


def data_uri(root: Path, path: Path, size: int = EMBED_SIZE, max_megapixels: float = 150.0) -> str | None:
    """The cached thumbnail as a `data:image/jpeg;base64,…` URI, so a page carries it inside
    (a report survives being emailed); None when `path` is missing or does not decode."""
    try:
        thumb = thumbnail(root, Path(path), size, max_megapixels)
    except (ImgpipeError, OSError):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(thumb.read_bytes()).decode("ascii")
