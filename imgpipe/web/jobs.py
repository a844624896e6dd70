"""Work the page asks for, done one job at a time in a background thread, with events for the page.

Every job calls the core exactly as the CLI does (`pipeline.run` under the
run lock, refused while a watcher holds the workspace; `soldout.mark`,
which takes the lock itself), on its own Workspace (SQLite connections
belong to one thread). Events (dicts) go to every listener queue: the
server-sent-events route streams them to the pages.
"""

from __future__ import annotations

import itertools
import queue
import threading
import traceback
from pathlib import Path
from typing import Callable

from imgpipe.errors import ImgpipeError
from imgpipe.lock import WRITER
from imgpipe.messages import t


class Jobs:
    def __init__(self, root: Path, jobs: int | None = None):
        self.root = Path(root)
        self.jobs = jobs
        self._queue: queue.Queue = queue.Queue()
        self._listeners: list[queue.Queue] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.checks: dict[str, list[dict]] = {}   # article -> validation results after its last job
        self.last: dict[str, dict] = {}           # article -> last finished job's event
        self._thread = threading.Thread(target=self._work, name="imgpipe-web-jobs", daemon=True)
        self._thread.start()

    # --- events -----------------------------------------------------------
    def listen(self) -> queue.Queue:
        q: queue.Queue = queue.Queue(maxsize=1000)
        with self._lock:
            self._listeners.append(q)
        return q

    def unlisten(self, q: queue.Queue) -> None:
        with self._lock:
            if q in self._listeners:
                self._listeners.remove(q)

    def publish(self, event: dict) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for q in listeners:
            try:
                q.put_nowait(event)
            except queue.Full:  # a page that stopped reading: it reloads anyway
                pass

    # --- jobs ---------------------------------------------------------------
    def submit(self, kind: str, article: str | None, work: Callable) -> int:
        """Queue `work(ws, progress) -> dict` as job `kind` for `article`; returns the job id."""
        job_id = next(self._ids)
        self._queue.put((job_id, kind, article, work))
        self.publish({"type": "queued", "job": job_id, "kind": kind, "article": article})
        return job_id

    def idle(self) -> bool:
        return self._queue.unfinished_tasks == 0

    def wait(self, timeout: float = 120.0) -> bool:
        """Block until every queued job is done (tests, shutdown); False on timeout."""
        done = threading.Event()
        self.submit("barrier", None, lambda ws, progress: done.set() or {})
        return done.wait(timeout)

    def _work(self) -> None:
        from imgpipe.workspace import Workspace

        while True:
            job_id, kind, article, work = self._queue.get()
            base = {"job": job_id, "kind": kind, "article": article}
            try:
                if kind == "barrier":
                    work(None, None)
                    continue
                self.publish(dict(base, type="started"))
                ws = Workspace.open(self.root)
                try:
                    def progress(stage: str, done: int, total: int) -> None:
                        self.publish(dict(base, type="progress", stage=stage, done=done, total=total))

                    with WRITER:  # `serve --watch`: never while the watcher's batch writes
                        result = work(ws, progress) or {}
                finally:
                    ws.catalog.close()
                event = dict(base, type="done", ok=not result.get("failed"), **result)
            except ImgpipeError as err:  # the lock is held, a watcher runs, bad input: said on the page
                event = dict(base, type="error", message=str(err), fix=err.fix or "")
            except Exception as exc:  # never a traceback on the page; the server log keeps it
                traceback.print_exc()
                event = dict(base, type="error", message=t("web.job_crashed", detail=type(exc).__name__), fix="")
            finally:
                self._queue.task_done()
            if article:
                self.last[article] = event
            self.publish(event)


def render_article(jobs: int | None, article: str | None, before: Callable | None = None):
    """Work: `pipeline.run` for one article (None: the whole inbox and catalog), as `imgpipe run` does it.

    before(ws): a change made first, under the same run lock (a sidecar edit), so that it lands in
    queue order and never while another writer works on the workspace.
    """

    def work(ws, progress) -> dict:
        from imgpipe.lock import ensure_no_watcher, run_lock
        from imgpipe.pipeline import run

        with run_lock(ws.root):
            ensure_no_watcher(ws.root)
            if before:
                before(ws)
            summary = run(ws, articles=[article] if article else None, jobs=jobs, progress=progress)
        return {"written": len(summary.written), "paths": summary.written, "failed": summary.failed,
                "archived": len(summary.ingest.archived),
                "pending": [{"file": str(p.path.name), "reason": p.reason} for p in summary.ingest.pending]}

    return work
