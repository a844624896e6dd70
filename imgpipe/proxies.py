"""The analysis proxy, decoded once per new photo and kept from ingest until its analysis.

Ingest checks every new photo with a reduced decode (JPEG DCT scaling) and
looks for a colour chart in it; the analysis needs the very same pixels
(colour estimate, product box, colours). The ingest worker keeps them in
`.imgpipe/proxies/<sha256 of the original>.npz` and the analysis takes them
from there, so a new photo is decoded twice in a run (this proxy, then the
render's decode), not three times.

Only a cache: keyed by the original's content, written atomically, dropped
once the photo is analysed. Missing or unreadable, the analysis decodes the
original again (a killed run, a run that did not ingest the photo), with the
same result.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from imgpipe.fsutil import atomic_write_bytes
from imgpipe.ops import shrink_to_long_side

LONG_SIDE = 512  # pixels: the chart search, colour estimate and product box all work at this size


def proxy_path(root: Path, sha256: str) -> Path:
    return root / ".imgpipe" / "proxies" / f"{sha256}.npz"


def make_proxy(rgb: np.ndarray) -> np.ndarray:
    """The analysis proxy of a (reduced) decode: long side at most LONG_SIDE, area-averaged."""
    return shrink_to_long_side(rgb, LONG_SIDE)


def save_proxy(root: Path, sha256: str, proxy: np.ndarray, full_size: tuple[int, int]) -> None:
    """Keep `proxy` (uint8 RGB) and the photo's full upright size for its analysis. Never raises:
    a cache that cannot be written is decoded again later."""
    buf = io.BytesIO()
    np.savez(buf, rgb=proxy, full_size=np.asarray(full_size, np.int64))
    try:
        atomic_write_bytes(proxy_path(root, sha256), buf.getvalue(), durable=False)
    except OSError:
        pass


def load_proxy(root: Path, sha256: str) -> tuple[np.ndarray, tuple[int, int]] | None:
    """(proxy, full size) kept by ingest for this original, or None."""
    try:
        with np.load(proxy_path(root, sha256), allow_pickle=False) as data:
            rgb, size = data["rgb"], data["full_size"]
    except Exception:  # noqa: BLE001 - missing, cut short by a power loss, anything: decode again
        return None
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or size.shape != (2,):
        return None
    return np.ascontiguousarray(rgb), (int(size[0]), int(size[1]))


def drop_proxy(root: Path, sha256: str) -> None:
    try:
        proxy_path(root, sha256).unlink(missing_ok=True)
    except OSError:
        pass
