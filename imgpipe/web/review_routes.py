"""The workbench's operations review: who is acting, approve / send back, history, listing packages.

The routes are in app.py. The name of whoever acts is kept in the browser (cookie `imgpipe_who`, set
by the page once per browser; it is a label, not a credential: on the LAN
the access token still guards the server) and sent with every request;
`who_of` reads it.
"""

from __future__ import annotations

from urllib.parse import unquote

from starlette.requests import Request

from imgpipe.messages import t

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
    from imgpipe.review import platform_labels as labels

    return labels(ws)


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
