"""The three-day board (R1) and `imgpipe listed`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgpipe.cli import main as cli
from imgpipe.status import build_board, due_date, timing_of
from imgpipe.workspace import Workspace, init_workspace

HEADER = "货号,名称,类目,品牌,标题,颜色,面料,尺码,长,宽,高,说明,卖点,到货日期,价格"
TODAY = dt.date(2026, 11, 26)


def row(article: str, arrival: str) -> str:
    return f"{article},商品{article},服装,禾象,标题,红色,纯棉,M,1,2,3,说明,a;b;c;d;e,{arrival},9"


@pytest.fixture
def shop(tmp_path) -> Path:
    """Five articles: overdue, due today, on time, no date, and one listed on time."""
    root = tmp_path / "shop"
    init_workspace(root)
    (root / "products.xlsx").unlink()
    rows = [row("ONTIME", "2026-11-25"), row("LATE2", "2026-11-21"), row("TODAY", "2026-11-23"),
            row("NODATE", ""), row("LATE1", "2026-11-22"), row("DONE", "2026-11-20")]
    (root / "products.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    ws = Workspace.open(root)
    cat = ws.catalog
    # PROC has a photo but no outputs; READY has every platform's main image and page slices
    for article in ("TODAY", "ONTIME"):
        cat.add_photo(article=article, seq=1, ext="jpg", sha256=f"sha-{article}",
                      original=f"originals/服装/{article}/{article}-01.jpg", source_name="x.jpg", captured_at=None)
    for platform in ws.profiles:
        rel = f"output/{platform}/ONTIME/main/ONTIME-01.jpg"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"jpeg")
        cat.record_output(path=rel, platform=platform, article="ONTIME", role="main", photo_id=2, fingerprint="f",
                          sha256="s", width=800, height=800, nbytes=4, quality=90)
        cat.record_page(platform, "ONTIME", "fp", [f"output/{platform}/ONTIME/page/ONTIME-detail-01.jpg"], "x")
    cat.db.execute("UPDATE photos SET analysis='{}' WHERE article='TODAY'")
    cat.db.execute("UPDATE photos SET analysis='{\"box\": [0,0,1,1]}' WHERE article='ONTIME'")
    for platform in ws.profiles:
        cat.db.execute("INSERT INTO listings VALUES ('DONE', ?, '2026-11-22T10:00:00')", (platform,))
    cat.close()
    return root


def test_due_date_counts_calendar_days():
    assert due_date(dt.date(2026, 11, 27), 3) == dt.date(2026, 11, 30)  # over a weekend
    assert due_date(dt.date(2026, 12, 30), 3) == dt.date(2027, 1, 2)


def test_timing():
    due = dt.date(2026, 11, 26)
    assert timing_of(due, dt.date(2026, 11, 25), None) == ("on_time", 1)
    assert timing_of(due, dt.date(2026, 11, 26), None) == ("due_today", 0)
    assert timing_of(due, dt.date(2026, 11, 28), None) == ("overdue", -2)
    assert timing_of(due, dt.date(2026, 11, 30), dt.date(2026, 11, 26)) == ("done", 0)
    assert timing_of(due, dt.date(2026, 11, 30), dt.date(2026, 11, 27)) == ("late", -1)
    assert timing_of(None, dt.date(2026, 11, 30), None) == ("no_date", None)


def test_board_is_sorted_most_urgent_first(shop):
    rows = build_board(Workspace.open(shop), TODAY)
    assert [r.article for r in rows] == ["LATE2", "LATE1", "TODAY", "ONTIME", "NODATE", "DONE"]
    by = {r.article: r for r in rows}
    assert (by["LATE2"].timing, by["LATE2"].days, by["LATE2"].due) == ("overdue", -2, dt.date(2026, 11, 24))
    assert by["TODAY"].timing == "due_today" and by["TODAY"].state == "processing"
    assert by["ONTIME"].state == "ready" and by["ONTIME"].days == 2
    assert by["LATE1"].state == "waiting"
    assert by["NODATE"].timing == "no_date" and by["NODATE"].due is None
    assert by["DONE"].state == "listed" and by["DONE"].timing == "done"


def test_sla_days_are_configurable(shop):
    toml = shop / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("days = 3", "days = 5"), encoding="utf-8")
    by = {r.article: r for r in build_board(Workspace.open(shop), TODAY)}
    assert by["LATE2"].due == dt.date(2026, 11, 26) and by["LATE2"].timing == "due_today"


def test_status_json_and_listed_command(shop):
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(shop), "status", "--today", "2026-11-26", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["today"] == "2026-11-26" and data["sla_days"] == 3
    assert data["articles"][0]["article"] == "LATE2" and data["articles"][0]["timing"] == "overdue"

    # not reviewed (图片审核): refused, nothing marked, unless forced
    refused = runner.invoke(cli, ["-w", str(shop), "listed", "ONTIME", "--platform", "jd", "--date", "2026-11-26"])
    assert refused.exit_code == 2 and "jd" in refused.output and "--force" in refused.output
    assert Workspace.open(shop).catalog.listings("ONTIME") == {}
    assert runner.invoke(cli, ["-w", str(shop), "listed", "ONTIME", "--platform", "jd", "--date", "2026-11-26",
                               "--force", "--by", "赵六"]).exit_code == 0
    by = {r.article: r for r in build_board(Workspace.open(shop), TODAY)}
    assert by["ONTIME"].state == "ready" and set(by["ONTIME"].listed) == {"jd"}
    assert runner.invoke(cli, ["-w", str(shop), "listed", "ONTIME", "--date", "2026-11-26", "--force"]).exit_code == 0
    log = Workspace.open(shop).catalog.activity("ONTIME")
    assert [(e["platform"], e["action"], e["forced"], e["who"]) for e in log][0] == ("jd", "listed", True, "赵六")
    by = {r.article: r for r in build_board(Workspace.open(shop), TODAY)}
    assert by["ONTIME"].state == "listed" and by["ONTIME"].timing == "done"
    assert [r.article for r in build_board(Workspace.open(shop), TODAY)][-2:] == ["DONE", "ONTIME"] or \
        [r.article for r in build_board(Workspace.open(shop), TODAY)][-2:] == ["ONTIME", "DONE"]


def test_usage_errors_exit_2(shop):
    runner = CliRunner()
    assert runner.invoke(cli, ["-w", str(shop), "listed", "NOPE"]).exit_code == 2
    assert runner.invoke(cli, ["-w", str(shop), "listed", "ONTIME", "--platform", "taobao"]).exit_code == 2
    assert runner.invoke(cli, ["-w", str(shop), "status", "--today", "26/11/2026"]).exit_code == 2


def test_board_table_prints(shop):
    res = CliRunner().invoke(cli, ["-w", str(shop), "status", "--today", "2026-11-26"])
    assert res.exit_code == 0
    text = res.output
    assert "LATE2" in text and "已超期 2 天" in text and "今天截止" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_board_names_platforms_as_operations_do_and_fits_80_columns(lang):
    """`imgpipe status` printed "tmall 待审核, jd 待审核, 1688 待审核" in one folded column and ran past
    80 columns (the listed column cut off); `history` said tmall/jd where users read 天猫/京东."""
    import io

    from rich.console import Console

    from imgpipe.messages import get_language, set_language
    from imgpipe.report_cli import print_history
    from imgpipe.review import History, Review
    from imgpipe.status import BoardRow, print_board

    labels = {"zh": {"tmall": "天猫", "jd": "京东", "1688": "1688"},
              "en": {"tmall": "Tmall", "jd": "JD", "1688": "1688"}}[lang]
    approval = {"action": "approve", "who": "李四", "at": "2026-12-07T22:09:13", "note": "", "forced": False}
    reviews = {"tmall": Review("G501", "tmall", "pending", approval, lapsed=True, outputs=9),
               "jd": Review("G501", "jd", "approved", dict(approval), outputs=9),
               "1688": Review("G501", "1688", "pending", outputs=9)}
    rows = [BoardRow("G501", "女士针织上衣（秋冬新款）", dt.date(2026, 12, 5), dt.date(2026, 12, 8), "ready", "on_time", 1,
                     5, {}, ["tmall", "jd", "1688"], reviews),
            BoardRow("H602-XL", "运动旅行包", dt.date(2026, 12, 4), dt.date(2026, 12, 7), "waiting", "overdue", -2,
                     0, {"jd": "2026-12-06"}, [], {p: Review("H602-XL", p, "pending") for p in labels})]
    was = get_language()
    set_language(lang)
    try:
        out = io.StringIO()
        console = Console(file=out, width=80, color_system=None)
        print_board(rows, console, dt.date(2026, 12, 7), 3, labels)
        text = out.getvalue()
        assert max(len(line) for line in text.splitlines()) <= 80, text
        lines = text.splitlines()
        header = next(line for line in lines if labels["tmall"] in line)
        assert all(label in header for label in labels.values()) and "tmall" not in text and " jd " not in text
        g501 = next(line for line in lines if "G501" in line)
        for word in {"zh": ("审核失效", "已通过", "待审核", "12-08"), "en": ("lapsed", "approved", "pending", "12-08")}[lang]:
            assert word in g501, (word, text)
        assert {"zh": "已上架", "en": "listed"}[lang] in next(line for line in lines if "H602-XL" in line)
        out = io.StringIO()
        print_history(History("G501", [dict(approval, platform="jd", action="approve", label="approved", summary="",
                                            id=1, article="G501", image="", outputs=None, detail=None)],
                              reviews), Console(file=out, width=80, color_system=None), labels)
        text = out.getvalue()
        assert text.startswith(labels["tmall"] + ":") and "tmall" not in text and " jd " not in text
        assert labels["jd"] in text.split("\n", 3)[-1]  # the history table's platform column
    finally:
        set_language(was)
