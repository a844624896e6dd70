"""The catalog on a network filesystem is found (SQLite over SMB/NFS can be corrupted) and nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from imgpipe.netfs import mount_type, network_filesystem

MOUNTS = """\
/dev/sda1 / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
//nas/shop /mnt/shop cifs rw,vers=3.1.1 0 0
nas:/export/photos /mnt/photos nfs4 rw,relatime 0 0
me@host:/srv /home/me/remote fuse.sshfs rw 0 0
/dev/sdb1 /mnt/shop/local\\040disk ext4 rw 0 0
//nas/商品 /mnt/商品\\040图片 smb3 rw 0 0
"""


@pytest.mark.parametrize("path, kind", [
    ("/mnt/shop/ws/.imgpipe/catalog.sqlite", "cifs"),
    ("/mnt/photos/ws", "nfs4"),
    ("/home/me/remote/ws/.imgpipe/catalog.sqlite", "fuse.sshfs"),
    ("/mnt/商品 图片/ws", "smb3"),
    ("/mnt/shop/local disk/ws", None),      # a local disk mounted inside the share: the deeper mount counts
    ("/mnt/shopping/ws", None),             # a name that only starts like the share
    ("/home/me/ws", None),
])
def test_the_mount_holding_the_path_decides(path, kind):
    assert network_filesystem(Path(path), mounts=MOUNTS, platform="linux") == kind


def test_mount_type_of_the_root_and_of_a_mount_point():
    assert mount_type("/", MOUNTS) == "ext4"
    assert mount_type("/mnt/photos", MOUNTS) == "nfs4"


def test_windows_unc_paths_are_network():
    assert network_filesystem(Path("//nas/shop/ws"), platform="win32") == "UNC"


def test_doctor_warns_with_what_to_do(workspace, monkeypatch):
    from click.testing import CliRunner

    import imgpipe.netfs as netfs
    from imgpipe.cli import main

    monkeypatch.setattr(netfs, "network_filesystem", lambda path, **kw: "cifs")
    res = CliRunner().invoke(main, ["-w", str(workspace), "doctor"])
    assert "cifs" in res.output and "serve --watch" in res.output
    monkeypatch.setattr(netfs, "network_filesystem", lambda path, **kw: None)
    assert "cifs" not in CliRunner().invoke(main, ["-w", str(workspace), "doctor"]).output
