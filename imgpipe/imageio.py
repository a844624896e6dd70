"""Reading photos right and writing outputs within their byte caps.

`load_photo` is the one decode per source photo: EXIF orientation applied,
embedded ICC profiles (Adobe RGB, Display P3, any) converted to sRGB, CMYK and
16-bit reduced to 8-bit RGB, alpha flattened, HEIC read through pillow-heif,
and a pixel-count guard against decompression bombs. JPEGs can be decoded at
1/2, 1/4 or 1/8 scale (DCT scaling) when the outputs need fewer pixels.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

try:  # HEIC/HEIF from phones
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - listed as a dependency
    pillow_heif = None

# .gif: load_photo takes an animated GIF's first frame; without it such files sat in the inbox unreported
PHOTO_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".heic", ".heif", ".webp", ".bmp", ".gif"}
_SRGB = ImageCms.createProfile("sRGB")
# Pillow's own bomb check would raise a bare exception at 2x its default; we check first
Image.MAX_IMAGE_PIXELS = None


@dataclass
class Photo:
    """A decoded photo: `rgb` is uint8 HxWx3 sRGB, upright.

    scale: decoded size / full size (1, 1/2, 1/4 or 1/8 for reduced JPEG decodes).
    full_size: (width, height) of the upright photo at full resolution, pixels.
    """

    rgb: np.ndarray
    full_size: tuple[int, int]
    scale: float
    had_icc: bool
    orientation: int
    had_alpha: bool


def is_photo_name(path: Path) -> bool:
    return path.suffix.lower() in PHOTO_EXTENSIONS and not path.name.startswith(".")


def _open(data: bytes, source: Path | str) -> Image.Image:
    if not data:
        raise ImgpipeError(t("image.empty"), file=source, fix=t("image.empty.fix"))
    try:
        return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImgpipeError(t("image.unsupported", fmt=Path(str(source)).suffix or "?"), file=source,
                           fix=t("image.unsupported.fix")) from None
    except Exception as exc:
        raise ImgpipeError(t("image.unreadable", detail=exc), file=source, fix=t("image.unreadable.fix")) from None


def _orientation(img: Image.Image) -> int:
    try:
        value = img.getexif().get(0x0112, 1)
        return value if isinstance(value, int) and 1 <= value <= 8 else 1
    except Exception:  # a corrupt EXIF block must not cost the photo
        return 1


def _to_srgb(img: Image.Image, source) -> tuple[Image.Image, bool]:
    """Convert to 8-bit sRGB RGB (or RGBA), honouring an embedded ICC profile."""
    icc = img.info.get("icc_profile")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.uint32)
        img = Image.fromarray((arr >> 8).clip(0, 255).astype(np.uint8)).convert("L")
    elif img.mode == "F":
        img = img.convert("L")
    had_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if img.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        img = img.convert("RGBA" if had_alpha else "RGB")
    if icc:
        try:
            src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
            if img.mode == "LA":
                img = img.convert("RGBA")
            converted = ImageCms.profileToProfile(
                img, src_profile, _SRGB, renderingIntent=ImageCms.Intent.PERCEPTUAL, outputMode=out_mode
            )
            return converted, True
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            warnings.warn(f"{source}: ignoring a broken ICC profile ({exc})", stacklevel=2)
    if img.mode == "CMYK":
        # no profile: Adobe-style inverted CMYK is common from Photoshop JPEGs; Pillow handles the plain case
        img = img.convert("RGB")
    elif img.mode == "LA":
        img = img.convert("RGBA")
    elif img.mode == "L":
        img = img.convert("RGB")
    return img, False


def flatten(img: Image.Image, background=(255, 255, 255)) -> Image.Image:
    """Composite an RGBA image on `background` (0–255 RGB); RGB passes through."""
    if img.mode != "RGBA":
        return img.convert("RGB") if img.mode != "RGB" else img
    base = Image.new("RGB", img.size, background)
    base.paste(img, mask=img.getchannel("A"))
    return base


def load_photo(source: Path | bytes, *, max_megapixels: float = 150.0, min_long_side: int = 0,
               name: str | Path | None = None) -> Photo:
    """Decode a photo upright in sRGB. See the module docstring.

    min_long_side: the smallest long side (pixels, upright) the caller needs;
    JPEGs are then decoded at the largest DCT reduction that still gives it.
    0 decodes at full size. Raises ImgpipeError naming the file on any failure.
    """
    label = name or (source if isinstance(source, Path) else "<bytes>")
    data = source.read_bytes() if isinstance(source, Path) else source
    img = _open(data, label)
    width, height = img.size
    if width * height > max_megapixels * 1e6:
        raise ImgpipeError(
            t("image.too_large", pixels=round(width * height / 1e6, 1), limit=max_megapixels),
            file=label, fix=t("image.too_large.fix"),
        )
    orientation = _orientation(img)
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
    except ImgpipeError:
        raise
    except Exception as exc:
        raise ImgpipeError(t("image.unreadable", detail=exc), file=label, fix=t("image.unreadable.fix")) from None
    if img.format == "JPEG" and _truncated(data):
        raise ImgpipeError(t("image.unreadable", detail="truncated JPEG (no end marker)"),
                           file=label, fix=t("image.unreadable.fix"))
    img, had_icc = _to_srgb(img, label)
    had_alpha = img.mode == "RGBA"
    img = flatten(img)
    if orientation != 1:
        img = _apply_orientation(img, orientation)
    full = (width, height) if orientation in (1, 2, 3, 4) else (height, width)
    return Photo(np.asarray(img), full, scale, had_icc, orientation, had_alpha)


def _truncated(data: bytes) -> bool:
    """A JPEG that lost its tail still decodes (grey fill) in some builds: refuse it."""
    tail = data[-64:].rstrip(b"\x00\xff\r\n ")
    return b"\xff\xd9" not in data[-4096:] and not tail.endswith(b"\xd9")


_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _apply_orientation(img: Image.Image, orientation: int) -> Image.Image:
    for op in _TRANSPOSE.get(orientation, ()):
        img = img.transpose(op)
    return img


def read_size(path: Path) -> tuple[int, int]:
    """(width, height) from the header alone, upright (EXIF orientation applied)."""
    with Image.open(path) as img:
        w, h = img.size
        return (h, w) if _orientation(img) in (5, 6, 7, 8) else (w, h)


def capture_time(path: Path) -> str | None:
    """EXIF DateTimeOriginal as 'YYYY:MM:DD HH:MM:SS', or None."""
    try:
        with Image.open(path) as img:
            exif = img.getexif()
            value = exif.get_ifd(0x8769).get(0x9003) or exif.get(0x0132)
            return str(value).strip("\x00 ") if value else None
    except Exception:
        return None


def encode_jpeg(img: Image.Image, *, max_bytes: int, quality: int = 90, min_quality: int = 50,
                role: str = "", file: str | Path | None = None) -> tuple[bytes, int]:
    """JPEG bytes under `max_bytes`, lowering quality (100–10) in steps until it fits.

    sRGB, baseline, 4:2:0 below quality 90 (what platforms expect). Returns
    (bytes, quality used). Raises ImgpipeError when even `min_quality` is too big.
    """
    img = flatten(img)
    q = quality
    while True:
        buf = io.BytesIO()
        img.save(buf, "JPEG", quality=q, subsampling=0 if q >= 90 else 2,
                 icc_profile=_SRGB_ICC)
        data = buf.getvalue()
        if len(data) <= max_bytes:
            return data, q
        if q <= min_quality:
            raise ImgpipeError(
                t("image.cap_unreachable", role=role, size=len(data), quality=q, cap=max_bytes),
                file=file, fix=t("image.cap_unreachable.fix"),
            )
        # bytes fall roughly linearly with quality in this range: jump, don't crawl
        ratio = max_bytes / len(data)
        step = max(5, int((1 - ratio) * 40))
        q = max(min_quality, q - step)


def _stable_icc(profile) -> bytes:
    """ICC bytes without the creation date and profile ID (header bytes 24–35, 84–99).

    LittleCMS stamps the current time into each profile it writes; leaving it
    in would make every run's JPEGs differ by a few bytes and defeat the
    byte-identical checks of reruns and restores.
    """
    data = bytearray(ImageCms.ImageCmsProfile(profile).tobytes())
    data[24:36] = bytes(12)
    data[84:100] = bytes(16)
    return bytes(data)


_SRGB_ICC = _stable_icc(_SRGB)
