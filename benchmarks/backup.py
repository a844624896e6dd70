"""Backup throughput: ~200 MB of photo-sized files to a folder and over SFTP.

    python benchmarks/backup.py [--mb 200] [--file-mb 5]

The SFTP target is a real OpenSSH server started on 127.0.0.1 (tests/sshd_fixture.py),
so the figure includes encryption, the SFTP protocol and the read-back that
verifies every file; it does not include a real network. Figures are MB/s of
file bytes (1 MB = 10^6 bytes), each copy verified by re-reading it on the target.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from imgpipe.backup import backup_workspace, open_target, restore, verify  # noqa: E402
from imgpipe.settings import BackupSettings  # noqa: E402


def make_files(ws: Path, total_mb: int, file_mb: float) -> int:
    # Random bytes: incompressible, like JPEG data, so SSH compression could not flatter the figure.
    n = max(1, round(total_mb / file_mb))
    size = int(file_mb * 1e6)
    for i in range(n):
        half = "originals/鞋" if i % 2 == 0 else "output/tmall"
        p = ws / half / f"A{i // 4:04d}" / f"A{i // 4:04d}-{i % 4 + 1:02d}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(os.urandom(size))
    (ws / ".imgpipe").mkdir(exist_ok=True)
    return n * size


def run(label: str, ws: Path, settings: BackupSettings, total: int, restore_to: Path) -> None:
    conn = sqlite3.connect(ws / ".imgpipe" / f"catalog-{label}.sqlite")
    t0 = time.perf_counter()
    res = backup_workspace(conn, ws, settings)
    first = time.perf_counter() - t0
    assert res.pending == 0 and res.bytes == total, res
    t0 = time.perf_counter()
    again = backup_workspace(conn, ws, settings)
    incremental = time.perf_counter() - t0
    assert again.sent == 0
    with open_target(settings, ws) as target:
        t0 = time.perf_counter()
        report = verify(conn, ws, target)
        verify_s = time.perf_counter() - t0
        assert report.clean
        t0 = time.perf_counter()
        got = restore(None, target, restore_to)
        restore_s = time.perf_counter() - t0
        assert len(got) == res.sent
    mb = total / 1e6
    print(
        f"{label:7s} backup+verify {mb / first:7.1f} MB/s ({mb:.0f} MB in {first:.2f} s, {res.sent} files) | "
        f"no-change run {incremental:.2f} s | verify {mb / verify_s:7.1f} MB/s | restore {mb / restore_s:7.1f} MB/s"
    )
    conn.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--file-mb", type=float, default=5.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="imgpipe-bench-") as tmp:
        tmp = Path(tmp)
        ws = tmp / "shop"
        ws.mkdir()
        total = make_files(ws, args.mb, args.file_mb)
        (tmp / "nas").mkdir()
        run("folder", ws, BackupSettings(target=str(tmp / "nas" / "shop")), total, tmp / "restored-folder")

        from sshd_fixture import run_sshd, sshd_available

        why = sshd_available()
        if why:
            print("sftp    skipped:", why)
            return
        base = tmp / "sshd"
        base.mkdir()
        with run_sshd(base) as server:
            settings = BackupSettings(target=server.url(server.home / "shop"), key_file=str(server.key_file))
            run("sftp", ws, settings, total, tmp / "restored-sftp")


if __name__ == "__main__":
    main()
