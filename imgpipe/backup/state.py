"""Queueing workspace files in the catalog's backup ledger (catalog.backup_*): which files are safe on the target."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable

from imgpipe import catalog
from imgpipe.fsutil import sha256_file
from imgpipe.backup.base import BACKED_UP_DIRS, is_temp_name, safe_rel


def local_path(root: Path, rel: str) -> Path:
    """The workspace file of ledger path `rel` (POSIX, relative) under `root`; raises on a path that would leave it."""
    return Path(root).joinpath(*safe_rel(rel).parts)


def queue(conn: sqlite3.Connection, root: Path, rel_paths: Iterable[str]) -> int:
    """Mark files pending when they differ from the copy last verified on the target.

    A file whose size and mtime match the verified copy is not re-read.
    Returns how many files became pending.
    """
    catalog.ensure_backup_ledger(conn)
    newly = 0
    for rel in rel_paths:
        local = local_path(root, rel)
        try:
            st = local.stat()
        except FileNotFoundError:
            continue
        row = catalog.backup_entry(conn, rel)
        if row is None:
            catalog.backup_add_pending(conn, rel)
            newly += 1
            continue
        sha, size, state, mtime_ns = row
        if state != "done":
            continue  # already queued (or failed: sync retries it)
        if size == st.st_size and mtime_ns == st.st_mtime_ns:
            continue
        if size == st.st_size and sha256_file(local) == sha:
            catalog.backup_set_mtime(conn, rel, st.st_mtime_ns)
            continue
        catalog.backup_requeue(conn, rel)
        newly += 1
    conn.commit()
    return newly


def pending_count(conn: sqlite3.Connection) -> int:
    """How many files are not safe on the target yet (pending or failed)."""
    catalog.ensure_backup_ledger(conn)
    return catalog.backup_unsent_count(conn)


def workspace_files(root: Path) -> list[str]:
    """Relative paths of every original and output (temp files left out)."""
    out = []
    for top in BACKED_UP_DIRS:
        base = Path(root) / top
        if not base.is_dir():
            continue
        for dirpath, dirs, files in os.walk(base):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if is_temp_name(name):
                    continue
                out.append(Path(dirpath, name).relative_to(root).as_posix())
    return out
