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

SCHEMA_VERSION = 4

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
# version 3 -> 4: the tables backup/ and validate/ used to create on first use, made by the migration
# (their own `CREATE TABLE IF NOT EXISTS` ran inside those packages before; a v3 catalog may already have them)
BACKUP_LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS backup_files (
    path TEXT PRIMARY KEY,           -- relative to the workspace
    sha256 TEXT,                     -- of the copy verified on the target
    size INTEGER,                    -- bytes of that copy
    state TEXT,                      -- pending | done | failed
    backed_up_at TEXT,
    verified_at TEXT,
    error TEXT,                      -- why the last attempt failed (the user's language)
    mtime_ns INTEGER                 -- the local file's mtime when it was verified
)
"""
FILE_MEASURES_SCHEMA = """
CREATE TABLE IF NOT EXISTS validate_files (
    path TEXT PRIMARY KEY,           -- workspace-relative path, or 'sha256:<hex>' for a content's measures
    ident TEXT NOT NULL,             -- JSON [size, mtime_ns, ctime_ns] of the file version measured
    data TEXT NOT NULL               -- JSON: facts, sha256 and each check's measures
)
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
    row: sqlite3.Row = field(repr=False, compare=False)

    def __getitem__(self, key: str):
        return self.row[key]

    @property
    def meta(self) -> dict:
        """The render's notes (boxes, marks, overlays); parsed on use: planning reads none of them."""
        return json.loads(self.row["meta"]) if self.row["meta"] else {}

    @classmethod
    def of(cls, row: sqlite3.Row) -> "OutputRecord":
        job = json.loads(row["job"]) if row["job"] else {}
        return cls(path=row["path"], platform=row["platform"], article=row["article"], role=row["role"],
                   kind=row["kind"] or row["role"], photo_id=row["photo_id"], seq=job.get("seq"),
                   colour=job.get("colour") or "", selling_point=int(job.get("point_index") or 0),
                   size=tuple(job.get("size") or (0, 0)), fmt=job.get("format") or row["path"].rsplit(".", 1)[-1],
                   fingerprint=row["fingerprint"], sha256=row["sha256"], width=row["width"], height=row["height"],
                   nbytes=row["bytes"], row=row)


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
        # neither until the next run writes them. 3 -> 4: backup_files and validate_files (see below)
        if version < 2:
            self.db.executescript(ACTIVITY_SCHEMA)
        if version < 4:  # 3 -> 4: the backup ledger and validation's file measures
            ensure_backup_ledger(self.db)
            ensure_file_measures(self.db)
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

    def slate_times(self) -> list[tuple[str, str]]:
        """(capture time as ISO text, article) of every slate shot that has a capture time (watch's grouping)."""
        return [(r["captured_at"], r["article"]) for r in self.db.execute(
            "SELECT captured_at, article FROM photos WHERE kind='slate' AND captured_at IS NOT NULL")]

    def restore_photo_marks(self, rows) -> int:
        """Put salvaged photo facts back (doctor): rows of (article, seq, sha256, kind, captured_at,
        analysis JSON, analysis_key) as `salvage_rows` reads them; a row applies only to the photo with
        the same article, number and hash. Returns how many photos took one."""
        return sum(self.db.execute("UPDATE photos SET kind=?, captured_at=?, analysis=?, analysis_key=?"
                                   " WHERE article=? AND seq=? AND sha256=?",
                                   (kind, captured, analysis, key, article, seq, sha)).rowcount
                   for article, seq, sha, kind, captured, analysis, key in rows)

    def articles(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT article FROM photos ORDER BY article")]

    # --- outputs ----------------------------------------------------------
    def output(self, path: str):
        return self.db.execute("SELECT * FROM outputs WHERE path=?", (path,)).fetchone()

    def outputs(self, article: str | None = None, platform: str | None = None,
                kind: str | tuple[str, ...] | None = None) -> list[OutputRecord]:
        """The made outputs, by platform, article and path; each filter optional (kind: a registered
        role, or a tuple of them)."""
        sql, args = "SELECT * FROM outputs WHERE 1=1", []
        for column, value in (("article", article), ("platform", platform)):
            if value:
                sql += f" AND {column}=?"
                args.append(value)
        if kind:
            kinds = (kind,) if isinstance(kind, str) else tuple(kind)
            sql += f" AND COALESCE(kind, role) IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
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

    def recorded_sha256(self, prefix: str) -> dict[str, tuple[list[int], str]]:
        """{path: (identity, sha256)} the run or a validation recorded of each file under `prefix`
        (workspace-relative, e.g. "output/tmall/A1023/"); see validate.files.identity."""
        try:
            rows = self.db.execute("SELECT path, ident, json_extract(data, '$.sha256') FROM validate_files"
                                   " WHERE path >= ? AND path < ?", (prefix, prefix + "\uffff")).fetchall()
        except sqlite3.Error:  # no such table yet: nothing recorded
            return {}
        return {path: (json.loads(ident), sha) for path, ident, sha in rows if sha}

    def record_file_facts(self, path: str, ident: str, data: str) -> None:
        """The run's record of an output it wrote, for validation (validate.files.recorded_entry):
        a `validate_files` row, in the caller's transaction."""
        self.db.execute("INSERT OR REPLACE INTO validate_files VALUES (?,?,?)", (path, ident, data))

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

    def add_soldout_rows(self, rows) -> int:
        """Add salvaged sold-out rows (article, colour, size, since) not already marked; returns how many."""
        return sum(self.db.execute("INSERT OR IGNORE INTO soldout VALUES (?, ?, ?, ?)", tuple(row)).rowcount
                   for row in rows)

    def add_listing_rows(self, rows) -> int:
        """Add salvaged listing rows (article, platform, listed_at) not already known; returns how many."""
        return sum(self.db.execute("INSERT OR IGNORE INTO listings VALUES (?, ?, ?)", tuple(row)).rowcount
                   for row in rows)

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


# --- what a damaged catalog still holds (doctor) ------------------------------------
SALVAGE_QUERIES = {
    "photos": "SELECT article, seq, sha256, kind, captured_at, analysis, analysis_key FROM photos",
    "soldout": "SELECT article, colour, size, since FROM soldout",
    "listings": "SELECT article, platform, listed_at FROM listings",
    "activity": f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM activity ORDER BY id",
}


def salvage_rows(path: Path) -> dict[str, list[tuple]]:
    """Whatever rows of each table a damaged catalog file still gives, read-only.

    {table: [row tuples in SALVAGE_QUERIES' column order]}; a table that fails part-way keeps the rows
    read before the damage; {} when the file is missing or cannot be opened. Never writes to `path`.
    """
    found: dict[str, list[tuple]] = {}
    if not path.exists():
        return found
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return found
    try:
        for table, query in SALVAGE_QUERIES.items():
            rows = []
            try:
                for row in db.execute(query):
                    rows.append(tuple(row))
            except sqlite3.Error:  # damaged past this point: keep the rows read so far
                pass
            found[table] = rows
    finally:
        db.close()
    return found


def photo_count(conn: sqlite3.Connection) -> int:
    """How many photos (originals, references, slates) the catalog on `conn` knows."""
    return conn.execute("SELECT COUNT(*) FROM photos").fetchone()[0]


# --- the backup ledger (imgpipe.backup): which workspace files are safe on the target -------------
# Functions of a connection, not of Catalog: backup also runs on a connection opened on a restored
# copy or on a bare catalog file. None of them commits; the caller does (backup commits every
# COMMIT_EVERY rows). `rel` is a workspace-relative POSIX path.
def ensure_backup_ledger(conn: sqlite3.Connection) -> None:
    """Make `backup_files` (and its mtime_ns column, added after the first release) when missing.

    Part of the 3 -> 4 migration; backup calls it too for a connection not opened through Catalog.
    """
    conn.execute(BACKUP_LEDGER_SCHEMA)
    cols = {row[1] for row in conn.execute("PRAGMA table_info(backup_files)")}
    if "mtime_ns" not in cols:
        conn.execute("ALTER TABLE backup_files ADD COLUMN mtime_ns INTEGER")


def backup_entry(conn: sqlite3.Connection, rel: str) -> tuple | None:
    """(sha256, size in bytes, state, mtime_ns) recorded for `rel`; None when it was never queued."""
    row = conn.execute("SELECT sha256, size, state, mtime_ns FROM backup_files WHERE path = ?", (rel,)).fetchone()
    return tuple(row) if row is not None else None


def backup_add_pending(conn: sqlite3.Connection, rel: str) -> None:
    """Queue a file the ledger does not know yet (state pending, nothing recorded)."""
    conn.execute("INSERT INTO backup_files(path, state) VALUES (?, 'pending')", (rel,))


def backup_set_mtime(conn: sqlite3.Connection, rel: str, mtime_ns: int) -> None:
    """Record a new local mtime (ns) for a file whose bytes still match the verified copy."""
    conn.execute("UPDATE backup_files SET mtime_ns = ? WHERE path = ?", (mtime_ns, rel))


def backup_requeue(conn: sqlite3.Connection, rel: str) -> None:
    """Send `rel` again: state pending, last error cleared (its recorded hash stays until re-sent)."""
    conn.execute("UPDATE backup_files SET state = 'pending', error = NULL WHERE path = ?", (rel,))


def backup_unsent(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
    """[(rel, sha256 recorded or None)] of every file not safe on the target yet (pending or failed), by path."""
    return [tuple(r) for r in conn.execute(
        "SELECT path, sha256 FROM backup_files WHERE state != 'done' ORDER BY path")]


def backup_unsent_count(conn: sqlite3.Connection) -> int:
    """How many files are not safe on the target yet (pending or failed)."""
    return conn.execute("SELECT COUNT(*) FROM backup_files WHERE state != 'done'").fetchone()[0]


def backup_pending_count(conn: sqlite3.Connection) -> int:
    """How many files wait to be sent (state pending; failed ones not counted)."""
    return conn.execute("SELECT COUNT(*) FROM backup_files WHERE state = 'pending'").fetchone()[0]


def backup_any_done(conn: sqlite3.Connection) -> bool:
    """True once any file was verified on a target (a first backup creates the target folder)."""
    return conn.execute("SELECT 1 FROM backup_files WHERE state = 'done' LIMIT 1").fetchone() is not None


def backup_set_error(conn: sqlite3.Connection, rel: str, error: str | None) -> None:
    """Note why `rel`'s last attempt did not finish, leaving its state as it is."""
    conn.execute("UPDATE backup_files SET error = ? WHERE path = ?", (error, rel))


def backup_mark(conn: sqlite3.Connection, rel: str, state: str, *, error: str | None = None) -> None:
    """Set `rel`'s state (pending | done | failed) and error text."""
    conn.execute("UPDATE backup_files SET state = ?, error = ? WHERE path = ?", (state, error, rel))


def backup_mark_done(conn: sqlite3.Connection, rel: str, sha: str, size: int, mtime_ns: int, at: str) -> None:
    """`rel` verified on the target: its sha256, size (bytes), local mtime (ns), sent and verified at `at` (ISO)."""
    conn.execute(
        "UPDATE backup_files SET state = 'done', sha256 = ?, size = ?, mtime_ns = ?,"
        " backed_up_at = ?, verified_at = ?, error = NULL WHERE path = ?",
        (sha, size, mtime_ns, at, at, rel),
    )


def backup_mark_intact(conn: sqlite3.Connection, rel: str) -> None:
    """`rel` is gone locally but its recorded copy is intact on the target: done again, error cleared."""
    conn.execute("UPDATE backup_files SET state = 'done', error = NULL WHERE path = ?", (rel,))


def backup_forget(conn: sqlite3.Connection, rel: str) -> None:
    """Drop `rel` from the ledger (it left the workspace before it was ever sent)."""
    conn.execute("DELETE FROM backup_files WHERE path = ?", (rel,))


def backup_done_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    """{rel: sha256} of every file verified on the target, in path order (the manifest, `verify`)."""
    return dict(conn.execute("SELECT path, sha256 FROM backup_files WHERE state = 'done' ORDER BY path"))


def backup_recorded_hashes(conn: sqlite3.Connection) -> dict[str, str]:
    """{rel: sha256} of every file with a recorded hash, whatever its state (what restore checks against)."""
    return dict(conn.execute("SELECT path, sha256 FROM backup_files WHERE sha256 IS NOT NULL"))


def backup_set_verified(conn: sqlite3.Connection, rels, at: str) -> None:
    """Stamp each of `rels` as verified on the target at `at` (ISO time)."""
    conn.executemany("UPDATE backup_files SET verified_at = ? WHERE path = ?", [(at, rel) for rel in rels])


def backup_ledger(conn: sqlite3.Connection) -> dict[str, dict]:
    """{rel: {path, sha256, size, state, backed_up_at, verified_at, error, mtime_ns}} of every file in
    the ledger (validate's backup check); {} when no backup ever ran on this catalog."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='backup_files'").fetchone():
        return {}
    cur = conn.execute("SELECT * FROM backup_files")
    names = [d[0] for d in cur.description]
    return {row[0]: dict(zip(names, row)) for row in cur}


# --- validation's file measures (imgpipe.validate.files.MeasureStore) -----------------------------
def ensure_file_measures(conn: sqlite3.Connection) -> None:
    """Make `validate_files` when missing (part of the 3 -> 4 migration; the store makes it on a bare connection)."""
    conn.execute(FILE_MEASURES_SCHEMA)


def file_measures(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """[(path, ident JSON, data JSON)] of every cached file measure. Raises sqlite3.Error when the
    table is missing or unreadable (the store then measures again)."""
    return [tuple(r) for r in conn.execute("SELECT path, ident, data FROM validate_files")]


def save_file_measures(conn: sqlite3.Connection, rows, gone) -> None:
    """Write changed measures and drop those of files gone, in one transaction.

    rows: (path, ident JSON, data JSON); gone: paths. Makes the table when missing. Raises
    sqlite3.Error (busy, read-only) after rolling back; nothing is half-written.
    """
    ensure_file_measures(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO validate_files VALUES (?,?,?)", rows)
        conn.executemany("DELETE FROM validate_files WHERE path=?", [(rel,) for rel in gone])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class _Transaction:
    def __init__(self, db):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type, *_):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
