"""The shop's own watermark (R2): text (Chinese too) or a logo PNG with alpha.

Placement: one of 9 anchors (top-left … bottom-right, center) at a margin
from the edges, or "tiled" (a staggered grid of marks turned 30°). Size is the
mark's width as a share of the image width; opacity 0-1. A text mark gets a
soft contrasting shadow so it reads on white and on dark photos.

`avoid` (a product box in the image's pixels, x1/y1 exclusive) means the
mark must not put a single pixel inside that box (JD main images): the
configured anchor is tried first, then the other corners, edges and centre;
then the mark is shrunk (down to MIN_SHRINK of its size); tiles that would
touch the box are left out. When nothing fits, the image is returned
unchanged, `place_watermark(...).skipped` is True and `apply_watermark`
issues a WatermarkSkipped warning (the pipeline reports it with the
"watermark.skipped" message).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFilter

from imgpipe.errors import ImgpipeError
from imgpipe.fonts import check_text, font, install_hint
from imgpipe.messages import t
from imgpipe.settings import WatermarkSettings

Box = tuple[int, int, int, int]

MIN_SHRINK = 0.5        # a mark moved off the product may shrink to half its configured size
TILE_ANGLE = 30         # degrees, tiled marks
# anchor -> (horizontal, vertical) position as 0 / 0.5 / 1 of the free space
_ANCHORS = {
    "top-left": (0, 0), "top": (0.5, 0), "top-right": (1, 0),
    "left": (0, 0.5), "center": (0.5, 0.5), "right": (1, 0.5),
    "bottom-left": (0, 1), "bottom": (0.5, 1), "bottom-right": (1, 1),
}
_CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
_EDGES = ("top", "bottom", "left", "right")


class WatermarkSkipped(UserWarning):
    """The mark could not be placed outside the product box; the image has none."""


@dataclass
class Watermarked:
    """Result of place_watermark.

    image: the marked image (the input itself when skipped). boxes: where mark
    pixels were drawn (pixels, x1/y1 exclusive, clipped to the image).
    anchor: the anchor used ("tiled" for tiles). scale: size actually used
    relative to the configured size (1.0 = as configured). skipped: nothing drawn.
    """

    image: Image.Image
    boxes: list[Box] = field(default_factory=list)
    anchor: str = ""
    scale: float = 1.0
    skipped: bool = False


def load_logo(path: Path) -> Image.Image:
    """The logo as RGBA (a PNG's transparency kept). Raises ImgpipeError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ImgpipeError(t("watermark.logo_missing", path=path), file=path, field="watermark.logo",
                           fix=t("watermark.logo.fix"))
    try:
        with Image.open(path) as im:
            im.load()
            return im.convert("RGBA")
    except Exception as exc:  # Pillow raises several types for bad files
        raise ImgpipeError(t("watermark.logo_unreadable", path=path, detail=exc), file=path,
                           field="watermark.logo", fix=t("watermark.logo.fix")) from None


def _shadow_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return (0, 0, 0) if luminance > 110 else (255, 255, 255)


def make_stamp(settings: WatermarkSettings, font_path: Path | None, width_px: int,
               logo: Image.Image | None = None) -> Image.Image:
    """One mark as an RGBA image about `width_px` wide, opacity applied, cropped to its pixels."""
    width_px = max(8, int(round(width_px)))
    if logo is not None:
        ratio = width_px / logo.width
        stamp = logo.resize((width_px, max(1, round(logo.height * ratio))), Image.Resampling.LANCZOS)
        if settings.shadow:
            stamp = _with_shadow(stamp, (0, 0, 0), width_px)
    else:
        if font_path is None:
            raise ImgpipeError(t("font.none_found"), field="fonts.path", fix=install_hint())
        text = settings.text.strip()
        check_text(font_path, text, "watermark.text")
        # size the text so its advance width is width_px
        probe = font(font_path, 100)
        size = max(6, int(100 * width_px / max(1.0, probe.getlength(text))))
        f = font(font_path, size)
        x0, y0, x1, y1 = f.getbbox(text)
        pad = max(2, size // 6)
        stamp = Image.new("RGBA", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), (0, 0, 0, 0))
        colour = ImageColor.getrgb(settings.colour)[:3]
        ImageDraw.Draw(stamp).text((pad - x0, pad - y0), text, font=f, fill=colour + (255,))
        if settings.shadow:
            stamp = _with_shadow(stamp, _shadow_colour(colour), size)
    alpha = stamp.getchannel("A").point(lambda a: round(a * settings.opacity))
    stamp.putalpha(alpha)
    bbox = alpha.getbbox()
    return stamp.crop(bbox) if bbox else stamp


def _with_shadow(stamp: Image.Image, colour: tuple[int, int, int], size: int) -> Image.Image:
    """The stamp over a soft, slightly offset shadow of itself (reads on white and dark)."""
    blur = max(1, size // 18)
    offset = max(1, size // 30)
    pad = 3 * blur + offset
    canvas = Image.new("RGBA", (stamp.width + 2 * pad, stamp.height + 2 * pad), (0, 0, 0, 0))
    shadow_alpha = stamp.getchannel("A").point(lambda a: round(a * 0.6))
    shadow = Image.new("RGBA", stamp.size, colour + (0,))
    shadow.putalpha(shadow_alpha)
    layer = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    layer.paste(shadow, (pad + offset, pad + offset))
    layer = layer.filter(ImageFilter.GaussianBlur(blur))
    canvas = Image.alpha_composite(canvas, layer)
    top = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    top.paste(stamp, (pad, pad))
    return Image.alpha_composite(canvas, top)


def _intersects(a: Box, b: Box | None) -> bool:
    return b is not None and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _anchor_order(preferred: str) -> list[str]:
    """The preferred anchor, then corners, edges and centre, nearest to it first."""
    px, py = _ANCHORS.get(preferred, (1, 1))

    def near(name: str) -> float:
        ax, ay = _ANCHORS[name]
        return math.hypot(ax - px, ay - py)

    rest = sorted(_CORNERS, key=near) + sorted(_EDGES, key=near) + ["center"]
    return [preferred] + [a for a in rest if a != preferred]


def _anchored_box(anchor: str, size: tuple[int, int], stamp: tuple[int, int], margin: int) -> Box:
    W, H = size
    w, h = stamp
    fx, fy = _ANCHORS[anchor]
    x = round(margin + fx * (W - w - 2 * margin))
    y = round(margin + fy * (H - h - 2 * margin))
    return x, y, x + w, y + h


def _tile_boxes(size: tuple[int, int], stamp: tuple[int, int]) -> list[Box]:
    """A staggered grid covering the image; tiles may hang over the edges."""
    W, H = size
    w, h = stamp
    step_x, step_y = int(w * 1.5) + 1, int(h * 2.2) + 1
    boxes = []
    for row, y in enumerate(range(-h // 2, H, step_y)):
        shift = (step_x // 2) * (row % 2)
        for x in range(-w // 2 - shift, W, step_x):
            boxes.append((x, y, x + w, y + h))
    return boxes


def place_watermark(
    img: Image.Image,
    settings: WatermarkSettings,
    font_path: Path | None,
    avoid: Box | None = None,
    logo: Image.Image | None = None,
) -> Watermarked:
    """Draw the mark on a copy of `img`; see the module doc for placement and `avoid`."""
    if not settings.text.strip() and logo is None:
        return Watermarked(img, skipped=True)
    W, H = img.size
    margin = round(settings.margin * W)
    tiled = settings.position == "tiled"
    scales = [1.0]
    if avoid is not None:
        scales += [s for s in (0.85, 0.7, 0.6, MIN_SHRINK) if s >= MIN_SHRINK]
    for scale in scales:
        stamp = _stamp(settings, font_path, round(settings.size * W * scale), logo, tiled)
        if tiled:
            boxes = [b for b in _tile_boxes((W, H), stamp.size) if not _intersects(b, avoid)]
            if boxes:
                return _compose(img, stamp, boxes, "tiled", scale)
            continue
        if stamp.width + 2 * margin > W or stamp.height + 2 * margin > H:
            continue
        anchors = _anchor_order(settings.position) if avoid is not None else [settings.position]
        for anchor in anchors:
            box = _anchored_box(anchor, (W, H), stamp.size, margin)
            if not _intersects(box, avoid):
                return _compose(img, stamp, [box], anchor, scale)
    return Watermarked(img, skipped=True)


_STAMPS: dict = {}


def _stamp(settings: WatermarkSettings, font_path: Path | None, width_px: int, logo: Image.Image | None,
           tiled: bool) -> Image.Image:
    """make_stamp, remembered: a batch draws the same few stamp sizes thousands of times."""
    key = (settings, str(font_path), width_px, id(logo), tiled)
    stamp = _STAMPS.get(key)
    if stamp is None:
        stamp = make_stamp(settings, font_path, width_px, logo)
        if tiled:
            stamp = stamp.rotate(TILE_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
            bbox = stamp.getchannel("A").getbbox()
            stamp = stamp.crop(bbox) if bbox else stamp
        if len(_STAMPS) > 64:
            _STAMPS.clear()
        _STAMPS[key] = stamp
    return stamp


def _compose(img: Image.Image, stamp: Image.Image, boxes: list[Box], anchor: str, scale: float) -> Watermarked:
    W, H = img.size
    if len(boxes) == 1 and img.mode == "RGB":
        # one mark: blend just its box, not a whole-image layer
        x0, y0, x1, y1 = boxes[0]
        c0, r0, c1, r1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if c0 >= c1 or r0 >= r1:
            return Watermarked(img, [], anchor, scale)
        region = img.crop((c0, r0, c1, r1)).convert("RGBA")
        region.alpha_composite(stamp, source=(c0 - x0, r0 - y0))
        out = img.copy()
        out.paste(region.convert("RGB"), (c0, r0))
        return Watermarked(out, [(c0, r0, c1, r1)], anchor, scale)
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    drawn = []
    for box in boxes:
        if box[2] <= 0 or box[3] <= 0 or box[0] >= W or box[1] >= H:
            continue
        layer.alpha_composite(stamp, dest=(max(0, box[0]), max(0, box[1])),
                              source=(max(0, -box[0]), max(0, -box[1])))
        clipped = (max(0, box[0]), max(0, box[1]), min(W, box[2]), min(H, box[3]))
        if clipped[0] < clipped[2] and clipped[1] < clipped[3]:
            drawn.append(clipped)
    base = img.convert("RGBA")
    out = Image.alpha_composite(base, layer)
    out = out.convert(img.mode) if img.mode in ("RGB", "RGBA", "L") else out.convert("RGB")
    return Watermarked(out, drawn, anchor, scale)


def apply_watermark(
    img: Image.Image,
    settings: WatermarkSettings,
    font_path: Path | None,
    avoid: Box | None = None,
    logo: Image.Image | None = None,
) -> Image.Image:
    """`img` with the mark drawn (a new image). When it cannot avoid the box:
    `img` unchanged and a WatermarkSkipped warning (use place_watermark for the flag)."""
    result = place_watermark(img, settings, font_path, avoid, logo)
    if result.skipped and (settings.text.strip() or logo is not None):
        warnings.warn(t("watermark.skipped"), WatermarkSkipped, stacklevel=2)
    return result.image


def mark_box(
    img: Image.Image,
    settings: WatermarkSettings,
    font_path: Path | None,
    avoid: Box | None = None,
    logo: Image.Image | None = None,
) -> Box | None:
    """The box covering all mark pixels apply_watermark would draw on `img` (None if skipped)."""
    result = place_watermark(img, settings, font_path, avoid, logo)
    if not result.boxes:
        return None
    xs0, ys0, xs1, ys1 = zip(*result.boxes)
    return min(xs0), min(ys0), max(xs1), max(ys1)
