"""Profiles are data, checked on load; a workspace overrides values or adds a platform."""

import pytest

from imgpipe.errors import ConfigError
from imgpipe.profiles import load_profile, load_profiles


def test_builtin_profiles_carry_the_platform_figures():
    p = load_profiles(["tmall", "jd", "1688"])
    assert (p["tmall"].roles["main"].width, p["tmall"].roles["main"].max_bytes) == (800, 3 * 1024 * 1024)
    assert p["jd"].roles["main"].max_bytes == 1024 * 1024 and p["jd"].roles["main"].watermark == "outside_product"
    assert p["1688"].roles["main"].max_bytes == 2 * 1024 * 1024 and p["1688"].formats == ["jpg"]
    assert p["tmall"].detail_page.width == 790 and p["jd"].detail_page.width == 750
    assert all(prof.roles["white"].watermark == "none" for prof in p.values())


def test_workspace_overrides_one_value_and_keeps_the_rest(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "jd.toml").write_text("[roles.main]\nmax_bytes = 900_000\n", encoding="utf-8")
    jd = load_profile("jd", tmp_path)
    assert jd.roles["main"].max_bytes == 900_000 and jd.roles["main"].width == 800


def test_a_new_platform_is_a_new_file(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "pdd.toml").write_text(
        'label_zh = "拼多多"\nlabel_en = "Pinduoduo"\n[roles.main]\nwidth = 750\nheight = 750\n', encoding="utf-8")
    assert load_profile("pdd", tmp_path).roles["main"].width == 750


@pytest.mark.parametrize("text,key", [
    ("[roles.main]\nwidht = 800\n", "roles.main.widht"),          # unknown key
    ("[roles.main]\nwidth = \"800\"\n", "roles.main.width"),       # wrong type
    ("[roles.main]\nfill = 1.5\n", "roles.main.fill"),             # impossible value
    ("jpeg_quality = 5\n", "jpeg_quality"),
    ("[roles.main]\nwatermark = \"sometimes\"\n", "roles.main.watermark"),
    ("[roles.white]\nshadow = \"soft\"\n", "roles.white.shadow"),          # remove / keep
    ("[roles.main]\nshadow = \"keep\"\n", "roles.main.shadow"),            # main images are not cut out
    ("[roles.main_3x4]\ncategories = \"服装\"\n", "roles.main_3x4.categories"),  # a list, not one name
    ("[roles.main_3x4]\ncategories = [\"\"]\n", "roles.main_3x4.categories"),
])
def test_bad_profile_values_name_file_and_key(tmp_path, text, key):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "tmall.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile("tmall", tmp_path)
    assert info.value.field == key
    assert info.value.file.endswith("tmall.toml")


def test_unknown_platform_lists_the_known_ones():
    with pytest.raises(ConfigError) as info:
        load_profile("taobao")
    assert "tmall" in info.value.fix


def test_shadow_setting_names_what_is_allowed(tmp_path):
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "jd.toml").write_text('[roles.transparent]\nshadow = "soft"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_profile("jd", tmp_path)
    assert "remove / keep" in str(info.value) and "soft" in str(info.value)
    (tmp_path / "profiles" / "jd.toml").write_text('[roles.white]\nshadow = "keep"\n', encoding="utf-8")
    jd = load_profile("jd", tmp_path)
    assert jd.roles["white"].shadow == "keep" and jd.roles["transparent"].shadow == "remove"
    assert jd.fingerprint("white") != load_profile("jd").fingerprint("white")  # the white images are redone


def test_tmall_makes_3_4_main_images_for_the_apparel_categories_only(tmp_path):
    from dataclasses import replace

    tmall = load_profile("tmall")
    spec = tmall.roles["main_3x4"]
    assert (spec.like, spec.width, spec.height) == ("main", 750, 1000)
    assert "main_3x4" in dict(tmall.active_roles("服装")) and "main_3x4" in dict(tmall.active_roles("箱包"))
    assert "main_3x4" not in dict(tmall.active_roles("家居")) and "main" in dict(tmall.active_roles("家居"))
    assert "main_3x4" in dict(tmall.active_roles())  # category not known: every role
    # which articles get it is no part of how its images look: widening the list redoes nothing
    wider = replace(tmall, roles={**tmall.roles, "main_3x4": replace(spec, categories=[])})
    assert wider.fingerprint("main_3x4") == tmall.fingerprint("main_3x4")
    # a workspace sets its own list (or [] for every article)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "tmall.toml").write_text('[roles.main_3x4]\ncategories = ["家居"]\n', encoding="utf-8")
    assert "main_3x4" in dict(load_profile("tmall", tmp_path).active_roles("家居"))
