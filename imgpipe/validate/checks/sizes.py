"""sizes: dimensions, detail width, slice height, byte caps, formats, sRGB, no CMYK, no alpha;
an image that does not decode fails here, and so does a photo image whose bottom is one flat block."""

from __future__ import annotations

from imgpipe.profiles import Profile, brought_to_width
from imgpipe.validate.files import FileFacts
from imgpipe.validate.model import ArticleInputs, CheckResult, Finder


DAMAGED_SHARE = 0.2   # a flat block over a fifth of a photo image's height, at its bottom: a damaged source


def check(v, a: ArticleInputs) -> CheckResult:
    return _check_sizes(v, a.profile, a.rows, a.slices)


def _check_sizes(v, profile: Profile, rows, slices) -> CheckResult:
    f = Finder("sizes")
    allowed = {"jpeg" if x.lower() in ("jpg", "jpeg") else x.lower() for x in profile.formats}
    for r in rows:
        spec = profile.roles.get(r["role"])
        if spec is None:
            continue
        facts = v.files.facts(r["path"])
        if not facts.exists:
            continue  # freshness reports missing files
        _file_rules(f, r["path"], facts, allowed, profile, spec.max_bytes)
        if facts.error:
            continue
        if facts.flat_bottom >= DAMAGED_SHARE:  # a photo cut short, published as a flat grey block
            f.error("flat_bottom", r["path"], name=r["path"].rsplit("/", 1)[-1], share=f"{facts.flat_bottom:.0%}")
        if spec.framed and (facts.width, facts.height) != (spec.width, spec.height):
            f.error("dimensions", r["path"], got=f"{facts.width}×{facts.height}", want=f"{spec.width}×{spec.height}")
        elif not spec.framed and not brought_to_width(facts.width, spec.width, spec.upscale):
            # the photo itself is narrower: a rerun makes the same file, so the fix is the photo or the profile
            f.error("width_small", r["path"], got=facts.width, want=spec.width, platform=profile.name,
                    role=r["role"])
        elif not spec.framed and facts.width != spec.width:
            f.error("width", r["path"], got=facts.width, want=spec.width)
    page = profile.detail_page
    for s in slices:
        facts = v.files.facts(s)
        if not facts.exists:
            continue
        _file_rules(f, s, facts, allowed, profile, page.max_bytes)
        if facts.error:
            continue
        if facts.width != page.width:
            f.error("width", s, got=facts.width, want=page.width)
        if facts.height > page.slice_height:
            f.error("slice_height", s, got=facts.height, limit=page.slice_height)
    return f.result


def _file_rules(f: Finder, rel: str, facts: FileFacts, allowed: set[str], profile: Profile, cap: int) -> None:
    if facts.error:
        f.error("undecodable", rel, name=rel.rsplit("/", 1)[-1], detail=facts.error)
        return
    ext = rel.rsplit(".", 1)[-1].lower()
    ext = "jpeg" if ext == "jpg" else ext
    if facts.fmt.lower() not in allowed or ext not in allowed:
        f.error("format", rel, got=facts.fmt or ext, allowed=", ".join(profile.formats))
    elif facts.fmt.lower() != ext:
        f.error("format_mismatch", rel, got=facts.fmt, ext=rel.rsplit(".", 1)[-1])
    if facts.nbytes > cap:
        f.error("bytes", rel, got=f"{facts.nbytes / 1048576:.2f} MB", limit=f"{cap / 1048576:.2f} MB")
    if facts.mode == "CMYK":
        f.error("cmyk", rel)
    if facts.icc is not None and "srgb" not in facts.icc.lower():
        f.error("not_srgb", rel, profile=facts.icc)
    if facts.alpha and profile.flatten_alpha:
        f.error("alpha", rel)
