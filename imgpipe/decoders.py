"""The decoder registry: which files imgpipe reads, and how each format is decoded small.

Each `Decoder` lists its extensions and decodes bytes to a PIL image no
smaller than the caller needs (`min_long_side`, pixels) and no larger than
it must be:

    jpeg    DCT scaling: 1/2, 1/4 or 1/8 of the full size
    raw     LibRaw (rawpy): the camera's embedded JPEG preview, or a half-size
            demosaic, whenever that still covers `min_long_side`; else full size
    psd     psd-tools: the flattened composite Photoshop stores (layers are
            composited only when a file has none); the PSD itself is archived
    pillow  PNG, TIFF 8/16/32-bit float, WebP, HEIC/HEIF (pillow-heif), AVIF, BMP, GIF

This registry is the one place that knows formats: ingest, the watcher and
the workbench's upload ask it (`is_photo_name`, `unsupported_reason`,
`extension_for`), so whatever a decoder reads is accepted everywhere.
The content decides, not the name: `sniff` reads the first bytes, so a text
file named `.jpg` is "not an image" and a video is "not supported yet".
Headers are checked before anything is allocated: a PNG or TIFF that declares
more pixels than its data can hold is refused (it would decode to black).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image, ImageFile, UnidentifiedImageError

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

try:  # HEIC/HEIF from phones
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - listed as a dependency
    pillow_heif = None

# Pillow's own bomb check would raise a bare exception at 2x its default; load_photo checks first
Image.MAX_IMAGE_PIXELS = None
# a file that ends early must fail to decode, whatever another library in the process set
ImageFile.LOAD_TRUNCATED_IMAGES = False
_ARITHMETIC_SOF = {0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}   # arithmetic coding can pack a flat block in under a bit
_GREY_FILL = (126, 130)   # what libjpeg leaves for blocks it has no data for (zero coefficients), 0-255

RAW_EXTENSIONS = frozenset({".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf",
                            ".orf", ".rw2", ".rwl", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".erf", ".kdc",
                            ".dcr", ".mrw", ".mos"})
PSD_EXTENSIONS = frozenset({".psd", ".psb"})
PILLOW_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif", ".avif", ".webp",
                               ".bmp", ".gif"})
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mts", ".m2ts", ".3gp", ".mkv", ".wmv", ".mpg",
                              ".mpeg", ".webm"})
PHOTO_EXTENSIONS = RAW_EXTENSIONS | PSD_EXTENSIONS | PILLOW_EXTENSIONS
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
# deflate never packs more than 1032 bytes into one: a PNG whose data cannot fill its rows is truncated
_DEFLATE_MAX_RATIO = 1032


@dataclass
class Decoded:
    """A decoded image before colour handling: PIL image (any mode), full size, reduction used.

    full_size: (width, height) at full resolution, as stored (before EXIF orientation).
    scale: decoded width / full width (1, or less for reduced decodes).
    orientation: EXIF orientation (1–8) still to apply; decoders that rotate themselves give 1.
    """

    img: Image.Image
    full_size: tuple[int, int]
    scale: float
    orientation: int
    icc: bytes | None = None


@dataclass(frozen=True)
class Decoder:
    """One format family. A file named with one of `extensions` goes to it when its content sniffs
    as one of `families` (or has no magic number at all and its name is one of `headerless`); any
    other file goes to the decoder whose `claims` hold its content."""

    name: str
    extensions: frozenset[str]
    decode: Callable[..., Decoded]  # (data, label, min_long_side, max_megapixels) -> Decoded
    families: frozenset[str] = frozenset()
    claims: frozenset[str] = frozenset()
    headerless: frozenset[str] = frozenset()


def sniff(data: bytes) -> str | None:
    """The family of these bytes: "jpeg", "png", "tiff", "psd", "heif", "video", "image" or None."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+") or head[:4] in (b"IIRO", b"IIRS", b"IIU\x00"):
        return "tiff"  # TIFF, and the TIFF-based RAWs (CR2, NEF, ARW, DNG, ORF, RW2 …)
    if head.startswith(b"8BPS"):
        return "psd"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "heif"
        return "raw" if brand == b"crx " else "video"  # Canon CR3 is ISO media too
    if head.startswith((b"FUJIFILMCCD-RAW", b"FOVb")):
        return "raw"
    if head.startswith((b"GIF87a", b"GIF89a", b"BM")) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return "image"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "video"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "video"  # QuickTime without an ftyp box
    return None


def is_photo_name(path: Path) -> bool:
    """A file a decoder reads, by its name (hidden files are not photos: editors' and systems' own)."""
    return path.suffix.lower() in PHOTO_EXTENSIONS and not path.name.startswith(".")


def unsupported_reason(path: Path) -> tuple[str, str] | None:
    """(reason, fix) for a file imgpipe will not read, judged by its name alone; None for photo names."""
    ext = path.suffix.lower()
    if ext in PHOTO_EXTENSIONS:
        return None
    if ext in VIDEO_EXTENSIONS:
        return t("image.video", fmt=ext), t("image.video.fix")
    return t("image.unsupported", fmt=ext or t("image.no_extension")), t("image.unsupported.fix")


# the extension a file of this content is given when its name has none a decoder knows (an upload "blob")
_EXTENSION_OF = ((b"\xff\xd8\xff", ".jpg"), (b"\x89PNG", ".png"), (b"8BPS", ".psd"), (b"GIF8", ".gif"), (b"BM", ".bmp"),
                 (b"FUJIFILMCCD-RAW", ".raf"), (b"FOVb", ".x3f"))


def extension_for(data: bytes, name: str = "") -> str | None:
    """The extension for a file whose first bytes (64 are enough) are `data`, when a decoder reads it;
    None for anything else (a video, a document). A TIFF-based camera RAW comes out as `.tif`; a RAW
    without a magic number is known by its `name` alone (`x.crw`), as decoder_for knows it."""
    family = sniff(data)
    ext = Path(name).suffix.lower()
    if family is None and any(ext in d.headerless for d in REGISTRY.values()):
        return ext
    if family in (None, "video"):
        return None
    head = data[:32]
    if family == "heif":
        return ".avif" if head[8:12] == b"avif" else ".heic"
    if family == "tiff":
        return ".tif"
    if head[:4] == b"RIFF":
        return ".webp"
    if family == "raw" and head[4:8] == b"ftyp":
        return ".cr3"
    return next((ext for magic, ext in _EXTENSION_OF if head.startswith(magic)), None)


def decoder_for(ext: str, data: bytes, label) -> Decoder:
    """The decoder for these bytes, or an ImgpipeError saying what the file really is."""
    if not data:
        raise ImgpipeError(t("image.empty"), file=label, fix=t("image.empty.fix"))
    family = sniff(data)
    named = next((d for d in REGISTRY.values() if ext in d.extensions), None)
    if named is not None and (family in named.families or (family is None and ext in named.headerless)):
        return named
    if family == "video":
        raise ImgpipeError(t("image.video", fmt=ext or "?"), file=label, fix=t("image.video.fix"))
    found = next((d for d in REGISTRY.values() if family in d.claims), None)
    if found is None:
        raise ImgpipeError(t("image.not_image", fmt=ext or "?"), file=label, fix=t("image.not_image.fix"))
    return found


def _too_large(width: int, height: int, max_megapixels: float, label) -> None:
    if width * height > max_megapixels * 1e6:
        raise ImgpipeError(t("image.too_large", pixels=round(width * height / 1e6, 1), limit=max_megapixels),
                           file=label, fix=t("image.too_large.fix"))


def _truncated_error(label, detail: str) -> ImgpipeError:
    return ImgpipeError(t("image.truncated", detail=detail), file=label, fix=t("image.unreadable.fix"))


# --- Pillow formats -----------------------------------------------------------------------------

def _open_pillow(data: bytes, label) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImgpipeError(t("image.unsupported", fmt=Path(str(label)).suffix or "?"), file=label,
                           fix=t("image.unsupported.fix")) from None
    except Exception as exc:
        raise ImgpipeError(t("image.unreadable", detail=exc), file=label, fix=t("image.unreadable.fix")) from None


def png_data_missing(data: bytes, width: int, height: int, mode: str) -> str | None:
    """Why a PNG's pixel data cannot fill its declared rows, or None when it does.

    The compressed data (IDAT) is inflated in 1 MB pieces and only counted,
    so a 92-byte file declaring 12000×12000 is refused without allocating
    its 432 MB. Interlaced files are judged by the deflate ratio alone.
    """
    bits = {"1": 1, "L": 8, "P": 8, "RGB": 24, "RGBA": 32, "LA": 16, "I": 16, "I;16": 16, "I;16B": 16}.get(mode)
    pos, idat, interlaced, depth = 8, [], False, None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR" and len(body) >= 13:
            depth, colour_type, interlaced = body[8], body[9], body[12] == 1
            channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour_type, 3)
            bits = depth * channels
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if bits is None:
        return None
    need = height * (1 + (width * bits + 7) // 8)
    have_compressed = sum(len(b) for b in idat)
    if have_compressed * _DEFLATE_MAX_RATIO < need:
        return t("image.underfilled", declared=f"{width}×{height}", have=have_compressed)
    if interlaced:
        return None
    inflater = zlib.decompressobj()
    got = 0
    try:
        for chunk in idat:
            got += len(inflater.decompress(chunk, 1 << 20))
            while inflater.unconsumed_tail and got < need:
                got += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
            if got >= need:
                return None
    except zlib.error as exc:
        return str(exc)
    return None if got >= need else t("image.underfilled_rows", rows=got * height // max(need, 1), height=height)


def tiff_data_missing(img: Image.Image, size: int) -> str | None:
    """Why a TIFF's strips or tiles lie outside the file, or None."""
    tags = getattr(img, "tag_v2", None)
    if tags is None:
        return None
    offsets = tags.get(273) or tags.get(324) or ()
    counts = tags.get(279) or tags.get(325) or ()
    if isinstance(offsets, int):
        offsets = (offsets,)
    if isinstance(counts, int):
        counts = (counts,)
    if not offsets or len(offsets) != len(counts):
        return None
    end = max(o + c for o, c in zip(offsets, counts))
    return t("image.tiff_short", need=end, have=size) if end > size else None


def jpeg_truncated(data: bytes) -> bool:
    """A JPEG that lost its tail (libjpeg would fill it grey): no end marker after its first scan.

    Phones append data after the end marker (Huawei trace blocks, Samsung
    trailers, motion-photo videos of several MB), so the marker is looked for
    after the start of scan, not at the end of the file. Entropy-coded data
    never holds FF D9 (an FF byte there is stuffed as FF 00).
    """
    pos, n = 2, len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return False  # a layout this walk does not know: the decoder judges
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
        elif marker == 0xDA:  # start of scan
            return data.find(b"\xff\xd9", pos) < 0
        elif 0xD0 <= marker <= 0xD8 or marker == 0x01:  # markers without a length
            pos += 2
        else:
            pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    return True  # the file ends before its first scan


def jpeg_data_too_short(data: bytes, width: int, height: int) -> str | None:
    """Why this JPEG's scan data cannot hold the `width` × `height` pixels its header declares, or None.

    Huffman coding spends at least one bit on every 8×8 block of the first component (its DC
    value), so a 3 KB file declaring 12000×12000 (2.25 million blocks, 281 KB at the least) is a
    damaged or forged header: refused before a 432 MB decode that would come out flat grey.
    """
    pos, n, sos, arithmetic = 2, len(data), -1, False
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD8 or marker == 0x01:
            pos += 2
            continue
        arithmetic |= marker in _ARITHMETIC_SOF
        if marker == 0xDA:
            sos = pos
            break
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
    if sos < 0 or arithmetic:
        return None
    end = data.find(b"\xff\xd9", sos)
    have = (end if end >= 0 else n) - sos
    blocks = -(-width // 8) * -(-height // 8)
    if have * 8 >= blocks:
        return None
    return t("image.jpeg_size_lie", declared=f"{width}×{height}", have=round(have / 1024, 1),
             need=round(blocks / 8 / 1024))


def grey_fill_rows(pixels: np.ndarray) -> int:
    """How many rows at the bottom of `pixels` (H×W or H×W×C, uint8) are libjpeg's grey fill.

    When a scan ends early (a copy cut short, then an end marker added by a recovery tool),
    libjpeg warns "premature end of data" (Pillow does not pass the warning on) and leaves every
    block after that point with zero coefficients: one exact mid-grey (128) to the last row.
    A real photo's rows are never one exact value from edge to edge.
    """
    rows = pixels.reshape(pixels.shape[0], -1)
    if not len(rows) or rows[-1].min() != rows[-1].max():
        return 0  # the common case, decided on one row
    lo, hi = rows.min(axis=1), rows.max(axis=1)
    fill = (lo == hi) & (lo >= _GREY_FILL[0]) & (lo <= _GREY_FILL[1])
    if not fill[-1]:
        return 0
    return int(len(fill) - np.flatnonzero(~fill)[-1] - 1) if not fill.all() else len(fill)


def jpeg_grey_filled(pixels: np.ndarray) -> str | None:
    """Why a decoded JPEG is damaged (a grey-filled bottom: at least 2 rows and 1 % of the height), or None."""
    rows = grey_fill_rows(pixels)
    if rows < max(2, 0.01 * pixels.shape[0]):
        return None
    return t("image.jpeg_grey_fill", share=f"{rows / pixels.shape[0]:.0%}")


def exif_orientation(img: Image.Image) -> int:
    """The EXIF orientation (1-8; 1 = upright) of an opened image: the one reader of it in imgpipe.
    5-8 turn the picture a quarter: its shown width and height swap."""
    try:
        value = img.getexif().get(0x0112, 1)
        return value if isinstance(value, int) and 1 <= value <= 8 else 1
    except Exception:  # a corrupt EXIF block must not cost the photo
        return 1


def decode_pillow(data: bytes, label, min_long_side: int, max_megapixels: float) -> Decoded:
    img = _open_pillow(data, label)
    width, height = img.size
    _too_large(width, height, max_megapixels, label)
    if img.format == "PNG":
        missing = png_data_missing(data, width, height, img.mode)
        if missing:
            raise _truncated_error(label, missing)
    elif img.format == "TIFF":
        missing = tiff_data_missing(img, len(data))
        if missing:
            raise _truncated_error(label, missing)
    elif img.format in ("JPEG", "MPO"):
        missing = jpeg_data_too_short(data, width, height)
        if missing:
            raise _truncated_error(label, missing)
    orientation = exif_orientation(img)
    try:
        if getattr(img, "n_frames", 1) > 1:
            img.seek(0)  # animated GIF / multi-page TIFF: the first frame is the photo
        scale = 1.0
        if min_long_side and img.format == "JPEG" and max(width, height) > min_long_side:
            factor = max(width, height) / min_long_side
            img.draft(img.mode if img.mode in ("RGB", "L", "CMYK") else "RGB",
                      (int(width / factor) + 1, int(height / factor) + 1))
            scale = img.size[0] / width
        img.load()
    except Exception as exc:
        raise ImgpipeError(t("image.unreadable", detail=exc), file=label, fix=t("image.unreadable.fix")) from None
    if img.format in ("JPEG", "MPO"):
        if jpeg_truncated(data):
            raise _truncated_error(label, t("image.jpeg_no_end"))
        damage = jpeg_grey_filled(np.asarray(img))
        if damage:
            raise _truncated_error(label, damage)
    if img.mode == "F":
        img = float_to_8bit(np.asarray(img, dtype=np.float32), label)
    return Decoded(img, (width, height), scale, orientation, img.info.get("icc_profile"))


def float_to_8bit(arr: np.ndarray, label) -> Image.Image:
    """A float image (32-bit TIFF) as 8-bit sRGB: values 0–1 taken as linear light, as
    Photoshop's 32-bit mode and HDR exports store them. HDR values above 1 are refused:
    tone-mapping is a creative choice imgpipe does not make for the studio."""
    finite = arr[np.isfinite(arr)]
    if finite.size == 0 or finite.max() > 1.0 + 1e-3 or finite.min() < -1e-3:
        low = float(finite.min()) if finite.size else float("nan")
        high = float(finite.max()) if finite.size else float("nan")
        raise ImgpipeError(t("image.float_range", low=round(low, 3), high=round(high, 3)), file=label,
                           fix=t("image.float_range.fix"))
    lin = np.clip(np.nan_to_num(arr, nan=0.0), 0.0, 1.0)
    srgb = np.where(lin <= 0.0031308, lin * 12.92, 1.055 * np.power(lin, 1 / 2.4) - 0.055)
    return Image.fromarray((srgb * 255 + 0.5).astype(np.uint8))


# --- camera RAW ---------------------------------------------------------------------------------

_RAW_FLIP_TO_EXIF = {0: 1, 3: 3, 5: 8, 6: 6}  # LibRaw's flip -> EXIF orientation


def decode_raw(data: bytes, label, min_long_side: int, max_megapixels: float) -> Decoded:
    """Camera RAW through LibRaw: the embedded preview or a half-size demosaic when either covers
    `min_long_side`, else a full demosaic; camera white balance, sRGB, 8 bits."""
    try:
        import rawpy
    except ImportError:  # pragma: no cover - a dependency
        raise ImgpipeError(t("image.raw_missing"), file=label, fix=t("image.raw_missing.fix")) from None
    try:
        raw = rawpy.imread(io.BytesIO(data))
    except Exception as exc:
        raise ImgpipeError(t("image.raw_unreadable", detail=_short(exc)), file=label,
                           fix=t("image.unreadable.fix")) from None
    with raw:
        sizes = raw.sizes
        _too_large(sizes.raw_width, sizes.raw_height, max_megapixels, label)
        full = (sizes.width, sizes.height)
        orientation = _RAW_FLIP_TO_EXIF.get(sizes.flip, 1)
        long_full = max(full)
        if min_long_side:
            preview = _raw_preview(raw, min_long_side, long_full)
            if preview is not None:
                # previews are stored as the sensor sees, like the raw data: LibRaw's flip applies to both
                return Decoded(preview, full, preview.size[0] / max(full[0], 1), orientation)
        half = bool(min_long_side) and long_full // 2 >= min_long_side
        try:
            rgb = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8, user_flip=0,
                                  output_color=rawpy.ColorSpace.sRGB, no_auto_bright=False)
        except Exception as exc:
            raise ImgpipeError(t("image.raw_unreadable", detail=_short(exc)), file=label,
                               fix=t("image.unreadable.fix")) from None
    img = Image.fromarray(np.ascontiguousarray(rgb))
    return Decoded(img, full, img.size[0] / max(full[0], 1), orientation)


def _raw_preview(raw, min_long_side: int, long_full: int) -> Image.Image | None:
    """The camera's embedded JPEG preview when it is big enough and not a crop of the frame."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
    except Exception:  # no preview (most DNGs from converters), or one LibRaw cannot read
        return None
    if thumb.format != rawpy.ThumbFormat.JPEG:
        return None
    try:
        img = Image.open(io.BytesIO(thumb.data))
        if max(img.size) < min_long_side or max(img.size) > long_full:
            return None
        img.draft("RGB", (img.size[0], img.size[1]))
        img.load()
        return img.convert("RGB")
    except Exception:
        return None


def _short(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


# --- Photoshop ----------------------------------------------------------------------------------

def decode_psd(data: bytes, label, min_long_side: int, max_megapixels: float) -> Decoded:
    """A layered PSD/PSB as its flattened composite (what Photoshop shows), 8 bits."""
    try:
        from psd_tools import PSDImage
    except ImportError:  # pragma: no cover - a dependency
        raise ImgpipeError(t("image.psd_missing"), file=label, fix=t("image.psd_missing.fix")) from None
    try:
        psd = PSDImage.open(io.BytesIO(data))
    except Exception as exc:
        raise ImgpipeError(t("image.psd_unreadable", detail=_short(exc)), file=label,
                           fix=t("image.unreadable.fix")) from None
    _too_large(psd.width, psd.height, max_megapixels, label)
    try:
        # the composite Photoshop saved ("maximise compatibility"); rebuilt from the layers without it
        img = psd.topil() if psd.has_preview() else None
        if img is None or _blank(img):
            img = psd.composite(force=True)
    except Exception as exc:
        raise ImgpipeError(t("image.psd_unreadable", detail=_short(exc)), file=label,
                           fix=t("image.unreadable.fix")) from None
    if img is None:
        raise ImgpipeError(t("image.psd_unreadable", detail="no pixels"), file=label, fix=t("image.unreadable.fix"))
    icc = getattr(psd, "image_resources", None)
    profile = None
    if icc is not None:
        try:
            from psd_tools.constants import Resource

            res = icc.get_data(Resource.ICC_PROFILE)
            profile = bytes(res) if res else None
        except Exception:
            profile = None
    return Decoded(img, (psd.width, psd.height), 1.0, 1, profile)


def _blank(img: Image.Image) -> bool:
    """A saved composite that is all one value: written by tools that store no preview."""
    lo_hi = img.convert("L").getextrema()
    return lo_hi[0] == lo_hi[1]


_PILLOW_FAMILIES = frozenset({"jpeg", "png", "tiff", "heif", "image"})
REGISTRY: dict[str, Decoder] = {
    # LibRaw knows the many RAW headers that have no common magic number (all but the TIFF-based ones)
    "raw": Decoder("raw", RAW_EXTENSIONS, decode_raw, families=frozenset({"tiff", "raw"}), claims=frozenset({"raw"}),
                   headerless=RAW_EXTENSIONS - {".dng", ".cr2", ".nef", ".arw"}),
    "psd": Decoder("psd", PSD_EXTENSIONS, decode_psd, families=frozenset({"psd"}), claims=frozenset({"psd"})),
    "pillow": Decoder("pillow", PILLOW_EXTENSIONS, decode_pillow, families=_PILLOW_FAMILIES, claims=_PILLOW_FAMILIES),
}
