"""Sheets that fight back, and property tests over the sheet parser and the
path builders: no input crashes them or names a path outside the workspace."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import is_within
from imgpipe.ingest import category_folder
from imgpipe.plan import safe_label
from imgpipe.sheet import article_problem, load_sheet, parse_rows

from conftest import PRODUCT_ROW, SHEET_HEADER

HEADER = SHEET_HEADER.split(",")


def row(article="A1023", date="2026-11-24", **over):
    cells = PRODUCT_ROW.split(",")
    cells[0] = article
    cells[13] = date
    return cells


def test_gbk_and_utf8_bom_csv(tmp_path):
    for name, data in (("gbk", ("\n".join([SHEET_HEADER, PRODUCT_ROW]) + "\n").encode("gbk")),
                       ("bom", b"\xef\xbb\xbf" + ("\n".join([SHEET_HEADER, PRODUCT_ROW]) + "\n").encode("utf-8"))):
        path = tmp_path / f"{name}.csv"
        path.write_bytes(data)
        sheet = load_sheet(path)
        assert not sheet.errors, sheet.errors
        assert sheet.products["A1023"].name == "纯棉衬衫"


def test_xlsx_merged_cells_formulas_empty_rows_and_dates(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["2026 秋冬新品"])  # a title row above the header
    ws.merge_cells("A1:F1")
    ws.append(HEADER)
    ws.append(row("A1", date=None)[:13] + [46000])          # Excel serial date
    ws.append([])                                            # empty row
    ws.append(row("A2")[:13] + ["2026/11/24"])               # date as text
    ws.append(row("A3")[:13] + [dt.datetime(2026, 11, 24)])
    ws.append(row("A4")[:14] + ["=100+99"])                  # a formula price (no cached value)
    ws.append(row("A1"))                                     # duplicate article
    ws.merge_cells("B3:B4")
    path = tmp_path / "products.xlsx"
    book.save(path)
    sheet = load_sheet(path)
    assert set(sheet.products) >= {"A1", "A2", "A3"}
    assert sheet.products["A1"].arrival_date == dt.date(2025, 12, 9)
    assert sheet.products["A2"].arrival_date == sheet.products["A3"].arrival_date == dt.date(2026, 11, 24)
    assert any("A1" in e.message and e.row for e in sheet.errors)  # the duplicate, with its row
    for err in sheet.errors:
        assert err.file and (err.row or err.field)


def test_hostile_article_numbers():
    rows = [HEADER] + [row(a) for a in ("../x", "a/b", "CON", "A1023 ", "Ａ１０２３", "..", "nul.txt", "a\\b")]
    sheet = parse_rows(rows, Path("products.csv"))
    # the trailing space and the full-width form are the same article: the second is a duplicate
    assert list(sheet.products) == ["A1023"]
    bad = {e.row for e in sheet.errors}
    assert bad == {2, 3, 4, 6, 7, 8, 9}  # ../x a/b CON (dup of A1023) .. nul.txt a\b
    for err in sheet.errors:
        assert err.row and err.field


def test_ten_thousand_rows_parse_fast(tmp_path):
    lines = [SHEET_HEADER] + [PRODUCT_ROW.replace("A1023", f"B{i:05d}", 1) for i in range(10_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    started = time.perf_counter()
    sheet = load_sheet(path)
    seconds = time.perf_counter() - started
    print(f"\n10,000-row sheet parsed in {seconds:.2f} s")
    assert len(sheet.products) == 10_000 and not sheet.errors
    assert seconds < 10


cell = st.one_of(
    st.none(), st.text(max_size=30), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
    st.booleans(), st.dates(), st.datetimes(),
    st.sampled_from(["../x", "a/b", "CON", "A1023 ", "Ａ１０２３", "..", "/etc/passwd", "C:\\x", "\x00", "=1+1"]),
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(cell, max_size=17), max_size=8), st.booleans())
def test_parse_rows_never_crashes_and_articles_are_safe_names(body, with_header):
    rows = ([HEADER] if with_header else []) + body
    sheet = parse_rows(rows, Path("p.csv"))
    for err in sheet.errors:
        assert isinstance(err, ImgpipeError)
    for article, product in sheet.products.items():
        assert article_problem(article) is None
        assert product.article == article


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_path_builders_stay_inside_the_workspace(tmp_path_factory, text):
    root = tmp_path_factory.getbasetemp() / "ws"
    folder = category_folder(text)
    assert folder and "/" not in folder and "\\" not in folder and folder not in (".", "..")
    assert is_within(root / "originals" / folder / "A1023", root / "originals")
    label = safe_label(text)
    assert label and "/" not in label and "\\" not in label and label not in (".", "..")
    assert is_within(root / "output" / "tmall" / "A1023" / "sku" / f"A1023-01-{label}.jpg", root / "output")
    if article_problem(text) is None:
        assert is_within(root / "originals" / folder / text, root / "originals" / folder)
        assert text not in (".", "..") and "/" not in text and "\x00" not in text
