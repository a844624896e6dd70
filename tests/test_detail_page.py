"""Detail pages: template -> HTML -> real headless Chromium -> slices.

The browser checks run in the installed Chromium/Chrome (found like the
pipeline finds it); they are skipped, with the reason, only when none is
installed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

import imgpipe.browser as browser_module
from imgpipe.browser import Browser, BrowserSession, find_browser
from imgpipe.detail_page import (
    DetailImages,
    natural_left,
    render_detail_html,
    render_detail_page,
    slice_bounds,
    slice_page,
    quiet_rows,
    write_slices,
)
from imgpipe.errors import ImgpipeError
from imgpipe.profiles import DetailPageSpec, load_profile
from imgpipe.sheet import Product

HOSTILE_NOTE = "<script>document.title='pwned'</script> 手工测量</table><b>粗</b>"
HOSTILE_POINT = "{{ 7*7 }} 双层加厚 <img src=x onerror=\"document.title='pwned'\">"
CJK_FONTS = ("Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei")


def photo(path: Path, size=(790, 420), colour=(60, 90, 140), seed=0) -> Path:
    """A product-like test photo: coloured ground, a light shape, some texture."""
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(img)
    w, h = size
    draw.ellipse((w * 0.2, h * 0.15, w * 0.8, h * 0.85), fill=(235, 232, 225))
    for _ in range(20):
        x, y = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        draw.rectangle((x, y, x + 18, y + 18), fill=tuple(int(v) for v in rng.integers(0, 255, 3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, quality=90)
    return path


def make_product(n_points: int = 5, **overrides) -> Product:
    points = [f"卖点{i}：纯棉面料，亲肤透气" for i in range(1, n_points + 1)]
    if n_points >= 2:
        points[1] = HOSTILE_POINT
    values = dict(
        article="A1023", name="禾象纯棉收纳篮 大号", category="家居", brand="禾象",
        colours=("红色", "藏青"), fabric="纯棉", sizes=("S", "M", "L"),
        length_cm=30.0, width_cm=20.5, height_cm=12.0, note=HOSTILE_NOTE,
        selling_points=tuple(points),
    )
    values.update(overrides)
    return Product(**values)


def make_images(folder: Path, product: Product, n_details: int = 3) -> DetailImages:
    return DetailImages(
        header=photo(folder / "头图.jpg", (790, 560), (150, 40, 50)),
        selling_points=[
            (photo(folder / f"卖点-{i:02d}.jpg", (790, 420), (40 + 5 * i % 200, 90, 140), seed=i), caption)
            for i, caption in enumerate(product.selling_points, start=1)
        ],
        details=[photo(folder / f"细节-{i}.png", (790, 500), (60, 120, 80), seed=100 + i) for i in range(1, n_details + 1)],
    )


@pytest.fixture(scope="module")
def browser() -> Path:
    found = find_browser()
    if found is None:
        pytest.skip("no Chromium/Chrome/Edge installed (apt-get install chromium, or set IMGPIPE_BROWSER)")
    return found


@pytest.fixture(scope="module")
def session(browser):
    with BrowserSession(browser) as s:
        yield s


@pytest.fixture(scope="module")
def tmall_page(tmp_path_factory):
    """The standard page, written under a Chinese folder name with a space (file:// URL encoding)."""
    root = tmp_path_factory.mktemp("detail")
    product = make_product()
    images = make_images(root / "素材", product)
    spec = load_profile("tmall").detail_page
    html = render_detail_html(
        product, spec, images, root / "输出 目录" / "tmall" / "A1023" / "page",
        shop_name="禾象旗舰店", platform_label="天猫",
    )
    return product, spec, html


# --- HTML folder -----------------------------------------------------------


def test_html_folder_is_self_contained(tmall_page):
    product, spec, html = tmall_page
    text = html.read_text(encoding="utf-8")
    sources = re.findall(r'<img [^>]*src="([^"]+)"', text)
    assert len(sources) == 1 + 5 + 3  # header, selling points, details
    for src in sources:
        assert src.startswith("img/"), src
        assert (html.parent / src).is_file()
    assert "http://" not in text and "https://" not in text and "<link" not in text
    for family in ('"Noto Sans CJK SC"', '"Source Han Sans SC"', "sans-serif"):  # free for commercial use
        assert family in text
    for family in ("PingFang", "YaHei", "SimSun", "SimHei"):  # system fonts, not licensed for product images
        assert family not in text
    assert f"width: {spec.width}px" in text
    assert "30×20.5×12 cm" in text


# --- in the browser ------------------------------------------------------------


def test_page_at_profile_width_no_overflow_all_images_loaded(session, tmall_page):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    info = session.evaluate(
        "({sw: document.documentElement.scrollWidth, bw: document.body.getBoundingClientRect().width,"
        " imgs: Array.from(document.images, i => [i.complete, i.naturalWidth, i.getBoundingClientRect().right])})"
    )
    assert info["sw"] <= spec.width
    assert info["bw"] == spec.width
    assert len(info["imgs"]) == 9
    for complete, natural_width, right in info["imgs"]:
        assert complete and natural_width > 0
        assert right <= spec.width


def test_spec_table_shows_sheet_values(session, tmall_page):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    rows = session.evaluate(
        "Object.fromEntries(Array.from(document.querySelectorAll('table.specs tr'),"
        " tr => [tr.className, [tr.querySelector('th').innerText, tr.querySelector('td').innerText]]))"
    )
    assert rows["spec-measurements"] == ["尺寸（长×宽×高）", "30×20.5×12 cm"]
    assert rows["spec-measurements"][1] == product.measurements()
    assert rows["spec-article"][1] == "A1023"
    assert rows["spec-colours"][1] == "红色、藏青"
    assert rows["spec-sizes"][1] == "S、M、L"
    assert rows["spec-fabric"][1] == "纯棉"


def test_untrusted_text_stays_text(session, tmall_page):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    state = session.evaluate(
        "({title: document.title, scripts: document.scripts.length, tables: document.querySelectorAll('table').length,"
        " bold: document.querySelectorAll('b').length, imgs: document.images.length,"
        " note: document.querySelector('tr.spec-note td').innerText,"
        " point: document.querySelectorAll('.point .text')[1].innerText,"
        " footerAfterTable: !!document.querySelector('body > #specs ~ #details ~ footer')})"
    )
    assert state["title"] == f"{product.name} {product.article}"  # the injected script did not run
    assert state["scripts"] == 0
    assert state["tables"] == 1 and state["bold"] == 0 and state["imgs"] == 9
    assert state["note"] == HOSTILE_NOTE
    assert state["point"] == HOSTILE_POINT  # "{{ 7*7 }}" literally, not 49
    assert state["footerAfterTable"]


def test_chinese_text_has_real_glyphs(session, tmall_page):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    # which font the browser really used for the product name
    # (only the browser knows; Playwright's CDP session asks it)
    cdp = session.page.context.new_cdp_session(session.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    h1 = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "h1"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h1})["fonts"]
    cdp.detach()
    assert any(f["familyName"] in CJK_FONTS for f in fonts), fonts
    # and the pixels: real glyphs differ from each other and from a missing-glyph box
    chars = ["禾", "象", "棉", "篮", "\U0010FFFD"]
    rects = session.evaluate(
        "(() => { const box = document.createElement('div'); box.style.cssText = 'padding:20px;background:#fff';"
        " document.body.appendChild(box);"
        " const spans = " + json.dumps(chars) + ".map(c => { const s = document.createElement('span');"
        " s.textContent = c; s.style.cssText = 'display:inline-block;vertical-align:top;overflow:hidden;"
        "font-size:48px;line-height:64px;width:64px;height:64px;text-align:center'; box.appendChild(s); return s; });"
        " return spans.map(s => { const r = s.getBoundingClientRect();"
        " return [Math.round(r.left), Math.round(r.top + window.scrollY), Math.round(r.width), Math.round(r.height)]; }); })()"
    )
    shot = session.screenshot()
    crops = [np.asarray(shot.crop((x, y, x + w, y + h)).convert("L")) for x, y, w, h in rects]
    *cjk, tofu = crops
    for i, crop in enumerate(cjk):
        assert (crop < 128).sum() > 40, f"{chars[i]} drew nothing"
        assert not np.array_equal(crop, tofu), f"{chars[i]} looks like a missing-glyph box"
        for other in cjk[i + 1:]:
            assert not np.array_equal(crop, other)


def test_profile_sets_width_font_and_sections(session, tmp_path):
    product = make_product()
    images = make_images(tmp_path / "src", product, n_details=1)
    jd = load_profile("jd").detail_page
    html = render_detail_html(product, jd, images, tmp_path / "jd" / "page", lang="en")
    session.open(html, jd.width)
    info = session.evaluate(
        "({sw: document.documentElement.scrollWidth, bw: document.body.getBoundingClientRect().width,"
        " font: getComputedStyle(document.body).fontSize, lang: document.documentElement.lang,"
        " th: document.querySelector('tr.spec-measurements th').innerText})"
    )
    assert jd.width == 750 and info["bw"] == 750 and info["sw"] <= 750
    assert info["font"] == f"{jd.base_font_px}px"
    assert info["lang"] == "en" and info["th"] == "Size (L×W×H)"

    custom = DetailPageSpec(width=480, base_font_px=30, sections=["specs", "header"])
    html = render_detail_html(product, custom, images, tmp_path / "custom" / "page")
    session.open(html, custom.width)
    info = session.evaluate(
        "({sw: document.documentElement.scrollWidth, font: getComputedStyle(document.body).fontSize,"
        " order: Array.from(document.body.children, e => e.id), imgs: Array.from(document.images, i => i.naturalWidth)})"
    )
    assert info["sw"] <= 480 and info["font"] == "30px"
    assert info["order"] == ["specs", "header"]  # no selling points, details or footer
    assert len(info["imgs"]) == 1 and info["imgs"][0] > 0


def test_missing_images_leave_sections_out_with_warnings(session, tmp_path):
    product = make_product(n_points=3)
    images = make_images(tmp_path / "src", product, n_details=2)
    broken = tmp_path / "src" / "坏图.jpg"
    broken.write_bytes(b"this is not a jpeg")
    images.header = tmp_path / "src" / "不存在.jpg"
    images.selling_points[0] = (None, images.selling_points[0][1])
    images.selling_points[2] = (tmp_path / "src" / "gone.jpg", images.selling_points[2][1])
    images.details[1] = broken
    warnings: list = []
    spec = load_profile("1688").detail_page
    html = render_detail_html(product, spec, images, tmp_path / "page", warnings=warnings)
    text = "\n".join(str(w) for w in warnings)
    assert len(warnings) == 3, text
    assert "不存在.jpg" in text and "gone.jpg" in text and "坏图.jpg" in text
    assert page_roles(html.parent / "img") == {"detail-01.png", "point-02.jpg"}
    session.open(html, spec.width)
    state = session.evaluate(
        "({imgs: Array.from(document.images, i => i.naturalWidth), points: document.querySelectorAll('.point').length})"
    )
    assert state["imgs"] and all(w > 0 for w in state["imgs"]) and len(state["imgs"]) == 2
    assert state["points"] == 3  # captions kept without their pictures (R4)


def test_screenshot_slices_stack_back_to_render(session, tmall_page, tmp_path):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    full = session.screenshot()
    assert full.width == spec.width
    assert full.height == session.page_height()
    slices = slice_page(full, spec.slice_height)
    assert len(slices) >= 2
    assert all(s.width == spec.width and s.height <= spec.slice_height for s in slices)
    stacked = np.vstack([np.asarray(s) for s in slices])
    assert np.array_equal(stacked, np.asarray(full))
    # the page has white space between blocks: every cut lies in it
    quiet = quiet_rows(np.asarray(full))
    top = 0
    for s in slices[:-1]:
        top += s.height
        assert quiet[top - 1] and quiet[top], f"cut at row {top} is not between quiet rows"
    paths = write_slices(slices, tmp_path / "out", "A1023", spec.max_bytes, 90)
    assert [p.name for p in paths] == [f"A1023-detail-{i:02d}.jpg" for i in range(1, len(slices) + 1)]
    for path, piece in zip(paths, slices):
        assert path.stat().st_size <= spec.max_bytes
        with Image.open(path) as jpg:
            assert jpg.size == piece.size


def test_long_page_renders_and_slices_and_replaces_old_slices(browser, session, tmp_path):
    product = make_product(n_points=32)
    images = make_images(tmp_path / "src", make_product(n_points=3), n_details=2)
    images.selling_points = [(images.selling_points[i % 3][0], c) for i, c in enumerate(product.selling_points)]
    spec = load_profile("tmall").detail_page
    render_png = tmp_path / "render.png"
    result = render_detail_page(
        product, spec, images, tmp_path / "out" / "A1023" / "page", browser=browser,
        shop_name="禾象旗舰店", keep_render=render_png,
    )
    assert result.skipped is None and result.warnings == []
    width, height = result.page_size
    assert width == spec.width and height > 32 * 420
    with Image.open(render_png) as full:
        assert full.size == (width, height)
        expected = [s.size for s in slice_page(full, spec.slice_height)]
    sizes = []
    for i, path in enumerate(result.slices, start=1):
        assert path.name == f"A1023-detail-{i:02d}.jpg" and path.parent == tmp_path / "out" / "A1023"
        assert path.stat().st_size <= spec.max_bytes
        with Image.open(path) as jpg:
            sizes.append(jpg.size)
    assert sizes == expected
    assert all(w == spec.width and h <= spec.slice_height for w, h in sizes)
    assert sum(h for _, h in sizes) == height
    many = len(result.slices)
    assert many >= 10

    # a shorter page later: the old, higher-numbered slices must go
    short = make_product(n_points=1)
    result2 = render_detail_page(
        short, spec, DetailImages(header=images.header, selling_points=[images.selling_points[0]]),
        tmp_path / "out" / "A1023" / "page", session=session,
    )
    left = sorted(p.name for p in (tmp_path / "out" / "A1023").glob("A1023-detail-*.jpg"))
    assert left == [p.name for p in result2.slices] and len(left) < many
    assert page_roles(tmp_path / "out" / "A1023" / "page" / "img") == {"header.jpg", "point-01.jpg"}


def test_render_with_a_running_session_matches_own_browser(session, browser, tmp_path):
    product = make_product(n_points=2)
    images = make_images(tmp_path / "src", product, n_details=1)
    spec = load_profile("jd").detail_page
    shared = render_detail_page(product, spec, images, tmp_path / "a" / "page", session=session,
                                keep_render=tmp_path / "a.png")
    own = render_detail_page(product, spec, images, tmp_path / "b" / "page", browser=browser,
                             keep_render=tmp_path / "b.png")
    assert shared.page_size == own.page_size and shared.page_size[0] == 750
    assert [p.name for p in shared.slices] == [p.name for p in own.slices]
    with Image.open(tmp_path / "a.png") as a, Image.open(tmp_path / "b.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))  # same pixels from a reused browser


def test_pasted_images_match_the_browsers_own_drawing(session, tmall_page, tmp_path):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    drawn = np.asarray(session.screenshot())
    session.open(html, spec.width, decode_images=False)
    pasted = np.asarray(session.screenshot(paste_images=True))
    assert np.array_equal(pasted, drawn)  # images at page width: the very pixels the browser draws
    # images the page scales (790 px photos on a 750 px page, at fractional offsets) are resampled
    # here, not by the browser: the same picture in the same place, not the same filter
    images = make_images(tmp_path / "src", product, n_details=1)
    jd = load_profile("jd").detail_page
    html = render_detail_html(product, jd, images, tmp_path / "jd" / "page")
    session.open(html, jd.width)
    drawn = np.asarray(session.screenshot()).astype(int)
    session.open(html, jd.width, decode_images=False)
    pasted = np.asarray(session.screenshot(paste_images=True)).astype(int)
    assert pasted.shape == drawn.shape and drawn.shape[1] == 750
    diff = np.abs(pasted - drawn)
    off_by_a_row = np.abs(pasted[1:] - drawn[:-1]).mean()
    assert diff.mean() < 0.5 < off_by_a_row and np.percentile(diff, 99) <= 8, (diff.mean(), off_by_a_row)


def test_only_a_photo_enlarged_over_1_1x_leaves_the_page_width(tmp_path):
    assert natural_left(768, 790) is None and natural_left(800, 790) is None  # 1.03x, shrunk: span the page
    assert natural_left(718, 790) == 36 and natural_left(375, 790) == 207 and natural_left(375, 750) == 187
    images = DetailImages(details=[photo(tmp_path / "n.jpg", (375, 200))])
    html = render_detail_html(make_product(n_points=0), load_profile("tmall").detail_page, images,
                              tmp_path / "page").read_text(encoding="utf-8")
    assert 'width="375" height="200" style="width: 375px; margin-left: 207px"' in html


def drawn_scales(capture, html: Path) -> dict[str, float]:
    """Per image of a captured page: its drawn width (the layout facts) / its file's pixel width."""
    scales = {}
    for entry in capture.layout:
        if entry[0] == "IMG":
            src = dict(a.split("=", 1) for a in entry[1].split("\n"))["src"]
            with Image.open(html.parent / src) as img:
                scales[src] = entry[4] / img.width
    return scales


@pytest.mark.parametrize("platform", ["tmall", "jd"])
def test_a_narrow_photo_is_drawn_at_its_own_pixels_centred_never_enlarged(session, tmp_path, platform):
    """A 375 px photo (the real bag H602-03) was stretched to the page, 2.1x and soft."""
    product = make_product(n_points=2)
    images = make_images(tmp_path / "src", product, n_details=1)
    narrow = photo(tmp_path / "src" / "窄.jpg", (375, 1024), (90, 60, 40), seed=7)
    images.details.append(narrow)
    images.selling_points[0] = (narrow, images.selling_points[0][1])
    spec = load_profile(platform).detail_page
    html = render_detail_html(product, spec, images, tmp_path / "page")
    session.open(html, spec.width, decode_images=False, ready=False)
    capture = session.capture(paste_images=True)
    scales = drawn_scales(capture, html)
    assert len(scales) == 5 and max(scales.values()) <= 1.1, scales
    assert scales["img/窄-detail-02.jpg"] == scales["img/窄-point-01.jpg"] == 1.0
    # pasted as its own pixels, centred on a whole pixel, the page's background either side
    page = np.asarray(capture.picture())
    left = (spec.width - 375) // 2
    boxes = [e for e in capture.layout if e[0] == "IMG" and "窄" in e[1]]
    with Image.open(narrow) as img:
        own = np.asarray(img.convert("RGB"))
    for box in boxes:
        assert (box[2], box[4], box[5]) == (left, 375, 1024)
        top = round(box[3])
        assert np.array_equal(page[top:top + 1024, left:left + 375], own)
        assert (page[top:top + 1024, :left] == 255).all() and (page[top:top + 1024, left + 375:] == 255).all()
    # the very pixels the browser draws itself there (JD's page resamples the 790 px photos: not compared)
    session.open(html, spec.width)
    drawn = np.asarray(session.screenshot())
    for box in boxes:
        top = round(box[3])
        assert np.array_equal(drawn[top:top + 1024], page[top:top + 1024])


def test_anything_drawn_over_an_image_makes_the_browser_draw_it(session, tmp_path):
    product = make_product(n_points=1)
    images = make_images(tmp_path / "src", product, n_details=1)
    template = (Path(__file__).parent.parent / "templates" / "detail.html.j2").read_text(encoding="utf-8")
    own = tmp_path / "templates"
    own.mkdir()
    # a shop's template that sets the product name over the header photo
    (own / "detail.html.j2").write_text(template.replace(
        "</style>", "h1 { position: relative; margin-top: -3em; color: #ffffff; }\n</style>"), encoding="utf-8")
    spec = load_profile("tmall").detail_page
    html = render_detail_html(product, spec, images, tmp_path / "page", template_dir=own)
    session.open(html, spec.width)
    drawn = np.asarray(session.screenshot())
    session.open(html, spec.width, decode_images=False)
    assert np.array_equal(np.asarray(session.screenshot(paste_images=True)), drawn)


def test_slices_are_byte_identical_run_to_run(browser, tmp_path):
    product = make_product(n_points=3)
    images = make_images(tmp_path / "src", product, n_details=2)
    spec = load_profile("tmall").detail_page
    made = []
    for run_dir in ("first", "second"):
        with Browser(browser) as fresh:  # a new browser each time, as on two runs
            result = render_detail_page(product, spec, images, tmp_path / run_dir / "page", session=fresh.tab())
        made.append([p.read_bytes() for p in result.slices])
    assert len(made[0]) >= 2 and made[0] == made[1]


def test_equal_pages_are_rendered_once_and_cut_per_platform(session, tmp_path):
    product = make_product(n_points=3)
    images = make_images(tmp_path / "src", product, n_details=2)
    tall = load_profile("tmall").detail_page
    short = dataclasses.replace(tall, slice_height=700, max_bytes=900_000)  # caps and height differ only
    renders, encoded = {}, {}
    a = render_detail_page(product, tall, images, tmp_path / "a" / "page", session=session, renders=renders,
                           encoded=encoded, keep_render=tmp_path / "a.png")
    b = render_detail_page(product, short, images, tmp_path / "b" / "page", session=session, renders=renders,
                           encoded=encoded, keep_render=tmp_path / "b.png")
    assert len({id(c) for c in renders.values()}) == 1  # one render served both
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()
    with Image.open(tmp_path / "a.png") as full:
        for result, height in ((a, tall.slice_height), (b, short.slice_height)):
            pieces = [Image.open(p) for p in result.slices]
            assert all(p.height <= height for p in pieces) and sum(p.height for p in pieces) == full.height
    assert len(b.slices) > len(a.slices)
    # another platform's footer: a different page, rendered on its own; its equal slices share bytes
    c = render_detail_page(product, tall, images, tmp_path / "c" / "page", session=session, renders=renders,
                           encoded=encoded, platform_label="1688")
    assert len({id(c) for c in renders.values()}) == 2
    same = [x.read_bytes() == y.read_bytes() for x, y in zip(a.slices, c.slices)]
    assert same[0] and not same[-1]


def test_a_page_differing_in_a_text_is_captured_in_that_texts_rows_only(session, tmp_path, monkeypatch):
    product = make_product(n_points=3)
    images = make_images(tmp_path / "src", product, n_details=2)
    spec = load_profile("tmall").detail_page
    captured = []
    capture = browser_module.Tab._capture
    monkeypatch.setattr(browser_module.Tab, "_capture",
                        lambda self, *rows, **kw: captured.append(rows) or capture(self, *rows, **kw))
    renders: dict = {}
    render_detail_page(product, spec, images, tmp_path / "tmall" / "page", session=session, renders=renders)
    # another platform's name in the footer: only its rows are captured again
    shared = render_detail_page(product, spec, images, tmp_path / "1688" / "page", session=session, renders=renders,
                                platform_label="1688", keep_render=tmp_path / "shared.png")
    assert captured[0] == () and len(captured) == 2 and 0 < captured[1][1] - captured[1][0] < 200
    alone = render_detail_page(product, spec, images, tmp_path / "alone" / "page", session=session,
                               platform_label="1688", keep_render=tmp_path / "alone.png")
    with Image.open(tmp_path / "shared.png") as a, Image.open(tmp_path / "alone.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))  # the same pixels as a capture of the whole page
    assert [p.read_bytes() for p in shared.slices] == [p.read_bytes() for p in alone.slices]
    # a shop name adds a line: the page's layout changes, so it is captured whole
    captured.clear()
    render_detail_page(product, spec, images, tmp_path / "shop" / "page", session=session, renders=renders,
                       shop_name="Shop", keep_render=tmp_path / "shop.png")
    assert captured == [()]


def test_run_makes_pages_beside_the_photos_reports_each_and_redoes_none(browser, workspace, monkeypatch):
    from conftest import PRODUCT_ROW, drop_photos, write_sheet
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    monkeypatch.setenv("IMGPIPE_BROWSER", str(browser))
    write_sheet(workspace, [PRODUCT_ROW, PRODUCT_ROW.replace("A1023", "B2045", 1)])
    drop_photos(workspace, "A1023", count=2, size=(900, 600))
    drop_photos(workspace, "B2045", count=2, size=(900, 600))
    events = []
    summary = run(Workspace.open(workspace), jobs=1, progress=lambda *e: events.append(e))
    assert summary.ok, summary.failed
    # the generated shots' strong cast on a blue product is left uncorrected with a warning (colour's business)
    assert len(summary.pages_written) == 6
    assert not [w for w in summary.warnings if "°" not in (w.get("message") or "")], summary.warnings
    pages = [(done, total) for stage, done, total in events if stage == "pages"]
    made = [d for d, _ in pages if d]
    # one report per page made (an article handed over repeats the count so far: the bar's total grows)
    assert made == sorted(made) and sorted(set(made)) == list(range(1, 7)) and pages[-1] == (6, 6)
    # the first article's 3 pages were handed over before the second article's photos were made
    handed = events.index(("pages", 0, 3))
    assert [e for e in events[handed:] if e[0] == "render"] == [("render", 3, 4), ("render", 4, 4)]
    slices = {p: p.read_bytes() for p in sorted((workspace / "output").glob("*/*/page/*-detail-*.jpg"))}
    assert {p.parent.parent.parent.name for p in slices} == {"tmall", "jd", "1688"}
    for name in ("A1023", "B2045"):  # Tmall's and 1688's pages differ only in the footer
        tmall = sorted(p for p in slices if f"tmall/{name}/" in p.as_posix())
        alibaba = sorted(p for p in slices if f"1688/{name}/" in p.as_posix())
        assert [slices[p] for p in tmall[:-1]] == [slices[p] for p in alibaba[:-1]]
    again = run(Workspace.open(workspace), jobs=1)
    assert again.pages_written == [] and again.pages_skipped == 6
    # a page folder lost: made again, byte for byte
    page = workspace / "output" / "jd" / "B2045" / "page"
    for f in page.glob("*.jpg"):
        f.unlink()
    (page / "index.html").unlink()
    redo = run(Workspace.open(workspace), jobs=2)
    assert redo.pages_written == ["output/jd/B2045/page/index.html"]
    assert {p: p.read_bytes() for p in slices} == slices


# --- slicing rules without a browser -----------------------------------------------


def text_page(height=5000, width=300, line_every=41, line_height=30) -> np.ndarray:
    """White page with 'text lines': noisy bands separated by white gaps."""
    rng = np.random.default_rng(1)
    page = np.full((height, width, 3), 255, np.uint8)
    for top in range(10, height - line_height, line_every):
        page[top:top + line_height, 20:280] = rng.integers(0, 255, (line_height, 260, 3), dtype=np.uint8)
    return page


def test_slices_never_cut_text_when_a_gap_is_near():
    page = text_page()
    quiet = quiet_rows(page)
    assert not quiet[999] and not quiet[1999]  # a cut at max_height would go through text
    img = Image.fromarray(page)
    slices = slice_page(img, 1000)
    top = 0
    for s in slices[:-1]:
        assert 800 <= s.height <= 1000  # the cut is in the last 20 %
        top += s.height
        assert quiet[top - 1] and quiet[top]
    assert np.array_equal(np.vstack([np.asarray(s) for s in slices]), page)


def test_slices_prefer_page_background_over_flat_rows_inside_a_photo():
    rng = np.random.default_rng(4)
    page = np.full((1800, 300, 3), 255, np.uint8)
    page[0:850] = rng.integers(0, 255, (850, 300, 3), dtype=np.uint8)  # text and pictures
    page[870:1400] = rng.integers(0, 255, (530, 300, 3), dtype=np.uint8)  # a photo ...
    page[940:990] = (60, 120, 80)  # ... with a flat green stripe lower in the cut window
    slices = slice_page(Image.fromarray(page), 1000)
    assert 850 < slices[0].height < 870  # in the white gap, not through the photo
    assert np.array_equal(np.vstack([np.asarray(s) for s in slices]), page)
    # without a white gap in the window, the flat stripe beats cutting through detail
    page[850:870] = rng.integers(0, 255, (20, 300, 3), dtype=np.uint8)
    slices = slice_page(Image.fromarray(page), 1000)
    assert 940 < slices[0].height < 990


def test_slices_fall_back_to_max_height_without_quiet_rows():
    rng = np.random.default_rng(2)
    page = rng.integers(0, 255, (2500, 200, 3), dtype=np.uint8)
    slices = slice_page(Image.fromarray(page), 1000)
    assert [s.height for s in slices] == [1000, 1000, 500]
    assert np.array_equal(np.vstack([np.asarray(s) for s in slices]), page)


def test_quiet_rows_are_the_rows_whose_channels_spread_at_most_the_tolerance():
    """quiet_rows, taken QUIET_BLOCK rows at a time: the same rows as the plain definition, at any
    width and across the blocks' edges."""
    rng = np.random.default_rng(7)
    for width in (1, 2, 3, 5, 8, 9, 750, 790, 791):
        page = np.full((300, width, 3), 200, np.uint8)  # 300 rows: three blocks of 128, the last short
        page[1::4] += rng.integers(0, 4, page[1::4].shape).astype(np.uint8)  # spreads 0-3 per channel
        page[2::7, -1] = 0  # the last pixel alone differs
        page[3::9, rng.integers(0, width), rng.integers(0, 3)] = 203
        spread = page.max(axis=1).astype(int) - page.min(axis=1)
        for tolerance in (0, 2):
            assert np.array_equal(quiet_rows(page, tolerance), (spread <= tolerance).all(axis=1)), (width, tolerance)


def test_a_box_is_pasted_over_only_when_one_flat_colour(tmp_path):
    """_paste_plan: the box's pixels all one colour (its ground, for a transparent image) or no plan."""
    from imgpipe.browser import _paste, _paste_plan

    src = tmp_path / "dot.png"
    dot = Image.new("RGBA", (4, 3), (0, 0, 0, 0))
    dot.putpixel((1, 1), (255, 0, 0, 255))
    dot.save(src)
    page = Image.new("RGB", (10, 8), (10, 20, 30))
    info = [{"src": src.as_uri(), "x": 2.4, "y": 1.6, "w": 4, "h": 3}]
    plan = _paste_plan(page, info)
    assert plan[0]["box"] == (2, 2, 6, 5) and plan[0]["ground"] == (10, 20, 30)
    _paste(page, plan)
    assert page.getpixel((3, 3)) == (255, 0, 0) and page.getpixel((2, 2)) == (10, 20, 30)  # the ground shows through
    marked = Image.new("RGB", (10, 8), (10, 20, 30))
    marked.putpixel((5, 4), (10, 20, 31))  # the box's last pixel, one level off
    assert _paste_plan(marked, info) is None


def test_slice_bounds_cover_every_row_once():
    quiet = np.zeros(12345, bool)
    quiet[::97] = True
    bounds = slice_bounds(quiet, 700)
    assert bounds[0][0] == 0 and bounds[-1][1] == 12345
    for (a, b), (c, _) in zip(bounds, bounds[1:]):
        assert b == c and 0 < b - a <= 700
    assert slice_bounds(np.ones(10, bool), 700) == [(0, 10)]


def test_write_slices_lowers_quality_to_meet_cap(tmp_path):
    rng = np.random.default_rng(3)
    base = np.linspace(0, 255, 600 * 790 * 3).reshape(600, 790, 3).astype(np.uint8)
    noisy = np.clip(base.astype(int) + rng.integers(-40, 40, base.shape), 0, 255).astype(np.uint8)
    piece = Image.fromarray(noisy)

    def size_at(q):
        buf = io.BytesIO()
        piece.save(buf, "JPEG", quality=q, optimize=True, subsampling="4:2:0" if q < 90 else "4:4:4")
        return len(buf.getvalue())

    cap = size_at(60) + 1
    assert size_at(90) > cap
    (path,) = write_slices([piece], tmp_path, "B7", cap, 90)
    assert path.name == "B7-detail-01.jpg" and path.stat().st_size <= cap
    with pytest.raises(ImgpipeError) as err:
        write_slices([piece], tmp_path, "B7", 10_000, 90, min_quality=30)
    assert "10000" in str(err.value)
    assert not list(tmp_path.glob(".*.tmp"))


# --- templates ------------------------------------------------------------------------


def test_workspace_template_is_used_and_still_escaped(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "detail.html.j2").write_text(
        "<html><body style=\"width:{{ width }}px\"><p id=own>{{ product.note }}</p></body></html>", encoding="utf-8"
    )
    product = make_product()
    html = render_detail_html(product, DetailPageSpec(), DetailImages(), tmp_path / "page", template_dir=own)
    text = html.read_text(encoding="utf-8")
    assert "<p id=own>&lt;script&gt;" in text and "<script>" not in text


def test_broken_template_names_file_and_line(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "detail.html.j2").write_text(
        "<html>\n<body>\n<h1>{{ product.name }</h1>\n</body>\n</html>\n", encoding="utf-8"
    )
    with pytest.raises(ImgpipeError) as err:
        render_detail_html(make_product(), DetailPageSpec(), DetailImages(), tmp_path / "page", template_dir=own)
    assert err.value.file.endswith("detail.html.j2")
    assert "3" in err.value.message and "模板第 3 行" in str(err.value)
    assert not (tmp_path / "page" / "index.html").exists()

    (own / "detail.html.j2").write_text("<html>\n{{ product.name.nope() }}\n</html>\n", encoding="utf-8")
    with pytest.raises(ImgpipeError) as err:
        render_detail_html(make_product(), DetailPageSpec(), DetailImages(), tmp_path / "page", template_dir=own)
    assert err.value.file.endswith("detail.html.j2") and "第 2 行" in err.value.message


# --- without a browser ----------------------------------------------------------------


def test_without_browser_html_is_written_and_install_hint_given(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("IMGPIPE_BROWSER", raising=False)
    if find_browser() is not None:
        pytest.skip("a browser is installed in a standard location; cannot hide it")
    product = make_product()
    result = render_detail_page(product, DetailPageSpec(), make_images(tmp_path / "src", product, 1), tmp_path / "p" / "page")
    assert result.html.is_file() and result.slices == []
    assert "apt-get install chromium" in result.skipped or "Chrome" in result.skipped
    assert not list((tmp_path / "p").glob("*.jpg"))


def test_find_browser_honours_env(tmp_path, monkeypatch, browser):
    monkeypatch.setenv("IMGPIPE_BROWSER", str(browser))
    assert find_browser() == browser
    monkeypatch.setenv("IMGPIPE_BROWSER", str(tmp_path / "nothing-here"))
    assert find_browser() is not None  # a wrong setting falls back to the usual search


def page_roles(img_dir) -> set[str]:
    """The copies in a page's img/ by their role: "A1023-02-header.jpg" -> "header.jpg"."""
    return {re.sub(r"^.*-(header|large|point-\d+|detail-\d+)", r"\1", p.name) for p in img_dir.iterdir()}


def test_tall_pages_are_captured_in_bands_that_join_seamlessly(session, tmall_page, monkeypatch):
    product, spec, html = tmall_page
    session.open(html, spec.width)
    whole = np.asarray(session.screenshot())
    monkeypatch.setattr(browser_module, "SINGLE_CAPTURE_MAX_PX", 1000)
    monkeypatch.setattr(browser_module, "CAPTURE_BAND_PX", 700)
    assert whole.shape[0] > 2 * 700
    assert np.array_equal(np.asarray(session.screenshot()), whole)


def test_a_bad_page_fails_alone_and_keeps_the_browser(browser, tmp_path):
    import queue
    import threading

    from imgpipe.pages import PageTask, make_pages

    product = make_product(n_points=1)
    images = make_images(tmp_path / "src", product, n_details=1)
    profiles = {"tmall": load_profile("tmall")}
    good = PageTask("tmall", "A1023", images, "fp", tmp_path / "ok" / "page")
    broken = PageTask("tmall", "NOPE", images, "fp", tmp_path / "bad" / "page")  # not in the products
    todo, made = queue.Queue(), queue.Queue()
    for batch in ([broken, good], [good]):
        todo.put(batch)
    todo.put(None)
    make_pages(todo, made, threading.Event(), tmp_path, {"A1023": product}, profiles, "zh", "", browser)
    results = [made.get_nowait() for _ in range(3)]
    assert results[0][2] is not None and "NOPE" in results[0][2]["message"]
    assert results[1][2] is None and results[1][1].slices and results[2][1].slices


def test_a_tabs_later_pages_replace_its_document_with_the_pixels_of_a_fresh_navigation(browser, tmp_path,
                                                                                         monkeypatch):
    """Tab.open navigates to the first local page, then writes the next ones into that document
    (set_content with a <base> of their folder): the same slices as a browser that navigated."""
    spec = load_profile("tmall").detail_page
    first, second = make_product(n_points=2), make_product(n_points=3, article="B77", name="另一款 收纳篮")
    first_html = render_detail_html(first, spec, make_images(tmp_path / "s1", first, 1), tmp_path / "p1" / "page")
    second_images = make_images(tmp_path / "s2", second, n_details=2)
    with BrowserSession(browser) as kept:
        kept.open(first_html, spec.width)
        url = kept.page.url
        reused = render_detail_page(second, spec, second_images, tmp_path / "p2" / "page", session=kept)
        assert kept.page.url == url  # no navigation: the document was replaced
        assert kept.evaluate("document.querySelectorAll('base').length") == 1
        assert kept.evaluate("document.images[0].currentSrc").startswith((tmp_path / "p2" / "page").as_uri())
        monkeypatch.setattr(browser_module, "IN_PLACE_PAGES", 2)
        kept.open(reused.html, spec.width)  # the second in place
        assert kept.page.url == url
        kept.open(reused.html, spec.width)  # then a navigation: the renderer lets go of the old documents
        assert kept.page.url == reused.html.resolve().as_uri()
        kept.purge()  # as between articles: the caches emptied, the next page drawn the same
        purged = render_detail_page(second, spec, second_images, tmp_path / "p4" / "page", session=kept)
    fresh = render_detail_page(second, spec, second_images, tmp_path / "p3" / "page", browser=browser)
    assert reused.slices and [p.read_bytes() for p in reused.slices] == [p.read_bytes() for p in fresh.slices]
    assert [p.read_bytes() for p in purged.slices] == [p.read_bytes() for p in fresh.slices]


def test_a_page_with_a_script_or_its_own_base_is_navigated_to(tmp_path):
    from imgpipe.browser import _in_place_content

    page = tmp_path / "页 面" / "index.html"
    page.parent.mkdir()
    page.write_text("<!DOCTYPE html><html><HEAD lang=zh><title>t</title></head><body>x</body></html>", encoding="utf-8")
    content = _in_place_content(page)
    base = f'<base data-imgpipe-base href="{page.parent.as_uri()}/">'
    assert content == f"<!DOCTYPE html><html><HEAD lang=zh>{base}<title>t</title></head><body>x</body></html>"
    for other in ("<head></head><body><script>1</script></body>", "<head><base href='x/'></head>", "<body>x</body>"):
        page.write_text(other, encoding="utf-8")
        assert _in_place_content(page) is None


def test_a_capture_is_one_devtools_screenshot_with_the_fast_png_encoder(session, tmall_page, monkeypatch):
    """The capture asks Chromium once per band (optimizeForSpeed: same pixels, a bigger PNG)."""
    product, spec, html = tmall_page
    session.open(html, spec.width)
    slow = session.page.screenshot(type="png", full_page=True, scale="css")
    sent = []
    session.screenshot()  # the DevTools session exists after the first capture
    send = session._cdp.send
    monkeypatch.setattr(session._cdp, "send", lambda method, params=None: sent.append((method, params)) or send(
        method, params))
    fast = session.screenshot()
    assert [m for m, _ in sent] == ["Page.captureScreenshot"] and sent[0][1]["optimizeForSpeed"]
    with Image.open(io.BytesIO(slow)) as reference:
        assert np.array_equal(np.asarray(fast), np.asarray(reference.convert("RGB")))
