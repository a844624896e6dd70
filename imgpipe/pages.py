"""Detail pages (R5) for every article and platform, re-rendered only on change.

The page is built from the finished images of the same run: the first main
image as header, the large labelled image, one photo per selling point with
its caption, and the detail images; see detail_page.py for HTML and slicing.

The pages of an article are made as soon as its photos are done, while the
photos of the next articles are still being made (`PageStage`): on a
thread of the coordinator, with one browser and tab kept for the whole run,
while a second thread cuts the page captured before into slices.
The coordinator alone writes the catalog.
"""

from __future__ import annotations

import json
import os
import queue
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

from imgpipe.browser import Browser, find_browser
from imgpipe.detail_page import DetailImages, cut_detail_page, detail_fingerprint, open_detail_page
from imgpipe.fsutil import sha256_file
from imgpipe.render import error_dict, worker_died
from imgpipe.roles import kinds
from imgpipe.validate.files import identity


@dataclass
class PageTask:
    platform: str
    article: str
    images: DetailImages
    fingerprint: str
    out_dir: Path


PAGE_SECTIONS = ("header", "large", "selling_points", "details")  # the roles' `section`s a page shows


def page_images(ws, product, platform: str) -> DetailImages:
    """The run's outputs of `product` on `platform`, arranged for the page.

    Selling points follow the sheet's order; each shows its source photo at
    page width (the detail image) with the caption as page text.
    """
    root, base = ws.root, os.fspath(ws.root)
    on_page = tuple(k for section in PAGE_SECTIONS for k in kinds(section))
    rows = [r for r in ws.catalog.outputs(product.article, platform, kind=on_page)
            if os.path.isfile(os.path.join(base, r.path))]

    def of(section):  # the registered role's own outputs (a profile's variant of it is not on the page)
        wanted = kinds(section)
        return [r for r in rows if r.kind in wanted and r.role == r.kind]

    detail_by_photo = {r.photo_id: root / r.path for r in of("details")}
    point_photo = {r.selling_point: r.photo_id for r in of("selling_points")}
    mains, larges = of("header"), of("large")
    return DetailImages(
        header=root / mains[0].path if mains else None,
        large=root / larges[0].path if larges else None,
        selling_points=[(detail_by_photo.get(point_photo.get(i + 1)), caption)
                        for i, caption in enumerate(product.selling_points)],
        details=[root / r.path for r in of("details")],
    )


def page_fingerprint(ws, product, profile, images: DetailImages, mode: str) -> str:
    """What a page depends on (data, images, template, profile, texts) and how it was made.

    mode: "slices" (rendered by a browser and cut) or "html" (no browser).
    """
    lang = ws.settings.listing_language
    return detail_fingerprint(product, profile.detail_page, images, lang=lang, shop_name=ws.settings.watermark.text,
                              template_dir=ws.root / "templates", platform_label=profile.label(lang),
                              font=ws.font_path(),
                              image_hash=recorded_hashes(ws, f"output/{profile.name}/{product.article}/")) + mode


def recorded_hashes(ws, prefix: str):
    """image_hash(path) -> sha256 or None for detail_fingerprint, from what was recorded of the
    files under `prefix` (workspace-relative): the run records each output's sha256 under the
    file's identity (size, mtime, ctime; validate.files.identity). A file with another identity
    (edited by hand, restored) is read and hashed; a missing one is None.
    """
    known = ws.catalog.recorded_sha256(prefix)
    base = os.path.join(os.fspath(ws.root), "")

    def image_hash(path: Path) -> str | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        name = os.fspath(path)  # str ops: pathlib's relative_to costs more than the stat
        found = known.get(name[len(base):].replace(os.sep, "/")) if name.startswith(base) else None
        return found[1] if found and found[0] == identity(st) else sha256_file(path)

    return image_hash


class PageStage:
    """The pages stage of one run, overlapped with the photo work.

        stage = PageStage(ws, products, profiles, summary, progress)
        stage.article_done("A1023")   # its photos are recorded: its pages may start
        stage.collect()               # record pages finished so far (non-blocking)
        stage.finish()                # wait for the rest; always close() after

    `article_done` looks up which pages changed (catalog, fingerprints) and
    hands them to the page thread; `collect`/`finish` record what it made
    and report ("pages", done, total) to `progress` for each page made and
    each article handed over (total counts the pages handed over so far).
    Catalog and progress stay on the calling thread.
    """

    def __init__(self, ws, products, profiles, summary, progress=None):
        self.ws, self.products, self.profiles = ws, products, profiles
        self.summary, self.progress = summary, progress
        self.browser = find_browser()
        # pages made without a browser (HTML only) are redone once one is installed
        self.mode = "slices" if self.browser else "html"
        self.total = self.done = 0
        self._todo: queue.Queue = queue.Queue()
        self._made: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._note = None

    def warm_up(self) -> None:
        """Start the page thread and its browser now, while photos are made (new photos mean new pages)."""
        if self._thread is None and self.browser is not None:
            self._start(warm=True)

    def _start(self, warm: bool = False) -> None:
        self._thread = threading.Thread(
            target=make_pages, name="imgpipe-pages", daemon=True,
            args=(self._todo, self._made, self._stop, self.ws.root, self.products, self.profiles,
                  self.ws.settings.listing_language, self.ws.settings.watermark.text, self.browser,
                  self.ws.font_path(), warm))
        self._thread.start()

    def article_done(self, article: str) -> None:
        tasks = self.tasks_for(article)
        if tasks:
            if self._thread is None:
                self._start()
            self.total += len(tasks)
            self._todo.put(tasks)
            if self.progress:  # the bar grows as articles become ready
                self.progress("pages", self.done, self.total)
        self.collect()

    def tasks_for(self, article: str) -> list[PageTask]:
        """The article's pages whose fingerprint changed or whose folder is gone."""
        product = self.products[article]
        tasks = []
        for platform, profile in self.profiles.items():
            images = page_images(self.ws, product, platform)
            if not (images.header or images.details):
                continue
            out_dir = self.ws.root / "output" / platform / article / "page"
            fp = page_fingerprint(self.ws, product, profile, images, self.mode)
            row = self.ws.catalog.page(platform, article)
            if row and row["fingerprint"] == fp and _complete(self.ws.root, out_dir, row):
                self.summary.pages_skipped += 1
                continue
            tasks.append(PageTask(platform, article, images, fp, out_dir))
        return tasks

    def collect(self, wait: bool = False) -> None:
        """Record the pages made so far; wait=True: until every page handed over is made."""
        while self.done < self.total:
            try:
                item = self._made.get(block=wait, timeout=1.0 if wait else None)
            except queue.Empty:
                if not wait:
                    return
                if self._thread is None or not self._thread.is_alive():  # it died: what it left undone failed
                    while not self._todo.empty():
                        for task in self._todo.get_nowait() or []:
                            self._record(task, None, worker_died(str(task.out_dir)))
                    self.total = self.done
                continue
            self._record(*item)

    def _record(self, task: PageTask, result, error) -> None:
        self.done += 1
        summary, root = self.summary, self.ws.root
        if error:
            summary.failed.append(error)
        else:
            summary.warnings.extend(w.as_dict() for w in result.warnings)
            if result.skipped:
                self._note = result.skipped
            rel_slices = [p.relative_to(root).as_posix() for p in result.slices]
            self.ws.catalog.record_page(task.platform, task.article, task.fingerprint, rel_slices,
                                        result.html.relative_to(root).as_posix())
            summary.pages_written.append(result.html.relative_to(root).as_posix())
        if self.progress:
            self.progress("pages", self.done, self.total)

    def finish(self) -> None:
        self.collect(wait=True)
        if self._note:
            self.summary.warnings.append({"file": None, "message": self._note, "fix": None})
            self._note = None

    def close(self) -> None:
        """End the page thread (after the page in hand when the run stops early)."""
        if self._thread is not None:
            if self.done < self.total:
                self._stop.set()
            self._todo.put(None)
            self._thread.join()
            self._thread = None


def _complete(root: Path, out_dir: Path, row) -> bool:
    """The page's files are all there and not empty (they are written without fsync)."""
    files = [out_dir / "index.html"] + [root / rel for rel in json.loads(row["slices"] or "[]")]
    return all(f.is_file() and f.stat().st_size > 0 for f in files)


def make_pages(todo: queue.Queue, made: queue.Queue, stop: threading.Event, root: Path, products, profiles,
               lang: str, shop_name: str, program: Path | None, font: Path | None = None,
               warm: bool = False) -> None:
    """Page thread: each item of `todo` is one article's pages, None ends; (task, result, error) to `made`.

    One browser and one tab (a new tab costs a renderer start and a
    navigation: ~120 ms of the browser's CPU an article) for everything,
    started with the first page and again after a page that broke them; the
    renderer is asked to let go of what the article's pages showed before the
    next article (`Tab.purge`). The pages of an article share renders, encodes
    and decoded images (see render_detail_page). This thread writes the HTML and has the
    browser capture it; a second one pastes the images and cuts and writes
    the slices meanwhile (`_cut_pages`), so the browser renders the next page
    while the last is cut. warm: start the browser before the first page
    arrives. Never raises.
    """
    # at most two captures wait (a page's pixels are ~17 MB): the browser stays a page or two ahead
    cuts: queue.Queue = queue.Queue(maxsize=2)
    cutter = threading.Thread(target=_cut_pages, args=(cuts, made, stop), name="imgpipe-page-cuts", daemon=True)
    cutter.start()
    browser = tab = None
    try:
        if warm and program is not None:
            try:
                browser = Browser(program).__enter__()
                tab = browser.tab()
            except Exception:  # noqa: BLE001 - tried again with the first page, which reports why
                browser = _close(browser)
        used = False  # the tab has shown a page since its last purge
        while (tasks := todo.get()) is not None:
            if used and tab is not None:
                tab.purge()
            used = False
            # what this article's pages share; the next shares nothing with it
            renders: dict = {}
            shared = ({}, {})  # slices encoded, images decoded: used by the cutting thread alone
            for task in tasks:
                if stop.is_set():
                    return
                if program is not None and tab is None:
                    try:
                        browser = browser or Browser(program).__enter__()
                        tab = browser.tab()
                    except Exception:  # noqa: BLE001 - the page then starts its own browser and reports why
                        browser = _close(browser)
                task, render, error = open_page_task(task, root, products, profiles, lang, shop_name, program, tab,
                                                     renders, font)
                used = True
                if error is not None and tab is not None and not (browser.alive and not tab.page.is_closed()):
                    browser = _close(browser)  # it died under the page: the next one starts a new browser
                    tab = None
                cuts.put((task, render, error, shared))
    finally:
        cuts.put(None)
        cutter.join()
        _close(browser)


def _cut_pages(cuts: queue.Queue, made: queue.Queue, stop: threading.Event) -> None:
    """Cutting thread of make_pages: finish each captured page; (task, result, error) to `made`, in order."""
    while (item := cuts.get()) is not None:
        task, render, error, (encoded, decoded) = item
        if stop.is_set():
            continue  # the run stops: nothing more is recorded
        result = None
        if error is None:
            try:
                result = cut_detail_page(render, encoded=encoded, decoded=decoded)
            except Exception as err:  # noqa: BLE001 - reported for this page; the others go on
                error = error_dict(err, str(task.out_dir))
        made.put((task, result, error))


def _close(browser: Browser | None) -> None:
    if browser is not None:
        browser.close()


def open_page_task(task: PageTask, root: Path, products, profiles, lang: str, shop_name: str,
                   browser: Path | None, session=None, renders: dict | None = None, font: Path | None = None):
    """HTML and browser capture of one page. Returns (task, PageRender, error)."""
    profile = profiles[task.platform]
    template_dir = root / "templates"
    try:
        render = open_detail_page(
            products[task.article], profile.detail_page, task.images, task.out_dir, lang=lang, shop_name=shop_name,
            template_dir=template_dir if template_dir.is_dir() else None, platform_label=profile.label(lang),
            slices_dir=task.out_dir, quality=profile.jpeg_quality, min_quality=profile.min_jpeg_quality,
            browser=browser, use_browser=browser is not None, session=session, renders=renders, font=font,
        )
        return task, render, None
    except Exception as err:
        return task, None, error_dict(err, str(task.out_dir))
