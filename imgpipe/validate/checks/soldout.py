"""soldout (R11): every sold-out variant's overlay is on its images, names kept."""

from __future__ import annotations

import json

from imgpipe.profiles import Profile
from imgpipe.roles import ROLES
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


def check(v, a: ArticleInputs) -> CheckResult:
    """Also notes in `a.handled` the outputs whose staleness this check already explains."""
    if a.plan is None:
        return CheckResult("soldout")
    result, handled = _check_soldout(v, a.article, a.profile, a.rows)
    a.handled |= handled
    return result


def _check_soldout(v, article: str, profile: Profile, rows) -> tuple[CheckResult, set[str]]:
    """The check, and the output paths whose staleness it already explains."""
    f = Finder("soldout")
    handled: set[str] = set()
    jobs, unsold = v.plan(article, profile.name)
    by_path = {r["path"]: r for r in rows}
    if {j.path for j in jobs} != {j.path for j in unsold}:
        f.error("names_changed")
    product = v.products[article]
    sold = list(dict.fromkeys([*(tuple(s) for s in v.cat.soldout(article)), *product.sold_out]))
    for job in jobs:
        row = by_path.get(job.path)
        if row is None or not v.files.path(job.path).is_file():
            continue  # freshness: not made yet
        meta = json.loads(row["meta"] or "{}")
        want, have = list(job.params.get("overlays") or []), list(meta.get("overlays") or [])
        if want and sorted(want) != sorted(have):
            f.error("overlay_missing", job.path, text=" / ".join(want))
            handled.add(job.path)
        elif have and not want:
            f.error("overlay_left", job.path, text=" / ".join(have))
            handled.add(job.path)
        elif ROLES[job.kind].text == "label" and job.params.get("sold_sizes") and row["fingerprint"] != job.fingerprint:
            f.error("overlay_missing", job.path, text=", ".join(job.params["sold_sizes"]))
            handled.add(job.path)
    for colour, size in sold:
        if colour and colour not in product.colours:
            f.warning("soldout_unknown_colour", colour=colour, known=" / ".join(product.colours) or "-")
        if size and size not in product.sizes:
            f.warning("soldout_unknown_size", size=size, known=" / ".join(product.sizes) or "-")
    return f.result, handled
