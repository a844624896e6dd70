"""Pre-upload validation (图片审核): one report per platform, product by product.

    imgpipe validate [--platform P] [--article A] [--json]

Every article is checked for every platform against its profile; each check
has an id, and every problem it finds a severity (error / warning), a message
and what to do about it:

  naming     file names `<article>-NN…`, no duplicate or missing numbers, length (R9)
  counts     main images within the profile's count, a white-background image,
             the large image, >= 5 selling-point images (R4)
  sizes      dimensions, detail width, slice height, byte caps, formats, sRGB,
             no CMYK, no alpha; an image that does not decode fails here
  marks      watermark on the roles that need it, none on the white image (pure
             white border), never over the product where the profile says so (R2)
  data       R7 label fields, R6 measurements, R10 title/category/brand/price
  soldout    every sold-out variant's overlay is on its images, names kept (R11)
  backup     every output and original verified on the backup target (R9)
  quality    originals: residual backdrop cast after correction (R8), blur,
             near-duplicate photos, product touching the frame edge
  freshness  outputs missing, stale (fingerprint), older than their original

Nothing here writes to outputs or the catalog: the plan comes from the
pipeline's pure planner on the same article context (context.py), so
validating is safe at any time. One decode per file per run; hashes are shared between
the backup and freshness checks.
"""

from __future__ import annotations

import datetime as dt
import time

# the package's names are imported when first used: the run imports validate.files to record
# what it writes, and must not pay for the checks, the report and their imports
_EXPORTS = {
    "title_units": "checks.data", "boxes_intersect": "checks.marks", "white_border_ok": "checks.marks",
    "backdrop_cast": "checks.quality", "hamming": "checks.quality", "mean_lab": "checks.quality",
    "phash": "checks.quality", "sharpness": "checks.quality",
    **{name: "model" for name in ("CHECKS", "SEVERITIES", "ArticleResult", "CheckResult", "Finding", "ImageEntry",
                                  "PlatformReport", "ValidationResult")},
    **{name: "report" for name in ("print_summary", "render_html", "report_paths", "write_reports")},
    "Validator": "validator",
}
__all__ = [*_EXPORTS, "validate_workspace"]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def validate_workspace(ws, *, platforms: list[str] | None = None, articles: list[str] | None = None,
                       today: dt.date | None = None, write: bool = True) -> ValidationResult:
    """Check every article for every platform; write the reports. Raises ConfigError/ImgpipeError for usage problems."""
    from imgpipe.validate.model import ValidationResult
    from imgpipe.validate.report import write_reports
    from imgpipe.validate.validator import Validator

    started = time.perf_counter()
    validator = Validator(ws, platforms=platforms, articles=articles, today=today)
    result = ValidationResult()
    wanted = list(validator.profiles)
    outputs = [r for r in ws.catalog.outputs() if r["platform"] in wanted
               and (not articles or r["article"] in articles)]
    if not outputs:
        result.no_outputs = True
        result.seconds = time.perf_counter() - started
        return result
    result.reports = validator.run()
    if write:
        result.combined_html = write_reports(ws.root, result.reports, ws.settings.language,
                                            validator.files.sha)
    result.seconds = time.perf_counter() - started
    return result
