"""The cut-out on real photos: what imgpipe decides for each, and pictures to look at.

    python benchmarks/real_photos.py --from DIR [--out DIR] [--model FILE.onnx]

No true outlines exist for real photos, so this prints what can be checked
by eye next to the pictures it writes (--out): per photo the border's ΔE to
the fitted backdrop (framing.border_noise; above framing.PLAIN_NOISE it is a
scene and gets no classical cut-out), whether the product box was found,
whether the cut-out is trusted, the share of the frame cut out, and CPU
seconds. --out writes <name>-cut.png: the photo, the product on white, and
the product on magenta (halo and left-over backdrop show there).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from imgpipe import cutout, framing  # noqa: E402
from imgpipe.imageio import load_photo  # noqa: E402

LONG_SIDE = 1500  # px: the size a white image is cut out at for an 800-px frame (1.5x oversampling, rounded up)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, required=True, help="folder of photos (jpg, png, heic, …)")
    ap.add_argument("--out", type=Path, help="write <name>-cut.png previews here")
    ap.add_argument("--model", type=Path, help="an ONNX salient-object model, as [cutout] model")
    args = ap.parse_args(argv)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    photos = sorted(p for p in args.src.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".heic", ".tif"))
    print(f"{'photo':28s} {'size':>11s} {'noise ΔE':>8s} {'scene':>5s} {'box':>4s} {'good':>4s} "
          f"{'product':>7s} {'CPU s':>6s}")
    for path in photos:
        rgb = load_photo(path).rgb
        scale = min(1.0, LONG_SIDE / max(rgb.shape[:2]))
        img = np.asarray(Image.fromarray(rgb).resize((round(rgb.shape[1] * scale), round(rgb.shape[0] * scale)),
                                                     Image.LANCZOS)) if scale < 1 else rgb
        noise = framing.backdrop_noise(img)
        box = framing.find_product_box(img)
        started = time.process_time()
        cut = cutout.cut_out(img, model_path=args.model)
        cpu = time.process_time() - started
        share = float((cut.alpha >= 0.5).mean())
        print(f"{path.name[:28]:28s} {rgb.shape[1]:>5d}×{rgb.shape[0]:<5d} {noise:8.1f} "
              f"{'yes' if not framing.is_plain(noise) else 'no':>5s} {'yes' if box.confident else 'no':>4s} "
              f"{'yes' if cut.good else 'no':>4s} {share:7.1%} {cpu:6.2f}")
        if args.out:
            rgba = cutout.rgba(cut).astype(np.float32)
            a = rgba[..., 3:] / 255.0
            magenta = rgba[..., :3] * a + np.array([255, 0, 255], np.float32) * (1 - a)
            sheet = np.concatenate([img, cutout.on_white(cut), magenta.astype(np.uint8)], axis=1)
            Image.fromarray(sheet).save(args.out / f"{path.stem}-cut.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
