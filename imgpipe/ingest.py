"""Inbox -> originals (R9): group photos by article, number them, archive them.

A photo is matched to an article by its folder (`inbox/A1023/x.jpg`) or its
name (`A1023_x.jpg`, `A1023-x.jpg`, `A1023 x.jpg`). New photos of an article
are numbered in capture order (EXIF DateTimeOriginal, then file name) after
the numbers it already has, copied to `originals/<category>/<article>/
<article>-NN.<ext>`, verified byte-identical by hash, recorded in the catalog,
and only then removed from the inbox. Each step is safe to repeat, so a run
killed at any point is finished by running again.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection

from imgpipe.catalog import Catalog
from imgpipe.colour import detect_reference, is_reference_name
from imgpipe.fsutil import atomic_write_bytes, is_within, sha256_bytes, sha256_file
from imgpipe.decoders import unsupported_reason
from imgpipe.errors import global_failure, item_error
from imgpipe.imageio import capture_time, load_photo, unusable_size
from imgpipe.messages import t
from imgpipe.proxies import LONG_SIDE, make_proxy, save_proxy
from imgpipe.sheet import Product, normalise_article

SIDECAR_NAME = "article.toml"
UNMATCHED = "_unmatched"
_NATURAL = re.compile(r"(\d+)")
_UNSAFE_FOLDER = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
MAX_FOLDER_BYTES = 200  # UTF-8 bytes of one folder name: 255 is the limit of most file systems, leave room
# files the system or imgpipe itself leaves in folders: never photos, never reported
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", "icon\r"}
REASON_SUFFIX = ".reason.txt"


@dataclass
class Pending:
    """A file left in the inbox, and why."""

    path: Path
    reason: str
    fix: str = ""
    article: str = ""


@dataclass
class Archived:
    article: str
    seq: int
    source: Path
    dest: Path
    kind: str


@dataclass
class IngestResult:
    archived: list[Archived] = field(default_factory=list)
    duplicates: list[Pending] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # archived, with something said (a broken ICC profile)


def _free_seq(folder: Path, article: str, seq: int, ext: str, sha: str) -> int:
    """The first number from `seq` on that no file in `folder` uses, whatever its extension.

    A run killed after copying but before cataloguing left `<article>-NN.<ext>`:
    that number is reused only by the very same bytes.
    """
    while True:
        taken = list(folder.glob(f"{article}-{seq:02d}.*")) if folder.is_dir() else []
        if not taken or (taken == [folder / f"{article}-{seq:02d}{ext}"] and sha256_file(taken[0]) == sha):
            return seq
        seq += 1


def _map(fn, items, *args):
    return [fn(item, *args) for item in items]


def natural_key(name: str):
    """"IMG_2.jpg" before "IMG_10.jpg"."""
    return [int(p) if p.isdigit() else p.lower() for p in _NATURAL.split(name)]


def category_folder(category: str) -> str:
    """A category name made safe as one folder name on every OS.

    Names longer than MAX_FOLDER_BYTES (UTF-8) are cut at a character
    boundary and given a stable suffix (8 hex digits of the full name's
    SHA-256), so two long categories sharing a beginning stay apart.
    """
    name = _UNSAFE_FOLDER.sub("_", unicodedata.normalize("NFC", category)).strip(" .") or "_"
    name = "_" + name if name in (".", "..") else name
    return limit_bytes(name, MAX_FOLDER_BYTES)


def limit_bytes(name: str, limit: int) -> str:
    """`name`, or its start plus "~" and a stable hash when its UTF-8 form is over `limit` bytes."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = "~" + sha256_bytes(name.encode("utf-8"))[:8]
    room = limit - len(suffix)
    cut = name.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return cut + suffix


def match_article(path: Path, inbox: Path, products: dict[str, Product]) -> tuple[str | None, str]:
    """(article in the sheet or None, the article the file seems to name)."""
    by_fold = {a.casefold(): a for a in products}
    rel_parts = path.relative_to(inbox).parts
    folders = [p for p in rel_parts[:-1] if p != UNMATCHED]
    for folder in folders:
        key = normalise_article(folder).casefold()
        if key in by_fold:
            return by_fold[key], by_fold[key]
    stem = normalise_article(path.stem)
    folded = stem.casefold()
    # longest article first, so "A10-2" is not taken for "A10"
    for key in sorted(by_fold, key=len, reverse=True):
        if folded == key or (folded.startswith(key) and folded[len(key)] in "_- "):
            return by_fold[key], by_fold[key]
    guess = normalise_article(folders[0]) if folders else re.split(r"[_\- ]", stem, maxsplit=1)[0]
    return None, guess


def _system_file(path: Path) -> bool:
    name = path.name.lower()
    return name in _SYSTEM_FILES or name.endswith(REASON_SUFFIX) or name.startswith("~$")


def scan_inbox(inbox: Path, skipped: list | None = None) -> list[Path]:
    """Every file under `inbox/` imgpipe must give an outcome: photos, sidecars and files it cannot read.

    Hidden files (".x.jpg", macOS "._x.jpg") and system files (Thumbs.db,
    reason notes) are left alone. Links that lead out of the inbox and hidden
    folders at the top of the inbox (".A1023/") are not followed; they are
    added to `skipped` as Pending, so the user hears why.
    """
    found = []
    if not inbox.is_dir():
        return found
    for path in sorted(inbox.rglob("*")):
        rel = path.relative_to(inbox)
        if rel.parts[0].startswith(".") and len(rel.parts) == 2 and not rel.parts[1].startswith("."):
            if skipped is not None and path.is_file():
                skipped.append(Pending(path, t("ingest.hidden_folder", folder=rel.parts[0]),
                                       t("ingest.hidden_folder.fix", name=rel.parts[0].lstrip("."))))
            continue
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() and not is_within(path, inbox):
            if skipped is not None:
                skipped.append(Pending(path, t("ingest.link_outside"), t("ingest.link_outside.fix")))
            continue
        if path.is_file() and not _system_file(path):
            found.append(path)
    return found


def inspect_photo(item: tuple[Path, str], max_megapixels: float,
                  root: Path | None = None) -> tuple[dict | None, bool, list[str]]:
    """(error or None, shows a colour chart, warnings) of `item` (path, sha256): the check every
    photo passes before it gets a number.

    A reduced decode (JPEG DCT scaling) is cheap and catches empty, truncated
    and non-image files; the same pixels are searched for a colour chart and,
    with `root`, kept as the photo's analysis proxy (proxies.py): a new photo
    is not decoded again for its analysis. Runs in worker processes: it
    writes nothing else.
    """
    path, sha = item
    try:
        photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=LONG_SIDE)
        small = unusable_size(*photo.full_size)
        if small:
            return {"message": small, "fix": t("image.too_small.fix")}, False, []
        proxy = make_proxy(photo.rgb)
        if root is not None:
            save_proxy(root, sha, proxy, photo.full_size)
        return None, detect_reference(proxy, grey_card=False) == "chart", photo.notes
    except Exception as exc:  # noqa: BLE001 - the item boundary: one file's problem is that file's
        err = item_error(exc, path, "check")
        return {"message": err.message, "fix": err.fix or ""}, False, []


def ingest(root: Path, products: dict[str, Product], catalog: Catalog, *, dry_run: bool = False,
           max_megapixels: float = 150.0, assign: dict[Path, str] | None = None,
           slates: Collection[Path] = (), map_fn=None) -> IngestResult:
    """Archive every matchable photo in `root/inbox`; see the module docstring.

    A file that does not decode (empty, truncated, not an image, over the
    pixel limit) stays in the inbox with the reason: it gets no number.
    `assign` (photo path -> article in `products`, from slate grouping) is
    consulted before name matching; photos in `slates` are archived with
    kind "slate" (kept, never published). `map_fn(fn, items, *args)` runs the
    per-photo checks (an executor's map: in parallel); numbering, copying and
    the catalog stay in this process, in order.
    """
    inbox = root / "inbox"
    result = IngestResult()
    groups: dict[str, list[Path]] = {}
    sidecars: dict[str, Path] = {}
    assign = {p: a for p, a in (assign or {}).items() if a in products}
    for path in scan_inbox(inbox, result.pending):
        if path.name != SIDECAR_NAME:
            unsupported = unsupported_reason(path)
            if unsupported:
                article = assign.get(path) or match_article(path, inbox, products)[0] or ""
                result.pending.append(Pending(path, unsupported[0], unsupported[1], article))
                continue
        article, guess = (assign[path], "") if path in assign else match_article(path, inbox, products)
        if article is None:
            if guess:
                result.pending.append(Pending(path, t("ingest.unknown_article", article=guess),
                                              t("ingest.unknown_article.fix"), guess))
            else:
                result.pending.append(Pending(path, t("ingest.no_article"), t("ingest.no_article.fix")))
            continue
        if path.name == SIDECAR_NAME:
            sidecars[article] = path
        else:
            groups.setdefault(article, []).append(path)

    # 1. read and hash in order; 2. check the new ones (in parallel); 3. number and archive in order
    batches = []
    for article, paths in groups.items():
        timed = [(_capture_time(p), p) for p in paths]
        timed.sort(key=lambda tp: (tp[0] is None, tp[0] or "", natural_key(tp[1].name)))
        batches.append((article, timed))
    fresh: dict[Path, tuple[str, str | None]] = {}  # path -> (sha, capture time)
    seen: dict[str, Path] = {}
    for article, timed in batches:
        for captured, path in timed:
            try:
                sha = sha256_file(path)
            except OSError as exc:  # vanished or locked while we looked
                err = item_error(exc, path, "check")
                result.pending.append(Pending(path, err.message, err.fix or "", article))
                continue
            known = catalog.photo_by_hash(article, sha)
            if known or (article, sha) in seen:
                existing = known.original if known else str(seen[(article, sha)])
                result.duplicates.append(Pending(path, t("ingest.duplicate", existing=existing), article=article))
                if not dry_run and known:
                    path.unlink(missing_ok=True)  # byte-identical copy is archived and catalogued
                continue
            seen[(article, sha)] = path
            fresh[path] = (sha, captured)
    items = [(path, sha) for path, (sha, _captured) in fresh.items()]
    checks = dict(zip(fresh, (map_fn or _map)(inspect_photo, items, max_megapixels, None if dry_run else root)))

    for article, timed in batches:
        product = products[article]
        folder = root / "originals" / category_folder(product.category) / article
        next_seq = catalog.next_seq(article)
        for _captured, path in timed:
            if path not in fresh:
                continue
            sha, captured = fresh[path]
            error, chart, *notes = checks[path]  # a worker that died gives no warnings
            result.warnings.extend({"file": str(path), "row": None, "field": None, "message": note, "fix": None}
                                   for note in (notes[0] if notes else []))
            if error:
                result.pending.append(Pending(path, error["message"], error["fix"], article))
                continue
            kind = "slate" if path in slates else "reference" if is_reference_name(path.name) or chart else "photo"
            try:
                next_seq = _archive(root, catalog, result, article, folder, next_seq, path, sha, captured, kind,
                                    dry_run)
            except Exception as exc:  # noqa: BLE001 - the item boundary; a full disk stops the run
                fatal = global_failure(exc, folder)
                if fatal:
                    raise fatal from None
                err = item_error(exc, path, "archive")
                result.pending.append(Pending(path, err.message, err.fix or "", article))

    for article, path in sidecars.items():
        dest = root / "originals" / category_folder(products[article].category) / article / SIDECAR_NAME
        if not dry_run:
            try:
                atomic_write_bytes(dest, path.read_bytes())
                path.unlink()
            except OSError as exc:  # locked or vanished: it stays, the next run takes it
                fatal = global_failure(exc, dest)
                if fatal:
                    raise fatal from None
                err = item_error(exc, path, "archive")
                result.pending.append(Pending(path, err.message, err.fix or "", article))
    # inbox folders are left in place, empty or not: a designer may be copying into one right now
    return result


def _capture_time(path: Path) -> str | None:
    try:
        return capture_time(path)
    except Exception:  # noqa: BLE001 - a capture time is a nicety; the photo still gets a number
        return None


def _archive(root: Path, catalog: Catalog, result: IngestResult, article: str, folder: Path, next_seq: int,
             path: Path, sha: str, captured: str | None, kind: str, dry_run: bool) -> int:
    """Copy one checked photo to `folder` under its number, record it, remove it from the inbox.

    Returns the next free number. Failures of this one file raise; the caller
    records them against it.
    """
    ext = path.suffix.lower().replace(".jpeg", ".jpg")
    seq = _free_seq(folder, article, next_seq, ext, sha)
    dest = folder / f"{article}-{seq:02d}{ext}"
    if dry_run:
        result.archived.append(Archived(article, seq, path, dest, kind))
        return seq + 1
    data = path.read_bytes()
    if sha256_bytes(data) != sha:  # changed since it was checked: the next run takes it
        result.pending.append(Pending(path, t("ingest.changed"), article=article))
        return next_seq
    if not dest.exists():
        atomic_write_bytes(dest, data)
    if sha256_file(dest) != sha:
        result.pending.append(Pending(path, t("ingest.copy_mismatch"), article=article))
        return seq + 1
    catalog.add_photo(article=article, seq=seq, ext=ext, sha256=sha, original=dest.relative_to(root).as_posix(),
                      source_name=path.name, captured_at=captured, kind=kind)
    result.archived.append(Archived(article, seq, path, dest, kind))
    try:
        path.unlink()
    except OSError:  # held open (Windows: Explorer, antivirus); archived, so the next run drops it
        pass
    return seq + 1


def left_in_inbox(root: Path, products: dict[str, Product], catalog: Catalog,
                  max_megapixels: float = 150.0) -> dict[str, list[Pending]]:
    """What a run would leave in the inbox, with its reason, by article ("" for files of no article).

    A dry run of `ingest`: nothing is written, moved or numbered. The
    validation report lists these, so a file that never became a photo is
    seen where the listing is checked.
    """
    result = ingest(root, products, catalog, dry_run=True, max_megapixels=max_megapixels)
    left: dict[str, list[Pending]] = {}
    for p in result.pending:
        left.setdefault(p.article if p.article in products else "", []).append(p)
    return left
