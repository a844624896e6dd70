"""Detail pages (R5, R6): one shared template -> HTML folder -> browser render -> JPEG slices.

    render_detail_html   product + images -> output/<platform>/<article>/page/index.html (+ img/)
    Tab.capture          (imgpipe.browser) the page rendered by headless Chromium at the page width
    slice_page           the tall render cut at quiet rows into slices <= the platform's height
    write_slices         <article>-detail-NN.jpg, each under the byte cap
    render_detail_page   all of the above; HTML only (and a hint) when no browser is installed

Product text from the sheet is untrusted: the template is rendered with
autoescape on and product values are only ever passed as data.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from imgpipe.browser import BrowserSession, Capture, Tab, browser_install_hint, find_browser
from imgpipe.decoders import exif_orientation
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import atomic_write_bytes, content_hash, sha256_file
from imgpipe.imageio import rgb_pixels
from imgpipe.messages import t, t_in
from imgpipe.profiles import DetailPageSpec, brought_to_width
from imgpipe.resources import builtin_dir
from imgpipe.sheet import Product

TEMPLATE_NAME = "detail.html.j2"
SECTIONS = ("header", "large", "selling_points", "specs", "details", "footer")
# Formats every browser shows; anything else would be a broken-image icon.
WEB_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
SLICE_NAME = re.compile(r"^(?P<article>.+)-detail-(?P<n>\d{2,})\.jpg$")
QUALITY_STEP = 5
QUIET_BLOCK = 128  # rows quiet_rows takes at a time


@dataclass
class DetailImages:
    """The finished images a detail page shows (already sized for the platform).

    header: the top image; selling_points: (image or None, caption) per R4
    point, in order; details: close-ups in order; large: the R7 labelled image.
    """

    header: Path | None = None
    selling_points: list[tuple[Path | None, str]] = field(default_factory=list)
    details: list[Path] = field(default_factory=list)
    large: Path | None = None


@dataclass
class DetailPageResult:
    """What `render_detail_page` made. `skipped` is set (once-per-run text) when no slices were made."""

    html: Path
    slices: list[Path] = field(default_factory=list)
    warnings: list[ImgpipeError] = field(default_factory=list)
    skipped: str | None = None
    page_size: tuple[int, int] | None = None
    seconds: dict[str, float] = field(default_factory=dict)


# --- HTML --------------------------------------------------------------------


def template_dirs(template_dir: Path | None = None) -> list[Path]:
    """Where the template is looked up: the workspace's folder first, then the built-in one."""
    dirs = [Path(template_dir)] if template_dir is not None else []
    dirs.append(builtin_dir("templates"))
    return dirs


@functools.lru_cache(maxsize=8)
def _environment(template_dir: Path | None):
    """One Jinja environment per template folder: it compiles the template once and
    recompiles only when the file changes (auto_reload), not once per page."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in template_dirs(template_dir)], encoding="utf-8"),
        autoescape=True,  # sheet text is untrusted: <script> must stay text
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    """The template line a render-time error came from (Jinja keeps it in the traceback)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if filename and tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def load_template(template_dir: Path | None = None):
    """The detail template (workspace copy first); a broken one -> ImgpipeError with file and line."""
    import jinja2

    env = _environment(Path(template_dir) if template_dir is not None else None)
    try:
        return env.get_template(TEMPLATE_NAME)
    except jinja2.TemplateSyntaxError as exc:
        raise ImgpipeError(
            t("detail.template_syntax", line=exc.lineno, detail=exc.message),
            file=exc.filename or exc.name or TEMPLATE_NAME,
            fix=t("detail.template_syntax.fix"),
        ) from None
    except jinja2.TemplateNotFound:
        raise ImgpipeError(
            t("detail.template_missing", name=TEMPLATE_NAME),
            file=" ; ".join(str(d) for d in template_dirs(template_dir)),
        ) from None


def _web_image(path: Path | None, section: str, warnings: list) -> dict | None:
    """Size and file suffix of an image a browser can show, or None (+ a warning)."""
    if path is None:
        return None
    path = Path(path)
    if not path.is_file():
        warnings.append(ImgpipeError(t("detail.image_missing", section=section, path=path), file=path))
        return None
    try:
        with Image.open(path) as img:
            fmt = img.format
            width, height = img.size
            # browsers apply EXIF orientation, so the shown size is the rotated one
            if exif_orientation(img) in (5, 6, 7, 8):
                width, height = height, width
    except Exception as exc:  # Pillow raises several types for a bad file
        warnings.append(ImgpipeError(
            t("detail.image_unusable", section=section, path=path, detail=exc), file=path,
        ))
        return None
    if fmt not in WEB_FORMATS or width < 1 or height < 1:
        warnings.append(ImgpipeError(
            t("detail.image_unusable", section=section, path=path, detail=fmt or "?"), file=path,
        ))
        return None
    return {"path": path, "suffix": WEB_FORMATS[fmt], "width": width, "height": height}


def natural_left(width: int, page_width: int) -> int | None:
    """Where an image `width` px wide starts when the page draws it at its own width, centred
    (a whole pixel: the pasted photo is not resampled); None: it spans the page (enlarged by at
    most profiles.QUIET_ENLARGE). A 375 px photo on a 790 px page, drawn 2.1× and visibly soft before,
    is drawn at its own pixels (the real bag H602-03)."""
    if brought_to_width(width, page_width):
        return None
    return (page_width - width) // 2


def _spec_rows(product: Product, lang: str) -> list[dict]:
    sep = t_in(lang, "detail.label.list_sep")
    rows = [
        ("name", product.name),
        ("article", product.article),
        ("brand", product.brand),
        ("colours", sep.join(product.colours)),
        ("fabric", product.fabric),
        ("sizes", sep.join(product.sizes)),
        ("measurements", product.measurements()),
        ("note", product.note),
    ]
    # the measurements are named as far as measured: 尺寸（长×宽） for a garment's 62×44 cm
    axes = product.measured_axes(t_in(lang, "label.measurements"))
    return [
        {"key": key, "label": t_in(lang, "detail.label.measurements_of", axes=axes) if key == "measurements"
         else t_in(lang, f"detail.label.{key}"), "value": value}
        for key, value in rows
        if value
    ]


def _labels(lang: str) -> dict[str, str]:
    keys = ("selling_points", "specs", "details", "thanks", "name", "article", "brand",
            "colours", "fabric", "sizes", "measurements", "note")
    return {key: t_in(lang, f"detail.label.{key}") for key in keys}


def _font_css(font: Path | None) -> dict[str, str]:
    """Template values naming the images' font: its file URL and its (Simplified Chinese) family."""
    if font is None:
        return {"font_url": "", "font_family": ""}
    from imgpipe.fonts import font as load_font

    family = load_font(Path(font), 16).getname()[0] or ""
    return {"font_url": Path(font).resolve().as_uri(), "font_family": re.sub(r'["\\<>;{}]', "", family)}


def render_detail_html(
    product: Product,
    page: DetailPageSpec,
    images: DetailImages,
    out_dir: Path,
    *,
    lang: str = "zh",
    shop_name: str = "",
    template_dir: Path | None = None,
    platform_label: str = "",
    warnings: list | None = None,
    font: Path | None = None,
) -> Path:
    """Write the detail page as a self-contained folder; returns `out_dir/index.html`.

    font: the font file the images' text is drawn with; the page uses the same
    (by its family name when installed, else loaded from the file).

    `out_dir` (normally output/<platform>/<article>/page/) gets index.html
    (CSS inline, relative links) and img/ with copies of the images shown.
    The page is `page.width` px wide with `page.base_font_px` text and the
    sections of `page.sections` in that order. A missing or unreadable image
    leaves its section (or a selling point's picture) out and appends an
    ImgpipeError to `warnings` when given. A broken template raises
    ImgpipeError naming the template file and line.
    """
    out_dir = Path(out_dir)
    found: list = [] if warnings is None else warnings
    template = load_template(template_dir)

    sections = []
    for name in page.sections:
        if name in SECTIONS:
            if name not in sections:
                sections.append(name)
        else:
            found.append(ImgpipeError(
                t("detail.unknown_section", name=name), field="detail_page.sections",
                fix=t("detail.unknown_section.fix", known=", ".join(SECTIONS)),
            ))

    copies: dict[str, Path] = {}  # name inside img/ -> source

    def place(info: dict | None, stem: str) -> dict | None:
        if info is None:
            return None
        # named after the output it copies (`A1023-02-header.jpg`): every image in
        # output/ starts with its article and sequence number (contract.md)
        name = f"{info['path'].stem}-{stem}{info['suffix']}"
        copies[name] = info["path"]
        return {"src": f"img/{name}", "width": info["width"], "height": info["height"],
                "left": natural_left(info["width"], int(page.width))}

    header = large = None
    points: list[dict] = []
    details: list[dict] = []
    if "header" in sections:
        header = place(_web_image(images.header, t_in(lang, "detail.section.header"), found), "header")
    if "large" in sections:
        large = place(_web_image(images.large, t_in(lang, "detail.section.large"), found), "large")
    if "selling_points" in sections:
        for n, (path, caption) in enumerate(images.selling_points, start=1):
            label = t_in(lang, "detail.section.selling_point", n=n)
            image = place(_web_image(path, label, found), f"point-{n:02d}")
            # the caption is the selling point itself (R4): keep it even without its picture
            if image is not None or (caption or "").strip():
                points.append({"n": n, "caption": caption or "", "image": image})
    if "details" in sections:
        for n, path in enumerate(images.details, start=1):
            image = place(_web_image(path, t_in(lang, "detail.section.detail", n=n), found), f"detail-{n:02d}")
            if image is not None:
                details.append({"n": n, **image})

    context = {
        "product": product,
        "page": page,
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "labels": _labels(lang),
        "shop_name": shop_name,
        "platform_label": platform_label,
        "width": int(page.width),
        "font_px": int(page.base_font_px),
        **_font_css(font),
        "sections": sections,
        "header": header,
        "large": large,
        "selling_points": points,
        "details": details,
        "specs": _spec_rows(product, lang),
    }
    try:
        html = template.render(context)
    except Exception as exc:  # a workspace template can fail in many ways at render time
        raise ImgpipeError(
            t("detail.template_error", line=_template_line(exc, template.filename) or "?", detail=exc),
            file=template.filename, fix=t("detail.template_syntax.fix"),
        ) from None

    img_dir = out_dir / "img"
    for name, source in copies.items():
        dest = img_dir / name
        if dest.is_file() and dest.stat().st_size == source.stat().st_size and sha256_file(dest) == sha256_file(source):
            continue
        # like every output: rebuildable, so no fsync (a short file fails the page's check and is redone)
        atomic_write_bytes(dest, source.read_bytes(), durable=False)
    if img_dir.is_dir():
        for old in img_dir.iterdir():
            if old.is_file() and old.name not in copies and not old.name.startswith("."):
                old.unlink()
    index = out_dir / "index.html"
    atomic_write_bytes(index, html.encode("utf-8"), durable=False)
    return index


def detail_fingerprint(
    product: Product,
    page: DetailPageSpec,
    images: DetailImages,
    *,
    lang: str = "zh",
    shop_name: str = "",
    template_dir: Path | None = None,
    platform_label: str = "",
    font: Path | None = None,
    image_hash=None,
) -> str:
    """A hash of everything a detail page depends on: unchanged hash -> no re-render needed.

    Covers the product row, the page spec, the bytes of every image, the
    template in use (workspace or built-in) and the texts around it.
    image_hash(path) -> the sha256 of an image's bytes, or None when it is not a file: how the
    images are hashed (default: read each; the run passes what it recorded of its outputs).
    """
    def file_hash(path: Path | None) -> str | None:
        if path is None:
            return None
        if image_hash is not None:
            return image_hash(path)
        return sha256_file(Path(path)) if Path(path).is_file() else None

    template_file = next((d / TEMPLATE_NAME for d in template_dirs(template_dir) if (d / TEMPLATE_NAME).is_file()), None)
    product_data = dataclasses.asdict(product)
    product_data.pop("row", None)
    payload = {
        "v": 1,
        "product": product_data,
        "page": dataclasses.asdict(page),
        "header": file_hash(images.header),
        "large": file_hash(images.large),
        "points": [(file_hash(p), c) for p, c in images.selling_points],
        "details": [file_hash(p) for p in images.details],
        "template": sha256_file(template_file) if template_file else None,
        "text": (lang, shop_name, platform_label),
        "font": content_hash(font) if font else None,  # a font replaced under its name redoes the page
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def render_key(html: Path, width: int) -> str:
    """What the render of a page folder shows: its HTML, its images' bytes, the width.

    Two platforms' pages with the same key look the same, whatever their
    byte caps or slice heights; one render serves both.
    """
    return hashlib.sha256(f"{images_key(html, width)}\n".encode() + Path(html).read_bytes()).hexdigest()


def images_key(html: Path, width: int) -> str:
    """The width and the bytes of the images of a page folder: pages with the same key differ
    in their HTML at most (see Tab.capture's `like`)."""
    digest = hashlib.sha256(f"{int(width)}\n".encode())
    img_dir = Path(html).parent / "img"
    for path in sorted(img_dir.iterdir()) if img_dir.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            digest.update(f"\n{path.name}\n{sha256_file(path)}".encode())
    return digest.hexdigest()


# --- slicing -------------------------------------------------------------------


def quiet_rows(pixels: np.ndarray, tolerance: int = 2) -> np.ndarray:
    """Per row: True when the row is one flat colour (no text, no image edge).

    pixels: HxWx3 uint8 RGB. tolerance: largest spread (0-255) per channel
    still counted as flat. Returns a bool array of length H.
    """
    # channels first, so each row's values are contiguous: 25x faster than reducing HxWx3 over axis 1;
    # QUIET_BLOCK rows at a time, so the copy stays in the cache: slicing a page of the throughput
    # benchmark (790 x 7000) 38.7 -> 35.2 ms, side by side (docs/performance.md, branch pages3)
    quiet = np.empty(len(pixels), bool)
    for top in range(0, len(pixels), QUIET_BLOCK):
        planes = np.ascontiguousarray(pixels[top:top + QUIET_BLOCK].transpose(0, 2, 1))
        spread = planes.max(axis=2).astype(np.int16) - planes.min(axis=2)
        quiet[top:top + QUIET_BLOCK] = (spread <= tolerance).all(axis=1)
    return quiet


def background_rows(pixels: np.ndarray, quiet: np.ndarray, tolerance: int = 2) -> np.ndarray:
    """Per row: True when the row is flat AND in the page's background colour.

    A photo can have flat rows too (a plain sky, a studio backdrop); cutting
    there splits the picture. The page background is taken to be the colour
    most flat rows have. pixels: HxWx3 uint8 RGB; quiet: from quiet_rows.
    """
    if not quiet.any():
        return quiet.copy()
    colours = pixels[quiet, 0, :].astype(np.int16)
    values, counts = np.unique(colours, axis=0, return_counts=True)
    page = values[counts.argmax()]
    near = (np.abs(pixels[:, 0, :].astype(np.int16) - page) <= tolerance).all(axis=1)
    return quiet & near


def _pick_cut(ok: np.ndarray, lo: int, hi: int) -> int | None:
    """Middle of the lowest run of boundaries b in [lo, hi] with rows b-1 and b both `ok`."""
    good = [b for b in range(hi, lo - 1, -1) if ok[b - 1] and ok[b]]
    if not good:
        return None
    bottom = start = good[0]
    while start - 1 >= lo and ok[start - 2] and ok[start - 1]:
        start -= 1
    return (start + bottom + 1) // 2


def slice_bounds(
    quiet: np.ndarray,
    max_height: int,
    quiet_window: float = 0.2,
    preferred: np.ndarray | None = None,
) -> list[tuple[int, int]]:
    """Where to cut a page of len(quiet) rows: (top, bottom) pairs, bottom exclusive.

    Each slice is at most `max_height` rows. A cut is looked for in the last
    `quiet_window` share of the allowed height, in this order: inside a band
    of `preferred` rows (page background), inside a band of quiet rows, next
    to a single quiet row, else at max_height exactly. Within a band the cut
    is in the middle of the lowest one, so both slices keep some margin.
    """
    height = len(quiet)
    if max_height < 1:
        raise ValueError("max_height must be >= 1")
    bounds = []
    top = 0
    while height - top > max_height:
        hi = top + max_height  # largest allowed bottom; boundary b lies between rows b-1 and b
        lo = max(top + 1, top + int(np.ceil(max_height * (1.0 - quiet_window))))
        cut = _pick_cut(preferred, lo, hi) if preferred is not None else None
        if cut is None:
            cut = _pick_cut(quiet, lo, hi)
        if cut is None:
            either = [b for b in range(hi, lo - 1, -1) if quiet[b - 1] or quiet[b]]
            cut = either[0] if either else hi
        bounds.append((top, cut))
        top = cut
    bounds.append((top, height))
    return bounds


def slice_page(img: Image.Image, max_height: int, quiet_window: float = 0.2) -> list[Image.Image]:
    """Cut a full-page render into slices no taller than `max_height` px.

    Cuts fall on quiet rows within the last `quiet_window` share of the
    allowed height when there are any, page-background rows first, so text
    lines, image edges and pictures are not cut; otherwise at `max_height`.
    The slices, stacked top to bottom, are exactly `img`.
    """
    return _slices(img, max_height, quiet_window)[0]


def _slices(img: Image.Image, max_height: int, quiet_window: float = 0.2) -> tuple[list[Image.Image], list[bytes]]:
    """`slice_page`'s slices and the sha256 of each one's pixels (write_slices' `digests`),
    hashed in the page's pixel array: no copy of each slice's bytes for it."""
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    pixels = rgb_pixels(rgb)
    quiet = quiet_rows(pixels)
    preferred = background_rows(pixels, quiet)
    bounds = slice_bounds(quiet, max_height, quiet_window, preferred)
    return ([rgb.crop((0, top, rgb.width, bottom)) for top, bottom in bounds],
            [hashlib.sha256(pixels[top:bottom]).digest() for top, bottom in bounds])


def _jpeg_bytes(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=True, progressive=False, subsampling="4:2:0" if quality < 90 else "4:4:4")
    return buf.getvalue()


def write_slices(
    slices: list[Image.Image],
    out_dir: Path,
    article: str,
    max_bytes: int,
    quality: int,
    *,
    min_quality: int = 30,
    encoded: dict | None = None,
    digests: list[bytes] | None = None,
) -> list[Path]:
    """Write `<article>-detail-NN.jpg` (01, 02, ... in order), each under `max_bytes`.

    JPEG quality starts at `quality` and drops by 5 down to `min_quality`
    until a slice fits; ImgpipeError when even that is too big. Slices left
    over from an earlier, longer render of the same article are removed.
    encoded: a dict shared by the pages of one article; a slice with the same
    pixels as one already encoded at a quality (Tmall's and 1688's pages differ
    only in the footer, their byte caps in size) reuses those bytes. digests: the sha256 of each
    slice's pixels (RGB bytes), when known.
    """
    out_dir = Path(out_dir)
    written: list[Path] = []
    for n, piece in enumerate(slices, start=1):
        path = out_dir / f"{article}-detail-{n:02d}.jpg"
        digest = digests[n - 1] if digests is not None else hashlib.sha256(piece.tobytes()).digest()

        def encode(q: int) -> bytes:
            # the same pixels at the same quality: the same bytes, whatever the page's byte cap
            if encoded is None:
                return _jpeg_bytes(piece, q)
            key = (digest, piece.size, q)
            if key not in encoded:
                encoded[key] = _jpeg_bytes(piece, q)
            return encoded[key]

        q = quality
        data = encode(q)
        while len(data) > max_bytes and q > min_quality:
            q = max(min_quality, q - QUALITY_STEP)
            data = encode(q)
        if len(data) > max_bytes:
            raise ImgpipeError(
                t("image.cap_unreachable", quality=q, role=t("detail.slice_role"), size=len(data), cap=max_bytes),
                file=path, fix=t("image.cap_unreachable.fix"),
            )
        atomic_write_bytes(path, data, durable=False)  # rebuildable: the page's check redoes a short one
        written.append(path)
    keep = {p.name for p in written}
    if out_dir.is_dir():
        for old in out_dir.iterdir():
            match = SLICE_NAME.match(old.name)
            if match and match["article"] == article and old.name not in keep and old.is_file():
                old.unlink()
    return written


# --- all together ----------------------------------------------------------------


@dataclass
class PageRender:
    """A page's HTML written and its browser capture (None: no browser), not yet cut into slices."""

    result: DetailPageResult
    capture: Capture | None
    article: str
    page: DetailPageSpec
    slices_dir: Path
    quality: int
    min_quality: int
    keep_render: Path | None
    start: float


def render_detail_page(product: Product, page: DetailPageSpec, images: DetailImages, out_dir: Path, *,
                       encoded: dict | None = None, **options) -> DetailPageResult:
    """HTML page, then (with a browser) the render and its JPEG slices.

    options: those of `open_detail_page`. encoded: a dict shared by the
    pages of one article: equal slices are encoded once. The same as
    `cut_detail_page(open_detail_page(...))`, the two halves a page thread
    runs apart so that one page is cut while the next one renders.
    """
    render = open_detail_page(product, page, images, out_dir, **options)
    session = options.get("session")
    return cut_detail_page(render, encoded=encoded, decoded=session.decoded if session is not None else None)


def open_detail_page(
    product: Product,
    page: DetailPageSpec,
    images: DetailImages,
    out_dir: Path,
    *,
    lang: str = "zh",
    shop_name: str = "",
    template_dir: Path | None = None,
    platform_label: str = "",
    browser: Path | None = None,
    use_browser: bool = True,
    slices_dir: Path | None = None,
    quality: int = 90,
    min_quality: int = 30,
    keep_render: Path | None = None,
    session: Tab | None = None,
    renders: dict | None = None,
    font: Path | None = None,
) -> PageRender:
    """The browser's half of `render_detail_page`: the HTML written and the page captured.

    out_dir: the page folder (output/<platform>/<article>/page/).
    slices_dir: where `<article>-detail-NN.jpg` go; default out_dir's parent
    (output/<platform>/<article>/). browser: the browser program; None finds
    the installed one (find_browser) unless use_browser is False. Without one
    the HTML is still written and `result.skipped` says how to install one.
    keep_render: also save the full-page render there as PNG (for a look).
    session: a tab of a running Browser (a BrowserSession will do) to reuse,
    saving the browser start per page; it wins over `browser`.
    renders: a dict shared by the pages of one article: a page whose HTML
    and images equal one rendered before (any platform caps or slice
    height) is not rendered again, only cut; one with the same images and
    width but other texts (another platform's name) is captured only where
    its texts differ.
    font: the images' font file (the page uses it too).
    """
    seconds: dict[str, float] = {}
    warnings: list[ImgpipeError] = []
    start = time.perf_counter()
    html = render_detail_html(
        product, page, images, out_dir, lang=lang, shop_name=shop_name,
        template_dir=template_dir, platform_label=platform_label, warnings=warnings, font=font,
    )
    seconds["html"] = time.perf_counter() - start
    result = DetailPageResult(html=html, warnings=warnings, seconds=seconds)
    render = PageRender(result, None, product.article, page,
                        Path(slices_dir) if slices_dir is not None else Path(out_dir).parent,
                        quality, min_quality, keep_render, start)
    if session is None and browser is None and use_browser:
        browser = find_browser()
    if session is None and browser is None:
        result.skipped = f"{t('detail.browser_missing')} ({t('error.fix')}: {browser_install_hint()})"
        return render
    step = time.perf_counter()
    key = render_key(html, page.width) if renders is not None else None
    # a page with the same images and width rendered before: this one may differ in some texts only
    like_key = ("like", images_key(html, page.width)) if renders is not None else None
    if key is not None and key in renders:
        render.capture = renders[key]
    elif session is not None:
        session.open(html, page.width, decode_images=False, ready=False)
        render.capture = session.capture(paste_images=True, like=renders.get(like_key) if renders else None)
    else:
        with BrowserSession(Path(browser)) as own:
            own.open(html, page.width, decode_images=False, ready=False)
            render.capture = own.capture(paste_images=True)
    if key is not None:
        renders[key] = renders[like_key] = render.capture
    seconds["screenshot"] = time.perf_counter() - step
    return render


def cut_detail_page(render: PageRender, *, encoded: dict | None = None, decoded: dict | None = None
                    ) -> DetailPageResult:
    """The second half of `render_detail_page`: the captured page finished, sliced and written.

    Needs no browser. encoded: as in render_detail_page; decoded: images
    pasted into pages before, by content and box (see Capture.picture).
    """
    result = render.result
    if render.capture is None:
        return result
    step = time.perf_counter()
    full = render.capture.picture(decoded)
    result.page_size = full.size
    if render.keep_render is not None:
        buf = io.BytesIO()
        full.save(buf, "PNG", compress_level=1)  # a look, not an archive: fast beats small
        atomic_write_bytes(Path(render.keep_render), buf.getvalue())
    pieces, digests = _slices(full, render.page.slice_height)
    result.slices = write_slices(pieces, render.slices_dir, render.article, render.page.max_bytes, render.quality,
                                 min_quality=render.min_quality, encoded=encoded, digests=digests)
    result.seconds["slices"] = time.perf_counter() - step
    result.seconds["total"] = time.perf_counter() - render.start
    return result
