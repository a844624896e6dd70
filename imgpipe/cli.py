"""The `imgpipe` command: thin front end over the core modules.

Exit status (contract.md): 0 all done, 1 some items failed (the rest were
done), 2 usage or configuration error (nothing done). `--json` prints one
JSON document on stdout; progress and logs go to stderr.

Everything it says is in the interface language: the workspace's
`language` is read before click parses the command line, so help texts
(message keys `cli.<command>[.<option>]`) and click's own usage errors
(keys `click.*`) come from the message catalogue like every other text.
"""

from __future__ import annotations

import gettext
import json
import os
import re
import sys
import unicodedata
from pathlib import Path

import click

from imgpipe import __version__, clock
from imgpipe.errors import ConfigError, GlobalFailure, ImgpipeError
from imgpipe.lock import ensure_no_watcher, run_lock
from imgpipe.messages import LANGUAGES, MESSAGES, localise, set_language, t

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# the order a user meets the commands in; any other command follows, by name
COMMAND_ORDER = ("init", "run", "watch", "serve", "validate", "status", "review", "history", "export", "listed",
                 "soldout", "restock", "backup", "restore", "correct", "doctor", "model")
_HELP_ALIASES = {"restock": "soldout"}  # restock takes soldout's options

# click marks its texts for gettext; its English text -> our message key
_CLICK_KEYS = {en: key for key, (_zh, en) in MESSAGES.items()
               if key.startswith("click.") and not key.endswith(".many")}


def _click_text(msgid: str) -> str:
    key = _CLICK_KEYS.get(msgid)
    return t(key) if key else msgid


def _click_plural(singular: str, plural: str, n: int) -> str:
    key = _CLICK_KEYS.get(singular)
    if key is None:
        return singular if n == 1 else plural
    return t(key if n == 1 else key.rsplit(".", 1)[0] + ".many")


def _speak_click() -> None:
    """Route click's gettext calls (module globals `_`, `ngettext`) to the message catalogue."""
    for name, module in list(sys.modules.items()):
        if name == "click" or name.startswith("click."):
            if getattr(module, "_", None) is gettext.gettext:
                module._ = _click_text
            if getattr(module, "ngettext", None) is gettext.ngettext:
                module.ngettext = _click_plural


_speak_click()


def interface_language(args: list[str]) -> str:
    """The `language` of the workspace named by -w/--workspace in `args` (else the current folder).

    Read before click parses anything, so help and usage errors speak it too.
    No workspace, or one that does not load: $IMGPIPE_LANGUAGE, else Chinese.
    The real settings are checked later, when the command opens the workspace.
    """
    from imgpipe.schema import tomllib

    root = Path(".")
    items = iter(args)
    for arg in items:
        if arg in ("-w", "--workspace"):
            root = Path(next(items, "."))
        elif arg.startswith("--workspace="):
            root = Path(arg.split("=", 1)[1])
        elif arg.startswith("-w") and not arg.startswith("--"):
            root = Path(arg[2:])
        elif not arg.startswith("-"):
            break  # the command: what follows is its own
    try:
        language = tomllib.loads((root / "imgpipe.toml").read_text(encoding="utf-8-sig")).get("language")
    except (OSError, ValueError):
        language = None
    if language not in LANGUAGES:
        language = os.environ.get("IMGPIPE_LANGUAGE", "zh")
    return language if language in LANGUAGES else "zh"


def _help_key(*candidates: str) -> str | None:
    return next((key for key in candidates if key in MESSAGES), None)


def _localise_command(cmd: click.Command, name: str) -> None:
    key = _help_key(f"cli.{name}")
    if key:
        cmd.help = t(key)
    cmd.options_metavar = t("cli.options_metavar")
    if hasattr(cmd, "_help_option"):  # click caches it with the text of the language it was made in
        cmd._help_option = None
    owner = _HELP_ALIASES.get(name, name)
    for param in cmd.params:
        if isinstance(param.type, click.Path):  # named when made, in the language of that moment
            kind = "file" if not param.type.dir_okay else "directory" if not param.type.file_okay else "path"
            param.type.name = t(f"click.{kind}")
        key = isinstance(param, click.Option) and _help_key(f"cli.{owner}.{param.name}", f"cli.opt.{param.name}",
                                                             f"click.{param.name}_option")
        if key:
            param.help = t(key)


def display_width(text: str) -> int:
    """Terminal columns `text` takes: Chinese characters and full-width punctuation take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# a wide character, with the full-width punctuation after it (never at the start of a line)
_TOKENS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff01-\uff60\u3000-\u303f][\uff0c\u3002\uff09\uff1b\uff1a\u3001\uff01\uff1f\u300d]*"
                     r"|[^\s\u2e80-\u9fff\uf900-\ufaff\uff01-\uff60\u3000-\u303f]+|\s+")


def wrap_columns(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, broken at spaces or between Chinese characters."""
    lines, line = [], ""
    for token in _TOKENS.findall(" ".join(text.split())):
        if display_width(line + token.rstrip()) > width and line.strip():
            lines.append(line.rstrip())
            line = ""
        if line or not token.isspace():
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class ImgpipeHelpFormatter(click.HelpFormatter):
    """click's help layout, measured in terminal columns so Chinese text stays inside the window."""

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        paragraphs = [p for p in text.split("\n\n") if p.strip()]
        for n, paragraph in enumerate(paragraphs):
            for line in wrap_columns(paragraph, max(self.width - self.current_indent, 11)):
                self.write(f"{indent}{line}\n")
            if n < len(paragraphs) - 1:
                self.write("\n")

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((display_width(first) for first, _ in rows), default=0), col_max) + col_spacing
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if display_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - display_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_columns(second, max(self.width - first_col - 2, 10)) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * (first_col + self.current_indent) + line + "\n")


class ImgpipeContext(click.Context):
    formatter_class = ImgpipeHelpFormatter


class ImgpipeCommand(click.Command):
    context_class = ImgpipeContext

    def get_short_help_str(self, limit: int = 45) -> str:
        """The whole first line of the help: the command list is read to choose a command."""
        return (self.help or "").strip().split("\n")[0]


def one_thread_per_library() -> None:
    """One BLAS/OpenMP thread in this process and the workers it starts, unless the user set
    otherwise: imgpipe's parallelism is its process pool, and OpenBLAS reads these only as numpy
    loads (imgpipe.cli imports no numpy). Its second thread spins against the pool on a busy
    machine: `framing.find_product_box` (every photo's analysis, validation's fill measure) took
    122-135 ms of CPU a call that way on the 2-core VM under load, 70-79 ms on one thread; the
    first validation of the demo 9.0 -> 6.6 CPU-s (reports identical)."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class ImgpipeGroup(click.Group):
    """Commands in the order a user meets them, every text in the workspace's language.

    No traceback reaches a user: a full disk or an unwritable catalog is one clear message (exit 1),
    anything unforeseen an internal error naming the command (exit 1). IMGPIPE_DEBUG=1 or --debug
    shows the traceback."""

    command_class = ImgpipeCommand
    context_class = ImgpipeContext

    def list_commands(self, ctx: click.Context) -> list[str]:
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(self.commands, key=lambda name: (rank.get(name, len(rank)), name))

    def invoke(self, ctx):
        import os

        from imgpipe.errors import global_failure

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("IMGPIPE_DEBUG") or (ctx.obj or {}).get("debug"):
                import traceback

                traceback.print_exc()
            fatal = global_failure(exc)
            if fatal is None and isinstance(exc, ImgpipeError):
                fail_usage(exc)
            message = fatal or ImgpipeError(t("error.internal", stage=ctx.invoked_subcommand or "imgpipe",
                                                detail=f"{type(exc).__name__}: {exc}"),
                                              fix=t("error.internal.fix"))
            stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(message)}", soft_wrap=True)
            sys.exit(EXIT_FAILED)

    def main(self, args=None, prog_name=None, **extra):
        one_thread_per_library()
        args = list(sys.argv[1:] if args is None else args)
        set_language(interface_language(args))
        _localise_command(self, "main")
        for name, cmd in self.commands.items():
            _localise_command(cmd, name)
            for sub, subcmd in getattr(cmd, "commands", {}).items():  # `imgpipe model install`: cli.model_install
                _localise_command(subcmd, f"{name}_{sub}")
        return super().main(args=args, prog_name=prog_name, **extra)


def _print_version(ctx: click.Context, _param, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(f"imgpipe {__version__}")
        ctx.exit()


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def esc(text) -> str:
    """User and config text made safe for rich markup: "[backup]" is shown, not taken for a style."""
    from rich.markup import escape

    return escape(str(text))


def fail_usage(err: Exception) -> None:
    stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(err)}", soft_wrap=True)
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


@click.group(cls=ImgpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-w", "--workspace", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version)
@click.option("--debug", is_flag=True, hidden=True)
@click.pass_context
def main(ctx: click.Context, workspace: Path, debug: bool) -> None:
    """The imgpipe command (help text: message key cli.main)."""
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    ctx.obj["debug"] = debug


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--demo", is_flag=True)
def init(directory: Path, demo: bool) -> None:
    """Create a workspace in DIRECTORY (never overwrites one)."""
    from imgpipe.workspace import init_workspace

    created, photos = init_workspace(directory, demo=demo)
    out = stderr_console()
    out.print(esc(t("init.created" if created else "init.exists", path=directory)))
    if demo:
        out.print(esc(t("init.demo", count=photos)))
    _say_model(out, directory)
    out.print(esc(t("init.next", path=directory)))


@main.command()
@click.option("--platform", "platforms", multiple=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None)
@click.option("--article", "articles", multiple=True)
@click.option("--dry-run", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-backup", is_flag=True)
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", metavar="ADDRESS", default=None)
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
    except GlobalFailure as err:  # a full disk: stop with one message; what was done is recorded
        stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(err)}", soft_wrap=True)
        sys.exit(EXIT_FAILED)
    except ImgpipeError as err:  # e.g. no CJK font: nothing can be drawn
        fail_usage(err)
    if as_json:
        emit_json(summary.as_dict())
    else:
        print_run_summary(summary, ws, stderr_console())
    sys.exit(EXIT_OK if summary.ok else EXIT_FAILED)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strength", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None)
def correct(inputs, out_dir, reference, strength, as_json, lang) -> None:
    """Colour correction alone, on any files (no workspace needed)."""
    from imgpipe.correct import correct_files

    if lang:
        set_language(lang)

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
                out.print(f"[red]✗[/] {esc(item['error'])}", soft_wrap=True)
            else:
                out.print(f"[green]✓[/] {esc(item['input'])} → {esc(item['output'])}  ({esc(item['summary'])})",
                          soft_wrap=True)
    sys.exit(EXIT_FAILED if any(r.get("error") for r in results) else EXIT_OK)


@main.command()
@click.option("--poll", is_flag=True)
@click.option("--jobs", type=click.IntRange(1, 256), default=None)
@click.option("--settle", "settle", type=click.FloatRange(0, 3600), default=None)
@click.option("--no-backup", is_flag=True)
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
        stderr_console().print(esc(t("watch.stopping")))
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
@click.option("--platform", "platforms", multiple=True)
@click.option("--article", "articles", multiple=True)
@click.option("--json", "as_json", is_flag=True)
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
        out.print(f"[red]{esc(t('validate.no_outputs'))}[/] ({esc(t('error.fix'))}: {esc(t('validate.no_outputs.fix'))})")
    else:
        print_summary(result, out)
    if as_json:
        emit_json(result.as_dict())
    sys.exit(result.exit_code)


@main.command()
@click.option("--today", default=None, metavar="YYYY-MM-DD")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx, today, as_json) -> None:
    """The three-day board: arrival, due date, state and timing per article, most urgent first."""
    from imgpipe.review import platform_labels
    from imgpipe.status import build_board, print_board

    day = _parse_today(today)
    ws = open_workspace(ctx)
    rows = build_board(ws, day)
    sheet = ws.sheet()
    if as_json:
        emit_json({"today": day.isoformat(), "sla_days": ws.settings.sla.days, "articles": [r.as_dict() for r in rows]})
    else:
        print_board(rows, stderr_console(), day, ws.settings.sla.days, platform_labels(ws))
    for err in sheet.errors:  # the sheet file itself (unreadable, two sheets): an empty board must not look fine
        if err.row is None:
            stderr_console().print(f"[yellow]{esc(err)}[/]", soft_wrap=True)
    sys.exit(EXIT_FAILED if sheet.errors and not sheet.products else EXIT_OK)


@main.command()
@click.argument("article")
@click.option("--platform", "platforms", multiple=True)
@click.option("--date", "on_date", default=None, metavar="YYYY-MM-DD")
@click.option("--force", is_flag=True)
@click.option("--by", "who", default=None, metavar="NAME")
@click.pass_context
def listed(ctx, article, platforms, on_date, force, who) -> None:
    """Mark ARTICLE as listed (on sale), so the board knows it is done."""
    from imgpipe.review import check_listing, default_who, platform_labels
    from imgpipe.status import mark_listed

    ws = open_workspace(ctx)
    try:
        chosen = list(ws.enabled(list(platforms) or None))
        article = _known_article(ws, article)
        labels = platform_labels(ws)
        refused = check_listing(ws.catalog, article, chosen, force, labels)  # operations review first (图片审核)
    except ImgpipeError as err:
        fail_usage(err)
    mark_listed(ws, article, chosen, _parse_today(on_date), who=default_who() if who is None else who,
                forced=refused)
    note = f" {t('review.forced')}" if refused else ""
    stderr_console().print(esc(t("status.listed", article=article, platforms=", ".join(labels[p] for p in chosen))
                               + note))
    sys.exit(EXIT_OK)


def _known_article(ws, article: str) -> str:
    """ARTICLE normalised; a usage error when neither the sheet nor the catalog knows it."""
    from imgpipe.sheet import normalise_article

    article = normalise_article(article)
    if article not in set(ws.sheet().products) | set(ws.catalog.articles()):
        fail_usage(ImgpipeError(t("status.unknown_article", article=article), fix=t("status.unknown_article.fix")))
    return article


@main.command()
@click.argument("article")
@click.option("--platform", required=True)
@click.option("--approve", is_flag=True)
@click.option("--send-back", "send_back", default=None, metavar="NOTE")
@click.option("--image", default=None, metavar="FILE")
@click.option("--by", "who", default=None, metavar="NAME")
@click.option("--force", is_flag=True)
@click.option("--reason", default=None, metavar="WHY")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def review(ctx, article, platform, approve, send_back, image, who, force, reason, as_json) -> None:
    """Approve or send back ARTICLE's images on one platform."""
    from imgpipe.approval import decide
    from imgpipe.review import default_who, overridden, platform_labels

    if approve == (send_back is not None):
        fail_usage(ImgpipeError(t("review.need_decision")))
    if reason is not None and not force:
        fail_usage(ImgpipeError(t("review.reason_without_force"), field="reason"))
    ws = open_workspace(ctx)
    article = _known_article(ws, article)
    who = default_who() if who is None else who
    try:
        state = decide(ws, article, platform, approve=approve, who=who, note=send_back or "", image=image or "",
                       force=force, reason=reason or "")
    except ImgpipeError as err:
        fail_usage(err)
    label = platform_labels(ws)[platform]
    if as_json:
        emit_json(dict(state.as_dict(), article=article, platform=platform))
    elif approve and state.decision.get("forced"):
        stderr_console().print(esc(t("review.approved_forced", article=article, platform=label,
                                     who=state.decision["who"], errors=overridden(state.decision),
                                     reason=state.decision["note"])))
    elif approve:
        stderr_console().print(esc(t("review.approved", article=article, platform=label, who=state.decision["who"],
                                     count=state.outputs)))
    else:
        stderr_console().print(esc(t("review.sent_back_done", article=article, platform=label,
                                     who=state.decision["who"], note=state.decision["note"])))
    sys.exit(EXIT_OK)


@main.command()
@click.argument("article")
@click.option("--json", "as_json", is_flag=True)
@click.option("--csv", "as_csv", is_flag=True)
@click.pass_context
def history(ctx, article, as_json, as_csv) -> None:
    """ARTICLE's review state per platform and its activity log."""
    from imgpipe.review import history as article_history

    ws = open_workspace(ctx)
    article = _known_article(ws, article)
    found = article_history(ws, article)
    if as_json:
        emit_json(found.as_dict())
    elif as_csv:
        click.echo(found.as_csv(), nl=False)
    else:
        from imgpipe.report_cli import print_history
        from imgpipe.review import platform_labels

        print_history(found, stderr_console(), platform_labels(ws))
    sys.exit(EXIT_OK)


@main.command()
@click.argument("article")
@click.option("--platform", required=True)
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--force", is_flag=True)
@click.option("--by", "who", default=None, metavar="NAME")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def export(ctx, article, platform, out_dir, force, who, as_json) -> None:
    """A listing package: the images in upload order and a listing sheet, in one zip."""
    from imgpipe.export import export_package
    from imgpipe.review import default_who

    ws = open_workspace(ctx)
    article = _known_article(ws, article)
    try:
        package = export_package(ws, article, platform, out_dir, force=force,
                                 who=default_who() if who is None else who)
    except ImgpipeError as err:
        fail_usage(err)
    if as_json:
        emit_json(package.as_dict())
    else:
        note = f" {t('review.forced')}" if package.forced else ""
        stderr_console().print(esc(t("export.done", zip=package.zip, count=len(package.images)) + note),
                               soft_wrap=True)
    sys.exit(EXIT_OK)


def _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, sold_out: bool, who=None) -> None:
    """Shared body of `soldout` and `restock`."""
    from imgpipe.review import default_who
    from imgpipe.soldout import mark

    if whole and (colour or size):
        fail_usage(ImgpipeError(t("soldout.all_conflict")))
    if not whole and not (colour or size):
        fail_usage(ImgpipeError(t("soldout.need_variant")))
    ws = open_workspace(ctx)
    try:
        result = mark(ws, article, colour or "", size or "", sold_out, dry_run=dry_run,
                      who=default_who() if who is None else who)
    except ImgpipeError as err:  # unknown article/colour/size, watcher running, bad backup setting
        fail_usage(err)
    if as_json:
        emit_json(result.as_dict())
    else:
        out = stderr_console()
        # a dry run says what would happen, never that it happened
        key = {(True, False): "soldout.marked", (False, False): "soldout.restocked",
               (True, True): "soldout.would_mark", (False, True): "soldout.would_restock"}[(sold_out, dry_run)]
        done = t(key, article=result.article, variant=result.variant)
        out.print(esc(t("soldout.already", article=result.article, variant=result.variant) if result.already
                      and not result.changed_files else done))
        if not result.has_outputs:
            out.print(esc(t("soldout.no_outputs")))
        if result.under_whole and not result.already and not result.changed_files:
            out.print(f"[yellow]{esc(t('soldout.under_whole' if sold_out else 'restock.under_whole', article=result.article, variant=result.variant))}[/]",
                      soft_wrap=True)
        if result.changed_files:
            out.print(esc(t("soldout.would_change" if dry_run else "soldout.changed", count=len(result.changed_files))))
            for path in result.changed_files:
                out.print(f"  {esc(path)}", soft_wrap=True)
        if result.failed:
            out.print(f"[red]{esc(t('soldout.failed', count=len(result.failed)))}[/]")
            for item in result.failed:
                out.print(f"  [red]✗[/] {esc(item.get('file'))}: {esc(localise(item.get('message')))}", soft_wrap=True)
        if result.backup is not None:
            out.print(esc(result.backup.summary()))
    sys.exit(EXIT_OK if result.ok else EXIT_FAILED)


_variant_options = [
    click.option("--colour", "--color", "colour", default=None),
    click.option("--size", default=None),
    click.option("--all", "whole", is_flag=True),
    click.option("--dry-run", is_flag=True),
    click.option("--json", "as_json", is_flag=True),
    click.option("--by", "who", default=None, metavar="NAME"),
]


def _with_variant_options(fn):
    for option in reversed(_variant_options):
        fn = option(fn)
    return fn


@main.command()
@click.argument("article")
@_with_variant_options
@click.pass_context
def soldout(ctx, article, colour, size, whole, dry_run, as_json, who) -> None:
    """Mark a colour, size or the whole ARTICLE sold out: overlays on, file names kept."""
    _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, True, who)


@main.command()
@click.argument("article")
@_with_variant_options
@click.pass_context
def restock(ctx, article, colour, size, whole, dry_run, as_json, who) -> None:
    """Undo `soldout`: the images are redone without that overlay, file names kept."""
    _soldout_command(ctx, article, colour, size, whole, dry_run, as_json, False, who)


@main.command()
@click.option("--verify", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
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
            out.print(esc(report.summary()))
            for path in report.missing:
                out.print(f"  [red]✗[/] {esc(t('backup.cli_verify_missing', path=path))}", soft_wrap=True)
            for path in report.changed:
                out.print(f"  [red]✗[/] {esc(t('backup.cli_verify_changed', path=path))}", soft_wrap=True)
            if not report.clean:
                out.print(esc(t("backup.cli_verify_hint")))
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
            out.print(f"[yellow]{esc(result.message)}[/]", soft_wrap=True)
        for line in result.errors:
            if line != result.message:
                out.print(f"  [red]✗[/] {esc(line)}", soft_wrap=True)
        out.print(esc(result.summary()))
    sys.exit(EXIT_OK if result.complete else EXIT_FAILED)


@main.command()
@click.argument("articles", nargs=-1)
@click.option("--to", "dest", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--overwrite", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def restore(ctx, articles, dest, overwrite, as_json) -> None:
    """Bring originals and outputs back from the backup (all, or only ARTICLE…)."""
    from imgpipe.backup import open_target, restore as restore_files, restore_catalog
    from imgpipe.backup.restore import catalog_missing
    from imgpipe.sheet import normalise_article

    ws = open_workspace(ctx)
    dest = (dest or ws.root).resolve()
    chosen = [normalise_article(a) for a in articles] or None
    damaged = None
    try:
        with open_target(ws.settings.backup, ws.root) as target:
            # the catalog's hashes only describe this workspace's files
            conn = ws.catalog.db if dest == ws.root else None
            try:
                files = restore_files(conn, target, dest, chosen, overwrite=overwrite)
            except ImgpipeError as err:
                if err.fix != t("backup.restore_damaged.fix"):
                    raise
                damaged = err  # the good files are in place: some items failed; the catalog still comes back
            catalog_lost = False
            if chosen is None:  # a whole workspace: bring back what only the catalog knew
                catalog_lost = not restore_catalog(conn, target, dest) and catalog_missing(conn, target, dest)
    except ImgpipeError as err:
        fail_usage(err)  # no target, unknown article, unsafe listing: nothing restored
    if damaged is not None:
        stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(damaged)}", soft_wrap=True)
        if catalog_lost:
            stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(t('restore.no_catalog'))}", soft_wrap=True)
            stderr_console().print(esc(t("restore.no_catalog.fix")), soft_wrap=True)
        sys.exit(EXIT_FAILED)
    if as_json:
        emit_json({"dest": str(dest), "restored": [str(p) for p in files], "kept": [str(p) for p in files.kept],
                   "missing": files.missing})
    else:
        out = stderr_console()
        out.print(esc(t("restore.done", count=len(files), dest=dest)), soft_wrap=True)
        if files.kept:
            out.print(f"[yellow]{esc(t('restore.kept', count=len(files.kept)))}[/]")
            for p in files.kept:
                out.print(f"  {esc(p)}", soft_wrap=True)
        if files.missing:  # the backup lost them: say which, every one
            out.print(f"[bold red]{t('restore.missing', count=len(files.missing))}[/]", soft_wrap=True)
            for rel in files.missing:
                out.print(f"  [red]✗[/] {esc(rel)}", soft_wrap=True)
    if catalog_lost:  # the files without their catalog: numbers, reference shots, sold-out marks are not back
        stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(t('restore.no_catalog'))}", soft_wrap=True)
        stderr_console().print(esc(t("restore.no_catalog.fix")), soft_wrap=True)
    sys.exit(EXIT_FAILED if files.missing or catalog_lost else EXIT_OK)


@main.command()
@click.option("--rebuild", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def doctor(ctx, rebuild, as_json) -> None:
    """Check the catalog against the files on disk; --rebuild makes a new one from them."""
    from imgpipe.doctor import check, describe, rebuild_catalog

    ws = open_workspace(ctx)
    out = stderr_console()
    if rebuild:
        try:
            result = rebuild_catalog(ws.root)
        except GlobalFailure as err:  # a full disk: a rebuild would not help
            stderr_console().print(f"[bold red]{t('error.prefix')}:[/] {esc(err)}", soft_wrap=True)
            sys.exit(EXIT_FAILED)
        except ImgpipeError as err:  # a run or a watcher holds the workspace
            fail_usage(err)
        if as_json:
            emit_json(result.as_dict())
        out.print(esc(t("doctor.rebuilt", photos=result.photos, outputs=result.outputs)))
        if result.kept_as:
            out.print(esc(t("doctor.kept", name=result.kept_as)))
        for p in result.skipped:
            out.print(f"[yellow]{esc(t('doctor.skipped', path=p))}[/]", soft_wrap=True)
        for p in result.set_aside:
            out.print(f"[yellow]{esc(t('doctor.set_aside', path=p))}[/]", soft_wrap=True)
        if result.recovered:
            out.print(t("doctor.recovered", photos=result.recovered.get("photos", 0),
                        soldout=result.recovered.get("soldout", 0), listings=result.recovered.get("listings", 0)))
        else:
            out.print(esc(t("doctor.lost")))
        sys.exit(EXIT_OK)
    from imgpipe.models import in_use

    report = check(ws.root)
    from imgpipe.netfs import network_warning

    model = _with_copy(in_use(ws, verify=True))
    shared = network_warning(ws.root)  # SQLite on a share can be corrupted: say so even when all is well
    if as_json:
        emit_json({**report.as_dict(), "ok": report.ok and not model.problem, "cutout_model": model.as_dict(),
                   "network_filesystem": list(shared) if shared else None})
    if shared:
        out.print(f"[yellow]▲ {esc(shared[0])}[/] ({esc(t('error.fix'))}: {esc(shared[1])})", soft_wrap=True)
    for line in describe(report):
        out.print(f"[red]✗[/] {esc(line)}", soft_wrap=True)
    if (report.catalog_error and not report.disk_full) or report.unknown_originals:
        out.print(esc(t("doctor.fix")))
    elif report.ok:
        out.print(f"[green]✓[/] {esc(t('doctor.ok'))}")
    _say_model(out, ws.root, model)
    sys.exit(EXIT_OK if report.ok and not model.problem else EXIT_FAILED)


def _say_model(out, root: Path, use=None) -> None:
    """Which cut-out the workspace at `root` makes (a model, or the classical one and how to get a model)."""
    from imgpipe.models import describe_in_use, in_use
    from imgpipe.workspace import Workspace

    if use is None:
        try:
            use = _with_copy(in_use(Workspace.open(root)))
        except ImgpipeError as err:  # settings that do not load: `run` says so in full
            out.print(f"[red]✗[/] {esc(err)}", soft_wrap=True)
            return
    mark = "[red]✗[/]" if use.problem else "[green]✓[/]" if use.path else "[yellow]![/]"
    for n, line in enumerate(describe_in_use(use, root)):
        out.print(f"{mark if n == 0 else ' '} {esc(line)}", soft_wrap=True)


def _with_copy(use):
    """`use` (models.InUse) with where its model's int8 copy stands (saliency.copy_state), when a model loads."""
    if use.path is not None and not use.problem:
        from imgpipe import saliency

        use.copy = saliency.copy_state(use.path)
    return use


# --- cut-out models (imgpipe/models.py) ---
@main.group(cls=ImgpipeGroup)
def model() -> None:
    """Install, list and remove cut-out models (help text: message key cli.model)."""


def _models_folder(ctx, workspace_local: bool) -> Path:
    from imgpipe.models import user_models_dir, workspace_models_dir

    return workspace_models_dir(open_workspace(ctx).root) if workspace_local else user_models_dir()


def _workspace_root(ctx) -> Path | None:
    """The -w workspace (default: the current folder) when there is one; model commands also work without."""
    root = ctx.obj["workspace"].resolve()
    return root if (root / "imgpipe.toml").is_file() else None


def _configured_model(root: Path) -> str:
    """The workspace's `[cutout] model` as written ("" when its settings do not load: `run` says why)."""
    from imgpipe.settings import load_settings

    try:
        return load_settings(root / "imgpipe.toml").cutout.model.strip()
    except ImgpipeError:
        return ""


@model.command("install")
@click.argument("source")
@click.option("--name", default=None, metavar="NAME")
@click.option("--workspace-local", is_flag=True)
@click.pass_context
def model_install(ctx, source, name, workspace_local) -> None:
    """Install a cut-out model from an .onnx file or an http(s) URL."""
    from imgpipe import models

    folder = _models_folder(ctx, workspace_local)
    out = stderr_console()
    before = models.read_index(folder)
    try:
        with _ByteProgress(t("progress.download" if models.is_url(source) else "progress.copy")) as bar:
            made = models.install(source, folder, name=name, installed_at=clock.now_iso(), progress=bar)
    except ImportError:
        fail_usage(ImgpipeError(t("cutout.model_runtime"), fix=t("cutout.model_runtime.fix")))
    except ImgpipeError as err:  # not a model, not found, the download failed: nothing installed
        out.print(f"[bold red]{t('error.prefix')}:[/] {esc(err)}", soft_wrap=True)
        sys.exit(EXIT_FAILED)
    said = t("model.installed", name=made.name, path=made.path, mb=f"{made.size / 2**20:.1f}",
             size="x".join(map(str, made.input_size)) if made.input_size else "?", sha=made.sha256[:12])
    out.print(f"[green]✓[/] {esc(said)}", soft_wrap=True)
    if made.name in before:
        out.print(esc(t("model.replaced")))
    _quantise_installed(made.path, out)
    out.print(esc(t("model.use_hint", name=made.name)), soft_wrap=True)
    sys.exit(EXIT_OK)


def _quantise_installed(path: Path, out) -> None:
    """Make an installed model's int8 copy now (saliency.prepare), so the first run does not wait for it."""
    from imgpipe import saliency

    if not saliency.pending(path, retry=True):
        return
    with Progress(True) as bar:
        bar("quantise", 0, 1)
        copy = saliency.prepare(path, retry=True)
        bar("quantise", 1, 1)
    if copy is None:
        out.print(f"[yellow]![/] {esc(t('model.quantise_failed'))}", soft_wrap=True)
        out.print(esc(t("model.quantise_failed.fix")), soft_wrap=True)
    else:
        out.print(f"[green]✓[/] {esc(t('model.quantised', path=copy, mb=f'{copy.stat().st_size / 2**20:.1f}'))}",
                  soft_wrap=True)


@model.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def model_list(ctx, as_json) -> None:
    """List the installed cut-out models."""
    from imgpipe import models

    root = _workspace_root(ctx)
    found = models.installed(root)
    using = models.resolve(_configured_model(root), root)[0] if root else None  # not loaded: a list stays fast
    workspace_folder = str(models.workspace_models_dir(root)) if root else None
    if as_json:
        emit_json([{**m.as_dict(), "where": "workspace" if m.folder == workspace_folder else "user",
                    "in_use": m.path == using} for m in found])
        sys.exit(EXIT_OK)
    out = stderr_console()
    if not found:
        out.print(esc(t("model.list.empty")))
        out.print(esc(t("model.none.get")), soft_wrap=True)
        sys.exit(EXIT_OK)
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("name", "where", "size", "input", "source", "installed"):
        table.add_column(t(f"model.col.{col}"), overflow="fold")
    for m in found:
        where = t("model.where.workspace" if m.folder == workspace_folder else "model.where.user")
        name = esc(m.name) + (f" [green]({esc(t('model.in_use'))})[/]" if m.path == using else "")
        table.add_row(name, esc(where), f"{m.size / 2**20:.1f} MB",
                      "x".join(map(str, m.input_size)) if m.input_size else "?", esc(m.source), esc(m.installed_at))
    from rich.console import Console

    Console(highlight=False).print(table)  # the list is the command's output: stdout
    sys.exit(EXIT_OK)


@model.command("remove")
@click.argument("name")
@click.option("--workspace-local", is_flag=True)
@click.pass_context
def model_remove(ctx, name, workspace_local) -> None:
    """Remove the installed cut-out model NAME."""
    from imgpipe import models

    folder = _models_folder(ctx, workspace_local)
    try:
        gone = models.remove(name, folder)
    except ImgpipeError as err:
        fail_usage(err)
    out = stderr_console()
    out.print(esc(t("model.removed", name=gone.name, path=gone.path)), soft_wrap=True)
    root = _workspace_root(ctx)
    if root is not None:
        configured = _configured_model(root)
        if configured == gone.name and models.resolve(configured, root)[1] is None:
            out.print(f"[yellow]{esc(t('model.removed_in_use', name=gone.name))}[/]", soft_wrap=True)
    sys.exit(EXIT_OK)


class _ByteProgress:
    """A byte-counting rich progress bar on stderr while a model is copied or downloaded (terminals only)."""

    def __init__(self, label: str):
        self.label, self.bar, self.task = label, None, None

    def __enter__(self):
        if sys.stderr.isatty():
            from rich.progress import (BarColumn, DownloadColumn, Progress as Bar, TimeRemainingColumn,
                                       TransferSpeedColumn)

            self.bar = Bar("[progress.description]{task.description}", BarColumn(), DownloadColumn(),
                           TransferSpeedColumn(), TimeRemainingColumn(), console=stderr_console(), transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=None)
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


# --- workbench (imgpipe/web/) ---
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8765, show_default=True)
@click.option("--token", default=None)
@click.option("--open", "open_browser", is_flag=True)
@click.option("--watch", "watch_inbox", is_flag=True)
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
