"""The three-day board (R1): what is due, due today, overdue, and done.

Per article of the product sheet: arrival date (到货日期), due date (arrival
+ `[sla] days` calendar days), state (waiting for photos / processing /
ready / listed) and whether it is on time. Sorted with the most urgent first.
`imgpipe listed ARTICLE` records that an article went on sale.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from imgpipe import clock
from imgpipe.messages import t
from imgpipe.roles import kinds

STATES = ("waiting", "processing", "ready", "listed")
TIMINGS = ("overdue", "due_today", "on_time", "late", "done", "no_date")


@dataclass
class BoardRow:
    article: str
    name: str
    arrival: dt.date | None
    due: dt.date | None
    state: str              # waiting | processing | ready | listed
    timing: str             # overdue | due_today | on_time | late (listed after due) | done | no_date
    days: int | None        # days left (>0), 0 today, days over (<0); None without a date
    photos: int = 0
    listed: dict[str, str] = field(default_factory=dict)   # platform -> listed_at
    platforms_ready: list[str] = field(default_factory=list)
    reviews: dict = field(default_factory=dict)   # platform -> review.Review (operations review, 图片审核)

    def as_dict(self) -> dict:
        return {
            "article": self.article, "name": self.name,
            "arrival": self.arrival.isoformat() if self.arrival else None,
            "due": self.due.isoformat() if self.due else None,
            "state": self.state, "timing": self.timing, "days": self.days, "photos": self.photos,
            "listed": self.listed, "platforms_ready": self.platforms_ready,
            "review": {p: r.as_dict() for p, r in self.reviews.items()},
        }


def due_date(arrival: dt.date, days: int) -> dt.date:
    """Arrival + `days` calendar days (weekends and holidays count: the shop works them)."""
    return arrival + dt.timedelta(days=days)


def timing_of(due: dt.date | None, today: dt.date, listed_on: dt.date | None) -> tuple[str, int | None]:
    """(timing, days): days left when positive, 0 on the due day, days over when negative."""
    if due is None:
        return ("done" if listed_on else "no_date"), None
    if listed_on is not None:
        return ("late" if listed_on > due else "done"), (due - listed_on).days
    days = (due - today).days
    return ("overdue" if days < 0 else "due_today" if days == 0 else "on_time"), days


_URGENCY = {"overdue": 0, "due_today": 1, "on_time": 2, "no_date": 3, "late": 4, "done": 5}


def urgency_key(row: BoardRow):
    """Most urgent first: most overdue, due today, soonest due, no date, then the listed ones."""
    return (_URGENCY[row.timing], row.days if row.days is not None and row.timing in ("overdue", "due_today", "on_time")
            else 0, row.due or dt.date.max, row.article)


def build_board(ws, today: dt.date | None = None) -> list[BoardRow]:
    """One row per article of the sheet (and any in the catalog the sheet lost)."""
    today = today or clock.today()
    cat = ws.catalog
    sheet = ws.sheet()
    platforms = list(ws.profiles)
    days = ws.settings.sla.days
    articles = list(sheet.products) + [a for a in cat.articles() if a not in sheet.products]
    # whole-table reads, once: per-article queries and a stat of every output made 500 articles take seconds
    mains: dict[tuple[str, str], list[str]] = {}
    for kind in kinds("header"):  # the listing's first image
        for r in cat.outputs(kind=kind):
            mains.setdefault((r.article, r.platform), []).append(r.path)
    paged = cat.sliced_pages()
    from imgpipe.review import Review, reviews

    states = reviews(cat, platforms)
    rows = []
    for article in articles:
        product = sheet.products.get(article)
        photos = [p for p in cat.photos(article) if p.kind == "photo"]
        listed = {p: at for p, at in cat.listings(article).items() if p in platforms}
        # ready: an existing main image and a sliced detail page
        ready = [platform for platform in platforms if (article, platform) in paged
                 and any((ws.root / path).is_file() for path in mains.get((article, platform), ()))]
        analysed = all(p.analysis for p in photos)
        if platforms and all(p in listed for p in platforms):
            state = "listed"
        elif not photos:
            state = "waiting"
        elif analysed and len(ready) == len(platforms):
            state = "ready"
        else:
            state = "processing"
        arrival = product.arrival_date if product else None
        due = due_date(arrival, days) if arrival else None
        listed_on = None
        if state == "listed":
            listed_on = max(dt.date.fromisoformat(v[:10]) for v in listed.values())
        timing, left = timing_of(due, today, listed_on)
        rows.append(BoardRow(article, product.name if product else "", arrival, due, state, timing, left,
                             len(photos), listed, ready,
                             {p: states.get((article, p)) or Review(article, p, "pending") for p in platforms}))
    rows.sort(key=urgency_key)
    return rows


def mark_listed(ws, article: str, platforms: list[str], on: dt.date | None = None, *, who: str = "",
                forced=()) -> None:
    """Record ARTICLE as on sale on PLATFORMS since the day `on` (default: the clock's today).

    Logged per platform as done by `who`; `forced`: the platforms marked although not approved.
    """
    when = (on or clock.today()).isoformat()
    for platform in platforms:
        ws.catalog.set_listed(article, platform, when)
        ws.catalog.add_activity(article=article, platform=platform, action="listed", who=who,
                                forced=platform in forced, detail={"date": when})


_STYLE = {"pending": "yellow", "approved": "green", "sent_back": "bold red"}


def platform_cell(row: BoardRow, platform: str) -> str:
    """Where ROW stands on one platform, in one word (rich markup): 已上架, 已通过, 待审核, 已退回, 审核失效; "-"
    without images there."""
    if platform in row.listed:
        return f"[dim]{t('status.state.listed')}[/]"
    r = row.reviews.get(platform)
    if r is None or not r.outputs:
        return "-"
    lapsed = r.lapsed and (r.decision or {}).get("action") == "approve"  # 审核已失效（文件已变）, in a word
    return f"[{_STYLE[r.state]}]{t('status.cell.' + ('lapsed' if lapsed else r.state))}[/]"


def _day(day: dt.date | None, today: dt.date) -> str:
    """A board date: "12-08" in this year (the title says which), the full date otherwise."""
    if day is None:
        return "-"
    return day.strftime("%m-%d") if day.year == today.year else day.isoformat()


def print_board(rows: list[BoardRow], console, today: dt.date, sla_days: int,
                labels: dict[str, str] | None = None) -> None:
    """The board as a table: one column per platform, named as operations name it (天猫, not tmall),
    saying where the article stands there (已上架, or its review state). Fits 80 columns: the name folds."""
    from rich.markup import escape  # names come from the sheet: "[新款]" is text, not a style
    from rich.table import Table

    colour = {"overdue": "bold red", "due_today": "yellow", "on_time": "green", "late": "magenta",
              "done": "dim", "no_date": "dim"}
    labels = labels or {}
    platforms = list(rows[0].reviews) if rows else list(labels)
    table = Table(title=t("status.title", today=today.isoformat(), days=sla_days))
    # under 100 columns the arrival date gives way (the due date is arrival + the days in the title)
    wide = console.width >= 100
    keys = ("article", "name", "arrival", "due", "state", "timing") if wide else ("article", "name", "due", "state",
                                                                                 "timing")
    for key in keys:
        # the name gives way on a narrow terminal; dates and timing must stay readable
        if key == "name":
            table.add_column(t(f"status.col.{key}"), min_width=4, overflow="fold")
        elif key == "state":  # "waiting for photos" folds in English; "可上架" never does
            table.add_column(t(f"status.col.{key}"), min_width=6, overflow="fold")
        else:
            table.add_column(t(f"status.col.{key}"), no_wrap=True)
    for p in platforms:
        table.add_column(escape(labels.get(p, p)), no_wrap=True)
    for r in rows:
        if r.timing == "overdue":
            when = t("status.timing.overdue", days=-r.days)
        elif r.timing == "on_time":
            when = t("status.timing.on_time", days=r.days)
        else:
            when = t(f"status.timing.{r.timing}")
        table.add_row(escape(r.article), escape(r.name), *([_day(r.arrival, today)] if wide else []),
                      _day(r.due, today), t(f"status.state.{r.state}"), f"[{colour[r.timing]}]{when}[/]",
                      *(platform_cell(r, p) for p in platforms))
    console.print(table)
    counts = {k: sum(1 for r in rows if r.timing == k) for k in ("overdue", "due_today")}
    console.print(t("status.summary", total=len(rows), **counts))
