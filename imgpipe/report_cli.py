"""Terminal summaries (rich tables on stderr) for the CLI."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from imgpipe.errors import shown_file
from imgpipe.messages import get_language, localise, t


def print_run_summary(summary, ws, out: Console) -> None:
    if summary.dry_run:
        out.print(f"[yellow]{t('run.dry_run')}[/]")
        for a in summary.ingest.archived:
            out.print(escape(t("run.would_archive", src=a.source, dest=a.dest)), soft_wrap=True)
        for item in getattr(summary, "preview", []):
            if item.analyse:
                out.print(t("run.would_analyse", article=item.article, count=len(item.analyse)))
            for platform in item.write:
                counts = (len(item.write[platform]), len(item.remove[platform]), item.up_to_date[platform])
                if any(counts):  # an article with only new photos: planned once they are analysed
                    label = ws.profiles[platform].label(get_language()) if platform in ws.profiles else platform
                    out.print(t("run.would_plan", article=item.article, platform=label, write=counts[0],
                                remove=counts[1], same=counts[2]), soft_wrap=True)
                for path in item.remove[platform]:
                    out.print(escape(t("run.would_remove", path=path)), soft_wrap=True)
    table = Table(title=t("run.title"))
    table.add_column(t("run.col.what"))
    table.add_column(t("run.col.count"), justify="right")
    table.add_row(t("run.new"), str(len(summary.ingest.archived)))
    table.add_row(t("run.done"), str(len(summary.written)))
    table.add_row(t("run.pages"), str(len(summary.pages_written)))
    table.add_row(t("run.skipped"), str(summary.skipped + summary.pages_skipped))
    table.add_row(t("run.pending"), str(len(summary.ingest.pending)))
    table.add_row(t("run.failed"), f"[red]{len(summary.failed)}[/]" if summary.failed else "0")
    if summary.backup is not None:
        table.add_row(t("run.backup_pending"), str(getattr(summary.backup, "pending", 0)))
    out.print(table)
    # records made in worker processes: shown in this front end's language
    problems = [(p.path, localise(p.reason), localise(p.fix)) for p in summary.ingest.pending]
    problems += [(_where(e), localise(e.get("message")), localise(e.get("fix"))) for e in summary.failed]
    warnings = [(_where(e), localise(e.get("message")), localise(e.get("fix"))) for e in summary.warnings]
    if problems or warnings:
        out.print(f"[bold]{t('run.problems')}[/]")
        for mark, rows in (("[red]✗[/]", problems), ("[yellow]![/]", warnings)):
            for file, message, fix in rows:
                # paths, sheet text and settings may hold brackets: shown as they are, not as markup
                where = escape(f"{file}: ") if file else ""
                out.print(f"  {mark} {where}{escape(str(message))}" + (f" [dim]({escape(str(fix))})[/]" if fix else ""),
                          soft_wrap=True)
    if not summary.dry_run:
        out.print(escape(t("run.output_at", path=ws.root / "output")), soft_wrap=True)


def _where(error: dict) -> str | None:
    """"products.xlsx, 第 4 行, 字段 货号": the file (a photo as it was dropped), and the row and column
    when a sheet error has them."""
    parts = [shown_file(error)] if error.get("file") else []
    if error.get("row") is not None:
        parts.append(t("error.row", row=error["row"]))
    if error.get("field"):
        parts.append(f"{t('error.field')} {error['field']}")
    return ", ".join(parts) or None


def print_history(found, out: Console, labels: dict[str, str] | None = None) -> None:
    """`imgpipe history`: the review state per platform, then every logged action, oldest first.

    labels: {platform: its name as operations know it} (tmall -> 天猫)."""
    from imgpipe.review import byline, shown_time

    labels = labels or {}
    style = {"pending": "yellow", "approved": "green", "sent_back": "bold red"}
    for platform, review in found.reviews.items():
        d = review.decision or {}
        line = f"{escape(labels.get(platform, platform))}: [{style[review.state]}]{review.label}[/]"
        if d:
            line += " · " + escape(byline(review.as_dict()))
            if review.lapsed and d.get("action") != "approve":  # a lapsed approval's label says so already
                line += " — " + escape(t("web.review.lapsed"))
            elif d.get("note") and not review.lapsed:
                line += " — " + escape(d["note"])
        out.print(line, soft_wrap=True)
    if not found.entries:
        out.print(escape(t("history.empty", article=found.article)))
        return
    table = Table(title=t("history.title", article=found.article))
    for key in ("at", "who", "platform", "action", "note"):
        table.add_column(t(f"history.col.{key}"), overflow="fold", no_wrap=key == "at")
    for e in found.entries:
        action = e["label"]
        if e["forced"]:
            action += " " + t("review.forced_approve" if e["action"] == "approve" else "review.forced")
        table.add_row(shown_time(e["at"]), escape(e["who"] or t("review.anonymous")),
                      escape(labels.get(e["platform"], e["platform"]) or "-"),
                      escape(action), escape(e["summary"]))
    out.print(table)
