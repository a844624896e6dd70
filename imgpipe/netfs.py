"""Is the workspace's catalog on a network filesystem? SQLite's locking is unreliable there.

A catalog on an SMB/NFS share (or sshfs) that two PCs write can be
corrupted: the supported team set-up is one PC with the workspace on its
own disk running `imgpipe serve --watch`, everyone else in the browser.
`doctor` and `serve` warn with that advice. Linux: the filesystem type of
the mount holding the path (/proc/mounts); Windows: a UNC path or a mapped
network drive (GetDriveTypeW). Elsewhere nothing is said.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# filesystem types (the third field of /proc/mounts) that live on another machine
NETWORK_TYPES = frozenset({"cifs", "smb3", "smbfs", "nfs", "nfs4", "fuse.sshfs", "sshfs", "9p", "afs", "ncpfs",
                           "fuse.rclone", "davfs", "fuse.davfs2", "glusterfs", "fuse.glusterfs", "ceph", "fuse.gvfsd-fuse"})
DRIVE_REMOTE = 4  # GetDriveTypeW: a network drive


def _unescape(field: str) -> str:
    """A /proc/mounts path field: spaces, tabs, newlines and backslashes are written as octal escapes."""
    for code, ch in (("\\040", " "), ("\\011", "\t"), ("\\012", "\n"), ("\\134", "\\")):
        field = field.replace(code, ch)
    return field


def mount_type(path: str, mounts: str) -> str | None:
    """The filesystem type of the mount (in /proc/mounts text `mounts`) that holds absolute POSIX `path`."""
    best, kind = "", None
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = _unescape(parts[1]).rstrip("/") or "/"
        inside = path == point or path.startswith(point.rstrip("/") + "/") or point == "/"
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


def network_filesystem(path: Path, *, mounts: str | None = None, platform: str = sys.platform) -> str | None:
    """The network filesystem `path` is on ("cifs", "nfs4", "UNC", "network drive"…), or None when local/unknown."""
    if platform == "win32":
        text = str(path)
        if text.startswith("\\\\") or text.startswith("//"):
            return "UNC"
        return "network drive" if _windows_drive_type(text) == DRIVE_REMOTE else None
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(encoding="utf-8", errors="replace")
        except OSError:  # not Linux (macOS has no /proc): nothing known
            return None
    kind = mount_type(os.path.realpath(path), mounts)
    return kind if kind in NETWORK_TYPES else None


def _windows_drive_type(path: str) -> int:  # pragma: no cover - Windows only
    import ctypes

    root = os.path.splitdrive(os.path.abspath(path))[0] + "\\"
    return ctypes.windll.kernel32.GetDriveTypeW(ctypes.c_wchar_p(root))


def network_warning(root: Path) -> tuple[str, str] | None:
    """(message, fix) when the workspace's catalog is on a network filesystem, else None."""
    from imgpipe.messages import t

    catalog = Path(root) / ".imgpipe" / "catalog.sqlite"
    kind = network_filesystem(catalog if catalog.exists() else Path(root))
    if kind is None:
        return None
    return t("netfs.warning", path=catalog, fs=kind), t("netfs.warning.fix")
