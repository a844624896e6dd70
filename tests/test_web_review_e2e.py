"""Operations review in the workbench, end to end: two named people in two browser contexts.

A designer (张三) and operations (李四) on one demo shop (Tmall only): the
designer fixes a pick, operations approves Tmall and downloads the listing
package, a later fix returns the article to 待审核, a send-back note shows on
the board and in the history, and a forced `listed` is recorded. The tests
build on each other in file order, as a working day would.
`IMGPIPE_SCREENSHOTS=docs` writes the README's review screenshots.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from click.testing import CliRunner

# the same demo shop (Tmall only), server and Chromium as test_web_e2e.py, made afresh for this module
from test_web_e2e import (CHROMIUM, _act_and_wait_for_reload, _images_loaded, _screenshot, _sidecar,  # noqa: F401
                          browser, server, shop)

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium)")]
NOTE = "主图2 背景有污点"


@pytest.fixture(scope="module")
def people(browser, server):
    """Two browsers' worth of pages: {"designer": page, "operations": page}, each its own cookies."""
    pages = {}
    contexts = []
    for role in ("designer", "operations"):
        context = browser.new_context(viewport={"width": 1180, "height": 760}, locale="zh-CN", accept_downloads=True)
        contexts.append(context)
        pages[role] = context.new_page()
    yield pages
    for context in contexts:
        context.close()


def _name(page, url: str, name: str) -> None:
    page.goto(url + "/")
    assert page.locator("#who .who-ask").is_visible()  # asked once per browser
    page.fill("#who-input", name)
    page.click("#who button[type=submit]")
    assert page.locator("#who-name").inner_text() == name
    page.reload()
    assert page.locator("#who-name").inner_text() == name and not page.locator("#who .who-ask").is_visible()


def _park(page) -> None:
    """Take `page` off the workbench: an open article or board reloads itself when someone else's job is
    done (server-sent event), and that reload would interrupt this page's next goto."""
    page.goto("about:blank")


def _review_box(page, platform="tmall"):
    return page.locator(f"#review .rv[data-platform={platform}]")


def _cli_history(shop) -> list[dict]:
    from imgpipe.cli import main

    res = CliRunner().invoke(main, ["-w", str(shop), "history", "A1023", "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["activity"]


def test_each_browser_is_asked_for_a_name_once(people, server):
    url, _ = server
    _name(people["designer"], url, "张三")
    _name(people["operations"], url, "李四")
    # the names live in each browser: the designer's page still says 张三
    people["designer"].goto(url + "/")
    assert people["designer"].locator("#who-name").inner_text() == "张三"


def test_designer_fixes_a_pick_and_the_history_names_her(people, server, shop):
    url, _ = server
    page = people["designer"]
    _park(people["operations"])
    page.goto(url + "/a/A1023")
    assert _review_box(page).get_attribute("data-state") == "pending"
    page.click("figure.photo[data-seq='3']")
    _act_and_wait_for_reload(page, lambda: page.click("[data-act=white]"))
    assert _sidecar(shop).white == 3
    first = page.locator("table.history tr.act-fix").first
    assert "张三" in first.inner_text() and "修改用图" in first.inner_text()


def test_operations_approves_tmall_and_downloads_the_package(people, server, shop, tmp_path):
    url, _ = server
    page = people["operations"]
    page.goto(url + "/a/A1023")
    with page.expect_navigation(timeout=60_000):
        page.click("#review .approve-btn[data-platform=tmall]")
    box = _review_box(page)
    assert box.get_attribute("data-state") == "approved" and "李四" in box.inner_text()
    # the page reloads itself after the download (the export is in the history now): wait for that
    # reload, or the next goto races it (net::ERR_ABORTED)
    with page.expect_navigation(timeout=60_000), page.expect_download(timeout=60_000) as download:
        page.click("#review .export-btn[data-platform=tmall]")
    saved = tmp_path / "package.zip"
    download.value.save_as(saved)
    with zipfile.ZipFile(saved) as zf:
        names = zf.namelist()
    assert names[0] == "01-主图1.jpg" and "A1023-tmall.xlsx" in names
    assert any(n.endswith("-白底图.jpg") for n in names) and any("详情1" in n for n in names)
    page.goto(url + "/?review=approved:tmall")
    rows = page.locator("table.board tbody tr")
    assert rows.count() == 1 and rows.get_attribute("data-article") == "A1023"
    assert "已通过" in page.locator("tr[data-article=A1023] td.pf[data-platform=tmall]").inner_text()
    page.goto(url + "/a/A1023")
    page.evaluate("document.getElementById('review').scrollIntoView()")  # the review, then the history
    _screenshot(page, tmp_path, "review-approved.png")


def test_a_later_fix_returns_the_article_to_pending(people, server, shop):
    url, _ = server
    designer, operations = people["designer"], people["operations"]
    _park(operations)
    designer.goto(url + "/a/A1023")
    designer.click("figure.photo[data-seq='2']")
    _act_and_wait_for_reload(designer, lambda: designer.click("[data-act=white]"))
    assert _sidecar(shop).white == 2
    operations.goto(url + "/a/A1023")
    box = _review_box(operations)
    assert box.get_attribute("data-state") == "pending" and "审核已失效（文件已变）" in box.inner_text()
    assert "原审核员 李四" in box.inner_text()
    operations.goto(url + "/")
    operations.select_option("select[name=review]", "pending:tmall")
    assert "待审核 · 天猫" in operations.locator("select[name=review]").inner_text()
    operations.click("form.filters button")
    shown = [operations.locator("table.board tbody tr").nth(i).get_attribute("data-article")
             for i in range(operations.locator("table.board tbody tr").count())]
    assert "A1023" in shown


def test_a_send_back_shows_on_the_board_and_in_the_history(people, server, shop, tmp_path):
    url, _ = server
    page = people["operations"]
    page.goto(url + "/a/A1023")
    box = _review_box(page)
    box.locator(".sendback-note").fill(NOTE)
    box.locator(".sendback-image").select_option("output/tmall/A1023/main/A1023-02.jpg")
    with page.expect_navigation(timeout=60_000):
        box.locator(".sendback-btn").click()
    assert _review_box(page).get_attribute("data-state") == "sent_back"
    assert NOTE in _review_box(page).inner_text() and "A1023-02.jpg" in _review_box(page).inner_text()
    history = page.locator("table.history")
    assert NOTE in history.inner_text()
    assert "设为白底图: 02" in history.inner_text()  # the designer's fixes say what they changed
    page.evaluate("document.getElementById('review').scrollIntoView()")  # sent back, with the history below
    _screenshot(page, tmp_path, "review-history.png")
    # the designer's board marks it, with the note
    designer = people["designer"]
    designer.goto(url + "/")
    cell = designer.locator("tr[data-article=A1023] td.pf[data-platform=tmall]")
    assert cell.get_attribute("data-review") == "sent_back" and NOTE in cell.inner_text()
    _images_loaded(designer)
    _screenshot(designer, tmp_path, "review-board.png")
    entries = _cli_history(shop)
    assert [(e["who"], e["action"]) for e in entries] == [("张三", "fix"), ("李四", "approve"), ("李四", "export"),
                                                          ("张三", "fix"), ("李四", "send_back")]
    assert entries[-1]["note"] == NOTE and entries[-1]["image"] == "output/tmall/A1023/main/A1023-02.jpg"


def test_listed_although_sent_back_is_recorded_as_forced(people, server, shop):
    url, _ = server
    page = people["operations"]
    page.goto(url + "/a/A1023")
    button = page.locator(".listed-btn[data-platform=tmall]")
    assert button.get_attribute("data-force") == "true" and "强制" in button.inner_text()
    with page.expect_navigation(timeout=60_000):
        button.click()
    assert "已上架 2026-11-26" in page.locator("p.listing").inner_text()
    forced = page.locator("table.history tr.forced")
    assert forced.count() == 1 and "李四" in forced.inner_text() and "强制" in forced.inner_text()
    last = _cli_history(shop)[-1]
    assert (last["who"], last["action"], last["platform"], last["forced"]) == ("李四", "listed", "tmall", True)
    # the CSV export from the page holds the same history
    res = page.request.get(url + "/a/A1023/history.csv")
    text = res.body().decode("utf-8-sig")
    assert res.ok and NOTE in text and text.count("\r\n") == 1 + 6
    assert io.StringIO(text).readline().startswith("at,who,article,platform,action,forced")
