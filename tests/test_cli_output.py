"""What the CLI prints: dry runs in the conditional, brackets shown as written, short profile errors."""

import os
import sys

from click.testing import CliRunner

from imgpipe.cli import main
from imgpipe.messages import t_in
from imgpipe.workspace import Workspace


def invoke(root, *args):
    return CliRunner().invoke(main, ["-w", str(root), *args])


def test_soldout_and_restock_dry_runs_say_what_would_happen_and_change_nothing(workspace):
    result = invoke(workspace, "soldout", "A1023", "--colour", "红色", "--dry-run")
    assert result.exit_code == 0, result.output
    assert t_in("zh", "soldout.would_mark", article="A1023", variant="红色") in result.output
    assert "已标记售罄" not in result.output
    assert Workspace.open(workspace).catalog.soldout("A1023") == []
    done = invoke(workspace, "soldout", "A1023", "--colour", "红色")
    assert t_in("zh", "soldout.marked", article="A1023", variant="红色") in done.output
    again = invoke(workspace, "restock", "A1023", "--colour", "红色", "--dry-run")
    assert t_in("zh", "soldout.would_restock", article="A1023", variant="红色") in again.output
    assert Workspace.open(workspace).catalog.soldout("A1023") != []


def test_brackets_in_messages_are_shown_not_eaten(workspace):
    result = invoke(workspace, "backup")
    assert result.exit_code == 2
    assert "[backup]" in result.output  # "在 imgpipe.toml 的 [backup] 中设置 target"


def test_a_profile_error_names_the_key_and_allowed_values_only(workspace):
    (workspace / "profiles" / "tmall.toml").write_text("[roles.mian]\nwidth = 800\n", encoding="utf-8")
    result = invoke(workspace, "status")
    assert result.exit_code == 2
    assert "roles" in result.output and "main" in result.output and "mian" in result.output
    assert "RoleSpec" not in result.output and "max_bytes" not in result.output
    (workspace / "profiles" / "tmall.toml").write_text("[roles.main]\nwidth = \"wide\"\n", encoding="utf-8")
    typed = invoke(workspace, "status")
    assert "roles.main.width" in typed.output and "整数" in typed.output and "an integer" not in typed.output


def test_sheet_text_with_brackets_reaches_the_board_whole(workspace):
    from conftest import PRODUCT_ROW, write_sheet

    write_sheet(workspace, [PRODUCT_ROW.replace("纯棉衬衫", "[hot]衬衫", 1)])
    result = invoke(workspace, "status")
    assert result.exit_code == 0, result.output
    assert "[hot]" in result.output  # the column may fold the name itself


def test_the_cli_keeps_blas_to_one_thread_unless_the_user_says_otherwise():
    """imgpipe's parallelism is its process pool: OpenBLAS's own threads spun against it (the fill
    measure ~1.7x the CPU on a loaded 2-core machine). The variables must be set before numpy loads."""
    import subprocess

    code = ("import os, sys\nfrom imgpipe.cli import main\nassert 'numpy' not in sys.modules\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ['OPENBLAS_NUM_THREADS'], os.environ['OMP_NUM_THREADS'])")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["1", "1"]
    env["OPENBLAS_NUM_THREADS"] = "2"  # the user's own setting wins
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[-2:] == ["2", "1"]
