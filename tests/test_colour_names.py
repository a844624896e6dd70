"""Shop colour names as Lab regions, dominant colours, and the photo-to-colour assignment."""

from __future__ import annotations

import numpy as np
import pytest

import studio_set
from imgpipe import colour, colour_names
from imgpipe.colour_names import DEFAULT, PhotoColour, assign, dominant_colours


def lab(rgb) -> tuple[float, float, float]:
    return tuple(float(v) for v in colour.srgb_to_lab(np.array(rgb, np.uint8)))


# the sRGB colours shops sell under each name
NAMED = {
    "红色": (176, 32, 42), "酒红": (114, 47, 55), "藏青": (36, 46, 82), "深蓝": (30, 50, 110),
    "米白": (226, 216, 192), "白色": (240, 240, 236), "黑色": (32, 32, 34), "灰色": (128, 128, 128),
    "卡其": (176, 150, 104), "墨绿": (44, 78, 58), "粉色": (232, 168, 184), "蓝色": (40, 86, 170),
    "绿色": (60, 150, 70), "黄色": (236, 196, 60), "紫色": (120, 60, 150), "棕色": (120, 75, 45),
    "咖啡": (111, 78, 55), "驼色": (193, 154, 107), "杏色": (240, 210, 175), "橙色": (240, 130, 40),
    "银色": (192, 192, 192), "金色": (212, 175, 55), "浅蓝": (160, 190, 222), "navy": (36, 46, 82),
    "Light Grey": (200, 200, 200), "dark green": (44, 78, 58),
}


@pytest.mark.parametrize("name,rgb", NAMED.items())
def test_each_name_contains_its_typical_colour(name, rgb):
    assert DEFAULT.distance(lab(rgb), name) == 0.0


@pytest.mark.parametrize("name,other", [("红色", "藏青"), ("白色", "黑色"), ("米白", "黑色"), ("红色", "蓝色"),
                                        ("黄色", "紫色"), ("墨绿", "粉色"), ("深蓝", "浅蓝")])
def test_distinct_names_are_far_apart(name, other):
    assert DEFAULT.distance(lab(NAMED[other]), name) > 15


def test_modifiers_and_suffix_and_english():
    assert DEFAULT.region("红") == DEFAULT.region("红色") == DEFAULT.region(" Red ")
    light, dark = DEFAULT.region("浅灰"), DEFAULT.region("深灰")
    assert light.L[0] > DEFAULT.region("灰").L[0] and dark.L[1] < DEFAULT.region("灰").L[1]
    assert DEFAULT.region("荧光独角兽") is None
    assert DEFAULT.distance(lab((0, 0, 0)), "荧光独角兽") is None


def test_workspace_names_extend_the_lexicon():
    lex = DEFAULT.extended({"雾霾蓝": {"lab": [62, -4, -14]}, "奶茶": {"L": [60, 80], "C": [10, 30], "h": [50, 85]}})
    assert lex.distance((62, -4, -14), "雾霾蓝") == 0.0
    assert lex.distance((70, 5, 20), "奶茶色") == 0.0
    assert lex.distance(lab((176, 32, 42)), "雾霾蓝") > 20
    with pytest.raises(ValueError, match="坏"):
        DEFAULT.extended({"坏": {"L": [1]}})


def _photo(key, rgb, whole=True, score=0.0):
    return PhotoColour(key, lab(rgb), whole, score)


def test_assignment_is_global_not_nearest_per_photo():
    # the sheet lists 红色/藏青/白色; the photos come in another order, two of them white
    photos = [_photo("p1", (36, 46, 82)), _photo("p2", (238, 238, 234)), _photo("p3", (170, 30, 40)),
              _photo("p4", (232, 232, 228), score=1.0), _photo("p5", (150, 30, 40), whole=False)]
    a = assign(["红色", "藏青", "白色"], photos)
    assert not a.needs_person
    assert a.photos["红色"] == ["p3", "p5"]
    assert a.photos["藏青"] == ["p1"]
    assert a.sku("白色") == "p4"  # higher score first
    assert a.colour_of["p2"] == "白色"


def test_an_article_shot_only_close_to_the_frame_is_measured_on_its_close_ups():
    # the real grey holdall H602: every photo touches the frame (no whole shot), two show the bag, one a man
    # in silhouette carrying it. Its SKU image was called a guess ("no photo shows 灰色") though two photos are grey.
    photos = [_photo("bag", (118, 118, 116), whole=False, score=-1), _photo("bag2", (146, 146, 144), whole=False,
              score=-2), _photo("man", (2, 2, 2), whole=False, score=-3)]
    a = assign(["灰色"], photos)
    assert not a.needs_person  # the silhouette is a close-up: no "extra colour" for it either
    assert a.photos["灰色"] == ["bag", "bag2"]  # the first shot first (its SKU image), as the guess had it
    # the real white bulb L703: its single bulb measures off-white, the 16-pack pure white; the single bulb,
    # shot first, stays the SKU image
    a = assign(["白色"], [_photo("one", (196, 192, 178), whole=False, score=-1),
                          _photo("pack", (255, 255, 255), whole=False, score=-2)])
    assert a.photos["白色"] == ["one", "pack"] and not a.problems
    # two colours shot only close: still paired by measure
    a = assign(["红色", "藏青"], [_photo("r", (176, 32, 42), whole=False), _photo("n", (36, 46, 82), whole=False)])
    assert (a.sku("红色"), a.sku("藏青"), a.problems) == ("r", "n", [])
    # a whole shot, when there is one, still decides alone
    a = assign(["灰色"], [_photo("w", (128, 128, 128)), _photo("c", (2, 2, 2), whole=False)])
    assert a.photos["灰色"] == ["w"] and not a.problems


def test_one_colour_shot_for_several_names_needs_a_person():
    photos = [_photo("a", (240, 240, 236)), _photo("b", (236, 236, 232))]
    a = assign(["白色", "黑色"], photos)
    assert a.needs_person and [p.code for p in a.problems] == ["one_colour_shot"]
    assert a.sku("白色") is None and a.sku("黑色") is None


def test_unknown_name_needs_a_person_and_is_never_guessed():
    a = assign(["红色", "星空紫"], [_photo("r", (176, 32, 42)), _photo("x", (90, 60, 140))])
    assert [p.code for p in a.problems][:1] == ["unknown_name"]
    assert a.sku("星空紫") is None
    assert a.sku("红色") == "r"


def test_a_colour_far_from_every_name_is_not_forced():
    # a green photo and a red photo for 红色/藏青: green is nothing like navy
    a = assign(["红色", "藏青"], [_photo("r", (176, 32, 42)), _photo("g", (60, 150, 70))])
    assert a.sku("红色") == "r"
    assert a.sku("藏青") is None
    assert any(p.code == "far_match" and p.colour == "藏青" for p in a.problems)


def test_close_names_on_one_article_are_ambiguous():
    # 红色 and 酒红 photographed nearly alike: a person decides
    a = assign(["红色", "酒红"], [_photo("a", (150, 40, 48)), _photo("b", (140, 44, 52))])
    assert a.needs_person


def test_solver_finds_the_cheapest_assignment_square_and_rectangular():
    cost = np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0], [3.0, 2.0, 2.0]])
    # 1 + 2 + 2 = 5: taking the cheapest cell (0) first would cost 4 + 0 + 2 = 6
    assert colour_names._solve(cost) == [(0, 1), (1, 0), (2, 2)]
    assert colour_names._solve(np.array([[4.0, 1.0], [2.0, 5.0], [3.0, 2.0]])) == [(0, 1), (1, 0)]  # more rows
    assert colour_names._solve(np.array([[4.0, 2.0, 9.0], [1.0, 3.0, 9.0]])) == [(0, 1), (1, 0)]  # fewer


@pytest.mark.slow
def test_studio_shots_are_assigned_their_own_colours_after_correction():
    """Rendered products under coloured light, shuffled: each lands on its sheet colour."""
    cases = {c.name: c for c in studio_set.CASES}
    shots = [("mug-blue", 1), ("mug-red", 2), ("tote-green", 3), ("tote-khaki", 4), ("tote-black-on-grey", 5),
             ("tote-cream-on-light", 6), ("shirt-navy", 7)]
    photos = []
    for name, key in shots:
        img, alpha = studio_set.render(cases[name])
        corrected = colour.apply_correction(img, colour.estimate_auto(img))
        swatches = dominant_colours(corrected, alpha >= 0.5)
        photos.append(PhotoColour(key, swatches[0].lab))
    sheet = ["米白", "黑色", "红色", "藏青", "卡其", "墨绿", "蓝色"]
    a = assign(sheet, photos)
    assert not a.needs_person, a.problems
    truth = {cases[n].colour: k for n, k in shots}
    assert {c: a.sku(c) for c in sheet} == truth
    for c in sheet:
        assert a.delta_e[c] < 6.0


def test_workspace_names_can_be_a_sample_colour_or_another_name():
    lex = DEFAULT.extended({"焦糖色": {"sample": "#A0632E"}, "灰蓝": "#7A8B9C", "砖红": "红", "藏墨": "深蓝"})
    assert lex.distance(lab((160, 99, 46)), "焦糖") == 0.0 and lex.distance(lab((122, 139, 156)), "灰蓝") == 0.0
    assert lex.region("砖红色") == DEFAULT.region("红") and lex.region("藏墨") == DEFAULT.region("深蓝")
    assert lex.distance(lab((40, 60, 150)), "焦糖色") > 30
    for bad, why in (({"x": "独角兽"}, "not a known colour"), ({"x": {"sample": "#12"}}, "#RRGGBB")):
        with pytest.raises(ValueError, match=why):
            DEFAULT.extended(bad)


def test_assignment_solver_is_scipys_without_importing_scipy_optimize():
    import subprocess
    import sys

    code = ("import sys, numpy as np; from imgpipe import colour_names as c;"
            "print(c._solve(np.array([[3., 1., 2.], [1., 3., 2.]])), 'scipy.optimize' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[-1] == "False"  # ~0.6 s of CPU not spent in every run and validation
    from scipy.optimize import linear_sum_assignment

    rng = np.random.default_rng(3)
    for shape in [(2, 3), (4, 4), (5, 3)]:
        cost = rng.uniform(0, 50, shape)
        rows, cols = linear_sum_assignment(cost)
        assert colour_names._solve(cost) == list(zip(rows.tolist(), cols.tolist()))
