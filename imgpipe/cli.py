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

from imgpipe import clock
from imgpipe.errors import ConfigError, ImgpipeError
from imgpipe.lock import ensure_no_watcher, run_lock
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
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where photos are processed: local processes, or a Dask cluster.")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help="Dask scheduler address for --executor dask, e.g. tcp://HOST:8786.")
@click.pass_context
def run(ctx, platforms, jobs, articles, dry_run, as_json, no_backup, executor, scheduler) -> None:
    """Ingest inbox/, process everything new or changed, render detail pages, back up."""
    from imgpipe.pipeline import run as run_pipeline
    from imgpipe.report_cli import print_run_summary

    ws = open_workspace(ctx)
    try:
        # take ours first, then look for a watcher: checking first would leave a gap for one to start
        with run_lock(ws.root), Progress(not as_json) as progress:
            ensure_no_watcher(ws.root)  # a watcher owns the inbox: two writers would number a photo twice
            summary = run_pipeline(ws, platforms=list(platforms) or None, jobs=jobs, dry_run=dry_run,
                                   articles=list(articles) or None, progress=progress, backup=not no_backup,
                                   executor=executor, scheduler=scheduler)
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
        return clock.today()
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
@click.option("--date", "on_date", default=None, metavar="YYYY-MM-DD", help="Listed on this day (default: today).")
@click.pass_context
def listed(ctx, article, platforms, on_date) -> None:
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
    mark_listed(ws, article, chosen, _parse_today(on_date))
    stderr_console().print(t("status.listed", article=article, platforms=", ".join(chosen)))
    sys.exit(EXIT_OK)


def _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, sold_out: bool) -> None:
    """Shared body of `soldout` and `restock`."""
    from imgpipe.soldout import mark

    if whole and (colour or size):
        fail_usage(ImgpipeError(t("soldout.all_conflict")))
    if not whole and not (colour or size):
        fail_usage(ImgpipeError(t("soldout.need_variant")))
    ws = open_workspace(ctx)
    try:
        result = mark(ws, article, colour or "", size or "", sold_out, dry_run=dry_run)
    except ImgpipeError as err:  # unknown article/colour/size, watcher running, bad backup setting
        fail_usage(err)
    if as_json:
        emit_json(result.as_dict())
    else:
        out = stderr_console()
        done = t("soldout.marked" if sold_out else "soldout.restocked", article=result.article,
                 variant=result.variant)
        out.print(t("soldout.already", article=result.article, variant=result.variant) if result.already
                  and not result.changed_files else done)
        if not result.has_outputs:
            out.print(t("soldout.no_outputs"))
        if result.changed_files:
            out.print(t("soldout.would_change" if dry_run else "soldout.changed", count=len(result.changed_files)))
            for path in result.changed_files:
                out.print(f"  {path}", soft_wrap=True)
        if result.failed:
            out.print(f"[red]{t('soldout.failed', count=len(result.failed))}[/]")
            for item in result.failed:
                out.print(f"  [red]✗[/] {item.get('file')}: {item.get('message')}", soft_wrap=True)
        if result.backup is not None:
            out.print(result.backup.summary())
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


_variant_options = [
    click.option("--colour", "--color", "colour", default=None, help="The colour, as in the product sheet."),
    click.option("--size", default=None, help="The size, as in the product sheet (alone: struck on the large image)."),
    click.option("--all", "whole", is_flag=True, help="The whole article."),
    click.option("--dry-run", is_flag=True, help="List the files that would change; change nothing."),
    click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout."),
]


def _with_variant_options(fn):
    for option in reversed(_variant_options):
        fn = option(fn)
    return fn


@main.command()
@click.argument("article")
@_with_variant_options
@click.pass_context
def soldout(ctx, article, colour, size, whole, dry_run, as_json) -> None:
    """Mark a colour, size or the whole ARTICLE sold out: overlays on, file names kept."""
    _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, True)


@main.command()
@click.argument("article")
@_with_variant_options
@click.pass_context
def restock(ctx, article, colour, size, whole, dry_run, as_json) -> None:
    """Undo `soldout`: the images are redone without that overlay, file names kept."""
    _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, False)


@main.command()
@click.option("--verify", is_flag=True, help="Re-hash every file on the target; report missing or changed ones.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def backup(ctx, verify, as_json) -> None:
    """Copy originals and outputs to the backup target (verified by hash), or check it (--verify)."""
    from imgpipe.backup import backup_workspace, open_target, verify as verify_target

    ws = open_workspace(ctx)
    out = stderr_console()
    if verify:
        try:
            with open_target(ws.settings.backup, ws.root) as target:
                report = verify_target(ws.catalog.db, ws.root, target)
        except ImgpipeError as err:  # no target, target unreachable, bad setting: nothing was checked
            fail_usage(err)
        if as_json:
            emit_json(report.as_dict())
        else:
            out.print(report.summary())
            for path in report.missing:
                out.print(f"  [red]✗[/] {t('backup.cli_verify_missing', path=path)}", soft_wrap=True)
            for path in report.changed:
                out.print(f"  [red]✗[/] {t('backup.cli_verify_changed', path=path)}", soft_wrap=True)
            if not report.clean:
                out.print(t("backup.cli_verify_hint"))
        sys.exit(EXIT_OK if report.clean else EXIT_FAILED)
    if not (ws.settings.backup.target or "").strip():
        fail_usage(ImgpipeError(t("backup.no_target"), field="backup.target", fix=t("backup.no_target.fix")))
    try:
        result = backup_workspace(ws.catalog.db, ws.root, ws.settings.backup)
    except ImgpipeError as err:  # a setting that can never work (inside the workspace, bad URL, key refused)
        fail_usage(err)
    if as_json:
        emit_json(result.as_dict())
    else:
        if result.message:
            out.print(f"[yellow]{result.message}[/]", soft_wrap=True)
        for line in result.errors:
            if line != result.message:
                out.print(f"  [red]✗[/] {line}", soft_wrap=True)
        out.print(result.summary())
    sys.exit(EXIT_OK if result.complete else EXIT_FAILED)


@main.command()
@click.argument("articles", nargs=-1)
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Restore into this folder (default: the workspace itself).")
@click.option("--overwrite", is_flag=True, help="Replace files that differ from the backup (default: leave them).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def restore(ctx, articles, dest, overwrite, as_json) -> None:
    """Bring originals and outputs back from the backup (all, or only ARTICLE…)."""
    from imgpipe.backup import open_target, restore as restore_files, restore_catalog
    from imgpipe.sheet import normalise_article

    ws = open_workspace(ctx)
    dest = (dest or ws.root).resolve()
    chosen = [normalise_article(a) for a in articles] or None
    try:
        with open_target(ws.settings.backup, ws.root) as target:
            # the catalog's hashes only describe this workspace's files
            conn = ws.catalog.db if dest == ws.root else None
            files = restore_files(conn, target, dest, chosen, overwrite=overwrite)
            if chosen is None:  # a whole workspace: bring back what only the catalog knew
                restore_catalog(conn, target, dest)
    except ImgpipeError as err:
        if err.fix == t("backup.restore_damaged.fix"):  # the good files are in place: some items failed
            stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {err}", soft_wrap=True)
            sys.exit(EXIT_FAILED)
        fail_usage(err)  # no target, unknown article, unsafe listing: nothing restored
    if as_json:
        emit_json({"dest": str(dest), "restored": [str(p) for p in files], "kept": [str(p) for p in files.kept]})
    else:
        out = stderr_console()
        out.print(t("restore.done", count=len(files), dest=dest), soft_wrap=True)
        if files.kept:
            out.print(f"[yellow]{t('restore.kept', count=len(files.kept))}[/]")
            for p in files.kept:
                out.print(f"  {p}", soft_wrap=True)
    sys.exit(EXIT_OK)


@main.command()
@click.option("--rebuild", is_flag=True, help="Rebuild the catalog from originals/ and output/ (the old one is kept).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")
@click.pass_context
def doctor(ctx, rebuild, as_json) -> None:
    """Check the catalog against the files on disk; --rebuild makes a new one from them."""
    from imgpipe.doctor import check, describe, rebuild_catalog

    ws = open_workspace(ctx)
    out = stderr_console()
    if rebuild:
        result = rebuild_catalog(ws.root)
        if as_json:
            emit_json(result.as_dict())
        out.print(t("doctor.rebuilt", photos=result.photos, outputs=result.outputs))
        if result.kept_as:
            out.print(t("doctor.kept", name=result.kept_as))
        for p in result.skipped:
            out.print(f"[yellow]{t('doctor.skipped', path=p)}[/]", soft_wrap=True)
        out.print(t("doctor.lost"))
        sys.exit(EXIT_OK)
    report = check(ws.root)
    if as_json:
        emit_json(report.as_dict())
    for line in describe(report):
        out.print(f"[red]✗[/] {line}", soft_wrap=True)
    if report.catalog_error:
        out.print(t("doctor.fix"))
    elif report.ok:
        out.print(f"[green]✓[/] {t('doctor.ok')}")
    sys.exit(EXIT_OK if report.ok else EXIT_FAILED)


# --- workbench (imgpipe/web/) ---
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any other than this PC's own needs a token (one is made when not given).")
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--token", default=None, help="Access token for other PCs (default: generated for a non-local --host).")
@click.option("--open", "open_browser", is_flag=True, help="Open the page in the default browser.")
@click.option("--watch", "watch_inbox", is_flag=True, help="Also watch inbox/ (as `imgpipe watch`).")
@click.pass_context
def serve(ctx, host, port, token, open_browser, watch_inbox) -> None:
    """The workbench: a local web page to see, fix and approve every image (Ctrl-C stops)."""
    from imgpipe.web import serve as serve_web

    ws = open_workspace(ctx)  # a broken workspace is a usage error before anything listens
    try:
        serve_web(ws.root, host=host, port=port, token=token, open_browser=open_browser, watch=watch_inbox,
                  say=lambda text: stderr_console().print(text, soft_wrap=True, markup=False))
    except (ImgpipeError, OSError) as err:  # port taken, address not ours
        fail_usage(err)
    sys.exit(EXIT_OK)
