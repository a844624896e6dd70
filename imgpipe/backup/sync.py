"""Sending: queue, sync, manifest, the catalog copy; `backup_workspace` is what run/watch/backup call."""

from __future__ import annotations

import os
import json
import sqlite3
import tempfile
import time
from pathlib import Path

from imgpipe import catalog
from imgpipe.fsutil import sha256_file
from imgpipe.messages import t
from imgpipe.backup.base import (
    BackupResult,
    CATALOG_COPY,
    COMMIT_EVERY,
    MANIFEST,
    Progress,
    TargetUnavailable,
    describe_error,
    utc_now_iso,
)
from imgpipe.backup.targets import Target, open_target
from imgpipe.backup.state import local_path, pending_count, queue, workspace_files


# --------------------------------------------------------------------------- sync


_TARGET_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError)


def target_errors() -> tuple[type[BaseException], ...]:
    """The exception types a target raises when unreachable or failing (OSError, EOFError, paramiko's SSHException)."""
    try:
        import paramiko

        return _TARGET_ERRORS + (paramiko.SSHException,)
    except ImportError:  # pragma: no cover
        return _TARGET_ERRORS


def sync(
    conn: sqlite3.Connection,
    root: Path,
    target: Target,
    progress: Progress | None = None,
) -> BackupResult:
    """Send every pending file to `target`, verify it there, record it.

    The previous copy on the target moves to `.versions/` before it is replaced.
    Stops at the first target error (the rest stay pending, `message` says why);
    never raises for target trouble.
    """
    catalog.ensure_backup_ledger(conn)
    root = Path(root)
    result = BackupResult(target=target.display)
    start = time.perf_counter()
    errors = target_errors()
    rows = catalog.backup_unsent(conn)
    since_commit = 0
    for i, (rel, recorded_sha) in enumerate(rows):
        since_commit += 1
        if since_commit >= COMMIT_EVERY:
            conn.commit()
            since_commit = 0
        if progress:
            progress(i, len(rows), rel)
        local = local_path(root, rel)
        try:
            st = local.stat()
        except FileNotFoundError:
            _local_gone(conn, target, rel, recorded_sha, result, errors)
            continue
        local_sha = None
        try:
            have = target.size(rel)
            if have is not None:
                if have == st.st_size:
                    local_sha = _local_sha(local)
                    if target.sha256(rel) == local_sha:
                        _mark_done(conn, rel, local_sha, st)
                        result.skipped += 1
                        continue
                target.move_to_versions(rel)
            sent_sha = target.put(rel, local)
            stored_sha = target.sha256(rel)
        except _LocalReadError as exc:
            catalog.backup_mark(conn, rel, "failed", error=describe_error(exc.__cause__))
            result.failed += 1
            result.errors.append(f"{rel}: {describe_error(exc.__cause__)}")
            continue
        except errors as exc:
            detail = describe_error(exc)
            catalog.backup_set_error(conn, rel, detail)
            result.message = t("backup.stopped", target=target.display, detail=detail)
            result.errors.append(f"{rel}: {detail}")
            break
        # The hash of the bytes sent is the file's hash unless the file changed meanwhile
        # (one read of the file instead of two).
        changed = sent_sha != local_sha if local_sha else _stat_key(local) != _stat_key_of(st)
        if changed:
            # Leave it queued for the next run.
            catalog.backup_set_error(conn, rel, t("backup.changed_during_copy"))
        elif stored_sha != sent_sha:
            catalog.backup_mark(conn, rel, "failed", error=t("backup.hash_mismatch"))
            result.failed += 1
            result.errors.append(f"{rel}: {t('backup.hash_mismatch')}")
        else:
            _mark_done(conn, rel, sent_sha, st)
            result.sent += 1
            result.bytes += st.st_size
    conn.commit()
    if result.sent or result.skipped:
        try:
            _write_manifest(conn, target)
        except errors as exc:
            result.message = result.message or t("backup.stopped", target=target.display, detail=describe_error(exc))
    result.pending = catalog.backup_pending_count(conn)
    result.seconds = time.perf_counter() - start
    if progress:
        progress(len(rows), len(rows), "")
    return result


class _LocalReadError(Exception):
    """Reading the workspace file failed (not the target's fault)."""


def _local_sha(path: Path) -> str:
    try:
        return sha256_file(path)
    except OSError as exc:
        raise _LocalReadError() from exc


def _stat_key_of(st: os.stat_result) -> tuple:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _stat_key(path: Path) -> tuple | None:
    try:
        return _stat_key_of(path.stat())
    except OSError:
        return None


def _write_manifest(conn, target: Target) -> None:
    shas = catalog.backup_done_hashes(conn)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.json"
        path.write_text(json.dumps({"version": 1, "files": shas}, ensure_ascii=False, indent=0), encoding="utf-8")
        target.put(MANIFEST, path)


def read_manifest(target: Target) -> dict[str, str]:
    """rel -> sha256 recorded on the target at the last backup; {} when there is none."""
    if not target.exists(MANIFEST):
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "manifest.json"
        target.get(MANIFEST, path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = data.get("files", {})
        except (ValueError, AttributeError):
            return {}
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)}


def _mark_done(conn, rel: str, sha: str, st: os.stat_result) -> None:
    catalog.backup_mark_done(conn, rel, sha, st.st_size, st.st_mtime_ns, utc_now_iso())


def _local_gone(conn, target: Target, rel: str, recorded_sha, result: BackupResult, errors) -> None:
    """A queued file left the workspace before it was sent."""
    if recorded_sha is None:
        catalog.backup_forget(conn, rel)
        return
    try:
        intact = target.sha256(rel) == recorded_sha
    except errors:
        intact = False
    if intact:
        catalog.backup_mark_intact(conn, rel)
    else:
        catalog.backup_mark(conn, rel, "failed", error=t("backup.local_missing"))
        result.failed += 1
        result.errors.append(f"{rel}: {t('backup.local_missing')}")


def backup_workspace(
    conn: sqlite3.Connection,
    root: Path,
    settings,
    progress: Progress | None = None,
) -> BackupResult:
    """Queue every original and output, then sync to the configured target.

    What `imgpipe run`, `imgpipe watch` and `imgpipe backup` call. Never raises
    for an unreachable target; raises ImgpipeError only for a setting that can
    never work (target inside the workspace, bad URL, login refused).
    """
    root = Path(root)
    catalog.ensure_backup_ledger(conn)
    queue(conn, root, workspace_files(root))
    if not (settings.target or "").strip():
        n = pending_count(conn)
        return BackupResult(pending=n, message=t("backup.no_target_pending", count=n))
    first_time = not catalog.backup_any_done(conn)
    try:
        target = open_target(settings, root, create=first_time)
    except TargetUnavailable as exc:
        n = pending_count(conn)
        return BackupResult(pending=n, message=str(exc), errors=[str(exc)])
    with target:
        result = sync(conn, root, target, progress)
        if not result.pending and not result.failed and (result.sent or target.size(CATALOG_COPY) is None):
            try:
                send_catalog(conn, root, target)
            except target_errors() as exc:  # the files are safe; the catalog copy goes next time
                result.errors.append(f"{CATALOG_COPY}: {describe_error(exc)}")
        return result


def send_catalog(conn: sqlite3.Connection, root: Path, target: Target) -> None:
    """Put a consistent copy of the catalog on the target (SQLite's online backup).

    With it, `restore` brings back not just the files but what only the
    catalog knows: reference shots and slates, capture times, colour analyses,
    sold-out variants and listings; a restored workspace then has nothing to redo.
    """
    snapshot = Path(root) / ".imgpipe" / "catalog-snapshot.sqlite"
    tmp = snapshot.with_name(".catalog-snapshot.tmp")
    tmp.unlink(missing_ok=True)
    copy = sqlite3.connect(tmp)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    os.replace(tmp, snapshot)
    target.put(CATALOG_COPY, snapshot)


def restore_catalog(conn: sqlite3.Connection | None, target: Target, dest: Path) -> bool:
    """Bring the catalog copy back into an empty workspace; True when it was restored.

    A catalog that already knows photos is never replaced. With `conn` open on
    the destination's catalog the copy is written through it (SQLite backup),
    so no open connection is pulled from under.
    """
    if target.size(CATALOG_COPY) is None:
        return False
    folder = Path(dest) / ".imgpipe"
    folder.mkdir(parents=True, exist_ok=True)
    if conn is None:
        if (folder / "catalog.sqlite").exists():
            return False
        target.get(CATALOG_COPY, folder / "catalog.sqlite")
        return True
    # the photos table is the catalog's (catalog.py): empty means nothing would be lost
    if catalog.photo_count(conn):
        return False
    tmp = folder / ".catalog-restore.tmp"
    target.get(CATALOG_COPY, tmp)
    source = sqlite3.connect(tmp)
    try:
        source.backup(conn)
    finally:
        source.close()
        tmp.unlink(missing_ok=True)
    return True
