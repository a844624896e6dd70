"""backup (R9): every output and original verified on the backup target."""

from __future__ import annotations

from imgpipe.messages import t
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


def check(v, a: ArticleInputs) -> CheckResult:
    if a.waiting:
        return CheckResult("backup")
    return _check_backup(v, a.rows, a.slices, a.photos)


def _check_backup(v, rows, slices, photos) -> CheckResult:
    f = Finder("backup")
    if not (v.settings.backup.target or "").strip():
        f.warning("no_target")
        return f.result
    paths = [r["path"] for r in rows] + list(slices) + [p.original for p in photos]
    for rel in paths:
        sha = v.files.sha(rel)
        if sha is None:
            continue  # missing files are reported by naming / freshness
        row = v.backup_rows.get(rel)
        if row is None or row["state"] != "done":
            f.error("not_backed_up", rel, name=rel.rsplit("/", 1)[-1],
                    state=t(f"validate.backup_state.{row['state'] if row else 'none'}"))
        elif row["sha256"] != sha:
            f.error("backup_stale", rel, name=rel.rsplit("/", 1)[-1])
    return f.result
