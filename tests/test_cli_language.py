"""The command line speaks the workspace's language: help, option help, click's own usage errors."""

import re
from importlib.metadata import version

import click
import pytest
from click.testing import CliRunner

import imgpipe
from imgpipe.cli import COMMAND_ORDER, interface_language, main
from imgpipe.messages import MESSAGES, get_language, set_language, t_in
from imgpipe.workspace import init_workspace

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture(autouse=True)
def restore_language():
    before = get_language()
    yield
    set_language(before)


@pytest.fixture
def english(tmp_path):
    root = tmp_path / "en"
    init_workspace(root)
    toml = root / "imgpipe.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('language = "zh"', 'language = "en"', 1), encoding="utf-8")
    return root


def flat(text: str) -> str:
    """Text without the spaces and line breaks that wrapping puts in."""
    return "".join(text.split())


def invoke(*args, **kw):
    return CliRunner().invoke(main, list(args), **kw)


def test_help_is_chinese_by_default_with_commands_in_the_order_a_user_meets_them(tmp_path):
    result = invoke("-w", str(tmp_path / "nowhere"), "--help")
    assert result.exit_code == 0
    out = result.output
    assert t_in("zh", "cli.main") in out and "用法" in out and "命令" in out and "选项" in out
    assert "Show this message" not in out and "Usage:" not in out
    commands = out.split("命令:")[1]
    listed = [line.split()[0] for line in commands.splitlines() if re.match(r"  \S", line)]
    assert listed == [c for c in COMMAND_ORDER if c in main.commands]
    # full descriptions (wrapped to the window), not click's 45-character cut
    assert flat(t_in("zh", "cli.validate")) in flat(commands) and "..." not in commands


def test_run_help_and_a_usage_error_follow_the_workspace_language(tmp_path, english):
    zh = invoke("-w", str(tmp_path / "nowhere"), "run", "--help")
    en = invoke("-w", str(english), "run", "--help")
    assert flat(t_in("zh", "cli.run")) in flat(zh.output) and flat(t_in("zh", "cli.run.executor")) in flat(zh.output)
    assert flat(t_in("en", "cli.run")) in flat(en.output)
    assert not CJK.search(en.output)
    missing_zh = invoke("-w", str(tmp_path / "nowhere"), "listed")
    missing_en = invoke("-w", str(english), "listed")
    assert missing_zh.exit_code == missing_en.exit_code == 2
    assert "错误：缺少参数 'ARTICLE'" in missing_zh.output and "Missing" not in missing_zh.output
    assert "Error: Missing argument 'ARTICLE'" in missing_en.output
    bad = invoke("-w", str(tmp_path / "nowhere"), "run", "--jbos", "2")
    assert bad.exit_code == 2 and "没有选项 '--jbos'" in bad.output and "'--jobs'" in bad.output
    bad_en = invoke("--workspace=" + str(english), "run", "--jobs", "0")
    assert "Invalid value for '--jobs'" in bad_en.output and not CJK.search(bad_en.output)


def test_every_command_and_option_has_help_in_both_languages():
    for name, cmd in main.commands.items():
        assert f"cli.{name}" in MESSAGES, name
        owner = "soldout" if name == "restock" else name
        for param in cmd.params:
            if isinstance(param, click.Option):
                keys = (f"cli.{owner}.{param.name}", f"cli.opt.{param.name}")
                assert any(k in MESSAGES for k in keys), (name, param.name)
    for name in main.commands:
        result = invoke(name, "--help")
        assert result.exit_code == 0 and "Show this message" not in result.output, name
        for param in main.commands[name].params:
            if isinstance(param, click.Option):
                assert param.help and CJK.search(param.help), (name, param.name)


def test_language_is_read_before_parsing(tmp_path, english, monkeypatch):
    monkeypatch.delenv("IMGPIPE_LANGUAGE", raising=False)
    assert interface_language(["-w", str(english), "status"]) == "en"
    assert interface_language(["-w" + str(english)]) == "en"
    assert interface_language(["--workspace", str(english), "run", "-w", "x"]) == "en"
    assert interface_language(["-w", str(tmp_path / "none"), "run"]) == "zh"
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "imgpipe.toml").write_text("language = [", encoding="utf-8")
    assert interface_language(["-w", str(tmp_path / "broken")]) == "zh"
    monkeypatch.setenv("IMGPIPE_LANGUAGE", "en")
    assert interface_language(["-w", str(tmp_path / "none"), "init", "x"]) == "en"


def test_version_has_one_source():
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"imgpipe {imgpipe.__version__}" == f"imgpipe {version('imgpipe')}"


def test_chinese_help_stays_inside_an_80_column_terminal(tmp_path):
    from imgpipe.cli import display_width, wrap_columns

    for args in (["--help"], *([name, "--help"] for name in main.commands)):
        out = invoke("-w", str(tmp_path / "nowhere"), *args).output
        widest = max(out.splitlines(), key=display_width)
        assert display_width(widest) <= 80, (args, widest)
    # breaks between Chinese characters, never before closing punctuation, words kept whole
    lines = wrap_columns("把 ARTICLE 的某个颜色、尺码或整个货号标记为售罄：图片加上售罄标记，文件名不变。", 20)
    assert all(display_width(line) <= 20 for line in lines) and len(lines) > 2
    assert not any(line[0] in "，。、：）" for line in lines)
    assert "".join(lines).replace(" ", "") == "把ARTICLE的某个颜色、尺码或整个货号标记为售罄：图片加上售罄标记，文件名不变。"
