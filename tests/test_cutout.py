"""The product cut-out: true outlines of rendered studio shots, holes, shadows, white and RGBA."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

import studio_set
from imgpipe import cutout, framing, render
from imgpipe.profiles import RoleSpec
from imgpipe.validate.checks.framing import backdrop_in_holes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from cutout import boundary_f, iou  # noqa: E402  (benchmarks/cutout.py: the same measures)

pytestmark = pytest.mark.real_cutout  # what these tests check is the cut-out itself


CASES = {c.name: c for c in studio_set.CASES}


@pytest.fixture(scope="module")
def shots():
    """name -> (photo, true alpha, cut-out) for a few cases at 900x675 (keeps the suite quick)."""
    out = {}
    for name in ("mug-red", "tote-cream-on-light", "shirt-navy", "tote-black-on-grey"):
        case = replace(CASES[name], size=(900, 675))
        photo, alpha = studio_set.render(case)
        out[name] = (photo, alpha, cutout.cut_out(photo))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mug-red", "tote-cream-on-light", "shirt-navy", "tote-black-on-grey"])
def test_cut_out_matches_the_true_outline(shots, name):
    photo, alpha, cut = shots[name]
    true, pred = alpha >= 0.5, cut.alpha >= 0.5
    assert cut.good
    assert iou(pred, true) >= 0.95
    assert boundary_f(pred, true) >= 0.85
    inner = cv2.erode(true.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert (~pred[inner]).mean() <= 0.01  # nothing of the product lost


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mug-red", "tote-cream-on-light", "tote-black-on-grey"])
def test_backdrop_inside_handles_and_straps_turns_white(shots, name):
    photo, alpha, cut = shots[name]
    holes = studio_set.holes_of(alpha)
    assert holes.sum() > 500 and cut.holes >= 1
    white = cutout.on_white(cut)
    assert (white[holes] >= 250).all(axis=-1).mean() >= 0.98
    # the old filled outline kept the grey backdrop there
    filled, _ = framing.product_mask(photo)
    assert filled[holes].mean() > 0.9


@pytest.mark.slow
def test_contact_shadow_removed_or_kept_soft(shots):
    photo, alpha, cut = shots["mug-red"]
    below = np.zeros(alpha.shape, bool)
    ys, xs = np.nonzero(alpha >= 0.5)
    # the band just under the mug's foot, outside the product: where the contact shadow lies
    y1 = ys.max()
    below[y1 + 3:y1 + 15, xs.min() + 20:xs.max() - 20] = True
    below &= alpha < 0.01
    assert photo[below].mean() < photo[:40].mean() - 10  # the photo has a shadow there
    removed = cutout.on_white(cut, "remove")
    kept = cutout.on_white(cut, "keep")
    # white there (the matted edge may leave a faint trace in its first pixels), no dark strip
    assert (removed[below] == 255).all(axis=-1).mean() >= 0.98 and removed[below].min() >= 180
    assert kept[below].mean() < 250  # a soft grey remains
    for img in (removed, kept):  # the border stays pure white either way
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        assert (border == 255).all()


@pytest.mark.slow
def test_rgba_is_the_product_with_straight_alpha(shots):
    photo, alpha, cut = shots["tote-cream-on-light"]
    px = cutout.rgba(cut)
    assert px.shape == photo.shape[:2] + (4,) and px.dtype == np.uint8
    a = px[..., 3]
    inner = cv2.erode((alpha >= 0.99).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert a[0].max() == 0 and np.percentile(a[inner], 1) >= 250
    assert (px[a == 0][:, :3] == 255).all()
    # the edge colour is the product's, not the backdrop's: no grey fringe on a cream tote
    edge = (a > 60) & (a < 200)
    solid = cv2.erode((a == 255).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    gap = np.abs(px[edge][:, :3].astype(float).mean(0) - px[solid][:, :3].astype(float).mean(0))
    assert gap.max() < 40


@pytest.mark.slow
def test_framed_white_background_uses_the_cut_out(shots):
    photo, alpha, cut = shots["mug-red"]
    box = framing.find_product_box(photo)
    out = cutout.white_background(photo, box, 600, 0.8)
    border = np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]])
    assert (border == 255).all()
    # the handle's hole, framed: find it through the same framing of the true alpha
    alpha3 = np.dstack([(studio_set.holes_of(alpha) * 255).astype(np.uint8)] * 3)
    hole_framed = framing.frame_square(alpha3, box, 600, 0.8, background_rgb=(0, 0, 0))[..., 0] > 250
    assert hole_framed.sum() > 200
    assert (out[hole_framed] >= 250).all(axis=-1).mean() >= 0.98


def test_busy_or_empty_photo_is_not_trusted():
    rng = np.random.default_rng(3)
    busy = (rng.random((300, 400, 3)) * 255).astype(np.uint8)
    assert not cutout.cut_out(busy).good
    plain = np.full((300, 400, 3), 235, np.uint8)
    cut = cutout.cut_out(plain)
    assert not cut.good and cut.alpha.max() == 0


def _analysis(photo: np.ndarray) -> dict:
    box = framing.find_product_box(photo)
    h, w = photo.shape[:2]
    return {"box": [box.x0 / w, box.y0 / h, box.x1 / w, box.y1 / h], "box_confident": box.confident,
            "backdrop_rgb": list(box.backdrop_rgb)}


def test_a_cut_out_without_its_shadow_plane_is_the_same_cut_out():
    """shadow=False (no cut-out image keeps a shadow: render.cuts_shadow) and given=True (the foreground
    made in the caller's copy) change no pixel of the cut-out, and a frame left as a view of the
    scaled pixels (frame_square's copy=False) is the same frame."""
    photo, _ = studio_set.render(replace(CASES["mug-red"], size=(480, 360)))
    full = cutout.cut_out(photo, proxy_px=400)
    mine = photo.copy()
    lean = cutout.cut_out(mine, proxy_px=400, shadow=False, given=True)
    assert full.good and lean.good and full.shadow.max() > 0 and not lean.shadow.any()
    assert np.array_equal(full.alpha, lean.alpha) and np.array_equal(full.foreground, lean.foreground)
    assert lean.foreground is mine
    box = framing.find_product_box(photo)
    for size in (300, (240, 320)):
        framed = framing.frame_square(photo, box, size, 0.8, (0, 0, 0), scale=1.5, copy=False)
        assert framed.base is not None  # a view: the scaled photo fills the frame
        assert np.array_equal(framed, framing.frame_square(photo, box, size, 0.8, (0, 0, 0), scale=1.5))
    profiles = {"p": replace_roles(RoleSpec(width=600, height=600, shadow="remove"))}
    assert not render.cuts_shadow(profiles)
    profiles["q"] = replace_roles(RoleSpec(width=600, height=600, shadow="keep"))
    assert render.cuts_shadow(profiles)


def replace_roles(white: RoleSpec):
    """A stand-in profile whose white role is `white` (what cuts_shadow reads: its roles)."""
    from types import SimpleNamespace

    return SimpleNamespace(roles={"white": white, "main": RoleSpec(width=800, height=800)})


@pytest.mark.slow
def test_shadow_setting_keeps_a_soft_grey_shadow_or_pure_white(shots):
    """`[roles.white] shadow = "keep" | "remove"` (profiles.RoleSpec.shadow) reaches the framed images."""
    photo, _, _ = shots["mug-red"]
    work = render.PhotoWork(photo, _analysis(photo))  # one cut-out for both images, as render_photo makes it
    images = {}
    for mode in ("remove", "keep"):
        spec = RoleSpec(width=600, height=600, fill=0.8, shadow=mode)
        images[mode] = (render.shape_white(work, {}, spec)[0], render.shape_transparent(work, {}, spec)[0])
    alpha = images["remove"][1][..., 3]
    ys, xs = np.nonzero(alpha >= 128)
    x0, x1 = np.percentile(xs, [20, 80]).astype(int)
    # the strip just under the foot, across the middle of the mug, outside the product
    below = np.zeros(alpha.shape, bool)
    below[ys.max() + 2:ys.max() + 10, x0:x1] = True
    below &= alpha == 0
    assert below.sum() > 200
    white_removed, white_kept = images["remove"][0], images["keep"][0]
    assert (white_removed[below] == 255).all(axis=-1).mean() >= 0.98
    kept = white_kept[below].astype(float)
    assert 120 < kept.mean() < 245  # a soft grey, not a black bar
    assert np.ptp(kept.mean(0)) < 12  # grey: the shadow takes no colour cast from the backdrop
    for img in (white_removed, white_kept):  # pure white border either way
        assert (np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]) == 255).all()
    # on transparency the kept shadow is translucent black, the removed one fully transparent
    t_removed, t_kept = images["remove"][1], images["keep"][1]
    assert t_removed[below][:, 3].max() == 0
    assert 10 < t_kept[below][:, 3].mean() < 200 and t_kept[below][:, :3].mean() < 60
    assert (t_kept[0, :, 3] == 0).all() and (t_kept[-1, :, 3] == 0).all()


@pytest.mark.slow  # 6.4 CPU-s
def test_backdrop_in_holes_check_finds_a_grey_handle_hole(shots, monkeypatch):
    """validate's framing check, on white and transparent images of the studio mugs and totes."""
    spec = RoleSpec(width=800, height=800, fill=0.8)
    blue = replace(CASES["mug-blue"], size=(900, 675))  # a pale print band the colour of the backdrop
    cases = {"mug-red": shots["mug-red"][0], "tote-black-on-grey": shots["tote-black-on-grey"][0],
             "mug-blue": studio_set.render(blue)[0]}
    for name, photo in cases.items():
        work = render.PhotoWork(photo, _analysis(photo))
        for shape in (render.shape_white, render.shape_transparent):
            assert backdrop_in_holes(shape(work, {}, spec)[0], work.analysis["backdrop_rgb"]) == 0, name
    # the cut-out without its through-holes: the backdrop stays inside the handle and the strap
    monkeypatch.setattr(cutout, "find_holes", lambda filled, *args: np.zeros_like(filled))
    for name in ("mug-red", "tote-black-on-grey"):
        photo = cases[name]
        work = render.PhotoWork(photo, _analysis(photo))
        for shape in (render.shape_white, render.shape_transparent):
            assert backdrop_in_holes(shape(work, {}, spec)[0], work.analysis["backdrop_rgb"]) > 0.01, name


def test_the_shops_own_png_cut_out_keeps_its_outline_and_clear_gaps():
    """The demo's D4410 PNG (alpha, flattened on white when decoded): the fringe's gaps stay clear."""
    from PIL import Image

    from imgpipe.imageio import load_photo

    path = Path(__file__).resolve().parents[1] / "samples" / "inbox" / "D4410" / "白底抠图.png"
    with Image.open(path) as img:
        true = np.asarray(img.convert("RGBA"))[..., 3].astype(np.float32) / 255.0
    cut = cutout.cut_out(load_photo(path).rgb)
    assert cut.good
    assert iou(cut.alpha >= 0.5, true >= 0.5) >= 0.99
    assert np.abs(cut.alpha - true).mean() < 0.005
    # the gaps between the fringe's threads: clear in the PNG, enclosed by the product's hull
    hull = np.zeros(true.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero((true >= 0.5).astype(np.uint8))), 1)
    gaps = hull.astype(bool) & (cv2.dilate((true > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0)
    assert gaps.sum() > 500
    px = cutout.rgba(cut)
    assert (px[gaps][:, 3] == 0).mean() >= 0.99
    # no pale specks: what the PNG had clear is clear, and edge pixels keep the threads' dark colour
    assert ((px[..., 3] > 76) & (true < 0.1)).sum() < 20
    edge = (true > 0.2) & (true < 0.8) & (px[..., 3] > 0)
    assert px[edge][:, :3].mean() < 120


@pytest.mark.slow
def test_backdrop_between_sleeves_and_body_is_not_product(shots):
    """The shaded wedge of backdrop between a sleeve and the body (its mouth narrower than the
    seed's bridging) was kept as grey wedges in the armpits: 2.8 % of the backdrop inside the
    shirt's convex outline; now none of it."""
    photo, alpha, cut = shots["shirt-navy"]
    true = alpha >= 0.5
    hull = np.zeros(true.shape, np.uint8)
    cv2.fillConvexPoly(hull, cv2.convexHull(cv2.findNonZero(true.astype(np.uint8))), 1)
    gap = hull.astype(bool) & ~cv2.dilate(true.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert gap.sum() > 10000
    assert (cut.alpha[gap] >= 0.5).mean() <= 0.002


def _in_a_scene(photo: np.ndarray, alpha: np.ndarray, seed: int = 5) -> np.ndarray:
    """The product of a studio shot moved onto a runway: a grey floor with a crowd of many colours at
    both sides (most of the border is floor, as in the real runway photo this mimics)."""
    h, w = photo.shape[:2]
    rng = np.random.default_rng(seed)
    scene = np.empty((h, w, 3), np.float32)
    scene[:] = (95, 100, 110)
    scene += cv2.resize(rng.normal(0, 6, (9, 12, 3)), (w, h), interpolation=cv2.INTER_CUBIC)
    side, tall = w // 10, h // 2
    crowd = cv2.resize(rng.integers(10, 245, (12, 4, 3)).astype(np.float32), (side, tall),
                       interpolation=cv2.INTER_NEAREST)
    scene[:tall, :side], scene[:tall, w - side:] = crowd, crowd[:, ::-1]
    scene += rng.normal(0, 3, scene.shape)
    a = alpha[..., None]
    return np.clip(photo * a + scene * (1 - a), 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_a_photo_shot_in_a_scene_gets_no_cut_out(shots):
    """A scene's border strays from any smooth backdrop by tens of ΔE (real photos: a runway 33, shoes on
    a wooden floor 21, a hand-held phone 34; studio sweeps 0.3-5.4): the classical cut-out would keep
    pieces of it as product, so there is none, the white image is the framed photo and the main
    image pads it flat (a carried edge would smear the scene into streaks)."""
    photo, alpha, _ = shots["mug-red"]
    scene = _in_a_scene(photo, alpha)
    assert framing.backdrop_noise(photo) < 5 < framing.PLAIN_NOISE < framing.backdrop_noise(scene)
    cut = cutout.cut_out(scene)
    assert not cut.good and cut.alpha.max() == 0 and (cut.method, cut.reason) == ("none", "scene")
    # the product's box as the analysis finds it on a real runway photo (the crowd apart from it)
    analysis = studio_set.true_analysis(alpha, (95, 100, 110), framing.backdrop_noise(scene))
    spec = RoleSpec(width=600, height=600, fill=0.8)
    white, _, made = render.shape_white(render.PhotoWork(scene, analysis), {}, spec)
    assert made == {"method": "none", "confidence": 0.0, "reason": "scene"}  # recorded for validate
    # the framed photo as it is (validation fails it: framing, no_cutout), not pieces of it on white
    assert (white >= 250).all(-1).mean() < 0.02 and white.std(axis=(0, 1)).mean() > 30
    tall = RoleSpec(width=600, height=1500, fill=0.5)  # a tall frame reaches past the landscape photo
    main, _ = render.shape_frame(render.PhotoWork(scene, analysis), {}, tall)
    pad_rows = main[:40].astype(float)
    assert pad_rows.std(axis=(0, 1)).max() < 1.0  # flat, the backdrop's colour: no streaks
    assert np.abs(pad_rows.mean(axis=(0, 1)) - (95, 100, 110)).max() < 1.0


@pytest.fixture(scope="module")
def side_mug():
    """The demo's white mug from the side (samples/inbox/B2045-侧面.jpg) at 1000 px: (photo, cut-out)."""
    from imgpipe.imageio import load_photo

    photo = load_photo(Path(__file__).resolve().parents[1] / "samples" / "inbox" / "B2045-侧面.jpg").rgb
    h, w = photo.shape[:2]
    photo = cv2.resize(photo, (1000, round(1000 * h / w)), interpolation=cv2.INTER_AREA)
    return photo, cutout.cut_out(photo)


def test_white_mug_keeps_its_shaded_side_and_loses_its_contact_shadow(side_mug):
    """The grey mug's shaded right side is as neutral as a shadow: the shadow reach climbed up it
    from the contact shadow (a notch 12 px deep in the straight side), and GrabCut gave the dark
    contact shadow under the base back as product (a grey sliver: 386 shadow-dark px)."""
    photo, cut = side_mug
    assert cut.good
    m = cut.alpha >= 0.5
    ys, _ = np.nonzero(m)
    top, bottom = ys.min(), ys.max()
    # the straight right side, from 30 % to 90 % of the height: one column, no notch
    right = [np.nonzero(m[y])[0].max() for y in range(top + int(0.3 * (bottom - top)), top + int(0.9 * (bottom - top)))]
    assert np.ptp(right) <= 3
    # the bottom rows of the product: the base, not the shadow's dark neutral core under it
    backdrop = framing._backdrop(photo, framing._lab(photo))
    darkening, like = cutout.shadow_field(photo, backdrop.surface)
    base = np.zeros_like(m)
    base[bottom - round(0.025 * (bottom - top)):] = True
    assert (m & base & like & (darkening > 0.6)).sum() <= 40
    white = cutout.on_white(cut)
    assert (white[bottom + 3:bottom + 13] == 255).all()  # (the first 2 rows: the matted edge)
    # kept, the contact shadow is grey under the base instead, fading downwards
    kept = cutout.on_white(cut, "keep")[bottom + 3:bottom + 30].astype(float).mean(-1)
    rows = kept[:, np.nonzero(m[bottom - 5])[0]].mean(1)
    assert rows[0] < 200 and rows[-1] > rows[0] + 30 and (np.diff(rows) > -1).all()
    # on transparency, product over shadow: coverage falls steadily from the base downwards (the
    # shadow stopped at the hard mask and left a light seam under the matted edge: 156, 150, 159)
    cover = cutout.rgba(cut, "keep")[bottom - 6:bottom + 12][:, np.nonzero(m[bottom - 5])[0], 3].astype(float).mean(1)
    assert (np.diff(cover) <= 1).all()


def test_white_mug_on_a_pale_sweep_at_small_size():
    """At 900x675 the white mug's shaded left side (darker towards its silhouette, as neutral as a
    shadow) was left out: IoU 0.939, 4.8 % of the mug lost."""
    case = replace(CASES["mug-white-on-white"], size=(900, 675))
    photo, alpha = studio_set.render(case)
    cut = cutout.cut_out(photo)
    true, pred = alpha >= 0.5, cut.alpha >= 0.5
    assert iou(pred, true) >= 0.95
    inner = cv2.erode(true.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert (~pred[inner]).mean() <= 0.01


def test_edge_colours_are_sampled_for_no_pixel_and_for_more_than_cv2_remap_takes_in_one_row():
    """The internal error `cv2.remap: !_map1.empty()` on white/transparent images: a cut-out
    whose alpha has no mixed edge pixel asked remap for an empty map; an edge of more than
    32 767 pixels broke remap's size limit. Both sample as cv2.resize would."""
    rng = np.random.default_rng(1)
    small = rng.random((50, 60, 3)).astype(np.float32)
    none = np.array([], np.int64)
    assert cutout._sample(small, (none, none), (200, 240)).shape == (0, 3)
    ys, xs = np.nonzero(np.ones((200, 240), bool))  # 48 000 pixels
    expected = cv2.resize(small, (240, 200), interpolation=cv2.INTER_LINEAR)[ys, xs]
    assert np.abs(cutout._sample(small, (ys, xs), (200, 240)) - expected).max() < 1e-5


def test_a_cut_out_without_any_mixed_edge_pixel_is_made_at_full_size():
    """A cut-out whose proxy alpha is empty (or all product) enlarged to the photo: no edge pixel."""
    img = np.full((300, 400, 3), 255, np.uint8)
    none = np.zeros((150, 200), bool)
    for alpha in (np.zeros((150, 200), np.float32), np.ones((150, 200), np.float32)):
        cut = cutout._full_size(img, 2.0, alpha >= 0.5, alpha, np.ones((150, 200, 3), np.float32), none, none, none,
                                np.zeros((150, 200), np.float32), (255, 255, 255), True)
        assert cut.alpha.shape == (300, 400) and np.array_equal(cut.foreground, img)


def test_close_up_only_when_the_frame_cuts_the_products_body():
    """cutout.touches_frame decides a model's close-up: a strap or cord reaching the edge is no cut;
    a product whose body runs out of the frame is."""
    h, w = 300, 400
    bag = np.zeros((h, w), bool)
    bag[60:300, 40:380] = True          # the bag's body runs out at the bottom
    assert cutout.touches_frame(bag)
    strap = np.zeros((h, w), bool)
    strap[80:260, 60:340] = True        # a bag well inside the frame
    strap[0:80, 150:154] = True         # its strap reaches the top edge (4 px, 1 % of the long side)
    strap[150:154, 0:60] = True         # and another the left edge
    assert not cutout.touches_frame(strap)
    speck = np.zeros((h, w), bool)
    speck[100:200, 100:300] = True
    speck[-5:, -5:] = True              # a corner's pixels
    assert not cutout.touches_frame(speck)
    assert not cutout.touches_frame(np.zeros((h, w), bool))


def test_the_matte_solver_and_inverse_match_scipy_and_numpy():
    """matting solves without BLAS (its threads spin: CPU time): the Jacobi CG against a direct solve,
    the cofactor 3x3 inverses against numpy's."""
    import scipy.sparse
    import scipy.sparse.linalg

    from imgpipe import matting

    rng = np.random.default_rng(3)
    a = scipy.sparse.random(300, 300, density=0.02, random_state=4, format="csr")
    system = (a @ a.T + scipy.sparse.eye(300) * 0.5).tocsr()
    rhs = rng.normal(size=300)
    x = matting._conjugate_gradient(system, rhs, 1.0 / system.diagonal())
    assert np.allclose(x, scipy.sparse.linalg.spsolve(system.tocsc(), rhs), atol=1e-5)
    m = rng.normal(size=(50, 3, 3))
    m = m @ m.transpose(0, 2, 1) + 0.1 * np.eye(3)
    assert np.allclose(matting._inverse3(m), np.linalg.inv(m))


def test_a_cut_out_reaching_the_photos_edge_is_not_carried_past_it():
    """A cord running off the photo's bottom edge (no close-up: the body is well inside) while the
    frame reaches past that edge: the white image's pad is white and the transparent image's is
    clear, not the cord's end smeared down as a dark streak (a real ABO photo: a floor reflection)."""
    h, w = 400, 600
    photo = np.full((h, w, 3), 236, np.float32)
    photo += np.linspace(-4, 4, w)[None, :, None]             # a sweep's gentle gradient
    photo[120:260, 220:380] = (40, 45, 60)                    # the product's body
    photo[260:, 298:304] = (40, 45, 60)                       # its cord, off the bottom edge
    photo = np.clip(photo + np.random.default_rng(2).normal(0, 1.5, photo.shape), 0, 255).astype(np.uint8)
    alpha = np.zeros((h, w), np.float32)
    alpha[120:260, 220:380] = alpha[260:, 298:304] = 1
    analysis = studio_set.true_analysis(alpha, (236, 236, 236), framing.backdrop_noise(photo))
    analysis["model_close_up"] = cutout.touches_frame(alpha > 0.5)  # decided on the body, as with a model
    work = render.PhotoWork(photo, analysis)
    tall = RoleSpec(width=600, height=1500, fill=0.9)         # reaches far past the top and bottom edges
    white, _, made = render.shape_white(work, {}, tall)
    assert made["method"] == "classical" and made["confidence"] > 0
    clear, _, _ = render.shape_transparent(work, {}, tall)
    for image, outside in ((white, white.min(-1) >= 250), (clear, clear[..., 3] == 0)):
        product = np.flatnonzero((~outside).any(1))          # rows with product in them
        assert 100 < product[0] and product[-1] < 1300        # the photo ends inside the frame
        assert outside[:product[0]].all() and outside[product[-1] + 1:].all()
        assert (~outside[product[-1] - 10]).sum() < 40        # the cord (6 px at 3.8x), thin to the end


def test_grabcut_never_flips_a_sure_pixel():
    """Sure product that looks like the backdrop and sure backdrop (inside the box) that looks like
    the product stay what the trimap says, whatever the colour models think."""
    rng = np.random.default_rng(3)
    img = np.full((120, 160, 3), 235, np.uint8)
    cv2.circle(img, (80, 60), 35, (200, 30, 30), -1)
    img[50:70, 70:90] = 236                     # a backdrop-white patch inside the product
    img[5:15, 5:25] = (200, 30, 30)             # a product-red patch on the backdrop
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    disc = np.zeros((120, 160), np.uint8)
    cv2.circle(disc, (80, 60), 35, 1, -1)
    sure_fg = cv2.erode(disc, np.ones((9, 9), np.uint8)).astype(bool)
    maybe_fg = disc.astype(bool) & ~sure_fg
    maybe_bg = cv2.dilate(disc, np.ones((9, 9), np.uint8)).astype(bool) & ~disc.astype(bool)
    maybe_bg[2:18, 2:28] = True                 # the box reaches the red patch
    maybe_bg[5:15, 5:25] = False                # ... which itself is sure backdrop
    out = cutout._grabcut(img, sure_fg, maybe_fg, maybe_bg)
    assert out[sure_fg].all() and out[50:70, 70:90].all()
    assert not out[5:15, 5:25].any() and not out[~(sure_fg | maybe_fg | maybe_bg)].any()
    assert 0.9 < out[maybe_fg].mean() and out[maybe_bg].mean() < 0.1
