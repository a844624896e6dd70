"""`imgpipe correct`: the colour stage alone, on any files, outside a workspace too."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from imgpipe import colour
from imgpipe.errors import ImgpipeError, item_error
from imgpipe.fsutil import atomic_write_bytes
from imgpipe.imageio import load_photo
from imgpipe.messages import t


correction_from_reference = colour.correction_from_reference  # render.py takes it from here


_SRGB_ICC: bytes | None = None


def srgb_icc() -> bytes:
    """The bytes of an sRGB ICC profile (littleCMS's built-in sRGB), made once."""
    global _SRGB_ICC
    if _SRGB_ICC is None:
        _SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _SRGB_ICC


def kept_exif(path: Path) -> Image.Exif | None:
    """The original's EXIF (capture time, camera, lens, ...) for the corrected copy; None when it has none.

    The orientation is set to 1: the pixels are written upright. (Pillow
    writes IFD0 and its sub-IFDs, not the IFD1 thumbnail, so no uncorrected
    thumbnail travels along.)
    """
    try:
        with Image.open(path) as im:
            exif = im.getexif()
    except OSError:
        return None
    if not exif:
        return None
    exif[0x0112] = 1  # Orientation: upright
    exif.get_ifd(0x8769)  # load the Exif sub-IFD (capture time, exposure) so it is written back
    return exif


def encode_output(rgb: np.ndarray, fmt: str, *, quality: int, exif: Image.Exif | None) -> bytes:
    """The corrected image as file bytes: tagged sRGB (ICC profile), with the original's EXIF where the format holds it."""
    opts: dict = {"icc_profile": srgb_icc()}
    if fmt == "JPEG":
        opts["quality"] = quality
    if exif is not None and fmt in ("JPEG", "PNG", "TIFF"):
        opts["exif"] = exif.tobytes()
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, fmt, **opts)
    return buf.getvalue()


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
    if corr.fit:
        parts.append(f"{corr.fit['model']}, leave-one-out ΔE2000 {corr.fit['loo_mean_de']:.2f}")
    if corr.cast_left_deg is not None:
        parts.append(f"cast {corr.cast_left_deg:.1f}° left")
    return ", ".join(parts)


def correct_files(inputs: list[Path], out_dir: Path, *, reference: Path | None = None,
                  strength: float = 1.0, quality: int = 95) -> list[dict]:
    """Correct each input into `out_dir` (same file name; JPEG/PNG/TIFF kept, others -> .jpg).

    Outputs carry an sRGB ICC profile and the original's EXIF (orientation
    reset to upright, thumbnail dropped).

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
            atomic_write_bytes(dest, encode_output(fixed, fmt, quality=quality, exif=kept_exif(path)))
            results.append({"input": str(path), "output": str(dest), "correction": corr.to_dict(),
                            "summary": describe(corr), "warnings": list(corr.warnings)})
        except ImgpipeError as err:
            results.append({"input": str(path), "error": str(err)})
        except Exception as exc:  # noqa: BLE001 - unreadable input, a full disk, a 1-pixel image: this file
            results.append({"input": str(path), "error": str(item_error(exc, path, "check"))})
    return results
