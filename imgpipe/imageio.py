"""Reading photos right and writing outputs within their byte caps.

`load_photo` is the one decode per source photo: the decoder registry
(decoders.py: JPEG, camera RAW, PSD, TIFF, PNG, HEIC, WebP …) reads the bytes
at the smallest size the caller needs, then EXIF orientation is applied,
embedded ICC profiles (Adobe RGB, Display P3, any) converted to sRGB, CMYK and
16-bit reduced to 8-bit RGB and alpha flattened. `unusable_size` says which
images are too small or too thin to be product photos.
"""

from __future__ import annotations

import functools
import io
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from imgpipe.decoders import decoder_for, exif_orientation
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

_SRGB = ImageCms.createProfile("sRGB")
MIN_SHORT_SIDE = 64  # pixels: below this a file is an icon or a strip, not a product photo
MAX_ASPECT = 10.0  # long side / short side: beyond this a banner or a line, not a product photo


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
    notes: list[str] = field(default_factory=list)  # warnings in the user's language (a broken ICC profile)


def rendering_intent(profile: ImageCms.ImageCmsProfile) -> ImageCms.Intent:
    """Relative colorimetric for matrix/shaper profiles (Display P3, Adobe RGB, a phone's sRGB-EOTF P3):
    colours inside sRGB keep their measured values, so a chart in the photo stays a measurement and a
    colour correction fitted to it still maps. Perceptual for LUT profiles (CMYK, printer), whose
    perceptual tables are how they are meant to be read.

    (LittleCMS runs a matrix/shaper profile through its matrices whatever the intent, so today's
    pixels are the same either way; the intent says what we rely on.)
    """
    return ImageCms.Intent.RELATIVE_COLORIMETRIC if profile.profile.is_matrix_shaper else ImageCms.Intent.PERCEPTUAL


@functools.lru_cache(maxsize=16)
def _srgb_transform(icc: bytes, mode: str, out_mode: str, thread: int) -> ImageCms.ImageCmsTransform:
    """The transform from profile `icc` to sRGB (building one costs ~4 ms; a validation's thumbnails
    and a run's photos mostly share one or two profiles). One per thread: a transform keeps state."""
    src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    srgb = _SRGB if isinstance(_SRGB, ImageCms.ImageCmsProfile) else ImageCms.ImageCmsProfile(_SRGB)
    return ImageCms.ImageCmsTransform(src_profile, srgb, mode, out_mode, rendering_intent(src_profile))


def _to_srgb(img: Image.Image, source, icc: bytes | None = None,
             warnings: list | None = None) -> tuple[Image.Image, bool]:
    """Convert to 8-bit sRGB RGB (or RGBA), honouring an embedded ICC profile.

    A profile that cannot be read is left out (the pixels are taken as sRGB)
    and said in `warnings`, never as a Python warning.
    """
    icc = icc or img.info.get("icc_profile")
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(img, dtype=np.uint32)
        img = Image.fromarray((arr >> 8).clip(0, 255).astype(np.uint8)).convert("L")
    had_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if img.mode not in ("RGB", "RGBA", "CMYK", "L", "LA"):
        img = img.convert("RGBA" if had_alpha else "RGB")
    if icc:
        try:
            src_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if img.mode in ("RGBA", "LA") else "RGB"
            if img.mode == "LA":
                img = img.convert("RGBA")
            try:  # what ImageCms.profileToProfile does, with the transform built once per profile
                converted = _srgb_transform(icc, img.mode, out_mode, threading.get_ident()).apply(img)
            except (OSError, TypeError, ValueError) as exc:
                raise ImageCms.PyCMSError(exc) from exc
            return converted, True
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            if warnings is not None:
                warnings.append(t("image.bad_icc", detail=str(exc).strip()[:120] or type(exc).__name__))
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
    the decoder then works at the smallest size that still gives it (JPEG DCT
    scaling, a RAW's preview or half-size demosaic). 0 decodes at full size.
    Raises ImgpipeError naming the file on any failure.
    """
    label = name or (source if isinstance(source, Path) else "<bytes>")
    data = source.read_bytes() if isinstance(source, Path) else source
    ext = Path(str(label)).suffix.lower()
    with warnings.catch_warnings():  # Pillow warns of corrupt EXIF on stderr: the photo is fine, say nothing
        warnings.simplefilter("ignore")
        decoded = decoder_for(ext, data, label).decode(data, label, min_long_side, max_megapixels)
    img, orientation = decoded.img, decoded.orientation
    width, height = decoded.full_size
    notes: list[str] = []
    img, had_icc = _to_srgb(img, label, decoded.icc, notes)
    had_alpha = img.mode == "RGBA"
    img = flatten(img)
    if orientation != 1:
        img = _apply_orientation(img, orientation)
    full = (width, height) if orientation in (1, 2, 3, 4) else (height, width)
    return Photo(np.asarray(img), full, decoded.scale, had_icc, orientation, had_alpha, notes)


def rgb_pixels(img: Image.Image) -> np.ndarray:
    """An "RGB" image's pixels as a read-only HxWx3 uint8 array.

    Through `tobytes`: about 5x faster than `np.asarray(img)` on a tall page.
    """
    return np.frombuffer(img.tobytes(), np.uint8).reshape(img.height, img.width, 3)


def unusable_size(width: int, height: int) -> str | None:
    """Why a photo of width × height pixels cannot be a product photo, or None.

    Colour estimation, the product box and chart detection need pixels in
    both directions; an icon, a 1-pixel strip or a banner has none to give.
    """
    short, long = min(width, height), max(width, height)
    if short < MIN_SHORT_SIDE:
        return t("image.too_small", size=f"{width}×{height}", min=MIN_SHORT_SIDE)
    if long / short > MAX_ASPECT:
        return t("image.too_thin", size=f"{width}×{height}", ratio=round(long / short, 1), max=MAX_ASPECT)
    return None


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
        return (h, w) if exif_orientation(img) in (5, 6, 7, 8) else (w, h)


def capture_time(path: Path) -> str | None:
    """EXIF DateTimeOriginal as 'YYYY:MM:DD HH:MM:SS', or None."""
    try:
        with warnings.catch_warnings(), Image.open(path) as img:
            warnings.simplefilter("ignore")
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
                 icc_profile=SRGB_ICC)
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


# the sRGB ICC profile (bytes) embedded in every output; dateless, so outputs stay byte-identical
SRGB_ICC = _stable_icc(_SRGB)
