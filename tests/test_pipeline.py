"""End to end on real files: ingest, naming, idempotence, profile changes, crashes, caps."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from chart_render import render_colorchecker
from conftest import PRODUCT_ROW, drop_photos, jpeg_bytes, studio_photo, write_sheet


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    """Detail-page slices are tested in test_detail_page.py; here they would only cost time."""
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outputs(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha(p) for p in sorted((root / "output").rglob("*.jpg"))}


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_photos_are_numbered_archived_byte_identical_and_processed(workspace):
    dropped = drop_photos(workspace, count=3)
    originals = [p.read_bytes() for p in dropped]
    summary = run(Workspace.open(workspace))
    assert summary.ok, summary.failed
    archived = sorted((workspace / "originals" / "服装" / "A1023").glob("*.jpg"))
    assert [p.name for p in archived] == ["A1023-01.jpg", "A1023-02.jpg", "A1023-03.jpg"]
    assert [p.read_bytes() for p in archived] == originals
    assert not any(p.exists() for p in dropped)
    made = outputs(workspace)
    assert all(Path(p).name.startswith(("A1023-01", "A1023-02", "A1023-03")) for p in made if "/page/" not in p)
    for platform in ("tmall", "jd", "1688"):
        assert f"output/{platform}/A1023/main/A1023-01.jpg" in made
        assert f"output/{platform}/A1023/large/A1023-01.jpg" in made
        assert len([p for p in made if f"/{platform}/A1023/selling_point/" in p]) == 5


@pytest.mark.slow
def test_later_photos_continue_the_numbers_in_capture_order(workspace):
    drop_photos(workspace, count=2)
    run(Workspace.open(workspace))

    def with_time(name, when, seed):
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = when
        (workspace / "inbox" / name).write_bytes(jpeg_bytes(studio_photo(seed=seed), exif=exif.tobytes()))

    with_time("A1023_z.jpg", "2026:11:25 10:00:00", 7)  # named last, shot first
    with_time("A1023_a.jpg", "2026:11:25 11:00:00", 8)
    run(Workspace.open(workspace))
    folder = workspace / "originals" / "服装" / "A1023"
    assert sorted(p.name for p in folder.glob("*.jpg")) == [f"A1023-0{i}.jpg" for i in range(1, 5)]
    cat = Workspace.open(workspace).catalog
    names = {p.seq: p.source_name for p in cat.photos("A1023")}
    assert names[3] == "A1023_z.jpg" and names[4] == "A1023_a.jpg"


def test_same_photo_dropped_twice_is_archived_once(workspace):
    (path,) = drop_photos(workspace, count=1)
    data = path.read_bytes()
    run(Workspace.open(workspace))
    (workspace / "inbox" / "A1023 again.jpg").write_bytes(data)
    summary = run(Workspace.open(workspace))
    assert len(summary.ingest.duplicates) == 1
    assert len(list((workspace / "originals").rglob("*.jpg"))) == 1


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_second_run_does_nothing(processed):
    workspace = processed
    made = len(Workspace.open(workspace).catalog.outputs())
    before = {p: os.stat(workspace / p).st_mtime_ns for p in outputs(workspace)}
    second = run(Workspace.open(workspace))
    assert made and not second.written and not second.ingest.archived
    assert second.skipped == made
    assert before == {p: os.stat(workspace / p).st_mtime_ns for p in outputs(workspace)}


def test_a_page_trusts_the_runs_record_of_its_images_until_one_is_edited_by_hand(workspace, monkeypatch):
    from conftest import quick_cut_out
    from imgpipe import cutout, pages

    monkeypatch.setattr(cutout, "cut_out", quick_cut_out)
    drop_photos(workspace, count=2, size=(900, 600))
    assert run(Workspace.open(workspace), backup=False).ok
    hashed = []
    real = pages.sha256_file
    monkeypatch.setattr(pages, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    again = run(Workspace.open(workspace), backup=False)
    # the run recorded each image's sha256 under its identity (size, mtime, ctime): none is read again
    assert not again.pages_written and again.pages_skipped == 3 and hashed == []
    # a designer retouches the Tmall page's header image in place: same size, same mtime (the sneaky case)
    ws = Workspace.open(workspace)
    header = pages.page_images(ws, ws.sheet().products["A1023"], "tmall").header
    data, st = bytearray(header.read_bytes()), header.stat()
    data[len(data) // 2] ^= 0xFF
    header.write_bytes(bytes(data))
    os.utime(header, ns=(st.st_atime_ns, st.st_mtime_ns))
    redo = run(Workspace.open(workspace), backup=False)
    assert redo.pages_written == ["output/tmall/A1023/page/index.html"] and hashed == [header.name]
    assert not redo.written  # the edit is kept: the image's size and record still match


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_changing_a_profile_value_redoes_only_that_platform(processed):
    workspace = processed
    before = outputs(workspace)
    (workspace / "profiles" / "jd.toml").write_text("[roles.main]\nfill = 0.6\n", encoding="utf-8")
    summary = run(Workspace.open(workspace))
    assert summary.written and all(p.startswith("output/jd/A1023/main/") for p in summary.written)
    after = outputs(workspace)
    changed = {p for p in before if before[p] != after[p]}
    assert {p for p in changed if "/page/" not in p} == set(summary.written)
    assert all(p.startswith("output/jd/") for p in changed)  # its page follows its header image


def test_watermark_setting_change_redoes_only_marked_roles(workspace):
    drop_photos(workspace, count=1)
    run(Workspace.open(workspace))
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('position = "bottom-right"', 'position = "top-left"'),
                    encoding="utf-8")
    summary = run(Workspace.open(workspace))
    roles = {p.split("/")[3] for p in summary.written}
    assert "white" not in roles and "sku" not in roles and "main" in roles


@pytest.mark.slow
def test_bad_files_are_reported_left_in_inbox_and_the_rest_is_done(workspace):
    drop_photos(workspace, count=2)
    inbox = workspace / "inbox"
    (inbox / "A1023_empty.jpg").write_bytes(b"")
    (inbox / "A1023_text.jpg").write_bytes("不是图片".encode())
    good = jpeg_bytes(studio_photo(seed=3))
    (inbox / "A1023_cut.jpg").write_bytes(good[: len(good) // 3])
    (inbox / "Z999_unknown.jpg").write_bytes(good)
    summary = run(Workspace.open(workspace))
    assert not summary.ok
    pending = {p.path.name: p for p in summary.ingest.pending}
    assert set(pending) == {"A1023_empty.jpg", "A1023_text.jpg", "A1023_cut.jpg", "Z999_unknown.jpg"}
    assert all(p.path.exists() for p in pending.values())  # nothing lost
    assert "Z999" in pending["Z999_unknown.jpg"].reason
    assert len(list((workspace / "originals").rglob("*.jpg"))) == 2
    # once purchasing adds the article, the next run picks the photo up
    write_sheet(workspace, [PRODUCT_ROW, "Z999,帆布包,箱包,,,,,,,,,,,,"])
    later = run(Workspace.open(workspace))
    assert [a.article for a in later.ingest.archived] == ["Z999"]
    assert (workspace / "originals" / "箱包" / "Z999" / "Z999-01.jpg").read_bytes() == good


def test_chinese_workspace_path(tmp_path):
    from imgpipe.workspace import init_workspace

    root = tmp_path / "禾象 店铺" / "上新"
    init_workspace(root)
    write_sheet(root, [PRODUCT_ROW])
    (root / "inbox" / "A1023").mkdir(parents=True, exist_ok=True)
    (root / "inbox" / "A1023" / "正面照.jpg").write_bytes(jpeg_bytes(studio_photo()))
    summary = run(Workspace.open(root), jobs=1)
    assert summary.ok, summary.failed
    assert (root / "output" / "tmall" / "A1023" / "main" / "A1023-01.jpg").is_file()


@pytest.mark.slow
def test_outputs_have_the_profile_sizes_and_byte_caps(workspace):
    drop_photos(workspace, count=2, size=(2400, 1800))
    ws = Workspace.open(workspace)
    run(ws)
    for row in ws.catalog.outputs():
        spec = ws.profiles[row["platform"]].roles[row["role"]]
        path = workspace / row["path"]
        with Image.open(path) as img:
            # the transparent image (Tmall, JD) is a PNG that keeps its alpha
            want = ("PNG", "RGBA") if row["role"] == "transparent" else ("JPEG", "RGB")
            assert (img.format, img.mode) == want, row["path"]
            if spec.framed:
                assert img.size == (spec.width, spec.height), row["path"]
            else:
                assert img.width == spec.width, row["path"]
        assert path.stat().st_size <= spec.max_bytes


@pytest.mark.slow
def test_killed_run_then_rerun_equals_an_uninterrupted_run(tmp_path, workspace):
    import shutil

    drop_photos(workspace, count=4)
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)
    env = dict(os.environ, IMGPIPE_BROWSER="none")
    cmd = [sys.executable, "-m", "imgpipe", "-w", str(workspace), "run", "--jobs", "1", "--no-backup"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list((workspace / "output").rglob("*.jpg"))) < 12:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = len(list((workspace / "output").rglob("*.jpg")))
    assert partial >= 12
    subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([*cmd[:4], str(twin), *cmd[5:]], env=env, check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert outputs(workspace) == outputs(twin)
    assert sorted(p.name for p in (workspace / "originals").rglob("*.jpg")) == [f"A1023-0{i}.jpg" for i in range(1, 5)]
    assert not list(workspace.rglob(".*.tmp"))


def test_colour_cast_is_removed_from_the_backdrop(workspace):
    arr = studio_photo(backdrop=(215, 215, 215), cast=(1.2, 1.0, 0.72))  # tungsten-like, not clipped
    (workspace / "inbox" / "A1023_warm.jpg").write_bytes(jpeg_bytes(arr))
    run(Workspace.open(workspace))
    img = np.asarray(Image.open(workspace / "output" / "tmall" / "A1023" / "detail" / "A1023-01.jpg"))
    border = img[:40].reshape(-1, 3).mean(axis=0)
    assert border.max() - border.min() < 6, border  # neutral grey/white again


def _append(root: Path, text: str) -> None:
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def _correction(root: Path) -> dict:
    (photo,) = Workspace.open(root).catalog.photos("A1023")
    return photo.analysis["correction"]


@pytest.mark.slow
def test_colour_controls_per_workspace_and_per_article(workspace):
    arr = studio_photo(backdrop=(215, 215, 215), cast=(1.2, 1.0, 0.72))
    (workspace / "inbox" / "A1023_warm.jpg").write_bytes(jpeg_bytes(arr))
    run(Workspace.open(workspace))
    auto = _correction(workspace)
    assert auto["method"] == "backdrop" and auto["cct_k"] < 5500  # a warm light (D65 is 6500 K) is named
    # per article: off
    _append(workspace, "[colour.articles.A1023]\nmode = \"off\"\n")
    summary = run(Workspace.open(workspace))
    assert _correction(workspace)["method"] == "none" and summary.written  # outputs redone
    detail = np.asarray(Image.open(workspace / "output/tmall/A1023/detail/A1023-01.jpg"))[:40].reshape(-1, 3).mean(0)
    assert detail[0] - detail[2] > 20  # the cast is left in
    # workspace-wide manual gains, half strength
    toml = workspace / "imgpipe.toml"
    body = toml.read_text(encoding="utf-8").replace('[colour.articles.A1023]\nmode = "off"\n', "")
    toml.write_text(body.replace("strength = 1.0", "strength = 0.5\ngains = [0.8, 1.0, 1.4]"), encoding="utf-8")
    run(Workspace.open(workspace))
    manual = _correction(workspace)
    assert manual["method"] == "manual"
    assert manual["gains"] == pytest.approx([0.8 ** 0.5, 1.0, 1.4 ** 0.5], rel=1e-3)


@pytest.mark.slow
def test_a_chart_in_any_photo_becomes_the_articles_colour_reference(workspace):
    cast = (1.25, 1.0, 0.7)
    chart = render_colorchecker(cast, patch_px=50)
    scene = studio_photo(1200, 900, backdrop=(200, 200, 200), cast=cast, seed=5)
    h, w = chart.shape[:2]
    scene[200:200 + h, 300:300 + w] = chart
    (workspace / "inbox" / "A1023_chart.jpg").write_bytes(jpeg_bytes(scene, quality=95))
    arr = studio_photo(backdrop=(200, 200, 200), cast=cast, seed=6)
    (workspace / "inbox" / "A1023_product.jpg").write_bytes(jpeg_bytes(arr))
    run(Workspace.open(workspace))
    photos = {p.source_name: p for p in Workspace.open(workspace).catalog.photos("A1023")}
    assert photos["A1023_chart.jpg"].kind == "reference"
    assert photos["A1023_chart.jpg"].analysis["correction"]["patch_delta_e"]  # the fit's ΔE2000 per patch
    assert photos["A1023_product.jpg"].analysis["correction"]["method"] == "chart"
    published = [p.name for p in (workspace / "output" / "tmall" / "A1023" / "detail").iterdir()]
    assert published == [f"{photos['A1023_product.jpg'].stem}.jpg"]  # the chart shot is never published
    img = np.asarray(Image.open(workspace / "output/tmall/A1023/detail" / published[0]))
    border = img[:40].reshape(-1, 3).mean(axis=0)
    assert border.max() - border.min() < 6, border


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_a_reference_shot_without_a_card_is_a_warning_and_the_photos_fall_back(workspace):
    busy = np.random.default_rng(9).integers(0, 255, (600, 800, 3), dtype=np.uint8)  # no card, no chart in it
    (workspace / "inbox" / "A1023_ref.jpg").write_bytes(jpeg_bytes(busy))
    drop_photos(workspace, count=1)
    first = run(Workspace.open(workspace))
    assert any("A1023" in (w.get("file") or "") for w in first.warnings)
    photos = {p.kind: p for p in Workspace.open(workspace).catalog.photos("A1023")}
    assert photos["photo"].analysis["correction"]["method"] not in ("grey_card", "chart")  # automatic instead
    second = run(Workspace.open(workspace))  # the failed reference must not break later runs
    assert second.ok and not second.written


@pytest.mark.slow  # two runs: 3.5 s
def test_a_selling_point_of_a_narrow_photo_stays_narrow_like_its_detail(workspace):
    """Real shop (oper2 review): H602-03.jpg, 375 px wide, made a 790 px selling point (enlarged 2.1x)
    while its detail image stayed 375 px and validation told it to reshoot or set upscale. A selling
    point follows the detail's rule: narrow unless [roles.selling_point] upscale = true; its mark is
    recorded where it is drawn."""
    from imgpipe.validate import Validator

    drop_photos(workspace, count=1, size=(600, 900))
    ws = Workspace.open(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    rows = ws.catalog.outputs("A1023", "tmall")
    widths = {(r.role, r.width) for r in rows if r.role in ("detail", "selling_point")}
    assert widths == {("detail", 600), ("selling_point", 600)}, widths
    for r in rows:
        if r.role == "selling_point":
            (box,) = r.meta["watermark_boxes"]
            assert Image.open(workspace / r.path).width == 600 and box[2] <= 600
    # the large image is enlarged to the page (R3): its mark is recorded where it ends up (bottom right)
    (large,) = [r for r in rows if r.role == "large"]
    (box,) = large.meta["watermark_boxes"]
    assert Image.open(workspace / large.path).width == 790 and 0.9 * 790 < box[2] <= 790
    report = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    small = {f.file.split("/")[-2] for f in report.checks["sizes"].findings if f.code == "width_small"}
    assert small == {"detail", "selling_point"}
    assert all("[roles.selling_point]" in f.fix for f in report.checks["sizes"].findings
               if "/selling_point/" in f.file)
    assert not [f for f in report.checks["marks"].findings if f.code in ("mark_faint", "mark_invisible")]
    # allowed to enlarge: the page's width
    (workspace / "profiles").mkdir(exist_ok=True)
    (workspace / "profiles" / "tmall.toml").write_text("[roles.selling_point]\nupscale = true\n", encoding="utf-8")
    ws = Workspace.open(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    widths = {r.width for r in ws.catalog.outputs("A1023", "tmall") if r.role == "selling_point"}
    assert widths == {790}


@pytest.mark.slow  # a run: 2 s
def test_a_photo_a_few_percent_narrower_than_the_page_is_brought_to_its_width(workspace):
    """Real shop (G501): its 768 px photos stayed 768 px on Tmall's and 1688's 790 px pages, and
    validation failed 9 files an article telling the designer to reshoot or allow upscale. An
    enlargement of up to 10 % shows no softness: made at the page's width, nothing to fix."""
    from imgpipe.validate import Validator

    drop_photos(workspace, count=1, size=(768, 1024))
    ws = Workspace.open(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    rows = ws.catalog.outputs("A1023", "tmall")
    widths = {(r.role, Image.open(workspace / r.path).width) for r in rows if r.role in ("detail", "selling_point")}
    assert widths == {("detail", 790), ("selling_point", 790)}, widths
    report = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    assert not [f for f in report.checks["sizes"].findings if f.code in ("width", "width_small")]


def test_a_warning_about_an_archived_photo_names_it_as_it_was_dropped(workspace):
    """Real shop (oper2 review): the refused chart was reported as originals/服装/G501/G501-01.jpg,
    a name the designer never gave it; they dropped 00_ref_色卡.jpg. Both names are shown."""
    from rich.console import Console

    from imgpipe.report_cli import print_run_summary

    busy = np.random.default_rng(9).integers(0, 255, (600, 800, 3), dtype=np.uint8)  # no card, no chart in it
    (workspace / "inbox" / "A1023").mkdir(parents=True)
    (workspace / "inbox" / "A1023" / "00_ref_色卡.jpg").write_bytes(jpeg_bytes(busy))
    ws = Workspace.open(workspace)
    summary = run(ws, backup=False)
    (ref,) = ws.catalog.photos("A1023")
    (warning,) = [w for w in summary.warnings if w.get("file") == ref.original]
    assert warning["source"] == "00_ref_色卡.jpg"                    # the archived name stays in "file"
    out = Console(record=True, width=400)
    print_run_summary(summary, ws, out)
    assert f"00_ref_色卡.jpg（归档为 {ref.original}）:" in out.export_text()


@pytest.mark.slow
def test_a_chart_reference_that_fits_badly_is_refused_named_and_the_photos_fall_back(workspace):
    # operator review, G501: a chart shot from another camera (leave-one-out 6.07) corrected every photo
    from imgpipe.validate import Validator

    from test_colour import wrong_chart_shot

    (workspace / "inbox" / "A1023_ref.jpg").write_bytes(jpeg_bytes(wrong_chart_shot(), quality=95))
    drop_photos(workspace, count=1)
    ws = Workspace.open(workspace)
    summary = run(ws, platforms=["tmall"], backup=False)
    photos = {p.kind: p for p in ws.catalog.photos("A1023")}
    ref = photos["reference"]
    (warning,) = [w for w in summary.warnings if w.get("file") == ref.original]
    assert "ΔE2000" in warning["message"] and "5.0" in warning["message"] and warning["fix"]
    assert photos["photo"].analysis["correction"]["method"] not in ("chart", "grey_card")  # automatic instead
    result = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    (finding,) = [f for f in result.checks["quality"].findings if f.code == "colour_ref_refused"]
    assert "A1023_ref.jpg" in finding.message and finding.fix == warning["fix"]
    (line,) = result.colour_references
    assert line["method"] == "refused" and line["file"] == "A1023_ref.jpg" and 5.0 < line["loo_mean_de"] <= 8.0


def test_a_reference_that_would_crush_a_photo_to_black_is_not_applied_to_it(tmp_path):
    # G501: soi_image.jpg's chart took a navy top from (12, 19, 40) to (0, 5, 31), 23-28 % of two photos
    from imgpipe import colour as C
    from imgpipe.analyse import MAX_CRUSHED_SHARE, AnalyseTask, analyse_photo
    from imgpipe.messages import t
    from imgpipe.settings import ColourPlan

    (tmp_path / "navy.jpg").write_bytes(jpeg_bytes(studio_photo(product=(12, 19, 40))))
    plan = ColourPlan(mode="auto", strength=1.0, gains=())
    saturating = C.Correction(method="chart", matrix=[[1.6, -0.4, -0.2], [-0.3, 1.5, -0.2], [-0.2, -0.4, 1.6]])
    card = C.Correction(gains=(1.1, 1.0, 0.9), method="grey_card")
    results = {}
    for name, corr in (("saturating", saturating), ("card", card)):
        task = AnalyseTask(1, "navy.jpg", "photo", corr.to_dict(), plan,
                           reference_name="A1023_ref.jpg")
        _, results[name], error = analyse_photo(task, tmp_path, 150)
        assert error is None
    refused = results["saturating"]["reference_refused"]
    assert refused["file"] == "A1023_ref.jpg" and refused["crushed"] > MAX_CRUSHED_SHARE
    assert results["saturating"]["correction"]["method"] not in ("chart", "grey_card")  # auto instead
    assert "reference_refused" not in results["card"] and results["card"]["correction"]["method"] == "grey_card"
    from types import SimpleNamespace

    from imgpipe.context import reference_warnings

    (w,) = reference_warnings([SimpleNamespace(kind="photo", original="originals/A1023-01.jpg",
                                               analysis=results["saturating"])])
    assert "A1023_ref.jpg" in w["message"] and w["fix"] == t("colour.chart_rejected.fit_fix")


@pytest.mark.slow
def test_a_number_left_by_a_killed_run_is_not_reused_by_another_format(workspace):
    folder = workspace / "originals" / "服装" / "A1023"
    folder.mkdir(parents=True)
    leftover = jpeg_bytes(studio_photo(seed=11))
    (folder / "A1023-01.jpg").write_bytes(leftover)  # copied, never catalogued
    png = workspace / "inbox" / "A1023_a.png"
    Image.fromarray(studio_photo(seed=12)).save(png)
    run(Workspace.open(workspace))
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["A1023-01.jpg", "A1023-02.png"]
    assert (folder / "A1023-01.jpg").read_bytes() == leftover


def test_run_article_option_is_normalised_and_an_unknown_one_is_a_usage_error(workspace):
    from click.testing import CliRunner

    from imgpipe.cli import main

    drop_photos(workspace, count=1)
    unknown = CliRunner().invoke(main, ["-w", str(workspace), "run", "--article", "Ｚ９９９", "--no-backup"])
    assert unknown.exit_code == 2 and "Z999" in unknown.output
    assert list((workspace / "inbox").rglob("*.jpg"))  # nothing was done
    ok = CliRunner().invoke(main, ["-w", str(workspace), "run", "--article", "Ａ１０２３", "--no-backup", "--json"])
    assert ok.exit_code == 0, ok.output
    assert (workspace / "output" / "tmall" / "A1023" / "main" / "A1023-01.jpg").is_file()


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_an_image_equal_on_several_platforms_is_rendered_once_and_each_cap_still_holds(workspace, monkeypatch):
    from imgpipe import render

    # JD's white image capped below what it takes at quality 90: encoded anew for JD alone
    (workspace / "profiles" / "jd.toml").write_text("[roles.white]\nmax_bytes = 30_000\n", encoding="utf-8")
    calls = []
    real = render.render_output
    monkeypatch.setattr(render, "render_output", lambda *a, **k: calls.append(a[1].path) or real(*a, **k))
    drop_photos(workspace, count=2)
    ws = Workspace.open(workspace)
    summary = run(ws)
    assert summary.ok, summary.failed
    rows = ws.catalog.outputs()
    assert len(calls) < len(rows)  # Tmall's and 1688's equal images (same size, same mark) once
    for row in rows:
        assert (workspace / row["path"]).stat().st_size == row["bytes"] <= \
            ws.profiles[row["platform"]].roles[row["role"]].max_bytes
    whites = {r["platform"]: r for r in rows if r["role"] == "white"}
    assert whites["tmall"]["sha256"] == whites["1688"]["sha256"]  # one image, one encode
    assert whites["jd"]["sha256"] != whites["tmall"]["sha256"] and whites["jd"]["quality"] < 90
    with Image.open(workspace / whites["jd"]["path"]) as a, Image.open(workspace / whites["tmall"]["path"]) as b:
        diff = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))
    assert a.size == b.size and diff.mean() < 3  # the same picture at a lower quality
