"""Images that carry the product's data as text.

- labelled_large_image (R7, R6): the photo with a panel BELOW it listing name,
  article number, colours, fabric, sizes, note and L×W×H in cm. The panel
  never covers the product; every product gets the same layout.
- selling_point_image (R4): a photo or a crop of one with a numbered caption band.
- sold_out_overlay (R11): a banner readable at thumbnail size.

All sizes scale with the output width: the design is drawn for 750 px and
multiplied by width / 750, so Tmall 790, JD 750 and 1688 750 look alike.
Every text is checked for missing glyphs before drawing (fonts.check_text).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageColor, ImageDraw

from imgpipe.fonts import bold_variant, check_text, font
from imgpipe.messages import t_in
from imgpipe.sheet import Product
from imgpipe.text import TextTooLong, draw_text, fit_text, line_height, wrap_text

DESIGN_WIDTH = 750
INK = (34, 34, 34)
MUTED = (128, 128, 128)
ACCENT = (200, 16, 46)        # #C8102E
PANEL_BG = (247, 247, 247)
RULE = (224, 224, 224)

__all__ = ["labelled_large_image", "selling_point_image", "sold_out_overlay", "TextTooLong"]


def _fit_width(img: Image.Image, width: int) -> Image.Image:
    """`img` as RGB scaled to `width` px wide, aspect kept (Lanczos; reducing_gap keeps big shrinks fast)."""
    img = img.convert("RGB")
    if img.width == width:
        return img.copy()
    height = max(1, round(img.height * width / img.width))
    return img.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)


def _bold(font_path: Path) -> tuple[Path, int]:
    """(font file, stroke px per 30 px) for bold text: the real bold face, else a faux-bold stroke."""
    bold = bold_variant(Path(font_path))
    return (bold, 0) if bold else (Path(font_path), 1)


def _tokens_width(tokens: list[tuple[str, bool]], font_path: Path, size: int, tag: str) -> list[float]:
    f = font(font_path, size)
    small = font(font_path, max(8, round(size * 0.75)))
    return [f.getlength(text) + (small.getlength(" " + tag) if sold else 0) for text, sold in tokens]


def _flow(widths: list[float], gap: float, box_w: float) -> list[list[int]]:
    """Indices of tokens per line, left to right, wrapping at box_w."""
    rows: list[list[int]] = [[]]
    x = 0.0
    for i, w in enumerate(widths):
        if rows[-1] and x + gap + w > box_w:
            rows.append([])
            x = 0.0
        x += (gap if rows[-1] else 0) + w
        rows[-1].append(i)
    return rows


def labelled_large_image(
    img: Image.Image,
    product: Product,
    width: int,
    font_path: Path,
    lang: str = "zh",
    sold_out_sizes: set[str] | frozenset[str] = frozenset(),
    *,
    sold_out_colours: set[str] | frozenset[str] = frozenset(),
) -> Image.Image:
    """The photo scaled to `width` px with the product's data in a panel below it (R7, R6).

    Rows without data are left out; sizes/colours listed as sold out are drawn
    grey, struck through and tagged 已售完 / "sold out". Long values wrap.
    Returns an RGB image `width` px wide; its height is photo + panel.
    """
    font_path = Path(font_path)
    k = width / DESIGN_WIDTH
    pad = round(32 * k)
    title_px, label_px, value_px = round(34 * k), round(24 * k), round(26 * k)
    bold_path, bold_stroke = _bold(font_path)
    sep = t_in(lang, "label.separator")
    tag = t_in(lang, "label.sold_out")

    rows: list[tuple[str, object]] = []  # (label, str | list[(token, sold_out)])
    rows.append((t_in(lang, "label.article"), product.article))
    if product.colours:
        rows.append((t_in(lang, "label.colour"), [(c, c in sold_out_colours) for c in product.colours]))
    if product.fabric:
        rows.append((t_in(lang, "label.fabric"), product.fabric))
    if product.sizes:
        rows.append((t_in(lang, "label.size"), [(s, s in sold_out_sizes) for s in product.sizes]))
    if product.measurements():
        rows.append((product.measured_axes(t_in(lang, "label.measurements")), product.measurements()))
    if product.note:
        rows.append((t_in(lang, "label.note"), product.note))

    # glyph check up front, naming the sheet column that holds the bad character
    check_text(bold_path, product.name, t_in(lang, "label.article") + f" {product.article} · name")
    for label, value in rows:
        text = value if isinstance(value, str) else "".join(v for v, _ in value)
        check_text(font_path, label + sep + text + tag, f"{product.article} · {label}")

    inner_w = width - 2 * pad
    label_w = max(font(font_path, label_px).getlength(label + sep) for label, _ in rows)
    value_x = pad + int(round(label_w)) + round(8 * k)  # whole pixels: crisper glyphs
    value_w = width - pad - value_x
    title_lines = wrap_text(product.name, bold_path, title_px, inner_w)
    value_pitch = line_height(value_px)
    gap = font(font_path, value_px).getlength("  ")

    # layout pass: heights of every row
    layout = []
    for label, value in rows:
        if isinstance(value, str):
            lines = wrap_text(value, font_path, value_px, value_w)
            layout.append((label, "text", lines, value_pitch * len(lines)))
        else:
            widths = _tokens_width(value, font_path, value_px, tag)
            flow = _flow(widths, gap, value_w)
            layout.append((label, "tokens", (value, widths, flow), value_pitch * len(flow)))
    title_h = line_height(title_px) * len(title_lines)
    row_gap = round(10 * k)
    panel_h = pad + title_h + round(16 * k) + 1 + round(16 * k) + sum(h + row_gap for *_, h in layout) - row_gap + pad

    photo = _fit_width(img, width)
    out = Image.new("RGB", (width, photo.height + panel_h), PANEL_BG)
    out.paste(photo, (0, 0))
    draw = ImageDraw.Draw(out)
    y = photo.height
    draw.rectangle((0, y, width - 1, y + max(2, round(4 * k)) - 1), fill=ACCENT)
    y += pad
    draw_text(out, (pad, y), title_lines, bold_path, title_px, INK,
              stroke_width=round(bold_stroke * title_px / 30), where="name")
    y += title_h + round(16 * k)
    draw.line((pad, y, width - pad, y), fill=RULE, width=1)
    y += 1 + round(16 * k)
    label_font = font(font_path, label_px)
    value_font = font(font_path, value_px)
    small = font(font_path, max(8, round(value_px * 0.75)))
    for label, kind, data, h in layout:
        # label centred on the first value line
        draw.text((pad, y + value_pitch / 2), label + sep, font=label_font, fill=MUTED, anchor="lm")
        if kind == "text":
            draw_text(out, (value_x, y), data, font_path, value_px, INK, where=label)
        else:
            tokens, widths, flow = data
            for r, indices in enumerate(flow):
                x = value_x
                cy = y + r * value_pitch + value_pitch / 2
                for i in indices:
                    text, sold = tokens[i]
                    colour = MUTED if sold else INK
                    draw.text((x, cy), text, font=value_font, fill=colour, anchor="lm")
                    tw = value_font.getlength(text)
                    if sold:
                        # strike through the value, then the red 已售完 tag
                        thick = max(2, round(value_px / 12))
                        draw.line((x - 1, cy, x + tw + 1, cy), fill=ACCENT, width=thick)
                        draw.text((x + tw + small.getlength(" "), cy), tag, font=small, fill=ACCENT, anchor="lm")
                    x += widths[i] + gap
        y += h + row_gap
    return out


def selling_point_image(
    img: Image.Image,
    caption: str,
    width: int,
    font_path: Path,
    index: int,
    crop: tuple[int, int, int, int] | None = None,
    *,
    max_lines: int = 3,
) -> Image.Image:
    """A photo (or `crop` of it: x0, y0, x1, y1 in the photo's pixels) `width` px wide,
    with a band below: a red numbered badge and the caption (R4).

    The caption is drawn at 40 px (design width 750) and shrunk on one line
    down to 28 px, then wrapped (up to `max_lines` lines); if it still does
    not fit, TextTooLong is raised — a caption is never cut.
    """
    font_path = Path(font_path)
    k = width / DESIGN_WIDTH
    if crop is not None:
        x0, y0, x1, y1 = (int(round(v)) for v in crop)
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = min(img.width, x1), min(img.height, y1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            img = img.crop((x0, y0, x1, y1))
    photo = _fit_width(img, width)
    pad = round(28 * k)
    badge = round(64 * k)
    gap = round(20 * k)
    max_px, min_px = round(40 * k), round(28 * k)
    bold_path, bold_stroke = _bold(font_path)
    box_w = width - 2 * pad - badge - gap
    box_h = line_height(min_px) * max_lines
    caption = " ".join(caption.split())
    size, lines = fit_text(caption, bold_path, box_w, box_h, max_px, min_px,
                           prefer_one_line=True, max_lines=max_lines)
    text_h = line_height(size) * len(lines)
    band_h = max(badge, text_h) + 2 * pad
    out = Image.new("RGB", (width, photo.height + band_h), (255, 255, 255))
    out.paste(photo, (0, 0))
    draw = ImageDraw.Draw(out)
    top = photo.height
    cy = top + band_h / 2
    bx = pad
    draw.ellipse((bx, cy - badge / 2, bx + badge, cy + badge / 2), fill=ACCENT)
    number = str(index)
    num_px = round(badge * (0.5 if len(number) < 2 else 0.4))
    draw.text((bx + badge / 2, cy), number, font=font(bold_path, num_px), fill=(255, 255, 255), anchor="mm")
    draw_text(out, (bx + badge + gap, cy - text_h / 2), lines, bold_path, size, INK,
              stroke_width=round(bold_stroke * size / 30), where="selling point")
    draw.line((0, top, width, top), fill=RULE, width=max(1, round(k)))
    return out


def sold_out_overlay(
    img: Image.Image,
    text: str | list[str] | tuple[str, ...],
    font_path: Path,
    colour: str = "#C8102E",
    *,
    opacity: float = 0.92,
    clear_of: tuple = (),
) -> Image.Image:
    """`img` with a full-width banner across its lower part saying `text` (R11).

    Several texts (e.g. ["红色 已售完", "XL 已售完"]) become lines of one
    banner. Text height is up to 10 % of the shorter side (min 5 %), so it still
    reads on a 160 px thumbnail. `clear_of`: boxes (x0, y0, x1, y1) already drawn
    in the lower part, the shop's mark: the banner rises to end above one it would
    cover (real tops: it hid all but the feet of 禾象旗舰店 on large and selling-point
    images), never above the image's middle. Returns a new image of the same size and mode.
    """
    texts = [text] if isinstance(text, str) else [s for s in text if s.strip()]
    if not texts:
        return img.copy()
    font_path = Path(font_path)
    bold_path, bold_stroke = _bold(font_path)
    W, H = img.size
    short = min(W, H)
    pad = max(4, round(short * 0.035))
    joined = "\n".join(texts)
    size, lines = fit_text(joined, bold_path, W - 2 * pad, H * 0.45 - 2 * pad,
                           max(10, round(short * 0.1)), max(8, round(short * 0.05)), spacing=1.25)
    block_h = line_height(size, 1.25) * len(lines)
    band_h = block_h + 2 * pad
    band_top = H - band_h - round(H * 0.06)
    gap = max(2, round(short * 0.01))
    for _x0, y0, _x1, y1 in clear_of:
        if y0 < band_top + band_h + gap and y1 > band_top and y0 - gap - band_h >= H // 2:
            band_top = y0 - gap - band_h
    rgb = ImageColor.getrgb(colour)[:3]
    base = img.convert("RGBA")
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw.rectangle((0, band_top, W, band_top + band_h), fill=rgb + (round(255 * opacity),))
    rule = max(1, round(short * 0.006))
    draw.rectangle((0, band_top, W, band_top + rule - 1), fill=(255, 255, 255, 230))
    draw.rectangle((0, band_top + band_h - rule + 1, W, band_top + band_h), fill=(255, 255, 255, 230))
    out = Image.alpha_composite(base, layer)
    draw_text(out, (pad, band_top + pad), lines, bold_path, size, (255, 255, 255, 255),
              spacing=1.25, align="center", box_w=W - 2 * pad,
              stroke_width=round(bold_stroke * size / 30), where="soldout.text")
    return out.convert(img.mode) if img.mode in ("RGB", "RGBA", "L") else out.convert("RGB")
