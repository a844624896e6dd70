"""Sold-out overlays on and off (R11), keeping every file name.

`mark` records a sold-out variant (or its restock) in the catalog's soldout
table and lets the pipeline redo the outputs whose fingerprint that changes:
plan.py decides which texts go on which image (a colour's SKU image, photos
the sidecar maps to that colour, sizes struck on the large image), render.py
draws them on a fresh render from the corrected original, never on an
already-overlaid file. Because the overlay is a function of the whole table,
any order of soldout/restock calls converges on the same images, and a
restock gives back the very bytes the image had before.

A variant is (colour, size) with '' for "any":
    (colour, '')   the colour is gone: banner on its images
    ('', size)     the size is gone: struck in the large image's size list
    (colour, size) one colour in one size: banner "红色 XL 已售完" on the SKU image
    ('', '')       the whole article: banner on everything
"""

from __future__ import annotations

from dataclasses import dataclass, field

from imgpipe.context import Resources, build_context, plan_jobs
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t
from imgpipe.sheet import Product, normalise_article


@dataclass
class SoldOutResult:
    """What one soldout/restock did (or, with dry_run, would do).

    changed_files: workspace-relative outputs rewritten (same names as before);
    with dry_run, the ones that would be. pages: detail-page files redone.
    already: the table already said so; nothing was touched.
    under_whole: a colour or size marked (or restocked) while the whole article is sold out: its
    images show the whole article's banner either way, so they do not change until `--all` is
    restocked.
    """

    article: str
    colour: str
    size: str
    sold_out: bool
    dry_run: bool = False
    already: bool = False
    changed_files: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)
    has_outputs: bool = True
    under_whole: bool = False
    backup: object | None = None  # backup.BackupResult after the re-render, when a target is set

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def variant(self) -> str:
        return " ".join(p for p in (self.colour, self.size) if p) or t("soldout.variant_all")

    def as_dict(self) -> dict:
        return {
            "article": self.article, "colour": self.colour, "size": self.size, "sold_out": self.sold_out,
            "dry_run": self.dry_run, "already": self.already, "changed_files": list(self.changed_files),
            "pages": list(self.pages), "failed": list(self.failed), "has_outputs": self.has_outputs,
            "under_whole": self.under_whole,
            "backup": self.backup.as_dict() if hasattr(self.backup, "as_dict") else self.backup,
        }


def _pick(value: str, known: tuple[str, ...]) -> str | None:
    """`value` as the sheet spells it: exact first, then ignoring case and full-width forms."""
    if value in known:
        return value
    folded = normalise_article(value).casefold()
    for k in known:
        if normalise_article(k).casefold() == folded:
            return k
    return None


def check_variant(ws, article: str, colour: str = "", size: str = "") -> tuple[Product, str, str]:
    """(product, colour, size) as the sheet spells them; ImgpipeError listing the valid ones."""
    products = ws.sheet().products
    article = normalise_article(article)
    product = products.get(article)
    if product is None:
        known = sorted(products)
        raise ImgpipeError(t("soldout.unknown_article", article=article), field="article",
                           fix=t("soldout.unknown_article.fix", known=_listing(known)))
    colour, size = (colour or "").strip(), (size or "").strip()
    if colour:
        found = _pick(colour, product.colours)
        if found is None:
            raise ImgpipeError(t("soldout.unknown_colour", article=article, colour=colour), field="colour",
                               fix=t("soldout.unknown_colour.fix", known=_listing(product.colours)))
        colour = found
    if size:
        found = _pick(size, product.sizes)
        if found is None:
            raise ImgpipeError(t("soldout.unknown_size", article=article, size=size), field="size",
                               fix=t("soldout.unknown_size.fix", known=_listing(product.sizes)))
        size = found
    return product, colour, size


def _listing(items) -> str:
    items = list(items)
    return ", ".join(items[:30]) + (" …" if len(items) > 30 else "") if items else "-"


def planned_fingerprints(ws, product: Product, sold: list[tuple[str, str]]) -> dict[str, str]:
    """path -> fingerprint of every output of `product` with the soldout table `sold`.

    Pure planning (no file or catalog writes), from the same article context
    `run` plans with: two calls differing in `sold` differ exactly where the
    overlays do.
    """
    ctx = build_context(ws, product, Resources.of(ws, ws.font_path()), sold=sold)
    return {job.path: job.fingerprint for job in plan_jobs(ctx, ws.profiles, ws.settings)}


def affected_files(ws, product: Product, before: list[tuple[str, str]], after: list[tuple[str, str]]) -> list[str]:
    """Outputs whose pixels differ between soldout tables `before` and `after` (sorted)."""
    old = planned_fingerprints(ws, product, before)
    new = planned_fingerprints(ws, product, after)
    return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))


def mark(ws, article: str, colour: str = "", size: str = "", sold_out: bool = True, dry_run: bool = False,
         *, backup: bool = True, who: str = "") -> SoldOutResult:
    """Mark a variant sold out (`sold_out=True`) or restocked, and redo its images.

    Validates against the sheet first (ImgpipeError, nothing changed). Then
    records the change, re-renders the article (pipeline.run, same names;
    the inbox is ingested as in any run) and, when a backup target is set
    (and [backup] after_run is on), backs up so the replaced files' previous
    copies land in `.versions/` on the target. `dry_run`: only lists the
    files that would change. Refused while a watcher holds the workspace.
    A change is logged in the activity log as done by `who`.
    """
    product, colour, size = check_variant(ws, article, colour, size)
    cat = ws.catalog
    before = cat.soldout(product.article)
    key = (colour, size)
    after = sorted(set(before) | {key}) if sold_out else [v for v in before if v != key]
    result = SoldOutResult(product.article, colour, size, sold_out, dry_run)
    result.already = (key in before) == sold_out
    result.under_whole = key != ("", "") and ("", "") in before
    result.has_outputs = bool(cat.outputs(product.article))
    if dry_run:
        result.changed_files = [] if result.already else [
            p for p in affected_files(ws, product, before, after) if cat.output(p) is not None]
        return result
    from imgpipe.lock import ensure_no_watcher, run_lock

    with run_lock(ws.root):  # it re-renders through the pipeline: one writer at a time
        ensure_no_watcher(ws.root)
        if not result.already:  # logged before the render: the overlays' fingerprints change either way
            cat.add_activity(article=product.article, action="soldout" if sold_out else "restock", who=who,
                             detail={"colour": colour, "size": size})
        return _mark_and_render(ws, cat, product, colour, size, sold_out, backup, result)


def _mark_and_render(ws, cat, product, colour, size, sold_out, backup, result):
    settings = ws.settings.backup
    do_backup = backup and bool(settings.target) and settings.after_run
    if do_backup and not result.already and result.has_outputs:
        from imgpipe.backup import backup_workspace

        # the images as they are now must be on the target before they are replaced:
        # only then does the next backup keep them in .versions/ (undo from the backup)
        backup_workspace(cat.db, ws.root, settings)
    if not result.already:
        cat.set_soldout(product.article, colour, size, sold_out)
    # Run even when the table already said so: it repairs outputs a crash left
    # half-done, and does nothing when everything is up to date.
    from imgpipe.pipeline import run

    summary = run(ws, articles=[product.article], backup=False)
    result.changed_files = sorted(summary.written)
    result.pages = sorted(summary.pages_written)
    result.failed = list(summary.failed)
    if do_backup and (result.changed_files or result.pages):
        from imgpipe.backup import backup_workspace

        result.backup = backup_workspace(cat.db, ws.root, settings)
    return result
