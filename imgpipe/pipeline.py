"""The one core every front end calls: `run` = ingest, analyse, render, pages, backup.

    inbox ──ingest──► originals + catalog
                          │ analyse (proxy: colour, product box, backdrop)
                          ▼
                     plan per article × platform  (roles, fingerprints)
                          │ render (one decode per photo, all its outputs)
                          ▼
                     output/<platform>/<article>/<role>/…  ──► detail pages ──► backup

Work whose fingerprint is unchanged is skipped, so a second run does
nothing and a killed run is finished by running again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from imgpipe import colour
from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.executors import make_executor
from imgpipe.fsutil import remove_stale_temps, sha256_file
from imgpipe.ingest import SIDECAR_NAME, IngestResult, category_folder, ingest
from imgpipe.messages import t
from imgpipe.pages import PageStage
from imgpipe.plan import OutputJob, fingerprint, plan_article
from imgpipe.render import (
    AnalyseTask, PhotoResult, PhotoTask, RenderContext, analyse_photo, is_close_up, render_photo,
    source_long_side, worker_died,
)
from imgpipe.sheet import normalise_article
from imgpipe.sidecar import Sidecar, load_sidecar
from imgpipe.workspace import Workspace

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class RunSummary:
    ingest: IngestResult = field(default_factory=IngestResult)
    written: list[str] = field(default_factory=list)
    skipped: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    pages_written: list[str] = field(default_factory=list)
    pages_skipped: int = 0
    backup: object | None = None
    planned: list[OutputJob] = field(default_factory=list)
    seconds: float = 0.0
    photo_seconds: list[float] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """False when any photo failed or was left in the inbox (exit status 1)."""
        return not self.failed and not self.ingest.pending

    def as_dict(self) -> dict:
        pend = self.ingest.pending
        return {
            "dry_run": self.dry_run,
            "archived": [{"article": a.article, "seq": a.seq, "source": str(a.source), "original": str(a.dest),
                          "kind": a.kind} for a in self.ingest.archived],
            "duplicates": [{"file": str(p.path), "reason": p.reason} for p in self.ingest.duplicates],
            "pending": [{"file": str(p.path), "article": p.article, "reason": p.reason, "fix": p.fix} for p in pend],
            "written": self.written,
            "skipped": self.skipped,
            "removed": self.removed,
            "failed": self.failed,
            "warnings": self.warnings,
            "pages_written": self.pages_written,
            "pages_skipped": self.pages_skipped,
            "backup": getattr(self.backup, "as_dict", lambda: self.backup)() if self.backup else None,
            "seconds": round(self.seconds, 2),
        }



def analysis_task(settings, photo, references: list) -> tuple[AnalyseTask, str]:
    """What analysing `photo` takes, and the key its stored analysis must carry to be current.

    references: the article's reference shots (already analysed).
    """
    plan = settings.colour.for_article(photo.article)
    reference = None
    if photo.kind == "photo" and plan.mode != "off":
        reference = _reference_for(photo, references, settings.colour.reference_window_minutes)
    key = fingerprint("analysis-2", photo.sha256, plan, reference)
    return AnalyseTask(photo.id, photo.original, photo.kind, reference, plan), key


def _reference_for(photo, references: list, window_minutes: float) -> dict | None:
    """The correction of the article's reference shot taken under the same light.

    Same article, and when both carry a capture time, within the window;
    the nearest in time wins.
    """
    best, best_gap = None, None
    for ref in references:
        if not ref.analysis or "correction" not in ref.analysis:  # no card/chart found: not a reference
            continue
        gap = _minutes_between(photo.captured_at, ref.captured_at)
        if gap is not None and gap > window_minutes:
            continue
        if best is None or (gap is not None and (best_gap is None or gap < best_gap)):
            best, best_gap = ref, gap
    return best.analysis["correction"] if best else None


def _minutes_between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    try:
        fa = dt.datetime.strptime(a[:19], "%Y:%m:%d %H:%M:%S")
        fb = dt.datetime.strptime(b[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return abs((fa - fb).total_seconds()) / 60


def analyse(ws: Workspace, articles: list[str], executor, summary: RunSummary,
            progress: Progress | None = None) -> None:
    """Make sure every photo of `articles` has an up-to-date analysis in the catalog."""
    cat = ws.catalog
    settings = ws.settings
    # references first: the photos' analyses depend on them
    for stage in ("reference", "photo"):
        tasks, keys = [], {}
        for article in articles:
            photos = cat.photos(article)
            refs = [p for p in photos if p.kind == "reference"]
            for photo in photos:
                if photo.kind != stage:
                    continue
                task, key = analysis_task(settings, photo, refs)
                if photo.analysis_key == key and photo.analysis:
                    continue
                keys[photo.id] = key
                tasks.append(task)
        done = 0
        for photo_id, analysis, error in executor.map(
                analyse_photo, tasks, ws.root, settings.max_megapixels,
                crashed=lambda task, _exc: (task.photo_id, None, worker_died(task.original))):
            done += 1
            if progress:
                progress("analyse", done, len(tasks))
            if error:
                target = summary.warnings if stage == "reference" else summary.failed
                target.append(error)
                if stage == "reference":  # the photos fall back to automatic correction
                    cat.set_analysis(photo_id, {"error": error}, keys[photo_id])
                continue
            cat.set_analysis(photo_id, analysis, keys[photo_id])


SESSION_OUTLIER_DEG = 2.0  # a photo's light further than this from its article's is not believed


def _inspect_crashed(path, _exc) -> tuple[dict, bool]:
    error = worker_died(str(path))
    return {"message": error["message"], "fix": error["fix"]}, False


def with_session_colour(photos: list) -> list:
    """The photos, where those that cannot see the light take the article's studio correction.

    The photos of one article are shot in one session under one light. A
    close-up of fabric cannot show that light: with no backdrop the general
    estimate (shades-of-grey) mistakes a colourful product for a cast, and
    a frame filled with cream canvas passes the fabric off as a white
    backdrop. So the median light of the article's backdrop shots is used
    for photos without a backdrop, and, when at least three backdrop shots
    agree, for any photo whose own estimate strays from them by more than
    SESSION_OUTLIER_DEG degrees. A backdrop shot that strays is taken for a
    close-up too (`close_up` in its analysis): what it took for backdrop
    was the product's own surface, so its "product box" is only a detail.
    """
    own = [p for p in photos if p.kind == "photo"]
    studio = [p.analysis["correction"] for p in own if p.analysis["correction"].get("method") == "backdrop"]
    if not studio:
        return photos
    gains = np.median([c["gains"] for c in studio], axis=0)
    cct, tint = colour.cct_and_tint(gains)
    session = colour.Correction(gains=tuple(float(g) for g in gains), method="session", cct_k=cct, tint=tint,
                                exposure=float(np.median([c["exposure"] for c in studio]))).to_dict()

    def strays(c) -> bool:
        # the lights are the inverse gains; compare their directions
        return (c.get("method") == "backdrop" and len(studio) >= 3
                and colour.angular_error(1 / np.asarray(c["gains"]), 1 / gains) > SESSION_OUTLIER_DEG)

    out = []
    for p in photos:
        c = p.analysis["correction"]
        if p.kind == "photo" and c.get("method") in ("shades_of_grey", "none"):
            p = dataclasses.replace(p, analysis=dict(p.analysis, correction=session))
        elif p.kind == "photo" and strays(c):
            p = dataclasses.replace(p, analysis=dict(p.analysis, correction=session, close_up=True))
        out.append(p)
    return out


def _main_scales(article: str, photos, profiles) -> dict:
    """One scale (output px per full-size px) for all main images of an article.

    The smallest scale that frames every main photo at the profile's fill, so
    the product keeps the same size from one main image to the next.
    """
    scales = {}
    for profile in profiles.values():
        spec = profile.role("main")
        if not spec:
            continue
        count = spec.count or len(photos)
        values = []
        for p in photos[:count]:
            if is_close_up(p.analysis):  # framed on their own (they fill the square)
                continue
            x0, y0, x1, y1 = p.analysis["box"]
            w, h = p.analysis["size"]
            box_long = max((x1 - x0) * w, (y1 - y0) * h, 1)
            values.append(spec.width * spec.fill / box_long)
        if values:
            scales[(article, spec.width, spec.fill)] = min(values)
    return scales


def run(ws: Workspace, *, platforms: list[str] | None = None, jobs: int | None = None, dry_run: bool = False,
        articles: list[str] | None = None, progress: Progress | None = None, backup: bool = True,
        executor: str = "local", scheduler=None) -> RunSummary:
    """Ingest the inbox and bring every output up to date. Never raises for one bad photo.

    executor: "local" (process pool, inline for jobs=1) or "dask" (tasks sent to the
    dask.distributed scheduler at `scheduler`, e.g. "tcp://HOST:8786"; the catalog stays here).
    """
    started = time.perf_counter()
    summary = RunSummary(dry_run=dry_run)
    profiles = ws.enabled(platforms)
    sheet = ws.sheet()
    summary.warnings.extend(e.as_dict() for e in sheet.errors)
    if articles:
        articles = [normalise_article(a) for a in articles]
        unknown = [a for a in articles if a not in sheet.products]
        if unknown:
            raise ConfigError(t("run.unknown_article", articles=", ".join(unknown)),
                              fix=t("run.unknown_article.fix", known=", ".join(sorted(sheet.products)[:30])))
    font_path = ws.font_path()
    cat = ws.catalog
    # made before anything is touched: a bad --scheduler is a usage error with nothing done
    pool = make_executor(jobs or ws.settings.jobs or os.cpu_count() or 1, executor, scheduler)
    pages = None
    try:
        if not dry_run:
            remove_stale_temps(ws.root / "output")
            remove_stale_temps(ws.root / "originals")
        summary.ingest = ingest(ws.root, sheet.products, cat, dry_run=dry_run,
                                max_megapixels=ws.settings.max_megapixels,
                                map_fn=functools.partial(pool.map, crashed=_inspect_crashed))
        if dry_run:
            return summary
        todo = [a for a in (articles or cat.articles()) if a in sheet.products]
        analyse(ws, todo, pool, summary, progress)
        tasks = plan_all(ws, todo, sheet.products, profiles, font_path, summary)
        ctx = RenderContext(ws.root, profiles, sheet.products, ws.settings.watermark, ws.settings.soldout,
                            font_path, ws.settings.language, ws.settings.max_megapixels)
        rendered = pool.map(render_photo, tasks, ctx,
                            crashed=lambda task, _exc: PhotoResult(task.photo_id, [], 0.0, worker_died(task.original)))
        # an article's pages start as soon as its last photo is recorded, beside the next articles' photos
        pages = PageStage(ws, sheet.products, profiles, summary, progress)
        if tasks:
            pages.warm_up()
        photos_left = Counter(task.article for task in tasks)
        for article in todo:
            if not photos_left[article]:
                pages.article_done(article)
        for done, (task, result) in enumerate(zip(tasks, rendered), 1):
            record_photo_result(ws, result, summary)
            if progress:
                progress("render", done, len(tasks))
            photos_left[task.article] -= 1
            if photos_left[task.article]:
                pages.collect()
            else:
                pages.article_done(task.article)
        pages.finish()
    finally:
        if pages is not None:
            pages.close()
        pool.close()
    if backup and ws.settings.backup.target and ws.settings.backup.after_run:
        from imgpipe.backup import backup_workspace

        summary.backup = backup_workspace(cat.db, ws.root, ws.settings.backup)
    summary.seconds = time.perf_counter() - started
    return summary


def plan_all(ws: Workspace, articles: list[str], products, profiles, font_path, summary: RunSummary) -> list[PhotoTask]:
    """Photo tasks for every output whose file is missing or whose fingerprint changed."""
    cat = ws.catalog
    settings = ws.settings
    shared_base = {
        "watermark": settings.fingerprint("watermark"),
        "font": str(font_path),
        "lang": settings.language,
    }
    tasks: dict[int, PhotoTask] = {}
    for article in articles:
        product = products[article]
        photos = [p for p in cat.photos(article) if p.analysis and "box" in p.analysis]
        sidecar = _sidecar(ws, product, summary)
        photos = with_session_colour(photos)
        shared = dict(shared_base,
                      analysis={p.id: fingerprint(p.analysis_key, p.analysis["correction"], is_close_up(p.analysis))
                                for p in photos},
                      backdrop={p.id: p.analysis.get("backdrop") for p in photos},
                      close_up={p.id for p in photos if is_close_up(p.analysis)},
                      main_scale=_main_scales(article, [p for p in photos if p.kind == "photo"], profiles))
        by_id = {p.id: p for p in photos}
        sold = cat.soldout(article)
        all_jobs: dict[int, list[OutputJob]] = {}
        for profile in profiles.values():
            jobs = plan_article(product, photos, profile, sidecar, sold, settings, shared)
            summary.planned.extend(jobs)
            wanted = {j.path for j in jobs}
            for row in cat.outputs(article, profile.name):
                if row["path"] not in wanted:
                    (ws.root / row["path"]).unlink(missing_ok=True)
                    cat.forget_output(row["path"])
                    summary.removed.append(row["path"])
            for job in jobs:
                all_jobs.setdefault(job.photo_id, []).append(job)
                row = cat.output(job.path)
                path = ws.root / job.path
                if row and row["fingerprint"] == job.fingerprint and path.is_file() and (
                        path.stat().st_size == row["bytes"]):
                    summary.skipped += 1
                    continue
                photo = by_id[job.photo_id]
                task = tasks.setdefault(photo.id, PhotoTask(photo.id, article, photo.original, photo.analysis, []))
                task.jobs.append(job)
        for photo_id, jobs in all_jobs.items():
            if photo_id in tasks:
                # from all of the photo's outputs, not just the pending ones: the same
                # decode size on every run keeps outputs byte-identical after a crash
                tasks[photo_id].decode_long_side = source_long_side(by_id[photo_id].analysis, jobs, profiles)
    return list(tasks.values())


def _sidecar(ws: Workspace, product, summary: RunSummary) -> Sidecar:
    path = ws.root / "originals" / category_folder(product.category) / product.article / SIDECAR_NAME
    try:
        return load_sidecar(path)
    except ImgpipeError as err:
        summary.warnings.append(err.as_dict())
        return Sidecar()


def record_photo_result(ws: Workspace, result: PhotoResult, summary: RunSummary) -> None:
    cat = ws.catalog
    if result.error:
        summary.failed.append(result.error)
        return
    summary.photo_seconds.append(result.seconds)
    with cat.transaction():
        for out in result.outputs:
            if out.error:
                summary.failed.append(out.error)
                continue
            job = out.job
            cat.record_output(path=job.path, platform=job.platform, article=job.path.split("/")[2], role=job.role,
                              photo_id=job.photo_id, fingerprint=job.fingerprint, sha256=out.sha256,
                              width=out.width, height=out.height, nbytes=out.nbytes, quality=out.quality,
                              meta=out.meta)
            summary.written.append(job.path)


def verify_output(ws: Workspace, path: str) -> bool:
    """True when the file on disk is the one the catalog recorded."""
    row = ws.catalog.output(path)
    return bool(row) and (ws.root / path).is_file() and sha256_file(ws.root / path) == row["sha256"]
