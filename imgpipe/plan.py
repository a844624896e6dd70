"""Output records and fingerprints, and the rules every role shares.

Which photo plays which role is in roles.py (an `article.toml` sidecar
overrides it, see sidecar.py); context.plan_article puts them together.
Reference shots (grey card, chart) and slates are never published.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from imgpipe.catalog import PhotoRow
from imgpipe.sheet import Product
from imgpipe.sidecar import Sidecar

# bump when rendering code changes in a way that should redo every output
RENDER_VERSION = "3"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s\x00-\x1f]+')  # control chars: NUL is no file name


@dataclass(frozen=True)
class OutputJob:
    """One output file: `path` (workspace-relative) made from photo `photo_id` (sequence `seq`).

    The record carries article, platform, role and seq so nothing has to be
    parsed back out of the path; `record()` is what the catalog keeps of it
    (catalog.OutputRecord reads it back). role: the output's name (its
    folder); kind: the registered role it works like (roles.role_of).
    """

    platform: str
    article: str
    role: str
    seq: int
    path: str
    photo_id: int
    params: dict = field(default_factory=dict, compare=False, hash=False)
    fingerprint: str = ""
    fmt: str = "jpg"           # "jpg" or "png" (the path's extension)
    kind: str = ""             # "" = the role's own name
    size: tuple[int, int] = (0, 0)   # planned width × height in px; height 0: made at the width, aspect kept

    def record(self) -> dict:
        """The catalog's copy (JSON): who it is for, from which photo, what it shows, at what size."""
        return {"article": self.article, "platform": self.platform, "role": self.role, "kind": self.kind or self.role,
                "seq": self.seq, "colour": self.params.get("colour") or "",
                "point_index": self.params.get("index") or 0, "size": list(self.size), "format": self.fmt}


LABEL_MAX_BYTES = 90   # UTF-8 bytes of a colour in a file name (30 Chinese characters): with a 64-character
                       # article, `-NN-`, the extension and a temporary name's extras, under 255


def safe_label(text: str) -> str:
    """A colour name usable inside a file name (`藏青` stays, `红/白` -> `红_白`).

    A name longer than LABEL_MAX_BYTES is cut and ends in `~` and 8 hex digits of its SHA-256:
    the same name always gives the same label, two long names that share a start do not collide.
    """
    label = _UNSAFE.sub("_", text).strip("._") or "x"
    if len(label.encode("utf-8")) <= LABEL_MAX_BYTES:
        return label
    tag = "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    head = label.encode("utf-8")[:LABEL_MAX_BYTES - len(tag)].decode("utf-8", "ignore").rstrip("._ ")
    return head + tag


def fingerprint(*parts) -> str:
    data = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:20]


def publishable(photos: list[PhotoRow], sidecar: Sidecar) -> list[PhotoRow]:
    return [p for p in photos if p.kind == "photo" and p.seq not in sidecar.skip]


def colour_photos(product: Product, photos: list[PhotoRow], sidecar: Sidecar,
                  assignment=None, guess: bool = True) -> dict[str, list[PhotoRow]]:
    """Colour -> photos showing it. The first photo of each is its SKU image.

    The sidecar's `[colours]` entry wins; else the measured assignment
    (colour_names.assign). A colour neither settles (or photos analysed
    before colours were measured) gets a guess, colour i from photo i in
    turn among the photos no colour was measured on, so the listing is
    complete, and validation's pairing check fails it until a person maps
    it; with `guess` False it gets none (sold-out overlays spread only to
    photos known to show the colour).
    """
    by_seq = {p.seq: p for p in photos}
    # a guess takes photos no colour was measured on first
    spare = [p for p in photos if assignment is None or assignment.colour_of.get(p.seq) is None] or photos
    mapping = {}
    for i, colour in enumerate(product.colours):
        chosen = [by_seq[s] for s in sidecar.colours.get(colour, []) if s in by_seq]
        if not chosen and assignment is not None:
            chosen = [by_seq[s] for s in assignment.photos.get(colour, []) if s in by_seq]
        if not chosen and photos and guess:
            chosen = [spare[i % len(spare)]]
        mapping[colour] = chosen
    return mapping


def overlay_texts(product: Product, photo: PhotoRow, sold: list[tuple[str, str]],
                  sidecar: Sidecar, colour_map: dict[str, list[PhotoRow]], sku_colour: str | None,
                  templates) -> list[str]:
    """Sold-out texts (R11) for one output; [] when nothing on it is sold out.

    A colour's overlay goes on its SKU image, and on every image of the photos
    known to show that colour (`colour_map`: the sidecar's or the measured); one size of a colour (`size_text`, its
    {size} the variant "红色 XL") on that colour's SKU image. A whole-article
    entry (no colour, no size) goes on everything (the planner leaves out the
    white and transparent images, which carry no text). A size gone in every
    colour is struck on the large image instead. When the whole article is
    sold out its banner alone says so: a colour or size also gone would only
    stack a second line under it ("已售罄 / 藏青 已售完" on the real tops).
    """
    if ("", "") in {tuple(v) for v in sold}:
        return [templates.text]
    texts = []
    for colour, size in sold:
        if not colour and not size:
            texts.append(templates.text)
        elif colour and not size:
            shows = any(p.seq == photo.seq for p in colour_map.get(colour, []))
            if sku_colour == colour or (shows and sku_colour is None):  # not on another colour's SKU image
                texts.append(templates.colour_text.format(colour=colour))
        elif colour and size and sku_colour == colour:  # one size of a colour: on that colour's SKU image
            texts.append(templates.size_text.format(size=f"{colour} {size}", colour=colour))
    return sorted(set(texts), key=texts.index)
