"""One writer per workspace: the lock file is never half-read, dead owners are replaced."""

import json
import os
import time

import pytest

from imgpipe.errors import ImgpipeError
from imgpipe.lock import WorkspaceLock, read_lock


def test_lock_holds_its_owner_and_refuses_a_second_holder(tmp_path):
    with WorkspaceLock(tmp_path, "run") as first:
        assert read_lock(first.path)["pid"] == os.getpid()
        with pytest.raises(ImgpipeError) as info:
            WorkspaceLock(tmp_path, "run").acquire()
        assert str(os.getpid()) in str(info.value)
    assert not first.path.exists() and not list((tmp_path / ".imgpipe").glob(".*"))  # nothing left behind


def test_an_unreadable_lock_is_respected_while_fresh_and_replaced_once_old(tmp_path):
    path = tmp_path / ".imgpipe" / "run.lock"
    path.parent.mkdir()
    path.write_text("")  # what a crashed older version could leave, or a writer mid-way
    with pytest.raises(ImgpipeError):
        WorkspaceLock(tmp_path, "run").acquire()
    old = time.time() - 60
    os.utime(path, (old, old))
    with WorkspaceLock(tmp_path, "run"):
        assert read_lock(path)["pid"] == os.getpid()


def test_a_dead_owners_lock_is_taken_over(tmp_path):
    path = tmp_path / ".imgpipe" / "run.lock"
    path.parent.mkdir()
    import socket

    path.write_text(json.dumps({"pid": 2 ** 22 + 12345, "host": socket.gethostname(), "started": "x"}))
    with WorkspaceLock(tmp_path, "run"):
        assert read_lock(path)["pid"] == os.getpid()


def test_a_reused_pid_is_not_taken_for_the_owner(tmp_path):
    """After a reboot another program can hold the lock's PID: its start time tells them apart."""
    import socket
    import subprocess
    import sys

    from imgpipe.lock import process_start

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path = tmp_path / ".imgpipe" / "run.lock"
        path.parent.mkdir()
        started = process_start(other.pid)
        assert started is not None
        # the PID is alive but the process started later than the lock's owner did: a reused PID
        path.write_text(json.dumps({"pid": other.pid, "host": socket.gethostname(), "started": "x",
                                    "proc_start": started - 3600}))
        with WorkspaceLock(tmp_path, "run"):
            assert read_lock(path)["pid"] == os.getpid()
        # the very same process (start time matches) still holds it
        path.write_text(json.dumps({"pid": other.pid, "host": socket.gethostname(), "started": "x",
                                    "proc_start": started}))
        with pytest.raises(ImgpipeError) as info:
            WorkspaceLock(tmp_path, "run").acquire()
        assert str(other.pid) in str(info.value)
    finally:
        other.kill()
        other.wait()


def test_doctor_rebuild_refuses_while_a_run_holds_the_lock(tmp_path):
    from imgpipe.doctor import rebuild_catalog

    with WorkspaceLock(tmp_path, "run"):
        # the lock is ours here, so take it from another process's point of view: a second holder
        with pytest.raises(ImgpipeError):
            rebuild_catalog(tmp_path)
    assert not (tmp_path / ".imgpipe" / "catalog.sqlite.broken").exists()


# --- leases: locks written on another host ------------------------------------------

def _fake_clock(monkeypatch, start: float):
    """clock.wall() under the test's control: returns a function that moves it on by `seconds`."""
    from imgpipe import clock

    now = [start]
    monkeypatch.setattr(clock, "wall", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


def test_a_refreshed_lease_from_another_host_holds_and_an_unrefreshed_one_expires(tmp_path, monkeypatch):
    import socket

    from imgpipe import lock

    lease = lock.LEASE_SECONDS
    advance = _fake_clock(monkeypatch, 1_800_000_000.0)
    holder = WorkspaceLock(tmp_path, "watch")
    holder.acquire()
    holder._stop.set()  # no background refresh: the test refreshes by hand, on the fake clock
    advance(0.9 * lease)
    assert holder.refresh()
    advance(0.6 * lease)
    # this process now looks at the folder as a second PC sharing it does
    holder_host = socket.gethostname()
    monkeypatch.setattr(socket, "gethostname", lambda: "operations-pc")
    with pytest.raises(ImgpipeError) as err:  # refreshed 0.6 lease ago: alive
        WorkspaceLock(tmp_path, "watch").acquire()
    assert holder_host in str(err.value) and f"{round(0.6 * lease)}" in str(err.value)
    advance(0.5 * lease)  # not refreshed for 1.1 lease (the holder's PC went to sleep): stale, taken over
    with WorkspaceLock(tmp_path, "watch") as taker:
        assert read_lock(taker.path)["host"] == "operations-pc"
    holder.held = False  # (same PID as the taker: releasing would remove the taker's lock)


def test_an_old_format_lock_held_by_an_unrelated_live_pid_does_not_block(tmp_path):
    import os
    import subprocess
    import sys

    path = tmp_path / ".imgpipe" / "run.lock"
    path.parent.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path.write_text(json.dumps({"pid": other.pid, "host": None, "started": "yesterday"}), encoding="utf-8")
        os.utime(path, (1_000_000_000, 1_000_000_000))  # written long before that process started
        with WorkspaceLock(tmp_path, "run"):
            assert read_lock(path)["pid"] == os.getpid()
        # the same lock written after the process started is its own: it blocks
        path.write_text(json.dumps({"pid": other.pid, "host": None, "started": "now"}), encoding="utf-8")
        with pytest.raises(ImgpipeError, match=str(other.pid)):
            WorkspaceLock(tmp_path, "run").acquire()
    finally:
        other.kill()
        other.wait()


def test_serve_watch_shares_the_workspace_with_its_own_watcher_only(tmp_path):
    from imgpipe.lock import SHARED_WATCH, ensure_no_watcher

    with WorkspaceLock(tmp_path, "watch"):
        with pytest.raises(ImgpipeError):
            ensure_no_watcher(tmp_path)  # `imgpipe watch` in this process: a run is refused
        SHARED_WATCH.add(tmp_path.resolve())
        try:
            ensure_no_watcher(tmp_path)  # `serve --watch`: the page's jobs take turns with it
        finally:
            SHARED_WATCH.discard(tmp_path.resolve())
