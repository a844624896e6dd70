"""Per-run caches of workspace files: stat, one decode's facts, sha256."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from imgpipe.fsutil import sha256_file

@dataclass
class FileFacts:
    """What one decode of an image file says. `error` set when it does not decode."""

    exists: bool
    nbytes: int = 0
    mtime: float = 0.0
    fmt: str = ""
    mode: str = ""
    width: int = 0
    height: int = 0
    icc: str | None = None       # profile description, None when no profile is embedded
    alpha: bool = False
    error: str | None = None
    border_ok: dict = field(default_factory=dict)
    flat_bottom: float = 0.0     # share (0-1) of the height at the bottom that is one flat, non-white colour


FLAT_LEVELS = 3          # 0-255: a pixel this close to its row's middle colour is part of a flat band
FLAT_ROW_SHARE = 0.7     # a row is flat when this share of it is one colour (a watermark may cross it)
WHITE_CANVAS = 235       # 0-255: every channel above this is the white canvas, not damage


def flat_bottom_share(rgb: np.ndarray) -> float:
    """The share (0-1) of the height taken by the tallest flat band in the lower part of the image.

    A photo whose scan ended early decodes with a grey block to its bottom; colour correction
    and re-encoding shift its grey but keep it flat, and the watermark or a selling point's
    caption may sit on or below it. White (the canvas of white-background images, a caption
    band) does not count, nor a band the top row shares (a product centred between padding).
    """
    if rgb.ndim != 3 or rgb.shape[0] < 4:
        return 0.0
    rows = rgb.astype(np.int16)
    h = rows.shape[0]
    middle = np.median(rows, axis=1)                                     # (h, 3) each row's middle colour
    near = (np.abs(rows - middle[:, None, :]).max(axis=2) <= FLAT_LEVELS).mean(axis=1)
    flat = (near >= FLAT_ROW_SHARE) & (middle.min(axis=1) <= WHITE_CANVAS)
    best, start = 0, None
    for y in range(h + 1):
        same = (y < h and flat[y] and start is not None
                and np.abs(middle[y] - middle[start]).max() <= FLAT_LEVELS)
        if start is not None and not same:
            if y >= 0.6 * h and not (flat[0] and np.abs(middle[0] - middle[start]).max() <= FLAT_LEVELS):
                best = max(best, y - start)
            start = None
        if start is None and y < h and flat[y]:
            start = y
    return best / h


class Files:
    """Per-run caches: stat, decode facts, sha256 of workspace files."""

    def __init__(self, root: Path):
        self.root = root
        self._facts: dict[str, FileFacts] = {}
        self._sha: dict[str, str | None] = {}
        self._pixels: dict[str, np.ndarray] = {}

    def path(self, rel: str) -> Path:
        return self.root / rel

    def sha(self, rel: str) -> str | None:
        if rel not in self._sha:
            p = self.path(rel)
            self._sha[rel] = sha256_file(p) if p.is_file() else None
        return self._sha[rel]

    def facts(self, rel: str, full: bool = False) -> FileFacts:
        """Header facts and a (reduced, DCT-scaled) decode; `full` keeps full-size pixels too."""
        if rel in self._facts and (not full or rel in self._pixels or self._facts[rel].error):
            return self._facts[rel]
        p = self.path(rel)
        try:
            st = p.stat()
        except FileNotFoundError:
            self._facts[rel] = FileFacts(exists=False)
            return self._facts[rel]
        facts = FileFacts(exists=True, nbytes=st.st_size, mtime=st.st_mtime)
        try:
            data = p.read_bytes()
            with Image.open(io.BytesIO(data)) as img:
                facts.fmt = (img.format or "").upper()
                facts.mode = img.mode
                facts.width, facts.height = img.size
                facts.alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
                icc = img.info.get("icc_profile")
                if icc:
                    try:
                        facts.icc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
                    except Exception:  # a broken profile is as bad as a foreign one
                        facts.icc = "?"
                if not full and img.format == "JPEG":
                    img.draft(img.mode, (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
                img.load()
                if not facts.alpha:
                    facts.flat_bottom = flat_bottom_share(np.asarray(img.convert("RGB")))
                if full:
                    self._pixels[rel] = np.asarray(img.convert("RGB"))
            if facts.fmt == "JPEG" and b"\xff\xd9" not in data[-4096:]:
                raise OSError("truncated JPEG (no end marker)")
        except Exception as exc:  # any decoder failure is a finding, never a crash
            facts.error = f"{type(exc).__name__}: {exc}"
        self._facts[rel] = facts
        return facts

    def pixels(self, rel: str) -> np.ndarray | None:
        self.facts(rel, full=True)
        return self._pixels.get(rel)
