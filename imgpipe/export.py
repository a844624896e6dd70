"""Listing packages: `imgpipe export ARTICLE --platform P` — what the operator uploads and pastes.

One zip per article and platform: the images in the order a listing takes
them, named for it (`01-主图1.jpg` … the main images, then main-like extra
roles such as a 3:4 main, the white image, the transparent one, the SKU
images in the sheet's colour order, the detail-page slices top to bottom),
and a listing sheet (`<article>-<platform>.xlsx`: title, category, brand,
price, colours, sizes, measurements). The page's building blocks (large,
detail and selling-point images) are inside the slices and are not packed
again. Only an approved platform exports, unless forced, and a forced export
of a platform whose validation has errors is refused (approve it with
`review --approve --force --reason` instead: the reason is recorded); the
package holds exactly the files the approval saw (their fingerprints are compared).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import write_atomically, sha256_file
from imgpipe.messages import get_language, t

SHEET_FIELDS = ("article", "platform", "name", "listing_title", "category", "brand", "price", "colours", "sizes",
                "measurements", "fabric")


@dataclass
class Package:
    article: str
    platform: str
    zip: Path
    images: list[tuple[str, str]] = field(default_factory=list)   # (name in the zip, workspace path)
    forced: bool = False

    def as_dict(self) -> dict:
        return {"article": self.article, "platform": self.platform, "zip": str(self.zip), "forced": self.forced,
                "images": [{"name": n, "path": p} for n, p in self.images]}


def upload_order(rows, slices: list[str], colours, profile) -> list[tuple[str, str]]:
    """[(name, path)] in upload order from the catalog's output records and the page's slices.

    The order is the roles' own (`Role.listing`: main images, white, transparent, SKU); a
    profile's role `like` one of them comes right after it; SKU images follow the sheet's colour
    order (`colours`); the detail slices come last. Names carry the position: `01-主图1.jpg`; a
    profile's own role is named as the validation report names it: `03-主图（3∶4）1.jpg`.
    """
    from imgpipe.roles import ROLES, label_of

    rank = {c: i for i, c in enumerate(colours)}
    picked: list[tuple[tuple, str, dict, str]] = []   # (sort key, message key, its fields, path)
    for r in rows:
        kind = ROLES.get(r.kind)
        if kind is None or not kind.listing:
            continue
        own = r.role == kind.name
        key = f"export.name.{kind.name}" if own else "export.name.other"
        order = (rank.get(r.colour, len(rank)), r.path) if r.colour else (r.path,)
        # a profile's own role: named as the report and the workbench name it, 主图（3:4）; in a file
        # name its colon is the ratio sign "∶" (U+2236, in GBK too): Windows allows no ":" in file names
        spec = profile.roles.get(r.role) if profile is not None else None
        fields = {"role": r.role, "colour": r.colour,
                  "label": (label_of(r.role, spec) if spec is not None else r.role).replace(":", "\u2236")}
        picked.append(((kind.listing, not own, r.role, *order), key, fields, r.path))
    picked.sort(key=lambda p: p[0])
    picked += [((), "export.name.page", {}, path) for path in slices]
    out, counts = [], {}
    for position, (_, key, fields, path) in enumerate(picked, start=1):
        group = (key, fields.get("role"))
        counts[group] = counts.get(group, 0) + 1
        out.append((f"{position:02d}-{t(key, n=counts[group], **fields)}{Path(path).suffix.lower()}", path))
    return out


def listing_sheet(product, profile, images: list[tuple[str, str]], review_line: str) -> bytes:
    """The listing sheet as xlsx bytes: one row per field (what is pasted into the listing form), then the images.

    The platform is named as the operator knows it (the profile's label: 天猫, not `tmall`)."""
    from openpyxl import Workbook

    values = {"article": product.article, "platform": profile.label(get_language()), "name": product.name,
              "listing_title": product.title or product.name, "category": product.category, "brand": product.brand,
              "price": product.price, "colours": " / ".join(product.colours), "sizes": " / ".join(product.sizes),
              "measurements": product.measurements(), "fabric": product.fabric}
    book = Workbook()
    sheet = book.active
    sheet.title = t("export.sheet.title")
    sheet.append([t("export.sheet.field"), t("export.sheet.value")])
    for key in SHEET_FIELDS:
        sheet.append([t(f"export.sheet.{key}"), values[key]])
    sheet.append([t("export.sheet.approved"), review_line])
    sheet.append([t("export.sheet.images"), "\n".join(name for name, _ in images)])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 60
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def export_package(ws, article: str, platform: str, out_dir: Path | None = None, *, force: bool = False,
                   who: str = "") -> Package:
    """Write `<out_dir>/<article>-<platform>.zip` (default out_dir: exports/ in the workspace).

    Refused (ImgpipeError, nothing written) when the platform is not approved
    and not `force`, or when an image is missing on disk. Logged as `export`.
    """
    from imgpipe.approval import refuse_errors, validation_errors
    from imgpipe.review import review_of, shown_time, why_not_approved

    if platform not in ws.profiles:
        raise ImgpipeError(t("config.unknown_platform", name=platform), field="platform",
                           fix=t("config.unknown_platform.fix", known=", ".join(ws.profiles), name=platform))
    cat = ws.catalog
    product = ws.sheet().products.get(article)
    if product is None:
        raise ImgpipeError(t("status.unknown_article", article=article), fix=t("status.unknown_article.fix"))
    review = review_of(cat, article, platform)
    forced = review.state != "approved"
    label = ws.profiles[platform].label(get_language())  # 天猫, as operations name it
    if forced and not force:
        raise ImgpipeError(t("export.refused", article=article, platform=label, why=why_not_approved(review, label)),
                           fix=t("export.refused.fix"))
    if forced:  # not approved: forced past the review, never past the validation's errors
        errors = validation_errors(ws, article, platform)
        if errors:
            raise refuse_errors(ws, article, platform, errors, "export.has_errors", "export.has_errors.fix")
    page = cat.page(platform, article)
    slices = json.loads(page["slices"]) if page and page["slices"] else []
    images = upload_order(cat.outputs(article, platform), slices, product.colours, ws.profiles[platform])
    if not images:
        raise ImgpipeError(t("review.no_outputs", article=article, platform=label),
                           fix=t("review.no_outputs.fix", article=article))
    approved = (review.decision or {}).get("outputs") or {} if not forced else {}
    for _, path in images:
        if not (ws.root / path).is_file():
            raise ImgpipeError(t("export.missing", path=path), file=ws.root / path,
                               fix=t("export.missing.fix", article=article))
        seen = approved.get(path, "")
        if ":" in seen and seen.rsplit(":", 1)[1] and sha256_file(ws.root / path) != seen.rsplit(":", 1)[1]:
            # changed on disk behind imgpipe's back (edited by hand): not the image that was approved
            raise ImgpipeError(t("export.changed", path=path), file=ws.root / path,
                               fix=t("export.missing.fix", article=article))
    d = review.decision or {}
    review_line = (f"{review.label} · {d.get('who') or ''} · {shown_time(d.get('at'))}" if d else review.label)
    sheet = listing_sheet(product, ws.profiles[platform], images, review_line)

    def write(out) -> None:
        # images are already compressed: stored, not deflated (as fast as a copy, and no bigger)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
            for name, path in images:
                zf.write(ws.root / path, name)
            zf.writestr(f"{article}-{platform}.xlsx", sheet, compress_type=zipfile.ZIP_DEFLATED)

    dest = Path(out_dir) if out_dir is not None else ws.root / "exports"
    target = dest / f"{article}-{platform}.zip"
    write_atomically(target, write, durable=False)  # a half-written zip is never seen under its name
    cat.add_activity(article=article, platform=platform, action="export", who=who, forced=forced,
                     detail={"zip": str(target), "images": len(images)})
    return Package(article, platform, target, images, forced)
