"""freshness: outputs missing, stale (fingerprint), older than their original; the detail page."""

from __future__ import annotations

from imgpipe.profiles import Profile
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


def check(v, a: ArticleInputs) -> CheckResult:
    if a.plan_error:  # e.g. no CJK font: the plan cannot be computed here
        f = Finder("freshness")
        f.warning("plan_unavailable", detail=a.plan_error)
        return f.result
    if a.plan is None:
        return CheckResult("freshness")
    return _check_freshness(v, a.article, a.profile, a.rows, a.page, a.slices, a.photos, a.handled)


def _check_freshness(v, article: str, profile: Profile, rows, page, slices, photos,
                     handled: set[str]) -> CheckResult:
    from imgpipe.analyse import analysis_task

    f = Finder("freshness")
    settings = v.settings
    refs = [p for p in photos if p.kind == "reference"]
    by_id = {p.id: p for p in photos}
    for p in photos:
        if not p.analysis or "box" not in p.analysis:
            if p.kind == "photo":
                f.error("not_analysed", p.original, name=p.original.rsplit("/", 1)[-1])
            continue
        if p.analysis_key != analysis_task(settings, p, refs)[1]:
            f.error("analysis_stale", p.original, name=p.original.rsplit("/", 1)[-1])
    jobs, _ = v.plan(article, profile.name)
    by_path = {r["path"]: r for r in rows}
    wanted = set()
    for job in jobs:
        wanted.add(job.path)
        row = by_path.get(job.path)
        facts = v.files.facts(job.path)
        if row is None:
            f.error("not_made", job.path, name=job.path.rsplit("/", 1)[-1])
            continue
        if not facts.exists:
            f.error("file_missing", job.path, name=job.path.rsplit("/", 1)[-1])
            continue
        if row["fingerprint"] != job.fingerprint and job.path not in handled:
            f.error("stale", job.path, name=job.path.rsplit("/", 1)[-1])
            continue
        photo = by_id.get(row["photo_id"])
        if photo is not None:
            orig = v.files.path(photo.original)
            if orig.is_file() and orig.stat().st_mtime > facts.mtime + 1:
                f.error("older_than_original", job.path, name=job.path.rsplit("/", 1)[-1],
                        original=orig.name)
                continue
        if row["sha256"] and (facts.nbytes != row["bytes"] or v.files.sha(job.path) != row["sha256"]):
            f.warning("changed_by_hand", job.path, name=job.path.rsplit("/", 1)[-1])
    for path in by_path:
        if path not in wanted:
            f.warning("left_over", path, name=path.rsplit("/", 1)[-1])
    # a missing image makes the page hash differ too; the next run settles both, so say it once
    if jobs and not any(x.code in ("not_made", "file_missing") for x in f.result.findings):
        _page_freshness(v, f, article, profile, page, slices)
    return f.result


def _page_freshness(v, f: Finder, article: str, profile: Profile, page, slices) -> None:
    from imgpipe.pages import page_fingerprint, page_images

    if page is None or not slices:
        f.error("page_missing", None, article=article)
        return
    for s in slices:
        if not v.files.path(s).is_file():
            f.error("file_missing", s, name=s.rsplit("/", 1)[-1])
            return
    product = v.products[article]
    fp = page_fingerprint(v.ws, product, profile, page_images(v.ws, product, profile.name), "slices")
    if page["fingerprint"] != fp:
        f.error("page_stale", None, article=article)
