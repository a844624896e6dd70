"""Workbench fixes are on disk before the page says "saved".

A fix (checked first, so a bad one is refused at once) is written to
`.imgpipe/queued-fixes/<n>.json` (durably, numbered in the order clicked) and only then
acknowledged. It reaches the sidecar (article.toml) in a render job under the run lock, which
deletes the queue file once the sidecar is saved. While a CLI `run` holds the workspace the page
says "saved, applies after the current run" and the queue waits; `FixQueue` tries again every
RETRY seconds, and at the next server start for fixes left by a stopped server.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

QUEUE = Path(".imgpipe") / "queued-fixes"
RETRY = 2.0   # seconds between looks at the run lock while fixes wait
log = logging.getLogger("imgpipe.web")


def queue_fix(root: Path, article: str, data: dict) -> Path:
    """Write the fix `data` for `article` as the next queue file; returns it once it is on disk.

    Written and fsynced under a private name, then hard-linked to the next free number: a
    link never replaces a file, so two fixes clicked at once both keep their place.
    """
    folder = Path(root) / QUEUE
    folder.mkdir(parents=True, exist_ok=True)
    staged = folder / f".{os.getpid()}-{threading.get_ident()}.part"
    with staged.open("w", encoding="utf-8") as f:
        json.dump({"article": article, "fix": data}, f, ensure_ascii=False)
        f.flush()
        os.fsync(f.fileno())
    try:
        n = max((int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()), default=0) + 1
        while True:
            dest = folder / f"{n:08d}.json"
            try:
                _link_or_copy(staged, dest)
                break
            except FileExistsError:
                n += 1
    finally:
        staged.unlink(missing_ok=True)
    _sync_folder(folder)
    return dest


def _link_or_copy(staged: Path, dest: Path) -> None:
    """`staged` under the name `dest`, never over a file (FileExistsError): a hard link, or where the
    file system has none (FAT, some shares) an exclusive create written and fsynced in place."""
    try:
        os.link(staged, dest)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    fd = os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(staged.read_bytes())
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    """The new name itself survives a power cut (POSIX; Windows has no directory fsync)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def queued(root: Path, article: str | None = None) -> list[tuple[Path, dict]]:
    """The waiting fixes (for `article`, or all), oldest first, as (file, {"article", "fix"})."""
    out = []
    for path in sorted((Path(root) / QUEUE).glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # removed meanwhile, or not ours
        if isinstance(record, dict) and (article is None or record.get("article") == article):
            out.append((path, record))
    return out


def with_queued(ws, product, sidecar, photos, apply_fix):
    """`sidecar` with the article's waiting fixes applied in order by `apply_fix` (what the page should show)."""
    for _, record in queued(ws.root, product.article):
        with contextlib.suppress(ImgpipeError):
            sidecar = apply_fix(sidecar, product, photos, record["fix"])
    return sidecar


def apply_queued(ws, article: str, apply_fix) -> int:
    """Apply `article`'s waiting fixes to its sidecar, oldest first; the caller holds the run lock.

    Each queue file is deleted only after the sidecar with its fix is saved. A fix that no longer
    fits (its photo was removed meanwhile) is set aside as `<n>.json.refused` and logged.
    Returns how many were applied.
    """
    from imgpipe.sidecar import load_sidecar, save_sidecar, sidecar_path

    waiting = queued(ws.root, article)
    if not waiting:
        return 0
    product = ws.sheet().products.get(article)
    applied = 0
    for path, record in waiting:
        try:
            if product is None:
                raise ImgpipeError(t("status.unknown_article", article=article))
            target = sidecar_path(ws.root, product)
            save_sidecar(target, apply_fix(load_sidecar(target), product, ws.catalog.photos(article), record["fix"]))
            applied += 1
            path.unlink(missing_ok=True)
        except ImgpipeError as err:
            log.warning("%s: %s", path.name, err)
            os.replace(path, path.with_name(path.name + ".refused"))
    return applied


def run_busy(root: Path) -> bool:
    """True while another process (a CLI `run`) holds the workspace's run lock."""
    from imgpipe.lock import live_owner

    path = Path(root) / ".imgpipe" / "run.lock"
    return path.exists() and live_owner(path) is not None


class FixQueue:
    """Submits render jobs that apply waiting fixes; looks again every RETRY s while the run lock is held.

    apply_fix(sidecar, product, photos, data) -> Sidecar and render(article, before) -> job work
    are the workbench's own (app.py), passed in so this module does not import the routes.
    """

    def __init__(self, state, apply_fix, render):
        self.state = state
        self.apply_fix = apply_fix
        self.render = render
        self.submitted: set[str] = set()   # articles with a job queued that will apply their fixes
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, article: str) -> int:
        """A render job for `article` that first applies its waiting fixes (under the run lock)."""
        work = self.render(article, lambda ws: apply_queued(ws, article, self.apply_fix))

        def job(ws, progress):
            try:
                return work(ws, progress)
            except ImgpipeError:
                if queued(ws.root, article):  # a run took the lock first: the fix waits on disk
                    self.poke()
                    return {"queued": True, "message": t("web.fix_queued")}
                raise
            finally:
                with self._lock:
                    self.submitted.discard(article)

        with self._lock:
            self.submitted.add(article)
        return self.state.runner.submit("render", article, job)

    def poke(self) -> None:
        """Make sure waiting fixes are looked after (starts the retry thread when none runs)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._retry, name="imgpipe-queued-fixes", daemon=True)
            self._thread.start()

    def drain_once(self) -> bool:
        """Submit a job for each article with waiting fixes when the run lock is free; True when none wait."""
        root = self.state.root
        articles = {r["article"] for _, r in queued(root)}
        if not articles:
            return True
        if run_busy(root) or self.state.watching:
            return False
        for article in sorted(articles - self.submitted):
            self.submit(article)
        return False

    def _retry(self) -> None:
        while True:
            try:
                if self.drain_once():
                    return
            except Exception:  # noqa: BLE001 - a vanished workspace: stop looking, the fixes stay on disk
                log.exception("queued fixes")
                return
            if self.state.closing.wait(RETRY):
                return
