"""The newest validation report per platform (`reports/validation-<platform>-<date>.json`), as the pages use it.

`imgpipe validate` writes the reports; the workbench only reads them (the
board's failure counts, the findings on an article page, the report page).
Parsed files are kept in memory until their modification time changes.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

_cache: dict[Path, tuple[int, dict]] = {}
_lock = threading.Lock()


def latest_reports(root: Path) -> list[dict]:
    """The newest report of each platform (JSON as written by validate.py), platforms in name order."""
    newest: dict[str, Path] = {}
    for path in sorted((Path(root) / "reports").glob("validation-*-*.json")):
        platform = path.stem[len("validation-"):].rsplit("-", 3)[0]
        newest[platform] = path  # names end in the ISO date: sorted, the last is the newest
    out = []
    for platform in sorted(newest):
        path = newest[platform]
        try:
            mtime = path.stat().st_mtime_ns
            with _lock:
                hit = _cache.get(path)
            if hit and hit[0] == mtime:
                data = hit[1]
            else:
                data = json.loads(path.read_text(encoding="utf-8"))
                with _lock:
                    _cache[path] = (mtime, data)
        except (OSError, ValueError):  # half-written by another process, or not ours: skipped
            continue
        out.append(dict(data, file=path.relative_to(root).as_posix()))
    return out


def failure_counts(root: Path) -> dict[str, int]:
    """article -> failing checks (status error), summed over the newest report of each platform."""
    counts: dict[str, int] = {}
    for report in latest_reports(root):
        for art in report.get("articles", []):
            bad = sum(1 for c in art.get("checks", []) if c.get("status") == "error")
            counts[art["article"]] = counts.get(art["article"], 0) + bad
    return counts


def findings_for(root: Path, article: str) -> tuple[list[dict], str]:
    """(findings of `article` in the newest reports, each with its platform; the report date or '')."""
    found, date = [], ""
    for report in latest_reports(root):
        for art in report.get("articles", []):
            if art.get("article") != article:
                continue
            date = max(date, report.get("date", ""))
            for check in art.get("checks", []):
                found += [dict(f, platform=report["platform"]) for f in check.get("findings", [])]
    return found, date
