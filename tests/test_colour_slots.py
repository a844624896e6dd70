"""The right photo in the right slot: SKU images by measured colour, the large image, selling points,
main-image fill, and validation catching a sidecar that maps a colour to a photo of another colour."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import studio_set
from conftest import jpeg_bytes, write_sheet
from imgpipe import framing
from imgpipe.cli import main as cli
from imgpipe.colour_names import DEFAULT
from imgpipe.pipeline import run as run_pipeline
from imgpipe.colour_names import dominant_colours
from imgpipe.workspace import Workspace, init_workspace

CASES = {c.name: c for c in studio_set.CASES}
# shot order blue, red, a close-up of the red one; the sheet says 红色/蓝色
SHOTS = [("mug-blue", "蓝色"), ("mug-red", "红色")]
ROW = ("B2045,陶瓷马克杯,家居,禾象,禾象陶瓷马克杯大容量咖啡杯,红色/蓝色,陶瓷,350ml,12,8.5,9.5,釉下彩,"
       "高温烧制;釉下彩工艺;大容量;人体工学把手;可进微波炉,2026-11-24,49")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shop") / "shop"
    init_workspace(root)
    write_sheet(root, [ROW])
    toml = (root / "imgpipe.toml").read_text(encoding="utf-8")
    toml = toml.replace('platforms = ["tmall", "jd", "1688"]', 'platforms = ["tmall"]').replace("jobs = 0", "jobs = 1")
    (root / "imgpipe.toml").write_text(toml, encoding="utf-8")
    inbox = root / "inbox" / "B2045"
    inbox.mkdir(parents=True)
    for i, (name, _) in enumerate(SHOTS):
        photo, _ = studio_set.render(replace(CASES[name], size=(900, 675)))
        (inbox / f"IMG_{i + 1:04d}.jpg").write_bytes(jpeg_bytes(photo, quality=92))
    # a close-up of the red mug's body: the frame is all product
    photo, _ = studio_set.render(replace(CASES["mug-red"], size=(900, 675)))
    (inbox / "IMG_0003.jpg").write_bytes(jpeg_bytes(np.ascontiguousarray(photo[250:450, 300:560]), quality=92))
    ws = Workspace.open(root)
    summary = run_pipeline(ws, jobs=1)
    assert summary.ok, summary.failed
    ws.catalog.close()
    return root


def _outputs(root: Path, role: str) -> list[Path]:
    return sorted((root / "output" / "tmall" / "B2045" / role).glob("*"))


def sku_colour(pixels: np.ndarray) -> tuple[float, float, float]:
    """The dominant colour (Lab) of the product in an output image, measured on its pixels."""
    return dominant_colours(pixels, framing.product_mask(pixels)[0])[0].lab


def _rgb(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path).convert("RGB"))


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_each_sku_image_shows_its_named_colour(built):
    skus = _outputs(built, "sku")
    names = {p.stem.rsplit("-", 1)[-1]: p for p in skus}
    assert set(names) == {"红色", "蓝色"}
    # the photo numbers follow the shot order (blue first), not the sheet order
    assert names["蓝色"].stem.startswith("B2045-01") and names["红色"].stem.startswith("B2045-02")
    for colour, path in names.items():
        assert DEFAULT.distance(sku_colour(_rgb(path)), colour) < 6


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_large_image_is_a_whole_product_shot_and_selling_points_prefer_the_close_up(built):
    (large,) = _outputs(built, "large")
    assert not large.stem.startswith("B2045-03")
    sps = {p.stem[-4:]: p.stem for p in _outputs(built, "selling_point")}
    assert sps["sp01"].startswith("B2045-03")  # the close-up carries the first selling point
    # then the whole shots other than the large image's, each once, before any photo repeats
    firsts = [sps[f"sp{i:02d}"][:8] for i in (1, 2)]
    assert len(set(firsts)) == 2 and large.stem[:8] not in firsts


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_whole_product_main_images_fill_their_frame(built):
    for path in _outputs(built, "main"):
        if path.stem.startswith("B2045-03"):
            continue  # the close-up fills the frame
        img = _rgb(path)
        box = framing.find_product_box(img)
        fill = max(box.width, box.height) / max(img.shape[:2])
        assert 0.6 <= fill <= 0.92, (path.name, fill)


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_validate_names_a_sku_mapped_to_a_photo_of_another_colour(built, tmp_path):
    import shutil

    root = tmp_path / "shop"
    shutil.copytree(built, root)
    runner = CliRunner()
    ok = runner.invoke(cli, ["-w", str(root), "validate", "--json"])
    assert "sku_colour_mismatch" not in ok.output
    # the sidecar says 红色 is photo 1 (the blue mug)
    sidecar = next((root / "originals").rglob("B2045")) / "article.toml"
    sidecar.write_text("[colours]\n\"红色\" = [1]\n", encoding="utf-8")
    ws = Workspace.open(root)
    assert run_pipeline(ws, jobs=1).ok
    ws.catalog.close()
    bad = runner.invoke(cli, ["-w", str(root), "validate", "--json"])
    assert bad.exit_code == 1
    assert "sku_colour_mismatch" in bad.output and "红色" in bad.output


def test_sold_out_column_parses_colours_sizes_and_all():
    from imgpipe.sheet import parse_sold_out

    colours, sizes = ("黑色", "白色"), ("M", "XL")
    assert parse_sold_out("黑色", colours, sizes) == (("黑色", ""),)
    assert parse_sold_out("黑色:XL、白色：M", colours, sizes) == (("黑色", "XL"), ("白色", "M"))
    assert parse_sold_out("XL", colours, sizes) == (("", "XL"),)
    assert parse_sold_out("全部", colours, sizes) == (("", ""),)
    assert parse_sold_out("", colours, sizes) == ()


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_sold_out_column_applies_every_run_and_wins_over_restock(built, tmp_path):
    import shutil

    from imgpipe.context import Resources, build_context

    root = tmp_path / "shop"
    shutil.copytree(built, root)
    sheet = root / "products.csv"
    lines = sheet.read_text(encoding="utf-8").splitlines()
    sheet.write_text(f"{lines[0]},售罄\n{lines[1]},蓝色\n", encoding="utf-8")
    ws = Workspace.open(root)
    assert run_pipeline(ws, jobs=1).ok
    ctx = build_context(ws, ws.sheet().products["B2045"], Resources.of(ws, ws.font_path()))
    assert ("蓝色", "") in ctx.sold
    overlays = {"/".join(r["path"].rsplit("/", 2)[-2:]): json.loads(r["meta"] or "{}").get("overlays", [])
                for r in ws.catalog.outputs("B2045", "tmall")}
    assert overlays["sku/B2045-01-蓝色.jpg"] == ["蓝色 已售完"]
    assert overlays["main/B2045-01.jpg"] == ["蓝色 已售完"]  # the blue photo's main image: it shows the colour
    assert not overlays["white/B2045-01.jpg"]  # the white image carries no text
    assert not overlays["sku/B2045-02-红色.jpg"] and not overlays["main/B2045-02.jpg"]
    ws.catalog.close()
    # `imgpipe restock` cannot undo what the sheet marks
    CliRunner().invoke(cli, ["-w", str(root), "restock", "B2045", "--colour", "蓝色"])
    ws = Workspace.open(root)
    ctx = build_context(ws, ws.sheet().products["B2045"], Resources.of(ws, ws.font_path()))
    assert ("蓝色", "") in ctx.sold
    ws.catalog.close()
