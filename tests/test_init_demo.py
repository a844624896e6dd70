"""`init --demo` dates the demo's arrivals from the day it runs, so the first board is realistic."""

import datetime as dt
import hashlib

from imgpipe import clock
from imgpipe.resources import builtin_dir
from imgpipe.sheet import load_sheet
from imgpipe.status import build_board
from imgpipe.workspace import Workspace, init_workspace


def arrivals(path):
    return {a: p.arrival_date for a, p in load_sheet(path).products.items()}


def test_demo_arrivals_follow_the_day_init_runs(tmp_path, monkeypatch):
    sample = builtin_dir("samples") / "products.xlsx"
    shot = arrivals(sample)
    monkeypatch.setenv("IMGPIPE_NOW", "2027-05-10T09:00:00")
    root = tmp_path / "shop"
    init_workspace(root, demo=True)
    moved = arrivals(root / "products.xlsx")
    assert max(moved.values()) == dt.date(2027, 5, 9)  # the latest arrived yesterday
    shift = max(moved.values()) - max(shot.values())
    assert moved == {a: d + shift for a, d in shot.items()}  # spacing kept
    timings = {row.article: row.timing for row in build_board(Workspace.open(root), clock.today())}
    assert set(timings.values()) - {"overdue"}, timings  # not every article overdue on the first look
    assert "on_time" in timings.values()
    # a second init leaves the sheet alone
    before = hashlib.sha256((root / "products.xlsx").read_bytes()).hexdigest()
    monkeypatch.setenv("IMGPIPE_NOW", "2027-06-01")
    init_workspace(root, demo=True)
    assert hashlib.sha256((root / "products.xlsx").read_bytes()).hexdigest() == before


def test_demo_on_the_day_it_was_shot_is_the_sample_byte_for_byte(tmp_path, monkeypatch):
    sample = builtin_dir("samples") / "products.xlsx"
    latest = max(arrivals(sample).values())
    monkeypatch.setenv("IMGPIPE_NOW", (latest + dt.timedelta(days=1)).isoformat())
    init_workspace(tmp_path / "shop", demo=True)
    assert (tmp_path / "shop" / "products.xlsx").read_bytes() == sample.read_bytes()
