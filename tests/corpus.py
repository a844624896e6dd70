"""The bad-input corpus, generated at test time (no binary blobs in git).

`build_corpus(inbox)` writes every case into `inbox` and returns the list of
`Case`s, each with the outcome the pipeline must give it:

- "ok": archived byte-identical, numbered, outputs made;
- "error": left in the inbox, with a reason, named in the run summary;
- "ignored": never looked at (hidden files), left in the inbox, not reported;
- "duplicate": same bytes as another case: skipped, reported as a duplicate;
- "skip": the case could not be made here (`reason` says why).

Run it by hand to look at the files: `python tests/corpus.py /tmp/corpus`.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

ARTICLE = "A1023"


@dataclass
class Case:
    name: str           # short id of the case
    rel: str            # path relative to the inbox
    expect: str         # ok | error | ignored | duplicate | skip
    reason: str = ""    # why skipped / what the error must say
    data: bytes = b""


def photo(seed: int, size=(360, 270)) -> np.ndarray:
    """A small studio photo (product box on a light backdrop), distinct per seed."""
    w, h = size
    rng = np.random.default_rng(seed)
    img = np.full((h, w, 3), 240, np.uint8)
    x0, x1 = int(w * (0.3 + 0.01 * (seed % 10))), int(w * 0.7)
    colour = rng.integers(20, 200, 3)
    img[int(h * 0.2):int(h * 0.8), x0:x1] = colour
    img = np.clip(img.astype(np.int16) + rng.integers(-3, 4, img.shape), 0, 255).astype(np.uint8)
    return img


def _save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def jpeg(seed: int, **kw) -> bytes:
    return _save(Image.fromarray(photo(seed)), "JPEG", quality=88, **kw)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(width=50000, height=50000) -> bytes:
    """A ~100-byte PNG whose header declares width x height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # one compressed row of zeros is enough for decoders to start; nothing more is needed
    idat = zlib.compress(b"\x00" * (1 + 3 * 16))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def tiff_rgb16(arr16: np.ndarray) -> bytes:
    """An uncompressed little-endian 16-bit-per-channel RGB TIFF, written by hand."""
    h, w, _ = arr16.shape
    pixels = arr16.astype("<u2").tobytes()
    entries = []  # (tag, type, count, value-or-offset)
    n_entries = 10
    ifd_offset = 8
    extra_offset = ifd_offset + 2 + n_entries * 12 + 4
    bits_offset = extra_offset
    data_offset = bits_offset + 6
    entries = [
        (256, 4, 1, w), (257, 4, 1, h), (258, 3, 3, bits_offset), (259, 3, 1, 1), (262, 3, 1, 2),
        (273, 4, 1, data_offset), (277, 3, 1, 3), (278, 4, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1),
    ]
    out = bytearray(b"II*\x00" + struct.pack("<I", ifd_offset) + struct.pack("<H", n_entries))
    for tag, typ, count, value in entries:
        if typ == 3 and count == 1:
            out += struct.pack("<HHIHH", tag, typ, count, value, 0)
        else:
            out += struct.pack("<HHII", tag, typ, count, value)
    out += struct.pack("<I", 0)
    out += struct.pack("<HHH", 16, 16, 16)
    out += pixels
    return bytes(out)


def dng_bytes(rgb: np.ndarray, flip_orientation: int = 1) -> bytes:
    """A minimal uncompressed 16-bit RGGB Bayer DNG (DNG 1.4) of an 8-bit sRGB picture, written by hand.

    The "camera" sees linear sRGB (ColorMatrix1 = XYZ->sRGB), black level 64,
    white level 4064; no embedded preview, so LibRaw must demosaic it.
    """
    h, w, _ = rgb.shape
    lin = (rgb.astype(np.float64) / 255) ** 2.2
    cfa = np.empty((h, w), np.float64)
    cfa[0::2, 0::2] = lin[0::2, 0::2, 0]
    cfa[0::2, 1::2] = lin[0::2, 1::2, 1]
    cfa[1::2, 0::2] = lin[1::2, 0::2, 1]
    cfa[1::2, 1::2] = lin[1::2, 1::2, 2]
    pixels = (cfa * 4000 + 64).astype("<u2").tobytes()
    # XYZ(D65) -> linear sRGB: the camera "is" sRGB
    m = [3.2404542, -1.5371385, -0.4985314, -0.9692660, 1.8760108, 0.0415560, 0.0556434, -0.2040259, 1.0572252]
    entries = []  # (tag, type, count, payload bytes)
    def short(tag, *v): entries.append((tag, 3, len(v), struct.pack(f"<{len(v)}H", *v)))
    def long(tag, *v): entries.append((tag, 4, len(v), struct.pack(f"<{len(v)}I", *v)))
    def byte(tag, *v): entries.append((tag, 1, len(v), bytes(v)))
    def ascii(tag, s): b = s.encode() + b"\0"; entries.append((tag, 2, len(b), b))
    def srational(tag, vals): entries.append((tag, 10, len(vals), b"".join(struct.pack("<ii", int(round(x * 10000)), 10000) for x in vals)))
    def rational(tag, vals): entries.append((tag, 5, len(vals), b"".join(struct.pack("<II", int(round(x * 10000)), 10000) for x in vals)))
    long(254, 0); long(256, w); long(257, h); short(258, 16); short(259, 1); short(262, 32803)
    ascii(271, "imgpipe"); ascii(272, "test")
    long(273, 0)  # strip offset, patched below
    short(274, flip_orientation); short(277, 1); long(278, h); long(279, len(pixels)); short(284, 1)
    short(33421, 2, 2); byte(33422, 0, 1, 1, 2)
    byte(50706, 1, 4, 0, 0); byte(50707, 1, 1, 0, 0); ascii(50708, "imgpipe test camera")
    long(50717, 4000 + 64); srational(50721, m); rational(50728, [1, 1, 1]); short(50778, 21)
    long(50714, 64)
    entries.sort()
    n = len(entries)
    ifd_at = 8
    extra_at = ifd_at + 2 + 12 * n + 4
    extra = bytearray()
    body = bytearray(struct.pack("<H", n))
    offs = {}
    for tag, typ, count, payload in entries:
        if len(payload) <= 4:
            body += struct.pack("<HHI", tag, typ, count) + payload.ljust(4, b"\0")
        else:
            offs[tag] = len(body) + 8
            body += struct.pack("<HHII", tag, typ, count, extra_at + len(extra))
            extra += payload + (b"\0" if len(payload) % 2 else b"")
    body += struct.pack("<I", 0)
    data_at = extra_at + len(extra)
    out = bytearray(b"II*\0" + struct.pack("<I", ifd_at)) + body + extra
    # patch StripOffsets
    idx = [e[0] for e in entries].index(273)
    pos = ifd_at + 2 + 12 * idx + 8
    out[pos:pos + 4] = struct.pack("<I", data_at)
    return bytes(out + pixels)


def layered_psd(rgb: np.ndarray) -> bytes:
    """A two-layer Photoshop file: the backdrop as one layer, the product (on transparency) above it."""
    from psd_tools import PSDImage
    from psd_tools.api.layers import PixelLayer

    h, w, _ = rgb.shape
    backdrop = np.broadcast_to(rgb[2, 2], rgb.shape).copy()
    product = np.dstack([rgb, np.where(np.abs(rgb.astype(int) - rgb[2, 2]).sum(-1) > 30, 255, 0).astype(np.uint8)])
    psd = PSDImage.new("RGB", (w, h))
    psd.append(PixelLayer.frompil(Image.fromarray(backdrop), psd, "backdrop"))
    psd.append(PixelLayer.frompil(Image.fromarray(product, "RGBA"), psd, "product"))
    buf = io.BytesIO()
    psd.save(buf)
    return buf.getvalue()


def tiff_float32(arr: np.ndarray) -> bytes:
    """A single-channel 32-bit float TIFF (values as given, e.g. 0–1 linear light)."""
    return _save(Image.fromarray(arr.astype(np.float32), "F"), "TIFF")


def jpeg_with_app1(seed: int, app1_body: bytes) -> bytes:
    """A JPEG with an APP1 segment inserted right after SOI."""
    data = jpeg(seed)
    seg = b"\xff\xe1" + struct.pack(">H", len(app1_body) + 2) + app1_body
    return data[:2] + seg + data[2:]


def exif_orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = value
    return exif.tobytes()


def heic(seed: int) -> tuple[bytes, str]:
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        return _save(Image.fromarray(photo(seed)), "HEIF", quality=90), ""
    except Exception as exc:  # no encoder in this build
        return b"", f"pillow-heif cannot encode HEIC here: {exc}"


def cases() -> list[Case]:
    a = ARTICLE
    base = jpeg(1)
    out: list[Case] = [
        Case("zero-byte", f"{a}/zero.jpg", "error", "0", b""),
        Case("random-bytes", f"{a}/random.jpg", "error", "",
             np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8).tobytes()),
        Case("png-bomb-50000x50000", f"{a}/bomb.png", "error", "2500", png_bomb()),
    ]
    for cut in (2, 20, 200, len(base) // 2, len(base) - 10):
        out.append(Case(f"truncated-jpeg-at-{cut}", f"{a}/trunc_{cut}.jpg", "error", "", base[:cut]))
    # CMYK: Photoshop-style product shots for print
    cmyk = Image.fromarray(photo(2)).convert("CMYK")
    out.append(Case("cmyk-jpeg", f"{a}/cmyk.jpg", "ok", "", _save(cmyk, "JPEG", quality=90)))
    grey16 = (photo(3)[..., 1].astype(np.uint16) * 257)
    out.append(Case("png-16bit-grey", f"{a}/grey16.png", "ok", "", _save(Image.fromarray(grey16), "PNG")))
    rgb16 = photo(4).astype(np.uint16) * 257
    out.append(Case("tiff-16bit-rgb", f"{a}/rgb16.tif", "ok", "", tiff_rgb16(rgb16)))
    out.append(Case("tiff-16bit-grey", f"{a}/grey16.tif", "ok", "",
                    _save(Image.fromarray(photo(5)[..., 0].astype(np.uint16) * 257), "TIFF")))
    pal = Image.fromarray(photo(6)).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    out.append(Case("palette-png-transparency", f"{a}/palette.png", "ok", "",
                    _save(pal, "PNG", transparency=0)))
    frames = [Image.fromarray(photo(8 + i)).convert("P") for i in range(3)]
    out.append(Case("animated-gif", f"{a}/anim.gif", "ok", "",
                    _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)))
    pages = [Image.fromarray(photo(12 + i)) for i in range(3)]
    out.append(Case("multipage-tiff", f"{a}/multi.tif", "ok", "",
                    _save(pages[0], "TIFF", save_all=True, append_images=pages[1:])))
    out.append(Case("jpeg-corrupt-exif", f"{a}/badexif.jpg", "ok", "",
                    jpeg_with_app1(15, b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\xde\xad" * 40)))
    out.append(Case("jpeg-orientation-9", f"{a}/orient9.jpg", "ok", "", jpeg(16, exif=exif_orientation(9))))
    out.append(Case("jpeg-broken-icc", f"{a}/badicc.jpg", "ok", "", jpeg(17, icc_profile=b"not an icc profile" * 20)))
    data, why = heic(18)
    out.append(Case("heic", f"{a}/phone.heic", "ok" if data else "skip", why, data))
    # too small or too thin to be a product photo: refused with the size named (#19)
    out += [
        Case("png-1x1", f"{a}/dot.png", "error", "1×1", _save(Image.new("RGB", (1, 1), (200, 90, 40)), "PNG")),
        Case("png-1000x1", f"{a}/strip.png", "error", "1000×1", _save(Image.new("RGB", (1000, 1), 200), "PNG")),
        Case("jpeg-6000x80", f"{a}/banner.jpg", "error", "6000×80",
             _save(Image.new("RGB", (6000, 80), (230, 230, 230)), "JPEG")),
        Case("png-underfilled-12000", f"{a}/huge.png", "error", "12000×12000", png_bomb(12000, 12000)),
    ]
    lin = (photo(30)[..., 1] / 255.0) ** 2.2
    out.append(Case("tiff-float32-linear", f"{a}/linear.tif", "ok", "", tiff_float32(lin)))
    out.append(Case("tiff-float32-hdr", f"{a}/hdr.tif", "error", "0…1", tiff_float32(lin * 3)))
    # what the file really is decides (#14): video, text, an extension nobody reads
    out += [
        Case("video-mp4", f"{a}/clip.mp4", "error", "视频", b"\x00\x00\x00\x18ftypmp42" + bytes(200)),
        Case("video-mov", f"{a}/clip.MOV", "error", "视频", b"\x00\x00\x00\x14ftypqt  " + bytes(200)),
        Case("text-named-jpg", f"{a}/notes.jpg", "error", "不是图片", "货号 A1023 的备注\n".encode() * 20),
        Case("unknown-extension", f"{a}/scan.xyz", "error", ".xyz", b"whatever"),
        Case("raw-dng", f"{a}/IMG_1001.dng", "ok", "", dng_bytes(photo(31, (360, 270)))),
    ]
    try:
        out.append(Case("psd-layered", f"{a}/work.psd", "ok", "", layered_psd(photo(32))))
    except ImportError as exc:  # psd-tools is a dependency; without it the case cannot be made
        out.append(Case("psd-layered", f"{a}/work.psd", "skip", str(exc)))
    # names: matched by the article prefix at the inbox top level
    out += [
        Case("name-chinese", f"{a}_白色衬衫正面.jpg", "ok", "", jpeg(20)),
        Case("name-emoji", f"{a}-📷新品✨.jpg", "ok", "", jpeg(21)),
        Case("name-spaces", f"{a} front view  2.jpg", "ok", "", jpeg(22)),
        Case("name-210-chars", f"{a}_{'x' * 204}.jpg", "ok", "", jpeg(23)),
        Case("ext-upper-JPG", f"{a}/IMG_0001.JPG", "ok", "", jpeg(24)),
        Case("ext-upper-JPEG", f"{a}/IMG_0002.JPEG", "ok", "", jpeg(25)),
        Case("hidden-leading-dot", f"{a}/.IMG_0003.jpg", "ignored", "", jpeg(26)),
        Case("hidden-folder", f"{a}/.thumbs/IMG_0004.jpg", "ignored", "", jpeg(27)),
        Case("same-photo-name-1", f"{a}/twin_a.jpg", "ok", "", jpeg(28)),
        Case("same-photo-name-2", f"{a}/twin_b.jpg", "duplicate", "", jpeg(28)),
    ]
    return out


def build_corpus(inbox: Path) -> list[Case]:
    """Write every case under `inbox`; returns the cases (skipped ones are not written)."""
    made = cases()
    for case in made:
        if case.expect == "skip":
            continue
        path = inbox / case.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(case.data)
    return made


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for c in build_corpus(target):
        print(f"{c.expect:9} {c.name:28} {c.rel[:60]} {c.reason}")
