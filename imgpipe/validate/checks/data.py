"""data (R6, R7, R10): label fields, measurements, title/category/brand/price."""

from __future__ import annotations

import unicodedata

from imgpipe.profiles import Profile
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_data(v, a.article, a.profile, a.product)


def title_units(text: str) -> int:
    """Length as platforms count it: a CJK (wide/full-width) character 2 units, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _check_data(v, article: str, profile: Profile, product) -> CheckResult:
    f = Finder("data")
    if product is None:
        f.error("not_in_sheet", article=article)
        return f.result
    required = [("name", "名称"), ("colours", "颜色"), ("fabric", "面料"), ("sizes", "尺码"), ("note", "说明"),
                ("category", "类目"), ("brand", "品牌"), ("title", "标题")]
    for attr, column in required:
        if not getattr(product, attr):
            f.error(f"missing_{attr}", column=column)
    if not product.measurements():
        f.error("missing_measurements", column="长 / 宽 / 高")
    if product.price is None or product.price <= 0:
        f.error("missing_price", column="价格")
    if product.title:
        units = title_units(product.title)
        if units > profile.title_max_units:
            f.error("title_long", units=units, limit=profile.title_max_units,
                    chars=profile.title_max_units // 2, platform=profile.label(v.settings.language))
    return f.result
