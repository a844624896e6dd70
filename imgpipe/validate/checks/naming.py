"""naming (R9): file names `<article>-NN…`, no duplicate or missing numbers, length."""

from __future__ import annotations

import re

from imgpipe.messages import t
from imgpipe.profiles import Profile
from imgpipe.roles import role_of
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder

NAME_MAX_CHARS = 60             # file-name length platforms' image spaces accept (characters)
UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\s#%&]')


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_naming(v, a.article, a.profile, a.rows, a.slices, a.photos)


def _check_naming(v, article: str, profile: Profile, rows, slices, photos) -> CheckResult:
    f = Finder("naming")
    pattern = re.compile(rf"^{re.escape(article)}-(\d{{2,}})(.*)\.([A-Za-z0-9]+)$")
    slice_pattern = re.compile(rf"^{re.escape(article)}-detail-(\d{{2,}})()\.([A-Za-z0-9]+)$")
    known = {r["path"] for r in rows} | set(slices)
    base = v.root / "output" / profile.name / article
    on_disk: list[str] = []
    if base.is_dir():
        for p in sorted(base.rglob("*")):
            rel_parts = p.relative_to(base).parts
            if not p.is_file() or any(part.startswith(".") for part in rel_parts):
                continue
            # the page's own HTML and web copies are not uploaded one by one
            if rel_parts[0] == "page" and (len(rel_parts) > 2 or p.suffix.lower() not in (".jpg", ".jpeg", ".png")):
                continue
            on_disk.append(p.relative_to(v.root).as_posix())
    seqs_by_role: dict[str, dict[int, list[str]]] = {}
    points: dict[int, list[str]] = {}
    for rel in on_disk:
        name = rel.rsplit("/", 1)[1]
        role = rel.split("/")[3] if rel.count("/") >= 4 else ""
        m = pattern.match(name) or (role == "page" and slice_pattern.match(name))
        if not m:
            f.error("name_pattern", rel, name=name, article=article)
            continue
        if len(name) > NAME_MAX_CHARS:
            f.error("name_long", rel, name=name, limit=NAME_MAX_CHARS)
        if UNSAFE_NAME.search(name):
            f.error("name_chars", rel, name=name)
        if rel not in known:
            f.warning("name_unknown", rel, name=name)
            continue
        seq, rest = int(m.group(1)), m.group(2)
        kind = role_of(role, profile.roles[role]).name if role in profile.roles else ""
        if kind and role_of(kind).numbered:
            seqs_by_role.setdefault(role, {}).setdefault(seq, []).append(rel)
        sp = re.fullmatch(r"-sp(\d{2,})", rest)
        if kind == "selling_point" and sp:
            points.setdefault(int(sp.group(1)), []).append(rel)
    for role, by_seq in seqs_by_role.items():
        for seq, paths in sorted(by_seq.items()):
            if len(paths) > 1:
                kind = role_of(role, profile.roles[role]).name
                f.error("name_duplicate", paths[1], name=f"{article}-{seq:02d}",
                        role=t(f"validate.role.{kind}") + ("" if kind == role else f" ({role})"))
    _sequence(f, article, points, "sp")
    slice_nums: dict[int, list[str]] = {}
    for s in slices:
        m = re.search(r"-detail-(\d{2,})\.\w+$", s)
        if m:
            slice_nums.setdefault(int(m.group(1)), []).append(s)
    _sequence(f, article, slice_nums, "detail")
    # originals: one number per photo, 01..NN with none missing (R9)
    seqs = sorted(p.seq for p in photos)
    if seqs:
        missing = sorted(set(range(1, seqs[-1] + 1)) - set(seqs))
        if missing:
            f.error("seq_gap", None, article=article, numbers=", ".join(f"{n:02d}" for n in missing))
        for p in photos:
            if not v.files.path(p.original).is_file():
                f.error("original_missing", p.original, name=p.original.rsplit("/", 1)[-1])
            elif not p.original.rsplit("/", 1)[-1].startswith(p.stem + "."):
                f.error("name_pattern", p.original, name=p.original.rsplit("/", 1)[-1], article=article)
    return f.result


def _sequence(f: Finder, article: str, numbers: dict[int, list[str]], kind: str) -> None:
    if not numbers:
        return
    for n, paths in sorted(numbers.items()):
        if len(paths) > 1:
            f.error("name_duplicate", paths[1], name=f"{kind}{n:02d}", role=kind)
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers))
    if missing:
        f.error("seq_gap", None, article=f"{article} ({kind})", numbers=", ".join(f"{n:02d}" for n in missing))
