"""The image roles: which photos each takes, its shape step, its text and how validation checks it.

Like imgproxy's list of processing steps, a role is data. Rendering runs the
same steps for every role (see render.py):

    shape  ──►  watermark (the profile's `watermark` for the role)  ──►  text  ──►  sold-out overlay

and the profile gives each role its numbers ([roles.<name>] width, height,
fill, count, max_bytes, watermark, format). A new kind of image is one
`Role` in ROLES plus its profile keys. A profile may also add a role of its
own that works like a registered one, e.g. a 3:4 apparel main image beside
the square one:

    [roles.main_34]
    like = "main"
    width = 750
    height = 1000

Shapes (render.SHAPES): "frame" (the product framed in width × height at the
role's fill, the backdrop carried outwards), "white" (the same on pure
white), "width" (the photo at the width, aspect kept). A framed role needs a
height in its profile entry; the others must have none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from imgpipe.messages import t
from imgpipe.plan import colour_photos, safe_label

@dataclass(frozen=True)
class Pick:
    """One output a role makes: from `photo`, named `<stem>` (no extension), with its params."""

    photo: object              # catalog.PhotoRow
    stem: str
    params: dict


@dataclass(frozen=True)
class Role:
    """One kind of image.

    pick(ctx, photos, spec) -> [Pick]: photos are the article's publishable
    photos in sequence order; ctx the context.ArticleContext; spec the
    profile's RoleSpec. shape: a render.SHAPES step; framed: made at width ×
    height (the profile must give a height), else at the width with the
    photo's aspect (it must not). text: "" / "label" (the
    R7 panel) / "caption" (the selling point), drawn after the mark.
    alpha: the output keeps transparency (PNG only, never flattened).
    Validation: at least `min_count` images (`too_few` is the message code),
    at most the spec's count, else `max_count` (`too_many`); `numbered`: one image per photo
    number; `pure_white`: a pure white border and no marks.

    What readers need (the workbench, detail pages, validation, the status
    board and the report loop over these, never over role names): `order`,
    where its images are listed (ROLE_ORDER); `label`, the message key of one
    image's badge (`<label>_group` heads its group; see `label_of` for a
    profile's `like` role); `section`, the detail-page part its images feed
    ("header", "large", "selling_points", "details"; "" = none); `fix`, the
    workbench's sidecar fix that chooses its photos (web.app.apply_fix
    action; "" = none); `checks`, which image checks apply (framed, cut_out,
    alpha, text); `listing`, its place in the listing package (export.py).
    """

    name: str
    pick: Callable
    shape: str
    framed: bool = True        # made at width × height (else at the width, aspect kept)
    text: str = ""
    alpha: bool = False
    min_count: int = 0
    too_few: str = ""
    too_many: str = ""
    max_count: int = 0         # the limit when the spec's count is 0 (0 = none)
    numbered: bool = False
    pure_white: bool = False
    order: int = 99
    label: str = ""
    section: str = ""
    fix: str = ""
    listing: int = 0           # its place in the listing package (export.py); 0 = not in it

    @property
    def cuts_out(self) -> bool:
        """The product is cut out of its photo (white or transparent background)."""
        return self.shape in CUT_OUT_SHAPES

    @property
    def checks(self) -> frozenset[str]:
        """The image checks that apply: "framed" (product size in the frame), "cut_out" (backdrop,
        holes), "alpha" (transparency), "text" (drawn text)."""
        return frozenset(name for name, on in (("framed", self.framed), ("cut_out", self.cuts_out),
                                               ("alpha", self.alpha), ("text", bool(self.text))) if on)


CUT_OUT_SHAPES = ("white", "transparent")  # the shapes that cut the product out (render.SHAPES)


# --------------------------------------------------------------------------- picking


def pick_main(ctx, photos, spec) -> list[Pick]:
    """The sidecar's `main` list, else the photos in order, whole-product shots before close-ups.

    Named by slot (`<article>-01` is the first main image, 主图1), not by
    photo: upload tools and operators order main images by file name, and a
    close-up shot as photo 01 must not become the listing's first image.
    Each whole-product image fills the spec's `fill` of its frame; with
    `same_scale` the article's set shares one scale instead (ctx.main_scale).
    """
    by_seq = {p.seq: p for p in photos}
    chosen = [by_seq[s] for s in ctx.sidecar.main if s in by_seq] or sorted(photos, key=lambda p: p.id in ctx.close_up)
    if spec.count:
        chosen = chosen[: spec.count]
    scale = ctx.main_scale(spec) if getattr(spec, "same_scale", False) else None
    return [Pick(p, f"{ctx.article}-{slot:02d}", {"scale": scale}) for slot, p in enumerate(chosen, 1)]


def pick_white(ctx, photos, spec) -> list[Pick]:
    """The sidecar's `white`, else the whole-product photo with the cleanest, whitest backdrop."""
    by_seq = {p.seq: p for p in photos}
    white = by_seq.get(ctx.sidecar.white) or max(
        photos, key=lambda p: (p.id not in ctx.close_up, ctx.backdrop(p), -p.seq))
    return [Pick(white, white.stem, {})]


def pick_large(ctx, photos, spec) -> list[Pick]:
    """The sidecar's `large`, else the first whole-product photo (never a close-up while there is
    one); the label data and struck sizes are its params."""
    whole = [p for p in photos if p.id not in ctx.close_up]
    large = {p.seq: p for p in photos}.get(ctx.sidecar.large) or (whole or photos)[0]
    sold_sizes = sorted({s for c, s in ctx.sold if s and not c})
    return [Pick(large, large.stem, {"label": label_fields(ctx.product), "sold_sizes": sold_sizes})]


def pick_every(ctx, photos, spec) -> list[Pick]:
    return [Pick(p, p.stem, {}) for p in photos]


def pick_selling_points(ctx, photos, spec) -> list[Pick]:
    """One per selling point in the sheet, on a photo that can show it.

    The sidecar's photo (and crop) for a point wins. Otherwise a photo whose
    file name names what the point is about (`B2045-把手.jpg` for
    "人体工学把手，握感舒适": designers name shots after what they show), then
    close-ups and detail shots, then whole-product shots other than the large
    image's, each photo used once while unused ones remain. Such automatic
    pairings carry `auto` in their params, and validation lists them for a
    person to confirm.
    """
    by_seq = {p.seq: p for p in photos}
    points = ctx.product.selling_points
    sources = [ctx.sidecar.selling_points[i] if i < len(ctx.sidecar.selling_points) else None
               for i in range(len(points))]
    chosen = {i: by_seq[s.photo] for i, s in enumerate(sources) if s and s.photo and s.photo in by_seq}
    large = pick_large(ctx, photos, spec)[0].photo if photos else None
    pool = ([p for p in photos if p.id in ctx.close_up]
            + [p for p in photos if p.id not in ctx.close_up and p is not large]) or photos
    used = {p.seq for p in chosen.values()}
    # strongest name matches first: a photo goes to the point its name shares the longest run with; any
    # photo, the large image's too (`G501-条纹.jpg` is often the best whole shot: "经典条纹" belongs on it)
    subject = {p.seq: photo_subject(p.source_name, ctx.article) for p in photos}
    matches = sorted(((shared_run(points[i], subject[p.seq]), i, p.seq)
                      for i in range(len(points)) if i not in chosen for p in photos), key=lambda m: (-m[0], m[1], m[2]))
    named = {}
    for run, i, seq in matches:
        if run >= MIN_SHARED_RUN and i not in named and seq not in used:
            named[i] = by_seq[seq]
            used.add(seq)
    out = []
    for i, caption in enumerate(points):
        photo, auto = chosen.get(i) or named.get(i), i not in chosen
        if photo is None:
            fresh = [p for p in pool if p.seq not in used]
            photo = fresh[0] if fresh else pool[i % len(pool)]
            used.add(photo.seq)
        source = sources[i]
        crop = list(source.crop) if source and source.crop else None
        out.append(Pick(photo, f"{photo.stem}-sp{i + 1:02d}",
                        {"caption": caption, "index": i + 1, "crop": crop, "auto": auto}))
    return out


MIN_SHARED_RUN = 4  # weight a point and a file name must share in a row: two Chinese characters (把手, 流苏)
                    # or four letters (handle); one character or a short syllable is chance
# words that say how a photo was shot, not what it shows: no selling point is about them
SHOT_WORDS = ("细节", "特写", "局部", "正面", "背面", "侧面", "俯视", "平铺", "悬挂", "折叠", "模特", "白底", "抠图",
              "img", "dsc", "photo", "detail", "front", "back", "side", "adobergb", "srgb")


def photo_subject(source_name: str, article: str) -> str:
    """What a photo's original file name says it shows: the name without its extension, the article
    number, digits, separators and shot words, lower case (`B2045-把手.jpg` -> `把手`)."""
    stem = source_name.rsplit(".", 1)[0].lower().replace(article.lower(), " ")
    for word in SHOT_WORDS:
        stem = stem.replace(word, " ")
    return "".join(ch if ch.isalpha() else " " for ch in stem)


def shared_run(caption: str, subject: str) -> int:
    """Weight of the longest run of characters the two texts share: 2 per Chinese character, 1 per letter."""
    caption = caption.lower()
    best = ""
    for word in subject.split():
        for start in range(len(word)):
            for end in range(start + len(best) + 1, len(word) + 1):
                if word[start:end] not in caption:
                    break
                best = word[start:end]
    return sum(2 if ch > "\u2e7f" else 1 for ch in best)


def pick_colours(ctx, photos, spec) -> list[Pick]:
    """One per colour: the first photo the sidecar maps to it, else its first whole-product photo
    by measured colour (plan.colour_photos); a colour nobody could settle gets none."""
    return [Pick(shown[0], f"{shown[0].stem}-{safe_label(colour)}", {"colour": colour})
            for colour, shown in colour_photos(ctx.product, photos, ctx.sidecar, ctx.colours).items() if shown]


def label_fields(product) -> dict:
    """The R7/R6 data the large image shows: part of its fingerprint."""
    fields = {
        "name": product.name, "article": product.article, "colours": list(product.colours),
        "fabric": product.fabric, "sizes": list(product.sizes), "note": product.note,
        "measurements": product.measurements(),
    }
    axes = product.measured_axes("L×W×H")
    if axes and axes != "L×W×H":  # labelled 长×宽 (not 长×宽×高) since 2026-12-07: made again once, others not
        fields["measured"] = axes
    return fields


# --------------------------------------------------------------------------- the registry

ROLES: dict[str, Role] = {r.name: r for r in (
    Role("main", pick_main, "frame", min_count=1, too_few="main_none", too_many="main_too_many", numbered=True,
         order=1, label="web.role.main", section="header", fix="main", listing=1),
    Role("white", pick_white, "white", min_count=1, too_few="white_none", too_many="white_too_many", max_count=1,
         numbered=True, pure_white=True, order=2, label="web.role.white", fix="white", listing=2),
    Role("large", pick_large, "width", framed=False, text="label", min_count=1, too_few="large_none", numbered=True,
         order=4, label="web.role.large", section="large", fix="large"),
    Role("detail", pick_every, "width", framed=False, numbered=True, order=7, label="web.role.detail",
         section="details"),
    Role("selling_point", pick_selling_points, "width", framed=False, text="caption", min_count=5,
         too_few="selling_points_few", order=6, label="web.role.selling_point", section="selling_points",
         fix="selling_point"),
    Role("sku", pick_colours, "frame", order=5, label="web.role.sku", fix="sku", listing=4),
    # 透明素材图 (Tmall, JD): the white image's photo cut out on transparency; 1688 flattens alpha
    Role("transparent", pick_white, "transparent", alpha=True, max_count=1, too_many="white_too_many",
         order=3, label="web.role.transparent", fix="white", listing=3),
)}

# the order every reader lists outputs in: the workbench's groups, the report's cards, validation
ROLE_ORDER = tuple(sorted(ROLES, key=lambda name: ROLES[name].order))


def role_of(name: str, spec=None) -> Role:
    """The registered role an output role name works like (`like` in its profile entry)."""
    return ROLES[(getattr(spec, "like", "") or name)]


def kinds(section: str) -> tuple[str, ...]:
    """The registered roles whose images feed a detail-page section ("header", "large", ...)."""
    return tuple(name for name in ROLE_ORDER if ROLES[name].section == section)


def sort_key(name: str, spec=None) -> tuple:
    """Where an output role is listed: its kind's place, a profile's own role after the built-in one."""
    role = ROLES.get(getattr(spec, "like", "") or name)
    return (role.order if role else 99, name != (role.name if role else name), name)


def label_of(name: str, spec=None, group: bool = False, **fields) -> str:
    """The role's label in the interface language: one image's badge, or its group's heading.

    A profile's own role (`like = "main"`, 750 × 1000) is its kind's label with its shape:
    "主图（3:4）"; one made at a width: "细节图（790 px）". fields: the badge's {colour} / {index}.
    """
    role = role_of(name, spec)
    text = t(role.label + ("_group" if group else ""), **fields)
    if name == role.name or spec is None:
        return text
    width, height = spec.width, spec.height or 0
    if height:
        common = math.gcd(width, height) or 1
        shape = f"{width // common}:{height // common}"
    else:
        shape = f"{width} px"
    return t("web.role.like", label=text, shape=shape)
