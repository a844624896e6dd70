"""Damaged JPEGs are never published: a header that lies about its size, a scan cut short and closed.

Both fixtures are made from a real photo of the demo (samples/), as a broken copy or a recovery
tool leaves them: the photo cut at 40 % with an end marker appended; a 3 KB JPEG whose frame
header claims 12000×12000.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from imgpipe.decoders import grey_fill_rows, jpeg_data_too_short
from imgpipe.errors import ImgpipeError
from imgpipe.imageio import load_photo
from imgpipe.validate.files import flat_bottom_share

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "inbox" / "C3301_01.jpg"
pytestmark = pytest.mark.skipif(not SAMPLE.exists(), reason="samples/ not present")


def cut_at_40_percent() -> bytes:
    data = SAMPLE.read_bytes()
    return data[: int(len(data) * 0.4)] + b"\xff\xd9"


def lying_header() -> bytes:
    """The sample photo at 280×210 (about 3 KB), its frame header patched to 12000×12000."""
    buf = io.BytesIO()
    Image.open(SAMPLE).resize((280, 210)).save(buf, "JPEG", quality=60)
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    data[sof + 5:sof + 9] = (12000).to_bytes(2, "big") + (12000).to_bytes(2, "big")
    return bytes(data)


def test_fixtures_are_what_the_issue_describes():
    lie = lying_header()
    assert 2000 < len(lie) < 4096 and Image.open(io.BytesIO(lie)).size == (12000, 12000)
    cut = cut_at_40_percent()
    assert cut.endswith(b"\xff\xd9") and Image.open(io.BytesIO(cut)).size == (1600, 1200)


@pytest.mark.parametrize("make, words", [(cut_at_40_percent, "灰色填充"), (lying_header, "12000×12000")])
@pytest.mark.parametrize("min_long_side", [0, 512])
def test_load_photo_refuses_both_at_full_and_reduced_size(make, words, min_long_side):
    with pytest.raises(ImgpipeError) as err:
        load_photo(make(), name="IMG_0042.jpg", min_long_side=min_long_side)
    assert err.value.file == "IMG_0042.jpg" and words in err.value.message and err.value.fix


def test_the_size_check_needs_no_decode_and_passes_real_photos():
    assert jpeg_data_too_short(lying_header(), 12000, 12000)
    for path in sorted(SAMPLE.parent.rglob("*.jp*g")):
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as img:
            assert jpeg_data_too_short(data, *img.size) is None, path
        load_photo(path, min_long_side=512)   # no real photo of the demo is taken for damaged


def test_grey_fill_is_counted_from_the_bottom():
    img = np.asarray(Image.open(io.BytesIO(cut_at_40_percent())))
    assert 0.5 < grey_fill_rows(img) / img.shape[0] < 0.6   # cut at 40 % of the bytes: ~55 % of the rows lost
    assert grey_fill_rows(np.asarray(Image.open(SAMPLE))) == 0
    white = np.full((100, 80, 3), 255, np.uint8)
    assert grey_fill_rows(white) == 0   # a white backdrop is not damage


def test_ingest_leaves_both_in_the_inbox_with_the_reason(workspace):
    from imgpipe.ingest import ingest
    from imgpipe.workspace import Workspace

    folder = workspace / "inbox" / "A1023"
    folder.mkdir(parents=True)
    (folder / "IMG_0001.jpg").write_bytes(SAMPLE.read_bytes())
    (folder / "IMG_0002.jpg").write_bytes(cut_at_40_percent())
    (folder / "IMG_0003.jpg").write_bytes(lying_header())
    ws = Workspace.open(workspace)
    result = ingest(workspace, ws.sheet().products, ws.catalog, map_fn=lambda fn, items, *a: [fn(i, *a) for i in items])
    ws.catalog.close()
    assert [a.source.name for a in result.archived] == ["IMG_0001.jpg"]
    reasons = {p.path.name: str(p.reason) for p in result.pending}
    assert "灰色填充" in reasons["IMG_0002.jpg"] and "12000×12000" in reasons["IMG_0003.jpg"]
    assert (folder / "IMG_0002.jpg").exists() and (folder / "IMG_0003.jpg").exists()


def test_flat_bottom_share_tells_damage_from_white_canvas_and_padding():
    from imgpipe.validate.checks.sizes import DAMAGED_SHARE

    photo = np.asarray(Image.open(SAMPLE).convert("RGB").reduce(8))
    damaged = photo.copy()
    damaged[int(0.45 * len(damaged)):] = (137, 129, 112)   # the grey block after colour correction
    assert 0.5 < flat_bottom_share(damaged) < 0.6
    marked = damaged.copy()   # as published: a watermark on the block, a white caption band below it
    marked[-30:-20, -60:] = (180, 176, 165)
    marked[-15:] = 255
    marked[-10:-5, 20:120] = 30
    assert DAMAGED_SHARE < flat_bottom_share(marked) < 0.5
    assert flat_bottom_share(photo) < DAMAGED_SHARE   # the backdrop of a real photo is no block
    white_bottom = photo.copy()
    white_bottom[int(0.5 * len(photo)):] = 255
    assert flat_bottom_share(white_bottom) < DAMAGED_SHARE
    padded = photo.copy()
    padded[:40] = padded[-40:] = (180, 180, 180)   # a product centred between padding
    assert flat_bottom_share(padded) == 0.0
