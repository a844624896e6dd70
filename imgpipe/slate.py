"""Slate grouping: a card carrying the article number starts a group of photos.

The photographer shoots a card with the article number as a QR code or a
Code 128 barcode, then the product. Loose photos (at the top of `inbox/`, or
in `inbox/_unmatched/`, whose names say no article) are put in capture order
(EXIF DateTimeOriginal, then file name); each slate claims the photos after
it up to the next slate. Slates themselves are archived (kind "slate") and
never published.

Decoding runs on a reduced image (about 1400 px on the long side, a 1/4 DCT
decode for a 20 MP JPEG): the card should fill at least a quarter of the
frame width, which is how slates are shot anyway. zxing-cpp reads the codes;
OpenCV's QR detector is the fallback when zxing-cpp is not installed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

import numpy as np

from imgpipe.errors import ImgpipeError
from imgpipe.imageio import capture_time, load_photo
from imgpipe.ingest import natural_key
from imgpipe.sheet import normalise_article

SLATE_LONG_SIDE = 1200  # pixels: decode size for the slate check
# a slate archived in an earlier batch still governs photos taken up to this long after it
CARRY_OVER = dt.timedelta(hours=4)

try:
    import zxingcpp
except ImportError:  # pragma: no cover - fallback path
    zxingcpp = None


def decode_codes(rgb: np.ndarray) -> list[str]:
    """Texts of the QR codes and Code 128 barcodes found in `rgb` (uint8 HxWx3 or HxW)."""
    gray = rgb if rgb.ndim == 2 else (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114).astype(np.uint8)
    if zxingcpp is not None:
        formats = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.Code128)
        return [r.text for r in zxingcpp.read_barcodes(gray, formats=formats) if r.text]
    return _decode_opencv(gray)  # pragma: no cover


def _decode_opencv(gray: np.ndarray) -> list[str]:  # pragma: no cover - used without zxing-cpp
    import cv2

    texts = []
    ok, decoded, _, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    if ok:
        texts.extend(d for d in decoded if d)
    if hasattr(cv2, "barcode"):
        try:
            ok, decoded, _, _ = cv2.barcode.BarcodeDetector().detectAndDecodeWithType(gray)
            if ok:
                texts.extend(d for d in decoded if d)
        except (cv2.error, ValueError):
            pass
    return texts


def slate_text(texts: Iterable[str]) -> str | None:
    """The article a slate names: the first code text, `货号:`/`article:` prefixes dropped."""
    for text in texts:
        text = normalise_article(text)
        for sep in (":", "：", "="):
            if sep in text:
                text = text.rsplit(sep, 1)[1].strip()
        if text and "/" not in text and "\\" not in text and len(text) <= 64:
            return text
    return None


def read_slate(data: bytes, name: str | Path = "<bytes>") -> str | None:
    """The article named by a slate photo (as written on the card), or None for an ordinary photo.

    JPEGs are decoded straight to grey at 1/4 or 1/8 scale (no colour
    conversion, no ICC: codes only need contrast); other formats go through
    `load_photo`. Raises ImgpipeError when the bytes do not decode or a JPEG
    lacks its end marker (a copy in progress).
    """
    gray = _reduced_gray_jpeg(data, name)
    if gray is None:
        photo = load_photo(data, min_long_side=SLATE_LONG_SIDE, name=name)
        gray = photo.rgb
        if max(gray.shape[:2]) > SLATE_LONG_SIDE * 1.25:  # PNG/TIFF/HEIC decode at full size
            from PIL import Image

            img = Image.fromarray(gray)
            img.thumbnail((SLATE_LONG_SIDE, SLATE_LONG_SIDE))
            gray = np.asarray(img)
    return slate_text(decode_codes(gray))


def _reduced_gray_jpeg(data: bytes, name) -> np.ndarray | None:
    """uint8 HxW grey, long side >= SLATE_LONG_SIDE when the photo has it; None when not a JPEG."""
    import io

    from PIL import Image

    from imgpipe.decoders import jpeg_truncated
    from imgpipe.messages import t

    if not data.startswith(b"\xff\xd8"):
        return None
    try:
        img = Image.open(io.BytesIO(data))
        if img.format != "JPEG":
            return None
        factor = max(1.0, max(img.size) / SLATE_LONG_SIDE)
        img.draft("L", (int(img.width / factor) + 1, int(img.height / factor) + 1))
        img.load()
        gray = np.asarray(img if img.mode == "L" else img.convert("L"))
    except Exception as exc:
        raise ImgpipeError(t("image.unreadable", detail=exc), file=name, fix=t("image.unreadable.fix")) from None
    if jpeg_truncated(data):
        raise ImgpipeError(t("image.unreadable", detail="truncated JPEG (no end marker)"), file=name,
                           fix=t("image.unreadable.fix"))
    return gray


def match_product(text: str, products: Mapping[str, object]) -> str | None:
    """The sheet's spelling of `text` (case-insensitive), or None when the sheet lacks it."""
    folded = normalise_article(text).casefold()
    for article in products:
        if article.casefold() == folded:
            return article
    return None


@dataclass
class SlateGroups:
    """assign: photo -> article as the slate names it (slates included).

    slates: the slate photos themselves. unknown: photos whose slate names an
    article missing from the sheet (photo -> that article).
    """

    assign: dict[Path, str] = field(default_factory=dict)
    slates: set[Path] = field(default_factory=set)
    unknown: dict[Path, str] = field(default_factory=dict)


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def group_photos(photos: Mapping[Path, str | None], slate_of: Mapping[Path, str | None],
                 products: Mapping[str, object], previous: Iterable[tuple[str, str]] = ()) -> SlateGroups:
    """Group loose photos by slate. Pure: no file access.

    photos: path -> EXIF capture time ('YYYY:MM:DD HH:MM:SS' or None).
    slate_of: path -> article text when the photo is a slate, else None.
    previous: (capture time, article) of slates archived earlier; a photo
    taken after one of them (within CARRY_OVER) and before any slate of this
    batch continues that group.
    """
    order = sorted(photos, key=lambda p: (photos[p] is None, photos[p] or "", natural_key(p.name)))
    earlier = sorted(((t, a) for t, a in previous if _parse_time(t)), key=lambda ta: ta[0])
    groups = SlateGroups()
    current: str | None = None
    for path in order:
        text = slate_of.get(path)
        if text:
            current = text
            groups.slates.add(path)
        elif current is None:  # before this batch's first slate: an earlier slate may govern it
            taken = _parse_time(photos[path])
            if taken is not None:
                before = [a for w, a in earlier if _parse_time(w) <= taken <= _parse_time(w) + CARRY_OVER]
                if before:
                    _assign(groups, path, before[-1], products)
            continue
        _assign(groups, path, current, products)
    return groups


def _assign(groups: SlateGroups, path: Path, text: str, products) -> None:
    article = match_product(text, products)
    if article is None:
        groups.unknown[path] = text
    else:
        groups.assign[path] = article


def find_slate_groups(paths: Iterable[Path], products: Mapping[str, object], *,
                      previous: Iterable[tuple[str, str]] = (),
                      read: Callable[[Path], str | None] | None = None) -> SlateGroups:
    """Decode the slates among `paths` (loose photos) and group the photos after them.

    `read(path)` returns the slate text or None; by default the file is
    decoded with `read_slate`. Files that vanish or do not decode are left out.
    """
    def default_read(path: Path) -> str | None:
        return read_slate(path.read_bytes(), name=path)

    reader = read or default_read
    photos: dict[Path, str | None] = {}
    slate_of: dict[Path, str | None] = {}
    for path in paths:
        try:
            slate_of[path] = reader(path)
        except (OSError, ImgpipeError):
            continue
        photos[path] = capture_time(path)
    return group_photos(photos, slate_of, products, previous)
