"""pairing: the right photo in the right slot — every SKU image shows the colour it is named for,
colours no photo could be settled for, and selling points paired with photos automatically.

The SKU image's product colour is its photo's, measured when the photo was
analysed (cut-out mask, dominant colour after colour correction); its ΔE to
the named colour's region above colour_names.MAX_MATCH is an error naming
both colours. A
colour the measured assignment left to a person (unknown name, article shot
in one colour, doubtful or ambiguous match) gets a guessed SKU image and a
warning until the article's `article.toml` `[colours]` maps it; a mapped or
measured colour whose photo shows another colour is the error. Selling points paired with photos
automatically are listed (one warning per article) for a person to confirm.
"""

from __future__ import annotations

from imgpipe import colour_names
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


def check(v, a: ArticleInputs) -> CheckResult:
    f = Finder("pairing")
    if a.plan is None:
        return f.result
    ctx = v.context(a.article)
    lexicon = v.lexicon
    for job in a.plan[0]:
        if not job.params.get("colour"):  # a colour's SKU image (roles.pick_colours) carries its colour
            continue
        name = job.params["colour"]
        settled = ctx is not None and (name in ctx.sidecar.colours
                                       or (ctx.colours is not None and ctx.colours.photos.get(name)))
        if not settled:
            continue  # a guessed SKU image: the colour's problem below says a person must map it
        lab = photo_colour(ctx, job.photo_id)
        if lab is None:
            continue  # analysed before colours were measured: the next run measures it
        d = lexicon.distance(lab, name)
        if d is not None and d > colour_names.MAX_MATCH:
            f.error("sku_colour_mismatch", job.path, colour=name, delta_e=f"{d:.0f}", seen=nearest(lexicon, lab))
    mapped = set(ctx.sidecar.colours) if ctx is not None else set()
    for problem in (ctx.colours.problems if ctx is not None and ctx.colours is not None else []):
        if problem.colour and problem.colour in mapped:
            continue  # a person mapped it in article.toml
        photos = ", ".join(f"{a.article}-{int(s):02d}" for s in problem.photos) or "-"
        f.warning(f"colour_{problem.code}", colour=problem.colour or "-", delta_e=f"{problem.delta_e:.0f}",
                  photos=photos, article=a.article)
    auto = [j for j in a.plan[0] if j.params.get("auto") and j.params.get("caption")]
    if auto:
        f.warning("selling_point_auto", pairs="; ".join(
            f"{j.params['index']:02d} {j.params['caption']} ← {a.article}-{j.seq:02d}" for j in auto))
    return f.result


def photo_colour(ctx, photo_id: int) -> tuple[float, float, float] | None:
    """The measured dominant colour (Lab) of the photo an SKU image is made from (render.product_colours:
    the SKU image is that photo framed, its colours the same)."""
    try:
        colours = ctx.photo(photo_id).analysis.get("colours") if ctx is not None else None
    except StopIteration:
        return None
    return tuple(colours[0][:3]) if colours else None


def nearest(lexicon, lab) -> str:
    """The lexicon's name nearest to a Lab colour (for the message: "looks 白色")."""
    return min(lexicon.names, key=lambda n: lexicon.names[n].distance(lab) + 0.15 * lexicon.names[n].centre_distance(lab))
