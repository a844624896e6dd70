"""One watcher per workspace: a lock file in `.imgpipe/` naming its owner.

`.imgpipe/<name>.lock` holds JSON {pid, host, started, proc_start}. A lock
whose process is gone (crash, power cut, `kill -9`) is stale and is taken
over; a live one refuses the newcomer with an error naming the PID. The
owner is known by its PID *and* its process start time (`proc_start`,
seconds since the epoch, from psutil): after a reboot another program may
have the same PID, and is not mistaken for the imgpipe that wrote the lock. The lock is advisory: it
keeps two watchers (and a `run` during a watch) from numbering the same
photos at once, it does not guard against other programs.

A lock from another host (a PC sharing the folder) cannot be checked by PID:
it is a lease. Its holder rewrites the lock's `refreshed` time (clock.wall(),
seconds since the epoch) every LEASE_SECONDS / 4; a lock not refreshed for
LEASE_SECONDS is stale and is taken over, and a refusal names the host and
how long ago the holder last refreshed it. A lock without `proc_start` (from
an older imgpipe) whose PID now belongs to a process started after the lock
was written is another program's: it does not block.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

from imgpipe import clock
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

LEASE_SECONDS = 120.0   # a lock from another host not refreshed for this long is stale
# one writer at a time inside one process: `serve --watch` runs the watcher and the page's jobs side by side
WRITER = threading.RLock()
# workspaces (resolved roots) served with `serve --watch` by this process: its own watcher there does not
# refuse the page's jobs (they take turns under WRITER)
SHARED_WATCH: set[Path] = set()
log = logging.getLogger("imgpipe")


def pid_alive(pid: int) -> bool:
    """True when a process with this PID exists on this machine."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        try:
            import psutil

            return psutil.pid_exists(pid)
        except ImportError:
            return _win_pid_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    except OSError:
        return False
    return True


def _win_pid_alive(pid: int) -> bool:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    process_query_limited_information = 0x1000
    still_active = 259
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(process_query_limited_information, False, pid)
    if not handle:
        # access denied means it exists; anything else (invalid parameter) means it does not
        return ctypes.get_last_error() == 5
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


def process_start(pid: int) -> float | None:
    """When process `pid` started (seconds since the epoch), or None when unknown."""
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:  # noqa: BLE001 - gone, no permission, no psutil: unknown
        return None


def same_process(owner: dict, written: float | None = None) -> bool:
    """True when the lock's owner still runs: its PID is alive and, when recorded, started when it says.

    written: when the lock file was written (its mtime, seconds since the epoch); for a lock
    without `proc_start` a PID whose process started after that is another program.
    """
    pid = owner["pid"]
    if not pid_alive(pid):
        return False
    recorded = owner.get("proc_start")
    now = process_start(pid)
    if not isinstance(recorded, (int, float)):  # a lock from an older imgpipe
        return now is None or written is None or now <= written + 2.0
    return now is None or abs(now - recorded) < 1.0


def lease_age(owner: dict, path: Path, now: float | None = None) -> float:
    """Seconds since the holder last refreshed the lock (its `refreshed`, else the file's mtime); >= 0."""
    refreshed = owner.get("refreshed")
    if not isinstance(refreshed, (int, float)):
        try:
            refreshed = path.stat().st_mtime
        except OSError:
            return 0.0
    return max(0.0, (clock.wall() if now is None else now) - refreshed)


def foreign(owner: dict) -> bool:
    """True when the lock was written on another host (its PID means nothing here)."""
    return owner.get("host") not in (None, socket.gethostname())


def read_lock(path: Path) -> dict | None:
    """The owner recorded in a lock file, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None
    except (OSError, ValueError):
        return None


def live_owner(path: Path, now: float | None = None) -> dict | None:
    """The owner of the lock at `path` when it still holds it: a running process on this host,
    or a lease from another host refreshed within LEASE_SECONDS (`now`: clock.wall() seconds)."""
    owner = read_lock(path)
    if not owner:
        return None
    if foreign(owner):
        # a watcher on another PC sharing the folder: we cannot check its PID, so its lease must be fresh
        return owner if lease_age(owner, path, now) <= LEASE_SECONDS else None
    try:
        written = path.stat().st_mtime
    except OSError:
        written = None
    return owner if same_process(owner, written) else None


def held_message(message: str, owner: dict, path: Path) -> str:
    """The refusal `message` for a lock `owner` holds; for another host's lease with its age."""
    text = t(message, pid=owner["pid"], host=owner.get("host", "?"), started=owner.get("started", "?"))
    if foreign(owner):
        text += "; " + t("lock.lease", host=owner.get("host", "?"), age=round(lease_age(owner, path)),
                         lease=round(LEASE_SECONDS))
    return text


def _remove_if_stale(path: Path) -> None:
    """Delete a lock whose owner is gone, unless another process replaced it meanwhile."""
    stale = read_lock(path)
    if stale and foreign(stale):
        log.warning(t("lock.lease_stale", path=path.name, host=stale.get("host"), age=round(lease_age(stale, path)),
                      lease=round(LEASE_SECONDS)))
    if stale is None:
        try:  # unreadable: a lock from a crashed older version; give a writer a moment first
            if time.time() - path.stat().st_mtime > 10:
                path.unlink()
        except FileNotFoundError:
            pass
        return
    try:
        aside = path.with_name(f".{path.name}.stale.{os.getpid()}")
        os.replace(path, aside)  # atomic: exactly one process moves this lock away
    except FileNotFoundError:
        return
    moved = read_lock(aside)
    if moved != stale and moved is not None and live_owner(aside):
        os.replace(aside, path)  # we moved a fresh, live lock: put it back
    else:
        aside.unlink(missing_ok=True)


class WorkspaceLock:
    """`with WorkspaceLock(root):` — hold `.imgpipe/<name>.lock` for the block.

    Raises ImgpipeError (naming the PID) when another live process holds it.
    """

    def __init__(self, root: Path, name: str = "watch", message: str = "watch.locked"):
        self.root = Path(root)
        self.path = self.root / ".imgpipe" / f"{name}.lock"
        self.message = message  # messages key (with "<key>.fix") said when another process holds it
        self.held = False
        self._me: dict = {}
        self._stop = threading.Event()

    def acquire(self) -> None:
        """Take the lock, or raise naming its live owner; a dead owner's lock is taken over.

        The lock file appears complete or not at all: it is written under a
        private name and hard-linked into place (the link fails if a lock
        exists), so nobody can read a half-written lock and take it for stale.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        me = {"pid": os.getpid(), "host": socket.gethostname(),
              "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
              "proc_start": process_start(os.getpid()), "refreshed": clock.wall()}
        mine = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        mine.write_text(json.dumps(me), encoding="utf-8")
        try:
            for _ in range(3):
                try:
                    os.link(mine, self.path)
                except FileExistsError:
                    owner = live_owner(self.path)
                    if owner:
                        raise ImgpipeError(held_message(self.message, owner, self.path),
                                           file=self.path, fix=t(self.message + ".fix", pid=owner["pid"])) from None
                    _remove_if_stale(self.path)
                    continue
                except OSError:  # a filesystem without hard links (some shares): exclusive create
                    try:
                        fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                    except FileExistsError:
                        continue
                    with os.fdopen(fd, "w", encoding="utf-8") as f:
                        json.dump(me, f)
                self.held = True
                self._me = me
                self._stop.clear()
                threading.Thread(target=self._keep_fresh, name=f"imgpipe-lease-{self.path.stem}", daemon=True).start()
                return
        finally:
            mine.unlink(missing_ok=True)
        raise ImgpipeError(t(self.message, pid="?", host="?", started="?"), file=self.path)

    def refresh(self, now: float | None = None) -> bool:
        """Renew the lease: rewrite `refreshed` (atomically) while the lock is still ours; False when not."""
        owner = read_lock(self.path)
        if not self.held or not owner or owner.get("pid") != os.getpid() or foreign(owner):
            return False
        self._me = dict(self._me or owner, refreshed=clock.wall() if now is None else now)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.refresh")
        try:
            tmp.write_text(json.dumps(self._me), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:  # a share gone for a moment: the next refresh tries again
            tmp.unlink(missing_ok=True)
            return False
        return True

    def _keep_fresh(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 4):
            if not self.refresh():
                return

    def release(self) -> None:
        self._stop.set()
        if not self.held:
            return
        owner = read_lock(self.path)
        if owner and owner["pid"] == os.getpid():
            self.path.unlink(missing_ok=True)
        self.held = False

    def __enter__(self) -> "WorkspaceLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def ensure_no_watcher(root: Path) -> None:
    """Refuse (ImgpipeError naming the PID) when a watcher is active on this workspace.

    `imgpipe run` calls this: the watcher already processes the inbox, and two
    writers numbering the same photos would give one photo two numbers.
    """
    path = Path(root) / ".imgpipe" / "watch.lock"
    owner = live_owner(path) if path.exists() else None
    if owner and owner["pid"] == os.getpid() and not foreign(owner) and Path(root).resolve() in SHARED_WATCH:
        return  # our own watcher (`serve --watch`): the page's jobs and it take turns under WRITER
    if owner:
        raise ImgpipeError(t("watch.run_refused", pid=owner["pid"]), file=path,
                           fix=t("watch.run_refused.fix", pid=owner["pid"]))


def run_lock(root: Path) -> WorkspaceLock:
    """The lock `imgpipe run` holds: one run at a time, and no watcher started under it."""
    return WorkspaceLock(root, "run", message="run.locked")


def ensure_no_run(root: Path) -> None:
    """Refuse to start a watcher while an `imgpipe run` is working on the workspace."""
    path = Path(root) / ".imgpipe" / "run.lock"
    owner = live_owner(path) if path.exists() else None
    if owner:
        raise ImgpipeError(held_message("run.locked", owner, path), file=path, fix=t("run.locked.fix", pid=owner["pid"]))
