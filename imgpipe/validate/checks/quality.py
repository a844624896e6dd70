"""quality (R8, originals): residual backdrop cast after correction, blur, near-duplicate photos,
product touching the frame edge; the pure measures they use."""

from __future__ import annotations

import json

import cv2
import numpy as np

from imgpipe.errors import ImgpipeError
from imgpipe.messages import t
from imgpipe.ops import shrink_to_long_side
from imgpipe.analyse import is_close_up
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder, Finding

CAST_MAX_DELTA_E = 3.0          # ΔE2000 of the backdrop mean from neutral grey of the same L
CAST_MAX_DEGREES = 3.0          # angle (°) between backdrop mean and neutral, linear RGB
BLUR_RATIO = 0.3                # sharpness below this share of the article's median: blurred
BLUR_FLOOR = 8.0                # variance of Laplacian (0-255 grey, 512 px proxy) below this: blurred
DUP_PHASH_BITS = 5              # pHash Hamming distance (of 63) at or below: near-duplicate
DUP_MAX_DELTA_E = 8.0           # and mean product colour within this ΔE2000
EDGE_MARGIN = 0.004             # product box within this share of the frame edge: touching
PROXY_LONG_SIDE = 512


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_quality(v, a.article, a.photos)


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


def photo_measures(path, correction: dict, box, max_megapixels: float) -> dict:
    """What the quality check measures on an original (PROXY_LONG_SIDE proxy, after its correction):
    cast (ΔE, degrees) or None, sharpness, phash ("0"/"1" string), mean Lab in the box; or
    {"error": why} when it does not decode."""
    from imgpipe import colour
    from imgpipe.imageio import load_photo

    try:
        photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=PROXY_LONG_SIDE)
    except ImgpipeError as err:
        return {"error": str(err.message)}
    proxy = shrink_to_long_side(photo.rgb, PROXY_LONG_SIDE)
    # the stored correction has the article's strength in it already
    corrected = colour.apply_correction(proxy, colour.Correction.from_dict(correction))
    cast = backdrop_cast(corrected, box)
    return {"cast": list(cast) if cast else None, "sharpness": sharpness(proxy, box),
            "phash": "".join("1" if b else "0" for b in phash(proxy)),
            "lab": [float(x) for x in mean_lab(corrected, box)]}


def _check_quality(v, article: str, photos) -> CheckResult:
    f = Finder("quality")
    f.result.findings = list(_quality_findings(v, article, photos))
    return f.result


def _quality_findings(v, article: str, photos) -> list[Finding]:
    if article in v.quality_cache:
        return v.quality_cache[article]
    from imgpipe import colour
    from imgpipe.analyse import with_session_colour

    f = Finder("quality")
    for p in photos:  # a reference shot found but refused: the article's colour is automatic, say why
        refused = (p.analysis or {}).get("error") if p.kind == "reference" else None
        if refused:
            f.warning("colour_ref_refused", p.original, name=p.source_name, reason=refused.get("message", ""),
                      fix=refused.get("fix", ""))
        crushes = (p.analysis or {}).get("reference_refused") if p.kind == "photo" else None
        if crushes:  # the reference was not applied to this photo (analyse.MAX_CRUSHED_SHARE)
            f.warning("colour_ref_crushes", p.original, name=p.original.rsplit("/", 1)[-1], ref=crushes["file"],
                      share=round(100 * crushes["crushed"], 1), fix=t("colour.chart_rejected.fit_fix"))
    measured = []
    # the colour the outputs get: the session's light for close-ups and strays
    for p in with_session_colour([p for p in photos if p.analysis and "box" in p.analysis]):
        if p.kind != "photo":
            continue
        path = v.files.path(p.original)
        if not path.is_file():
            continue
        box = tuple(p.analysis["box"])
        key = "quality:" + json.dumps([p.analysis["correction"], box, PROXY_LONG_SIDE, v.settings.max_megapixels],
                                      sort_keys=True)
        m = v.files.measure(p.original, key, lambda: photo_measures(path, p.analysis["correction"], box,
                                                                   v.settings.max_megapixels))
        if "error" in m:
            f.error("undecodable", p.original, name=path.name, detail=m["error"])
            continue
        cast = m["cast"]
        if cast and (cast[0] > CAST_MAX_DELTA_E or cast[1] > CAST_MAX_DEGREES):
            f.warning("cast", p.original, name=path.name, delta_e=f"{cast[0]:.1f}", degrees=f"{cast[1]:.1f}")
        close_up = is_close_up(p.analysis)
        if not close_up:  # a detail shot crosses the frame on purpose
            x0, y0, x1, y1 = box
            if min(x0, y0) <= EDGE_MARGIN or max(x1, y1) >= 1 - EDGE_MARGIN:
                f.warning("edge", p.original, name=path.name)
        measured.append((p, path.name, m["sharpness"], np.array([c == "1" for c in m["phash"]]),
                         np.array(m["lab"]), close_up))
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
            if (hamming(a[3], b[3]) <= DUP_PHASH_BITS and float(colour.delta_e_2000(a[4], b[4])) <= DUP_MAX_DELTA_E
                    and not _other_colour(a[0], b[0])):
                f.warning("duplicate", b[0].original, name=b[1], other=a[1])
    v.quality_cache[article] = f.result.findings
    return f.result.findings


def _other_colour(a, b) -> bool:
    """The two photos' products differ in dominant colour (measured at analysis, cut-out mask):
    a navy and a red plaid scarf share their mean colour, not their main one."""
    from imgpipe import colour

    ca, cb = a.analysis.get("colours"), b.analysis.get("colours")
    if not ca or not cb:
        return False
    return float(colour.delta_e_2000(np.asarray(ca[0][:3]), np.asarray(cb[0][:3]))) > DUP_MAX_DELTA_E
