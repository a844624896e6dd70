"""The catalog table `backup_files`: which workspace files are safe on the target."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable

from imgpipe.fsutil import sha256_file
from imgpipe.backup.base import BACKED_UP_DIRS, _is_temp, safe_rel


# --------------------------------------------------------------------------- catalog table


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        """CREATE TABLE IF NOT EXISTS backup_files(
            path TEXT PRIMARY KEY,
            sha256 TEXT,
            size INTEGER,
            state TEXT,              -- pending | done | failed
            backed_up_at TEXT,
            verified_at TEXT,
            error TEXT,
            mtime_ns INTEGER
        )"""
    )
    cols = {row[1] for row in conn.execute("PRAGMA table_info(backup_files)")}
    if "mtime_ns" not in cols:
        conn.execute("ALTER TABLE backup_files ADD COLUMN mtime_ns INTEGER")


def _local(root: Path, rel: str) -> Path:
    return Path(root).joinpath(*safe_rel(rel).parts)


def queue(conn: sqlite3.Connection, root: Path, rel_paths: Iterable[str]) -> int:
    """Mark files pending when they differ from the copy last verified on the target.

    A file whose size and mtime match the verified copy is not re-read.
    Returns how many files became pending.
    """
    ensure_table(conn)
    newly = 0
    for rel in rel_paths:
        local = _local(root, rel)
        try:
            st = local.stat()
        except FileNotFoundError:
            continue
        row = conn.execute(
            "SELECT sha256, size, state, mtime_ns FROM backup_files WHERE path = ?", (rel,)
        ).fetchone()
        if row is None:
            conn.execute("INSERT INTO backup_files(path, state) VALUES (?, 'pending')", (rel,))
            newly += 1
            continue
        sha, size, state, mtime_ns = row
        if state != "done":
            continue  # already queued (or failed: sync retries it)
        if size == st.st_size and mtime_ns == st.st_mtime_ns:
            continue
        if size == st.st_size and sha256_file(local) == sha:
            conn.execute("UPDATE backup_files SET mtime_ns = ? WHERE path = ?", (st.st_mtime_ns, rel))
            continue
        conn.execute("UPDATE backup_files SET state = 'pending', error = NULL WHERE path = ?", (rel,))
        newly += 1
    conn.commit()
    return newly


def pending_count(conn: sqlite3.Connection) -> int:
    ensure_table(conn)
    return conn.execute("SELECT COUNT(*) FROM backup_files WHERE state != 'done'").fetchone()[0]


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
                if _is_temp(name):
                    continue
                out.append(Path(dirpath, name).relative_to(root).as_posix())
    return out
