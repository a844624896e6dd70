"""The product sheet from purchasing: `.xlsx` or `.csv` (UTF-8, GBK/GB18030, UTF-16; with or without a BOM).

One row per article; Chinese or English headers (contract.md). A bad row is
reported with its row number and column and left out; the others load.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

# field name -> accepted headers (first is the Chinese one written by `init`)
COLUMNS: dict[str, tuple[str, ...]] = {
    "article": ("货号", "article", "article_no", "sku"),
    "name": ("名称", "name", "product_name"),
    "category": ("类目", "category"),
    "brand": ("品牌", "brand"),
    "title": ("标题", "title"),
    "colours": ("颜色", "colours", "colors", "colour", "color"),
    "fabric": ("面料", "fabric", "material"),
    "sizes": ("尺码", "sizes", "size"),
    "length_cm": ("长", "length_cm", "length"),
    "width_cm": ("宽", "width_cm", "width"),
    "height_cm": ("高", "height_cm", "height"),
    "note": ("说明", "note", "notes"),
    "selling_points": ("卖点", "selling_points", "selling points"),
    "arrival_date": ("到货日期", "arrival_date", "arrival"),
    "price": ("价格", "price"),
    "sold_out": ("售罄", "sold_out", "sold out"),
}
REQUIRED = ("article", "name", "category")
LIST_SPLIT = re.compile(r"\s*[/、,，;；]\s*")
POINTS_SPLIT = re.compile(r"\s*(?:\r?\n|;|；)\s*")
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
ARTICLE_CHARS = re.compile(r"[^A-Za-z0-9._\-]")
# A product sheet is hundreds or thousands of rows. Far beyond these it is a mistake (or hostile):
# refused with a clear error before anything big is read into memory.
MAX_SHEET_BYTES = 20 * 1024 * 1024      # the .xlsx or .csv file
MAX_XML_BYTES = 100 * 1024 * 1024       # one part of the .xlsx once unzipped (a sheet, the shared strings)
MAX_UNPACKED_BYTES = 150 * 1024 * 1024  # all parts of the .xlsx together once unzipped
MAX_STYLES_BYTES = 5 * 1024 * 1024      # styles.xml: Excel's own for a heavily formatted sheet is under 2 MB;
                                        # openpyxl builds an object per entry (a 99 MB one took 2.7 GB)
MAX_ROWS = 100_000
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767                 # Excel's own limit for one cell


@dataclass(frozen=True)
class Product:
    """One article from the sheet. Measurements in centimetres, price in yuan."""

    article: str
    name: str
    category: str
    brand: str = ""
    title: str = ""
    colours: tuple[str, ...] = ()
    fabric: str = ""
    sizes: tuple[str, ...] = ()
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None
    note: str = ""
    selling_points: tuple[str, ...] = ()
    arrival_date: dt.date | None = None
    price: float | None = None
    row: int = 0
    sold_out: tuple[tuple[str, str], ...] = ()  # (colour, size) marked in the 售罄 column; "" = any

    def measurements(self) -> str:
        """`长×宽×高` as "30×20×10 cm", leaving out the ones not measured."""
        parts = [f"{v:g}" for v in (self.length_cm, self.width_cm, self.height_cm) if v is not None]
        return "×".join(parts) + " cm" if parts else ""

    def measured_axes(self, names: str) -> str:
        """`names` ("长×宽×高", "L×W×H") cut to the dimensions measurements() gives: 62×44 cm is 长×宽."""
        given = (self.length_cm, self.width_cm, self.height_cm)
        return "×".join(n for n, v in zip(names.split("×"), given) if v is not None)


@dataclass
class Sheet:
    products: dict[str, Product] = field(default_factory=dict)
    errors: list[ImgpipeError] = field(default_factory=list)
    path: Path | None = None
    case_twins: dict[str, ImgpipeError] = field(default_factory=dict)  # casefolded article -> why held back


def normalise_article(raw: str) -> str:
    """NFKC (full-width Ａ１０２３ -> A1023) and outer whitespace removed."""
    return unicodedata.normalize("NFKC", str(raw)).strip()


def article_problem(article: str) -> str | None:
    """Why `article` cannot be a file/folder name on Windows, macOS and Linux, or None."""
    if not article:
        return t("article.why.empty")
    if "/" in article or "\\" in article:
        return t("article.why.separator")
    if article in (".", ".."):
        return t("article.why.dots")
    if article.split(".")[0].upper() in WINDOWS_RESERVED:
        return t("article.why.reserved")
    if article[-1] in ". ":
        return t("article.why.trailing")
    bad = "".join(sorted(set(ARTICLE_CHARS.findall(article))))
    if bad:
        return t("article.why.chars", chars=bad)
    if len(article) > 64:
        return t("article.why.long")
    return None


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19000101 <= value <= 21001231 and float(value).is_integer():
            return dt.datetime.strptime(str(int(value)), "%Y%m%d").date()
        if 1 <= value < 200000:  # an Excel serial day number
            return (dt.datetime(1899, 12, 30) + dt.timedelta(days=float(value))).date()
        raise ValueError(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def parse_number(value) -> float:
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        return float(value)
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    text = re.sub(r"(?i)\s*(cm|厘米|元|¥|￥)$", "", text).lstrip("¥￥")
    return float(text)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split(text: str, pattern: re.Pattern) -> tuple[str, ...]:
    return tuple(p for p in (s.strip() for s in pattern.split(text)) if p)


def _header_map(header: list) -> dict[str, int]:
    lookup = {}
    for field_name, names in COLUMNS.items():
        for name in names:
            lookup[name.lower()] = field_name
    mapping = {}
    for index, cell in enumerate(header):
        key = unicodedata.normalize("NFKC", _cell_text(cell)).strip().lower()
        key = re.sub(r"\s*[(（].*[)）]$", "", key)  # "长(cm)" -> "长"
        if key in lookup and lookup[key] not in mapping:
            mapping[lookup[key]] = index
    return mapping


def read_rows(path: Path) -> list[list]:
    """All rows of the first sheet (xlsx) or of the CSV, as lists of cell values.

    Limits (MAX_*) are checked before the data is read; an xlsx's
    `<dimension>` tag is not trusted (some exporters write a wrong one):
    the rows and columns actually present are read.
    """
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImgpipeError(t("sheet.unreadable", detail=exc.strerror or exc), file=path) from None
    if size > MAX_SHEET_BYTES:
        raise ImgpipeError(t("sheet.too_big", mb=round(size / 2**20, 1), limit=MAX_SHEET_BYTES // 2**20),
                           file=path, fix=t("sheet.too_big.fix"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _limit_rows(_xlsx_rows(path), path)
    data = path.read_bytes()
    text = decode_csv_bytes(data, path)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(max(MAX_CELL_CHARS * 4, 131072))
    try:
        return _limit_rows(csv.reader(io.StringIO(text, newline=""), dialect), path)
    except csv.Error as exc:
        raise ImgpipeError(t("sheet.unreadable", detail=exc), file=path) from None


def _xlsx_rows(path: Path):
    import zipfile

    import openpyxl

    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
        for info in parts:
            limit = MAX_STYLES_BYTES if info.filename.lower().endswith("styles.xml") else MAX_XML_BYTES
            if info.file_size > limit:
                raise ImgpipeError(t("sheet.part_too_big", part=info.filename, mb=round(info.file_size / 2**20, 2),
                                     limit=round(limit / 2**20, 2)), file=path, fix=t("sheet.too_big.fix"))
        total = sum(info.file_size for info in parts)
        if total > MAX_UNPACKED_BYTES:
            raise ImgpipeError(t("sheet.unpacked_too_big", mb=round(total / 2**20, 2),
                                 limit=round(MAX_UNPACKED_BYTES / 2**20, 2)), file=path, fix=t("sheet.too_big.fix"))
    except zipfile.BadZipFile as exc:
        raise ImgpipeError(t("sheet.unreadable", detail=exc), file=path, fix=t("sheet.unreadable.fix")) from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for bad files
        raise ImgpipeError(t("sheet.unreadable", detail=exc), file=path, fix=t("sheet.unreadable.fix")) from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # read what is there, not what <dimension> claims
        yield from sheet.iter_rows(values_only=True)
    except ImgpipeError:
        raise
    except Exception as exc:
        raise ImgpipeError(t("sheet.unreadable", detail=exc), file=path, fix=t("sheet.unreadable.fix")) from None
    finally:
        book.close()


def _limit_rows(rows, path: Path) -> list[list]:
    """The rows as lists, refusing a sheet with more than MAX_ROWS non-empty rows or MAX_COLUMNS columns."""
    out = []
    for number, row in enumerate(rows, 1):
        row = list(row)
        while row and (row[-1] is None or row[-1] == ""):
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise ImgpipeError(t("sheet.too_wide", columns=len(row), limit=MAX_COLUMNS), file=path, row=number,
                               fix=t("sheet.too_big.fix"))
        if not row:
            if number > MAX_ROWS:  # trailing blank rows (formatting dragged down) cost nothing
                continue
            out.append(row)
            continue
        if number > MAX_ROWS:
            raise ImgpipeError(t("sheet.too_long", limit=MAX_ROWS), file=path, row=number,
                               fix=t("sheet.too_big.fix"))
        out.append(row)
    return out


_BOMS = (  # (byte order mark, encoding of what follows); the longest first
    (b"\x84\x31\x95\x33", "gb18030"), (b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def csv_encoding(data: bytes) -> tuple[int, tuple[str, ...]]:
    """(length of the byte order mark, encodings to try in order) for a CSV's bytes.

    What Excel and editors leave: UTF-8 with or without a BOM, GBK/GB18030 with or without one,
    a GBK body after a UTF-8 BOM (an editor that added the BOM without converting), UTF-16 with
    a BOM (Excel's "Unicode text", tab-separated) and UTF-16 without one (every other byte zero).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return len(bom), (encoding,) if encoding.startswith("utf-16") else (encoding, "gb18030")
    head = data[:4096]
    if 0 in head:  # UTF-8 and GBK text never hold a zero byte; UTF-16 does in every ASCII character
        return 0, ("utf-16-le",) if head[1::2].count(0) >= head[0::2].count(0) else ("utf-16-be",)
    return 0, ("utf-8", "gb18030")


def decode_csv_bytes(data: bytes, path: Path | None = None) -> str:
    """The CSV's text, whatever encoding it is saved in (csv_encoding); ImgpipeError naming the file if none fits."""
    skip, encodings = csv_encoding(data)
    for encoding in encodings:
        try:
            return data[skip:].decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImgpipeError(t("sheet.encoding"), file=path, fix=t("sheet.encoding.fix"))


def parse_rows(rows: list[list], path: Path | None = None) -> Sheet:
    """Turn sheet rows (header first) into Products; bad rows become errors."""
    sheet = Sheet(path=path)
    # the header is the first row that names the article column (title rows above it are allowed)
    header_index = next(
        (i for i, row in enumerate(rows[:20]) if "article" in _header_map(row)), None
    )
    mapping = _header_map(rows[header_index]) if header_index is not None else {}
    missing = [c for c in REQUIRED if c not in mapping]
    if missing:
        all_names = " / ".join(COLUMNS[c][0] + "(" + COLUMNS[c][1] + ")" for c in REQUIRED)
        for column in missing:
            sheet.errors.append(ImgpipeError(
                t("sheet.missing_column", column=f"{COLUMNS[column][0]} / {COLUMNS[column][1]}"),
                file=path, field=COLUMNS[column][0], fix=t("sheet.missing_column.fix", columns=all_names),
            ))
        return sheet
    first_row_of: dict[str, tuple[int, str]] = {}  # casefolded article -> (row, article as written)
    twins: set[str] = set()
    for offset, row in enumerate(rows[header_index + 1:]):
        row_no = header_index + 2 + offset  # 1-based, as Excel shows it
        if not any(_cell_text(c) for c in row):
            continue
        long_cell = next((i for i, c in enumerate(row) if isinstance(c, str) and len(c) > MAX_CELL_CHARS), None)
        if long_cell is not None:
            sheet.errors.append(ImgpipeError(t("sheet.cell_too_long", chars=len(row[long_cell]), limit=MAX_CELL_CHARS),
                                             file=path, row=row_no, field=_column_name(rows[header_index], long_cell),
                                             fix=t("sheet.cell_too_long.fix")))
            continue
        try:
            product = _parse_row(row, mapping, row_no, path)
        except ImgpipeError as err:
            sheet.errors.append(err)
            continue
        key = product.article.casefold()
        if key in first_row_of:
            first, written = first_row_of[key]
            if written == product.article:
                message = t("sheet.duplicate_article", article=product.article, first=first)
                fix = t("sheet.duplicate_article.fix")
            else:  # A1023 and a1023: one folder on Windows/macOS, and photos match either
                message = t("sheet.case_twin", article=product.article, other=written, first=first)
                fix = t("sheet.case_twin.fix")
                twins.add(key)
            sheet.errors.append(ImgpipeError(message, file=path, row=row_no, field=COLUMNS["article"][0], fix=fix))
            if key in twins:
                sheet.case_twins.setdefault(key, sheet.errors[-1])
            continue
        first_row_of[key] = (row_no, product.article)
        sheet.products[product.article] = product
    for key in twins:  # neither row is trusted: which one the photos belong to is the user's call
        sheet.products.pop(first_row_of[key][1], None)
    return sheet


def _column_name(header: list, index: int) -> str:
    return _cell_text(header[index]) if index < len(header) and _cell_text(header[index]) else f"#{index + 1}"


def _parse_row(row: list, mapping: dict[str, int], row_no: int, path: Path | None) -> Product:
    def cell(name):
        index = mapping.get(name)
        return row[index] if index is not None and index < len(row) else None

    def fail(name, message, fix=None):
        return ImgpipeError(message, file=path, row=row_no, field=COLUMNS[name][0], fix=fix)

    for name in REQUIRED:
        if not _cell_text(cell(name)):
            raise fail(name, t("sheet.missing_value", column=COLUMNS[name][0]), t("sheet.missing_value.fix"))
    article = normalise_article(_cell_text(cell("article")))
    problem = article_problem(article)
    if problem:
        raise fail("article", t("sheet.bad_article", article=article, why=problem), t("sheet.bad_article.fix"))
    values = {}
    for name in ("length_cm", "width_cm", "height_cm", "price"):
        raw = cell(name)
        if _cell_text(raw):
            try:
                values[name] = parse_number(raw)
            except ValueError:
                raise fail(name, t("sheet.bad_number", value=_cell_text(raw)), t("sheet.bad_number.fix")) from None
    raw_date = cell("arrival_date")
    if _cell_text(raw_date):
        try:
            values["arrival_date"] = parse_date(raw_date)
        except (ValueError, OverflowError):
            raise fail("arrival_date", t("sheet.bad_date", value=_cell_text(raw_date)), t("sheet.bad_date.fix")) from None
    return Product(
        article=article,
        name=_cell_text(cell("name")),
        category=_cell_text(cell("category")),
        brand=_cell_text(cell("brand")),
        title=_cell_text(cell("title")),
        colours=_split(_cell_text(cell("colours")), LIST_SPLIT),
        fabric=_cell_text(cell("fabric")),
        sizes=_split(_cell_text(cell("sizes")), LIST_SPLIT),
        note=_cell_text(cell("note")),
        selling_points=_split(_cell_text(cell("selling_points")), POINTS_SPLIT),
        sold_out=parse_sold_out(_cell_text(cell("sold_out")), _split(_cell_text(cell("colours")), LIST_SPLIT),
                                _split(_cell_text(cell("sizes")), LIST_SPLIT)),
        row=row_no,
        **values,
    )


ALL_SOLD = {"全部", "all", "*"}


def parse_sold_out(text: str, colours: tuple[str, ...], sizes: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The 售罄 cell as (colour, size) pairs ("" = any): `黑色`, `黑色:XL`, `XL` (every colour), `全部`.

    Entries are separated like colours (/ 、 , ;); colour and size by ':' or '：'.
    A bare entry that is one of the sizes and none of the colours is a size.
    """
    out = []
    for entry in _split(text, LIST_SPLIT):
        if entry.lower() in ALL_SOLD:
            out.append(("", ""))
            continue
        colour, _, size = (part.strip() for part in entry.replace("：", ":").partition(":"))
        if not size and colour in sizes and colour not in colours:
            colour, size = "", colour
        out.append((colour, size))
    return tuple(dict.fromkeys(out))


SHEET_NAMES = ("products.xlsx", "products.csv")   # the first present is the one used


def find_sheet(workspace: Path) -> Path | None:
    for name in SHEET_NAMES:
        if (workspace / name).is_file():
            return workspace / name
    return None


def ignored_sheets(workspace: Path, used: Path) -> list[ImgpipeError]:
    """A warning for each other sheet file beside `used`: edits to it would otherwise go unseen."""
    return [ImgpipeError(t("sheet.ignored", used=used.name, ignored=name), file=workspace / name,
                         fix=t("sheet.ignored.fix", used=used.name, ignored=name))
            for name in SHEET_NAMES if name != used.name and (workspace / name).is_file()]


def load_sheet(path: Path) -> Sheet:
    """The sheet at `path`; anything wrong with the file is an error naming it, never an exception."""
    try:
        rows = read_rows(path)
    except ImgpipeError as err:
        return Sheet(errors=[err], path=path)
    except (OSError, UnicodeError, ValueError, csv.Error) as exc:  # a sheet never ends in an internal error
        return Sheet(errors=[ImgpipeError(t("sheet.unreadable", detail=exc), file=path,
                                          fix=t("sheet.unreadable.fix"))], path=path)
    return parse_rows(rows, path)


def write_empty_sheet(path: Path) -> None:
    """An .xlsx with the Chinese headers only, for `imgpipe init`."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "products"
    ws.append([names[0] for names in COLUMNS.values()])
    book.save(path)
