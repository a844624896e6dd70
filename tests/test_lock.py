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
