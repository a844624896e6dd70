"""PNG outputs: the fast first try (zlib's run-length strategy) keeps the pixels and the byte cap."""

import io

import numpy as np
import pytest
from PIL import Image

from imgpipe.encode import encode_output, encode_png, first_try_png
from imgpipe.errors import ImgpipeError


def _cut_out(size: int = 240) -> Image.Image:
    """An RGBA cut-out: a shaded product with a soft edge on full transparency."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    r = np.hypot(x - size / 2, y - size / 2)
    alpha = np.clip((size * 0.35 - r) * 16, 0, 255)
    rgb = np.dstack([x * 0.8 + 30, y * 0.5 + (x * y) % 37, 200 - x * 0.3]).clip(0, 255)
    return Image.fromarray(np.dstack([rgb, alpha]).astype(np.uint8), "RGBA")


def test_the_first_try_is_run_length_and_decodes_to_the_same_pixels():
    img = _cut_out()
    data = encode_png(img, max_bytes=10**7)
    assert first_try_png(data)
    with Image.open(io.BytesIO(data)) as back:
        assert back.mode == "RGBA" and back.info.get("icc_profile")
        assert np.array_equal(np.asarray(back), np.asarray(img))
    # the same pixels as the default strategy's PNG, in a stream of its own
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=6)
    assert data != buf.getvalue()
    with Image.open(buf) as default:
        assert np.array_equal(np.asarray(default), np.asarray(img))


def test_over_the_cap_at_the_first_try_the_optimize_pass_then_the_error():
    img = _cut_out()
    first = encode_png(img, max_bytes=10**7)
    slow = encode_png(img, max_bytes=len(first) - 1)
    assert len(slow) < len(first) and not first_try_png(slow)
    with Image.open(io.BytesIO(slow)) as back:
        assert np.array_equal(np.asarray(back), np.asarray(img))
    with pytest.raises(ImgpipeError):
        encode_png(img, max_bytes=len(slow) - 1)


def test_a_transparent_output_keeps_its_alpha_under_its_cap():
    img = _cut_out()
    data, quality = encode_output(img, "png", max_bytes=3_145_728, quality=90, min_quality=30, keep_alpha=True)
    assert quality == 0 and len(data) <= 3_145_728 and first_try_png(data)
    with Image.open(io.BytesIO(data)) as back:
        assert np.array_equal(np.asarray(back), np.asarray(img))
