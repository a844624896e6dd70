"""Loading photos right: orientation, ICC, CMYK, 16-bit, alpha, bombs, broken files; byte caps."""

import io
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from imgpipe.errors import ImgpipeError
from imgpipe.imageio import encode_jpeg, load_photo, rendering_intent, rgb_pixels

from conftest import jpeg_bytes

ROOT = Path(__file__).resolve().parents[1]


def _samples_module():
    """samples/make_samples.py imported by name, as test_samples.py does (one module object)."""
    if str(ROOT / "samples") not in sys.path:
        sys.path.insert(0, str(ROOT / "samples"))
    import make_samples

    return make_samples


def upright_marker() -> np.ndarray:
    """Red block top-left, blue block bottom-right: orientation is visible in the pixels."""
    img = np.full((300, 400, 3), 255, np.uint8)
    img[:100, :100] = (255, 0, 0)
    img[200:, 300:] = (0, 0, 255)
    return img


T = Image.Transpose
# what a camera stores for each EXIF orientation: the inverse of what the reader applies
_STORE = {1: None, 2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
          6: T.ROTATE_90, 7: T.TRANSVERSE, 8: T.ROTATE_270}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientations_come_out_upright(orientation):
    upright = upright_marker()
    stored = Image.fromarray(upright)
    if _STORE[orientation] is not None:
        stored = stored.transpose(_STORE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, "JPEG", quality=95, exif=exif.tobytes())
    photo = load_photo(buf.getvalue())
    assert photo.rgb.shape == upright.shape
    assert photo.full_size == (400, 300)
    top_left, bottom_right = photo.rgb[50, 50], photo.rgb[250, 350]
    assert top_left[0] > 200 and top_left[2] < 60, f"orientation {orientation}: {top_left}"
    assert bottom_right[2] > 200 and bottom_right[0] < 60


def test_adobe_rgb_photo_comes_out_in_srgb_with_the_right_colours():
    samples = _samples_module()
    icc = samples.adobe_rgb_icc()
    patch_srgb = np.array([200, 60, 40], np.uint8)
    patch_adobe = samples.srgb_to_adobe_rgb(np.full((64, 64, 3), patch_srgb, np.uint8))
    buf = io.BytesIO()
    Image.fromarray(patch_adobe).save(buf, "JPEG", quality=98, icc_profile=icc)
    assert np.abs(patch_adobe[0, 0].astype(int) - patch_srgb).max() > 10  # really different numbers
    photo = load_photo(buf.getvalue())
    assert photo.had_icc
    assert np.abs(photo.rgb[32, 32].astype(int) - patch_srgb).max() <= 4



def _display_p3_icc(samples) -> bytes:
    """A matrix/shaper profile with the Display P3 primaries (D65, Bradford-adapted to D50) and gamma 2.2:
    the sample Adobe RGB profile with its three colorant tags replaced (same sizes, same offsets)."""
    icc = samples.adobe_rgb_icc()
    adobe, p3 = samples.bradford_d65_to_d50() @ samples.M_ADOBE, samples.bradford_d65_to_d50() @ _M_P3
    for c in range(3):
        old = samples._xyz_tag(adobe[:, c])
        assert icc.count(old) == 1
        icc = icc.replace(old, samples._xyz_tag(p3[:, c]))
    return icc


# Display P3 linear RGB -> XYZ (D65)
_M_P3 = np.array([[0.4865709, 0.2656677, 0.1982173], [0.2289746, 0.6917385, 0.0792869],
                  [0.0000000, 0.0451134, 1.0439444]])


def test_display_p3_photo_is_converted_relative_colorimetric():
    """A P3-tagged photo: colours inside sRGB keep their values; a P3 red beyond sRGB clips to sRGB red."""
    samples = _samples_module()
    icc = _display_p3_icc(samples)
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert profile.profile.is_matrix_shaper
    assert rendering_intent(profile) == ImageCms.Intent.RELATIVE_COLORIMETRIC
    srgb = np.array([[200, 60, 40], [90, 140, 70], [128, 128, 128]], np.uint8)
    lin = samples.srgb_to_linear(srgb.astype(np.float32) / 255.0)
    p3 = np.clip(lin @ np.linalg.solve(_M_P3, samples.M_SRGB).T, 0, 1) ** (1 / samples.ADOBE_GAMMA)
    tiles = np.round(np.concatenate([p3, [[1.0, 0.0, 0.0]]]) * 255).astype(np.uint8)
    img = np.repeat(np.repeat(tiles[None], 32, axis=0), 32, axis=1)  # 4 tiles of 32 x 32
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG", icc_profile=icc)
    photo = load_photo(buf.getvalue(), name="p3.png")
    assert photo.had_icc
    got = photo.rgb[16, 16::32].astype(int)
    assert np.abs(got[:3] - srgb).max() <= 2, got  # the same colour, as measured
    assert np.abs(tiles[:3].astype(int) - srgb).max() > 8  # (really different numbers in the file)
    assert got[3, 0] == 255 and got[3, 1:].max() <= 5, got  # P3 red: sRGB's reddest, hue kept


def test_cmyk_sixteen_bit_and_alpha_become_8bit_rgb():
    cmyk = Image.new("CMYK", (40, 30), (0, 255, 255, 0))  # pure red in CMYK
    buf = io.BytesIO()
    cmyk.save(buf, "JPEG")
    rgb = load_photo(buf.getvalue()).rgb
    assert rgb.dtype == np.uint8 and rgb.shape == (30, 40, 3) and rgb[15, 20, 0] > 200 and rgb[15, 20, 1] < 60

    grey16 = Image.fromarray(np.full((20, 20), 40000, np.uint16))
    buf = io.BytesIO()
    grey16.save(buf, "PNG")
    arr = load_photo(buf.getvalue()).rgb
    assert arr.shape == (20, 20, 3) and abs(int(arr[0, 0, 0]) - 40000 // 256) <= 1

    rgba = Image.new("RGBA", (20, 20), (255, 0, 0, 0))
    buf = io.BytesIO()
    rgba.save(buf, "PNG")
    photo = load_photo(buf.getvalue())
    assert photo.had_alpha and tuple(photo.rgb[5, 5]) == (255, 255, 255)  # flattened on white


def test_reduced_jpeg_decode_keeps_what_the_outputs_need():
    big = np.random.default_rng(0).integers(0, 255, (2000, 3000, 3), np.uint8)
    data = jpeg_bytes(big)
    photo = load_photo(data, min_long_side=700)
    assert photo.scale == 0.25 and max(photo.rgb.shape[:2]) >= 700
    assert photo.full_size == (3000, 2000)


@pytest.mark.parametrize("data,needle", [
    (b"", "0"),
    (b"this is a text file", ".jpg"),
])
def test_broken_files_raise_a_clear_error_naming_the_file(data, needle):
    with pytest.raises(ImgpipeError) as info:
        load_photo(data, name="坏照片.jpg")
    assert info.value.file == "坏照片.jpg" and info.value.fix


def test_truncated_jpeg_is_refused():
    data = jpeg_bytes(np.random.default_rng(1).integers(0, 255, (400, 600, 3), np.uint8))
    with pytest.raises(ImgpipeError):
        load_photo(data[: len(data) // 2], name="cut.jpg")


def test_phone_jpeg_with_data_after_its_end_marker_loads():
    """Huawei trace blocks, Samsung trailers, motion-photo videos follow the JPEG's end marker."""
    pixels = np.random.default_rng(2).integers(0, 255, (300, 400, 3), np.uint8)
    trailer = b"\x00" * 5000 + b"ftypmp42" + bytes(range(256)) * 40 + b"trace\x00\x00"
    photo = load_photo(jpeg_bytes(pixels) + trailer, name="华为.jpg")
    assert photo.rgb.shape[:2] == (300, 400)
    cut = (jpeg_bytes(pixels) + trailer)[:2000]  # cut inside the scan: no end marker after it
    with pytest.raises(ImgpipeError):
        load_photo(cut, name="cut.jpg")


def test_decompression_bomb_is_refused_before_decoding():
    buf = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buf, "PNG")
    with pytest.raises(ImgpipeError) as info:
        load_photo(buf.getvalue(), max_megapixels=10, name="bomb.png")
    assert "25" in info.value.message  # the megapixels are named


def test_jpeg_byte_cap_is_met_by_lowering_quality():
    noisy = Image.fromarray(np.random.default_rng(2).integers(0, 255, (800, 800, 3), np.uint8))
    data, quality = encode_jpeg(noisy, max_bytes=250_000, quality=90, min_quality=20)
    assert len(data) <= 250_000 and quality < 90
    assert ImageCms.ImageCmsProfile(io.BytesIO(Image.open(io.BytesIO(data)).info["icc_profile"])).profile.profile_description.startswith("sRGB")
    with pytest.raises(ImgpipeError) as info:
        encode_jpeg(noisy, max_bytes=20_000, quality=90, min_quality=60, role="main", file="x.jpg")
    assert info.value.file == "x.jpg"


def test_rgb_pixels_are_the_images_pixels():
    pixels = np.random.default_rng(3).integers(0, 255, (37, 53, 3), np.uint8)
    img = Image.fromarray(pixels)
    assert np.array_equal(rgb_pixels(img), pixels) and rgb_pixels(img).shape == (37, 53, 3)
    assert np.array_equal(rgb_pixels(img), np.asarray(img))
