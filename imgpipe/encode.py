"""Output files' bytes: JPEG under a byte cap, or PNG; both tagged sRGB.

One 588-byte sRGB ICC profile (imageio's, with LittleCMS's date fields
zeroed) goes into every output, so reruns give identical bytes and viewers
that honour ICC show what was meant.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

from PIL import Image, ImageColor

from imgpipe.errors import ImgpipeError
from imgpipe.imageio import SRGB_ICC as _SRGB_ICC, encode_jpeg, flatten
from imgpipe.messages import t

PNG_LEVEL = 6  # zlib level of PNG outputs (9 + optimize only to get under a byte cap)
# zlib strategy of the first try: run-length matches only. On the demo's 800 px transparent
# cut-outs 29-47 ms against 90-193 ms at the default strategy, for 1-34 % more bytes (11 % in
# all, far under the platforms' 3 MB caps); the pixels are the same
PNG_STRATEGY = zlib.Z_RLE


def encode_png(img: Image.Image, *, max_bytes: int, role: str = "", file: str | Path | None = None) -> bytes:
    """Lossless PNG bytes (sRGB tag). Raises ImgpipeError over `max_bytes`: nothing to lower.

    zlib's run-length strategy first: on an 800 px cut-out it is ~40 ms against
    ~0.15 s for the default strategy at level 6 and 0.75 s for level 9 with
    optimize, for 10-30 % more bytes; the slow kind only when the fast one is
    over the cap.
    """
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=PNG_LEVEL, compress_type=PNG_STRATEGY, icc_profile=_SRGB_ICC)
    data = buf.getvalue()
    if len(data) > max_bytes:
        buf = io.BytesIO()
        img.save(buf, "PNG", optimize=True, icc_profile=_SRGB_ICC)
        data = buf.getvalue()
    if len(data) > max_bytes:
        raise ImgpipeError(t("image.png_cap", role=role, size=len(data), cap=max_bytes), file=file,
                           fix=t("image.png_cap.fix"))
    return data


def first_try_png(data: bytes) -> bool:
    """True when `data` came from encode_png's first try (PNG_STRATEGY), not its optimize pass.

    PNG keeps no level; the writer's zlib stream header does (FLEVEL bits: 0 = fastest, which
    zlib writes for the run-length and Huffman-only strategies too; 3 = maximum, the optimize pass).
    """
    at = 8  # after the signature: chunks of length, type, data, CRC
    while at + 8 <= len(data):
        length, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
        if kind == b"IDAT":
            return length >= 2 and data[at + 9] >> 6 == 0
        at += 12 + length
    return False


def encode_output(img: Image.Image, fmt: str, *, max_bytes: int, quality: int, min_quality: int,
                  background: str = "#FFFFFF", keep_alpha: bool = False, role: str = "",
                  file: str | Path | None = None) -> tuple[bytes, int]:
    """(bytes, JPEG quality used or 0 for PNG) of `img` as `fmt` ("jpg" or "png").

    Transparency is flattened onto the profile's `background` unless
    `keep_alpha` (a PNG role that keeps it, with flatten_alpha = false).
    """
    if img.mode in ("RGBA", "LA", "PA", "P") and not (keep_alpha and fmt == "png"):
        img = flatten(img.convert("RGBA"), ImageColor.getrgb(background)[:3])
    if fmt == "png":
        return encode_png(img, max_bytes=max_bytes, role=role, file=file), 0
    return encode_jpeg(img, max_bytes=max_bytes, quality=quality, min_quality=min_quality, role=role, file=file)
