"""Terminal summaries (rich tables on stderr) for the CLI."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from imgpipe.messages import t


def print_run_summary(summary, ws, out: Console) -> None:
    if summary.dry_run:
        out.print(f"[yellow]{t('run.dry_run')}[/]")
        for a in summary.ingest.archived:
            out.print(t("run.would_archive", src=a.source, dest=a.dest))
        for item in getattr(summary, "preview", []):
            if item.analyse:
                out.print(t("run.would_analyse", article=item.article, count=len(item.analyse)))
            for platform in item.write:
                counts = (len(item.write[platform]), len(item.remove[platform]), item.up_to_date[platform])
                if any(counts):  # an article with only new photos: planned once they are analysed
                    out.print(t("run.would_plan", article=item.article, platform=platform, write=counts[0],
                                remove=counts[1], same=counts[2]), soft_wrap=True)
                for path in item.remove[platform]:
                    out.print(t("run.would_remove", path=path), soft_wrap=True)
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
    problems = [(p.path, p.reason, p.fix) for p in summary.ingest.pending]
    problems += [(e.get("file"), e.get("message"), e.get("fix")) for e in summary.failed]
    warnings = [(e.get("file"), e.get("message"), e.get("fix")) for e in summary.warnings]
    if problems or warnings:
        out.print(f"[bold]{t('run.problems')}[/]")
        for mark, rows in (("[red]✗[/]", problems), ("[yellow]![/]", warnings)):
            for file, message, fix in rows:
                where = f"{file}: " if file else ""
                out.print(f"  {mark} {where}{message}" + (f" [dim]({fix})[/]" if fix else ""), soft_wrap=True)
    if not summary.dry_run:
        out.print(t("run.output_at", path=ws.root / "output"))
