"""Backup constants, results and path rules shared by targets, state, sync and restore."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t


VERSIONS = ".versions"
# rel -> sha256 of every verified file, kept on the target itself: a restore after
# the workspace (and its catalog) is lost can still check every byte it brings back.
MANIFEST = ".imgpipe-manifest.json"
BACKED_UP_DIRS = ("originals", "output")
CATALOG_COPY = "catalog/catalog.sqlite"  # on the target: the catalog as it was at the last backup
COMMIT_EVERY = 50  # rows between commits: a crash re-checks at most this many (by hash, not re-sent)

Progress = Callable[[int, int, str], None]


class TargetUnavailable(ImgpipeError):
    """The target cannot be used right now (not mounted, host down, disk full, refused).

    Files stay queued; the next run tries again. Not a configuration error.
    """


# --------------------------------------------------------------------------- results


@dataclass
class BackupResult:
    """What one sync did. `pending` = files not yet safe on the target after it."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    pending: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    message: str = ""          # why the sync stopped early / did not start; "" when all went well
    target: str = ""           # target as shown to users (never with credentials)

    @property
    def complete(self) -> bool:
        return self.pending == 0 and self.failed == 0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict:
        """For `--json` and run summaries (no credentials: `target` never carries any)."""
        return {
            "sent": self.sent, "skipped": self.skipped, "failed": self.failed, "pending": self.pending,
            "bytes": self.bytes, "seconds": round(self.seconds, 3), "errors": list(self.errors),
            "message": self.message, "target": self.target,
        }

    def summary(self) -> str:
        return t(
            "backup.summary",
            sent=self.sent,
            mb=f"{self.bytes / 1e6:.1f}",
            skipped=self.skipped,
            failed=self.failed,
            pending=self.pending,
        )


@dataclass
class VerifyReport:
    ok: int = 0
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.missing and not self.changed

    def as_dict(self) -> dict:
        return {"ok": self.ok, "missing": list(self.missing), "changed": list(self.changed)}

    def summary(self) -> str:
        return t("backup.verify_summary", ok=self.ok, missing=len(self.missing), changed=len(self.changed))


class RestoredFiles(list):
    """list[Path] of files restored (or already identical in dest).

    `kept`: files that already existed in dest with other content and were left alone.
    `missing`: files the backup's manifest (or the catalog) records but the target no longer has.
    """

    def __init__(self):
        super().__init__()
        self.kept: list[Path] = []
        self.missing: list[str] = []


# --------------------------------------------------------------------------- paths


DRIVE_LETTER = re.compile(r"^[A-Za-z]:")  # a Windows drive prefix ("D:"), refused in paths and targets


def safe_rel(rel: str) -> PurePosixPath:
    """`rel` as a relative path that cannot leave the folder it is joined to.

    Refuses absolute paths, drive letters, backslashes, `..`, empty parts and
    NUL: a listing from a tampered target must not write outside the restore folder.
    """
    bad = (
        not rel
        or "\x00" in rel
        or "\\" in rel
        or ":" in rel
        or DRIVE_LETTER.match(rel)
        or rel.startswith("/")
    )
    parts = rel.split("/")
    if bad or any(p in ("", ".", "..") for p in parts):
        raise ImgpipeError(t("backup.unsafe_path", path=rel), fix=t("backup.unsafe_path.fix"))
    return PurePosixPath(rel)


def is_temp_name(name: str) -> bool:
    """True for a file name of a temporary file being written (".<name>.<random>.tmp"): never backed up."""
    return name.startswith(".") and name.endswith(".tmp")


def utc_stamp() -> str:
    """Now in UTC to the microsecond, "20261207T130501.123456Z": the suffix of a version kept on the target.

    No colons: the stamp is part of a file name, and Windows forbids ':'.
    """
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def utc_now_iso() -> str:
    """Now in UTC to the second, ISO 8601 with offset ("2026-12-07T13:05:01+00:00"): the ledger's times."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def describe_error(exc: BaseException) -> str:
    """A short reason for an OS/network error, without credentials."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return t("backup.disk_full")
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return t("backup.no_permission", detail=exc.filename or exc.strerror or "")
    if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower() or (
            "banner" in str(exc).lower()):  # a frozen server: named, never a bare "TimeoutError"
        return t("backup.timeout")
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
    return str(exc) or type(exc).__name__
