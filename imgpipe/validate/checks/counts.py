"""counts (R4): main images within the profile's count, a white-background image, the large image,
>= 5 selling-point images."""

from __future__ import annotations

from imgpipe.profiles import Profile
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

MIN_SELLING_POINTS = 5          # R4


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_counts(v, a.article, a.profile, a.rows, a.waiting)


def _check_counts(v, article: str, profile: Profile, rows, waiting: bool) -> CheckResult:
    f = Finder("counts")
    if waiting:
        f.warning("waiting", article=article)
        return f.result
    n = {}
    for r in rows:
        n[r["role"]] = n.get(r["role"], 0) + 1
    main = profile.role("main")
    if main:
        if n.get("main", 0) < 1:
            f.error("main_none")
        elif main.count and n["main"] > main.count:
            f.error("main_too_many", count=n["main"], limit=main.count)
    if profile.role("white") and n.get("white", 0) < 1:
        f.error("white_none")
    if profile.role("white") and n.get("white", 0) > max(1, profile.role("white").count):
        f.error("white_too_many", count=n["white"])
    if profile.role("large") and n.get("large", 0) < 1:
        f.error("large_none")
    if profile.role("selling_point") and n.get("selling_point", 0) < MIN_SELLING_POINTS:
        f.error("selling_points_few", count=n.get("selling_point", 0), need=MIN_SELLING_POINTS)
    return f.result
