"""`imgpipe doctor`: check the catalog against the files, rebuild it when it is lost.

The originals and outputs on disk are the truth; the catalog is an index of
them. When the catalog is damaged (a crash of the disk, not of imgpipe: SQLite
survives a killed process), `rebuild_catalog` makes a new one from

- originals/<category>/<article>/<article>-NN.<ext>: article, sequence, hash;
- output/<platform>/<article>/<role>/<file>: path, hash, size in pixels/bytes.

Rebuilt outputs get an empty fingerprint, so the next `run` redraws them from
the originals (byte-identical when nothing changed) and records fresh ones.
What a file name cannot tell is taken from the damaged catalog wherever it
can still be read, table by table: photo kinds (reference shots, slates),
capture times and analyses (matched by article, number and hash), sold-out
marks and listings. The damaged file is kept beside the new one, never
deleted. A rebuild holds the run lock: it refuses while a run or a watcher
works on the workspace. A full disk or an unwritable folder is told apart
from damage, and then no rebuild is advised.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.catalog import Catalog, salvage_rows
from imgpipe.decoders import is_photo_name
from imgpipe.errors import GlobalFailure, ImgpipeError, global_failure
from imgpipe.fsutil import sha256_file
from imgpipe.messages import t

CATALOG = Path(".imgpipe") / "catalog.sqlite"
# Below this much free space a run stops part-way: each output is written to a temporary
# file beside it (up to a few MB for a large page slice) and the catalog needs its journal.
MIN_FREE_BYTES = 64 * 1024 * 1024
_ORIGINAL = re.compile(r"^(?P<article>.+)-(?P<seq>\d{2,})\.(?P<ext>[A-Za-z0-9]+)$")


@dataclass
class DoctorReport:
    """What `check` found; every list holds workspace-relative paths (or messages)."""

    catalog_error: str | None = None
    disk_full: bool = False  # the catalog is fine; the disk (or folder) is the problem: no rebuild
    missing_originals: list[str] = field(default_factory=list)
    changed_originals: list[str] = field(default_factory=list)
    missing_outputs: list[str] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)
    unknown_originals: list[str] = field(default_factory=list)  # archived files the catalog does not know
    folders: list[str] = field(default_factory=list)  # output/, originals/, reports/ full or not writable

    @property
    def ok(self) -> bool:
        return not (self.catalog_error or self.missing_originals or self.changed_originals
                    or self.missing_outputs or self.temp_files or self.unknown_originals or self.folders)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "catalog_error": self.catalog_error, "disk_full": self.disk_full,
                "unknown_originals": self.unknown_originals, "folders": self.folders,
                "missing_originals": self.missing_originals,
                "changed_originals": self.changed_originals, "missing_outputs": self.missing_outputs,
                "temp_files": self.temp_files}


@dataclass
class RebuildResult:
    photos: int = 0
    outputs: int = 0
    kept_as: str | None = None        # where the damaged catalog was moved
    recovered: dict = field(default_factory=dict)  # table -> rows taken over from the damaged catalog
    skipped: list[str] = field(default_factory=list)   # files whose names say nothing
    set_aside: list[str] = field(default_factory=list)  # no catalog entry left; a reference or slate by its look

    def as_dict(self) -> dict:
        return {"photos": self.photos, "outputs": self.outputs, "kept_as": self.kept_as, "skipped": self.skipped,
                "recovered": self.recovered, "set_aside": self.set_aside}


def check(root: Path) -> DoctorReport:
    """Open the catalog and compare it with the files on disk; never writes."""
    report = DoctorReport()
    report.temp_files = sorted(p.relative_to(root).as_posix() for folder in ("originals", "output")
                               if (root / folder).exists() for p in (root / folder).rglob(".*.tmp"))
    try:
        cat = Catalog(root / CATALOG)
        photos = cat.photos()
        outputs = cat.outputs()
    except GlobalFailure as err:  # disk full, read-only: the data is intact
        report.catalog_error, report.disk_full = str(err), True
        return report
    except (ImgpipeError, sqlite3.DatabaseError) as err:
        fatal = global_failure(err, root / CATALOG)
        report.catalog_error, report.disk_full = str(fatal or err), fatal is not None
        return report
    free = shutil.disk_usage(root).free
    if free < MIN_FREE_BYTES:  # the catalog reads fine, but the next run would stop on a full disk
        report.catalog_error, report.disk_full = t("doctor.disk_low", free=free // 1024 ** 2,
                                                   need=MIN_FREE_BYTES // 1024 ** 2), True
    report.folders = folder_problems(root)
    for photo in photos:
        path = root / photo.original
        if not path.is_file():
            report.missing_originals.append(photo.original)
        elif sha256_file(path) != photo.sha256:
            report.changed_originals.append(photo.original)
    known = {photo.original for photo in photos}
    report.unknown_originals = _interrupted_ingests_left_out(
        root, [rel for rel, _ in _archived_originals(root) if rel not in known])
    for row in outputs:
        if not (root / row["path"]).is_file():
            report.missing_outputs.append(row["path"])
    cat.close()
    return report


def _interrupted_ingests_left_out(root: Path, unknown: list[str]) -> list[str]:
    """`unknown` less the archived copies of photos still in the inbox: an ingest stopped between
    copying and cataloguing (a full disk, a crash) left them, and the next run takes that number
    for the same bytes (`ingest._free_seq`). Only the rest need a rebuild."""
    if not unknown:
        return unknown
    from imgpipe.ingest import scan_inbox

    waiting = {sha256_file(p) for p in scan_inbox(root / "inbox")}
    return [rel for rel in unknown if sha256_file(root / rel) not in waiting]


WRITTEN_FOLDERS = ("originals", "output", "reports")   # each may be a mount of its own (a NAS share, a USB disk)


def folder_problems(root: Path, min_free: int = MIN_FREE_BYTES) -> list[str]:
    """One line per folder a run writes to that is short of space or cannot be written.

    Each is tried on its own: a file is created and removed there (a read-only mount, a
    permission or a full quota shows only then) and its own file system's free space read.
    """
    import os
    import tempfile

    problems = []
    for name in WRITTEN_FOLDERS:
        folder = root / name
        probe_at = folder if folder.is_dir() else root
        try:
            fd, probe = tempfile.mkstemp(prefix=".imgpipe-doctor-", dir=probe_at)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            problems.append(t("doctor.folder_unwritable", folder=name + "/", detail=exc.strerror or exc))
            continue
        free = shutil.disk_usage(probe_at).free
        if free < min_free:
            problems.append(t("doctor.folder_full", folder=name + "/", free=free // 1024 ** 2,
                              need=min_free // 1024 ** 2))
    return problems


def _archived_originals(root: Path):
    """(workspace-relative path, match) of every file under originals/ named as ingest names them."""
    originals = root / "originals"
    for file in sorted(originals.rglob("*")) if originals.exists() else []:
        if not file.is_file() or file.is_symlink() or not is_photo_name(file):
            continue
        m = _ORIGINAL.match(file.name)
        yield file.relative_to(root).as_posix(), (m if m and m["article"] == file.parent.name else None)


def kind_by_look(path: Path) -> str:
    """"reference", "slate" or "photo" for an archived original whose catalog entry is lost.

    The archive name (A1023-01.jpg) no longer says that the shot was `A1023_ref_灰卡.jpg`, so
    the pixels decide as ingest does (a colour chart anywhere: a reference; a card with an
    article written on it: a slate), plus a shot of a grey card filling the frame's middle.
    """
    from imgpipe.colour.reference import detect_reference, is_grey_card_shot
    from imgpipe.imageio import load_photo
    from imgpipe.slate import read_slate

    try:
        data = path.read_bytes()
        if read_slate(data, name=path):
            return "slate"
        rgb = load_photo(data, min_long_side=768, name=path).rgb
        # a chart anywhere marks a reference at ingest too; a grey card only when the shot is of the card
        return "reference" if detect_reference(rgb, grey_card=False) or is_grey_card_shot(rgb) else "photo"
    except ImgpipeError:
        return "photo"   # does not decode: the next run says so for this file


def _set_aside(path: Path) -> str | None:
    """Move the damaged catalog (and its -wal/-shm) aside; returns the new name."""
    if not path.exists():
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    kept = path.with_name(f"{path.name}.broken-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = path.with_name(f"{path.name}.broken-{stamp}-{n}")
    path.rename(kept)
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(kept.with_name(kept.name + suffix))
    return kept.name


def rebuild_catalog(root: Path) -> RebuildResult:
    """A new catalog from originals/ and output/ (see the module docstring).

    Raises ImgpipeError (naming the PID) while a run or a watcher holds the workspace.
    """
    from imgpipe.lock import ensure_no_watcher, run_lock

    with run_lock(root):
        ensure_no_watcher(root)
        return _rebuild(root)


def _rebuild(root: Path) -> RebuildResult:
    result = RebuildResult()
    path = root / CATALOG
    old = salvage_rows(path)
    result.kept_as = _set_aside(path)
    cat = Catalog(path)
    ids: dict[tuple[str, int], int] = {}
    known = {(row[0], row[1], row[2]) for row in old.get("photos", [])}   # their kinds come back below
    with cat.transaction():
        for rel, m in _archived_originals(root):
            if m is None:
                result.skipped.append(rel)
                continue
            file = root / rel
            article, seq = m["article"], int(m["seq"])
            sha = sha256_file(file)
            kind = "photo" if (article, seq, sha) in known else kind_by_look(file)
            if kind != "photo":
                result.set_aside.append(rel)
            try:
                photo_id = cat.add_photo(article=article, seq=seq, ext="." + m["ext"].lower(), sha256=sha,
                                         original=rel, source_name=file.name, captured_at=None, kind=kind)
            except sqlite3.IntegrityError:  # same article and number (or bytes) in two category folders
                result.skipped.append(rel)
                continue
            ids[(article, seq)] = photo_id
            result.photos += 1
        output = root / "output"
        for file in sorted(output.rglob("*")) if output.exists() else []:
            rel = file.relative_to(root)
            if not file.is_file() or file.name.startswith(".") or len(rel.parts) != 5:
                continue  # output/<platform>/<article>/<role>/<file>; pages are redrawn by the next run
            _, platform, article, role, name = rel.parts
            m = re.match(r"^(?P<article>.+)-(?P<seq>\d{2,})", name)
            photo_id = ids.get((article, int(m["seq"]))) if m and m["article"] == article else None
            width = height = None
            try:
                from PIL import Image

                with Image.open(file) as img:
                    width, height = img.size
            except Exception:  # not an image: still indexed, so it is not forgotten
                pass
            cat.record_output(path=rel.as_posix(), platform=platform, article=article, role=role,
                              photo_id=photo_id, fingerprint="", sha256=sha256_file(file), width=width,
                              height=height, nbytes=file.stat().st_size, quality=None, meta={"rebuilt": True})
            result.outputs += 1
        result.recovered = _restore_marks(cat, old)
    cat.close()
    return result


def _restore_marks(cat: Catalog, old: dict[str, list[tuple]]) -> dict:
    """Put what the damaged catalog still held back: kinds, capture times, analyses, sold-out, listings."""
    counts = {}
    counts["photos"] = cat.restore_photo_marks(old.get("photos", []))
    counts["soldout"] = cat.add_soldout_rows(old.get("soldout", []))
    counts["listings"] = cat.add_listing_rows(old.get("listings", []))
    # who did what: the history outlives the catalog (approvals then lapse: the rebuilt outputs' fingerprints differ)
    counts["activity"] = cat.append_activity_rows(old.get("activity", []))
    return counts


def describe(report: DoctorReport) -> list[str]:
    """One line per problem, in the user's language."""
    lines = []
    if report.catalog_error:
        lines.append(report.catalog_error if report.disk_full else t("doctor.catalog_bad", detail=report.catalog_error))
    lines.extend(report.folders)
    if report.unknown_originals:
        lines.append(t("doctor.unknown_originals", count=len(report.unknown_originals),
                       first=report.unknown_originals[0]))
    for p in report.missing_originals:
        lines.append(t("doctor.original_missing", path=p))
    for p in report.changed_originals:
        lines.append(t("doctor.original_changed", path=p))
    for p in report.missing_outputs:
        lines.append(t("doctor.output_missing", path=p))
    if report.temp_files:
        lines.append(t("doctor.temp_files", count=len(report.temp_files)))
    return lines
