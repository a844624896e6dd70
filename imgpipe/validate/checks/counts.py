"""counts (R4): each role's images within its numbers (roles.py: main within the profile's count, one
white-background image, the large image, >= 5 selling-point images)."""

from __future__ import annotations

from imgpipe.profiles import Profile
from imgpipe.roles import label_of, role_of
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

def check(v, a: ArticleInputs) -> CheckResult:
    return _check_counts(v, a.article, a.profile, a.rows, a.waiting, a.product.category if a.product else None)


def _check_counts(v, article: str, profile: Profile, rows, waiting: bool, category: str | None = None) -> CheckResult:
    f = Finder("counts")
    if waiting:
        f.warning("waiting", article=article)
        return f.result
    n = {}
    for r in rows:
        n[r["role"]] = n.get(r["role"], 0) + 1
    for name, spec in profile.active_roles(category):
        role = role_of(name, spec)
        have, limit = n.get(name, 0), spec.count or role.max_count
        if have < role.min_count and have == 0 and name != role.name:
            # a profile's own role (Tmall's 3:4 main images): named as the workbench names it, since the
            # registered role's message ("no main image") reads as false while the square ones exist
            f.error("like_none", label=label_of(name, spec, group=True))
        elif have < role.min_count:
            f.error(role.too_few, count=have, need=role.min_count, role=name)
        elif role.too_many and limit and have > limit:
            f.error(role.too_many, count=have, limit=limit, role=name)
    return f.result
