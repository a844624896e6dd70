"""Which photo plays which role, per platform: the list of outputs to make.

Defaults (an `article.toml` sidecar overrides each, see sidecar.py):
- main: the first photos in sequence order, up to the profile's count,
  whole-product shots before close-ups (a close-up fills the square);
- white: the whole-product photo with the cleanest, whitest backdrop;
- large: the first photo, with the R7 label panel;
- detail: every photo, at the page width;
- selling_point: one per selling point in the sheet, photos in turn from the
  second on (the first is the large image), captioned;
- sku: one per colour, colour i from photo i (in turn).
Reference shots (grey card, chart) and slates are never published.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from imgpipe.catalog import PhotoRow
from imgpipe.profiles import Profile
from imgpipe.sheet import Product
from imgpipe.sidecar import Sidecar

# bump when rendering code changes in a way that should redo every output
RENDER_VERSION = "3"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')  # control chars: NUL is no file name


@dataclass(frozen=True)
class OutputJob:
    """One output file: `path` (workspace-relative) made from photo `photo_id` (sequence `seq`).

    The record carries article, platform, role and seq so nothing has to be
    parsed back out of the path.
    """

    platform: str
    article: str
    role: str
    seq: int
    path: str
    photo_id: int
    params: dict = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str = ""


def safe_label(text: str) -> str:
    """A colour name usable inside a file name (`藏青` stays, `红/白` -> `红_白`)."""
    return _UNSAFE.sub("_", text).strip("._") or "x"


def fingerprint(*parts) -> str:
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def publishable(photos: list[PhotoRow], sidecar: Sidecar) -> list[PhotoRow]:
    return [p for p in photos if p.kind == "photo" and p.seq not in sidecar.skip]


def colour_photos(product: Product, photos: list[PhotoRow], sidecar: Sidecar) -> dict[str, list[PhotoRow]]:
    """Colour -> photos showing it. The first photo of each is its SKU image."""
    by_seq = {p.seq: p for p in photos}
    mapping = {}
    for i, colour in enumerate(product.colours):
        chosen = [by_seq[s] for s in sidecar.colours.get(colour, []) if s in by_seq]
        if not chosen and photos:
            chosen = [photos[i % len(photos)]]
        mapping[colour] = chosen
    return mapping


def overlay_texts(product: Product, photo: PhotoRow, role: str, sold: list[tuple[str, str]],
                  sidecar: Sidecar, colour_map: dict[str, list[PhotoRow]], sku_colour: str | None,
                  templates) -> list[str]:
    """Sold-out texts (R11) for one output; [] when nothing on it is sold out.

    A colour's overlay goes on its SKU image, and on every image of the photos
    the sidecar says show that colour. A whole-article entry (no colour, no
    size) goes on everything. Sizes are struck on the large image instead.
    """
    texts = []
    for colour, size in sold:
        if not colour and not size:
            texts.append(templates.text)
        elif colour and not size:
            explicit = photo.seq in sidecar.colours.get(colour, [])
            if sku_colour == colour or (explicit and role != "sku"):
                texts.append(templates.colour_text.format(colour=colour))
        elif colour and size and sku_colour == colour:
            texts.append(templates.colour_text.format(colour=f"{colour} {size}"))
    return sorted(set(texts), key=texts.index)


def plan_article(ctx, profile: Profile, settings) -> list[OutputJob]:
    """All outputs of one article for one platform (see the module docstring).

    ctx: the article's context.ArticleContext (photos, sidecar, sold-out
    state, and what every fingerprint depends on).
    """
    product, sidecar, sold, res = ctx.product, ctx.sidecar, list(ctx.sold), ctx.resources
    pubs = publishable(list(ctx.photos), sidecar)
    if not pubs:
        return []
    by_seq = {p.seq: p for p in pubs}
    base = f"output/{profile.name}/{product.article}"
    colour_map = colour_photos(product, pubs, sidecar)
    jobs: list[OutputJob] = []
    sold_sizes = sorted({s for c, s in sold if s and not c})

    def add(role: str, photo: PhotoRow, name: str, **params):
        spec = profile.role(role)
        if spec is None:
            return
        params.update(
            overlays=overlay_texts(product, photo, role, sold, sidecar, colour_map, params.get("colour"),
                                   settings.soldout),
        )
        fp = fingerprint(
            RENDER_VERSION, photo.sha256, ctx.analysis_key(photo), profile.fingerprint(role),
            res.watermark if spec.watermark != "none" else None, res.font, res.lang,
            params, settings.soldout.banner_colour if params["overlays"] else None,
        )
        jobs.append(OutputJob(profile.name, product.article, role, photo.seq, f"{base}/{role}/{name}", photo.id,
                              params, fp))

    main_spec = profile.role("main")
    if main_spec:
        # whole-product shots first; close-ups (detail shots) fill the remaining slots
        chosen = [by_seq[s] for s in sidecar.main if s in by_seq] or sorted(
            pubs, key=lambda p: p.id in ctx.close_up)
        if main_spec.count:
            chosen = chosen[: main_spec.count]
        scale = ctx.main_scale(main_spec)
        for photo in chosen:
            add("main", photo, f"{photo.stem}.jpg", scale=scale)
    if profile.role("white"):
        white = by_seq.get(sidecar.white) or max(
            pubs, key=lambda p: (p.id not in ctx.close_up, ctx.backdrop(p), -p.seq))
        add("white", white, f"{white.stem}.jpg")
    if profile.role("large"):
        large = by_seq.get(sidecar.large) or pubs[0]
        add("large", large, f"{large.stem}.jpg", label=_label_fields(product), sold_sizes=sold_sizes)
    if profile.role("detail"):
        for photo in pubs:
            add("detail", photo, f"{photo.stem}.jpg")
    if profile.role("selling_point"):
        pool = pubs[1:] or pubs
        for i, caption in enumerate(product.selling_points):
            source = sidecar.selling_points[i] if i < len(sidecar.selling_points) else None
            photo = by_seq.get(source.photo) if source and source.photo else None
            photo = photo or pool[i % len(pool)]
            crop = list(source.crop) if source and source.crop else None
            add("selling_point", photo, f"{photo.stem}-sp{i + 1:02d}.jpg", caption=caption, index=i + 1, crop=crop)
    if profile.role("sku"):
        for colour, shown in colour_map.items():
            if shown:
                add("sku", shown[0], f"{shown[0].stem}-{safe_label(colour)}.jpg", colour=colour)
    return jobs


def _label_fields(product: Product) -> dict:
    """The R7/R6 data the large image shows: part of its fingerprint."""
    return {
        "name": product.name, "article": product.article, "colours": list(product.colours),
        "fabric": product.fabric, "sizes": list(product.sizes), "note": product.note,
        "measurements": product.measurements(),
    }
