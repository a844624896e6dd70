"""One article context for run, soldout and validate; planning touches nothing."""

from __future__ import annotations

import pytest
import re

import numpy as np
from PIL import Image

from conftest import jpeg_bytes, studio_photo
from imgpipe.context import Resources, build_context, plan_outputs
from imgpipe.pipeline import run
from imgpipe.soldout import planned_fingerprints
from imgpipe.validate import Validator, backdrop_cast
from imgpipe.workspace import Workspace


def _drop(root, name, arr):
    (root / "inbox" / "A1023").mkdir(parents=True, exist_ok=True)
    (root / "inbox" / "A1023" / name).write_bytes(jpeg_bytes(arr))


def _shop_with_a_close_up(root):
    """Two studio shots and a fabric close-up (it takes the session's light)."""
    for i in range(2):
        _drop(root, f"IMG_{i + 1}.jpg", studio_photo(backdrop=(215, 215, 215), cast=(1.2, 1.0, 0.72), seed=i,
                                                      box=(0.3 + 0.05 * i, 0.25, 0.65 + 0.05 * i, 0.8)))
    _drop(root, "IMG_3.jpg", studio_photo(box=(0, 0, 1, 1), product=(150, 60, 40), cast=(1.2, 1.0, 0.72)))
    return Workspace.open(root)


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_soldout_and_validate_plan_what_run_made(workspace):
    ws = _shop_with_a_close_up(workspace)
    summary = run(ws, platforms=["tmall"], backup=False)
    assert summary.ok and summary.written
    photos = build_context(ws, ws.sheet().products["A1023"], Resources.of(ws, ws.font_path())).photos
    assert any(p.analysis["correction"]["method"] == "session" for p in photos)  # the close-up took the session light
    recorded = {r["path"]: r["fingerprint"] for r in ws.catalog.outputs("A1023", "tmall")}
    planned = planned_fingerprints(ws, ws.sheet().products["A1023"], ws.catalog.soldout("A1023"))
    assert {p: fp for p, fp in planned.items() if p in recorded} == recorded
    jobs, _ = Validator(ws, platforms=["tmall"]).plan("A1023", "tmall")
    assert {j.path: j.fingerprint for j in jobs} == recorded


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_planning_reads_only(workspace):
    ws = _shop_with_a_close_up(workspace)
    run(ws, platforms=["tmall"], backup=False)
    stale = workspace / "output" / "tmall" / "A1023" / "main" / "A1023-09.jpg"
    stale.write_bytes(b"x")
    ws.catalog.record_output(path="output/tmall/A1023/main/A1023-09.jpg", platform="tmall", article="A1023",
                             role="main", photo_id=1, fingerprint="old", sha256="", width=1, height=1, nbytes=1,
                             quality=0, meta={})
    before = sorted((p, p.stat().st_mtime_ns) for p in workspace.rglob("*") if p.is_file())
    ctx = build_context(ws, ws.sheet().products["A1023"], Resources.of(ws, ws.font_path()))
    plan = plan_outputs(ws, ctx, ws.enabled(["tmall"]))
    assert plan.remove == [("tmall", "output/tmall/A1023/main/A1023-09.jpg")] and not plan.write and plan.up_to_date
    assert all(j.article == "A1023" and j.platform == "tmall" and j.seq in (1, 2, 3) for j in plan.jobs)
    assert sorted((p, p.stat().st_mtime_ns) for p in workspace.rglob("*") if p.is_file()) == before
    assert ws.catalog.output("output/tmall/A1023/main/A1023-09.jpg") is not None


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_validate_measures_the_cast_the_outputs_have_at_half_strength(workspace):
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("strength = 1.0", "strength = 0.5"), encoding="utf-8")
    _drop(workspace, "warm.jpg", studio_photo(backdrop=(215, 215, 215), cast=(1.2, 1.0, 0.72)))
    ws = Workspace.open(workspace)
    run(ws, platforms=["tmall"], backup=False)
    detail = np.asarray(Image.open(workspace / "output/tmall/A1023/detail/A1023-01.jpg").convert("RGB"))
    (photo,) = ws.catalog.photos("A1023")
    in_output = backdrop_cast(detail, tuple(photo.analysis["box"]))[0]
    result = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    (cast,) = [f for f in result.checks["quality"].findings if f.code == "cast"]
    reported = float(re.search(r"ΔE ([\d.]+)", cast.message).group(1))
    # the correction is applied once: validate sees the cast the published image has
    assert abs(reported - in_output) < 1.0, (reported, in_output)


def test_only_a_close_up_fitted_whole_gets_a_new_analysis_key():
    """Outputs made before close-ups on a plain light backdrop were fitted whole are made again once;
    every other photo's outputs keep their fingerprints (an upgrade redoes nothing else)."""
    from imgpipe.catalog import PhotoRow
    from imgpipe.context import ArticleContext
    from imgpipe.plan import fingerprint
    from imgpipe.sheet import Product

    def photo(pid, backdrop):
        return PhotoRow(pid, "A1", pid, "jpg", "s", "o", "n", None, "photo",
                        {"correction": [1, 1, 1], "backdrop": backdrop, "box": [0.2, 0.2, 0.8, 0.8]}, "k")

    tight_on_white, tight_on_cloth, whole_on_white = photo(1, 0.95), photo(2, 0.3), photo(3, 0.95)
    ctx = ArticleContext(Product("A1", "衬衫", "服装"), close_up=frozenset({1, 2}))
    before = {p.id: fingerprint("k", [1, 1, 1], p.id in ctx.close_up) for p in (tight_on_white, tight_on_cloth,
                                                                               whole_on_white)}
    assert ctx.analysis_key(tight_on_white) != before[1]
    assert ctx.analysis_key(tight_on_cloth) == before[2] and ctx.analysis_key(whole_on_white) == before[3]


@pytest.mark.slow  # a run of three photos
def test_an_article_outside_the_3_4_categories_gets_none_and_validation_does_not_ask(workspace):
    from conftest import PRODUCT_ROW, write_sheet

    ws = _shop_with_a_close_up(workspace)
    assert run(ws, platforms=["tmall"], backup=False).ok
    made = [r.path for r in ws.catalog.outputs("A1023", "tmall") if r.role == "main_3x4"]
    assert made and all(Image.open(workspace / p).size == (750, 1000) for p in made)  # 服装: Tmall's 3:4 main images
    write_sheet(workspace, [PRODUCT_ROW.replace(",服装,", ",家居,")])
    ws = Workspace.open(workspace)
    ctx = build_context(ws, ws.sheet().products["A1023"], Resources.of(ws, ws.font_path()))
    plan = plan_outputs(ws, ctx, ws.enabled(["tmall"]))
    assert sorted(p for _, p in plan.remove) == sorted(made) and not plan.write  # only the 3:4 images go
    assert run(ws, platforms=["tmall"], backup=False).ok
    assert not [r for r in ws.catalog.outputs("A1023", "tmall") if r.role == "main_3x4"]
    art = Validator(ws, platforms=["tmall"]).validate_article("A1023", ws.enabled(["tmall"])["tmall"])
    assert art.checks["counts"].status == "pass", [f.message for f in art.checks["counts"].findings]
