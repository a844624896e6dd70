"""Backups (R9): verified, incremental, versioned; folder and real-SFTP targets."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
from pathlib import Path, PureWindowsPath

import numpy as np
import pytest
from PIL import Image

from imgpipe.backup import (
    MANIFEST,
    VERSIONS,
    FolderTarget,
    SftpTarget,
    TargetUnavailable,
    backup_workspace,
    list_versions,
    open_target,
    queue,
    restore,
    restore_version,
    safe_rel,
    verify,
    workspace_files,
)
from imgpipe.errors import ImgpipeError
from imgpipe.settings import BackupSettings

from sshd_fixture import sshd_server  # noqa: F401  (pytest fixture)


def _jpeg(seed: int, size=(320, 240)) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, "RGB").save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_workspace(root: Path) -> dict[str, bytes]:
    """A small shop: originals of two articles, platform outputs, and things that must not be sent."""
    files = {
        "originals/鞋/A1023/A1023-01.jpg": _jpeg(1),
        "originals/鞋/A1023/A1023-02.jpg": _jpeg(2),
        "originals/包/B77/B77-01.jpg": _jpeg(3),
        "output/tmall/A1023/main/A1023-01.jpg": _jpeg(4, (200, 200)),
        "output/tmall/A1023/detail/A1023-01.jpg": _jpeg(5, (200, 300)),
        "output/jd/B77/B77-01.jpg": _jpeg(6, (200, 200)),
    }
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    (root / "imgpipe.toml").write_text("")
    (root / ".imgpipe").mkdir(exist_ok=True)
    # A temp file a killed run left behind: never backed up.
    (root / "output/jd/B77/.B77-02.jpg.x1y2.tmp").write_bytes(b"half")
    return files


@pytest.fixture
def shop(tmp_path):
    ws = tmp_path / "shop"
    ws.mkdir()
    files = make_workspace(ws)
    conn = sqlite3.connect(ws / ".imgpipe" / "catalog.sqlite")
    yield ws, conn, files
    conn.close()


def _states(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT path, state FROM backup_files"))


# --------------------------------------------------------------------------- folder target


def test_folder_backup_is_verified_by_hash(shop, tmp_path):
    ws, conn, files = shop
    # The first backup makes the target folder, but only inside a folder that exists
    # (a missing parent is a disk or share that is not there).
    far = tmp_path / "not-mounted" / "shop"
    res = backup_workspace(conn, ws, BackupSettings(target=str(far)))
    assert res.sent == 0 and res.pending == len(files) and not far.parent.exists()
    (tmp_path / "nas").mkdir()
    dest = tmp_path / "nas" / "shop"
    res = backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    assert (res.sent, res.failed, res.pending) == (len(files), 0, 0), res
    assert res.bytes == sum(len(b) for b in files.values())
    assert res.message == ""
    for rel, data in files.items():
        assert _sha((dest / rel).read_bytes()) == _sha(data)
    rows = dict(conn.execute("SELECT path, sha256 FROM backup_files WHERE state = 'done'"))
    assert rows == {rel: _sha(data) for rel, data in files.items()}
    # Temp files and internal state stay home.
    assert not any(p.name.endswith(".tmp") for p in dest.rglob("*"))
    assert not (dest / ".imgpipe").exists()
    assert (dest / MANIFEST).is_file()
    assert json.loads(json.dumps(res.as_dict()))["sent"] == len(files)


def test_second_backup_sends_nothing(shop, tmp_path):
    ws, conn, files = shop
    settings = BackupSettings(target=str(tmp_path / "nas"))
    backup_workspace(conn, ws, settings)
    again = backup_workspace(conn, ws, settings)
    assert (again.sent, again.skipped, again.pending, again.bytes) == (0, 0, 0, 0)
    # Same bytes, new mtime (e.g. a re-render that came out identical): re-hashed, not re-sent.
    p = ws / "originals/鞋/A1023/A1023-01.jpg"
    os.utime(p, ns=(p.stat().st_atime_ns, p.stat().st_mtime_ns + 5_000_000_000))
    assert queue(conn, ws, workspace_files(ws)) == 0
    assert backup_workspace(conn, ws, settings).sent == 0


def test_changed_file_is_sent_alone_and_old_copy_kept(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    settings = BackupSettings(target=str(dest))
    backup_workspace(conn, ws, settings)
    rel = "output/tmall/A1023/main/A1023-01.jpg"
    overlay = _jpeg(99, (200, 200))  # e.g. the sold-out version, same file name
    (ws / rel).write_bytes(overlay)
    res = backup_workspace(conn, ws, settings)
    assert (res.sent, res.pending) == (1, 0)
    assert res.bytes == len(overlay)
    assert (dest / rel).read_bytes() == overlay
    kept = list((dest / VERSIONS).rglob("A1023-01.jpg.*"))
    assert len(kept) == 1 and kept[0].read_bytes() == files[rel]
    assert kept[0].parent == dest / VERSIONS / "output/tmall/A1023/main"
    # A mistaken overlay can be undone from the backup alone.
    with FolderTarget(dest) as target:
        stamps = list_versions(target, rel)
        assert len(stamps) == 1
        back = restore_version(target, rel, stamps[0], tmp_path / "undo.jpg")
        assert back.read_bytes() == files[rel]
        with pytest.raises(ImgpipeError):
            restore_version(target, rel, "20000101T000000Z", tmp_path / "nope.jpg")
    # Nothing in the workspace was removed.
    assert sorted(workspace_files(ws)) == sorted(files)


def test_verify_finds_corrupted_and_missing_copies(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    settings = BackupSettings(target=str(dest))
    backup_workspace(conn, ws, settings)
    bad, gone = "originals/鞋/A1023/A1023-02.jpg", "output/jd/B77/B77-01.jpg"
    data = bytearray((dest / bad).read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit, same size
    (dest / bad).write_bytes(bytes(data))
    (dest / gone).unlink()
    with FolderTarget(dest) as target:
        report = verify(conn, ws, target)
    assert report.changed == [bad] and report.missing == [gone]
    assert report.ok == len(files) - 2
    assert _states(conn)[bad] == "pending" and _states(conn)[gone] == "pending"
    res = backup_workspace(conn, ws, settings)
    assert (res.sent, res.pending) == (2, 0)
    assert (dest / bad).read_bytes() == files[bad]
    # The damaged copy is kept aside, not silently destroyed.
    assert [p.read_bytes() for p in (dest / VERSIONS).rglob("A1023-02.jpg.*")] == [bytes(data)]
    with FolderTarget(dest) as target:
        assert verify(conn, ws, target).clean


def test_restore_rebuilds_a_deleted_workspace_exactly(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    # Also a replaced file, so .versions/ exists and must not come back.
    (ws / "output/jd/B77/B77-01.jpg").write_bytes(b"newer")
    files["output/jd/B77/B77-01.jpg"] = b"newer"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    conn.close()
    shutil.rmtree(ws)  # the disk died: catalog gone too

    new = tmp_path / "rebuilt"
    with FolderTarget(dest) as target:
        got = restore(None, target, new)
    assert sorted(p.relative_to(new).as_posix() for p in got) == sorted(files)
    for rel, data in files.items():
        assert (new / rel).read_bytes() == data
    assert not (new / VERSIONS).exists() and not (new / MANIFEST).exists()

    # One article only, into an empty folder.
    only = tmp_path / "only"
    with FolderTarget(dest) as target:
        got = restore(None, target, only, ["B77"])
        assert sorted(p.relative_to(only).as_posix() for p in got) == [
            "originals/包/B77/B77-01.jpg", "output/jd/B77/B77-01.jpg"]
        with pytest.raises(ImgpipeError) as err:
            restore(None, target, only, ["Z999"])
        assert "A1023" in str(err.value) and "B77" in str(err.value)


def test_restore_refuses_damaged_copies(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    rel = "originals/包/B77/B77-01.jpg"
    data = bytearray((dest / rel).read_bytes())
    data[100] ^= 0xFF
    (dest / rel).write_bytes(bytes(data))
    new = tmp_path / "rebuilt"
    with FolderTarget(dest) as target, pytest.raises(ImgpipeError) as err:
        restore(None, target, new)  # no catalog: the manifest on the target is the record
    assert rel in str(err.value)
    assert not (new / rel).exists()
    assert not list(new.rglob("*.tmp"))
    assert (new / "originals/鞋/A1023/A1023-01.jpg").read_bytes() == files["originals/鞋/A1023/A1023-01.jpg"]


def test_existing_different_file_is_not_overwritten_by_restore(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    rel = "originals/鞋/A1023/A1023-01.jpg"
    (ws / rel).write_bytes(b"local edit")
    with FolderTarget(dest) as target:
        got = restore(conn, target, ws)
    assert ws / rel in got.kept and (ws / rel).read_bytes() == b"local edit"
    assert len(got) == len(files) - 1


def test_unreachable_target_queues_then_completes(shop, tmp_path):
    ws, conn, files = shop
    blocker = tmp_path / "nas"
    blocker.write_text("not a folder")  # the share is 'not mounted'
    settings = BackupSettings(target=str(blocker / "shop"))
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file() and "catalog" not in p.name}
    res = backup_workspace(conn, ws, settings)  # must not raise
    assert (res.sent, res.pending) == (0, len(files))
    assert res.message and str(blocker / "shop") in res.message
    assert set(_states(conn).values()) == {"pending"}
    assert {p: p.read_bytes() for p in before} == before  # workspace untouched

    blocker.unlink()
    blocker.mkdir()  # 'mounted' now
    res = backup_workspace(conn, ws, settings)
    assert (res.sent, res.pending, res.message) == (len(files), 0, "")


def test_later_missing_folder_is_not_recreated(shop, tmp_path):
    ws, conn, files = shop
    (tmp_path / "mnt").mkdir()
    dest = tmp_path / "mnt" / "nas"
    settings = BackupSettings(target=str(dest))
    backup_workspace(conn, ws, settings)
    shutil.rmtree(dest)  # like an unmounted share: writing there would fill the local disk
    (ws / "originals/鞋/A1023/A1023-03.jpg").write_bytes(_jpeg(7))
    res = backup_workspace(conn, ws, settings)
    assert res.pending == 1 and res.sent == 0 and res.message
    assert not dest.exists()


def test_target_failing_midway_keeps_the_rest_queued(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    dest.mkdir()
    (dest / "output").write_text("in the way")  # every output write fails
    res = backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    originals = [r for r in files if r.startswith("originals/")]
    assert res.sent == len(originals)
    assert res.pending == len(files) - len(originals)
    assert res.message
    (dest / "output").unlink()
    res = backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    assert (res.sent, res.pending) == (len(files) - len(originals), 0)


def test_no_target_reports_unsafe_files(shop):
    ws, conn, files = shop
    res = backup_workspace(conn, ws, BackupSettings(target=""))
    assert res.pending == len(files) and str(len(files)) in res.message


def test_target_inside_workspace_is_refused(shop):
    ws, conn, files = shop
    for target in (str(ws / "backup"), "backup", str(ws), str(ws / "output" / "..")):
        with pytest.raises(ImgpipeError) as err:
            backup_workspace(conn, ws, BackupSettings(target=target))
        assert not isinstance(err.value, TargetUnavailable)
    assert not (ws / "backup").exists()


def test_windows_paths_do_not_break(shop, tmp_path):
    ws, conn, files = shop
    assert PureWindowsPath(r"\\nas\share\shop").is_absolute()
    if os.name != "nt":
        # Written on a Windows PC, read here: unreachable (queued), not "inside the workspace".
        for target in (r"\\nas\share\shop", "D:/备份/shop"):
            res = backup_workspace(conn, ws, BackupSettings(target=target))
            assert res.pending == len(files) and res.message
        # POSIX keeps a leading // as an absolute path: a missing share, also just queued.
        res = backup_workspace(conn, ws, BackupSettings(target="//nas-that-is-not-here/share"))
        assert res.pending == len(files) and res.message


@pytest.mark.parametrize(
    "rel",
    ["../evil.jpg", "originals/../../evil.jpg", "/etc/passwd", "C:/evil.jpg", "c:evil.jpg",
     r"originals\..\..\evil.jpg", "originals//x.jpg", "originals/./x.jpg", "", "a\x00b"],
)
def test_hostile_paths_are_refused(rel):
    with pytest.raises(ImgpipeError):
        safe_rel(rel)


class HostileTarget(FolderTarget):
    """A tampered backup whose listing tries to climb out of the restore folder."""

    def list_files(self):
        files = super().list_files()
        files["originals/x/A1/../../../../evil.txt"] = 4
        return files


def test_restore_from_hostile_listing_writes_nothing(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    new = tmp_path / "deep" / "rebuilt"
    with HostileTarget(dest) as target, pytest.raises(ImgpipeError):
        restore(None, target, new)
    assert not new.exists()
    assert not (tmp_path / "evil.txt").exists()


def test_restore_does_not_follow_a_symlink_out_of_dest(shop, tmp_path):
    ws, conn, files = shop
    dest = tmp_path / "nas"
    backup_workspace(conn, ws, BackupSettings(target=str(dest)))
    new, elsewhere = tmp_path / "rebuilt", tmp_path / "elsewhere"
    new.mkdir()
    elsewhere.mkdir()
    (new / "originals").symlink_to(elsewhere, target_is_directory=True)
    with FolderTarget(dest) as target, pytest.raises(ImgpipeError):
        restore(None, target, new)
    assert not any(elsewhere.iterdir())


# --------------------------------------------------------------------------- SFTP (real OpenSSH)


def _sftp_settings(server, root: Path) -> BackupSettings:
    return BackupSettings(target=server.url(root), key_file=str(server.key_file))


def test_sftp_backup_verify_restore(shop, tmp_path, sshd_server):
    ws, conn, files = shop
    remote = sshd_server.home / "shop-a"
    settings = _sftp_settings(sshd_server, remote)
    res = backup_workspace(conn, ws, settings)
    assert (res.sent, res.failed, res.pending, res.message) == (len(files), 0, 0, ""), res
    for rel, data in files.items():
        assert (remote / rel).read_bytes() == data  # the server wrote exactly these bytes
    assert not list(remote.rglob("*.tmp"))
    assert (ws / ".imgpipe" / "known_hosts").read_text().startswith(f"[127.0.0.1]:{sshd_server.port} ")
    # The settings hold no secret; the key path is not echoed into results.
    assert str(sshd_server.key_file) not in repr(res)

    assert backup_workspace(conn, ws, settings).sent == 0  # incremental

    rel = "output/tmall/A1023/main/A1023-01.jpg"
    (ws / rel).write_bytes(b"overlay v2")
    res = backup_workspace(conn, ws, settings)
    assert (res.sent, res.pending) == (1, 0)
    assert [p.read_bytes() for p in (remote / VERSIONS).rglob("A1023-01.jpg.*")] == [files[rel]]

    (remote / "originals/包/B77/B77-01.jpg").write_bytes(b"bit rot")
    with open_target(settings, ws) as target:
        report = verify(conn, ws, target)
        assert report.changed == ["originals/包/B77/B77-01.jpg"] and not report.missing
    assert backup_workspace(conn, ws, settings).sent == 1

    new = tmp_path / "rebuilt"
    with open_target(settings, ws) as target:
        got = restore(None, target, new)
        stamps = list_versions(target, rel)
        restore_version(target, rel, stamps[0], tmp_path / "undo.jpg")
    files[rel] = b"overlay v2"
    assert len(got) == len(files)
    for r, data in files.items():
        assert (new / r).read_bytes() == data
    assert (tmp_path / "undo.jpg").read_bytes() == _jpeg(4, (200, 200))


def test_sftp_hash_on_server_and_by_reading_back_agree(shop, sshd_server):
    ws, conn, files = shop
    remote = sshd_server.home / "shop-d"
    remote.mkdir()
    (remote / "a b'$(touch x).jpg").write_bytes(b"quoted name")  # shell quoting must hold
    (remote / "big.bin").write_bytes(os.urandom(3_000_000))
    args = ("127.0.0.1", sshd_server.user, sshd_server.port, str(remote), sshd_server.key_file)
    kh = ws / ".imgpipe" / "known_hosts"
    with SftpTarget(*args, known_hosts=kh, remote_hash_min_bytes=0) as on_server, SftpTarget(*args, known_hosts=kh, remote_hash=False) as read_back:
        for rel in ("a b'$(touch x).jpg", "big.bin", "missing.jpg"):
            want = _sha((remote / rel).read_bytes()) if (remote / rel).exists() else None
            assert on_server.sha256(rel) == read_back.sha256(rel) == want
        assert on_server._remote_hash_ok is True  # the server-side path really ran
    assert not (remote / "x").exists() and not Path("x").exists()


def test_sftp_host_down_queues_then_completes(shop, tmp_path, sshd_server):
    ws, conn, files = shop
    remote = sshd_server.home / "shop-b"
    down = BackupSettings(target=f"sftp://{sshd_server.user}@127.0.0.1:1/{remote}", key_file=str(sshd_server.key_file))
    res = backup_workspace(conn, ws, down)
    assert (res.sent, res.pending) == (0, len(files)) and res.message
    res = backup_workspace(conn, ws, _sftp_settings(sshd_server, remote))
    assert (res.sent, res.pending) == (len(files), 0)


def test_sftp_refuses_wrong_key_and_changed_host_key(shop, tmp_path, sshd_server, monkeypatch):
    ws, conn, files = shop
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    remote = sshd_server.home / "shop-c"
    import subprocess

    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    with pytest.raises(ImgpipeError) as err:
        backup_workspace(conn, ws, BackupSettings(target=sshd_server.url(remote), key_file=str(other)))
    assert not isinstance(err.value, TargetUnavailable)
    assert "PRIVATE KEY" not in str(err.value)
    # Not a key at all (e.g. the .pub named by mistake): a setting to fix, not a host that is down.
    with pytest.raises(ImgpipeError) as err:
        backup_workspace(conn, ws, BackupSettings(target=sshd_server.url(remote), key_file=str(other) + ".pub"))
    assert not isinstance(err.value, TargetUnavailable)
    assert "backup.key_file" in str(err.value)
    # A key with a passphrase and no agent holding it: say so, and how to fix it.
    locked = tmp_path / "locked_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret-pass", "-f", str(locked)], check=True)
    with pytest.raises(ImgpipeError) as err:
        backup_workspace(conn, ws, BackupSettings(target=sshd_server.url(remote), key_file=str(locked)))
    assert "ssh-add" in str(err.value) and "s3cret-pass" not in str(err.value)

    # An impostor: known_hosts already holds a different key for this host.
    fake = Path(str(other) + ".pub").read_text().split()[:2]
    (ws / ".imgpipe" / "known_hosts").write_text(f"[127.0.0.1]:{sshd_server.port} {fake[0]} {fake[1]}\n")
    with pytest.raises(ImgpipeError) as err:
        backup_workspace(conn, ws, _sftp_settings(sshd_server, remote))
    assert "127.0.0.1" in str(err.value)
    assert not remote.exists()


def test_sftp_url_with_password_is_refused(shop):
    ws, conn, files = shop
    with pytest.raises(ImgpipeError) as err:
        backup_workspace(conn, ws, BackupSettings(target="sftp://shop:hunter2@nas.local/backup"))
    assert "hunter2" not in str(err.value)


def test_a_frozen_sftp_server_is_given_up_on_in_bounded_time_and_named():
    """A server that accepts the connection and then says nothing: TargetUnavailable naming the timeout."""
    import socket
    import time as _time

    pytest.importorskip("paramiko")
    from imgpipe.backup import SftpTarget, TargetUnavailable

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    try:
        started = _time.monotonic()
        with pytest.raises(TargetUnavailable) as err:
            SftpTarget("127.0.0.1", "nobody", port, "/backup", timeout=1.0)
        assert _time.monotonic() - started < 10
        assert "超时" in str(err.value) or "timed out" in str(err.value)
        assert "TimeoutError" not in str(err.value)
    finally:
        silent.close()
