"""The one clock: every date or time imgpipe records or counts from comes from here.

Set `IMGPIPE_NOW` (ISO date `2026-11-26` or datetime `2026-11-26T10:00:00`) to
pin it: tests do, and so can a script that re-runs a past day's work. The
variable is inherited by worker processes, so the whole run sees one clock.
Only file-version stamps (backups, lock staleness) keep the machine's own
time, because they must stay unique and real.
"""

from __future__ import annotations

import datetime as dt
import os
import time

ENV = "IMGPIPE_NOW"


def now() -> dt.datetime:
    """The current local time (naive, second precision), or the pinned one."""
    pinned = os.environ.get(ENV)
    if pinned:
        return dt.datetime.fromisoformat(pinned).replace(microsecond=0)
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    """The current local date, or the pinned one."""
    return now().date()


def now_iso() -> str:
    """`now()` as `YYYY-MM-DDTHH:MM:SS`, the form the catalog stores."""
    return now().isoformat(timespec="seconds")


def wall() -> float:
    """The machine's own time, seconds since the epoch: lock leases count in it (lock.py).

    Never pinned by IMGPIPE_NOW (a lease must age while a process runs); tests replace this
    function to move time on.
    """
    return time.time()
