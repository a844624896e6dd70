"""Pre-upload validation (图片审核): one report per platform, product by product.

    imgpipe validate [--platform P] [--article A] [--json]

Every article is checked for every platform against its profile; each check
has an id, and every problem it finds a severity (error / warning), a message
and what to do about it:

  naming     file names `<article>-NN…`, no duplicate or missing numbers, length (R9)
  counts     main images within the profile's count, a white-background image,
             the large image, >= 5 selling-point images (R4)
  sizes      dimensions, detail width, slice height, byte caps, formats, sRGB,
             no CMYK, no alpha; an image that does not decode fails here
  marks      watermark on the roles that need it, none on the white image (pure
             white border), never over the product where the profile says so (R2)
  data       R7 label fields, R6 measurements, R10 title/category/brand/price
  soldout    every sold-out variant's overlay is on its images, names kept (R11)
  backup     every output and original verified on the backup target (R9)
  quality    originals: residual backdrop cast after correction (R8), blur,
             near-duplicate photos, product touching the frame edge
  freshness  outputs missing, stale (fingerprint), older than their original

Nothing here writes to outputs or the catalog: the plan is recomputed with
`plan_article` (not `plan_all`, which removes unwanted files), so validating
is safe at any time. One decode per file per run; hashes are shared between
the backup and freshness checks.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import sqlite3
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np
from PIL import Image, ImageCms

from imgpipe import clock
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import atomic_write_text, sha256_file
from imgpipe.messages import t, t_in
from imgpipe.profiles import Profile
from imgpipe.ops import shrink_to_long_side
from imgpipe.render import is_close_up

CHECKS = ("naming", "counts", "sizes", "marks", "data", "soldout", "backup", "quality", "freshness")
SEVERITIES = ("error", "warning")
ROLE_ORDER = ("main", "white", "large", "selling_point", "detail", "sku", "page")

MIN_SELLING_POINTS = 5          # R4
NAME_MAX_CHARS = 60             # file-name length platforms' image spaces accept (characters)
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s#%&]')
WHITE_BORDER_MIN = 250          # 0-255: a "pure white" border pixel after JPEG (255 before)
WHITE_BORDER_MEAN = 254.0       # 0-255: mean over the border strip
CAST_MAX_DELTA_E = 3.0          # ΔE2000 of the backdrop mean from neutral grey of the same L
CAST_MAX_DEGREES = 3.0          # angle (°) between backdrop mean and neutral, linear RGB
BLUR_RATIO = 0.3                # sharpness below this share of the article's median: blurred
BLUR_FLOOR = 8.0                # variance of Laplacian (0-255 grey, 512 px proxy) below this: blurred
DUP_PHASH_BITS = 5              # pHash Hamming distance (of 63) at or below: near-duplicate
DUP_MAX_DELTA_E = 8.0           # and mean product colour within this ΔE2000
EDGE_MARGIN = 0.004             # product box within this share of the frame edge: touching
PROXY_LONG_SIDE = 512
MAX_PRINTED_ERRORS = 12         # error lines per platform in the terminal; the report has all


# --------------------------------------------------------------------------- results


@dataclass
class Finding:
    """One problem: `code` says which rule, `file` is workspace-relative when known."""

    check: str
    code: str
    severity: str
    message: str
    fix: str = ""
    file: str | None = None

    def as_dict(self) -> dict:
        return {"check": self.check, "code": self.code, "severity": self.severity,
                "message": self.message, "fix": self.fix, "file": self.file}


@dataclass
class CheckResult:
    id: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def status(self) -> str:
        """"error", "warning" or "pass"."""
        sev = {f.severity for f in self.findings}
        return "error" if "error" in sev else "warning" if "warning" in sev else "pass"

    def as_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "findings": [f.as_dict() for f in self.findings]}


@dataclass
class ImageEntry:
    """An image shown on the report card (path relative to the workspace)."""

    path: str
    role: str
    width: int = 0
    height: int = 0
    nbytes: int = 0
    exists: bool = True

    def as_dict(self) -> dict:
        return {"path": self.path, "role": self.role, "width": self.width, "height": self.height,
                "bytes": self.nbytes, "exists": self.exists}


@dataclass
class ArticleResult:
    platform: str
    article: str
    name: str
    checks: dict[str, CheckResult]
    images: list[ImageEntry] = field(default_factory=list)
    waiting: bool = False  # in the sheet, no photos yet: shown, not counted as failing

    @property
    def status(self) -> str:
        if self.waiting:
            return "waiting"
        states = {c.status for c in self.checks.values()}
        return "error" if "error" in states else "warning" if "warning" in states else "pass"

    def as_dict(self) -> dict:
        return {"platform": self.platform, "article": self.article, "name": self.name, "status": self.status,
                "images": [i.as_dict() for i in self.images],
                "checks": [self.checks[c].as_dict() for c in CHECKS]}


@dataclass
class PlatformReport:
    platform: str
    label: str
    date: str
    articles: list[ArticleResult]
    html: Path | None = None
    json: Path | None = None

    def counts(self) -> dict[str, int]:
        out = {"articles": len(self.articles), "pass": 0, "warning": 0, "error": 0, "waiting": 0}
        for a in self.articles:
            out[a.status] += 1
        return out

    @property
    def ok(self) -> bool:
        return not any(a.status == "error" for a in self.articles)

    def as_dict(self) -> dict:
        return {"version": 1, "platform": self.platform, "label": self.label, "date": self.date,
                "checks": list(CHECKS), "summary": self.counts(), "ok": self.ok,
                "articles": [a.as_dict() for a in self.articles]}


@dataclass
class ValidationResult:
    reports: list[PlatformReport] = field(default_factory=list)
    no_outputs: bool = False
    seconds: float = 0.0
    combined_html: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.no_outputs and all(r.ok for r in self.reports)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def as_dict(self) -> dict:
        return {"ok": self.ok, "no_outputs": self.no_outputs, "seconds": round(self.seconds, 2),
                "reports": [dict(r.as_dict(), html=str(r.html) if r.html else None,
                                 json=str(r.json) if r.json else None) for r in self.reports]}


# --------------------------------------------------------------------------- small pure helpers


def title_units(text: str) -> int:
    """Length as platforms count it: a CJK (wide/full-width) character 2 units, others 1."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def phash(rgb: np.ndarray) -> np.ndarray:
    """63-bit perceptual hash (bool array): DCT of a 32x32 grey thumbnail, 8x8 low band minus DC."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY).astype(np.float32)
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA)
    band = cv2.dct(small)[:8, :8].ravel()[1:]
    return band > np.median(band)


def hamming(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.count_nonzero(a != b))


def sharpness(rgb: np.ndarray, box: tuple[float, float, float, float] | None = None) -> float:
    """Variance of the Laplacian (0-255 grey) inside `box` (shares 0..1 of the image); higher = sharper."""
    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    if box is not None:
        h, w = grey.shape
        x0, y0, x1, y1 = box
        crop = grey[int(y0 * h): max(int(y0 * h) + 3, int(round(y1 * h))),
                    int(x0 * w): max(int(x0 * w) + 3, int(round(x1 * w)))]
        if crop.size >= 9:
            grey = crop
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def backdrop_cast(rgb: np.ndarray, box: tuple[float, float, float, float] | None = None,
                  ring: float = 0.06, margin: float = 0.03) -> tuple[float, float] | None:
    """Residual cast of the backdrop: (ΔE2000 from neutral of the same lightness, angle in degrees).

    The backdrop is sampled in a ring `ring` (share of the long side) along the
    frame, leaving out the product box grown by `margin`. None when too few
    backdrop pixels remain (the product fills the frame).
    """
    from imgpipe import colour

    h, w = rgb.shape[:2]
    b = max(2, int(ring * max(h, w)))
    mask = np.zeros((h, w), bool)
    mask[:b] = mask[-b:] = True
    mask[:, :b] = mask[:, -b:] = True
    if box is not None:
        x0, y0, x1, y1 = box
        mask[max(0, int((y0 - margin) * h)): int(np.ceil((y1 + margin) * h)),
             max(0, int((x0 - margin) * w)): int(np.ceil((x1 + margin) * w))] = False
    if mask.sum() < 200:
        return None
    lin = colour.srgb_to_linear(rgb[mask]).reshape(-1, 3).mean(axis=0)
    lab = colour.linear_to_lab(lin)
    delta = float(colour.delta_e_2000(lab, np.array([lab[0], 0.0, 0.0])))
    return delta, float(colour.angular_error(lin, np.ones(3)))


def white_border_ok(rgb: np.ndarray, sides: str = "tblr") -> bool:
    """True when the border strip (2 % of the width, >= 4 px) on `sides` is pure white."""
    h, w = rgb.shape[:2]
    b = max(4, w // 50)
    parts = {"t": rgb[:b], "b": rgb[-b:], "l": rgb[:, :b], "r": rgb[:, -b:]}
    strip = np.concatenate([parts[s].reshape(-1, 3) for s in sides])
    return bool(strip.min() >= WHITE_BORDER_MIN and strip.mean() >= WHITE_BORDER_MEAN)


def mean_lab(rgb: np.ndarray, box: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Mean colour (CIE Lab, averaged in linear light) inside `box` (shares 0..1)."""
    from imgpipe import colour

    if box is not None:
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = box
        crop = rgb[int(y0 * h): max(int(y0 * h) + 1, int(round(y1 * h))),
                   int(x0 * w): max(int(x0 * w) + 1, int(round(x1 * w)))]
        rgb = crop if crop.size else rgb
    return colour.linear_to_lab(colour.srgb_to_linear(rgb).reshape(-1, 3).mean(axis=0))


def boxes_intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]



# --------------------------------------------------------------------------- file facts (cached)


@dataclass
class FileFacts:
    """What one decode of an image file says. `error` set when it does not decode."""

    exists: bool
    nbytes: int = 0
    mtime: float = 0.0
    fmt: str = ""
    mode: str = ""
    width: int = 0
    height: int = 0
    icc: str | None = None       # profile description, None when no profile is embedded
    alpha: bool = False
    error: str | None = None
    border_ok: dict = field(default_factory=dict)


class _Files:
    """Per-run caches: stat, decode facts, sha256 of workspace files."""

    def __init__(self, root: Path):
        self.root = root
        self._facts: dict[str, FileFacts] = {}
        self._sha: dict[str, str | None] = {}
        self._pixels: dict[str, np.ndarray] = {}

    def path(self, rel: str) -> Path:
        return self.root / rel

    def sha(self, rel: str) -> str | None:
        if rel not in self._sha:
            p = self.path(rel)
            self._sha[rel] = sha256_file(p) if p.is_file() else None
        return self._sha[rel]

    def facts(self, rel: str, full: bool = False) -> FileFacts:
        """Header facts and a (reduced, DCT-scaled) decode; `full` keeps full-size pixels too."""
        if rel in self._facts and (not full or rel in self._pixels or self._facts[rel].error):
            return self._facts[rel]
        p = self.path(rel)
        try:
            st = p.stat()
        except FileNotFoundError:
            self._facts[rel] = FileFacts(exists=False)
            return self._facts[rel]
        facts = FileFacts(exists=True, nbytes=st.st_size, mtime=st.st_mtime)
        try:
            data = p.read_bytes()
            with Image.open(io.BytesIO(data)) as img:
                facts.fmt = (img.format or "").upper()
                facts.mode = img.mode
                facts.width, facts.height = img.size
                facts.alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
                icc = img.info.get("icc_profile")
                if icc:
                    try:
                        facts.icc = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).strip()
                    except Exception:  # a broken profile is as bad as a foreign one
                        facts.icc = "?"
                if not full and img.format == "JPEG":
                    img.draft(img.mode, (max(1, img.size[0] // 8), max(1, img.size[1] // 8)))
                img.load()
                if full:
                    self._pixels[rel] = np.asarray(img.convert("RGB"))
            if facts.fmt == "JPEG" and b"\xff\xd9" not in data[-4096:]:
                raise OSError("truncated JPEG (no end marker)")
        except Exception as exc:  # any decoder failure is a finding, never a crash
            facts.error = f"{type(exc).__name__}: {exc}"
        self._facts[rel] = facts
        return facts

    def pixels(self, rel: str) -> np.ndarray | None:
        self.facts(rel, full=True)
        return self._pixels.get(rel)


# --------------------------------------------------------------------------- the validator


class _Finder:
    """Collects findings for one check with messages from messages.py."""

    def __init__(self, check: str):
        self.result = CheckResult(check)

    def add(self, severity: str, code: str, file: str | None = None, **fields) -> None:
        key = f"validate.{code}"
        self.result.findings.append(Finding(self.result.id, code, severity, t(key, **fields),
                                            t(key + ".fix", **fields), file))

    def error(self, code: str, file: str | None = None, **fields) -> None:
        self.add("error", code, file, **fields)

    def warning(self, code: str, file: str | None = None, **fields) -> None:
        self.add("warning", code, file, **fields)


class _ReadOnlyCatalog:
    """The part of Catalog that plan_all reads, with nothing it could remove or write."""

    def __init__(self, catalog, with_soldout: bool):
        self._catalog = catalog
        self._with_soldout = with_soldout

    def photos(self, article=None):
        return self._catalog.photos(article)

    def soldout(self, article):
        return self._catalog.soldout(article) if self._with_soldout else []

    def outputs(self, *args, **kwargs):
        return []  # plan_all deletes the listed outputs it no longer wants: list none

    def output(self, path):
        return None


@dataclass
class _PlanView:
    root: Path
    settings: object
    catalog: _ReadOnlyCatalog


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
        self.files = _Files(self.root)
        self._quality: dict[str, list[Finding]] = {}
        self._plans: dict[tuple[str, str], tuple[list, list]] = {}
        self._plan_error: str | None = None
        self._backup_rows = self._load_backup_rows()
        self._font = None

    # -- shared data ----------------------------------------------------------

    def _load_backup_rows(self) -> dict[str, sqlite3.Row] | None:
        db = self.cat.db
        if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='backup_files'").fetchone():
            return {}
        return {r["path"]: r for r in db.execute("SELECT * FROM backup_files")}

    def _plan(self, article: str, platform: str):
        """(jobs with the sold-out state, jobs as if nothing were sold out) for one article/platform.

        The pipeline's own `plan_all`, run against a read-only view of the
        catalog: it lists no existing outputs, so plan_all has nothing to
        remove, and validating never changes the workspace.
        """
        if (article, platform) not in self._plans:
            from imgpipe.pipeline import RunSummary, plan_all

            if self._font is None:
                self._font = self.ws.font_path()
            planned = {}
            for with_sold in (True, False):
                summary = RunSummary()
                view = _PlanView(self.root, self.settings, _ReadOnlyCatalog(self.cat, with_sold))
                plan_all(view, [article], self.products, self.ws.profiles, self._font, summary)
                planned[with_sold] = summary.planned
            for name in self.ws.profiles:
                self._plans[(article, name)] = tuple([j for j in planned[w] if j.platform == name]
                                                     for w in (True, False))
        return self._plans[(article, platform)]

    # -- entry point ----------------------------------------------------------

    def run(self) -> list[PlatformReport]:
        reports = []
        for name, profile in self.profiles.items():
            results = [self.validate_article(a, profile) for a in self.articles]
            order = {"error": 0, "warning": 1, "pass": 2, "waiting": 3}
            results.sort(key=lambda r: (order[r.status], r.article))
            reports.append(PlatformReport(name, profile.label(self.settings.language), self.today.isoformat(), results))
        return reports

    def validate_article(self, article: str, profile: Profile) -> ArticleResult:
        product = self.products.get(article)
        rows = self.cat.outputs(article, profile.name)
        page = self.cat.page(profile.name, article)
        slices = json.loads(page["slices"]) if page and page["slices"] else []
        photos = self.cat.photos(article)
        images = self._images(rows, slices)
        waiting = not rows and not photos
        checks = {
            "naming": self.check_naming(article, profile, rows, slices, photos),
            "counts": self.check_counts(article, profile, rows, waiting),
            "sizes": self.check_sizes(profile, rows, slices),
            "marks": self.check_marks(profile, rows),
            "data": self.check_data(article, profile, product),
            "soldout": CheckResult("soldout"),
            "backup": self.check_backup(rows, slices, photos) if not waiting else CheckResult("backup"),
            "quality": self.check_quality(article, photos),
            "freshness": CheckResult("freshness"),
        }
        if product is not None and photos:
            try:
                soldout, handled = self.check_soldout(article, profile, rows)
                checks["soldout"] = soldout
                checks["freshness"] = self.check_freshness(article, profile, rows, page, slices, photos, handled)
            except ImgpipeError as err:  # e.g. no CJK font: the plan cannot be computed here
                f = _Finder("freshness")
                f.warning("plan_unavailable", detail=err.message)
                checks["freshness"] = f.result
        return ArticleResult(profile.name, article, product.name if product else "", checks, images, waiting)

    def _images(self, rows, slices) -> list[ImageEntry]:
        out = []
        for r in sorted(rows, key=lambda r: (ROLE_ORDER.index(r["role"]) if r["role"] in ROLE_ORDER else 99, r["path"])):
            exists = self.files.path(r["path"]).is_file()
            out.append(ImageEntry(r["path"], r["role"], r["width"] or 0, r["height"] or 0, r["bytes"] or 0, exists))
        for s in slices:
            facts = self.files.facts(s)
            out.append(ImageEntry(s, "page", facts.width, facts.height, facts.nbytes, facts.exists))
        return out

    # -- naming (R9) ----------------------------------------------------------

    def check_naming(self, article: str, profile: Profile, rows, slices, photos) -> CheckResult:
        f = _Finder("naming")
        pattern = re.compile(rf"^{re.escape(article)}-(\d{{2,}})(.*)\.([A-Za-z0-9]+)$")
        slice_pattern = re.compile(rf"^{re.escape(article)}-detail-(\d{{2,}})()\.([A-Za-z0-9]+)$")
        known = {r["path"] for r in rows} | set(slices)
        base = self.root / "output" / profile.name / article
        on_disk: list[str] = []
        if base.is_dir():
            for p in sorted(base.rglob("*")):
                rel_parts = p.relative_to(base).parts
                if not p.is_file() or any(part.startswith(".") for part in rel_parts):
                    continue
                # the page's own HTML and web copies are not uploaded one by one
                if rel_parts[0] == "page" and (len(rel_parts) > 2 or p.suffix.lower() not in (".jpg", ".jpeg", ".png")):
                    continue
                on_disk.append(p.relative_to(self.root).as_posix())
        seqs_by_role: dict[str, dict[int, list[str]]] = {}
        points: dict[int, list[str]] = {}
        for rel in on_disk:
            name = rel.rsplit("/", 1)[1]
            role = rel.split("/")[3] if rel.count("/") >= 4 else ""
            m = pattern.match(name) or (role == "page" and slice_pattern.match(name))
            if not m:
                f.error("name_pattern", rel, name=name, article=article)
                continue
            if len(name) > NAME_MAX_CHARS:
                f.error("name_long", rel, name=name, limit=NAME_MAX_CHARS)
            if UNSAFE_NAME.search(name):
                f.error("name_chars", rel, name=name)
            if rel not in known:
                f.warning("name_unknown", rel, name=name)
                continue
            seq, rest = int(m.group(1)), m.group(2)
            if role in ("main", "white", "large", "detail"):
                seqs_by_role.setdefault(role, {}).setdefault(seq, []).append(rel)
            sp = re.fullmatch(r"-sp(\d{2,})", rest)
            if role == "selling_point" and sp:
                points.setdefault(int(sp.group(1)), []).append(rel)
        for role, by_seq in seqs_by_role.items():
            for seq, paths in sorted(by_seq.items()):
                if len(paths) > 1:
                    f.error("name_duplicate", paths[1], name=f"{article}-{seq:02d}", role=t(f"validate.role.{role}"))
        self._sequence(f, article, points, "sp")
        slice_nums: dict[int, list[str]] = {}
        for s in slices:
            m = re.search(r"-detail-(\d{2,})\.\w+$", s)
            if m:
                slice_nums.setdefault(int(m.group(1)), []).append(s)
        self._sequence(f, article, slice_nums, "detail")
        # originals: one number per photo, 01..NN with none missing (R9)
        seqs = sorted(p.seq for p in photos)
        if seqs:
            missing = sorted(set(range(1, seqs[-1] + 1)) - set(seqs))
            if missing:
                f.error("seq_gap", None, article=article, numbers=", ".join(f"{n:02d}" for n in missing))
            for p in photos:
                if not self.files.path(p.original).is_file():
                    f.error("original_missing", p.original, name=p.original.rsplit("/", 1)[-1])
                elif not p.original.rsplit("/", 1)[-1].startswith(p.stem + "."):
                    f.error("name_pattern", p.original, name=p.original.rsplit("/", 1)[-1], article=article)
        return f.result

    @staticmethod
    def _sequence(f: _Finder, article: str, numbers: dict[int, list[str]], kind: str) -> None:
        if not numbers:
            return
        for n, paths in sorted(numbers.items()):
            if len(paths) > 1:
                f.error("name_duplicate", paths[1], name=f"{kind}{n:02d}", role=kind)
        missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
        if missing:
            f.error("seq_gap", None, article=f"{article} ({kind})", numbers=", ".join(f"{n:02d}" for n in missing))

    # -- counts (R4) ----------------------------------------------------------

    def check_counts(self, article: str, profile: Profile, rows, waiting: bool) -> CheckResult:
        f = _Finder("counts")
        if waiting:
            f.warning("waiting", article=article)
            return f.result
        n = {}
        for r in rows:
            n[r["role"]] = n.get(r["role"], 0) + 1
        main = profile.role("main")
        if main:
            if n.get("main", 0) < 1:
                f.error("main_none")
            elif main.count and n["main"] > main.count:
                f.error("main_too_many", count=n["main"], limit=main.count)
        if profile.role("white") and n.get("white", 0) < 1:
            f.error("white_none")
        if profile.role("white") and n.get("white", 0) > max(1, profile.role("white").count):
            f.error("white_too_many", count=n["white"])
        if profile.role("large") and n.get("large", 0) < 1:
            f.error("large_none")
        if profile.role("selling_point") and n.get("selling_point", 0) < MIN_SELLING_POINTS:
            f.error("selling_points_few", count=n.get("selling_point", 0), need=MIN_SELLING_POINTS)
        return f.result

    # -- sizes, bytes, formats, colour space ----------------------------------

    def check_sizes(self, profile: Profile, rows, slices) -> CheckResult:
        f = _Finder("sizes")
        allowed = {"jpeg" if x.lower() in ("jpg", "jpeg") else x.lower() for x in profile.formats}
        for r in rows:
            spec = profile.roles.get(r["role"])
            if spec is None:
                continue
            facts = self.files.facts(r["path"])
            if not facts.exists:
                continue  # freshness reports missing files
            self._file_rules(f, r["path"], facts, allowed, profile, spec.max_bytes)
            if facts.error:
                continue
            if spec.framed and (facts.width, facts.height) != (spec.width, spec.height):
                f.error("dimensions", r["path"], got=f"{facts.width}×{facts.height}", want=f"{spec.width}×{spec.height}")
            elif not spec.framed and facts.width != spec.width:
                f.error("width", r["path"], got=facts.width, want=spec.width)
        page = profile.detail_page
        for s in slices:
            facts = self.files.facts(s)
            if not facts.exists:
                continue
            self._file_rules(f, s, facts, allowed, profile, page.max_bytes)
            if facts.error:
                continue
            if facts.width != page.width:
                f.error("width", s, got=facts.width, want=page.width)
            if facts.height > page.slice_height:
                f.error("slice_height", s, got=facts.height, limit=page.slice_height)
        return f.result

    @staticmethod
    def _file_rules(f: _Finder, rel: str, facts: FileFacts, allowed: set[str], profile: Profile, cap: int) -> None:
        if facts.error:
            f.error("undecodable", rel, name=rel.rsplit("/", 1)[-1], detail=facts.error)
            return
        ext = rel.rsplit(".", 1)[-1].lower()
        ext = "jpeg" if ext == "jpg" else ext
        if facts.fmt.lower() not in allowed or ext not in allowed:
            f.error("format", rel, got=facts.fmt or ext, allowed=", ".join(profile.formats))
        elif facts.fmt.lower() != ext:
            f.error("format_mismatch", rel, got=facts.fmt, ext=rel.rsplit(".", 1)[-1])
        if facts.nbytes > cap:
            f.error("bytes", rel, got=f"{facts.nbytes / 1048576:.2f} MB", limit=f"{cap / 1048576:.2f} MB")
        if facts.mode == "CMYK":
            f.error("cmyk", rel)
        if facts.icc is not None and "srgb" not in facts.icc.lower():
            f.error("not_srgb", rel, profile=facts.icc)
        if facts.alpha and profile.flatten_alpha:
            f.error("alpha", rel)

    # -- marks (R2) -----------------------------------------------------------

    def check_marks(self, profile: Profile, rows) -> CheckResult:
        f = _Finder("marks")
        wm = self.settings.watermark
        configured = bool(wm.text or wm.logo)
        needs = [r for r in rows if (profile.roles.get(r["role"]) and profile.roles[r["role"]].watermark != "none")]
        if needs and not configured:
            f.error("no_watermark_set")
        for r in rows:
            spec = profile.roles.get(r["role"])
            if spec is None:
                continue
            meta = json.loads(r["meta"] or "{}")
            boxes = meta.get("watermark_boxes") or []
            if r["role"] == "white":
                if boxes:
                    f.error("mark_on_white", r["path"])
                rgb = self.files.pixels(r["path"]) if self.files.path(r["path"]).is_file() else None
                # a sold-out banner spans the width: only the top strip must stay white then
                if rgb is not None and not white_border_ok(rgb, "t" if meta.get("overlays") else "tblr"):
                    f.error("white_border", r["path"])
                continue
            if spec.watermark == "none" or not configured:
                continue
            if not boxes:
                if meta.get("watermark_skipped"):
                    f.warning("mark_skipped", r["path"])
                else:
                    f.error("mark_missing", r["path"])
                continue
            if spec.watermark == "outside_product":
                product_box = meta.get("product_box")
                if not product_box:
                    f.error("product_box_unknown", r["path"])
                elif any(boxes_intersect(b, product_box) for b in boxes):
                    f.error("mark_over_product", r["path"])
        return f.result

    # -- data (R6, R7, R10) ---------------------------------------------------

    def check_data(self, article: str, profile: Profile, product) -> CheckResult:
        f = _Finder("data")
        if product is None:
            f.error("not_in_sheet", article=article)
            return f.result
        required = [("name", "名称"), ("colours", "颜色"), ("fabric", "面料"), ("sizes", "尺码"), ("note", "说明"),
                    ("category", "类目"), ("brand", "品牌"), ("title", "标题")]
        for attr, column in required:
            if not getattr(product, attr):
                f.error(f"missing_{attr}", column=column)
        if not product.measurements():
            f.error("missing_measurements", column="长 / 宽 / 高")
        if product.price is None or product.price <= 0:
            f.error("missing_price", column="价格")
        if product.title:
            units = title_units(product.title)
            if units > profile.title_max_units:
                f.error("title_long", units=units, limit=profile.title_max_units,
                        chars=profile.title_max_units // 2, platform=profile.label(self.settings.language))
        return f.result

    # -- sold out (R11) -------------------------------------------------------

    def check_soldout(self, article: str, profile: Profile, rows) -> tuple[CheckResult, set[str]]:
        """The check, and the output paths whose staleness it already explains."""
        f = _Finder("soldout")
        handled: set[str] = set()
        jobs, unsold = self._plan(article, profile.name)
        by_path = {r["path"]: r for r in rows}
        if {j.path for j in jobs} != {j.path for j in unsold}:
            f.error("names_changed")
        sold = self.cat.soldout(article)
        for job in jobs:
            row = by_path.get(job.path)
            if row is None or not self.files.path(job.path).is_file():
                continue  # freshness: not made yet
            meta = json.loads(row["meta"] or "{}")
            want, have = list(job.params.get("overlays") or []), list(meta.get("overlays") or [])
            if want and sorted(want) != sorted(have):
                f.error("overlay_missing", job.path, text=" / ".join(want))
                handled.add(job.path)
            elif have and not want:
                f.error("overlay_left", job.path, text=" / ".join(have))
                handled.add(job.path)
            elif job.role == "large" and job.params.get("sold_sizes") and row["fingerprint"] != job.fingerprint:
                f.error("overlay_missing", job.path, text=", ".join(job.params["sold_sizes"]))
                handled.add(job.path)
        product = self.products[article]
        for colour, size in sold:
            if colour and colour not in product.colours:
                f.warning("soldout_unknown_colour", colour=colour, known=" / ".join(product.colours) or "-")
            if size and size not in product.sizes:
                f.warning("soldout_unknown_size", size=size, known=" / ".join(product.sizes) or "-")
        return f.result, handled

    # -- backup (R9) ----------------------------------------------------------

    def check_backup(self, rows, slices, photos) -> CheckResult:
        f = _Finder("backup")
        if not (self.settings.backup.target or "").strip():
            f.warning("no_target")
            return f.result
        paths = [r["path"] for r in rows] + list(slices) + [p.original for p in photos]
        for rel in paths:
            sha = self.files.sha(rel)
            if sha is None:
                continue  # missing files are reported by naming / freshness
            row = self._backup_rows.get(rel)
            if row is None or row["state"] != "done":
                f.error("not_backed_up", rel, name=rel.rsplit("/", 1)[-1],
                        state=t(f"validate.backup_state.{row['state'] if row else 'none'}"))
            elif row["sha256"] != sha:
                f.error("backup_stale", rel, name=rel.rsplit("/", 1)[-1])
        return f.result

    # -- photo quality (R8, originals) ----------------------------------------

    def check_quality(self, article: str, photos) -> CheckResult:
        f = _Finder("quality")
        f.result.findings = list(self._quality_findings(article, photos))
        return f.result

    def _quality_findings(self, article: str, photos) -> list[Finding]:
        if article in self._quality:
            return self._quality[article]
        from imgpipe import colour
        from imgpipe.imageio import load_photo

        f = _Finder("quality")
        measured = []
        for p in photos:
            if p.kind != "photo" or not p.analysis or "box" not in p.analysis:
                continue
            path = self.files.path(p.original)
            if not path.is_file():
                continue
            try:
                photo = load_photo(path, max_megapixels=self.settings.max_megapixels, min_long_side=PROXY_LONG_SIDE)
            except ImgpipeError as err:
                f.error("undecodable", p.original, name=path.name, detail=err.message)
                continue
            proxy = shrink_to_long_side(photo.rgb, PROXY_LONG_SIDE)
            box = tuple(p.analysis["box"])
            corrected = colour.apply_correction(proxy, colour.Correction.from_dict(p.analysis["correction"]),
                                                self.settings.colour.strength)
            cast = backdrop_cast(corrected, box)
            if cast and (cast[0] > CAST_MAX_DELTA_E or cast[1] > CAST_MAX_DEGREES):
                f.warning("cast", p.original, name=path.name, delta_e=f"{cast[0]:.1f}", degrees=f"{cast[1]:.1f}")
            close_up = is_close_up(p.analysis)
            if not close_up:  # a detail shot crosses the frame on purpose
                x0, y0, x1, y1 = box
                if min(x0, y0) <= EDGE_MARGIN or max(x1, y1) >= 1 - EDGE_MARGIN:
                    f.warning("edge", p.original, name=path.name)
            measured.append((p, path.name, sharpness(proxy, box), phash(proxy), mean_lab(corrected, box), close_up))
        # a product on its backdrop is compared with the article's other such shots; a
        # close-up has other texture at this scale, so only the floor applies to it
        framed = [m for m in measured if not m[5]]
        for p, name, sharp, _, _, close_up in measured:
            others = [] if close_up else [m[2] for m in framed if m[0].id != p.id]
            median = float(np.median(others)) if len(others) >= 2 else None
            if sharp < BLUR_FLOOR or (median and sharp < BLUR_RATIO * median):
                f.warning("blur", p.original, name=name, value=f"{sharp:.0f}",
                          median=f"{median:.0f}" if median else "-")
        for i in range(len(measured)):
            for j in range(i + 1, len(measured)):
                a, b = measured[i], measured[j]
                # a pHash over the whole frame: a re-save, a resize or a slight re-crop stays
                # within a few bits, another angle of the same product does not
                # and the same colours: one pose shot in navy and in red is two colour variants
                if hamming(a[3], b[3]) <= DUP_PHASH_BITS and float(colour.delta_e_2000(a[4], b[4])) <= DUP_MAX_DELTA_E:
                    f.warning("duplicate", b[0].original, name=b[1], other=a[1])
        self._quality[article] = f.result.findings
        return f.result.findings

    # -- freshness ------------------------------------------------------------

    def check_freshness(self, article: str, profile: Profile, rows, page, slices, photos,
                        handled: set[str]) -> CheckResult:
        from imgpipe.pipeline import analysis_task

        f = _Finder("freshness")
        settings = self.settings
        refs = [p for p in photos if p.kind == "reference"]
        by_id = {p.id: p for p in photos}
        for p in photos:
            if not p.analysis or "box" not in p.analysis:
                if p.kind == "photo":
                    f.error("not_analysed", p.original, name=p.original.rsplit("/", 1)[-1])
                continue
            if p.analysis_key != analysis_task(settings, p, refs)[1]:
                f.error("analysis_stale", p.original, name=p.original.rsplit("/", 1)[-1])
        jobs, _ = self._plan(article, profile.name)
        by_path = {r["path"]: r for r in rows}
        wanted = set()
        for job in jobs:
            wanted.add(job.path)
            row = by_path.get(job.path)
            facts = self.files.facts(job.path)
            if row is None:
                f.error("not_made", job.path, name=job.path.rsplit("/", 1)[-1])
                continue
            if not facts.exists:
                f.error("file_missing", job.path, name=job.path.rsplit("/", 1)[-1])
                continue
            if row["fingerprint"] != job.fingerprint and job.path not in handled:
                f.error("stale", job.path, name=job.path.rsplit("/", 1)[-1])
                continue
            photo = by_id.get(row["photo_id"])
            if photo is not None:
                orig = self.files.path(photo.original)
                if orig.is_file() and orig.stat().st_mtime > facts.mtime + 1:
                    f.error("older_than_original", job.path, name=job.path.rsplit("/", 1)[-1],
                            original=orig.name)
                    continue
            if row["sha256"] and (facts.nbytes != row["bytes"] or self.files.sha(job.path) != row["sha256"]):
                f.warning("changed_by_hand", job.path, name=job.path.rsplit("/", 1)[-1])
        for path in by_path:
            if path not in wanted:
                f.warning("left_over", path, name=path.rsplit("/", 1)[-1])
        # a missing image makes the page hash differ too; the next run settles both, so say it once
        if jobs and not any(x.code in ("not_made", "file_missing") for x in f.result.findings):
            self._page_freshness(f, article, profile, page, slices)
        return f.result

    def _page_freshness(self, f: _Finder, article: str, profile: Profile, page, slices) -> None:
        from imgpipe.pages import page_fingerprint, page_images

        if page is None or not slices:
            f.error("page_missing", None, article=article)
            return
        for s in slices:
            if not self.files.path(s).is_file():
                f.error("file_missing", s, name=s.rsplit("/", 1)[-1])
                return
        product = self.products[article]
        fp = page_fingerprint(self.ws, product, profile, page_images(self.ws, product, profile.name), "slices")
        if page["fingerprint"] != fp:
            f.error("page_stale", None, article=article)


# --------------------------------------------------------------------------- reports on disk


def report_paths(root: Path, platform: str, date: str) -> tuple[Path, Path]:
    base = root / "reports" / f"validation-{platform}-{date}"
    return base.with_suffix(".html"), base.with_suffix(".json")


def _labels(lang: str) -> dict[str, str]:
    keys = ["title", "generated", "platform", "status", "all", "filter_platform", "filter_status", "shown",
            "no_findings", "more", "file", "fix", "images", "missing_file", "checks", "summary_line",
            "legend", "article", "st.pass", "st.warning", "st.error", "st.waiting", "sev.error", "sev.warning"]
    out = {k: t_in(lang, f"validate.html.{k}") for k in keys}
    for c in CHECKS:
        out[f"check.{c}"] = t_in(lang, f"validate.check.{c}")
        out[f"check_help.{c}"] = t_in(lang, f"validate.check_help.{c}")
    for r in ROLE_ORDER:
        out[f"role.{r}"] = t_in(lang, f"validate.role.{r}")
    return out


def render_html(reports: list[PlatformReport], lang: str, generated: str, workspace: str) -> str:
    """The report page (Jinja2, autoescaped): one card per article, filters in inline JS."""
    import jinja2

    from imgpipe.resources import builtin_dir

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(builtin_dir("templates")), encoding="utf-8"),
                             autoescape=True, keep_trailing_newline=True)
    template = env.get_template("report.html.j2")
    cards = []
    for report in reports:
        for a in report.articles:
            cards.append({
                "platform": report.platform, "platform_label": report.label, "article": a.article, "name": a.name,
                "status": a.status,
                "images": [dict(i.as_dict(), href="../" + quote(i.path, safe="/"),
                                file=i.path.rsplit("/", 1)[-1]) for i in a.images],
                "checks": [{"id": c, "status": a.checks[c].status,
                            "findings": [x.as_dict() for x in a.checks[c].findings]} for c in CHECKS],
            })
    summary = {"articles": 0, "pass": 0, "warning": 0, "error": 0, "waiting": 0}
    for r in reports:
        for k, v in r.counts().items():
            summary[k] += v
    return template.render(
        lang=lang, L=_labels(lang), cards=cards, checks=list(CHECKS), generated=generated, workspace=workspace,
        platforms=[{"name": r.platform, "label": r.label} for r in reports], summary=summary,
        date=reports[0].date if reports else "",
    )


def write_reports(root: Path, reports: list[PlatformReport], lang: str) -> Path | None:
    """`reports/validation-<platform>-<date>.html` and `.json` per platform; all-platform page when several."""
    generated = clock.now_iso()
    for report in reports:
        html_path, json_path = report_paths(root, report.platform, report.date)
        atomic_write_text(html_path, render_html([report], lang, generated, str(root)))
        data = dict(report.as_dict(), generated=generated, workspace=str(root), language=lang)
        atomic_write_text(json_path, json.dumps(data, ensure_ascii=False, indent=2))
        report.html, report.json = html_path, json_path
    if len(reports) > 1:
        combined = root / "reports" / f"validation-all-{reports[0].date}.html"
        atomic_write_text(combined, render_html(reports, lang, generated, str(root)))
        return combined
    return None


def validate_workspace(ws, *, platforms: list[str] | None = None, articles: list[str] | None = None,
                       today: dt.date | None = None, write: bool = True) -> ValidationResult:
    """Check every article for every platform; write the reports. Raises ConfigError/ImgpipeError for usage problems."""
    started = time.perf_counter()
    validator = Validator(ws, platforms=platforms, articles=articles, today=today)
    result = ValidationResult()
    wanted = list(validator.profiles)
    outputs = [r for r in ws.catalog.outputs() if r["platform"] in wanted
               and (not articles or r["article"] in articles)]
    if not outputs:
        result.no_outputs = True
        result.seconds = time.perf_counter() - started
        return result
    result.reports = validator.run()
    if write:
        result.combined_html = write_reports(ws.root, result.reports, ws.settings.language)
    result.seconds = time.perf_counter() - started
    return result


def print_summary(result: ValidationResult, console) -> None:
    """A rich table on stderr: one row per article, one column per check."""
    from rich.markup import escape
    from rich.table import Table

    marks = {"pass": "[green]●[/]", "warning": "[yellow]▲[/]", "error": "[red]✗[/]", "waiting": "[dim]…[/]"}
    for report in result.reports:
        c = report.counts()
        table = Table(title=t("validate.table_title", platform=report.label, date=report.date))
        table.add_column(t("validate.html.article"), no_wrap=True)
        for check in CHECKS:
            table.add_column(t(f"validate.check.{check}"), justify="center", overflow="fold")
        for a in report.articles:
            status = "waiting" if a.waiting else None
            table.add_row(a.article, *[marks[status or a.checks[ch].status] for ch in CHECKS])
        console.print(table)
        console.print(t("validate.summary", **{k: c[k] for k in ("articles", "pass", "warning", "error", "waiting")}))
        errors = [(a, f) for a in report.articles for ch in CHECKS for f in a.checks[ch].findings
                  if f.severity == "error"]
        for a, finding in errors[:MAX_PRINTED_ERRORS]:
            where = f"{finding.file}: " if finding.file else f"{a.article}: "
            # paths and fixes hold brackets ("[roles.main]"): shown as written, not taken for markup
            console.print(f"  [red]✗[/] {escape(where + str(finding.message))} [dim]({escape(str(finding.fix))})[/]",
                          soft_wrap=True)
        if len(errors) > MAX_PRINTED_ERRORS:
            console.print("  " + t("validate.more_errors", n=len(errors) - MAX_PRINTED_ERRORS))
        if report.html:
            console.print(t("validate.written", html=report.html, json=report.json))
    if result.combined_html:
        console.print(t("validate.written_all", html=result.combined_html))
    console.print(t("validate.seconds", seconds=f"{result.seconds:.1f}"))
