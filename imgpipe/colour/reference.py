"""Reference shots: grey card, which reference a photo holds, reference file names.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from imgpipe.colour.chart import correction_from_chart, find_chart
from imgpipe.colour.correction import (Correction, ReferenceNotFound, ReferenceRejected, check_image,
                                      gains_from_light, MAX_GAIN_RATIO, proxy_image)
from imgpipe.colour.maths import Y_WEIGHTS, cct_and_tint, srgb_to_linear
from imgpipe.messages import t
from imgpipe.ops import channel_max, channel_min

# 18 % grey card: linear 0.18, sRGB ~118.
GREY_CARD_NOMINAL = 0.18

_REFERENCE_MARKERS = ("_ref", "-ref", "色卡", "灰卡", "greycard", "graycard", "grey_card", "gray_card")


# ---------------------------------------------------------------- grey card

def _find_grey_card(proxy: np.ndarray):
    """Largest compact, uniform, mid-tone region: a grey card. Returns its mask or None."""
    h, w = proxy.shape[:2]
    f = proxy.astype(np.float32)
    mean = cv2.blur(f, (7, 7))
    var = cv2.blur(f * f, (7, 7)) - mean * mean
    std = channel_max(np.sqrt(np.maximum(var, 0)))
    lin = srgb_to_linear(proxy)
    Y = lin @ Y_WEIGHTS.astype(np.float32)
    lo, hi = channel_min(lin), channel_max(lin)
    # mid-tone, not clipped, and no more coloured than a grey under a strong cast
    mask = (std < 5.0) & (Y > 0.02) & (Y < 0.6) & (channel_max(proxy) < 250) & (hi < MAX_GAIN_RATIO * np.maximum(lo, 1e-4))
    mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    best = None
    for i in range(1, n):
        area = stats[i, cv2.CC_STAT_AREA]
        if area < 0.015 * h * w:
            continue
        comp = (lab == i).astype(np.uint8)
        cnts, _ = cv2.findContours(comp, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        (_, _), (rw, rh), _ = cv2.minAreaRect(max(cnts, key=cv2.contourArea))
        # a card is a filled rectangle; a backdrop around a product is not
        if rw * rh <= 0 or area / (rw * rh) < 0.85 or max(rw, rh) / max(min(rw, rh), 1) > 4:
            continue
        if best is None or area > best[0]:
            best = (area, comp)
    if best is None:
        return None
    return cv2.erode(best[1], np.ones((5, 5), np.uint8)).astype(bool)


def correction_from_grey_card(img_u8: np.ndarray, *, nominal: float = GREY_CARD_NOMINAL) -> Correction:
    """Von Kries correction from a grey card in the photo.

    nominal: the card's linear reflectance it should read (0.18 = 18 % grey,
    sRGB ~118). The gains neutralise the card; exposure brings it to nominal.
    Raises ReferenceNotFound without a card, ReferenceRejected when the card
    is clipped or too dark to measure.
    """
    img = check_image(img_u8)
    proxy = proxy_image(img, 768)
    card = _find_grey_card(proxy)
    if card is None or card.sum() < 20:
        raise ReferenceNotFound(t("colour.no_grey_card"), fix=t("colour.no_grey_card.fix"))
    pix = srgb_to_linear(proxy)[card].astype(np.float64)
    light = np.median(pix, axis=0)
    if light.min() < 0.004:
        raise ReferenceRejected(t("colour.card_rejected", reason=t("colour.why.dark")), fix=t("colour.card_rejected.fix"))
    warnings: list[str] = []
    gains = gains_from_light(light, warnings)
    exposure = float(nominal / (Y_WEIGHTS @ light))
    if not 0.25 <= exposure <= 4.0:
        warnings.append(t("colour.warn.card_exposure", exposure=round(exposure, 2)))
    cct, tint = cct_and_tint(gains)
    return Correction(gains=tuple(float(g) for g in gains), exposure=exposure, method="grey_card",
                      cct_k=cct, tint=tint, warnings=warnings)


def detect_reference(img_u8: np.ndarray, *, grey_card: bool = True) -> str | None:
    """"chart", "grey_card" or None: what reference this photo holds.

    A chart is looked for in any photo. A grey card cannot be told apart from
    a plain grey backdrop by pixels alone, so callers should pass
    grey_card=True only for shots marked as references (is_reference_name).
    A chart that is found but unusable (clipped, too small) still counts as
    "chart": correction_from_chart then says why it is rejected.
    """
    img = check_image(img_u8)
    try:
        if find_chart(img) is not None:
            return "chart"
    except ReferenceRejected:
        return "chart"
    if grey_card and _find_grey_card(proxy_image(img, 768)) is not None:
        return "grey_card"
    return None


CARD_SHOT_SHARE = 0.10   # a grey-card shot: the card covers at least this share of the frame …
CARD_SHOT_STD = 3.0      # … is this uniform (0-255, per channel) …
CARD_SHOT_CENTRE = 0.25  # … its centre lies within this distance (share of the side) of the frame's …
CARD_SHOT_NEUTRAL = 1.15  # … and it is as neutral as the rest of the frame: channel ratios card/rest within this


def is_grey_card_shot(img_u8: np.ndarray) -> bool:
    """True for a photo *of* a grey card (the card fills the middle of the frame, evenly lit).

    Stricter than detect_reference(grey_card=True), which also finds small flat patches in
    close-ups (a mug's handle, a scarf's fringe) and flat coloured products: used where no file
    name says "reference" (a catalog rebuilt from archive names). A grey card and the paper
    around it are lit alike, so card/rest is the same in R, G and B under any cast (the
    demo's card under tungsten: 1.03 apart); a coloured object's is not (a flat teal box: 1.37).
    Measured on the demo's 25 photos: the one card shot is found (17 % of the frame, σ 1.3),
    no close-up is (at most 7.5 %, σ ≥ 2.3).
    """
    proxy = proxy_image(check_image(img_u8), 768)
    card = _find_grey_card(proxy)
    if card is None or card.mean() < CARD_SHOT_SHARE:
        return False
    ys, xs = np.nonzero(card)
    centred = abs(ys.mean() / card.shape[0] - 0.5) <= CARD_SHOT_CENTRE and \
        abs(xs.mean() / card.shape[1] - 0.5) <= CARD_SHOT_CENTRE
    if not centred or float(proxy[card].std(axis=0).max()) > CARD_SHOT_STD:
        return False
    ratio = np.median(proxy[card], axis=0).astype(np.float64) / np.maximum(np.median(proxy[~card], axis=0), 1.0)
    return float(ratio.max() / max(ratio.min(), 1e-6)) <= CARD_SHOT_NEUTRAL


_MARKER_RE = re.compile("|".join(re.escape(m) for m in _REFERENCE_MARKERS), re.IGNORECASE)


def is_reference_name(filename: str) -> bool:
    """True when the file name marks a reference shot: _ref, -ref, 色卡, 灰卡, greycard (any case)."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if _MARKER_RE.search(stem):
        # "_ref" must end a word: A1023_ref.jpg, A1023_ref2, not A1023_refill
        for m in re.finditer(r"[_-]ref", stem, re.IGNORECASE):
            nxt = stem[m.end():m.end() + 1]
            if not nxt or not nxt.isalpha():
                return True
        return bool(re.search("色卡|灰卡|gr[ae]y[_ -]?card", stem, re.IGNORECASE))
    return False


def correction_from_reference(img_u8: np.ndarray) -> Correction:
    """The correction a reference shot gives: a ColorChecker if one is seen, else a grey card.

    Raises ReferenceRejected with the reason when the chart or card is found
    but unusable, and ReferenceNotFound naming both (and what each must look
    like) when neither is found.
    """
    img = check_image(img_u8)
    if detect_reference(img, grey_card=False) == "chart":
        return correction_from_chart(img)
    try:
        return correction_from_grey_card(img)
    except ReferenceNotFound:
        raise ReferenceNotFound(t("colour.no_reference"), fix=t("colour.no_reference.fix")) from None
