"""Generated studio shots with known colours and known true outlines (cut-out and colour tests).

Each case is drawn with the demo shop's renderer (samples/make_samples.py:
shaded, textured products in linear light, soft contact shadows, glossy
highlights, a light's colour cast, vignetting, sensor noise, JPEG q85), on a
backdrop chosen to make the cut-out hard: light on light, dark on dark,
handles and straps with backdrop inside, highlights touching the backdrop.
The product's alpha from the renderer is the true outline.

    python tests/studio_set.py OUT_DIR      # writes every case as JPEG + true mask PNG to look at
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
sys.path.insert(0, str(SAMPLES))
_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ inside samples/
import make_samples as ms  # noqa: E402

sys.dont_write_bytecode = _bytecode


@dataclass(frozen=True)
class StudioCase:
    """One shot. `colour`: the shop's name for the product colour; `holes`: it has through-holes."""

    name: str
    product: str        # mug | tote | shirt | scarf
    colour: str
    tone: float         # backdrop paper reflectance (linear, 0-1)
    kind: str = "sweep"  # sweep (standing on a curved paper) | floor (flat lay, seen from above)
    cast: str = "neutral"
    size: tuple[int, int] = (1200, 900)
    holes: bool = False
    exercises: str = ""


CASES: list[StudioCase] = [
    StudioCase("mug-white-on-white", "mug", "白色", 0.86, cast="cool", holes=True,
               exercises="light on light, handle hole, gloss touching the backdrop, contact shadow"),
    StudioCase("mug-black-on-dark", "mug", "黑色", 0.045, holes=True,
               exercises="dark on dark, handle hole, strong highlights"),
    StudioCase("mug-red", "mug", "红色", 0.80, cast="tungsten", holes=True, exercises="colour, warm cast"),
    StudioCase("mug-blue", "mug", "蓝色", 0.86, holes=True, exercises="colour, handle"),
    StudioCase("mug-yellow-on-cream", "mug", "黄色", 0.82, cast="tungsten", holes=True,
               exercises="light warm product on a warm backdrop"),
    StudioCase("tote-cream-on-light", "tote", "米白", 0.86, cast="fluorescent", holes=True,
               exercises="light on light, strap loop, print"),
    StudioCase("tote-black-on-grey", "tote", "黑色", 0.30, holes=True, exercises="dark product, strap loop"),
    StudioCase("tote-green", "tote", "墨绿", 0.86, holes=True, exercises="dark green, strap loop"),
    StudioCase("tote-khaki", "tote", "卡其", 0.86, holes=True, exercises="khaki on light grey"),
    StudioCase("shirt-white-on-grey", "shirt", "白色", 0.66, cast="tungsten",
               exercises="white shirt, sleeves close to the body"),
    StudioCase("shirt-navy", "shirt", "藏青", 0.86, exercises="navy"),
    StudioCase("shirt-pink-flat", "shirt", "粉色", 0.90, kind="floor", exercises="flat lay, light colour"),
    StudioCase("scarf-red-flat", "scarf", "红色", 0.88, kind="floor", exercises="plaid, fringe, drop shadow"),
]


def _layout(case: StudioCase, w: int, h: int):
    col = case.colour
    if case.product == "mug":
        return (lambda v, r: ms.draw_mug(v, col, r, 0.2, 1.0)), ms.View(w, h, 0.55 * h, (w * 0.47, h * 0.2), (0, 0.0))
    if case.product == "tote":
        return (lambda v, r: ms.draw_bag(v, col, r, printed=(col == "米白"))), \
            ms.View(w, h, 0.47 * h, (w * 0.5, h * 0.47), (0, 0.3))
    if case.product == "shirt":
        if case.kind == "floor":
            return (lambda v, r: ms.draw_shirt(v, col, r, flat=True)), \
                ms.View(w, h, 0.62 * h, (w * 0.5, h * 0.5), (0, 0.63), angle=-7)
        return (lambda v, r: ms.draw_shirt(v, col, r)), ms.View(w, h, 0.6 * min(h, 0.9 * w), (w * 0.5, h * 0.47), (0, 0.63))
    if case.product == "scarf":
        m = min(w, h)
        return (lambda v, r: ms.draw_scarf(v, col, r)), ms.View(w, h, 0.55 * m, (w * 0.5, h * 0.5), (0, 0.9), angle=62)
    raise ValueError(case.product)


def render(case: StudioCase, seed: int = 7, quality: int = 85) -> tuple[np.ndarray, np.ndarray]:
    """(photo uint8 HxWx3 sRGB after a JPEG round trip, true alpha float32 HxW 0-1)."""
    w, h = case.size
    rng = np.random.default_rng(seed + sum(map(ord, case.name)))
    drawer, view = _layout(case, w, h)
    layer = drawer(view, rng)
    bg = ms.backdrop(w, h, case.tone, case.kind)
    bg = bg * (1 - np.clip(layer.shadow, 0, 0.9))
    img = bg[..., None] * (1 - layer.alpha[..., None]) + layer.rgb * layer.alpha[..., None]
    img = img * ms.CASTS[case.cast][None, None, :]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img *= (1 - 0.2 * ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2) / 0.5)[..., None]
    srgb = ms.linear_to_srgb(img) * 255.0
    lum = rng.standard_normal((h, w)).astype(np.float32)
    chroma = ms.blur(rng.standard_normal((h, w)).astype(np.float32), 1.0)
    amp = 1.1 + 1.2 * (1 - srgb.mean(-1) / 255.0)
    srgb += (amp * lum)[..., None] + (0.6 * chroma)[..., None] * np.array([1, -0.5, 0.8], np.float32)
    buf = io.BytesIO()
    Image.fromarray(np.clip(np.round(srgb), 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    photo = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
    return photo, layer.alpha.astype(np.float32)


def holes_of(alpha: np.ndarray) -> np.ndarray:
    """Backdrop pixels enclosed by the true outline (inside a handle or strap): bool HxW."""
    import cv2

    solid = (alpha >= 0.5).astype(np.uint8)
    flood = np.pad(solid, 1)
    cv2.floodFill(flood, None, (0, 0), 2)
    enclosed = flood[1:-1, 1:-1] == 0
    # only clearly-backdrop pixels: 2 px away from any product pixel
    near = cv2.dilate((alpha > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return enclosed & ~near


def true_analysis(alpha: np.ndarray, backdrop_rgb, backdrop_noise: float) -> dict:
    """A photo analysis (analyse.analyse_photo's keys the shapes read) with the true product box."""
    ys, xs = np.nonzero(alpha >= 0.5)
    h, w = alpha.shape
    return {"box": [xs.min() / w, ys.min() / h, (xs.max() + 1) / w, (ys.max() + 1) / h], "box_confident": True,
            "backdrop_rgb": list(backdrop_rgb), "backdrop_noise": float(backdrop_noise)}


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path("studio_set")
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        photo, alpha = render(case)
        Image.fromarray(photo).save(out / f"{case.name}.jpg", quality=92)
        Image.fromarray((alpha * 255).astype(np.uint8)).save(out / f"{case.name}-mask.png")
        print(case.name, photo.shape, f"product {float((alpha >= 0.5).mean()):.1%}", case.exercises)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
