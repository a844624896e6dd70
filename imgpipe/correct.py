"""`imgpipe correct`: the colour stage alone, on any files, outside a workspace too."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from imgpipe import colour
from imgpipe.errors import ImgpipeError
from imgpipe.fsutil import atomic_write_bytes
from imgpipe.imageio import load_photo
from imgpipe.messages import t


correction_from_reference = colour.correction_from_reference  # render.py takes it from here


def describe(corr: colour.Correction) -> str:
    """"chart, 3150 K, tint +0.004, mean ΔE2000 1.2" — one line for people."""
    parts = [corr.method]
    if corr.cct_k:
        parts.append(f"{corr.cct_k:.0f} K")
    if corr.tint is not None:
        parts.append(f"tint {corr.tint:+.4f}")
    parts.append("gains " + "/".join(f"{g:.3f}" for g in corr.gains))
    if corr.patch_delta_e:
        parts.append(f"ΔE2000 mean {np.mean(corr.patch_delta_e):.2f} max {np.max(corr.patch_delta_e):.2f}")
    return ", ".join(parts)


def correct_files(inputs: list[Path], out_dir: Path, *, reference: Path | None = None,
                  strength: float = 1.0, quality: int = 95) -> list[dict]:
    """Correct each input into `out_dir` (same file name; JPEG/PNG/TIFF kept, others -> .jpg).

    With `reference`, its chart/grey-card correction is used for every input;
    without, each photo gets the automatic estimate. A bad input is reported
    in its result and the others go on. A bad reference is a usage error.
    """
    shared = None
    if reference is not None:
        ref = load_photo(reference, min_long_side=2000)
        try:
            shared = correction_from_reference(ref.rgb)
        except ImgpipeError as err:
            err.file = str(reference)
            raise
    results = []
    out_dir.mkdir(parents=True, exist_ok=True)
    sources = {p.resolve() for p in inputs}
    taken: set[Path] = set()
    for path in inputs:
        try:
            suffix = path.suffix.lower()
            fmt = {".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF"}.get(suffix, "JPEG")
            dest = out_dir / (path.name if fmt != "JPEG" or suffix in (".jpg", ".jpeg") else path.stem + ".jpg")
            # never over an input (x.heic -> x.jpg beside a real x.jpg), nor twice in one batch
            if dest.resolve() in sources or dest.resolve() in taken:
                raise ImgpipeError(t("correct.same_file", dest=dest), file=path, fix=t("correct.same_file.fix"))
            taken.add(dest.resolve())
            photo = load_photo(path)
            corr = shared or colour.estimate_auto(photo.rgb)
            fixed = colour.apply_correction(photo.rgb, corr, strength)
            buf = io.BytesIO()
            Image.fromarray(fixed).save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
            atomic_write_bytes(dest, buf.getvalue())
            results.append({"input": str(path), "output": str(dest), "correction": corr.to_dict(),
                            "summary": describe(corr)})
        except ImgpipeError as err:
            results.append({"input": str(path), "error": str(err)})
        except OSError as exc:  # unreadable input, full disk: this file fails, the others go on
            results.append({"input": str(path), "error": f"{path}: {exc}"})
    return results
