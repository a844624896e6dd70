"""The workbench's routes: the board, an article, its files, fixes, uploads, sold out, listed.

Every change goes through the core the CLI uses (sidecar.save_sidecar,
pipeline.run, soldout.mark, status.mark_listed) — the page can do nothing
the CLI cannot. Long work runs in jobs.Jobs; the pages follow it through
server-sent events at /events.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
import time
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response,
                                 StreamingResponse)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from imgpipe import clock
from imgpipe.errors import ImgpipeError
from imgpipe.messages import get_language, t
import imgpipe.web.security as security
from imgpipe.web.jobs import Jobs, render_article
from imgpipe.web.reports import failure_counts, findings_for, latest_reports
from imgpipe.web.review_routes import matches_review, platform_labels, review_filter_options, review_view, who_of
from imgpipe.thumbs import SIZES, THUMB_DIR, thumbnail

HERE = Path(__file__).parent
MAX_UPLOAD_BYTES = 200 * 1024 * 1024   # one file; a 16-bit TIFF from a 45-MP camera is ~ 270 MB uncompressed
MAX_UPLOAD_FILES = 500
# our pages load only their own files (no inline script runs), and are never framed: a framing
# page could trick a click on "sold out"; files are served as what their name says, never sniffed
PAGE_HEADERS = {"Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                           "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
                "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
FILE_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN"}
JS_TEXTS = ("saved", "queued", "progress", "started", "done", "uploaded", "upload_failed", "select_first", "selected",
            "stage_analyse", "stage_render", "stage_pages")


class Guard:
    """ASGI middleware: access token / loopback check, then CSRF on state-changing requests."""

    def __init__(self, app, state):
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope)
        token = self.state.token
        given = (request.query_params.get("token") or request.cookies.get(security.TOKEN_COOKIE)
                 or _bearer(request.headers.get("authorization", "")))
        client = scope.get("client") or ("", 0)
        local = security.is_loopback(client[0]) and security.is_loopback(
            security.host_of(request.headers.get("host", "")))
        if not (local or (token and security.same(given, token))):
            code = 403 if given else 401
            return await _error_response(self.state, code, t("web.denied" if given else "web.need_token"),
                                         t("web.need_token.fix"))(scope, receive, send)
        if token and request.query_params.get("token") and request.method == "GET":
            # from the printed URL: keep the token in a cookie and drop it from the address bar
            response = RedirectResponse(request.url.remove_query_params("token"), status_code=303)
            response.set_cookie(security.TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return await response(scope, receive, send)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not security.same(
                request.headers.get(security.CSRF_HEADER), self.state.csrf):
            return await _error_response(self.state, 403, t("web.csrf"), t("web.csrf.fix"))(scope, receive, send)
        return await self.app(scope, receive, send)


def _label(key: str, default: str) -> str:
    """t(key), or `default` for a name the catalogue does not know (a check added to a report later)."""
    try:
        return t(key)
    except KeyError:
        return default


def _bearer(header: str) -> str | None:
    return header[7:].strip() if header.lower().startswith("bearer ") else None


class State:
    """What the routes share: workspace root, tokens, templates, the job runner."""

    def __init__(self, root: Path, token: str | None, jobs: int | None, watching: bool):
        self.root = Path(root).resolve()
        self.token = token
        self.csrf = security.new_secret()
        self.watching = watching
        self.closing = threading.Event()  # set on Ctrl-C: event streams end, so the server can stop at once
        self.runner = Jobs(self.root, jobs)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
        from imgpipe.review import byline

        self.env.globals.update(t=t, csrf=self.csrf, label=_label, review_byline=byline)
        self._sheet = (None, None)

    @contextlib.contextmanager
    def workspace(self):
        """A Workspace for this request (its own SQLite connection), closed afterwards."""
        from imgpipe.workspace import Workspace

        ws = Workspace.open(self.root)
        try:
            yield ws
        finally:
            if "catalog" in ws.__dict__:
                ws.catalog.close()

    def page(self, name: str, status: int = 200, **ctx) -> HTMLResponse:
        texts = {k: t(f"web.js.{k}") for k in JS_TEXTS}
        html = self.env.get_template(name).render(lang=get_language(), watching=self.watching, js_texts=texts, **ctx)
        return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def _error_response(state: State, status: int, message: str, fix: str = ""):
    try:
        return state.page("error.html", status, status_code=status, message=message, fix=fix)
    except Exception:  # the workspace itself is broken: still no traceback
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status)


# --- the board ------------------------------------------------------------------

async def board(request: Request):
    state: State = request.app.state.web
    return await asyncio.to_thread(_board, state, dict(request.query_params))


def _board(state: State, query: dict) -> HTMLResponse:
    from imgpipe.status import STATES, TIMINGS, build_board

    started = time.perf_counter()
    with state.workspace() as ws:
        today = clock.today()
        rows = build_board(ws, today)
        platforms = list(ws.profiles)
        labels = platform_labels(ws)
        sla = ws.settings.sla.days
        # the sheet file itself unreadable, or two sheets: said on the board, gone once the file is fixed
        sheet_problems = [e for e in ws.sheet().errors if e.row is None]
    fails = failure_counts(state.root)
    want_state, want_timing, text = query.get("state", ""), query.get("timing", ""), query.get("q", "").strip()
    want_review = query.get("review", "")
    shown = [r for r in rows if (not want_state or r.state == want_state)
             and (not want_timing or r.timing == want_timing) and matches_review(r, want_review)
             and (not text or text.casefold() in (r.article + " " + r.name).casefold())]
    counts = {k: sum(1 for r in rows if r.timing == k) for k in TIMINGS}
    return state.page("board.html", rows=shown, total=len(rows), counts=counts, fails=fails, platforms=platforms,
                      sheet_problems=sheet_problems,
                      today=today, sla=sla, states=STATES, timings=TIMINGS, want_state=want_state,
                      want_timing=want_timing, q=text, ms=round((time.perf_counter() - started) * 1000),
                      platform_labels=labels, review_options=review_filter_options(labels), want_review=want_review)


# --- the validation report ---------------------------------------------------------

async def reports_page(request: Request):
    state: State = request.app.state.web
    query = dict(request.query_params)

    def build():
        with state.workspace():  # sets the workspace's language
            pass
        reports = latest_reports(state.root)
        for r in reports:
            html = r["file"][:-len(".json")] + ".html"
            r["html"] = html if (state.root / html).is_file() else ""
        status, platform, text = query.get("status", ""), query.get("platform", ""), query.get("q", "").strip()
        cards = [dict(a, platform=r["platform"]) for r in reports for a in r.get("articles", [])
                 if (not status or a.get("status") == status) and (not platform or r["platform"] == platform)
                 and (not text or text.casefold() in (a["article"] + " " + a.get("name", "")).casefold())]
        order = {"error": 0, "warning": 1, "waiting": 2, "pass": 3}
        cards.sort(key=lambda a: (order.get(a.get("status"), 9), a["article"], a["platform"]))
        return state.page("reports.html", reports=reports, cards=cards, want_status=status,
                          want_platform=platform, q=text)

    return await asyncio.to_thread(build)


async def validate_route(request: Request):
    """`imgpipe validate` from the page: writes the reports into reports/ as the command does."""
    state: State = request.app.state.web

    def work(ws, progress):
        from imgpipe.validate import validate_workspace

        result = validate_workspace(ws)
        return {"reports": [str(r.json.relative_to(ws.root)) for r in result.reports if r.json]}

    return JSONResponse({"ok": True, "job": state.runner.submit("validate", None, work)})


# --- an article -----------------------------------------------------------------

def _product(ws, article: str):
    from imgpipe.sheet import normalise_article

    product = ws.sheet().products.get(normalise_article(article))
    if product is None:
        raise HTTPException(404, t("status.unknown_article", article=article))
    return product


def article_view(ws, product, runner: Jobs) -> dict:
    """Everything the article page shows, from the catalog, the sidecar and the last checks."""
    from imgpipe.roles import ROLES, kinds, label_of, role_of, sort_key
    from imgpipe.sidecar import load_sidecar, sidecar_path
    from imgpipe.validate.model import colour_summary
    from imgpipe.validate.report import colour_line

    cat = ws.catalog
    photos = cat.photos(product.article)
    by_id = {p.id: p for p in photos}
    try:
        sidecar, sidecar_error = load_sidecar(sidecar_path(ws.root, product)), ""
    except ImgpipeError as err:
        from imgpipe.sidecar import Sidecar

        sidecar, sidecar_error = Sidecar(), str(err)
    outputs = cat.outputs(product.article)
    roles: dict[int, list[str]] = {}   # photo id -> role badges (from the first platform's outputs)
    after: dict[int, str] = {}         # photo id -> its colour-corrected detail image (first platform)
    platforms: dict[str, dict[str, list[dict]]] = {}
    headings: dict[tuple[str, str], str] = {}
    first = next(iter(ws.profiles), None)
    for row in outputs:
        profile = ws.profiles.get(row.platform)
        spec = profile.roles.get(row.role) if profile else None
        name = row.path.rsplit("/", 1)[-1]
        item = {"path": row.path, "name": name, "role": row.role, "photo_id": row.photo_id, "width": row.width,
                "height": row.height, "bytes": row.nbytes, "colour": row.colour, "index": row.selling_point}
        platforms.setdefault(row.platform, {}).setdefault(row.role, []).append(item)
        headings[(row.platform, row.role)] = label_of(row.role, spec, group=True) if row.kind in ROLES else row.role
        if row.platform == first and row.kind in kinds("details"):
            after[row.photo_id] = row.path
        if row.platform == first and row.photo_id in by_id and row.kind in ROLES and row.kind not in kinds("details"):
            badge = label_of(row.role, spec, colour=row.colour, index=row.selling_point)
            roles.setdefault(row.photo_id, []).append(badge)
    # images shown on a checkerboard (cut-outs) and as themselves (alpha: a JPEG thumbnail would flatten it)
    checks_of = {(row.platform, row.role): role_of(row.role, ws.profiles[row.platform].roles.get(row.role)).checks
                 for row in outputs if row.platform in ws.profiles and row.kind in ROLES}
    cut_roles = {role for (_, role), checks in checks_of.items() if "cut_out" in checks}
    alpha_roles = {role for (_, role), checks in checks_of.items() if "alpha" in checks}
    for groups in platforms.values():
        for items in groups.values():
            items.sort(key=lambda i: (i["index"], i["colour"], i["name"]))

    def listed(platform: str) -> list[tuple[str, str, list[dict]]]:
        profile = ws.profiles.get(platform)
        order = sorted(platforms[platform], key=lambda r: sort_key(r, profile.roles.get(r) if profile else None))
        return [(r, headings[(platform, r)], platforms[platform][r]) for r in order]

    ordered = {p: listed(p) for p in [*ws.profiles, *sorted(set(platforms) - set(ws.profiles))] if p in platforms}
    if product.article in runner.checks:   # checked since this server started: the freshest
        checks, checked = runner.checks[product.article], t("web.checked_now")
    else:                                  # else what the last `imgpipe validate` found
        checks, date = findings_for(ws.root, product.article)
        checked = t("web.checked_report", date=date) if date else ""
    by_file: dict[str, list[dict]] = {}
    general: list[dict] = []
    shown = {row["path"] for row in outputs} | {p.original for p in photos}
    merged: dict[tuple, dict] = {}   # the same finding on several platforms: once, naming them all
    labels = platform_labels(ws)     # as the review cards name them: 天猫, not tmall
    for f in checks:
        key = (f.get("file"), f["message"], f.get("fix"), f["severity"])
        label = labels.get(f["platform"], f["platform"])
        if key in merged:
            merged[key]["platform"] += t("detail.label.list_sep") + label
        else:
            merged[key] = dict(f, platform=label)
    for finding in merged.values():  # beside the image it is about; in the list when that image is not on the page
        (by_file.setdefault(finding["file"], []) if finding.get("file") in shown else general).append(finding)
    # the main images as they are now, for "add/remove/move" to start from when the sidecar has none
    # (one role's: a 3:4 main images role picks the same photos in other slots)
    mains = [r for r in outputs if r.platform == first and r.kind in kinds("header")]
    one = "main" if any(r.role == "main" for r in mains) else min((r.role for r in mains), default="")
    auto_main = sorted(by_id[r.photo_id].seq for r in mains if r.photo_id in by_id and r.role == one)
    sku_of = {c: sidecar.colours.get(c, [None])[0] for c in product.colours}
    for r in outputs:
        if r.platform == first and r.colour and not sku_of.get(r.colour) and r.photo_id in by_id:
            sku_of[r.colour] = by_id[r.photo_id].seq
    return {
        "product": product, "photos": photos, "roles": roles, "after": after, "platforms": ordered, "sidecar": sidecar,
        "sidecar_error": sidecar_error, "checks_by_file": by_file, "checks_general": general,
        "checked": checked, "sku_of": sku_of, "auto_main": auto_main,
        "sold": cat.soldout(product.article), "listed": cat.listings(product.article),
        "profiles": list(ws.profiles), "last": runner.last.get(product.article),
        "sidecar_json": json.dumps(dataclasses.asdict(sidecar), ensure_ascii=False),
        "colour_line": colour_line(colour_summary(photos)), "cut_roles": cut_roles, "alpha_roles": alpha_roles,
    }


async def article_page(request: Request):
    state: State = request.app.state.web

    def build():
        with state.workspace() as ws:
            product = _product(ws, request.path_params["article"])
            return state.page("article.html", **article_view(ws, product, state.runner),
                              **review_view(ws, product.article))

    return await asyncio.to_thread(build)


# --- files and thumbnails ----------------------------------------------------------

async def file_route(request: Request):
    state: State = request.app.state.web
    path = security.safe_file(state.root, request.path_params["area"], request.path_params["path"])
    if path is None:
        raise HTTPException(404, t("web.no_file"))
    return FileResponse(path, headers=FILE_HEADERS)


async def thumb_route(request: Request):
    state: State = request.app.state.web
    area = request.path_params["area"]
    path = security.safe_file(state.root, area, request.path_params["path"]) if area in ("originals", "output") else None
    try:
        size = int(request.query_params.get("s", SIZES[0]))
    except ValueError:
        size = 0
    if path is None or size not in SIZES:
        raise HTTPException(404, t("web.no_file"))
    try:
        out = await asyncio.to_thread(thumbnail, state.root, path, size)
    except ImgpipeError as err:
        raise HTTPException(415, str(err)) from None
    checked = security.safe_file(state.root, THUMB_DIR, out.relative_to(state.root / THUMB_DIR).as_posix())
    return FileResponse(checked, headers=dict(FILE_HEADERS, **{"Cache-Control": "private, max-age=31536000, immutable"}))


async def favicon(request: Request):
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers=dict(FILE_HEADERS, **{"Cache-Control": "public, max-age=86400"}))


# --- changes ---------------------------------------------------------------------

async def _json_body(request: Request) -> dict:
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise HTTPException(400, t("web.bad_request"))
    return data


def apply_fix(sidecar, product, photos, data: dict):
    """A new Sidecar with the change `data` ({action, seq, colour, index, crop, seqs}) applied.

    Sequence numbers must be the article's own publishable photos; ImgpipeError otherwise.
    """
    from imgpipe.sidecar import SellingPointSource

    seqs = {p.seq for p in photos if p.kind == "photo"}
    action = data.get("action")

    def seq_of(value) -> int:
        if not isinstance(value, int) or value not in seqs:
            raise ImgpipeError(t("web.bad_photo", seq=value, article=product.article), field="seq",
                               fix=t("web.bad_photo.fix", known=", ".join(map(str, sorted(seqs)))))
        return value

    if action == "main":
        order = [seq_of(s) for s in data.get("seqs") or []]
        return dataclasses.replace(sidecar, main=list(dict.fromkeys(order)))
    if action in ("white", "large"):
        return dataclasses.replace(sidecar, **{action: seq_of(data.get("seq"))})
    if action == "skip":
        seq = seq_of(data.get("seq"))
        skip = [s for s in sidecar.skip if s != seq] + ([seq] if data.get("on", True) else [])
        return dataclasses.replace(sidecar, skip=sorted(skip))
    if action == "sku":
        colour = data.get("colour")
        if colour not in product.colours:
            raise ImgpipeError(t("soldout.unknown_colour", article=product.article, colour=colour), field="colour",
                               fix=t("soldout.unknown_colour.fix", known=", ".join(product.colours)))
        seq = seq_of(data.get("seq"))
        colours = dict(sidecar.colours)
        colours[colour] = [seq] + [s for s in colours.get(colour, []) if s != seq]   # the first is the SKU image
        return dataclasses.replace(sidecar, colours=colours)
    if action == "selling_point":
        index = data.get("index")
        if not isinstance(index, int) or not 1 <= index <= len(product.selling_points):
            raise ImgpipeError(t("web.bad_selling_point", index=index, count=len(product.selling_points)),
                               field="index")
        crop = data.get("crop") or []
        if crop and (len(crop) != 4 or not all(isinstance(v, (int, float)) for v in crop)):
            raise ImgpipeError(t("web.bad_crop"), field="crop")
        crop = [round(min(max(float(v), 0.0), 1.0), 4) for v in crop]
        points = list(sidecar.selling_points)
        points += [SellingPointSource()] * (index - len(points))
        points[index - 1] = SellingPointSource(photo=seq_of(data.get("seq")), crop=crop)
        return dataclasses.replace(sidecar, selling_points=points)
    raise ImgpipeError(t("web.bad_action", action=action), field="action")


def _render_and_check(state: State, article: str | None, before=None):
    render = render_article(None, article, before)

    def work(ws, progress):
        result = render(ws, progress)
        for path in result.pop("paths", []):  # thumbnails now, so the reloaded page shows at once
            with contextlib.suppress(ImgpipeError, OSError):
                thumbnail(ws.root, ws.root / path, SIZES[0], ws.settings.max_megapixels)
        if article:
            state.runner.checks[article] = check_article(ws, article)
        return result

    return work


def check_article(ws, article: str) -> list[dict]:
    """The validation findings for one article (all platforms), as `imgpipe validate` finds them."""
    from imgpipe.validate import validate_workspace

    result = validate_workspace(ws, articles=[article], write=False)
    found = []
    for report in result.reports:
        for art in report.articles:
            for check in art.checks.values():
                for f in check.findings:
                    found.append(dict(f.as_dict(), platform=report.platform))
    return found


def _refuse_while_watching(state: State):
    """Changes are refused while a watcher owns the workspace, as `imgpipe run` and `soldout` are."""
    from imgpipe.lock import ensure_no_watcher

    if state.watching:  # our own watcher (--watch) takes turns with the page's jobs (lock.WRITER)
        return
    ensure_no_watcher(state.root)


def _watcher_running(root: Path) -> bool:
    from imgpipe.lock import ensure_no_watcher

    try:
        ensure_no_watcher(root)
        return False
    except ImgpipeError:
        return True


async def fix_route(request: Request):
    """Change who plays which role (the sidecar), then re-render the article in the background.

    The change is checked now (a bad one is refused at once, nothing written), queued on disk
    (fixes.py) and only then acknowledged; the job applies the queue under the run lock, to the
    sidecar as it is then: quick successive fixes all count. While a CLI run holds the workspace
    the answer says so ("queued") and the fix applies when the run ends.
    """
    from imgpipe.sidecar import load_sidecar, sidecar_path
    from imgpipe.web.fixes import queue_fix, run_busy, with_queued

    state: State = request.app.state.web
    data = await _json_body(request)
    who = who_of(request)

    def change():
        _refuse_while_watching(state)
        with state.workspace() as ws:
            product = _product(ws, request.path_params["article"])
            photos = ws.catalog.photos(product.article)
            before = with_queued(ws, product, load_sidecar(sidecar_path(ws.root, product)), photos, apply_fix)
            new = apply_fix(before, product, photos, data)
        queue_fix(state.root, product.article, data)   # on disk before the page says "saved"
        with state.workspace() as ws:  # who asked for it, in the activity log (the queue applies it)
            ws.catalog.add_activity(article=product.article, action="fix", who=who, detail=data)
        # the lock held while our own jobs run may be theirs: a job queued behind them applies this fix
        # (and waits on disk itself if a CLI run took the lock meanwhile); only with none running is it a run's
        if run_busy(state.root) and state.runner.idle():
            state.fixes.poke()
            return {"ok": True, "queued": True, "message": t("web.fix_queued"), "sidecar": dataclasses.asdict(new)}
        return {"ok": True, "job": state.fixes.submit(product.article), "sidecar": dataclasses.asdict(new)}

    return JSONResponse(await asyncio.to_thread(change))


async def soldout_route(request: Request):
    state: State = request.app.state.web
    data = await _json_body(request)
    article = request.path_params["article"]
    who = who_of(request)

    def submit():
        from imgpipe.soldout import check_variant, mark

        _refuse_while_watching(state)
        with state.workspace() as ws:
            product, colour, size = check_variant(ws, article, str(data.get("colour") or ""),
                                                  str(data.get("size") or ""))
        on = bool(data.get("sold_out", True))

        def work(ws, progress):
            result = mark(ws, product.article, colour, size, on, who=who)
            state.runner.checks[product.article] = check_article(ws, product.article)
            return {"changed": result.changed_files, "failed": result.failed}

        return {"ok": True, "job": state.runner.submit("soldout", product.article, work)}

    return JSONResponse(await asyncio.to_thread(submit))


async def listed_route(request: Request):
    state: State = request.app.state.web
    data = await _json_body(request)
    who = who_of(request)

    def change():
        from imgpipe.review import check_listing
        from imgpipe.status import mark_listed

        with state.workspace() as ws:
            product = _product(ws, request.path_params["article"])
            chosen = list(ws.enabled(list(data.get("platforms") or []) or None))
            forced = check_listing(ws.catalog, product.article, chosen, bool(data.get("force")), platform_labels(ws))
            mark_listed(ws, product.article, chosen, who=who, forced=forced)
            return {"ok": True, "article": product.article, "platforms": chosen,
                    "listed": ws.catalog.listings(product.article)}

    return JSONResponse(await asyncio.to_thread(change))


async def check_route(request: Request):
    state: State = request.app.state.web
    with state.workspace() as ws:
        article = _product(ws, request.path_params["article"]).article

    def work(ws, progress):
        state.runner.checks[article] = check_article(ws, article)
        return {"findings": len(state.runner.checks[article])}

    return JSONResponse({"ok": True, "job": state.runner.submit("check", article, work)})


async def upload_route(request: Request):
    """Photos dropped on the page land in inbox/ (inbox/<article>/ when dropped on an article)."""
    from starlette.formparsers import MultiPartException

    from imgpipe.web.uploads import UPLOAD_TEMP, WorkspaceUploadParser, store_uploads

    state: State = request.app.state.web
    if "multipart/form-data" not in request.headers.get("content-type", ""):
        raise HTTPException(400, t("web.bad_request"))
    parser = WorkspaceUploadParser(request.headers, request.stream(), folder=state.root / UPLOAD_TEMP,
                                   max_bytes=MAX_UPLOAD_BYTES, max_files=MAX_UPLOAD_FILES, max_fields=50)
    await asyncio.to_thread(parser.sweep, time.time())
    try:  # each file streamed to the workspace's upload folder, then checked and moved in (uploads.py)
        try:
            form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(400, f"{t('web.bad_request')}: {exc.message}") from None
        files = [f for f in form.getlist("photos") if hasattr(f, "filename")]
        article = str(form.get("article") or "").strip()
        result = await asyncio.to_thread(store_uploads, state.root, article, files, MAX_UPLOAD_BYTES,
                                         parser.too_big)
    finally:
        await asyncio.to_thread(parser.discard)
    if result["stored"]:
        await asyncio.to_thread(_log_upload, state, result, who_of(request))
    if result["stored"] and not state.watching and not _watcher_running(state.root):
        # (a watcher, ours with --watch or another process's, takes them as it takes a copy)
        result["job"] = state.runner.submit("render", result["article"] or None,
                                            _render_and_check(state, result["article"] or None))
    status = 200 if result["stored"] or not result["refused"] else 415
    return JSONResponse(dict(result, ok=not result["refused"]), status_code=status)


# --- operations review (review.py, export.py: as the CLI's review / export / history) ---

async def _act_on_article(request: Request, act):
    """`act(ws, article, data, who)` in a thread on this request's workspace, for the article in the path."""
    state = request.app.state.web
    data = await _json_body(request)
    who = who_of(request)

    def run():
        with state.workspace() as ws:
            return act(ws, _product(ws, request.path_params["article"]).article, data, who)

    return await asyncio.to_thread(run)


async def review_route(request: Request):
    """Approve ({platform, approve: true}) or send back ({platform, approve: false, note, image})."""
    from imgpipe.approval import HasErrors, decide

    def act(ws, article, data, who):
        try:
            review = decide(ws, article, str(data.get("platform") or ""), approve=bool(data.get("approve")),
                            who=who, note=str(data.get("note") or ""), image=str(data.get("image") or ""),
                            force=bool(data.get("force")), reason=str(data.get("reason") or ""))
        except HasErrors as err:  # the CLI's refusal; the page offers its forced path (a reason) in place of flags
            return JSONResponse({"ok": False, "message": str(err.message), "fix": str(t("web.review.has_errors.fix")),
                                 "can_force": True, "errors": [f.as_dict() for f in err.errors]}, status_code=400)
        return JSONResponse({"ok": True, "article": article, "platform": review.platform, **review.as_dict()})

    return await _act_on_article(request, act)


async def export_route(request: Request):
    """The listing package as a download ({platform, force}); refused (JSON) when not approved."""
    from imgpipe.export import export_package

    def act(ws, article, data, who):
        return export_package(ws, article, str(data.get("platform") or ""), force=bool(data.get("force")), who=who).zip

    path = await _act_on_article(request, act)
    return FileResponse(path, media_type="application/zip", filename=path.name,
                        headers={"X-Content-Type-Options": "nosniff"})


async def history_csv(request: Request):
    """`imgpipe history ARTICLE --csv`, as a download."""
    from imgpipe.review import history

    state = request.app.state.web

    def build():
        with state.workspace() as ws:
            product = _product(ws, request.path_params["article"])
            return product.article, history(ws, product.article).as_csv()

    article, text = await asyncio.to_thread(build)
    # with a BOM: Excel on Windows opens UTF-8 Chinese correctly only then
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(article)}-history.csv"})


def _log_upload(state: State, result: dict, who: str) -> None:
    with state.workspace() as ws:
        ws.catalog.add_activity(article=result.get("article") or "", action="upload", who=who,
                                detail={"files": [str(f) for f in result["stored"]]})


async def events(request: Request):
    """Server-sent events: every job's queued/started/progress/done/error, as JSON."""
    state: State = request.app.state.web
    q = state.runner.listen()

    async def stream():
        try:
            yield "retry: 2000\n\n"
            idle = 0.0
            while not state.closing.is_set() and not await request.is_disconnected():
                sent = False
                while not q.empty():
                    yield f"data: {json.dumps(q.get_nowait(), ensure_ascii=False, default=str)}\n\n"
                    sent = True
                if not sent:
                    await asyncio.sleep(0.2)
                    idle += 0.2
                    if idle >= 15:  # keep proxies and the browser from closing a quiet stream
                        idle = 0.0
                        yield ": ping\n\n"
        finally:
            state.runner.unlisten(q)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})


# --- errors ------------------------------------------------------------------------

async def http_error(request: Request, exc: HTTPException):
    state: State = request.app.state.web
    if _wants_json(request):
        return JSONResponse({"ok": False, "message": exc.detail}, status_code=exc.status_code)
    return _error_response(state, exc.status_code, str(exc.detail))


async def imgpipe_error(request: Request, exc: ImgpipeError):
    state: State = request.app.state.web
    if _wants_json(request):
        return JSONResponse({"ok": False, "message": str(exc), "fix": exc.fix or ""}, status_code=400)
    return _error_response(state, 400, str(exc), exc.fix or "")


async def server_error(request: Request, exc: Exception):
    import traceback

    traceback.print_exception(exc)  # for the server log only; the page gets a sentence
    state: State = request.app.state.web
    message = t("web.server_error", detail=type(exc).__name__)
    if _wants_json(request):
        return JSONResponse({"ok": False, "message": message}, status_code=500)
    return _error_response(state, 500, message)


def _wants_json(request: Request) -> bool:
    return request.method != "GET" or "application/json" in request.headers.get("accept", "")


def create_app(root: Path, *, token: str | None = None, host: str = "127.0.0.1", jobs: int | None = None,
               watching: bool = False) -> Starlette:
    """The workbench for workspace `root`. `token`: required from non-local clients (see security.py)."""
    state = State(root, security.server_token(host, token), jobs, watching)
    if watching:
        from imgpipe.lock import SHARED_WATCH

        SHARED_WATCH.add(state.root)  # this process's watcher and the page's jobs take turns (lock.WRITER)
    with state.workspace() as ws:
        ws.sheet()  # a broken workspace fails here, before the server starts; and the first page is quick
    routes = [
        Route("/", board),
        Route("/a/{article}", article_page),
        Route("/a/{article}/fix", fix_route, methods=["POST"]),
        Route("/a/{article}/soldout", soldout_route, methods=["POST"]),
        Route("/a/{article}/listed", listed_route, methods=["POST"]),
        Route("/a/{article}/check", check_route, methods=["POST"]),
        Route("/a/{article}/review", review_route, methods=["POST"]),
        Route("/a/{article}/export", export_route, methods=["POST"]),
        Route("/a/{article}/history.csv", history_csv),
        Route("/upload", upload_route, methods=["POST"]),
        Route("/reports", reports_page),
        Route("/reports/run", validate_route, methods=["POST"]),
        Route("/events", events),
        Route("/file/{area}/{path:path}", file_route),
        Route("/thumb/{area}/{path:path}", thumb_route),
        Route("/favicon.ico", favicon),  # asked for by browsers whatever the page links: no 404 in the console
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard, state=state)],
                    exception_handlers={HTTPException: http_error, ImgpipeError: imgpipe_error,
                                        Exception: server_error})
    app.router.redirect_slashes = False  # an unknown path is a 404 page, not a redirect to a guessed one
    app.state.web = state
    from imgpipe.web.fixes import FixQueue

    state.fixes = FixQueue(state, apply_fix, lambda article, before: _render_and_check(state, article, before))
    state.fixes.poke()   # fixes a stopped server left queued are applied now (or when the run lock frees)
    return app
