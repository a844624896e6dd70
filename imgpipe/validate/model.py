"""What validation reports: findings, check and article results, platform reports.

Also `ArticleInputs`, what every check of one article and platform reads,
and `Finder`, which collects a check's findings with texts from messages.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imgpipe import roles
from imgpipe.messages import t

CHECKS = ("naming", "counts", "sizes", "marks", "data", "pairing", "framing", "soldout", "backup", "quality", "freshness")
SEVERITIES = ("error", "warning")
ROLE_ORDER = (*roles.ROLE_ORDER, "page")  # the registry's order, then the detail page's slices

@dataclass
class Finding:
    """One problem: `code` says which rule, `file` is workspace-relative when known."""

    check: str
    code: str
    severity: str
    message: str
    fix: str = ""
    file: str | None = None

    def as_dict(self) -> dict:
        return {"check": self.check, "code": self.code, "severity": self.severity,
                "message": self.message, "fix": self.fix, "file": self.file}


@dataclass
class CheckResult:
    id: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        """"error", "warning" or "pass"."""
        sev = {f.severity for f in self.findings}
        return "error" if "error" in sev else "warning" if "warning" in sev else "pass"

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "findings": [f.as_dict() for f in self.findings]}


@dataclass
class ImageEntry:
    """An image shown on the report card (path relative to the workspace)."""

    path: str
    role: str
    width: int = 0
    height: int = 0
    nbytes: int = 0
    exists: bool = True
    label: str = ""            # roles.label_of: "主图（3:4）" for a profile's own role; "" = the report's own

    def as_dict(self) -> dict:
        return {"path": self.path, "role": self.role, "width": self.width, "height": self.height,
                "bytes": self.nbytes, "exists": self.exists, "label": self.label}


@dataclass
class ArticleResult:
    platform: str
    article: str
    name: str
    checks: dict[str, CheckResult]
    images: list[ImageEntry] = field(default_factory=list)
    waiting: bool = False  # in the sheet, no photos yet: shown, not counted as failing
    colour_references: list[dict] = field(default_factory=list)  # colour_references(): chart/card fits
    colour: dict = field(default_factory=dict)  # colour_summary(): method, reference ΔE, cast left
    review: dict | None = None  # review.Review.as_dict(): operations review (图片审核) on this platform

    @property
    def status(self) -> str:
        if self.waiting:
            return "waiting"
        states = {c.status for c in self.checks.values()}
        return "error" if "error" in states else "warning" if "warning" in states else "pass"

    def as_dict(self) -> dict:
        return {"platform": self.platform, "article": self.article, "name": self.name, "status": self.status,
                "images": [i.as_dict() for i in self.images],
                "checks": [self.checks[c].as_dict() for c in CHECKS],
                "colour_references": self.colour_references, "colour": self.colour, "review": self.review}


def colour_references(photos) -> list[dict]:
    """The article's reference shots whose chart or grey card set its colour (one per session).

    photos: catalog PhotoRows. Per shot: file (the name it came in with),
    method (chart | grey_card) and, for a chart, the fit's model and ΔE2000
    figures (in-sample mean, leave-one-out mean / max / neutral row). A shot
    whose card or chart was refused: method "refused", reason and fix as the
    run said them, and for a poor fit its figures (loo_mean_de, loo_max_de,
    limit_de, ...).
    """
    out = []
    for p in photos:
        refused = (p.analysis or {}).get("error") if p.kind == "reference" else None
        if refused:  # found but not used (a poor fit, clipped, overexposed): the photos fell back to auto
            out.append({"file": p.source_name, "method": "refused", "reason": refused.get("message", ""),
                        "fix": refused.get("fix", ""), **(refused.get("fit") or {})})
            continue
        corr = (p.analysis or {}).get("correction") if p.kind == "reference" else None
        if not corr or corr.get("method") not in ("chart", "grey_card"):
            continue
        ref = {"file": p.source_name, "method": corr["method"]}
        fit = corr.get("fit") or {}
        for key in ("model", "mean_de", "loo_mean_de", "loo_max_de", "loo_neutral_de"):
            if key in fit:
                ref[key] = fit[key]
        out.append(ref)
    return out


def colour_summary(photos) -> dict:
    """How the article's photos were colour-corrected: {"methods": {method: photos}, "reference_de", "cast_left_deg", "cast_left_photos"}.

    photos: catalog PhotoRows. reference_de: the leave-one-out mean ΔE2000 of
    its chart reference (None without a chart); cast_left_deg: the largest
    estimated cast (°) left uncorrected on a photo (None when none was left).
    """
    methods: dict[str, int] = {}
    casts, ref_de = [], None
    for p in photos:
        corr = (p.analysis or {}).get("correction")
        if not corr:
            continue
        if p.kind == "reference":
            loo = (corr.get("fit") or {}).get("loo_mean_de")
            if loo is not None and (ref_de is None or loo > ref_de):
                ref_de = float(loo)  # the worst session's, when there are several
            continue
        methods[corr.get("method", "none")] = methods.get(corr.get("method", "none"), 0) + 1
        if corr.get("cast_left_deg") is not None:
            casts.append(float(corr["cast_left_deg"]))
    return {"methods": methods, "reference_de": ref_de,
            "cast_left_deg": max(casts) if casts else None, "cast_left_photos": len(casts)}


@dataclass
class PlatformReport:
    platform: str
    label: str
    date: str
    articles: list[ArticleResult]
    html: Path | None = None
    json: Path | None = None

    def counts(self) -> dict[str, int]:
        out = {"articles": len(self.articles), "pass": 0, "warning": 0, "error": 0, "waiting": 0}
        for a in self.articles:
            out[a.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return not any(a.status == "error" for a in self.articles)

    def as_dict(self) -> dict:
        return {"version": 1, "platform": self.platform, "label": self.label, "date": self.date,
                "checks": list(CHECKS), "summary": self.counts(), "ok": self.ok,
                "articles": [a.as_dict() for a in self.articles]}


@dataclass
class ValidationResult:
    reports: list[PlatformReport] = field(default_factory=list)
    no_outputs: bool = False
    seconds: float = 0.0
    combined_html: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.no_outputs and all(r.ok for r in self.reports)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def as_dict(self) -> dict:
        return {"ok": self.ok, "no_outputs": self.no_outputs, "seconds": round(self.seconds, 2),
                "reports": [dict(r.as_dict(), html=str(r.html) if r.html else None,
                                 json=str(r.json) if r.json else None) for r in self.reports]}


class Finder:
    """Collects findings for one check with messages from messages.py."""

    def __init__(self, check: str):
        self.result = CheckResult(check)

    def add(self, severity: str, code: str, file: str | None = None, **fields) -> None:
        key = f"validate.{code}"
        self.result.findings.append(Finding(self.result.id, code, severity, t(key, **fields),
                                            t(key + ".fix", **fields), file))

    def error(self, code: str, file: str | None = None, **fields) -> None:
        self.add("error", code, file, **fields)

    def warning(self, code: str, file: str | None = None, **fields) -> None:
        self.add("warning", code, file, **fields)


@dataclass
class ArticleInputs:
    """What the checks of one article on one platform read (gathered once).

    plan: (jobs with the sold-out state, jobs as if nothing were sold out),
    None when the article has no sheet row or no photos; plan_error: why it
    could not be made. handled: outputs whose staleness a check already
    explained (soldout fills it, freshness reads it).
    """

    article: str
    profile: object            # profiles.Profile
    product: object | None     # sheet.Product; None when not in the sheet
    rows: list
    page: object | None
    slices: list[str]
    photos: list
    waiting: bool
    plan: tuple | None = None
    plan_error: str | None = None
    handled: set[str] = field(default_factory=set)
