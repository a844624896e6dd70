"""The catalog: one SQLite file in `.imgpipe/`, the only place state lives.

What photos were archived (hash, article, sequence), what each output was
made from (settings fingerprint, hash), sold-out variants, listings. It makes
runs resumable and idempotent: the pipeline asks it what is already done.
Only the coordinating process writes to it.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from imgpipe import clock
from imgpipe.errors import ImgpipeError, global_failure
from imgpipe.messages import t

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS photos (
    id INTEGER PRIMARY KEY,
    article TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ext TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    original TEXT NOT NULL,          -- path relative to the workspace
    source_name TEXT NOT NULL,       -- file name as dropped in the inbox
    captured_at TEXT,                -- EXIF DateTimeOriginal, when present
    kind TEXT NOT NULL DEFAULT 'photo',   -- photo | reference | slate
    analysis TEXT,                   -- JSON: colour correction, product box, backdrop score
    analysis_key TEXT,               -- what the analysis was computed with
    added_at TEXT NOT NULL,
    UNIQUE (article, seq),
    UNIQUE (article, sha256)
);
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,           -- relative to the workspace
    platform TEXT NOT NULL,
    article TEXT NOT NULL,
    role TEXT NOT NULL,
    photo_id INTEGER,
    fingerprint TEXT NOT NULL,
    sha256 TEXT,
    width INTEGER, height INTEGER, bytes INTEGER,
    quality INTEGER,
    meta TEXT,                       -- JSON: colour, watermark box, product box, overlays
    updated_at TEXT NOT NULL,
    kind TEXT,                       -- the registered role it works like (roles.role_of): main, sku, ...
    job TEXT                         -- JSON: the planner's OutputJob (seq, colour, selling point, size, format)
);
CREATE INDEX IF NOT EXISTS outputs_article ON outputs (article, platform);
CREATE TABLE IF NOT EXISTS pages (
    platform TEXT NOT NULL, article TEXT NOT NULL,
    fingerprint TEXT NOT NULL, slices TEXT, html TEXT, updated_at TEXT NOT NULL,
    PRIMARY KEY (platform, article)
);
CREATE TABLE IF NOT EXISTS soldout (
    article TEXT NOT NULL, colour TEXT NOT NULL DEFAULT '', size TEXT NOT NULL DEFAULT '',
    since TEXT NOT NULL,
    PRIMARY KEY (article, colour, size)
);
CREATE TABLE IF NOT EXISTS listings (
    article TEXT NOT NULL, platform TEXT NOT NULL, listed_at TEXT NOT NULL,
    PRIMARY KEY (article, platform)
);
"""

# version 1 -> 2: the activity log (review.py). Append-only: the triggers refuse an UPDATE or DELETE,
# so a history a colleague reads is the history that happened.
ACTIVITY_SCHEMA = """
CREATE TABLE IF NOT EXISTS activity (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    who TEXT NOT NULL DEFAULT '',
    article TEXT NOT NULL,
    platform TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,            -- review.ACTIONS: approve | send_back | fix | upload | soldout | restock | listed | export
    forced INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    image TEXT NOT NULL DEFAULT '',  -- a send-back's image (path relative to the workspace)
    outputs TEXT,                    -- JSON {path: fingerprint}: what an approval or send-back looked at
    detail TEXT                      -- JSON: what else the action says (colour, size, files)
);
CREATE INDEX IF NOT EXISTS activity_article ON activity (article, id);
CREATE TRIGGER IF NOT EXISTS activity_no_update BEFORE UPDATE ON activity
    BEGIN SELECT RAISE(ABORT, 'activity is append-only'); END;
CREATE TRIGGER IF NOT EXISTS activity_no_delete BEFORE DELETE ON activity
    BEGIN SELECT RAISE(ABORT, 'activity is append-only'); END;
"""
DECISIONS = ("approve", "send_back")
ACTIVITY_COLUMNS = ("at", "who", "article", "platform", "action", "forced", "note", "image", "outputs", "detail")


def now() -> str:
    return clock.now_iso()


@dataclass(frozen=True)
class PhotoRow:
    id: int
    article: str
    seq: int
    ext: str
    sha256: str
    original: str
    source_name: str
    captured_at: str | None
    kind: str
    analysis: dict | None
    analysis_key: str | None

    @property
    def stem(self) -> str:
        """`A1023-01`: the name every output made from this photo starts with."""
        return f"{self.article}-{self.seq:02d}"


@dataclass(frozen=True)
class OutputRecord:
    """One made output as the catalog keeps it: the planner's OutputJob plus what the file came out as.

    kind: the registered role it works like (`main` for a profile's `main_34`); role: the output
    name (its folder). colour: the SKU image's colour; selling_point: the point's number (1-based),
    0 for other roles. size: the planned (width, height) in px, height 0 for roles made at a width.
    Rows made before the record existed (or rebuilt by `doctor`) have kind = role and no job fields.
    `record["path"]` reads the raw column, as the catalog's rows always did.
    """

    path: str
    platform: str
    article: str
    role: str
    kind: str
    photo_id: int | None
    seq: int | None
    colour: str
    selling_point: int
    size: tuple[int, int]
    fmt: str
    fingerprint: str
    sha256: str | None
    width: int | None
    height: int | None
    nbytes: int | None
    meta: dict
    row: sqlite3.Row = field(repr=False, compare=False)

    def __getitem__(self, key: str):
        return self.row[key]

    @classmethod
    def of(cls, row: sqlite3.Row) -> "OutputRecord":
        job = json.loads(row["job"]) if row["job"] else {}
        return cls(path=row["path"], platform=row["platform"], article=row["article"], role=row["role"],
                   kind=row["kind"] or row["role"], photo_id=row["photo_id"], seq=job.get("seq"),
                   colour=job.get("colour") or "", selling_point=int(job.get("point_index") or 0),
                   size=tuple(job.get("size") or (0, 0)), fmt=job.get("format") or row["path"].rsplit(".", 1)[-1],
                   fingerprint=row["fingerprint"], sha256=row["sha256"], width=row["width"], height=row["height"],
                   nbytes=row["bytes"], meta=json.loads(row["meta"]) if row["meta"] else {}, row=row)


class Catalog:
    def __init__(self, path: Path):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            # a full disk or a read-only folder is not damage: saying "corrupt" would send users to --rebuild
            fatal = global_failure(exc, path)
            if fatal:
                raise fatal from None
            raise ImgpipeError(t("catalog.corrupt", detail=exc), file=path, fix=t("catalog.corrupt.fix")) from None

    def _migrate(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        version = int(row["value"]) if row else 0
        if version > SCHEMA_VERSION:
            raise ImgpipeError(t("catalog.too_new", version=version), file=self.path, fix=t("catalog.too_new.fix"))
        # version 0 -> 1: the tables above. 1 -> 2: the activity log (review.py). 2 -> 3: outputs.kind and
        # outputs.job (the planner's record: readers stop parsing file names); rows made before have
        # neither until the next run writes them
        if version < 2:
            self.db.executescript(ACTIVITY_SCHEMA)
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(outputs)")}
        for column in ("kind", "job"):
            if column not in columns:
                self.db.execute(f"ALTER TABLE outputs ADD COLUMN {column} TEXT")
        if version != SCHEMA_VERSION:  # only then: opening to read (validate, a dry run) writes nothing
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def close(self) -> None:
        self.db.close()

    # --- photos -----------------------------------------------------------
    def _photo(self, row) -> PhotoRow:
        return PhotoRow(
            id=row["id"], article=row["article"], seq=row["seq"], ext=row["ext"], sha256=row["sha256"],
            original=row["original"], source_name=row["source_name"], captured_at=row["captured_at"],
            kind=row["kind"], analysis=json.loads(row["analysis"]) if row["analysis"] else None,
            analysis_key=row["analysis_key"],
        )

    def photos(self, article: str | None = None) -> list[PhotoRow]:
        if article is None:
            rows = self.db.execute("SELECT * FROM photos ORDER BY article, seq")
        else:
            rows = self.db.execute("SELECT * FROM photos WHERE article=? ORDER BY seq", (article,))
        return [self._photo(r) for r in rows]

    def photo_by_hash(self, article: str, sha: str) -> PhotoRow | None:
        row = self.db.execute("SELECT * FROM photos WHERE article=? AND sha256=?", (article, sha)).fetchone()
        return self._photo(row) if row else None

    def next_seq(self, article: str) -> int:
        row = self.db.execute("SELECT MAX(seq) AS m FROM photos WHERE article=?", (article,)).fetchone()
        return (row["m"] or 0) + 1

    def add_photo(self, *, article, seq, ext, sha256, original, source_name, captured_at, kind="photo") -> int:
        cur = self.db.execute(
            "INSERT INTO photos (article, seq, ext, sha256, original, source_name, captured_at, kind, added_at)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (article, seq, ext, sha256, original, source_name, captured_at, kind, now()),
        )
        return cur.lastrowid

    def set_analysis(self, photo_id: int, analysis: dict, key: str) -> None:
        self.db.execute("UPDATE photos SET analysis=?, analysis_key=? WHERE id=?",
                        (json.dumps(analysis, ensure_ascii=False), key, photo_id))

    def articles(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT article FROM photos ORDER BY article")]

    # --- outputs ----------------------------------------------------------
    def output(self, path: str):
        return self.db.execute("SELECT * FROM outputs WHERE path=?", (path,)).fetchone()

    def outputs(self, article: str | None = None, platform: str | None = None,
                kind: str | None = None) -> list[OutputRecord]:
        """The made outputs, by platform, article and path; each filter optional (kind: a registered role)."""
        sql, args = "SELECT * FROM outputs WHERE 1=1", []
        for column, value in (("article", article), ("platform", platform), ("COALESCE(kind, role)", kind)):
            if value:
                sql += f" AND {column}=?"
                args.append(value)
        return [OutputRecord.of(r) for r in self.db.execute(sql + " ORDER BY platform, article, path", args)]

    def record_output(self, *, path, platform, article, role, photo_id, fingerprint, sha256,
                      width, height, nbytes, quality, meta: dict | None = None, job: dict | None = None) -> None:
        """job: the planner's record (plan.OutputJob.record()): kind, seq, colour, selling point, size, format."""
        self.db.execute(
            "INSERT OR REPLACE INTO outputs (path, platform, article, role, photo_id, fingerprint, sha256, width,"
            " height, bytes, quality, meta, updated_at, kind, job) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (path, platform, article, role, photo_id, fingerprint, sha256, width, height, nbytes, quality,
             json.dumps(meta or {}, ensure_ascii=False), now(), (job or {}).get("kind"),
             json.dumps(job, ensure_ascii=False) if job else None),
        )

    def set_output_job(self, path: str, job: dict) -> None:
        """Give an output made before the record existed its planner's record (the next run does)."""
        self.db.execute("UPDATE outputs SET kind=?, job=? WHERE path=?",
                        (job.get("kind"), json.dumps(job, ensure_ascii=False), path))

    def sliced_pages(self) -> set[tuple[str, str]]:
        """(article, platform) of every detail page that was rendered and cut into slices."""
        return {(r["article"], r["platform"]) for r in self.db.execute("SELECT article, platform, slices FROM pages")
                if r["slices"] not in (None, "[]")}

    def forget_output(self, path: str) -> None:
        self.db.execute("DELETE FROM outputs WHERE path=?", (path,))

    # --- detail pages -------------------------------------------------------
    def page(self, platform: str, article: str):
        return self.db.execute("SELECT * FROM pages WHERE platform=? AND article=?", (platform, article)).fetchone()

    def record_page(self, platform, article, fingerprint, slices: list[str], html: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO pages VALUES (?,?,?,?,?,?)",
                        (platform, article, fingerprint, json.dumps(slices), html, now()))

    # --- sold out and listings ------------------------------------------------
    def soldout(self, article: str) -> list[tuple[str, str]]:
        """[(colour, size)] sold out for `article`; '' means "any"."""
        return [(r["colour"], r["size"]) for r in
                self.db.execute("SELECT colour, size FROM soldout WHERE article=? ORDER BY colour, size", (article,))]

    def set_soldout(self, article: str, colour: str, size: str, sold_out: bool) -> None:
        if sold_out:
            self.db.execute("INSERT OR IGNORE INTO soldout VALUES (?,?,?,?)", (article, colour, size, now()))
        else:
            self.db.execute("DELETE FROM soldout WHERE article=? AND colour=? AND size=?", (article, colour, size))

    def set_listed(self, article: str, platform: str, when: str | None = None) -> None:
        """Record ARTICLE as on sale on PLATFORM since `when` (ISO date or time; default now)."""
        self.db.execute("INSERT OR REPLACE INTO listings VALUES (?,?,?)", (article, platform, when or now()))

    def listings(self, article: str) -> dict[str, str]:
        return {r["platform"]: r["listed_at"] for r in
                self.db.execute("SELECT platform, listed_at FROM listings WHERE article=?", (article,))}

    # --- review and activity (review.py) ----------------------------------------
    def output_fingerprints(self, article: str | None = None) -> dict[tuple[str, str], dict[str, str]]:
        """{(article, platform): {path: fingerprint}} of every output and detail page.

        An output's fingerprint is what it was made from and its bytes
        (`<settings fingerprint>:<sha256>`); a detail page counts as one output
        (`page:<platform>`). Equal maps mean the same images.
        """
        out: dict[tuple[str, str], dict[str, str]] = {}
        where, args = ("WHERE article=?", (article,)) if article else ("", ())
        for r in self.db.execute(f"SELECT article, platform, path, fingerprint, sha256 FROM outputs {where}", args):
            out.setdefault((r["article"], r["platform"]), {})[r["path"]] = f"{r['fingerprint']}:{r['sha256'] or ''}"
        for r in self.db.execute(f"SELECT article, platform, fingerprint, slices FROM pages {where}", args):
            out.setdefault((r["article"], r["platform"]), {})[f"page:{r['platform']}"] = (
                f"{r['fingerprint']}:{r['slices'] or ''}")
        return out

    def add_activity(self, *, article: str, action: str, who: str = "", platform: str = "", forced: bool = False,
                     note: str = "", image: str = "", outputs: dict | None = None, detail: dict | None = None,
                     at: str | None = None) -> int:
        """Append one entry to the activity log; returns its id. Entries are never changed or removed."""
        cur = self.db.execute(
            "INSERT INTO activity (at, who, article, platform, action, forced, note, image, outputs, detail)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (at or now(), who, article, platform, action, int(forced), note, image,
             None if outputs is None else json.dumps(outputs, ensure_ascii=False, sort_keys=True),
             None if detail is None else json.dumps(detail, ensure_ascii=False)))
        return cur.lastrowid

    def append_activity_rows(self, rows) -> int:
        """Append raw activity rows (tuples in ACTIVITY_COLUMNS order, e.g. salvaged by doctor); returns how many."""
        sql = f"INSERT INTO activity ({', '.join(ACTIVITY_COLUMNS)}) VALUES ({', '.join('?' * len(ACTIVITY_COLUMNS))})"
        return sum(self.db.execute(sql, tuple(row)).rowcount for row in rows)

    @staticmethod
    def _activity(row) -> dict:
        entry = dict(row)
        entry["forced"] = bool(entry["forced"])
        entry["outputs"] = json.loads(entry["outputs"]) if entry["outputs"] else None
        entry["detail"] = json.loads(entry["detail"]) if entry["detail"] else None
        return entry

    def activity(self, article: str | None = None) -> list[dict]:
        """The activity log, oldest first (of one article, or all)."""
        if article is None:
            rows = self.db.execute("SELECT * FROM activity ORDER BY id")
        else:
            rows = self.db.execute("SELECT * FROM activity WHERE article=? ORDER BY id", (article,))
        return [self._activity(r) for r in rows]

    def last_decisions(self, article: str | None = None) -> dict[tuple[str, str], dict]:
        """{(article, platform): the latest approval or send-back}."""
        marks = ",".join("?" * len(DECISIONS))
        sql = (f"SELECT * FROM activity WHERE id IN (SELECT MAX(id) FROM activity WHERE action IN ({marks})"
               f"{' AND article=?' if article else ''} GROUP BY article, platform)")
        args = (*DECISIONS, article) if article else DECISIONS
        return {(r["article"], r["platform"]): self._activity(r) for r in self.db.execute(sql, args)}

    def transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
