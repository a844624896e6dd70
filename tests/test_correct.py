"""`imgpipe correct`: the colour stage alone, on any files, outside a workspace."""

import json

import numpy as np
from click.testing import CliRunner
from PIL import Image

from imgpipe.cli import main

from chart_render import render_colorchecker
from conftest import jpeg_bytes, studio_photo

CAST = (1.2, 1.0, 0.72)


def test_correct_removes_the_cast_and_keeps_the_file_name(tmp_path):
    src = tmp_path / "拍摄" / "暖光.jpg"
    src.parent.mkdir()
    src.write_bytes(jpeg_bytes(studio_photo(backdrop=(215, 215, 215), cast=CAST)))
    out = tmp_path / "校色后"
    res = CliRunner().invoke(main, ["correct", str(src), "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    (item,) = json.loads(res.stdout)
    assert item["correction"]["method"] == "backdrop" and item["correction"]["cct_k"] < 5500
    fixed = np.asarray(Image.open(out / "暖光.jpg"))[:40].reshape(-1, 3).mean(axis=0)
    assert fixed.max() - fixed.min() < 6
    assert src.read_bytes() == jpeg_bytes(studio_photo(backdrop=(215, 215, 215), cast=CAST))  # untouched


def test_correct_with_a_chart_reference_uses_the_chart_for_every_file(tmp_path):
    chart = render_colorchecker(CAST, patch_px=50)
    scene = studio_photo(1200, 900, backdrop=(200, 200, 200), cast=CAST, seed=4)
    scene[100:100 + chart.shape[0], 100:100 + chart.shape[1]] = chart
    ref = tmp_path / "chart.jpg"
    ref.write_bytes(jpeg_bytes(scene, quality=95))
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_bytes(studio_photo(backdrop=(200, 200, 200), cast=CAST, seed=5)))
    res = CliRunner().invoke(main, ["correct", str(photo), "-o", str(tmp_path / "out"), "--reference", str(ref),
                                    "--json"])
    assert res.exit_code == 0, res.output
    (item,) = json.loads(res.stdout)
    assert item["correction"]["method"] == "chart" and len(item["correction"]["patch_delta_e"]) == 24


def test_correct_never_overwrites_an_input_or_itself_and_the_batch_goes_on(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.fromarray(studio_photo(400, 300)).save(tmp_path / folder / "x.jpg")
    (tmp_path / "y.tiff").write_bytes(b"not an image")
    inputs = [tmp_path / "a" / "x.jpg", tmp_path / "b" / "x.jpg", tmp_path / "y.tiff"]
    res = CliRunner().invoke(main, ["correct", *map(str, inputs), "-o", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 1
    first, second, broken = json.loads(res.stdout)
    assert "output" in first and "error" in second and "error" in broken  # b/x.jpg would land on a/x.jpg's output
    # -o pointing at the photos' own folder: nothing is written over them
    before = (tmp_path / "a" / "x.jpg").read_bytes()
    res = CliRunner().invoke(main, ["correct", str(tmp_path / "a" / "x.jpg"), "-o", str(tmp_path / "a")])
    assert res.exit_code == 1 and (tmp_path / "a" / "x.jpg").read_bytes() == before


def test_correct_keeps_the_originals_exif_and_tags_srgb(tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "Canon", "EOS R6", 1  # Make, Model, Orientation
    exif.get_ifd(0x8769)[0x9003] = "2026:11:30 14:05:09"  # DateTimeOriginal
    src = tmp_path / "a.jpg"
    src.write_bytes(jpeg_bytes(studio_photo(600, 450, backdrop=(215, 215, 215), cast=CAST), exif=exif.tobytes()))
    res = CliRunner().invoke(main, ["correct", str(src), "-o", str(tmp_path / "out"), "--json"])
    assert res.exit_code == 0, res.output
    with Image.open(tmp_path / "out" / "a.jpg") as out:
        got = out.getexif()
        assert got[0x010F] == "Canon" and got[0x0110] == "EOS R6" and got.get(0x0112, 1) == 1
        assert got.get_ifd(0x8769)[0x9003] == "2026:11:30 14:05:09"
        icc = out.info.get("icc_profile")
    from PIL import ImageCms
    import io
    assert icc and "srgb" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).lower()


def test_correct_lang_and_a_reference_without_chart_or_card_names_both(tmp_path):
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_bytes(studio_photo(400, 300)))
    busy = (np.random.default_rng(1).random((600, 800, 3)) * 255).astype(np.uint8)  # noise: no chart, no card
    ref = tmp_path / "ref.jpg"
    ref.write_bytes(jpeg_bytes(busy))
    from imgpipe.messages import set_language
    try:
        res = CliRunner().invoke(main, ["correct", str(photo), "-o", str(tmp_path / "o"), "--reference", str(ref),
                                        "--lang", "en"])
        assert res.exit_code != 0
        assert "ColorChecker" in res.output and "grey card" in res.output and "ref.jpg" in res.output
        set_language("zh")
        res = CliRunner().invoke(main, ["correct", str(photo), "-o", str(tmp_path / "o"), "--reference", str(ref)])
        assert res.exit_code != 0 and "色卡" in res.output and "灰卡" in res.output
    finally:
        set_language("zh")
