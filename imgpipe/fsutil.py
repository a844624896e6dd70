"""Filesystem helpers: atomic writes, hashing, safe joins."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

CHUNK = 1 << 20
_UMASK = os.umask(0)
os.umask(_UMASK)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


_HASHES: dict[tuple, str] = {}


def content_hash(path: Path | None) -> str:
    """sha256 of the file's bytes ("" for none or a missing file); remembered per size and mtime.

    Fingerprints carry this, not the path: a logo or font replaced under the
    same name changes the hash, and exactly the outputs that carry it are redone.
    """
    if not path:
        return ""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return ""
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        if len(_HASHES) > 64:
            _HASHES.clear()
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half.

    durable: fsync before the rename, so even a power cut cannot leave an empty
    file. Originals need it; outputs can skip it (about 0.5 ms a file) because
    the catalog records each output's size and a short file is simply redone.
    """
    write_atomically(path, lambda out: out.write(data), durable)


def atomic_write_stream(dest: Path, opener) -> str:
    """Copy what `opener()` (a binary file-like context) yields to `dest` atomically and durably.

    Streams in 1 MiB blocks, so large files never sit in memory. Returns the
    sha256 of the bytes written.
    """
    h = hashlib.sha256()

    def copy(out):
        with opener() as src:
            for block in iter(lambda: src.read(CHUNK), b""):
                h.update(block)
                out.write(block)

    write_atomically(dest, copy, durable=True)
    return h.hexdigest()


def write_atomically(path: Path, write, durable: bool) -> None:
    """`write(file)` (a binary file object) into a temporary file beside `path`, then rename it over `path`.

    durable: fsync the temporary file before the rename, so a power cut leaves the old or the new
    content under `path`, never a torn one.

    Same folder, so the rename is atomic; the name starts with a dot so
    watchers and globbing skip it; removed again if anything fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; others on a share must read outputs
        with os.fdopen(fd, "wb") as out:
            write(out)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def is_within(path: Path, root: Path) -> bool:
    """True when `path` (resolved, links followed) lies inside `root`."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def remove_stale_temps(folder: Path) -> int:
    """Delete `.name.xxx.tmp` files a killed run left behind; returns how many."""
    count = 0
    if not folder.exists():
        return 0
    for tmp in folder.rglob(".*.tmp"):
        try:
            tmp.unlink()
            count += 1
        except OSError:
            pass
    return count
