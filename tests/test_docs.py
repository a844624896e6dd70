"""The developer docs stay true to the tree: the module map names every module, and nothing else."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_module_map_in_docs_matches_the_package():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "module_map.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_readme_links_point_at_files_that_exist():
    import re

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = {m for m in re.findall(r"\]\(([^)#]+)\)", text) if not m.startswith("http")}
    assert targets, "README links to its docs"
    missing = sorted(t for t in targets if not (ROOT / t).exists())
    assert not missing, missing
