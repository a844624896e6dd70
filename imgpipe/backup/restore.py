"""Checking and bringing back: verify, restore, versions."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path, PurePosixPath

from imgpipe import catalog
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import is_within, sha256_file
from imgpipe.messages import t
from imgpipe.backup.base import (
    BACKED_UP_DIRS,
    RestoredFiles,
    TargetUnavailable,
    VERSIONS,
    VerifyReport,
    describe_error,
    utc_now_iso,
    safe_rel,
)
from imgpipe.backup.targets import Target
from imgpipe.backup.sync import target_errors, read_manifest


# --------------------------------------------------------------------------- verify / restore


def verify(conn: sqlite3.Connection, root: Path, target: Target) -> VerifyReport:
    """Re-hash every verified file on the target; missing or changed ones go back to pending.

    Raises TargetUnavailable when the target fails midway (nothing is marked then).
    """
    catalog.ensure_backup_ledger(conn)
    report = VerifyReport()
    rows = list(catalog.backup_done_hashes(conn).items())
    now = utc_now_iso()
    try:
        for rel, sha in rows:
            got = target.sha256(rel)
            if got is None:
                report.missing.append(rel)
            elif got != sha:
                report.changed.append(rel)
            else:
                report.ok += 1
    except target_errors() as exc:
        raise TargetUnavailable(
            t("backup.unreachable", target=target.display, detail=describe_error(exc)), fix=t("backup.unreachable.fix")
        ) from None
    for rel in report.missing:
        catalog.backup_mark(conn, rel, "pending", error=t("backup.verify_missing"))
    for rel in report.changed:
        catalog.backup_mark(conn, rel, "pending", error=t("backup.verify_changed"))
    bad = set(report.missing) | set(report.changed)
    catalog.backup_set_verified(conn, [rel for rel, _ in rows if rel not in bad], now)
    conn.commit()
    return report


def _lands_inside(path: Path, dest: Path) -> bool:
    probe = path.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return is_within(probe, dest) and not path.is_symlink()


def _article_of(rel: PurePosixPath) -> str | None:
    # originals/<category>/<article>/… and output/<platform>/<article>/…
    parts = rel.parts
    if len(parts) >= 4 and parts[0] in BACKED_UP_DIRS:
        return parts[2]
    return None


def restore(
    conn: sqlite3.Connection | None,
    target: Target,
    dest: Path,
    articles: list[str] | None = None,
    *,
    overwrite: bool = False,
) -> RestoredFiles:
    """Bring originals and outputs back from `target` into `dest` (a workspace folder).

    `articles`: only files in those article folders; None = everything.
    Every path from the target is checked before anything is written (a
    tampered listing cannot escape `dest`). Each file is hashed as it arrives
    and compared with the catalog (when `conn` is given); a damaged file is not
    written and ImgpipeError lists them after the good files are in place.
    Existing files with other content are left alone unless `overwrite`.
    """
    dest = Path(dest)
    listing = target.list_files()
    wanted: list[tuple[str, PurePosixPath]] = []
    found_articles: set[str] = set()
    for rel in sorted(listing):
        p = safe_rel(rel)  # raises on the first hostile name, before any write
        if p.parts[0] == VERSIONS or p.parts[0] not in BACKED_UP_DIRS:
            continue
        art = _article_of(p)
        if art:
            found_articles.add(art)
        if articles is None or art in articles:
            wanted.append((rel, p))
    if articles:
        unknown = [a for a in articles if a not in found_articles]
        if unknown:
            known = sorted(found_articles)
            raise ImgpipeError(
                t("backup.restore_unknown_article", articles=", ".join(unknown)),
                fix=t("backup.restore_unknown_article.fix", known=", ".join(known[:30]) + (" …" if len(known) > 30 else "")),
            )
    recorded = read_manifest(target)
    if conn is not None:
        catalog.ensure_backup_ledger(conn)
        recorded.update(catalog.backup_recorded_hashes(conn))
    restored = RestoredFiles()
    for rel in sorted(set(recorded) - set(listing)):  # recorded as backed up, gone from the target
        try:
            p = safe_rel(rel)
        except ImgpipeError:
            continue
        if p.parts[0] in BACKED_UP_DIRS and (articles is None or _article_of(p) in articles):
            restored.missing.append(rel)
    damaged: list[str] = []
    if wanted:
        dest.mkdir(parents=True, exist_ok=True)
    for rel, p in wanted:
        out = dest.joinpath(*p.parts)
        if not _lands_inside(out, dest):
            # A symlink already in dest would carry the write elsewhere.
            raise ImgpipeError(t("backup.unsafe_path", path=rel), fix=t("backup.unsafe_path.fix"))
        expected = recorded.get(rel)
        if out.exists():
            have = sha256_file(out)
            if have == (expected or target.sha256(rel)):
                restored.append(out)
                continue
            if not overwrite:
                restored.kept.append(out)
                continue
        # Into a temp name first: a damaged copy never takes the real name.
        tmp = out.with_name(f".{out.name}.restore.tmp")
        got = target.get(rel, tmp)
        if expected is None:
            expected = target.sha256(rel)  # no record anywhere: at least a consistent second read
        if got != expected:
            tmp.unlink(missing_ok=True)
            damaged.append(rel)
            continue
        os.replace(tmp, out)
        restored.append(out)
    if damaged:
        raise ImgpipeError(
            t("backup.restore_damaged", count=len(damaged), files=", ".join(damaged[:10])),
            fix=t("backup.restore_damaged.fix"),
        )
    return restored


def catalog_missing(conn: sqlite3.Connection | None, target: Target, dest: Path) -> bool:
    """True when the backup holds no catalog copy and the destination's catalog knows no photos.

    The files then come back without what only the catalog knew: which shot is a grey card or a
    slate, capture times, sold-out marks, listings. Said, with exit 1, never "restored" alone.
    """
    from imgpipe.backup.base import CATALOG_COPY

    if target.size(CATALOG_COPY) is not None:
        return False
    if conn is None:
        path = Path(dest) / ".imgpipe" / "catalog.sqlite"
        if not path.exists():
            return True
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return not catalog.photo_count(conn)
        except sqlite3.Error:
            return True
        finally:
            conn.close()
    return not catalog.photo_count(conn)


def list_versions(target: Target, rel: str) -> list[str]:
    """UTC stamps of the earlier copies of `rel` kept on the target, oldest first."""
    p = safe_rel(rel)
    prefix = f"{VERSIONS}/{p.as_posix()}."
    return sorted(k[len(prefix):] for k in target.list_files() if k.startswith(prefix) and "/" not in k[len(prefix):])


def restore_version(target: Target, rel: str, timestamp: str, dest: Path) -> Path:
    """Copy the earlier copy of `rel` saved at `timestamp` to the file `dest`."""
    safe_rel(rel)
    if not re.fullmatch(r"\d{8}T\d{6}(\.\d+)?Z", timestamp):
        raise ImgpipeError(t("backup.version_missing", path=rel, timestamp=timestamp),
                           fix=t("backup.version_missing.fix", known=", ".join(list_versions(target, rel)) or "-"))
    vrel = f"{VERSIONS}/{rel}.{timestamp}"
    if not target.exists(vrel):
        raise ImgpipeError(t("backup.version_missing", path=rel, timestamp=timestamp),
                           fix=t("backup.version_missing.fix", known=", ".join(list_versions(target, rel)) or "-"))
    target.get(vrel, Path(dest))
    return Path(dest)
