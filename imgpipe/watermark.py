"""The shop's own watermark (R2): text (Chinese too) or a logo PNG with alpha.

Placement: one of 9 anchors (top-left … bottom-right, center) at a margin
from the edges, or "tiled" (a staggered grid of marks turned 30°). Size is the
mark's width as a share of the image width; opacity 0-1. `shadow` draws a
soft contrasting shadow under every mark.

Legibility (`outline`): a mark reads when its strokes differ from the pixels
right around them. `mark_contrast` measures that as the WCAG 2 contrast
ratio (1 = invisible … 21 = black on white) between the mean relative
luminance of the stroke pixels and of a thin ring around them, in the image
as drawn. With outline = "auto" (the default) a mark measuring below
MIN_CONTRAST where it lands (a light mark on a white or pale backdrop, a
dark one on a dark photo) is drawn again with an outline in the contrasting
colour around its strokes; marks that already read are left as they are.
"always" / "never" force it. The outline never changes the mark's box: the
stamp is padded for it either way.

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

import cv2
import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFilter

from imgpipe.colour.maths import Y_WEIGHTS, srgb_to_linear

from imgpipe.errors import ImgpipeError
from imgpipe.fonts import check_text, font, install_hint
from imgpipe.messages import t
from imgpipe.settings import WatermarkSettings

Box = tuple[int, int, int, int]

MIN_SHRINK = 0.5        # a mark moved off the product may shrink to half its configured size
TILE_ANGLE = 30         # degrees, tiled marks
MIN_CONTRAST = 1.5      # WCAG contrast ratio of strokes to their surroundings below which a mark does not read
INVISIBLE_CONTRAST = 1.05  # ... below which it is as good as absent (validation: an error, not a warning)
OUTLINE_ALPHA = 0.4     # 0-1, the outline's strength (not scaled by the mark's opacity: it is what makes it read)
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
    contrast: mark_contrast of the drawn mark (the lowest over tiles; None if
    not measurable). outlined: the outline was drawn.
    """

    image: Image.Image
    boxes: list[Box] = field(default_factory=list)
    anchor: str = ""
    scale: float = 1.0
    skipped: bool = False
    contrast: float | None = None
    outlined: bool = False


@dataclass(frozen=True)
class Stamp:
    """One mark ready to paste: plain and outlined variants of the same size (RGBA, opacity
    applied), and `strokes`, the mark's own coverage (float 0-1, HxW: no shadow, no outline)."""

    plain: Image.Image
    outlined: Image.Image
    strokes: np.ndarray

    @property
    def size(self) -> tuple[int, int]:
        return self.plain.size


# ---------------------------------------------------------------- legibility (pure)

def relative_luminance(rgb_u8: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance (0 = black … 1 = white) of uint8 sRGB pixels (..., 3)."""
    return srgb_to_linear(np.asarray(rgb_u8, np.uint8)) @ Y_WEIGHTS.astype(np.float32)


def contrast_ratio(y1: float, y2: float) -> float:
    """WCAG 2 contrast ratio of two relative luminances: 1 (same) … 21 (black on white)."""
    hi, lo = max(y1, y2), min(y1, y2)
    return float((hi + 0.05) / (lo + 0.05))


def ring_px(strokes: np.ndarray) -> int:
    """Width (px) of the ring around a mark's strokes that counts as its surroundings (and of the outline)."""
    return max(2, round(strokes.shape[0] / 14))


def mark_contrast(rgb_u8: np.ndarray, strokes: np.ndarray) -> float | None:
    """WCAG contrast ratio between a mark's strokes and the pixels around them, as drawn.

    rgb_u8: the image region under the mark (HxWx3 uint8 sRGB); strokes: the
    mark's coverage there (HxW, 0-1). Strokes = coverage >= half its peak;
    surroundings = a ring ring_px() wide outside them (inside the region),
    1 px away so antialiased edges count for neither. None when either is empty.
    """
    if strokes.size == 0 or strokes.max() <= 0:
        return None
    core = (strokes >= 0.5 * strokes.max()).astype(np.uint8)
    r = ring_px(strokes)
    near = cv2.dilate(core, np.ones((3, 3), np.uint8))
    ring = cv2.dilate(core, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) & ~near & 1
    if not core.any() or not ring.any():
        return None
    y = relative_luminance(rgb_u8)
    return contrast_ratio(float(y[core > 0].mean()), float(y[ring > 0].mean()))


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


def _contrasting(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black for a light colour, white for a dark one (shadow and outline colour)."""
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return (0, 0, 0) if luminance > 110 else (255, 255, 255)


def _mark(settings: WatermarkSettings, font_path: Path | None, width_px: int,
          logo: Image.Image | None) -> tuple[Image.Image, int, tuple[int, int, int]]:
    """The bare mark (RGBA, full strength) about width_px wide, its type size (px) and its colour."""
    if logo is not None:
        ratio = width_px / logo.width
        mark = logo.resize((width_px, max(1, round(logo.height * ratio))), Image.Resampling.LANCZOS)
        px = np.asarray(mark, np.float64)
        weight = px[..., 3:] / 255
        colour = tuple(int(v) for v in (px[..., :3] * weight).sum((0, 1)) / max(weight.sum(), 1e-6))
        return mark, width_px, colour
    if font_path is None:
        raise ImgpipeError(t("font.none_found"), field="fonts.path", fix=install_hint())
    text = settings.text.strip()
    check_text(font_path, text, "watermark.text")
    # size the text so its advance width is width_px
    probe = font(font_path, 100)
    size = max(6, int(100 * width_px / max(1.0, probe.getlength(text))))
    f = font(font_path, size)
    x0, y0, x1, y1 = f.getbbox(text)
    colour = ImageColor.getrgb(settings.colour)[:3]
    mark = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
    ImageDraw.Draw(mark).text((-x0, -y0), text, font=f, fill=colour + (255,))
    return mark, size, colour


def make_stamp(settings: WatermarkSettings, font_path: Path | None, width_px: int,
               logo: Image.Image | None = None) -> Stamp:
    """One mark about `width_px` wide, plain and outlined (see Stamp), cropped to the pixels of either."""
    width_px = max(8, int(round(width_px)))
    mark, size, colour = _mark(settings, font_path, width_px, logo)
    against = _contrasting(colour)
    alpha = mark.getchannel("A")
    outline_px = max(2, round(mark.height / 14))
    blur, offset = max(1, size // 18), max(1, size // 30)
    pad = max(3 * blur + offset, outline_px + 2)
    canvas = (mark.width + 2 * pad, mark.height + 2 * pad)

    def placed(a: Image.Image, strength: float, shift: int = 0) -> Image.Image:
        """`a` (an L mask) on the padded canvas, times strength."""
        out = Image.new("L", canvas, 0)
        out.paste(a.point(lambda v: round(v * strength)), (pad + shift, pad + shift))
        return out

    def coloured(rgb, a: Image.Image) -> Image.Image:
        out = Image.new("RGBA", canvas, rgb + (0,))
        out.putalpha(a)
        return out

    # the mark over its shadow, then the whole at the mark's opacity (the strokes hide the shadow under them)
    plain = Image.new("RGBA", canvas, (0, 0, 0, 0))
    if settings.shadow:
        shade = against if logo is None else (0, 0, 0)  # a logo's shadow has always been black
        plain = coloured(shade, placed(alpha, 0.6, offset)).filter(ImageFilter.GaussianBlur(blur))
    top = Image.new("RGBA", canvas, (0, 0, 0, 0))
    top.paste(mark, (pad, pad))
    plain = Image.alpha_composite(plain, top)
    plain.putalpha(plain.getchannel("A").point(lambda v: round(v * settings.opacity)))
    # the outline: the strokes grown by outline_px and softened, only outside them (the strokes keep
    # their colour), at its own strength: it is what makes a faint mark read
    inside = placed(alpha, 1.0)
    grown = inside.filter(ImageFilter.MaxFilter(2 * outline_px + 1)).filter(ImageFilter.GaussianBlur(max(1, outline_px // 2)))
    ring = np.clip(np.asarray(grown, np.float32) - np.asarray(inside, np.float32), 0, 255) * OUTLINE_ALPHA
    outlined = Image.alpha_composite(coloured(against, Image.fromarray(ring.round().astype(np.uint8))), plain)
    strokes = np.zeros((canvas[1], canvas[0]), np.float32)
    strokes[pad:pad + mark.height, pad:pad + mark.width] = np.asarray(alpha, np.float32) / 255
    bbox = outlined.getchannel("A").getbbox()
    if bbox:
        plain, outlined = plain.crop(bbox), outlined.crop(bbox)
        strokes = strokes[bbox[1]:bbox[3], bbox[0]:bbox[2]]
    return Stamp(plain, outlined, strokes)


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
                return _legible(img, stamp, boxes, "tiled", scale, settings.outline)
            continue
        if stamp.size[0] + 2 * margin > W or stamp.size[1] + 2 * margin > H:
            continue
        anchors = _anchor_order(settings.position) if avoid is not None else [settings.position]
        for anchor in anchors:
            box = _anchored_box(anchor, (W, H), stamp.size, margin)
            if not _intersects(box, avoid):
                return _legible(img, stamp, [box], anchor, scale, settings.outline)
    return Watermarked(img, skipped=True)


def _legible(img: Image.Image, stamp: Stamp, boxes: list[Box], anchor: str, scale: float,
             outline: str) -> Watermarked:
    """The mark drawn plain, or outlined when `outline` is "always", or "auto" and the plain
    mark measures below MIN_CONTRAST where it lands (the lowest tile decides for all)."""
    use = outline == "always"
    result = _compose(img, stamp.outlined if use else stamp.plain, boxes, anchor, scale)
    contrast = drawn_contrast(result.image, stamp.strokes, boxes)
    if outline == "auto" and contrast is not None and contrast < MIN_CONTRAST:
        use = True
        result = _compose(img, stamp.outlined, boxes, anchor, scale)
        contrast = drawn_contrast(result.image, stamp.strokes, boxes)
    result.contrast, result.outlined = contrast, use
    return result


def drawn_contrast(img: Image.Image, strokes: np.ndarray, boxes: list[Box]) -> float | None:
    """The lowest mark_contrast over the marks drawn at `boxes` (unclipped stamp boxes) in `img`."""
    rgb = np.asarray(img.convert("RGB"))
    H, W = rgb.shape[:2]
    found = []
    for x0, y0, x1, y1 in boxes:
        c0, r0, c1, r1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
        if c0 >= c1 or r0 >= r1:
            continue
        value = mark_contrast(rgb[r0:r1, c0:c1], strokes[r0 - y0:r1 - y0, c0 - x0:c1 - x0])
        if value is not None:
            found.append(value)
    return min(found) if found else None


def strokes_for_box(settings: WatermarkSettings, font_path: Path | None, logo: Image.Image | None,
                    image_width: int, box: Box) -> np.ndarray | None:
    """The mark's stroke coverage (float 0-1, box-sized) of a mark place_watermark drew at `box`
    on an image `image_width` px wide: the stamp of that size, at the configured size or one of
    the shrunken ones. None when no stamp has the box's size (a tile cut by the edge, other settings)."""
    want = (box[2] - box[0], box[3] - box[1])
    for scale in (1.0, 0.85, 0.7, 0.6, MIN_SHRINK):
        stamp = _stamp(settings, font_path, round(settings.size * image_width * scale), logo,
                       settings.position == "tiled")
        if stamp.size == want:
            return stamp.strokes
    return None


_STAMPS: dict = {}


def forget_stamps() -> None:
    """Drop the remembered stamps (render.WorkerFiles: the logo or font was replaced under its name)."""
    _STAMPS.clear()


def _stamp(settings: WatermarkSettings, font_path: Path | None, width_px: int, logo: Image.Image | None,
           tiled: bool) -> Stamp:
    """make_stamp, remembered: a batch draws the same few stamp sizes thousands of times."""
    key = (settings, str(font_path), width_px, id(logo), tiled)
    stamp = _STAMPS.get(key)
    if stamp is None:
        stamp = make_stamp(settings, font_path, width_px, logo)
        if tiled:
            turn = dict(angle=TILE_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
            plain, outlined = stamp.plain.rotate(**turn), stamp.outlined.rotate(**turn)
            strokes = Image.fromarray((stamp.strokes * 255).round().astype(np.uint8)).rotate(**turn)
            bbox = outlined.getchannel("A").getbbox() or (0, 0, *outlined.size)
            stamp = Stamp(plain.crop(bbox), outlined.crop(bbox), np.asarray(strokes.crop(bbox), np.float32) / 255)
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
