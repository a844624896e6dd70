"""Sheets in every encoding Excel and editors leave, two sheets side by side, xlsx parts that unpack big."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from imgpipe.sheet import load_sheet
from imgpipe.workspace import Workspace

ROWS = ["货号,名称,类目,颜色", "A1023,纯棉衬衫,服装,白色/藏青", "B2045,陶瓷马克杯,家居,黑色"]
GBK = "\n".join(ROWS).encode("gbk")


@pytest.mark.parametrize("data", [
    "\n".join(ROWS).encode("utf-8"),
    b"\xef\xbb\xbf" + "\n".join(ROWS).encode("utf-8"),
    GBK,
    b"\xef\xbb\xbf" + GBK,                                   # an editor added the BOM without converting
    b"\x84\x31\x95\x33" + "\n".join(ROWS).encode("gb18030"),   # GB18030 with its own BOM
    "\n".join(ROWS).encode("utf-16"),                        # UTF-16 LE with BOM, comma
    b"\xfe\xff" + "\n".join(ROWS).encode("utf-16-be"),        # UTF-16 BE with BOM
    "\r\n".join(r.replace(",", "\t") for r in ROWS).encode("utf-16"),   # Excel's "Unicode text"
    "\n".join(r.replace(",", "\t") for r in ROWS).encode("utf-16-le"),  # UTF-16 without a BOM
], ids=["utf8", "utf8-bom", "gbk", "gbk-after-utf8-bom", "gb18030-bom", "utf16le-comma", "utf16be-comma",
        "utf16-tab", "utf16le-nobom-tab"])
def test_every_encoding_loads(tmp_path, data):
    path = tmp_path / "products.csv"
    path.write_bytes(data)
    sheet = load_sheet(path)
    assert not sheet.errors, [str(e) for e in sheet.errors]
    assert sheet.products["A1023"].name == "纯棉衬衫" and sheet.products["A1023"].colours == ("白色", "藏青")
    assert sheet.products["B2045"].category == "家居"


def test_an_undecodable_sheet_is_refused_naming_the_file_and_the_fix(tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(b"\xff\xfe" + "货号,名称,类目\n".encode("utf-16-le") + b"\x00\xd8")   # a lone surrogate
    sheet = load_sheet(path)
    (err,) = sheet.errors
    assert err.file == str(path) and err.fix and not sheet.products


@pytest.fixture
def shop(workspace):
    (workspace / "products.csv").write_bytes(b"\xef\xbb\xbf" + "\n".join(
        ["货号,名称,类目", "A1023,纯棉衬衫,服装"]).encode("gbk"))
    return workspace


@pytest.mark.parametrize("command", [["status"], ["validate"], ["run", "--dry-run"]])
def test_commands_on_a_gbk_sheet_after_a_utf8_bom_do_not_fail(shop, command):
    from imgpipe.cli import main

    result = CliRunner().invoke(main, ["-w", str(shop), *command], catch_exceptions=False)
    assert "UnicodeDecodeError" not in result.output and "内部错误" not in result.output
    assert result.exit_code in (0, 1), result.output
    if command == ["status"]:
        assert "A1023" in result.output


def test_serve_starts_on_a_gbk_sheet_after_a_utf8_bom(shop):
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    with TestClient(create_app(shop), client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765") as c:
        r = c.get("/")
        assert r.status_code == 200 and "A1023" in r.text


def test_both_sheets_present_warns_naming_the_one_used(workspace):
    book = openpyxl.Workbook()
    book.active.append(["货号", "名称", "类目"])
    book.active.append(["X9", "旧表", "服装"])
    book.save(workspace / "products.xlsx")
    sheet = Workspace.open(workspace).sheet()
    assert set(sheet.products) == {"X9"}
    (warning,) = sheet.errors
    assert "products.xlsx" in warning.message and "products.csv" in warning.message
    assert warning.file.endswith("products.csv") and "products.xlsx" in warning.fix


def test_an_xlsx_whose_styles_unpack_big_is_refused_before_openpyxl_reads_it(tmp_path):
    """A 250 KB file whose styles part unpacks to 30 MB (under the old per-part limit of 100 MB)."""
    path = tmp_path / "products.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["货号", "名称", "类目"])
    book.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xf = b'<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    count = 30 * 2**20 // len(xf)
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(
        b'<cellXfs count="1">', b'<cellXfs count="%d">' % (count + 1) + xf * count)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert path.stat().st_size < 300_000
    (err,) = load_sheet(path).errors
    assert "styles.xml" in err.message and err.file == str(path)


def test_serve_says_a_broken_sheet_and_recovers_when_it_is_saved_again(workspace):
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    good = (workspace / "products.csv").read_bytes()
    (workspace / "products.csv").write_bytes(b"\xff\xfe" + "货号,名称,类目\n".encode("utf-16-le") + b"\x00\xd8")
    with TestClient(create_app(workspace), client=("127.0.0.1", 50000), base_url="http://127.0.0.1:8765") as c:
        r = c.get("/")
        assert r.status_code == 200 and "products.csv" in r.text and "Traceback" not in r.text
        assert r.text.count("无法识别 CSV 编码") == 1
        (workspace / "products.csv").write_bytes(good)
        r = c.get("/")
        assert "A1023" in r.text and "无法识别 CSV 编码" not in r.text
