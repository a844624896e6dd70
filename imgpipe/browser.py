"""Find the installed Chromium/Chrome/Edge and drive it headless to render pages.

The detail page must be rendered by a real browser engine at exactly the
platform's width. Playwright (sync API) drives the browser that is already
installed, by its program path: no browser download (shops are often
offline; `playwright install` is never part of setup), the same code on
Windows, macOS and Linux.

    with Browser(find_browser()) as browser:      # one browser per run (or worker)
        tab = browser.tab()                        # a page is a tab
        tab.open(Path("page/index.html"), width=790)
        image = tab.screenshot()                   # PIL RGB, full page, scale 1

`BrowserSession` is a browser with one tab, for a single page or a test.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t

BROWSER_ENV = "IMGPIPE_BROWSER"
# chromium-headless-shell first: the same engine and the same pixels without the desktop
# browser's UI layers; under Playwright it is ~190 MB less memory (PSS) and ~20 % less CPU on
# the same pages (README, benchmark)
BROWSER_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                 "msedge")

# On top of Playwright's own headless flags: no network, no GPU, and pixels that
# do not depend on the machine's screen (scale 1, sRGB, no scrollbars).
LAUNCH_ARGS = (
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--force-device-scale-factor=1",
    "--force-color-profile=srgb",
)

# Pages up to SINGLE_CAPTURE_MAX_PX are captured at once; taller ones in bands:
# one huge capture can exceed the compositor's texture limits (30+ selling
# points make pages of more than 20 000 px).
SINGLE_CAPTURE_MAX_PX = 16384
VIEWPORT_HEIGHT = 800
# Pages a tab writes into its open document (Tab.open) before it navigates again: the renderer
# keeps what the replaced documents showed until a navigation or a purge (`Tab.purge`, which
# the page thread asks for after each article). A navigation costs ~120 ms of the browser's
# CPU against ~30 ms for a page written in place, and lets go of less than a purge: on
# `--workload many` of the throughput benchmark (8 articles, 24 pages) the browser and
# driver peaked at 466 MB PSS navigating every third page, 410-418 MB never navigating but
# purging after each article, with 0.2-0.3 CPU-s less
IN_PLACE_PAGES = 64
CAPTURE_BAND_PX = 4096
# For Playwright's node driver: V8's young generation at 1 MB (16 MB by default). On the
# throughput benchmark's 24 pages its PSS was 119-122 MB against 133-146 MB, its CPU the same
# within the noise (0.74-1.01 s against 0.87-0.88); `--jitless` took ~10 MB more off, but it
# turns off WebAssembly in the driver
DRIVER_NODE_OPTIONS = "--max_semi_space_size=1"  # node takes _ for -; no "-sp" (test_outputs_described)
# Node (>= 22.1) keeps the driver's compiled bundle in this folder of the user's cache and loads
# it from there at the next start: a browser start and stop 0.94-1.20 -> 0.80-1.09 CPU-s
# (three rounds of three, side by side; the driver's start is mostly compiling its 2 MB bundle)
DRIVER_COMPILE_CACHE = "node-compile-cache"
START_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 60.0
# Wait for the web fonts and every image to be decoded before anything is measured.
READY_JS = ("(async () => { await document.fonts.ready;"
            " await Promise.all(Array.from(document.images, i => i.decode().catch(() => null)));"
            " return true; })()")
FONTS_JS = "(async () => { await document.fonts.ready; return true; })()"
# Each image's box in page px and whether imgpipe may paste it in place of the browser:
# a plain local raster shown as it is (no transform, filter, opacity, rounding,
# border, padding or object-fit on it or its ancestors) with nothing else laid
# over it. Plain ones are hidden (visibility keeps the layout) so the capture
# is flat where they go; the others are decoded for the browser to draw.
PLAIN_IMAGES_JS = """(async () => {
  const all = Array.from(document.body ? document.body.querySelectorAll('*') : []);
  const over = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const out = Array.from(document.images, img => {
    const r = img.getBoundingClientRect();
    let plain = img.complete && img.naturalWidth > 0 && img.currentSrc.startsWith('file:');
    const s = getComputedStyle(img);
    plain = plain && s.visibility === 'visible' && s.objectFit === 'fill' && s.borderRadius === '0px'
      && ['Top', 'Right', 'Bottom', 'Left'].every(k => s['border' + k + 'Width'] === '0px' && s['padding' + k] === '0px')
      && s.outlineStyle === 'none';
    for (let e = img; plain && e; e = e.parentElement) {
      const c = getComputedStyle(e);
      plain = c.opacity === '1' && c.filter === 'none' && c.transform === 'none' && c.clipPath === 'none'
        && c.mixBlendMode === 'normal' && c.maskImage === 'none' && c.backdropFilter === 'none';
    }
    plain = plain && !all.some(e => e !== img && !e.contains(img) && over(e.getBoundingClientRect(), r));
    return {img, src: img.currentSrc, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height, plain};
  });
  await Promise.all(out.filter(i => !i.plain).map(i => i.img.decode().catch(() => null)));
  for (const i of out) if (i.plain) i.img.style.setProperty('visibility', 'hidden', 'important');
  return out.map(({img, ...rest}) => rest);
})()"""
UNHIDE_JS = ("(async () => { for (const i of document.images) i.style.removeProperty('visibility');"
             " await Promise.all(Array.from(document.images, i => i.decode().catch(() => null))); return true; })()")
HEIGHT_JS = ("Math.ceil(Math.max(document.documentElement.scrollHeight,"
             " document.body ? document.body.scrollHeight : 0))")
# What the page shows, node by node in document order (head and styles included): each
# element's tag, attributes and box, each text's characters, box and shadow. Two pages whose
# lists differ only in some texts look the same outside those texts' rows.
LAYOUT_LIST_JS = r"""(() => {
  const out = [];
  const walk = document.createTreeWalker(document.documentElement, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let n = walk.currentNode; n; n = walk.nextNode()) {
    if (n.nodeType === Node.TEXT_NODE) {
      const range = document.createRange();
      range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      const shadow = n.parentElement ? getComputedStyle(n.parentElement).textShadow : 'none';
      out.push(['#text', n.data, shadow, r.left, r.top + scrollY, r.width, r.height]);
    } else if (!n.hasAttribute('data-imgpipe-base')) {  // Tab.open's own <base>: not the page's
      const r = n.getBoundingClientRect();
      out.push([n.tagName, Array.from(n.attributes, a => a.name + '=' + a.value).join('\n'),
                r.left, r.top + scrollY, r.width, r.height]);
    }
  }
  return out;
})()"""
# What a capture needs to know, in one round trip: the fonts ready, the plain images (hidden),
# then the layout and the height of the page as it will be captured. Sent as one JSON string: Playwright checks
# a returned array against its protocol schema value by value in Python, ~0.2 CPU-s for a
# page's thousands of values; a string is one value.
CAPTURE_FACTS_JS = ("(async () => { await document.fonts.ready; const images = await " + PLAIN_IMAGES_JS + ";"
                    " const layout = " + LAYOUT_LIST_JS + ";"
                    " return JSON.stringify({images, layout, height: " + HEIGHT_JS + "}); })()")
# rows kept around a changed text for what its glyphs draw outside their line box
TEXT_INK_PX = 16


def _standard_install_paths() -> list[Path]:
    """Where Chrome, Edge and Chromium install themselves on Windows and macOS."""
    paths: list[Path] = []
    if sys.platform == "win32":
        roots = [os.environ.get(v) for v in ("ProgramFiles", "ProgramFiles(x86)", "LOCALAPPDATA")]
        for root in filter(None, roots):
            base = Path(root)
            paths += [
                base / "Google" / "Chrome" / "Application" / "chrome.exe",
                base / "Microsoft" / "Edge" / "Application" / "msedge.exe",
                base / "Chromium" / "Application" / "chrome.exe",
            ]
    elif sys.platform == "darwin":
        for apps in (Path("/Applications"), Path.home() / "Applications"):
            paths += [
                apps / "Google Chrome.app" / "Contents" / "MacOS" / "Google Chrome",
                apps / "Chromium.app" / "Contents" / "MacOS" / "Chromium",
                apps / "Microsoft Edge.app" / "Contents" / "MacOS" / "Microsoft Edge",
            ]
    return paths


def find_browser() -> Path | None:
    """The installed Chromium-family browser, or None.

    Order: $IMGPIPE_BROWSER (a path or a command name; "none" turns slices
    off), then chromium-headless-shell, chromium, chromium-browser,
    google-chrome, google-chrome-stable, msedge on PATH, then the standard
    Windows/macOS install folders.
    """
    wanted = os.environ.get(BROWSER_ENV, "").strip()
    if wanted.lower() == "none":  # explicitly off: HTML pages only, no slices
        return None
    if wanted:
        path = Path(wanted).expanduser()
        if path.is_file():
            return path
        found = shutil.which(wanted)
        if found:
            return Path(found)
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    for path in _standard_install_paths():
        if path.is_file():
            return path
    return None


def browser_install_hint() -> str:
    """How to get a browser for the slices, for the platform we run on."""
    if sys.platform.startswith("linux"):
        return t("detail.browser_missing.fix_linux", env=BROWSER_ENV)
    return t("detail.browser_missing.fix_other", env=BROWSER_ENV)


def _failed(detail, file=None) -> ImgpipeError:
    """The browser could not start or render: one line of the library's message, and the fix."""
    first = str(detail).strip().splitlines()[0] if str(detail).strip() else type(detail).__name__
    return ImgpipeError(t("detail.browser_failed", detail=first), file=file, fix=browser_install_hint())


_local = threading.local()


def _driver_acquire():
    """This thread's Playwright driver, started on first use and shared by its browsers.

    Playwright's sync API allows one driver per thread; counting its users lets a
    second browser (a test's, a one-off page's) run beside a kept one.
    """
    from playwright.sync_api import sync_playwright

    if getattr(_local, "users", 0) == 0:
        # the driver is started with this process's environment: these variables for it alone
        before = {name: os.environ.get(name) for name in ("NODE_OPTIONS", "NODE_COMPILE_CACHE")}
        os.environ["NODE_OPTIONS"] = " ".join(filter(None, (before["NODE_OPTIONS"], DRIVER_NODE_OPTIONS)))
        cache = before["NODE_COMPILE_CACHE"] or _compile_cache()
        if cache:
            os.environ["NODE_COMPILE_CACHE"] = cache
        try:
            _local.driver = sync_playwright().start()
        finally:
            for name, value in before.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    _local.users = getattr(_local, "users", 0) + 1
    return _local.driver


def _compile_cache() -> str | None:
    """The folder for the node driver's compile cache (DRIVER_COMPILE_CACHE in the user's cache
    folder), or None when it cannot be made: the driver then compiles its bundle as before."""
    try:
        from platformdirs import user_cache_dir

        folder = Path(user_cache_dir("imgpipe", appauthor=False)) / DRIVER_COMPILE_CACHE
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    except Exception:  # noqa: BLE001 - a cache only: a read-only home or no platformdirs costs ~0.1 s
        return None


def _driver_release() -> None:
    _local.users -= 1
    if _local.users == 0:
        driver, _local.driver = _local.driver, None
        driver.stop()


class Browser:
    """One headless browser, kept for many pages: each page is a tab (`tab()`).

    A context manager; the browser, its temporary profile and Playwright's
    driver process end on exit. Not thread-safe: use it from the thread
    that made it (Playwright's sync API is bound to that thread).
    """

    def __init__(self, program: Path, *, timeout: float = LOAD_TIMEOUT_S):
        self.program = Path(program)
        self.timeout = timeout
        self._pw = None
        self._browser = None
        self._context = None

    def __enter__(self) -> "Browser":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        try:
            from playwright.sync_api import Error
        except ImportError as exc:  # the dependency is declared; a broken install says so
            raise _failed(exc, self.program) from None
        try:
            self._pw = _driver_acquire()
            self._browser = self._pw.chromium.launch(
                executable_path=str(self.program), headless=True, args=list(LAUNCH_ARGS),
                timeout=START_TIMEOUT_S * 1000,
            )
            self._context = self._browser.new_context(
                viewport={"width": 800, "height": 600}, device_scale_factor=1, color_scheme="light",
                reduced_motion="reduce", service_workers="block",
            )
            self._context.set_default_timeout(self.timeout * 1000)
        except Error as exc:
            self.close()
            raise _failed(exc.message, self.program) from None
        except BaseException:
            self.close()
            raise

    @property
    def alive(self) -> bool:
        """Still running and connected (a crashed or killed browser is not)."""
        return self._browser is not None and self._browser.is_connected()

    @property
    def version(self) -> str:
        return self._browser.version if self._browser is not None else ""

    def tab(self) -> "Tab":
        """A new tab (its own page, same browser); close it when done."""
        if self._context is None:
            raise _failed("browser is not running", self.program)
        return Tab(self._context.new_page(), self.timeout)

    def close(self) -> None:
        for part in (self._context, self._browser):
            if part is None:
                continue
            try:
                part.close()
            except Exception:  # noqa: BLE001 - a dead browser cannot be closed twice; the driver still stops
                pass
        if self._pw is not None:
            _driver_release()
        self._context = self._browser = self._pw = None


class Tab:
    """One page in a running Browser: open a local HTML file, run script, take the full page."""

    def __init__(self, page, timeout: float = LOAD_TIMEOUT_S):
        self.page = page  # playwright.sync_api.Page, for checks beyond these methods
        self.timeout = timeout
        self.width = 0
        self.decoded: dict = {}  # images pasted into this tab's pages, by content and box
        self._cdp = None  # a DevTools session of the page, for the captures
        self._file_page = False  # a local page was opened: the next ones may replace its document
        self._in_place = 0  # pages opened in place since the last navigation
        self._viewport = 0  # the width the viewport was last set to

    def open(self, html_path: Path, width: int, *, decode_images: bool = True, ready: bool = True) -> None:
        """Load a local HTML file at `width` CSS px (device scale 1), fonts and images ready.

        decode_images=False: only loaded (sizes known, layout final), not decoded,
        for a `screenshot(paste_images=True)` that never shows them. ready=False:
        the fonts are not awaited here either, for a `capture(paste_images=True)`
        next, which awaits them in its own round trip (one message less a page).
        """
        from playwright.sync_api import Error

        self.width = int(width)
        html_path = Path(html_path).resolve()
        try:
            if self._viewport != self.width:  # a message (and a resize) only when the width changes
                self.page.set_viewport_size({"width": self.width, "height": VIEWPORT_HEIGHT})
                self._viewport = self.width
            in_place = self._file_page and self._in_place < IN_PLACE_PAGES
            content = _in_place_content(html_path) if in_place else None
            if content is not None:
                self.page.set_content(content, wait_until="load", timeout=self.timeout * 1000)
                self._in_place += 1
            else:
                # as_uri percent-encodes Chinese and space characters correctly
                self.page.goto(html_path.as_uri(), wait_until="load", timeout=self.timeout * 1000)
                self._file_page, self._in_place = True, 0
            if decode_images or ready:
                self.page.evaluate(READY_JS if decode_images else FONTS_JS)
        except Error as exc:
            raise _failed(exc.message, html_path) from None

    def evaluate(self, expression: str):
        """Run JavaScript in the page; returns its (awaited) value as JSON data."""
        from playwright.sync_api import Error

        try:
            return self.page.evaluate(expression)
        except Error as exc:
            raise _failed(f"script error: {exc.message}") from None

    def page_height(self) -> int:
        return int(self.evaluate(HEIGHT_JS))

    def screenshot(self, *, paste_images: bool = False):
        """The whole page as a PIL "RGB" image, `width` px wide, full height, scale 1.

        paste_images: the browser lays out and draws the page with its plain
        images hidden, and their pixels are pasted into their boxes here. Same
        picture (see test_detail_page), a fraction of the cost: the browser
        neither decodes the photos nor encodes and sends a photo-sized PNG.
        Where anything else was drawn inside an image's box (a custom
        template's overlay), the browser draws the images itself after all.
        """
        return self.capture(paste_images=paste_images).picture(self.decoded)

    def capture(self, *, paste_images: bool = False, like: "Capture | None" = None) -> "Capture":
        """`screenshot` in two halves: the browser's part now, the pasting in `Capture.picture`.

        The pasting needs no browser, so another thread can do it while this
        tab renders the next page. like: the capture of a page with the same
        width and the same image files (another platform's page of the
        article); when this page differs from it only in some texts (the
        platform's name in the footer), only the rows of those texts are
        captured and the rest is taken from it.
        """
        if not paste_images:
            return Capture(self._capture())
        facts = json.loads(self.evaluate(CAPTURE_FACTS_JS))
        layout, height = facts["layout"], max(1, int(facts["height"]))
        full = self._capture_like(like, layout, height) if like is not None else None
        if full is None:
            full = self._capture(height=height)
        pastes = _paste_plan(full, [i for i in facts["images"] if i["plain"]])
        if pastes is not None:
            return Capture(full, pastes, layout)
        self.evaluate(UNHIDE_JS)
        return Capture(self._capture())

    def _capture_like(self, like: "Capture", layout: list, height: int):
        """This page from `like`'s pixels and a capture of the rows where its texts differ, or None."""
        if like.layout is None or like.image.width != self.width or like.image.height != height:
            return None
        rows = _changed_rows(like.layout, layout, like.image.height)
        if rows is None:
            return None
        full = like.image.copy()
        if rows[1] > rows[0]:
            full.paste(self._capture(*rows, height=height), (0, rows[0]))
        return full

    def _capture(self, first: int = 0, end: int | None = None, *, height: int | None = None):
        """Rows first..end (default: all) of the page, PIL RGB. height: the page's, when known."""
        from PIL import Image

        height = max(1, self.page_height()) if height is None else height
        end = height if end is None else min(end, height)
        wanted = end - first
        # one capture of the whole page (no viewport change, no relayout) while the
        # compositor can take it at once; taller pages in bands of the same capture
        band = wanted if wanted <= SINGLE_CAPTURE_MAX_PX else CAPTURE_BAND_PX
        full = Image.new("RGB", (self.width, wanted)) if band < wanted else None
        for top in range(first, end, band):
            rows = min(band, end - top)
            part = Image.open(io.BytesIO(self._png(top, rows, height)))  # bytes in memory: nothing to close
            part = part.convert("RGB") if part.mode != "RGB" else part  # Chromium's fast PNG is RGB: no copy
            if part.size != (self.width, rows):
                raise _failed(f"captured {part.size[0]}x{part.size[1]}, expected {self.width}x{rows}")
            if rows == wanted:
                part.load()
                return part
            full.paste(part, (0, top - first))
        return full

    def _png(self, top: int, rows: int, height: int) -> bytes:
        """Rows top..top+rows of the page as PNG bytes, in one DevTools message.

        What Playwright's full-page `page.screenshot(scale="css")` asks Chromium for, without
        its four other round trips (viewport and page size, caret style, cleanup), and with
        `optimizeForSpeed`: Chromium's fast PNG encoder (same pixels, bigger file), about
        half the browser's CPU of a capture.
        """
        from playwright.sync_api import Error

        try:
            if self._cdp is None:
                self._cdp = self.page.context.new_cdp_session(self.page)
            shot = self._cdp.send("Page.captureScreenshot", {
                "format": "png", "optimizeForSpeed": True,
                "clip": {"x": 0, "y": top, "width": self.width, "height": rows, "scale": 1},
                # as Playwright: the whole page when it is taller than the viewport
                "captureBeyondViewport": height > VIEWPORT_HEIGHT,
            })
        except Error as exc:
            raise _failed(exc.message) from None
        return base64.b64decode(shot["data"])

    def purge(self) -> None:
        """Have the renderer let go of what this tab's pages showed (its caches, the images of the
        documents replaced in place), as under critical memory pressure; the next page is laid
        out and drawn as before."""
        if self._cdp is None:
            return
        try:
            self._cdp.send("Memory.simulatePressureNotification", {"level": "critical"})
        except Exception:  # noqa: BLE001 - memory only: a page that needs the browser reports its state
            pass

    def close(self) -> None:
        try:
            self.page.close()
        except Exception:  # noqa: BLE001 - the browser may be gone already
            pass


_HEAD = re.compile(r"<head(?:\s[^>]*)?>", re.IGNORECASE)
_NOT_IN_PLACE = re.compile(r"<script|<base[\s>/]", re.IGNORECASE)


def _in_place_content(html_path: Path) -> str | None:
    """The page's HTML to replace the tab's document with (`page.set_content`), or None to navigate.

    A navigation from one local page to another cost the browser and driver ~135 ms of CPU
    on the demo's pages, writing the new HTML into the open document ~40-60 ms (measured
    with the fonts ready, 2026-12-07). Its relative links (img/...) resolve
    against a <base> of the page's folder, put first in <head> (it draws nothing; the layout
    list leaves it out). Every IN_PLACE_PAGES + 1st page is navigated to all the same, for
    the renderer's memory. Pages with scripts are navigated to, as are pages with a <base> of
    their own: a new document is what they were written for.
    """
    try:
        text = html_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    head = _HEAD.search(text)
    if head is None or _NOT_IN_PLACE.search(text):
        return None
    base = f'<base data-imgpipe-base href="{html.escape(html_path.parent.as_uri() + "/", quote=True)}">'
    return text[:head.end()] + base + text[head.end():]


_SRGB_FILES: dict[bytes, bool] = {}


def _srgb_file(digest: bytes, data: bytes) -> bool:
    """_is_srgb of an image file's profile, kept by the file's sha256 (`digest`): the pages of
    an article show the same files, and each header is parsed once."""
    known = _SRGB_FILES.get(digest)
    if known is None:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:  # the header only: no pixels decoded here
            known = _is_srgb(img.info.get("icc_profile"))
        if len(_SRGB_FILES) >= 1024:
            _SRGB_FILES.clear()
        _SRGB_FILES[digest] = known
    return known


@functools.lru_cache(maxsize=64)
def _is_srgb(icc: bytes | None) -> bool:
    """True for no ICC profile (browsers take sRGB) or an sRGB one (kept by the profile's bytes)."""
    if not icc:
        return True
    from PIL import ImageCms

    try:
        return "srgb" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).lower()
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return False


class Capture:
    """A captured page: the browser's pixels and the plain images still to paste into them.

    `picture()` pastes them into a copy (once) and returns the page; it needs
    no browser, so it may run on another thread than the tab's while the tab
    reads `image` for the next page (`Tab.capture(like=)`).
    """

    def __init__(self, image, pastes: list[dict] | None = None, layout: list | None = None):
        self.image = image  # PIL RGB, the whole page as the browser drew it; never changed
        self.layout = layout  # LAYOUT_JS's list, when the page may serve as a base for another
        self._pastes = pastes or []
        self._picture = None

    def picture(self, decoded: dict | None = None):
        """The finished page (PIL RGB). decoded: images already decoded and fitted, reused by content."""
        if self._picture is None:
            self._picture = self.image
            if self._pastes:
                self._picture = self.image.copy()
                _paste(self._picture, self._pastes, decoded)
        return self._picture


def _changed_rows(old: list, new: list, height: int) -> tuple[int, int] | None:
    """The rows (first, end) outside which two pages' LAYOUT_JS lists promise equal pixels, or None.

    Equal when every element (tag, attributes, box) is the same and only
    texts differ, none of them with a shadow; the rows are those of the
    differing texts' boxes (old and new), TEXT_INK_PX more each way.
    """
    if len(old) != len(new):
        return None
    first, end = height, 0
    for a, b in zip(old, new):
        if a == b:
            continue
        if a[0] != "#text" or b[0] != "#text" or a[2] != "none" or b[2] != "none":
            return None
        for box in (a, b):
            first = min(first, int(box[4]) - TEXT_INK_PX)
            end = max(end, int(box[4] + box[6]) + 1 + TEXT_INK_PX)
    first, end = max(0, first), min(height, end)
    return (first, end) if end > first else (0, 0)


def _paste_plan(page, images: list[dict]) -> list[dict] | None:
    """What to paste where on `page` (PIL RGB, as captured): one entry per plain image.

    Boxes are snapped to whole pixels as the browser snaps them. None when a
    box is not one flat colour (something else is drawn there) or an image
    needs colour management the browser would do.
    """
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    from PIL import Image

    plan = []
    for info in images:
        x0, y0 = round(info["x"]), round(info["y"])
        x1, y1 = round(info["x"] + info["w"]), round(info["y"] + info["h"])
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(page.width, x1), min(page.height, y1)
        if x1 <= x0 or y1 <= y0:
            continue
        # the box's pixels alone, not the whole page's; one memcmp, not a bool array
        box = page.crop((x0, y0, x1, y1)).tobytes()
        if box != box[:3] * ((x1 - x0) * (y1 - y0)):
            return None
        data = Path(url2pathname(urlparse(info["src"]).path)).read_bytes()
        digest = hashlib.sha256(data).digest()
        if not _srgb_file(digest, data):
            return None  # a wide-gamut image: the browser converts it, so let it
        ground = tuple(box[:3])
        plan.append({"data": data, "box": (x0, y0, x1, y1), "ground": ground,
                     "shown": (round(info["x"]), round(info["y"]),
                               round(info["x"] + info["w"]), round(info["y"] + info["h"])),
                     "key": (digest, x0, y0, x1, y1, ground)})
    return plan


def _paste(page, plan: list[dict], decoded: dict | None = None) -> None:
    """Paste each planned image's file into its box on `page` (PIL RGB, changed in place).

    decoded: images already decoded and fitted, by content and box (another
    platform's page shows the same image there).
    """
    from PIL import Image, ImageOps

    for item in plan:
        x0, y0, x1, y1 = item["box"]
        img = decoded.get(item["key"]) if decoded is not None else None
        if img is None:
            with Image.open(io.BytesIO(item["data"])) as img:
                # browsers honour EXIF orientation too (in place: no copy of an upright image)
                ImageOps.exif_transpose(img, in_place=True)
                if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                    ground = Image.new("RGB", img.size, item["ground"])
                    ground.paste(img.convert("RGBA"), mask=img.convert("RGBA"))
                    img = ground
                elif img.mode != "RGB":
                    img = img.convert("RGB")
                # what the box shows of it (the box is clipped to the page); resize and crop
                # make new images, so the file may close after
                left, top, right, bottom = item["shown"]
                if img.size != (right - left, bottom - top):
                    img = img.resize((right - left, bottom - top), Image.Resampling.LANCZOS)
                img = img.crop((x0 - left, y0 - top, x1 - left, y1 - top))
            if decoded is not None:
                decoded[item["key"]] = img
        page.paste(img, (x0, y0))


class BrowserSession(Tab):
    """A browser with one tab: `with BrowserSession(program) as s: s.open(...); s.screenshot()`."""

    def __init__(self, program: Path, *, timeout: float = LOAD_TIMEOUT_S):
        self.browser = Browser(program, timeout=timeout)
        self.page = None
        self.timeout = timeout
        self.width = 0
        self.decoded: dict = {}
        self._cdp = None
        self._file_page = False
        self._in_place = 0
        self._viewport = 0

    def __enter__(self) -> "BrowserSession":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def start(self) -> None:
        self.browser.start()
        self.page = self.browser.tab().page

    def close(self) -> None:
        self.browser.close()
        self.page = self._cdp = None
        self._file_page = False
        self._viewport = 0
