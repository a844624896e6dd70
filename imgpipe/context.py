"""One article's planning context, and the pure planner built on it.

`build_context` is the one place that gathers what deciding an article's
outputs takes: its analysed photos with the session colour applied, which of
them are close-ups, the sidecar, the sold-out state, and the content hashes
of the logo and font. `run`, `soldout`, `validate` and the tests all plan
from it, so they cannot drift apart.

`plan_outputs` compares the wanted outputs with the catalog and the files
and returns an `ArticlePlan` (write / remove / up to date). It never touches
a file or the catalog: applying a plan is the pipeline's job, so validating,
a dry run and a sold-out preview are safe at any time.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import imgpipe.plan  # RENDER_VERSION read at each plan: bumping it redoes every output
from imgpipe.analyse import analysis_task, fits_whole, is_close_up, with_session_colour
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import content_hash
from imgpipe.messages import t
from imgpipe.profiles import brought_to_width
from imgpipe.plan import OutputJob, colour_photos, fingerprint, overlay_texts, publishable
from imgpipe.roles import role_of
from imgpipe.sheet import Product
from imgpipe.sidecar import Sidecar, load_sidecar, sidecar_path


# --------------------------------------------------------------------------- shared files


@dataclass(frozen=True)
class Resources:
    """Fingerprints of what many outputs share: the mark, the font, the language, the cut-out model."""

    watermark: str      # watermark settings + the logo's content hash
    font: str           # the font file's content hash
    lang: str
    logo_sha: str = ""
    cutout: str = ""    # the `[cutout] model` file's content hash and feeding ("" = the classical cut-out)
    cutout_copy: Path | None = None  # the model's int8 copy `cutout` names (None: the float model runs)

    @classmethod
    def of(cls, ws, font_path: Path | None) -> "Resources":
        settings = ws.settings
        logo = settings.watermark.logo
        logo_sha = content_hash(Path(logo) if Path(logo).is_absolute() else ws.root / logo) if logo else ""
        from imgpipe import saliency

        # looked up once: the fingerprint and the file every worker runs (render.RenderContext) are one choice
        copy = saliency.quantised(ws.cutout_model) if ws.cutout_model else None
        return cls(watermark=fingerprint(settings.fingerprint("watermark"), logo_sha),
                   font=content_hash(font_path), lang=settings.listing_language, logo_sha=logo_sha,
                   cutout=_cutout_key(ws, copy), cutout_copy=copy)


# How a model's cut-out images are decided, beyond the model and its feeding: a change made since makes a shop's
# cut-out images with a model again once. "frame-gap": the backdrop between a product and the frame is no product
# (cutout.frame_gap; a whole product shot close to the frame is cut out, not refused as a close-up).
MODEL_CUT_RULES = "frame-gap"


def _cutout_key(ws, copy: Path | str | None = "local") -> str:
    """The cut-out model's content hash with how it is fed (size, normalisation); "" without a model.

    copy: the int8 copy that runs (None: the float model); "local": look it up (saliency.quantised)."""
    model = content_hash(ws.cutout_model)
    c = ws.settings.cutout
    from imgpipe import saliency  # the side a model is fed at by default is part of how it is fed

    if copy == saliency.LOCAL:
        copy = saliency.quantised(ws.cutout_model) if model else None
    # the int8 copy is fed otherwise: its recipe and side name it
    side = c.model_size or saliency.default_side(copy)
    return f"{model}:{side}:{c.model_normalise}{saliency.feed_key(copy)}" if model else ""


# --------------------------------------------------------------------------- the context


@dataclass(frozen=True)
class ArticleContext:
    """Everything planning one article's outputs depends on (one per article and run).

    photos: the analysed photos in sequence order, session colour applied.
    sold: the sold-out table ((colour, size), '' = any). warnings: sidecar problems.
    """

    product: Product
    photos: tuple = ()
    sidecar: Sidecar = field(default_factory=Sidecar)
    sold: tuple[tuple[str, str], ...] = ()
    resources: Resources = Resources("", "", "zh")
    close_up: frozenset[int] = frozenset()
    warnings: tuple[dict, ...] = ()
    colours: object = None    # colour_names.Assignment: which photos show which sheet colour

    @property
    def article(self) -> str:
        return self.product.article

    def photo(self, photo_id: int):
        """The photo row of `photo_id` (session light applied)."""
        return next(p for p in self.photos if p.id == photo_id)

    def analysis_key(self, photo) -> str:
        """What of a photo's analysis its outputs depend on (the session colour included)."""
        close_up = photo.id in self.close_up
        # said only where true: a close-up fitted whole (since 2026-12-07; at the role's fill since that
        # night's second release) is made again once, others are not
        whole = ("fits_whole", "at-fill") if close_up and fits_whole(photo.analysis) else ()
        return fingerprint(photo.analysis_key, photo.analysis["correction"], close_up, *whole)

    def backdrop(self, photo) -> float:
        return photo.analysis.get("backdrop") or 0.0

    def main_scale(self, spec) -> float | None:
        """One scale (output px per full-size px) for all main images of the article.

        The smallest scale that frames every whole-product photo at the
        spec's fill, so the product keeps its size from one main image to the
        next. None when every photo is a close-up (each fills its frame).
        """
        count = spec.count or len(self.photos)
        values = []
        for p in [p for p in self.photos if p.kind == "photo"][:count]:
            if p.id in self.close_up:  # framed on their own (they fill the frame)
                continue
            x0, y0, x1, y1 = p.analysis["box"]
            w, h = p.analysis["size"]
            values.append(spec.fill * min(spec.width / max((x1 - x0) * w, 1),
                                          (spec.height or spec.width) / max((y1 - y0) * h, 1)))
        return min(values) if values else None


def article_context(product: Product, photos: list, *, sidecar: Sidecar | None = None,
                    sold=(), resources: Resources | None = None, warnings=(),
                    lexicon=None) -> ArticleContext:
    """The context from catalog rows (pure: what `build_context` and the tests call)."""
    photos = with_session_colour([p for p in photos if p.analysis and "box" in p.analysis])
    sidecar = sidecar or Sidecar()
    close_up = frozenset(p.id for p in photos if is_close_up(p.analysis))
    return ArticleContext(
        product=product, photos=tuple(photos), sidecar=sidecar, sold=tuple(tuple(s) for s in sold),
        resources=resources or Resources("", "", "zh"), close_up=close_up,
        warnings=tuple(warnings) + tuple(reference_warnings(photos)) + tuple(cast_warnings(photos)),
        colours=colour_assignment(product, publishable(photos, sidecar), close_up, lexicon),
    )


def colour_assignment(product: Product, photos: list, close_up, lexicon=None):
    """Which photos show which of the sheet's colours, from each photo's measured colour.

    Whole-product shots decide (close-ups join the colour they match); the
    SKU image of a colour is its first whole-product photo. Photos analysed
    before colours were measured count as unmeasured: None when none is.
    """
    measured = [p for p in photos if p.kind == "photo" and p.analysis.get("colours")]
    if not measured or not product.colours:
        return None
    from imgpipe import colour_names  # the colour maths (cv2): only where colours are matched

    return colour_names.assign(list(product.colours), [
        colour_names.PhotoColour(p.seq, tuple(p.analysis["colours"][0][:3]), p.id not in close_up, -p.seq)
        for p in measured], lexicon or colour_names.DEFAULT)


def reference_warnings(photos) -> list[dict]:
    """A photo the article's reference shot was not applied to (it would crush its colours to black:
    analyse.MAX_CRUSHED_SHARE), one warning per photo naming the reference."""
    out = []
    for p in photos:
        refused = p.analysis.get("reference_refused")
        if p.kind == "photo" and refused:
            out.append({"file": p.original, "row": None, "field": None,
                        "message": t("colour.warn.reference_crushes", ref=refused["file"],
                                     share=round(100 * refused["crushed"], 1)),
                        "fix": t("colour.chart_rejected.fit_fix")})
    return out


def cast_warnings(photos) -> list[dict]:
    """A strong cast still uncorrected once the session light is applied (colour.Correction.cast_left_deg),
    one warning per photo with its reason: a close-up that took its article's light has none."""
    out = []
    for p in photos:
        corr = p.analysis.get("correction") or {}
        if p.kind == "photo" and corr.get("cast_left_deg") is not None and corr.get("warnings"):
            out.append({"file": p.original, "row": None, "field": None, "message": corr["warnings"][-1],
                        "fix": t("colour.warn.cast_left.fix")})
    return out


def build_context(ws, product: Product, resources: Resources, *, sold=None) -> ArticleContext:
    """The article's context from the catalog and its archived sidecar. Reads only.

    sold: the sold-out table to plan with; None = the catalog's. The sheet's
    售罄 column is always added to it.
    A broken sidecar is a warning (in `warnings`); the defaults apply.
    """
    warnings = []
    try:
        sidecar = load_sidecar(sidecar_path(ws.root, product))
    except ImgpipeError as err:
        warnings.append(err.as_dict())
        sidecar = Sidecar()
    sold = ws.catalog.soldout(product.article) if sold is None else sold
    # the sheet's 售罄 column applies on every run, on top of `imgpipe soldout` (the sheet wins:
    # `imgpipe restock` cannot undo a variant the sheet marks; clear the cell instead)
    sold = tuple(dict.fromkeys([*(tuple(s) for s in sold), *product.sold_out]))
    return article_context(product, ws.catalog.photos(product.article), sidecar=sidecar, sold=sold,
                           resources=resources, warnings=warnings, lexicon=ws.settings.colours.lexicon())


# --------------------------------------------------------------------------- the plan


@dataclass
class ArticlePlan:
    """What bringing one article up to date takes; nothing done yet.

    jobs: every output wanted; write: those missing or changed; remove:
    recorded outputs no longer wanted (platform, workspace-relative path).
    """

    context: ArticleContext
    jobs: list[OutputJob] = field(default_factory=list)
    write: list[OutputJob] = field(default_factory=list)
    remove: list[tuple[str, str]] = field(default_factory=list)  # (platform, path)
    up_to_date: int = 0


def plan_article(ctx: ArticleContext, profile, settings) -> list[OutputJob]:
    """All outputs of one article for one platform: each role's picks (roles.py), named and fingerprinted.

    A fingerprint holds what the output's pixels depend on: the photo and its
    colour, the role's profile values, the mark (with the logo's content)
    where the role is marked, the font's content where text is drawn, the
    data shown and the sold-out texts.
    """
    photos = publishable(list(ctx.photos), ctx.sidecar)
    if not photos:
        return []
    res = ctx.resources
    colour_map = colour_photos(ctx.product, photos, ctx.sidecar, ctx.colours, guess=False)
    jobs = []
    for name, spec in profile.active_roles(ctx.product.category):
        role = role_of(name, spec)
        ext = profile.output_format(name)
        marked = spec.watermark != "none"
        for pick in role.pick(ctx, photos, spec):
            # no sold-out banner where the platform wants no text (the white image: pure white, no marks)
            # nor on a transparent image (material for the platform's own layouts)
            params = dict(pick.params, overlays=[] if role.alpha or role.pure_white else overlay_texts(
                ctx.product, pick.photo, list(ctx.sold), ctx.sidecar, colour_map,
                pick.params.get("colour"), settings.soldout))
            draws_text = bool(role.text or params["overlays"] or (marked and settings.watermark.text))
            banner = settings.soldout.banner_colour if params["overlays"] else None
            marks = marked and bool(settings.watermark.text or settings.watermark.logo)
            if banner:  # made again once: the banner went on the photo above the panel/caption, then clear of the mark
                extra = (("on-photo",) if role.text else ()) + (("clear-of-mark",) if marks else ())
                banner = (banner, *extra) if extra else banner
            # a cut-out model only where the product is cut out (and only when set: no rework on upgrade)
            model = (res.cutout, MODEL_CUT_RULES) if res.cutout and role.cuts_out else ()
            # a caption image of a photo narrower than the page, no longer enlarged: made again once;
            # a photo up to 10 % narrower than the role's width, now enlarged to it: made again once
            span = photo_span(pick)
            narrow = ("kept-narrow",) if role.text == "caption" and narrower(pick, spec) else ()
            if not spec.framed and not spec.upscale and 0 < span < spec.width and brought_to_width(span, spec.width):
                narrow += ("enlarged-slightly",)
            fp = fingerprint(
                imgpipe.plan.RENDER_VERSION, pick.photo.sha256, ctx.analysis_key(pick.photo), profile.fingerprint(name),
                res.watermark if marked else None, res.font if draws_text else None, res.lang,
                params, banner, *model, *narrow,
            )
            jobs.append(OutputJob(profile.name, ctx.article, name, pick.photo.seq,
                                  f"output/{profile.name}/{ctx.article}/{name}/{pick.stem}.{ext}",
                                  pick.photo.id, params, fp, ext, role.name, (spec.width, spec.height or 0)))
    return jobs


def photo_span(pick) -> int:
    """Width (pixels) of the pick's photo, or of its crop; 0 when the photo's size is unknown."""
    size = pick.photo.analysis.get("size")
    if not size:
        return 0
    crop = pick.params.get("crop")
    return (int(crop[2] * size[0]) - int(crop[0] * size[0])) if crop else size[0]


def narrower(pick, spec) -> bool:
    """The pick's photo (or its crop) is narrower than a width role's `width` and may not be enlarged
    (more than profiles.QUIET_ENLARGE, unless the role allows `upscale`)."""
    span = photo_span(pick)
    return bool(span) and not brought_to_width(span, spec.width, spec.upscale)


def plan_jobs(ctx: ArticleContext, profiles: dict, settings) -> list[OutputJob]:
    """Every output of the article for `profiles` (name -> Profile)."""
    return [job for profile in profiles.values() for job in plan_article(ctx, profile, settings)]


def plan_outputs(ws, ctx: ArticleContext, profiles: dict) -> ArticlePlan:
    """Compare the wanted outputs with the catalog and the files. Reads only."""
    cat = ws.catalog
    plan = ArticlePlan(ctx, plan_jobs(ctx, profiles, ws.settings))
    wanted = {j.path for j in plan.jobs}
    recorded = {}
    for name in profiles:
        for r in cat.outputs(ctx.article, name):
            recorded[r.path] = r
            if r.path not in wanted:
                plan.remove.append((name, r.path))
    base = os.fspath(ws.root)
    for job in plan.jobs:
        row = recorded.get(job.path) or cat.output(job.path)  # a path on another platform's folder: rare
        if row and row["fingerprint"] == job.fingerprint and _size(os.path.join(base, job.path)) == row["bytes"]:
            plan.up_to_date += 1
        else:
            plan.write.append(job)
    return plan


def _size(path: str) -> int | None:
    """A regular file's size in bytes; None when it is missing or not a file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


# --------------------------------------------------------------------------- dry run


@dataclass
class Preview:
    """What `run` would do to one article (a dry run), all paths workspace-relative.

    archive: (inbox file, original it would become); analyse: originals whose
    analysis would be (re)made; per platform: outputs to write (missing,
    changed, or from a photo analysed again), to remove, and up to date.
    Photos not archived yet are planned once analysed: their outputs (and the
    selling points or colours they take over from other photos) are not
    listed, `archive` says they come.
    """

    article: str
    archive: list[tuple[str, str]] = field(default_factory=list)
    analyse: list[str] = field(default_factory=list)
    write: dict[str, list[str]] = field(default_factory=dict)
    remove: dict[str, list[str]] = field(default_factory=dict)
    up_to_date: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"article": self.article, "archive": [{"source": s, "original": d} for s, d in self.archive],
                "analyse": self.analyse,
                "platforms": {p: {"write": self.write[p], "remove": self.remove[p], "up_to_date": self.up_to_date[p],
                                  "counts": {"write": len(self.write[p]), "remove": len(self.remove[p])}}
                              for p in self.write}}


def preview(ws, articles: list[str], products: dict, profiles: dict, font_path, archived=()) -> list[Preview]:
    """Dry run: for each article (and each one photos would be archived for), what `run` would do. Reads only."""
    resources = Resources.of(ws, font_path)
    out: dict[str, Preview] = {}
    for a in archived:
        dest = Path(a.dest)
        out.setdefault(a.article, Preview(a.article)).archive.append(
            (_rel(ws.root, Path(a.source)), _rel(ws.root, dest)))
    for article in articles:
        item = out.setdefault(article, Preview(article))
        photos = ws.catalog.photos(article)
        refs = [p for p in photos if p.kind == "reference"]
        again = {p.id for p in photos if p.kind in ("photo", "reference")
                 and (not p.analysis or p.analysis_key != analysis_task(ws.settings, p, refs)[1])}
        item.analyse = [p.original for p in photos if p.id in again]
        plan = plan_outputs(ws, build_context(ws, products[article], resources), profiles)
        writes = {j.path for j in plan.write} | {j.path for j in plan.jobs if j.photo_id in again}
        for name in profiles:
            item.write[name] = sorted(j.path for j in plan.jobs if j.platform == name and j.path in writes)
            item.remove[name] = sorted(path for platform, path in plan.remove if platform == name)
            item.up_to_date[name] = sum(1 for j in plan.jobs if j.platform == name and j.path not in writes)
    for item in out.values():
        for name in profiles:
            item.write.setdefault(name, [])
            item.remove.setdefault(name, [])
            item.up_to_date.setdefault(name, 0)
    return [out[a] for a in sorted(out)]


def _rel(root: Path, path: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
