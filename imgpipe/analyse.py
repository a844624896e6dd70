"""The analysis stage: colour correction, product box, backdrop, close-up, product colours.

Below the planner: `context.py` plans from what this module decides
(`is_close_up`, the session colour) and names what analysing a photo takes
(`analysis_task`); `pipeline.py` runs `analyse_photo` in the workers and
`render.py` frames from its analysis. Importing it loads no image library:
cv2, the cut-out and the colour maths are imported by the functions that
run them, so the planner stays light.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from imgpipe.plan import fingerprint

# What refuses a reference shot (colour.chart.MAX_LOO_MEAN_DE, ...): part of a reference's analysis key, so
# raising this makes every workspace judge its reference shots again (a chart once accepted may be refused).
# 1: a chart fit with leave-one-out mean ΔE2000 above 5 (was 8) is refused; a reference that would push
# more than MAX_CRUSHED_SHARE of a photo to black in a channel is not applied to it.
REFERENCE_RULES = 1
# A reference's correction is not applied to a photo when it pushes a channel to 0 on more than this share
# of the photo's pixels that held >= 8 in it (a hue lost: navy (12, 19, 40) -> (0, 5, 31)). Measured on
# proxies: soi_image.jpg's chart (another camera) on G501's photos 23 % and 28 % (0 % on its two
# others); the real charts of shared/data/colour-real on their own scenes 0.5-1.6 %; the demo's grey card
# on its 6 photos and rendered charts on their rendered products 0 %; the automatic estimate 0 % on all.
MAX_CRUSHED_SHARE = 0.05
SESSION_OUTLIER_DEG = 2.0  # a photo's light further than this from its article's is not believed


# --------------------------------------------------------------------------- decisions on an analysis


def is_close_up(analysis: dict) -> bool:
    """True for a detail shot: the product box touches an edge of the photo (the frame cuts
    the product, so it is not whole), no product was found, or the article's other shots
    show its "backdrop" was product (`close_up`)."""
    if analysis.get("close_up"):
        return True
    if "model_close_up" in analysis:  # decided on the model's mask of the product (model_analysis)
        return analysis["model_close_up"] or not analysis.get("box_confident", True)
    x0, y0, x1, y1 = analysis["box"]
    edges = sum((x0 <= 0.01, y0 <= 0.01, x1 >= 0.99, y1 >= 0.99))
    return edges >= 1 or not analysis.get("box_confident", True)


PLAIN_CLOSE_UP = 0.8  # backdrop score (framing.backdrop_score) from which a "close-up" is a whole product
                      # shot tight on a light plain sweep: real catalogue shots 0.94-1.0, the demo's close-ups <= 0.38


def fits_whole(analysis: dict) -> bool:
    """A close-up's border is a plain light backdrop (backdrop score >= PLAIN_CLOSE_UP): the product
    was shot tight on a sweep, so the whole photo is fitted and padded rather than centre-cropped."""
    return analysis.get("backdrop", 0.0) >= PLAIN_CLOSE_UP


def model_analysis(img, analysis: dict, model, prob=None) -> tuple:
    """(the model's map of the photo, `analysis` with the product's box and close-up decided on the
    model's own mask): a stray object in a corner, which the classical box takes in, is no product
    (its speck is dropped) and makes no close-up; a scene photo gets a confident box.

    prob: the model's map of `img` when already made (render.PhotoWork keeps it: the model runs
    once a photo); None = run `model` (a saliency.ModelChoice) on `img`.
    """
    import cv2
    import numpy as np

    from imgpipe import cutout

    if prob is None:
        prob = model.product_map(img)
    h, w = img.shape[:2]
    s = max(prob.shape) / max(h, w)  # a square map, or one at the photo's aspect (saliency.feed_size)
    mask = cutout.model_mask(cv2.resize(prob, (max(1, round(w * s)), max(1, round(h * s))),
                                        interpolation=cv2.INTER_LINEAR), img)
    out = dict(analysis)
    if mask.mean() >= cutout.MODEL_MIN_AREA:
        ys, xs = np.nonzero(mask)
        mh, mw = mask.shape
        out.update(box=[xs.min() / mw, ys.min() / mh, (xs.max() + 1) / mw, (ys.max() + 1) / mh],
                   box_confident=True, model_close_up=cutout.touches_frame(mask))
    else:
        out.update(box_confident=False, model_close_up=False)
    return prob, out


# --------------------------------------------------------------------------- analysis inputs


@dataclass
class AnalyseTask:
    photo_id: int
    original: str
    kind: str
    reference: dict | None  # a Correction from the article's reference shot, if any
    colour: object = None   # settings.ColourPlan: mode, strength, manual gains
    sha256: str = ""        # the original's: finds the proxy ingest kept (proxies.py)
    reference_name: str = ""  # the reference shot's file name as it came in (for the user)


def analysis_task(settings, photo, references: list) -> tuple[AnalyseTask, str]:
    """What analysing `photo` takes, and the key its stored analysis must carry to be current.

    references: the article's reference shots (already analysed).
    """
    plan = settings.colour.for_article(photo.article)
    ref = None
    if photo.kind == "photo" and plan.mode != "off":
        ref = _reference_for(photo, references, settings.colour.reference_window_minutes)
    reference = ref.analysis["correction"] if ref else None
    key = fingerprint("analysis-5", photo.sha256, plan, reference)
    if photo.kind == "reference" or reference:  # judged again when the rules for refusing a reference change
        key = fingerprint(key, REFERENCE_RULES)
    return AnalyseTask(photo.id, photo.original, photo.kind, reference, plan, photo.sha256,
                       ref.source_name if ref else ""), key


def _reference_for(photo, references: list, window_minutes: float):
    """The article's reference shot (a PhotoRow with a correction) taken under the same light, or None.

    Same article, and when both carry a capture time, within the window;
    the nearest in time wins.
    """
    best, best_gap = None, None
    for ref in references:
        if not ref.analysis or "correction" not in ref.analysis:  # no card/chart found: not a reference
            continue
        gap = _minutes_between(photo.captured_at, ref.captured_at)
        if gap is not None and gap > window_minutes:
            continue
        if best is None or (gap is not None and (best_gap is None or gap < best_gap)):
            best, best_gap = ref, gap
    return best


def _minutes_between(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    try:
        fa = dt.datetime.strptime(a[:19], "%Y:%m:%d %H:%M:%S")
        fb = dt.datetime.strptime(b[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return abs((fa - fb).total_seconds()) / 60


def with_session_colour(photos: list) -> list:
    """The photos, where those that cannot see the light take the article's studio correction.

    The photos of one article are shot in one session under one light. A
    close-up of fabric cannot show that light: with no backdrop the general
    estimate (shades-of-grey) mistakes a colourful product for a cast, and
    a frame filled with cream canvas passes the fabric off as a white
    backdrop. So the median light of the article's backdrop shots is used
    for photos without a backdrop, and, when at least three backdrop shots
    agree, for any photo whose own estimate strays from them by more than
    SESSION_OUTLIER_DEG degrees. A backdrop shot that strays is taken for a
    close-up too (`close_up` in its analysis): what it took for backdrop
    was the product's own surface, so its "product box" is only a detail.
    """
    own = [p for p in photos if p.kind == "photo"]
    studio = [p.analysis["correction"] for p in own if p.analysis["correction"].get("method") == "backdrop"]
    if not studio:
        return photos
    import numpy as np

    from imgpipe import colour

    gains = np.median([c["gains"] for c in studio], axis=0)
    cct, tint = colour.cct_and_tint(gains)
    session = colour.Correction(gains=tuple(float(g) for g in gains), method="session", cct_k=cct, tint=tint,
                                exposure=float(np.median([c["exposure"] for c in studio]))).to_dict()

    def strays(c) -> bool:
        # the lights are the inverse gains; compare their directions
        return (c.get("method") == "backdrop" and len(studio) >= 3
                and colour.angular_error(1 / np.asarray(c["gains"]), 1 / gains) > SESSION_OUTLIER_DEG)

    out = []
    for p in photos:
        c = p.analysis["correction"]
        if p.kind == "photo" and c.get("method") in ("shades_of_grey", "none"):
            p = dataclasses.replace(p, analysis=dict(p.analysis, correction=session))
        elif p.kind == "photo" and strays(c):
            p = dataclasses.replace(p, analysis=dict(p.analysis, correction=session, close_up=True))
        out.append(p)
    return out


# --------------------------------------------------------------------------- the stage (workers)


def analyse_photo(task: AnalyseTask, root: Path, max_megapixels: float) -> tuple[int, dict | None, dict | None]:
    """(photo_id, analysis, error): colour correction, product box, backdrop score.

    Reference shots get their correction from the card/chart they show; other
    photos take the reference correction when given, else the automatic one.
    Boxes are shares (0..1) of the upright photo, so they hold at any decode size.
    """
    from imgpipe.errors import error_dict

    try:
        from imgpipe import colour, framing, proxies
        from imgpipe.imageio import load_photo
        from imgpipe.messages import t

        path = root / task.original
        if task.kind == "reference":
            photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=2000)
            correction = colour.correction_from_reference(photo.rgb)
            return task.photo_id, {"correction": correction.to_dict(), "size": list(photo.full_size),
                                   "box": [0, 0, 1, 1], "backdrop": 0.0}, None
        kept = proxies.load_proxy(root, task.sha256) if task.sha256 else None
        if kept is None:  # not ingested by this run, or the run was killed since: decode again
            photo = load_photo(path, max_megapixels=max_megapixels, min_long_side=proxies.LONG_SIDE)
            kept = proxies.make_proxy(photo.rgb), photo.full_size
        proxy, full_size = kept
        plan = task.colour
        if plan.mode == "off":
            correction = colour.Correction()
        elif plan.gains:
            correction = colour.Correction.manual(plan.gains)
        elif task.reference is not None:
            correction = colour.Correction.from_dict(task.reference)
        else:
            correction = colour.estimate_auto(proxy)
            if plan.mode == "reference":
                correction.warnings.append(t("colour.warn.no_reference"))
        correction = correction.scaled(plan.strength)
        corrected = colour.apply_correction(proxy, correction)
        refused = None
        if task.reference is not None and not plan.gains:
            crushed = crushed_share(proxy, corrected)
            if crushed > MAX_CRUSHED_SHARE:  # the reference would lose this photo's dark colours: auto instead
                refused = {"file": task.reference_name, "crushed": round(crushed, 3)}
                correction = colour.estimate_auto(proxy).scaled(plan.strength)
                corrected = colour.apply_correction(proxy, correction)
        known = framing.framing_proxy(corrected)  # its Lab, backdrop and mask, made once for the three below
        box = framing.find_product_box(corrected, known)
        h, w = corrected.shape[:2]
        return task.photo_id, {
            "correction": correction.to_dict(),
            "size": list(full_size),
            "box": [box.x0 / w, box.y0 / h, box.x1 / w, box.y1 / h],
            "box_confident": bool(box.confident),
            "backdrop_rgb": [int(v) for v in box.backdrop_rgb],
            "backdrop": float(framing.backdrop_score(corrected)),
            "backdrop_noise": round(framing.backdrop_noise(corrected, known), 1),
            "colours": product_colours(corrected, box, known),
            **({"reference_refused": refused} if refused else {}),
        }, None
    except Exception as err:
        error = error_dict(err, task.original)
        if getattr(err, "fit", None):  # a chart refused for its fit: its figures go to the validation report
            error["fit"] = err.fit
        return task.photo_id, None, error


def crushed_share(src_u8, out_u8) -> float:
    """Share of pixels with a channel that held >= 8 in `src_u8` and is 0 in `out_u8` (the correction crushed it)."""
    import numpy as np

    return float(((out_u8 == 0) & (src_u8 >= 8)).any(axis=-1).mean())


def product_colours(corrected, box, known=None) -> list[list[float]]:
    """The product's dominant colours [[L, a, b, share], …] (largest first), after colour correction.

    Measured inside the cut-out (cutout.cut_out: a white mug on a pale sweep
    keeps its body, which the plain outline mask loses); a close-up (no
    backdrop found) is all product, so its central 60 % is measured instead.
    known: framing.framing_proxy(corrected), when the caller has it.
    """
    import numpy as np

    from imgpipe import colour_names, cutout, framing

    mask = None
    if box.confident:
        # the outline only: the edge's decontaminated colours are not measured
        cut = cutout.cut_out(corrected, proxy_px=max(corrected.shape[:2]), decontaminate=False, known=known,
                             shadow=False)
        mask = cut.alpha >= 0.5 if cut.good else framing.product_mask(corrected, known=known)[0]
    if mask is None or not mask.any():
        h, w = corrected.shape[:2]
        mask = np.zeros((h, w), bool)
        mask[int(h * 0.2):int(h * 0.8), int(w * 0.2):int(w * 0.8)] = True
    return [[round(v, 2) for v in s.lab] + [round(s.share, 3)] for s in colour_names.dominant_colours(corrected, mask)]
