"""Operations review (图片审核) per article × platform, and the activity log of who did what.

A decision is an entry in the catalog's append-only activity log: an
approval (`approve`) or a send-back (`send_back`, with a note and optionally
the image it is about), each carrying the output fingerprints it looked at
(catalog.output_fingerprints). The review state is never stored, it is
computed: the latest decision holds only while the article's outputs on that
platform are exactly the ones it saw. So an approval survives a no-op re-run
(nothing rewritten, same fingerprints) and lapses by itself, on exactly that
platform, when a fix, a new photo or a sold-out overlay changes one image:

    待审核 pending    no decision, or the outputs changed since the last one
    已通过 approved   approved, outputs unchanged (who, when, what)
    已退回 sent_back  sent back, outputs unchanged (who, when, note, image)

Every other action (fixes by pointing, uploads, sold out / restock, listed,
exports, forced ones) is logged the same way, with the name of who did it.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe.errors import ImgpipeError
from imgpipe.messages import get_language, t

STATES = ("pending", "approved", "sent_back")
DECISION_ACTIONS = ("approve", "send_back")
# a fix by pointing (web.app.apply_fix's actions) as the page's button names it
FIX_LABELS = {"main": "web.main_order", "white": "web.act.white", "large": "web.act.large", "skip": "web.act.skip",
              "sku": "web.act.sku", "selling_point": "web.act.selling_point"}
ACTIONS = ("approve", "send_back", "fix", "upload", "soldout", "restock", "listed", "export")
HISTORY_COLUMNS = ("at", "who", "article", "platform", "action", "forced", "note", "image")


@dataclass(frozen=True)
class Review:
    """The review state of one article on one platform; `decision` is the latest approval or send-back."""

    article: str
    platform: str
    state: str                          # STATES
    decision: dict | None = None        # the activity entry, when there is one
    lapsed: bool = False                # there was a decision, but the outputs changed since
    outputs: int = 0                    # how many outputs (and pages) the platform has now

    @property
    def label(self) -> str:
        """The state as people read it; an approval the files outgrew says so ("审核已失效（文件已变）")."""
        return t(state_key(self.state, self.lapsed, (self.decision or {}).get("action")))

    def as_dict(self) -> dict:
        d = self.decision or {}
        return {"state": self.state, "label": self.label, "lapsed": self.lapsed, "outputs": self.outputs,
                "by": d.get("who"), "at": d.get("at"), "decision": d.get("action"), "note": d.get("note") or "",
                "image": d.get("image") or ""}


def state_key(state: str, lapsed: bool = False, action: str | None = None) -> str:
    """The message key of a review state as shown: a lapsed approval is not just 待审核, it lapsed."""
    return "review.state.lapsed" if lapsed and action == "approve" else f"review.state.{state}"


def byline(review: dict, lang: str | None = None, sep: str = " · ") -> str:
    """Who decided and when, from Review.as_dict(): "李四 · 2026-12-07 22:09:13"; a lapsed approval names
    its reviewer as the former one ("原审核员 李四 · …"); '' without a decision."""
    from imgpipe.messages import t_in

    if not (review.get("decision") or review.get("at")):
        return ""
    who, at = review.get("by") or t_in(lang or get_language(), "review.anonymous"), shown_time(review.get("at"))
    if review.get("lapsed") and review.get("decision") == "approve":
        return t_in(lang or get_language(), "review.by_lapsed", who=who, at=at)
    return f"{who}{sep}{at}"


def state_of(decision: dict | None, current: dict[str, str]) -> tuple[str, bool]:
    """(state, lapsed) from the latest decision and the outputs as they are now ({path: fingerprint})."""
    if decision is None:
        return "pending", False
    if decision.get("outputs") != current:
        return "pending", True
    return ("approved" if decision["action"] == "approve" else "sent_back"), False


def reviews(cat, platforms, article: str | None = None) -> dict[tuple[str, str], Review]:
    """{(article, platform): Review} for every article with outputs or decisions (one article when given)."""
    current = cat.output_fingerprints(article)
    decisions = cat.last_decisions(article)
    out = {}
    for key in sorted(set(current) | set(decisions)):
        if key[1] not in platforms:
            continue
        state, lapsed = state_of(decisions.get(key), current.get(key, {}))
        out[key] = Review(key[0], key[1], state, decisions.get(key), lapsed, len(current.get(key, {})))
    return out


def review_of(cat, article: str, platform: str) -> Review:
    return reviews(cat, [platform], article).get((article, platform)) or Review(article, platform, "pending")


def platform_labels(ws) -> dict[str, str]:
    """{platform: its name in the interface language} (tmall -> 天猫), as operations name it."""
    return {name: profile.label(get_language()) for name, profile in ws.profiles.items()}


def default_who() -> str:
    """Who acts from the command line when --by is not given: $IMGPIPE_USER, else the login name."""
    try:
        return os.environ.get("IMGPIPE_USER") or getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a service account): unnamed, still logged
        return ""


def _check_who(who: str) -> str:
    who = " ".join(str(who or "").split())
    if not who:
        raise ImgpipeError(t("review.need_name"), field="by", fix=t("review.need_name.fix"))
    if len(who) > 40:
        raise ImgpipeError(t("review.name_too_long", count=len(who)), field="by")
    return who


def decide(ws, article: str, platform: str, *, approve: bool, who: str, note: str = "",
           image: str = "", force: bool = False, reason: str = "", gate=None) -> Review:
    """Approve or send back ARTICLE on PLATFORM as `who`; returns the new state.

    A send-back needs a note; its image (optional) must be one of the
    article's outputs or originals on that platform. Refused when the
    platform has no outputs yet: there is nothing to look at. With a `gate`
    ((ws, article, platform) -> the validation's errors, raising unless
    forced: approval.decide passes it), an approval with errors needs `force`
    and a `reason`: it is recorded as forced, with the reason as its note and
    the errors it overrode.
    """
    cat = ws.catalog
    who = _check_who(who)
    if platform not in ws.profiles:
        raise ImgpipeError(t("config.unknown_platform", name=platform), field="platform",
                           fix=t("config.unknown_platform.fix", known=", ".join(ws.profiles), name=platform))
    reason = " ".join((reason or "").split())
    if force and not approve:
        raise ImgpipeError(t("review.force_only_approve"), field="force")
    if force and not reason:
        raise ImgpipeError(t("review.need_reason"), field="reason", fix=t("review.need_reason.fix"))
    current = cat.output_fingerprints(article).get((article, platform), {})
    if not current:
        raise ImgpipeError(t("review.no_outputs", article=article, platform=platform_labels(ws)[platform]),
                           fix=t("review.no_outputs.fix", article=article))
    note = note.strip()
    if not approve and not note:
        raise ImgpipeError(t("review.need_note"), field="send-back", fix=t("review.need_note.fix"))
    if image:
        image = resolve_image(ws, article, platform, image)
    detail = None
    if approve:
        errors = gate(ws, article, platform) if gate is not None else []  # raises unless forced
        force = bool(errors)  # forced only when there was something to override
        note = reason if force else note
        if force:
            detail = {"errors": [{"check": f.check, "code": f.code, "file": f.file} for f in errors]}
    cat.add_activity(article=article, platform=platform, action="approve" if approve else "send_back", who=who,
                     note=note, image=image, outputs=current, forced=force and approve, detail=detail)
    return review_of(cat, article, platform)


def overridden(decision: dict | None) -> int:
    """How many validation errors a forced approval overrode (0 for any other decision)."""
    return len(((decision or {}).get("detail") or {}).get("errors") or [])


def resolve_image(ws, article: str, platform: str, given: str) -> str:
    """The workspace path of the image a send-back is about: its path, or a file name of this article's.

    A bare name (`A1023-02.jpg`) several roles share means the one uploaded first: main before
    white, SKU and the page's images, outputs before originals.
    """
    from imgpipe.roles import sort_key

    profile = ws.profiles.get(platform)
    rows = sorted(ws.catalog.outputs(article, platform),
                  key=lambda r: sort_key(r.role, profile.roles.get(r.role) if profile else None))
    known = [r.path for r in rows] + [p.original for p in ws.catalog.photos(article)]
    wanted = given.replace("\\", "/").strip()
    name = wanted.rsplit("/", 1)[-1]
    for path in ([wanted] if wanted in known else []) + [p for p in known if p.rsplit("/", 1)[-1] == name]:
        return path
    label = profile.label(get_language()) if profile else platform  # 天猫, as operations name it
    raise ImgpipeError(t("review.unknown_image", image=given, article=article, platform=label), field="image",
                       fix=t("review.unknown_image.fix"))


def log(cat, action: str, article: str, who: str = "", **fields) -> None:
    """Append `action` by `who` on `article` to the activity log (fields: platform, forced, note, detail)."""
    cat.add_activity(article=article, action=action, who=who or "", **fields)


def listing_refusals(cat, article: str, platforms, labels: dict[str, str] | None = None) -> dict[str, str]:
    """{platform: why} for the platforms ARTICLE may not be marked listed on (not approved)."""
    states = reviews(cat, list(platforms), article)
    out = {}
    for platform in platforms:
        review = states.get((article, platform)) or Review(article, platform, "pending")
        if review.state != "approved":
            out[platform] = why_not_approved(review, (labels or {}).get(platform))
    return out


def check_listing(cat, article: str, platforms, force: bool, labels: dict[str, str] | None = None) -> set[str]:
    """The platforms to be marked listed although not approved (forced).

    ImgpipeError (nothing marked) when any is not approved and not `force`: the reason per platform.
    """
    refused = listing_refusals(cat, article, platforms, labels)
    if refused and not force:
        raise ImgpipeError(t("review.listed_refused", article=article, why="; ".join(refused.values())),
                           fix=t("review.listed_refused.fix", article=article, platform=next(iter(refused))))
    return set(refused)


def shown_time(at: str | None) -> str:
    """A recorded time (ISO, 2026-12-07T22:09:13) as a person writes it: 2026-12-07 22:09:13."""
    return (at or "").replace("T", " ")


def why_not_approved(review: Review, label: str | None = None) -> str:
    """One sentence: why this platform (named `label`: 天猫) is not approved (never decided, changed since, or sent back)."""
    d = review.decision or {}
    platform = label or review.platform
    if review.state == "sent_back":
        return t("review.why.sent_back", platform=platform, who=d.get("who"), at=shown_time(d.get("at")),
                 note=d.get("note"))
    if review.lapsed:
        return t("review.why.lapsed", platform=platform, who=d.get("who"), at=shown_time(d.get("at")))
    return t("review.why.pending", platform=platform)


@dataclass
class History:
    article: str
    entries: list[dict] = field(default_factory=list)
    reviews: dict[str, Review] = field(default_factory=dict)   # platform -> state now

    def as_dict(self) -> dict:
        return {"article": self.article, "reviews": {p: r.as_dict() for p, r in self.reviews.items()},
                "activity": self.entries}

    def as_csv(self) -> str:
        """One row per entry, the columns of HISTORY_COLUMNS plus the action's name in the interface language."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")  # Excel opens it as it is
        writer.writerow([*HISTORY_COLUMNS, "action_label", "outputs"])
        for e in self.entries:
            writer.writerow([*(int(e[c]) if c == "forced" else e[c] for c in HISTORY_COLUMNS),
                             action_label(e["action"]), len(e["outputs"] or {})])
        return buf.getvalue()


def _public(entry: dict) -> dict:
    """A log entry with its action named in the interface language (`label`) and what it changed (`summary`)."""
    return dict(entry, label=action_label(entry["action"]), summary=summary(entry))


def summary(entry: dict) -> str:
    """What an entry changed, in a few words: the note and its image, the fix, the variant, the date."""
    d = entry.get("detail") or {}
    image = (entry.get("image") or "").rsplit("/", 1)[-1]
    if entry["action"] in DECISION_ACTIONS:
        return " — ".join(x for x in (entry.get("note") or "", image) if x)
    if entry["action"] == "fix":  # "设为白底图: 02", "主图顺序: 02, 03, 07"
        seqs = d.get("seqs") if d.get("action") == "main" else [d.get("seq")]
        key = FIX_LABELS.get(d.get("action"))
        what = ", ".join(f"{s:02d}" for s in seqs or [] if isinstance(s, int)) or t("web.auto")
        target = " ".join(str(x) for x in (d.get("colour"), d.get("index")) if x)
        return f"{t(key) if key else d.get('action', '')}{' ' + target if target else ''}: {what}"
    if entry["action"] in ("soldout", "restock"):
        return " ".join(x for x in (d.get("colour"), d.get("size")) if x) or t("soldout.variant_all")
    if entry["action"] == "upload":
        return str(len(d.get("files") or []))
    if entry["action"] == "export":
        return Path(d.get("zip") or "").name
    return d.get("date") or ""


def action_label(action: str) -> str:
    try:
        return t(f"review.action.{action}")
    except KeyError:  # an action a newer imgpipe logged
        return action


def history(ws, article: str) -> History:
    cat = ws.catalog
    states = reviews(cat, list(ws.profiles), article)
    return History(article, [_public(e) for e in cat.activity(article)], {p: states.get((article, p)) or Review(article, p, "pending")
                                                   for p in ws.profiles})
