"""Sold-out overlays (R11): same names, only the variant's images, exact undo."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from imgpipe.cli import main
from imgpipe.errors import ImgpipeError
from imgpipe.soldout import mark
from imgpipe.workspace import Workspace

from conftest import make_processed_shop

RED_SKU = "output/tmall/A1023/sku/A1023-03-红色.jpg"
LARGE = "output/tmall/A1023/large/A1023-01.jpg"


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    # page slices need chromium; the images are what this file tests
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> Path:
    """A processed one-article workspace (tmall only, to keep the file fast), made once."""
    return make_processed_shop(tmp_path_factory.mktemp("processed") / "shop")


@pytest.fixture
def shop(processed, tmp_path) -> Workspace:
    """A private copy of the processed workspace."""
    root = tmp_path / "shop"
    shutil.copytree(processed, root)
    return Workspace.open(root)


def images(root: Path) -> dict[str, str]:
    """Workspace-relative path -> sha256 of every output image."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "output").rglob("*.jpg"))}


def pixels(root: Path, rel: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO((root / rel).read_bytes())).convert("RGB")).astype(np.int16)


def changed(before: dict, after: dict) -> set[str]:
    return {p for p in before if before[p] != after.get(p)}


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_colour_soldout_changes_only_its_images_and_restock_gives_the_same_bytes(shop):
    root = shop.root
    before = images(root)
    result = mark(shop, "A1023", "红色", "", True)
    after = images(root)
    assert set(after) == set(before)                   # file names identical, none added or lost
    assert changed(before, after) == {RED_SKU}         # only the red SKU image
    assert result.changed_files == [RED_SKU]
    assert shop.catalog.soldout("A1023") == [("红色", "")]
    result2 = mark(shop, "A1023", "红色", "", False)
    assert images(root) == before                      # restock: byte-identical to the originals
    assert result2.changed_files == [RED_SKU]
    assert shop.catalog.soldout("A1023") == []


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_overlay_pixels_are_a_red_banner_low_on_the_sku_image(shop, tmp_path):
    root = shop.root
    plain = pixels(root, RED_SKU)
    mark(shop, "A1023", "红色", "", True)
    marked = pixels(root, RED_SKU)
    h = plain.shape[0]
    diff = np.abs(marked - plain).sum(axis=2)
    assert diff[: int(h * 0.4)].mean() < 3             # top 40 %: untouched (JPEG noise only)
    lower = marked[int(h * 0.5):]
    banner = (lower[..., 0] > 150) & (lower[..., 1] < 90) & (lower[..., 2] < 100)  # #C8102E-ish
    assert banner.mean() > 0.05
    assert not ((plain[int(h * 0.5):, :, 0] > 150) & (plain[int(h * 0.5):, :, 1] < 90)).any()
    look = Path("/tmp/look")
    look.mkdir(exist_ok=True)
    Image.fromarray(marked.astype(np.uint8)).save(look / "soldout_sku_red.png")


def test_sold_out_size_strikes_the_large_image_only(shop):
    root = shop.root
    before = images(root)
    plain = pixels(root, LARGE)
    result = mark(shop, "A1023", "", "XL", True)
    assert changed(before, images(root)) == {LARGE}
    assert result.changed_files == [LARGE]
    struck = pixels(root, LARGE)
    assert struck.shape == plain.shape and np.abs(struck - plain).sum(axis=2).max() > 100
    look = Path("/tmp/look")
    look.mkdir(exist_ok=True)
    Image.fromarray(struck.astype(np.uint8)).save(look / "soldout_large_xl.png")
    mark(shop, "A1023", "", "xl", False)               # the sheet's spelling is matched ignoring case
    assert images(root) == before


def test_variants_combine_and_no_order_leaves_a_stale_overlay(shop):
    root = shop.root
    before = images(root)
    mark(shop, "A1023", "红色", "", True)
    colour_only = images(root)[RED_SKU]
    mark(shop, "A1023", "红色", "L", True)
    both = images(root)[RED_SKU]
    mark(shop, "A1023", "", "XL", True)
    assert len({before[RED_SKU], colour_only, both}) == 3   # the second text joins the first
    mark(shop, "A1023", "红色", "", False)                   # take the first away again
    order_a = images(root)
    # the same end state reached another way: everything off, then only (红色, L) and XL
    mark(shop, "A1023", "红色", "L", False)
    mark(shop, "A1023", "", "XL", False)
    assert images(root) == before
    mark(shop, "A1023", "", "XL", True)
    mark(shop, "A1023", "红色", "L", True)
    assert images(root) == order_a
    assert order_a[RED_SKU] not in (before[RED_SKU], colour_only, both)
    assert shop.catalog.soldout("A1023") == [("", "XL"), ("红色", "L")]


def test_a_whole_article_sold_out_leaves_the_white_image_without_text(shop):
    root = shop.root
    before = images(root)
    mark(shop, "A1023", "", "", True)
    changed_now = changed(before, images(root))
    white = {p for p in before if "/white/" in p}
    assert white and not changed_now & white          # Tmall's white image carries no text (R2)
    assert any("/main/" in p for p in changed_now) and RED_SKU in changed_now and LARGE in changed_now
    assert shop.catalog.soldout("A1023") == [("", "")]


def test_dry_run_lists_files_and_changes_nothing(shop):
    root = shop.root
    before = images(root)
    result = mark(shop, "A1023", "红色", "", True, dry_run=True)
    assert result.changed_files == [RED_SKU]
    whole = mark(shop, "A1023", "", "", True, dry_run=True)
    # every image but the white one carries a whole-article banner (page copies follow in the real run)
    assert set(whole.changed_files) == {p for p in before if "/page/" not in p and "/white/" not in p}
    assert images(root) == before and shop.catalog.soldout("A1023") == []
    mark(shop, "A1023", "红色", "", True)
    again = mark(shop, "A1023", "红色", "", True, dry_run=True)
    assert again.already and again.changed_files == []


def test_unknown_variant_is_refused_listing_the_valid_ones(shop):
    root = shop.root
    before = images(root)
    with pytest.raises(ImgpipeError) as err:
        mark(shop, "A1023", "紫色", "", True)
    assert all(c in str(err.value) for c in ("白色", "藏青", "红色"))
    with pytest.raises(ImgpipeError) as err:
        mark(shop, "A1023", "", "XXL", True)
    assert "S, M, L, XL" in str(err.value)
    with pytest.raises(ImgpipeError) as err:
        mark(shop, "B999", "红色", "", True)
    assert "A1023" in str(err.value)
    assert images(root) == before and shop.catalog.soldout("A1023") == []


def test_cli_exit_codes_and_json(shop):
    root = shop.root
    before = images(root)
    runner = CliRunner()
    bad = runner.invoke(main, ["-w", str(root), "soldout", "A1023", "--colour", "紫色"])
    assert bad.exit_code == 2
    assert "紫色" in bad.output and "白色, 藏青, 红色" in bad.output
    none = runner.invoke(main, ["-w", str(root), "soldout", "A1023"])
    assert none.exit_code == 2
    both = runner.invoke(main, ["-w", str(root), "restock", "A1023", "--all", "--size", "M"])
    assert both.exit_code == 2
    assert images(root) == before and shop.catalog.soldout("A1023") == []

    dry = runner.invoke(main, ["-w", str(root), "soldout", "A1023", "--colour", "红色", "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert RED_SKU in dry.stdout and images(root) == before
    ok = runner.invoke(main, ["-w", str(root), "soldout", "A1023", "--colour", "红色", "--json"])
    assert ok.exit_code == 0, ok.output
    import json

    assert json.loads(ok.stdout)["changed_files"] == [RED_SKU]
    back = runner.invoke(main, ["-w", str(root), "restock", "A1023", "--colour", "红色"])
    assert back.exit_code == 0, back.output
    assert images(root) == before


def test_sold_out_banner_on_the_large_image_sits_on_its_photo_not_on_the_label_panel(shop):
    """Real shop (oper review): a sold-out colour whose photo made the large image put the banner
    across the R7 panel, hiding 面料/尺码/长×宽×高. It goes on the photo part; the panel is untouched."""
    root = shop.root
    (next(root.glob("originals/*/A1023")) / "article.toml").write_text('[colours]\n"红色" = [1]\n', encoding="utf-8")
    plain = pixels(root, LARGE)
    mark(shop, "A1023", "红色", "", True)
    marked = pixels(root, LARGE)
    assert marked.shape == plain.shape
    photo_h = plain.shape[1] * 900 // 1200            # conftest's photos are 1200 x 900; the panel is below
    changed_rows = np.flatnonzero(np.abs(marked - plain).sum(axis=2).max(axis=1) > 60)
    assert changed_rows.size and changed_rows.max() < photo_h      # only the photo part changed
    banner = (marked[..., 0] > 150) & (marked[..., 1] < 90) & (marked[..., 2] < 100)  # #C8102E-ish
    assert banner[:photo_h].mean() > 0.03


def test_sold_out_banner_ends_above_the_shop_mark(shop):
    """Real shop (oper2 review): on the main, large and selling-point images the banner sat over the
    bottom-right 禾象旗舰店, leaving only the feet of its glyphs. It rises to end above the mark."""
    import json
    root = shop.root
    marks = {r["path"]: json.loads(r["meta"] or "{}").get("watermark_boxes") or []
             for r in shop.catalog.outputs("A1023", "tmall")}
    checked = [p for p in ("output/tmall/A1023/main/A1023-01.jpg", LARGE) if len(marks.get(p, [])) == 1]
    assert len(checked) == 2
    plain = {p: pixels(root, p) for p in checked}
    mark(shop, "A1023", "", "", True)
    for rel in checked:
        x0, y0, x1, y1 = marks[rel][0]
        marked = pixels(root, rel)
        banner = (marked[..., 0] > 150) & (marked[..., 1] < 90) & (marked[..., 2] < 100)
        assert banner[:, : marked.shape[1] // 4].mean(axis=1).max() > 0.9, rel     # a banner was drawn
        moved = np.abs(marked[y0:y1, x0:x1] - plain[rel][y0:y1, x0:x1]).max(axis=2) > 40
        assert moved.mean() < 0.01, (rel, moved.mean())                            # the mark is untouched


def test_whole_article_sold_out_is_one_banner_even_with_a_colour_gone_too(shop):
    """Real shop (oper2 review): 藏青 and then the whole G501 sold out gave its SKU image one banner of
    two lines, "已售罄 / 藏青 已售完". The whole article wins: the image is what the whole article alone
    gives, and marking the colour on top of it rewrites nothing."""
    root = shop.root
    mark(shop, "A1023", "", "", True)
    whole = images(root)
    size = mark(shop, "A1023", "红色", "L", True)
    colour = mark(shop, "A1023", "红色", "", True)
    assert images(root) == whole and size.changed_files == colour.changed_files == []
    mark(shop, "A1023", "", "", False)                 # restocked as a whole: the colour's banner comes back
    assert images(root)[RED_SKU] != whole[RED_SKU]


@pytest.mark.slow  # three marks, each a run: ~3 s
def test_a_colour_marked_under_a_whole_article_sold_out_says_why_nothing_changed(shop):
    """Real shop (oper review): G501 sold out as a whole, then 红色 marked sold out: the CLI said
    "已标记售罄" and rewrote nothing, without a word why. It now says the whole article's banner
    already covers it and when the colour's own mark will show; a restock of the colour says the
    whole article is still sold out."""
    from imgpipe.messages import t_in

    def invoke(*args):
        return CliRunner().invoke(main, ["-w", str(shop.root), *args])

    assert invoke("soldout", "A1023", "--all").exit_code == 0
    done = invoke("soldout", "A1023", "--colour", "红色")
    assert done.exit_code == 0, done.output
    assert t_in("zh", "soldout.under_whole", article="A1023", variant="红色") in done.output.replace("\n", "")
    back = invoke("restock", "A1023", "--colour", "红色")
    assert t_in("zh", "restock.under_whole", article="A1023", variant="红色") in back.output.replace("\n", "")
    plain = invoke("soldout", "A1023", "--size", "L", "--json")  # the JSON says so too
    assert '"under_whole": true' in plain.output


def test_overlay_texts_whole_article_wins():
    from types import SimpleNamespace

    from imgpipe.plan import overlay_texts
    from imgpipe.settings import SoldOutSettings

    photo = SimpleNamespace(seq=2)
    sold = [("藏青", ""), ("藏青", "M"), ("", "")]
    texts = overlay_texts(None, photo, sold, None, {"藏青": [photo]}, "藏青", SoldOutSettings())
    assert texts == ["已售罄"]
    assert overlay_texts(None, photo, sold[:1], None, {"藏青": [photo]}, "藏青", SoldOutSettings()) == ["藏青 已售完"]
