"""The catalog owns the SQL: its migrations (3 -> 4: the backup ledger and validation's measures) and
a check that no other module of the package writes SQL."""

from __future__ import annotations

import ast
import re
import sqlite3
from pathlib import Path

import imgpipe
from imgpipe import catalog
from imgpipe.catalog import SCHEMA, SCHEMA_VERSION, Catalog

PACKAGE = Path(imgpipe.__file__).parent
SQL_METHODS = {"execute", "executemany", "executescript"}
SQL_TEXT = re.compile(
    r"\b(SELECT\s.+?\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|"
    r"CREATE\s+(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX)|PRAGMA\s+\w+|"
    r"BEGIN\s+(IMMEDIATE|EXCLUSIVE|DEFERRED|TRANSACTION)|ROLLBACK|COMMIT)\b", re.S)


def _version(db) -> int:
    return int(db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])


def _columns(db, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def _v3_catalog(path: Path, ledger: str | None) -> None:
    """A catalog as version 3 wrote it; `ledger`: the backup_files table backup/ made on first use, if any."""
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)
    old.executescript(catalog.ACTIVITY_SCHEMA)
    old.execute("INSERT INTO meta VALUES ('schema_version', '3')")
    if ledger:
        old.execute(ledger)
        old.execute("INSERT INTO backup_files (path, sha256, size, state)"
                    " VALUES ('originals/鞋/A1/A1-01.jpg', 'ab', 3, 'done')")
    old.commit()
    old.close()


def test_a_version_3_catalog_with_an_old_backup_ledger_upgrades_and_keeps_it(tmp_path):
    path = tmp_path / "catalog.sqlite"
    # the ledger of the first releases: no mtime_ns column yet
    _v3_catalog(path, "CREATE TABLE backup_files(path TEXT PRIMARY KEY, sha256 TEXT, size INTEGER, state TEXT,"
                      " backed_up_at TEXT, verified_at TEXT, error TEXT)")
    cat = Catalog(path)
    assert SCHEMA_VERSION == 4 and _version(cat.db) == SCHEMA_VERSION
    assert "mtime_ns" in _columns(cat.db, "backup_files")
    assert _columns(cat.db, "validate_files") == {"path", "ident", "data"}
    assert catalog.backup_done_hashes(cat.db) == {"originals/鞋/A1/A1-01.jpg": "ab"}
    assert catalog.backup_entry(cat.db, "originals/鞋/A1/A1-01.jpg") == ("ab", 3, "done", None)
    cat.close()
    again = Catalog(path)  # opening a current catalog again changes nothing
    assert _version(again.db) == SCHEMA_VERSION and catalog.backup_unsent_count(again.db) == 0
    again.close()


def test_a_version_3_catalog_without_a_ledger_gains_both_tables(tmp_path):
    path = tmp_path / "catalog.sqlite"
    _v3_catalog(path, None)
    cat = Catalog(path)
    assert _version(cat.db) == SCHEMA_VERSION
    assert catalog.backup_ledger(cat.db) == {} and catalog.file_measures(cat.db) == []
    catalog.backup_add_pending(cat.db, "output/jd/A1/main/A1-01.jpg")
    assert catalog.backup_unsent(cat.db) == [("output/jd/A1/main/A1-01.jpg", None)]
    assert catalog.backup_ledger(cat.db)["output/jd/A1/main/A1-01.jpg"]["state"] == "pending"
    catalog.save_file_measures(cat.db, [("sha256:ab", "[]", "{}")], [])
    assert catalog.file_measures(cat.db) == [("sha256:ab", "[]", "{}")]
    cat.close()


def test_the_ledger_is_made_on_a_bare_connection(tmp_path):
    """backup also runs on a connection not opened through Catalog (a restored copy, a bare file)."""
    conn = sqlite3.connect(tmp_path / "bare.sqlite")
    catalog.ensure_backup_ledger(conn)
    catalog.ensure_backup_ledger(conn)  # idempotent
    assert "mtime_ns" in _columns(conn, "backup_files") and not catalog.backup_any_done(conn)
    conn.close()


def sql_outside_catalog(package: Path = PACKAGE) -> list[str]:
    """`file:line what` of every SQL call (execute/executemany/executescript) and every string literal
    that reads as SQL in the package, catalog.py left out."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package.parent).as_posix()
        if rel == "imgpipe/catalog.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in SQL_METHODS):
                found.append(f"{rel}:{node.lineno} .{node.func.attr}(")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                m = SQL_TEXT.search(node.value)
                if m:
                    found.append(f"{rel}:{node.lineno} {m.group(0)[:40]!r}")
    return found


def test_sql_lives_in_catalog_py_only():
    assert sql_outside_catalog() == []


def test_the_sql_check_finds_a_query(tmp_path):
    pkg = tmp_path / "imgpipe"
    pkg.mkdir()
    (pkg / "catalog.py").write_text('db.execute("SELECT * FROM photos")\n')
    (pkg / "x.py").write_text('rows = db.execute(\n    "SELECT path FROM outputs WHERE 1")\nq = f"DELETE FROM {t}"\n'
                              'msg = "select a photo from the list"\n')
    assert sql_outside_catalog(pkg) == ["imgpipe/x.py:1 .execute(", "imgpipe/x.py:2 'SELECT path FROM'",
                                        "imgpipe/x.py:3 'DELETE FROM'"]
