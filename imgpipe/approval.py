"""The validation's gate in front of an approval (图片审核): failing images are not approved or exported unawares.

`decide` is review.decide with the gate: an approval is refused (HasErrors) while the article's
validation on that platform finds errors (✗), naming the platform, the failing checks and files,
unless forced with a reason (recorded). Kept apart from review.py, which the validator reads.
"""

from __future__ import annotations

from imgpipe.errors import ImgpipeError
from imgpipe.messages import get_language, t


class HasErrors(ImgpipeError):
    """Refused: the article's validation on the platform has errors (✗). `errors`: those findings."""

    def __init__(self, message, *, errors, **kw):
        super().__init__(message, **kw)
        self.errors = errors


def validation_errors(ws, article: str, platform: str) -> list:
    """The errors (✗) `imgpipe validate --article A --platform P` finds now (validate.Finding), nothing written.

    Validated when asked, not read from the last report: a report made before a fix (or before a
    change) would refuse a good article or pass a bad one.
    """
    from imgpipe.validate import validate_workspace

    result = validate_workspace(ws, platforms=[platform], articles=[article], write=False)
    return [f for report in result.reports for a in report.articles for check in a.checks.values()
            for f in check.findings if f.severity == "error"]


def errors_summary(errors, limit: int = 4) -> str:
    """The failing checks and their files, in a few words: "尺寸：G501-02.jpg、G501-03.jpg；数量：卖点图只有 4 张"."""
    by_check: dict[str, list[str]] = {}
    for f in errors:
        # a finding about a file is named by the file; one about the article by its message
        by_check.setdefault(f.check, [])
        what = f.file.rsplit("/", 1)[-1] if f.file else str(f.message)
        if what not in by_check[f.check]:
            by_check[f.check].append(what)
    parts = []
    for check, items in by_check.items():
        shown = t("review.list_sep").join(items[:limit])
        if len(items) > limit:
            shown += t("review.and_more", count=len(items) - limit)
        parts.append(t("review.check_items", check=t(f"validate.check.{check}"), items=shown))
    return t("review.group_sep").join(parts)


def refuse_errors(ws, article: str, platform: str, errors, key: str = "review.has_errors",
                  fix_key: str = "review.has_errors.fix") -> HasErrors:
    """The refusal naming the article, the platform as operations know it, the failing checks and files."""
    label = ws.profiles[platform].label(get_language())
    return HasErrors(t(key, article=article, platform=label, count=len(errors),
                       errors=errors_summary(errors)),
                     errors=errors,
                     fix=t(fix_key, article=article, platform=platform))


def decide(ws, article: str, platform: str, *, force: bool = False, **kw):
    """review.decide, an approval validated first (see the module); same arguments."""
    from imgpipe.review import decide as record

    def gate(ws, article: str, platform: str) -> list:
        errors = validation_errors(ws, article, platform)
        if errors and not force:
            raise refuse_errors(ws, article, platform, errors)
        return errors

    return record(ws, article, platform, force=force, gate=gate, **kw)
