"""Detail pages (R5) for every article and platform, re-rendered only on change.

The page is built from the finished images of the same run: the first main
image as header, the large labelled image, one photo per selling point with
its caption, and the detail images; see detail_page.py for HTML and slicing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imgpipe.browser import BrowserSession, find_browser
from imgpipe.detail_page import DetailImages, detail_fingerprint, render_detail_page
from imgpipe.render import error_dict, worker_died


@dataclass
class PageTask:
    platform: str
    article: str
    images: DetailImages
    fingerprint: str
    out_dir: Path


def page_images(ws, product, platform: str) -> DetailImages:
    """The run's outputs of `product` on `platform`, arranged for the page.

    Selling points follow the sheet's order; each shows its source photo at
    page width (the detail image) with the caption as page text.
    """
    root = ws.root
    rows = [r for r in ws.catalog.outputs(product.article, platform) if (root / r["path"]).is_file()]

    def of(role):
        return [r for r in rows if r["role"] == role]

    detail_by_photo = {r["photo_id"]: root / r["path"] for r in of("detail")}
    point_photo = {int(Path(r["path"]).stem.rsplit("-sp", 1)[1]): r["photo_id"] for r in of("selling_point")}
    mains, larges = of("main"), of("large")
    return DetailImages(
        header=root / mains[0]["path"] if mains else None,
        large=root / larges[0]["path"] if larges else None,
        selling_points=[(detail_by_photo.get(point_photo.get(i + 1)), caption)
                        for i, caption in enumerate(product.selling_points)],
        details=[root / r["path"] for r in of("detail")],
    )


def page_fingerprint(ws, product, profile, images: DetailImages, mode: str) -> str:
    """What a page depends on (data, images, template, profile, texts) and how it was made.

    mode: "slices" (rendered by a browser and cut) or "html" (no browser).
    """
    lang = ws.settings.listing_language
    return detail_fingerprint(product, profile.detail_page, images, lang=lang, shop_name=ws.settings.watermark.text,
                              template_dir=ws.root / "templates", platform_label=profile.label(lang),
                              font=ws.font_path()) + mode


def render_pages(ws, articles, products, profiles, executor, summary, progress=None) -> None:
    browser = find_browser()
    # pages made without a browser (HTML only) are redone once one is installed
    mode = "slices" if browser else "html"
    tasks = []
    for article in articles:
        product = products[article]
        for platform, profile in profiles.items():
            images = page_images(ws, product, platform)
            if not (images.header or images.details):
                continue
            out_dir = ws.root / "output" / platform / article / "page"
            fp = page_fingerprint(ws, product, profile, images, mode)
            row = ws.catalog.page(platform, article)
            if row and row["fingerprint"] == fp and (out_dir / "index.html").is_file():
                summary.pages_skipped += 1
                continue
            tasks.append(PageTask(platform, article, images, fp, out_dir))
    done = 0
    browser_note = None
    # one browser per worker for all its pages: starting Chromium costs about 0.5 s
    workers = max(1, min(getattr(executor, "jobs", 2), len(tasks)))
    batches = [tasks[i::workers] for i in range(workers)] if tasks else []
    if progress and tasks:  # the bar shows from the start: a first run's pages take half a minute
        progress("pages", 0, len(tasks))
    for batch in executor.map(render_page_batch, batches, ws.root, products, profiles,
                              ws.settings.listing_language, ws.settings.watermark.text, browser, ws.font_path(),
                              crashed=lambda tasks, _exc: [(task, None, worker_died(str(task.out_dir)))
                                                           for task in tasks]):
        for task, result, error in batch:
            done += 1
            if progress:
                progress("pages", done, len(tasks))
            if error:
                summary.failed.append(error)
                continue
            summary.warnings.extend(w.as_dict() for w in result.warnings)
            if result.skipped:
                browser_note = result.skipped
            rel_slices = [p.relative_to(ws.root).as_posix() for p in result.slices]
            ws.catalog.record_page(task.platform, task.article, task.fingerprint, rel_slices,
                                   result.html.relative_to(ws.root).as_posix())
            summary.pages_written.append(result.html.relative_to(ws.root).as_posix())
    if browser_note:
        summary.warnings.append({"file": None, "message": browser_note, "fix": None})


def render_page_batch(tasks: list[PageTask], root: Path, products, profiles, lang: str, shop_name: str,
                      browser: Path | None, font: Path | None = None) -> list:
    """Worker side: render `tasks` with one browser; [(task, result, error)], never raises."""
    out = []
    session = None
    try:
        for task in tasks:
            if browser is not None and session is None:
                try:
                    session = BrowserSession(browser).__enter__()
                except Exception:  # noqa: BLE001 - each page then starts its own and reports why
                    session = None
            item = render_page_task(task, root, products, profiles, lang, shop_name, browser, session, font)
            if item[2] is not None and session is not None:  # a crashed browser is not reused
                session.__exit__(None, None, None)
                session = None
            out.append(item)
    finally:
        if session is not None:
            session.__exit__(None, None, None)
    return out


def render_page_task(task: PageTask, root: Path, products, profiles, lang: str, shop_name: str,
                     browser: Path | None, session=None, font: Path | None = None):
    """HTML, browser render, slices for one page. Returns (task, result, error)."""
    profile = profiles[task.platform]
    template_dir = root / "templates"
    try:
        result = render_detail_page(
            products[task.article], profile.detail_page, task.images, task.out_dir, lang=lang, shop_name=shop_name,
            template_dir=template_dir if template_dir.is_dir() else None, platform_label=profile.label(lang),
            slices_dir=task.out_dir, quality=profile.jpeg_quality, min_quality=profile.min_jpeg_quality,
            browser=browser, use_browser=browser is not None, session=session, font=font,
        )
        return task, result, None
    except Exception as err:
        return task, None, error_dict(err, str(task.out_dir))
