"""The reports: `reports/validation-<platform>-<date>.html|.json`, and the terminal summary."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from urllib.parse import quote

from imgpipe import clock
from imgpipe.fsutil import atomic_write_text
from imgpipe.messages import t, t_in
from imgpipe.review import byline, state_key
from imgpipe.thumbs import data_uri
from imgpipe.validate.model import CHECKS, ROLE_ORDER, PlatformReport, ValidationResult

MAX_PRINTED_ERRORS = 12         # error lines per platform in the terminal; the report has all

def _state_key(review: dict) -> str:
    """The review state's message key from Review.as_dict(): a lapsed approval says it lapsed."""
    return state_key(review.get("state", "pending"), review.get("lapsed", False), review.get("decision"))


def report_paths(root: Path, platform: str, date: str) -> tuple[Path, Path]:
    base = root / "reports" / f"validation-{platform}-{date}"
    return base.with_suffix(".html"), base.with_suffix(".json")


def _labels(lang: str) -> dict[str, str]:
    keys = ["title", "generated", "platform", "status", "all", "filter_platform", "filter_status", "shown",
            "no_findings", "more", "file", "fix", "images", "missing_file", "checks", "summary_line",
            "legend", "article", "colour_refs", "st.pass", "st.warning", "st.error", "st.waiting", "sev.error", "sev.warning"]
    out = {k: t_in(lang, f"validate.html.{k}") for k in keys}
    for c in CHECKS:
        out[f"check.{c}"] = t_in(lang, f"validate.check.{c}")
        out[f"check_help.{c}"] = t_in(lang, f"validate.check_help.{c}")
    for r in ROLE_ORDER:
        out[f"role.{r}"] = t_in(lang, f"validate.role.{r}")
    return out


def colour_reference_line(ref: dict, lang: str | None = None) -> str:
    """One line for a reference shot (model.colour_references): a chart's cross-validated ΔE2000, or the card.

    lang: "zh" / "en"; None = the interface language.
    """
    def msg(key, **fields):
        return t_in(lang, key, **fields) if lang else str(t(key, **fields))

    if ref["method"] == "refused":
        return msg("validate.colour_ref.refused", file=ref["file"], reason=ref.get("reason", ""))
    if ref["method"] != "chart" or "loo_mean_de" not in ref:
        return msg("validate.colour_ref.card", file=ref["file"])
    return msg("validate.colour_ref.chart", file=ref["file"], loo_mean=f"{ref['loo_mean_de']:.2f}",
                loo_max=f"{ref['loo_max_de']:.1f}", loo_neutral=f"{ref['loo_neutral_de']:.2f}",
                mean=f"{ref['mean_de']:.2f}", model=ref.get("model", ""))


def colour_line(summary: dict, lang: str | None = None) -> str:
    """One line for an article's colour (model.colour_summary): methods, the reference's ΔE2000, the cast left; "" without photos."""
    def msg(key, **fields):
        return t_in(lang, key, **fields) if lang else str(t(key, **fields))

    if not summary or not summary.get("methods"):
        return ""
    methods = msg("validate.colour_line.sep").join(f"{msg('validate.colour_method.' + m)} ×{n}" for m, n in sorted(summary["methods"].items(),
                                                                                     key=lambda kv: -kv[1]))
    ref = "—" if summary.get("reference_de") is None else f"{summary['reference_de']:.2f}"
    cast = msg("validate.colour_line.no_cast") if summary.get("cast_left_deg") is None else \
        msg("validate.colour_line.cast", deg=f"{summary['cast_left_deg']:.1f}", n=summary["cast_left_photos"])
    return msg("validate.colour_line", methods=methods, ref=ref, cast=cast)


@functools.lru_cache(maxsize=1)
def _template():
    """The report template, compiled once per process (compiling costs more than rendering)."""
    import jinja2

    from imgpipe.resources import builtin_dir

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(builtin_dir("templates")), encoding="utf-8"),
                             autoescape=True, keep_trailing_newline=True)
    return env.get_template("report.html.j2")


def render_html(reports: list[PlatformReport], lang: str, generated: str, workspace: str,
                root: Path | None = None, uris: dict | None = None, content=None) -> str:
    """The report page (Jinja2, autoescaped): one card per article, filters in inline JS.

    root: the workspace; given, each image is shown by a small thumbnail carried inside
    the page (EMBED_SIZE px, cached), so the report still shows its images when it is
    emailed; the link still opens the full-size file beside the workspace.
    uris: thumbnails already read, by path (shared by the pages of one validation).
    content: rel -> a key of the file's bytes (its sha256) or None; files with equal bytes (the
    same image on several platforms) share one thumbnail, made once.
    """
    template = _template()
    uris = {} if uris is None else uris

    def thumb(rel: str) -> str | None:
        if rel not in uris:
            key = content(rel) if content is not None else None
            if key is None or key not in uris:
                uri = data_uri(root, root / rel)  # a function of the file's bytes
                if key is None:
                    uris[rel] = uri
                    return uri
                uris[key] = uri
            uris[rel] = uris[key]
        return uris[rel]

    cards = []
    for report in reports:
        for a in report.articles:
            cards.append({
                "platform": report.platform, "platform_label": report.label, "article": a.article, "name": a.name,
                "status": a.status,
                "images": [dict(i.as_dict(), href="../" + quote(i.path, safe="/"), file=i.path.rsplit("/", 1)[-1],
                                src=(thumb(i.path) if root is not None and i.exists else None))
                           for i in a.images],
                "checks": [{"id": c, "status": a.checks[c].status,
                            "findings": [x.as_dict() for x in a.checks[c].findings]} for c in CHECKS],
                "colour_refs": [colour_reference_line(r, lang) for r in a.colour_references],
                "colour_line": colour_line(a.colour, lang),
                "review": a.review or {}, "review_label": t_in(lang, _state_key(a.review or {})),
                "review_by": byline(a.review or {}, lang, sep=" "),
            })
    summary = {"articles": 0, "pass": 0, "warning": 0, "error": 0, "waiting": 0}
    for r in reports:
        for k, v in r.counts().items():
            summary[k] += v
    return template.render(
        lang=lang, L=_labels(lang), cards=cards, checks=list(CHECKS), generated=generated, workspace=workspace,
        platforms=[{"name": r.platform, "label": r.label} for r in reports], summary=summary,
        date=reports[0].date if reports else "",
    )


def write_reports(root: Path, reports: list[PlatformReport], lang: str, content=None) -> Path | None:
    """`reports/validation-<platform>-<date>.html` and `.json` per platform; all-platform page when several.

    content: see render_html."""
    generated = clock.now_iso()
    uris: dict = {}
    for report in reports:
        html_path, json_path = report_paths(root, report.platform, report.date)
        atomic_write_text(html_path, render_html([report], lang, generated, str(root), root, uris, content))
        data = dict(report.as_dict(), generated=generated, workspace=str(root), language=lang)
        atomic_write_text(json_path, json.dumps(data, ensure_ascii=False, indent=2))
        report.html, report.json = html_path, json_path
    if len(reports) > 1:
        combined = root / "reports" / f"validation-all-{reports[0].date}.html"
        atomic_write_text(combined, render_html(reports, lang, generated, str(root), root, uris, content))
        return combined
    return None


def print_summary(result: ValidationResult, console) -> None:
    """A rich table on stderr: one row per article, one column per check."""
    from rich.markup import escape
    from rich.table import Table

    marks = {"pass": "[green]●[/]", "warning": "[yellow]▲[/]", "error": "[red]✗[/]", "waiting": "[dim]…[/]"}
    for report in result.reports:
        c = report.counts()
        table = Table(title=t("validate.table_title", platform=report.label, date=report.date))
        table.add_column(t("validate.html.article"), no_wrap=True)
        for check in CHECKS:
            table.add_column(t(f"validate.check.{check}"), justify="center", overflow="fold")
        table.add_column(t("review.col.state"), min_width=6, overflow="fold")
        for a in report.articles:
            status = "waiting" if a.waiting else None
            review = t(_state_key(a.review or {}))
            table.add_row(a.article, *[marks[status or a.checks[ch].status] for ch in CHECKS], review)
        console.print(table)
        console.print(t("validate.summary", **{k: c[k] for k in ("articles", "pass", "warning", "error", "waiting")}))
        for a in report.articles:  # the colour reference of each session: how well its chart fits
            if a.colour.get("cast_left_deg") is not None:  # and a cast left: worth a line in the terminal
                console.print(f"  {escape(a.article)}: {escape(colour_line(a.colour))}", soft_wrap=True)
            for ref in a.colour_references:
                console.print(f"  {escape(a.article)}: {escape(colour_reference_line(ref))}", soft_wrap=True)
        errors = [(a, f) for a in report.articles for ch in CHECKS for f in a.checks[ch].findings
                  if f.severity == "error"]
        for a, finding in errors[:MAX_PRINTED_ERRORS]:
            where = f"{finding.file}: " if finding.file else f"{a.article}: "
            # paths and fixes hold brackets ("[roles.main]"): shown as written, not taken for markup
            console.print(f"  [red]✗[/] {escape(where + str(finding.message))} [dim]({escape(str(finding.fix))})[/]",
                          soft_wrap=True)
        if len(errors) > MAX_PRINTED_ERRORS:
            console.print("  " + t("validate.more_errors", n=len(errors) - MAX_PRINTED_ERRORS))
        if report.html:
            console.print(t("validate.written", html=report.html, json=report.json))
    if result.combined_html:
        console.print(t("validate.written_all", html=result.combined_html))
    console.print(t("validate.seconds", seconds=f"{result.seconds:.1f}"))
