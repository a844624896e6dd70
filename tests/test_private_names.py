"""No module imports another module's private (underscore) name: what crosses a module boundary has a public name."""

from __future__ import annotations

import ast
from pathlib import Path

import imgpipe

PACKAGE = Path(imgpipe.__file__).parent


def private_imports(package: Path = PACKAGE) -> list[str]:
    """`file:line from module import _name` for every import of a private name from another imgpipe module
    (absolute or relative; dunders such as __version__ are public by convention)."""
    found = []
    root = package.parent
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        here = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package_of = ".".join(parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package_of.split(".")[: len(package_of.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != package.name or module == here:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not (alias.name.startswith("__") and alias.name.endswith("__")):
                    found.append(f"{path.relative_to(root).as_posix()}:{node.lineno} from {module} import {alias.name}")
    return found


def test_no_private_name_is_imported_across_modules():
    assert private_imports() == []


def test_the_check_finds_one(tmp_path):
    pkg = tmp_path / "imgpipe"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("__version__ = '1'\n")
    (pkg / "a.py").write_text("_x = 1\nfrom imgpipe.a import _x as y\nfrom imgpipe import __version__\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "b.py").write_text("from imgpipe.a import (\n    public,\n    _x,\n)\nfrom ..a import _y\n")
    assert private_imports(pkg) == ["imgpipe/sub/b.py:1 from imgpipe.a import _x",
                                    "imgpipe/sub/b.py:5 from imgpipe.a import _y"]
