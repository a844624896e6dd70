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


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` so readers see the old file or the new one, never half.

    The temporary file sits in the same folder (same filesystem, so the final
    `os.replace` is atomic) and starts with a dot so watchers and globbing skip it.
    durable: fsync before the rename, so even a power cut cannot leave an empty
    file. Originals need it; outputs can skip it (about 0.5 ms a file) because
    the catalog records each output's size and a short file is simply redone.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; others on a share must read outputs
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_stream(dest: Path, opener) -> str:
    """Copy what `opener()` (a binary file-like context) yields to `dest` atomically and durably.

    Streams in 1 MiB blocks, so large files never sit in memory. Returns the
    sha256 of the bytes written.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    h = hashlib.sha256()
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as out, opener() as src:
            for block in iter(lambda: src.read(CHUNK), b""):
                h.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return h.hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: Path, dest: Path) -> str:
    """Copy `src` to `dest` atomically; returns the sha256 of the bytes written."""
    data = src.read_bytes()
    atomic_write_bytes(dest, data)
    return sha256_bytes(data)


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
