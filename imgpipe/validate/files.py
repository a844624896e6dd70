"""Caches of workspace files: stat, one decode's facts, sha256, and measures of their pixels.

What a validation learns about a file is kept in the catalog's
`validate_files` table (`MeasureStore`): its facts and sha256 under the
file's identity (size, mtime_ns, ctime_ns), each check's measure of its
pixels under its content (sha256: equal images on several platforms are
measured once). The next validation reads them back and decodes only files
that changed since.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import sqlite3
import stat
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageCms

from imgpipe.catalog import file_measures, save_file_measures
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
PAD_DRIFT = 10           # 0-255: a top pad's rows may drift this far from its first (demo D4410-04 in 3:4: 216-224)


def flat_bottom_share(rgb: np.ndarray) -> float:
    """The share (0-1) of the height taken by the tallest flat band in the lower part of the image.

    A photo whose scan ended early decodes with a grey block to its bottom; colour correction
    and re-encoding shift its grey but keep it flat, and the watermark or a selling point's
    caption may sit on or below it. White (the canvas of white-background images, a caption
    band) does not count, nor a band the top row shares (a product centred between padding),
    nor one under a flat top band at least 1/1.6 of its height: a framed photo padded above
    and below, each pad settling to its own side's colour (a landscape scarf in a 3:4 frame:
    bottom/top 0.9-1.5 on the demo's photos); the top pad is followed while each row stays within
    FLAT_LEVELS of the one above and PAD_DRIFT of the first (the square scarf's pad drifts 216-224). A photo cut short by a fifth inside such a frame
    passes here; its width-normalised images (large, detail) show the block unpadded.
    """
    if rgb.ndim != 3 or rgb.shape[0] < 4:
        return 0.0
    rows = rgb.astype(np.int16)
    h = rows.shape[0]
    middle = np.median(rows, axis=1)                                     # (h, 3) each row's middle colour
    # each channel within FLAT_LEVELS, plane by plane: the same bools as the HxWx3 broadcast's max(axis=2)
    ok = np.abs(rows[..., 0] - middle[:, 0, None]) <= FLAT_LEVELS
    ok &= np.abs(rows[..., 1] - middle[:, 1, None]) <= FLAT_LEVELS
    ok &= np.abs(rows[..., 2] - middle[:, 2, None]) <= FLAT_LEVELS
    near = ok.mean(axis=1)
    flat = (near >= FLAT_ROW_SHARE) & (middle.min(axis=1) <= WHITE_CANVAS)
    mid, flat = middle.tolist(), flat.tolist()  # the walk below in plain floats: the same sums, no
    # numpy call per row (an 800-row image took ~10 ms that way)

    def close(a, b) -> bool:
        return max(abs(a[0] - b[0]), abs(a[1] - b[1]), abs(a[2] - b[2])) <= FLAT_LEVELS

    top = 0  # the flat band the image starts with; a pad may drift slowly (a sweep's light falling off)
    while top < h and flat[top] and close(mid[top], mid[top - 1] if top else mid[0]) and \
            max(abs(a - b) for a, b in zip(mid[top], mid[0])) <= PAD_DRIFT:
        top += 1
    best, start = 0, None
    for y in range(h + 1):
        same = y < h and flat[y] and start is not None and close(mid[y], mid[start])
        if start is not None and not same:
            padded = flat[0] and (close(mid[0], mid[start]) or 1.6 * top >= y - start)
            if y >= 0.6 * h and not padded:
                best = max(best, y - start)
            start = None
        if start is None and y < h and flat[y]:
            start = y
    return best / h


def read_facts(data: bytes | Exception, st, full: bool = False) -> tuple[FileFacts, np.ndarray | None]:
    """The facts of a file's bytes (`st`: its stat) and, `full`, its full-size RGB pixels.

    One decode, reduced (DCT-scaled to 1/8) unless `full`: what validation reads of every file,
    and what the run records of each output it writes (`recorded_entry`), so both are the same
    function of the same bytes. data: an exception when the file could not be read.
    """
    facts = FileFacts(exists=True, nbytes=st.st_size, mtime=st.st_mtime)
    pixels = None
    try:
        if isinstance(data, Exception):
            raise data
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
                pixels = np.asarray(img.convert("RGB"))
        if facts.fmt == "JPEG" and b"\xff\xd9" not in data[-4096:]:
            raise OSError("truncated JPEG (no end marker)")
    except Exception as exc:  # any decoder failure is a finding, never a crash
        facts.error = f"{type(exc).__name__}: {exc}"
    return facts, pixels


# bump when a measure's meaning changes; imgpipe's version and FileFacts' fields are part of it too
MEASURE_VERSION = 3  # 2: a band under a flat top pad is padding (3:4 frames); 3: the top pad may drift
PIXELS_KEPT = 8  # files whose full pixels are kept at once
CONTENT = "sha256:"  # rows of a file content's measures; the others are workspace-relative paths


@functools.lru_cache(maxsize=1)
def measure_version() -> str:
    """What cached entries must have been made with: MEASURE_VERSION, imgpipe's version (a new
    release measures again) and FileFacts' fields."""
    from imgpipe import __version__

    names = ",".join(f.name for f in dataclasses.fields(FileFacts))
    return f"{MEASURE_VERSION}:{__version__}:{hashlib.sha256(names.encode()).hexdigest()[:8]}"


def identity(st) -> list[int]:
    """A file version's identity from its stat: size, mtime_ns, ctime_ns.

    An atomic rewrite (a new inode), a hand edit or a restore changes ctime even when size and
    mtime are kept, and nothing can set ctime back.
    """
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def recorded_entry(path: Path, data: bytes, sha256: str, cache: dict) -> tuple[str, str] | None:
    """What the run records of an output it has just written (`data` at `path`), for validation:
    (ident JSON, data JSON) of a `validate_files` row, the row a validation would make of the
    file (read_facts of the same bytes, their sha256) under the file's identity. A validation
    trusts it while the file keeps that identity; any change (a new inode, a hand edit, a
    restore) and it decodes the file again. cache: {sha256: facts} of one photo's outputs (equal
    bytes on several platforms are decoded once). None when the file cannot be read back.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if st.st_size != len(data):  # not the bytes written any more
        return None
    if sha256 not in cache:
        cache[sha256] = read_facts(data, st)[0]
    facts = dataclasses.replace(cache[sha256], nbytes=st.st_size, mtime=st.st_mtime)
    return (json.dumps(identity(st)), json.dumps({"version": measure_version(), "sha256": sha256,
                                                  "facts": dataclasses.asdict(facts)}, ensure_ascii=False))


class MeasureStore:
    """What validations learnt about each file version, kept in the catalog between runs.

    entry(rel, ident) -> the cached dict of that exact version, or a new empty
    one (an older version's is dropped); content(sha) -> the measures of a
    content; `save()` writes the changed entries in one transaction and drops
    those of files and contents gone. A catalog that cannot be written (read-only, busy) only
    costs the next validation its decodes: errors are swallowed.
    """

    def __init__(self, db: sqlite3.Connection | None):
        self.db = db
        self.version = measure_version()
        self._entries: dict[str, dict] = {}
        self._dirty: set[str] = set()
        self._gone: set[str] = set()
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        if self.db is None:
            return
        try:
            rows = file_measures(self.db)
        except sqlite3.Error:  # not made yet: the first validation makes it
            return
        for path, ident, data in rows:
            entry = json.loads(data)
            entry["ident"] = json.loads(ident)
            self._entries[path] = entry

    def entry(self, rel: str, ident: list[int]) -> dict:
        if not self._loaded:
            self._load()
        found = self._entries.get(rel)
        if found is None or found.get("ident") != ident or found.get("version") != self.version:
            found = self._entries[rel] = {"ident": ident, "version": self.version}
            self._dirty.add(rel)
        return found

    def content(self, sha: str) -> dict:
        """The measures of a file content (by its sha256): equal files on several platforms
        (a white image, a detail image) are measured once."""
        return self.entry(CONTENT + sha, [])

    def changed(self, rel: str) -> None:
        self._dirty.add(rel)

    def forget(self, rel: str) -> None:
        """The file is gone: its entry too, at the next save."""
        if not self._loaded:
            self._load()
        if self._entries.pop(rel, None) is not None:
            self._gone.add(rel)

    def save(self) -> None:
        if self.db is None or not (self._dirty or self._gone):
            return
        rows = [(rel, json.dumps(e["ident"]), json.dumps({k: v for k, v in e.items() if k != "ident"},
                                                          ensure_ascii=False))
                for rel, e in self._entries.items() if rel in self._dirty]
        # contents no file has any more
        used = {CONTENT + e["sha256"] for rel, e in self._entries.items() if "sha256" in e}
        for rel in [rel for rel in self._entries if rel.startswith(CONTENT) and rel not in used]:
            del self._entries[rel]
            self._gone.add(rel)
        try:
            save_file_measures(self.db, rows, self._gone)
        except sqlite3.Error:
            return  # a cache: the next validation measures again
        self._dirty.clear()
        self._gone.clear()


class Files:
    """Caches of workspace files: stat, decode facts, sha256 and pixel measures (see MeasureStore).

    store: where measures outlive this run (None: this run only).
    """

    def __init__(self, root: Path, store: MeasureStore | None = None):
        self.root = root
        self.store = store or MeasureStore(None)
        self._facts: dict[str, FileFacts] = {}
        self._sha: dict[str, str | None] = {}
        # the last few files' full pixels: the checks of one file follow each other, and keeping
        # every file's would hold the whole workspace in memory (~2 MB per 800 px image)
        self._pixels: OrderedDict[str, np.ndarray] = OrderedDict()
        self._entries: dict[str, dict | None] = {}
        self.decoded = 0  # files decoded by this run (the rest came from the store)
        self.facts_read: set[str] = set()  # files whose facts this run decoded

    def path(self, rel: str) -> Path:
        return self.root / rel

    def _entry(self, rel: str) -> dict | None:
        """The store's entry of the file as it is now; None when it is not a file."""
        if rel not in self._entries:
            try:
                st = self.path(rel).stat()
            except OSError:
                st = None
            if st is None or not stat.S_ISREG(st.st_mode):
                self.store.forget(rel)
                self._entries[rel] = None
            else:
                self._entries[rel] = self.store.entry(rel, identity(st))
        return self._entries[rel]

    def sha(self, rel: str) -> str | None:
        if rel not in self._sha:
            entry = self._entry(rel)
            if entry is not None and "sha256" in entry:
                self._sha[rel] = entry["sha256"]
            else:
                p = self.path(rel)
                self._sha[rel] = sha256_file(p) if p.is_file() else None
                if entry is not None and self._sha[rel] is not None:
                    entry["sha256"] = self._sha[rel]
                    self.store.changed(rel)
        return self._sha[rel]

    def measure(self, rel: str, key: str, compute: Callable[[], object]):
        """compute() (JSON data from the file's pixels), kept with the file's content under `key`.

        key must name everything besides the file that the value depends on
        (settings, boxes): a new key measures again.
        """
        sha = self.sha(rel)
        if sha is None:
            return compute()
        entry = self.store.content(sha)
        measures = entry.setdefault("measures", {})
        if key not in measures:
            measures[key] = compute()
            self.store.changed(CONTENT + sha)
        return measures[key]

    def facts(self, rel: str, full: bool = False) -> FileFacts:
        """Header facts and a (reduced, DCT-scaled) decode; `full` keeps full-size pixels too."""
        if rel in self._facts and (not full or rel in self._pixels or self._facts[rel].error):
            return self._facts[rel]
        entry = self._entry(rel)
        if not full and entry is not None and "facts" in entry:
            self._facts[rel] = FileFacts(**entry["facts"])
            return self._facts[rel]
        known = self._facts.get(rel) or (FileFacts(**entry["facts"]) if entry is not None and "facts" in entry else None)
        if full and known is not None and self._full_pixels(rel):
            self._facts[rel] = known
            return known
        p = self.path(rel)
        try:
            st = p.stat()
        except FileNotFoundError:
            self._facts[rel] = FileFacts(exists=False)
            return self._facts[rel]
        self.decoded += 1
        try:
            data = p.read_bytes()
        except OSError as exc:
            data = exc
        facts, pixels = read_facts(data, st, full)
        self.facts_read.add(rel)
        if pixels is not None:
            self._pixels[rel] = pixels
            while len(self._pixels) > PIXELS_KEPT:
                self._pixels.popitem(last=False)
        self._facts[rel] = facts
        # kept: the reduced decode's facts (what the checks read first), a full one's only without them
        if entry is not None and (not full or "facts" not in entry):
            entry["facts"] = dataclasses.asdict(facts)
            self.store.changed(rel)
        return facts

    def _full_pixels(self, rel: str) -> bool:
        """Full-size pixels of a file whose facts are known: the decode alone (its facts are the
        reduced decode's, as the checks read them). False when it does not decode: facts() then
        decodes it as before and records why."""
        try:
            with Image.open(self.path(rel)) as img:
                img.load()
                rgb = np.asarray(img.convert("RGB"))
        except Exception:  # a finding, made by facts()' own decode
            return False
        self.decoded += 1
        self._pixels[rel] = rgb
        while len(self._pixels) > PIXELS_KEPT:
            self._pixels.popitem(last=False)
        return True

    def pixels(self, rel: str) -> np.ndarray | None:
        if rel in self._pixels:
            self._pixels.move_to_end(rel)
            return self._pixels[rel]
        self.facts(rel, full=True)
        return self._pixels.get(rel)
