"""The bad-input corpus (tests/corpus.py) through the real pipeline: the batch
always completes, good files are processed, bad ones stay in the inbox with a
reason that names them, hidden ones are left alone."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pytest

from imgpipe.errors import ImgpipeError
from imgpipe.imageio import load_photo
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from corpus import build_corpus, cases, png_bomb


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    """Detail-page slices are tested elsewhere; the module fixture also runs without them."""
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    import os

    from imgpipe.workspace import init_workspace
    from conftest import PRODUCT_ROW, write_sheet

    old = os.environ.get("IMGPIPE_BROWSER")
    os.environ["IMGPIPE_BROWSER"] = "none"
    root = tmp_path_factory.mktemp("corpus") / "shop"
    init_workspace(root)
    write_sheet(root, [PRODUCT_ROW])
    made = build_corpus(root / "inbox")
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    if old is None:
        os.environ.pop("IMGPIPE_BROWSER", None)
    else:
        os.environ["IMGPIPE_BROWSER"] = old
    yield root, made, summary


def test_corpus_has_every_kind_of_case():
    made = cases()
    assert len(made) >= 29
    assert {c.expect for c in made} >= {"ok", "error", "ignored", "duplicate"}


@pytest.mark.slow  # >= 1.75 CPU-s (tools/cpu_durations.py, 2026-12-07)
def test_batch_completes_and_every_case_gets_its_outcome(corpus_run):
    root, made, summary = corpus_run
    ws = Workspace.open(root)
    by_source = {p.source_name: p for p in ws.catalog.photos("A1023")}
    pending = {str(p.path): p for p in summary.ingest.pending}
    dups = {str(p.path) for p in summary.ingest.duplicates}
    outputs_by_photo = {}
    for row in ws.catalog.outputs("A1023"):
        outputs_by_photo.setdefault(row["photo_id"], []).append(row["path"])
    problems = []
    for case in made:
        path = root / "inbox" / case.rel
        name = path.name
        if case.expect == "skip":
            continue
        if case.expect == "ok":
            photo = by_source.get(name)
            if photo is None:
                problems.append(f"{case.name}: not archived ({pending.get(str(path))})")
                continue
            original = root / photo.original
            if original.read_bytes() != case.data or photo.sha256 != hashlib.sha256(case.data).hexdigest():
                problems.append(f"{case.name}: archived copy differs")
            if not outputs_by_photo.get(photo.id):
                problems.append(f"{case.name}: no outputs")
            for out in outputs_by_photo.get(photo.id, []):
                if not (root / out).is_file():
                    problems.append(f"{case.name}: {out} missing")
            if path.exists():
                problems.append(f"{case.name}: still in inbox")
        elif case.expect == "error":
            p = pending.get(str(path))
            if p is None or not path.exists() or path.read_bytes() != case.data:
                problems.append(f"{case.name}: expected to stay in inbox with a reason, got {p}")
            elif not p.reason or (case.reason and case.reason not in p.reason and case.reason not in str(p.fix)):
                problems.append(f"{case.name}: unclear reason {p.reason!r}")
        elif case.expect == "ignored":
            if not path.exists() or str(path) in pending or name in by_source:
                problems.append(f"{case.name}: hidden file was touched or reported")
        elif case.expect == "duplicate":
            if str(path) not in dups:
                problems.append(f"{case.name}: not reported as duplicate")
    assert not problems, "\n".join(problems)
    assert not summary.failed, summary.failed
    # every error names its file, as the user sees it
    for item in summary.as_dict()["pending"]:
        assert item["file"] and item["reason"]


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_sequence_numbers_are_unique_and_dense(corpus_run):
    root, made, _ = corpus_run
    seqs = [p.seq for p in Workspace.open(root).catalog.photos("A1023")]
    assert sorted(seqs) == list(range(1, len(seqs) + 1))
    assert len(seqs) == sum(c.expect == "ok" for c in made)


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_special_file_names_keep_their_source_name(corpus_run):
    root, _, _ = corpus_run
    names = {p.source_name for p in Workspace.open(root).catalog.photos("A1023")}
    assert "A1023_白色衬衫正面.jpg" in names
    assert "A1023-📷新品✨.jpg" in names
    assert "A1023 front view  2.jpg" in names
    assert any(len(n) > 200 for n in names)
    # originals are named by article and number, whatever came in (upper-case .JPEG -> .jpg)
    exts = {p.original.rsplit(".", 1)[1] for p in Workspace.open(root).catalog.photos("A1023")}
    assert "JPG" not in exts and "JPEG" not in exts and "jpeg" not in exts


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_rerun_changes_nothing(corpus_run):
    root, _, _ = corpus_run
    before = {p: p.read_bytes() for p in (root / "output").rglob("*.jpg")}
    again = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    assert not again.written and not again.ingest.archived
    assert {p: p.read_bytes() for p in (root / "output").rglob("*.jpg")} == before


def test_bomb_is_refused_from_the_header_fast():
    data = png_bomb()
    assert len(data) < 200
    started = time.perf_counter()
    with pytest.raises(ImgpipeError) as err:
        load_photo(data, name="bomb.png")
    assert time.perf_counter() - started < 1.0
    assert err.value.file == "bomb.png"


def test_decoded_cases_look_right():
    by_name = {c.name: c for c in cases()}
    # palette PNG: transparent index flattened onto white, not black
    pal = load_photo(by_name["palette-png-transparency"].data)
    assert pal.had_alpha and pal.rgb.dtype == np.uint8 and pal.rgb.shape[2] == 3
    # 16-bit TIFF: reduced to 8 bits, values preserved (257*v >> 8 == v)
    tif = load_photo(by_name["tiff-16bit-rgb"].data)
    from corpus import photo

    assert np.abs(tif.rgb.astype(int) - photo(4).astype(int)).max() <= 1
    # orientation 9 is not a valid value: treated as upright
    o9 = load_photo(by_name["jpeg-orientation-9"].data)
    assert o9.orientation == 1 and o9.rgb.shape[:2] == (270, 360)
    # CMYK comes out RGB with the product still darker than the backdrop
    cmyk = load_photo(by_name["cmyk-jpeg"].data)
    assert cmyk.rgb[135, 180].mean() < cmyk.rgb[5, 5].mean()


@pytest.mark.slow  # shares its module's shop run, measured with the first (tools/cpu_durations.py)
def test_broken_icc_profile_is_a_named_warning_not_a_python_warning(corpus_run):
    import warnings

    _, _, summary = corpus_run
    assert any(str(w["file"]).endswith("badicc.jpg") and "ICC" in w["message"] for w in summary.warnings)
    data = {c.name: c.data for c in cases()}["jpeg-broken-icc"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any Python warning fails the test
        photo = load_photo(data, name="badicc.jpg")
    assert photo.notes and not photo.had_icc


def test_links_out_of_the_inbox_and_hidden_article_folders_are_reported(tmp_path):
    from imgpipe.workspace import init_workspace
    from conftest import PRODUCT_ROW, write_sheet

    root = tmp_path / "shop"
    init_workspace(root)
    write_sheet(root, [PRODUCT_ROW])
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(cases()[0].data or b"x")
    (root / "inbox" / "A1023").mkdir(parents=True)
    (root / "inbox" / "A1023" / "link.jpg").symlink_to(outside)
    (root / "inbox" / ".A1023").mkdir()
    (root / "inbox" / ".A1023" / "IMG_1.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "inbox" / "A1023" / ".DS_Store").write_bytes(b"mac")
    (root / "inbox" / "Thumbs.db").write_bytes(b"win")
    summary = run(Workspace.open(root), jobs=1, backup=False, platforms=["tmall"])
    pending = {p.path.name: p for p in summary.ingest.pending}
    assert set(pending) == {"link.jpg", "IMG_1.jpg"}  # system files stay unmentioned
    assert "链接" in pending["link.jpg"].reason and pending["link.jpg"].fix
    assert ".A1023" in pending["IMG_1.jpg"].reason and "A1023" in pending["IMG_1.jpg"].fix
    assert not summary.ok
    assert outside.exists() and (root / "inbox" / ".A1023" / "IMG_1.jpg").exists()  # nothing touched
