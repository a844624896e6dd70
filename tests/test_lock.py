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
