"""The validator: one instance per run; it gathers each article's inputs once and runs every check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

from imgpipe import clock, roles
from imgpipe.catalog import backup_ledger
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t
from imgpipe.profiles import Profile
from imgpipe.validate.checks import REGISTRY
from imgpipe.validate.files import Files, MeasureStore
from imgpipe.validate.model import (
    CHECKS, ArticleInputs, ArticleResult, Finding, ImageEntry, PlatformReport, colour_references, colour_summary,
)


class Validator:
    """Validates a workspace; one instance per run (it caches decodes and hashes)."""

    def __init__(self, ws, *, platforms: list[str] | None = None, articles: list[str] | None = None,
                 today: dt.date | None = None):
        self.ws = ws
        self.root: Path = ws.root
        self.cat = ws.catalog
        self.settings = ws.settings
        self.profiles: dict[str, Profile] = ws.enabled(platforms)
        self.sheet = ws.sheet()
        self.products = self.sheet.products
        self.today = today or clock.today()
        known = set(self.products) | set(self.cat.articles()) | {r["article"] for r in self.cat.outputs()}
        if articles:
            unknown = [a for a in articles if a not in known]
            if unknown:
                raise ImgpipeError(t("validate.unknown_article", article=unknown[0]),
                                   fix=t("validate.unknown_article.fix"))
            self.articles = sorted(set(articles))
        else:
            self.articles = sorted(known)
        self.files = Files(self.root, MeasureStore(self.cat.db))
        self.quality_cache: dict[str, list[Finding]] = {}
        self._plans: dict[tuple[str, str], tuple[list, list]] = {}
        self.backup_rows = self._load_backup_rows()
        self._resources = None
        self._left = None  # files of each article still in the inbox, with why
        self._contexts: dict[str, object] = {}
        self.lexicon = ws.settings.colours.lexicon()  # imgpipe.toml [colours.names] added

    def context(self, article: str):
        """The article's planning context (context.ArticleContext), once planned; None before."""
        return self._contexts.get(article)

    # -- shared data ----------------------------------------------------------

    def _load_backup_rows(self) -> dict[str, dict]:
        """{rel: the backup ledger's row as a dict} (catalog.backup_ledger)."""
        return backup_ledger(self.cat.db)

    def left_in_inbox(self) -> dict:
        """Files of each article still in the inbox, with why (read once per report)."""
        if self._left is None:
            from imgpipe.ingest import left_in_inbox

            self._left = left_in_inbox(self.root, self.products, self.cat, self.settings.max_megapixels)
        return self._left

    def plan(self, article: str, platform: str):
        """(jobs with the sold-out state, jobs as if nothing were sold out) for one article/platform.

        The pipeline's own planner on the article's context: pure, so
        validating never changes the workspace.
        """
        if (article, platform) not in self._plans:
            from imgpipe.context import Resources, build_context, plan_article

            if self._resources is None:
                self._resources = Resources.of(self.ws, self.ws.font_path())
            product = self.products[article]
            sold = build_context(self.ws, product, self._resources)
            self._contexts[article] = sold
            unsold = dataclasses.replace(sold, sold=())
            for name, profile in self.ws.profiles.items():
                self._plans[(article, name)] = (plan_article(sold, profile, self.settings),
                                                plan_article(unsold, profile, self.settings))
        return self._plans[(article, platform)]

    # -- entry point ----------------------------------------------------------

    def run(self) -> list[PlatformReport]:
        from imgpipe.review import Review, reviews

        states = reviews(self.cat, list(self.profiles))
        reports = []
        for name, profile in self.profiles.items():
            results = [self.validate_article(a, profile) for a in self.articles]
            for r in results:
                r.review = (states.get((r.article, name)) or Review(r.article, name, "pending")).as_dict()
            order = {"error": 0, "warning": 1, "pass": 2, "waiting": 3}
            results.sort(key=lambda r: (order[r.status], r.article))
            reports.append(PlatformReport(name, profile.label(self.settings.language), self.today.isoformat(), results))
        self.files.store.save()  # what was measured: the next validation decodes only what changed
        return reports

    def inputs(self, article: str, profile: Profile) -> ArticleInputs:
        """What the checks of `article` on `profile`'s platform read."""
        rows = self.cat.outputs(article, profile.name)
        page = self.cat.page(profile.name, article)
        photos = self.cat.photos(article)
        a = ArticleInputs(article, profile, self.products.get(article), rows, page,
                          json.loads(page["slices"]) if page and page["slices"] else [], photos,
                          waiting=not rows and not photos)
        if a.product is not None and photos:
            try:
                a.plan = self.plan(article, profile.name)
            except ImgpipeError as err:  # e.g. no CJK font: the plan cannot be computed here
                a.plan_error = err.message
        return a

    def validate_article(self, article: str, profile: Profile) -> ArticleResult:
        a = self.inputs(article, profile)
        checks = {check: REGISTRY[check](self, a) for check in CHECKS}
        return ArticleResult(profile.name, article, a.product.name if a.product else "", checks,
                             self._images(a.rows, a.slices, profile), a.waiting, colour_references(a.photos),
                             colour_summary(a.photos))

    def _images(self, rows, slices, profile: Profile) -> list[ImageEntry]:
        out = []
        for r in sorted(rows, key=lambda r: (roles.sort_key(r.role, profile.roles.get(r.role)), r.path)):
            exists = self.files.path(r.path).is_file()
            out.append(ImageEntry(r.path, r.role, r.width or 0, r.height or 0, r.nbytes or 0, exists,
                                  _label(r, profile)))
        for s in slices:
            facts = self.files.facts(s)
            out.append(ImageEntry(s, "page", facts.width, facts.height, facts.nbytes, facts.exists))
        return out


def _label(row, profile: Profile) -> str:
    """The image's label, filled as the workbench fills it: "SKU 藏青", "卖点 3", "主图（3:4）".

    A row made before the catalog kept the planner's record (or rebuilt by `doctor`) has no colour
    or point number: its label is the role's alone ("SKU", "卖点"), never a "{colour}" template.
    """
    if row.kind not in roles.ROLES:
        return row.role
    text = roles.label_of(row.role, profile.roles.get(row.role), colour=row.colour, index=row.selling_point or "")
    return " ".join(text.split()).replace(" （", "（")

