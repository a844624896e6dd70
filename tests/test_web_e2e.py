"""The workbench end to end: the demo shop, a real server, the system Chromium driven by Playwright.

One demo workspace for the module (Tmall only, jobs = 1, so a run takes
seconds, not minutes); the tests run in file order and build on each other
as a designer's session would. `IMGPIPE_SCREENSHOTS=docs` also writes the
README's screenshots into docs/.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

from conftest import TEST_NOW, jpeg_bytes, studio_photo
from web_server import running

from imgpipe.workspace import Workspace

playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

CHROMIUM = next((p for p in (os.environ.get("IMGPIPE_BROWSER"), "/usr/bin/chromium", "/usr/bin/chromium-browser",
                             shutil.which("chromium"), shutil.which("chromium-browser")) if p and Path(p).is_file()),
                None)
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no Chromium found (apt-get install chromium)")]
DOCS = Path(__file__).resolve().parent.parent / "docs"
WAIT_MS = 300_000  # a re-render on a busy 2-core machine


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace, init_workspace

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMGPIPE_NOW", TEST_NOW)
        root = tmp_path_factory.mktemp("web") / "shop"
        init_workspace(root, demo=True)
        toml = root / "imgpipe.toml"
        text = toml.read_text(encoding="utf-8").replace("jobs = 0", "jobs = 1")
        toml.write_text(text.replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]'), encoding="utf-8")
        ws = Workspace.open(root)
        summary = run(ws)
        assert summary.ok and summary.written, summary.failed
        ws.catalog.close()
        yield root


@pytest.fixture(scope="module")
def server(shop):
    from imgpipe.web.app import create_app

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IMGPIPE_NOW", TEST_NOW)
        app = create_app(shop)
        with running(app) as port:
            yield f"http://127.0.0.1:{port}", app.state.web


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1180, "height": 760}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def _screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path))
    from PIL import Image

    with Image.open(path) as img:
        assert img.size == (1180, 760)
        # a real page: many distinct colours, not a blank or an error screen
        assert len(img.convert("RGB").resize((236, 152)).getcolors(1 << 16) or []) > 200
    if os.environ.get("IMGPIPE_SCREENSHOTS") == "docs":
        DOCS.mkdir(exist_ok=True)
        with Image.open(path) as img:  # small for the README: a palette PNG
            img.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE).save(DOCS / name, optimize=True)
    return path


def _images_loaded(page) -> None:
    page.wait_for_function("""() => [...document.images].filter(i => {
        const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight;
      }).every(i => i.complete && i.naturalWidth > 0)""", timeout=60_000)


def _sidecar(shop: Path, article="A1023", category="服装"):
    from imgpipe.sidecar import load_sidecar

    return load_sidecar(shop / "originals" / category / article / "article.toml")


def _act_and_wait_for_reload(page, action) -> None:
    """Do `action`; the page reloads itself when the server reports the job done (server-sent event)."""
    with page.expect_navigation(timeout=WAIT_MS):
        action()
    _images_loaded(page)


def test_start_page_shows_the_board(page, server, tmp_path):
    url, _ = server
    page.goto(url + "/")
    rows = page.locator("table.board tbody tr")
    assert rows.count() == 4
    # most urgent first: C3301 arrived 11-20, due 11-23, three days over on 2026-11-26 (the pinned clock)
    first = rows.nth(0)
    assert first.get_attribute("data-article") == "C3301" and "t-overdue" in first.get_attribute("class")
    assert "已超期 3 天" in first.inner_text()
    colour = first.locator("td.timing").evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(192, 21, 47)"  # red
    a1023 = page.locator("tr[data-article=A1023]")
    assert "还剩 1 天" in a1023.inner_text() and "可上架" in a1023.inner_text()
    page.select_option("select[name=timing]", "overdue")
    page.click("form.filters button")
    shown = page.locator("table.board tbody tr")
    assert shown.count() == 1 and shown.get_attribute("data-article") == "C3301"  # B2045 is due today
    page.goto(url + "/")
    _screenshot(page, tmp_path, "workbench-today.png")
    page.click("text=A1023")
    assert page.url.endswith("/a/A1023")


def test_article_page_shows_originals_and_outputs(page, server, tmp_path):
    url, _ = server
    page.goto(url + "/a/A1023")
    strip = page.locator("#strip figure.photo")
    assert strip.count() == 7
    assert "色卡" in strip.nth(0).inner_text()  # the grey card, marked and not selectable
    # the demo shirt is shot red, navy, white: 红色's SKU photo is measured, photo 2
    assert "SKU 红色" in page.locator("figure.photo[data-seq='2']").inner_text()
    skus = page.locator("details[data-platform=tmall] figure.out[data-role=sku]")
    assert skus.count() == 3
    assert page.locator("details[data-platform=tmall] > summary").inner_text() == "天猫"  # not the key "tmall"
    href = skus.nth(0).locator("a").get_attribute("href")
    full = page.request.get(url + href)
    assert full.ok and full.headers["content-type"] == "image/jpeg"
    _images_loaded(page)
    _screenshot(page, tmp_path, "workbench-article.png")
    # colour before/after: the strip switches to the corrected detail images and back
    second = page.locator("figure.photo[data-seq='2'] img")
    original = second.get_attribute("src")
    page.click("#toggle-after")
    assert second.get_attribute("src") == "/thumb/output/tmall/A1023/detail/A1023-02.jpg"
    page.wait_for_function("() => document.querySelector(\"figure.photo[data-seq='2'] img\").naturalWidth > 0")
    page.click("#toggle-after")
    assert second.get_attribute("src").endswith(original)


def test_drop_three_photos_and_see_them_processed(page, server, shop):
    url, state = server
    page.goto(url + "/a/B2045")
    before = page.locator("#strip figure.photo").count()
    files = [base64.b64encode(jpeg_bytes(studio_photo(1200, 900, seed=40 + i, product=(30 + 40 * i, 90, 60))))
             .decode() for i in range(3)]

    def drop():
        page.evaluate("""(files) => {
            const dt = new DataTransfer();
            files.forEach((b64, i) => {
              const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
              dt.items.add(new File([bytes], `新到 ${i + 1}.jpg`, {type: "image/jpeg"}));
            });
            const zone = document.getElementById("article-drop");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }""", files)

    _act_and_wait_for_reload(page, drop)
    assert page.locator("#strip figure.photo").count() == before + 3
    for seq in range(before + 1, before + 4):
        assert (shop / "originals" / "家居" / "B2045" / f"B2045-{seq:02d}.jpg").is_file()
        assert (shop / "output" / "tmall" / "B2045" / "detail" / f"B2045-{seq:02d}.jpg").is_file()
        assert page.locator(f"figure.out[data-path='output/tmall/B2045/detail/B2045-{seq:02d}.jpg']").count() == 1
    assert not [p for p in (shop / "inbox").rglob("*") if p.is_file()]


def test_change_a_colours_sku_photo(page, server, shop):
    url, _ = server
    page.goto(url + "/a/A1023")
    assert (shop / "output/tmall/A1023/sku/A1023-02-红色.jpg").is_file()
    page.click("figure.photo[data-seq='6']")
    page.select_option("#colour", "红色")
    _act_and_wait_for_reload(page, lambda: page.click("[data-act=sku]"))
    assert _sidecar(shop).colours["红色"][0] == 6
    assert (shop / "output/tmall/A1023/sku/A1023-06-红色.jpg").is_file()
    assert not (shop / "output/tmall/A1023/sku/A1023-02-红色.jpg").exists()
    shown = page.locator("details[data-platform=tmall] figure.out[data-role=sku][data-colour='红色']")
    assert shown.get_attribute("data-path") == "output/tmall/A1023/sku/A1023-06-红色.jpg"
    assert "SKU 红色" in page.locator("figure.photo[data-seq='6']").inner_text()


def test_main_images_by_pointing(page, server, shop):
    """Two quick clicks (add 07, then move it up) before the first redraw is done: both count, in order."""
    url, state = server
    page.goto(url + "/a/A1023")
    assert page.locator(".main-order").get_attribute("data-auto") == "2,3,4,6"  # Tmall shows 4 main images
    main = shop / "output/tmall/A1023/main"
    assert not (main / "A1023-07.jpg").exists()
    page.click("figure.photo[data-seq='7']")
    with page.expect_navigation(timeout=WAIT_MS):
        page.click("[data-act=main-add]")
        page.wait_for_function("() => document.getElementById('main-order').textContent === '2, 3, 4, 6, 7'")
        page.click("[data-act=main-up]")
    assert state.runner.wait(WAIT_MS / 1000)
    assert _sidecar(shop).main == [2, 3, 4, 7, 6]
    # named by slot (主图1..4), showing photos 2, 3, 4, 7 in that order
    assert sorted(p.name for p in main.iterdir()) == ["A1023-01.jpg", "A1023-02.jpg", "A1023-03.jpg", "A1023-04.jpg"]
    ws = Workspace.open(shop)
    seq_of = {p.id: p.seq for p in ws.catalog.photos("A1023")}
    made = {r["path"]: seq_of[r["photo_id"]] for r in ws.catalog.outputs("A1023", "tmall") if r["role"] == "main"}
    ws.catalog.close()
    assert [made[f"output/tmall/A1023/main/A1023-{i:02d}.jpg"] for i in range(1, 5)] == [2, 3, 4, 7]
    fresh = page.context.new_page()  # the first page may still be reloading itself after the second job
    fresh.goto(url + "/a/A1023")
    assert fresh.locator("#main-order").inner_text() == "2, 3, 4, 7, 6"
    badges = {seq: fresh.locator(f"figure.photo[data-seq='{seq}'] .badge").all_inner_texts() for seq in (6, 7)}
    assert "主图" in badges[7] and "主图" not in badges[6]  # 06 is no square main image any more ...
    assert "主图（3:4）" in badges[6]  # ... but the 5th of Tmall's five 3:4 ones (the same order, one slot more)


def test_draw_a_crop_for_a_selling_point(page, server, shop):
    from PIL import Image

    url, _ = server
    page.goto(url + "/a/A1023")
    page.click("figure.photo[data-seq='4']")
    page.select_option("#selling-point", "1")
    page.click("[data-act=crop]")
    img = page.locator("#crop-img")
    page.wait_for_function("() => document.getElementById('crop-img').naturalWidth > 0")
    box = img.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.1 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.3 * box["height"], steps=5)
    page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.6 * box["height"], steps=5)
    page.mouse.up()
    assert page.locator("#crop-box").is_visible()
    _act_and_wait_for_reload(page, lambda: page.click("#crop-save"))
    point = _sidecar(shop).selling_points[0]
    assert point.photo == 4
    assert point.crop == pytest.approx([0.2, 0.1, 0.7, 0.6], abs=0.01)
    out = shop / "output/tmall/A1023/selling_point/A1023-04-sp01.jpg"
    points = shop / "output/tmall/A1023/selling_point"
    assert out.is_file() and [p.name for p in points.glob("*-sp01.jpg")] == ["A1023-04-sp01.jpg"]
    assert page.locator("figure.out[data-path='output/tmall/A1023/selling_point/A1023-04-sp01.jpg']").count() == 1
    # reopened, the editor shows the saved box
    page.click("figure.photo[data-seq='4']")
    page.click("[data-act=crop]")
    assert page.locator("#crop-box").is_visible()
    assert page.locator("#crop-box").evaluate("e => parseFloat(e.style.left)") == pytest.approx(20, abs=1)
    # the crop (a detail of the shirt) fills the image: it is not the picture of another selling point
    other = next(points.glob("*-sp02.jpg"))
    with Image.open(out) as a, Image.open(other) as b:
        assert a.size == b.size
        assert a.convert("L").tobytes() != b.convert("L").tobytes()


def test_sold_out_then_restock_gives_the_same_bytes(page, server, shop):
    url, _ = server
    sku = shop / "output/tmall/A1023/sku/A1023-03-藏青.jpg"
    before = sku.read_bytes()
    page.goto(url + "/a/A1023")
    _act_and_wait_for_reload(page, lambda: page.click(".soldout-btn[data-colour='藏青']"))
    assert sku.read_bytes() != before
    assert "已售罄" in page.locator("table.soldout tr", has_text="藏青").inner_text()
    from imgpipe.catalog import Catalog

    cat = Catalog(shop / ".imgpipe" / "catalog.sqlite")
    assert cat.soldout("A1023") == [("藏青", "")]
    assert "藏青" in str(cat.output("output/tmall/A1023/sku/A1023-03-藏青.jpg")["meta"])
    _act_and_wait_for_reload(page, lambda: page.click(".soldout-btn[data-colour='藏青']"))
    assert sku.read_bytes() == before
    assert cat.soldout("A1023") == []
    cat.close()


def test_mark_listed(page, server, shop):
    url, _ = server
    page.goto(url + "/a/A1023")
    with page.expect_navigation(timeout=60_000):
        page.click(".listed-btn[data-platform=tmall]")
    assert "已上架 2026-11-26" in page.locator("p.listing").inner_text()
    page.goto(url + "/")
    row = page.locator("tr[data-article=A1023]")
    assert "已上架" in row.inner_text()


def test_validation_report_page(page, server, shop):
    url, _ = server
    page.goto(url + "/reports")
    assert page.locator("section.card").count() == 0
    _act_and_wait_for_reload(page, lambda: page.click("#validate-btn"))
    assert sorted(p.name for p in (shop / "reports").glob("*.json")) == ["validation-tmall-2026-11-26.json"]
    cards = page.locator("section.card")
    assert cards.count() == 4
    # the demo scarf has four selling points: it fails R4, and failing cards come first
    scarf = page.locator("section.card[data-article=D4410]")
    assert "st-error" in scarf.get_attribute("class") and "st-error" in cards.nth(0).get_attribute("class")
    thumbs = scarf.locator(".grid img")
    # the thumbnail is made on request: wait for it to load (a loaded machine takes seconds), then measure
    width = thumbs.nth(0).evaluate("i => i.complete && i.naturalWidth ? i.naturalWidth : new Promise("
                                   "r => { i.onload = () => r(i.naturalWidth); i.onerror = () => r(-1); })")
    assert thumbs.count() > 5 and width == 240
    page.select_option("select[name=status]", "error")
    page.click("form.filters button")
    shown = page.locator("section.card")
    assert 1 <= shown.count() < 4
    assert all("st-error" in shown.nth(i).get_attribute("class") for i in range(shown.count()))
    page.click("section.card[data-article=D4410] h2 a")
    assert page.url.endswith("/a/D4410")
    assert "R4" in page.locator("section.checks").inner_text()
