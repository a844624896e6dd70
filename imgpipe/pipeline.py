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

import functools
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


from imgpipe import fonts, saliency
from imgpipe.errors import ConfigError, GlobalFailure, ImgpipeError, item_error
from imgpipe.executors import make_executor
from imgpipe.fsutil import remove_stale_temps, sha256_file
from imgpipe.analyse import analyse_photo, analysis_task
from imgpipe.context import ArticlePlan, Preview, Resources, build_context, plan_outputs, preview
from imgpipe.ingest import IngestResult, ingest
from imgpipe.messages import t
from imgpipe.pages import PageStage
from imgpipe.proxies import drop_proxy, proxy_path
from imgpipe.plan import OutputJob
from imgpipe.render import (
    PhotoResult, PhotoTask, RenderContext, render_photo, source_long_side, worker_died,
)
from imgpipe.sheet import normalise_article
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
    preview: list[Preview] = field(default_factory=list)  # with dry_run: per article, what would be done

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
            **({"preview": [p.as_dict() for p in self.preview]} if self.dry_run else {}),
        }



def analyse(ws: Workspace, articles: list[str], executor, summary: RunSummary,
            progress: Progress | None = None) -> None:
    """Make sure every photo of `articles` has an up-to-date analysis in the catalog."""
    cat = ws.catalog
    settings = ws.settings
    # references first: the photos' analyses depend on them
    for stage in ("reference", "photo"):
        tasks, keys, shas = [], {}, {}
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
                shas[photo.id] = photo.sha256
                tasks.append(task)
        done = 0
        for photo_id, analysis, error in executor.map(
                analyse_photo, tasks, ws.root, settings.max_megapixels,
                crashed=lambda task, _exc: (task.photo_id, None, worker_died(task.original))):
            done += 1
            drop_proxy(ws.root, shas[photo_id])  # analysed (or failed for good): ingest's proxy is spent
            if progress:
                progress("analyse", done, len(tasks))
            if error:
                target = summary.warnings if stage == "reference" else summary.failed
                target.append(error)
                if stage == "reference":  # the photos fall back to automatic correction
                    cat.set_analysis(photo_id, {"error": error}, keys[photo_id])
                continue
            cat.set_analysis(photo_id, analysis, keys[photo_id])


def _quantise(model: Path, summary: RunSummary, progress: Progress | None) -> None:
    """Make the cut-out model's int8 copy (saliency.prepare); a warning when it cannot be made."""
    if progress:
        progress("quantise", 0, 1)
    if saliency.prepare(model) is None:
        summary.warnings.append(ImgpipeError(t("model.quantise_failed"), fix=t("model.quantise_failed.fix")).as_dict())
    if progress:
        progress("quantise", 1, 1)


def _inspect_crashed(item, _exc) -> tuple[dict, bool]:
    error = worker_died(str(item[0]))
    return {"message": error["message"], "fix": error["fix"]}, False


def run(ws: Workspace, *, platforms: list[str] | None = None, jobs: int | None = None, dry_run: bool = False,
        articles: list[str] | None = None, progress: Progress | None = None, backup: bool = True,
        executor: str = "local", scheduler=None, sheet=None) -> RunSummary:
    """Ingest the inbox and bring every output up to date. Never raises for one bad photo.

    sheet: the product sheet already loaded (watch reads it once per batch); read here when None.

    executor: "local" (process pool, inline for jobs=1) or "dask" (tasks sent to the
    dask.distributed scheduler at `scheduler`, e.g. "tcp://HOST:8786"; the catalog stays here).
    """
    started = time.perf_counter()
    summary = RunSummary(dry_run=dry_run)
    profiles = ws.enabled(platforms)
    sheet = sheet or ws.sheet()  # the watcher passes the one it read for the batch
    # a sheet that gives no product at all is a failure, not a remark (exit 1 even with an empty inbox)
    (summary.warnings if sheet.products else summary.failed).extend(e.as_dict() for e in sheet.errors)
    if articles:
        articles = [normalise_article(a) for a in articles]
        unknown = [a for a in articles if a not in sheet.products]
        if unknown:
            raise ConfigError(t("run.unknown_article", articles=", ".join(unknown)),
                              fix=t("run.unknown_article.fix", known=", ".join(sorted(sheet.products)[:30])))
    font_path = ws.font_path()
    font_warning = fonts.font_warning(font_path)  # a configured system font: said on every run
    if font_warning:
        summary.warnings.append(font_warning.as_dict())
    cat = ws.catalog
    # made before anything is touched: a bad --scheduler is a usage error with nothing done
    pool = make_executor(jobs or ws.settings.jobs or os.cpu_count() or 1, executor, scheduler,
                         language=ws.settings.language)
    pages = None
    try:
        if not dry_run:
            remove_stale_temps(ws.root / "output")
            remove_stale_temps(ws.root / "originals")
            remove_stale_temps(proxy_path(ws.root, "").parent)
        summary.ingest = ingest(ws.root, sheet.products, cat, dry_run=dry_run,
                                max_megapixels=ws.settings.max_megapixels,
                                map_fn=functools.partial(pool.map, crashed=_inspect_crashed))
        for pending in summary.ingest.pending:  # A1023 and a1023 both held back: say that, not "not in the sheet"
            twin = sheet.case_twins.get(pending.article.casefold()) if pending.article else None
            if twin is not None:
                pending.reason, pending.fix = twin.message, twin.fix
        summary.warnings.extend(summary.ingest.warnings)
        todo = [a for a in (articles or cat.articles()) if a in sheet.products]
        if dry_run:  # what would be archived, analysed, written and removed; nothing is
            summary.preview = preview(ws, todo, sheet.products, profiles, font_path, summary.ingest.archived)
            return summary
        if ws.cutout_model and saliency.pending(ws.cutout_model):  # once, before any photo needs the model
            _quantise(ws.cutout_model, summary, progress)
        analyse(ws, todo, pool, summary, progress)
        for error in summary.failed:
            _stop_if_global(error)
        resources = Resources.of(ws, font_path)
        plans = [plan for plan in (plan_item(ws, sheet.products[a], resources, profiles, summary) for a in todo)
                 if plan is not None]
        for plan in plans:
            apply_plan(ws, plan, summary)
        tasks = photo_tasks(plans, profiles)
        ctx = RenderContext(ws.root, profiles, sheet.products, ws.settings.watermark, ws.settings.soldout,
                            font_path, ws.settings.listing_language, ws.settings.max_megapixels,
                            logo_sha=resources.logo_sha, font_sha=resources.font, cutout_model=ws.cutout_model,
                            cutout_side=ws.settings.cutout.model_size,
                            cutout_normalise=ws.settings.cutout.model_normalise, cutout_copy=resources.cutout_copy)
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
        for error in summary.failed:
            _stop_if_global(error)
    finally:
        if pages is not None:
            pages.close()
        pool.close()
    if backup and ws.settings.backup.target and ws.settings.backup.after_run:
        from imgpipe.backup import backup_workspace

        try:
            summary.backup = backup_workspace(cat.db, ws.root, ws.settings.backup)
        except ImgpipeError as err:  # the run's work is done and recorded: a failed backup is one failed item
            summary.failed.append(dict(err.as_dict(), stage="backup"))
    name_dropped(ws, summary)
    summary.seconds = time.perf_counter() - started
    return summary


def name_dropped(ws: Workspace, summary: RunSummary) -> None:
    """A warning or failure about an archived photo also names it as it was dropped.

    The record keeps `file` (originals/服装/G501/G501-02.jpg) and gains `source`
    ("01-条纹.jpg"): the name the designer gave it, which the run summary shows
    first (errors.shown_file).
    """
    records = [r for r in (*summary.warnings, *summary.failed) if isinstance(r, dict) and r.get("file")]
    if not records:
        return
    dropped = {p.original: p.source_name for p in ws.catalog.photos()}
    for record in records:
        file = Path(str(record["file"]))
        if file.is_absolute():
            try:
                file = file.relative_to(ws.root)
            except ValueError:
                continue
        source = dropped.get(file.as_posix())
        if source and source != file.name:
            record["source"] = source


def apply_plan(ws: Workspace, plan: ArticlePlan, summary: RunSummary) -> None:
    """Remove the outputs the plan no longer wants and count what is up to date; the
    writes happen in the render tasks (`photo_tasks`)."""
    summary.planned.extend(plan.jobs)
    summary.warnings.extend(plan.context.warnings)
    summary.skipped += plan.up_to_date
    writing = {j.path for j in plan.write}
    for job in plan.jobs:  # an output made before the catalog kept the planner's record gets it now
        row = ws.catalog.output(job.path) if job.path not in writing else None
        if row is not None and (json.loads(row["job"]) if row["job"] else None) != job.record():
            ws.catalog.set_output_job(job.path, job.record())
    for _platform, path in plan.remove:
        try:
            (ws.root / path).unlink(missing_ok=True)
        except OSError as exc:  # read-only folder: that output's failure; the run goes on
            summary.failed.append(item_error(exc, path, "remove").as_dict())
            continue
        ws.catalog.forget_output(path)
        summary.removed.append(path)


def plan_item(ws: Workspace, product, resources: Resources, profiles, summary: RunSummary) -> ArticlePlan | None:
    """The article's plan; any error in building it is that article's failure, and the run goes on."""
    try:
        return plan_outputs(ws, build_context(ws, product, resources), profiles)
    except Exception as exc:  # noqa: BLE001 - the item boundary: this article
        summary.failed.append(item_error(exc, f"output/*/{product.article}", "plan").as_dict())
        return None


def photo_tasks(plans: list[ArticlePlan], profiles) -> list[PhotoTask]:
    """One render task per photo with outputs to write: one decode makes all of them."""
    tasks: list[PhotoTask] = []
    for plan in plans:
        for photo in plan.context.photos:
            pending = [j for j in plan.write if j.photo_id == photo.id]
            if pending:
                # from all of the photo's outputs, not just the pending ones: the same
                # decode size on every run keeps outputs byte-identical after a crash
                every = [j for j in plan.jobs if j.photo_id == photo.id]
                tasks.append(PhotoTask(photo.id, plan.context.article, photo.original, photo.analysis, pending,
                                       source_long_side(photo.analysis, every, profiles)))
    return tasks


def _stop_if_global(error: dict | None) -> None:
    """A full disk met by a worker stops the run here, with that one message."""
    if error and error.get("global"):
        raise GlobalFailure(error["message"], file=error.get("file"), fix=error.get("fix"))


def record_photo_result(ws: Workspace, result: PhotoResult, summary: RunSummary) -> None:
    cat = ws.catalog
    _stop_if_global(result.error)
    for out in result.outputs:
        _stop_if_global(out.error)
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
            cat.record_output(path=job.path, platform=job.platform, article=job.article, role=job.role,
                              photo_id=job.photo_id, fingerprint=job.fingerprint, sha256=out.sha256,
                              width=out.width, height=out.height, nbytes=out.nbytes, quality=out.quality,
                              meta=out.meta, job=job.record())
            if out.recorded:  # validation reads this instead of decoding the file again
                cat.record_file_facts(job.path, *out.recorded)
            summary.written.append(job.path)


def verify_output(ws: Workspace, path: str) -> bool:
    """True when the file on disk is the one the catalog recorded."""
    row = ws.catalog.output(path)
    return bool(row) and (ws.root / path).is_file() and sha256_file(ws.root / path) == row["sha256"]
