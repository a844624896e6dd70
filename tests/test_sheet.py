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


# --- #19: case twins, the real extent of an xlsx, limits -------------------------------------------

def _xlsx(path, rows):
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _rewrite_part(path, part, fn):
    import zipfile

    with zipfile.ZipFile(path) as src:
        items = [(i, src.read(i.filename)) for i in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in items:
            dst.writestr(info, fn(data) if info.filename == part else data)


def test_case_twin_articles_are_an_error_naming_both_rows():
    from imgpipe.sheet import parse_rows

    sheet = parse_rows([["货号", "名称", "类目"], ["A1023", "衬衫", "服装"], ["B1", "杯", "家居"],
                        ["a1023", "围巾", "配饰"]])
    assert set(sheet.products) == {"B1"}  # neither twin: photos would go to either
    err = next(e for e in sheet.errors if "a1023" in e.message)
    assert err.row == 4 and "A1023" in err.message and "2" in err.message
    assert err.fix


def test_xlsx_with_a_wrong_dimension_tag_is_read_to_its_real_extent(tmp_path):
    import re as _re

    from imgpipe.sheet import load_sheet

    path = _xlsx(tmp_path / "products.xlsx", [["货号", "名称", "类目", "价格"], ["A1", "衬衫", "服装", 99],
                                                 ["A2", "杯", "家居", 19], ["A3", "包", "箱包", 59]])
    _rewrite_part(path, "xl/worksheets/sheet1.xml",
                  lambda data: _re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:B2"', data))
    sheet = load_sheet(path)
    assert not sheet.errors
    assert set(sheet.products) == {"A1", "A2", "A3"}
    assert sheet.products["A3"].category == "箱包" and sheet.products["A3"].price == 59


def test_xlsx_limits_give_clear_errors_before_loading(tmp_path, monkeypatch):
    import imgpipe.sheet as sheet_mod

    monkeypatch.setattr(sheet_mod, "MAX_ROWS", 50)
    path = _xlsx(tmp_path / "rows.xlsx", [["货号", "名称", "类目"]] + [[f"A{i}", "x", "y"] for i in range(60)])
    loaded = sheet_mod.load_sheet(path)
    assert not loaded.products and loaded.errors[0].row == 51 and "50" in loaded.errors[0].message
    monkeypatch.setattr(sheet_mod, "MAX_XML_BYTES", 12000)
    path = _xlsx(tmp_path / "cell.xlsx", [["货号", "名称", "类目"], ["A1", "很长" * 3000, "服装"]])
    loaded = sheet_mod.load_sheet(path)
    assert not loaded.products and "xl/" in loaded.errors[0].message  # names the part that is too big
    monkeypatch.setattr(sheet_mod, "MAX_XML_BYTES", 100 * 2**20)
    loaded = sheet_mod.load_sheet(path)  # 6000 characters: within Excel's own cell limit
    assert loaded.products["A1"].name.startswith("很长")
    path = tmp_path / "long.csv"  # openpyxl itself cuts cells at 32767 characters; a CSV does not
    path.write_text("货号,名称,类目\nA1," + "x" * 40000 + ",服装\nA2,杯,家居\n", encoding="utf-8")
    loaded = sheet_mod.load_sheet(path)
    assert set(loaded.products) == {"A2"}
    assert loaded.errors[0].row == 2 and loaded.errors[0].field == "名称"
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * (sheet_mod.MAX_SHEET_BYTES + 1))
    assert "MB" in sheet_mod.load_sheet(big).errors[0].message
