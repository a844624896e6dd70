"""Where per-photo tasks run: inline, a local process pool, or a Dask cluster.

`LocalExecutor` runs tasks inline or in a local process pool. A
`DaskExecutor` has the same `map(fn, items, *args)` / `close()` interface and
sends each task to a `dask.distributed` scheduler. Workers must see the
workspace at the same path (a shared mount): they read originals and write
output files atomically, exactly as local workers do. Results come back to
the coordinator, which alone writes the catalog (SQLite is never opened on a
worker).

Dask is imported only when a DaskExecutor is made, so the default local
pool never pays for it (or needs it installed).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Iterable

from imgpipe.errors import ConfigError
from imgpipe.messages import get_language, set_language, t
from imgpipe.render import worker_init


class LocalExecutor:
    """Runs task functions inline (jobs=1) or in a local process pool, results in order.

    language: the interface language every task runs in (messages made in a
    worker); default the caller's. Passed with each task: a worker process
    starts fresh and knows nothing of the coordinator's settings.
    """

    def __init__(self, jobs: int, language: str | None = None):
        self.jobs = max(1, jobs)
        self.language = language or get_language()
        self._pool: ProcessPoolExecutor | None = None

    def map(self, fn, items: list, *args, crashed=None) -> Iterable:
        """fn(item, *args) for each item, results in the order of `items`.

        crashed(item, exc) -> result stands in for an item whose worker process
        died (killed for memory, a crash in a C library): the pool is made
        anew and the other items go on. An item is blamed only when it also
        kills a worker running alone. Without `crashed` the error is raised.
        """
        if self.jobs == 1 or len(items) <= 1:
            worker_init()
            for item in items:
                yield _in_language(self.language, fn, item, *args)
            return
        pending = list(items)
        while pending:
            futures = [self._get_pool().submit(_in_language, self.language, fn, item, *args) for item in pending]
            for index, (item, fut) in enumerate(zip(pending, futures)):
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    self._reset_pool()
                    if crashed is None:
                        raise
                    yield self._alone(fn, item, args, crashed)
                    pending = pending[index + 1:]
                    break
                yield result
            else:
                pending = []

    def _alone(self, fn, item, args, crashed):
        try:
            return self._get_pool().submit(_in_language, self.language, fn, item, *args).result()
        except BrokenProcessPool as exc:
            self._reset_pool()
            return crashed(item, exc)

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=_worker_context(), initializer=_pool_worker_init,
                                             initargs=(os.getpid(),))
        return self._pool

    def _reset_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def _worker_context():
    """Fresh worker processes, never forks of this one.

    A fork copies this process's locks but not its threads: once OpenCV's or
    BLAS's thread pools have run here, a forked worker can wait forever on
    them. The fork server is a clean single-threaded process (POSIX); Windows
    only has spawn, which the tasks are written for anyway (all picklable).
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["imgpipe.render", "imgpipe.ingest", "imgpipe.pages"])
        return ctx
    return multiprocessing.get_context("spawn")


COORDINATOR_CHECK = 1.0  # seconds between a worker's looks at its coordinator


def _pool_worker_init(coordinator: int | None = None) -> None:
    """Ctrl-C is for the coordinator: it finishes the photo in hand, workers finish theirs.

    A worker ends itself within COORDINATOR_CHECK seconds of its coordinator's
    death (`kill -9`, a crash): workers are children of the fork server, not of
    the coordinator, so nothing else would stop them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker_init()
    if coordinator:
        threading.Thread(target=_follow, args=(coordinator,), daemon=True, name="imgpipe-coordinator").start()


def _follow(coordinator: int) -> None:
    """End this worker once the coordinator is gone (or a zombie, or its PID reused)."""
    import psutil

    try:
        process = psutil.Process(coordinator)
    except psutil.Error:
        os._exit(1)
    while True:
        time.sleep(COORDINATOR_CHECK)
        try:
            gone = not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            gone = True
        if gone:
            os._exit(1)  # nothing of ours is half-written: outputs are written atomically


def _in_language(language: str, fn, item, *args):
    """fn(item, *args) with the interface language set: a worker process has no settings of its own."""
    before = get_language()
    set_language(language)
    try:
        return fn(item, *args)
    finally:  # inline (jobs=1) tasks run in the coordinator: leave its language as it was
        set_language(before)


def _init_and_call(language: str, fn, item, *args):
    """Run one task on a Dask worker with the same library-thread pinning as the local pool."""
    from imgpipe.render import worker_init

    worker_init()
    return _in_language(language, fn, item, *args)


class DaskExecutor:
    """Runs task functions on a dask.distributed cluster (`Client(scheduler)`).

    scheduler: "tcp://HOST:8786", or an existing `distributed.Client` /
    `LocalCluster` (tests). Results are yielded in the order of `items`, like
    the local pool, so the catalog is written in the same order.
    """

    def __init__(self, scheduler, language: str | None = None):
        self.language = language or get_language()
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(t("dask.missing"), field="executor", fix=t("dask.missing.fix")) from None
        self._own_client = False
        if isinstance(scheduler, Client):
            self.client = scheduler
        else:
            if not scheduler:
                raise ConfigError(t("dask.no_scheduler"), field="scheduler", fix=t("dask.no_scheduler.fix"))
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise ConfigError(t("dask.unreachable", address=str(scheduler), detail=err), field="scheduler",
                                  fix=t("dask.unreachable.fix")) from None
            self._own_client = True
        self.jobs = max(1, sum(self.client.nthreads().values()))

    def map(self, fn, items: list, *args, crashed=None) -> Iterable:
        """As LocalExecutor.map; a task whose workers keep dying (KilledWorker) goes to `crashed`."""
        if not items:
            return
        # the shared arguments (render context, paths) go to the cluster once, not once per photo
        shared = [self.client.scatter(a, broadcast=True) if _big(a) else a for a in args]
        futures = self.client.map(_init_and_call, [self.language] * len(items), [fn] * len(items), items,
                                  *[[a] * len(items) for a in shared],
                                  pure=False)
        try:
            for item, fut in zip(items, futures):
                try:
                    yield fut.result()
                except Exception as exc:  # noqa: BLE001 - only KilledWorker is handled, the rest re-raised
                    if crashed is None or type(exc).__name__ != "KilledWorker":
                        raise
                    yield crashed(item, exc)
        finally:
            for fut in futures:
                fut.release()

    def close(self) -> None:
        if self._own_client:
            self.client.close()


def _big(value) -> bool:
    return not isinstance(value, (str, int, float, bool, type(None))) and not hasattr(value, "__fspath__")


def make_executor(jobs: int, executor: str = "local", scheduler=None, language: str | None = None):
    """The executor `run` uses: "local" (process pool / inline) or "dask".

    language: the interface language of messages made by tasks (settings.language).
    """
    if executor == "dask":
        return DaskExecutor(scheduler, language)
    if executor not in ("local", None, ""):
        raise ConfigError(t("dask.unknown_executor", name=executor), field="executor",
                          fix=t("dask.unknown_executor.fix"))
    return LocalExecutor(jobs, language)
