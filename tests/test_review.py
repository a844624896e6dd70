"""Operations review (图片审核): approvals that lapse when outputs change, the activity log, listing packages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import sqlite3
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from imgpipe.catalog import Catalog
from imgpipe.cli import main
from imgpipe.errors import ImgpipeError
from imgpipe.pipeline import run
from imgpipe.review import decide, history, review_of, state_of
from imgpipe.workspace import Workspace, init_workspace

from conftest import make_processed_shop


# --- the state, as a pure function ------------------------------------------------

def test_state_follows_the_latest_decision_while_the_outputs_are_the_ones_it_saw():
    seen = {"output/tmall/A1023/main/A1023-01.jpg": "f1:aa", "page:tmall": "p1:[]"}
    assert state_of(None, seen) == ("pending", False)
    assert state_of({"action": "approve", "outputs": dict(seen)}, seen) == ("approved", False)
    assert state_of({"action": "send_back", "outputs": dict(seen)}, seen) == ("sent_back", False)
    changed = dict(seen, **{"output/tmall/A1023/main/A1023-01.jpg": "f1:bb"})
    assert state_of({"action": "approve", "outputs": seen}, changed) == ("pending", True)
    assert state_of({"action": "send_back", "outputs": seen}, changed) == ("pending", True)
    one_more = dict(seen, **{"output/tmall/A1023/sku/A1023-02-红色.jpg": "f2:cc"})
    assert state_of({"action": "approve", "outputs": seen}, one_more) == ("pending", True)


@pytest.mark.parametrize("lang, lapsed, before", [("zh", "审核已失效（文件已变）", "原审核员 审核员 · 2026-12-07 22:09:13"),
                                                   ("en", "approval lapsed (files changed)",
                                                    "was approved by 审核员 · 2026-12-07 22:09:13")])
def test_a_lapsed_approval_says_it_lapsed_and_names_the_former_reviewer(lang, lapsed, before):
    """A lapsed approval read "待审核 · 审核员 <time>" on the board and in the report: as if 审核员 had
    put it to review, not approved images that changed since."""
    from imgpipe.messages import get_language, set_language
    from imgpipe.review import Review, byline
    from imgpipe.status import platform_cell
    from imgpipe.validate.model import CHECKS, ArticleResult, CheckResult, PlatformReport
    from imgpipe.validate.report import render_html

    approval = {"action": "approve", "who": "审核员", "at": "2026-12-07T22:09:13", "note": ""}
    was = get_language()
    set_language(lang)
    try:
        review = Review("G501", "tmall", "pending", approval, lapsed=True, outputs=3)
        assert review.label == lapsed and review.as_dict()["label"] == lapsed
        assert byline(review.as_dict()) == before
        assert {"zh": "审核失效", "en": "lapsed"}[lang] in platform_cell(SimpleNamespace(reviews={"tmall": review},
                                                                                      listed={}), "tmall")
        card = ArticleResult("tmall", "G501", "女士针织上衣", {c: CheckResult(c) for c in CHECKS},
                             review=review.as_dict())
        html = render_html([PlatformReport("tmall", "天猫", "2026-12-07", [card])], lang, "2026-12-07T22:23:24", "/ws")
        assert f"{lapsed} · {before}" in html
        # a send-back the files changed after is to be reviewed again: 待审核, as before
        sent = Review("G501", "tmall", "pending", dict(approval, action="send_back"), lapsed=True, outputs=3)
        assert sent.label == {"zh": "待审核", "en": "to review"}[lang]
        # an approval that holds: who and when, as before
        held = Review("G501", "tmall", "approved", approval, outputs=3).as_dict()
        assert byline(held) == "审核员 · 2026-12-07 22:09:13"
    finally:
        set_language(was)


def test_the_activity_log_is_append_only_and_a_version_1_catalog_gains_it(tmp_path):
    path = tmp_path / "catalog.sqlite"
    old = sqlite3.connect(path)  # a catalog as imgpipe wrote it before the review: schema version 1
    from imgpipe.catalog import SCHEMA, SCHEMA_VERSION

    old.executescript(SCHEMA)
    old.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    old.execute("INSERT INTO listings VALUES ('A1023', 'tmall', '2026-11-25')")
    old.commit()
    old.close()
    cat = Catalog(path)
    assert cat.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert cat.listings("A1023") == {"tmall": "2026-11-25"}
    first = cat.add_activity(article="A1023", platform="tmall", action="approve", who="李四", outputs={"a": "1"})
    cat.add_activity(article="A1023", platform="tmall", action="send_back", who="王五", note="主图2 背景有污点")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        cat.db.execute("UPDATE activity SET who='x' WHERE id=?", (first,))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        cat.db.execute("DELETE FROM activity")
    assert [(e["who"], e["action"]) for e in cat.activity("A1023")] == [("李四", "approve"), ("王五", "send_back")]
    assert cat.last_decisions()[("A1023", "tmall")]["note"] == "主图2 背景有污点"
    cat.close()


# --- on a processed workspace ------------------------------------------------------

@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """One article made for Tmall and JD, made once."""
    return make_processed_shop(tmp_path_factory.mktemp("review") / "shop", ("tmall", "jd"), photos=4)


@pytest.fixture
def shop(processed, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")
    root = tmp_path / "shop"
    shutil.copytree(processed, root)
    return root


def cli(root: Path, *args: str):
    return CliRunner().invoke(main, ["-w", str(root), *args])


# the shops here are made without a browser: no detail page, which validation counts as an error
# (freshness: page_missing); approving them takes --force with a reason, as operations would do it
NO_PAGE = ("--force", "--reason", "详情页另做")


def states(root: Path) -> dict[str, tuple[str, bool]]:
    res = cli(root, "status", "--json")
    assert res.exit_code == 0, res.output
    (row,) = [a for a in json.loads(res.stdout)["articles"] if a["article"] == "A1023"]
    return {p: (r["state"], r["lapsed"]) for p, r in row["review"].items()}


@pytest.mark.slow
def test_an_approval_survives_a_no_op_run_and_lapses_only_where_the_outputs_changed(shop):
    for platform, who in (("tmall", "李四"), ("jd", "王五")):
        res = cli(shop, "review", "A1023", "--platform", platform, "--approve", "--by", who, *NO_PAGE)
        assert res.exit_code == 0, res.output
        assert who in res.output
    assert states(shop) == {"tmall": ("approved", False), "jd": ("approved", False)}
    ws = Workspace.open(shop)
    summary = run(ws, backup=False)  # nothing changed: nothing rewritten
    assert summary.ok and not summary.written
    ws.catalog.close()
    assert states(shop) == {"tmall": ("approved", False), "jd": ("approved", False)}
    # JD's SKU images framed tighter (a JD-only setting): only JD's outputs change
    (shop / "profiles" / "jd.toml").write_text("[roles.sku]\nfill = 0.6\n", encoding="utf-8")
    ws = Workspace.open(shop)
    summary = run(ws, backup=False)
    assert summary.ok and summary.written and all("/jd/" in p for p in summary.written)
    ws.catalog.close()
    assert states(shop) == {"tmall": ("approved", False), "jd": ("pending", True)}
    # the validation report says the same
    res = cli(shop, "validate", "--json")
    reports = {r["platform"]: r["articles"][0]["review"] for r in json.loads(res.stdout)["reports"]}
    assert reports["tmall"]["state"] == "approved" and reports["tmall"]["by"] == "李四"
    assert reports["jd"]["state"] == "pending" and reports["jd"]["lapsed"]
    # listed: refused on JD with the reason, nothing marked; forced, it is recorded as forced
    res = cli(shop, "listed", "A1023", "--by", "赵六")
    assert res.exit_code == 2 and "京东" in res.output and "王五" in res.output
    assert Workspace.open(shop).catalog.listings("A1023") == {}
    assert cli(shop, "listed", "A1023", "--platform", "tmall", "--by", "赵六").exit_code == 0
    assert cli(shop, "listed", "A1023", "--platform", "jd", "--force", "--by", "赵六").exit_code == 0
    log = json.loads(cli(shop, "history", "A1023", "--json").stdout)["activity"]
    assert [(e["platform"], e["action"], e["who"], e["forced"]) for e in log] == [
        ("tmall", "approve", "李四", True), ("jd", "approve", "王五", True),
        ("tmall", "listed", "赵六", False), ("jd", "listed", "赵六", True)]


@pytest.mark.slow
def test_a_send_back_returns_to_pending_when_a_fix_changes_the_images_and_its_note_stays(shop):
    res = cli(shop, "review", "A1023", "--platform", "tmall", "--send-back", "主图2 背景有污点",
              "--image", "A1023-02.jpg", "--by", "李四")
    assert res.exit_code == 0, res.output
    data = json.loads(cli(shop, "status", "--json").stdout)["articles"][0]["review"]["tmall"]
    assert (data["state"], data["note"], data["by"]) == ("sent_back", "主图2 背景有污点", "李四")
    assert data["image"] == "output/tmall/A1023/main/A1023-02.jpg"  # a bare name: the main image first
    assert cli(shop, "export", "A1023", "--platform", "tmall").exit_code == 2  # sent back: no package
    # the designer picks another white image: the outputs change, the article is to be reviewed again
    from imgpipe.sidecar import load_sidecar, save_sidecar, sidecar_path

    ws = Workspace.open(shop)
    product = ws.sheet().products["A1023"]
    sidecar = load_sidecar(sidecar_path(ws.root, product))
    import dataclasses

    white = next(r["photo_id"] for r in ws.catalog.outputs("A1023", "tmall") if r["role"] == "white")
    other = next(p.seq for p in ws.catalog.photos("A1023") if p.kind == "photo" and p.id != white)
    save_sidecar(sidecar_path(ws.root, product), dataclasses.replace(sidecar, white=other))
    assert run(ws, backup=False).ok
    assert review_of(ws.catalog, "A1023", "tmall").state == "pending"
    ws.catalog.close()
    found = history(Workspace.open(shop), "A1023")
    assert [e["note"] for e in found.entries] == ["主图2 背景有污点"]
    rows = list(csv.reader(io.StringIO(cli(shop, "history", "A1023", "--csv").stdout)))
    assert rows[0][:5] == ["at", "who", "article", "platform", "action"]
    assert rows[1][1:7] == ["李四", "A1023", "tmall", "send_back", "0", "主图2 背景有污点"]


@pytest.mark.slow
def test_an_article_whose_validation_has_errors_is_approved_and_exported_only_with_a_recorded_reason(shop, tmp_path):
    """Failing images could be approved and exported for listing: `review --approve` and `export --force`
    passed while the article's validation had ✗ errors (here: no detail page, made without a browser)."""
    res = cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--by", "李四")
    assert res.exit_code == 2
    # the article, the platform as operations name it, the failing check and the two ways on
    for said in ("A1023", "天猫", "是否最新", "imgpipe run --article A1023", "--force --reason"):
        assert said in res.output, (said, res.output)
    assert review_of(Workspace.open(shop).catalog, "A1023", "tmall").state == "pending"
    res = cli(shop, "export", "A1023", "--platform", "tmall", "--force", "-o", str(tmp_path / "out"))
    assert res.exit_code == 2 and "天猫" in res.output and "是否最新" in res.output and "--reason" in res.output
    assert not (tmp_path / "out").exists()
    # forcing takes a reason, and only an approval is forced
    assert cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--force", "--by", "李四").exit_code == 2
    assert cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--reason", "x", "--by", "李四").exit_code == 2
    assert cli(shop, "review", "A1023", "--platform", "tmall", "--send-back", "x", "--force", "--reason", "y",
               "--by", "李四").exit_code == 2
    assert Workspace.open(shop).catalog.activity("A1023") == []
    res = cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--force", "--reason", "详情页另做",
              "--by", "李四")
    assert res.exit_code == 0 and "详情页另做" in res.output, res.output
    (entry,) = json.loads(cli(shop, "history", "A1023", "--json").stdout)["activity"]
    assert (entry["action"], entry["who"], entry["forced"], entry["note"]) == ("approve", "李四", True, "详情页另做")
    assert {"check": "freshness", "code": "page_missing", "file": None} in entry["detail"]["errors"]
    assert "强制：校验有错误" in cli(shop, "history", "A1023").output
    # approved (with its reason on record): the package is made
    assert cli(shop, "export", "A1023", "--platform", "tmall", "-o", str(tmp_path / "out")).exit_code == 0


@pytest.mark.slow
def test_the_workbench_refuses_the_approval_as_the_cli_does_and_offers_the_forced_path(shop):
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    app = create_app(shop)
    with TestClient(app, base_url="http://127.0.0.1:8765", client=("127.0.0.1", 50000)) as c:
        c.cookies.set("imgpipe_who", "%E6%9D%8E%E5%9B%9B")  # 李四
        headers = {"X-CSRF-Token": app.state.web.csrf}
        r = c.post("/a/A1023/review", json={"platform": "tmall", "approve": True}, headers=headers)
        assert r.status_code == 400 and r.json()["can_force"]
        assert "天猫" in r.json()["message"] and "是否最新" in r.json()["message"] and "强制通过" in r.json()["fix"]
        assert "--force" not in r.json()["message"] + r.json()["fix"]  # the page's way, not the command line's
        page = c.get("/a/A1023").text
        assert 'class="force-reason"' in page and "仍然强制通过 天猫" in page
        r = c.post("/a/A1023/review", json={"platform": "tmall", "approve": True, "force": True}, headers=headers)
        assert r.status_code == 400 and "原因" in r.json()["message"]
        r = c.post("/a/A1023/review", json={"platform": "tmall", "approve": True, "force": True, "reason": "详情页另做"},
                   headers=headers)
        assert r.status_code == 200 and r.json()["state"] == "approved", r.text
        assert "强制：校验有错误" in c.get("/a/A1023").text


def test_bad_review_input_is_refused_with_the_field(workspace):
    assert cli(workspace, "review", "A1023", "--platform", "tmall", "--approve", "--send-back", "x").exit_code == 2
    res = cli(workspace, "review", "A1023", "--platform", "tmall", "--approve", "--by", "李四")
    assert res.exit_code == 2 and "天猫" in res.output  # no outputs yet: nothing to approve
    ws = Workspace.open(workspace)
    with pytest.raises(ImgpipeError) as err:
        decide(ws, "A1023", "tmall", approve=True, who="  ")
    assert err.value.field == "by"


@pytest.fixture
def language_restored():
    """The CLI sets the interface language of this process from the workspace: back as it was after."""
    from imgpipe.messages import get_language, set_language

    before = get_language()
    yield
    set_language(before)


def _in_language(root: Path, lang: str) -> None:
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "zh"', f'language = "{lang}"', 1),
                    encoding="utf-8")


@pytest.mark.parametrize("lang, label, said", [("zh", "天猫", "还没有生成任何图片"), ("en", "Tmall", "has no images for")])
def test_a_refusal_before_the_platform_is_checked_names_it_as_operations_do(workspace, lang, label, said,
                                                                          language_restored):
    """review.no_outputs said "A1023 在 tmall 还没有生成任何图片": the key, where every other sentence says 天猫."""
    _in_language(workspace, lang)
    res = cli(workspace, "review", "A1023", "--platform", "tmall", "--approve", "--by", "李四")
    assert res.exit_code == 2 and said in res.output, res.output
    sentence = next(line for line in res.output.splitlines() if said in line)
    assert label in sentence and "tmall" not in sentence


@pytest.mark.slow
@pytest.mark.parametrize("lang, label", [("zh", "天猫"), ("en", "Tmall")])
def test_an_unknown_image_and_a_dry_run_name_the_platform_as_operations_do(shop, lang, label, language_restored):
    """review.unknown_image and run.would_plan said tmall; the command to type still says tmall."""
    _in_language(shop, lang)
    res = cli(shop, "review", "A1023", "--platform", "tmall", "--send-back", "x", "--image", "nope.jpg", "--by", "李四")
    assert res.exit_code == 2, res.output
    sentence = next(line for line in res.output.splitlines() if "nope.jpg" in line)
    assert label in sentence and "tmall" not in sentence
    next((shop / "output" / "tmall" / "A1023").rglob("*.jpg")).unlink()  # one image to make again
    res = cli(shop, "run", "--dry-run", "--platform", "tmall")
    assert res.exit_code == 0, res.output
    (plan,) = [line for line in res.output.splitlines() if line.startswith("A1023 ·")]
    assert label in plan and "tmall" not in plan


@pytest.mark.slow
def test_export_zips_exactly_the_approved_images_in_upload_order_with_a_listing_sheet(shop, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    res = cli(shop, "export", "A1023", "--platform", "tmall", "-o", str(tmp_path / "out"))
    assert res.exit_code == 2 and "--force" in res.output  # not approved
    assert not (tmp_path / "out").exists()
    assert cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--by", "李四", *NO_PAGE).exit_code == 0
    res = cli(shop, "export", "A1023", "--platform", "tmall", "-o", str(tmp_path / "out"), "--by", "李四", "--json")
    assert res.exit_code == 0, res.output
    package = json.loads(res.stdout)
    approved = Workspace.open(shop).catalog.last_decisions("A1023")[("A1023", "tmall")]["outputs"]
    with zipfile.ZipFile(tmp_path / "out" / "A1023-tmall.zip") as zf:
        assert zf.testzip() is None
        names = zf.namelist()
        images = [n for n in names if not n.endswith(".xlsx")]
        assert [n.split("-", 1)[0] for n in images] == [f"{i:02d}" for i in range(1, len(images) + 1)]
        kinds = [n.split("-", 1)[1].rsplit(".", 1)[0] for n in images]
        # main 1..n, white, transparent, one SKU per colour in the sheet's order (no slices: no browser here)
        # then Tmall's 3:4 main images (a 服装 article), named as the report names them, 主图（3:4）, with
        # the ratio sign for the colon: no ":" in a Windows file name
        mains = [k for k in kinds if re.fullmatch(r"主图\d+", k)]
        tall = [k for k in kinds if k.startswith("主图（3∶4）")]
        assert mains == [f"主图{i}" for i in range(1, len(mains) + 1)] and mains
        assert tall == [f"主图（3∶4）{i}" for i in range(1, len(tall) + 1)] and tall
        assert kinds == mains + tall + ["白底图", "透明图", "SKU-白色", "SKU-藏青", "SKU-红色"]
        for item in package["images"]:  # the very bytes approved
            sha = hashlib.sha256(zf.read(item["name"])).hexdigest()
            assert approved[item["path"]].endswith(":" + sha)
        book = load_workbook(io.BytesIO(zf.read("A1023-tmall.xlsx")))
    values = {row[0]: row[1] for row in book.active.iter_rows(values_only=True)}
    assert values["货号"] == "A1023" and values["标题"] == "禾象纯棉衬衫男长袖" and values["品牌"] == "禾象"
    assert values["类目"] == "服装" and values["价格（元）"] == 199
    assert values["颜色"] == "白色 / 藏青 / 红色" and values["尺码"] == "S / M / L / XL"
    assert values["尺寸"] == "70×50×2 cm" and values["图片（上传顺序）"].split("\n") == images
    # an approved image edited by hand afterwards is not the one approved: refused, naming it
    white = next(item["path"] for item in package["images"] if "白底图" in item["name"])
    (shop / white).write_bytes((shop / white).read_bytes() + b"\0")
    res = cli(shop, "export", "A1023", "--platform", "tmall", "-o", str(tmp_path / "again"))
    assert res.exit_code == 2 and white in res.output and not (tmp_path / "again").exists()
    # JD is not approved: exported only when forced, and recorded so (were its validation clean: with
    # errors, as here without a browser, even a forced export is refused)
    assert cli(shop, "export", "A1023", "--platform", "jd", "-o", str(tmp_path / "out"), "--force").exit_code == 2
    monkeypatch.setattr("imgpipe.approval.validation_errors", lambda *args: [])
    assert cli(shop, "export", "A1023", "--platform", "jd", "-o", str(tmp_path / "out"), "--force").exit_code == 0
    log = Workspace.open(shop).catalog.activity("A1023")
    assert [(e["platform"], e["action"], e["forced"]) for e in log if e["action"] == "export"] == [
        ("tmall", "export", False), ("jd", "export", True)]


@pytest.mark.slow
def test_the_history_goes_into_the_backup_and_comes_back_with_restore(shop, tmp_path):
    target = tmp_path / "backup"
    toml = shop / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('target = ""', f'target = "{target.as_posix()}"'),
                    encoding="utf-8")
    assert cli(shop, "review", "A1023", "--platform", "tmall", "--approve", "--by", "李四", *NO_PAGE).exit_code == 0
    assert cli(shop, "soldout", "A1023", "--colour", "红色", "--by", "王五").exit_code == 0
    assert cli(shop, "backup").exit_code == 0
    fresh = tmp_path / "fresh"
    init_workspace(fresh)
    for settings in shop.iterdir():  # imgpipe.toml and the product sheet: what a shop keeps elsewhere too
        if settings.is_file():
            shutil.copy(settings, fresh / settings.name)
    res = cli(fresh, "restore")
    assert res.exit_code == 0, res.output
    log = Workspace.open(fresh).catalog.activity("A1023")
    assert [(e["who"], e["action"]) for e in log] == [("李四", "approve"), ("王五", "soldout")]
    assert log[1]["detail"] == {"colour": "红色", "size": ""}


@pytest.mark.slow
def test_serve_watch_takes_a_fix_from_the_page_and_logs_who_made_it(shop):
    from starlette.testclient import TestClient

    from imgpipe.lock import WorkspaceLock
    from imgpipe.sidecar import load_sidecar, sidecar_path
    from imgpipe.web.app import create_app

    with WorkspaceLock(shop, "watch"):  # the server's own watcher holds the workspace
        app = create_app(shop, watching=True)
        state = app.state.web
        with TestClient(app, base_url="http://127.0.0.1:8765", client=("127.0.0.1", 50000)) as c:
            c.cookies.set("imgpipe_who", "%E5%BC%A0%E4%B8%89")  # 张三, as the page's cookie holds it
            r = c.post("/a/A1023/fix", json={"action": "white", "seq": 3}, headers={"X-CSRF-Token": state.csrf})
            assert r.status_code == 200, r.text
            assert state.runner.wait(300)
        assert state.runner.last["A1023"]["type"] == "done", state.runner.last["A1023"]
    ws = Workspace.open(shop)
    assert load_sidecar(sidecar_path(ws.root, ws.sheet().products["A1023"])).white == 3
    (entry,) = ws.catalog.activity("A1023")
    assert (entry["who"], entry["action"], entry["detail"]) == ("张三", "fix", {"action": "white", "seq": 3})


def test_upload_order_puts_a_3x4_main_after_the_main_images_and_skus_in_colour_order():
    from types import SimpleNamespace

    from imgpipe.export import upload_order

    profile = SimpleNamespace(roles={"main_34": SimpleNamespace(like="main", width=750, height=1000),
                                     "main": SimpleNamespace(like="", width=800, height=800)})
    rows = [SimpleNamespace(role=r, kind=kind, path=f"output/tmall/A1023/{r}/{name}", colour=colour)
            for r, kind, name, colour in (  # catalog.OutputRecord's fields upload_order reads
                ("sku", "sku", "A1023-02-红色.jpg", "红色"), ("detail", "detail", "A1023-02.jpg", ""),
                ("main", "main", "A1023-02.jpg", ""), ("white", "white", "A1023-02.jpg", ""),
                ("main_34", "main", "A1023-01.jpg", ""), ("transparent", "transparent", "A1023-02.png", ""),
                ("main", "main", "A1023-01.jpg", ""), ("sku", "sku", "A1023-04-白色.jpg", "白色"),
                ("large", "large", "A1023-02.jpg", ""))]
    slices = ["output/tmall/A1023/page/A1023-detail-01.jpg", "output/tmall/A1023/page/A1023-detail-02.jpg"]
    order = upload_order(rows, slices, ("白色", "藏青", "红色"), profile)
    assert [name for name, _ in order] == ["01-主图1.jpg", "02-主图2.jpg", "03-主图（3∶4）1.jpg", "04-白底图.jpg",
                                           "05-透明图.png", "06-SKU-白色.jpg", "07-SKU-红色.jpg", "08-详情1.jpg",
                                           "09-详情2.jpg"]
    assert order[0][1].endswith("main/A1023-01.jpg") and order[-1][1] == slices[-1]



def test_the_3x4_main_image_has_one_name_in_the_report_and_in_the_package():
    """The report said "主图（3:4）", the listing package "主图（750x1000）1.jpg": the same images."""
    from types import SimpleNamespace

    from imgpipe.export import upload_order
    from imgpipe.messages import get_language, set_language
    from imgpipe.validate.validator import _label

    spec = SimpleNamespace(like="main", width=750, height=1000)
    profile = SimpleNamespace(roles={"main_3x4": spec})
    row = SimpleNamespace(role="main_3x4", kind="main", path="output/tmall/G501/main_3x4/G501-02.jpg", colour="",
                          selling_point=None)
    was = get_language()
    try:
        for lang, shown, name in (("zh", "主图（3:4）", "01-主图（3∶4）1.jpg"), ("en", "main (3:4)", "01-main (3∶4) 1.jpg")):
            set_language(lang)
            assert _label(row, profile) == shown  # the validation report's card
            assert [n for n, _ in upload_order([row], [], (), profile)] == [name]
            assert ":" not in name and name.replace("\u2236", ":").startswith("01-" + shown)
    finally:
        set_language(was)


def test_the_listing_sheet_names_the_platform_as_the_operator_knows_it():
    from openpyxl import load_workbook

    from imgpipe.export import listing_sheet
    from imgpipe.messages import get_language, set_language
    from imgpipe.profiles import load_profile
    from imgpipe.sheet import Product

    tmall = load_profile("tmall")
    product = Product(article="A1023", name="纯棉衬衫", category="服装", colours=("白色",), sizes=("M",))
    before = get_language()
    try:
        for lang, label in (("zh", "天猫"), ("en", "Tmall")):
            set_language(lang)
            data = listing_sheet(product, tmall, [("01-主图1.jpg", "x")], "")
            rows = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
            assert rows[2][1] == label  # 货号, then 平台: "tmall" meant nothing on the listing form
    finally:
        set_language(before)


def test_review_sentences_write_the_time_as_a_person_does():
    """`imgpipe export` refused with "审核员 于 2026-12-07T22:09:13 …"; `history` wrote the same ISO time."""
    import io as _io

    from rich.console import Console

    from imgpipe.report_cli import print_history
    from imgpipe.review import Review, why_not_approved

    d = {"action": "approve", "who": "审核员", "at": "2026-12-07T22:09:13", "note": "主图2 背景有污点"}
    lapsed = Review("G501", "tmall", "pending", d, lapsed=True, outputs=3)
    back = Review("G501", "tmall", "sent_back", dict(d, action="send_back"), outputs=3)
    for review in (lapsed, back):
        assert "2026-12-07 22:09:13" in why_not_approved(review) and "T22" not in why_not_approved(review)
    out = Console(file=_io.StringIO(), width=200)
    from types import SimpleNamespace
    print_history(SimpleNamespace(reviews={"tmall": lapsed}, entries=[], article="G501"), out)
    assert "2026-12-07 22:09:13" in out.file.getvalue()
