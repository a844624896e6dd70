"""The workbench's operations review: who is acting, approve / send back, history, listing packages.

The name of whoever acts is kept in the browser (cookie `imgpipe_who`, set
by the page once per browser; it is a label, not a credential: on the LAN
the access token still guards the server) and sent with every request;
`who_of` reads it. Decisions go through review.decide, packages through
export.export_package, exactly as the CLI does.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from imgpipe.messages import get_language, t

WHO_COOKIE = "imgpipe_who"


def who_of(request: Request) -> str:
    """The acting person's name from the request's cookie ('' when the browser has none yet)."""
    raw = request.cookies.get(WHO_COOKIE) or ""
    try:
        name = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return ""
    return " ".join(name.split())[:40]


def platform_labels(ws) -> dict[str, str]:
    """{platform: its name in the interface language} (tmall -> 天猫)."""
    return {name: profile.label(get_language()) for name, profile in ws.profiles.items()}


def review_view(ws, article: str) -> dict:
    """What the article page adds for review: state per platform, the history, platform names."""
    from imgpipe.review import history

    found = history(ws, article)
    return {"reviews": found.reviews, "history": list(reversed(found.entries)), "platform_labels": platform_labels(ws),
            "article_images": {p: [r["path"] for r in ws.catalog.outputs(article, p)] for p in ws.profiles}}


def review_filter_options(platforms: dict[str, str]) -> list[tuple[str, str]]:
    """[(value, label)] for the board's review filter: `pending:tmall` -> "待审核 · 天猫"."""
    from imgpipe.review import STATES

    return [(f"{s}:{p}", f"{t('review.state.' + s)} · {label}") for p, label in platforms.items() for s in STATES]


def matches_review(row, wanted: str) -> bool:
    """The board row's platform is in the wanted review state (`state:platform`; '' matches all)."""
    if not wanted or ":" not in wanted:
        return True
    state, platform = wanted.split(":", 1)
    review = row.reviews.get(platform)
    return review is not None and review.state == state and platform not in row.listed


async def _act_on_article(request: Request, act):
    """`act(ws, article, data, who)` in a thread on this request's workspace, for the article in the path."""
    from imgpipe.web.app import _json_body, _product

    state = request.app.state.web
    data = await _json_body(request)
    who = who_of(request)

    def run():
        with state.workspace() as ws:
            return act(ws, _product(ws, request.path_params["article"]).article, data, who)

    return await asyncio.to_thread(run)


async def review_route(request: Request):
    """Approve ({platform, approve: true}) or send back ({platform, approve: false, note, image})."""
    from imgpipe.review import decide

    def act(ws, article, data, who):
        review = decide(ws, article, str(data.get("platform") or ""), approve=bool(data.get("approve")),
                        who=who, note=str(data.get("note") or ""), image=str(data.get("image") or ""))
        return {"ok": True, "article": article, "platform": review.platform, **review.as_dict()}

    return JSONResponse(await _act_on_article(request, act))


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
    from imgpipe.web.app import _product

    state = request.app.state.web

    def build():
        with state.workspace() as ws:
            product = _product(ws, request.path_params["article"])
            return product.article, history(ws, product.article).as_csv()

    article, text = await asyncio.to_thread(build)
    # with a BOM: Excel on Windows opens UTF-8 Chinese correctly only then
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(article)}-history.csv"})

