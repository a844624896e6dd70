"""The hot folder: `imgpipe watch` runs the same core as `run`, whenever photos arrive.

The watcher only decides *when*; `pipeline.run` does the work.

    events (watchdog, or polling for SMB/NFS)  +  a rescan every few seconds
          │  wake the loop; nothing is read inside the event thread
          ▼
    every candidate in inbox/: (size, mtime) unchanged for `settle` seconds
    AND the file is complete (JPEG: header parses and the end marker is
    there; other formats and loose photos: a reduced decode)
          │  a batch starts when the inbox is quiet (nothing still changing),
          │  or when ready files have waited MAX_HOLD seconds for a busy inbox
          ▼
    slate grouping of loose photos ─► ingest ─► pipeline.run(articles=…)
          ▼
    photos that match no article ─► inbox/_unmatched/ + <name>.reason.txt,
    retried when the product sheet is saved again

Waiting for a quiet inbox means a burst is numbered in capture order as one
batch, and a copy that takes minutes is waited for rather than failed. A
file removed or renamed before its batch simply disappears from the
candidates. Stop (Ctrl-C / SIGTERM sets `stop_event`) takes effect after the
photo in hand: the pipeline's progress callback raises, the pipeline's
`finally` shuts its pool down, and everything written so far is recorded;
what is left is finished by the next start (the pipeline is idempotent).
"""

from __future__ import annotations

import logging
import re
import logging.handlers
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from PIL import Image

from imgpipe.decoders import is_photo_name, jpeg_truncated, unsupported_reason
from imgpipe.errors import ImgpipeError, shown_file
from imgpipe.fsutil import atomic_write_text
from imgpipe.imageio import load_photo
from imgpipe.ingest import SIDECAR_NAME, UNMATCHED, ingest, match_article, scan_inbox
from imgpipe.lock import WRITER, WorkspaceLock, ensure_no_run
from imgpipe.messages import t, t_in
from imgpipe.sheet import find_sheet
from imgpipe.workspace import Workspace

MAX_HOLD = 10.0  # seconds ready files may wait for a busy inbox to go quiet
TICK = 0.1  # seconds between looks while something is settling
RESCAN = 5.0  # seconds between safety rescans when idle (events can be lost, e.g. on shares)
RECHECK = 2.0  # seconds between checks of a settled file that is not complete yet
ERROR_RETRY = 5.0  # seconds before a failed batch is tried again; doubled after each failure in a row
ERROR_RETRY_MAX = 300.0  # seconds: the longest wait between tries while a failure lasts
REASON_SUFFIX = ".reason.txt"
_NAMED = re.compile(r"[_\- ]")  # "X9_front.jpg" seems to name an article (so may "IMG_0001"); "DSC0001" not

OnEvent = Callable[[str, dict], None]
log = logging.getLogger("imgpipe.watch")


class StopRequested(Exception):
    """Raised from the progress callback to stop the pipeline after the photo in hand."""


@dataclass
class _File:
    size: int
    mtime_ns: int
    stable_since: float  # time.monotonic() of the last change seen
    complete: bool | None = None  # the completeness check, for this (size, mtime)
    slate: str | None = None  # article text when the photo is a slate (loose photos only)
    noted: bool = False  # "settled but not decodable" was logged
    checked_at: float = 0.0


@dataclass
class WatchStats:
    batches: int = 0
    archived: int = 0
    written: int = 0
    unmatched: int = 0
    failed: int = 0
    seconds: list[float] = field(default_factory=list)


def file_complete(path: Path, *, loose: bool) -> tuple[bool, str | None]:
    """(complete, slate text) for a settled file.

    A JPEG is complete when its header parses and the end-of-image marker is
    there (a copy in progress, truncated or zero-filled by preallocation,
    lacks it); other formats are decoded at reduced size. Loose photos are
    decoded anyway, to look for a slate. ingest decodes every photo again
    before it gets a number, so this check only decides *when*.
    """
    if path.name == SIDECAR_NAME or unsupported_reason(path):
        return True, None  # ingest gives files imgpipe cannot read their reason
    try:
        if loose:
            from imgpipe.slate import read_slate

            return True, read_slate(path.read_bytes(), name=path)
        if path.suffix.lower() in (".jpg", ".jpeg"):
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 4096))
                tail = f.read()
            if size == 0 or jpeg_truncated(tail):
                return False, None
            with Image.open(path) as img:  # header: SOI, frame size
                img.size  # noqa: B018
            return True, None
        load_photo(path, min_long_side=64)
        return True, None
    except (OSError, ImgpipeError, ValueError, SyntaxError):
        return False, None


class Watcher:
    """One watch session over a workspace; see the module docstring. Use `watch()`."""

    def __init__(self, ws: Workspace, *, poll: bool, jobs: int | None, settle_seconds: float,
                 stop_event: threading.Event, on_event: OnEvent | None = None, backup: bool = True,
                 clock: Callable[[], float] = time.monotonic):
        self.clock = clock  # seconds, monotonic; a parameter so tests step through retries
        self.ws = ws
        self.inbox = ws.root / "inbox"
        self.poll = poll
        self.jobs = jobs
        self.settle = max(0.0, settle_seconds)
        self.stop_event = stop_event
        self.on_event = on_event or (lambda kind, data: None)
        self.backup = backup
        self.wake = threading.Event()
        self.files: dict[Path, _File] = {}
        self.attempted: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime) given to a batch
        self.full_run = True  # the first batch brings everything up to date, like `run`
        self.sheet_key: tuple | None = None
        self.sheet_changed_at: float | None = None
        self.retry_at: float | None = None
        self.failures = 0  # batches failed in a row (a full disk, an unreadable sheet, a read-only output)
        self.last_error: str | None = None
        self.stats = WatchStats()
        self.checker = ThreadPoolExecutor(max(2, min(8, os.cpu_count() or 2)), thread_name_prefix="imgpipe-check")

    # --- the loop ------------------------------------------------------------
    def run(self) -> WatchStats:
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event):  # runs in the observer thread: just wake the loop
                watcher.wake.set()

        self.inbox.mkdir(parents=True, exist_ok=True)
        interval = self.ws.settings.watch.poll_interval
        observer = PollingObserver(timeout=interval) if self.poll else Observer()
        observer.schedule(Wake(), str(self.inbox), recursive=True)
        try:
            observer.start()
        except OSError as exc:  # e.g. inotify watch limit reached: polling still works
            log.warning(f"{exc}; --poll")
            self.poll = True
            observer = PollingObserver(timeout=interval)
            observer.schedule(Wake(), str(self.inbox), recursive=True)
            observer.start()
        mode = t("watch.mode_poll", interval=interval) if self.poll else t("watch.mode_native")
        log.info(t("watch.started", inbox=self.inbox, mode=mode, settle=self.settle))
        self.sheet_key = self._sheet_key()
        try:
            self._refresh()
            if self.files:
                log.info(t("watch.catch_up"))
            last_scan, woke = self.clock(), False
            scan_every = interval if self.poll else RESCAN
            while not self.stop_event.is_set():
                active = self._active()
                if woke or active or self.clock() - last_scan >= scan_every:
                    self._refresh()
                    last_scan = self.clock()
                self._check_sheet()
                if self._due():
                    self._batch()
                    continue
                # short waits even when idle: a stop request is seen within half a second
                woke = self.wake.wait(TICK if self._active() else 0.5)
                self.wake.clear()
        except StopRequested:
            pass
        finally:
            observer.stop()
            self.checker.shutdown(wait=False, cancel_futures=True)
            try:
                observer.join(timeout=5)
            except RuntimeError:
                pass
            log.info(t("watch.stopped"))
        return self.stats

    def _active(self) -> bool:
        """Something is settling, unchecked or due: look again soon."""
        if self.sheet_changed_at is not None:
            return True
        if self.retry_at is not None:
            return False  # waiting out a failure: nothing to look at until the retry
        if self.full_run:
            return True
        now = self.clock()
        return any(now - f.stable_since < self.settle or f.complete is None
                   or (f.complete is False and now - f.checked_at >= RECHECK)
                   for p, f in self.files.items() if self.attempted.get(p) != (f.size, f.mtime_ns))

    # --- candidates ------------------------------------------------------------
    def _refresh(self) -> None:
        """Stat every candidate; check the ones that just settled."""
        now = self.clock()
        seen = set()
        for path in scan_inbox(self.inbox):
            try:
                st = path.stat()
            except OSError:  # removed or renamed meanwhile: dropped, no error
                continue
            seen.add(path)
            state = self.files.get(path)
            # no credit for an old mtime: copies keep the source's (Explorer, cp -p, shutil.copy2), so
            # "first seen" is the only sign a file just arrived, and the inbox is quiet only when
            # nothing has appeared or changed for `settle` seconds
            if state is None:
                self.files[path] = _File(st.st_size, st.st_mtime_ns, now)
            elif (state.size, state.mtime_ns) != (st.st_size, st.st_mtime_ns):
                self.files[path] = _File(st.st_size, st.st_mtime_ns, now)
        for gone in set(self.files) - seen:
            del self.files[gone]
        # a file that failed the check is checked again every RECHECK seconds: Windows may
        # preallocate a copy's full size and update its mtime only when the copy closes
        todo = [p for p, f in self.files.items()
                if now - f.stable_since >= self.settle and self.attempted.get(p) != (f.size, f.mtime_ns)
                and (f.complete is None or f.complete is False and now - f.checked_at >= RECHECK)]
        if not todo:
            return
        results = self.checker.map(lambda p: file_complete(p, loose=self._loose(p)), todo)
        for path, (ok, slate) in zip(todo, results):
            state = self.files.get(path)
            if state is None:
                continue
            state.complete, state.slate, state.checked_at = ok, slate, self.clock()
            if not ok and not state.noted and now - state.stable_since >= max(5.0, self.settle * 5):
                state.noted = True
                log.info(t("watch.undecodable", file=self._rel(path), seconds=round(now - state.stable_since)))

    def _loose(self, path: Path) -> bool:
        """A photo at the top of inbox/ (or of inbox/_unmatched/): a slate may name its article."""
        return path.parent in (self.inbox, self.inbox / UNMATCHED) and is_photo_name(path)

    def _ready(self) -> list[Path]:
        now = self.clock()
        return [p for p, f in self.files.items() if f.complete and now - f.stable_since >= self.settle]

    def _due(self) -> bool:
        now = self.clock()
        if self.sheet_changed_at is not None and now - self.sheet_changed_at >= self.settle:
            self.sheet_changed_at = None
            self.attempted.clear()
            self.retry_at = None  # a sheet saved again may be the fix: try it now
            log.info(t("watch.sheet_changed"))
        if self.retry_at is not None:
            if now < self.retry_at:
                return False
            self.retry_at = None
            self.attempted.clear()
        fresh = [p for p in self._ready() if self.attempted.get(p) != (self.files[p].size, self.files[p].mtime_ns)]
        if not fresh and not self.full_run:
            return False
        busy = [f for f in self.files.values() if now - f.stable_since < self.settle or f.complete is None]
        if not busy:
            return True
        oldest = min((now - self.files[p].stable_since for p in fresh), default=0.0)
        return oldest - self.settle >= MAX_HOLD

    # --- product sheet ---------------------------------------------------------
    def _sheet_key(self) -> tuple | None:
        path = find_sheet(self.ws.root)
        if path is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        return (path.name, st.st_size, st.st_mtime_ns)

    def _check_sheet(self) -> None:
        key = self._sheet_key()
        if key != self.sheet_key:
            self.sheet_key = key
            self.sheet_changed_at = self.clock()  # retried once it has settled (Excel saves in steps)

    # --- one batch ---------------------------------------------------------------
    def _batch(self) -> None:
        with WRITER:  # `serve --watch`: the page's jobs wait for the batch, and it for them
            self._batch_locked()

    def _batch_locked(self) -> None:
        from imgpipe.pipeline import run as run_pipeline
        from imgpipe.slate import group_photos

        started = time.perf_counter()
        ready = self._ready()
        keys = {p: (self.files[p].size, self.files[p].mtime_ns) for p in ready}
        full, self.full_run = self.full_run, False
        ws, cat = self.ws, self.ws.catalog
        summaries = []
        try:
            sheet = ws.sheet()
            products = sheet.products
            if not products and sheet.errors:  # unreadable (Excel mid-save, a share hiccup): not "no articles"
                raise sheet.errors[0]
            matched = {p: match_article(p, self.inbox, products)[0] for p in ready}
            loose = [p for p in ready if matched[p] is None and self._loose(p)]
            groups = None
            if loose:
                from imgpipe.imageio import capture_time

                previous = cat.slate_times()
                groups = group_photos({p: capture_time(p) for p in loose},
                                      {p: self.files[p].slate for p in loose}, products, previous)
                for slate in groups.slates:
                    article = groups.assign.get(slate) or groups.unknown.get(slate)
                    log.info(t("watch.slate", source=self._rel(slate), article=article))
            archived = []
            if groups and groups.assign:
                pre = ingest(ws.root, products, cat, max_megapixels=ws.settings.max_megapixels,
                             assign=groups.assign, slates=groups.slates)
                archived.extend(pre.archived)
            affected = {a for a in matched.values() if a} | {a.article for a in archived}
            todo = None if full else sorted(affected)
            covered = set(affected)
            while full or todo:
                summary = run_pipeline(ws, jobs=self.jobs, articles=todo, progress=self._progress,
                                       backup=self.backup, sheet=sheet)
                summaries.append(summary)
                archived.extend(summary.ingest.archived)
                if todo is None:  # articles=None renders every article, including what it just archived
                    break
                # the pipeline's own ingest also took photos that arrived meanwhile: render those too
                todo = sorted({a.article for a in summary.ingest.archived} - covered)
                covered |= set(todo)
            self._report(archived, summaries, products)
            self._unmatched(ready, products, groups)
            self._recovered()
        except StopRequested:
            raise
        except Exception as exc:  # a bad sheet, a locked catalog, a full disk: say so and retry later
            self._failed(exc)
        for path, key in keys.items():
            self.attempted[path] = key
        seconds = time.perf_counter() - started
        self.stats.batches += 1
        self.stats.seconds.append(seconds)
        self.on_event("batch", {"ready": len(ready), "seconds": seconds, "stats": self.stats,
                                "pipeline_seconds": sum(s.seconds for s in summaries)})

    def _failed(self, exc: Exception) -> None:
        """A batch failed as a whole: said once per distinct cause, tried again with a growing wait.

        The retry is a full run, as at start: what the failed batch left undone (outputs of
        photos archived before, not only new files in the inbox) is made once the cause is gone.
        """
        from imgpipe.errors import global_failure

        known = global_failure(exc) or (exc if isinstance(exc, ImgpipeError) else None)
        detail = str(known) if known else f"{type(exc).__name__}: {exc}"
        cause = str(known.message) if known else detail  # a full disk is one cause whichever file hit it
        self.failures += 1
        wait = min(ERROR_RETRY_MAX, ERROR_RETRY * 2 ** (self.failures - 1))
        self.retry_at = self.clock() + wait
        self.full_run = True
        if cause != self.last_error:
            log.error(t("watch.batch_error", detail=detail) + " " + t("watch.retry_in", seconds=round(wait)))
            self.on_event("error", {"detail": str(exc)})
        self.last_error = cause

    def _recovered(self) -> None:
        if self.failures:
            log.info(t("watch.recovered", failures=self.failures))
            self.on_event("recovered", {"failures": self.failures})
        self.failures, self.last_error = 0, None

    def _progress(self, stage: str, done: int, total: int) -> None:
        if self.stop_event.is_set():
            raise StopRequested()

    def _report(self, archived, summaries, products) -> None:
        written = [w for s in summaries for w in s.written]
        for a in archived:
            prefix = f"{a.article}-{a.seq:02d}"
            count = sum(1 for w in written if f"/{a.article}/" in w and Path(w).name.startswith(prefix))
            log.info(t("watch.photo", original=self._rel(a.dest), source=a.source.name, outputs=count))
            self.on_event("photo", {"article": a.article, "seq": a.seq, "source": str(a.source),
                                    "original": str(a.dest), "kind": a.kind, "outputs": count})
        for s in summaries:
            for err in s.failed:
                log.warning(t("watch.failed", detail=f"{shown_file(err)}: {err.get('message')}"))
            for p in s.ingest.pending:
                # known article, but the file itself is the problem; or a file imgpipe does not read at all
                if p.article in products or unsupported_reason(p.path):
                    log.warning(t("watch.pending", file=self._rel(p.path), reason=p.reason))
                    _write_reason(p.path, p.reason + (f"\n{p.fix}" if p.fix else "") + "\n")
        self.stats.archived += len(archived)
        self.stats.written += len(written)
        self.stats.failed += sum(len(s.failed) for s in summaries)
        if summaries or archived:
            log.info(t("watch.batch", photos=len(archived), written=len(written),
                       seconds=round(sum(s.seconds for s in summaries), 2)))

    def _unmatched(self, ready: list[Path], products, groups) -> None:
        """Move photos that match no article to inbox/_unmatched/, each with a reason file."""
        target_root = self.inbox / UNMATCHED
        for path in ready:
            if not path.exists() or path.name == SIDECAR_NAME or unsupported_reason(path):
                continue  # a video or a document: its reason note says so where it lies
            article, guess = match_article(path, self.inbox, products)
            if article is not None or (groups and path in groups.assign):
                continue
            if groups and path in groups.unknown:
                key, fields = "watch.slate_unknown", {"article": groups.unknown[path]}
            elif guess and not self._loose(path):
                key, fields = "ingest.unknown_article", {"article": guess}
            elif guess and _NAMED.search(path.stem):
                key, fields = "watch.no_slate_guess", {"article": guess}
            else:
                key, fields = "watch.no_slate", {}
            rel = path.relative_to(self.inbox)
            if rel.parts[0] == UNMATCHED:
                dest = path
            else:  # keep the folder: inbox/X9/a.jpg -> _unmatched/X9/a.jpg still names X9 later
                dest = _free_name(target_root / rel)
                try:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(path, dest)
                except OSError:  # locked (Windows) or gone: next batch
                    continue
                st = dest.stat()
                self.files.pop(path, None)
                self.attempted[dest] = (st.st_size, st.st_mtime_ns)
                self.stats.unmatched += 1
                log.info(t("watch.unmatched", file=rel.as_posix(), reason=t(key, **fields)))
                self.on_event("unmatched", {"file": str(dest)})
            reason = "\n".join(t_in(lang, key, **fields) + "\n" + t_in(lang, "watch.unmatched_reason",
                                                                     reason=t_in(lang, key, **fields))
                               for lang in ("zh", "en")) + "\n"
            _write_reason(dest, reason)
        self._clean_reasons(self.inbox)

    def _clean_reasons(self, folder: Path) -> None:
        """Reason files whose photo has been archived go too."""
        if not folder.is_dir():
            return
        for note in folder.rglob("*" + REASON_SUFFIX):
            if not note.with_name(note.name[: -len(REASON_SUFFIX)]).exists():
                note.unlink(missing_ok=True)

    def _rel(self, path: Path) -> str:
        try:
            return Path(path).relative_to(self.ws.root).as_posix()
        except ValueError:
            return str(path)


def _write_reason(path: Path, reason: str) -> None:
    """`<file>.reason.txt` beside a file left in the inbox, saying why (rewritten only when it changes)."""
    note = path.with_name(path.name + REASON_SUFFIX)
    try:
        if path.exists() and (not note.exists() or note.read_text(encoding="utf-8") != reason):
            atomic_write_text(note, reason)
    except OSError:
        pass


def _free_name(path: Path) -> Path:
    """`path`, or `name (2).ext`, `name (3).ext`… when it is taken."""
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
        n += 1
    return candidate


def setup_logging(ws: Workspace, stream=None) -> list[logging.Handler]:
    """A log line per photo on stderr and in `.imgpipe/watch.log` (rotated at 1 MB, 3 kept)."""
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    (ws.root / ".imgpipe").mkdir(exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(ws.root / ".imgpipe" / "watch.log", maxBytes=1 << 20,
                                                        backupCount=3, encoding="utf-8")
    stream_handler = logging.StreamHandler(stream)
    handlers = [file_handler, stream_handler]
    for h in handlers:
        h.setFormatter(fmt)
        log.addHandler(h)
    log.setLevel(logging.INFO)
    log.propagate = False
    return handlers


def watch(ws: Workspace, *, poll: bool = False, jobs: int | None = None, settle_seconds: float | None = None,
          stop_event: threading.Event, on_event: OnEvent | None = None, backup: bool = True,
          log_stream=None) -> WatchStats:
    """Watch `ws`'s inbox until `stop_event` is set; returns what was done.

    Holds `.imgpipe/watch.lock` throughout: raises ImgpipeError (naming the
    PID) when another watcher runs on this workspace. settle_seconds: how
    long a file must stay unchanged (default from imgpipe.toml [watch]).
    """
    settle = ws.settings.watch.settle_seconds if settle_seconds is None else settle_seconds
    with WorkspaceLock(ws.root, "watch"):
        ensure_no_run(ws.root)  # after taking ours: a run starting now sees the watcher and stops
        handlers = setup_logging(ws, log_stream)
        try:
            return Watcher(ws, poll=poll, jobs=jobs, settle_seconds=settle, stop_event=stop_event,
                           on_event=on_event, backup=backup).run()
        finally:
            for h in handlers:
                log.removeHandler(h)
                h.close()
