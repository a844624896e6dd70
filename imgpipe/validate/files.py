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
