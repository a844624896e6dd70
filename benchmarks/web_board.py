"""The workbench's start page with a large catalogue: `python benchmarks/web_board.py [--articles 500] [--from SHOP]`.

Builds a workspace of N articles from a processed demo shop (`imgpipe init X
--demo && imgpipe -w X run`, given with --from, or made here): the sheet
(.xlsx, as shops keep it) gets N rows copied from the demo's four, the
catalog gets each demo article's photos, outputs and pages under the new
article numbers (the files are links to the demo's, so every output the
board stats exists). Then it times GET / through the app (first request,
then the median of 5) and prints one table. Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(src: Path, dest: Path, n: int) -> None:
    import openpyxl

    shutil.copytree(src, dest, symlinks=True)
    book = openpyxl.load_workbook(dest / "products.xlsx")
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True) if r[0]]
    demo = [r[0] for r in rows]
    db_path = dest / ".imgpipe" / "catalog.sqlite"
    import sqlite3

    db = sqlite3.connect(db_path)
    for i in range(n - len(rows)):
        base = rows[i % len(rows)]
        article = f"{base[0]}-{i:04d}"
        sheet.append([article, *base[1:]])
        for table, cols in (("photos", None), ("outputs", None), ("pages", None)):
            names = [c[1] for c in db.execute(f"PRAGMA table_info({table})")]
            select = ", ".join("?" if c == "article" else ("NULL" if c == "id" else c) for c in names)
            if table == "outputs":
                select = select.replace("path", "replace(path, '/' || article || '/', '/' || ? || '/')", 1)
                args = (article, article, base[0])
            else:
                args = (article, base[0])
            if table == "photos":
                select = select.replace("sha256", "sha256 || ?", 1)
                args = (article, article, base[0])
            db.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} FROM {table} WHERE article=?", args)
        for platform_dir in (dest / "output").iterdir():
            (platform_dir / article).symlink_to(platform_dir / base[0])
    db.commit()
    db.close()
    book.save(dest / "products.xlsx")
    print(f"workspace: {n} articles ({len(demo)} demo articles copied)", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--from", dest="src", type=Path, default=None, help="a processed demo shop")
    args = ap.parse_args()
    from starlette.testclient import TestClient

    from imgpipe.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        src = args.src
        if src is None:
            src = Path(tmp) / "demo"
            subprocess.run([sys.executable, "-m", "imgpipe", "init", str(src), "--demo"], check=True)
            subprocess.run([sys.executable, "-m", "imgpipe", "-w", str(src), "run", "--no-backup"], check=True)
        big = Path(tmp) / "big"
        build(src, big, args.articles)
        client = TestClient(create_app(big), client=("127.0.0.1", 1), base_url="http://127.0.0.1")
        started = time.perf_counter()
        first = client.get("/")
        first_s = time.perf_counter() - started
        assert first.status_code == 200 and first.text.count("<tr class=") == args.articles, first.status_code
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get("/")
            times.append(time.perf_counter() - started)
        article = client.get("/a/A1023")
        started = time.perf_counter()
        client.get("/a/A1023")
        art_s = time.perf_counter() - started
        assert article.status_code == 200
    print(f"start page, {args.articles} articles   first {first_s * 1000:6.0f} ms   median of 5 "
          f"{statistics.median(times) * 1000:6.0f} ms\narticle page (A1023)            {art_s * 1000:6.0f} ms")


if __name__ == "__main__":
    main()
