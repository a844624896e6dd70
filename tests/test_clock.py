"""Time is a parameter: one clock, pinned by IMGPIPE_NOW, and a suite that passes on any day."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpipe import clock
from imgpipe.cli import main as cli
from imgpipe.workspace import Workspace


def test_clock_follows_the_pinned_moment(monkeypatch):
    monkeypatch.setenv("IMGPIPE_NOW", "2031-02-03T04:05:06.789")
    assert clock.now() == dt.datetime(2031, 2, 3, 4, 5, 6)
    assert clock.today() == dt.date(2031, 2, 3)
    assert clock.now_iso() == "2031-02-03T04:05:06"
    monkeypatch.setenv("IMGPIPE_NOW", "2031-02-03")
    assert clock.now_iso() == "2031-02-03T00:00:00"


def test_listed_takes_its_date_from_the_option_or_the_clock(workspace, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(cli, ["-w", str(workspace), "listed", "A1023", "--platform", "jd",
                               "--date", "2026-11-25", "--force"]).exit_code == 0
    monkeypatch.setenv("IMGPIPE_NOW", "2027-03-04T09:00:00")
    assert runner.invoke(cli, ["-w", str(workspace), "listed", "A1023", "--platform", "tmall", "--force"]).exit_code == 0
    listings = Workspace.open(workspace).catalog.listings("A1023")
    assert listings["jd"] == "2026-11-25" and listings["tmall"] == "2027-03-04"
    res = runner.invoke(cli, ["-w", str(workspace), "listed", "A1023", "--date", "25/11/2026"])
    assert res.exit_code == 2


DATE_SENSITIVE = ["tests/test_status.py", "tests/test_clock.py::test_listed_takes_its_date_from_the_option_or_the_clock"]


@pytest.mark.slow
def test_date_sensitive_tests_pass_a_year_ahead():
    """The board, listing and clock tests again, with the clock a year and a week later."""
    if os.environ.get("IMGPIPE_TEST_NOW"):  # already the inner run
        return
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, IMGPIPE_TEST_NOW="2027-12-03T23:59:00")
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATE_SENSITIVE],
                         cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout
