"""Fonts free for commercial use: chosen by default; system fonts never chosen, warned about when configured.

The fake font folders hold real font files (links to the installed Noto
Sans CJK) under the names Windows and macOS give their system fonts, so the
choice is made on names exactly as on those machines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from imgpipe import fonts
from imgpipe.errors import ImgpipeError
from imgpipe.messages import t_in

REAL = fonts.resolve_font()  # a free CJK font installed on this machine (CI installs fonts-noto-cjk)
SYSTEM_NAMES = ("msyh.ttc", "msyhbd.ttc", "simsun.ttc", "simhei.ttf", "simkai.ttf", "Deng.ttf",
                "PingFang.ttc", "Hiragino Sans GB.ttc", "STHeiti Medium.ttc", "Songti.ttc")


def fake_dir(root: Path, names) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name in names:
        (root / name).symlink_to(REAL)
    return root


def test_default_choice_skips_system_fonts_and_picks_a_free_one(tmp_path):
    windows = fake_dir(tmp_path / "Windows" / "Fonts", SYSTEM_NAMES + ("LXGWWenKai-Regular.ttf", "arial.ttf"))
    user = fake_dir(tmp_path / "user", ("AlibabaPuHuiTi-3-55-Regular.ttf",))
    assert fonts.resolve_font(font_dirs=[windows, user]).name == "AlibabaPuHuiTi-3-55-Regular.ttf"
    assert fonts.resolve_font(font_dirs=[windows]).name == "LXGWWenKai-Regular.ttf"
    noto = fake_dir(tmp_path / "mac", ("PingFang.ttc", "NotoSansSC-Regular.otf", "HarmonyOS_Sans_SC_Regular.ttf"))
    assert fonts.resolve_font(font_dirs=[noto, user]).name == "NotoSansSC-Regular.otf"
    chosen = fonts.system_font_candidates([windows, user, noto])
    assert not any(fonts.restricted_font(p) for p in chosen)
    assert {p.name for p in chosen} == {"LXGWWenKai-Regular.ttf", "AlibabaPuHuiTi-3-55-Regular.ttf",
                                        "NotoSansSC-Regular.otf", "HarmonyOS_Sans_SC_Regular.ttf"}


@pytest.mark.parametrize("platform, needle", [("linux", "fonts-noto-cjk"), ("win32", "Noto Sans SC"),
                                              ("darwin", "brew install --cask font-noto-sans-cjk-sc")])
def test_only_system_fonts_is_an_error_saying_what_to_install(tmp_path, monkeypatch, platform, needle):
    only_system = fake_dir(tmp_path / "Fonts", SYSTEM_NAMES)
    monkeypatch.setattr(fonts.sys, "platform", platform)
    with pytest.raises(ImgpipeError) as info:
        fonts.resolve_font(font_dirs=[only_system])
    assert needle in str(info.value)
    assert info.value.field == "fonts.path"


def test_a_configured_system_font_is_used_with_a_warning_saying_why(tmp_path):
    yahei = fake_dir(tmp_path / "Fonts", ("msyh.ttc",)) / "msyh.ttc"
    assert fonts.resolve_font(yahei) == yahei  # the shop may hold a licence: its choice stands
    warning = fonts.font_warning(yahei)
    assert warning is not None and warning.field == "fonts.path"
    assert "Microsoft YaHei" in str(warning) and "方正" in str(warning)
    assert re.search("商业|商用", str(warning))
    assert fonts.font_warning(REAL) is None
    assert fonts.font_warning(fake_dir(tmp_path / "ok", ("SourceHanSansSC-Regular.otf",)) / "SourceHanSansSC-Regular.otf") is None


def test_run_reports_a_configured_system_font(workspace, monkeypatch):
    from imgpipe.pipeline import run
    from imgpipe.workspace import Workspace

    monkeypatch.setenv("IMGPIPE_BROWSER", "none")
    fake_dir(workspace / "fonts", ("simhei.ttf",))
    toml = workspace / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('path = ""', 'path = "fonts/simhei.ttf"', 1),
                    encoding="utf-8")
    summary = run(Workspace.open(workspace), backup=False)
    assert [w["field"] for w in summary.warnings] == ["fonts.path"]
    assert "SimHei" in summary.warnings[0]["message"]
    assert summary.warnings[0]["key"] == "font.restricted"
    assert t_in("en", "font.restricted", font="SimHei", owner="中易 Zhongyi").startswith("font SimHei")


def test_detail_page_uses_the_images_font(tmp_path):
    from imgpipe.detail_page import DetailImages, render_detail_html
    from imgpipe.profiles import load_profiles
    from imgpipe.sheet import load_sheet

    from conftest import PRODUCT_ROW, write_sheet

    product = load_sheet(write_sheet(tmp_path, [PRODUCT_ROW])).products["A1023"]
    page = load_profiles(["tmall"], tmp_path)["tmall"].detail_page
    html = render_detail_html(product, page, DetailImages(), tmp_path / "page", font=REAL).read_text(encoding="utf-8")
    family = fonts.font(REAL, 16).getname()[0]
    assert f'src: url("{REAL.resolve().as_uri()}")' in html
    assert f'font-family: "{family}", "imgpipe-listing"' in html
    plain = render_detail_html(product, page, DetailImages(), tmp_path / "page2").read_text(encoding="utf-8")
    for name in ("YaHei", "PingFang", "SimSun", "SimHei", "Hiragino"):
        assert name not in html and name not in plain
