"""Regenerate the module map in docs/architecture.md from the package's module docstrings.

    python tools/module_map.py          # rewrite the map between the markers
    python tools/module_map.py --check  # exit 1 when the map is stale (tests/test_docs.py)
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN, END = "<!-- module map: begin (tools/module_map.py) -->", "<!-- module map: end -->"


def module_map(package: Path = ROOT / "imgpipe") -> str:
    """One line per module: its path under the package and the first line of its docstring."""
    rows = []
    for path in sorted(package.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        rows.append((path.relative_to(package.parent).as_posix(), doc.split("\n")[0]))
    width = max(len(name) for name, _ in rows)
    return "```\n" + "\n".join(f"{name.ljust(width)}  {summary}" for name, summary in rows) + "\n```"


def rewritten(text: str) -> str:
    """`text` with the block between the markers replaced by the current map."""
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{module_map()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = rewritten(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is stale: run python tools/module_map.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
