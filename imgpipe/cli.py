"""The `imgpipe` command: thin front end over the core modules.

Exit status (contract.md): 0 all done, 1 some items failed (the rest were
done), 2 usage or configuration error (nothing done). `--json` prints one
JSON document on stdout; progress and logs go to stderr.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.messages import t

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def fail_usage(err: Exception) -> None:
    stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {err}", soft_wrap=True)
    sys.exit(EXIT_USAGE)


def open_workspace(ctx: click.Context):
    from imgpipe.workspace import Workspace

    try:
        return Workspace.open(ctx.obj["workspace"])
    except ImgpipeError as err:
        fail_usage(err)


def emit_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class Progress:
    """A rich progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, enabled: bool):
        self.enabled = enabled and sys.stderr.isatty()
        self.bar = None
        self.tasks = {}

    def __enter__(self):
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TimeRemainingColumn

            self.bar = Bar("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                           TimeRemainingColumn(), console=stderr_console(), transient=True)
            self.bar.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.bar:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(t(f"progress.{stage}"), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Workspace folder (default: the current one).")
@click.version_option(package_name="imgpipe")
@click.pass_context
def main(ctx: click.Context, workspace: Path) -> None:
    """imgpipe: product photos in, every image Tmall, JD and 1688 need out."""
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True, help="Fill it with the sample shop from samples/.")
def init(directory: Path, demo: bool) -> None:
    """Create a workspace in DIRECTORY (never overwrites one)."""
    from imgpipe.workspace import init_workspace

    created, photos = init_workspace(directory, demo=demo)
    out = stderr_console()
    out.print(t("init.created" if created else "init.exists", path=directory))
    if demo:
        out.print(t("init.demo", count=photos))
    out.print(t("init.next", path=directory))


@main.command()
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes (default: CPU count).")
@click.option("--article", "articles", multiple=True, help="Only this article (repeatable).")
@click.option("--dry-run", is_flag=True, help="Say what would happen; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.option("--no-backup", is_flag=True, help="Skip the backup at the end.")
@click.pass_context
def run(ctx, platforms, jobs, articles, dry_run, as_json, no_backup) -> None:
    """Ingest inbox/, process everything new or changed, render detail pages, back up."""
    from imgpipe.pipeline import run as run_pipeline
    from imgpipe.report_cli import print_run_summary

    ws = open_workspace(ctx)
    try:
        with Progress(not as_json) as progress:
            summary = run_pipeline(ws, platforms=list(platforms) or None, jobs=jobs, dry_run=dry_run,
                                   articles=list(articles) or None, progress=progress, backup=not no_backup)
    except ConfigError as err:
        fail_usage(err)
    except ImgpipeError as err:  # e.g. no CJK font: nothing can be drawn
        fail_usage(err)
    if as_json:
        emit_json(summary.as_dict())
    else:
        print_run_summary(summary, ws, stderr_console())
    sys.exit(EXIT_OK if summary.ok else EXIT_FAILED)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the corrected copies (same file names).")
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A grey-card or colour-chart shot taken under the same light.")
@click.option("--strength", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
def correct(inputs, out_dir, reference, strength, as_json) -> None:
    """Colour correction alone, on any files (no workspace needed)."""
    from imgpipe.correct import correct_files

    try:
        results = correct_files(list(inputs), out_dir, reference=reference, strength=strength)
    except ImgpipeError as err:
        fail_usage(err)
    if as_json:
        emit_json(results)
    else:
        out = stderr_console()
        for item in results:
            if item.get("error"):
                out.print(f"[red]✗[/] {item['error']}")
            else:
                out.print(f"[green]✓[/] {item['input']} → {item['output']}  ({item['summary']})")
    sys.exit(EXIT_FAILED if any(r.get("error") for r in results) else EXIT_OK)


@main.command()
@click.option("--poll", is_flag=True,
              help="Scan the folder instead of waiting for system events (SMB/NFS shares, mapped Windows drives).")
@click.option("--jobs", type=click.IntRange(1, 256), default=None, help="Worker processes (default: CPU count).")
@click.option("--settle", "settle", type=click.FloatRange(0, 3600), default=None,
              help="Seconds a file must stay unchanged before it is taken (default: imgpipe.toml [watch]).")
@click.option("--no-backup", is_flag=True, help="Skip the backup after each batch.")
@click.pass_context
def watch(ctx, poll, jobs, settle, no_backup) -> None:
    """The hot folder: process photos as they arrive in inbox/ (Ctrl-C stops)."""
    import signal
    import threading

    from imgpipe.watch import watch as watch_folder

    ws = open_workspace(ctx)
    stop = threading.Event()

    def on_signal(signum, frame):
        if stop.is_set():  # a second Ctrl-C: stop now, the next start finishes the work
            raise KeyboardInterrupt
        stderr_console().print(t("watch.stopping"))
        stop.set()

    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), on_signal)
    try:
        watch_folder(ws, poll=poll, jobs=jobs, settle_seconds=settle, stop_event=stop, backup=not no_backup)
    except ImgpipeError as err:  # another watcher holds the workspace, or a configuration problem
        fail_usage(err)
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(EXIT_OK)


def _parse_today(value: str | None):
    import datetime as dt

    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail_usage(ImgpipeError(t("status.bad_today", value=value)))


@main.command()
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable).")
@click.option("--article", "articles", multiple=True, help="Only this article (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def validate(ctx, platforms, articles, as_json) -> None:
    """Pre-upload check of every article per platform; reports into reports/ (exit 1 on any error)."""
    from imgpipe.validate import print_summary, validate_workspace

    ws = open_workspace(ctx)
    try:
        result = validate_workspace(ws, platforms=list(platforms) or None, articles=list(articles) or None)
    except ImgpipeError as err:  # unknown platform or article, broken settings
        fail_usage(err)
    out = stderr_console()
    if result.no_outputs:
        out.print(f"[red]{t('validate.no_outputs')}[/] ({t('error.fix')}: {t('validate.no_outputs.fix')})")
    else:
        print_summary(result, out)
    if as_json:
        emit_json(result.as_dict())
    sys.exit(result.exit_code)


@main.command()
@click.option("--today", default=None, metavar="YYYY-MM-DD", help="Count from this day (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def status(ctx, today, as_json) -> None:
    """The three-day board: arrival, due date, state and timing per article, most urgent first."""
    from imgpipe.status import build_board, print_board

    day = _parse_today(today)
    ws = open_workspace(ctx)
    rows = build_board(ws, day)
    if as_json:
        emit_json({"today": day.isoformat(), "sla_days": ws.settings.sla.days, "articles": [r.as_dict() for r in rows]})
    else:
        print_board(rows, stderr_console(), day, ws.settings.sla.days)
    sys.exit(EXIT_OK)


@main.command()
@click.argument("article")
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable; default: all enabled).")
@click.pass_context
def listed(ctx, article, platforms) -> None:
    """Mark ARTICLE as listed (on sale), so the board knows it is done."""
    from imgpipe.sheet import normalise_article
    from imgpipe.status import mark_listed

    ws = open_workspace(ctx)
    try:
        chosen = list(ws.enabled(list(platforms) or None))
    except ImgpipeError as err:
        fail_usage(err)
    article = normalise_article(article)
    known = set(ws.sheet().products) | set(ws.catalog.articles())
    if article not in known:
        fail_usage(ImgpipeError(t("status.unknown_article", article=article), fix=t("status.unknown_article.fix")))
    mark_listed(ws, article, chosen)
    stderr_console().print(t("status.listed", article=article, platforms=", ".join(chosen)))
    sys.exit(EXIT_OK)
