"""The product sheet: encodings, header languages, xlsx, and bad rows reported by row."""

import datetime as dt

import openpyxl
import pytest

from imgpipe.sheet import article_problem, load_sheet, parse_rows

ROWS_ZH = [
    "货号,名称,类目,颜色,尺码,长,到货日期,卖点",
    "A1023,纯棉衬衫,服装,白色/藏青、红色,S，M;L,70,2026/11/20,透气；柔软",
    "B2045,陶瓷马克杯,家居,白色,,12.5,20261121,",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_load_the_same(tmp_path, encoding):
    path = tmp_path / "products.csv"
    path.write_bytes("\n".join(ROWS_ZH).encode(encoding))
    sheet = load_sheet(path)
    assert not sheet.errors
    shirt = sheet.products["A1023"]
    assert shirt.name == "纯棉衬衫"
    assert shirt.colours == ("白色", "藏青", "红色")
    assert shirt.sizes == ("S", "M", "L")
    assert shirt.length_cm == 70.0
    assert shirt.arrival_date == dt.date(2026, 11, 20)
    assert shirt.selling_points == ("透气", "柔软")
    assert sheet.products["B2045"].arrival_date == dt.date(2026, 11, 21)


def test_english_headers_and_xlsx_with_excel_dates(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["Article", "Name", "Category", "Colours", "Length_cm", "Arrival_date", "Price"])
    ws.append(["Ａ１０２３", "Shirt", "clothing", "red/blue", 70, dt.datetime(2026, 11, 20), 199])
    ws.append(["C1", "Bag", "bags", None, None, 46000, "¥59"])  # 46000 = an Excel serial day
    path = tmp_path / "products.xlsx"
    book.save(path)
    sheet = load_sheet(path)
    assert not sheet.errors
    assert set(sheet.products) == {"A1023", "C1"}  # full-width article normalised by NFKC
    assert sheet.products["A1023"].arrival_date == dt.date(2026, 11, 20)
    assert sheet.products["C1"].arrival_date == dt.date(2025, 12, 9)
    assert sheet.products["C1"].price == 59.0


def test_bad_rows_are_reported_with_row_and_column_and_others_load():
    rows = [
        ["货号", "名称", "类目", "长", "到货日期"],
        ["A1", "衬衫", "服装", "30", "2026-11-20"],
        ["../x", "a", "b", "", ""],
        ["A1", "dup", "服装", "", ""],
        ["A2", "", "服装", "", ""],
        ["A3", "杯", "家居", "abc", ""],
        ["A4", "杯", "家居", "", "next week"],
        ["CON", "x", "y", "", ""],
        ["A5 ", "ok", "家居", "", ""],
    ]
    sheet = parse_rows(rows)
    assert set(sheet.products) == {"A1", "A5"}  # trailing space stripped, like Excel users expect
    found = {(e.row, e.field) for e in sheet.errors}
    assert found == {(3, "货号"), (4, "货号"), (5, "名称"), (6, "长"), (7, "到货日期"), (8, "货号")}
    assert all(e.fix for e in sheet.errors)


def test_missing_required_column_is_named():
    sheet = parse_rows([["货号", "名称"], ["A1", "x"]])
    assert not sheet.products
    assert "类目" in str(sheet.errors[0])


@pytest.mark.parametrize("article,bad", [
    ("A1023", False), ("A-1.2_x", False), ("a/b", True), ("..", True), ("CON", True),
    ("lpt1.txt", True), ("A1023.", True), ("A 1", True), ("", True), ("货号1", True),
])
def test_article_file_name_safety(article, bad):
    assert (article_problem(article) is not None) == bad
